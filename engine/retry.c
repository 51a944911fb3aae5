/* retry.c: Retry and Catch of one state (see retry.h for the rules).
 *
 * The predefined error names and how the wildcards treat them are one table
 * (known_errors[]); the retrier's integer fields are another (int_fields[]);
 * the fields a retrier and a catcher may have are two more. Compiling checks
 * a definition the way AWS's schema validation does and reports every
 * problem, not just the first. */
#include "retry.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limits.h"

#define SCHEMA "SCHEMA_VALIDATION_FAILED"

/* AWS's bounds on retrier fields. IntervalSeconds and MaxAttempts: at most
 * 99999999 (AWS's ASL schema). MaxDelaySeconds: at most 31622401, one year
 * and a second, the longest an execution lives; without MaxDelaySeconds a
 * delay is capped there too, so exponential backoff stays finite. */
#ifndef ASL_MAX_RETRY_INTERVAL
#define ASL_MAX_RETRY_INTERVAL 99999999LL
#endif
#ifndef ASL_MAX_RETRY_ATTEMPTS
#define ASL_MAX_RETRY_ATTEMPTS 99999999LL
#endif
#ifndef ASL_MAX_RETRY_DELAY
#define ASL_MAX_RETRY_DELAY 31622401LL
#endif

/* ---- the predefined error names ---- */

#define NOT_BY_ALL 1u        /* States.ALL does not match it */
#define NOT_BY_TASKFAILED 2u /* States.TaskFailed does not match it */
#define UNHANDLED 4u         /* never retried nor caught, even by name */

/* Every name beginning with "States." that ErrorEquals may hold. `also` is a
 * wider predefined name that matches this one too. Sources: the ASL spec's
 * Appendix A and AWS's "Error handling in Step Functions workflows". */
static const struct known_error {
  const char *name;
  unsigned flags;
  const char *also;
} known_errors[] = {
    {"States.ALL", 0, NULL},
    {"States.BranchFailed", 0, NULL},
    {"States.DataLimitExceeded", NOT_BY_ALL | NOT_BY_TASKFAILED, NULL},
    {"States.ExceedToleratedFailureThreshold", 0, NULL},
    {"States.HeartbeatTimeout", NOT_BY_TASKFAILED, "States.Timeout"},
    {"States.Http.Socket", 0, NULL},
    {"States.IntrinsicFailure", 0, NULL},
    {"States.ItemReaderFailed", 0, NULL},
    {"States.NoChoiceMatched", 0, NULL},
    {"States.ParameterPathFailure", 0, NULL},
    {"States.Permissions", 0, NULL},
    {"States.QueryEvaluationError", 0, NULL},
    {"States.ResultPathMatchFailure", 0, NULL},
    {"States.ResultWriterFailed", 0, NULL},
    {"States.Runtime", NOT_BY_ALL | NOT_BY_TASKFAILED | UNHANDLED, NULL},
    {"States.TaskFailed", 0, NULL},
    {"States.Timeout", NOT_BY_TASKFAILED, NULL},
};
#define N_KNOWN (sizeof known_errors / sizeof known_errors[0])

static const struct known_error *find_known(const char *name) {
  for (size_t i = 0; i < N_KNOWN; i++)
    if (strcmp(known_errors[i].name, name) == 0) return &known_errors[i];
  return NULL;
}

int asl_error_matches(const char *pattern, const char *name) {
  if (strcmp(pattern, name) == 0) return 1;
  const struct known_error *k = find_known(name);
  unsigned f = k ? k->flags : 0;
  if (strcmp(pattern, "States.ALL") == 0) return !(f & NOT_BY_ALL);
  if (strcmp(pattern, "States.TaskFailed") == 0)
    return !(f & NOT_BY_TASKFAILED);
  return k && k->also && strcmp(pattern, k->also) == 0;
}

static int unhandled(const char *name) {
  const struct known_error *k = find_known(name);
  return k && (k->flags & UNHANDLED);
}

/* ---- the compiled policy ---- */

typedef struct {
  const char **v; /* borrowed from the definition */
  size_t n;
} errset;

typedef struct {
  errset errors;
  long long interval, max_attempts, max_delay; /* max_delay 0: none */
  double rate;
  int jitter_full;
} retrier;

typedef struct {
  errset errors;
  const char *next;
  asl_opt_path result_path;
  asl_template *assign;
  const cJSON *def;
} catcher;

struct asl_retry {
  retrier *r;
  size_t nr;
  catcher *c;
  size_t nc;
};

/* ---- field tables ---- */

/* A field an object may have, and the query language it needs (0: any). */
typedef struct {
  const char *name;
  int lang; /* 1: JSONPath only, 2: JSONata only */
} field_rule;

static const field_rule retrier_fields[] = {
    {"ErrorEquals", 0},     {"IntervalSeconds", 0},
    {"MaxAttempts", 0},     {"BackoffRate", 0},
    {"MaxDelaySeconds", 0}, {"JitterStrategy", 0},
    {"Comment", 0},         {NULL, 0}};

static const field_rule catcher_fields[] = {
    {"ErrorEquals", 0}, {"Next", 0},    {"ResultPath", 1}, {"Assign", 0},
    {"Output", 2},      {"Comment", 0}, {NULL, 0}};

/* A retrier's integer fields: bounds, default, and where they go. */
static const struct int_field {
  const char *name;
  long long min, max, dflt;
  size_t off;
} int_fields[] = {
    {"IntervalSeconds", 1, ASL_MAX_RETRY_INTERVAL, 1,
     offsetof(retrier, interval)},
    {"MaxAttempts", 0, ASL_MAX_RETRY_ATTEMPTS, 3,
     offsetof(retrier, max_attempts)},
    {"MaxDelaySeconds", 1, ASL_MAX_RETRY_DELAY, 0,
     offsetof(retrier, max_delay)},
};
#define N_INT_FIELDS (sizeof int_fields / sizeof int_fields[0])

static const char *const lang_names[] = {"", "JSONPath", "JSONata"};

/* ---- compiling ---- */

/* Reports each member of obj that rules does not allow in query language ql
 * (ASL_QL_*), in machine.c's words, at the object's location. */
static int check_fields(const cJSON *obj, const field_rule *rules, int ql,
                        const char *at, asl_diags *d) {
  int rc = 0;
  for (const cJSON *c = obj->child; c; c = c->next) {
    const field_rule *f = rules;
    while (f->name && strcmp(f->name, c->string) != 0)
      f++;
    if (!f->name) {
      asl_diag_add(d, SCHEMA, at, "Field '%s' is not supported", c->string);
      rc = -1;
    } else if (f->lang && f->lang != ql + 1) {
      asl_diag_add(d, SCHEMA, at,
                   "The QueryLanguage is set to '%s', but field '%s' is only "
                   "supported for the '%s' QueryLanguage",
                   lang_names[ql + 1], f->name, lang_names[f->lang]);
      rc = -1;
    }
  }
  return rc;
}

/* Reports the names in need[] (NULL-terminated) that obj lacks, in one
 * diagnostic as AWS does: "These fields are required: [ErrorEquals, Next]". */
static int require(const cJSON *obj, const char *const *need, const char *at,
                   asl_diags *d) {
  asl_buf b = {0};
  for (; *need; need++)
    if (!asl_json_get(obj, *need)) {
      asl_buf_puts(&b, b.len ? ", " : "");
      asl_buf_puts(&b, *need);
    }
  int rc = b.len ? -1 : 0;
  if (rc) asl_diag_add(d, SCHEMA, at, "These fields are required: [%s]", b.s);
  asl_buf_free(&b);
  return rc;
}

/* Is every name in ErrorEquals acceptable? Sets *all when it holds
 * "States.ALL". The array itself was checked by compile_errors. */
static int check_names(const errset *e, const char *at, int *all,
                       asl_diags *d) {
  int rc = 0;
  *all = 0;
  for (size_t i = 0; i < e->n; i++) {
    if (strcmp(e->v[i], "States.ALL") == 0) *all = 1;
    if (strncmp(e->v[i], "States.", 7) == 0 && !find_known(e->v[i])) {
      asl_diag_add(d, SCHEMA, at,
                   "'%s' is not a predefined error name, and names starting "
                   "with 'States.' are reserved",
                   e->v[i]);
      rc = -1;
    }
  }
  if (*all && e->n > 1) {
    asl_diag_add(d, SCHEMA, at,
                 "The reserved error name 'States.ALL' must appear alone in "
                 "'ErrorEquals'");
    rc = -1;
  }
  return rc;
}

/* Compiles obj's ErrorEquals (a non-empty array of strings) into e. `what`
 * ("retrier", "catcher") and last (is obj the array's last element?) are for
 * the rule that States.ALL belongs to the last one only. Absent: 0, as
 * require() reports it. */
static int compile_errors(errset *e, const cJSON *obj, const char *at,
                          const char *what, int last, asl_diags *d) {
  const cJSON *a = asl_json_get(obj, "ErrorEquals");
  if (!a) return 0;
  char *el = asl_loc_join(at, "ErrorEquals");
  int rc = 0, all = 0;
  size_t n = cJSON_IsArray(a) ? (size_t)cJSON_GetArraySize(a) : 0;
  for (const cJSON *c = n ? a->child : NULL; c; c = c->next)
    if (!cJSON_IsString(c)) n = 0;
  if (n == 0) {
    asl_diag_add(d, SCHEMA, el,
                 "The field 'ErrorEquals' must be a non-empty array of "
                 "strings");
    rc = -1;
    goto out;
  }
  e->v = asl_calloc(n, sizeof *e->v);
  for (const cJSON *c = a->child; c; c = c->next)
    e->v[e->n++] = c->valuestring;
  rc = check_names(e, el, &all, d);
  if (all && !last) {
    asl_diag_add(d, SCHEMA, el,
                 "The reserved error name 'States.ALL' must appear in the "
                 "last %s",
                 what);
    rc = -1;
  }
out:
  free(el);
  return rc;
}

/* One integer field of a retrier: default when absent, else min..max. */
static int compile_int_field(retrier *r, const struct int_field *f,
                             const cJSON *obj, const char *at, asl_diags *d) {
  long long *dst = (long long *)((char *)r + f->off), v;
  int present = 0;
  *dst = f->dflt;
  if (asl_compile_int(obj, f->name, at, f->min, &v, &present, d) < 0) return -1;
  if (!present) return 0;
  if (v > f->max) {
    char *fl = asl_loc_join(at, f->name);
    asl_diag_add(d, SCHEMA, fl, "The field '%s' must be an integer <= %lld",
                 f->name, f->max);
    free(fl);
    return -1;
  }
  *dst = v;
  return 0;
}

static int compile_backoff(retrier *r, const cJSON *obj, const char *at,
                           asl_diags *d) {
  const cJSON *v = asl_json_get(obj, "BackoffRate");
  r->rate = 2.0;
  if (!v) return 0;
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 1.0) {
    r->rate = v->valuedouble;
    return 0;
  }
  char *fl = asl_loc_join(at, "BackoffRate");
  asl_diag_add(d, SCHEMA, fl,
               "The field 'BackoffRate' must be a number >= 1.0");
  free(fl);
  return -1;
}

static int compile_jitter(retrier *r, const cJSON *obj, const char *at,
                          asl_diags *d) {
  const cJSON *v = asl_json_get(obj, "JitterStrategy");
  if (!v) return 0;
  if (cJSON_IsString(v) && strcmp(v->valuestring, "NONE") == 0) return 0;
  if (cJSON_IsString(v) && strcmp(v->valuestring, "FULL") == 0) {
    r->jitter_full = 1;
    return 0;
  }
  char *fl = asl_loc_join(at, "JitterStrategy");
  asl_diag_add(d, SCHEMA, fl,
               "The field 'JitterStrategy' must be 'FULL' or 'NONE'");
  free(fl);
  return -1;
}

/* Comment, where allowed, is a string (AWS's schema). */
static int check_comment(const cJSON *obj, const char *at, asl_diags *d) {
  const cJSON *v = asl_json_get(obj, "Comment");
  if (!v || cJSON_IsString(v)) return 0;
  char *fl = asl_loc_join(at, "Comment");
  asl_diag_add(d, SCHEMA, fl, "The field 'Comment' must be a string");
  free(fl);
  return -1;
}

static int compile_retrier(retrier *r, const cJSON *obj, const char *at,
                           int last, int ql, asl_diags *d) {
  static const char *const need[] = {"ErrorEquals", NULL};
  int rc = check_fields(obj, retrier_fields, ql, at, d);
  if (require(obj, need, at, d) < 0) rc = -1;
  if (compile_errors(&r->errors, obj, at, "retrier", last, d) < 0) rc = -1;
  for (size_t i = 0; i < N_INT_FIELDS; i++)
    if (compile_int_field(r, &int_fields[i], obj, at, d) < 0) rc = -1;
  if (compile_backoff(r, obj, at, d) < 0) rc = -1;
  if (compile_jitter(r, obj, at, d) < 0) rc = -1;
  if (check_comment(obj, at, d) < 0) rc = -1;
  return rc;
}

/* Next (a string), ResultPath (JSONPath) and Assign of one catcher. */
static int compile_catcher_fields(catcher *c, const cJSON *obj, const char *at,
                                  int ql, asl_diags *d) {
  int rc = 0;
  const cJSON *n = asl_json_get(obj, "Next");
  if (n && !cJSON_IsString(n)) {
    char *fl = asl_loc_join(at, "Next");
    asl_diag_add(d, SCHEMA, fl, "The field 'Next' must be a string");
    free(fl);
    rc = -1;
  } else if (n) {
    c->next = n->valuestring;
  }
  if (ql == ASL_QL_JSONPATH &&
      asl_compile_opt_path(&c->result_path, obj, "ResultPath", at,
                           ASL_PATH_REFERENCE, d) < 0)
    rc = -1;
  const cJSON *a = asl_json_get(obj, "Assign");
  if (!a) return rc;
  char *al = asl_loc_join(at, "Assign");
  if (!cJSON_IsObject(a)) {
    asl_diag_add(d, SCHEMA, al, "The field 'Assign' must be an object");
    rc = -1;
  } else if (ql == ASL_QL_JSONPATH) {
    c->assign = asl_template_compile(a, al, d);
    if (!c->assign) rc = -1;
  }
  free(al);
  return rc;
}

static int compile_catcher(catcher *c, const cJSON *obj, const char *at,
                           int last, int ql, asl_diags *d) {
  static const char *const need[] = {"ErrorEquals", "Next", NULL};
  c->def = obj;
  int rc = check_fields(obj, catcher_fields, ql, at, d);
  if (require(obj, need, at, d) < 0) rc = -1;
  if (compile_errors(&c->errors, obj, at, "catcher", last, d) < 0) rc = -1;
  if (compile_catcher_fields(c, obj, at, ql, d) < 0) rc = -1;
  if (check_comment(obj, at, d) < 0) rc = -1;
  return rc;
}

/* The array def[field] (absent: NULL with *n 0); reports a value that is not
 * an array. */
static const cJSON *get_array(const cJSON *def, const char *field,
                              const char *loc, size_t *n, int *rc,
                              asl_diags *d) {
  const cJSON *a = asl_json_get(def, field);
  *n = 0;
  if (!a) return NULL;
  if (!cJSON_IsArray(a)) {
    char *fl = asl_loc_join(loc, field);
    asl_diag_add(d, SCHEMA, fl, "The field '%s' must be an array", field);
    free(fl);
    *rc = -1;
    return NULL;
  }
  *n = (size_t)cJSON_GetArraySize(a);
  return a;
}

/* "/States/T" + "Retry" + 0 -> "/States/T/Retry[0]"; reports an element
 * that is not an object (returns NULL then). */
static char *element_loc(const cJSON *e, const char *loc, const char *field,
                         size_t i, int *rc, asl_diags *d) {
  char *at = asl_sprintf("%s/%s[%zu]", loc, field, i);
  if (cJSON_IsObject(e)) return at;
  asl_diag_add(d, SCHEMA, at, "The field '%s' must be an array of objects",
               field);
  free(at);
  *rc = -1;
  return NULL;
}

asl_retry *asl_retry_compile(const cJSON *def, const char *loc, int query_lang,
                             asl_diags *d) {
  asl_retry *r = asl_calloc(1, sizeof *r);
  int rc = 0;
  const cJSON *ra = get_array(def, "Retry", loc, &r->nr, &rc, d);
  const cJSON *ca = get_array(def, "Catch", loc, &r->nc, &rc, d);
  r->r = asl_calloc(r->nr ? r->nr : 1, sizeof *r->r);
  r->c = asl_calloc(r->nc ? r->nc : 1, sizeof *r->c);
  size_t i = 0;
  for (const cJSON *e = ra ? ra->child : NULL; e; e = e->next, i++) {
    char *at = element_loc(e, loc, "Retry", i, &rc, d);
    if (at &&
        compile_retrier(&r->r[i], e, at, i + 1 == r->nr, query_lang, d) < 0)
      rc = -1;
    free(at);
  }
  i = 0;
  for (const cJSON *e = ca ? ca->child : NULL; e; e = e->next, i++) {
    char *at = element_loc(e, loc, "Catch", i, &rc, d);
    if (at &&
        compile_catcher(&r->c[i], e, at, i + 1 == r->nc, query_lang, d) < 0)
      rc = -1;
    free(at);
  }
  if (rc < 0) {
    asl_retry_free(r);
    return NULL;
  }
  return r;
}

void asl_retry_free(asl_retry *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nr; i++)
    free(r->r[i].errors.v);
  for (size_t i = 0; i < r->nc; i++) {
    free(r->c[i].errors.v);
    asl_path_free(r->c[i].result_path.path);
    asl_template_free(r->c[i].assign);
  }
  free(r->r);
  free(r->c);
  free(r);
}

size_t asl_retry_count(const asl_retry *r) { return r ? r->nr : 0; }
size_t asl_catch_count(const asl_retry *r) { return r ? r->nc : 0; }

/* ---- deciding ---- */

static int set_matches(const errset *e, const char *name) {
  for (size_t i = 0; i < e->n; i++)
    if (asl_error_matches(e->v[i], name)) return 1;
  return 0;
}

/* The delay before retry number `attempt` (0-based) of retrier t. */
static double backoff(const retrier *t, int attempt, double rnd01) {
  double cap = (double)(t->max_delay ? t->max_delay : ASL_MAX_RETRY_DELAY);
  double v = (double)t->interval * pow(t->rate, attempt);
  if (!(v <= cap)) v = cap; /* also catches overflow to inf */
  if (t->jitter_full) {
    if (!(rnd01 >= 0.0)) rnd01 = 0.0;
    if (rnd01 >= 1.0) rnd01 = nextafter(1.0, 0.0);
    v *= rnd01;
  }
  return v;
}

int asl_retry_decide(const asl_retry *r, const char *name, int *counts,
                     double rnd01, double *delay) {
  *delay = 0;
  if (!r || unhandled(name)) return 0;
  for (size_t i = 0; i < r->nr; i++) {
    const retrier *t = &r->r[i];
    if (!set_matches(&t->errors, name)) continue;
    /* The first match decides, exhausted or not. */
    if (counts[i] >= t->max_attempts) return 0;
    *delay = backoff(t, counts[i], rnd01);
    counts[i]++;
    return 1;
  }
  return 0;
}

int asl_catch_match(const asl_retry *r, const char *name) {
  if (!r || unhandled(name)) return -1;
  for (size_t i = 0; i < r->nc; i++)
    if (set_matches(&r->c[i].errors, name)) return (int)i;
  return -1;
}

static const catcher *catcher_at(const asl_retry *r, int i) {
  return r && i >= 0 && (size_t)i < r->nc ? &r->c[i] : NULL;
}

const char *asl_catch_next(const asl_retry *r, int i) {
  const catcher *c = catcher_at(r, i);
  return c ? c->next : NULL;
}

const asl_opt_path *asl_catch_result_path(const asl_retry *r, int i) {
  const catcher *c = catcher_at(r, i);
  return c ? &c->result_path : NULL;
}

const asl_template *asl_catch_assign(const asl_retry *r, int i) {
  const catcher *c = catcher_at(r, i);
  return c ? c->assign : NULL;
}

const cJSON *asl_catch_def(const asl_retry *r, int i) {
  const catcher *c = catcher_at(r, i);
  return c ? c->def : NULL;
}
