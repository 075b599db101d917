#!/usr/bin/env bash
# Offline benchmark: `adcomputer audit --from-ldif` (every check) against the classic
# duplicate-only pipeline `grep -i '^servicePrincipalName:' | tr A-Z a-z | sort | uniq -d` on the
# same generated export, at 10k, 100k and 1M computers; wall time by hyperfine, peak RSS by
# GNU time. Files are generated once into $BENCH_DIR (default /tmp/adcomputer-bench).
#
#   bench/offline.sh [SIZES...]        # e.g. bench/offline.sh 10000 100000 1000000
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-/tmp/adcomputer-bench}
bin=$HERE/../target/release/adcomputer
mkdir -p "$dir"
(cd "$HERE/.." && cargo build --release --quiet)
[ $# -gt 0 ] || set -- 10000 100000 1000000
printf '| computers | file | SPNs | grep/tr/sort/uniq | adcomputer audit | ratio | adcomputer peak RSS |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "$@"; do
  file=$dir/$n.ldif
  [ -s "$file" ] || python3 "$HERE/gen-ldif.py" --computers "$n" >"$file"
  cat "$file" >/dev/null # page cache warm for both sides
  json=$dir/$n.json
  hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-json "$json" \
    -n pipeline "grep -i '^servicePrincipalName:' '$file' | tr A-Z a-z | sort | uniq -d > /dev/null" \
    -n adcomputer "'$bin' audit --from-ldif '$file' -o json --as-of 2026-11-21 > /dev/null" >&2
  # audit exits 1 when it finds something; only its peak RSS matters here.
  rss=$( { /usr/bin/time -f '%M' "$bin" audit --from-ldif "$file" -o json --as-of 2026-11-21 >/dev/null; } 2>&1 | tail -1 || true)
  python3 - "$json" "$n" "$file" "$rss" <<'PY'
import json, os, subprocess, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
pipeline, ours = results["pipeline"]["median"], results["adcomputer"]["median"]
size = os.path.getsize(sys.argv[3])
spns = int(subprocess.run(["grep", "-c", "^servicePrincipalName:", sys.argv[3]], capture_output=True, text=True).stdout)
print(f"| {int(sys.argv[2]):,} | {size / 1e6:.0f} MB | {spns:,} | {pipeline:.3f} s | {ours:.3f} s | {ours / pipeline:.2f} | {int(sys.argv[4]) / 1024:.0f} MiB |")
PY
done
