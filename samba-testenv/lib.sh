# Shared settings for the Samba AD test domain scripts (sourced by up, down, seed and test).
# Every value can be overridden from the environment before calling a script.

ADC_TESTENV_DIR=${ADC_TESTENV_DIR:-/tmp/adcomputer-testenv}
ADC_TESTENV_ADDR=${ADC_TESTENV_ADDR:-127.0.0.2}
# The second DC: its own loopback address, its state under the first one's directory.
ADC_TESTENV_ADDR2=${ADC_TESTENV_ADDR2:-127.0.0.3}
ADC_DC2_HOST=dc2
ADC_DC2_DIR=$ADC_TESTENV_DIR/dc2
ADC_REALM=ADC.TEST
ADC_DNS_DOMAIN=adc.test
ADC_NETBIOS=ADC
ADC_DC_HOST=dc1
ADC_DC_FQDN=$ADC_DC_HOST.$ADC_DNS_DOMAIN
ADC_DC2_FQDN=$ADC_DC2_HOST.$ADC_DNS_DOMAIN
ADC_BASE_DN=DC=adc,DC=test
# Samba keeps each partition in its own file, named after the upper-cased DN: its ldb URL, whose
# scheme is the database's (ADC_SAMBA_BACKEND=mdb at provisioning: LMDB, else TDB).
ADC_PARTITION_FILE="${ADC_SAMBA_BACKEND:-tdb}://$ADC_TESTENV_DIR/private/sam.ldb.d/DC=ADC,DC=TEST.ldb"
ADC_PACKAGES="samba samba-ad-dc samba-ad-provision samba-dsdb-modules python3-samba winbind ldb-tools krb5-user ldap-utils adcli iproute2 openssl"
# What the test suite needs besides the DC: the kerberos-bind feature's build dependencies, man
# for the man-page test, the Prometheus client's parser for the metrics test, Chromium for the
# HTML report's browser test, and dpkg-dev (dpkg-shlibdeps) for the Debian package.
ADC_TEST_PACKAGES="libkrb5-dev clang libclang-dev pkg-config man-db python3-prometheus-client chromium dpkg-dev"

log() { printf 'samba-testenv: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The pid of a running DC's namespace holder: dc_pid [STATE_DIR] (default: the first DC's).
dc_pid() {
  local pid
  pid=$(cat "${1:-$ADC_TESTENV_DIR}/unshare.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# The seeded domain as `up` left it, both DCs' state: samba-testenv/reset restores it.
ADC_PRISTINE_DIR=${ADC_TESTENV_DIR}.pristine

# stop_dc STATE_DIR [SECONDS [gone]]: stops a DC's namespace holder (every samba process in
# it), after SECONDS of grace (default 10) for a clean exit; then KILL. With `gone`, returns
# only once it has exited (its files may then be copied or replaced).
stop_dc() {
  local state=$1 grace=${2:-10} pid
  if pid=$(dc_pid "$state"); then
    log "stopping samba (pid $pid)"
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid"
    for _ in $(seq 1 $((grace * 2))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    if [ "${3:-}" = gone ]; then
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$state/unshare.pid"
}

# samba-tool's -U argument for the domain admin (a process argument: test domain only).
admin_credentials() { printf 'Administrator%%%s' "$(admin_password)"; }

admin_password() { cat "$ADC_TESTENV_DIR/admin.pass"; }

# ldapsearch/ldapadd/ldapmodify over verified LDAPS as Administrator; password via a 0600 file.
ldap_as_admin() {
  local tool=$1
  shift
  LDAPTLS_CACERT="$ADC_TESTENV_DIR/tls/ca.pem" LDAPTLS_REQCERT=demand \
    "$tool" -H "ldaps://$ADC_DC_FQDN" -x -D "Administrator@$ADC_REALM" \
    -y "$ADC_TESTENV_DIR/admin.pass" "$@"
}
