/* format.c: $formatInteger, $parseInteger, $formatNumber, $fromMillis,
 * $toMillis and $now with XPath F&O picture strings, as jsonata-js 2.0.6's
 * datetime.js and functions.js implement them. Pictures are handled as
 * arrays of code points. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jn.h"

/* memcpy that accepts (NULL, 0) */
static inline void *mcpy(void *d, const void *s, size_t n) {
  return n ? memcpy(d, s, n) : d;
}

#define ARG(i) ((i) < n ? a[i] : NULL)
#define NEED(i)                                                                \
  do {                                                                         \
    if (!ARG(i)) jn_throw(e, "T0410", 0, NULL, NULL, NULL, (i) + 1, NULL);     \
  } while (0)

double jn_round(double x, int prec);

/* ---- code points */
typedef struct {
  uint32_t *c;
  size_t n, cap;
} cps;

static void cp_push(E *e, cps *s, uint32_t c) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 32;
    uint32_t *nv = jn_alloc(e->a, nc * 4);
    if (s->n) mcpy(nv, s->c, s->n * 4);
    s->c = nv;
    s->cap = nc;
  }
  s->c[s->n++] = c;
}
static void cp_pushs(E *e, cps *s, const char *t) {
  while (*t)
    cp_push(e, s, (unsigned char)*t++);
}
static cps decode(E *e, const char *p, size_t n) {
  cps s = {0};
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)p[i];
    uint32_t cp;
    int l;
    if (c < 0x80)
      cp = c, l = 1;
    else if (c < 0xE0)
      cp = c & 0x1F, l = 2;
    else if (c < 0xF0)
      cp = c & 0x0F, l = 3;
    else
      cp = c & 0x07, l = 4;
    for (int k = 1; k < l && i + (size_t)k < n; k++)
      cp = (cp << 6) | ((unsigned char)p[i + k] & 0x3F);
    cp_push(e, &s, cp);
    i += (size_t)l;
  }
  return s;
}
static jv *encode(E *e, cps *s) {
  char *o = jn_alloc(e->a, s->n * 4 + 1);
  size_t k = 0;
  for (size_t i = 0; i < s->n; i++) {
    uint32_t cp = s->c[i];
    if (cp < 0x80)
      o[k++] = (char)cp;
    else if (cp < 0x800) {
      o[k++] = (char)(0xC0 | (cp >> 6));
      o[k++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      o[k++] = (char)(0xE0 | (cp >> 12));
      o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      o[k++] = (char)(0x80 | (cp & 0x3F));
    } else {
      o[k++] = (char)(0xF0 | (cp >> 18));
      o[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      o[k++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  return jn_str(e, o, k);
}
static int cps_eq(cps *s, const char *t) {
  size_t l = strlen(t);
  if (s->n != l) return 0;
  for (size_t i = 0; i < l; i++)
    if (s->c[i] != (unsigned char)t[i]) return 0;
  return 1;
}

static const uint32_t DGROUPS[] = {
    0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6,
    0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0,
    0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900,
    0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};
static int digit_group(uint32_t c) {
  for (size_t i = 0; i < sizeof DGROUPS / sizeof DGROUPS[0]; i++)
    if (c >= DGROUPS[i] && c <= DGROUPS[i] + 9) return (int)DGROUPS[i];
  return -1;
}

/* ---- integer pictures */
enum { P_DECIMAL, P_LETTERS, P_ROMAN, P_WORDS, P_SEQUENCE };
enum { C_LOWER, C_UPPER, C_TITLE };
typedef struct {
  int primary, cs, ordinal;
  int zero, mandatory, optional, regular;
  int seppos[32];
  uint32_t sepch[32];
  int nsep;
  cps token;
} ifmt;

static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

static void analyse_int(E *e, cps pic, ifmt *f) {
  memset(f, 0, sizeof *f);
  f->primary = P_DECIMAL;
  f->cs = C_LOWER;
  long semi = -1;
  for (size_t i = 0; i < pic.n; i++)
    if (pic.c[i] == ';') semi = (long)i;
  cps prim = pic;
  if (semi >= 0) {
    prim.n = (size_t)semi;
    if ((size_t)semi + 1 < pic.n && pic.c[semi + 1] == 'o') f->ordinal = 1;
  }
  if (cps_eq(&prim, "A"))
    f->cs = C_UPPER, f->primary = P_LETTERS;
  else if (cps_eq(&prim, "a"))
    f->primary = P_LETTERS;
  else if (cps_eq(&prim, "I"))
    f->cs = C_UPPER, f->primary = P_ROMAN;
  else if (cps_eq(&prim, "i"))
    f->primary = P_ROMAN;
  else if (cps_eq(&prim, "W"))
    f->cs = C_UPPER, f->primary = P_WORDS;
  else if (cps_eq(&prim, "Ww"))
    f->cs = C_TITLE, f->primary = P_WORDS;
  else if (cps_eq(&prim, "w"))
    f->primary = P_WORDS;
  else {
    int zero = -1, pos = 0;
    for (size_t k = prim.n; k > 0; k--) {
      uint32_t c = prim.c[k - 1];
      int g = digit_group(c);
      if (g >= 0) {
        f->mandatory++;
        pos++;
        if (zero < 0)
          zero = g;
        else if (g != zero)
          jn_throw(e, "D3131", 0, NULL, NULL, NULL, 0, NULL);
      } else if (c == '#') {
        pos++;
        f->optional++;
      } else if (f->nsep < 32) {
        f->seppos[f->nsep] = pos;
        f->sepch[f->nsep++] = c;
      }
    }
    if (f->mandatory > 0) {
      f->zero = zero;
      int reg = 0;
      if (f->nsep > 0) {
        int same = 1;
        for (int i = 1; i < f->nsep; i++)
          if (f->sepch[i] != f->sepch[0]) same = 0;
        if (same) {
          int fac = f->seppos[0];
          for (int i = 1; i < f->nsep; i++)
            fac = gcd(fac, f->seppos[i]);
          reg = fac;
          for (int idx = 1; idx <= f->nsep && reg; idx++) {
            int found = 0;
            for (int i = 0; i < f->nsep; i++)
              if (f->seppos[i] == idx * fac) found = 1;
            if (!found) reg = 0;
          }
        }
      }
      f->regular = reg;
    } else {
      f->primary = P_SEQUENCE;
      f->token = prim;
    }
  }
}

static const char *FEW[] = {"Zero",    "One",       "Two",      "Three",
                            "Four",    "Five",      "Six",      "Seven",
                            "Eight",   "Nine",      "Ten",      "Eleven",
                            "Twelve",  "Thirteen",  "Fourteen", "Fifteen",
                            "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
static const char *ORD[] = {
    "Zeroth",    "First",     "Second",      "Third",      "Fourth",
    "Fifth",     "Sixth",     "Seventh",     "Eighth",     "Ninth",
    "Tenth",     "Eleventh",  "Twelfth",     "Thirteenth", "Fourteenth",
    "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
static const char *DEC[] = {"Twenty",  "Thirty", "Forty",  "Fifty",  "Sixty",
                            "Seventy", "Eighty", "Ninety", "Hundred"};
static const char *MAG[] = {"Thousand", "Million", "Billion", "Trillion"};

static void words(jbuf *b, double num, int prev, int ord) {
  if (num <= 19) {
    if (prev) jb_puts(b, " and ");
    jb_puts(b, ord ? ORD[(int)num] : FEW[(int)num]);
  } else if (num < 100) {
    int tens = (int)floor(num / 10), rem = (int)fmod(num, 10);
    if (prev) jb_puts(b, " and ");
    if (rem > 0) {
      jb_puts(b, DEC[tens - 2]);
      jb_puts(b, "-");
      words(b, rem, 0, ord);
    } else if (ord) {
      jb_put(b, DEC[tens - 2], strlen(DEC[tens - 2]) - 1);
      jb_puts(b, "ieth");
    } else
      jb_puts(b, DEC[tens - 2]);
  } else if (num < 1000) {
    int h = (int)floor(num / 100);
    double rem = fmod(num, 100);
    if (prev) jb_puts(b, ", ");
    jb_puts(b, FEW[h]);
    jb_puts(b, " Hundred");
    if (rem > 0)
      words(b, rem, 1, ord);
    else if (ord)
      jb_puts(b, "th");
  } else {
    int mag = (int)floor(log10(num) / 3);
    if (mag > 4) mag = 4;
    double factor = pow(10, mag * 3);
    double mant = floor(num / factor);
    double rem = num - mant * factor;
    if (prev) jb_puts(b, ", ");
    words(b, mant, 0, 0);
    jb_puts(b, " ");
    jb_puts(b, MAG[mag - 1]);
    if (rem > 0)
      words(b, rem, 1, ord);
    else if (ord)
      jb_puts(b, "th");
  }
}

static void roman(jbuf *b, double v) {
  static const struct {
    int v;
    const char *s;
  } R[] = {{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"},
           {90, "xc"},  {50, "l"},   {40, "xl"}, {10, "x"},   {9, "ix"},
           {5, "v"},    {4, "iv"},   {1, "i"}};
  while (v > 0) {
    int i = 0;
    while (i < 13 && v < R[i].v)
      i++;
    if (i == 13) break;
    jb_puts(b, R[i].s);
    v -= R[i].v;
  }
}

static void up_low(jbuf *b, size_t from, int up) {
  for (size_t i = from; i < b->n; i++) {
    char c = b->p[i];
    if (up && c >= 'a' && c <= 'z') b->p[i] = (char)(c - 32);
    if (!up && c >= 'A' && c <= 'Z') b->p[i] = (char)(c + 32);
  }
}

static jv *fmt_int(E *e, double value, ifmt *f) {
  jbuf b = {0};
  b.e = e;
  jb_put(&b, "", 0);
  int neg = value < 0;
  value = fabs(value);
  switch (f->primary) {
  case P_LETTERS: {
    char tmp[64];
    int k = 63;
    tmp[k] = 0;
    char ac = f->cs == C_UPPER ? 'A' : 'a';
    while (value > 0 && k > 0) {
      tmp[--k] = (char)(fmod(value - 1, 26) + ac);
      value = floor((value - 1) / 26);
    }
    jb_puts(&b, tmp + k);
    break;
  }
  case P_ROMAN:
    roman(&b, value > 1e7 ? 1e7 : value); /* jsonata-js recurses per numeral */
    if (f->cs == C_UPPER) up_low(&b, 0, 1);
    break;
  case P_WORDS:
    words(&b, value, 0, f->ordinal);
    if (f->cs == C_UPPER)
      up_low(&b, 0, 1);
    else if (f->cs == C_LOWER)
      up_low(&b, 0, 0);
    break;
  case P_DECIMAL: {
    char num[64];
    jn_numfmt(value, num);
    cps s = {0};
    int pad = f->mandatory - (int)strlen(num);
    for (int i = 0; i < pad; i++)
      cp_push(e, &s, '0');
    cp_pushs(e, &s, num);
    if (f->zero != 0x30)
      for (size_t i = 0; i < s.n; i++)
        s.c[i] = s.c[i] + (uint32_t)f->zero - 0x30;
    cps o = {0};
    if (f->regular) {
      size_t len = s.n;
      for (size_t i = 0; i < len; i++) {
        cp_push(e, &o, s.c[i]);
        size_t rest = len - i - 1;
        if (rest > 0 && rest % (size_t)f->regular == 0)
          cp_push(e, &o, f->sepch[0]);
      }
    } else {
      o = s;
      for (int k = f->nsep - 1; k >= 0; k--) {
        /* insert at len - position */
        long pos = (long)o.n - f->seppos[k];
        if (pos < 0) pos = 0;
        cps t = {0};
        for (long i = 0; i < (long)o.n; i++) {
          if (i == pos) cp_push(e, &t, f->sepch[k]);
          cp_push(e, &t, o.c[i]);
        }
        if (pos >= (long)o.n) cp_push(e, &t, f->sepch[k]);
        o = t;
      }
    }
    if (f->ordinal) {
      uint32_t last = o.n ? o.c[o.n - 1] : 0;
      const char *suf = last == '1'   ? "st"
                        : last == '2' ? "nd"
                        : last == '3' ? "rd"
                                      : "th";
      if (o.n > 1 && o.c[o.n - 2] == '1') suf = "th";
      cp_pushs(e, &o, suf);
    }
    jv *r = encode(e, &o);
    jb_put(&b, r->u.s.p, r->u.s.n);
    break;
  }
  case P_SEQUENCE:
    jn_throw(e, "D3130", 0, NULL, encode(e, &f->token), NULL, 0, NULL);
  }
  if (neg) {
    jbuf c = {0};
    c.e = e;
    jb_puts(&c, "-");
    jb_put(&c, b.p, b.n);
    return jn_str(e, c.p, c.n);
  }
  return jn_str(e, b.p, b.n);
}

jv *jn_fn_formatInteger(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  NEED(1);
  ifmt f;
  analyse_int(e, decode(e, a[1]->u.s.p, a[1]->u.s.n), &f);
  return fmt_int(e, floor(a[0]->u.n), &f);
}

/* ---- parseInteger */
static double word_value(const char *w, size_t l, int *ok) {
  char buf[32];
  *ok = 1;
  if (l >= sizeof buf) {
    *ok = 0;
    return 0;
  }
  for (size_t i = 0; i < l; i++)
    buf[i] = (char)((w[i] >= 'A' && w[i] <= 'Z') ? w[i] + 32 : w[i]);
  buf[l] = 0;
  char t[32];
  for (int i = 0; i < 20; i++) {
    snprintf(t, sizeof t, "%s", FEW[i]);
    t[0] = (char)(t[0] + 32);
    if (!strcmp(t, buf)) return i;
    snprintf(t, sizeof t, "%s", ORD[i]);
    t[0] = (char)(t[0] + 32);
    if (!strcmp(t, buf)) return i;
  }
  for (int i = 0; i < 9; i++) {
    snprintf(t, sizeof t, "%s", DEC[i]);
    t[0] = (char)(t[0] + 32);
    if (!strcmp(t, buf)) return (i + 2) * 10;
    size_t tl = strlen(t);
    snprintf(t + tl - 1, sizeof t - tl + 1, "ieth");
    if (!strcmp(t, buf)) return (i + 2) * 10;
  }
  if (!strcmp(buf, "hundredth")) return 100;
  for (int i = 0; i < 4; i++) {
    snprintf(t, sizeof t, "%s", MAG[i]);
    t[0] = (char)(t[0] + 32);
    double v = pow(10, (i + 1) * 3);
    if (!strcmp(t, buf)) return v;
    strcat(t, "th");
    if (!strcmp(t, buf)) return v;
  }
  *ok = 0;
  return NAN;
}

static double words_to_number(const char *s, size_t n) {
  double segs[64];
  int ns = 1;
  segs[0] = 0;
  size_t i = 0;
  while (i < n) {
    /* separators: ", " " and " whitespace '-' */
    size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != '-' && s[j] != ',' && s[j] != '\t')
      j++;
    if (j > i) {
      int ok;
      double v = word_value(s + i, j - i, &ok);
      if (ok && !(j - i == 3 && !strncasecmp(s + i, "and", 3))) {
        if (v < 100) {
          double top = segs[--ns];
          if (top >= 1000) {
            segs[ns++] = top;
            top = 0;
          }
          segs[ns++] = top + v;
        } else
          segs[ns - 1] = segs[ns - 1] * v;
      }
    }
    i = j + 1;
    if (ns >= 63) break;
  }
  double r = 0;
  for (int k = 0; k < ns; k++)
    r += segs[k];
  return r;
}

jv *jn_fn_parseInteger(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  NEED(1);
  ifmt f;
  analyse_int(e, decode(e, a[1]->u.s.p, a[1]->u.s.n), &f);
  const char *s = a[0]->u.s.p;
  size_t sl = a[0]->u.s.n;
  switch (f.primary) {
  case P_LETTERS: {
    double d = 0;
    char ac = f.cs == C_UPPER ? 'A' : 'a';
    for (size_t i = 0; i < sl; i++)
      d += (s[sl - i - 1] - ac + 1) * pow(26, (double)i);
    return jn_num(e, d);
  }
  case P_ROMAN: {
    double d = 0, max = 1;
    for (size_t i = sl; i > 0; i--) {
      char c = s[i - 1];
      if (c >= 'a' && c <= 'z') c = (char)(c - 32);
      double v = c == 'M'   ? 1000
                 : c == 'D' ? 500
                 : c == 'C' ? 100
                 : c == 'L' ? 50
                 : c == 'X' ? 10
                 : c == 'V' ? 5
                 : c == 'I' ? 1
                            : 0;
      if (v < max)
        d -= v;
      else {
        max = v;
        d += v;
      }
    }
    return jn_num(e, d);
  }
  case P_WORDS:
    return jn_num(e, words_to_number(s, sl));
  case P_DECIMAL: {
    cps c = decode(e, s, sl);
    if (f.ordinal && c.n >= 2) c.n -= 2;
    cps d = {0};
    for (size_t i = 0; i < c.n; i++) {
      int sep = 0;
      if (f.regular)
        sep = c.c[i] == ',';
      else
        for (int k = 0; k < f.nsep; k++)
          if (c.c[i] == f.sepch[k]) sep = 1;
      if (sep) continue;
      uint32_t ch = c.c[i];
      if (f.zero != 0x30) ch = ch - (uint32_t)f.zero + 0x30;
      cp_push(e, &d, ch);
    }
    jv *t = encode(e, &d);
    return jn_num(e, strtod(jn_strndup(e->a, t->u.s.p, t->u.s.n), NULL));
  }
  default:
    jn_throw(e, "D3130", 0, NULL, encode(e, &f.token), NULL, 0, NULL);
  }
}

/* ---- date/time pictures */
typedef struct {
  int literal;
  cps lit;
  uint32_t comp;
  int names;      /* 0 none, 1 lower, 2 upper, 3 title */
  int wmin, wmax; /* -1 unset */
  char pres2;
  cps pres1;
  ifmt ifm;
  int has_ifm;
  int yn;
} dpart;

/* A width modifier's digits: 0..10,000,000 (more is clamped). */
static int width_of(const char *digits) {
  long w = strtol(digits, NULL, 10);
  return w < 0 ? 0 : w > 10000000 ? 10000000 : (int)w;
}
typedef struct {
  dpart *p;
  int n, cap;
} dspec;

static void dpush(E *e, dspec *s, dpart p) {
  if (s->n == s->cap) {
    int nc = s->cap ? s->cap * 2 : 8;
    dpart *nv = jn_alloc(e->a, sizeof *nv * (size_t)nc);
    if (s->n) mcpy(nv, s->p, sizeof *nv * (size_t)s->n);
    s->p = nv;
    s->cap = nc;
  }
  s->p[s->n++] = p;
}

static void add_literal(E *e, dspec *s, cps *pic, size_t st, size_t en2) {
  if (en2 <= st) return;
  dpart p;
  memset(&p, 0, sizeof p);
  p.literal = 1;
  for (size_t i = st; i < en2; i++) {
    cp_push(e, &p.lit, pic->c[i]);
    if (pic->c[i] == ']' && i + 1 < en2 && pic->c[i + 1] == ']') i++;
  }
  dpush(e, s, p);
}

static const char *default_pres(uint32_t c) {
  switch (c) {
  case 'Y':
  case 'M':
  case 'D':
  case 'd':
  case 'W':
  case 'w':
  case 'X':
  case 'x':
  case 'H':
  case 'h':
  case 'f':
    return "1";
  case 'F':
  case 'P':
  case 'C':
  case 'E':
    return "n";
  case 'm':
  case 's':
    return "01";
  case 'Z':
  case 'z':
    return "01:01";
  }
  return NULL;
}

static dspec analyse_dt(E *e, cps pic) {
  dspec s = {0};
  size_t start = 0, pos = 0;
  while (pos < pic.n) {
    if (pic.c[pos] == '[') {
      if (pos + 1 < pic.n && pic.c[pos + 1] == '[') {
        add_literal(e, &s, &pic, start, pos);
        dpart p;
        memset(&p, 0, sizeof p);
        p.literal = 1;
        cp_push(e, &p.lit, '[');
        dpush(e, &s, p);
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(e, &s, &pic, start, pos);
      start = pos;
      size_t close = pos;
      while (close < pic.n && pic.c[close] != ']')
        close++;
      if (close >= pic.n) jn_throw(e, "D3135", 0, NULL, NULL, NULL, 0, NULL);
      cps m = {0};
      for (size_t i = start + 1; i < close; i++)
        if (!strchr(" \t\n\r", (int)(pic.c[i] < 128 ? pic.c[i] : 'x')) ||
            pic.c[i] >= 128)
          cp_push(e, &m, pic.c[i]);
      dpart p;
      memset(&p, 0, sizeof p);
      p.wmin = p.wmax = -1;
      p.comp = m.n ? m.c[0] : 0;
      long comma = -1;
      for (size_t i = 0; i < m.n; i++)
        if (m.c[i] == ',') comma = (long)i;
      cps pres = {0};
      if (comma >= 0) {
        cps wm = {0};
        for (size_t i = (size_t)comma + 1; i < m.n; i++)
          cp_push(e, &wm, m.c[i]);
        long dash = -1;
        for (size_t i = 0; i < wm.n; i++)
          if (wm.c[i] == '-' && dash < 0) dash = (long)i;
        char mins[16] = "", maxs[16] = "";
        for (size_t i = 0; i < wm.n && i < 15; i++) {
          if (dash < 0 || (long)i < dash)
            mins[strlen(mins)] = (char)wm.c[i];
          else if ((long)i > dash)
            maxs[strlen(maxs)] = (char)wm.c[i];
        }
        /* widths are clamped to 10,000,000 characters, as $pad's width
         * is: jsonata-js fails past what a JavaScript string holds, and
         * "[Y,2147483647]" must not ask for gigabytes (or overflow atoi) */
        if (mins[0] && strcmp(mins, "*")) p.wmin = width_of(mins);
        if (maxs[0] && strcmp(maxs, "*")) p.wmax = width_of(maxs);
        for (size_t i = 1; i < (size_t)comma; i++)
          cp_push(e, &pres, m.c[i]);
      } else
        for (size_t i = 1; i < m.n; i++)
          cp_push(e, &pres, m.c[i]);
      if (pres.n == 1)
        p.pres1 = pres;
      else if (pres.n > 1) {
        uint32_t last = pres.c[pres.n - 1];
        if (last == 'a' || last == 't' || last == 'c' || last == 'o') {
          p.pres2 = (char)last;
          pres.n--;
        }
        p.pres1 = pres;
      } else {
        const char *d = default_pres(p.comp);
        if (!d) {
          uint32_t cc = p.comp;
          cps t = {0};
          cp_push(e, &t, cc);
          jn_throw(e, "D3132", 0, NULL, encode(e, &t), NULL, 0, NULL);
        }
        cp_pushs(e, &p.pres1, d);
      }
      if (p.pres1.n && p.pres1.c[0] == 'n')
        p.names = 1;
      else if (p.pres1.n && p.pres1.c[0] == 'N')
        p.names = (p.pres1.n > 1 && p.pres1.c[1] == 'n') ? 3 : 2;
      else if (p.comp < 128 && strchr("YMDdFWwXxHhmsf", (int)p.comp)) {
        cps ip = p.pres1;
        if (p.pres2) {
          cps t = {0};
          for (size_t i = 0; i < ip.n; i++)
            cp_push(e, &t, ip.c[i]);
          cp_push(e, &t, ';');
          cp_push(e, &t, (uint32_t)p.pres2);
          ip = t;
        }
        analyse_int(e, ip, &p.ifm);
        p.has_ifm = 1;
        if (p.wmin >= 0 && p.ifm.mandatory < p.wmin) p.ifm.mandatory = p.wmin;
        if (p.comp == 'Y') {
          p.yn = -1;
          if (p.wmax >= 0) {
            p.yn = p.wmax;
            p.ifm.mandatory = p.yn;
          } else {
            int w = p.ifm.mandatory + p.ifm.optional;
            if (w >= 2) p.yn = w;
          }
        }
      }
      if (p.comp == 'Z' || p.comp == 'z') {
        analyse_int(e, p.pres1, &p.ifm);
        p.has_ifm = 1;
      }
      dpush(e, &s, p);
      start = close + 1;
      pos = close;
    }
    pos++;
  }
  add_literal(e, &s, &pic, start, pos);
  return s;
}

static const char *MONTHS[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};
static const char *DAYS[] = {"",         "Monday", "Tuesday",  "Wednesday",
                             "Thursday", "Friday", "Saturday", "Sunday"};

static double days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (double)(era * 146097 + (long)doe - 719468);
}
static void civil(double days, long *y, int *m, int *d) {
  long z = (long)days + 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long yy = (long)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yy + (*m <= 2);
}

typedef struct {
  long Y;
  int M, D, H, mi, s, ms, dow; /* dow 1=Mon..7 */
  double days;
} dt;
static dt to_dt(double ms) {
  dt r;
  ms = jn_clamp(ms, -8.64e15, 8.64e15); /* JavaScript's Date range */
  double days = floor(ms / 86400000.0);
  double rem = ms - days * 86400000.0;
  civil(days, &r.Y, &r.M, &r.D);
  r.days = days;
  r.H = (int)(rem / 3600000);
  r.mi = (int)fmod(rem / 60000, 60);
  r.s = (int)fmod(rem / 1000, 60);
  r.ms = (int)fmod(rem, 1000);
  int w = (int)fmod(days + 4, 7); /* 1970-01-01 was Thursday (4) */
  if (w < 0) w += 7;
  r.dow = w == 0 ? 7 : w;
  return r;
}

/* ISO week: the Thursday of this week decides the year */
static void iso_week(dt *d, long *wy, int *wk) {
  double thu = d->days - (d->dow - 1) + 3;
  long y;
  int m, dd;
  civil(thu, &y, &m, &dd);
  double jan1 = days_from_civil(y, 1, 1);
  *wy = y;
  *wk = (int)floor((thu - jan1) / 7) + 1;
}
static void month_week(dt *d, int *mon, int *wk) {
  double thu = d->days - (d->dow - 1) + 3;
  long y;
  int m, dd;
  civil(thu, &y, &m, &dd);
  *mon = m;
  *wk = (dd - 1) / 7 + 1;
}

static jv *fmt_component(E *e, dt *d, dpart *p, int oh, int om) {
  double v = 0;
  const char *sv = NULL;
  switch (p->comp) {
  case 'Y':
    v = (double)d->Y;
    break;
  case 'M':
    v = d->M;
    break;
  case 'D':
    v = d->D;
    break;
  case 'd':
    v = d->days - days_from_civil(d->Y, 1, 1) + 1;
    break;
  case 'F':
    v = d->dow;
    break;
  case 'W': {
    long wy;
    int wk;
    iso_week(d, &wy, &wk);
    v = wk;
    break;
  }
  case 'X': {
    long wy;
    int wk;
    iso_week(d, &wy, &wk);
    v = (double)wy;
    break;
  }
  case 'w': {
    int mon, wk;
    month_week(d, &mon, &wk);
    v = wk;
    break;
  }
  case 'x': {
    int mon, wk;
    month_week(d, &mon, &wk);
    v = mon;
    break;
  }
  case 'H':
    v = d->H;
    break;
  case 'h':
    v = d->H % 12 == 0 ? 12 : d->H % 12;
    break;
  case 'P':
    sv = d->H >= 12 ? "pm" : "am";
    break;
  case 'm':
    v = d->mi;
    break;
  case 's':
    v = d->s;
    break;
  case 'f':
    v = d->ms;
    break;
  case 'C':
  case 'E':
    sv = "ISO";
    break;
  }
  if (p->comp < 128 && strchr("YMDdFWwXxHhms", (int)p->comp)) {
    if (p->comp == 'Y' && p->yn != -1) v = fmod(v, pow(10, p->yn));
    if (p->names) {
      const char *nm;
      if (p->comp == 'M' || p->comp == 'x')
        nm = MONTHS[(int)v - 1];
      else if (p->comp == 'F')
        nm = DAYS[(int)v];
      else {
        cps t = {0};
        cp_push(e, &t, p->comp);
        jn_throw(e, "D3133", 0, NULL, encode(e, &t), NULL, 0, NULL);
      }
      char buf[32];
      snprintf(buf, sizeof buf, "%s", nm);
      for (char *q = buf; *q; q++) {
        if (p->names == 2 && *q >= 'a' && *q <= 'z') *q = (char)(*q - 32);
        if (p->names == 1 && *q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
      }
      if (p->wmax >= 0 && (int)strlen(buf) > p->wmax) buf[p->wmax] = 0;
      return jn_cstr(e, buf);
    }
    return fmt_int(e, v, &p->ifm);
  }
  if (p->comp == 'f') return fmt_int(e, v, &p->ifm);
  if (p->comp == 'Z' || p->comp == 'z') {
    int off = oh * 100 + om;
    jv *c;
    if (p->ifm.regular)
      c = fmt_int(e, off, &p->ifm);
    else {
      int nd = p->ifm.mandatory;
      if (nd == 1 || nd == 2) {
        c = fmt_int(e, oh, &p->ifm);
        if (om != 0) {
          char b2[16];
          snprintf(b2, sizeof b2, ":%02d", abs(om));
          jbuf b = {0};
          b.e = e;
          jb_put(&b, c->u.s.p, c->u.s.n);
          jb_puts(&b, b2);
          c = jn_str(e, b.p, b.n);
        }
      } else if (nd == 3 || nd == 4)
        c = fmt_int(e, off, &p->ifm);
      else
        jn_throw(e, "D3134", 0, NULL, jn_num(e, nd), NULL, 0, NULL);
    }
    jbuf b = {0};
    b.e = e;
    jb_put(&b, "", 0);
    if (p->comp == 'z') jb_puts(&b, "GMT");
    if (off >= 0) jb_puts(&b, "+");
    jb_put(&b, c->u.s.p, c->u.s.n);
    if (off == 0 && p->pres2 == 't') return jn_cstr(e, "Z");
    return jn_str(e, b.p, b.n);
  }
  if (p->comp == 'P') {
    if (p->names == 2) return jn_cstr(e, d->H >= 12 ? "PM" : "AM");
    return jn_cstr(e, sv);
  }
  if (sv) return jn_cstr(e, sv);
  return jn_cstr(e, "");
}

static jv *format_dt(E *e, double ms, jv *pic, jv *tz) {
  int oh = 0, om = 0;
  if (tz) {
    char *t = jn_strndup(e->a, tz->u.s.p, tz->u.s.n);
    int off = atoi(t);
    oh = (int)floor(off / 100.0);
    om = off % 100;
    if (off < 0 && om != 0) oh = -(abs(off) / 100), om = -(abs(off) % 100);
  }
  const char *dflt = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";
  cps pc =
      pic ? decode(e, pic->u.s.p, pic->u.s.n) : decode(e, dflt, strlen(dflt));
  dspec s = analyse_dt(e, pc);
  dt d = to_dt(ms + (60.0 * oh + om) * 60000.0);
  jbuf b = {0};
  b.e = e;
  jb_put(&b, "", 0);
  for (int i = 0; i < s.n; i++) {
    if (s.p[i].literal) {
      jv *l = encode(e, &s.p[i].lit);
      jb_put(&b, l->u.s.p, l->u.s.n);
    } else {
      jv *c = fmt_component(e, &d, &s.p[i], oh, om);
      jb_put(&b, c->u.s.p, c->u.s.n);
    }
  }
  return jn_str(e, b.p, b.n);
}

jv *jn_fn_fromMillis(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  return format_dt(e, a[0]->u.n, ARG(1), ARG(2));
}

jv *jn_fn_now(E *e, jv **a, int n, jv *input, env *en) {
  return format_dt(e, jn_now_ms(e), ARG(0), ARG(1));
}

/* ---- toMillis */
static int digits(const char *s, size_t n, size_t *i, int cnt, int *out) {
  int v = 0;
  for (int k = 0; k < cnt; k++) {
    if (*i >= n || s[*i] < '0' || s[*i] > '9') return 0;
    v = v * 10 + (s[(*i)++] - '0');
  }
  *out = v;
  return 1;
}

/* ^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$
 * then Date.parse: date-only forms and forms with an offset or Z are UTC. */
static int parse_iso(const char *s, size_t n, double *out) {
  size_t i = 0;
  int Y, M = 1, D = 1, H = 0, mi = 0, sec = 0, ms = 0, tz = 0;
  if (!digits(s, n, &i, 4, &Y)) return 0;
  if (i < n && s[i] == '-') {
    i++;
    if (!digits(s, n, &i, 2, &M)) return 0;
    if (i < n && s[i] == '-') {
      i++;
      if (!digits(s, n, &i, 2, &D)) return 0;
    }
  }
  if (i < n && s[i] == 'T') {
    i++;
    if (!digits(s, n, &i, 2, &H) || i >= n || s[i++] != ':' ||
        !digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' ||
        !digits(s, n, &i, 2, &sec))
      return 0;
    if (i < n && s[i] == '.') {
      i++;
      int k = 0;
      double f = 0, sc = 100;
      while (i < n && s[i] >= '0' && s[i] <= '9') {
        f += (s[i] - '0') * sc;
        sc /= 10;
        i++;
        k++;
      }
      if (!k) return 0;
      ms = (int)floor(f);
    }
  }
  if (i < n && s[i] == 'Z')
    i++;
  else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int sg = s[i++] == '-' ? -1 : 1, th, tm;
    if (!digits(s, n, &i, 2, &th)) return 0;
    if (i < n && s[i] == ':') i++;
    if (!digits(s, n, &i, 2, &tm)) return 0;
    tz = sg * (th * 60 + tm);
  }
  if (i != n) return 0;
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 24 || mi > 59 || sec > 59)
    return -1;
  *out = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400000.0 +
         H * 3600000.0 + mi * 60000.0 + sec * 1000.0 + ms - tz * 60000.0;
  return 1;
}

static int match_ci(const char *s, size_t n, size_t i, const char *w) {
  size_t l = strlen(w);
  if (i + l > n) return 0;
  for (size_t k = 0; k < l; k++) {
    char a = s[i + k], b = w[k];
    if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
    if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
    if (a != b) return 0;
  }
  return 1;
}

typedef struct {
  int have[128];
  double val[128];
} dvals;

/* Matches parts k.. of the picture against s from byte i, backtracking over
 * the widths of variable-width components; 1 when the rest matches. */
static int match_from(E *e, const char *s, size_t n, dspec *sp, int k, size_t i,
                      dvals *dv) {
  if (k == sp->n) return i == n;
  dpart *p = &sp->p[k];
  if (p->literal) {
    jv *l = encode(e, &p->lit);
    if (i + l->u.s.n > n || memcmp(s + i, l->u.s.p, l->u.s.n)) return 0;
    return match_from(e, s, n, sp, k + 1, i + l->u.s.n, dv);
  }
  uint32_t c = p->comp;
  if (c >= 128) return 0;
  int next_is_marker = k + 1 < sp->n && !sp->p[k + 1].literal;
  if (p->names || c == 'P') {
    if (c == 'M' || c == 'x' || c == 'F') {
      int cnt = c == 'F' ? 7 : 12;
      for (int m = 0; m < cnt; m++) {
        char nm[16];
        snprintf(nm, sizeof nm, "%s", c == 'F' ? DAYS[m + 1] : MONTHS[m]);
        if (p->wmax >= 0 && (int)strlen(nm) > p->wmax) nm[p->wmax] = 0;
        if (match_ci(s, n, i, nm)) {
          dv->val[c] = m + 1;
          dv->have[c] = 1;
          if (match_from(e, s, n, sp, k + 1, i + strlen(nm), dv)) return 1;
        }
      }
      return 0;
    }
    if (c == 'P') {
      if (match_ci(s, n, i, "am") || match_ci(s, n, i, "pm")) {
        dv->val[c] = (s[i] == 'p' || s[i] == 'P') ? 1 : 0;
        dv->have[c] = 1;
        return match_from(e, s, n, sp, k + 1, i + 2, dv);
      }
      return 0;
    }
    cps t = {0};
    cp_push(e, &t, c);
    jn_throw(e, "D3133", 0, NULL, encode(e, &t), NULL, 0, NULL);
  }
  if (c == 'Z' || c == 'z') {
    if (c == 'z') {
      if (!match_ci(s, n, i, "GMT")) return 0;
      i += 3;
    }
    if (i < n && s[i] == 'Z') {
      dv->val['Z'] = 0;
      dv->have['Z'] = 1;
      return match_from(e, s, n, sp, k + 1, i + 1, dv);
    }
    if (i >= n || (s[i] != '+' && s[i] != '-')) return 0;
    int sg = s[i++] == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    size_t st = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++;
    size_t dl = i - st;
    if (i < n && s[i] == ':') {
      hh = atoi(jn_strndup(e->a, s + st, dl));
      i++;
      size_t s2 = i;
      while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
      mm = atoi(jn_strndup(e->a, s + s2, i - s2));
    } else if (dl > 2) {
      int v = atoi(jn_strndup(e->a, s + st, dl));
      hh = v / 100;
      mm = v % 100;
    } else
      hh = atoi(jn_strndup(e->a, s + st, dl));
    dv->val['Z'] = sg * (hh * 60 + mm);
    dv->have['Z'] = 1;
    return match_from(e, s, n, sp, k + 1, i, dv);
  }
  if (!p->has_ifm) return 0;
  ifmt *f = &p->ifm;
  size_t st = i, end = i;
  if (f->primary == P_DECIMAL) {
    if (next_is_marker || p->wmax >= 0) {
      int w = p->wmax >= 0 ? p->wmax : f->mandatory;
      for (int q = 0; q < w && end < n && s[end] >= '0' && s[end] <= '9'; q++)
        end++;
    } else
      while (end < n && ((s[end] >= '0' && s[end] <= '9') ||
                         (f->nsep && s[end] == (char)f->sepch[0])))
        end++;
    if (end == st) return 0;
    size_t after = end;
    if (f->ordinal && after + 2 <= n) after += 2;
    char *t = jn_strndup(e->a, s + st, end - st);
    char *o = t;
    for (char *q = t; *q; q++)
      if (*q >= '0' && *q <= '9') *o++ = *q;
    *o = 0;
    dv->val[c] = atof(t);
    dv->have[c] = 1;
    return match_from(e, s, n, sp, k + 1, after, dv);
  }
  if (f->primary == P_WORDS) {
    while (end < n && ((s[end] >= 'a' && s[end] <= 'z') ||
                       (s[end] >= 'A' && s[end] <= 'Z') || s[end] == ' ' ||
                       s[end] == '-' || s[end] == ','))
      end++;
  } else if (f->primary == P_ROMAN || f->primary == P_LETTERS) {
    while (end < n && ((s[end] >= 'a' && s[end] <= 'z') ||
                       (s[end] >= 'A' && s[end] <= 'Z')))
      end++;
  } else
    return 0;
  for (size_t x = end; x > st; x--) {
    if (f->primary == P_WORDS) {
      int ok = 1;
      double v = words_to_number(s + st, x - st);
      (void)ok;
      dv->val[c] = v;
    } else {
      jv *args[2] = {jn_str(e, s + st, x - st),
                     jn_cstr(e, f->primary == P_ROMAN
                                    ? (f->cs == C_UPPER ? "I" : "i")
                                    : (f->cs == C_UPPER ? "A" : "a"))};
      dv->val[c] = jn_fn_parseInteger(e, args, 2, NULL, NULL)->u.n;
    }
    dv->have[c] = 1;
    if (match_from(e, s, n, sp, k + 1, x, dv)) return 1;
  }
  dv->have[c] = 0;
  return 0;
}

/* Parses timestamp s against a date/time picture; 0 when it does not
 * match, -2 when the picture lacks components (D3136). */
static int parse_dt(E *e, const char *s, size_t n, dspec *sp, double *out) {
  dvals *dv = jn_alloc(e->a, sizeof *dv);
  if (!match_from(e, s, n, sp, 0, 0, dv)) return 0;
  int *have = dv->have;
  double *val = dv->val;
  for (int k = 0; k < 128; k++)
    val[k] = jn_clamp(val[k], -1e6, 1e9);
  /* which combination: Y M D | Y d | X W F | Y x w F ; H m s f | P h m s f */
  dt now = to_dt(jn_now_ms(e));
  const char *dcomps = "YXMxWwdD";
  const char *tcomps = "PHhmsf";
  int dmask = 0, tmask = 0;
  for (int k = 0; k < 8; k++)
    if (have[(int)dcomps[k]]) dmask |= 1 << (7 - k);
  for (int k = 0; k < 6; k++)
    if (have[(int)tcomps[k]]) tmask |= 1 << (5 - k);
  double Y = (double)now.Y, M = now.M, D = now.D, H = 0, mi = 0, sec = 0,
         ms = 0;
  if (!dmask && !tmask) return 0;
  /* dates: (a) Y M D, (b) Y d; gaps between MSV and LSV are errors */
  if (dmask) {
    if (have['d']) {
      if (have['Y']) Y = val['Y'];
      double dd = days_from_civil((long)Y, 1, 1) + val['d'] - 1;
      long yy;
      int mm2, d2;
      civil(dd, &yy, &mm2, &d2);
      Y = (double)yy;
      M = mm2;
      D = d2;
    } else if (have['W'] || have['w'] || have['X'] || have['x']) {
      return -2;
    } else {
      int hy = have['Y'], hm = have['M'], hd = have['D'];
      if (hy && !hm && hd) return -2;
      if (hy) Y = val['Y'];
      if (hm)
        M = val['M'];
      else if (hy)
        M = 1;
      if (hd)
        D = val['D'];
      else if (hy || hm)
        D = 1;
    }
  } else if (tmask) {
    /* time only: today */
  }
  if (tmask) {
    int hh = have['H'] || have['h'];
    if (hh && !have['m'] && (have['s'] || have['f'])) return -2;
    if (!hh && have['m']) return -2;
    if (have['H'])
      H = val['H'];
    else if (have['h']) {
      H = fmod(val['h'], 12);
      if (have['P'] && val['P'] == 1) H += 12;
    }
    if (have['m']) mi = val['m'];
    if (have['s']) sec = val['s'];
    if (have['f']) ms = val['f'];
  }
  double r =
      days_from_civil((long)Y, (unsigned)jn_clamp(M, 1, 12), 1) * 86400000.0 +
      (D - 1) * 86400000.0 + H * 3600000.0 + mi * 60000.0 + sec * 1000.0 + ms;
  if (have['Z']) r -= val['Z'] * 60000.0;
  *out = r;
  return 1;
}

jv *jn_fn_toMillis(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  double r;
  if (!ARG(1)) {
    int ok = parse_iso(a[0]->u.s.p, a[0]->u.s.n, &r);
    if (ok == 0) jn_throw(e, "D3110", 0, NULL, a[0], NULL, 0, NULL);
    if (ok < 0) return NULL;
    return jn_num(e, r);
  }
  dspec s = analyse_dt(e, decode(e, a[1]->u.s.p, a[1]->u.s.n));
  int ok = parse_dt(e, a[0]->u.s.p, a[0]->u.s.n, &s, &r);
  if (ok == -2) jn_throw(e, "D3136", 0, NULL, NULL, NULL, 0, NULL);
  if (ok <= 0) return NULL;
  return jn_num(e, r);
}

/* ---- formatNumber (placeholder until the picture grammar below) */
jv *jn_fn_formatNumber(E *e, jv **a, int n, jv *input, env *en);

static long cfind(cps *h, cps *nd, size_t from) {
  if (nd->n == 0) return -1;
  for (size_t i = from; i + nd->n <= h->n; i++)
    if (!memcmp(h->c + i, nd->c, nd->n * 4)) return (long)i;
  return -1;
}
static long crfind(cps *h, cps *nd) {
  if (nd->n == 0 || nd->n > h->n) return -1;
  for (size_t i = h->n - nd->n + 1; i > 0; i--)
    if (!memcmp(h->c + i - 1, nd->c, nd->n * 4)) return (long)i - 1;
  return -1;
}
static cps csub(cps *s, size_t a, size_t b) {
  cps r;
  if (b > s->n) b = s->n;
  if (a > b) a = b;
  r.c = s->c ? s->c + a : NULL;
  r.n = b - a;
  r.cap = 0;
  return r;
}
static cps ccat(E *e, cps *x, cps *y) {
  cps r = {0};
  for (size_t i = 0; i < x->n; i++)
    cp_push(e, &r, x->c[i]);
  for (size_t i = 0; i < y->n; i++)
    cp_push(e, &r, y->c[i]);
  return r;
}

typedef struct {
  cps dec, grp, exp, minus, pct, pm, digit, psep;
  uint32_t zero;
} nprops;

static int is_fam(nprops *p, uint32_t c) {
  return c >= p->zero && c < p->zero + 10;
}
static int single(cps *s, uint32_t c) { return s->n == 1 && s->c[0] == c; }
static int is_active(nprops *p, uint32_t c) {
  return is_fam(p, c) || single(&p->dec, c) || single(&p->exp, c) ||
         single(&p->grp, c) || single(&p->digit, c) || single(&p->psep, c);
}

typedef struct {
  cps prefix, suffix, active, mantissa, exponent, integer, fraction, sub;
  int hasexp;
  int igp[32], nigp, fgp[32], nfgp, regular;
  int minint, scaling, minfrac, maxfrac, minexp;
} npart;

static void split_parts(nprops *p, cps sub, npart *r) {
  memset(r, 0, sizeof *r);
  r->sub = sub;
  size_t pre = sub.n, suf = sub.n;
  for (size_t i = 0; i < sub.n; i++)
    if (is_active(p, sub.c[i]) && !single(&p->exp, sub.c[i])) {
      pre = i;
      break;
    }
  for (size_t i = sub.n; i > 0; i--)
    if (is_active(p, sub.c[i - 1]) && !single(&p->exp, sub.c[i - 1])) {
      suf = i;
      break;
    }
  if (pre == sub.n) suf = sub.n;
  r->prefix = csub(&sub, 0, pre);
  r->suffix = csub(&sub, suf, sub.n);
  r->active = csub(&sub, pre, suf);
  long ep = cfind(&sub, &p->exp, pre);
  if (ep == -1 || ep > (long)(sub.n - r->suffix.n)) {
    r->mantissa = r->active;
  } else {
    r->hasexp = 1;
    r->mantissa = csub(&r->active, 0, (size_t)ep);
    r->exponent = csub(&r->active, (size_t)ep + 1, r->active.n);
  }
  long dp = cfind(&r->mantissa, &p->dec, 0);
  if (dp == -1) {
    r->integer = r->mantissa;
    r->fraction = r->suffix;
  } else {
    r->integer = csub(&r->mantissa, 0, (size_t)dp);
    r->fraction = csub(&r->mantissa, (size_t)dp + 1, r->mantissa.n);
  }
}

static const char *validate_part(nprops *p, npart *r) {
  const char *err = NULL;
  cps *s = &r->sub;
  long dp = cfind(s, &p->dec, 0);
  if (dp != crfind(s, &p->dec)) err = "D3081";
  if (cfind(s, &p->pct, 0) != crfind(s, &p->pct)) err = "D3082";
  if (cfind(s, &p->pm, 0) != crfind(s, &p->pm)) err = "D3083";
  if (cfind(s, &p->pct, 0) != -1 && cfind(s, &p->pm, 0) != -1) err = "D3084";
  int valid = 0;
  for (size_t i = 0; i < r->mantissa.n; i++)
    if (is_fam(p, r->mantissa.c[i]) || single(&p->digit, r->mantissa.c[i]))
      valid = 1;
  if (!valid) err = "D3085";
  for (size_t i = 0; i < r->active.n; i++)
    if (!is_active(p, r->active.c[i])) err = "D3086";
  if (dp != -1) {
    if ((dp > 0 && single(&p->grp, s->c[dp - 1])) ||
        ((size_t)dp + 1 < s->n && single(&p->grp, s->c[dp + 1])))
      err = "D3087";
  } else if (r->integer.n && single(&p->grp, r->integer.c[r->integer.n - 1]))
    err = "D3088";
  for (size_t i = 0; i + 1 < s->n; i++)
    if (single(&p->grp, s->c[i]) && s->c[i + 1] == s->c[i]) err = "D3089";
  long od = cfind(&r->integer, &p->digit, 0);
  if (od != -1)
    for (long i = 0; i < od; i++)
      if (is_fam(p, r->integer.c[i])) err = "D3090";
  od = crfind(&r->fraction, &p->digit);
  if (od != -1)
    for (size_t i = (size_t)od; i < r->fraction.n; i++)
      if (is_fam(p, r->fraction.c[i])) err = "D3091";
  if (r->hasexp && r->exponent.n > 0 &&
      (cfind(s, &p->pct, 0) != -1 || cfind(s, &p->pm, 0) != -1))
    err = "D3092";
  if (r->hasexp) {
    int bad = r->exponent.n == 0;
    for (size_t i = 0; i < r->exponent.n; i++)
      if (!is_fam(p, r->exponent.c[i])) bad = 1;
    if (bad) err = "D3093";
  }
  return err;
}

static void analyse_part(nprops *p, npart *r) {
  /* grouping positions in the integer part (digits to the right) */
  long gp = cfind(&r->integer, &p->grp, 0);
  while (gp != -1 && r->nigp < 32) {
    int cnt = 0;
    for (size_t i = (size_t)gp; i < r->integer.n; i++)
      if (is_fam(p, r->integer.c[i]) || single(&p->digit, r->integer.c[i]))
        cnt++;
    r->igp[r->nigp++] = cnt;
    gp = cfind(&r->integer, &p->grp, (size_t)gp + 1);
  }
  if (r->nigp) {
    int f = r->igp[0];
    for (int i = 1; i < r->nigp; i++)
      f = gcd(f, r->igp[i]);
    int reg = f;
    for (int idx = 1; idx <= r->nigp && reg; idx++) {
      int found = 0;
      for (int i = 0; i < r->nigp; i++)
        if (r->igp[i] == idx * f) found = 1;
      if (!found) reg = 0;
    }
    r->regular = reg;
  }
  gp = cfind(&r->fraction, &p->grp, 0);
  while (gp != -1 && r->nfgp < 32) {
    int cnt = 0;
    for (size_t i = 0; i < (size_t)gp; i++)
      if (is_fam(p, r->fraction.c[i]) || single(&p->digit, r->fraction.c[i]))
        cnt++;
    r->fgp[r->nfgp++] = cnt;
    /* jsonata-js searches the integer part for the next one */
    gp = cfind(&r->integer, &p->grp, (size_t)gp + 1);
  }
  for (size_t i = 0; i < r->integer.n; i++)
    if (is_fam(p, r->integer.c[i])) r->minint++;
  r->scaling = r->minint;
  for (size_t i = 0; i < r->fraction.n; i++) {
    if (is_fam(p, r->fraction.c[i])) r->minfrac++;
    if (is_fam(p, r->fraction.c[i]) || single(&p->digit, r->fraction.c[i]))
      r->maxfrac++;
  }
  if (r->minint == 0 && r->maxfrac == 0) {
    if (r->hasexp)
      r->minfrac = r->maxfrac = 1;
    else
      r->minint = 1;
  }
  if (r->hasexp && r->minint == 0 && cfind(&r->integer, &p->digit, 0) != -1)
    r->minint = 1;
  if (r->minint == 0 && r->minfrac == 0) r->minfrac = 1;
  if (r->hasexp)
    for (size_t i = 0; i < r->exponent.n; i++)
      if (is_fam(p, r->exponent.c[i])) r->minexp++;
}

static cps make_str(E *e, nprops *p, double v, int dp) {
  char buf[400];
  v = fabs(v);
  if (v >= 1e21)
    jn_numfmt(v, buf);
  else
    snprintf(buf, sizeof buf, "%.*f", dp, v);
  cps r = {0};
  for (char *q = buf; *q; q++)
    cp_push(e, &r,
            (*q >= '0' && *q <= '9') ? p->zero + (uint32_t)(*q - '0')
                                     : (uint32_t)*q);
  return r;
}

static cps prop(E *e, jv *opts, const char *k, const char *dflt) {
  jv *v = opts ? jn_oget(opts, k, strlen(k)) : NULL;
  if (v && v->t == JT_STR) return decode(e, v->u.s.p, v->u.s.n);
  return decode(e, dflt, strlen(dflt));
}

jv *jn_fn_formatNumber(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  NEED(1);
  double value = a[0]->u.n;
  jv *opts = ARG(2);
  nprops p;
  p.dec = prop(e, opts, "decimal-separator", ".");
  p.grp = prop(e, opts, "grouping-separator", ",");
  p.exp = prop(e, opts, "exponent-separator", "e");
  p.minus = prop(e, opts, "minus-sign", "-");
  p.pct = prop(e, opts, "percent", "%");
  p.pm = prop(e, opts, "per-mille", "\xe2\x80\xb0");
  p.digit = prop(e, opts, "digit", "#");
  p.psep = prop(e, opts, "pattern-separator", ";");
  cps z = prop(e, opts, "zero-digit", "0");
  p.zero = z.n ? z.c[0] : '0';
  cps pic = decode(e, a[1]->u.s.p, a[1]->u.s.n);
  npart parts[2];
  int np = 0;
  size_t st = 0;
  for (size_t i = 0; i <= pic.n; i++) {
    if (i == pic.n || single(&p.psep, pic.c[i])) {
      if (np >= 2) jn_throw(e, "D3080", 0, NULL, NULL, NULL, 0, NULL);
      split_parts(&p, csub(&pic, st, i), &parts[np++]);
      st = i + 1;
    }
  }
  for (int i = 0; i < np; i++) {
    const char *err = validate_part(&p, &parts[i]);
    if (err) jn_throw(e, err, 0, NULL, NULL, NULL, 0, NULL);
  }
  for (int i = 0; i < np; i++)
    analyse_part(&p, &parts[i]);
  if (np == 1) {
    parts[1] = parts[0];
    parts[1].prefix = ccat(e, &p.minus, &parts[0].prefix);
  }
  npart *pc = value >= 0 ? &parts[0] : &parts[1];
  double adj = value;
  if (cfind(&pc->sub, &p.pct, 0) != -1)
    adj = value * 100;
  else if (cfind(&pc->sub, &p.pm, 0) != -1)
    adj = value * 1000;
  double mant = adj;
  int hasexp = pc->minexp != 0, exponent = 0;
  if (hasexp) {
    double maxm = pow(10, pc->scaling), minm = pow(10, pc->scaling - 1);
    /* jsonata-js loops forever on 0 (fixed in 2.1.1): bounded here */
    for (int k = 0; mant != 0 && fabs(mant) < minm && k < 700; k++) {
      mant *= 10;
      exponent--;
    }
    for (int k = 0; fabs(mant) > maxm && k < 700; k++) {
      mant /= 10;
      exponent++;
    }
  }
  double rounded = jn_round(mant, pc->maxfrac);
  cps sv = make_str(e, &p, rounded, pc->maxfrac);
  /* the decimal point */
  cps s2 = {0};
  int hasdot = 0;
  for (size_t i = 0; i < sv.n; i++) {
    if (sv.c[i] == '.' && !hasdot) {
      for (size_t k = 0; k < p.dec.n; k++)
        cp_push(e, &s2, p.dec.c[k]);
      hasdot = 1;
    } else
      cp_push(e, &s2, sv.c[i]);
  }
  if (!hasdot)
    for (size_t k = 0; k < p.dec.n; k++)
      cp_push(e, &s2, p.dec.c[k]);
  size_t b0 = 0, b1 = s2.n;
  while (b0 < b1 && s2.c[b0] == p.zero)
    b0++;
  while (b1 > b0 && s2.c[b1 - 1] == p.zero)
    b1--;
  cps s = csub(&s2, b0, b1);
  long dpos = cfind(&s, &p.dec, 0);
  int padl = pc->minint - (int)dpos;
  int padr = pc->minfrac - ((int)s.n - (int)dpos - (int)p.dec.n);
  cps t = {0};
  for (int i = 0; i < padl; i++)
    cp_push(e, &t, p.zero);
  for (size_t i = 0; i < s.n; i++)
    cp_push(e, &t, s.c[i]);
  for (int i = 0; i < padr; i++)
    cp_push(e, &t, p.zero);
  s = t;
  dpos = cfind(&s, &p.dec, 0);
  if (pc->regular > 0) {
    int groups = (int)((dpos - 1) / pc->regular);
    for (int g = 1; g <= groups; g++) {
      size_t at = (size_t)(dpos - g * pc->regular);
      cps l = csub(&s, 0, at), r = csub(&s, at, s.n);
      cps m = ccat(e, &l, &p.grp);
      s = ccat(e, &m, &r);
    }
  } else {
    for (int k = 0; k < pc->nigp; k++) {
      long at = dpos - pc->igp[k];
      if (at < 0) at = 0;
      cps l = csub(&s, 0, (size_t)at), r = csub(&s, (size_t)at, s.n);
      cps m = ccat(e, &l, &p.grp);
      s = ccat(e, &m, &r);
      dpos++;
    }
  }
  dpos = cfind(&s, &p.dec, 0);
  for (int k = 0; k < pc->nfgp; k++) {
    size_t at = (size_t)(pc->fgp[k] + dpos + 1);
    cps l = csub(&s, 0, at), r = csub(&s, at, s.n);
    cps m = ccat(e, &l, &p.grp);
    s = ccat(e, &m, &r);
  }
  dpos = cfind(&s, &p.dec, 0);
  if (pc->maxfrac == 0 || dpos == (long)s.n - (long)p.dec.n)
    s = csub(&s, 0, s.n - p.dec.n);
  if (hasexp) {
    cps es = make_str(e, &p, exponent, 0);
    int pl = pc->minexp - (int)es.n;
    cps tt = {0};
    for (size_t i = 0; i < p.exp.n; i++)
      cp_push(e, &tt, p.exp.c[i]);
    if (exponent < 0)
      for (size_t i = 0; i < p.minus.n; i++)
        cp_push(e, &tt, p.minus.c[i]);
    for (int i = 0; i < pl; i++)
      cp_push(e, &tt, p.zero);
    cps m = ccat(e, &tt, &es);
    s = ccat(e, &s, &m);
  }
  cps f1 = ccat(e, &pc->prefix, &s);
  cps f2 = ccat(e, &f1, &pc->suffix);
  return encode(e, &f2);
}
