/* mysql.c: connections, the OUTFILE-shaped export into the lake, and the
 * embedded MariaDB server (see mysql.h). */
#include "mysql.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "lake.h"

/* With a deadline, a watchdog thread shuts the connection's socket when
 * it passes: whatever call is blocked in a read or write returns at once
 * (read timeouts alone would let a statement started just before the
 * deadline run for a whole timeout more). */
struct asl_mysql {
  MYSQL *db;
  double deadline;
  int has_dog, closing;
  pthread_t dog;
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

static void *watchdog(void *arg);

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_ok;

/* mysql_library_init is not thread-safe: once per process, before any
 * mysql_init (which would otherwise call it from whichever thread). */
static void lib_init(void) { lib_ok = mysql_library_init(0, NULL, NULL) == 0; }

void asl_mysql_thread_end(void) { mysql_thread_end(); }

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int past(double deadline) {
  return deadline > 0 && now_epoch() >= deadline - 0.01;
}

/* The error of m's last call, or States.Timeout when the deadline has
 * passed (a read timeout set to end at the deadline is how a blocked
 * read gives up). */
static int db_error(MYSQL *db, double deadline, asl_error *err) {
  if (past(deadline)) return asl_error_set(err, "States.Timeout", NULL);
  unsigned code = mysql_errno(db);
  char name[32];
  snprintf(name, sizeof name, "MySQL.%u", code);
  return asl_error_set(err, name, "%s", mysql_error(db));
}

unsigned asl_mysql_errno(const asl_error *err) {
  if (!err->name || strncmp(err->name, "MySQL.", 6) != 0) return 0;
  return (unsigned)strtoul(err->name + 6, NULL, 10);
}

/* Seconds left before the deadline, rounded up, at least 1; 0: none. */
static unsigned secs_left(double deadline) {
  if (deadline <= 0) return 0;
  double left = ceil(deadline - now_epoch());
  return left < 1 ? 1 : left > 86400 ? 86400 : (unsigned)left;
}

/* The errno of a plain TCP connect to host:port (ETIMEDOUT after
 * timeout seconds), 0 when it connects. Connector/C reports a refused
 * connection as "(115)" (EINPROGRESS, from its non-blocking connect); this
 * finds the real reason for the message. */
static int probe_tcp(const char *host, unsigned port, unsigned timeout) {
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  char ps[16];
  snprintf(ps, sizeof ps, "%u", port);
  if (getaddrinfo(host, ps, &hints, &ai) != 0 || !ai) return EHOSTUNREACH;
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int e = 0;
  if (fd < 0) {
    e = errno;
  } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    e = errno;
    if (e == EINPROGRESS) {
      struct pollfd pf = {fd, POLLOUT, 0};
      int r = poll(&pf, 1, (int)timeout * 1000);
      socklen_t len = sizeof e;
      if (r == 0)
        e = ETIMEDOUT;
      else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    }
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(ai);
  return e;
}

int asl_mysql_connect(const asl_mysql_opts *o, asl_mysql **out,
                      asl_error *err) {
  *out = NULL;
  pthread_once(&lib_once, lib_init);
  if (!lib_ok)
    return asl_error_set(err, "MySQL.2000",
                         "MariaDB Connector/C did not initialise");
  char *embedded = NULL;
  const char *host = o->host, *sock = o->socket;
  if (!host && !sock) {
    if (asl_mysql_server_start(&embedded, NULL, err) < 0) return -1;
    sock = embedded;
  }
  MYSQL *db = mysql_init(NULL);
  if (!db) {
    free(embedded);
    return asl_error_set(err, "MySQL.2008", "MySQL client ran out of memory");
  }
  unsigned ct = o->connect_timeout ? o->connect_timeout : 10;
  unsigned left = secs_left(o->deadline);
  if (left && left < ct) ct = left;
  mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
  if (left) {
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &left);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &left);
  }
  mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  unsigned proto = host ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  mysql_options(db, MYSQL_OPT_PROTOCOL, &proto);
  int rc = 0;
  if (!mysql_real_connect(db, host, o->user ? o->user : "root", o->password,
                          o->database, host ? (o->port ? o->port : 3306) : 0,
                          host ? NULL : sock, 0)) {
    rc = db_error(db, o->deadline, err);
    unsigned code = mysql_errno(db);
    const char *msg = mysql_error(db);
    size_t ml = strlen(msg);
    unsigned port = o->port ? o->port : 3306;
    if (host && rc < 0 && err->name && strcmp(err->name, "States.Timeout") &&
        (code == 2002 || code == 2003) && ml > 5 &&
        strcmp(msg + ml - 5, "(115)") == 0) {
      int e = probe_tcp(host, port, ct);
      asl_error_set(err, "MySQL.2003", "Can't connect to server on '%s' (%d)",
                    host, e ? e : EINPROGRESS);
    } else if (host && code == 2013 && strstr(msg, "handshake") &&
               strstr(msg, "110")) {
      /* no answer at all: a connect that timed out */
      asl_error_set(err, "MySQL.2003", "Can't connect to server on '%s' (%d)",
                    host, ETIMEDOUT);
    }
    mysql_close(db);
  } else {
    asl_mysql *m = asl_calloc(1, sizeof *m);
    m->db = db;
    m->deadline = o->deadline;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL); /* CLOCK_REALTIME: deadlines are epoch */
    if (o->deadline > 0)
      m->has_dog = pthread_create(&m->dog, NULL, watchdog, m) == 0;
    *out = m;
  }
  free(embedded);
  return rc;
}

static void *watchdog(void *arg) {
  asl_mysql *m = arg;
  struct timespec until;
  until.tv_sec = (time_t)m->deadline;
  until.tv_nsec = (long)((m->deadline - (double)until.tv_sec) * 1e9);
  pthread_mutex_lock(&m->mu);
  int rc = 0;
  while (!m->closing && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&m->cv, &m->mu, &until);
  if (!m->closing) {
    int fd = (int)mysql_get_socket(m->db);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }
  pthread_mutex_unlock(&m->mu);
  return NULL;
}

void asl_mysql_close(asl_mysql *m) {
  if (!m) return;
  if (m->has_dog) {
    pthread_mutex_lock(&m->mu);
    m->closing = 1;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->dog, NULL);
  }
  pthread_mutex_destroy(&m->mu);
  pthread_cond_destroy(&m->cv);
  mysql_close(m->db);
  free(m);
}

/* Gives up a half-read result at once: mysql_free_result would read the
 * rest of the rows to keep the protocol in step, which for a big export
 * stopped at its deadline is what we must not wait for. The socket is shut
 * first, so that read fails at once; the connection is then unusable. */
static void drop_result(asl_mysql *m, MYSQL_RES *res) {
  int fd = (int)mysql_get_socket(m->db);
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
  mysql_free_result(res);
}

int asl_mysql_query(asl_mysql *m, const char *sql, asl_mysql_row_fn row,
                    void *ud, asl_error *err) {
  if (past(m->deadline)) return asl_error_set(err, "States.Timeout", NULL);
  if (mysql_real_query(m->db, sql, strlen(sql)) != 0)
    return db_error(m->db, m->deadline, err);
  MYSQL_RES *res = mysql_use_result(m->db);
  if (!res) {
    if (mysql_field_count(m->db) == 0) return 0; /* no result set */
    return db_error(m->db, m->deadline, err);
  }
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD *f = mysql_fetch_fields(res);
  if (row) {
    const char **names = asl_calloc(n ? n : 1, sizeof *names);
    unsigned long *lens = asl_calloc(n ? n : 1, sizeof *lens);
    for (unsigned i = 0; i < n; i++) {
      names[i] = f[i].name;
      lens[i] = f[i].name_length;
    }
    int stop = row(ud, 1, n, names, lens);
    free(names);
    free(lens);
    if (stop) {
      drop_result(m, res);
      return asl_error_set(err, "MySQL.0", "stopped");
    }
  }
  MYSQL_ROW r;
  unsigned long rows = 0;
  while ((r = mysql_fetch_row(res)) != NULL) {
    if (row &&
        row(ud, 0, n, (const char *const *)r, mysql_fetch_lengths(res)) != 0) {
      drop_result(m, res);
      return asl_error_set(err, "MySQL.0", "stopped");
    }
    if ((++rows & 1023) == 0 && past(m->deadline)) {
      drop_result(m, res);
      return asl_error_set(err, "States.Timeout", NULL);
    }
  }
  int rc = mysql_errno(m->db) ? db_error(m->db, m->deadline, err) : 0;
  mysql_free_result(res);
  return rc;
}

int asl_mysql_exec(asl_mysql *m, const char *sql, asl_error *err) {
  return asl_mysql_query(m, sql, NULL, NULL, err);
}

/* ---- OUTFILE escaping ----
 * MySQL's SELECT ... INTO OUTFILE with FIELDS ESCAPED BY '\\' (the
 * default, which Aurora's INTO OUTFILE S3 keeps) writes NULL as \N and puts
 * the escape character before: itself, the first character of FIELDS
 * TERMINATED BY, the first character of LINES TERMINATED BY, and ASCII NUL
 * (written as \0). Values of numeric columns are written as they are, even
 * when the field terminator is a character a number holds ('.'): that is
 * what MariaDB's own INTO OUTFILE writes (tests/integration/mysql_test.py
 * compares our bytes with it). */
static int must_escape(unsigned char c, unsigned char ft, unsigned char lt) {
  return c == '\\' || c == ft || c == lt || c == 0;
}

void asl_mysql_outfile_field(asl_buf *buf, const char *v, size_t len,
                             int numeric, const char *fterm,
                             const char *lterm) {
  if (!v) {
    asl_buf_add(buf, "\\N", 2);
    return;
  }
  if (numeric) {
    asl_buf_add(buf, v, len);
    return;
  }
  unsigned char ft = (unsigned char)fterm[0], lt = (unsigned char)lterm[0];
  size_t from = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)v[i];
    if (!must_escape(c, ft, lt)) continue;
    asl_buf_add(buf, v + from, i - from);
    char e[2] = {'\\', c ? (char)c : '0'};
    asl_buf_add(buf, e, 2);
    from = i + 1;
  }
  asl_buf_add(buf, v + from, len - from);
}

/* ---- export ---- */

/* Aurora MySQL, "Saving data from an Amazon Aurora MySQL DB cluster into
 * text files in an Amazon S3 bucket" (AuroraUserGuide,
 * AuroraMySQL.Integrating.SaveIntoS3): SELECT ... INTO OUTFILE S3
 * 's3://bucket/prefix' writes objects named prefix.part_00000,
 * prefix.part_00001, ...; a new file starts once one reaches the file size
 * threshold (6 GB by default), rows are never split across files (so a file
 * may pass the threshold by the row that crosses it); no header unless
 * asked; OVERWRITE ON replaces files of that prefix. Aurora writes the
 * files to local disk first and uploads them when the query is done, so a
 * statement that fails leaves S3 as it was: we stage every part and
 * publish them together. */

typedef struct exporter {
  const asl_mysql_export_opts *o;
  const char *fterm, *lterm;
  long long part_size;
  asl_lake_writer **parts; /* staged; the last may still be open */
  size_t nparts, cap;
  asl_buf field; /* one escaped field, reused */
} exporter;

static char *part_key(const char *prefix, size_t i) {
  return asl_sprintf("%s.part_%05zu", prefix, i);
}

static int new_part(exporter *x, asl_error *err) {
  if (x->nparts && asl_lake_write_finish(x->parts[x->nparts - 1], err) < 0)
    return -1;
  char *key = part_key(x->o->prefix, x->nparts);
  asl_lake_writer *w = asl_lake_write_open(x->o->root, x->o->bucket, key, err);
  free(key);
  if (!w) return -1;
  if (x->nparts == x->cap) {
    x->cap = x->cap ? x->cap * 2 : 8;
    x->parts = asl_realloc(x->parts, x->cap * sizeof *x->parts);
  }
  x->parts[x->nparts++] = w;
  return 0;
}

static void abort_parts(exporter *x) {
  for (size_t i = 0; i < x->nparts; i++)
    asl_lake_write_abort(x->parts[i]);
  x->nparts = 0;
}

/* Deletes PREFIX.part_N objects with N >= from (an older, longer export). */
static int delete_stale(const asl_mysql_export_opts *o, size_t from,
                        asl_error *err) {
  char *pre = asl_sprintf("%s.part_", o->prefix);
  size_t plen = strlen(pre);
  asl_lake_list_req req = {0};
  req.prefix = pre;
  req.max_keys = ASL_LAKE_MAX_KEYS;
  char *token = NULL;
  int rc = 0;
  for (;;) {
    asl_lake_list page;
    req.token = token;
    if (asl_lake_list_objects(o->root, o->bucket, &req, &page, err) < 0) {
      rc = -1;
      break;
    }
    for (size_t i = 0; rc == 0 && i < page.nobjs; i++) {
      const char *num = page.objs[i].key + plen;
      size_t nd = strspn(num, "0123456789");
      if (nd < 5 || num[nd]) continue;
      if (strtoull(num, NULL, 10) < from) continue;
      rc = asl_lake_delete(o->root, o->bucket, page.objs[i].key, err);
    }
    free(token);
    token =
        page.truncated && page.next_token ? asl_strdup(page.next_token) : NULL;
    asl_lake_list_free(&page);
    if (rc < 0 || !token) break;
  }
  free(token);
  free(pre);
  return rc;
}

static int put(exporter *x, const void *p, size_t n, asl_error *err) {
  return asl_lake_write(x->parts[x->nparts - 1], p, n, err);
}

int asl_mysql_export(asl_mysql *m, const char *sql,
                     const asl_mysql_export_opts *o,
                     asl_mysql_export_result *res, asl_error *err) {
  memset(res, 0, sizeof *res);
  exporter x = {0};
  x.o = o;
  x.fterm = o->fields_terminated_by ? o->fields_terminated_by : ",";
  x.lterm = o->lines_terminated_by ? o->lines_terminated_by : "\n";
  x.part_size = o->part_size > 0 ? o->part_size : ASL_MYSQL_PART_SIZE;
  if (!*x.fterm || !*x.lterm)
    return asl_error_set(err, "InvalidArgument",
                         "the field and line terminators must not be empty");
  size_t flen = strlen(x.fterm), llen = strlen(x.lterm);
  double deadline =
      o->deadline > 0 && (m->deadline <= 0 || o->deadline < m->deadline)
          ? o->deadline
          : m->deadline;
  /* the first part exists before the query: a missing bucket or a bad
   * prefix fails before any work, and an empty result is one empty part */
  if (new_part(&x, err) < 0) return -1;
  if (past(deadline)) {
    abort_parts(&x);
    free(x.parts);
    return asl_error_set(err, "States.Timeout", NULL);
  }
  if (mysql_real_query(m->db, sql, strlen(sql)) != 0) {
    db_error(m->db, deadline, err);
    goto fail;
  }
  MYSQL_RES *r = mysql_use_result(m->db);
  if (!r) {
    if (mysql_field_count(m->db) == 0)
      asl_error_set(err, "MySQL.0",
                    "/exports: the statement returns no result set (an "
                    "export needs a SELECT): %s",
                    sql);
    else
      db_error(m->db, deadline, err);
    goto fail;
  }
  unsigned n = mysql_num_fields(r);
  MYSQL_FIELD *f = mysql_fetch_fields(r);
  char *numeric = asl_calloc(n ? n : 1, 1);
  for (unsigned i = 0; i < n; i++)
    numeric[i] = IS_NUM(f[i].type) ? 1 : 0;
  MYSQL_ROW row;
  long long part_bytes = 0;
  int failed = 0;
  while (!failed && (row = mysql_fetch_row(r)) != NULL) {
    unsigned long *lens = mysql_fetch_lengths(r);
    if (part_bytes >= x.part_size) {
      if (new_part(&x, err) < 0) {
        failed = 1;
        break;
      }
      part_bytes = 0;
    }
    x.field.len = 0;
    for (unsigned i = 0; i < n; i++) {
      if (i) asl_buf_add(&x.field, x.fterm, flen);
      asl_mysql_outfile_field(&x.field, row[i], row[i] ? lens[i] : 0,
                              numeric[i], x.fterm, x.lterm);
      /* a wide row goes out in pieces: memory stays bounded by one value */
      if (x.field.len >= 65536) {
        if (put(&x, x.field.s, x.field.len, err) < 0) {
          failed = 1;
          break;
        }
        part_bytes += (long long)x.field.len;
        res->bytes += (long long)x.field.len;
        x.field.len = 0;
      }
    }
    if (failed) break;
    asl_buf_add(&x.field, x.lterm, llen);
    if (put(&x, x.field.s, x.field.len, err) < 0) {
      failed = 1;
      break;
    }
    part_bytes += (long long)x.field.len;
    res->bytes += (long long)x.field.len;
    res->rows++;
    if ((res->rows & 1023) == 0 && past(deadline)) {
      asl_error_set(err, "States.Timeout", NULL);
      failed = 1;
    }
  }
  free(numeric);
  if (!failed && mysql_errno(m->db)) {
    db_error(m->db, deadline, err);
    failed = 1;
  }
  if (failed) {
    drop_result(m, r);
    goto fail;
  }
  mysql_free_result(r);
  /* publish: every part, then drop what is left of an older export */
  res->keys = asl_calloc(x.nparts, sizeof *res->keys);
  for (size_t i = 0; i < x.nparts; i++) {
    asl_lake_writer *w = x.parts[i];
    x.parts[i] = NULL;
    if (asl_lake_write_commit(w, NULL, err) < 0) {
      for (size_t j = i + 1; j < x.nparts; j++)
        asl_lake_write_abort(x.parts[j]);
      x.nparts = 0;
      goto fail;
    }
    res->keys[res->nkeys++] = part_key(o->prefix, i);
  }
  if (delete_stale(o, x.nparts, err) < 0) goto fail;
  free(x.parts);
  asl_buf_free(&x.field);
  return 0;
fail:
  abort_parts(&x);
  free(x.parts);
  asl_buf_free(&x.field);
  asl_mysql_export_result_free(res);
  return -1;
}

void asl_mysql_export_result_free(asl_mysql_export_result *r) {
  for (size_t i = 0; i < r->nkeys; i++)
    free(r->keys[i]);
  free(r->keys);
  r->keys = NULL;
  r->nkeys = 0;
}

/* ---- the embedded server ----
 * $ASL_HOME/mysql (mode 0700: only its owner reaches the socket, which is
 * how root without a password is safe) holds data/ (made once by
 * mariadb-install-db), mysqld.sock, mysqld.pid, error.log, install.log,
 * tmp/ and lock (flock: one starter or stopper at a time, across
 * processes). No TCP port, no system service, no /etc/mysql (every program
 * runs with --no-defaults). The server is started in its own session and
 * outlives asl: later runs find its pid and socket and reuse it. */

#define START_WAIT 60.0 /* seconds for install + start, a slow CI machine */
#define STOP_WAIT 60.0

typedef struct srv_paths {
  char *dir, *data, *sock, *pid, *log, *install_log, *tmp, *lock;
} srv_paths;

static void paths_free(srv_paths *p) {
  free(p->dir);
  free(p->data);
  free(p->sock);
  free(p->pid);
  free(p->log);
  free(p->install_log);
  free(p->tmp);
  free(p->lock);
}

static void mkdir_p(const char *path, mode_t mode) {
  char *p = asl_strdup(path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, 0777);
      *s = '/';
    }
  mkdir(p, mode);
  free(p);
}

/* The folder's paths, absolute; create: make the folder (0700). */
static int server_paths(srv_paths *p, int create, asl_error *err) {
  memset(p, 0, sizeof *p);
  char *home = asl_home_dir();
  char *dir = asl_sprintf("%s/mysql", home);
  free(home);
  if (create) {
    mkdir_p(dir, 0700);
    chmod(dir, 0700);
  }
  char real[PATH_MAX];
  if (!realpath(dir, real)) {
    int e = errno;
    free(dir);
    if (!create && e == ENOENT) return -1;
    return asl_error_set(err, "MySQL.Server", "cannot use %s: %s",
                         create ? "$ASL_HOME/mysql" : "", strerror(e));
  }
  free(dir);
  p->dir = asl_strdup(real);
  p->data = asl_sprintf("%s/data", real);
  p->sock = asl_sprintf("%s/mysqld.sock", real);
  p->pid = asl_sprintf("%s/mysqld.pid", real);
  p->log = asl_sprintf("%s/error.log", real);
  p->install_log = asl_sprintf("%s/install.log", real);
  p->tmp = asl_sprintf("%s/tmp", real);
  p->lock = asl_sprintf("%s/lock", real);
  if (strlen(p->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    asl_error_set(err, "MySQL.Server",
                  "the socket path %s is too long for a Unix socket (108 "
                  "bytes): set ASL_HOME to a shorter folder",
                  p->sock);
    paths_free(p);
    return -1;
  }
  return 0;
}

static int read_pid(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  long v = 0;
  if (fscanf(f, "%ld", &v) != 1) v = 0;
  fclose(f);
  return v > 1 && v < INT_MAX ? (int)v : 0;
}

/* 0: pid is gone (or a zombie); 1: it runs mariadbd (or mysqld); 2: it
 * runs something else (a child between fork and exec, or a reused pid). */
static int proc_state(int pid) {
  if (pid <= 1) return 0;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return kill(pid, 0) == 0 ? 1 : 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  /* "pid (comm) S ...": the state follows the last ')' */
  char *rp = strrchr(buf, ')');
  if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X') return 0;
  char *lp = strchr(buf, '(');
  return lp && (strncmp(lp + 1, "mariadbd", 8) == 0 ||
                strncmp(lp + 1, "mysqld", 6) == 0)
             ? 1
             : 2;
}

static int server_alive(int pid) { return proc_state(pid) == 1; }

/* The server at sock accepts root (2 s connect timeout). */
static int server_ping(const char *sock) {
  pthread_once(&lib_once, lib_init);
  MYSQL *db = mysql_init(NULL);
  if (!db) return 0;
  unsigned t = 2, proto = MYSQL_PROTOCOL_SOCKET;
  mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &t);
  mysql_options(db, MYSQL_OPT_PROTOCOL, &proto);
  int ok = mysql_real_connect(db, NULL, "root", NULL, NULL, 0, sock, 0) != NULL;
  mysql_close(db);
  return ok;
}

/* The last ~1500 bytes of a log, for messages. New string. */
static char *log_tail(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return asl_sprintf("(no log at %s)", path);
  char buf[1501];
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, size > 1500 ? size - 1500 : 0, SEEK_SET);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return asl_sprintf("%s:\n%s", path, buf);
}

/* The program's path: PATH, then the sbin folders Debian keeps mariadbd in
 * (not on a normal user's PATH). New string or NULL. */
static char *find_program(const char *name) {
  const char *path = getenv("PATH");
  char *all = asl_sprintf("%s:/usr/sbin:/usr/local/sbin:/usr/bin:/sbin",
                          path ? path : "");
  char *res = NULL, *save = NULL;
  for (char *d = strtok_r(all, ":", &save); d && !res;
       d = strtok_r(NULL, ":", &save)) {
    char *p = asl_sprintf("%s/%s", *d ? d : ".", name);
    if (access(p, X_OK) == 0)
      res = p;
    else
      free(p);
  }
  free(all);
  return res;
}

/* In a child after fork: default signals, an empty mask, fds 0-2 on
 * /dev/null (stdout and stderr on log when given), nothing else open. */
static void child_setup(const char *log) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < 32; s++)
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  int nul = open("/dev/null", O_RDWR);
  int out = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
  if (nul >= 0) dup2(nul, 0);
  dup2(out >= 0 ? out : nul, 1);
  dup2(out >= 0 ? out : nul, 2);
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0) != 0)
#endif
    for (int fd = 3; fd < 1024; fd++)
      close(fd);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static int is_root(void) { return geteuid() == 0; }

/* mariadb-install-db into data (through data.new, so a failed install is
 * never taken for a finished one). */
static int install_db(const srv_paths *p, asl_error *err) {
  char *prog = find_program("mariadb-install-db");
  if (!prog)
    return asl_error_set(err, "MySQL.Server",
                         "mariadb-install-db is not installed (Debian: apt-get "
                         "install mariadb-server)");
  char *tmp = asl_sprintf("%s.new", p->data);
  nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  char *a_dir = asl_sprintf("--datadir=%s", tmp);
  const char *argv[8];
  int k = 0;
  argv[k++] = prog;
  argv[k++] = "--no-defaults";
  argv[k++] = a_dir;
  /* root@localhost with an (empty) password login rather than unix_socket
   * auth, so any OS user who owns the folder connects as root */
  argv[k++] = "--auth-root-authentication-method=normal";
  argv[k++] = "--skip-test-db";
  if (is_root()) argv[k++] = "--user=root";
  argv[k] = NULL;
  int rc = 0;
  pid_t c = fork();
  if (c == 0) {
    child_setup(p->install_log);
    execv(prog, (char *const *)argv);
    _exit(127);
  }
  int st = 0;
  if (c < 0 || waitpid(c, &st, 0) < 0 || !WIFEXITED(st) ||
      WEXITSTATUS(st) != 0) {
    char *tail = log_tail(p->install_log);
    rc = asl_error_set(err, "MySQL.Server", "mariadb-install-db failed: %s",
                       tail);
    free(tail);
  } else if (rename(tmp, p->data) != 0) {
    rc = asl_error_set(err, "MySQL.Server", "cannot rename %s: %s", tmp,
                       strerror(errno));
  }
  free(a_dir);
  free(tmp);
  free(prog);
  return rc;
}

/* Starts mariadbd in its own session (double fork: it is nobody's child
 * here and outlives us). *pid: the server's pid. */
static int launch(const srv_paths *p, int *pid, asl_error *err) {
  char *prog = find_program("mariadbd");
  if (!prog)
    return asl_error_set(err, "MySQL.Server",
                         "mariadbd is not installed (Debian: apt-get install "
                         "mariadb-server)");
  char *a[8];
  a[0] = asl_sprintf("--datadir=%s", p->data);
  a[1] = asl_sprintf("--socket=%s", p->sock);
  a[2] = asl_sprintf("--pid-file=%s", p->pid);
  a[3] = asl_sprintf("--log-error=%s", p->log);
  a[4] = asl_sprintf("--tmpdir=%s", p->tmp);
  const char *argv[20];
  int k = 0;
  argv[k++] = prog;
  argv[k++] = "--no-defaults";
  for (int i = 0; i < 5; i++)
    argv[k++] = a[i];
  argv[k++] = "--skip-networking";
  argv[k++] = "--skip-name-resolve";
  argv[k++] = "--innodb-buffer-pool-size=32M";
  argv[k++] = "--innodb-log-file-size=16M";
  argv[k++] = "--character-set-server=utf8mb4";
  argv[k++] = "--collation-server=utf8mb4_general_ci";
  if (is_root()) argv[k++] = "--user=root"; /* mariadbd refuses root else */
  argv[k] = NULL;
  mkdir(p->tmp, 0700);
  int pfd[2];
  int rc = 0;
  if (pipe2(pfd, O_CLOEXEC) != 0) {
    rc = asl_error_set(err, "MySQL.Server", "pipe: %s", strerror(errno));
    goto out;
  }
  pid_t c = fork();
  if (c == 0) {
    setsid();
    pid_t g = fork();
    if (g == 0) {
      child_setup(NULL);
      execv(prog, (char *const *)argv);
      _exit(127);
    }
    ssize_t w = write(pfd[1], &g, sizeof g);
    _exit(w == (ssize_t)sizeof g ? 0 : 1);
  }
  close(pfd[1]);
  pid_t g = -1;
  if (c > 0) {
    ssize_t r;
    do
      r = read(pfd[0], &g, sizeof g);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof g) g = -1;
    waitpid(c, NULL, 0);
  }
  close(pfd[0]);
  if (g <= 0)
    rc = asl_error_set(err, "MySQL.Server", "cannot start %s: %s", prog,
                       strerror(errno));
  else
    *pid = (int)g;
out:
  for (int i = 0; i < 5; i++)
    free(a[i]);
  free(prog);
  return rc;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits until the server at pid accepts connections. */
static int wait_ready(const srv_paths *p, int pid, asl_error *err) {
  double until = now_epoch() + START_WAIT;
  for (;;) {
    int st = proc_state(pid); /* 2: not exec'd yet */
    if (st == 0) {
      char *tail = log_tail(p->log);
      int rc = asl_error_set(err, "MySQL.Server",
                             "mariadbd (pid %d) ended while starting; %s", pid,
                             tail);
      free(tail);
      return rc;
    }
    if (st == 1 && server_ping(p->sock)) return 0;
    if (now_epoch() > until) {
      char *tail = log_tail(p->log);
      int rc = asl_error_set(err, "MySQL.Server",
                             "mariadbd (pid %d) did not accept connections "
                             "within %.0f s; %s",
                             pid, START_WAIT, tail);
      free(tail);
      return rc;
    }
    sleep_ms(100);
  }
}

static int lock_dir(const srv_paths *p, asl_error *err) {
  int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return asl_error_set(err, "MySQL.Server", "cannot open %s: %s", p->lock,
                         strerror(errno));
  while (flock(fd, LOCK_EX) != 0)
    if (errno != EINTR) {
      close(fd);
      return asl_error_set(err, "MySQL.Server", "cannot lock %s: %s", p->lock,
                           strerror(errno));
    }
  return fd;
}

static void unlock_dir(int fd) {
  flock(fd, LOCK_UN);
  close(fd);
}

int asl_mysql_server_start(char **socket, int *pid, asl_error *err) {
  if (socket) *socket = NULL;
  srv_paths p;
  if (server_paths(&p, 1, err) < 0) return -1;
  int fd = lock_dir(&p, err);
  if (fd < 0) {
    paths_free(&p);
    return -1;
  }
  int rc = 0, spid = read_pid(p.pid);
  if (server_alive(spid)) {
    rc = wait_ready(&p, spid, err); /* a start killed half-way: it goes on */
  } else {
    /* stale: a server that died, or a machine that rebooted */
    unlink(p.pid);
    unlink(p.sock);
    char *probe = asl_sprintf("%s/mysql", p.data);
    struct stat sb;
    if (stat(probe, &sb) != 0) rc = install_db(&p, err);
    free(probe);
    if (rc == 0) rc = launch(&p, &spid, err);
    if (rc == 0) rc = wait_ready(&p, spid, err);
  }
  unlock_dir(fd);
  if (rc == 0) {
    if (socket) *socket = asl_strdup(p.sock);
    if (pid) *pid = spid;
  }
  paths_free(&p);
  return rc;
}

int asl_mysql_server_status(char **socket, int *pid) {
  if (socket) *socket = NULL;
  srv_paths p;
  asl_error e = {0};
  if (server_paths(&p, 0, &e) < 0) {
    asl_error_clear(&e);
    return 0;
  }
  int spid = read_pid(p.pid), up = server_alive(spid);
  if (up) {
    if (socket) *socket = asl_strdup(p.sock);
    if (pid) *pid = spid;
  }
  paths_free(&p);
  return up;
}

int asl_mysql_server_stop(asl_error *err) {
  srv_paths p;
  asl_error e = {0};
  if (server_paths(&p, 0, &e) < 0) {
    asl_error_clear(&e);
    return 0; /* never started here */
  }
  int fd = lock_dir(&p, err);
  if (fd < 0) {
    paths_free(&p);
    return -1;
  }
  int rc = 0, spid = read_pid(p.pid);
  if (server_alive(spid)) {
    /* SHUTDOWN as root over the socket; SIGTERM (also a clean shutdown
     * for mariadbd) when that fails */
    pthread_once(&lib_once, lib_init);
    MYSQL *db = mysql_init(NULL);
    unsigned t = 5, proto = MYSQL_PROTOCOL_SOCKET;
    int asked = 0;
    if (db) {
      mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &t);
      mysql_options(db, MYSQL_OPT_PROTOCOL, &proto);
      if (mysql_real_connect(db, NULL, "root", NULL, NULL, 0, p.sock, 0))
        asked = mysql_query(db, "SHUTDOWN") == 0;
      mysql_close(db);
    }
    if (!asked) kill(spid, SIGTERM);
    double until = now_epoch() + STOP_WAIT;
    while (server_alive(spid) && now_epoch() < until)
      sleep_ms(50);
    if (server_alive(spid)) {
      kill(spid, SIGKILL);
      sleep_ms(200);
      rc = asl_error_set(err, "MySQL.Server",
                         "mariadbd (pid %d) did not stop within %.0f s: killed",
                         spid, STOP_WAIT);
    }
  }
  unlink(p.pid);
  unlock_dir(fd);
  paths_free(&p);
  return rc;
}
