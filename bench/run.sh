#!/usr/bin/env bash
# Speed benchmark (issues #5, #16): ddldiag against the bound of each input, measured in the same
# run, and against the number of DDL jobs.
#
#   bench/run.sh [MB]     default 1024. One run reports every row below; `bench/run.sh 64` is a
#                         quick check. JOBS="10000 100000" picks the job-count rows (default
#                         "10000 100000 1000000"; JOBS=none skips them). RUNS=3 runs per row
#                         (the median is printed; the bound and ddldiag take turns).
#
# Log sets come from ../shared/bench/gen_tidb_logs.py (GEN=...), generated once and cached under
# target/bench-data/MB/: the chaos mix (`--fault-share 0.5`, the generator's default: a log
# written during a long fault) and the calm mix (`--fault-share 0.02`, an ordinary day), each
# packed as tidb-0/ in a .tar.gz and kept as a plain directory. Rows:
#   MIX tar.gz   ddldiag analyze on the .tar.gz   vs decode_bound tar.gz (the same flate2 +
#                zlib-rs inflater and tar reader, counting newlines only)
#   MIX dir      ddldiag analyze on the directory vs decode_bound dir (memchr newline count)
#   chaos 1 file the chaos logs as ONE plain file (cached in $DATA/chaos/one/tidb.log: a user ran
#                `tar xf` and points ddldiag at one big tidb.log), vs decode_bound dir on it
#   chaos 1 member  that file as the only member of a .tar.gz ($DATA/chaos/one.tar.gz): one
#                stream inflated on one core and scanned on the other, vs its decode bound
#   chaos ×4     one bundle holding the chaos logs four times over, vs its decode bound
#   4 bundles    four chaos bundles in one run, vs four decode bounds one after another
#   N jobs       bench/gen_jobs.py logs with N DDL jobs (3 lines a job over 3 instances, cached
#                under target/bench-data/jobs-N): time, peak RSS, and both per job
# Every row prints its peak RSS (GNU time's %M, the largest resident set of the process).
#
#   bench/run.sh jobs [N...]  only the job-count rows
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
GEN=${GEN:-../shared/bench/gen_tidb_logs.py}
cargo build --release --quiet --bin ddldiag --bin decode_bound
BIN=${CARGO_TARGET_DIR:-target}/release

# once CMD... → "seconds maxrss_kib user sys" of one run
once() {
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M %U %S" -o "$out" "$@" > /dev/null 2>&1 || true
  tail -1 "$out"
  rm -f "$out"
}

# median: of the "seconds ..." rows on stdin, the median by seconds
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

# time_cmd CMD... → the median run (by seconds) of $RUNS
time_cmd() {
  local rows=()
  for _ in $(seq "$RUNS"); do rows+=("$(once "$@")"); done
  printf '%s\n' "${rows[@]}" | median
}

analyze() { time_cmd "$BIN/ddldiag" analyze --format json --fail-on never "$@"; }

jobs_rows() {
  echo
  echo "job count (bench/gen_jobs.py)      time      CPU   peak RSS    per job: time     RSS   marginal: time    RSS"
  local prev=""
  for n in "$@"; do
    local d=target/bench-data/jobs-$n
    if [ ! -f "$d/tidb-0.log" ]; then
      echo "generating $n jobs in $d ..." >&2
      rm -rf "$d" && python3 bench/gen_jobs.py "$d" --jobs "$n"
    fi
    local r; r=$(analyze "$d")
    # marginal: the cost of the jobs added since the previous row (fixed costs cancel out)
    awk -v n="$n" -v m="$(du -sm "$d" | cut -f1)" -v r="$r" -v p="$prev" 'BEGIN { split(r, x, " ");
      line = sprintf("%9d jobs (%5d MiB of logs) %8.2fs %7.2fs %8.1f MiB   %8.1f µs %7.2f KiB",
        n, m, x[1], x[3] + x[4], x[2] / 1024, x[1] * 1e6 / n, x[2] / n);
      if (split(p, y, " ") == 3 && n > y[1])
        line = line sprintf("   %8.1f µs %7.2f KiB", (x[1] - y[2]) * 1e6 / (n - y[1]), (x[2] - y[3]) / (n - y[1]));
      print line }'
    prev="$n $(echo "$r" | cut -d' ' -f1,2)"
  done
}

if [ "${1:-}" = jobs ]; then
  shift
  COUNTS=("$@")
  [ ${#COUNTS[@]} -gt 0 ] || COUNTS=(10000 100000 1000000)
  echo "ddldiag job-count benchmark: median of $RUNS runs, $(nproc) cores"
  jobs_rows "${COUNTS[@]}"
  exit 0
fi

MB=${1:-1024}
DATA=target/bench-data/$MB

# gen MIX SHARE: the plain logs in $DATA/MIX/plain/tidb-0 and their bundle $DATA/MIX/tidb-0.tar.gz
gen() {
  local d=$DATA/$1
  if [ ! -f "$d/tidb-0.tar.gz" ]; then
    echo "generating $MB MiB of $1 logs (--fault-share $2) in $d ..." >&2
    rm -rf "$d" && mkdir -p "$d/plain/tidb-0"
    python3 "$GEN" "$d/plain/tidb-0" --mb "$MB" --seed 7 --fault-share "$2" > "$d/truth.json"
    tar -C "$d/plain" -cf - tidb-0 | gzip -6 > "$d/tidb-0.tar.gz.tmp"
    mv "$d/tidb-0.tar.gz.tmp" "$d/tidb-0.tar.gz"
  fi
}
gen chaos 0.5
gen calm 0.02
C=$DATA/chaos
if [ ! -f "$C/x4/tidb-3.tar.gz" ]; then
  mkdir -p "$C/x4"
  for i in 0 1 2 3; do ln -sf "../tidb-0.tar.gz" "$C/x4/tidb-$i.tar.gz"; done
fi
if [ ! -f "$C/tidb-0-x4.tar.gz" ]; then
  echo "packing a 4 × $MB MiB bundle ..." >&2
  rm -rf "$C/big4" && mkdir -p "$C/big4/tidb-0"
  j=0
  for i in 0 1 2 3; do
    for f in "$C"/plain/tidb-0/*.log; do
      j=$((j + 1))
      ln "$f" "$C/big4/tidb-0/tidb-2024-01-1${i}T19-$(printf %02d $j)-00.000.log"
    done
  done
  tar --hard-dereference -C "$C/big4" -cf - tidb-0 | gzip -6 > "$C/tidb-0-x4.tar.gz.tmp"
  mv "$C/tidb-0-x4.tar.gz.tmp" "$C/tidb-0-x4.tar.gz"
  rm -rf "$C/big4"
fi

if [ ! -f "$C/one/tidb.log" ]; then
  mkdir -p "$C/one"
  cat "$C"/plain/tidb-0/*.log > "$C/one.tmp" && mv "$C/one.tmp" "$C/one/tidb.log"
fi
if [ ! -f "$C/one.tar.gz" ]; then
  echo "packing the one file as a one-member bundle ..." >&2
  tar -C "$C/one" -cf - tidb.log | gzip -6 > "$C/one.tar.gz.tmp" && mv "$C/one.tar.gz.tmp" "$C/one.tar.gz"
fi

row() { # label bound_row ddldiag_row target
  awk -v l="$1" -v br="$2" -v cr="$3" -v t="$4" 'BEGIN {
    split(br, x, " "); split(cr, y, " ");
    printf "%-30s %8.2fs %8.2fs  %5.2f×  (target %s)  peak RSS %6.1f MiB (bound %5.1f MiB)\n",
      l, x[1], y[1], (x[1] > 0 ? y[1] / x[1] : 0), t, y[2] / 1024, x[2] / 1024 }'
}

# paired LABEL TARGET BOUND_CMD... -- ANALYZE_ARGS...: the bound and ddldiag run in turn,
# $RUNS times each, and each side's median run is the row. In turn rather than one after the
# other, so that both sides see the same state of the machine (a host that takes the second
# core away for a while, a page cache still filling) instead of one side catching it all.
paired() {
  local label=$1 target=$2; shift 2
  local bound=()
  while [ "$1" != -- ]; do bound+=("$1"); shift; done
  shift
  local b=() c=()
  for _ in $(seq "$RUNS"); do
    b+=("$(once "${bound[@]}")")
    c+=("$(once "$BIN/ddldiag" analyze --format json --fail-on never "$@")")
  done
  row "$label" "$(printf '%s\n' "${b[@]}" | median)" "$(printf '%s\n' "${c[@]}" | median)" "$target"
}

echo "ddldiag benchmark: $MB MiB of generated logs per mix, median of $RUNS paired runs, $(nproc) cores"
echo "                                  bound  ddldiag  ratio"
for mix in chaos calm; do
  d=$DATA/$mix
  paired "$mix tar.gz" "≤ 1.10" "$BIN/decode_bound" tar.gz "$d/tidb-0.tar.gz" -- "$d/tidb-0.tar.gz"
  paired "$mix dir" "≤ 2.00" "$BIN/decode_bound" dir "$d/plain" -- "$d/plain"
done
paired "chaos 1 file" "≤ 2.00" "$BIN/decode_bound" dir "$C/one" -- "$C/one/tidb.log"
paired "chaos 1 member tar.gz" "≤ 1.10" "$BIN/decode_bound" tar.gz "$C/one.tar.gz" -- "$C/one.tar.gz"
paired "chaos ×4 ($((MB * 4)) MiB, 1 bundle)" "≤ 1.10" \
  "$BIN/decode_bound" tar.gz "$C/tidb-0-x4.tar.gz" -- "$C/tidb-0-x4.tar.gz"
paired "4 chaos bundles at once" "—" \
  bash -c "for f in $C/x4/*.tar.gz; do $BIN/decode_bound tar.gz \$f; done" -- "$C"/x4/tidb-{0,1,2,3}.tar.gz

JOBS=${JOBS:-10000 100000 1000000}
if [ "$JOBS" != none ] && [ -n "$JOBS" ]; then
  # shellcheck disable=SC2086
  jobs_rows $JOBS
fi
