/* fuzz_jsonata.c: libFuzzer target for the JSONata engine. Each input is
 * compiled as an expression; whatever compiles is evaluated over one fixed
 * document and variable set with tight limits (depth 300, 200 ms), so
 * runaway recursion and loops must end in U1001 rather than hang or crash.
 * Everything is freed, so the sanitizers see leaks as well as memory
 * errors. Each evaluation over the variables is done twice, the second
 * time as the reference (jsonata_limits.full), and the two must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/jsonata/jsonata.h"

static const char DOC[] =
    "{\"Account\":{\"Name\":\"Firefly\",\"Order\":[{\"OrderID\":\"o1\","
    "\"Product\":[{\"Name\":"
    "\"Hat\",\"Price\":34.45,\"Quantity\":2,\"Tags\":[\"a\",\"b\"]},{\"Name\":"
    "\"Cloak\","
    "\"Price\":107.99,\"Quantity\":1}]},{\"OrderID\":\"o2\",\"Product\":[]}]},"
    "\"arr\":[0,1.5,-2,\"3\",[4,[5]],{\"k\":6},null,true],\"s\":\"str\u00e9\","
    "\"n\":null,"
    "\"t\":\"2018-03-23T10:33:36.617Z\",\"big\":1e300}";
static const char VARS[] =
    "{\"v\":{\"list\":[3,1,2]},\"w\":\"text\",\"states\":{\"input\":{"
    "\"a\":[{\"b\":1},{\"b\":[2,3]},{\"c\":{\"b\":4}}],\"o\":{\"p\":{\"q\":-0,"
    "\"r\":[[1],[]]},\"e\":{}},\"d\":{\"k\":1,\"k\":[2]},\"n\":null,\"s\":\"x\"},"
    "\"context\":{\"State\":{\"Name\":\"P\"}}},\"w\":\"again\"}";

/* Whether two evaluations of text may differ by design: random numbers,
 * ids and clocks, or a limit met by one (the reference nests more
 * evaluations than the fast paths, and time is time). */
static int nondeterministic(const char *text, const jsonata_error *a,
                            const jsonata_error *b) {
  return strstr(text, "random") || strstr(text, "uuid") ||
         strstr(text, "now") || strstr(text, "millis") ||
         !strcmp(a->code, "U1001") || !strcmp(b->code, "U1001");
}

static cJSON *g_doc, *g_vars;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_doc) {
    g_doc = cJSON_Parse(DOC);
    g_vars = cJSON_Parse(VARS);
  }
  if (size > 4096) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  jsonata_error err;
  jsonata *j = jsonata_compile(text, &err);
  if (j) {
    jsonata_limits lim = {300, 200, 0};
    cJSON *r = jsonata_evaluate(j, g_doc, g_vars, &lim, &err);
    if (r && err.code[0]) abort(); /* a result and an error at once */
    char *s = r ? cJSON_PrintUnformatted(r) : NULL;
    /* the fast paths (lazy bindings, $v.a.b on the cJSON) against the
     * reference evaluation: the same result, or the same error */
    jsonata_limits ref = {300, 200, 1};
    jsonata_error rerr;
    cJSON *rr = jsonata_evaluate(j, g_doc, g_vars, &ref, &rerr);
    if (!nondeterministic(text, &err, &rerr)) {
      char *rs = rr ? cJSON_PrintUnformatted(rr) : NULL;
      if (strcmp(err.code, rerr.code) || !s != !rs || (s && strcmp(s, rs)) ||
          err.function != rerr.function)
        abort();
      free(rs);
    }
    cJSON_Delete(rr);
    free(s);
    cJSON_Delete(r);
    r = jsonata_evaluate(j, NULL, NULL, &lim, &err); /* no input at all */
    cJSON_Delete(r);
    jsonata_free(j);
  } else if (!err.code[0])
    abort(); /* a failed compile names its error */
  free(text);
  return 0;
}
