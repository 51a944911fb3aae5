/* lake_cmd.c: `asl lake` (see lake_cmd.h), thin wrappers around lake/. */
#include "lake_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lake/lake.h"

#define EX_OK 0
#define EX_REFUSED 1
#define EX_USAGE 64
#define EX_NOINPUT 66
#define EX_IOERR 74

static const char usage_text[] =
    "usage: asl lake ls [s3://BUCKET[/PREFIX]]\n"
    "       asl lake cat s3://BUCKET/KEY\n"
    "       asl lake put FILE|- s3://BUCKET/KEY\n"
    "       asl lake rm s3://BUCKET/KEY\n"
    "       asl lake mb s3://BUCKET\n"
    "  the lake is $ASL_HOME/lake (default ./.asl/lake): s3://b/k is "
    "lake/b/k\n";

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl lake: %s\n", why);
  fputs(usage_text, stderr);
  return EX_USAGE;
}

/* Prints the lake's error and returns its exit code. */
static int report(const char *what, asl_error *e) {
  const char *n = e->name ? e->name : "InternalError";
  fprintf(stderr, "asl lake: %s: %s: %s\n", what, n, e->cause ? e->cause : "");
  int rc = EX_REFUSED;
  if (strcmp(n, "NoSuchKey") == 0 || strcmp(n, "NoSuchBucket") == 0)
    rc = EX_NOINPUT;
  else if (strcmp(n, "InternalError") == 0)
    rc = EX_IOERR;
  asl_error_clear(e);
  return rc;
}

/* Splits "s3://BUCKET[/KEY]" into new strings (*key NULL when there is no
 * '/'; "" after a trailing '/'). -1 when uri is not an s3:// URI. */
static int parse_uri(const char *uri, char **bucket, char **key) {
  *bucket = *key = NULL;
  if (strncmp(uri, "s3://", 5) != 0 || !uri[5]) return -1;
  const char *b = uri + 5, *slash = strchr(b, '/');
  if (slash == b) return -1;
  *bucket = slash ? asl_strndup(b, (size_t)(slash - b)) : asl_strdup(b);
  if (slash) *key = asl_strdup(slash + 1);
  return 0;
}

static void fmt_time(double t, char buf[32]) {
  time_t s = (time_t)t;
  struct tm tm;
  localtime_r(&s, &tm);
  strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static int ls_buckets(const char *root) {
  char **names;
  double *mt;
  size_t n;
  asl_error e = {0};
  if (asl_lake_buckets(root, &names, &mt, &n, &e) < 0) return report(root, &e);
  for (size_t i = 0; i < n; i++) {
    char t[32];
    fmt_time(mt[i], t);
    printf("%s %s\n", t, names[i]);
  }
  asl_lake_free_names(names, n);
  free(mt);
  return EX_OK;
}

/* Like `aws s3 ls`: the objects and folders right under a prefix. */
static int ls_prefix(const char *root, const char *bucket, const char *prefix,
                     const char *uri) {
  asl_lake_list_req q = {0};
  q.prefix = prefix;
  q.delimiter = "/";
  q.max_keys = ASL_LAKE_MAX_KEYS;
  char *token = NULL;
  int rc = EX_OK;
  for (;;) {
    asl_lake_list l;
    asl_error e = {0};
    q.token = token;
    if (asl_lake_list_objects(root, bucket, &q, &l, &e) < 0) {
      rc = report(uri, &e);
      break;
    }
    /* objects and prefixes interleaved in key order */
    size_t i = 0, j = 0;
    while (i < l.nobjs || j < l.nprefixes) {
      if (j < l.nprefixes &&
          (i == l.nobjs || strcmp(l.prefixes[j], l.objs[i].key) < 0)) {
        printf("%30s %s\n", "PRE", l.prefixes[j++]);
      } else {
        char t[32];
        fmt_time(l.objs[i].mtime, t);
        printf("%s %10lld %s\n", t, l.objs[i].size, l.objs[i].key);
        i++;
      }
    }
    free(token);
    token = l.next_token ? asl_strdup(l.next_token) : NULL;
    asl_lake_list_free(&l);
    if (!token) break;
  }
  free(token);
  return rc;
}

static int cmd_ls(const char *root, int argc, char **argv) {
  if (argc == 0) return ls_buckets(root);
  if (argc > 1) return usage("ls takes at most one s3:// URI");
  char *b, *k;
  if (parse_uri(argv[0], &b, &k) < 0) return usage("not an s3://BUCKET URI");
  int rc = ls_prefix(root, b, k ? k : "", argv[0]);
  free(b);
  free(k);
  return rc;
}

/* The bucket and key of an object URI, or a usage error. */
static int object_uri(const char *uri, char **b, char **k) {
  if (parse_uri(uri, b, k) < 0 || !*k || !**k) {
    free(*b);
    free(*k);
    return usage("expected s3://BUCKET/KEY");
  }
  return 0;
}

static int cmd_cat(const char *root, int argc, char **argv) {
  if (argc != 1) return usage("cat takes one s3://BUCKET/KEY");
  char *b, *k;
  if (object_uri(argv[0], &b, &k)) return EX_USAGE;
  char *data;
  size_t len;
  asl_error e = {0};
  int rc = EX_OK;
  if (asl_lake_get(root, b, k, &data, &len, NULL, &e) < 0) {
    rc = report(argv[0], &e);
  } else {
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
      fprintf(stderr, "asl lake: stdout: %s\n", strerror(errno));
      rc = EX_IOERR;
    }
    free(data);
  }
  free(b);
  free(k);
  return rc;
}

/* Reads a whole file, or stdin for "-". */
static int slurp(const char *path, char **data, size_t *len) {
  FILE *f = stdin;
  if (strcmp(path, "-") != 0) {
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "asl lake: %s: is a directory, not a file\n", path);
      return EX_NOINPUT;
    }
    f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "asl lake: %s: %s\n", path, strerror(errno));
      return EX_NOINPUT;
    }
  }
  asl_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, n);
  int bad = ferror(f);
  if (f != stdin) fclose(f);
  if (bad) {
    fprintf(stderr, "asl lake: %s: cannot read\n", path);
    asl_buf_free(&b);
    return EX_IOERR;
  }
  *len = b.len;
  *data = asl_buf_take(&b);
  return 0;
}

static int cmd_put(const char *root, int argc, char **argv) {
  if (argc != 2) return usage("put takes FILE|- and s3://BUCKET/KEY");
  char *b, *k;
  if (object_uri(argv[1], &b, &k)) return EX_USAGE;
  char *data = NULL;
  size_t len = 0;
  int rc = slurp(argv[0], &data, &len);
  if (rc == 0) {
    asl_error e = {0};
    asl_lake_obj info;
    if (asl_lake_put(root, b, k, data, len, &info, &e) < 0)
      rc = report(argv[1], &e);
    else
      printf("%s %lld %s\n", argv[1], info.size, info.etag);
  }
  free(data);
  free(b);
  free(k);
  return rc;
}

static int cmd_rm(const char *root, int argc, char **argv) {
  if (argc != 1) return usage("rm takes one s3://BUCKET/KEY");
  char *b, *k;
  if (object_uri(argv[0], &b, &k)) return EX_USAGE;
  asl_error e = {0};
  int rc = asl_lake_delete(root, b, k, &e) < 0 ? report(argv[0], &e) : EX_OK;
  free(b);
  free(k);
  return rc;
}

static int cmd_mb(const char *root, int argc, char **argv) {
  if (argc != 1) return usage("mb takes one s3://BUCKET");
  char *b, *k;
  if (parse_uri(argv[0], &b, &k) < 0 || (k && *k)) {
    free(b);
    free(k);
    return usage("expected s3://BUCKET");
  }
  asl_error e = {0};
  int rc = asl_lake_make_bucket(root, b, &e) < 0 ? report(argv[0], &e) : EX_OK;
  if (rc == EX_OK) printf("make_bucket: %s\n", b);
  free(b);
  free(k);
  return rc;
}

static const struct {
  const char *name;
  int (*fn)(const char *root, int argc, char **argv);
} CMDS[] = {{"ls", cmd_ls},
            {"cat", cmd_cat},
            {"put", cmd_put},
            {"rm", cmd_rm},
            {"mb", cmd_mb}};

int asl_cmd_lake(int argc, char **argv) {
  if (argc < 1) return usage(NULL);
  for (size_t i = 0; i < sizeof CMDS / sizeof *CMDS; i++) {
    if (strcmp(argv[0], CMDS[i].name) != 0) continue;
    char *root = asl_lake_root();
    int rc = CMDS[i].fn(root, argc - 1, argv + 1);
    free(root);
    return rc;
  }
  return usage("unknown lake command");
}

int asl_lake_ensure_buckets(const cJSON *bindings, char **msg) {
  const cJSON *bs = bindings ? cJSON_GetObjectItemCaseSensitive(bindings,
                                                                "Buckets")
                             : NULL;
  *msg = NULL;
  if (!cJSON_IsArray(bs) || !bs->child) return 0;
  char *root = asl_lake_root();
  int i = 0, rc = 0;
  for (const cJSON *b = bs->child; b && !rc; b = b->next, i++) {
    asl_error e = {0};
    if (!cJSON_IsString(b) || asl_lake_check_bucket(b->valuestring, &e) < 0 ||
        (asl_lake_make_bucket(root, b->valuestring, &e) < 0 &&
         strcmp(e.name, "BucketAlreadyOwnedByYou") != 0)) {
      *msg = asl_sprintf("/Buckets/%d: %s", i,
                         e.cause ? e.cause : "must be a bucket name");
      rc = -1;
    }
    asl_error_clear(&e);
  }
  free(root);
  return rc;
}
