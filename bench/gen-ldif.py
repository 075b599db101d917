#!/usr/bin/env python3
"""Write an ldapsearch-style LDIF export of N synthetic computer accounts to stdout.

Deterministic for a given --seed. Each computer has HOST/ and RestrictedKrbHost/ SPNs on its
short and DNS names (4 SPNs, as a joined Windows machine has); about 1 in 500 also carries a
case-variant copy of another computer's HOST/ SPN (a duplicate), 1 in 50 has an old password
(--stale-fraction 1 makes every password old: a finding per computer).

    bench/gen-ldif.py --computers 1000000 > big.ldif
    bench/gen-ldif.py --computers 5000 --ou OU=Bench --ldap-add | ldapadd ...   # live seeding

With --ldap-add it writes only what a DC accepts on an LDAP add (no timestamps, SIDs or
duplicate SPNs, which it refuses or maintains itself).
"""
import argparse
import base64
import random
import sys

EPOCH_DIFF = 11644473600
TICKS = 10_000_000


def filetime(unix_seconds):
    return (unix_seconds + EPOCH_DIFF) * TICKS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--computers", type=int, default=1000)
    parser.add_argument("--base", default="DC=adc,DC=test")
    parser.add_argument("--domain", default="adc.test")
    parser.add_argument("--ou", default="OU=Fleet")
    parser.add_argument("--prefix", default="FLEET")
    parser.add_argument("--now", type=int, default=1795305600, help="unix time (default 2026-11-21)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stale-fraction", type=float, default=0.02, help="share of old passwords")
    parser.add_argument("--ldap-add", action="store_true", help="only attributes a DC accepts on add")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    write = out.write
    day = 86400
    for i in range(args.computers):
        short = f"{args.prefix}-{i:07d}"
        fqdn = f"{short.lower()}.{args.domain}"
        dn = f"CN={short},{args.ou},{args.base}"
        stale = rng.random() < args.stale_fraction
        pwd_age = rng.randint(60, 400) if stale else rng.randint(0, 29)
        logon_age = max(0, pwd_age - rng.randint(0, 10)) if stale else rng.randint(0, 3)
        sid = base64.b64encode(bytes([1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0]) + (100000 + i).to_bytes(4, "little")).decode()
        write(f"# {short}, Fleet, {args.domain}\n")
        write(f"dn: {dn}\n")
        write("objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n")
        write("objectClass: user\nobjectClass: computer\n")
        write(f"cn: {short}\nsAMAccountName: {short}$\nuserAccountControl: 4096\n")
        write(f"dNSHostName: {fqdn}\n")
        write(f"servicePrincipalName: HOST/{short}\nservicePrincipalName: HOST/{fqdn}\n")
        write(f"servicePrincipalName: RestrictedKrbHost/{short}\n")
        write(f"servicePrincipalName: RestrictedKrbHost/{fqdn}\n")
        if args.ldap_add:
            write("\n")
            continue
        if i > 0 and rng.random() < 0.002:
            other = f"{args.prefix}-{rng.randrange(i):07d}".lower()
            write(f"servicePrincipalName: host/{other.upper()}.{args.domain.upper()}\n")
        write(f"pwdLastSet: {filetime(args.now - pwd_age * day)}\n")
        write(f"lastLogonTimestamp: {filetime(args.now - logon_age * day)}\n")
        write("msDS-KeyVersionNumber: 2\noperatingSystem: Windows 11 Enterprise\n")
        # Windows LAPS, healthy: its password is due again within 30 days.
        write(f"msLAPS-PasswordExpirationTime: {filetime(args.now + (30 - logon_age % 30) * day)}\n")
        write(f"objectSid:: {sid}\n\n")


if __name__ == "__main__":
    main()
