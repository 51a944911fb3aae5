/* exec.c: one execution: the data-flow pipeline shared by every state type,
 * the context object, variables, history events and the run loop. */
#include "exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "limits.h"
#include "machine.h"

struct asl_exec {
  const asl_machine *m;
  int virtual_clock;
  double now, start, wake;
  char *name, *arn;
  cJSON *input;   /* execution input */
  cJSON *context; /* the context object; State.* updated per state */
  cJSON *vars;    /* variables: an object, name -> value */
  cJSON *history; /* events array, or NULL */
  int last_id;    /* id of the last event appended */
  int entered_id; /* id of the current state's Entered event */
  int first_state; /* no state entered yet */
  int cur;        /* current state index in the top graph */
  cJSON *cur_input; /* raw input of the current state */
  /* a Wait in progress: the output to exit with once the clock says so */
  cJSON *pending_output, *pending_assigned;
  int pending_next;
  /* outcome */
  int done;
  char *status, *error, *cause;
  cJSON *output;
  uint64_t rng;
};

/* ---- time ---- */

static double real_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void asl_iso8601(double t, char *buf, size_t n) {
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

/* ---- randomness: splitmix64, seeded from options or the clock ---- */

static uint64_t exec_rand(void *ud) {
  asl_exec *x = ud;
  uint64_t z = (x->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static char *make_uuid(asl_exec *x) {
  uint64_t a = exec_rand(x), b = exec_rand(x);
  a = (a & ~0xF000ull) | 0x4000ull;                 /* version 4 */
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; /* variant */
  return asl_sprintf("%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
                     (unsigned)((a >> 16) & 0xFFFF), (unsigned)(a & 0xFFFF),
                     (unsigned)(b >> 48),
                     (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

/* ---- history ---- */

/* Appends an event of `type` with details object `det` (taken, may be NULL)
 * under member name `key`. */
static int add_event(asl_exec *x, const char *type, const char *key,
                     cJSON *det, int prev) {
  int id = ++x->last_id;
  if (!x->history) {
    cJSON_Delete(det);
    return id;
  }
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "timestamp", floor(x->now * 1000.0) / 1000.0);
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddNumberToObject(e, "id", id);
  cJSON_AddNumberToObject(e, "previousEventId", prev);
  if (det) cJSON_AddItemToObject(e, key, det);
  cJSON_AddItemToArray(x->history, e);
  return id;
}

/* Payload members of details: the JSON text and its truncation flag. */
static void add_payload(cJSON *det, const char *name, const cJSON *v) {
  char *s = asl_json_print(v);
  cJSON_AddStringToObject(det, name, s);
  free(s);
  char *dn = asl_sprintf("%sDetails", name);
  cJSON *dd = cJSON_AddObjectToObject(det, dn);
  cJSON_AddBoolToObject(dd, "truncated", 0);
  free(dn);
}

static const char *state_type(const asl_state *st) { return st->ops->type; }

/* ---- outcome ---- */

static void finish(asl_exec *x, const char *status, cJSON *output,
                   const char *error, const char *cause) {
  x->done = 1;
  x->status = asl_strdup(status);
  x->output = output;
  x->error = error ? asl_strdup(error) : NULL;
  x->cause = cause ? asl_strdup(cause) : NULL;
  cJSON *det = cJSON_CreateObject();
  if (strcmp(status, "SUCCEEDED") == 0) {
    add_payload(det, "output", output);
    add_event(x, "ExecutionSucceeded", "executionSucceededEventDetails", det,
              x->last_id);
    return;
  }
  if (error) cJSON_AddStringToObject(det, "error", error);
  if (cause) cJSON_AddStringToObject(det, "cause", cause);
  if (strcmp(status, "TIMED_OUT") == 0)
    add_event(x, "ExecutionTimedOut", "executionTimedOutEventDetails", det,
              x->last_id);
  else if (strcmp(status, "ABORTED") == 0)
    add_event(x, "ExecutionAborted", "executionAbortedEventDetails", det,
              x->last_id);
  else
    add_event(x, "ExecutionFailed", "executionFailedEventDetails", det,
              x->last_id);
}

/* A runtime failure inside a state: AWS prefixes the cause with where it
 * happened, except for the errors it reports bare. */
static void fail_state(asl_exec *x, const asl_state *st, asl_error *err) {
  const char *name = err->name ? err->name : "States.Runtime";
  int bare = strcmp(name, "States.DataLimitExceeded") == 0 ||
             strncmp(name, "States.", 7) != 0;
  if (bare) {
    finish(x, "FAILED", NULL, name, err->cause);
  } else {
    char *c = asl_sprintf("An error occurred while executing the state '%s' "
                          "(entered at the event id #%d). %s",
                          st->name, x->entered_id,
                          err->cause ? err->cause : "");
    finish(x, "FAILED", NULL, name, c);
    free(c);
  }
  asl_error_clear(err);
}

/* ---- scope ---- */

static const cJSON *lookup_var(void *ud, const char *name) {
  asl_exec *x = ud;
  return asl_json_get(x->vars, name);
}

static asl_scope make_scope(asl_exec *x, const cJSON *input) {
  asl_scope s = {input, x->context, lookup_var, x, exec_rand, x};
  return s;
}

/* ---- the pipeline ---- */

static int apply_input_path(const asl_state *st, const asl_scope *s,
                            cJSON **out, asl_error *err) {
  if (st->input_path.is_null) {
    *out = cJSON_CreateObject();
    return 0;
  }
  if (!st->input_path.path) {
    *out = asl_json_dup(s->input);
    return 0;
  }
  char *jm = NULL;
  if (asl_path_eval(st->input_path.path, s, out, &jm) == 0) return 0;
  asl_error_set(err, "States.Runtime", "Invalid path '%s' : %s",
                asl_path_text(st->input_path.path), jm ? jm : "");
  free(jm);
  return -1;
}

static int apply_output_path(const asl_state *st, asl_exec *x, cJSON **io,
                             asl_error *err) {
  if (st->output_path.is_null) {
    cJSON_Delete(*io);
    *io = cJSON_CreateObject();
    return 0;
  }
  if (!st->output_path.path) return 0;
  asl_scope s = make_scope(x, *io);
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

/* Evaluates Assign with every expression seeing the old variables; returns
 * the new values in *assigned (an object) without applying them. */
static int eval_assign(const asl_template *t, asl_exec *x,
                       const cJSON *dollar, cJSON **assigned,
                       asl_error *err) {
  *assigned = NULL;
  if (!t) return 0;
  asl_scope s = make_scope(x, dollar);
  return asl_template_eval(t, &s, assigned, err);
}

static void apply_assign_take(asl_exec *x, cJSON *assigned) {
  if (!assigned) return;
  for (cJSON *c = assigned->child; c; c = c->next) {
    cJSON_DeleteItemFromObjectCaseSensitive(x->vars, c->string);
    cJSON_AddItemToObject(x->vars, c->string, asl_json_dup(c));
  }
  cJSON_Delete(assigned);
}

static void set_state_context(asl_exec *x, const asl_state *st) {
  cJSON *s = cJSON_CreateObject();
  char iso[40];
  asl_iso8601(x->now, iso, sizeof iso);
  cJSON_AddStringToObject(s, "EnteredTime", iso);
  cJSON_AddStringToObject(s, "Name", st->name);
  cJSON_ReplaceItemInObjectCaseSensitive(x->context, "State", s);
}

static void exit_state(asl_exec *x, const asl_state *st, cJSON *output,
                       cJSON *assigned) {
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
  add_payload(det, "output", output);
  char *type = asl_sprintf("%sStateExited", state_type(st));
  add_event(x, type, "stateExitedEventDetails", det, x->last_id);
  free(type);
}

/* Moves to the state after st with output (taken), or ends the execution. */
static void transition(asl_exec *x, const asl_state *st, int next,
                       cJSON *output) {
  cJSON_Delete(x->cur_input);
  x->cur_input = NULL;
  if (next < 0) {
    finish(x, "SUCCEEDED", output, NULL, NULL);
    return;
  }
  x->cur = next;
  x->cur_input = output;
}

/* Runs the current state from Entered to Exited, or to a Wait. */
static int run_state(asl_exec *x) {
  const asl_state *st = &x->m->top.states[x->cur];
  asl_error err = {0};
  cJSON *eff = NULL, *params = NULL, *result = NULL, *output = NULL;
  cJSON *assigned = NULL;
  asl_step step = {0};
  step.next = -1;

  set_state_context(x, st);
  cJSON *det = cJSON_CreateObject();
  cJSON_AddStringToObject(det, "name", st->name);
  add_payload(det, "input", x->cur_input);
  char *type = asl_sprintf("%sStateEntered", state_type(st));
  x->entered_id = add_event(x, type, "stateEnteredEventDetails", det,
                            x->first_state ? 0 : x->last_id);
  free(type);
  x->first_state = 0;

  if (st->query_lang == ASL_QL_JSONATA) {
    asl_error_set(&err, "States.Runtime",
                  "QueryLanguage JSONata is not implemented yet");
    goto fail;
  }
  asl_scope raw = make_scope(x, x->cur_input);
  if (apply_input_path(st, &raw, &eff, &err) < 0) goto fail;
  if (st->parameters) {
    asl_scope s = make_scope(x, eff);
    if (asl_template_eval(st->parameters, &s, &params, &err) < 0) goto fail;
    cJSON_Delete(eff);
    eff = params;
    params = NULL;
  }
  asl_scope s = make_scope(x, eff);
  if (st->ops->run(st, eff, &s, x->now, &step, &err) < 0) goto fail;
  if (step.fail) {
    finish(x, "FAILED", NULL, err.name, err.cause);
    asl_error_clear(&err);
    goto out;
  }
  if (step.skip_result) {
    if (eval_assign(step.assign ? step.assign : st->assign, x, eff, &assigned, &err) < 0) goto fail;
    output = eff;
    eff = NULL;
  } else {
    result = step.result;
    step.result = NULL;
    if (!result) result = asl_json_dup(eff);
    if (st->result_selector) {
      asl_scope rs = make_scope(x, result);
      cJSON *sel = NULL;
      if (asl_template_eval(st->result_selector, &rs, &sel, &err) < 0)
        goto fail;
      cJSON_Delete(result);
      result = sel;
    }
    if (eval_assign(step.assign ? step.assign : st->assign, x, result, &assigned, &err) < 0) goto fail;
    if (st->result_path.is_null) {
      output = asl_json_dup(x->cur_input);
      cJSON_Delete(result);
    } else if (st->result_path.path) {
      output = asl_json_dup(x->cur_input);
      if (asl_path_set_take(st->result_path.path, &output, result, &err) < 0) {
        result = NULL;
        goto fail;
      }
    } else {
      output = result;
    }
    result = NULL;
  }
  if (apply_output_path(st, x, &output, &err) < 0) goto fail;
  if (asl_json_size(output) > ASL_MAX_PAYLOAD) {
    asl_error_set(&err, "States.DataLimitExceeded",
                  "The state/task '%s' returned a result with a size "
                  "exceeding the maximum number of bytes service limit.",
                  st->name);
    goto fail;
  }
  int next = step.next >= 0 ? step.next : (step.end ? -1 : st->next);
  if (step.wait_until > 0) {
    x->pending_output = output;
    x->pending_assigned = assigned;
    x->pending_next = next;
    x->wake = step.wait_until;
    goto out;
  }
  exit_state(x, st, output, assigned);
  apply_assign_take(x, assigned);
  transition(x, st, next, output);
  goto out;
fail:
  cJSON_Delete(output);
  cJSON_Delete(result);
  cJSON_Delete(assigned);
  cJSON_Delete(step.result);
  fail_state(x, st, &err);
out:
  cJSON_Delete(eff);
  cJSON_Delete(params);
  return 0;
}

/* Ends a Wait: exits the state with the output computed on entry. */
static void resume_wait(asl_exec *x) {
  const asl_state *st = &x->m->top.states[x->cur];
  cJSON *out = x->pending_output, *assigned = x->pending_assigned;
  x->pending_output = x->pending_assigned = NULL;
  x->wake = 0;
  exit_state(x, st, out, assigned);
  apply_assign_take(x, assigned);
  transition(x, st, x->pending_next, out);
}

static double deadline(const asl_exec *x) {
  return x->m->timeout_seconds ? x->start + (double)x->m->timeout_seconds
                               : 0;
}

int asl_exec_step(asl_exec *x) {
  if (x->done) return ASL_EXEC_DONE;
  double dl = deadline(x);
  if (x->wake > 0) {
    if (dl > 0 && x->wake >= dl && x->now >= dl) {
      finish(x, "TIMED_OUT", NULL, "States.Timeout", NULL);
      return ASL_EXEC_DONE;
    }
    if (x->now < x->wake) return ASL_EXEC_WAITING;
    resume_wait(x);
    return x->done ? ASL_EXEC_DONE : ASL_EXEC_RUNNING;
  }
  if (dl > 0 && x->now >= dl) {
    finish(x, "TIMED_OUT", NULL, "States.Timeout", NULL);
    return ASL_EXEC_DONE;
  }
  run_state(x);
  if (x->done) return ASL_EXEC_DONE;
  return x->wake > 0 ? ASL_EXEC_WAITING : ASL_EXEC_RUNNING;
}

double asl_exec_wake_time(const asl_exec *x) {
  double dl = deadline(x);
  if (dl > 0 && (x->wake <= 0 || dl < x->wake)) return dl;
  return x->wake;
}

void asl_exec_set_time(asl_exec *x, double now) {
  if (now > x->now) x->now = now;
}

static cJSON *make_context(asl_exec *x) {
  const asl_machine *m = x->m;
  char iso[40];
  asl_iso8601(x->start, iso, sizeof iso);
  cJSON *c = cJSON_CreateObject();
  cJSON *e = cJSON_AddObjectToObject(c, "Execution");
  cJSON_AddStringToObject(e, "Id", x->arn);
  cJSON_AddItemToObject(e, "Input", asl_json_dup(x->input));
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

asl_exec *asl_exec_start_take(const asl_machine *m, cJSON *input,
                              const asl_run_opts *o) {
  static const asl_run_opts dflt = {0};
  if (!o) o = &dflt;
  asl_exec *x = asl_calloc(1, sizeof *x);
  x->m = m;
  x->virtual_clock = o->virtual_clock;
  x->start = x->now = o->start_time > 0 ? o->start_time : real_now();
  x->rng = o->seed ? o->seed : (uint64_t)(x->start * 1e6) ^ (uint64_t)getpid();
  x->name = o->name ? asl_strdup(o->name) : make_uuid(x);
  /* arn:aws:states:region:account:stateMachine:NAME -> ...:execution:NAME:X */
  const char *sm = strstr(m->arn, ":stateMachine:");
  x->arn = asl_sprintf("%.*s:%s:%s:%s", (int)(sm - m->arn), m->arn,
                       strcmp(m->type, "EXPRESS") == 0 ? "express"
                                                       : "execution",
                       m->name, x->name);
  x->input = input;
  x->vars = cJSON_CreateObject();
  x->context = make_context(x);
  x->history = o->keep_history ? cJSON_CreateArray() : NULL;
  x->first_state = 1;
  x->cur = m->top.start;
  x->cur_input = asl_json_dup(input);
  cJSON *det = cJSON_CreateObject();
  add_payload(det, "input", input);
  cJSON_AddStringToObject(det, "roleArn", m->role_arn);
  add_event(x, "ExecutionStarted", "executionStartedEventDetails", det, 0);
  return x;
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
  cJSON_AddNumberToObject(d, "redriveCount", 0);
  cJSON_AddStringToObject(d, "redriveStatus", "NOT_REDRIVABLE");
  r->describe = d;
}

void asl_exec_free(asl_exec *x) {
  if (!x) return;
  free(x->name);
  free(x->arn);
  free(x->status);
  free(x->error);
  free(x->cause);
  cJSON_Delete(x->input);
  cJSON_Delete(x->context);
  cJSON_Delete(x->vars);
  cJSON_Delete(x->history);
  cJSON_Delete(x->cur_input);
  cJSON_Delete(x->pending_output);
  cJSON_Delete(x->pending_assigned);
  cJSON_Delete(x->output);
  free(x);
}

/* ---- run to the end ---- */

int asl_run(const asl_machine *m, const char *input_text,
            const asl_run_opts *o, asl_result *r, char **msg) {
  static const asl_run_opts dflt = {0};
  if (!o) o = &dflt;
  if (msg) *msg = NULL;
  memset(r, 0, sizeof *r);
  if (!input_text) input_text = "{}";
  size_t len = strlen(input_text);
  if (len > ASL_MAX_PAYLOAD) {
    if (msg) *msg = asl_sprintf("the input is larger than %d bytes",
                                ASL_MAX_PAYLOAD);
    return -1;
  }
  cJSON *input = asl_json_parse(input_text, len, msg);
  if (!input) return -1;
  asl_exec *x = asl_exec_start_take(m, input, o);
  for (;;) {
    int st = asl_exec_step(x);
    if (st == ASL_EXEC_DONE) break;
    if (st == ASL_EXEC_WAITING) {
      double t = asl_exec_wake_time(x);
      if (!x->virtual_clock) {
        double now = real_now();
        while (now < t) {
          double d = t - now;
          struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
          nanosleep(&ts, NULL);
          now = real_now();
        }
        asl_exec_set_time(x, now);
      } else {
        asl_exec_set_time(x, t);
      }
    } else if (!x->virtual_clock) {
      asl_exec_set_time(x, real_now());
    }
  }
  asl_exec_finish(x, r);
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
