#!/usr/bin/env bash
# bench/run.sh — the benchmark suite (issue 5): every workload of the table below at 1
# and 2 workers, its single-threaded baseline, its latency at half its maximum rate, and
# the cost of 1 s checkpoints; medians of several interleaved rounds with min–max.
#
#   bash bench/run.sh            full: 5 rounds; rewrites the results section of
#                                docs/benchmarks.md and bench/results/<workload>.json
#   bash bench/run.sh --quick    3 rounds (latency 1), small inputs, under 2 minutes; writes
#                                bench/results/quick.md and bench/results/quick.json
#   bash bench/run.sh --only 'keycount trending_words'   a subset (quick or full)
#
# It builds nothing: run `make` first (`make bench` / `make bench-quick` do both).
# Environment: BUILD (default build), RUNS (rounds), LAT_RUNS (latency rounds), LAT_S
# (seconds per latency run).
#
# Per workload and round: max throughput (unpaced, null: sink) at 1 and 2 workers;
# the baseline build/bench/baseline_<workload> on the same events (n/a when it is not
# built); in full mode the 2-worker run again with checkpoints every second. Then, at
# half the median 2-worker rate: latency runs (2 workers, --pace, latency: sink,
# watermark delay 0 where the generator can be made in order). A workload whose job
# file is missing is skipped with a note; one whose run fails is reported as failed.
# Runs are interleaved (round r runs every workload) so that a burst of load from other
# processes on this shared machine hits every configuration alike.
set -uo pipefail
shopt -u patsub_replacement 2>/dev/null || true # '&' in ${x//a/b} is literal

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
B=${BUILD#"$ROOT"/} # the build directory as commands show it (relative to the root)
QUICK=0 ONLY=""
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --only)
        ONLY=${2:-}
        shift
        ;;
    -h | --help)
        awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
        exit 0
        ;;
    *)
        echo "bench/run.sh: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done
if ((QUICK)); then
    RUNS=${RUNS:-3} LAT_RUNS=${LAT_RUNS:-1} LAT_S=${LAT_S:-1} SCALE=quick CKPT=0
else
    RUNS=${RUNS:-5} LAT_RUNS=${LAT_RUNS:-5} LAT_S=${LAT_S:-4} SCALE=full CKPT=1
fi
KNOB_MS=10 # the second --flush-ms setting, against 0

# ---- The workload table ------------------------------------------------------------
# name | job file | job arguments | events (full) | events (quick) | event-time rate |
# latency URI suffix | latency job arguments | latency event-time span (s) | target
# In the arguments {N} is the event count, {R} the generator's event-time rate (events
# per second of event time: it spaces timestamps, it does not throttle), {L} the latency
# URI suffix (empty in throughput runs), {O} the sink, {B} the build directory. The
# latency runs take LAT_S seconds of wall time at half the max rate and cover the
# workload's latency span of event time (enough for many windows to fire): {R} = events /
# span and --pace X = span / LAT_S. The baseline is
# build/bench/baseline_<name> --count {N} --rate {R} (bench/baseline/baseline.h).
# Targets (issue 5, 2 workers): tot:X = X events/s in total, core:X = X events/s per
# core; every workload also has "within 5x of the baseline per core" and "p99 < 10 ms".
NX='{B}/jobs/nexmark.so --query QQ --input gen:nexmark?count={N}&rate={R}{L} --output {O}'
WORKLOADS_TABLE="
nexmark_q0|jobs/nexmark.so|${NX//QQ/q0}|10000000|200000|100000||--max-delay-ms 0|100|tot:10000000
nexmark_q1|jobs/nexmark.so|${NX//QQ/q1}|10000000|200000|100000||--max-delay-ms 0|100|tot:10000000
nexmark_q2|jobs/nexmark.so|${NX//QQ/q2}|10000000|200000|100000||--max-delay-ms 0|100|tot:10000000
nexmark_q3|jobs/nexmark.so|${NX//QQ/q3}|5000000|200000|100000||--max-delay-ms 0|100|core:2000000
nexmark_q4|jobs/nexmark.so|${NX//QQ/q4}|5000000|200000|100000||--max-delay-ms 0|100|
nexmark_q5|jobs/nexmark.so|${NX//QQ/q5}|5000000|200000|100000||--max-delay-ms 0|100|core:5000000
nexmark_q7|jobs/nexmark.so|${NX//QQ/q7}|5000000|200000|100000||--max-delay-ms 0|100|core:5000000
nexmark_q8|jobs/nexmark.so|${NX//QQ/q8}|5000000|200000|100000||--max-delay-ms 0|100|core:2000000
nexmark_q11|jobs/nexmark.so|${NX//QQ/q11}|5000000|200000|100000||--max-delay-ms 0|100|core:2000000
nexmark_q12|jobs/nexmark.so|${NX//QQ/q12}|5000000|200000|100000||--max-delay-ms 0|100|
ysb|jobs/ysb.so|{B}/jobs/ysb.so --input gen:ysb?count={N}&rate={R}{L} --output {O}|10000000|200000|100000||--max-delay-ms 0|100|core:5000000
trending_words|jobs/trending_words.so|{B}/jobs/trending_words.so --input gen:posts?count={N}&rate={R}{L} --output {O}|1000000|60000|1000|&disorder=0|--max-delay-ms 0|1200|
ecommerce_sessions|jobs/ecommerce_sessions.so|{B}/jobs/ecommerce_sessions.so --input gen:ecommerce?count={N}&rate={R}{L} --output {O}|2000000|100000|20|&disorder=0|--max-delay-ms 0|36000|
irctc_analytics|jobs/irctc_analytics.so|{B}/jobs/irctc_analytics.so --input gen:irctc?count={N}&rate={R}{L} --output {O} --alerts null: --capacity {B}/jobs/irctc_analytics/capacity.csv|2000000|100000|100|&disorder=0|--max-delay-ms 0|1200|
upi_fraud|jobs/upi_fraud.so|{B}/jobs/upi_fraud.so --input gen:upi?count={N}&rate={R}{L} --output {O}|1000000|60000|1000|&disorder=0|--max-delay-ms 0|600|
keycount|bench/keycount.so|{B}/bench/keycount.so --count {N} --keys 100000 --rate {R} --output {O}|10000000|400000|1000000|||20|
"

SANGAM=$BUILD/sangam
if [[ ! -x $SANGAM ]]; then
    echo "bench/run.sh: $SANGAM is missing: run 'make' first (or 'make bench')" >&2
    exit 2
fi

declare -A W_ARGS W_N W_R W_LURI W_LARGS W_TARGET W_LR W_LR_SPAN
WORKLOADS=() SKIPPED=()
while IFS='|' read -r name so args nfull nquick rate luri largs lrate target; do
    [[ -z $name ]] && continue
    if [[ -n $ONLY && " $ONLY " != *" $name "* ]]; then
        continue
    fi
    if [[ ! -e $BUILD/$so ]]; then
        SKIPPED+=("$name ($B/$so is not built)")
        continue
    fi
    WORKLOADS+=("$name")
    W_ARGS[$name]=${args//\{B\}/$B} W_R[$name]=$rate
    W_N[$name]=$nfull W_LURI[$name]=$luri W_LARGS[$name]=$largs W_TARGET[$name]=$target
    W_LR_SPAN[$name]=$lrate
    ((QUICK)) && W_N[$name]=$nquick
done <<<"$WORKLOADS_TABLE"
if ((${#WORKLOADS[@]} == 0)); then
    echo "bench/run.sh: no workload to run" >&2
    exit 2
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# One row per run: kind workload workers round events_per_s read wall_s peak_mib
# user_s sys_s p50_ms p99_ms max_ms lat_count rate_target others_cores
RAW=$TMP/raw.tsv
: >"$RAW"
declare -A FAILED
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# Numeric insertion sort of a[1..n], for awk programs (mawk has no asort).
AWK_SORT='function isort(a, n,    i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }'

cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# job_cmd WORKLOAD COUNT SINK LATENCY(0/1): the job part of a command line.
job_cmd() {
    local a=${W_ARGS[$1]}
    a=${a//\{N\}/$2}
    a=${a//\{O\}/$3}
    if (($4)); then
        a=${a//\{R\}/${W_LR[$1]}}
        a=${a//\{L\}/${W_LURI[$1]}}
        [[ -n ${W_LARGS[$1]} ]] && a="$a ${W_LARGS[$1]}"
    else
        a=${a//\{R\}/${W_R[$1]}}
        a=${a//\{L\}/}
    fi
    echo "$a"
}

engine_cmd() { echo "$B/sangam run --parallelism $1 --workers $1 --no-progress${2:+ $2}"; }

# run_engine KIND WORKLOAD WORKERS ROUND RATE_TARGET ENGINE-EXTRA -- JOB...: runs once,
# appends a RAW row; a failure marks the workload failed (its first error kept).
run_engine() {
    local kind=$1 wl=$2 w=$3 r=$4 target=$5 extra=$6 cmd b0 b1
    shift 7
    cmd="$(engine_cmd "$w" "$extra") $*"
    echo "$cmd" >>"$TMP/commands.$wl.$kind"
    b0=$(cpu_ticks)
    # shellcheck disable=SC2086 # the command is split into words on purpose
    if ! { TIMEFORMAT='%R %U %S'; time (cd "$ROOT" && $cmd 2>"$TMP/err" >/dev/null); } \
        2>"$TMP/time"; then
        [[ -z ${FAILED[$wl]:-} ]] && FAILED[$wl]="$kind run failed: $(grep -m1 'sangam' "$TMP/err" | cut -c1-200)"
        echo "  $wl: $kind run failed: $(tail -n 1 "$TMP/err")" >&2
        return 1
    fi
    b1=$(cpu_ticks)
    awk -v kind="$kind" -v wl="$wl" -v w="$w" -v r="$r" -v target="$target" -v hz="$HZ" \
        -v busy=$((b1 - b0)) -v times="$(tail -n 1 "$TMP/time")" '
        /^  wall time/    { wall = $3 }
        /^  records read/ { read = $3 }
        /^  events\/s/    { evs = $2 }
        /^  peak memory/  { peak = $3 }
        /^  latency  /    { p50 = $3; p99 = $6; mx = $9; n = $11 }
        END {
            if (evs == "") { print "no summary" > "/dev/stderr"; exit 1 }
            split(times, t, " ")
            others = t[1] > 0 ? (busy / hz - t[2] - t[3]) / t[1] : 0
            if (others < 0) others = 0
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\n", kind, wl, w, r,
                evs, read, wall, peak, t[2], t[3], (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99),
                (mx == "" ? "-" : mx), (n == "" ? "-" : n), target, others
        }' "$TMP/err" >>"$RAW"
}

# The baseline: build/bench/baseline_<workload> (the Nexmark queries share one program,
# baseline_nexmark --query qN), its one-line report on stderr.
run_baseline() {
    local wl=$1 r=$2 prog=$1 extra=""
    if [[ $wl == nexmark_q* ]]; then
        prog=nexmark extra=" --query ${wl#nexmark_}"
    fi
    local bin="$BUILD/bench/baseline_$prog"
    [[ -x $bin ]] || return 0
    local cmd="$B/bench/baseline_$prog$extra --count ${W_N[$wl]} --rate ${W_R[$wl]}"
    echo "$cmd" >>"$TMP/commands.$wl.baseline"
    # shellcheck disable=SC2086
    if ! (cd "$ROOT" && $cmd 2>"$TMP/err" >/dev/null); then
        echo "  $wl: baseline failed: $(tail -n 1 "$TMP/err")" >&2
        return 0
    fi
    awk -v wl="$wl" -v r="$r" '/^baseline / {
            for (i = 1; i <= NF; i++) { f = $i; sub(/,$/, "", f); v[$(i - 1)] = f }
            printf "baseline\t%s\t1\t%s\t%s\t%s\t%s\t-\t%s\t0\t-\t-\t-\t-\t-\t0\n", wl, r,
                v["events/s"], v["events"], v["seconds"], v["cpu_seconds"] }' "$TMP/err" >>"$RAW"
}

echo "bench/run.sh: $SCALE, $RUNS rounds: ${WORKLOADS[*]}" >&2
for s in "${SKIPPED[@]}"; do echo "  skipped: $s" >&2; done

# ---- Throughput rounds --------------------------------------------------------------
for ((r = 1; r <= RUNS; r++)); do
    for wl in "${WORKLOADS[@]}"; do
        [[ -n ${FAILED[$wl]:-} ]] && continue
        for w in 1 2; do
            run_engine tp "$wl" "$w" "$r" - "" -- "$(job_cmd "$wl" "${W_N[$wl]}" null: 0)" || break
        done
        [[ -n ${FAILED[$wl]:-} ]] && continue
        if ((CKPT)); then
            rm -rf "$TMP/ck"
            run_engine ck "$wl" 2 "$r" - "--checkpoint-dir $TMP/ck" -- \
                "$(job_cmd "$wl" "${W_N[$wl]}" null: 0)"
        fi
        run_baseline "$wl" "$r"
        awk -F'\t' -v wl="$wl" -v r="$r" '$2 == wl && $4 == r && $1 != "ck" {
                printf "  %-18s %-8s %s: %12.0f events/s\n", $2, $1, ($1 == "baseline" ? "  " : $3 "w"), $5 }' \
            "$RAW" >&2
    done
done

# Median of the 2-worker events/s per workload: the max rate.
declare -A MAXRATE
while read -r wl v; do MAXRATE[$wl]=$v; done < <(awk -F'\t' '
    $1 == "tp" && $3 == 2 { v[$2] = v[$2] " " $5 }
    END { for (k in v) { n = split(v[k], a, " "); isort(a, n); print k, (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) } }
    '"$AWK_SORT" "$RAW")

# lat_params WORKLOAD TARGET_RATE: sets count, speed (--pace) and W_LR (the rate {R})
# for a latency run of LAT_S seconds covering the workload's event-time span.
lat_params() {
    local span=${W_LR_SPAN[$1]}
    count=$(awk -v t="$2" -v s="$LAT_S" 'BEGIN { n = t * s; printf "%.0f", n < 1000 ? 1000 : n }')
    W_LR[$1]=$(awk -v n="$count" -v sp="$span" 'BEGIN { r = int(n / sp); print r < 1 ? 1 : r }')
    speed=$(awk -v t="$2" -v r="${W_LR[$1]}" 'BEGIN { printf "%.6g", t / r }')
}

# ---- Latency rounds: 2 workers, --pace, latency: sink, at half the max rate ----------
for ((r = 1; r <= LAT_RUNS; r++)); do
    for wl in "${WORKLOADS[@]}"; do
        [[ -n ${FAILED[$wl]:-} || -z ${MAXRATE[$wl]:-} ]] && continue
        target=$(awk -v m="${MAXRATE[$wl]}" 'BEGIN { printf "%.0f", m / 2 }')
        lat_params "$wl" "$target"
        run_engine lat "$wl" 2 "$r" "$target" "--pace $speed" -- "$(job_cmd "$wl" "$count" latency: 1)" &&
            tail -n 1 "$RAW" | awk -F'\t' '{ printf "  %-18s latency at %s events/s: p50 %s ms, p99 %s ms, max %s ms\n", $2, $15, $11, $12, $13 }' >&2
    done
done

# ---- The knob: --flush-ms 0 against KNOB_MS, on keycount (throughput and p99) --------
KNOB_WL=keycount
if [[ -n ${MAXRATE[$KNOB_WL]:-} && -z ${FAILED[$KNOB_WL]:-} ]]; then
    target=$(awk -v m="${MAXRATE[$KNOB_WL]}" 'BEGIN { printf "%.0f", m / 2 }')
    lat_params "$KNOB_WL" "$target"
    for ((r = 1; r <= LAT_RUNS; r++)); do
        for f in 0 "$KNOB_MS"; do
            run_engine "knob$f" "$KNOB_WL" 2 "$r" - "--flush-ms $f" -- \
                "$(job_cmd "$KNOB_WL" "${W_N[$KNOB_WL]}" null: 0)"
            run_engine "knoblat$f" "$KNOB_WL" 2 "$r" "$target" "--flush-ms $f --pace $speed" -- \
                "$(job_cmd "$KNOB_WL" "$count" latency: 1)"
        done
    done
fi

# ---- Statistics ----------------------------------------------------------------------
# STATS: one row per (kind, workload, workers): medians and [min, max] of each figure,
# and for 2 workers the median of the per-round ratio to 1 worker.
STATS=$TMP/stats.tsv
awk -F'\t' '
    function med(list,    a, n) {
        n = split(list, a, " "); isort(a, n); lo = a[1]; hi = a[n]
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function add(k, name, v) { if (v != "-" && v != "") L[k, name] = L[k, name] " " v }
    {
        k = $1 SUBSEP $2 SUBSEP $3
        if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
        add(k, "evs", $5); add(k, "peak", $8); add(k, "cpu", $9 + $10); add(k, "wall", $7)
        add(k, "p50", $11); add(k, "p99", $12); add(k, "max", $13); add(k, "others", $16)
        add(k, "epc", ($9 + $10) > 0 ? $6 / ($9 + $10) : "-")
        read[k] = $6; target[k] = $15
        evs[$1, $2, $3, $4] = $5
        if ($1 == "tp" && $3 == 2 && evs["tp", $2, 1, $4] > 0) add(k, "ratio", $5 / evs["tp", $2, 1, $4])
    }
    END {
        split("evs peak cpu wall p50 p99 max others epc ratio", names, " ")
        for (i = 1; i <= nk; i++) {
            k = order[i]; split(k, p, SUBSEP)
            line = p[1] "\t" p[2] "\t" p[3] "\t" read[k] "\t" target[k]
            for (j = 1; j <= 10; j++) {
                if ((k, names[j]) in L) { m = med(L[k, names[j]]); line = line sprintf("\t%.6g\t%.6g\t%.6g", m, lo, hi) }
                else line = line "\t-\t-\t-"
            }
            print line
        }
    }
    '"$AWK_SORT" "$RAW" >"$STATS"
# STATS columns: 1 kind 2 workload 3 workers 4 records read 5 rate target, then
# median/min/max triples: 6 evs, 9 peak MiB, 12 cpu s, 15 wall s, 18 p50, 21 p99,
# 24 max, 27 other load (cores), 30 events per CPU-s, 33 ratio 2w/1w.

# ---- Machine and build ---------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_fm=$(awk -F': ' '/^cpu family/ { f = $2 } /^model\t/ { m = $2 } END { print "family " f ", model " m }' /proc/cpuinfo)
hyper=$(grep -qw hypervisor /proc/cpuinfo && echo "virtual machine" || echo "bare metal")
mem_gib=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || echo unknown)
gcc_v=$(gcc --version 2>/dev/null | head -n 1 || echo unknown)
build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | awk '{ print $2 }' | paste -sd' ' - || true)
date_s=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(nproc) CPUs, $cpu_model ($cpu_fm), $hyper, $mem_gib RAM"
software="$os, Linux $(uname -r), $gcc_v, ${build_type:-unknown} build"
source_s="commit $commit${dirty:+ with uncommitted changes in: $dirty}"

# stat KIND WORKLOAD WORKERS COLUMN: the median (COLUMN) of a STATS row, or "-".
stat() { awk -F'\t' -v k="$1" -v wl="$2" -v w="$3" -v c="$4" '$1 == k && $2 == wl && $3 == w { print $c; f = 1 } END { if (!f) print "-" }' "$STATS"; }

# ---- The report ------------------------------------------------------------------------
# The results the last latency run of a workload measured (0: none before the end of
# input, as q4's, whose updating result is written when the input ends).
lat_count() {
    awk -F'\t' -v wl="$1" '$1 == "lat" && $2 == wl { n = $14 } END { print (n == "" ? "-" : n) }' "$RAW"
}

fmt_n() { awk -v x="$1" 'BEGIN { if (x == "-" || x == "") { print "—"; exit }
    if (x >= 1e6) printf "%.2f M", x / 1e6; else if (x >= 1e3) printf "%.0f K", x / 1e3; else printf "%.0f", x }'; }
fmt_r() { # median [min–max] of a STATS triple at column C
    awk -F'\t' -v k="$1" -v wl="$2" -v w="$3" -v c="$4" -v unit="${5:-}" '
        function n(x) { if (unit == "ms") return sprintf("%.2f", x); if (unit == "x") return sprintf("%.2f", x)
            if (unit == "mib") return sprintf("%.0f", x); if (unit == "s") return sprintf("%.2f", x)
            if (x >= 1e6) return sprintf("%.2f M", x / 1e6); if (x >= 1e3) return sprintf("%.0f K", x / 1e3); return sprintf("%.0f", x) }
        $1 == k && $2 == wl && $3 == w && $c != "-" { printf "%s [%s–%s]", n($c), n($(c + 1)), n($(c + 2)); f = 1 }
        END { if (!f) printf "—" }' "$STATS"
}

report_md() {
    local mode="full: $RUNS rounds" invocation="make bench"
    ((QUICK)) && mode="quick: $RUNS rounds, small inputs — a smoke check, not for quoting" &&
        invocation="make bench-quick"
    echo "## Results"
    echo
    echo "Generated by \`$invocation\` ($mode) on $date_s."
    echo
    echo "- Machine: $machine."
    echo "- Software: $software."
    echo "- Source: $source_s."
    for s in "${SKIPPED[@]}"; do echo "- Skipped: $s."; done
    for wl in "${WORKLOADS[@]}"; do [[ -n ${FAILED[$wl]:-} ]] && echo "- Failed: $wl — ${FAILED[$wl]}."; done
    echo
    echo "### Throughput"
    echo
    echo "Medians of $RUNS rounds, [min–max]. events/s = records read by the sources / wall time of"
    echo "the run (start-up and the final firing included), unpaced, into \`null:\`. Per core ="
    echo "2-worker events/s / 2. Baseline = the single-threaded program build/bench/baseline_<workload>"
    echo "on the same events; \"÷ baseline\" = per core / baseline (the target is ≥ 0.2, within 5x)."
    echo "CPU = user + sys seconds of the 2-worker run. Peak = the 2-worker run's peak RSS."
    ((CKPT)) && echo "\"1 s checkpoints\" = 2-worker events/s with \`--checkpoint-dir\` (every 1 s) ÷ without, same round."
    echo
    echo "| workload | events | 1 worker | 2 workers | per core | 2w ÷ 1w | CPU s | peak MiB | baseline | ÷ baseline | 1 s checkpoints |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for wl in "${WORKLOADS[@]}"; do
        [[ -n ${FAILED[$wl]:-} && $(stat tp "$wl" 2 6) == - ]] && continue
        local e2 bl pc ratio ck
        e2=$(stat tp "$wl" 2 6)
        bl=$(stat baseline "$wl" 1 6)
        pc=$(awk -v e="$e2" 'BEGIN { if (e == "-") print "-"; else print e / 2 }')
        ratio=$(awk -v p="$pc" -v b="$bl" 'BEGIN { if (p == "-" || b == "-" || b == 0) print "n/a"; else printf "%.2f", p / b }')
        ck=$(awk -v c="$(stat ck "$wl" 2 6)" -v e="$e2" 'BEGIN { if (c == "-" || e == "-" || e == 0) print "—"; else printf "%.2f", c / e }')
        echo "| $wl | $(fmt_n "$(stat tp "$wl" 1 4)") | $(fmt_r tp "$wl" 1 6) | $(fmt_r tp "$wl" 2 6) | $(fmt_n "$pc") | $(fmt_r tp "$wl" 2 33 x) | $(fmt_r tp "$wl" 2 12 s) | $(fmt_r tp "$wl" 2 9 mib) | $( [[ $bl == - ]] && echo n/a || fmt_r baseline "$wl" 1 6) | $ratio | $ck |"
    done
    echo
    echo "### Latency at half the maximum rate"
    echo
    echo "2 workers, \`--pace X\` (sources keep to event time on the wall clock at X times real time,"
    echo "so the input rate is the generator's event-time rate × X = half the median 2-worker rate"
    echo "above), sink \`latency:\`: per record, the time from the wall-clock moment of its event"
    echo "time to the sink. A window's result carries ts = window end − 1, so its latency runs from"
    echo "the moment the window's last event time passed: it includes the watermark delay (0 here,"
    echo "\`--max-delay-ms 0\`, with the generators' disorder set to 0 where they have one), the"
    echo "batching and queueing, and the firing of every key's window (the last key of a firing"
    echo "waits for all the others). Milliseconds, medians of $LAT_RUNS run(s) of ~${LAT_S} s, [min–max]."
    echo
    echo "| workload | input rate (events/s) | p50 ms | p99 ms | max ms | results measured |"
    echo "|---|---:|---:|---:|---:|---:|"
    for wl in "${WORKLOADS[@]}"; do
        [[ $(stat lat "$wl" 2 18) == - ]] && continue
        if [[ $(lat_count "$wl") == 0 ]]; then # q4 (written at the end of input), q12 (10 s processing-time windows outlast a run)
            echo "| $wl | $(fmt_n "$(stat lat "$wl" 2 5)") | n/a | n/a | n/a | 0 (no result before the end of input) |"
            continue
        fi
        echo "| $wl | $(fmt_n "$(stat lat "$wl" 2 5)") | $(fmt_r lat "$wl" 2 18 ms) | $(fmt_r lat "$wl" 2 21 ms) | $(fmt_r lat "$wl" 2 24 ms) | $(lat_count "$wl") |"
    done
    if [[ $(stat knob0 "$KNOB_WL" 2 6) != - ]]; then
        echo
        echo "### The latency/throughput knob: \`--flush-ms\` ($KNOB_WL, 2 workers)"
        echo
        echo "With \`--flush-ms 0\` (the default) every activation of a subtask ends by sending its"
        echo "partly filled batches and a source sends its watermark after every poll. With"
        echo "\`--flush-ms N\` a partly filled batch waits up to N ms for more records and sources send"
        echo "watermarks every N ms (as Flink's buffer timeout and watermark interval)."
        echo
        echo "| --flush-ms | max events/s | p50 ms | p99 ms | max ms (at $(fmt_n "$(stat knoblat0 "$KNOB_WL" 2 5)") events/s) |"
        echo "|---:|---:|---:|---:|---:|"
        for f in 0 "$KNOB_MS"; do
            echo "| $f | $(fmt_r "knob$f" "$KNOB_WL" 2 6) | $(fmt_r "knoblat$f" "$KNOB_WL" 2 18 ms) | $(fmt_r "knoblat$f" "$KNOB_WL" 2 21 ms) | $(fmt_r "knoblat$f" "$KNOB_WL" 2 24 ms) |"
        done
    fi
    echo
    echo "### Against the targets of issue 5"
    echo
    echo "| workload | throughput target | measured | met | ÷ baseline ≥ 0.2 | p99 < 10 ms |$( ((CKPT)) && echo " checkpoints < 5% |")"
    echo "|---|---|---:|---|---|---|$( ((CKPT)) && echo "---|")"
    for wl in "${WORKLOADS[@]}"; do
        local e2 t tv tk meas met bl rb p99 ckm ck
        e2=$(stat tp "$wl" 2 6)
        [[ $e2 == - ]] && continue
        t=${W_TARGET[$wl]} tk=${t%%:*} tv=${t#*:}
        if [[ -z $t ]]; then
            echo -n "| $wl | — | $(fmt_n "$e2") total | — |"
        else
            meas=$([[ $tk == tot ]] && echo "$e2" || awk -v e="$e2" 'BEGIN { print e / 2 }')
            met=$(awk -v m="$meas" -v t="$tv" 'BEGIN { print (m >= t ? "**met**" : "not met") }')
            echo -n "| $wl | ≥ $(fmt_n "$tv") $([[ $tk == tot ]] && echo "in total" || echo "per core") | $(fmt_n "$meas") | $met |"
        fi
        bl=$(stat baseline "$wl" 1 6)
        rb=$(awk -v e="$e2" -v b="$bl" 'BEGIN { if (b == "-" || b == 0) print "n/a (no baseline)"; else { r = e / 2 / b; printf "%.2f %s", r, (r >= 0.2 ? "**met**" : "not met") } }')
        p99=$(stat lat "$wl" 2 21)
        [[ $(lat_count "$wl") == 0 ]] && p99=- # no result before the end of input
        echo -n " $rb | $(awk -v p="$p99" 'BEGIN { if (p == "-") print "—"; else printf "%.2f ms %s", p, (p < 10 ? "**met**" : "not met") }') |"
        if ((CKPT)); then
            ck=$(stat ck "$wl" 2 6)
            ckm=$(awk -v c="$ck" -v e="$e2" 'BEGIN { if (c == "-" || e == 0) print "—"; else { d = 1 - c / e; printf "%.1f%% %s", d * 100, (d < 0.05 ? "**met**" : "not met") } }')
            echo -n " $ckm |"
        fi
        echo
    done
    echo
    echo "Commands (from the repository root; every round runs the same):"
    echo
    echo '```'
    for wl in "${WORKLOADS[@]}"; do
        for k in tp ck baseline lat knob0 knoblat0 "knob$KNOB_MS" "knoblat$KNOB_MS"; do
            [[ -f $TMP/commands.$wl.$k ]] && awk '!seen[$0]++' "$TMP/commands.$wl.$k" | head -n 2
        done
    done
    echo '```'
}

# JSON for one workload (or every workload when $1 is empty).
report_json() {
    awk -F'\t' -v only="$1" -v date="$date_s" -v machine="$machine" -v software="$software" \
        -v source="$source_s" -v runs="$RUNS" -v scale="$SCALE" -v raw="$RAW" '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        function tri(c) { return $c == "-" ? "null" : sprintf("{\"median\": %s, \"min\": %s, \"max\": %s}", $c, $(c + 1), $(c + 2)) }
        BEGIN {
            printf "{\n  \"date\": %s,\n  \"machine\": %s,\n  \"software\": %s,\n  \"source\": %s,\n  \"scale\": %s,\n  \"rounds\": %d,\n  \"results\": [",
                q(date), q(machine), q(software), q(source), q(scale), runs
        }
        only == "" || $2 == only {
            printf "%s\n    {\"kind\": %s, \"workload\": %s, \"workers\": %s, \"records_read\": %s, \"input_rate\": %s, " \
                   "\"events_per_s\": %s, \"peak_memory_mib\": %s, \"cpu_s\": %s, \"wall_s\": %s, " \
                   "\"latency_p50_ms\": %s, \"latency_p99_ms\": %s, \"latency_max_ms\": %s, " \
                   "\"other_load_cores\": %s, \"events_per_cpu_s\": %s, \"ratio_to_1_worker\": %s}",
                (n++ ? "," : ""), q($1), q($2), $3, ($4 == "-" ? "null" : $4), ($5 == "-" ? "null" : $5),
                tri(6), tri(9), tri(12), tri(15), tri(18), tri(21), tri(24), tri(27), tri(30), tri(33)
        }
        END {
            printf "\n  ],\n  \"runs\": ["
            while ((getline line < raw) > 0) {
                split(line, f, "\t")
                if (only != "" && f[2] != only) continue
                printf "%s\n    [%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s]", (m++ ? "," : ""),
                    q(f[1]), q(f[2]), f[3], f[4], f[5], f[6], f[7], (f[8] == "-" ? "null" : f[8]), f[9], f[10],
                    (f[11] == "-" ? "null" : f[11]), (f[12] == "-" ? "null" : f[12]), (f[13] == "-" ? "null" : f[13]),
                    (f[14] == "-" ? "null" : f[14]), (f[15] == "-" ? "null" : f[15]), f[16]
            }
            printf "\n  ],\n  \"run_columns\": [\"kind\", \"workload\", \"workers\", \"round\", \"events_per_s\", \"records_read\", \"wall_s\", \"peak_memory_mib\", \"user_s\", \"sys_s\", \"latency_p50_ms\", \"latency_p99_ms\", \"latency_max_ms\", \"latency_count\", \"input_rate\", \"other_load_cores\"]\n}\n"
        }' "$STATS"
}

mkdir -p "$ROOT/bench/results"
if ((QUICK)); then
    {
        echo "# Benchmarks — quick run"
        echo
        echo "Not for quoting: see docs/benchmarks.md for the full run and what the figures mean."
        echo
        report_md
    } >"$ROOT/bench/results/quick.md"
    report_json "" >"$ROOT/bench/results/quick.json"
    echo "bench/run.sh: wrote bench/results/quick.md and bench/results/quick.json" >&2
    exit 0
fi

for wl in "${WORKLOADS[@]}"; do
    report_json "$wl" >"$ROOT/bench/results/$wl.json"
done

# docs/benchmarks.md: the hand-written text stays; only the part between the markers
# is replaced (the markers are appended to a file that lacks them).
DOC=$ROOT/docs/benchmarks.md
BEGIN_MARK='<!-- results:begin (generated by bench/run.sh; edits here are overwritten) -->'
END_MARK='<!-- results:end -->'
if ! grep -q '^<!-- results:begin' "$DOC" || ! grep -q "^$END_MARK" "$DOC"; then
    printf '\n%s\n%s\n' "$BEGIN_MARK" "$END_MARK" >>"$DOC"
fi
report_md >"$TMP/section.md"
awk -v section="$TMP/section.md" -v begin="$BEGIN_MARK" '
    /^<!-- results:begin/ { print begin; while ((getline l < section) > 0) print l; skip = 1; next }
    /^<!-- results:end -->/ { skip = 0 }
    !skip { print }' "$DOC" >"$TMP/doc.md"
cat "$TMP/doc.md" >"$DOC"
echo "bench/run.sh: wrote docs/benchmarks.md (results section) and bench/results/<workload>.json" >&2
