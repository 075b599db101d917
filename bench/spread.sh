#!/usr/bin/env bash
# Parts over two DCs: `adcomputer audit --connections 2` with both test DCs in -H (whenCreated
# parts, one read from each DC) against one search, against two parts read from one DC
# (uSNCreated), and against a paged ldapsearch of the same attributes from one DC. Each test DC
# is one Samba process unless ADC_SAMBA_MODEL=prefork. Uses the computers bench/live.sh seeds
# under OU=Bench (run it first with KEEP=1), replicated to dc2 here; then checks that the
# spread read gives the findings of one search.
#
#   eval "$(samba-testenv/up)" && KEEP=1 bench/live.sh 20000 && bench/spread.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../samba-testenv/lib.sh
. "$HERE/../samba-testenv/lib.sh"
bin=$HERE/../target/release/adcomputer
(cd "$HERE/.." && cargo build --release --quiet)
count() { # computers under OU=Bench in the sam.ldb of the DC whose state is in $1
  ldbsearch -H "$1/private/sam.ldb" -b "OU=Bench,$ADC_BASE_DN" '(objectClass=computer)' dn 2>/dev/null |
    grep -c '^dn:' || true
}
seeded=$(count "$ADC_TESTENV_DIR")
[ "$seeded" -gt 0 ] || die "no computers under OU=Bench: run KEEP=1 bench/live.sh N first"
log "$seeded computers under OU=Bench on $ADC_DC_FQDN; replicating them to $ADC_DC2_FQDN"
"$HERE/../samba-testenv/replication" resume
"$HERE/../samba-testenv/replication" force
[ "$(count "$ADC_DC2_DIR")" -ge "$seeded" ] || die "$ADC_DC2_FQDN holds $(count "$ADC_DC2_DIR") of them"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
filter='(|(objectClass=computer)(servicePrincipalName=*))'
attributes="objectClass cn sAMAccountName userAccountControl dNSHostName servicePrincipalName pwdLastSet lastLogonTimestamp operatingSystem msDS-AdditionalDnsHostName operatingSystemVersion msDS-SupportedEncryptionTypes msDS-AllowedToDelegateTo msDS-AllowedToActOnBehalfOfOtherIdentity nTSecurityDescriptor mS-DS-CreatorSID ms-Mcs-AdmPwdExpirationTime msLAPS-PasswordExpirationTime"
printf '%s' "$(admin_password)" >"$work/pass"
export LDAPTLS_CACERT=$ADC_TESTENV_DIR/tls/ca.pem
both="ldaps://$ADC_DC_FQDN ldaps://$ADC_DC2_FQDN"
spread="$bin audit -o json -H '$both' --dns-server $ADC_TESTENV_ADDR --connections 2"
hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-markdown "${OUT:-/dev/stdout}" \
  -n "ldapsearch (paged, the audit's attributes, owner only), dc1" "ldapsearch -H ldaps://$ADC_DC_FQDN -x -D Administrator@$ADC_REALM -y $work/pass -b $ADC_BASE_DN -E pr=1000/noprompt -E '!1.2.840.113556.1.4.801=::MAMCAQE=' '$filter' $attributes > /dev/null" \
  -n "adcomputer audit -o json --connections 1 (dc1)" "$bin audit -o json --connections 1 > /dev/null" \
  -n "adcomputer audit -o json --connections 2 (dc1, uSNCreated parts)" "$bin audit -o json --connections 2 > /dev/null" \
  -n "adcomputer audit -o json --connections 2, dc1 and dc2 (whenCreated parts)" "$spread > /dev/null"

# The same findings (the bench computers, as both DCs hold them) from one search and spread.
scope=(-b "OU=Bench,$ADC_BASE_DN" --as-of 2026-12-07)
"$bin" audit -o json "${scope[@]}" >"$work/one.json" || true
eval "$spread" '"${scope[@]}"' -v >"$work/spread.json" 2>"$work/spread.log" || true
grep -c 'whenCreated>=' "$work/spread.log" | grep -qx 2 || die "not read in two parts: $(cat "$work/spread.log")"
python3 - "$work/one.json" "$work/spread.json" <<'PY'
import json, sys
one, spread = (json.load(open(path)) for path in sys.argv[1:])
for field in ("findings", "summary", "coverage"):
    assert one[field] == spread[field], field
print(f"same findings from one search and from two DCs: {len(one['findings']):,}")
PY
