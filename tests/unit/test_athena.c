/* test_athena.c: the Athena Task integration (states/integrations/athena.c)
 * through its run function, in a fresh $ASL_HOME: resources it serves,
 * response shapes, result files in the lake, paging, the idempotency
 * token, execution parameters, errors, and what queries.db keeps.
 * The statements run on the real SQL engine (lake/sql.c). */
#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../engine/json.h"
#include "../../engine/task.h"
#include "../../lake/lake.h"
#include "../../states/integrations/athena.h"

#include "t.h"

/* Defined by the stand-in engine only. */

static char g_home[] = "/tmp/asl_athena_XXXXXX";
static char *g_root;

#define ARN "arn:aws:states:::athena:"
#define SDK "arn:aws:states:::aws-sdk:athena:"

/* Runs resource with params (JSON text). *out and *sub (the TaskSubmitted
 * output, may be NULL) are new trees. */
static int call(const char *resource, const char *params, cJSON **out,
                cJSON **sub, asl_error *err) {
  cJSON *p = cJSON_Parse(params);
  T_OK(p != NULL, "bad test JSON: %s", params);
  cJSON *submitted = NULL;
  asl_task_req req = {0};
  req.resource = resource;
  req.params = p;
  req.state = "S";
  req.submitted = &submitted;
  *out = NULL;
  int rc = asl_athena_ops.run(&req, out, err);
  cJSON_Delete(p);
  if (sub)
    *sub = submitted;
  else
    cJSON_Delete(submitted);
  return rc;
}

/* Runs it and expects success. */
static cJSON *ok(const char *resource, const char *params) {
  asl_error e = {0};
  cJSON *out = NULL;
  int rc = call(resource, params, &out, NULL, &e);
  T_OK(rc == 0, "%s %s: %s: %s", resource, params, e.name ? e.name : "",
       e.cause ? e.cause : "");
  asl_error_clear(&e);
  return out;
}

/* Runs it and expects the error name; returns the cause (new string). */
static char *fails(const char *resource, const char *params, const char *name) {
  asl_error e = {0};
  cJSON *out = NULL;
  int rc = call(resource, params, &out, NULL, &e);
  T_OK(rc < 0, "%s %s succeeded", resource, params);
  T_OK(e.name && strcmp(e.name, name) == 0, "%s: error %s, want %s", params,
       e.name ? e.name : "(none)", name);
  cJSON_Delete(out);
  char *cause = e.cause ? asl_strdup(e.cause) : asl_strdup("");
  asl_error_clear(&e);
  return cause;
}

static const char *str_at(const cJSON *v, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = v;
  for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
    cur = asl_json_get(cur, tok);
  return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static char *keys_of(const cJSON *o) {
  asl_buf b = {0};
  asl_buf_puts(&b, "");
  for (const cJSON *m = o ? o->child : NULL; m; m = m->next) {
    if (m != o->child) asl_buf_putc(&b, ',');
    asl_buf_puts(&b, m->string);
  }
  return asl_buf_take(&b);
}

static int matches(const char *s, const char *re) {
  regex_t r;
  if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) return 0;
  int m = s && regexec(&r, s, 0, NULL, 0) == 0;
  regfree(&r);
  return m;
}

/* Starts sql (request-response) and returns its QueryExecutionId. */
static char *start(const char *params) {
  cJSON *o = ok(ARN "startQueryExecution", params);
  const char *id = str_at(o, "QueryExecutionId");
  char *r = asl_strdup(id ? id : "");
  cJSON_Delete(o);
  return r;
}

static cJSON *get_exec(const char *id) {
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  cJSON *o = ok(ARN "getQueryExecution", p);
  free(p);
  return o;
}

static char *lake_text(const char *bucket, const char *key) {
  char *data = NULL;
  size_t len;
  asl_error e = {0};
  if (asl_lake_get(g_root, bucket, key, &data, &len, NULL, &e) < 0) {
    asl_error_clear(&e);
    return NULL;
  }
  return data;
}

/* The row values of a GetQueryResults page as "a|b;c|d" (NULL as ~). */
static char *rows_text(const cJSON *res) {
  asl_buf b = {0};
  asl_buf_puts(&b, "");
  const cJSON *rows = asl_json_get(asl_json_get(res, "ResultSet"), "Rows");
  for (const cJSON *r = rows ? rows->child : NULL; r; r = r->next) {
    if (r != rows->child) asl_buf_putc(&b, ';');
    const cJSON *d = asl_json_get(r, "Data");
    for (const cJSON *v = d ? d->child : NULL; v; v = v->next) {
      if (v != d->child) asl_buf_putc(&b, '|');
      const cJSON *s = asl_json_get(v, "VarCharValue");
      asl_buf_puts(&b, cJSON_IsString(s) ? s->valuestring : "~");
      if (!cJSON_IsString(s) && v->child) asl_buf_puts(&b, "(not {})");
    }
  }
  return asl_buf_take(&b);
}

/* ---- resources ---- */

static void test_match(void) {
  static const struct {
    const char *arn, *rtype, *rname;
  } cases[] = {
      {ARN "startQueryExecution", "athena", "startQueryExecution"},
      {ARN "startQueryExecution.sync", "athena", "startQueryExecution.sync"},
      {ARN "getQueryExecution", "athena", "getQueryExecution"},
      {ARN "getQueryResults", "athena", "getQueryResults"},
      {ARN "stopQueryExecution", "athena", "stopQueryExecution"},
      {"arn:aws-us-gov:states:::athena:getQueryResults", "athena",
       "getQueryResults"},
      {SDK "startQueryExecution", "aws-sdk:athena", "startQueryExecution"},
      {SDK "getQueryResults", "aws-sdk:athena", "getQueryResults"},
      {ARN "getQueryResults.sync", NULL, NULL}, /* .sync: start only */
      {SDK "startQueryExecution.sync", NULL, NULL},
      {ARN "getWorkGroup", NULL, NULL},
      {ARN "startqueryexecution", NULL, NULL},
      {"arn:aws:states:::athena", NULL, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *t = NULL, *n = NULL;
    int le = 1;
    const asl_task_ops *ops = asl_task_find(cases[i].arn, &t, &n, &le);
    if (!cases[i].rtype) {
      T_OK(ops != &asl_athena_ops, "%s matched", cases[i].arn);
      continue;
    }
    T_OK(ops == &asl_athena_ops, "%s not matched", cases[i].arn);
    T_STREQ(t, cases[i].rtype);
    T_STREQ(n, cases[i].rname);
    T_OK(le == 0, "lambda events");
  }
}

/* ---- startQueryExecution, getQueryExecution, the result file ---- */

static void test_start_and_get(void) {
  cJSON *o = ok(ARN "startQueryExecution", "{\"QueryString\":\"SELECT 1\"}");
  char *keys = keys_of(o);
  T_STREQ(keys, "QueryExecutionId,SdkHttpMetadata,SdkResponseMetadata");
  free(keys);
  const char *id = str_at(o, "QueryExecutionId");
  T_OK(matches(id, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                   "[0-9a-f]{12}$"),
       "id %s is no UUID v4", id ? id : "");
  const cJSON *md = asl_json_get(o, "SdkHttpMetadata");
  T_OK(asl_json_get(md, "HttpStatusCode") &&
           asl_json_get(md, "HttpStatusCode")->valueint == 200,
       "HttpStatusCode");
  T_STREQ(str_at(md, "HttpHeaders.Content-Type"), "application/x-amz-json-1.1");
  /* the orders of LocalStack's ECS runTask recordings (same SDK, same
   * protocol): as received, and sorted without regard to case */
  keys = keys_of(asl_json_get(md, "AllHttpHeaders"));
  T_STREQ(keys, "x-amzn-RequestId,Content-Length,Date,Content-Type");
  free(keys);
  keys = keys_of(asl_json_get(md, "HttpHeaders"));
  T_STREQ(keys, "Content-Length,Content-Type,Date,x-amzn-RequestId");
  free(keys);
  keys = keys_of(md);
  T_STREQ(keys, "AllHttpHeaders,HttpHeaders,HttpStatusCode");
  free(keys);
  T_STREQ(str_at(o, "SdkResponseMetadata.RequestId"),
          str_at(md, "HttpHeaders.x-amzn-RequestId"));
  char *qid = asl_strdup(id ? id : "");
  cJSON_Delete(o);

  cJSON *g = get_exec(qid);
  const cJSON *qe = asl_json_get(g, "QueryExecution");
  keys = keys_of(qe);
  T_STREQ(keys, "EngineVersion,Query,QueryExecutionContext,QueryExecutionId,"
                "ResultConfiguration,ResultReuseConfiguration,StatementType,"
                "Statistics,Status,SubstatementType,WorkGroup");
  free(keys);
  keys = keys_of(g);
  T_STREQ(keys, "QueryExecution,SdkHttpMetadata,SdkResponseMetadata");
  free(keys);
  T_STREQ(str_at(qe, "QueryExecutionId"), qid);
  T_STREQ(str_at(qe, "Query"), "SELECT 1");
  T_STREQ(str_at(qe, "Status.State"), "SUCCEEDED");
  T_STREQ(str_at(qe, "StatementType"), "DML");
  T_STREQ(str_at(qe, "SubstatementType"), "SELECT");
  T_STREQ(str_at(qe, "WorkGroup"), "primary");
  T_STREQ(str_at(qe, "EngineVersion.EffectiveEngineVersion"),
          "Athena engine version 3");
  char *want = asl_sprintf("%s%s.csv", ASL_ATHENA_DEFAULT_OUTPUT, qid);
  T_STREQ(str_at(qe, "ResultConfiguration.OutputLocation"), want);
  free(want);
  const cJSON *st = asl_json_get(qe, "Status");
  keys = keys_of(st);
  T_STREQ(keys, "CompletionDateTime,State,SubmissionDateTime");
  free(keys);
  const cJSON *sub = asl_json_get(st, "SubmissionDateTime"),
              *done = asl_json_get(st, "CompletionDateTime");
  T_OK(cJSON_IsNumber(sub) && sub->valuedouble > 1.6e12 &&
           sub->valuedouble == (double)(long long)sub->valuedouble,
       "SubmissionDateTime in epoch milliseconds");
  T_OK(cJSON_IsNumber(done) && done->valuedouble >= sub->valuedouble,
       "CompletionDateTime after submission");
  keys = keys_of(asl_json_get(qe, "Statistics"));
  T_STREQ(keys, "DataScannedInBytes,EngineExecutionTimeInMillis,"
                "QueryPlanningTimeInMillis,QueryQueueTimeInMillis,"
                "ResultReuseInformation,ServicePreProcessingTimeInMillis,"
                "ServiceProcessingTimeInMillis,TotalExecutionTimeInMillis");
  free(keys);
  cJSON_Delete(g);

  /* the file Athena writes: a header, values in double quotes */
  char *key = asl_sprintf("%s.csv", qid);
  char *text = lake_text("aws-athena-query-results-asl", key);
  T_STREQ(text, "\"_col0\"\n\"1\"\n");
  free(text);
  free(key);

  /* the SDK integration: no SDK metadata, ISO-8601 timestamps */
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", qid);
  cJSON *s = ok(SDK "getQueryExecution", p);
  keys = keys_of(s);
  T_STREQ(keys, "QueryExecution");
  free(keys);
  T_OK(matches(str_at(s, "QueryExecution.Status.SubmissionDateTime"),
               "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$"),
       "SDK timestamp");
  cJSON_Delete(s);
  free(p);
  free(qid);
}

/* ---- getQueryResults: shapes, NULL, quoting, paging ---- */

static void test_results(void) {
  char *id = start("{\"QueryString\":\"SELECT 'say \\\"hi\\\"' AS s, NULL "
                   "AS n, 7 AS i\"}");
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  cJSON *r = ok(ARN "getQueryResults", p);
  char *keys = keys_of(r);
  T_STREQ(keys, "ResultSet,SdkHttpMetadata,SdkResponseMetadata,UpdateCount");
  free(keys);
  keys = keys_of(asl_json_get(r, "ResultSet"));
  T_STREQ(keys, "ResultSetMetadata,Rows");
  free(keys);
  char *rows = rows_text(r);
  T_STREQ(rows, "s|n|i;say \"hi\"|~|7");
  free(rows);
  const cJSON *ci = asl_json_get(
      asl_json_get(asl_json_get(r, "ResultSet"), "ResultSetMetadata"),
      "ColumnInfo");
  T_OK(cJSON_GetArraySize(ci) == 3, "3 columns");
  const cJSON *c0 = cJSON_GetArrayItem(ci, 0), *c2 = cJSON_GetArrayItem(ci, 2);
  keys = keys_of(c0);
  T_STREQ(keys, "CaseSensitive,CatalogName,Label,Name,Nullable,Precision,"
                "Scale,SchemaName,TableName,Type");
  free(keys);
  /* a literal's type is varchar, as the Type check below requires, so its
   * Precision is varchar's, 2147483647 (Trino would say varchar(8), which
   * the engine does not track) */
  const cJSON *prec = asl_json_get(c0, "Precision");
  long long want_prec = 2147483647;
  T_OK(cJSON_IsNumber(prec) && (long long)prec->valuedouble == want_prec,
       "varchar Precision");
  cJSON *c0x = asl_json_dup(c0);
  cJSON_DeleteItemFromObjectCaseSensitive(c0x, "Precision");
  T_JSONEQ(c0x, "{\"CaseSensitive\":true,\"CatalogName\":\"hive\","
                "\"Label\":\"s\",\"Name\":\"s\",\"Nullable\":\"UNKNOWN\","
                "\"Scale\":0,\"SchemaName\":\"\",\"TableName\":\"\","
                "\"Type\":\"varchar\"}");
  cJSON_Delete(c0x);
  T_JSONEQ(c2, "{\"CaseSensitive\":false,\"CatalogName\":\"hive\","
               "\"Label\":\"i\",\"Name\":\"i\",\"Nullable\":\"UNKNOWN\","
               "\"Precision\":10,\"Scale\":0,\"SchemaName\":\"\","
               "\"TableName\":\"\",\"Type\":\"integer\"}");
  T_OK(asl_json_get(r, "UpdateCount") &&
           asl_json_get(r, "UpdateCount")->valueint == 0,
       "UpdateCount 0");
  cJSON_Delete(r);
  char *key = asl_sprintf("%s.csv", id);
  char *text = lake_text("aws-athena-query-results-asl", key);
  T_STREQ(text, "\"s\",\"n\",\"i\"\n\"say \"\"hi\"\"\",,\"7\"\n");
  free(text);
  free(key);
  free(p);
  free(id);

  /* paging: the header counts as a row; NextToken until the end */
  id = start("{\"QueryString\":\"SELECT 1 AS x UNION ALL SELECT 2 UNION ALL "
             "SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5\"}");
  const char *want[] = {"x;1", "2;3", "4;5"};
  char *tok = NULL;
  for (int page = 0; page < 3; page++) {
    p = tok ? asl_sprintf("{\"QueryExecutionId\":\"%s\",\"MaxResults\":2,"
                          "\"NextToken\":\"%s\"}",
                          id, tok)
            : asl_sprintf("{\"QueryExecutionId\":\"%s\",\"MaxResults\":2}", id);
    r = ok(SDK "getQueryResults", p);
    free(p);
    rows = rows_text(r);
    T_STREQ(rows, want[page]);
    free(rows);
    const char *nt = str_at(r, "NextToken");
    T_OK((nt != NULL) == (page < 2), "page %d NextToken %s", page,
         nt ? nt : "(none)");
    if (page == 0) {
      keys = keys_of(r);
      T_STREQ(keys, "NextToken,ResultSet,UpdateCount");
      free(keys);
    }
    free(tok);
    tok = nt ? asl_strdup(nt) : NULL;
    cJSON_Delete(r);
  }
  /* default MaxResults: everything at once */
  p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  r = ok(ARN "getQueryResults", p);
  rows = rows_text(r);
  T_STREQ(rows, "x;1;2;3;4;5");
  free(rows);
  cJSON_Delete(r);
  free(p);
  /* a token that is not this query's, or no token at all */
  char *other = start("{\"QueryString\":\"SELECT 1 UNION ALL SELECT 2\"}");
  p = asl_sprintf("{\"QueryExecutionId\":\"%s\",\"MaxResults\":1}", other);
  r = ok(ARN "getQueryResults", p);
  char *otok = asl_strdup(str_at(r, "NextToken") ? str_at(r, "NextToken") : "");
  cJSON_Delete(r);
  free(p);
  const char *bad[] = {otok, "garbage!", "YWJj"};
  for (size_t i = 0; i < 3; i++) {
    p = asl_sprintf("{\"QueryExecutionId\":\"%s\",\"NextToken\":\"%s\"}", id,
                    bad[i]);
    char *cause =
        fails(ARN "getQueryResults", p, "Athena.InvalidRequestException");
    T_OK(strstr(cause, "NextToken") != NULL, "cause: %s", cause);
    free(cause);
    free(p);
  }
  static const char *const maxes[] = {"0", "1001", "-1", "\"5\""};
  for (size_t i = 0; i < 4; i++) {
    p = asl_sprintf("{\"QueryExecutionId\":\"%s\",\"MaxResults\":%s}", id,
                    maxes[i]);
    char *cause =
        fails(ARN "getQueryResults", p, "Athena.InvalidRequestException");
    T_OK(strstr(cause, "axResults") != NULL, "cause: %s", cause);
    free(cause);
    free(p);
  }
  free(otok);
  free(other);
  free(id);
}

/* ---- .sync ---- */

static void test_sync(void) {
  asl_error e = {0};
  cJSON *out = NULL, *sub = NULL;
  int rc = call(ARN "startQueryExecution.sync",
                "{\"QueryString\":\"SELECT 42 AS answer\","
                "\"QueryExecutionContext\":{\"Database\":\"default\"},"
                "\"WorkGroup\":\"primary\"}",
                &out, &sub, &e);
  T_OK(rc == 0, ".sync: %s", e.cause ? e.cause : "");
  char *keys = keys_of(out);
  T_STREQ(keys, "QueryExecution");
  free(keys);
  T_STREQ(str_at(out, "QueryExecution.Status.State"), "SUCCEEDED");
  T_STREQ(str_at(out, "QueryExecution.QueryExecutionContext.Database"),
          "default");
  keys = keys_of(sub);
  T_STREQ(keys, "QueryExecutionId,SdkHttpMetadata,SdkResponseMetadata");
  free(keys);
  T_STREQ(str_at(sub, "QueryExecutionId"),
          str_at(out, "QueryExecution.QueryExecutionId"));
  cJSON_Delete(out);
  cJSON_Delete(sub);
  asl_error_clear(&e);

  /* a statement Athena cannot run: the query FAILS, the Task with it */
  rc = call(ARN "startQueryExecution.sync",
            "{\"QueryString\":\"ALTER TABLE nosuch RENAME TO other\"}", &out,
            &sub, &e);
  T_OK(rc < 0, "ALTER ... RENAME succeeded");
  T_STREQ(e.name, "States.TaskFailed");
  cJSON *cause = e.cause ? cJSON_Parse(e.cause) : NULL;
  T_OK(cause != NULL, "cause is JSON: %s", e.cause ? e.cause : "");
  T_STREQ(str_at(cause, "QueryExecution.Status.State"), "FAILED");
  T_STREQ(str_at(cause, "QueryExecution.StatementType"), "DDL");
  const char *reason = str_at(cause, "QueryExecution.Status.StateChangeReason");
  T_OK(reason && *reason, "StateChangeReason");
  T_STREQ(str_at(cause, "QueryExecution.Status.AthenaError.ErrorMessage"),
          reason);
  const cJSON *cat = asl_json_get(
      asl_json_get(
          asl_json_get(asl_json_get(cause, "QueryExecution"), "Status"),
          "AthenaError"),
      "ErrorCategory");
  T_OK(cat && cat->valueint == 2, "ErrorCategory USER");
  T_OK(sub && str_at(sub, "QueryExecutionId") &&
           strcmp(str_at(sub, "QueryExecutionId"),
                  str_at(cause, "QueryExecution.QueryExecutionId")) == 0,
       "TaskSubmitted names the failed query");
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}",
                        str_at(cause, "QueryExecution.QueryExecutionId"));
  char *c = fails(ARN "getQueryResults", p, "Athena.InvalidRequestException");
  T_OK(strstr(c, "Query did not finish successfully. Final query state: "
                 "FAILED") == c,
       "cause: %s", c);
  free(c);
  /* stopping a finished query: {} and nothing changes */
  cJSON *s = ok(ARN "stopQueryExecution", p);
  keys = keys_of(s);
  T_STREQ(keys, "SdkHttpMetadata,SdkResponseMetadata");
  free(keys);
  cJSON_Delete(s);
  s = ok(SDK "stopQueryExecution", p);
  T_JSONEQ(s, "{}");
  cJSON_Delete(s);
  cJSON *g = ok(ARN "getQueryExecution", p);
  T_STREQ(str_at(g, "QueryExecution.Status.State"), "FAILED");
  cJSON_Delete(g);
  free(p);
  cJSON_Delete(cause);
  cJSON_Delete(out);
  cJSON_Delete(sub);
  asl_error_clear(&e);

  /* a request Athena refuses: no query, no TaskSubmitted */
  rc = call(ARN "startQueryExecution.sync", "{}", &out, &sub, &e);
  T_OK(rc < 0 && sub == NULL, "refused request submitted nothing");
  T_STREQ(e.name, "Athena.InvalidRequestException");
  cJSON_Delete(out);
  cJSON_Delete(sub);
  asl_error_clear(&e);
}

/* ---- ClientRequestToken ---- */

static int count_queries(void) {
  char *path = asl_sprintf("%s/athena/queries.db", g_home);
  sqlite3 *db = NULL;
  int n = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM queries", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  free(path);
  return n;
}

static void test_token(void) {
  const char *req = "{\"QueryString\":\"SELECT 1\",\"ClientRequestToken\":"
                    "\"token-0123456789abcdef0123456789abcdef\"}";
  int before = count_queries();
  char *a = start(req), *b = start(req);
  T_STREQ(a, b);
  T_OK(count_queries() == before + 1, "one execution for one token");
  cJSON *out = NULL, *sub = NULL;
  asl_error e = {0};
  int rc = call(ARN "startQueryExecution.sync", req, &out, &sub, &e);
  T_OK(rc == 0 &&
           strcmp(str_at(out, "QueryExecution.QueryExecutionId"), a) == 0,
       ".sync with the token: the same execution");
  cJSON_Delete(out);
  cJSON_Delete(sub);
  asl_error_clear(&e);
  char *c = fails(ARN "startQueryExecution",
                  "{\"QueryString\":\"SELECT 2\",\"ClientRequestToken\":"
                  "\"token-0123456789abcdef0123456789abcdef\"}",
                  "Athena.InvalidRequestException");
  T_OK(strstr(c, "Idempotent parameters do not match") == c, "cause: %s", c);
  free(c);
  c = fails(ARN "startQueryExecution",
            "{\"QueryString\":\"SELECT 1\",\"ClientRequestToken\":\"short\"}",
            "Athena.InvalidRequestException");
  T_OK(strstr(c, "'clientRequestToken' failed to satisfy constraint: Member "
                 "must have length greater than or equal to 32") != NULL,
       "cause: %s", c);
  free(c);
  free(a);
  free(b);
}

/* ---- ExecutionParameters ---- */

static void test_params(void) {
  char *id = start("{\"QueryString\":\"SELECT '?' AS q, ? AS n, ? AS s\","
                   "\"ExecutionParameters\":[\"7\",\"'it''s'\"]}");
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  cJSON *r = ok(ARN "getQueryResults", p);
  char *rows = rows_text(r);
  T_STREQ(rows, "q|n|s;?|7|it's");
  free(rows);
  cJSON_Delete(r);
  r = get_exec(id);
  T_JSONEQ(
      asl_json_get(asl_json_get(r, "QueryExecution"), "ExecutionParameters"),
      "[\"7\",\"'it''s'\"]");
  T_STREQ(str_at(r, "QueryExecution.Query"), "SELECT '?' AS q, ? AS n, ? AS s");
  cJSON_Delete(r);
  free(p);
  free(id);
  /* a value that is not one literal, or the wrong count: the query fails */
  static const struct {
    const char *params, *reason;
  } bad[] = {{"[\"1; DROP TABLE t\"]", "not a SQL literal"},
             {"[\"'a' || 'b'\"]", "not a SQL literal"},
             {"[\"1\",\"2\"]", "Incorrect number of parameters: expected 1 "
                               "but found 2"}};
  for (size_t i = 0; i < 3; i++) {
    char *req = asl_sprintf("{\"QueryString\":\"SELECT ? AS x\","
                            "\"ExecutionParameters\":%s}",
                            bad[i].params);
    id = start(req);
    r = get_exec(id);
    T_STREQ(str_at(r, "QueryExecution.Status.State"), "FAILED");
    const char *why = str_at(r, "QueryExecution.Status.StateChangeReason");
    T_OK(why && strstr(why, bad[i].reason), "%s: reason %s", bad[i].params,
         why ? why : "(none)");
    cJSON_Delete(r);
    free(req);
    free(id);
  }
  char *c = fails(ARN "startQueryExecution",
                  "{\"QueryString\":\"SELECT 1\",\"ExecutionParameters\":[]}",
                  "Athena.InvalidRequestException");
  free(c);
}

/* ---- output locations ---- */

static void test_output(void) {
  char *c = fails(ARN "startQueryExecution",
                  "{\"QueryString\":\"SELECT 1\",\"ResultConfiguration\":"
                  "{\"OutputLocation\":\"s3://no-such-results/x/\"}}",
                  "Athena.InvalidRequestException");
  T_OK(strstr(c, "Unable to verify/create output bucket no-such-results") == c,
       "cause: %s", c);
  free(c);
  c = fails(ARN "startQueryExecution",
            "{\"QueryString\":\"SELECT 1\",\"ResultConfiguration\":"
            "{\"OutputLocation\":\"/tmp/x\"}}",
            "Athena.InvalidRequestException");
  free(c);
  asl_error e = {0};
  T_OK(asl_lake_make_bucket(g_root, "results", &e) == 0, "mb");
  asl_error_clear(&e);
  /* a prefix without its '/' is a folder all the same */
  char *id = start("{\"QueryString\":\"CREATE DATABASE IF NOT EXISTS "
                   "athena_test_db\",\"ResultConfiguration\":{"
                   "\"OutputLocation\":\"s3://results/athena/ddl\","
                   "\"EncryptionConfiguration\":{\"EncryptionOption\":"
                   "\"SSE_S3\"}}}");
  cJSON *g = get_exec(id);
  char *want = asl_sprintf("s3://results/athena/ddl/%s.txt", id);
  T_STREQ(str_at(g, "QueryExecution.ResultConfiguration.OutputLocation"), want);
  T_STREQ(str_at(g, "QueryExecution.ResultConfiguration."
                    "EncryptionConfiguration.EncryptionOption"),
          "SSE_S3");
  T_STREQ(str_at(g, "QueryExecution.StatementType"), "DDL");
  T_STREQ(str_at(g, "QueryExecution.Status.State"), "SUCCEEDED");
  free(want);
  char *key = asl_sprintf("athena/ddl/%s.txt", id);
  char *text = lake_text("results", key);
  T_STREQ(text, "");
  free(text);
  free(key);
  cJSON_Delete(g);
  free(id);
  /* SHOW: no header row, tab-separated text */
  id = start("{\"QueryString\":\"SHOW TABLES IN athena_test_db\","
             "\"ResultConfiguration\":{\"OutputLocation\":\"s3://results/\"}}");
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  cJSON *r = ok(ARN "getQueryResults", p);
  char *rows = rows_text(r);
  T_STREQ(rows, "");
  free(rows);
  T_OK(cJSON_GetArraySize(asl_json_get(
           asl_json_get(asl_json_get(r, "ResultSet"), "ResultSetMetadata"),
           "ColumnInfo")) == 1,
       "SHOW TABLES has one column");
  cJSON_Delete(r);
  free(p);
  free(id);
  c = fails(ARN "startQueryExecution",
            "{\"QueryString\":\"SELECT 1\",\"ResultConfiguration\":{"
            "\"EncryptionConfiguration\":{\"EncryptionOption\":\"ROT13\"}}}",
            "Athena.InvalidRequestException");
  free(c);
}

/* ---- errors ---- */

static void test_errors(void) {
  char *c =
      fails(ARN "startQueryExecution", "{}", "Athena.InvalidRequestException");
  T_OK(matches(c, "^1 validation error detected: Value null at 'queryString' "
                  "failed to satisfy constraint: Member must not be null "
                  "\\(Service: AmazonAthena; Status Code: 400; Error Code: "
                  "InvalidRequestException; Request ID: [0-9a-f-]{36}; "
                  "Proxy: null\\)$"),
       "cause: %s", c);
  free(c);
  c = fails(SDK "getQueryExecution",
            "{\"QueryExecutionId\":\"0f0e0d0c-0000-4000-8000-000000000000\"}",
            "Athena.InvalidRequestException");
  T_OK(matches(c, "^QueryExecution 0f0e0d0c-0000-4000-8000-000000000000 was "
                  "not found \\(Service: Athena, Status Code: 400, Request "
                  "ID: [0-9a-f-]{36}\\)$"),
       "cause: %s", c);
  free(c);
  c = fails(ARN "stopQueryExecution", "{\"QueryExecutionId\":\"nope\"}",
            "Athena.InvalidRequestException");
  free(c);
  c = fails(ARN "getQueryResults", "{\"QueryExecutionId\":5}",
            "Athena.InvalidRequestException");
  free(c);
  c = fails(ARN "startQueryExecution", "{\"QueryString\":\"\"}",
            "Athena.InvalidRequestException");
  free(c);
  /* the deadline: past it, the Task times out */
  cJSON *p = cJSON_Parse("{\"QueryString\":\"SELECT 1\"}");
  asl_task_req req = {0};
  req.resource = ARN "startQueryExecution";
  req.params = p;
  req.deadline = (double)time(NULL) - 1;
  cJSON *out = NULL;
  asl_error e = {0};
  T_OK(asl_athena_ops.run(&req, &out, &e) < 0, "past deadline");
  T_STREQ(e.name, "States.Timeout");
  asl_error_clear(&e);
  cJSON_Delete(out);
  cJSON_Delete(p);
}

/* ---- with the real engine: a table over a CSV file in the lake ---- */

static void test_real_engine(void) {
  asl_error e = {0};
  asl_lake_make_bucket(g_root, "datalake", &e);
  asl_error_clear(&e);
  const char *csv = "1,alice,10.5\n2,bob,\n3,carol,7.25\n";
  T_OK(asl_lake_put(g_root, "datalake", "people/part-0.csv", csv, strlen(csv),
                    NULL, &e) == 0,
       "put csv");
  asl_error_clear(&e);
  cJSON *o = ok(ARN "startQueryExecution.sync",
                "{\"QueryString\":\"CREATE DATABASE IF NOT EXISTS realdb\"}");
  cJSON_Delete(o);
  o = ok(ARN "startQueryExecution.sync",
         "{\"QueryString\":\"CREATE EXTERNAL TABLE IF NOT EXISTS people (id "
         "bigint, name string, score double) ROW FORMAT DELIMITED FIELDS "
         "TERMINATED BY ',' LOCATION 's3://datalake/people/'\","
         "\"QueryExecutionContext\":{\"Database\":\"realdb\"}}");
  T_STREQ(str_at(o, "QueryExecution.StatementType"), "DDL");
  cJSON_Delete(o);
  char *id = start("{\"QueryString\":\"SHOW TABLES IN realdb\"}");
  char *p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  cJSON *r = ok(ARN "getQueryResults", p);
  char *rows = rows_text(r);
  T_STREQ(rows, "people");
  free(rows);
  cJSON_Delete(r);
  free(p);
  char *key = asl_sprintf("%s.txt", id);
  char *text = lake_text("aws-athena-query-results-asl", key);
  T_STREQ(text, "people\n");
  free(text);
  free(key);
  free(id);
  id = start("{\"QueryString\":\"SELECT id, name, score FROM people ORDER BY "
             "id\",\"QueryExecutionContext\":{\"Database\":\"realdb\"}}");
  p = asl_sprintf("{\"QueryExecutionId\":\"%s\"}", id);
  r = ok(ARN "getQueryResults", p);
  rows = rows_text(r);
  T_STREQ(rows, "id|name|score;1|alice|10.5;2|bob|~;3|carol|7.25");
  free(rows);
  const cJSON *ci = asl_json_get(
      asl_json_get(asl_json_get(r, "ResultSet"), "ResultSetMetadata"),
      "ColumnInfo");
  T_STREQ(str_at(cJSON_GetArrayItem(ci, 0), "Type"), "bigint");
  const cJSON *prec = asl_json_get(cJSON_GetArrayItem(ci, 0), "Precision");
  T_OK(prec && prec->valueint == 19, "bigint precision 19");
  T_STREQ(str_at(cJSON_GetArrayItem(ci, 1), "Type"), "varchar");
  T_STREQ(str_at(cJSON_GetArrayItem(ci, 2), "Type"), "double");
  prec = asl_json_get(cJSON_GetArrayItem(ci, 2), "Precision");
  T_OK(prec && prec->valueint == 17, "double precision 17");
  cJSON_Delete(r);
  cJSON *g = get_exec(id);
  const cJSON *scanned = asl_json_get(
      asl_json_get(asl_json_get(g, "QueryExecution"), "Statistics"),
      "DataScannedInBytes");
  T_OK(scanned && scanned->valuedouble > 0, "DataScannedInBytes");
  cJSON_Delete(g);
  free(p);
  free(id);
  /* an unknown table: the query FAILS (Athena's TABLE_NOT_FOUND) */
  id = start("{\"QueryString\":\"SELECT * FROM realdb.nosuch\"}");
  g = get_exec(id);
  T_STREQ(str_at(g, "QueryExecution.Status.State"), "FAILED");
  cJSON_Delete(g);
  free(id);
}

/* ---- what queries.db keeps, for a later process ---- */

static void test_store(void) {
  char *id = start("{\"QueryString\":\"SELECT 1 AS one\","
                   "\"QueryExecutionContext\":{\"Database\":\"default\","
                   "\"Catalog\":\"AwsDataCatalog\"},\"WorkGroup\":\"wg1\"}");
  char *path = asl_sprintf("%s/athena/queries.db", g_home);
  sqlite3 *db = NULL;
  T_OK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
       "open queries.db");
  sqlite3_stmt *st = NULL;
  T_OK(sqlite3_prepare_v2(db,
                          "SELECT query, db, catalog, workgroup, state, "
                          "stype, sstype, columns, header_row, nrows FROM "
                          "queries WHERE id = ?",
                          -1, &st, NULL) == SQLITE_OK,
       "prepare");
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  T_OK(sqlite3_step(st) == SQLITE_ROW, "row for %s", id);
  T_STREQ((const char *)sqlite3_column_text(st, 0), "SELECT 1 AS one");
  T_STREQ((const char *)sqlite3_column_text(st, 1), "default");
  T_STREQ((const char *)sqlite3_column_text(st, 2), "AwsDataCatalog");
  T_STREQ((const char *)sqlite3_column_text(st, 3), "wg1");
  T_STREQ((const char *)sqlite3_column_text(st, 4), "SUCCEEDED");
  T_STREQ((const char *)sqlite3_column_text(st, 5), "DML");
  T_STREQ((const char *)sqlite3_column_text(st, 6), "SELECT");
  T_STREQ((const char *)sqlite3_column_text(st, 7), "[[\"one\",\"integer\"]]");
  T_OK(sqlite3_column_int(st, 8) == 1, "header_row");
  T_OK(sqlite3_column_int(st, 9) == 1, "nrows");
  sqlite3_finalize(st);
  sqlite3_close(db);
  free(path);
  free(id);
}

T_MAIN("athena") {
  T_OK(mkdtemp(g_home) != NULL, "mkdtemp");
  setenv("ASL_HOME", g_home, 1);
  g_root = asl_lake_root();
  test_match();
  test_start_and_get();
  test_results();
  test_sync();
  test_token();
  test_params();
  test_output();
  test_errors();
  test_real_engine();
  test_store();
  free(g_root);
  char *rm = asl_sprintf("rm -rf '%s'", g_home);
  if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", g_home);
  free(rm);
}
