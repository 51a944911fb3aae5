/* exec.h: one execution, advanced one state transition per call.
 *
 * asl_exec_step() runs the current state through the data-flow pipeline
 * (InputPath -> Parameters -> work -> ResultSelector -> Assign -> ResultPath
 * -> OutputPath), appends the history events, and moves to the next state.
 * It returns what the execution is doing now, so a scheduler can drive many
 * executions without threads: RUNNING (call again), WAITING (call again at
 * asl_exec_wake_time()), DONE. The clock is injected: on a virtual clock a
 * Wait advances the execution's time instead of sleeping. */
#ifndef ASL_EXEC_H
#define ASL_EXEC_H

#include "asl.h"

typedef struct asl_exec asl_exec;

enum { ASL_EXEC_RUNNING, ASL_EXEC_WAITING, ASL_EXEC_DONE };

/* Starts an execution of m (which must outlive it) on input (taken). Appends
 * ExecutionStarted. */
asl_exec *asl_exec_start_take(const asl_machine *m, cJSON *input,
                              const asl_run_opts *o);
int asl_exec_step(asl_exec *x);
double asl_exec_wake_time(const asl_exec *x);
/* Tells a WAITING execution that the clock now reads `now`. */
void asl_exec_set_time(asl_exec *x, double now);
/* Moves the outcome into r (history and describe included). */
void asl_exec_finish(asl_exec *x, asl_result *r);
void asl_exec_free(asl_exec *x);

/* ISO-8601 UTC text with milliseconds for epoch seconds t, as AWS writes
 * $$.Execution.StartTime ("2024-01-02T03:04:05.678Z"). buf >= 32 bytes. */
void asl_iso8601(double t, char *buf, size_t n);

#endif
