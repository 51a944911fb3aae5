#!/usr/bin/env python3
"""glue_test.py ASL: Glue Tasks end to end through the real `asl` binary
and its lake (no mocks): a job bound to the built-in convert turns JSON
lines, a JSON array and a JSON object under a prefix into Parquet
partitioned by a column (startJobRun.sync, the JobRun shape, the
TaskSubmitted event), the files read back by `asl parquet cat` and by
Athena over a STORED AS PARQUET table; startJobRun's JobRunId then
getJobRun from a later `asl run`; a failing run under .sync fails the
Task with States.TaskFailed and the JobRun as cause; an unbound job name
and a wrong GlueJobs binding are refused.

Prints "glue: N passed, N failed".
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL glue:", what, file=sys.stderr)


def asl(env, *args, inp=None):
    return subprocess.run([ASL] + list(args), input=inp, capture_output=True,
                          text=True, env=env, timeout=120)


def run(env, tmp, definition, bindings, inp="{}"):
    d = os.path.join(tmp, "wf.json")
    with open(d, "w") as f:
        json.dump(definition, f)
    b = os.path.join(tmp, "wf.bindings.json")
    with open(b, "w") as f:
        json.dump(bindings, f)
    r = asl(env, "run", d, "--input", "-", "--describe", "--history", inp=inp)
    try:
        desc = json.loads(r.stdout)
        hist = json.loads(r.stderr[r.stderr.index("["):])
    except (ValueError, json.JSONDecodeError):
        print(r.stdout[:500], r.stderr[:1500], file=sys.stderr)
        return None, [], r
    return desc, hist, r


BINDINGS = {"GlueJobs": {"to-parquet": {"builtin": "convert", "args": {
    "source": "s3://raw/users/json", "target": "s3://raw/users/parquet",
    "partition_by": ["nat"]}}}}


def main():
    tmp = tempfile.mkdtemp()
    env = dict(os.environ, ASL_HOME=os.path.join(tmp, "home"))
    for b in ("raw", "res"):
        r = asl(env, "lake", "mb", "s3://" + b)
        check(r.returncode == 0, "lake mb: " + r.stderr)
    files = {
        "users/json/0.jsonl":
            '{"id": 1, "name": "Ann", "age": 30, "salary": 1000.5, '
            '"nat": "DE", "tags": ["x"]}\n'
            '{"id": 2, "name": "Bob", "age": 41, "salary": 2000, "nat": "FR"}\n',
        "users/json/2026-01-01/b.json":
            '[{"id": 3, "name": "Cy", "age": 18, "salary": 3.25, "nat": "DE"},'
            ' {"id": 4, "name": null, "age": 50, "salary": 4, "nat": "IT"}]',
        "users/json/2026-01-02/c.json":
            '{\n  "id": 5,\n  "name": "Eve",\n  "age": 22,\n  "salary": 5,\n'
            '  "nat": "FR"\n}\n',
    }
    for k, text in files.items():
        p = os.path.join(tmp, "in")
        with open(p, "w") as f:
            f.write(text)
        r = asl(env, "lake", "put", p, "s3://raw/" + k)
        check(r.returncode == 0, "lake put: " + r.stderr)

    # .sync with Arguments passed through (--codec, --FILE_KEY recorded)
    wf = {"StartAt": "Convert", "States": {"Convert": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "to-parquet", "Arguments": {
            "--codec": "zstd", "--FILE_KEY.$": "$.key"}},
        "End": True}}}
    desc, hist, r = run(env, tmp, wf, BINDINGS, '{"key": "users/x"}')
    check(desc and desc["status"] == "SUCCEEDED", "sync run: %s" % r.stderr[-800:])
    out = json.loads(desc["output"]) if desc else {}
    check(out.get("JobRunState") == "SUCCEEDED", "JobRunState: %s" % out)
    check(out.get("JobName") == "to-parquet", "JobName")
    check(re.fullmatch(r"jr_[0-9a-f]{64}", out.get("Id", "")), "Id shape")
    check(out.get("Arguments") == {"--codec": "zstd",
                                   "--FILE_KEY": "users/x"}, "Arguments")
    check(isinstance(out.get("StartedOn"), (int, float)) and
          out.get("CompletedOn", 0) >= out.get("StartedOn", 1), "times")
    check("ExecutionTime" in out, "ExecutionTime")
    types = [e["type"] for e in hist]
    check("TaskSubmitted" in types and "TaskSucceeded" in types,
          "history: %s" % types)
    sub = [e for e in hist if e["type"] == "TaskSubmitted"]
    if sub:
        so = json.loads(sub[0]["taskSubmittedEventDetails"]["output"])
        check(so.get("JobRunId") == out.get("Id"), "TaskSubmitted JobRunId")
    lake = os.path.join(env["ASL_HOME"], "lake", "raw", "users", "parquet")
    parts = sorted(os.path.relpath(p, lake)
                   for p in glob.glob(lake + "/**/*.parquet", recursive=True))
    check([p.split("/")[0] for p in parts] == ["nat=DE", "nat=FR", "nat=IT"],
          "partition folders: %s" % parts)
    rows = []
    for p in parts:
        r = asl(env, "parquet", "cat", os.path.join(lake, p))
        check(r.returncode == 0, "parquet cat: " + r.stderr)
        rows += [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    ids = sorted(x["id"] for x in rows)
    check(ids == [1, 2, 3, 4, 5], "ids: %s" % ids)
    check(all("nat" not in x for x in rows), "partition column left the files")
    by = {x["id"]: x for x in rows}
    check(by.get(1, {}).get("tags") == '["x"]', "nested value as JSON text")
    check(by.get(4, {}).get("name") is None, "null kept")
    check(by.get(3, {}).get("salary") == 3.25, "double")
    r = asl(env, "parquet", "schema", os.path.join(lake, parts[0]), "--json")
    check(json.loads(r.stdout or "{}").get("codecs") == ["ZSTD"],
          "codec from --codec: %s" % r.stdout[:300])

    # Athena over what Glue wrote
    r = asl(env, "query", "CREATE EXTERNAL TABLE users (id bigint, name "
            "string, age int, salary double) PARTITIONED BY (nat string) "
            "STORED AS PARQUET LOCATION 's3://raw/users/parquet/'")
    check(r.returncode == 0, "create table: " + r.stderr)
    r = asl(env, "query", "SELECT nat, count(*), min(age), max(age) FROM "
            "users GROUP BY nat ORDER BY nat", "--format", "csv")
    check(r.stdout.replace('"', '').split() ==
          ["nat,_col1,_col2,_col3", "DE,2,18,30", "FR,2,22,41", "IT,1,50,50"],
          "athena over parquet: %r %s" % (r.stdout, r.stderr))

    # startJobRun (not .sync) then getJobRun in a later run
    wf = {"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun",
        "Parameters": {"JobName": "to-parquet", "Arguments": {
            "--target": "s3://raw/users/parquet2", "--partition_by": ""}},
        "End": True}}}
    desc, _, r = run(env, tmp, wf, BINDINGS)
    out = json.loads(desc["output"]) if desc else {}
    check(list(out) == ["JobName", "JobRunId"] and
          re.fullmatch(r"jr_[0-9a-f]{64}", out.get("JobRunId", "")),
          "startJobRun response: %s %s" % (out, r.stderr[-500:]))
    wf = {"StartAt": "G", "States": {"G": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getJobRun",
        "Parameters": {"JobName": "to-parquet", "RunId.$": "$.JobRunId"},
        "End": True}}}
    desc, _, r = run(env, tmp, wf, BINDINGS, json.dumps(out))
    got = json.loads(desc["output"]) if desc else {}
    jr = got.get("JobRun", {})
    check(jr.get("Id") == out.get("JobRunId") and
          jr.get("JobRunState") == "SUCCEEDED", "getJobRun: %s" % got)
    check(isinstance(jr.get("StartedOn"), str) and
          jr["StartedOn"].endswith("Z"), "aws-sdk: ISO timestamps")
    check(len(glob.glob(os.path.join(env["ASL_HOME"], "lake", "raw", "users",
                                     "parquet2", "*.parquet"))) == 1,
          "unpartitioned target: one file")

    # a failing run under .sync: States.TaskFailed, JobRun as cause
    wf = {"StartAt": "C", "States": {"C": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "to-parquet", "Arguments": {
            "--source": "s3://nosuchbucket/x"}},
        "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
        "End": True}, "Caught": {"Type": "Pass", "End": True}}}
    desc, _, r = run(env, tmp, wf, BINDINGS)
    out = json.loads(desc["output"]) if desc else {}
    check(out.get("Error") == "States.TaskFailed", "failed run: %s" % out)
    cause = json.loads(out.get("Cause", "{}"))
    check(cause.get("JobRunState") == "FAILED" and
          "nosuchbucket" in cause.get("ErrorMessage", ""), "cause: %s" % cause)

    # an unbound job
    wf = {"StartAt": "C", "States": {"C": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun",
        "Parameters": {"JobName": "nope"}, "End": True}}}
    desc, _, r = run(env, tmp, wf, BINDINGS)
    check(desc and desc["status"] == "FAILED" and
          desc.get("error") == "Glue.EntityNotFoundException",
          "unbound job: %s" % desc)
    # a wrong binding is refused before the run
    desc, _, r = run(env, tmp, wf, {"GlueJobs": {"j": {"builtin": "zip"}}})
    check(r.returncode != 0 and "/GlueJobs/j/builtin" in r.stderr,
          "bad binding: %s" % r.stderr[-300:])

    print("glue: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
