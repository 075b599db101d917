#!/usr/bin/env bash
# Scheduled-run benchmark: what --baseline, --output and the formats for schedulers cost on a
# large report. On the all-stale export of N computers (a finding each, bench/gen-ldif.py
# --stale-fraction 1), hyperfine times `audit -o json` to a file, the same compared with a
# baseline of the same findings (every one matched by identity), and -o jsonl, prometheus and
# html to files; peak RSS by GNU time for the baseline run.
#
#   bench/schedule.sh [N]       # default 1000000
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-/tmp/adcomputer-bench}
bin=$HERE/../target/release/adcomputer
n=${1:-1000000}
mkdir -p "$dir"
(cd "$HERE/.." && cargo build --release --quiet)
file=$dir/$n-all-stale.ldif
[ -s "$file" ] || python3 "$HERE/gen-ldif.py" --computers "$n" --stale-fraction 1 >"$file"
cat "$file" >/dev/null
audit="'$bin' audit --from-ldif '$file' --as-of 2026-11-21"
base=$dir/baseline.json
"$bin" audit --from-ldif "$file" --as-of 2026-11-21 -o json --output "$base" || true
hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-markdown "$dir/schedule.md" \
  -n 'json' "$audit -o json --output $dir/r.json" \
  -n 'json --baseline' "$audit -o json --baseline $base --output $dir/r2.json" \
  -n 'jsonl' "$audit -o jsonl --output $dir/r.jsonl" \
  -n 'prometheus' "$audit -o prometheus --output $dir/r.prom" \
  -n 'html' "$audit -o html --output $dir/r.html" >&2
cat "$dir/schedule.md"
/usr/bin/time -f 'peak RSS with --baseline: %M KiB' "$bin" audit --from-ldif "$file" \
  --as-of 2026-11-21 -o json --baseline "$base" --output "$dir/r2.json" || true
ls -l "$base" "$dir/r.html" "$dir/r.prom" | awk '{print $5, $9}'
