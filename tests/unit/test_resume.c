/* test_resume.c: checkpoints and asl_resume. Each workflow runs once to
 * the end while a sink keeps every event and every checkpoint; then, for
 * every checkpoint, a run resumed from it must end with the same output,
 * and the events recorded up to the checkpoint plus the resumed run's must
 * have contiguous ids, no duplicates, the same event types (as a multiset:
 * concurrent iterations may interleave differently) and one terminal
 * event. This is what a kill -9 between two ticks leaves to `asl resume`. */
#include <stdlib.h>
#include <string.h>

#include "../../cli/hasher.h"
#include "../../engine/asl.h"
#include "../../engine/json.h"
#include "t.h"

typedef struct {
  cJSON *events;      /* every event */
  cJSON *checkpoints; /* every checkpoint, with "_nchild": how many child
                         events came before it */
  cJSON *child;       /* child executions' events: [arn, type, id] */
  cJSON *blobs;       /* key -> value (the sink keeps blobs) */
} rec;

static int g_blobs = 1;      /* sinks keep blobs (checkpoints name them) */
static int g_blob_repeats;   /* a blob key written twice: never */

static void on_blob(void *ud, const char *key, const cJSON *v) {
  rec *r = ud;
  if (cJSON_GetObjectItemCaseSensitive(r->blobs, key)) g_blob_repeats++;
  cJSON_AddItemToObject(r->blobs, key, cJSON_Duplicate(v, 1));
}

/* The blobs a store has when a checkpoint is its last: the first n. */
typedef struct {
  const cJSON *blobs;
  int n;
} blob_view;

/* asl_blob_get over a blob_view. */
static cJSON *get_blob(void *ud, const char *key, int prefix) {
  const blob_view *v = ud;
  size_t n = strlen(key);
  cJSON *o = prefix ? cJSON_CreateObject() : NULL;
  int i = 0;
  for (const cJSON *b = v->blobs->child; b && i < v->n; b = b->next, i++) {
    if (!prefix && strcmp(b->string, key) == 0) return cJSON_Duplicate(b, 1);
    if (prefix && strncmp(b->string, key, n) == 0)
      cJSON_AddItemToObject(o, b->string + n, cJSON_Duplicate(b, 1));
  }
  return o;
}

static void on_event(void *ud, const cJSON *ev) {
  rec *r = ud;
  cJSON_AddItemToArray(r->events, cJSON_Duplicate(ev, 1));
}

static void on_child(void *ud, const char *arn, const cJSON *ev) {
  rec *r = ud;
  cJSON *row = cJSON_CreateArray();
  cJSON_AddItemToArray(row, cJSON_CreateString(arn));
  cJSON_AddItemToArray(row, cJSON_Duplicate(cJSON_GetObjectItem(ev, "type"),
                                            0));
  cJSON_AddItemToArray(row, cJSON_Duplicate(cJSON_GetObjectItem(ev, "id"), 0));
  cJSON_AddItemToArray(r->child, row);
}

static void on_tick(void *ud, const cJSON *ck) {
  rec *r = ud;
  if (!ck) return;
  cJSON *c = cJSON_Duplicate(ck, 1);
  cJSON_AddNumberToObject(c, "_nchild", cJSON_GetArraySize(r->child));
  cJSON_AddNumberToObject(c, "_nblob", cJSON_GetArraySize(r->blobs));
  cJSON_AddItemToArray(r->checkpoints, c);
}

/* The child events recorded up to a checkpoint (the first n of full) and
 * after the resume must make, for each child execution, ids 1..N without
 * gap or repeat and exactly one terminal event; and as many children as
 * the uninterrupted run had. */
static int is_terminal(const char *t);
static int children_whole(const cJSON *full, int n, const cJSON *after) {
  cJSON *by = cJSON_CreateObject(); /* arn -> [ids...], then terminal count */
  int i = 0, ok = 1;
  const cJSON *lists[2] = {full, after};
  for (int l = 0; l < 2; l++) {
    i = 0;
    for (const cJSON *row = lists[l]->child; row; row = row->next, i++) {
      if (l == 0 && i >= n) break;
      const char *arn = cJSON_GetArrayItem(row, 0)->valuestring;
      cJSON *ids = cJSON_GetObjectItem(by, arn);
      if (!ids) ids = cJSON_AddArrayToObject(by, arn);
      int id = cJSON_GetArrayItem(row, 2)->valueint;
      if (cJSON_GetArraySize(ids) + 1 != id) ok = 0;
      cJSON_AddItemToArray(ids, cJSON_CreateNumber(id));
      if (is_terminal(cJSON_GetArrayItem(row, 1)->valuestring))
        cJSON_AddItemToArray(ids, cJSON_CreateString("end"));
    }
  }
  int ends = 0, want = 0;
  cJSON *fb = cJSON_CreateObject();
  for (const cJSON *row = full->child; row; row = row->next)
    if (!cJSON_GetObjectItem(fb, cJSON_GetArrayItem(row, 0)->valuestring)) {
      cJSON_AddTrueToObject(fb, cJSON_GetArrayItem(row, 0)->valuestring);
      want++;
    }
  for (const cJSON *ids = by->child; ids; ids = ids->next) {
    const cJSON *last = cJSON_GetArrayItem(ids, cJSON_GetArraySize(ids) - 1);
    if (cJSON_IsString(last)) ends++;
    else ok = 0;
  }
  ok = ok && ends == want && cJSON_GetArraySize(by) == want;
  cJSON_Delete(by);
  cJSON_Delete(fb);
  return ok;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted event types of events whose id <= upto (0: all). */
static char **sorted_types(const cJSON *evs, int upto, size_t *n) {
  size_t cap = (size_t)cJSON_GetArraySize(evs) + 1, k = 0;
  char **v = malloc(cap * sizeof *v);
  for (const cJSON *e = evs->child; e; e = e->next) {
    int id = cJSON_GetObjectItem(e, "id")->valueint;
    if (upto && id > upto) continue;
    v[k++] = cJSON_GetObjectItem(e, "type")->valuestring;
  }
  qsort(v, k, sizeof *v, cmp_str);
  *n = k;
  return v;
}

static int is_terminal(const char *t) {
  return strncmp(t, "Execution", 9) == 0 && strcmp(t, "ExecutionStarted");
}

static void check_workflow(const char *name, const char *def,
                           const char *input, const char *bindings,
                           int want_child, int want_blobs) {
  asl_diags d = {0};
  asl_machine *m = asl_machine_load(def, strlen(def), NULL, &d);
  T_OK(m != NULL, "%s: loads", name);
  asl_diags_free(&d);
  if (!m) return;
  cJSON *bind = bindings ? cJSON_Parse(bindings) : NULL;
  rec full = {cJSON_CreateArray(), cJSON_CreateArray(), cJSON_CreateArray(),
              cJSON_CreateObject()};
  asl_sink sink = {&full, on_event, on_tick, on_child,
                   g_blobs ? on_blob : NULL};
  asl_run_opts o = {0};
  o.virtual_clock = 1;
  o.start_time = 1700000000;
  o.seed = 7;
  o.name = "resume-test";
  o.sink = &sink;
  o.bindings = bind;
  asl_result r0;
  char *msg = NULL;
  T_OK(asl_run(m, input, &o, &r0, &msg) == 0, "%s: runs", name);
  int nck = cJSON_GetArraySize(full.checkpoints);
  T_OK(nck >= 2, "%s: %d checkpoints", name, nck);
  size_t nall;
  char **all = sorted_types(full.events, 0, &nall);
  int ok = 1;
  for (const cJSON *ck = full.checkpoints->child; ck; ck = ck->next) {
    int upto = cJSON_GetObjectItem(ck, "lastId")->valueint;
    rec again = {cJSON_CreateArray(), cJSON_CreateArray(),
                 cJSON_CreateArray(), cJSON_CreateObject()};
    asl_sink s2 = {&again, on_event, on_tick, on_child,
                   g_blobs ? on_blob : NULL};
    asl_run_opts o2 = o;
    o2.sink = &s2;
    asl_result r1;
    /* the checkpoint as the store would give it back: blobs put back */
    cJSON *whole = cJSON_Duplicate(ck, 1);
    blob_view bv = {full.blobs,
                    cJSON_GetObjectItem(ck, "_nblob")->valueint};
    if (asl_checkpoint_resolve(whole, get_blob, &bv, &msg) != 0) {
      T_OK(0, "%s: resolve at event %d: %s", name, upto, msg);
      free(msg);
      msg = NULL;
      ok = 0;
    } else if (asl_resume(m, whole, &o2, &r1, &msg) != 0) {
      T_OK(0, "%s: resume from event %d: %s", name, upto, msg);
      free(msg);
      ok = 0;
    } else {
      /* ids contiguous after the checkpoint */
      int want = upto + 1, terminal = 0;
      for (const cJSON *e = again.events->child; e; e = e->next, want++) {
        if (cJSON_GetObjectItem(e, "id")->valueint != want) ok = 0;
        terminal += is_terminal(cJSON_GetObjectItem(e, "type")->valuestring);
      }
      size_t nbefore, nafter;
      char **before = sorted_types(full.events, upto, &nbefore);
      char **after = sorted_types(again.events, 0, &nafter);
      /* before + after must be the uninterrupted run's types */
      size_t nj = nbefore + nafter;
      char **joined = malloc((nj + 1) * sizeof *joined);
      memcpy(joined, before, nbefore * sizeof *joined);
      memcpy(joined + nbefore, after, nafter * sizeof *joined);
      qsort(joined, nj, sizeof *joined, cmp_str);
      int same = nj == nall;
      for (size_t i = 0; same && i < nj; i++)
        same = strcmp(joined[i], all[i]) == 0;
      int out = (r0.output == NULL && r1.output == NULL) ||
                asl_json_equal(r0.output, r1.output);
      int nchild = cJSON_GetObjectItem(ck, "_nchild")->valueint;
      if (!children_whole(full.child, nchild, again.child)) {
        T_OK(0, "%s: resumed from event %d: child histories broken", name,
             upto);
        ok = 0;
      }
      if (!same || terminal != 1 || !out ||
          strcmp(r0.status, r1.status) != 0 || want - 1 != (int)nall) {
        T_OK(0, "%s: resumed from event %d: same=%d terminal=%d out=%d "
                "status=%s/%s events=%d/%zu",
             name, upto, same, terminal, out, r0.status, r1.status, want - 1,
             nall);
        ok = 0;
      }
      free(before);
      free(after);
      free(joined);
      asl_result_free(&r1);
    }
    cJSON_Delete(whole);
    cJSON_Delete(again.events);
    cJSON_Delete(again.checkpoints);
    cJSON_Delete(again.child);
    cJSON_Delete(again.blobs);
    if (!ok) break;
  }
  T_OK(ok, "%s: every one of %d resumes matches the uninterrupted run", name,
       nck);
  free(all);
  asl_result_free(&r0);
  T_OK(cJSON_GetArraySize(full.child) == want_child,
       "%s: %d child events, want %d", name, cJSON_GetArraySize(full.child),
       want_child);
  if (g_blobs && want_blobs)
    T_OK(cJSON_GetArraySize(full.blobs) >= want_blobs,
         "%s: %d blobs, want at least %d", name,
         cJSON_GetArraySize(full.blobs), want_blobs);
  cJSON_Delete(full.events);
  cJSON_Delete(full.checkpoints);
  cJSON_Delete(full.child);
  cJSON_Delete(full.blobs);
  cJSON_Delete(bind);
  asl_machine_free(m);
}

T_MAIN("resume") {
  asl_cli_hasher_install();
  check_workflow(
      "pass+wait chain",
      "{\"StartAt\":\"A\",\"States\":{"
      "\"A\":{\"Type\":\"Pass\",\"Result\":1,\"ResultPath\":\"$.a\","
      "\"Assign\":{\"v\":7},\"Next\":\"W\"},"
      "\"W\":{\"Type\":\"Wait\",\"Seconds\":30,\"Next\":\"B\"},"
      "\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"$v\",\"a.$\":\"$.a\"},"
      "\"Next\":\"W2\"},"
      "\"W2\":{\"Type\":\"Wait\",\"Seconds\":5,\"End\":true}}}",
      "{}", NULL, 0, 0);
  check_workflow(
      "map of tasks with a wait",
      "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
      "\"MaxConcurrency\":2,\"ItemsPath\":\"$.items\",\"ItemProcessor\":{"
      "\"StartAt\":\"T\",\"States\":{"
      "\"T\":{\"Type\":\"Task\",\"Resource\":"
      "\"arn:aws:lambda:us-east-1:123456789012:function:Echo\",\"Next\":\"W\"},"
      "\"W\":{\"Type\":\"Wait\",\"Seconds\":3,\"End\":true}}},\"End\":true}}}",
      "{\"items\":[1,2,3,4,5,6,7]}",
      "{\"Functions\":{\"Echo\":{\"builtin\":\"echo\"}}}", 0, 7);
  check_workflow(
      "parallel with retries then catch",
      "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
      "\"Branches\":["
      "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Task\",\"Resource\":"
      "\"arn:aws:lambda:us-east-1:123456789012:function:Fail\","
      "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":2}],"
      "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"C\"}],"
      "\"End\":true},\"C\":{\"Type\":\"Wait\",\"Seconds\":1,\"End\":true}}},"
      "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":2,"
      "\"End\":true}}}],\"End\":true}}}",
      "{}",
      "{\"Functions\":{\"Fail\":{\"builtin\":\"fail\",\"args\":"
      "{\"errorType\":\"Boom\",\"errorMessage\":\"no\"}}}}", 0, 0);
  /* distributed: each item a child execution with its own history of 9
   * events (started; the Task's entered, scheduled, started, succeeded,
   * exited; the Wait's entered, exited; succeeded), resumed inside its
   * parent */
  check_workflow(
      "distributed map of tasks with a wait",
      "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
      "\"MaxConcurrency\":3,\"ItemsPath\":\"$.items\",\"ItemProcessor\":{"
      "\"ProcessorConfig\":{\"Mode\":\"DISTRIBUTED\",\"ExecutionType\":"
      "\"STANDARD\"},\"StartAt\":\"T\",\"States\":{"
      "\"T\":{\"Type\":\"Task\",\"Resource\":"
      "\"arn:aws:lambda:us-east-1:123456789012:function:Echo\",\"Next\":\"W\"},"
      "\"W\":{\"Type\":\"Wait\",\"Seconds\":3,\"End\":true}}},\"End\":true}}}",
      "{\"items\":[1,2,3,4,5,6,7]}",
      "{\"Functions\":{\"Echo\":{\"builtin\":\"echo\"}}}", 7 * 9, 7);
  /* a large input (over the 16 KiB a blob starts at): the input and the
   * Map's items are written once and named by every checkpoint */
  {
    char *big = malloc(64 * 1024);
    size_t n = 0;
    n += (size_t)sprintf(big + n, "{\"items\":[");
    for (int i = 0; i < 150; i++)
      n += (size_t)sprintf(big + n, "%s\"%03d-%0120d\"", i ? "," : "", i, i);
    sprintf(big + n, "]}");
    check_workflow(
        "map over a large input",
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"MaxConcurrency\":4,\"ItemsPath\":\"$.items\",\"ItemProcessor\":{"
        "\"StartAt\":\"W\",\"States\":{"
        "\"W\":{\"Type\":\"Wait\",\"Seconds\":1,\"End\":true}}},"
        "\"ResultPath\":\"$.out\",\"End\":true}}}",
        big, NULL, 0, 150 + 3);
    free(big);
  }
  T_OK(g_blob_repeats == 0, "%d blob keys written twice", g_blob_repeats);
  /* and the map of tasks again with checkpoints that hold every value */
  g_blobs = 0;
  check_workflow(
      "map of tasks, no blobs",
      "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
      "\"MaxConcurrency\":2,\"ItemsPath\":\"$.items\",\"ItemProcessor\":{"
      "\"StartAt\":\"T\",\"States\":{"
      "\"T\":{\"Type\":\"Task\",\"Resource\":"
      "\"arn:aws:lambda:us-east-1:123456789012:function:Echo\",\"Next\":\"W\"},"
      "\"W\":{\"Type\":\"Wait\",\"Seconds\":3,\"End\":true}}},\"End\":true}}}",
      "{\"items\":[1,2,3,4,5,6,7]}",
      "{\"Functions\":{\"Echo\":{\"builtin\":\"echo\"}}}", 0, 0);
}
