/* lake.c: the local data lake (see lake.h): S3 objects as files. */
#include "lake.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define TMP_DIR ".tmp"
#define SEGMENT_MAX 255

char *asl_lake_root(void) {
  char *home = asl_home_dir();
  char *root = asl_sprintf("%s/lake", home);
  free(home);
  return root;
}

void asl_lake_time_iso(double t, char buf[32]) {
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- names ---- */

static int is_ip(const char *s) {
  int dots = 0, digits = 0;
  for (; *s; s++) {
    if (*s == '.') {
      if (!digits) return 0;
      dots++, digits = 0;
    } else if (*s >= '0' && *s <= '9') {
      if (++digits > 3) return 0;
    } else {
      return 0;
    }
  }
  return dots == 3 && digits;
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcmp(s + n - m, suf) == 0;
}

int asl_lake_check_bucket(const char *b, asl_error *err) {
  size_t n = b ? strlen(b) : 0;
  const char *why = NULL;
  if (n < 3 || n > 63) why = "must be 3 to 63 characters long";
  for (size_t i = 0; !why && i < n; i++) {
    char c = b[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-'))
      why = "may hold only lowercase letters, digits, '.' and '-'";
  }
  if (!why) {
    char f = b[0], l = b[n - 1];
    int fa = (f >= 'a' && f <= 'z') || (f >= '0' && f <= '9');
    int la = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (!fa || !la)
      why = "must begin and end with a letter or digit";
    else if (strstr(b, ".."))
      why = "must not hold two adjacent periods";
    else if (is_ip(b))
      why = "must not be formatted as an IP address";
    else if (strncmp(b, "xn--", 4) == 0 || strncmp(b, "sthree-", 7) == 0)
      why = "must not start with a reserved prefix";
    else if (ends_with(b, "-s3alias") || ends_with(b, "--ol-s3"))
      why = "must not end with a reserved suffix";
  }
  if (!why) return 0;
  return asl_error_set(err, "InvalidBucketName",
                       "The specified bucket is not valid: '%s' %s.",
                       b ? b : "", why);
}

int asl_lake_check_key(const char *k, asl_error *err) {
  size_t n = k ? strlen(k) : 0;
  if (n > ASL_LAKE_MAX_KEY_LEN)
    return asl_error_set(err, "KeyTooLongError",
                         "Your key is too long: %zu bytes (the limit is %d).",
                         n, ASL_LAKE_MAX_KEY_LEN);
  const char *why = NULL;
  if (n == 0)
    why = "a key must not be empty";
  else if (k[0] == '/')
    why = "a key must not start with '/' (absolute)";
  else if (k[n - 1] == '/')
    why = "a key must not end with '/' (folders are not objects here)";
  for (const char *s = k; !why && s && *s;) {
    size_t m = strcspn(s, "/");
    if (m == 0)
      why = "a key must not hold an empty segment ('//')";
    else if (m == 1 && s[0] == '.')
      why = "a key must not hold a '.' segment";
    else if (m == 2 && s[0] == '.' && s[1] == '.')
      why = "a key must not hold a '..' segment";
    else if (m > SEGMENT_MAX)
      why = "a key's segment between '/' must be at most 255 bytes";
    s += m;
    if (*s == '/') s++;
  }
  if (!why) return 0;
  return asl_error_set(err, "InvalidKey", "The key '%s' is not valid: %s.",
                       k ? k : "", why);
}

/* ---- paths and files ---- */

static int io_error(asl_error *err, const char *what, const char *path) {
  return asl_error_set(err, "InternalError", "%s %s: %s", what, path,
                       strerror(errno));
}

static int no_bucket(asl_error *err, const char *b) {
  return asl_error_set(err, "NoSuchBucket",
                       "The specified bucket does not exist: '%s'.", b);
}

static int no_key(asl_error *err, const char *k) {
  (void)k;
  return asl_error_set(err, "NoSuchKey", "The specified key does not exist.");
}

static int is_dir(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Checks bucket (and key when not NULL) and that the bucket exists;
 * *path is then the bucket's folder or the key's file (new string). */
static int resolve(const char *root, const char *bucket, const char *key,
                   char **path, asl_error *err) {
  *path = NULL;
  if (asl_lake_check_bucket(bucket, err) < 0) return -1;
  if (key && asl_lake_check_key(key, err) < 0) return -1;
  char *bdir = asl_sprintf("%s/%s", root, bucket);
  if (!is_dir(bdir)) {
    free(bdir);
    return no_bucket(err, bucket);
  }
  if (!key) {
    *path = bdir;
    return 0;
  }
  *path = asl_sprintf("%s/%s", bdir, key);
  free(bdir);
  return 0;
}

/* mkdir -p for the folders of path below base (base exists). -2 (err
 * not set) when a folder vanished meanwhile (a concurrent delete removes
 * folders it leaves empty): the caller tries again. */
static int make_parents(const char *base, char *path, asl_error *err) {
  for (char *s = path + strlen(base) + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    int rc = mkdir(path, 0777);
    int e = errno;
    if (rc != 0 && e == ENOENT) { /* a concurrent delete removed a parent */
      *s = '/';
      errno = e;
      return -2;
    }
    if (rc != 0 && e != EEXIST) {
      *s = '/';
      errno = e;
      if (e == ENOTDIR)
        return asl_error_set(err, "InvalidArgument",
                             "A prefix of this key is an object: the lake "
                             "keeps keys as files, so one cannot be both an "
                             "object and a folder of others.");
      return io_error(err, "cannot create folder for", path);
    }
    if (rc != 0 && !is_dir(path)) {
      *s = '/';
      return asl_error_set(err, "InvalidArgument",
                           "A prefix of this key is an object: the lake "
                           "keeps keys as files, so one cannot be both an "
                           "object and a folder of others.");
    }
    *s = '/';
  }
  return 0;
}

/* MD5 of a file's bytes as S3's quoted ETag. */
static int etag_of_file(const char *path, char etag[35], asl_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(err, "cannot read", path);
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdn = 0;
  int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1;
  char buf[65536];
  ssize_t r;
  while (ok && (r = read(fd, buf, sizeof buf)) != 0) {
    if (r < 0) {
      if (errno == EINTR) continue;
      ok = 0;
      break;
    }
    ok = EVP_DigestUpdate(c, buf, (size_t)r) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(c, md, &mdn) == 1 && mdn == 16;
  EVP_MD_CTX_free(c);
  close(fd);
  if (!ok) return io_error(err, "cannot digest", path);
  etag[0] = '"';
  for (int i = 0; i < 16; i++) {
    etag[1 + 2 * i] = "0123456789abcdef"[md[i] >> 4];
    etag[2 + 2 * i] = "0123456789abcdef"[md[i] & 15];
  }
  etag[33] = '"';
  etag[34] = 0;
  return 0;
}

static double mtime_of(const struct stat *sb) {
  return (double)sb->st_mtim.tv_sec + (double)sb->st_mtim.tv_nsec / 1e9;
}

/* Fills info from the object's file; NoSuchKey when it is not a file. */
static int stat_obj(const char *path, const char *key, asl_lake_obj *info,
                    asl_error *err) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return no_key(err, key);
    return io_error(err, "cannot stat", path);
  }
  if (!S_ISREG(sb.st_mode)) return no_key(err, key);
  if (!info) return 0;
  info->key = NULL;
  info->size = (long long)sb.st_size;
  info->mtime = mtime_of(&sb);
  return etag_of_file(path, info->etag, err);
}

/* ---- streaming writes ---- */

#define WRITE_BUF 65536

/* A new object's bytes go to tmp (under ROOT/.tmp, on the lake's file
 * system) through buf; commit renames tmp to path. The MD5 is computed as
 * the bytes pass, so the ETag needs no second read. */
struct asl_lake_writer {
  char *root, *bdir, *path, *tmp;
  int fd;         /* -1 once finished */
  char *buf;      /* WRITE_BUF bytes; NULL once finished */
  size_t used;    /* bytes in buf */
  long long size; /* bytes written so far */
  EVP_MD_CTX *md5;
  unsigned char digest[16];
};

/* Writes w's buffer to its file. */
static int flush_buf(asl_lake_writer *w, asl_error *err) {
  const char *p = w->buf;
  size_t left = w->used;
  while (left > 0) {
    ssize_t n = write(w->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(err, "cannot write", w->tmp);
    p += n, left -= (size_t)n;
  }
  w->used = 0;
  return 0;
}

asl_lake_writer *asl_lake_write_open(const char *root, const char *bucket,
                                     const char *key, asl_error *err) {
  char *path;
  if (!key) {
    asl_lake_check_key("", err);
    return NULL;
  }
  if (resolve(root, bucket, key, &path, err) < 0) return NULL;
  char *tdir = asl_sprintf("%s/" TMP_DIR, root);
  mkdir(tdir, 0777);
  unsigned char rnd[8] = {0};
  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    memcpy(rnd, &ts.tv_nsec,
           sizeof rnd < sizeof ts.tv_nsec ? sizeof rnd : sizeof ts.tv_nsec);
  }
  char *tmp = asl_sprintf("%s/put-%d-%02x%02x%02x%02x%02x%02x%02x%02x", tdir,
                          (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                          rnd[5], rnd[6], rnd[7]);
  free(tdir);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  EVP_MD_CTX *md5 = fd < 0 ? NULL : EVP_MD_CTX_new();
  if (fd < 0 || !md5 || EVP_DigestInit_ex(md5, EVP_md5(), NULL) != 1) {
    if (fd < 0)
      io_error(err, "cannot create", tmp);
    else
      asl_error_set(err, "InternalError", "MD5 is not available");
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    EVP_MD_CTX_free(md5);
    free(tmp);
    free(path);
    return NULL;
  }
  asl_lake_writer *w = asl_calloc(1, sizeof *w);
  w->root = asl_strdup(root);
  w->bdir = asl_sprintf("%s/%s", root, bucket);
  w->path = path;
  w->tmp = tmp;
  w->fd = fd;
  w->buf = asl_malloc(WRITE_BUF);
  w->md5 = md5;
  return w;
}

int asl_lake_write(asl_lake_writer *w, const void *data, size_t len,
                   asl_error *err) {
  if (w->fd < 0)
    return asl_error_set(err, "InternalError",
                         "write after the object was finished: %s", w->path);
  if (len && EVP_DigestUpdate(w->md5, data, len) != 1)
    return asl_error_set(err, "InternalError", "MD5 failed");
  const char *p = data;
  w->size += (long long)len;
  while (len > 0) {
    size_t room = WRITE_BUF - w->used, n = len < room ? len : room;
    memcpy(w->buf + w->used, p, n);
    w->used += n, p += n, len -= n;
    if (w->used == WRITE_BUF && flush_buf(w, err) < 0) return -1;
  }
  return 0;
}

/* ASL_LAKE_FSYNC=1: each object is fsync'd before it is published. */
static int lake_fsync(void) {
  const char *v = getenv("ASL_LAKE_FSYNC");
  return v && strcmp(v, "1") == 0;
}

int asl_lake_write_finish(asl_lake_writer *w, asl_error *err) {
  if (w->fd < 0) return 0;
  int rc = flush_buf(w, err);
  /* The object appears under its name by rename(2), whole or not at all:
   * a killed process loses nothing written. fsync only with
   * ASL_LAKE_FSYNC=1 (power-cut durability), the store's synchronous
   * NORMAL policy: a fsync per object costs 1-8 ms here, which a Map of a
   * million small puts (the datafaker seed) cannot pay. */
  if (rc == 0 && lake_fsync() && fsync(w->fd) != 0)
    rc = io_error(err, "cannot write", w->tmp);
  if (close(w->fd) != 0 && rc == 0) rc = io_error(err, "cannot write", w->tmp);
  w->fd = -1;
  free(w->buf);
  w->buf = NULL;
  unsigned int n = 0;
  if (rc == 0 && (EVP_DigestFinal_ex(w->md5, w->digest, &n) != 1 || n != 16))
    rc = asl_error_set(err, "InternalError", "MD5 failed");
  return rc;
}

long long asl_lake_write_size(const asl_lake_writer *w) { return w->size; }

int asl_lake_write_commit(asl_lake_writer *w, asl_lake_obj *info,
                          asl_error *err) {
  int rc = -1;
  if (asl_lake_write_finish(w, err) < 0) goto out;
  /* a delete in another thread may remove a folder we just made (it was
   * empty): make it again, a few times */
  int tries = 0, moved, made;
  do {
    made = make_parents(w->bdir, w->path, err);
    if (made == -1) goto out;
    moved = made == 0 && rename(w->tmp, w->path) == 0;
    if (made == -2) errno = ENOENT;
  } while (!moved && errno == ENOENT && ++tries < 64);
  if (made == -2) {
    io_error(err, "cannot create folder for", w->path);
    goto out;
  }
  if (!moved) {
    if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST)
      asl_error_set(err, "InvalidArgument",
                    "This key is a folder of other objects: the lake keeps "
                    "keys as files, so one cannot be both an object and a "
                    "folder of others.");
    else
      io_error(err, "cannot rename into", w->path);
    goto out;
  }
  free(w->tmp); /* renamed: nothing to remove */
  w->tmp = NULL;
  if (info) {
    struct stat sb;
    info->key = NULL;
    info->size = w->size;
    info->mtime = stat(w->path, &sb) == 0 ? mtime_of(&sb) : 0;
    info->etag[0] = '"';
    for (int i = 0; i < 16; i++) {
      info->etag[1 + 2 * i] = "0123456789abcdef"[w->digest[i] >> 4];
      info->etag[2 + 2 * i] = "0123456789abcdef"[w->digest[i] & 15];
    }
    info->etag[33] = '"';
    info->etag[34] = 0;
  }
  rc = 0;
out:
  asl_lake_write_abort(w);
  return rc;
}

void asl_lake_write_abort(asl_lake_writer *w) {
  if (!w) return;
  if (w->fd >= 0) close(w->fd);
  if (w->tmp) unlink(w->tmp);
  EVP_MD_CTX_free(w->md5);
  free(w->buf);
  free(w->tmp);
  free(w->path);
  free(w->bdir);
  free(w->root);
  free(w);
}

/* ---- objects ---- */

int asl_lake_make_bucket(const char *root, const char *bucket, asl_error *err) {
  if (asl_lake_check_bucket(bucket, err) < 0) return -1;
  char *dir = asl_sprintf("%s/%s", root, bucket);
  int rc = 0;
  if (is_dir(dir)) {
    rc = asl_error_set(err, "BucketAlreadyOwnedByYou",
                       "Your previous request to create the named bucket "
                       "succeeded and you already own it.");
  } else {
    mkdir(root, 0777); /* its parent ($ASL_HOME) may be missing too */
    char *r = asl_strdup(dir);
    for (char *s = r + 1; *s; s++)
      if (*s == '/') {
        *s = 0;
        mkdir(r, 0777);
        *s = '/';
      }
    free(r);
    if (mkdir(dir, 0777) != 0) rc = io_error(err, "cannot create", dir);
  }
  free(dir);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int asl_lake_buckets(const char *root, char ***names, double **mtimes,
                     size_t *n, asl_error *err) {
  *names = NULL;
  *n = 0;
  if (mtimes) *mtimes = NULL;
  DIR *d = opendir(root);
  if (!d) return errno == ENOENT ? 0 : io_error(err, "cannot read", root);
  size_t cap = 0;
  struct dirent *e;
  asl_error ignore = {0};
  while ((e = readdir(d)) != NULL) {
    if (asl_lake_check_bucket(e->d_name, &ignore) < 0) continue;
    char *p = asl_sprintf("%s/%s", root, e->d_name);
    int dir = is_dir(p);
    free(p);
    if (!dir) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      *names = asl_realloc(*names, cap * sizeof **names);
    }
    (*names)[(*n)++] = asl_strdup(e->d_name);
  }
  asl_error_clear(&ignore);
  closedir(d);
  if (*n) qsort(*names, *n, sizeof **names, cmp_str);
  if (mtimes && *n) {
    *mtimes = asl_calloc(*n, sizeof **mtimes);
    for (size_t i = 0; i < *n; i++) {
      char *p = asl_sprintf("%s/%s", root, (*names)[i]);
      struct stat sb;
      if (stat(p, &sb) == 0) (*mtimes)[i] = mtime_of(&sb);
      free(p);
    }
  }
  return 0;
}

void asl_lake_free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

int asl_lake_put(const char *root, const char *bucket, const char *key,
                 const void *data, size_t len, asl_lake_obj *info,
                 asl_error *err) {
  asl_lake_writer *w = asl_lake_write_open(root, bucket, key, err);
  if (!w) return -1;
  if (asl_lake_write(w, data, len, err) < 0) {
    asl_lake_write_abort(w);
    return -1;
  }
  return asl_lake_write_commit(w, info, err);
}

int asl_lake_head(const char *root, const char *bucket, const char *key,
                  asl_lake_obj *info, asl_error *err) {
  char *path;
  if (resolve(root, bucket, key, &path, err) < 0) return -1;
  int rc = stat_obj(path, key, info, err);
  free(path);
  return rc;
}

int asl_lake_get(const char *root, const char *bucket, const char *key,
                 char **data, size_t *len, asl_lake_obj *info, asl_error *err) {
  *data = NULL;
  *len = 0;
  char *path;
  if (resolve(root, bucket, key, &path, err) < 0) return -1;
  int rc = -1;
  if (stat_obj(path, key, NULL, err) < 0) goto out;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT)
      no_key(err, key);
    else
      io_error(err, "cannot read", path);
    goto out;
  }
  /* One open file: the bytes and the ETag are of the same version even if
   * a put renames a new one in meanwhile. */
  asl_buf b = {0};
  char chunk[65536];
  size_t r;
  while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, r);
  int bad = ferror(f);
  struct stat sb;
  fstat(fileno(f), &sb);
  fclose(f);
  if (bad) {
    asl_buf_free(&b);
    io_error(err, "cannot read", path);
    goto out;
  }
  *len = b.len;
  *data = asl_buf_take(&b);
  if (info) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdn = 0;
    if (EVP_Digest(*data, *len, md, &mdn, EVP_md5(), NULL) != 1 || mdn != 16) {
      free(*data);
      *data = NULL;
      *len = 0;
      asl_error_set(err, "InternalError", "MD5 is not available");
      goto out;
    }
    info->key = NULL;
    info->size = (long long)*len;
    info->mtime = mtime_of(&sb);
    info->etag[0] = '"';
    for (int i = 0; i < 16; i++) {
      info->etag[1 + 2 * i] = "0123456789abcdef"[md[i] >> 4];
      info->etag[2 + 2 * i] = "0123456789abcdef"[md[i] & 15];
    }
    info->etag[33] = '"';
    info->etag[34] = 0;
  }
  rc = 0;
out:
  free(path);
  return rc;
}

int asl_lake_delete(const char *root, const char *bucket, const char *key,
                    asl_error *err) {
  char *path;
  if (resolve(root, bucket, key, &path, err) < 0) return -1;
  int rc = 0;
  struct stat sb;
  if (lstat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
    if (unlink(path) != 0 && errno != ENOENT)
      rc = io_error(err, "cannot remove", path);
    /* folders the key made, now empty: a later put of "a" needs "a" free */
    size_t blen = strlen(root) + 1 + strlen(bucket);
    for (char *s = strrchr(path, '/');
         rc == 0 && s && (size_t)(s - path) > blen; s = strrchr(path, '/')) {
      *s = 0;
      if (rmdir(path) != 0) break;
    }
  }
  free(path);
  return rc;
}

int asl_lake_copy(const char *root, const char *sbucket, const char *skey,
                  const char *dbucket, const char *dkey, asl_lake_obj *info,
                  asl_error *err) {
  char *data;
  size_t len;
  char *dpath;
  /* the destination is checked first: a bad target fails before reading */
  if (resolve(root, dbucket, dkey, &dpath, err) < 0) return -1;
  free(dpath);
  if (asl_lake_get(root, sbucket, skey, &data, &len, NULL, err) < 0) return -1;
  int rc = asl_lake_put(root, dbucket, dkey, data, len, info, err);
  free(data);
  return rc;
}

/* ---- listing ---- */

typedef struct keyvec {
  char **v;
  size_t n, cap;
} keyvec;

static void keyvec_add(keyvec *k, char *s) {
  if (k->n == k->cap) {
    k->cap = k->cap ? k->cap * 2 : 64;
    k->v = asl_realloc(k->v, k->cap * sizeof *k->v);
  }
  k->v[k->n++] = s;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every file below dir, as keys rel/NAME. Returns -1 past the deadline. */
static int walk(const char *dir, const char *rel, keyvec *out,
                double deadline) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *p = asl_sprintf("%s/%s", dir, e->d_name);
    char *k =
        *rel ? asl_sprintf("%s/%s", rel, e->d_name) : asl_strdup(e->d_name);
    struct stat sb;
    int st = lstat(p, &sb);
    if (st == 0 && S_ISDIR(sb.st_mode)) {
      rc = walk(p, k, out, deadline);
      free(k);
    } else if (st == 0 && S_ISREG(sb.st_mode)) {
      keyvec_add(out, k);
    } else {
      free(k);
    }
    free(p);
    if (deadline > 0 && out->n % 256 == 0 && now_epoch() > deadline) rc = -1;
  }
  closedir(d);
  return rc;
}

/* Continuation tokens: "1" + the hex of the last key or common prefix
 * returned ("k..." or "p..."). Opaque to callers, as S3's. */
static char *token_make(char kind, const char *s) {
  asl_buf b = {0};
  asl_buf_putc(&b, '1');
  asl_buf_putc(&b, kind);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    asl_buf_putc(&b, "0123456789abcdef"[*p >> 4]);
    asl_buf_putc(&b, "0123456789abcdef"[*p & 15]);
  }
  return asl_buf_take(&b);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static int token_read(const char *t, char *kind, char **s) {
  size_t n = strlen(t);
  if (n < 2 || t[0] != '1' || (t[1] != 'k' && t[1] != 'p') || n % 2) return -1;
  *kind = t[1];
  char *o = asl_malloc((n - 2) / 2 + 1);
  size_t j = 0;
  for (size_t i = 2; i < n; i += 2) {
    int h = hexval(t[i]), l = hexval(t[i + 1]);
    if (h < 0 || l < 0 || (h == 0 && l == 0)) {
      free(o);
      return -1;
    }
    o[j++] = (char)(h * 16 + l);
  }
  o[j] = 0;
  *s = o;
  return 0;
}

void asl_lake_list_free(asl_lake_list *l) {
  for (size_t i = 0; i < l->nobjs; i++)
    free(l->objs[i].key);
  free(l->objs);
  asl_lake_free_names(l->prefixes, l->nprefixes);
  free(l->next_token);
  memset(l, 0, sizeof *l);
}

int asl_lake_list_objects(const char *root, const char *bucket,
                          const asl_lake_list_req *req, asl_lake_list *out,
                          asl_error *err) {
  memset(out, 0, sizeof *out);
  char *bdir;
  if (resolve(root, bucket, NULL, &bdir, err) < 0) return -1;
  const char *prefix = req->prefix ? req->prefix : "";
  const char *delim = req->delimiter && *req->delimiter ? req->delimiter : NULL;
  int max = req->max_keys < 0 ? 0 : req->max_keys;
  if (max > ASL_LAKE_MAX_KEYS) max = ASL_LAKE_MAX_KEYS;
  char tkind = 0, *after = NULL;
  if (req->token) {
    if (token_read(req->token, &tkind, &after) < 0) {
      free(bdir);
      return asl_error_set(err, "InvalidArgument",
                           "The continuation token provided is incorrect");
    }
  } else if (req->start_after) {
    tkind = 'k';
    after = asl_strdup(req->start_after);
  }
  /* walk only the folder the prefix names: "logs/2024-" is below logs/ */
  char *sub = asl_strdup(prefix);
  char *slash = strrchr(sub, '/');
  if (slash)
    *slash = 0;
  else
    *sub = 0;
  keyvec keys = {0};
  int rc = 0;
  asl_error kerr = {0};
  if (!*sub || asl_lake_check_key(sub, &kerr) == 0) {
    char *dir = *sub ? asl_sprintf("%s/%s", bdir, sub) : asl_strdup(bdir);
    if (walk(dir, sub, &keys, req->deadline) < 0)
      rc = asl_error_set(err, "States.Timeout", NULL);
    free(dir);
  }
  asl_error_clear(&kerr);
  free(sub);
  if (keys.n) qsort(keys.v, keys.n, sizeof *keys.v, cmp_str);
  size_t plen = strlen(prefix), cap_o = 0, cap_p = 0;
  size_t count = 0;
  char *last_prefix = NULL; /* the common prefix last added */
  for (size_t i = 0; rc == 0 && i < keys.n; i++) {
    const char *k = keys.v[i];
    if (strncmp(k, prefix, plen) != 0) continue;
    if (after && strcmp(k, after) <= 0) continue;
    if (after && tkind == 'p' && strncmp(k, after, strlen(after)) == 0)
      continue;
    const char *d = delim ? strstr(k + plen, delim) : NULL;
    if (d) {
      size_t cl = (size_t)(d - k) + strlen(delim);
      if (last_prefix && strlen(last_prefix) == cl &&
          strncmp(last_prefix, k, cl) == 0)
        continue;
      if (count == (size_t)max) {
        out->truncated = 1;
        break;
      }
      if (out->nprefixes == cap_p) {
        cap_p = cap_p ? cap_p * 2 : 16;
        out->prefixes = asl_realloc(out->prefixes, cap_p * sizeof(char *));
      }
      last_prefix = asl_strndup(k, cl);
      out->prefixes[out->nprefixes++] = last_prefix;
      count++;
      continue;
    }
    if (count == (size_t)max) {
      out->truncated = 1;
      break;
    }
    asl_lake_obj o = {0};
    char *path = asl_sprintf("%s/%s", bdir, k);
    int st = stat_obj(path, k, &o, err);
    free(path);
    if (st < 0) { /* removed meanwhile: not listed */
      asl_error_clear(err);
      continue;
    }
    o.key = asl_strdup(k);
    if (out->nobjs == cap_o) {
      cap_o = cap_o ? cap_o * 2 : 16;
      out->objs = asl_realloc(out->objs, cap_o * sizeof *out->objs);
    }
    out->objs[out->nobjs++] = o;
    count++;
    if (req->deadline > 0 && count % 64 == 0 && now_epoch() > req->deadline)
      rc = asl_error_set(err, "States.Timeout", NULL);
  }
  if (rc == 0 && out->truncated) {
    /* the last thing returned, key or common prefix, whichever is later */
    const char *lk = out->nobjs ? out->objs[out->nobjs - 1].key : NULL;
    const char *lp = out->nprefixes ? out->prefixes[out->nprefixes - 1] : NULL;
    if (lp && (!lk || strcmp(lp, lk) > 0))
      out->next_token = token_make('p', lp);
    else if (lk)
      out->next_token = token_make('k', lk);
    else
      out->truncated = 0; /* MaxKeys 0: nothing returned, nothing to go on */
  }
  for (size_t i = 0; i < keys.n; i++)
    free(keys.v[i]);
  free(keys.v);
  free(after);
  free(bdir);
  if (rc < 0) asl_lake_list_free(out);
  return rc;
}

/* ---- walking ---- */

typedef struct wentry {
  char *name; /* the entry's name, with a '/' appended for a folder */
  int dir;
} wentry;

static int cmp_wentry(const void *a, const void *b) {
  return strcmp(((const wentry *)a)->name, ((const wentry *)b)->name);
}

/* Visits dir (the folder of keys rel/...) in key order. A folder's name
 * sorts with a '/' after it, so "a-b" (0x2d) comes before "a/x" (0x2f) as
 * the keys do. Only entries starting with first (at the top level) are
 * taken. */
static int walk_dir(const char *dir, const char *rel, const char *first,
                    asl_lake_walk_cb cb, void *ud, int depth) {
  if (depth > 512) return 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  wentry *v = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  size_t fl = first ? strlen(first) : 0;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (fl && strncmp(e->d_name, first, fl) != 0) continue;
    int isdir, isreg;
    if (e->d_type == DT_UNKNOWN) {
      char *p = asl_sprintf("%s/%s", dir, e->d_name);
      struct stat sb;
      int st = lstat(p, &sb);
      free(p);
      isdir = st == 0 && S_ISDIR(sb.st_mode);
      isreg = st == 0 && S_ISREG(sb.st_mode);
    } else {
      isdir = e->d_type == DT_DIR;
      isreg = e->d_type == DT_REG;
    }
    if (!isdir && !isreg) continue; /* links, sockets: not objects */
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      v = asl_realloc(v, cap * sizeof *v);
    }
    v[n].name = isdir ? asl_sprintf("%s/", e->d_name) : asl_strdup(e->d_name);
    v[n].dir = isdir;
    n++;
  }
  closedir(d);
  if (n) qsort(v, n, sizeof *v, cmp_wentry);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (rc == 0) {
      size_t l = strlen(v[i].name);
      if (v[i].dir) v[i].name[l - 1] = 0;
      char *p = asl_sprintf("%s/%s", dir, v[i].name);
      char *k = *rel ? asl_sprintf("%s/%s", rel, v[i].name)
                     : asl_strdup(v[i].name);
      rc = v[i].dir ? walk_dir(p, k, NULL, cb, ud, depth + 1) : cb(k, p, ud);
      free(p);
      free(k);
    }
    free(v[i].name);
  }
  free(v);
  return rc;
}

int asl_lake_walk(const char *root, const char *bucket, const char *prefix,
                  asl_lake_walk_cb cb, void *ud, asl_error *err) {
  char *bdir;
  if (resolve(root, bucket, NULL, &bdir, err) < 0) return -1;
  if (!prefix) prefix = "";
  /* start in the folder the prefix names: "logs/2024-" is below logs/,
   * taking the entries that start with "2024-" */
  const char *slash = strrchr(prefix, '/');
  char *sub = slash ? asl_strndup(prefix, (size_t)(slash - prefix))
                    : asl_strdup("");
  const char *first = slash ? slash + 1 : prefix;
  int rc = 0;
  asl_error kerr = {0};
  if (!*sub || asl_lake_check_key(sub, &kerr) == 0) {
    char *dir = *sub ? asl_sprintf("%s/%s", bdir, sub) : asl_strdup(bdir);
    rc = walk_dir(dir, sub, *first ? first : NULL, cb, ud, 0);
    free(dir);
  }
  asl_error_clear(&kerr);
  free(sub);
  free(bdir);
  return rc;
}
