/* exec.c: one execution: frames, the scheduler, history events, the
 * data-flow pipeline shared by every state type, and the simple states.
 * Task states are in exec_task.c, Parallel and Map in exec_map.c. */
#include "exec_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "jsonata/jsonata.h"
#include "limits.h"

/* ---- time and randomness ---- */

double exec_real_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void asl_iso8601(double t, char *buf, size_t n) {
  if (!(t > -1e11 && t < 1e11)) t = 0; /* no time_t overflow, whatever t */
  time_t s = (time_t)floor(t);
  int ms = (int)((t - (double)s) * 1000.0 + 0.5);
  if (ms >= 1000) {
    s++;
    ms -= 1000;
  }
  struct tm tm;
  gmtime_r(&s, &tm);
  snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

/* splitmix64, seeded from the options or the clock. */
uint64_t exec_rand(void *ud) {
  asl_exec *x = ud;
  uint64_t z = (x->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static char *make_uuid(asl_exec *x) {
  uint64_t a = exec_rand(x), b = exec_rand(x);
  a = (a & ~0xF000ull) | 0x4000ull;
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  return asl_sprintf("%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
                     (unsigned)((a >> 16) & 0xFFFF), (unsigned)(a & 0xFFFF),
                     (unsigned)(b >> 48),
                     (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

/* ---- history ---- */

static cJSON *new_event(const asl_exec *x, const char *type, int id,
                        int prev, const char *key, cJSON *det) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "timestamp", floor(x->now * 1000.0) / 1000.0);
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddNumberToObject(e, "id", id);
  cJSON_AddNumberToObject(e, "previousEventId", prev);
  if (det) cJSON_AddItemToObject(e, key, det);
  return e;
}

/* An event of a child execution's own history. */
static int child_event(asl_exec *x, child_exec *c, frame *f,
                       const char *type, const char *key, cJSON *det,
                       int prev) {
  int id = ++c->last_id;
  x->child_events++;
  if (f) f->last = id;
  if (!x->want_child_events) {
    cJSON_Delete(det);
    return id;
  }
  cJSON *e = new_event(x, type, id, prev, key, det);
  x->o.sink->child_event(x->o.sink->ud, c->arn, e);
  cJSON_Delete(e);
  return id;
}

int exec_event(asl_exec *x, frame *f, const char *type, const char *key,
               cJSON *det, int prev) {
  if (f && f->child) return child_event(x, f->child, f, type, key, det, prev);
  if (f && f->quiet) {
    cJSON_Delete(det);
    return f->last;
  }
  int id = ++x->last_id;
  x->events++;
  if (f) f->last = id;
  if (!x->want_events) {
    cJSON_Delete(det);
    return id;
  }
  cJSON *e = new_event(x, type, id, prev, key, det);
  if (x->o.sink && x->o.sink->event) x->o.sink->event(x->o.sink->ud, e);
  if (x->history) cJSON_AddItemToArray(x->history, e);
  else cJSON_Delete(e);
  return id;
}

void exec_child_start(frame *k, const char *map_run, size_t index) {
  asl_exec *x = k->x;
  child_exec *c = asl_calloc(1, sizeof *c);
  /* arn:...:execution:MACHINE/LABEL:NAME, beside the map run's
   * arn:...:mapRun:MACHINE/LABEL:RUNID */
  const char *mr = strstr(map_run, ":mapRun:");
  const char *label_end = mr ? strrchr(mr, ':') : NULL;
  /* a UUID whose first group is the item's index: random otherwise, but
   * the children of a run sort in item order, so a store appends their
   * rows instead of scattering them */
  uint64_t a = exec_rand(x), b = exec_rand(x);
  c->name = asl_sprintf("%08x-%04x-4%03x-a%03x-%012llx",
                        (unsigned)(index & 0xFFFFFFFFu),
                        (unsigned)(a & 0xFFFF), (unsigned)((a >> 16) & 0xFFF),
                        (unsigned)(b >> 52),
                        (unsigned long long)(b & 0xFFFFFFFFFFFFull));
  if (mr && label_end)
    c->arn = asl_sprintf("%.*s:execution:%.*s:%s", (int)(mr - map_run),
                         map_run, (int)(label_end - mr - 8), mr + 8, c->name);
  else
    c->arn = asl_sprintf("%s:%zu", map_run, index);
  k->child = c;
  k->owns_child = 1;
  cJSON *det = cJSON_CreateObject();
  exec_payload(det, "input", k->input);
  cJSON_AddStringToObject(det, "roleArn", x->m->role_arn);
  child_event(x, c, NULL, "ExecutionStarted", "executionStartedEventDetails",
              det, 0);
  k->last = 0; /* as at the top: the first Entered follows event 0 */
}

void exec_child_end(frame *k, const char *how) {
  if (!k->owns_child || !k->child || k->x->freeing) return;
  asl_exec *x = k->x;
  cJSON *det = cJSON_CreateObject();
  const char *key;
  if (strcmp(how, "ExecutionSucceeded") == 0) {
    exec_payload(det, "output", k->output);
    key = "executionSucceededEventDetails";
  } else if (strcmp(how, "ExecutionFailed") == 0) {
    if (k->err.name) cJSON_AddStringToObject(det, "error", k->err.name);
    if (k->err.cause) cJSON_AddStringToObject(det, "cause", k->err.cause);
    key = "executionFailedEventDetails";
  } else {
    key = "executionAbortedEventDetails";
  }
  child_event(x, k->child, NULL, how, key, det, k->last);
}

void exec_payload(cJSON *det, const char *name, const cJSON *v) {
  char *s = asl_json_print(v);
  cJSON_AddStringToObject(det, name, s);
  free(s);
  char dn[64];
  snprintf(dn, sizeof dn, "%sDetails", name);
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(det, dn), "truncated", 0);
}

static const asl_state *cur_state(const frame *f) {
  return &f->g->states[f->cur];
}

/* ---- scheduler ---- */

void exec_ready(asl_exec *x, frame *f) {
  f->phase = PH_READY;
  if (f->queued) return;
  f->queued = 1;
  f->next_ready = NULL;
  if (x->ready_tail) x->ready_tail->next_ready = f;
  else x->ready_head = f;
  x->ready_tail = f;
}

void exec_sleep(asl_exec *x, frame *f, double until) {
  f->phase = PH_TIMER;
  f->wake = until;
  if (f->in_sleepers) return; /* already listed: the new wake holds */
  f->in_sleepers = 1;
  if (x->nsleep == x->capsleep) {
    x->capsleep = x->capsleep ? x->capsleep * 2 : 16;
    x->sleepers = asl_realloc(x->sleepers, x->capsleep * sizeof *x->sleepers);
  }
  x->sleepers[x->nsleep++] = f;
}

static frame *pop_ready(asl_exec *x) {
  frame *f = x->ready_head;
  if (!f) return NULL;
  x->ready_head = f->next_ready;
  if (!x->ready_head) x->ready_tail = NULL;
  f->queued = 0;
  return f;
}

/* Earliest wake time among sleepers (and the execution deadline). */
static double next_wake(const asl_exec *x) {
  double t = 0;
  for (size_t i = 0; i < x->nsleep; i++)
    if (t == 0 || x->sleepers[i]->wake < t) t = x->sleepers[i]->wake;
  return t;
}

/* Moves sleepers whose time has come to the ready queue, in wake order of
 * insertion. Frames that were aborted while asleep are dropped. */
static void wake_sleepers(asl_exec *x) {
  /* the list is settled first: waking one (a Task's timeout that a
   * heartbeat moved) may put it back to sleep */
  frame *small[16], **due = small;
  size_t k = 0, n = 0;
  for (size_t i = 0; i < x->nsleep; i++) {
    frame *f = x->sleepers[i];
    if (f->phase == PH_TIMER && f->wake > x->now) {
      x->sleepers[k++] = f;
      continue;
    }
    f->in_sleepers = 0;
    if (f->phase != PH_TIMER) continue; /* aborted or moved on */
    if (n == 16 && due == small) {
      due = asl_malloc(x->nsleep * sizeof *due);
      memcpy(due, small, sizeof small);
    }
    due[n++] = f;
  }
  x->nsleep = k;
  for (size_t i = 0; i < n; i++) {
    frame *f = due[i];
    if (f->phase != PH_TIMER || f->wake > x->now) continue;
    if (f->job) exec_task_timeout(f);
    else exec_ready(x, f);
  }
  if (due != small) free(due);
}

static void drain_completions(asl_exec *x) {
  pthread_mutex_lock(&x->mu);
  task_job *j = x->done_head;
  x->done_head = NULL;
  pthread_mutex_unlock(&x->mu);
  /* reverse to completion order */
  task_job *rev = NULL;
  while (j) {
    task_job *n = j->next_done;
    j->next_done = rev;
    rev = j;
    j = n;
  }
  pthread_mutex_lock(&x->mu);
  int notes = x->notes;
  x->notes = 0;
  pthread_mutex_unlock(&x->mu);
  if (notes) exec_task_notes(x); /* activities polled: ActivityStarted */
  while (rev) {
    task_job *n = rev->next_done;
    exec_task_complete(x, rev);
    rev = n;
  }
}

/* ---- scope and context ---- */

static const cJSON *lookup_var(void *ud, const char *name) {
  for (frame *f = ud; f; f = f->parent) {
    const cJSON *v = asl_json_get(f->vars, name);
    if (v) return v;
  }
  return NULL;
}

/* Fills the shared context object with f's State (and Map item). Called
 * only when a path reads "$$": most steps never pay for it. */
static const cJSON *exec_context(void *ud) {
  frame *f = ud;
  asl_exec *x = f->x;
  if (x->ctx_frame == f && x->ctx_gen == f->ctx_gen) return x->context;
  const asl_state *st = cur_state(f);
  cJSON *s = cJSON_CreateObject();
  char iso[40];
  asl_iso8601(f->entered_time, iso, sizeof iso);
  cJSON_AddStringToObject(s, "EnteredTime", iso);
  cJSON_AddStringToObject(s, "Name", st->name);
  if (st->ops->kind == ASL_KIND_TASK && f->retry_counts) {
    int n = 0;
    for (size_t i = 0; i < asl_retry_count(st->retry); i++)
      n += f->retry_counts[i];
    cJSON_AddNumberToObject(s, "RetryCount", n);
  }
  cJSON_ReplaceItemInObjectCaseSensitive(x->context, "State", s);
  cJSON_DeleteItemFromObjectCaseSensitive(x->context, "Task");
  if (f->task_token)
    cJSON_AddStringToObject(cJSON_AddObjectToObject(x->context, "Task"),
                            "Token", f->task_token);
  cJSON_DeleteItemFromObjectCaseSensitive(x->context, "Map");
  if (f->is_item || f->sel_set) {
    cJSON *it = cJSON_AddObjectToObject(
        cJSON_AddObjectToObject(x->context, "Map"), "Item");
    cJSON_AddNumberToObject(it, "Index", (double)(f->sel_set ? f->sel_index
                                                             : f->item_index));
    cJSON_AddItemToObject(
        it, "Value", asl_json_dup(f->sel_set ? f->sel_value : f->item_value));
  }
  x->ctx_frame = f;
  x->ctx_gen = f->ctx_gen;
  return x->context;
}

asl_scope exec_scope(frame *f, const cJSON *input) {
  asl_scope s = {0};
  s.input = input;
  s.context_fn = exec_context;
  s.context_ud = f;
  s.var = lookup_var;
  s.var_ud = f;
  s.rand64 = exec_rand;
  s.rand_ud = f->x;
  return s;
}

/* f's view of "$$" changed (a state entered, a retry, a Map item). */
void exec_activate(frame *f) { f->ctx_gen = ++f->x->gen; }

/* ---- frames ---- */

frame *exec_frame_new(asl_exec *x, const asl_graph *g, frame *parent,
                      size_t slot, cJSON *input_take) {
  frame *f = asl_calloc(1, sizeof *f);
  f->x = x;
  f->g = g;
  f->parent = parent;
  f->slot = slot;
  f->cur = g->start;
  f->step = ST_ENTER;
  f->input = input_take;
  f->vars = cJSON_CreateObject();
  f->quiet = parent && parent->quiet;
  f->child = parent ? parent->child : NULL;
  return f;
}

static void clear_state_work(frame *f) {
  if (!f->eff_borrowed) cJSON_Delete(f->eff);
  f->eff = NULL;
  f->eff_borrowed = 0;
  free(f->retry_counts);
  f->retry_counts = NULL;
  cJSON_Delete(f->pending_output);
  cJSON_Delete(f->pending_assigned);
  f->pending_output = f->pending_assigned = NULL;
  exec_task_abandon(f);
  exec_kids_abort(f);
  if (f->resv) {
    for (size_t i = 0; i < f->nkids; i++) cJSON_Delete(f->resv[i]);
    free(f->resv);
    f->resv = NULL;
  }
  cJSON_Delete(f->items);
  f->items = NULL;
  f->items_ro = NULL;
  free(f->itemv);
  f->itemv = NULL;
  free(f->map_run);
  f->map_run = NULL;
  free(f->task_token);
  f->task_token = NULL;
  f->items_blob = 0;
  f->map_seq = 0;
  f->nkids = f->launched = f->finished = f->nfailed = 0;
  asl_error_clear(&f->kid_err);
}

void exec_frame_free(frame *f) {
  if (!f) return;
  if (f->x->ctx_frame == f) f->x->ctx_frame = NULL;
  clear_state_work(f);
  if (f->owns_child && f->child) {
    free(f->child->name);
    free(f->child->arn);
    free(f->child);
  }
  free(f->eval_loc);
  cJSON_Delete(f->input);
  cJSON_Delete(f->vars);
  cJSON_Delete(f->output);
  asl_error_clear(&f->err);
  free(f);
}

/* The frame ended: with output (taken) or, when failed, with f->err. */
static void frame_done(frame *f, cJSON *output) {
  f->phase = PH_DONE;
  f->output = output;
  clear_state_work(f);
  if (f->parent) {
    exec_child_done(f);
    return;
  }
  asl_exec *x = f->x;
  x->done = 1;
  cJSON *det = cJSON_CreateObject();
  if (!f->failed) {
    x->status = asl_strdup("SUCCEEDED");
    x->output = output;
    f->output = NULL;
    exec_payload(det, "output", x->output);
    exec_event(x, NULL, "ExecutionSucceeded",
               "executionSucceededEventDetails", det, f->last);
    return;
  }
  x->status = asl_strdup("FAILED");
  x->error = f->err.name ? asl_strdup(f->err.name) : NULL;
  x->cause = f->err.cause ? asl_strdup(f->err.cause) : NULL;
  if (x->error) cJSON_AddStringToObject(det, "error", x->error);
  if (x->cause) cJSON_AddStringToObject(det, "cause", x->cause);
  exec_event(x, NULL, "ExecutionFailed", "executionFailedEventDetails", det,
             f->last);
}

static void frame_fail(frame *f, asl_error *err) {
  f->failed = 1;
  asl_error_move(&f->err, err);
  frame_done(f, NULL);
}

void exec_prefix_error(frame *f, asl_error *err) {
  char *c = asl_sprintf("An error occurred while executing the state '%s' "
                        "(entered at the event id #%d). %s",
                        cur_state(f)->name, f->entered_id,
                        err->cause ? err->cause : "");
  free(err->cause);
  err->cause = c;
}

/* ---- the pipeline ---- */

/* The effective input before Parameters. *borrowed is set when *out is
 * f->input itself (no InputPath): then it must not be freed or changed. */
static int input_path(const asl_state *st, frame *f, cJSON **out,
                      int *borrowed, asl_error *err) {
  *borrowed = 0;
  if (st->input_path.is_null) {
    *out = cJSON_CreateObject();
    return 0;
  }
  if (!st->input_path.path) {
    *out = f->input;
    *borrowed = 1;
    return 0;
  }
  asl_scope s = exec_scope(f, f->input);
  char *jm = NULL;
  if (asl_path_eval(st->input_path.path, &s, out, &jm) == 0) return 0;
  asl_error_set(err, "States.Runtime", "Invalid path '%s' : %s",
                asl_path_text(st->input_path.path), jm ? jm : "");
  free(jm);
  return -1;
}

static int output_path(const asl_state *st, frame *f, cJSON **io,
                       asl_error *err) {
  if (st->output_path.is_null) {
    cJSON_Delete(*io);
    *io = cJSON_CreateObject();
    return 0;
  }
  if (!st->output_path.path) return 0;
  asl_scope s = exec_scope(f, *io);
  cJSON *out = NULL;
  char *jm = NULL;
  if (asl_path_eval(st->output_path.path, &s, &out, &jm) != 0) {
    asl_error_set(err, "States.Runtime", "Invalid path '%s' : %s",
                  asl_path_text(st->output_path.path), jm ? jm : "");
    free(jm);
    return -1;
  }
  cJSON_Delete(*io);
  *io = out;
  return 0;
}

static int eval_assign(const asl_template *t, frame *f, const cJSON *dollar,
                       cJSON **assigned, asl_error *err) {
  *assigned = NULL;
  if (!t) return 0;
  asl_scope s = exec_scope(f, dollar);
  return asl_template_eval(t, &s, assigned, err);
}

static void apply_assign_take(frame *f, cJSON *assigned) {
  if (!assigned) return;
  for (cJSON *c = assigned->child; c; c = c->next) {
    cJSON_DeleteItemFromObjectCaseSensitive(f->vars, c->string);
    cJSON_AddItemToObject(f->vars, c->string, asl_json_dup(c));
  }
  cJSON_Delete(assigned);
}

static void exit_event(frame *f, const cJSON *output, const cJSON *assigned,
                       int prev) {
  const asl_state *st = cur_state(f);
  const char *type = st->ev_exited;
  if (!f->x->want_events || f->quiet) { /* count the event, build nothing */
    exec_event(f->x, f, type, NULL, NULL, prev);
    return;
  }
  cJSON *det = cJSON_CreateObject();
  if (assigned && assigned->child) { /* an empty Assign shows nothing */
    cJSON *av = cJSON_AddObjectToObject(det, "assignedVariables");
    for (cJSON *c = assigned->child; c; c = c->next) {
      char *s = asl_json_print(c);
      cJSON_AddStringToObject(av, c->string, s);
      free(s);
    }
    cJSON_AddBoolToObject(
        cJSON_AddObjectToObject(det, "assignedVariablesDetails"), "truncated",
        0);
  }
  cJSON_AddStringToObject(det, "name", st->name);
  exec_payload(det, "output", output);
  exec_event(f->x, f, type, "stateExitedEventDetails", det, prev);
}

/* Exits the current state with output and assigned (both taken) and moves
 * to next (-1: the frame ends with output). prev is the previousEventId of
 * the Exited event (-1: the frame's last event). */
/* Leaves the current state for next (-1: the frame ends) with output.
 * bound is an upper bound of output's printed size, 0 when unknown. */
static void exit_state(frame *f, cJSON *output, size_t bound,
                       cJSON *assigned, int next, int prev) {
  exit_event(f, output, assigned, prev < 0 ? f->last : prev);
  apply_assign_take(f, assigned);
  clear_state_work(f);
  cJSON_Delete(f->input);
  f->input = NULL;
  f->in_bound = 0;
  if (next < 0) {
    frame_done(f, output);
    return;
  }
  f->cur = next;
  f->step = ST_ENTER;
  f->input = output;
  f->input_blob = 0;
  f->in_bound = bound;
  exec_ready(f->x, f);
}

static size_t max_payload(const frame *f) {
  return f->x->o.max_payload ? f->x->o.max_payload : ASL_MAX_PAYLOAD;
}

/* The output size limit. *bound: when not 0, an upper bound of v's printed
 * size already known; on success, the bound (<= the limit). */
static int size_check(const frame *f, const asl_state *st, const cJSON *v,
                      size_t *bound, asl_error *err) {
  size_t max = max_payload(f);
  if (*bound && *bound <= max) return 0;
  if (asl_json_size_bound(v, max, bound)) return 0;
  return asl_error_set(err, "States.DataLimitExceeded",
                       "The state/task '%s' returned a result with a size "
                       "exceeding the maximum number of bytes service limit.",
                       st->name);
}

/* Runtime errors of the pipeline end the frame, prefixed with where. */
static void pipeline_fail(frame *f, asl_error *err) {
  if (err->name && strcmp(err->name, "States.DataLimitExceeded") != 0)
    exec_prefix_error(f, err);
  exec_eval_failed(f, err);
  frame_fail(f, err);
}

void exec_eval_failed(frame *f, const asl_error *err) {
  if (f->eval_loc) { /* a JSONata evaluation failed: AWS records where */
    const asl_state *st = cur_state(f);
    cJSON *det = cJSON_CreateObject();
    cJSON_AddStringToObject(det, "cause", err->cause ? err->cause : "");
    cJSON_AddStringToObject(det, "error", err->name ? err->name : "");
    if (*f->eval_loc) /* "": AWS names no field */
      cJSON_AddStringToObject(det, "location", f->eval_loc);
    cJSON_AddStringToObject(det, "state", st->name);
    int prev =
        strcmp(st->ops->type, "Wait") == 0 ? f->entered_id : f->entered_prev;
    exec_event(f->x, f, "EvaluationFailed", "evaluationFailedEventDetails", det,
               prev);
    free(f->eval_loc);
    f->eval_loc = NULL;
  }
}

static int jfinish(frame *f, const asl_state *st, const cJSON *def,
                   const cJSON *bind, cJSON *dflt, cJSON **output,
                   cJSON **assigned, asl_error *err);

void exec_state_result(frame *f, cJSON *result) {
  const asl_state *st = cur_state(f);
  asl_error err = {0};
  cJSON *output = NULL, *assigned = NULL;
  if (st->query_lang == ASL_QL_JSONATA) {
    cJSON *bind = exec_jbindings(f, f->input, result, NULL);
    int rc = jfinish(f, st, st->def, bind, result, &output, &assigned, &err);
    cJSON_Delete(bind);
    result = NULL;
    size_t jb = 0;
    if (rc < 0 || size_check(f, st, output, &jb, &err) < 0) goto fail;
    int prev = f->kids_last > 0 ? f->kids_last : -1;
    f->kids_last = 0;
    exit_state(f, output, jb, assigned, st->next, prev);
    return;
  }
  if (st->result_selector) {
    asl_scope rs = exec_scope(f, result);
    cJSON *sel = NULL;
    if (asl_template_eval(st->result_selector, &rs, &sel, &err) < 0) goto fail;
    cJSON_Delete(result);
    result = sel;
  }
  if (eval_assign(st->assign, f, result, &assigned, &err) < 0) goto fail;
  /* A bound of the output from the input's bound and the result's, so that
   * a small result written into a large checked input costs a walk of the
   * result only. */
  size_t bound = 0;
  if (f->in_bound && st->result_path.is_null) {
    bound = f->in_bound;
  } else if (f->in_bound && st->result_path.path) {
    size_t rb, grow = asl_path_set_growth(st->result_path.path);
    if (grow != SIZE_MAX && asl_json_size_bound(result, max_payload(f), &rb))
      bound = f->in_bound + rb + grow;
  }
  if (st->result_path.is_null || st->result_path.path) {
    /* the raw input is not needed after this: take it (eff may alias it,
     * and is done with) */
    if (f->eff_borrowed) {
      f->eff = NULL;
      f->eff_borrowed = 0;
    }
    output = f->input;
    f->input = NULL;
  }
  if (st->result_path.is_null) {
    cJSON_Delete(result);
  } else if (st->result_path.path) {
    if (asl_path_set_take(st->result_path.path, &output, result, &err) < 0) {
      result = NULL;
      goto fail;
    }
  } else {
    output = result;
  }
  result = NULL;
  /* OutputPath selects a part: the bound holds */
  if (output_path(st, f, &output, &err) < 0) goto fail;
  if (size_check(f, st, output, &bound, &err) < 0) goto fail;
  int prev = f->kids_last > 0 ? f->kids_last : -1;
  f->kids_last = 0;
  exit_state(f, output, bound, assigned, st->next, prev);
  return;
fail:
  cJSON_Delete(result);
  cJSON_Delete(output);
  cJSON_Delete(assigned);
  pipeline_fail(f, &err);
}

/* The error output of a caught error: {"Error","Cause"}. */
static cJSON *error_output(const asl_error *err) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "Error", err->name ? err->name : "");
  cJSON_AddStringToObject(o, "Cause", err->cause ? err->cause : "");
  return o;
}

void exec_state_error(frame *f, asl_error *err, const char *fail_type,
                      int fail_prev) {
  const asl_state *st = cur_state(f);
  const char *name = err->name ? err->name : "States.Runtime";
  if (st->retry) {
    size_t nr = asl_retry_count(st->retry);
    if (!f->retry_counts && nr) f->retry_counts = asl_calloc(nr, sizeof(int));
    double delay = 0;
    double r01 = (double)(exec_rand(f->x) >> 11) / 9007199254740992.0;
    if (nr && asl_retry_decide(st->retry, name, f->retry_counts, r01, &delay)) {
      asl_error_clear(err);
      f->step = ST_RETRY;
      /* --no-wait skips the back-off: the retry is due at once. */
      exec_sleep(f->x, f, f->x->now + (f->x->o.virtual_clock ? 0 : delay));
      return;
    }
  }
  if (fail_type) exec_event(f->x, f, fail_type, NULL, NULL, fail_prev);
  f->kids_last = fail_type ? f->last : 0;
  if (st->retry) {
    int c = asl_catch_match(st->retry, name);
    if (c >= 0) {
      cJSON *eo = error_output(err);
      asl_error_clear(err);
      cJSON *output = NULL, *assigned = NULL;
      asl_error e2 = {0};
      if (st->query_lang == ASL_QL_JSONATA) {
        cJSON *bind = exec_jbindings(f, f->input, NULL, eo);
        int rc = jfinish(f, st, asl_catch_def(st->retry, c), bind,
                         asl_json_dup(eo), &output, &assigned, &e2);
        cJSON_Delete(bind);
        cJSON_Delete(eo);
        if (rc < 0) {
          pipeline_fail(f, &e2);
          return;
        }
        int ni = asl_graph_find(f->g, asl_catch_next(st->retry, c));
        int prev = f->kids_last > 0 ? f->kids_last : -1;
        f->kids_last = 0;
        exit_state(f, output, 0, assigned, ni, prev);
        return;
      }
      if (eval_assign(asl_catch_assign(st->retry, c), f, eo, &assigned, &e2) <
          0) {
        cJSON_Delete(eo);
        pipeline_fail(f, &e2);
        return;
      }
      const asl_opt_path *rp = asl_catch_result_path(st->retry, c);
      if (rp->is_null) {
        output = asl_json_dup(f->input);
        cJSON_Delete(eo);
      } else if (rp->path) {
        output = asl_json_dup(f->input);
        if (asl_path_set_take(rp->path, &output, eo, &e2) < 0) {
          cJSON_Delete(output);
          cJSON_Delete(assigned);
          pipeline_fail(f, &e2);
          return;
        }
      } else {
        output = eo;
      }
      const char *next = asl_catch_next(st->retry, c);
      int ni = -1;
      for (size_t i = 0; i < f->g->n; i++)
        if (strcmp(f->g->states[i].name, next) == 0) ni = (int)i;
      int prev = f->kids_last > 0 ? f->kids_last : -1;
      f->kids_last = 0;
      exit_state(f, output, 0, assigned, ni, prev);
      return;
    }
  }
  frame_fail(f, err);
}

/* ---- entering a state ---- */

/* The effective input as the state's result: taken when the frame owns
 * it, copied when it is the raw input (still needed for ResultPath). */
static cJSON *take_eff(frame *f) {
  if (f->eff_borrowed) return asl_json_dup(f->eff);
  cJSON *r = f->eff;
  f->eff = NULL;
  return r;
}

static void run_simple(frame *f, const asl_state *st) {
  asl_error err = {0};
  asl_step step = {0};
  step.next = -1;
  asl_scope s = exec_scope(f, f->eff);
  if (st->ops->run(st, f->eff, &s, f->x->now, &step, &err) < 0) {
    cJSON_Delete(step.result);
    pipeline_fail(f, &err);
    return;
  }
  if (step.fail) { /* a Fail state: the error is the user's own */
    frame_fail(f, &err);
    return;
  }
  if (!step.skip_result) {
    cJSON *r = step.result;
    if (!r) r = take_eff(f);
    exec_state_result(f, r);
    return;
  }
  cJSON *assigned = NULL, *output;
  size_t bound = 0;
  if (f->eff_borrowed) { /* the output is the input itself: take it */
    bound = f->in_bound;
    output = f->input;
    f->input = NULL;
    f->eff = NULL;
    f->eff_borrowed = 0;
  } else {
    output = f->eff;
    f->eff = NULL;
  }
  const asl_template *at = step.assign ? step.assign : st->assign;
  /* No size check here: the output is (a part of) the input, which was
   * checked when it was made. */
  if (eval_assign(at, f, output, &assigned, &err) < 0 ||
      output_path(st, f, &output, &err) < 0) {
    cJSON_Delete(output);
    cJSON_Delete(assigned);
    pipeline_fail(f, &err);
    return;
  }
  int next = step.next >= 0 ? step.next : (step.end ? -1 : st->next);
  if (step.wait_until > 0) {
    cJSON_Delete(f->pending_output); /* none, but never leak */
    cJSON_Delete(f->pending_assigned);
    f->pending_output = output;
    f->pending_assigned = assigned;
    f->pending_next = next;
    f->step = ST_WAITED;
    exec_sleep(f->x, f, step.wait_until);
    return;
  }
  exit_state(f, output, bound, assigned, next, -1);
}

/* ---- JSONata mode ----
 *
 * A JSONata state has no InputPath, Parameters, ResultSelector, ResultPath
 * or OutputPath: its fields are templates whose "{% ... %}" strings
 * (compiled at load, asl_state_jsonata) are evaluated with $states
 * ({input, context, result, errorOutput}) and the variables in scope. */

/* The expression of a "{% ... %}" string without its delimiters and the
 * blanks around it, as AWS quotes it in messages. */
static char *jtext(const char *s) {
  const char *p = s + 2, *e = s + strlen(s) - 2;
  while (p < e && isspace((unsigned char)*p))
    p++;
  while (e > p && isspace((unsigned char)e[-1]))
    e--;
  return asl_sprintf("%.*s", (int)(e - p), p);
}

/* Negative zeros made plain: AWS prints JSONata's -0 as 0. */
static void jzero(cJSON *v) {
  if (cJSON_IsNumber(v) && v->valuedouble == 0) cJSON_SetNumberValue(v, 0);
  for (cJSON *c = v->child; c; c = c->next)
    jzero(c);
}

/* The bindings of an evaluation in f (of an expression of f's current
 * state): every variable in scope (an inner scope hides an outer one) and
 * $states. References to the frame's values,
 * not copies: the object is deleted before they change. */
cJSON *exec_jbindings(frame *f, const cJSON *input, const cJSON *result,
                      const cJSON *error_output) {
  cJSON *b = cJSON_CreateObject();
  for (frame *g = f; g; g = g->parent)
    for (cJSON *c = g->vars->child; c; c = c->next)
      if (!cJSON_GetObjectItemCaseSensitive(b, c->string))
        cJSON_AddItemReferenceToObject(b, c->string, c);
  cJSON *s = cJSON_AddObjectToObject(b, "states");
  if (input)
    cJSON_AddItemReferenceToObject(s, "input", (cJSON *)input);
  else
    cJSON_AddNullToObject(s, "input");
  /* the context object is rebuilt for each state: not when no expression
   * of the state can read it */
  if (!cur_state(f)->jno_context)
    cJSON_AddItemReferenceToObject(s, "context", (cJSON *)exec_context(f));
  if (result) cJSON_AddItemReferenceToObject(s, "result", (cJSON *)result);
  if (error_output)
    cJSON_AddItemReferenceToObject(s, "errorOutput", (cJSON *)error_output);
  return b;
}

/* Where in a template an evaluation is: the member names and indexes from
 * the field down, a chain on the stack, made a string ("Output/a/0") only
 * for an error message. */
typedef struct jat {
  const struct jat *up;
  const char *key; /* NULL: index */
  int index;
} jat;

static char *jat_string(const char *field, const jat *at) {
  if (!at) return asl_strdup(field);
  char *up = jat_string(field, at->up), *r;
  if (at->key)
    r = asl_sprintf("%s/%s", up, at->key);
  else
    r = asl_sprintf("%s/%d", up, at->index);
  free(up);
  return r;
}

static int jeval_at(frame *f, const asl_state *st, const cJSON *node,
                    const char *field, const jat *at, const cJSON *bind,
                    cJSON **out, asl_error *err) {
  *out = NULL;
  const jsonata *x = cJSON_IsString(node) ? asl_state_jsonata(st, node) : NULL;
  if (x) {
    jsonata_error je;
    memset(&je, 0, sizeof je);
    cJSON *v = jsonata_evaluate(x, NULL, bind, NULL, &je);
    if (v) {
      jzero(v);
      *out = v;
      return 0;
    }
    char *t = jtext(node->valuestring), *where = jat_string(field, at);
    if (je.code[0])
      asl_error_set(err, "States.QueryEvaluationError",
                    "The JSONata expression '%s' specified for the field "
                    "'%s' threw an error during evaluation. %s: %s",
                    t, where, je.code, je.message);
    else if (je.function)
      asl_error_set(err, "States.QueryEvaluationError",
                    "The JSONata expression '%s' specified for the field "
                    "'%s' returned an unsupported result type.",
                    t, where);
    else
      asl_error_set(err, "States.QueryEvaluationError",
                    "The JSONata expression '%s' specified for the field "
                    "'%s' returned nothing (undefined).",
                    t, where);
    free(t);
    free(f->eval_loc);
    f->eval_loc = where;
    return -1;
  }
  if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
    int obj = cJSON_IsObject(node), i = 0;
    cJSON *o = obj ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const cJSON *c = node->child; c; c = c->next, i++) {
      jat sub = {at, obj ? c->string : NULL, i};
      cJSON *v = NULL;
      if (jeval_at(f, st, c, field, &sub, bind, &v, err) < 0) {
        cJSON_Delete(o);
        return -1;
      }
      if (obj)
        cJSON_AddItemToObject(o, c->string, v);
      else
        cJSON_AddItemToArray(o, v);
    }
    *out = o;
    return 0;
  }
  *out = asl_json_dup(node);
  return 0;
}

/* Evaluates the template node of st (a field of its definition, at field,
 * "Output/a") into *out: strings wholly "{% ... %}" are expressions, other
 * values literal, objects and arrays member by member. An evaluation error
 * or an undefined value is States.QueryEvaluationError. */
int exec_jeval(frame *f, const asl_state *st, const cJSON *node,
               const char *field, const cJSON *bind, cJSON **out,
               asl_error *err) {
  return jeval_at(f, st, node, field, NULL, bind, out, err);
}

/* The field name of def (a member of st's definition) evaluated, or NULL
 * (with 0) when absent. */
static int jfield(frame *f, const asl_state *st, const cJSON *def,
                  const char *name, const cJSON *bind, cJSON **out,
                  asl_error *err) {
  const cJSON *n = asl_json_get(def, name);
  *out = NULL;
  return n ? exec_jeval(f, st, n, name, bind, out, err) : 0;
}

/* Assign and Output of def (the state, its matched Choice rule or its
 * catcher), both against the variables as they were: *output is Output,
 * else dflt (taken). */
static int jfinish(frame *f, const asl_state *st, const cJSON *def,
                   const cJSON *bind, cJSON *dflt, cJSON **output,
                   cJSON **assigned, asl_error *err) {
  *output = *assigned = NULL;
  if (jfield(f, st, def, "Assign", bind, assigned, err) < 0) {
    cJSON_Delete(dflt);
    return -1;
  }
  if (!asl_json_get(def, "Output")) {
    *output = dflt;
    return 0;
  }
  /* dflt may be what bind's $states.result refers to: freed after */
  int rc = jfield(f, st, def, "Output", bind, output, err);
  cJSON_Delete(dflt);
  if (rc < 0) {
    cJSON_Delete(*assigned);
    *assigned = NULL;
    return -1;
  }
  return 0;
}

/* The JSON type name AWS reports for v. */
static const char *jtype(const cJSON *v) {
  if (cJSON_IsNull(v)) return "null";
  if (cJSON_IsBool(v)) return "boolean";
  if (cJSON_IsNumber(v)) return "number";
  if (cJSON_IsString(v)) return "string";
  if (cJSON_IsArray(v)) return "array";
  return "object";
}

int exec_junexpected(frame *f, const cJSON *node, const char *field,
                     const char *want, const cJSON *v, asl_error *err) {
  char *t = jtext(node->valuestring), *p = asl_json_print(v);
  asl_error_set(err, "States.QueryEvaluationError",
                "The JSONata expression '%s' specified for the field '%s' "
                "returned an unexpected result type. Expected '%s', but was "
                "'%s' for value: %s",
                t, field, want, jtype(v), p);
  free(t);
  free(p);
  free(f->eval_loc);
  f->eval_loc = asl_strdup(field);
  return -1;
}

/* An RFC 3339 date-time ("2024-01-02T03:04:05(.fff)(Z|+hh:mm)") as epoch
 * seconds; -1 when s is not one. */
static int jtimestamp(const char *s, double *out) {
  int Y, M, D, h, m, sec, n = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) !=
          6 ||
      n != 19)
    return -1;
  const char *p = s + n;
  double frac = 0;
  if (*p == '.') {
    double scale = 0.1;
    if (!isdigit((unsigned char)p[1])) return -1;
    for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
      frac += (*p - '0') * scale;
  }
  long off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om, k = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5) return -1;
    off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
    p += 6;
  } else {
    return -1;
  }
  if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
    return -1;
  struct tm tm = {0};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  *out = (double)timegm(&tm) - (double)off + frac;
  return 0;
}

/* Fail's Error or Cause: a literal or an expression; NULL when absent. */
static int jfail_text(frame *f, const asl_state *st, const char *name,
                      const cJSON *bind, char **out, asl_error *err) {
  cJSON *v = NULL;
  *out = NULL;
  if (jfield(f, st, st->def, name, bind, &v, err) < 0) return -1;
  if (!v) return 0;
  *out = cJSON_IsString(v) ? asl_strdup(v->valuestring) : asl_json_print(v);
  cJSON_Delete(v);
  return 0;
}

/* A simple state (Pass, Choice, Wait, Succeed, Fail) in JSONata mode. */
static void jrun_simple(frame *f, const asl_state *st) {
  asl_error err = {0};
  const char *type = st->ops->type;
  cJSON *bind = exec_jbindings(f, f->input, NULL, NULL);
  cJSON *output = NULL, *assigned = NULL;
  const cJSON *from = st->def; /* where Output and Assign are */
  int next = st->end ? -1 : st->next;
  double until = 0;
  if (strcmp(type, "Fail") == 0) {
    char *e = NULL, *c = NULL;
    if (jfail_text(f, st, "Error", bind, &e, &err) < 0 ||
        jfail_text(f, st, "Cause", bind, &c, &err) < 0) {
      free(e);
      cJSON_Delete(bind);
      pipeline_fail(f, &err);
      return;
    }
    cJSON_Delete(bind);
    err.name = e;
    err.cause = c;
    frame_fail(f, &err);
    return;
  }
  if (strcmp(type, "Succeed") == 0) next = -1;
  if (strcmp(type, "Choice") == 0) {
    const cJSON *rules = asl_json_get(st->def, "Choices");
    int matched = 0, i = 0;
    for (const cJSON *r = rules ? rules->child : NULL; r && !matched;
         r = r->next, i++) {
      const cJSON *cn = asl_json_get(r, "Condition");
      cJSON *v = NULL;
      char *field = asl_sprintf("Choices/%d/Condition", i);
      int rc = cn ? exec_jeval(f, st, cn, field, bind, &v, &err) : 0;
      if (rc == 0 && cn && !cJSON_IsBool(v))
        rc = cJSON_IsString(cn) && asl_state_jsonata(st, cn)
                 ? exec_junexpected(f, cn, field, "boolean", v, &err)
                 : asl_error_set(&err, "States.QueryEvaluationError",
                                 "The field '%s' must be a boolean", field);
      free(field);
      if (rc < 0) {
        cJSON_Delete(v);
        cJSON_Delete(bind);
        pipeline_fail(f, &err);
        return;
      }
      if (cJSON_IsTrue(v)) {
        matched = 1;
        from = r;
        const cJSON *n = asl_json_get(r, "Next");
        next =
            cJSON_IsString(n) ? asl_graph_find(st->graph, n->valuestring) : -1;
      }
      cJSON_Delete(v);
    }
    if (!matched) {
      const cJSON *dflt = asl_json_get(st->def, "Default");
      if (!cJSON_IsString(dflt)) {
        cJSON_Delete(bind);
        asl_error_set(&err, "States.NoChoiceMatched",
                      "No Matches! in state '%s'", st->name);
        pipeline_fail(f, &err);
        return;
      }
      next = asl_graph_find(st->graph, dflt->valuestring);
    }
  }
  if (strcmp(type, "Wait") == 0) {
    const cJSON *sn = asl_json_get(st->def, "Seconds");
    const cJSON *tn = asl_json_get(st->def, "Timestamp");
    cJSON *v = NULL;
    int rc = 0;
    double now = f->x->now;
    until = now;
    if (sn) {
      rc = exec_jeval(f, st, sn, "Seconds", bind, &v, &err);
      long long n = 0;
      if (rc == 0 && !(asl_json_as_int64(v, &n) && n >= 0))
        rc = cJSON_IsString(sn) && asl_state_jsonata(st, sn)
                 ? exec_junexpected(f, sn, "Seconds", "integer", v, &err)
                 : asl_error_set(&err, "States.QueryEvaluationError",
                                 "The field 'Seconds' must be a "
                                 "non-negative integer");
      until = now + (double)n;
    } else if (tn) {
      rc = exec_jeval(f, st, tn, "Timestamp", bind, &v, &err);
      if (rc == 0 &&
          !(cJSON_IsString(v) && jtimestamp(v->valuestring, &until) == 0)) {
        char *t =
            cJSON_IsString(v) ? asl_strdup(v->valuestring) : asl_json_print(v);
        rc = asl_error_set(&err, "States.QueryEvaluationError",
                           "The Timestamp field cannot be parsed as an "
                           "ISO-8601 extended offset date-time format "
                           "string: %s",
                           t);
        free(t);
        free(f->eval_loc);
        f->eval_loc = asl_strdup("Timestamp");
      }
    }
    cJSON_Delete(v);
    if (rc < 0) {
      cJSON_Delete(bind);
      pipeline_fail(f, &err);
      return;
    }
    until = until > now ? until : now > 0 ? now : 1e-9;
  }
  if (jfinish(f, st, from, bind, asl_json_dup(f->input), &output, &assigned,
              &err) < 0) {
    cJSON_Delete(bind);
    pipeline_fail(f, &err);
    return;
  }
  cJSON_Delete(bind);
  size_t bound = 0;
  if (size_check(f, st, output, &bound, &err) < 0) {
    cJSON_Delete(output);
    cJSON_Delete(assigned);
    pipeline_fail(f, &err);
    return;
  }
  if (until > 0) {
    cJSON_Delete(f->pending_output); /* none, but never leak */
    cJSON_Delete(f->pending_assigned);
    f->pending_output = output;
    f->pending_assigned = assigned;
    f->pending_next = next;
    f->step = ST_WAITED;
    exec_sleep(f->x, f, until);
    return;
  }
  exit_state(f, output, bound, assigned, next, -1);
}

/* Whether Parameters may move values out of the raw input (see
 * asl_template_eval_moving): a simple state (nothing to retry or catch with
 * it) whose result replaces the input, with no Assign to read it, when
 * Parameters reads the raw input itself. Its entered event is written. */
static int moves_input(const frame *f, const asl_state *st, int borrowed) {
  return borrowed && st->ops->kind == ASL_KIND_SIMPLE && !st->assign &&
         !st->result_path.is_null && !st->result_path.path &&
         asl_template_can_move(st->parameters) && f->input;
}

static void enter_state(frame *f) {
  asl_exec *x = f->x;
  const asl_state *st = cur_state(f);
  asl_error err = {0};
  f->entered_time = x->now;
  cJSON *det = NULL;
  if (x->want_events && !f->quiet) {
    det = cJSON_CreateObject();
    cJSON_AddStringToObject(det, "name", st->name);
    exec_payload(det, "input", f->input);
  }
  f->entered_prev = f->last;
  f->entered_id = exec_event(x, f, st->ev_entered, "stateEnteredEventDetails",
                             det, f->last);
  exec_activate(f);
  if (st->query_lang == ASL_QL_JSONATA) {
    if (st->ops->kind == ASL_KIND_SIMPLE) {
      jrun_simple(f, st);
      return;
    }
    cJSON *args = NULL;
    const cJSON *an = asl_json_get(st->def, "Arguments");
    if (an && st->ops->kind != ASL_KIND_MAP) {
      cJSON *bind = exec_jbindings(f, f->input, NULL, NULL);
      int rc = exec_jeval(f, st, an, "Arguments", bind, &args, &err);
      cJSON_Delete(bind);
      if (rc < 0) {
    pipeline_fail(f, &err);
    return;
  }
    }
    if (!f->eff_borrowed) cJSON_Delete(f->eff); /* none, but never leak */
    f->eff = args ? args : f->input;
    f->eff_borrowed = !args;
    if (st->ops->kind == ASL_KIND_TASK)
      exec_task_start(f);
    else if (st->ops->kind == ASL_KIND_PARALLEL)
      exec_parallel_start(f);
    else
      exec_map_start(f);
    return;
  }
  cJSON *eff = NULL;
  int borrowed = 0;
  if (input_path(st, f, &eff, &borrowed, &err) < 0) {
    pipeline_fail(f, &err);
    return;
  }
  if (st->ops->kind == ASL_KIND_TASK && !f->task_token) {
    const asl_task_spec *t = st->data;
    if (t->callback || t->activity) { /* $$.Task.Token, for Parameters */
      f->task_token = live_new_token(x);
      exec_activate(f);
    }
  }
  if (st->parameters && st->ops->kind != ASL_KIND_MAP) {
    asl_scope s = exec_scope(f, eff);
    cJSON *p = NULL;
    int rc = moves_input(f, st, borrowed)
                 ? asl_template_eval_moving(st->parameters, &s, f->input, &p,
                                            &err)
                 : asl_template_eval(st->parameters, &s, &p, &err);
    if (!borrowed) cJSON_Delete(eff);
    if (rc < 0) {
      pipeline_fail(f, &err);
      return;
    }
    eff = p;
    borrowed = 0;
  }
  if (!f->eff_borrowed) cJSON_Delete(f->eff); /* none, but never leak */
  f->eff = eff;
  f->eff_borrowed = borrowed;
  switch (st->ops->kind) {
  case ASL_KIND_TASK: exec_task_start(f); break;
  case ASL_KIND_PARALLEL: exec_parallel_start(f); break;
  case ASL_KIND_MAP: exec_map_start(f); break;
  default: run_simple(f, st); break;
  }
}

/* Runs one step of a ready frame. */
static void run_frame(frame *f) {
  if (f->aborted || f->phase == PH_DONE) return;
  switch (f->step) {
  case ST_ENTER:
    enter_state(f);
    break;
  case ST_WAITED: {
    cJSON *o = f->pending_output, *a = f->pending_assigned;
    f->pending_output = f->pending_assigned = NULL;
    f->step = ST_ENTER;
    exit_state(f, o, 0, a, f->pending_next, -1);
    break;
  }
  case ST_RETRY: {
    const asl_state *st = cur_state(f);
    f->step = ST_ENTER;
    if (st->ops->kind == ASL_KIND_SIMPLE) { /* nothing to retry: enter */
      enter_state(f);
      break;
    }
    exec_activate(f);
    if (st->ops->kind == ASL_KIND_TASK) exec_task_start(f);
    else if (st->ops->kind == ASL_KIND_PARALLEL) exec_parallel_start(f);
    else exec_map_start(f);
    break;
  }
  }
}

/* ---- the execution ---- */

static cJSON *make_context(asl_exec *x) {
  const asl_machine *m = x->m;
  char iso[40];
  asl_iso8601(x->start, iso, sizeof iso);
  cJSON *c = cJSON_CreateObject();
  cJSON *e = cJSON_AddObjectToObject(c, "Execution");
  cJSON_AddStringToObject(e, "Id", x->arn);
  /* a reference, not a copy: x->input lives as long as the context */
  cJSON_AddItemToObject(e, "Input", cJSON_IsObject(x->input)
                                        ? cJSON_CreateObjectReference(
                                              x->input->child)
                                    : cJSON_IsArray(x->input)
                                        ? cJSON_CreateArrayReference(
                                              x->input->child)
                                        : asl_json_dup(x->input));
  cJSON_AddStringToObject(e, "Name", x->name);
  if (strcmp(m->type, "EXPRESS") != 0)
    cJSON_AddNumberToObject(e, "RedriveCount", 0);
  cJSON_AddStringToObject(e, "RoleArn", m->role_arn);
  cJSON_AddStringToObject(e, "StartTime", iso);
  cJSON_AddObjectToObject(c, "State");
  cJSON *sm = cJSON_AddObjectToObject(c, "StateMachine");
  cJSON_AddStringToObject(sm, "Id", m->arn);
  cJSON_AddStringToObject(sm, "Name", m->name);
  return c;
}

asl_exec *exec_new(const asl_machine *m, cJSON *input, const asl_run_opts *o) {
  static const asl_run_opts dflt = {0};
  if (!o) o = &dflt;
  asl_exec *x = asl_calloc(1, sizeof *x);
  x->m = m;
  x->o = *o;
  x->start = x->now = o->start_time > 0 ? o->start_time : exec_real_now();
  x->rng = o->seed ? o->seed : (uint64_t)(x->start * 1e6) ^ (uint64_t)getpid();
  x->name = o->name ? asl_strdup(o->name) : make_uuid(x);
  x->o.name = NULL; /* borrowed: not to be read later */
  const char *sm = strstr(m->arn, ":stateMachine:");
  int express = x->express = strcmp(m->type, "EXPRESS") == 0;
  if (express) {
    char *u = make_uuid(x);
    x->arn = asl_sprintf("%.*s:express:%s:%s:%s", (int)(sm - m->arn), m->arn,
                         m->name, x->name, u);
    free(u);
  } else {
    x->arn = asl_sprintf("%.*s:execution:%s:%s", (int)(sm - m->arn), m->arn,
                         m->name, x->name);
  }
  x->input = input;
  x->context = make_context(x);
  x->history = o->keep_history ? cJSON_CreateArray() : NULL;
  x->want_events = o->keep_history || (o->sink && o->sink->event);
  x->want_child_events = o->sink && o->sink->child_event;
  pthread_mutex_init(&x->mu, NULL);
  pthread_cond_init(&x->cv, NULL);
  return x;
}

asl_exec *asl_exec_start_take(const asl_machine *m, cJSON *input,
                              const asl_run_opts *o) {
  asl_exec *x = exec_new(m, input, o);
  cJSON *det = cJSON_CreateObject();
  exec_payload(det, "input", input);
  cJSON_AddStringToObject(det, "roleArn", m->role_arn);
  exec_event(x, NULL, "ExecutionStarted", "executionStartedEventDetails", det,
             0);
  x->top = exec_frame_new(x, &m->top, NULL, 0, asl_json_dup(input));
  x->top->last = 0; /* AWS: the first state's Entered has previousEventId 0 */
  exec_ready(x, x->top);
  return x;
}

static double deadline(const asl_exec *x) {
  double d = x->m->timeout_seconds ? x->start + (double)x->m->timeout_seconds
                                   : 0;
  /* EXPRESS executions last at most five minutes. */
  if (x->express) {
    double e = x->start + 300;
    if (d == 0 || e < d) d = e;
  }
  return d;
}

static void time_out(asl_exec *x) {
  x->done = 1;
  x->status = asl_strdup("TIMED_OUT");
  x->error = asl_strdup("States.Timeout");
  cJSON *det = cJSON_CreateObject();
  cJSON_AddStringToObject(det, "error", x->error);
  exec_event(x, NULL, "ExecutionTimedOut", "executionTimedOutEventDetails",
             det, x->last_id);
}

/* StopExecution, asked from another thread: through asl_run_opts.stop
 * (seen at the next step, or within ASL_STOP_POLL_S while waiting), or
 * asl_execution_stop (live.c: signalled). The caller holds x->mu. */
static int stop_requested(const asl_exec *x) {
  return x->stop_requested || (x->o.stop && atomic_load(&x->o.stop->requested));
}

static int stop_wanted(asl_exec *x) {
  pthread_mutex_lock(&x->mu);
  int p = stop_requested(x);
  pthread_mutex_unlock(&x->mu);
  return p;
}

static void tick(asl_exec *x);

/* The execution ends ABORTED, with StopExecution's error and cause; its
 * running children (a distributed Map's) are aborted too. */
static void exec_stop(asl_exec *x) {
  if (x->done) return;
  x->done = 1;
  x->status = asl_strdup("ABORTED");
  pthread_mutex_lock(&x->mu);
  const char *error = x->stop_error, *cause = x->stop_cause;
  if (!x->stop_requested && x->o.stop) {
    error = x->o.stop->error;
    cause = x->o.stop->cause;
  }
  x->error = error ? asl_strdup(error) : NULL;
  x->cause = cause ? asl_strdup(cause) : NULL;
  pthread_mutex_unlock(&x->mu);
  if (x->top) {
    exec_kids_abort(x->top);
    exec_task_abandon(x->top);
  }
  cJSON *det = cJSON_CreateObject();
  if (x->error) cJSON_AddStringToObject(det, "error", x->error);
  if (x->cause) cJSON_AddStringToObject(det, "cause", x->cause);
  exec_event(x, NULL, "ExecutionAborted", "executionAbortedEventDetails", det,
             x->last_id);
  tick(x);
}

/* STANDARD executions stop at AWS's history quota: the failure event is the
 * last one there is room for. */
static int history_full(asl_exec *x) {
  if (x->express || x->last_id < ASL_MAX_HISTORY_EVENTS - 1)
    return 0;
  x->done = 1;
  x->status = asl_strdup("FAILED");
  x->error = asl_strdup("States.Runtime");
  x->cause = asl_sprintf("The execution reached the maximum number of "
                         "history events (%d).",
                         ASL_MAX_HISTORY_EVENTS);
  cJSON *det = cJSON_CreateObject();
  cJSON_AddStringToObject(det, "error", x->error);
  cJSON_AddStringToObject(det, "cause", x->cause);
  exec_event(x, NULL, "ExecutionFailed", "executionFailedEventDetails", det,
             x->last_id);
  return 1;
}

/* The end of a tick: the sink gets the checkpoint (NULL once done). */
static void tick(asl_exec *x) {
  x->steps = 0;
  if (!x->o.sink || !x->o.sink->tick) return;
  cJSON *ck = x->done ? NULL : exec_checkpoint(x);
  x->o.sink->tick(x->o.sink->ud, ck);
  cJSON_Delete(ck);
}

int asl_exec_step(asl_exec *x) {
  if (x->done) return ASL_EXEC_DONE;
  if (history_full(x)) {
    tick(x);
    return ASL_EXEC_DONE;
  }
  if (stop_wanted(x)) {
    exec_stop(x);
    return ASL_EXEC_DONE;
  }
  drain_completions(x);
  wake_sleepers(x);
  double dl = deadline(x);
  if (dl > 0 && x->now >= dl) {
    time_out(x);
    tick(x);
    return ASL_EXEC_DONE;
  }
  frame *f = x->done ? NULL : pop_ready(x);
  if (f) {
    run_frame(f);
    if (x->done || ++x->steps >= ASL_TICK_STEPS) tick(x);
    return x->done ? ASL_EXEC_DONE : ASL_EXEC_RUNNING;
  }
  tick(x);
  /* a completion drained above may have ended the execution (the last
   * state a Task): done, not waiting, or an EXPRESS run would sleep until
   * its 5-minute deadline */
  return x->done ? ASL_EXEC_DONE : ASL_EXEC_WAITING;
}

double asl_exec_wake_time(const asl_exec *x) {
  double t = next_wake(x), dl = deadline(x);
  if (dl > 0 && (t == 0 || dl < t)) t = dl;
  return t;
}

void asl_exec_set_time(asl_exec *x, double now) {
  if (now > x->now) x->now = now;
}

static void add_date(cJSON *o, const char *k, double t) {
  cJSON_AddNumberToObject(o, k, floor(t * 1000.0) / 1000.0);
}

void asl_exec_finish(asl_exec *x, asl_result *r) {
  memset(r, 0, sizeof *r);
  r->status = asl_strdup(x->status ? x->status : "RUNNING");
  r->output = x->output;
  x->output = NULL;
  r->error = x->error ? asl_strdup(x->error) : NULL;
  r->cause = x->cause ? asl_strdup(x->cause) : NULL;
  r->history = x->history;
  x->history = NULL;
  r->events = x->events;
  r->child_events = x->child_events;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "executionArn", x->arn);
  cJSON_AddStringToObject(d, "stateMachineArn", x->m->arn);
  cJSON_AddStringToObject(d, "name", x->name);
  cJSON_AddStringToObject(d, "status", r->status);
  add_date(d, "startDate", x->start);
  if (x->done) add_date(d, "stopDate", x->now);
  char *in = asl_json_print(x->input);
  cJSON_AddStringToObject(d, "input", in);
  free(in);
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(d, "inputDetails"), "included",
                        1);
  if (r->output) {
    char *out = asl_json_print(r->output);
    cJSON_AddStringToObject(d, "output", out);
    free(out);
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(d, "outputDetails"),
                          "included", 1);
  }
  if (r->error) cJSON_AddStringToObject(d, "error", r->error);
  if (r->cause) cJSON_AddStringToObject(d, "cause", r->cause);
  if (strcmp(x->m->type, "EXPRESS") != 0) {
    cJSON_AddNumberToObject(d, "redriveCount", 0);
    cJSON_AddStringToObject(d, "redriveStatus", "NOT_REDRIVABLE");
  }
  r->describe = d;
}

/* Waits until every worker has handed back its job, so none writes into a
 * freed execution. */
static void join_workers(asl_exec *x) {
  pthread_mutex_lock(&x->mu);
  while (x->inflight > 0) pthread_cond_wait(&x->cv, &x->mu);
  pthread_mutex_unlock(&x->mu);
  drain_completions(x);
}

void asl_exec_free(asl_exec *x) {
  if (!x) return;
  live_exec_remove(x);
  x->freeing = 1; /* frames still running stay as the store has them */
  if (x->top) exec_kids_abort(x->top);
  exec_task_abandon(x->top);
  join_workers(x);
  exec_frame_free(x->top);
  free(x->sleepers);
  free(x->name);
  free(x->arn);
  free(x->status);
  free(x->error);
  free(x->cause);
  free(x->stop_error);
  free(x->stop_cause);
  cJSON_Delete(x->input);
  cJSON_Delete(x->context);
  cJSON_Delete(x->history);
  cJSON_Delete(x->output);
  pthread_mutex_destroy(&x->mu);
  pthread_cond_destroy(&x->cv);
  free(x);
}

/* ---- run to the end ---- */

static int completions_pending(asl_exec *x) {
  pthread_mutex_lock(&x->mu);
  int p = x->done_head != NULL || x->notes;
  pthread_mutex_unlock(&x->mu);
  return p;
}

static int parked(asl_exec *x) {
  pthread_mutex_lock(&x->mu);
  int p = x->parked > 0;
  pthread_mutex_unlock(&x->mu);
  return p;
}

/* Blocks until a worker completes a job or the real clock reaches `until`
 * (0: no limit). */
static void wait_completion(asl_exec *x, double until) {
  pthread_mutex_lock(&x->mu);
  while (!x->done_head && !x->notes && !stop_requested(x) &&
         (x->inflight > 0 || x->parked > 0 || until > 0)) {
    double t = until;
    if (x->o.stop) { /* wake now and then to look for a stop request */
      double poll = exec_real_now() + ASL_STOP_POLL_S;
      if (t <= 0 || t > poll) t = poll;
    }
    if (t > 0) {
      struct timespec ts;
      ts.tv_sec = (time_t)t;
      ts.tv_nsec = (long)((t - floor(t)) * 1e9);
      if (pthread_cond_timedwait(&x->cv, &x->mu, &ts) != 0 && t == until)
        break;
    } else {
      pthread_cond_wait(&x->cv, &x->mu);
    }
  }
  pthread_mutex_unlock(&x->mu);
}

/* Drives x until it ends: runs ready frames, waits for tasks, sleeps or
 * (virtual clock) jumps to the next timer. */
static void run_to_end(asl_exec *x, const asl_run_opts *o) {
  /* The execution's clock: virtual (jumps to the next timer), or the real
   * clock sped up time_scale times from where the execution's clock is. */
  double scale = o->time_scale > 1 ? o->time_scale : 1;
  double real0 = exec_real_now(), base = x->now;
  double skew = 0; /* virtual clock: added up jumps */
#define CLOCK()                                                                \
  (o->virtual_clock ? base + (exec_real_now() - real0) + skew                  \
                                  : base + (exec_real_now() - real0) * scale)
#define REAL_AT(t)                                                             \
  (o->virtual_clock ? real0 + ((t)-base - skew) : real0 + ((t)-base) / scale)
  for (;;) {
    if (stop_wanted(x)) {
      asl_exec_set_time(x, CLOCK());
      exec_stop(x);
      break;
    }
    int st = asl_exec_step(x);
    if (st == ASL_EXEC_DONE) break;
    if (st == ASL_EXEC_RUNNING || completions_pending(x)) {
      asl_exec_set_time(x, CLOCK());
      continue;
    }
    /* Nothing is ready: only a task, a token, a timer or a stop can move
     * the run on. */
    double t = asl_exec_wake_time(x);
    if (x->inflight > 0 || parked(x)) {
      /* Tasks take real time: wait for one, or for the next timer. */
      wait_completion(x, t > 0 ? REAL_AT(t) : 0);
      asl_exec_set_time(x, CLOCK());
      if (o->virtual_clock && !completions_pending(x) && t > 0 && x->now < t &&
          CLOCK() >= t)
        asl_exec_set_time(x, t);
      continue;
    }
    if (t <= 0) break; /* nothing can ever happen: a bug, not a hang */
    if (o->virtual_clock) {
      if (t > CLOCK()) skew += t - CLOCK();
      asl_exec_set_time(x, t);
    } else {
      /* a Wait: asleep until its time, or a stop */
      while (exec_real_now() < REAL_AT(t) && !stop_wanted(x))
        wait_completion(x, REAL_AT(t));
      asl_exec_set_time(x, CLOCK() > t ? CLOCK() : t);
    }
  }
#undef CLOCK
#undef REAL_AT
}

int asl_resume(const asl_machine *m, const cJSON *checkpoint,
               const asl_run_opts *o, asl_result *r, char **msg) {
  static const asl_run_opts dflt = {0};
  if (!o) o = &dflt;
  if (msg) *msg = NULL;
  memset(r, 0, sizeof *r);
  double t0 = exec_real_now();
  asl_exec *x = exec_restore(m, checkpoint, o, msg);
  if (!x) return -1;
  live_exec_add(x);
  run_to_end(x, o);
  asl_exec_finish(x, r);
  r->run_ms = (exec_real_now() - t0) * 1e3;
  asl_exec_free(x);
  return 0;
}

int asl_run(const asl_machine *m, const char *input_text,
            const asl_run_opts *o, asl_result *r, char **msg) {
  static const asl_run_opts dflt = {0};
  if (!o) o = &dflt;
  if (msg) *msg = NULL;
  memset(r, 0, sizeof *r);
  if (!input_text) input_text = "{}";
  size_t len = strlen(input_text);
  size_t max = o->max_payload ? o->max_payload : ASL_MAX_PAYLOAD;
  if (len > max) {
    if (msg) *msg = asl_sprintf("the input is larger than %zu bytes", max);
    return -1;
  }
  cJSON *input = asl_json_parse(input_text, len, msg);
  if (!input) return -1;
  double t0 = exec_real_now();
  asl_exec *x = asl_exec_start_take(m, input, o);
  live_exec_add(x);
  run_to_end(x, o);
  asl_exec_finish(x, r);
  r->run_ms = (exec_real_now() - t0) * 1e3;
  asl_exec_free(x);
  return 0;
}

void asl_result_free(asl_result *r) {
  free(r->status);
  free(r->error);
  free(r->cause);
  cJSON_Delete(r->output);
  cJSON_Delete(r->history);
  cJSON_Delete(r->describe);
  memset(r, 0, sizeof *r);
}
