/* fuzz_loader.c: libFuzzer target for the definition loader and validator:
 * any bytes must give a machine or diagnostics, never a crash or a leak.
 * When a machine loads, one execution runs on a virtual clock. */
#include <stdint.h>
#include <stdlib.h>

#include "../engine/asl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  asl_diags d = {0};
  asl_machine *m = asl_machine_load((const char *)data, size, NULL, &d);
  char *msg = asl_diags_message(&d);
  free(msg);
  asl_diags_free(&d);
  if (m) {
    asl_run_opts o = {0};
    o.virtual_clock = 1;
    o.keep_history = 1;
    o.start_time = 1700000000;
    o.seed = 1;
    asl_result r;
    char *err = NULL;
    if (asl_run(m, "{\"a\":[1,2,{\"b\":\"c\"}],\"n\":3}", &o, &r, &err) == 0)
      asl_result_free(&r);
    free(err);
    asl_machine_free(m);
  }
  return 0;
}
