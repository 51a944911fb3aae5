/* api.c: the Step Functions API over the store and the engine (see api.h).
 *
 * One table maps operation names to handlers. A handler reads its members
 * from the request object, fills the response object and returns 0, or
 * returns -1 with an asl_error whose name is AWS's error name; the table
 * of error kinds below gives each its __type namespace and HTTP status.
 * Executions started by StartExecution are jobs on a queue that worker
 * threads (started on demand, at most max_workers) run to their end. */
#include "api.h"
#include "api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../engine/asl.h"
#include "../engine/json.h"
#include "../engine/limits.h"
#include "../engine/store.h"
#include "../engine/store_machines.h"

#define DEFAULT_WORKERS 64
#define DEFAULT_PAGE 100 /* maxResults 0 or absent */
#define MAX_PAGE 1000
#define TOKEN_PREFIX "asl1:"
#define SERVICE_NS "com.amazonaws.swf.service.v2.model#"
#define DEFAULT_ROLE "arn:aws:iam::123456789012:role/asl-local"

/* A StartExecution waiting for (or being run by) a worker. */
typedef struct job {
  struct job *next;
  long long id;   /* the execution's row */
  asl_machine *m; /* compiled from the definition it started with */
  char *input;    /* compact JSON text */
  char *name;
  double start;
  cJSON *checkpoint; /* resume from here (taken), or NULL: from the input */
  asl_stop stop;     /* StopExecution's request; its strings are owned */
} job;

struct web_api {
  web_api_opts o;
  char *db, *base_dir;
  char *options; /* JSON text kept with each execution (see options_json) */
  pthread_mutex_t pool_mu; /* guards pool */
  asl_store **pool;        /* idle connections */
  size_t npool, cap;
  pthread_mutex_t write_mu; /* one writer of this process at a time */
  pthread_mutex_t tags_mu;  /* guards tags */
  cJSON *tags;              /* {"<arn>": [{"key","value"}, ...]} */
  pthread_mutex_t run_mu;   /* guards the queue and the counts */
  pthread_cond_t run_cv;    /* signalled when a worker exits */
  job *head, *tail;
  job *running; /* the jobs workers run, linked by next */
  int workers;  /* threads alive */
  int stopping; /* drain was called: no new execution */
};

/* ---- error replies ---- */

/* Error names -> the __type namespace and HTTP status AWS answers with;
 * the last row is the default. A name ending in '.' is a prefix. */
static const struct {
  const char *name, *ns, *as;
  int status;
} error_kinds[] = {
    {"UnknownOperationException", "com.amazon.coral.service#", NULL, 400},
    {"SerializationException", "com.amazon.coral.service#", NULL, 400},
    {"ValidationException", "com.amazon.coral.validate#", NULL, 400},
    {"RequestEntityTooLarge", "com.amazon.coral.service#",
     "RequestEntityTooLargeException", 413},
    /* SigV4 verification (asl serve with credentials): AWS's names and
       statuses for JSON-protocol services */
    {"InvalidSignatureException", "com.amazon.coral.service#", NULL, 400},
    {"IncompleteSignatureException", "com.amazon.coral.service#", NULL, 400},
    {"MissingAuthenticationTokenException", "com.amazon.coral.service#", NULL,
     403},
    {"UnrecognizedClientException", "com.amazon.coral.service#", NULL, 400},
    {"Store.", "com.amazon.coral.service#", "InternalFailure", 500},
    {"Serve.", "com.amazon.coral.service#", "ServiceUnavailable", 503},
    {"", SERVICE_NS, NULL, 400},
};

static int error_kind(const char *name) {
  size_t n = sizeof error_kinds / sizeof *error_kinds;
  for (size_t i = 0; i + 1 < n; i++) {
    size_t k = strlen(error_kinds[i].name);
    int prefix = error_kinds[i].name[k - 1] == '.';
    if (prefix ? strncmp(name, error_kinds[i].name, k) == 0
               : strcmp(name, error_kinds[i].name) == 0)
      return (int)i;
  }
  return (int)n - 1;
}

void web_api_error_reply(web_reply *r, int status, const char *name,
                         const char *message) {
  int k = error_kind(name);
  cJSON *o = cJSON_CreateObject();
  char *type = asl_sprintf("%s%s", error_kinds[k].ns,
                           error_kinds[k].as ? error_kinds[k].as : name);
  cJSON_AddStringToObject(o, "__type", type);
  cJSON_AddStringToObject(o, "message", message ? message : "");
  r->status = status ? status : error_kinds[k].status;
  r->body = asl_json_print(o);
  free(type);
  cJSON_Delete(o);
}

/* ---- small helpers ---- */

double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1e3;
}

/* A version 4 UUID (execution names, EXPRESS ARNs). New string. */
static char *new_uuid(void) {
  unsigned char b[16];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
  if (fd >= 0) close(fd);
  if (got != (ssize_t)sizeof b) { /* no urandom: the clock, stirred */
    static unsigned long long seq;
    unsigned long long x = (unsigned long long)(now_epoch() * 1e6) ^
                           __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 16; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      b[i] = (unsigned char)(x >> 56);
    }
  }
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
  return asl_sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                     "%02x%02x%02x%02x%02x%02x",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                     b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* AWS's rule for names of machines and executions: 1 to 80 characters,
 * no white space, brackets, wildcards, special or control characters. */
int valid_name(const char *n) {
  static const char bad[] = " <>{}[]?*\"#%\\^|~`$&,;:/";
  size_t len = strlen(n);
  if (len == 0 || len > ASL_MAX_NAME) return 0;
  for (const unsigned char *p = (const unsigned char *)n; *p; p++) {
    if (*p < 0x20 || *p == 0x7f || strchr(bad, *p)) return 0;
    if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 0; /* C1 */
    if (*p == 0xC2 && p[1] == 0xA0) return 0; /* no-break space */
  }
  return 1;
}

void api_write_lock(web_api *a, int lock) {
  if (lock) pthread_mutex_lock(&a->write_mu);
  else pthread_mutex_unlock(&a->write_mu);
}

/* ---- the store's connections ---- */

static asl_store *store_get(web_api *a, asl_error *e) {
  asl_store *s = NULL;
  pthread_mutex_lock(&a->pool_mu);
  if (a->npool) s = a->pool[--a->npool];
  pthread_mutex_unlock(&a->pool_mu);
  if (!s && asl_store_open(a->db, &s, e) < 0) return NULL;
  return s;
}

static void store_put(web_api *a, asl_store *s) {
  if (!s) return;
  pthread_mutex_lock(&a->pool_mu);
  if (a->npool == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 16;
    a->pool = asl_realloc(a->pool, a->cap * sizeof *a->pool);
  }
  a->pool[a->npool++] = s;
  pthread_mutex_unlock(&a->pool_mu);
}

/* A store sink whose ticks (its writes) take the api's write lock. */
typedef struct locked_sink {
  asl_sink inner;
  web_api *a;
} locked_sink;

static void locked_event(void *ud, const cJSON *ev) {
  locked_sink *k = ud;
  k->inner.event(k->inner.ud, ev);
}

static void locked_tick(void *ud, const cJSON *ck) {
  locked_sink *k = ud;
  pthread_mutex_lock(&k->a->write_mu);
  k->inner.tick(k->inner.ud, ck);
  pthread_mutex_unlock(&k->a->write_mu);
}

/* Child events and blobs are buffered until the tick: no lock. */
static void locked_child(void *ud, const char *arn, const cJSON *ev) {
  locked_sink *k = ud;
  k->inner.child_event(k->inner.ud, arn, ev);
}

static void locked_blob(void *ud, const char *key, const cJSON *v) {
  locked_sink *k = ud;
  k->inner.blob(k->inner.ud, key, v);
}

/* Runs m on input (or from checkpoint) into execution id (recorded
 * already) with a store sink, then records the outcome. Returns 0 with r
 * filled, or -1 with e and r empty (the input did not start, or the store
 * failed: the execution then stays RUNNING at its last checkpoint). */
static int run_recorded(web_api *a, asl_store *s, long long id,
                        const asl_machine *m, const char *input,
                        const cJSON *checkpoint, asl_stop *stop,
                        const char *name, double start, asl_result *r,
                        asl_error *e) {
  locked_sink k = {asl_store_sink(s, id), a};
  asl_sink outer = {&k, k.inner.event ? locked_event : NULL,
                    k.inner.tick ? locked_tick : NULL,
                    k.inner.child_event ? locked_child : NULL,
                    k.inner.blob ? locked_blob : NULL};
  asl_run_opts o = {0};
  o.name = name;
  o.start_time = start;
  o.sink = &outer;
  o.bindings = a->o.bindings;
  o.base_dir = a->base_dir;
  o.stop = stop;
  char *msg = NULL;
  memset(r, 0, sizeof *r);
  int rc = checkpoint ? asl_resume(m, checkpoint, &o, r, &msg)
                      : asl_run(m, input, &o, r, &msg);
  if (rc < 0) {
    asl_store_sink_end(&k.inner, NULL);
    asl_store_outcome out = {"FAILED", NULL, "States.Runtime", msg, 0, 0};
    pthread_mutex_lock(&a->write_mu);
    asl_store_finish_execution(s, id, &out, NULL);
    pthread_mutex_unlock(&a->write_mu);
    asl_error_set(e, "InvalidExecutionInput",
                  "Invalid State Machine Execution Input: '%s'",
                  msg ? msg : "");
    free(msg);
    return -1;
  }
  rc = asl_store_sink_end(&k.inner, e);
  /* The outcome, not asl_store_finish_result: that one takes the engine's
   * ARN for an EXPRESS execution (a UUID of its own), and the client has
   * ours. */
  const cJSON *sd = asl_json_get(r->describe, "stopDate");
  char *out = r->output ? asl_json_print(r->output) : NULL;
  asl_store_outcome oc = {r->status, out, r->error, r->cause,
                          cJSON_IsNumber(sd) ? sd->valuedouble : 0, 0};
  pthread_mutex_lock(&a->write_mu);
  if (rc == 0) rc = asl_store_finish_execution(s, id, &oc, e);
  pthread_mutex_unlock(&a->write_mu);
  free(out);
  if (rc < 0) asl_result_free(r);
  return rc;
}

/* ---- workers ---- */

static void job_free(job *j) {
  asl_machine_free(j->m);
  free(j->input);
  free(j->name);
  cJSON_Delete(j->checkpoint);
  free((char *)j->stop.error);
  free((char *)j->stop.cause);
  free(j);
}

static void run_job(web_api *a, job *j) {
  asl_error e = {0};
  asl_store *s = store_get(a, &e);
  asl_result r = {0};
  if (s && run_recorded(a, s, j->id, j->m, j->input, j->checkpoint, &j->stop,
                        j->name, j->start, &r, &e) == 0)
    asl_result_free(&r);
  if (e.name) /* the machine deleted meanwhile, or a store failure */
    fprintf(stderr, "asl serve: execution %s: %s: %s\n", j->name, e.name,
            e.cause ? e.cause : "");
  asl_error_clear(&e);
  store_put(a, s);
}

static void *worker(void *ud) {
  web_api *a = ud;
  pthread_mutex_lock(&a->run_mu);
  while (a->head && !a->stopping) {
    job *j = a->head;
    a->head = j->next;
    if (!a->head) a->tail = NULL;
    j->next = a->running;
    a->running = j;
    pthread_mutex_unlock(&a->run_mu);
    run_job(a, j);
    pthread_mutex_lock(&a->run_mu);
    job **p = &a->running;
    while (*p != j)
      p = &(*p)->next;
    *p = j->next;
    job_free(j);
  }
  a->workers--;
  pthread_cond_broadcast(&a->run_cv);
  pthread_mutex_unlock(&a->run_mu);
  return NULL;
}

/* Queues j (taken) and starts a worker when fewer than max run. */
static int enqueue(web_api *a, job *j, asl_error *e) {
  pthread_mutex_lock(&a->run_mu);
  if (a->stopping) {
    pthread_mutex_unlock(&a->run_mu);
    job_free(j);
    return asl_error_set(e, "Serve.Stopping", "asl serve is stopping");
  }
  if (a->tail)
    a->tail->next = j;
  else
    a->head = j;
  a->tail = j;
  int max = a->o.max_workers > 0 ? a->o.max_workers : DEFAULT_WORKERS;
  if (a->workers < max) {
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, worker, a) == 0) a->workers++;
    pthread_attr_destroy(&at);
    /* No thread: the job waits for a running worker; with none, it stays
     * RUNNING in the store for `asl resume`. */
  }
  pthread_mutex_unlock(&a->run_mu);
  return 0;
}

/* ---- request members ---- */


static int missing(call *c, const char *k) {
  return asl_error_set(c->e, "ValidationException",
                       "1 validation error detected: Value null at '%s' "
                       "failed to satisfy constraint: Member must not be "
                       "null",
                       k);
}

/* String member k into *v (borrowed; NULL when absent and optional). */
int member_str(call *c, const char *k, int required, const char **v) {
  const cJSON *x = asl_json_get(c->in, k);
  *v = NULL;
  if (!x || cJSON_IsNull(x)) return required ? missing(c, k) : 0;
  if (!cJSON_IsString(x))
    return asl_error_set(c->e, "SerializationException",
                         "Member '%s' must be a string, not %s", k,
                         asl_json_type_name(x));
  *v = x->valuestring;
  return 0;
}

/* Integer member k in [lo, hi] into *v (dflt when absent). */
static int member_int(call *c, const char *k, long long lo, long long hi,
                      long long dflt, long long *v) {
  const cJSON *x = asl_json_get(c->in, k);
  *v = dflt;
  if (!x || cJSON_IsNull(x)) return 0;
  if (!asl_json_as_int64(x, v))
    return asl_error_set(c->e, "SerializationException",
                         "Member '%s' must be an integer", k);
  if (*v < lo || *v > hi)
    return asl_error_set(c->e, "ValidationException",
                         "1 validation error detected: Value '%lld' at '%s' "
                         "failed to satisfy constraint: Member must have "
                         "value %s than or equal to %lld",
                         *v, k, *v < lo ? "greater" : "less",
                         *v < lo ? lo : hi);
  return 0;
}

static int member_bool(call *c, const char *k, int dflt, int *v) {
  const cJSON *x = asl_json_get(c->in, k);
  *v = dflt;
  if (!x || cJSON_IsNull(x)) return 0;
  if (!cJSON_IsBool(x))
    return asl_error_set(c->e, "SerializationException",
                         "Member '%s' must be a boolean", k);
  *v = cJSON_IsTrue(x);
  return 0;
}

/* v must be one of the NULL-terminated set (member k). */
static int member_enum(call *c, const char *k, const char *v,
                       const char *const *set) {
  if (!v) return 0;
  asl_buf all = {0};
  for (const char *const *p = set; *p; p++) {
    if (strcmp(v, *p) == 0) {
      asl_buf_free(&all);
      return 0;
    }
    asl_buf_printf(&all, "%s%s", p == set ? "" : ", ", *p);
  }
  asl_error_set(c->e, "ValidationException",
                "1 validation error detected: Value '%s' at '%s' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                "[%s]",
                v, k, all.s);
  asl_buf_free(&all);
  return -1;
}

static const char *const machine_types[] = {"STANDARD", "EXPRESS", NULL};

/* ---- ARNs ---- */

/* The resource part of arn after ":<kind>:" when arn is a Step Functions
 * ARN of that kind; else -1 with InvalidArn in AWS's words. */
int arn_resource(call *c, const char *arn, const char *const *kinds,
                 const char **rest) {
  static const char prefix[] = "arn:aws:states:";
  if (strncmp(arn, prefix, sizeof prefix - 1) != 0)
    return asl_error_set(c->e, "InvalidArn",
                         "Invalid Arn: 'Invalid ARN prefix: %s'", arn);
  /* arn:aws:states:REGION:ACCOUNT:KIND:... */
  const char *p = arn + sizeof prefix - 1;
  for (int colons = 0; *p && colons < 2; p++)
    if (*p == ':') colons++;
  for (const char *const *k = kinds; *k; k++) {
    size_t n = strlen(*k);
    if (strncmp(p, *k, n) == 0 && p[n] == ':' && p[n + 1]) {
      *rest = p + n + 1;
      return 0;
    }
  }
  const char *end = strchr(p, ':');
  return asl_error_set(c->e, "InvalidArn",
                       "Invalid Arn: 'Resource type not valid in this "
                       "context: %.*s'",
                       end ? (int)(end - p) : (int)strlen(p), p);
}

static const char *const machine_kinds[] = {"stateMachine", NULL};
static const char *const execution_kinds[] = {"execution", "express", NULL};

/* The machine arn names, into row. StateMachineDoesNotExist when there is
 * none of that name, or it has another ARN (region, account). */
static int find_machine(call *c, const char *arn, asl_store_machine_row *row) {
  const char *name;
  memset(row, 0, sizeof *row);
  if (arn_resource(c, arn, machine_kinds, &name) < 0) return -1;
  asl_error e = {0};
  int rc = asl_store_get_machine(c->s, name, row, &e);
  if (rc == 0 && strcmp(row->arn, arn) == 0) return 0;
  if (rc == 0 || strcmp(e.name, "StateMachineDoesNotExist") == 0) {
    asl_store_machine_free(row);
    asl_error_clear(&e);
    return asl_error_set(c->e, "StateMachineDoesNotExist",
                         "State Machine Does Not Exist: '%s'", arn);
  }
  asl_error_move(c->e, &e);
  return -1;
}

static int check_execution_arn(call *c, const char *arn) {
  const char *rest;
  return arn_resource(c, arn, execution_kinds, &rest);
}

/* ---- response helpers ---- */

static void add_config(cJSON *o) {
  cJSON *l = cJSON_AddObjectToObject(o, "loggingConfiguration");
  cJSON_AddStringToObject(l, "level", "OFF");
  cJSON_AddFalseToObject(l, "includeExecutionData");
  cJSON_AddFalseToObject(cJSON_AddObjectToObject(o, "tracingConfiguration"),
                         "enabled");
}

/* Moves every member of from into to; frees from. */
static void move_members(cJSON *to, cJSON *from) {
  while (from && from->child) {
    cJSON *m = cJSON_DetachItemViaPointer(from, from->child);
    cJSON_AddItemToObject(to, m->string, m);
  }
  cJSON_Delete(from);
}

/* The key that pages a list after item it (nextToken): a string member's
 * text or a number member's integer. New string. */
static char *item_key(const cJSON *it, const char *k) {
  const cJSON *v = asl_json_get(it, k);
  if (cJSON_IsString(v)) return asl_strdup(v->valuestring);
  return asl_sprintf("%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
}

/* Puts one page of items (taken) into c->out as member name, from the
 * request's nextToken and maxResults, with the next page's nextToken
 * when there is one. Tokens name the last item given, so a page does not
 * shift when new items come first. */
int paginate(call *c, cJSON *items, const char *name, const char *key) {
  long long max;
  const char *token;
  if (member_int(c, "maxResults", 0, MAX_PAGE, 0, &max) < 0 ||
      member_str(c, "nextToken", 0, &token) < 0) {
    cJSON_Delete(items);
    return -1;
  }
  if (max == 0) max = DEFAULT_PAGE;
  cJSON *it = items->child;
  if (token) {
    size_t pn = strlen(TOKEN_PREFIX);
    int found = 0;
    if (strncmp(token, TOKEN_PREFIX, pn) == 0)
      for (; it && !found; it = it->next) {
        char *k = item_key(it, key);
        found = strcmp(k, token + pn) == 0;
        free(k);
      }
    if (!found) {
      cJSON_Delete(items);
      return asl_error_set(c->e, "InvalidToken", "Invalid Token: '%s'", token);
    }
  }
  cJSON *page = cJSON_AddArrayToObject(c->out, name);
  for (long long n = 0; it && n < max; n++) {
    cJSON *next = it->next;
    cJSON_AddItemToArray(page, cJSON_DetachItemViaPointer(items, it));
    it = next;
  }
  if (it) {
    cJSON *last = page->child;
    while (last->next)
      last = last->next;
    char *k = item_key(last, key);
    char *t = asl_sprintf("%s%s", TOKEN_PREFIX, k);
    cJSON_AddStringToObject(c->out, "nextToken", t);
    free(t);
    free(k);
  }
  cJSON_Delete(items);
  return 0;
}

/* ---- loading definitions ---- */

/* Loads def as a machine of type and name; InvalidDefinition with AWS's
 * message when it does not validate. */
static asl_machine *load_machine(call *c, const char *def, const char *type,
                                 const char *name, const char *role) {
  asl_diags d = {0};
  asl_load_opts lo = {type, name, role};
  asl_machine *m = asl_machine_load(def, strlen(def), &lo, &d);
  if (!m) {
    char *msg = asl_diags_message(&d);
    asl_error_set(c->e, "InvalidDefinition", "%s", msg);
    free(msg);
  }
  asl_diags_free(&d);
  return m;
}

static int check_definition_size(call *c, const char *def) {
  if (strlen(def) <= ASL_MAX_DEFINITION) return 0;
  return asl_error_set(c->e, "ValidationException",
                       "1 validation error detected: Value at "
                       "'definition' failed to satisfy constraint: Member "
                       "must have length less than or equal to %d",
                       ASL_MAX_DEFINITION);
}

/* ---- tags (kept in memory) ---- */

/* Sets or replaces tags (an array of {"key","value"}) on arn. */
static int tags_put(call *c, const char *arn, const cJSON *tags) {
  if (!tags || cJSON_IsNull(tags)) return 0;
  if (!cJSON_IsArray(tags))
    return asl_error_set(c->e, "SerializationException",
                         "Member 'tags' must be a list");
  for (const cJSON *t = tags->child; t; t = t->next)
    if (!cJSON_IsString(asl_json_get(t, "key")))
      return missing(c, "tags.member.key");
  web_api *a = c->a;
  pthread_mutex_lock(&a->tags_mu);
  cJSON *list = cJSON_GetObjectItemCaseSensitive(a->tags, arn);
  if (!list) list = cJSON_AddArrayToObject(a->tags, arn);
  for (const cJSON *t = tags->child; t; t = t->next) {
    const char *k = asl_json_get(t, "key")->valuestring;
    const cJSON *v = asl_json_get(t, "value");
    for (cJSON *o = list->child; o; o = o->next)
      if (strcmp(asl_json_get(o, "key")->valuestring, k) == 0) {
        cJSON_Delete(cJSON_DetachItemViaPointer(list, o));
        break;
      }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", k);
    cJSON_AddStringToObject(o, "value",
                            cJSON_IsString(v) ? v->valuestring : "");
    cJSON_AddItemToArray(list, o);
  }
  pthread_mutex_unlock(&a->tags_mu);
  return 0;
}

static void tags_drop(web_api *a, const char *arn) {
  pthread_mutex_lock(&a->tags_mu);
  cJSON_DeleteItemFromObjectCaseSensitive(a->tags, arn);
  pthread_mutex_unlock(&a->tags_mu);
}

/* The machine a tag operation names; ResourceNotFound when none. */
static int tag_target(call *c, const char **arn) {
  asl_store_machine_row row;
  if (member_str(c, "resourceArn", 1, arn) < 0) return -1;
  if (find_machine(c, *arn, &row) == 0) {
    asl_store_machine_free(&row);
    return 0;
  }
  if (strcmp(c->e->name, "StateMachineDoesNotExist") == 0)
    asl_error_set(c->e, "ResourceNotFound", "Resource not found: '%s'", *arn);
  return -1;
}

/* ---- operations: state machines ---- */

/* The checks AWS makes on the configuration members of Create- and
 * UpdateStateMachine, in its words. The configuration itself is not kept:
 * asl logs nothing to CloudWatch and traces nothing. */
static int check_config(call *c) {
  const cJSON *log = asl_json_get(c->in, "loggingConfiguration");
  const cJSON *dest = asl_json_get(log, "destinations");
  if (cJSON_IsArray(dest) && cJSON_GetArraySize(dest) > 1)
    return asl_error_set(c->e, "InvalidLoggingConfiguration",
                         "Invalid Logging Configuration: Must specify "
                         "exactly one Log Destination.");
  int publish;
  if (member_bool(c, "publish", 0, &publish) < 0) return -1;
  const cJSON *desc = asl_json_get(c->in, "versionDescription");
  if (desc && !cJSON_IsNull(desc) && !publish)
    return asl_error_set(c->e, "ValidationException",
                         "Version description can only be set when publish "
                         "is true");
  return 0;
}

static int op_create_state_machine(call *c) {
  const char *name, *def, *role, *type;
  if (member_str(c, "name", 1, &name) < 0 ||
      member_str(c, "definition", 1, &def) < 0 ||
      member_str(c, "roleArn", 1, &role) < 0 ||
      member_str(c, "type", 0, &type) < 0 ||
      member_enum(c, "type", type, machine_types) < 0 ||
      check_definition_size(c, def) < 0 || check_config(c) < 0)
    return -1;
  if (!type) type = "STANDARD";
  if (!valid_name(name))
    return asl_error_set(c->e, "InvalidName", "Invalid Name: '%s'", name);
  if (strncmp(role, "arn:", 4) != 0)
    return asl_error_set(c->e, "InvalidArn",
                         "Invalid Arn: 'Invalid ARN prefix: %s'", role);
  asl_machine *m = load_machine(c, def, type, name, role);
  if (!m) return -1;
  char *arn = asl_strdup(asl_machine_arn(m));
  asl_machine_free(m);
  asl_store_machine_row row;
  asl_error ge = {0};
  pthread_mutex_lock(&c->a->write_mu);
  int rc = asl_store_get_machine(c->s, name, &row, &ge);
  double created = now_epoch();
  if (rc == 0) { /* AWS: the very same machine again is no error */
    if (strcmp(row.definition, def) == 0 && strcmp(row.type, type) == 0 &&
        row.role_arn && strcmp(row.role_arn, role) == 0)
      created = row.created;
    else
      rc = asl_error_set(c->e, "StateMachineAlreadyExists",
                         "State Machine Already Exists: '%s'", row.arn);
    asl_store_machine_free(&row);
  } else if (strcmp(ge.name, "StateMachineDoesNotExist") != 0) {
    asl_error_move(c->e, &ge);
  } else {
    asl_store_machine sm = {name, arn, def, type, role, created};
    rc = asl_store_put_machine(c->s, &sm, c->e);
  }
  pthread_mutex_unlock(&c->a->write_mu);
  asl_error_clear(&ge);
  if (rc == 0) rc = tags_put(c, arn, asl_json_get(c->in, "tags"));
  if (rc == 0) {
    cJSON_AddStringToObject(c->out, "stateMachineArn", arn);
    cJSON_AddNumberToObject(c->out, "creationDate", created);
  }
  free(arn);
  return rc;
}

static int op_describe_state_machine(call *c) {
  const char *arn;
  asl_store_machine_row row;
  if (member_str(c, "stateMachineArn", 1, &arn) < 0 ||
      find_machine(c, arn, &row) < 0)
    return -1;
  cJSON_AddStringToObject(c->out, "stateMachineArn", row.arn);
  cJSON_AddStringToObject(c->out, "name", row.name);
  cJSON_AddStringToObject(c->out, "status", "ACTIVE");
  cJSON_AddStringToObject(c->out, "definition", row.definition);
  cJSON_AddStringToObject(c->out, "roleArn",
                          row.role_arn ? row.role_arn : DEFAULT_ROLE);
  cJSON_AddStringToObject(c->out, "type", row.type);
  cJSON_AddNumberToObject(c->out, "creationDate", row.created);
  add_config(c->out);
  asl_store_machine_free(&row);
  return 0;
}

static int op_update_state_machine(call *c) {
  const char *arn, *def, *role;
  if (member_str(c, "stateMachineArn", 1, &arn) < 0 ||
      member_str(c, "definition", 0, &def) < 0 ||
      member_str(c, "roleArn", 0, &role) < 0 ||
      (def && check_definition_size(c, def) < 0) || check_config(c) < 0)
    return -1;
  if (!def && !role && !asl_json_get(c->in, "loggingConfiguration") &&
      !asl_json_get(c->in, "tracingConfiguration"))
    return asl_error_set(c->e, "MissingRequiredParameter",
                         "Either the definition, the role ARN, the "
                         "LoggingConfiguration, or the TracingConfiguration "
                         "must be specified");
  asl_store_machine_row row;
  if (find_machine(c, arn, &row) < 0) return -1;
  int rc = 0;
  if (def) {
    asl_machine *m = load_machine(c, def, row.type, row.name, row.role_arn);
    rc = m ? 0 : -1;
    asl_machine_free(m);
  }
  double now = now_epoch();
  if (rc == 0) {
    asl_store_machine sm = {row.name,
                            row.arn,
                            def ? def : row.definition,
                            row.type,
                            role ? role : row.role_arn,
                            row.created};
    pthread_mutex_lock(&c->a->write_mu);
    rc = asl_store_put_machine(c->s, &sm, c->e);
    pthread_mutex_unlock(&c->a->write_mu);
  }
  if (rc == 0) cJSON_AddNumberToObject(c->out, "updateDate", now);
  asl_store_machine_free(&row);
  return rc;
}

/* AWS deletes a machine that is not there without complaint. */
static int op_delete_state_machine(call *c) {
  const char *arn, *name;
  if (member_str(c, "stateMachineArn", 1, &arn) < 0 ||
      arn_resource(c, arn, machine_kinds, &name) < 0)
    return -1;
  asl_store_machine_row row;
  asl_error e = {0};
  int rc = asl_store_get_machine(c->s, name, &row, &e);
  if (rc == 0) {
    if (strcmp(row.arn, arn) == 0) {
      pthread_mutex_lock(&c->a->write_mu);
      rc = asl_store_delete_machine(c->s, name, &e);
      pthread_mutex_unlock(&c->a->write_mu);
      tags_drop(c->a, arn);
    }
    asl_store_machine_free(&row);
  }
  if (rc < 0 && strcmp(e.name, "StateMachineDoesNotExist") != 0) {
    asl_error_move(c->e, &e);
    return -1;
  }
  asl_error_clear(&e);
  return 0;
}

static int op_list_state_machines(call *c) {
  cJSON *items;
  if (asl_store_list_machines(c->s, &items, c->e) < 0) return -1;
  return paginate(c, items, "stateMachines", "stateMachineArn");
}

static int op_validate_definition(call *c) {
  const char *def, *type;
  if (member_str(c, "definition", 1, &def) < 0 ||
      member_str(c, "type", 0, &type) < 0 ||
      member_enum(c, "type", type, machine_types) < 0 ||
      check_definition_size(c, def) < 0)
    return -1;
  asl_diags d = {0};
  asl_load_opts lo = {type ? type : "STANDARD", NULL, NULL};
  asl_machine *m = asl_machine_load(def, strlen(def), &lo, &d);
  asl_machine_free(m);
  move_members(c->out, asl_diags_to_json(&d));
  asl_diags_free(&d);
  return 0;
}

static int op_describe_machine_for_execution(call *c) {
  const char *arn;
  asl_store_machine_row row;
  if (member_str(c, "executionArn", 1, &arn) < 0 ||
      check_execution_arn(c, arn) < 0 ||
      asl_store_execution_machine(c->s, arn, &row, c->e) < 0)
    return -1;
  cJSON_AddStringToObject(c->out, "stateMachineArn", row.arn);
  cJSON_AddStringToObject(c->out, "name", row.name);
  cJSON_AddStringToObject(c->out, "definition", row.definition);
  cJSON_AddStringToObject(c->out, "roleArn",
                          row.role_arn ? row.role_arn : DEFAULT_ROLE);
  cJSON_AddNumberToObject(c->out, "updateDate", row.updated);
  add_config(c->out);
  asl_store_machine_free(&row);
  return 0;
}

/* ---- operations: executions ---- */

/* What a start needs, checked and prepared before anything is written. */
typedef struct start {
  asl_store_machine_row row;
  asl_machine *m;
  char *name, *arn, *input;
  double start;
} start;

static void start_free(start *p) {
  asl_store_machine_free(&p->row);
  asl_machine_free(p->m);
  free(p->name);
  free(p->arn);
  free(p->input);
}

/* Reads StartExecution's members (and StartSyncExecution's) into p: the
 * machine (of type want, when not NULL), the name (a UUID when none), the
 * input as compact JSON, the ARN the execution gets. */
static int start_prepare(call *c, const char *want, start *p) {
  const char *arn, *name, *input;
  memset(p, 0, sizeof *p);
  if (member_str(c, "stateMachineArn", 1, &arn) < 0 ||
      member_str(c, "name", 0, &name) < 0 ||
      member_str(c, "input", 0, &input) < 0 ||
      find_machine(c, arn, &p->row) < 0)
    return -1;
  if (want && strcmp(p->row.type, want) != 0)
    return asl_error_set(c->e, "StateMachineTypeNotSupported",
                         "This operation is not supported by this type of "
                         "state machine");
  if (name && !valid_name(name))
    return asl_error_set(c->e, "InvalidName", "Invalid Name: '%s'", name);
  if (!input) input = "{}";
  if (strlen(input) > ASL_MAX_PAYLOAD)
    return asl_error_set(c->e, "InvalidExecutionInput",
                         "Invalid State Machine Execution Input: 'The input "
                         "is larger than %d bytes'",
                         ASL_MAX_PAYLOAD);
  char *msg = NULL;
  cJSON *v = asl_json_parse(input, strlen(input), &msg);
  if (!v) {
    asl_error_set(c->e, "InvalidExecutionInput",
                  "Invalid State Machine Execution Input: '%s'",
                  msg ? msg : "not JSON");
    free(msg);
    return -1;
  }
  p->input = asl_json_print(v);
  cJSON_Delete(v);
  if (!(p->m = load_machine(c, p->row.definition, p->row.type, p->row.name,
                            p->row.role_arn)))
    return -1;
  p->name = name ? asl_strdup(name) : new_uuid();
  const char *sm = strstr(p->row.arn, ":stateMachine:");
  int pre = (int)(sm - p->row.arn);
  if (strcmp(p->row.type, "EXPRESS") == 0) {
    char *u = new_uuid();
    p->arn = asl_sprintf("%.*s:express:%s:%s:%s", pre, p->row.arn, p->row.name,
                         p->name, u);
    free(u);
  } else {
    p->arn = asl_sprintf("%.*s:execution:%s:%s", pre, p->row.arn, p->row.name,
                         p->name);
  }
  p->start = now_epoch();
  return 0;
}

/* Records p's execution as RUNNING and owned by this process. 1: the
 * same start again (AWS's idempotent StartExecution): *id is that one's. */
static int start_record(call *c, start *p, long long *id) {
  asl_store_start x = {p->row.name, p->name,  p->arn,
                       p->input,    p->start, c->a->options};
  pthread_mutex_lock(&c->a->write_mu);
  int rc = asl_store_start_execution(c->s, &x, id, c->e);
  int claimed = 0;
  if (rc == 0 &&
      asl_store_claim(c->s, *id, 0, (long long)getpid(), &claimed, c->e) < 0)
    rc = -1;
  pthread_mutex_unlock(&c->a->write_mu);
  return rc;
}

static int op_start_execution(call *c) {
  start p;
  long long id = 0;
  int rc = start_prepare(c, NULL, &p);
  if (rc == 0) rc = start_record(c, &p, &id);
  if (rc == 1) { /* already running with this input: its ARN and start */
    cJSON *d = NULL;
    rc = asl_store_describe(c->s, p.arn, &d, c->e);
    if (rc == 0) {
      cJSON_AddItemToObject(c->out, "executionArn",
                            asl_json_dup(asl_json_get(d, "executionArn")));
      cJSON_AddItemToObject(c->out, "startDate",
                            asl_json_dup(asl_json_get(d, "startDate")));
    }
    cJSON_Delete(d);
  } else if (rc == 0) {
    cJSON_AddStringToObject(c->out, "executionArn", p.arn);
    cJSON_AddNumberToObject(c->out, "startDate", p.start);
    job *j = asl_calloc(1, sizeof *j);
    j->id = id;
    j->m = p.m;
    j->input = p.input;
    j->name = p.name;
    j->start = p.start;
    p.m = NULL;
    p.input = p.name = NULL;
    rc = enqueue(c->a, j, c->e);
  }
  start_free(&p);
  return rc;
}

/* Asks the queued or running job of execution id to stop with error and
 * cause (copied). 0: it was not found (another process runs it). */
static int request_stop(web_api *a, long long id, const char *error,
                        const char *cause) {
  pthread_mutex_lock(&a->run_mu);
  job *j = a->head;
  while (j && j->id != id)
    j = j->next;
  if (!j)
    for (j = a->running; j && j->id != id;)
      j = j->next;
  if (j && !atomic_load(&j->stop.requested)) { /* the first stop wins */
    j->stop.error = error ? asl_strdup(error) : NULL;
    j->stop.cause = cause ? asl_strdup(cause) : NULL;
    atomic_store(&j->stop.requested, 1);
  }
  pthread_mutex_unlock(&a->run_mu);
  return j != NULL;
}

/* DescribeExecution of arn once it is no longer RUNNING (the worker
 * records the abort within ASL_STOP_POLL_S), or after about 5 s. */
static cJSON *describe_stopped(call *c, const char *arn) {
  cJSON *d = NULL;
  for (int i = 0; i < 250; i++) {
    cJSON_Delete(d);
    d = NULL;
    if (asl_store_describe(c->s, arn, &d, c->e) < 0) return NULL;
    const cJSON *st = asl_json_get(d, "status");
    if (!cJSON_IsString(st) || strcmp(st->valuestring, "RUNNING") != 0) break;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return d;
}

/* AWS: an execution that has already ended is not an error to stop; its
 * stopDate is answered. */
static int op_stop_execution(call *c) {
  const char *arn, *error, *cause;
  if (member_str(c, "executionArn", 1, &arn) < 0 ||
      member_str(c, "error", 0, &error) < 0 ||
      member_str(c, "cause", 0, &cause) < 0 || check_execution_arn(c, arn) < 0)
    return -1;
  if (strstr(arn, ":express:"))
    return asl_error_set(c->e, "StateMachineTypeNotSupported",
                         "This operation is not supported by this type of "
                         "state machine");
  char *found = NULL;
  long long id;
  if (asl_store_find_execution(c->s, arn, &found, &id, c->e) < 0) return -1;
  free(found);
  cJSON *d = NULL;
  if (asl_store_describe(c->s, arn, &d, c->e) < 0) return -1;
  const cJSON *st = asl_json_get(d, "status");
  int running = cJSON_IsString(st) && strcmp(st->valuestring, "RUNNING") == 0;
  /* A start that has just been recorded is queued a moment later. */
  int asked = 0;
  for (int i = 0; running && !asked && i < 10; i++) {
    if (i) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    asked = request_stop(c->a, id, error, cause);
  }
  if (running && !asked) {
    cJSON_Delete(d);
    return asl_error_set(c->e, "ExecutionNotStoppable",
                         "Execution '%s' is run by another process than "
                         "this server: stop that process",
                         arn);
  }
  if (running) {
    cJSON_Delete(d);
    if (!(d = describe_stopped(c, arn))) return -1;
  }
  const cJSON *stop = asl_json_get(d, "stopDate");
  cJSON_AddNumberToObject(c->out, "stopDate",
                          cJSON_IsNumber(stop) ? stop->valuedouble
                                               : now_epoch());
  cJSON_Delete(d);
  return 0;
}

/* StartSyncExecution's members, copied from the DescribeExecution shape. */
static const char *const sync_members[] = {
    "executionArn", "stateMachineArn", "name",   "startDate",
    "stopDate",     "status",          "error",  "cause",
    "input",        "inputDetails",    "output", "outputDetails"};

static int op_start_sync_execution(call *c) {
  start p;
  long long id = 0;
  int rc = start_prepare(c, "EXPRESS", &p);
  if (rc == 0) rc = start_record(c, &p, &id);
  asl_result r = {0};
  if (rc == 0)
    rc = run_recorded(c->a, c->s, id, p.m, p.input, NULL, NULL, p.name, p.start,
                      &r, c->e);
  if (rc == 0) {
    for (size_t i = 0; i < sizeof sync_members / sizeof *sync_members; i++) {
      const cJSON *v = asl_json_get(r.describe, sync_members[i]);
      if (i == 0) /* the ARN recorded, as DescribeExecution answers it */
        cJSON_AddStringToObject(c->out, "executionArn", p.arn);
      else if (v)
        cJSON_AddItemToObject(c->out, sync_members[i], asl_json_dup(v));
    }
    cJSON *b = cJSON_AddObjectToObject(c->out, "billingDetails");
    cJSON_AddNumberToObject(b, "billedMemoryUsedInMB", 64);
    cJSON_AddNumberToObject(b, "billedDurationInMilliseconds",
                            ceil(r.run_ms / 100.0) * 100.0);
    asl_result_free(&r);
  }
  start_free(&p);
  return rc;
}

static int op_describe_execution(call *c) {
  const char *arn;
  cJSON *d;
  if (member_str(c, "executionArn", 1, &arn) < 0 ||
      check_execution_arn(c, arn) < 0 ||
      asl_store_describe(c->s, arn, &d, c->e) < 0)
    return -1;
  move_members(c->out, d);
  return 0;
}

static const char *const status_filters[] = {
    "RUNNING", "SUCCEEDED",       "FAILED", "TIMED_OUT",
    "ABORTED", "PENDING_REDRIVE", NULL};

static int op_list_executions(call *c) {
  const char *arn, *status;
  if (member_str(c, "stateMachineArn", 0, &arn) < 0 ||
      member_str(c, "statusFilter", 0, &status) < 0 ||
      member_enum(c, "statusFilter", status, status_filters) < 0)
    return -1;
  if (!arn) {
    if (asl_json_get(c->in, "mapRunArn"))
      return asl_error_set(c->e, "ResourceNotFound",
                           "Resource not found: map runs are not recorded "
                           "by asl");
    return asl_error_set(c->e, "ValidationException",
                         "Must provide a StateMachine ARN or MapRun ARN");
  }
  asl_store_machine_row row;
  if (find_machine(c, arn, &row) < 0) return -1;
  int rc = 0;
  if (strcmp(row.type, "EXPRESS") == 0)
    rc = asl_error_set(c->e, "StateMachineTypeNotSupported",
                       "This operation is not supported by this type of "
                       "state machine");
  cJSON *items = NULL;
  if (rc == 0 && status && strcmp(status, "PENDING_REDRIVE") == 0)
    items = cJSON_CreateArray(); /* nothing is redriven locally */
  else if (rc == 0)
    rc = asl_store_list_executions(c->s, status, row.name, &items, c->e);
  asl_store_machine_free(&row);
  if (rc < 0) return -1;
  return paginate(c, items, "executions", "executionArn");
}

/* Drops the payloads of events' details (includeExecutionData false). */
static void strip_data(cJSON *events) {
  static const char *const data[] = {"input", "output", "inputDetails",
                                     "outputDetails"};
  for (cJSON *ev = events->child; ev; ev = ev->next)
    for (cJSON *d = ev->child; d; d = d->next)
      if (cJSON_IsObject(d))
        for (size_t i = 0; i < sizeof data / sizeof *data; i++)
          cJSON_DeleteItemFromObjectCaseSensitive(d, data[i]);
}

/* Pages are read from the store one at a time: the token is the last
 * event id given. */
static int op_get_execution_history(call *c) {
  const char *arn, *token;
  int reverse, data;
  long long max, after = 0;
  cJSON *events;
  if (member_str(c, "executionArn", 1, &arn) < 0 ||
      member_bool(c, "reverseOrder", 0, &reverse) < 0 ||
      member_bool(c, "includeExecutionData", 1, &data) < 0 ||
      member_int(c, "maxResults", 0, MAX_PAGE, 0, &max) < 0 ||
      member_str(c, "nextToken", 0, &token) < 0 ||
      check_execution_arn(c, arn) < 0)
    return -1;
  if (max == 0) max = DEFAULT_PAGE;
  if (token) {
    size_t pn = strlen(TOKEN_PREFIX);
    char *end = NULL;
    if (strncmp(token, TOKEN_PREFIX, pn) == 0)
      after = strtoll(token + pn, &end, 10);
    if (!end || end == token + pn || *end || after <= 0)
      return asl_error_set(c->e, "InvalidToken", "Invalid Token: '%s'", token);
  }
  if (asl_store_get_history_page(c->s, arn, reverse, after, (int)max + 1,
                                 &events, c->e) < 0)
    return -1;
  cJSON *more = NULL; /* the one past the page: there is a next page */
  if (cJSON_GetArraySize(events) > max) {
    more = cJSON_GetArrayItem(events, (int)max);
    cJSON_DetachItemViaPointer(events, more);
    cJSON_Delete(more);
  }
  if (!data) strip_data(events);
  cJSON *last = NULL;
  for (cJSON *ev = events->child; ev; ev = ev->next)
    last = ev;
  cJSON_AddItemToObject(c->out, "events", events);
  if (more && last) {
    char *t = asl_sprintf("%s%.0f", TOKEN_PREFIX,
                          asl_json_get(last, "id")->valuedouble);
    cJSON_AddStringToObject(c->out, "nextToken", t);
    free(t);
  }
  return 0;
}

/* ---- operations: tags ---- */

static int op_tag_resource(call *c) {
  const char *arn;
  if (tag_target(c, &arn) < 0) return -1;
  const cJSON *tags = asl_json_get(c->in, "tags");
  if (!tags) return missing(c, "tags");
  return tags_put(c, arn, tags);
}

static int op_untag_resource(call *c) {
  const char *arn;
  if (tag_target(c, &arn) < 0) return -1;
  const cJSON *keys = asl_json_get(c->in, "tagKeys");
  if (!keys) return missing(c, "tagKeys");
  if (!cJSON_IsArray(keys))
    return asl_error_set(c->e, "SerializationException",
                         "Member 'tagKeys' must be a list");
  pthread_mutex_lock(&c->a->tags_mu);
  cJSON *list = cJSON_GetObjectItemCaseSensitive(c->a->tags, arn);
  for (const cJSON *k = keys->child; list && k; k = k->next) {
    if (!cJSON_IsString(k)) continue;
    for (cJSON *o = list->child; o; o = o->next)
      if (strcmp(asl_json_get(o, "key")->valuestring, k->valuestring) == 0) {
        cJSON_Delete(cJSON_DetachItemViaPointer(list, o));
        break;
      }
  }
  pthread_mutex_unlock(&c->a->tags_mu);
  return 0;
}

static int op_list_tags(call *c) {
  const char *arn;
  if (tag_target(c, &arn) < 0) return -1;
  pthread_mutex_lock(&c->a->tags_mu);
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->a->tags, arn);
  cJSON_AddItemToObject(c->out, "tags",
                        list ? asl_json_dup(list) : cJSON_CreateArray());
  pthread_mutex_unlock(&c->a->tags_mu);
  return 0;
}

/* ---- the operation table ---- */

static const struct {
  const char *name;
  int (*fn)(call *c);
} operations[] = {
    {"CreateStateMachine", op_create_state_machine},
    {"DescribeStateMachine", op_describe_state_machine},
    {"UpdateStateMachine", op_update_state_machine},
    {"DeleteStateMachine", op_delete_state_machine},
    {"ListStateMachines", op_list_state_machines},
    {"ValidateStateMachineDefinition", op_validate_definition},
    {"DescribeStateMachineForExecution", op_describe_machine_for_execution},
    {"StartExecution", op_start_execution},
    {"StartSyncExecution", op_start_sync_execution},
    {"StopExecution", op_stop_execution},
    {"DescribeExecution", op_describe_execution},
    {"ListExecutions", op_list_executions},
    {"GetExecutionHistory", op_get_execution_history},
    {"TagResource", op_tag_resource},
    {"UntagResource", op_untag_resource},
    {"ListTagsForResource", op_list_tags},
    {"SendTaskSuccess", op_send_task_success},
    {"SendTaskFailure", op_send_task_failure},
    {"SendTaskHeartbeat", op_send_task_heartbeat},
    {"GetActivityTask", op_get_activity_task},
    {"CreateActivity", op_create_activity},
    {"DescribeActivity", op_describe_activity},
    {"DeleteActivity", op_delete_activity},
    {"ListActivities", op_list_activities},
};

/* Operations of the Step Functions API that asl serve does not have yet:
 * answered with a clear error rather than as unknown. */
static const char *const not_built[] = {
    "TestState",
    "RedriveExecution",
    "DescribeMapRun",
    "ListMapRuns",
    "UpdateMapRun",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ListStateMachineAliases",
};

/* Runs operation i on body; -1 with e when it failed. */
static int dispatch(web_api *a, size_t i, const char *body, size_t len,
                    cJSON **out, asl_error *e) {
  char *msg = NULL;
  cJSON *in = len ? asl_json_parse(body, len, &msg) : cJSON_CreateObject();
  if (!in || !cJSON_IsObject(in)) {
    asl_error_set(e, "SerializationException",
                  "The request body is not a JSON object%s%s", msg ? ": " : "",
                  msg ? msg : "");
    free(msg);
    cJSON_Delete(in);
    return -1;
  }
  asl_store *s = store_get(a, e);
  if (!s) {
    cJSON_Delete(in);
    return -1;
  }
  call c = {a, s, in, cJSON_CreateObject(), e};
  int rc = operations[i].fn(&c);
  store_put(a, s);
  cJSON_Delete(in);
  if (rc < 0) {
    cJSON_Delete(c.out);
    return -1;
  }
  *out = c.out;
  return 0;
}

void web_api_call(web_api *a, const char *op, const char *body, size_t len,
                  web_reply *r) {
  size_t n = sizeof operations / sizeof *operations, i = 0;
  while (op && i < n && strcmp(op, operations[i].name) != 0)
    i++;
  if (!op || i == n) {
    for (size_t k = 0; op && k < sizeof not_built / sizeof *not_built; k++)
      if (strcmp(op, not_built[k]) == 0) {
        char *msg = asl_sprintf("%s is not supported by asl serve yet", op);
        web_api_error_reply(r, 400, "UnsupportedOperation", msg);
        free(msg);
        return;
      }
    char *msg = op ? asl_sprintf("Unknown operation: AWSStepFunctions.%s", op)
                   : asl_strdup("No X-Amz-Target header naming an "
                                "AWSStepFunctions operation");
    web_api_error_reply(r, 400, "UnknownOperationException", msg);
    free(msg);
    return;
  }
  asl_error e = {0};
  cJSON *out = NULL;
  if (dispatch(a, i, body, len, &out, &e) < 0) {
    if (strncmp(e.name, "Store.", 6) == 0)
      fprintf(stderr, "asl serve: %s: %s: %s\n", op, e.name,
              e.cause ? e.cause : "");
    web_api_error_reply(r, 0, e.name, e.cause);
    asl_error_clear(&e);
    return;
  }
  r->status = 200;
  r->body = asl_json_print(out);
  cJSON_Delete(out);
}

/* ---- life ---- */

/* The run options kept with each execution this api starts: "serve" marks
 * it as a server's (web_api_resume takes those); "bindings" and "baseDir"
 * are the keys `asl run` keeps them under, so that `asl resume` runs a
 * server's execution with the same bindings. */
static char *options_json(const web_api_opts *o) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddTrueToObject(j, "serve");
  if (o->base_dir) {
    char *abs = realpath(o->base_dir, NULL);
    cJSON_AddStringToObject(j, "baseDir", abs ? abs : o->base_dir);
    free(abs);
  }
  if (o->bindings)
    cJSON_AddItemToObject(j, "bindings", asl_json_dup(o->bindings));
  char *s = asl_json_print(j);
  cJSON_Delete(j);
  return s;
}

/* Is pid a live process other than this one? */
static int alive_elsewhere(long long pid) {
  if (pid <= 0 || pid == (long long)getpid()) return 0;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Claims x for this process and queues it (from its checkpoint) when it
 * is a server's execution whose process is gone. 1: queued. */
static int resume_one(web_api *a, asl_store *s, asl_store_running *x,
                      asl_error *e) {
  cJSON *opts = x->options ? cJSON_Parse(x->options) : NULL;
  int ours = cJSON_IsTrue(asl_json_get(opts, "serve"));
  cJSON_Delete(opts);
  if (!ours || alive_elsewhere(x->owner)) return 0;
  int claimed = 0;
  pthread_mutex_lock(&a->write_mu);
  int rc =
      asl_store_claim(s, x->id, x->owner, (long long)getpid(), &claimed, e);
  pthread_mutex_unlock(&a->write_mu);
  if (rc < 0 || !claimed) return rc;
  asl_diags d = {0};
  asl_load_opts lo = {x->type, x->machine, NULL};
  asl_machine *m =
      asl_machine_load(x->definition, strlen(x->definition), &lo, &d);
  asl_diags_free(&d);
  if (!m) {
    fprintf(stderr,
            "asl serve: %s: its definition does not load; not "
            "resumed\n",
            x->arn);
    return 0;
  }
  job *j = asl_calloc(1, sizeof *j);
  j->id = x->id;
  j->m = m;
  j->input = asl_strdup(x->input);
  j->name = asl_strdup(x->name);
  j->start = x->start;
  j->checkpoint = x->checkpoint;
  x->checkpoint = NULL;
  return enqueue(a, j, e) < 0 ? -1 : 1;
}

int web_api_resume(web_api *a, int *n, asl_error *e) {
  *n = 0;
  asl_store *s = store_get(a, e);
  if (!s) return -1;
  asl_store_running *v;
  size_t nv;
  int rc = asl_store_running_executions(s, &v, &nv, e);
  if (rc == 0) {
    for (size_t i = 0; rc == 0 && i < nv; i++) {
      int one = resume_one(a, s, &v[i], e);
      if (one < 0)
        rc = -1;
      else
        *n += one;
    }
    asl_store_running_free(v, nv);
  }
  store_put(a, s);
  return rc;
}

int web_api_new(const web_api_opts *o, web_api **out, asl_error *e) {
  *out = NULL;
  asl_store *s;
  if (asl_store_open(o->db, &s, e) < 0) return -1;
  web_api *a = asl_calloc(1, sizeof *a);
  a->o = *o;
  a->db = asl_strdup(o->db);
  a->base_dir = o->base_dir ? asl_strdup(o->base_dir) : NULL;
  a->o.db = a->db;
  a->o.base_dir = a->base_dir;
  a->options = options_json(&a->o);
  pthread_mutex_init(&a->pool_mu, NULL);
  pthread_mutex_init(&a->write_mu, NULL);
  pthread_mutex_init(&a->tags_mu, NULL);
  pthread_mutex_init(&a->run_mu, NULL);
  pthread_cond_init(&a->run_cv, NULL);
  a->tags = cJSON_CreateObject();
  store_put(a, s);
  *out = a;
  return 0;
}

int web_api_drain(web_api *a, double grace, int *dropped) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)grace;
  until.tv_nsec += (long)((grace - floor(grace)) * 1e9);
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&a->run_mu);
  a->stopping = 1;
  *dropped = 0;
  while (a->head) {
    job *j = a->head;
    a->head = j->next;
    job_free(j);
    ++*dropped;
  }
  a->tail = NULL;
  while (a->workers > 0)
    if (pthread_cond_timedwait(&a->run_cv, &a->run_mu, &until) != 0) break;
  int left = a->workers;
  pthread_mutex_unlock(&a->run_mu);
  return left;
}

void web_api_free(web_api *a) {
  if (!a) return;
  for (size_t i = 0; i < a->npool; i++)
    asl_store_close(a->pool[i]);
  free(a->pool);
  cJSON_Delete(a->tags);
  pthread_mutex_destroy(&a->pool_mu);
  pthread_mutex_destroy(&a->write_mu);
  pthread_mutex_destroy(&a->tags_mu);
  pthread_mutex_destroy(&a->run_mu);
  pthread_cond_destroy(&a->run_cv);
  free(a->db);
  free(a->base_dir);
  free(a->options);
  free(a);
}
