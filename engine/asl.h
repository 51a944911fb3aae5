/* asl.h: the engine's public API, the only engine header that cli/, web/ and
 * deploy/ include.
 *
 * Load once, run many: asl_machine_load() validates a definition and compiles
 * it into an immutable asl_machine; asl_run() runs one execution of it to the
 * end. Diagnostics come in the shape of ValidateStateMachineDefinition.
 *
 * Ownership follows core.h: borrowed const inputs, new results freed with
 * their _free function. A machine may be shared by threads; an execution
 * belongs to one thread. */
#ifndef ASL_H
#define ASL_H

#include <stdatomic.h>
#include <stdint.h>

#include "core.h"

typedef struct asl_machine asl_machine;
typedef struct asl_mock asl_mock; /* engine/mock.h */

typedef struct asl_load_opts {
  const char *type; /* "STANDARD" (default) or "EXPRESS" */
  const char *name; /* state machine name, for ARNs; default "asl" */
  const char *role_arn; /* its IAM role (ExecutionStarted's roleArn);
                           NULL: asl's own */
} asl_load_opts;

/* Parses and validates text. Returns the machine, or NULL with every problem
 * in d (bad JSON is one diagnostic whose message has its line and column). */
asl_machine *asl_machine_load(const char *text, size_t len,
                              const asl_load_opts *o, asl_diags *d);
/* The same from a parsed definition (borrowed). */
asl_machine *asl_machine_load_json(const cJSON *def, const asl_load_opts *o,
                                   asl_diags *d);
void asl_machine_free(asl_machine *m);
const char *asl_machine_arn(const asl_machine *m);

/* ValidateStateMachineDefinition's response for d: {"result","diagnostics",
 * "truncated"}. New tree. */
cJSON *asl_diags_to_json(const asl_diags *d);

/* Where an execution's events go as they happen (the durable store plugs in
 * here). Called on the thread that runs the execution. */
typedef struct asl_sink {
  void *ud;
  /* One history event in GetExecutionHistory shape (borrowed). */
  void (*event)(void *ud, const cJSON *ev);
  /* The end of a scheduler tick (every ASL_TICK_STEPS steps, and whenever
   * the execution waits or ends): the events so far belong together (a
   * store commits them in one transaction) and checkpoint is the
   * execution's resumable state (borrowed; see asl_resume), or NULL when
   * the execution has ended. */
  void (*tick)(void *ud, const cJSON *checkpoint);
  /* Optional: one event of a child execution's own history (a distributed
   * Map's item, ItemProcessor ExecutionType STANDARD), in the same shape;
   * child_arn names the child. Its ExecutionStarted comes first (input in
   * its details), its end last. Ticks cover these events too. */
  void (*child_event)(void *ud, const char *child_arn, const cJSON *ev);
  /* Optional: a large value of the execution's state, written once under
   * key (unique within the execution) and named by later checkpoints
   * instead of being copied into each: a large input, a Map's items, each
   * finished Map iteration's result. Ticks cover these writes too; a
   * checkpoint that names keys needs asl_checkpoint_resolve before
   * asl_resume. Without it, checkpoints hold every value themselves. */
  void (*blob)(void *ud, const char *key, const cJSON *value);
} asl_sink;

/* A request to stop a running execution (StopExecution), made from any
 * thread: fill error and cause (either may stay NULL; they must live until
 * the run returns), then set requested to 1. The execution ends ABORTED at
 * its next step, or within ASL_STOP_POLL_S while it waits, with an
 * ExecutionAborted event carrying error and cause. A Task's work in
 * progress is abandoned as on a timeout (the run returns once it ends). */
typedef struct asl_stop {
  atomic_int requested;
  const char *error, *cause;
} asl_stop;

/* Reads blob key (prefix 0), or (prefix 1) every blob whose key starts with
 * key, as an object from the rest of each key to its value. New tree, or
 * NULL when there is none. */
typedef cJSON *(*asl_blob_get)(void *ud, const char *key, int prefix);

/* Puts back into checkpoint ck (in place) the values it names by blob key.
 * Returns -1 with *msg when a named blob is missing. */
int asl_checkpoint_resolve(cJSON *ck, asl_blob_get get, void *ud, char **msg);

typedef struct asl_run_opts {
  const char *name;     /* execution name; NULL: a random UUID */
  int virtual_clock;    /* nonzero: Wait and timeouts finish at once */
  double start_time;    /* epoch seconds of ExecutionStarted; 0: now */
  uint64_t seed;        /* RNG seed; 0: from the clock */
  int keep_history;     /* nonzero: fill asl_result.history */
  const cJSON *bindings; /* the bindings file's object, or NULL (borrowed) */
  const char *base_dir;  /* folder of the definition, for bindings' paths */
  size_t max_payload;    /* payload limit in bytes; 0: AWS's 256 KiB */
  const asl_sink *sink;  /* receives every event, or NULL */
  double time_scale;     /* > 1: the execution's clock runs this many times
                            faster than the real one (Waits, retry back-off,
                            timeouts shrink alike); 0 or 1: real time */
  asl_mock *mock; /* MockConfigFile test case (docs/mocks.md): this
                     execution's own instance (its counters), or NULL */
  const char *mock_spec; /* "FILE#TestCase" it came from, kept for resume */
  asl_stop *stop;        /* StopExecution's request, or NULL: never */
} asl_run_opts;

typedef struct asl_result {
  char *status;   /* "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED" */
  cJSON *output;  /* the output when SUCCEEDED, else NULL */
  char *error;    /* when not SUCCEEDED; may be NULL */
  char *cause;    /* when not SUCCEEDED; may be NULL */
  cJSON *history; /* GetExecutionHistory "events" array, when asked */
  cJSON *describe; /* DescribeExecution response shape */
  long long events; /* history events written (kept or not) */
  long long child_events; /* events of child executions (distributed Map) */
  double run_ms;    /* wall time of the run itself, in milliseconds */
} asl_result;

/* Runs one execution of m on input_text (JSON text; NULL means "{}") to its
 * end. Returns 0 with r filled whatever the execution's status; -1 with
 * *msg (new string) when input_text is not valid JSON or is too large. */
int asl_run(const asl_machine *m, const char *input_text,
            const asl_run_opts *o, asl_result *r, char **msg);
void asl_result_free(asl_result *r);

/* Resumes an execution of m from a checkpoint a sink received, and runs it
 * to the end. Events continue from the checkpoint's last id; work that had
 * started but whose outcome was not recorded (a Task) runs again, as AWS
 * does (at least once). Returns -1 with *msg when the checkpoint does not
 * fit the machine. */
int asl_resume(const asl_machine *m, const cJSON *checkpoint,
               const asl_run_opts *o, asl_result *r, char **msg);

/* ---- talking to running executions, from any thread ----
 *
 * A Task whose Resource ends in ".waitForTaskToken", and a Task on an
 * activity ARN, wait for its token ($$.Task.Token; an activity worker gets
 * it from asl_activity_poll) to come back through these. They fail with
 * TaskDoesNotExist when no running Task waits for the token (it ended,
 * timed out, or the token is not one of ours) and InvalidOutput when
 * output is not JSON. */
int asl_task_success(const char *token, const char *output, asl_error *e);
int asl_task_failure(const char *token, const char *error, const char *cause,
                     asl_error *e);
int asl_task_heartbeat(const char *token, asl_error *e);

/* GetActivityTask: waits up to wait_seconds for a Task of activity_arn no
 * worker has taken. 0 with *token and *input (new strings), or 1 when none
 * came. */
int asl_activity_poll(const char *activity_arn, const char *worker,
                      double wait_seconds, char **token, char **input);

/* StopExecution: the execution of arn running in this process ends
 * ABORTED (ExecutionAborted with error and cause, each may be NULL) at its
 * next step. ExecutionDoesNotExist when none of that ARN runs here. */
int asl_execution_stop(const char *arn, const char *error, const char *cause,
                       asl_error *e);

#endif
