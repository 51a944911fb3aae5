/* choice_rule.c: Choice state rules in JSONPath mode.
 *
 * Every comparison operator lives in one table (ops[] below): its name, the
 * type its operand must have, whether the operand is a path evaluated at run
 * time ("...Path"), the relation it tests and the function that tests it.
 * Compiling checks the rule the way AWS's schema validation does and decodes
 * a literal operand once; evaluating looks the Variable up and applies the
 * test. As AWS does, a value of the wrong type simply does not match. */
#include "choice_rule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "../engine/path.h"

#define SCHEMA "SCHEMA_VALIDATION_FAILED"

/* AWS's cause when Variable, or the path operand of a "...Path" operator,
 * selects nothing. The executor prefixes "An error occurred while executing
 * the state ..." as it does for every States.Runtime failure. */
#define INVALID_PATH_CAUSE                                                     \
  "Invalid path '%s': The choice state's condition path references an "        \
  "invalid value."

/* ---- instants ---- */

/* An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds [0, 1e9).
 * Kept exact so that fractions down to the nanosecond compare correctly. */
typedef struct instant {
  int64_t sec;
  int32_t nsec;
} instant;

/* Reads exactly n decimal digits at s into *out; 0 when they are not. */
static int read_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (0 <= y <= 9999) in the proleptic Gregorian
 * calendar: the whole years since 0000-01-01 (year 0 is a leap year of 366
 * days, then 365 a year plus the leap days of years 1..y-1), then this
 * year's earlier months. */
static int64_t days_since_epoch(int y, int m, int d) {
  int64_t days = 0;
  if (y > 0) {
    int64_t py = y - 1;
    days = 366 + 365 * py + py / 4 - py / 100 + py / 400;
  }
  for (int i = 1; i < m; i++)
    days += month_days(y, i);
  days += d - 1;
  /* 719528 = days from 0000-01-01 to 1970-01-01. */
  return days - 719528;
}

/* Parses the date and time part "YYYY-MM-DDTHH:MM:SS"; sets *t to the local
 * seconds (no offset yet). Returns the length read, or 0. */
static size_t parse_datetime(const char *s, instant *t) {
  int y, mo, d, h, mi, se;
  if (!read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &mo) ||
      s[7] != '-' || !read_digits(s + 8, 2, &d) || s[10] != 'T' ||
      !read_digits(s + 11, 2, &h) || s[13] != ':' ||
      !read_digits(s + 14, 2, &mi) || s[16] != ':' ||
      !read_digits(s + 17, 2, &se))
    return 0;
  if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
      mi > 59 || se > 59)
    return 0;
  t->sec = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  t->nsec = 0;
  return 19;
}

/* Parses ".f" with 1 to 9 digits into t->nsec. Returns the length read (0
 * when there is no fraction), or -1 when the fraction is malformed. */
static int parse_fraction(const char *s, instant *t) {
  if (*s != '.') return 0;
  int n = 0, v = 0;
  while (s[1 + n] >= '0' && s[1 + n] <= '9') {
    if (n == 9) return -1;
    v = v * 10 + (s[1 + n] - '0');
    n++;
  }
  if (n == 0) return -1;
  for (int i = n; i < 9; i++)
    v *= 10;
  t->nsec = v;
  return 1 + n;
}

/* Parses "Z" or "+HH:MM"/"-HH:MM" (at most 18:00, Java's ZoneOffset range)
 * that must end the string; moves t from local time to UTC. */
static int parse_offset(const char *s, instant *t) {
  if (s[0] == 'Z') return s[1] == 0;
  if (s[0] != '+' && s[0] != '-') return 0;
  int h, m;
  if (!read_digits(s + 1, 2, &h) || s[3] != ':' || !read_digits(s + 4, 2, &m) ||
      s[6] != 0)
    return 0;
  if (m > 59 || h * 60 + m > 18 * 60) return 0;
  int64_t off = (int64_t)h * 3600 + m * 60;
  t->sec += s[0] == '+' ? -off : off;
  return 1;
}

/* Strict RFC3339 (see choice_rule.h); 1 and *t when s is a timestamp. */
static int parse_instant(const char *s, instant *t) {
  size_t n = parse_datetime(s, t);
  if (!n) return 0;
  int f = parse_fraction(s + n, t);
  if (f < 0) return 0;
  return parse_offset(s + n + (size_t)f, t);
}

int asl_choice_parse_timestamp(const char *s, double *epoch_seconds) {
  instant t;
  if (!s || !parse_instant(s, &t)) return -1;
  *epoch_seconds = (double)t.sec + t.nsec / 1e9;
  return 0;
}

static int instant_cmp(const instant *a, const instant *b) {
  if (a->sec != b->sec) return a->sec < b->sec ? -1 : 1;
  return a->nsec < b->nsec ? -1 : a->nsec > b->nsec;
}

/* ---- strings ---- */

/* Decodes the code point at s[*i] (UTF-8) and advances *i. A malformed
 * sequence yields its first byte as it is, so every byte is consumed. */
static uint32_t utf8_next(const unsigned char *s, size_t *i) {
  unsigned char c = s[*i];
  int n = c >= 0xF0 && c < 0xF8 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (c >= 0xF8) n = 0;
  uint32_t cp = n == 3 ? c & 0x07u : n == 2 ? c & 0x0Fu : c & 0x1Fu;
  for (int k = 1; k <= n; k++) {
    if ((s[*i + k] & 0xC0) != 0x80) {
      (*i)++;
      return c;
    }
    cp = (cp << 6) | (s[*i + k] & 0x3Fu);
  }
  *i += (size_t)n + 1;
  return n ? cp : c;
}

/* The UTF-16 code units of cp: 1 or 2 (a surrogate pair). */
static int utf16_units(uint32_t cp, uint16_t u[2]) {
  if (cp < 0x10000) {
    u[0] = (uint16_t)cp;
    return 1;
  }
  cp -= 0x10000;
  u[0] = (uint16_t)(0xD800 + (cp >> 10));
  u[1] = (uint16_t)(0xDC00 + (cp & 0x3FF));
  return 2;
}

/* Java's String.compareTo: by UTF-16 code units, a proper prefix first.
 * Differs from byte order where U+E000..U+FFFF meet supplementary
 * characters, whose high surrogates sort below U+E000. */
static int java_compare(const char *a, const char *b) {
  const unsigned char *x = (const unsigned char *)a;
  const unsigned char *y = (const unsigned char *)b;
  size_t i = 0, j = 0;
  while (x[i] && y[j]) {
    uint32_t ca = utf8_next(x, &i), cb = utf8_next(y, &j);
    if (ca == cb) continue;
    uint16_t ua[2], ub[2];
    int na = utf16_units(ca, ua), nb = utf16_units(cb, ub);
    if (ua[0] != ub[0]) return ua[0] < ub[0] ? -1 : 1;
    if (na == 2 && nb == 2) return ua[1] < ub[1] ? -1 : 1;
    return na < nb ? -1 : 1; /* not reached for valid UTF-8 */
  }
  return x[i] ? 1 : y[j] ? -1 : 0;
}

/* ---- StringMatches patterns ---- */

#define GLOB_STAR (-1)

/* Compiles a StringMatches pattern: "*" matches any run of characters,
 * "\*" a literal star and "\\" a backslash; a backslash before any other
 * character stands for that character, and a trailing one for itself.
 * Returns the elements (bytes, or GLOB_STAR) and their count. */
static int *glob_compile(const char *p, size_t *n) {
  size_t len = strlen(p), k = 0;
  int *g = asl_malloc((len + 1) * sizeof *g);
  for (size_t i = 0; i < len; i++) {
    if (p[i] == '\\' && i + 1 < len)
      g[k++] = (unsigned char)p[++i];
    else
      g[k++] = p[i] == '*' ? GLOB_STAR : (unsigned char)p[i];
  }
  *n = k;
  return g;
}

/* Matches s against the whole pattern. On a mismatch after a star, retries
 * with that star swallowing one more byte: linear memory, O(|s|*|g|) time. */
static int glob_match(const int *g, size_t n, const char *s) {
  size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0, len = strlen(s);
  while (si < len) {
    if (pi < n && g[pi] == GLOB_STAR) {
      star = pi++;
      mark = si;
    } else if (pi < n && g[pi] == (unsigned char)s[si]) {
      pi++;
      si++;
    } else if (star != SIZE_MAX) {
      pi = star + 1;
      si = ++mark;
    } else {
      return 0;
    }
  }
  while (pi < n && g[pi] == GLOB_STAR)
    pi++;
  return pi == n;
}

/* ---- the operator table ---- */

typedef enum { T_STRING, T_NUMBER, T_BOOLEAN, T_TIMESTAMP, T_TEST } opnd_type;
typedef enum { R_EQ, R_LT, R_GT, R_LE, R_GE } relation;

/* A decoded operand: the field its type uses. str is borrowed. */
typedef struct operand {
  const char *str;
  double num;
  int b;
  instant t;
  const int *glob;
  size_t nglob;
} operand;

/* Tests value (NULL only for IsPresent on a missing Variable). */
typedef int (*test_fn)(const cJSON *v, const operand *o, relation rel);

typedef struct op_def {
  const char *name;
  opnd_type type;
  int is_path; /* the operand is a path, evaluated in the same scope */
  relation rel;
  test_fn test;
} op_def;

static int holds(int c, relation rel) {
  switch (rel) {
  case R_EQ:
    return c == 0;
  case R_LT:
    return c < 0;
  case R_GT:
    return c > 0;
  case R_LE:
    return c <= 0;
  case R_GE:
    return c >= 0;
  }
  return 0;
}

static int test_string(const cJSON *v, const operand *o, relation rel) {
  return cJSON_IsString(v) && holds(java_compare(v->valuestring, o->str), rel);
}

static int test_matches(const cJSON *v, const operand *o, relation rel) {
  return cJSON_IsString(v) && glob_match(o->glob, o->nglob, v->valuestring);
}

static int test_number(const cJSON *v, const operand *o, relation rel) {
  if (!cJSON_IsNumber(v)) return 0;
  double a = v->valuedouble;
  return holds(a < o->num ? -1 : a > o->num, rel);
}

static int test_boolean(const cJSON *v, const operand *o, relation rel) {
  return cJSON_IsBool(v) && !cJSON_IsTrue(v) == !o->b;
}

static int test_timestamp(const cJSON *v, const operand *o, relation rel) {
  instant t;
  return cJSON_IsString(v) && parse_instant(v->valuestring, &t) &&
         holds(instant_cmp(&t, &o->t), rel);
}

static int test_is_null(const cJSON *v, const operand *o, relation rel) {
  return !cJSON_IsNull(v) == !o->b;
}

static int test_is_present(const cJSON *v, const operand *o, relation rel) {
  return !v == !o->b;
}

static int test_is_numeric(const cJSON *v, const operand *o, relation rel) {
  return !cJSON_IsNumber(v) == !o->b;
}

static int test_is_string(const cJSON *v, const operand *o, relation rel) {
  return !cJSON_IsString(v) == !o->b;
}

static int test_is_boolean(const cJSON *v, const operand *o, relation rel) {
  return !cJSON_IsBool(v) == !o->b;
}

static int test_is_timestamp(const cJSON *v, const operand *o, relation rel) {
  instant t;
  int is = cJSON_IsString(v) && parse_instant(v->valuestring, &t);
  return !is == !o->b;
}

#define OP2(name, type, rel, fn)                                               \
  {name, type, 0, rel, fn}, { name "Path", type, 1, rel, fn }

static const op_def ops[] = {
    OP2("StringEquals", T_STRING, R_EQ, test_string),
    OP2("StringLessThan", T_STRING, R_LT, test_string),
    OP2("StringGreaterThan", T_STRING, R_GT, test_string),
    OP2("StringLessThanEquals", T_STRING, R_LE, test_string),
    OP2("StringGreaterThanEquals", T_STRING, R_GE, test_string),
    {"StringMatches", T_STRING, 0, R_EQ, test_matches},
    OP2("NumericEquals", T_NUMBER, R_EQ, test_number),
    OP2("NumericLessThan", T_NUMBER, R_LT, test_number),
    OP2("NumericGreaterThan", T_NUMBER, R_GT, test_number),
    OP2("NumericLessThanEquals", T_NUMBER, R_LE, test_number),
    OP2("NumericGreaterThanEquals", T_NUMBER, R_GE, test_number),
    OP2("BooleanEquals", T_BOOLEAN, R_EQ, test_boolean),
    OP2("TimestampEquals", T_TIMESTAMP, R_EQ, test_timestamp),
    OP2("TimestampLessThan", T_TIMESTAMP, R_LT, test_timestamp),
    OP2("TimestampGreaterThan", T_TIMESTAMP, R_GT, test_timestamp),
    OP2("TimestampLessThanEquals", T_TIMESTAMP, R_LE, test_timestamp),
    OP2("TimestampGreaterThanEquals", T_TIMESTAMP, R_GE, test_timestamp),
    {"IsNull", T_TEST, 0, R_EQ, test_is_null},
    {"IsPresent", T_TEST, 0, R_EQ, test_is_present},
    {"IsNumeric", T_TEST, 0, R_EQ, test_is_numeric},
    {"IsString", T_TEST, 0, R_EQ, test_is_string},
    {"IsBoolean", T_TEST, 0, R_EQ, test_is_boolean},
    {"IsTimestamp", T_TEST, 0, R_EQ, test_is_timestamp},
};

#define N_OPS (sizeof ops / sizeof ops[0])

static const op_def *op_find(const char *name) {
  for (size_t i = 0; i < N_OPS; i++)
    if (strcmp(ops[i].name, name) == 0) return &ops[i];
  return NULL;
}

/* Decodes v as an operand of type ty; 0 when v is not of that type (a
 * timestamp must also parse). o->str borrows from v. */
static int operand_decode(opnd_type ty, const cJSON *v, operand *o) {
  switch (ty) {
  case T_STRING:
    if (!cJSON_IsString(v)) return 0;
    o->str = v->valuestring;
    return 1;
  case T_NUMBER:
    if (!cJSON_IsNumber(v)) return 0;
    o->num = v->valuedouble;
    return 1;
  case T_BOOLEAN:
  case T_TEST:
    if (!cJSON_IsBool(v)) return 0;
    o->b = cJSON_IsTrue(v);
    return 1;
  case T_TIMESTAMP:
    return cJSON_IsString(v) && parse_instant(v->valuestring, &o->t);
  }
  return 0;
}

/* ---- compiled rules ---- */

typedef enum { K_AND, K_OR, K_NOT, K_CMP } rule_kind;

struct asl_choice_rule {
  rule_kind kind;
  asl_choice_rule **kids; /* And, Or: n >= 1; Not: n == 1 */
  size_t n;
  const op_def *op;    /* K_CMP */
  asl_path *var;       /* K_CMP: Variable */
  asl_path *opnd_path; /* K_CMP with op->is_path */
  operand lit;         /* K_CMP literal operand, decoded */
  char *str;           /* owned storage behind lit.str */
  int *glob;           /* owned storage behind lit.glob */
};

void asl_choice_rule_free(asl_choice_rule *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++)
    asl_choice_rule_free(r->kids[i]);
  free(r->kids);
  asl_path_free(r->var);
  asl_path_free(r->opnd_path);
  free(r->str);
  free(r->glob);
  free(r);
}

static const char *const selectors[] = {"And", "Or", "Not", "Variable"};

static int is_selector(const char *k) {
  for (size_t i = 0; i < 4; i++)
    if (strcmp(k, selectors[i]) == 0) return 1;
  return 0;
}

static int is_top_field(const char *k) {
  return strcmp(k, "Next") == 0 || strcmp(k, "Assign") == 0 ||
         strcmp(k, "Comment") == 0;
}

/* "There should only be one of the following fields: [StringEquals, ...]"
 * with every operator, in table order. New string. */
static char *operator_list(void) {
  asl_buf b = {0};
  for (size_t i = 0; i < N_OPS; i++) {
    if (i) asl_buf_puts(&b, ", ");
    asl_buf_puts(&b, ops[i].name);
  }
  return asl_buf_take(&b);
}

/* Reports every member AWS's schema does not allow in this rule, and a
 * missing Next at the top level. Operators are reported only beside And, Or
 * or Not: beside Variable compile_cmp counts them, and with no selector at
 * all the selector message says it. */
static void check_fields(const cJSON *rule, const char *loc, int top,
                         int has_var, int nsel, asl_diags *d) {
  const cJSON *m;
  cJSON_ArrayForEach(m, rule) {
    const char *k = m->string;
    if (is_selector(k) || (top && is_top_field(k))) continue;
    if (op_find(k) && (has_var || nsel == 0)) continue;
    asl_diag_add(d, SCHEMA, loc, "Field '%s' is not supported", k);
  }
  if (top && !asl_json_get(rule, "Next"))
    asl_diag_add(d, SCHEMA, loc, "These fields are required: [Next]");
}

static void type_error(asl_diags *d, const char *loc, const char *field,
                       const char *type) {
  char *at = asl_sprintf("%s/%s", loc, field);
  asl_diag_add(d, SCHEMA, at, "Expected value of type %s", type);
  free(at);
}

static const char *type_name(opnd_type ty) {
  switch (ty) {
  case T_STRING:
    return "String";
  case T_NUMBER:
    return "Number";
  case T_BOOLEAN:
  case T_TEST:
    return "Boolean";
  case T_TIMESTAMP:
    return "String";
  }
  return "String";
}

/* Compiles the path in field (a string) of rule; reports AWS's message. */
static asl_path *compile_path_field(const cJSON *rule, const char *field,
                                    const char *loc, asl_diags *d) {
  const cJSON *v = asl_json_get(rule, field);
  if (!cJSON_IsString(v)) {
    type_error(d, loc, field, "String");
    return NULL;
  }
  char *msg = NULL;
  asl_path *p = asl_path_compile(v->valuestring, 0, &msg);
  free(msg);
  if (!p)
    asl_diag_add(d, SCHEMA, loc,
                 "The value for the field '%s' must be a valid JSONPath",
                 field);
  return p;
}

/* Decodes a literal operand into r (copying what it borrows). */
static void compile_literal(asl_choice_rule *r, const cJSON *v, const char *loc,
                            asl_diags *d) {
  const op_def *op = r->op;
  if (operand_decode(op->type, v, &r->lit)) {
    if (op->type == T_STRING) {
      r->str = asl_strdup(v->valuestring);
      r->lit.str = r->str;
    }
    if (op->test == test_matches) {
      r->glob = glob_compile(v->valuestring, &r->lit.nglob);
      r->lit.glob = r->glob;
    }
    return;
  }
  if (op->type == T_TIMESTAMP && cJSON_IsString(v)) {
    char *at = asl_sprintf("%s/%s", loc, op->name);
    asl_diag_add(d, SCHEMA, at, "String does not match RFC3339 timestamp");
    free(at);
    return;
  }
  type_error(d, loc, op->name, type_name(op->type));
}

/* A comparison: Variable and exactly one operator. */
static void compile_cmp(asl_choice_rule *r, const cJSON *rule, const char *loc,
                        asl_diags *d) {
  r->kind = K_CMP;
  r->var = compile_path_field(rule, "Variable", loc, d);
  const cJSON *m, *opnd = NULL;
  size_t n = 0;
  cJSON_ArrayForEach(m, rule) {
    const op_def *op = op_find(m->string);
    if (!op) continue;
    r->op = op;
    opnd = m;
    n++;
  }
  if (n != 1) {
    char *list = operator_list();
    asl_diag_add(d, SCHEMA, loc,
                 "There should only be one of the following fields: [%s]",
                 list);
    free(list);
    return;
  }
  if (r->op->is_path)
    r->opnd_path = compile_path_field(rule, r->op->name, loc, d);
  else
    compile_literal(r, opnd, loc, d);
}

static asl_choice_rule *compile_rule(const cJSON *rule, const char *loc,
                                     int top, asl_diags *d);

/* And / Or: a non-empty array of rules. */
static void compile_list(asl_choice_rule *r, const cJSON *rule,
                         const char *field, const char *loc, asl_diags *d) {
  const cJSON *arr = asl_json_get(rule, field);
  char *at = asl_sprintf("%s/%s", loc, field);
  if (!cJSON_IsArray(arr)) {
    asl_diag_add(d, SCHEMA, at, "Expected value of type Array");
  } else if (!arr->child) {
    asl_diag_add(d, SCHEMA, at, "Value cannot be empty");
  } else {
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    r->kids = asl_calloc(n, sizeof *r->kids);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
      char *el = asl_sprintf("%s/%zu", at, i);
      r->kids[i++] = compile_rule(e, el, 0, d);
      free(el);
    }
    r->n = n;
  }
  free(at);
}

static void compile_not(asl_choice_rule *r, const cJSON *rule, const char *loc,
                        asl_diags *d) {
  char *at = asl_sprintf("%s/Not", loc);
  r->kind = K_NOT;
  r->kids = asl_calloc(1, sizeof *r->kids);
  r->kids[0] = compile_rule(asl_json_get(rule, "Not"), at, 0, d);
  r->n = 1;
  free(at);
}

/* Compiles one rule; may return a partial rule when d got errors (the
 * caller checks d). */
static asl_choice_rule *compile_rule(const cJSON *rule, const char *loc,
                                     int top, asl_diags *d) {
  if (!cJSON_IsObject(rule)) {
    asl_diag_add(d, SCHEMA, loc, "Expected value of type Object");
    return NULL;
  }
  int nsel = 0;
  for (size_t i = 0; i < 4; i++)
    if (asl_json_get(rule, selectors[i])) nsel++;
  int has_var = asl_json_get(rule, "Variable") != NULL;
  check_fields(rule, loc, top, has_var, nsel, d);
  if (nsel != 1) {
    asl_diag_add(d, SCHEMA, loc,
                 "The object must have only one of the following fields, "
                 "[And, Or, Not, Variable, Condition]");
    return NULL;
  }
  asl_choice_rule *r = asl_calloc(1, sizeof *r);
  if (has_var)
    compile_cmp(r, rule, loc, d);
  else if (asl_json_get(rule, "Not"))
    compile_not(r, rule, loc, d);
  else {
    r->kind = asl_json_get(rule, "And") ? K_AND : K_OR;
    compile_list(r, rule, r->kind == K_AND ? "And" : "Or", loc, d);
  }
  return r;
}

asl_choice_rule *asl_choice_rule_compile(const cJSON *rule, const char *loc,
                                         int top, asl_diags *d) {
  size_t before = asl_diag_errors(d);
  asl_choice_rule *r = compile_rule(rule, loc ? loc : "", top, d);
  if (asl_diag_errors(d) == before) return r;
  asl_choice_rule_free(r);
  return NULL;
}

/* ---- evaluation ---- */

/* Evaluates p; on a miss sets AWS's States.Runtime error and returns -1. */
static int eval_path(const asl_path *p, const asl_scope *s, cJSON **out,
                     asl_error *err) {
  *out = NULL;
  if (asl_path_eval(p, s, out, NULL) == 0) return 0;
  cJSON_Delete(*out);
  *out = NULL;
  return asl_error_set(err, "States.Runtime", INVALID_PATH_CAUSE,
                       asl_path_text(p));
}

static int eval_cmp(const asl_choice_rule *r, const asl_scope *s, int *matched,
                    asl_error *err) {
  cJSON *v = NULL;
  if (asl_path_eval(r->var, s, &v, NULL) != 0) {
    cJSON_Delete(v);
    v = NULL;
    if (r->op->test != test_is_present)
      return asl_error_set(err, "States.Runtime", INVALID_PATH_CAUSE,
                           asl_path_text(r->var));
  }
  operand o = r->lit;
  cJSON *ov = NULL;
  if (r->op->is_path) {
    if (eval_path(r->opnd_path, s, &ov, err) != 0) {
      cJSON_Delete(v);
      return -1;
    }
    /* An operand of the wrong type matches nothing, like the Variable. */
    if (!operand_decode(r->op->type, ov, &o)) {
      *matched = 0;
      cJSON_Delete(v);
      cJSON_Delete(ov);
      return 0;
    }
  }
  *matched = r->op->test(v, &o, r->op->rel) ? 1 : 0;
  cJSON_Delete(v);
  cJSON_Delete(ov);
  return 0;
}

/* And / Or stop at the first rule that decides, left to right. */
static int eval_list(const asl_choice_rule *r, const asl_scope *s, int *matched,
                     asl_error *err) {
  int want = r->kind == K_OR; /* the value that decides */
  for (size_t i = 0; i < r->n; i++) {
    int m = 0;
    if (asl_choice_rule_eval(r->kids[i], s, &m, err) != 0) return -1;
    if (m == want) {
      *matched = want;
      return 0;
    }
  }
  *matched = !want;
  return 0;
}

int asl_choice_rule_eval(const asl_choice_rule *r, const asl_scope *s,
                         int *matched, asl_error *err) {
  *matched = 0;
  switch (r->kind) {
  case K_CMP:
    return eval_cmp(r, s, matched, err);
  case K_NOT: {
    int m = 0;
    if (asl_choice_rule_eval(r->kids[0], s, &m, err) != 0) return -1;
    *matched = !m;
    return 0;
  }
  case K_AND:
  case K_OR:
    return eval_list(r, s, matched, err);
  }
  return 0;
}
