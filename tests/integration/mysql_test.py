#!/usr/bin/env python3
"""mysql_test.py ASL: the mysql-extract built-in and the embedded MariaDB,
through the real `asl` binary against real MariaDB servers (no mocks):

- a throwaway server (tests/fixtures/start_mariadb.sh, its own state file
  and a free port) runs the seed ETL's setup SQL; myschema.users and
  myschema.transactions are exported and their CSV bytes checked, and
  compared with what MariaDB's own SELECT ... INTO OUTFILE writes for the
  same rows (escaping, NULLs, terminators);
- parts: a small part_size splits rows into PREFIX.part_NNNNN without
  splitting a row; a later export removes the old extra parts;
- 1,000,000 rows in bounded memory: the asl process's peak RSS (wait4) stays
  far under the CSV's size, and the CSV is byte for byte what the rows are;
- failures as the seed's pymysql Lambda fails: a wrong password, a missing
  table, a syntax error, a connection KILLed mid-export, a missing password
  variable, a refused "password" member; a Catch that handles one; a Task
  TimeoutSeconds that stops a slow export;
- the embedded server: a binding without host or socket starts it under
  $ASL_HOME/mysql (two runs at once start one server), later runs reuse it
  (same pid), `asl mysql status|sql|stop`, a stale pid file is cleaned up.

Prints "mysql: N passed, N failed".
"""
import datetime
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "start_mariadb.sh")
SAN = "build-san" in ASL
passed = failed = 0

# The seed's extract Lambda (seeds/001, app.py) runs these statements.
SEED_SETUP = [
    "create schema if not exists myschema;",
    "create table if not exists myschema.users as select 1 as id, "
    "current_date() as registration_date union all select 2 as id, "
    "date_sub(current_date(), interval 1 day)  as registration_date;",
    "create table if not exists myschema.transactions as select 1 as "
    "transaction_id, 1 as user_id, 10.99 as total_cost, current_date() as dt "
    "union all select 2 as transaction_id, 2 as user_id, 4.99 as total_cost, "
    "current_date() as dt union all select 3 as transaction_id, 2 as user_id, "
    "4.99 as total_cost, date_sub(current_date(), interval 3 day) as dt union "
    "all select 4 as transaction_id, 1 as user_id, 4.99 as total_cost, "
    "date_sub(current_date(), interval 3 day) as dt union all select 5 as "
    "transaction_id, 1 as user_id, 5.99 as total_cost, "
    "date_sub(current_date(), interval 2 day) as dt union all select 6 as "
    "transaction_id, 1 as user_id, 15.99 as total_cost, "
    "date_sub(current_date(), interval 1 day) as dt union all select 7 as "
    "transaction_id, 1 as user_id, 55.99 as total_cost, "
    "date_sub(current_date(), interval 4 day) as dt ;",
]


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL mysql:", what, file=sys.stderr)


def sanitizer_clean(stderr, what):
    """The sanitizers (build-san) reported nothing: no leak, no error."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) \
        else stderr
    bad = [m for m in ("LeakSanitizer", "AddressSanitizer", "runtime error:")
           if m in text]
    if bad:
        check(False, "%s: sanitizer report: %s" % (what, text[-1500:]))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ, ASL_HOME=self.home)
        self.env.pop("ETL_MYSQL_PASSWORD", None)

    def asl(self, *args, inp=None, env=None, timeout=120):
        r = subprocess.run([ASL] + list(args), input=inp,
                           capture_output=True, env=env or self.env,
                           timeout=timeout)
        sanitizer_clean(r.stderr, "asl " + " ".join(args[:2]))
        return r

    def cat(self, uri):
        r = self.asl("lake", "cat", uri)
        return r.stdout if r.returncode == 0 else None

    def write_wf(self, name, definition, args):
        d = os.path.join(self.tmp, name + ".json")
        with open(d, "w") as f:
            json.dump(definition, f)
        with open(os.path.join(self.tmp, name + ".bindings.json"), "w") as f:
            json.dump({"Functions": {"mysql-lambda": {
                "builtin": "mysql-extract", "args": args}}}, f)
        return d

    def run(self, args, name="wf", definition=None, env=None, popen=False,
            inp=b"{}"):
        """Runs a one-Task workflow; returns DescribeExecution's answer."""
        definition = definition or {"StartAt": "Extract", "States": {
            "Extract": {"Type": "Task", "Resource":
                        "arn:aws:lambda:us-east-1:123456789012:function:"
                        "mysql-lambda", "End": True}}}
        d = self.write_wf(name, definition, args)
        cmd = [ASL, "run", d, "--input", "-", "--describe"]
        if popen:
            return subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env or self.env)
        r = subprocess.run(cmd, input=inp, capture_output=True,
                           env=env or self.env, timeout=180)
        sanitizer_clean(r.stderr, "run " + name)
        try:
            return json.loads(r.stdout)
        except ValueError:
            print(r.stdout[:400], r.stderr[:1500], file=sys.stderr)
            return {}


def output(desc):
    try:
        return json.loads(desc.get("output", "null"))
    except ValueError:
        return None


def failure(desc):
    """(error, cause dict) of a FAILED execution."""
    try:
        return desc.get("error"), json.loads(desc.get("cause", "{}"))
    except ValueError:
        return desc.get("error"), {}


class Server:
    """A throwaway MariaDB (tests/fixtures/start_mariadb.sh)."""

    def __init__(self, tmp):
        self.state = os.path.join(tmp, "mdb.state")
        self.port = free_port()
        self.password = "pw-%d" % os.getpid()
        self.env = dict(os.environ, MDB_STATE=self.state,
                        MDB_ROOT_PASSWORD=self.password)
        subprocess.run(["bash", FIXTURE, "start", str(self.port)],
                       env=self.env, capture_output=True, timeout=120)
        self.vars = {}
        if os.path.exists(self.state):
            for line in open(self.state):
                k, _, v = line.strip().partition("=")
                self.vars[k] = v
        self.ok = "MDB_SOCKET" in self.vars

    def sql(self, statement, batch=True):
        r = subprocess.run(
            ["mariadb", "--no-defaults", "--socket=" + self.vars["MDB_SOCKET"],
             "-uroot", "-p" + self.password, "-N", "-B", "-e", statement],
            capture_output=True, timeout=60)
        return r.stdout.decode()

    def stop(self):
        subprocess.run(["bash", FIXTURE, "stop"], env=self.env,
                       capture_output=True, timeout=120)


def conn(srv):
    return {"host": "127.0.0.1", "port": srv.port, "user": "root",
            "database": "mysql", "password_env": "ETL_MYSQL_PASSWORD"}


def test_seed(e, srv, env):
    args = {"connection": conn(srv), "setup": SEED_SETUP, "exports": [
        {"table": "myschema.users",
         "to": "s3://asl-datalake/data/myschema/users/users"},
        {"table": "myschema.transactions",
         "to": "s3://asl-datalake/data/myschema/transactions/transactions"}]}
    d = e.run(args, env=env)
    check(d.get("status") == "SUCCEEDED", "seed extract succeeds: %s" % d)
    out = output(d) or {}
    today = datetime.date.fromisoformat(srv.sql("SELECT CURRENT_DATE()")
                                        .strip())

    def day(n):
        return (today - datetime.timedelta(days=n)).isoformat()

    users = "1,%s\n2,%s\n" % (day(0), day(1))
    trans = "".join("%d,%d,%s,%s\n" % r for r in [
        (1, 1, "10.99", day(0)), (2, 2, "4.99", day(0)),
        (3, 2, "4.99", day(3)), (4, 1, "4.99", day(3)),
        (5, 1, "5.99", day(2)), (6, 1, "15.99", day(1)),
        (7, 1, "55.99", day(4))])
    got_u = e.cat("s3://asl-datalake/data/myschema/users/users.part_00000")
    got_t = e.cat("s3://asl-datalake/data/myschema/transactions/"
                  "transactions.part_00000")
    check(got_u == users.encode(), "users CSV: %r" % got_u)
    check(got_t == trans.encode(), "transactions CSV: %r" % got_t)
    want = {"exports": [
        {"source": "myschema.users", "rows": 2, "bytes": len(users),
         "objects": ["s3://asl-datalake/data/myschema/users/"
                     "users.part_00000"]},
        {"source": "myschema.transactions", "rows": 7, "bytes": len(trans),
         "objects": ["s3://asl-datalake/data/myschema/transactions/"
                     "transactions.part_00000"]}],
        "setup_statements": 3}
    check(out == want, "seed result: %s" % out)
    # the same server over its Unix socket
    d = e.run({"connection": {"socket": srv.vars["MDB_SOCKET"],
                              "user": "root",
                              "password_env": "ETL_MYSQL_PASSWORD"},
               "exports": [{"table": "myschema.users",
                            "to": "s3://asl-datalake/sock/users"}]}, env=env)
    check(d.get("status") == "SUCCEEDED" and
          e.cat("s3://asl-datalake/sock/users.part_00000") == users.encode(),
          "export over a Unix socket: %s" % d.get("status"))
    # a second run: CREATE ... IF NOT EXISTS keeps the tables, same bytes
    d = e.run(args, env=env)
    check(d.get("status") == "SUCCEEDED" and e.cat(
        "s3://asl-datalake/data/myschema/users/users.part_00000") ==
        users.encode(), "second run, same users CSV")


def test_outfile_oracle(e, srv, env):
    """Our bytes against MariaDB's own SELECT ... INTO OUTFILE."""
    srv.sql("CREATE TABLE IF NOT EXISTS myschema.odd (id INT, s VARCHAR(40), "
            "b VARBINARY(10), n DECIMAL(8,3), f DOUBLE, d DATETIME)")
    srv.sql("INSERT INTO myschema.odd VALUES "
            "(1, 'a,b', 'x\\\\y', 1.5, 0.25, '2024-02-29 10:11:12'),"
            "(2, NULL, NULL, NULL, NULL, NULL),"
            "(3, 'line\\nbreak\\ttab', CONCAT('z', CHAR(0), 'z'), -0.001, "
            "1e30, '1999-12-31 23:59:59'),"
            "(4, '', 'p|q', 12345.678, -2.5, '2000-01-01 00:00:00'),"
            "(5, 'caf\u00e9 \\\\N', 'r\\r\\n', 0, 3, NULL)")
    cases = [(",", "\n"), ("|", "\r\n"), (".", "\n"), ("\t", "\n")]
    for i, (ft, lt) in enumerate(cases):
        path = os.path.join(srv.vars["MDB_DIR"], "tmp", "oracle%d.txt" % i)
        sq = lambda s: "'" + s.replace("\\", "\\\\").replace(
            "\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'"
        srv.sql("SELECT * FROM myschema.odd ORDER BY id INTO OUTFILE '%s' "
                "FIELDS TERMINATED BY %s LINES TERMINATED BY %s"
                % (path, sq(ft), sq(lt)))
        try:
            want = open(path, "rb").read()
        except OSError:
            want = None
        uri = "s3://asl-datalake/odd/o%d" % i
        d = e.run({"connection": conn(srv), "exports": [
            {"query": "SELECT * FROM myschema.odd ORDER BY id", "to": uri,
             "fields_terminated_by": ft, "lines_terminated_by": lt}]},
            env=env)
        got = e.cat(uri + ".part_00000")
        check(want is not None and got == want,
              "FIELDS %r LINES %r: as INTO OUTFILE writes:\n got  %r\n want %r"
              % (ft, lt, got, want))


def test_parts(e, srv, env):
    q = ("SELECT seq, REPEAT('x', seq % 37) FROM seq_1_to_500")
    whole = None
    d = e.run({"connection": conn(srv), "exports": [
        {"query": q, "to": "s3://asl-datalake/parts/p"}]}, env=env)
    if d.get("status") == "SUCCEEDED":
        whole = e.cat("s3://asl-datalake/parts/p.part_00000")
    d = e.run({"connection": conn(srv), "part_size": 1000, "exports": [
        {"query": q, "to": "s3://asl-datalake/parts/p"}]}, env=env)
    out = output(d) or {}
    ex = (out.get("exports") or [{}])[0]
    n = ex.get("parts", len(ex.get("objects", [])))
    check(d.get("status") == "SUCCEEDED" and n > 5,
          "part_size 1000 gives several parts: %s" % ex.get("objects"))
    parts = [e.cat("s3://asl-datalake/parts/p.part_%05d" % i)
             for i in range(n)]
    check(all(p is not None for p in parts) and b"".join(parts) == whole,
          "the parts, joined, are the one-part export")
    check(all(p.endswith(b"\n") for p in parts if p),
          "no row is split across parts")
    check(all(len(p) >= 1000 for p in parts[:-1]) and
          all(len(p) - len(p.rstrip(b"\n").rsplit(b"\n", 1)[-1]) - 1 < 1000
              for p in parts[:-1]),
          "a part ends with the row that reaches part_size")
    check(ex.get("rows") == 500 and ex.get("bytes") == len(whole or b""),
          "rows and bytes: %s" % {k: ex.get(k) for k in ("rows", "bytes")})
    # OVERWRITE ON: a later one-part export leaves only part_00000
    d = e.run({"connection": conn(srv), "exports": [
        {"query": "SELECT 1", "to": "s3://asl-datalake/parts/p"}]}, env=env)
    ls = e.asl("lake", "ls", "s3://asl-datalake/parts/").stdout.decode()
    check(d.get("status") == "SUCCEEDED" and ls.count("part_") == 1 and
          e.cat("s3://asl-datalake/parts/p.part_00000") == b"1\n",
          "old parts removed: %s" % ls)


def big_rows(n):
    """The CSV the big table must give, computed here."""
    h = hashlib.sha256()
    base = datetime.date(2020, 1, 1)
    buf = []
    for i in range(1, n + 1):
        note = "\\N" if i % 7 == 0 else ("a\\,b\\\\c" if i % 11 == 0
                                          else "plain")
        buf.append("%d,user%d,%s,%d.%02d,%s\n" % (
            i, i, note, i // 100, i % 100,
            (base + datetime.timedelta(days=i % 1000)).isoformat()))
        if len(buf) == 10000:
            h.update("".join(buf).encode())
            buf = []
    h.update("".join(buf).encode())
    return h.hexdigest()


def test_big(e, srv, env):
    # 1,000,000 rows on both builds: the ASan build streams them in about
    # 2 s here, as its per-row work allocates nothing (use_result rows and a
    # fixed write buffer). Peak RSS: ASan's shadow memory and allocator
    # double the baseline, so its bound is looser.
    n = 1000000
    # the rows come straight from the Sequence engine (no table to fill
    # first: the test stays quick), typed as a table's columns would be
    q = ("SELECT seq AS id, CONCAT('user', seq) AS name, "
         "IF(seq % 7 = 0, NULL, IF(seq % 11 = 0, 'a,b\\\\c', 'plain')) AS note, "
         "CAST(seq / 100 AS DECIMAL(10,2)) AS amount, "
         "DATE_ADD(DATE '2020-01-01', INTERVAL seq % 1000 DAY) AS d "
         "FROM seq_1_to_" + str(n))
    p = e.run({"connection": conn(srv), "exports": [
        {"query": q, "to": "s3://asl-datalake/big/big"}]},
        env=env, popen=True)
    t0 = time.monotonic()
    p.stdin.write(b"{}")
    p.stdin.close()
    stdout = p.stdout.read()
    sanitizer_clean(p.stderr.read(), "big export")
    _, status, ru = os.wait4(p.pid, 0)
    el = time.monotonic() - t0
    p.returncode = 0
    rss_mib = ru.ru_maxrss / 1024.0
    try:
        d = json.loads(stdout)
    except ValueError:
        d = {}
    ex = ((output(d) or {}).get("exports") or [{}])[0]
    size = ex.get("bytes", 0)
    print("mysql: %d rows, %.1f MB CSV in %.2f s, peak RSS %.1f MiB"
          % (n, size / 1e6, el, rss_mib))
    check(d.get("status") == "SUCCEEDED" and ex.get("rows") == n,
          "big export: %s" % ex)
    bound = 64 if SAN else 32
    check(rss_mib < bound and rss_mib * 1024 * 1024 < size,
          "peak RSS %.1f MiB stays under %d MiB and under the CSV's %.1f MB"
          % (rss_mib, bound, size / 1e6))
    # the file's bytes, streamed from asl lake cat
    h = hashlib.sha256()
    lines = 0
    c = subprocess.Popen([ASL, "lake", "cat",
                          "s3://asl-datalake/big/big.part_00000"],
                         stdout=subprocess.PIPE, env=e.env)
    for chunk in iter(lambda: c.stdout.read(1 << 20), b""):
        h.update(chunk)
        lines += chunk.count(b"\n")
    c.wait()
    check(lines == n, "the CSV has %d lines, want %d" % (lines, n))
    check(h.hexdigest() == big_rows(n), "the CSV's bytes are the rows")


def test_errors(e, srv, env):
    bad = dict(env, ETL_MYSQL_PASSWORD="wrong")
    d = e.run({"connection": conn(srv), "exports": []}, env=bad)
    err, cause = failure(d)
    check(d.get("status") == "FAILED" and err == "OperationalError" and
          cause.get("errorMessage", "").startswith(
              "(1045, \"Access denied for user 'root'@'"),
          "wrong password: %s %s" % (err, cause))
    d = e.run({"connection": conn(srv), "exports": [
        {"table": "myschema.nope", "to": "s3://asl-datalake/n/n"}]}, env=env)
    err, cause = failure(d)
    check(err == "ProgrammingError" and cause == {
        "errorType": "ProgrammingError",
        "errorMessage": "(1146, \"Table 'myschema.nope' doesn't exist\")"},
        "missing table: %s %s" % (err, cause))
    check(e.cat("s3://asl-datalake/n/n.part_00000") is None,
          "a failed export publishes nothing")
    d = e.run({"connection": conn(srv), "setup": ["SELEC 1"]}, env=env)
    err, cause = failure(d)
    check(err == "ProgrammingError" and cause.get("errorMessage", "")
          .startswith("(1064, \"You have an error in your SQL syntax;"),
          "syntax error: %s %s" % (err, cause))
    d = e.run({"connection": conn(srv), "setup": [
        "CREATE TABLE IF NOT EXISTS myschema.k (id INT PRIMARY KEY)",
        "INSERT INTO myschema.k VALUES (1)",
        "INSERT INTO myschema.k VALUES (1)"]}, env=env)
    err, cause = failure(d)
    check(err == "IntegrityError" and cause.get("errorMessage") ==
          "(1062, \"Duplicate entry '1' for key 'PRIMARY'\")",
          "duplicate key: %s %s" % (err, cause))
    d = e.run({"connection": conn(srv), "exports": []}, env=e.env)
    err, cause = failure(d)
    check(err == "KeyError" and "ETL_MYSQL_PASSWORD" in
          cause.get("errorMessage", ""),
          "missing password variable named: %s %s" % (err, cause))
    # a password in the bindings: refused when they load, with its place
    c = dict(conn(srv), password="secret")
    e.write_wf("pw", {"StartAt": "P", "States": {"P": {"Type": "Pass",
                                                      "End": True}}},
               {"connection": c, "exports": []})
    r = e.asl("run", os.path.join(e.tmp, "pw.json"), "--input", "-",
              inp=b"{}", env=env)
    msg = r.stderr.decode()
    check(r.returncode == 65 and "/Functions/mysql-lambda/args/connection/"
          "password: " in msg and "password_env" in msg and
          "secret" not in msg, "bindings with a password: %r" % msg)
    # ... and in the Task's input: the Task fails, the password unshown
    d = e.run({"exports": []}, inp=json.dumps({"connection": c}).encode(),
              env=env)
    err, cause = failure(d)
    check(err == "ValueError" and "password_env" in
          cause.get("errorMessage", "") and "secret" not in d.get("cause"),
          "a password member in the input is refused: %s %s" % (err, cause))
    d = e.run({"connection": dict(conn(srv), port=free_port()),
               "exports": []}, env=env)
    err, cause = failure(d)
    check(err == "OperationalError" and cause.get("errorMessage") ==
          "(2003, \"Can't connect to MySQL server on '127.0.0.1' "
          "([Errno 111] Connection refused)\")",
          "refused connection: %s %s" % (err, cause))
    d = e.run({"connection": conn(srv), "exports": [
        {"query": "DO 1", "to": "s3://asl-datalake/do/do"}]}, env=env)
    err, cause = failure(d)
    check(err == "ValueError" and "no result set" in
          cause.get("errorMessage", ""), "an export without rows: %s %s"
          % (err, cause))
    d = e.run({"connection": conn(srv), "exports": [
        {"table": "myschema.users", "to": "s3://no-such-bucket/u"}]}, env=env)
    err, cause = failure(d)
    check(err == "OperationalError" and "NoSuchBucket" in
          cause.get("errorMessage", ""), "missing bucket: %s %s" % (err, cause))


def test_killed(e, srv, env):
    """KILL the extract's connection from another client mid-export."""
    p = e.run({"connection": conn(srv), "exports": [
        {"query": "SELECT seq, SLEEP(0.01) FROM seq_1_to_2000",
         "to": "s3://asl-datalake/kill/k"}]}, env=env, popen=True)
    p.stdin.write(b"{}")
    p.stdin.close()
    killed = False
    for _ in range(100):
        ids = srv.sql("SELECT id FROM information_schema.processlist WHERE "
                      "info LIKE 'SELECT seq, SLEEP%'").split()
        if ids:
            time.sleep(0.3)  # some rows are out
            srv.sql("KILL " + ids[0])
            killed = True
            break
        time.sleep(0.05)
    out = p.stdout.read()
    sanitizer_clean(p.stderr.read(), "killed export")
    p.wait()
    try:
        d = json.loads(out)
    except ValueError:
        d = {}
    err, cause = failure(d)
    check(killed and err == "OperationalError" and cause.get(
        "errorMessage", "").startswith("(2013, 'Lost connection to MySQL "
                                       "server during query"),
          "killed connection: %s %s" % (err, cause))
    check(e.cat("s3://asl-datalake/kill/k.part_00000") is None,
          "nothing published after the kill")


def test_catch_and_timeout(e, srv, env):
    definition = {"StartAt": "Extract", "States": {
        "Extract": {"Type": "Task", "Resource":
                    "arn:aws:lambda:us-east-1:123456789012:function:"
                    "mysql-lambda",
                    "Catch": [{"ErrorEquals": ["ProgrammingError"],
                               "ResultPath": "$.error", "Next": "Handled"}],
                    "End": True},
        "Handled": {"Type": "Pass", "End": True}}}
    d = e.run({"connection": conn(srv), "exports": [
        {"table": "myschema.nope", "to": "s3://asl-datalake/n/n"}]},
        name="catch", definition=definition, env=env)
    out = output(d) or {}
    er = out.get("error") or {}
    check(d.get("status") == "SUCCEEDED" and
          er.get("Error") == "ProgrammingError" and
          "doesn't exist" in er.get("Cause", ""),
          "Catch handles ProgrammingError: %s" % out)
    definition = {"StartAt": "Extract", "States": {
        "Extract": {"Type": "Task", "Resource":
                    "arn:aws:lambda:us-east-1:123456789012:function:"
                    "mysql-lambda", "TimeoutSeconds": 1, "End": True}}}
    t0 = time.monotonic()
    d = e.run({"connection": conn(srv), "exports": [
        {"query": "SELECT SLEEP(20)", "to": "s3://asl-datalake/t/t"}]},
        name="slow", definition=definition, env=env)
    el = time.monotonic() - t0
    check(d.get("status") == "FAILED" and d.get("error") == "States.Timeout"
          and el < 6, "TimeoutSeconds stops the export: %s in %.1f s"
          % (d.get("error"), el))


def gone(pid):
    """pid has ended (a zombie not yet reaped by init counts as ended)."""
    try:
        stat = open("/proc/%d/stat" % pid).read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def mariadbd_pids(home):
    pids = []
    for p in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            cmd = open(p, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"mariadbd") and any(
                a == ("--datadir=%s/mysql/data" % home).encode()
                for a in cmd):
            pids.append(int(p.split("/")[2]))
    return pids


def test_embedded(e):
    home = os.path.realpath(e.home)
    args = {"setup": ["CREATE SCHEMA IF NOT EXISTS s",
                      "CREATE TABLE IF NOT EXISTS s.t AS SELECT 1 AS a, "
                      "'x' AS b"],
            "exports": [{"table": "s.t", "to": "s3://asl-datalake/emb/t"}]}
    # two runs at once on a fresh $ASL_HOME: one server
    ps = [e.run(args, name="emb%d" % i, popen=True) for i in range(2)]
    for p in ps:
        p.stdin.write(b"{}")
        p.stdin.close()
    descs = []
    for p in ps:
        out = p.stdout.read()
        sanitizer_clean(p.stderr.read(), "concurrent first runs")
        p.wait()
        try:
            descs.append(json.loads(out))
        except ValueError:
            descs.append({})
    check(all(d.get("status") == "SUCCEEDED" for d in descs),
          "two first runs on the embedded server: %s" % descs)
    check(e.cat("s3://asl-datalake/emb/t.part_00000") == b"1,x\n",
          "embedded export's CSV")
    pids = mariadbd_pids(home)
    check(len(pids) == 1, "one mariadbd for $ASL_HOME: %s" % pids)
    st = os.stat(os.path.join(home, "mysql"))
    check(st.st_mode & 0o777 == 0o700, "$ASL_HOME/mysql is 0700")
    r = e.asl("mysql", "status")
    want = "running: pid %d, socket %s/mysql/mysqld.sock\n" % (
        pids[0] if pids else -1, home)
    check(r.returncode == 0 and r.stdout.decode() == want,
          "asl mysql status: %r" % r.stdout)
    d = e.run(args, name="emb2")
    check(d.get("status") == "SUCCEEDED" and mariadbd_pids(home) == pids,
          "a later run reuses the server (same pid)")
    r = e.asl("mysql", "sql", "SELECT a, b, NULL FROM s.t")
    check(r.stdout == b"1\tx\tNULL\n", "asl mysql sql: %r" % r.stdout)
    r = e.asl("mysql", "sql", "SELECT * FROM s.nope")
    check(r.returncode == 1 and b"1146" in r.stderr,
          "asl mysql sql error: %r" % r.stderr)
    r = e.asl("mysql", "stop")
    check(r.returncode == 0 and mariadbd_pids(home) == [] and
          all(gone(p) for p in pids),
          "asl mysql stop: the pid is gone: %r" % r.stdout)
    r = e.asl("mysql", "status")
    check(r.returncode == 3 and r.stdout == b"not running\n",
          "status after stop: %r" % r.stdout)
    # a stale pid file (a server that died): cleaned up, a new server
    with open(os.path.join(home, "mysql", "mysqld.pid"), "w") as f:
        f.write("%d\n" % os.getpid())  # alive, but not mariadbd
    r = e.asl("mysql", "start")
    new = mariadbd_pids(home)
    check(r.returncode == 0 and len(new) == 1 and new != pids,
          "start past a stale pid file: %r %s" % (r.stdout, new))
    d = e.run(args, name="emb3")
    check(d.get("status") == "SUCCEEDED", "the data survived the restart")
    e.asl("mysql", "stop")
    check(mariadbd_pids(home) == [], "stopped at the end")


def main():
    tmp = tempfile.mkdtemp(prefix="asl_mysql_")
    srv = None
    times = []
    try:
        e = Env(tmp)
        e.asl("lake", "mb", "s3://asl-datalake")
        t0 = time.monotonic()
        srv = Server(tmp)
        check(srv.ok, "the throwaway MariaDB started")
        if srv.ok:
            env = dict(e.env, ETL_MYSQL_PASSWORD=srv.password)
            for t in (test_seed, test_outfile_oracle, test_parts, test_errors,
                      test_killed, test_catch_and_timeout, test_big):
                t1 = time.monotonic()
                t(e, srv, env)
                times.append("%s %.1f" % (t.__name__[5:],
                                          time.monotonic() - t1))
        t1 = time.monotonic()
        test_embedded(e)
        times.append("embedded %.1f" % (time.monotonic() - t1))
        print("mysql: took %.1f s (%s)" % (time.monotonic() - t0,
                                           ", ".join(times)))
    finally:
        if srv:
            srv.stop()
        # never leave an embedded server behind, whatever failed
        if os.path.isdir(os.path.join(tmp, "home", "mysql")):
            subprocess.run([ASL, "mysql", "stop"], capture_output=True,
                           env=dict(os.environ,
                                    ASL_HOME=os.path.join(tmp, "home")))
        shutil.rmtree(tmp, ignore_errors=True)
    print("mysql: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
