/* sql_fn.c: the Trino functions SQLite lacks (or has with other semantics),
 * registered on each connection, and the printing of values as Athena
 * prints them.
 *
 * Dates are TEXT "YYYY-MM-DD", timestamps TEXT "YYYY-MM-DD HH:MM:SS.fff",
 * booleans 0/1 (printed true/false from the column's type). The session
 * time zone is UTC, as Athena's. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sql_int.h"

/* ---- calendar (Howard Hinnant's days_from_civil) ---- */
long long sql_days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void sql_civil_from_days(long long z, int *y, int *m, int *d) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long yy = yoe + era * 400;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yy + (*m <= 2));
}

static int mdays(int y, int m) {
  static const int t[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return t[m - 1];
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int sql_parse_ts(const char *s, int date_only, long long *ms, int *has_time) {
  int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
  if (!s || strlen(s) < 10) return -1;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
      digits(s + 8, 2, &d))
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo)) return -1;
  const char *p = s + 10;
  int ht = 0;
  if (*p) {
    if (date_only || (*p != ' ' && *p != 'T')) return -1;
    p++;
    if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi)) return -1;
    p += 5;
    if (*p == ':') {
      if (digits(p + 1, 2, &se)) return -1;
      p += 3;
      if (*p == '.') {
        p++;
        int nd = 0;
        while (isdigit((unsigned char)*p)) {
          if (nd < 3) frac = frac * 10 + (*p - '0');
          nd++;
          p++;
        }
        if (!nd) return -1;
        for (; nd < 3; nd++)
          frac *= 10;
      }
    }
    if (*p == 'Z') p++;
    if (*p || h > 23 || mi > 59 || se > 59) return -1;
    ht = 1;
  }
  *ms =
      (sql_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se) *
          1000LL +
      frac;
  if (has_time) *has_time = ht;
  return 0;
}

static long long floordiv(long long a, long long b) {
  long long q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

void sql_fmt_date(long long ms, char buf[16]) {
  int y, m, d;
  sql_civil_from_days(floordiv(ms, 86400000LL), &y, &m, &d);
  snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
}

void sql_fmt_ts(long long ms, char buf[32]) {
  long long days = floordiv(ms, 86400000LL);
  long long rest = ms - days * 86400000LL;
  int y, m, d;
  sql_civil_from_days(days, &y, &m, &d);
  snprintf(buf, 32, "%04d-%02d-%02d %02d:%02d:%02d.%03d", y, m, d,
           (int)(rest / 3600000), (int)(rest / 60000 % 60),
           (int)(rest / 1000 % 60), (int)(rest % 1000));
}

/* ---- number printing: Java's Double.toString / Float.toString ---- */
void sql_fmt_double(double v, int is_float, char buf[40]) {
  if (isnan(v)) {
    strcpy(buf, "NaN");
    return;
  }
  if (isinf(v)) {
    strcpy(buf, v > 0 ? "Infinity" : "-Infinity");
    return;
  }
  if (v == 0) {
    strcpy(buf, signbit(v) ? "-0.0" : "0.0");
    return;
  }
  /* the shortest digits that read back to the same value */
  char e[40];
  int maxp = is_float ? 9 : 17;
  for (int p = 1; p <= maxp; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    double back = strtod(e, NULL);
    if (is_float ? (float)back == (float)v : back == v) break;
  }
  /* e is "[-]d[.ddd]e[+-]XX": pull the digits and the exponent */
  int neg = e[0] == '-';
  char dig[24];
  int nd = 0;
  const char *q = e + neg;
  for (; *q && *q != 'e'; q++)
    if (isdigit((unsigned char)*q)) dig[nd++] = *q;
  int ex = atoi(q + 1);
  while (nd > 1 && dig[nd - 1] == '0')
    nd--;
  dig[nd] = 0;
  char *o = buf;
  if (neg) *o++ = '-';
  double a = fabs(v);
  if (a >= 1e-3 && a < 1e7) {
    if (ex >= 0) {
      for (int i = 0; i <= ex; i++)
        *o++ = i < nd ? dig[i] : '0';
      *o++ = '.';
      if (nd > ex + 1)
        for (int i = ex + 1; i < nd; i++)
          *o++ = dig[i];
      else
        *o++ = '0';
    } else {
      *o++ = '0';
      *o++ = '.';
      for (int i = 0; i < -ex - 1; i++)
        *o++ = '0';
      for (int i = 0; i < nd; i++)
        *o++ = dig[i];
    }
    *o = 0;
  } else {
    *o++ = dig[0];
    *o++ = '.';
    if (nd > 1)
      for (int i = 1; i < nd; i++)
        *o++ = dig[i];
    else
      *o++ = '0';
    sprintf(o, "E%d", ex);
  }
}

static int type_is(const char *t, const char *prefix) {
  return t && strncmp(t, prefix, strlen(prefix)) == 0;
}

static int is_int_type(const char *t) {
  return t &&
         (!strcmp(t, "bigint") || !strcmp(t, "integer") || !strcmp(t, "int") ||
          !strcmp(t, "smallint") || !strcmp(t, "tinyint"));
}

char *sql_fmt_value(sqlite3_value *v, const char *type) {
  int st = sqlite3_value_type(v);
  char buf[64];
  if (st == SQLITE_NULL) return NULL;
  if (type && !strcmp(type, "boolean") &&
      (st == SQLITE_INTEGER || st == SQLITE_FLOAT))
    return asl_strdup(sqlite3_value_double(v) != 0 ? "true" : "false");
  if (type_is(type, "decimal") && st != SQLITE_TEXT) {
    const char *c = strchr(type, ',');
    int scale = c ? atoi(c + 1) : 0;
    snprintf(buf, sizeof buf, "%.*f", scale, sqlite3_value_double(v));
    return asl_strdup(buf);
  }
  if (st == SQLITE_INTEGER) {
    if (type && (!strcmp(type, "double") || !strcmp(type, "float") ||
                 !strcmp(type, "real"))) {
      sql_fmt_double((double)sqlite3_value_int64(v), strcmp(type, "double"),
                     buf);
      return asl_strdup(buf);
    }
    asl_fmt_ll(buf, sqlite3_value_int64(v));
    return asl_strdup(buf);
  }
  if (st == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (is_int_type(type) && d == floor(d) && fabs(d) < 9.2e18) {
      asl_fmt_ll(buf, (long long)d);
      return asl_strdup(buf);
    }
    sql_fmt_double(d, type && (!strcmp(type, "float") || !strcmp(type, "real")),
                   buf);
    return asl_strdup(buf);
  }
  if (st == SQLITE_BLOB) {
    int n = sqlite3_value_bytes(v);
    const unsigned char *b = sqlite3_value_blob(v);
    char *r = asl_malloc((size_t)n * 3 + 1);
    r[0] = 0;
    for (int i = 0; i < n; i++)
      sprintf(r + i * 3, i ? " %02x" : "%02x", b[i]);
    return r;
  }
  return asl_strdup((const char *)sqlite3_value_text(v));
}

/* ---- types ---- */
int sql_type_known(const char *t) {
  static const char *const simple[] = {
      "boolean", "tinyint", "smallint", "int",    "integer",   "bigint",
      "double",  "float",   "real",     "date",   "timestamp", "string",
      "varchar", "char",    "binary",   "decimal"};
  if (!t) return 0;
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (!strcmp(t, simple[i])) return 1;
  if (type_is(t, "decimal(") || type_is(t, "varchar(") || type_is(t, "char("))
    return t[strlen(t) - 1] == ')';
  if (type_is(t, "array<") || type_is(t, "map<") || type_is(t, "struct<"))
    return t[strlen(t) - 1] == '>';
  return 0;
}

const char *sql_result_type(const char *decl, char buf[64]) {
  if (!decl) return "varchar";
  if (!strcmp(decl, "string") || type_is(decl, "array<") ||
      type_is(decl, "map<") || type_is(decl, "struct<"))
    return "varchar";
  if (!strcmp(decl, "int")) return "integer";
  if (!strcmp(decl, "decimal")) return "decimal(10,0)";
  if (!strcmp(decl, "binary")) return "varbinary";
  snprintf(buf, 64, "%s", decl);
  return buf;
}

/* ---- helpers for the functions ---- */
static const char *arg_text(sqlite3_value *v) {
  return (const char *)sqlite3_value_text(v);
}

static int any_null(int argc, sqlite3_value **argv) {
  for (int i = 0; i < argc; i++)
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return 1;
  return 0;
}

static void result_err(sqlite3_context *c, const char *fmt, ...)
    ASL_PRINTF(2, 3);
static void result_err(sqlite3_context *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = asl_vsprintf(fmt, ap);
  va_end(ap);
  sqlite3_result_error(c, m, -1);
  free(m);
}

/* A value as a point in time: dates and timestamps as text. */
static int arg_ts(sqlite3_context *c, sqlite3_value *v, long long *ms,
                  int *has_time) {
  const char *s = arg_text(v);
  if (sql_parse_ts(s, 0, ms, has_time) == 0) return 0;
  result_err(c,
             "INVALID_FUNCTION_ARGUMENT: Value cannot be cast to "
             "timestamp: %s",
             s ? s : "");
  return -1;
}

/* ---- date functions ---- */
static void fn_date(sqlite3_context *c, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  long long ms;
  const char *s = arg_text(argv[0]);
  if (sql_parse_ts(s, 0, &ms, NULL) < 0) {
    result_err(c, "INVALID_CAST_ARGUMENT: Value cannot be cast to date: %s", s);
    return;
  }
  char b[16];
  sql_fmt_date(ms, b);
  sqlite3_result_text(c, b, -1, SQLITE_TRANSIENT);
}

static void fn_current_date(sqlite3_context *c, int argc,
                            sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  char b[16];
  sql_fmt_date((long long)time(NULL) * 1000LL, b);
  sqlite3_result_text(c, b, -1, SQLITE_TRANSIENT);
}

static void fn_now(sqlite3_context *c, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char b[32];
  sql_fmt_ts((long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000, b);
  sqlite3_result_text(c, b, -1, SQLITE_TRANSIENT);
}

static int unit_ms(const char *u, long long *ms, int *months) {
  *ms = 0;
  *months = 0;
  if (!u) return -1;
  if (!strcasecmp(u, "millisecond"))
    *ms = 1;
  else if (!strcasecmp(u, "second"))
    *ms = 1000;
  else if (!strcasecmp(u, "minute"))
    *ms = 60000;
  else if (!strcasecmp(u, "hour"))
    *ms = 3600000;
  else if (!strcasecmp(u, "day"))
    *ms = 86400000;
  else if (!strcasecmp(u, "week"))
    *ms = 7 * 86400000LL;
  else if (!strcasecmp(u, "month"))
    *months = 1;
  else if (!strcasecmp(u, "quarter"))
    *months = 3;
  else if (!strcasecmp(u, "year"))
    *months = 12;
  else
    return -1;
  return 0;
}

static long long add_months(long long ms, long long n) {
  long long days = floordiv(ms, 86400000LL), rest = ms - days * 86400000LL;
  int y, m, d;
  sql_civil_from_days(days, &y, &m, &d);
  long long t = (long long)y * 12 + (m - 1) + n;
  y = (int)floordiv(t, 12);
  m = (int)(t - (long long)y * 12) + 1;
  if (d > mdays(y, m)) d = mdays(y, m);
  return sql_days_from_civil(y, m, d) * 86400000LL + rest;
}

static void result_point(sqlite3_context *c, long long ms, int has_time) {
  char b[32];
  if (has_time)
    sql_fmt_ts(ms, b);
  else
    sql_fmt_date(ms, b);
  sqlite3_result_text(c, b, -1, SQLITE_TRANSIENT);
}

static void fn_date_add(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ums, ms;
  int months, ht;
  if (unit_ms(arg_text(argv[0]), &ums, &months) < 0) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: '%s' is not a valid DATE field",
               arg_text(argv[0]));
    return;
  }
  if (arg_ts(c, argv[2], &ms, &ht) < 0) return;
  long long n = sqlite3_value_int64(argv[1]);
  if (!ht && ums && ums < 86400000) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: '%s' is not a valid DATE field",
               arg_text(argv[0]));
    return;
  }
  ms = months ? add_months(ms, n * months) : ms + n * ums;
  result_point(c, ms, ht);
}

/* x + INTERVAL 'n' unit (sign 1) or x - INTERVAL 'n' unit (sign -1) */
static void fn_add_interval(sqlite3_context *c, int argc,
                            sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ums, ms, n;
  int months, ht;
  const char *nt = arg_text(argv[1]), *u = arg_text(argv[2]);
  char *e;
  errno = 0;
  n = strtoll(nt, &e, 10);
  while (*e == ' ')
    e++;
  if (e == nt || *e || errno) {
    result_err(c, "INVALID_LITERAL: '%s' is not a valid interval literal", nt);
    return;
  }
  if (unit_ms(u, &ums, &months) < 0 || (ums && ums == 7 * 86400000LL)) {
    result_err(c, "INVALID_LITERAL: '%s' is not a valid interval unit", u);
    return;
  }
  if (arg_ts(c, argv[0], &ms, &ht) < 0) return;
  n *= sqlite3_value_int64(argv[3]);
  if (ums && ums < 86400000) ht = 1; /* a date plus hours is a timestamp */
  ms = months ? add_months(ms, n * months) : ms + n * ums;
  result_point(c, ms, ht);
}

/* One field of the instant ms (UTC, milliseconds since the epoch), for
 * extract() and the year()/month()/... functions. part: 'y' year, 'm'
 * month, 'd' day, 'q' quarter, 'w' ISO day of week (Monday 1), 'j' day of
 * year, 'H' hour, 'M' minute, 'S' second. */
static long long time_part(char part, long long ms) {
  long long days = floordiv(ms, 86400000LL), rest = ms - days * 86400000LL;
  int y, m, d;
  sql_civil_from_days(days, &y, &m, &d);
  long long r = 0;
  switch (part) {
  case 'y':
    r = y;
    break;
  case 'm':
    r = m;
    break;
  case 'd':
    r = d;
    break;
  case 'q':
    r = (m - 1) / 3 + 1;
    break;
  case 'w':
    r = ((days % 7) + 7 + 3) % 7 + 1;
    break;
  case 'j':
    r = days - sql_days_from_civil(y, 1, 1) + 1;
    break;
  case 'H':
    r = rest / 3600000;
    break;
  case 'M':
    r = rest / 60000 % 60;
    break;
  case 'S':
    r = rest / 1000 % 60;
    break;
  }
  return r;
}

static void fn_extract(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  static const char *const f[][2] = {
      {"year", "y"},         {"month", "m"},       {"day", "d"},
      {"day_of_month", "d"}, {"quarter", "q"},     {"day_of_week", "w"},
      {"dow", "w"},          {"day_of_year", "j"}, {"doy", "j"},
      {"hour", "H"},         {"minute", "M"},      {"second", "S"}};
  const char *field = arg_text(argv[0]);
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    if (strcasecmp(field, f[i][0]) != 0) continue;
    long long ms;
    if (arg_ts(c, argv[1], &ms, NULL) < 0) return;
    sqlite3_result_int64(c, time_part(f[i][1][0], ms));
    return;
  }
  result_err(c, "INVALID_FUNCTION_ARGUMENT: Invalid EXTRACT field: %s", field);
}

static void fn_date_diff(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ums, a, b;
  int months;
  if (unit_ms(arg_text(argv[0]), &ums, &months) < 0) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: '%s' is not a valid DATE field",
               arg_text(argv[0]));
    return;
  }
  if (arg_ts(c, argv[1], &a, NULL) < 0 || arg_ts(c, argv[2], &b, NULL) < 0)
    return;
  if (!months) {
    long long d = b - a;
    sqlite3_result_int64(c, d / ums);
    return;
  }
  int y1, m1, d1, y2, m2, d2;
  long long da = floordiv(a, 86400000LL), db = floordiv(b, 86400000LL);
  sql_civil_from_days(da, &y1, &m1, &d1);
  sql_civil_from_days(db, &y2, &m2, &d2);
  long long n = ((long long)y2 - y1) * 12 + (m2 - m1);
  long long ra = a - da * 86400000LL, rb = b - db * 86400000LL;
  if (n > 0 && (d2 < d1 || (d2 == d1 && rb < ra))) n--;
  if (n < 0 && (d2 > d1 || (d2 == d1 && rb > ra))) n++;
  sqlite3_result_int64(c, n / months);
}

static void fn_date_trunc(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ums, ms;
  int months, ht;
  if (unit_ms(arg_text(argv[0]), &ums, &months) < 0) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: '%s' is not a valid Time field",
               arg_text(argv[0]));
    return;
  }
  if (arg_ts(c, argv[1], &ms, &ht) < 0) return;
  long long days = floordiv(ms, 86400000LL);
  if (months) {
    int y, m, d;
    sql_civil_from_days(days, &y, &m, &d);
    if (months == 12)
      m = 1;
    else if (months == 3)
      m = (m - 1) / 3 * 3 + 1;
    ms = sql_days_from_civil(y, m, 1) * 86400000LL;
  } else if (ums == 7 * 86400000LL) {
    long long wd = ((days % 7) + 7 + 3) % 7; /* 0 = Monday */
    ms = (days - wd) * 86400000LL;
  } else {
    ms = floordiv(ms, ums) * ums;
  }
  result_point(c, ms, ht);
}

/* year(), month(), ...: the function's user data is time_part's part. */
static void fn_part(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ms;
  if (arg_ts(c, argv[0], &ms, NULL) < 0) return;
  char part = *(const char *)sqlite3_user_data(c);
  sqlite3_result_int64(c, time_part(part, ms));
}

static const char *const MONTHS[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const WDAYS[] = {"Monday",   "Tuesday", "Wednesday",
                                    "Thursday", "Friday",  "Saturday",
                                    "Sunday"};

/* MySQL-style format, as Trino's date_format */
static void fn_date_format(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ms;
  if (arg_ts(c, argv[0], &ms, NULL) < 0) return;
  const char *f = arg_text(argv[1]);
  long long days = floordiv(ms, 86400000LL), rest = ms - days * 86400000LL;
  int y, m, d;
  sql_civil_from_days(days, &y, &m, &d);
  int H = (int)(rest / 3600000), M = (int)(rest / 60000 % 60),
      S = (int)(rest / 1000 % 60), F = (int)(rest % 1000);
  int wd = (int)(((days % 7) + 7 + 3) % 7);
  int h12 = H % 12 ? H % 12 : 12;
  asl_buf b = {0};
  for (; *f; f++) {
    if (*f != '%' || !f[1]) {
      asl_buf_putc(&b, *f);
      continue;
    }
    f++;
    switch (*f) {
    case 'Y':
      asl_buf_printf(&b, "%04d", y);
      break;
    case 'y':
      asl_buf_printf(&b, "%02d", y % 100);
      break;
    case 'm':
      asl_buf_printf(&b, "%02d", m);
      break;
    case 'c':
      asl_buf_printf(&b, "%d", m);
      break;
    case 'd':
      asl_buf_printf(&b, "%02d", d);
      break;
    case 'e':
      asl_buf_printf(&b, "%d", d);
      break;
    case 'H':
      asl_buf_printf(&b, "%02d", H);
      break;
    case 'k':
      asl_buf_printf(&b, "%d", H);
      break;
    case 'h':
    case 'I':
      asl_buf_printf(&b, "%02d", h12);
      break;
    case 'l':
      asl_buf_printf(&b, "%d", h12);
      break;
    case 'i':
      asl_buf_printf(&b, "%02d", M);
      break;
    case 's':
    case 'S':
      asl_buf_printf(&b, "%02d", S);
      break;
    case 'f':
      asl_buf_printf(&b, "%06d", F * 1000);
      break;
    case 'p':
      asl_buf_puts(&b, H < 12 ? "AM" : "PM");
      break;
    case 'M':
      asl_buf_puts(&b, MONTHS[m - 1]);
      break;
    case 'b':
      asl_buf_add(&b, MONTHS[m - 1], 3);
      break;
    case 'W':
      asl_buf_puts(&b, WDAYS[wd]);
      break;
    case 'a':
      asl_buf_add(&b, WDAYS[wd], 3);
      break;
    case 'j':
      asl_buf_printf(&b, "%03lld", days - sql_days_from_civil(y, 1, 1) + 1);
      break;
    case 'T':
      asl_buf_printf(&b, "%02d:%02d:%02d", H, M, S);
      break;
    case 'r':
      asl_buf_printf(&b, "%02d:%02d:%02d %s", h12, M, S, H < 12 ? "AM" : "PM");
      break;
    default:
      asl_buf_putc(&b, *f);
      break;
    }
  }
  char *r = asl_buf_take(&b);
  sqlite3_result_text(c, r, -1, free);
}

static int take_num(const char **s, int maxd, int *out) {
  int v = 0, n = 0;
  while (n < maxd && isdigit((unsigned char)**s)) {
    v = v * 10 + (**s - '0');
    (*s)++;
    n++;
  }
  *out = v;
  return n ? 0 : -1;
}

static void fn_date_parse(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]), *f = arg_text(argv[1]), *s0 = s;
  int y = 1970, m = 1, d = 1, H = 0, M = 0, S = 0, F = 0, pm = -1, ok = 1;
  for (; *f && ok; f++) {
    if (*f != '%' || !f[1]) {
      if (*s != *f)
        ok = 0;
      else
        s++;
      continue;
    }
    f++;
    switch (*f) {
    case 'Y':
      ok = !take_num(&s, 4, &y);
      break;
    case 'y':
      ok = !take_num(&s, 2, &y);
      y += y < 70 ? 2000 : 1900;
      break;
    case 'm':
    case 'c':
      ok = !take_num(&s, 2, &m);
      break;
    case 'd':
    case 'e':
      ok = !take_num(&s, 2, &d);
      break;
    case 'H':
    case 'k':
    case 'h':
    case 'I':
    case 'l':
      ok = !take_num(&s, 2, &H);
      break;
    case 'i':
      ok = !take_num(&s, 2, &M);
      break;
    case 's':
    case 'S':
      ok = !take_num(&s, 2, &S);
      break;
    case 'f': {
      int n = 0;
      F = 0;
      while (isdigit((unsigned char)*s)) {
        if (n < 3) F = F * 10 + (*s - '0');
        n++;
        s++;
      }
      for (; n < 3; n++)
        F *= 10;
      break;
    }
    case 'p':
      if (!strncasecmp(s, "AM", 2))
        pm = 0;
      else if (!strncasecmp(s, "PM", 2))
        pm = 1;
      else
        ok = 0;
      s += ok ? 2 : 0;
      break;
    case 'T':
      ok = !take_num(&s, 2, &H) && *s++ == ':' && !take_num(&s, 2, &M) &&
           *s++ == ':' && !take_num(&s, 2, &S);
      break;
    default:
      if (*s == *f)
        s++;
      else
        ok = 0;
    }
  }
  if (pm == 1 && H < 12) H += 12;
  if (pm == 0 && H == 12) H = 0;
  if (!ok || *s || m < 1 || m > 12 || d < 1 || d > mdays(y, m) || H > 23 ||
      M > 59 || S > 59) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: Invalid format: \"%s\"", s0);
    return;
  }
  long long ms =
      (sql_days_from_civil(y, m, d) * 86400LL + H * 3600 + M * 60 + S) * 1000 +
      F;
  result_point(c, ms, 1);
}

static void fn_from_iso8601_date(sqlite3_context *c, int argc,
                                 sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ms;
  const char *s = arg_text(argv[0]);
  if (sql_parse_ts(s, 1, &ms, NULL) < 0) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: Invalid format: \"%s\"", s);
    return;
  }
  result_point(c, ms, 0);
}

static void fn_from_iso8601_ts(sqlite3_context *c, int argc,
                               sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ms;
  const char *s = arg_text(argv[0]);
  if (sql_parse_ts(s, 0, &ms, NULL) < 0) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: Invalid format: \"%s\"", s);
    return;
  }
  result_point(c, ms, 1);
}

static void fn_from_unixtime(sqlite3_context *c, int argc,
                             sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  result_point(c, (long long)llround(sqlite3_value_double(argv[0]) * 1000.0),
               1);
}

static void fn_to_unixtime(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long ms;
  if (arg_ts(c, argv[0], &ms, NULL) < 0) return;
  sqlite3_result_double(c, (double)ms / 1000.0);
}

/* ---- strings (lengths and positions in code points) ---- */
static size_t u8_advance(const char *s, size_t n, size_t cps) {
  size_t i = 0;
  while (i < n && cps) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
      i++;
    cps--;
  }
  return i;
}

static long long u8_len(const char *s, size_t n) {
  long long k = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) k++;
  return k;
}

static void fn_concat(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  asl_buf b = {0};
  for (int i = 0; i < argc; i++) {
    const char *s = arg_text(argv[i]);
    asl_buf_add(&b, s, (size_t)sqlite3_value_bytes(argv[i]));
  }
  size_t n = b.len;
  char *r = asl_buf_take(&b);
  sqlite3_result_text(c, r, (int)n, free);
}

static void fn_substr(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]);
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  long long len = u8_len(s, n);
  long long start = sqlite3_value_int64(argv[1]);
  long long cnt = argc > 2 ? sqlite3_value_int64(argv[2]) : len;
  if (start == 0 || cnt <= 0 || start > len || -start > len) {
    sqlite3_result_text(c, "", 0, SQLITE_STATIC);
    return;
  }
  if (start < 0) start = len + start + 1;
  if (cnt > len - start + 1) cnt = len - start + 1;
  size_t a = u8_advance(s, n, (size_t)(start - 1));
  size_t b = a + u8_advance(s + a, n - a, (size_t)cnt);
  sqlite3_result_text(c, s + a, (int)(b - a), SQLITE_TRANSIENT);
}

static void fn_strpos(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]), *t = arg_text(argv[1]);
  const char *h = strstr(s, t);
  sqlite3_result_int64(c, h ? u8_len(s, (size_t)(h - s)) + 1 : 0);
}

static void fn_length(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]);
  sqlite3_result_int64(c, u8_len(s, (size_t)sqlite3_value_bytes(argv[0])));
}

static void fn_replace2(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]), *f = arg_text(argv[1]);
  size_t fl = strlen(f);
  if (!fl) {
    sqlite3_result_value(c, argv[0]);
    return;
  }
  asl_buf b = {0};
  asl_buf_puts(&b, "");
  for (const char *h; (h = strstr(s, f)); s = h + fl)
    asl_buf_add(&b, s, (size_t)(h - s));
  asl_buf_puts(&b, s);
  size_t n = b.len;
  sqlite3_result_text(c, asl_buf_take(&b), (int)n, free);
}

static void fn_split_part(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]), *dl = arg_text(argv[1]);
  long long idx = sqlite3_value_int64(argv[2]);
  if (idx <= 0) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: Index must be greater than zero");
    return;
  }
  size_t dn = strlen(dl);
  if (!dn) {
    if (idx == 1) sqlite3_result_value(c, argv[0]);
    return;
  }
  for (long long i = 1;; i++) {
    const char *h = strstr(s, dl);
    if (i == idx) {
      sqlite3_result_text(c, s, h ? (int)(h - s) : -1, SQLITE_TRANSIENT);
      return;
    }
    if (!h) return; /* NULL: past the last part */
    s = h + dn;
  }
}

static void fn_pad(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  int left = *(const char *)sqlite3_user_data(c) == 'l';
  const char *s = arg_text(argv[0]), *p = arg_text(argv[2]);
  long long size = sqlite3_value_int64(argv[1]);
  size_t sn = strlen(s), pn = strlen(p);
  long long len = u8_len(s, sn);
  if (size < 0 || size > 1000000 || !pn) {
    result_err(c, "INVALID_FUNCTION_ARGUMENT: Target length must be in the "
                  "range [0..1000000] and the padding string not empty");
    return;
  }
  if (len >= size) {
    sqlite3_result_text(c, s, (int)u8_advance(s, sn, (size_t)size),
                        SQLITE_TRANSIENT);
    return;
  }
  asl_buf pad = {0};
  asl_buf_puts(&pad, "");
  long long plen = u8_len(p, pn);
  for (long long need = size - len; need > 0;) {
    long long take = need < plen ? need : plen;
    asl_buf_add(&pad, p, u8_advance(p, pn, (size_t)take));
    need -= take;
  }
  char *r =
      left ? asl_sprintf("%s%s", pad.s, s) : asl_sprintf("%s%s", s, pad.s);
  asl_buf_free(&pad);
  sqlite3_result_text(c, r, -1, free);
}

static void fn_starts_with(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]), *p = arg_text(argv[1]);
  sqlite3_result_int(c, strncmp(s, p, strlen(p)) == 0);
}

static void fn_reverse(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  const char *s = arg_text(argv[0]);
  size_t n = strlen(s);
  char *r = asl_malloc(n + 1);
  size_t o = n;
  for (size_t i = 0; i < n;) {
    size_t k = u8_advance(s + i, n - i, 1);
    o -= k;
    memcpy(r + o, s + i, k);
    i += k;
  }
  r[n] = 0;
  sqlite3_result_text(c, r, (int)n, free);
}

/* ---- regular expressions (PCRE2; the compiled pattern is cached on the
 * statement with sqlite3_set_auxdata) ---- */
static void re_free(void *p) { pcre2_code_free((pcre2_code *)p); }

static pcre2_code *re_get(sqlite3_context *c, sqlite3_value **argv, int i) {
  pcre2_code *re = sqlite3_get_auxdata(c, i);
  if (re) return re;
  const char *pat = arg_text(argv[i]);
  int ec;
  PCRE2_SIZE eo;
  re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec,
                     &eo, NULL);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    result_err(c, "INVALID_FUNCTION_ARGUMENT: %s at offset %zu of '%s'",
               (char *)msg, (size_t)eo, pat);
    return NULL;
  }
  sqlite3_set_auxdata(c, i, re, re_free);
  return sqlite3_get_auxdata(c, i);
}

static void fn_regexp_like(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  pcre2_code *re = re_get(c, argv, 1);
  if (!re) return;
  const char *s = arg_text(argv[0]);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
  pcre2_match_data_free(md);
  sqlite3_result_int(c, rc >= 0);
}

static void fn_regexp_extract(sqlite3_context *c, int argc,
                              sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  pcre2_code *re = re_get(c, argv, 1);
  if (!re) return;
  const char *s = arg_text(argv[0]);
  long long g = argc > 2 ? sqlite3_value_int64(argv[2]) : 0;
  uint32_t ng = 0;
  pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ng);
  if (g < 0 || g > (long long)ng) {
    result_err(c,
               "INVALID_FUNCTION_ARGUMENT: Pattern has %u groups. Cannot "
               "access group %lld",
               ng, g);
    return;
  }
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
  if (rc >= 0) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * g] != PCRE2_UNSET)
      sqlite3_result_text(c, s + ov[2 * g], (int)(ov[2 * g + 1] - ov[2 * g]),
                          SQLITE_TRANSIENT);
  }
  pcre2_match_data_free(md);
}

static void fn_regexp_replace(sqlite3_context *c, int argc,
                              sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  pcre2_code *re = re_get(c, argv, 1);
  if (!re) return;
  const char *s = arg_text(argv[0]);
  const char *rep = argc > 2 ? arg_text(argv[2]) : "";
  PCRE2_SIZE cap = strlen(s) * 2 + strlen(rep) + 64;
  for (int tries = 0; tries < 8; tries++) {
    PCRE2_UCHAR *out = asl_malloc(cap);
    PCRE2_SIZE olen = cap;
    int rc = pcre2_substitute(
        re, (PCRE2_SPTR)s, strlen(s), 0,
        PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, NULL, NULL,
        (PCRE2_SPTR)rep, strlen(rep), out, &olen);
    if (rc == PCRE2_ERROR_NOMEMORY) {
      free(out);
      cap = olen + 1;
      continue;
    }
    if (rc < 0) {
      free(out);
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      result_err(c, "INVALID_FUNCTION_ARGUMENT: %s", (char *)msg);
      return;
    }
    sqlite3_result_text(c, (char *)out, (int)olen, free);
    return;
  }
  result_err(c, "INVALID_FUNCTION_ARGUMENT: regexp_replace result too large");
}

/* ---- math and conditionals ---- */
static void fn_round(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  long long d = argc > 1 ? sqlite3_value_int64(argv[1]) : 0;
  if (sqlite3_value_numeric_type(argv[0]) == SQLITE_INTEGER && d >= 0) {
    sqlite3_result_int64(c, sqlite3_value_int64(argv[0]));
    return;
  }
  double x = sqlite3_value_double(argv[0]);
  if (d > 300 || d < -300) {
    sqlite3_result_double(c, x);
    return;
  }
  double f = pow(10.0, (double)d);
  double r = round(x * f) / f;
  if (!isfinite(r)) r = x;
  sqlite3_result_double(c, r);
}

static void fn_floor_ceil(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  int up = *(const char *)sqlite3_user_data(c) == 'c';
  if (sqlite3_value_numeric_type(argv[0]) == SQLITE_INTEGER) {
    sqlite3_result_int64(c, sqlite3_value_int64(argv[0]));
    return;
  }
  double x = sqlite3_value_double(argv[0]);
  sqlite3_result_double(c, up ? ceil(x) : floor(x));
}

static void fn_math1(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  char k = *(const char *)sqlite3_user_data(c);
  double x = sqlite3_value_double(argv[0]), r = 0;
  switch (k) {
  case 's':
    r = sqrt(x);
    break;
  case 'l':
    r = log(x);
    break;
  case 'g':
    r = log10(x);
    break;
  case 'e':
    r = exp(x);
    break;
  case 'p':
    r = pow(x, sqlite3_value_double(argv[1]));
    break;
  }
  sqlite3_result_double(c, r);
}

static void fn_mod(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  if (sqlite3_value_numeric_type(argv[0]) == SQLITE_INTEGER &&
      sqlite3_value_numeric_type(argv[1]) == SQLITE_INTEGER) {
    long long b = sqlite3_value_int64(argv[1]);
    if (b == 0) {
      result_err(c, "DIVISION_BY_ZERO: Division by zero");
      return;
    }
    if (b == -1) {
      sqlite3_result_int64(c, 0);
      return;
    }
    sqlite3_result_int64(c, sqlite3_value_int64(argv[0]) % b);
    return;
  }
  sqlite3_result_double(
      c, fmod(sqlite3_value_double(argv[0]), sqlite3_value_double(argv[1])));
}

static void fn_greatest(sqlite3_context *c, int argc, sqlite3_value **argv) {
  if (any_null(argc, argv)) return;
  int least = *(const char *)sqlite3_user_data(c) == 'l';
  sqlite3_value *best = argv[0];
  for (int i = 1; i < argc; i++) {
    int t1 = sqlite3_value_numeric_type(best),
        t2 = sqlite3_value_numeric_type(argv[i]);
    int cmp;
    if ((t1 == SQLITE_INTEGER || t1 == SQLITE_FLOAT) &&
        (t2 == SQLITE_INTEGER || t2 == SQLITE_FLOAT)) {
      double a = sqlite3_value_double(argv[i]), b = sqlite3_value_double(best);
      cmp = a < b ? -1 : a > b;
    } else {
      cmp = strcmp(arg_text(argv[i]), arg_text(best));
    }
    if (least ? cmp < 0 : cmp > 0) best = argv[i];
  }
  sqlite3_result_value(c, best);
}

static void fn_if(sqlite3_context *c, int argc, sqlite3_value **argv) {
  int t = sqlite3_value_type(argv[0]) != SQLITE_NULL &&
          sqlite3_value_double(argv[0]) != 0;
  if (t)
    sqlite3_result_value(c, argv[1]);
  else if (argc > 2)
    sqlite3_result_value(c, argv[2]);
}

/* ---- CAST(x AS type) / TRY_CAST: asl_cast(x, 'type', try) ---- */
static int parse_ll(const char *s, long long *out) {
  while (isspace((unsigned char)*s))
    s++;
  char *e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (e == s || errno) return -1;
  while (isspace((unsigned char)*e))
    e++;
  if (*e) return -1;
  *out = v;
  return 0;
}

static int parse_dbl(const char *s, double *out) {
  while (isspace((unsigned char)*s))
    s++;
  char *e;
  double v = strtod(s, &e);
  if (e == s) return -1;
  while (isspace((unsigned char)*e))
    e++;
  if (*e) return -1;
  *out = v;
  return 0;
}

static void fn_cast(sqlite3_context *c, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *type = arg_text(argv[1]);
  int try = sqlite3_value_int(argv[2]);
  sqlite3_value *v = argv[0];
  int st = sqlite3_value_type(v);
  if (st == SQLITE_NULL || !type) return;
  char buf[64];
  const char *txt = arg_text(v);
#define FAIL(...)                                                              \
  do {                                                                         \
    if (!try) result_err(c, __VA_ARGS__);                                      \
    return;                                                                    \
  } while (0)
  if (!strcmp(type, "varchar") || !strcmp(type, "string") ||
      type_is(type, "varchar(") || type_is(type, "char")) {
    if (st == SQLITE_FLOAT) {
      sql_fmt_double(sqlite3_value_double(v), 0, buf);
      sqlite3_result_text(c, buf, -1, SQLITE_TRANSIENT);
    } else {
      sqlite3_result_text(c, txt, -1, SQLITE_TRANSIENT);
    }
    return;
  }
  if (is_int_type(type)) {
    long long r;
    if (st == SQLITE_INTEGER) {
      r = sqlite3_value_int64(v);
    } else if (st == SQLITE_FLOAT) {
      double d = sqlite3_value_double(v);
      if (!isfinite(d) || fabs(d) > 9.2e18)
        FAIL("INVALID_CAST_ARGUMENT: Out of range for %s: %s", type, txt);
      r = (long long)llround(d);
    } else if (parse_ll(txt, &r) < 0) {
      char up[16];
      size_t i = 0;
      for (; type[i] && i < sizeof up - 1; i++)
        up[i] = (char)toupper((unsigned char)type[i]);
      up[i] = 0;
      FAIL("INVALID_CAST_ARGUMENT: Cannot cast '%s' to %s", txt, up);
    }
    long long lo = LLONG_MIN, hi = LLONG_MAX;
    if (!strcmp(type, "integer") || !strcmp(type, "int")) {
      lo = -2147483648LL;
      hi = 2147483647LL;
    } else if (!strcmp(type, "smallint")) {
      lo = -32768;
      hi = 32767;
    } else if (!strcmp(type, "tinyint")) {
      lo = -128;
      hi = 127;
    }
    if (r < lo || r > hi)
      FAIL("INVALID_CAST_ARGUMENT: Out of range for %s: %lld", type, r);
    sqlite3_result_int64(c, r);
    return;
  }
  if (!strcmp(type, "double") || !strcmp(type, "float") ||
      !strcmp(type, "real") || type_is(type, "decimal")) {
    double d;
    if (st == SQLITE_INTEGER || st == SQLITE_FLOAT)
      d = sqlite3_value_double(v);
    else if (parse_dbl(txt, &d) < 0)
      FAIL("INVALID_CAST_ARGUMENT: Cannot cast '%s' to %s", txt,
           type_is(type, "decimal") ? "DECIMAL" : "DOUBLE");
    if (type_is(type, "decimal(")) {
      const char *cm = strchr(type, ',');
      int scale = cm ? atoi(cm + 1) : 0;
      double f = pow(10.0, scale);
      d = round(d * f) / f;
    } else if (!strcmp(type, "float") || !strcmp(type, "real")) {
      d = (double)(float)d;
    }
    sqlite3_result_double(c, d);
    return;
  }
  if (!strcmp(type, "date") || !strcmp(type, "timestamp")) {
    long long ms;
    int ht;
    if (st != SQLITE_TEXT || sql_parse_ts(txt, 0, &ms, &ht) < 0)
      FAIL("INVALID_CAST_ARGUMENT: Value cannot be cast to %s: %s", type, txt);
    /* a timestamp cast to date keeps its day */
    result_point(c, ms, strcmp(type, "date") != 0);
    return;
  }
  if (!strcmp(type, "boolean")) {
    if (st == SQLITE_INTEGER || st == SQLITE_FLOAT) {
      sqlite3_result_int(c, sqlite3_value_double(v) != 0);
      return;
    }
    if (!strcasecmp(txt, "true") || !strcmp(txt, "1") || !strcasecmp(txt, "t"))
      sqlite3_result_int(c, 1);
    else if (!strcasecmp(txt, "false") || !strcmp(txt, "0") ||
             !strcasecmp(txt, "f"))
      sqlite3_result_int(c, 0);
    else
      FAIL("INVALID_CAST_ARGUMENT: Cannot cast '%s' to BOOLEAN", txt);
    return;
  }
  FAIL("NOT_SUPPORTED: Cannot cast to %s", type);
#undef FAIL
}

void sql_register_functions(sqlite3 *db) {
  static const char P_Y = 'y', P_M = 'm', P_D = 'd', P_Q = 'q', P_W = 'w',
                    P_J = 'j', P_HH = 'H', P_MI = 'M', P_S = 'S', L = 'l',
                    R = 'r', CE = 'c', FL = 'f', GR = 'g', SQ = 's', LN = 'l',
                    LG = 'g', EX = 'e', PW = 'p';
  const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  struct {
    const char *name;
    int n;
    void (*f)(sqlite3_context *, int, sqlite3_value **);
    const void *ud;
    int flags;
  } fns[] = {
      {"asl_date", 1, fn_date, NULL, det},
      {"asl_current_date", 0, fn_current_date, NULL, SQLITE_UTF8},
      {"asl_now", 0, fn_now, NULL, SQLITE_UTF8},
      {"date_add", 3, fn_date_add, NULL, det},
      {"date_diff", 3, fn_date_diff, NULL, det},
      {"asl_add_interval", 4, fn_add_interval, NULL, det},
      {"asl_extract", 2, fn_extract, NULL, det},
      {"date_trunc", 2, fn_date_trunc, NULL, det},
      {"date_format", 2, fn_date_format, NULL, det},
      {"date_parse", 2, fn_date_parse, NULL, det},
      {"from_iso8601_date", 1, fn_from_iso8601_date, NULL, det},
      {"from_iso8601_timestamp", 1, fn_from_iso8601_ts, NULL, det},
      {"from_unixtime", 1, fn_from_unixtime, NULL, det},
      {"to_unixtime", 1, fn_to_unixtime, NULL, det},
      {"year", 1, fn_part, &P_Y, det},
      {"month", 1, fn_part, &P_M, det},
      {"day", 1, fn_part, &P_D, det},
      {"day_of_month", 1, fn_part, &P_D, det},
      {"quarter", 1, fn_part, &P_Q, det},
      {"day_of_week", 1, fn_part, &P_W, det},
      {"dow", 1, fn_part, &P_W, det},
      {"day_of_year", 1, fn_part, &P_J, det},
      {"doy", 1, fn_part, &P_J, det},
      {"hour", 1, fn_part, &P_HH, det},
      {"minute", 1, fn_part, &P_MI, det},
      {"second", 1, fn_part, &P_S, det},
      {"asl_concat", -1, fn_concat, NULL, det},
      {"substr", 2, fn_substr, NULL, det},
      {"substr", 3, fn_substr, NULL, det},
      {"substring", 2, fn_substr, NULL, det},
      {"substring", 3, fn_substr, NULL, det},
      {"strpos", 2, fn_strpos, NULL, det},
      {"length", 1, fn_length, NULL, det},
      {"replace", 2, fn_replace2, NULL, det},
      {"split_part", 3, fn_split_part, NULL, det},
      {"lpad", 3, fn_pad, &L, det},
      {"rpad", 3, fn_pad, &R, det},
      {"starts_with", 2, fn_starts_with, NULL, det},
      {"reverse", 1, fn_reverse, NULL, det},
      {"regexp_like", 2, fn_regexp_like, NULL, det},
      {"regexp_extract", 2, fn_regexp_extract, NULL, det},
      {"regexp_extract", 3, fn_regexp_extract, NULL, det},
      {"regexp_replace", 2, fn_regexp_replace, NULL, det},
      {"regexp_replace", 3, fn_regexp_replace, NULL, det},
      {"round", 1, fn_round, NULL, det},
      {"round", 2, fn_round, NULL, det},
      {"floor", 1, fn_floor_ceil, &FL, det},
      {"ceil", 1, fn_floor_ceil, &CE, det},
      {"ceiling", 1, fn_floor_ceil, &CE, det},
      {"sqrt", 1, fn_math1, &SQ, det},
      {"ln", 1, fn_math1, &LN, det},
      {"log10", 1, fn_math1, &LG, det},
      {"exp", 1, fn_math1, &EX, det},
      {"power", 2, fn_math1, &PW, det},
      {"pow", 2, fn_math1, &PW, det},
      {"mod", 2, fn_mod, NULL, det},
      {"greatest", -1, fn_greatest, &GR, det},
      {"least", -1, fn_greatest, &L, det},
      {"asl_if", 2, fn_if, NULL, det},
      {"asl_if", 3, fn_if, NULL, det},
      {"asl_cast", 3, fn_cast, NULL, det},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    sqlite3_create_function(db, fns[i].name, fns[i].n, fns[i].flags,
                            (void *)fns[i].ud, fns[i].f, NULL, NULL);
}
