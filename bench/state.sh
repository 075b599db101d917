#!/usr/bin/env bash
# Incremental benchmark: `adcomputer audit --state DIR` right after 10 changes (ten seeded
# computers' operatingSystemVersion and description, over LDAP as an admin makes them) against a
# full `audit` of the same DC, the changes made before every run of either (hyperfine --prepare).
# Then checks that the two reads give the same findings. Uses the computers bench/live.sh seeds
# under OU=Bench (run it first with KEEP=1).
#
#   eval "$(samba-testenv/up)" && KEEP=1 bench/live.sh 20000 && bench/state.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../samba-testenv/lib.sh
. "$HERE/../samba-testenv/lib.sh"
bin=$HERE/../target/release/adcomputer
(cd "$HERE/.." && cargo build --release --quiet)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seeded=$(ldap_as_admin ldapsearch -LLL -b "OU=Bench,$ADC_BASE_DN" -E pr=1000/noprompt \
  '(objectClass=computer)' dn 2>/dev/null | grep -c '^dn:' || true)
[ "$seeded" -gt 0 ] || die "no computers under OU=Bench: run KEEP=1 bench/live.sh N first"
log "$seeded computers under OU=Bench"

# Ten changes to ten computers picked at random, each run.
cat >"$work/change" <<SH
#!/usr/bin/env bash
. "$HERE/../samba-testenv/lib.sh"
for i in \$(shuf -i 0-$((seeded - 1)) -n 10); do
  printf 'dn: CN=BENCH-%07d,OU=Bench,%s\nchangetype: modify\nreplace: operatingSystemVersion\noperatingSystemVersion: 10.0 (%d)\n-\nreplace: description\ndescription: changed %s\n-\n\n' \
    "\$i" "$ADC_BASE_DN" "\$RANDOM" "\$(date +%s%N)"
done | ldap_as_admin ldapmodify >/dev/null
SH
chmod +x "$work/change"
"$bin" audit -o json --state "$work/state" >/dev/null || true # the first read, kept

hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --prepare "$work/change" \
  --export-markdown "${OUT:-/dev/stdout}" \
  -n "adcomputer audit -o json (full read)" "$bin audit -o json > /dev/null" \
  -n "adcomputer audit -o json --state (10 changes)" "$bin audit -o json --state $work/state > /dev/null"

"$work/change"
"$bin" audit -o json --state "$work/state" --as-of 2026-12-07 >"$work/changes.json" || true
"$bin" audit -o json --as-of 2026-12-07 >"$work/full.json" || true
read_as=$(jq -c '.state | {read, received, gone, objects}' "$work/changes.json")
if cmp -s <(jq -S '.findings | sort_by(.id)' "$work/changes.json") \
  <(jq -S '.findings | sort_by(.id)' "$work/full.json"); then
  echo "same findings as a full read: yes ($(jq '.findings | length' "$work/full.json") findings; state $read_as)"
else
  echo "same findings as a full read: NO (state $read_as)"
  exit 1
fi
