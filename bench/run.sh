#!/usr/bin/env bash
# Speed benchmark (issue #5): ddldiag against the bare decode bound, measured in the same run.
#
#   bench/run.sh [MB]        default 1024; also runs 4 × MB as four bundles tidb-0..3.tar.gz
#
# Generates a realistic log set once with ../shared/bench/gen_tidb_logs.py (cached under
# target/bench-data), packs it as tidb-0/ in a .tar.gz, then times, median of 3 runs each:
#   decode   : decode_bound tar.gz — flate2+zlib-rs inflate, tar read, newline count only
#   analyze  : ddldiag analyze --format json on the same .tar.gz
#   dir-wc   : decode_bound dir — memchr newline count over the plain files
#   dir      : ddldiag analyze --format json on the plain directory
#   4×       : one bundle holding the logs four times over (4 × MB), against its decode bound
#   4 inputs : four bundles at once (tidb-0..3.tar.gz) against four sequential decodes
# and prints the ratios and peak RSS (from /usr/bin/time).
#
#   bench/run.sh jobs [N...]  default 10000 100000 1000000: time and peak RSS against the number
#                             of DDL jobs (issue 14), on logs of bench/gen_jobs.py (3 lines a
#                             job over 3 instances, cached under target/bench-data/jobs-N)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
cargo build --release --quiet --bin ddldiag --bin decode_bound
BIN=${CARGO_TARGET_DIR:-target}/release

# time_cmd NAME CMD... → prints "seconds maxrss_kib" (median of $RUNS by seconds); TIME_FMT
# adds GNU time fields after those two
time_cmd() {
  local name=$1; shift
  local rows=()
  local out; out=$(mktemp)
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "${TIME_FMT:-%e %M}" -o "$out" "$@" > /dev/null 2>&1 || true
    rows+=("$(tail -1 "$out")")
  done
  rm -f "$out"
  printf '%s\n' "${rows[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

if [ "${1:-}" = jobs ]; then
  shift
  COUNTS=("$@")
  [ ${#COUNTS[@]} -gt 0 ] || COUNTS=(10000 100000 1000000)
  echo "ddldiag job-count benchmark: median of $RUNS runs, $(nproc) cores"
  for n in "${COUNTS[@]}"; do
    d=target/bench-data/jobs-$n
    if [ ! -f "$d/tidb-0.log" ]; then
      echo "generating $n jobs in $d ..." >&2
      rm -rf "$d" && python3 bench/gen_jobs.py "$d" --jobs "$n"
    fi
    mib=$(du -sm "$d" | cut -f1)
    r=$(TIME_FMT='%e %M %U %S' time_cmd "jobs$n" "$BIN/ddldiag" analyze --format json --fail-on never "$d")
    awk -v n="$n" -v m="$mib" -v r="$r" 'BEGIN { split(r, x, " ");
      printf "%9d jobs (%5d MiB of logs)   %8.2fs (CPU %7.2fs)   peak RSS %7.1f MiB\n", n, m, x[1], x[3] + x[4], x[2] / 1024 }'
  done
  exit 0
fi

MB=${1:-1024}
GEN=${GEN:-../shared/bench/gen_tidb_logs.py}
DATA=target/bench-data/$MB

if [ ! -f "$DATA/tidb-0.tar.gz" ]; then
  echo "generating $MB MiB of logs in $DATA ..." >&2
  rm -rf "$DATA" && mkdir -p "$DATA/plain/tidb-0"
  python3 "$GEN" "$DATA/plain/tidb-0" --mb "$MB" --seed 7 > "$DATA/truth.json"
  tar -C "$DATA/plain" -cf - tidb-0 | gzip -6 > "$DATA/tidb-0.tar.gz"
  for i in 1 2 3; do
    mkdir -p "$DATA/x4" && ln -sf "../tidb-0.tar.gz" "$DATA/x4/tidb-$i.tar.gz"
  done
  ln -sf "../tidb-0.tar.gz" "$DATA/x4/tidb-0.tar.gz"
fi
if [ ! -f "$DATA/tidb-0-x4.tar.gz" ]; then
  echo "packing a 4 × $MB MiB bundle ..." >&2
  rm -rf "$DATA/big4" && mkdir -p "$DATA/big4/tidb-0"
  j=0
  for i in 0 1 2 3; do
    for f in "$DATA"/plain/tidb-0/*.log; do
      j=$((j + 1))
      ln "$f" "$DATA/big4/tidb-0/tidb-2024-01-1${i}T19-$(printf %02d $j)-00.000.log"
    done
  done
  tar --hard-dereference -C "$DATA/big4" -cf - tidb-0 | gzip -6 > "$DATA/tidb-0-x4.tar.gz"
fi

report() { # label bound_name bound_row cmd_row
  awk -v l="$1" -v b="$2" -v br="$3" -v cr="$4" 'BEGIN {
    split(br, x, " "); split(cr, y, " ");
    printf "%-28s %8.2fs %8.2fs   ratio %5.2f   peak RSS %6.1f MiB (bound %5.1f MiB)\n", l, x[1], y[1], (x[1] > 0 ? y[1] / x[1] : 0), y[2] / 1024, x[2] / 1024 }'
}

echo "ddldiag benchmark: $MB MiB generated logs, median of $RUNS runs, $(nproc) cores"
echo "                              bound   ddldiag"
d=$(time_cmd decode "$BIN/decode_bound" tar.gz "$DATA/tidb-0.tar.gz")
a=$(time_cmd analyze "$BIN/ddldiag" analyze --format json --fail-on never "$DATA/tidb-0.tar.gz")
report "tar.gz  (vs decode bound)" decode "$d" "$a"
w=$(time_cmd dirwc "$BIN/decode_bound" dir "$DATA/plain")
p=$(time_cmd dir "$BIN/ddldiag" analyze --format json --fail-on never "$DATA/plain")
report "dir     (vs newline count)" dirwc "$w" "$p"
b4=$(time_cmd decodebig "$BIN/decode_bound" tar.gz "$DATA/tidb-0-x4.tar.gz")
a4b=$(time_cmd analyzebig "$BIN/ddldiag" analyze --format json --fail-on never "$DATA/tidb-0-x4.tar.gz")
report "tar.gz ×4 ($((MB * 4)) MiB, 1 bundle)" decodebig "$b4" "$a4b"
d4=$(time_cmd decode4 bash -c "for f in $DATA/x4/*.tar.gz; do $BIN/decode_bound tar.gz \$f; done")
a4=$(time_cmd analyze4 "$BIN/ddldiag" analyze --format json --fail-on never "$DATA"/x4/tidb-{0,1,2,3}.tar.gz)
report "4 bundles at once" decode4 "$d4" "$a4"
