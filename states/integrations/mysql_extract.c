/* mysql_extract.c: the "mysql-extract" built-in task: runs setup
 * statements on a MySQL/MariaDB server and exports tables or queries into
 * the lake as Aurora MySQL's SELECT ... INTO OUTFILE S3 writes them (the
 * seed ETL's extract Lambda, docs/bindings.md "mysql-extract"). The rows
 * stream (lake/mysql.h): memory stays bounded whatever the table's size.
 *
 * The event (the binding's "args" laid over the Task's input):
 *   {"connection": {"host", "port", "socket", "user", "database",
 *                   "password_env", "connect_timeout"},
 *    "setup": ["SQL", ...],
 *    "exports": [{"table": "db.t" | "query": "SELECT ...",
 *                 "to": "s3://bucket/prefix", "part_size": bytes,
 *                 "fields_terminated_by": ",", "lines_terminated_by": "\n"}],
 *    "part_size": bytes}
 * No host and no socket: the embedded server ($ASL_HOME/mysql).
 *
 * Failures are answered as the seed's Python Lambda (pymysql) would fail:
 * errorType the pymysql exception class, errorMessage its str(), e.g.
 * (1146, "Table 'myschema.nope' doesn't exist"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/json.h"
#include "../../lake/lake.h"
#include "../../lake/mysql.h"
#include "lambda.h"

#define MAX_OBJECTS_LISTED 100

static asl_builtin_status raise_error(cJSON **out, const char *type,
                                      const char *message) {
  *out = cJSON_CreateObject();
  cJSON_AddStringToObject(*out, "errorType", type);
  cJSON_AddStringToObject(*out, "errorMessage", message);
  return ASL_BUILTIN_ERROR;
}

static asl_builtin_status bad_arg(cJSON **out, const char *fmt, ...)
    ASL_PRINTF(2, 3);
static asl_builtin_status bad_arg(cJSON **out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = asl_vsprintf(fmt, ap);
  va_end(ap);
  char *msg = asl_sprintf("mysql-extract: %s", m);
  raise_error(out, "ValueError", msg);
  free(m);
  free(msg);
  return ASL_BUILTIN_ERROR;
}

/* ---- pymysql's exceptions ---- */

/* pymysql/err.py's error_map (PyMySQL 1.0, the seed's version): server
 * error numbers to exception classes; others are OperationalError from
 * 1000 up and InternalError below (PyMySQL PR #823, since 0.10). */
static const struct {
  unsigned code;
  const char *cls;
} error_map[] = {
    /* ProgrammingError */
    {1007, "ProgrammingError"}, /* DB_CREATE_EXISTS */
    {1149, "ProgrammingError"}, /* SYNTAX_ERROR */
    {1064, "ProgrammingError"}, /* PARSE_ERROR */
    {1146, "ProgrammingError"}, /* NO_SUCH_TABLE */
    {1102, "ProgrammingError"}, /* WRONG_DB_NAME */
    {1103, "ProgrammingError"}, /* WRONG_TABLE_NAME */
    {1110, "ProgrammingError"}, /* FIELD_SPECIFIED_TWICE */
    {1111, "ProgrammingError"}, /* INVALID_GROUP_FUNC_USE */
    {1112, "ProgrammingError"}, /* UNSUPPORTED_EXTENSION */
    {1113, "ProgrammingError"}, /* TABLE_MUST_HAVE_COLUMNS */
    {1179, "ProgrammingError"}, /* CANT_DO_THIS_DURING_AN_TRANSACTION */
    /* DataError */
    {1265, "DataError"}, /* WARN_DATA_TRUNCATED */
    {1263, "DataError"}, /* WARN_NULL_TO_NOTNULL */
    {1264, "DataError"}, /* WARN_DATA_OUT_OF_RANGE */
    {1230, "DataError"}, /* NO_DEFAULT */
    {1171, "DataError"}, /* PRIMARY_CANT_HAVE_NULL */
    {1406, "DataError"}, /* DATA_TOO_LONG */
    {1441, "DataError"}, /* DATETIME_FUNCTION_OVERFLOW */
    /* IntegrityError */
    {1062, "IntegrityError"}, /* DUP_ENTRY */
    {1216, "IntegrityError"}, /* NO_REFERENCED_ROW */
    {1452, "IntegrityError"}, /* NO_REFERENCED_ROW_2 */
    {1217, "IntegrityError"}, /* ROW_IS_REFERENCED */
    {1451, "IntegrityError"}, /* ROW_IS_REFERENCED_2 */
    {1215, "IntegrityError"}, /* CANNOT_ADD_FOREIGN */
    {1048, "IntegrityError"}, /* BAD_NULL_ERROR */
    /* NotSupportedError */
    {1196, "NotSupportedError"}, /* WARNING_NOT_COMPLETE_ROLLBACK */
    {1235, "NotSupportedError"}, /* NOT_SUPPORTED_YET */
    {1289, "NotSupportedError"}, /* FEATURE_DISABLED */
    {1286, "NotSupportedError"}, /* UNKNOWN_STORAGE_ENGINE */
    /* OperationalError */
    {1044, "OperationalError"}, /* DBACCESS_DENIED_ERROR */
    {1045, "OperationalError"}, /* ACCESS_DENIED_ERROR */
    {1040, "OperationalError"}, /* CON_COUNT_ERROR */
    {1142, "OperationalError"}, /* TABLEACCESS_DENIED_ERROR */
    {1143, "OperationalError"}, /* COLUMNACCESS_DENIED_ERROR */
    {4025, "OperationalError"}, /* CONSTRAINT_FAILED */
    {1213, "OperationalError"}, /* LOCK_DEADLOCK */
};

static const char *pymysql_class(unsigned code) {
  for (size_t i = 0; i < sizeof error_map / sizeof error_map[0]; i++)
    if (error_map[i].code == code) return error_map[i].cls;
  /* client-side errors (2000..2999) are pymysql's own OperationalErrors:
   * cannot connect, lost connection, gone away */
  return code >= 1000 ? "OperationalError" : "InternalError";
}

/* Python's repr() of a str: single quotes unless the text holds a single
 * quote and no double quote; backslash escapes for \\, the quote, \n \r \t
 * and other control characters. */
static void py_repr(asl_buf *b, const char *s) {
  char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
  asl_buf_putc(b, q);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\\' || *p == (unsigned char)q) {
      asl_buf_putc(b, '\\');
      asl_buf_putc(b, (char)*p);
    } else if (*p == '\n') {
      asl_buf_puts(b, "\\n");
    } else if (*p == '\r') {
      asl_buf_puts(b, "\\r");
    } else if (*p == '\t') {
      asl_buf_puts(b, "\\t");
    } else if (*p < 0x20 || *p == 0x7f) {
      asl_buf_printf(b, "\\x%02x", *p);
    } else {
      asl_buf_putc(b, (char)*p);
    }
  }
  asl_buf_putc(b, q);
}

/* str() of pymysql's exception: (code, 'message'). */
static char *py_exc_text(unsigned code, const char *msg) {
  asl_buf b = {0};
  asl_buf_printf(&b, "(%u, ", code);
  py_repr(&b, msg);
  asl_buf_putc(&b, ')');
  return asl_buf_take(&b);
}

/* pymysql's words for the client-side failures it raises itself; Connector/C
 * words them differently ("Can't connect to server on 'h' (111)"). */
static char *client_message(unsigned *code, const char *msg, const char *host) {
  if (*code == 2002 || *code == 2003) {
    /* pymysql: OperationalError(2003, "Can't connect to MySQL server on
     * %r (%s)" % (host, the OSError)) */
    const char *lp = strrchr(msg, '(');
    int os = lp ? atoi(lp + 1) : 0;
    asl_buf b = {0};
    asl_buf_puts(&b, "Can't connect to MySQL server on ");
    py_repr(&b, host ? host : "localhost");
    if (os == ETIMEDOUT || os == EAGAIN || strstr(msg, "timeout") ||
        strstr(msg, "timed out"))
      asl_buf_puts(&b, " (timed out)");
    else if (os > 0)
      asl_buf_printf(&b, " ([Errno %d] %s)", os, strerror(os));
    else
      asl_buf_printf(&b, " (%s)", msg);
    *code = 2003;
    return asl_buf_take(&b);
  }
  if (*code == 2006) return asl_strdup("MySQL server has gone away");
  if (*code == 2013)
    return asl_strdup("Lost connection to MySQL server during query");
  return asl_strdup(msg);
}

/* The Lambda-shaped error for err (from lake/mysql.h); TIMEOUT for the
 * deadline. */
static asl_builtin_status fail_with(asl_error *err, const char *host,
                                    const char *writing, cJSON **out) {
  asl_builtin_status st;
  if (err->name && strcmp(err->name, "States.Timeout") == 0) {
    st = ASL_BUILTIN_TIMEOUT;
  } else if (err->name && strcmp(err->name, "MySQL.Server") == 0) {
    /* the embedded server would not start: pymysql cannot connect */
    asl_buf b = {0};
    asl_buf_puts(&b, "Can't connect to MySQL server on 'localhost' "
                     "(embedded server: ");
    asl_buf_puts(&b, err->cause ? err->cause : "");
    asl_buf_putc(&b, ')');
    char *m = asl_buf_take(&b);
    char *text = py_exc_text(2003, m);
    st = raise_error(out, "OperationalError", text);
    free(text);
    free(m);
  } else if (err->name && strcmp(err->name, "MySQL.0") == 0) {
    /* not the server's: an export whose statement gives no rows */
    char *m = asl_sprintf("mysql-extract: %s", err->cause ? err->cause : "");
    st = raise_error(out, "ValueError", m);
    free(m);
  } else if (err->name && strncmp(err->name, "MySQL.", 6) == 0) {
    unsigned code = asl_mysql_errno(err);
    char *m = code >= 2000 && code < 3000
                  ? client_message(&code, err->cause ? err->cause : "", host)
                  : asl_strdup(err->cause ? err->cause : "");
    char *text = py_exc_text(code, m);
    st = raise_error(out, pymysql_class(code), text);
    free(text);
    free(m);
  } else {
    /* the lake refused the objects: on Aurora, the server's write of the
     * outfile fails (ER_ERROR_ON_WRITE) */
    char *m = asl_sprintf(
        "Error writing file '%s' (%s: %s)", writing ? writing : "?",
        err->name ? err->name : "InternalError", err->cause ? err->cause : "");
    char *text = py_exc_text(1026, m);
    st = raise_error(out, pymysql_class(1026), text);
    free(text);
    free(m);
  }
  asl_error_clear(err);
  return st;
}

/* ---- the event ---- */

static const char *opt_str(const cJSON *o, const char *name, int *bad) {
  const cJSON *v = asl_json_get(o, name);
  if (!v || cJSON_IsNull(v)) return NULL;
  if (!cJSON_IsString(v)) {
    *bad = 1;
    return NULL;
  }
  return v->valuestring;
}

/* A number that must be a whole count >= min; -1 when absent; -2 bad. */
static long long opt_count(const cJSON *o, const char *name, long long min) {
  const cJSON *v = asl_json_get(o, name);
  if (!v || cJSON_IsNull(v)) return -1;
  if (!cJSON_IsNumber(v) || v->valuedouble < (double)min ||
      v->valuedouble > 9e15 ||
      v->valuedouble != (double)(long long)v->valuedouble)
    return -2;
  return (long long)v->valuedouble;
}

/* "db.table" as `db`.`table` (backticks doubled). */
static char *quote_table(const char *t) {
  asl_buf b = {0};
  asl_buf_puts(&b, "SELECT * FROM ");
  if (strchr(t, '`')) { /* already quoted by the user */
    asl_buf_puts(&b, t);
    return asl_buf_take(&b);
  }
  asl_buf_putc(&b, '`');
  for (const char *p = t; *p; p++) {
    if (*p == '.')
      asl_buf_puts(&b, "`.`");
    else
      asl_buf_putc(&b, *p);
  }
  asl_buf_putc(&b, '`');
  return asl_buf_take(&b);
}

/* Reads the connection options; the password from the environment
 * (unless check_only: bindings are checked before the run's environment
 * matters). */
static asl_builtin_status read_connection(const cJSON *event, asl_mysql_opts *o,
                                          int check_only, cJSON **out) {
  const cJSON *c = asl_json_get(event, "connection");
  memset(o, 0, sizeof *o);
  if (!c || cJSON_IsNull(c)) return ASL_BUILTIN_OK; /* the embedded server */
  if (!cJSON_IsObject(c)) return bad_arg(out, "/connection: must be an object");
  if (asl_json_get(c, "password"))
    return bad_arg(out, "/connection/password: a password is never written "
                        "in a bindings file or an input; put it in an "
                        "environment variable and name that variable with "
                        "\"password_env\"");
  static const char *const known[] = {
      "host",     "port",         "socket",         "user",
      "database", "password_env", "connect_timeout"};
  for (const cJSON *m = c->child; m; m = m->next) {
    size_t i = 0;
    while (i < sizeof known / sizeof known[0] && strcmp(known[i], m->string))
      i++;
    if (i == sizeof known / sizeof known[0])
      return bad_arg(out,
                     "/connection/%s: unknown field (known: host, port, "
                     "socket, user, database, password_env, connect_timeout)",
                     m->string);
  }
  int bad = 0;
  o->host = opt_str(c, "host", &bad);
  if (bad) return bad_arg(out, "/connection/host: must be a string");
  o->socket = opt_str(c, "socket", &bad);
  if (bad) return bad_arg(out, "/connection/socket: must be a string");
  o->user = opt_str(c, "user", &bad);
  if (bad) return bad_arg(out, "/connection/user: must be a string");
  o->database = opt_str(c, "database", &bad);
  if (bad) return bad_arg(out, "/connection/database: must be a string");
  const char *penv = opt_str(c, "password_env", &bad);
  if (bad) return bad_arg(out, "/connection/password_env: must be a string");
  long long port = opt_count(c, "port", 1);
  if (port == -2 || port > 65535)
    return bad_arg(out, "/connection/port: must be a port number 1..65535");
  o->port = port > 0 ? (unsigned)port : 0;
  long long ct = opt_count(c, "connect_timeout", 1);
  if (ct == -2 || ct > 31536000)
    return bad_arg(out, "/connection/connect_timeout: must be a whole number "
                        "of seconds >= 1");
  o->connect_timeout = ct > 0 ? (unsigned)ct : 0;
  if (penv && !check_only) {
    const char *pw = getenv(penv);
    if (!pw) {
      char *m = asl_sprintf(
          "mysql-extract: /connection/password_env: the environment variable "
          "%s is not set (it should hold the MySQL password)",
          penv);
      raise_error(out, "KeyError", m);
      free(m);
      return ASL_BUILTIN_ERROR;
    }
    o->password = pw;
  }
  return ASL_BUILTIN_OK;
}

static int parse_s3(const char *uri, char **bucket, char **key) {
  *bucket = *key = NULL;
  if (strncmp(uri, "s3://", 5) != 0) return -1;
  const char *b = uri + 5, *slash = strchr(b, '/');
  if (!slash || slash == b || !slash[1]) return -1;
  *bucket = asl_strndup(b, (size_t)(slash - b));
  *key = asl_strdup(slash + 1);
  return 0;
}

typedef struct export_spec {
  char *sql, *source, *bucket, *prefix;
  const char *fterm, *lterm;
  long long part_size;
} export_spec;

static void specs_free(export_spec *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(s[i].sql);
    free(s[i].source);
    free(s[i].bucket);
    free(s[i].prefix);
  }
  free(s);
}

/* Checks every export before anything runs: a typo in the third export
 * must not leave the first two done. */
static asl_builtin_status read_exports(const cJSON *event, export_spec **out_s,
                                       size_t *out_n, cJSON **out) {
  *out_s = NULL;
  *out_n = 0;
  const cJSON *ex = asl_json_get(event, "exports");
  if (!ex || cJSON_IsNull(ex)) return ASL_BUILTIN_OK;
  if (!cJSON_IsArray(ex))
    return bad_arg(out, "/exports: must be an array of objects");
  long long def_part = opt_count(event, "part_size", 1);
  if (def_part == -2)
    return bad_arg(out, "/part_size: must be a whole number of bytes >= 1");
  size_t n = (size_t)cJSON_GetArraySize(ex), i = 0;
  export_spec *s = asl_calloc(n ? n : 1, sizeof *s);
  asl_builtin_status st = ASL_BUILTIN_OK;
  for (const cJSON *e = ex->child; e; e = e->next, i++) {
    int bad = 0;
    if (!cJSON_IsObject(e)) {
      st = bad_arg(out, "/exports/%zu: must be an object", i);
      break;
    }
    const char *table = opt_str(e, "table", &bad);
    const char *query = opt_str(e, "query", &bad);
    const char *to = opt_str(e, "to", &bad);
    s[i].fterm = opt_str(e, "fields_terminated_by", &bad);
    s[i].lterm = opt_str(e, "lines_terminated_by", &bad);
    long long ps = opt_count(e, "part_size", 1);
    if (bad || ps == -2) {
      st = bad_arg(out,
                   "/exports/%zu: table, query, to and the terminators are "
                   "strings, part_size a whole number of bytes >= 1",
                   i);
      break;
    }
    if ((table && *table) == (query && *query)) {
      st = bad_arg(out,
                   "/exports/%zu: give exactly one of \"table\" and "
                   "\"query\"",
                   i);
      break;
    }
    if ((s[i].fterm && !*s[i].fterm) || (s[i].lterm && !*s[i].lterm)) {
      st = bad_arg(out, "/exports/%zu: the terminators must not be empty", i);
      break;
    }
    asl_error le = {0};
    if (!to || parse_s3(to, &s[i].bucket, &s[i].prefix) < 0 ||
        asl_lake_check_bucket(s[i].bucket, &le) < 0 ||
        asl_lake_check_key(s[i].prefix, &le) < 0) {
      st = bad_arg(out,
                   "/exports/%zu/to: must be \"s3://BUCKET/PREFIX\" (objects "
                   "PREFIX.part_00000, ...)%s%s",
                   i, le.cause ? ": " : "", le.cause ? le.cause : "");
      asl_error_clear(&le);
      break;
    }
    s[i].sql = table ? quote_table(table) : asl_strdup(query);
    s[i].source = asl_strdup(table ? table : query);
    s[i].part_size = ps > 0 ? ps : def_part > 0 ? def_part : 0;
  }
  if (st != ASL_BUILTIN_OK) {
    specs_free(s, n);
    return st;
  }
  *out_s = s;
  *out_n = n;
  return ASL_BUILTIN_OK;
}

static asl_builtin_status check_setup(const cJSON *setup, cJSON **out) {
  if (!setup || cJSON_IsNull(setup)) return ASL_BUILTIN_OK;
  if (!cJSON_IsArray(setup))
    return bad_arg(out, "/setup: must be an array of SQL statements");
  int i = 0;
  for (const cJSON *s = setup->child; s; s = s->next, i++)
    if (!cJSON_IsString(s))
      return bad_arg(out, "/setup/%d: must be a string (one SQL statement)", i);
  return ASL_BUILTIN_OK;
}

int asl_mysql_extract_check(const cJSON *args, char **msg) {
  *msg = NULL;
  cJSON *out = NULL;
  asl_mysql_opts o;
  export_spec *specs = NULL;
  size_t n = 0;
  asl_builtin_status st = ASL_BUILTIN_OK;
  if (!cJSON_IsObject(args)) st = bad_arg(&out, "must be an object");
  if (st == ASL_BUILTIN_OK) st = read_connection(args, &o, 1, &out);
  if (st == ASL_BUILTIN_OK) st = check_setup(asl_json_get(args, "setup"), &out);
  if (st == ASL_BUILTIN_OK) st = read_exports(args, &specs, &n, &out);
  specs_free(specs, n);
  if (st == ASL_BUILTIN_OK) return 0;
  const cJSON *m = asl_json_get(out, "errorMessage");
  const char *text = cJSON_IsString(m) ? m->valuestring : "bad arguments";
  if (strncmp(text, "mysql-extract: ", 15) == 0) text += 15;
  *msg = asl_strdup(text);
  cJSON_Delete(out);
  return -1;
}

asl_builtin_status asl_builtin_mysql_extract(const cJSON *event,
                                             double deadline, cJSON **out) {
  if (!cJSON_IsObject(event))
    return bad_arg(out, "the event must be an object");
  asl_mysql_opts o;
  asl_builtin_status st = read_connection(event, &o, 0, out);
  if (st != ASL_BUILTIN_OK) return st;
  o.deadline = deadline;
  const cJSON *setup = asl_json_get(event, "setup");
  st = check_setup(setup, out);
  if (st != ASL_BUILTIN_OK) return st;
  export_spec *specs;
  size_t nspecs;
  st = read_exports(event, &specs, &nspecs, out);
  if (st != ASL_BUILTIN_OK) return st;

  asl_error err = {0};
  asl_mysql *m = NULL;
  char *root = asl_lake_root();
  char *writing = NULL;
  cJSON *exports = cJSON_CreateArray();
  int nsetup = 0;
  if (asl_mysql_connect(&o, &m, &err) < 0) goto fail;
  for (const cJSON *s = setup ? setup->child : NULL; s; s = s->next) {
    if (asl_mysql_exec(m, s->valuestring, &err) < 0) goto fail;
    nsetup++;
  }
  for (size_t i = 0; i < nspecs; i++) {
    asl_mysql_export_opts eo = {0};
    eo.root = root;
    eo.bucket = specs[i].bucket;
    eo.prefix = specs[i].prefix;
    eo.fields_terminated_by = specs[i].fterm;
    eo.lines_terminated_by = specs[i].lterm;
    eo.part_size = specs[i].part_size;
    eo.deadline = deadline;
    free(writing);
    writing = asl_sprintf("s3://%s/%s", eo.bucket, eo.prefix);
    asl_mysql_export_result r;
    if (asl_mysql_export(m, specs[i].sql, &eo, &r, &err) < 0) goto fail;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "source", specs[i].source);
    cJSON_AddNumberToObject(e, "rows", (double)r.rows);
    cJSON_AddNumberToObject(e, "bytes", (double)r.bytes);
    cJSON *objs = cJSON_AddArrayToObject(e, "objects");
    for (size_t k = 0; k < r.nkeys && k < MAX_OBJECTS_LISTED; k++) {
      char *u = asl_sprintf("s3://%s/%s", eo.bucket, r.keys[k]);
      cJSON_AddItemToArray(objs, cJSON_CreateString(u));
      free(u);
    }
    if (r.nkeys > MAX_OBJECTS_LISTED) /* keep the result small */
      cJSON_AddNumberToObject(e, "parts", (double)r.nkeys);
    cJSON_AddItemToArray(exports, e);
    asl_mysql_export_result_free(&r);
  }
  asl_mysql_close(m);
  asl_mysql_thread_end();
  *out = cJSON_CreateObject();
  cJSON_AddItemToObject(*out, "exports", exports);
  cJSON_AddNumberToObject(*out, "setup_statements", nsetup);
  specs_free(specs, nspecs);
  free(root);
  free(writing);
  return ASL_BUILTIN_OK;
fail:
  asl_mysql_close(m);
  asl_mysql_thread_end();
  cJSON_Delete(exports);
  st = fail_with(&err, o.host, writing, out);
  specs_free(specs, nspecs);
  free(root);
  free(writing);
  return st;
}
