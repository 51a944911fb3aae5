/* path.c: JSONPath as AWS Step Functions evaluates it. AWS runs Jayway
 * JsonPath (Java) with its default options, so this file follows Jayway's
 * grammar, its evaluation order and its quirks: which misses are silent and
 * which throw, negative indices counted from the end, "[a:b]" slices that
 * ignore a step, a leaf "['a','b']" merged into one object, filters applied
 * to an object as a whole, and the messages AWS quotes in causes
 * ("No results for path: $['a']", "Missing property in path $['a']").
 *
 * Names in brackets keep their backslashes: AWS's Jayway does not unescape
 * them (a recording reads the member `Test\""Name"` with $['Test\""Name"']).
 *
 * A compiled path is a chain of tokens. Evaluation walks the document
 * depth-first as Jayway does, collects borrowed hits and copies them out at
 * the end; a Jayway exception becomes `thrown`, which stops the walk.
 *
 * Filter expressions, "[?( ... )]", are parsed and evaluated in
 * path_filter.c; the types both files use are in path_int.h. */
#include "path.h"

#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limits.h"
#include "path_int.h"

#define MAX_BUDGET 1000 /* tokens plus filter nodes of one path */
#define MAX_DEPTH (3 * ASL_JSON_MAX_DEPTH) /* evaluation frames in use */

/* Jayway's JsonProvider when AWS's is not known: the library default. */
#define JAYWAY_PROVIDER "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider"

/* ---- compiled form ---- */

struct asl_path {
  char *text;
  int root; /* 0 "$", 1 "$$", 2 a variable */
  char *var;
  chain c;
};

/* cJSON allocates with malloc: out of memory aborts, as asl_malloc does. */
cJSON *path_must(cJSON *v) {
  if (!v) {
    fputs("asl: out of memory\n", stderr);
    abort();
  }
  return v;
}

static void chain_free(chain *c);

static void fval_free(fval *v) {
  if (v->kind == FV_REGEX) regfree(&v->re);
  if (v->path) {
    chain_free(v->path);
    free(v->path);
  }
  cJSON_Delete(v->lit);
}

void path_fexpr_free(fexpr *e) {
  if (!e) return;
  path_fexpr_free(e->a);
  path_fexpr_free(e->b);
  fval_free(&e->l);
  fval_free(&e->r);
  free(e);
}

static void chain_free(chain *c) {
  for (size_t i = 0; i < c->n; i++) {
    tok *t = &c->t[i];
    for (size_t k = 0; t->name && k < t->n; k++)
      free(t->name[k]);
    free(t->name);
    free(t->idx);
    path_fexpr_free(t->filter);
  }
  free(c->t);
  free(c->updef);
  memset(c, 0, sizeof *c);
}

void asl_path_free(asl_path *p) {
  if (!p) return;
  chain_free(&p->c);
  free(p->text);
  free(p->var);
  free(p);
}

/* ---- the parser ---- */

/* Records the first error as "<why> at position N"; returns -1. */
int path_fail(parser *p, size_t at, const char *why) {
  if (!*p->err) *p->err = asl_sprintf("%s at position %zu", why, at);
  return -1;
}

/* "unexpected character 'c'" (or end of path) at position at. */
int path_fail_at(parser *p, size_t at) {
  char why[48];
  unsigned char c = at < p->end ? (unsigned char)p->s[at] : 0;
  if (at >= p->end)
    snprintf(why, sizeof why, "unexpected end of path");
  else if (isprint(c))
    snprintf(why, sizeof why, "unexpected character '%c'", c);
  else
    snprintf(why, sizeof why, "unexpected byte 0x%02x", c);
  return path_fail(p, at, why);
}

static int ref_fail(parser *p, size_t at) {
  return path_fail(p, at, "a reference path allows only names and indices");
}

int path_is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int path_in_set(char c, const char *set) { return c && strchr(set, c); }

size_t path_skip_ws(const parser *p, size_t i) {
  while (i < p->end && path_is_ws(p->s[i]))
    i++;
  return i;
}

/* Index of the quote closing the one at i (backslash escapes); >= end when
 * it is not closed. */
size_t path_skip_quoted(const char *s, size_t i, size_t end) {
  char q = s[i];
  for (i++; i < end && s[i] != q; i++)
    if (s[i] == '\\') i++;
  return i;
}

/* Index of the `close` matching the `open` at i, skipping quoted strings and
 * /regex/ literals as Jayway does; end when there is none. */
size_t path_close_group(const char *s, size_t i, size_t end, char open,
                        char close) {
  int depth = 0;
  for (; i < end; i++) {
    char c = s[i];
    if (c == '\'' || c == '"' || c == '/') {
      i = path_skip_quoted(s, i, end);
      if (i >= end) break;
    } else if (c == open) {
      depth++;
    } else if (c == close && --depth == 0) {
      return i;
    }
  }
  return end;
}

/* Appends a zeroed token; NULL (with the error set) past the budget. */
static tok *add_tok(parser *p, chain *c, int kind) {
  if (--*p->budget < 0) {
    path_fail(p, p->pos, "path too long");
    return NULL;
  }
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 4;
    c->t = asl_realloc(c->t, c->cap * sizeof *c->t);
  }
  tok *t = &c->t[c->n++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->quote = '\'';
  return t;
}

/* Java's Integer.parseInt over s[b, e). */
static int parse_int(const char *s, size_t b, size_t e, int *out) {
  int neg = b < e && s[b] == '-';
  long long v = 0;
  if (b + neg >= e) return -1;
  for (size_t i = b + neg; i < e; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (s[i] - '0');
    if (v > (long long)INT_MAX + 1) return -1;
  }
  v = neg ? -v : v;
  if (v > INT_MAX) return -1;
  *out = (int)v;
  return 0;
}

/* A parser for s[b, e) inside p: the filter body or a filter's path. */
parser path_sub_parser(const parser *p, size_t b, size_t e) {
  parser sub = *p;
  sub.pos = b;
  sub.end = e;
  sub.flags = 0;
  return sub;
}

/* ".*" or "[*]"; next is the position after it. */
static int parse_star(parser *p, chain *c, size_t next) {
  if (p->flags & ASL_PATH_REFERENCE) return ref_fail(p, p->pos);
  if (!add_tok(p, c, TK_WILD)) return -1;
  p->pos = next;
  return 0;
}

/* "length()": the one Jayway function AWS paths use; it ends the path. */
static int parse_call(parser *p, chain *c, size_t b, size_t open,
                      int after_scan) {
  if (open - b != 6 || memcmp(p->s + b, "length", 6) != 0)
    return path_fail(p, b, "unsupported function (only length() is)");
  if (open + 1 >= p->end || p->s[open + 1] != ')')
    return path_fail_at(p, open + 1);
  if (open + 2 != p->end)
    return path_fail(p, open + 2, "length() must end the path");
  if (after_scan) return path_fail(p, b, "'..' must be followed by a name");
  if (p->flags & ASL_PATH_REFERENCE) return ref_fail(p, b);
  if (!add_tok(p, c, TK_LENGTH)) return -1;
  p->pos = open + 2;
  return 0;
}

/* A dot-notation name runs to '.', '[' or '(' as in Jayway; a space is an
 * error there too. */
static int parse_name(parser *p, chain *c, int after_scan) {
  const char *s = p->s;
  size_t b = p->pos, i = b;
  while (i < p->end && !path_in_set(s[i], ".[( "))
    i++;
  if (i < p->end && s[i] == ' ')
    return path_fail(p, i, "use ['...'] for a name with spaces");
  if (i < p->end && s[i] == '(') return parse_call(p, c, b, i, after_scan);
  tok *t = add_tok(p, c, TK_NAME);
  if (!t) return -1;
  t->n = 1;
  t->name = asl_malloc(sizeof *t->name);
  t->name[0] = asl_strndup(s + b, i - b);
  p->pos = i;
  return 0;
}

/* ['a'] or ["a"] or ['a','b']: the text between the quotes, verbatim. */
static int parse_names(parser *p, chain *c, size_t i) {
  const char *s = p->s;
  char q = s[i];
  tok *t = add_tok(p, c, TK_NAME);
  if (!t) return -1;
  t->quote = q;
  for (;;) {
    size_t k = i + 1;
    while (k < p->end && s[k] != q)
      k += s[k] == '\\' && k + 1 < p->end ? 2 : 1;
    if (k >= p->end) return path_fail(p, i, "unterminated name");
    t->name = asl_realloc(t->name, (t->n + 1) * sizeof *t->name);
    t->name[t->n++] = asl_strndup(s + i + 1, k - i - 1);
    size_t j = path_skip_ws(p, k + 1);
    if (j < p->end && s[j] == ']') {
      p->pos = j + 1;
      break;
    }
    if (j >= p->end || s[j] != ',') return path_fail_at(p, j);
    i = path_skip_ws(p, j + 1);
    if (i >= p->end || s[i] != q) return path_fail_at(p, i);
  }
  return t->n > 1 && (p->flags & ASL_PATH_REFERENCE) ? ref_fail(p, i) : 0;
}

/* [s:e]: Jayway splits on ':' and reads two parts; a third (a step) is
 * ignored, and both parts empty is an error. */
static int parse_slice(parser *p, chain *c, size_t b, size_t e) {
  const char *s = p->s;
  if (p->flags & ASL_PATH_REFERENCE) return ref_fail(p, b);
  for (size_t k = b; k < e; k++)
    if (s[k] == ' ') return path_fail_at(p, k);
  size_t c1 = b;
  while (s[c1] != ':')
    c1++;
  size_t c2 = c1 + 1;
  while (c2 < e && s[c2] != ':')
    c2++;
  tok *t = add_tok(p, c, TK_SLICE);
  if (!t) return -1;
  t->has_from = c1 > b;
  t->has_to = c2 > c1 + 1;
  if ((!t->has_from && !t->has_to) ||
      (t->has_from && parse_int(s, b, c1, &t->from) < 0) ||
      (t->has_to && parse_int(s, c1 + 1, c2, &t->to) < 0))
    return path_fail(p, b, "invalid array slice");
  return 0;
}

/* [n] or [n,m,...]: indices separated by commas and optional spaces. */
static int parse_indices(parser *p, chain *c, size_t b, size_t e) {
  const char *s = p->s;
  tok *t = add_tok(p, c, TK_INDEX);
  if (!t) return -1;
  for (size_t i = b; i <= e;) {
    size_t j = i;
    while (j < e && s[j] != ',')
      j++;
    size_t x = i, y = j;
    while (x < y && s[x] == ' ')
      x++;
    while (y > x && s[y - 1] == ' ')
      y--;
    t->idx = asl_realloc(t->idx, (t->n + 1) * sizeof *t->idx);
    if (parse_int(s, x, y, &t->idx[t->n]) < 0)
      return path_fail(p, i, "invalid array index");
    if ((p->flags & ASL_PATH_REFERENCE) && (t->idx[t->n] < 0 || t->n > 0))
      return ref_fail(p, i);
    t->n++;
    i = j + 1;
  }
  return 0;
}

/* [n], [n,m], [s:e]: Jayway takes the text up to the first ']' when it
 * holds only digits, ',', '-', ':' and spaces. */
static int parse_array(parser *p, chain *c) {
  const char *s = p->s;
  size_t close = p->pos + 1;
  while (close < p->end && s[close] != ']')
    close++;
  if (close >= p->end) return path_fail(p, p->pos, "unbalanced '['");
  for (size_t k = p->pos + 1; k < close; k++)
    if (!isdigit((unsigned char)s[k]) && !path_in_set(s[k], ",-: "))
      return path_fail_at(p, k);
  size_t b = p->pos + 1, e = close;
  while (b < e && s[b] == ' ')
    b++;
  while (e > b && s[e - 1] == ' ')
    e--;
  int rc = memchr(s + b, ':', e - b) ? parse_slice(p, c, b, e)
                                     : parse_indices(p, c, b, e);
  p->pos = close + 1;
  return rc;
}

/* [?( expr )]: the body is parsed by a sub-parser bounded by the ')'
 * that closes the '(', found skipping strings and regexes. */
static int parse_filter(parser *p, chain *c, size_t q) {
  if (p->flags & ASL_PATH_REFERENCE) return ref_fail(p, q);
  if (p->depth >= MAX_NESTING)
    return path_fail(p, q, "filters nested too deeply");
  size_t o = path_skip_ws(p, q + 1);
  if (o >= p->end || p->s[o] != '(') return path_fail_at(p, o);
  size_t cl = path_close_group(p->s, o, p->end, '(', ')');
  if (cl >= p->end) return path_fail(p, o, "unbalanced '('");
  size_t rb = path_skip_ws(p, cl + 1);
  if (rb >= p->end || p->s[rb] != ']') return path_fail_at(p, rb);
  if (!add_tok(p, c, TK_FILTER)) return -1;
  size_t at = c->n - 1;
  parser sub = path_sub_parser(p, o + 1, cl);
  sub.depth++;
  c->t[at].filter = pf_parse_binary(&sub, FE_OR);
  if (!c->t[at].filter) return -1;
  sub.pos = path_skip_ws(&sub, sub.pos);
  if (sub.pos < sub.end) return path_fail_at(&sub, sub.pos);
  p->pos = rb + 1;
  return 0;
}

/* At '[': names, a filter, indices or a slice, or the wildcard. */
static int parse_bracket(parser *p, chain *c) {
  size_t i = path_skip_ws(p, p->pos + 1);
  if (i >= p->end) return path_fail(p, p->pos, "unbalanced '['");
  char ch = p->s[i];
  if (ch == '\'' || ch == '"') return parse_names(p, c, i);
  if (ch == '?') return parse_filter(p, c, i);
  if (isdigit((unsigned char)ch) || ch == '-' || ch == ':')
    return parse_array(p, c);
  if (ch != '*') return path_fail_at(p, i);
  size_t j = path_skip_ws(p, i + 1);
  if (j >= p->end || p->s[j] != ']') return path_fail_at(p, j);
  return parse_star(p, c, j + 1);
}

/* At '.': ".name", ".*", ".[...]", or ".." (a scan) before them. */
static int parse_dot(parser *p, chain *c) {
  const char *s = p->s;
  size_t i = p->pos + 1;
  int scan = i < p->end && s[i] == '.';
  if (scan) {
    if (p->flags & ASL_PATH_REFERENCE) return ref_fail(p, p->pos);
    if (!add_tok(p, c, TK_SCAN)) return -1;
    i++;
  }
  if (i >= p->end)
    return path_fail(p, i, "a path must not end with '.' or '..'");
  p->pos = i;
  if (s[i] == '[') return parse_bracket(p, c);
  if (s[i] == '*') return parse_star(p, c, i + 1);
  if (s[i] == '.') return path_fail_at(p, i);
  return parse_name(p, c, scan);
}

/* Jayway's isTokenDefinite(): a leaf ['a','b'] counts as one value. */
static int tok_definite(const chain *c, size_t i) {
  const tok *t = &c->t[i];
  if (t->kind == TK_NAME) return t->n == 1 || i + 1 == c->n;
  if (t->kind == TK_INDEX) return t->n == 1;
  return t->kind == TK_LENGTH;
}

/* Computes what evaluation needs to know about the chain as a whole. */
static void finish_chain(chain *c) {
  int def = 1;
  c->updef = asl_malloc(c->n + 1);
  for (size_t i = 0; i < c->n; i++) {
    c->updef[i] = (unsigned char)def;
    def = def && tok_definite(c, i);
  }
  c->updef[c->n] = (unsigned char)def;
  c->definite = def;
  /* Jayway rewrites "$..x.length()" into length($..x.*): one number, the
   * count of the children of what the scan finds */
  if (c->n >= 2 && c->t[0].kind == TK_SCAN &&
      c->t[c->n - 1].kind == TK_LENGTH) {
    c->t[c->n - 1].kind = TK_WILD;
    c->count_scan = c->definite = 1;
  }
}

/* The tokens after a root, up to p->end. */
int path_parse_chain(parser *p, chain *c) {
  while (p->pos < p->end) {
    char ch = p->s[p->pos];
    int rc = ch == '['   ? parse_bracket(p, c)
             : ch == '.' ? parse_dot(p, c)
                         : path_fail_at(p, p->pos);
    if (rc < 0) return -1;
  }
  finish_chain(c);
  return 0;
}

/* ---- compiling ---- */

static int is_var_char(char c, int first) {
  return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80 ||
         (!first && isdigit((unsigned char)c));
}

/* "$", "$$" or "$name"; then only '.' or '[' may follow. */
static int parse_root(parser *p, asl_path *path) {
  const char *s = p->s;
  size_t i = p->pos;
  if (i >= p->end) return path_fail(p, i, "empty path");
  if (s[i] != '$') return path_fail(p, i, "a path must start with '$'");
  i++;
  if (i < p->end && s[i] == '$') {
    path->root = 1;
    i++;
  } else if (i < p->end && is_var_char(s[i], 1)) {
    size_t b = i;
    while (i < p->end && is_var_char(s[i], 0))
      i++;
    path->root = 2;
    path->var = asl_strndup(s + b, i - b);
  }
  if (path->root == 1 &&
      (p->flags & (ASL_PATH_NO_CONTEXT | ASL_PATH_REFERENCE)))
    return path_fail(p, p->pos, "the context object is not allowed here");
  if (path->root == 2 && (p->flags & (ASL_PATH_NO_VARS | ASL_PATH_REFERENCE)))
    return path_fail(p, p->pos, "variables are not allowed here");
  p->pos = i;
  if (i < p->end && s[i] != '.' && s[i] != '[') return path_fail_at(p, i);
  return 0;
}

asl_path *asl_path_compile(const char *text, int flags, char **msg) {
  char *err = NULL;
  int budget = MAX_BUDGET;
  asl_path *p = asl_calloc(1, sizeof *p);
  p->text = asl_strdup(text ? text : "");
  parser ps = {.s = p->text, .flags = flags, .budget = &budget, .err = &err};
  ps.end = strlen(p->text);
  /* Jayway trims the text before reading it */
  while (ps.pos < ps.end && path_is_ws(p->text[ps.pos]))
    ps.pos++;
  while (ps.end > ps.pos && path_is_ws(p->text[ps.end - 1]))
    ps.end--;
  if (parse_root(&ps, p) == 0 && path_parse_chain(&ps, &p->c) == 0) {
    if (msg) *msg = NULL;
    return p;
  }
  if (!err) err = asl_strdup("invalid path");
  if (msg)
    *msg = err;
  else
    free(err);
  asl_path_free(p);
  return NULL;
}

const char *asl_path_text(const asl_path *p) { return p->text; }
int asl_path_is_definite(const asl_path *p) { return p->c.definite; }
int asl_path_root(const asl_path *p) { return p->root; }
const char *asl_path_var(const asl_path *p) { return p->var; }

/* ---- evaluation ---- */

/* An evaluation of chain c; the current path starts as "$". */
void path_ev_init(ev *e, run *r, const chain *c) {
  memset(e, 0, sizeof *e);
  e->r = r;
  e->c = c;
  e->n = c->n;
  asl_buf_putc(&e->at, '$');
}

void path_ev_free(ev *e) {
  free(e->hit);
  cJSON_Delete(e->own);
  asl_buf_free(&e->at);
  free(e->thrown);
}

/* A result borrowed from the document (or from e->own). */
static void add_hit(ev *e, const cJSON *v) {
  if (e->nhit == e->cap) {
    e->cap = e->cap ? 2 * e->cap : 8;
    e->hit = asl_realloc(e->hit, e->cap * sizeof *e->hit);
  }
  e->hit[e->nhit++] = v;
}

/* A result made here: e->own keeps it until the copy-out. */
static void add_made(ev *e, cJSON *v) {
  if (!e->own) e->own = path_must(cJSON_CreateArray());
  cJSON_AddItemToArray(e->own, v);
  add_hit(e, v);
}

/* Jayway throws: the first message wins and the walk unwinds. */
static void throw_msg(ev *e, char *msg) {
  if (!e->thrown)
    e->thrown = msg;
  else
    free(msg);
}

/* Pushes a step on the current path; at_pop(mark) takes it back. */
static size_t at_name(ev *e, const char *name) {
  size_t mark = e->at.len;
  asl_buf_puts(&e->at, "['");
  asl_buf_puts(&e->at, name);
  asl_buf_puts(&e->at, "']");
  return mark;
}

static size_t at_index(ev *e, long i) {
  size_t mark = e->at.len;
  char b[32];
  asl_buf_add(&e->at, b, (size_t)snprintf(b, sizeof b, "[%ld]", i));
  return mark;
}

static void at_pop(ev *e, size_t mark) {
  e->at.len = mark;
  e->at.s[mark] = 0;
}

/* Jayway's getPathFragment() of a token. */
static void put_frag(asl_buf *b, const tok *t) {
  static const char *const fixed[] = {[TK_WILD] = "[*]",
                                      [TK_SCAN] = "..",
                                      [TK_FILTER] = "[?]",
                                      [TK_LENGTH] = ".length()"};
  if (t->kind == TK_NAME || t->kind == TK_INDEX) {
    asl_buf_putc(b, '[');
    for (size_t k = 0; k < t->n; k++) {
      if (k) asl_buf_putc(b, ',');
      if (t->kind == TK_INDEX) {
        asl_buf_printf(b, "%d", t->idx[k]);
        continue;
      }
      asl_buf_putc(b, t->quote);
      asl_buf_puts(b, t->name[k]);
      asl_buf_putc(b, t->quote);
    }
    asl_buf_putc(b, ']');
  } else if (t->kind == TK_SLICE) {
    asl_buf_putc(b, '[');
    if (t->has_from) asl_buf_printf(b, "%d", t->from);
    asl_buf_putc(b, ':');
    if (t->has_to) asl_buf_printf(b, "%d", t->to);
    asl_buf_putc(b, ']');
  } else {
    asl_buf_puts(b, fixed[t->kind]);
  }
}

/* Fragments of tokens [from, n) after prefix: Jayway's toString(). */
static char *chain_str(const chain *c, size_t from, const char *prefix) {
  asl_buf b = {0};
  asl_buf_puts(&b, prefix);
  for (size_t i = from; i < c->n; i++)
    put_frag(&b, &c->t[i]);
  return asl_buf_take(&b);
}

/* Jayway's "Filter: <tokens> <what>. Current context is: <model>", where
 * the model prints as Java does: a string bare, the rest as JSON. */
static void throw_filter(ev *e, size_t i, const cJSON *m, const char *what) {
  char *frag = chain_str(e->c, i, "");
  char *js = cJSON_IsString(m) ? asl_strdup(m->valuestring) : asl_json_print(m);
  throw_msg(
      e, asl_sprintf("Filter: %s %s. Current context is: %s", frag, what, js));
  free(frag);
  free(js);
}

/* The class json-smart gives a value, as Jayway's messages name it. */
static const char *java_class(const cJSON *m) {
  long long n;
  if (cJSON_IsString(m)) return "java.lang.String";
  if (cJSON_IsBool(m)) return "java.lang.Boolean";
  if (cJSON_IsArray(m)) return "net.minidev.json.JSONArray";
  if (!cJSON_IsNumber(m)) return "null";
  if (!asl_json_as_int64(m, &n)) return "java.lang.Double";
  return n >= INT_MIN && n <= INT_MAX ? "java.lang.Integer" : "java.lang.Long";
}

static void step(ev *e, size_t i, const cJSON *m);

/* .name or ['a','b']: Jayway's PropertyPathToken. */
static void step_name(ev *e, size_t i, const cJSON *m) {
  const tok *t = &e->c->t[i];
  int leaf = i + 1 == e->n;
  if (!cJSON_IsObject(m)) {
    if (!e->c->updef[i]) return;
    asl_buf b = {0};
    asl_buf_puts(&b, "Expected to find an object with property ");
    put_frag(&b, t);
    asl_buf_printf(&b,
                   " in path %s but found '%s'. This is not a json object "
                   "according to the JsonProvider: '%s'.",
                   e->at.s, java_class(m), JAYWAY_PROVIDER);
    throw_msg(e, asl_buf_take(&b));
    return;
  }
  if (t->n > 1 && leaf) { /* a leaf ['a','b'] merges what exists */
    cJSON *o = path_must(cJSON_CreateObject());
    for (size_t k = 0; k < t->n; k++) {
      const cJSON *v = asl_json_get(m, t->name[k]);
      if (v) cJSON_AddItemToObject(o, t->name[k], asl_json_dup(v));
    }
    add_made(e, o);
    return;
  }
  for (size_t k = 0; k < t->n && !e->thrown; k++) {
    const cJSON *v = asl_json_get(m, t->name[k]);
    if (!v) { /* silent at the leaf or below an indefinite token */
      if (!leaf && t->n == 1 && e->c->updef[i])
        throw_msg(e, asl_sprintf("Missing property in path %s['%s']", e->at.s,
                                 t->name[k]));
      continue;
    }
    size_t mark = at_name(e, t->name[k]);
    step(e, i + 1, v);
    at_pop(e, mark);
  }
}

/* Arrays only; after definite tokens anything else throws. */
static int check_array(ev *e, size_t i, const cJSON *m) {
  if (cJSON_IsArray(m)) return 1;
  if (!e->c->updef[i]) return 0;
  if (cJSON_IsNull(m)) {
    throw_msg(e, asl_sprintf("The path %s is null", e->at.s));
    return 0;
  }
  throw_filter(e, i, m, "can only be applied to arrays");
  return 0;
}

/* The children of m as a vector, for indexing from either end. */
static const cJSON **kids(const cJSON *m, size_t *n) {
  size_t k = 0;
  for (const cJSON *c = m->child; c; c = c->next)
    k++;
  const cJSON **v = asl_malloc((k ? k : 1) * sizeof *v);
  k = 0;
  for (const cJSON *c = m->child; c; c = c->next)
    v[k++] = c;
  *n = k;
  return v;
}

/* Jayway's handleArrayIndex: a negative index counts from the end, and an
 * index out of range is no result, silently. */
static void take_index(ev *e, size_t i, const cJSON **v, size_t len, long k) {
  long eff = k < 0 ? (long)len + k : k;
  if (eff < 0 || eff >= (long)len) return;
  size_t mark = at_index(e, k);
  step(e, i + 1, v[eff]);
  at_pop(e, mark);
}

/* [n] or [n,m,...] in the order written. */
static void step_index(ev *e, size_t i, const cJSON *m) {
  const tok *t = &e->c->t[i];
  size_t len;
  if (!check_array(e, i, m)) return;
  const cJSON **v = kids(m, &len);
  for (size_t k = 0; k < t->n && !e->thrown; k++)
    take_index(e, i, v, len, t->idx[k]);
  free(v);
}

/* Jayway's three slice forms: [s:] clamps a negative start, [:e] counts a
 * negative end from the end, [s:e] leaves s as it is (each index of the
 * range is then read like [n]). */
static void step_slice(ev *e, size_t i, const cJSON *m) {
  const tok *t = &e->c->t[i];
  size_t len;
  if (!check_array(e, i, m)) return;
  const cJSON **v = kids(m, &len);
  long n = (long)len, from = 0, to = n;
  if (!t->has_to) {
    from = t->from < 0 ? n + t->from : t->from;
    from = from < 0 ? 0 : from;
  } else if (t->has_from) {
    from = t->from < -n ? -n : t->from; /* indices below -n read nothing */
    to = t->to < n ? t->to : n;
  } else {
    to = t->to < 0 ? n + t->to : t->to;
    to = to < n ? to : n;
  }
  for (long k = from; k < to && !e->thrown; k++)
    take_index(e, i, v, len, k);
  free(v);
}

/* * : every member or element, in document order. */
static void step_wild(ev *e, size_t i, const cJSON *m) {
  long k = 0;
  if (cJSON_IsObject(m)) {
    for (const cJSON *c = m->child; c && !e->thrown; c = c->next) {
      size_t mark = at_name(e, c->string);
      step(e, i + 1, c);
      at_pop(e, mark);
    }
  } else if (cJSON_IsArray(m)) {
    for (const cJSON *c = m->child; c; c = c->next, k++) {
      size_t mark = at_index(e, k);
      step(e, i + 1, c);
      at_pop(e, mark);
      free(e->thrown); /* Jayway catches PathNotFound per element here */
      e->thrown = NULL;
    }
  } else if (i + 1 != e->n) {
    throw_msg(e, asl_sprintf("Expected to find an object or array in path %s "
                             "but found '%s'. ",
                             e->at.s, java_class(m)));
  }
}

/* Does the token after ".." apply to container m (Jayway's scan
 * predicates)? */
static int scan_matches(ev *e, size_t pt, const cJSON *m) {
  const tok *t = &e->c->t[pt];
  switch (t->kind) {
  case TK_NAME:
    if (!cJSON_IsObject(m)) return 0;
    if (t->n > 1 && pt + 1 != e->n) return 1;
    for (size_t k = 0; k < t->n; k++)
      if (!asl_json_get(m, t->name[k])) return 0;
    return 1;
  case TK_INDEX:
  case TK_SLICE:
    return cJSON_IsArray(m);
  case TK_WILD:
    return 1;
  case TK_FILTER:
    return pf_accept(e, t->filter, m);
  default:
    return 0;
  }
}

/* "..": every container, parents before children, as Jayway walks. */
static void walk(ev *e, size_t pt, const cJSON *m) {
  int arr = cJSON_IsArray(m);
  long k = 0;
  if (e->thrown || e->r->depth >= MAX_DEPTH || (!arr && !cJSON_IsObject(m)))
    return;
  e->r->depth++;
  if (scan_matches(e, pt, m)) {
    if (!arr || pt + 1 == e->n) {
      step(e, pt, m);
    } else { /* Jayway applies what follows to each element */
      for (const cJSON *c = m->child; c; c = c->next, k++) {
        size_t mark = at_index(e, k);
        step(e, pt + 1, c);
        at_pop(e, mark);
      }
    }
  }
  k = 0;
  for (const cJSON *c = m->child; c; c = c->next, k++) {
    size_t mark = arr ? at_index(e, k) : at_name(e, c->string);
    walk(e, pt, c);
    at_pop(e, mark);
  }
  e->r->depth--;
}

/* .. : walks from m with the token after it as the target. */
static void step_scan(ev *e, size_t i, const cJSON *m) {
  if (i + 1 < e->n) walk(e, i + 1, m);
}

/* A filter keeps matching elements of an array, or an object itself. */
static void step_filter(ev *e, size_t i, const cJSON *m) {
  const fexpr *f = e->c->t[i].filter;
  long k = 0;
  if (cJSON_IsObject(m)) {
    if (pf_accept(e, f, m)) step(e, i + 1, m);
  } else if (cJSON_IsArray(m)) {
    for (const cJSON *c = m->child; c && !e->thrown; c = c->next, k++) {
      if (!pf_accept(e, f, c)) continue;
      size_t mark = at_index(e, k);
      step(e, i + 1, c);
      at_pop(e, mark);
    }
  } else if (e->c->updef[i]) {
    throw_filter(e, i, m, "can not be applied to primitives");
  }
}

/* Jayway's length(): the size of an array or object, else null. */
static void step_length(ev *e, size_t i, const cJSON *m) {
  int sized = cJSON_IsArray(m) || cJSON_IsObject(m);
  add_made(e, path_must(sized ? cJSON_CreateNumber(cJSON_GetArraySize(m))
                              : cJSON_CreateNull()));
}

static void (*const STEP[])(ev *, size_t, const cJSON *) = {
    [TK_NAME] = step_name,     [TK_INDEX] = step_index,
    [TK_SLICE] = step_slice,   [TK_WILD] = step_wild,
    [TK_SCAN] = step_scan,     [TK_FILTER] = step_filter,
    [TK_LENGTH] = step_length,
};

/* Applies token i and the rest to model m; past the last token, m is a
 * result. */
static void step(ev *e, size_t i, const cJSON *m) {
  if (e->thrown || e->r->depth >= MAX_DEPTH) return;
  if (i == e->n) {
    add_hit(e, m);
    return;
  }
  e->r->depth++;
  STEP[e->c->t[i].kind](e, i, m);
  e->r->depth--;
}

/* Evaluates the whole chain on doc; count_scan makes one number. */
void path_run_chain(ev *e, const cJSON *doc) {
  step(e, 0, doc);
  if (e->c->count_scan && !e->thrown) {
    double n = (double)e->nhit;
    e->nhit = 0;
    add_made(e, path_must(cJSON_CreateNumber(n)));
  }
}

/* A new array with copies of the results, in order. */
cJSON *path_hits_array(const ev *e) {
  cJSON *a = path_must(cJSON_CreateArray());
  for (size_t i = 0; i < e->nhit; i++)
    cJSON_AddItemToArray(a, asl_json_dup(e->hit[i]));
  return a;
}

/* ---- the API ---- */

static const cJSON null_node = {.type = cJSON_NULL};

/* A NULL input or context reads as null; an undefined variable is
 * missing whatever the path. */
/* The common case, a definite path of single names and indices: walks the
 * document without building Jayway's path text. NULL when it finds nothing
 * or the path is of another kind: the general walk then runs (and words the
 * message). */
/* cJSON_GetObjectItemCaseSensitive with the first byte compared before
 * strcmp: lookups by name are the hottest part of a simple path. */
static const cJSON *member(const cJSON *obj, const char *name) {
  char c0 = name[0];
  for (const cJSON *c = obj->child; c; c = c->next)
    if (c->string && c->string[0] == c0 && strcmp(c->string, name) == 0)
      return c;
  return NULL;
}

static const cJSON *simple_walk(const asl_path *p, const cJSON *doc) {
  if (!p->c.definite || p->c.count_scan || !doc) return NULL;
  const cJSON *v = doc;
  for (size_t i = 0; i < p->c.n; i++) {
    const tok *t = &p->c.t[i];
    if (t->kind == TK_NAME && t->n == 1) {
      if (!cJSON_IsObject(v)) return NULL;
      v = member(v, t->name[0]);
    } else if (t->kind == TK_INDEX && t->n == 1 && t->idx[0] >= 0) {
      if (!cJSON_IsArray(v)) return NULL;
      v = cJSON_GetArrayItem(v, t->idx[0]);
    } else {
      return NULL;
    }
    if (!v) return NULL;
  }
  return v;
}

int asl_path_is_simple(const asl_path *p) {
  if (!p->c.definite || p->c.count_scan) return 0;
  for (size_t i = 0; i < p->c.n; i++) {
    const tok *t = &p->c.t[i];
    if (t->n != 1 || (t->kind != TK_NAME &&
                      (t->kind != TK_INDEX || t->idx[0] < 0)))
      return 0;
  }
  return 1;
}

int asl_path_overlap(const asl_path *a, const asl_path *b) {
  if (!asl_path_is_simple(a) || !asl_path_is_simple(b)) return 1;
  if (a->root != b->root) return 0;
  if (a->root == 2 && strcmp(a->var, b->var) != 0) return 0;
  size_t n = a->c.n < b->c.n ? a->c.n : b->c.n;
  for (size_t i = 0; i < n; i++) {
    const tok *x = &a->c.t[i], *y = &b->c.t[i];
    if (x->kind != y->kind) return 0;
    if (x->kind == TK_NAME ? strcmp(x->name[0], y->name[0]) != 0
                           : x->idx[0] != y->idx[0])
      return 0;
  }
  return 1;
}

cJSON *asl_path_find_mut(const asl_path *p, cJSON *doc, cJSON **parent) {
  *parent = NULL;
  if (!asl_path_is_simple(p) || p->c.n == 0 || !doc) return NULL;
  cJSON *v = doc;
  for (size_t i = 0; i < p->c.n; i++) {
    const tok *t = &p->c.t[i];
    *parent = v;
    if (t->kind == TK_NAME) {
      v = cJSON_IsObject(v) ? (cJSON *)member(v, t->name[0]) : NULL;
    } else {
      v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, t->idx[0]) : NULL;
    }
    if (!v) return NULL;
  }
  return v;
}

const cJSON *asl_path_lookup(const asl_path *p, const asl_scope *s) {
  const cJSON *doc;
  if (!s) return NULL;
  if (p->root == 2) doc = s->var ? s->var(s->var_ud, p->var) : NULL;
  else doc = p->root == 1 ? asl_scope_context(s) : s->input;
  return simple_walk(p, doc);
}

int asl_path_eval(const asl_path *p, const asl_scope *s, cJSON **out,
                  char **jayway_msg) {
  const cJSON *doc = NULL;
  char *msg = NULL;
  int rc = 0;
  *out = NULL;
  if (p->root == 2)
    doc = s && s->var ? s->var(s->var_ud, p->var) : NULL;
  else
    doc = !s ? NULL : p->root == 1 ? asl_scope_context(s) : s->input;
  const cJSON *fast = simple_walk(p, doc);
  if (fast) {
    *out = asl_json_dup(fast);
    return 0;
  }
  if (!doc && p->root == 2) {
    msg = chain_str(&p->c, 0, "");
    if (jayway_msg)
      *jayway_msg = asl_sprintf("No results for path: $%s%s", p->var, msg);
    free(msg);
    return ASL_PATH_MISSING;
  }
  run r = {doc ? doc : &null_node, 0};
  ev e;
  path_ev_init(&e, &r, &p->c);
  path_run_chain(&e, r.root);
  if (e.thrown && !p->c.definite) {
    /* AWS: an indefinite path never fails */
    *out = path_must(cJSON_CreateArray());
  } else if (e.thrown) {
    msg = e.thrown;
    e.thrown = NULL;
  } else if (p->c.definite && e.nhit == 0) {
    char *norm = chain_str(&p->c, 0, "$");
    msg = asl_sprintf("No results for path: %s", norm);
    free(norm);
  } else {
    *out = p->c.definite ? asl_json_dup(e.hit[0]) : path_hits_array(&e);
  }
  path_ev_free(&e);
  if (msg) rc = ASL_PATH_MISSING;
  if (jayway_msg)
    *jayway_msg = msg;
  else
    free(msg);
  return rc;
}

/* Are tokens [from, n) all names? Objects are made for them. */
static int names_only(const chain *c, size_t from) {
  for (size_t i = from; i < c->n; i++)
    if (c->t[i].kind != TK_NAME) return 0;
  return 1;
}

/* Walks a reference path over cur: with apply 0 checks that the write can
 * be done, with apply 1 does it, making missing intermediate objects. */
static int set_walk(const chain *c, cJSON *cur, cJSON *value, int apply) {
  for (size_t i = 0; i < c->n; i++) {
    const tok *t = &c->t[i];
    int last = i + 1 == c->n;
    if (t->kind == TK_INDEX) {
      int k = t->idx[0];
      if (!cJSON_IsArray(cur) || k >= cJSON_GetArraySize(cur)) return -1;
      if (last && apply) cJSON_ReplaceItemInArray(cur, k, value);
      cur = cJSON_GetArrayItem(cur, k);
      continue;
    }
    if (!cJSON_IsObject(cur)) return -1;
    cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, t->name[0]);
    if (last && apply && next)
      cJSON_ReplaceItemInObjectCaseSensitive(cur, t->name[0], value);
    else if (last && apply)
      cJSON_AddItemToObject(cur, t->name[0], value);
    if (last) return 0;
    if (!next && !apply) return names_only(c, i + 1) ? 0 : -1;
    if (!next) {
      next = path_must(cJSON_CreateObject());
      cJSON_AddItemToObject(cur, t->name[0], next);
    }
    cur = next;
  }
  return 0;
}

/* "$" then names and non-negative indices only. */
static int is_reference(const asl_path *p) {
  if (p->root != 0) return 0;
  for (size_t i = 0; i < p->c.n; i++) {
    const tok *t = &p->c.t[i];
    if (t->n != 1 || (t->kind != TK_NAME && t->kind != TK_INDEX) ||
        (t->kind == TK_INDEX && t->idx[0] < 0))
      return 0;
  }
  return 1;
}

size_t asl_path_set_growth(const asl_path *p) {
  if (!is_reference(p)) return SIZE_MAX;
  size_t n = 0;
  for (size_t i = 0; i < p->c.n; i++) {
    const tok *t = &p->c.t[i];
    if (t->kind == TK_NAME && t->n == 1)
      n += 6 + 6 * strlen(t->name[0]); /* {} , "" : and the name escaped */
    else if (t->kind == TK_INDEX && t->n == 1)
      n += 1;
    else
      return SIZE_MAX;
  }
  return n;
}

int asl_path_set_take(const asl_path *p, cJSON **root, cJSON *value,
                      asl_error *err) {
  if (!value) value = path_must(cJSON_CreateNull());
  if (!is_reference(p)) {
    cJSON_Delete(value);
    return asl_error_set(err, "States.Runtime",
                         "The path '%s' is not a reference path", p->text);
  }
  if (p->c.n == 0) {
    cJSON_Delete(*root);
    *root = value;
    return 0;
  }
  /* checked first, so that a failed write leaves *root as it was */
  if (!*root || set_walk(&p->c, *root, value, 0) < 0) {
    char *in = asl_json_print(*root ? *root : &null_node);
    asl_error_set(err, "States.Runtime",
                  "Unable to apply ReferencePath %s to input %s", p->text, in);
    free(in);
    cJSON_Delete(value);
    return -1;
  }
  set_walk(&p->c, *root, value, 1);
  return 0;
}
