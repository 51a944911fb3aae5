/* store.c: the durable store on SQLite (see store.h).
 *
 * The schema is a table of numbered migrations; PRAGMA user_version counts
 * those applied. Queries are a table of SQL texts, each prepared once on
 * first use and reused (reset after every use, so no read transaction stays
 * open). Writes run in BEGIN IMMEDIATE ... COMMIT; any failure rolls back
 * and the error is taken from SQLite before the rollback changes it. */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "store.h"

#define DEFAULT_BUSY_MS 5000

/* ---- schema ---- */

/* Migration i brings the schema from version i to i + 1. Never edit one
 * that has shipped: add the next. */
static const char *const migrations[] = {
    /* 1: everything. Definitions are kept once each (by a 63-bit FNV-1a
     * hash and their text) and executions point at the one they started
     * with, so a machine updated later still resumes its old executions on
     * their own definition. STANDARD names are unique per machine (AWS);
     * EXPRESS names are not checked (AWS), their ARNs carry a UUID. */
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
    "  details TEXT," /* {"xEventDetails":{...}}: the other members */
    "  PRIMARY KEY (execution, id));",
    /* 2: the process running an execution (its pid), so that `asl resume`
     * leaves alone an execution another live process is still running. */
    "ALTER TABLE executions ADD COLUMN owner INTEGER;",
    /* 3: child executions of distributed Maps: their parent execution.
     * Listings and resume take top-level executions only (a child goes on
     * inside its parent's run). */
    "ALTER TABLE executions ADD COLUMN parent INTEGER"
    "  REFERENCES executions(id);"
    "CREATE INDEX executions_parent ON executions(parent);"
    /* the listing indexes cover top-level executions only: a Map of many
     * items then inserts a child into three b-trees (table, ARN, parent),
     * not seven */
    "DROP INDEX executions_name;"
    "CREATE UNIQUE INDEX executions_name ON executions(machine, name)"
    "  WHERE type = 'STANDARD' AND parent IS NULL;"
    "DROP INDEX executions_status;"
    "CREATE INDEX executions_status ON executions(status, start)"
    "  WHERE parent IS NULL;"
    "DROP INDEX executions_machine;"
    "CREATE INDEX executions_machine ON executions(machine, start)"
    "  WHERE parent IS NULL;"
    "DROP INDEX executions_by_name;"
    "CREATE INDEX executions_by_name ON executions(name)"
    "  WHERE parent IS NULL;",
    /* 4: large values of a running execution's state, written once and
     * named by its checkpoints (asl_sink.blob); dropped when it ends. A
     * rowid table: the values (megabytes, some) stay out of the key's
     * b-tree, whose searches would otherwise copy them. */
    "CREATE TABLE blobs ("
    "  execution INTEGER NOT NULL REFERENCES executions(id),"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (execution, key));"
    /* and checkpoints in a table of their own: rewriting one in its
     * execution's row rewrote the row's input too, megabytes a tick */
    "CREATE TABLE checkpoints ("
    "  execution INTEGER PRIMARY KEY REFERENCES executions(id),"
    "  text TEXT NOT NULL);"
    "INSERT INTO checkpoints SELECT id, checkpoint FROM executions"
    "  WHERE checkpoint IS NOT NULL;"
    "UPDATE executions SET checkpoint = NULL WHERE checkpoint IS NOT NULL;",
    /* 5: activities (CreateActivity), by name. */
    "CREATE TABLE activities ("
    "  name TEXT PRIMARY KEY,"
    "  arn TEXT NOT NULL UNIQUE,"
    "  created REAL NOT NULL);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof *migrations))

/* ---- queries ---- */

enum {
  Q_BEGIN,
  Q_COMMIT,
  Q_ROLLBACK,
  Q_DEF_FIND,
  Q_DEF_ADD,
  Q_MACHINE_PUT,
  Q_MACHINE_GET,
  Q_EXEC_BY_NAME,
  Q_EXEC_ADD,
  Q_EXEC_GET,
  Q_EVENT_ADD,
  Q_EVENT_ADD16,
  Q_CHECKPOINT,
  Q_CHECKPOINT_DROP,
  Q_FINISH,
  Q_SET_ARN,
  Q_LIST,
  Q_FIND_ARN,
  Q_FIND_NAME,
  Q_HISTORY,
  Q_HISTORY_REV,
  Q_DESCRIBE,
  Q_RUNNING,
  Q_CHILD_ADD,
  Q_CHILD_DONE,
  Q_BLOB_PUT,
  Q_BLOB_GET,
  Q_BLOB_PREFIX,
  Q_BLOB_DROP,
  Q_COUNT
};

/* Sixteen event rows in one statement: a run writes events by the
 * thousand, and one statement a row spends most of its time outside the
 * insert itself. */
#define EV_ROW "(?,?,?,?,?,?)"
#define EV_ROWS4 EV_ROW "," EV_ROW "," EV_ROW "," EV_ROW
#define EV_BATCH 16

static const char *const queries[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_DEF_FIND] = "SELECT id FROM definitions WHERE hash = ?1 AND text = ?2",
    [Q_DEF_ADD] = "INSERT INTO definitions(hash, text) VALUES (?1, ?2)",
    [Q_MACHINE_PUT] =
        "INSERT INTO state_machines(name, arn, definition_id, type, role_arn,"
        " created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT(name) DO UPDATE SET arn = excluded.arn,"
        " definition_id = excluded.definition_id, type = excluded.type,"
        " role_arn = excluded.role_arn, updated = excluded.updated",
    [Q_MACHINE_GET] =
        "SELECT type, definition_id FROM state_machines WHERE name = ?1",
    [Q_EXEC_BY_NAME] =
        "SELECT id, arn, status, input FROM executions"
        " WHERE machine = ?1 AND name = ?2 AND type = 'STANDARD'",
    [Q_EXEC_ADD] =
        "INSERT INTO executions(arn, machine, name, status, type,"
        " definition_id, input, start, options)"
        " VALUES (?1, ?2, ?3, 'RUNNING', ?4, ?5, ?6, ?7, ?8)",
    [Q_EXEC_GET] = "SELECT type, arn FROM executions WHERE id = ?1",
    [Q_EVENT_ADD] =
        "INSERT INTO events(execution, id, type, timestamp,"
        " previous_event_id, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_EVENT_ADD16] =
        "INSERT INTO events(execution, id, type, timestamp,"
        " previous_event_id, details) VALUES " EV_ROWS4 "," EV_ROWS4
        "," EV_ROWS4 "," EV_ROWS4,
    [Q_CHECKPOINT] = "INSERT OR REPLACE INTO checkpoints(execution, text)"
                     " VALUES (?1, ?2)",
    [Q_FINISH] =
        "UPDATE executions SET status = ?2, output = ?3, error = ?4,"
        " cause = ?5, stop = ?6 WHERE id = ?1",
    [Q_CHECKPOINT_DROP] = "DELETE FROM checkpoints WHERE execution = ?1",
    [Q_SET_ARN] = "UPDATE executions SET arn = ?2 WHERE id = ?1",
    [Q_LIST] =
        "SELECT e.arn, m.arn, e.name, e.status, e.start, e.stop"
        " FROM executions e JOIN state_machines m ON m.name = e.machine"
        " WHERE (?1 IS NULL OR e.status = ?1)"
        " AND (?2 IS NULL OR e.machine = ?2) AND e.parent IS NULL"
        " ORDER BY e.start DESC, e.id DESC",
    [Q_FIND_ARN] = "SELECT id, type FROM executions WHERE arn = ?1",
    [Q_FIND_NAME] =
        "SELECT id, arn FROM executions WHERE name = ?1 AND parent IS NULL"
        " ORDER BY id LIMIT 6",
    [Q_HISTORY] =
        "SELECT id, type, timestamp, previous_event_id, details FROM events"
        " WHERE execution = ?1 ORDER BY id",
    [Q_HISTORY_REV] =
        "SELECT id, type, timestamp, previous_event_id, details FROM events"
        " WHERE execution = ?1 ORDER BY id DESC",
    [Q_DESCRIBE] =
        "SELECT e.arn, m.arn, e.name, e.status, e.start, e.stop, e.input,"
        " e.output, e.error, e.cause, e.type"
        " FROM executions e JOIN state_machines m ON m.name = e.machine"
        " WHERE e.arn = ?1",
    [Q_RUNNING] =
        "SELECT e.id, e.arn, e.name, e.machine, e.type, d.text, e.input,"
        " e.options, e.start, c.text, e.owner"
        " FROM executions e JOIN definitions d ON d.id = e.definition_id"
        " LEFT JOIN checkpoints c ON c.execution = e.id"
        " WHERE e.status = 'RUNNING' AND e.parent IS NULL ORDER BY e.id",
    [Q_CHILD_ADD] =
        "INSERT INTO executions(arn, machine, name, status, type,"
        " definition_id, input, start, parent)"
        " SELECT ?2, machine, ?3, ?6, 'STANDARD', definition_id, ?4,"
        " ?5, id FROM executions WHERE id = ?1",
    [Q_CHILD_DONE] =
        "INSERT INTO executions(arn, machine, name, status, type,"
        " definition_id, input, start, parent, output, error, cause, stop)"
        " SELECT ?2, machine, ?3, ?6, 'STANDARD', definition_id, ?4,"
        " ?5, id, ?7, ?8, ?9, ?10 FROM executions WHERE id = ?1",
    [Q_BLOB_PUT] = "INSERT OR REPLACE INTO blobs(execution, key, value)"
                   " VALUES (?1, ?2, ?3)",
    [Q_BLOB_GET] = "SELECT value FROM blobs WHERE execution = ?1 AND key = ?2",
    [Q_BLOB_PREFIX] =
        "SELECT substr(key, length(?2) + 1), value FROM blobs"
        " WHERE execution = ?1 AND key >= ?2 AND key < ?2 || x'ff'",
    [Q_BLOB_DROP] = "DELETE FROM blobs WHERE execution = ?1",
};

struct asl_store {
  sqlite3 *db;
  char *path;
  char *doing; /* what the current operation does, for error causes */
  sqlite3_stmt *q[Q_COUNT];
};

/* ---- errors ---- */

/* SQLite's primary result codes -> our error names. */
static const struct {
  int code;
  const char *name;
} error_names[] = {
    {SQLITE_BUSY, "Store.Locked"},        {SQLITE_LOCKED, "Store.Locked"},
    {SQLITE_FULL, "Store.Full"},          {SQLITE_READONLY, "Store.ReadOnly"},
    {SQLITE_CORRUPT, "Store.Corrupt"},    {SQLITE_NOTADB, "Store.Corrupt"},
    {SQLITE_IOERR, "Store.IOError"},      {SQLITE_CANTOPEN, "Store.CantOpen"},
    {SQLITE_CONSTRAINT, "Store.Conflict"}, {SQLITE_PERM, "Store.ReadOnly"},
};

static const char *error_name(int code) {
  for (size_t i = 0; i < sizeof error_names / sizeof *error_names; i++)
    if (error_names[i].code == (code & 0xff)) return error_names[i].name;
  return "Store.Error";
}

/* Says what the operation in progress does ("writing 3 events of arn").
 * Formatted before the work, used only in a failure's cause. */
static void doing(asl_store *s, const char *fmt, ...) ASL_PRINTF(2, 3);
static void doing(asl_store *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  free(s->doing);
  s->doing = asl_vsprintf(fmt, ap);
  va_end(ap);
}

/* What the system said, for the errors that come from it ("No space left
 * on device", "File too large", "Permission denied"); "" otherwise. */
static const char *os_error(asl_store *s, int code) {
  int primary = code & 0xff;
  int sys = s->db ? sqlite3_system_errno(s->db) : 0;
  if (!sys || (primary != SQLITE_IOERR && primary != SQLITE_FULL &&
               primary != SQLITE_CANTOPEN && primary != SQLITE_READONLY))
    return "";
  return strerror(sys);
}

/* The connection's last error as an asl_error. Call it before a rollback,
 * which replaces SQLite's message. */
static int db_fail(asl_store *s, asl_error *e) {
  int code = s->db ? sqlite3_extended_errcode(s->db) : SQLITE_NOMEM;
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(code);
  const char *os = os_error(s, code);
  return asl_error_set(e, error_name(code), "%s: %s (%s)%s%s", s->path, msg,
                       s->doing ? s->doing : "using the store", *os ? ": " : "",
                       os);
}

/* ---- statements ---- */

/* The prepared statement for query which, ready for binding. */
static sqlite3_stmt *q(asl_store *s, int which, asl_error *e) {
  if (!s->q[which] &&
      sqlite3_prepare_v3(s->db, queries[which], -1, SQLITE_PREPARE_PERSISTENT,
                         &s->q[which], NULL) != SQLITE_OK) {
    db_fail(s, e);
    return NULL;
  }
  return s->q[which];
}

/* Ends a use of st: resets it (ending its read) and drops its bindings. */
static void done(sqlite3_stmt *st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* Text parameters are bound SQLITE_STATIC: every use ends with done()
 * before the text can go away. NULL binds SQL NULL. */
static void bind_text(sqlite3_stmt *st, int i, const char *v) {
  if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
  else sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows. */
static int step_done(asl_store *s, sqlite3_stmt *st, asl_error *e) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) db_fail(s, e);
  done(st);
  return rc == SQLITE_DONE ? 0 : -1;
}

static int run(asl_store *s, int which, asl_error *e) {
  sqlite3_stmt *st = q(s, which, e);
  return st ? step_done(s, st, e) : -1;
}

/* A column's text as a new string, or NULL for SQL NULL. */
static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? asl_strdup((const char *)t) : NULL;
}

static const char *col_text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

/* ---- transactions ---- */

static int tx_begin(asl_store *s, asl_error *e) { return run(s, Q_BEGIN, e); }

/* Ends the transaction begun by tx_begin: commits when rc >= 0, else (or
 * when the commit fails) rolls back. Returns rc, or -1. SQLite may have
 * rolled back already (SQLITE_FULL, SQLITE_IOERR): then there is nothing
 * to do. */
static int tx_end(asl_store *s, int rc, asl_error *e) {
  if (rc >= 0 && run(s, Q_COMMIT, e) == 0) return rc;
  if (!sqlite3_get_autocommit(s->db)) run(s, Q_ROLLBACK, NULL);
  return -1;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return floor(((double)ts.tv_sec + ts.tv_nsec / 1e9) * 1000.0) / 1000.0;
}

/* ---- open, migrate, close ---- */

static int exec_sql(asl_store *s, const char *sql, asl_error *e) {
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK) return 0;
  return db_fail(s, e);
}

static int user_version(asl_store *s, int *v, asl_error *e) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
      SQLITE_OK)
    return db_fail(s, e);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *v = sqlite3_column_int(st, 0);
  else db_fail(s, e);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

/* Applies the migrations the file lacks, in one transaction (two processes
 * opening a new file at once: the second sees the first's work). A file
 * that is up to date is only read, so it opens while another process
 * holds its write lock. */
static int too_new(asl_store *s, int v, asl_error *e) {
  return asl_error_set(e, "Store.Error",
                       "%s: the schema is at version %d, newer than this "
                       "asl knows (%d): use a newer asl",
                       s->path, v, NMIGRATIONS);
}

static int apply_migrations(asl_store *s, int v, asl_error *e) {
  if (v > NMIGRATIONS) return too_new(s, v, e);
  for (; v < NMIGRATIONS; v++) {
    doing(s, "updating the schema to version %d", v + 1);
    char pragma[48];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
    if (exec_sql(s, migrations[v], e) < 0 || exec_sql(s, pragma, e) < 0)
      return -1;
  }
  return 0;
}

static int migrate(asl_store *s, asl_error *e) {
  int v;
  doing(s, "reading the schema version");
  if (user_version(s, &v, e) < 0) return -1;
  if (v == NMIGRATIONS) return 0;
  if (v > NMIGRATIONS) return too_new(s, v, e);
  doing(s, "updating the schema");
  if (tx_begin(s, e) < 0) return -1;
  int rc = user_version(s, &v, e);
  if (rc == 0) rc = apply_migrations(s, v, e);
  return tx_end(s, rc, e);
}

/* Connection settings: WAL (readers never wait for the writer), copied
 * back into the file every 8192 pages (32 MiB) rather than SQLite's 1000
 * (fewer, longer checkpoints: pass_chain_1000 recorded 90,000 -> 105,000
 * events a second); synchronous NORMAL (a killed process loses nothing
 * committed; only a power cut may lose the last transactions, never
 * consistency); foreign keys checked. */
static const char *const pragmas[] = {
    "PRAGMA journal_mode = WAL",
    "PRAGMA wal_autocheckpoint = 8192",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    /* 32 MiB of page cache (SQLite's default is 2 MiB): a large run's
     * b-tree pages stay in memory instead of being read back through the
     * WAL at every insert */
    "PRAGMA cache_size = -32768",
};

int asl_store_open(const char *path, asl_store **out, asl_error *e) {
  *out = NULL;
  asl_store *s = asl_calloc(1, sizeof *s);
  s->path = asl_strdup(path);
  doing(s, "opening the store");
  int rc = sqlite3_open_v2(path, &s->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_NOMUTEX,
                           NULL);
  if (rc == SQLITE_OK) {
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, DEFAULT_BUSY_MS);
    doing(s, "setting up the connection");
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof pragmas / sizeof *pragmas;
         i++)
      if (exec_sql(s, pragmas[i], e) < 0) rc = SQLITE_ERROR;
  } else {
    db_fail(s, e);
  }
  if (rc != SQLITE_OK || migrate(s, e) < 0) {
    asl_store_close(s);
    return -1;
  }
  *out = s;
  return 0;
}

void asl_store_close(asl_store *s) {
  if (!s) return;
  for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->q[i]);
  sqlite3_close(s->db);
  free(s->path);
  free(s->doing);
  free(s);
}

const char *asl_store_path(const asl_store *s) { return s->path; }

void asl_store_set_busy_timeout(asl_store *s, int ms) {
  sqlite3_busy_timeout(s->db, ms);
}

int asl_store_schema_version(asl_store *s) {
  int v = -1;
  return user_version(s, &v, NULL) == 0 ? v : -1;
}

struct sqlite3 *asl_store_handle(asl_store *s) { return s->db; }

/* ---- state machines ---- */

/* 63 bits of FNV-1a: finds a stored definition without indexing its text. */
static long long text_hash(const char *t) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *p = (const unsigned char *)t; *p; p++)
    h = (h ^ *p) * 0x100000001b3ull;
  return (long long)(h >> 1);
}

/* The id of definition text, stored now if it was not. */
static int definition_id(asl_store *s, const char *text, long long *id,
                         asl_error *e) {
  sqlite3_stmt *st = q(s, Q_DEF_FIND, e);
  if (!st) return -1;
  long long h = text_hash(text);
  sqlite3_bind_int64(st, 1, h);
  bind_text(st, 2, text);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
  else if (rc != SQLITE_DONE) db_fail(s, e);
  done(st);
  if (rc != SQLITE_DONE) return rc == SQLITE_ROW ? 0 : -1;
  if (!(st = q(s, Q_DEF_ADD, e))) return -1;
  sqlite3_bind_int64(st, 1, h);
  bind_text(st, 2, text);
  if (step_done(s, st, e) < 0) return -1;
  *id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

static int put_machine(asl_store *s, const asl_store_machine *m,
                       asl_error *e) {
  long long def;
  if (definition_id(s, m->definition, &def, e) < 0) return -1;
  sqlite3_stmt *st = q(s, Q_MACHINE_PUT, e);
  if (!st) return -1;
  double now = now_epoch();
  bind_text(st, 1, m->name);
  bind_text(st, 2, m->arn);
  sqlite3_bind_int64(st, 3, def);
  bind_text(st, 4, m->type ? m->type : "STANDARD");
  bind_text(st, 5, m->role_arn);
  sqlite3_bind_double(st, 6, m->created > 0 ? m->created : now);
  sqlite3_bind_double(st, 7, now);
  return step_done(s, st, e);
}

int asl_store_put_machine(asl_store *s, const asl_store_machine *m,
                          asl_error *e) {
  if (!m->name || !m->arn || !m->definition)
    return asl_error_set(e, "ValidationException",
                         "a state machine needs a name, an ARN and a "
                         "definition");
  doing(s, "saving state machine %s", m->name);
  if (tx_begin(s, e) < 0) return -1;
  return tx_end(s, put_machine(s, m, e), e);
}

/* ---- executions ---- */

static const char *const statuses[] = {"RUNNING", "SUCCEEDED", "FAILED",
                                       "TIMED_OUT", "ABORTED"};

static int valid_status(const char *st) {
  for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
    if (strcmp(st, statuses[i]) == 0) return 1;
  return 0;
}

static int status_error(const char *st, asl_error *e) {
  return asl_error_set(e, "ValidationException",
                       "'%s' is not a status: RUNNING, SUCCEEDED, FAILED, "
                       "TIMED_OUT or ABORTED",
                       st);
}

/* The type and definition of machine name. */
static int machine_get(asl_store *s, const char *name, char **type,
                       long long *def, asl_error *e) {
  sqlite3_stmt *st = q(s, Q_MACHINE_GET, e);
  if (!st) return -1;
  bind_text(st, 1, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *type = col_dup(st, 0);
    *def = sqlite3_column_int64(st, 1);
  } else if (rc == SQLITE_DONE) {
    asl_error_set(e, "StateMachineDoesNotExist",
                  "State Machine Does Not Exist: '%s'", name);
  } else {
    db_fail(s, e);
  }
  done(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

/* AWS's rule for a STANDARD name already taken: the same input while it
 * runs is the same start (1, *id set); anything else is an error. 0: the
 * name is free. */
static int name_taken(asl_store *s, const asl_store_start *x, long long *id,
                      asl_error *e) {
  sqlite3_stmt *st = q(s, Q_EXEC_BY_NAME, e);
  if (!st) return -1;
  bind_text(st, 1, x->machine);
  bind_text(st, 2, x->name);
  int rc = sqlite3_step(st), out = 0;
  if (rc == SQLITE_ROW) {
    int same = strcmp(col_text(st, 2), "RUNNING") == 0 &&
               strcmp(col_text(st, 3), x->input ? x->input : "{}") == 0;
    if (same) *id = sqlite3_column_int64(st, 0);
    else
      asl_error_set(e, "ExecutionAlreadyExists",
                    "Execution Already Exists: '%s'", col_text(st, 1));
    out = same ? 1 : -1;
  } else if (rc != SQLITE_DONE) {
    out = db_fail(s, e);
  }
  done(st);
  return out;
}

static int insert_execution(asl_store *s, const asl_store_start *x,
                            const char *type, long long def, long long *id,
                            asl_error *e) {
  sqlite3_stmt *st = q(s, Q_EXEC_ADD, e);
  if (!st) return -1;
  bind_text(st, 1, x->arn);
  bind_text(st, 2, x->machine);
  bind_text(st, 3, x->name);
  bind_text(st, 4, type);
  sqlite3_bind_int64(st, 5, def);
  bind_text(st, 6, x->input ? x->input : "{}");
  sqlite3_bind_double(st, 7, x->start > 0 ? x->start : now_epoch());
  bind_text(st, 8, x->options);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    asl_error_set(e, "ExecutionAlreadyExists",
                  "Execution Already Exists: '%s'", x->arn);
  else if (rc != SQLITE_DONE)
    db_fail(s, e);
  done(st);
  if (rc != SQLITE_DONE) return -1;
  *id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

static int start_execution(asl_store *s, const asl_store_start *x,
                           long long *id, asl_error *e) {
  char *type = NULL;
  long long def;
  int rc = machine_get(s, x->machine, &type, &def, e);
  if (rc == 0 && strcmp(type, "STANDARD") == 0) rc = name_taken(s, x, id, e);
  if (rc == 0) rc = insert_execution(s, x, type, def, id, e);
  free(type);
  return rc;
}

int asl_store_start_execution(asl_store *s, const asl_store_start *x,
                              long long *id, asl_error *e) {
  if (!x->machine || !x->name || !x->arn)
    return asl_error_set(e, "ValidationException",
                         "an execution needs a machine, a name and an ARN");
  doing(s, "starting execution %s", x->arn);
  if (tx_begin(s, e) < 0) return -1;
  return tx_end(s, start_execution(s, x, id, e), e);
}

/* Binds o to Q_FINISH for execution id and runs it. */
static int finish(asl_store *s, long long id, const asl_store_outcome *o,
                  asl_error *e) {
  sqlite3_stmt *st = q(s, Q_FINISH, e);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, id);
  bind_text(st, 2, o->status);
  bind_text(st, 3, o->output);
  bind_text(st, 4, o->error);
  bind_text(st, 5, o->cause);
  if (strcmp(o->status, "RUNNING") == 0) sqlite3_bind_null(st, 6);
  else sqlite3_bind_double(st, 6, o->stop > 0 ? o->stop : now_epoch());
  if (step_done(s, st, e) < 0) return -1;
  if (sqlite3_changes(s->db) != 1)
    return asl_error_set(e, "ExecutionDoesNotExist",
                         "Execution Does Not Exist: row %lld", id);
  if (o->no_blobs) return 0; /* a child: neither checkpoint nor blobs */
  sqlite3_stmt *c = q(s, Q_CHECKPOINT_DROP, e);
  if (!c) return -1;
  sqlite3_bind_int64(c, 1, id);
  if (step_done(s, c, e) < 0) return -1;
  if (strcmp(o->status, "RUNNING") == 0) return 0;
  sqlite3_stmt *d = q(s, Q_BLOB_DROP, e); /* only checkpoints named them */
  if (!d) return -1;
  sqlite3_bind_int64(d, 1, id);
  return step_done(s, d, e);
}

int asl_store_finish_execution(asl_store *s, long long id,
                               const asl_store_outcome *o, asl_error *e) {
  if (!o->status || !valid_status(o->status))
    return status_error(o->status ? o->status : "(null)", e);
  doing(s, "recording the outcome of execution %lld", id);
  if (tx_begin(s, e) < 0) return -1;
  return tx_end(s, finish(s, id, o, e), e);
}

static int set_arn(asl_store *s, long long id, const char *arn,
                   asl_error *e) {
  sqlite3_stmt *st = q(s, Q_SET_ARN, e);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, id);
  bind_text(st, 2, arn);
  return step_done(s, st, e);
}

int asl_store_finish_result(asl_store *s, long long id, const asl_result *r,
                            asl_error *e) {
  const cJSON *stop = asl_json_get(r->describe, "stopDate");
  const cJSON *arn = asl_json_get(r->describe, "executionArn");
  char *out = r->output ? asl_json_print(r->output) : NULL;
  asl_store_outcome o = {r->status, out, r->error, r->cause,
                         cJSON_IsNumber(stop) ? stop->valuedouble : 0, 0};
  int rc = -1;
  if (!r->status || !valid_status(r->status)) {
    status_error(r->status ? r->status : "(null)", e);
  } else {
    doing(s, "recording the outcome of execution %lld", id);
    if (tx_begin(s, e) == 0) {
      rc = finish(s, id, &o, e);
      if (rc == 0 && cJSON_IsString(arn))
        rc = set_arn(s, id, arn->valuestring, e);
      rc = tx_end(s, rc, e);
    }
  }
  free(out);
  return rc;
}

/* ---- the sink ---- */

/* One buffered event. Its type and details are offsets into the sink's
 * text buffer (NUL-terminated there); det is (size_t)-1 when it has none. */
typedef struct ev_row {
  long long id, prev;
  double ts;
  size_t type, det;
  /* a child execution's event: its ARN; for its ExecutionStarted the
   * input, for its end the outcome (output, error, cause); else NO_TEXT */
  size_t child, input, output, error, cause;
  const char *status; /* a child's terminal event: the status it gives */
  long long exec;     /* the execution's row, once known */
  int recorded;       /* a child's end already in its row (same tick) */
} ev_row;

#define NO_TEXT ((size_t)-1)

/* A child execution the sink has seen start, with its row id. */
typedef struct child_row {
  char *arn;
  unsigned long long hash; /* of arn: children's ARNs share a long prefix */
  long long id;
} child_row;

static unsigned long long arn_hash(const char *s) {
  unsigned long long h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

typedef struct store_sink {
  asl_store *s;
  long long exec;
  char *arn;
  ev_row *rows;
  size_t n, cap;
  asl_buf text;
  asl_store_outcome end; /* from the terminal event; strings owned */
  int ended;
  child_row *kids; /* running child executions (few: a Map's concurrency) */
  size_t nkids, capkids;
  size_t *blobs; /* buffered blobs: offsets of key then value in text */
  size_t nblobs, capblobs;
  asl_error err; /* the first failure: nothing is written after it */
} store_sink;

/* The event members that are columns; the rest go into "details". */
static const char *const fixed_members[] = {"timestamp", "type", "id",
                                            "previousEventId"};

/* Terminal event types and the status they give. */
static const struct {
  const char *type, *status;
} terminal_events[] = {
    {"ExecutionSucceeded", "SUCCEEDED"},
    {"ExecutionFailed", "FAILED"},
    {"ExecutionTimedOut", "TIMED_OUT"},
    {"ExecutionAborted", "ABORTED"},
};

static int is_fixed(const char *k) {
  for (size_t i = 0; i < sizeof fixed_members / sizeof *fixed_members; i++)
    if (strcmp(k, fixed_members[i]) == 0) return 1;
  return 0;
}

/* Appends s as a JSON string (member names are plain, but be exact). */
static void put_json_string(asl_buf *b, const char *s) {
  asl_buf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') asl_buf_putc(b, '\\');
    if (*p < 0x20) asl_buf_printf(b, "\\u%04x", *p);
    else asl_buf_putc(b, (char)*p);
  }
  asl_buf_putc(b, '"');
}

/* Appends {"member":value,...} of ev's non-column members and a NUL;
 * returns its offset, or NO_TEXT when there are none. */
static size_t put_details(asl_buf *b, const cJSON *ev) {
  size_t at = b->len;
  int any = 0;
  for (const cJSON *c = ev->child; c; c = c->next) {
    if (!c->string || is_fixed(c->string)) continue;
    asl_buf_putc(b, any ? ',' : '{');
    any = 1;
    put_json_string(b, c->string);
    asl_buf_putc(b, ':');
    char *v = asl_json_print(c);
    asl_buf_puts(b, v);
    free(v);
  }
  if (!any) return NO_TEXT;
  asl_buf_add(b, "}", 2); /* with its NUL */
  return at;
}

static double member_num(const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static char *member_dup(const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  return cJSON_IsString(v) ? asl_strdup(v->valuestring) : NULL;
}

/* Keeps the outcome a terminal event carries, for the last tick. */
static void note_outcome(store_sink *k, const char *type, const cJSON *ev) {
  for (size_t i = 0; i < sizeof terminal_events / sizeof *terminal_events;
       i++) {
    if (strcmp(type, terminal_events[i].type) != 0) continue;
    const cJSON *det = NULL;
    for (const cJSON *c = ev->child; c && !det; c = c->next)
      if (c->string && !is_fixed(c->string) && cJSON_IsObject(c)) det = c;
    free((char *)k->end.output);
    free((char *)k->end.error);
    free((char *)k->end.cause);
    k->ended = 1;
    k->end.status = terminal_events[i].status;
    k->end.output = member_dup(det, "output");
    k->end.error = member_dup(det, "error");
    k->end.cause = member_dup(det, "cause");
    k->end.stop = member_num(ev, "timestamp");
  }
}

/* A new buffered row for ev of the given type (not a child's yet). */
static ev_row *new_row(store_sink *k, const cJSON *ev, const char *type) {
  if (k->n == k->cap) {
    k->cap = k->cap ? 2 * k->cap : 64;
    k->rows = asl_realloc(k->rows, k->cap * sizeof *k->rows);
  }
  ev_row *r = &k->rows[k->n++];
  r->id = (long long)member_num(ev, "id");
  r->prev = (long long)member_num(ev, "previousEventId");
  r->ts = member_num(ev, "timestamp");
  r->type = k->text.len;
  asl_buf_add(&k->text, type, strlen(type) + 1);
  r->det = put_details(&k->text, ev);
  r->child = r->input = r->output = r->error = r->cause = NO_TEXT;
  r->status = NULL;
  return r;
}

static void sink_event(void *ud, const cJSON *ev) {
  store_sink *k = ud;
  if (k->err.name) return;
  const cJSON *type = asl_json_get(ev, "type");
  if (!cJSON_IsString(type)) return;
  new_row(k, ev, type->valuestring);
  note_outcome(k, type->valuestring, ev);
}

/* Appends member k of o (a string) with its NUL; NO_TEXT when none. */
static size_t put_member(asl_buf *b, const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  if (!cJSON_IsString(v)) return NO_TEXT;
  size_t at = b->len;
  asl_buf_add(b, v->valuestring, strlen(v->valuestring) + 1);
  return at;
}

static void sink_child_event(void *ud, const char *child_arn,
                             const cJSON *ev) {
  store_sink *k = ud;
  if (k->err.name) return;
  const cJSON *type = asl_json_get(ev, "type");
  if (!cJSON_IsString(type)) return;
  ev_row *r = new_row(k, ev, type->valuestring);
  r->child = k->text.len;
  asl_buf_add(&k->text, child_arn, strlen(child_arn) + 1);
  const cJSON *det = NULL;
  for (const cJSON *c = ev->child; c && !det; c = c->next)
    if (c->string && !is_fixed(c->string) && cJSON_IsObject(c)) det = c;
  if (strcmp(type->valuestring, "ExecutionStarted") == 0) {
    r->input = put_member(&k->text, det, "input");
    return;
  }
  for (size_t i = 0; i < sizeof terminal_events / sizeof *terminal_events;
       i++) {
    if (strcmp(type->valuestring, terminal_events[i].type) != 0) continue;
    r->status = terminal_events[i].status;
    r->output = put_member(&k->text, det, "output");
    r->error = put_member(&k->text, det, "error");
    r->cause = put_member(&k->text, det, "cause");
  }
}

static int exec_by_arn(asl_store *s, const char *arn, long long *id,
                       int *express, asl_error *e);

/* The row id of the child execution of row r, inserting the child's row on
 * its ExecutionStarted. */
static int child_id(store_sink *k, const ev_row *r, ev_row *end,
                    long long *id, asl_error *e) {
  const char *arn = k->text.s + r->child;
  unsigned long long h = arn_hash(arn);
  for (size_t i = 0; i < k->nkids; i++)
    if (k->kids[i].hash == h && strcmp(k->kids[i].arn, arn) == 0) {
      *id = k->kids[i].id;
      return 0;
    }
  if (strcmp(k->text.s + r->type, "ExecutionStarted") == 0) {
    /* a child that also ends in this tick is inserted with its outcome */
    sqlite3_stmt *st = q(k->s, end ? Q_CHILD_DONE : Q_CHILD_ADD, e);
    if (!st) return -1;
    const char *name = strrchr(arn, ':');
    sqlite3_bind_int64(st, 1, k->exec);
    bind_text(st, 2, arn);
    bind_text(st, 3, name ? name + 1 : arn);
    bind_text(st, 4, r->input == NO_TEXT ? "{}" : k->text.s + r->input);
    sqlite3_bind_double(st, 5, r->ts);
    bind_text(st, 6, end ? end->status : "RUNNING");
    if (end) {
      bind_text(st, 7, end->output == NO_TEXT ? NULL : k->text.s + end->output);
      bind_text(st, 8, end->error == NO_TEXT ? NULL : k->text.s + end->error);
      bind_text(st, 9, end->cause == NO_TEXT ? NULL : k->text.s + end->cause);
      sqlite3_bind_double(st, 10, end->ts);
      end->recorded = 1;
    }
    if (step_done(k->s, st, e) < 0) return -1;
    *id = sqlite3_last_insert_rowid(k->s->db);
  } else if (exec_by_arn(k->s, arn, id, NULL, e) < 0) { /* after a resume */
    return -1;
  }
  if (k->nkids == k->capkids) {
    k->capkids = k->capkids ? 2 * k->capkids : 16;
    k->kids = asl_realloc(k->kids, k->capkids * sizeof *k->kids);
  }
  k->kids[k->nkids++] = (child_row){asl_strdup(arn), h, *id};
  return 0;
}

/* A child's terminal row: its outcome, and it leaves the sink's list. */
static int child_end(store_sink *k, const ev_row *r, long long id,
                     asl_error *e) {
  asl_store_outcome o = {0};
  o.status = r->status;
  o.output = r->output == NO_TEXT ? NULL : k->text.s + r->output;
  o.error = r->error == NO_TEXT ? NULL : k->text.s + r->error;
  o.cause = r->cause == NO_TEXT ? NULL : k->text.s + r->cause;
  o.stop = r->ts;
  o.no_blobs = 1;
  if (!r->recorded && finish(k->s, id, &o, e) < 0) return -1;
  for (size_t i = 0; i < k->nkids; i++)
    if (k->kids[i].id == id) {
      free(k->kids[i].arn);
      k->kids[i] = k->kids[--k->nkids];
      break;
    }
  return 0;
}

/* Binds row r's six columns from parameter at on. */
static void bind_row(store_sink *k, sqlite3_stmt *st, int at,
                     const ev_row *r) {
  sqlite3_bind_int64(st, at, r->exec);
  sqlite3_bind_int64(st, at + 1, r->id);
  bind_text(st, at + 2, k->text.s + r->type);
  sqlite3_bind_double(st, at + 3, r->ts);
  sqlite3_bind_int64(st, at + 4, r->prev);
  bind_text(st, at + 5, r->det == NO_TEXT ? NULL : k->text.s + r->det);
}

/* The buffered rows: child executions' rows first (their events refer to
 * them), then the events, sixteen a statement, then the children that
 * ended. */
static int insert_rows(store_sink *k, asl_error *e) {
  /* the children's ends in this tick, to find a start's end */
  size_t *ends = NULL, nends = 0;
  for (size_t i = 0; i < k->n; i++) {
    k->rows[i].recorded = 0;
    if (k->rows[i].status) {
      if (!ends) ends = asl_calloc(k->n, sizeof *ends);
      ends[nends++] = i;
    }
  }
  int rc = 0;
  for (size_t i = 0; i < k->n && rc == 0; i++) {
    ev_row *r = &k->rows[i];
    r->exec = k->exec;
    if (r->child == NO_TEXT) continue;
    ev_row *end = NULL;
    for (size_t j = 0; j < nends && !end && r->status == NULL; j++)
      if (ends[j] > i &&
          strcmp(k->text.s + k->rows[ends[j]].child, k->text.s + r->child) == 0)
        end = &k->rows[ends[j]];
    rc = child_id(k, r, end, &r->exec, e);
  }
  free(ends);
  if (rc < 0) return -1;
  size_t i = 0;
  if (k->n >= EV_BATCH) {
    sqlite3_stmt *st = q(k->s, Q_EVENT_ADD16, e);
    if (!st) return -1;
    for (; i + EV_BATCH <= k->n; i += EV_BATCH) {
      for (int j = 0; j < EV_BATCH; j++)
        bind_row(k, st, 1 + 6 * j, &k->rows[i + (size_t)j]);
      if (step_done(k->s, st, e) < 0) return -1;
    }
  }
  if (i < k->n) {
    sqlite3_stmt *st = q(k->s, Q_EVENT_ADD, e);
    if (!st) return -1;
    for (; i < k->n; i++) {
      bind_row(k, st, 1, &k->rows[i]);
      if (step_done(k->s, st, e) < 0) return -1;
    }
  }
  for (i = 0; i < k->n; i++)
    if (k->rows[i].status && child_end(k, &k->rows[i], k->rows[i].exec, e) < 0)
      return -1;
  return 0;
}

static void sink_blob(void *ud, const char *key, const cJSON *value) {
  store_sink *k = ud;
  if (k->err.name) return;
  if (k->nblobs + 2 > k->capblobs) {
    k->capblobs = k->capblobs ? 2 * k->capblobs : 32;
    k->blobs = asl_realloc(k->blobs, k->capblobs * sizeof *k->blobs);
  }
  k->blobs[k->nblobs++] = k->text.len;
  asl_buf_add(&k->text, key, strlen(key) + 1);
  k->blobs[k->nblobs++] = k->text.len;
  char *v = asl_json_print(value);
  asl_buf_add(&k->text, v, strlen(v) + 1);
  free(v);
}

static int insert_blobs(store_sink *k, asl_error *e) {
  if (!k->nblobs) return 0;
  sqlite3_stmt *st = q(k->s, Q_BLOB_PUT, e);
  if (!st) return -1;
  for (size_t i = 0; i + 1 < k->nblobs; i += 2) {
    sqlite3_bind_int64(st, 1, k->exec);
    bind_text(st, 2, k->text.s + k->blobs[i]);
    bind_text(st, 3, k->text.s + k->blobs[i + 1]);
    if (step_done(k->s, st, e) < 0) return -1;
  }
  return 0;
}

static int save_checkpoint(store_sink *k, const char *ck, asl_error *e) {
  sqlite3_stmt *st = q(k->s, Q_CHECKPOINT, e);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, k->exec);
  bind_text(st, 2, ck);
  return step_done(k->s, st, e);
}

/* One tick: the buffered rows, then the checkpoint or (ended) the
 * outcome, in one transaction. */
static int write_tick(store_sink *k, const char *ck, asl_error *e) {
  doing(k->s, "writing %zu events and the checkpoint of %s", k->n, k->arn);
  if (tx_begin(k->s, e) < 0) return -1;
  int rc = insert_rows(k, e);
  if (rc == 0) rc = insert_blobs(k, e);
  if (rc == 0)
    rc = !ck && k->ended ? finish(k->s, k->exec, &k->end, e)
                         : save_checkpoint(k, ck, e);
  return tx_end(k->s, rc, e);
}

static void sink_tick(void *ud, const cJSON *checkpoint) {
  store_sink *k = ud;
  if (k->err.name) return;
  char *ck = checkpoint ? asl_json_print(checkpoint) : NULL;
  write_tick(k, ck, &k->err);
  free(ck);
  k->n = 0;
  k->nblobs = 0;
  k->text.len = 0;
}

/* Reads the type and ARN of execution id into the sink. */
static int sink_lookup(store_sink *k, int *express) {
  asl_store *s = k->s;
  doing(s, "reading execution %lld", k->exec);
  sqlite3_stmt *st = q(s, Q_EXEC_GET, &k->err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, k->exec);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *express = strcmp(col_text(st, 0), "EXPRESS") == 0;
    k->arn = col_dup(st, 1);
  } else if (rc == SQLITE_DONE) {
    asl_error_set(&k->err, "ExecutionDoesNotExist",
                  "Execution Does Not Exist: row %lld", k->exec);
  } else {
    db_fail(s, &k->err);
  }
  done(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

asl_sink asl_store_sink(asl_store *s, long long id) {
  store_sink *k = asl_calloc(1, sizeof *k);
  k->s = s;
  k->exec = id;
  int express = 0;
  asl_sink out = {k, NULL, NULL, NULL, NULL};
  if (sink_lookup(k, &express) == 0 && !express) {
    out.event = sink_event;
    out.tick = sink_tick;
    out.child_event = sink_child_event;
    out.blob = sink_blob;
  }
  return out;
}

int asl_store_sink_end(asl_sink *sk, asl_error *e) {
  store_sink *k = sk->ud;
  if (!k) return 0;
  int rc = k->err.name ? -1 : 0;
  if (rc) asl_error_move(e, &k->err);
  asl_error_clear(&k->err);
  free((char *)k->end.output);
  free((char *)k->end.error);
  free((char *)k->end.cause);
  free(k->rows);
  asl_buf_free(&k->text);
  free(k->arn);
  for (size_t i = 0; i < k->nkids; i++) free(k->kids[i].arn);
  free(k->kids);
  free(k->blobs);
  free(k);
  memset(sk, 0, sizeof *sk);
  return rc;
}

/* ---- reading ---- */

/* Execution id (and type) of arn; ExecutionDoesNotExist when none. */
static int exec_by_arn(asl_store *s, const char *arn, long long *id,
                       int *express, asl_error *e) {
  sqlite3_stmt *st = q(s, Q_FIND_ARN, e);
  if (!st) return -1;
  bind_text(st, 1, arn);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    if (express) *express = strcmp(col_text(st, 1), "EXPRESS") == 0;
  } else if (rc == SQLITE_DONE) {
    asl_error_set(e, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'",
                  arn);
  } else {
    db_fail(s, e);
  }
  done(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

/* A start time as the engine reports it: the start is stored as given to
 * the engine (a resumed run gets the very same value), dates have
 * milliseconds. Stop times are stored as reported. */
static double to_ms(double t) { return floor(t * 1000.0) / 1000.0; }

/* A ListExecutions item from a Q_LIST row. */
static cJSON *list_item(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "executionArn", col_text(st, 0));
  cJSON_AddStringToObject(o, "stateMachineArn", col_text(st, 1));
  cJSON_AddStringToObject(o, "name", col_text(st, 2));
  cJSON_AddStringToObject(o, "status", col_text(st, 3));
  cJSON_AddNumberToObject(o, "startDate",
                          to_ms(sqlite3_column_double(st, 4)));
  if (sqlite3_column_type(st, 5) != SQLITE_NULL)
    cJSON_AddNumberToObject(o, "stopDate", sqlite3_column_double(st, 5));
  return o;
}

/* Runs st (bound) and collects one item per row with make. */
static int collect(asl_store *s, sqlite3_stmt *st,
                   cJSON *(*make)(sqlite3_stmt *), cJSON **out,
                   asl_error *e) {
  cJSON *arr = cJSON_CreateArray();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *item = make(st);
    if (!item) break;
    cJSON_AddItemToArray(arr, item);
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) db_fail(s, e);
  else if (rc == SQLITE_ROW)
    asl_error_set(e, "Store.Corrupt", "%s: an event's details are not JSON "
                  "(%s)", s->path, s->doing);
  done(st);
  if (rc == SQLITE_DONE) {
    *out = arr;
    return 0;
  }
  cJSON_Delete(arr);
  return -1;
}

int asl_store_list_executions(asl_store *s, const char *status,
                              const char *machine, cJSON **out,
                              asl_error *e) {
  *out = NULL;
  if (status && !valid_status(status)) return status_error(status, e);
  doing(s, "listing executions");
  sqlite3_stmt *st = q(s, Q_LIST, e);
  if (!st) return -1;
  bind_text(st, 1, status);
  bind_text(st, 2, machine);
  return collect(s, st, list_item, out, e);
}

/* A history event from a Q_HISTORY row: the columns, then the members of
 * its details. NULL when the details are not JSON. */
static cJSON *history_item(sqlite3_stmt *st) {
  cJSON *ev = cJSON_CreateObject();
  cJSON_AddNumberToObject(ev, "timestamp", sqlite3_column_double(st, 2));
  cJSON_AddStringToObject(ev, "type", col_text(st, 1));
  cJSON_AddNumberToObject(ev, "id", (double)sqlite3_column_int64(st, 0));
  cJSON_AddNumberToObject(ev, "previousEventId",
                          (double)sqlite3_column_int64(st, 3));
  const char *dt = col_text(st, 4);
  if (!dt) return ev;
  cJSON *det = cJSON_Parse(dt);
  if (!cJSON_IsObject(det)) {
    cJSON_Delete(det);
    cJSON_Delete(ev);
    return NULL;
  }
  while (det->child) {
    cJSON *c = cJSON_DetachItemViaPointer(det, det->child);
    cJSON_AddItemToObject(ev, c->string, c);
  }
  cJSON_Delete(det);
  return ev;
}

int asl_store_get_history(asl_store *s, const char *arn, int reverse,
                          cJSON **out, asl_error *e) {
  *out = NULL;
  long long id;
  doing(s, "reading the history of %s", arn);
  if (exec_by_arn(s, arn, &id, NULL, e) < 0) return -1;
  sqlite3_stmt *st = q(s, reverse ? Q_HISTORY_REV : Q_HISTORY, e);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, id);
  return collect(s, st, history_item, out, e);
}

/* One page of the history, for GetExecutionHistory's nextToken: a query
 * of its own (not in queries[]), prepared per call. */
int asl_store_get_history_page(asl_store *s, const char *arn, int reverse,
                               long long after, int limit, cJSON **out,
                               asl_error *e) {
  static const char *const sql[] = {
      "SELECT id, type, timestamp, previous_event_id, details FROM events"
      " WHERE execution = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
      "SELECT id, type, timestamp, previous_event_id, details FROM events"
      " WHERE execution = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"};
  *out = NULL;
  long long id;
  doing(s, "reading the history of %s", arn);
  if (exec_by_arn(s, arn, &id, NULL, e) < 0) return -1;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql[reverse != 0], -1, &st, NULL) !=
      SQLITE_OK)
    return db_fail(s, e);
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, reverse && after <= 0 ? INT64_MAX : after);
  sqlite3_bind_int64(st, 3, limit);
  int rc = collect(s, st, history_item, out, e);
  sqlite3_finalize(st);
  return rc;
}

static void add_opt_string(cJSON *o, const char *k, const char *v) {
  if (v) cJSON_AddStringToObject(o, k, v);
}

/* DescribeExecution from a Q_DESCRIBE row, in asl_exec_finish's order. */
static cJSON *describe_item(sqlite3_stmt *st) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "executionArn", col_text(st, 0));
  cJSON_AddStringToObject(d, "stateMachineArn", col_text(st, 1));
  cJSON_AddStringToObject(d, "name", col_text(st, 2));
  cJSON_AddStringToObject(d, "status", col_text(st, 3));
  cJSON_AddNumberToObject(d, "startDate",
                          to_ms(sqlite3_column_double(st, 4)));
  if (sqlite3_column_type(st, 5) != SQLITE_NULL)
    cJSON_AddNumberToObject(d, "stopDate", sqlite3_column_double(st, 5));
  cJSON_AddStringToObject(d, "input", col_text(st, 6));
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(d, "inputDetails"), "included",
                        1);
  if (col_text(st, 7)) {
    cJSON_AddStringToObject(d, "output", col_text(st, 7));
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(d, "outputDetails"),
                          "included", 1);
  }
  add_opt_string(d, "error", col_text(st, 8));
  add_opt_string(d, "cause", col_text(st, 9));
  if (strcmp(col_text(st, 10), "EXPRESS") != 0) {
    cJSON_AddNumberToObject(d, "redriveCount", 0);
    cJSON_AddStringToObject(d, "redriveStatus", "NOT_REDRIVABLE");
  }
  return d;
}

int asl_store_describe(asl_store *s, const char *arn, cJSON **out,
                       asl_error *e) {
  *out = NULL;
  doing(s, "describing %s", arn);
  sqlite3_stmt *st = q(s, Q_DESCRIBE, e);
  if (!st) return -1;
  bind_text(st, 1, arn);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *out = describe_item(st);
  else if (rc == SQLITE_DONE)
    asl_error_set(e, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'",
                  arn);
  else db_fail(s, e);
  done(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

/* Finds executions named name: one sets *arn and *id; none or several
 * fail (several listing their ARNs). */
static int find_by_name(asl_store *s, const char *name, char **arn,
                        long long *id, asl_error *e) {
  sqlite3_stmt *st = q(s, Q_FIND_NAME, e);
  if (!st) return -1;
  bind_text(st, 1, name);
  asl_buf all = {0};
  int rc, n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n++ == 0) {
      *id = sqlite3_column_int64(st, 0);
      *arn = col_dup(st, 1);
    }
    asl_buf_printf(&all, "%s%s", n > 1 ? ", " : "", col_text(st, 1));
  }
  if (rc != SQLITE_DONE) db_fail(s, e);
  else if (n == 0)
    asl_error_set(e, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'",
                  name);
  else if (n > 1)
    asl_error_set(e, "ValidationException",
                  "more than one execution is named '%s' (%s%s): give its "
                  "ARN",
                  name, all.s, n > 5 ? ", ..." : "");
  done(st);
  asl_buf_free(&all);
  if (rc == SQLITE_DONE && n == 1) return 0;
  free(*arn);
  *arn = NULL;
  return -1;
}

int asl_store_find_execution(asl_store *s, const char *name_or_arn,
                             char **arn, long long *id, asl_error *e) {
  long long dummy;
  if (!id) id = &dummy;
  *arn = NULL;
  doing(s, "finding execution %s", name_or_arn);
  if (strncmp(name_or_arn, "arn:", 4) != 0)
    return find_by_name(s, name_or_arn, arn, id, e);
  if (exec_by_arn(s, name_or_arn, id, NULL, e) < 0) return -1;
  *arn = asl_strdup(name_or_arn);
  return 0;
}

/* One asl_store_running from a Q_RUNNING row. */
static void running_item(sqlite3_stmt *st, asl_store_running *r) {
  r->id = sqlite3_column_int64(st, 0);
  r->arn = col_dup(st, 1);
  r->name = col_dup(st, 2);
  r->machine = col_dup(st, 3);
  r->type = col_dup(st, 4);
  r->definition = col_dup(st, 5);
  r->input = col_dup(st, 6);
  r->options = col_dup(st, 7);
  r->start = sqlite3_column_double(st, 8);
  const char *ck = col_text(st, 9);
  r->checkpoint = ck ? cJSON_Parse(ck) : NULL;
  r->owner = sqlite3_column_int64(st, 10);
}

int asl_store_claim(asl_store *s, long long id, long long old_owner,
                    long long owner, int *claimed, asl_error *e) {
  *claimed = 0;
  doing(s, "claiming execution %lld", id);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db,
                         "UPDATE executions SET owner = ?1 WHERE id = ?2 AND"
                         " status = 'RUNNING' AND coalesce(owner, 0) = ?3",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(s, e);
  sqlite3_bind_int64(st, 1, owner);
  sqlite3_bind_int64(st, 2, id);
  sqlite3_bind_int64(st, 3, old_owner);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return db_fail(s, e);
  *claimed = sqlite3_changes(s->db) == 1;
  return 0;
}

typedef struct {
  asl_store *s;
  long long exec;
} blob_ctx;

/* asl_blob_get over the blobs table. */
static cJSON *blob_get(void *ud, const char *key, int prefix) {
  blob_ctx *c = ud;
  asl_error e = {0};
  sqlite3_stmt *st = q(c->s, prefix ? Q_BLOB_PREFIX : Q_BLOB_GET, &e);
  asl_error_clear(&e);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, c->exec);
  bind_text(st, 2, key);
  cJSON *out = prefix ? cJSON_CreateObject() : NULL;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *text = col_text(st, prefix ? 1 : 0);
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    if (!v) continue;
    if (!prefix) {
      out = v;
      break;
    }
    cJSON_AddItemToObject(out, col_text(st, 0), v);
  }
  done(st);
  return out;
}

int asl_store_running_executions(asl_store *s, asl_store_running **v,
                                 size_t *n, asl_error *e) {
  *v = NULL;
  *n = 0;
  doing(s, "listing running executions");
  sqlite3_stmt *st = q(s, Q_RUNNING, e);
  if (!st) return -1;
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? 2 * cap : 8;
      *v = asl_realloc(*v, cap * sizeof **v);
    }
    running_item(st, &(*v)[(*n)++]);
  }
  if (rc != SQLITE_DONE) db_fail(s, e);
  done(st);
  /* a checkpoint that names blobs gets them back; one whose blobs are
   * missing is left as it is, and its resume says it is damaged */
  for (size_t i = 0; rc == SQLITE_DONE && i < *n; i++) {
    blob_ctx bc = {s, (*v)[i].id};
    if ((*v)[i].checkpoint)
      asl_checkpoint_resolve((*v)[i].checkpoint, blob_get, &bc, NULL);
  }
  if (rc == SQLITE_DONE) return 0;
  asl_store_running_free(*v, *n);
  *v = NULL;
  *n = 0;
  return -1;
}

void asl_store_running_free(asl_store_running *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].arn);
    free(v[i].name);
    free(v[i].machine);
    free(v[i].type);
    free(v[i].definition);
    free(v[i].input);
    free(v[i].options);
    cJSON_Delete(v[i].checkpoint);
  }
  free(v);
}
