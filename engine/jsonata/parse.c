/* parse.c: JSONata lexer and Pratt parser (the binding powers and error
 * codes of jsonata-js 2.0.6), then the AST pass that turns '.' chains into
 * path steps, predicates into stages, resolves parent (%) slots and marks
 * tail calls. Everything is allocated in the expression's arena. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jn.h"

/* memcpy that accepts (NULL, 0) */
static inline void *mcpy(void *d, const void *s, size_t n) {
  return n ? memcpy(d, s, n) : d;
}

typedef struct {
  int type; /* 'o' operator, 's' string, 'n' number, 'N' name, 'v' variable,
               'V' value, 'r' regex, 'e' end */
  const char *val;
  size_t len;
  double num;
  int vkind;
  int pos;
  node *re;
} tok;

typedef struct {
  jn_arena *a;
  const char *src;
  size_t len, pos;
  tok t; /* current token */
  jsonata_error *err;
  jmp_buf jb;
  slot **ancestry;
  int nanc, capanc;
  int anclabel;
} P;

static _Noreturn void perr(P *p, const char *code, int pos, const char *token,
                           const char *value) {
  jsonata_error *e = p->err;
  snprintf(e->code, sizeof e->code, "%s", code);
  e->position = pos;
  snprintf(e->token, sizeof e->token, "%s", token ? token : "");
  const char *m = "Syntax error";
  char buf[512];
  if (!strcmp(code, "S0101"))
    m = "String literal must be terminated by a matching quote";
  else if (!strcmp(code, "S0102")) {
    snprintf(buf, sizeof buf, "Number out of range: %s", token);
    m = buf;
  } else if (!strcmp(code, "S0103")) {
    snprintf(buf, sizeof buf, "Unsupported escape sequence: \\%s", token);
    m = buf;
  } else if (!strcmp(code, "S0104"))
    m = "The escape sequence \\u must be followed by 4 hex digits";
  else if (!strcmp(code, "S0105"))
    m = "Quoted property name must be terminated with a backquote (`)";
  else if (!strcmp(code, "S0106"))
    m = "Comment has no closing tag";
  else if (!strcmp(code, "S0201")) {
    snprintf(buf, sizeof buf, "Syntax error: \"%s\"", token);
    m = buf;
  } else if (!strcmp(code, "S0202")) {
    snprintf(buf, sizeof buf, "Expected \"%s\", got \"%s\"", value, token);
    m = buf;
  } else if (!strcmp(code, "S0203")) {
    snprintf(buf, sizeof buf, "Expected \"%s\" before end of expression",
             value);
    m = buf;
  } else if (!strcmp(code, "S0204")) {
    snprintf(buf, sizeof buf, "Unknown operator: \"%s\"", token);
    m = buf;
  } else if (!strcmp(code, "S0205")) {
    snprintf(buf, sizeof buf, "Unexpected token: \"%s\"", token);
    m = buf;
  } else if (!strcmp(code, "S0207"))
    m = "Unexpected end of expression";
  else if (!strcmp(code, "S0208")) {
    snprintf(buf, sizeof buf,
             "Parameter \"%s\" of function definition must be a variable name "
             "(start with $)",
             token);
    m = buf;
  } else if (!strcmp(code, "S0209"))
    m = "A predicate cannot follow a grouping expression in a step";
  else if (!strcmp(code, "S0210"))
    m = "Each step can only have one grouping expression";
  else if (!strcmp(code, "S0211")) {
    snprintf(buf, sizeof buf,
             "The symbol \"%s\" cannot be used as a unary operator", token);
    m = buf;
  } else if (!strcmp(code, "S0212"))
    m = "The left side of := must be a variable name (start with $)";
  else if (!strcmp(code, "S0213")) {
    snprintf(buf, sizeof buf,
             "The literal value %s cannot be used as a step within a path "
             "expression",
             token);
    m = buf;
  } else if (!strcmp(code, "S0214")) {
    snprintf(buf, sizeof buf,
             "The right side of \"%s\" must be a variable name (start with $)",
             token);
    m = buf;
  } else if (!strcmp(code, "S0215"))
    m = "A context variable binding must precede any predicates on a step";
  else if (!strcmp(code, "S0216"))
    m = "A context variable binding must precede the 'order-by' clause on a "
        "step";
  else if (!strcmp(code, "S0217")) {
    snprintf(buf, sizeof buf,
             "The object representing the 'parent' cannot be derived from this "
             "expression");
    m = buf;
  } else if (!strcmp(code, "S0301"))
    m = "Empty regular expressions are not allowed";
  else if (!strcmp(code, "S0302"))
    m = "No terminating / in regular expression";
  else if (!strcmp(code, "S0401"))
    m = "Type parameters can only be applied to functions and arrays";
  else if (!strcmp(code, "S0402"))
    m = "Choice groups containing parameterized types are not supported";
  snprintf(e->message, sizeof e->message, "%s", m);
  longjmp(p->jb, 1);
}

/* ---------------- lexer */
static int is_opchar(int c) {
  return c && strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != NULL;
}

static void put_utf8(char *o, size_t *k, unsigned cp) {
  if (cp < 0x80)
    o[(*k)++] = (char)cp;
  else if (cp < 0x800) {
    o[(*k)++] = (char)(0xC0 | (cp >> 6));
    o[(*k)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    o[(*k)++] = (char)(0xE0 | (cp >> 12));
    o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[(*k)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    o[(*k)++] = (char)(0xF0 | (cp >> 18));
    o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[(*k)++] = (char)(0x80 | (cp & 0x3F));
  }
}

static int hex4(const char *s, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    int c = s[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return 0;
    *v = *v * 16 + (unsigned)d;
  }
  return 1;
}

static void lex(P *p, int infix) {
  const char *s = p->src;
  size_t n = p->len;
  tok *t = &p->t;
  memset(t, 0, sizeof *t);
again:
  while (p->pos < n && strchr(" \t\n\r\v", s[p->pos]))
    p->pos++;
  if (p->pos + 1 < n && s[p->pos] == '/' && s[p->pos + 1] == '*') {
    size_t c = p->pos;
    const char *end = strstr(s + p->pos + 2, "*/");
    if (!end) perr(p, "S0106", (int)c, NULL, NULL);
    p->pos = (size_t)(end - s) + 2;
    goto again;
  }
  t->pos = (int)p->pos;
  if (p->pos >= n) {
    t->type = 'e';
    t->val = "(end)";
    return;
  }
  char c = s[p->pos];
  if (!infix && c == '/') {
    /* regex */
    size_t start = ++p->pos;
    int depth = 0;
    while (p->pos < n) {
      char ch = s[p->pos];
      if (ch == '/' && depth == 0) {
        int bs = 0;
        while (p->pos >= (size_t)bs + 1 && s[p->pos - bs - 1] == '\\')
          bs++;
        if (bs % 2 == 0) {
          if (p->pos == start) perr(p, "S0301", (int)p->pos, NULL, NULL);
          size_t pend = p->pos++;
          size_t fs = p->pos;
          while (p->pos < n && (s[p->pos] == 'i' || s[p->pos] == 'm'))
            p->pos++;
          char flags[8] = {0};
          size_t fl = p->pos - fs;
          if (fl > 6) fl = 6;
          mcpy(flags, s + fs, fl);
          node *r = jn_alloc(p->a, sizeof *r);
          r->type = N_REGEX;
          r->pos = t->pos;
          r->re_src = jn_strndup(p->a, s + start, pend - start);
          int eo = 0;
          r->re = jn_regex_compile(s + start, pend - start, flags, &eo);
          if (!r->re) perr(p, "S0302", (int)pend, NULL, NULL);
          jn_arena_code(p->a, r->re);
          t->type = 'r';
          t->re = r;
          t->val = r->re_src;
          return;
        }
      }
      if ((ch == '(' || ch == '[' || ch == '{') && s[p->pos - 1] != '\\')
        depth++;
      if ((ch == ')' || ch == ']' || ch == '}') && s[p->pos - 1] != '\\')
        depth--;
      p->pos++;
    }
    perr(p, "S0302", (int)p->pos, NULL, NULL);
  }
  static const char *two[] = {"..", ":=", "!=", ">=", "<=", "**", "~>"};
  for (int i = 0; i < 7; i++)
    if (p->pos + 1 < n && s[p->pos] == two[i][0] &&
        s[p->pos + 1] == two[i][1]) {
      t->type = 'o';
      t->val = two[i];
      t->len = 2;
      p->pos += 2;
      return;
    }
  if (is_opchar(c)) {
    t->type = 'o';
    t->val = jn_strndup(p->a, s + p->pos, 1);
    t->len = 1;
    p->pos++;
    return;
  }
  if (c == '"' || c == '\'') {
    char q = c;
    size_t i = p->pos + 1;
    char *o = jn_alloc(p->a, n - p->pos + 1);
    size_t k = 0;
    while (i < n) {
      char ch = s[i];
      if (ch == '\\') {
        i++;
        if (i >= n) break;
        ch = s[i];
        switch (ch) {
        case '"':
          o[k++] = '"';
          break;
        case '\\':
          o[k++] = '\\';
          break;
        case '/':
          o[k++] = '/';
          break;
        case 'b':
          o[k++] = '\b';
          break;
        case 'f':
          o[k++] = '\f';
          break;
        case 'n':
          o[k++] = '\n';
          break;
        case 'r':
          o[k++] = '\r';
          break;
        case 't':
          o[k++] = '\t';
          break;
        case 'u': {
          unsigned v;
          if (i + 4 >= n + 0 || !hex4(s + i + 1, &v))
            perr(p, "S0104", (int)i, NULL, NULL);
          i += 4;
          if (v >= 0xD800 && v < 0xDC00 && i + 6 < n + 1 && s[i + 1] == '\\' &&
              s[i + 2] == 'u') {
            unsigned lo;
            if (hex4(s + i + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
              v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
              i += 6;
            }
          }
          put_utf8(o, &k, v);
          break;
        }
        default: {
          char tk[2] = {ch, 0};
          perr(p, "S0103", (int)i, tk, NULL);
        }
        }
        i++;
      } else if (ch == q) {
        o[k] = 0;
        t->type = 's';
        t->val = o;
        t->len = k;
        p->pos = i + 1;
        return;
      } else
        o[k++] = s[i++];
    }
    perr(p, "S0101", (int)i, NULL, NULL);
  }
  if (c >= '0' && c <= '9') {
    size_t i = p->pos;
    if (s[i] == '0')
      i++;
    else
      while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
      i++;
      while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
      size_t j = i + 1;
      if (j < n && (s[j] == '+' || s[j] == '-')) j++;
      if (j < n && s[j] >= '0' && s[j] <= '9') {
        while (j < n && s[j] >= '0' && s[j] <= '9')
          j++;
        i = j;
      }
    }
    char *txt = jn_strndup(p->a, s + p->pos, i - p->pos);
    double d = strtod(txt, NULL);
    if (!isfinite(d)) perr(p, "S0102", t->pos, txt, NULL);
    t->type = 'n';
    t->num = d;
    t->val = txt;
    p->pos = i;
    return;
  }
  if (c == '`') {
    const char *end = memchr(s + p->pos + 1, '`', n - p->pos - 1);
    if (!end) perr(p, "S0105", (int)p->pos, NULL, NULL);
    t->type = 'N';
    t->val = jn_strndup(p->a, s + p->pos + 1, (size_t)(end - s) - p->pos - 1);
    t->len = (size_t)(end - s) - p->pos - 1;
    p->pos = (size_t)(end - s) + 1;
    return;
  }
  size_t i = p->pos;
  while (i < n && !strchr(" \t\n\r\v", s[i]) && !is_opchar(s[i]))
    i++;
  if (s[p->pos] == '$') {
    t->type = 'v';
    t->val = jn_strndup(p->a, s + p->pos + 1, i - p->pos - 1);
    t->len = i - p->pos - 1;
    p->pos = i;
    return;
  }
  char *name = jn_strndup(p->a, s + p->pos, i - p->pos);
  t->len = i - p->pos;
  p->pos = i;
  t->val = name;
  if (!strcmp(name, "and") || !strcmp(name, "or") || !strcmp(name, "in"))
    t->type = 'o';
  else if (!strcmp(name, "true"))
    t->type = 'V', t->vkind = 1;
  else if (!strcmp(name, "false"))
    t->type = 'V', t->vkind = 2;
  else if (!strcmp(name, "null"))
    t->type = 'V', t->vkind = 0;
  else
    t->type = 'N';
}

/* ---------------- parser */
static int is_op(P *p, const char *op) {
  return p->t.type == 'o' && !strcmp(p->t.val, op);
}

static int lbp_of(P *p) {
  if (p->t.type != 'o') return 0;
  static const struct {
    const char *op;
    int bp;
  } T[] = {{".", 75},   {"[", 80},  {"]", 0},   {"{", 70},  {"}", 0},
           {"(", 80},   {")", 0},   {",", 0},   {"@", 80},  {"#", 80},
           {";", 0},    {":", 0},   {"?", 20},  {"+", 50},  {"-", 50},
           {"*", 60},   {"/", 60},  {"%", 60},  {"|", 0},   {"=", 40},
           {"<", 40},   {">", 40},  {"^", 40},  {"**", 0},  {"..", 0},
           {":=", 10},  {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40},
           {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50}};
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
    if (!strcmp(T[i].op, p->t.val)) return T[i].bp;
  perr(p, "S0204", p->t.pos, p->t.val, NULL);
}

static void expect(P *p, const char *op, int infix) {
  if (p->t.type == 'e') perr(p, "S0203", p->t.pos, NULL, op);
  if (!is_op(p, op)) perr(p, "S0202", p->t.pos, p->t.val, op);
  lex(p, infix);
}

static node *mk(P *p, int type, int pos) {
  node *x = jn_alloc(p->a, sizeof *x);
  x->type = type;
  x->pos = pos;
  return x;
}

typedef struct {
  node **v;
  int n, cap;
} nvec;
static void npush(P *p, nvec *v, node *x) {
  if (v->n == v->cap) {
    int nc = v->cap ? v->cap * 2 : 4;
    node **nv = jn_alloc(p->a, sizeof *nv * (size_t)nc);
    if (v->n) mcpy(nv, v->v, sizeof *nv * (size_t)v->n);
    v->v = nv;
    v->cap = nc;
  }
  v->v[v->n++] = x;
}

static node *expression(P *p, int rbp);

static node *nud(P *p) {
  tok t = p->t;
  node *x;
  switch (t.type) {
  case 'e':
    perr(p, "S0207", t.pos, NULL, NULL);
  case 'N':
    lex(p, 1);
    x = mk(p, N_NAME, t.pos);
    x->value = t.val;
    x->vlen = t.len;
    return x;
  case 'v':
    lex(p, 1);
    x = mk(p, N_VARIABLE, t.pos);
    x->value = t.val;
    x->vlen = t.len;
    return x;
  case 's':
    lex(p, 1);
    x = mk(p, N_STRING, t.pos);
    x->value = t.val;
    x->vlen = t.len;
    return x;
  case 'n':
    lex(p, 1);
    x = mk(p, N_NUMBER, t.pos);
    x->num = t.num;
    x->value = t.val;
    return x;
  case 'V':
    lex(p, 1);
    x = mk(p, N_VALUE, t.pos);
    x->vkind = t.vkind;
    x->value = t.val;
    return x;
  case 'r':
    lex(p, 1);
    return t.re;
  }
  /* operators */
  const char *op = t.val;
  if (!strcmp(op, "and") || !strcmp(op, "or") || !strcmp(op, "in")) {
    lex(p, 1);
    x = mk(p, N_NAME, t.pos);
    x->value = op;
    x->vlen = strlen(op);
    return x;
  }
  if (!strcmp(op, "*")) {
    lex(p, 1);
    return mk(p, N_WILDCARD, t.pos);
  }
  if (!strcmp(op, "**")) {
    lex(p, 1);
    return mk(p, N_DESCENDANT, t.pos);
  }
  if (!strcmp(op, "%")) {
    lex(p, 1);
    return mk(p, N_PARENT, t.pos);
  }
  if (!strcmp(op, "-")) {
    lex(p, 0);
    x = mk(p, N_UNARY, t.pos);
    x->value = "-";
    x->expr = expression(p, 70);
    return x;
  }
  if (!strcmp(op, "(")) {
    lex(p, 0);
    nvec v = {0};
    x = mk(p, N_BLOCK, t.pos);
    while (!is_op(p, ")")) {
      npush(p, &v, expression(p, 0));
      if (!is_op(p, ";")) break;
      expect(p, ";", 0);
    }
    expect(p, ")", 1);
    x->items = v.v;
    x->nitems = v.n;
    return x;
  }
  if (!strcmp(op, "[")) {
    lex(p, 0);
    nvec v = {0};
    x = mk(p, N_ARRAY, t.pos);
    if (!is_op(p, "]")) {
      for (;;) {
        node *item = expression(p, 0);
        if (is_op(p, "..")) {
          node *r = mk(p, N_BINARY, p->t.pos);
          r->value = "..";
          r->lhs = item;
          expect(p, "..", 0);
          r->rhs = expression(p, 0);
          item = r;
        }
        npush(p, &v, item);
        if (!is_op(p, ",")) break;
        expect(p, ",", 0);
      }
    }
    expect(p, "]", 1);
    x->items = v.v;
    x->nitems = v.n;
    return x;
  }
  if (!strcmp(op, "{")) {
    lex(p, 0);
    nvec k = {0}, v = {0};
    x = mk(p, N_OBJECT, t.pos);
    if (!is_op(p, "}")) {
      for (;;) {
        npush(p, &k, expression(p, 0));
        expect(p, ":", 0);
        npush(p, &v, expression(p, 0));
        if (!is_op(p, ",")) break;
        expect(p, ",", 0);
      }
    }
    expect(p, "}", 1);
    x->grp = jn_alloc(p->a, sizeof *x->grp);
    x->grp->k = k.v;
    x->grp->v = v.v;
    x->grp->n = k.n;
    x->grp->pos = t.pos;
    return x;
  }
  if (!strcmp(op, "|")) {
    lex(p, 0);
    x = mk(p, N_TRANSFORM, t.pos);
    x->pattern = expression(p, 0);
    expect(p, "|", 0);
    x->update = expression(p, 0);
    if (is_op(p, ",")) {
      expect(p, ",", 0);
      x->del = expression(p, 0);
    }
    expect(p, "|", 1);
    return x;
  }
  if (!strcmp(op, "?")) {
    /* placeholder in a partial application (checked by the caller) */
    perr(p, "S0211", t.pos, op, NULL);
  }
  perr(p, "S0211", t.pos, op, NULL);
}

static node *led(P *p, node *left) {
  tok t = p->t;
  const char *op = t.val;
  node *x;
  if (!strcmp(op, "(")) {
    lex(p, 0);
    x = mk(p, N_FUNCTION, t.pos);
    x->expr = left; /* procedure */
    nvec v = {0};
    if (!is_op(p, ")")) {
      for (;;) {
        if (is_op(p, "?")) {
          x->type = N_PARTIAL;
          node *ph = mk(p, N_OPERATOR, p->t.pos);
          ph->value = "?";
          npush(p, &v, ph);
          lex(p, 1);
        } else
          npush(p, &v, expression(p, 0));
        if (!is_op(p, ",")) break;
        expect(p, ",", 0);
      }
    }
    x->items = v.v;
    x->nitems = v.n;
    if (left->type == N_NAME && (!strcmp(left->value, "function") ||
                                 !strcmp(left->value, "\xce\xbb"))) {
      /* lambda definition: peek for '<' without consuming */
      for (int i = 0; i < v.n; i++)
        if (v.v[i]->type != N_VARIABLE)
          perr(p, "S0208", v.v[i]->pos, v.v[i]->value ? v.v[i]->value : "",
               NULL);
      x->type = N_LAMBDA;
      x->params = jn_alloc(p->a, sizeof(char *) * (size_t)(v.n + 1));
      for (int i = 0; i < v.n; i++)
        x->params[i] = v.v[i]->value;
      x->nparams = v.n;
      /* the ')' is current; look at raw text after it */
      if (!is_op(p, ")")) expect(p, ")", 1);
      size_t q = p->pos;
      while (q < p->len && strchr(" \t\n\r\v", p->src[q]))
        q++;
      if (q < p->len && p->src[q] == '<') {
        int depth = 0;
        size_t s0 = q;
        for (; q < p->len; q++) {
          if (p->src[q] == '<')
            depth++;
          else if (p->src[q] == '>') {
            if (--depth == 0) break;
          } else if (p->src[q] == '{')
            break;
        }
        if (q >= p->len || p->src[q] != '>') {
          p->pos = q;
          lex(p, 0);
          perr(p, p->t.type == 'e' ? "S0203" : "S0202", p->t.pos, p->t.val,
               ">");
        }
        int ep = 0;
        char code[8] = "";
        x->sig = jn_sig_parse(p->a, p->src + s0, q - s0 + 1, &ep, code);
        if (!x->sig) perr(p, code, (int)s0 + ep, NULL, NULL);
        p->pos = q + 1;
      }
      lex(p, 0);
      expect(p, "{", 0);
      x->body = expression(p, 0);
      expect(p, "}", 1);
      return x;
    }
    expect(p, ")", 1);
    return x;
  }
  if (!strcmp(op, "[")) {
    lex(p, 0);
    if (is_op(p, "]")) {
      node *s = left;
      while (s && s->type == N_BINARY && !strcmp(s->value, "["))
        s = s->lhs;
      s->keep_array = 1;
      expect(p, "]", 1);
      return left;
    }
    x = mk(p, N_BINARY, t.pos);
    x->value = "[";
    x->lhs = left;
    x->rhs = expression(p, 0);
    expect(p, "]", 1);
    return x;
  }
  if (!strcmp(op, "{")) {
    lex(p, 0);
    nvec k = {0}, v = {0};
    if (!is_op(p, "}")) {
      for (;;) {
        npush(p, &k, expression(p, 0));
        expect(p, ":", 0);
        npush(p, &v, expression(p, 0));
        if (!is_op(p, ",")) break;
        expect(p, ",", 0);
      }
    }
    expect(p, "}", 1);
    x = mk(p, N_GROUPBY_RAW, t.pos);
    x->lhs = left;
    x->grp = jn_alloc(p->a, sizeof *x->grp);
    x->grp->k = k.v;
    x->grp->v = v.v;
    x->grp->n = k.n;
    x->grp->pos = t.pos;
    return x;
  }
  if (!strcmp(op, "^")) {
    lex(p, 0);
    expect(p, "(", 0);
    x = mk(p, N_BINARY, t.pos);
    x->value = "^";
    x->lhs = left;
    int cap = 4, n = 0;
    sortterm *terms = jn_alloc(p->a, sizeof *terms * (size_t)cap);
    for (;;) {
      int desc = 0;
      if (is_op(p, "<"))
        expect(p, "<", 0);
      else if (is_op(p, ">")) {
        desc = 1;
        expect(p, ">", 0);
      }
      node *e = expression(p, 0);
      if (n == cap) {
        sortterm *nt = jn_alloc(p->a, sizeof *nt * (size_t)cap * 2);
        mcpy(nt, terms, sizeof *nt * (size_t)n);
        terms = nt;
        cap *= 2;
      }
      terms[n].expr = e;
      terms[n].desc = desc;
      n++;
      if (!is_op(p, ",")) break;
      expect(p, ",", 0);
    }
    expect(p, ")", 1);
    x->terms = terms;
    x->nterms = n;
    return x;
  }
  if (!strcmp(op, "?")) {
    lex(p, 0);
    x = mk(p, N_CONDITION, t.pos);
    x->cond = left;
    x->then = expression(p, 0);
    if (is_op(p, ":")) {
      expect(p, ":", 0);
      x->els = expression(p, 0);
    }
    return x;
  }
  if (!strcmp(op, ":=")) {
    lex(p, 0);
    if (left->type != N_VARIABLE)
      perr(p, "S0212", left->pos, left->value, NULL);
    x = mk(p, N_BINARY, t.pos);
    x->value = ":=";
    x->lhs = left;
    x->rhs = expression(p, 9);
    return x;
  }
  if (!strcmp(op, "@") || !strcmp(op, "#")) {
    lex(p, 0);
    x = mk(p, N_BINARY, t.pos);
    x->value = op;
    x->lhs = left;
    x->rhs = expression(p, 80);
    if (x->rhs->type != N_VARIABLE) perr(p, "S0214", x->rhs->pos, op, NULL);
    return x;
  }
  static const char *infix[] = {
      ".",  "+",  "-",  "*", "/",   "%",  "=",  "<",  ">",
      "!=", "<=", ">=", "&", "and", "or", "in", "~>", ".."};
  for (size_t i = 0; i < sizeof infix / sizeof infix[0]; i++)
    if (!strcmp(op, infix[i])) {
      int bp = lbp_of(p);
      lex(p, 0);
      x = mk(p, N_BINARY, t.pos);
      x->value = infix[i];
      x->lhs = left;
      x->rhs = expression(p, bp);
      return x;
    }
  perr(p, "S0201", t.pos, op, NULL);
}

static node *expression(P *p, int rbp) {
  node *left = nud(p);
  while (rbp < lbp_of(p))
    left = led(p, left);
  return left;
}

/* ---------------- AST pass (jsonata-js processAST) */
static void anc_push(P *p, slot *s) {
  if (p->nanc == p->capanc) {
    int nc = p->capanc ? p->capanc * 2 : 8;
    slot **nv = jn_alloc(p->a, sizeof *nv * (size_t)nc);
    if (p->nanc) mcpy(nv, p->ancestry, sizeof *nv * (size_t)p->nanc);
    p->ancestry = nv;
    p->capanc = nc;
  }
  p->ancestry[p->nanc++] = s;
}

static void seek_add(P *p, node *x, slot *s) {
  slot **nv = jn_alloc(p->a, sizeof *nv * (size_t)(x->nseeking + 1));
  if (x->nseeking) mcpy(nv, x->seeking, sizeof *nv * (size_t)x->nseeking);
  nv[x->nseeking++] = s;
  x->seeking = nv;
}

static void push_ancestry(P *p, node *result, node *value) {
  if (value->nseeking || value->type == N_PARENT) {
    for (int i = 0; i < value->nseeking; i++)
      seek_add(p, result, value->seeking[i]);
    if (value->type == N_PARENT) seek_add(p, result, value->pslot);
  }
}

static slot *seek_parent(P *p, node *x, slot *s) {
  switch (x->type) {
  case N_NAME:
  case N_WILDCARD:
    s->level--;
    if (s->level == 0) {
      if (!x->ancestor)
        x->ancestor = s;
      else {
        mcpy(p->ancestry[s->index]->label, x->ancestor->label, sizeof s->label);
        x->ancestor = s;
      }
      x->tuple = 1;
    }
    break;
  case N_PARENT:
    s->level++;
    break;
  case N_BLOCK:
    if (x->nitems > 0) {
      x->tuple = 1;
      s = seek_parent(p, x->items[x->nitems - 1], s);
    }
    break;
  case N_PATH: {
    x->tuple = 1;
    int i = x->nitems - 1;
    s = seek_parent(p, x->items[i--], s);
    while (s->level > 0 && i >= 0)
      s = seek_parent(p, x->items[i--], s);
    break;
  }
  default:
    perr(p, "S0217", x->pos, NULL, NULL);
  }
  return s;
}

static void resolve_ancestry(P *p, node *path) {
  int index = path->nitems - 1;
  node *last = path->items[index];
  int ns = last->nseeking + (last->type == N_PARENT);
  slot **slots = jn_alloc(p->a, sizeof *slots * (size_t)(ns + 1));
  for (int i = 0; i < last->nseeking; i++)
    slots[i] = last->seeking[i];
  if (last->type == N_PARENT) slots[last->nseeking] = last->pslot;
  for (int is = 0; is < ns; is++) {
    slot *s = slots[is];
    index = path->nitems - 2;
    while (s->level > 0) {
      if (index < 0) {
        seek_add(p, path, s);
        break;
      }
      node *step = path->items[index--];
      while (index >= 0 && step->focus && path->items[index]->focus)
        step = path->items[index--];
      s = seek_parent(p, step, s);
    }
  }
}

static void path_push(P *p, node *path, node *step) {
  node **nv = jn_alloc(p->a, sizeof *nv * (size_t)(path->nitems + 1));
  if (path->nitems) mcpy(nv, path->items, sizeof *nv * (size_t)path->nitems);
  nv[path->nitems++] = step;
  path->items = nv;
}

static void stage_push(P *p, stage **arr, int *n, stage st) {
  stage *nv = jn_alloc(p->a, sizeof *nv * (size_t)(*n + 1));
  if (*n) mcpy(nv, *arr, sizeof *nv * (size_t)*n);
  nv[(*n)++] = st;
  *arr = nv;
}

static node *tail_call(P *p, node *x) {
  if (x->type == N_FUNCTION && !x->npreds) {
    node *th = mk(p, N_LAMBDA, x->pos);
    th->thunk = 1;
    th->body = x;
    return th;
  }
  if (x->type == N_CONDITION) {
    x->then = tail_call(p, x->then);
    if (x->els) x->els = tail_call(p, x->els);
  } else if (x->type == N_BLOCK && x->nitems > 0)
    x->items[x->nitems - 1] = tail_call(p, x->items[x->nitems - 1]);
  return x;
}

static node *process(P *p, node *x) {
  node *r = NULL;
  switch (x->type) {
  case N_BINARY: {
    const char *op = x->value;
    if (!strcmp(op, ".")) {
      node *l = process(p, x->lhs);
      if (l->type == N_PATH)
        r = l;
      else {
        r = mk(p, N_PATH, l->pos);
        path_push(p, r, l);
      }
      if (l->type == N_PARENT) seek_add(p, r, l->pslot);
      node *rest = process(p, x->rhs);
      if (rest->type == N_PATH)
        for (int i = 0; i < rest->nitems; i++)
          path_push(p, r, rest->items[i]);
      else {
        if (rest->npreds) {
          rest->stages = rest->preds;
          rest->nstages = rest->npreds;
          rest->preds = NULL;
          rest->npreds = 0;
        }
        path_push(p, r, rest);
      }
      for (int i = 0; i < r->nitems; i++) {
        node *s = r->items[i];
        if (s->type == N_NUMBER || s->type == N_VALUE)
          perr(p, "S0213", s->pos, s->value, NULL);
        if (s->type == N_STRING) s->type = N_NAME;
        if (s->keep_array) r->keep_singleton = 1;
      }
      if (r->items[0]->type == N_ARRAY) r->items[0]->consarray = 1;
      if (r->items[r->nitems - 1]->type == N_ARRAY)
        r->items[r->nitems - 1]->consarray = 1;
      resolve_ancestry(p, r);
    } else if (!strcmp(op, "[")) {
      r = process(p, x->lhs);
      node *step = r;
      int stages = 0;
      if (r->type == N_PATH) {
        step = r->items[r->nitems - 1];
        stages = 1;
      }
      if (step->grp) perr(p, "S0209", x->pos, NULL, NULL);
      node *pred = process(p, x->rhs);
      if (pred->nseeking) {
        for (int i = 0; i < pred->nseeking; i++) {
          slot *s = pred->seeking[i];
          if (s->level == 1)
            seek_parent(p, step, s);
          else
            s->level--;
        }
        push_ancestry(p, step, pred);
      }
      stage st = {'f', pred, NULL, x->pos};
      if (stages)
        stage_push(p, &step->stages, &step->nstages, st);
      else
        stage_push(p, &step->preds, &step->npreds, st);
    } else if (!strcmp(op, "^")) {
      r = process(p, x->lhs);
      if (r->type != N_PATH) {
        node *pa = mk(p, N_PATH, r->pos);
        path_push(p, pa, r);
        r = pa;
      }
      node *s = mk(p, N_SORT, x->pos);
      s->terms = jn_alloc(p->a, sizeof *s->terms * (size_t)x->nterms);
      s->nterms = x->nterms;
      for (int i = 0; i < x->nterms; i++) {
        s->terms[i].desc = x->terms[i].desc;
        s->terms[i].expr = process(p, x->terms[i].expr);
        push_ancestry(p, s, s->terms[i].expr);
      }
      path_push(p, r, s);
      resolve_ancestry(p, r);
    } else if (!strcmp(op, ":=")) {
      r = mk(p, N_BIND, x->pos);
      r->lhs = process(p, x->lhs);
      r->rhs = process(p, x->rhs);
      push_ancestry(p, r, r->rhs);
    } else if (!strcmp(op, "@")) {
      r = process(p, x->lhs);
      node *step = r;
      if (r->type == N_PATH) step = r->items[r->nitems - 1];
      if (step->nstages || step->npreds) perr(p, "S0215", x->pos, NULL, NULL);
      if (step->type == N_SORT) perr(p, "S0216", x->pos, NULL, NULL);
      if (x->keep_array) step->keep_array = 1;
      step->focus = x->rhs->value;
      step->tuple = 1;
    } else if (!strcmp(op, "#")) {
      r = process(p, x->lhs);
      node *step = r;
      if (r->type == N_PATH)
        step = r->items[r->nitems - 1];
      else {
        r = mk(p, N_PATH, step->pos);
        path_push(p, r, step);
        if (step->npreds) {
          step->stages = step->preds;
          step->nstages = step->npreds;
          step->preds = NULL;
          step->npreds = 0;
        }
      }
      if (!step->nstages)
        step->index = x->rhs->value;
      else {
        stage st = {'i', NULL, x->rhs->value, x->pos};
        stage_push(p, &step->stages, &step->nstages, st);
      }
      step->tuple = 1;
    } else if (!strcmp(op, "~>")) {
      r = mk(p, N_APPLY, x->pos);
      r->value = op;
      r->lhs = process(p, x->lhs);
      r->rhs = process(p, x->rhs);
      r->keep_array = r->lhs->keep_array || r->rhs->keep_array;
    } else {
      r = mk(p, N_BINARY, x->pos);
      r->value = op;
      r->lhs = process(p, x->lhs);
      r->rhs = process(p, x->rhs);
      push_ancestry(p, r, r->lhs);
      push_ancestry(p, r, r->rhs);
    }
    break;
  }
  case N_GROUPBY_RAW: {
    r = process(p, x->lhs);
    if (r->grp) perr(p, "S0210", x->pos, NULL, NULL);
    group *g = jn_alloc(p->a, sizeof *g);
    g->n = x->grp->n;
    g->pos = x->pos;
    g->k = jn_alloc(p->a, sizeof(node *) * (size_t)(g->n + 1));
    g->v = jn_alloc(p->a, sizeof(node *) * (size_t)(g->n + 1));
    for (int i = 0; i < g->n; i++) {
      g->k[i] = process(p, x->grp->k[i]);
      g->v[i] = process(p, x->grp->v[i]);
    }
    r->grp = g;
    break;
  }
  case N_ARRAY: {
    r = mk(p, N_ARRAY, x->pos);
    r->items = jn_alloc(p->a, sizeof(node *) * (size_t)(x->nitems + 1));
    r->nitems = x->nitems;
    for (int i = 0; i < x->nitems; i++) {
      r->items[i] = process(p, x->items[i]);
      push_ancestry(p, r, r->items[i]);
    }
    break;
  }
  case N_OBJECT: {
    r = mk(p, N_OBJECT, x->pos);
    group *g = jn_alloc(p->a, sizeof *g);
    g->n = x->grp->n;
    g->pos = x->pos;
    g->k = jn_alloc(p->a, sizeof(node *) * (size_t)(g->n + 1));
    g->v = jn_alloc(p->a, sizeof(node *) * (size_t)(g->n + 1));
    for (int i = 0; i < g->n; i++) {
      g->k[i] = process(p, x->grp->k[i]);
      push_ancestry(p, r, g->k[i]);
      g->v[i] = process(p, x->grp->v[i]);
      push_ancestry(p, r, g->v[i]);
    }
    r->grp = g;
    break;
  }
  case N_UNARY: {
    r = mk(p, N_UNARY, x->pos);
    r->value = x->value;
    r->expr = process(p, x->expr);
    if (r->expr->type == N_NUMBER) {
      r = r->expr;
      r->num = -r->num;
    } else
      push_ancestry(p, r, r->expr);
    break;
  }
  case N_FUNCTION:
  case N_PARTIAL: {
    r = mk(p, x->type, x->pos);
    r->items = jn_alloc(p->a, sizeof(node *) * (size_t)(x->nitems + 1));
    r->nitems = x->nitems;
    for (int i = 0; i < x->nitems; i++) {
      r->items[i] = process(p, x->items[i]);
      push_ancestry(p, r, r->items[i]);
    }
    r->expr = process(p, x->expr);
    if (r->expr->type == N_PATH && r->expr->nitems > 0)
      r->fname = r->expr->items[0]->value;
    else
      r->fname = r->expr->value;
    break;
  }
  case N_LAMBDA: {
    r = x;
    r->body = tail_call(p, process(p, x->body));
    break;
  }
  case N_CONDITION:
    r = x;
    r->cond = process(p, x->cond);
    push_ancestry(p, r, r->cond);
    r->then = process(p, x->then);
    push_ancestry(p, r, r->then);
    if (x->els) {
      r->els = process(p, x->els);
      push_ancestry(p, r, r->els);
    }
    break;
  case N_TRANSFORM:
    r = x;
    r->pattern = process(p, x->pattern);
    r->update = process(p, x->update);
    if (x->del) r->del = process(p, x->del);
    break;
  case N_BLOCK:
    r = x;
    for (int i = 0; i < x->nitems; i++) {
      x->items[i] = process(p, x->items[i]);
      push_ancestry(p, r, x->items[i]);
      node *it = x->items[i];
      if (it->consarray || (it->type == N_PATH && it->items[0]->consarray))
        r->consarray = 1;
    }
    break;
  case N_NAME:
    r = mk(p, N_PATH, x->pos);
    path_push(p, r, x);
    if (x->keep_array) r->keep_singleton = 1;
    break;
  case N_PARENT: {
    r = x;
    r->pslot = jn_alloc(p->a, sizeof(slot));
    snprintf(r->pslot->label, sizeof r->pslot->label, "!%d", p->anclabel++);
    r->pslot->level = 1;
    r->pslot->index = p->nanc;
    anc_push(p, r->pslot);
    break;
  }
  default:
    r = x;
  }
  if (x->keep_array) r->keep_array = 1;
  return r;
}

node *jn_parse(jn_arena *a, const char *text, jsonata_error *err) {
  P p = {0};
  p.a = a;
  p.src = text;
  p.len = strlen(text);
  p.err = err;
  if (setjmp(p.jb)) return NULL;
  lex(&p, 0);
  node *x = expression(&p, 0);
  if (p.t.type != 'e') perr(&p, "S0201", p.t.pos, p.t.val, NULL);
  node *r = process(&p, x);
  if (r->type == N_PARENT || r->nseeking) perr(&p, "S0217", r->pos, NULL, NULL);
  return r;
}
