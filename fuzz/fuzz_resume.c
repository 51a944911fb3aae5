/* fuzz_resume.c: libFuzzer target for asl_resume: a checkpoint read back
 * from a damaged store must be refused or resumed, never crash. The
 * machine has a Map of Tasks (a built-in), a Wait and a Parallel, so the
 * restorer meets every kind of frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/asl.h"
#include "../engine/json.h"

static const char def[] =
    "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"MaxConcurrency\":"
    "2,\"ItemProcessor\":{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:Echo\","
    "\"Next\":\"W\"},\"W\":{\"Type\":\"Wait\",\"Seconds\":1,\"End\":true}}},"
    "\"Next\":\"P\"},\"P\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":"
    "\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}],\"End\":true}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static asl_machine *m;
  static cJSON *bind;
  if (!m) {
    asl_diags d = {0};
    m = asl_machine_load(def, strlen(def), NULL, &d);
    asl_diags_free(&d);
    bind = cJSON_Parse("{\"Functions\":{\"Echo\":{\"builtin\":\"echo\"}}}");
  }
  cJSON *ck = asl_json_parse((const char *)data, size, NULL);
  if (!ck) return 0;
  asl_run_opts o = {0};
  o.virtual_clock = 1;
  o.bindings = bind;
  asl_result r;
  char *msg = NULL;
  if (asl_resume(m, ck, &o, &r, &msg) == 0) asl_result_free(&r);
  free(msg);
  cJSON_Delete(ck);
  return 0;
}
