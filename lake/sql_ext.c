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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

/* Fills L->pvals from rel's leading col=value/ folders; 0 when rel is in a
 * partition of this table, -1 when the file is to be skipped. */
static int part_values(loader *L, const char *rel) {
  const char *p = rel;
  for (size_t i = 0; i < L->nparts; i++) {
    const char *sl = strchr(p, '/');
    if (!sl) return -1;
    const cJSON *pc = cJSON_GetArrayItem(L->parts, (int)i);
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
    L->pvals[i] = v;
    p = sl + 1;
  }
  return 0;
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
                    const cJSON *spec, asl_error *err) {
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
  /* the signature: definition + files */
  char *specs = cJSON_PrintUnformatted(spec);
  unsigned long long h = fnv(1469598103934665603ULL, specs, strlen(specs));
  cJSON_free(specs);
  long long total = 0;
  for (size_t i = 0; i < fl.n; i++) {
    char b[64];
    h = fnv(h, fl.v[i].rel, strlen(fl.v[i].rel) + 1);
    int k = snprintf(b, sizeof b, "%lld/%lld;", fl.v[i].size, fl.v[i].mtime_ns);
    h = fnv(h, b, (size_t)k);
    total += fl.v[i].size;
  }
  char sig[32];
  snprintf(sig, sizeof sig, "%016llx", h);
  x->bytes_scanned += total;

  int rc = -1;
  char *qdb = quote_id(db), *qt = quote_id(name);
  sqlite3_stmt *st = NULL;
  loader L = {0};
  int in_tx = 0;
  /* the same signature: nothing to do */
  if (sqlite3_prepare_v2(x->db,
                         "SELECT sig FROM main.tables WHERE db=?1 AND name=?2",
                         -1, &st, NULL) != SQLITE_OK)
    goto io;
  sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  int same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
             !strcmp((const char *)sqlite3_column_text(st, 0), sig);
  sqlite3_finalize(st);
  st = NULL;
  if (same) {
    /* the cached table must be there too */
    char *q = asl_sprintf("SELECT 1 FROM %s.sqlite_master WHERE name=?1", qdb);
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
  if (sqlite3_exec(x->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    goto io;
  in_tx = 1;
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  const cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
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
  L.ncols = (size_t)cJSON_GetArraySize(cols);
  L.parts = parts;
  L.nparts = (size_t)cJSON_GetArraySize(parts);
  L.pvals = asl_calloc(L.nparts + 1, sizeof *L.pvals);
  const cJSON *sd = cJSON_GetObjectItemCaseSensitive(spec, "serde");
  const char *serde = cJSON_IsString(sd) ? sd->valuestring : "lazy";
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

  for (size_t i = 0; i < fl.n; i++) {
    for (size_t j = 0; j < L.nparts; j++) {
      free(L.pvals[j]);
      L.pvals[j] = NULL;
    }
    if (L.nparts && part_values(&L, fl.v[i].rel) < 0) continue;
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
  sqlite3_bind_text(st, 3, sig, -1, SQLITE_STATIC);
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
  return rc;
}
