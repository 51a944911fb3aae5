#!/bin/sh
# lake_test.sh ASL: the local data lake end to end: a workflow of S3 Tasks
# (aws-sdk:s3 putObject, listObjectsV2, getObject, copyObject, deleteObject,
# a Catch of S3.NoSuchKeyException) under `asl run` with $ASL_HOME in a
# fresh folder, the files it leaves on disk, and the `asl lake` commands.
# Prints "lake-cli: N passed, N failed".
ASL=${1:-build/asl}
T=$(mktemp -d)
export ASL_HOME="$T/home"
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL lake-cli: $*" >&2; }

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
# jcheck FILE PYTHON-EXPR DESCRIPTION: the expression over o (the JSON)
jcheck() {
  if python3 -c "import json,sys; o=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1" 2>/dev/null
  then ok; else bad "$3: $(head -c 400 "$1")"; fi
}

LAKE="$ASL_HOME/lake"

# --- asl lake: buckets ---
expect 0 "ls with no lake" -- "$ASL" lake ls
if [ -s "$T/out" ]; then bad "no buckets: empty listing"; else ok; fi
expect 0 "mb" -- "$ASL" lake mb s3://etl-data
has "$T/out" "make_bucket: etl-data" "mb says so"
if [ -d "$LAKE/etl-data" ]; then ok; else bad "bucket folder $LAKE/etl-data"; fi
expect 1 "mb twice" -- "$ASL" lake mb s3://etl-data
has "$T/err" "BucketAlreadyOwnedByYou" "mb twice message"
expect 1 "mb bad name" -- "$ASL" lake mb s3://Bad_Name
has "$T/err" "InvalidBucketName" "bad bucket name message"
expect 64 "mb not a URI" -- "$ASL" lake mb etl-data
expect 64 "unknown lake command" -- "$ASL" lake frob
expect 0 "ls buckets" -- "$ASL" lake ls
has "$T/out" " etl-data" "bucket listed"

# --- the workflow ---
cat >"$T/etl.json" <<'J'
{
  "StartAt": "Put",
  "States": {
    "Put": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
      "Parameters": {"Bucket": "etl-data", "Key": "raw/2024/orders.csv", "Body.$": "$.csv"},
      "ResultPath": "$.put",
      "Next": "List"
    },
    "List": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
      "Parameters": {"Bucket": "etl-data", "Prefix": "raw/", "Delimiter": "/"},
      "ResultPath": "$.list",
      "Next": "ListAll"
    },
    "ListAll": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
      "Parameters": {"Bucket": "etl-data", "Prefix": "raw/"},
      "ResultSelector": {"keys.$": "$.Contents[*].Key", "count.$": "$.KeyCount"},
      "ResultPath": "$.all",
      "Next": "Get"
    },
    "Get": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
      "Parameters": {"Bucket": "etl-data", "Key": "raw/2024/orders.csv"},
      "ResultSelector": {"body.$": "$.Body", "length.$": "$.ContentLength", "etag.$": "$.ETag"},
      "ResultPath": "$.get",
      "Next": "Copy"
    },
    "Copy": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
      "Parameters": {"Bucket": "etl-data", "Key": "clean/orders.csv", "CopySource": "etl-data/raw/2024/orders.csv"},
      "ResultPath": "$.copy",
      "Next": "Delete"
    },
    "Delete": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:deleteObject",
      "Parameters": {"Bucket": "etl-data", "Key": "raw/2024/orders.csv"},
      "ResultPath": "$.delete",
      "Next": "GetDeleted"
    },
    "GetDeleted": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
      "Parameters": {"Bucket": "etl-data", "Key": "raw/2024/orders.csv"},
      "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.missing", "Next": "Done"}],
      "Next": "Done"
    },
    "Done": {"Type": "Pass", "End": true}
  }
}
J
printf '{"csv": "id,total\\n1,10\\n2,32\\n"}' >"$T/in.json"
CSV_MD5=$(printf 'id,total\n1,10\n2,32\n' | md5sum | cut -d' ' -f1)

expect 0 "etl workflow runs" -- "$ASL" run "$T/etl.json" --input "$T/in.json" --history
cp "$T/out" "$T/etl.out"
cp "$T/err" "$T/etl.hist"
jcheck "$T/etl.out" "o['put']['ETag'] == '\"$CSV_MD5\"'" "putObject ETag is the MD5"
jcheck "$T/etl.out" "o['list']['CommonPrefixes'] == [{'Prefix': 'raw/2024/'}] and 'Contents' not in o['list']" "listObjectsV2 CommonPrefixes"
jcheck "$T/etl.out" "o['list']['KeyCount'] == 1 and o['list']['IsTruncated'] is False and o['list']['Name'] == 'etl-data' and o['list']['MaxKeys'] == 1000 and o['list']['Prefix'] == 'raw/' and o['list']['Delimiter'] == '/'" "listObjectsV2 members"
jcheck "$T/etl.out" "o['all'] == {'keys': ['raw/2024/orders.csv'], 'count': 1}" "listObjectsV2 Contents"
jcheck "$T/etl.out" "o['get'] == {'body': o['csv'], 'length': 19, 'etag': '\"$CSV_MD5\"'}" "getObject Body, ContentLength, ETag"
jcheck "$T/etl.out" "o['copy']['CopyObjectResult']['ETag'] == '\"$CSV_MD5\"' and o['copy']['CopyObjectResult']['LastModified'].endswith('Z')" "copyObject result"
jcheck "$T/etl.out" "o['delete'] == {}" "deleteObject result"
jcheck "$T/etl.out" "o['missing']['Error'] == 'S3.NoSuchKeyException' and o['missing']['Cause'].startswith('The specified key does not exist.')" "NoSuchKey caught"
jcheck "$T/etl.hist" "[e['taskScheduledEventDetails']['resourceType'] + ':' + e['taskScheduledEventDetails']['resource'] for e in o if e['type'] == 'TaskScheduled'] == ['aws-sdk:s3:' + n for n in ['putObject', 'listObjectsV2', 'listObjectsV2', 'getObject', 'copyObject', 'deleteObject', 'getObject']]" "TaskScheduled names"
jcheck "$T/etl.hist" "[e['taskFailedEventDetails']['error'] for e in o if e['type'] == 'TaskFailed'] == ['S3.NoSuchKeyException']" "TaskFailed event"
# the files on disk
if [ -f "$LAKE/etl-data/clean/orders.csv" ] && [ "$(md5sum <"$LAKE/etl-data/clean/orders.csv" | cut -d' ' -f1)" = "$CSV_MD5" ]; then ok; else bad "clean/orders.csv on disk"; fi
if [ -e "$LAKE/etl-data/raw" ]; then bad "raw/ left after deleteObject"; else ok; fi

# an uncaught S3 error fails the execution with its name and cause
cat >"$T/nob.json" <<'J'
{"StartAt": "P", "States": {"P": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
  "Parameters": {"Bucket": "no-such-bucket", "Key": "a", "Body": "x"}, "End": true}}}
J
expect 1 "putObject into a missing bucket" -- "$ASL" run "$T/nob.json"
has "$T/err" "S3.NoSuchBucketException" "NoSuchBucket error"
if [ -e "$LAKE/no-such-bucket" ]; then bad "a bucket was made by putObject"; else ok; fi
cat >"$T/esc.json" <<'J'
{"StartAt": "P", "States": {"P": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
  "Parameters": {"Bucket": "etl-data", "Key": "../../escaped", "Body": "x"}, "End": true}}}
J
expect 1 "putObject with ../" -- "$ASL" run "$T/esc.json"
has "$T/err" "S3.S3Exception" "escaping key error"
has "$T/err" "'..' segment" "escaping key message"
if [ -e "$ASL_HOME/escaped" ] || [ -e "$T/escaped" ]; then bad "a file escaped the lake"; else ok; fi

# a Map of 40 items, 10 at a time on worker threads, each putting and
# deleting its own key in one shared folder: every call succeeds (a delete
# removing the emptied folder does not break a put into it)
cat >"$T/map.json" <<'J'
{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 10,
  "ItemProcessor": {"StartAt": "Put", "States": {
    "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
      "Parameters": {"Bucket": "etl-data", "Key.$": "States.Format('m/x/{}.txt', $)", "Body.$": "States.Format('{}', $)"},
      "ResultPath": null, "Next": "Del"},
    "Del": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:deleteObject",
      "Parameters": {"Bucket": "etl-data", "Key.$": "States.Format('m/x/{}.txt', $)"}, "End": true}}},
  "End": true}}}
J
python3 -c "import json; print(json.dumps(list(range(40))))" >"$T/items.json"
expect 0 "Map of puts and deletes" -- "$ASL" run "$T/map.json" --input "$T/items.json"
jcheck "$T/out" "o == [{}] * 40" "every delete answered {}"
if [ -e "$LAKE/etl-data/m" ]; then bad "m/ left after the Map"; else ok; fi

# --- asl lake: objects ---
printf 'a,b\n' >"$T/f.csv"
expect 0 "put a file" -- "$ASL" lake put "$T/f.csv" s3://etl-data/in/f.csv
has "$T/out" "\"$(printf 'a,b\n' | md5sum | cut -d' ' -f1)\"" "put prints the ETag"
expect 0 "put stdin" -- sh -c "printf 'from stdin' | '$ASL' lake put - s3://etl-data/in/sub/s.txt"
expect 0 "cat" -- "$ASL" lake cat s3://etl-data/in/sub/s.txt
if [ "$(cat "$T/out")" = "from stdin" ]; then ok; else bad "cat bytes: $(cat "$T/out")"; fi
expect 0 "ls a prefix" -- "$ASL" lake ls s3://etl-data/in/
has "$T/out" "PRE in/sub/" "ls shows the folder"
has "$T/out" "4 in/f.csv" "ls shows the object and its size"
expect 0 "ls a bucket" -- "$ASL" lake ls s3://etl-data
has "$T/out" "PRE clean/" "ls bucket shows clean/"
expect 66 "cat a missing key" -- "$ASL" lake cat s3://etl-data/in/none
has "$T/err" "NoSuchKey" "missing key message"
expect 66 "ls a missing bucket" -- "$ASL" lake ls s3://nobucket
has "$T/err" "NoSuchBucket" "missing bucket message"
expect 66 "put a missing file" -- "$ASL" lake put "$T/none" s3://etl-data/x
expect 1 "put to ../" -- "$ASL" lake put "$T/f.csv" s3://etl-data/../x
has "$T/err" "InvalidKey" "put ../ message"
expect 64 "cat without a key" -- "$ASL" lake cat s3://etl-data
expect 0 "rm" -- "$ASL" lake rm s3://etl-data/in/sub/s.txt
if [ -e "$LAKE/etl-data/in/sub" ]; then bad "rm left in/sub"; else ok; fi
expect 0 "rm again (absent: no error, as S3)" -- "$ASL" lake rm s3://etl-data/in/sub/s.txt
expect 66 "rm in a missing bucket" -- "$ASL" lake rm s3://nobucket/x

echo "lake-cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
