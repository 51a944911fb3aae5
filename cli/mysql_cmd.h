/* mysql_cmd.h: `asl mysql`, the embedded MariaDB server ($ASL_HOME/mysql)
 * from the shell:
 *   asl mysql start            starts it (or finds it running); prints its
 *                              socket and pid
 *   asl mysql status           "running: pid N, socket PATH" or
 *                              "not running" (exit 0 either way... 3 when
 *                              not running, for scripts)
 *   asl mysql stop             shuts it down cleanly, waits for its pid
 *   asl mysql sql "STATEMENT"  runs one statement on it (starting it if
 *                              need be); rows tab-separated, NULL as NULL
 * Returns the exit code: 0 done, 1 failed (the reason on stderr), 3 not
 * running (status), 64 bad usage. */
#ifndef ASL_MYSQL_CMD_H
#define ASL_MYSQL_CMD_H

int asl_cmd_mysql(int argc, char **argv);

#endif
