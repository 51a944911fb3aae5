/* test_jsonata.c: the JSONata API's contract (undefined vs null, bindings,
 * errors with code, token and message, limits, reuse of one compiled
 * expression) and the functions AWS adds ($partition, $range, $hash,
 * $random, $uuid, $parse) and leaves out ($eval). The language itself is
 * tested by the JSONata suite (tests/jsonata_suite.c). */
#include <math.h>
#include <pthread.h>

#include "../../cli/hasher.h"
#include "../../engine/jsonata/jsonata.h"
#include "t.h"

/* Evaluates expr over the JSON text input (NULL: no input) and returns the
 * result printed compactly, "undefined", or "CODE" on an error. */
static char *run_lim(const char *expr, const char *input, const char *bindings,
                     const jsonata_limits *lim) {
  jsonata_error err;
  jsonata *j = jsonata_compile(expr, &err);
  if (!j) return strdup(err.code);
  cJSON *in = input ? cJSON_Parse(input) : NULL,
        *b = bindings ? cJSON_Parse(bindings) : NULL;
  cJSON *r = jsonata_evaluate(j, in, b, lim, &err);
  char *s;
  if (err.code[0])
    s = strdup(err.code);
  else if (!r)
    s = strdup("undefined");
  else
    s = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  cJSON_Delete(in);
  cJSON_Delete(b);
  jsonata_free(j);
  return s;
}

static char *run(const char *expr, const char *input, const char *bindings) {
  return run_lim(expr, input, bindings, NULL);
}

#define EQ(expr, input, bindings, want)                                        \
  do {                                                                         \
    char *g_ = run(expr, input, bindings);                                     \
    T_STREQ(g_, want);                                                         \
    free(g_);                                                                  \
  } while (0)

static void *thread_eval(void *arg) {
  const jsonata *j = arg;
  int ok = 1;
  for (int i = 0; i < 200; i++) {
    jsonata_error err;
    cJSON *in = cJSON_CreateNumber(i);
    cJSON *r = jsonata_evaluate(j, in, NULL, NULL, &err);
    if (!r || r->valuedouble != i * 2 + 1) ok = 0;
    cJSON_Delete(r);
    cJSON_Delete(in);
  }
  return ok ? arg : NULL;
}

/* The fast paths for bindings against the general evaluator, over bindings
 * {"states": states}: expr as given (a bare $v.a.b path is evaluated on
 * the cJSON without the evaluator, eval_simple) and "[expr]" (the
 * evaluator with lazy bindings and the cJSON walk of the path's leading
 * steps, path_prefix), each with limits.full (the reference: bindings
 * converted at the start, no fast path) and after "$states := $x" has
 * bound a converted copy in a block (a block's variable is never lazy).
 * Returns the fast result printed (as run does); fails when any differ. */
static char *fast_vs_full(const char *expr, const char *states) {
  char *bfast = malloc(strlen(states) + 16), *bfull = malloc(strlen(states) + 16),
       *efull = malloc(strlen(expr) + 32), *ewrap = malloc(strlen(expr) + 8),
       *ewfull = malloc(strlen(expr) + 40);
  sprintf(bfast, "{\"states\":%s}", states);
  sprintf(bfull, "{\"x\":%s}", states);
  sprintf(efull, "($states := $x; %s)", expr);
  sprintf(ewrap, "[%s]", expr);
  sprintf(ewfull, "($states := $x; [%s])", expr);
  jsonata_limits full = {0};
  full.full = 1;
  char *fast = run(expr, NULL, bfast), *slow = run_lim(expr, NULL, bfast, &full),
       *ref = run(efull, NULL, bfull), *wfast = run(ewrap, NULL, bfast),
       *wslow = run_lim(ewrap, NULL, bfast, &full),
       *wref = run(ewfull, NULL, bfull);
  T_OK(strcmp(fast, ref) == 0, "%s over %s: fast %s, full %s", expr, states,
       fast, ref);
  T_OK(strcmp(slow, ref) == 0, "%s over %s: lazy %s, full %s", expr, states,
       slow, ref);
  T_OK(strcmp(wfast, wref) == 0, "[%s] over %s: lazy %s, full %s", expr,
       states, wfast, wref);
  T_OK(strcmp(wslow, wref) == 0, "[%s] over %s: reference %s, full %s", expr,
       states, wslow, wref);
  free(slow);
  free(wslow);
  free(ref);
  free(wfast);
  free(wref);
  free(bfast);
  free(bfull);
  free(efull);
  free(ewrap);
  free(ewfull);
  return fast;
}

#define FAST(expr, states, want)                                               \
  do {                                                                         \
    char *g_ = fast_vs_full(expr, states);                                     \
    T_STREQ(g_, want);                                                         \
    free(g_);                                                                  \
  } while (0)

static void test_lazy_paths(void) {
  const char *in = "{\"input\":{\"n\":42,\"z\":-0,\"nul\":null,\"s\":\"str\","
                   "\"o\":{\"p\":{\"q\":[1,2]},\"e\":{}},"
                   "\"a\":[{\"b\":1},{\"b\":[2,3]},{\"c\":4},{\"b\":{\"d\":5}}],"
                   "\"one\":[{\"b\":7}],\"nest\":[[{\"b\":8}],[{\"b\":9}]],"
                   "\"dup\":{\"k\":1},\"dup\":{\"k\":2}},\"context\":{\"c\":1}}";
  FAST("$states.input.n", in, "42");
  FAST("$states.input.z", in, "-0");
  FAST("$states.input.nul", in, "null");
  FAST("$states.input.missing", in, "undefined");
  FAST("$states.input.missing.x", in, "undefined");
  FAST("$states.input.s.x", in, "undefined");
  FAST("$states.input.n.x", in, "undefined");
  FAST("$states.input.nul.x", in, "undefined");
  FAST("$states.input.o.p.q", in, "[1,2]");
  FAST("$states.input.o.p.q[1]", in, "2");
  FAST("$states.input.o.e", in, "{}");
  FAST("$states.input.o.e.x", in, "undefined");
  /* arrays: a step maps over them and flattens one level */
  FAST("$states.input.a.b", in, "[1,2,3,{\"d\":5}]");
  FAST("$states.input.a.b.d", in, "5");
  FAST("$states.input.a.c", in, "4");
  FAST("$states.input.a", in,
       "[{\"b\":1},{\"b\":[2,3]},{\"c\":4},{\"b\":{\"d\":5}}]");
  FAST("$states.input.one", in, "[{\"b\":7}]");
  FAST("$states.input.one.b", in, "7");
  FAST("$states.input.one.b[]", in, "[7]");
  FAST("$states.input.nest.b", in, "[8,9]");
  FAST("$states.input.a[b=1].b", in, "1");
  FAST("$states.input.a[0]", in, "{\"b\":1}");
  FAST("$states.input.a#$i.b", in, "[1,2,3,{\"d\":5}]");
  FAST("$states.input.a.b.%", in, "[{\"b\":1},{\"b\":[2,3]},{\"b\":[2,3]},"
       "{\"b\":{\"d\":5}}]");
  FAST("$states.input.o.p@$v.$v.q", in, "[1,2]");
  FAST("$states.input.o.p.$count(q)", in, "2");
  FAST("$states.input.o.{'k': p.q}", in, "{\"k\":[1,2]}");
  FAST("$states.input.o.*", in, "[{\"q\":[1,2]},{}]");
  FAST("$states.input.o.**.q", in, "[1,2]");
  FAST("$states[0].input.n", in, "42");
  FAST("$states.input.n + $states.context.c", in, "43");
  FAST("$states.context", in, "{\"c\":1}");
  /* duplicate keys: the last one counts, as in a converted object */
  FAST("$states.input.dup.k", in, "2");
  FAST("$states.input.dup", in, "{\"k\":2}");
  /* $states itself not an object */
  FAST("$states.input", "[{\"input\":1},{\"input\":2}]", "[1,2]");
  FAST("$states.input", "null", "undefined");
  FAST("$states.input", "5", "undefined");
  FAST("$states.input.e", "{\"input\":{\"e\":[]}}", "[]");
  FAST("$states.input.e.x", "{\"input\":{\"e\":[]}}", "undefined");
  FAST("$states.input.e", "{\"input\":{\"e\":[[1],[]]}}", "[[1],[]]");
  FAST("$states.input.t", "{\"input\":{\"t\":true,\"f\":false}}", "true");
  FAST("$states.input", "{\"input\":{\"t\":true,\"f\":false}}",
       "{\"t\":true,\"f\":false}");
  FAST("$states.input.a.b", "{\"input\":{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}}",
       "{\"c\":[1,{\"d\":null}]}");
  FAST("$states.input.a.b", "{\"input\":{\"a\":{\"b\":{\"c\":1,\"c\":2}}}}",
       "{\"c\":2}");
  /* a variable named like a function: not a binding, the function */
  EQ("$string.a", NULL, "{\"states\":1}", "undefined");
  EQ("$sum.a", NULL, "{\"sum\":{\"a\":3}}", "3");
  /* the walks nest no evaluations: depth 1 is enough for them, not for
   * the reference evaluation (the path, then its steps), and a deeper
   * expression still meets the limit */
  {
    jsonata_limits lim = {1, 0, 0};
    char *g = run_lim("$x.a", NULL, "{\"x\":{\"a\":1}}", &lim);
    T_STREQ(g, "1");
    free(g);
    g = run_lim("$x.a + 1", NULL, "{\"x\":{\"a\":1}}", &lim);
    T_STREQ(g, "U1001");
    free(g);
    lim.full = 1;
    g = run_lim("$x.a", NULL, "{\"x\":{\"a\":1}}", &lim);
    T_STREQ(g, "U1001");
    free(g);
  }
  FAST("$states.input.n", "{\"input\":[{\"n\":1},{\"n\":2}]}", "[1,2]");
  /* -0 stays -0 (asl prints it 0; the library keeps the sign) */
  {
    jsonata_error err;
    jsonata *j = jsonata_compile("$states.input.z", &err);
    cJSON *b = cJSON_Parse(in);
    cJSON *bb = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(bb, "states", b);
    cJSON *r = jsonata_evaluate(j, NULL, bb, NULL, &err);
    T_OK(r && cJSON_IsNumber(r) && r->valuedouble == 0 && signbit(r->valuedouble),
         "-0 read through the lazy path keeps its sign");
    cJSON_Delete(r);
    cJSON_Delete(bb);
    cJSON_Delete(b);
    jsonata_free(j);
  }
  /* a binding read whole is converted once and can be rebound */
  EQ("[$x, $x.a, ($x := 3; $x), $x.a]", NULL, "{\"x\":{\"a\":1}}",
     "[{\"a\":1},1,3,1]");
  EQ("$y", NULL, "{\"y\":1,\"y\":2}", "2");
  EQ("$y.a", NULL, "{\"y\":{\"a\":1},\"y\":{\"a\":2}}", "2");
}

T_MAIN("jsonata-api") {
  test_lazy_paths();
  /* undefined is not null; no input is not null */
  EQ("$", NULL, NULL, "undefined");
  EQ("$", "null", NULL, "null");
  EQ("missing", "{\"a\":1}", NULL, "undefined");
  EQ("$exists($)", NULL, NULL, "false");
  EQ("$exists($)", "null", NULL, "true");
  EQ("a", "{\"a\":null}", NULL, "null");
  /* bindings are variables, and shadow built-ins */
  EQ("$states.input.x + 1", NULL, "{\"states\":{\"input\":{\"x\":41}}}", "42");
  EQ("$range", NULL, "{\"range\":7}", "7");
  /* a singleton array input stays an array */
  EQ("$", "[1]", NULL, "[1]");
  EQ("$[0]", "[[1,2]]", NULL, "[1,2]");
  /* JavaScript numbers */
  EQ("$string(0.1 + 0.2)", NULL, NULL, "\"0.3\"");
  EQ("$string(1e21)", NULL, NULL, "\"1e+21\"");
  EQ("$string(1/3)", NULL, NULL, "\"0.333333333333333\"");
  EQ("1/0", NULL, NULL, "D1001");
  EQ("$length('\xf0\x9f\x98\x80x')", NULL, NULL, "2");
  /* errors: code, token, message */
  {
    jsonata_error err;
    jsonata *j = jsonata_compile("1 +", &err);
    T_OK(!j && !strcmp(err.code, "S0207"), "compile error %s", err.code);
    j = jsonata_compile("'a' + 1", &err);
    T_OK(j != NULL, "compiles");
    cJSON *r = jsonata_evaluate(j, NULL, NULL, NULL, &err);
    T_OK(!r, "no result on error");
    T_STREQ(err.code, "T2001");
    T_STREQ(err.token, "+");
    T_STREQ(err.message,
            "The left side of the \"+\" operator must evaluate to a number");
    jsonata_free(j);
    j = jsonata_compile("$error('boom')", &err);
    r = jsonata_evaluate(j, NULL, NULL, NULL, &err);
    T_STREQ(err.code, "D3137");
    T_STREQ(err.message, "boom");
    jsonata_free(j);
  }
  /* limits: deep recursion and endless loops end in U1001, tail calls run */
  {
    jsonata_error err;
    jsonata *j = jsonata_compile(
        "($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100000))", &err);
    cJSON *r = jsonata_evaluate(j, NULL, NULL, NULL, &err);
    T_OK(!r && !strcmp(err.code, "U1001"), "deep recursion: %s", err.code);
    jsonata_free(j);
    j = jsonata_compile("($f := function($n, $a){$n = 0 ? $a : $f($n - 1, $a + "
                        "1)}; $f(100000, 0))",
                        &err);
    r = jsonata_evaluate(j, NULL, NULL, NULL, &err);
    T_OK(r && r->valuedouble == 100000, "tail call: %s", err.code);
    cJSON_Delete(r);
    jsonata_free(j);
    j = jsonata_compile("($f := function(){$f()}; $f())", &err);
    jsonata_limits lim = {0, 300, 0};
    r = jsonata_evaluate(j, NULL, NULL, &lim, &err);
    T_OK(!r && !strcmp(err.code, "U1001"), "endless loop stopped: %s",
         err.code);
    jsonata_free(j);
  }
  /* one compiled expression, many threads */
  {
    jsonata_error err;
    jsonata *j = jsonata_compile("$ * 2 + $count([1])", &err);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
      pthread_create(&th[i], NULL, thread_eval, j);
    for (int i = 0; i < 4; i++) {
      void *ok;
      pthread_join(th[i], &ok);
      T_OK(ok == j, "thread %d evaluated correctly", i);
    }
    jsonata_free(j);
  }
  /* AWS's functions ($hash's digest comes from the composition root) */
  EQ("$hash('abc')", NULL, NULL, "D3030");
  asl_cli_hasher_install();
  EQ("$partition([1,2,3,4,5,6,7,8,9], 3)", NULL, NULL,
     "[[1,2,3],[4,5,6],[7,8,9]]");
  EQ("$partition([1,2,3,4,5], 2)", NULL, NULL, "[[1,2],[3,4],[5]]");
  EQ("$range(0, 10, 2)", NULL, NULL, "[0,2,4,6,8,10]");
  EQ("$range(5, 1, -2)", NULL, NULL, "[5,3,1]");
  EQ("$range(1, 3)", NULL, NULL, "[1,2,3]");
  EQ("$hash('abc')", NULL, NULL,
     "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"");
  EQ("$hash('abc', 'MD5')", NULL, NULL, "\"900150983cd24fb0d6963f7d28e17f72\"");
  EQ("$hash('abc', 'SHA-1')", NULL, NULL,
     "\"a9993e364706816aba3e25717850c26c9cd0d89d\"");
  EQ("$hash('abc', 'CRC32')", NULL, NULL, "D3030");
  EQ("$random(42) = $random(42)", NULL, NULL, "true");
  EQ("$random() >= 0 and $random() < 1", NULL, NULL, "true");
  EQ("$random(1) != $random(2)", NULL, NULL, "true");
  EQ("$length($uuid())", NULL, NULL, "36");
  EQ("$substring($uuid(), 14, 1)", NULL, NULL, "\"4\"");
  EQ("$uuid() != $uuid()", NULL, NULL, "true");
  EQ("$parse('{\"a\":[1,{\"b\":\"c\"}]}').a[1].b", NULL, NULL, "\"c\"");
  EQ("$parse('nope')", NULL, NULL, "D3030");
  EQ("$eval('1+1')", NULL, NULL, "T1006");
}
