#!/usr/bin/env bash
# Live benchmark: `adcomputer audit -o json` against a paged ldapsearch that fetches the same
# attributes with the same filter from the same DC, in the same run (hyperfine, alternating).
# Seeds N computers (default 5000) under OU=Bench of the test DC first, and deletes them again
# at the end (KEEP=1 keeps them for another run) so that the integration tests' exact findings
# still hold.
#
#   eval "$(samba-testenv/up)" && bench/live.sh [N]
#   samba-testenv/down && ADC_SAMBA_MODEL=prefork samba-testenv/up ... (a multi-process DC)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../samba-testenv/lib.sh
. "$HERE/../samba-testenv/lib.sh"
count=${1:-5000}
bin=$HERE/../target/release/adcomputer
(cd "$HERE/.." && cargo build --release --quiet)

seeded=$(ldap_as_admin ldapsearch -LLL -b "OU=Bench,$ADC_BASE_DN" -E pr=1000/noprompt \
  '(objectClass=computer)' dn 2>/dev/null | grep -c '^dn:' || true)
cleanup() {
  [ "${KEEP:-0}" = 1 ] && return
  log "deleting OU=Bench"
  ldap_as_admin ldapdelete -r "OU=Bench,$ADC_BASE_DN" >/dev/null 2>&1 || true
  rm -f "$ADC_TESTENV_DIR/bench.pass"
}
trap cleanup EXIT
if [ "$seeded" -lt "$count" ]; then
  log "seeding $count computers into OU=Bench (about 80 adds/s)"
  {
    printf 'dn: OU=Bench,%s\nobjectClass: organizationalUnit\nou: Bench\n\n' "$ADC_BASE_DN"
    python3 "$HERE/gen-ldif.py" --computers "$count" --ou OU=Bench --prefix BENCH --ldap-add
  } | ldap_as_admin ldapadd -c >/dev/null 2>&1 || true
fi

# The filter and attributes adcomputer's scans ask for (kinds' `Needs::reads` on top of
# `COMMON_ATTRIBUTES`): a whole audit, and `stale` alone. The audit reads the owner with the
# SD-flags control (owner only), as ldapsearch does here.
filter='(|(objectClass=computer)(servicePrincipalName=*))'
common="objectClass cn sAMAccountName userAccountControl dNSHostName servicePrincipalName pwdLastSet lastLogonTimestamp operatingSystem"
audit_attributes="$common msDS-AdditionalDnsHostName operatingSystemVersion msDS-SupportedEncryptionTypes msDS-AllowedToDelegateTo msDS-AllowedToActOnBehalfOfOtherIdentity nTSecurityDescriptor mS-DS-CreatorSID ms-Mcs-AdmPwdExpirationTime msLAPS-PasswordExpirationTime"
printf '%s' "$(admin_password)" >"$ADC_TESTENV_DIR/bench.pass"
export LDAPTLS_CACERT=$ADC_TESTENV_DIR/tls/ca.pem
ldapsearch="ldapsearch -H ldaps://$ADC_DC_FQDN -x -D Administrator@$ADC_REALM -y $ADC_TESTENV_DIR/bench.pass -b $ADC_BASE_DN -E pr=1000/noprompt"
hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-markdown "${OUT:-/dev/stdout}" \
  -n "ldapsearch (paged, the audit's attributes, owner only)" "$ldapsearch -E '!1.2.840.113556.1.4.801=::MAMCAQE=' '$filter' $audit_attributes > /dev/null" \
  -n "adcomputer audit -o json --connections 1" "$bin audit -o json --connections 1 > /dev/null" \
  -n "adcomputer audit -o json --connections 2" "$bin audit -o json --connections 2 > /dev/null" \
  -n "adcomputer audit -o json --connections 4" "$bin audit -o json --connections 4 > /dev/null" \
  -n "ldapsearch (paged, stale's attributes)" "$ldapsearch '$filter' $common > /dev/null" \
  -n "adcomputer stale -o json --connections 1" "$bin stale -o json --connections 1 > /dev/null" \
  -n "adcomputer stale -o json --connections 4" "$bin stale -o json --connections 4 > /dev/null"
