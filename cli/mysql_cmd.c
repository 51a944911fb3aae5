/* mysql_cmd.c: `asl mysql` (see mysql_cmd.h), thin wrappers around
 * lake/mysql.h. */
#include "mysql_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lake/mysql.h"

#define EX_OK 0
#define EX_FAILED 1
#define EX_NOT_RUNNING 3
#define EX_USAGE 64

static const char usage_text[] =
    "usage: asl mysql start | status | stop | sql \"STATEMENT\"\n"
    "  the embedded MariaDB server in $ASL_HOME/mysql (default ./.asl/mysql):\n"
    "  a Unix socket only, no TCP port; it stays up between runs\n";

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl mysql: %s\n", why);
  fputs(usage_text, stderr);
  return EX_USAGE;
}

static int report(const char *what, asl_error *e) {
  fprintf(stderr, "asl mysql: %s: %s%s%s\n", what, e->name ? e->name : "",
          e->cause ? ": " : "", e->cause ? e->cause : "");
  asl_error_clear(e);
  return EX_FAILED;
}

/* Prints one row, tab-separated; tabs, newlines and backslashes in values
 * escaped as `mariadb --batch` does. */
static int print_row(void *ud, int header, unsigned n, const char *const *v,
                     const unsigned long *len) {
  (void)ud;
  if (header) return 0;
  for (unsigned i = 0; i < n; i++) {
    if (i) putchar('\t');
    if (!v[i]) {
      fputs("NULL", stdout);
      continue;
    }
    for (unsigned long k = 0; k < len[i]; k++) {
      char c = v[i][k];
      if (c == '\t')
        fputs("\\t", stdout);
      else if (c == '\n')
        fputs("\\n", stdout);
      else if (c == '\\')
        fputs("\\\\", stdout);
      else if (c == 0)
        fputs("\\0", stdout);
      else
        putchar(c);
    }
  }
  putchar('\n');
  return 0;
}

static int cmd_sql(const char *sql) {
  asl_mysql_opts o = {0};
  asl_mysql *m;
  asl_error e = {0};
  if (asl_mysql_connect(&o, &m, &e) < 0) return report("connect", &e);
  int rc = asl_mysql_query(m, sql, print_row, NULL, &e);
  asl_mysql_close(m);
  asl_mysql_thread_end();
  if (rc < 0) {
    unsigned code = asl_mysql_errno(&e);
    fprintf(stderr, "asl mysql: ERROR %u: %s\n", code, e.cause ? e.cause : "");
    asl_error_clear(&e);
    return EX_FAILED;
  }
  return EX_OK;
}

int asl_cmd_mysql(int argc, char **argv) {
  if (argc < 1) return usage(NULL);
  const char *cmd = argv[0];
  asl_error e = {0};
  if (strcmp(cmd, "start") == 0 && argc == 1) {
    char *sock;
    int pid;
    if (asl_mysql_server_start(&sock, &pid, &e) < 0) return report("start", &e);
    printf("running: pid %d, socket %s\n", pid, sock);
    free(sock);
    return EX_OK;
  }
  if (strcmp(cmd, "status") == 0 && argc == 1) {
    char *sock;
    int pid;
    if (!asl_mysql_server_status(&sock, &pid)) {
      printf("not running\n");
      return EX_NOT_RUNNING;
    }
    printf("running: pid %d, socket %s\n", pid, sock);
    free(sock);
    return EX_OK;
  }
  if (strcmp(cmd, "stop") == 0 && argc == 1) {
    int pid = 0;
    int was = asl_mysql_server_status(NULL, &pid);
    if (asl_mysql_server_stop(&e) < 0) return report("stop", &e);
    if (was)
      printf("stopped (pid %d)\n", pid);
    else
      printf("not running\n");
    return EX_OK;
  }
  if (strcmp(cmd, "sql") == 0 && argc == 2) return cmd_sql(argv[1]);
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
    fputs(usage_text, stdout);
    return EX_OK;
  }
  return usage("unknown command or wrong arguments");
}
