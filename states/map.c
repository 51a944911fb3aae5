/* map.c: the Map state. This file compiles and validates the item
 * processor (a graph of its own) and the Map's fields; running it arrives
 * with the concurrency issue, until then a Map fails with States.Runtime. */
#include <stdlib.h>

#include "../engine/json.h"
#include "../engine/machine.h"

static const char *const extra[] = {
    "Iterator",
    "ItemProcessor",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
    NULL};

typedef struct {
  asl_graph g;
  int has_graph;
} map_data;

static int map_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  map_data *m = asl_calloc(1, sizeof *m);
  st->data = m;
  const cJSON *ip = asl_json_get(def, "ItemProcessor");
  const char *field = "ItemProcessor";
  if (!ip) {
    ip = asl_json_get(def, "Iterator");
    field = "Iterator";
  }
  if (!ip) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", st->loc,
                 "These fields are required: [ItemProcessor]");
    return -1;
  }
  char *at = asl_loc_join(st->loc, field);
  asl_load_opts o = {st->machine_type, NULL};
  int rc = 0;
  if (asl_json_get(ip, "QueryLanguage")) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "Field 'QueryLanguage' is not supported");
    rc = -1;
  }
  m->has_graph = 1;
  if (asl_graph_compile(&m->g, ip, at, st->query_lang, &o, d) < 0) rc = -1;
  m->g.loc = NULL;
  free(at);
  return rc;
}

static int map_run(const asl_state *st, const cJSON *input,
                   const asl_scope *s, double now, asl_step *out,
                   asl_error *err) {
  return asl_error_set(err, "States.Runtime",
                       "Map states are not implemented yet");
}

static void map_free(asl_state *st) {
  map_data *m = st->data;
  if (!m) return;
  if (m->has_graph) asl_graph_free(&m->g);
  free(m);
}

const asl_state_ops asl_map_ops = {
    "Map",
    ASL_F_NEXT | ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_RESULTPATH |
        ASL_F_PARAMETERS | ASL_F_RESULTSELECTOR | ASL_F_RETRY | ASL_F_ASSIGN |
        ASL_F_OUTPUT | ASL_F_ARGUMENTS,
    extra,
    map_compile,
    map_run,
    map_free,
};
