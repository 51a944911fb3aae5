/* test_mock.c: Step Functions Local's MockConfigFile (engine/mock.c): the
 * invocation counters through retries, Map iterations and gaps, per-state
 * independence, Return and Throw, the run-time failure when no key holds an
 * invocation, clones and checkpoint counters, and every load error with its
 * exact words.
 *
 * Fixtures are written with ' for " (q() swaps them) to stay readable. */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "../../engine/json.h"
#include "../../engine/mock.h"
#include "t.h"

static char dir[] = "/tmp/test_mock_XXXXXX";
static char *file; /* dir/m.json */

/* text with every ' made a ". New string. */
static char *q(const char *text) {
  char *s = asl_strdup(text);
  for (char *p = s; *p; p++)
    if (*p == '\'') *p = '"';
  return s;
}

/* Writes text (q'd) as dir/m.json. */
static void put(const char *text) {
  char *s = q(text);
  FILE *f = fopen(file, "w");
  if (f) {
    fputs(s, f);
    fclose(f);
  }
  free(s);
}

/* Loads dir/m.json#tc for machine (may be NULL). */
static asl_mock *load(const char *tc, const char *machine, char **msg) {
  char *arg = asl_sprintf("%s#%s", file, tc);
  asl_mock *m = asl_mock_load(arg, machine, msg);
  free(arg);
  return m;
}

/* text fails to load as test case tc with "dir/m.json: " + want. */
static void check_fails(int line, const char *text, const char *tc,
                        const char *machine, const char *want) {
  put(text);
  char *msg = NULL;
  errno = 12345;
  asl_mock *m = load(tc, machine, &msg);
  char *full = asl_sprintf("%s: %s", file, want);
  T_OK(m == NULL && errno == 0, "line %d: loaded, or errno %d", line, errno);
  T_OK(msg && strcmp(msg, full) == 0, "line %d: got [%s], want [%s]", line,
       msg ? msg : "(null)", full);
  free(full);
  free(msg);
  asl_mock_free(m);
}
#define FAILS(text, tc, machine, want)                                         \
  check_fails(__LINE__, text, tc, machine, want)

/* One invocation of state: the rc, and the result or error as text:
 * "R <json>", "T <Error>|<Cause>", "U" (not mocked). */
static char *call(asl_mock *m, const char *state, int *rc) {
  int mocked = -1;
  cJSON *out = NULL;
  asl_error err = {0};
  *rc = asl_mock_lookup(m, state, &mocked, &out, &err);
  char *s;
  if (!mocked) {
    s = asl_sprintf("U%s%s", out ? " out" : "", err.name ? " err" : "");
  } else if (*rc == 0) {
    char *j = asl_json_print(out);
    s = asl_sprintf("R %s", j);
    free(j);
  } else {
    s = asl_sprintf("T %s|%s", err.name ? err.name : "(null)",
                    err.cause ? err.cause : "(null)");
  }
  cJSON_Delete(out);
  asl_error_clear(&err);
  return s;
}

/* state's next invocation gives rc and want. */
static void check_call(int line, asl_mock *m, const char *state, int want_rc,
                       const char *want) {
  int rc;
  char *got = call(m, state, &rc);
  T_OK(rc == want_rc && strcmp(got, want) == 0,
       "line %d: %s: got %d [%s], want %d [%s]", line, state, rc, got, want_rc,
       want);
  free(got);
}
#define CALL(m, state, rc, want) check_call(__LINE__, m, state, rc, want)

/* The counters of m as compact JSON. */
static char *counters(const asl_mock *m) {
  cJSON *c = asl_mock_counters(m);
  char *s = asl_json_print(c);
  cJSON_Delete(c);
  return s;
}

/* AWS's example (docs: sfn-local-mock-cfg-file). */
static const char aws_example[] =
    "{'StateMachines':{'LambdaSQSIntegration':{'TestCases':{"
    "'HappyPath':{'LambdaState':'MockedLambdaSuccess',"
    "'SQSState':'MockedSQSSuccess'},"
    "'RetryPath':{'LambdaState':'MockedLambdaRetry',"
    "'SQSState':'MockedSQSSuccess'},"
    "'HybridPath':{'LambdaState':'MockedLambdaSuccess'}}}},"
    "'MockedResponses':{"
    "'MockedLambdaSuccess':{'0':{'Return':{'StatusCode':200,"
    "'Payload':{'StatusCode':200,'body':'Hello from Lambda!'}}}},"
    "'LambdaMockedResourceNotReady':{'0':{'Throw':{"
    "'Error':'Lambda.ResourceNotReadyException',"
    "'Cause':'Lambda resource is not ready.'}}},"
    "'MockedSQSSuccess':{'0':{'Return':{'MD5OfMessageBody':'3bcb',"
    "'MessageId':'3bcb-8b51'}}},"
    "'MockedLambdaRetry':{"
    "'0':{'Throw':{'Error':'Lambda.ResourceNotReadyException',"
    "'Cause':'Lambda resource is not ready.'}},"
    "'1-2':{'Throw':{'Error':'Lambda.TimeoutException',"
    "'Cause':'Lambda timed out.'}},"
    "'3':{'Return':{'StatusCode':200,'Payload':{'StatusCode':200,"
    "'body':'Hello from Lambda!'}}}}}}";

#define LAMBDA_OK                                                              \
  "R {\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,"                     \
  "\"body\":\"Hello from Lambda!\"}}"
#define NOT_READY                                                              \
  "T Lambda.ResourceNotReadyException|Lambda resource is not ready."
#define TIMED_OUT "T Lambda.TimeoutException|Lambda timed out."
#define SQS_OK "R {\"MD5OfMessageBody\":\"3bcb\",\"MessageId\":\"3bcb-8b51\"}"

static void happy_path(void) {
  put(aws_example);
  char *msg = NULL;
  asl_mock *m = load("HappyPath", "LambdaSQSIntegration", &msg);
  T_OK(m && !msg, "load: %s", msg ? msg : "");
  if (!m) return;
  T_STREQ(asl_mock_machine(m), "LambdaSQSIntegration");
  T_STREQ(asl_mock_test_case(m), "HappyPath");
  T_OK(asl_mock_has(m, "SQSState") && !asl_mock_has(m, "Choose") &&
           !asl_mock_has(m, NULL) && !asl_mock_has(NULL, "SQSState"),
       "asl_mock_has");
  CALL(m, "LambdaState", 0, LAMBDA_OK);
  CALL(m, "SQSState", 0, SQS_OK);
  /* A state the test case does not mock: untouched, no counter. */
  char *before = counters(m);
  CALL(m, "Choose", 0, "U");
  CALL(m, NULL, 0, "U");
  char *after = counters(m);
  T_STREQ(after, before);
  T_STREQ(after, "{\"LambdaState\":1,\"SQSState\":1}");
  free(before);
  free(after);
  /* "0" only: the second invocation has no entry. */
  CALL(m, "LambdaState", -2,
       "T States.Runtime|The mocked response 'MockedLambdaSuccess' of test "
       "case 'HappyPath' has no entry for invocation 1 of the state "
       "'LambdaState' (its keys: 0)");
  asl_mock_free(m);
}

/* A Task retried three times: every attempt advances the counter. */
static void retry_path(void) {
  put(aws_example);
  asl_mock *m = load("RetryPath", "LambdaSQSIntegration", NULL);
  T_OK(m != NULL, "RetryPath loads");
  if (!m) return;
  CALL(m, "LambdaState", -1, NOT_READY);
  CALL(m, "LambdaState", -1, TIMED_OUT);
  /* Per-state counters: SQSState starts at its own 0. */
  CALL(m, "SQSState", 0, SQS_OK);
  CALL(m, "LambdaState", -1, TIMED_OUT);
  CALL(m, "LambdaState", 0, LAMBDA_OK);
  CALL(m, "LambdaState", -2,
       "T States.Runtime|The mocked response 'MockedLambdaRetry' of test "
       "case 'RetryPath' has no entry for invocation 4 of the state "
       "'LambdaState' (its keys: 0, 1-2, 3)");
  /* Every invocation counts, failed lookups too. */
  char *c = counters(m);
  T_STREQ(c, "{\"LambdaState\":5,\"SQSState\":1}");
  free(c);
  asl_mock_free(m);
}

/* A Map over two items whose Task retries on Boom: the counter runs on
 * across iterations (Step Functions Local 2.0.0 gives ["idx1","idx2"]). */
static void map_iterations(void) {
  put("{'StateMachines':{'IdxSem':{'TestCases':{'Case1':{'Call':'Seq'}}}},"
      "'MockedResponses':{'Seq':{'0':{'Throw':{'Error':'Boom',"
      "'Cause':'attempt0'}},'1':{'Return':{'Payload':'idx1'}},"
      "'2':{'Return':{'Payload':'idx2'}},'3':{'Return':{'Payload':'idx3'}}}}}");
  asl_mock *m = load("Case1", "IdxSem", NULL);
  T_OK(m != NULL, "Case1 loads");
  if (!m) return;
  static const char *want[2] = {"R {\"Payload\":\"idx1\"}",
                                "R {\"Payload\":\"idx2\"}"};
  for (int item = 0; item < 2; item++) {
    int rc = -1;
    char *got = NULL;
    for (int attempt = 0; attempt < 3 && rc != 0; attempt++) {
      free(got);
      got = call(m, "Call", &rc); /* Retry on Boom */
    }
    T_STREQ(got, want[item]);
    free(got);
  }
  asl_mock_free(m);
}

/* Two states using one mocked response count separately; any JSON can be
 * returned; a Throw without Cause; gaps; equal-ended ranges. */
static void shapes(void) {
  put("{'StateMachines':{'M':{'TestCases':{'T':{'A':'R','B':'R','C':'G',"
      "'D':'E'}}}},'MockedResponses':{"
      "'R':{'0':{'Return':null},'1':{'Return':'text'},'2-2':{'Return':[1,2]},"
      "'3':{'Return':4.5},'4':{'Throw':{'Error':'NoCause'}}},"
      "'G':{'2':{'Return':true},'0':{'Return':false},'5-7':{'Return':{}}},"
      "'E':{}}}");
  char *msg = NULL;
  asl_mock *m = load("T", "M", &msg);
  T_OK(m && !msg, "load: %s", msg ? msg : "");
  if (!m) return;
  CALL(m, "A", 0, "R null");
  CALL(m, "A", 0, "R \"text\"");
  CALL(m, "B", 0, "R null");
  CALL(m, "A", 0, "R [1,2]");
  CALL(m, "A", 0, "R 4.5");
  CALL(m, "A", -1, "T NoCause|(null)");
  CALL(m, "B", 0, "R \"text\"");
  /* Keys in any order; invocation 1 falls in the gap. */
  CALL(m, "C", 0, "R false");
  CALL(m, "C", -2,
       "T States.Runtime|The mocked response 'G' of test case 'T' has no "
       "entry for invocation 1 of the state 'C' (its keys: 0, 2, 5-7)");
  CALL(m, "C", 0, "R true");
  /* An empty mocked response loads; each invocation fails at run time. */
  CALL(m, "D", -2,
       "T States.Runtime|The mocked response 'E' of test case 'T' has no "
       "entry for invocation 0 of the state 'D' (its keys: none)");
  asl_mock_free(m);
}

/* One instance per execution: clones start at 0 and share nothing. */
static void instances(void) {
  put(aws_example);
  asl_mock *m = load("RetryPath", "LambdaSQSIntegration", NULL);
  T_OK(m != NULL, "RetryPath loads");
  if (!m) return;
  CALL(m, "LambdaState", -1, NOT_READY);
  asl_mock *c = asl_mock_clone(m);
  CALL(c, "LambdaState", -1, NOT_READY);
  CALL(c, "LambdaState", -1, TIMED_OUT);
  CALL(m, "LambdaState", -1, TIMED_OUT);
  T_STREQ(asl_mock_test_case(c), "RetryPath");
  asl_mock_free(m); /* the clone outlives its source */
  CALL(c, "LambdaState", -1, TIMED_OUT);
  asl_mock_reset(c);
  CALL(c, "LambdaState", -1, NOT_READY);
  asl_mock_free(c);
}

/* Counters through a checkpoint. */
static void checkpoint(void) {
  put(aws_example);
  asl_mock *m = load("RetryPath", "LambdaSQSIntegration", NULL);
  T_OK(m != NULL, "RetryPath loads");
  if (!m) return;
  char *msg = NULL;
  cJSON *c = cJSON_Parse("{\"LambdaState\":3}");
  T_OK(asl_mock_set_counters(m, c, &msg) == 0 && !msg, "set: %s",
       msg ? msg : "");
  cJSON_Delete(c);
  CALL(m, "LambdaState", 0, LAMBDA_OK);
  CALL(m, "SQSState", 0, SQS_OK);
  char *s = counters(m);
  T_STREQ(s, "{\"LambdaState\":4,\"SQSState\":1}");
  free(s);
  static const struct {
    const char *json, *why;
  } bad[] = {
      {"[]", "mock counters must be an object"},
      {"{\"Nope\":1}", "test case 'RetryPath' does not mock the state 'Nope'"},
      {"{\"SQSState\":-1}", "the mock counter of the state 'SQSState' must "
                            "be a non-negative integer"},
      {"{\"SQSState\":1.5}", "the mock counter of the state 'SQSState' must "
                             "be a non-negative integer"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    c = cJSON_Parse(bad[i].json);
    T_OK(asl_mock_set_counters(m, c, &msg) == -1, "%s accepted", bad[i].json);
    T_STREQ(msg, bad[i].why);
    free(msg);
    cJSON_Delete(c);
  }
  s = counters(m); /* unchanged by the rejected sets */
  T_STREQ(s, "{\"LambdaState\":4,\"SQSState\":1}");
  free(s);
  asl_mock_free(m);
}

/* Which state machine: the run's, or the only one with the test case. */
static void machines(void) {
  put("{'StateMachines':{'A':{'TestCases':{'One':{},'Both':{}}},"
      "'B':{'TestCases':{'Both':{}}}},'MockedResponses':{}}");
  asl_mock *m = load("One", NULL, NULL);
  T_OK(m && strcmp(asl_mock_machine(m), "A") == 0, "found under A");
  CALL(m, "X", 0, "U");
  asl_mock_free(m);
  m = load("Both", "B", NULL);
  T_OK(m && strcmp(asl_mock_machine(m), "B") == 0, "found under B");
  asl_mock_free(m);
  FAILS("{'StateMachines':{'A':{'TestCases':{'One':{},'Both':{}}},"
        "'B':{'TestCases':{'Both':{}}}}}",
        "Both", NULL,
        "test case 'Both' is in several state machines ('A', 'B'): name the "
        "state machine");
  FAILS("{'StateMachines':{'A':{'TestCases':{'One':{}}}}}", "One", "asl",
        "test case 'One' is for state machine 'A', but this run's state "
        "machine is 'asl'");
  FAILS("{'StateMachines':{'A':{'TestCases':{'One':{}}}}}", "Two", "asl",
        "no state machine 'asl' in StateMachines (it has 'A')");
  FAILS("{'StateMachines':{'A':{'TestCases':{'One':{},'Uno':{}}}}}", "Two", "A",
        "state machine 'A' has no test case 'Two' (it has 'One', 'Uno')");
  FAILS("{'StateMachines':{'A':{'TestCases':{'One':{}}},"
        "'B':{'TestCases':{}}}}",
        "Two", NULL,
        "no state machine has a test case 'Two' (StateMachines has 'A', "
        "'B')");
}

/* Files that cannot be read, and arguments without a test case. */
static void file_errors(void) {
  char *msg = NULL;
  char *arg = asl_sprintf("%s/nope.json#T", dir);
  char *want = asl_sprintf("%s/nope.json: No such file or directory", dir);
  errno = 0;
  asl_mock *m = asl_mock_load(arg, NULL, &msg);
  T_OK(!m && errno == ENOENT, "missing file: errno %d", errno);
  T_STREQ(msg, want);
  free(msg);
  free(arg);
  free(want);
  arg = asl_sprintf("%s#T", dir);
  want = asl_sprintf("%s: is a directory, not a mock configuration file", dir);
  m = asl_mock_load(arg, NULL, &msg);
  T_OK(!m && errno == EISDIR, "directory: errno %d", errno);
  T_STREQ(msg, want);
  free(msg);
  free(arg);
  free(want);
  put(aws_example);
  want = asl_sprintf("%s: no test case given: write %s#TestCase", file, file);
  m = asl_mock_load(file, NULL, &msg);
  T_OK(!m && errno == 0, "no '#'");
  T_STREQ(msg, want);
  free(msg);
  arg = asl_sprintf("%s#", file);
  m = asl_mock_load(arg, NULL, &msg);
  T_STREQ(msg, want);
  free(msg);
  free(arg);
  free(want);
  m = asl_mock_load("#HappyPath", NULL, &msg);
  T_STREQ(msg, "mock: no file before '#': write FILE#TestCase");
  free(msg);
  m = asl_mock_load(NULL, NULL, &msg);
  T_OK(!m && msg, "NULL argument");
  free(msg);
  m = asl_mock_load("#", NULL, NULL); /* msg may be NULL */
  T_OK(!m, "'#' alone");
}

/* Bad JSON and bad shapes, each with its message. */
static void content_errors(void) {
  put("{\n  'StateMachines': ,\n}");
  char *msg = NULL;
  asl_mock *m = load("T", NULL, &msg);
  char *want = asl_sprintf("%s: not valid JSON: line 2, column ", file);
  T_OK(!m && msg && strncmp(msg, want, strlen(want)) == 0 && errno == 0,
       "bad JSON: [%s]", msg ? msg : "(null)");
  free(want);
  free(msg);
  FAILS("", "T", NULL,
        "not valid JSON: line 1, column 1: unexpected end of "
        "input");
  FAILS("[]", "T", NULL,
        "a mock configuration must be a JSON object with \"StateMachines\" "
        "and \"MockedResponses\"");
  FAILS("{'MockedResponses':{}}", "T", NULL,
        "\"StateMachines\" must be an object");
  FAILS("{'StateMachines':{'A':{'Cases':{}}}}", "T", NULL,
        "state machine 'A' must be an object with a \"TestCases\" object");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':[]}}}}", "T", NULL,
        "test case 'T' must be an object of \"<state>\": \"<mocked "
        "response>\"");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':{'S':1}}}}}", "T", NULL,
        "test case 'T': state 'S' must name a mocked response (a string)");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':{'S':'R','S':'R'}}}},"
        "'MockedResponses':{'R':{}}}",
        "T", NULL, "test case 'T' names the state 'S' twice");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':{'S':'R'}}}}}", "T", NULL,
        "test case 'T': state 'S' uses the mocked response 'R', which "
        "MockedResponses does not define (it has none)");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':{'S':'R'}}}},"
        "'MockedResponses':{'Q':{},'P':{}}}",
        "T", NULL,
        "test case 'T': state 'S' uses the mocked response 'R', which "
        "MockedResponses does not define (it has 'Q', 'P')");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':{'S':'R'}}}},"
        "'MockedResponses':[]}",
        "T", NULL, "\"MockedResponses\" must be an object");
  FAILS("{'StateMachines':{'A':{'TestCases':{'T':{'S':'R'}}}},"
        "'MockedResponses':{'R':[]}}",
        "T", NULL,
        "mocked response 'R' must be an object whose keys are invocation "
        "numbers (\"0\") or ranges (\"1-2\")");
}

#define ONE(entries)                                                           \
  "{'StateMachines':{'A':{'TestCases':{'T':{'S':'R'}}}},"                      \
  "'MockedResponses':{'R':{" entries "}}}"
#define BADKEY(k)                                                              \
  "mocked response 'R': invalid key '" k "': want an invocation number "       \
  "such as \"0\" or an inclusive range such as \"1-2\""

static void entry_errors(void) {
  static const char *keys[] = {"a",  "1-", "-1",         "1-2-3", " 1",
                               "1 ", "+1", "1234567890", ""};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    char *text = asl_sprintf(ONE("'%s':{'Return':1}"), keys[i]);
    char *why = asl_sprintf(BADKEY("%s"), keys[i]);
    FAILS(text, "T", NULL, why);
    free(text);
    free(why);
  }
  FAILS(ONE("'3-1':{'Return':1}"), "T", NULL,
        "mocked response 'R': invalid key '3-1': the range ends before it "
        "starts");
  FAILS(ONE("'0-2':{'Return':1},'2':{'Return':2}"), "T", NULL,
        "mocked response 'R': invocation 2 is in both key '0-2' and key '2'");
  FAILS(ONE("'0':{'Return':1},'5-9':{'Return':1},'1-5':{'Return':2}"), "T",
        NULL,
        "mocked response 'R': invocation 5 is in both key '1-5' and key "
        "'5-9'");
  FAILS(ONE("'0':{}"), "T", NULL,
        "mocked response 'R', key '0': has neither \"Return\" nor "
        "\"Throw\"");
  FAILS(ONE("'0':{'Retrun':1}"), "T", NULL,
        "mocked response 'R', key '0': has neither \"Return\" nor "
        "\"Throw\"");
  FAILS(ONE("'0':{'Return':1,'Throw':{'Error':'E','Cause':'C'}}"), "T", NULL,
        "mocked response 'R', key '0': has both \"Return\" and \"Throw\"; "
        "give one");
  FAILS(ONE("'0':'x'"), "T", NULL,
        "mocked response 'R', key '0': must be an object with \"Return\" or "
        "\"Throw\"");
#define BADTHROW                                                               \
  "mocked response 'R', key '0': \"Throw\" must be an object with an "         \
  "\"Error\" string and a \"Cause\" string"
  FAILS(ONE("'0':{'Throw':{'Cause':'C'}}"), "T", NULL, BADTHROW);
  FAILS(ONE("'0':{'Throw':{'Error':1,'Cause':'C'}}"), "T", NULL, BADTHROW);
  FAILS(ONE("'0':{'Throw':{'Error':'E','Cause':2}}"), "T", NULL, BADTHROW);
  FAILS(ONE("'0':{'Throw':'E'}"), "T", NULL, BADTHROW);
  /* Mocked responses the test case does not use are not checked, as Step
   * Functions Local leaves them alone. */
  put("{'StateMachines':{'A':{'TestCases':{'T':{'S':'R'}}}},"
      "'MockedResponses':{'R':{'0':{'Return':1}},'Bad':{'x':{}}}}");
  asl_mock *m = load("T", NULL, NULL);
  T_OK(m != NULL, "an unused bad response is left alone");
  asl_mock_free(m);
}

T_MAIN("mock") {
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(1);
  }
  file = asl_sprintf("%s/m.json", dir);
  happy_path();
  retry_path();
  map_iterations();
  shapes();
  instances();
  checkpoint();
  machines();
  file_errors();
  content_errors();
  entry_errors();
  unlink(file);
  rmdir(dir);
  free(file);
}
