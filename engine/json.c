/* json.c: cJSON helpers: located parse errors, compact print, equality. */
#include "json.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

int asl_json_malloc_hooks = 0;

cJSON *asl_json_parse(const char *text, size_t len, char **msg) {
  const char *end = NULL;
  if (msg) *msg = NULL;
  cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (v) {
    /* cJSON stops after the first value: only whitespace may follow. */
    const char *p = end;
    while (p < text + len && (*p == ' ' || *p == '\t' || *p == '\n' ||
                              *p == '\r'))
      p++;
    if (p == text + len) return v;
    cJSON_Delete(v);
    end = p;
  } else {
    end = cJSON_GetErrorPtr();
    if (!end || end < text || end > text + len) end = text + len;
  }
  if (msg) {
    size_t line = 1, col = 1;
    for (const char *p = text; p < end; p++) {
      if (*p == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    const char *why = "invalid JSON";
    if (len == 0 || end == text + len) why = "unexpected end of input";
    else if (v == NULL && end > text && (size_t)(end - text) < len) {
      /* cJSON reports depth overflow at the bracket that exceeds it */
      size_t depth = 0;
      for (const char *p = text; p <= end && p < text + len; p++)
        if (*p == '[' || *p == '{') depth++;
      if (depth > ASL_JSON_MAX_DEPTH) why = "nesting too deep";
      else why = "unexpected character";
    } else {
      why = "unexpected data after the JSON value";
    }
    *msg = asl_sprintf("line %zu, column %zu: %s", line, col, why);
  }
  return NULL;
}

/* The text is malloc'd whatever allocator cJSON was given (asl_pool), so
 * callers free() it. */
/* ---- printing ----
 *
 * cJSON_PrintUnformatted's output byte for byte, faster: cJSON prints every
 * number with sprintf and reads it back with sscanf, which made printing
 * the history's payloads the main cost of a recorded run. Integers take a
 * digit loop; other numbers are printed as cJSON does. */

/* Extra bytes cJSON's escaping adds per byte value: 1 for " \\ and the
 * short escapes (\b \t \n \f \r), 5 for other control characters
 * (\u00XX). */
static const unsigned char escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5, /* 0x00 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
};

/* One byte; the buffer is NUL-terminated once, at the end of printing. */
static inline void put1(asl_buf *b, char c) {
  if (b->len + 2 > b->cap) asl_buf_reserve(b, 1);
  b->s[b->len++] = c;
}

static void print_string(asl_buf *b, const char *str) {
  static const char hex[] = "0123456789abcdef";
  put1(b, '"');
  const unsigned char *p = (const unsigned char *)(str ? str : "");
  size_t left = strlen((const char *)p);
  while (left > 0) {
    /* a chunk at a time, with room for its worst case (all \u00XX) */
    size_t n = left < 4096 ? left : 4096;
    asl_buf_reserve(b, 6 * n + 1);
    char *o = b->s + b->len;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = p[i];
      if (!escape_extra[c]) {
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
      default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
      }
    }
    b->len = (size_t)(o - b->s);
    p += n;
    left -= n;
  }
  put1(b, '"');
}

/* An integral number as cJSON 1.7.15 writes it (%1.15g, which writes an
 * integer of up to 15 digits in full, and zero's sign); 0 when d is not an
 * integer of fewer than 16 digits. */
static size_t integral_text(double d, char *buf) {
  if (d != floor(d) || !(fabs(d) < 1e15)) return 0;
  if (d == 0) {
    size_t k = 0;
    if (signbit(d)) buf[k++] = '-';
    buf[k++] = '0';
    buf[k] = 0;
    return k;
  }
  return asl_fmt_ll(buf, (long long)d);
}

static void print_number(asl_buf *b, const cJSON *v) {
  double d = v->valuedouble;
  char buf[32];
  size_t k;
  if (isnan(d) || isinf(d)) {
    asl_buf_add(b, "null", 4);
  } else if ((k = integral_text(d, buf)) > 0) {
    asl_buf_add(b, buf, k);
  } else {
    int n = snprintf(buf, sizeof buf, "%1.15g", d);
    /* cJSON's read-back test allows an epsilon of difference */
    double back = strtod(buf, NULL);
    if (fabs(back - d) > fmax(fabs(back), fabs(d)) * DBL_EPSILON)
      n = snprintf(buf, sizeof buf, "%1.17g", d);
    asl_buf_add(b, buf, (size_t)n);
  }
}

/* 0, or -1 for a value cJSON cannot print (an invalid item). */
static int print_walk(asl_buf *b, const cJSON *v) {
  switch (v->type & 0xFF) {
  case cJSON_NULL: asl_buf_add(b, "null", 4); return 0;
  case cJSON_False: asl_buf_add(b, "false", 5); return 0;
  case cJSON_True: asl_buf_add(b, "true", 4); return 0;
  case cJSON_Number: print_number(b, v); return 0;
  case cJSON_String: print_string(b, v->valuestring); return 0;
  case cJSON_Raw:
    if (!v->valuestring) return -1;
    asl_buf_puts(b, v->valuestring);
    return 0;
  case cJSON_Array:
  case cJSON_Object: {
    int obj = (v->type & 0xFF) == cJSON_Object;
    put1(b, obj ? '{' : '[');
    for (const cJSON *c = v->child; c; c = c->next) {
      if (c != v->child) put1(b, ',');
      if (obj) {
        print_string(b, c->string);
        put1(b, ':');
      }
      if (print_walk(b, c) < 0) return -1;
    }
    put1(b, obj ? '}' : ']');
    return 0;
  }
  default: return -1;
  }
}

char *asl_json_print(const cJSON *v) {
  if (!v) return asl_strdup("null"); /* no value reads as JSON null */
  asl_buf b = {0};
  asl_buf_reserve(&b, 500); /* most payloads: no growing on the way */
  if (print_walk(&b, v) < 0) { /* as cJSON_PrintUnformatted: no text */
    asl_buf_free(&b);
    fputs("asl: cannot print an invalid JSON item\n", stderr);
    abort();
  }
  b.s[b.len] = 0;
  return asl_buf_take(&b);
}

size_t asl_json_size(const cJSON *v) {
  char *s = asl_json_print(v);
  size_t n = strlen(s);
  free(s);
  return n;
}


/* Printed length of a string with cJSON's escaping. Eight bytes at a time
 * look for a byte below 0x20, '"' or '\\' (a false alarm only costs the
 * exact count of those eight). */
static size_t string_size(const char *s) {
  size_t len = strlen(s), extra = 0, i = 0;
  const unsigned char *p = (const unsigned char *)s;
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  for (; i + 8 <= len; i += 8) {
    uint64_t x, q, b;
    memcpy(&x, p + i, 8);
    q = x ^ (ones * '"');
    b = x ^ (ones * '\\');
    uint64_t hit = (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
                    ((b - ones) & ~b)) &
                   high;
    if (!hit) continue;
    for (size_t j = 0; j < 8; j++) extra += escape_extra[p[i + j]];
  }
  for (; i < len; i++) extra += escape_extra[p[i]];
  return 2 + len + extra;
}

/* Printed length of a non-integral finite double as cJSON writes it
 * (%1.15g, or %1.17g when that does not read back). Numbers with at most
 * six decimals that are exact in binary are counted without printf. */
static size_t double_size(double d) {
  double a = fabs(d), scaled = a;
  if (a >= 1e-4 && a < 1e9) {
    for (int k = 1; k <= 6; k++) {
      scaled *= 10;
      if (scaled == floor(scaled) && scaled < 1e15) {
        char t[24];
        size_t ip = asl_fmt_ll(t, (long long)floor(a));
        return (d < 0) + ip + 1 + (size_t)k;
      }
    }
  }
  char buf[64];
  int k = snprintf(buf, sizeof buf, "%1.15g", d);
  /* cJSON's read-back test allows an epsilon of difference */
  double back = strtod(buf, NULL);
  if (fabs(back - d) > fmax(fabs(back), fabs(d)) * DBL_EPSILON)
    k = snprintf(buf, sizeof buf, "%1.17g", d);
  return (size_t)k;
}

/* Adds v's printed size to *n; stops (returns 0) once *n passes max. */
static int size_walk(const cJSON *v, size_t max, size_t *n) {
  if (*n > max) return 0;
  if (cJSON_IsString(v)) {
    *n += string_size(v->valuestring);
  } else if (cJSON_IsNumber(v)) {
    /* as cJSON prints numbers: the shortest of %1.15g and %1.17g that
     * reads back the same */
    char buf[64];
    double d = v->valuedouble;
    size_t k;
    if (isnan(d) || isinf(d)) {
      *n += 4; /* null */
    } else if ((k = integral_text(d, buf)) > 0) {
      *n += k;
    } else {
      *n += double_size(d);
    }
  } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
    int obj = cJSON_IsObject(v);
    *n += 2;
    for (const cJSON *c = v->child; c; c = c->next) {
      if (c != v->child) *n += 1;
      if (obj) *n += string_size(c->string) + 1;
      if (!size_walk(c, max, n)) return 0;
    }
  } else if (cJSON_IsTrue(v)) {
    *n += 4;
  } else if (cJSON_IsFalse(v)) {
    *n += 5;
  } else {
    *n += 4;
  }
  return *n <= max;
}

/* An upper bound of the printed size: every byte of a string escaped as
 * \u00XX, every number 25 bytes. Cheap (no escape scan, no number text);
 * stops once past max. */
static int bound_walk(const cJSON *v, size_t max, size_t *n) {
  /* type bits tested inline: cJSON_IsString and the like are calls into
   * the shared library, and this walk runs on every state's output */
  if (!v) { /* no value prints as null */
    *n += 4;
    return *n <= max;
  }
  int type = v->type & 0xFF;
  if (type == cJSON_String) {
    *n += 2 + (v->valuestring ? 6 * strlen(v->valuestring) : 0);
  } else if (type == cJSON_Array || type == cJSON_Object) {
    int obj = type == cJSON_Object;
    *n += 2;
    for (const cJSON *c = v->child; c; c = c->next) {
      *n += 1 + (obj && c->string ? 3 + 6 * strlen(c->string) : 0);
      if (*n > max || !bound_walk(c, max, n)) return 0;
    }
  } else {
    *n += 25;
  }
  return *n <= max;
}

int asl_json_size_bound(const cJSON *v, size_t max, size_t *bound) {
  size_t n = 0;
  if (!bound_walk(v, max, &n)) { /* not small for sure: count exactly */
    n = 0;
      if (!size_walk(v, max, &n)) return 0;
  }
  *bound = n;
  return 1;
}

int asl_json_size_within(const cJSON *v, size_t max) {
  size_t n;
  return asl_json_size_bound(v, max, &n);
}

int asl_json_equal(const cJSON *a, const cJSON *b) {
  if (!a || !b) return a == b;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    return a->valuedouble == b->valuedouble;
  if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
  if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsArray(a)) {
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
      if (!asl_json_equal(x, y)) return 0;
    return !x && !y;
  }
  if (cJSON_IsObject(a)) {
    int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
    if (na != nb) return 0;
    for (const cJSON *x = a->child; x; x = x->next) {
      const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
      if (!y || !asl_json_equal(x, y)) return 0;
    }
    return 1;
  }
  return 1; /* true, false, null of the same type */
}

const char *asl_json_type_name(const cJSON *v) {
  if (!v) return "null";
  if (cJSON_IsString(v)) return "string";
  if (cJSON_IsNumber(v)) return "number";
  if (cJSON_IsBool(v)) return "boolean";
  if (cJSON_IsArray(v)) return "array";
  if (cJSON_IsObject(v)) return "object";
  return "null";
}

cJSON *asl_json_dup(const cJSON *v) {
  if (!v) return NULL;
  cJSON *c = cJSON_Duplicate(v, 1);
  if (!c) {
    fputs("asl: out of memory\n", stderr);
    abort();
  }
  return c;
}

cJSON *asl_json_dup_value(const cJSON *v) {
  if (!v) return NULL;
  cJSON *c;
  switch (v->type & 0xFF) {
  case cJSON_Number: c = cJSON_CreateNumber(v->valuedouble); break;
  case cJSON_String:
    c = v->valuestring ? cJSON_CreateString(v->valuestring) : NULL;
    break;
  case cJSON_True: c = cJSON_CreateTrue(); break;
  case cJSON_False: c = cJSON_CreateFalse(); break;
  case cJSON_NULL: c = cJSON_CreateNull(); break;
  default: return asl_json_dup(v);
  }
  if (!c) return asl_json_dup(v); /* out of memory: let asl_json_dup say so */
  return c;
}

const cJSON *asl_json_get(const cJSON *obj, const char *name) {
  if (!cJSON_IsObject(obj)) return NULL;
  return cJSON_GetObjectItemCaseSensitive(obj, name);
}

int asl_json_as_int64(const cJSON *v, long long *out) {
  if (!cJSON_IsNumber(v)) return 0;
  double d = v->valuedouble;
  if (!isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18) return 0;
  *out = (long long)d;
  return 1;
}
