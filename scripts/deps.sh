#!/bin/sh
# Installs the Debian packages asl needs, only those missing.
set -e
PKGS="build-essential clang libcjson-dev libssl-dev libsqlite3-dev python3 libmicrohttpd-dev libgraphviz-dev awscli python3-boto3 libmariadb-dev mariadb-server mariadb-client libpcre2-dev libcsv-dev libcurl4-openssl-dev python3-yaml libsnappy-dev libzstd-dev zlib1g-dev"
# Headless Chromium drives the web UI test; the build does not need it.
OPTIONAL="chromium"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
optional=""
for p in $OPTIONAL; do
  dpkg -s "$p" >/dev/null 2>&1 || optional="$optional $p"
done
# Node.js and npm run the independent Parquet readers (tests/node: DuckDB's
# @duckdb/node-api and hyparquet) for tests/integration/parquet_test.py; any
# node >= 18 does (Debian's is 18; this machine's is NodeSource's 20).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing="$missing nodejs npm"
fi
[ -z "$missing$optional" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing:$missing$optional"
$SUDO apt-get update -qq
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
if [ -n "$optional" ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $optional >/dev/null ||
    echo "deps: could not install$optional: tests/integration/ui_test.py will skip" >&2
fi
