/* glue.c: Glue jobs for Task states, served by a built-in conversion over
 * the lake (lake/lake.h) written with the Parquet codec (lake/parquet.h).
 * Resources:
 *  - arn:PARTITION:states:::glue:startJobRun[.sync] (resourceType "glue";
 *    AWS's optimized integration has no getJobRun);
 *  - arn:PARTITION:states:::aws-sdk:glue:startJobRun / getJobRun
 *    (resourceType "aws-sdk:glue").
 * JobName must be bound in the bindings file:
 *   "GlueJobs": {"NAME": {"builtin": "convert", "args": {...}}}
 * (checked in engine/subst.c). The job's Arguments ("--source": "s3://..")
 * are passed through: each "--KEY" overrides args.KEY for this run, and all
 * of them are recorded in the run.
 * convert's arguments:
 *   source      s3://BUCKET/PREFIX: every object under it is read, as JSON
 *               lines (one object a line) or, when a line is not a whole
 *               JSON value, as one JSON document (an object, or an array of
 *               objects);
 *   target      s3://BUCKET/PREFIX: part-NNNNN.parquet objects go under it
 *               (under key=value/ folders when partitioned);
 *   schema      optional, asl_pq_parse_schema's "name:type,..."; when absent
 *               it is inferred from the first record (integers int64, other
 *               numbers double, booleans bool, everything else string, nested
 *               values as their JSON text), columns in the record's order;
 *   partition_by optional, an array of column names (or "a,b"): the rows go
 *               to folders COLUMN=VALUE/ and those columns leave the files;
 *   codec       optional: snappy (default), zstd, gzip, none.
 * Values that do not fit their column are written as NULL.
 * startJobRun runs the conversion before it returns (on the Task's worker
 * thread) and answers {"JobRunId": "jr_<64 hex>"} (the optimized
 * integration adds "JobName", as AWS's connect-glue page says); .sync returns
 * GetJobRun's JobRun object; a FAILED run under .sync fails the Task with
 * States.TaskFailed, the cause being the JobRun as compact JSON. Runs are
 * kept in $ASL_HOME/glue/runs.db so getJobRun finds them later. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <sqlite3.h>

#include "../../engine/json.h"
#include "../../engine/task.h"
#include "../../lake/lake.h"
#include "../../lake/parquet.h"
#include "glue.h"

typedef struct route {
  int op; /* 0 start, 1 get */
  int sync, sdk;
  const char *name;
} route;

static int route_of(const char *r, route *rt) {
  const char *p = asl_task_service_op(r, "glue", &rt->sdk);
  if (!p) return -1;
  rt->name = p;
  rt->sync = 0;
  if (!strcmp(p, "startJobRun"))
    rt->op = 0;
  else if (!strcmp(p, "startJobRun.sync") && !rt->sdk)
    rt->op = 0, rt->sync = 1;
  else if (!strcmp(p, "getJobRun") && rt->sdk)
    rt->op = 1; /* AWS's optimized integration has startJobRun only */
  else
    return -1;
  return 0;
}

static int glue_match(const char *resource, const char **rtype,
                      const char **rname, int *lambda_events) {
  route rt;
  if (route_of(resource, &rt) < 0) return 0;
  *rtype = rt.sdk ? "aws-sdk:glue" : "glue";
  *rname = rt.name;
  *lambda_events = 0;
  return 1;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- runs.db ---- */

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, job TEXT NOT NULL,"
    " state TEXT NOT NULL, args TEXT NOT NULL, started REAL NOT NULL,"
    " completed REAL, error TEXT, rows INTEGER, files INTEGER)";

static sqlite3 *db_open(asl_error *err) {
  char *home = asl_home_dir();
  char *dir = asl_sprintf("%s/glue", home);
  mkdir(home, 0755);
  mkdir(dir, 0755);
  char *path = asl_sprintf("%s/runs.db", dir);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(
      path, &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 15000);
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
      rc = SQLITE_ERROR;
  }
  if (rc != SQLITE_OK) {
    asl_error_set(err, "Glue.InternalServiceException", "cannot open %s: %s",
                  path, db ? sqlite3_errmsg(db) : "");
    sqlite3_close(db);
    db = NULL;
  }
  free(path);
  free(dir);
  free(home);
  return db;
}

/* ---- the conversion ---- */

typedef struct part_out {
  char *dir; /* "nat=DE/year=2020" or "" */
  asl_pq_writer *w; /* output_format parquet */
  FILE *f;          /* output_format csv or json */
  char *tmp, *final;
  long long rows;
} part_out;

typedef struct conv {
  const char *root;
  char *tbucket, *tprefix;
  asl_pq_column *cols;
  size_t ncols;
  int *is_part; /* per column */
  size_t *data_idx;
  asl_pq_column *dcols; /* data columns only (borrowed names) */
  size_t ndcols;
  char **jnames; /* output json: the data columns' names as JSON strings */
  asl_pq_write_opts o;
  part_out *parts;
  size_t nparts;
  long long rows;
  const cJSON *part_by;
  char *run_id;
  int in_fmt;  /* 'j' json (lines or documents), 'c' csv */
  int out_fmt; /* 'p' parquet, 'c' csv, 'j' json lines */
  int header;  /* csv input: the first record names the columns */
  char delim;  /* csv input */
  asl_error *err;
} conv;

static int split_s3(const char *u, char **bucket, char **prefix) {
  if (!u || strncmp(u, "s3://", 5) != 0) return -1;
  const char *b = u + 5, *s = strchr(b, '/');
  size_t bl = s ? (size_t)(s - b) : strlen(b);
  if (!bl) return -1;
  *bucket = asl_strndup(b, bl);
  const char *p = s ? s + 1 : "";
  size_t pl = strlen(p);
  while (pl && p[pl - 1] == '/')
    pl--;
  *prefix = asl_strndup(p, pl);
  return 0;
}

/* JSON text of v as a malloc'd string (cJSON's allocator is the pool's). */
static char *json_text(const cJSON *v) {
  char *j = cJSON_PrintUnformatted(v);
  char *r = asl_strdup(j ? j : "null");
  cJSON_free(j);
  return r;
}

/* Column kinds the inference gives: int64, double, bool, string. */
static void set_col(asl_pq_column *c, const char *name, char t) {
  memset(c, 0, sizeof *c);
  c->name = asl_strdup(name);
  c->nullable = 1;
  c->physical = t == 'i'   ? ASL_PQ_INT64
                : t == 'd' ? ASL_PQ_DOUBLE
                : t == 'b' ? ASL_PQ_BOOLEAN
                           : ASL_PQ_BYTE_ARRAY;
  c->logical = t == 's' ? ASL_PQ_L_STRING : ASL_PQ_L_NONE;
}

static void infer(conv *c, const cJSON *o) {
  size_t n = (size_t)cJSON_GetArraySize(o);
  if (!n) return;
  c->cols = asl_calloc(n, sizeof *c->cols);
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    char t = 's';
    if (cJSON_IsBool(v))
      t = 'b';
    else if (cJSON_IsNumber(v))
      t = v->valuedouble == (double)(long long)v->valuedouble ? 'i' : 'd';
    set_col(&c->cols[c->ncols++], v->string, t);
  }
}

static int setup_columns(conv *c) {
  c->is_part = asl_calloc(c->ncols + 1, sizeof *c->is_part);
  c->data_idx = asl_calloc(c->ncols + 1, sizeof *c->data_idx);
  c->dcols = asl_calloc(c->ncols + 1, sizeof *c->dcols);
  c->jnames = asl_calloc(c->ncols + 1, sizeof *c->jnames);
  for (size_t i = 0; i < c->ncols; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(c->cols[i].name, c->cols[j].name))
        return asl_error_set(c->err, "Glue.InvalidInputException",
                             "the column name %s appears twice",
                             c->cols[i].name);
  const cJSON *pb;
  cJSON_ArrayForEach(pb, c->part_by) {
    size_t i;
    for (i = 0; i < c->ncols; i++)
      if (cJSON_IsString(pb) && !strcmp(c->cols[i].name, pb->valuestring))
        break;
    if (i == c->ncols)
      return asl_error_set(c->err, "Glue.InvalidInputException",
                           "partition_by: no column named %s in the schema",
                           cJSON_IsString(pb) ? pb->valuestring : "(not a "
                                                                  "string)");
    c->is_part[i] = 1;
  }
  for (size_t i = 0; i < c->ncols; i++)
    if (!c->is_part[i]) {
      cJSON *js = cJSON_CreateString(c->cols[i].name);
      c->jnames[c->ndcols] = json_text(js);
      cJSON_Delete(js);
      c->data_idx[c->ndcols] = i;
      c->dcols[c->ndcols++] = c->cols[i];
    }
  if (!c->ndcols)
    return asl_error_set(c->err, "Glue.InvalidInputException",
                         "every column is a partition column");
  return 0;
}

static part_out *part_for(conv *c, const char *dir) {
  for (size_t i = 0; i < c->nparts; i++)
    if (!strcmp(c->parts[i].dir, dir)) return &c->parts[i];
  c->parts = asl_realloc(c->parts, (c->nparts + 1) * sizeof *c->parts);
  part_out *p = &c->parts[c->nparts++];
  memset(p, 0, sizeof *p);
  p->dir = asl_strdup(dir);
  const char *ext = c->out_fmt == 'c'   ? "csv"
                    : c->out_fmt == 'j' ? "json"
                                        : "parquet";
  char *key = asl_sprintf("%s%s%s%spart-%s.%s", c->tprefix,
                          *c->tprefix ? "/" : "", dir, *dir ? "/" : "",
                          c->run_id, ext);
  p->final = asl_sprintf("%s/%s/%s", c->root, c->tbucket, key);
  char *tmpd = asl_sprintf("%s/.tmp", c->root);
  mkdir(tmpd, 0755);
  static unsigned long seq;
  p->tmp = asl_sprintf("%s/glue-%d-%lu.%s", tmpd, (int)getpid(),
                       __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED), ext);
  free(tmpd);
  asl_error e = {0};
  if (c->out_fmt == 'p') {
    p->w = asl_pq_writer_create(p->tmp, c->dcols, c->ndcols, &c->o, &e);
  } else {
    p->f = fopen(p->tmp, "wb");
    if (!p->f)
      asl_error_set(&e, "Glue.InternalServiceException", "%s",
                    strerror(errno));
    else if (c->out_fmt == 'c') { /* the header row */
      asl_buf h = {0};
      for (size_t i = 0; i < c->ndcols; i++) {
        asl_pq_value v = {0};
        v.kind = ASL_PQ_V_BYTES;
        v.s = c->dcols[i].name;
        v.n = strlen(v.s);
        if (i) asl_buf_putc(&h, ',');
        asl_pq_value_text(&h, &v, 0);
      }
      asl_buf_putc(&h, '\n');
      fwrite(h.s, 1, h.len, p->f);
      asl_buf_free(&h);
    }
  }
  if (!p->w && !p->f) {
    asl_error_set(c->err, "Glue.InternalServiceException", "writing %s: %s",
                  key, e.cause ? e.cause : "");
    asl_error_clear(&e);
    free(key);
    return NULL;
  }
  free(key);
  return p;
}

/* One row of the data columns to p's file. */
static int write_row(conv *c, part_out *p, const asl_pq_value *row,
                     const char *where) {
  if (p->w) {
    asl_error e = {0};
    if (asl_pq_writer_append(p->w, row, &e) < 0) {
      asl_error_set(c->err, "Glue.InvalidInputException", "%s: %s", where,
                    e.cause ? e.cause : "");
      asl_error_clear(&e);
      return -1;
    }
    return 0;
  }
  asl_buf b = {0};
  if (c->out_fmt == 'j') {
    /* JSON lines as Spark writes them: NULL fields left out */
    asl_buf_putc(&b, '{');
    int n = 0;
    for (size_t i = 0; i < c->ndcols; i++) {
      if (row[i].kind == ASL_PQ_V_NULL) continue;
      asl_buf_printf(&b, "%s%s:", n++ ? "," : "", c->jnames[i]);
      asl_pq_value_text(&b, &row[i], 1);
    }
    asl_buf_puts(&b, "}\n");
  } else {
    for (size_t i = 0; i < c->ndcols; i++) {
      if (i) asl_buf_putc(&b, ',');
      asl_pq_value_text(&b, &row[i], 0);
    }
    asl_buf_putc(&b, '\n');
  }
  int rc = 0;
  if (fwrite(b.s, 1, b.len, p->f) != b.len)
    rc = asl_error_set(c->err, "Glue.InternalServiceException",
                       "writing %s: %s", p->final, strerror(errno));
  asl_buf_free(&b);
  return rc;
}

/* A row of all columns (vals[i] for column i; ptext[i] the text of a
 * partition column's value, NULL for NULL) to its partition's file. */
static int emit_row(conv *c, const asl_pq_value *vals, char **ptext,
                    const char *where) {
  asl_pq_value *row = asl_calloc(c->ndcols + 1, sizeof *row);
  asl_buf dir = {0};
  int rc = 0;
  for (size_t i = 0; i < c->ncols; i++) {
    if (!c->is_part[i]) continue;
    char *t = asl_strdup(ptext[i] ? ptext[i] : "__HIVE_DEFAULT_PARTITION__");
    for (char *q = t; *q; q++)
      if (*q == '/' || *q == '=') *q = '_';
    if (!*t || !strcmp(t, ".") || !strcmp(t, "..")) {
      free(t);
      t = asl_strdup("__HIVE_DEFAULT_PARTITION__");
    }
    asl_buf_printf(&dir, "%s%s=%s", dir.len ? "/" : "", c->cols[i].name, t);
    free(t);
  }
  for (size_t k = 0; k < c->ndcols; k++) {
    size_t i = c->data_idx[k];
    row[k] = vals[i];
    if (row[k].kind == ASL_PQ_V_NULL && !c->cols[i].nullable) {
      rc = asl_error_set(c->err, "Glue.InvalidInputException",
                         "%s: column %s is required but the record has no "
                         "value of its type",
                         where, c->cols[i].name);
      goto out;
    }
  }
  part_out *p = part_for(c, dir.s ? dir.s : "");
  if (!p || write_row(c, p, row, where) < 0) {
    rc = -1;
    goto out;
  }
  p->rows++;
  c->rows++;
out:
  free(row);
  asl_buf_free(&dir);
  return rc;
}

static int add_record(conv *c, const cJSON *o, const char *where) {
  if (!cJSON_IsObject(o))
    return asl_error_set(c->err, "Glue.InvalidInputException",
                         "%s: a record must be a JSON object", where);
  if (!c->cols) {
    infer(c, o);
    if (!c->cols)
      return asl_error_set(c->err, "Glue.InvalidInputException",
                           "%s: cannot infer a schema from this record", where);
    if (setup_columns(c) < 0) return -1;
  }
  asl_pq_value *vals = asl_calloc(c->ncols + 1, sizeof *vals);
  char **texts = asl_calloc(c->ncols + 1, sizeof *texts);
  cJSON **tmps = asl_calloc(c->ncols + 1, sizeof *tmps);
  for (size_t i = 0; i < c->ncols; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, c->cols[i].name);
    if (c->is_part[i]) {
      texts[i] = !v || cJSON_IsNull(v) ? NULL
                 : cJSON_IsString(v)   ? asl_strdup(v->valuestring)
                                       : json_text(v);
      continue;
    }
    const char *why;
    const cJSON *use = v;
    if (v && (cJSON_IsObject(v) || cJSON_IsArray(v)) &&
        c->cols[i].logical == ASL_PQ_L_STRING) {
      /* nested values as their JSON text; the string lives in tmps[i] */
      char *t = json_text(v);
      tmps[i] = cJSON_CreateString(t);
      free(t);
      use = tmps[i];
    }
    if (!use || asl_pq_value_from_json(&c->cols[i], use, &vals[i], &why) < 0)
      vals[i].kind = ASL_PQ_V_NULL;
  }
  int rc = emit_row(c, vals, texts, where);
  for (size_t i = 0; i < c->ncols; i++) {
    free(texts[i]);
    cJSON_Delete(tmps[i]);
  }
  free(tmps);
  free(texts);
  free(vals);
  return rc;
}

/* One JSON object: JSON lines (a line may also hold an array of records),
 * else one JSON document over several lines. A line is parsed once. */
static int read_json(conv *c, const char *path, const char *uri) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return asl_error_set(c->err, "Glue.InternalServiceException",
                         "cannot read %s: %s", uri, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long long ln = 0, seen = 0;
  int rc = 0, whole = 0;
  while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
    ln++;
    size_t k = 0;
    while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t' ||
                             line[k] == '\r' || line[k] == '\n'))
      k++;
    if (k == (size_t)n) continue;
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(line, (size_t)n, &end, 0);
    if (o && end) { /* only blanks may follow the value */
      while (end < line + n && (*end == ' ' || *end == '\t' || *end == '\r' ||
                                *end == '\n'))
        end++;
      if (end < line + n) {
        cJSON_Delete(o);
        o = NULL;
      }
    }
    if (!o) {
      if (seen == 0) { /* the first value spans lines: one document */
        whole = 1;
        break;
      }
      rc = asl_error_set(c->err, "Glue.InvalidInputException",
                         "%s line %lld: not a JSON object", uri, ln);
      break;
    }
    seen++;
    if (cJSON_IsArray(o)) {
      int i = 0;
      const cJSON *it;
      cJSON_ArrayForEach(it, o) {
        char *where = asl_sprintf("%s line %lld item %d", uri, ln, i++);
        rc = add_record(c, it, where);
        free(where);
        if (rc) break;
      }
    } else {
      char *where = asl_sprintf("%s line %lld", uri, ln);
      rc = add_record(c, o, where);
      free(where);
    }
    cJSON_Delete(o);
  }
  free(line);
  if (rc || !whole) {
    fclose(f);
    return rc;
  }
  /* one JSON document */
  rewind(f);
  asl_buf b = {0};
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, got);
  fclose(f);
  cJSON *doc = cJSON_ParseWithLength(b.s ? b.s : "", b.len);
  asl_buf_free(&b);
  if (!doc)
    return asl_error_set(c->err, "Glue.InvalidInputException",
                         "%s: neither JSON lines nor a JSON document", uri);
  if (cJSON_IsArray(doc)) {
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, doc) {
      char *where = asl_sprintf("%s item %d", uri, i++);
      rc = add_record(c, it, where);
      free(where);
      if (rc) break;
    }
  } else {
    rc = add_record(c, doc, uri);
  }
  cJSON_Delete(doc);
  return rc;
}

/* ---- CSV input (RFC 4180, parsed by libcsv) ---- */

#define CSV_INFER_ROWS 1000 /* records the schema is inferred from */

typedef struct csv_rec {
  char **f; /* NULL: an empty unquoted field */
  size_t n;
  long long line;
} csv_rec;

typedef struct csvrd {
  conv *c;
  const char *uri;
  long long line; /* the line being fed to the parser */
  csv_rec cur;
  size_t capf;
  char **names; /* this object's header (or the schema's names) */
  size_t nnames;
  int *colmap; /* header field -> column, -1: not a column */
  csv_rec *pend; /* records held back to infer the schema */
  size_t npend;
  int rc;
} csvrd;

static void rec_free(csv_rec *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->f[i]);
  free(r->f);
  memset(r, 0, sizeof *r);
}

static int strict_ll(const char *s, long long *out) {
  char *e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (e == s || *e || errno) return -1;
  *out = v;
  return 0;
}

static int strict_dbl(const char *s, double *out) {
  char *e;
  double v = strtod(s, &e);
  if (e == s || *e) return -1;
  *out = v;
  return 0;
}

static int is_bool(const char *s) {
  return !strcasecmp(s, "true") || !strcasecmp(s, "false");
}

/* Column types from the held records: the narrowest of bool, int64,
 * double that every non-empty value fits, else string. */
static int csv_infer(csvrd *r) {
  conv *c = r->c;
  c->cols = asl_calloc(r->nnames + 1, sizeof *c->cols);
  for (size_t j = 0; j < r->nnames; j++) {
    int can_b = 1, can_i = 1, can_d = 1, any = 0;
    for (size_t k = 0; k < r->npend; k++) {
      const char *v = j < r->pend[k].n ? r->pend[k].f[j] : NULL;
      if (!v || !*v) continue;
      any = 1;
      long long ll;
      double d;
      if (can_b && !is_bool(v)) can_b = 0;
      if (can_i && strict_ll(v, &ll) < 0) can_i = 0;
      if (can_d && strict_dbl(v, &d) < 0) can_d = 0;
    }
    char t = !any ? 's' : can_b ? 'b' : can_i ? 'i' : can_d ? 'd' : 's';
    set_col(&c->cols[c->ncols++], r->names[j], t);
  }
  return setup_columns(c);
}

static void csv_map(csvrd *r) {
  free(r->colmap);
  r->colmap = asl_malloc((r->nnames + 1) * sizeof *r->colmap);
  for (size_t j = 0; j < r->nnames; j++) {
    r->colmap[j] = -1;
    for (size_t i = 0; i < r->c->ncols; i++)
      if (!strcmp(r->c->cols[i].name, r->names[j])) r->colmap[j] = (int)i;
  }
}

/* The value of text s (NULL: an empty unquoted field) in column col. */
static void csv_value(const asl_pq_column *col, const char *s,
                      asl_pq_value *v, cJSON **tmp) {
  memset(v, 0, sizeof *v);
  if (!s) return; /* NULL */
  long long ll;
  double d;
  if ((col->physical == ASL_PQ_INT32 || col->physical == ASL_PQ_INT64) &&
      (col->logical == ASL_PQ_L_NONE || col->logical == ASL_PQ_L_INT)) {
    if (strict_ll(s, &ll) == 0) {
      v->kind = ASL_PQ_V_INT;
      v->i = ll;
      if (col->physical == ASL_PQ_INT32 && (ll < INT32_MIN || ll > INT32_MAX))
        v->kind = ASL_PQ_V_NULL;
    }
  } else if (col->physical == ASL_PQ_DOUBLE || col->physical == ASL_PQ_FLOAT) {
    if (strict_dbl(s, &d) == 0) {
      v->kind = ASL_PQ_V_DOUBLE;
      v->d = d;
    }
  } else if (col->physical == ASL_PQ_BOOLEAN) {
    if (is_bool(s)) {
      v->kind = ASL_PQ_V_BOOL;
      v->b = !strcasecmp(s, "true");
    }
  } else if (col->logical == ASL_PQ_L_STRING ||
             (col->physical == ASL_PQ_BYTE_ARRAY &&
              col->logical == ASL_PQ_L_NONE)) {
    v->kind = ASL_PQ_V_BYTES;
    v->s = s;
    v->n = strlen(s);
  } else if (*s) {
    /* dates, timestamps, decimals, fixed: the codec parses the text */
    const char *why;
    *tmp = cJSON_CreateString(s);
    if (asl_pq_value_from_json(col, *tmp, v, &why) < 0)
      v->kind = ASL_PQ_V_NULL;
  }
}

static int csv_emit(csvrd *r, const csv_rec *rec) {
  conv *c = r->c;
  asl_pq_value *vals = asl_calloc(c->ncols + 1, sizeof *vals);
  char **ptext = asl_calloc(c->ncols + 1, sizeof *ptext);
  cJSON **tmps = asl_calloc(c->ncols + 1, sizeof *tmps);
  for (size_t j = 0; j < r->nnames && j < rec->n; j++) {
    int i = r->colmap[j];
    if (i < 0) continue;
    if (c->is_part[i])
      ptext[i] = rec->f[j] && *rec->f[j] ? rec->f[j] : NULL;
    else
      csv_value(&c->cols[i], rec->f[j], &vals[i], &tmps[i]);
  }
  char *where = asl_sprintf("%s line %lld", r->uri, rec->line);
  int rc = emit_row(c, vals, ptext, where);
  free(where);
  for (size_t i = 0; i < c->ncols; i++)
    cJSON_Delete(tmps[i]);
  free(tmps);
  free(ptext);
  free(vals);
  return rc;
}

/* The held records, once the schema is known. */
static int csv_flush(csvrd *r) {
  int rc = 0;
  if (!r->c->cols && r->npend) rc = csv_infer(r);
  if (rc == 0 && r->npend) csv_map(r);
  for (size_t k = 0; k < r->npend; k++) {
    if (rc == 0) rc = csv_emit(r, &r->pend[k]);
    rec_free(&r->pend[k]);
  }
  free(r->pend);
  r->pend = NULL;
  r->npend = 0;
  return rc;
}

static void csv_cb_field(void *s, size_t len, void *ud) {
  csvrd *r = ud;
  if (r->cur.n == r->capf) {
    r->capf = r->capf ? r->capf * 2 : 16;
    r->cur.f = asl_realloc(r->cur.f, r->capf * sizeof *r->cur.f);
  }
  r->cur.f[r->cur.n++] = s ? asl_strndup(s, len) : NULL;
}

static void csv_cb_record(int ch, void *ud) {
  (void)ch;
  csvrd *r = ud;
  conv *c = r->c;
  csv_rec rec = r->cur;
  rec.line = r->line;
  memset(&r->cur, 0, sizeof r->cur);
  r->capf = 0;
  if (r->rc) {
    rec_free(&rec);
    return;
  }
  if (!r->names) { /* the header row */
    r->names = asl_calloc(rec.n + 1, sizeof *r->names);
    for (size_t j = 0; j < rec.n; j++) {
      r->names[j] = asl_strdup(rec.f[j] ? rec.f[j] : "");
      if (!*r->names[j]) {
        r->rc = asl_error_set(c->err, "Glue.InvalidInputException",
                              "%s line %lld: the header's field %zu is empty",
                              r->uri, rec.line, j + 1);
      }
      for (size_t k = 0; k < j && !r->rc; k++)
        if (!strcmp(r->names[k], r->names[j]))
          r->rc = asl_error_set(c->err, "Glue.InvalidInputException",
                                "%s line %lld: the header names %s twice",
                                r->uri, rec.line, r->names[j]);
    }
    r->nnames = rec.n;
    if (!r->rc && c->cols) csv_map(r);
    rec_free(&rec);
    return;
  }
  if (rec.n != r->nnames) {
    r->rc = asl_error_set(c->err, "Glue.InvalidInputException",
                          "%s line %lld: %zu fields, but %s has %zu", r->uri,
                          rec.line, rec.n,
                          c->header ? "the header" : "the schema", r->nnames);
    rec_free(&rec);
    return;
  }
  if (!c->cols) {
    r->pend = asl_realloc(r->pend, (r->npend + 1) * sizeof *r->pend);
    r->pend[r->npend++] = rec;
    if (r->npend >= CSV_INFER_ROWS) r->rc = csv_flush(r);
    return;
  }
  r->rc = csv_emit(r, &rec);
  rec_free(&rec);
}

static int read_csv(conv *c, const char *path, const char *uri) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return asl_error_set(c->err, "Glue.InternalServiceException",
                         "cannot read %s: %s", uri, strerror(errno));
  csvrd r;
  memset(&r, 0, sizeof r);
  r.c = c;
  r.uri = uri;
  if (!c->header) { /* the schema names the fields, in its order */
    r.nnames = c->ncols;
    r.names = asl_calloc(c->ncols + 1, sizeof *r.names);
    for (size_t i = 0; i < c->ncols; i++)
      r.names[i] = asl_strdup(c->cols[i].name);
    csv_map(&r);
  }
  struct csv_parser p;
  csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
  csv_set_delim(&p, (unsigned char)c->delim);
  /* fed a line at a time so a record's error names its line */
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while (r.rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
    r.line++;
    if (csv_parse(&p, line, (size_t)n, csv_cb_field, csv_cb_record, &r) !=
            (size_t)n &&
        r.rc == 0)
      r.rc = asl_error_set(c->err, "Glue.InvalidInputException",
                           "%s line %lld: not CSV (RFC 4180): %s", uri, r.line,
                           csv_strerror(csv_error(&p)));
  }
  if (r.rc == 0 &&
      csv_fini(&p, csv_cb_field, csv_cb_record, &r) != 0 && r.rc == 0)
    r.rc = asl_error_set(c->err, "Glue.InvalidInputException",
                         "%s line %lld: not CSV (RFC 4180): a quoted field "
                         "does not end",
                         uri, r.line);
  if (r.rc == 0) r.rc = csv_flush(&r);
  csv_free(&p);
  free(line);
  fclose(f);
  rec_free(&r.cur);
  for (size_t k = 0; k < r.npend; k++)
    rec_free(&r.pend[k]);
  free(r.pend);
  for (size_t j = 0; j < r.nnames; j++)
    free(r.names[j]);
  free(r.names);
  free(r.colmap);
  return r.rc;
}

static const char *arg_str(const cJSON *args, const char *k) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, k));
}

typedef struct walk_ud {
  conv *c;
  const char *bucket;
} walk_ud;

static int read_one(const char *key, const char *path, void *ud) {
  walk_ud *w = ud;
  char *uri = asl_sprintf("s3://%s/%s", w->bucket, key);
  int rc = w->c->in_fmt == 'c' ? read_csv(w->c, path, uri)
                               : read_json(w->c, path, uri);
  free(uri);
  return rc ? -1 : 0;
}

/* Runs convert with the merged args. 0 or -1 + err (the run's error). */
/* mode overwrite: the keys under the target before the run, to remove
 * once the run's own files are published. */
typedef struct keylist {
  char **k;
  size_t n, cap;
} keylist;

static int add_key(const char *key, const char *path, void *ud) {
  (void)path;
  keylist *l = ud;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->k = asl_realloc(l->k, l->cap * sizeof *l->k);
  }
  l->k[l->n++] = asl_strdup(key);
  return 0;
}

static int convert(const cJSON *args, const char *run_id, long long *rows,
                   long long *files, asl_error *err) {
  conv c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.run_id = (char *)run_id;
  keylist old = {0}; /* before any goto out */
  int overwrite = 0;
  char *sbucket = NULL, *sprefix = NULL;
  const char *src = arg_str(args, "source"), *dst = arg_str(args, "target");
  if (split_s3(src, &sbucket, &sprefix) < 0)
    return asl_error_set(err, "Glue.InvalidInputException",
                         "--source must be s3://BUCKET/PREFIX, not %s",
                         src ? src : "(absent)");
  if (split_s3(dst, &c.tbucket, &c.tprefix) < 0) {
    free(sbucket);
    free(sprefix);
    return asl_error_set(err, "Glue.InvalidInputException",
                         "--target must be s3://BUCKET/PREFIX, not %s",
                         dst ? dst : "(absent)");
  }
  char *root = asl_lake_root();
  c.root = root;
  int rc = 0;
  cJSON *pb_made = NULL;
  const cJSON *pb = cJSON_GetObjectItemCaseSensitive(args, "partition_by");
  if (cJSON_IsString(pb)) {
    pb_made = cJSON_CreateArray();
    char *s = asl_strdup(pb->valuestring), *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save))
      if (*t) cJSON_AddItemToArray(pb_made, cJSON_CreateString(t));
    free(s);
    pb = pb_made;
  }
  c.part_by = pb;
  const char *codec = arg_str(args, "codec");
  c.o.codec = !codec || !strcmp(codec, "snappy") ? ASL_PQ_SNAPPY
              : !strcmp(codec, "zstd")           ? ASL_PQ_ZSTD
              : !strcmp(codec, "gzip")           ? ASL_PQ_GZIP
                                                 : ASL_PQ_UNCOMPRESSED;
  c.o.created_by = "asl glue convert";
  const char *inf = arg_str(args, "input_format");
  if (!inf) inf = arg_str(args, "format");
  const char *outf = arg_str(args, "output_format");
  c.in_fmt = !inf || !strcasecmp(inf, "json") ? 'j'
             : !strcasecmp(inf, "csv")        ? 'c'
                                              : 0;
  c.out_fmt = !outf || !strcasecmp(outf, "parquet") ? 'p'
              : !strcasecmp(outf, "csv")            ? 'c'
              : !strcasecmp(outf, "json")           ? 'j'
                                                    : 0;
  const cJSON *hv = cJSON_GetObjectItemCaseSensitive(args, "header");
  c.header = !(cJSON_IsFalse(hv) ||
               (cJSON_IsString(hv) && !strcasecmp(hv->valuestring, "false")));
  const char *dl = arg_str(args, "delimiter");
  c.delim = dl && *dl ? *dl : ',';
  /* Spark's save modes: append (Glue's default) adds the run's files
   * beside what the target holds; overwrite replaces it */
  const char *mode = arg_str(args, "mode");
  overwrite = mode && !strcasecmp(mode, "overwrite");
  if (mode && !overwrite && strcasecmp(mode, "append")) {
    rc = asl_error_set(err, "Glue.InvalidInputException",
                       "mode must be append or overwrite, not %s", mode);
    goto out;
  }
  const char *schema = arg_str(args, "schema");
  if (!c.in_fmt) {
    rc = asl_error_set(err, "Glue.InvalidInputException",
                       "format must be json or csv, not %s", inf);
    goto out;
  }
  if (!c.out_fmt) {
    rc = asl_error_set(err, "Glue.InvalidInputException",
                       "output_format must be parquet, csv or json, not %s",
                       outf);
    goto out;
  }
  if (dl && strlen(dl) != 1) {
    rc = asl_error_set(err, "Glue.InvalidInputException",
                       "delimiter must be one character, not '%s'", dl);
    goto out;
  }
  if (c.in_fmt == 'c' && !c.header && !(schema && *schema)) {
    rc = asl_error_set(err, "Glue.InvalidInputException",
                       "header false needs a schema to name the CSV fields");
    goto out;
  }
  if (schema && *schema) {
    if (asl_pq_parse_schema(schema, &c.cols, &c.ncols, err) < 0) {
      rc = -1;
      goto out;
    }
    if (setup_columns(&c) < 0) {
      rc = -1;
      goto out;
    }
  }
  {
    /* one walk of the source, in key order (asl_lake_walk) */
    char *pfx = *sprefix ? asl_sprintf("%s/", sprefix) : asl_strdup("");
    walk_ud wu = {&c, sbucket};
    asl_error le = {0};
    int wr = asl_lake_walk(root, sbucket, pfx, read_one, &wu, &le);
    if (wr != 0) {
      rc = -1;
      if (le.name) /* the walk failed, not a read */
        asl_error_set(err, le.name, "%s %s: %s", src, le.name,
                      le.cause ? le.cause : "");
    }
    asl_error_clear(&le);
    free(pfx);
  }
out:
  if (rc == 0 && overwrite) { /* what the target held before this run */
    char *tp = *c.tprefix ? asl_sprintf("%s/", c.tprefix) : asl_strdup("");
    asl_error we = {0};
    asl_lake_walk(root, c.tbucket, tp, add_key, &old, &we);
    asl_error_clear(&we); /* no bucket yet: nothing to replace */
    free(tp);
  }
  /* close the writers; publish on success, remove on failure */
  for (size_t i = 0; i < c.nparts; i++) {
    part_out *p = &c.parts[i];
    asl_error e = {0};
    if (rc == 0) {
      int cr = 0;
      if (p->w) {
        cr = asl_pq_writer_close(p->w, &e);
      } else if (fclose(p->f) != 0) {
        cr = -1;
        asl_error_set(&e, "Glue.InternalServiceException", "%s",
                      strerror(errno));
      }
      p->f = NULL;
      if (cr < 0) {
        asl_error_set(err, "Glue.InternalServiceException", "%s",
                      e.cause ? e.cause : "");
        rc = -1;
      } else {
        char *d = asl_strdup(p->final);
        *strrchr(d, '/') = 0;
        char *mk = asl_sprintf("%s", d);
        for (char *q = mk + strlen(root) + 1; *q; q++)
          if (*q == '/') {
            *q = 0;
            mkdir(mk, 0755);
            *q = '/';
          }
        mkdir(mk, 0755);
        free(mk);
        free(d);
        if (rename(p->tmp, p->final) != 0) {
          asl_error_set(err, "Glue.InternalServiceException",
                        "cannot publish %s: %s", p->final, strerror(errno));
          rc = -1;
        } else {
          (*files)++;
        }
      }
      asl_error_clear(&e);
    } else {
      if (p->w) asl_pq_writer_abort(p->w);
      if (p->f) fclose(p->f);
    }
    unlink(p->tmp);
    free(p->dir);
    free(p->tmp);
    free(p->final);
  }
  /* overwrite: the earlier objects go once the new ones are in place (a
   * failed run leaves the target as it was) */
  for (size_t i = 0; i < old.n; i++) {
    asl_error de = {0};
    if (rc == 0 && asl_lake_delete(root, c.tbucket, old.k[i], &de) < 0) {
      asl_error_set(err, "Glue.InternalServiceException",
                    "cannot remove s3://%s/%s: %s", c.tbucket, old.k[i],
                    de.cause ? de.cause : "");
      rc = -1;
    }
    asl_error_clear(&de);
    free(old.k[i]);
  }
  free(old.k);
  *rows = c.rows;
  free(c.parts);
  asl_pq_columns_free(c.cols, c.ncols);
  free(c.is_part);
  free(c.data_idx);
  free(c.dcols);
  if (c.jnames)
    for (size_t i = 0; i < c.ncols; i++)
      free(c.jnames[i]);
  free(c.jnames);
  cJSON_Delete(pb_made);
  free(c.tbucket);
  free(c.tprefix);
  free(sbucket);
  free(sprefix);
  free(root);
  return rc;
}

/* ---- the API ---- */

static void iso(double t, char out[40]) {
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  int ms = (int)((t - (double)s) * 1000);
  char b[32];
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 40, "%s.%03dZ", b, ms);
}

/* GetJobRun's JobRun for the stored run id, or NULL. */
static cJSON *job_run(sqlite3 *db, const char *id, int sdk) {
  sqlite3_stmt *st = NULL;
  cJSON *r = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT job, state, args, started, completed, error "
                         "FROM runs WHERE id=?1",
                         -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    r = cJSON_CreateObject();
    double started = sqlite3_column_double(st, 3);
    double completed = sqlite3_column_double(st, 4);
    cJSON_AddNumberToObject(r, "AllocatedCapacity", 10);
    const char *args = (const char *)sqlite3_column_text(st, 2);
    cJSON *a = args ? cJSON_Parse(args) : NULL;
    cJSON_AddItemToObject(r, "Arguments", a ? a : cJSON_CreateObject());
    cJSON_AddNumberToObject(r, "Attempt", 0);
    char t[40];
    if (sdk) {
      iso(completed, t);
      cJSON_AddStringToObject(r, "CompletedOn", t);
    } else {
      cJSON_AddNumberToObject(r, "CompletedOn",
                              (double)(long long)(completed * 1000));
    }
    if (sqlite3_column_type(st, 5) != SQLITE_NULL)
      cJSON_AddStringToObject(r, "ErrorMessage",
                              (const char *)sqlite3_column_text(st, 5));
    cJSON_AddNumberToObject(r, "ExecutionTime",
                            (double)(long long)(completed - started + 0.5));
    cJSON_AddStringToObject(r, "GlueVersion", "4.0");
    cJSON_AddStringToObject(r, "Id", id);
    cJSON_AddStringToObject(r, "JobName",
                            (const char *)sqlite3_column_text(st, 0));
    cJSON_AddStringToObject(r, "JobRunState",
                            (const char *)sqlite3_column_text(st, 1));
    if (sdk) {
      iso(completed, t);
      cJSON_AddStringToObject(r, "LastModifiedOn", t);
    } else {
      cJSON_AddNumberToObject(r, "LastModifiedOn",
                              (double)(long long)(completed * 1000));
    }
    cJSON_AddNumberToObject(r, "MaxCapacity", 10);
    cJSON_AddNumberToObject(r, "NumberOfWorkers", 10);
    if (sdk) {
      iso(started, t);
      cJSON_AddStringToObject(r, "StartedOn", t);
    } else {
      cJSON_AddNumberToObject(r, "StartedOn",
                              (double)(long long)(started * 1000));
    }
    cJSON_AddNumberToObject(r, "Timeout", 2880);
    cJSON_AddStringToObject(r, "WorkerType", "G.1X");
  }
  sqlite3_finalize(st);
  return r;
}

static int do_start(const asl_task_req *req, const route *rt, sqlite3 *db,
                    cJSON **out, asl_error *err) {
  const cJSON *p = req->params;
  const char *job = arg_str(p, "JobName");
  if (!job || !*job)
    return asl_error_set(err, "Glue.InvalidInputException",
                         "JobName is required (a string)");
  const cJSON *jobs =
      cJSON_GetObjectItemCaseSensitive(req->bindings, "GlueJobs");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(jobs, job);
  if (!b)
    return asl_error_set(err, "Glue.EntityNotFoundException",
                         "Job %s not found (bind it under GlueJobs in the "
                         "bindings file)",
                         job);
  const cJSON *jargs = cJSON_GetObjectItemCaseSensitive(p, "Arguments");
  if (jargs && !cJSON_IsObject(jargs))
    return asl_error_set(err, "Glue.InvalidInputException",
                         "Arguments must be an object of strings");
  /* the binding's args, then --KEY arguments over them */
  cJSON *args = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(b, "args"), 1);
  if (!args) args = cJSON_CreateObject();
  const cJSON *a;
  cJSON_ArrayForEach(a, jargs) {
    if (!cJSON_IsString(a)) {
      cJSON_Delete(args);
      return asl_error_set(err, "Glue.InvalidInputException",
                           "Arguments.%s must be a string", a->string);
    }
    const char *k = a->string;
    while (*k == '-')
      k++;
    cJSON_DeleteItemFromObjectCaseSensitive(args, k);
    cJSON_AddStringToObject(args, k, a->valuestring);
  }
  unsigned char rb[32];
  if (getrandom(rb, sizeof rb, 0) != (ssize_t)sizeof rb)
    memset(rb, 7, sizeof rb);
  char id[80] = "jr_";
  for (int i = 0; i < 32; i++)
    snprintf(id + 3 + 2 * i, 3, "%02x", rb[i]);
  double started = now_epoch();
  long long rows = 0, files = 0;
  asl_error ce = {0};
  int crc = convert(args, id, &rows, &files, &ce);
  cJSON_Delete(args);
  double completed = now_epoch();
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(db,
                              "INSERT INTO runs (id, job, state, args, "
                              "started, completed, error, rows, files) "
                              "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                              -1, &st, NULL) == SQLITE_OK;
  char *as = jargs ? json_text(jargs) : asl_strdup("{}");
  if (ok) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, job, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, crc == 0 ? "SUCCEEDED" : "FAILED", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 4, as, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, started);
    sqlite3_bind_double(st, 6, completed);
    if (crc)
      sqlite3_bind_text(st, 7, ce.cause ? ce.cause : "failed", -1,
                        SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, rows);
    sqlite3_bind_int64(st, 9, files);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  free(as);
  asl_error_clear(&ce);
  if (!ok)
    return asl_error_set(err, "Glue.InternalServiceException",
                         "cannot record the run: %s", sqlite3_errmsg(db));
  /* StartJobRun answers JobRunId; the optimized integration adds the
   * request's JobName (AWS's connect-glue page) */
  cJSON *started_resp = cJSON_CreateObject();
  if (!rt->sdk) cJSON_AddStringToObject(started_resp, "JobName", job);
  cJSON_AddStringToObject(started_resp, "JobRunId", id);
  if (!rt->sync) {
    *out = started_resp;
    return 0;
  }
  if (req->submitted)
    *req->submitted = started_resp;
  else
    cJSON_Delete(started_resp);
  cJSON *jr = job_run(db, id, rt->sdk);
  if (crc == 0) {
    *out = jr;
    return 0;
  }
  char *cause = asl_json_print(jr);
  cJSON_Delete(jr);
  asl_error_set(err, "States.TaskFailed", "%s", cause);
  free(cause);
  return -1;
}

static int glue_run(const asl_task_req *req, cJSON **out, asl_error *err) {
  *out = NULL;
  route rt;
  if (route_of(req->resource, &rt) < 0)
    return asl_error_set(err, "States.Runtime", "not a Glue resource: %s",
                         req->resource);
  if (req->params && !cJSON_IsObject(req->params))
    return asl_error_set(err, "Glue.InvalidInputException",
                         "The request must be a JSON object.");
  sqlite3 *db = db_open(err);
  if (!db) return -1;
  int rc;
  if (rt.op == 0) {
    rc = do_start(req, &rt, db, out, err);
  } else {
    const char *id = arg_str(req->params, "RunId");
    const char *job = arg_str(req->params, "JobName");
    cJSON *jr = id ? job_run(db, id, rt.sdk) : NULL;
    if (jr && job &&
        strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(jr, "JobName")), job)) {
      cJSON_Delete(jr);
      jr = NULL;
    }
    if (!jr) {
      rc = asl_error_set(err, "Glue.EntityNotFoundException",
                         "Job run %s of job %s not found", id ? id : "(none)",
                         job ? job : "(none)");
    } else {
      *out = cJSON_CreateObject();
      cJSON_AddItemToObject(*out, "JobRun", jr);
      rc = 0;
    }
  }
  sqlite3_close(db);
  return rc;
}

const asl_task_ops asl_glue_ops = {"glue", glue_match, glue_run, 0, NULL};
