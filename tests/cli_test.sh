#!/bin/sh
# cli_test.sh ASL: drives the `asl` binary as a user would: exit codes,
# messages for bad input, --describe/--history. Prints "cli: N passed, N failed".
ASL=${1:-build/asl}
T=$(mktemp -d)
export ASL_HOME="$T/home"
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL cli: $*" >&2; }

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

cat >"$T/pass.json" <<'J'
{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","End":true}}}
J
echo '{"a":1}' >"$T/in.json"

expect 0 "demo runs" -- "$ASL" run examples/hello.json --input examples/hello-input.json --no-wait
has "$T/out" '"shipment":{"carrier":"local","status":"shipped"}' "demo output"
has "$T/out" '"total":105' "demo MathAdd"

expect 0 "pass runs" -- "$ASL" run "$T/pass.json" --input "$T/in.json"
has "$T/out" '{"a":1,"r":{"x":1}}' "pass output"

expect 0 "stdin input" -- sh -c "echo '{\"b\":2}' | '$ASL' run '$T/pass.json' --input -"
has "$T/out" '{"b":2,"r":{"x":1}}' "stdin output"

expect 0 "validate ok" -- "$ASL" validate "$T/pass.json"
has "$T/out" '"result":	"OK"' "validate says OK"

# --- garbage definitions: clear message, exit 65/66, never a crash ---
printf '{"StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass",, "End": true}}}' >"$T/bad.json"
expect 65 "bad JSON" -- "$ASL" run "$T/bad.json"
has "$T/err" "line 3, column" "bad JSON has line and column"

printf '{"StartAt": "A", "States": {' >"$T/trunc.json"
expect 65 "truncated JSON" -- "$ASL" run "$T/trunc.json"
has "$T/err" "line 1" "truncated JSON has a location"

: >"$T/empty.json"
expect 65 "empty file" -- "$ASL" run "$T/empty.json"

python3 -c "print('['*100000 + ']'*100000)" >"$T/deep.json"
expect 65 "100,000-deep nesting" -- "$ASL" run "$T/deep.json"
has "$T/err" "nesting too deep" "deep nesting message"

python3 -c "print('{\"StartAt\":\"A\",\"Comment\":\"' + 'x'*10000000 + '\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}')" >"$T/big.json"
expect 65 "10 MB definition" -- "$ASL" run "$T/big.json"
has "$T/err" "larger than the limit" "10 MB definition message"

python3 -c "print('{\"s\":\"' + 'x'*10000000 + '\"}')" >"$T/bigin.json"
expect 65 "10 MB input" -- "$ASL" run "$T/pass.json" --input "$T/bigin.json"

python3 -c "print('[' * 100000)" >"$T/deepin.json"
expect 65 "deep input" -- "$ASL" run "$T/pass.json" --input "$T/deepin.json"

expect 66 "directory instead of file" -- "$ASL" run "$T"
has "$T/err" "is a directory" "directory message"
expect 66 "missing file" -- "$ASL" run "$T/nope.json"
expect 66 "missing input file" -- "$ASL" run "$T/pass.json" --input "$T/nope.json"

echo '[1,2' >"$T/badin.json"
expect 65 "bad input JSON" -- "$ASL" run "$T/pass.json" --input "$T/badin.json"
has "$T/err" "invalid input" "bad input message"

expect 64 "no arguments" -- "$ASL"
expect 64 "unknown command" -- "$ASL" frobnicate
expect 64 "unknown option" -- "$ASL" run "$T/pass.json" --bogus
expect 64 "bad --type" -- "$ASL" run "$T/pass.json" --type SLOW

# --- invalid definitions: AWS's diagnostics with locations ---
cat >"$T/inv.json" <<'J'
{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope","ResultPath":"x"},"B":{"Type":"Pass","End":true,"Bogus":1}}}
J
expect 65 "invalid definition" -- "$ASL" run "$T/inv.json"
has "$T/err" "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next" "missing target"
has "$T/err" "at /States/A/ResultPath" "bad ResultPath located"
has "$T/err" "Field 'Bogus' is not supported at /States/B" "unknown field"
expect 65 "validate invalid" -- "$ASL" validate "$T/inv.json"
has "$T/out" '"result":	"FAIL"' "validate says FAIL"
has "$T/out" '"location":	"/States/B"' "validate location"

# --- outcomes and exit codes ---
cat >"$T/fail.json" <<'J'
{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Oops","Cause":"bad thing"}}}
J
expect 1 "failed execution" -- "$ASL" run "$T/fail.json"
has "$T/err" "Oops" "failure error on stderr"
expect 0 "--describe exits 0 on failure" -- "$ASL" run "$T/fail.json" --describe
has "$T/out" '"status":	"FAILED"' "describe status"
has "$T/out" '"error":	"Oops"' "describe error"
has "$T/out" '"cause":	"bad thing"' "describe cause"

cat >"$T/slow.json" <<'J'
{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":31536000,"End":true}}}
J
expect 2 "timed out (virtual clock, one-year wait)" -- "$ASL" run "$T/slow.json" --no-wait
expect 0 "--history" -- "$ASL" run "$T/pass.json" --history --name my-exec
has "$T/err" '"type":	"PassStateEntered"' "history on stderr"
has "$T/err" '"type":	"ExecutionSucceeded"' "history end"
expect 64 "a name is used once per state machine" -- "$ASL" run "$T/pass.json" --name my-exec
has "$T/err" "ExecutionAlreadyExists" "ExecutionAlreadyExists"
expect 0 "--describe name" -- "$ASL" run "$T/pass.json" --describe --name my-exec2
has "$T/out" ':execution:pass:my-exec2"' "execution ARN has the machine and execution names"

cat >"$T/wait1.json" <<'J'
{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}
J
start=$(date +%s%N)
expect 0 "real clock wait" -- "$ASL" run "$T/wait1.json"
el=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$el" -ge 950 ]; then ok; else bad "real-clock Wait of 1 s took ${el} ms"; fi

# --time-scale 20: a 10 s Wait takes half a second, and the history says 10 s
cat >"$T/wait10.json" <<'J'
{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}
J
start=$(date +%s%N)
expect 0 "--time-scale" -- "$ASL" run "$T/wait10.json" --time-scale 20 --history
el=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$el" -ge 450 ] && [ "$el" -lt 3000 ]; then ok; else bad "--time-scale 20 on a 10 s Wait took ${el} ms"; fi
gap=$(python3 -c "import json,sys; h=json.loads(open(sys.argv[1]).read()); t=[e['timestamp'] for e in h]; print(round(t[-1]-t[1]))" "$T/err")
if [ "$gap" = "10" ]; then ok; else bad "--time-scale history gap $gap s, want 10"; fi
expect 64 "--time-scale below 1" -- "$ASL" run "$T/wait10.json" --time-scale 0.5

# --mock: AWS Step Functions Local's MockConfigFile, counters across retries
cat >"$T/mocked.json" <<'J'
{"StartAt":"Send","States":{"Send":{"Type":"Task",
 "Resource":"arn:aws:states:::sqs:sendMessage",
 "Parameters":{"QueueUrl":"q","MessageBody":"hi"},
 "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1,"MaxAttempts":3}],
 "End":true}}}
J
cat >"$T/mockcfg.json" <<'J'
{"StateMachines":{"m":{"TestCases":{"Flaky":{"Send":"BusyThenOk"}}}},
 "MockedResponses":{"BusyThenOk":{"0-1":{"Throw":{"Error":"Busy","Cause":"try later"}},
                                  "2":{"Return":{"MessageId":"m-1"}}}}}
J
expect 0 "--mock run" -- "$ASL" run "$T/mocked.json" --mock "$T/mockcfg.json#Flaky" --no-wait --history
has "$T/out" '{"MessageId":"m-1"}' "mocked result"
n=$(grep -c '"type":	"TaskFailed"' "$T/err")
if [ "$n" = "2" ]; then ok; else bad "--mock: $n TaskFailed events, want 2"; fi
has "$T/err" '"resourceType":	"sqs"' "mocked Task events name the service"
expect 65 "--mock unknown case" -- "$ASL" run "$T/mocked.json" --mock "$T/mockcfg.json#Nope"
expect 66 "--mock missing file" -- "$ASL" run "$T/mocked.json" --mock "$T/none.json#Flaky"

# --mock survives a kill -9 and `asl resume` (its counters are in the
# checkpoint): the second mocked Task still gets its own response
cat >"$T/mk.json" <<'J'
{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"hi"},"Next":"W"},"W":{"Type":"Wait","Seconds":3,"Next":"Again"},"Again":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"x"},"End":true}}}
J
cat >"$T/mk-mock.json" <<'J'
{"StateMachines":{"mk":{"TestCases":{"T":{"Send":"R","Again":"R2"}}}},"MockedResponses":{"R":{"0":{"Return":{"MessageId":"a"}}},"R2":{"0":{"Return":{"MessageId":"b"}}}}}
J
"$ASL" run "$T/mk.json" --mock "$T/mk-mock.json#T" --db "$T/mk.db" --name k1 >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
expect 0 "resume a killed mocked run" -- "$ASL" resume --db "$T/mk.db"
has "$T/out" "execution:mk:k1 SUCCEEDED" "resumed mocked run succeeds"
expect 0 "describe the resumed run" -- "$ASL" describe k1 --db "$T/mk.db"
has "$T/out" 'MessageId\":\"b' "the mock's second response after resume"

# `asl resume` leaves alone an execution a live process is running
cat >"$T/long.json" <<'J'
{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"End":true}}}
J
"$ASL" run "$T/long.json" --db "$T/live.db" --name live >/dev/null 2>&1 &
pid=$!
sleep 0.5
expect 0 "resume while the run is alive" -- "$ASL" resume --db "$T/live.db"
has "$T/err" "still running in process $pid" "resume keeps off a live run"
wait $pid
if [ $? -eq 0 ]; then ok; else bad "the live run was disturbed"; fi
expect 0 "describe the live run" -- "$ASL" describe live --db "$T/live.db"
has "$T/out" '"status":	"SUCCEEDED"' "the live run finished on its own"

# An EXPRESS execution whose last state is a Task ends when the task does:
# it once slept until the 5-minute EXPRESS limit because the completion
# that ended it was taken for "waiting" (engine/exec.c asl_exec_step).
cat >"$T/xtask.json" <<'J'
{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","End":true}}}
J
echo '{"Functions":{"echo":{"command":["cat"]}}}' >"$T/xtask.bindings.json"
expect 0 "an EXPRESS run ending in a Task ends" -- timeout 30 "$ASL" run "$T/xtask.json" --input "$T/in.json" --type EXPRESS --bindings "$T/xtask.bindings.json" --describe
has "$T/out" '"status":	"SUCCEEDED"' "EXPRESS Task run succeeded"
has "$T/out" '"{\"a\":1}"' "EXPRESS Task run output"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
