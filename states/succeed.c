/* succeed.c: the Succeed state ends the execution (or branch) with its
 * effective input, filtered by OutputPath. */
#include "../engine/machine.h"

static int succeed_run(const asl_state *st, const cJSON *input,
                       const asl_scope *s, double now, asl_step *out,
                       asl_error *err) {
  out->skip_result = 1;
  out->end = 1;
  return 0;
}

const asl_state_ops asl_succeed_ops = {
    "Succeed", ASL_KIND_SIMPLE, ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_OUTPUT,
    NULL,      NULL,
    succeed_run, NULL,
};
