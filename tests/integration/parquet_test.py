#!/usr/bin/env python3
"""parquet_test.py: `asl parquet` against independent readers.

usage: parquet_test.py ASL_BINARY

1. Every fixture in tests/fixtures/parquet (from apache/parquet-testing) is
   read with `asl parquet cat` / `schema --json` and compared with what
   DuckDB and hyparquet recorded for it (duckdb_survey.jsonl,
   hyparquet_survey.jsonl: rows, row groups, codecs, column names and
   physical types, the first row); the delta-encoded file with its expected
   CSV in full; every fixture's rows also with DuckDB reading the same file
   now. The intentionally malformed file must fail with exit 65 and a
   message naming column, page and offset.
2. Files written by `asl parquet write` for every type, null pattern, codec,
   page version and dictionary setting are read back by DuckDB
   (@duckdb/node-api) and hyparquet (tests/node, installed with `npm ci`)
   and by `asl parquet cat`, and compared value by value with the input.

A missing Node.js or a failing `npm ci` fails the test (loudly).
Prints "parquet: N passed, N failed".
"""
import csv
import datetime
import decimal
import glob
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures", "parquet")
NODE_DIR = os.path.join(ROOT, "tests", "node")
ASL = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "asl")

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what, file=sys.stderr)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def ensure_node():
    if not shutil.which("node"):
        check(False, "node is not installed (scripts/deps.sh installs nodejs, npm)")
        return False
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "hyparquet")) or not os.path.isdir(
        os.path.join(NODE_DIR, "node_modules", "@duckdb", "node-api")
    ):
        r = run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, timeout=600)
        if r.returncode != 0:
            check(False, "npm ci in tests/node failed:\n" + r.stdout + r.stderr)
            return False
    return True


def node_read(mode, path):
    r = run(["node", os.path.join(NODE_DIR, "read.mjs"), mode, path], timeout=300)
    if r.returncode != 0:
        check(False, "%s could not read %s: %s" % (mode, path, r.stderr[-2000:]))
        return None
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    if mode == "duckdb":
        return lines[1:]
    return lines


def asl_cat(path):
    r = run([ASL, "parquet", "cat", path], timeout=300)
    if r.returncode != 0:
        check(False, "asl parquet cat %s: %s" % (path, r.stderr))
        return None
    return [json.loads(l, parse_float=decimal.Decimal) for l in r.stdout.splitlines()]


def flatten(o, prefix=""):
    out = {}
    for k, v in o.items():
        if isinstance(v, dict) and "hex" not in v:
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def same_value(ours, theirs):
    """Loose equality for survey values: numbers by value (floats of a FLOAT
    column widened to double), everything else exactly."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return ours == theirs
    if isinstance(theirs, (int, float)) and isinstance(ours, (int, float, decimal.Decimal)):
        return float(ours) == float(theirs)
    if isinstance(ours, int) and isinstance(theirs, str):  # DuckDB's BIGINT
        return str(ours) == theirs
    if isinstance(ours, decimal.Decimal) and isinstance(theirs, str):
        return ours == decimal.Decimal(theirs)
    return ours == theirs


# ------------------------------------------------------------ 1. fixtures


def test_fixtures():
    hyp = {}
    for l in open(os.path.join(FIX, "hyparquet_survey.jsonl")):
        o = json.loads(l)
        hyp[o["file"]] = o
    duck = {}
    for l in open(os.path.join(FIX, "duckdb_survey.jsonl")):
        o = json.loads(l)
        duck[o["name"]] = o
    files = sorted(f for f in os.listdir(FIX) if f.endswith(".parquet"))
    check(len(files) == 19, "19 fixtures copied (found %d)" % len(files))
    for f in files:
        path = os.path.join(FIX, f)
        if f == "nation.dict-malformed.parquet":
            r = run([ASL, "parquet", "cat", path])
            check(r.returncode == 65, "%s: exit %d, want 65" % (f, r.returncode))
            check(
                "column 'name' row group 0 page" in r.stderr and "offset" in r.stderr,
                "%s: message names column, page and offset: %s" % (f, r.stderr),
            )
            check(r.stderr.count("\n") == 1 and "Sanitizer" not in r.stderr, "%s: one clean line" % f)
            continue
        r = run([ASL, "parquet", "schema", "--json", path])
        check(r.returncode == 0, "%s: schema: %s" % (f, r.stderr))
        if r.returncode != 0:
            continue
        meta = json.loads(r.stdout)
        rows = asl_cat(path)
        if rows is None:
            continue
        h, d = hyp.get(f), duck.get(f)
        check(h is not None and d is not None, "%s: in both surveys" % f)
        if not h or not d:
            continue
        check(meta["rows"] == h["rows"] == d["rows"] == len(rows),
              "%s: rows %s/%s/%s/%d" % (f, meta["rows"], h["rows"], d["rows"], len(rows)))
        check(meta["rgs"] == h["rgs"] == d["rgs"], "%s: row groups" % f)
        check(sorted(meta["codecs"]) == sorted(h["codecs"]), "%s: codecs %s vs %s" % (f, meta["codecs"], h["codecs"]))
        check(meta["created_by"] == h["created_by"], "%s: created_by" % f)
        # hyparquet lists "name:PHYSICAL[/CONVERTED]" per leaf (groups as
        # "name:undefined"); we list leaves by dotted path
        want_cols = [c for c in h["cols"] if not c.endswith(":undefined")]
        got_cols = [c["name"].split(".")[-1] + ":" + c["physical"] for c in meta["columns"]]
        check([c.rsplit("/", 1)[0] for c in want_cols] == got_cols,
              "%s: columns %s vs %s" % (f, got_cols, want_cols))
        check(sorted(set(c["physical"] for c in meta["columns"])) == sorted(set(d["phys"])),
              "%s: physical types vs duckdb %s" % (f, d["phys"]))
        first = flatten(h["first"])
        got = rows[0] if rows else {}
        check(list(first.keys()) == list(got.keys()), "%s: first row keys %s" % (f, list(got)))
        for k, v in first.items():
            check(same_value(got.get(k), v), "%s: first row %s: ours %r, hyparquet %r" % (f, k, got.get(k), v))
        yield f, path, rows, meta


def duck_norm(v):
    return v


def test_fixtures_against_duckdb(fixtures):
    """Every fixture's rows, in full, against DuckDB reading it now."""
    for f, path, rows, meta in fixtures:
        dk = node_read("duckdb", path)
        if dk is None:
            continue
        check(len(dk) == len(rows), "%s: duckdb rows %d vs %d" % (f, len(dk), len(rows)))
        types = {c["name"]: c for c in meta["columns"]}
        bad = 0
        for a, b in zip(rows, dk):
            b = flatten(b)
            for k, v in a.items():
                w = b.get(k)
                col = types[k]
                if col["physical"] == "INT96" and isinstance(w, str):
                    w = w.replace(" ", "T")
                    v = v.replace(".000Z", "").rstrip("Z")
                ok = same_value(v, w) or (isinstance(v, str) and isinstance(w, str) and w.startswith(v))
                if v == "NaN" and w == "NaN":
                    ok = True
                if col["physical"] == "BYTE_ARRAY" and col["logical"] == "" and isinstance(v, str):
                    # DuckDB prints BLOBs with \xNN escapes
                    ok = ok or w == "".join(c if 32 <= ord(c) < 127 else "\\x%02X" % ord(c) for c in v)
                if not ok:
                    if bad < 3:
                        print("  %s %s: ours %r, duckdb %r" % (f, k, v, w), file=sys.stderr)
                    bad += 1
        check(bad == 0, "%s: %d values differ from DuckDB" % (f, bad))


def test_delta_csv():
    path = os.path.join(FIX, "delta_encoding_required_column.parquet")
    rows = asl_cat(path) or []
    want = list(csv.reader(open(os.path.join(FIX, "delta_encoding_required_column_expect.csv"))))
    check(len(rows) == len(want) - 1 == 100, "delta: 100 rows")
    bad = sum(1 for a, b in zip(rows, want[1:]) for x, y in zip(a.values(), b) if str(x) != y)
    check(bad == 0, "delta: %d values differ from the expected CSV" % bad)


# ------------------------------------------------------------ 2. writer

SCHEMA = [
    ("b", "bool"), ("i32", "int32"), ("i64", "int64!"), ("f", "float"), ("d", "double"),
    ("s", "string"), ("bin", "binary"), ("dt", "date"), ("ts", "timestamp"),
    ("tsm", "timestamp_ms"), ("d9", "decimal(9,2)"), ("d18", "decimal(18,4)"),
    ("d25", "decimal(25,3)"), ("fx", "fixed(3)"), ("nul", "int64"),
]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def iso_us(us):
    t = EPOCH + datetime.timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def gen_rows(n, seed):
    rnd = random.Random(seed)
    rows = []
    words = ["alpha", "beta", "gamma", "délta", "ε", "", "with,comma", 'q"uote']
    for r in range(n):
        # null patterns: none (i64), all (nul), alternating (b, s), random
        def maybe(col, v):
            if col == "nul":
                return None
            if col in ("b", "s") and r % 2:
                return None
            if col not in ("i64", "b", "s") and rnd.random() < 0.2:
                return None
            return v
        o = {
            "b": maybe("b", rnd.random() < 0.5),
            "i32": maybe("i32", rnd.randint(-2**31, 2**31 - 1)),
            "i64": rnd.randint(-2**53, 2**53),
            "f": maybe("f", rnd.choice([0.5, -1.25, 3.0, 1e10, -0.0])),
            "d": maybe("d", rnd.uniform(-1e6, 1e6)),
            "s": maybe("s", rnd.choice(words) + str(rnd.randint(0, 9))),
            "bin": maybe("bin", "bin%d" % rnd.randint(0, 10**6)),
            "dt": maybe("dt", (datetime.date(1970, 1, 1) + datetime.timedelta(days=rnd.randint(-30000, 30000))).isoformat()),
            "ts": maybe("ts", iso_us(rnd.randint(-2 * 10**15, 4 * 10**15))),
            "tsm": maybe("tsm", iso_us(rnd.randint(-2 * 10**12, 4 * 10**12) * 1000)),
            "d9": maybe("d9", str(decimal.Decimal(rnd.randint(-10**9 + 1, 10**9 - 1)).scaleb(-2))),
            "d18": maybe("d18", str(decimal.Decimal(rnd.randint(-10**18 + 1, 10**18 - 1)).scaleb(-4))),
            "d25": maybe("d25", str(decimal.Decimal(rnd.randint(-2**63 + 1, 2**63 - 1)).scaleb(-3))),
            "fx": maybe("fx", "".join(rnd.choice("abcxyz") for _ in range(3))),
            "nul": None,
        }
        rows.append(o)
    return rows


def ts_micros(v):
    """Our ISO string, DuckDB's '2024-01-01 10:00:00.123+00' or hyparquet's
    ISO milliseconds -> microseconds since the epoch."""
    s = v.replace(" ", "T").replace("+00", "").rstrip("Z")
    if "." in s:
        main, frac = s.split(".")
    else:
        main, frac = s, ""
    t = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    delta = t - EPOCH
    return (delta.days * 86400 + delta.seconds) * 10**6 + int((frac + "000000")[:6])


def norm(col, typ, v, reader):
    """A value as one comparable Python value; reader tells how lossy the
    reader is (hyparquet: JS numbers for decimals, Date for timestamps)."""
    if v is None:
        return None
    base = typ.rstrip("!")
    if base == "bool":
        return bool(v)
    if base in ("int32", "int64"):
        return int(v)
    if base == "float":
        return float(v)
    if base == "double":
        return float(v)
    if base in ("string", "binary", "fixed(3)"):
        if isinstance(v, dict):
            return bytes.fromhex(v["hex"]).decode("utf-8")
        return v
    if base == "date":
        return v[:10]
    if base.startswith("timestamp"):
        us = ts_micros(v)
        if reader == "hyparquet":
            # hyparquet makes a JS Date: milliseconds, the BigInt division
            # truncating toward zero
            return -((-us) // 1000) if us < 0 else us // 1000
        return us
    if base.startswith("decimal"):
        if reader == "hyparquet":
            return float(decimal.Decimal(str(v)))
        return decimal.Decimal(str(v))
    return v


def compare(rows, got, reader, what):
    if got is None:
        return
    check(len(got) == len(rows), "%s %s: %d rows, want %d" % (what, reader, len(got), len(rows)))
    bad = 0
    for want, have in zip(rows, got):
        for col, typ in SCHEMA:
            a = norm(col, typ, want[col], reader)
            b = norm(col, typ, have.get(col), reader)
            if reader == "hyparquet" and isinstance(a, float) and isinstance(b, float):
                # hyparquet turns decimals into JS numbers by a division
                # that can be off by an ulp or two
                ok = math.isclose(a, b, rel_tol=1e-15, abs_tol=1e-12)
            else:
                ok = a == b and type(a) == type(b)
            if not ok:
                if bad < 3:
                    print("  %s %s %s: want %r got %r" % (what, reader, col, a, b), file=sys.stderr)
                bad += 1
    check(bad == 0, "%s %s: %d values differ" % (what, reader, bad))


def test_writer(tmp, have_node):
    spec = ",".join("%s:%s" % c for c in SCHEMA)
    rows = gen_rows(2000, 42)
    src = os.path.join(tmp, "in.jsonl")
    with open(src, "w") as fh:
        for o in rows:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")
    for codec in ("none", "snappy", "gzip", "zstd"):
        for v2 in (False, True):
            for nodict in (False, True):
                what = "%s%s%s" % (codec, " v2" if v2 else " v1", " plain" if nodict else " dict")
                out = os.path.join(tmp, "w_%s_%d_%d.parquet" % (codec, v2, nodict))
                args = [ASL, "parquet", "write", "--schema", spec, "--codec", codec, "--row-group", "700"]
                if v2:
                    args.append("--page-v2")
                if nodict:
                    args.append("--no-dict")
                r = run(args + [src, out])
                check(r.returncode == 0, "%s: write: %s" % (what, r.stderr))
                if r.returncode != 0:
                    continue
                meta = json.loads(run([ASL, "parquet", "schema", "--json", out]).stdout)
                check(meta["rgs"] == 3 and meta["rows"] == 2000, "%s: 3 row groups of 2000 rows" % what)
                compare(rows, asl_cat(out), "asl", what)
                if have_node:
                    compare(rows, node_read("duckdb", out), "duckdb", what)
                    compare(rows, node_read("hyparquet", out), "hyparquet", what)
    # a dictionary that passes 1 MiB: dictionary pages, then PLAIN ones
    src2 = os.path.join(tmp, "unique.jsonl")
    uniq = [{"u": None if r % 7 == 0 else "unique-value-%08d-padding-padding" % r, "n": r} for r in range(60000)]
    with open(src2, "w") as fh:
        for o in uniq:
            fh.write(json.dumps(o) + "\n")
    out = os.path.join(tmp, "unique.parquet")
    r = run([ASL, "parquet", "write", "--schema", "u:string,n:int64!", "--codec", "snappy", src2, out])
    check(r.returncode == 0, "unique: write %s" % r.stderr)
    readers = [("asl", asl_cat(out))]
    if have_node:
        readers += [("duckdb", node_read("duckdb", out)), ("hyparquet", node_read("hyparquet", out))]
    for name, got in readers:
        ok = got is not None and len(got) == 60000 and all(
            g.get("u") == o["u"] and int(g.get("n")) == o["n"] for g, o in zip(got, uniq))
        check(ok, "dictionary fallback read by %s" % name)
    # no rows at all: a footer without row groups
    empty = os.path.join(tmp, "empty.parquet")
    r = run([ASL, "parquet", "write", "--schema", "a:int64,b:string", os.devnull, empty])
    check(r.returncode == 0, "empty: write %s" % r.stderr)
    check(asl_cat(empty) == [], "empty: asl reads no rows")
    if have_node:
        check(node_read("duckdb", empty) == [], "empty: duckdb reads no rows")
        check(node_read("hyparquet", empty) == [], "empty: hyparquet reads no rows")
    # bad input: a clear message naming the line and column, exit 65
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as fh:
        fh.write('{"a": 1}\n{"a": "x"}\n')
    r = run([ASL, "parquet", "write", "--schema", "a:int64", bad, os.path.join(tmp, "bad.parquet")])
    check(r.returncode == 65 and "line 2 column 'a'" in r.stderr, "bad input: %d %s" % (r.returncode, r.stderr))
    check(not os.path.exists(os.path.join(tmp, "bad.parquet")), "bad input leaves no file")
    r = run([ASL, "parquet", "write", "--schema", "a:int65", bad, os.path.join(tmp, "bad.parquet")])
    check(r.returncode == 64 and "unknown type" in r.stderr, "bad schema: %s" % r.stderr)
    r = run([ASL, "parquet", "cat", os.path.join(tmp, "nope.parquet")])
    check(r.returncode == 66, "missing file: exit %d" % r.returncode)
    # CSV output
    r = run([ASL, "parquet", "cat", "--format", "csv", "--columns", "i64,s", os.path.join(tmp, "w_none_0_0.parquet")])
    lines = list(csv.reader(r.stdout.splitlines()))
    check(r.returncode == 0 and lines[0] == ["i64", "s"] and len(lines) == 2001, "csv output")
    check(all(int(l[0]) == o["i64"] and l[1] == (o["s"] or "") for l, o in zip(lines[1:], rows)), "csv values")


def test_ctas(tmp, have_node):
    """Athena CTAS writes Parquet that DuckDB and hyparquet read back with
    the same rows `asl query` returns for the source query; a partitioned
    CTAS puts one file per partition folder."""
    env = dict(os.environ, ASL_HOME=os.path.join(tmp, "ctas_home"))
    def q(sql):
        r = run([ASL, "query", sql, "--format", "json"], env=env, timeout=120)
        check(r.returncode == 0, "query %s: %s" % (sql[:60], r.stderr))
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return []
    r = run([ASL, "lake", "mb", "s3://raw"], env=env)
    check(r.returncode == 0, "mb: " + r.stderr)
    q("CREATE TABLE src (id bigint, name string, amount double, day date, "
      "ts timestamp, price decimal(10,2), ok boolean, n int) "
      "TBLPROPERTIES ('table_type'='iceberg')")
    vals = []
    for i in range(1, 301):
        vals.append("(%d, %s, %s, DATE '2026-01-%02d', %s, %s, %s, %s)" % (
            i, "NULL" if i % 11 == 0 else "'name %d, \"q\" é'" % i,
            "NULL" if i % 7 == 0 else "%d.25" % i, 1 + i % 3,
            "NULL" if i % 5 == 0 else "TIMESTAMP '2026-02-03 04:05:%02d.%03d'" % (i % 60, i),
            "NULL" if i % 13 == 0 else "%d.%02d" % (i, i % 100),
            "NULL" if i % 17 == 0 else ("true" if i % 2 else "false"), i * 1000))
    q("INSERT INTO src VALUES " + ", ".join(vals))
    q("CREATE TABLE t WITH (format = 'PARQUET', external_location = "
      "'s3://raw/ctas/t/', partitioned_by = ARRAY['day'], write_compression "
      "= 'SNAPPY') AS SELECT id, name, amount, ts, price, ok, n, day FROM src")
    want = {str(o["id"]): o for o in
            q("SELECT id, name, amount, ts, price, ok, n, day FROM src")}
    got_sql = {str(o["id"]): o for o in q("SELECT * FROM t")}
    check(len(want) == 300 and got_sql == want,
          "ctas: SELECT from the table = the source query (%d vs %d rows)"
          % (len(got_sql), len(want)))
    files = sorted(glob.glob(os.path.join(env["ASL_HOME"], "lake", "raw", "ctas",
                                          "t", "*", "*")))
    check([os.path.basename(os.path.dirname(f)) for f in files] ==
          ["day=2026-01-01", "day=2026-01-02", "day=2026-01-03"],
          "ctas: one file per partition: %s" % files)
    readers = [("asl", asl_cat)]
    if have_node:
        readers += [("duckdb", lambda f: node_read("duckdb", f)),
                    ("hyparquet", lambda f: node_read("hyparquet", f))]
    for rname, read in readers:
        rows = {}
        for f in files:
            day = os.path.basename(os.path.dirname(f))[4:]
            for o in read(f) or []:
                o = dict(o)
                o["day"] = day
                rows[str(o["id"])] = o
        bad = 0
        for k, w in want.items():
            g = rows.get(k, {})
            for col in w:
                a, b = w[col], g.get(col)
                if col == "ts" and a is not None:
                    d = 1000 if rname == "hyparquet" else 1
                    ok = b is not None and ts_micros(a) // d == ts_micros(b) // d
                elif col in ("amount", "price") and a is not None:
                    ok = b is not None and float(a) == float(b)
                elif col in ("id", "n") and a is not None:
                    ok = b is not None and int(a) == int(b)
                else:
                    ok = a == b
                if not ok:
                    if bad < 3:
                        print("  ctas %s %s %s: want %r got %r" % (rname, k, col, a, b), file=sys.stderr)
                    bad += 1
        check(len(rows) == 300 and bad == 0,
              "ctas read by %s: %d rows, %d values differ" % (rname, len(rows), bad))


def main():
    tmp = tempfile.mkdtemp(prefix="asl_pq_it_")
    try:
        have_node = ensure_node()
        fixtures = list(test_fixtures())
        test_delta_csv()
        if have_node:
            test_fixtures_against_duckdb(fixtures)
        test_writer(tmp, have_node)
        test_ctas(tmp, have_node)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("parquet: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
