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


def put_text(env, tmp, key, text):
    p = os.path.join(tmp, "in")
    with open(p, "w", newline="") as f:
        f.write(text)
    r = asl(env, "lake", "put", p, "s3://raw/" + key)
    check(r.returncode == 0, "lake put: " + r.stderr)


def convert_job(env, tmp, arguments):
    """Runs the bound job `conv` under .sync with the given Arguments;
    answers (JobRun or the failure's cause, the written files relative to
    the target, the rows read back from them)."""
    wf = {"StartAt": "C", "States": {"C": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "conv", "Arguments": arguments},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
        "End": True}, "F": {"Type": "Pass", "End": True}}}
    desc, _, r = run(env, tmp, wf, {"GlueJobs": {"conv": {
        "builtin": "convert", "args": {}}}})
    out = json.loads(desc["output"]) if desc else {}
    if "Cause" in out:
        try:
            return json.loads(out["Cause"]), [], []
        except json.JSONDecodeError:
            return {"ErrorMessage": out["Cause"]}, [], []
    tgt = arguments.get("--target", "")[5:]
    base = os.path.join(env["ASL_HOME"], "lake", tgt)
    files = sorted(os.path.relpath(p, base) for p in
                   glob.glob(base + "/**/part-*", recursive=True))
    rows = []
    for f in files:
        p = os.path.join(base, f)
        if f.endswith(".parquet"):
            r = asl(env, "parquet", "cat", p)
            rows += [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        elif f.endswith(".json"):
            with open(p) as fh:
                rows += [json.loads(l) for l in fh if l.strip()]
        else:
            import csv
            with open(p, newline="") as fh:
                for d in csv.DictReader(fh):
                    rows.append({k: typed(v) for k, v in d.items()})
    return out, files, rows


def typed(v):
    if v == "":
        return None
    if v in ("true", "false"):
        return v == "true"
    for t in (int, float):
        try:
            return t(v)
        except ValueError:
            pass
    return v


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

    # CSV input (RFC 4180 quoting, header row, inferred types) to each
    # output format, partitioned
    csv_text = ('id,name,score,ok,nat\r\n'
                '1,"Smith, Ann",1.5,true,DE\r\n'
                '2,"say ""hi""",2,false,FR\r\n'
                '3,"two\nlines",,TRUE,DE\r\n'
                '4,,7,false,\r\n')
    put_text(env, tmp, "csvin/a/1.csv", csv_text)
    put_text(env, tmp, "csvin/b.csv", "id,name,score,ok,nat\n5,Zed,9.25,true,IT\n")
    for fmt in ("parquet", "csv", "json"):
        jr, files, rows = convert_job(env, tmp, {
            "--source": "s3://raw/csvin", "--target": "s3://raw/csvout_" + fmt,
            "--format": "csv", "--output_format": fmt,
            "--partition_by": "nat"})
        check(jr.get("JobRunState") == "SUCCEEDED",
              "csv -> %s: %s" % (fmt, jr))
        check(sorted(os.path.dirname(f) for f in files) ==
              ["nat=DE", "nat=FR", "nat=IT", "nat=__HIVE_DEFAULT_PARTITION__"],
              "csv -> %s partitions: %s" % (fmt, files))
        check(all(f.endswith("." + fmt) for f in files), "extension " + fmt)
        by = {x["id"]: x for x in rows}
        check(sorted(by) == [1, 2, 3, 4, 5], "csv -> %s ids: %s" % (fmt, rows))
        check(by.get(1, {}).get("name") == "Smith, Ann" and
              by.get(2, {}).get("name") == 'say "hi"' and
              by.get(3, {}).get("name") == "two\nlines",
              "csv -> %s quoting: %s" % (fmt, rows))
        check(by.get(1, {}).get("score") == 1.5 and
              by.get(2, {}).get("score") == 2 and
              by.get(3, {}).get("score") is None, "csv -> %s doubles" % fmt)
        check(by.get(3, {}).get("ok") is True and by.get(2, {}).get("ok") is
              False, "csv -> %s booleans: %s" % (fmt, by.get(3)))
        check(by.get(4, {}).get("name") is None, "empty field is NULL")
        check(all("nat" not in x for x in rows), "partition column left")
    pq = glob.glob(os.path.join(env["ASL_HOME"], "lake", "raw",
                                "csvout_parquet", "nat=DE", "*.parquet"))
    r = asl(env, "parquet", "schema", pq[0], "--json") if pq else None
    sch = json.loads(r.stdout or "{}") if r else {}
    check([(c.get("name"), c.get("physical")) for c in sch.get("columns", [])]
          == [("id", "INT64"), ("name", "BYTE_ARRAY"), ("score", "DOUBLE"),
              ("ok", "BOOLEAN")], "inferred CSV schema: %s" % sch)
    # the CSV output is RFC 4180 with a header row
    out_csv = glob.glob(os.path.join(env["ASL_HOME"], "lake", "raw",
                                     "csvout_csv", "nat=FR", "*.csv"))
    with open(out_csv[0]) as f:
        txt = f.read()
        check(txt == 'id,name,score,ok\n2,"say ""hi""",2,false\n',
              "csv output text: %r" % txt)

    # header false: the schema names the fields; JSON to CSV
    put_text(env, tmp, "nohead/x.csv", "7,Q,2024-01-02\n8,R,2024-03-04\n")
    jr, files, rows = convert_job(env, tmp, {
        "--source": "s3://raw/nohead", "--target": "s3://raw/nohead_out",
        "--format": "csv", "--header": "false",
        "--schema": "id:int32,name:string,day:date"})
    check(jr.get("JobRunState") == "SUCCEEDED", "header false: %s" % jr)
    check(sorted((x["id"], x["name"], x["day"]) for x in rows) ==
          [(7, "Q", "2024-01-02"), (8, "R", "2024-03-04")],
          "header false rows: %s" % rows)
    jr, files, rows = convert_job(env, tmp, {
        "--source": "s3://raw/users/json", "--target": "s3://raw/users_jsonl",
        "--output_format": "json"})
    check(jr.get("JobRunState") == "SUCCEEDED" and
          sorted(x["id"] for x in rows) == [1, 2, 3, 4, 5] and
          all("name" not in x for x in rows if x["id"] == 4),
          "json -> json lines (NULLs left out): %s" % rows)

    # bad CSV: the object and the line are named
    put_text(env, tmp, "badcsv/ok.csv", "a,b\n1,2\n")
    put_text(env, tmp, "badcsv/z.csv", "a,b\n1,2\n3,4,5\n")
    jr, _, _ = convert_job(env, tmp, {
        "--source": "s3://raw/badcsv", "--target": "s3://raw/badout",
        "--format": "csv"})
    check(jr.get("JobRunState") == "FAILED" and
          "s3://raw/badcsv/z.csv line 3: 3 fields" in jr.get("ErrorMessage", ""),
          "extra field: %s" % jr)
    check(not glob.glob(os.path.join(env["ASL_HOME"], "lake", "raw", "badout",
                                     "*")), "a failed run publishes nothing")
    put_text(env, tmp, "badcsv/z.csv", 'a,b\n1,2\n3,"x"y\n')
    jr, _, _ = convert_job(env, tmp, {
        "--source": "s3://raw/badcsv", "--target": "s3://raw/badout",
        "--format": "csv"})
    check("s3://raw/badcsv/z.csv line 3: not CSV" in jr.get("ErrorMessage", ""),
          "bad quoting: %s" % jr)
    put_text(env, tmp, "badcsv/z.csv", 'a,b\n1,"open\n')
    jr, _, _ = convert_job(env, tmp, {
        "--source": "s3://raw/badcsv", "--target": "s3://raw/badout",
        "--format": "csv"})
    check("z.csv line 2: not CSV" in jr.get("ErrorMessage", ""),
          "unterminated quote: %s" % jr)
    jr, _, _ = convert_job(env, tmp, {
        "--source": "s3://raw/badcsv", "--target": "s3://raw/badout",
        "--output_format": "orc"})
    check("output_format must be parquet, csv or json" in
          jr.get("ErrorMessage", ""), "bad output_format: %s" % jr)
    put_text(env, tmp, "badjson/a.json", '{"a": 1}\n{"a": 2\n')
    jr, _, _ = convert_job(env, tmp, {
        "--source": "s3://raw/badjson", "--target": "s3://raw/badout"})
    check("s3://raw/badjson/a.json line 2: not a JSON object" in
          jr.get("ErrorMessage", ""), "bad JSON line: %s" % jr)

    # save modes: append (the default) adds the run's files beside the
    # target's; overwrite replaces them once the new ones are in place; a
    # failed overwrite leaves the target alone
    put_text(env, tmp, "modes/a.json", '{"a": 1}\n{"a": 2}\n')
    args = {"--source": "s3://raw/modes", "--target": "s3://raw/modesout"}
    _, f1, r1 = convert_job(env, tmp, args)
    _, f2, r2 = convert_job(env, tmp, args)
    check(len(f1) == 1 and len(f2) == 2 and len(r2) == 4,
          "append twice: two files, 4 rows: %s %s" % (f2, r2))
    jr, f3, r3 = convert_job(env, tmp, dict(args, **{"--mode": "overwrite"}))
    check(jr.get("JobRunState") == "SUCCEEDED" and len(f3) == 1 and
          f3[0] not in f2 and sorted(x["a"] for x in r3) == [1, 2],
          "overwrite: one new file, 2 rows: %s %s %s" % (jr, f3, r3))
    put_text(env, tmp, "modes/b.json", '{"a": 3\n')
    jr, _, _ = convert_job(env, tmp, dict(args, **{"--mode": "overwrite"}))
    base = os.path.join(env["ASL_HOME"], "lake", "raw", "modesout")
    f4 = sorted(os.path.relpath(p, base) for p in
                glob.glob(base + "/**/part-*", recursive=True))
    check(jr.get("JobRunState") == "FAILED" and
          "s3://raw/modes/b.json" in jr.get("ErrorMessage", "") and f4 == f3,
          "a failed overwrite keeps the target: %s %s %s" % (jr, f3, f4))
    jr, _, _ = convert_job(env, tmp, dict(args, **{"--mode": "replace"}))
    check("mode must be append or overwrite, not replace" in
          jr.get("ErrorMessage", ""), "bad mode: %s" % jr)

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
