/* sql_stub.c: TEMPORARY stand-in for lake/sql.c (the real Athena-like SQL
 * engine, written in another branch), so that the Athena Task integration
 * can be built and tested before the merge. Drop this file (its own
 * commit) when lake/sql.c lands.
 *
 * It runs only: SELECT of literal lists (integers, 'strings', NULL, each
 * with an optional AS alias) joined by UNION ALL; SHOW TABLES [IN db]
 * (always empty); CREATE DATABASE [IF NOT EXISTS] db. Anything else fails
 * with InvalidRequestException, as the real engine does for a statement
 * it cannot run. asl_sql_is_stub tells tests which engine is linked. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

int asl_sql_is_stub = 1;

static int starts(const char *s, const char *kw) {
  size_t n = strlen(kw);
  return strncasecmp(s, kw, n) == 0 && !isalnum((unsigned char)s[n]);
}

static const char *skip_ws(const char *s) {
  while (isspace((unsigned char)*s))
    s++;
  return s;
}

/* One "SELECT lit [AS a], ..." part: values and names into vals/names. */
static int select_part(const char *s, const char *end, char **vals,
                       char **names, const char **types, size_t *n) {
  s = skip_ws(s + 6);
  *n = 0;
  while (s < end && *n < 16) {
    const char *v = s;
    size_t len;
    const char *type;
    char *val = NULL;
    if (*s == '\'') {
      size_t cap = (size_t)(end - s), k = 0;
      val = malloc(cap + 1);
      for (s++; s < end; s++) {
        if (*s == '\'' && s + 1 < end && s[1] == '\'') {
          val[k++] = '\'';
          s++;
        } else if (*s == '\'') {
          break;
        } else {
          val[k++] = *s;
        }
      }
      val[k] = 0;
      if (s >= end) {
        free(val);
        return -1;
      }
      s++;
      type = "varchar";
    } else if (isdigit((unsigned char)*s) || *s == '-') {
      s++;
      while (s < end && isdigit((unsigned char)*s))
        s++;
      len = (size_t)(s - v);
      val = strndup(v, len);
      type = "integer";
    } else if (starts(s, "NULL")) {
      s += 4;
      type = "unknown";
    } else {
      return -1;
    }
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
      s++;
    char *name = NULL;
    if (starts(s, "AS")) {
      s = skip_ws(s + 2);
      const char *a = s;
      while (s < end && (isalnum((unsigned char)*s) || *s == '_'))
        s++;
      name = strndup(a, (size_t)(s - a));
      s = skip_ws(s);
    } else {
      char buf[16];
      snprintf(buf, sizeof buf, "_col%zu", *n);
      name = strdup(buf);
    }
    vals[*n] = val;
    names[*n] = name;
    types[*n] = type;
    (*n)++;
    if (s < end && *s == ',')
      s = skip_ws(s + 1);
    else
      break;
  }
  return s >= end || *skip_ws(s) == ';' ? 0 : -1;
}

static void free_part(char **vals, char **names, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(vals[i]);
    free(names[i]);
  }
}

static int run_select(const char *sql, const asl_sql_sink *sink,
                      asl_error *err) {
  const char *p = sql;
  int first = 1;
  while (p) {
    const char *u = strcasestr(p, "UNION ALL");
    const char *end = u ? u : p + strlen(p);
    while (end > p && (isspace((unsigned char)end[-1]) || end[-1] == ';'))
      end--;
    char *vals[16], *names[16];
    const char *types[16];
    size_t n = 0;
    p = skip_ws(p);
    if (!starts(p, "SELECT") ||
        select_part(p, end, vals, names, types, &n) < 0) {
      free_part(vals, names, n);
      return asl_error_set(err, "InvalidRequestException",
                           "NOT_SUPPORTED: the stand-in SQL engine runs only "
                           "literal SELECTs");
    }
    if (first && sink && sink->columns) {
      asl_sql_col cols[16];
      for (size_t i = 0; i < n; i++)
        cols[i] = (asl_sql_col){names[i], types[i]};
      sink->columns(sink->ctx, cols, n);
    }
    first = 0;
    if (sink && sink->row) sink->row(sink->ctx, (const char *const *)vals, n);
    free_part(vals, names, n);
    p = u ? u + 9 : NULL;
  }
  return 0;
}

int asl_sql_run(const char *home, const char *database, const char *sql,
                double deadline, const asl_sql_sink *sink, asl_sql_info *info,
                asl_error *err) {
  (void)home;
  (void)database;
  (void)deadline;
  memset(info, 0, sizeof *info);
  const char *s = skip_ws(sql ? sql : "");
  if (starts(s, "SELECT")) {
    info->statement_type = "DML";
    info->substatement_type = "SELECT";
    info->header_row = 1;
    return run_select(s, sink, err);
  }
  if (starts(s, "SHOW") && starts(skip_ws(s + 4), "TABLES")) {
    info->statement_type = "DDL";
    info->substatement_type = "SHOW_TABLES";
    static const asl_sql_col col = {"tab_name", "string"};
    if (sink && sink->columns) sink->columns(sink->ctx, &col, 1);
    return 0;
  }
  if (starts(s, "CREATE") && starts(skip_ws(s + 6), "DATABASE")) {
    info->statement_type = "DDL";
    info->substatement_type = "CREATE_DATABASE";
    return 0;
  }
  return asl_error_set(err, "InvalidRequestException",
                       "NOT_SUPPORTED: the stand-in SQL engine does not run "
                       "this statement: %.60s",
                       s);
}
