/* sql.h: Athena-like SQL on SQLite, over tables whose data lives in the
 * lake (external tables) or in SQLite itself (Iceberg and CTAS tables).
 *
 * The catalog (databases, tables, their columns, SerDe, LOCATION and
 * TBLPROPERTIES) and the managed tables' rows live in SQLite files under
 * $ASL_HOME/athena/ (asl_home_dir), so a table created by one `asl run`
 * is there for the next, for `asl query` and for `asl serve`. External
 * tables are read on query from the files under their LOCATION in the
 * lake (lake/lake.h), as Athena reads S3: every object under the prefix,
 * recursively, except names starting with '_' or '.'.
 *
 * Statements take Athena's (Trino's and Hive's) syntax; the engine
 * translates them to SQLite and registers the Trino functions SQLite lacks.
 * A statement it cannot run fails with a message naming the unsupported
 * part, never a crash. One statement per call; a trailing ';' is allowed.
 *
 * This layer knows nothing of executions or Task states: the Athena Task
 * integration (states/integrations/athena.c) and `asl query`
 * (cli/query_cmd.c) call it. Any thread may call it; calls serialise on the
 * catalog file (SQLite's locking, with a busy timeout). */
#ifndef ASL_SQL_H
#define ASL_SQL_H

#include <stddef.h>

#include "../engine/core.h"

/* One result column: its name and Athena type name ("varchar", "bigint",
 * "integer", "double", "float", "boolean", "date", "timestamp",
 * "decimal(10,2)", ...), as GetQueryResults' ColumnInfo gives them.
 * A table column's type is the declared one (string -> varchar, int ->
 * integer); an expression's comes from its shape (count -> bigint, date()
 * -> date, CAST(x AS T) -> T, comparisons -> boolean, sum/min/max of a
 * column -> the column's type) or else from its first value (integer ->
 * bigint, real -> double, text -> varchar). Unnamed expressions are
 * "_col0", "_col1", ... as Trino names them. */
typedef struct asl_sql_col {
  const char *name;
  const char *type;
} asl_sql_col;

/* Where a statement's result goes. Both callbacks may be NULL. columns is
 * called once, before any row, for every statement that has a result
 * (SELECT, SHOW, DESCRIBE; not DDL or DML). row gets each row's values as
 * text, as Athena prints them (NULL for SQL NULL): integers as digits,
 * double and float as Java's Double.toString/Float.toString ("10.99",
 * "1.0", "1.0E20", "1.0E-4"; trino-main's DoubleOperators.castToVarchar is
 * String.valueOf), decimal(p,s) with s digits, date "YYYY-MM-DD",
 * timestamp "YYYY-MM-DD HH:MM:SS.fff", boolean true/false. A nonzero
 * return stops the statement: it fails with err->name "InternalError"
 * ("the result sink stopped the statement"). The value arrays are only
 * valid during the call. */
typedef struct asl_sql_sink {
  void *ctx;
  int (*columns)(void *ctx, const asl_sql_col *cols, size_t n);
  int (*row)(void *ctx, const char *const *vals, size_t n);
} asl_sql_sink;

/* What Athena's QueryExecution says of a statement that ran. */
typedef struct asl_sql_info {
  /* Athena's StatementType: "DDL", "DML" or "UTILITY" (static). */
  const char *statement_type;
  /* Athena's SubstatementType (static): DML: "SELECT", "INSERT", "UPDATE",
   * "DELETE", "MERGE", "CREATE_TABLE_AS_SELECT"; DDL: "CREATE_DATABASE",
   * "DROP_DATABASE", "CREATE_TABLE", "DROP_TABLE", "SHOW_DATABASES",
   * "SHOW_TABLES", "SHOW_COLUMNS", "SHOW_PARTITIONS", "MSCK_REPAIR_TABLE",
   * "ALTER_TABLE_ADD_PARTITION"; UTILITY: "DESCRIBE_TABLE",
   * "SHOW_CREATE_TABLE". Set (from the statement's first words) even when
   * the statement fails. */
  const char *substatement_type;
  /* 1 when GetQueryResults' first row is the column names (SELECT and
   * other DML with a result), 0 for SHOW, DESCRIBE and DDL, as Athena. */
  int header_row;
  long long rows_affected; /* INSERT, UPDATE, DELETE, MERGE, CTAS */
  long long bytes_scanned; /* bytes of lake files read */
} asl_sql_info;

/* Runs one statement. home: $ASL_HOME (NULL: asl_home_dir()); database:
 * the default database for unqualified names (QueryExecutionContext's
 * Database; NULL: "default"); deadline: epoch seconds, 0 for none (past
 * it the statement is interrupted and fails with err->name
 * "States.Timeout"). sink and info may be NULL. Returns 0 with *info
 * filled, or -1 with err->name:
 *  - "InvalidRequestException" for a statement Athena would refuse
 *    (syntax, unknown database or table, unsupported statement) and also
 *    for one that fails while running (a bad cast, a MERGE target row
 *    matched twice, a malformed JSON line), err->cause being Athena's
 *    message: "line 1:8: ...", "FAILED: SemanticException ...",
 *    "NOT_SUPPORTED: ...", "INVALID_CAST_ARGUMENT: ...",
 *    "MERGE_TARGET_ROW_MULTIPLE_MATCHES: ..." (an Athena Task reports these
 *    as a FAILED query with this StateChangeReason);
 *  - "States.Timeout" past the deadline;
 *  - "InternalError" for I/O trouble (the catalog cannot be opened, ...).
 * A failed statement changes nothing (DML and DDL run in one SQLite
 * transaction). Setting ASL_SQL_DEBUG in the environment prints each
 * query's SQLite translation on stderr. */
int asl_sql_run(const char *home, const char *database, const char *sql,
                double deadline, const asl_sql_sink *sink, asl_sql_info *info,
                asl_error *err);

#endif
