/* exec_task.c: Task states: history events, the integration call (inline
 * for immediate integrations, else on a worker thread), timeouts, and the
 * hand-back of results to the scheduler thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_int.h"
#include "json.h"
#include "mock.h"

static const asl_task_spec *spec(const frame *f) {
  return f->g->states[f->cur].data;
}

static void job_free(task_job *j) {
  free(j->resource);
  cJSON_Delete(j->params);
  cJSON_Delete(j->context);
  cJSON_Delete(j->out);
  cJSON_Delete(j->submitted);
  asl_error_clear(&j->err);
  free(j->token);
  cJSON_Delete(j->cb_out);
  asl_error_clear(&j->cb_err);
  free(j->worker);
  free(j->input_text);
  free(j);
}

/* Takes j off the execution's list of token-waiting jobs. */
static void unpark(asl_exec *x, task_job *j) {
  for (task_job **p = &x->parked_jobs; *p; p = &(*p)->next_parked)
    if (*p == j) {
      *p = j->next_parked;
      break;
    }
  j->next_parked = NULL;
}

/* Common members of Task* event details. */
static cJSON *task_det(const asl_task_spec *t) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "resourceType", t->rtype ? t->rtype : "");
  cJSON_AddStringToObject(d, "resource", t->rname ? t->rname : "");
  return d;
}

/* Seconds from a literal field or its Path form (field names it, for the
 * message): the literal when there is no path; -1 on a bad path. */
static int seconds_of(frame *f, long long literal, const asl_path *path,
                      const char *field, long long *out, asl_error *err) {
  *out = literal;
  if (!path) return 0;
  asl_scope s = exec_scope(f, f->eff);
  cJSON *v = NULL;
  long long n;
  int ok = asl_path_eval(path, &s, &v, NULL) == 0 &&
           asl_json_as_int64(v, &n) && n > 0;
  cJSON_Delete(v);
  if (!ok)
    return asl_error_set(err, "States.Runtime",
                         "The %s parameter does not reference a positive "
                         "integer: %s",
                         field, asl_path_text(path));
  *out = n;
  return 0;
}

/* JSONata mode: field (TimeoutSeconds, HeartbeatSeconds) when it is an
 * expression, into *out; otherwise *out stays as compiled. */
static int jseconds(frame *f, const char *field, long long *out,
                    asl_error *err) {
  const asl_state *st = &f->g->states[f->cur];
  const cJSON *n = asl_json_get(st->def, field);
  if (st->query_lang != ASL_QL_JSONATA || !cJSON_IsString(n)) return 0;
  cJSON *bind = exec_jbindings(f, f->input, NULL, NULL), *v = NULL;
  int rc = exec_jeval(f, st, n, field, bind, &v, err);
  cJSON_Delete(bind);
  long long k = 0;
  if (rc == 0 && !(asl_json_as_int64(v, &k) && k > 0))
    rc = exec_junexpected(f, n, field, "integer", v, err);
  cJSON_Delete(v);
  /* the task's paths report these errors without an EvaluationFailed
   * event (not recorded from AWS): no location is left behind */
  free(f->eval_loc);
  f->eval_loc = NULL;
  if (rc == 0) *out = k;
  return rc;
}

/* Seconds from TimeoutSeconds or TimeoutSecondsPath; -1 on a bad path. */
static int timeout_of(frame *f, const asl_task_spec *t, long long *out,
                      asl_error *err) {
  if (seconds_of(f, t->timeout, t->timeout_path.path, "TimeoutSecondsPath", out,
                 err) < 0)
    return -1;
  return jseconds(f, "TimeoutSeconds", out, err);
}

/* Seconds from HeartbeatSeconds or HeartbeatSecondsPath (0: none); -1 on
 * a bad path. */
static int heartbeat_of(frame *f, const asl_task_spec *t, long long *out,
                        asl_error *err) {
  if (seconds_of(f, t->heartbeat, t->heartbeat_path.path,
                 "HeartbeatSecondsPath", out, err) < 0)
    return -1;
  return jseconds(f, "HeartbeatSeconds", out, err);
}

/* The context object a job gets: the frame's, without the execution's
 * input (which can be megabytes, and no integration reads it). */
static cJSON *task_context(frame *f) {
  asl_scope s = exec_scope(f, NULL);
  const cJSON *ctx = asl_scope_context(&s);
  cJSON *c = cJSON_CreateObject();
  for (const cJSON *m = ctx ? ctx->child : NULL; m; m = m->next) {
    if (strcmp(m->string, "Execution") != 0) {
      cJSON_AddItemToObject(c, m->string, asl_json_dup(m));
      continue;
    }
    cJSON *e = cJSON_AddObjectToObject(c, "Execution");
    for (const cJSON *k = m->child; k; k = k->next)
      if (strcmp(k->string, "Input") != 0)
        cJSON_AddItemToObject(e, k->string, asl_json_dup(k));
  }
  return c;
}

static void *worker(void *arg) {
  task_job *j = arg;
  asl_exec *x = j->x; /* never j->f: the scheduler may clear it */
  j->rc = j->ops->run(&j->req, &j->out, &j->err);
  pthread_mutex_lock(&x->mu);
  j->next_done = x->done_head;
  x->done_head = j;
  x->inflight--;
  pthread_cond_broadcast(&x->cv);
  pthread_mutex_unlock(&x->mu);
  return NULL;
}

static void scheduled_events(frame *f, const asl_task_spec *t,
                             long long timeout) {
  asl_exec *x = f->x;
  if (t->activity) { /* ActivityScheduled; ActivityStarted when polled */
    cJSON *d = NULL;
    if (x->want_events && !f->quiet) {
      d = cJSON_CreateObject();
      cJSON_AddStringToObject(d, "resource", t->resource);
      exec_payload(d, "input", f->eff);
      if (timeout) cJSON_AddNumberToObject(d, "timeoutInSeconds", timeout);
      if (t->heartbeat)
        cJSON_AddNumberToObject(d, "heartbeatInSeconds", t->heartbeat);
    }
    exec_event(x, f, "ActivityScheduled", "activityScheduledEventDetails", d,
               f->last);
    return;
  }
  if (!x->want_events || f->quiet) { /* count the events, build nothing */
    exec_event(x, f, t->lambda_events ? "LambdaFunctionScheduled"
                                      : "TaskScheduled", NULL, NULL, f->last);
    exec_event(x, f, t->lambda_events ? "LambdaFunctionStarted"
                                      : "TaskStarted", NULL, NULL, f->last);
    return;
  }
  if (t->lambda_events) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "resource", t->resource);
    exec_payload(d, "input", f->eff);
    if (timeout) cJSON_AddNumberToObject(d, "timeoutInSeconds", timeout);
    exec_event(x, f, "LambdaFunctionScheduled",
               "lambdaFunctionScheduledEventDetails", d, f->last);
    exec_event(x, f, "LambdaFunctionStarted", NULL, NULL, f->last);
    return;
  }
  cJSON *d = task_det(t);
  cJSON_AddStringToObject(d, "region", "us-east-1");
  char *p = asl_json_print(f->eff);
  cJSON_AddStringToObject(d, "parameters", p);
  free(p);
  if (timeout) cJSON_AddNumberToObject(d, "timeoutInSeconds", timeout);
  if (t->heartbeat)
    cJSON_AddNumberToObject(d, "heartbeatInSeconds", t->heartbeat);
  exec_event(x, f, "TaskScheduled", "taskScheduledEventDetails", d, f->last);
  exec_event(x, f, "TaskStarted", "taskStartedEventDetails", task_det(t),
             f->last);
}

/* A Task the --mock test case mocks (docs/mocks.md): the events of a real
 * call, the mocked Return or Throw in place of the integration (which need
 * not exist). Returns 0 when the test case does not mock this state. */
static int run_mocked(frame *f, const asl_task_spec *t) {
  asl_exec *x = f->x;
  const char *name = f->g->states[f->cur].name;
  if (!x->o.mock || !asl_mock_has(x->o.mock, name)) return 0;
  asl_error err = {0};
  cJSON *out = NULL;
  long long timeout = 0;
  int mocked, rc = -2;
  if (timeout_of(f, t, &timeout, &err) == 0)
    rc = asl_mock_lookup(x->o.mock, name, &mocked, &out, &err);
  if (rc == -2) { /* no entry for this invocation, or a bad timeout path */
    exec_prefix_error(f, &err);
    exec_state_error(f, &err, NULL, 0);
    return 1;
  }
  if (f->rerun_task) f->rerun_task = 0;
  else scheduled_events(f, t, timeout);
  task_job *j = asl_calloc(1, sizeof *j);
  j->x = x;
  j->f = f;
  j->rc = rc;
  j->out = out;
  asl_error_move(&j->err, &err);
  f->job = j;
  f->phase = PH_TASK;
  exec_task_complete(x, j);
  return 1;
}

/* The job of a Task that waits for its token. */
static task_job *new_job(frame *f, const asl_task_spec *t) {
  asl_exec *x = f->x;
  task_job *j = asl_calloc(1, sizeof *j);
  j->ops = t->ops;
  j->x = x;
  j->f = f;
  /* the call is the service's own, without the suffix */
  const char *suffix = t->callback ? strstr(t->resource, ".waitForTaskToken")
                                   : NULL;
  j->resource = suffix ? asl_strndup(t->resource,
                                     (size_t)(suffix - t->resource))
                       : asl_strdup(t->resource);
  j->params = asl_json_dup(f->eff);
  j->context = task_context(f);
  j->req.resource = j->resource;
  j->req.params = j->params;
  j->req.state = f->g->states[f->cur].name;
  j->req.bindings = x->o.bindings;
  j->req.base_dir = x->o.base_dir;
  j->req.context = j->context;
  return j;
}

static void sleep_on_timeouts(frame *f, const asl_task_spec *t,
                              long long timeout);

/* A Task that waits for its token: a .waitForTaskToken call (its submit
 * runs first, as any Task's call, unless no local integration serves the
 * service: then the request is only recorded, and whoever reads the token
 * from the history answers), or an activity (offered to pollers). */
static void start_waiting(frame *f, const asl_task_spec *t,
                          long long timeout) {
  asl_exec *x = f->x;
  asl_error err = {0};
  long long hb = 0;
  if (heartbeat_of(f, t, &hb, &err) < 0) {
    exec_prefix_error(f, &err);
    exec_state_error(f, &err, NULL, 0);
    return;
  }
  task_job *j = new_job(f, t);
  j->waits = 1;
  j->activity = t->activity;
  j->token = asl_strdup(f->task_token ? f->task_token : "");
  j->hb_since = x->now;
  j->hb_seconds = hb;
  if (t->activity) j->input_text = asl_json_print(f->eff);
  f->job = j;
  j->next_parked = x->parked_jobs;
  x->parked_jobs = j;
  int submit = t->callback && t->ops;
  j->stage = submit ? JOB_SUBMIT : JOB_TOKEN;
  live_register(x, j, !submit);
  f->phase = PH_TASK;
  sleep_on_timeouts(f, t, timeout);
  if (!submit) return;
  j->stage = JOB_SUBMIT;
  j->submitting = 1;
  double scale = x->o.time_scale > 1 ? x->o.time_scale : 1;
  j->req.deadline = timeout ? exec_real_now() + (double)timeout / scale : 0;
  pthread_mutex_lock(&x->mu);
  x->inflight++;
  pthread_mutex_unlock(&x->mu);
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  int made = pthread_create(&th, &at, worker, j) == 0;
  pthread_attr_destroy(&at);
  if (!made) { /* no thread to be had: the call runs here */
    pthread_mutex_lock(&x->mu);
    x->inflight--;
    pthread_mutex_unlock(&x->mu);
    j->rc = t->ops->run(&j->req, &j->out, &j->err);
    exec_task_complete(x, j);
  }
}

void exec_task_await_again(frame *f, const char *worker, int started_sent,
                           double hb_since) {
  asl_exec *x = f->x;
  const asl_task_spec *t = spec(f);
  long long timeout = 0;
  asl_error ignore = {0};
  timeout_of(f, t, &timeout, &ignore);
  asl_error_clear(&ignore);
  long long hb = 0;
  heartbeat_of(f, t, &hb, &ignore); /* it was good when the Task began */
  asl_error_clear(&ignore);
  task_job *j = new_job(f, t);
  j->waits = 1;
  j->activity = t->activity;
  j->stage = JOB_TOKEN;
  j->hb_seconds = hb;
  j->token = asl_strdup(f->task_token);
  j->hb_since = hb_since;
  j->started_sent = started_sent;
  if (worker) { /* a worker had it: not offered again */
    j->polled = 1;
    j->worker = asl_strdup(worker);
  }
  if (t->activity) j->input_text = asl_json_print(f->eff);
  f->job = j;
  j->next_parked = x->parked_jobs;
  x->parked_jobs = j;
  live_register(x, j, 1);
  f->phase = PH_TASK;
  sleep_on_timeouts(f, t, timeout);
}

/* The wake for a waiting Task's TimeoutSeconds and HeartbeatSeconds. */
static void sleep_on_timeouts(frame *f, const asl_task_spec *t,
                              long long timeout) {
  task_job *j = f->job;
  double wake = timeout ? f->entered_time + (double)timeout : 0;
  long long hb = j ? j->hb_seconds : 0;
  if (j && j->waits && hb > 0) {
    double last = j->hb_since;
    double beat = live_heartbeat_at(j);
    if (beat > 0) { /* a heartbeat in real time, on the execution's clock */
      double scale = f->x->o.time_scale > 1 ? f->x->o.time_scale : 1;
      double ago = (exec_real_now() - beat) * scale;
      if (f->x->now - ago > last) last = f->x->now - ago;
    }
    double hw = last + (double)hb;
    if (wake == 0 || hw < wake) wake = hw;
  }
  if (wake > 0) exec_sleep(f->x, f, wake);
  else f->phase = PH_TASK;
}

void exec_task_start(frame *f) {
  asl_exec *x = f->x;
  const asl_task_spec *t = spec(f);
  asl_error err = {0};
  long long timeout = 0;
  if (run_mocked(f, t)) return;
  if (!t->ops && !t->callback && !t->activity) {
    asl_error_set(&err, "States.Runtime",
                  "No local integration serves the resource '%s'; see "
                  "docs/bindings.md for what runs locally",
                  t->resource);
    exec_prefix_error(f, &err);
    exec_state_error(f, &err, NULL, 0);
    return;
  }
  if (timeout_of(f, t, &timeout, &err) < 0) {
    exec_prefix_error(f, &err);
    exec_state_error(f, &err, NULL, 0);
    return;
  }
  if (f->rerun_task) f->rerun_task = 0; /* its events are recorded */
  else scheduled_events(f, t, timeout);
  if (t->callback || t->activity) {
    start_waiting(f, t, timeout);
    return;
  }
  task_job *j = asl_calloc(1, sizeof *j);
  j->ops = t->ops;
  j->x = x;
  j->f = f;
  j->resource = asl_strdup(t->resource);
  j->params = asl_json_dup(f->eff);
  j->context = task_context(f);
  j->req.resource = j->resource;
  j->req.params = j->params;
  j->req.state = f->g->states[f->cur].name;
  j->req.bindings = x->o.bindings;
  j->req.base_dir = x->o.base_dir;
  j->req.context = j->context;
  j->req.submitted = &j->submitted;
  double scale = x->o.time_scale > 1 ? x->o.time_scale : 1;
  j->req.deadline = timeout ? exec_real_now() + (double)timeout / scale : 0;
  f->job = j;
  if (t->ops->immediate ||
      (t->ops->immediate_for && t->ops->immediate_for(&j->req))) {
    f->phase = PH_TASK;
    j->rc = t->ops->run(&j->req, &j->out, &j->err);
    exec_task_complete(x, j);
    return;
  }
  pthread_mutex_lock(&x->mu);
  x->inflight++;
  pthread_mutex_unlock(&x->mu);
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&th, &at, worker, j) != 0) {
    /* No thread to be had: run it here rather than fail the Task. */
    pthread_mutex_lock(&x->mu);
    x->inflight--;
    pthread_mutex_unlock(&x->mu);
    j->rc = t->ops->run(&j->req, &j->out, &j->err);
    pthread_attr_destroy(&at);
    exec_task_complete(x, j);
    return;
  }
  pthread_attr_destroy(&at);
  if (timeout) exec_sleep(x, f, x->now + (double)timeout);
  else f->phase = PH_TASK;
}

static void failed_events(frame *f, const asl_task_spec *t,
                          const asl_error *e, int timed_out) {
  cJSON *d = NULL;
  if (f->x->want_events && !f->quiet) {
    d = t->lambda_events ? cJSON_CreateObject() : task_det(t);
    if (e->name) cJSON_AddStringToObject(d, "error", e->name);
    if (e->cause) cJSON_AddStringToObject(d, "cause", e->cause);
  }
  const char *type, *key;
  if (t->lambda_events) {
    type = timed_out ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed";
    key = timed_out ? "lambdaFunctionTimedOutEventDetails"
                    : "lambdaFunctionFailedEventDetails";
  } else {
    type = timed_out ? "TaskTimedOut" : "TaskFailed";
    key = timed_out ? "taskTimedOutEventDetails" : "taskFailedEventDetails";
  }
  exec_event(f->x, f, type, key, d, f->last);
}

/* The names of a waiting Task's events: Task* or Activity*. */
static const char *ev_name(const asl_task_spec *t, const char *what,
                           char *buf, size_t n, int details) {
  snprintf(buf, n, details ? "%s%sEventDetails" : "%s%s",
           details ? (t->activity ? "activity" : "task")
                   : (t->activity ? "Activity" : "Task"),
           what);
  return buf;
}

static void activity_started(frame *f, task_job *j, const char *worker) {
  cJSON *d = NULL;
  if (f->x->want_events && !f->quiet) {
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "workerName", worker ? worker : "");
  }
  exec_event(f->x, f, "ActivityStarted", "activityStartedEventDetails", d,
             f->last);
  j->started_sent = 1;
}

void exec_task_notes(asl_exec *x) {
  for (task_job *j = x->parked_jobs; j; j = j->next_parked) {
    char *w = NULL;
    if (j->f && j->activity && !j->started_sent && live_polled(j, &w))
      activity_started(j->f, j, w);
    free(w);
  }
}

/* A waiting Task's token came back (or its submit call failed): the
 * Task's outcome. */
static void token_outcome(asl_exec *x, frame *f, task_job *j) {
  const asl_task_spec *t = spec(f);
  unpark(x, j);
  f->job = NULL;
  f->phase = PH_TASK; /* no longer asleep on a timeout */
  if (t->activity && !j->started_sent) {
    char *w = NULL;
    live_polled(j, &w);
    activity_started(f, j, w);
    free(w);
  }
  char type[48], key[64];
  if (j->cb_rc == 0) {
    cJSON *out = j->cb_out ? j->cb_out : cJSON_CreateNull();
    j->cb_out = NULL;
    cJSON *d = NULL;
    if (x->want_events && !f->quiet) {
      d = t->activity ? cJSON_CreateObject() : task_det(t);
      exec_payload(d, "output", out);
    }
    exec_event(x, f, ev_name(t, "Succeeded", type, sizeof type, 0),
               ev_name(t, "Succeeded", key, sizeof key, 1), d, f->last);
    job_free(j);
    exec_activate(f);
    exec_state_result(f, out);
    return;
  }
  asl_error e = {0};
  asl_error_move(&e, &j->cb_err);
  cJSON *d = NULL;
  if (x->want_events && !f->quiet) {
    d = t->activity ? cJSON_CreateObject() : task_det(t);
    if (e.name) cJSON_AddStringToObject(d, "error", e.name);
    if (e.cause) cJSON_AddStringToObject(d, "cause", e.cause);
  }
  exec_event(x, f, ev_name(t, "Failed", type, sizeof type, 0),
             ev_name(t, "Failed", key, sizeof key, 1), d, f->last);
  job_free(j);
  exec_activate(f);
  exec_state_error(f, &e, NULL, 0);
}

/* A waiting Task's submit call returned. */
static void submit_outcome(asl_exec *x, frame *f, task_job *j) {
  const asl_task_spec *t = spec(f);
  j->submitting = 0;
  if (j->rc != 0) { /* the call failed: so does the Task */
    live_unregister(j);
    if (!j->err.name) j->err.name = asl_strdup("States.TaskFailed");
    j->cb_rc = -1;
    asl_error_clear(&j->cb_err);
    asl_error_move(&j->cb_err, &j->err);
    token_outcome(x, f, j);
    return;
  }
  cJSON *d = NULL;
  if (x->want_events && !f->quiet) {
    d = task_det(t);
    exec_payload(d, "output", j->out ? j->out : cJSON_CreateNull());
  }
  exec_event(x, f, "TaskSubmitted", "taskSubmittedEventDetails", d, f->last);
  j->stage = JOB_TOKEN;
  if (live_submitted(j)) token_outcome(x, f, j); /* it came meanwhile */
  /* else it stays parked, asleep on its timeouts or not */
}

void exec_task_complete(asl_exec *x, task_job *j) {
  frame *f = j->f;
  if (!f) { /* abandoned: timed out or aborted */
    job_free(j);
    return;
  }
  if (j->waits) {
    if (j->stage == JOB_SUBMIT) submit_outcome(x, f, j);
    else token_outcome(x, f, j);
    return;
  }
  f->job = NULL;
  f->phase = PH_TASK; /* no longer asleep on the timeout */
  const asl_task_spec *t = spec(f);
  if (j->submitted) { /* a .sync job started: AWS's TaskSubmitted */
    cJSON *d = NULL;
    if (x->want_events && !f->quiet) {
      d = task_det(t);
      exec_payload(d, "output", j->submitted);
    }
    exec_event(x, f, "TaskSubmitted", "taskSubmittedEventDetails", d,
               f->last);
  }
  if (j->rc == 0 && !j->out) j->out = cJSON_CreateNull();
  if (j->rc == 0) {
    cJSON *d = NULL;
    if (x->want_events && !f->quiet) {
      d = t->lambda_events ? cJSON_CreateObject() : task_det(t);
      exec_payload(d, "output", j->out);
    }
    exec_event(x, f, t->lambda_events ? "LambdaFunctionSucceeded"
                                      : "TaskSucceeded",
               t->lambda_events ? "lambdaFunctionSucceededEventDetails"
                                : "taskSucceededEventDetails",
               d, f->last);
    cJSON *out = j->out;
    j->out = NULL;
    job_free(j);
    exec_activate(f);
    exec_state_result(f, out);
    return;
  }
  if (!j->err.name) j->err.name = asl_strdup("States.TaskFailed");
  failed_events(f, t, &j->err, 0);
  asl_error e = {0};
  asl_error_move(&e, &j->err);
  job_free(j);
  exec_activate(f);
  exec_state_error(f, &e, NULL, 0);
}

void exec_task_timeout(frame *f) {
  const asl_task_spec *t = spec(f);
  task_job *j = f->job;
  if (j && j->waits) { /* a heartbeat may have moved its time on */
    long long timeout = 0;
    asl_error ignore = {0};
    timeout_of(f, t, &timeout, &ignore);
    asl_error_clear(&ignore);
    double tdl = timeout ? f->entered_time + (double)timeout : 0;
    sleep_on_timeouts(f, t, timeout);
    if (f->phase == PH_TIMER && f->wake > f->x->now) return;
    int task_timeout = tdl > 0 && f->x->now >= tdl;
    exec_task_abandon(f);
    f->phase = PH_TASK;
    asl_error e = {0};
    asl_error_set(&e, task_timeout ? "States.Timeout"
                                   : "States.HeartbeatTimeout", NULL);
    char type[48], key[64];
    cJSON *d = NULL;
    if (f->x->want_events && !f->quiet) {
      d = t->activity ? cJSON_CreateObject() : task_det(t);
      cJSON_AddStringToObject(d, "error", e.name);
    }
    exec_event(f->x, f, ev_name(t, "TimedOut", type, sizeof type, 0),
               ev_name(t, "TimedOut", key, sizeof key, 1), d, f->last);
    exec_activate(f);
    exec_state_error(f, &e, NULL, 0);
    return;
  }
  exec_task_abandon(f);
  f->phase = PH_TASK;
  asl_error e = {0};
  asl_error_set(&e, "States.Timeout", NULL);
  failed_events(f, t, &e, 1);
  exec_activate(f);
  exec_state_error(f, &e, NULL, 0);
}

void exec_task_abandon(frame *f) {
  if (!f || !f->job) return;
  task_job *j = f->job;
  f->job = NULL;
  if (j->waits) {
    int was = live_unregister(j);
    unpark(f->x, j);
    /* a worker still calls, or an outcome is on the done list: whoever
     * hands it back frees it */
    if (j->submitting || !was) j->f = NULL;
    else job_free(j);
    return;
  }
  if (f->phase == PH_TASK && !j->f) return;
  j->f = NULL;
  /* An inline job is never left behind; a worker's job is freed when its
   * completion is drained. */
}
