/* fuzz_path.c: libFuzzer target for JSONPath. Each input is compiled as a
 * path (plain and as a reference path); whatever compiles is evaluated over
 * one fixed document, context object and variable set, and written with
 * ResultPath semantics into a copy of the document. Everything is freed, so
 * the sanitizers see leaks as well as memory errors. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "../engine/path.h"

static const char DOC[] =
    "{\"a\":{\"b\":[1,2,{\"c\":\"x\",\"d\":[true,null]}],\"e\":{}},"
    "\"arr\":[0,1.5,-2,\"3\",[4,[5]],{\"k\":6}],\"s\":\"str\",\"n\":null,"
    "\"t\":true,\"o\":{\"x\":1,\"y\":{\"x\":2,\"z\":[{\"x\":3}]}},"
    "\"users\":[{\"status\":0,\"name\":\"ann\"},{\"status\":1}],"
    "\"a b\":1,\"q'\\\"\":2,\"\":3}";

static const char CTX[] =
    "{\"Execution\":{\"Id\":\"arn:x\",\"Input\":{\"k\":1}},"
    "\"State\":{\"Name\":\"S\"},\"Map\":{\"Item\":{\"Index\":0}}}";

static const char VARS[] = "{\"v\":{\"list\":[3,1,2]},\"w\":\"text\"}";

static cJSON *g_doc, *g_ctx, *g_vars;

static const cJSON *fuzz_var(void *ud, const char *name) {
  return asl_json_get(ud, name);
}

/* Evaluates p and writes a value at it; checks the API's promises. */
static void exercise(const asl_path *p) {
  asl_scope s = {0};
  s.input = g_doc;
  s.context = g_ctx;
  s.var = fuzz_var;
  s.var_ud = g_vars;
  cJSON *out = NULL;
  char *jm = NULL;
  int rc = asl_path_eval(p, &s, &out, &jm);
  if (rc == 0 && (!out || jm)) abort();
  if (rc == ASL_PATH_MISSING && (out || !jm)) abort();
  /* only a definite path, or an undefined variable, is ever missing */
  if (rc == ASL_PATH_MISSING && !asl_path_is_definite(p) &&
      asl_path_root(p) != 2)
    abort();
  if (rc == 0 && !asl_path_is_definite(p) && !cJSON_IsArray(out)) abort();
  if (out) free(asl_json_print(out));
  cJSON_Delete(out);
  free(jm);
  cJSON *root = asl_json_dup(g_doc);
  asl_error err = {0};
  if (asl_path_set_take(p, &root, cJSON_CreateString("v"), &err) < 0 &&
      (!err.name || !err.cause))
    abort();
  asl_error_clear(&err);
  cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_doc) {
    g_doc = cJSON_Parse(DOC);
    g_ctx = cJSON_Parse(CTX);
    g_vars = cJSON_Parse(VARS);
    if (!g_doc || !g_ctx || !g_vars) abort();
  }
  char *text = asl_strndup((const char *)data, size);
  static const int flags[] = {0, ASL_PATH_REFERENCE};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    char *msg = NULL;
    asl_path *p = asl_path_compile(text, flags[i], &msg);
    if (!p == !msg) abort(); /* exactly one of path and message */
    if (p && strcmp(asl_path_text(p), text) != 0) abort();
    if (p) exercise(p);
    asl_path_free(p);
    free(msg);
  }
  free(text);
  return 0;
}
