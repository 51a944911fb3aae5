#!/usr/bin/env python3
"""crash_test.py ASL: durability. A workflow with a Map of Tasks and Waits
runs under `asl run --db`, and is killed with SIGKILL at random moments, 20
times or more, each time followed by `asl resume --db` (which is killed too
while it runs); in the end the execution must have the output of an
uninterrupted run, and its stored history contiguous ids, no duplicate
event, and one terminal event. Prints "crash: N passed, N failed".
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL crash:", what, file=sys.stderr)


WORKFLOW = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"items.$": "$.items"},
                    "Assign": {"tag": "run"}, "Next": "Each"},
        "Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3,
            "ItemProcessor": {"StartAt": "Work", "States": {
                "Work": {"Type": "Task",
                         "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Work",
                         "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
                         "Next": "Rest"},
                "Rest": {"Type": "Wait", "Seconds": 2, "End": True}}},
            "ResultPath": "$.results", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.results)",
                                                 "results.$": "$.results",
                                                 "tag.$": "$tag"},
                 "End": True},
    },
}


def main():
    tmp = tempfile.mkdtemp()
    work = os.path.join(tmp, "work.py")
    with open(work, "w") as f:
        f.write("import json,sys,time\ne=json.load(sys.stdin)\n"
                "time.sleep(0.05)\nprint(json.dumps({'sq': e['v'] * e['v']}))\n")
    wf = os.path.join(tmp, "wf.json")
    with open(wf, "w") as f:
        json.dump(WORKFLOW, f)
    with open(os.path.join(tmp, "wf.bindings.json"), "w") as f:
        json.dump({"Functions": {"Work": {"command": ["python3", work]}}}, f)
    N = 30
    inp = json.dumps({"items": [{"v": i} for i in range(N)]})

    # the uninterrupted run, for reference (time-scaled: Waits are short)
    ref = subprocess.run([ASL, "run", wf, "--input", "-", "--db", ":memory:",
                          "--time-scale", "10"], input=inp,
                         capture_output=True, text=True, timeout=120)
    check(ref.returncode == 0, "reference run: %s" % ref.stderr[-300:])
    want = json.loads(ref.stdout) if ref.returncode == 0 else None

    db = os.path.join(tmp, "asl.db")
    rng = random.Random(4242)
    kills = 0
    args = [ASL, "run", wf, "--input", "-", "--db", db, "--name", "crashy",
            "--time-scale", "10"]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write(inp)
    p.stdin.close()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        delay = rng.uniform(0.01, 0.35)
        try:
            p.wait(delay)
            p.stdout.close()
            p.stderr.close()
            if kills >= 20:
                break  # it finished after enough kills
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            p.stdout.close()
            p.stderr.close()
            kills += 1
        p = subprocess.Popen([ASL, "resume", "--db", db, "--time-scale", "10"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    else:
        p.kill()
    print("crash: %d kills" % kills)
    check(kills >= 20, "at least 20 kills (%d)" % kills)
    # let the last resume finish the execution
    r = subprocess.run([ASL, "resume", "--db", db], capture_output=True,
                       text=True, timeout=120)
    d = subprocess.run([ASL, "describe", "crashy", "--db", db],
                       capture_output=True, text=True, timeout=60)
    check(d.returncode == 0, "describe: %s" % d.stderr[-300:])
    desc = json.loads(d.stdout) if d.returncode == 0 else {}
    check(desc.get("status") == "SUCCEEDED", "status %s" % desc.get("status"))
    if desc.get("output"):
        check(json.loads(desc["output"]) == want, "output equals the uninterrupted run")
    h = subprocess.run([ASL, "history", "crashy", "--db", db, "--json"],
                       capture_output=True, text=True, timeout=60)
    check(h.returncode == 0, "history: %s" % h.stderr[-300:])
    events = json.loads(h.stdout)["events"] if h.returncode == 0 else []
    ids = [e["id"] for e in events]
    check(ids == list(range(1, len(ids) + 1)), "ids contiguous (%d events)" % len(ids))
    terminal = [e for e in events if e["type"] in
                ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut",
                 "ExecutionAborted")]
    check(len(terminal) == 1, "one terminal event (%d)" % len(terminal))
    types = [e["type"] for e in events]
    check(types.count("ExecutionStarted") == 1, "one ExecutionStarted")
    check(types.count("MapIterationSucceeded") == N,
          "%d iterations succeeded, once each" % N)
    check(types.count("MapStateEntered") == 1 and types.count("MapStateExited") == 1,
          "the Map entered and exited once")
    print("crash: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
