#!/bin/sh
# query_test.sh ASL: `asl query` end to end with $ASL_HOME in a fresh
# folder: the seed pipeline (CSV extracts put with `asl lake put`, the
# external tables, the Iceberg table, the seed's MERGE twice, the 7 rows),
# the table, csv and json formats, SQL from stdin, exit codes and messages.
# Prints "query-cli: N passed, N failed".
ASL=${1:-build/asl}
T=$(mktemp -d)
export ASL_HOME="$T/home"
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL query-cli: $*" >&2; }

# expect CODE DESCRIPTION -- command...   (stdout in $T/out, stderr in $T/err)
expect() {
  want=$1; what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want: $(head -c 300 "$T/err")"; fi
}
has() { # has FILE TEXT DESCRIPTION
  if grep -qF -- "$2" "$1"; then ok; else bad "$3: [$2] not in $(head -c 300 "$1")"; fi
}
same() { # same FILE EXPECTED-TEXT DESCRIPTION
  if [ "$(cat "$1")" = "$2" ]; then ok; else bad "$3: got [$(cat "$1")], want [$2]"; fi
}
d() { date -u -d "$1 days ago" +%F; }

# --- the extract, as MySQL's SELECT INTO OUTFILE writes it ---
printf '1,%s\n2,%s\n' "$(d 0)" "$(d 1)" >"$T/users.part_00000"
printf '1,1,10.99,%s\n2,2,4.99,%s\n3,2,4.99,%s\n4,1,4.99,%s\n5,1,5.99,%s\n6,1,15.99,%s\n7,1,55.99,%s\n' \
  "$(d 0)" "$(d 0)" "$(d 3)" "$(d 3)" "$(d 2)" "$(d 1)" "$(d 4)" >"$T/transactions.part_00000"
expect 0 "mb" -- "$ASL" lake mb s3://datalake
expect 0 "put users" -- "$ASL" lake put "$T/users.part_00000" s3://datalake/data/myschema/users/users.part_00000
expect 0 "put transactions" -- "$ASL" lake put "$T/transactions.part_00000" s3://datalake/data/myschema/transactions/transactions.part_00000

expect 0 "create database" -- "$ASL" query "CREATE DATABASE IF NOT EXISTS mydatabase"
same "$T/out" "CREATE_DATABASE" "table format of DDL"
expect 0 "users table" -- "$ASL" query "CREATE EXTERNAL TABLE mydatabase.users (
    id                bigint
  , registration_date string
)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ','
STORED AS INPUTFORMAT   'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT   'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION  's3://datalake/data/myschema/users/' TBLPROPERTIES (  'skip.header.line.count'='0')
;"
cat >"$T/tx.sql" <<'SQL'
CREATE EXTERNAL TABLE mydatabase.transactions (
    transaction_id    bigint
  , user_id           bigint
  , total_cost        double
  , dt                string
)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ','
STORED AS INPUTFORMAT   'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT   'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION  's3://datalake/data/myschema/transactions/' TBLPROPERTIES (  'skip.header.line.count'='0')
;
SQL
expect 0 "transactions table from stdin" -- sh -c "\"$ASL\" query - <\"$T/tx.sql\""
cat >"$T/ut.sql" <<'SQL'
CREATE TABLE IF NOT EXISTS mydatabase.user_transactions (
  dt date,
  user_id int,
  total_cost_usd float,
  registration_date string
)
PARTITIONED BY (dt)
LOCATION 's3://datalake/data/myschema/optimized-data-iceberg-parquet/'
TBLPROPERTIES (
  'table_type'='ICEBERG',
  'format'='parquet',
  'write_target_data_file_size_bytes'='536870912',
  'optimize_rewrite_delete_file_threshold'='10'
)
;
SQL
expect 0 "iceberg table" -- sh -c "\"$ASL\" query - <\"$T/ut.sql\""
expect 0 "select users csv" -- "$ASL" query "select * from mydatabase.users;" --format csv
same "$T/out" "id,registration_date
1,$(d 0)
2,$(d 1)" "users as csv"

# the seed's MERGE, verbatim
cat >"$T/merge.sql" <<'SQL'
MERGE INTO mydatabase.user_transactions  as ut
USING (
  SELECT 
      date(dt) dt
    , user_id
    , sum(total_cost) total_cost_usd
    , registration_date
  FROM mydatabase.transactions 
  LEFT JOIN mydatabase.users
  ON users.id = transactions.user_id
  GROUP BY
    dt
    , user_id
    , registration_date
) as ut2
ON (ut.dt = ut2.dt and ut.user_id = ut2.user_id)
WHEN MATCHED
    THEN UPDATE
        SET total_cost_usd = ut2.total_cost_usd, registration_date = ut2.registration_date
WHEN NOT MATCHED 
THEN INSERT (
 dt
,user_id
,total_cost_usd
,registration_date
)
  VALUES (
 ut2.dt
,ut2.user_id
,ut2.total_cost_usd
,ut2.registration_date
)
;
SQL
expect 0 "merge" -- sh -c "\"$ASL\" query - <\"$T/merge.sql\""
same "$T/out" "MERGE: 7 rows" "merge summary"
expect 0 "merge again" -- sh -c "\"$ASL\" query - <\"$T/merge.sql\""
SEL="SELECT dt, user_id, total_cost_usd, registration_date FROM mydatabase.user_transactions ORDER BY dt, user_id"
expect 0 "the 7 rows" -- "$ASL" query "$SEL" --format csv
same "$T/out" "dt,user_id,total_cost_usd,registration_date
$(d 4),1,55.99,$(d 0)
$(d 3),1,4.99,$(d 0)
$(d 3),2,4.99,$(d 1)
$(d 2),1,5.99,$(d 0)
$(d 1),1,15.99,$(d 0)
$(d 0),1,10.99,$(d 0)
$(d 0),2,4.99,$(d 1)" "the seed's 7 rows"
cat "$T/out"
expect 0 "table format" -- "$ASL" query "$SEL"
has "$T/out" " dt         | user_id | total_cost_usd | registration_date" "table header"
has "$T/out" "|       1 |          10.99 |" "numbers aligned right"
has "$T/out" "(7 rows)" "row count"
expect 0 "json format" -- "$ASL" query "$SEL" --format json
if python3 -c "
import json,sys
o=json.load(open(sys.argv[1]))
assert len(o)==7, o
assert o[5]=={'dt':'$(d 0)','user_id':1,'total_cost_usd':10.99,'registration_date':'$(d 0)'}, o[5]
" "$T/out" 2>"$T/py"; then ok; else bad "json rows: $(cat "$T/py")"; fi
expect 0 "--database" -- "$ASL" query "select count(*) n from user_transactions" --database mydatabase --format csv
same "$T/out" "n
7" "unqualified names in --database"

# --- several processes at once: MERGEs and reloads serialise on the
# catalog (busy timeout), none fails, the result is the same 7 rows ---
printf '9,2,0.01,%s\n' "$(d 0)" >"$T/more.part"
"$ASL" lake put "$T/more.part" s3://datalake/data/myschema/transactions/transactions.part_00001 >/dev/null
pids=""
for i in 1 2 3 4; do
  sh -c "\"$ASL\" query - <\"$T/merge.sql\"" >"$T/par$i.out" 2>"$T/par$i.err" &
  pids="$pids $!"
done
for i in 1 2; do
  "$ASL" query "select count(*) from mydatabase.transactions" --format csv >"$T/sel$i.out" 2>"$T/sel$i.err" &
  pids="$pids $!"
done
nfail=0
for p in $pids; do wait "$p" || nfail=$((nfail + 1)); done
if [ "$nfail" = 0 ]; then ok; else bad "concurrent statements: $nfail failed: $(cat "$T"/par*.err "$T"/sel*.err | head -c 300)"; fi
for i in 1 2; do same "$T/sel$i.out" "_col0
8" "concurrent reload $i"; done
expect 0 "after the concurrent MERGEs" -- "$ASL" query "select count(*), sum(total_cost_usd) from mydatabase.user_transactions where user_id = 2" --format csv
same "$T/out" "_col0,_col1
2,9.99" "7 rows still, the new extract merged"
expect 0 "the 7 rows again" -- "$ASL" query "select count(*) from mydatabase.user_transactions" --format csv
same "$T/out" "_col0
7" "7 rows"

# --- csv quoting and NULL ---
expect 0 "csv quoting" -- "$ASL" query "select 'a,b' x, 'say \"hi\"' y, NULL z, 'plain' w" --format csv
same "$T/out" 'x,y,z,w
"a,b","say ""hi""",,plain' "RFC 4180 quoting only where needed"
expect 0 "json null and types" -- "$ASL" query "select NULL z, true b, 1.5e0 d, 'x' s" --format json
if python3 -c "
import json,sys
o=json.load(open(sys.argv[1]))
assert o==[{'z':None,'b':True,'d':1.5,'s':'x'}], o
" "$T/out" 2>"$T/py"; then ok; else bad "json values: $(cat "$T/py")"; fi
expect 0 "json of DDL" -- "$ASL" query "CREATE DATABASE IF NOT EXISTS other" --format json
if [ -s "$T/out" ]; then bad "DDL prints nothing in json"; else ok; fi
expect 0 "show tables" -- "$ASL" query "show tables in mydatabase" --format csv
same "$T/out" "tab_name
transactions
user_transactions
users" "show tables"

# --- Parquet tables: partition pruning and column projection ---
for n in DE FR IT; do
  case $n in DE) r='{"id":1,"name":"Ann","age":30}
{"id":2,"name":"Bo","age":40}';; FR) r='{"id":3,"name":"Cy","age":50}';; IT) r='{"id":4,"name":"Di","age":60}';; esac
  printf '%s\n' "$r" >"$T/p.jsonl"
  expect 0 "parquet write $n" -- "$ASL" parquet write --schema 'id:int64,name:string,age:int32' "$T/p.jsonl" "$T/p.parquet"
  expect 0 "put $n" -- "$ASL" lake put "$T/p.parquet" "s3://datalake/pq/users/nat=$n/part-0.parquet"
done
expect 0 "parquet table" -- "$ASL" query "CREATE EXTERNAL TABLE mydatabase.pusers (id bigint, name string, age int) PARTITIONED BY (nat string) STORED AS PARQUET LOCATION 's3://datalake/pq/users/'"
# a file that is not Parquet in nat=FR: only queries that read nat=FR fail
printf 'not parquet at all' >"$T/junk"
expect 0 "put junk" -- "$ASL" lake put "$T/junk" s3://datalake/pq/users/nat=FR/junk.parquet
for w in "nat = 'DE'" "'DE' = nat" "nat IN ('DE', 'IT')" "nat > 'G'" "nat BETWEEN 'A' AND 'E'" "age > 0 AND pusers.nat = 'DE'"; do
  expect 0 "pruned: $w" -- env ASL_SQL_DEBUG=1 "$ASL" query "SELECT count(*), min(age), max(age) FROM mydatabase.pusers WHERE $w" --format csv
done
expect 0 "pruned count" -- "$ASL" query "SELECT count(*), sum(age) FROM mydatabase.pusers WHERE nat IN ('DE', 'IT')" --format csv
same "$T/out" '_col0,_col1
3,130' "pruned: the rows of DE and IT"
expect 0 "pruned range" -- "$ASL" query "SELECT id FROM mydatabase.pusers WHERE nat BETWEEN 'A' AND 'E' ORDER BY id" --format csv
same "$T/out" 'id
1
2' "pruned: BETWEEN"
for w in "" "WHERE nat = 'FR'" "WHERE nat = 'DE' OR age > 1" "WHERE nat <> 'DE'" "WHERE nat IN (SELECT 'DE')"; do
  expect 1 "not pruned: $w" -- "$ASL" query "SELECT count(*) FROM mydatabase.pusers $w"
  has "$T/err" "HIVE_BAD_DATA: s3://datalake/pq/users/nat=FR/junk.parquet is not a valid Parquet file" "not pruned: $w: the bad file is read"
done
# a self-join: the WHERE filters one side only, so nothing is pruned
expect 1 "self-join not pruned" -- "$ASL" query "SELECT count(*) FROM mydatabase.pusers a JOIN mydatabase.pusers b ON a.id = b.id WHERE a.nat = 'DE'"
has "$T/err" "HIVE_BAD_DATA" "self-join reads every partition"
expect 1 "comma join not pruned" -- "$ASL" query "SELECT count(*) FROM mydatabase.pusers a, mydatabase.pusers b WHERE a.nat = 'DE' AND a.id = b.id"
has "$T/err" "HIVE_BAD_DATA" "comma join reads every partition"
expect 0 "rm junk" -- "$ASL" lake rm s3://datalake/pq/users/nat=FR/junk.parquet
# projection: a query naming name only, then one naming age, from the cache
expect 0 "names" -- env ASL_SQL_DEBUG=1 "$ASL" query "SELECT name FROM mydatabase.pusers WHERE nat = 'DE' ORDER BY id" --format csv
same "$T/out" 'name
Ann
Bo' "projected names"
has "$T/err" "asl sql: 1 external files read" "one partition's file read"
expect 0 "names again" -- env ASL_SQL_DEBUG=1 "$ASL" query "SELECT name FROM mydatabase.pusers WHERE nat = 'DE' AND id < 9 ORDER BY id" --format csv
has "$T/err" "asl sql: 0 external files read" "the cached load is reused"
expect 0 "ages" -- env ASL_SQL_DEBUG=1 "$ASL" query "SELECT id, age FROM mydatabase.pusers WHERE nat = 'DE' ORDER BY id" --format csv
same "$T/out" 'id,age
1,30
2,40' "a column the last load left out is loaded"
has "$T/err" "asl sql: 1 external files read" "reloaded for age"
expect 0 "all" -- env ASL_SQL_DEBUG=1 "$ASL" query "SELECT * FROM mydatabase.pusers ORDER BY id" --format csv
same "$T/out" 'id,name,age,nat
1,Ann,30,DE
2,Bo,40,DE
3,Cy,50,FR
4,Di,60,IT' "select * after projected loads"
has "$T/err" "asl sql: 3 external files read" "all partitions read"
expect 0 "subset cached" -- env ASL_SQL_DEBUG=1 "$ASL" query "SELECT max(age) FROM mydatabase.pusers WHERE nat = 'IT'" --format csv
same "$T/out" '_col0
60' "IT from the full load"
has "$T/err" "asl sql: 0 external files read" "a full load serves a pruned query"

expect 0 "self-join" -- "$ASL" query "SELECT a.nat, b.nat FROM mydatabase.pusers a JOIN mydatabase.pusers b ON a.age = b.age - 10 WHERE a.nat = 'DE' ORDER BY a.id" --format csv
same "$T/out" 'nat,nat
DE,DE
DE,FR' "self-join over a pruned side and a whole side"
# NATURAL JOIN joins on columns it never names: every column is loaded
expect 0 "nj table" -- "$ASL" query "CREATE TABLE mydatabase.nj (id bigint, age int) TBLPROPERTIES ('table_type'='iceberg')"
expect 0 "nj rows" -- "$ASL" query "INSERT INTO mydatabase.nj VALUES (1, 30), (2, 41)"
expect 0 "natural join" -- "$ASL" query "SELECT count(*) FROM mydatabase.pusers NATURAL JOIN mydatabase.nj" --format csv
same "$T/out" '_col0
1' "natural join with projection"

# --- failures ---
expect 1 "syntax error" -- "$ASL" query "SELEC 1"
has "$T/err" "asl query: line 1:1: mismatched input 'SELEC'" "syntax error message"
expect 1 "unknown table" -- "$ASL" query "select * from mydatabase.nope"
has "$T/err" "asl query: line 1:15: Table 'awsdatacatalog.mydatabase.nope' does not exist" "unknown table message"
expect 1 "update external" -- "$ASL" query "update mydatabase.users set id = 3"
has "$T/err" "NOT_SUPPORTED: Modifying Hive table rows is only supported for transactional tables" "update external message"
expect 1 "unsupported" -- "$ASL" query "ALTER TABLE mydatabase.users RENAME TO x"
has "$T/err" "NOT_SUPPORTED" "unsupported message"
expect 64 "no sql" -- "$ASL" query
expect 64 "bad format" -- "$ASL" query "select 1" --format xml
expect 64 "unknown option" -- "$ASL" query "select 1" --frob
expect 0 "help" -- "$ASL" query --help
has "$T/out" "usage: asl query" "usage text"

echo "query-cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
