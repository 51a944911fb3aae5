/* live.c: what other threads say to running executions: task tokens
 * (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat), activity workers
 * (GetActivityTask) and StopExecution.
 *
 * One registry for the process, under one lock: the tokens of Tasks that
 * wait for one, and the executions running here (by ARN, for a stop). A
 * token outcome is handed to its execution the way a worker thread hands
 * back a job: pushed on the execution's done list under its mutex, with a
 * signal on its condition variable. Lock order: the registry's, then an
 * execution's; never the other way round. The scheduler thread takes a job
 * out of the registry (live_unregister) before it frees it, so the registry
 * never holds a freed job. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "exec_int.h"
#include "json.h"

typedef struct reg {
  task_job *j;
  asl_exec *x;
  struct reg *next;
} reg;

typedef struct lx {
  asl_exec *x;
  struct lx *next;
} lx;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_act = PTHREAD_COND_INITIALIZER; /* a new activity */
static reg *g_regs;
static lx *g_execs;

/* ---- executions ---- */

void live_exec_add(asl_exec *x) {
  lx *e = asl_calloc(1, sizeof *e);
  e->x = x;
  pthread_mutex_lock(&g_mu);
  e->next = g_execs;
  g_execs = e;
  x->live = 1;
  pthread_mutex_unlock(&g_mu);
}

void live_exec_remove(asl_exec *x) {
  if (!x->live) return;
  pthread_mutex_lock(&g_mu);
  for (lx **p = &g_execs; *p; p = &(*p)->next)
    if ((*p)->x == x) {
      lx *e = *p;
      *p = e->next;
      free(e);
      break;
    }
  x->live = 0;
  pthread_mutex_unlock(&g_mu);
}

int asl_execution_stop(const char *arn, const char *error, const char *cause,
                       asl_error *e) {
  pthread_mutex_lock(&g_mu);
  lx *l = g_execs;
  while (l && strcmp(l->x->arn, arn) != 0) l = l->next;
  if (l) {
    asl_exec *x = l->x;
    pthread_mutex_lock(&x->mu);
    if (!x->stop_requested) {
      x->stop_requested = 1;
      x->stop_error = error ? asl_strdup(error) : NULL;
      x->stop_cause = cause ? asl_strdup(cause) : NULL;
    }
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
  }
  pthread_mutex_unlock(&g_mu);
  if (l) return 0;
  return asl_error_set(e, "ExecutionDoesNotExist",
                       "Execution Does Not Exist: '%s' is not running here",
                       arn);
}

/* ---- tokens ---- */

char *live_new_token(asl_exec *x) {
  static const char b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char raw[66];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
    for (size_t i = 0; i < sizeof raw; i += 8) { /* no kernel entropy */
      uint64_t r = exec_rand(x);
      for (size_t k = 0; k < 8 && i + k < sizeof raw; k++)
        raw[i + k] = (unsigned char)(r >> (8 * k));
    }
  char *t = asl_malloc(sizeof raw / 3 * 4 + 1);
  size_t o = 0;
  for (size_t i = 0; i < sizeof raw; i += 3) {
    unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
                 raw[i + 2];
    t[o++] = b64[v >> 18];
    t[o++] = b64[(v >> 12) & 63];
    t[o++] = b64[(v >> 6) & 63];
    t[o++] = b64[v & 63];
  }
  memcpy(t, "AQ", 2); /* AWS's tokens start so */
  t[o] = 0;
  return t;
}

void live_register(asl_exec *x, task_job *j, int parked) {
  reg *r = asl_calloc(1, sizeof *r);
  r->j = j;
  r->x = x;
  pthread_mutex_lock(&g_mu);
  r->next = g_regs;
  g_regs = r;
  j->registered = 1;
  j->parked = parked;
  pthread_mutex_lock(&x->mu);
  x->parked++;
  pthread_mutex_unlock(&x->mu);
  if (j->activity) pthread_cond_broadcast(&g_act);
  pthread_mutex_unlock(&g_mu);
}

/* Unlinks j's entry; the caller holds g_mu. */
static void unlink_reg(task_job *j) {
  for (reg **p = &g_regs; *p; p = &(*p)->next)
    if ((*p)->j == j) {
      reg *r = *p;
      *p = r->next;
      free(r);
      break;
    }
  j->registered = 0;
}

int live_submitted(task_job *j) {
  pthread_mutex_lock(&g_mu);
  j->parked = 1;
  int got = j->cb_done;
  pthread_mutex_unlock(&g_mu);
  return got;
}

int live_unregister(task_job *j) {
  pthread_mutex_lock(&g_mu);
  int was = j->registered;
  if (was) {
    unlink_reg(j);
    pthread_mutex_lock(&j->x->mu);
    j->x->parked--;
    pthread_mutex_unlock(&j->x->mu);
  }
  pthread_mutex_unlock(&g_mu);
  return was;
}

/* The entry of token, or NULL; the caller holds g_mu. */
static reg *find(const char *token) {
  reg *r = g_regs;
  while (r && strcmp(r->j->token, token) != 0) r = r->next;
  return r;
}

static int no_task(const char *token, asl_error *e) {
  return asl_error_set(e, "TaskDoesNotExist",
                       "Task Does Not Exist: no running task waits for the "
                       "token '%.24s...' (it ended, timed out, or was never "
                       "given)",
                       token ? token : "");
}

/* Hands an outcome to the task of token: rc 0 with out (taken), or -1 with
 * error and cause. */
static int complete(const char *token, int rc, cJSON *out, const char *error,
                    const char *cause, asl_error *e) {
  pthread_mutex_lock(&g_mu);
  reg *r = token ? find(token) : NULL;
  if (!r) {
    pthread_mutex_unlock(&g_mu);
    cJSON_Delete(out);
    return no_task(token, e);
  }
  task_job *j = r->j;
  asl_exec *x = r->x;
  unlink_reg(j);
  j->cb_rc = rc;
  j->cb_out = out;
  if (rc != 0) {
    /* SendTaskFailure without an error: AWS's name is then empty */
    j->cb_err.name = asl_strdup(error ? error : "");
    j->cb_err.cause = cause ? asl_strdup(cause) : NULL;
  }
  pthread_mutex_lock(&x->mu);
  x->parked--;
  if (j->parked) { /* to the scheduler, as a worker hands back a job */
    j->stage = JOB_TOKEN;
    j->next_done = x->done_head;
    x->done_head = j;
    pthread_cond_broadcast(&x->cv);
  } else { /* the submit call still runs: it finds this when it returns */
    j->cb_done = 1;
  }
  pthread_mutex_unlock(&x->mu);
  pthread_mutex_unlock(&g_mu);
  return 0;
}

int asl_task_success(const char *token, const char *output, asl_error *e) {
  char *msg = NULL;
  cJSON *out = output ? asl_json_parse(output, strlen(output), &msg) : NULL;
  if (!out) {
    asl_error_set(e, "InvalidOutput", "Invalid Output: %s",
                  msg ? msg : "the output is missing");
    free(msg);
    return -1;
  }
  return complete(token, 0, out, NULL, NULL, e);
}

int asl_task_failure(const char *token, const char *error, const char *cause,
                     asl_error *e) {
  return complete(token, -1, NULL, error, cause, e);
}

int asl_task_heartbeat(const char *token, asl_error *e) {
  pthread_mutex_lock(&g_mu);
  reg *r = token ? find(token) : NULL;
  if (r) r->j->heartbeat_at = exec_real_now();
  pthread_mutex_unlock(&g_mu);
  return r ? 0 : no_task(token, e);
}

/* ---- activities ---- */

int asl_activity_poll(const char *activity_arn, const char *worker,
                      double wait_seconds, char **token, char **input) {
  *token = *input = NULL;
  double until = exec_real_now() + wait_seconds;
  pthread_mutex_lock(&g_mu);
  for (;;) {
    reg *r = g_regs, *first = NULL;
    for (; r; r = r->next) /* the oldest waiting task first */
      if (r->j->activity && !r->j->polled &&
          strcmp(r->j->resource, activity_arn) == 0)
        first = r;
    if (first) {
      task_job *j = first->j;
      j->polled = 1;
      j->worker = asl_strdup(worker ? worker : "");
      *token = asl_strdup(j->token);
      *input = asl_strdup(j->input_text ? j->input_text : "{}");
      pthread_mutex_lock(&first->x->mu);
      first->x->notes = 1;
      pthread_cond_broadcast(&first->x->cv);
      pthread_mutex_unlock(&first->x->mu);
      pthread_mutex_unlock(&g_mu);
      return 0;
    }
    if (exec_real_now() >= until) break;
    struct timespec ts = {(time_t)until,
                          (long)((until - floor(until)) * 1e9)};
    pthread_cond_timedwait(&g_act, &g_mu, &ts);
  }
  pthread_mutex_unlock(&g_mu);
  return 1;
}

/* The polled state of parked job j (worker name, new string or NULL). */
int live_polled(task_job *j, char **worker) {
  pthread_mutex_lock(&g_mu);
  int p = j->polled;
  *worker = p && j->worker ? asl_strdup(j->worker) : NULL;
  pthread_mutex_unlock(&g_mu);
  return p;
}

/* The real time of j's last heartbeat, 0 when none came. */
double live_heartbeat_at(task_job *j) {
  pthread_mutex_lock(&g_mu);
  double t = j->heartbeat_at;
  pthread_mutex_unlock(&g_mu);
  return t;
}
