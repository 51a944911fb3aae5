#!/usr/bin/env python3
"""serve_load_test.py ASL: a bounded loopback load test of `asl serve`: 50
concurrent clients, each on its own keep-alive HTTP connection, start
10,000 executions with StartExecution (on the sanitizer build too), then ListExecutions must show every one of
them SUCCEEDED, each with its own output, and nothing else. Prints
"serve-load: N passed, N failed" and, for information only, how long it
took (never checked: speed is `make bench`'s business).
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
CLIENTS = 50
TOTAL = 10000
ROLE = "arn:aws:iam::123456789012:role/r"
MACHINE = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"n.$": "$.n", "twice.$":
          "States.MathAdd($.n, $.n)"}, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [
        {"Variable": "$.twice", "NumericGreaterThanEquals": 0,
         "Next": "Ok"}], "Default": "Ok"},
    "Ok": {"Type": "Succeed"}}}
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL serve-load:", what, file=sys.stderr)


class Client:
    """One keep-alive connection, as an SDK client keeps one."""

    def __init__(self, port):
        self.port = port
        self.c = None

    def call(self, op, body):
        for attempt in range(2):  # a dropped keep-alive connection: once
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port,
                                                    timeout=120)
            try:
                self.c.request("POST", "/", body=json.dumps(body), headers={
                    "Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "AWSStepFunctions." + op})
                r = self.c.getresponse()
                return r.status, json.loads(r.read().decode() or "{}")
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                self.c = None
                if attempt:
                    raise
        return None


def main():
    with tempfile.TemporaryDirectory() as td:
        p = subprocess.Popen([ASL, "serve", "--port", "0", "--db",
                              os.path.join(td, "asl.db")],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             text=True)
        port = None
        for line in p.stderr:
            if "listening on http://127.0.0.1:" in line:
                port = int(line.split("127.0.0.1:")[1].split("/")[0])
                break
        threading.Thread(target=lambda: [None for _ in p.stderr],
                         daemon=True).start()
        check(port is not None, "the server starts")
        try:
            if port:
                run(port)
        finally:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
    print("serve-load: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run(port):
    st, out = Client(port).call("CreateStateMachine", {
        "name": "load", "roleArn": ROLE, "definition": json.dumps(MACHINE)})
    check(st == 200, "CreateStateMachine: %s" % out)
    sm = out.get("stateMachineArn", "")
    per = TOTAL // CLIENTS
    started = [None] * CLIENTS
    errors = []

    def client(k):
        cl = Client(port)
        got = []
        for i in range(per):
            n = k * per + i
            st, out = cl.call("StartExecution", {
                "stateMachineArn": sm, "name": "L%05d" % n,
                "input": json.dumps({"n": n})})
            if st != 200:
                errors.append(out)
                continue
            got.append(out["executionArn"])
        started[k] = got

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,))
               for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_start = time.monotonic() - t0
    arns = [a for g in started for a in (g or [])]
    check(not errors, "every StartExecution answered 200 (%d errors, first "
          "%s)" % (len(errors), errors[:1]))
    check(len(set(arns)) == TOTAL, "%d distinct executions started (%d)"
          % (TOTAL, len(set(arns))))
    # wait (bounded) until the store shows them all ended
    cl = Client(port)

    def listing(status=None):
        items, token = [], None
        while True:
            body = {"stateMachineArn": sm, "maxResults": 1000}
            if status:
                body["statusFilter"] = status
            if token:
                body["nextToken"] = token
            st, out = cl.call("ListExecutions", body)
            if st != 200:
                return None
            items += out["executions"]
            token = out.get("nextToken")
            if not token:
                return items
    done = []
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        done = listing("SUCCEEDED") or []
        if len(done) >= TOTAL:
            break
        time.sleep(0.5)
    took = time.monotonic() - t0
    check(sorted(x["executionArn"] for x in done) == sorted(arns),
          "ListExecutions shows all %d SUCCEEDED (%d)" % (TOTAL, len(done)))
    every = listing() or []
    check(len(every) == TOTAL, "nothing else recorded (%d)" % len(every))
    bad = 0
    for a in arns[:: max(1, TOTAL // 200)]:  # 200 of them, spread out
        st, d = cl.call("DescribeExecution", {"executionArn": a})
        n = int(d.get("name", "L-1")[1:])
        if st != 200 or json.loads(d.get("output", "null")) != {
                "n": n, "twice": 2 * n}:
            bad += 1
    check(bad == 0, "each execution's output is its own (%d wrong)" % bad)
    print("serve-load: %d clients started %d executions in %.1f s; all "
          "ended after %.1f s" % (CLIENTS, TOTAL, t_start, took),
          file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
