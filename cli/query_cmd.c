/* query_cmd.c: `asl query` (see query_cmd.h), a thin shell over
 * asl_sql_run. */
#include "query_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lake/sql.h"

#define EX_OK 0
#define EX_FAILED 1
#define EX_TIMEOUT 2
#define EX_USAGE 64
#define EX_NOINPUT 66

static const char usage_text[] =
    "usage: asl query SQL|- [--database DB] [--format table|csv|json]\n"
    "  runs one Athena SQL statement over $ASL_HOME/athena and the lake\n";

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl query: %s\n", why);
  fputs(usage_text, stderr);
  return EX_USAGE;
}

typedef struct qout {
  char fmt; /* 't', 'c', 'j' */
  size_t ncols;
  char **names, **types;
  char **cells; /* table: all rows kept for the widths */
  size_t nrows, cap;
  long long json_rows;
} qout;

static void csv_field(const char *v) {
  if (!v) return;
  if (!strpbrk(v, ",\"\r\n")) {
    fputs(v, stdout);
    return;
  }
  putchar('"');
  for (; *v; v++) {
    if (*v == '"') putchar('"');
    putchar(*v);
  }
  putchar('"');
}

static void json_str(const char *v) {
  putchar('"');
  for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if (*s == '\n')
      fputs("\\n", stdout);
    else if (*s == '\r')
      fputs("\\r", stdout);
    else if (*s == '\t')
      fputs("\\t", stdout);
    else if (*s < 0x20)
      printf("\\u%04x", *s);
    else
      putchar(*s);
  }
  putchar('"');
}

static int numeric_type(const char *t) {
  return !strcmp(t, "bigint") || !strcmp(t, "integer") ||
         !strcmp(t, "smallint") || !strcmp(t, "tinyint") ||
         !strcmp(t, "double") || !strcmp(t, "float") || !strcmp(t, "real") ||
         !strncmp(t, "decimal", 7);
}

static int on_columns(void *ctx, const asl_sql_col *cols, size_t n) {
  qout *q = ctx;
  q->ncols = n;
  q->names = calloc(n + 1, sizeof(char *));
  q->types = calloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    q->names[i] = strdup(cols[i].name);
    q->types[i] = strdup(cols[i].type);
  }
  if (q->fmt == 'c') {
    for (size_t i = 0; i < n; i++) {
      if (i) putchar(',');
      csv_field(cols[i].name);
    }
    putchar('\n');
  } else if (q->fmt == 'j') {
    putchar('[');
  }
  return 0;
}

static int on_row(void *ctx, const char *const *vals, size_t n) {
  qout *q = ctx;
  if (q->fmt == 'c') {
    for (size_t i = 0; i < n; i++) {
      if (i) putchar(',');
      csv_field(vals[i]);
    }
    putchar('\n');
  } else if (q->fmt == 'j') {
    fputs(q->json_rows++ ? ",\n {" : "\n {", stdout);
    for (size_t i = 0; i < n; i++) {
      if (i) fputs(", ", stdout);
      json_str(q->names[i]);
      fputs(": ", stdout);
      const char *v = vals[i];
      if (!v)
        fputs("null", stdout);
      else if (!strcmp(q->types[i], "boolean"))
        fputs(v, stdout);
      else if (numeric_type(q->types[i]) && strcmp(v, "NaN") &&
               !strstr(v, "Infinity"))
        fputs(v, stdout);
      else
        json_str(v);
    }
    putchar('}');
  } else {
    if (q->nrows == q->cap) {
      q->cap = q->cap ? q->cap * 2 : 64;
      q->cells = realloc(q->cells, q->cap * n * sizeof(char *));
      if (!q->cells) return 1;
    }
    for (size_t i = 0; i < n; i++)
      q->cells[q->nrows * n + i] = strdup(vals[i] ? vals[i] : "NULL");
    q->nrows++;
  }
  return 0;
}

static size_t width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) w++;
  return w;
}

static void pad(const char *s, size_t w, int right) {
  size_t n = width(s);
  if (right)
    for (size_t i = n; i < w; i++)
      putchar(' ');
  fputs(s, stdout);
  if (!right)
    for (size_t i = n; i < w; i++)
      putchar(' ');
}

static void print_table(qout *q) {
  size_t n = q->ncols;
  size_t *w = calloc(n + 1, sizeof(size_t));
  for (size_t i = 0; i < n; i++)
    w[i] = width(q->names[i]);
  for (size_t r = 0; r < q->nrows; r++)
    for (size_t i = 0; i < n; i++) {
      size_t k = width(q->cells[r * n + i]);
      if (k > w[i]) w[i] = k;
    }
  for (size_t i = 0; i < n; i++) {
    fputs(i ? " | " : " ", stdout);
    pad(q->names[i], w[i], 0);
  }
  putchar('\n');
  for (size_t i = 0; i < n; i++) {
    fputs(i ? "-+-" : "-", stdout);
    for (size_t k = 0; k < w[i]; k++)
      putchar('-');
  }
  fputs("-\n", stdout);
  for (size_t r = 0; r < q->nrows; r++) {
    for (size_t i = 0; i < n; i++) {
      fputs(i ? " | " : " ", stdout);
      pad(q->cells[r * n + i], w[i], numeric_type(q->types[i]));
    }
    putchar('\n');
  }
  printf("(%zu row%s)\n", q->nrows, q->nrows == 1 ? "" : "s");
  free(w);
}

static char *read_stdin(void) {
  size_t cap = 65536, len = 0, n;
  char *b = malloc(cap);
  while (b && (n = fread(b + len, 1, cap - len - 1, stdin)) > 0) {
    len += n;
    if (cap - len < 2) {
      cap *= 2;
      char *nb = realloc(b, cap);
      if (!nb) {
        free(b);
        return NULL;
      }
      b = nb;
    }
  }
  if (b) b[len] = 0;
  return b;
}

int asl_cmd_query(int argc, char **argv) {
  const char *sql = NULL, *db = NULL, *fmt = "table";
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--database") || !strcmp(argv[i], "--format")) {
      if (i + 1 >= argc) return usage("missing value after an option");
      if (!strcmp(argv[i], "--database"))
        db = argv[++i];
      else
        fmt = argv[++i];
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_text, stdout);
      return EX_OK;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return usage("unknown option");
    } else if (sql) {
      return usage("one statement only (quote it)");
    } else {
      sql = argv[i];
    }
  }
  if (!sql) return usage("missing SQL");
  qout q = {0};
  if (!strcmp(fmt, "table"))
    q.fmt = 't';
  else if (!strcmp(fmt, "csv"))
    q.fmt = 'c';
  else if (!strcmp(fmt, "json"))
    q.fmt = 'j';
  else
    return usage("--format is table, csv or json");
  char *text = NULL;
  if (!strcmp(sql, "-")) {
    text = read_stdin();
    if (!text) {
      fprintf(stderr, "asl query: cannot read stdin\n");
      return EX_NOINPUT;
    }
    sql = text;
  }
  asl_sql_sink sink = {&q, on_columns, on_row};
  asl_sql_info info;
  asl_error err = {0};
  int rc = asl_sql_run(NULL, db, sql, 0, &sink, &info, &err);
  int ex = EX_OK;
  if (rc < 0) {
    fprintf(stderr, "asl query: %s\n", err.cause ? err.cause : err.name);
    ex = err.name && !strcmp(err.name, "States.Timeout") ? EX_TIMEOUT
                                                         : EX_FAILED;
    if (q.fmt == 'j' && q.names) fputs("]\n", stdout);
  } else if (q.names) {
    if (q.fmt == 'j')
      fputs(q.json_rows ? "\n]\n" : "]\n", stdout);
    else if (q.fmt == 't')
      print_table(&q);
  } else if (q.fmt == 't') {
    if (!strcmp(info.statement_type, "DML"))
      printf("%s: %lld row%s\n", info.substatement_type, info.rows_affected,
             info.rows_affected == 1 ? "" : "s");
    else
      printf("%s\n", info.substatement_type);
  }
  for (size_t i = 0; i < q.nrows * q.ncols; i++)
    free(q.cells[i]);
  free(q.cells);
  for (size_t i = 0; i < q.ncols; i++) {
    free(q.names[i]);
    free(q.types[i]);
  }
  free(q.names);
  free(q.types);
  asl_error_clear(&err);
  free(text);
  return ex;
}
