/* test_sql.c: the Athena-like SQL engine (lake/sql.c) in a fresh $ASL_HOME:
 * databases and tables in the catalog, external tables over CSV, OpenCSV
 * and JSON files written into the lake (headers, NULLs, bad values,
 * partitions, reloads), Iceberg tables with INSERT, UPDATE, DELETE, CTAS and
 * MERGE (every WHEN form, the double match, the seed's MERGE twice), the
 * Trino functions, result types and value printing, Athena's statement
 * types, and the messages of unsupported statements, syntax errors,
 * unknown names, escaping LOCATIONs and deadlines. */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lake/lake.h"
#include "../../lake/parquet.h"
#include "../../lake/sql.h"

#include "t.h"

static char g_home[] = "/tmp/asl_sql_XXXXXX";
static char *g_root;

/* Every string the helpers return is kept here and freed at the end. */
static char **g_keep;
static size_t g_nkeep;
static const char *keep(char *s) {
  g_keep = realloc(g_keep, (g_nkeep + 1) * sizeof(char *));
  g_keep[g_nkeep++] = s;
  return s;
}

typedef struct res {
  asl_buf rows;  /* "a,b;c,d" with NULL as \N */
  asl_buf names; /* "a,b" */
  asl_buf types; /* "bigint,varchar" */
  int ncalls;    /* columns callbacks */
  long long nrows;
  long long stop_after; /* stop the statement after that many rows */
} res;

static int on_cols(void *ctx, const asl_sql_col *c, size_t n) {
  res *r = ctx;
  r->ncalls++;
  for (size_t i = 0; i < n; i++) {
    asl_buf_printf(&r->names, "%s%s", i ? "," : "", c[i].name);
    asl_buf_printf(&r->types, "%s%s:%s", i ? "," : "", c[i].name, c[i].type);
  }
  return 0;
}

static int on_row(void *ctx, const char *const *v, size_t n) {
  res *r = ctx;
  if (r->nrows) asl_buf_putc(&r->rows, ';');
  for (size_t i = 0; i < n; i++)
    asl_buf_printf(&r->rows, "%s%s", i ? "," : "", v[i] ? v[i] : "\\N");
  r->nrows++;
  return r->stop_after && r->nrows >= r->stop_after;
}

static const char *g_db = "mydatabase";
#define asl_sprintf_keep(...) keep(asl_sprintf(__VA_ARGS__))
static asl_sql_info g_info;
static double g_deadline;

/* Runs sql; returns the rows, or "ERR <name>: <cause>". */
static int run(const char *sql, res *r, asl_error *e) {
  asl_sql_sink sink = {r, on_cols, on_row};
  memset(&g_info, 0, sizeof g_info);
  return asl_sql_run(g_home, g_db, sql, g_deadline, &sink, &g_info, e);
}

static const char *q(const char *sql) {
  res r = {0};
  asl_error e = {0};
  char *out;
  if (run(sql, &r, &e) < 0)
    out = asl_sprintf("ERR %s: %s", e.name ? e.name : "?",
                      e.cause ? e.cause : "");
  else
    out = asl_strdup(r.rows.s ? r.rows.s : "");
  asl_error_clear(&e);
  asl_buf_free(&r.rows);
  asl_buf_free(&r.names);
  asl_buf_free(&r.types);
  return keep(out);
}

/* The column names and types: "name:type,..." */
static const char *cols(const char *sql) {
  res r = {0};
  asl_error e = {0};
  char *out;
  if (run(sql, &r, &e) < 0)
    out = asl_sprintf("ERR %s", e.cause ? e.cause : "");
  else
    out = asl_strdup(r.types.s ? r.types.s : "");
  asl_error_clear(&e);
  asl_buf_free(&r.rows);
  asl_buf_free(&r.names);
  asl_buf_free(&r.types);
  return keep(out);
}

/* Runs a statement that must succeed (no result expected). */
static int ok(const char *sql) {
  const char *r = q(sql);
  if (!strncmp(r, "ERR", 3)) {
    fprintf(stderr, "statement failed: %s\n  %s\n", sql, r);
    return 0;
  }
  return 1;
}

/* Does the error of sql contain want? */
static int err_has(const char *sql, const char *want) {
  const char *r = q(sql);
  if (strncmp(r, "ERR", 3) == 0 && strstr(r, want)) return 1;
  fprintf(stderr, "  [%s]\n  gave [%s]\n  want an error with [%s]\n", sql, r,
          want);
  return 0;
}

static void put(const char *b, const char *k, const char *text) {
  asl_error e = {0};
  int rc = asl_lake_put(g_root, b, k, text, strlen(text), NULL, &e);
  T_OK(rc == 0, "put %s/%s: %s", b, k, e.cause ? e.cause : "");
  asl_error_clear(&e);
}

static const char *days_ago(int n) {
  time_t t = time(NULL) - (time_t)n * 86400;
  struct tm tm;
  gmtime_r(&t, &tm);
  char b[16];
  strftime(b, sizeof b, "%Y-%m-%d", &tm);
  return keep(asl_strdup(b));
}

/* The Parquet file(s) under lake/raw/PREFIX/: how many, their codec. */
static int pq_files(const char *prefix, char codec[16], long long *rows) {
  char *cmd = asl_sprintf("find '%s/raw/%s' -type f | sort", g_root, prefix);
  FILE *f = popen(cmd, "r");
  free(cmd);
  char line[4096];
  int n = 0;
  *rows = 0;
  codec[0] = 0;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    asl_error e = {0};
    asl_pq_reader *r = asl_pq_open(line, &e);
    T_OK(r != NULL, "%s is Parquet: %s", line, e.cause ? e.cause : "");
    asl_error_clear(&e);
    if (!r) continue;
    snprintf(codec, 16, "%s", asl_pq_chunk_codec(r, 0, 0));
    *rows += asl_pq_nrows(r);
    asl_pq_close(r);
    n++;
  }
  if (f) pclose(f);
  return n;
}

/* CTAS with external_location: files in the lake, an external table over
 * them. */
static void test_ctas_files(void) {
  char codec[16];
  long long rows;
  T_OK(pq_files("summary", codec, &rows) == 2 && rows == 2,
       "one Parquet file per partition");
  T_STREQ(codec, "GZIP"); /* Athena's default write compression */
  T_OK(access(asl_sprintf_keep("%s/raw/summary/day=2026-01-01", g_root),
              F_OK) == 0,
       "partition folder day=2026-01-01");
  /* the table reads the files: a new file there shows in the next query */
  T_STREQ(q("select count(*), sum(n) from summary where day = DATE "
            "'2026-01-02'"),
          "1,1");
  /* the same rows as the query, every type */
  T_OK(ok("CREATE TABLE typed WITH (external_location = 's3://raw/typed/', "
          "write_compression = 'ZSTD') AS SELECT CAST(1 AS bigint) b, "
          "CAST(2 AS integer) i, CAST(2.5 AS double) d, true AS t, "
          "'x,y' AS s, DATE '2026-03-04' AS dt, TIMESTAMP '2026-03-04 "
          "05:06:07.890' AS ts, CAST(12.34 AS decimal(10,2)) AS dec, "
          "CAST(NULL AS varchar) AS nul"),
       "ctas of every type, format omitted");
  T_OK(pq_files("typed", codec, &rows) == 1 && rows == 1, "one file");
  T_STREQ(codec, "ZSTD");
  T_STREQ(cols("select * from typed"),
          "b:bigint,i:integer,d:double,t:boolean,s:varchar,dt:date,"
          "ts:timestamp,dec:decimal(10,2),nul:varchar");
  T_STREQ(q("select * from typed"),
          "1,2,2.5,true,x,y,2026-03-04,2026-03-04 05:06:07.890,12.34,\\N");
  T_STREQ(q("select b + i, d * 2, dt + interval '1' day from typed"),
          "3,5.0,2026-03-05");
  /* CTAS over a CTAS table, then the rows compared with the source */
  T_OK(ok("CREATE TABLE summary2 WITH (format = 'PARQUET', "
          "external_location = 's3://raw/summary2', write_compression = "
          "'NONE') AS SELECT * FROM summary WHERE n > 0"),
       "ctas from a ctas table");
  T_STREQ(q("select * from summary2 except select * from summary"), "");
  T_STREQ(q("select count(*) from summary2"), "2");
  T_OK(pq_files("summary2", codec, &rows) == 1, "unpartitioned: one file");
  T_STREQ(codec, "UNCOMPRESSED");
  /* JSON and TEXTFILE */
  T_OK(ok("CREATE TABLE ctas_js WITH (format = 'JSON', external_location = "
          "'s3://raw/js/') AS SELECT id, name FROM ice"),
       "ctas json");
  T_OK(g_info.rows_affected == 2, "json rows %lld", g_info.rows_affected);
  T_STREQ(q("select * from ctas_js order by id"), "1,A;2,B");
  T_OK(ok("CREATE TABLE tx WITH (format = 'TEXTFILE', field_delimiter = "
          "'|', external_location = 's3://raw/tx/') AS SELECT id, name FROM "
          "ice"),
       "ctas textfile");
  T_STREQ(q("select name from tx order by id desc"), "B;A");
  {
    char *cmd = asl_sprintf("cat '%s'/raw/tx/*", g_root);
    FILE *f = popen(cmd, "r");
    char buf[256] = {0};
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) pclose(f);
    free(cmd);
    T_OK(strstr(buf, "1|A\n") != NULL, "textfile text: [%s]", buf);
  }
  /* errors */
  T_OK(err_has("CREATE TABLE again WITH (external_location = "
               "'s3://raw/summary/') AS SELECT 1 AS x",
               "HIVE_PATH_ALREADY_EXISTS: Target directory for table "
               "'mydatabase.again' already exists: s3://raw/summary/"),
       "a location that holds files");
  T_STREQ(q("show tables like 'again'"), "");
  T_OK(err_has("CREATE TABLE po WITH (external_location = 's3://raw/po/', "
               "partitioned_by = ARRAY['id']) AS SELECT id, name FROM ice",
               "Partition keys must be the last columns in the table and in "
               "the same order as the table properties: [id]"),
       "partition column not last");
  T_OK(err_has("CREATE TABLE orc WITH (format = 'ORC', external_location = "
               "'s3://raw/orc/') AS SELECT 1 AS x",
               "NOT_SUPPORTED"),
       "orc");
  T_OK(err_has("CREATE TABLE nb WITH (external_location = "
               "'s3://nobucket/x/') AS SELECT 1 AS x",
               "NoSuchBucket"),
       "missing bucket");
  T_OK(err_has("CREATE TABLE many WITH (external_location = "
               "'s3://raw/many/', partitioned_by = ARRAY['p']) AS WITH "
               "RECURSIVE t(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM t "
               "WHERE x < 101) SELECT x, x AS p FROM t",
               "HIVE_TOO_MANY_OPEN_PARTITIONS"),
       "101 partitions");
  T_OK(access(asl_sprintf_keep("%s/raw/many", g_root), F_OK) != 0,
       "a failed CTAS leaves no file");
}

static void test_databases(void) {
  T_STREQ(q("SHOW DATABASES"), "default");
  T_OK(ok("CREATE DATABASE mydatabase"), "create database");
  T_STREQ(g_info.statement_type, "DDL");
  T_STREQ(g_info.substatement_type, "CREATE_DATABASE");
  T_OK(g_info.header_row == 0, "DDL: no header row");
  T_OK(err_has("CREATE DATABASE mydatabase", "Database mydatabase already "
                                             "exists"),
       "create twice");
  T_OK(ok("create schema IF NOT EXISTS mydatabase COMMENT 'x'"),
       "if not exists");
  T_OK(ok("CREATE SCHEMA other LOCATION 's3://bucket/other/' WITH "
          "DBPROPERTIES ('creator'='me')"),
       "schema with location and properties");
  T_STREQ(q("SHOW DATABASES"), "default;mydatabase;other");
  T_STREQ(cols("SHOW DATABASES"), "database_name:varchar");
  T_STREQ(g_info.substatement_type, "SHOW_DATABASES");
  T_OK(g_info.header_row == 0, "SHOW: no header row");
  T_STREQ(q("SHOW SCHEMAS LIKE 'my*'"), "mydatabase");
  T_STREQ(q("show databases like 'oth*|def*'"), "default;other");
  T_OK(err_has("DROP DATABASE nope",
               "SemanticException [Error 10072]: Database does not exist: "
               "nope"),
       "drop missing db");
  T_OK(ok("DROP DATABASE IF EXISTS nope"), "drop if exists");
  T_OK(ok("DROP SCHEMA other RESTRICT"), "drop empty db");
  T_STREQ(q("SHOW DATABASES"), "default;mydatabase");
  T_OK(err_has("CREATE DATABASE \"Bad-Name\"", "Invalid database name"),
       "bad db name");
  T_OK(err_has("CREATE DATABASE x LOCATION 's3://b/../../etc/'",
               "Invalid LOCATION"),
       "db location escaping the lake");
  T_OK(err_has("SHOW TABLES IN nope", "Database does not exist: nope"),
       "show tables in missing db");
}

static const char USERS_DDL[] =
    "CREATE EXTERNAL TABLE mydatabase.users (\n"
    "    id                bigint\n"
    "  , registration_date string\n"
    ") \n"
    "ROW FORMAT DELIMITED\n"
    "FIELDS TERMINATED BY ',' \n"
    "STORED AS INPUTFORMAT   'org.apache.hadoop.mapred.TextInputFormat'\n"
    "OUTPUTFORMAT   "
    "'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat' \n"
    "LOCATION  's3://datalake/data/myschema/users/' TBLPROPERTIES (  "
    "'skip.header.line.count'='0')\n"
    ";";

static const char TX_DDL[] =
    "CREATE EXTERNAL TABLE mydatabase.transactions (\n"
    "    transaction_id    bigint\n"
    "  , user_id           bigint\n"
    "  , total_cost        double\n"
    "  , dt                string\n"
    ") \n"
    "ROW FORMAT DELIMITED\n"
    "FIELDS TERMINATED BY ',' \n"
    "STORED AS INPUTFORMAT   'org.apache.hadoop.mapred.TextInputFormat'\n"
    "OUTPUTFORMAT   "
    "'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat' \n"
    "LOCATION  's3://datalake/data/myschema/transactions/' TBLPROPERTIES (  "
    "'skip.header.line.count'='0')\n"
    ";";

static const char UT_DDL[] =
    "CREATE TABLE IF NOT EXISTS mydatabase.user_transactions (\n"
    "  dt date,\n"
    "  user_id int,\n"
    "  total_cost_usd float,\n"
    "  registration_date string\n"
    ") \n"
    "PARTITIONED BY (dt)\n"
    "LOCATION "
    "'s3://datalake/data/myschema/optimized-data-iceberg-parquet/' \n"
    "TBLPROPERTIES (\n"
    "  'table_type'='ICEBERG',\n"
    "  'format'='parquet',\n"
    "  'write_target_data_file_size_bytes'='536870912',\n"
    "  'optimize_rewrite_delete_file_threshold'='10'\n"
    ")\n"
    ";";

/* Copied verbatim from /work/shared/seeds/001 (the pipeline's MERGE). */
static const char SEED_MERGE[] =
    "MERGE INTO mydatabase.user_transactions  as ut\n"
    "USING (\n"
    "  SELECT \n"
    "      date(dt) dt\n"
    "    , user_id\n"
    "    , sum(total_cost) total_cost_usd\n"
    "    , registration_date\n"
    "  FROM mydatabase.transactions \n"
    "  LEFT JOIN mydatabase.users\n"
    "  ON users.id = transactions.user_id\n"
    "  GROUP BY\n"
    "    dt\n"
    "    , user_id\n"
    "    , registration_date\n"
    ") as ut2\n"
    "ON (ut.dt = ut2.dt and ut.user_id = ut2.user_id)\n"
    "WHEN MATCHED\n"
    "    THEN UPDATE\n"
    "        SET total_cost_usd = ut2.total_cost_usd, registration_date = "
    "ut2.registration_date\n"
    "WHEN NOT MATCHED \n"
    "THEN INSERT (\n"
    " dt\n"
    ",user_id\n"
    ",total_cost_usd\n"
    ",registration_date\n"
    ")\n"
    "  VALUES (\n"
    " ut2.dt\n"
    ",ut2.user_id\n"
    ",ut2.total_cost_usd\n"
    ",ut2.registration_date\n"
    ")\n"
    ";";

static void test_seed_pipeline(void) {
  asl_error e = {0};
  T_OK(asl_lake_make_bucket(g_root, "datalake", &e) == 0, "bucket");
  asl_error_clear(&e);
  /* as MySQL's SELECT INTO OUTFILE writes them */
  char *users = asl_sprintf("1,%s\n2,%s\n", days_ago(0), days_ago(1));
  char *tx = asl_sprintf("1,1,10.99,%s\n2,2,4.99,%s\n3,2,4.99,%s\n"
                         "4,1,4.99,%s\n5,1,5.99,%s\n6,1,15.99,%s\n"
                         "7,1,55.99,%s\n",
                         days_ago(0), days_ago(0), days_ago(3), days_ago(3),
                         days_ago(2), days_ago(1), days_ago(4));
  put("datalake", "data/myschema/users/users.part_00000", users);
  put("datalake", "data/myschema/transactions/transactions.part_00000", tx);
  free(users);
  free(tx);
  T_OK(ok(USERS_DDL), "users DDL");
  T_STREQ(g_info.substatement_type, "CREATE_TABLE");
  T_OK(ok(TX_DDL), "transactions DDL");
  T_OK(ok(UT_DDL), "user_transactions DDL");
  T_OK(ok(UT_DDL), "user_transactions DDL again (IF NOT EXISTS)");
  T_STREQ(q("select * from mydatabase.users;"),
          keep(asl_sprintf("1,%s;2,%s", days_ago(0), days_ago(1))));
  T_STREQ(g_info.statement_type, "DML");
  T_STREQ(g_info.substatement_type, "SELECT");
  T_OK(g_info.header_row == 1, "SELECT: header row");
  T_OK(g_info.bytes_scanned == 26, "bytes scanned %lld", g_info.bytes_scanned);
  T_STREQ(cols("select * from mydatabase.transactions"),
          "transaction_id:bigint,user_id:bigint,total_cost:double,dt:varchar");
  T_STREQ(q("select count(*), sum(total_cost) from transactions"), "7,103.93");
  T_OK(ok(SEED_MERGE), "the seed's MERGE");
  T_STREQ(g_info.statement_type, "DML");
  T_STREQ(g_info.substatement_type, "MERGE");
  T_OK(g_info.rows_affected == 7, "MERGE inserted 7: %lld",
       g_info.rows_affected);
  const char *want = keep(asl_sprintf(
      "%s,1,55.99,%s;%s,1,4.99,%s;%s,2,4.99,%s;%s,1,5.99,%s;%s,1,15.99,%s;"
      "%s,1,10.99,%s;%s,2,4.99,%s",
      days_ago(4), days_ago(0), days_ago(3), days_ago(0), days_ago(3),
      days_ago(1), days_ago(2), days_ago(0), days_ago(1), days_ago(0),
      days_ago(0), days_ago(0), days_ago(0), days_ago(1)));
  const char *sel = "SELECT dt, user_id, total_cost_usd, registration_date "
                    "FROM mydatabase.user_transactions ORDER BY dt, user_id";
  T_STREQ(q(sel), want);
  T_STREQ(cols(sel), "dt:date,user_id:integer,total_cost_usd:float,"
                     "registration_date:varchar");
  T_OK(ok(SEED_MERGE), "the seed's MERGE again");
  T_OK(g_info.rows_affected == 7, "MERGE updated 7: %lld",
       g_info.rows_affected);
  T_STREQ(q(sel), want);
  T_STREQ(q("select count(*) from mydatabase.user_transactions"), "7");
  /* a new extract file: the next query reloads */
  put("datalake", "data/myschema/transactions/transactions.part_00001",
      keep(asl_sprintf("8,2,1.5,%s\n", days_ago(0))));
  T_OK(ok(SEED_MERGE), "MERGE after a new file");
  T_STREQ(q("select total_cost_usd from user_transactions where user_id = 2 "
            "and dt = current_date"),
          "6.49");
  T_STREQ(q("select count(*) from user_transactions"), "7");
  /* unqualified names resolve in the default database given */
  T_STREQ(q("select count(*) from transactions t join users u on u.id = "
            "t.user_id"),
          "8");
  T_STREQ(q("select count(*) from awsdatacatalog.mydatabase.users"), "2");
  T_STREQ(q("select id from \"mydatabase\".`users` order by id desc"), "2;1");
}

static void test_external(void) {
  asl_error e = {0};
  T_OK(asl_lake_make_bucket(g_root, "raw", &e) == 0, "bucket raw");
  asl_error_clear(&e);
  /* LazySimpleSerDe: header skipped, \N, bad values, missing and extra
   * fields, CRLF, folders, hidden files */
  put("raw", "csv/a.csv",
      "id,name,price,ok,day\r\n"
      "1,apple,1.5,true,2026-01-02\r\n"
      "2,\\N,abc,maybe,2026-02-30\r\n"
      "x,pear\r\n"
      "4,fig,2,false,2026-03-04,extra\r\n");
  put("raw", "csv/sub/b.csv", "id,name\n5,kiwi,0.25,TRUE,2026-12-31\n");
  put("raw", "csv/_SUCCESS", "6,hidden\n");
  put("raw", "csv/.hidden", "7,hidden\n");
  T_OK(ok("CREATE EXTERNAL TABLE IF NOT EXISTS items (id int, name string, "
          "price double, ok boolean, day date) ROW FORMAT DELIMITED FIELDS "
          "TERMINATED BY ',' LOCATION 's3://raw/csv/' TBLPROPERTIES "
          "('skip.header.line.count'='1')"),
       "create items");
  T_STREQ(q("SELECT * FROM items ORDER BY id"),
          "1,apple,1.5,true,2026-01-02;2,\\N,\\N,\\N,\\N;"
          "4,fig,2.0,false,2026-03-04;5,kiwi,0.25,true,2026-12-31;"
          "\\N,pear,\\N,\\N,\\N");
  T_STREQ(cols("SELECT * FROM items"),
          "id:integer,name:varchar,price:double,ok:boolean,day:date");
  T_STREQ(q("SHOW TABLES"), "items;transactions;user_transactions;users");
  T_STREQ(cols("SHOW TABLES"), "tab_name:varchar");
  T_STREQ(g_info.substatement_type, "SHOW_TABLES");
  T_STREQ(q("SHOW TABLES IN mydatabase 'u*'"), "user_transactions;users");
  T_STREQ(q("SHOW TABLES LIKE '*s'"), "items;transactions;user_transactions;"
                                      "users");
  T_STREQ(q("DESCRIBE items"),
          "id,int,;name,string,;price,double,;ok,boolean,;day,date,");
  T_STREQ(cols("DESCRIBE mydatabase.items"),
          "col_name:varchar,data_type:varchar,comment:varchar");
  T_STREQ(g_info.statement_type, "UTILITY");
  T_STREQ(g_info.substatement_type, "DESCRIBE_TABLE");
  T_OK(g_info.header_row == 0, "DESCRIBE: no header row");
  T_OK(err_has("DESCRIBE nope",
               "SemanticException [Error 10001]: Table not found "
               "mydatabase.nope"),
       "describe missing");
  /* the default delimiter \001 and ESCAPED BY */
  put("raw", "ctrl/a.txt", "1\001a,b\0012.5\n");
  T_OK(ok("CREATE EXTERNAL TABLE ctrl (id bigint, s string, d double) "
          "LOCATION 's3://raw/ctrl'"),
       "default delimiter");
  T_STREQ(q("select s, d from ctrl"), "a,b,2.5");
  put("raw", "esc/a.txt", "1|a\\|b|x\\\\y\n2|\\N|\n");
  T_OK(ok("CREATE EXTERNAL TABLE esc (id bigint, s string, t string) ROW "
          "FORMAT DELIMITED FIELDS TERMINATED BY '|' ESCAPED BY '\\' LINES "
          "TERMINATED BY '\n' STORED AS TEXTFILE LOCATION 's3://raw/esc/'"),
       "escaped by");
  T_STREQ(q("select s, t from esc order by id"), "a|b,x\\y;\\N,");
  /* OpenCSVSerde */
  put("raw", "ocsv/a.csv",
      "\"id\",\"name\",\"note\"\n\"1\",\"Smith, John\",\"said \"\"hi\"\"\"\n"
      "2,,plain\n");
  T_OK(ok("CREATE EXTERNAL TABLE people (id string, name string, note "
          "string) ROW FORMAT SERDE "
          "'org.apache.hadoop.hive.serde2.OpenCSVSerde' WITH SERDEPROPERTIES "
          "('separatorChar'=',', 'quoteChar'='\"', 'escapeChar'='\\\\') "
          "LOCATION 's3://raw/ocsv/' TBLPROPERTIES "
          "('skip.header.line.count'='1')"),
       "opencsv table");
  T_STREQ(q("select * from people order by id"),
          "1,Smith, John,said \"hi\";2,,plain");
  T_STREQ(cols("select id from people"), "id:varchar");
  put("raw", "tsv/a.tsv", "a\t1\n'b c'\t2\n");
  T_OK(ok("CREATE EXTERNAL TABLE tsv (s string, n bigint) ROW FORMAT SERDE "
          "'org.apache.hadoop.hive.serde2.OpenCSVSerde' WITH SERDEPROPERTIES "
          "('separatorChar'='\t', 'quoteChar'='''') LOCATION 's3://raw/tsv/'"),
       "opencsv with tab and single quotes");
  T_STREQ(q("select s, n + 1 from tsv order by n"), "a,2;b c,3");
  /* JSON SerDe */
  put("raw", "json/a.json",
      "{\"Id\": 1, \"name\": \"ann\", \"tags\": [1,2], \"ok\": true}\n"
      "\n"
      "{\"id\": \"2\", \"NAME\": null, \"extra\": 5, \"score\": 2.5}\n");
  T_OK(ok("CREATE EXTERNAL TABLE js (id bigint, name string, tags string, ok "
          "boolean, score double) ROW FORMAT SERDE "
          "'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://raw/json/'"),
       "json table");
  T_STREQ(q("select * from js order by id"),
          "1,ann,[1,2],true,\\N;2,\\N,\\N,\\N,2.5");
  put("raw", "badjson/a.json", "{\"id\": 1}\nnot json\n");
  T_OK(ok("CREATE EXTERNAL TABLE badjs (id bigint) ROW FORMAT SERDE "
          "'org.apache.hive.hcatalog.data.JsonSerDe' LOCATION "
          "'s3://raw/badjson/'"),
       "hcatalog json table");
  T_OK(err_has("select * from badjs", "HIVE_CURSOR_ERROR: Row is not a valid "
                                      "JSON Object"),
       "bad json line");
  T_OK(ok("CREATE EXTERNAL TABLE badjs2 (id bigint) ROW FORMAT SERDE "
          "'org.openx.data.jsonserde.JsonSerDe' WITH SERDEPROPERTIES "
          "('ignore.malformed.json'='true') LOCATION 's3://raw/badjson/'"),
       "ignore malformed json");
  T_STREQ(q("select id from badjs2 order by id"), "1;\\N");
  /* partitions from col=value/ folders */
  put("raw", "part/dt=2026-01-01/a.csv", "1,x\n2,y\n");
  put("raw", "part/dt=2026-01-02/b.csv", "3,z\n");
  put("raw", "part/stray.csv", "9,stray\n");
  T_OK(ok("CREATE EXTERNAL TABLE part (id bigint, s string) PARTITIONED BY "
          "(dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION "
          "'s3://raw/part/'"),
       "partitioned table");
  T_OK(ok("MSCK REPAIR TABLE part"), "msck");
  T_STREQ(g_info.substatement_type, "MSCK_REPAIR_TABLE");
  T_STREQ(q("SHOW PARTITIONS part"), "dt=2026-01-01;dt=2026-01-02");
  T_STREQ(cols("SHOW PARTITIONS part"), "partition:varchar");
  T_OK(err_has("SHOW PARTITIONS users", "is not a partitioned table"),
       "show partitions of an unpartitioned table");
  T_OK(ok("ALTER TABLE part ADD IF NOT EXISTS PARTITION (dt='2026-01-03') "
          "LOCATION 's3://raw/part/dt=2026-01-03/'"),
       "add partition accepted");
  T_STREQ(q("select dt, count(*) from part group by dt order by dt"),
          "2026-01-01,2;2026-01-02,1");
  T_STREQ(q("select id from part where dt = '2026-01-02'"), "3");
  T_STREQ(q("describe part"), "id,bigint,;s,string,;dt,string,partition");
  T_STREQ(q("show columns in part"), "id;s;dt");
  T_STREQ(cols("show columns from users in mydatabase"), "field:varchar");
  T_OK(err_has("show columns in nope", "Table not found mydatabase.nope"),
       "show columns of a missing table");
  T_OK(err_has("CREATE EXTERNAL TABLE part2 (id bigint) PARTITIONED BY (id "
               "string) LOCATION 's3://raw/part/'",
               "Column repeated in partitioning columns"),
       "partition column repeated");
  /* a reload only when the files change */
  T_STREQ(q("select count(*) from part"), "3");
  put("raw", "part/dt=2026-01-03/c.csv", "4,w\n");
  T_STREQ(q("select count(*) from part"), "4");
  asl_lake_delete(g_root, "raw", "part/dt=2026-01-03/c.csv", &e);
  asl_error_clear(&e);
  T_STREQ(q("select count(*) from part"), "3");
  /* an empty location is an empty table */
  T_OK(ok("CREATE EXTERNAL TABLE empty (id bigint) LOCATION "
          "'s3://raw/nothing/here/'"),
       "empty location");
  T_STREQ(q("select count(*) from empty"), "0");
  /* INSERT INTO an external delimited table writes an object */
  T_OK(ok("INSERT INTO esc VALUES (3, 'p|q', NULL)"), "insert into external");
  T_OK(g_info.rows_affected == 1, "one row written");
  T_STREQ(q("select s, t from esc where id = 3"), "p|q,\\N");
  T_OK(ok("INSERT INTO js SELECT 9, 'nine', NULL, true, 0.5"),
       "insert into json");
  T_STREQ(q("select name, ok, score from js where id = 9"), "nine,true,0.5");
  T_OK(err_has("INSERT INTO part VALUES (1, 'a', 'b')",
               "partitioned external table"),
       "insert into partitioned external");
  /* external tables are not modifiable */
  T_OK(err_has("UPDATE items SET name = 'x'",
               "NOT_SUPPORTED: Modifying Hive table rows is only supported "
               "for transactional tables"),
       "update external");
  T_OK(err_has("DELETE FROM items WHERE id = 1", "Modifying Hive table rows"),
       "delete external");
  T_OK(err_has("MERGE INTO items t USING users s ON t.id = s.id WHEN MATCHED "
               "THEN DELETE",
               "Modifying Hive table rows"),
       "merge external");
  /* LOCATION checks */
  T_OK(err_has("CREATE EXTERNAL TABLE esc2 (a string) LOCATION "
               "'s3://b/../../etc/'",
               "Invalid LOCATION"),
       "location escaping the lake");
  T_OK(err_has("CREATE EXTERNAL TABLE esc3 (a string) LOCATION "
               "'s3://raw/a//b/'",
               "InvalidKey"),
       "location with an empty segment");
  T_OK(err_has("CREATE EXTERNAL TABLE esc4 (a string) LOCATION '/etc/'",
               "s3://"),
       "location not s3");
  T_OK(err_has("CREATE EXTERNAL TABLE esc5 (a string)", "needs a LOCATION"),
       "no location");
  T_OK(err_has("CREATE EXTERNAL TABLE users (a string) LOCATION 's3://raw/x/'",
               "AlreadyExistsException"),
       "table exists");
  T_OK(ok("CREATE EXTERNAL TABLE IF NOT EXISTS users (a string) LOCATION "
          "'s3://raw/x/'"),
       "if not exists");
  T_OK(err_has("CREATE EXTERNAL TABLE dup (a string, a int) LOCATION "
               "'s3://raw/x/'",
               "Duplicate column name: a"),
       "duplicate column");
  T_OK(err_has("CREATE EXTERNAL TABLE badt (a strin) LOCATION 's3://raw/x/'",
               "Unknown type 'strin'"),
       "unknown type");
  T_OK(ok("CREATE EXTERNAL TABLE cx (a array<string>, m map<string,int>, s "
          "struct<x:int,y:string>, d decimal(10,2), v varchar(20)) LOCATION "
          "'s3://raw/cx/'"),
       "complex types accepted");
  put("raw", "cx/a", "[1]\001{}\001{}\0011.234\001abc\n");
  T_STREQ(q("select d, v from cx"), "1.23,abc");
  T_STREQ(cols("select a, d, v from cx"),
          "a:varchar,d:decimal(10,2),v:varchar(20)");
  /* SHOW CREATE TABLE */
  const char *sc = q("SHOW CREATE TABLE users");
  T_OK(strstr(sc, "CREATE EXTERNAL TABLE `mydatabase`.`users`(") &&
           strstr(sc, "LOCATION") &&
           strstr(sc, "s3://datalake/data/myschema/"
                      "users/"),
       "show create table: %s", sc);
  /* drop: the files stay */
  T_OK(ok("DROP TABLE items"), "drop external");
  T_STREQ(g_info.substatement_type, "DROP_TABLE");
  asl_lake_obj info;
  T_OK(asl_lake_head(g_root, "raw", "csv/a.csv", &info, &e) == 0,
       "files stay after DROP TABLE");
  asl_error_clear(&e);
  T_OK(err_has("select * from items", "Table 'awsdatacatalog.mydatabase."
                                      "items' does not exist"),
       "dropped");
  T_OK(err_has("DROP TABLE items", "Table not found mydatabase.items"),
       "drop twice");
  T_OK(ok("DROP TABLE IF EXISTS items"), "drop if exists");
}

/* Writes a Parquet file at s3://BUCKET/KEY with columns id:int64!,
 * name:string, age:int32, salary:double, dob:date, extra:string and n rows
 * starting at id first (name NULL every 5th row). */
static void put_pq(const char *bucket, const char *key, int first, int n,
                   asl_pq_codec codec) {
  char *dir = asl_sprintf("%s/%s/%s", g_root, bucket, key);
  char *slash = strrchr(dir, '/');
  *slash = 0;
  char *mk = asl_sprintf("mkdir -p '%s'", dir);
  T_OK(system(mk) == 0, "mkdir %s", dir);
  free(mk);
  *slash = '/';
  asl_pq_column *c;
  size_t nc;
  asl_error e = {0};
  T_OK(asl_pq_parse_schema("id:int64!,name:string,age:int32,salary:double,"
                           "dob:date,extra:string",
                           &c, &nc, &e) == 0,
       "schema");
  asl_pq_write_opts o = {0};
  o.codec = codec;
  o.row_group_rows = 7; /* several row groups */
  asl_pq_writer *w = asl_pq_writer_create(dir, c, nc, &o, &e);
  T_OK(w != NULL, "writer: %s", e.cause ? e.cause : "");
  for (int i = first; w && i < first + n; i++) {
    char nm[32];
    snprintf(nm, sizeof nm, "user%d", i);
    asl_pq_value v[6] = {{0}};
    v[0].kind = ASL_PQ_V_INT;
    v[0].i = i;
    if (i % 5) {
      v[1].kind = ASL_PQ_V_BYTES;
      v[1].s = nm;
      v[1].n = strlen(nm);
    }
    v[2].kind = ASL_PQ_V_INT;
    v[2].i = 18 + i % 33;
    v[3].kind = ASL_PQ_V_DOUBLE;
    v[3].d = 1000.5 * i;
    v[4].kind = ASL_PQ_V_DATE;
    v[4].i = 10000 + i;
    v[5].kind = ASL_PQ_V_BYTES;
    v[5].s = "x";
    v[5].n = 1;
    T_OK(asl_pq_writer_append(w, v, &e) == 0, "append");
  }
  if (w) T_OK(asl_pq_writer_close(w, &e) == 0, "close");
  asl_error_clear(&e);
  asl_pq_columns_free(c, nc);
  free(dir);
}

static void test_parquet_tables(void) {
  put_pq("raw", "pq/a.parquet", 1, 20, ASL_PQ_SNAPPY);
  put_pq("raw", "pq/b.parquet", 21, 10, ASL_PQ_ZSTD);
  T_OK(ok("CREATE EXTERNAL TABLE pq (id bigint, Name string, age int, salary "
          "double, dob date, missing string) STORED AS PARQUET LOCATION "
          "'s3://raw/pq/'"),
       "stored as parquet");
  T_STREQ(q("select count(*), min(age), max(age), sum(id), count(name), "
            "count(missing) from pq"),
          "30,19,48,465,24,0");
  T_STREQ(q("select id, name, age, salary, dob from pq where id in (5, 21) "
            "order by id"),
          "5,\\N,23,5002.5,1997-05-24;21,user21,39,21010.5,1997-06-09");
  T_STREQ(q("select avg(salary) from pq"), "15507.75");
  /* the SerDe spelling, partitioned by key=value/ folders */
  put_pq("raw", "pqp/nat=DE/year=2020/a.parquet", 1, 3, ASL_PQ_UNCOMPRESSED);
  put_pq("raw", "pqp/nat=FR/year=2021/b.parquet", 4, 5, ASL_PQ_GZIP);
  T_OK(ok("CREATE EXTERNAL TABLE pqp (id bigint, name string) PARTITIONED BY "
          "(nat string, year int) ROW FORMAT SERDE "
          "'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' "
          "STORED AS INPUTFORMAT "
          "'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat' "
          "OUTPUTFORMAT "
          "'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat' "
          "LOCATION 's3://raw/pqp/'"),
       "parquet serde, partitioned");
  T_OK(ok("MSCK REPAIR TABLE pqp"), "msck parquet");
  T_STREQ(q("select nat, year, count(*), sum(id) from pqp group by nat, year "
            "order by nat"),
          "DE,2020,3,6;FR,2021,5,30");
  T_STREQ(q("select name from pqp where year = 2021 and id = 6"), "user6");
  const char *sc = q("SHOW CREATE TABLE pqp");
  T_OK(strstr(sc, "ParquetHiveSerDe") && strstr(sc, "MapredParquetInputFormat"),
       "show create table: %s", sc);
  /* a file that is not Parquet fails the query with the file named */
  put("raw", "pqbad/x.parquet", "this is not parquet at all");
  T_OK(ok("CREATE EXTERNAL TABLE pqbad (id bigint) STORED AS PARQUET "
          "LOCATION 's3://raw/pqbad/'"),
       "bad parquet table");
  T_OK(err_has("select * from pqbad", "s3://raw/pqbad/x.parquet"),
       "bad parquet file named");
  T_OK(err_has("INSERT INTO pq SELECT * FROM pq",
               "NOT_SUPPORTED: asl does not support INSERT INTO a Parquet"),
       "insert into parquet refused");
  T_OK(err_has("CREATE EXTERNAL TABLE orc (a string) STORED AS ORC "
               "LOCATION 's3://raw/orc/'",
               "NOT_SUPPORTED: asl does not support STORED AS ORC yet"),
       "orc");
}

static void test_iceberg(void) {
  T_OK(err_has("CREATE TABLE plain (a int) LOCATION 's3://raw/plain/'",
               "Only EXTERNAL tables are supported"),
       "hive table without EXTERNAL");
  T_OK(ok("CREATE TABLE ice (id bigint, name string, amount double, day "
          "date, flag boolean) PARTITIONED BY (day(day)) LOCATION "
          "'s3://raw/ice/' TBLPROPERTIES ('table_type'='ICEBERG')"),
       "iceberg create");
  T_STREQ(g_info.statement_type, "DDL");
  T_STREQ(g_info.substatement_type, "CREATE_TABLE");
  T_STREQ(q("describe ice"), "id,bigint,;name,string,;amount,double,;day,"
                             "date,;flag,boolean,;day(day),,partition "
                             "transform");
  T_OK(err_has("CREATE TABLE ice3 (a int) PARTITIONED BY (b) TBLPROPERTIES "
               "('table_type'='ICEBERG')",
               "Partition column b is not a column"),
       "iceberg partition of no column");
  T_OK(ok("INSERT INTO ice VALUES (1, 'a', 1.5, DATE '2026-01-01', true), "
          "(2, 'b', 2.25, DATE '2026-01-02', false)"),
       "insert values");
  T_STREQ(g_info.statement_type, "DML");
  T_STREQ(g_info.substatement_type, "INSERT");
  T_OK(g_info.rows_affected == 2, "2 rows");
  T_OK(ok("INSERT INTO ice (id, name) SELECT id + 10, 'from users' FROM "
          "users"),
       "insert select with columns");
  T_OK(g_info.rows_affected == 2, "2 more rows");
  T_STREQ(q("select * from ice order by id"),
          "1,a,1.5,2026-01-01,true;2,b,2.25,2026-01-02,false;"
          "11,from users,\\N,\\N,\\N;12,from users,\\N,\\N,\\N");
  T_OK(ok("UPDATE ice SET amount = amount * 2, name = upper(name) WHERE id "
          "< 10"),
       "update");
  T_STREQ(g_info.substatement_type, "UPDATE");
  T_OK(g_info.rows_affected == 2, "updated 2: %lld", g_info.rows_affected);
  T_STREQ(q("select name, amount from ice where id < 10 order by id"),
          "A,3.0;B,4.5");
  T_OK(ok("DELETE FROM ice WHERE name = 'from users'"), "delete");
  T_STREQ(g_info.substatement_type, "DELETE");
  T_OK(g_info.rows_affected == 2, "deleted 2");
  T_STREQ(q("select count(*) from ice"), "2");
  T_OK(err_has("INSERT INTO ice VALUES (1)", "1 values"), "too few values");
  T_OK(err_has("UPDATE ice SET nope = 1", "nope"), "update unknown column");
  T_STREQ(g_info.substatement_type, "UPDATE");
  T_OK(err_has("CREATE TABLE IF NOT EXISTS x AS SELECT nope",
               "Column 'nope' cannot be resolved"),
       "ctas with an unknown column");
  T_STREQ(g_info.substatement_type, "CREATE_TABLE_AS_SELECT");
  T_STREQ(g_info.statement_type, "DML");
  T_OK(err_has("INSERT INTO nope VALUES (1)",
               "Table 'awsdatacatalog.mydatabase.nope' does not exist"),
       "insert into missing");
  /* CTAS */
  T_OK(ok("CREATE TABLE summary WITH (format = 'PARQUET', "
          "external_location = 's3://raw/summary/', partitioned_by = "
          "ARRAY['day']) AS SELECT count(*) AS n, sum(amount) total, "
          "max(name) AS top, date(day) d2, CAST(id AS varchar) sid, day FROM "
          "ice GROUP BY day, id"),
       "ctas");
  T_STREQ(g_info.statement_type, "DML");
  T_STREQ(g_info.substatement_type, "CREATE_TABLE_AS_SELECT");
  T_OK(g_info.rows_affected == 2, "ctas rows %lld", g_info.rows_affected);
  T_STREQ(cols("select * from summary"),
          "n:bigint,total:double,top:varchar,d2:date,sid:varchar,day:date");
  T_STREQ(q("select * from summary order by day"),
          "1,3.0,A,2026-01-01,1,2026-01-01;1,4.5,B,2026-01-02,2,2026-01-02");
  T_STREQ(q("describe summary"), "n,bigint,;total,double,;top,string,;d2,date,"
                                 ";sid,string,;day,date,partition");
  test_ctas_files();
  T_OK(ok("CREATE TABLE IF NOT EXISTS summary AS SELECT 1 AS x"),
       "ctas if not exists");
  T_OK(err_has("CREATE TABLE summary AS SELECT 1 AS x", "already exists"),
       "ctas exists");
  T_OK(ok("CREATE TABLE nodata AS SELECT id, name FROM ice WITH NO DATA"),
       "ctas with no data");
  T_STREQ(q("select count(*) from nodata"), "0");
  T_STREQ(cols("select * from nodata"), "id:bigint,name:varchar");
  T_OK(err_has("CREATE TABLE noname AS SELECT 1 + 1",
               "Column name not specified at position 1"),
       "ctas without a name");
  T_OK(err_has("UPDATE summary SET n = 0", "Modifying Hive table rows"),
       "ctas hive table is not modifiable");
  T_OK(ok("CREATE TABLE ice2 WITH (table_type = 'ICEBERG', location = "
          "'s3://raw/ice2/', is_external = false) AS SELECT * FROM ice"),
       "ctas iceberg");
  T_OK(ok("DELETE FROM ice2"), "delete all");
  T_OK(g_info.rows_affected == 2, "deleted all");
  T_OK(ok("DROP TABLE ice2"), "drop iceberg");
  T_OK(err_has("select * from ice2", "does not exist"), "dropped iceberg");
  /* the same table name in two databases */
  T_OK(ok("CREATE DATABASE second"), "second db");
  T_OK(ok("CREATE TABLE second.ice (id bigint) TBLPROPERTIES "
          "('table_type'='iceberg')"),
       "same name elsewhere");
  T_OK(ok("INSERT INTO second.ice VALUES (100)"), "insert there");
  T_STREQ(q("select count(*) from ice"), "2");
  T_STREQ(q("select a.id from second.ice a"), "100");
  T_STREQ(q("select count(*) from mydatabase.ice m, second.ice s"), "2");
  g_db = "second";
  T_STREQ(q("select id from ice"), "100");
  g_db = "mydatabase";
  T_OK(err_has("DROP DATABASE second", "is not empty"), "drop non-empty");
  T_OK(ok("DROP DATABASE second CASCADE"), "drop cascade");
  T_OK(err_has("select * from second.ice", "Schema 'second' does not exist"),
       "cascade dropped the tables");
  T_OK(ok("CREATE DATABASE second"), "again");
  T_OK(ok("CREATE TABLE second.ice (id bigint) TBLPROPERTIES "
          "('table_type'='iceberg')"),
       "again table");
  T_STREQ(q("select count(*) from second.ice"), "0");
}

static void test_merge(void) {
  T_OK(ok("CREATE TABLE tgt (id int, v string, n bigint) TBLPROPERTIES "
          "('table_type'='ICEBERG')"),
       "merge target");
  T_OK(ok("INSERT INTO tgt VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', "
          "3), (4, 'four', 4)"),
       "target rows");
  const char *m =
      "MERGE INTO tgt t USING (SELECT 1 AS id, 'uno' AS v, 10 AS n UNION "
      "ALL SELECT 2, 'dos', 20 UNION ALL SELECT 3, 'tres', 30 UNION ALL "
      "SELECT 5, 'cinco', 50 UNION ALL SELECT 6, 'seis', 60) s ON t.id = "
      "s.id "
      "WHEN MATCHED AND s.id = 1 THEN DELETE "
      "WHEN MATCHED AND t.n < 3 THEN UPDATE SET v = s.v, n = t.n + s.n "
      "WHEN MATCHED THEN UPDATE SET v = concat(t.v, '/', s.v) "
      "WHEN NOT MATCHED AND s.id = 5 THEN INSERT (id, v) VALUES (s.id, "
      "s.v) "
      "WHEN NOT MATCHED THEN INSERT VALUES (s.id, upper(s.v), -1)";
  const char *r = q(m);
  T_OK(strncmp(r, "ERR", 3) != 0, "merge with every WHEN form: %s", r);
  T_OK(g_info.rows_affected == 5, "merge touched 5: %lld",
       g_info.rows_affected);
  T_STREQ(q("select * from tgt order by id"),
          "2,dos,22;3,three/tres,3;4,four,4;5,cinco,\\N;6,SEIS,-1");
  /* a target row matched by two source rows */
  T_OK(err_has("MERGE INTO tgt USING (SELECT 2 AS id UNION ALL SELECT 2) src "
               "ON tgt.id = src.id WHEN MATCHED THEN DELETE",
               "One MERGE target table row matched more than one source row"),
       "double match");
  T_STREQ(q("select count(*) from tgt"), "5");
  /* a source table (not a query), default aliases */
  T_OK(ok("CREATE TABLE src2 (id int, v string, n bigint) TBLPROPERTIES "
          "('table_type'='ICEBERG')"),
       "source table");
  T_OK(ok("INSERT INTO src2 VALUES (4, 'cuatro', 40), (7, 'siete', 70)"),
       "source rows");
  T_OK(ok("MERGE INTO tgt USING src2 ON tgt.id = src2.id WHEN MATCHED THEN "
          "UPDATE SET n = src2.n WHEN NOT MATCHED THEN INSERT (id, v, n) "
          "VALUES (src2.id, src2.v, src2.n)"),
       "merge from a table");
  T_OK(g_info.rows_affected == 2, "2 touched");
  T_STREQ(q("select id, n from tgt where id in (4, 7) order by id"),
          "4,40;7,70");
  T_OK(err_has("MERGE INTO tgt USING src2 ON tgt.id = src2.id WHEN MATCHED "
               "THEN INSERT VALUES (1)",
               "mismatched input 'INSERT'"),
       "matched insert");
  T_OK(err_has("MERGE INTO tgt USING src2 ON tgt.id = src2.id",
               "Expecting: 'WHEN'"),
       "merge without when");
  T_OK(err_has("MERGE INTO tgt USING nope ON 1 = 1 WHEN MATCHED THEN DELETE",
               "Table 'awsdatacatalog.mydatabase.nope' does not exist"),
       "merge unknown source");
  T_OK(err_has("MERGE INTO tgt USING src2 ON tgt.id = src2.nope WHEN MATCHED "
               "THEN DELETE",
               "Column 'src2.nope' cannot be resolved"),
       "merge unknown column");
  T_STREQ(q("select count(*) from tgt"), "6");
}

static void test_functions(void) {
  T_STREQ(q("select date('2026-03-04'), date('2026-03-04 10:11:12'), "
            "date_add('day', 1, date '2026-02-28'), date_add('month', 1, "
            "DATE '2026-01-31'), date_add('year', -1, date '2024-02-29'), "
            "date_add('hour', 25, timestamp '2026-01-01 00:00:00')"),
          "2026-03-04,2026-03-04,2026-03-01,2026-02-28,2023-02-28,2026-01-02 "
          "01:00:00.000");
  T_STREQ(q("select date_diff('day', date '2026-01-01', date '2026-03-01'), "
            "date_diff('month', date '2026-01-31', date '2026-02-28'), "
            "date_diff('year', date '2020-06-01', date '2026-05-31'), "
            "date_diff('hour', timestamp '2026-01-01 00:00:00', timestamp "
            "'2026-01-02 01:30:00')"),
          "59,0,5,25");
  T_STREQ(q("select date_format(timestamp '2026-03-04 15:06:07', "
            "'%Y/%m/%d %H:%i:%s %p %b %W %j'), date_parse('04/03/2026 "
            "3:06', '%d/%m/%Y %k:%i'), from_iso8601_date('2026-12-31'), "
            "year(date '2026-03-04'), month(date '2026-03-04'), day(date "
            "'2026-03-04'), day_of_week(date '2026-12-01'), quarter(date "
            "'2026-08-01')"),
          "2026/03/04 15:06:07 PM Mar Wednesday 063,2026-03-04 "
          "03:06:00.000,2026-12-31,2026,3,4,2,3");
  T_STREQ(q("select date '2026-01-31' + interval '1' month, date "
            "'2026-03-01' - INTERVAL '1' DAY, timestamp '2026-01-01 "
            "00:00:00' + interval '90' minute, (date '2026-01-01' + interval "
            "'1' day) - interval '2' day, date '2026-01-01' + interval '1' "
            "hour, date(dt) - interval '1' year from user_transactions "
            "where user_id = 2 order by 6 limit 1"),
          keep(asl_sprintf("2026-02-28,2026-02-28,2026-01-01 01:30:00.000,"
                           "2025-12-31,2026-01-01 01:00:00.000,%d%s",
                           atoi(days_ago(3)) - 1, days_ago(3) + 4)));
  T_STREQ(cols("select current_date - interval '1' day x, current_date + "
               "interval '1' hour"),
          "x:date,_col1:timestamp");
  T_STREQ(q("select current_date - interval '3' day = date_add('day', -3, "
            "current_date)"),
          "true");
  T_STREQ(q("select extract(year from date '2026-05-06'), extract(dow FROM "
            "date '2026-12-01'), extract(hour from timestamp '2026-01-01 "
            "07:08:09'), extract(day from dt) = day(dt) from user_transactions "
            "limit 1"),
          "2026,2,7,true");
  T_OK(err_has("select extract(century from date '2026-01-01')",
               "Invalid EXTRACT field: century"),
       "extract field");
  T_STREQ(q("select date_trunc('month', date '2026-03-04'), date_trunc('week', "
            "date '2026-12-03')"),
          "2026-03-01,2026-11-30");
  T_STREQ(q("select current_date = date_format(current_timestamp, "
            "'%Y-%m-%d'), length(cast(current_timestamp as varchar))"),
          "true,23");
  T_STREQ(q("select coalesce(null, 2, 3), concat('a', 'b', 'c'), concat('a', "
            "null), 'x' || 'y', 'x' || null"),
          "2,abc,\\N,xy,\\N");
  T_STREQ(q("select substr('héllo', 2, 3), substr('hello', -3), substr('abc', "
            "0), substr('abc', 5), strpos('héllo', 'l'), strpos('abc', 'z'), "
            "length('héllo')"),
          "éll,llo,,,3,0,5");
  T_STREQ(
      q("select lower('AbC'), upper('abc'), trim('  a b  '), replace('a-b-c', "
        "'-'), replace('a-b-c', '-', '+'), split_part('a,b,c', ',', 3), "
        "split_part('a,b', ',', 5), lpad('7', 3, '0'), rpad('ab', 4, "
        "'xy'), reverse('abc')"),
      "abc,ABC,a b,abc,a+b+c,c,\\N,007,abxy,cba");
  T_STREQ(q("select regexp_like('abc123', '\\d+$'), regexp_like('abc', "
            "'^\\d'), regexp_replace('a1b22c', '\\d+', '#'), "
            "regexp_replace('a1b2', '\\d'), regexp_replace('john smith', "
            "'(\\w+) (\\w+)', '$2 $1'), regexp_extract('x=12,y=34', "
            "'y=(\\d+)', 1), regexp_extract('abc', '\\d')"),
          "true,false,a#b#c,ab,smith john,34,\\N");
  T_OK(err_has("select regexp_like('a', '(')", "INVALID_FUNCTION_ARGUMENT"),
       "bad regexp");
  T_STREQ(q("select round(2.5), round(-2.5), round(1.234, 2), round(7), "
            "abs(-3), abs(-2.5), floor(2.7), ceil(2.1), ceiling(-2.1), "
            "mod(7, 3), power(2, 10), sqrt(16)"),
          "3.0,-3.0,1.23,7,3,2.5,2.0,3.0,-2.0,1,1024.0,4.0");
  T_STREQ(q("select greatest(1, 5, 3), least(4, 2, 8), greatest(1, null), "
            "least('b', 'a'), if(1 < 2, 'yes', 'no'), if(1 > 2, 'yes'), "
            "nullif(1, 1), nullif(1, 2)"),
          "5,2,\\N,a,yes,\\N,\\N,1");
  T_STREQ(
      q("select count(*), count(distinct user_id), approx_distinct(user_id), "
        "sum(total_cost) > 100, avg(user_id) > 1, min(dt) < max(dt), "
        "arbitrary(transaction_id) > 0 from transactions"),
      "8,2,2,true,true,true,true");
  T_STREQ(q("select cast('12' as bigint) + 1, cast(12.6 as integer), cast(1 "
            "as double), cast('2026-01-02' as date), cast('2026-01-02' as "
            "timestamp), cast(true as varchar), cast(1.5 as varchar), "
            "cast('true' as boolean), cast(3.14159 as decimal(10,2)), "
            "try_cast('x' as integer)"),
          "13,13,1.0,2026-01-02,2026-01-02 00:00:00.000,1,1.5,true,3.14,\\N");
  T_OK(err_has("select cast('abc' as integer)",
               "INVALID_CAST_ARGUMENT: Cannot cast 'abc' to INTEGER"),
       "bad cast");
  T_OK(err_has("select cast(3000000000 as integer)", "Out of range"),
       "cast out of range");
  T_OK(err_has("select cast(1 as frobnicate)", "Unknown type: frobnicate"),
       "unknown cast type");
  T_OK(err_has("select date('2026-02-30')",
               "Value cannot be cast to date: 2026-02-30"),
       "bad date");
  T_OK(err_has("select DATE '2026-13-01'", "line 1:8: '2026-13-01' is not a "
                                           "valid date literal"),
       "bad date literal");
  T_STREQ(q("with a as (select 1 x union all select 2), b as (select x * 10 y "
            "from a) select sum(y) from b"),
          "30");
  T_STREQ(q("SELECT t.id, name FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, "
            "name) JOIN (select 1 x) u (k) ON u.k = t.id"),
          "1,a");
  T_STREQ(cols("SELECT * FROM (VALUES (1, 'a')) t(\"ID\", `Name`)"),
          "id:bigint,name:varchar");
  T_STREQ(q("select count(*) from (select id from users) as x (n) where n > "
            "1"),
          "1");
  T_STREQ(q("select x from (select 1 x union select 1 union select 2) order "
            "by x desc limit 1"),
          "2");
  T_STREQ(q("select x from (select null x union all select 1) order by x"),
          "1;\\N");
  T_STREQ(q("select x from (select null x union all select 1) order by x desc "
            "nulls first"),
          "\\N;1");
  T_STREQ(q("select user_id, count(*) c from transactions group by user_id "
            "having count(*) > 3 order by 1"),
          "1,5");
  T_STREQ(q("select u.id, t.n from users u left join (select user_id, count(*) "
            "n from transactions group by user_id) t on t.user_id = u.id "
            "where u.id in (select user_id from transactions) order by u.id"),
          "1,5;2,3");
  T_STREQ(q("select case when 1 > 2 then 'a' else 'b' end, 7 / 2, 7 % 3, 7.0 / "
            "2, -(3), 1 between 0 and 2, 'a' like 'a%', 2 in (1, 2), null is "
            "null"),
          "b,3,1,3.5,-3,true,true,true,true");
  T_STREQ(q("select json_extract_scalar('{\"a\": {\"b\": 7}}', '$.a.b'), "
            "starts_with('hello', 'he')"),
          "7,true");
  T_OK(err_has("select strftime('%Y', 'now')",
               "Function 'strftime' not registered"),
       "SQLite-only functions are not Trino's");
  T_OK(err_has("select sqlite_version()", "not registered"), "sqlite_version");
  T_OK(err_has("select nosuch(1)", "line 1:8: Function 'nosuch' not "
                                   "registered"),
       "unknown function");
}

static void test_types_and_values(void) {
  T_STREQ(q("select 1.0e0, 1e20, 0.0001e0, 0.001e0, 1234567.0e0, 12345678.0e0, "
            "10.99e0, -2.5e-7, 1e0/0e0"),
          "1.0,1.0E20,1.0E-4,0.001,1234567.0,1.2345678E7,10.99,-2.5E-7,\\N");
  T_STREQ(cols("select 1, 3000000000, 1.5, 1e0, 'a', true, date '2026-01-01', "
               "timestamp '2026-01-01 00:00:00', 1 = 1, count(*), avg(1), "
               "sum(1), cast(1 as real), cast(1 as decimal(5,1))"),
          "_col0:integer,_col1:bigint,_col2:decimal(2,1),_col3:double,_col4:"
          "varchar,_col5:boolean,_col6:date,_col7:timestamp,_col8:boolean,"
          "_col9:bigint,_col10:double,_col11:bigint,_col12:real,_col13:"
          "decimal(5,1)");
  T_STREQ(q("select true, false, 1 = 2, cast(1 as real), cast(10.99 as real), "
            "cast(2.5 as decimal(10,3))"),
          "true,false,false,1.0,10.99,2.500");
  T_STREQ(cols("select total_cost_usd x, dt, max(dt) m, sum(user_id) s, "
               "min(total_cost_usd) f from user_transactions group by dt"),
          "x:float,dt:date,m:date,s:bigint,f:float");
  T_STREQ(cols("select u.id AS \"The Id\", registration_date from users u"),
          "the id:bigint,registration_date:varchar");
  T_STREQ(cols("select date_add('day', 1, dt) a, date_add('hour', 1, "
               "timestamp '2026-01-01 00:00:00') b, lower('X') c, "
               "length('x') d, regexp_like('a', 'a') e from user_transactions "
               "limit 1"),
          "a:date,b:timestamp,c:varchar,d:bigint,e:boolean");
  /* names of unnamed columns */
  T_STREQ(cols("select id, id + 1, upper(registration_date) from users"),
          "id:bigint,_col1:bigint,_col2:varchar");
  /* a query with no rows still names its columns */
  res r = {0};
  asl_error e = {0};
  T_OK(run("select id from users where id > 100", &r, &e) == 0, "no rows");
  T_OK(r.ncalls == 1 && r.nrows == 0, "columns once, no rows");
  T_STREQ(r.types.s, "id:bigint");
  asl_buf_free(&r.rows);
  asl_buf_free(&r.names);
  asl_buf_free(&r.types);
  /* DDL and DML: no columns callback */
  memset(&r, 0, sizeof r);
  T_OK(run("INSERT INTO tgt VALUES (8, 'ocho', 8)", &r, &e) == 0, "insert");
  T_OK(r.ncalls == 0, "no columns for INSERT");
  /* a sink that stops */
  memset(&r, 0, sizeof r);
  r.stop_after = 2;
  T_OK(run("select * from transactions", &r, &e) < 0 && r.nrows == 2,
       "the sink stopped the statement");
  T_OK(e.name != NULL, "stopped with an error");
  asl_error_clear(&e);
  asl_buf_free(&r.rows);
  asl_buf_free(&r.names);
  asl_buf_free(&r.types);
  /* NULL sink and info are allowed */
  T_OK(asl_sql_run(g_home, "mydatabase", "select 1", 0, NULL, NULL, &e) == 0,
       "NULL sink");
  asl_sql_sink empty = {0};
  T_OK(asl_sql_run(g_home, NULL, "show tables", 0, &empty, NULL, &e) == 0,
       "NULL callbacks, default database");
  asl_error_clear(&e);
}

static void test_errors(void) {
  T_OK(err_has("ALTER TABLE users RENAME TO people2",
               "NOT_SUPPORTED: asl does not support ALTER TABLE (other than "
               "ADD PARTITION) yet"),
       "alter");
  T_OK(err_has("UNLOAD (SELECT 1) TO 's3://raw/u/' WITH (format = 'TEXTFILE')",
               "NOT_SUPPORTED: asl does not support UNLOAD yet"),
       "unload");
  T_OK(err_has("CREATE VIEW v AS SELECT 1", "does not support CREATE VIEW"),
       "view");
  T_OK(err_has("EXPLAIN SELECT 1", "does not support EXPLAIN"), "explain");
  T_OK(err_has("SELECT INTERVAL '1' DAY",
               "line 1:8: NOT_SUPPORTED: asl supports INTERVAL only as"),
       "a bare interval");
  T_OK(err_has("SELECT date '2026-01-01' + INTERVAL 'x' DAY",
               "INVALID_LITERAL: 'x' is not a valid interval literal"),
       "a bad interval literal");
  T_OK(err_has("SELECT date '2026-01-01' + INTERVAL '1' fortnight",
               "not a valid interval unit"),
       "a bad interval unit");
  T_OK(err_has("SHOW VIEWS", "NOT_SUPPORTED"), "show views");
  asl_error e = {0};
  /* syntax errors name the line and column */
  T_OK(err_has("SELECT * FROM\n  WHERE x = 1", "line 2:3: mismatched input"),
       "syntax error line 2");
  T_OK(err_has("SELEC 1", "line 1:1: mismatched input 'SELEC'"),
       "bad first word");
  T_OK(err_has("CREATE EXTERNAL TABLE t (a string", "line 1:34: mismatched "
                                                    "input '<EOF>'"),
       "unterminated column list");
  T_OK(err_has("select 'abc", "line 1:8: mismatched input '''"),
       "unterminated string");
  T_OK(err_has("select 1; select 2", "line 1:9: mismatched input ';'"),
       "two statements");
  T_OK(err_has("select #", "line 1:8: token recognition error at: '#'"),
       "bad character");
  T_OK(err_has("", "line 1:1: mismatched input '<EOF>'"), "empty");
  T_OK(err_has("  -- only a comment\n", "mismatched input '<EOF>'"),
       "only a comment");
  T_STREQ(q("/* a comment */ select 1 -- and another\n;"), "1");
  T_STREQ(q("SeLeCt 1 AS \"X\" ;;"), "1");
  T_OK(err_has("select (1", "mismatched input '<EOF>'"), "unbalanced");
  /* unknown names */
  T_OK(err_has("select * from mydatabase.nope",
               "line 1:15: Table 'awsdatacatalog.mydatabase.nope' does not "
               "exist"),
       "unknown table");
  T_OK(err_has("select * from nodb.users",
               "line 1:15: Schema 'nodb' does not exist"),
       "unknown database");
  T_OK(err_has("select * from other.cat.users", "Catalog 'other' does not "
                                                "exist"),
       "unknown catalog");
  T_OK(err_has("select nope from users",
               "line 1:8: Column 'nope' cannot be resolved"),
       "unknown column");
  T_OK(err_has("select id from users, transactions t join users u on 1=1",
               "ambiguous"),
       "ambiguous column");
  g_db = "nodb";
  T_OK(err_has("select * from users", "Schema 'nodb' does not exist"),
       "unknown default database");
  g_db = "mydatabase";
  T_OK(err_has("INSERT INTO users (id) VALUES (1)", "column list"),
       "insert column list into external");
  /* a statement that must not write through SELECT */
  T_STREQ(q("values (1), (2)"), "1;2");
  T_STREQ(cols("values (1, 'a')"), "_col0:bigint,_col1:varchar");
  T_OK(err_has("select * from users cross join unnest(array[1, 2])",
               "line 1:32: NOT_SUPPORTED: asl does not support UNNEST yet"),
       "unnest");
  T_OK(ok("INSERT INTO tgt WITH x AS (SELECT 9 AS id) SELECT id, 'nine', 9 "
          "FROM x"),
       "insert with a WITH query");
  T_OK(asl_sql_run(g_home, NULL, NULL, 0, NULL, NULL, &e) < 0, "NULL sql");
  asl_error_clear(&e);
}

static void test_deadline(void) {
  asl_error e = {0};
  T_OK(asl_sql_run(g_home, "mydatabase", "select 1", 1.0, NULL, NULL, &e) < 0 &&
           e.name && !strcmp(e.name, "States.Timeout"),
       "a past deadline");
  asl_error_clear(&e);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
  int rc = asl_sql_run(g_home, "mydatabase",
                       "with recursive c(n) as (select 1 union all select n + "
                       "1 from c where n < 1000000000) select count(*) from c",
                       now + 0.3, NULL, NULL, &e);
  clock_gettime(CLOCK_REALTIME, &ts);
  double took = (double)ts.tv_sec + ts.tv_nsec / 1e9 - now;
  T_OK(rc < 0 && e.name && !strcmp(e.name, "States.Timeout"),
       "interrupted at the deadline: %s", e.name ? e.name : "no error");
  T_OK(took < 5, "stopped soon (%.2fs)", took);
  asl_error_clear(&e);
  /* the catalog is intact afterwards */
  T_STREQ(q("select count(*) from users"), "2");
}

T_MAIN("sql") {
  if (!mkdtemp(g_home)) {
    perror("mkdtemp");
    exit(1);
  }
  setenv("ASL_HOME", g_home, 1);
  g_root = asl_sprintf("%s/lake", g_home);
  test_databases();
  test_seed_pipeline();
  test_external();
  test_parquet_tables();
  test_iceberg();
  test_merge();
  test_functions();
  test_types_and_values();
  test_errors();
  test_deadline();
  for (size_t i = 0; i < g_nkeep; i++)
    free(g_keep[i]);
  free(g_keep);
  free(g_root);
  char *rm = asl_sprintf("rm -rf '%s'", g_home);
  if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", g_home);
  free(rm);
}
