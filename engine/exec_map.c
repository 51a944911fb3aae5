/* exec_map.c: Parallel and Map states. Branches and iterations are child
 * frames of the same scheduler, so MaxConcurrency is real without a thread
 * per item, and only the running iterations are in memory: a finished
 * iteration leaves its output and is freed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_int.h"
#include "json.h"
#include "limits.h"

static const asl_state *state_of(const frame *f) {
  return &f->g->states[f->cur];
}

/* ---- aborting children ---- */

static void unlink_frame(asl_exec *x, frame *f) {
  if (f->queued) {
    frame **pp = &x->ready_head, *prev = NULL;
    while (*pp && *pp != f) {
      prev = *pp;
      pp = &(*pp)->next_ready;
    }
    if (*pp) {
      *pp = f->next_ready;
      if (x->ready_tail == f) x->ready_tail = prev;
    }
    f->queued = 0;
  }
  if (!f->in_sleepers) return;
  size_t k = 0;
  for (size_t i = 0; i < x->nsleep; i++)
    if (x->sleepers[i] != f) x->sleepers[k++] = x->sleepers[i];
  x->nsleep = k;
  f->in_sleepers = 0;
}

/* What a result of NULL is written as (a Map iteration with no output). */
static cJSON null_item = {NULL, NULL, NULL, cJSON_NULL, NULL, 0, 0, NULL};

void exec_kids_abort(frame *f) {
  if (!f || !f->kids) return;
  for (size_t i = 0; i < f->nkids; i++) {
    frame *k = f->kids[i];
    if (!k) continue;
    exec_child_end(k, "ExecutionAborted");
    exec_kids_abort(k);
    exec_task_abandon(k);
    unlink_frame(f->x, k);
    exec_frame_free(k);
    f->kids[i] = NULL;
  }
  free(f->kids);
  f->kids = NULL;
}

/* Drops the results of an earlier attempt (a retry, or a restored state). */
static void clear_results(frame *f) {
  if (!f->resv) return;
  for (size_t i = 0; i < f->nkids; i++) cJSON_Delete(f->resv[i]);
  free(f->resv);
  f->resv = NULL;
}

/* ---- Parallel ---- */

void exec_parallel_start(frame *f) {
  asl_exec *x = f->x;
  const asl_parallel_spec *p = state_of(f)->data;
  exec_kids_abort(f);
  clear_results(f);
  exec_event(x, f, "ParallelStateStarted", NULL, NULL, f->last);
  f->nkids = p->n;
  f->finished = f->nfailed = 0;
  f->kids = asl_calloc(p->n, sizeof *f->kids);
  f->resv = asl_calloc(p->n, sizeof *f->resv);
  f->phase = PH_CHILDREN;
  for (size_t i = 0; i < p->n; i++) {
    frame *k = exec_frame_new(x, &p->branches[i], f, i, asl_json_dup(f->eff));
    k->last = f->last;
    f->kids[i] = k;
    exec_ready(x, k);
  }
}

static cJSON *take_results(frame *f, size_t n) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    cJSON_AddItemToArray(arr, f->resv[i] ? f->resv[i] : cJSON_CreateNull());
    f->resv[i] = NULL;
  }
  return arr;
}

static void parallel_child_done(frame *f, frame *k) {
  asl_exec *x = f->x;
  size_t slot = k->slot;
  int last = k->last;
  if (k->failed) {
    asl_error e = {0};
    asl_error_move(&e, &k->err);
    exec_kids_abort(f); /* frees k too */
    f->last = last;
    exec_state_error(f, &e, "ParallelStateFailed", last);
    return;
  }
  f->resv[slot] = k->output;
  k->output = NULL;
  f->kids[slot] = NULL;
  exec_frame_free(k);
  if (++f->finished < f->nkids) return;
  exec_event(x, f, "ParallelStateSucceeded", NULL, NULL, last);
  f->kids_last = last;
  cJSON *res = take_results(f, f->nkids);
  exec_activate(f);
  exec_state_result(f, res);
}

/* ---- Map ---- */

/* AWS quotes the offending value whatever its type: "NoNumber", "{}". */
static char *value_text(const cJSON *v) {
  if (cJSON_IsString(v)) return asl_sprintf("\"%s\"", v->valuestring);
  char *j = asl_json_print(v);
  char *q = asl_sprintf("\"%s\"", j);
  free(j);
  return q;
}

/* Reads an integer or number from a ...Path field of the Map. */
static int path_number(frame *f, const asl_opt_path *p, const char *field,
                       int integer, double *out, asl_error *err) {
  asl_scope s = exec_scope(f, f->eff);
  cJSON *v = NULL;
  if (asl_path_eval(p->path, &s, &v, NULL) != 0)
    return asl_error_set(err, "States.Runtime",
                         "The %s field refers to a value that does not exist: "
                         "%s",
                         field, asl_path_text(p->path));
  long long n;
  int ok = cJSON_IsNumber(v) && (!integer || asl_json_as_int64(v, &n));
  double d = ok ? v->valuedouble : 0;
  if (!ok && cJSON_IsString(v) && *v->valuestring) {
    /* AWS takes a number written as a string ("1"), as Java's parsers do */
    char *end = NULL;
    d = integer ? (double)strtoll(v->valuestring, &end, 10)
                : strtod(v->valuestring, &end);
    ok = end && *end == 0;
  }
  if (!ok) {
    char *t = value_text(v);
    asl_error_set(err, "States.Runtime",
                  "The %s field refers to value %s which is not a valid %s: "
                  "%s",
                  field, t, integer ? "integer" : "float",
                  asl_path_text(p->path));
    free(t);
  } else {
    *out = d;
  }
  cJSON_Delete(v);
  return ok ? 0 : -1;
}

/* JSONata mode: the numeric field name (a number or an expression) into
 * *out; *has 0 when absent. */
static int jnumber(frame *f, const char *name, int *has, double *out,
                   asl_error *err) {
  const asl_state *st = state_of(f);
  const cJSON *n = asl_json_get(st->def, name);
  *has = 0;
  if (!n) return 0;
  cJSON *bind = exec_jbindings(f, f->input, NULL, NULL), *v = NULL;
  int rc = exec_jeval(f, st, n, name, bind, &v, err);
  cJSON_Delete(bind);
  if (rc == 0 && !cJSON_IsNumber(v))
    rc = cJSON_IsString(n)
             ? exec_junexpected(f, n, name, "number", v, err)
             : asl_error_set(err, "States.QueryEvaluationError",
                             "The field '%s' must be a number", name);
  if (rc == 0) {
    *has = 1;
    *out = v->valuedouble;
  }
  cJSON_Delete(v);
  return rc;
}

/* JSONata mode: Items (or the input) and MaxConcurrency. */
static int jmap_setup(frame *f, asl_error *err) {
  const asl_state *st = state_of(f);
  const cJSON *in = asl_json_get(st->def, "Items");
  cJSON *items = NULL;
  if (in) {
    cJSON *bind = exec_jbindings(f, f->input, NULL, NULL);
    int rc = exec_jeval(f, st, in, "Items", bind, &items, err);
    cJSON_Delete(bind);
    if (rc < 0) return -1;
    if (!cJSON_IsArray(items)) {
      if (cJSON_IsString(in))
        exec_junexpected(f, in, "Items", "array", items, err);
      else
        asl_error_set(err, "States.QueryEvaluationError",
                      "The field 'Items' must be an array");
      cJSON_Delete(items);
      return -1;
    }
  } else {
    if (!cJSON_IsArray(f->input)) {
      char *t = asl_json_print(f->input);
      asl_error_set(err, "States.QueryEvaluationError",
                    "Map state input must be an array but was: %s", t);
      free(t);
      free(f->eval_loc);
      f->eval_loc = asl_strdup("");
      return -1;
    }
    items = asl_json_dup(f->input);
  }
  f->items = items;
  f->items_ro = items;
  int has;
  double v;
  f->max_conc = 0;
  if (jnumber(f, "MaxConcurrency", &has, &v, err) < 0) return -1;
  if (has) f->max_conc = (long long)v;
  return 0;
}

static int jmap_tolerance(frame *f, asl_error *err) {
  int hp, hc;
  double p = -1, c = -1;
  if (jnumber(f, "ToleratedFailurePercentage", &hp, &p, err) < 0 ||
      jnumber(f, "ToleratedFailureCount", &hc, &c, err) < 0)
    return -1;
  if (hp && (p < 0 || p > 100))
    return asl_error_set(err, "States.Runtime",
                         "ToleratedFailurePercentage must be between 0 and "
                         "100.");
  if (hc && c < 0)
    return asl_error_set(err, "States.Runtime",
                         "ToleratedFailureCount must be non-negative.");
  f->has_tolerance = hp || hc;
  f->tolerated_pct = hp ? p : -1;
  f->tolerated_count = hc ? (long long)c : -1;
  return 0;
}

/* Evaluates ItemsPath and the numeric settings. */
static int map_setup(frame *f, const asl_map_spec *m, asl_error *err) {
  if (state_of(f)->query_lang == ASL_QL_JSONATA) return jmap_setup(f, err);
  cJSON *items = NULL;
  asl_scope s = exec_scope(f, f->eff);
  const cJSON *view = m->items_path.path ? asl_path_lookup(m->items_path.path,
                                                           &s)
                                         : f->eff;
  if (cJSON_IsArray(view)) {
    /* the items stay where they are (in f->eff) for the Map's life */
    f->items_ro = view;
  } else if (m->items_path.path) {
    char *jm = NULL;
    if (asl_path_eval(m->items_path.path, &s, &items, &jm) != 0) {
      asl_error_set(err, "States.Runtime", "Invalid path '%s' : %s",
                    asl_path_text(m->items_path.path), jm ? jm : "");
      free(jm);
      return -1;
    }
  } else {
    items = asl_json_dup(f->eff);
  }
  if (!f->items_ro) {
    if (!cJSON_IsArray(items)) {
      char *t = asl_json_print(items);
      asl_error_set(err, "States.Runtime",
                    "Map state input must be an array but was: %s", t);
      free(t);
      cJSON_Delete(items);
      return -1;
    }
    f->items = items;
    f->items_ro = items;
  }
  double v;
  f->max_conc = m->max_conc;
  if (m->max_conc_path.path) {
    if (path_number(f, &m->max_conc_path, "MaxConcurrencyPath", 1, &v, err) <
        0)
      return -1;
    f->max_conc = (long long)v;
  }
  return 0;
}

/* The tolerated failure settings; AWS reads them after MapStateStarted. */
static int map_tolerance(frame *f, const asl_map_spec *m, asl_error *err) {
  if (state_of(f)->query_lang == ASL_QL_JSONATA) return jmap_tolerance(f, err);
  double v;
  f->has_tolerance = m->has_tol_pct || m->has_tol_count ||
                     m->tol_pct_path.path || m->tol_count_path.path;
  f->tolerated_pct = m->has_tol_pct ? m->tol_pct : -1;
  f->tolerated_count = m->has_tol_count ? m->tol_count : -1;
  if (m->tol_pct_path.path) {
    if (path_number(f, &m->tol_pct_path, "ToleratedFailurePercentagePath", 0,
                    &v, err) < 0)
      return -1;
    if (v < 0 || v > 100)
      return asl_error_set(err, "States.Runtime",
                           "ToleratedFailurePercentage must be between 0 and "
                           "100.");
    f->tolerated_pct = v;
  }
  if (m->tol_count_path.path) {
    if (path_number(f, &m->tol_count_path, "ToleratedFailureCountPath", 1, &v,
                    err) < 0)
      return -1;
    if (v < 0)
      return asl_error_set(err, "States.Runtime",
                           "ToleratedFailureCount must be non-negative.");
    f->tolerated_count = (long long)v;
  }
  return 0;
}

/* Shows $$.Map.Item of item i to the Map's own item selector. */
static void set_item_context(frame *f, size_t i, const cJSON *value) {
  f->sel_set = 1;
  f->sel_index = (long long)i;
  f->sel_value = value;
  exec_activate(f);
}

static void map_fail(frame *f, asl_error *err) {
  exec_kids_abort(f);
  exec_prefix_error(f, err);
  exec_state_error(f, err, NULL, 0);
}

/* Starts iteration i. Returns -1 when its item selector failed (the Map has
 * then failed). */
static int launch(frame *f, size_t i) {
  asl_exec *x = f->x;
  const asl_state *st = state_of(f);
  const asl_map_spec *m = st->data;
  const asl_template *sel = m->item_selector ? m->item_selector
                                             : st->parameters;
  cJSON *input;
  const cJSON *jsel = st->query_lang == ASL_QL_JSONATA
                          ? asl_json_get(st->def, "ItemSelector")
                          : NULL;
  if (jsel) {
    set_item_context(f, i, f->itemv[i]);
    cJSON *bind = exec_jbindings(f, f->input, NULL, NULL);
    asl_error err = {0};
    int rc = exec_jeval(f, st, jsel, "ItemSelector", bind, &input, &err);
    cJSON_Delete(bind);
    f->sel_set = 0;
    exec_activate(f);
    if (rc < 0) {
      map_fail(f, &err);
      return -1;
    }
  } else if (sel) {
    set_item_context(f, i, f->itemv[i]);
    asl_scope s = exec_scope(f, f->eff);
    asl_error err = {0};
    int rc = asl_template_eval(sel, &s, &input, &err);
    f->sel_set = 0;
    exec_activate(f);
    if (rc < 0) {
      map_fail(f, &err);
      return -1;
    }
  } else {
    input = asl_json_dup(f->itemv[i]);
  }
  frame *k = exec_frame_new(x, &m->g, f, i, input);
  k->is_item = 1;
  k->item_index = (long long)i;
  k->item_value = f->itemv[i];
  k->quiet = f->quiet || m->distributed;
  if (m->distributed && !m->child_express && f->map_run)
    exec_child_start(k, f->map_run, i);
  if (!k->quiet) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "index", (double)i);
    cJSON_AddStringToObject(d, "name", st->name);
    int prev = f->launch_prev;
    k->last = exec_event(x, NULL, "MapIterationStarted",
                         "mapIterationStartedEventDetails", d, prev);
  }
  f->kids[i] = k;
  f->launched++;
  exec_ready(x, k);
  return 0;
}

static size_t concurrency(const frame *f) {
  long long c = f->max_conc;
  if (c <= 0 || c > ASL_MAX_INLINE_MAP_CONCURRENCY)
    c = ASL_MAX_INLINE_MAP_CONCURRENCY;
  return (size_t)c;
}

static void launch_more(frame *f) {
  size_t c = concurrency(f);
  while (f->launched < f->nkids && f->launched - f->finished < c)
    if (launch(f, f->launched) < 0) return;
}

static void map_succeeded(frame *f) {
  asl_exec *x = f->x;
  const asl_map_spec *m = state_of(f)->data;
  int prev = f->kids_last;
  if (m->distributed) {
    prev = exec_event(x, f, "MapRunSucceeded", NULL, NULL, f->launch_prev);
    exec_event(x, f, "MapStateSucceeded", NULL, NULL, prev);
    f->kids_last = prev;
  } else {
    exec_event(x, f, "MapStateSucceeded", NULL, NULL, prev);
    f->kids_last = prev;
  }
  cJSON *res = take_results(f, f->nkids);
  exec_activate(f);
  exec_state_result(f, res);
}

void exec_map_start(frame *f) {
  asl_exec *x = f->x;
  const asl_map_spec *m = state_of(f)->data;
  asl_error err = {0};
  exec_kids_abort(f);
  cJSON_Delete(f->items);
  f->items = NULL;
  f->items_ro = NULL;
  if (map_setup(f, m, &err) < 0) {
    exec_prefix_error(f, &err);
    int evaluated = f->eval_loc != NULL;
    exec_eval_failed(f, &err);
    /* a JSONata evaluation that failed ends the Map with MapStateFailed */
    exec_state_error(f, &err, evaluated ? "MapStateFailed" : NULL,
                     evaluated ? f->last : 0);
    return;
  }
  size_t n = (size_t)cJSON_GetArraySize(f->items_ro);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "length", (double)n);
  exec_event(x, f, "MapStateStarted", "mapStateStartedEventDetails", d,
             f->last);
  f->launch_prev = f->last;
  if (map_tolerance(f, m, &err) < 0) {
    exec_prefix_error(f, &err);
    exec_state_error(f, &err, NULL, 0);
    return;
  }
  if (m->distributed) {
    cJSON *rd = cJSON_CreateObject();
    /* arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:UUID */
    const char *sm = strstr(x->m->arn, ":stateMachine:");
    const cJSON *label = asl_json_get(state_of(f)->def, "Label");
    uint64_t a = exec_rand(x), b = exec_rand(x);
    char *arn = asl_sprintf(
        "%.*s:mapRun:%s/%s:%08x-%04x-4%03x-a%03x-%012llx",
        (int)(sm - x->m->arn), x->m->arn, x->m->name,
        cJSON_IsString(label) ? label->valuestring : state_of(f)->name,
        (unsigned)(a >> 32), (unsigned)(a & 0xFFFF),
        (unsigned)((a >> 16) & 0xFFF), (unsigned)(b >> 52),
        (unsigned long long)(b & 0xFFFFFFFFFFFFull));
    cJSON_AddStringToObject(rd, "mapRunArn", arn);
    free(f->map_run);
    f->map_run = arn;
    f->launch_prev = exec_event(x, f, "MapRunStarted",
                                "mapRunStartedEventDetails", rd, f->last);
  }
  free(f->itemv);
  f->itemv = asl_calloc(n ? n : 1, sizeof *f->itemv);
  size_t i = 0;
  for (const cJSON *c = f->items_ro->child; c; c = c->next) f->itemv[i++] = c;
  clear_results(f);
  f->nkids = n;
  f->launched = f->finished = f->nfailed = 0;
  f->kids = asl_calloc(n ? n : 1, sizeof *f->kids);
  f->resv = asl_calloc(n ? n : 1, sizeof *f->resv);
  f->phase = PH_CHILDREN;
  f->kids_last = f->launch_prev;
  f->map_seq = ++x->blob_seq;
  f->items_blob = 0;
  if (n == 0) {
    map_succeeded(f);
    return;
  }
  launch_more(f);
}

/* Has the Map failed more items than it tolerates? */
static int over_threshold(const frame *f) {
  if (!f->has_tolerance) return 1;
  if (f->tolerated_count >= 0 && (long long)f->nfailed > f->tolerated_count)
    return 1;
  if (f->tolerated_pct >= 0 &&
      (double)f->nfailed * 100.0 / (double)f->nkids > f->tolerated_pct)
    return 1;
  return f->tolerated_count < 0 && f->tolerated_pct < 0;
}

static void map_child_done(frame *f, frame *k) {
  asl_exec *x = f->x;
  const asl_state *st = state_of(f);
  const asl_map_spec *m = st->data;
  size_t slot = k->slot;
  exec_child_end(k, k->failed ? "ExecutionFailed" : "ExecutionSucceeded");
  if (!k->failed && f->map_seq && x->o.sink && x->o.sink->blob) {
    /* the result, once: checkpoints name the run's results by prefix */
    char key[48];
    snprintf(key, sizeof key, "r%d.%010zu", f->map_seq, slot);
    x->o.sink->blob(x->o.sink->ud, key, k->output ? k->output : &null_item);
  }
  int last = k->last;
  if (!k->quiet) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "index", (double)slot);
    cJSON_AddStringToObject(d, "name", st->name);
    int id = exec_event(x, NULL,
                        k->failed ? "MapIterationFailed"
                                  : "MapIterationSucceeded",
                        k->failed ? "mapIterationFailedEventDetails"
                                  : "mapIterationSucceededEventDetails",
                        d, last);
    f->kids_last = id;
    f->launch_prev = last;
  }
  f->finished++;
  if (k->failed) {
    f->nfailed++;
    if (over_threshold(f)) {
      asl_error e = {0};
      if (f->has_tolerance)
        asl_error_set(&e, "States.ExceedToleratedFailureThreshold",
                      "The specified tolerated failure threshold was "
                      "exceeded");
      else
        asl_error_move(&e, &k->err);
      if (m->distributed)
        last = exec_event(x, f, "MapRunFailed", NULL, NULL, f->launch_prev);
      exec_kids_abort(f); /* frees k too */
      f->last = last;
      exec_state_error(f, &e, "MapStateFailed", last);
      return;
    }
    f->resv[slot] = NULL; /* a tolerated failure leaves null */
  } else {
    f->resv[slot] = k->output;
    k->output = NULL;
  }
  f->kids[slot] = NULL;
  exec_frame_free(k);
  if (f->finished == f->nkids) {
    map_succeeded(f);
    return;
  }
  launch_more(f);
}

void exec_child_done(frame *k) {
  frame *f = k->parent;
  if (state_of(f)->ops->kind == ASL_KIND_PARALLEL) parallel_child_done(f, k);
  else map_child_done(f, k);
}
