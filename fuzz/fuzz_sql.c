/* fuzz_sql.c: libFuzzer target for the SQL engine (lake/sql.c). Each input
 * is one statement, run by asl_sql_run over a temporary $ASL_HOME that
 * holds a lake with CSV, OpenCSV, JSON and partitioned files, external
 * tables over them and an Iceberg table (set up once; inputs may change or
 * drop them). Every call must return 0, or -1 with an error name and
 * cause; rows must have as many values as the columns announced. A
 * deadline of two seconds bounds runaway queries (recursive CTEs).
 * fuzz/fuzz_sql.dict (keywords and names of the setup) helps it reach
 * deeper: -dict=fuzz/fuzz_sql.dict. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lake/lake.h"
#include "../lake/sql.h"

static char g_home[] = "/tmp/fuzz-sql-XXXXXX";

static void teardown(void) {
  char *rm = asl_sprintf("rm -rf '%s'", g_home);
  if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", g_home);
  free(rm);
}

static void put(const char *root, const char *key, const char *text) {
  asl_error e = {0};
  if (asl_lake_put(root, "fzz", key, text, strlen(text), NULL, &e) < 0) abort();
}

static const char *const SETUP[] = {
    "CREATE DATABASE d",
    "CREATE EXTERNAL TABLE d.users (id bigint, registration_date string) ROW "
    "FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://fzz/users/'",
    "CREATE EXTERNAL TABLE d.tx (transaction_id bigint, user_id bigint, "
    "total_cost double, dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY "
    "',' LOCATION 's3://fzz/tx/'",
    "CREATE EXTERNAL TABLE d.oc (a string, b string) ROW FORMAT SERDE "
    "'org.apache.hadoop.hive.serde2.OpenCSVSerde' LOCATION 's3://fzz/oc/' "
    "TBLPROPERTIES ('skip.header.line.count'='1')",
    "CREATE EXTERNAL TABLE d.js (id int, name string, ok boolean) ROW FORMAT "
    "SERDE 'org.openx.data.jsonserde.JsonSerDe' WITH SERDEPROPERTIES "
    "('ignore.malformed.json'='true') LOCATION 's3://fzz/js/'",
    "CREATE EXTERNAL TABLE d.pt (id bigint) PARTITIONED BY (dt string) "
    "LOCATION 's3://fzz/pt/'",
    "CREATE TABLE d.ut (dt date, user_id int, total_cost_usd float, "
    "registration_date string) PARTITIONED BY (dt) TBLPROPERTIES "
    "('table_type'='ICEBERG')",
};

static void setup(void) {
  if (!mkdtemp(g_home)) abort();
  char *root = asl_sprintf("%s/lake", g_home);
  asl_error e = {0};
  if (asl_lake_make_bucket(root, "fzz", &e) < 0) {
    fprintf(stderr, "setup: %s\n", e.cause);
    abort();
  }
  put(root, "users/u.csv", "1,2026-12-01\n2,2026-11-30\n\\N,x\n");
  put(root, "tx/t.csv",
      "1,1,10.99,2026-12-01\n2,2,4.99,2026-12-01\n3,2,abc,2026-11-28\n");
  put(root, "oc/o.csv", "a,b\n\"x,y\",\"q\"\"\"\n");
  put(root, "js/j.json", "{\"id\":1,\"name\":\"a\",\"ok\":true}\nbad\n");
  put(root, "pt/dt=2026-01-01/a", "1\n2\n");
  free(root);
  for (size_t i = 0; i < sizeof SETUP / sizeof SETUP[0]; i++)
    if (asl_sql_run(g_home, "d", SETUP[i], 0, NULL, NULL, &e) < 0) {
      fprintf(stderr, "setup: %s\n", e.cause);
      abort();
    }
  atexit(teardown);
}

typedef struct shape {
  long long ncols;
  int cols_calls;
} shape;

static int on_cols(void *ctx, const asl_sql_col *c, size_t n) {
  shape *s = ctx;
  s->cols_calls++;
  s->ncols = (long long)n;
  for (size_t i = 0; i < n; i++)
    if (!c[i].name || !c[i].type) abort();
  return 0;
}

static int on_row(void *ctx, const char *const *v, size_t n) {
  shape *s = ctx;
  if (s->cols_calls != 1 || (long long)n != s->ncols) abort();
  for (size_t i = 0; i < n; i++)
    if (v[i]) (void)strlen(v[i]);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    setup();
    ready = 1;
  }
  char *sql = asl_strndup((const char *)data, size);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  shape s = {0};
  asl_sql_sink sink = {&s, on_cols, on_row};
  asl_sql_info info;
  asl_error e = {0};
  int rc =
      asl_sql_run(g_home, "d", sql, (double)ts.tv_sec + 2.0, &sink, &info, &e);
  if (rc < 0 && (!e.name || !e.cause)) abort();
  if (rc == 0 && (e.name || !info.statement_type || !info.substatement_type))
    abort();
  asl_error_clear(&e);
  free(sql);
  return 0;
}
