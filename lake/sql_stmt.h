/* sql_stmt.h: what the statement files of the SQL engine (sql.c, sql_ddl.c,
 * sql_dml.c) share: the parser's cursor, text results, the translator of
 * Trino's SELECT into SQLite's, prepared queries, the statement helpers and
 * the statements themselves, which sql.c's dispatch calls. Private to those
 * three files: the rest of lake/sql*.c use sql_int.h, other layers
 * lake/sql.h. */
#ifndef ASL_SQL_STMT_H
#define ASL_SQL_STMT_H

#include "lake.h"
#include "sql_int.h"

#define IRE "InvalidRequestException"

/* ---- the catalog (sql.c) ---- */
/* "s" quoted as an SQLite identifier, a new string. */
char *sql_qid(const char *s);
/* Appends 's' quoted as an SQL string literal. */
void sql_put_str_lit(asl_buf *b, const char *s);
/* Is s a valid database or table name: 1..255 of [a-z0-9_]? */
int sql_valid_name(const char *s);
/* Runs sql on the catalog connection; -1 with InternalError, or
 * States.Timeout past the deadline. */
int sql_exec(sqlx *x, const char *sql, asl_error *err);
/* Is there a database name in the catalog? */
int sql_db_exists(sqlx *x, const char *name);
/* Looks up db.name in the catalog: 1 found (*kind, *spec new, either may
 * be NULL to skip), 0 not found (or the catalog could not be read). */
int sql_table_get(sqlx *x, const char *db, const char *name, char **kind,
                  cJSON **spec);
/* Attaches database db's file (db/DB.sqlite) under its name, once per
 * call; -1 for the names main and temp or when SQLite fails. */
int sql_attach(sqlx *x, const char *db, asl_error *err);

/* ---- the parser's cursor (sql.c) ---- */
typedef struct P {
  sqlx *x;
  sql_toks *t;
  size_t i;
  size_t end; /* index of the EOF (or the trailing ';') */
  asl_error *err;
} P;

/* The current token (the EOF past end), and the one k ahead. */
sql_tok *sql_pk(P *p);
sql_tok *sql_pk2(P *p, size_t k);
/* Is t the keyword kw (an unquoted name) / the operator op? */
int sql_tk_is(const sql_tok *t, const char *kw);
int sql_op_is(const sql_tok *t, const char *op);
int sql_at_end(P *p);
/* The token's value, "<EOF>" for the end. */
const char *sql_tok_text(const sql_tok *t);
/* -1 with Athena's "line L:C: mismatched input ... Expecting: ..." at t. */
int sql_syntax(P *p, const sql_tok *t, const char *expecting);
/* Consume keyword kw / operator op when next: 1, else 0. */
int sql_accept(P *p, const char *kw);
int sql_accept_op(P *p, const char *op);
/* Consume kw / op or fail with sql_syntax: 0 or -1. */
int sql_expect(P *p, const char *kw, const char *expecting);
int sql_expect_op(P *p, const char *op);
/* A name / a string literal as a new string: 0 or -1 (syntax error). */
int sql_ident(P *p, char **out);
int sql_str_lit(P *p, char **out);
/* [catalog.][db.]name; *db NULL when not given; *where the first token. */
int sql_qname(P *p, char **db, char **name, sql_tok **where);

/* ---- result plumbing (sql.c) ---- */
typedef struct textres {
  size_t ncols;
  const char **names;
  char **cells; /* rows * ncols */
  size_t nrows, cap;
} textres;

void sql_tr_add(textres *r, const char *const *vals);
/* Sends r to sink as varchar columns and frees r's cells. */
int sql_tr_send(textres *r, const asl_sql_sink *sink, asl_error *err);
/* Hive's SHOW pattern: '*' any characters, '|' alternatives, no case;
 * a NULL pat matches everything. */
int sql_hive_match(const char *pat, const char *s);

/* ---- the translator: Trino tokens -> SQLite text (sql.c) ---- */
typedef struct tref {
  char *db, *name, *kind;
  cJSON *spec;
} tref;

typedef struct tr {
  sqlx *x;
  sql_toks *t;
  asl_error *err;
  asl_buf out;
  size_t *moff, *mtok, nm, capm;
  char **ctes;
  size_t nctes;
  tref *refs;
  size_t nrefs;
  size_t qa, qb; /* the query's tokens, for sql_ext_refresh's pruning */
  int have_q;
} tr;

void sql_tr_free(tr *T);
/* Resolves db.name (db NULL: the default) to a table and records it in
 * T->refs; -1 with Athena's TABLE_NOT_FOUND / SCHEMA_NOT_FOUND. */
int sql_resolve_table(tr *T, const sql_tok *at, const char *db,
                      const char *name);
/* The index of the ')' closing the '(' at t->v[i], before b (b if none). */
size_t sql_match_paren(sql_toks *t, size_t i, size_t b);
/* Records the names of the WITH clause's common table expressions. */
void sql_collect_ctes(tr *T, size_t a, size_t b);
/* Appends the SQLite text of tokens [a, b) to T->out: 0 or -1. */
int sql_translate(tr *T, size_t a, size_t b);
/* An SQLite error of a translated statement as Athena reports it. */
int sql_sqlite_fail(tr *T, int rc, asl_error *err);
/* Brings the external tables in T->refs up to date (sql_ext_refresh). */
int sql_refresh_refs(tr *T, asl_error *err);
int sql_is_name_tok(const sql_tok *k);

/* ---- result column types and names, queries (sql.c) ---- */
typedef struct item {
  char *name; /* alias or column name; NULL: _colN */
  char *type; /* static type, or NULL: runtime */
  int point;  /* date or timestamp, decided by the value */
  int star;   /* "*" or "t.*" */
} item;

typedef struct items {
  item *v;
  size_t n;
  int star;
  int values; /* a bare VALUES: SQLite's column1.. are Trino's _col0.. */
} items;

typedef struct qmeta {
  size_t n;
  asl_sql_col *cols;
  char **own; /* owned strings */
  size_t nown;
} qmeta;

typedef struct qrun {
  tr T;
  items it;
  sqlite3_stmt *st;
  int have_row;
  qmeta meta;
} qrun;

void sql_qrun_free(qrun *q);
/* Translates and prepares tokens [a, b) as a query into q (after loading
 * the external tables it reads), steps its first row and works out its
 * columns: 0 or -1. q is freed with sql_qrun_free either way. */
int sql_query_prepare(P *p, size_t a, size_t b, qrun *q);

/* ---- statement helpers (sql_ddl.c) ---- */
void sql_info_set(asl_sql_info *info, const char *st, const char *sub,
                  int header);
/* -1 with "NOT_SUPPORTED: asl does not support WHAT yet" at t. */
int sql_not_supported(P *p, const sql_tok *t, const char *what);
/* -1 with Hive's "Database does not exist" when db does not. */
int sql_need_db(P *p, const char *db);
/* ('k' = 'v', ...) into obj. */
int sql_props(P *p, cJSON *obj);
/* ( name type [COMMENT '..'], ... ) into arr; types checked, and may be
 * left out when types_optional. */
int sql_col_defs(P *p, cJSON *arr, int types_optional);
/* The catalog row of a new table, and the SQLite table of a managed one
 * (columns then partitions). */
int sql_table_insert_catalog(sqlx *x, const char *db, const char *name,
                             const char *kind, const cJSON *spec,
                             asl_error *err);
int sql_create_storage(sqlx *x, const char *db, const char *name,
                       const cJSON *spec, asl_error *err);

/* ---- the statements; p at the token after the first keyword(s) ---- */
/* sql_ddl.c */
int sql_st_create_db(P *p, asl_sql_info *info);
int sql_st_drop_db(P *p, asl_sql_info *info);
int sql_st_show(P *p, const asl_sql_sink *sink, asl_sql_info *info);
int sql_st_describe(P *p, const asl_sql_sink *sink, asl_sql_info *info);
int sql_st_create_external(P *p, asl_sql_info *info);
int sql_st_drop_table(P *p, asl_sql_info *info);
int sql_st_partitions_noop(P *p, sql_tok *first, asl_sql_info *info);
/* sql_dml.c */
int sql_st_create_table(P *p, asl_sql_info *info);
int sql_st_insert(P *p, asl_sql_info *info);
int sql_st_update_delete(P *p, int is_update, asl_sql_info *info);
int sql_st_merge(P *p, asl_sql_info *info);

#endif
