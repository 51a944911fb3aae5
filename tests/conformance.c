/* conformance.c: the conformance runner. Runs every execution recorded on
 * real AWS in tests/conformance/cases through the engine and compares the
 * result with AWS's by the rules of tests/conformance/oracle_check.py (the
 * reference checker, mirrored here rule by rule); checks that the definitions
 * in tests/conformance/invalid are rejected with AWS's message.
 *
 *   conformance DIR [--only SUBSTR] [--verbose] [--failures FILE] [--all]
 *               [--strict-history] [--list-skipped]
 *
 * Prints one line per area, then exactly one line
 * "conformance: N passed, N failed, N skipped"; exits 1 when a case failed,
 * 2 on a usage or file error. The hidden --selftest mode checks the
 * comparison itself without calling the engine: each case's own expectation
 * must pass, and perturbed ones must fail. */
#include <ctype.h>
#include <dirent.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../engine/asl.h"
#include "../engine/json.h"
#include "../cli/hasher.h"
#include "../engine/pool.h"

/* ---- scope: which cases the engine is expected to pass yet ----
 * One row per feature not built yet: the first row whose predicate holds
 * skips the case with that reason. Remove a row when its feature lands;
 * --all ignores the whole table. */
static const struct scope_rule {
  int (*applies)(const cJSON *kase);
  const char *reason;
} SCOPE[] = {
    /* empty: every recorded case is in scope (the JSONata cases since
     * QueryLanguage JSONata landed); a row would be {predicate, "reason"} */
    {NULL, NULL},
};

/* Epoch seconds of every execution's start: results do not depend on the
 * day the tests run (AWS's dates were normalised to "date" anyway). */
#define START_TIME 1700000000.0
/* Problems kept per failing case in the --failures file, and printed. */
#define FAILURE_PROBLEMS 10
#define VERBOSE_PROBLEMS 5
/* Longest JSON excerpt of an actual value quoted in a problem. */
#define SNIP 120

/* ---- a growable list of owned strings ---- */
typedef struct strlist {
  char **v;
  size_t n, cap;
} strlist;

/* Appends s and takes ownership of it. */
static void sl_take(strlist *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->v = asl_realloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = s;
}

static void sl_addf(strlist *l, const char *fmt, ...) ASL_PRINTF(2, 3);
static void sl_addf(strlist *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sl_take(l, asl_vsprintf(fmt, ap));
  va_end(ap);
}

static void sl_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- small cJSON accessors ---- */

/* The string member name of o, or NULL when absent or not a string. */
static const char *get_str(const cJSON *o, const char *name) {
  const cJSON *v = asl_json_get(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int str_is(const char *s, const char *want) {
  return s && strcmp(s, want) == 0;
}

static const cJSON *case_meta(const cJSON *kase) {
  return asl_json_get(kase, "meta");
}

static const char *case_id(const cJSON *kase) {
  const char *id = get_str(kase, "id");
  return id ? id : "?";
}

/* meta.state_machine_type; "STANDARD" when absent. */
static const char *machine_type(const cJSON *kase) {
  const char *t = get_str(case_meta(kase), "state_machine_type");
  return t ? t : "STANDARD";
}

/* Compact JSON text of v (NULL: null), cut to at most max bytes without
 * splitting a UTF-8 sequence. New string. */
static char *snip(const cJSON *v, size_t max) {
  char *s = v ? asl_json_print(v) : asl_strdup("null");
  size_t n = strlen(s);
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
    s[n] = 0;
  }
  return s;
}

/* The reason kase is out of scope, or NULL when it is to be run. */
static const char *out_of_scope(const cJSON *kase) {
  for (size_t i = 0; i < sizeof SCOPE / sizeof SCOPE[0]; i++)
    if (SCOPE[i].applies && SCOPE[i].applies(kase)) return SCOPE[i].reason;
  return NULL;
}

/* ---- normalisation of actual values (oracle_check.normalise_actual) ---- */

/* oracle_check.py's PATTERN_ISO8601 in POSIX ERE: (?:..) groups become plain
 * groups and \d becomes [0-9]. Leftmost-longest (POSIX) and leftmost-first
 * (Python) find the same matches here: the date alternatives all have one
 * length and the optional tails are greedy in both. */
static const char ISO8601_ERE[] =
    "([1-9][0-9]{3}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    "|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
    "|([1-9][0-9](0[48]|[2468][048]|[13579][26])"
    "|([2468][048]|[13579][26])00)-02-29)"
    "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?"
    "(Z|[+-][01][0-9]:?([0-5][0-9])?)";

static regex_t iso_re;

static int iso_init(void) {
  if (regcomp(&iso_re, ISO8601_ERE, REG_EXTENDED) == 0) return 0;
  fputs("conformance: cannot compile the ISO-8601 pattern\n", stderr);
  return -1;
}

/* Finds the first ISO-8601 timestamp in s: 1 with its offsets, else 0. */
static int iso_find(const char *s, regoff_t *so, regoff_t *eo) {
  regmatch_t m[1];
  if (regexec(&iso_re, s, 1, m, 0) != 0) return 0;
  *so = m[0].rm_so;
  *eo = m[0].rm_eo;
  return 1;
}

/* PATTERN_ISO8601.match(s): a timestamp at the very start of s. */
static int iso_at_start(const char *s) {
  regoff_t so, eo;
  return iso_find(s, &so, &eo) && so == 0;
}

/* s with every ISO-8601 timestamp replaced by "date". New string. */
static char *iso_sub(const char *s) {
  asl_buf b = {0};
  regoff_t so, eo;
  while (*s && iso_find(s, &so, &eo) && eo > so) {
    asl_buf_add(&b, s, (size_t)so);
    asl_buf_puts(&b, "date");
    s += eo;
  }
  asl_buf_puts(&b, s);
  return asl_buf_take(&b);
}

/* re.match(r"^.*timestamp.*$", key, re.I): "timestamp" in any case on the
 * key's first line, and nothing after that line but one final newline. */
static int is_timestamp_key(const char *key) {
  const char *nl = strchr(key, '\n');
  if (nl && nl[1]) return 0;
  size_t line = nl ? (size_t)(nl - key) : strlen(key);
  for (size_t i = 0; i + 9 <= line; i++)
    if (strncasecmp(key + i, "timestamp", 9) == 0) return 1;
  return 0;
}

/* A normalised copy of v. ts says whether timestamp keys are rewritten in
 * v: the oracle's _timestamp_keys descends into objects and into the objects
 * that are direct elements of arrays, nowhere else. ISO-8601 text in every
 * string and key becomes "date" (the oracle rewrites the JSON text). */
static cJSON *norm_copy(const cJSON *v, int ts);

static cJSON *norm_object(const cJSON *v, int ts) {
  cJSON *o = cJSON_CreateObject();
  for (const cJSON *c = v->child; c; c = c->next) {
    const char *k = c->string ? c->string : "";
    cJSON *x;
    if (ts && is_timestamp_key(k) &&
        !(cJSON_IsString(c) && iso_at_start(c->valuestring)))
      x = cJSON_CreateString("timestamp");
    else
      x = norm_copy(c, ts);
    char *k2 = iso_sub(k);
    cJSON_AddItemToObject(o, k2, x);
    free(k2);
  }
  return o;
}

static cJSON *norm_copy(const cJSON *v, int ts) {
  if (cJSON_IsObject(v)) return norm_object(v, ts);
  if (cJSON_IsArray(v)) {
    cJSON *a = cJSON_CreateArray();
    for (const cJSON *c = v->child; c; c = c->next)
      cJSON_AddItemToArray(a, norm_copy(c, ts && cJSON_IsObject(c)));
    return a;
  }
  if (cJSON_IsString(v)) {
    char *s = iso_sub(v->valuestring);
    cJSON *x = cJSON_CreateString(s);
    free(s);
    return x;
  }
  return asl_json_dup(v);
}

/* normalise_actual(v): a new tree; NULL stands for JSON null. */
static cJSON *normalise(const cJSON *v) {
  return v ? norm_copy(v, 1) : cJSON_CreateNull();
}

/* ---- placeholders: parts of an expected string that match any text ---- */

/* The words that match any text in a case: meta.normalisation_tokens except
 * those starting with "date(" (borrowed strings; past 32, ignored). */
typedef struct toklist {
  const char *v[32];
  size_t n;
} toklist;

static void tok_add(toklist *t, const char *s) {
  if (s && *s && t->n < sizeof t->v / sizeof t->v[0]) t->v[t->n++] = s;
}

/* Fills t from kase's meta; returns 0 for an exact case (meta.exact true and
 * no tokens at all), which compares without any wildcard. */
static int case_tokens(const cJSON *kase, toklist *t) {
  const cJSON *meta = case_meta(kase);
  const cJSON *toks = asl_json_get(meta, "normalisation_tokens");
  const cJSON *exact = asl_json_get(meta, "exact");
  int ntoks = cJSON_IsArray(toks) ? cJSON_GetArraySize(toks) : 0;
  t->n = 0;
  if (!cJSON_IsFalse(exact) && ntoks == 0) return 0;
  for (const cJSON *x = ntoks ? toks->child : NULL; x; x = x->next)
    if (cJSON_IsString(x) && strncmp(x->valuestring, "date(", 5) != 0)
      tok_add(t, x->valuestring);
  return 1;
}

/* Length of oracle_check.PLACEHOLDER, <Name> or <Name:1>, at p, or 0. */
static size_t placeholder_len(const char *p) {
  if (p[0] != '<' || !isalpha((unsigned char)p[1])) return 0;
  size_t i = 2;
  while (isalnum((unsigned char)p[i]) || p[i] == '_' || p[i] == '-')
    i++;
  if (p[i] == ':' && isdigit((unsigned char)p[i + 1])) {
    i += 2;
    while (isdigit((unsigned char)p[i]))
      i++;
  }
  return p[i] == '>' ? i + 1 : 0;
}

/* \w for \b: ASCII letters, digits, '_'; every non-ASCII byte counts as a
 * letter (Python's Unicode \w; the corpus is ASCII). */
static int is_word_char(char c) {
  unsigned char u = (unsigned char)c;
  return isalnum(u) || u == '_' || u >= 0x80;
}

/* Length of the wildcard that starts at s + i, or 0. The alternatives are
 * tried in the oracle's order: placeholder, the account 111111111111, the
 * word "date" (\bdate\b), then the case's tokens. */
static size_t wildcard_at(const char *s, size_t i, const toklist *t) {
  size_t n = placeholder_len(s + i);
  if (n) return n;
  if (strncmp(s + i, "111111111111", 12) == 0) return 12;
  if (strncmp(s + i, "date", 4) == 0 && (i == 0 || !is_word_char(s[i - 1])) &&
      !is_word_char(s[i + 4]))
    return 4;
  for (size_t k = 0; k < t->n; k++)
    if (strncmp(s + i, t->v[k], strlen(t->v[k])) == 0) return strlen(t->v[k]);
  return 0;
}

/* A literal run of an expected string, between wildcards. */
typedef struct seg {
  const char *s;
  size_t n;
} seg;

/* Splits exp into its literal runs (there is one wildcard between each two):
 * returns how many, at least 1, in *out (new array). */
static size_t split_wild(const char *exp, const toklist *t, seg **out) {
  size_t len = strlen(exp), n = 0, start = 0;
  seg *v = asl_malloc((len + 1) * sizeof *v);
  for (size_t i = 0; i < len;) {
    size_t w = wildcard_at(exp, i, t);
    if (!w) {
      i++;
      continue;
    }
    v[n++] = (seg){exp + start, i - start};
    i += w;
    start = i;
  }
  v[n++] = (seg){exp + start, len - start};
  *out = v;
  return n;
}

/* Whether act matches the literal runs v[0..n) with any text between them
 * (n >= 2): the first run is a prefix, the last a suffix, and the others
 * occur in order in between (taking each leftmost is always best). */
static int glob_runs(const seg *v, size_t n, const char *act) {
  size_t alen = strlen(act);
  const seg *first = &v[0], *last = &v[n - 1];
  if (alen < first->n + last->n) return 0;
  if (memcmp(act, first->s, first->n) != 0) return 0;
  if (memcmp(act + alen - last->n, last->s, last->n) != 0) return 0;
  const char *p = act + first->n, *end = act + alen - last->n;
  for (size_t k = 1; k + 1 < n; k++) {
    const char *hit = memmem(p, (size_t)(end - p), v[k].s, v[k].n);
    if (!hit) return 0;
    p = hit + v[k].n;
  }
  return 1;
}

/* re.fullmatch(_wild_regex(exp, tokens), act, re.S): exp's wildcards stand
 * for any text (newlines included), the rest must be equal. */
static int wild_match(const char *exp, const char *act, const toklist *t) {
  seg *v;
  size_t n = split_wild(exp, t, &v);
  int ok = n == 1 ? strcmp(exp, act) == 0 : glob_runs(v, n, act);
  free(v);
  return ok;
}

/* Whether the snapshot replaced all of exp: then any actual value, of any
 * type, is acceptable. */
static int whole_wildcard(const char *exp, const toklist *t) {
  static const char *const words[] = {"date", "timestamp", "datetime",
                                      "111111111111"};
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(exp, t->v[i]) == 0) return 1;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp(exp, words[i]) == 0) return 1;
  size_t n = placeholder_len(exp);
  return n && exp[n] == 0;
}

/* ---- matching an expected value with a normalised actual one ---- */

typedef struct matcher {
  const toklist *tok; /* NULL: exact case, no wildcards */
  int parse_text;     /* history: actual JSON text may stand for a value */
  strlist *problems;  /* where mismatches are described */
} matcher;

/* Adds a problem to m for exp and act at path (oracle_check's wording). */
static void mismatch(const matcher *m, const char *path, const char *what,
                     const cJSON *exp, const cJSON *act) {
  char *a = snip(act, SNIP);
  if (exp) {
    char *e = snip(exp, 4 * SNIP);
    sl_addf(m->problems, "%s: expected %s, got %s", path, e, a);
    free(e);
  } else {
    sl_addf(m->problems, "%s: expected %s, got %s", path, what, a);
  }
  free(a);
}

/* Compares exp with act (a normalised actual value; NULL means null) and
 * adds one problem per difference under path. */
static void match(const matcher *m, const cJSON *exp, const cJSON *act,
                  const char *path);

static void match_string(const matcher *m, const cJSON *exp, const cJSON *act,
                         const char *path) {
  const char *e = exp->valuestring;
  if (cJSON_IsString(act) && strcmp(e, act->valuestring) == 0) return;
  if (m->tok && whole_wildcard(e, m->tok)) return;
  if (m->tok && cJSON_IsString(act) && wild_match(e, act->valuestring, m->tok))
    return;
  mismatch(m, path, NULL, exp, act);
}

static void match_object(const matcher *m, const cJSON *exp, const cJSON *act,
                         const char *path) {
  if (!cJSON_IsObject(act)) {
    mismatch(m, path, "object", NULL, act);
    return;
  }
  for (const cJSON *e = exp->child; e; e = e->next)
    if (!asl_json_get(act, e->string))
      sl_addf(m->problems, "%s: missing key '%s'", path, e->string);
  for (const cJSON *a = act->child; a; a = a->next)
    if (!asl_json_get(exp, a->string))
      sl_addf(m->problems, "%s: unexpected key '%s'", path, a->string);
  for (const cJSON *e = exp->child; e; e = e->next) {
    const cJSON *a = asl_json_get(act, e->string);
    if (!a) continue;
    char *sub = asl_sprintf("%s.%s", path, e->string);
    match(m, e, a, sub);
    free(sub);
  }
}

static void match_array(const matcher *m, const cJSON *exp, const cJSON *act,
                        const char *path) {
  int n = cJSON_GetArraySize(exp);
  if (!cJSON_IsArray(act) || cJSON_GetArraySize(act) != n) {
    char *what = asl_sprintf("array of %d", n);
    mismatch(m, path, what, NULL, act);
    free(what);
    return;
  }
  int i = 0;
  for (const cJSON *e = exp->child, *a = act->child; e && a;
       e = e->next, a = a->next, i++) {
    char *sub = asl_sprintf("%s[%d]", path, i);
    match(m, e, a, sub);
    free(sub);
  }
}

/* Numbers, booleans and null: booleans never equal numbers, numbers compare
 * by value (1 == 1.0). */
static void match_scalar(const matcher *m, const cJSON *exp, const cJSON *act,
                         const char *path) {
  int same;
  if (cJSON_IsBool(exp) || cJSON_IsBool(act) || cJSON_IsNull(exp) ||
      cJSON_IsNull(act))
    same = (exp->type & 0xFF) == (act->type & 0xFF);
  else if (cJSON_IsNumber(exp) && cJSON_IsNumber(act))
    same = exp->valuedouble == act->valuedouble;
  else
    same = 0;
  if (!same) mismatch(m, path, NULL, exp, act);
}

/* History only: AWS's recorder stored JSON payloads ("input", "output") as
 * parsed values while events carry them as text. Returns 1 when act was JSON
 * text and has been compared as the value it spells. */
static int match_text(const matcher *m, const cJSON *exp, const cJSON *act,
                      const char *path) {
  const char *s = act->valuestring;
  cJSON *v = asl_json_parse(s, strlen(s), NULL);
  if (!v) return 0;
  cJSON *nv = normalise(v);
  match(m, exp, nv, path);
  cJSON_Delete(nv);
  cJSON_Delete(v);
  return 1;
}

static void match(const matcher *m, const cJSON *exp, const cJSON *act,
                  const char *path) {
  static cJSON null_value = {.type = cJSON_NULL};
  if (!exp) exp = &null_value;
  if (!act) act = &null_value;
  if (m->parse_text && !cJSON_IsString(exp) && cJSON_IsString(act) &&
      match_text(m, exp, act, path))
    return;
  if (m->parse_text && cJSON_IsString(exp) && cJSON_IsString(act) &&
      strcmp(exp->valuestring, act->valuestring) != 0 &&
      (exp->valuestring[0] == '[' || exp->valuestring[0] == '{')) {
    /* The recorder re-serialised some payloads (", " separators, key
     * order): compare the values the two texts spell. */
    cJSON *ev = asl_json_parse(exp->valuestring, strlen(exp->valuestring),
                               NULL);
    if (ev && match_text(m, ev, act, path)) {
      cJSON_Delete(ev);
      return;
    }
    cJSON_Delete(ev);
  }
  if (cJSON_IsString(exp))
    match_string(m, exp, act, path);
  else if (cJSON_IsObject(exp))
    match_object(m, exp, act, path);
  else if (cJSON_IsArray(exp))
    match_array(m, exp, act, path);
  else
    match_scalar(m, exp, act, path);
}

/* ---- checking one execution's result against its case ---- */

/* What an execution produced; all borrowed. history: GetExecutionHistory
 * "events", NULL when not available. */
typedef struct actual {
  const char *status;
  const cJSON *output;
  const char *error, *cause;
  const cJSON *history;
} actual;

/* error or cause: expected none, or a string matched after normalising. */
static void check_text(const matcher *m, const char *name, const cJSON *exp,
                       const char *act) {
  if (!cJSON_IsString(exp)) {
    if (act && *act)
      sl_addf(m->problems, "%s: expected none, got '%s'", name, act);
    return;
  }
  if (!act) {
    sl_addf(m->problems, "%s: expected '%s', got none", name, exp->valuestring);
    return;
  }
  char *s = iso_sub(act);
  cJSON *a = cJSON_CreateString(s);
  match(m, exp, a, name);
  cJSON_Delete(a);
  free(s);
}

/* The "type" of a history event, "?" when it has none. */
static const char *event_type(const cJSON *ev) {
  const char *t = get_str(ev, "type");
  return t ? t : "?";
}

/* Event types of an events array in order (borrowed), in *out (new). */
static size_t event_types(const cJSON *events, const char ***out) {
  size_t n = (size_t)cJSON_GetArraySize(events), i = 0;
  const char **v = asl_malloc((n + 1) * sizeof *v);
  for (const cJSON *e = events ? events->child : NULL; e; e = e->next)
    v[i++] = cJSON_IsString(e) ? e->valuestring : event_type(e);
  *out = v;
  return i;
}

/* Compares the types in order; adds at most one problem. */
static void types_in_order(strlist *p, const char **e, size_t ne,
                           const char **a, size_t na) {
  for (size_t i = 0; i < ne && i < na; i++)
    if (strcmp(e[i], a[i]) != 0) {
      sl_addf(p, "history[%zu]: expected %s, got %s", i, e[i], a[i]);
      return;
    }
  if (ne != na)
    sl_addf(p, "history: expected %zu events, got %zu (%s)", ne, na,
            ne < na ? a[ne] : e[na]);
}

/* Compares the types as multisets (parallel branches' order normalised). */
static void types_as_set(strlist *p, const char **e, size_t ne, const char **a,
                         size_t na) {
  qsort(e, ne, sizeof *e, cmp_str);
  qsort(a, na, sizeof *a, cmp_str);
  size_t i = 0, j = 0;
  while (i < ne || j < na) {
    int c = i == ne ? 1 : j == na ? -1 : strcmp(e[i], a[j]);
    if (c == 0) {
      i++, j++;
    } else if (c < 0) {
      sl_addf(p, "history: missing event %s", e[i++]);
    } else {
      sl_addf(p, "history: unexpected event %s", a[j++]);
    }
  }
}

static int parallel_normalised(const cJSON *kase) {
  const cJSON *meta = case_meta(kase);
  return cJSON_IsTrue(asl_json_get(meta, "history_parallel_order_normalised"));
}

/* Compares event types with case.history_event_types; returns the number of
 * problems added. */
static size_t check_types(const cJSON *kase, const cJSON *history, strlist *p) {
  const cJSON *want = asl_json_get(kase, "history_event_types");
  size_t before = p->n;
  if (!cJSON_IsArray(want)) return 0;
  if (!cJSON_IsArray(history)) {
    sl_addf(p, "history: no events array");
    return 1;
  }
  const char **e, **a;
  size_t ne = event_types(want, &e), na = event_types(history, &a);
  if (parallel_normalised(kase))
    types_as_set(p, e, ne, a, na);
  else
    types_in_order(p, e, ne, a, na);
  free(e);
  free(a);
  return p->n - before;
}

/* ---- --strict-history: ids and *EventDetails of every event ---- */

static int is_details_key(const char *k) {
  size_t n = k ? strlen(k) : 0;
  return n > 12 && strcmp(k + n - 12, "EventDetails") == 0;
}

/* id and previousEventId, unless the recording normalised the id away (the
 * branch events of parallel-order-normalised cases carry [0]). */
static void match_ids(const matcher *m, const cJSON *exp, const cJSON *act,
                      const char *path) {
  if (!cJSON_IsNumber(asl_json_get(exp, "id"))) return;
  static const char *const keys[] = {"id", "previousEventId"};
  for (size_t i = 0; i < 2; i++) {
    char *sub = asl_sprintf("%s.%s", path, keys[i]);
    match(m, asl_json_get(exp, keys[i]), asl_json_get(act, keys[i]), sub);
    free(sub);
  }
}

/* Compares one event's ids and *EventDetails objects; its type was compared
 * already. */
static void match_event(const matcher *m, const cJSON *exp, const cJSON *act,
                        const char *path) {
  match_ids(m, exp, act, path);
  for (const cJSON *e = exp->child; e; e = e->next) {
    if (!is_details_key(e->string)) continue;
    char *sub = asl_sprintf("%s.%s", path, e->string);
    const cJSON *a = asl_json_get(act, e->string);
    if (!a) {
      sl_addf(m->problems, "%s: missing", sub);
    } else {
      cJSON *na = normalise(a);
      match(m, e, na, sub);
      cJSON_Delete(na);
    }
    free(sub);
  }
  for (const cJSON *a = act->child; a; a = a->next)
    if (is_details_key(a->string) && !asl_json_get(exp, a->string))
      sl_addf(m->problems, "%s: unexpected key '%s'", path, a->string);
}

/* Whether act matches exp exactly as match_event would say, plus type. */
static int event_matches(const matcher *m, const cJSON *exp, const cJSON *act) {
  if (strcmp(event_type(exp), event_type(act)) != 0) return 0;
  strlist quiet = {0};
  matcher q = *m;
  q.problems = &quiet;
  match_event(&q, exp, act, "");
  int ok = quiet.n == 0;
  sl_free(&quiet);
  return ok;
}

/* Parallel-order-normalised cases: each expected event must match a
 * distinct actual event, in any order. */
static void events_as_set(const matcher *m, const cJSON *exp,
                          const cJSON *act) {
  size_t na = (size_t)cJSON_GetArraySize(act), i = 0;
  char *used = asl_calloc(na + 1, 1);
  for (const cJSON *e = exp->child; e; e = e->next, i++) {
    size_t j = 0;
    const cJSON *a = act->child;
    for (; a; a = a->next, j++)
      if (!used[j] && event_matches(m, e, a)) break;
    if (a)
      used[j] = 1;
    else
      sl_addf(m->problems, "history[%zu]: no event matches this %s", i,
              event_type(e));
  }
  free(used);
}

static void events_in_order(const matcher *m, const cJSON *exp,
                            const cJSON *act) {
  size_t i = 0;
  for (const cJSON *e = exp->child, *a = act->child; e && a;
       e = e->next, a = a->next, i++) {
    char *path = asl_sprintf("history[%zu]", i);
    match_event(m, e, a, path);
    free(path);
  }
}

/* Compares the events' details. Wildcards are always on: the recording
 * normalised ARNs and the role ARN even in exact cases. */
static void check_details(const cJSON *kase, const cJSON *history, strlist *p) {
  const cJSON *want = asl_json_get(kase, "history_events");
  if (!cJSON_IsArray(want)) return;
  toklist t;
  case_tokens(kase, &t);
  tok_add(&t, "snf_role_arn");
  tok_add(&t, "sfn_role_arn");
  tok_add(&t, "map_run_arn"); /* the recorder's stand-in for a MapRun ARN */
  matcher m = {&t, 1, p};
  if (parallel_normalised(kase))
    events_as_set(&m, want, history);
  else
    events_in_order(&m, want, history);
}

/* ---- the whole check of one case ---- */

/* Where the recorded ids jump (4, 5, 6, 7, 9), the recorder dropped an event
 * AWS wrote (ParallelStateSucceeded in the Parallel cases): the ids prove it
 * existed. Returns a copy of the actual history without the events whose
 * ids the recording lacks, when the recording has such gaps and its ids are
 * all known; otherwise a plain copy. */
static cJSON *recorded_events_only(const cJSON *kase, const cJSON *history) {
  const cJSON *want = asl_json_get(kase, "history_events");
  if (!cJSON_IsArray(history)) return NULL;
  cJSON *copy = asl_json_dup(history);
  if (!cJSON_IsArray(want)) return copy;
  int max = 0, n = 0, known = 0;
  for (const cJSON *e = want->child; e; e = e->next, n++) {
    const cJSON *id = asl_json_get(e, "id");
    if (cJSON_IsNumber(id) && id->valueint > 0) {
      known++;
      if (id->valueint > max) max = id->valueint;
    }
  }
  if (n == 0 || max <= n) return copy; /* no gap (or ids normalised away) */
  char *have = asl_calloc((size_t)max + 1, 1);
  for (const cJSON *e = want->child; e; e = e->next) {
    const cJSON *id = asl_json_get(e, "id");
    if (cJSON_IsNumber(id) && id->valueint > 0) have[id->valueint] = 1;
  }
  /* ids normalised to 0 ("[0]") stand for unknown ids: count them in */
  int unknown = n - known, missing = 0;
  for (int i = 1; i <= max; i++) missing += !have[i];
  if (missing > unknown) {
    /* drop actual events at ids that are neither recorded nor unknown */
    int budget = missing - unknown;
    cJSON *e = copy->child;
    while (e && budget > 0) {
      cJSON *next = e->next;
      const cJSON *id = asl_json_get(e, "id");
      const char *type = event_type(e);
      if (cJSON_IsNumber(id) && id->valueint <= max && !have[id->valueint] &&
          strstr(type, "StateSucceeded") && strncmp(type, "Parallel", 8) == 0) {
        cJSON_Delete(cJSON_DetachItemViaPointer(copy, e));
        budget--;
      }
      e = next;
    }
  }
  free(have);
  return copy;
}

/* oracle_check.check(), then the history: adds one problem per difference
 * between kase's expectation and a. */
static void check_case(const cJSON *kase, const actual *a, int strict_history,
                       strlist *p) {
  const cJSON *exp = asl_json_get(kase, "expect");
  const char *status = get_str(exp, "status");
  toklist t;
  matcher m = {case_tokens(kase, &t) ? &t : NULL, 0, p};
  if (!str_is(a->status, status ? status : "?")) {
    sl_addf(p, "status: expected %s, got %s", status ? status : "?",
            a->status ? a->status : "none");
    return;
  }
  if (str_is(status, "SUCCEEDED")) {
    cJSON *out = normalise(a->output);
    match(&m, asl_json_get(exp, "output"), out, "$output");
    cJSON_Delete(out);
  } else {
    check_text(&m, "error", asl_json_get(exp, "error"), a->error);
    check_text(&m, "cause", asl_json_get(exp, "cause"), a->cause);
  }
  cJSON *h = recorded_events_only(kase, a->history);
  if (check_types(kase, h, p) == 0 && strict_history && cJSON_IsArray(h))
    check_details(kase, h, p);
  cJSON_Delete(h);
}

/* An invalid definition: message must match expect.cause. */
static void check_invalid(const cJSON *kase, const char *message, strlist *p) {
  toklist t;
  matcher m = {case_tokens(kase, &t) ? &t : NULL, 0, p};
  const cJSON *exp = asl_json_get(asl_json_get(kase, "expect"), "cause");
  check_text(&m, "cause", exp, message);
}

/* ---- running cases through the engine ---- */

/* Loads kase's definition; NULL with a problem when the engine rejects it. */
static asl_machine *load_case(const cJSON *kase, strlist *p) {
  asl_load_opts lo = {.type = machine_type(kase), .name = NULL};
  asl_diags d = {0};
  asl_machine *m =
      asl_machine_load_json(asl_json_get(kase, "definition"), &lo, &d);
  if (!m) {
    char *msg = asl_diags_message(&d);
    sl_addf(p, "load: %s", msg);
    free(msg);
  }
  asl_diags_free(&d);
  return m;
}

/* Runs kase once and checks the result; adds problems to p. */
static void run_case(const cJSON *kase, int strict_history, strlist *p) {
  asl_machine *m = load_case(kase, p);
  if (!m) return;
  asl_run_opts ro = {.name = "exec-name",
                     .virtual_clock = 1,
                     .start_time = START_TIME,
                     .seed = 1,
                     .keep_history = 1};
  asl_result r = {0};
  char *msg = NULL;
  if (asl_run(m, get_str(kase, "input_text"), &ro, &r, &msg) != 0) {
    sl_addf(p, "run: %s", msg ? msg : "asl_run failed");
  } else {
    actual a = {r.status, r.output, r.error, r.cause, r.history};
    check_case(kase, &a, strict_history, p);
  }
  free(msg);
  asl_result_free(&r);
  asl_machine_free(m);
}

/* The recordings replaced ARNs the test created at run time with
 * "__ANY__sfn.create_activity()[]" and the like: put a real-looking ARN of
 * that kind back so the validator sees what AWS saw. */
static void restore_created_arns(cJSON *v) {
  for (cJSON *c = v ? v->child : NULL; c; c = c->next) {
    if (cJSON_IsString(c) && c->string && strcmp(c->string, "Resource") == 0 &&
        strncmp(c->valuestring, "__ANY__sfn.create_activity", 26) == 0)
      cJSON_SetValuestring(
          c, "arn:aws:states:us-east-1:111111111111:activity:recorded");
    restore_created_arns(c);
  }
}

/* Loads an invalid definition, which must fail with AWS's message. */
static void run_invalid(const cJSON *kase, strlist *p) {
  asl_load_opts lo = {.type = machine_type(kase), .name = NULL};
  asl_diags d = {0};
  cJSON *def = asl_json_dup(asl_json_get(kase, "definition"));
  restore_created_arns(def);
  asl_machine *m = asl_machine_load_json(def, &lo, &d);
  cJSON_Delete(def);
  if (m) {
    sl_addf(p, "load: accepted, expected InvalidDefinition");
    asl_machine_free(m);
  } else {
    char *msg = asl_diags_message(&d);
    check_invalid(kase, msg, p);
    free(msg);
  }
  asl_diags_free(&d);
}

/* ---- options, tallies and reporting ---- */

typedef struct options {
  const char *dir, *only, *failures;
  int verbose, all, strict_history, list_skipped, selftest;
} options;

/* The area the invalid definitions are reported under. */
#define INVALID_AREA "invalid-definitions"

typedef struct tally {
  char *area;
  int pass, fail, skip, known;
} tally;

/* Recorded executions the engine knowingly does not match, each with its
 * reason (the README lists them too). They still run: one that starts to
 * pass is reported as a failure, so this list cannot go stale. */
#define DISTRIBUTED_EXIT_PREV                                                  \
  "AWS's previousEventId of a distributed Map's MapStateExited differs "      \
  "between recordings of the same situation: 11 of 13 point at "              \
  "MapRunSucceeded (as asl does), this one at MapRunStarted"
static const struct known_failure {
  const char *id;
  const char *reason;
} KNOWN[] = {
    {"assign/test_assign_reference_variables::TestAssignReferenceVariables::"
     "test_reference_in_map_state[MAP_STATE_REFERENCE_IN_ITEM_SELECTOR]",
     DISTRIBUTED_EXIT_PREV},
    {"scenarios/test_base_scenarios::TestBaseScenarios::"
     "test_map_state_nested_config_distributed",
     DISTRIBUTED_EXIT_PREV},
};

static const char *known_reason(const char *id) {
  for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
    if (strcmp(KNOWN[i].id, id) == 0) return KNOWN[i].reason;
  return NULL;
}

typedef struct runner {
  options o;
  tally *v; /* per area, in the order first seen */
  size_t n, cap;
  FILE *failures; /* --failures, or NULL */
} runner;

static tally *tally_for(runner *R, const char *area) {
  for (size_t i = 0; i < R->n; i++)
    if (strcmp(R->v[i].area, area) == 0) return &R->v[i];
  if (R->n == R->cap) {
    R->cap = R->cap ? R->cap * 2 : 16;
    R->v = asl_realloc(R->v, R->cap * sizeof *R->v);
  }
  R->v[R->n] = (tally){asl_strdup(area), 0, 0, 0, 0};
  return &R->v[R->n++];
}

static int cmp_tally(const void *a, const void *b) {
  return strcmp(((const tally *)a)->area, ((const tally *)b)->area);
}

static void skip_case(runner *R, const char *area, const char *id,
                      const char *reason) {
  tally_for(R, area)->skip++;
  if (R->o.list_skipped) printf("skip %-18s %s\n", reason, id);
}

/* One JSON line {"id","file","problems"} for --failures. */
static void write_failure(FILE *f, const char *id, const char *file,
                          const strlist *p) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", id);
  cJSON_AddStringToObject(o, "file", file);
  cJSON *arr = cJSON_AddArrayToObject(o, "problems");
  for (size_t i = 0; i < p->n && i < FAILURE_PROBLEMS; i++)
    cJSON_AddItemToArray(arr, cJSON_CreateString(p->v[i]));
  char *s = asl_json_print(o);
  fprintf(f, "%s\n", s);
  free(s);
  cJSON_Delete(o);
}

/* Counts a case that ran: it passed when p holds no problem. */
static void record(runner *R, const char *area, const char *id,
                   const char *file, const strlist *p) {
  tally *t = tally_for(R, area);
  const char *known = known_reason(id);
  if (p->n == 0 && !known) {
    t->pass++;
    return;
  }
  if (p->n && known) {
    t->known++;
    if (R->o.verbose) printf("KNOWN %s\n    %s\n", id, known);
    return;
  }
  strlist fresh = {0};
  if (p->n == 0) { /* a known failure that passes now */
    sl_addf(&fresh, "listed in KNOWN[] as failing, but passes: remove it");
    p = &fresh;
  }
  t->fail++;
  if (R->o.verbose) {
    printf("FAIL %s\n", id);
    for (size_t i = 0; i < p->n && i < VERBOSE_PROBLEMS; i++)
      printf("    %s\n", p->v[i]);
  }
  if (R->failures) write_failure(R->failures, id, file, p);
  sl_free(&fresh);
}

/* The counts of every area of R added up (area left NULL). */
static tally sum_tallies(const runner *R) {
  tally s = {NULL, 0, 0, 0, 0};
  for (size_t i = 0; i < R->n; i++) {
    s.known += R->v[i].known;
    s.pass += R->v[i].pass;
    s.fail += R->v[i].fail;
    s.skip += R->v[i].skip;
  }
  return s;
}

/* One line per area (sorted), not in the "x: N passed, N failed" shape that
 * scripts/test.sh adds up, then the invalid definitions and the total. */
static void report(runner *R, const runner *invalid) {
  static const char line[] = "  %-20s %5d passed %4d failed %4d skipped\n";
  tally c = sum_tallies(R), i = sum_tallies(invalid);
  if (R->n > 1) qsort(R->v, R->n, sizeof *R->v, cmp_tally);
  for (size_t k = 0; k < R->n; k++)
    printf(line, R->v[k].area, R->v[k].pass, R->v[k].fail, R->v[k].skip);
  printf(line, INVALID_AREA, i.pass, i.fail, i.skip);
  if (c.known)
    printf("  known failures: %d (listed in KNOWN[] and the README; run with "
           "--verbose to see them)\n",
           c.known);
  printf("conformance: %d passed, %d failed, %d skipped\n", c.pass + i.pass,
         c.fail + i.fail, c.skip + i.skip);
}

static void free_tallies(runner *R) {
  for (size_t i = 0; i < R->n; i++)
    free(R->v[i].area);
  free(R->v);
  R->v = NULL;
  R->n = R->cap = 0;
}

/* ---- reading the corpus ---- */

/* Reads the whole file; NULL when it cannot. New string, *len its size. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  asl_buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  *len = b.len;
  if (bad) {
    asl_buf_free(&b);
    return NULL;
  }
  return asl_buf_take(&b);
}

/* The sorted names of the *.json files in dir, in *out; -1 when dir cannot
 * be read. */
static int list_json(const char *dir, strlist *out) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
      sl_take(out, asl_strdup(e->d_name));
  }
  closedir(d);
  if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_str);
  return 0;
}

/* Parses dir/name; NULL with a message in *err (new string) on failure. */
static cJSON *load_doc(const char *dir, const char *name, char **err) {
  char *path = asl_sprintf("%s/%s", dir, name);
  size_t len = 0;
  char *text = read_file(path, &len);
  cJSON *doc = NULL;
  *err = NULL;
  if (!text) {
    *err = asl_sprintf("%s: cannot read", path);
  } else {
    char *msg = NULL;
    doc = asl_json_parse(text, len, &msg);
    if (!doc) *err = asl_sprintf("%s: %s", path, msg ? msg : "bad JSON");
    free(msg);
  }
  free(text);
  free(path);
  return doc;
}

/* Calls fn on every parsed document of dir in file name order. A file that
 * cannot be parsed counts as a failed case of area "?". Returns -1 when dir
 * cannot be read. */
typedef void (*doc_fn)(runner *R, const char *file, const cJSON *kase);

static int for_each_doc(runner *R, const char *dir, doc_fn fn) {
  strlist names = {0};
  if (list_json(dir, &names) != 0) {
    fprintf(stderr, "conformance: cannot read %s\n", dir);
    return -1;
  }
  for (size_t i = 0; i < names.n; i++) {
    char *err;
    cJSON *doc = load_doc(dir, names.v[i], &err);
    if (doc) {
      fn(R, names.v[i], doc);
      cJSON_Delete(doc);
    } else {
      strlist p = {0};
      sl_take(&p, err);
      record(R, "?", names.v[i], names.v[i], &p);
      sl_free(&p);
    }
  }
  sl_free(&names);
  return 0;
}

static int wanted(const runner *R, const char *id) {
  return !R->o.only || strstr(id, R->o.only);
}

static const char *case_area(const cJSON *kase) {
  const char *a = get_str(case_meta(kase), "area");
  return a ? a : "?";
}

/* A case file without what the runner needs is a failure of its own. */
static int malformed(runner *R, const char *file, const cJSON *kase,
                     const char *area) {
  if (asl_json_get(kase, "definition") &&
      cJSON_IsObject(asl_json_get(kase, "expect")))
    return 0;
  strlist p = {0};
  sl_addf(&p, "case: no \"definition\" or no \"expect\" object");
  record(R, area, case_id(kase), file, &p);
  sl_free(&p);
  return 1;
}

static void do_case(runner *R, const char *file, const cJSON *kase) {
  const char *id = case_id(kase), *area = case_area(kase);
  if (!wanted(R, id) || malformed(R, file, kase, area)) return;
  const char *why = R->o.all ? NULL : out_of_scope(kase);
  if (why) {
    /* Not run yet, but AWS accepted the definition: so must the loader. */
    strlist p = {0};
    asl_machine *m = load_case(kase, &p);
    asl_machine_free(m);
    if (p.n) record(R, area, id, file, &p);
    else skip_case(R, area, id, why);
    sl_free(&p);
    return;
  }
  strlist p = {0};
  run_case(kase, R->o.strict_history, &p);
  record(R, area, id, file, &p);
  sl_free(&p);
}

static int is_definition_error(const cJSON *kase) {
  return str_is(get_str(asl_json_get(kase, "expect"), "error"),
                "InvalidDefinition");
}

static void do_invalid(runner *R, const char *file, const cJSON *kase) {
  const char *id = case_id(kase);
  if (!wanted(R, id) || malformed(R, file, kase, INVALID_AREA)) return;
  if (!is_definition_error(kase)) {
    skip_case(R, INVALID_AREA, id, "api-error");
    return;
  }
  strlist p = {0};
  run_invalid(kase, &p);
  record(R, INVALID_AREA, id, file, &p);
  sl_free(&p);
}

/* Runs both folders; the invalid definitions are tallied apart from the
 * areas and reported last. */
static int run_all(runner *R) {
  char *cases = asl_sprintf("%s/cases", R->o.dir);
  char *invalid = asl_sprintf("%s/invalid", R->o.dir);
  runner I = {.o = R->o, .failures = R->failures};
  int rc = for_each_doc(R, cases, do_case);
  if (rc == 0) rc = for_each_doc(&I, invalid, do_invalid);
  if (rc == 0) {
    report(R, &I);
    rc = sum_tallies(R).fail + sum_tallies(&I).fail ? 1 : 0;
  } else {
    rc = 2;
  }
  free_tallies(&I);
  free(cases);
  free(invalid);
  return rc;
}

/* ---- --selftest: the comparison checked against the corpus itself ---- */

/* oracle_check._perturb: a value that differs from v. New tree. */
static cJSON *perturb(const cJSON *v) {
  cJSON *c;
  if (cJSON_IsObject(v)) {
    c = asl_json_dup(v);
    cJSON_AddNumberToObject(c, "__perturbed__", 1);
  } else if (cJSON_IsArray(v)) {
    c = asl_json_dup(v);
    cJSON_AddItemToArray(c, cJSON_CreateNumber(0));
  } else if (cJSON_IsString(v)) {
    char *s = asl_sprintf("%s~", v->valuestring);
    c = cJSON_CreateString(s);
    free(s);
  } else if (cJSON_IsBool(v)) {
    c = cJSON_CreateBool(cJSON_IsFalse(v));
  } else if (cJSON_IsNumber(v)) {
    c = cJSON_CreateNumber(v->valuedouble + 1);
  } else {
    c = cJSON_CreateString("x");
  }
  return c;
}

/* AWS's events as an actual history: history_events, or events holding
 * only the types when just those were recorded. New tree or NULL. */
static cJSON *expected_history(const cJSON *kase) {
  const cJSON *ev = asl_json_get(kase, "history_events");
  if (cJSON_IsArray(ev)) return asl_json_dup(ev);
  const cJSON *types = asl_json_get(kase, "history_event_types");
  if (!cJSON_IsArray(types)) return NULL;
  cJSON *h = cJSON_CreateArray();
  for (const cJSON *t = types->child; t; t = t->next) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", cJSON_GetStringValue(t));
    cJSON_AddItemToArray(h, e);
  }
  return h;
}

/* The expectation of kase as an actual result (borrowing from kase). */
static actual expected_actual(const cJSON *kase, const cJSON *history) {
  const cJSON *e = asl_json_get(kase, "expect");
  actual a = {get_str(e, "status"), asl_json_get(e, "output"),
              get_str(e, "error"), get_str(e, "cause"), history};
  return a;
}

/* Checks a against kase; reports and returns 1 when the verdict is not the
 * wanted one (pass: 1 when a must pass). */
static int verdict(const cJSON *kase, const actual *a, int strict, int pass,
                   const char *what) {
  strlist p = {0};
  check_case(kase, a, strict, &p);
  int bad = (p.n == 0) != pass;
  if (bad) {
    printf("%s %s: %s\n", pass ? "SELF-MISMATCH" : "PERTURBATION-NOT-DETECTED",
           case_id(kase), what);
    for (size_t i = 0; i < p.n && i < 3; i++)
      printf("    %s\n", p.v[i]);
  }
  sl_free(&p);
  return bad;
}

/* The result perturbed as oracle_check.selftest does: the output when
 * SUCCEEDED, else the error. *keep receives what must be freed. */
static actual perturbed_result(const actual *a, cJSON **keep, char **kstr) {
  actual b = *a;
  *keep = NULL;
  *kstr = NULL;
  if (str_is(a->status, "SUCCEEDED")) {
    *keep = perturb(a->output);
    b.output = *keep;
  } else {
    *kstr = asl_sprintf("%s~", a->error ? a->error : "");
    b.error = *kstr;
  }
  return b;
}

/* Writes the "input" and "output" values of the details object d as JSON
 * text, as the engine's events carry them. */
static void details_as_text(cJSON *d) {
  cJSON *next;
  for (cJSON *x = d->child; x; x = next) {
    next = x->next;
    if (cJSON_IsString(x) ||
        !(str_is(x->string, "input") || str_is(x->string, "output")))
      continue;
    char *s = asl_json_print(x);
    cJSON_ReplaceItemInObjectCaseSensitive(d, x->string, cJSON_CreateString(s));
    free(s);
  }
}

/* The first *EventDetails object of the events h, or NULL; with text set,
 * every details object gets its payloads written as JSON text on the way. */
static cJSON *scan_details(cJSON *h, int text) {
  cJSON *first = NULL;
  for (cJSON *e = h->child; e; e = e->next)
    for (cJSON *d = e->child; d; d = d->next) {
      if (!is_details_key(d->string) || !cJSON_IsObject(d)) continue;
      if (!first) first = d;
      if (text) details_as_text(d);
    }
  return first;
}

/* The history edits of the selftest, each applied to a fresh copy of AWS's
 * events whose payloads are JSON text. Returns 0 when h has no place for
 * the edit. */
enum h_edit { H_TEXT, H_DETAILS, H_ID, H_TYPE, H_REVERSE };

static int edit_history(cJSON *h, enum h_edit edit) {
  cJSON *d = scan_details(h, 1);
  cJSON *last = cJSON_GetArrayItem(h, cJSON_GetArraySize(h) - 1);
  cJSON *id = h->child ? cJSON_GetObjectItem(h->child, "id") : NULL;
  if (edit == H_DETAILS && d) {
    cJSON_AddNumberToObject(d, "__perturbed__", 1);
  } else if (edit == H_ID && cJSON_IsNumber(id)) {
    cJSON_SetNumberValue(id, id->valuedouble + 1);
  } else if (edit == H_TYPE && last) {
    char *t = asl_sprintf("%s~", event_type(last));
    cJSON_ReplaceItemInObjectCaseSensitive(last, "type", cJSON_CreateString(t));
    free(t);
  } else if (edit == H_REVERSE && cJSON_GetArraySize(h) > 1) {
    /* Detach from the head only and re-add: cJSON 1.7.15 mislinks other
     * mixes of detach and insert. */
    int n = cJSON_GetArraySize(h);
    cJSON **v = asl_malloc((size_t)n * sizeof *v);
    for (int i = 0; i < n; i++)
      v[i] = cJSON_DetachItemFromArray(h, 0);
    for (int i = n - 1; i >= 0; i--)
      cJSON_AddItemToArray(h, v[i]);
    free(v);
  } else if (edit != H_TEXT) {
    return 0;
  }
  return 1;
}

/* Checks a with AWS's history edited; 1 when the verdict is wrong. */
static int history_variant(const cJSON *kase, const actual *a, enum h_edit edit,
                           int strict, int pass, const char *what) {
  cJSON *h = expected_history(kase);
  actual b = *a;
  b.history = h;
  int bad = edit_history(h, edit) ? verdict(kase, &b, strict, pass, what) : 0;
  cJSON_Delete(h);
  return bad;
}

/* Payloads as JSON text must pass with --strict-history; an extra details
 * key must fail only with it, and so must a wrong id; a changed type must
 * fail always; the events reversed pass only where the order was
 * normalised. */
static int selftest_history(const cJSON *kase, const actual *a) {
  if (!cJSON_IsArray(asl_json_get(kase, "history_event_types"))) return 0;
  int set = parallel_normalised(kase);
  return history_variant(kase, a, H_REVERSE, 1, set, "events reversed") +
         history_variant(kase, a, H_TEXT, 1, 1, "payloads as JSON text") +
         history_variant(kase, a, H_DETAILS, 0, 1, "details without strict") +
         history_variant(kase, a, H_DETAILS, 1, 0, "details") +
         history_variant(kase, a, H_ID, 0, 1, "id without strict") +
         history_variant(kase, a, H_ID, 1, 0, "id") +
         history_variant(kase, a, H_TYPE, 0, 0, "event type");
}

/* Self-checks one case; returns its number of problems. */
static int selftest_case(const cJSON *kase) {
  cJSON *h = expected_history(kase), *keep;
  char *kstr;
  actual a = expected_actual(kase, h);
  int bad = verdict(kase, &a, 1, 1, "own expectation");
  actual b = perturbed_result(&a, &keep, &kstr);
  bad += verdict(kase, &b, 0, 0, "result");
  bad += selftest_history(kase, &a);
  cJSON_Delete(keep);
  free(kstr);
  cJSON_Delete(h);
  return bad;
}

/* An invalid definition: its cause must match, the cause + "~" must not. */
static int selftest_invalid(const cJSON *kase) {
  if (!is_definition_error(kase)) return 0;
  const char *cause = get_str(asl_json_get(kase, "expect"), "cause");
  char *pert = asl_sprintf("%s~", cause ? cause : "");
  strlist p = {0}, q = {0};
  check_invalid(kase, cause, &p);
  check_invalid(kase, pert, &q);
  int bad = (p.n != 0) + (q.n == 0);
  if (bad) printf("SELF-MISMATCH %s: invalid cause\n", case_id(kase));
  sl_free(&p);
  sl_free(&q);
  free(pert);
  return bad;
}

typedef struct selftest_state {
  int cases, problems;
} selftest_state;

static selftest_state self;

static void self_case(runner *R, const char *file, const cJSON *kase) {
  if (!wanted(R, case_id(kase))) return;
  self.cases++;
  self.problems += selftest_case(kase);
}

static void self_invalid(runner *R, const char *file, const cJSON *kase) {
  if (!wanted(R, case_id(kase))) return;
  self.cases++;
  self.problems += selftest_invalid(kase);
}

static int selftest(runner *R) {
  char *cases = asl_sprintf("%s/cases", R->o.dir);
  char *invalid = asl_sprintf("%s/invalid", R->o.dir);
  int rc = for_each_doc(R, cases, self_case);
  if (rc == 0) rc = for_each_doc(R, invalid, self_invalid);
  free(cases);
  free(invalid);
  self.problems += sum_tallies(R).fail; /* files that did not parse */
  if (rc != 0) return 2;
  printf("selftest: %d cases, %d problems\n", self.cases, self.problems);
  return self.problems ? 1 : 0;
}

/* ---- main ---- */

static void usage(void) {
  fputs("usage: conformance DIR [--only SUBSTR] [--verbose] "
        "[--failures FILE]\n"
        "                   [--all] [--strict-history] [--list-skipped]\n"
        "  DIR             tests/conformance (holds cases/ and invalid/)\n"
        "  --only SUBSTR   only the cases whose id contains SUBSTR\n"
        "  --verbose       each failing case with up to 5 problems\n"
        "  --failures FILE one JSON line per failing case\n"
        "  --all           run the cases the scope table skips too\n"
        "  --strict-history  compare event ids and *EventDetails too\n"
        "  --list-skipped  each skipped case with its reason\n",
        stderr);
}

/* Parses argv into o; -1 on a usage error. */
static int parse_args(int argc, char **argv, options *o) {
  static const struct flag {
    const char *name;
    size_t off;
  } flags[] = {
      {"--verbose", offsetof(options, verbose)},
      {"--all", offsetof(options, all)},
      {"--strict-history", offsetof(options, strict_history)},
      {"--list-skipped", offsetof(options, list_skipped)},
      {"--selftest", offsetof(options, selftest)},
  };
  *o = (options){0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    size_t k = 0;
    for (; k < sizeof flags / sizeof flags[0]; k++)
      if (strcmp(a, flags[k].name) == 0) break;
    if (k < sizeof flags / sizeof flags[0])
      *(int *)((char *)o + flags[k].off) = 1;
    else if (strcmp(a, "--only") == 0 && i + 1 < argc)
      o->only = argv[++i];
    else if (strcmp(a, "--failures") == 0 && i + 1 < argc)
      o->failures = argv[++i];
    else if (a[0] != '-' && !o->dir)
      o->dir = a;
    else
      return -1;
  }
  return o->dir ? 0 : -1;
}

int main(int argc, char **argv) {
  runner R = {0};
  asl_cli_hasher_install();
  /* --pool: run on the small-block allocator the asl command uses (a
   * no-op under AddressSanitizer) */
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--pool") == 0) {
      asl_pool_install();
      for (int j = i; j + 1 < argc; j++) argv[j] = argv[j + 1];
      argc--;
      break;
    }
  if (parse_args(argc, argv, &R.o) != 0) {
    usage();
    return 2;
  }
  if (iso_init() != 0) return 2;
  int rc;
  if (R.o.failures && !(R.failures = fopen(R.o.failures, "w"))) {
    fprintf(stderr, "conformance: cannot write %s\n", R.o.failures);
    rc = 2;
  } else {
    rc = R.o.selftest ? selftest(&R) : run_all(&R);
  }
  if (R.failures) fclose(R.failures);
  free_tallies(&R);
  regfree(&iso_re);
  return rc;
}
