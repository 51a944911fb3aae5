/* parquet_cmd.h: `asl parquet`, the Parquet codec (lake/parquet.h) from the
 * shell:
 *   asl parquet schema FILE [--json]   rows, row groups and the columns
 *   asl parquet cat FILE [--format jsonl|csv] [--columns a,b]
 *                                      the rows, one JSON object a line
 *   asl parquet write --schema 'name:type,...' [--codec snappy|zstd|gzip|none]
 *       [--row-group N] [--page-v2] [--no-dict] IN.jsonl|- OUT.parquet
 * Returns the exit code: 0 done, 64 bad usage, 65 malformed input (a file
 * that is not valid Parquet, a JSON line that does not fit the schema), 66
 * no such file, 74 an I/O failure; the reason is on stderr. */
#ifndef ASL_PARQUET_CMD_H
#define ASL_PARQUET_CMD_H

int asl_cmd_parquet(int argc, char **argv);

#endif
