#!/bin/sh
# Installs the Debian packages asl needs, only those missing.
set -e
PKGS="build-essential clang libcjson-dev libssl-dev libsqlite3-dev python3 libmicrohttpd-dev awscli python3-boto3"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
