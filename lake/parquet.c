/* parquet.c: the Parquet reader and writer of parquet.h, written from the
 * format's specification. The code is in four files sharing parquet_int.h
 * (byte buffers, the Thrift compact protocol, RLE, compression):
 *  - parquet_enc.c: the Thrift compact protocol (reader with bounds checks
 *    on every byte, writer), the RLE/bit-packing hybrid and compression;
 *  - parquet_read.c: the footer and schema, page decoding, row iteration
 *    and statistics;
 *  - parquet_write.c: the streaming writer;
 *  - parquet.c (this file): type names, dates, schema specs, values from
 *    JSON and values as text. */
#include "parquet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ================================================================ names */

const char *asl_pq_physical_name(asl_pq_physical t) {
  static const char *n[] = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return (unsigned)t < 8 ? n[t] : "UNKNOWN";
}

const char *asl_pq_logical_name(asl_pq_logical l) {
  switch (l) {
  case ASL_PQ_L_NONE:
    return "";
  case ASL_PQ_L_STRING:
    return "STRING";
  case ASL_PQ_L_DATE:
    return "DATE";
  case ASL_PQ_L_TIMESTAMP_MS:
    return "TIMESTAMP_MILLIS";
  case ASL_PQ_L_TIMESTAMP_US:
    return "TIMESTAMP_MICROS";
  case ASL_PQ_L_TIMESTAMP_NS:
    return "TIMESTAMP_NANOS";
  case ASL_PQ_L_DECIMAL:
    return "DECIMAL";
  case ASL_PQ_L_INT:
    return "INT";
  case ASL_PQ_L_OTHER:
    return "OTHER";
  }
  return "";
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t asl_pq_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void asl_pq_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

/* ================================================================ text */

void asl_pq_columns_free(asl_pq_column *cols, size_t ncols) {
  for (size_t k = 0; k < ncols; k++)
    free(cols[k].name);
  free(cols);
}

static const char *parse_type(const char *t, asl_pq_column *c) {
  int p = 0, s = 0, n = 0, used = 0;
  if (!strcmp(t, "bool") || !strcmp(t, "boolean"))
    c->physical = ASL_PQ_BOOLEAN;
  else if (!strcmp(t, "int32") || !strcmp(t, "int"))
    c->physical = ASL_PQ_INT32;
  else if (!strcmp(t, "int64") || !strcmp(t, "bigint"))
    c->physical = ASL_PQ_INT64;
  else if (!strcmp(t, "float"))
    c->physical = ASL_PQ_FLOAT;
  else if (!strcmp(t, "double"))
    c->physical = ASL_PQ_DOUBLE;
  else if (!strcmp(t, "string")) {
    c->physical = ASL_PQ_BYTE_ARRAY;
    c->logical = ASL_PQ_L_STRING;
  } else if (!strcmp(t, "binary"))
    c->physical = ASL_PQ_BYTE_ARRAY;
  else if (!strcmp(t, "date")) {
    c->physical = ASL_PQ_INT32;
    c->logical = ASL_PQ_L_DATE;
  } else if (!strcmp(t, "timestamp") || !strcmp(t, "timestamp_us")) {
    c->physical = ASL_PQ_INT64;
    c->logical = ASL_PQ_L_TIMESTAMP_US;
  } else if (!strcmp(t, "timestamp_ms")) {
    c->physical = ASL_PQ_INT64;
    c->logical = ASL_PQ_L_TIMESTAMP_MS;
  } else if (sscanf(t, "decimal(%d,%d)%n", &p, &s, &used) == 2 && !t[used]) {
    if (p < 1 || p > 38 || s < 0 || s > p)
      return "decimal(P,S) needs 1 <= P <= 38, 0 <= S <= P";
    c->logical = ASL_PQ_L_DECIMAL;
    c->precision = p;
    c->scale = s;
    if (p <= 9)
      c->physical = ASL_PQ_INT32;
    else if (p <= 18)
      c->physical = ASL_PQ_INT64;
    else {
      c->physical = ASL_PQ_FIXED_LEN_BYTE_ARRAY;
      /* bytes for 10^p - 1 in two's complement */
      double bits = p * 3.3219280948873623 + 1;
      c->type_length = (int)ceil(bits / 8);
      if (c->type_length > 16) c->type_length = 16;
    }
  } else if (sscanf(t, "fixed(%d)%n", &n, &used) == 1 && !t[used]) {
    if (n < 1 || n > 65536) return "fixed(N) needs 1 <= N <= 65536";
    c->physical = ASL_PQ_FIXED_LEN_BYTE_ARRAY;
    c->type_length = n;
  } else {
    return "unknown type (bool, int32, int64, float, double, string, binary, "
           "date, timestamp, timestamp_ms, decimal(P,S), fixed(N))";
  }
  return NULL;
}

int asl_pq_parse_schema(const char *spec, asl_pq_column **cols, size_t *ncols,
                        asl_error *e) {
  asl_pq_column *v = NULL;
  size_t n = 0;
  const char *p = spec;
  while (*p) {
    /* one item: up to a comma outside parentheses */
    const char *q = p;
    int depth = 0;
    while (*q && (depth || *q != ',')) {
      if (*q == '(') depth++;
      if (*q == ')') depth--;
      q++;
    }
    char *item = asl_strndup(p, (size_t)(q - p));
    char *shown = asl_strdup(item);
    char *colon = strrchr(item, ':');
    char *paren = strchr(item, '(');
    if (paren &&
        colon > paren) { /* a colon inside decimal(...)? find the first */
      colon = strchr(item, ':');
    }
    const char *why = NULL;
    v = asl_realloc(v, (n + 1) * sizeof *v);
    asl_pq_column *c = &v[n];
    memset(c, 0, sizeof *c);
    if (!colon || colon == item) {
      why = "expected name:type";
      c->name = NULL;
    } else {
      *colon = 0;
      char *t = colon + 1;
      while (*t == ' ')
        t++;
      size_t tl = strlen(t);
      while (tl && t[tl - 1] == ' ')
        t[--tl] = 0;
      c->nullable = 1;
      if (tl && t[tl - 1] == '!') {
        c->nullable = 0;
        t[--tl] = 0;
      }
      char *nm = item;
      while (*nm == ' ')
        nm++;
      c->name = asl_strdup(nm);
      why = parse_type(t, c);
    }
    n++;
    if (why) {
      asl_error_set(e, PQ_ERR, "schema item %zu '%s': %s", n, shown, why);
      free(item);
      free(shown);
      asl_pq_columns_free(v, n);
      return -1;
    }
    free(item);
    free(shown);
    p = *q ? q + 1 : q;
  }
  if (!n) {
    free(v);
    return asl_error_set(e, PQ_ERR, "empty schema");
  }
  *cols = v;
  *ncols = n;
  return 0;
}

/* Parses "[-]digits[.digits]" into an integer scaled to scale digits. */
static int parse_decimal_text(const char *s, int scale, int64_t *out) {
  int neg = 0, seen = 0, frac = -1;
  int64_t v = 0;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  for (; *s; s++) {
    if (*s == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    if (*s < '0' || *s > '9') return -1;
    if (frac >= 0) {
      if (frac == scale) {
        if (*s != '0') return -1; /* more digits than the scale */
        continue;
      }
      frac++;
    }
    if (__builtin_mul_overflow(v, (int64_t)10, &v) ||
        __builtin_add_overflow(v, (int64_t)(*s - '0'), &v))
      return -1;
    seen = 1;
  }
  if (!seen) return -1;
  for (int k = frac < 0 ? 0 : frac; k < scale; k++)
    if (__builtin_mul_overflow(v, (int64_t)10, &v)) return -1;
  *out = neg ? -v : v;
  return 0;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n) {
  int v = 0;
  for (int k = 0; k < n; k++) {
    if (s[k] < '0' || s[k] > '9') return -1;
    v = v * 10 + (s[k] - '0');
  }
  return v;
}

static int parse_date_text(const char *s, int64_t *days) {
  int y = digits(s, 4), m, d;
  if (y < 0 || s[4] != '-' || (m = digits(s + 5, 2)) < 0 || s[7] != '-' ||
      (d = digits(s + 8, 2)) < 0)
    return -1;
  if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
  *days = asl_pq_days_from_civil(y, (unsigned)m, (unsigned)d);
  int64_t yy;
  unsigned mm, dd;
  asl_pq_civil_from_days(*days, &yy, &mm, &dd);
  if (yy != y || (int)mm != m || (int)dd != d) return -1;
  return s[10] == 0 ? 0 : -1;
}

static int parse_ts_text(const char *s, int64_t *us) {
  int64_t days;
  char date[11];
  if (strlen(s) < 10) return -1;
  memcpy(date, s, 10);
  date[10] = 0;
  if (parse_date_text(date, &days) < 0) return -1;
  s += 10;
  int64_t sec = 0, frac = 0;
  if (*s == 'T' || *s == ' ') {
    int h = digits(s + 1, 2), mi = -1, se = -1;
    if (h >= 0 && s[3] == ':') mi = digits(s + 4, 2);
    if (mi >= 0 && s[6] == ':') se = digits(s + 7, 2);
    if (h < 0 || mi < 0 || se < 0 || h > 23 || mi > 59 || se > 60) return -1;
    sec = h * 3600 + mi * 60 + se;
    s += 9;
    if (*s == '.') {
      s++;
      int nd = 0;
      while (*s >= '0' && *s <= '9') {
        if (nd < 6)
          frac = frac * 10 + (*s - '0');
        else if (*s != '0')
          return -1; /* below a microsecond */
        nd++;
        s++;
      }
      if (!nd) return -1;
      for (; nd < 6; nd++)
        frac *= 10;
    }
    if (*s == 'Z')
      s++;
    else if (!strcmp(s, "+00:00"))
      s += 6;
  }
  if (*s) return -1;
  *us = (days * 86400 + sec) * 1000000 + frac;
  return 0;
}

int asl_pq_value_from_json(const asl_pq_column *c, const cJSON *j,
                           asl_pq_value *out, const char **why) {
  memset(out, 0, sizeof *out);
  if (!j || cJSON_IsNull(j)) return 0;
  int isnum = cJSON_IsNumber(j), isstr = cJSON_IsString(j);
  double d = isnum ? j->valuedouble : 0;
  switch (c->physical) {
  case ASL_PQ_BOOLEAN:
    if (!cJSON_IsBool(j)) return *why = "expects true or false", -1;
    out->kind = ASL_PQ_V_BOOL;
    out->b = cJSON_IsTrue(j);
    return 0;
  case ASL_PQ_FLOAT:
  case ASL_PQ_DOUBLE:
    out->kind = ASL_PQ_V_DOUBLE;
    if (isnum) {
      out->d = d;
      return 0;
    }
    if (isstr && !strcmp(j->valuestring, "NaN"))
      out->d = NAN;
    else if (isstr && !strcmp(j->valuestring, "Infinity"))
      out->d = INFINITY;
    else if (isstr && !strcmp(j->valuestring, "-Infinity"))
      out->d = -INFINITY;
    else
      return *why = "expects a number", -1;
    return 0;
  default:
    break;
  }
  if (c->logical == ASL_PQ_L_DECIMAL) {
    out->kind = ASL_PQ_V_DECIMAL;
    out->scale = c->scale;
    if (isstr) {
      if (parse_decimal_text(j->valuestring, c->scale, &out->i) < 0)
        return *why = "expects a decimal with at most the column's scale", -1;
      return 0;
    }
    if (!isnum) return *why = "expects a decimal (number or string)", -1;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", c->scale, d);
    if (!isfinite(d) || fabs(d) > 9e18 ||
        parse_decimal_text(tmp, c->scale, &out->i) < 0)
      return *why = "decimal out of range", -1;
    return 0;
  }
  if (c->logical == ASL_PQ_L_DATE) {
    out->kind = ASL_PQ_V_DATE;
    if (isstr && parse_date_text(j->valuestring, &out->i) == 0) return 0;
    if (isnum && d == floor(d) && fabs(d) < 1e9) {
      out->i = (int64_t)d;
      return 0;
    }
    return *why = "expects a date \"YYYY-MM-DD\"", -1;
  }
  if (c->logical == ASL_PQ_L_TIMESTAMP_MS ||
      c->logical == ASL_PQ_L_TIMESTAMP_US) {
    out->kind = ASL_PQ_V_TIMESTAMP;
    if (isstr && parse_ts_text(j->valuestring, &out->i) == 0) return 0;
    if (isnum && d == floor(d) && fabs(d) < 9e18) {
      out->i = (int64_t)d;
      return 0;
    }
    return *why = "expects a timestamp \"YYYY-MM-DDTHH:MM:SS[.ffffff]Z\"", -1;
  }
  if (c->physical == ASL_PQ_INT32 || c->physical == ASL_PQ_INT64) {
    out->kind = ASL_PQ_V_INT;
    if (isnum && d == floor(d) && fabs(d) <= 9007199254740992.0) {
      out->i = (int64_t)d;
      return 0;
    }
    if (isstr) {
      char *end;
      errno = 0;
      long long v = strtoll(j->valuestring, &end, 10);
      if (!errno && end != j->valuestring && !*end) {
        out->i = v;
        return 0;
      }
    }
    return *why = "expects an integer", -1;
  }
  if (!isstr) return *why = "expects a string", -1;
  out->kind = ASL_PQ_V_BYTES;
  out->s = j->valuestring;
  out->n = strlen(j->valuestring);
  return 0;
}

static void text_string(asl_buf *b, const char *s, size_t n, int json) {
  if (!json) {
    int quote = 0;
    for (size_t k = 0; k < n; k++)
      if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r') quote = 1;
    if (!quote) {
      asl_buf_add(b, s, n);
      return;
    }
    asl_buf_putc(b, '"');
    for (size_t k = 0; k < n; k++) {
      if (s[k] == '"') asl_buf_putc(b, '"');
      asl_buf_putc(b, s[k]);
    }
    asl_buf_putc(b, '"');
    return;
  }
  asl_buf_putc(b, '"');
  const unsigned char *u = (const unsigned char *)s;
  for (size_t k = 0; k < n; k++) {
    unsigned char ch = u[k];
    if (ch == '"' || ch == '\\') {
      asl_buf_putc(b, '\\');
      asl_buf_putc(b, (char)ch);
    } else if (ch == '\n')
      asl_buf_puts(b, "\\n");
    else if (ch == '\t')
      asl_buf_puts(b, "\\t");
    else if (ch == '\r')
      asl_buf_puts(b, "\\r");
    else if (ch < 0x20)
      asl_buf_printf(b, "\\u%04x", ch);
    else if (ch < 0x80)
      asl_buf_putc(b, (char)ch);
    else {
      /* valid UTF-8 goes through; other bytes as U+0080..U+00FF */
      size_t len = ch >= 0xf0 && ch < 0xf5   ? 4
                   : ch >= 0xe0              ? 3
                   : ch >= 0xc2 && ch < 0xe0 ? 2
                                             : 0;
      if (ch >= 0xf5) len = 0;
      int ok = len && k + len <= n;
      for (size_t j = 1; ok && j < len; j++)
        ok = (u[k + j] & 0xc0) == 0x80;
      if (ok) {
        asl_buf_add(b, s + k, len);
        k += len - 1;
      } else {
        asl_buf_printf(b, "\\u%04x", ch);
      }
    }
  }
  asl_buf_putc(b, '"');
}

void asl_pq_value_text(asl_buf *b, const asl_pq_value *v, int json) {
  char tmp[64];
  int64_t y;
  unsigned m, d;
  switch (v->kind) {
  case ASL_PQ_V_NULL:
    if (json) asl_buf_puts(b, "null");
    return;
  case ASL_PQ_V_BOOL:
    asl_buf_puts(b, v->b ? "true" : "false");
    return;
  case ASL_PQ_V_INT:
    asl_buf_printf(b, "%lld", (long long)v->i);
    return;
  case ASL_PQ_V_DOUBLE:
    if (isnan(v->d)) {
      asl_buf_puts(b, json ? "\"NaN\"" : "NaN");
      return;
    }
    if (isinf(v->d)) {
      asl_buf_puts(b, v->d > 0 ? (json ? "\"Infinity\"" : "Infinity")
                               : (json ? "\"-Infinity\"" : "-Infinity"));
      return;
    }
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(tmp, sizeof tmp, "%.*g", prec, v->d);
      if (strtod(tmp, NULL) == v->d) break;
    }
    asl_buf_puts(b, tmp);
    return;
  case ASL_PQ_V_BYTES:
    text_string(b, v->s, v->n, json);
    return;
  case ASL_PQ_V_DATE:
    asl_pq_civil_from_days(v->i, &y, &m, &d);
    asl_buf_printf(b, json ? "\"%04lld-%02u-%02u\"" : "%04lld-%02u-%02u",
                   (long long)y, m, d);
    return;
  case ASL_PQ_V_TIMESTAMP: {
    int64_t days = v->i / 86400000000LL, rem = v->i % 86400000000LL;
    if (rem < 0) {
      rem += 86400000000LL;
      days--;
    }
    asl_pq_civil_from_days(days, &y, &m, &d);
    int64_t s = rem / 1000000, us = rem % 1000000;
    if (json) asl_buf_putc(b, '"');
    asl_buf_printf(b, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
                   (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (us % 1000 == 0)
      asl_buf_printf(b, ".%03dZ", (int)(us / 1000));
    else
      asl_buf_printf(b, ".%06dZ", (int)us);
    if (json) asl_buf_putc(b, '"');
    return;
  }
  case ASL_PQ_V_DECIMAL: {
    uint64_t mag = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    int sc = v->scale < 0 ? 0 : v->scale > 38 ? 38 : v->scale;
    if (v->i < 0) asl_buf_putc(b, '-');
    if (nd <= sc) {
      asl_buf_puts(b, "0.");
      for (int k = nd; k < sc; k++)
        asl_buf_putc(b, '0');
      asl_buf_add(b, digits, (size_t)nd);
    } else {
      asl_buf_add(b, digits, (size_t)(nd - sc));
      if (sc) {
        asl_buf_putc(b, '.');
        asl_buf_add(b, digits + nd - sc, (size_t)sc);
      }
    }
    return;
  }
  }
}
