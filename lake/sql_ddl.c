/* sql_ddl.c: the Athena SQL engine's (lake/sql.h) catalog statements:
 * CREATE / DROP DATABASE, SHOW, DESCRIBE, CREATE EXTERNAL TABLE, DROP TABLE,
 * MSCK REPAIR TABLE / ALTER TABLE ADD PARTITION, and the statement helpers
 * they share with sql_dml.c (table properties, column definitions, the
 * catalog row and storage of a new table). */
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

/* ---- statement helpers ---- */
void sql_info_set(asl_sql_info *info, const char *st, const char *sub,
                  int header) {
  info->statement_type = st;
  info->substatement_type = sub;
  info->header_row = header;
}

int sql_not_supported(P *p, const sql_tok *t, const char *what) {
  return asl_error_set(p->err, IRE,
                       "line %d:%d: NOT_SUPPORTED: asl does not support %s yet",
                       t->line, t->col, what);
}

int sql_need_db(P *p, const char *db) {
  if (sql_db_exists(p->x, db)) return 0;
  return asl_error_set(p->err, IRE,
                       "FAILED: SemanticException [Error 10072]: Database "
                       "does not exist: %s",
                       db);
}

/* ('k'='v', ...) into obj. */
int sql_props(P *p, cJSON *obj) {
  if (sql_expect_op(p, "(") < 0) return -1;
  for (;;) {
    char *k = NULL, *v = NULL;
    if (sql_str_lit(p, &k) < 0) return -1;
    if (sql_expect_op(p, "=") < 0 || sql_str_lit(p, &v) < 0) {
      free(k);
      return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
    cJSON_AddStringToObject(obj, k, v);
    free(k);
    free(v);
    if (sql_accept_op(p, ",")) continue;
    return sql_expect_op(p, ")");
  }
}

/* A Hive column type: name[(n[,m])] | array<T> | map<T,T> | struct<n:T,..> */
static int hive_type(P *p, asl_buf *o) {
  sql_tok *t = sql_pk(p);
  if (t->k != TK_ID) return sql_syntax(p, t, "<type>");
  p->i++;
  asl_buf_puts(o, t->v);
  if (!strcmp(t->v, "array") || !strcmp(t->v, "map") ||
      !strcmp(t->v, "struct")) {
    if (sql_expect_op(p, "<") < 0) return -1;
    asl_buf_putc(o, '<');
    for (int n = 0;; n++) {
      if (!strcmp(t->v, "struct")) {
        char *f;
        if (sql_ident(p, &f) < 0) return -1;
        asl_buf_printf(o, "%s:", f);
        free(f);
        if (sql_expect_op(p, ":") < 0) return -1;
      }
      if (hive_type(p, o) < 0) return -1;
      if (sql_accept_op(p, ",")) {
        asl_buf_putc(o, ',');
        continue;
      }
      if (sql_expect_op(p, ">") < 0) return -1;
      asl_buf_putc(o, '>');
      return 0;
    }
  }
  if (sql_accept_op(p, "(")) {
    asl_buf_putc(o, '(');
    for (;;) {
      sql_tok *n = sql_pk(p);
      if (n->k != TK_NUM) return sql_syntax(p, n, "<integer>");
      asl_buf_puts(o, n->v);
      p->i++;
      if (sql_accept_op(p, ",")) {
        asl_buf_putc(o, ',');
        continue;
      }
      if (sql_expect_op(p, ")") < 0) return -1;
      asl_buf_putc(o, ')');
      break;
    }
  }
  char *ty = o->s;
  /* the last type written: find its start */
  (void)ty;
  return 0;
}

static int check_type(P *p, const sql_tok *at, const char *ty) {
  if (sql_type_known(ty)) return 0;
  return asl_error_set(p->err, IRE, "line %d:%d: Unknown type '%s'", at->line,
                       at->col, ty);
}

/* ( name type [COMMENT '..'], ... ) into arr; types checked. */
int sql_col_defs(P *p, cJSON *arr, int types_optional) {
  if (sql_expect_op(p, "(") < 0) return -1;
  for (;;) {
    char *name;
    sql_tok *at = sql_pk(p);
    if (sql_ident(p, &name) < 0) return -1;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", name);
    cJSON_AddItemToArray(arr, c);
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
      if (o != c &&
          !strcmp(cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring,
                  name)) {
        asl_error_set(p->err, IRE,
                      "FAILED: SemanticException [Error 10036]: Duplicate "
                      "column name: %s",
                      name);
        free(name);
        return -1;
      }
    }
    free(name);
    (void)at;
    if (!(types_optional &&
          (sql_op_is(sql_pk(p), ",") || sql_op_is(sql_pk(p), ")")))) {
      sql_tok *tt = sql_pk(p);
      asl_buf ty = {0};
      if (hive_type(p, &ty) < 0) {
        asl_buf_free(&ty);
        return -1;
      }
      char *ts = asl_buf_take(&ty);
      if (check_type(p, tt, ts) < 0) {
        free(ts);
        return -1;
      }
      cJSON_AddStringToObject(c, "type", ts);
      free(ts);
    }
    if (sql_accept(p, "comment")) {
      char *cm;
      if (sql_str_lit(p, &cm) < 0) return -1;
      cJSON_AddStringToObject(c, "comment", cm);
      free(cm);
    }
    if (sql_accept_op(p, ",")) continue;
    return sql_expect_op(p, ")");
  }
}

int sql_table_insert_catalog(sqlx *x, const char *db, const char *name,
                             const char *kind, const cJSON *spec,
                             asl_error *err) {
  sqlite3_stmt *st;
  char *js = cJSON_PrintUnformatted(spec);
  int rc = sqlite3_prepare_v2(x->db,
                              "INSERT INTO main.tables(db, name, kind, spec) "
                              "VALUES(?1, ?2, ?3, ?4)",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, js, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
  }
  cJSON_free(js);
  if (rc != SQLITE_DONE)
    return asl_error_set(err, "InternalError", "catalog: %s",
                         sqlite3_errmsg(x->db));
  return 0;
}

/* Creates the SQLite table of a managed table: columns then partitions. */
int sql_create_storage(sqlx *x, const char *db, const char *name,
                       const cJSON *spec, asl_error *err) {
  if (sql_attach(x, db, err) < 0) return -1;
  char *qd = sql_qid(db), *qn = sql_qid(name);
  asl_buf b = {0};
  asl_buf_printf(&b, "DROP TABLE IF EXISTS %s.%s; CREATE TABLE %s.%s (", qd, qn,
                 qd, qn);
  int k = 0;
  for (int pass = 0; pass < 2; pass++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              spec, pass ? "partitions" : "columns")) {
      const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
      if (!cJSON_IsString(ty)) continue; /* Iceberg: a transform of a column */
      char tb[64];
      char *cn =
          sql_qid(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
      asl_buf_printf(&b, "%s%s %s", k++ ? ", " : "", cn,
                     sql_result_type(ty->valuestring, tb));
      free(cn);
    }
  }
  asl_buf_puts(&b, ")");
  free(qd);
  free(qn);
  char *sql = asl_buf_take(&b);
  int rc = sql_exec(x, sql, err);
  free(sql);
  return rc;
}

static int drop_storage(sqlx *x, const char *db, const char *name,
                        asl_error *err) {
  if (sql_attach(x, db, err) < 0) return -1;
  char *qd = sql_qid(db), *qn = sql_qid(name);
  char *sql = asl_sprintf("DROP TABLE IF EXISTS %s.%s", qd, qn);
  int rc = sql_exec(x, sql, err);
  free(sql);
  free(qd);
  free(qn);
  return rc;
}

/* ---- CREATE DATABASE / DROP DATABASE ---- */
int sql_st_create_db(P *p, asl_sql_info *info) {
  int ine = 0;
  if (sql_accept(p, "if")) {
    if (sql_expect(p, "not", "'NOT'") < 0 ||
        sql_expect(p, "exists", "'EXISTS'") < 0)
      return -1;
    ine = 1;
  }
  char *name = NULL, *comment = NULL, *loc = NULL;
  cJSON *pr = cJSON_CreateObject();
  int rc = -1;
  sql_tok *at = sql_pk(p);
  if (sql_ident(p, &name) < 0) goto out;
  for (;;) {
    if (sql_accept(p, "comment")) {
      free(comment);
      if (sql_str_lit(p, &comment) < 0) goto out;
    } else if (sql_accept(p, "location")) {
      free(loc);
      if (sql_str_lit(p, &loc) < 0) goto out;
    } else if (sql_accept(p, "with")) {
      if (sql_expect(p, "dbproperties", "'DBPROPERTIES'") < 0 ||
          sql_props(p, pr) < 0)
        goto out;
    } else {
      break;
    }
  }
  if (!sql_at_end(p)) {
    sql_syntax(p, sql_pk(p), "'COMMENT', 'LOCATION', 'WITH', <EOF>");
    goto out;
  }
  if (!sql_valid_name(name) || !strcmp(name, "main") || !strcmp(name, "temp")) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: Invalid database name '%s': use lowercase "
                  "letters, digits and '_'",
                  at->line, at->col, name);
    goto out;
  }
  if (loc) {
    char *b, *k;
    if (sql_split_location(loc, &b, &k, p->err) < 0) goto out;
    free(b);
    free(k);
  }
  sql_info_set(info, "DDL", "CREATE_DATABASE", 0);
  if (sql_db_exists(p->x, name)) {
    if (ine) {
      rc = 0;
      goto out;
    }
    /* Hive's DDLTask error, as Athena relays it */
    asl_error_set(p->err, IRE,
                  "FAILED: Execution Error, return code 1 from "
                  "org.apache.hadoop.hive.ql.exec.DDLTask. Database %s already "
                  "exists",
                  name);
    goto out;
  }
  sqlite3_stmt *st;
  char *js = cJSON_PrintUnformatted(pr);
  int r = sqlite3_prepare_v2(p->x->db,
                             "INSERT INTO main.databases VALUES(?1,?2,?3,?4)",
                             -1, &st, NULL);
  if (r == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, comment, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, loc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, js, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_finalize(st);
  }
  cJSON_free(js);
  if (r != SQLITE_DONE) {
    asl_error_set(p->err, "InternalError", "catalog: %s",
                  sqlite3_errmsg(p->x->db));
    goto out;
  }
  rc = 0;
out:
  free(name);
  free(comment);
  free(loc);
  cJSON_Delete(pr);
  return rc;
}

int sql_st_drop_db(P *p, asl_sql_info *info) {
  int ie = 0, cascade = 0;
  if (sql_accept(p, "if")) {
    if (sql_expect(p, "exists", "'EXISTS'") < 0) return -1;
    ie = 1;
  }
  char *name;
  if (sql_ident(p, &name) < 0) return -1;
  if (sql_accept(p, "cascade"))
    cascade = 1;
  else
    sql_accept(p, "restrict");
  int rc = -1;
  sqlx *x = p->x;
  if (!sql_at_end(p)) {
    sql_syntax(p, sql_pk(p), "'CASCADE', 'RESTRICT', <EOF>");
    goto out;
  }
  sql_info_set(info, "DDL", "DROP_DATABASE", 0);
  if (!sql_db_exists(x, name)) {
    if (ie)
      rc = 0;
    else
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10072]: Database does "
                    "not exist: %s",
                    name);
    goto out;
  }
  sqlite3_stmt *st;
  sqlite3_prepare_v2(x->db, "SELECT count(*) FROM main.tables WHERE db=?1", -1,
                     &st, NULL);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  long long n =
      sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (n && !cascade) {
    asl_error_set(p->err, IRE,
                  "FAILED: Execution Error, return code 1 from "
                  "org.apache.hadoop.hive.ql.exec.DDLTask. "
                  "InvalidOperationException(message:Database %s is not "
                  "empty. One or more tables exist.)",
                  name);
    goto out;
  }
  if (sql_exec(x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
  sqlite3_prepare_v2(x->db, "DELETE FROM main.tables WHERE db=?1; ", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int r1 = sqlite3_step(st);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(x->db, "DELETE FROM main.databases WHERE name=?1", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int r2 = sqlite3_step(st);
  sqlite3_finalize(st);
  if (r1 != SQLITE_DONE || r2 != SQLITE_DONE ||
      sql_exec(x, "COMMIT", p->err) < 0) {
    sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
    if (!p->err->name)
      asl_error_set(p->err, "InternalError", "catalog: %s",
                    sqlite3_errmsg(x->db));
    goto out;
  }
  /* the rows go with the database's file (an attached copy is detached
   * first) */
  for (size_t i = 0; i < x->nattached; i++) {
    if (strcmp(x->attached[i], name)) continue;
    char *q = sql_qid(name), *sql = asl_sprintf("DETACH DATABASE %s", q);
    sqlite3_exec(x->db, sql, NULL, NULL, NULL);
    free(sql);
    free(q);
    free(x->attached[i]);
    x->attached[i] = x->attached[--x->nattached];
    break;
  }
  const char *sfx[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < 4; i++) {
    char *f = asl_sprintf("%s/db/%s.sqlite%s", x->athena, name, sfx[i]);
    unlink(f);
    free(f);
  }
  rc = 0;
out:
  free(name);
  return rc;
}

/* ---- SHOW / DESCRIBE ---- */
int sql_st_show(P *p, const asl_sql_sink *sink, asl_sql_info *info) {
  sqlx *x = p->x;
  sql_tok *at = sql_pk(p);
  if (sql_accept(p, "databases") || sql_accept(p, "schemas")) {
    char *pat = NULL;
    if (sql_accept(p, "like")) {
      if (sql_str_lit(p, &pat) < 0) return -1;
    } else if (sql_pk(p)->k == TK_STR) {
      sql_str_lit(p, &pat);
    }
    if (!sql_at_end(p)) {
      free(pat);
      return sql_syntax(p, sql_pk(p), "'LIKE', <EOF>");
    }
    sql_info_set(info, "DDL", "SHOW_DATABASES", 0);
    textres r = {0};
    const char *names[] = {"database_name"};
    r.ncols = 1;
    r.names = names;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(x->db, "SELECT name FROM main.databases ORDER BY name",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *v = (const char *)sqlite3_column_text(st, 0);
      if (sql_hive_match(pat, v)) sql_tr_add(&r, &v);
    }
    sqlite3_finalize(st);
    free(pat);
    return sql_tr_send(&r, sink, p->err);
  }
  if (sql_accept(p, "tables")) {
    char *db = NULL, *pat = NULL;
    if (sql_accept(p, "in") || sql_accept(p, "from")) {
      if (sql_ident(p, &db) < 0) return -1;
    }
    if (sql_accept(p, "like")) {
      if (sql_str_lit(p, &pat) < 0) goto bad;
    } else if (sql_pk(p)->k == TK_STR) {
      sql_str_lit(p, &pat);
    }
    if (!sql_at_end(p)) {
      sql_syntax(p, sql_pk(p), "'IN', <string>, <EOF>");
      goto bad;
    }
    if (!db) db = asl_strdup(x->cur);
    if (sql_need_db(p, db) < 0) goto bad;
    sql_info_set(info, "DDL", "SHOW_TABLES", 0);
    textres r = {0};
    const char *names[] = {"tab_name"};
    r.ncols = 1;
    r.names = names;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(x->db,
                       "SELECT name FROM main.tables WHERE db=?1 ORDER BY name",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *v = (const char *)sqlite3_column_text(st, 0);
      if (sql_hive_match(pat, v)) sql_tr_add(&r, &v);
    }
    sqlite3_finalize(st);
    free(db);
    free(pat);
    return sql_tr_send(&r, sink, p->err);
  bad:
    free(db);
    free(pat);
    return -1;
  }
  if (sql_accept(p, "create")) {
    if (sql_expect(p, "table", "'TABLE', 'VIEW'") < 0) return -1;
    char *db, *name;
    if (sql_qname(p, &db, &name, NULL) < 0) return -1;
    if (!db) db = asl_strdup(x->cur);
    int rc = -1;
    char *kind = NULL;
    cJSON *spec = NULL;
    if (!sql_at_end(p)) {
      sql_syntax(p, sql_pk(p), "<EOF>");
      goto sc_out;
    }
    sql_info_set(info, "UTILITY", "SHOW_CREATE_TABLE", 0);
    if (!sql_table_get(x, db, name, &kind, &spec)) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
      goto sc_out;
    }
    asl_buf b = {0};
    int ext = !strcmp(kind, "EXTERNAL");
    asl_buf_printf(&b, "CREATE %sTABLE `%s`.`%s`(\n", ext ? "EXTERNAL " : "",
                   db, name);
    const cJSON *c, *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
    int n = cJSON_GetArraySize(cols), k = 0;
    cJSON_ArrayForEach(c, cols) {
      asl_buf_printf(&b, "  `%s` %s%s\n",
                     cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                     cJSON_GetObjectItemCaseSensitive(c, "type")->valuestring,
                     ++k < n ? "," : ")");
    }
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
    if (cJSON_GetArraySize(parts)) {
      asl_buf_puts(&b, "PARTITIONED BY (\n");
      n = cJSON_GetArraySize(parts);
      k = 0;
      cJSON_ArrayForEach(c, parts) {
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
        asl_buf_printf(&b, "  `%s`%s%s%s\n",
                       cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                       cJSON_IsString(ty) ? " " : "",
                       cJSON_IsString(ty) ? ty->valuestring : "",
                       ++k < n ? "," : ")");
      }
    }
    if (ext) {
      const cJSON *sd = cJSON_GetObjectItemCaseSensitive(spec, "serde");
      const char *serde = cJSON_IsString(sd) ? sd->valuestring : "lazy";
      if (!strcmp(serde, "parquet")) {
        asl_buf_puts(&b, "ROW FORMAT SERDE\n  'org.apache.hadoop.hive.ql.io."
                         "parquet.serde.ParquetHiveSerDe'\n"
                         "STORED AS INPUTFORMAT\n  'org.apache.hadoop.hive.ql."
                         "io.parquet.MapredParquetInputFormat'\n"
                         "OUTPUTFORMAT\n  'org.apache.hadoop.hive.ql.io."
                         "parquet.MapredParquetOutputFormat'\n");
      } else if (!strcmp(serde, "lazy")) {
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(spec, "delim");
        asl_buf_puts(&b, "ROW FORMAT DELIMITED\n");
        if (cJSON_IsString(dl))
          asl_buf_printf(&b, "  FIELDS TERMINATED BY '%s'\n", dl->valuestring);
      } else {
        asl_buf_printf(&b, "ROW FORMAT SERDE\n  '%s'\n",
                       !strcmp(serde, "opencsv")
                           ? "org.apache.hadoop.hive.serde2.OpenCSVSerde"
                           : "org.openx.data.jsonserde.JsonSerDe");
      }
      if (strcmp(serde, "parquet"))
        asl_buf_puts(&b, "STORED AS INPUTFORMAT\n  "
                         "'org.apache.hadoop.mapred.TextInputFormat'\n"
                         "OUTPUTFORMAT\n  'org.apache.hadoop.hive.ql.io."
                         "HiveIgnoreKeyTextOutputFormat'\n");
    }
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(spec, "location");
    if (cJSON_IsString(loc))
      asl_buf_printf(&b, "LOCATION\n  '%s'\n", loc->valuestring);
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(spec, "props");
    n = cJSON_GetArraySize(pr);
    if (n) {
      asl_buf_puts(&b, "TBLPROPERTIES (\n");
      k = 0;
      cJSON_ArrayForEach(c, pr) {
        asl_buf_printf(&b, "  '%s'='%s'%s\n", c->string,
                       cJSON_IsString(c) ? c->valuestring : "",
                       ++k < n ? "," : ")");
      }
    }
    char *text = asl_buf_take(&b);
    textres r = {0};
    const char *names[] = {"createtab_stmt"};
    r.ncols = 1;
    r.names = names;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      if (nl) *nl = 0;
      const char *v = line;
      sql_tr_add(&r, &v);
    }
    free(text);
    rc = sql_tr_send(&r, sink, p->err);
  sc_out:
    free(db);
    free(name);
    free(kind);
    cJSON_Delete(spec);
    return rc;
  }
  if (sql_accept(p, "columns")) {
    /* SHOW COLUMNS {IN|FROM} [db.]t [{IN|FROM} db]: column "field" */
    if (!sql_accept(p, "in") && sql_expect(p, "from", "'IN', 'FROM'") < 0)
      return -1;
    char *db, *name;
    if (sql_qname(p, &db, &name, NULL) < 0) return -1;
    if (sql_accept(p, "in") || sql_accept(p, "from")) {
      free(db);
      db = NULL;
      if (sql_ident(p, &db) < 0) {
        free(name);
        return -1;
      }
    }
    if (!db) db = asl_strdup(x->cur);
    int rc = -1;
    cJSON *spec = NULL;
    if (!sql_at_end(p)) {
      sql_syntax(p, sql_pk(p), "<EOF>");
    } else if (!sql_table_get(x, db, name, NULL, &spec)) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
    } else {
      sql_info_set(info, "DDL", "SHOW_COLUMNS", 0);
      textres r = {0};
      const char *names[] = {"field"};
      r.ncols = 1;
      r.names = names;
      for (int pass = 0; pass < 2; pass++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                                  spec, pass ? "partitions" : "columns")) {
          if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "type")))
            continue;
          const char *v =
              cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
          sql_tr_add(&r, &v);
        }
      }
      rc = sql_tr_send(&r, sink, p->err);
    }
    cJSON_Delete(spec);
    free(db);
    free(name);
    return rc;
  }
  if (sql_accept(p, "partitions")) {
    /* SHOW PARTITIONS [db.]t: the col=value/... folders that hold rows of
     * an external table (column "partition") */
    char *db, *name, *kind = NULL;
    cJSON *spec = NULL;
    if (sql_qname(p, &db, &name, NULL) < 0) return -1;
    if (!db) db = asl_strdup(x->cur);
    int rc = -1;
    sql_info_set(info, "DDL", "SHOW_PARTITIONS", 0);
    const cJSON *parts = NULL;
    if (!sql_at_end(p)) {
      sql_syntax(p, sql_pk(p), "<EOF>");
    } else if (!sql_table_get(x, db, name, &kind, &spec)) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
    } else if (strcmp(kind, "EXTERNAL") != 0 ||
               !cJSON_GetArraySize(parts = cJSON_GetObjectItemCaseSensitive(
                                       spec, "partitions"))) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10241]: Table %s is not "
                    "a partitioned table",
                    name);
    } else if (sql_attach(x, db, p->err) == 0 &&
               sql_ext_refresh(x, db, name, spec, NULL, p->err) == 0) {
      asl_buf q = {0}, order = {0};
      asl_buf_puts(&q, "SELECT DISTINCT ");
      const cJSON *c;
      int k = 0;
      cJSON_ArrayForEach(c, parts) {
        char *cn =
            sql_qid(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
        asl_buf_printf(&q, "%s%s", k ? ", " : "", cn);
        asl_buf_printf(&order, "%s%s", k++ ? ", " : "", cn);
        free(cn);
      }
      char *qd = sql_qid(db), *qn = sql_qid(name);
      asl_buf_printf(&q, " FROM %s.%s ORDER BY %s", qd, qn, order.s);
      free(qd);
      free(qn);
      asl_buf_free(&order);
      char *sql = asl_buf_take(&q);
      sqlite3_stmt *st = NULL;
      textres r = {0};
      const char *names[] = {"partition"};
      r.ncols = 1;
      r.names = names;
      if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
          asl_buf line = {0};
          int n = 0;
          cJSON_ArrayForEach(c, parts) {
            const char *v = (const char *)sqlite3_column_text(st, n);
            asl_buf_printf(
                &line, "%s%s=%s", n ? "/" : "",
                cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                v ? v : "__HIVE_DEFAULT_PARTITION__");
            n++;
          }
          char *lv = asl_buf_take(&line);
          const char *cv = lv;
          sql_tr_add(&r, &cv);
          free(lv);
        }
        sqlite3_finalize(st);
        rc = sql_tr_send(&r, sink, p->err);
      } else {
        asl_error_set(p->err, "InternalError", "%s", sqlite3_errmsg(x->db));
        sql_tr_send(&r, NULL, p->err);
      }
      free(sql);
    }
    free(kind);
    cJSON_Delete(spec);
    free(db);
    free(name);
    return rc;
  }
  if (sql_accept(p, "views") || sql_accept(p, "functions") ||
      sql_accept(p, "tblproperties"))
    return sql_not_supported(p, at, "this SHOW statement");
  return sql_syntax(p, sql_pk(p), "'DATABASES', 'SCHEMAS', 'TABLES', 'CREATE'");
}

int sql_st_describe(P *p, const asl_sql_sink *sink, asl_sql_info *info) {
  if (!sql_accept(p, "formatted")) sql_accept(p, "extended");
  char *db, *name;
  if (sql_qname(p, &db, &name, NULL) < 0) return -1;
  if (!db) db = asl_strdup(p->x->cur);
  int rc = -1;
  cJSON *spec = NULL;
  if (!sql_at_end(p)) {
    sql_syntax(p, sql_pk(p), "<EOF>");
    goto out;
  }
  sql_info_set(info, "UTILITY", "DESCRIBE_TABLE", 0);
  if (!sql_table_get(p->x, db, name, NULL, &spec)) {
    asl_error_set(p->err, IRE,
                  "FAILED: SemanticException [Error 10001]: Table not found "
                  "%s.%s",
                  db, name);
    goto out;
  }
  textres r = {0};
  const char *names[] = {"col_name", "data_type", "comment"};
  r.ncols = 3;
  r.names = names;
  for (int pass = 0; pass < 2; pass++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              spec, pass ? "partitions" : "columns")) {
      const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
      const cJSON *cm = cJSON_GetObjectItemCaseSensitive(c, "comment");
      const char *v[3] = {
          cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
          cJSON_IsString(ty) ? ty->valuestring : "",
          cJSON_IsString(cm)   ? cm->valuestring
          : !pass              ? ""
          : cJSON_IsString(ty) ? "partition"
                               : "partition transform"};
      sql_tr_add(&r, v);
    }
  }
  rc = sql_tr_send(&r, sink, p->err);
out:
  free(db);
  free(name);
  cJSON_Delete(spec);
  return rc;
}

/* ---- CREATE EXTERNAL TABLE ---- */
int sql_st_create_external(P *p, asl_sql_info *info) {
  int ine = 0, rc = -1;
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
  cJSON *sprops = cJSON_AddObjectToObject(spec, "serde_props");
  cJSON *tprops = cJSON_AddObjectToObject(spec, "props");
  const char *serde = "lazy";
  if (sql_qname(p, &db, &name, &at) < 0) goto out;
  if (!db) db = asl_strdup(p->x->cur);
  if (!sql_op_is(sql_pk(p), "(")) {
    sql_syntax(p, sql_pk(p), "'('");
    goto out;
  }
  if (sql_col_defs(p, cols, 0) < 0) goto out;
  for (;;) {
    sql_tok *k = sql_pk(p);
    if (sql_accept(p, "comment")) {
      char *c;
      if (sql_str_lit(p, &c) < 0) goto out;
      cJSON_AddStringToObject(spec, "comment", c);
      free(c);
    } else if (sql_accept(p, "partitioned")) {
      if (sql_expect(p, "by", "'BY'") < 0 || sql_col_defs(p, parts, 0) < 0)
        goto out;
    } else if (sql_accept(p, "clustered")) {
      sql_not_supported(p, k, "CLUSTERED BY");
      goto out;
    } else if (sql_accept(p, "row")) {
      if (sql_expect(p, "format", "'FORMAT'") < 0) goto out;
      if (sql_accept(p, "delimited")) {
        serde = "lazy";
        for (;;) {
          char *v = NULL;
          if (sql_accept(p, "fields")) {
            if (sql_expect(p, "terminated", "'TERMINATED'") < 0 ||
                sql_expect(p, "by", "'BY'") < 0 || sql_str_lit(p, &v) < 0)
              goto out;
            cJSON_DeleteItemFromObject(spec, "delim");
            cJSON_AddStringToObject(spec, "delim", v);
            free(v);
            if (sql_accept(p, "escaped")) {
              if (sql_expect(p, "by", "'BY'") < 0 || sql_str_lit(p, &v) < 0)
                goto out;
              cJSON_AddStringToObject(spec, "escape", v);
              free(v);
            }
          } else if (sql_accept(p, "lines") || sql_accept(p, "collection") ||
                     sql_accept(p, "map")) {
            /* LINES TERMINATED BY '\n' (the only one Hive has), and the
             * complex-type separators, recorded only */
            if (!sql_accept(p, "items")) sql_accept(p, "keys");
            if (sql_expect(p, "terminated", "'TERMINATED'") < 0 ||
                sql_expect(p, "by", "'BY'") < 0 || sql_str_lit(p, &v) < 0)
              goto out;
            free(v);
          } else if (sql_accept(p, "null")) {
            if (sql_expect(p, "defined", "'DEFINED'") < 0 ||
                sql_expect(p, "as", "'AS'") < 0 || sql_str_lit(p, &v) < 0)
              goto out;
            cJSON_AddStringToObject(sprops, "serialization.null.format", v);
            free(v);
          } else {
            break;
          }
        }
      } else if (sql_accept(p, "serde")) {
        char *cls;
        sql_tok *ct = sql_pk(p);
        if (sql_str_lit(p, &cls) < 0) goto out;
        if (!strcmp(cls, "org.apache.hadoop.hive.serde2.OpenCSVSerde"))
          serde = "opencsv";
        else if (!strcmp(cls, "org.openx.data.jsonserde.JsonSerDe") ||
                 !strcmp(cls, "org.apache.hive.hcatalog.data.JsonSerDe"))
          serde = "json";
        else if (!strcmp(cls,
                         "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"))
          serde = "lazy";
        else if (!strcmp(cls, "org.apache.hadoop.hive.ql.io.parquet.serde."
                              "ParquetHiveSerDe"))
          serde = "parquet";
        else {
          asl_error_set(p->err, IRE,
                        "line %d:%d: NOT_SUPPORTED: asl does not support the "
                        "SerDe %s yet",
                        ct->line, ct->col, cls);
          free(cls);
          goto out;
        }
        free(cls);
        if (sql_accept(p, "with")) {
          if (sql_expect(p, "serdeproperties", "'SERDEPROPERTIES'") < 0 ||
              sql_props(p, sprops) < 0)
            goto out;
        }
      } else {
        sql_syntax(p, sql_pk(p), "'DELIMITED', 'SERDE'");
        goto out;
      }
    } else if (sql_accept(p, "with")) {
      if (sql_expect(p, "serdeproperties", "'SERDEPROPERTIES'") < 0 ||
          sql_props(p, sprops) < 0)
        goto out;
    } else if (sql_accept(p, "stored")) {
      if (sql_expect(p, "as", "'AS'") < 0) goto out;
      sql_tok *ft = sql_pk(p);
      if (sql_accept(p, "inputformat")) {
        char *in = NULL, *of = NULL;
        if (sql_str_lit(p, &in) < 0) goto out;
        if (sql_expect(p, "outputformat", "'OUTPUTFORMAT'") < 0 ||
            sql_str_lit(p, &of) < 0) {
          free(in);
          goto out;
        }
        int text = !strcmp(in, "org.apache.hadoop.mapred.TextInputFormat");
        if (!strcmp(in, "org.apache.hadoop.hive.ql.io.parquet."
                        "MapredParquetInputFormat")) {
          text = 1;
          serde = "parquet";
        }
        cJSON_AddStringToObject(spec, "input_format", in);
        cJSON_AddStringToObject(spec, "output_format", of);
        if (!text) {
          asl_error_set(p->err, IRE,
                        "line %d:%d: NOT_SUPPORTED: asl does not support the "
                        "input format %s yet",
                        ft->line, ft->col, in);
          free(in);
          free(of);
          goto out;
        }
        free(in);
        free(of);
      } else if (sql_accept(p, "textfile")) {
        /* the default */
      } else if (sql_accept(p, "parquet")) {
        serde = "parquet";
      } else if (ft->k == TK_ID) {
        char up[32];
        snprintf(up, sizeof up, "%s", ft->v);
        for (char *c = up; *c; c++)
          *c = (char)toupper((unsigned char)*c);
        asl_error_set(p->err, IRE,
                      "line %d:%d: NOT_SUPPORTED: asl does not support STORED "
                      "AS %s yet",
                      ft->line, ft->col, up);
        goto out;
      } else {
        sql_syntax(p, ft, "'INPUTFORMAT', 'TEXTFILE'");
        goto out;
      }
    } else if (sql_accept(p, "location")) {
      char *l;
      if (sql_str_lit(p, &l) < 0) goto out;
      char *b, *k2;
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
    } else {
      break;
    }
  }
  if (!sql_at_end(p)) {
    sql_syntax(p, sql_pk(p),
               "'COMMENT', 'PARTITIONED', 'ROW', 'STORED', 'LOCATION', "
               "'TBLPROPERTIES', <EOF>");
    goto out;
  }
  if (!cJSON_GetObjectItemCaseSensitive(spec, "location")) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: an EXTERNAL table needs a LOCATION "
                  "'s3://bucket/prefix/'",
                  at->line, at->col);
    goto out;
  }
  cJSON_AddStringToObject(spec, "serde", serde);
  if (!strcmp(serde, "lazy")) {
    const char *fd =
        cJSON_GetStringValue(cJSON_GetObjectItem(sprops, "field.delim"));
    if (fd && !cJSON_GetObjectItemCaseSensitive(spec, "delim"))
      cJSON_AddStringToObject(spec, "delim", fd);
    const char *ec =
        cJSON_GetStringValue(cJSON_GetObjectItem(sprops, "escape.delim"));
    if (ec && !cJSON_GetObjectItemCaseSensitive(spec, "escape"))
      cJSON_AddStringToObject(spec, "escape", ec);
  } else if (!strcmp(serde, "opencsv")) {
    const char *sc =
        cJSON_GetStringValue(cJSON_GetObjectItem(sprops, "separatorChar"));
    cJSON_AddStringToObject(spec, "delim", sc && *sc ? sc : ",");
  }
  /* partition columns may not repeat data columns */
  const cJSON *pc;
  cJSON_ArrayForEach(pc, parts) {
    const char *pn = cJSON_GetObjectItemCaseSensitive(pc, "name")->valuestring;
    const cJSON *c;
    cJSON_ArrayForEach(c, cols) {
      if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                  pn)) {
        asl_error_set(p->err, IRE,
                      "FAILED: SemanticException [Error 10035]: Column "
                      "repeated in partitioning columns");
        goto out;
      }
    }
  }
  if (!sql_valid_name(name)) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: Invalid table name '%s': use lowercase letters, "
                  "digits and '_'",
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
                    "FAILED: Execution Error, return code 1 from "
                    "org.apache.hadoop.hive.ql.exec.DDLTask. "
                    "AlreadyExistsException(message:Table %s already exists)",
                    name);
    goto out;
  }
  if (sql_attach(p->x, db, p->err) < 0) goto out;
  if (drop_storage(p->x, db, name, p->err) < 0) goto out;
  rc = sql_table_insert_catalog(p->x, db, name, "EXTERNAL", spec, p->err);
out:
  free(db);
  free(name);
  cJSON_Delete(spec);
  return rc;
}

/* ---- DROP TABLE ---- */
int sql_st_drop_table(P *p, asl_sql_info *info) {
  int ie = 0;
  if (sql_accept(p, "if")) {
    if (sql_expect(p, "exists", "'EXISTS'") < 0) return -1;
    ie = 1;
  }
  char *db, *name;
  if (sql_qname(p, &db, &name, NULL) < 0) return -1;
  if (!db) db = asl_strdup(p->x->cur);
  int rc = -1;
  sql_accept(p, "purge");
  if (!sql_at_end(p)) {
    sql_syntax(p, sql_pk(p), "<EOF>");
    goto out;
  }
  sql_info_set(info, "DDL", "DROP_TABLE", 0);
  if (!sql_table_get(p->x, db, name, NULL, NULL)) {
    if (ie && sql_db_exists(p->x, db))
      rc = 0;
    else if (!sql_db_exists(p->x, db))
      sql_need_db(p, db);
    else
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
    goto out;
  }
  if (sql_exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
  sqlite3_stmt *st;
  sqlite3_prepare_v2(p->x->db,
                     "DELETE FROM main.tables WHERE db=?1 AND name=?2", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  int r = sqlite3_step(st);
  sqlite3_finalize(st);
  if (r != SQLITE_DONE || drop_storage(p->x, db, name, p->err) < 0 ||
      sql_exec(p->x, "COMMIT", p->err) < 0) {
    sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
    if (!p->err->name)
      asl_error_set(p->err, "InternalError", "catalog: %s",
                    sqlite3_errmsg(p->x->db));
    goto out;
  }
  rc = 0;
out:
  free(db);
  free(name);
  return rc;
}

/* ---- MSCK REPAIR TABLE / ALTER TABLE ADD PARTITION: partitions are
 * found in the folders at query time, so these only check the table ---- */
int sql_st_partitions_noop(P *p, sql_tok *first, asl_sql_info *info) {
  char *db, *name;
  if (sql_qname(p, &db, &name, NULL) < 0) return -1;
  if (!db) db = asl_strdup(p->x->cur);
  int rc = -1;
  char *kind = NULL;
  if (sql_tk_is(first, "alter")) {
    if (!sql_tk_is(sql_pk(p), "add")) {
      rc =
          sql_not_supported(p, first, "ALTER TABLE (other than ADD PARTITION)");
      goto out;
    }
    p->i = p->end; /* ADD [IF NOT EXISTS] PARTITION (...) [LOCATION ..] ... */
    sql_info_set(info, "DDL", "ALTER_TABLE_ADD_PARTITION", 0);
  } else {
    sql_info_set(info, "DDL", "MSCK_REPAIR_TABLE", 0);
  }
  if (!sql_at_end(p)) {
    sql_syntax(p, sql_pk(p), "<EOF>");
    goto out;
  }
  if (!sql_table_get(p->x, db, name, &kind, NULL)) {
    asl_error_set(p->err, IRE,
                  "FAILED: SemanticException [Error 10001]: Table not found "
                  "%s.%s",
                  db, name);
    goto out;
  }
  rc = 0;
out:
  free(kind);
  free(db);
  free(name);
  return rc;
}
