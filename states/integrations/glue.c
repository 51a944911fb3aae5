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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
  asl_pq_writer *w;
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
  asl_pq_write_opts o;
  part_out *parts;
  size_t nparts;
  long long rows;
  const cJSON *part_by;
  char *run_id;
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

static void infer(conv *c, const cJSON *o) {
  asl_buf spec = {0};
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    const char *t = "string";
    if (cJSON_IsBool(v))
      t = "bool";
    else if (cJSON_IsNumber(v))
      t = v->valuedouble == (double)(long long)v->valuedouble ? "int64"
                                                              : "double";
    asl_buf_printf(&spec, "%s%s:%s", spec.len ? "," : "", v->string, t);
  }
  asl_error e = {0};
  if (!spec.len || asl_pq_parse_schema(spec.s, &c->cols, &c->ncols, &e) < 0) {
    c->cols = NULL;
    c->ncols = 0;
  }
  asl_error_clear(&e);
  asl_buf_free(&spec);
}

static int setup_columns(conv *c) {
  c->is_part = asl_calloc(c->ncols + 1, sizeof *c->is_part);
  c->data_idx = asl_calloc(c->ncols + 1, sizeof *c->data_idx);
  c->dcols = asl_calloc(c->ncols + 1, sizeof *c->dcols);
  const cJSON *pb;
  cJSON_ArrayForEach(pb, c->part_by) {
    size_t i;
    for (i = 0; i < c->ncols; i++)
      if (!strcmp(c->cols[i].name, pb->valuestring)) break;
    if (i == c->ncols)
      return asl_error_set(c->err, "Glue.InvalidInputException",
                           "partition_by: no column named %s in the schema",
                           pb->valuestring);
    c->is_part[i] = 1;
  }
  for (size_t i = 0; i < c->ncols; i++)
    if (!c->is_part[i]) {
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
  char *key =
      asl_sprintf("%s%s%s%spart-%s.parquet", c->tprefix, *c->tprefix ? "/" : "",
                  dir, *dir ? "/" : "", c->run_id);
  p->final = asl_sprintf("%s/%s/%s", c->root, c->tbucket, key);
  char *tmpd = asl_sprintf("%s/.tmp", c->root);
  mkdir(tmpd, 0755);
  static unsigned long seq;
  p->tmp = asl_sprintf("%s/glue-%d-%lu.parquet", tmpd, (int)getpid(),
                       __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
  free(tmpd);
  asl_error e = {0};
  p->w = asl_pq_writer_create(p->tmp, c->dcols, c->ndcols, &c->o, &e);
  if (!p->w) {
    asl_error_set(c->err, "Glue.InternalServiceException", "writing %s: %s",
                  key, e.cause ? e.cause : "");
    asl_error_clear(&e);
    free(key);
    return NULL;
  }
  free(key);
  return p;
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
  asl_pq_value *row = asl_calloc(c->ndcols + 1, sizeof *row);
  char **texts = asl_calloc(c->ncols + 1, sizeof *texts);
  asl_buf dir = {0};
  for (size_t i = 0; i < c->ncols; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, c->cols[i].name);
    if (c->is_part[i]) {
      char *t = !v || cJSON_IsNull(v) ? asl_strdup("__HIVE_DEFAULT_PARTITION__")
                : cJSON_IsString(v)   ? asl_strdup(v->valuestring)
                                      : json_text(v);
      for (char *q = t; *q; q++)
        if (*q == '/' || *q == '=') *q = '_';
      asl_buf_printf(&dir, "%s%s=%s", dir.len ? "/" : "", c->cols[i].name, t);
      free(t);
    }
  }
  size_t k = 0;
  for (size_t i = 0; i < c->ncols; i++) {
    if (c->is_part[i]) continue;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, c->cols[i].name);
    asl_pq_value *out = &row[k++];
    const char *why;
    const cJSON *use = v;
    cJSON *tmp = NULL;
    if (v && (cJSON_IsObject(v) || cJSON_IsArray(v)) &&
        c->cols[i].logical == ASL_PQ_L_STRING) {
      texts[i] = json_text(v);
      tmp = cJSON_CreateString(texts[i]);
      use = tmp;
    }
    if (!use || asl_pq_value_from_json(&c->cols[i], use, out, &why) < 0)
      out->kind = ASL_PQ_V_NULL;
    if (out->kind == ASL_PQ_V_BYTES && tmp) {
      /* the string lives in tmp: keep a copy in texts */
      free(texts[i]);
      texts[i] = asl_strndup(out->s, out->n);
      out->s = texts[i];
    }
    cJSON_Delete(tmp);
    if (out->kind == ASL_PQ_V_NULL && !c->cols[i].nullable) {
      asl_error_set(c->err, "Glue.InvalidInputException",
                    "%s: column %s is required but the record has no value "
                    "of its type",
                    where, c->cols[i].name);
      goto fail;
    }
  }
  part_out *p = part_for(c, dir.s ? dir.s : "");
  if (!p) goto fail;
  asl_error e = {0};
  if (asl_pq_writer_append(p->w, row, &e) < 0) {
    asl_error_set(c->err, "Glue.InvalidInputException", "%s: %s", where,
                  e.cause ? e.cause : "");
    asl_error_clear(&e);
    goto fail;
  }
  p->rows++;
  c->rows++;
  for (size_t i = 0; i < c->ncols; i++)
    free(texts[i]);
  free(texts);
  free(row);
  asl_buf_free(&dir);
  return 0;
fail:
  for (size_t i = 0; i < c->ncols; i++)
    free(texts[i]);
  free(texts);
  free(row);
  asl_buf_free(&dir);
  return -1;
}

/* One source object: JSON lines, else one JSON document. */
static int read_object(conv *c, const char *path, const char *uri) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return asl_error_set(c->err, "Glue.InternalServiceException",
                         "cannot read %s: %s", uri, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long long ln = 0;
  int rc = 0, whole = 0;
  while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
    ln++;
    size_t k = 0;
    while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t' ||
                             line[k] == '\r' || line[k] == '\n'))
      k++;
    if (k == (size_t)n) continue;
    cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
    if (!o || line[k] == '[') {
      cJSON_Delete(o);
      if (ln == 1 || line[k] == '[') {
        whole = 1;
        break;
      }
      rc = asl_error_set(c->err, "Glue.InvalidInputException",
                         "%s line %lld: not a JSON object", uri, ln);
      break;
    }
    char *where = asl_sprintf("%s line %lld", uri, ln);
    rc = add_record(c, o, where);
    free(where);
    cJSON_Delete(o);
  }
  free(line);
  fclose(f);
  if (rc || !whole) return rc;
  /* one JSON document */
  FILE *g = fopen(path, "rb");
  asl_buf b = {0};
  char chunk[65536];
  size_t got;
  while (g && (got = fread(chunk, 1, sizeof chunk, g)) > 0)
    asl_buf_add(&b, chunk, got);
  if (g) fclose(g);
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

static const char *arg_str(const cJSON *args, const char *k) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, k));
}

/* Runs convert with the merged args. 0 or -1 + err (the run's error). */
static int convert(const cJSON *args, const char *run_id, long long *rows,
                   long long *files, asl_error *err) {
  conv c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.run_id = (char *)run_id;
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
  const char *schema = arg_str(args, "schema");
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
  asl_lake_list_req lr = {0};
  char *pfx = *sprefix ? asl_sprintf("%s/", sprefix) : asl_strdup("");
  lr.prefix = pfx;
  lr.max_keys = 1000;
  char *token = NULL;
  for (;;) {
    asl_lake_list l = {0};
    lr.token = token;
    if (asl_lake_list_objects(root, sbucket, &lr, &l, err) < 0) {
      rc = -1;
      break;
    }
    for (size_t i = 0; rc == 0 && i < l.nobjs; i++) {
      char *path = asl_sprintf("%s/%s/%s", root, sbucket, l.objs[i].key);
      char *uri = asl_sprintf("s3://%s/%s", sbucket, l.objs[i].key);
      rc = read_object(&c, path, uri);
      free(path);
      free(uri);
    }
    free(token);
    token = l.truncated && l.next_token ? asl_strdup(l.next_token) : NULL;
    asl_lake_list_free(&l);
    if (rc || !token) break;
  }
  free(token);
  free(pfx);
out:
  /* close the writers; publish on success, remove on failure */
  for (size_t i = 0; i < c.nparts; i++) {
    part_out *p = &c.parts[i];
    asl_error e = {0};
    if (rc == 0) {
      if (asl_pq_writer_close(p->w, &e) < 0) {
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
      asl_pq_writer_abort(p->w);
    }
    unlink(p->tmp);
    free(p->dir);
    free(p->tmp);
    free(p->final);
  }
  *rows = c.rows;
  free(c.parts);
  asl_pq_columns_free(c.cols, c.ncols);
  free(c.is_part);
  free(c.data_idx);
  free(c.dcols);
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
