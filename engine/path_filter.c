/* path_filter.c: JSONPath filter expressions, "[?( ... )]", as Jayway
 * reads and evaluates them: "||", "&&", "!", parentheses, comparisons
 * (==, !=, <, <=, >, >=, =~, in, nin) between "@" or "$" paths and
 * literals (strings, numbers, true/false/null, JSON, /regex/), and a lone
 * path as an existence test. Java regexes are translated to anchored POSIX
 * EREs at compile time.
 *
 * path.c finds the filter's bounds and calls pf_parse_binary on its body;
 * its walk calls pf_accept for each candidate. The shared types are in
 * path_int.h. */
#include "path_int.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---- filter expressions: [?( ... )] ---- */

/* A filter node, counted against the budget like tokens. */
static fexpr *new_node(parser *p, int kind) {
  if (--*p->budget < 0) {
    path_fail(p, p->pos, "path too long");
    return NULL;
  }
  fexpr *e = asl_calloc(1, sizeof *e);
  e->kind = kind;
  return e;
}

static int starts(const parser *p, size_t i, const char *lit) {
  size_t n = strlen(lit);
  return i + n <= p->end && memcmp(p->s + i, lit, n) == 0;
}

/* Consumes lit after optional blanks; 0 when it is not there. */
static int eat(parser *p, const char *lit) {
  size_t i = path_skip_ws(p, p->pos);
  if (!starts(p, i, lit)) return 0;
  p->pos = i + strlen(lit);
  return 1;
}

static void put_utf8(asl_buf *b, unsigned cp) {
  char u[3];
  if (cp < 0x80) {
    asl_buf_putc(b, (char)cp);
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | cp >> 6);
    u[1] = (char)(0x80 | (cp & 0x3F));
    asl_buf_add(b, u, 2);
  } else {
    u[0] = (char)(0xE0 | cp >> 12);
    u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    asl_buf_add(b, u, 3);
  }
}

/* A string literal's escapes: \n \t \r \b \f \uXXXX, else the char. */
static char *unescape(const char *s, size_t n) {
  static const char from[] = "ntrbf", to[] = "\n\t\r\b\f";
  asl_buf b = {0};
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\\' && i + 1 < n) {
      c = s[++i];
      unsigned cp;
      const char *m = path_in_set(c, from) ? strchr(from, c) : NULL;
      if (m) {
        c = to[m - from];
      } else if (c == 'u' && i + 4 < n && sscanf(s + i + 1, "%4x", &cp) == 1 &&
                 isxdigit((unsigned char)s[i + 4])) {
        put_utf8(&b, cp);
        i += 4;
        continue;
      }
    }
    asl_buf_putc(&b, c);
  }
  return asl_buf_take(&b);
}

static int parse_string(parser *p, fval *v) {
  size_t k = path_skip_quoted(p->s, p->pos, p->end);
  if (k >= p->end) return path_fail(p, p->pos, "unterminated string");
  char *u = unescape(p->s + p->pos + 1, k - p->pos - 1);
  v->lit = path_must(cJSON_CreateString(u));
  free(u);
  p->pos = k + 1;
  return 0;
}

static const char *class_escape(char c, int in_class) {
  static const struct {
    char c;
    const char *out, *in;
  } T[] = {
      {'d', "[0-9]", "0-9"},
      {'D', "[^0-9]", NULL},
      {'w', "[A-Za-z0-9_]", "A-Za-z0-9_"},
      {'W', "[^A-Za-z0-9_]", NULL},
      {'s', "[[:space:]]", "[:space:]"},
      {'S', "[^[:space:]]", NULL},
  };
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
    if (T[i].c == c) return in_class ? T[i].in : T[i].out;
  return NULL;
}

static void put_escaped(asl_buf *b, char c, int in_class) {
  static const char from[] = "ntrf", to[] = "\n\t\r\f";
  const char *m = path_in_set(c, from) ? strchr(from, c) : NULL;
  if (m)
    c = to[m - from];
  else if (!in_class && c != '/')
    asl_buf_putc(b, '\\');
  asl_buf_putc(b, c);
}

/* Java regex to an anchored POSIX ERE (Jayway uses matches(): the whole
 * input). Class escapes become bracket expressions, "(?:" a group, lazy and
 * possessive quantifiers greedy ones (the same answer for a whole-input
 * match, but for rare possessive cases). A third quantifier in a row, an
 * error in Java, gives NULL; other Java syntax (lookaround, (?i)) fails in
 * regcomp, so at compile time too. */
static char *java_to_posix(const char *s, size_t n) {
  asl_buf b = {0};
  int in_class = 0, quant = 0;
  asl_buf_puts(&b, "^(");
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\\' && i + 1 < n) {
      const char *cls = class_escape(s[++i], in_class);
      if (cls)
        asl_buf_puts(&b, cls);
      else
        put_escaped(&b, s[i], in_class);
      quant = 0;
      continue;
    }
    if (quant && path_in_set(c, "*+?{")) {
      if (quant == 2 || !path_in_set(c, "?+")) {
        asl_buf_free(&b);
        return NULL;
      }
      quant = 2; /* the modifier is dropped */
      continue;
    }
    asl_buf_putc(&b, c);
    if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = 1;
      if (i + 1 < n && s[i + 1] == '^') asl_buf_putc(&b, s[++i]);
      if (i + 1 < n && s[i + 1] == ']') asl_buf_putc(&b, s[++i]);
    } else if (c == '(' && i + 2 < n && s[i + 1] == '?' && s[i + 2] == ':') {
      i += 2;
    }
    quant = !in_class && path_in_set(c, "*+?}") ? 1 : 0;
  }
  asl_buf_puts(&b, ")$");
  return asl_buf_take(&b);
}

/* The repeat count a quantifier at s stands for, and its length. */
static double repeats(const char *s, size_t *len) {
  *len = 1;
  if (*s != '{') return *s == '+' ? 2 : 1;
  char *end;
  double lo = strtod(s + 1, &end), hi = lo + 1;
  if (*end == ',' && isdigit((unsigned char)end[1]))
    hi = strtod(end + 1, &end);
  else if (*end == ',')
    end++;
  const char *close = strchr(s, '}');
  *len = close ? (size_t)(close - s) + 1 : 1;
  return hi > lo ? hi : lo;
}

/* Estimates the nodes glibc's regcomp builds for an ERE: it copies a
 * subpattern for each bounded repeat, so nested repeats multiply and a
 * few characters can exhaust memory. Too big or too deep is refused. */
static int regex_too_big(const char *re) {
  double sum[MAX_NESTING + 1] = {0}, last[MAX_NESTING + 1] = {0};
  int d = 0;
  for (const char *s = re; *s; s++) {
    double item = 1;
    size_t len;
    if (*s == '(') {
      if (++d > MAX_NESTING) return 1;
      sum[d] = last[d] = 0;
      continue;
    }
    if (path_in_set(*s, "*+?{")) {
      double q = repeats(s, &len);
      sum[d] += last[d] * (q - 1);
      last[d] *= q;
      s += len - 1;
    } else {
      if (*s == ')' && d > 0)
        item = sum[d--];
      else if (*s == '\\' && s[1])
        s++;
      sum[d] += item;
      last[d] = item;
    }
    if (sum[d] > 2000) return 1;
  }
  return 0;
}

static int parse_regex(parser *p, fval *v) {
  size_t k = path_skip_quoted(p->s, p->pos, p->end);
  if (k >= p->end)
    return path_fail(p, p->pos, "unterminated regular expression");
  int icase = k + 1 < p->end && p->s[k + 1] == 'i';
  char *re = java_to_posix(p->s + p->pos + 1, k - p->pos - 1);
  if (!re) return path_fail(p, p->pos, "unsupported regular expression");
  if (regex_too_big(re)) {
    free(re);
    return path_fail(p, p->pos, "regular expression too large");
  }
  int rc =
      regcomp(&v->re, re, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
  free(re);
  if (rc != 0) return path_fail(p, p->pos, "unsupported regular expression");
  v->kind = FV_REGEX;
  p->pos = k + 1 + (size_t)icase;
  return 0;
}

/* Jayway reads JSON literals with json-smart, which takes 'single quoted'
 * strings; cJSON does not, so they are rewritten with double quotes. */
static char *requote(const char *s, size_t n) {
  asl_buf b = {0};
  char q = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!q && (c == '\'' || c == '"')) {
      q = c;
      c = '"';
    } else if (q && c == '\\' && i + 1 < n) {
      if (q == '\'' && s[i + 1] == '\'')
        i++;
      else
        asl_buf_putc(&b, s[i++]);
      c = s[i];
    } else if (q && c == q) {
      q = 0;
      c = '"';
    } else if (q == '\'' && c == '"') {
      asl_buf_putc(&b, '\\');
    }
    asl_buf_putc(&b, c);
  }
  return asl_buf_take(&b);
}

/* A JSON literal {...} or [...], as used with "in" and "==". */
static int parse_json(parser *p, fval *v) {
  char open = p->s[p->pos], close = open == '[' ? ']' : '}';
  size_t k = path_close_group(p->s, p->pos, p->end, open, close);
  if (k >= p->end) return path_fail(p, p->pos, "unbalanced JSON literal");
  char *t = requote(p->s + p->pos, k + 1 - p->pos);
  v->lit = asl_json_parse(t, strlen(t), NULL);
  free(t);
  if (!v->lit) return path_fail(p, p->pos, "invalid JSON literal");
  p->pos = k + 1;
  return 0;
}

/* true, false, null. */
static int parse_word(parser *p, fval *v) {
  static const char *const W[] = {"true", "false", "null"};
  size_t j = p->pos;
  while (j < p->end && isalnum((unsigned char)p->s[j]))
    j++;
  for (int k = 0; k < 3; k++)
    if (strlen(W[k]) == j - p->pos &&
        !memcmp(W[k], p->s + p->pos, j - p->pos)) {
      v->lit =
          path_must(k == 2 ? cJSON_CreateNull() : cJSON_CreateBool(k == 0));
      p->pos = j;
      return 0;
    }
  return path_fail(p, p->pos, "unexpected word");
}

/* A whole string read as a number (Java's BigDecimal accepts no spaces). */
static int str_num(const char *s, size_t n, double *out) {
  char buf[80];
  if (n == 0 || n >= sizeof buf) return 0;
  memcpy(buf, s, n);
  buf[n] = 0;
  if (!isdigit((unsigned char)buf[0]) && !path_in_set(buf[0], "+-.")) return 0;
  char *end;
  *out = strtod(buf, &end);
  return *end == 0 && isfinite(*out);
}

static int parse_number(parser *p, fval *v) {
  size_t j = p->pos;
  double d;
  while (j < p->end &&
         (isdigit((unsigned char)p->s[j]) || path_in_set(p->s[j], "+-.eE")))
    j++;
  if (j == p->pos) return path_fail_at(p, p->pos);
  if (!str_num(p->s + p->pos, j - p->pos, &d))
    return path_fail(p, p->pos, "invalid number");
  v->lit = path_must(cJSON_CreateNumber(d));
  p->pos = j;
  return 0;
}

/* @... or $...: runs to a space, an operator or a ')' that is not a
 * function call's, skipping [...] groups, as Jayway's readPath does. */
static int parse_fpath(parser *p, fval *v) {
  const char *s = p->s;
  size_t b = p->pos, j = b + 1;
  while (j < p->end && !path_is_ws(s[j]) && !path_in_set(s[j], "<>=!~&|)")) {
    if (s[j] == '[' || s[j] == '(') {
      size_t k = path_close_group(s, j, p->end, s[j], s[j] == '[' ? ']' : ')');
      if (k >= p->end) return path_fail(p, j, "unbalanced brackets");
      j = k;
    }
    j++;
  }
  v->kind = FV_PATH;
  v->at_doc = s[b] == '$';
  v->path = asl_calloc(1, sizeof *v->path);
  if (b + 1 < j && s[b + 1] != '.' && s[b + 1] != '[')
    return path_fail_at(p, b + 1);
  parser sub = path_sub_parser(p, b + 1, j);
  if (path_parse_chain(&sub, v->path) < 0) return -1;
  p->pos = j;
  return 0;
}

/* One operand of a comparison, chosen by its first character. */
static int parse_value(parser *p, fval *v) {
  size_t i = path_skip_ws(p, p->pos);
  if (i >= p->end) return path_fail_at(p, i);
  char c = p->s[i];
  p->pos = i;
  if (c == '@' || c == '$') return parse_fpath(p, v);
  if (c == '\'' || c == '"') return parse_string(p, v);
  if (c == '/') return parse_regex(p, v);
  if (c == '{' || c == '[') return parse_json(p, v);
  if (isalpha((unsigned char)c)) return parse_word(p, v);
  return parse_number(p, v);
}

static const struct {
  const char *s;
  int op;
} OPS[] = {
    {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},   {"<", OP_LT},
    {">", OP_GT},  {"=~", OP_RE}, {"in", OP_IN}, {"nin", OP_NIN},
};

/* A comparison operator: a run of <>=!~ or a word (in, nin). */
static int parse_op(parser *p) {
  size_t i = path_skip_ws(p, p->pos), j = i;
  if (i < p->end && path_in_set(p->s[i], "<>=!~"))
    while (j < p->end && path_in_set(p->s[j], "<>=!~"))
      j++;
  else
    while (j < p->end && isalpha((unsigned char)p->s[j]))
      j++;
  for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
    if (strlen(OPS[k].s) == j - i && memcmp(OPS[k].s, p->s + i, j - i) == 0) {
      p->pos = j;
      return OPS[k].op;
    }
  return path_fail(p, i,
                   j > i ? "unsupported operator" : "expected an operator");
}

/* value [op value]; a lone path is an existence test. */
static fexpr *parse_rel(parser *p) {
  fexpr *e = new_node(p, FE_CMP);
  if (!e || parse_value(p, &e->l) < 0) goto bad;
  size_t i = path_skip_ws(p, p->pos);
  if (i >= p->end || p->s[i] == ')' || starts(p, i, "&&") ||
      starts(p, i, "||")) {
    if (e->l.kind != FV_PATH) {
      path_fail(p, i, "expected an operator");
      goto bad;
    }
    e->kind = FE_EXISTS;
    return e;
  }
  if ((e->op = parse_op(p)) < 0 || parse_value(p, &e->r) < 0) goto bad;
  return e;
bad:
  path_fexpr_free(e);
  return NULL;
}

/* "!" x, "(" expr ")" or a comparison; nesting is bounded. */
static fexpr *parse_unary(parser *p) {
  fexpr *e = NULL;
  if (++p->depth > MAX_NESTING) {
    path_fail(p, p->pos, "filter nested too deeply");
  } else if (eat(p, "!")) {
    e = new_node(p, FE_NOT);
    if (e && !(e->a = parse_unary(p))) {
      free(e);
      e = NULL;
    }
  } else if (eat(p, "(")) {
    e = pf_parse_binary(p, FE_OR);
    if (e && !eat(p, ")")) {
      path_fail_at(p, path_skip_ws(p, p->pos));
      path_fexpr_free(e);
      e = NULL;
    }
  } else {
    e = parse_rel(p);
  }
  p->depth--;
  return e;
}

/* "&&" binds tighter than "||", both left to right. */
fexpr *pf_parse_binary(parser *p, int kind) {
  fexpr *a = kind == FE_OR ? pf_parse_binary(p, FE_AND) : parse_unary(p);
  while (a && eat(p, kind == FE_OR ? "||" : "&&")) {
    fexpr *e = new_node(p, kind);
    fexpr *b = !e              ? NULL
               : kind == FE_OR ? pf_parse_binary(p, FE_AND)
                               : parse_unary(p);
    if (!b) {
      path_fexpr_free(a);
      path_fexpr_free(e);
      return NULL;
    }
    e->a = a;
    e->b = b;
    a = e;
  }
  return a;
}

/* ---- filter evaluation ---- */

typedef struct operand {
  const cJSON *v; /* NULL: undefined (a missing path) or a regex */
  cJSON *own;     /* what v points into, when made here */
  const regex_t *re;
} operand;

/* A path operand is its value when definite (undefined when missing), the
 * array of its results when not. */
static void operand_eval(ev *e, const fval *fv, const cJSON *item, operand *o) {
  memset(o, 0, sizeof *o);
  if (fv->kind != FV_PATH) {
    o->v = fv->lit;
    o->re = fv->kind == FV_REGEX ? &fv->re : NULL;
    return;
  }
  ev sub;
  path_ev_init(&sub, e->r, fv->path);
  path_run_chain(&sub, fv->at_doc ? e->r->root : item);
  if (sub.thrown || (fv->path->definite && sub.nhit == 0)) {
    /* undefined */
  } else if (fv->path->definite) {
    o->v = sub.hit[0];
    o->own = sub.own;
    sub.own = NULL;
  } else {
    o->v = o->own = path_hits_array(&sub);
  }
  path_ev_free(&sub);
}

/* Jayway's equals: numbers by value, also against a numeric string. */
static int val_eq(const cJSON *a, const cJSON *b) {
  double d;
  if (cJSON_IsNumber(a) && cJSON_IsString(b))
    return str_num(b->valuestring, strlen(b->valuestring), &d) &&
           d == a->valuedouble;
  if (cJSON_IsString(a) && cJSON_IsNumber(b)) return val_eq(b, a);
  return asl_json_equal(a, b);
}

/* Does re match v read as a Java string would be? */
static int regex_hit(const regex_t *re, const cJSON *v) {
  char *num = NULL;
  const char *s = "";
  if (cJSON_IsString(v))
    s = v->valuestring;
  else if (cJSON_IsNumber(v))
    s = num = asl_json_print(v);
  else if (cJSON_IsBool(v))
    s = cJSON_IsTrue(v) ? "true" : "false";
  int ok = regexec(re, s, 0, NULL, 0) == 0;
  free(num);
  return ok;
}

/* =~ needs a regex on exactly one side; an array matches when one of its
 * elements does; anything but a string, number or boolean reads as "". */
static int regex_op(const operand *l, const operand *r) {
  if (!l->re == !r->re) return 0;
  const regex_t *re = l->re ? l->re : r->re;
  const cJSON *v = l->re ? r->v : l->v;
  if (!cJSON_IsArray(v)) return regex_hit(re, v);
  for (const cJSON *c = v->child; c; c = c->next)
    if (regex_hit(re, c)) return 1;
  return 0;
}

/* <, <=, >, >= compare two numbers or two strings; else false. */
static int order_op(int op, const cJSON *a, const cJSON *b) {
  int c;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    c = (a->valuedouble > b->valuedouble) - (a->valuedouble < b->valuedouble);
  else if (cJSON_IsString(a) && cJSON_IsString(b))
    c = strcmp(a->valuestring, b->valuestring);
  else
    return 0;
  return op == OP_LT   ? c < 0
         : op == OP_LE ? c <= 0
         : op == OP_GT ? c > 0
                       : c >= 0;
}

/* Jayway's evaluators: an undefined operand passes only != and nin. */
static int apply_op(int op, const operand *l, const operand *r) {
  const cJSON *a = l->re ? NULL : l->v, *b = r->re ? NULL : r->v;
  switch (op) {
  case OP_EQ:
    return a && b && val_eq(a, b);
  case OP_NE:
    return !apply_op(OP_EQ, l, r);
  case OP_RE:
    return regex_op(l, r);
  case OP_IN:
    if (!a || !cJSON_IsArray(b)) return 0;
    for (const cJSON *c = b->child; c; c = c->next)
      if (val_eq(a, c)) return 1;
    return 0;
  case OP_NIN:
    return !apply_op(OP_IN, l, r);
  default:
    return a && b && order_op(op, a, b);
  }
}

/* Does item (the "@") pass the filter? */
int pf_accept(ev *e, const fexpr *f, const cJSON *item) {
  operand l, r;
  switch (f->kind) {
  case FE_OR:
    return pf_accept(e, f->a, item) || pf_accept(e, f->b, item);
  case FE_AND:
    return pf_accept(e, f->a, item) && pf_accept(e, f->b, item);
  case FE_NOT:
    return !pf_accept(e, f->a, item);
  case FE_EXISTS:
    operand_eval(e, &f->l, item, &l);
    cJSON_Delete(l.own);
    return l.v != NULL;
  default:
    operand_eval(e, &f->l, item, &l);
    operand_eval(e, &f->r, item, &r);
    int ok = apply_op(f->op, &l, &r);
    cJSON_Delete(l.own);
    cJSON_Delete(r.own);
    return ok;
  }
}
