/* store.h: the durable store: state machines, executions, their history
 * events and checkpoints in one SQLite file (WAL mode).
 *
 * One asl_store is one connection, used by one thread at a time. Every
 * function that can fail returns 0 (or a documented positive value) or -1
 * and takes an asl_error * last. Store failures are named "Store.Locked",
 * "Store.Full", "Store.ReadOnly", "Store.Corrupt", "Store.IOError",
 * "Store.CantOpen" or "Store.Error", with a cause that names the file,
 * SQLite's words and what was being done:
 *   "/x/asl.db: database is locked (writing 12 events of arn:...)".
 * A failed write is rolled back: the file keeps its last committed state and
 * stays usable. API errors use AWS's names: "ExecutionAlreadyExists",
 * "ExecutionDoesNotExist", "StateMachineDoesNotExist".
 *
 * Results follow core.h: new cJSON trees and strings belong to the caller.
 * Dates are epoch seconds (numbers with milliseconds), as the engine writes
 * them. */
#ifndef ASL_STORE_H
#define ASL_STORE_H

#include "asl.h"
#include "core.h"

typedef struct asl_store asl_store;
struct sqlite3;

/* Opens (creating it if need be) the store at path, or a private in-memory
 * store for ":memory:", and brings its schema up to date. Fails on a file
 * written by a newer asl (a schema this one does not know). */
int asl_store_open(const char *path, asl_store **out, asl_error *e);
void asl_store_close(asl_store *s);
/* The path the store was opened with (borrowed). */
const char *asl_store_path(const asl_store *s);
/* How long a write waits for another process's lock before failing with
 * "Store.Locked" (default 5000 ms). */
void asl_store_set_busy_timeout(asl_store *s, int ms);
/* The schema version the file is at. */
int asl_store_schema_version(asl_store *s);
/* The SQLite connection, for tests and tools (borrowed; never closed by the
 * caller). */
struct sqlite3 *asl_store_handle(asl_store *s);

/* ---- state machines ---- */

typedef struct asl_store_machine {
  const char *name;       /* unique; the key */
  const char *arn;        /* arn:aws:states:...:stateMachine:NAME */
  const char *definition; /* the definition text the engine loaded */
  const char *type;       /* "STANDARD" or "EXPRESS"; NULL: STANDARD */
  const char *role_arn;   /* may be NULL */
  double created;         /* epoch seconds; 0: now. Kept on update. */
} asl_store_machine;

/* Inserts the machine, or updates the one of that name. Executions keep the
 * definition they started with (resume needs it), whatever later updates
 * do. */
int asl_store_put_machine(asl_store *s, const asl_store_machine *m,
                          asl_error *e);

/* ---- executions ---- */

typedef struct asl_store_start {
  const char *machine; /* state machine name (put before) */
  const char *name;    /* execution name */
  const char *arn;     /* execution ARN */
  const char *input;   /* JSON text; NULL: "{}" */
  double start;        /* epoch seconds as given to the engine (reported
                          to the millisecond, as the engine does); 0: now */
  const char *options; /* JSON text kept for resume (run options), or NULL */
} asl_store_start;

/* Records a new RUNNING execution and sets *id to its row id. The type is
 * the machine's. A STANDARD execution's name is unique per machine: a name
 * taken fails with "ExecutionAlreadyExists", except that the same name and
 * input as a RUNNING execution is AWS's idempotent start: returns 1 with
 * *id that execution's. EXPRESS names may repeat (AWS does not check them),
 * their ARNs may not. */
int asl_store_start_execution(asl_store *s, const asl_store_start *x,
                              long long *id, asl_error *e);

typedef struct asl_store_outcome {
  const char *status; /* SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or RUNNING) */
  const char *output; /* JSON text, or NULL */
  const char *error;  /* or NULL */
  const char *cause;  /* or NULL */
  double stop;        /* epoch seconds; 0: now */
  int no_blobs;       /* an execution that kept no blobs (a child) */
} asl_store_outcome;

/* Sets the outcome of execution id and drops its checkpoint. */
int asl_store_finish_execution(asl_store *s, long long id,
                               const asl_store_outcome *o, asl_error *e);
/* The same from asl_run's result: status, output, error, cause, stopDate;
 * and the executionArn of r->describe when it differs (the engine draws the
 * UUID of an EXPRESS execution's ARN). */
int asl_store_finish_result(asl_store *s, long long id, const asl_result *r,
                            asl_error *e);

/* An event sink for execution id (asl_run_opts.sink). STANDARD: .event
 * buffers each event as a row; .tick writes the rows, the checkpoint and,
 * once the execution has ended (checkpoint NULL), its outcome from the
 * terminal event, in one transaction. EXPRESS: .event and .tick are NULL
 * (the engine builds neither events nor checkpoints): record the outcome
 * with asl_store_finish_result. After a failed write the sink writes
 * nothing more: the file holds the last committed tick, as after a crash,
 * and the execution stays RUNNING there for `asl resume`. The sink uses the
 * store's connection on the thread that runs the execution. */
asl_sink asl_store_sink(asl_store *s, long long id);
/* Frees the sink's state. Returns -1 with the first write error when one
 * happened (or the execution was not found), else 0. */
int asl_store_sink_end(asl_sink *k, asl_error *e);

/* ListExecutions items, newest first: {"executionArn","stateMachineArn",
 * "name","status","startDate","stopDate"(when stopped)}. status and
 * machine (name) filter when not NULL. */
int asl_store_list_executions(asl_store *s, const char *status,
                              const char *machine, cJSON **out, asl_error *e);

/* GetExecutionHistory's "events" array: {"timestamp","type","id",
 * "previousEventId", "...EventDetails"}, by id, descending when reverse.
 * Empty for an EXPRESS execution. */
int asl_store_get_history(asl_store *s, const char *arn, int reverse,
                          cJSON **out, asl_error *e);

/* A page of it: at most limit events after event id `after` (0: from
 * the first), or before it when reverse (0: from the last). */
int asl_store_get_history_page(asl_store *s, const char *arn, int reverse,
                               long long after, int limit, cJSON **out,
                               asl_error *e);

/* DescribeExecution's response, with the fields and order of
 * asl_result.describe. */
int asl_store_describe(asl_store *s, const char *arn, cJSON **out,
                       asl_error *e);

/* Finds an execution by ARN (text starting "arn:") or by name; sets *arn
 * (new string) and, when id is not NULL, *id. A name that several
 * executions share (of different machines, or EXPRESS) fails, listing
 * them. */
int asl_store_find_execution(asl_store *s, const char *name_or_arn,
                             char **arn, long long *id, asl_error *e);

/* A RUNNING execution, for `asl resume`. */
typedef struct asl_store_running {
  long long id;
  char *arn, *name, *machine, *type;
  char *definition; /* the definition it started with */
  char *input;      /* JSON text */
  char *options;    /* as given to start_execution, or NULL */
  double start;
  cJSON *checkpoint; /* the last committed one; NULL when none was (the
                        execution must start over from its input) */
  long long owner;   /* pid of the process that runs it; 0: none recorded */
} asl_store_running;

/* Makes process `owner` the one running execution id, if it is still
 * RUNNING and its owner is still old_owner (0: none): *claimed says whether
 * it was, so two `asl resume` never run the same execution. */
int asl_store_claim(asl_store *s, long long id, long long old_owner,
                    long long owner, int *claimed, asl_error *e);

/* Every RUNNING execution, oldest first. */
int asl_store_running_executions(asl_store *s, asl_store_running **v,
                                 size_t *n, asl_error *e);
void asl_store_running_free(asl_store_running *v, size_t n);

#endif
