/* test_callback.c: Tasks that wait for their token (.waitForTaskToken),
 * activities, heartbeats and StopExecution, with the execution running on
 * its own thread and the answers coming from this one, as `asl serve`'s
 * API threads give them. Also: a run resumed from a checkpoint taken while
 * it waited goes on waiting for the very same token. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cli/hasher.h"
#include "../../engine/asl.h"
#include "../../engine/json.h"
#include "t.h"

/* ---- an execution on a thread, its events seen as they come ---- */

typedef struct run {
  asl_machine *m;
  const char *input, *name;
  cJSON *bindings;
  const cJSON *resume_from; /* a checkpoint: resume instead of run */
  double time_scale;
  pthread_t th;
  pthread_mutex_t mu;
  cJSON *events;    /* copies, under mu */
  cJSON *last_ck;   /* the last checkpoint, under mu */
  asl_result r;
  int rc, done;
} run;

static void on_event(void *ud, const cJSON *ev) {
  run *r = ud;
  pthread_mutex_lock(&r->mu);
  cJSON_AddItemToArray(r->events, cJSON_Duplicate(ev, 1));
  pthread_mutex_unlock(&r->mu);
}

static void on_tick(void *ud, const cJSON *ck) {
  run *r = ud;
  if (!ck) return;
  pthread_mutex_lock(&r->mu);
  cJSON_Delete(r->last_ck);
  r->last_ck = cJSON_Duplicate(ck, 1);
  pthread_mutex_unlock(&r->mu);
}

static void *run_main(void *arg) {
  run *r = arg;
  asl_sink sink = {r, on_event, on_tick, NULL, NULL};
  asl_run_opts o = {0};
  o.name = r->name;
  o.sink = &sink;
  o.bindings = r->bindings;
  o.time_scale = r->time_scale;
  char *msg = NULL;
  r->rc = r->resume_from ? asl_resume(r->m, r->resume_from, &o, &r->r, &msg)
                         : asl_run(r->m, r->input, &o, &r->r, &msg);
  free(msg);
  pthread_mutex_lock(&r->mu);
  r->done = 1;
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static asl_machine *load(const char *def) {
  asl_diags d = {0};
  asl_load_opts lo = {"STANDARD", "cb", NULL};
  asl_machine *m = asl_machine_load(def, strlen(def), &lo, &d);
  if (!m) {
    cJSON *j = asl_diags_to_json(&d);
    char *s = cJSON_PrintUnformatted(j);
    T_OK(0, "load: %s", s);
    free(s);
    cJSON_Delete(j);
  }
  asl_diags_free(&d);
  return m;
}

static void start(run *r, asl_machine *m, const char *input,
                  const char *name) {
  memset(r, 0, sizeof *r);
  r->m = m;
  r->input = input;
  r->name = name;
  r->events = cJSON_CreateArray();
  pthread_mutex_init(&r->mu, NULL);
  pthread_create(&r->th, NULL, run_main, r);
}

/* Frees what r holds (its thread joined). */
static void cleanup(run *r) {
  asl_result_free(&r->r);
  cJSON_Delete(r->events);
  cJSON_Delete(r->last_ck);
  pthread_mutex_destroy(&r->mu);
}

static void nap(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* Waits (up to 10 s) for an event of type; returns a copy of it. */
static cJSON *wait_event(run *r, const char *type) {
  for (int i = 0; i < 1000; i++) {
    pthread_mutex_lock(&r->mu);
    cJSON *hit = NULL;
    for (const cJSON *e = r->events->child; e && !hit; e = e->next)
      if (strcmp(cJSON_GetObjectItem(e, "type")->valuestring, type) == 0)
        hit = cJSON_Duplicate(e, 1);
    pthread_mutex_unlock(&r->mu);
    if (hit) return hit;
    nap(0.01);
  }
  return NULL;
}

/* The token in a TaskScheduled event's parameters (at MessageBody.key, or
 * Payload.key). */
static char *token_of(const cJSON *ev, const char *key) {
  const cJSON *d = cJSON_GetObjectItem(ev, "taskScheduledEventDetails");
  const cJSON *p = d ? cJSON_GetObjectItem(d, "parameters") : NULL;
  cJSON *params = p ? cJSON_Parse(p->valuestring) : NULL;
  const cJSON *body = params ? cJSON_GetObjectItem(params, "MessageBody")
                             : NULL;
  if (!body && params) body = cJSON_GetObjectItem(params, "Payload");
  const cJSON *t = body ? cJSON_GetObjectItem(body, key) : NULL;
  char *out = cJSON_IsString(t) ? asl_strdup(t->valuestring) : NULL;
  cJSON_Delete(params);
  return out;
}

/* The types of r's events, comma-joined. */
static char *types(run *r) {
  asl_buf b = {0};
  for (const cJSON *e = r->events->child; e; e = e->next) {
    if (b.len) asl_buf_putc(&b, ',');
    asl_buf_puts(&b, cJSON_GetObjectItem(e, "type")->valuestring);
  }
  return asl_buf_take(&b);
}

static const char SQS_DEF[] =
    "{\"StartAt\":\"Ask\",\"States\":{\"Ask\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
    "\"Parameters\":{\"QueueUrl\":\"q\",\"MessageBody\":{"
    "\"token.$\":\"$$.Task.Token\",\"x.$\":\"$.x\"}},"
    "%s\"End\":true}%s}}";

static void test_token(void) {
  char def[2048];
  snprintf(def, sizeof def, SQS_DEF, "", "");
  asl_machine *m = load(def);
  if (!m) return;
  run r;
  start(&r, m, "{\"x\":5}", "t1");
  cJSON *ev = wait_event(&r, "TaskStarted");
  cJSON *sch = wait_event(&r, "TaskScheduled");
  char *tok = sch ? token_of(sch, "token") : NULL;
  T_OK(ev && tok && strlen(tok) == 88, "a token of 88 characters in the "
                                       "request: %s", tok ? tok : "(none)");
  asl_error e = {0};
  T_OK(asl_task_success("AQnot-a-token", "{}", &e) < 0 &&
           strcmp(e.name, "TaskDoesNotExist") == 0,
       "an unknown token: TaskDoesNotExist");
  asl_error_clear(&e);
  T_OK(asl_task_success(tok, "{bad", &e) < 0 &&
           strcmp(e.name, "InvalidOutput") == 0,
       "output not JSON: InvalidOutput");
  asl_error_clear(&e);
  T_OK(asl_task_heartbeat(tok, &e) == 0, "a heartbeat is taken");
  T_OK(asl_task_success(tok, "{\"ok\":true}", &e) == 0, "success taken");
  asl_error_clear(&e);
  pthread_join(r.th, NULL);
  T_STREQ(r.r.status, "SUCCEEDED");
  T_JSONEQ(r.r.output, "{\"ok\":true}");
  char *ty = types(&r);
  T_STREQ(ty, "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,"
              "TaskSucceeded,TaskStateExited,ExecutionSucceeded");
  free(ty);
  T_OK(asl_task_success(tok, "{}", &e) < 0 &&
           strcmp(e.name, "TaskDoesNotExist") == 0,
       "the token again, after the end: TaskDoesNotExist");
  asl_error_clear(&e);
  cleanup(&r);
  free(tok);
  cJSON_Delete(ev);
  cJSON_Delete(sch);
  asl_machine_free(m);

  /* a failure, caught */
  snprintf(def, sizeof def, SQS_DEF,
           "\"Catch\":[{\"ErrorEquals\":[\"Nope\"],\"Next\":\"C\"}],",
           ",\"C\":{\"Type\":\"Pass\",\"End\":true}");
  m = load(def);
  if (!m) return;
  start(&r, m, "{\"x\":1}", "t2");
  sch = wait_event(&r, "TaskScheduled");
  tok = sch ? token_of(sch, "token") : NULL;
  T_OK(asl_task_failure(tok, "Nope", "no reason", &e) == 0, "failure taken");
  pthread_join(r.th, NULL);
  T_STREQ(r.r.status, "SUCCEEDED");
  T_JSONEQ(r.r.output, "{\"Error\":\"Nope\",\"Cause\":\"no reason\"}");
  cJSON *tf = wait_event(&r, "TaskFailed");
  T_OK(tf && strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(
                                            tf, "taskFailedEventDetails"),
                                        "error")
                        ->valuestring,
                    "Nope") == 0,
       "TaskFailed with the error sent");
  cJSON_Delete(tf);
  cleanup(&r);
  free(tok);
  cJSON_Delete(sch);
  asl_machine_free(m);
}

static void test_heartbeat(void) {
  char def[2048];
  /* HeartbeatSecondsPath: 2 s, from the effective input (as the timeout
   * path reads it) */
  snprintf(def, sizeof def, SQS_DEF,
           "\"HeartbeatSecondsPath\":\"$.MessageBody.x\",", "");
  asl_machine *m = load(def);
  if (!m) return;
  run r;
  memset(&r, 0, sizeof r);
  r.m = m;
  r.input = "{\"x\":2}";
  r.name = "hb";
  r.time_scale = 10; /* 2 s of heartbeat: 0.2 s */
  r.events = cJSON_CreateArray();
  pthread_mutex_init(&r.mu, NULL);
  pthread_create(&r.th, NULL, run_main, &r);
  cJSON *sch = wait_event(&r, "TaskScheduled");
  char *tok = sch ? token_of(sch, "token") : NULL;
  asl_error e = {0};
  int beats = 0;
  for (int i = 0; i < 6; i++) { /* 0.6 s alive, thanks to the beats */
    nap(0.1);
    beats += asl_task_heartbeat(tok, &e) == 0;
  }
  T_OK(beats == 6, "%d heartbeats taken while alive", beats);
  pthread_mutex_lock(&r.mu);
  int done = r.done;
  pthread_mutex_unlock(&r.mu);
  T_OK(!done, "alive past its heartbeat time, thanks to the heartbeats");
  pthread_join(r.th, NULL); /* no more beats: times out */
  T_STREQ(r.r.status, "FAILED");
  T_STREQ(r.r.error, "States.HeartbeatTimeout");
  cJSON *to = wait_event(&r, "TaskTimedOut");
  T_OK(to != NULL, "TaskTimedOut written");
  cJSON_Delete(to);
  T_OK(asl_task_heartbeat(tok, &e) < 0, "no heartbeat after the timeout");
  asl_error_clear(&e);
  cleanup(&r);
  free(tok);
  cJSON_Delete(sch);
  asl_machine_free(m);
}

static void *poller(void *arg) {
  char **got = arg;
  asl_activity_poll("arn:aws:states:us-east-1:123456789012:activity:work",
                    "worker-7", 10, &got[0], &got[1]);
  return NULL;
}

static void test_activity(void) {
  asl_machine *m = load(
      "{\"StartAt\":\"Work\",\"States\":{\"Work\":{\"Type\":\"Task\","
      "\"Resource\":\"arn:aws:states:us-east-1:123456789012:activity:work\","
      "\"Parameters\":{\"job.$\":\"$.job\"},\"End\":true}}}");
  if (!m) return;
  char *none_t = NULL, *none_i = NULL;
  T_OK(asl_activity_poll("arn:aws:states:us-east-1:123456789012:activity:"
                         "idle",
                         "w", 0.05, &none_t, &none_i) == 1 &&
           !none_t,
       "a poll with no task ends empty");
  char *got[2] = {NULL, NULL};
  pthread_t pt;
  pthread_create(&pt, NULL, poller, got); /* waiting before the task */
  run r;
  start(&r, m, "{\"job\":\"print\"}", "a1");
  pthread_join(pt, NULL);
  T_OK(got[0] && got[1], "the worker got a task");
  T_STREQ(got[1], "{\"job\":\"print\"}");
  cJSON *st = wait_event(&r, "ActivityStarted");
  T_OK(st && strcmp(cJSON_GetObjectItem(
                        cJSON_GetObjectItem(st, "activityStartedEventDetails"),
                        "workerName")
                        ->valuestring,
                    "worker-7") == 0,
       "ActivityStarted names the worker");
  asl_error e = {0};
  T_OK(asl_task_success(got[0], "{\"printed\":1}", &e) == 0, "done");
  pthread_join(r.th, NULL);
  T_STREQ(r.r.status, "SUCCEEDED");
  T_JSONEQ(r.r.output, "{\"printed\":1}");
  char *ty = types(&r);
  T_STREQ(ty, "ExecutionStarted,TaskStateEntered,ActivityScheduled,"
              "ActivityStarted,ActivitySucceeded,TaskStateExited,"
              "ExecutionSucceeded");
  free(ty);
  cJSON *sc = wait_event(&r, "ActivityScheduled");
  const cJSON *sd = sc ? cJSON_GetObjectItem(sc, "activityScheduledEventDetails")
                       : NULL;
  T_OK(sd && strstr(cJSON_GetObjectItem(sd, "resource")->valuestring,
                    ":activity:work") &&
           strcmp(cJSON_GetObjectItem(sd, "input")->valuestring,
                  "{\"job\":\"print\"}") == 0,
       "ActivityScheduled: resource and input");
  cJSON_Delete(sc);
  cJSON_Delete(st);
  free(got[0]);
  free(got[1]);
  cleanup(&r);
  asl_machine_free(m);
}

static void test_stop(void) {
  asl_machine *m = load(
      "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
      "\"Seconds\":1000,\"End\":true}}}");
  if (!m) return;
  run r;
  start(&r, m, "{}", "s1");
  cJSON *w = wait_event(&r, "WaitStateEntered");
  asl_error e = {0};
  T_OK(asl_execution_stop("arn:aws:states:us-east-1:123456789012:"
                          "execution:cb:nope",
                          NULL, NULL, &e) < 0 &&
           strcmp(e.name, "ExecutionDoesNotExist") == 0,
       "stopping what does not run: ExecutionDoesNotExist");
  asl_error_clear(&e);
  T_OK(asl_execution_stop(
           "arn:aws:states:us-east-1:123456789012:execution:cb:s1", "Halt",
           "asked to", &e) == 0,
       "stop taken");
  pthread_join(r.th, NULL);
  T_STREQ(r.r.status, "ABORTED");
  T_STREQ(r.r.error, "Halt");
  cJSON *ab = wait_event(&r, "ExecutionAborted");
  const cJSON *ad =
      ab ? cJSON_GetObjectItem(ab, "executionAbortedEventDetails") : NULL;
  T_OK(ad && strcmp(cJSON_GetObjectItem(ad, "cause")->valuestring,
                    "asked to") == 0,
       "ExecutionAborted with the cause");
  cJSON_Delete(ab);
  cJSON_Delete(w);
  cleanup(&r);
  asl_machine_free(m);
}

/* A checkpoint taken while the Task waited: resumed, it waits for the same
 * token, without asking again. */
static void test_resume_waiting(void) {
  char def[2048];
  snprintf(def, sizeof def, SQS_DEF, "", "");
  asl_machine *m = load(def);
  if (!m) return;
  run r;
  start(&r, m, "{\"x\":9}", "r1");
  cJSON *sch = wait_event(&r, "TaskScheduled");
  char *tok = sch ? token_of(sch, "token") : NULL;
  cJSON *ck = NULL;
  for (int i = 0; i < 500 && !ck; i++) { /* the tick after TaskStarted */
    pthread_mutex_lock(&r.mu);
    if (r.last_ck && cJSON_GetObjectItem(r.last_ck, "lastId")->valueint >= 4)
      ck = cJSON_Duplicate(r.last_ck, 1);
    pthread_mutex_unlock(&r.mu);
    if (!ck) nap(0.01);
  }
  T_OK(ck != NULL, "a checkpoint while waiting");
  asl_error e = {0};
  asl_task_success(tok, "{\"first\":1}", &e); /* the first run ends */
  pthread_join(r.th, NULL);
  cleanup(&r);
  /* as after a crash: resumed from the checkpoint */
  run r2;
  memset(&r2, 0, sizeof r2);
  r2.m = m;
  r2.name = "r1";
  r2.resume_from = ck;
  r2.events = cJSON_CreateArray();
  pthread_mutex_init(&r2.mu, NULL);
  pthread_create(&r2.th, NULL, run_main, &r2);
  int ok = 0;
  for (int i = 0; i < 500 && !ok; i++) { /* the token is awaited again */
    ok = asl_task_heartbeat(tok, &e) == 0;
    asl_error_clear(&e);
    if (!ok) nap(0.01);
  }
  T_OK(ok, "the resumed run waits for the same token");
  T_OK(asl_task_success(tok, "{\"second\":2}", &e) == 0, "taken");
  pthread_join(r2.th, NULL);
  T_STREQ(r2.r.status, "SUCCEEDED");
  T_JSONEQ(r2.r.output, "{\"second\":2}");
  char *ty = types(&r2);
  T_STREQ(ty, "TaskSucceeded,TaskStateExited,ExecutionSucceeded");
  free(ty);
  cleanup(&r2);
  cJSON_Delete(ck);
  cJSON_Delete(sch);
  free(tok);
  asl_machine_free(m);
}

/* lambda:invoke.waitForTaskToken: the call runs (TaskSubmitted with its
 * answer), then the Task waits for the token the function was given. */
static void test_submit(void) {
  asl_machine *m = load(
      "{\"StartAt\":\"Ask\",\"States\":{\"Ask\":{\"Type\":\"Task\","
      "\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
      "\"Parameters\":{\"FunctionName\":\"Echo\",\"Payload\":{"
      "\"token.$\":\"$$.Task.Token\"}},\"End\":true}}}");
  if (!m) return;
  run r;
  memset(&r, 0, sizeof r);
  r.m = m;
  r.input = "{}";
  r.name = "l1";
  r.bindings = cJSON_Parse("{\"Functions\":{\"Echo\":{\"builtin\":"
                           "\"echo\"}}}");
  r.events = cJSON_CreateArray();
  pthread_mutex_init(&r.mu, NULL);
  pthread_create(&r.th, NULL, run_main, &r);
  cJSON *sub = wait_event(&r, "TaskSubmitted");
  const cJSON *sd =
      sub ? cJSON_GetObjectItem(sub, "taskSubmittedEventDetails") : NULL;
  cJSON *out = sd ? cJSON_Parse(cJSON_GetObjectItem(sd, "output")->valuestring)
                  : NULL;
  const cJSON *pay = out ? cJSON_GetObjectItem(out, "Payload") : NULL;
  const cJSON *tk = pay ? cJSON_GetObjectItem(pay, "token") : NULL;
  T_OK(cJSON_IsString(tk) && strlen(tk->valuestring) == 88,
       "TaskSubmitted: the function's answer, with the token it was given");
  T_OK(sd && strcmp(cJSON_GetObjectItem(sd, "resource")->valuestring,
                    "invoke.waitForTaskToken") == 0,
       "TaskSubmitted names invoke.waitForTaskToken");
  asl_error e = {0};
  T_OK(cJSON_IsString(tk) &&
           asl_task_success(tk->valuestring, "[1,2]", &e) == 0,
       "success taken");
  pthread_join(r.th, NULL);
  T_STREQ(r.r.status, "SUCCEEDED");
  T_JSONEQ(r.r.output, "[1,2]");
  char *ty = types(&r);
  T_STREQ(ty, "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,"
              "TaskSubmitted,TaskSucceeded,TaskStateExited,"
              "ExecutionSucceeded");
  free(ty);
  cJSON_Delete(out);
  cJSON_Delete(sub);
  cJSON_Delete(r.bindings);
  cleanup(&r);
  asl_machine_free(m);
}

T_MAIN("callback") {
  asl_cli_hasher_install();
  test_token();
  test_submit();
  test_heartbeat();
  test_activity();
  test_stop();
  test_resume_waiting();
}
