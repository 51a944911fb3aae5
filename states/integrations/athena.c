/* athena.c: Athena for Task states, served by the local SQL engine
 * (lake/sql.h) and the lake (lake/lake.h).
 *
 * Resources:
 *  - arn:PARTITION:states:::athena:startQueryExecution[.sync],
 *    getQueryExecution, getQueryResults, stopQueryExecution: the optimized
 *    integration. AWS documents .sync for startQueryExecution only
 *    (step-functions/latest/dg/connect-athena), so only it matches with
 *    .sync. History names them resourceType "athena", resource
 *    "startQueryExecution.sync" etc.;
 *  - arn:PARTITION:states:::aws-sdk:athena:OPERATION for the same four:
 *    the SDK integration, resourceType "aws-sdk:athena".
 * .waitForTaskToken is the engine's (it calls startQueryExecution, then
 * waits for the token); AWS's page says Athena does not support it.
 *
 * Parameters are Athena's request members. Results are Athena's response
 * members in alphabetical order, as Step Functions serialises them; the
 * optimized integration adds SdkHttpMetadata and SdkResponseMetadata and
 * gives timestamps as epoch milliseconds (AWS SDK for Java v1, as the
 * recorded lambda:invoke and states:startExecution outputs show), the SDK
 * integration gives neither and ISO-8601 timestamps.
 *
 * startQueryExecution runs the statement before it returns (on the Task's
 * worker thread), so a query is never seen QUEUED; it is RUNNING in
 * queries.db meanwhile. .sync returns GetQueryExecution's response, and
 * the start response goes to the TaskSubmitted event (asl_task_req's
 * submitted), as AWS's history has it. A query that ends FAILED or
 * CANCELLED under .sync fails the Task with States.TaskFailed, the cause
 * being GetQueryExecution's response as compact JSON.
 *
 * Requests Athena refuses fail the Task with "Athena." + the exception
 * (InvalidRequestException) and a cause worded as the AWS SDK for Java
 * words it: v1 for the optimized integration ("MSG (Service: AmazonAthena;
 * Status Code: 400; Error Code: InvalidRequestException; Request ID: ID;
 * Proxy: null)"), v2 for aws-sdk ("MSG (Service: Athena, Status Code: 400,
 * Request ID: ID)").
 *
 * Storage: $ASL_HOME/athena/queries.db holds each execution (table
 * queries) and a copy of its result rows (table results, one JSON array
 * of strings and nulls per row), which getQueryResults pages through: a
 * JSON copy keeps NULL apart from '' and pages without re-reading the
 * file. The lake gets what Athena writes: OutputLocation + ID.csv for DML
 * (a header line, every value in double quotes, NULL as nothing) or ID.txt
 * for DDL and utility statements (one row a line, values tab-separated). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "../../engine/json.h"
#include "../../lake/lake.h"
#include "../../lake/sql.h"
#include "athena.h"

typedef enum { OP_START, OP_GET, OP_RESULTS, OP_STOP } op_id;

static const struct {
  const char *name;
  op_id id;
  int sync;
} OPS[] = {{"startQueryExecution", OP_START, 0},
           {"startQueryExecution.sync", OP_START, 1},
           {"getQueryExecution", OP_GET, 0},
           {"getQueryResults", OP_RESULTS, 0},
           {"stopQueryExecution", OP_STOP, 0}};

#define NOPS (sizeof OPS / sizeof *OPS)
#define MAX_QUERY_LEN 262144
#define MAX_RESULTS 1000

typedef struct route {
  op_id op;
  int sync; /* startQueryExecution.sync */
  int sdk;  /* aws-sdk:athena */
  const char *name;
} route;

/* Parses the resource: 0 when it is one of ours. */
static int route_of(const char *r, route *rt) {
  const char *p = asl_task_service_op(r, "athena", &rt->sdk);
  if (!p) return -1;
  for (size_t i = 0; i < NOPS; i++)
    if (strcmp(p, OPS[i].name) == 0 && !(rt->sdk && OPS[i].sync)) {
      rt->op = OPS[i].id;
      rt->sync = OPS[i].sync;
      rt->name = p;
      return 0;
    }
  return -1;
}

static int athena_match(const char *resource, const char **rtype,
                        const char **rname, int *lambda_events) {
  route rt;
  if (route_of(resource, &rt) < 0) return 0;
  *rtype = rt.sdk ? "aws-sdk:athena" : "athena";
  *rname = rt.name;
  *lambda_events = 0;
  return 1;
}

/* ---- one call ---- */

typedef struct call {
  const asl_task_req *req;
  route rt;
  char reqid[37];
  char *home;
  sqlite3 *db;
} call;

static void uuid4(char out[37]) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    srand((unsigned)(ts.tv_nsec ^ ts.tv_sec));
    for (int i = 0; i < 16; i++)
      b[i] = (unsigned char)rand();
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  static const char hex[] = "0123456789abcdef";
  int o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 15];
  }
  out[o] = 0;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fails with "Athena.<exception>", the cause as the SDK prints it. */
static int athena_fail(const call *c, asl_error *err, const char *exception,
                       int status, const char *fmt, ...) ASL_PRINTF(5, 6);
static int athena_fail(const call *c, asl_error *err, const char *exception,
                       int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = asl_vsprintf(fmt, ap);
  va_end(ap);
  char name[96];
  snprintf(name, sizeof name, "Athena.%s", exception);
  if (c->rt.sdk)
    asl_error_set(err, name,
                  "%s (Service: Athena, Status Code: %d, Request ID: %s)", msg,
                  status, c->reqid);
  else
    asl_error_set(err, name,
                  "%s (Service: AmazonAthena; Status Code: %d; Error Code: "
                  "%s; Request ID: %s; Proxy: null)",
                  msg, status, exception, c->reqid);
  free(msg);
  return -1;
}

#define INVALID(c, err, ...)                                                   \
  athena_fail(c, err, "InvalidRequestException", 400, __VA_ARGS__)

/* AWS's validation wording for a member: "1 validation error detected:
 * Value V at 'member' failed to satisfy constraint: Member must ...". */
static int invalid_member(const call *c, asl_error *err, const cJSON *v,
                          const char *member, const char *constraint) {
  char *shown = v ? asl_json_print(v) : NULL;
  int rc = INVALID(c, err,
                   "1 validation error detected: Value %s at '%s' failed to "
                   "satisfy constraint: Member must %s",
                   shown ? shown : "null", member, constraint);
  free(shown);
  return rc;
}

/* A string member: *out borrowed, NULL when absent and optional. */
static int str_member(const call *c, const cJSON *obj, const char *name,
                      const char *wire, int required, size_t minlen,
                      size_t maxlen, const char **out, asl_error *err) {
  const cJSON *v = asl_json_get(obj, name);
  *out = NULL;
  if (!v && !required) return 0;
  if (!v) return invalid_member(c, err, NULL, wire, "not be null");
  if (!cJSON_IsString(v))
    return INVALID(c, err, "The member '%s' must be a string.", name);
  size_t n = strlen(v->valuestring);
  if (n < minlen) {
    char k[64];
    snprintf(k, sizeof k, "have length greater than or equal to %zu", minlen);
    return invalid_member(c, err, v, wire, k);
  }
  if (n > maxlen) {
    char k[64];
    snprintf(k, sizeof k, "have length less than or equal to %zu", maxlen);
    return invalid_member(c, err, v, wire, k);
  }
  *out = v->valuestring;
  return 0;
}

/* ---- the store: $ASL_HOME/athena/queries.db ---- */

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS queries ("
    " id TEXT PRIMARY KEY, token TEXT UNIQUE, query TEXT NOT NULL,"
    " params TEXT, db TEXT, catalog TEXT, workgroup TEXT NOT NULL,"
    " result_config TEXT NOT NULL, output TEXT NOT NULL, state TEXT NOT NULL,"
    " reason TEXT, error TEXT, submitted REAL NOT NULL, completed REAL,"
    " stats TEXT, stype TEXT, sstype TEXT, columns TEXT,"
    " header_row INTEGER NOT NULL DEFAULT 0,"
    " update_count INTEGER NOT NULL DEFAULT 0,"
    " nrows INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS results ("
    " id TEXT NOT NULL, n INTEGER NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (id, n)) WITHOUT ROWID;";

static int internal(const call *c, asl_error *err, const char *what) {
  return athena_fail(c, err, "InternalServerException", 500,
                     "The local Athena store failed: %s", what);
}

static int db_open(call *c, asl_error *err) {
  char *dir = asl_sprintf("%s/athena", c->home);
  mkdir(c->home, 0755);
  int made = mkdir(dir, 0755) == 0 || errno == EEXIST;
  char *path = asl_sprintf("%s/queries.db", dir);
  free(dir);
  int rc = made ? sqlite3_open_v2(path, &c->db,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                      SQLITE_OPEN_FULLMUTEX,
                                  NULL)
                : SQLITE_CANTOPEN;
  free(path);
  if (rc != SQLITE_OK) {
    char *m = asl_sprintf("cannot open %s/athena/queries.db", c->home);
    internal(c, err, m);
    free(m);
    return -1;
  }
  sqlite3_busy_timeout(c->db, 15000);
  if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
          SQLITE_OK ||
      sqlite3_exec(c->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
    return internal(c, err, sqlite3_errmsg(c->db));
  return 0;
}

/* One query execution as stored. Strings owned; NULL when absent. */
typedef struct qrec {
  char *id, *token, *query, *params, *db, *catalog, *workgroup, *result_config,
      *output, *state, *reason, *error, *stats, *stype, *sstype, *columns;
  double submitted, completed;
  int header_row;
  long long update_count, nrows;
} qrec;

static void qrec_free(qrec *q) {
  char **s[] = {&q->id,     &q->token,   &q->query,     &q->params,
                &q->db,     &q->catalog, &q->workgroup, &q->result_config,
                &q->output, &q->state,   &q->reason,    &q->error,
                &q->stats,  &q->stype,   &q->sstype,    &q->columns};
  for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
    free(*s[i]);
    *s[i] = NULL;
  }
}

#define QCOLS                                                                  \
  "id, token, query, params, db, catalog, workgroup, result_config, output, "  \
  "state, reason, error, stats, stype, sstype, columns, submitted, "           \
  "completed, header_row, update_count, nrows"

static char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? asl_strdup((const char *)t) : NULL;
}

/* Loads the execution whose `key` column is value: 1 found, 0 not, -1
 * store failure. */
static int q_load(call *c, const char *key, const char *value, qrec *q,
                  asl_error *err) {
  memset(q, 0, sizeof *q);
  char *sql = asl_sprintf("SELECT " QCOLS " FROM queries WHERE %s = ?", key);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  free(sql);
  if (rc != SQLITE_OK) return internal(c, err, sqlite3_errmsg(c->db));
  sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step(st);
  int found = 0;
  if (rc == SQLITE_ROW) {
    char **s[] = {&q->id,     &q->token,   &q->query,     &q->params,
                  &q->db,     &q->catalog, &q->workgroup, &q->result_config,
                  &q->output, &q->state,   &q->reason,    &q->error,
                  &q->stats,  &q->stype,   &q->sstype,    &q->columns};
    for (int i = 0; i < 16; i++)
      *s[i] = col_text(st, i);
    q->submitted = sqlite3_column_double(st, 16);
    q->completed = sqlite3_column_double(st, 17);
    q->header_row = sqlite3_column_int(st, 18);
    q->update_count = sqlite3_column_int64(st, 19);
    q->nrows = sqlite3_column_int64(st, 20);
    found = 1;
  } else if (rc != SQLITE_DONE) {
    sqlite3_finalize(st);
    return internal(c, err, sqlite3_errmsg(c->db));
  }
  sqlite3_finalize(st);
  return found;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

/* Inserts a new RUNNING execution. 1 done, 0 the token is taken (another
 * call with the same ClientRequestToken won the race), -1 failure. */
static int q_insert(call *c, const qrec *q, asl_error *err) {
  static const char sql[] =
      "INSERT INTO queries (id, token, query, params, db, catalog, "
      "workgroup, result_config, output, state, submitted, stype) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
    return internal(c, err, sqlite3_errmsg(c->db));
  const char *v[] = {q->id,     q->token,   q->query,     q->params,
                     q->db,     q->catalog, q->workgroup, q->result_config,
                     q->output, q->state};
  for (int i = 0; i < 10; i++)
    bind_opt(st, i + 1, v[i]);
  sqlite3_bind_double(st, 11, q->submitted);
  bind_opt(st, 12, q->stype);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return 1;
  if (rc == SQLITE_CONSTRAINT && q->token) return 0;
  return internal(c, err, sqlite3_errmsg(c->db));
}

/* ---- JSON shapes ---- */

/* A timestamp as the integration serialises it. */
static cJSON *time_json(const call *c, double t) {
  if (!c->rt.sdk) return cJSON_CreateNumber((double)(long long)(t * 1000.0));
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[96];
  int ms = (int)((t - (double)s) * 1000.0);
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec,
           ms < 0     ? 0
           : ms > 999 ? 999
                      : ms);
  return cJSON_CreateString(buf);
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Sorts o's members by name (cJSON keeps insertion order), and those of
 * the objects below it when deep. */
static void sort_level(cJSON *o, int deep) {
  if (!cJSON_IsObject(o)) return;
  size_t n = 0;
  for (cJSON *m = o->child; m; m = m->next, n++)
    if (deep) sort_level(m, 1);
  if (n < 2) return;
  cJSON **v = asl_malloc(n * sizeof *v);
  n = 0;
  for (cJSON *m = o->child; m; m = m->next)
    v[n++] = m;
  qsort(v, n, sizeof *v, by_name);
  for (size_t i = 0; i < n; i++) {
    v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    v[i]->prev = i ? v[i - 1] : v[n - 1]; /* cJSON: child->prev is last */
  }
  o->child = v[0];
  free(v);
}

static void sort_members(cJSON *o) { sort_level(o, 1); }

static cJSON *parse_or_null(const char *text) {
  return text ? cJSON_Parse(text) : NULL;
}

/* GetQueryExecution's QueryExecution for q. */
static cJSON *query_execution(const call *c, const qrec *q) {
  cJSON *e = cJSON_CreateObject();
  cJSON *ev = cJSON_AddObjectToObject(e, "EngineVersion");
  cJSON_AddStringToObject(ev, "EffectiveEngineVersion",
                          "Athena engine version 3");
  cJSON_AddStringToObject(ev, "SelectedEngineVersion", "AUTO");
  cJSON *params = parse_or_null(q->params);
  if (params) cJSON_AddItemToObject(e, "ExecutionParameters", params);
  cJSON_AddStringToObject(e, "Query", q->query);
  cJSON *ctx = cJSON_AddObjectToObject(e, "QueryExecutionContext");
  if (q->catalog) cJSON_AddStringToObject(ctx, "Catalog", q->catalog);
  if (q->db) cJSON_AddStringToObject(ctx, "Database", q->db);
  cJSON_AddStringToObject(e, "QueryExecutionId", q->id);
  cJSON *rc = parse_or_null(q->result_config);
  if (!cJSON_IsObject(rc)) {
    cJSON_Delete(rc);
    rc = cJSON_CreateObject();
  }
  cJSON_DeleteItemFromObjectCaseSensitive(rc, "OutputLocation");
  cJSON_AddStringToObject(rc, "OutputLocation", q->output);
  sort_members(rc);
  cJSON_AddItemToObject(e, "ResultConfiguration", rc);
  cJSON *rr = cJSON_AddObjectToObject(e, "ResultReuseConfiguration");
  cJSON_AddFalseToObject(
      cJSON_AddObjectToObject(rr, "ResultReuseByAgeConfiguration"), "Enabled");
  if (q->stype) cJSON_AddStringToObject(e, "StatementType", q->stype);
  cJSON *stats = parse_or_null(q->stats);
  if (!stats) {
    stats = cJSON_CreateObject();
    cJSON *ri = cJSON_AddObjectToObject(stats, "ResultReuseInformation");
    cJSON_AddFalseToObject(ri, "ReusedPreviousResult");
  }
  cJSON_AddItemToObject(e, "Statistics", stats);
  cJSON *s = cJSON_AddObjectToObject(e, "Status");
  cJSON *ae = parse_or_null(q->error);
  if (ae) cJSON_AddItemToObject(s, "AthenaError", ae);
  if (q->completed > 0)
    cJSON_AddItemToObject(s, "CompletionDateTime", time_json(c, q->completed));
  cJSON_AddStringToObject(s, "State", q->state);
  if (q->reason) cJSON_AddStringToObject(s, "StateChangeReason", q->reason);
  cJSON_AddItemToObject(s, "SubmissionDateTime", time_json(c, q->submitted));
  if (q->sstype) cJSON_AddStringToObject(e, "SubstatementType", q->sstype);
  cJSON_AddStringToObject(e, "WorkGroup", q->workgroup);
  return e;
}

static void http_date(char buf[40]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* The optimized integration's response: the members sorted, with
 * SdkHttpMetadata and SdkResponseMetadata as the SDK for Java v1 fills
 * them (Content-Length is the JSON body's). Takes body. */
static cJSON *respond(const call *c, cJSON *body) {
  if (c->rt.sdk) {
    sort_members(body);
    return body;
  }
  sort_members(body);
  char *text = asl_json_print(body);
  char len[24], date[40];
  snprintf(len, sizeof len, "%zu", strlen(text));
  free(text);
  http_date(date);
  /* AWS's orders (LocalStack's ECS runTask recordings, an x-amz-json-1.1
   * service on the same SDK): AllHttpHeaders as received, HttpHeaders
   * sorted without regard to case. */
  static const char *const all_names[] = {"x-amzn-RequestId", "Content-Length",
                                          "Date", "Content-Type"};
  const char *all_vals[] = {c->reqid, len, date, "application/x-amz-json-1.1"};
  cJSON *m = cJSON_AddObjectToObject(body, "SdkHttpMetadata");
  cJSON *all = cJSON_AddObjectToObject(m, "AllHttpHeaders");
  for (int i = 0; i < 4; i++) {
    cJSON *l = cJSON_AddArrayToObject(all, all_names[i]);
    cJSON_AddItemToArray(l, cJSON_CreateString(all_vals[i]));
  }
  cJSON *h = cJSON_AddObjectToObject(m, "HttpHeaders");
  cJSON_AddStringToObject(h, "Content-Length", len);
  cJSON_AddStringToObject(h, "Content-Type", "application/x-amz-json-1.1");
  cJSON_AddStringToObject(h, "Date", date);
  cJSON_AddStringToObject(h, "x-amzn-RequestId", c->reqid);
  cJSON_AddNumberToObject(m, "HttpStatusCode", 200);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "SdkResponseMetadata"),
                          "RequestId", c->reqid);
  sort_level(body, 0); /* header maps keep the SDK's order */
  return body;
}

/* ---- the statement: parameters, classification ---- */

static int is_literal(const char *v) {
  const char *p = v;
  while (*p == ' ')
    p++;
  static const char *const words[] = {"TRUE", "FALSE", "NULL"};
  for (size_t i = 0; i < 3; i++)
    if (strcasecmp(p, words[i]) == 0) return 1;
  static const char *const typed[] = {"DATE",    "TIMESTAMP", "TIME",
                                      "DECIMAL", "CHAR",      "VARCHAR"};
  for (size_t i = 0; i < sizeof typed / sizeof *typed; i++) {
    size_t n = strlen(typed[i]);
    if (strncasecmp(p, typed[i], n) == 0 && p[n] == ' ') {
      p += n;
      while (*p == ' ')
        p++;
      break;
    }
  }
  if (*p == '\'') { /* a string: '' is the only quote inside */
    for (p++; *p; p++)
      if (*p == '\'') {
        if (p[1] == '\'')
          p++;
        else
          return p[1] == 0;
      }
    return 0;
  }
  /* a number */
  if (*p == '+' || *p == '-') p++;
  int digits = 0;
  while (*p >= '0' && *p <= '9')
    p++, digits++;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      digits++;
  if (!digits) return 0;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) return 0;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  return *p == 0;
}

/* The statement with each '?' placeholder (outside strings, quoted
 * identifiers and comments) replaced by the next execution parameter,
 * each of which must be one SQL literal. NULL with *msg on a mismatch. */
static char *bind_params(const char *sql, const cJSON *params, char **msg) {
  int n = cJSON_GetArraySize(params), used = 0, holes = 0;
  for (int i = 0; i < n; i++) {
    const char *v = cJSON_GetArrayItem(params, i)->valuestring;
    if (!is_literal(v)) {
      *msg = asl_sprintf("INVALID_PARAMETER_USAGE: execution parameter %d "
                         "is not a SQL literal: %s",
                         i + 1, v);
      return NULL;
    }
  }
  asl_buf b = {0};
  for (const char *p = sql; *p; p++) {
    if (*p == '\'' || *p == '"') {
      char q = *p;
      const char *e = p + 1;
      while (*e && !(*e == q && e[1] != q))
        e += *e == q ? 2 : 1;
      asl_buf_add(&b, p, (size_t)(e - p) + (*e ? 1 : 0));
      p = *e ? e : e - 1;
    } else if (p[0] == '-' && p[1] == '-') {
      const char *e = strchr(p, '\n');
      if (!e) e = p + strlen(p) - 1;
      asl_buf_add(&b, p, (size_t)(e - p) + 1);
      p = e;
    } else if (p[0] == '/' && p[1] == '*') {
      const char *e = strstr(p + 2, "*/");
      e = e ? e + 1 : p + strlen(p) - 1;
      asl_buf_add(&b, p, (size_t)(e - p) + 1);
      p = e;
    } else if (*p == '?') {
      holes++;
      if (used < n)
        asl_buf_puts(&b, cJSON_GetArrayItem(params, used++)->valuestring);
    } else {
      asl_buf_putc(&b, *p);
    }
  }
  if (holes != n) {
    asl_buf_free(&b);
    *msg = asl_sprintf("Incorrect number of parameters: expected %d but "
                       "found %d",
                       holes, n);
    return NULL;
  }
  return asl_buf_take(&b);
}

/* Athena's StatementType for a statement that did not run. */
static const char *guess_type(const char *sql) {
  while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' ||
         *sql == '(')
    sql++;
  static const char *const ddl[] = {"CREATE",   "DROP", "ALTER", "SHOW",
                                    "DESCRIBE", "MSCK", "DESC",  NULL};
  static const char *const util[] = {"EXPLAIN",    "PREPARE", "EXECUTE",
                                     "DEALLOCATE", "USE",     NULL};
  for (int i = 0; ddl[i]; i++)
    if (strncasecmp(sql, ddl[i], strlen(ddl[i])) == 0) return "DDL";
  for (int i = 0; util[i]; i++)
    if (strncasecmp(sql, util[i], strlen(util[i])) == 0) return "UTILITY";
  return "DML";
}

/* ---- the result sink ---- */

typedef struct result {
  char **names, **types;
  size_t ncols;
  char ***rows; /* each ncols values, NULL for SQL NULL */
  size_t nrows, cap;
} result;

static int sink_columns(void *ctx, const asl_sql_col *cols, size_t n) {
  result *r = ctx;
  for (size_t i = 0; i < r->ncols; i++) {
    free(r->names[i]);
    free(r->types[i]);
  }
  free(r->names);
  free(r->types);
  r->names = asl_calloc(n ? n : 1, sizeof *r->names);
  r->types = asl_calloc(n ? n : 1, sizeof *r->types);
  for (size_t i = 0; i < n; i++) {
    r->names[i] = asl_strdup(cols[i].name ? cols[i].name : "");
    r->types[i] = asl_strdup(cols[i].type ? cols[i].type : "varchar");
  }
  r->ncols = n;
  return 0;
}

static int sink_row(void *ctx, const char *const *vals, size_t n) {
  result *r = ctx;
  if (r->nrows == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->rows = asl_realloc(r->rows, r->cap * sizeof *r->rows);
  }
  char **row = asl_calloc(r->ncols ? r->ncols : 1, sizeof *row);
  for (size_t i = 0; i < r->ncols && i < n; i++)
    row[i] = vals[i] ? asl_strdup(vals[i]) : NULL;
  r->rows[r->nrows++] = row;
  return 0;
}

static void result_free(result *r) {
  for (size_t i = 0; i < r->nrows; i++) {
    for (size_t j = 0; j < r->ncols; j++)
      free(r->rows[i][j]);
    free(r->rows[i]);
  }
  free(r->rows);
  for (size_t i = 0; i < r->ncols; i++) {
    free(r->names[i]);
    free(r->types[i]);
  }
  free(r->names);
  free(r->types);
}

static void csv_value(asl_buf *b, const char *v) {
  if (!v) return; /* NULL: nothing between the commas */
  asl_buf_putc(b, '"');
  for (; *v; v++) {
    if (*v == '"') asl_buf_putc(b, '"');
    asl_buf_putc(b, *v);
  }
  asl_buf_putc(b, '"');
}

/* The file Athena writes: CSV with a header for DML, else text. */
static char *result_file(const result *r, int csv) {
  asl_buf b = {0};
  asl_buf_puts(&b, "");
  if (csv && r->ncols) {
    for (size_t j = 0; j < r->ncols; j++) {
      if (j) asl_buf_putc(&b, ',');
      csv_value(&b, r->names[j]);
    }
    asl_buf_putc(&b, '\n');
  }
  for (size_t i = 0; i < r->nrows; i++) {
    for (size_t j = 0; j < r->ncols; j++) {
      if (j) asl_buf_putc(&b, csv ? ',' : '\t');
      if (csv)
        csv_value(&b, r->rows[i][j]);
      else if (r->rows[i][j])
        asl_buf_puts(&b, r->rows[i][j]);
    }
    asl_buf_putc(&b, '\n');
  }
  return asl_buf_take(&b);
}

/* ---- startQueryExecution ---- */

typedef struct start_req {
  const char *query, *token, *database, *catalog, *workgroup, *output;
  const cJSON *params, *result_config;
} start_req;

static int check_start(const call *c, const cJSON *p, start_req *s,
                       asl_error *err) {
  memset(s, 0, sizeof *s);
  if (str_member(c, p, "QueryString", "queryString", 1, 1, MAX_QUERY_LEN,
                 &s->query, err) < 0 ||
      str_member(c, p, "ClientRequestToken", "clientRequestToken", 0, 32, 128,
                 &s->token, err) < 0 ||
      str_member(c, p, "WorkGroup", "workGroup", 0, 0, 128, &s->workgroup,
                 err) < 0)
    return -1;
  if (s->workgroup && !*s->workgroup) s->workgroup = NULL;
  const cJSON *ctx = asl_json_get(p, "QueryExecutionContext");
  if (ctx && !cJSON_IsObject(ctx))
    return INVALID(c, err,
                   "The member 'QueryExecutionContext' must be an "
                   "object.");
  if (str_member(c, ctx, "Database", "queryExecutionContext.database", 0, 1,
                 255, &s->database, err) < 0 ||
      str_member(c, ctx, "Catalog", "queryExecutionContext.catalog", 0, 1, 256,
                 &s->catalog, err) < 0)
    return -1;
  const cJSON *rc = asl_json_get(p, "ResultConfiguration");
  if (rc && !cJSON_IsObject(rc))
    return INVALID(c, err,
                   "The member 'ResultConfiguration' must be an "
                   "object.");
  s->result_config = rc;
  if (str_member(c, rc, "OutputLocation", "resultConfiguration.outputLocation",
                 0, 0, 1024, &s->output, err) < 0)
    return -1;
  const cJSON *enc = asl_json_get(rc, "EncryptionConfiguration");
  if (enc) {
    const char *opt;
    if (!cJSON_IsObject(enc))
      return INVALID(c, err,
                     "The member 'EncryptionConfiguration' must be "
                     "an object.");
    if (str_member(c, enc, "EncryptionOption",
                   "resultConfiguration.encryptionConfiguration."
                   "encryptionOption",
                   1, 0, 64, &opt, err) < 0)
      return -1;
    if (strcmp(opt, "SSE_S3") != 0 && strcmp(opt, "SSE_KMS") != 0 &&
        strcmp(opt, "CSE_KMS") != 0)
      return invalid_member(
          c, err, asl_json_get(enc, "EncryptionOption"),
          "resultConfiguration.encryptionConfiguration.encryptionOption",
          "satisfy enum value set: [SSE_S3, SSE_KMS, CSE_KMS]");
  }
  const cJSON *ep = asl_json_get(p, "ExecutionParameters");
  if (ep) {
    if (!cJSON_IsArray(ep) || cJSON_GetArraySize(ep) < 1)
      return invalid_member(c, err, ep, "executionParameters",
                            "have length greater than or equal to 1");
    for (const cJSON *v = ep->child; v; v = v->next)
      if (!cJSON_IsString(v) || !*v->valuestring ||
          strlen(v->valuestring) > 1024)
        return invalid_member(c, err, v, "executionParameters.member",
                              "be a string of 1 to 1024 characters");
    s->params = ep;
  }
  return 0;
}

/* The output folder: bucket and key prefix ("" or ending in '/') of
 * OutputLocation. Checks the bucket (made when it is the default one). */
static int output_folder(const call *c, const char *root, const char *loc,
                         char **bucket, char **prefix, asl_error *err) {
  int dflt = loc == NULL;
  if (dflt) loc = ASL_ATHENA_DEFAULT_OUTPUT;
  if (strncmp(loc, "s3://", 5) != 0 || !loc[5] || loc[5] == '/')
    return INVALID(c, err,
                   "outputLocation is not a valid S3 path. Provided "
                   "%s",
                   loc);
  const char *b = loc + 5, *slash = strchr(b, '/');
  *bucket = slash ? asl_strndup(b, (size_t)(slash - b)) : asl_strdup(b);
  const char *rest = slash ? slash + 1 : "";
  size_t n = strlen(rest);
  *prefix =
      n && rest[n - 1] != '/' ? asl_sprintf("%s/", rest) : asl_strdup(rest);
  asl_error e = {0};
  asl_lake_list_req q = {0};
  q.max_keys = 0;
  asl_lake_list l;
  int ok = asl_lake_check_bucket(*bucket, &e) == 0;
  if (ok && asl_lake_list_objects(root, *bucket, &q, &l, &e) == 0) {
    asl_lake_list_free(&l);
  } else if (ok && dflt && e.name && strcmp(e.name, "NoSuchBucket") == 0) {
    asl_error_clear(&e);
    if (asl_lake_make_bucket(root, *bucket, &e) < 0 &&
        !(e.name && strcmp(e.name, "BucketAlreadyOwnedByYou") == 0))
      ok = 0;
  } else {
    ok = 0;
  }
  asl_error_clear(&e);
  if (!ok) {
    INVALID(c, err, "Unable to verify/create output bucket %s", *bucket);
    free(*bucket);
    free(*prefix);
    *bucket = *prefix = NULL;
    return -1;
  }
  return 0;
}

static cJSON *athena_error_json(int category, int type, const char *msg) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "ErrorCategory", category);
  cJSON_AddStringToObject(e, "ErrorMessage", msg);
  cJSON_AddNumberToObject(e, "ErrorType", type);
  cJSON_AddFalseToObject(e, "Retryable");
  return e;
}

static char *stats_json(double run_ms, double total_ms, double write_ms,
                        long long scanned) {
  cJSON *s = cJSON_CreateObject();
  cJSON_AddNumberToObject(s, "DataScannedInBytes", (double)scanned);
  cJSON_AddNumberToObject(s, "EngineExecutionTimeInMillis",
                          (double)(long long)run_ms);
  cJSON_AddNumberToObject(s, "QueryPlanningTimeInMillis", 0);
  cJSON_AddNumberToObject(s, "QueryQueueTimeInMillis", 0);
  cJSON_AddFalseToObject(cJSON_AddObjectToObject(s, "ResultReuseInformation"),
                         "ReusedPreviousResult");
  cJSON_AddNumberToObject(s, "ServicePreProcessingTimeInMillis", 0);
  cJSON_AddNumberToObject(s, "ServiceProcessingTimeInMillis",
                          (double)(long long)write_ms);
  cJSON_AddNumberToObject(s, "TotalExecutionTimeInMillis",
                          (double)(long long)total_ms);
  char *t = asl_json_print(s);
  cJSON_Delete(s);
  return t;
}

/* Records the outcome of execution id (only if it is still RUNNING: a
 * stopQueryExecution meanwhile wins), rows and all, in one transaction. */
static int q_finish(call *c, const char *id, const char *state,
                    const char *reason, const char *error, const char *stats,
                    const asl_sql_info *info, const result *r,
                    const char *stype, asl_error *err) {
  if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return internal(c, err, sqlite3_errmsg(c->db));
  static const char sql[] =
      "UPDATE queries SET state=?, reason=?, error=?, completed=?, stats=?, "
      "stype=?, sstype=?, columns=?, header_row=?, update_count=?, nrows=? "
      "WHERE id=? AND state='RUNNING'";
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK;
  char *cols = NULL;
  if (ok) {
    if (r && r->ncols) {
      cJSON *a = cJSON_CreateArray();
      for (size_t i = 0; i < r->ncols; i++) {
        cJSON *p = cJSON_CreateArray();
        cJSON_AddItemToArray(p, cJSON_CreateString(r->names[i]));
        cJSON_AddItemToArray(p, cJSON_CreateString(r->types[i]));
        cJSON_AddItemToArray(a, p);
      }
      cols = asl_json_print(a);
      cJSON_Delete(a);
    }
    bind_opt(st, 1, state);
    bind_opt(st, 2, reason);
    bind_opt(st, 3, error);
    sqlite3_bind_double(st, 4, now_epoch());
    bind_opt(st, 5, stats);
    bind_opt(st, 6,
             info && info->statement_type ? info->statement_type : stype);
    bind_opt(st, 7, info ? info->substatement_type : NULL);
    bind_opt(st, 8, cols);
    sqlite3_bind_int(st, 9, info ? info->header_row : 0);
    sqlite3_bind_int64(st, 10, info ? info->rows_affected : 0);
    sqlite3_bind_int64(st, 11, r ? (sqlite3_int64)r->nrows : 0);
    bind_opt(st, 12, id);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  free(cols);
  int changed = ok ? sqlite3_changes(c->db) : 0;
  if (ok && changed && r && r->nrows) {
    st = NULL;
    ok = sqlite3_prepare_v2(c->db,
                            "INSERT INTO results (id, n, data) VALUES (?,?,?)",
                            -1, &st, NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < r->nrows; i++) {
      cJSON *a = cJSON_CreateArray();
      for (size_t j = 0; j < r->ncols; j++)
        cJSON_AddItemToArray(a, r->rows[i][j]
                                    ? cJSON_CreateString(r->rows[i][j])
                                    : cJSON_CreateNull());
      char *t = asl_json_print(a);
      cJSON_Delete(a);
      sqlite3_reset(st);
      sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
      sqlite3_bind_text(st, 3, t, -1, SQLITE_TRANSIENT);
      ok = sqlite3_step(st) == SQLITE_DONE;
      free(t);
    }
    sqlite3_finalize(st);
  }
  if (!ok) {
    internal(c, err, sqlite3_errmsg(c->db));
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    internal(c, err, sqlite3_errmsg(c->db));
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  return 0;
}

/* Runs the new execution q (inserted RUNNING) and records its outcome. */
static int execute(call *c, const char *root, qrec *q, const char *bucket,
                   const char *key_prefix, const cJSON *params,
                   asl_error *err) {
  double t0 = now_epoch();
  result r = {0};
  asl_sql_info info;
  memset(&info, 0, sizeof info);
  asl_error qe = {0};
  char *msg = NULL;
  char *sql =
      params ? bind_params(q->query, params, &msg) : asl_strdup(q->query);
  int rc = -1, category = 2, type = 1000;
  if (sql) {
    asl_sql_sink sink = {&r, sink_columns, sink_row};
    rc = asl_sql_run(c->home, q->db, sql, c->req->deadline, &sink, &info, &qe);
    if (rc < 0) {
      msg = asl_strdup(qe.cause ? qe.cause : qe.name ? qe.name : "failed");
      if (qe.name && strcmp(qe.name, "States.Timeout") == 0)
        category = 1, type = 206;
      else if (qe.name && strcmp(qe.name, "InvalidRequestException") != 0)
        category = 1, type = 200;
    }
  }
  double t1 = now_epoch();
  if (rc == 0) { /* write the result file where Athena would */
    const char *file = strrchr(q->output, '/') + 1;
    int csv = strcmp(file + strlen(file) - 4, ".csv") == 0;
    char *key = asl_sprintf("%s%s", key_prefix, file);
    char *text = result_file(&r, csv);
    asl_error we = {0};
    if (asl_lake_put(root, bucket, key, text, strlen(text), NULL, &we) < 0) {
      rc = -1;
      category = 1, type = 401;
      msg = asl_sprintf("Error writing to S3 s3://%s/%s: %s", bucket, key,
                        we.cause ? we.cause : "");
    }
    asl_error_clear(&we);
    free(key);
    free(text);
  }
  double t2 = now_epoch();
  char *stats =
      stats_json((t1 - t0) * 1000.0, (t2 - t0) * 1000.0, (t2 - t1) * 1000.0,
                 rc == 0 ? info.bytes_scanned : 0);
  int out;
  if (rc == 0) {
    out = q_finish(c, q->id, "SUCCEEDED", NULL, NULL, stats, &info, &r,
                   q->stype, err);
  } else {
    cJSON *ae = athena_error_json(category, type, msg);
    char *aes = asl_json_print(ae);
    cJSON_Delete(ae);
    out = q_finish(c, q->id, "FAILED", msg, aes, stats, NULL, NULL, q->stype,
                   err);
    free(aes);
  }
  /* a timeout is the Task's: it fails with States.Timeout */
  if (out == 0 && qe.name && strcmp(qe.name, "States.Timeout") == 0) {
    asl_error_set(err, "States.Timeout", NULL);
    out = -1;
  }
  free(stats);
  free(msg);
  free(sql);
  asl_error_clear(&qe);
  result_free(&r);
  return out;
}

/* Fails for an unknown QueryExecutionId; 0 with *q loaded. */
static int load_id(call *c, const char *id, qrec *q, asl_error *err) {
  int f = q_load(c, "id", id, q, err);
  if (f < 0) return -1;
  if (!f) return INVALID(c, err, "QueryExecution %s was not found", id);
  return 0;
}

/* .sync's outcome for the finished execution q. */
static int sync_outcome(call *c, const qrec *q, cJSON **out, asl_error *err) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "QueryExecution", query_execution(c, q));
  if (strcmp(q->state, "SUCCEEDED") == 0) {
    *out = r;
    return 0;
  }
  char *cause = asl_json_print(r);
  cJSON_Delete(r);
  asl_error_set(err, "States.TaskFailed", "%s", cause);
  free(cause);
  return -1;
}

static int same_opt(const char *a, const char *b) {
  return a && b ? strcmp(a, b) == 0 : a == b;
}

static int do_start(call *c, const cJSON *p, cJSON **out, asl_error *err) {
  start_req s;
  if (check_start(c, p, &s, err) < 0) return -1;
  char *params = s.params ? asl_json_print(s.params) : NULL;
  const char *wg = s.workgroup ? s.workgroup : "primary";
  char *root = asl_lake_root();
  char *bucket = NULL, *prefix = NULL, *rcfg = NULL;
  qrec q;
  memset(&q, 0, sizeof q);
  int rc = -1, fresh = 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    int f = s.token ? q_load(c, "token", s.token, &q, err) : 0;
    if (f < 0) goto out;
    if (f) { /* the same request again: the same execution */
      if (strcmp(q.query, s.query) != 0 || !same_opt(q.params, params) ||
          !same_opt(q.db, s.database) || strcmp(q.workgroup, wg) != 0) {
        INVALID(c, err, "Idempotent parameters do not match");
        goto out;
      }
      break;
    }
    if (!bucket && output_folder(c, root, s.output, &bucket, &prefix, err) < 0)
      goto out;
    char id[37];
    uuid4(id);
    const char *stype = guess_type(s.query);
    cJSON *cfg =
        s.result_config ? asl_json_dup(s.result_config) : cJSON_CreateObject();
    rcfg = asl_json_print(cfg);
    cJSON_Delete(cfg);
    q.id = asl_strdup(id);
    q.token = s.token ? asl_strdup(s.token) : NULL;
    q.query = asl_strdup(s.query);
    q.params = params ? asl_strdup(params) : NULL;
    q.db = s.database ? asl_strdup(s.database) : NULL;
    q.catalog = s.catalog ? asl_strdup(s.catalog) : NULL;
    q.workgroup = asl_strdup(wg);
    q.result_config = rcfg;
    rcfg = NULL;
    q.output = asl_sprintf("s3://%s/%s%s.%s", bucket, prefix, id,
                           strcmp(stype, "DML") == 0 ? "csv" : "txt");
    q.state = asl_strdup("RUNNING");
    q.submitted = now_epoch();
    q.stype = asl_strdup(stype);
    int ins = q_insert(c, &q, err);
    if (ins < 0) goto out;
    if (ins == 1) {
      fresh = 1;
      break;
    }
    qrec_free(&q); /* lost a race for the token: load the winner's */
  }
  if (!q.id) {
    internal(c, err, "ClientRequestToken race");
    goto out;
  }
  if (fresh) {
    char *id = asl_strdup(q.id);
    int ex = execute(c, root, &q, bucket, prefix, s.params, err);
    qrec_free(&q);
    if (ex == 0) ex = load_id(c, id, &q, err);
    free(id);
    if (ex < 0) goto out;
  }
  cJSON *started = cJSON_CreateObject();
  cJSON_AddStringToObject(started, "QueryExecutionId", q.id);
  started = respond(c, started);
  if (!c->rt.sync) {
    *out = started;
    rc = 0;
    goto out;
  }
  if (c->req->submitted)
    *c->req->submitted = started;
  else
    cJSON_Delete(started);
  /* a ClientRequestToken may name an execution another Task still runs:
   * .sync waits for it, as Step Functions polls */
  while (strcmp(q.state, "RUNNING") == 0 || strcmp(q.state, "QUEUED") == 0) {
    if (c->req->deadline > 0 && now_epoch() >= c->req->deadline) {
      asl_error_set(err, "States.Timeout", NULL);
      goto out;
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    char *id = asl_strdup(q.id);
    qrec_free(&q);
    int l = load_id(c, id, &q, err);
    free(id);
    if (l < 0) goto out;
  }
  rc = sync_outcome(c, &q, out, err);
out:
  qrec_free(&q);
  free(params);
  free(root);
  free(bucket);
  free(prefix);
  free(rcfg);
  return rc;
}

/* ---- getQueryExecution, stopQueryExecution ---- */

static int do_get(call *c, const cJSON *p, cJSON **out, asl_error *err) {
  const char *id;
  qrec q;
  if (str_member(c, p, "QueryExecutionId", "queryExecutionId", 1, 1, 128, &id,
                 err) < 0 ||
      load_id(c, id, &q, err) < 0)
    return -1;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "QueryExecution", query_execution(c, &q));
  qrec_free(&q);
  *out = respond(c, r);
  return 0;
}

static int do_stop(call *c, const cJSON *p, cJSON **out, asl_error *err) {
  const char *id;
  qrec q;
  if (str_member(c, p, "QueryExecutionId", "queryExecutionId", 1, 1, 128, &id,
                 err) < 0 ||
      load_id(c, id, &q, err) < 0)
    return -1;
  qrec_free(&q);
  /* a finished query stays as it ended; Athena answers {} all the same */
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(
               c->db,
               "UPDATE queries SET state='CANCELLED', completed=?, "
               "reason='Query cancelled by user' WHERE id=? AND state IN "
               "('QUEUED','RUNNING')",
               -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_double(st, 1, now_epoch());
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (!ok) return internal(c, err, sqlite3_errmsg(c->db));
  *out = respond(c, cJSON_CreateObject());
  return 0;
}

/* ---- getQueryResults ---- */

/* ColumnInfo of one column, Precision and Scale as Athena gives them. */
static cJSON *column_info(const char *name, const char *type) {
  size_t base_len = strcspn(type, "(");
  char base[64];
  snprintf(base, sizeof base, "%.*s", (int)(base_len < 63 ? base_len : 63),
           type);
  long long prec = 0, scale = 0;
  int case_sensitive = 0;
  static const struct {
    const char *t;
    long long p;
  } P[] = {{"tinyint", 3},   {"smallint", 5}, {"integer", 10}, {"int", 10},
           {"bigint", 19},   {"real", 7},     {"float", 7},    {"double", 17},
           {"timestamp", 3}, {"time", 3}};
  for (size_t i = 0; i < sizeof P / sizeof *P; i++)
    if (strcmp(base, P[i].t) == 0) prec = P[i].p;
  if (strcmp(base, "varchar") == 0 || strcmp(base, "string") == 0 ||
      strcmp(base, "char") == 0) {
    case_sensitive = 1;
    prec = strcmp(base, "char") == 0 ? 1 : 2147483647;
  }
  if (type[base_len] == '(') { /* decimal(p,s), varchar(n), char(n) */
    char *e;
    long long a = strtoll(type + base_len + 1, &e, 10);
    prec = a;
    if (*e == ',') scale = strtoll(e + 1, NULL, 10);
  } else if (strcmp(base, "decimal") == 0) {
    prec = 38;
  }
  cJSON *ci = cJSON_CreateObject();
  cJSON_AddBoolToObject(ci, "CaseSensitive", case_sensitive);
  cJSON_AddStringToObject(ci, "CatalogName", "hive");
  cJSON_AddStringToObject(ci, "Label", name);
  cJSON_AddStringToObject(ci, "Name", name);
  cJSON_AddStringToObject(ci, "Nullable", "UNKNOWN");
  cJSON_AddNumberToObject(ci, "Precision", (double)prec);
  cJSON_AddNumberToObject(ci, "Scale", (double)scale);
  cJSON_AddStringToObject(ci, "SchemaName", "");
  cJSON_AddStringToObject(ci, "TableName", "");
  cJSON_AddStringToObject(ci, "Type", base);
  return ci;
}

static cJSON *datum_row(const cJSON *values) {
  cJSON *row = cJSON_CreateObject();
  cJSON *data = cJSON_AddArrayToObject(row, "Data");
  for (const cJSON *v = values ? values->child : NULL; v; v = v->next) {
    cJSON *d = cJSON_CreateObject();
    if (cJSON_IsString(v))
      cJSON_AddStringToObject(d, "VarCharValue", v->valuestring);
    cJSON_AddItemToArray(data, d);
  }
  return row;
}

/* NextToken: opaque to callers, "<id>.<row>" base64-coded here. */
static char *make_token(const char *id, long long row) {
  static const char B[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char *raw = asl_sprintf("asl1.%s.%lld", id, row);
  size_t n = strlen(raw);
  char *o = asl_malloc(n * 2 + 4), *q = o;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)raw[i] << 16;
    if (i + 1 < n) v |= (unsigned char)raw[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)raw[i + 2];
    *q++ = B[(v >> 18) & 63];
    *q++ = B[(v >> 12) & 63];
    if (i + 1 < n) *q++ = B[(v >> 6) & 63];
    if (i + 2 < n) *q++ = B[v & 63];
  }
  *q = 0;
  free(raw);
  return o;
}

/* The row a token points at, or -1 when it is not one of this query's. */
static long long read_token(const char *tok, const char *id) {
  size_t n = strlen(tok);
  if (n > 400) return -1;
  char raw[320];
  size_t o = 0;
  unsigned v = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    const char *B =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *at = strchr(B, tok[i]);
    if (!at || !tok[i]) return -1;
    v = (v << 6) | (unsigned)(at - B);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o + 1 >= sizeof raw) return -1;
      raw[o++] = (char)((v >> bits) & 0xff);
    }
  }
  raw[o] = 0;
  size_t idn = strlen(id);
  if (strncmp(raw, "asl1.", 5) != 0 || strncmp(raw + 5, id, idn) != 0 ||
      raw[5 + idn] != '.')
    return -1;
  char *e;
  long long row = strtoll(raw + 6 + idn, &e, 10);
  return *e || row < 1 || raw[6 + idn] == 0 ? -1 : row;
}

static int do_results(call *c, const cJSON *p, cJSON **out, asl_error *err) {
  const char *id, *tok;
  if (str_member(c, p, "QueryExecutionId", "queryExecutionId", 1, 1, 128, &id,
                 err) < 0 ||
      str_member(c, p, "NextToken", "nextToken", 0, 1, 1024, &tok, err) < 0)
    return -1;
  long long max = MAX_RESULTS;
  const cJSON *mr = asl_json_get(p, "MaxResults");
  if (mr) {
    if (!asl_json_as_int64(mr, &max))
      return INVALID(c, err, "The member 'MaxResults' must be an integer.");
    if (max < 1)
      return invalid_member(c, err, mr, "maxResults",
                            "have value greater than or equal to 1");
    if (max > MAX_RESULTS)
      return invalid_member(c, err, mr, "maxResults",
                            "have value less than or equal to 1000");
  }
  qrec q;
  if (load_id(c, id, &q, err) < 0) return -1;
  int rc = -1;
  if (strcmp(q.state, "SUCCEEDED") != 0) {
    if (strcmp(q.state, "RUNNING") == 0 || strcmp(q.state, "QUEUED") == 0)
      INVALID(c, err, "Query has not yet finished. Current state: %s", q.state);
    else
      INVALID(c, err,
              "Query did not finish successfully. Final query state: "
              "%s",
              q.state);
    qrec_free(&q);
    return -1;
  }
  long long total = q.nrows + (q.header_row ? 1 : 0), from = 0;
  if (tok && ((from = read_token(tok, q.id)) < 0 || from >= total)) {
    INVALID(c, err, "The NextToken is not valid: %s", tok);
    qrec_free(&q);
    return -1;
  }
  long long to = from + max < total ? from + max : total;
  cJSON *body = cJSON_CreateObject();
  char *next = to < total ? make_token(q.id, to) : NULL;
  if (next) cJSON_AddStringToObject(body, "NextToken", next);
  free(next);
  cJSON *rs = cJSON_AddObjectToObject(body, "ResultSet");
  cJSON *meta = cJSON_AddObjectToObject(rs, "ResultSetMetadata");
  cJSON *ci = cJSON_AddArrayToObject(meta, "ColumnInfo");
  cJSON *cols = parse_or_null(q.columns);
  for (const cJSON *col = cols ? cols->child : NULL; col; col = col->next)
    cJSON_AddItemToArray(ci,
                         column_info(cJSON_GetArrayItem(col, 0)->valuestring,
                                     cJSON_GetArrayItem(col, 1)->valuestring));
  cJSON *rows = cJSON_AddArrayToObject(rs, "Rows");
  long long row = from;
  if (q.header_row && row == 0 && row < to) {
    cJSON *names = cJSON_CreateArray();
    for (const cJSON *col = cols ? cols->child : NULL; col; col = col->next)
      cJSON_AddItemToArray(names, asl_json_dup(cJSON_GetArrayItem(col, 0)));
    cJSON_AddItemToArray(rows, datum_row(names));
    cJSON_Delete(names);
    row++;
  }
  cJSON_Delete(cols);
  long long first = row - (q.header_row ? 1 : 0), count = to - row;
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(c->db,
                              "SELECT data FROM results WHERE id=? AND n>=? "
                              "ORDER BY n LIMIT ?",
                              -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, q.id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, first);
    sqlite3_bind_int64(st, 3, count);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
      cJSON *vals = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
      cJSON_AddItemToArray(rows, datum_row(vals));
      cJSON_Delete(vals);
    }
    ok = s == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (!ok) {
    internal(c, err, sqlite3_errmsg(c->db));
    cJSON_Delete(body);
  } else {
    cJSON_AddNumberToObject(body, "UpdateCount", (double)q.update_count);
    *out = respond(c, body);
    rc = 0;
  }
  qrec_free(&q);
  return rc;
}

/* ---- entry ---- */

static int athena_run(const asl_task_req *req, cJSON **out, asl_error *err) {
  *out = NULL;
  call c;
  memset(&c, 0, sizeof c);
  c.req = req;
  if (route_of(req->resource, &c.rt) < 0)
    return asl_error_set(err, "States.Runtime", "not an Athena resource: %s",
                         req->resource);
  uuid4(c.reqid);
  if (req->deadline > 0 && now_epoch() >= req->deadline)
    return asl_error_set(err, "States.Timeout", NULL);
  const cJSON *p = req->params;
  if (p && !cJSON_IsObject(p))
    return INVALID(&c, err, "The request must be a JSON object.");
  c.home = asl_home_dir();
  int rc = db_open(&c, err);
  if (rc == 0) {
    switch (c.rt.op) {
    case OP_START:
      rc = do_start(&c, p, out, err);
      break;
    case OP_GET:
      rc = do_get(&c, p, out, err);
      break;
    case OP_RESULTS:
      rc = do_results(&c, p, out, err);
      break;
    default:
      rc = do_stop(&c, p, out, err);
      break;
    }
  }
  if (c.db) sqlite3_close(c.db);
  free(c.home);
  return rc;
}

const asl_task_ops asl_athena_ops = {"athena", athena_match, athena_run, 0,
                                     NULL};
