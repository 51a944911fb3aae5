/* exec_ckpt.c: checkpoints of a running execution and resuming from one.
 *
 * A checkpoint is JSON: the execution's identity, clock, event count and
 * random state, and its tree of frames, each with the state it is in, its
 * input, variables, retry counts, a Wait's pending output, and (Parallel and
 * Map) its running children and the results of the finished ones. It is
 * taken between two steps, when no frame is half-way through one.
 *
 * Resuming rebuilds the frames and puts each where it was: ready, asleep
 * until its time, or waiting for its children. A Task that was running has
 * no recorded outcome, so it runs again (at least once, as on AWS), without
 * writing its TaskScheduled and TaskStarted events a second time.
 *
 * Large values are not copied into every checkpoint when the sink keeps
 * blobs: a value over BLOB_MIN bytes (an input, a Map's items) is written
 * once as blob "v<n>" and the checkpoint has "<member>Blob": "v<n>" in its
 * place while the value stays the same; a Map run's finished results are
 * blobs "r<run>.<index>", written as each iteration ends, and the
 * checkpoint has "resultsPrefix" instead of "results". So a checkpoint
 * stays the size of what is running, however many items a Map has.
 * asl_checkpoint_resolve puts the values back before a resume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_int.h"
#include "json.h"
#include "mock.h"

#define CKPT_VERSION 1

enum { BLOB_MIN = 16384 };

/* Members of a frame, of its "children", and of the top level that may be
 * written as blobs. */
static const char *const BLOB_MEMBERS[] = {"input", "items"};

static void add_num(cJSON *o, const char *k, double v) {
  cJSON_AddNumberToObject(o, k, v);
}

static void add_dup(cJSON *o, const char *k, const cJSON *v) {
  if (v) cJSON_AddItemToObject(o, k, asl_json_dup(v));
}

static int has_blobs(const asl_exec *x) {
  return x->o.sink && x->o.sink->blob;
}

/* Member k = v: as a copy, or for a large value, as the name of its blob
 * (*blob: its number, given and written the first time). */
static void add_val(asl_exec *x, cJSON *o, const char *k, const cJSON *v,
                    int *blob) {
  if (!v) return;
  if (!*blob && (!has_blobs(x) || asl_json_size_within(v, BLOB_MIN))) {
    add_dup(o, k, v);
    return;
  }
  char key[24], member[32];
  if (!*blob) {
    *blob = ++x->blob_seq;
    snprintf(key, sizeof key, "v%d", *blob);
    x->o.sink->blob(x->o.sink->ud, key, v);
  }
  snprintf(key, sizeof key, "v%d", *blob);
  snprintf(member, sizeof member, "%sBlob", k);
  cJSON_AddStringToObject(o, member, key);
}

static cJSON *ck_frame(frame *f) {
  asl_exec *x = f->x;
  cJSON *o = cJSON_CreateObject();
  add_num(o, "cur", f->cur);
  add_num(o, "step", f->step);
  add_num(o, "phase", f->phase);
  add_num(o, "wake", f->wake);
  add_val(x, o, "input", f->input, &f->input_blob);
  if (f->eff_borrowed) cJSON_AddTrueToObject(o, "effIsInput");
  else add_dup(o, "eff", f->eff);
  add_dup(o, "vars", f->vars);
  add_num(o, "last", f->last);
  add_num(o, "enteredId", f->entered_id);
  add_num(o, "enteredTime", f->entered_time);
  if (f->quiet) cJSON_AddTrueToObject(o, "quiet");
  if (f->owns_child && f->child) {
    cJSON *c = cJSON_AddObjectToObject(o, "child");
    cJSON_AddStringToObject(c, "name", f->child->name);
    cJSON_AddStringToObject(c, "arn", f->child->arn);
    add_num(c, "lastId", f->child->last_id);
  }
  if (f->is_item) add_num(o, "item", (double)f->item_index);
  if (f->retry_counts) {
    size_t n = asl_retry_count(f->g->states[f->cur].retry);
    cJSON *rc = cJSON_AddArrayToObject(o, "retries");
    for (size_t i = 0; i < n; i++)
      cJSON_AddItemToArray(rc, cJSON_CreateNumber(f->retry_counts[i]));
  }
  if (f->pending_output) {
    cJSON *w = cJSON_AddObjectToObject(o, "waiting");
    add_dup(w, "output", f->pending_output);
    add_dup(w, "assigned", f->pending_assigned);
    add_num(w, "next", f->pending_next);
  }
  if (f->job) cJSON_AddTrueToObject(o, "taskRunning");
  if (f->task_token) cJSON_AddStringToObject(o, "taskToken", f->task_token);
  if (f->job && f->job->waits && f->job->stage != JOB_SUBMIT) {
    /* submitted (or nothing to submit): only its token is awaited */
    char *worker = NULL;
    cJSON *w = cJSON_AddObjectToObject(o, "awaitingToken");
    if (live_polled(f->job, &worker)) {
      cJSON_AddStringToObject(w, "worker", worker ? worker : "");
      if (f->job->started_sent) cJSON_AddTrueToObject(w, "startedSent");
    }
    free(worker);
    add_num(w, "hbSince", f->job->hb_since);
  }
  if (f->phase == PH_CHILDREN) {
    cJSON *c = cJSON_AddObjectToObject(o, "children");
    add_num(c, "n", (double)f->nkids);
    add_num(c, "launched", (double)f->launched);
    add_num(c, "finished", (double)f->finished);
    add_num(c, "failed", (double)f->nfailed);
    add_num(c, "maxConcurrency", (double)f->max_conc);
    add_num(c, "toleratedPct", f->tolerated_pct);
    add_num(c, "toleratedCount", (double)f->tolerated_count);
    add_num(c, "hasTolerance", f->has_tolerance);
    add_num(c, "launchPrev", f->launch_prev);
    add_num(c, "kidsLast", f->kids_last);
    if (f->map_run) cJSON_AddStringToObject(c, "mapRun", f->map_run);
    add_num(c, "mapSeq", f->map_seq);
    add_val(x, c, "items", f->items_ro, &f->items_blob);
    /* a Map's finished results are blobs already (see map_child_done) */
    int by_prefix = has_blobs(x) && f->map_seq &&
                    f->g->states[f->cur].ops->kind == ASL_KIND_MAP;
    if (by_prefix) {
      char p[24];
      snprintf(p, sizeof p, "r%d.", f->map_seq);
      cJSON_AddStringToObject(c, "resultsPrefix", p);
    }
    cJSON *run = cJSON_AddObjectToObject(c, "running");
    cJSON *res = cJSON_AddObjectToObject(c, "results");
    char key[24];
    /* only launched children have run or finished; by prefix, only the
     * running ones are written (the loop is the tick's cost for a Map of
     * many items, so it names no slot it need not) */
    size_t upto = f->launched < f->nkids ? f->launched : f->nkids;
    if (f->g->states[f->cur].ops->kind != ASL_KIND_MAP) upto = f->nkids;
    for (size_t i = 0; i < upto; i++) {
      if (f->kids && f->kids[i]) {
        asl_fmt_ll(key, (long long)i);
        cJSON_AddItemToObject(run, key, ck_frame(f->kids[i]));
      } else if (f->resv && f->resv[i] && !by_prefix) {
        asl_fmt_ll(key, (long long)i);
        cJSON_AddItemToObject(res, key, asl_json_dup(f->resv[i]));
      }
    }
  }
  return o;
}

cJSON *exec_checkpoint(asl_exec *x) {
  cJSON *o = cJSON_CreateObject();
  add_num(o, "version", CKPT_VERSION);
  cJSON_AddStringToObject(o, "name", x->name);
  cJSON_AddStringToObject(o, "arn", x->arn);
  add_num(o, "start", x->start);
  add_num(o, "now", x->now);
  add_val(x, o, "input", x->input, &x->input_blob);
  add_num(o, "lastId", x->last_id);
  add_num(o, "events", (double)x->events);
  char rng[24];
  asl_fmt_ll(rng, (long long)x->rng);
  cJSON_AddStringToObject(o, "rng", rng);
  if (x->top) cJSON_AddItemToObject(o, "top", ck_frame(x->top));
  add_num(o, "blobSeq", x->blob_seq);
  if (x->o.mock) cJSON_AddItemToObject(o, "mock", asl_mock_counters(x->o.mock));
  return o;
}

/* ---- restoring ---- */

typedef struct {
  asl_exec *x;
  char *err;
} rs;

/* A number member, or dflt; clamped to +-1e11 so that no conversion to an
 * integer or a time can overflow, whatever a damaged checkpoint holds. */
static double num(const cJSON *o, const char *k, double dflt) {
  const cJSON *v = asl_json_get(o, k);
  if (!cJSON_IsNumber(v) || isnan(v->valuedouble)) return dflt;
  double d = v->valuedouble;
  return d > 1e11 ? 1e11 : d < -1e11 ? -1e11 : d;
}

/* An int member (event ids, indices), or dflt when out of int range. */
static int inum(const cJSON *o, const char *k, int dflt) {
  double d = num(o, k, dflt);
  return d >= -2e9 && d <= 2e9 ? (int)d : dflt;
}

static cJSON *take_dup(const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  return v ? asl_json_dup(v) : NULL;
}

static frame *rs_frame(rs *r, const asl_graph *g, frame *parent, size_t slot,
                       const cJSON *o);

/* The graph a child of f at slot runs. */
static const asl_graph *child_graph(const frame *f, size_t slot) {
  const asl_state *st = &f->g->states[f->cur];
  if (st->ops->kind == ASL_KIND_PARALLEL) {
    const asl_parallel_spec *p = st->data;
    return slot < p->n ? &p->branches[slot] : NULL;
  }
  if (st->ops->kind == ASL_KIND_MAP) return &((asl_map_spec *)st->data)->g;
  return NULL;
}

static int rs_children(rs *r, frame *f, const cJSON *c) {
  const asl_state *st = &f->g->states[f->cur];
  double nk = num(c, "n", -1);
  if (st->ops->kind != ASL_KIND_PARALLEL && st->ops->kind != ASL_KIND_MAP)
    return -1;
  if (nk < 0 || nk > 1e8 || nk != floor(nk) ||
      num(c, "launched", -1) < 0 || num(c, "launched", -1) > nk ||
      num(c, "finished", -1) < 0 || num(c, "finished", -1) > nk)
    return -1;
  if (st->ops->kind == ASL_KIND_MAP && !cJSON_IsArray(asl_json_get(c, "items")))
    return -1;
  f->nkids = (size_t)num(c, "n", 0);
  f->launched = (size_t)num(c, "launched", 0);
  f->finished = (size_t)num(c, "finished", 0);
  f->nfailed = (size_t)fmax(0, num(c, "failed", 0));
  f->max_conc = (long long)num(c, "maxConcurrency", 0);
  f->tolerated_pct = num(c, "toleratedPct", -1);
  f->tolerated_count = (long long)num(c, "toleratedCount", -1);
  f->has_tolerance = inum(c, "hasTolerance", 0);
  f->launch_prev = inum(c, "launchPrev", 0);
  f->kids_last = inum(c, "kidsLast", 0);
  const cJSON *mr = asl_json_get(c, "mapRun");
  if (cJSON_IsString(mr)) f->map_run = asl_strdup(mr->valuestring);
  f->map_seq = inum(c, "mapSeq", 0);
  f->items = take_dup(c, "items");
  f->items_ro = f->items;
  size_t n = f->nkids;
  f->kids = asl_calloc(n ? n : 1, sizeof *f->kids);
  f->resv = asl_calloc(n ? n : 1, sizeof *f->resv);
  if (f->items) {
    if ((size_t)cJSON_GetArraySize(f->items) != n) return -1;
    f->itemv = asl_calloc(n ? n : 1, sizeof *f->itemv);
    size_t i = 0;
    for (const cJSON *it = f->items->child; it; it = it->next)
      f->itemv[i++] = it;
  }
  const cJSON *res = asl_json_get(c, "results");
  const cJSON *run = asl_json_get(c, "running");
  if ((res && !cJSON_IsObject(res)) || (run && !cJSON_IsObject(run)))
    return -1;
  for (const cJSON *v = res ? res->child : NULL; v; v = v->next) {
    size_t i = (size_t)strtoull(v->string, NULL, 10);
    if (i >= n || f->resv[i]) return -1; /* out of range, or twice */
    f->resv[i] = asl_json_dup(v);
  }
  for (const cJSON *k = run ? run->child : NULL; k; k = k->next) {
    size_t i = (size_t)strtoull(k->string, NULL, 10);
    int map = st->ops->kind == ASL_KIND_MAP;
    const asl_graph *cg = i < n && !f->kids[i] && !f->resv[i] &&
                                  (!map || i < f->launched)
                              ? child_graph(f, i)
                              : NULL;
    if (!cg) return -1;
    f->kids[i] = rs_frame(r, cg, f, i, k);
    if (!f->kids[i]) return -1;
  }
  return 0;
}

/* Puts a restored frame where it was: ready, asleep, or (a Task whose
 * outcome was not recorded) about to run its Task again. */
static void rs_schedule(asl_exec *x, frame *f, const cJSON *o) {
  const cJSON *aw = asl_json_get(o, "awaitingToken");
  if (cJSON_IsTrue(asl_json_get(o, "taskRunning")) && cJSON_IsObject(aw) &&
      f->task_token) {
    /* waiting for its token: waits again, the token the same */
    const cJSON *wk = asl_json_get(aw, "worker");
    exec_task_await_again(f, cJSON_IsString(wk) ? wk->valuestring : NULL,
                          cJSON_IsTrue(asl_json_get(aw, "startedSent")),
                          num(aw, "hbSince", x->now));
  } else if (cJSON_IsTrue(asl_json_get(o, "taskRunning"))) {
    f->step = ST_RETRY;
    f->rerun_task = 1;
    exec_ready(x, f);
  } else if (f->phase == PH_TIMER) {
    exec_sleep(x, f, f->wake);
  } else if (f->phase == PH_READY) {
    exec_ready(x, f);
  }
}

/* Is o a frame a checkpoint of ours can hold for graph g? A damaged
 * store must give a refusal, never a crash. */
static int frame_ok(const asl_graph *g, const cJSON *o) {
  double cur = num(o, "cur", -1), step = num(o, "step", -1);
  double phase = num(o, "phase", -1);
  const cJSON *w = asl_json_get(o, "waiting");
  double next = w ? num(w, "next", -2) : -1;
  /* a state past its entry needs its effective input */
  int eff = asl_json_get(o, "eff") ||
            cJSON_IsTrue(asl_json_get(o, "effIsInput"));
  /* a frame waiting for children has them */
  if (phase == PH_CHILDREN && !cJSON_IsObject(asl_json_get(o, "children")))
    return 0;
  if (!(cur >= 0 && cur < (double)g->n && cur == floor(cur))) return 0;
  int kind = g->states[(size_t)cur].ops->kind;
  /* a retry or a running Task only in a state that has them; a Wait's
   * pending exit only with its output */
  if (step == ST_RETRY && kind == ASL_KIND_SIMPLE) return 0;
  if (cJSON_IsTrue(asl_json_get(o, "taskRunning")) && kind != ASL_KIND_TASK)
    return 0;
  if (step == ST_WAITED && !w) return 0;
  return cJSON_IsObject(o) && cur >= 0 && cur < (double)g->n &&
         ((step == ST_ENTER && phase == PH_READY &&
           !cJSON_IsTrue(asl_json_get(o, "taskRunning"))) ||
          eff || asl_json_get(o, "waiting")) &&
         cur == floor(cur) && step >= ST_ENTER && step <= ST_RETRY &&
         phase >= PH_READY && phase < PH_DONE &&
         /* a Wait in progress has handed its input over to its output */
         (asl_json_get(o, "input") || w) &&
         (!w || (asl_json_get(w, "output") && next >= -1 &&
                 next < (double)g->n && next == floor(next)));
}

static frame *rs_frame(rs *r, const asl_graph *g, frame *parent, size_t slot,
                       const cJSON *o) {
  if (!frame_ok(g, o)) return NULL;
  int cur = inum(o, "cur", -1);
  frame *f = exec_frame_new(r->x, g, parent, slot, take_dup(o, "input"));
  f->cur = cur;
  f->step = inum(o, "step", ST_ENTER);
  f->phase = inum(o, "phase", PH_READY);
  f->wake = num(o, "wake", 0);
  int running_task = cJSON_IsTrue(asl_json_get(o, "taskRunning"));
  if (f->step == ST_ENTER && f->phase == PH_READY && !running_task) {
    /* entering computes its effective input afresh */
  } else if (cJSON_IsTrue(asl_json_get(o, "effIsInput"))) {
    f->eff = f->input;
    f->eff_borrowed = 1;
  } else {
    f->eff = take_dup(o, "eff");
  }
  cJSON *vars = take_dup(o, "vars");
  if (vars) {
    cJSON_Delete(f->vars);
    f->vars = vars;
  }
  f->last = inum(o, "last", 0);
  f->entered_id = inum(o, "enteredId", 0);
  f->entered_time = num(o, "enteredTime", r->x->now);
  f->quiet = cJSON_IsTrue(asl_json_get(o, "quiet"));
  const cJSON *tt = asl_json_get(o, "taskToken");
  if (cJSON_IsString(tt) && g->states[cur].ops->kind == ASL_KIND_TASK)
    f->task_token = asl_strdup(tt->valuestring);
  const cJSON *ch = asl_json_get(o, "child");
  if (ch) { /* a child execution's top frame: its own history goes on */
    const cJSON *cn = asl_json_get(ch, "name"), *ca = asl_json_get(ch, "arn");
    if (!cJSON_IsString(cn) || !cJSON_IsString(ca)) {
      exec_frame_free(f);
      return NULL;
    }
    f->child = asl_calloc(1, sizeof *f->child);
    f->child->name = asl_strdup(cn->valuestring);
    f->child->arn = asl_strdup(ca->valuestring);
    f->child->last_id = inum(ch, "lastId", 0);
    if (f->child->last_id < 1) f->child->last_id = 1;
    f->owns_child = 1;
  }
  const cJSON *item = asl_json_get(o, "item");
  if (cJSON_IsNumber(item) && parent && parent->itemv &&
      item->valuedouble >= 0 && item->valuedouble < (double)parent->nkids) {
    f->is_item = 1;
    f->item_index = (long long)item->valuedouble;
    f->item_value = parent->itemv[f->item_index];
  }
  const cJSON *rc = asl_json_get(o, "retries");
  size_t nr = asl_retry_count(g->states[cur].retry);
  if (cJSON_IsArray(rc) && nr) {
    f->retry_counts = asl_calloc(nr, sizeof(int));
    size_t i = 0;
    for (const cJSON *v = rc->child; v && i < nr; v = v->next)
      f->retry_counts[i++] = cJSON_IsNumber(v) && v->valueint >= 0
                                 ? v->valueint
                                 : 0;
  }
  const cJSON *w = asl_json_get(o, "waiting");
  if (w && f->step == ST_WAITED) {
    f->pending_output = take_dup(w, "output");
    f->pending_assigned = take_dup(w, "assigned");
    f->pending_next = inum(w, "next", -1);
  }
  const cJSON *c = asl_json_get(o, "children");
  if (c && rs_children(r, f, c) < 0) {
    exec_kids_abort(f);
    exec_frame_free(f);
    return NULL;
  }
  exec_activate(f);
  rs_schedule(r->x, f, o);
  return f;
}

asl_exec *exec_restore(const asl_machine *m, const cJSON *ck,
                       const asl_run_opts *o, char **msg) {
  if (num(ck, "version", 0) != CKPT_VERSION || !asl_json_get(ck, "top") ||
      !cJSON_IsString(asl_json_get(ck, "name"))) {
    if (msg) *msg = asl_strdup("the checkpoint is not one this asl writes");
    return NULL;
  }
  double start = num(ck, "start", -1), now = num(ck, "now", -1);
  if (!asl_json_get(ck, "input") || !(start > 0 && start < 1e11) ||
      !(now >= start && now < 1e11) || num(ck, "lastId", -1) < 0) {
    if (msg) *msg = asl_strdup("the checkpoint is damaged");
    return NULL;
  }
  asl_run_opts ro = *o;
  ro.name = asl_json_get(ck, "name")->valuestring;
  ro.start_time = num(ck, "start", 0);
  asl_exec *x = exec_new(m, take_dup(ck, "input"), &ro);
  x->now = num(ck, "now", x->start);
  x->last_id = inum(ck, "lastId", 0);
  x->blob_seq = inum(ck, "blobSeq", 0);
  x->events = (long long)num(ck, "events", x->last_id);
  const cJSON *rng = asl_json_get(ck, "rng");
  if (cJSON_IsString(rng)) x->rng = strtoull(rng->valuestring, NULL, 10);
  rs r = {x, NULL};
  x->top = rs_frame(&r, &m->top, NULL, 0, asl_json_get(ck, "top"));
  if (!x->top) {
    if (msg) *msg = asl_strdup("the checkpoint does not fit this definition");
    asl_exec_free(x);
    return NULL;
  }
  const cJSON *mc = asl_json_get(ck, "mock");
  if (x->o.mock && mc && asl_mock_set_counters(x->o.mock, mc, msg) < 0) {
    asl_exec_free(x);
    return NULL;
  }
  return x;
}

/* ---- blobs back into a checkpoint ---- */

typedef struct {
  asl_blob_get get;
  void *ud;
  char *msg;
} resolver;

/* Replaces o's "<m>Blob": key members by "<m>": the blob. */
static int resolve_members(resolver *r, cJSON *o) {
  for (size_t i = 0; i < sizeof BLOB_MEMBERS / sizeof *BLOB_MEMBERS; i++) {
    char member[32];
    snprintf(member, sizeof member, "%sBlob", BLOB_MEMBERS[i]);
    cJSON *k = cJSON_GetObjectItemCaseSensitive(o, member);
    if (!k) continue;
    cJSON *v = cJSON_IsString(k) ? r->get(r->ud, k->valuestring, 0) : NULL;
    if (!v) {
      r->msg = asl_sprintf("the checkpoint names blob %s, which is missing",
                           cJSON_IsString(k) ? k->valuestring : "(bad)");
      return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, member);
    cJSON_DeleteItemFromObjectCaseSensitive(o, BLOB_MEMBERS[i]);
    cJSON_AddItemToObject(o, BLOB_MEMBERS[i], v);
  }
  return 0;
}

static int resolve_frame(resolver *r, cJSON *f) {
  if (!cJSON_IsObject(f) || resolve_members(r, f) < 0) return -1;
  cJSON *c = cJSON_GetObjectItemCaseSensitive(f, "children");
  if (!c) return 0;
  if (!cJSON_IsObject(c) || resolve_members(r, c) < 0) return -1;
  cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "resultsPrefix");
  if (p) {
    cJSON *res = cJSON_IsString(p) ? r->get(r->ud, p->valuestring, 1) : NULL;
    if (!res) res = cJSON_CreateObject(); /* no iteration has finished */
    cJSON_DeleteItemFromObjectCaseSensitive(c, "results");
    cJSON_AddItemToObject(c, "results", res);
  }
  cJSON *run = cJSON_GetObjectItemCaseSensitive(c, "running");
  for (cJSON *k = run ? run->child : NULL; k; k = k->next)
    if (resolve_frame(r, k) < 0) return -1;
  return 0;
}

int asl_checkpoint_resolve(cJSON *ck, asl_blob_get get, void *ud,
                           char **msg) {
  resolver r = {get, ud, NULL};
  int rc = cJSON_IsObject(ck) && resolve_members(&r, ck) == 0 &&
                   resolve_frame(&r, cJSON_GetObjectItemCaseSensitive(
                                         ck, "top")) == 0
               ? 0
               : -1;
  if (rc < 0) {
    if (msg) *msg = r.msg ? r.msg : asl_strdup("the checkpoint is damaged");
    else free(r.msg);
  }
  return rc;
}
