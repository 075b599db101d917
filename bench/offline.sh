#!/usr/bin/env bash
# Offline benchmark: `adcomputer audit --from-ldif` (every check, the report written to a file)
# against the classic duplicate-only pipeline `grep -i '^servicePrincipalName:' | tr A-Z a-z |
# sort | uniq -d` on the same generated export, in two workloads: few findings (1 in 50
# passwords old) and every password stale (a finding per computer). Wall time by hyperfine,
# peak RSS by GNU time; JSON, then CSV and table, each written to a file. Files are generated
# once into $BENCH_DIR (default /tmp/adcomputer-bench). Each run starts as a nightly run does:
# the previous run's output removed and written back first (`--prepare 'rm …; sync'`), else a
# run is charged for the shell truncating the last run's 370 MB report (0.09–0.14 s here) and
# for its writeback. FRESH=0 measures without that preparation (earlier sessions' numbers).
#
#   bench/offline.sh [SIZES...]        # e.g. bench/offline.sh 100000 1000000
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-/tmp/adcomputer-bench}
bin=$HERE/../target/release/adcomputer
mkdir -p "$dir"
(cd "$HERE/.." && cargo build --release --quiet)
[ $# -gt 0 ] || set -- 100000 1000000
printf '| computers | workload | file | findings | grep/tr/sort/uniq | json | ratio | csv | table | peak RSS (json) |\n'
printf '|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "$@"; do
  for workload in few all-stale; do
    case $workload in few) fraction=0.02 ;; all-stale) fraction=1 ;; esac
    file=$dir/$n-$workload.ldif
    [ -s "$file" ] || python3 "$HERE/gen-ldif.py" --computers "$n" --stale-fraction "$fraction" >"$file"
    cat "$file" >/dev/null # page cache warm for every side
    json=$dir/$n-$workload.json
    out=$dir/report
    prepare=":"
    [ "${FRESH:-1}" = 0 ] || prepare="rm -f $out.dup $out.json $out.csv $out.txt; sync"
    hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-json "$json" --prepare "$prepare" \
      -n pipeline "grep -i '^servicePrincipalName:' '$file' | tr A-Z a-z | sort | uniq -d > $out.dup" \
      -n json "'$bin' audit --from-ldif '$file' -o json --as-of 2026-11-21 > $out.json" \
      -n csv "'$bin' audit --from-ldif '$file' -o csv --as-of 2026-11-21 > $out.csv" \
      -n table "'$bin' audit --from-ldif '$file' -o table --as-of 2026-11-21 > $out.txt" >&2
    rss=$( { /usr/bin/time -f '%M' "$bin" audit --from-ldif "$file" -o json --as-of 2026-11-21 >"$out.json"; } 2>&1 | tail -1 || true)
    findings=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['findings'])" "$out.json")
    python3 - "$json" "$n" "$file" "$rss" "$workload" "$findings" <<'PY'
import json, os, sys
results = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
size = os.path.getsize(sys.argv[3])
p = results["pipeline"]
print(f"| {int(sys.argv[2]):,} | {sys.argv[5]} | {size / 1e6:.0f} MB | {int(sys.argv[6]):,} | {p:.3f} s | {results['json']:.3f} s | {results['json'] / p:.2f} | {results['csv']:.3f} s | {results['table']:.3f} s | {int(sys.argv[4]) / 1024:.0f} MiB |")
PY
  done
done
