#!/usr/bin/env python3
"""task_test.py ASL: Tasks, Retry/Catch, Parallel and Map through the real
`asl` binary with real local Lambda commands (no mocks): concurrency that
shows in wall time, results in item order, retries with back-off then a
catch, with AWS's history event sequence. Prints "tasks: N passed, N failed".
"""
import json
import os
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
        print("FAIL tasks:", what, file=sys.stderr)


def run(tmp, definition, bindings=None, inp="{}", extra=()):
    d = os.path.join(tmp, "wf.json")
    with open(d, "w") as f:
        json.dump(definition, f)
    args = [ASL, "run", d, "--input", "-", "--describe", "--history"]
    if bindings is not None:
        b = os.path.join(tmp, "wf.bindings.json")
        with open(b, "w") as f:
            json.dump(bindings, f)
    args += list(extra)
    t0 = time.monotonic()
    r = subprocess.run(args, input=inp, capture_output=True, text=True,
                       timeout=120)
    el = time.monotonic() - t0
    try:
        desc = json.loads(r.stdout)
        hist = json.loads(r.stderr[r.stderr.index("["):])
    except (ValueError, json.JSONDecodeError):
        print(r.stdout[:500], r.stderr[:1500], file=sys.stderr)
        return None, [], el
    return desc, hist, el


def types(hist):
    return [e["type"] for e in hist]


def main():
    tmp = tempfile.mkdtemp()
    # A slow function: sleeps the item's "ms", answers its index.
    slow = os.path.join(tmp, "slow.py")
    with open(slow, "w") as f:
        f.write("import json,sys,time\n"
                "e=json.load(sys.stdin)\n"
                "time.sleep(e['ms']/1000.0)\n"
                "print(json.dumps({'index': e['i'], 'slept': e['ms']}))\n")
    bindings = {"Functions": {"Slow": {"command": ["python3", slow]}}}
    items = [{"i": i, "ms": ms} for i, ms in
             enumerate([600, 200, 500, 300, 400, 400])]

    def map_def(conc):
        return {"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": conc,
            "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Slow",
                "End": True}}},
            "End": True}}}

    inp = json.dumps({"items": items})
    d1, h1, t1 = run(tmp, map_def(1), bindings, inp)
    d2, h2, t2 = run(tmp, map_def(2), bindings, inp)
    check(d1 and d1["status"] == "SUCCEEDED", "Map c=1 succeeds")
    check(d2 and d2["status"] == "SUCCEEDED", "Map c=2 succeeds")
    if d1 and d2 and d1["status"] == d2["status"] == "SUCCEEDED":
        o1, o2 = json.loads(d1["output"]), json.loads(d2["output"])
        want = [{"index": i, "slept": it["ms"]} for i, it in enumerate(items)]
        check(o1 == want, "Map c=1 results in item order: %s" % o1)
        check(o2 == want, "Map c=2 results in item order: %s" % o2)
        ratio = t2 / t1
        print("tasks: Map c=1 %.2f s, c=2 %.2f s, ratio %.2f" % (t1, t2, ratio))
        check(0.35 < ratio < 0.75,
              "MaxConcurrency 2 takes about half the time of 1 (%.2f)" % ratio)
        starts = [e for e in h2 if e["type"] == "MapIterationStarted"]
        check(len(starts) == len(items), "one MapIterationStarted per item")
        check(types(h2).count("LambdaFunctionSucceeded") == len(items),
              "LambdaFunctionSucceeded per item")

    # Retry with back-off, then Catch: a function that always fails.
    bad = os.path.join(tmp, "bad.sh")
    with open(bad, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\n"
                "echo '{\"errorType\":\"CustomError\",\"errorMessage\":\"no luck\"}'\n")
    os.chmod(bad, 0o755)
    rb = {"Functions": {"Bad": {"command": [bad]}}}
    retry_def = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "Bad", "Payload.$": "$"},
              "Retry": [{"ErrorEquals": ["CustomError"], "IntervalSeconds": 1,
                         "MaxAttempts": 2, "BackoffRate": 2}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                         "Next": "Caught"}],
              "End": True},
        "Caught": {"Type": "Pass", "End": True}}}
    d, h, el = run(tmp, retry_def, rb, '{"x":1}')
    want = ["ExecutionStarted", "TaskStateEntered",
            "TaskScheduled", "TaskStarted", "TaskFailed",
            "TaskScheduled", "TaskStarted", "TaskFailed",
            "TaskScheduled", "TaskStarted", "TaskFailed",
            "TaskStateExited", "PassStateEntered", "PassStateExited",
            "ExecutionSucceeded"]
    check(types(h) == want, "retry+catch history: %s" % types(h))
    check(d and d["status"] == "SUCCEEDED", "caught execution succeeds")
    if d and d.get("output"):
        out = json.loads(d["output"])
        check(out.get("x") == 1 and out.get("err", {}).get("Error") == "CustomError",
              "error output at ResultPath: %s" % out)
    ids = [e["id"] for e in h]
    check(ids == list(range(1, len(h) + 1)), "event ids contiguous")
    check(all(e["previousEventId"] == e["id"] - 1 for e in h[2:]),
          "previousEventId chain")
    fails = [e["timestamp"] for e in h if e["type"] == "TaskFailed"]
    sched = [e["timestamp"] for e in h if e["type"] == "TaskScheduled"]
    if len(fails) == 3 and len(sched) == 3:
        g1, g2 = sched[1] - fails[0], sched[2] - fails[1]
        print("tasks: back-off gaps %.2f s, %.2f s" % (g1, g2))
        check(0.9 <= g1 < 1.6 and 1.9 <= g2 < 2.6,
              "back-off 1 s then 2 s on the real clock (%.2f, %.2f)" % (g1, g2))
    det = [e for e in h if e["type"] == "TaskFailed"]
    check(det and det[0]["taskFailedEventDetails"].get("error") == "CustomError",
          "TaskFailed carries the function's errorType")
    # Same on the virtual clock: the same history, no waiting.
    d, hv, el = run(tmp, retry_def, rb, '{"x":1}', ["--no-wait"])
    check(types(hv) == want, "--no-wait keeps the history")
    check(el < 2.5, "--no-wait skips the back-off (%.2f s)" % el)

    # Uncaught failure after retries: the execution fails with the error.
    nocatch = json.loads(json.dumps(retry_def))
    del nocatch["States"]["T"]["Catch"]
    del nocatch["States"]["Caught"]
    d, h, el = run(tmp, nocatch, rb, "{}", ["--no-wait"])
    check(d and d["status"] == "FAILED" and d.get("error") == "CustomError",
          "uncaught error fails the execution")
    check(types(h)[-2:] == ["TaskFailed", "ExecutionFailed"],
          "ends TaskFailed, ExecutionFailed")

    # Task timeout: a function slower than TimeoutSeconds.
    tb = {"Functions": {"Slow": {"command": ["python3", slow]}}}
    tdef = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "TimeoutSeconds": 1,
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Slow",
        "End": True}}}
    d, h, el = run(tmp, tdef, tb, '{"i":0,"ms":5000}')
    check(d and d["status"] == "FAILED" and d.get("error") == "States.Timeout",
          "Task TimeoutSeconds raises States.Timeout")
    check("LambdaFunctionTimedOut" in types(h), "LambdaFunctionTimedOut event")
    check(el < 4, "timed-out function does not hold the run (%.2f s)" % el)

    # Parallel over Tasks: branches run at once; the result is in branch order.
    pdef = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True,
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task",
             "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Slow",
             "Parameters": {"i": 0, "ms": 700}, "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task",
             "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Slow",
             "Parameters": {"i": 1, "ms": 300}, "End": True}}}]}}}
    d, h, el = run(tmp, pdef, tb)
    check(d and json.loads(d["output"]) == [{"index": 0, "slept": 700},
                                           {"index": 1, "slept": 300}],
          "Parallel output in branch order")
    check(el < 1.4, "Parallel branches overlap (%.2f s)" % el)

    print("tasks: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
