/* funcs.c: the JSONata function library (jsonata-js 2.0.6 functions.js,
 * without $eval, plus AWS's $partition $range $hash $random $uuid $parse)
 * and regular expressions over PCRE2. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "jn.h"

/* memcpy that accepts (NULL, 0) */
static inline void *mcpy(void *d, const void *s, size_t n) {
  return n ? memcpy(d, s, n) : d;
}

#define FN(name) static jv *f_##name(E *e, jv **a, int n, jv *input, env *en)
#define ARG(i) ((i) < n ? a[i] : NULL)
/* a required argument that is undefined: T0410 (jsonata-js fails on it too) */
#define NEED(i)                                                                \
  do {                                                                         \
    if (!ARG(i)) jn_throw(e, "T0410", 0, NULL, NULL, NULL, (i) + 1, NULL);     \
  } while (0)

/* ---- code points over UTF-8 */
static size_t cp_len(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
  return c;
}
/* byte offset of code point k (k <= count) */
static size_t cp_off(const char *s, size_t n, size_t k) {
  size_t i = 0, c = 0;
  while (i < n) {
    if (((unsigned char)s[i] & 0xC0) != 0x80) {
      if (c == k) return i;
      c++;
    }
    i++;
  }
  return n;
}

jv *jn_string(E *e, jv *v) {
  if (!v) return NULL;
  if (v->t == JT_STR) return v;
  if (v->t == JT_FN) return jn_str(e, "", 0);
  if (v->t == JT_NUM && !isfinite(v->u.n))
    jn_throw(e, "D3001", 0, NULL, v, NULL, 0, NULL);
  jbuf b = {0};
  b.e = e;
  if (v->t == JT_ARR && (v->f & JF_OUTER) && v->u.a.n) v = v->u.a.v[0];
  jn_stringify(e, &b, v, 0, 1);
  return jn_str(e, b.p, b.n);
}

FN(string) {
  jv *v = ARG(0);
  if (!v) return NULL;
  if (v->t == JT_STR) return v;
  if (v->t == JT_FN) return jn_str(e, "", 0);
  if (v->t == JT_NUM && !isfinite(v->u.n))
    jn_throw(e, "D3001", 0, NULL, v, NULL, 0, NULL);
  jbuf b = {0};
  b.e = e;
  if (v->t == JT_ARR && (v->f & JF_OUTER) && v->u.a.n) v = v->u.a.v[0];
  jn_stringify(e, &b, v, ARG(1) && ARG(1)->u.b, 1);
  return jn_str(e, b.p, b.n);
}

FN(length) {
  if (!ARG(0)) return NULL;
  return jn_num(e, (double)cp_len(a[0]->u.s.p, a[0]->u.s.n));
}

static jv *substr(E *e, jv *s, double start, int haslen, double len) {
  long L = (long)cp_len(s->u.s.p, s->u.s.n);
  start = jn_clamp(start, -1e15, 1e15);
  len = jn_clamp(len, -1e15, 1e15);
  if (L + start < 0) start = 0;
  long st = (long)start, en2;
  if (haslen) {
    if (len <= 0) return jn_str(e, "", 0);
    en2 = start >= 0 ? (long)(start + len) : (long)(L + start + len);
  } else
    en2 = L;
  if (st < 0) st = L + st;
  if (st < 0) st = 0;
  if (en2 < 0) en2 = L + en2;
  if (en2 > L) en2 = L;
  if (st > L) st = L;
  if (en2 <= st) return jn_str(e, "", 0);
  size_t bo = cp_off(s->u.s.p, s->u.s.n, (size_t)st),
         eo = cp_off(s->u.s.p, s->u.s.n, (size_t)en2);
  return jn_str(e, s->u.s.p + bo, eo - bo);
}

FN(substring) {
  if (!ARG(0)) return NULL;
  double start = ARG(1) ? a[1]->u.n : 0;
  if (isnan(start)) start = 0;
  return substr(e, a[0], floor(start) == start ? start : trunc(start),
                ARG(2) != NULL, ARG(2) ? a[2]->u.n : 0);
}

static const char *memfind(const char *h, size_t hn, const char *nd,
                           size_t nn) {
  if (nn == 0) return h;
  if (nn > hn) return NULL;
  for (size_t i = 0; i + nn <= hn; i++)
    if (h[i] == nd[0] && !memcmp(h + i, nd, nn)) return h + i;
  return NULL;
}

FN(substringBefore) {
  if (!ARG(0)) return NULL;
  if (!ARG(1)) return a[0];
  const char *p = memfind(a[0]->u.s.p, a[0]->u.s.n, a[1]->u.s.p, a[1]->u.s.n);
  if (!p) return a[0];
  return jn_str(e, a[0]->u.s.p, (size_t)(p - a[0]->u.s.p));
}
FN(substringAfter) {
  if (!ARG(0)) return NULL;
  if (!ARG(1)) return a[0];
  const char *p = memfind(a[0]->u.s.p, a[0]->u.s.n, a[1]->u.s.p, a[1]->u.s.n);
  if (!p) return a[0];
  size_t off = (size_t)(p - a[0]->u.s.p) + a[1]->u.s.n;
  return jn_str(e, a[0]->u.s.p + off, a[0]->u.s.n - off);
}

static jv *casemap(E *e, jv *s, int up) {
  char *o = jn_alloc(e->a, s->u.s.n + 1);
  for (size_t i = 0; i < s->u.s.n; i++) {
    unsigned char c = (unsigned char)s->u.s.p[i];
    o[i] = (char)(up ? (c >= 'a' && c <= 'z' ? c - 32 : c)
                     : (c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  /* two-byte Latin-1 supplement and Greek/Cyrillic basics */
  for (size_t i = 0; i + 1 < s->u.s.n; i++) {
    unsigned char c0 = (unsigned char)o[i], c1 = (unsigned char)o[i + 1];
    if (c0 == 0xC3) {
      if (up && c1 >= 0xA0 && c1 <= 0xBE && c1 != 0xB7)
        o[i + 1] = (char)(c1 - 0x20);
      if (!up && c1 >= 0x80 && c1 <= 0x9E && c1 != 0x97)
        o[i + 1] = (char)(c1 + 0x20);
      i++;
    }
  }
  return jn_str(e, o, s->u.s.n);
}
FN(lowercase) { return ARG(0) ? casemap(e, a[0], 0) : NULL; }
FN(uppercase) { return ARG(0) ? casemap(e, a[0], 1) : NULL; }

FN(trim) {
  if (!ARG(0)) return NULL;
  const char *s = a[0]->u.s.p;
  size_t len = a[0]->u.s.n, k = 0;
  char *o = jn_alloc(e->a, len + 1);
  for (size_t i = 0; i < len;) {
    if (strchr(" \t\n\r", s[i]) && s[i]) {
      while (i < len && s[i] && strchr(" \t\n\r", s[i]))
        i++;
      o[k++] = ' ';
    } else
      o[k++] = s[i++];
  }
  size_t st = 0;
  if (k && o[0] == ' ') st = 1;
  if (k > st && o[k - 1] == ' ') k--;
  return jn_str(e, o + st, k - st);
}

FN(pad) {
  if (!ARG(0)) return NULL;
  jv *s = a[0];
  double w = ARG(1) ? jn_clamp(a[1]->u.n, -1e7, 1e7) : 0;
  const char *ch = " ";
  size_t chn = 1;
  if (ARG(2) && a[2]->u.s.n) {
    ch = a[2]->u.s.p;
    chn = a[2]->u.s.n;
  }
  long padlen = (long)fabs(w) - (long)cp_len(s->u.s.p, s->u.s.n);
  if (padlen <= 0) return s;
  jbuf b = {0};
  b.e = e;
  jb_put(&b, "", 0);
  long chc = (long)cp_len(ch, chn);
  if (chc < 1) { /* not UTF-8 text: pad with spaces */
    ch = " ";
    chn = 1;
    chc = 1;
  }
  long full = padlen / chc, rem = padlen % chc;
  jbuf pb = {0};
  pb.e = e;
  jb_put(&pb, "", 0);
  for (long i = 0; i < full; i++)
    jb_put(&pb, ch, chn);
  jb_put(&pb, ch, cp_off(ch, chn, (size_t)rem));
  if (w > 0) {
    jb_put(&b, s->u.s.p, s->u.s.n);
    jb_put(&b, pb.p, pb.n);
  } else {
    jb_put(&b, pb.p, pb.n);
    jb_put(&b, s->u.s.p, s->u.s.n);
  }
  return jn_str(e, b.p, b.n);
}

/* ---- regex */
pcre2_code *jn_regex_compile(const char *src, size_t n, const char *flags,
                             int *err) {
  uint32_t opt = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
  if (strchr(flags, 'i')) opt |= PCRE2_CASELESS;
  if (strchr(flags, 'm')) opt |= PCRE2_MULTILINE;
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)src, n, opt, &ec, &eo, NULL);
  if (!c) *err = ec;
  return c;
}

/* A match object: {match, start, end, groups} (start/end in UTF-16 units for
 * $match's index; byte offsets through ms/me). */
jv *jn_regex_match(E *e, jv *re, const char *s, size_t n, size_t from,
                   size_t *ms, size_t *me) {
  pcre2_code *code = re->u.fn->lam->re;
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  int rc = pcre2_match(code, (PCRE2_SPTR)s, n, from, 0, md, NULL);
  if (rc < 0) {
    pcre2_match_data_free(md);
    return NULL;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  *ms = ov[0];
  *me = ov[1];
  jv *o = jn_obj(e);
  jn_oset(e, o, "match", 5,
          jn_str(e, jn_strndup(e->a, s + ov[0], ov[1] - ov[0]), ov[1] - ov[0]));
  jn_oset(e, o, "index", 5, jn_num(e, (double)jn_u16len(s, ov[0])));
  jv *g = jn_arr(e, 0);
  for (int i = 1; i < rc || i < (int)pcre2_get_ovector_count(md); i++) {
    if (i >= (int)pcre2_get_ovector_count(md)) break;
    uint32_t cnt;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cnt);
    if ((uint32_t)i > cnt) break;
    if (i >= rc || ov[2 * i] == PCRE2_UNSET)
      jn_push(e, g, jn_str(e, "", 0));
    else
      jn_push(e, g,
              jn_str(e,
                     jn_strndup(e->a, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]),
                     ov[2 * i + 1] - ov[2 * i]));
  }
  jn_oset(e, o, "groups", 6, g);
  pcre2_match_data_free(md);
  return o;
}

static int is_regex(jv *f) {
  return f && f->t == JT_FN && f->u.fn->kind == FK_REGEX;
}

/* A matcher: a regex, or a function returning jsonata-js's match objects
 * {match, start, end, groups, next}. Returns the next match (byte offsets in
 * *ms, *me) or NULL. */
typedef struct {
  jv *fn, *cur;
  size_t from;
  int started;
} mit;
static jv *mnext(E *e, mit *m, jv *str, size_t *ms, size_t *me, jv *input,
                 env *en) {
  if (is_regex(m->fn)) {
    if (m->from > str->u.s.n) return NULL;
    jv *r = jn_regex_match(e, m->fn, str->u.s.p, str->u.s.n, m->from, ms, me);
    if (r) m->from = *me > *ms ? *me : *me + 1;
    return r;
  }
  jv *r;
  if (!m->started) {
    m->started = 1;
    r = jn_apply(e, m->fn, &str, 1, input, en);
  } else {
    jv *nx = m->cur ? jn_oget(m->cur, "next", 4) : NULL;
    if (!jn_is_fn(nx)) return NULL;
    r = jn_apply(e, nx, NULL, 0, input, en);
  }
  if (!r) return NULL;
  jv *mt = r->t == JT_OBJ ? jn_oget(r, "match", 5) : NULL;
  jv *st = r->t == JT_OBJ ? jn_oget(r, "start", 5) : NULL;
  jv *en2 = r->t == JT_OBJ ? jn_oget(r, "end", 3) : NULL;
  if (!mt || !st || !en2 || mt->t != JT_STR || st->t != JT_NUM ||
      en2->t != JT_NUM)
    jn_throw(e, "T1010", 0, NULL, NULL, NULL, 0, NULL);
  m->cur = r;
  double lim = (double)str->u.s.n;
  *ms = cp_off(str->u.s.p, str->u.s.n, (size_t)jn_clamp(st->u.n, 0, lim));
  *me = cp_off(str->u.s.p, str->u.s.n, (size_t)jn_clamp(en2->u.n, 0, lim));
  if (*me < *ms) *me = *ms;
  jv *o = jn_obj(e);
  jn_oset(e, o, "match", 5, mt);
  jn_oset(e, o, "index", 5, st);
  jv *g = jn_oget(r, "groups", 6);
  jn_oset(e, o, "groups", 6, g ? g : jn_arr(e, 0));
  return o;
}

FN(match) {
  if (!ARG(0)) return NULL;
  if (ARG(2) && a[2]->u.n < 0)
    jn_throw(e, "D3040", 0, NULL, a[2], NULL, 3, NULL);
  jv *res = jn_seq(e);
  long limit = ARG(2) ? (long)jn_clamp(a[2]->u.n, 0, 1e15) : -1;
  mit m = {a[1], NULL, 0, 0};
  size_t ms, me;
  while (limit < 0 || (long)res->u.a.n < limit) {
    jv *r = mnext(e, &m, a[0], &ms, &me, input, en);
    if (!r) break;
    if (me == ms && is_regex(a[1]))
      jn_throw(e, "D1004", 0, NULL, NULL, NULL, 0, NULL);
    jn_push(e, res, r);
  }
  return res;
}

FN(contains) {
  if (!ARG(0)) return NULL;
  if (ARG(1) && a[1]->t == JT_STR)
    return memfind(a[0]->u.s.p, a[0]->u.s.n, a[1]->u.s.p, a[1]->u.s.n)
               ? &jn_true
               : &jn_false;
  size_t ms, me;
  mit m = {a[1], NULL, 0, 0};
  return mnext(e, &m, a[0], &ms, &me, input, en) ? &jn_true : &jn_false;
}

FN(replace) {
  if (!ARG(0)) return NULL;
  NEED(1);
  NEED(2);
  jv *pat = ARG(1), *rep = ARG(2);
  if (pat && pat->t == JT_STR && pat->u.s.n == 0)
    jn_throw(e, "D3010", 0, NULL, pat, NULL, 2, NULL);
  if (ARG(3) && a[3]->u.n < 0)
    jn_throw(e, "D3011", 0, NULL, a[3], NULL, 4, NULL);
  long limit = ARG(3) ? (long)jn_clamp(a[3]->u.n, 0, 1e15) : -1;
  const char *s = a[0]->u.s.p;
  size_t sn = a[0]->u.s.n;
  jbuf b = {0};
  b.e = e;
  jb_put(&b, "", 0);
  size_t pos = 0;
  long count = 0;
  mit mi = {pat, NULL, 0, 0};
  while (limit < 0 || count < limit) {
    size_t ms, me;
    jv *m = NULL;
    if (pat->t == JT_STR) {
      const char *p = memfind(s + pos, sn - pos, pat->u.s.p, pat->u.s.n);
      if (!p) break;
      ms = (size_t)(p - s);
      me = ms + pat->u.s.n;
    } else {
      m = mnext(e, &mi, a[0], &ms, &me, input, en);
      if (!m) break;
      if (me == ms) jn_throw(e, "D1004", 0, NULL, NULL, NULL, 0, NULL);
    }
    jb_put(&b, s + pos, ms - pos);
    if (rep->t == JT_STR) {
      const char *r = rep->u.s.p;
      size_t rn = rep->u.s.n;
      jv *groups = m ? jn_oget(m, "groups", 6) : NULL;
      size_t ng = groups ? groups->u.a.n : 0;
      for (size_t i = 0; i < rn; i++) {
        if (r[i] == '$' && i + 1 < rn) {
          if (r[i + 1] == '$') {
            jb_putc(&b, '$');
            i++;
            continue;
          }
          if (r[i + 1] >= '0' && r[i + 1] <= '9') {
            /* longest valid group number */
            size_t j = i + 1;
            int gi = r[j] - '0';
            j++;
            if (j < rn && r[j] >= '0' && r[j] <= '9' &&
                (size_t)(gi * 10 + (r[j] - '0')) <= ng && gi != 0) {
              gi = gi * 10 + (r[j] - '0');
              j++;
            }
            if (gi == 0)
              jb_put(&b, s + ms, me - ms);
            else if ((size_t)gi <= ng) {
              jv *gv = groups->u.a.v[gi - 1];
              jb_put(&b, gv->u.s.p, gv->u.s.n);
            } else if (gi > 9) {
              /* unknown two digit: drop one digit */
            }
            i = j - 1;
            continue;
          }
        }
        jb_putc(&b, r[i]);
      }
    } else {
      if (!m) {
        m = jn_obj(e);
        jn_oset(e, m, "match", 5, pat);
      }
      jv *r = jn_apply(e, rep, &m, 1, input, en);
      if (!r || r->t != JT_STR) jn_throw(e, "D3012", 0, NULL, r, NULL, 0, NULL);
      jb_put(&b, r->u.s.p, r->u.s.n);
    }
    pos = me;
    count++;
    if (pos > sn) break;
  }
  if (pos < sn) jb_put(&b, s + pos, sn - pos);
  return jn_str(e, b.p, b.n);
}

FN(split) {
  if (!ARG(0)) return NULL;
  NEED(1);
  if (ARG(2) && a[2]->u.n < 0)
    jn_throw(e, "D3020", 0, NULL, a[2], NULL, 3, NULL);
  long limit = ARG(2) ? (long)jn_clamp(a[2]->u.n, 0, 1e15) : -1;
  jv *res = jn_arr(e, 0);
  const char *s = a[0]->u.s.p;
  size_t sn = a[0]->u.s.n;
  jv *sep = a[1];
  if (sep->t == JT_STR) {
    if (sep->u.s.n == 0) {
      for (size_t i = 0; i < sn && (limit < 0 || (long)res->u.a.n < limit);) {
        size_t j = i + 1;
        while (j < sn && ((unsigned char)s[j] & 0xC0) == 0x80)
          j++;
        jn_push(e, res, jn_str(e, s + i, j - i));
        i = j;
      }
      return res;
    }
    size_t pos = 0;
    for (;;) {
      if (limit >= 0 && (long)res->u.a.n >= limit) break;
      const char *p = memfind(s + pos, sn - pos, sep->u.s.p, sep->u.s.n);
      if (!p) {
        jn_push(e, res, jn_str(e, s + pos, sn - pos));
        break;
      }
      jn_push(e, res, jn_str(e, s + pos, (size_t)(p - s) - pos));
      pos = (size_t)(p - s) + sep->u.s.n;
    }
    return res;
  }
  size_t pos = 0;
  mit mi = {sep, NULL, 0, 0};
  for (;;) {
    if (limit >= 0 && (long)res->u.a.n >= limit) break;
    size_t ms, me;
    jv *m = mnext(e, &mi, a[0], &ms, &me, input, en);
    if (!m) {
      jn_push(e, res, jn_str(e, s + pos, sn - pos));
      break;
    }
    if (me == ms) {
      if (ms >= sn) {
        jn_push(e, res, jn_str(e, s + pos, sn - pos));
        break;
      }
      continue;
    }
    jn_push(e, res, jn_str(e, s + pos, ms - pos));
    pos = me;
  }
  return res;
}

FN(join) {
  if (!ARG(0)) return NULL;
  jv *arr = a[0];
  jbuf b = {0};
  b.e = e;
  jb_put(&b, "", 0);
  for (size_t i = 0; i < arr->u.a.n; i++) {
    if (i && ARG(1)) jb_put(&b, a[1]->u.s.p, a[1]->u.s.n);
    jb_put(&b, arr->u.a.v[i]->u.s.p, arr->u.a.v[i]->u.s.n);
  }
  return jn_str(e, b.p, b.n);
}

/* ---- numeric */
FN(number) {
  jv *v = ARG(0);
  if (!v) return NULL;
  if (v->t == JT_NUM) return v;
  if (v->t == JT_BOOL) return jn_num(e, v->u.b ? 1 : 0);
  if (v->t == JT_STR) {
    char *s = jn_strndup(e->a, v->u.s.p, v->u.s.n);
    /* ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$ */
    const char *p = s;
    int ok = 1;
    if (*p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) ok = 0;
    while (*p >= '0' && *p <= '9')
      p++;
    if (ok && *p == '.') {
      p++;
      if (!(*p >= '0' && *p <= '9')) ok = 0;
      while (*p >= '0' && *p <= '9')
        p++;
    }
    if (ok && (*p == 'e' || *p == 'E')) {
      p++;
      if (*p == '+' || *p == '-') p++;
      if (!(*p >= '0' && *p <= '9')) ok = 0;
      while (*p >= '0' && *p <= '9')
        p++;
    }
    if (ok && *p == 0) {
      double d = strtod(s, NULL);
      if (isfinite(d)) return jn_num(e, d);
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' ||
                        s[1] == 'O' || s[1] == 'b' || s[1] == 'B')) {
      int base = (s[1] == 'x' || s[1] == 'X')   ? 16
                 : (s[1] == 'o' || s[1] == 'O') ? 8
                                                : 2;
      char *end;
      if (s[2]) {
        double d = (double)strtoull(s + 2, &end, base);
        if (*end == 0) return jn_num(e, d);
      }
    }
  }
  jn_throw(e, "D3030", 0, NULL, v, NULL, 1, NULL);
}

FN(floor) { return ARG(0) ? jn_num(e, floor(a[0]->u.n)) : NULL; }
FN(ceil) { return ARG(0) ? jn_num(e, ceil(a[0]->u.n)) : NULL; }
FN(abs) { return ARG(0) ? jn_num(e, fabs(a[0]->u.n)) : NULL; }
FN(sqrt) {
  if (!ARG(0)) return NULL;
  if (a[0]->u.n < 0) jn_throw(e, "D3060", 0, NULL, a[0], NULL, 1, NULL);
  return jn_num(e, sqrt(a[0]->u.n));
}
FN(power) {
  if (!ARG(0)) return NULL;
  NEED(1);
  double r = pow(a[0]->u.n, a[1]->u.n);
  if (!isfinite(r)) jn_throw(e, "D3061", 0, NULL, a[0], a[1], 1, NULL);
  return jn_num(e, r);
}

static double shift10(double x, int p) {
  char buf[64], nb[40];
  jn_numfmt(x, nb);
  char *ep = strchr(nb, 'e');
  if (ep) {
    *ep = 0;
    snprintf(buf, sizeof buf, "%se%d", nb, atoi(ep + 1) + p);
  } else
    snprintf(buf, sizeof buf, "%se%d", nb, p);
  return strtod(buf, NULL);
}

double jn_round(double x, int prec) {
  if (prec) x = shift10(x, prec);
  double r = floor(x + 0.5);
  double diff = r - x;
  if (fabs(diff) == 0.5 && fabs(fmod(r, 2)) == 1) r = r - 1;
  if (prec) r = shift10(r, -prec);
  if (r == 0) r = 0;
  return r;
}
FN(round) {
  if (!ARG(0)) return NULL;
  return jn_num(
      e, jn_round(a[0]->u.n, ARG(1) ? (int)jn_clamp(a[1]->u.n, -400, 400) : 0));
}

static double rnd01(void) {
  uint64_t r;
  if (getrandom(&r, sizeof r, 0) != sizeof r) r = (uint64_t)rand();
  return (double)(r >> 11) / 9007199254740992.0;
}
/* AWS's $random takes an optional seed: the same seed gives the same number. */
FN(random) {
  if (!ARG(0)) return jn_num(e, rnd01());
  double d = a[0]->u.n;
  uint64_t x;
  memcpy(&x, &d, sizeof x);
  x += 0x9E3779B97F4A7C15ull; /* splitmix64 */
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return jn_num(e, (double)(x >> 11) / 9007199254740992.0);
}

FN(sum) {
  if (!ARG(0)) return NULL;
  double t = 0;
  for (size_t i = 0; i < a[0]->u.a.n; i++)
    t += a[0]->u.a.v[i]->u.n;
  return jn_num(e, t);
}
FN(count) {
  if (!ARG(0)) return jn_num(e, 0);
  return jn_num(e, (double)a[0]->u.a.n);
}
FN(max) {
  if (!ARG(0) || a[0]->u.a.n == 0) return NULL;
  double m = -INFINITY;
  for (size_t i = 0; i < a[0]->u.a.n; i++)
    if (a[0]->u.a.v[i]->u.n > m) m = a[0]->u.a.v[i]->u.n;
  return jn_num(e, m);
}
FN(min) {
  if (!ARG(0) || a[0]->u.a.n == 0) return NULL;
  double m = INFINITY;
  for (size_t i = 0; i < a[0]->u.a.n; i++)
    if (a[0]->u.a.v[i]->u.n < m) m = a[0]->u.a.v[i]->u.n;
  return jn_num(e, m);
}
FN(average) {
  if (!ARG(0) || a[0]->u.a.n == 0) return NULL;
  double t = 0;
  for (size_t i = 0; i < a[0]->u.a.n; i++)
    t += a[0]->u.a.v[i]->u.n;
  return jn_num(e, t / (double)a[0]->u.a.n);
}

FN(formatBase) {
  if (!ARG(0)) return NULL;
  double v = jn_round(a[0]->u.n, 0);
  if (ARG(1) && !(a[1]->u.n >= 2 && a[1]->u.n <= 36))
    jn_throw(e, "D3100", 0, NULL, a[1], NULL, 2, NULL);
  int radix = ARG(1) ? (int)a[1]->u.n : 10;
  char buf[80];
  int k = 0, neg = v < 0;
  double x = fabs(v);
  if (x == 0) buf[k++] = '0';
  while (x >= 1 && k < 78) {
    int d = (int)fmod(x, radix);
    buf[k++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    x = floor(x / radix);
  }
  if (neg) buf[k++] = '-';
  char o[80];
  for (int i = 0; i < k; i++)
    o[i] = buf[k - 1 - i];
  return jn_str(e, jn_strndup(e->a, o, (size_t)k), (size_t)k);
}

/* ---- boolean */
FN(boolean) {
  if (!ARG(0)) return NULL;
  return jn_truthy(a[0]) == 1 ? &jn_true : &jn_false;
}
FN(not ) {
  if (!ARG(0)) return NULL;
  return jn_truthy(a[0]) == 1 ? &jn_false : &jn_true;
}
FN(exists) { return ARG(0) ? &jn_true : &jn_false; }

/* ---- arrays */
FN(append) { return jn_append(e, ARG(0), ARG(1)); }
FN(reverse) {
  if (!ARG(0)) return NULL;
  if (a[0]->u.a.n <= 1) return a[0];
  jv *r = jn_arr(e, a[0]->u.a.n);
  for (size_t i = a[0]->u.a.n; i > 0; i--)
    jn_push(e, r, a[0]->u.a.v[i - 1]);
  return r;
}
FN(shuffle) {
  if (!ARG(0)) return NULL;
  if (a[0]->u.a.n <= 1) return a[0];
  jv *r = jn_arr(e, a[0]->u.a.n);
  for (size_t i = 0; i < a[0]->u.a.n; i++)
    jn_push(e, r, a[0]->u.a.v[i]);
  for (size_t i = r->u.a.n - 1; i > 0; i--) {
    size_t j = (size_t)(rnd01() * (double)(i + 1));
    jv *t = r->u.a.v[i];
    r->u.a.v[i] = r->u.a.v[j];
    r->u.a.v[j] = t;
  }
  return r;
}
FN(distinct) {
  jv *v = ARG(0);
  if (!v) return NULL;
  if (v->t != JT_ARR || v->u.a.n <= 1) return v;
  jv *r = jn_seq(e);
  for (size_t i = 0; i < v->u.a.n; i++) {
    int dup = 0;
    for (size_t k = 0; k < r->u.a.n && !dup; k++)
      dup = jn_deep_eq(v->u.a.v[i], r->u.a.v[k]);
    if (!dup) jn_push(e, r, v->u.a.v[i]);
  }
  return r;
}
FN(zip) {
  jv *r = jn_arr(e, 0);
  if (n == 0) return r;
  size_t len = (size_t)-1;
  for (int i = 0; i < n; i++) {
    if (!a[i]) return r;
    if (a[i]->u.a.n < len) len = a[i]->u.a.n;
  }
  for (size_t k = 0; k < len; k++) {
    jv *t = jn_arr(e, (size_t)n);
    for (int i = 0; i < n; i++)
      jn_push(e, t, a[i]->u.a.v[k]);
    jn_push(e, r, t);
  }
  return r;
}

/* ---- higher order */
static jv *hof(E *e, jv *f, jv *v, jv *idx, jv *arr, jv *input, env *en) {
  jv *args[3] = {v, idx, arr};
  int ar = jn_arity(f);
  if (ar < 1) ar = 1;
  if (ar > 3) ar = 3;
  return jn_apply(e, f, args, ar, input, en);
}
FN(map) {
  if (!ARG(0)) return NULL;
  jv *r = jn_seq(e);
  for (size_t i = 0; i < a[0]->u.a.n; i++) {
    jv *x = hof(e, a[1], a[0]->u.a.v[i], jn_num(e, (double)i), a[0], input, en);
    if (x) jn_push(e, r, x);
  }
  return r;
}
FN(filter) {
  if (!ARG(0)) return NULL;
  jv *r = jn_seq(e);
  for (size_t i = 0; i < a[0]->u.a.n; i++) {
    jv *x = hof(e, a[1], a[0]->u.a.v[i], jn_num(e, (double)i), a[0], input, en);
    if (jn_truthy(x) == 1) jn_push(e, r, a[0]->u.a.v[i]);
  }
  return r;
}
FN(single) {
  if (!ARG(0)) return NULL;
  jv *res = NULL;
  int found = 0;
  for (size_t i = 0; i < a[0]->u.a.n; i++) {
    int pos = 1;
    if (ARG(1))
      pos = jn_truthy(hof(e, a[1], a[0]->u.a.v[i], jn_num(e, (double)i), a[0],
                          input, en)) == 1;
    if (pos) {
      if (found) jn_throw(e, "D3138", 0, NULL, NULL, NULL, 0, NULL);
      res = a[0]->u.a.v[i];
      found = 1;
    }
  }
  if (!found) jn_throw(e, "D3139", 0, NULL, NULL, NULL, 0, NULL);
  return res;
}
FN(reduce) {
  if (!ARG(0)) return NULL;
  int ar = jn_arity(a[1]);
  if (ar < 2) jn_throw(e, "D3050", 0, NULL, NULL, NULL, 1, NULL);
  jv *seq = a[0], *res;
  size_t i;
  if (!ARG(2) && seq->u.a.n > 0) {
    res = seq->u.a.v[0];
    i = 1;
  } else {
    res = ARG(2);
    i = 0;
  }
  for (; i < seq->u.a.n; i++) {
    jv *args[4] = {res, seq->u.a.v[i], jn_num(e, (double)i), seq};
    res = jn_apply(e, a[1], args, ar >= 4 ? 4 : ar, input, en);
  }
  return res;
}
FN(sift) {
  if (!ARG(0)) return NULL;
  if (!ARG(1)) return a[0];
  jv *o = a[0], *r = jn_obj(e);
  for (size_t i = 0; i < o->u.o->n; i++) {
    jv *k = jn_str(e, o->u.o->k[i], o->u.o->kl[i]);
    if (jn_truthy(hof(e, a[1], o->u.o->v[i], k, o, input, en)) == 1)
      jn_oset(e, r, o->u.o->k[i], o->u.o->kl[i], o->u.o->v[i]);
  }
  return r->u.o->n ? r : NULL;
}
FN(each) {
  if (!ARG(0)) return NULL;
  jv *o = a[0], *r = jn_seq(e);
  for (size_t i = 0; i < o->u.o->n; i++) {
    jv *k = jn_str(e, o->u.o->k[i], o->u.o->kl[i]);
    jv *x = hof(e, a[1], o->u.o->v[i], k, o, input, en);
    if (x) jn_push(e, r, x);
  }
  return r;
}

static int js_truthy(jv *v) {
  if (!v) return 0;
  switch (v->t) {
  case JT_BOOL:
    return v->u.b;
  case JT_NUM:
    return v->u.n != 0 && !isnan(v->u.n);
  case JT_STR:
    return v->u.s.n > 0;
  case JT_NULL:
    return 0;
  default:
    return 1;
  }
}

static int default_gt(jv *x, jv *y) {
  if (x->t == JT_NUM) return x->u.n > y->u.n;
  size_t m = x->u.s.n < y->u.s.n ? x->u.s.n : y->u.s.n;
  int c = memcmp(x->u.s.p, y->u.s.p, m);
  return c ? c > 0 : x->u.s.n > y->u.s.n;
}

typedef struct {
  E *e;
  jv *f;
  jv *input;
  env *en;
} sctx;
static int swap_p(sctx *c, jv *l, jv *r) {
  if (!c->f) return default_gt(l, r);
  jv *args[2] = {l, r};
  return js_truthy(jn_apply(c->e, c->f, args, 2, c->input, c->en));
}
static void msort(sctx *c, jv **v, jv **tmp, size_t n) {
  if (n <= 1) return;
  size_t m = n / 2;
  msort(c, v, tmp, m);
  msort(c, v + m, tmp, n - m);
  size_t i = 0, j = m, k = 0;
  while (i < m && j < n) {
    if (swap_p(c, v[i], v[j]))
      tmp[k++] = v[j++];
    else
      tmp[k++] = v[i++];
  }
  while (i < m)
    tmp[k++] = v[i++];
  while (j < n)
    tmp[k++] = v[j++];
  mcpy(v, tmp, sizeof *v * n);
}
FN(sort) {
  jv *v = ARG(0);
  if (!v) return NULL;
  if (v->u.a.n <= 1) return v;
  if (!ARG(1)) {
    int nums = 1, strs = 1;
    for (size_t i = 0; i < v->u.a.n; i++) {
      if (!v->u.a.v[i] || v->u.a.v[i]->t != JT_NUM) nums = 0;
      if (!v->u.a.v[i] || v->u.a.v[i]->t != JT_STR) strs = 0;
    }
    if (!nums && !strs) jn_throw(e, "D3070", 0, NULL, NULL, NULL, 1, NULL);
  }
  jv *r = jn_arr(e, v->u.a.n);
  for (size_t i = 0; i < v->u.a.n; i++)
    jn_push(e, r, v->u.a.v[i]);
  jv **tmp = jn_alloc(e->a, sizeof(jv *) * v->u.a.n);
  sctx c = {e, ARG(1), input, en};
  msort(&c, r->u.a.v, tmp, r->u.a.n);
  return r;
}

/* ---- objects */
static void keys_into(E *e, jv *v, jv *acc) {
  if (!v) return;
  if (v->t == JT_ARR) {
    for (size_t i = 0; i < v->u.a.n; i++)
      keys_into(e, v->u.a.v[i], acc);
  } else if (v->t == JT_OBJ)
    for (size_t i = 0; i < v->u.o->n; i++)
      if (!jn_oget(acc, v->u.o->k[i], v->u.o->kl[i]))
        jn_oset(e, acc, v->u.o->k[i], v->u.o->kl[i], &jn_true);
}
FN(keys) {
  jv *acc = jn_obj(e);
  keys_into(e, ARG(0), acc);
  jv *r = jn_seq(e);
  for (size_t i = 0; i < acc->u.o->n; i++)
    jn_push(e, r, jn_str(e, acc->u.o->k[i], acc->u.o->kl[i]));
  return r;
}
static jv *lookup(E *e, jv *in, const char *k, size_t kl) {
  if (!in) return NULL;
  if (in->t == JT_ARR) {
    jv *r = jn_seq(e);
    for (size_t i = 0; i < in->u.a.n; i++) {
      jv *x = lookup(e, in->u.a.v[i], k, kl);
      if (!x) continue;
      if (x->t == JT_ARR)
        for (size_t j = 0; j < x->u.a.n; j++)
          jn_push(e, r, x->u.a.v[j]);
      else
        jn_push(e, r, x);
    }
    return r;
  }
  if (in->t == JT_OBJ) return jn_oget(in, k, kl);
  return NULL;
}
FN(lookup) {
  if (!ARG(1)) return NULL;
  return lookup(e, ARG(0), a[1]->u.s.p, a[1]->u.s.n);
}
static jv *spread(E *e, jv *v) {
  if (v && v->t == JT_ARR) {
    jv *r = jn_seq(e);
    for (size_t i = 0; i < v->u.a.n; i++)
      r = jn_append(e, r, spread(e, v->u.a.v[i]));
    return r;
  }
  if (v && v->t == JT_OBJ) {
    jv *r = jn_seq(e);
    for (size_t i = 0; i < v->u.o->n; i++) {
      jv *o = jn_obj(e);
      jn_oset(e, o, v->u.o->k[i], v->u.o->kl[i], v->u.o->v[i]);
      jn_push(e, r, o);
    }
    return r;
  }
  return v;
}
FN(spread) { return spread(e, ARG(0)); }
FN(merge) {
  if (!ARG(0)) return NULL;
  jv *r = jn_obj(e);
  for (size_t i = 0; i < a[0]->u.a.n; i++) {
    jv *o = a[0]->u.a.v[i];
    for (size_t k = 0; o && k < o->u.o->n; k++)
      jn_oset(e, r, o->u.o->k[k], o->u.o->kl[k], o->u.o->v[k]);
  }
  return r;
}
FN(error) {
  jn_throw(e, "D3137", 0, NULL, NULL, NULL, 0,
           ARG(0) ? jn_strndup(e->a, a[0]->u.s.p, a[0]->u.s.n)
                  : "$error() function evaluated");
}
FN(assert) {
  if (!ARG(0) || !a[0]->u.b)
    jn_throw(e, "D3141", 0, NULL, NULL, NULL, 0,
             ARG(1) ? jn_strndup(e->a, a[1]->u.s.p, a[1]->u.s.n)
                    : "$assert() statement failed");
  return NULL;
}
FN(type) {
  jv *v = ARG(0);
  if (!v) return NULL;
  const char *t = v->t == JT_NULL   ? "null"
                  : v->t == JT_NUM  ? "number"
                  : v->t == JT_STR  ? "string"
                  : v->t == JT_BOOL ? "boolean"
                  : v->t == JT_ARR  ? "array"
                  : v->t == JT_FN   ? "function"
                                    : "object";
  return jn_str(e, t, strlen(t));
}
FN(clone) { return jn_clone(e, ARG(0)); }

/* ---- encoding */
FN(base64encode) {
  if (!ARG(0)) return NULL;
  size_t n0 = a[0]->u.s.n;
  /* JS btoa over the string's Latin-1 code units: code points < 256 */
  unsigned char *raw = jn_alloc(e->a, n0 + 1);
  size_t rn = 0;
  const unsigned char *s = (const unsigned char *)a[0]->u.s.p;
  for (size_t i = 0; i < n0;) {
    unsigned cp = s[i];
    if (cp >= 0xC0 && cp < 0xE0 && i + 1 < n0) {
      cp = ((cp & 0x1F) << 6) | (s[i + 1] & 0x3F);
      i += 2;
    } else
      i++;
    raw[rn++] = (unsigned char)cp;
  }
  static const char B64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *o = jn_alloc(e->a, rn * 4 / 3 + 8);
  size_t k = 0;
  for (size_t i = 0; i < rn; i += 3) {
    unsigned v = (unsigned)raw[i] << 16;
    if (i + 1 < rn) v |= (unsigned)raw[i + 1] << 8;
    if (i + 2 < rn) v |= raw[i + 2];
    o[k++] = B64[(v >> 18) & 63];
    o[k++] = B64[(v >> 12) & 63];
    o[k++] = i + 1 < rn ? B64[(v >> 6) & 63] : '=';
    o[k++] = i + 2 < rn ? B64[v & 63] : '=';
  }
  return jn_str(e, o, k);
}
FN(base64decode) {
  if (!ARG(0)) return NULL;
  size_t n0 = a[0]->u.s.n;
  unsigned char *o = jn_alloc(e->a, n0 + 8);
  int k = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n0; i++) {
    char c = a[0]->u.s.p[i];
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' || c == '-' ? 62
            : c == '/' || c == '_' ? 63
                                   : -1;
    if (v < 0) continue; /* padding, whitespace */
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o[k++] = (unsigned char)((acc >> bits) & 0xFF);
    }
  }
  /* bytes are Latin-1 code points */
  char *u = jn_alloc(e->a, (size_t)k * 2 + 1);
  size_t un = 0;
  for (int i = 0; i < k; i++) {
    if (o[i] < 0x80)
      u[un++] = (char)o[i];
    else {
      u[un++] = (char)(0xC0 | (o[i] >> 6));
      u[un++] = (char)(0x80 | (o[i] & 0x3F));
    }
  }
  return jn_str(e, u, un);
}

static jv *url_encode(E *e, jv *s, const char *keep, const char *fname) {
  const unsigned char *p = (const unsigned char *)s->u.s.p;
  size_t n0 = s->u.s.n;
  jbuf b = {0};
  b.e = e;
  jb_put(&b, "", 0);
  for (size_t i = 0; i < n0; i++) {
    unsigned char c = p[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || (c && strchr("-_.!~*'()", c)) ||
        (c && strchr(keep, c)))
      jb_putc(&b, (char)c);
    else {
      /* lone surrogate (CESU/WTF-8 ED A0..BF) is malformed */
      if (c == 0xED && i + 1 < n0 && p[i + 1] >= 0xA0)
        jn_throw(e, "D3140", 0, NULL, s, NULL, 0, fname);
      char h[4];
      snprintf(h, sizeof h, "%%%02X", c);
      jb_puts(&b, h);
    }
  }
  return jn_str(e, b.p, b.n);
}
FN(encodeUrlComponent) {
  return ARG(0) ? url_encode(e, a[0], "", "encodeUrlComponent") : NULL;
}
FN(encodeUrl) {
  return ARG(0) ? url_encode(e, a[0], ";,/?:@&=+$#", "encodeUrl") : NULL;
}
static int hexv(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static jv *url_decode(E *e, jv *s, const char *reserved, const char *fname) {
  const char *p = s->u.s.p;
  size_t n0 = s->u.s.n;
  char *o = jn_alloc(e->a, n0 + 1);
  size_t k = 0;
  for (size_t i = 0; i < n0; i++) {
    if (p[i] == '%') {
      if (i + 2 >= n0 + 0 || hexv(p[i + 1]) < 0 || hexv(p[i + 2]) < 0)
        jn_throw(e, "D3140", 0, NULL, s, NULL, 0, fname);
      int c = hexv(p[i + 1]) * 16 + hexv(p[i + 2]);
      /* a multi-byte sequence must be complete */
      int need = c < 0x80             ? 0
                 : (c & 0xE0) == 0xC0 ? 1
                 : (c & 0xF0) == 0xE0 ? 2
                 : (c & 0xF8) == 0xF0 ? 3
                                      : -1;
      if (need < 0) jn_throw(e, "D3140", 0, NULL, s, NULL, 0, fname);
      if (need == 0 && reserved && c && strchr(reserved, c)) {
        mcpy(o + k, p + i, 3);
        k += 3;
        i += 2;
        continue;
      }
      o[k++] = (char)c;
      i += 2;
      for (int q = 0; q < need; q++) {
        if (i + 3 > n0 - 0 || p[i + 1] != '%' || i + 3 >= n0 + 1 ||
            hexv(p[i + 2]) < 0 || i + 3 >= n0 + 1 || hexv(p[i + 3]) < 0)
          jn_throw(e, "D3140", 0, NULL, s, NULL, 0, fname);
        int c2 = hexv(p[i + 2]) * 16 + hexv(p[i + 3]);
        if ((c2 & 0xC0) != 0x80)
          jn_throw(e, "D3140", 0, NULL, s, NULL, 0, fname);
        o[k++] = (char)c2;
        i += 3;
      }
    } else
      o[k++] = p[i];
  }
  return jn_str(e, o, k);
}
FN(decodeUrlComponent) {
  return ARG(0) ? url_decode(e, a[0], NULL, "decodeUrlComponent") : NULL;
}
FN(decodeUrl) {
  return ARG(0) ? url_decode(e, a[0], ";,/?:@&=+$#", "decodeUrl") : NULL;
}

/* ---- AWS additions */
FN(partition) {
  if (!ARG(0)) return NULL;
  if (!ARG(1) || a[1]->t != JT_NUM || !jn_is_int(a[1]->u.n) || a[1]->u.n < 1)
    jn_throw_msg(e, "D3030", 0,
                 "The size of a partition must be a positive integer");
  size_t sz = (size_t)jn_clamp(a[1]->u.n, 1, 1e9);
  jv *r = jn_arr(e, 0);
  for (size_t i = 0; i < a[0]->u.a.n; i += sz) {
    jv *c = jn_arr(e, sz);
    for (size_t k = i; k < i + sz && k < a[0]->u.a.n; k++)
      jn_push(e, c, a[0]->u.a.v[k]);
    jn_push(e, r, c);
  }
  return r;
}
FN(range) {
  if (!ARG(0) || !ARG(1)) return NULL;
  double st = a[0]->u.n, en2 = a[1]->u.n, step = ARG(2) ? a[2]->u.n : 1;
  if (step == 0)
    jn_throw_msg(e, "D3030", 0, "The step of $range must not be 0");
  jv *r = jn_arr(e, 0);
  size_t cnt = 0;
  for (double x = st; step > 0 ? x <= en2 : x >= en2; x += step) {
    if (++cnt > 10000000)
      jn_throw(e, "D2014", 0, NULL, jn_num(e, (double)cnt), NULL, 0, NULL);
    jn_push(e, r, jn_num(e, x));
  }
  return r;
}
static jsonata_hasher g_hasher;
void jsonata_set_hasher(jsonata_hasher h) { g_hasher = h; }

FN(hash) {
  if (!ARG(0)) return NULL;
  char alg[32] = "SHA-256";
  if (ARG(1)) snprintf(alg, sizeof alg, "%.*s", (int)a[1]->u.s.n, a[1]->u.s.p);
  if (!g_hasher)
    jn_throw_msg(e, "D3030", 0,
                 "$hash: no digest is installed (jsonata_set_hasher)");
  char hex[160];
  if (g_hasher(alg, a[0]->u.s.p, a[0]->u.s.n, hex) != 0)
    jn_throw_msg(e, "D3030", 0,
                 "The hash algorithm must be one of MD5, SHA-1, SHA-256, "
                 "SHA-384, SHA-512");
  return jn_cstr(e, hex);
}
FN(uuid) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != sizeof b)
    for (int i = 0; i < 16; i++)
      b[i] = (unsigned char)rand();
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
  char s[40];
  snprintf(
      s, sizeof s,
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
  return jn_cstr(e, s);
}
static void fixstr(E *e, jv *x);
FN(parse) {
  if (!ARG(0)) return NULL;
  char *s = jn_strndup(e->a, a[0]->u.s.p, a[0]->u.s.n);
  cJSON *c = cJSON_ParseWithOpts(s, NULL, 1);
  if (!c) jn_throw(e, "D3030", 0, NULL, a[0], NULL, 1, NULL);
  jv *cp = jn_from_cjson(e, c);
  fixstr(e, cp); /* the strings pointed into c */
  cJSON_Delete(c);
  return cp;
}
static void fixstr(E *e, jv *x) {
  if (!x) return;
  if (x->t == JT_STR)
    x->u.s.p = jn_strndup(e->a, x->u.s.p, x->u.s.n);
  else if (x->t == JT_ARR)
    for (size_t i = 0; i < x->u.a.n; i++)
      fixstr(e, x->u.a.v[i]);
  else if (x->t == JT_OBJ)
    for (size_t i = 0; i < x->u.o->n; i++) {
      x->u.o->k[i] = jn_strndup(e->a, x->u.o->k[i], x->u.o->kl[i]);
      fixstr(e, x->u.o->v[i]);
    }
}
FN(millis) { return jn_num(e, jn_now_ms(e)); }

/* ---- table */
static jbuiltin B[] = {
    {"sum", "<a<n>:n>", f_sum, 0},
    {"count", "<a:n>", f_count, 0},
    {"max", "<a<n>:n>", f_max, 0},
    {"min", "<a<n>:n>", f_min, 0},
    {"average", "<a<n>:n>", f_average, 0},
    {"string", "<x-b?:s>", f_string, 0},
    {"substring", "<s-nn?:s>", f_substring, 0},
    {"substringBefore", "<s-s:s>", f_substringBefore, 0},
    {"substringAfter", "<s-s:s>", f_substringAfter, 0},
    {"lowercase", "<s-:s>", f_lowercase, 0},
    {"uppercase", "<s-:s>", f_uppercase, 0},
    {"length", "<s-:n>", f_length, 0},
    {"trim", "<s-:s>", f_trim, 0},
    {"pad", "<s-ns?:s>", f_pad, 0},
    {"match", "<s-f<s:o>n?:a<o>>", f_match, 0},
    {"contains", "<s-(sf):b>", f_contains, 0},
    {"replace", "<s-(sf)(sf)n?:s>", f_replace, 0},
    {"split", "<s-(sf)n?:a<s>>", f_split, 0},
    {"join", "<a<s>s?:s>", f_join, 0},
    {"formatNumber", "<n-so?:s>", jn_fn_formatNumber, 0},
    {"formatBase", "<n-n?:s>", f_formatBase, 0},
    {"formatInteger", "<n-s:s>", jn_fn_formatInteger, 0},
    {"parseInteger", "<s-s:n>", jn_fn_parseInteger, 0},
    {"number", "<(nsb)-:n>", f_number, 0},
    {"floor", "<n-:n>", f_floor, 0},
    {"ceil", "<n-:n>", f_ceil, 0},
    {"round", "<n-n?:n>", f_round, 0},
    {"abs", "<n-:n>", f_abs, 0},
    {"sqrt", "<n-:n>", f_sqrt, 0},
    {"power", "<n-n:n>", f_power, 0},
    {"random", "<n?:n>", f_random, 0},
    {"boolean", "<x-:b>", f_boolean, 0},
    {"not", "<x-:b>", f_not, 0},
    {"map", "<af>", f_map, 0},
    {"zip", "<a+>", f_zip, 0},
    {"filter", "<af>", f_filter, 0},
    {"single", "<af?>", f_single, 0},
    {"reduce", "<afj?:j>", f_reduce, 0},
    {"sift", "<o-f?:o>", f_sift, 0},
    {"keys", "<x-:a<s>>", f_keys, 0},
    {"lookup", "<x-s:x>", f_lookup, 0},
    {"append", "<xx:a>", f_append, 0},
    {"exists", "<x:b>", f_exists, 0},
    {"spread", "<x-:a<o>>", f_spread, 0},
    {"merge", "<a<o>:o>", f_merge, 0},
    {"reverse", "<a:a>", f_reverse, 0},
    {"each", "<o-f:a>", f_each, 0},
    {"error", "<s?:x>", f_error, 0},
    {"assert", "<bs?:x>", f_assert, 0},
    {"type", "<x:s>", f_type, 0},
    {"sort", "<af?:a>", f_sort, 0},
    {"shuffle", "<a:a>", f_shuffle, 0},
    {"distinct", "<x:x>", f_distinct, 0},
    {"base64encode", "<s-:s>", f_base64encode, 0},
    {"base64decode", "<s-:s>", f_base64decode, 0},
    {"encodeUrlComponent", "<s-:s>", f_encodeUrlComponent, 0},
    {"encodeUrl", "<s-:s>", f_encodeUrl, 0},
    {"decodeUrlComponent", "<s-:s>", f_decodeUrlComponent, 0},
    {"decodeUrl", "<s-:s>", f_decodeUrl, 0},
    {"toMillis", "<s-s?:n>", jn_fn_toMillis, 0},
    {"fromMillis", "<n-s?s?:s>", jn_fn_fromMillis, 0},
    {"clone", "<(oa)-:o>", f_clone, 0},
    {"now", "<s?s?:s>", jn_fn_now, 0},
    {"millis", "<:n>", f_millis, 0},
    {"partition", "<an:a>", f_partition, 0},
    {"range", "<nnn?:a>", f_range, 0},
    {"hash", "<s-s?:s>", f_hash, 0},
    {"uuid", "<:s>", f_uuid, 0},
    {"parse", "<s-:x>", f_parse, 0},
};
#define NB (sizeof B / sizeof B[0])
static jv BV[NB];
static jfn BF[NB];
static jn_arena barena;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void) {
  for (size_t i = 0; i < NB; i++) {
    int ep;
    char code[8];
    B[i].csig = jn_sig_parse(&barena, B[i].sig, strlen(B[i].sig), &ep, code);
    if (!B[i].csig) abort();
    BF[i].kind = FK_BUILTIN;
    BF[i].bi = &B[i];
    BV[i].t = JT_FN;
    BV[i].u.fn = &BF[i];
  }
}
void jn_builtins_init(void) { pthread_once(&once, init); }
const jbuiltin *jn_builtin(const char *name) {
  for (size_t i = 0; i < NB; i++)
    if (!strcmp(B[i].name, name)) return &B[i];
  return NULL;
}
jv *jn_builtin_val(const char *name) {
  for (size_t i = 0; i < NB; i++)
    if (!strcmp(B[i].name, name)) return &BV[i];
  return NULL;
}
