#!/bin/sh
# jsonata_cli_test.sh ASL: `asl jsonata EXPR [--input FILE|-] [--bindings
# JSON]` end to end: results printed as JSON with JavaScript's numbers,
# nothing for undefined (no --input is no input, not null), "CODE: message"
# and exit 1 on an error, usage and file errors.
# Prints "jsonata-cli: N passed, N failed".
ASL=${1:-build/asl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL jsonata-cli: $*" >&2; }

# run WANT_EXIT WANT_STDOUT WANT_STDERR -- command...  ("" = must be empty)
run() {
  wx=$1; wo=$2; we=$3; shift 4
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  o=$(cat "$T/out")
  e=$(cat "$T/err")
  if [ "$got" = "$wx" ] && [ "$o" = "$wo" ] && [ "$e" = "$we" ]; then ok
  else bad "$*: exit $got [$o] [$e], want $wx [$wo] [$we]"; fi
}

cat >"$T/in.json" <<'J'
{"Account":{"Order":[{"Product":[{"Price":34.45,"Quantity":2},{"Price":21.67,"Quantity":1}]},
 {"Product":[{"Price":34.45,"Quantity":4},{"Price":107.99,"Quantity":1}]}]},"list":[3,1,2]}
J
run 0 '336.36' '' -- "$ASL" jsonata '$sum(Account.Order.Product.(Price * Quantity))' --input "$T/in.json"
run 0 '[1,2,3]' '' -- "$ASL" jsonata '$sort(list)' --input "$T/in.json"
run 0 '{"n":3,"first":3}' '' -- "$ASL" jsonata '{"n": $count(list), "first": list[0]}' --input "$T/in.json"
run 0 '0.30000000000000004' '' -- "$ASL" jsonata '0.1 + 0.2'
run 0 '1e+21' '' -- "$ASL" jsonata '1e21'
run 0 '"héllo wörld"' '' -- "$ASL" jsonata '"héllo " & $x' --bindings '{"x":"wörld"}'
run 0 '42' '' -- "$ASL" jsonata '$states.input.a + 1' --bindings '{"states":{"input":{"a":41}}}'
run 0 '"900150983cd24fb0d6963f7d28e17f72"' '' -- "$ASL" jsonata '$hash("abc", "MD5")'
# undefined prints nothing; no --input is no input at all
run 0 '' '' -- "$ASL" jsonata 'nothing.here' --input "$T/in.json"
run 0 '' '' -- "$ASL" jsonata '$'
run 0 'false' '' -- "$ASL" jsonata '$exists($)'
echo 'null' >"$T/null.json"
run 0 'null' '' -- "$ASL" jsonata '$' --input "$T/null.json"
printf '[1]' | run 0 '[1]' '' -- "$ASL" jsonata '$' --input -
# errors
run 1 '' 'T2001: The left side of the "+" operator must evaluate to a number' -- "$ASL" jsonata '"a" + 1'
run 1 '' 'D3137: boom' -- "$ASL" jsonata '$error("boom")'
run 1 '' 'S0203: Expected ")" before end of expression' -- "$ASL" jsonata '(1'
run 1 '' 'U1001: Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.' -- "$ASL" jsonata '($f := function($n){1 + $f($n)}; $f(1))'
run 64 '' "$("$ASL" jsonata 2>&1)" -- "$ASL" jsonata
run 66 '' "asl jsonata: cannot open $T/none.json" -- "$ASL" jsonata '1' --input "$T/none.json"
echo '{' >"$T/bad.json"
run 65 '' "asl jsonata: $T/bad.json is not JSON" -- "$ASL" jsonata '1' --input "$T/bad.json"
run 65 '' 'asl jsonata: --bindings must be a JSON object' -- "$ASL" jsonata '1' --bindings '[1]'
# a picture's width is clamped to 10,000,000 characters, as $pad's is:
# "[Y,2147483647]" once asked for 2 GiB and aborted the process
run 0 '10000000' '' -- "$ASL" jsonata "\$length(\$fromMillis(0, '[Y,2147483647]'))"
run 0 '10000000' '' -- "$ASL" jsonata "\$length(\$fromMillis(0, '[Y,1-99999999999999999999]'))"
run 0 '"001970"' '' -- "$ASL" jsonata "\$fromMillis(0, '[Y,1-6]')"
run 0 '10000000' '' -- "$ASL" jsonata '$length($pad("x", 2147483647))'

echo "jsonata-cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
