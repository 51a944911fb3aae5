#!/bin/sh
# `make run`: the ETL seed end to end with real parts. asl starts its own
# MariaDB in $ASL_HOME/mysql on first use (a unix socket, no TCP port, no
# system service), extracts the seed's tables into the lake
# ($ASL_HOME/lake), builds the Athena tables and MERGEs them, then prints
# the result. Running it again leaves the same 7 rows (MERGE updates).
set -e
ASL=${1:-./build/asl}
echo "== asl run workflows/etl.json"
"$ASL" run workflows/etl.json
echo
echo "== mydatabase.user_transactions"
"$ASL" query "SELECT dt, user_id, total_cost_usd, registration_date FROM mydatabase.user_transactions ORDER BY dt, user_id" --format csv
echo
echo "Browse the execution: $ASL serve, then open http://127.0.0.1:8083/"
echo "The embedded MariaDB keeps running for the next run; stop it with: $ASL mysql stop"
