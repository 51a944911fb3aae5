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

#include <stdint.h>

#include "core.h"

typedef struct asl_machine asl_machine;

typedef struct asl_load_opts {
  const char *type; /* "STANDARD" (default) or "EXPRESS" */
  const char *name; /* state machine name, for ARNs; default "asl" */
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

typedef struct asl_run_opts {
  const char *name;     /* execution name; NULL: a random UUID */
  int virtual_clock;    /* nonzero: Wait and timeouts finish at once */
  double start_time;    /* epoch seconds of ExecutionStarted; 0: now */
  uint64_t seed;        /* RNG seed; 0: from the clock */
  int keep_history;     /* nonzero: fill asl_result.history */
  const cJSON *bindings; /* the bindings file's object, or NULL (borrowed) */
  const char *base_dir;  /* folder of the definition, for bindings' paths */
  size_t max_payload;    /* payload limit in bytes; 0: AWS's 256 KiB */
} asl_run_opts;

typedef struct asl_result {
  char *status;   /* "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED" */
  cJSON *output;  /* the output when SUCCEEDED, else NULL */
  char *error;    /* when not SUCCEEDED; may be NULL */
  char *cause;    /* when not SUCCEEDED; may be NULL */
  cJSON *history; /* GetExecutionHistory "events" array, when asked */
  cJSON *describe; /* DescribeExecution response shape */
  long long events; /* history events written (kept or not) */
} asl_result;

/* Runs one execution of m on input_text (JSON text; NULL means "{}") to its
 * end. Returns 0 with r filled whatever the execution's status; -1 with
 * *msg (new string) when input_text is not valid JSON or is too large. */
int asl_run(const asl_machine *m, const char *input_text,
            const asl_run_opts *o, asl_result *r, char **msg);
void asl_result_free(asl_result *r);

#endif
