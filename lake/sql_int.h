/* sql_int.h: what the files of the SQL engine (lake/sql*.c) share: the
 * tokens of a statement, the per-call context, the Trino functions and the
 * external-table loader. Not for other layers: they use lake/sql.h. */
#ifndef ASL_SQL_INT_H
#define ASL_SQL_INT_H

#include <sqlite3.h>

#include "sql.h"

/* ---- tokens ---- */
typedef enum { TK_EOF, TK_ID, TK_QID, TK_STR, TK_NUM, TK_OP } sql_tk;

typedef struct sql_tok {
  sql_tk k;
  const char *s; /* into the statement text */
  size_t n;      /* bytes of s */
  int line, col; /* 1-based, as Trino counts */
  char *v;       /* ID/QID: lowercased name; STR: the string's value;
                    NUM/OP: the text */
} sql_tok;

typedef struct sql_toks {
  sql_tok *v;
  size_t n; /* the last one is TK_EOF */
} sql_toks;

/* Splits sql into tokens (comments dropped). -1 with an Athena-style
 * "line L:C: ..." message on a bad character or an unterminated string. */
int sql_lex(const char *sql, sql_toks *out, asl_error *err);
void sql_toks_free(sql_toks *t);

/* ---- the context of one asl_sql_run call ---- */
typedef struct sqlx {
  char *athena; /* $ASL_HOME/athena */
  char *lake;   /* $ASL_HOME/lake */
  sqlite3 *db;  /* catalog.db as main, databases attached by name */
  char *cur;    /* the default database */
  double deadline;
  int timed_out;
  long long bytes_scanned;
  long long files_read; /* external-table files opened by loads */
  char **attached;
  size_t nattached;
} sqlx;

/* ---- dates (sql_fn.c) ---- */
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long long sql_days_from_civil(int y, int m, int d);
void sql_civil_from_days(long long z, int *y, int *m, int *d);
/* Parses "YYYY-MM-DD" (date_only) or "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]]"
 * into epoch milliseconds; *has_time says whether a time part was there.
 * -1 when s is not such a text or not a real date. */
int sql_parse_ts(const char *s, int date_only, long long *ms, int *has_time);
/* "YYYY-MM-DD" (date) or "YYYY-MM-DD HH:MM:SS.fff" (timestamp) into buf. */
void sql_fmt_date(long long ms, char buf[16]);
void sql_fmt_ts(long long ms, char buf[32]);

/* ---- values as Athena prints them (sql_fn.c) ---- */
/* Java's Double.toString / Float.toString of v (Trino prints DOUBLE and
 * REAL so): "10.99", "1.0", "1.0E20", "1.0E-4", "NaN", "Infinity". */
void sql_fmt_double(double v, int is_float, char buf[40]);
/* The text of v as Athena prints a value of Athena type type (NULL:
 * from v's storage class). A new string, or NULL for SQL NULL. */
char *sql_fmt_value(sqlite3_value *v, const char *type);

/* Registers the Trino functions on db (sql_fn.c). */
void sql_register_functions(sqlite3 *db);

/* Is t one of the Athena type names the engine knows (lowercase, e.g.
 * "bigint", "decimal(10,2)", "varchar(20)", "array<string>")? */
int sql_type_known(const char *t);
/* The type name results and SQLite declarations use for a declared column
 * type: "string" -> "varchar", "int" -> "integer", complex -> "varchar". */
const char *sql_result_type(const char *decl, char buf[64]);

/* ---- external tables (sql_ext.c) ---- */
/* What a query needs of a table: its tokens [a, b) (the columns it names;
 * a "*" that selects all columns), and, when single (the statement's only
 * table reference), its WHERE clause's conditions on partition columns. */
typedef struct sql_need {
  const sql_toks *t;
  size_t a, b;
  int single;
} sql_need;

/* Makes db.name (an EXTERNAL table of spec, the catalog's JSON) readable as
 * the SQLite table "db"."name": reloads it from the lake files when their
 * list, sizes or mtimes changed since the last load, or when the last load
 * left out what need asks for. With need (NULL: everything):
 *  - projection: a Parquet table's columns the statement never names are
 *    not read (they hold NULL in the load);
 *  - partition pruning: when the statement is one SELECT over this table
 *    alone and its WHERE has no top-level OR, the conjuncts
 *    `pcol = lit`, `pcol IN (lit, ...)`, `pcol BETWEEN lit AND lit` and
 *    `pcol <, <=, >, >= lit` on partition columns keep the other
 *    partitions' files from being read at all. The WHERE still runs in
 *    SQLite, so a load holding more than the query needs is still right.
 * The load's state (files' signature, columns read, partitions read) is
 * kept in the catalog's sig column; a later query reuses the load when it
 * covers what that query needs. Adds the bytes of the files the query
 * needs to x->bytes_scanned, as Athena counts scanned bytes after pruning.
 * x->files_read counts the files actually opened (a debug figure). */
int sql_ext_refresh(sqlx *x, const char *db, const char *name,
                    const cJSON *spec, const sql_need *need, asl_error *err);
/* A new object's name from the clock, unique enough for a lake folder:
 * "YYYYMMDD_HHMMSS_" (UTC), then the nanoseconds in nsec_digits digits
 * (5: Athena's query-id style, the second's 1/100,000ths) and 8 hex
 * digits of rand(). */
void sql_stamp_name(char *buf, size_t n, int nsec_digits);
/* Splits "s3://bucket/prefix/" into new strings, checking both with the
 * lake's rules (prefix may be ""). -1 with InvalidRequestException. */
int sql_split_location(const char *loc, char **bucket, char **prefix,
                       asl_error *err);
/* CTAS to Parquet: steps st (the query: spec's columns, then its
 * partitions, in that order) and writes its rows as Parquet files under
 * spec's location, one file per partition folder col=value/ (values
 * escaped as Hive does, NULL as __HIVE_DEFAULT_PARTITION__), with codec (an
 * asl_pq_codec). Athena types map to Parquet's: bigint INT64, integer
 * INT32, double DOUBLE, real FLOAT, boolean BOOLEAN, varchar/string
 * BYTE_ARRAY UTF8, date INT32 DATE, timestamp INT64 TIMESTAMP(MICROS),
 * decimal(p,s) DECIMAL; other types as their text. The location must hold
 * no object (HIVE_PATH_ALREADY_EXISTS); at most 100 partitions
 * (HIVE_TOO_MANY_OPEN_PARTITIONS). Files are staged and published only when
 * every row was written. *rows: the rows written. */
int sql_ext_write_parquet(sqlx *x, sqlite3_stmt *st, const char *table,
                          const cJSON *spec, int codec, long long *rows,
                          asl_error *err);
/* Converts text s of a lake file to a value of Athena type type as Hive's
 * LazySimpleSerDe does and binds it at idx: a text that does not parse is
 * NULL. */
void sql_bind_typed(sqlite3_stmt *st, int idx, const char *type, const char *s,
                    size_t n);
/* Deadline check: 1 (and x->timed_out set) when past it. */
int sql_past_deadline(sqlx *x);

#endif
