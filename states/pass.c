/* pass.c: the Pass state: its result is Result, or else its effective
 * input (after InputPath and Parameters). */
#include "../engine/json.h"
#include "../engine/machine.h"

static const char *const extra[] = {"Result", NULL};

/* st->data is the Result (borrowed from the definition), or NULL. */
static int pass_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  st->data = (void *)asl_json_get(def, "Result");
  return 0;
}

static int pass_run(const asl_state *st, const cJSON *input,
                    const asl_scope *s, double now, asl_step *out,
                    asl_error *err) {
  /* No Result: the result is the effective input, which the executor
   * hands over without a copy (out->result NULL). */
  const cJSON *r = st->data;
  out->result = r ? asl_json_dup(r) : NULL;
  return 0;
}

const asl_state_ops asl_pass_ops = {
    "Pass", ASL_KIND_SIMPLE,
    ASL_F_NEXT | ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_RESULTPATH |
        ASL_F_PARAMETERS | ASL_F_ASSIGN | ASL_F_OUTPUT,
    extra,
    pass_compile,
    pass_run,
    NULL,
};
