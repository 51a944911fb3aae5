#!/bin/sh
# store_cli_test.sh ASL: the durable store as a user drives it: `asl run`
# recording (--db, $ASL_HOME, ./.asl, :memory:), asl executions, history,
# describe and resume, ExecutionAlreadyExists, EXPRESS without events; and
# a database locked by another process or on a full disk: a clear message,
# exit 74, and the file still opens with its data. Prints
# "store-cli: N passed, N failed".
ASL=${1:-build/asl}
case $ASL in /*) ;; *) ASL=$(pwd)/$ASL ;; esac
T=$(mktemp -d)
MNT=""
cleanup() {
  [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL store-cli: $*" >&2; }

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
hasnt() {
  if grep -qF -- "$2" "$1"; then bad "$3: [$2] in $(head -c 300 "$1")"; else ok; fi
}
# pycheck DESCRIPTION PYTHON-EXPRESSION: the expression, over j (stdout's
# JSON), must be true
pycheck() {
  if python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$T/out" 2>"$T/pyerr"; then
    ok
  else
    bad "$1: $(head -c 300 "$T/out") $(head -c 200 "$T/pyerr")"
  fi
}
# integrity FILE: SQLite's integrity check says ok
integrity() {
  r=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])" "$1" 2>&1)
  if [ "$r" = "ok" ]; then ok; else bad "integrity of $1: $r"; fi
}

export ASL_HOME="$T/home"
unset ASL_BUSY_TIMEOUT_MS
DB="$T/asl.db"

cat >"$T/pass.json" <<'J'
{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","End":true}}}
J
cat >"$T/fail.json" <<'J'
{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Oops","Cause":"it broke"}}}
J
cat >"$T/wait.json" <<'J'
{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":30,"Next":"B"},"B":{"Type":"Pass","Result":"done","End":true}}}
J
cat >"$T/big.json" <<'J'
{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"s.$":"States.ArrayRange(1, 1000, 1)"},"Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}}
J
echo '{"a":1}' >"$T/in.json"

# the commands must be there
if ! "$ASL" executions --db :memory: >/dev/null 2>&1; then
  bad "asl executions is not a command of $ASL"
  echo "store-cli: $pass passed, $fail failed"
  exit 1
fi

# --- recording and listing ---
expect 0 "run a1" -- "$ASL" run "$T/pass.json" --input "$T/in.json" --db "$DB" --name a1
has "$T/out" '{"a":1,"r":{"x":1}}' "a1 output"
expect 64 "a1 again" -- "$ASL" run "$T/pass.json" --db "$DB" --name a1
has "$T/err" "ExecutionAlreadyExists" "name taken: AWS's error"
has "$T/err" ":execution:" "name taken: the ARN"
expect 1 "run f1" -- "$ASL" run "$T/fail.json" --db "$DB" --name f1

expect 0 "executions" -- "$ASL" executions --db "$DB"
has "$T/out" "STATUS" "table header"
has "$T/out" "a1" "a1 listed"
has "$T/out" "SUCCEEDED" "a1's status"
has "$T/out" "FAILED" "f1's status"
expect 0 "--status FAILED" -- "$ASL" executions --db "$DB" --status FAILED
has "$T/out" "f1" "f1 is FAILED"
hasnt "$T/out" "a1" "a1 is not FAILED"
expect 0 "--machine fail" -- "$ASL" executions --db "$DB" --machine fail
has "$T/out" "f1" "f1 is of machine fail (fail.json)"
hasnt "$T/out" "a1" "a1 is not"
expect 0 "--machine nope" -- "$ASL" executions --db "$DB" --machine nope
has "$T/out" "no executions" "no executions of machine nope"
expect 64 "--status BOGUS" -- "$ASL" executions --db "$DB" --status BOGUS
has "$T/err" "not a status" "bad status message"
expect 64 "unknown option" -- "$ASL" executions --db "$DB" --frobnicate
expect 0 "executions --json" -- "$ASL" executions --db "$DB" --json
pycheck "ListExecutions shape" "len(j['executions']) == 2 and j['executions'][0]['name'] == 'f1' and 'stopDate' in j['executions'][1] and ':stateMachine:' in j['executions'][1]['stateMachineArn']"

# --- history ---
expect 0 "history a1" -- "$ASL" history a1 --db "$DB"
has "$T/out" "ExecutionStarted" "history table: ExecutionStarted"
has "$T/out" "PassStateEntered" "history table: PassStateEntered"
has "$T/out" "ExecutionSucceeded" "history table: the end"
expect 0 "history f1" -- "$ASL" history f1 --db "$DB"
has "$T/out" "Oops: it broke" "history table: error and cause"
expect 0 "history --json" -- "$ASL" history a1 --db "$DB" --json
pycheck "GetExecutionHistory events" "[e['id'] for e in j['events']] == [1, 2, 3, 4] and j['events'][0]['type'] == 'ExecutionStarted' and json.loads(j['events'][0]['executionStartedEventDetails']['input']) == {'a': 1} and j['events'][2]['previousEventId'] == 2 and isinstance(j['events'][0]['timestamp'], float)"
expect 0 "history --reverse" -- "$ASL" history a1 --db "$DB" --json --reverse
pycheck "reverse order" "[e['id'] for e in j['events']] == [4, 3, 2, 1]"
expect 66 "history of nothing" -- "$ASL" history nope --db "$DB"
has "$T/err" "Execution Does Not Exist" "no such execution"
expect 64 "history without a name" -- "$ASL" history --db "$DB"

# --- describe ---
expect 0 "describe a1" -- "$ASL" describe a1 --db "$DB"
pycheck "DescribeExecution" "j['status'] == 'SUCCEEDED' and j['name'] == 'a1' and json.loads(j['output']) == {'a': 1, 'r': {'x': 1}} and j['inputDetails'] == {'included': True} and j['stopDate'] >= j['startDate']"
ARN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['executionArn'])" "$T/out")
expect 0 "describe by ARN" -- "$ASL" describe "$ARN" --db "$DB"
has "$T/out" '"name":	"a1"' "the same execution by ARN"
expect 0 "describe f1" -- "$ASL" describe f1 --db "$DB"
pycheck "a failure described" "j['status'] == 'FAILED' and j['error'] == 'Oops' and j['cause'] == 'it broke' and 'output' not in j"
expect 66 "describe of nothing" -- "$ASL" describe "arn:aws:states:us-east-1:1:execution:x:y" --db "$DB"

# --- where the store is: $ASL_HOME, ./.asl, :memory: ---
expect 0 "run into \$ASL_HOME" -- "$ASL" run "$T/pass.json" --name h1
if [ -f "$ASL_HOME/asl.db" ]; then ok; else bad "no $ASL_HOME/asl.db"; fi
expect 0 "executions of \$ASL_HOME" -- "$ASL" executions
has "$T/out" "h1" "h1 in \$ASL_HOME"
mkdir "$T/cwd"
expect 0 "run into ./.asl" -- sh -c "cd '$T/cwd' && unset ASL_HOME && '$ASL' run '$T/pass.json' --name c1"
if [ -f "$T/cwd/.asl/asl.db" ]; then ok; else bad "no ./.asl/asl.db"; fi
expect 0 ":memory: once" -- "$ASL" run "$T/pass.json" --db :memory: --name m1
expect 0 ":memory: twice, the same name" -- "$ASL" run "$T/pass.json" --db :memory: --name m1

# --- EXPRESS: recorded with its outcome, not its events ---
expect 0 "express x1" -- "$ASL" run "$T/pass.json" --type EXPRESS --db "$DB" --name x1
expect 0 "express x1 again (AWS does not check EXPRESS names)" -- "$ASL" run "$T/pass.json" --type EXPRESS --db "$DB" --name x1
expect 64 "a name two executions share" -- "$ASL" describe x1 --db "$DB"
has "$T/err" "more than one execution" "ambiguous name message"
expect 0 "executions --json" -- "$ASL" executions --db "$DB" --json
XARN=$(python3 -c "import json,sys; print([e for e in json.load(open(sys.argv[1]))['executions'] if e['name'] == 'x1'][0]['executionArn'])" "$T/out")
case $XARN in *:express:*) ok ;; *) bad "EXPRESS ARN: $XARN" ;; esac
expect 0 "express history" -- "$ASL" history "$XARN" --db "$DB"
has "$T/out" "no events recorded" "no events for EXPRESS"
expect 0 "express describe" -- "$ASL" describe "$XARN" --db "$DB"
pycheck "EXPRESS described" "j['status'] == 'SUCCEEDED' and j['executionArn'] == '$XARN' and 'redriveCount' not in j"

# --- killed while it runs, then resumed ---
"$ASL" run "$T/wait.json" --db "$DB" --name w1 >/dev/null 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ]; do
  "$ASL" executions --db "$DB" --status RUNNING 2>/dev/null | grep -q w1 && break
  sleep 0.1
  i=$((i + 1))
done
sleep 0.3 # past its first tick: the Wait
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
expect 0 "w1 is RUNNING after kill -9" -- "$ASL" executions --db "$DB" --status RUNNING
has "$T/out" "w1" "w1 left RUNNING"
expect 0 "resume" -- "$ASL" resume --db "$DB" --no-wait
has "$T/out" ":w1 SUCCEEDED" "resume says what it finished"
expect 0 "w1 described" -- "$ASL" describe w1 --db "$DB"
pycheck "w1 finished" "j['status'] == 'SUCCEEDED' and json.loads(j['output']) == 'done'"
expect 0 "w1 history" -- "$ASL" history w1 --db "$DB" --json
pycheck "w1's events once each" "[e['id'] for e in j['events']] == list(range(1, len(j['events']) + 1)) and [e['type'] for e in j['events']].count('ExecutionSucceeded') == 1 and [e['type'] for e in j['events']].count('WaitStateEntered') == 1"
expect 0 "resume with nothing to do" -- "$ASL" resume --db "$DB"

# --- locked by another process ---
LOCKED="$T/locked.db"
expect 0 "run l1" -- "$ASL" run "$T/pass.json" --db "$LOCKED" --name l1
python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
open(sys.argv[2], 'w').write('locked')
time.sleep(float(sys.argv[3]))
c.execute('COMMIT')
" "$LOCKED" "$T/lockflag" 4 &
lockpid=$!
i=0
while [ ! -s "$T/lockflag" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
expect 74 "a write while locked" -- env ASL_BUSY_TIMEOUT_MS=200 "$ASL" run "$T/pass.json" --db "$LOCKED" --name l2
has "$T/err" "database is locked" "locked: SQLite's words"
has "$T/err" "$LOCKED" "locked: the file"
expect 0 "reads while locked" -- "$ASL" executions --db "$LOCKED"
has "$T/out" "l1" "l1 read while locked"
wait $lockpid
expect 0 "a write once unlocked" -- "$ASL" run "$T/pass.json" --db "$LOCKED" --name l3
integrity "$LOCKED"

# --- a distributed Map: each item a child execution with its own history ---
cat > "$T/dmap.json" <<'EOF2'
{"StartAt": "Fan", "States": {"Fan": {"Type": "Map", "ItemsPath": "$.items",
  "Label": "Fan", "ToleratedFailureCount": 1, "End": true,
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
    "ExecutionType": "STANDARD"}, "StartAt": "Double", "States": {
    "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"},
      "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.v",
      "NumericEquals": 6, "Next": "Boom"}], "Default": "Ok"},
    "Boom": {"Type": "Fail", "Error": "Three", "Cause": "three doubled"},
    "Ok": {"Type": "Succeed"}}}}}}
EOF2
DM="$T/dmap.db"
echo '{"items":[{"v":1},{"v":2},{"v":3},{"v":4}]}' > "$T/dmap.in.json"
expect 0 "distributed map runs" -- "$ASL" run "$T/dmap.json" --db "$DM" --name dm1 --input "$T/dmap.in.json"
has "$T/out" '[{"v":2},{"v":4},null,{"v":8}]' "distributed map output"
expect 0 "executions lists the parent only" -- "$ASL" executions --db "$DM" --json
pycheck "one execution listed" "len(j['executions']) == 1 and j['executions'][0]['name'] == 'dm1'"
CHILDREN=$(python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for arn, status in c.execute('SELECT arn, status FROM executions WHERE parent IS NOT NULL ORDER BY arn'):
    print(arn, status)" "$DM")
if [ "$(echo "$CHILDREN" | wc -l)" = 4 ]; then ok; else bad "four child executions: $CHILDREN"; fi
case "$CHILDREN" in *":execution:dmap/Fan:"*) ok ;; *) bad "child ARNs name MACHINE/LABEL: $CHILDREN" ;; esac
FAILED_CHILD=$(echo "$CHILDREN" | awk '$2 == "FAILED" {print $1}')
OK_CHILD=$(echo "$CHILDREN" | awk '$2 == "SUCCEEDED" {print $1; exit}')
if [ -n "$FAILED_CHILD" ] && [ "$(echo "$CHILDREN" | grep -c SUCCEEDED)" = 3 ]; then ok; else bad "one child failed, three succeeded: $CHILDREN"; fi
expect 0 "history of a child" -- "$ASL" history "$OK_CHILD" --db "$DM" --json
pycheck "child history: its own ids from 1, started to succeeded" "[e['id'] for e in j['events']] == list(range(1, 9)) and j['events'][0]['type'] == 'ExecutionStarted' and j['events'][-1]['type'] == 'ExecutionSucceeded' and j['events'][1]['previousEventId'] == 0"
expect 0 "history of the failed child" -- "$ASL" history "$FAILED_CHILD" --db "$DM" --json
pycheck "failed child: ExecutionFailed with the Fail state's error" "j['events'][-1]['type'] == 'ExecutionFailed' and j['events'][-1]['executionFailedEventDetails']['error'] == 'Three'"
expect 0 "describe a child" -- "$ASL" describe "$FAILED_CHILD" --db "$DM"
pycheck "child describe" "j['status'] == 'FAILED' and j['input'] == '{\"v\":3}'"
expect 0 "the parent's history" -- "$ASL" history dm1 --db "$DM" --json
pycheck "parent history has the map run, no iterations" "'MapRunStarted' in [e['type'] for e in j['events']] and not any('Iteration' in e['type'] for e in j['events'])"
integrity "$DM"

# --- a full disk ---
FULL="$T/full.db"
expect 0 "run d1" -- "$ASL" run "$T/big.json" --db "$FULL" --name d1
# the file may not grow past 40 blocks (the run's events need more)
expect 74 "a write past the file size limit" -- sh -c "ulimit -f 40; trap '' XFSZ; exec '$ASL' run '$T/big.json' --db '$FULL' --name d2"
has "$T/err" "asl: Store." "size limit: a store error"
has "$T/err" "$FULL" "size limit: the file"
expect 0 "the file opens after" -- "$ASL" describe d1 --db "$FULL"
pycheck "d1 intact" "j['status'] == 'SUCCEEDED'"
integrity "$FULL"
# a real full disk when a small tmpfs can be mounted (root)
if [ "$(id -u)" = 0 ] && mkdir "$T/mnt" && mount -t tmpfs -o size=192k tmpfs "$T/mnt" 2>/dev/null; then
  MNT="$T/mnt"
  expect 0 "run on tmpfs" -- "$ASL" run "$T/pass.json" --db "$MNT/asl.db" --name t1
  dd if=/dev/zero of="$MNT/filler" bs=4k count=100 2>/dev/null
  expect 74 "a write on a full disk" -- "$ASL" run "$T/big.json" --db "$MNT/asl.db" --name t2
  has "$T/err" "Store.Full" "full: its name"
  has "$T/err" "disk is full" "full: SQLite's words"
  expect 0 "the file opens on the full disk" -- "$ASL" describe t1 --db "$MNT/asl.db"
  pycheck "t1 intact" "j['status'] == 'SUCCEEDED'"
  rm -f "$MNT/filler"
  integrity "$MNT/asl.db"
  umount "$MNT" && MNT=""
fi

echo "store-cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
