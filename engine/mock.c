/* mock.c: Step Functions Local's MockConfigFile (see mock.h and
 * docs/mocks.md). Loading compiles the one test case a run uses into a
 * table: per mocked state, its counter and the entries of its mocked
 * response sorted by invocation number. Only what that test case uses is
 * checked in depth; other test cases and mocked responses are left alone,
 * as Step Functions Local leaves them until a state uses them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "mock.h"

/* The largest mock file read: it may hold many results of up to 256 KiB. */
#define MOCK_MAX_FILE (64u * 1024 * 1024)
/* Digits of an invocation number in a key, so that it fits a long. */
#define MOCK_MAX_DIGITS 9
/* Names listed in one message before "...". */
#define MOCK_MAX_LISTED 8

/* One key of a mocked response: "3" or "1-2", and what it answers. */
typedef struct entry {
  long first, last; /* inclusive invocation numbers */
  char *key;        /* as written, for messages */
  int is_throw;
  cJSON *ret;          /* Return's value (any JSON, null included) */
  char *error, *cause; /* Throw's; cause may be NULL */
} entry;

typedef struct response {
  char *name;
  entry *v; /* sorted by first; ranges do not overlap */
  size_t n;
} response;

typedef struct mstate {
  char *name;
  size_t resp; /* index in asl_mock.resps */
  long next;   /* number of the state's next invocation */
} mstate;

struct asl_mock {
  char *file, *machine, *test_case;
  response *resps;
  size_t nresps;
  mstate *states;
  size_t nstates;
};

/* What a load is doing, for its one error message. */
typedef struct loader {
  const char *file;    /* FILE of FILE#TestCase */
  const char *tc_name; /* TestCase */
  char *msg;           /* the problem: "FILE: why" */
  int err_no;          /* errno to leave: why FILE was unreadable, or 0 */
} loader;

static int fail(loader *l, const char *fmt, ...) ASL_PRINTF(2, 3);

/* Records the problem (the first one only). Returns -1. */
static int fail(loader *l, const char *fmt, ...) {
  if (l->msg) return -1;
  va_list ap;
  va_start(ap, fmt);
  char *why = asl_vsprintf(fmt, ap);
  va_end(ap);
  l->msg = asl_sprintf("%s: %s", l->file, why);
  free(why);
  return -1;
}

/* ---- freeing ---- */

static void entries_free(entry *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].key);
    cJSON_Delete(v[i].ret);
    free(v[i].error);
    free(v[i].cause);
  }
  free(v);
}

void asl_mock_free(asl_mock *m) {
  if (!m) return;
  for (size_t i = 0; i < m->nresps; i++) {
    free(m->resps[i].name);
    entries_free(m->resps[i].v, m->resps[i].n);
  }
  for (size_t i = 0; i < m->nstates; i++)
    free(m->states[i].name);
  free(m->resps);
  free(m->states);
  free(m->file);
  free(m->machine);
  free(m->test_case);
  free(m);
}

/* ---- reading FILE#TestCase ---- */

/* Splits arg at its last '#' into l->file and l->tc_name (pointing into
 * *copy, a new string). */
static int split_arg(loader *l, const char *arg, char **copy) {
  *copy = asl_strdup(arg ? arg : "");
  char *hash = strrchr(*copy, '#');
  if (hash) *hash = '\0';
  l->file = **copy ? *copy : "mock";
  l->tc_name = hash ? hash + 1 : "";
  if (!**copy) return fail(l, "no file before '#': write FILE#TestCase");
  if (!*l->tc_name)
    return fail(l, "no test case given: write %s#TestCase", l->file);
  return 0;
}

/* The whole of l->file, or NULL with the reason (and l->err_no). */
static char *read_all(loader *l, size_t *len) {
  struct stat sb;
  if (stat(l->file, &sb) != 0) {
    l->err_no = errno;
    fail(l, "%s", strerror(l->err_no));
    return NULL;
  }
  if (S_ISDIR(sb.st_mode)) {
    l->err_no = EISDIR;
    fail(l, "is a directory, not a mock configuration file");
    return NULL;
  }
  FILE *f = fopen(l->file, "rb");
  if (!f) {
    l->err_no = errno;
    fail(l, "%s", strerror(l->err_no));
    return NULL;
  }
  asl_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 &&
         b.len + n <= MOCK_MAX_FILE)
    asl_buf_add(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad || n > 0) {
    l->err_no = bad ? EIO : EFBIG;
    if (bad)
      fail(l, "%s", strerror(EIO));
    else
      fail(l, "larger than the limit of %u bytes", MOCK_MAX_FILE);
    asl_buf_free(&b);
    return NULL;
  }
  *len = b.len;
  return asl_buf_take(&b);
}

/* ---- messages ---- */

/* "'A', 'B'" (at most MOCK_MAX_LISTED, then "..."): obj's member names,
 * only those with a test case tc_name when it is not NULL; "none" when
 * there are none. New string. */
static char *names_of(const cJSON *obj, const char *tc_name) {
  asl_buf b = {0};
  size_t i = 0;
  for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next) {
    if (tc_name && !asl_json_get(asl_json_get(c, "TestCases"), tc_name))
      continue;
    if (i++ == MOCK_MAX_LISTED) {
      asl_buf_puts(&b, ", ...");
      break;
    }
    asl_buf_printf(&b, "%s'%s'", i > 1 ? ", " : "", c->string);
  }
  if (i == 0) asl_buf_puts(&b, "none");
  return asl_buf_take(&b);
}

/* ---- finding the test case ---- */

/* Every StateMachines member is {"TestCases": {...}}. */
static int check_machines(loader *l, const cJSON *sms) {
  if (!cJSON_IsObject(sms))
    return fail(l, "\"StateMachines\" must be an object");
  for (const cJSON *sm = sms->child; sm; sm = sm->next)
    if (!cJSON_IsObject(sm) || !cJSON_IsObject(asl_json_get(sm, "TestCases")))
      return fail(l,
                  "state machine '%s' must be an object with a "
                  "\"TestCases\" object",
                  sm->string);
  return 0;
}

/* How many state machines have the test case; *first: the first one. */
static size_t owners_of(const cJSON *sms, const char *tc_name,
                        const cJSON **first) {
  size_t n = 0;
  *first = NULL;
  for (const cJSON *sm = sms->child; sm; sm = sm->next)
    if (asl_json_get(asl_json_get(sm, "TestCases"), tc_name) && !n++)
      *first = sm;
  return n;
}

/* The test case under StateMachines[machine] (machine not NULL), or under
 * the only state machine that has it. Sets *owner to its state machine. */
static const cJSON *find_case(loader *l, const cJSON *sms, const char *machine,
                              const cJSON **owner) {
  const cJSON *first;
  size_t n = owners_of(sms, l->tc_name, &first);
  const cJSON *sm = machine ? asl_json_get(sms, machine) : first;
  const cJSON *tc = asl_json_get(asl_json_get(sm, "TestCases"), l->tc_name);
  *owner = sm;
  if (tc && (machine || n == 1)) return tc;
  char *names = names_of(sms, machine || n == 0 ? NULL : l->tc_name);
  if (machine && first)
    fail(l,
         "test case '%s' is for state machine '%s', but this run's state "
         "machine is '%s'",
         l->tc_name, first->string, machine);
  else if (machine && !sm)
    fail(l, "no state machine '%s' in StateMachines (it has %s)", machine,
         names);
  else if (machine) {
    free(names);
    names = names_of(asl_json_get(sm, "TestCases"), NULL);
    fail(l, "state machine '%s' has no test case '%s' (it has %s)", machine,
         l->tc_name, names);
  } else if (n == 0)
    fail(l, "no state machine has a test case '%s' (StateMachines has %s)",
         l->tc_name, names);
  else
    fail(l,
         "test case '%s' is in several state machines (%s): name the state "
         "machine",
         l->tc_name, names);
  free(names);
  return NULL;
}

/* ---- compiling a mocked response ---- */

/* A run of decimal digits at *p (at most MOCK_MAX_DIGITS). */
static int parse_num(const char **p, long *out) {
  long v = 0;
  int n = 0;
  for (; **p >= '0' && **p <= '9'; (*p)++) {
    if (++n > MOCK_MAX_DIGITS) return -1;
    v = v * 10 + (**p - '0');
  }
  *out = v;
  return n ? 0 : -1;
}

/* An invocation key: "3", or the inclusive range "1-2". */
static int parse_key(const char *k, long *first, long *last) {
  if (parse_num(&k, first) < 0) return -1;
  *last = *first;
  if (*k == '-') {
    k++;
    if (parse_num(&k, last) < 0) return -1;
  }
  return *k ? -1 : 0;
}

/* The Return or Throw of one entry. */
static int compile_answer(loader *l, const cJSON *e, const char *rname,
                          entry *out) {
  const cJSON *ret = asl_json_get(e, "Return"), *thr = asl_json_get(e, "Throw");
  const char *k = e->string;
  if (ret && thr)
    return fail(l,
                "mocked response '%s', key '%s': has both \"Return\" and "
                "\"Throw\"; give one",
                rname, k);
  if (!ret && !thr)
    return fail(l,
                "mocked response '%s', key '%s': has neither \"Return\" nor "
                "\"Throw\"",
                rname, k);
  if (ret) {
    out->ret = asl_json_dup(ret);
    return 0;
  }
  const cJSON *er = asl_json_get(thr, "Error"),
              *ca = asl_json_get(thr, "Cause");
  if (!cJSON_IsString(er) || (ca && !cJSON_IsString(ca)))
    return fail(l,
                "mocked response '%s', key '%s': \"Throw\" must be an object "
                "with an \"Error\" string and a \"Cause\" string",
                rname, k);
  out->is_throw = 1;
  out->error = asl_strdup(er->valuestring);
  out->cause = ca ? asl_strdup(ca->valuestring) : NULL;
  return 0;
}

static int compile_entry(loader *l, const cJSON *e, const char *rname,
                         entry *out) {
  const char *k = e->string;
  out->key = asl_strdup(k);
  if (parse_key(k, &out->first, &out->last) < 0)
    return fail(l,
                "mocked response '%s': invalid key '%s': want an invocation "
                "number such as \"0\" or an inclusive range such as \"1-2\"",
                rname, k);
  if (out->first > out->last)
    return fail(l,
                "mocked response '%s': invalid key '%s': the range ends "
                "before it starts",
                rname, k);
  if (!cJSON_IsObject(e))
    return fail(l,
                "mocked response '%s', key '%s': must be an object with "
                "\"Return\" or \"Throw\"",
                rname, k);
  return compile_answer(l, e, rname, out);
}

static int by_first(const void *a, const void *b) {
  const entry *x = a, *y = b;
  return (x->first > y->first) - (x->first < y->first);
}

/* Sorts r's entries and rejects overlapping keys (which answer would an
 * invocation in both take?). */
static int sort_entries(loader *l, response *r) {
  qsort(r->v, r->n, sizeof *r->v, by_first);
  for (size_t i = 1; i < r->n; i++)
    if (r->v[i].first <= r->v[i - 1].last)
      return fail(l,
                  "mocked response '%s': invocation %ld is in both key '%s' "
                  "and key '%s'",
                  r->name, r->v[i].first, r->v[i - 1].key, r->v[i].key);
  return 0;
}

/* Compiles MockedResponses[name] into r (r->name set by the caller). An
 * empty object is valid: each invocation then fails at run time, as in
 * Step Functions Local. */
static int compile_response(loader *l, const cJSON *def, response *r) {
  if (!cJSON_IsObject(def))
    return fail(l,
                "mocked response '%s' must be an object whose keys are "
                "invocation numbers (\"0\") or ranges (\"1-2\")",
                r->name);
  r->n = (size_t)cJSON_GetArraySize(def);
  r->v = asl_calloc(r->n ? r->n : 1, sizeof *r->v);
  size_t i = 0;
  for (const cJSON *e = def->child; e; e = e->next, i++)
    if (compile_entry(l, e, r->name, &r->v[i]) < 0) return -1;
  return sort_entries(l, r);
}

/* ---- compiling the test case ---- */

/* The index in m->resps of the mocked response name, compiling it on its
 * first use; -1 on a problem. */
static long response_index(loader *l, asl_mock *m, const cJSON *mrs,
                           const char *state, const char *name) {
  for (size_t i = 0; i < m->nresps; i++)
    if (strcmp(m->resps[i].name, name) == 0) return (long)i;
  const cJSON *def = asl_json_get(mrs, name);
  if (!def) {
    char *names = names_of(mrs, NULL);
    fail(l,
         "test case '%s': state '%s' uses the mocked response '%s', which "
         "MockedResponses does not define (it has %s)",
         l->tc_name, state, name, names);
    free(names);
    return -1;
  }
  response *r = &m->resps[m->nresps++];
  r->name = asl_strdup(name);
  return compile_response(l, def, r) < 0 ? -1 : (long)(m->nresps - 1);
}

/* One "<state>": "<mocked response>" member of the test case. */
static int compile_state(loader *l, asl_mock *m, const cJSON *mrs,
                         const cJSON *member) {
  const char *state = member->string;
  for (size_t i = 0; i < m->nstates; i++)
    if (strcmp(m->states[i].name, state) == 0)
      return fail(l, "test case '%s' names the state '%s' twice", l->tc_name,
                  state);
  if (!cJSON_IsString(member))
    return fail(l,
                "test case '%s': state '%s' must name a mocked response (a "
                "string)",
                l->tc_name, state);
  long ri = response_index(l, m, mrs, state, member->valuestring);
  if (ri < 0) return -1;
  mstate *s = &m->states[m->nstates++];
  s->name = asl_strdup(state);
  s->resp = (size_t)ri;
  return 0;
}

static int compile_case(loader *l, asl_mock *m, const cJSON *tc,
                        const cJSON *mrs) {
  if (!cJSON_IsObject(tc))
    return fail(l,
                "test case '%s' must be an object of \"<state>\": "
                "\"<mocked response>\"",
                l->tc_name);
  if (mrs && !cJSON_IsObject(mrs))
    return fail(l, "\"MockedResponses\" must be an object");
  size_t n = (size_t)cJSON_GetArraySize(tc);
  m->states = asl_calloc(n ? n : 1, sizeof *m->states);
  m->resps = asl_calloc(n ? n : 1, sizeof *m->resps);
  for (const cJSON *c = tc->child; c; c = c->next)
    if (compile_state(l, m, mrs, c) < 0) return -1;
  return 0;
}

/* Builds the mock from the parsed file. */
static asl_mock *compile(loader *l, const cJSON *root, const char *machine) {
  if (!cJSON_IsObject(root)) {
    fail(l, "a mock configuration must be a JSON object with "
            "\"StateMachines\" and \"MockedResponses\"");
    return NULL;
  }
  const cJSON *sms = asl_json_get(root, "StateMachines"), *owner = NULL;
  if (check_machines(l, sms) < 0) return NULL;
  const cJSON *tc = find_case(l, sms, machine, &owner);
  if (!tc) return NULL;
  asl_mock *m = asl_calloc(1, sizeof *m);
  m->file = asl_strdup(l->file);
  m->machine = asl_strdup(owner->string);
  m->test_case = asl_strdup(l->tc_name);
  if (compile_case(l, m, tc, asl_json_get(root, "MockedResponses")) < 0) {
    asl_mock_free(m);
    return NULL;
  }
  return m;
}

asl_mock *asl_mock_load(const char *path_with_case, const char *machine_name,
                        char **msg) {
  loader l = {0};
  char *arg = NULL, *text = NULL, *why = NULL;
  size_t len = 0;
  cJSON *root = NULL;
  asl_mock *m = NULL;
  if (msg) *msg = NULL;
  if (split_arg(&l, path_with_case, &arg) == 0 &&
      (text = read_all(&l, &len)) != NULL) {
    root = asl_json_parse(text, len, &why);
    if (!root)
      fail(&l, "not valid JSON: %s", why ? why : "invalid JSON");
    else
      m = compile(&l, root, machine_name);
  }
  cJSON_Delete(root);
  free(why);
  free(text);
  free(arg);
  if (msg)
    *msg = l.msg;
  else
    free(l.msg);
  errno = m ? errno : l.err_no;
  return m;
}

/* ---- instances ---- */

asl_mock *asl_mock_clone(const asl_mock *m) {
  if (!m) return NULL;
  asl_mock *c = asl_calloc(1, sizeof *c);
  c->file = asl_strdup(m->file);
  c->machine = asl_strdup(m->machine);
  c->test_case = asl_strdup(m->test_case);
  c->resps = asl_calloc(m->nresps ? m->nresps : 1, sizeof *c->resps);
  for (size_t i = 0; i < m->nresps; i++) {
    const response *r = &m->resps[i];
    response *d = &c->resps[c->nresps++];
    d->name = asl_strdup(r->name);
    d->v = asl_calloc(r->n ? r->n : 1, sizeof *d->v);
    for (size_t k = 0; k < r->n; k++, d->n++) {
      d->v[k] = r->v[k];
      d->v[k].key = asl_strdup(r->v[k].key);
      d->v[k].ret = r->v[k].ret ? asl_json_dup(r->v[k].ret) : NULL;
      d->v[k].error = r->v[k].error ? asl_strdup(r->v[k].error) : NULL;
      d->v[k].cause = r->v[k].cause ? asl_strdup(r->v[k].cause) : NULL;
    }
  }
  c->states = asl_calloc(m->nstates ? m->nstates : 1, sizeof *c->states);
  for (size_t i = 0; i < m->nstates; i++, c->nstates++) {
    c->states[i].name = asl_strdup(m->states[i].name);
    c->states[i].resp = m->states[i].resp;
  }
  return c;
}

void asl_mock_reset(asl_mock *m) {
  for (size_t i = 0; m && i < m->nstates; i++)
    m->states[i].next = 0;
}

const char *asl_mock_machine(const asl_mock *m) {
  return m ? m->machine : NULL;
}

const char *asl_mock_test_case(const asl_mock *m) {
  return m ? m->test_case : NULL;
}

/* ---- lookup ---- */

static mstate *find_state(const asl_mock *m, const char *name) {
  for (size_t i = 0; m && name && i < m->nstates; i++)
    if (strcmp(m->states[i].name, name) == 0) return &m->states[i];
  return NULL;
}

int asl_mock_has(const asl_mock *m, const char *state) {
  return find_state(m, state) != NULL;
}

/* The entry whose range holds invocation n, or NULL (binary search: the
 * entries are sorted and disjoint). */
static const entry *find_entry(const response *r, long n) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (n < r->v[mid].first)
      hi = mid;
    else if (n > r->v[mid].last)
      lo = mid + 1;
    else
      return &r->v[mid];
  }
  return NULL;
}

/* States.Runtime for an invocation no key holds. Returns -2. */
static int no_entry(const asl_mock *m, const mstate *s, long n,
                    asl_error *err) {
  const response *r = &m->resps[s->resp];
  asl_buf keys = {0};
  for (size_t i = 0; i < r->n; i++)
    asl_buf_printf(&keys, "%s%s", i ? ", " : "", r->v[i].key);
  if (r->n == 0) asl_buf_puts(&keys, "none");
  char *k = asl_buf_take(&keys);
  asl_error_set(err, "States.Runtime",
                "The mocked response '%s' of test case '%s' has no entry for "
                "invocation %ld of the state '%s' (its keys: %s)",
                r->name, m->test_case, n, s->name, k);
  free(k);
  return -2;
}

int asl_mock_lookup(asl_mock *m, const char *state, int *mocked, cJSON **out,
                    asl_error *err) {
  mstate *s = find_state(m, state);
  *mocked = s != NULL;
  if (out) *out = NULL;
  if (!s) return 0;
  long n = s->next;
  if (s->next < LONG_MAX) s->next++;
  const entry *e = find_entry(&m->resps[s->resp], n);
  if (!e) return no_entry(m, s, n, err);
  if (e->is_throw) {
    if (e->cause)
      asl_error_set(err, e->error, "%s", e->cause);
    else
      asl_error_set(err, e->error, NULL);
    return -1;
  }
  if (out) *out = asl_json_dup(e->ret);
  return 0;
}

/* ---- counters for checkpoints ---- */

cJSON *asl_mock_counters(const asl_mock *m) {
  cJSON *c = cJSON_CreateObject();
  for (size_t i = 0; m && i < m->nstates; i++)
    cJSON_AddNumberToObject(c, m->states[i].name, (double)m->states[i].next);
  return c;
}

/* Why c is not a valid set of counters for m (new string), or NULL. */
static char *counters_problem(const asl_mock *m, const cJSON *c) {
  long long n;
  if (!cJSON_IsObject(c)) return asl_strdup("mock counters must be an object");
  for (const cJSON *e = c->child; e; e = e->next) {
    if (!find_state(m, e->string))
      return asl_sprintf("test case '%s' does not mock the state '%s'",
                         m->test_case, e->string);
    if (!asl_json_as_int64(e, &n) || n < 0 || n > LONG_MAX)
      return asl_sprintf("the mock counter of the state '%s' must be a "
                         "non-negative integer",
                         e->string);
  }
  return NULL;
}

int asl_mock_set_counters(asl_mock *m, const cJSON *c, char **msg) {
  char *why = counters_problem(m, c);
  if (msg)
    *msg = why;
  else
    free(why);
  if (why) return -1;
  asl_mock_reset(m);
  long long n;
  for (const cJSON *e = c->child; e; e = e->next)
    if (asl_json_as_int64(e, &n)) find_state(m, e->string)->next = (long)n;
  return 0;
}
