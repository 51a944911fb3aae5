/* machine.c: the loader and validator. Turns a definition into an immutable
 * asl_machine, reporting every problem it finds (not just the first) with a
 * JSON Pointer location and AWS's code and words. */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonata/jsonata.h"
#include "limits.h"
#include "retry.h"

#define SCHEMA "SCHEMA_VALIDATION_FAILED"

static const char *const top_fields[] = {"Comment",  "StartAt",
                                         "States",   "TimeoutSeconds",
                                         "Version",  "QueryLanguage", NULL};

/* Common fields: name, bit, JSONPath-only (1) / JSONata-only (2) / both (0). */
static const struct {
  const char *name;
  unsigned bit;
  int lang;
} common_fields[] = {
    {"Next", ASL_F_NEXT, 0},
    {"End", ASL_F_NEXT, 0},
    {"InputPath", ASL_F_INPUTPATH, 1},
    {"OutputPath", ASL_F_OUTPUTPATH, 1},
    {"ResultPath", ASL_F_RESULTPATH, 1},
    {"Parameters", ASL_F_PARAMETERS, 1},
    {"ResultSelector", ASL_F_RESULTSELECTOR, 1},
    {"Retry", ASL_F_RETRY, 0},
    {"Catch", ASL_F_RETRY, 0},
    {"Assign", ASL_F_ASSIGN, 0},
    {"Output", ASL_F_OUTPUT, 2},
    {"Arguments", ASL_F_ARGUMENTS, 2},
};
#define N_COMMON (sizeof common_fields / sizeof common_fields[0])

/* Type-specific fields that belong to one query language only. */
static const char *const jsonpath_only[] = {
    "ItemsPath",          "SecondsPath",
    "TimestampPath",      "ErrorPath",
    "CausePath",          "TimeoutSecondsPath",
    "HeartbeatSecondsPath", "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath", "ToleratedFailureCountPath",
    "Parameters",         NULL};
static const char *const jsonata_only[] = {"Items", NULL};

static int in_list(const char *const *l, const char *s) {
  for (; l && *l; l++)
    if (strcmp(*l, s) == 0) return 1;
  return 0;
}

char *asl_loc_join(const char *loc, const char *field) {
  asl_buf b = {0};
  asl_buf_puts(&b, strcmp(loc, "/") == 0 ? "" : loc);
  asl_buf_putc(&b, '/');
  for (const char *p = field; *p; p++) {
    if (*p == '~') asl_buf_puts(&b, "~0");
    else if (*p == '/') asl_buf_puts(&b, "~1");
    else asl_buf_putc(&b, *p);
  }
  return asl_buf_take(&b);
}

int asl_compile_opt_path(asl_opt_path *p, const cJSON *def, const char *field,
                         const char *loc, int flags, asl_diags *d) {
  const cJSON *v = asl_json_get(def, field);
  memset(p, 0, sizeof *p);
  if (!v) return 0;
  p->present = 1;
  if (cJSON_IsNull(v)) {
    p->is_null = 1;
    return 0;
  }
  char *msg = NULL;
  char *at = asl_loc_join(loc, field);
  if (cJSON_IsString(v)) p->path = asl_path_compile(v->valuestring, flags, &msg);
  if (!p->path) {
    if (flags & ASL_PATH_REFERENCE)
      asl_diag_add(d, SCHEMA, at,
                   "The value for the field '%s' must be a valid "
                   "ReferencePath",
                   field);
    else
      asl_diag_add(d, SCHEMA, at,
                   "The value for the field '%s' must be a valid JSONPath",
                   field);
  }
  free(msg);
  free(at);
  return p->path ? 0 : -1;
}

int asl_compile_int(const cJSON *def, const char *field, const char *loc,
                    long long min, long long *out, int *present,
                    asl_diags *d) {
  const cJSON *v = asl_json_get(def, field);
  *out = 0;
  if (present) *present = v != NULL;
  if (!v) return 0;
  long long n;
  if (!asl_json_as_int64(v, &n) || n < min) {
    char *at = asl_loc_join(loc, field);
    asl_diag_add(d, SCHEMA, at, "The field '%s' must be an integer >= %lld",
                 field, min);
    free(at);
    return -1;
  }
  *out = n;
  return 0;
}

static const asl_state_ops *find_type(const char *t) {
  for (size_t i = 0; asl_state_types[i]; i++)
    if (strcmp(asl_state_types[i]->type, t) == 0) return asl_state_types[i];
  return NULL;
}

static size_t name_hash(const char *s) {
  size_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

int asl_graph_find(const asl_graph *g, const char *name) {
  if (!g->nslots) return -1;
  for (size_t i = name_hash(name) & (g->nslots - 1);;
       i = (i + 1) & (g->nslots - 1)) {
    int k = g->slots[i];
    if (!k) return -1;
    if (strcmp(g->states[k - 1].name, name) == 0) return k - 1;
  }
}

/* Builds the name table; a duplicate name is reported (state names are
 * unique in a graph), and the first state of that name is the one found. */
static int index_names(asl_graph *g, asl_diags *d) {
  int rc = 0;
  g->nslots = 8;
  while (g->nslots < 2 * g->n + 1) g->nslots *= 2;
  g->slots = asl_calloc(g->nslots, sizeof *g->slots);
  for (size_t n = 0; n < g->n; n++) {
    if (asl_graph_find(g, g->states[n].name) >= 0) {
      asl_diag_add(d, SCHEMA, g->states[n].loc, "Duplicate state name '%s'",
                   g->states[n].name);
      rc = -1;
      continue;
    }
    size_t i = name_hash(g->states[n].name) & (g->nslots - 1);
    while (g->slots[i]) i = (i + 1) & (g->nslots - 1);
    g->slots[i] = (int)n + 1;
  }
  return rc;
}

static int find_state(const asl_graph *g, const char *name) {
  return asl_graph_find(g, name);
}

/* Checks that a variable name in Assign is one AWS accepts. */
static int valid_var_name(const char *s) {
  if (!*s || strlen(s) > ASL_MAX_NAME) return 0;
  if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
    return 0;
  for (const char *p = s; *p; p++)
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || (unsigned char)*p >= 0x80))
      return 0;
  return strcmp(s, "states") != 0;
}

static int compile_assign(asl_state *st, const cJSON *def, asl_diags *d) {
  const cJSON *a = asl_json_get(def, "Assign");
  if (!a) return 0;
  char *at = asl_loc_join(st->loc, "Assign");
  int rc = 0;
  if (!cJSON_IsObject(a)) {
    asl_diag_add(d, SCHEMA, at, "The field 'Assign' must be an object");
    rc = -1;
    goto out;
  }
  for (const cJSON *c = a->child; c; c = c->next) {
    char *name = asl_strdup(c->string);
    size_t k = strlen(name);
    if (st->query_lang == ASL_QL_JSONPATH && k >= 2 &&
        strcmp(name + k - 2, ".$") == 0)
      name[k - 2] = 0;
    if (!valid_var_name(name)) {
      asl_diag_add(d, SCHEMA, at, "The variable name '%s' is not valid",
                   name);
      rc = -1;
    }
    free(name);
  }
  if (rc == 0 && st->query_lang == ASL_QL_JSONPATH) {
    st->assign = asl_template_compile(a, at, d);
    if (!st->assign) rc = -1;
  }
out:
  free(at);
  return rc;
}

/* Fields present in def that the state's type and query language allow. */
static int check_fields(asl_state *st, const cJSON *def, asl_diags *d) {
  int rc = 0;
  for (const cJSON *c = def->child; c; c = c->next) {
    const char *f = c->string;
    if (strcmp(f, "Type") == 0 || strcmp(f, "Comment") == 0 ||
        strcmp(f, "QueryLanguage") == 0)
      continue;
    int lang = 0, ok = 0;
    for (size_t i = 0; i < N_COMMON; i++)
      if (strcmp(common_fields[i].name, f) == 0) {
        ok = (st->ops->fields & common_fields[i].bit) != 0;
        lang = common_fields[i].lang;
      }
    if (!ok && in_list(st->ops->extra, f)) ok = 1;
    if (in_list(jsonpath_only, f)) lang = 1;
    if (in_list(jsonata_only, f)) lang = 2;
    if (!ok) {
      asl_diag_add(d, SCHEMA, st->loc, "Field '%s' is not supported", f);
      rc = -1;
    } else if (lang == 2 && st->query_lang == ASL_QL_JSONPATH) {
      asl_diag_add(d, SCHEMA, st->loc,
                   "The QueryLanguage is set to 'JSONPath', but field '%s' "
                   "is only supported for the 'JSONata' QueryLanguage",
                   f);
      rc = -1;
    } else if (lang == 1 && st->query_lang == ASL_QL_JSONATA) {
      asl_diag_add(d, SCHEMA, st->loc,
                   "The QueryLanguage is set to 'JSONata', but field '%s' "
                   "is only supported for the 'JSONPath' QueryLanguage",
                   f);
      rc = -1;
    }
  }
  return rc;
}

static int compile_query_lang(const cJSON *obj, const char *loc, int parent,
                              int *out, asl_diags *d) {
  const cJSON *q = asl_json_get(obj, "QueryLanguage");
  *out = parent;
  if (!q) return 0;
  char *at = asl_loc_join(loc, "QueryLanguage");
  int rc = 0;
  if (cJSON_IsString(q) && strcmp(q->valuestring, "JSONata") == 0) {
    *out = ASL_QL_JSONATA;
  } else if (cJSON_IsString(q) && strcmp(q->valuestring, "JSONPath") == 0) {
    if (parent == ASL_QL_JSONATA) {
      asl_diag_add(d, SCHEMA, loc,
                   "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' "
                   "for whole state machine");
      rc = -1;
    }
    *out = ASL_QL_JSONPATH;
  } else {
    asl_diag_add(d, SCHEMA, at,
                 "The field 'QueryLanguage' must be 'JSONPath' or 'JSONata'");
    rc = -1;
  }
  free(at);
  return rc;
}

/* Whether s is a JSONata expression string: "{%" ... "%}". */
static int is_jexpr(const char *s) {
  size_t k = strlen(s);
  return k >= 4 && strncmp(s, "{%", 2) == 0 && strcmp(s + k - 2, "%}") == 0;
}

/* The expressions a graph has compiled so far, by their "{% ... %}"
 * string (borrowed from the definition): a machine repeats the same few
 * expressions ($states.input, $states.input.id, ...) across its states, and
 * each is compiled once. Open addressing; cap a power of two. */
typedef struct jcache {
  const char **keys;
  jsonata **vals;
  size_t n, cap;
} jcache;

static size_t jcache_hash(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static jsonata *jcache_get(const jcache *c, const char *s) {
  if (!c || !c->cap) return NULL;
  for (size_t i = jcache_hash(s) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
    if (!c->keys[i]) return NULL;
    if (strcmp(c->keys[i], s) == 0) return c->vals[i];
  }
}

static void jcache_put(jcache *c, const char *s, jsonata *x) {
  if (!c) return;
  if (2 * (c->n + 1) > c->cap) {
    jcache old = *c;
    c->cap = old.cap ? old.cap * 2 : 64;
    c->n = 0;
    c->keys = asl_calloc(c->cap, sizeof *c->keys);
    c->vals = asl_calloc(c->cap, sizeof *c->vals);
    for (size_t i = 0; i < old.cap; i++)
      if (old.keys[i]) jcache_put(c, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
  }
  size_t i = jcache_hash(s) & (c->cap - 1);
  while (c->keys[i])
    i = (i + 1) & (c->cap - 1);
  c->keys[i] = s;
  c->vals[i] = x;
  c->n++;
}

/* Whether the expression of the "{% ... %}" string s may read
 * $states.context. It may not when its text has no "context" and no "%"
 * (the parent operator, which could step back up from $states.input to
 * $states) and each "$states" in it is followed by "." and a letter: then
 * $states is only ever stepped into by a plain name other than context
 * ($states.input, $states.result, $states.errorOutput), never read whole
 * ($states, $states.*, $keys($states), $states.`context`, ...). A
 * conservative test: text in a string literal or comment only makes it
 * answer yes. */
static int jreads_context(const char *s) {
  size_t n = strlen(s) - 4; /* between the delimiters */
  const char *p = s + 2, *end = p + n;
  for (const char *q = p; q < end; q++) {
    if (*q == '%') return 1;
    if ((size_t)(end - q) >= 7 && memcmp(q, "context", 7) == 0) return 1;
    if ((size_t)(end - q) >= 7 && memcmp(q, "$states", 7) == 0) {
      if ((size_t)(end - q) < 9 || q[7] != '.' ||
          !((q[8] >= 'a' && q[8] <= 'z') || (q[8] >= 'A' && q[8] <= 'Z')))
        return 1;
    }
  }
  return 0;
}

/* Compiles every "{% ... %}" string under v (at JSON Pointer at) into
 * st->jexprs; a syntax error is a validation error at its pointer naming
 * the JSONata error. Nested state graphs (Branches, ItemProcessor,
 * Iterator) are their own states' business and are not entered. A string
 * in cache (the graph's earlier states) is not compiled again. */
static int compile_jexprs(asl_state *st, const cJSON *v, const char *at,
                          int top, jcache *cache, asl_diags *d) {
  int rc = 0;
  if (cJSON_IsString(v) && is_jexpr(v->valuestring)) {
    const char *s = v->valuestring;
    if (jreads_context(s)) st->jno_context = 0;
    jsonata *x = jcache_get(cache, s);
    if (x) {
      st->jexprs = realloc(st->jexprs, (st->n_jexprs + 1) * sizeof *st->jexprs);
      if (!st->jexprs) abort();
      st->jexprs[st->n_jexprs].node = v;
      st->jexprs[st->n_jexprs].expr = x;
      st->jexprs[st->n_jexprs].borrowed = 1;
      st->n_jexprs++;
      return 0;
    }
    size_t k = strlen(s);
    char *text = asl_strdup(s + 2);
    text[k - 4] = 0;
    jsonata_error e;
    x = jsonata_compile(text, &e);
    if (!x) {
      asl_diag_add(d, SCHEMA, at,
                   "The JSONata expression '%s' is invalid: %s: %s", text,
                   e.code, e.message);
      rc = -1;
    } else {
      st->jexprs = realloc(st->jexprs, (st->n_jexprs + 1) * sizeof *st->jexprs);
      if (!st->jexprs) abort();
      st->jexprs[st->n_jexprs].node = v;
      st->jexprs[st->n_jexprs].expr = x;
      st->jexprs[st->n_jexprs].borrowed = 0;
      st->n_jexprs++;
      jcache_put(cache, s, x);
    }
    free(text);
    return rc;
  }
  if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) return 0;
  int i = 0;
  for (const cJSON *c = v->child; c; c = c->next, i++) {
    if (top && c->string &&
        (strcmp(c->string, "Branches") == 0 ||
         strcmp(c->string, "ItemProcessor") == 0 ||
         strcmp(c->string, "Iterator") == 0 ||
         strcmp(c->string, "Comment") == 0))
      continue;
    char idx[24];
    snprintf(idx, sizeof idx, "%d", i);
    char *sub = asl_loc_join(at, cJSON_IsObject(v) ? c->string : idx);
    if (compile_jexprs(st, c, sub, 0, cache, d) < 0) rc = -1;
    free(sub);
  }
  return rc;
}

const struct jsonata *asl_state_jsonata(const asl_state *st,
                                        const cJSON *node) {
  for (size_t i = 0; i < st->n_jexprs; i++)
    if (st->jexprs[i].node == node) return st->jexprs[i].expr;
  return NULL;
}

/* Compiles the common fields of one state, then its type's own. */
static int compile_state(asl_state *st, const cJSON *def, int graph_ql,
                         jcache *cache, asl_diags *d) {
  int rc = 0;
  st->def = def;
  st->next = -1;
  if (!cJSON_IsObject(def)) {
    asl_diag_add(d, SCHEMA, st->loc, "The state must be an object");
    return -1;
  }
  const cJSON *type = asl_json_get(def, "Type");
  if (!type) {
    asl_diag_add(d, SCHEMA, st->loc, "These fields are required: [Type]");
    return -1;
  }
  st->ops = cJSON_IsString(type) ? find_type(type->valuestring) : NULL;
  if (!st->ops) {
    char *at = asl_loc_join(st->loc, "Type");
    asl_diag_add(d, SCHEMA, at,
                 "The field 'Type' must be one of [Pass, Task, Choice, Wait, "
                 "Succeed, Fail, Parallel, Map]");
    free(at);
    return -1;
  }
  st->ev_entered = asl_sprintf("%sStateEntered", st->ops->type);
  st->ev_exited = asl_sprintf("%sStateExited", st->ops->type);
  if (strlen(st->name) > ASL_MAX_NAME) {
    asl_diag_add(d, SCHEMA, st->loc,
                 "State name exceeds the maximum length of %d characters",
                 ASL_MAX_NAME);
    rc = -1;
  }
  if (compile_query_lang(def, st->loc, graph_ql, &st->query_lang, d) < 0)
    rc = -1;
  if (check_fields(st, def, d) < 0) rc = -1;
  if (st->ops->fields & ASL_F_NEXT) {
    const cJSON *next = asl_json_get(def, "Next"), *end = asl_json_get(def, "End");
    if (end && !cJSON_IsTrue(end)) {
      char *at = asl_loc_join(st->loc, "End");
      asl_diag_add(d, SCHEMA, at, "The field 'End' must be true");
      free(at);
      rc = -1;
    }
    if (next && !cJSON_IsString(next)) {
      char *at = asl_loc_join(st->loc, "Next");
      asl_diag_add(d, SCHEMA, at, "The field 'Next' must be a string");
      free(at);
      rc = -1;
    }
    if (next && cJSON_IsTrue(end)) {
      asl_diag_add(d, SCHEMA, st->loc,
                   "Only one of 'Next' or 'End' can be specified");
      rc = -1;
    } else if (!next && !end) {
      asl_diag_add(d, SCHEMA, st->loc,
                   "The field 'Next' or 'End' is required");
      rc = -1;
    }
    st->end = cJSON_IsTrue(end);
  }
  if (st->query_lang == ASL_QL_JSONPATH) {
    if (asl_compile_opt_path(&st->input_path, def, "InputPath", st->loc, 0,
                             d) < 0)
      rc = -1;
    if (asl_compile_opt_path(&st->output_path, def, "OutputPath", st->loc, 0,
                             d) < 0)
      rc = -1;
    if (asl_compile_opt_path(&st->result_path, def, "ResultPath", st->loc,
                             ASL_PATH_REFERENCE, d) < 0)
      rc = -1;
    const char *tpl[] = {"Parameters", "ResultSelector"};
    asl_template **dst[] = {&st->parameters, &st->result_selector};
    for (int i = 0; i < 2; i++) {
      const cJSON *v = asl_json_get(def, tpl[i]);
      if (!v) continue;
      char *at = asl_loc_join(st->loc, tpl[i]);
      *dst[i] = asl_template_compile(v, at, d);
      if (!*dst[i]) rc = -1;
      free(at);
    }
  }
  if (compile_assign(st, def, d) < 0) rc = -1;
  st->jno_context = st->query_lang == ASL_QL_JSONATA; /* till one reads it */
  if (st->query_lang == ASL_QL_JSONATA &&
      compile_jexprs(st, def, st->loc, 1, cache, d) < 0)
    rc = -1;
  if (st->ops->fields & ASL_F_RETRY) {
    st->retry = asl_retry_compile(def, st->loc, st->query_lang, d);
    if (!st->retry) rc = -1;
  }
  if (st->ops->compile && st->ops->compile(st, def, d) < 0) rc = -1;
  return rc;
}

/* The names a state can go to: Next, Default, Choices[].Next, Catch[].Next,
 * each with the JSON Pointer of where it is written. */
typedef void (*target_fn)(void *ud, const char *name, const char *loc);

static void each_target(const asl_state *st, target_fn fn, void *ud) {
  const cJSON *def = st->def, *v;
  if (!cJSON_IsObject(def)) return;
  if (cJSON_IsString(v = asl_json_get(def, "Next"))) {
    char *at = asl_loc_join(st->loc, "Next");
    fn(ud, v->valuestring, at);
    free(at);
  }
  if (cJSON_IsString(v = asl_json_get(def, "Default"))) {
    char *at = asl_loc_join(st->loc, "Default");
    fn(ud, v->valuestring, at);
    free(at);
  }
  const char *arrays[] = {"Choices", "Catch"};
  for (int a = 0; a < 2; a++) {
    const cJSON *arr = asl_json_get(def, arrays[a]);
    if (!cJSON_IsArray(arr)) continue;
    int i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
      const cJSON *n = asl_json_get(c, "Next");
      if (!cJSON_IsString(n)) continue;
      char *at = asl_sprintf("%s/%s[%d]/Next", st->loc, arrays[a], i);
      fn(ud, n->valuestring, at);
      free(at);
    }
  }
}

typedef struct {
  const asl_graph *g;
  asl_diags *d;
  char *seen;
  int *stack;
  size_t sp;
  int missing;
} walk;

static void check_target(void *ud, const char *name, const char *loc) {
  walk *w = ud;
  int i = find_state(w->g, name);
  if (i < 0) {
    asl_diag_add(w->d, "MISSING_TRANSITION_TARGET", loc,
                 "Missing 'Next' target: %s", name);
    w->missing = 1;
  }
}

static void push_target(void *ud, const char *name, const char *loc) {
  walk *w = ud;
  int i = find_state(w->g, name);
  if (i >= 0 && !w->seen[i]) {
    w->seen[i] = 1;
    w->stack[w->sp++] = i;
  }
}

static int is_terminal(const asl_state *st) {
  if (!st->ops) return 1; /* already reported */
  return st->end || strcmp(st->ops->type, "Succeed") == 0 ||
         strcmp(st->ops->type, "Fail") == 0;
}

/* Transition targets exist, a terminal state exists, all states reachable. */
static int check_graph(asl_graph *g, asl_diags *d) {
  walk w = {g, d, asl_calloc(g->n, 1), asl_calloc(g->n, sizeof(int)), 0, 0};
  int rc = 0, terminal = 0;
  for (size_t i = 0; i < g->n; i++) {
    each_target(&g->states[i], check_target, &w);
    if (is_terminal(&g->states[i])) terminal = 1;
  }
  if (w.missing) rc = -1;
  if (!terminal) {
    asl_diag_add(d, "MISSING_END_STATE", NULL,
                 "Workflow has no terminal state");
    rc = -1;
  } else if (g->start >= 0) {
    w.seen[g->start] = 1;
    w.stack[w.sp++] = g->start;
    while (w.sp) each_target(&g->states[w.stack[--w.sp]], push_target, &w);
    for (size_t i = 0; i < g->n; i++)
      if (!w.seen[i]) {
        asl_diag_add(d, "MISSING_TRANSITION_TARGET", g->states[i].loc,
                     "State \"%s\" is not reachable.", g->states[i].name);
        rc = -1;
      }
  }
  /* Resolve Next to indices for the executor. */
  for (size_t i = 0; i < g->n; i++) {
    const cJSON *n = asl_json_get(g->states[i].def, "Next");
    if (cJSON_IsString(n)) g->states[i].next = find_state(g, n->valuestring);
  }
  free(w.seen);
  free(w.stack);
  return rc;
}

int asl_graph_compile(asl_graph *g, const cJSON *obj, const char *loc,
                      int query_lang, const asl_load_opts *o, asl_diags *d) {
  int rc = 0;
  memset(g, 0, sizeof *g);
  g->start = -1;
  g->query_lang = query_lang;
  g->loc = loc;
  const cJSON *start = asl_json_get(obj, "StartAt");
  const cJSON *states = asl_json_get(obj, "States");
  if (!start || !states) {
    asl_diag_add(d, SCHEMA, loc, "These fields are required: [%s%s%s]",
                 start ? "" : "StartAt", !start && !states ? ", " : "",
                 states ? "" : "States");
    return -1;
  }
  char *sloc = asl_loc_join(loc, "States");
  if (!cJSON_IsObject(states) || !states->child) {
    asl_diag_add(d, SCHEMA, sloc, "The field 'States' must be a non-empty "
                                  "object");
    free(sloc);
    return -1;
  }
  g->n = (size_t)cJSON_GetArraySize(states);
  g->states = asl_calloc(g->n, sizeof *g->states);
  size_t i = 0;
  jcache cache = {0};
  for (const cJSON *c = states->child; c; c = c->next, i++) {
    asl_state *st = &g->states[i];
    st->name = asl_strdup(c->string);
    st->loc = asl_loc_join(sloc, c->string);
    st->graph_index = i;
    st->graph = g;
    st->machine_type = o && o->type ? o->type : "STANDARD";
    st->graph_size = g->n;
    if (compile_state(st, c, query_lang, &cache, d) < 0) rc = -1;
  }
  free(cache.keys);
  free(cache.vals);
  free(sloc);
  if (index_names(g, d) < 0) rc = -1;
  if (!cJSON_IsString(start)) {
    char *at = asl_loc_join(loc, "StartAt");
    asl_diag_add(d, SCHEMA, at, "The field 'StartAt' must be a string");
    free(at);
    return -1;
  }
  g->start = find_state(g, start->valuestring);
  if (g->start < 0) {
    char *at = asl_loc_join(loc, "StartAt");
    asl_diag_add(d, "MISSING_TRANSITION_TARGET", at,
                 "Missing 'Next' target: %s", start->valuestring);
    free(at);
    rc = -1;
  }
  if (check_graph(g, d) < 0) rc = -1;
  return rc;
}

void asl_graph_free(asl_graph *g) {
  for (size_t i = 0; i < g->n; i++) {
    asl_state *st = &g->states[i];
    if (st->ops && st->ops->free) st->ops->free(st);
    asl_path_free(st->input_path.path);
    asl_path_free(st->output_path.path);
    asl_path_free(st->result_path.path);
    asl_template_free(st->parameters);
    asl_template_free(st->result_selector);
    asl_template_free(st->assign);
    asl_retry_free(st->retry);
    for (size_t j = 0; j < st->n_jexprs; j++)
      if (!st->jexprs[j].borrowed) jsonata_free(st->jexprs[j].expr);
    free(st->jexprs);
    free(st->ev_entered);
    free(st->ev_exited);
    free(st->name);
    free(st->loc);
  }
  free(g->states);
  free(g->slots);
  memset(g, 0, sizeof *g);
}

/* Loads the definition def, which the machine takes. */
static asl_machine *load_take(cJSON *def, const asl_load_opts *o,
                              asl_diags *d) {
  static const asl_load_opts dflt = {0};
  if (!o) o = &dflt;
  if (!cJSON_IsObject(def)) {
    asl_diag_add(d, SCHEMA, "/", "The definition must be a JSON object");
    cJSON_Delete(def);
    return NULL;
  }
  asl_machine *m = asl_calloc(1, sizeof *m);
  m->def = def;
  m->name = asl_strdup(o->name ? o->name : "asl");
  m->type = asl_strdup(o->type ? o->type : "STANDARD");
  m->arn = asl_sprintf("arn:aws:states:us-east-1:123456789012:stateMachine:%s",
                       m->name);
  m->role_arn = asl_strdup(o->role_arn ? o->role_arn
                                       : "arn:aws:iam::123456789012:role/"
                                         "asl-local");
  int rc = 0, ql = ASL_QL_JSONPATH;
  for (const cJSON *c = m->def->child; c; c = c->next)
    if (!in_list(top_fields, c->string)) {
      asl_diag_add(d, SCHEMA, "/", "Field '%s' is not supported", c->string);
      rc = -1;
    }
  if (compile_query_lang(m->def, "/", ASL_QL_JSONPATH, &ql, d) < 0) rc = -1;
  if (asl_compile_int(m->def, "TimeoutSeconds", "/", 1, &m->timeout_seconds,
                      NULL, d) < 0)
    rc = -1;
  if (asl_graph_compile(&m->top, m->def, "/", ql, o, d) < 0) rc = -1;
  if (rc < 0 || asl_diag_errors(d)) {
    asl_machine_free(m);
    return NULL;
  }
  return m;
}

asl_machine *asl_machine_load_json(const cJSON *def, const asl_load_opts *o,
                                   asl_diags *d) {
  return load_take(cJSON_IsObject(def) ? asl_json_dup(def) : NULL, o, d);
}

asl_machine *asl_machine_load(const char *text, size_t len,
                              const asl_load_opts *o, asl_diags *d) {
  if (len > ASL_MAX_DEFINITION) {
    asl_diag_add(d, SCHEMA, "/",
                 "The definition is larger than the maximum of %d bytes",
                 ASL_MAX_DEFINITION);
    return NULL;
  }
  char *msg = NULL;
  cJSON *def = asl_json_parse(text, len, &msg);
  if (!def) {
    asl_diag_add(d, "INVALID_JSON_DESCRIPTION", "/", "%s", msg);
    free(msg);
    return NULL;
  }
  return load_take(def, o, d);
}

void asl_machine_free(asl_machine *m) {
  if (!m) return;
  asl_graph_free(&m->top);
  cJSON_Delete(m->def);
  free(m->name);
  free(m->arn);
  free(m->type);
  free(m->role_arn);
  free(m);
}

const char *asl_machine_arn(const asl_machine *m) { return m->arn; }

cJSON *asl_diags_to_json(const asl_diags *d) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "result", asl_diag_errors(d) ? "FAIL" : "OK");
  cJSON *arr = cJSON_AddArrayToObject(r, "diagnostics");
  for (size_t i = 0; i < d->n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "severity", d->v[i].severity);
    cJSON_AddStringToObject(o, "code", d->v[i].code);
    cJSON_AddStringToObject(o, "message", d->v[i].message);
    if (d->v[i].location)
      cJSON_AddStringToObject(o, "location", d->v[i].location);
    cJSON_AddItemToArray(arr, o);
  }
  cJSON_AddBoolToObject(r, "truncated", 0);
  return r;
}
