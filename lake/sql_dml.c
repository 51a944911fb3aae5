/* sql_dml.c: the Athena SQL engine's (lake/sql.h) statements that write
 * rows: CREATE TABLE (Iceberg) and CREATE TABLE AS SELECT (managed or
 * Parquet), INSERT INTO, UPDATE, DELETE and MERGE INTO. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sql_stmt.h"

/* ---- CREATE TABLE (Iceberg) and CTAS ---- */
static int ext_write(P *p, const char *db, const char *name, const cJSON *spec,
                     size_t a, size_t b, const char *collist,
                     asl_sql_info *info);

static int ctas_nonempty(const char *key, const char *path, void *ud) {
  (void)key;
  (void)path;
  (void)ud;
  return 1;
}

/* CTAS with external_location: the rows go to files under it, in format
 * (PARQUET when absent, as Athena's default), and the table is an
 * EXTERNAL table over them (docs.aws.amazon.com/athena/latest/ug/
 * create-table-as.html: format, external_location, partitioned_by,
 * write_compression; GZIP is the default write compression of Parquet
 * and text files, compression-formats.html). spec holds the query's
 * columns; partitioned_by moves its columns (the last ones of the query,
 * in the same order) to the partitions. */
static int ctas_external(P *p, const char *db, const char *name, cJSON *spec,
                         cJSON *tprops, qrun *q, int no_data,
                         asl_sql_info *info) {
  const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "format"));
  if (!fmt) fmt = "PARQUET";
  const char *wc =
      cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "write_compression"));
  if (!wc)
    wc = cJSON_GetStringValue(
        cJSON_GetObjectItem(tprops, "parquet_compression"));
  int is_pq = !strcasecmp(fmt, "parquet");
  int is_text = !strcasecmp(fmt, "textfile") || !strcasecmp(fmt, "json");
  if (!is_pq && !is_text)
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl writes CTAS tables as PARQUET, "
                         "JSON or TEXTFILE, not %s",
                         fmt);
  int codec = 2; /* GZIP: Athena's default for Parquet */
  if (wc) {
    codec = !strcasecmp(wc, "snappy")                                    ? 1
            : !strcasecmp(wc, "zstd")                                    ? 6
            : !strcasecmp(wc, "gzip")                                    ? 2
            : !strcasecmp(wc, "none") || !strcasecmp(wc, "uncompressed") ? 0
                                                                         : -1;
    if (codec < 0 || (is_text && codec != 0))
      return asl_error_set(p->err, IRE,
                           "NOT_SUPPORTED: write_compression '%s' for %s "
                           "(asl writes %s)",
                           wc, fmt,
                           is_text ? "text files uncompressed"
                                   : "Parquet with SNAPPY, ZSTD, GZIP or "
                                     "NONE");
  }
  cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
  /* partitioned_by: ARRAY['a', 'b'] (kept as its text) */
  const char *pb =
      cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "partitioned_by"));
  size_t npb = 0;
  if (pb) {
    char **names = NULL;
    for (const char *s = pb; *s; s++) {
      if (*s != '\'') continue;
      asl_buf b = {0};
      for (s++; *s; s++) {
        if (*s == '\'' && s[1] == '\'') {
          asl_buf_putc(&b, '\'');
          s++;
        } else if (*s == '\'') {
          break;
        } else {
          asl_buf_putc(&b, (char)tolower((unsigned char)*s));
        }
      }
      names = asl_realloc(names, (npb + 1) * sizeof *names);
      names[npb++] = b.s ? asl_buf_take(&b) : asl_strdup("");
      if (!*s) break;
    }
    size_t nc = (size_t)cJSON_GetArraySize(cols);
    int bad = npb == 0 || npb > nc;
    for (size_t i = 0; !bad && i < npb; i++) {
      const cJSON *c = cJSON_GetArrayItem(cols, (int)(nc - npb + i));
      if (strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                 names[i]))
        bad = 1;
    }
    int rc = 0;
    if (bad) {
      asl_buf l = {0};
      for (size_t i = 0; i < npb; i++)
        asl_buf_printf(&l, "%s%s", i ? ", " : "", names[i]);
      rc = asl_error_set(p->err, IRE,
                         "HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be "
                         "the last columns in the table and in the same order "
                         "as the table properties: [%s]",
                         l.s ? l.s : "");
      asl_buf_free(&l);
    } else if (npb == nc) {
      rc = asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: Table contains only partition "
                         "columns");
    }
    for (size_t i = 0; i < npb; i++)
      free(names[i]);
    free(names);
    if (rc < 0) return -1;
    for (size_t i = 0; i < npb; i++)
      cJSON_AddItemToArray(parts,
                           cJSON_DetachItemFromArray(cols, (int)(nc - npb)));
  }
  if (is_text && npb)
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl writes partitioned CTAS tables "
                         "as PARQUET only");
  const char *serde = is_pq                      ? "parquet"
                      : !strcasecmp(fmt, "json") ? "json"
                                                 : "lazy";
  cJSON_AddStringToObject(spec, "serde", serde);
  if (!strcmp(serde, "lazy")) {
    const char *fd =
        cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "field_delimiter"));
    cJSON_AddStringToObject(spec, "delim", fd && *fd ? fd : "\001");
  }
  long long rows = 0;
  int rc = -1;
  if (is_pq) {
    char *sql = asl_sprintf("SELECT * FROM (%s)%s", q->T.out.s,
                            no_data ? " LIMIT 0" : "");
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(p->x->db, sql, -1, &st, NULL);
    free(sql);
    if (r != SQLITE_OK) return sql_sqlite_fail(&q->T, r, p->err);
    char *tn = asl_sprintf("%s.%s", db, name);
    r = sql_ext_write_parquet(p->x, st, tn, spec, codec, &rows, p->err);
    free(tn);
    sqlite3_finalize(st);
    if (r < 0) return -1;
  } else {
    /* the location must be empty */
    char *bk, *px;
    const char *loc = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(spec, "location"));
    if (sql_split_location(loc, &bk, &px, p->err) < 0) return -1;
    char *pfx = *px ? asl_sprintf("%s/", px) : asl_strdup("");
    asl_error le = {0};
    int w = asl_lake_walk(p->x->lake, bk, pfx, ctas_nonempty, NULL, &le);
    free(pfx);
    free(bk);
    free(px);
    if (w != 0) {
      if (w < 0)
        asl_error_set(p->err, IRE, "%s: %s: %s", loc, le.name ? le.name : "",
                      le.cause ? le.cause : "");
      else
        asl_error_set(p->err, IRE,
                      "HIVE_PATH_ALREADY_EXISTS: Target directory for table "
                      "'%s.%s' already exists: %s",
                      db, name, loc);
      asl_error_clear(&le);
      return -1;
    }
  }
  if (sql_exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) return -1;
  if (sql_table_insert_catalog(p->x, db, name, "EXTERNAL", spec, p->err) < 0 ||
      sql_exec(p->x, "COMMIT", p->err) < 0) {
    sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  rc = 0;
  if (is_text && !no_data) {
    asl_sql_info wi;
    memset(&wi, 0, sizeof wi);
    rc = ext_write(p, db, name, spec, q->T.qa, q->T.qb, "", &wi);
    rows = wi.rows_affected;
  }
  info->rows_affected = rows;
  return rc;
}

int sql_st_create_table(P *p, asl_sql_info *info) {
  int ine = 0, rc = -1;
  sql_tok *start = sql_pk(p);
  if (sql_accept(p, "if")) {
    if (sql_expect(p, "not", "'NOT'") < 0 ||
        sql_expect(p, "exists", "'EXISTS'") < 0)
      return -1;
    ine = 1;
  }
  char *db = NULL, *name = NULL;
  sql_tok *at;
  cJSON *spec = cJSON_CreateObject();
  cJSON *cols = cJSON_AddArrayToObject(spec, "columns");
  cJSON *parts = cJSON_AddArrayToObject(spec, "partitions");
  cJSON *tprops = cJSON_AddObjectToObject(spec, "props");
  qrun q;
  memset(&q, 0, sizeof q);
  int have_q = 0;
  if (sql_qname(p, &db, &name, &at) < 0) goto out;
  if (!db) db = asl_strdup(p->x->cur);
  if (sql_op_is(sql_pk(p), "(")) {
    /* CREATE TABLE t (cols) ...: Athena makes only Iceberg tables so */
    if (sql_col_defs(p, cols, 0) < 0) goto out;
    for (;;) {
      if (sql_accept(p, "comment")) {
        char *c;
        if (sql_str_lit(p, &c) < 0) goto out;
        free(c);
      } else if (sql_accept(p, "partitioned")) {
        if (sql_expect(p, "by", "'BY'") < 0 || sql_expect_op(p, "(") < 0)
          goto out;
        for (;;) {
          /* a column or a transform: bucket(16, c), day(ts), ... */
          size_t s = p->i;
          int d = 0;
          while (!sql_at_end(p) && !(d == 0 && (sql_op_is(sql_pk(p), ",") ||
                                                sql_op_is(sql_pk(p), ")")))) {
            if (sql_op_is(sql_pk(p), "(")) d++;
            if (sql_op_is(sql_pk(p), ")")) d--;
            p->i++;
          }
          if (p->i == s) {
            sql_syntax(p, sql_pk(p), "<identifier>");
            goto out;
          }
          asl_buf b = {0};
          for (size_t j = s; j < p->i; j++)
            asl_buf_puts(&b, p->t->v[j].v);
          char *txt = asl_buf_take(&b);
          cJSON *pc = cJSON_CreateObject();
          cJSON_AddStringToObject(pc, "name", txt);
          cJSON_AddItemToArray(parts, pc);
          free(txt);
          if (sql_accept_op(p, ",")) continue;
          if (sql_expect_op(p, ")") < 0) goto out;
          break;
        }
      } else if (sql_accept(p, "location")) {
        char *l, *b, *k2;
        if (sql_str_lit(p, &l) < 0) goto out;
        if (sql_split_location(l, &b, &k2, p->err) < 0) {
          free(l);
          goto out;
        }
        free(b);
        free(k2);
        cJSON_AddStringToObject(spec, "location", l);
        free(l);
      } else if (sql_accept(p, "tblproperties")) {
        if (sql_props(p, tprops) < 0) goto out;
      } else if (sql_tk_is(sql_pk(p), "row") ||
                 sql_tk_is(sql_pk(p), "stored")) {
        sql_not_supported(p, sql_pk(p),
                          "ROW FORMAT or STORED AS on an Iceberg table");
        goto out;
      } else {
        break;
      }
    }
    if (!sql_at_end(p)) {
      sql_syntax(
          p, sql_pk(p),
          "'COMMENT', 'PARTITIONED', 'LOCATION', 'TBLPROPERTIES', <EOF>");
      goto out;
    }
    const char *tt =
        cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "table_type"));
    if (!tt || strcasecmp(tt, "iceberg") != 0) {
      /* Athena's CREATE TABLE page: "If you use CREATE TABLE without the
       * EXTERNAL keyword for non-Iceberg tables, Athena issues an error"
       * (docs.aws.amazon.com/athena/latest/ug/create-table.html); the
       * words are Hive's. */
      asl_error_set(p->err, IRE,
                    "line %d:%d: Only EXTERNAL tables are supported for Hive "
                    "tables: use CREATE EXTERNAL TABLE, or TBLPROPERTIES "
                    "('table_type'='ICEBERG') for an Iceberg table",
                    start->line, start->col);
      goto out;
    }
    /* partition columns must be columns (or transforms of them) */
    const cJSON *pc;
    cJSON_ArrayForEach(pc, parts) {
      const char *pn =
          cJSON_GetObjectItemCaseSensitive(pc, "name")->valuestring;
      const char *open = strchr(pn, '(');
      const cJSON *c;
      int found = 0;
      cJSON_ArrayForEach(c, cols) {
        const char *cn =
            cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        if (!strcmp(cn, pn)) found = 1;
        if (open && strstr(open, cn)) found = 1;
      }
      if (!found) {
        asl_error_set(p->err, IRE,
                      "line %d:%d: Partition column %s is not a column of the "
                      "table",
                      at->line, at->col, pn);
        goto out;
      }
    }
    if (!sql_valid_name(name)) {
      asl_error_set(p->err, IRE,
                    "line %d:%d: Invalid table name '%s': use lowercase "
                    "letters, digits and '_'",
                    at->line, at->col, name);
      goto out;
    }
    sql_info_set(info, "DDL", "CREATE_TABLE", 0);
    if (sql_need_db(p, db) < 0) goto out;
    if (sql_table_get(p->x, db, name, NULL, NULL)) {
      if (ine)
        rc = 0;
      else
        asl_error_set(p->err, IRE,
                      "line %d:%d: Table 'awsdatacatalog.%s.%s' already exists",
                      at->line, at->col, db, name);
      goto out;
    }
    if (sql_exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
    if (sql_create_storage(p->x, db, name, spec, p->err) < 0 ||
        sql_table_insert_catalog(p->x, db, name, "ICEBERG", spec, p->err) < 0 ||
        sql_exec(p->x, "COMMIT", p->err) < 0) {
      sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
      goto out;
    }
    rc = 0;
    goto out;
  }
  /* CTAS: [WITH (k = v, ...)] AS query [WITH [NO] DATA] */
  const char *kind = "MANAGED";
  if (sql_accept(p, "with")) {
    if (sql_expect_op(p, "(") < 0) goto out;
    for (;;) {
      char *k;
      if (sql_ident(p, &k) < 0) goto out;
      if (sql_expect_op(p, "=") < 0) {
        free(k);
        goto out;
      }
      sql_tok *vt = sql_pk(p);
      if (vt->k == TK_STR) {
        cJSON_AddStringToObject(tprops, k, vt->v);
        if (!strcmp(k, "table_type") && !strcasecmp(vt->v, "iceberg"))
          kind = "ICEBERG";
        if (!strcmp(k, "external_location") || !strcmp(k, "location")) {
          char *b, *k2;
          if (sql_split_location(vt->v, &b, &k2, p->err) < 0) {
            free(k);
            goto out;
          }
          free(b);
          free(k2);
          cJSON_AddStringToObject(spec, "location", vt->v);
        }
        p->i++;
      } else {
        /* ARRAY['a', 'b'] and numbers: kept as text */
        size_t s = p->i;
        int d = 0;
        while (!sql_at_end(p) && !(d == 0 && (sql_op_is(sql_pk(p), ",") ||
                                              sql_op_is(sql_pk(p), ")")))) {
          if (sql_op_is(sql_pk(p), "(") || sql_op_is(sql_pk(p), "[")) d++;
          if (sql_op_is(sql_pk(p), ")") || sql_op_is(sql_pk(p), "]")) d--;
          p->i++;
        }
        asl_buf b = {0};
        for (size_t j = s; j < p->i; j++) {
          if (p->t->v[j].k == TK_STR)
            sql_put_str_lit(&b, p->t->v[j].v);
          else
            asl_buf_puts(&b, p->t->v[j].v);
        }
        char *txt = asl_buf_take(&b);
        cJSON_AddStringToObject(tprops, k, txt);
        free(txt);
      }
      free(k);
      if (sql_accept_op(p, ",")) continue;
      if (sql_expect_op(p, ")") < 0) goto out;
      break;
    }
  }
  if (sql_expect(p, "as", "'AS', 'WITH', '('") < 0) goto out;
  size_t qa = p->i, qb = p->end;
  int no_data = 0;
  /* a trailing WITH [NO] DATA */
  if (qb - qa >= 2 && sql_tk_is(&p->t->v[qb - 1], "data")) {
    if (sql_tk_is(&p->t->v[qb - 2], "no") && qb - qa >= 3 &&
        sql_tk_is(&p->t->v[qb - 3], "with")) {
      no_data = 1;
      qb -= 3;
    } else if (sql_tk_is(&p->t->v[qb - 2], "with")) {
      qb -= 2;
    }
  }
  if (qa < qb && sql_op_is(&p->t->v[qa], "(") &&
      sql_match_paren(p->t, qa, qb) == qb - 1) {
    qa++;
    qb--;
  }
  sql_info_set(info, "DML", "CREATE_TABLE_AS_SELECT", 0);
  if (!sql_valid_name(name)) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: Invalid table name '%s': use lowercase letters, "
                  "digits and '_'",
                  at->line, at->col, name);
    goto out;
  }
  if (sql_need_db(p, db) < 0) goto out;
  if (sql_table_get(p->x, db, name, NULL, NULL)) {
    if (ine)
      rc = 0;
    else
      asl_error_set(p->err, IRE,
                    "line %d:%d: Table 'awsdatacatalog.%s.%s' already exists",
                    at->line, at->col, db, name);
    goto out;
  }
  have_q = 1;
  if (sql_query_prepare(p, qa, qb, &q) < 0) goto out;
  for (size_t i = 0; i < q.meta.n; i++) {
    const char *cn = q.meta.cols[i].name;
    if (!strncmp(cn, "_col", 4) && q.it.n == q.meta.n && !q.it.v[i].name) {
      asl_error_set(p->err, IRE,
                    "line %d:%d: Column name not specified at position %zu",
                    p->t->v[qa].line, p->t->v[qa].col, i + 1);
      goto out;
    }
    for (size_t j = 0; j < i; j++)
      if (!strcmp(q.meta.cols[j].name, cn)) {
        asl_error_set(p->err, IRE,
                      "line %d:%d: Column name '%s' specified more than once",
                      p->t->v[qa].line, p->t->v[qa].col, cn);
        goto out;
      }
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", cn);
    const char *ty = q.meta.cols[i].type;
    cJSON_AddStringToObject(c, "type", !strcmp(ty, "varchar") ? "string" : ty);
    cJSON_AddItemToArray(cols, c);
  }
  /* the first row was stepped: run the query again for the copy */
  sqlite3_finalize(q.st);
  q.st = NULL;
  if (strcmp(kind, "ICEBERG") &&
      cJSON_IsString(cJSON_GetObjectItem(tprops, "external_location"))) {
    rc = ctas_external(p, db, name, spec, tprops, &q, no_data, info);
    goto out;
  }
  if (sql_exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
  if (sql_create_storage(p->x, db, name, spec, p->err) < 0 ||
      sql_table_insert_catalog(p->x, db, name, kind, spec, p->err) < 0)
    goto rollback;
  if (!no_data) {
    char *qd = sql_qid(db), *qn = sql_qid(name);
    char *sql =
        asl_sprintf("INSERT INTO %s.%s SELECT * FROM (%s)", qd, qn, q.T.out.s);
    free(qd);
    free(qn);
    int r = sqlite3_exec(p->x->db, sql, NULL, NULL, NULL);
    free(sql);
    if (r != SQLITE_OK) {
      sql_sqlite_fail(&q.T, r, p->err);
      goto rollback;
    }
    info->rows_affected = sqlite3_changes64(p->x->db);
  }
  if (sql_exec(p->x, "COMMIT", p->err) < 0) goto rollback;
  rc = 0;
  goto out;
rollback:
  sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
out:
  if (have_q) sql_qrun_free(&q);
  free(db);
  free(name);
  cJSON_Delete(spec);
  return rc;
}

/* ---- what INSERT, UPDATE, DELETE and MERGE share ---- */
/* The target of a DML statement: found, managed, attached. */
static int dml_target(P *p, const char *what, char **db, char **name,
                      char **kind, cJSON **spec, sql_tok **at) {
  if (sql_qname(p, db, name, at) < 0) return -1;
  if (!*db) *db = asl_strdup(p->x->cur);
  if (!sql_db_exists(p->x, *db))
    return asl_error_set(p->err, IRE, "line %d:%d: Schema '%s' does not exist",
                         (*at)->line, (*at)->col, *db);
  if (!sql_table_get(p->x, *db, *name, kind, spec))
    return asl_error_set(p->err, IRE,
                         "line %d:%d: Table 'awsdatacatalog.%s.%s' does not "
                         "exist",
                         (*at)->line, (*at)->col, *db, *name);
  if (strcmp(what, "INSERT") != 0 && strcmp(*kind, "ICEBERG") != 0)
    /* Trino's Hive connector, as dbt-trino #457 quotes it */
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: Modifying Hive table rows is only "
                         "supported for transactional tables");
  return sql_attach(p->x, *db, p->err);
}

/* Translates [a, b) and runs it as one write; rows_affected from SQLite. */
static int run_write(P *p, const char *prefix, size_t a, size_t b,
                     asl_sql_info *info) {
  tr T = {0};
  T.x = p->x;
  T.t = p->t;
  T.err = p->err;
  sql_collect_ctes(&T, a, b);
  int rc = -1;
  if (sql_translate(&T, a, b) < 0) goto out;
  T.qa = a;
  T.qb = b;
  T.have_q = 1;
  if (sql_refresh_refs(&T, p->err) < 0) goto out;
  char *sql = asl_sprintf("%s %s", prefix, T.out.s ? T.out.s : "");
  sqlite3_stmt *st = NULL;
  int r = sqlite3_prepare_v2(p->x->db, sql, -1, &st, NULL);
  free(sql);
  if (r == SQLITE_OK) {
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    }
  }
  if (r != SQLITE_DONE) {
    sql_sqlite_fail(&T, r, p->err);
    sqlite3_finalize(st);
    goto out;
  }
  sqlite3_finalize(st);
  info->rows_affected = sqlite3_changes64(p->x->db);
  rc = 0;
out:
  sql_tr_free(&T);
  return rc;
}

/* ---- INSERT INTO ---- */
static int ext_write(P *p, const char *db, const char *name, const cJSON *spec,
                     size_t a, size_t b, const char *collist,
                     asl_sql_info *info);

int sql_st_insert(P *p, asl_sql_info *info) {
  if (sql_expect(p, "into", "'INTO'") < 0) return -1;
  char *db = NULL, *name = NULL, *kind = NULL;
  cJSON *spec = NULL;
  sql_tok *at;
  int rc = -1;
  sql_info_set(info, "DML", "INSERT", 0);
  if (dml_target(p, "INSERT", &db, &name, &kind, &spec, &at) < 0) goto out;
  asl_buf cl = {0};
  if (sql_op_is(sql_pk(p), "(") && !sql_tk_is(sql_pk2(p, 1), "select") &&
      !sql_tk_is(sql_pk2(p, 1), "with") &&
      !sql_tk_is(sql_pk2(p, 1), "values")) {
    p->i++;
    asl_buf_putc(&cl, '(');
    for (int n = 0;; n++) {
      char *c;
      if (sql_ident(p, &c) < 0) {
        asl_buf_free(&cl);
        goto out;
      }
      char *q = sql_qid(c);
      asl_buf_printf(&cl, "%s%s", n ? ", " : "", q);
      free(q);
      free(c);
      if (sql_accept_op(p, ",")) continue;
      if (sql_expect_op(p, ")") < 0) {
        asl_buf_free(&cl);
        goto out;
      }
      break;
    }
    asl_buf_putc(&cl, ')');
  }
  char *collist = asl_buf_take(&cl);
  if (!sql_tk_is(sql_pk(p), "select") && !sql_tk_is(sql_pk(p), "with") &&
      !sql_tk_is(sql_pk(p), "values") && !sql_op_is(sql_pk(p), "(")) {
    sql_syntax(p, sql_pk(p), "'SELECT', 'VALUES', 'WITH', '('");
    free(collist);
    goto out;
  }
  if (!strcmp(kind, "EXTERNAL")) {
    rc = ext_write(p, db, name, spec, p->i, p->end, collist, info);
    free(collist);
    goto out;
  }
  char *qd = sql_qid(db), *qn = sql_qid(name);
  char *prefix = asl_sprintf("INSERT INTO %s.%s %s", qd, qn, collist);
  free(qd);
  free(qn);
  free(collist);
  rc = run_write(p, prefix, p->i, p->end, info);
  free(prefix);
out:
  free(db);
  free(name);
  free(kind);
  cJSON_Delete(spec);
  return rc;
}

/* INSERT into an external delimited/OpenCSV/JSON table: the query's rows
 * become a new object under LOCATION in the table's format. Partitioned
 * external tables are refused. */
static int ext_write(P *p, const char *db, const char *name, const cJSON *spec,
                     size_t a, size_t b, const char *collist,
                     asl_sql_info *info) {
  if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(spec, "partitions")))
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl does not support INSERT INTO a "
                         "partitioned external table yet");
  if (collist && *collist)
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl does not support a column list "
                         "in INSERT INTO an external table yet");
  const char *sdv =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "serde"));
  if (sdv && !strcmp(sdv, "parquet"))
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl does not support INSERT INTO a "
                         "Parquet table yet");
  qrun q;
  int rc = sql_query_prepare(p, a, b, &q);
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  size_t nc = (size_t)cJSON_GetArraySize(cols);
  if (rc == 0 && q.meta.n != nc)
    rc = asl_error_set(p->err, IRE,
                       "line %d:%d: Insert query has %zu columns but table "
                       "%s.%s has %zu",
                       p->t->v[a].line, p->t->v[a].col, q.meta.n, db, name, nc);
  const char *serde =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "serde"));
  const char *dl =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "delim"));
  const char *es =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "escape"));
  char delim = dl && *dl ? *dl : (serde && !strcmp(serde, "opencsv") ? ',' : 1);
  asl_buf o = {0};
  long long n = 0;
  while (rc == 0 && q.have_row) {
    cJSON *obj = serde && !strcmp(serde, "json") ? cJSON_CreateObject() : NULL;
    for (size_t i = 0; i < nc; i++) {
      const cJSON *c = cJSON_GetArrayItem(cols, (int)i);
      const char *cn = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
      char tb[64];
      const char *ty = sql_result_type(
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "type")),
          tb);
      char *v = sql_fmt_value(sqlite3_column_value(q.st, (int)i), ty);
      if (obj) {
        sqlite3_value *sv = sqlite3_column_value(q.st, (int)i);
        if (!v)
          cJSON_AddNullToObject(obj, cn);
        else if (sqlite3_value_type(sv) == SQLITE_INTEGER &&
                 strcmp(ty, "boolean") && strcmp(ty, "varchar"))
          cJSON_AddNumberToObject(obj, cn, (double)sqlite3_value_int64(sv));
        else if (sqlite3_value_type(sv) == SQLITE_FLOAT &&
                 strcmp(ty, "varchar"))
          cJSON_AddNumberToObject(obj, cn, sqlite3_value_double(sv));
        else if (!strcmp(ty, "boolean"))
          cJSON_AddBoolToObject(obj, cn, !strcmp(v, "true"));
        else
          cJSON_AddStringToObject(obj, cn, v);
      } else {
        if (i) asl_buf_putc(&o, delim);
        if (serde && !strcmp(serde, "opencsv")) {
          asl_buf_putc(&o, '"');
          for (const char *s = v ? v : ""; *s; s++) {
            if (*s == '"') asl_buf_putc(&o, '"');
            asl_buf_putc(&o, *s);
          }
          asl_buf_putc(&o, '"');
        } else if (!v) {
          asl_buf_puts(&o, "\\N");
        } else {
          for (const char *s = v; *s; s++) {
            if (es && *es && (*s == delim || *s == *es || *s == '\n'))
              asl_buf_putc(&o, *es);
            asl_buf_putc(&o, *s == '\n' && es && *es ? 'n' : *s);
          }
        }
      }
      free(v);
    }
    if (obj) {
      char *js = cJSON_PrintUnformatted(obj);
      asl_buf_puts(&o, js);
      cJSON_free(js);
      cJSON_Delete(obj);
    }
    asl_buf_putc(&o, '\n');
    n++;
    int r = sqlite3_step(q.st);
    if (r == SQLITE_DONE)
      q.have_row = 0;
    else if (r != SQLITE_ROW)
      rc = sql_sqlite_fail(&q.T, r, p->err);
  }
  if (rc == 0 && n > 0) {
    const char *loc = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(spec, "location"));
    char *bucket, *prefix;
    if (sql_split_location(loc, &bucket, &prefix, p->err) < 0) {
      rc = -1;
    } else {
      char fn[96];
      sql_stamp_name(fn, sizeof fn, 9);
      char *key = *prefix ? asl_sprintf("%s/%s", prefix, fn) : asl_strdup(fn);
      asl_error le = {0};
      if (asl_lake_put(p->x->lake, bucket, key, o.s ? o.s : "", o.len, NULL,
                       &le) < 0) {
        rc = asl_error_set(p->err,
                           !strcmp(le.name ? le.name : "", "NoSuchBucket")
                               ? IRE
                               : "InternalError",
                           "writing s3://%s/%s: %s: %s", bucket, key,
                           le.name ? le.name : "", le.cause ? le.cause : "");
        asl_error_clear(&le);
      }
      free(key);
      free(bucket);
      free(prefix);
    }
  }
  if (rc == 0) info->rows_affected = n;
  asl_buf_free(&o);
  sql_qrun_free(&q);
  return rc;
}

/* ---- UPDATE / DELETE ---- */
int sql_st_update_delete(P *p, int is_update, asl_sql_info *info) {
  char *db = NULL, *name = NULL, *kind = NULL;
  cJSON *spec = NULL;
  sql_tok *at;
  size_t start = p->i - 1; /* the UPDATE or DELETE token */
  int rc = -1;
  sql_info_set(info, "DML", is_update ? "UPDATE" : "DELETE", 0);
  if (!is_update && sql_expect(p, "from", "'FROM'") < 0) goto out;
  if (dml_target(p, is_update ? "UPDATE" : "DELETE", &db, &name, &kind, &spec,
                 &at) < 0)
    goto out;
  if (is_update && !sql_tk_is(sql_pk(p), "set")) {
    sql_syntax(p, sql_pk(p), "'SET'");
    goto out;
  }
  if (!is_update && !sql_at_end(p) && !sql_tk_is(sql_pk(p), "where")) {
    sql_syntax(p, sql_pk(p), "'WHERE', <EOF>");
    goto out;
  }
  rc = run_write(p, "", start, p->end, info);
out:
  free(db);
  free(name);
  free(kind);
  cJSON_Delete(spec);
  return rc;
}

/* ---- MERGE INTO ---- */
typedef struct when {
  int matched;   /* 1 MATCHED, 0 NOT MATCHED */
  int action;    /* 'U' update, 'D' delete, 'I' insert */
  size_t ca, cb; /* condition tokens, ca == cb: none */
  size_t sa, sb; /* UPDATE SET assignments / INSERT VALUES (...) inside */
  size_t la, lb; /* INSERT column list inside the parens; la == lb: none */
} when;

/* Next token index at depth 0 in [i, b) that is keyword kw, or b. */
static size_t find_kw(sql_toks *t, size_t i, size_t b, const char *kw) {
  int d = 0;
  for (; i < b; i++) {
    if (sql_op_is(&t->v[i], "("))
      d++;
    else if (sql_op_is(&t->v[i], ")"))
      d--;
    else if (!d && sql_tk_is(&t->v[i], kw))
      return i;
  }
  return b;
}

static char *tr_range(P *p, tr *T, size_t a, size_t b) {
  size_t from = T->out.len;
  if (sql_translate(T, a, b) < 0) return NULL;
  char *s = asl_strndup(T->out.s ? T->out.s + from : "", T->out.len - from);
  return s;
}

int sql_st_merge(P *p, asl_sql_info *info) {
  sqlx *x = p->x;
  sql_toks *t = p->t;
  char *db = NULL, *name = NULL, *kind = NULL, *talias = NULL, *salias = NULL;
  cJSON *spec = NULL;
  sql_tok *at;
  when *w = NULL;
  size_t nw = 0;
  int rc = -1, in_tx = 0;
  tr T = {0};
  T.x = x;
  T.t = t;
  T.err = p->err;
  asl_buf sql = {0};
  char **parts = NULL;
  size_t nparts = 0;
  sql_info_set(info, "DML", "MERGE", 0);
  if (sql_expect(p, "into", "'INTO'") < 0) goto out;
  if (dml_target(p, "MERGE", &db, &name, &kind, &spec, &at) < 0) goto out;
  sql_accept(p, "as");
  if (sql_is_name_tok(sql_pk(p)) && !sql_tk_is(sql_pk(p), "using"))
    sql_ident(p, &talias);
  if (!talias) talias = asl_strdup(name);
  if (sql_expect(p, "using", "'USING'") < 0) goto out;
  size_t sa, sb;
  int src_query = 0;
  sql_tok *src_at = sql_pk(p);
  if (sql_op_is(sql_pk(p), "(")) {
    sa = p->i + 1;
    sb = sql_match_paren(t, p->i, p->end);
    if (sb >= p->end) {
      sql_syntax(p, &t->v[p->end], "')'");
      goto out;
    }
    p->i = sb + 1;
    src_query = 1;
  } else {
    sa = p->i;
    char *sd, *sn;
    if (sql_qname(p, &sd, &sn, NULL) < 0) goto out;
    sb = p->i;
    salias = asl_strdup(sn);
    free(sd);
    free(sn);
  }
  sql_accept(p, "as");
  if (sql_is_name_tok(sql_pk(p)) && !sql_tk_is(sql_pk(p), "on")) {
    free(salias);
    salias = NULL;
    sql_ident(p, &salias);
  }
  if (!salias) salias = asl_strdup("__asl_source");
  if (sql_expect(p, "on", "'ON'") < 0) goto out;
  size_t ona = p->i, onb = find_kw(t, p->i, p->end, "when");
  if (onb == ona) {
    sql_syntax(p, sql_pk(p), "<expression>");
    goto out;
  }
  p->i = onb;
  if (sql_at_end(p)) {
    sql_syntax(p, sql_pk(p), "'WHEN'");
    goto out;
  }
  while (!sql_at_end(p)) {
    if (sql_expect(p, "when", "'WHEN', <EOF>") < 0) goto out;
    w = asl_realloc(w, (nw + 1) * sizeof *w);
    when *c = &w[nw++];
    memset(c, 0, sizeof *c);
    c->matched = 1;
    if (sql_accept(p, "not")) c->matched = 0;
    if (sql_expect(p, "matched", "'MATCHED'") < 0) goto out;
    if (sql_accept(p, "and")) {
      c->ca = p->i;
      c->cb = find_kw(t, p->i, p->end, "then");
      p->i = c->cb;
    }
    if (sql_expect(p, "then", "'THEN', 'AND'") < 0) goto out;
    sql_tok *act = sql_pk(p);
    if (c->matched && sql_accept(p, "update")) {
      c->action = 'U';
      if (sql_expect(p, "set", "'SET'") < 0) goto out;
      c->sa = p->i;
      c->sb = find_kw(t, p->i, p->end, "when");
      if (c->sa == c->sb) {
        sql_syntax(p, sql_pk(p), "<identifier>");
        goto out;
      }
      p->i = c->sb;
    } else if (c->matched && sql_accept(p, "delete")) {
      c->action = 'D';
    } else if (!c->matched && sql_accept(p, "insert")) {
      c->action = 'I';
      if (sql_op_is(sql_pk(p), "(")) {
        size_t e = sql_match_paren(t, p->i, p->end);
        c->la = p->i + 1;
        c->lb = e;
        p->i = e + 1;
      }
      if (sql_expect(p, "values", "'VALUES'") < 0) goto out;
      if (!sql_op_is(sql_pk(p), "(")) {
        sql_syntax(p, sql_pk(p), "'('");
        goto out;
      }
      size_t e = sql_match_paren(t, p->i, p->end);
      if (e >= p->end) {
        sql_syntax(p, &t->v[p->end], "')'");
        goto out;
      }
      c->sa = p->i + 1;
      c->sb = e;
      p->i = e + 1;
    } else {
      sql_syntax(p, act, c->matched ? "'UPDATE', 'DELETE'" : "'INSERT'");
      goto out;
    }
  }
  /* the source, materialised */
  char *src = src_query ? tr_range(p, &T, sa, sb) : NULL;
  if (!src_query) {
    /* re-read the name: [catalog.][db.]table */
    size_t save = p->i;
    p->i = sa;
    char *sd = NULL, *sn = NULL;
    if (sql_qname(p, &sd, &sn, NULL) == 0) {
      if (!sd) sd = asl_strdup(x->cur);
      if (sql_resolve_table(&T, src_at, sd, sn) == 0) {
        char *a1 = sql_qid(sd), *a2 = sql_qid(sn);
        src = asl_sprintf("SELECT * FROM %s.%s", a1, a2);
        free(a1);
        free(a2);
      }
    }
    free(sd);
    free(sn);
    p->i = save;
  }
  if (!src) goto out;
  if (sql_refresh_refs(&T, p->err) < 0) {
    free(src);
    goto out;
  }
  char *qd = sql_qid(db), *qn = sql_qid(name), *qta = sql_qid(talias),
       *qsa = sql_qid(salias);
  char *target = asl_sprintf("%s.%s", qd, qn);
  free(qd);
  free(qn);
  if (sql_exec(x, "BEGIN IMMEDIATE", p->err) < 0) {
    free(src);
    goto out2;
  }
  in_tx = 1;
  asl_buf_printf(&sql,
                 "DROP TABLE IF EXISTS temp.__asl_src; DROP TABLE IF EXISTS "
                 "temp.__asl_m; CREATE TEMP TABLE __asl_src AS %s",
                 src);
  free(src);
  char *s = asl_buf_take(&sql);
  int r = sqlite3_exec(x->db, s, NULL, NULL, NULL);
  free(s);
  if (r != SQLITE_OK) {
    sql_sqlite_fail(&T, r, p->err);
    goto out2;
  }
  char *on = tr_range(p, &T, ona, onb);
  if (!on) goto out2;
  asl_buf_printf(&sql,
                 "CREATE TEMP TABLE __asl_m AS SELECT %s.rowid AS trid, "
                 "%s.rowid AS srid, CASE",
                 qta, qsa);
  int nm = 0;
  for (size_t i = 0; i < nw; i++) {
    if (!w[i].matched) continue;
    char *cond =
        w[i].ca < w[i].cb ? tr_range(p, &T, w[i].ca, w[i].cb) : asl_strdup("1");
    if (!cond) {
      free(on);
      goto out2;
    }
    asl_buf_printf(&sql, " WHEN (%s) THEN %zu", cond, i + 1);
    free(cond);
    nm++;
  }
  if (!nm) asl_buf_puts(&sql, " WHEN 0 THEN 0");
  asl_buf_printf(&sql,
                 " ELSE 0 END AS k FROM %s AS %s JOIN temp.__asl_src AS "
                 "%s ON (%s)",
                 target, qta, qsa, on);
  free(on);
  s = asl_buf_take(&sql);
  r = sqlite3_exec(x->db, s, NULL, NULL, NULL);
  free(s);
  if (r != SQLITE_OK) {
    sql_sqlite_fail(&T, r, p->err);
    goto out2;
  }
  /* Trino's rule (MERGE_TARGET_ROW_MULTIPLE_MATCHES) */
  sqlite3_stmt *st;
  sqlite3_prepare_v2(x->db,
                     "SELECT 1 FROM temp.__asl_m WHERE k > 0 GROUP BY trid "
                     "HAVING count(*) > 1 LIMIT 1",
                     -1, &st, NULL);
  r = sqlite3_step(st);
  sqlite3_finalize(st);
  if (r == SQLITE_ROW) {
    asl_error_set(p->err, IRE,
                  "MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table "
                  "row matched more than one source row");
    goto out2;
  }
  /* the target's columns, for INSERT without a list */
  const cJSON *c;
  for (int pass = 0; pass < 2; pass++)
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              spec, pass ? "partitions" : "columns")) {
      if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "type")))
        continue;
      parts = asl_realloc(parts, (nparts + 1) * sizeof(char *));
      parts[nparts++] =
          sql_qid(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
    }
  long long affected = 0;
  asl_buf prev = {0}; /* earlier NOT MATCHED conditions */
  for (size_t i = 0; i < nw; i++) {
    when *cw = &w[i];
    if (cw->action == 'U') {
      asl_buf_printf(&sql, "UPDATE %s AS %s SET ", target, qta);
      /* col = expr, ... at depth 0 */
      size_t j = cw->sa;
      int first = 1;
      while (j < cw->sb) {
        size_t e = j;
        int d = 0;
        while (e < cw->sb && !(d == 0 && sql_op_is(&t->v[e], ","))) {
          if (sql_op_is(&t->v[e], "(")) d++;
          if (sql_op_is(&t->v[e], ")")) d--;
          e++;
        }
        size_t eq = j;
        while (eq < e && !sql_op_is(&t->v[eq], "="))
          eq++;
        if (eq >= e || eq == j) {
          asl_error_set(p->err, IRE,
                        "line %d:%d: mismatched input '%s'. "
                        "Expecting: '='",
                        t->v[j].line, t->v[j].col, sql_tok_text(&t->v[j]));
          asl_buf_free(&prev);
          goto out2;
        }
        const sql_tok *col = &t->v[eq - 1];
        char *val = tr_range(p, &T, eq + 1, e);
        if (!val) {
          asl_buf_free(&prev);
          goto out2;
        }
        char *qc = sql_qid(col->v);
        asl_buf_printf(&sql, "%s%s = (%s)", first ? "" : ", ", qc, val);
        free(qc);
        free(val);
        first = 0;
        j = e + 1;
      }
      asl_buf_printf(&sql,
                     " FROM (SELECT m.trid AS __asl_trid, s.* FROM "
                     "temp.__asl_m AS m JOIN temp.__asl_src AS s ON s.rowid = "
                     "m.srid WHERE m.k = %zu) AS %s WHERE %s.rowid = "
                     "%s.__asl_trid",
                     i + 1, qsa, qta, qsa);
    } else if (cw->action == 'D') {
      asl_buf_printf(&sql,
                     "DELETE FROM %s WHERE rowid IN (SELECT trid FROM "
                     "temp.__asl_m WHERE k = %zu)",
                     target, i + 1);
    } else {
      char *vals = tr_range(p, &T, cw->sa, cw->sb);
      char *cond =
          cw->ca < cw->cb ? tr_range(p, &T, cw->ca, cw->cb) : asl_strdup("1");
      if (!vals || !cond) {
        free(vals);
        free(cond);
        asl_buf_free(&prev);
        goto out2;
      }
      asl_buf_printf(&sql, "INSERT INTO %s (", target);
      if (cw->la < cw->lb) {
        int first = 1;
        for (size_t j = cw->la; j < cw->lb; j++) {
          if (sql_op_is(&t->v[j], ",")) continue;
          if (!sql_is_name_tok(&t->v[j])) {
            asl_error_set(p->err, IRE,
                          "line %d:%d: mismatched input '%s'. Expecting: "
                          "<identifier>",
                          t->v[j].line, t->v[j].col, sql_tok_text(&t->v[j]));
            free(vals);
            free(cond);
            asl_buf_free(&prev);
            goto out2;
          }
          char *qc = sql_qid(t->v[j].v);
          asl_buf_printf(&sql, "%s%s", first ? "" : ", ", qc);
          free(qc);
          first = 0;
        }
      } else {
        for (size_t j = 0; j < nparts; j++)
          asl_buf_printf(&sql, "%s%s", j ? ", " : "", parts[j]);
      }
      asl_buf_printf(
          &sql,
          ") SELECT %s FROM temp.__asl_src AS %s WHERE %s.rowid "
          "NOT IN (SELECT srid FROM temp.__asl_m) AND coalesce((%s), "
          "0)%s",
          vals, qsa, qsa, cond, prev.s ? prev.s : "");
      asl_buf_printf(&prev, " AND NOT coalesce((%s), 0)", cond);
      free(vals);
      free(cond);
    }
    s = asl_buf_take(&sql);
    r = sqlite3_exec(x->db, s, NULL, NULL, NULL);
    free(s);
    if (r != SQLITE_OK) {
      sql_sqlite_fail(&T, r, p->err);
      asl_buf_free(&prev);
      goto out2;
    }
    affected += sqlite3_changes64(x->db);
  }
  asl_buf_free(&prev);
  sqlite3_exec(x->db,
               "DROP TABLE IF EXISTS temp.__asl_src; DROP TABLE IF EXISTS "
               "temp.__asl_m",
               NULL, NULL, NULL);
  if (sql_exec(x, "COMMIT", p->err) < 0) goto out2;
  in_tx = 0;
  info->rows_affected = affected;
  rc = 0;
out2:
  free(target);
  free(qta);
  free(qsa);
out:
  if (in_tx) {
    sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(x->db,
                 "DROP TABLE IF EXISTS temp.__asl_src; DROP TABLE IF EXISTS "
                 "temp.__asl_m",
                 NULL, NULL, NULL);
  }
  for (size_t i = 0; i < nparts; i++)
    free(parts[i]);
  free(parts);
  asl_buf_free(&sql);
  sql_tr_free(&T);
  free(w);
  free(db);
  free(name);
  free(kind);
  free(talias);
  free(salias);
  cJSON_Delete(spec);
  return rc;
}
