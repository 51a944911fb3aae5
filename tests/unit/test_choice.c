/* test_choice.c: Choice rules (states/choice_rule.c).
 *
 * 1. Every row of tests/unit/choice_cases.json (extracted from the real-AWS
 *    recordings by gen_choice_cases.py; read at run time, path relative to
 *    the repository root) must compile cleanly and evaluate to the recorded
 *    outcome.
 * 2. Hand-written rows: corners the recordings do not reach (StringMatches
 *    escapes, timestamps with offsets and fractions, Java string order,
 *    nested And/Or/Not, variables, missing paths).
 * 3. Validation: each bad rule must give exactly AWS's diagnostics.
 * 4. asl_choice_parse_timestamp on exact instants. */
#include <math.h>

#include "../../engine/json.h"
#include "../../states/choice_rule.h"
#include "t.h"

#define CASES_FILE "tests/unit/choice_cases.json"
#define LOC "/States/C/Choices/0"
#define ERR (-1)

/* ---- scope over parsed JSON ---- */

static const cJSON *vars_lookup(void *ud, const char *name) {
  return asl_json_get((const cJSON *)ud, name);
}

static asl_scope make_scope(const cJSON *input, const cJSON *context,
                            const cJSON *vars) {
  asl_scope s = {0};
  s.input = input;
  s.context = context;
  s.var = vars_lookup;
  s.var_ud = (void *)vars;
  return s;
}

/* Compiles rule and evaluates it: returns 1, 0, or ERR with *err set.
 * Compile problems are a test failure (named by what). */
static int run_rule(const cJSON *rule, int top, const asl_scope *s,
                    asl_error *err, const char *what) {
  asl_diags d = {0};
  asl_choice_rule *r = asl_choice_rule_compile(rule, LOC, top, &d);
  T_OK(r && d.n == 0, "%s: compile failed: %s", what,
       d.n ? d.v[0].message : "NULL rule without diagnostics");
  asl_diags_free(&d);
  if (!r) return -2;
  int m = -3;
  int rc = asl_choice_rule_eval(r, s, &m, err);
  asl_choice_rule_free(r);
  return rc == 0 ? m : ERR;
}

/* ---- 1. rows from the recordings ---- */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  asl_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, n);
  fclose(f);
  *len = b.len;
  return asl_buf_take(&b);
}

/* Checks one row; expect is true/false or {"error", "cause"}. */
static void check_recorded_row(const cJSON *row, int i) {
  const cJSON *rule = asl_json_get(row, "rule");
  const cJSON *expect = asl_json_get(row, "expect");
  const cJSON *id = asl_json_get(row, "case");
  char what[64];
  snprintf(what, sizeof what, "row %d", i);
  asl_scope s =
      make_scope(asl_json_get(row, "input"), asl_json_get(row, "context"),
                 asl_json_get(row, "vars"));
  asl_error err = {0};
  int got = run_rule(rule, 1, &s, &err, what);
  char *rs = asl_json_print(rule);
  if (cJSON_IsBool(expect)) {
    T_OK(got == cJSON_IsTrue(expect), "%s (%s): %s gave %d, AWS %s", what,
         cJSON_IsString(id) ? id->valuestring : "?", rs, got,
         cJSON_IsTrue(expect) ? "true" : "false");
  } else {
    const cJSON *e = asl_json_get(expect, "error");
    const cJSON *c = asl_json_get(expect, "cause");
    T_OK(got == ERR, "%s: %s should fail, gave %d", what, rs, got);
    if (cJSON_IsString(e)) T_STREQ(err.name, e->valuestring);
    if (cJSON_IsString(c)) T_STREQ(err.cause, c->valuestring);
  }
  free(rs);
  asl_error_clear(&err);
}

static void test_recorded(void) {
  size_t len = 0;
  char *text = read_file(CASES_FILE, &len);
  T_OK(text != NULL, "cannot read %s (run from the repo root)", CASES_FILE);
  if (!text) return;
  char *msg = NULL;
  cJSON *doc = asl_json_parse(text, len, &msg);
  T_OK(doc != NULL, "%s: %s", CASES_FILE, msg ? msg : "?");
  free(msg);
  free(text);
  const cJSON *src = asl_json_get(doc, "_source");
  T_OK(cJSON_IsString(src) && strstr(src->valuestring, "LocalStack"),
       "%s keeps its attribution", CASES_FILE);
  const cJSON *rows = asl_json_get(doc, "rows"), *row;
  int i = 0;
  cJSON_ArrayForEach(row, rows) check_recorded_row(row, i++);
  T_OK(i >= 300, "only %d recorded rows", i);
  cJSON_Delete(doc);
}

/* ---- 2. hand-written rows ---- */

typedef struct eval_row {
  const char *rule;  /* a nested rule (no Next) */
  const char *input; /* "$" */
  int expect;        /* 1, 0 or ERR */
  const char *cause; /* with ERR: AWS's States.Runtime cause */
} eval_row;

#define MISSING(p)                                                             \
  "Invalid path '" p "': The choice state's condition path references an "     \
  "invalid value."

#define MATCH(rule, input)                                                     \
  { rule, input, 1, NULL }
#define NOMATCH(rule, input)                                                   \
  { rule, input, 0, NULL }
#define FAILS(rule, input, path)                                               \
  { rule, input, ERR, MISSING(path) }

static const eval_row eval_rows[] = {
    /* StringMatches: "*" is any run, "\*" a star, "\\" a backslash. */
    MATCH("{'Variable':'$.s','StringMatches':'log-*.txt'}",
          "{'s':'log-7.txt'}"),
    MATCH("{'Variable':'$.s','StringMatches':'log-*.txt'}", "{'s':'log-.txt'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'log-*.txt'}",
            "{'s':'log.txt'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'log-*.txt'}",
            "{'s':'xlog-1.txt'}"),
    MATCH("{'Variable':'$.s','StringMatches':'*'}", "{'s':''}"),
    MATCH("{'Variable':'$.s','StringMatches':''}", "{'s':''}"),
    NOMATCH("{'Variable':'$.s','StringMatches':''}", "{'s':'a'}"),
    MATCH("{'Variable':'$.s','StringMatches':'*ab'}", "{'s':'aab'}"),
    MATCH("{'Variable':'$.s','StringMatches':'a*a*a'}", "{'s':'aaaa'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'a*a*a'}", "{'s':'aa'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'a*b*c'}", "{'s':'abcb'}"),
    MATCH("{'Variable':'$.s','StringMatches':'a\\\\*b'}", "{'s':'a*b'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'a\\\\*b'}", "{'s':'aXb'}"),
    MATCH("{'Variable':'$.s','StringMatches':'a\\\\\\\\b'}", "{'s':'a\\\\b'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'a\\\\\\\\b'}", "{'s':'ab'}"),
    MATCH("{'Variable':'$.s','StringMatches':'\\\\\\\\*'}", "{'s':'\\\\x'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'\\\\\\\\*'}", "{'s':'x'}"),
    MATCH("{'Variable':'$.s','StringMatches':'\\u00e9t*'}",
          "{'s':'\\u00e9t\\u00e9'}"),
    NOMATCH("{'Variable':'$.s','StringMatches':'*'}", "{'s':1}"),
    /* Java String.compareTo: UTF-16 units, so U+1F600 < U+FFFF. */
    MATCH("{'Variable':'$.s','StringLessThan':'\\uffff'}",
          "{'s':'\\ud83d\\ude00'}"),
    MATCH("{'Variable':'$.s','StringLessThan':'\\ue000'}",
          "{'s':'\\ud83d\\ude00'}"),
    MATCH("{'Variable':'$.s','StringGreaterThan':'\\ud83d\\ude00'}",
          "{'s':'\\ud83d\\ude01'}"),
    MATCH("{'Variable':'$.s','StringLessThan':'a'}", "{'s':'A'}"),
    MATCH("{'Variable':'$.s','StringLessThan':'a'}", "{'s':''}"),
    MATCH("{'Variable':'$.s','StringGreaterThanEquals':'abc'}", "{'s':'abd'}"),
    MATCH("{'Variable':'$.s','StringLessThanEquals':'abc'}", "{'s':'abc'}"),
    NOMATCH("{'Variable':'$.s','StringEquals':'1'}", "{'s':1}"),
    /* Numbers by value, of JSON numbers only. */
    MATCH("{'Variable':'$.n','NumericEquals':1000}", "{'n':1e3}"),
    MATCH("{'Variable':'$.n','NumericEquals':0}", "{'n':-0.0}"),
    MATCH("{'Variable':'$.n','NumericGreaterThan':1}", "{'n':1.5}"),
    MATCH("{'Variable':'$.n','NumericLessThan':-1}", "{'n':-1.5}"),
    NOMATCH("{'Variable':'$.n','NumericEquals':1}", "{'n':'1'}"),
    NOMATCH("{'Variable':'$.n','NumericEqualsPath':'$.m'}", "{'n':1,'m':'1'}"),
    MATCH("{'Variable':'$.n','NumericLessThanPath':'$.m'}", "{'n':1,'m':2}"),
    MATCH("{'Variable':'$.b','BooleanEquals':false}", "{'b':false}"),
    NOMATCH("{'Variable':'$.b','BooleanEqualsPath':'$.c'}", "{'b':true,'c':1}"),
    /* Timestamps compare as instants: offsets and fractions count. */
    MATCH("{'Variable':'$.t','TimestampEquals':'2012-10-09T19:00:55Z'}",
          "{'t':'2012-10-09T20:00:55+01:00'}"),
    MATCH("{'Variable':'$.t','TimestampEquals':'2012-10-09T23:00:00Z'}",
          "{'t':'2012-10-10T01:00:00+02:00'}"),
    MATCH("{'Variable':'$.t','TimestampEquals':'2012-10-09T23:30:00Z'}",
          "{'t':'2012-10-09T18:00:00-05:30'}"),
    MATCH("{'Variable':'$.t','TimestampEquals':'2012-10-09T19:00:55Z'}",
          "{'t':'2012-10-09T19:00:55.000Z'}"),
    MATCH("{'Variable':'$.t','TimestampGreaterThan':'2012-10-09T19:00:55Z'}",
          "{'t':'2012-10-09T19:00:55.5Z'}"),
    MATCH("{'Variable':'$.t','TimestampGreaterThan':'2012-10-09T19:00:55Z'}",
          "{'t':'2012-10-09T19:00:55.000000001Z'}"),
    MATCH("{'Variable':'$.t','TimestampLessThan':'2012-10-09T19:00:55.25Z'}",
          "{'t':'2012-10-09T19:00:55.125Z'}"),
    NOMATCH("{'Variable':'$.t','TimestampGreaterThanEquals':'2012-10-09T19:00:"
            "55Z'}",
            "{'t':'2012-10-09T20:00:54+01:00'}"),
    MATCH("{'Variable':'$.t','TimestampLessThanEquals':'2012-10-09T19:00:55Z'}",
          "{'t':'2012-10-09T20:00:55+01:00'}"),
    NOMATCH("{'Variable':'$.t','TimestampEqualsPath':'$.u'}",
            "{'t':'2012-10-09T19:00:55Z','u':'2012-10-09T19:00:55'}"),
    /* Strings that are not timestamps match no Timestamp operator. */
    NOMATCH("{'Variable':'$.t','TimestampEquals':'2012-10-09T19:00:55Z'}",
            "{'t':'2012-10-09T19:00:55'}"),
    NOMATCH("{'Variable':'$.t','TimestampLessThan':'2012-10-09T19:00:55Z'}",
            "{'t':'2012-10-09T19:00:54.0000000001Z'}"),
    MATCH("{'Variable':'$.t','IsTimestamp':true}",
          "{'t':'2012-10-09T19:00:55Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2012-10-09t19:00:55z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2012-10-09 19:00:55Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2012-10-09T19:00:55'}"),
    MATCH("{'Variable':'$.t','IsTimestamp':true}",
          "{'t':'2012-02-29T00:00:00Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2013-02-29T00:00:00Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'1900-02-29T00:00:00Z'}"),
    MATCH("{'Variable':'$.t','IsTimestamp':true}",
          "{'t':'2000-02-29T00:00:00Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2012-04-31T00:00:00Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-12-05T25:29:29Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-12-05T23:59:60Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-13-05T21:29:29Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'05-12-2016T21:29:29Z'}"),
    MATCH("{'Variable':'$.t','IsTimestamp':true}",
          "{'t':'2016-12-05T21:29:29+18:00'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-12-05T21:29:29+18:01'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-12-05T21:29:29+0100'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-12-05T21:29:29.Z'}"),
    NOMATCH("{'Variable':'$.t','IsTimestamp':true}",
            "{'t':'2016-12-05T21:29:29Z '}"),
    MATCH("{'Variable':'$.t','IsTimestamp':false}", "{'t':1}"),
    /* The Is* tests. */
    NOMATCH("{'Variable':'$.v','IsNumeric':true}", "{'v':'1'}"),
    MATCH("{'Variable':'$.v','IsNumeric':true}", "{'v':-2.5}"),
    MATCH("{'Variable':'$.v','IsString':true}", "{'v':''}"),
    MATCH("{'Variable':'$.v','IsBoolean':false}", "{'v':'true'}"),
    MATCH("{'Variable':'$.v','IsNull':true}", "{'v':null}"),
    MATCH("{'Variable':'$.v','IsPresent':true}", "{'v':null}"),
    NOMATCH("{'Variable':'$.v','IsPresent':true}", "{}"),
    MATCH("{'Variable':'$.v','IsPresent':false}", "{}"),
    MATCH("{'Variable':'$.a.b[1]','IsPresent':false}", "{'a':{'b':[0]}}"),
    MATCH("{'Variable':'$','IsString':true}", "'text'"),
    /* A missing Variable fails, except under IsPresent. */
    FAILS("{'Variable':'$.v','IsNull':true}", "{}", "$.v"),
    FAILS("{'Variable':'$.v','StringEquals':'a'}", "{}", "$.v"),
    FAILS("{'Variable':'$.a.b','NumericEquals':1}", "{'a':1}", "$.a.b"),
    FAILS("{'Variable':'$.v','StringEqualsPath':'$.w'}", "{'v':'a'}", "$.w"),
    MATCH("{'Variable':'$.v','StringEqualsPath':'$.w'}", "{'v':'a','w':'a'}"),
    /* And / Or / Not, nested, left to right with short circuit. */
    NOMATCH("{'And':[{'Variable':'$.a','IsPresent':true},"
            "{'Variable':'$.b','IsPresent':true}]}",
            "{'a':1}"),
    MATCH("{'Or':[{'Variable':'$.a','IsPresent':true},"
          "{'Variable':'$.b','IsPresent':true}]}",
          "{'b':1}"),
    MATCH("{'Not':{'Variable':'$.a','IsPresent':true}}", "{}"),
    MATCH("{'Not':{'Not':{'Variable':'$.a','NumericEquals':1}}}", "{'a':1}"),
    MATCH("{'And':[{'Or':[{'Variable':'$.a','NumericEquals':1},"
          "{'Variable':'$.a','NumericEquals':2}]},"
          "{'Not':{'Variable':'$.s','StringEquals':'x'}}]}",
          "{'a':2,'s':'y'}"),
    NOMATCH("{'And':[{'Or':[{'Variable':'$.a','NumericEquals':1},"
            "{'Variable':'$.a','NumericEquals':2}]},"
            "{'Not':{'Variable':'$.s','StringEquals':'x'}}]}",
            "{'a':2,'s':'x'}"),
    NOMATCH("{'And':[{'Variable':'$.a','IsNull':true},"
            "{'Variable':'$.zz','IsNull':true}]}",
            "{'a':1}"),
    MATCH("{'Or':[{'Variable':'$.a','IsNull':false},"
          "{'Variable':'$.zz','IsNull':true}]}",
          "{'a':1}"),
    FAILS("{'And':[{'Variable':'$.a','IsNull':false},"
          "{'Variable':'$.zz','IsNull':true}]}",
          "{'a':1}", "$.zz"),
    FAILS("{'Not':{'Variable':'$.zz','IsNull':true}}", "{}", "$.zz"),
};

/* Rows are written with ' for " to stay readable; \' is never needed. */
static cJSON *parse_quoted(const char *s) {
  char *t = asl_strdup(s);
  for (char *p = t; *p; p++)
    if (*p == '\'') *p = '"';
  cJSON *v = cJSON_Parse(t);
  free(t);
  return v;
}

static void check_eval_row(const eval_row *r, size_t i) {
  cJSON *rule = parse_quoted(r->rule), *input = parse_quoted(r->input);
  T_OK(rule && input, "hand row %zu does not parse", i);
  if (rule && input) {
    asl_scope s = make_scope(input, NULL, NULL);
    asl_error err = {0};
    char what[64];
    snprintf(what, sizeof what, "hand row %zu", i);
    int got = run_rule(rule, 0, &s, &err, what);
    T_OK(got == r->expect, "hand row %zu: %s on %s gave %d, want %d", i,
         r->rule, r->input, got, r->expect);
    if (r->expect == ERR && got == ERR) {
      T_STREQ(err.name, "States.Runtime");
      T_STREQ(err.cause, r->cause);
    }
    asl_error_clear(&err);
  }
  cJSON_Delete(rule);
  cJSON_Delete(input);
}

/* Variables ($name) and the context object ($$) as roots. */
static void test_roots(void) {
  cJSON *vars = parse_quoted("{'x':'a','n':3}");
  cJSON *ctx = parse_quoted("{'Execution':{'Input':{'k':5}}}");
  cJSON *input = parse_quoted("{'y':'a'}");
  asl_scope s = make_scope(input, ctx, vars);
  static const struct {
    const char *rule;
    int expect;
  } rows[] = {
      {"{'Variable':'$x','StringEquals':'a'}", 1},
      {"{'Variable':'$x','StringEqualsPath':'$.y'}", 1},
      {"{'Variable':'$.y','StringEqualsPath':'$x'}", 1},
      {"{'Variable':'$n','NumericGreaterThanPath':'$$.Execution.Input.k'}", 0},
      {"{'Variable':'$$.Execution.Input.k','NumericEquals':5}", 1},
      {"{'Variable':'$undefined','IsPresent':false}", 1},
      {"{'Variable':'$undefined','IsString':false}", ERR},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    cJSON *rule = parse_quoted(rows[i].rule);
    asl_error err = {0};
    int got = run_rule(rule, 0, &s, &err, rows[i].rule);
    T_OK(got == rows[i].expect, "%s gave %d", rows[i].rule, got);
    if (got == ERR) T_STREQ(err.cause, MISSING("$undefined"));
    asl_error_clear(&err);
    cJSON_Delete(rule);
  }
  cJSON_Delete(vars);
  cJSON_Delete(ctx);
  cJSON_Delete(input);
}

/* ---- 3. validation ---- */

typedef struct diag_want {
  const char *loc; /* JSON Pointer */
  const char *msg; /* exact, or a prefix when it ends in "..." */
} diag_want;

typedef struct bad_row {
  const char *rule;
  int top;
  diag_want want[3]; /* in order; ends at a NULL loc */
} bad_row;

#define ONE_OF "There should only be one of the following fields: [Str..."
#define SELECTOR                                                               \
  "The object must have only one of the following fields, [And, Or, Not, "     \
  "Variable, Condition]"
#define AT LOC

static const bad_row bad_rows[] = {
    {"{'Variable':'$.x','StringEquals':'a'}",
     1,
     {{AT, "These fields are required: [Next]"}}},
    {"{'Variable':'$.x','StringEquals':'a','Next':'A','Foo':1}",
     1,
     {{AT, "Field 'Foo' is not supported"}}},
    {"{'And':[{'Variable':'$.x','IsPresent':true,'Next':'A'}],'Next':'B'}",
     1,
     {{AT "/And/0", "Field 'Next' is not supported"}}},
    {"{'Not':{'Variable':'$.a','IsNull':true,'Comment':'c'},'Next':'A'}",
     1,
     {{AT "/Not", "Field 'Comment' is not supported"}}},
    {"{'Variable':'$.x','Next':'A'}", 1, {{AT, ONE_OF}}},
    {"{'Variable':'$.x','StringEquals':'a','IsPresent':true,'Next':'A'}",
     1,
     {{AT, ONE_OF}}},
    {"{'Variable':'$.x','NumericEquals':'1','Next':'A'}",
     1,
     {{AT "/NumericEquals", "Expected value of type Number"}}},
    {"{'Variable':'$.x','StringEquals':1,'Next':'A'}",
     1,
     {{AT "/StringEquals", "Expected value of type String"}}},
    {"{'Variable':'$.x','StringMatches':null,'Next':'A'}",
     1,
     {{AT "/StringMatches", "Expected value of type String"}}},
    {"{'Variable':'$.x','BooleanEquals':'true','Next':'A'}",
     1,
     {{AT "/BooleanEquals", "Expected value of type Boolean"}}},
    {"{'Variable':'$.x','IsPresent':'yes','Next':'A'}",
     1,
     {{AT "/IsPresent", "Expected value of type Boolean"}}},
    {"{'Variable':'$.x','TimestampEquals':'2016-12-05T21:29:29','Next':'A'}",
     1,
     {{AT "/TimestampEquals", "String does not match RFC3339 timestamp"}}},
    {"{'Variable':'$.x','TimestampLessThan':5,'Next':'A'}",
     1,
     {{AT "/TimestampLessThan", "Expected value of type String"}}},
    {"{'StringEquals':'a','Next':'A'}", 1, {{AT, SELECTOR}}},
    {"{'Next':'A'}", 1, {{AT, SELECTOR}}},
    {"{}", 0, {{AT, SELECTOR}}},
    {"{'Variable':'$.x','And':[{'Variable':'$.y','IsNull':true}],'Next':'A'}",
     1,
     {{AT, SELECTOR}}},
    {"{'Variable':'x.y','StringEquals':'a','Next':'A'}",
     1,
     {{AT, "The value for the field 'Variable' must be a valid JSONPath"}}},
    {"{'Variable':5,'StringEquals':'a','Next':'A'}",
     1,
     {{AT "/Variable", "Expected value of type String"}}},
    {"{'Variable':'$.x','StringEqualsPath':'foo','Next':'A'}",
     1,
     {{AT, "The value for the field 'StringEqualsPath' must be a valid "
           "JSONPath"}}},
    {"{'And':[],'Next':'A'}", 1, {{AT "/And", "Value cannot be empty"}}},
    {"{'Or':[],'Next':'A'}", 1, {{AT "/Or", "Value cannot be empty"}}},
    {"{'And':{},'Next':'A'}", 1, {{AT "/And", "Expected value of type Array"}}},
    {"{'Not':[],'Next':'A'}",
     1,
     {{AT "/Not", "Expected value of type Object"}}},
    {"{'Or':[5],'Next':'A'}",
     1,
     {{AT "/Or/0", "Expected value of type Object"}}},
    {"{'Or':[{'Not':{'Variable':'$.a','NumericEquals':'x'}}],'Next':'A'}",
     1,
     {{AT "/Or/0/Not/NumericEquals", "Expected value of type Number"}}},
    {"{'And':[{'Variable':'$.a','IsNull':true}],'StringEquals':'x',"
     "'Next':'A'}",
     1,
     {{AT, "Field 'StringEquals' is not supported"}}},
    {"{'And':[{'Variable':'$.a','NumericEquals':'1'},{'Variable':'$.b'}],"
     "'Next':'A'}",
     1,
     {{AT "/And/0/NumericEquals", "Expected value of type Number"},
      {AT "/And/1", ONE_OF}}},
    {"{'Variable':'$.x','StringEquals':'a','Condition':'{% true %}',"
     "'Next':'A'}",
     1,
     {{AT, "Field 'Condition' is not supported"}}},
    {"{'Variable':'$.x','StringEquals':'a','Assign':{'v':1},'Next':'A'}",
     0,
     {{AT, "Field 'Assign' is not supported"},
      {AT, "Field 'Next' is not supported"}}},
    {"5", 1, {{AT, "Expected value of type Object"}}},
};

static int msg_matches(const char *got, const char *want) {
  size_t n = strlen(want);
  if (n > 3 && strcmp(want + n - 3, "...") == 0)
    return strncmp(got, want, n - 3) == 0;
  return strcmp(got, want) == 0;
}

static void check_bad_row(const bad_row *b) {
  cJSON *rule = parse_quoted(b->rule);
  T_OK(rule != NULL, "bad row does not parse: %s", b->rule);
  asl_diags d = {0};
  asl_choice_rule *r = asl_choice_rule_compile(rule, LOC, b->top, &d);
  T_OK(r == NULL, "%s: compiled", b->rule);
  asl_choice_rule_free(r);
  size_t n = 0;
  while (n < 3 && b->want[n].loc)
    n++;
  T_OK(d.n == n, "%s: %zu diagnostics, want %zu (first: %s)", b->rule, d.n, n,
       d.n ? d.v[0].message : "-");
  for (size_t i = 0; i < n && i < d.n; i++) {
    T_STREQ(d.v[i].code, "SCHEMA_VALIDATION_FAILED");
    T_STREQ(d.v[i].severity, "ERROR");
    T_STREQ(d.v[i].location, b->want[i].loc);
    T_OK(msg_matches(d.v[i].message, b->want[i].msg), "%s: got [%s], want [%s]",
         b->rule, d.v[i].message, b->want[i].msg);
  }
  asl_diags_free(&d);
  cJSON_Delete(rule);
}

/* Valid rules compile without a word, and the full operator list is AWS's
 * message for a rule with two operators. */
static void test_valid_rules(void) {
  static const char *const good[] = {
      "{'Variable':'$.x','StringEquals':'a','Next':'A','Assign':{'v':1},"
      "'Comment':'c'}",
      "{'And':[{'Variable':'$.x','IsNull':true}],'Next':'A'}",
      "{'Not':{'Or':[{'Variable':'$$.a','IsNull':true}]},'Next':'A'}",
      "{'Variable':'$.x','TimestampEquals':'2016-12-05T21:29:29.123+05:30',"
      "'Next':'A'}",
      "{'Variable':'$.x','StringMatches':'\\\\','Next':'A'}",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    cJSON *rule = parse_quoted(good[i]);
    asl_diags d = {0};
    asl_choice_rule *r = asl_choice_rule_compile(rule, LOC, 1, &d);
    T_OK(r && d.n == 0, "%s: %s", good[i], d.n ? d.v[0].message : "NULL");
    asl_choice_rule_free(r);
    asl_diags_free(&d);
    cJSON_Delete(rule);
  }
  cJSON *two = parse_quoted("{'Variable':'$.x','IsNull':true,'IsString':true}");
  asl_diags d = {0};
  asl_choice_rule_free(asl_choice_rule_compile(two, LOC, 0, &d));
  T_OK(d.n == 1 &&
           strstr(d.v[0].message, "[StringEquals, StringEqualsPath, ") &&
           strstr(d.v[0].message, ", IsTimestamp]"),
       "operator list: %s", d.n ? d.v[0].message : "-");
  asl_diags_free(&d);
  cJSON_Delete(two);
  asl_choice_rule_free(NULL);
}

/* ---- 4. asl_choice_parse_timestamp ---- */

static void test_parse_timestamp(void) {
  static const struct {
    const char *s;
    double want;
  } ok[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2000-01-01T00:00:00Z", 946684800},
      {"2016-03-14T01:59:00Z", 1457920740},
      {"2016-03-14T03:59:00+02:00", 1457920740},
      {"2016-03-13T20:29:00-05:30", 1457920740},
      {"1969-12-31T23:59:59.5Z", -0.5},
      {"2012-10-09T19:00:55.123456789Z", 1349809255.123456789},
      {"0000-01-01T00:00:00Z", -62167219200.0},
      {"9999-12-31T23:59:59Z", 253402300799.0},
      {"2024-02-29T12:00:00Z", 1709208000},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    double t = -1e18;
    int rc = asl_choice_parse_timestamp(ok[i].s, &t);
    T_OK(rc == 0 && fabs(t - ok[i].want) < 1e-6, "%s: rc %d, %.9f", ok[i].s, rc,
         t);
  }
  static const char *const bad[] = {
      "",
      "2016-12-05T21:29:29",
      "2016-12-05 21:29:29Z",
      "2016-12-05t21:29:29Z",
      "2016-12-05T21:29:29z",
      "2016-12-05T21:29Z",
      "2016-12-05T21:29:29.Z",
      "2016-12-05T21:29:29.1234567890Z",
      "2016-12-05T21:29:29+01",
      "2016-12-05T21:29:29+01:60",
      "2016-12-05T21:29:29+19:00",
      "2016-12-05T21:29:29Z0",
      "+2016-12-05T21:29:29Z",
      "2016-00-05T21:29:29Z",
      "2016-12-00T21:29:29Z",
      "2016-11-31T21:29:29Z",
      "2016-12-05T24:00:00Z",
      "2016-12-05T21:60:29Z",
      "16-12-05T21:29:29Z",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double t = 42;
    T_OK(asl_choice_parse_timestamp(bad[i], &t) == -1 && t == 42, "[%s] parsed",
         bad[i]);
  }
  double t;
  T_OK(asl_choice_parse_timestamp(NULL, &t) == -1, "NULL parsed");
}

T_MAIN("choice") {
  test_recorded();
  for (size_t i = 0; i < sizeof eval_rows / sizeof eval_rows[0]; i++)
    check_eval_row(&eval_rows[i], i);
  test_roots();
  for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++)
    check_bad_row(&bad_rows[i]);
  test_valid_rules();
  test_parse_timestamp();
}
