/* choice.c: the Choice state: the first rule of Choices that matches picks
 * the next state (and its own Assign); else Default; else the execution
 * fails with States.NoChoiceMatched. */
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "../engine/machine.h"
#include "choice_rule.h"

static const char *const extra[] = {"Choices", "Default", NULL};

typedef struct {
  asl_choice_rule *rule;  /* JSONPath rule; NULL in JSONata mode */
  asl_template *assign;   /* the rule's own Assign */
  const char *next_name;
} choice_branch;

typedef struct {
  choice_branch *v;
  size_t n;
  int dflt; /* -1: none */
} choice_data;

static int choice_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  choice_data *c = asl_calloc(1, sizeof *c);
  st->data = c;
  c->dflt = -1;
  const cJSON *arr = asl_json_get(def, "Choices");
  char *at = asl_loc_join(st->loc, "Choices");
  int rc = 0;
  if (!cJSON_IsArray(arr) || !arr->child) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", arr ? at : st->loc,
                 arr ? "The field 'Choices' must be a non-empty array"
                     : "These fields are required: [Choices]");
    free(at);
    return -1;
  }
  c->n = (size_t)cJSON_GetArraySize(arr);
  c->v = asl_calloc(c->n, sizeof *c->v);
  size_t i = 0;
  for (const cJSON *r = arr->child; r; r = r->next, i++) {
    choice_branch *b = &c->v[i];
    char *rl = asl_sprintf("%s[%zu]", at, i);
    const cJSON *n = asl_json_get(r, "Next");
    if (cJSON_IsString(n)) {
      b->next_name = n->valuestring;
    } else {
      asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", rl,
                   "These fields are required: [Next]");
      rc = -1;
    }
    if (st->query_lang == ASL_QL_JSONPATH) {
      b->rule = asl_choice_rule_compile(r, rl, 1, d);
      if (!b->rule) rc = -1;
      const cJSON *a = asl_json_get(r, "Assign");
      if (a) {
        char *al = asl_loc_join(rl, "Assign");
        b->assign = asl_template_compile(a, al, d);
        if (!b->assign) rc = -1;
        free(al);
      }
    }
    free(rl);
  }
  free(at);
  return rc;
}

/* Index of the state called name in the graph that holds st. */
static int index_in_graph(const asl_state *st, const char *name) {
  return asl_graph_find(st->graph, name);
}

static int choice_run(const asl_state *st, const cJSON *input,
                      const asl_scope *s, double now, asl_step *out,
                      asl_error *err) {
  const choice_data *c = st->data;
  out->skip_result = 1;
  if (st->query_lang == ASL_QL_JSONATA)
    return asl_error_set(err, "States.Runtime",
                         "JSONata Choice conditions are not implemented yet");
  for (size_t i = 0; i < c->n; i++) {
    int m = 0;
    if (asl_choice_rule_eval(c->v[i].rule, s, &m, err) < 0) return -1;
    if (m) {
      out->next = index_in_graph(st, c->v[i].next_name);
      out->assign = c->v[i].assign;
      return 0;
    }
  }
  const cJSON *dflt = asl_json_get(st->def, "Default");
  if (cJSON_IsString(dflt)) {
    out->next = index_in_graph(st, dflt->valuestring);
    return 0;
  }
  return asl_error_set(err, "States.NoChoiceMatched",
                       "No Matches! in state '%s'", st->name);
}

static void choice_free(asl_state *st) {
  choice_data *c = st->data;
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) {
    asl_choice_rule_free(c->v[i].rule);
    asl_template_free(c->v[i].assign);
  }
  free(c->v);
  free(c);
}

const asl_state_ops asl_choice_ops = {
    "Choice", ASL_KIND_SIMPLE,    ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_ASSIGN |
                     ASL_F_OUTPUT,
    extra,       choice_compile,
    choice_run,  choice_free,
};
