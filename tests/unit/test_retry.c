/* test_retry.c: Retry and Catch (engine/retry.c). Tables of rows: compile
 * problems with AWS's message and location, definitions that compile, the
 * error-name matching rules, retry decisions step by step, jitter bounds and
 * catcher order. */
#include <math.h>

#include "../../engine/retry.h"
#include "t.h"

#define LOC "/States/T"
#define JP ASL_QL_JSONPATH
#define JA ASL_QL_JSONATA

static cJSON *parse(const char *text) {
  cJSON *v = cJSON_Parse(text);
  if (!v) fprintf(stderr, "bad test JSON: %s\n", text);
  return v;
}

/* ---- compile problems: one diagnostic each, exact words and place ---- */

static const struct {
  const char *def;
  int ql;
  const char *message, *location;
} bad[] = {
    {"{\"Retry\":{}}", JP, "The field 'Retry' must be an array", LOC "/Retry"},
    {"{\"Catch\":\"x\"}", JP, "The field 'Catch' must be an array",
     LOC "/Catch"},
    {"{\"Retry\":[1]}", JP, "The field 'Retry' must be an array of objects",
     LOC "/Retry[0]"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"A\"],\"Next\":\"X\"},null]}", JP,
     "The field 'Catch' must be an array of objects", LOC "/Catch[1]"},
    {"{\"Retry\":[{}]}", JP, "These fields are required: [ErrorEquals]",
     LOC "/Retry[0]"},
    {"{\"Catch\":[{}]}", JP, "These fields are required: [ErrorEquals, Next]",
     LOC "/Catch[0]"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"]}]}", JP,
     "These fields are required: [Next]", LOC "/Catch[0]"},
    {"{\"Catch\":[{\"Next\":\"X\"}]}", JP,
     "These fields are required: [ErrorEquals]", LOC "/Catch[0]"},
    {"{\"Retry\":[{\"ErrorEquals\":[]}]}", JP,
     "The field 'ErrorEquals' must be a non-empty array of strings",
     LOC "/Retry[0]/ErrorEquals"},
    {"{\"Retry\":[{\"ErrorEquals\":\"E\"}]}", JP,
     "The field 'ErrorEquals' must be a non-empty array of strings",
     LOC "/Retry[0]/ErrorEquals"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\",1],\"Next\":\"X\"}]}", JP,
     "The field 'ErrorEquals' must be a non-empty array of strings",
     LOC "/Catch[0]/ErrorEquals"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"States.ALL\",\"E\"]}]}", JP,
     "The reserved error name 'States.ALL' must appear alone in "
     "'ErrorEquals'",
     LOC "/Retry[0]/ErrorEquals"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},"
     "{\"ErrorEquals\":[\"E\"]}]}",
     JP,
     "The reserved error name 'States.ALL' must appear in the last "
     "retrier",
     LOC "/Retry[0]/ErrorEquals"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"X\"},"
     "{\"ErrorEquals\":[\"E\"],\"Next\":\"Y\"}]}",
     JP,
     "The reserved error name 'States.ALL' must appear in the last "
     "catcher",
     LOC "/Catch[0]/ErrorEquals"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"States.Foo\"]}]}", JP,
     "'States.Foo' is not a predefined error name, and names starting with "
     "'States.' are reserved",
     LOC "/Retry[0]/ErrorEquals"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"States.all\"]}]}", JP,
     "'States.all' is not a predefined error name, and names starting with "
     "'States.' are reserved",
     LOC "/Retry[0]/ErrorEquals"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":0}]}", JP,
     "The field 'IntervalSeconds' must be an integer >= 1",
     LOC "/Retry[0]/IntervalSeconds"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":1.5}]}", JP,
     "The field 'IntervalSeconds' must be an integer >= 1",
     LOC "/Retry[0]/IntervalSeconds"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":100000000}]}",
     JP, "The field 'IntervalSeconds' must be an integer <= 99999999",
     LOC "/Retry[0]/IntervalSeconds"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":-1}]}", JP,
     "The field 'MaxAttempts' must be an integer >= 0",
     LOC "/Retry[0]/MaxAttempts"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":\"3\"}]}", JP,
     "The field 'MaxAttempts' must be an integer >= 0",
     LOC "/Retry[0]/MaxAttempts"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":100000000}]}", JP,
     "The field 'MaxAttempts' must be an integer <= 99999999",
     LOC "/Retry[0]/MaxAttempts"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxDelaySeconds\":0}]}", JP,
     "The field 'MaxDelaySeconds' must be an integer >= 1",
     LOC "/Retry[0]/MaxDelaySeconds"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxDelaySeconds\":31622402}]}", JP,
     "The field 'MaxDelaySeconds' must be an integer <= 31622401",
     LOC "/Retry[0]/MaxDelaySeconds"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"BackoffRate\":0.5}]}", JP,
     "The field 'BackoffRate' must be a number >= 1.0",
     LOC "/Retry[0]/BackoffRate"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"BackoffRate\":\"2\"}]}", JP,
     "The field 'BackoffRate' must be a number >= 1.0",
     LOC "/Retry[0]/BackoffRate"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"JitterStrategy\":\"HALF\"}]}", JP,
     "The field 'JitterStrategy' must be 'FULL' or 'NONE'",
     LOC "/Retry[0]/JitterStrategy"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"JitterStrategy\":null}]}", JP,
     "The field 'JitterStrategy' must be 'FULL' or 'NONE'",
     LOC "/Retry[0]/JitterStrategy"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"Comment\":1}]}", JP,
     "The field 'Comment' must be a string", LOC "/Retry[0]/Comment"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\"}]}", JP,
     "Field 'Next' is not supported", LOC "/Retry[0]"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\","
     "\"MaxAttempts\":1}]}",
     JP, "Field 'MaxAttempts' is not supported", LOC "/Catch[0]"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":1}]}", JP,
     "The field 'Next' must be a string", LOC "/Catch[0]/Next"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\","
     "\"ResultPath\":\"$.a[*]\"}]}",
     JP, "The value for the field 'ResultPath' must be a valid ReferencePath",
     LOC "/Catch[0]/ResultPath"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\","
     "\"ResultPath\":\"err\"}]}",
     JP, "The value for the field 'ResultPath' must be a valid ReferencePath",
     LOC "/Catch[0]/ResultPath"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\",\"Output\":{}}]}", JP,
     "The QueryLanguage is set to 'JSONPath', but field 'Output' is only "
     "supported for the 'JSONata' QueryLanguage",
     LOC "/Catch[0]"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\","
     "\"ResultPath\":\"$.e\"}]}",
     JA,
     "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only "
     "supported for the 'JSONPath' QueryLanguage",
     LOC "/Catch[0]"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\",\"Assign\":[]}]}", JP,
     "The field 'Assign' must be an object", LOC "/Catch[0]/Assign"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\",\"Assign\":1}]}", JA,
     "The field 'Assign' must be an object", LOC "/Catch[0]/Assign"},
    {"{\"Catch\":[{\"ErrorEquals\":[\"E\"],\"Next\":\"X\","
     "\"Assign\":{\"x.$\":\"nope\"}}]}",
     JP,
     "The value for the field 'x.$' must be a valid JSONPath or a valid "
     "intrinsic function call",
     LOC "/Catch[0]/Assign"},
    {"{\"Retry\":[{\"ErrorEquals\":[\"A\"]},"
     "{\"ErrorEquals\":[\"B\"],\"MaxAttempts\":-2}]}",
     JP, "The field 'MaxAttempts' must be an integer >= 0",
     LOC "/Retry[1]/MaxAttempts"},
};

static void test_bad(void) {
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cJSON *def = parse(bad[i].def);
    asl_diags d = {0};
    asl_retry *r = asl_retry_compile(def, LOC, bad[i].ql, &d);
    T_OK(r == NULL, "row %zu (%s): compiled", i, bad[i].def);
    T_OK(d.n == 1, "row %zu (%s): %zu diagnostics", i, bad[i].def, d.n);
    if (d.n >= 1) {
      T_STREQ(d.v[0].code, "SCHEMA_VALIDATION_FAILED");
      T_STREQ(d.v[0].message, bad[i].message);
      T_STREQ(d.v[0].location, bad[i].location);
    }
    asl_retry_free(r);
    asl_diags_free(&d);
    cJSON_Delete(def);
  }
}

/* Every problem is reported, not just the first. */
static void test_many_problems(void) {
  cJSON *def = parse("{\"Retry\":[{\"IntervalSeconds\":0,\"Foo\":1}],"
                     "\"Catch\":[{\"ErrorEquals\":[\"States.X\"]}]}");
  asl_diags d = {0};
  T_OK(asl_retry_compile(def, LOC, JP, &d) == NULL, "compiled");
  T_OK(d.n == 5, "%zu diagnostics", d.n);
  if (d.n == 5) {
    T_STREQ(d.v[0].message, "Field 'Foo' is not supported");
    T_STREQ(d.v[1].message, "These fields are required: [ErrorEquals]");
    T_STREQ(d.v[2].location, LOC "/Retry[0]/IntervalSeconds");
    T_STREQ(d.v[3].message, "These fields are required: [Next]");
    T_STREQ(d.v[4].location, LOC "/Catch[0]/ErrorEquals");
  }
  asl_diags_free(&d);
  cJSON_Delete(def);
}

/* ---- definitions that compile ---- */

static const struct {
  const char *def;
  int ql;
  size_t retriers, catchers;
} good[] = {
    {"{}", JP, 0, 0},
    {"{\"Retry\":[],\"Catch\":[]}", JP, 0, 0},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":3,"
     "\"MaxAttempts\":0,\"BackoffRate\":1,\"MaxDelaySeconds\":31622401,"
     "\"JitterStrategy\":\"NONE\",\"Comment\":\"c\"}]}",
     JP, 1, 0},
    {"{\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":99999999,"
     "\"MaxAttempts\":99999999,\"BackoffRate\":1.5,"
     "\"JitterStrategy\":\"FULL\"},{\"ErrorEquals\":[\"States.ALL\"]}]}",
     JP, 2, 0},
    /* AWS ran this one (conformance: map_state_retry_multiple_retriers). */
    {"{\"Retry\":[{\"ErrorEquals\":[\"NoSuchError\"],\"MaxAttempts\":1},"
     "{\"ErrorEquals\":[\"State.ALL\"],\"MaxAttempts\":2},"
     "{\"ErrorEquals\":[\"HandleItemFailError\"],\"MaxAttempts\":3}]}",
     JP, 3, 0},
    {"{\"Retry\":[{\"ErrorEquals\":[\"States.BranchFailed\","
     "\"States.DataLimitExceeded\",\"States.ExceedToleratedFailureThreshold\","
     "\"States.HeartbeatTimeout\",\"States.Http.Socket\","
     "\"States.IntrinsicFailure\",\"States.ItemReaderFailed\","
     "\"States.NoChoiceMatched\",\"States.ParameterPathFailure\","
     "\"States.Permissions\",\"States.QueryEvaluationError\","
     "\"States.ResultPathMatchFailure\",\"States.ResultWriterFailed\","
     "\"States.Runtime\",\"States.TaskFailed\",\"States.Timeout\"]}]}",
     JP, 1, 0},
    {"{\"Catch\":[{\"ErrorEquals\":[\"A\"],\"Next\":\"X\",\"ResultPath\":null,"
     "\"Comment\":\"c\"},{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Y\","
     "\"ResultPath\":\"$.err\",\"Assign\":{\"v.$\":\"$.x\",\"w\":1}}]}",
     JP, 0, 2},
    {"{\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"X\","
     "\"Output\":\"{% $states.errorOutput %}\",\"Assign\":{\"v\":1}}]}",
     JA, 0, 1},
    {"{\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]}],"
     "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"X\"}]}",
     JA, 1, 1},
};

static void test_good(void) {
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    cJSON *def = parse(good[i].def);
    asl_diags d = {0};
    asl_retry *r = asl_retry_compile(def, LOC, good[i].ql, &d);
    T_OK(r != NULL && d.n == 0, "row %zu (%s): %s", i, good[i].def,
         d.n ? d.v[0].message : "NULL");
    T_OK(asl_retry_count(r) == good[i].retriers, "row %zu: retriers", i);
    T_OK(asl_catch_count(r) == good[i].catchers, "row %zu: catchers", i);
    asl_retry_free(r);
    asl_diags_free(&d);
    cJSON_Delete(def);
  }
}

/* ---- matching ---- */

static const struct {
  const char *pattern, *name;
  int want;
} matches[] = {
    {"E", "E", 1},
    {"E", "F", 0},
    {"e", "E", 0}, /* case-sensitive */
    {"State.ALL", "E", 0},
    {"States.ALL", "E", 1},
    {"States.ALL", "Lambda.Unknown", 1},
    {"States.ALL", "States.Timeout", 1},
    {"States.ALL", "States.HeartbeatTimeout", 1},
    {"States.ALL", "States.TaskFailed", 1},
    {"States.ALL", "States.BranchFailed", 1},
    {"States.ALL", "States.Runtime", 0},
    {"States.ALL", "States.DataLimitExceeded", 0},
    {"States.TaskFailed", "Lambda.Unknown", 1},
    {"States.TaskFailed", "States.TaskFailed", 1},
    {"States.TaskFailed", "States.Permissions", 1},
    {"States.TaskFailed", "States.NoChoiceMatched", 1},
    {"States.TaskFailed", "States.Timeout", 0},
    {"States.TaskFailed", "States.HeartbeatTimeout", 0},
    {"States.TaskFailed", "States.Runtime", 0},
    {"States.TaskFailed", "States.DataLimitExceeded", 0},
    {"States.Timeout", "States.Timeout", 1},
    {"States.Timeout", "States.HeartbeatTimeout", 1},
    {"States.HeartbeatTimeout", "States.Timeout", 0},
    {"States.HeartbeatTimeout", "States.HeartbeatTimeout", 1},
    {"States.Runtime", "States.Runtime", 1},
    {"States.DataLimitExceeded", "States.DataLimitExceeded", 1},
    {"States.BranchFailed", "States.TaskFailed", 0},
    {"States.Permissions", "E", 0},
};

static void test_matches(void) {
  for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++)
    T_OK(asl_error_matches(matches[i].pattern, matches[i].name) ==
             matches[i].want,
         "%s vs %s: want %d", matches[i].pattern, matches[i].name,
         matches[i].want);
}

/* ---- retry decisions, one error after another ---- */

#define NO (-1.0) /* not retried */

typedef struct {
  const char *name;
  double rnd, want; /* want: the delay, or NO */
} step;

static const struct {
  const char *retry;
  step steps[8]; /* up to a NULL name */
} seqs[] = {
    /* Defaults: 1 s, rate 2.0, 3 attempts. */
    {"[{\"ErrorEquals\":[\"E\"]}]",
     {{"E", 0, 1}, {"E", 0, 2}, {"E", 0, 4}, {"E", 0, NO}, {NULL, 0, 0}}},
    /* The spec's example: 3 and 4.5 seconds. */
    {"[{\"ErrorEquals\":[\"States.Timeout\"],\"IntervalSeconds\":3,"
     "\"MaxAttempts\":2,\"BackoffRate\":1.5}]",
     {{"States.Timeout", 0, 3},
      {"States.Timeout", 0, 4.5},
      {"States.Timeout", 0, NO},
      {NULL, 0, 0}}},
    /* MaxDelaySeconds caps the growth. */
    {"[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":5,\"MaxDelaySeconds\":5}]",
     {{"E", 0, 1},
      {"E", 0, 2},
      {"E", 0, 4},
      {"E", 0, 5},
      {"E", 0, 5},
      {"E", 0, NO},
      {NULL, 0, 0}}},
    /* BackoffRate 1: a constant interval. */
    {"[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":7,\"BackoffRate\":1}]",
     {{"E", 0, 7}, {"E", 0, 7}, {"E", 0, 7}, {"E", 0, NO}, {NULL, 0, 0}}},
    /* MaxAttempts 0: never retried. */
    {"[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":0}]",
     {{"E", 0, NO}, {"E", 0, NO}, {NULL, 0, 0}}},
    /* The spec's complex scenario: the first match decides, even when used
     * up and a later retrier (here States.ALL) would match. */
    {"[{\"ErrorEquals\":[\"ErrorA\",\"ErrorB\"],\"IntervalSeconds\":1,"
     "\"BackoffRate\":2,\"MaxAttempts\":2},"
     "{\"ErrorEquals\":[\"ErrorC\"],\"IntervalSeconds\":5},"
     "{\"ErrorEquals\":[\"States.ALL\"]}]",
     {{"ErrorA", 0, 1},
      {"ErrorB", 0, 2},
      {"ErrorC", 0, 5},
      {"ErrorB", 0, NO},
      {"ErrorC", 0, 10},
      {"Other", 0, 1},
      {NULL, 0, 0}}},
    /* Retry everything but States.Timeout (the spec's example). */
    {"[{\"ErrorEquals\":[\"States.Timeout\"],\"MaxAttempts\":0},"
     "{\"ErrorEquals\":[\"States.ALL\"]}]",
     {{"States.Timeout", 0, NO},
      {"E", 0, 1},
      {"States.TaskFailed", 0, 2},
      {NULL, 0, 0}}},
    /* States.Runtime is never retried, not even by name;
     * States.DataLimitExceeded only by name. */
    {"[{\"ErrorEquals\":[\"States.Runtime\",\"States.DataLimitExceeded\"]}]",
     {{"States.Runtime", 0, NO},
      {"States.DataLimitExceeded", 0, 1},
      {NULL, 0, 0}}},
    {"[{\"ErrorEquals\":[\"States.ALL\"]}]",
     {{"States.Runtime", 0, NO},
      {"States.DataLimitExceeded", 0, NO},
      {"States.HeartbeatTimeout", 0, 1},
      {NULL, 0, 0}}},
    /* States.TaskFailed: not the timeouts. */
    {"[{\"ErrorEquals\":[\"States.TaskFailed\"]}]",
     {{"States.Timeout", 0, NO},
      {"Lambda.Unknown", 0, 1},
      {"States.Permissions", 0, 2},
      {NULL, 0, 0}}},
    /* Without MaxDelaySeconds a delay still stops at a year and a second. */
    {"[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":1000000,"
     "\"BackoffRate\":100}]",
     {{"E", 0, 1e6}, {"E", 0, 31622401}, {"E", 0, 31622401}, {NULL, 0, 0}}},
    /* FULL jitter: rnd01 times the capped backoff. */
    {"[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":10,"
     "\"JitterStrategy\":\"FULL\"}]",
     {{"E", 0.5, 5},
      {"E", 0.25, 5},
      {"E", 0, 0},
      {"E", 0.9, NO},
      {NULL, 0, 0}}},
    {"[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":10,\"BackoffRate\":10,"
     "\"MaxDelaySeconds\":50,\"JitterStrategy\":\"FULL\"}]",
     {{"E", 0.5, 5}, {"E", 0.5, 25}, {NULL, 0, 0}}},
    /* NONE ignores the random number. */
    {"[{\"ErrorEquals\":[\"E\"],\"JitterStrategy\":\"NONE\"}]",
     {{"E", 0.5, 1}, {"E", 0.99, 2}, {NULL, 0, 0}}},
};

static void test_sequences(void) {
  for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
    char *text = asl_sprintf("{\"Retry\":%s}", seqs[i].retry);
    cJSON *def = parse(text);
    asl_diags d = {0};
    asl_retry *r = asl_retry_compile(def, LOC, JP, &d);
    T_OK(r != NULL, "seq %zu: %s", i, d.n ? d.v[0].message : "?");
    int counts[8] = {0};
    for (const step *s = seqs[i].steps; r && s->name; s++) {
      double delay = -5;
      int got = asl_retry_decide(r, s->name, counts, s->rnd, &delay);
      if (s->want == NO)
        T_OK(got == 0, "seq %zu step %zu (%s): retried after %g", i,
             (size_t)(s - seqs[i].steps), s->name, delay);
      else
        T_OK(got == 1 && fabs(delay - s->want) < 1e-9,
             "seq %zu step %zu (%s): got %d %g, want %g", i,
             (size_t)(s - seqs[i].steps), s->name, got, delay, s->want);
    }
    asl_retry_free(r);
    asl_diags_free(&d);
    cJSON_Delete(def);
    free(text);
  }
}

/* Attempts are per retrier and live in the caller's counts[]. */
static void test_counts(void) {
  cJSON *def = parse("{\"Retry\":[{\"ErrorEquals\":[\"A\"],\"MaxAttempts\":1},"
                     "{\"ErrorEquals\":[\"B\"],\"MaxAttempts\":2}]}");
  asl_diags d = {0};
  asl_retry *r = asl_retry_compile(def, LOC, JP, &d);
  int c1[2] = {0}, c2[2] = {0};
  double delay;
  T_OK(asl_retry_decide(r, "B", c1, 0, &delay) == 1, "B first");
  T_OK(c1[0] == 0 && c1[1] == 1, "counts %d %d", c1[0], c1[1]);
  T_OK(asl_retry_decide(r, "A", c1, 0, &delay) == 1, "A first");
  T_OK(asl_retry_decide(r, "A", c1, 0, &delay) == 0, "A used up");
  T_OK(c1[0] == 1, "an exhausted retrier's count stays: %d", c1[0]);
  T_OK(asl_retry_decide(r, "A", c2, 0, &delay) == 1, "fresh counts: A");
  T_OK(asl_retry_decide(r, "C", c2, 0, &delay) == 0 && delay == 0,
       "no match: delay %g", delay);
  asl_retry_free(r);
  cJSON_Delete(def);
}

/* FULL jitter stays within [0, backoff) for any rnd01, even a bad one. */
static void test_jitter_bounds(void) {
  cJSON *def = parse("{\"Retry\":[{\"ErrorEquals\":[\"E\"],"
                     "\"IntervalSeconds\":8,\"MaxAttempts\":200,"
                     "\"MaxDelaySeconds\":60,\"JitterStrategy\":\"FULL\"}]}");
  asl_diags d = {0};
  asl_retry *r = asl_retry_compile(def, LOC, JP, &d);
  int counts[1] = {0}, inside = 1;
  double base[] = {8, 16, 32, 60, 60};
  for (int k = 0; k < 5; k++)
    for (int j = 0; j < 10; j++) {
      double rnd = j / 10.0, delay = -1;
      counts[0] = k;
      if (!asl_retry_decide(r, "E", counts, rnd, &delay) || delay < 0 ||
          delay >= base[k] || fabs(delay - rnd * base[k]) > 1e-9)
        inside = 0;
    }
  T_OK(inside, "jitter outside [0, backoff)");
  double delay = -1;
  counts[0] = 3;
  T_OK(asl_retry_decide(r, "E", counts, 1.0, &delay) && delay < 60 &&
           delay > 59.99,
       "rnd01 = 1 clamps below the cap: %g", delay);
  counts[0] = 0;
  T_OK(asl_retry_decide(r, "E", counts, -0.5, &delay) && delay == 0,
       "negative rnd01 clamps to 0: %g", delay);
  asl_retry_free(r);
  cJSON_Delete(def);
}

/* ---- catchers ---- */

static const struct {
  const char *name;
  int want;
} catch_rows[] = {
    {"A", 0},
    {"B", 1},
    {"C", 2},
    {"States.Timeout", 2},
    {"States.TaskFailed", 2},
    {"States.Runtime", -1},
    {"States.DataLimitExceeded", -1},
};

static void test_catch_order(void) {
  cJSON *def = parse(
      "{\"Catch\":[{\"ErrorEquals\":[\"A\"],\"Next\":\"X\","
      "\"ResultPath\":\"$.err\",\"Assign\":{\"v.$\":\"$.x\"}},"
      "{\"ErrorEquals\":[\"B\",\"A\"],\"Next\":\"Y\",\"ResultPath\":null},"
      "{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Z\"}]}");
  asl_diags d = {0};
  asl_retry *r = asl_retry_compile(def, LOC, JP, &d);
  T_OK(r && asl_catch_count(r) == 3, "compiled");
  for (size_t i = 0; i < sizeof catch_rows / sizeof catch_rows[0]; i++)
    T_OK(asl_catch_match(r, catch_rows[i].name) == catch_rows[i].want,
         "%s: got %d, want %d", catch_rows[i].name,
         asl_catch_match(r, catch_rows[i].name), catch_rows[i].want);
  T_STREQ(asl_catch_next(r, 0), "X");
  T_STREQ(asl_catch_next(r, 1), "Y");
  T_STREQ(asl_catch_next(r, 2), "Z");
  T_OK(asl_catch_next(r, 3) == NULL && asl_catch_next(r, -1) == NULL,
       "out of range");
  const asl_opt_path *p0 = asl_catch_result_path(r, 0);
  const asl_opt_path *p1 = asl_catch_result_path(r, 1);
  const asl_opt_path *p2 = asl_catch_result_path(r, 2);
  T_OK(p0 && p0->present && !p0->is_null && p0->path, "ResultPath $.err");
  T_STREQ(p0 && p0->path ? asl_path_text(p0->path) : NULL, "$.err");
  T_OK(p1 && p1->present && p1->is_null, "ResultPath null");
  T_OK(p2 && !p2->present, "ResultPath absent (the default $)");
  T_OK(asl_catch_assign(r, 0) != NULL, "Assign compiled");
  T_OK(asl_catch_assign(r, 1) == NULL, "no Assign");
  T_OK(asl_catch_def(r, 1) ==
           cJSON_GetArrayItem(cJSON_GetObjectItem(def, "Catch"), 1),
       "the catcher object");
  asl_retry_free(r);
  cJSON_Delete(def);
}

/* Explicit names for what the wildcards leave out. */
static void test_catch_explicit(void) {
  cJSON *def = parse(
      "{\"Catch\":[{\"ErrorEquals\":[\"States.TaskFailed\"],\"Next\":\"X\"},"
      "{\"ErrorEquals\":[\"States.Runtime\"],\"Next\":\"Y\"},"
      "{\"ErrorEquals\":[\"States.DataLimitExceeded\"],\"Next\":\"Z\"},"
      "{\"ErrorEquals\":[\"States.Timeout\"],\"Next\":\"W\"}]}");
  asl_diags d = {0};
  asl_retry *r = asl_retry_compile(def, LOC, JA, &d);
  T_OK(asl_catch_match(r, "Lambda.Unknown") == 0, "TaskFailed");
  T_OK(asl_catch_match(r, "States.Runtime") == -1, "Runtime never caught");
  T_OK(asl_catch_match(r, "States.DataLimitExceeded") == 2, "by name");
  T_OK(asl_catch_match(r, "States.HeartbeatTimeout") == 3,
       "States.Timeout catches a heartbeat timeout");
  T_OK(asl_catch_result_path(r, 0) && !asl_catch_result_path(r, 0)->present,
       "no ResultPath in JSONata");
  asl_retry_free(r);
  cJSON_Delete(def);
  /* An empty policy answers no to everything. */
  def = parse("{}");
  r = asl_retry_compile(def, LOC, JP, &d);
  double delay;
  T_OK(asl_retry_decide(r, "E", NULL, 0, &delay) == 0, "no retriers");
  T_OK(asl_catch_match(r, "E") == -1, "no catchers");
  asl_retry_free(r);
  cJSON_Delete(def);
  asl_diags_free(&d);
}

T_MAIN("retry") {
  test_bad();
  test_many_problems();
  test_good();
  test_matches();
  test_sequences();
  test_counts();
  test_jitter_bounds();
  test_catch_order();
  test_catch_explicit();
}
