/* query_cmd.h: `asl query`, the Athena-like SQL engine (lake/sql.h) from
 * the shell:
 *   asl query SQL|- [--database DB] [--format table|csv|json]
 * runs one statement over $ASL_HOME/athena and the lake and prints its
 * result: csv (a header line, then rows; RFC 4180 quoting only where a
 * value needs it; NULL is an empty field), json (an array of objects, one
 * per row, numbers and booleans as JSON's, NULL as null) or table
 * (aligned columns, NULL shown as NULL; the default). A statement without a
 * result prints nothing in csv and json, and a one-line summary in table
 * format ("MERGE: 7 rows", "CREATE_TABLE"). Returns the exit code: 0 done,
 * 1 the statement failed ("asl query: <message>" on stderr), 2 timed out,
 * 64 bad usage, 66 no such file for -. */
#ifndef ASL_QUERY_CMD_H
#define ASL_QUERY_CMD_H

int asl_cmd_query(int argc, char **argv);

#endif
