#!/usr/bin/env python3
"""etl_test.py ASL: the ETL seed (workflows/etl.json) end to end with real
parts, as `make run` runs it: asl's embedded MariaDB started on demand under
a fresh ASL_HOME, the MySQL extract into the lake, the Athena-like tables
and the MERGE, twice (the second run takes the Choice's other branch and
leaves the same 7 rows), then a run whose extract cannot connect, caught by
the workflow's Catch. Prints "etl: N passed, N failed".
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WF = os.path.join(ROOT, "workflows", "etl.json")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL etl:", what, file=sys.stderr)


def asl(env, *args, inp=None, timeout=300):
    return subprocess.run([ASL, *args], input=inp, capture_output=True,
                          text=True, env=env, timeout=timeout)


def states_entered(history):
    return [e["stateEnteredEventDetails"]["name"] for e in history
            if e["type"].endswith("StateEntered")]


def main():
    home = tempfile.mkdtemp(prefix="asl-etl-")
    env = dict(os.environ, ASL_HOME=home)
    today = datetime.date.today()
    day = lambda n: (today - datetime.timedelta(days=n)).isoformat()
    expected = [
        (day(4), "1", "55.99", day(0)),
        (day(3), "1", "4.99", day(0)),
        (day(3), "2", "4.99", day(1)),
        (day(2), "1", "5.99", day(0)),
        (day(1), "1", "15.99", day(0)),
        (day(0), "1", "10.99", day(0)),
        (day(0), "2", "4.99", day(1)),
    ]
    query = ("SELECT dt, user_id, total_cost_usd, registration_date FROM "
             "mydatabase.user_transactions ORDER BY dt, user_id")
    try:
        runs = []
        for n in (1, 2):
            r = asl(env, "run", WF, "--describe", "--history")
            check(r.returncode == 0, "run %d exits 0: %s" % (n, r.stderr[-800:]))
            try:
                d = json.loads(r.stdout)
            except ValueError:
                d = {}
            check(d.get("status") == "SUCCEEDED", "run %d SUCCEEDED" % n)
            try:
                hist = json.loads(r.stderr[r.stderr.index("["):r.stderr.rindex("]") + 1])
            except ValueError:
                hist = []
            runs.append((d, hist))
            q = asl(env, "query", query, "--format", "csv")
            check(q.returncode == 0, "query after run %d: %s" % (n, q.stderr))
            lines = q.stdout.strip().splitlines()
            check(lines[:1] == ["dt,user_id,total_cost_usd,registration_date"],
                  "csv header after run %d: %r" % (n, lines[:1]))
            rows = [tuple(l.split(",")) for l in lines[1:]]
            check(rows == expected,
                  "run %d leaves the seed's 7 rows: %r" % (n, rows))

        # The first run creates the tables, the second finds them.
        first = states_entered(runs[0][1])
        second = states_entered(runs[1][1])
        check("Create tables" in first and "Create user_transactions table" in first,
              "run 1 creates the tables: %r" % first)
        check("Create tables" not in second, "run 2 skips creating: %r" % second)
        for names in (first, second):
            check(names[:3] == ["HelloWorld", "Extract from MySQL", "Create Athena DB"],
                  "the seed's first states: %r" % names[:3])
            check(names[-1:] == ["Merge into user_transactions"],
                  "ends with the MERGE: %r" % names[-1:])
        out = json.loads(runs[1][0].get("output", "{}"))
        check(out.get("hello") == "Hello World", "HelloWorld's answer kept")
        check(out.get("merge", {}).get("State") == "SUCCEEDED", "MERGE SUCCEEDED")
        check(out.get("tables", {}).get("exist") is True, "run 2 saw user_transactions")

        # The extract's files, as Aurora's SELECT INTO OUTFILE S3 names them.
        ls = asl(env, "lake", "ls", "s3://asl-datalake/data/myschema/transactions/")
        check("transactions.part_00000" in ls.stdout, "transactions part in the lake: %r" % ls.stdout)
        cat = asl(env, "lake", "cat",
                  "s3://asl-datalake/data/myschema/transactions/transactions.part_00000")
        check(cat.stdout.splitlines()[:1] == ["1,1,10.99,%s" % day(0)],
              "first extracted line: %r" % cat.stdout[:60])
        check(len(cat.stdout.splitlines()) == 7, "7 transactions extracted")

        # Both runs are in the store, for asl serve to show.
        ex = asl(env, "executions", "--json")
        try:
            n_ok = sum(1 for e in json.loads(ex.stdout)["executions"]
                       if e.get("status") == "SUCCEEDED" and e.get("stateMachineArn", "").endswith(":etl"))
        except (ValueError, KeyError):
            n_ok = -1
        check(n_ok == 2, "two SUCCEEDED etl executions recorded: %d" % n_ok)

        # The embedded server keeps running between runs.
        st = asl(env, "mysql", "status")
        check(st.returncode == 0 and "not running" not in st.stdout,
              "embedded MariaDB running: %r" % st.stdout)

        # An extract that cannot connect: retried (OperationalError), then
        # caught and failed with pymysql's error and the client's message
        # (--describe exits 0 whatever the status).
        tmp = tempfile.mkdtemp(prefix="asl-etl-bad-")
        b = json.load(open(os.path.join(ROOT, "workflows", "etl.bindings.json")))
        b["Functions"]["mysql-lambda"]["args"]["connection"] = {
            "socket": os.path.join(tmp, "nowhere.sock"), "user": "root"}
        bp = os.path.join(tmp, "bad.bindings.json")
        json.dump(b, open(bp, "w"))
        r = asl(env, "run", WF, "--bindings", bp, "--describe", "--history",
                "--no-wait")
        try:
            d = json.loads(r.stdout)
        except ValueError:
            d = {}
        check(r.returncode == 0 and d.get("status") == "FAILED",
              "unreachable MySQL fails the run: %s" % r.stderr[-400:])
        check(d.get("error") == "OperationalError", "error OperationalError: %r" % d.get("error"))
        # pymysql says 2003 for a socket it cannot reach, with the errno
        check("(2003, " in d.get("cause", "") and "No such file or directory" in d.get("cause", ""),
              "cause is the client's message: %r" % d.get("cause"))
        try:
            hist = json.loads(r.stderr[r.stderr.index("["):r.stderr.rindex("]") + 1])
        except ValueError:
            hist = []
        names = states_entered(hist)
        check(names[-1:] == ["Extract failed"], "Catch goes to Extract failed: %r" % names)
        starts = sum(1 for e in hist if e["type"] == "LambdaFunctionStarted")
        check(starts == 4, "HelloWorld + 3 extract attempts (Retry MaxAttempts 2): %d" % starts)
        shutil.rmtree(tmp, ignore_errors=True)

        # asl mysql stop ends the embedded server.
        sp = asl(env, "mysql", "stop")
        check(sp.returncode == 0, "asl mysql stop: %s" % sp.stderr)
        st = asl(env, "mysql", "status")
        check("not running" in st.stdout, "stopped: %r" % st.stdout)
    finally:
        asl(env, "mysql", "stop")
        shutil.rmtree(home, ignore_errors=True)
    print("etl: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
