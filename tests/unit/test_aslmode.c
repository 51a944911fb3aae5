/* test_aslmode.c: JSONata states end to end through the public API (load,
 * run): expressions compiled at load with their syntax errors located,
 * templates, Assign against old values, Choice conditions, variables read
 * from Map iterations, Catch with $states.errorOutput, and AWS's
 * States.QueryEvaluationError causes. */
#include "t.h"

#include "../../engine/asl.h"

/* Runs def on input; returns the result (caller frees) or aborts the test
 * when the definition does not load. */
static int run(const char *def, const char *input, asl_result *r) {
  asl_diags d = {0};
  asl_machine *m = asl_machine_load(def, strlen(def), NULL, &d);
  T_OK(m != NULL, "load failed: %s", d.n ? d.v[0].message : "(no diagnostic)");
  asl_diags_free(&d);
  memset(r, 0, sizeof *r);
  if (!m) return -1;
  asl_run_opts o = {0};
  o.virtual_clock = 1;
  char *msg = NULL;
  int rc = asl_run(m, input, &o, r, &msg);
  T_OK(rc == 0, "run failed: %s", msg ? msg : "");
  free(msg);
  asl_machine_free(m);
  return rc;
}

T_MAIN("aslmode") {
  { /* a syntax error is a validation error at its JSON Pointer */
    const char *def =
        "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"P\",\"States\":{\"P\":"
        "{\"Type\":\"Pass\",\"Output\":{\"a\":[1,\"{% 1 + %}\"]},"
        "\"End\":true}}}";
    asl_diags d = {0};
    asl_machine *m = asl_machine_load(def, strlen(def), NULL, &d);
    T_OK(m == NULL, "a bad expression loaded");
    T_OK(d.n == 1, "%zu diagnostics", d.n);
    if (d.n) {
      T_STREQ(d.v[0].location, "/States/P/Output/a/1");
      T_OK(strstr(d.v[0].message, "S0207") != NULL, "message: %s",
           d.v[0].message);
    }
    asl_machine_free(m);
    asl_diags_free(&d);
  }
  asl_result r;
  /* templates, Assign against the old values, variables in Output later */
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{"
          "\"A\":{\"Type\":\"Pass\",\"Assign\":{\"x\":1,\"y\":\"{% "
          "$states.input.n %}\"},\"Next\":\"B\"},"
          "\"B\":{\"Type\":\"Pass\",\"Assign\":{\"x\":\"{% $y %}\",\"y\":\"{% "
          "$x %}\"},\"Next\":\"C\"},"
          "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Condition\":\"{% $x > 5 "
          "%}\",\"Next\":\"D\",\"Output\":{\"big\":\"{% [$x, $y] %}\"}}],"
          "\"Default\":\"D\"},"
          "\"D\":{\"Type\":\"Succeed\"}}}",
          "{\"n\": 7}", &r) == 0) {
    T_STREQ(r.status, "SUCCEEDED");
    T_JSONEQ(r.output, "{\"big\":[7,1]}");
  }
  asl_result_free(&r);
  /* Map: Items, ItemSelector with the item, outer variables; Output of the
   * Map with $states.result */
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{"
          "\"A\":{\"Type\":\"Pass\",\"Assign\":{\"k\":10},\"Next\":\"M\"},"
          "\"M\":{\"Type\":\"Map\",\"Items\":\"{% $states.input.v %}\","
          "\"ItemSelector\":{\"i\":\"{% $states.context.Map.Item.Value %}\"},"
          "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":"
          "\"Pass\",\"Output\":\"{% $states.input.i * $k %}\",\"End\":true}}},"
          "\"Output\":{\"sum\":\"{% $sum($states.result) %}\"},\"End\":true}}}",
          "{\"v\": [1, 2, 3]}", &r) == 0) {
    T_STREQ(r.status, "SUCCEEDED");
    T_JSONEQ(r.output, "{\"sum\":60}");
  }
  asl_result_free(&r);
  /* Fail with expressions, undefined where a value is needed */
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"F\",\"States\":{"
          "\"F\":{\"Type\":\"Fail\",\"Error\":\"{% 'E' & $states.input.n "
          "%}\",\"Cause\":\"plain\"}}}",
          "{\"n\": 3}", &r) == 0) {
    T_STREQ(r.status, "FAILED");
    T_STREQ(r.error, "E3");
    T_STREQ(r.cause, "plain");
  }
  asl_result_free(&r);
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"P\",\"States\":{"
          "\"P\":{\"Type\":\"Pass\",\"Output\":{\"r\":\"{%  $nope  %}\"},"
          "\"End\":true}}}",
          NULL, &r) == 0) {
    T_STREQ(r.error, "States.QueryEvaluationError");
    T_STREQ(r.cause,
            "An error occurred while executing the state 'P' (entered at the "
            "event id #2). The JSONata expression '$nope' specified for the "
            "field 'Output/r' returned nothing (undefined).");
  }
  asl_result_free(&r);
  /* Parallel with Arguments, a failing branch caught with errorOutput */
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"Par\",\"States\":{"
          "\"Par\":{\"Type\":\"Parallel\",\"Arguments\":{\"n\":\"{% "
          "$states.input.n + 1 %}\"},\"Branches\":[{\"StartAt\":\"F\","
          "\"States\":{\"F\":{\"Type\":\"Fail\",\"Error\":\"Boom\","
          "\"Cause\":\"{% $string($states.input.n) %}\"}}}],"
          "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"S\","
          "\"Output\":{\"e\":\"{% $states.errorOutput.Error %}\",\"c\":\"{% "
          "$states.errorOutput.Cause %}\"}}],\"End\":true},"
          "\"S\":{\"Type\":\"Succeed\"}}}",
          "{\"n\": 1}", &r) == 0) {
    T_STREQ(r.status, "SUCCEEDED");
    T_JSONEQ(r.output, "{\"e\":\"Boom\",\"c\":\"2\"}");
  }
  asl_result_free(&r);
  /* Task TimeoutSeconds as an expression: an activity nobody works times
   * out (virtual clock), caught; a non-integer fails the state */
  const char *tdef =
      "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"T\",\"States\":{"
      "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:us-east-1:"
      "123456789012:activity:work\",\"TimeoutSeconds\":\"{% "
      "$states.input.t %}\",\"Catch\":[{\"ErrorEquals\":[\"States.Timeout\"],"
      "\"Next\":\"S\",\"Output\":{\"e\":\"{% $states.errorOutput.Error "
      "%}\"}}],\"End\":true},\"S\":{\"Type\":\"Succeed\"}}}";
  if (run(tdef, "{\"t\": 2}", &r) == 0) {
    T_STREQ(r.status, "SUCCEEDED");
    T_JSONEQ(r.output, "{\"e\":\"States.Timeout\"}");
  }
  asl_result_free(&r);
  if (run(tdef, "{\"t\": \"x\"}", &r) == 0) {
    T_STREQ(r.error, "States.QueryEvaluationError");
    T_OK(r.cause && strstr(r.cause, "Expected 'integer', but was 'string'"),
         "cause: %s", r.cause ? r.cause : "(null)");
  }
  asl_result_free(&r);
  /* $states.context is left out of the bindings only of states whose
   * expressions cannot read it: every way of reading it gets it (a name in
   * backquotes, $keys, a wildcard, $lookup with a computed key, a field next
   * to one that does not read it), and the plain ones still work */
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{"
          "\"A\":{\"Type\":\"Pass\",\"Output\":{"
          "\"k\":\"{% $keys($states) %}\","
          "\"bt\":\"{% $states.`context`.State.Name %}\","
          "\"star\":\"{% $count($states.*) %}\","
          "\"lk\":\"{% $lookup($states, 'con' & 'text').State.Name %}\","
          "\"sp\":\"{% $states . context.State.Name %}\","
          "\"in\":\"{% $states.input.a %}\"},\"Next\":\"B\"},"
          "\"B\":{\"Type\":\"Pass\",\"Output\":{"
          "\"plain\":\"{% $states.input.in %}\","
          "\"mixed\":\"{% $lookup($states, 'con' & 'text').State.Name %}\"},"
          "\"Next\":\"C\"},"
          "\"C\":{\"Type\":\"Pass\",\"Output\":{"
          "\"p\":\"{% $states.input.plain %}\","
          "\"m\":\"{% $states.input.mixed %}\","
          "\"k\":\"{% $exists($states.input.k) %}\"},\"End\":true}}}",
          "{\"a\": 5}", &r) == 0) {
    T_STREQ(r.status, "SUCCEEDED");
    T_JSONEQ(r.output, "{\"p\":5,\"m\":\"B\",\"k\":false}");
  }
  asl_result_free(&r);
  if (run("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{"
          "\"A\":{\"Type\":\"Pass\",\"Output\":{"
          "\"k\":\"{% $keys($states) %}\","
          "\"bt\":\"{% $states.`context`.State.Name %}\","
          "\"star\":\"{% $count($states.*) %}\","
          "\"lk\":\"{% $lookup($states, 'con' & 'text').State.Name %}\","
          "\"sp\":\"{% $states . context.State.Name %}\","
          "\"in\":\"{% $states.input.a %}\"},\"End\":true}}}",
          "{\"a\": 5}", &r) == 0) {
    T_STREQ(r.status, "SUCCEEDED");
    T_JSONEQ(r.output, "{\"k\":[\"input\",\"context\"],\"bt\":\"A\","
                       "\"star\":2,\"lk\":\"A\",\"sp\":\"A\",\"in\":5}");
  }
  asl_result_free(&r);
}
