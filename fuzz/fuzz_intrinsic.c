/* fuzz_intrinsic.c: libFuzzer target for the intrinsic functions. Each input
 * is compiled as a call and, when it compiles, evaluated over one fixed
 * document, context object and variable set; everything is then freed, so
 * the sanitizers see leaks as well as memory errors. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../cli/hasher.h"
#include "../engine/intrinsic.h"
#include "../engine/json.h"

static const char DOC[] =
    "{\"s\":\"a,b;c\",\"t\":\"Hello {} and {}\",\"n\":12.5,\"i\":3,"
    "\"z\":0,\"neg\":-7,\"big\":1e300,\"b\":true,\"nul\":null,"
    "\"a\":[1,\"x\",[2,3],{\"k\":\"v\"},null,true,1,\"x\"],"
    "\"o\":{\"x\":1,\"y\":{\"z\":[1,2]}},\"p\":{\"y\":2},"
    "\"j\":\"{\\\"k\\\":[1,2,{\\\"m\\\":null}]}\",\"e\":\"\","
    "\"b64\":\"SGVsbG8gV29ybGQ=\",\"u\":\"\\u00e9\\ud83d\\ude00\"}";

static const char CTX[] =
    "{\"Execution\":{\"Id\":\"arn:aws:states:us-east-1:1:execution:sm:ex\","
    "\"Name\":\"ex\",\"Input\":{\"k\":1}},"
    "\"StateMachine\":{\"Id\":\"arn:aws:states:us-east-1:1:stateMachine:sm\","
    "\"Name\":\"sm\"},\"State\":{\"Name\":\"S\",\"RetryCount\":0}}";

static const char VARS[] = "{\"v\":{\"list\":[3,1,2]},\"w\":\"text\"}";

static cJSON *g_doc, *g_ctx, *g_vars;

static const cJSON *fuzz_var(void *ud, const char *name) {
  return asl_json_get(ud, name);
}

static uint64_t fuzz_rand(void *ud) {
  uint64_t *x = ud;
  *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
  return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_doc) {
    asl_cli_hasher_install();
    g_doc = cJSON_Parse(DOC);
    g_ctx = cJSON_Parse(CTX);
    g_vars = cJSON_Parse(VARS);
    if (!g_doc || !g_ctx || !g_vars) abort();
  }
  char *text = asl_strndup((const char *)data, size);
  char *msg = NULL;
  asl_intrinsic *f = asl_intrinsic_compile(text, &msg);
  if (f) {
    uint64_t state = 42;
    asl_scope s = {0};
    s.input = g_doc;
    s.context = g_ctx;
    s.var = fuzz_var;
    s.var_ud = g_vars;
    s.rand64 = fuzz_rand;
    s.rand_ud = &state;
    cJSON *out = NULL;
    asl_error err = {0};
    if (asl_intrinsic_eval(f, &s, &out, &err) == 0 && !out) abort();
    if (out) free(asl_json_print(out));
    cJSON_Delete(out);
    asl_error_clear(&err);
    asl_intrinsic_free(f);
  } else if (!msg) {
    abort(); /* a failed compile must say why */
  }
  free(msg);
  free(text);
  return 0;
}
