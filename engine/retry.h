/* retry.h: a state's Retry and Catch, compiled once and decided at run time.
 *
 * A state that fails reports an error name ("States.Timeout",
 * "Lambda.ServiceException", ...). The executor then asks this module, in
 * this order:
 *   1. asl_retry_decide: is the error retried, and after how long? The FIRST
 *      retrier whose ErrorEquals matches the name is the one used; when its
 *      MaxAttempts are used up the error is not retried, even if a later
 *      retrier would match too (ASL spec, "Complex retry scenarios").
 *   2. asl_catch_match: otherwise, which catcher (first in array order)
 *      handles it, and so where to go next and what the Next state gets.
 *   3. otherwise the state, and so its graph, fails with the error.
 *
 * Matching follows AWS (docs "Error handling in Step Functions workflows"):
 *   - an entry equal to the error name matches it;
 *   - "States.ALL" matches every error except the terminal ones,
 *     States.DataLimitExceeded and States.Runtime;
 *   - "States.TaskFailed" matches every error except the timeouts
 *     (States.Timeout, States.HeartbeatTimeout) and the terminal ones;
 *   - "States.Timeout" also matches States.HeartbeatTimeout: the spec
 *     defines States.Timeout as "ran longer than TimeoutSeconds, or failed
 *     to heartbeat for longer than HeartbeatSeconds".
 * On top of matching, States.Runtime is never retried nor caught: AWS says
 * it "isn't retriable, and will always cause the execution to fail".
 *
 * Retry delay for attempt k (k = 0 for the first retry):
 *   IntervalSeconds * BackoffRate^k, capped by MaxDelaySeconds (and always by
 *   ASL_MAX_RETRY_DELAY), then with JitterStrategy FULL a uniform random
 *   fraction of that: rnd01 * delay (AWS: "a random number between 0 and the
 *   computed backoff"). The attempts used are the caller's (counts[]), so a
 *   policy is immutable and shared by every execution of the machine.
 *
 * Ownership: the policy borrows the state's definition (strings, Output,
 * the catcher objects); the definition must outlive it, as the machine's
 * does. Thread safety: a compiled policy is immutable. */
#ifndef ASL_RETRY_H
#define ASL_RETRY_H

#include "machine.h"

typedef struct asl_retry asl_retry; /* compiled Retry and Catch of one state */

/* Compiles def's "Retry" and "Catch" arrays (either may be absent or empty:
 * the policy then has no retriers or no catchers). loc is the state's JSON
 * Pointer ("/States/T"), query_lang ASL_QL_JSONPATH or ASL_QL_JSONATA.
 * Problems go to d as SCHEMA_VALIDATION_FAILED at locations like
 * "/States/T/Retry[0]/ErrorEquals" (AWS writes array indices as [i] there);
 * returns NULL if there was any. Catch[].Next naming a state that does not
 * exist is the loader's to report (machine.c), not this function's. */
asl_retry *asl_retry_compile(const cJSON *def, const char *loc, int query_lang,
                             asl_diags *d);
void asl_retry_free(asl_retry *r);

size_t asl_retry_count(const asl_retry *r); /* retriers */
size_t asl_catch_count(const asl_retry *r); /* catchers */

/* Decides whether error `name` is retried. counts[] has asl_retry_count(r)
 * entries, zeroed by the caller when the state is entered (AWS resets them
 * on every transition), and holds the attempts used per retrier; the one
 * used is advanced. Returns 1 with *delay in seconds (>= 0, fractional when
 * BackoffRate or jitter make it so) when the error is retried; 0 when it is
 * not: no retrier matches, the first matching retrier's attempts are used
 * up, or the error is States.Runtime. rnd01 is uniform in [0, 1), used only
 * by JitterStrategy FULL. */
int asl_retry_decide(const asl_retry *r, const char *name, int *counts,
                     double rnd01, double *delay);

/* Index of the first catcher matching `name`, or -1 (always -1 for
 * States.Runtime). */
int asl_catch_match(const asl_retry *r, const char *name);

/* Catcher i (0 <= i < asl_catch_count(r)); NULL when i is out of range. */
const char *asl_catch_next(const asl_retry *r, int i); /* Next state name */
/* ResultPath as written (JSONPath only; not present: "$", the default). */
const asl_opt_path *asl_catch_result_path(const asl_retry *r, int i);
/* JSONPath-mode Assign, compiled; NULL when absent or in JSONata mode. */
const asl_template *asl_catch_assign(const asl_retry *r, int i);
/* The catcher object, for JSONata Output and Assign (evaluated elsewhere). */
const cJSON *asl_catch_def(const asl_retry *r, int i);

/* Does ErrorEquals entry `pattern` match error `name`? Exact names, and the
 * wildcards States.ALL, States.TaskFailed and States.Timeout as above. Pure
 * name matching: the States.Runtime rule is applied by asl_retry_decide and
 * asl_catch_match, not here. */
int asl_error_matches(const char *pattern, const char *name);

#endif
