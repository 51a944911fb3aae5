/* map.c: the Map state. This file compiles and validates the item
 * processor (a graph of its own) and the Map's fields into an asl_map_spec;
 * the executor (engine/exec_map.c) runs the iterations. */
#include <stdlib.h>
#include <string.h>

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

/* A number field (or its Path variant): compiled into *v / *path. */
static int num_field(const asl_state *st, const cJSON *def, const char *name,
                     double min, double max, int integer, double *v,
                     int *has, asl_opt_path *path, asl_diags *d) {
  const cJSON *j = asl_json_get(def, name);
  char *pname = asl_sprintf("%sPath", name);
  int rc = asl_compile_opt_path(path, def, pname, st->loc, 0, d);
  free(pname);
  if (!j) return rc;
  long long n;
  if (!cJSON_IsNumber(j) || j->valuedouble < min || j->valuedouble > max ||
      (integer && !asl_json_as_int64(j, &n))) {
    char *at = asl_loc_join(st->loc, name);
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "The field '%s' must be %s between %g and %g", name,
                 integer ? "an integer" : "a number", min, max);
    free(at);
    return -1;
  }
  *v = j->valuedouble;
  if (has) *has = 1;
  return rc;
}

static int map_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  asl_map_spec *m = asl_calloc(1, sizeof *m);
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
  asl_load_opts o = {st->machine_type, NULL, NULL};
  int rc = 0;
  if (asl_json_get(ip, "QueryLanguage")) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "Field 'QueryLanguage' is not supported");
    rc = -1;
  }
  const cJSON *mode = asl_json_get(asl_json_get(ip, "ProcessorConfig"), "Mode");
  m->distributed = cJSON_IsString(mode) &&
                   strcmp(mode->valuestring, "DISTRIBUTED") == 0;
  const cJSON *et =
      asl_json_get(asl_json_get(ip, "ProcessorConfig"), "ExecutionType");
  m->child_express = cJSON_IsString(et) &&
                     strcmp(et->valuestring, "EXPRESS") == 0;
  m->has_graph = 1;
  if (asl_graph_compile(&m->g, ip, at, st->query_lang, &o, d) < 0) rc = -1;
  m->g.loc = NULL;
  free(at);
  if (st->query_lang == ASL_QL_JSONATA) return rc; /* JSONata: later */
  if (asl_compile_opt_path(&m->items_path, def, "ItemsPath", st->loc, 0, d) <
      0)
    rc = -1;
  const cJSON *sel = asl_json_get(def, "ItemSelector");
  if (sel && st->parameters) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", st->loc,
                 "Only one of 'ItemSelector' or 'Parameters' can be "
                 "specified");
    rc = -1;
  } else if (sel) {
    char *sl = asl_loc_join(st->loc, "ItemSelector");
    m->item_selector = asl_template_compile(sel, sl, d);
    if (!m->item_selector) rc = -1;
    free(sl);
  }
  double v = 0;
  if (num_field(st, def, "MaxConcurrency", 0, 1e9, 1, &v, NULL,
                &m->max_conc_path, d) < 0)
    rc = -1;
  m->max_conc = (long long)v;
  if (num_field(st, def, "ToleratedFailurePercentage", 0, 100, 0,
                &m->tol_pct, &m->has_tol_pct, &m->tol_pct_path, d) < 0)
    rc = -1;
  v = 0;
  if (num_field(st, def, "ToleratedFailureCount", 0, 1e12, 1, &v,
                &m->has_tol_count, &m->tol_count_path, d) < 0)
    rc = -1;
  m->tol_count = (long long)v;
  return rc;
}

static int map_run(const asl_state *st, const cJSON *input,
                   const asl_scope *s, double now, asl_step *out,
                   asl_error *err) {
  return asl_error_set(err, "States.Runtime", "Map runs in the executor");
}

static void map_free(asl_state *st) {
  asl_map_spec *m = st->data;
  if (!m) return;
  if (m->has_graph) asl_graph_free(&m->g);
  asl_path_free(m->items_path.path);
  asl_path_free(m->max_conc_path.path);
  asl_path_free(m->tol_pct_path.path);
  asl_path_free(m->tol_count_path.path);
  asl_template_free(m->item_selector);
  free(m);
}

const asl_state_ops asl_map_ops = {
    "Map", ASL_KIND_MAP,
    ASL_F_NEXT | ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_RESULTPATH |
        ASL_F_PARAMETERS | ASL_F_RESULTSELECTOR | ASL_F_RETRY | ASL_F_ASSIGN |
        ASL_F_OUTPUT | ASL_F_ARGUMENTS,
    extra,
    map_compile,
    map_run,
    map_free,
};
