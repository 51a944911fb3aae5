/* core.c: allocation, errors, diagnostics, scope helpers, string buffers. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) {
  fputs("asl: out of memory\n", stderr);
  abort();
}

void *asl_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom();
  return p;
}

void *asl_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom();
  return p;
}

void *asl_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom();
  return q;
}

char *asl_strdup(const char *s) { return asl_strndup(s, strlen(s)); }

char *asl_strndup(const char *s, size_t n) {
  char *p = asl_malloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *asl_vsprintf(const char *fmt, va_list ap) {
  char *p = NULL;
  if (vasprintf(&p, fmt, ap) < 0 || !p) oom();
  return p;
}

char *asl_sprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = asl_vsprintf(fmt, ap);
  va_end(ap);
  return p;
}

int asl_error_set(asl_error *e, const char *name, const char *fmt, ...) {
  if (!e) return -1;
  asl_error_clear(e);
  e->name = asl_strdup(name ? name : "States.Runtime");
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    e->cause = asl_vsprintf(fmt, ap);
    va_end(ap);
  }
  return -1;
}

void asl_error_clear(asl_error *e) {
  if (!e) return;
  free(e->name);
  free(e->cause);
  e->name = e->cause = NULL;
}

void asl_error_move(asl_error *dst, asl_error *src) {
  asl_error_clear(dst);
  *dst = *src;
  src->name = src->cause = NULL;
}

static void diag_vadd(asl_diags *d, const char *sev, const char *code,
                      const char *loc, const char *fmt, va_list ap) {
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 8;
    d->v = asl_realloc(d->v, d->cap * sizeof *d->v);
  }
  asl_diag *g = &d->v[d->n++];
  g->severity = asl_strdup(sev);
  g->code = asl_strdup(code);
  g->location = loc ? asl_strdup(*loc ? loc : "/") : NULL;
  g->message = asl_vsprintf(fmt, ap);
}

void asl_diag_add(asl_diags *d, const char *code, const char *loc,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vadd(d, "ERROR", code, loc, fmt, ap);
  va_end(ap);
}

void asl_diag_warn(asl_diags *d, const char *code, const char *loc,
                   const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vadd(d, "WARNING", code, loc, fmt, ap);
  va_end(ap);
}

size_t asl_diag_errors(const asl_diags *d) {
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->v[i].severity, "ERROR") == 0) n++;
  return n;
}

void asl_diags_free(asl_diags *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->v[i].severity);
    free(d->v[i].code);
    free(d->v[i].message);
    free(d->v[i].location);
  }
  free(d->v);
  d->v = NULL;
  d->n = d->cap = 0;
}

char *asl_diags_message(const asl_diags *d) {
  asl_buf b = {0};
  asl_buf_puts(&b, "Invalid State Machine Definition: '");
  int first = 1;
  for (size_t i = 0; i < d->n; i++) {
    if (strcmp(d->v[i].severity, "ERROR") != 0) continue;
    if (!first) asl_buf_puts(&b, ", ");
    first = 0;
    asl_buf_printf(&b, "%s: %s at %s", d->v[i].code, d->v[i].message,
                   d->v[i].location ? d->v[i].location : "null");
  }
  asl_buf_putc(&b, '\'');
  return asl_buf_take(&b);
}

const cJSON *asl_scope_context(const asl_scope *s) {
  if (!s) return NULL;
  if (!s->context && s->context_fn) return s->context_fn(s->context_ud);
  return s->context;
}

uint64_t asl_scope_rand64(const asl_scope *s) {
  if (s && s->rand64) return s->rand64(s->rand_ud);
  return ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
}

size_t asl_fmt_ll(char *buf, long long v) {
  char tmp[24];
  size_t n = 0;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                               : (unsigned long long)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  size_t k = 0;
  if (v < 0) buf[k++] = '-';
  while (n) buf[k++] = tmp[--n];
  buf[k] = 0;
  return k;
}

static void buf_grow(asl_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  b->s = asl_realloc(b->s, cap);
  b->cap = cap;
}

void asl_buf_reserve(asl_buf *b, size_t n) { buf_grow(b, n); }

void asl_buf_add(asl_buf *b, const char *s, size_t n) {
  buf_grow(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

void asl_buf_puts(asl_buf *b, const char *s) { asl_buf_add(b, s, strlen(s)); }

void asl_buf_putc(asl_buf *b, char c) {
  if (b->len + 2 > b->cap) buf_grow(b, 1);
  b->s[b->len++] = c;
  b->s[b->len] = 0;
}

void asl_buf_printf(asl_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = asl_vsprintf(fmt, ap);
  va_end(ap);
  asl_buf_puts(b, s);
  free(s);
}

char *asl_buf_take(asl_buf *b) {
  char *s = b->s ? b->s : asl_strdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void asl_buf_free(asl_buf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

char *asl_home_dir(void) {
  const char *home = getenv("ASL_HOME");
  return asl_strdup(home && *home ? home : "./.asl");
}
