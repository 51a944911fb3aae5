/* fuzz_api.c: libFuzzer target for the Step Functions API's request
 * handling (web/api.c). An input is "Operation\nbody": the operation name,
 * then the request body as the HTTP layer would hand it over. Every answer
 * must be 200, 400, 413 or 500 with a JSON object body that has "__type"
 * and "message" when it is an error. Operations that start executions are
 * left out (their runs outlive the call, on worker threads, and a Wait
 * would run on the real clock); the store is one temporary file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/json.h"
#include "../web/api.h"

static web_api *g_api;

static void teardown(void) {
  int dropped;
  web_api_drain(g_api, 0, &dropped);
  web_api_free(g_api);
}

static void setup(void) {
  char dir[] = "/tmp/fuzz-api-XXXXXX";
  if (!mkdtemp(dir)) abort();
  char *db = asl_sprintf("%s/asl.db", dir);
  web_api_opts o = {db, NULL, NULL, 1};
  asl_error e = {0};
  if (web_api_new(&o, &g_api, &e) < 0) abort();
  free(db);
  atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_api) setup();
  const char *nl = memchr(data, '\n', size);
  size_t oplen = nl ? (size_t)(nl - (const char *)data) : size;
  if (oplen > 64) return 0;
  char op[65];
  memcpy(op, data, oplen);
  op[oplen] = 0;
  if (strncmp(op, "Start", 5) == 0) return 0;
  const char *body = nl ? nl + 1 : "";
  size_t len = nl ? size - oplen - 1 : 0;
  web_reply r = {0};
  web_api_call(g_api, memchr(op, 0, oplen) ? NULL : op, body, len, &r);
  if (r.status != 200 && r.status != 400 && r.status != 413 && r.status != 500)
    abort();
  cJSON *j = cJSON_Parse(r.body);
  if (!cJSON_IsObject(j)) abort();
  if (r.status != 200 && (!cJSON_IsString(asl_json_get(j, "__type")) ||
                          !cJSON_IsString(asl_json_get(j, "message"))))
    abort();
  cJSON_Delete(j);
  free(r.body);
  return 0;
}
