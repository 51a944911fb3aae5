/* sql_ext.c: external tables, read from the lake files under their LOCATION
 * as Hive's SerDes read them, into a SQLite table of the same name in the
 * database's file. The load is kept with a signature of the files (relative
 * path, size, mtime) and the table's definition; a query reloads only when
 * the signature changed.
 *
 * SerDes: LazySimpleSerDe (ROW FORMAT DELIMITED, the default): fields split
 * on the delimiter ('\001' when none), "\N" (or serialization.null.format)
 * is NULL, ESCAPED BY makes the next character literal, a value that does
 * not parse as its column's type is NULL, missing trailing fields are NULL
 * and extra ones ignored. OpenCSVSerde: quoted CSV (libcsv), empty fields
 * are empty strings (NULL for non-string columns). JSON SerDes: one object
 * per line, keys matched to columns case-insensitively. Lines end at \n,
 * \r\n or \r, as Hadoop's LineReader. skip.header.line.count skips lines of
 * each file. Partitions: Hive-style folders col=value/ under LOCATION,
 * discovered at query time (MSCK REPAIR TABLE is not needed). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "lake.h"
#include "parquet.h"
#include "sql_int.h"

int sql_split_location(const char *loc, char **bucket, char **prefix,
                       asl_error *err) {
  *bucket = *prefix = NULL;
  if (!loc || strncmp(loc, "s3://", 5) != 0)
    return asl_error_set(err, "InvalidRequestException",
                         "LOCATION must be an s3://bucket/prefix/ URI: '%s'",
                         loc ? loc : "");
  const char *b = loc + 5, *sl = strchr(b, '/');
  char *bk = sl ? asl_strndup(b, (size_t)(sl - b)) : asl_strdup(b);
  char *px = asl_strdup(sl ? sl + 1 : "");
  size_t n = strlen(px);
  while (n && px[n - 1] == '/')
    px[--n] = 0;
  asl_error le = {0};
  if (asl_lake_check_bucket(bk, &le) < 0 ||
      (*px && asl_lake_check_key(px, &le) < 0)) {
    asl_error_set(err, "InvalidRequestException",
                  "Invalid LOCATION '%s': %s: %s", loc, le.name ? le.name : "",
                  le.cause ? le.cause : "");
    asl_error_clear(&le);
    free(bk);
    free(px);
    return -1;
  }
  *bucket = bk;
  *prefix = px;
  return 0;
}

/* ---- the files under the location ---- */
typedef struct ext_file {
  char *rel; /* path below the location folder */
  long long size;
  long long mtime_ns;
} ext_file;

typedef struct ext_files {
  ext_file *v;
  size_t n, cap;
} ext_files;

static void walk(const char *dir, const char *rel, ext_files *out, int depth) {
  if (depth > 32) return;
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
    char *p = asl_sprintf("%s/%s", dir, e->d_name);
    char *r =
        *rel ? asl_sprintf("%s/%s", rel, e->d_name) : asl_strdup(e->d_name);
    struct stat sb;
    if (lstat(p, &sb) == 0) {
      if (S_ISDIR(sb.st_mode)) {
        walk(p, r, out, depth + 1);
      } else if (S_ISREG(sb.st_mode)) {
        if (out->n == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 16;
          out->v = asl_realloc(out->v, out->cap * sizeof *out->v);
        }
        out->v[out->n].rel = r;
        r = NULL;
        out->v[out->n].size = (long long)sb.st_size;
        out->v[out->n].mtime_ns =
            (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
        out->n++;
      }
    }
    free(p);
    free(r);
  }
  closedir(d);
}

static int cmp_file(const void *a, const void *b) {
  return strcmp(((const ext_file *)a)->rel, ((const ext_file *)b)->rel);
}

static void files_free(ext_files *f) {
  for (size_t i = 0; i < f->n; i++)
    free(f->v[i].rel);
  free(f->v);
}

static unsigned long long fnv(unsigned long long h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* ---- typed values ---- */
static int strict_ll(const char *s, size_t n, long long *out) {
  if (!n || n > 40) return -1;
  char b[48];
  memcpy(b, s, n);
  b[n] = 0;
  char *e;
  errno = 0;
  long long v = strtoll(b, &e, 10);
  if (e == b || *e || errno) return -1;
  *out = v;
  return 0;
}

static int strict_dbl(const char *s, size_t n, double *out) {
  if (!n || n > 64) return -1;
  char b[72];
  memcpy(b, s, n);
  b[n] = 0;
  char *e;
  double v = strtod(b, &e);
  if (e == b || *e) return -1;
  *out = v;
  return 0;
}

void sql_bind_typed(sqlite3_stmt *st, int idx, const char *type, const char *s,
                    size_t n) {
  if (!s) {
    sqlite3_bind_null(st, idx);
    return;
  }
  long long ll;
  double d;
  if (!strcmp(type, "bigint") || !strcmp(type, "int") ||
      !strcmp(type, "integer") || !strcmp(type, "smallint") ||
      !strcmp(type, "tinyint")) {
    long long lo = LLONG_MIN, hi = LLONG_MAX;
    if (!strcmp(type, "int") || !strcmp(type, "integer")) {
      lo = -2147483648LL;
      hi = 2147483647LL;
    } else if (!strcmp(type, "smallint")) {
      lo = -32768;
      hi = 32767;
    } else if (!strcmp(type, "tinyint")) {
      lo = -128;
      hi = 127;
    }
    if (strict_ll(s, n, &ll) == 0 && ll >= lo && ll <= hi)
      sqlite3_bind_int64(st, idx, ll);
    else
      sqlite3_bind_null(st, idx);
  } else if (!strcmp(type, "double") || !strcmp(type, "float") ||
             !strcmp(type, "real") || !strncmp(type, "decimal", 7)) {
    if (strict_dbl(s, n, &d) == 0) {
      if (!strcmp(type, "float") || !strcmp(type, "real")) d = (float)d;
      if (!strncmp(type, "decimal(", 8)) {
        const char *c = strchr(type, ',');
        double f = pow(10.0, c ? atoi(c + 1) : 0);
        d = round(d * f) / f;
      }
      sqlite3_bind_double(st, idx, d);
    } else {
      sqlite3_bind_null(st, idx);
    }
  } else if (!strcmp(type, "boolean")) {
    if (n == 4 && !strncasecmp(s, "true", 4))
      sqlite3_bind_int(st, idx, 1);
    else if (n == 5 && !strncasecmp(s, "false", 5))
      sqlite3_bind_int(st, idx, 0);
    else
      sqlite3_bind_null(st, idx);
  } else if (!strcmp(type, "date") || !strcmp(type, "timestamp")) {
    char b[64];
    long long ms;
    int ht;
    if (n >= sizeof b) {
      sqlite3_bind_null(st, idx);
      return;
    }
    memcpy(b, s, n);
    b[n] = 0;
    if (sql_parse_ts(b, 0, &ms, &ht) < 0 || (!strcmp(type, "date") && ht)) {
      sqlite3_bind_null(st, idx);
      return;
    }
    char o[32];
    if (!strcmp(type, "date"))
      sql_fmt_date(ms, o);
    else
      sql_fmt_ts(ms, o);
    sqlite3_bind_text(st, idx, o, -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_text(st, idx, s, (int)n, SQLITE_TRANSIENT);
  }
}

/* ---- the load ---- */
typedef struct loader {
  sqlx *x;
  sqlite3_stmt *ins;
  const cJSON *cols; /* [{name,type}] data columns */
  size_t ncols, nparts;
  char **pvals; /* this file's partition values (NULL: NULL) */
  const cJSON *parts;
  int serde; /* 'l' lazy, 'c' opencsv, 'j' json, 'p' parquet */
  const char *mask; /* parquet: '1' for each data column to read */
  char delim, esc, quote;
  int has_esc;
  const char *nullfmt;
  int ignore_bad_json;
  long long skip;
  long long rows;
  asl_error *err;
  const char *file;
  /* csv state */
  char **fields;
  size_t *flens;
  size_t nf, capf;
  long long rec;
  int failed;
} loader;

static const char *col_type(const cJSON *c) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
  return cJSON_IsString(t) ? t->valuestring : "string";
}

static int insert_row(loader *L) {
  int rc = sqlite3_step(L->ins);
  sqlite3_reset(L->ins);
  sqlite3_clear_bindings(L->ins);
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_INTERRUPT || sql_past_deadline(L->x))
      return asl_error_set(L->err, "States.Timeout",
                           "the query ran past its deadline");
    return asl_error_set(L->err, "InternalError", "loading %s: %s", L->file,
                         sqlite3_errmsg(sqlite3_db_handle(L->ins)));
  }
  L->rows++;
  if (L->rows % 4096 == 0 && sql_past_deadline(L->x))
    return asl_error_set(L->err, "States.Timeout",
                         "the query ran past its deadline");
  return 0;
}

static void bind_parts(loader *L) {
  for (size_t i = 0; i < L->nparts; i++) {
    const cJSON *pc = cJSON_GetArrayItem(L->parts, (int)i);
    const char *v = L->pvals[i];
    sql_bind_typed(L->ins, (int)(L->ncols + i + 1), col_type(pc), v,
                   v ? strlen(v) : 0);
  }
}

/* One line of a LazySimpleSerDe file. The null sequence is compared with
 * the field's raw bytes (before unescaping), as Hive's LazyUtils do. */
static int lazy_line(loader *L, const char *s, size_t n) {
  size_t col = 0, i = 0;
  char *buf = asl_malloc(n + 1);
  size_t nl = strlen(L->nullfmt);
  while (col < L->ncols) {
    if (i > n) {
      sqlite3_bind_null(L->ins, (int)col + 1);
      col++;
      continue;
    }
    size_t st = i;
    while (i < n && s[i] != L->delim) {
      if (L->has_esc && s[i] == L->esc && i + 1 < n) i++;
      i++;
    }
    size_t raw = i - st;
    i++; /* past the delimiter (or the end) */
    const cJSON *c = cJSON_GetArrayItem(L->cols, (int)col);
    if (raw == nl && !memcmp(s + st, L->nullfmt, nl)) {
      sqlite3_bind_null(L->ins, (int)col + 1);
    } else {
      size_t bl = 0;
      for (size_t j = st; j < st + raw; j++) {
        if (L->has_esc && s[j] == L->esc && j + 1 < st + raw) {
          char e = s[++j];
          buf[bl++] = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
        } else {
          buf[bl++] = s[j];
        }
      }
      buf[bl] = 0;
      sql_bind_typed(L->ins, (int)col + 1, col_type(c), buf, bl);
    }
    col++;
  }
  free(buf);
  bind_parts(L);
  return insert_row(L);
}

static int json_line(loader *L, const char *s, size_t n, long long lineno) {
  cJSON *o = cJSON_ParseWithLength(s, n);
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    if (L->ignore_bad_json) {
      for (size_t c = 0; c < L->ncols; c++)
        sqlite3_bind_null(L->ins, (int)c + 1);
      bind_parts(L);
      return insert_row(L);
    }
    return asl_error_set(L->err, "InvalidRequestException",
                         "HIVE_CURSOR_ERROR: Row is not a valid JSON Object - "
                         "JSONException: line %lld of %s",
                         lineno, L->file);
  }
  for (size_t c = 0; c < L->ncols; c++) {
    const cJSON *cd = cJSON_GetArrayItem(L->cols, (int)c);
    const char *name =
        cJSON_GetObjectItemCaseSensitive(cd, "name")->valuestring;
    const char *type = col_type(cd);
    const cJSON *v = cJSON_GetObjectItem(o, name); /* case-insensitive */
    int idx = (int)c + 1;
    if (!v || cJSON_IsNull(v)) {
      sqlite3_bind_null(L->ins, idx);
    } else if (cJSON_IsString(v)) {
      sql_bind_typed(L->ins, idx, type, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsBool(v)) {
      if (!strcmp(type, "boolean"))
        sqlite3_bind_int(L->ins, idx, cJSON_IsTrue(v));
      else
        sql_bind_typed(L->ins, idx, type, cJSON_IsTrue(v) ? "true" : "false",
                       cJSON_IsTrue(v) ? 4 : 5);
    } else {
      char *txt = cJSON_PrintUnformatted(v);
      sql_bind_typed(L->ins, idx, type, txt, strlen(txt));
      cJSON_free(txt);
    }
  }
  cJSON_Delete(o);
  bind_parts(L);
  return insert_row(L);
}

static void csv_field(void *s, size_t len, void *ud) {
  loader *L = ud;
  if (L->nf == L->capf) {
    L->capf = L->capf ? L->capf * 2 : 16;
    L->fields = asl_realloc(L->fields, L->capf * sizeof *L->fields);
    L->flens = asl_realloc(L->flens, L->capf * sizeof *L->flens);
  }
  L->fields[L->nf] = asl_strndup(s ? s : "", len);
  L->flens[L->nf] = len;
  L->nf++;
}

static void csv_record(int c, void *ud) {
  (void)c;
  loader *L = ud;
  if (!L->failed && L->rec++ >= L->skip) {
    for (size_t i = 0; i < L->ncols; i++) {
      const cJSON *cd = cJSON_GetArrayItem(L->cols, (int)i);
      const char *type = col_type(cd);
      int str = !strcmp(type, "string") || !strncmp(type, "varchar", 7) ||
                !strncmp(type, "char", 4);
      if (i >= L->nf || (!str && L->flens[i] == 0))
        sqlite3_bind_null(L->ins, (int)i + 1);
      else
        sql_bind_typed(L->ins, (int)i + 1, type, L->fields[i], L->flens[i]);
    }
    bind_parts(L);
    if (insert_row(L) < 0) L->failed = 1;
  }
  for (size_t i = 0; i < L->nf; i++)
    free(L->fields[i]);
  L->nf = 0;
}

/* A Parquet file: the table's columns are matched to the file's by name
 * (case-insensitively, as Hive does), only those are read (projection),
 * one row at a time; a table column the file lacks reads as NULL. */
static int load_parquet(loader *L, const char *path) {
  asl_error pe = {0};
  asl_pq_reader *r = asl_pq_open(path, &pe);
  if (!r) {
    asl_error_set(L->err, "InvalidRequestException",
                  "HIVE_BAD_DATA: %s is not a valid Parquet file: %s", L->file,
                  pe.cause ? pe.cause : "");
    asl_error_clear(&pe);
    return -1;
  }
  size_t nfc = asl_pq_ncolumns(r);
  int *want = asl_calloc(nfc + 1, sizeof *want);
  int *map = asl_malloc((L->ncols + 1) * sizeof *map);
  for (size_t c = 0; c < L->ncols; c++) {
    const char *name = cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetArrayItem(L->cols, (int)c), "name")
                           ->valuestring;
    map[c] = -1;
    if (L->mask && L->mask[c] != '1') continue; /* not needed: NULL */
    for (size_t i = 0; i < nfc; i++)
      if (!strcasecmp(asl_pq_column_at(r, i)->name, name)) {
        map[c] = (int)i;
        want[i] = 1;
        break;
      }
  }
  asl_pq_project(r, want);
  const asl_pq_value *row;
  int rc = 0, got;
  asl_buf tb = {0};
  while ((got = asl_pq_next(r, &row, &pe)) == 1) {
    for (size_t c = 0; c < L->ncols; c++) {
      int idx = (int)c + 1;
      const char *type = col_type(cJSON_GetArrayItem(L->cols, (int)c));
      const asl_pq_value *v = map[c] < 0 ? NULL : &row[map[c]];
      if (!v || v->kind == ASL_PQ_V_NULL) {
        sqlite3_bind_null(L->ins, idx);
      } else if (v->kind == ASL_PQ_V_BYTES) {
        sql_bind_typed(L->ins, idx, type, v->s, v->n);
      } else if (v->kind == ASL_PQ_V_INT &&
                 (!strcmp(type, "bigint") || !strcmp(type, "int") ||
                  !strcmp(type, "integer"))) {
        sqlite3_bind_int64(L->ins, idx, v->i);
      } else if (v->kind == ASL_PQ_V_DOUBLE && !strcmp(type, "double")) {
        sqlite3_bind_double(L->ins, idx, v->d);
      } else if (v->kind == ASL_PQ_V_BOOL) {
        if (!strcmp(type, "boolean"))
          sqlite3_bind_int(L->ins, idx, v->b != 0);
        else
          sql_bind_typed(L->ins, idx, type, v->b ? "true" : "false",
                         v->b ? 4 : 5);
      } else {
        tb.len = 0;
        asl_pq_value_text(&tb, v, 0);
        sql_bind_typed(L->ins, idx, type, tb.s ? tb.s : "", tb.len);
      }
    }
    bind_parts(L);
    if (insert_row(L) < 0) {
      rc = -1;
      break;
    }
  }
  if (got < 0) {
    asl_error_set(L->err, "InvalidRequestException",
                  "HIVE_BAD_DATA: error reading %s: %s", L->file,
                  pe.cause ? pe.cause : "");
    asl_error_clear(&pe);
    rc = -1;
  }
  free(tb.s);
  free(want);
  free(map);
  asl_pq_close(r);
  return rc;
}

static int load_file(loader *L, const char *path) {
  L->x->files_read++;
  if (L->serde == 'p') return load_parquet(L, path);
  FILE *f = fopen(path, "rb");
  if (!f)
    return asl_error_set(L->err, "InternalError", "cannot read %s: %s", L->file,
                         strerror(errno));
  int rc = 0;
  if (L->serde == 'c') {
    struct csv_parser p;
    csv_init(&p, 0);
    csv_set_delim(&p, (unsigned char)L->delim);
    csv_set_quote(&p, (unsigned char)L->quote);
    L->rec = 0;
    L->failed = 0;
    char buf[65536];
    size_t n;
    while (!L->failed && (n = fread(buf, 1, sizeof buf, f)) > 0)
      if (csv_parse(&p, buf, n, csv_field, csv_record, L) != n) {
        rc = asl_error_set(L->err, "InvalidRequestException",
                           "HIVE_BAD_DATA: error parsing %s: %s", L->file,
                           csv_strerror(csv_error(&p)));
        break;
      }
    if (!rc && !L->failed) csv_fini(&p, csv_field, csv_record, L);
    csv_free(&p);
    for (size_t i = 0; i < L->nf; i++)
      free(L->fields[i]);
    L->nf = 0;
    if (L->failed) rc = -1;
    fclose(f);
    return rc;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  long long lineno = 0;
  /* getdelim on '\n', then a lone '\r' inside splits too (Hadoop's
   * LineReader ends lines at \n, \r\n and \r) */
  while (rc == 0 && (len = getdelim(&line, &cap, '\n', f)) >= 0) {
    size_t n = (size_t)len;
    if (n && line[n - 1] == '\n') n--;
    size_t a = 0;
    while (rc == 0) {
      size_t e = a;
      while (e < n && line[e] != '\r')
        e++;
      size_t ln = e - a;
      if (!(e == n && a == n && n > 0 && line[n - 1] == '\r')) {
        lineno++;
        if (lineno > L->skip) {
          if (L->serde == 'j') {
            size_t k = 0;
            while (k < ln && isspace((unsigned char)line[a + k]))
              k++;
            if (k < ln) rc = json_line(L, line + a, ln, lineno);
          } else {
            rc = lazy_line(L, line + a, ln);
          }
        }
      }
      if (e >= n) break;
      a = e + 1;
      if (a == n) break; /* a line ending "\r\n" */
    }
  }
  free(line);
  fclose(f);
  return rc;
}

/* "%3D" and friends in partition folder names, as Hive escapes them */
static char *unescape_part(const char *s, size_t n) {
  char *r = asl_malloc(n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n + 0 && isxdigit((unsigned char)s[i + 1]) &&
        isxdigit((unsigned char)s[i + 2])) {
      char h[3] = {s[i + 1], s[i + 2], 0};
      r[o++] = (char)strtol(h, NULL, 16);
      i += 2;
    } else {
      r[o++] = s[i];
    }
  }
  r[o] = 0;
  return r;
}

/* Fills pvals (nparts entries, new strings or NULL for NULL) from rel's
 * leading col=value/ folders; 0 when rel is in a partition of this table,
 * -1 when the file is to be skipped. *dirlen gets the length of the
 * partition folders' part of rel ("a=1/b=2"). */
static int part_values(const cJSON *parts, size_t nparts, const char *rel,
                       char **pvals, size_t *dirlen) {
  const char *p = rel;
  for (size_t i = 0; i < nparts; i++) {
    const char *sl = strchr(p, '/');
    if (!sl) return -1;
    const cJSON *pc = cJSON_GetArrayItem(parts, (int)i);
    const char *name =
        cJSON_GetObjectItemCaseSensitive(pc, "name")->valuestring;
    size_t nl = strlen(name);
    if ((size_t)(sl - p) <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != '=')
      return -1;
    char *v = unescape_part(p + nl + 1, (size_t)(sl - p) - nl - 1);
    if (!strcmp(v, "__HIVE_DEFAULT_PARTITION__")) {
      free(v);
      v = NULL;
    }
    pvals[i] = v;
    p = sl + 1;
  }
  *dirlen = p > rel ? (size_t)(p - rel) - 1 : 0;
  return 0;
}

/* ---- what the query needs: columns and partitions ---- */

static int tok_kw(const sql_tok *t, const char *kw) {
  return t->k == TK_ID && !strcmp(t->v, kw);
}

static int tok_op(const sql_tok *t, const char *op) {
  return t->k == TK_OP && !strcmp(t->v, op);
}

static int is_str_type(const char *t) {
  return !strcmp(t, "string") || !strncmp(t, "varchar", 7);
}

static int is_num_type(const char *t) {
  return !strcmp(t, "bigint") || !strcmp(t, "int") || !strcmp(t, "integer") ||
         !strcmp(t, "smallint") || !strcmp(t, "tinyint") ||
         !strcmp(t, "double") || !strcmp(t, "float") || !strcmp(t, "real") ||
         !strncmp(t, "decimal", 7);
}

/* One usable condition on a partition column: op is one of "=", "<",
 * "<=", ">", ">=", "in"; lits its literals' texts (borrowed). */
typedef struct pcond {
  size_t part;
  const char *op;
  const char *lits[64];
  size_t nlits;
} pcond;

typedef struct pconds {
  pcond *v;
  size_t n;
} pconds;

/* The column reference at t[*i]: name or qualifier.name. */
static const char *col_ref(const sql_toks *t, size_t *i, size_t e) {
  const sql_tok *k = &t->v[*i];
  if (*i >= e || (k->k != TK_ID && k->k != TK_QID)) return NULL;
  if (*i + 2 < e && tok_op(&t->v[*i + 1], ".") &&
      (t->v[*i + 2].k == TK_ID || t->v[*i + 2].k == TK_QID)) {
    *i += 3;
    return t->v[*i - 1].v;
  }
  *i += 1;
  return k->v;
}

static const char *lit_at(const sql_toks *t, size_t i, size_t e) {
  if (i >= e) return NULL;
  const sql_tok *k = &t->v[i];
  return k->k == TK_STR || k->k == TK_NUM ? k->v : NULL;
}

static int part_index(const cJSON *parts, const char *name, const char **type) {
  int i = 0;
  const cJSON *pc;
  cJSON_ArrayForEach(pc, parts) {
    const char *pn = cJSON_GetObjectItemCaseSensitive(pc, "name")->valuestring;
    if (!strcasecmp(pn, name)) {
      const cJSON *ty = cJSON_GetObjectItemCaseSensitive(pc, "type");
      *type = cJSON_IsString(ty) ? ty->valuestring : "string";
      return i;
    }
    i++;
  }
  return -1;
}

/* A literal usable against a column of type ty: numbers for numeric
 * columns, strings for string columns. */
static int lit_fits(const sql_toks *t, size_t i, const char *ty) {
  double d;
  if (is_num_type(ty))
    return t->v[i].k == TK_NUM ||
           (t->v[i].k == TK_STR &&
            strict_dbl(t->v[i].v, strlen(t->v[i].v), &d) == 0);
  return is_str_type(ty) && t->v[i].k == TK_STR;
}

/* Parses the conjunct [s, e) as a condition on a partition column. */
static void conjunct(const sql_toks *t, size_t s, size_t e,
                     const cJSON *parts, pconds *out) {
  pcond c;
  memset(&c, 0, sizeof c);
  const char *ty = NULL;
  size_t i = s;
  const char *name = col_ref(t, &i, e);
  int pi = name ? part_index(parts, name, &ty) : -1;
  static const char *const OPS[] = {"=", "<", "<=", ">", ">=", NULL};
  static const char *const FLIP[] = {"=", ">", ">=", "<", "<=", NULL};
  if (pi >= 0 && i < e) {
    c.part = (size_t)pi;
    for (int k = 0; OPS[k]; k++)
      if (tok_op(&t->v[i], OPS[k]) && i + 2 == e && lit_at(t, i + 1, e) &&
          lit_fits(t, i + 1, ty)) {
        c.op = OPS[k];
        c.lits[c.nlits++] = t->v[i + 1].v;
      }
    if (tok_kw(&t->v[i], "in") && i + 1 < e && tok_op(&t->v[i + 1], "(") &&
        tok_op(&t->v[e - 1], ")")) {
      int ok = 1;
      for (size_t j = i + 2; ok && j < e - 1; j += 2) {
        if (!lit_at(t, j, e) || !lit_fits(t, j, ty) || c.nlits == 64 ||
            !(j + 1 == e - 1 || tok_op(&t->v[j + 1], ",")))
          ok = 0;
        else
          c.lits[c.nlits++] = t->v[j].v;
      }
      if (ok && c.nlits) c.op = "in";
    }
    if (tok_kw(&t->v[i], "between") && i + 4 == e && lit_at(t, i + 1, e) &&
        tok_kw(&t->v[i + 2], "and") && lit_at(t, i + 3, e) &&
        lit_fits(t, i + 1, ty) && lit_fits(t, i + 3, ty)) {
      /* two conditions: >= low, <= high */
      pcond lo = c;
      lo.op = ">=";
      lo.lits[0] = t->v[i + 1].v;
      lo.nlits = 1;
      out->v = asl_realloc(out->v, (out->n + 1) * sizeof *out->v);
      out->v[out->n++] = lo;
      c.op = "<=";
      c.lits[0] = t->v[i + 3].v;
      c.nlits = 1;
    }
  } else if (e - s >= 3 && lit_at(t, s, e)) {
    /* lit op col */
    size_t j = s + 2;
    name = col_ref(t, &j, e);
    pi = name && j == e ? part_index(parts, name, &ty) : -1;
    if (pi >= 0 && lit_fits(t, s, ty))
      for (int k = 0; OPS[k]; k++)
        if (tok_op(&t->v[s + 1], OPS[k])) {
          c.part = (size_t)pi;
          c.op = FLIP[k];
          c.lits[c.nlits++] = t->v[s].v;
        }
  }
  if (c.op && (is_str_type(ty) || is_num_type(ty))) {
    out->v = asl_realloc(out->v, (out->n + 1) * sizeof *out->v);
    out->v[out->n++] = c;
  }
}

/* The WHERE clause's usable conditions on partition columns: only for a
 * statement with one SELECT (no set operation, no subquery) over this
 * table alone, and a WHERE without a top-level OR. */
static void where_conds(const sql_need *need, const cJSON *parts,
                        pconds *out) {
  const sql_toks *t = need->t;
  if (!need->single || !cJSON_GetArraySize(parts)) return;
  size_t w = need->b;
  int selects = 0, depth = 0, wdepth = 0;
  for (size_t i = need->a; i < need->b; i++) {
    const sql_tok *k = &t->v[i];
    if (tok_kw(k, "select")) selects++;
    if (tok_kw(k, "union") || tok_kw(k, "intersect") || tok_kw(k, "except"))
      return;
    if (tok_op(k, "(")) depth++;
    if (tok_op(k, ")")) depth--;
    if (tok_kw(k, "where") && w == need->b) {
      w = i;
      wdepth = depth;
    }
  }
  if (selects != 1 || w == need->b) return;
  /* one table in FROM: a self-join (`t a JOIN t b`, `t a, t b`) is one
   * table reference but its WHERE may filter one side only */
  int d = 0, in_from = 0;
  for (size_t i = need->a; i < w; i++) {
    const sql_tok *k = &t->v[i];
    if (tok_op(k, "(")) d++;
    if (tok_op(k, ")")) d--;
    if (tok_kw(k, "from")) in_from = 1;
    if (in_from && (tok_kw(k, "join") || (d == wdepth && tok_op(k, ","))))
      return;
  }
  static const char *const END[] = {"group", "having", "order",  "limit",
                                    "offset", "fetch", "window", NULL};
  size_t e = w + 1;
  depth = wdepth;
  for (; e < need->b; e++) {
    const sql_tok *k = &t->v[e];
    if (tok_op(k, "(")) depth++;
    if (tok_op(k, ")") && --depth < wdepth) break;
    if (depth != wdepth) continue;
    if (tok_kw(k, "or")) return;
    int end = 0;
    for (int j = 0; END[j]; j++)
      if (tok_kw(k, END[j])) end = 1;
    if (end) break;
  }
  /* split at the top-level ANDs (not BETWEEN's) */
  size_t s = w + 1;
  int between = 0;
  depth = wdepth;
  for (size_t i = w + 1; i <= e; i++) {
    if (i < e) {
      const sql_tok *k = &t->v[i];
      if (tok_op(k, "(")) depth++;
      if (tok_op(k, ")")) depth--;
      if (depth != wdepth) continue;
      if (tok_kw(k, "between")) between = 1;
      if (!tok_kw(k, "and")) continue;
      if (between) {
        between = 0;
        continue;
      }
    }
    if (i > s) conjunct(t, s, i, parts, out);
    s = i + 1;
  }
}

/* Does a file with these partition values satisfy every condition? */
static int cond_pass(const pconds *pc, const cJSON *parts, char **pvals) {
  for (size_t k = 0; k < pc->n; k++) {
    const pcond *c = &pc->v[k];
    const char *v = pvals[c->part];
    if (!v) return 0; /* NULL satisfies no comparison */
    const char *ty = "string";
    part_index(parts,
               cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetArrayItem(parts, (int)c->part), "name")
                   ->valuestring,
               &ty);
    int num = is_num_type(ty);
    double dv = 0;
    if (num && strict_dbl(v, strlen(v), &dv) < 0) return 0; /* loads NULL */
    int any = 0;
    for (size_t j = 0; j < c->nlits && !any; j++) {
      int cmp;
      if (num) {
        double dl = 0;
        strict_dbl(c->lits[j], strlen(c->lits[j]), &dl);
        cmp = dv < dl ? -1 : dv > dl ? 1 : 0;
      } else {
        cmp = strcmp(v, c->lits[j]);
      }
      const char *op = c->op;
      any = !strcmp(op, "=") || !strcmp(op, "in") ? cmp == 0
            : !strcmp(op, "<")                    ? cmp < 0
            : !strcmp(op, "<=")                   ? cmp <= 0
            : !strcmp(op, ">")                    ? cmp > 0
                                                  : cmp >= 0;
    }
    if (!any) return 0;
  }
  return 1;
}

/* '1' for each data column the statement names (all when it selects a
 * "*"). */
static void need_mask(const sql_need *need, const cJSON *cols, char *mask) {
  const sql_toks *t = need->t;
  size_t n = (size_t)cJSON_GetArraySize(cols);
  memset(mask, '0', n);
  for (size_t i = need->a; i < need->b; i++) {
    const sql_tok *k = &t->v[i];
    if (tok_kw(k, "natural")) { /* joins on columns it does not name */
      memset(mask, '1', n);
      return;
    }
    if (tok_op(k, "*") && i > need->a) {
      const sql_tok *pv = &t->v[i - 1];
      if (tok_kw(pv, "select") || tok_kw(pv, "distinct") ||
          tok_kw(pv, "all") || tok_op(pv, ",") || tok_op(pv, ".")) {
        memset(mask, '1', n);
        return;
      }
    }
    if (k->k != TK_ID && k->k != TK_QID) continue;
    size_t j = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cols) {
      if (!strcasecmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                      k->v))
        mask[j] = '1';
      j++;
    }
  }
}

/* Is every line of sub (sorted, '\n'-separated) a line of sup? */
static int lines_subset(const char *sub, const char *sup) {
  const char *a = sub, *b = sup;
  while (*a) {
    const char *ae = strchr(a, '\n');
    size_t al = ae ? (size_t)(ae - a) : strlen(a);
    int found = 0;
    while (*b) {
      const char *be = strchr(b, '\n');
      size_t bl = be ? (size_t)(be - b) : strlen(b);
      size_t m = al < bl ? al : bl;
      int c = memcmp(a, b, m);
      if (c == 0) c = al < bl ? -1 : al > bl ? 1 : 0;
      b = be ? be + 1 : b + bl;
      if (c == 0) {
        found = 1;
        break;
      }
      if (c < 0) return 0;
    }
    if (!found) return 0;
    a = ae ? ae + 1 : a + al;
  }
  return 1;
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *prop(const cJSON *spec, const char *group, const char *key) {
  const cJSON *g = cJSON_GetObjectItemCaseSensitive(spec, group);
  const cJSON *v = cJSON_GetObjectItem(g, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *quote_id(const char *s) {
  asl_buf b = {0};
  asl_buf_putc(&b, '"');
  for (; *s; s++) {
    if (*s == '"') asl_buf_putc(&b, '"');
    asl_buf_putc(&b, *s);
  }
  asl_buf_putc(&b, '"');
  return asl_buf_take(&b);
}

int sql_ext_refresh(sqlx *x, const char *db, const char *name,
                    const cJSON *spec, const sql_need *need, asl_error *err) {
  const cJSON *lv = cJSON_GetObjectItemCaseSensitive(spec, "location");
  const char *loc = cJSON_IsString(lv) ? lv->valuestring : NULL;
  char *bucket, *prefix;
  if (sql_split_location(loc, &bucket, &prefix, err) < 0) return -1;
  char *dir = *prefix ? asl_sprintf("%s/%s/%s", x->lake, bucket, prefix)
                      : asl_sprintf("%s/%s", x->lake, bucket);
  ext_files fl = {0};
  struct stat sb;
  if (lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) walk(dir, "", &fl, 0);
  if (fl.n) qsort(fl.v, fl.n, sizeof *fl.v, cmp_file);
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  const cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
  size_t ncols = (size_t)cJSON_GetArraySize(cols);
  size_t nparts = (size_t)cJSON_GetArraySize(parts);
  const cJSON *sd = cJSON_GetObjectItemCaseSensitive(spec, "serde");
  const char *serde = cJSON_IsString(sd) ? sd->valuestring : "lazy";
  /* the signature: definition + files */
  char *specs = cJSON_PrintUnformatted(spec);
  unsigned long long h = fnv(1469598103934665603ULL, specs, strlen(specs));
  cJSON_free(specs);
  for (size_t i = 0; i < fl.n; i++) {
    char b[64];
    h = fnv(h, fl.v[i].rel, strlen(fl.v[i].rel) + 1);
    int k = snprintf(b, sizeof b, "%lld/%lld;", fl.v[i].size, fl.v[i].mtime_ns);
    h = fnv(h, b, (size_t)k);
  }
  char fsig[32];
  snprintf(fsig, sizeof fsig, "%016llx", h);

  /* what this statement needs: columns (Parquet only: the text SerDes
   * parse whole lines anyway) and the files of the partitions it reads */
  char *mask = asl_malloc(ncols + 1);
  memset(mask, '1', ncols);
  mask[ncols] = 0;
  if (need && !strcmp(serde, "parquet")) need_mask(need, cols, mask);
  pconds pc = {0};
  if (need) where_conds(need, parts, &pc);
  char **pvals = asl_calloc(nparts + 1, sizeof *pvals);
  char *fdir = asl_calloc(fl.n + 1, 1); /* per file: 0 skip, 1 in a part */
  char *fsel = asl_calloc(fl.n + 1, 1); /* per file: the query needs it */
  char **dirs = asl_calloc(fl.n + 1, sizeof *dirs);
  size_t ndirs = 0;
  int all = 1;
  long long total = 0;
  for (size_t i = 0; i < fl.n; i++) {
    size_t dl = 0;
    int in = !nparts || part_values(parts, nparts, fl.v[i].rel, pvals, &dl) == 0;
    fdir[i] = (char)in;
    if (in) {
      fsel[i] = (char)(!pc.n || cond_pass(&pc, parts, pvals));
      if (fsel[i]) {
        total += fl.v[i].size;
        if (nparts) dirs[ndirs++] = asl_strndup(fl.v[i].rel, dl);
      } else {
        all = 0;
      }
    }
    for (size_t j = 0; j < nparts; j++) {
      free(pvals[j]);
      pvals[j] = NULL;
    }
  }
  x->bytes_scanned += total;
  /* the needed partitions: "*" (all), else their folders, sorted, unique */
  asl_buf nsel = {0};
  if (all) {
    asl_buf_puts(&nsel, "*");
  } else {
    if (ndirs) qsort(dirs, ndirs, sizeof *dirs, cmp_cstr);
    for (size_t i = 0; i < ndirs; i++)
      if (!i || strcmp(dirs[i], dirs[i - 1]))
        asl_buf_printf(&nsel, "%s%s", nsel.len ? "\n" : "", dirs[i]);
  }
  if (!nsel.s) asl_buf_puts(&nsel, "");

  int rc = -1;
  char *qdb = quote_id(db), *qt = quote_id(name);
  sqlite3_stmt *st = NULL;
  loader L = {0};
  int in_tx = 0;
  char *stored = NULL;
  asl_buf newsig = {0};
  char *lmask = asl_strdup(mask);
  char *lsel = asl_strdup(nsel.s);
  /* the last load: "FILESIG|MASK|SEL" */
  if (sqlite3_prepare_v2(x->db,
                         "SELECT sig FROM main.tables WHERE db=?1 AND name=?2",
                         -1, &st, NULL) != SQLITE_OK)
    goto io;
  sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    stored = asl_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  st = NULL;
  const char *smask = NULL, *ssel = NULL;
  int same_files = 0;
  if (stored && strlen(stored) > 17 && !strncmp(stored, fsig, 16) &&
      stored[16] == '|') {
    char *bar = strchr(stored + 17, '|');
    if (bar && (size_t)(bar - stored - 17) == ncols) {
      *bar = 0;
      smask = stored + 17;
      ssel = bar + 1;
      same_files = 1;
    }
  }
  if (same_files) {
    int covers = 1;
    for (size_t i = 0; i < ncols; i++)
      if (mask[i] == '1' && smask[i] != '1') covers = 0;
    if (strcmp(ssel, "*") && (!strcmp(nsel.s, "*") || !lines_subset(nsel.s, ssel)))
      covers = 0;
    if (covers) {
      /* the cached table must be there too */
      char *q =
          asl_sprintf("SELECT 1 FROM %s.sqlite_master WHERE name=?1", qdb);
      int ok = sqlite3_prepare_v2(x->db, q, -1, &st, NULL) == SQLITE_OK;
      free(q);
      if (ok) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_ROW;
      }
      sqlite3_finalize(st);
      st = NULL;
      if (ok) {
        rc = 0;
        goto done;
      }
    }
    /* load what the last load had and what this query needs: two queries
     * taking turns do not reload each time */
    for (size_t i = 0; i < ncols; i++)
      if (smask[i] == '1') lmask[i] = '1';
    if (!strcmp(ssel, "*") || !strcmp(nsel.s, "*")) {
      free(lsel);
      lsel = asl_strdup("*");
    } else if (*ssel) {
      size_t n = 0;
      char *both = asl_sprintf("%s%s%s", nsel.s, *nsel.s ? "\n" : "", ssel);
      char **v = asl_calloc(strlen(both) + 2, sizeof *v);
      for (char *t = both, *e; t; t = e) {
        e = strchr(t, '\n');
        if (e) *e++ = 0;
        v[n++] = t;
      }
      qsort(v, n, sizeof *v, cmp_cstr);
      asl_buf u = {0};
      for (size_t i = 0; i < n; i++)
        if (!i || strcmp(v[i], v[i - 1]))
          asl_buf_printf(&u, "%s%s", u.len ? "\n" : "", v[i]);
      free(lsel);
      lsel = u.s ? asl_buf_take(&u) : asl_strdup("");
      free(v);
      free(both);
    }
  }
  asl_buf_printf(&newsig, "%s|%s|%s", fsig, lmask, lsel);
  if (sqlite3_exec(x->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    goto io;
  in_tx = 1;
  asl_buf ddl = {0};
  asl_buf_printf(&ddl, "DROP TABLE IF EXISTS %s.%s", qdb, qt);
  char *q = asl_buf_take(&ddl);
  int ok = sqlite3_exec(x->db, q, NULL, NULL, NULL) == SQLITE_OK;
  free(q);
  if (!ok) goto io;
  asl_buf_printf(&ddl, "CREATE TABLE %s.%s (", qdb, qt);
  asl_buf ins = {0};
  asl_buf_printf(&ins, "INSERT INTO %s.%s VALUES (", qdb, qt);
  int k = 0;
  const cJSON *c;
  for (int pass = 0; pass < 2; pass++) {
    cJSON_ArrayForEach(c, (pass ? parts : cols)) {
      char tb[64];
      char *qn =
          quote_id(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
      asl_buf_printf(&ddl, "%s%s %s", k ? ", " : "", qn,
                     sql_result_type(col_type(c), tb));
      asl_buf_printf(&ins, "%s?", k ? ", " : "");
      free(qn);
      k++;
    }
  }
  asl_buf_puts(&ddl, ")");
  asl_buf_puts(&ins, ")");
  q = asl_buf_take(&ddl);
  ok = sqlite3_exec(x->db, q, NULL, NULL, NULL) == SQLITE_OK;
  free(q);
  q = asl_buf_take(&ins);
  if (ok) ok = sqlite3_prepare_v2(x->db, q, -1, &L.ins, NULL) == SQLITE_OK;
  free(q);
  if (!ok) goto io;

  L.x = x;
  L.err = err;
  L.cols = cols;
  L.ncols = ncols;
  L.parts = parts;
  L.nparts = nparts;
  L.pvals = asl_calloc(L.nparts + 1, sizeof *L.pvals);
  L.mask = lmask;
  L.serde = !strcmp(serde, "opencsv")   ? 'c'
            : !strcmp(serde, "json")    ? 'j'
            : !strcmp(serde, "parquet") ? 'p'
                                        : 'l';
  const cJSON *dv = cJSON_GetObjectItemCaseSensitive(spec, "delim");
  L.delim = cJSON_IsString(dv) && dv->valuestring[0]
                ? dv->valuestring[0]
                : (L.serde == 'c' ? ',' : '\001');
  const cJSON *ev = cJSON_GetObjectItemCaseSensitive(spec, "escape");
  L.has_esc = cJSON_IsString(ev) && ev->valuestring[0];
  L.esc = L.has_esc ? ev->valuestring[0] : 0;
  const char *qc = prop(spec, "serde_props", "quoteChar");
  L.quote = qc && *qc ? *qc : '"';
  const char *nf = prop(spec, "serde_props", "serialization.null.format");
  if (!nf) nf = prop(spec, "props", "serialization.null.format");
  L.nullfmt = nf ? nf : "\\N";
  const char *ib = prop(spec, "serde_props", "ignore.malformed.json");
  L.ignore_bad_json = ib && !strcasecmp(ib, "true");
  const char *sk = prop(spec, "props", "skip.header.line.count");
  L.skip = sk ? atoll(sk) : 0;
  if (L.skip < 0) L.skip = 0;

  int load_all = !strcmp(lsel, "*");
  for (size_t i = 0; i < fl.n; i++) {
    if (!fdir[i]) continue;
    for (size_t j = 0; j < L.nparts; j++) {
      free(L.pvals[j]);
      L.pvals[j] = NULL;
    }
    size_t dl = 0;
    if (L.nparts && part_values(parts, nparts, fl.v[i].rel, L.pvals, &dl) < 0)
      continue;
    if (!load_all) {
      /* in one of the partitions to load? */
      char *d = asl_strndup(fl.v[i].rel, dl);
      int want = *lsel && lines_subset(d, lsel);
      free(d);
      if (!want) continue;
    }
    char *path = asl_sprintf("%s/%s", dir, fl.v[i].rel);
    char *uri = *prefix
                    ? asl_sprintf("s3://%s/%s/%s", bucket, prefix, fl.v[i].rel)
                    : asl_sprintf("s3://%s/%s", bucket, fl.v[i].rel);
    L.file = uri;
    int r = load_file(&L, path);
    free(path);
    free(uri);
    L.file = NULL;
    if (r < 0) goto done;
  }
  if (sqlite3_prepare_v2(
          x->db, "UPDATE main.tables SET sig=?3 WHERE db=?1 AND name=?2", -1,
          &st, NULL) != SQLITE_OK)
    goto io;
  sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, newsig.s, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) goto io;
  if (sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto io;
  in_tx = 0;
  rc = 0;
  goto done;
io:
  if (sql_past_deadline(x))
    asl_error_set(err, "States.Timeout", "the query ran past its deadline");
  else
    asl_error_set(err, "InternalError", "loading %s.%s: %s", db, name,
                  sqlite3_errmsg(x->db));
done:
  if (in_tx) sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_finalize(st);
  sqlite3_finalize(L.ins);
  if (L.pvals) {
    for (size_t j = 0; j < L.nparts; j++)
      free(L.pvals[j]);
    free(L.pvals);
  }
  free(L.fields);
  free(L.flens);
  free(qdb);
  free(qt);
  free(dir);
  free(bucket);
  free(prefix);
  files_free(&fl);
  free(mask);
  free(lmask);
  free(lsel);
  free(stored);
  asl_buf_free(&newsig);
  asl_buf_free(&nsel);
  free(pc.v);
  free(pvals);
  free(fdir);
  free(fsel);
  for (size_t i = 0; i < ndirs; i++)
    free(dirs[i]);
  free(dirs);
  return rc;
}

/* ---- CTAS: a query's rows as Parquet files ---- */

/* The Parquet column for Athena type t (a result type: "bigint",
 * "integer", "varchar", "decimal(10,2)", ...). */
static int pq_col_for(const char *name, const char *t, asl_pq_column *c) {
  memset(c, 0, sizeof *c);
  c->nullable = 1;
  if (!strncmp(t, "decimal(", 8)) {
    char *spec = asl_sprintf("x:%s", t);
    asl_pq_column *v = NULL;
    size_t n = 0;
    asl_error e = {0};
    int rc = asl_pq_parse_schema(spec, &v, &n, &e);
    free(spec);
    asl_error_clear(&e);
    if (rc < 0 || n != 1) {
      asl_pq_columns_free(v, n);
      return -1;
    }
    *c = v[0];
    free(c->name);
    free(v);
  } else if (!strcmp(t, "bigint")) {
    c->physical = ASL_PQ_INT64;
  } else if (!strcmp(t, "integer") || !strcmp(t, "int") ||
             !strcmp(t, "smallint") || !strcmp(t, "tinyint")) {
    c->physical = ASL_PQ_INT32;
  } else if (!strcmp(t, "double")) {
    c->physical = ASL_PQ_DOUBLE;
  } else if (!strcmp(t, "real") || !strcmp(t, "float")) {
    c->physical = ASL_PQ_FLOAT;
  } else if (!strcmp(t, "boolean")) {
    c->physical = ASL_PQ_BOOLEAN;
  } else if (!strcmp(t, "date")) {
    c->physical = ASL_PQ_INT32;
    c->logical = ASL_PQ_L_DATE;
  } else if (!strcmp(t, "timestamp")) {
    c->physical = ASL_PQ_INT64;
    c->logical = ASL_PQ_L_TIMESTAMP_US;
  } else {
    c->physical = ASL_PQ_BYTE_ARRAY;
    c->logical = ASL_PQ_L_STRING;
  }
  c->name = asl_strdup(name);
  return 0;
}

/* v as a value of column c (NULL when it does not fit). *text keeps a
 * string alive until the row is appended. */
static void pq_val(const asl_pq_column *c, const char *type,
                   sqlite3_value *v, asl_pq_value *o, char **text) {
  memset(o, 0, sizeof *o);
  int st = sqlite3_value_type(v);
  if (st == SQLITE_NULL) return;
  double d;
  long long ll;
  if (c->logical == ASL_PQ_L_STRING) {
    *text = sql_fmt_value(v, type);
    if (*text) {
      o->kind = ASL_PQ_V_BYTES;
      o->s = *text;
      o->n = strlen(*text);
    }
  } else if (c->logical == ASL_PQ_L_DATE ||
             c->logical == ASL_PQ_L_TIMESTAMP_US) {
    const char *s = (const char *)sqlite3_value_text(v);
    int ht;
    if (s && sql_parse_ts(s, 0, &ll, &ht) == 0) {
      o->kind = ASL_PQ_V_INT;
      if (c->logical == ASL_PQ_L_DATE)
        o->i = ll >= 0 ? ll / 86400000 : -((-ll + 86399999) / 86400000);
      else
        o->i = ll * 1000;
    }
  } else if (c->logical == ASL_PQ_L_DECIMAL) {
    d = st == SQLITE_TEXT ? 0 : sqlite3_value_double(v);
    if (st == SQLITE_TEXT) {
      const char *s = (const char *)sqlite3_value_text(v);
      if (strict_dbl(s, strlen(s), &d) < 0) return;
    }
    o->kind = ASL_PQ_V_INT;
    o->i = llround(d * pow(10.0, c->scale));
  } else if (c->physical == ASL_PQ_BOOLEAN) {
    o->kind = ASL_PQ_V_BOOL;
    o->b = sqlite3_value_int64(v) != 0;
  } else if (c->physical == ASL_PQ_DOUBLE || c->physical == ASL_PQ_FLOAT) {
    if (st == SQLITE_TEXT) {
      const char *s = (const char *)sqlite3_value_text(v);
      if (strict_dbl(s, strlen(s), &d) < 0) return;
    } else {
      d = sqlite3_value_double(v);
    }
    o->kind = ASL_PQ_V_DOUBLE;
    o->d = d;
  } else {
    if (st == SQLITE_TEXT) {
      const char *s = (const char *)sqlite3_value_text(v);
      if (strict_ll(s, strlen(s), &ll) < 0) return;
    } else if (st == SQLITE_FLOAT) {
      ll = (long long)sqlite3_value_double(v);
    } else {
      ll = sqlite3_value_int64(v);
    }
    if (c->physical == ASL_PQ_INT32 && (ll < INT32_MIN || ll > INT32_MAX))
      return;
    o->kind = ASL_PQ_V_INT;
    o->i = ll;
  }
}

/* Hive's escaping of a partition value in a folder name
 * (FileUtils.escapePathName): control characters and "#%'*\/:=?\\{[]^"
 * as %XX. */
static void esc_part(asl_buf *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7f || strchr("\"#%'*/:=?\\{[]^", *p))
      asl_buf_printf(b, "%%%02X", *p);
    else
      asl_buf_putc(b, (char)*p);
  }
}

typedef struct ctas_part {
  char *dir; /* "day=2026-01-01" or "" */
  asl_pq_writer *w;
  char *tmp, *key;
} ctas_part;

#define CTAS_MAX_WRITERS 100 /* Athena's limit of open partition writers */

static int ctas_nonempty_cb(const char *key, const char *path, void *ud) {
  (void)key;
  (void)path;
  (void)ud;
  return 1;
}

int sql_ext_write_parquet(sqlx *x, sqlite3_stmt *st, const char *table,
                          const cJSON *spec, int codec, long long *rows,
                          asl_error *err) {
  const char *loc = cJSON_GetStringValue(
      cJSON_GetObjectItemCaseSensitive(spec, "location"));
  char *bucket, *prefix;
  *rows = 0;
  if (sql_split_location(loc, &bucket, &prefix, err) < 0) return -1;
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  const cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
  size_t nc = (size_t)cJSON_GetArraySize(cols);
  size_t np = (size_t)cJSON_GetArraySize(parts);
  int rc = -1;
  asl_pq_column *pcols = asl_calloc(nc + 1, sizeof *pcols);
  const char **types = asl_calloc(nc + np + 1, sizeof *types);
  ctas_part *pv = NULL;
  size_t npv = 0;
  asl_pq_value *row = asl_calloc(nc + 1, sizeof *row);
  char **texts = asl_calloc(nc + 1, sizeof *texts);
  char *pfx = *prefix ? asl_sprintf("%s/", prefix) : asl_strdup("");
  asl_error le = {0};
  /* the location must be empty, as Athena's CTAS checks */
  int w = asl_lake_walk(x->lake, bucket, pfx, ctas_nonempty_cb, NULL, &le);
  if (w < 0) {
    asl_error_set(err, "InvalidRequestException", "%s: %s: %s", loc,
                  le.name ? le.name : "", le.cause ? le.cause : "");
    goto out;
  }
  if (w > 0) {
    asl_error_set(err, "InvalidRequestException",
                  "HIVE_PATH_ALREADY_EXISTS: Target directory for table "
                  "'%s' already exists: %s",
                  table, loc);
    goto out;
  }
  char tb[64];
  for (size_t i = 0; i < nc + np; i++) {
    const cJSON *c = i < nc ? cJSON_GetArrayItem(cols, (int)i)
                            : cJSON_GetArrayItem(parts, (int)(i - nc));
    types[i] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "type"));
    if (!types[i]) types[i] = "string";
    if (i < nc &&
        pq_col_for(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                   sql_result_type(types[i], tb), &pcols[i]) < 0) {
      asl_error_set(err, "InvalidRequestException",
                    "NOT_SUPPORTED: type %s cannot be written to Parquet",
                    types[i]);
      goto out;
    }
  }
  asl_pq_write_opts o = {0};
  o.codec = (asl_pq_codec)codec;
  o.created_by = "asl athena ctas";
  char *tmpd = asl_sprintf("%s/.tmp", x->lake);
  mkdir(tmpd, 0755);
  char qid[64];
  sql_stamp_name(qid, sizeof qid, 5);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    asl_buf dir = {0};
    for (size_t j = 0; j < np; j++) {
      const char *pn = cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetArrayItem(parts, (int)j), "name")
                           ->valuestring;
      char *t = sql_fmt_value(sqlite3_column_value(st, (int)(nc + j)),
                              sql_result_type(types[nc + j], tb));
      asl_buf_printf(&dir, "%s%s=", j ? "/" : "", pn);
      esc_part(&dir, t ? t : "__HIVE_DEFAULT_PARTITION__");
      free(t);
    }
    const char *d = dir.s ? dir.s : "";
    ctas_part *p = NULL;
    for (size_t k = 0; k < npv && !p; k++)
      if (!strcmp(pv[k].dir, d)) p = &pv[k];
    if (!p) {
      if (npv == CTAS_MAX_WRITERS) {
        asl_buf_free(&dir);
        asl_error_set(err, "InvalidRequestException",
                      "HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of %d "
                      "open writers for partitions/buckets",
                      CTAS_MAX_WRITERS);
        goto close;
      }
      pv = asl_realloc(pv, (npv + 1) * sizeof *pv);
      p = &pv[npv++];
      memset(p, 0, sizeof *p);
      p->dir = asl_strdup(d);
      p->key = asl_sprintf("%s%s%s%s_%05zu", pfx, d, *d ? "/" : "", qid, npv);
      static unsigned long seq;
      p->tmp = asl_sprintf("%s/ctas-%d-%lu", tmpd, (int)getpid(),
                           __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
      asl_error pe = {0};
      p->w = asl_pq_writer_create(p->tmp, pcols, nc, &o, &pe);
      if (!p->w) {
        asl_error_set(err, "InternalError", "writing s3://%s/%s: %s", bucket,
                      p->key, pe.cause ? pe.cause : "");
        asl_error_clear(&pe);
        asl_buf_free(&dir);
        goto close;
      }
    }
    asl_buf_free(&dir);
    for (size_t i = 0; i < nc; i++)
      pq_val(&pcols[i], sql_result_type(types[i], tb),
             sqlite3_column_value(st, (int)i), &row[i], &texts[i]);
    asl_error pe = {0};
    int ar = asl_pq_writer_append(p->w, row, &pe);
    for (size_t i = 0; i < nc; i++) {
      free(texts[i]);
      texts[i] = NULL;
    }
    if (ar < 0) {
      asl_error_set(err, "InternalError", "writing s3://%s/%s: %s", bucket,
                    p->key, pe.cause ? pe.cause : "");
      asl_error_clear(&pe);
      goto close;
    }
    (*rows)++;
    if (*rows % 4096 == 0 && sql_past_deadline(x)) {
      asl_error_set(err, "States.Timeout", "the query ran past its deadline");
      goto close;
    }
  }
  if (r != SQLITE_DONE) {
    asl_error_set(err, "InvalidRequestException", "%s",
                  sqlite3_errmsg(x->db));
    goto close;
  }
  rc = 0;
close:
  /* close every writer; publish all of them only when all closed */
  for (size_t k = 0; k < npv; k++) {
    asl_error pe = {0};
    if (rc == 0) {
      if (asl_pq_writer_close(pv[k].w, &pe) < 0) {
        asl_error_set(err, "InternalError", "writing s3://%s/%s: %s", bucket,
                      pv[k].key, pe.cause ? pe.cause : "");
        rc = -1;
      }
    } else {
      asl_pq_writer_abort(pv[k].w);
    }
    pv[k].w = NULL;
    asl_error_clear(&pe);
  }
  for (size_t k = 0; rc == 0 && k < npv; k++) {
    /* the object put renames a staged file: read it through the lake's
     * writer so names and folders follow the lake's rules */
    asl_lake_writer *lw = asl_lake_write_open(x->lake, bucket, pv[k].key, &le);
    FILE *f = lw ? fopen(pv[k].tmp, "rb") : NULL;
    char buf[65536];
    size_t n;
    int ok = lw && f;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
      if (asl_lake_write(lw, buf, n, &le) < 0) ok = 0;
    if (f) fclose(f);
    if (ok) {
      ok = asl_lake_write_commit(lw, NULL, &le) == 0;
    } else {
      asl_lake_write_abort(lw);
    }
    if (!ok) {
      asl_error_set(err, "InternalError", "writing s3://%s/%s: %s: %s", bucket,
                    pv[k].key, le.name ? le.name : "",
                    le.cause ? le.cause : strerror(errno));
      rc = -1;
      /* remove what was published already */
      for (size_t j = 0; j < k; j++)
        asl_lake_delete(x->lake, bucket, pv[j].key, &le);
    }
  }
  for (size_t k = 0; k < npv; k++) {
    unlink(pv[k].tmp);
    free(pv[k].tmp);
    free(pv[k].key);
    free(pv[k].dir);
  }
  free(pv);
  free(tmpd);
out:
  asl_error_clear(&le);
  asl_pq_columns_free(pcols, nc);
  free(types);
  free(row);
  free(texts);
  free(pfx);
  free(bucket);
  free(prefix);
  return rc;
}
