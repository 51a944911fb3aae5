/* exec_task.c: Task states: history events, the integration call (inline
 * for immediate integrations, else on a worker thread), timeouts, and the
 * hand-back of results to the scheduler thread. */
#include <math.h>
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
  asl_error_clear(&j->err);
  free(j);
}

/* Common members of Task* event details. */
static cJSON *task_det(const asl_task_spec *t) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "resourceType", t->rtype ? t->rtype : "");
  cJSON_AddStringToObject(d, "resource", t->rname ? t->rname : "");
  return d;
}

/* Seconds from TimeoutSeconds or TimeoutSecondsPath; -1 on a bad path. */
static int timeout_of(frame *f, const asl_task_spec *t, long long *out,
                      asl_error *err) {
  *out = t->timeout;
  if (!t->timeout_path.path) return 0;
  asl_scope s = exec_scope(f, f->eff);
  cJSON *v = NULL;
  long long n;
  int ok = asl_path_eval(t->timeout_path.path, &s, &v, NULL) == 0 &&
           asl_json_as_int64(v, &n) && n > 0;
  cJSON_Delete(v);
  if (!ok)
    return asl_error_set(err, "States.Runtime",
                         "The TimeoutSecondsPath parameter does not reference "
                         "a positive integer: %s",
                         asl_path_text(t->timeout_path.path));
  *out = n;
  return 0;
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

void exec_task_start(frame *f) {
  asl_exec *x = f->x;
  const asl_task_spec *t = spec(f);
  asl_error err = {0};
  long long timeout = 0;
  if (run_mocked(f, t)) return;
  if (!t->ops) {
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

void exec_task_complete(asl_exec *x, task_job *j) {
  frame *f = j->f;
  if (!f) { /* abandoned: timed out or aborted */
    job_free(j);
    return;
  }
  f->job = NULL;
  f->phase = PH_TASK; /* no longer asleep on the timeout */
  const asl_task_spec *t = spec(f);
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
  if (f->phase == PH_TASK && !j->f) return;
  j->f = NULL;
  /* An inline job is never left behind; a worker's job is freed when its
   * completion is drained. */
}
