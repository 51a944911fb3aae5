/* test_store.c: the durable store (engine/store.c) and `asl run` recorded
 * (cli/store_cmds.c). Migrations on a new file and on reopening, machines
 * and their definitions, ExecutionAlreadyExists and AWS's idempotent start,
 * events written once, one transaction per tick, the history and
 * DescribeExecution equal to the engine's own, EXPRESS without events, list
 * filters, lookups by name, a crash and resume, ":memory:", and the two
 * failures a user meets: a database locked by another connection and a
 * full disk, each a clear error that leaves the file usable. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cli/store_cmds.h"
#include "../../engine/json.h"
#include "../../engine/store.h"
#include "t.h"

static char dir[64];

/* A fresh file name in the test's folder. */
static char *db_file(const char *name) {
  return asl_sprintf("%s/%s", dir, name);
}

static void remove_db(const char *path) {
  static const char *const ext[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    char *p = asl_sprintf("%s%s", path, ext[i]);
    unlink(p);
    free(p);
  }
}

/* One row, one integer column, on a raw connection. */
static long long query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -2;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static int contains(const char *s, const char *part) {
  return s && part && strstr(s, part) != NULL;
}

static asl_store *open_ok(const char *path) {
  asl_store *s = NULL;
  asl_error e = {0};
  T_OK(asl_store_open(path, &s, &e) == 0, "open %s: %s", path,
       e.cause ? e.cause : "");
  asl_error_clear(&e);
  return s;
}

/* ---- machines for the runs ---- */

static const char pass_def[] =
    "{\"StartAt\":\"A\",\"States\":{"
    "\"A\":{\"Type\":\"Pass\",\"Result\":1,\"ResultPath\":\"$.a\","
    "\"Next\":\"W\"},"
    "\"W\":{\"Type\":\"Wait\",\"Seconds\":30,\"Next\":\"B\"},"
    "\"B\":{\"Type\":\"Pass\",\"Next\":\"W2\"},"
    "\"W2\":{\"Type\":\"Wait\",\"Seconds\":5,\"End\":true}}}";

static const char fail_def[] =
    "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
    "\"Error\":\"Oops\",\"Cause\":\"it broke\"}}}";

static asl_machine *load(const char *def, const char *name,
                         const char *type) {
  asl_diags d = {0};
  asl_load_opts o = {type, name, NULL};
  asl_machine *m = asl_machine_load(def, strlen(def), &o, &d);
  T_OK(m != NULL, "machine %s loads", name);
  asl_diags_free(&d);
  return m;
}

/* A chain of n Pass states: 2n + 2 events, several ticks. */
static char *pass_chain(int n) {
  asl_buf b = {0};
  asl_buf_puts(&b, "{\"StartAt\":\"S0\",\"States\":{");
  for (int i = 0; i < n; i++) {
    asl_buf_printf(&b, "%s\"S%d\":{\"Type\":\"Pass\",", i ? "," : "", i);
    if (i + 1 < n) asl_buf_printf(&b, "\"Next\":\"S%d\"}", i + 1);
    else asl_buf_puts(&b, "\"End\":true}");
  }
  asl_buf_puts(&b, "}}");
  return asl_buf_take(&b);
}

/* Puts machine m (definition def) and starts execution name; returns its
 * row id (0 on failure). */
static long long start(asl_store *s, const asl_machine *m, const char *mname,
                       const char *def, const char *type, const char *name,
                       const char *input) {
  asl_error e = {0};
  asl_store_machine sm = {mname, asl_machine_arn(m), def, type, NULL, 0};
  T_OK(asl_store_put_machine(s, &sm, &e) == 0, "put %s: %s", mname, e.cause);
  const char *arn0 = asl_machine_arn(m);
  const char *sm_at = strstr(arn0, ":stateMachine:");
  char *arn = asl_sprintf("%.*s:execution:%s:%s", (int)(sm_at - arn0), arn0,
                          mname, name);
  asl_store_start x = {mname, name, arn, input, 1700000000.5, NULL};
  long long id = 0;
  int rc = asl_store_start_execution(s, &x, &id, &e);
  T_OK(rc == 0, "start %s: %s", name, e.cause);
  asl_error_clear(&e);
  free(arn);
  return rc == 0 ? id : 0;
}

/* Runs m into execution id through a store sink (virtual clock, fixed
 * start), keeping the engine's own history in r. */
static int run_into(asl_store *s, long long id, const asl_machine *m,
                    const char *name, const char *input, asl_result *r,
                    asl_error *e) {
  asl_sink sink = asl_store_sink(s, id);
  asl_run_opts o = {0};
  o.name = name;
  o.virtual_clock = 1;
  o.start_time = 1700000000.5;
  o.seed = 3;
  o.keep_history = 1;
  o.sink = &sink;
  char *msg = NULL;
  int rc = asl_run(m, input, &o, r, &msg);
  free(msg);
  if (asl_store_sink_end(&sink, e) < 0) rc = -1;
  return rc;
}

static const char *exec_arn(const asl_result *r) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(r->describe,
                                                  "executionArn"));
}

/* ---- migrations ---- */

/* The schema as asl shipped it at version 2 (migrations 1 and 2), to check
 * that later migrations carry such a file forward. */
static const char SCHEMA_2[] =
    "CREATE TABLE definitions ("
    "  id INTEGER PRIMARY KEY,"
    "  hash INTEGER NOT NULL,"
    "  text TEXT NOT NULL);"
    "CREATE INDEX definitions_hash ON definitions(hash);"
    "CREATE TABLE state_machines ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  arn TEXT NOT NULL,"
    "  definition_id INTEGER NOT NULL REFERENCES definitions(id),"
    "  type TEXT NOT NULL CHECK (type IN ('STANDARD', 'EXPRESS')),"
    "  role_arn TEXT,"
    "  created REAL NOT NULL,"
    "  updated REAL NOT NULL);"
    "CREATE TABLE executions ("
    "  id INTEGER PRIMARY KEY,"
    "  arn TEXT NOT NULL UNIQUE,"
    "  machine TEXT NOT NULL REFERENCES state_machines(name),"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED',"
    "    'FAILED', 'TIMED_OUT', 'ABORTED')),"
    "  type TEXT NOT NULL CHECK (type IN ('STANDARD', 'EXPRESS')),"
    "  definition_id INTEGER NOT NULL REFERENCES definitions(id),"
    "  input TEXT NOT NULL,"
    "  output TEXT,"
    "  error TEXT,"
    "  cause TEXT,"
    "  start REAL NOT NULL,"
    "  stop REAL,"
    "  checkpoint TEXT,"
    "  options TEXT);"
    "CREATE UNIQUE INDEX executions_name ON executions(machine, name)"
    "  WHERE type = 'STANDARD';"
    "CREATE INDEX executions_status ON executions(status, start);"
    "CREATE INDEX executions_machine ON executions(machine, start);"
    "CREATE INDEX executions_by_name ON executions(name);"
    "CREATE TABLE events ("
    "  execution INTEGER NOT NULL REFERENCES executions(id),"
    "  id INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  timestamp REAL NOT NULL,"
    "  previous_event_id INTEGER NOT NULL,"
    "  details TEXT,"
    "  PRIMARY KEY (execution, id));"
    "ALTER TABLE executions ADD COLUMN owner INTEGER;";

static void test_migrations(void) {
  char *path = db_file("m.db");
  asl_store *s = open_ok(path);
  if (!s) return;
  T_OK(asl_store_schema_version(s) == 5, "fresh file at schema 5");
  sqlite3 *db = asl_store_handle(s);
  T_OK(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type='table'"
                     " AND name IN ('definitions','state_machines',"
                     "'executions','events')") == 4,
       "migration 1 made the four tables");
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
  sqlite3_step(st);
  T_STREQ((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  T_OK(query_int(db, "PRAGMA busy_timeout") == 5000, "busy timeout 5 s");
  T_STREQ(asl_store_path(s), path);
  asl_store_close(s);

  s = open_ok(path);
  T_OK(s && asl_store_schema_version(s) == 5, "reopened: still schema 5");
  if (s)
    T_OK(query_int(asl_store_handle(s),
                   "SELECT count(*) FROM pragma_table_info('executions')"
                   " WHERE name = 'owner'") == 1,
         "migration 2 added executions.owner");
  if (s)
    T_OK(query_int(asl_store_handle(s),
                   "SELECT count(*) FROM pragma_table_info('executions')"
                   " WHERE name = 'parent'") == 1,
         "migration 3 added executions.parent");
  asl_store_close(s);

  /* a file at schema 2 with history keeps it through migration 3 */
  char *old = db_file("m2.db");
  sqlite3 *o2;
  sqlite3_open(old, &o2);
  T_OK(sqlite3_exec(o2, SCHEMA_2, NULL, NULL, NULL) == SQLITE_OK &&
           sqlite3_exec(o2,
                        "INSERT INTO definitions VALUES (1, 5, '{}');"
                        "INSERT INTO state_machines VALUES (1, 'm', 'arn:m',"
                        " 1, 'STANDARD', NULL, 1, 1);"
                        "INSERT INTO executions(id, arn, machine, name,"
                        " status, type, definition_id, input, start) VALUES"
                        " (1, 'arn:e', 'm', 'e', 'RUNNING', 'STANDARD', 1,"
                        " '{}', 1);"
                        "INSERT INTO events VALUES (1, 1, 'ExecutionStarted',"
                        " 5, 0, '{}'), (1, 2, 'PassStateEntered', 6, 1, NULL);"
                        "PRAGMA user_version = 2;",
                        NULL, NULL, NULL) == SQLITE_OK,
       "a schema-2 file made by hand");
  sqlite3_close(o2);
  /* run migrations 3 and 4 on it */
  s = NULL;
  asl_error me = {0};
  T_OK(asl_store_open(old, &s, &me) == 0 && s, "schema 2 opens: %s",
       me.cause ? me.cause : "");
  if (s) {
    T_OK(asl_store_schema_version(s) == 5, "migrated to 5");
    T_OK(query_int(asl_store_handle(s),
                   "SELECT count(*) FROM events WHERE execution = 1 AND"
                   " ((id = 1 AND type = 'ExecutionStarted') OR (id = 2 AND"
                   " previous_event_id = 1 AND details IS NULL))") == 2,
         "the events survive migrations 3 and 4");
  }
  asl_store_close(s);
  asl_error_clear(&me);
  free(old);

  /* a file from a newer asl is refused, untouched */
  sqlite3 *raw;
  sqlite3_open(path, &raw);
  sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
  sqlite3_close(raw);
  asl_error e = {0};
  s = NULL;
  T_OK(asl_store_open(path, &s, &e) < 0 && !s, "newer schema refused");
  T_OK(contains(e.cause, "newer") && contains(e.cause, path),
       "newer schema: %s", e.cause);
  asl_error_clear(&e);

  /* not a database: the error names the file and says so */
  char *junk = db_file("junk.db");
  FILE *f = fopen(junk, "w");
  fputs("this is not a database, not at all, but it is long enough to have "
        "a header of a hundred bytes so that SQLite reads it as one.....",
        f);
  fclose(f);
  T_OK(asl_store_open(junk, &s, &e) < 0, "junk file refused");
  T_STREQ(e.name, "Store.Corrupt");
  T_OK(contains(e.cause, junk) && contains(e.cause, "not a database"),
       "junk: %s", e.cause);
  asl_error_clear(&e);
  remove_db(junk);
  free(junk);
  remove_db(path);
  free(path);
}

/* ---- machines and starts ---- */

static void test_machines_and_starts(asl_store *s) {
  asl_error e = {0};
  sqlite3 *db = asl_store_handle(s);
  asl_machine *m = load(pass_def, "m1", NULL);
  if (!m) return;
  long long defs0 = query_int(db, "SELECT count(*) FROM definitions");
  asl_store_machine sm = {"m1", asl_machine_arn(m), pass_def, NULL, "r", 0};
  T_OK(asl_store_put_machine(s, &sm, &e) == 0, "put m1");
  T_OK(asl_store_put_machine(s, &sm, &e) == 0, "put m1 again");
  T_OK(query_int(db, "SELECT count(*) FROM definitions") == defs0 + 1,
       "the same definition is kept once");
  sm.definition = fail_def;
  T_OK(asl_store_put_machine(s, &sm, &e) == 0, "update m1");
  T_OK(query_int(db, "SELECT count(*) FROM state_machines WHERE name='m1'") ==
           1,
       "an update keeps one row per name");
  sm.definition = pass_def;
  asl_store_put_machine(s, &sm, &e);
  asl_store_machine bad = {"x", NULL, pass_def, NULL, NULL, 0};
  T_OK(asl_store_put_machine(s, &bad, &e) < 0, "a machine needs an ARN");
  asl_error_clear(&e);

  long long id = start(s, m, "m1", pass_def, NULL, "e1", "{\"a\":1}");
  T_OK(id > 0, "started e1");
  asl_store_start x = {"m1", "e1", "arn:other", "{\"a\":2}", 0, NULL};
  long long id2 = 0;
  T_OK(asl_store_start_execution(s, &x, &id2, &e) < 0, "e1 taken");
  T_STREQ(e.name, "ExecutionAlreadyExists");
  T_OK(contains(e.cause, "Execution Already Exists: 'arn:") &&
           contains(e.cause, ":execution:m1:e1'"),
       "taken: %s", e.cause);
  asl_error_clear(&e);
  x.input = "{\"a\":1}";
  T_OK(asl_store_start_execution(s, &x, &id2, &e) == 1 && id2 == id,
       "same name and input while running: the same execution (AWS)");
  asl_store_outcome done = {"SUCCEEDED", "{}", NULL, NULL, 1700000001, 0};
  T_OK(asl_store_finish_execution(s, id, &done, &e) == 0, "finish e1");
  T_OK(asl_store_start_execution(s, &x, &id2, &e) < 0 &&
           strcmp(e.name, "ExecutionAlreadyExists") == 0,
       "same name and input once ended: ExecutionAlreadyExists");
  asl_error_clear(&e);
  x.machine = "nope";
  T_OK(asl_store_start_execution(s, &x, &id2, &e) < 0, "unknown machine");
  T_STREQ(e.name, "StateMachineDoesNotExist");
  asl_error_clear(&e);
  asl_store_outcome odd = {"DONE", NULL, NULL, NULL, 0, 0};
  T_OK(asl_store_finish_execution(s, id, &odd, &e) < 0 &&
           strcmp(e.name, "ValidationException") == 0,
       "a status that is none");
  asl_error_clear(&e);
  T_OK(asl_store_finish_execution(s, 999999, &done, &e) < 0 &&
           strcmp(e.name, "ExecutionDoesNotExist") == 0,
       "finishing no execution");
  asl_error_clear(&e);
  asl_machine_free(m);
}

/* ---- a run recorded: history and describe equal the engine's ---- */

static void test_recorded_run(asl_store *s) {
  asl_error e = {0};
  asl_machine *m = load(pass_def, "m2", NULL);
  if (!m) return;
  long long id = start(s, m, "m2", pass_def, NULL, "r1", "{\"in\":true}");
  asl_result r;
  T_OK(run_into(s, id, m, "r1", "{\"in\":true}", &r, &e) == 0, "r1 runs: %s",
       e.cause);
  T_STREQ(r.status, "SUCCEEDED");
  const char *arn = exec_arn(&r);
  cJSON *d = NULL, *h = NULL;
  /* the last tick recorded the outcome, before any finish call */
  T_OK(asl_store_describe(s, arn, &d, &e) == 0, "describe r1");
  char *want = cJSON_PrintUnformatted(r.describe);
  T_JSONEQ(d, want);
  cJSON_free(want);
  cJSON_Delete(d);
  T_OK(asl_store_get_history(s, arn, 0, &h, &e) == 0, "history r1");
  want = cJSON_PrintUnformatted(r.history);
  T_JSONEQ(h, want);
  cJSON_free(want);
  T_OK(cJSON_GetArraySize(h) == r.events, "%d events stored",
       cJSON_GetArraySize(h));
  cJSON_Delete(h);
  T_OK(asl_store_get_history(s, arn, 1, &h, &e) == 0, "reverse history");
  T_OK(h && h->child &&
           cJSON_GetObjectItem(h->child, "id")->valueint == (int)r.events &&
           strcmp(cJSON_GetObjectItem(h->child, "type")->valuestring,
                  "ExecutionSucceeded") == 0,
       "reverse: the terminal event first");
  cJSON_Delete(h);
  sqlite3 *db = asl_store_handle(s);
  char *sql = asl_sprintf("SELECT stop IS NOT NULL AND NOT EXISTS (SELECT 1"
                          " FROM checkpoints WHERE execution = id) "
                          "FROM executions WHERE id = %lld",
                          id);
  T_OK(query_int(db, sql) == 1, "ended: no checkpoint, a stop time");
  free(sql);
  T_OK(asl_store_finish_result(s, id, &r, &e) == 0, "finish_result r1");
  T_OK(asl_store_describe(s, arn, &d, &e) == 0, "describe again");
  want = cJSON_PrintUnformatted(r.describe);
  T_JSONEQ(d, want);
  cJSON_free(want);
  cJSON_Delete(d);
  asl_result_free(&r);

  /* a failure: error and cause, no output */
  asl_machine *f = load(fail_def, "mf", NULL);
  id = start(s, f, "mf", fail_def, NULL, "f1", "{}");
  T_OK(run_into(s, id, f, "f1", "{}", &r, &e) == 0, "f1 runs");
  arn = exec_arn(&r);
  T_OK(asl_store_describe(s, arn, &d, &e) == 0, "describe f1");
  T_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "status")), "FAILED");
  T_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "error")), "Oops");
  T_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "cause")), "it broke");
  T_OK(!cJSON_GetObjectItem(d, "output"), "a failure has no output");
  want = cJSON_PrintUnformatted(r.describe);
  T_JSONEQ(d, want);
  cJSON_free(want);
  cJSON_Delete(d);
  asl_result_free(&r);
  T_OK(asl_store_describe(s, "arn:none", &d, &e) < 0 && !d &&
           strcmp(e.name, "ExecutionDoesNotExist") == 0 &&
           contains(e.cause, "Execution Does Not Exist: 'arn:none'"),
       "describe of no execution");
  asl_error_clear(&e);
  T_OK(asl_store_get_history(s, "arn:none", 0, &h, &e) < 0,
       "history of no execution");
  asl_error_clear(&e);
  asl_machine_free(f);
  asl_machine_free(m);
}

/* ---- one transaction per tick ---- */

static int commits;
static int count_commit(void *ud) {
  commits++;
  return 0;
}

typedef struct {
  asl_sink inner;
  int ticks, events;
} counting;

static void count_event(void *ud, const cJSON *ev) {
  counting *c = ud;
  c->events++;
  c->inner.event(c->inner.ud, ev);
}

static void count_tick(void *ud, const cJSON *ck) {
  counting *c = ud;
  c->ticks++;
  c->inner.tick(c->inner.ud, ck);
}

static void test_batching(asl_store *s) {
  char *def = pass_chain(600);
  asl_machine *m = load(def, "chain", NULL);
  if (!m) {
    free(def);
    return;
  }
  long long id = start(s, m, "chain", def, NULL, "c1", "{}");
  counting c = {asl_store_sink(s, id), 0, 0};
  asl_sink sink = {&c, count_event, count_tick, NULL, NULL};
  asl_run_opts o = {0};
  o.name = "c1";
  o.virtual_clock = 1;
  o.sink = &sink;
  sqlite3 *db = asl_store_handle(s);
  commits = 0;
  sqlite3_commit_hook(db, count_commit, NULL);
  long long before = sqlite3_total_changes(db);
  asl_result r;
  char *msg = NULL;
  T_OK(asl_run(m, "{}", &o, &r, &msg) == 0, "the chain runs");
  sqlite3_commit_hook(db, NULL, NULL);
  asl_error e = {0};
  T_OK(asl_store_sink_end(&c.inner, &e) == 0, "no write error");
  T_OK(c.events == 1202 && r.events == 1202, "%d events", c.events);
  T_OK(c.ticks >= 3 && c.ticks < 10, "%d ticks", c.ticks);
  T_OK(commits == c.ticks, "%d commits for %d ticks", commits, c.ticks);
  /* the ticks before the last write a checkpoint; the last one the
   * outcome, and drops the checkpoint */
  T_OK(sqlite3_total_changes(db) - before == c.events + c.ticks + 1,
       "each tick: its events and one checkpoint or outcome write");
  char *sql = asl_sprintf("SELECT count(*) FROM events WHERE execution=%lld",
                          id);
  T_OK(query_int(db, sql) == 1202, "every event stored");
  free(sql);
  asl_result_free(&r);
  asl_machine_free(m);
  free(def);
}

/* ---- events are written once ---- */

static cJSON *event(int id, const char *type) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "timestamp", 1700000000.25);
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddNumberToObject(e, "id", id);
  cJSON_AddNumberToObject(e, "previousEventId", id - 1);
  cJSON *d = cJSON_AddObjectToObject(e, "stateEnteredEventDetails");
  cJSON_AddStringToObject(d, "name", "A \"quoted\"\n name");
  return e;
}

static void feed(asl_sink *k, int from, int to, const char *ck) {
  for (int i = from; i <= to; i++) {
    cJSON *e = event(i, "PassStateEntered");
    k->event(k->ud, e);
    cJSON_Delete(e);
  }
  cJSON *c = cJSON_Parse(ck);
  k->tick(k->ud, c);
  cJSON_Delete(c);
}

static void test_once(asl_store *s) {
  asl_machine *m = load(pass_def, "once", NULL);
  long long id = start(s, m, "once", pass_def, NULL, "o1", "{}");
  sqlite3 *db = asl_store_handle(s);
  char *count = asl_sprintf("SELECT count(*) FROM events WHERE execution=%lld",
                            id);
  char *ck = asl_sprintf("SELECT json_extract(text, '$.lastId') FROM "
                         "checkpoints WHERE execution=%lld",
                         id);
  asl_sink k = asl_store_sink(s, id);
  T_OK(k.event && k.tick, "a STANDARD sink takes events");
  feed(&k, 1, 3, "{\"lastId\":3}");
  T_OK(query_int(db, count) == 3 && query_int(db, ck) == 3,
       "three events and their checkpoint");
  feed(&k, 3, 5, "{\"lastId\":5}"); /* event 3 again */
  T_OK(query_int(db, count) == 3, "a tick repeating an event writes nothing");
  T_OK(query_int(db, ck) == 3, "nor its checkpoint");
  feed(&k, 6, 6, "{\"lastId\":6}");
  T_OK(query_int(db, count) == 3, "nothing after a failed tick");
  asl_error e = {0};
  T_OK(asl_store_sink_end(&k, &e) < 0, "the sink reports the failure");
  T_STREQ(e.name, "Store.Conflict");
  T_OK(contains(e.cause, "UNIQUE") && contains(e.cause, "writing 3 events"),
       "conflict: %s", e.cause);
  asl_error_clear(&e);
  /* the details came back exactly, escapes included */
  cJSON *h = NULL;
  char *arn = NULL;
  T_OK(asl_store_find_execution(s, "o1", &arn, NULL, &e) == 0, "find o1");
  T_OK(asl_store_get_history(s, arn, 0, &h, &e) == 0, "history o1");
  cJSON *want = cJSON_CreateArray();
  for (int i = 1; i <= 3; i++)
    cJSON_AddItemToArray(want, event(i, "PassStateEntered"));
  char *ws = cJSON_PrintUnformatted(want);
  T_JSONEQ(h, ws);
  cJSON_free(ws);
  cJSON_Delete(want);
  cJSON_Delete(h);
  free(arn);
  free(count);
  free(ck);
  asl_machine_free(m);
}

/* ---- EXPRESS: the outcome, not the events ---- */

static void test_express(asl_store *s) {
  asl_error e = {0};
  asl_machine *m = load(pass_def, "fast", "EXPRESS");
  if (!m) return;
  asl_store_machine sm = {"fast", asl_machine_arn(m), pass_def, "EXPRESS",
                          NULL, 0};
  T_OK(asl_store_put_machine(s, &sm, &e) == 0, "put fast");
  asl_store_start x = {"fast", "x1", "arn:aws:states:r:1:express:fast:x1:u1",
                       "{}", 1700000000.5, NULL};
  long long id, id2;
  T_OK(asl_store_start_execution(s, &x, &id, &e) == 0, "express x1");
  x.arn = "arn:aws:states:r:1:express:fast:x1:u2";
  T_OK(asl_store_start_execution(s, &x, &id2, &e) == 0 && id2 != id,
       "EXPRESS names may repeat (AWS)");
  T_OK(asl_store_start_execution(s, &x, &id2, &e) < 0 &&
           strcmp(e.name, "ExecutionAlreadyExists") == 0,
       "EXPRESS ARNs may not");
  asl_error_clear(&e);
  asl_sink k = asl_store_sink(s, id);
  T_OK(!k.event && !k.tick, "an EXPRESS sink takes no events");
  asl_store_sink_end(&k, &e);
  asl_result r;
  T_OK(run_into(s, id, m, "x1", "{}", &r, &e) == 0, "x1 runs");
  T_OK(asl_store_finish_result(s, id, &r, &e) == 0, "x1 outcome");
  const char *arn = exec_arn(&r);
  cJSON *d = NULL, *h = NULL;
  T_OK(asl_store_describe(s, arn, &d, &e) == 0,
       "the row took the engine's ARN %s", arn);
  char *want = cJSON_PrintUnformatted(r.describe);
  T_JSONEQ(d, want);
  cJSON_free(want);
  T_OK(asl_store_get_history(s, arn, 0, &h, &e) == 0 && h && !h->child,
       "no events stored");
  char *found = NULL;
  T_OK(asl_store_find_execution(s, "x1", &found, NULL, &e) < 0 &&
           contains(e.cause, "more than one execution is named 'x1'"),
       "a shared name is ambiguous: %s", e.cause);
  asl_error_clear(&e);
  cJSON_Delete(d);
  cJSON_Delete(h);
  asl_result_free(&r);
  asl_machine_free(m);
}

/* ---- lists and lookups ---- */

static int list_count(asl_store *s, const char *status, const char *machine) {
  cJSON *l = NULL;
  asl_error e = {0};
  if (asl_store_list_executions(s, status, machine, &l, &e) < 0) {
    asl_error_clear(&e);
    return -1;
  }
  int n = cJSON_GetArraySize(l);
  cJSON_Delete(l);
  return n;
}

static void test_lists(void) {
  asl_store *s = open_ok(":memory:");
  if (!s) return;
  T_OK(asl_store_schema_version(s) == 5, ":memory: has the schema");
  asl_machine *a = load(pass_def, "alpha", NULL);
  asl_machine *b = load(fail_def, "beta", NULL);
  asl_error e = {0};
  const char *names[] = {"a1", "a2", "a3"};
  for (int i = 0; i < 3; i++) {
    long long id = start(s, a, "alpha", pass_def, NULL, names[i], "{}");
    asl_store_outcome o = {i == 2 ? "RUNNING" : "SUCCEEDED", "{}", NULL,
                           NULL, 1700000100 + i, 0};
    if (i < 2) asl_store_finish_execution(s, id, &o, &e);
  }
  long long id = start(s, b, "beta", fail_def, NULL, "b1", "{}");
  asl_store_outcome o = {"FAILED", NULL, "E", "C", 1700000200, 0};
  asl_store_finish_execution(s, id, &o, &e);
  T_OK(list_count(s, NULL, NULL) == 4, "all four");
  T_OK(list_count(s, "SUCCEEDED", NULL) == 2, "two succeeded");
  T_OK(list_count(s, "RUNNING", NULL) == 1, "one running");
  T_OK(list_count(s, NULL, "beta") == 1, "one of beta");
  T_OK(list_count(s, "FAILED", "alpha") == 0, "none failed of alpha");
  T_OK(list_count(s, "BOGUS", NULL) == -1, "a bad status is refused");
  cJSON *l = NULL;
  asl_store_list_executions(s, NULL, "alpha", &l, &e);
  const cJSON *first = l ? l->child : NULL;
  T_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(first, "name")), "a3");
  T_OK(first && !cJSON_GetObjectItem(first, "stopDate"),
       "a running execution has no stopDate");
  T_OK(first && first->next &&
           cJSON_GetObjectItem(first->next, "stopDate") &&
           contains(cJSON_GetStringValue(cJSON_GetObjectItem(
                        first->next, "stateMachineArn")),
                    ":stateMachine:alpha"),
       "ListExecutions fields");
  cJSON_Delete(l);
  char *arn = NULL;
  long long fid = 0;
  T_OK(asl_store_find_execution(s, "b1", &arn, &fid, &e) == 0 && fid == id &&
           contains(arn, ":execution:beta:b1"),
       "found by name");
  char *again = NULL;
  T_OK(asl_store_find_execution(s, arn, &again, NULL, &e) == 0 &&
           strcmp(again, arn) == 0,
       "found by ARN");
  free(again);
  T_OK(asl_store_find_execution(s, "zzz", &again, NULL, &e) < 0 &&
           strcmp(e.name, "ExecutionDoesNotExist") == 0,
       "no such name");
  asl_error_clear(&e);
  asl_store_running *v;
  size_t n;
  T_OK(asl_store_running_executions(s, &v, &n, &e) == 0 && n == 1 &&
           strcmp(v[0].name, "a3") == 0 && !v[0].checkpoint &&
           contains(v[0].definition, "\"W2\"") &&
           strcmp(v[0].type, "STANDARD") == 0,
       "running: a3 with its definition, no checkpoint yet");
  asl_store_running_free(v, n);
  free(arn);
  free(again);
  asl_machine_free(a);
  asl_machine_free(b);
  asl_store_close(s);
}

/* ---- a crash after k ticks, then resume ---- */

typedef struct {
  asl_sink inner;
  int ticks, limit;
} crashing;

static void crash_event(void *ud, const cJSON *ev) {
  crashing *c = ud;
  if (c->ticks < c->limit) c->inner.event(c->inner.ud, ev);
}

static void crash_tick(void *ud, const cJSON *ck) {
  crashing *c = ud;
  if (c->ticks++ < c->limit) c->inner.tick(c->inner.ud, ck);
}

static void test_crash_resume(void) {
  char *path = db_file("crash.db");
  asl_store *s = open_ok(path);
  asl_machine *m = load(pass_def, "crashy", NULL);
  if (!s || !m) return;
  long long id = start(s, m, "crashy", pass_def, NULL, "k1", "{\"v\":1}");
  crashing c = {asl_store_sink(s, id), 0, 2};
  asl_sink sink = {&c, crash_event, crash_tick, NULL, NULL};
  asl_run_opts o = {0};
  o.name = "k1";
  o.virtual_clock = 1;
  o.start_time = 1700000000.5;
  o.sink = &sink;
  asl_result r0, r1;
  char *msg = NULL;
  asl_run(m, "{\"v\":1}", &o, &r0, &msg); /* "dies" after two ticks */
  asl_error e = {0};
  asl_store_sink_end(&c.inner, &e);
  asl_store_close(s);
  s = open_ok(path); /* a new process */
  asl_store_running *v = NULL;
  size_t n = 0;
  T_OK(asl_store_running_executions(s, &v, &n, &e) == 0 && n == 1 &&
           v[0].checkpoint,
       "the crashed run is RUNNING with a checkpoint");
  if (n == 1 && v[0].checkpoint) {
    asl_machine *m2 = load(v[0].definition, v[0].machine, v[0].type);
    asl_sink k = asl_store_sink(s, v[0].id);
    o.sink = &k;
    T_OK(asl_resume(m2, v[0].checkpoint, &o, &r1, &msg) == 0, "resumes");
    T_OK(asl_store_sink_end(&k, &e) == 0, "resume writes cleanly");
    T_STREQ(r1.status, "SUCCEEDED");
    cJSON *h = NULL;
    asl_store_get_history(s, v[0].arn, 0, &h, &e);
    int want = 1, terminal = 0;
    for (cJSON *ev = h ? h->child : NULL; ev; ev = ev->next, want++) {
      if (cJSON_GetObjectItem(ev, "id")->valueint != want) break;
      terminal += contains(cJSON_GetObjectItem(ev, "type")->valuestring,
                           "ExecutionSucceeded");
    }
    T_OK(want - 1 == (int)r0.events && terminal == 1,
         "contiguous ids 1..%lld, one terminal event (%d, %d)", r0.events,
         want - 1, terminal);
    cJSON *d = NULL;
    asl_store_describe(s, v[0].arn, &d, &e);
    T_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "output")),
            "{\"v\":1,\"a\":1}");
    cJSON_Delete(d);
    cJSON_Delete(h);
    asl_result_free(&r1);
    asl_machine_free(m2);
  }
  asl_store_running_free(v, n);
  asl_result_free(&r0);
  asl_machine_free(m);
  asl_store_close(s);
  remove_db(path);
  free(path);
}

/* ---- a database locked by another connection ---- */

static void test_locked(void) {
  char *path = db_file("locked.db");
  asl_store *s = open_ok(path);
  asl_machine *m = load(pass_def, "lm", NULL);
  if (!s || !m) return;
  long long id = start(s, m, "lm", pass_def, NULL, "l1", "{}");
  asl_store_set_busy_timeout(s, 50);
  asl_sink k = asl_store_sink(s, id);
  feed(&k, 1, 2, "{\"lastId\":2}");

  sqlite3 *other;
  sqlite3_open(path, &other);
  T_OK(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK,
       "another connection holds the write lock");
  asl_error e = {0};
  asl_store_machine sm = {"lm2", asl_machine_arn(m), pass_def, NULL, NULL, 0};
  T_OK(asl_store_put_machine(s, &sm, &e) < 0, "a write fails");
  T_STREQ(e.name, "Store.Locked");
  T_OK(contains(e.cause, "database is locked") && contains(e.cause, path) &&
           contains(e.cause, "saving state machine lm2"),
       "locked: %s", e.cause);
  asl_error_clear(&e);
  feed(&k, 3, 4, "{\"lastId\":4}");
  T_OK(asl_store_sink_end(&k, &e) < 0 && contains(e.cause, "locked"),
       "the sink's tick fails: %s", e.cause);
  asl_error_clear(&e);
  T_OK(list_count(s, NULL, NULL) == 1, "reads go on while it is locked");
  asl_store *s2 = open_ok(path);
  T_OK(s2 && list_count(s2, NULL, NULL) == 1,
       "the file opens and reads while it is locked");
  asl_store_close(s2);
  sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(other);
  asl_store_close(s);

  s = open_ok(path);
  if (s) {
    sqlite3 *db = asl_store_handle(s);
    T_OK(query_int(db, "SELECT count(*) FROM events") == 2,
         "the file has the ticks before the lock");
    T_OK(query_int(db, "SELECT json_extract(text,'$.lastId') FROM "
                       "checkpoints") == 2,
         "and their checkpoint");
    T_OK(asl_store_put_machine(s, &sm, &e) == 0, "writes work again");
    asl_store_close(s);
  }
  asl_machine_free(m);
  remove_db(path);
  free(path);
}

/* ---- a full disk ---- */

static void test_full(void) {
  char *path = db_file("full.db");
  asl_store *s = open_ok(path);
  asl_machine *m = load(pass_def, "fm", NULL);
  if (!s || !m) return;
  long long id = start(s, m, "fm", pass_def, NULL, "d1", "{}");
  asl_sink k = asl_store_sink(s, id);
  feed(&k, 1, 2, "{\"lastId\":2}");
  sqlite3 *db = asl_store_handle(s);
  long long pages = query_int(db, "PRAGMA page_count");
  char *pragma = asl_sprintf("PRAGMA max_page_count = %lld", pages);
  T_OK(query_int(db, pragma) == pages, "the disk is full at %lld pages",
       pages);
  free(pragma);
  /* a tick of big events needs new pages */
  char *big = malloc(20001);
  memset(big, 'x', 20000);
  big[20000] = 0;
  for (int i = 3; i <= 40; i++) {
    cJSON *ev = event(i, "PassStateExited");
    cJSON_AddStringToObject(cJSON_GetObjectItem(ev, "stateEnteredEventDetails"),
                            "output", big);
    k.event(k.ud, ev);
    cJSON_Delete(ev);
  }
  cJSON *ck = cJSON_Parse("{\"lastId\":40}");
  k.tick(k.ud, ck);
  cJSON_Delete(ck);
  free(big);
  asl_error e = {0};
  T_OK(asl_store_sink_end(&k, &e) < 0, "the tick fails");
  T_STREQ(e.name, "Store.Full");
  T_OK(contains(e.cause, "full") && contains(e.cause, path) &&
           contains(e.cause, "writing 38 events"),
       "full: %s", e.cause);
  asl_error_clear(&e);
  T_OK(sqlite3_get_autocommit(db), "the transaction was rolled back");
  T_OK(query_int(db, "SELECT count(*) FROM events") == 2,
       "none of the tick's events is there");
  asl_store_close(s);

  s = open_ok(path);
  if (s) {
    db = asl_store_handle(s);
    T_OK(query_int(db, "SELECT count(*) FROM events") == 2 &&
             query_int(db, "SELECT json_extract(text,'$.lastId') "
                           "FROM checkpoints") == 2,
         "reopened: the data before the full disk is intact");
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    sqlite3_step(st);
    T_STREQ((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    asl_store_close(s);
  }
  asl_machine_free(m);
  remove_db(path);
  free(path);
}

/* ---- `asl run` recorded (cli/store_cmds.c) ---- */

static void test_run_recorded(void) {
  char *path = db_file("run.db");
  asl_machine *m = load(pass_def, "hello", NULL);
  if (!m) return;
  asl_run_opts o = {0};
  o.name = "first";
  o.virtual_clock = 1;
  asl_result r;
  T_OK(asl_cli_run_recorded(path, m, pass_def, "{\"k\": [1, 2]}", &o, &r) ==
           0,
       "a recorded run");
  T_STREQ(r.status, "SUCCEEDED");
  asl_store *s = open_ok(path);
  cJSON *d = NULL;
  asl_error e = {0};
  const char *arn = exec_arn(&r);
  T_OK(s && asl_store_describe(s, arn, &d, &e) == 0, "described");
  char *want = cJSON_PrintUnformatted(r.describe);
  T_JSONEQ(d, want);
  cJSON_free(want);
  cJSON_Delete(d);
  asl_result_free(&r);
  asl_store_close(s);
  T_OK(asl_cli_run_recorded(path, m, pass_def, "{}", &o, &r) == 64,
       "the same name again: ExecutionAlreadyExists, exit 64");
  T_OK(asl_cli_run_recorded(path, m, pass_def, "{nope", &o, &r) == 65,
       "bad input: exit 65");
  o.name = NULL;
  T_OK(asl_cli_run_recorded(path, m, pass_def, NULL, &o, &r) == 0 &&
           strlen(cJSON_GetObjectItem(r.describe, "name")->valuestring) == 36,
       "no name: a UUID");
  asl_result_free(&r);
  T_OK(asl_cli_run_recorded(":memory:", m, pass_def, NULL, &o, &r) == 0,
       "--db :memory:");
  asl_result_free(&r);
  asl_machine_free(m);
  remove_db(path);
  free(path);
}

T_MAIN("store") {
  snprintf(dir, sizeof dir, "/tmp/asl-store-XXXXXX");
  if (!mkdtemp(dir)) {
    T_OK(0, "mkdtemp");
    return;
  }
  test_migrations();
  char *path = db_file("main.db");
  asl_store *s = open_ok(path);
  if (s) {
    test_machines_and_starts(s);
    test_recorded_run(s);
    test_batching(s);
    test_once(s);
    test_express(s);
    asl_store_close(s);
  }
  remove_db(path);
  free(path);
  test_lists();
  test_crash_resume();
  test_locked();
  test_full();
  test_run_recorded();
  rmdir(dir);
}
