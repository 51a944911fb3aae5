/* store_machines.c: state machines in the durable store, for the Step
 * Functions API (see store_machines.h). Plain SQL on the store's
 * connection (asl_store_handle), prepared per call: these are API calls,
 * not the hot path of an execution. */
#include "store_machines.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* SQLite's last error on s as a Store.* error. */
static int fail(asl_store *s, const char *doing, asl_error *e) {
  sqlite3 *db = asl_store_handle(s);
  int code = sqlite3_errcode(db) & 0xff;
  const char *name = code == SQLITE_BUSY || code == SQLITE_LOCKED
                         ? "Store.Locked"
                     : code == SQLITE_FULL     ? "Store.Full"
                     : code == SQLITE_READONLY ? "Store.ReadOnly"
                                               : "Store.Error";
  return asl_error_set(e, name, "%s: %s (%s)", asl_store_path(s),
                       sqlite3_errmsg(db), doing);
}

static char *dup_col(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? asl_strdup((const char *)t) : NULL;
}

void asl_store_machine_free(asl_store_machine_row *r) {
  if (!r) return;
  free(r->name);
  free(r->arn);
  free(r->definition);
  free(r->type);
  free(r->role_arn);
  memset(r, 0, sizeof *r);
}

/* Runs sql with text ?1 = key, expecting at most one row of (name, arn,
 * definition, type, role_arn, created, updated). 1: found, 0: none. */
static int one_machine(asl_store *s, const char *sql, const char *key,
                       asl_store_machine_row *out, asl_error *e) {
  sqlite3_stmt *st = NULL;
  memset(out, 0, sizeof *out);
  if (sqlite3_prepare_v2(asl_store_handle(s), sql, -1, &st, NULL) != SQLITE_OK)
    return fail(s, "reading a state machine", e);
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st), out_rc = 0;
  if (rc == SQLITE_ROW) {
    out->name = dup_col(st, 0);
    out->arn = dup_col(st, 1);
    out->definition = dup_col(st, 2);
    out->type = dup_col(st, 3);
    out->role_arn = dup_col(st, 4);
    out->created = sqlite3_column_double(st, 5);
    out->updated = sqlite3_column_double(st, 6);
    out_rc = 1;
  } else if (rc != SQLITE_DONE) {
    out_rc = fail(s, "reading a state machine", e);
  }
  sqlite3_finalize(st);
  return out_rc;
}

int asl_store_get_machine(asl_store *s, const char *name,
                          asl_store_machine_row *out, asl_error *e) {
  int rc =
      one_machine(s,
                  "SELECT m.name, m.arn, d.text, m.type, m.role_arn, m.created,"
                  " m.updated FROM state_machines m JOIN definitions d"
                  " ON d.id = m.definition_id WHERE m.name = ?1",
                  name, out, e);
  if (rc == 0)
    return asl_error_set(e, "StateMachineDoesNotExist",
                         "State Machine Does Not Exist: '%s'", name);
  return rc < 0 ? -1 : 0;
}

int asl_store_execution_machine(asl_store *s, const char *arn,
                                asl_store_machine_row *out, asl_error *e) {
  int rc = one_machine(
      s,
      "SELECT m.name, m.arn, d.text, m.type, m.role_arn, m.created,"
      " m.updated FROM executions x JOIN state_machines m"
      " ON m.name = x.machine JOIN definitions d ON d.id = x.definition_id"
      " WHERE x.arn = ?1",
      arn, out, e);
  if (rc == 0)
    return asl_error_set(e, "ExecutionDoesNotExist",
                         "Execution Does Not Exist: '%s'", arn);
  return rc < 0 ? -1 : 0;
}

int asl_store_list_machines(asl_store *s, cJSON **out, asl_error *e) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  if (sqlite3_prepare_v2(asl_store_handle(s),
                         "SELECT arn, name, type, created FROM state_machines"
                         " ORDER BY name",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(s, "listing state machines", e);
  cJSON *arr = cJSON_CreateArray();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "stateMachineArn",
                            (const char *)sqlite3_column_text(st, 0));
    cJSON_AddStringToObject(o, "name",
                            (const char *)sqlite3_column_text(st, 1));
    cJSON_AddStringToObject(o, "type",
                            (const char *)sqlite3_column_text(st, 2));
    cJSON_AddNumberToObject(o, "creationDate", sqlite3_column_double(st, 3));
    cJSON_AddItemToArray(arr, o);
  }
  if (rc != SQLITE_DONE) {
    fail(s, "listing state machines", e);
    cJSON_Delete(arr);
    arr = NULL;
  }
  sqlite3_finalize(st);
  *out = arr;
  return arr ? 0 : -1;
}

/* The statements of a deletion, in order; ?1 is the machine's name. */
static const char *const delete_sql[] = {
    "BEGIN IMMEDIATE",
    ("DELETE FROM events WHERE execution IN"
     " (SELECT id FROM executions WHERE machine = ?1)"),
    ("DELETE FROM checkpoints WHERE execution IN"
     " (SELECT id FROM executions WHERE machine = ?1)"),
    ("DELETE FROM blobs WHERE execution IN"
     " (SELECT id FROM executions WHERE machine = ?1)"),
    /* children (a distributed Map's) have the machine of their parent */
    "DELETE FROM executions WHERE machine = ?1",
    "DELETE FROM state_machines WHERE name = ?1",
    "COMMIT",
};

int asl_store_delete_machine(asl_store *s, const char *name, asl_error *e) {
  sqlite3 *db = asl_store_handle(s);
  size_t n = sizeof delete_sql / sizeof *delete_sql;
  for (size_t i = 0; i < n; i++) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, delete_sql[i], -1, &st, NULL);
    if (rc == SQLITE_OK) {
      if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
      fail(s, "deleting a state machine", e);
      sqlite3_finalize(st);
      if (i > 0) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
    if (i == n - 2 && sqlite3_changes(db) == 0) {
      sqlite3_finalize(st);
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return asl_error_set(e, "StateMachineDoesNotExist",
                           "State Machine Does Not Exist: '%s'", name);
    }
    sqlite3_finalize(st);
  }
  return 0;
}

/* ---- activities ---- */

static cJSON *activity_item(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "activityArn",
                          (const char *)sqlite3_column_text(st, 1));
  cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 0));
  cJSON_AddNumberToObject(o, "creationDate", sqlite3_column_double(st, 2));
  return o;
}

int asl_store_put_activity(asl_store *s, const char *name, const char *arn,
                           double *created, asl_error *e) {
  sqlite3 *db = asl_store_handle(s);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO activities(name, arn, created) VALUES"
                         " (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(s, "creating an activity", e);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, arn, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(st, 3, *created);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return fail(s, "creating an activity", e);
  if (sqlite3_prepare_v2(db, "SELECT created FROM activities WHERE name = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(s, "reading an activity", e);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW) *created = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  return 0;
}

int asl_store_get_activity(asl_store *s, const char *arn, cJSON **out,
                           asl_error *e) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  if (sqlite3_prepare_v2(asl_store_handle(s),
                         "SELECT name, arn, created FROM activities"
                         " WHERE arn = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(s, "reading an activity", e);
  sqlite3_bind_text(st, 1, arn, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *out = activity_item(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return fail(s, "reading an activity", e);
  return asl_error_set(e, "ActivityDoesNotExist",
                       "Activity Does Not Exist: '%s'", arn);
}

int asl_store_list_activities(asl_store *s, cJSON **out, asl_error *e) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  if (sqlite3_prepare_v2(asl_store_handle(s),
                         "SELECT name, arn, created FROM activities"
                         " ORDER BY name",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(s, "listing activities", e);
  cJSON *a = cJSON_CreateArray();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    cJSON_AddItemToArray(a, activity_item(st));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    cJSON_Delete(a);
    return fail(s, "listing activities", e);
  }
  *out = a;
  return 0;
}

int asl_store_delete_activity(asl_store *s, const char *arn, asl_error *e) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(asl_store_handle(s),
                         "DELETE FROM activities WHERE arn = ?1", -1, &st,
                         NULL) != SQLITE_OK)
    return fail(s, "deleting an activity", e);
  sqlite3_bind_text(st, 1, arn, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : fail(s, "deleting an activity", e);
}
