#!/bin/sh
# Runs every test program of a build folder (B: the sanitizer build) and the
# end-to-end tests again on the optimised build (O: build/, where the asl
# command runs cJSON on its small-block allocator), and adds up their
# "name: N passed, N failed" lines. Ends with the total on its own line.
B=${1:-build-san}
O=${2:-}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=$(mktemp)
status=0
for t in "$B"/t/test_*; do
  [ -x "$t" ] || continue
  "$t" >>"$out" 2>"$out.err" || { status=1; cat "$out.err" | head -40; }
done
"$B/conformance" tests/conformance --strict-history >>"$out" 2>"$out.err" || status=1
head -60 "$out.err"
"$B/jsonata_suite" tests/jsonata >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
sh tests/jsonata_cli_test.sh "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
export ASL_HOME="$(mktemp -d)" # runs are recorded: not into the work tree
sh tests/cli_test.sh "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
sh tests/store_cli_test.sh "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
sh tests/lake_test.sh "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
sh tests/query_test.sh "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
for t in tests/integration/*_test.py; do
  python3 "$t" "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
done
if [ -n "$O" ]; then
  # the same runs on the optimised binaries, named apart so both count
  "$O/conformance" tests/conformance --strict-history --pool 2>"$out.err" |
    sed 's/^conformance:/conformance(O2, pool):/' >>"$out" || status=1
  sh tests/cli_test.sh "$O/asl" 2>"$out.err" | sed 's/^cli:/cli(O2, pool):/' >>"$out" ||
    { status=1; head -40 "$out.err"; }
  "$O/jsonata_suite" tests/jsonata 2>"$out.err" | sed 's/^jsonata:/jsonata(O2):/' >>"$out" ||
    { status=1; head -40 "$out.err"; }
  sh tests/jsonata_cli_test.sh "$O/asl" 2>"$out.err" |
    sed 's/^jsonata-cli:/jsonata-cli(O2, pool):/' >>"$out" || { status=1; head -40 "$out.err"; }
  sh tests/store_cli_test.sh "$O/asl" 2>"$out.err" |
    sed 's/^store-cli:/store-cli(O2, pool):/' >>"$out" || { status=1; head -40 "$out.err"; }
  sh tests/lake_test.sh "$O/asl" 2>"$out.err" |
    sed 's/^lake-cli:/lake-cli(O2, pool):/' >>"$out" || { status=1; head -40 "$out.err"; }
  sh tests/query_test.sh "$O/asl" 2>"$out.err" |
    sed 's/^query-cli:/query-cli(O2, pool):/' >>"$out" || { status=1; head -40 "$out.err"; }
  for t in tests/integration/*_test.py; do
    python3 "$t" "$O/asl" 2>"$out.err" | sed 's/^\([a-z-]*\):/\1(O2, pool):/' >>"$out" ||
      { status=1; head -40 "$out.err"; }
  done
fi
cat "$out"
awk '/: [0-9]+ passed, [0-9]+ failed/ {
       for (i = 1; i <= NF; i++) { if ($i == "passed,") p += $(i-1); if ($i == "failed" || $i == "failed,") f += $(i-1) }
     } END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$out" || status=1
rm -f "$out" "$out.err"
exit $status
