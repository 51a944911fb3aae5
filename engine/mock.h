/* mock.h: AWS Step Functions Local's mock configuration file
 * (MockConfigFile.json), so a test can replace Task results (docs/mocks.md).
 *
 *   {"StateMachines": {"<machine>": {"TestCases": {"<case>":
 *        {"<state>": "<mocked response>", ...}}}},
 *    "MockedResponses": {"<mocked response>":
 *        {"0": {"Return": <any JSON>},
 *         "1-2": {"Throw": {"Error": "E", "Cause": "C"}}}}}
 *
 * Counter semantics (those of Step Functions Local): one counter per mocked
 * state per execution, starting at 0, advanced on every invocation of that
 * state: each retry, each Map iteration, each pass around a loop. An
 * invocation takes the entry whose key ("3") or inclusive range ("1-2")
 * holds its number. An invocation no key holds fails with States.Runtime
 * (Step Functions Local fails the execution; it does not reuse the last
 * entry).
 *
 * An asl_mock is one test case with its counters: one instance per
 * execution (asl_mock_clone makes another with fresh counters). It is not
 * thread-safe: an instance is used by the thread that runs its execution
 * (the scheduler thread); distinct instances share nothing. */
#ifndef ASL_MOCK_H
#define ASL_MOCK_H

#include "core.h"

typedef struct asl_mock asl_mock;

/* Loads "FILE#TestCase". machine_name is this run's state machine name:
 * the test case must be under StateMachines[machine_name]; NULL means
 * "whichever state machine has this test case" (it must be only one).
 * Checks the whole test case up front: every state it names must use a
 * mocked response that exists, with valid keys and entries.
 *
 * Returns the mock, or NULL with *msg (a new string, prefixed with FILE)
 * saying why. On failure errno is the reason FILE could not be read
 * (ENOENT, EISDIR, ...), or 0 when it was read but is not a valid mock
 * configuration for this run. */
asl_mock *asl_mock_load(const char *path_with_case, const char *machine_name,
                        char **msg);

/* A new instance of the same test case with every counter at 0 (for a new
 * execution). Shares nothing with m. */
asl_mock *asl_mock_clone(const asl_mock *m);

/* Puts every counter back to 0. */
void asl_mock_reset(asl_mock *m);

void asl_mock_free(asl_mock *m);

/* The state machine and test case m was loaded for (owned by m). */
const char *asl_mock_machine(const asl_mock *m);
const char *asl_mock_test_case(const asl_mock *m);

/* Nonzero when the test case mocks the state named state (no side
 * effect). */
int asl_mock_has(const asl_mock *m, const char *state);

/* One invocation of the Task state named state. When the test case does
 * not mock state: *mocked = 0, returns 0, *out = NULL, nothing changes.
 * Otherwise *mocked = 1, state's counter advances, and:
 *    0: a Return entry; *out is a new tree (the Task's result);
 *   -1: a Throw entry; err is its Error and Cause (the Task failed: the
 *       caller writes TaskFailed and applies Retry and Catch);
 *   -2: no entry holds this invocation's number; err is States.Runtime
 *       with a cause that says so (the state fails as on a runtime
 *       error). */
int asl_mock_lookup(asl_mock *m, const char *state, int *mocked, cJSON **out,
                    asl_error *err);

/* The counters, for a checkpoint: {"<state>": next invocation number}.
 * New tree. */
cJSON *asl_mock_counters(const asl_mock *m);

/* Sets the counters from asl_mock_counters' output (states it omits go
 * back to 0). Returns -1 with *msg (new string) when c names a state the
 * test case does not mock or holds a value that is not a non-negative
 * integer; m is then unchanged. */
int asl_mock_set_counters(asl_mock *m, const cJSON *c, char **msg);

#endif
