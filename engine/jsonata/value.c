/* value.c: the arena, JSONata values (sequences, ordered objects,
 * functions), JSON text in JavaScript's number format, cJSON conversion. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jn.h"

/* memcpy that accepts (NULL, 0) */
static inline void *mcpy(void *d, const void *s, size_t n) {
  return n ? memcpy(d, s, n) : d;
}

struct jn_block {
  jn_block *next;
  size_t size;
  char data[];
};

static void *alloc(jn_arena *a, size_t n, int zero) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  if ((size_t)(a->end - a->p) < n) {
    if (a->next < 1024) a->next = 4096 - sizeof(jn_block) - 32; /* one page */
    size_t sz = n > 32768 ? n : a->next;
    if (sz < n) sz = n;
    if (a->next < 65536) a->next *= 2;
    jn_block *b = malloc(sizeof *b + sz);
    if (!b) abort();
    b->size = sz;
    if (n > 32768 && a->head && a->end - a->p > 1024) {
      /* big block: keep the current block for small allocations */
      b->next = a->head->next;
      a->head->next = b;
      if (zero) memset(b->data, 0, n);
      return b->data;
    }
    b->next = a->head;
    a->head = b;
    a->p = b->data;
    a->end = b->data + sz;
  }
  void *r = a->p;
  a->p += n;
  if (zero) memset(r, 0, n);
  return r;
}
void *jn_alloc(jn_arena *a, size_t n) { return alloc(a, n, 1); }
void *jn_alloc_raw(jn_arena *a, size_t n) { return alloc(a, n, 0); }

void jn_arena_free(jn_arena *a) {
  for (size_t i = 0; i < a->ncodes; i++)
    pcre2_code_free(a->codes[i]);
  free(a->codes);
  jn_block *b = a->head;
  while (b) {
    jn_block *n = b->next;
    free(b);
    b = n;
  }
  memset(a, 0, sizeof *a);
}

void jn_arena_code(jn_arena *a, pcre2_code *c) {
  if (a->ncodes == a->capcodes) {
    a->capcodes = a->capcodes ? a->capcodes * 2 : 8;
    a->codes = realloc(a->codes, sizeof *a->codes * a->capcodes);
    if (!a->codes) abort();
  }
  a->codes[a->ncodes++] = c;
}

char *jn_strndup(jn_arena *a, const char *s, size_t n) {
  char *r = jn_alloc(a, n + 1);
  mcpy(r, s, n);
  r[n] = 0;
  return r;
}

jv jn_true = {JT_BOOL, 0, {.b = 1}}, jn_false = {JT_BOOL, 0, {.b = 0}},
   jn_null = {JT_NULL, 0, {0}};

jv *jn_num(E *e, double d) {
  jv *v = jn_alloc(e->a, sizeof *v);
  v->t = JT_NUM;
  v->u.n = d;
  return v;
}
jv *jn_str(E *e, const char *s, size_t n) {
  jv *v = jn_alloc(e->a, sizeof *v);
  v->t = JT_STR;
  v->u.s.p = s;
  v->u.s.n = n;
  return v;
}
jv *jn_cstr(E *e, const char *s) {
  size_t n = strlen(s);
  return jn_str(e, jn_strndup(e->a, s, n), n);
}
jv *jn_arr(E *e, size_t cap) {
  jv *v = jn_alloc(e->a, sizeof *v);
  v->t = JT_ARR;
  if (cap) {
    v->u.a.v = jn_alloc(e->a, sizeof(jv *) * cap);
    v->u.a.cap = cap;
  }
  return v;
}
jv *jn_seq(E *e) {
  jv *v = jn_arr(e, 0);
  v->f = JF_SEQ;
  return v;
}
void jn_push(E *e, jv *arr, jv *x) {
  jn_tick(e);
  if (arr->u.a.n == arr->u.a.cap) {
    size_t nc = arr->u.a.cap ? arr->u.a.cap * 2 : 4;
    jv **nv = jn_alloc(e->a, sizeof *nv * nc);
    if (arr->u.a.n) mcpy(nv, arr->u.a.v, sizeof *nv * arr->u.a.n);
    arr->u.a.v = nv;
    arr->u.a.cap = nc;
  }
  arr->u.a.v[arr->u.a.n++] = x;
}
jv *jn_obj(E *e) {
  jv *v = jn_alloc(e->a, sizeof *v);
  v->t = JT_OBJ;
  v->u.o = jn_alloc(e->a, sizeof(jobj));
  return v;
}
static uint32_t khash(const char *k, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)k[i]) * 16777619u;
  return h;
}
static void oindex(E *e, jobj *o) {
  size_t cap = 16;
  while (cap < o->n * 2 + 2)
    cap *= 2;
  o->idx =
      e ? jn_alloc(e->a, sizeof *o->idx * cap) : calloc(cap, sizeof *o->idx);
  o->idxcap = cap;
  for (size_t i = 0; i < o->n; i++) {
    size_t h = khash(o->k[i], o->kl[i]) & (cap - 1);
    while (o->idx[h])
      h = (h + 1) & (cap - 1);
    o->idx[h] = (uint32_t)i + 1;
  }
}
static long ofind(const jobj *o, const char *k, size_t kl) {
  if (o->idx) {
    size_t h = khash(k, kl) & (o->idxcap - 1);
    while (o->idx[h]) {
      size_t i = o->idx[h] - 1;
      if (o->kl[i] == kl && !memcmp(o->k[i], k, kl)) return (long)i;
      h = (h + 1) & (o->idxcap - 1);
    }
    return -1;
  }
  for (size_t i = 0; i < o->n; i++)
    if (o->kl[i] == kl && !memcmp(o->k[i], k, kl)) return (long)i;
  return -1;
}
jv *jn_oget(const jv *o, const char *k, size_t kl) {
  long i = ofind(o->u.o, k, kl);
  return i < 0 ? NULL : o->u.o->v[i];
}
void jn_oset(E *e, jv *ov, const char *k, size_t kl, jv *v) {
  jobj *o = ov->u.o;
  long i = ofind(o, k, kl);
  if (i >= 0) {
    o->v[i] = v;
    return;
  }
  if (o->n == o->cap) {
    size_t nc = o->cap ? o->cap * 2 : 4;
    const char **nk = jn_alloc(e->a, sizeof *nk * nc);
    size_t *nl = jn_alloc(e->a, sizeof *nl * nc);
    jv **nv = jn_alloc(e->a, sizeof *nv * nc);
    if (o->n) {
      mcpy(nk, o->k, sizeof *nk * o->n);
      mcpy(nl, o->kl, sizeof *nl * o->n);
      mcpy(nv, o->v, sizeof *nv * o->n);
    }
    o->k = nk;
    o->kl = nl;
    o->v = nv;
    o->cap = nc;
  }
  o->k[o->n] = k;
  o->kl[o->n] = kl;
  o->v[o->n] = v;
  o->n++;
  if (o->idx && o->n * 2 + 2 > o->idxcap) o->idx = NULL;
  if (o->idx) {
    size_t h = khash(k, kl) & (o->idxcap - 1);
    while (o->idx[h])
      h = (h + 1) & (o->idxcap - 1);
    o->idx[h] = (uint32_t)o->n;
  } else if (o->n > 8)
    oindex(e, o);
}
void jn_odel(jv *ov, const char *k, size_t kl) {
  jobj *o = ov->u.o;
  long i = ofind(o, k, kl);
  if (i < 0) return;
  for (size_t j = (size_t)i; j + 1 < o->n; j++) {
    o->k[j] = o->k[j + 1];
    o->kl[j] = o->kl[j + 1];
    o->v[j] = o->v[j + 1];
  }
  o->n--;
  o->idx = NULL; /* rebuilt by the next set; lookups scan until then */
}
jv *jn_fnval(E *e, jfn *f) {
  jv *v = jn_alloc(e->a, sizeof *v);
  v->t = JT_FN;
  v->u.fn = f;
  return v;
}
int jn_is_fn(const jv *v) { return v && v->t == JT_FN; }
int jn_is_arr(const jv *v) { return v && v->t == JT_ARR; }

int jn_truthy(jv *v) {
  if (!v) return -1;
  switch (v->t) {
  case JT_ARR:
    if (v->u.a.n == 1) return jn_truthy(v->u.a.v[0]) == 1;
    for (size_t i = 0; i < v->u.a.n; i++)
      if (jn_truthy(v->u.a.v[i]) == 1) return 1;
    return 0;
  case JT_STR:
    return v->u.s.n > 0;
  case JT_NUM:
    return v->u.n != 0;
  case JT_OBJ:
    return v->u.o->n > 0;
  case JT_BOOL:
    return v->u.b;
  default:
    return 0;
  }
}

int jn_deep_eq(jv *a, jv *b) {
  if (a == b) return 1;
  if (!a || !b) return 0;
  if (a->t != b->t) return 0;
  switch (a->t) {
  case JT_NULL:
    return 1;
  case JT_BOOL:
    return a->u.b == b->u.b;
  case JT_NUM:
    return a->u.n == b->u.n;
  case JT_STR:
    return a->u.s.n == b->u.s.n && !memcmp(a->u.s.p, b->u.s.p, a->u.s.n);
  case JT_ARR:
    if (a->u.a.n != b->u.a.n) return 0;
    for (size_t i = 0; i < a->u.a.n; i++)
      if (!jn_deep_eq(a->u.a.v[i], b->u.a.v[i])) return 0;
    return 1;
  case JT_OBJ:
    if (a->u.o->n != b->u.o->n) return 0;
    for (size_t i = 0; i < a->u.o->n; i++) {
      jv *o = jn_oget(b, a->u.o->k[i], a->u.o->kl[i]);
      if (!o || !jn_deep_eq(a->u.o->v[i], o)) return 0;
    }
    return 1;
  default:
    return 0;
  }
}

/* fn.append */
jv *jn_append(E *e, jv *a, jv *b) {
  if (!a) return b;
  if (!b) return a;
  jv *r;
  if (a->t != JT_ARR) {
    r = jn_seq(e);
    jn_push(e, r, a);
  } else {
    r = jn_arr(e, a->u.a.n + (b->t == JT_ARR ? b->u.a.n : 1));
    r->f = a->f & (JF_SEQ);
    for (size_t i = 0; i < a->u.a.n; i++)
      jn_push(e, r, a->u.a.v[i]);
  }
  if (b->t != JT_ARR)
    jn_push(e, r, b);
  else
    for (size_t i = 0; i < b->u.a.n; i++)
      jn_push(e, r, b->u.a.v[i]);
  return r;
}

jv *jn_from_cjson(E *e, const cJSON *c) {
  if (!c) return NULL;
  if (cJSON_IsNull(c)) return &jn_null;
  if (cJSON_IsTrue(c)) return &jn_true;
  if (cJSON_IsFalse(c)) return &jn_false;
  if (cJSON_IsNumber(c)) return jn_num(e, c->valuedouble);
  if (cJSON_IsString(c))
    return jn_str(e, c->valuestring, strlen(c->valuestring));
  if (cJSON_IsArray(c)) {
    jv *a = jn_arr(e, (size_t)cJSON_GetArraySize(c));
    for (cJSON *i = c->child; i; i = i->next)
      jn_push(e, a, jn_from_cjson(e, i));
    return a;
  }
  if (cJSON_IsObject(c)) {
    jv *o = jn_obj(e);
    for (cJSON *i = c->child; i; i = i->next)
      if (i->string)
        jn_oset(e, o, i->string, strlen(i->string), jn_from_cjson(e, i));
    return o;
  }
  return &jn_null;
}

static char *dupn(const char *s, size_t n) {
  char *r = malloc(n + 1);
  if (!r) abort();
  mcpy(r, s, n);
  r[n] = 0;
  return r;
}

cJSON *jn_to_cjson(jv *v) {
  if (!v) return NULL;
  switch (v->t) {
  case JT_NULL:
    return cJSON_CreateNull();
  case JT_BOOL:
    return cJSON_CreateBool(v->u.b);
  case JT_NUM:
    return cJSON_CreateNumber(v->u.n);
  case JT_STR: {
    char *s = dupn(v->u.s.p, v->u.s.n);
    cJSON *r = cJSON_CreateString(s);
    free(s);
    return r;
  }
  case JT_ARR: {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < v->u.a.n; i++) {
      cJSON *c = jn_to_cjson(v->u.a.v[i]);
      if (c) cJSON_AddItemToArray(a, c);
    }
    return a;
  }
  case JT_OBJ: {
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < v->u.o->n; i++) {
      cJSON *c = jn_to_cjson(v->u.o->v[i]);
      if (!c) continue;
      char *k = dupn(v->u.o->k[i], v->u.o->kl[i]);
      cJSON_AddItemToObject(o, k, c);
      free(k);
    }
    return o;
  }
  case JT_FN:
    return cJSON_CreateString("");
  default:
    return NULL;
  }
}

jv *jn_clone(E *e, jv *v) {
  if (!v) return NULL;
  if (v->t == JT_ARR) {
    jv *a = jn_arr(e, v->u.a.n);
    a->f = v->f;
    for (size_t i = 0; i < v->u.a.n; i++)
      jn_push(e, a, jn_clone(e, v->u.a.v[i]));
    return a;
  }
  if (v->t == JT_OBJ) {
    jv *o = jn_obj(e);
    for (size_t i = 0; i < v->u.o->n; i++)
      jn_oset(e, o, v->u.o->k[i], v->u.o->kl[i], jn_clone(e, v->u.o->v[i]));
    return o;
  }
  return v;
}

/* ---- numbers as JavaScript prints them */
int jn_is_int(double d) { return isfinite(d) && floor(d) == d; }

void jn_numfmt(double d, char *buf) {
  if (d == 0) {
    strcpy(buf, "0");
    return;
  }
  if (isnan(d)) {
    strcpy(buf, "null");
    return;
  }
  if (isinf(d)) {
    strcpy(buf, "null");
    return;
  }
  if (fabs(d) < 1e15 && d == (double)(long long)d) {
    sprintf(buf, "%lld", (long long)d);
    return;
  }
  char tmp[40];
  int prec;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    if (strtod(tmp, NULL) == d) break;
  }
  /* tmp: [-]d.ddde[+-]XX ; digits and exponent */
  char digits[24];
  int nd = 0, neg = 0;
  const char *q = tmp;
  if (*q == '-') {
    neg = 1;
    q++;
  }
  for (; *q && *q != 'e'; q++)
    if (*q >= '0' && *q <= '9') digits[nd++] = *q;
  int ex = atoi(q + 1);
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = 0;
  char *o = buf;
  if (neg) *o++ = '-';
  if (ex >= 21 || ex <= -7) {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      mcpy(o, digits + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    sprintf(o, "e%c%d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    return;
  }
  if (ex < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -ex - 1; i++)
      *o++ = '0';
    mcpy(o, digits, (size_t)nd);
    o += nd;
  } else {
    for (int i = 0; i <= ex; i++)
      *o++ = i < nd ? digits[i] : '0';
    if (nd > ex + 1) {
      *o++ = '.';
      mcpy(o, digits + ex + 1, (size_t)(nd - ex - 1));
      o += nd - ex - 1;
    }
  }
  *o = 0;
}

void jsonata_number_string(double d, char *buf) { jn_numfmt(d, buf); }

double jn_prec15(double d) {
  if (fabs(d) < 1e15 && d == (double)(long long)d) return d;
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%.14e", d);
  return strtod(tmp, NULL);
}

void jb_put(jbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 64;
    while (nc < b->n + n + 1)
      nc *= 2;
    char *np = jn_alloc(b->e->a, nc);
    if (b->n) mcpy(np, b->p, b->n);
    b->p = np;
    b->cap = nc;
  }
  mcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
void jb_putc(jbuf *b, char c) { jb_put(b, &c, 1); }
void jb_puts(jbuf *b, const char *s) { jb_put(b, s, strlen(s)); }

static void jstr(jbuf *b, const char *s, size_t n) {
  jb_putc(b, '"');
  size_t st = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[8];
    if (c == '"')
      esc = "\\\"";
    else if (c == '\\')
      esc = "\\\\";
    else if (c == '\n')
      esc = "\\n";
    else if (c == '\r')
      esc = "\\r";
    else if (c == '\t')
      esc = "\\t";
    else if (c == '\b')
      esc = "\\b";
    else if (c == '\f')
      esc = "\\f";
    else if (c < 0x20) {
      snprintf(u, sizeof u, "\\u%04x", c);
      esc = u;
    }
    if (esc) {
      jb_put(b, s + st, i - st);
      jb_puts(b, esc);
      st = i + 1;
    }
  }
  jb_put(b, s + st, n - st);
  jb_putc(b, '"');
}

static void indent(jbuf *b, int lvl) {
  jb_putc(b, '\n');
  for (int i = 0; i < lvl * 2; i++)
    jb_putc(b, ' ');
}

static void strfy(E *e, jbuf *b, jv *v, int pretty, int prec15, int lvl) {
  char nb[40];
  if (!v || v->t == JT_FN) {
    jb_puts(b, v ? "\"\"" : "null");
    return;
  }
  switch (v->t) {
  case JT_NULL:
    jb_puts(b, "null");
    break;
  case JT_BOOL:
    jb_puts(b, v->u.b ? "true" : "false");
    break;
  case JT_NUM:
    if (!isfinite(v->u.n) && prec15)
      jn_throw(e, "D1001", 0, NULL, v, NULL, 0, NULL);
    jn_numfmt(prec15 ? jn_prec15(v->u.n) : v->u.n, nb);
    jb_puts(b, nb);
    break;
  case JT_STR:
    jstr(b, v->u.s.p, v->u.s.n);
    break;
  case JT_ARR:
    jb_putc(b, '[');
    if (v->u.a.n == 0) {
      jb_putc(b, ']');
      break;
    }
    for (size_t i = 0; i < v->u.a.n; i++) {
      if (i) jb_putc(b, ',');
      if (pretty) indent(b, lvl + 1);
      strfy(e, b, v->u.a.v[i], pretty, prec15, lvl + 1);
    }
    if (pretty) indent(b, lvl);
    jb_putc(b, ']');
    break;
  case JT_OBJ: {
    jb_putc(b, '{');
    int any = 0;
    for (size_t i = 0; i < v->u.o->n; i++) {
      if (!v->u.o->v[i]) continue;
      if (any) jb_putc(b, ',');
      any = 1;
      if (pretty) indent(b, lvl + 1);
      jstr(b, v->u.o->k[i], v->u.o->kl[i]);
      jb_putc(b, ':');
      if (pretty) jb_putc(b, ' ');
      strfy(e, b, v->u.o->v[i], pretty, prec15, lvl + 1);
    }
    if (pretty && any) indent(b, lvl);
    jb_putc(b, '}');
    break;
  }
  default:
    jb_puts(b, "null");
  }
}

void jn_stringify(E *e, jbuf *b, jv *v, int pretty, int prec15) {
  strfy(e, b, v, pretty, prec15, 0);
}

size_t jn_u16len(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch & 0xC0) != 0x80) c += (ch >= 0xF0) ? 2 : 1;
  }
  return c;
}
