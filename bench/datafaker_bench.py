"""The datafaker row of `make bench` (issue 8): workflows/datafaker.json
with 1,000,000 users end to end (fake users -> JSON in the lake -> Glue to
Parquet -> Athena count/min/max/avg) in a fresh ASL_HOME, as EXPRESS (a
STANDARD execution stops at AWS's 25,000 history events). The peer engine
has no Glue, Athena or lake, so there is no ratio: the figures are set
against the issue's targets, under 60 s and under 500 MiB peak RSS.

BENCH_DATAFAKER_USERS=N changes the size (0 skips the row).
"""
import json
import os
import tempfile

TARGET_S, TARGET_MIB = 60.0, 500.0


def run(root, asl, run_child):
    users = int(os.environ.get("BENCH_DATAFAKER_USERS", "1000000"))
    if users <= 0:
        return None
    print()
    print("datafaker (asl run workflows/datafaker.json --type EXPRESS, "
          "%d users, fresh ASL_HOME) ..." % users, flush=True)
    with tempfile.TemporaryDirectory() as td:
        inp = os.path.join(td, "input.json")
        with open(inp, "w") as f:
            json.dump({"users": users}, f)
        home = os.path.join(td, "home")
        old = os.environ.get("ASL_HOME")
        os.environ["ASL_HOME"] = home  # the launcher passes it on
        try:
            rc, wall, rss, out, err = run_child(
                [asl, "run", os.path.join(root, "workflows", "datafaker.json"),
                 "--input", inp, "--type", "EXPRESS", "--stats"])
        finally:
            if old is None:
                del os.environ["ASL_HOME"]
            else:
                os.environ["ASL_HOME"] = old
    row = {"workload": "datafaker", "users": users}
    if rc != 0:
        row["error"] = "asl exit %d: %s" % (rc, (err.strip() or out.strip())[-300:])
        print("  FAILED:", row["error"])
        return row
    try:
        res = json.loads(out).get("result", {})
    except ValueError:
        res = {}
    stats = next((json.loads(l) for l in err.splitlines()
                  if l.startswith('{"load_ms"')), {})
    row.update({"wall_s": wall, "run_s": stats.get("run_ms", 0) / 1000.0,
                "rss_mib": rss / 1024.0, "count": res.get("count"),
                "events": stats.get("events")})
    if res.get("count") != users:
        row["error"] = "Athena counted %s users, want %d" % (res.get("count"), users)
    print("  %d users: %.1f s wall (the run %.1f s), peak RSS %.0f MiB, "
          "%s history events; Athena count %s" % (
              users, wall, row["run_s"], row["rss_mib"], row["events"],
              res.get("count")))
    if users == 1000000:
        print("  issue 8 targets: under %.0f s (%s), under %.0f MiB (%s)" % (
            TARGET_S, "met" if wall < TARGET_S else "NOT met",
            TARGET_MIB, "met" if row["rss_mib"] < TARGET_MIB else "NOT met"))
    if "error" in row:
        print("  FAILED:", row["error"])
    return row
