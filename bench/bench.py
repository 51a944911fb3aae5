#!/usr/bin/env python3
"""make bench: runs the workloads of bench/workloads/manifest.json with asl
and, when node and npm are available, with the peer engine
aws-local-stepfunctions (for pass_chain_1000_jsonata: jsonata-js evaluating
the same expressions, peer/jsonata_micro.js), and prints rates, the ratio
and peak RSS.

A benchmark, not a test: speed never fails it. It exits 1 when asl crashes,
fails a run, or gives an output that does not pass the manifest's check.

Knobs: BENCH_ONLY=name1,name2 runs a subset; BENCH_RUNS=N repeats each asl
run N times (default 3) and takes the median; BENCH_NO_PEER=1 skips the peer;
BENCH_TIMEOUT=S kills a run after S seconds (default 900). See bench/README.md.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

import datafaker_bench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASL = os.path.join(ROOT, "build", "asl")
WORK = os.path.join(ROOT, "bench", "workloads")
PEER_SRC = os.path.join(ROOT, "bench", "peer")
GEN = os.path.join(ROOT, "build", "bench")  # generated inputs
PEER = os.path.join(ROOT, "build", "bench-peer")
RESULTS = os.path.join(ROOT, "build", "bench-results.json")
SLOW_FOR_PEER = ("map_100k_c0", "map_100k_c10", "choice_loop")  # 1 peer run
# Workloads whose peer is jsonata-js evaluating the same expressions
# (peer/jsonata_micro.js), not aws-local-stepfunctions, which ignores
# JSONata Output templates.
JSONATA_PEER = ("pass_chain_1000_jsonata",)
JSONATA_REPEAT = 20  # executions per node process: the first, then warm ones
TIMEOUT_S = int(os.environ.get("BENCH_TIMEOUT", "900"))


def map_100k_input():
    """The bytes gen_workloads.js writes to map_100k.input.json:
    JSON.stringify({items}) + "\\n", items[i] = {id: i, name: "item-i", v: i % 97}."""
    items = ",".join('{"id":%d,"name":"item-%d","v":%d}' % (i, i, i % 97)
                     for i in range(100000))
    return ('{"items":[' + items + "]}\n").encode()


GENERATED = {"map_100k.input.json": map_100k_input}


def input_path(name):
    """A workload's input: the copy in bench/workloads, or the generated one."""
    if name not in GENERATED:
        return os.path.join(WORK, name)
    path = os.path.join(GEN, name)
    data = GENERATED[name]()
    if not os.path.exists(path) or open(path, "rb").read() != data:
        os.makedirs(GEN, exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
    return path


# The child's peak RSS must not include ours: a child's ru_maxrss starts at
# the RSS of the process it was forked from (this one, 15 MiB and more), so
# children are forked by a small launcher, `python3 -S`, whose floor is ~5 MiB.
LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %.6f %d" % (os.waitstatus_to_exitcode(status), time.perf_counter() - t0, ru.ru_maxrss))
"""


def run_child(argv, cwd=None):
    """Runs argv; returns (exit status, wall s, peak RSS KiB, stdout, stderr).
    The status is negative (-signal) when the child was killed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as report:
        argv = [sys.executable, "-S", "-c", LAUNCHER, report.name, shutil.which(argv[0])] + argv[1:]
        p = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        try:
            p.wait(TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        out.seek(0)
        err.seek(0)
        rc, wall, rss = (report.read().split() or ["-9", "0", "0"])
        return (int(rc), float(wall), int(rss), out.read().decode(errors="replace"),
                err.read().decode(errors="replace"))


def lookup(obj, path):
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def unit_of(wl):
    return "items" if "items" in wl["units"] else "transitions"


def run_asl(wl, runs):
    """Median wall time and RSS over `runs` runs; error text on the first failure."""
    argv = [ASL, "run", os.path.join(WORK, wl["asl"]), "--input", input_path(wl["input"]),
            "--type", "EXPRESS", "--no-wait", "--stats", "--db", ":memory:",
            # the workloads carry MBs through one execution: lift AWS's
            # 256 KiB payload limit, as the peer (which has none) does
            "--max-payload", "1000000000"]
    bindings = os.path.join(WORK, wl["name"] + ".bindings.json")
    if os.path.exists(bindings):
        argv += ["--bindings", bindings]
    walls, rsss, runs_ms = [], [], []
    for _ in range(runs):
        rc, wall, rss, out, err = run_child(argv)
        if rc < 0:
            return {"error": "asl crashed (signal %d): %s" % (-rc, err.strip()[-300:])}
        if rc != 0:
            return {"error": "asl exit %d: %s" % (rc, (err.strip() or out.strip())[-300:])}
        try:
            got = lookup(json.loads(out), wl["check"]["path"])
        except ValueError:
            return {"error": "asl output is not JSON: %r" % out[:200]}
        want = wl["check"]["equals"]
        if got != want or isinstance(got, bool):
            return {"error": "check failed: %s = %s, want %s" % (
                wl["check"]["path"], json.dumps(got)[:100], json.dumps(want))}
        walls.append(wall)
        rsss.append(rss)
        stats = next((json.loads(l) for l in err.splitlines()
                      if l.startswith('{"load_ms"')), None)
        if stats:
            runs_ms.append(max(stats["run_ms"], 1e-3))
    wall = statistics.median(walls)
    units = wl["units"][unit_of(wl)]
    res = {"wall_s": wall, "process_rate": units / wall,
           "rss_mib": statistics.median(rsss) / 1024}
    if runs_ms:
        res["run_ms"] = statistics.median(runs_ms)
        res["rate"] = units / (res["run_ms"] / 1000.0)
    return res


def setup_peer():
    """Installs the peer into build/bench-peer once; None when unavailable."""
    if os.environ.get("BENCH_NO_PEER"):
        return "skipped (BENCH_NO_PEER)"
    if not shutil.which("node") or not shutil.which("npm"):
        return "node or npm not found"
    os.makedirs(os.path.join(PEER, "workloads"), exist_ok=True)
    for f in os.listdir(PEER_SRC):
        shutil.copy(os.path.join(PEER_SRC, f), PEER)
    for f in os.listdir(WORK):
        shutil.copy(os.path.join(WORK, f), os.path.join(PEER, "workloads"))
    for f in GENERATED:
        shutil.copy(input_path(f), os.path.join(PEER, "workloads"))
    if not all(os.path.exists(os.path.join(PEER, "node_modules", m, "package.json"))
               for m in ("aws-local-stepfunctions", "jsonata")):
        print("installing the peer (npm install in build/bench-peer) ...", flush=True)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=PEER,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            return "npm install failed: " + r.stdout.strip()[-300:]
    return None


def run_peer(wl, runs):
    rates, rsss, check, version = [], [], True, None
    for _ in range(runs):
        rc, wall, rss, out, err = run_child(["node", "run_peer.js", wl["name"]], cwd=PEER)
        line = next((l for l in out.splitlines() if l.startswith("{")), None)
        if rc != 0 or line is None:
            return {"error": "peer exit %d: %s" % (rc, err.strip()[-300:])}
        r = json.loads(line)
        rates.append(r["rate_first_per_s"][unit_of(wl)])
        rsss.append(r["maxrss_kb"])
        check = check and r["check_ok"] is True
        version = "%s on node %s" % (r["peer"], r["node"])
    return {"rate": statistics.median(rates), "rss_mib": statistics.median(rsss) / 1024,
            "check_ok": check, "runs": runs, "version": version}


def run_jsonata_peer(wl, runs):
    """jsonata-js evaluating the workload's Output templates, chaining each
    state's output into the next (peer/jsonata_micro.js): the median over
    `runs` node processes of its first execution's states/s (the figure the
    ratio uses, as asl's is a first run) and of its warm median."""
    firsts, warms, rsss, check, version = [], [], [], True, None
    for _ in range(runs):
        rc, wall, rss, out, err = run_child(
            ["node", "jsonata_micro.js", "--repeat", str(JSONATA_REPEAT)], cwd=PEER)
        line = next((l for l in out.splitlines() if l.startswith("{")), None)
        if rc != 0 or line is None:
            return {"error": "jsonata_micro.js exit %d: %s" % (rc, err.strip()[-300:])}
        r = json.loads(line)
        firsts.append(r["states_per_s_first"])
        warms.append(r["states_per_s_warm"])
        rsss.append(r["maxrss_kb"])
        check = check and r["check_ok"] is True
        version = "%s on node %s" % (r["evaluator"], r["node"])
    return {"rate": statistics.median(firsts), "rate_warm": statistics.median(warms),
            "rss_mib": statistics.median(rsss) / 1024, "check_ok": check,
            "runs": runs, "version": version}


# The persisted runs: (name, definition, input). map_100k_distributed is
# asl's own workload (bench/map_100k_distributed.asl.json): map_100k_c0 as a
# distributed Map, each item a STANDARD child execution with its own history.
PERSISTED = [
    ("pass_chain_1000", os.path.join(WORK, "pass_chain_1000.asl.json"),
     "pass_chain.input.json"),
    ("map_100k_distributed",
     os.path.join(ROOT, "bench", "map_100k_distributed.asl.json"),
     "map_100k.input.json"),
]


def run_persisted(manifest, runs, only):
    """STANDARD runs recorded in a SQLite file: history events written per
    second (every event, the parent's and its child executions', and a
    checkpoint per tick, in one transaction per tick), the whole run
    including the writes."""
    rows = []
    for name, definition, inp in PERSISTED:
        if only and name not in only and not any(
                n.startswith(name.split("_distributed")[0]) for n in only):
            continue
        rates, rsss, nevents = [], [], 0
        n_runs = 1 if "100k" in name else runs
        for _ in range(n_runs):
            with tempfile.TemporaryDirectory() as td:
                argv = [ASL, "run", definition, "--input", input_path(inp),
                        "--type", "STANDARD", "--no-wait", "--stats",
                        "--max-payload", "1000000000",
                        "--db", os.path.join(td, "asl.db")]
                rc, wall, rss, out, err = run_child(argv)
                stats = next((json.loads(l) for l in err.splitlines()
                              if l.startswith('{"load_ms"')), None)
                if rc != 0 or not stats:
                    rows.append({"workload": name, "error": err.strip()[-300:]})
                    break
                # the run writes its events as it goes (a transaction per
                # tick); opening the file and recording the machine are not
                # in run_ms
                nevents = stats["events"] + stats.get("child_events", 0)
                rates.append(nevents / (stats["run_ms"] / 1000.0))
                rsss.append(rss)
        if rates:
            rows.append({"workload": name, "events": nevents,
                         "events_per_s": statistics.median(rates),
                         "rss_mib": statistics.median(rsss) / 1024})
    print()
    print("persisted STANDARD runs (asl run --db FILE): history events written per "
          "second during the run")
    for r in rows:
        if "error" in r:
            print("  %-22s FAILED: %s" % (r["workload"], r["error"]))
        else:
            print("  %-22s %10.0f events/s  (%d events)  peak RSS %.1f MiB" % (
                r["workload"], r["events_per_s"], r["events"], r["rss_mib"]))
    return rows


def main():
    manifest = json.load(open(os.path.join(WORK, "manifest.json")))
    only = [n for n in os.environ.get("BENCH_ONLY", "").split(",") if n]
    unknown = set(only) - {w["name"] for w in manifest} - {"datafaker"}
    if unknown:
        sys.exit("bench: unknown workload(s) %s; known: %s" % (
            ", ".join(sorted(unknown)), ", ".join(w["name"] for w in manifest)))
    workloads = [w for w in manifest if not only or w["name"] in only]
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    if not os.access(ASL, os.X_OK):
        sys.exit("bench: %s not built (make build/asl)" % ASL)

    peer_missing = setup_peer()
    if peer_missing:
        print("peer unavailable: %s; asl figures alone" % peer_missing)
    floor = run_child(["true"])[2] / 1024  # the launcher's own RSS
    rows, failed = [], False
    for wl in workloads:
        print("%-24s asl ..." % wl["name"], end="", flush=True)
        row = {"workload": wl["name"], "units": unit_of(wl), "asl": run_asl(wl, runs)}
        failed |= "error" in row["asl"]
        if not peer_missing:
            print(" peer ...", end="", flush=True)
            if wl["name"] in JSONATA_PEER:
                row["peer"] = run_jsonata_peer(wl, runs)
            else:
                row["peer"] = run_peer(wl, 1 if wl["name"] in SLOW_FOR_PEER else runs)
        a, p = row["asl"], row.get("peer", {})
        if "rate" in a and "rate" in p:
            row["ratio"] = a["rate"] / p["rate"]
        print(" done", flush=True)
        rows.append(row)

    print()
    head = ("workload", "units", "asl rate/s", "peer rate/s", "ratio",
            "asl process/s", "asl RSS MiB", "peer RSS MiB", "check")
    table = [head]
    for r in rows:
        a, p = r["asl"], r.get("peer", {})
        check = "FAIL" if "error" in a else "ok"
        if p.get("check_ok") is False:
            check += " (peer: FAIL)"
        table.append((r["workload"], r["units"],
                      "%.0f" % a["rate"] if "rate" in a else "-",
                      "%.0f" % p["rate"] if "rate" in p else "-",
                      "%.1fx" % r["ratio"] if "ratio" in r else "-",
                      "%.0f" % a["process_rate"] if "process_rate" in a else "-",
                      ("%.1f" if a.get("rss_mib", 0) > floor * 1.02 else "<=%.1f")
                      % a["rss_mib"] if "rss_mib" in a else "-",
                      "%.1f" % p["rss_mib"] if "rss_mib" in p else "-",
                      check))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    for r in rows:
        for side in ("asl", "peer"):
            if "error" in r.get(side, {}):
                print("%s %s: %s" % (r["workload"], side, r[side]["error"]))
    print("asl rate: median of %d runs, the execution (asl run --stats run_ms: "
          "start to end, without loading the definition), as the peer's is; "
          "asl process/s: the whole process (start, load and validate, run, "
          "print)" % runs)
    if not peer_missing:
        print("peer: its first run in a node process that has loaded and built the "
              "machine; median of %d runs (1 for %s)" % (runs, ", ".join(SLOW_FOR_PEER)))
        for r in rows:
            p = r.get("peer", {})
            if r["workload"] in JSONATA_PEER and "rate" in p and "rate" in r["asl"]:
                print("%s: its peer is %s evaluating the same Output templates, "
                      "chaining each state's output into the next (no engine "
                      "around it): first execution %.0f states/s (asl %.1fx "
                      "that), warm %.0f states/s (median of executions 2 to %d "
                      "in one process; asl's first run is %.1fx that); median "
                      "of %d processes" % (
                          r["workload"], p["version"], p["rate"], r["ratio"],
                          p["rate_warm"], JSONATA_REPEAT,
                          r["asl"]["rate"] / p["rate_warm"], p["runs"]))
    if any("<=" in row[6] for row in table):
        print("<=X MiB: at the floor of the launcher that measures RSS")

    persisted = run_persisted(manifest, runs, only)

    datafaker = None
    if not only or "datafaker" in only:
        datafaker = datafaker_bench.run(ROOT, ASL, run_child)
        failed |= bool(datafaker and "error" in datafaker)

    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump({"asl_runs": runs, "nproc": os.cpu_count(), "rss_floor_mib": floor,
                   "peer_unavailable": peer_missing,
                   "workloads": rows, "persisted": persisted,
                   "datafaker": datafaker}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(RESULTS, ROOT))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
