/* mysql.h: MySQL/MariaDB as a local data service: connections (MariaDB
 * Connector/C), a row-streaming export into the lake in the shape Aurora
 * MySQL's SELECT ... INTO OUTFILE S3 writes, and a private MariaDB server
 * that `asl` starts on demand under $ASL_HOME/mysql.
 *
 * Who uses it: the mysql-extract built-in task
 * (states/integrations/mysql_extract.c) and `asl mysql` (cli/mysql_cmd.c).
 * It knows nothing of executions.
 *
 * Errors: functions return 0, or -1 with err set:
 *   - name "MySQL.NNNN": the server's or the client library's error number
 *     NNNN (asl_mysql_errno gives it), cause: its message as the server
 *     (or Connector/C) wrote it;
 *   - name "MySQL.0": not the server's: a row callback stopped the query,
 *     or an export's statement returns no result set;
 *   - name "States.Timeout": the deadline passed first;
 *   - a lake error name (NoSuchBucket, InvalidKey, InternalError, ...) when
 *     writing the objects failed;
 *   - name "MySQL.Server": the embedded server could not be started or
 *     stopped (cause: why, with the tail of its error log).
 * A connection is used by one thread at a time; any thread may open one.
 * A thread that used a connection calls asl_mysql_thread_end before it
 * ends (Connector/C keeps per-thread state). */
#ifndef ASL_LAKE_MYSQL_H
#define ASL_LAKE_MYSQL_H

#include <stddef.h>

#include "../engine/core.h"

/* Aurora MySQL's default file size threshold for SELECT INTO OUTFILE S3:
 * 6 GB (see mysql.c). */
#define ASL_MYSQL_PART_SIZE (6LL * 1024 * 1024 * 1024)

typedef struct asl_mysql asl_mysql;

typedef struct asl_mysql_opts {
  const char *host;         /* NULL and socket NULL: the embedded server */
  unsigned port;            /* 0: 3306 */
  const char *socket;       /* a Unix socket path, or NULL */
  const char *user;         /* NULL: "root" */
  const char *password;     /* NULL: none */
  const char *database;     /* NULL: none */
  unsigned connect_timeout; /* seconds; 0: 10 */
  double deadline; /* epoch seconds, 0: none; read/write timeouts end there */
} asl_mysql_opts;

/* Connects (starting the embedded server when the options name none). */
int asl_mysql_connect(const asl_mysql_opts *o, asl_mysql **out, asl_error *err);
/* Closes the connection; NULL is a no-op. */
void asl_mysql_close(asl_mysql *m);
/* Releases the calling thread's Connector/C state. */
void asl_mysql_thread_end(void);

/* The error number of an error from this module ("MySQL.NNNN"), else 0. */
unsigned asl_mysql_errno(const asl_error *err);

/* Runs one statement; a result set, if any, is read and dropped. */
int asl_mysql_exec(asl_mysql *m, const char *sql, asl_error *err);

/* Runs one statement and calls row(ud, n, values, lengths) for each row of
 * its result (values[i] NULL for SQL NULL), streaming: one row in memory.
 * The first call (header != 0) gives the column names. row returns 0 to go
 * on, -1 to stop (the result is then an error "MySQL.0" "stopped"). */
typedef int (*asl_mysql_row_fn)(void *ud, int header, unsigned n,
                                const char *const *values,
                                const unsigned long *lengths);
int asl_mysql_query(asl_mysql *m, const char *sql, asl_mysql_row_fn row,
                    void *ud, asl_error *err);

/* ---- export: rows into lake objects, as SELECT INTO OUTFILE S3 ---- */

typedef struct asl_mysql_export_opts {
  const char *root;   /* the lake's root (asl_lake_root) */
  const char *bucket; /* must exist */
  const char *prefix; /* objects are PREFIX.part_00000, PREFIX.part_00001 */
  const char *fields_terminated_by; /* NULL: "," (not empty) */
  const char *lines_terminated_by;  /* NULL: "\n" (not empty) */
  long long part_size;              /* 0: ASL_MYSQL_PART_SIZE */
  double deadline;                  /* epoch seconds, 0: none */
} asl_mysql_export_opts;

typedef struct asl_mysql_export_result {
  long long rows, bytes;
  char **keys; /* the published objects' keys, in order */
  size_t nkeys;
} asl_mysql_export_result;

/* Runs sql and streams its rows (mysql_use_result: one row in memory at a
 * time, whatever the result's size) into new parts, which are published
 * together once the last row is written; parts of an earlier export of the
 * same prefix beyond the new ones are then deleted (OVERWRITE ON). On any
 * error nothing is published and the old parts stay. */
int asl_mysql_export(asl_mysql *m, const char *sql,
                     const asl_mysql_export_opts *o,
                     asl_mysql_export_result *res, asl_error *err);
void asl_mysql_export_result_free(asl_mysql_export_result *r);

/* Writes one field in OUTFILE's escaping into buf (NULL as \N; '\\', NUL,
 * and the first characters of the two terminators escaped with '\\';
 * values of numeric columns as they are). Exposed for tests. */
void asl_mysql_outfile_field(asl_buf *buf, const char *v, size_t len,
                             int numeric, const char *fterm, const char *lterm);

/* ---- the embedded server: $ASL_HOME/mysql ---- */

/* Starts the private server unless it runs already (then reuses it), and
 * waits until it accepts connections. *socket (new string) is its socket,
 * *pid its process id; either may be NULL. Safe between processes (a lock
 * file): two callers never start two servers. */
int asl_mysql_server_start(char **socket, int *pid, asl_error *err);
/* 1 when the server runs (*socket, *pid as above), 0 when not. */
int asl_mysql_server_status(char **socket, int *pid);
/* Shuts the server down cleanly and waits for its process to end; 0 also
 * when it was not running. */
int asl_mysql_server_stop(asl_error *err);

#endif
