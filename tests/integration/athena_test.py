#!/usr/bin/env python3
"""athena_test.py ASL: Athena Tasks end to end through the real `asl`
binary, its lake and its SQL engine (no mocks): a database, SHOW TABLES
and a Choice on its result, SELECT with .sync then getQueryResults and a
Choice on a value, a failing query caught by Catch (States.TaskFailed), a
refused request caught by its Athena error name, result files in the lake,
an execution started by one `asl run` read by the next, and AWS's history
for .sync (TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded).

Prints "athena-run: N passed, N failed".
"""
import json
import os
import subprocess
import sys
import tempfile

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
ARN = "arn:aws:states:::athena:"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL athena-run:", what, file=sys.stderr)


def asl(env, *args, inp=None):
    return subprocess.run([ASL] + list(args), input=inp, capture_output=True,
                          text=True, env=env, timeout=120)


def run(env, tmp, definition, inp="{}"):
    d = os.path.join(tmp, "wf.json")
    with open(d, "w") as f:
        json.dump(definition, f)
    r = asl(env, "run", d, "--input", "-", "--describe", "--history", inp=inp)
    try:
        desc = json.loads(r.stdout)
        hist = json.loads(r.stderr[r.stderr.index("["):])
    except (ValueError, json.JSONDecodeError):
        print(r.stdout[:500], r.stderr[:1500], file=sys.stderr)
        return None, []
    return desc, hist


def task(resource, params, nxt=None, **kw):
    s = {"Type": "Task", "Resource": ARN + resource, "Parameters": params}
    s.update(kw)
    if nxt:
        s["Next"] = nxt
    elif "End" not in kw:
        s["End"] = True
    return s


def events_of(hist, state):
    """The event types from state's TaskStateEntered to its exit."""
    out, inside = [], False
    for e in hist:
        det = e.get("stateEnteredEventDetails") or {}
        if e["type"].endswith("StateEntered"):
            inside = det.get("name") == state
        if inside:
            out.append(e)
        if inside and e["type"].endswith("StateExited"):
            inside = False
    return out


def main():
    tmp = tempfile.mkdtemp()
    env = dict(os.environ, ASL_HOME=os.path.join(tmp, "home"))
    out_loc = {"OutputLocation": "s3://results-b/athena/"}
    r = asl(env, "lake", "mb", "s3://results-b")
    check(r.returncode == 0, "lake mb: " + r.stderr)

    wf = {"StartAt": "CreateDb", "States": {
        "CreateDb": task("startQueryExecution.sync", {
            "QueryString": "CREATE DATABASE IF NOT EXISTS etl_db",
            "ResultConfiguration": out_loc}, "ShowTables",
            ResultPath="$.db"),
        "ShowTables": task("startQueryExecution.sync", {
            "QueryString": "SHOW TABLES IN etl_db",
            "ResultConfiguration": out_loc}, "TableList",
            ResultPath="$.show"),
        "TableList": task("getQueryResults", {
            "QueryExecutionId.$": "$.show.QueryExecution.QueryExecutionId"},
            "AnyTables", ResultPath="$.tables"),
        "AnyTables": {"Type": "Choice", "Choices": [{
            "Variable": "$.tables.ResultSet.Rows[0]", "IsPresent": True,
            "Next": "Unexpected"}], "Default": "Select"},
        "Unexpected": {"Type": "Fail", "Error": "TablesFound"},
        "Select": task("startQueryExecution.sync", {
            "QueryString": "SELECT 'alice' AS name, 3 AS n UNION ALL "
                           "SELECT 'bob', 5",
            "ResultConfiguration": out_loc}, "Results",
            ResultPath="$.sel"),
        "Results": task("getQueryResults", {
            "QueryExecutionId.$": "$.sel.QueryExecution.QueryExecutionId",
            "MaxResults": 2}, "IsAlice", ResultPath="$.res",
            ResultSelector={"rows.$": "$.ResultSet.Rows",
                            "cols.$": "$.ResultSet.ResultSetMetadata."
                                      "ColumnInfo",
                            "next.$": "$.NextToken"}),
        "IsAlice": {"Type": "Choice", "Choices": [{
            "Variable": "$.res.rows[1].Data[0].VarCharValue",
            "StringEquals": "alice", "Next": "Broken"}],
            "Default": "NotAlice"},
        "NotAlice": {"Type": "Fail", "Error": "NotAlice"},
        "Broken": task("startQueryExecution.sync", {
            "QueryString": "ALTER TABLE x RENAME TO y",
            "ResultConfiguration": out_loc}, "Unreached",
            ResultPath="$.broken", Catch=[{
                "ErrorEquals": ["States.TaskFailed"],
                "ResultPath": "$.caught", "Next": "BadId"}]),
        "Unreached": {"Type": "Fail", "Error": "Unreached"},
        "BadId": task("getQueryExecution", {
            "QueryExecutionId": "00000000-0000-4000-8000-000000000000"},
            "Unreached", Catch=[{
                "ErrorEquals": ["Athena.InvalidRequestException"],
                "ResultPath": "$.refused", "Next": "Done"}]),
        "Done": {"Type": "Succeed"}}}
    desc, hist = run(env, tmp, wf)
    check(desc and desc["status"] == "SUCCEEDED",
          "workflow: %s" % (desc and desc.get("error")))
    o = json.loads(desc["output"]) if desc and desc.get("output") else {}
    qe = o.get("sel", {}).get("QueryExecution", {})
    check(qe.get("Status", {}).get("State") == "SUCCEEDED", ".sync SUCCEEDED")
    check(qe.get("StatementType") == "DML" and
          qe.get("SubstatementType") == "SELECT", "statement types")
    qid = qe.get("QueryExecutionId", "")
    check(qe.get("ResultConfiguration", {}).get("OutputLocation") ==
          "s3://results-b/athena/%s.csv" % qid, "OutputLocation")
    res = o.get("res", {})
    rows = [[d.get("VarCharValue") for d in r["Data"]]
            for r in res.get("rows", [])]
    check(rows == [["name", "n"], ["alice", "3"]], "page 1 rows: %s" % rows)
    check(isinstance(res.get("next"), str), "NextToken on page 1")
    check([c["Name"] for c in res.get("cols", [])] == ["name", "n"] and
          res["cols"][0]["CatalogName"] == "hive" and
          res["cols"][0]["Nullable"] == "UNKNOWN", "ColumnInfo")
    caught = o.get("caught", {})
    cause = json.loads(caught.get("Cause", "{}"))
    check(caught.get("Error") == "States.TaskFailed", "caught error name")
    check(cause.get("QueryExecution", {}).get("Status", {}).get("State") ==
          "FAILED", "cause holds the FAILED QueryExecution")
    refused = o.get("refused", {})
    check(refused.get("Error") == "Athena.InvalidRequestException" and
          "was not found" in refused.get("Cause", "") and
          "Service: AmazonAthena; Status Code: 400" in refused.get("Cause", ""),
          "refused request: %s" % refused)

    # AWS's history for .sync
    sel = events_of(hist, "Select")
    check([e["type"] for e in sel] == [
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
        "TaskSucceeded", "TaskStateExited"],
        ".sync events: %s" % [e["type"] for e in sel])
    if len(sel) == 6:
        sd = sel[1]["taskScheduledEventDetails"]
        check(sd["resourceType"] == "athena" and
              sd["resource"] == "startQueryExecution.sync", "TaskScheduled names")
        sub = json.loads(sel[3]["taskSubmittedEventDetails"]["output"])
        check(sub.get("QueryExecutionId") == qid and "SdkHttpMetadata" in sub,
              "TaskSubmitted output is the start response")
        done = json.loads(sel[4]["taskSucceededEventDetails"]["output"])
        check(list(done) == ["QueryExecution"], "TaskSucceeded output")
    br = events_of(hist, "Broken")
    check([e["type"] for e in br] == [
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
        "TaskFailed", "TaskStateExited"],
        "failed .sync events: %s" % [e["type"] for e in br])
    gr = events_of(hist, "Results")
    check([e["type"] for e in gr] == [
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
        "TaskStateExited"], "request-response events")

    # the files Athena writes, in the lake
    r = asl(env, "lake", "cat", "s3://results-b/athena/%s.csv" % qid)
    check(r.stdout == '"name","n"\n"alice","3"\n"bob","5"\n',
          "result CSV: %r" % r.stdout)
    show_id = o.get("show", {}).get("QueryExecution", {}).get(
        "QueryExecutionId", "")
    r = asl(env, "lake", "ls", "s3://results-b/athena/")
    check(show_id + ".txt" in r.stdout, "SHOW writes ID.txt: " + r.stdout)

    # one run starts a query, the next reads it back
    d1, _ = run(env, tmp, {"StartAt": "S", "States": {"S": task(
        "startQueryExecution", {"QueryString": "SELECT 7 AS seven"})}})
    started = json.loads(d1["output"]) if d1 and d1.get("output") else {}
    check(set(started) == {"QueryExecutionId", "SdkHttpMetadata",
                           "SdkResponseMetadata"}, "start output members")
    d2, _ = run(env, tmp, {"StartAt": "G", "States": {
        "G": task("getQueryExecution", {"QueryExecutionId.$": "$.id"}, "R",
                  ResultPath="$.g"),
        "R": task("getQueryResults", {"QueryExecutionId.$": "$.id"},
                  ResultPath="$.r")}},
        json.dumps({"id": started.get("QueryExecutionId", "")}))
    o2 = json.loads(d2["output"]) if d2 and d2.get("output") else {}
    check(o2.get("g", {}).get("QueryExecution", {}).get("Status", {})
          .get("State") == "SUCCEEDED", "another run sees it SUCCEEDED")
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in
            o2.get("r", {}).get("ResultSet", {}).get("Rows", [])]
    check(rows == [["seven"], ["7"]], "another run reads its rows: %s" % rows)

    real_engine(env, tmp, out_loc)
    print("athena-run: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def real_engine(env, tmp, out_loc):
    """An external table over a CSV put in the lake, as the ETL seed does."""
    csv = os.path.join(tmp, "users.csv")
    with open(csv, "w") as f:
        f.write("1,2024-01-02\n2,2024-01-01\n")
    r = asl(env, "lake", "mb", "s3://datalake-b")
    check(r.returncode == 0, "mb datalake")
    r = asl(env, "lake", "put", csv, "s3://datalake-b/data/users/users.csv")
    check(r.returncode == 0, "put users.csv")
    wf = {"StartAt": "Db", "States": {
        "Db": task("startQueryExecution.sync", {
            "QueryString": "CREATE DATABASE IF NOT EXISTS mydatabase",
            "ResultConfiguration": out_loc}, "Table", ResultPath=None),
        "Table": task("startQueryExecution.sync", {
            "QueryString": "CREATE EXTERNAL TABLE IF NOT EXISTS "
                           "mydatabase.users (id int, registration_date "
                           "date) ROW FORMAT DELIMITED FIELDS TERMINATED BY "
                           "',' LOCATION 's3://datalake-b/data/users/'",
            "ResultConfiguration": out_loc}, "Show", ResultPath=None),
        "Show": task("startQueryExecution.sync", {
            "QueryString": "SHOW TABLES IN mydatabase",
            "ResultConfiguration": out_loc}, "ShowRows", ResultPath="$.s"),
        "ShowRows": task("getQueryResults", {
            "QueryExecutionId.$": "$.s.QueryExecution.QueryExecutionId"},
            "Sel", ResultPath="$.tables"),
        "Sel": task("startQueryExecution.sync", {
            "QueryString": "SELECT id, registration_date FROM users "
                           "ORDER BY id",
            "QueryExecutionContext": {"Database": "mydatabase"},
            "ResultConfiguration": out_loc}, "Rows", ResultPath="$.q"),
        "Rows": task("getQueryResults", {
            "QueryExecutionId.$": "$.q.QueryExecution.QueryExecutionId"},
            ResultPath="$.r")}}
    desc, _ = run(env, tmp, wf)
    check(desc and desc["status"] == "SUCCEEDED",
          "real engine workflow: %s" % (desc and desc.get("cause")))
    o = json.loads(desc["output"]) if desc and desc.get("output") else {}
    tables = [r["Data"][0].get("VarCharValue") for r in
              o.get("tables", {}).get("ResultSet", {}).get("Rows", [])]
    check(tables == ["users"], "SHOW TABLES: %s" % tables)
    rs = o.get("r", {}).get("ResultSet", {})
    rows = [[d.get("VarCharValue") for d in r["Data"]]
            for r in rs.get("Rows", [])]
    check(rows == [["id", "registration_date"], ["1", "2024-01-02"],
                   ["2", "2024-01-01"]], "SELECT rows: %s" % rows)
    types = [c["Type"] for c in rs.get("ResultSetMetadata", {})
             .get("ColumnInfo", [])]
    check(types == ["integer", "date"], "column types: %s" % types)


if __name__ == "__main__":
    sys.exit(main())
