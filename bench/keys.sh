#!/usr/bin/env bash
# Key-probe benchmark: `adcomputer audit --checks weak_encryption --probe-keys=all` over N
# computers (default 5000) of OU=Bench on the test DC's KDC (single-process Samba), at several
# --probe-concurrency values; wall time by hyperfine, peak RSS by GNU time. OU=Bench is seeded
# by bench/live.sh (KEEP=1) and deleted at the end.
#
#   eval "$(samba-testenv/up)" && bench/keys.sh [N]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../samba-testenv/lib.sh
. "$HERE/../samba-testenv/lib.sh"
count=${1:-5000}
bin=$HERE/../target/release/adcomputer
KEEP=1 RUNS=1 OUT=/dev/null "$HERE/live.sh" "$count" >/dev/null
trap 'ldap_as_admin ldapdelete -r "OU=Bench,$ADC_BASE_DN" >/dev/null 2>&1 || true' EXIT
run() { echo "$bin -b OU=Bench,$ADC_BASE_DN audit --checks weak_encryption --probe-keys=all --probe-concurrency $1 -o json"; }
hyperfine --warmup 1 --runs "${RUNS:-3}" --ignore-failure --export-markdown "${OUT:-/dev/stdout}" \
  -n "1 in flight" "$(run 1) > /dev/null" \
  -n "4 in flight" "$(run 4) > /dev/null" \
  -n "8 in flight (default)" "$(run 8) > /dev/null" \
  -n "16 in flight" "$(run 16) > /dev/null"
# (audit exits 1: the seeded computers have findings)
probed=$( ($(run 8) 2>/dev/null || true) | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["coverage"]["weak_encryption"], d["summary"]["no_aes_keys"], "no_aes_keys")')
rss=$( { /usr/bin/time -f '%M' $(run 8) >/dev/null || true; } 2>&1 | tail -1)
echo "coverage (8 in flight): $probed; peak RSS: $((rss / 1024)) MiB"
