#!/usr/bin/env bash
# Installs the Debian packages Sangam needs to build, test and benchmark, skipping
# those already present. Safe to run again; does nothing when all are installed.
set -euo pipefail

packages=(
    build-essential cmake pkg-config cppcheck clang-format git
    librocksdb-dev libevent-dev libmsgpack-dev libcmocka-dev
    libxxhash-dev libutf8proc-dev libjansson-dev
    sqlite3 # the Nexmark correctness check (tests/integration/test_nexmark_sql.sh)
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
