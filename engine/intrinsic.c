/* intrinsic.c: the 18 intrinsic functions, parsed once into a tree of
 * literals, paths and calls, and evaluated in a scope.
 *
 * What AWS does, as observed on real executions (the recordings in
 * tests/conformance and published characterisations of the service):
 *   - a failure at run time is a States.Runtime error whose cause reads
 *     "The function '<the whole expression>' had the following error:
 *     <detail>"; the state runner prefixes "An error occurred while
 *     executing the state ...";
 *   - argument counts and types are checked when the call runs, not when
 *     the definition is loaded: AWS accepts "States.StringToJson()" and
 *     fails the execution with "Invalid arguments in States.StringToJson";
 *   - a definite path argument that selects nothing fails with "The JsonPath
 *     argument for the field '$.x' could not be found in the input '...'";
 *   - numbers are truncated towards zero where an integer is needed, as a
 *     Java (int) cast does, except by States.MathAdd, which rounds half up
 *     as Java's Math.round does;
 *   - values are printed as Java prints them: integers without ".0",
 *     doubles as Double.toString ("1.5", "1.0E20"), objects inside
 *     States.Format as a Java Map ("{a=1, b=x}").
 *
 * Load-time errors (*msg) are syntax only: an unknown function name, a bad
 * literal or escape, unbalanced parentheses, a bad path, or calls nested
 * deeper than ASL_MAX_INTRINSIC_NESTING. */
#include "intrinsic.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limits.h"
#include "path.h"

/* The error name of every run-time failure. AWS documents
 * States.IntrinsicFailure, but real executions fail with States.Runtime. */
#define INTRINSIC_ERROR "States.Runtime"

/* Input limit of States.Base64Encode, States.Base64Decode and States.Hash,
 * in Java characters (UTF-16 units). */
#define MAX_INPUT_CHARS 10000

/* ------------------------------------------------------------------ */
/* The tree                                                            */
/* ------------------------------------------------------------------ */

/* Argument type bits for the function table. */
enum {
  T_STR = 1,
  T_NUM = 2,
  T_BOOL = 4,
  T_NULL = 8,
  T_ARR = 16,
  T_OBJ = 32,
  T_ANY = 63
};

typedef enum { N_LIT, N_PATH, N_CALL } node_kind;

typedef struct fn_def fn_def;

typedef struct node {
  node_kind kind;
  cJSON *lit;       /* N_LIT: the value */
  char *raw;        /* N_LIT string: the text between the quotes, escapes
                       kept, so States.Format can tell "\{" from "{" */
  asl_path *path;   /* N_PATH */
  const fn_def *fn; /* N_CALL */
  struct node **args;
  size_t nargs;
} node;

struct asl_intrinsic {
  char *text; /* as written; AWS quotes it whole in every cause */
  node *root; /* always an N_CALL */
};

/* One evaluation. */
typedef struct ectx {
  const asl_intrinsic *f;
  const asl_scope *s;
  asl_error *err;
  const unsigned char *own; /* of the call being run: which argv it owns */
} ectx;

/* Argument i of the running call as a tree the caller owns: taken from argv
 * when the call owns it, else a copy of the borrowed value. */
static cJSON *take_arg(ectx *c, cJSON **argv, size_t i) {
  cJSON *v = argv[i];
  if (c->own[i]) {
    argv[i] = NULL;
    return v;
  }
  return asl_json_dup(v);
}

/* A function body. argv holds call->nargs evaluated arguments, already
 * checked against the table's count and types. They are read-only: a path
 * argument is borrowed from the scope's documents. A body that keeps one
 * calls take_arg. On success *out is a new tree. */
typedef int (*fn_impl)(ectx *c, const node *call, cJSON **argv, cJSON **out);

struct fn_def {
  const char *name;
  int min_args, max_args;     /* max_args < 0: no limit */
  unsigned char types[3];     /* accepted types; the last one repeats */
  fn_impl impl;
};

static asl_hasher g_hasher;

void asl_intrinsic_set_hasher(asl_hasher h) { g_hasher = h; }

static void node_free(node *n) {
  if (!n) return;
  cJSON_Delete(n->lit);
  free(n->raw);
  asl_path_free(n->path);
  for (size_t i = 0; i < n->nargs; i++) node_free(n->args[i]);
  free(n->args);
  free(n);
}

void asl_intrinsic_free(asl_intrinsic *f) {
  if (!f) return;
  node_free(f->root);
  free(f->text);
  free(f);
}

const char *asl_intrinsic_text(const asl_intrinsic *f) { return f->text; }

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static int fail(ectx *c, const char *fmt, ...) ASL_PRINTF(2, 3);

static int fail(ectx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *detail = asl_vsprintf(fmt, ap);
  va_end(ap);
  asl_error_set(c->err, INTRINSIC_ERROR,
                "The function '%s' had the following error: %s", c->f->text,
                detail);
  free(detail);
  return -1;
}

static int invalid_args(ectx *c, const node *call) {
  return fail(c, "Invalid arguments in %s", call->fn->name);
}

/* ------------------------------------------------------------------ */
/* Java-style text: numbers, Map/List toString, compact JSON           */
/* ------------------------------------------------------------------ */

/* The shortest decimal digits of |d| (d finite, nonzero) that read back
 * as d: writes them to digits (>= 18 bytes), the decimal exponent of the
 * first one to *exp, and returns their count (trailing zeros dropped). */
static size_t shortest_digits(double d, char *digits, int *exp) {
  char tmp[40];
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, fabs(d));
    if (strtod(tmp, NULL) == fabs(d)) break;
  }
  snprintf(tmp, sizeof tmp, "%.*e", prec - 1, fabs(d));
  size_t nd = 0;
  const char *p = tmp;
  for (; *p && *p != 'e'; p++)
    if (isdigit((unsigned char)*p)) digits[nd++] = *p;
  *exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  return nd;
}

/* Double.toString: plain notation for 1e-3 <= |d| < 1e7, else
 * "d.dddE<n>"; at least one digit after the point either way. */
static void put_java_double(asl_buf *b, double d) {
  char digits[24];
  int exp;
  /* Short decimals exact in binary (3.25) need no printf: their digits are
   * those of d * 10^k, an integer. */
  double a = fabs(d), scaled = a;
  if (a >= 1e-3 && a < 1e7) {
    for (int k = 1; k <= 6; k++) {
      scaled *= 10;
      if (scaled != floor(scaled) || scaled >= 1e15) continue;
      char t[24];
      size_t n = asl_fmt_ll(t, (long long)scaled), ip = n > (size_t)k
                                                          ? n - (size_t)k
                                                          : 0;
      if (d < 0) asl_buf_putc(b, '-');
      if (ip) asl_buf_add(b, t, ip);
      else asl_buf_putc(b, '0');
      asl_buf_putc(b, '.');
      for (size_t z = n; z < (size_t)k; z++) asl_buf_putc(b, '0');
      asl_buf_add(b, t + ip, n - ip);
      return;
    }
  }
  size_t nd = shortest_digits(d, digits, &exp);
  if (d < 0) asl_buf_putc(b, '-');
  if (fabs(d) < 1e-3 || fabs(d) >= 1e7) {
    asl_buf_putc(b, digits[0]);
    asl_buf_putc(b, '.');
    asl_buf_add(b, nd > 1 ? digits + 1 : "0", nd > 1 ? nd - 1 : 1);
    asl_buf_printf(b, "E%d", exp);
  } else if (exp < 0) {
    asl_buf_puts(b, "0.");
    for (int i = -1; i > exp; i--) asl_buf_putc(b, '0');
    asl_buf_add(b, digits, nd);
  } else {
    for (int i = 0; i <= exp; i++)
      asl_buf_putc(b, (size_t)i < nd ? digits[i] : '0');
    asl_buf_putc(b, '.');
    if ((size_t)exp + 1 < nd)
      asl_buf_add(b, digits + exp + 1, nd - (size_t)exp - 1);
    else
      asl_buf_putc(b, '0');
  }
}

/* A number as Jackson prints the node AWS holds: integral values within a
 * long as integers (IntNode, LongNode), anything else as a double. */
static void put_number(asl_buf *b, double d) {
  if (isnan(d)) {
    asl_buf_puts(b, "NaN");
  } else if (isinf(d)) {
    asl_buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
  } else if (d == floor(d) && fabs(d) < 9.2e18) {
    char t[24];
    asl_buf_add(b, t, asl_fmt_ll(t, (long long)d));
  } else {
    put_java_double(b, d);
  }
}

/* The two ways an intrinsic writes a value, both with Java's numbers:
 * States.Format's (Java's toString: strings bare, "{k=v, k2=v2}",
 * "[a, b]") and States.JsonToString's (compact JSON). */
typedef struct text_style {
  int json;          /* quote and escape strings and keys */
  const char *comma; /* between items */
  char colon;        /* between a key and its value */
} text_style;

static const text_style JAVA_TEXT = {0, ", ", '='};
static const text_style JSON_TEXT = {1, ",", ':'};

static void put_json_string(asl_buf *b, const char *s);

static void put_value(asl_buf *b, const cJSON *v, const text_style *t) {
  if (cJSON_IsString(v)) {
    if (t->json) put_json_string(b, v->valuestring);
    else asl_buf_puts(b, v->valuestring);
  } else if (cJSON_IsNumber(v)) {
    put_number(b, v->valuedouble);
  } else if (cJSON_IsBool(v)) {
    asl_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
  } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
    int obj = cJSON_IsObject(v);
    asl_buf_putc(b, obj ? '{' : '[');
    for (const cJSON *e = v->child; e; e = e->next) {
      if (e != v->child) asl_buf_puts(b, t->comma);
      if (obj) {
        const char *k = e->string ? e->string : "";
        if (t->json) put_json_string(b, k);
        else asl_buf_puts(b, k);
        asl_buf_putc(b, t->colon);
      }
      put_value(b, e, t);
    }
    asl_buf_putc(b, obj ? '}' : ']');
  } else {
    asl_buf_puts(b, "null");
  }
}

static void put_text(asl_buf *b, const cJSON *v) {
  put_value(b, v, &JAVA_TEXT);
}

static char *text_of(const cJSON *v) {
  asl_buf b = {0};
  put_text(&b, v);
  return asl_buf_take(&b);
}

/* A JSON string literal as Jackson writes it: short escapes for the usual
 * controls, \u00XX (upper-case hex) for the others, UTF-8 as is. */
static void put_json_string(asl_buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p = (const unsigned char *)s;
  size_t left = strlen(s);
  asl_buf_putc(b, '"');
  while (left > 0) {
    /* a chunk at a time, with room for its worst case (all \u00XX) */
    size_t n = left < 4096 ? left : 4096;
    asl_buf_reserve(b, 6 * n + 1);
    char *o = b->s + b->len;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = p[i];
      if (c >= 0x20 && c != '"' && c != '\\') {
        *o++ = (char)c;
        continue;
      }
      *o++ = '\\';
      switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\b': *o++ = 'b'; break;
      case '\f': *o++ = 'f'; break;
      case '\n': *o++ = 'n'; break;
      case '\r': *o++ = 'r'; break;
      case '\t': *o++ = 't'; break;
      default: /* Java's escape: upper-case hex */
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
      }
    }
    *o = 0;
    b->len = (size_t)(o - b->s);
    p += n;
    left -= n;
  }
  asl_buf_putc(b, '"');
}

/* Compact JSON with Java number printing (States.JsonToString). */
static void put_json(asl_buf *b, const cJSON *v) {
  put_value(b, v, &JSON_TEXT);
}

static char *json_of(const cJSON *v) {
  asl_buf b = {0};
  put_json(&b, v);
  return asl_buf_take(&b);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int type_bit(const cJSON *v) {
  if (cJSON_IsString(v)) return T_STR;
  if (cJSON_IsNumber(v)) return T_NUM;
  if (cJSON_IsBool(v)) return T_BOOL;
  if (cJSON_IsArray(v)) return T_ARR;
  if (cJSON_IsObject(v)) return T_OBJ;
  return T_NULL;
}

/* Java's (int) cast: towards zero, saturating, NaN to 0. */
static long long java_int(double d) {
  if (isnan(d)) return 0;
  if (d >= 2147483647.0) return 2147483647LL;
  if (d <= -2147483648.0) return -2147483648LL;
  return (long long)d;
}

/* Java's Math.round(double): the closest long, ties towards +infinity. */
static double java_round(double d) {
  if (isnan(d)) return 0;
  if (fabs(d) >= 4503599627370496.0) return d; /* 2^52: already integral */
  double r = floor(d);
  return d - r >= 0.5 ? r + 1 : r;
}

/* Length of s in Java characters: UTF-16 units. */
static size_t java_length(const char *s) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p & 0xC0) != 0x80) n += *p >= 0xF0 ? 2 : 1;
  return n;
}

/* Whether s is longer than max UTF-16 units. A UTF-16 length never exceeds
 * the UTF-8 byte length, so a short string needs no count. */
static int java_longer_than(const char *s, size_t max) {
  size_t bytes = strlen(s);
  return bytes > max && java_length(s) > max;
}

/* Decodes one UTF-8 sequence at s (n bytes left, n > 0). Returns its
 * length; *cp is the code point, or -1 for a malformed sequence. */
static size_t utf8_next(const unsigned char *s, size_t n, long *cp) {
  unsigned char c = s[0];
  size_t len;
  long v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    v = c & 0x07;
  } else {
    *cp = -1;
    return 1;
  }
  size_t i = 1;
  for (; i < len && i < n && (s[i] & 0xC0) == 0x80; i++)
    v = (v << 6) | (s[i] & 0x3F);
  int overlong = (len == 3 && v < 0x800) || (len == 4 && v < 0x10000);
  if (i < len || overlong || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    *cp = -1;
    return i;
  }
  *cp = v;
  return len;
}

/* Bytes as Java's new String(bytes, UTF_8) reads them: malformed
 * sequences become U+FFFD. A NUL byte ends the C string. */
static char *utf8_sanitize(const unsigned char *s, size_t n) {
  asl_buf b = {0};
  size_t i = 0;
  while (i < n) {
    long cp;
    size_t len = utf8_next(s + i, n - i, &cp);
    if (cp < 0)
      asl_buf_puts(&b, "\xEF\xBF\xBD");
    else
      asl_buf_add(&b, (const char *)s + i, len);
    i += len;
  }
  return asl_buf_take(&b);
}

/* ------------------------------------------------------------------ */
/* Generic functions                                                   */
/* ------------------------------------------------------------------ */

/* States.Format: "{}" takes the next argument; "\{", "\}", "\\" and "\'"
 * in a literal template are plain characters; any other brace fails, and
 * so does a count of "{}" that differs from the count of arguments. */
static int fn_format(ectx *c, const node *call, cJSON **argv, cJSON **out) {
  const node *t = call->args[0];
  int raw = t->kind == N_LIT && t->raw;
  const char *p = raw ? t->raw : argv[0]->valuestring;
  size_t next = 1;
  asl_buf b = {0};
  for (; *p; p++) {
    if (raw && *p == '\\' && p[1]) {
      asl_buf_putc(&b, *++p);
    } else if (*p == '{' && p[1] == '}') {
      if (next >= call->nargs) break;
      put_text(&b, argv[next++]);
      p++;
    } else if (*p == '{' || *p == '}') {
      break;
    } else {
      asl_buf_putc(&b, *p);
    }
  }
  if (*p || next != call->nargs) {
    asl_buf_free(&b);
    return invalid_args(c, call);
  }
  char *s = asl_buf_take(&b);
  *out = cJSON_CreateString(s);
  free(s);
  return 0;
}

/* States.StringToJson: an empty (or blank) string gives null, as on AWS. */
static int fn_string_to_json(ectx *c, const node *call, cJSON **argv,
                             cJSON **out) {
  const char *s = argv[0]->valuestring;
  size_t n = strlen(s), i = 0;
  while (i < n && strchr(" \t\r\n", s[i])) i++;
  if (i == n) {
    *out = cJSON_CreateNull();
    return 0;
  }
  *out = asl_json_parse(s, n, NULL);
  return *out ? 0 : invalid_args(c, call);
}

static int fn_json_to_string(ectx *c, const node *call, cJSON **argv,
                             cJSON **out) {
  char *s = json_of(argv[0]);
  *out = cJSON_CreateString(s);
  free(s);
  return 0;
}

static int fn_uuid(ectx *c, const node *call, cJSON **argv, cJSON **out) {
  unsigned char r[16];
  uint64_t hi = asl_scope_rand64(c->s), lo = asl_scope_rand64(c->s);
  for (int i = 0; i < 8; i++) {
    r[i] = (unsigned char)(hi >> (8 * i));
    r[8 + i] = (unsigned char)(lo >> (8 * i));
  }
  r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* version 4 */
  r[8] = (unsigned char)((r[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  char s[37] = {0};
  char *w = s;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
    *w++ = "0123456789abcdef"[r[i] >> 4];
    *w++ = "0123456789abcdef"[r[i] & 15];
  }
  *out = cJSON_CreateString(s);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Arrays                                                              */
/* ------------------------------------------------------------------ */

static int fn_array(ectx *c, const node *call, cJSON **argv, cJSON **out) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < call->nargs; i++)
    cJSON_AddItemToArray(a, take_arg(c, argv, i));
  *out = a;
  return 0;
}

static int fn_array_partition(ectx *c, const node *call, cJSON **argv,
                              cJSON **out) {
  long long size = java_int(argv[1]->valuedouble);
  if (size <= 0) return invalid_args(c, call);
  cJSON *a = cJSON_CreateArray(), *chunk = NULL;
  long long k = 0;
  for (const cJSON *e = argv[0]->child; e; e = e->next) {
    if (k++ % size == 0) {
      chunk = cJSON_CreateArray();
      cJSON_AddItemToArray(a, chunk);
    }
    cJSON_AddItemToArray(chunk, asl_json_dup(e));
  }
  *out = a;
  return 0;
}

/* AWS compares by Java's toString of the values: key order matters, and
 * "true" matches true. */
static int fn_array_contains(ectx *c, const node *call, cJSON **argv,
                             cJSON **out) {
  char *want = text_of(argv[1]);
  int found = 0;
  for (const cJSON *e = argv[0]->child; e && !found; e = e->next) {
    char *got = text_of(e);
    found = strcmp(got, want) == 0;
    free(got);
  }
  free(want);
  *out = cJSON_CreateBool(found);
  return 0;
}

/* First and last are inclusive; the step may be negative but not zero;
 * at most ASL_MAX_ARRAY_RANGE elements. */
static int fn_array_range(ectx *c, const node *call, cJSON **argv,
                          cJSON **out) {
  long long first = java_int(argv[0]->valuedouble);
  long long last = java_int(argv[1]->valuedouble);
  long long step = java_int(argv[2]->valuedouble);
  if (step == 0) return invalid_args(c, call);
  long long count = 0;
  if (step > 0 && first <= last) count = (last - first) / step + 1;
  if (step < 0 && first >= last) count = (first - last) / -step + 1;
  if (count > ASL_MAX_ARRAY_RANGE) return invalid_args(c, call);
  cJSON *a = cJSON_CreateArray();
  for (long long i = 0; i < count; i++)
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)(first + i * step)));
  *out = a;
  return 0;
}

/* An index out of range fails, except that AWS answers null for an empty
 * array whatever the index. */
static int fn_array_get_item(ectx *c, const node *call, cJSON **argv,
                             cJSON **out) {
  long long i = java_int(argv[1]->valuedouble);
  const cJSON *e = argv[0]->child;
  if (!e) {
    *out = cJSON_CreateNull();
    return 0;
  }
  for (; e && i > 0; e = e->next) i--;
  if (i < 0 || !e) return invalid_args(c, call);
  *out = asl_json_dup(e);
  return 0;
}

static int fn_array_length(ectx *c, const node *call, cJSON **argv,
                           cJSON **out) {
  *out = cJSON_CreateNumber(cJSON_GetArraySize(argv[0]));
  return 0;
}

/* A hash consistent with asl_json_equal: numbers by value, objects
 * regardless of member order. */
static uint64_t hash_value(const cJSON *v) {
  uint64_t h = (uint64_t)type_bit(v) * 0x9E3779B97F4A7C15ULL;
  if (cJSON_IsString(v)) {
    for (const unsigned char *p = (const unsigned char *)v->valuestring; *p;
         p++)
      h = (h ^ *p) * 0x100000001B3ULL;
  } else if (cJSON_IsNumber(v)) {
    double d = v->valuedouble == 0 ? 0 : v->valuedouble;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    h ^= bits * 0xFF51AFD7ED558CCDULL;
  } else if (cJSON_IsBool(v)) {
    h ^= (uint64_t)cJSON_IsTrue(v);
  } else if (cJSON_IsArray(v)) {
    for (const cJSON *e = v->child; e; e = e->next)
      h = (h * 31) ^ hash_value(e);
  } else if (cJSON_IsObject(v)) {
    for (const cJSON *e = v->child; e; e = e->next) {
      uint64_t k = 0xCBF29CE484222325ULL;
      for (const unsigned char *p = (const unsigned char *)e->string; p && *p;
           p++)
        k = (k ^ *p) * 0x100000001B3ULL;
      h += k * 31 + hash_value(e); /* commutative: member order is free */
    }
  }
  return h ^ (h >> 29);
}

/* Keeps the first of equal elements (equal as asl_json_equal says, which
 * is how Java's sets compare JSON nodes), through an open hash table. */
static int fn_array_unique(ectx *c, const node *call, cJSON **argv,
                           cJSON **out) {
  size_t n = (size_t)cJSON_GetArraySize(argv[0]), cap = 16;
  while (cap < 2 * n) cap *= 2;
  const cJSON **slots = asl_calloc(cap, sizeof *slots);
  cJSON *a = cJSON_CreateArray();
  for (const cJSON *e = argv[0]->child; e; e = e->next) {
    size_t i = (size_t)hash_value(e) & (cap - 1);
    while (slots[i] && !asl_json_equal(slots[i], e)) i = (i + 1) & (cap - 1);
    if (slots[i]) continue;
    slots[i] = e;
    cJSON_AddItemToArray(a, asl_json_dup(e));
  }
  free(slots);
  *out = a;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Encoding, hashing, JSON                                             */
/* ------------------------------------------------------------------ */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int fn_base64_encode(ectx *c, const node *call, cJSON **argv,
                            cJSON **out) {
  const unsigned char *s = (const unsigned char *)argv[0]->valuestring;
  if (java_longer_than((const char *)s, MAX_INPUT_CHARS))
    return invalid_args(c, call);
  size_t n = strlen((const char *)s);
  asl_buf b = {0};
  for (size_t i = 0; i < n; i += 3) {
    unsigned long v = (unsigned long)s[i] << 16;
    if (i + 1 < n) v |= (unsigned long)s[i + 1] << 8;
    if (i + 2 < n) v |= s[i + 2];
    asl_buf_putc(&b, B64[(v >> 18) & 63]);
    asl_buf_putc(&b, B64[(v >> 12) & 63]);
    asl_buf_putc(&b, i + 1 < n ? B64[(v >> 6) & 63] : '=');
    asl_buf_putc(&b, i + 2 < n ? B64[v & 63] : '=');
  }
  char *r = asl_buf_take(&b);
  *out = cJSON_CreateString(r);
  free(r);
  return 0;
}

static int b64_value(unsigned char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+' || ch == '-') return 62;
  if (ch == '/' || ch == '_') return 63;
  return -1;
}

/* AWS decodes leniently (observed): characters outside the alphabet are
 * skipped, the first '=' ends the data, and leftover bits are dropped. */
static int fn_base64_decode(ectx *c, const node *call, cJSON **argv,
                            cJSON **out) {
  const unsigned char *s = (const unsigned char *)argv[0]->valuestring;
  if (java_longer_than((const char *)s, MAX_INPUT_CHARS))
    return invalid_args(c, call);
  size_t n = strlen((const char *)s), len = 0;
  unsigned char *bytes = asl_malloc(n + 1);
  unsigned long acc = 0;
  int have = 0;
  for (size_t i = 0; i < n && s[i] != '='; i++) {
    int v = b64_value(s[i]);
    if (v < 0) continue;
    acc = (acc << 6) | (unsigned long)v;
    if (++have == 4) {
      bytes[len++] = (unsigned char)(acc >> 16);
      bytes[len++] = (unsigned char)(acc >> 8);
      bytes[len++] = (unsigned char)acc;
      acc = 0;
      have = 0;
    }
  }
  if (have >= 2) bytes[len++] = (unsigned char)(acc >> (6 * have - 8));
  if (have == 3) bytes[len++] = (unsigned char)(acc >> 2);
  char *r = utf8_sanitize(bytes, len);
  free(bytes);
  *out = cJSON_CreateString(r);
  free(r);
  return 0;
}

/* AWS hashes a non-string value's text (observed for numbers and
 * objects); the algorithm name must match exactly. */
static int fn_hash(ectx *c, const node *call, cJSON **argv, cJSON **out) {
  static const char *const algs[] = {"MD5", "SHA-1", "SHA-256", "SHA-384",
                                     "SHA-512"};
  const char *alg = argv[1]->valuestring;
  int known = 0;
  for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
    known |= strcmp(alg, algs[i]) == 0;
  if (!known) return invalid_args(c, call);
  char *text = cJSON_IsString(argv[0]) ? NULL : json_of(argv[0]);
  const char *data = text ? text : argv[0]->valuestring;
  char hex[129];
  int rc = 0;
  if (java_longer_than(data, MAX_INPUT_CHARS))
    rc = invalid_args(c, call);
  else if (!g_hasher)
    rc = fail(c, "no digest implementation is installed for %s",
              call->fn->name);
  else if (g_hasher(alg, data, strlen(data), hex) != 0)
    rc = invalid_args(c, call);
  else
    *out = cJSON_CreateString(hex);
  free(text);
  return rc;
}

/* Shallow merge only: the second object's members replace the first's.
 * AWS refuses a deep merge (true) and treats any other flag as false. */
static int fn_json_merge(ectx *c, const node *call, cJSON **argv,
                         cJSON **out) {
  if (cJSON_IsTrue(argv[2])) return invalid_args(c, call);
  cJSON *r = take_arg(c, argv, 0);
  for (cJSON *e = argv[1]->child; e; e = e->next) {
    cJSON *v = asl_json_dup(e);
    if (cJSON_GetObjectItemCaseSensitive(r, e->string))
      cJSON_ReplaceItemInObjectCaseSensitive(r, e->string, v);
    else
      cJSON_AddItemToObject(r, e->string, v);
  }
  *out = r;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Math and strings                                                    */
/* ------------------------------------------------------------------ */

/* java.util.Random, so that a seeded States.MathRandom gives the number
 * AWS (a Java service) gives. */
typedef struct jrand {
  uint64_t seed;
} jrand;

#define JRAND_MULT 0x5DEECE66DULL
#define JRAND_MASK ((1ULL << 48) - 1)

static void jrand_init(jrand *r, long long seed) {
  r->seed = ((uint64_t)seed ^ JRAND_MULT) & JRAND_MASK;
}

static long jrand_next(jrand *r, int bits) {
  r->seed = (r->seed * JRAND_MULT + 0xBULL) & JRAND_MASK;
  return (long)(int32_t)(uint32_t)(r->seed >> (48 - bits));
}

/* Random.nextInt(bound), bound > 0; Java's "< 0" overflow test is the
 * exact sum exceeding INT32_MAX. */
static long jrand_next_int(jrand *r, long bound) {
  long v = jrand_next(r, 31), m = bound - 1;
  if ((bound & m) == 0) return (long)(((long long)bound * v) >> 31);
  for (long u = v; (long long)u - (v = u % bound) + m > 2147483647LL;
       u = jrand_next(r, 31))
    ;
  return v;
}

/* An integer in [start, end): Random(seed).nextInt(end - start) + start
 * when seeded, else from the scope's generator. */
static int fn_math_random(ectx *c, const node *call, cJSON **argv,
                          cJSON **out) {
  long long start = java_int(argv[0]->valuedouble);
  long long end = java_int(argv[1]->valuedouble);
  long long bound = end - start;
  if (bound <= 0 || bound > 2147483647LL) return invalid_args(c, call);
  long long v;
  if (call->nargs == 3) {
    double sd = argv[2]->valuedouble;
    long long seed = isnan(sd)            ? 0
                     : sd >= 9.2e18       ? 9223372036854775807LL
                     : sd <= -9.2e18      ? -9223372036854775807LL - 1
                                          : (long long)sd;
    jrand r;
    jrand_init(&r, seed);
    v = jrand_next_int(&r, (long)bound);
  } else {
    uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)bound, x;
    do x = asl_scope_rand64(c->s);
    while (x >= limit);
    v = (long long)(x % (uint64_t)bound);
  }
  *out = cJSON_CreateNumber((double)(start + v));
  return 0;
}

/* Each operand rounded as Math.round does; operands and sum must be
 * 32-bit integers. */
static int fn_math_add(ectx *c, const node *call, cJSON **argv,
                       cJSON **out) {
  double a = java_round(argv[0]->valuedouble);
  double b = java_round(argv[1]->valuedouble);
  double lo = -2147483648.0, hi = 2147483647.0;
  if (a < lo || a > hi || b < lo || b > hi || a + b < lo || a + b > hi)
    return invalid_args(c, call);
  *out = cJSON_CreateNumber(a + b);
  return 0;
}

static int cmp_long(const void *x, const void *y) {
  long a = *(const long *)x, b = *(const long *)y;
  return (a > b) - (a < b);
}

/* The code points of d, sorted; a malformed UTF-8 byte stands for itself,
 * apart from every code point. Returns the count. */
static size_t delimiter_set(const unsigned char *d, long **set) {
  size_t n = strlen((const char *)d), k = 0;
  *set = asl_malloc((n + 1) * sizeof **set);
  for (size_t i = 0; i < n;) {
    long cp;
    size_t len = utf8_next(d + i, n - i, &cp);
    (*set)[k++] = cp < 0 ? 0x110000L + d[i] : cp;
    i += len;
  }
  qsort(*set, k, sizeof **set, cmp_long);
  return k;
}

/* Java's StringTokenizer: every character of the second argument is a
 * delimiter, and empty tokens are dropped (as observed on AWS). */
static int fn_string_split(ectx *c, const node *call, cJSON **argv,
                           cJSON **out) {
  const unsigned char *s = (const unsigned char *)argv[0]->valuestring;
  long *set;
  size_t k = delimiter_set((const unsigned char *)argv[1]->valuestring, &set);
  size_t n = strlen((const char *)s), tok = 0, i = 0;
  cJSON *a = cJSON_CreateArray();
  while (i <= n) {
    long cp = 0;
    size_t len = i < n ? utf8_next(s + i, n - i, &cp) : 1;
    if (i < n && cp < 0) cp = 0x110000L + s[i];
    if (i == n || bsearch(&cp, set, k, sizeof *set, cmp_long)) {
      if (i > tok) {
        char *t = asl_strndup((const char *)s + tok, i - tok);
        cJSON_AddItemToArray(a, cJSON_CreateString(t));
        free(t);
      }
      tok = i + len;
    }
    i += len;
  }
  free(set);
  *out = a;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

#define T_HASHABLE (T_STR | T_NUM | T_BOOL | T_ARR | T_OBJ)

static const fn_def FNS[] = {
    {"States.Format", 1, -1, {T_STR, T_ANY, T_ANY}, fn_format},
    {"States.StringToJson", 1, 1, {T_STR}, fn_string_to_json},
    {"States.JsonToString", 1, 1, {T_ANY}, fn_json_to_string},
    {"States.Array", 0, -1, {T_ANY, T_ANY, T_ANY}, fn_array},
    {"States.ArrayPartition", 2, 2, {T_ARR, T_NUM}, fn_array_partition},
    {"States.ArrayContains", 2, 2, {T_ARR, T_ANY}, fn_array_contains},
    {"States.ArrayRange", 3, 3, {T_NUM, T_NUM, T_NUM}, fn_array_range},
    {"States.ArrayGetItem", 2, 2, {T_ARR, T_NUM}, fn_array_get_item},
    {"States.ArrayLength", 1, 1, {T_ARR}, fn_array_length},
    {"States.ArrayUnique", 1, 1, {T_ARR}, fn_array_unique},
    {"States.Base64Encode", 1, 1, {T_STR}, fn_base64_encode},
    {"States.Base64Decode", 1, 1, {T_STR}, fn_base64_decode},
    {"States.Hash", 2, 2, {T_HASHABLE, T_STR}, fn_hash},
    {"States.JsonMerge", 3, 3, {T_OBJ, T_OBJ, T_ANY}, fn_json_merge},
    {"States.MathRandom", 2, 3, {T_NUM, T_NUM, T_NUM}, fn_math_random},
    {"States.MathAdd", 2, 2, {T_NUM, T_NUM}, fn_math_add},
    {"States.StringSplit", 2, 2, {T_STR, T_STR}, fn_string_split},
    {"States.UUID", 0, 0, {0}, fn_uuid},
};

static const fn_def *fn_lookup(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof FNS / sizeof *FNS; i++)
    if (strlen(FNS[i].name) == len && memcmp(FNS[i].name, name, len) == 0)
      return &FNS[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */
/* ------------------------------------------------------------------ */

static int eval_node(ectx *c, const node *n, cJSON **out);

/* A path that selects nothing. For "$$" AWS names the path with one "$"
 * and quotes the state input all the same. */
static int missing_path(ectx *c, const asl_path *p) {
  const char *field = asl_path_text(p);
  if (asl_path_root(p) == 1) field++;
  char *in = c->s->input ? json_of(c->s->input) : asl_strdup("null");
  fail(c,
       "The JsonPath argument for the field '%s' could not be found in the "
       "input '%s'",
       field, in);
  free(in);
  return -1;
}

static int check_types(ectx *c, const node *call, cJSON **argv) {
  const fn_def *fn = call->fn;
  for (size_t i = 0; i < call->nargs; i++) {
    unsigned char want = fn->types[i < 3 ? i : 2];
    if (!(type_bit(argv[i]) & want)) return invalid_args(c, call);
  }
  return 0;
}

/* Evaluates argument node n into *out, borrowed (*own 0: a literal, or a
 * value a simple path selects in the scope) or new (*own 1). Reading
 * arguments in place spares a copy of every path argument. */
static int eval_arg(ectx *c, const node *n, cJSON **out, unsigned char *own) {
  *own = 0;
  if (n->kind == N_LIT) {
    *out = n->lit;
    return 0;
  }
  if (n->kind == N_PATH) {
    const cJSON *v = asl_path_lookup(n->path, c->s);
    if (v) {
      *out = (cJSON *)v;
      return 0;
    }
  }
  *own = 1;
  return eval_node(c, n, out);
}

static int eval_call(ectx *c, const node *n, cJSON **out) {
  const fn_def *fn = n->fn;
  if ((int)n->nargs < fn->min_args ||
      (fn->max_args >= 0 && (int)n->nargs > fn->max_args))
    return invalid_args(c, n);
  cJSON *argv_small[4];
  unsigned char own_small[4] = {0};
  cJSON **argv = argv_small;
  unsigned char *own = own_small;
  if (n->nargs > 4) {
    argv = asl_calloc(n->nargs, sizeof *argv);
    own = asl_calloc(n->nargs, 1);
  }
  int rc = 0;
  size_t done = 0;
  for (; done < n->nargs && rc == 0; done++)
    rc = eval_arg(c, n->args[done], &argv[done], &own[done]);
  if (rc == 0) rc = check_types(c, n, argv);
  if (rc == 0) {
    c->own = own;
    rc = fn->impl(c, n, argv, out);
  }
  for (size_t i = 0; i < done; i++)
    if (own[i]) cJSON_Delete(argv[i]);
  if (argv != argv_small) {
    free(argv);
    free(own);
  }
  return rc;
}

static int eval_node(ectx *c, const node *n, cJSON **out) {
  *out = NULL;
  if (n->kind == N_LIT) {
    *out = asl_json_dup(n->lit);
    return 0;
  }
  if (n->kind == N_CALL) return eval_call(c, n, out);
  if (asl_path_eval(n->path, c->s, out, NULL) != 0 || !*out) {
    cJSON_Delete(*out);
    *out = NULL;
    return missing_path(c, n->path);
  }
  return 0;
}

int asl_intrinsic_eval(const asl_intrinsic *f, const asl_scope *s, cJSON **out,
                       asl_error *err) {
  ectx c = {f, s, err, NULL};
  *out = NULL;
  return eval_node(&c, f->root, out) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

typedef struct parser {
  const char *s;
  size_t pos;
  char *msg; /* the first error */
} parser;

static node *perr(parser *p, const char *fmt, ...) ASL_PRINTF(2, 3);

static node *perr(parser *p, const char *fmt, ...) {
  if (!p->msg) {
    va_list ap;
    va_start(ap, fmt);
    p->msg = asl_vsprintf(fmt, ap);
    va_end(ap);
  }
  return NULL;
}

static void skip_ws(parser *p) {
  while (p->s[p->pos] && strchr(" \t\r\n", p->s[p->pos])) p->pos++;
}

static int is_ident(char ch) {
  return isalnum((unsigned char)ch) || ch == '_';
}

static node *new_node(node_kind k) {
  node *n = asl_calloc(1, sizeof *n);
  n->kind = k;
  return n;
}

/* '...': only \' \{ \} \\ may follow a backslash (AWS rejects the
 * definition otherwise, e.g. for \"). */
static node *parse_string(parser *p) {
  size_t start = ++p->pos;
  asl_buf b = {0};
  for (;;) {
    char ch = p->s[p->pos];
    if (!ch) {
      asl_buf_free(&b);
      return perr(p, "unterminated string literal starting at offset %zu",
                  start - 1);
    }
    if (ch == '\'') break;
    if (ch == '\\') {
      char e = p->s[p->pos + 1];
      if (!e || !strchr("'{}\\", e)) {
        asl_buf_free(&b);
        return perr(p,
                    "invalid escape '\\%c' at offset %zu: only \\', \\{, "
                    "\\} and \\\\ may be escaped",
                    e ? e : ' ', p->pos);
      }
      asl_buf_putc(&b, e);
      p->pos += 2;
      continue;
    }
    asl_buf_putc(&b, ch);
    p->pos++;
  }
  node *n = new_node(N_LIT);
  char *v = asl_buf_take(&b);
  n->lit = cJSON_CreateString(v);
  free(v);
  n->raw = asl_strndup(p->s + start, p->pos - start);
  p->pos++;
  return n;
}

static size_t digits(const char *s) {
  size_t n = 0;
  while (isdigit((unsigned char)s[n])) n++;
  return n;
}

/* -?D+(.D+)?([eE][+-]?D+)? followed by no identifier character. */
static node *parse_number(parser *p) {
  const char *s = p->s + p->pos;
  size_t i = *s == '-' ? 1 : 0, d = digits(s + i);
  int ok = d > 0;
  i += d;
  if (ok && s[i] == '.') {
    d = digits(s + i + 1);
    ok = d > 0;
    i += 1 + d;
  }
  if (ok && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1 + (s[i + 1] == '+' || s[i + 1] == '-');
    d = digits(s + j);
    ok = d > 0;
    i = j + d;
  }
  if (!ok || is_ident(s[i]) || s[i] == '.') {
    while (is_ident(s[i]) || s[i] == '.' || s[i] == '-') i++;
    return perr(p, "invalid number '%.*s' at offset %zu", (int)i, s, p->pos);
  }
  char *t = asl_strndup(s, i);
  node *n = new_node(N_LIT);
  n->lit = cJSON_CreateNumber(strtod(t, NULL));
  free(t);
  p->pos += i;
  return n;
}

static node *parse_keyword(parser *p) {
  const char *s = p->s + p->pos;
  size_t len = 0;
  while (is_ident(s[len])) len++;
  node *n = new_node(N_LIT);
  if (len == 4 && memcmp(s, "true", 4) == 0)
    n->lit = cJSON_CreateTrue();
  else if (len == 5 && memcmp(s, "false", 5) == 0)
    n->lit = cJSON_CreateFalse();
  else if (len == 4 && memcmp(s, "null", 4) == 0)
    n->lit = cJSON_CreateNull();
  else {
    free(n);
    return perr(p, "unexpected '%.*s' at offset %zu", (int)(len ? len : 1),
                s, p->pos);
  }
  p->pos += len;
  return n;
}

/* A path runs to the next ',' or ')' outside brackets, parentheses and
 * quotes, so "$.a['x,y']" and "$[?(@.n > 1)]" stay whole. */
static node *parse_path(parser *p) {
  size_t start = p->pos, depth = 0;
  char quote = 0;
  for (; p->s[p->pos]; p->pos++) {
    char ch = p->s[p->pos];
    if (quote) {
      if (ch == '\\' && p->s[p->pos + 1])
        p->pos++;
      else if (ch == quote)
        quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '[' || ch == '(') {
      depth++;
    } else if (ch == ']' || ch == ')') {
      if (depth == 0) break;
      depth--;
    } else if (ch == ',' && depth == 0) {
      break;
    }
  }
  size_t end = p->pos;
  while (end > start && strchr(" \t\r\n", p->s[end - 1])) end--;
  char *text = asl_strndup(p->s + start, end - start);
  char *why = NULL;
  asl_path *path = asl_path_compile(text, 0, &why);
  if (!path) {
    perr(p, "invalid path '%s': %s", text, why ? why : "bad syntax");
    free(why);
    free(text);
    return NULL;
  }
  free(text);
  node *n = new_node(N_PATH);
  n->path = path;
  return n;
}

static node *parse_call(parser *p, int depth);

static node *parse_arg(parser *p, int depth) {
  char ch = p->s[p->pos];
  if (ch == '\'') return parse_string(p);
  if (ch == '$') return parse_path(p);
  if (ch == '-' || isdigit((unsigned char)ch)) return parse_number(p);
  if (strncmp(p->s + p->pos, "States.", 7) == 0)
    return parse_call(p, depth + 1);
  if (isalpha((unsigned char)ch)) return parse_keyword(p);
  if (!ch) return perr(p, "missing ')': unbalanced parentheses");
  if (ch == ',' || ch == ')')
    return perr(p, "missing argument at offset %zu", p->pos);
  return perr(p, "unexpected '%c' at offset %zu", ch, p->pos);
}

static void add_arg(node *call, node *arg) {
  call->args = asl_realloc(call->args, (call->nargs + 1) * sizeof *call->args);
  call->args[call->nargs++] = arg;
}

/* The argument list after '('; consumes the ')'. */
static int parse_args(parser *p, node *call, int depth) {
  skip_ws(p);
  if (p->s[p->pos] == ')') {
    p->pos++;
    return 0;
  }
  for (;;) {
    skip_ws(p);
    node *arg = parse_arg(p, depth);
    if (!arg) return -1;
    add_arg(call, arg);
    skip_ws(p);
    char ch = p->s[p->pos];
    if (ch == ')') {
      p->pos++;
      return 0;
    }
    if (ch != ',') {
      if (!ch)
        perr(p, "missing ')': unbalanced parentheses");
      else
        perr(p, "expected ',' or ')' at offset %zu", p->pos);
      return -1;
    }
    p->pos++;
  }
}

/* States.Name( args ), nested depth deep (the outermost call is 1). */
static node *parse_call(parser *p, int depth) {
  if (depth > ASL_MAX_INTRINSIC_NESTING)
    return perr(p, "intrinsic functions nested more than %d deep",
                ASL_MAX_INTRINSIC_NESTING);
  size_t start = p->pos, len = 7;
  while (is_ident(p->s[start + len])) len++;
  const fn_def *fn = fn_lookup(p->s + start, len);
  if (!fn)
    return perr(p, "unknown intrinsic function '%.*s'", (int)len,
                p->s + start);
  p->pos = start + len;
  skip_ws(p);
  if (p->s[p->pos] != '(')
    return perr(p, "expected '(' after '%s'", fn->name);
  p->pos++;
  node *call = new_node(N_CALL);
  call->fn = fn;
  if (parse_args(p, call, depth) != 0) {
    node_free(call);
    return NULL;
  }
  return call;
}

int asl_intrinsic_is_call(const char *text) {
  if (!text || strncmp(text, "States.", 7) != 0) return 0;
  const char *p = text + 7;
  if (!is_ident(*p)) return 0;
  while (is_ident(*p)) p++;
  return *p == '(';
}

asl_intrinsic *asl_intrinsic_compile(const char *text, char **msg) {
  parser p = {text, 0, NULL};
  *msg = NULL;
  node *root = NULL;
  if (!asl_intrinsic_is_call(text)) {
    perr(&p, "not an intrinsic function call: expected 'States.Name('");
  } else {
    root = parse_call(&p, 1);
    skip_ws(&p);
    if (root && p.s[p.pos]) {
      if (p.s[p.pos] == ')')
        perr(&p, "unexpected ')' at offset %zu: unbalanced parentheses",
             p.pos);
      else
        perr(&p, "unexpected text after the call at offset %zu", p.pos);
    }
  }
  if (p.msg) {
    node_free(root);
    *msg = p.msg;
    return NULL;
  }
  asl_intrinsic *f = asl_calloc(1, sizeof *f);
  f->text = asl_strdup(text);
  f->root = root;
  return f;
}
