/* test_template.c: engine/template.c: evaluation with values moved out of
 * a doomed input (asl_template_eval_moving) gives exactly what copying
 * gives (same output, member order, errors), moves only what no other
 * member moves too, and leaves the input whole when it fails. Also the
 * payload size bound of engine/json.c that rides on it. */
#include <stdlib.h>
#include <string.h>

#include "../../engine/json.h"
#include "../../engine/template.h"
#include "t.h"

static const char DOC[] =
    "{\"a\":{\"b\":[10,{\"c\":\"x\"},30],\"d\":true},\"n\":7,"
    "\"s\":\"str\",\"arr\":[1,2,3,4],\"o\":{\"p\":{\"q\":null}}}";

typedef struct outcome {
  char *out;  /* printed output, or NULL on failure */
  char *err;  /* error name and cause on failure */
  char *left; /* the input afterwards */
} outcome;

static void outcome_free(outcome *o) {
  free(o->out);
  free(o->err);
  free(o->left);
}

/* Evaluates template text tpl on a fresh DOC, moving or not. */
static outcome eval_one(const char *tpl, const char *doc_text, int moving,
                        int *can_move) {
  outcome o = {0};
  cJSON *src = cJSON_Parse(tpl);
  asl_diags d = {0};
  asl_template *t = asl_template_compile(src, "/T", &d);
  if (!t) {
    o.err = asl_strdup("compile failed");
    asl_diags_free(&d);
    cJSON_Delete(src);
    return o;
  }
  if (can_move) *can_move = asl_template_can_move(t);
  cJSON *doc = cJSON_Parse(doc_text);
  asl_scope s = {0};
  s.input = doc;
  cJSON *out = NULL;
  asl_error err = {0};
  int rc = moving ? asl_template_eval_moving(t, &s, doc, &out, &err)
                  : asl_template_eval(t, &s, &out, &err);
  if (rc == 0) {
    o.out = cJSON_PrintUnformatted(out);
  } else {
    o.err = asl_sprintf("%s: %s", err.name ? err.name : "?",
                        err.cause ? err.cause : "?");
  }
  o.left = cJSON_PrintUnformatted(doc);
  cJSON_Delete(out);
  cJSON_Delete(doc);
  asl_error_clear(&err);
  asl_template_free(t);
  asl_diags_free(&d);
  cJSON_Delete(src);
  return o;
}

/* Moving and copying agree on tpl; returns whether tpl can move and
 * whether the input lost something (in *moved). */
static int agree(const char *tpl, const char *doc, int *moved) {
  int can = 0;
  outcome c = eval_one(tpl, doc, 0, NULL);
  outcome m = eval_one(tpl, doc, 1, &can);
  T_OK((c.out && m.out && strcmp(c.out, m.out) == 0) || (!c.out && !m.out),
       "%s: output copy %s, moving %s", tpl, c.out ? c.out : "-",
       m.out ? m.out : "-");
  T_OK((c.err && m.err && strcmp(c.err, m.err) == 0) || (!c.err && !m.err),
       "%s: error copy %s, moving %s", tpl, c.err ? c.err : "-",
       m.err ? m.err : "-");
  T_OK(strcmp(c.left, doc) != 0 ? 0 : 1, "copying changed the input");
  if (!m.out) T_STREQ(m.left, c.left); /* a failure leaves doc whole */
  if (moved) *moved = strcmp(m.left, c.left) != 0;
  outcome_free(&c);
  outcome_free(&m);
  return can;
}

T_MAIN("template") {
  int moved = 0;
  /* a plain member moves; the value leaves the input */
  T_OK(agree("{\"x.$\":\"$.a\"}", DOC, &moved) == 1, "can move");
  T_OK(moved, "$.a moved out");
  /* read by an intrinsic and moved: the intrinsic saw it first */
  agree("{\"x.$\":\"$.a\",\"t.$\":\"States.JsonToString($.a)\"}", DOC,
        &moved);
  T_OK(moved, "moved after the intrinsic read it");
  agree("{\"t.$\":\"States.JsonToString($.a)\",\"x.$\":\"$.a\"}", DOC,
        &moved);
  /* two members of overlapping paths: neither moves */
  T_OK(agree("{\"x.$\":\"$.a\",\"y.$\":\"$.a.b\"}", DOC, &moved) == 0,
       "overlap: nothing to move");
  T_OK(!moved, "overlap: the input is whole");
  agree("{\"x.$\":\"$.a\",\"y.$\":\"$.a\"}", DOC, &moved);
  T_OK(!moved, "the same path twice is copied");
  /* siblings in one array: indices found before anything moves */
  agree("{\"x.$\":\"$.arr[0]\",\"y.$\":\"$.arr[1]\",\"z.$\":\"$.arr[3]\"}",
        DOC, &moved);
  T_OK(moved, "array items moved");
  /* nested templates, arrays of members, literals around them */
  agree("{\"k\":{\"x.$\":\"$.o.p\",\"lit\":[1,{\"z\":2}]},\"l\":[{\"y.$\":"
        "\"$.a.b[1].c\"},\"plain\"],\"n.$\":\"$.n\",\"s.$\":\"$.s\"}",
        DOC, &moved);
  T_OK(moved, "nested moved");
  /* a later member of the same output name: nothing moves */
  T_OK(agree("{\"x.$\":\"$.a\",\"x\":1}", DOC, NULL) == 0, "dup keys");
  /* "$" is never moved; "$$" and variables are other documents */
  T_OK(agree("{\"x.$\":\"$\"}", DOC, NULL) == 0, "$ is not moved");
  agree("{\"x.$\":\"$\",\"y.$\":\"$.a\"}", DOC, &moved);
  T_OK(moved, "$ is copied before $.a moves");
  /* failures in document order, with the input as it was */
  agree("{\"x.$\":\"$.nope\",\"y.$\":\"$.a\"}", DOC, NULL);
  agree("{\"y.$\":\"$.a\",\"x.$\":\"$.nope\"}", DOC, NULL);
  agree("{\"y.$\":\"$.a\",\"f.$\":\"States.ArrayLength($.n)\"}", DOC, NULL);
  agree("{\"y.$\":\"$.n.deeper\",\"z.$\":\"$.s\"}", DOC, NULL);
  /* filters and wildcards read; plain members still move */
  agree("{\"w.$\":\"$.a.b[?(@.c)]\",\"y.$\":\"$.a.b\",\"q.$\":\"$..q\"}",
        DOC, &moved);
  T_OK(moved, "moved beside a filter");
  /* non-object inputs */
  agree("{\"x.$\":\"$[1]\",\"y.$\":\"$[0]\"}", "[{\"a\":1},[2],3]", &moved);
  T_OK(moved, "moved from an array input");
  agree("{\"x.$\":\"$.a\"}", "5", NULL);

  /* random templates over random choices of paths: always agree */
  static const char *const paths[] = {
      "$.a", "$.a.b", "$.a.b[0]", "$.a.b[1]", "$.a.b[1].c", "$.a.d", "$.n",
      "$.s", "$.arr", "$.arr[2]", "$.o", "$.o.p", "$.o.p.q", "$.zz",
      "$.arr[9]", "$"};
  unsigned seed = 7;
  for (int round = 0; round < 300; round++) {
    char tpl[1024];
    size_t len = 0;
    int n = 1 + rand_r(&seed) % 5;
    len += (size_t)snprintf(tpl + len, sizeof tpl - len, "{");
    for (int i = 0; i < n; i++) {
      const char *p = paths[rand_r(&seed) % (sizeof paths / sizeof *paths)];
      int call = rand_r(&seed) % 4 == 0;
      len += (size_t)snprintf(tpl + len, sizeof tpl - len,
                              "%s\"m%d.$\":\"%s%s%s\"", i ? "," : "", i,
                              call ? "States.JsonToString(" : "", p,
                              call ? ")" : "");
    }
    snprintf(tpl + len, sizeof tpl - len, "}");
    agree(tpl, DOC, NULL);
  }

  /* the size bound: within exactly when the printed size is */
  cJSON *doc = cJSON_Parse(DOC);
  char *text = cJSON_PrintUnformatted(doc);
  size_t exact = strlen(text), b = 0;
  T_OK(asl_json_size_bound(doc, exact, &b) && b >= exact && b <= exact,
       "bound at the exact size: %zu for %zu", b, exact);
  T_OK(asl_json_size_bound(doc, 100000, &b) && b >= exact && b <= 100000,
       "a cheap bound %zu >= %zu", b, exact);
  T_OK(!asl_json_size_bound(doc, exact - 1, &b), "one byte short");
  free(text);
  cJSON_Delete(doc);
}
