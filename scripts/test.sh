#!/bin/sh
# Runs every test program of a build folder and adds up their
# "name: N passed, N failed" lines. Ends with the total on its own line.
B=${1:-build-san}
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
sh tests/cli_test.sh "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
for t in tests/integration/*_test.py; do
  python3 "$t" "$B/asl" >>"$out" 2>"$out.err" || { status=1; head -40 "$out.err"; }
done
cat "$out"
awk '/: [0-9]+ passed, [0-9]+ failed/ {
       for (i = 1; i <= NF; i++) { if ($i == "passed,") p += $(i-1); if ($i == "failed" || $i == "failed,") f += $(i-1) }
     } END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$out" || status=1
rm -f "$out" "$out.err"
exit $status
