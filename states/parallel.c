/* parallel.c: the Parallel state. This file compiles and validates the
 * branches (each a graph of its own) into an asl_parallel_spec; the
 * executor (engine/exec_map.c) runs them. */
#include <stdlib.h>

#include "../engine/json.h"
#include "../engine/machine.h"

static const char *const extra[] = {"Branches", NULL};


static int par_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  asl_parallel_spec *p = asl_calloc(1, sizeof *p);
  st->data = p;
  const cJSON *b = asl_json_get(def, "Branches");
  char *at = asl_loc_join(st->loc, "Branches");
  int rc = 0;
  if (!cJSON_IsArray(b) || !b->child) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", b ? at : st->loc,
                 b ? "The field 'Branches' must be a non-empty array"
                   : "These fields are required: [Branches]");
    free(at);
    return -1;
  }
  p->n = (size_t)cJSON_GetArraySize(b);
  p->branches = asl_calloc(p->n, sizeof *p->branches);
  size_t i = 0;
  asl_load_opts o = {st->machine_type, NULL, NULL};
  for (const cJSON *c = b->child; c; c = c->next, i++) {
    char *bl = asl_sprintf("%s[%zu]", at, i);
    if (asl_graph_compile(&p->branches[i], c, bl, st->query_lang, &o, d) < 0)
      rc = -1;
    p->branches[i].loc = NULL; /* bl is freed below */
    free(bl);
  }
  free(at);
  return rc;
}

static int par_run(const asl_state *st, const cJSON *input,
                   const asl_scope *s, double now, asl_step *out,
                   asl_error *err) {
  return asl_error_set(err, "States.Runtime",
                       "Parallel runs in the executor");
}

static void par_free(asl_state *st) {
  asl_parallel_spec *p = st->data;
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) asl_graph_free(&p->branches[i]);
  free(p->branches);
  free(p);
}

const asl_state_ops asl_parallel_ops = {
    "Parallel", ASL_KIND_PARALLEL,
    ASL_F_NEXT | ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_RESULTPATH |
        ASL_F_PARAMETERS | ASL_F_RESULTSELECTOR | ASL_F_RETRY | ASL_F_ASSIGN |
        ASL_F_OUTPUT | ASL_F_ARGUMENTS,
    extra,
    par_compile,
    par_run,
    par_free,
};
