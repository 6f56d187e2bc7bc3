#!/usr/bin/env bash
# bench/run.sh — the benchmark harness: runs every workload at 1 and 2 workers,
# several times, and writes the medians with their min–max.
#
#   bash bench/run.sh            5 runs each; regenerates the results section of
#                                docs/benchmarks.md and bench/results/latest.json
#   bash bench/run.sh --quick    3 runs each, ~10x smaller inputs; writes
#                                bench/results/quick.md only
#
# It builds nothing: run `make` first (`make bench` does both). Environment: BUILD
# (default build), RUNS, TW_COUNT, KC_COUNT override the defaults.
#
# Workloads (both with a null: sink, so no output I/O is measured):
#   trending_words  jobs/trending_words on gen:posts: JSON Lines generated, parsed,
#                   tokenized, counted per word in sliding windows, ranked.
#   keycount        bench/jobs/keycount: generated keyed records (no parsing)
#                   -> key_by -> tumbling 1 s count, 100 K keys. The engine alone.
#
# Figures come from the engine's own summary on stderr (records read, events/s =
# records read / wall time, peak memory = the process's peak RSS); CPU time (user +
# sys of all threads) from bash's `time`. Runs are interleaved (round r runs every
# workload at 1 then 2 workers) so that a burst of load from other processes on this
# shared machine hits both worker counts alike; the 2-vs-1 ratio is computed per
# round and its median reported.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
QUICK=0
for arg in "$@"; do
    case $arg in
    --quick) QUICK=1 ;;
    -h | --help)
        sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench/run.sh: unknown argument '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

if ((QUICK)); then
    RUNS=${RUNS:-3} TW_COUNT=${TW_COUNT:-100000} KC_COUNT=${KC_COUNT:-1000000}
else
    RUNS=${RUNS:-5} TW_COUNT=${TW_COUNT:-1000000} KC_COUNT=${KC_COUNT:-10000000}
fi
WORKERS=(1 2)

SANGAM=$BUILD/sangam
for f in "$SANGAM" "$BUILD/jobs/trending_words.so" "$BUILD/bench/keycount.so"; do
    if [[ ! -e $f ]]; then
        echo "bench/run.sh: $f is missing: run 'make' first (or 'make bench')" >&2
        exit 2
    fi
done

# Workload name -> job arguments (after the engine options), relative to the root.
declare -A JOB_ARGS=(
    [trending_words]="${BUILD#"$ROOT"/}/jobs/trending_words.so --input gen:posts?count=$TW_COUNT --output null:"
    [keycount]="${BUILD#"$ROOT"/}/bench/keycount.so --count $KC_COUNT --keys 100000 --output null:"
)
WORKLOADS=(trending_words keycount)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RAW=$TMP/raw.tsv # workload workers round wall read out evs peak_mib user sys others steal real
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
: >"$RAW"

engine_cmd() { # workers -> the engine part of the command line
    echo "${BUILD#"$ROOT"/}/sangam run --parallelism $1 --workers $1 --no-progress"
}

# The machine's busy CPU ticks (user, nice, system, irq, softirq) and steal ticks.
cpu_ticks() {
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat
}

# Runs one workload once; appends a row to RAW. Besides the engine's figures it
# records how many cores other processes kept busy during the run (the machine's busy
# CPU time minus ours, over the wall time) and the hypervisor's steal: the noise.
run_one() {
    local wl=$1 w=$2 round=$3 cmd busy0 steal0 busy1 steal1
    read -r busy0 steal0 < <(cpu_ticks)
    cmd="$(engine_cmd "$w") ${JOB_ARGS[$wl]}"
    # shellcheck disable=SC2086 # the command is split into words on purpose
    if ! { TIMEFORMAT='%R %U %S'; time (cd "$ROOT" && $cmd 2>"$TMP/err" >/dev/null); } \
        2>"$TMP/time"; then
        echo "bench/run.sh: '$cmd' failed:" >&2
        cat "$TMP/err" >&2
        exit 1
    fi
    read -r busy1 steal1 < <(cpu_ticks)
    awk -v wl="$wl" -v w="$w" -v r="$round" -v hz="$HZ" -v busy=$((busy1 - busy0)) \
        -v steal=$((steal1 - steal0)) -v times="$(tail -n 1 "$TMP/time")" '
        /^sangam: done in/     { wall = $4 } # the summary before 2026-11-25
        /^  wall time/         { wall = $3 }
        /^  records read/      { read = $3 }
        /^  output records/    { out = $3 }
        /^  events\/s/         { evs = $2 }
        /^  peak memory/       { peak = $3 }
        END {
            if (wall == "" || read == "" || evs == "" || peak == "") {
                print "bench/run.sh: no summary in the output of run " r " of " wl > "/dev/stderr"
                exit 1
            }
            split(times, t, " ")
            others = t[1] > 0 ? (busy / hz - t[2] - t[3]) / t[1] : 0
            if (others < 0) others = 0 # tick rounding
            stealc = t[1] > 0 ? steal / hz / t[1] : 0
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\n", wl, w, r, wall, read, out,
                   evs, peak, t[2], t[3], others, stealc, t[1]
        }' "$TMP/err" >>"$RAW"
    tail -n 1 "$RAW" | awk -F'\t' '{ printf "  %-15s %d worker(s) round %d: %10.0f events/s, %6.1f MiB, %.2f s, cpu %.2f s, others %.2f cores\n", $1, $2, $3, $7, $8, $4, $9 + $10, $11 }' >&2
}

echo "bench/run.sh: $RUNS rounds; trending_words $TW_COUNT posts, keycount $KC_COUNT events" >&2
for ((r = 1; r <= RUNS; r++)); do
    for wl in "${WORKLOADS[@]}"; do
        for w in "${WORKERS[@]}"; do
            run_one "$wl" "$w" "$r"
        done
    done
done

# ---- Machine and build -------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_fm=$(awk -F': ' '/^cpu family/ { f = $2 } /^model\t/ { m = $2 } END { print "family " f ", model " m }' /proc/cpuinfo)
cpu_mhz=$(awk -F': ' '/^cpu MHz/ { printf "%.0f MHz", $2; exit }' /proc/cpuinfo)
hyper=$(grep -qw hypervisor /proc/cpuinfo && echo "virtual machine" || echo "bare metal")
caches=$(lscpu 2>/dev/null | awk -F': +' '/^L2 cache|^L3 cache/ { printf "%s%s %s", sep, substr($1, 1, 2), $2; sep = ", " }' || true)
mem_gib=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || echo unknown)
kernel=$(uname -r)
gcc_v=$(gcc --version 2>/dev/null | head -n 1 || echo unknown)
build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | awk '{ print $2 }' | paste -sd' ' - || true)
date_s=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(nproc) CPUs, $cpu_model ($cpu_fm, $cpu_mhz${caches:+, $caches}), $hyper, $mem_gib RAM"
software="$os, Linux $kernel, $gcc_v, ${build_type:-unknown} build (-O2 -g)"
source_s="commit $commit${dirty:+ with uncommitted changes in: $dirty}"

# ---- Statistics ----------------------------------------------------------------------
# One row per (workload, workers): the median and min/max of each column, plus the
# median of the per-round ratio of events/s at W workers to events/s at 1 worker.

STATS=$TMP/stats.tsv
awk -F'\t' '
    function med(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        lo = a[1]; hi = a[n]
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
        k = $1 SUBSEP $2
        if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
        evs[k] = evs[k] " " $7; peak[k] = peak[k] " " $8; wall[k] = wall[k] " " $4
        cpu = $9 + $10
        cpus[k] = cpus[k] " " cpu; epc[k] = epc[k] " " (cpu > 0 ? $5 / cpu : 0)
        util[k] = util[k] " " ($13 > 0 ? cpu / $13 : 0) # over the whole process
        out[k] = $6; read[k] = $5; others[k] = others[k] " " $11; steal[k] = steal[k] " " $12
        byround[$1 SUBSEP $2 SUBSEP $3] = $7
        if ($3 > rounds) rounds = $3
    }
    END {
        for (i = 1; i <= nk; i++) {
            k = order[i]; split(k, p, SUBSEP); wl = p[1]; w = p[2]
            m_evs = med(evs[k]); lo_evs = lo; hi_evs = hi
            m_peak = med(peak[k]); lo_peak = lo; hi_peak = hi
            m_wall = med(wall[k]); m_epc = med(epc[k]); lo_epc = lo; hi_epc = hi
            m_util = med(util[k]); m_oth = med(others[k]); lo_oth = lo; hi_oth = hi
            m_steal = med(steal[k])
            ratios = ""
            for (r = 1; r <= rounds; r++)
                if (byround[wl SUBSEP 1 SUBSEP r] > 0)
                    ratios = ratios " " byround[wl SUBSEP w SUBSEP r] / byround[wl SUBSEP 1 SUBSEP r]
            m_ratio = med(ratios); lo_ratio = lo; hi_ratio = hi
            printf "%s\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.2f\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n",
                wl, w, read[k], out[k], m_evs, lo_evs, hi_evs, m_evs / w, m_peak, lo_peak, hi_peak,
                m_wall, m_epc, lo_epc, hi_epc, m_util, m_ratio, lo_ratio, hi_ratio, m_oth, lo_oth, hi_oth,
                m_steal
        }
    }' "$RAW" >"$STATS"
# STATS columns: 1 workload 2 workers 3 read 4 out 5-7 evs med/min/max 8 evs per worker
# 9-11 peak MiB med/min/max 12 wall med 13-15 events per CPU-s med/min/max 16 CPU use
# 17-19 ratio to 1 worker med/min/max 20-22 other processes' CPU (cores) med/min/max
# 23 hypervisor steal (cores) median

commands() {
    for wl in "${WORKLOADS[@]}"; do
        for w in "${WORKERS[@]}"; do
            echo "$(engine_cmd "$w") ${JOB_ARGS[$wl]}"
        done
    done
}

# ---- The Markdown section ----------------------------------------------------------------

report_md() {
    local mode="full: $RUNS runs each" invocation="bash bench/run.sh"
    if ((QUICK)); then
        mode="quick: $RUNS runs each, small inputs — for a smoke check, not for quoting"
        invocation="bash bench/run.sh --quick"
    fi
    echo "## Results"
    echo
    echo "Generated by \`$invocation\` ($mode) on $date_s."
    echo
    echo "- Machine: $machine."
    echo "- Software: $software."
    echo "- Source: $source_s."
    echo "- Inputs: trending_words $TW_COUNT generated posts; keycount $KC_COUNT events over 100,000 keys."
    echo
    echo "Medians of $RUNS runs, min–max in brackets. events/s = records read by the sources / wall"
    echo "time of the whole run (start-up and the final window firing included). Per worker = events/s"
    echo "divided by the worker count. events per CPU-s = records read / (user + sys CPU time of the"
    echo "process): the figure least disturbed by other load on the machine. CPU use = CPU time / the"
    echo "process's elapsed time (2.00 = both cores busy). Peak memory = the process's peak RSS."
    echo "Other load = cores kept busy by other processes during the runs (the machine's busy time"
    echo "minus ours, over the wall time; the machine has $(nproc)): the noise, to read beside each row."
    echo
    echo "| workload | workers | events/s | events/s per worker | vs 1 worker | events per CPU-s | CPU use | peak memory (MiB) | wall (s) | other load (cores) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        function n(x) { x = sprintf("%.0f", x); while (x ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", x); return x }
        {
            ratio = $2 == 1 ? "1" : sprintf("%.2f [%.2f–%.2f]", $17, $18, $19)
            printf "| %s | %d | %s [%s–%s] | %s | %s | %s [%s–%s] | %.2f | %.1f [%.1f–%.1f] | %.2f | %.2f [%.2f–%.2f] |\n",
                $1, $2, n($5), n($6), n($7), n($8), ratio, n($13), n($14), n($15), $16, $9, $10, $11, $12,
                $20, $21, $22
        }' "$STATS"
    echo
    echo "\"vs 1 worker\" is the median over rounds of (events/s at 2 workers) / (events/s at 1 worker)"
    echo "measured in the same round. Records read per run: $(awk -F'\t' '$2 == 1 { printf "%s%s %s", sep, $1, $3; sep = ", " }' "$STATS");"
    echo "output records: $(awk -F'\t' '$2 == 1 { printf "%s%s %s", sep, $1, $4; sep = ", " }' "$STATS")."
    echo "Hypervisor steal, median over all runs: $(awk -F'\t' '{ print $12 }' "$RAW" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }') cores."
    echo
    echo "Commands (from the repository root):"
    echo
    echo '```'
    commands
    echo '```'
    echo
    echo "<details><summary>Every run</summary>"
    echo
    echo "| workload | workers | round | events/s | peak MiB | wall s | user s | sys s | others (cores) | steal (cores) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    sort -t$'\t' -k1,1 -k2,2n -k3,3n "$RAW" |
        awk -F'\t' '{ printf "| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $7, $8, $4, $9, $10, $11, $12 }'
    echo
    echo "</details>"
}

report_json() {
    awk -F'\t' -v date="$date_s" -v machine="$machine" -v software="$software" \
        -v source="$source_s" -v runs="$RUNS" -v cmds="$(commands | paste -sd'|' -)" \
        -v raw="$RAW" '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        BEGIN {
            printf "{\n  \"date\": %s,\n  \"machine\": %s,\n  \"software\": %s,\n  \"source\": %s,\n  \"runs\": %d,\n",
                q(date), q(machine), q(software), q(source), runs
            n = split(cmds, c, "|")
            printf "  \"commands\": ["
            for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), q(c[i])
            printf "],\n  \"results\": [\n"
        }
        {
            printf "%s    {\"workload\": %s, \"workers\": %d, \"records_read\": %s, \"output_records\": %s, " \
                   "\"events_per_s\": {\"median\": %s, \"min\": %s, \"max\": %s}, \"events_per_s_per_worker\": %s, " \
                   "\"ratio_to_1_worker\": {\"median\": %s, \"min\": %s, \"max\": %s}, " \
                   "\"events_per_cpu_s\": {\"median\": %s, \"min\": %s, \"max\": %s}, \"cpu_use\": %s, " \
                   "\"peak_memory_mib\": {\"median\": %s, \"min\": %s, \"max\": %s}, \"wall_s\": %s, " \
                   "\"other_processes_cores\": {\"median\": %s, \"min\": %s, \"max\": %s}, \"steal_cores\": %s}",
                (NR > 1 ? ",\n" : ""), q($1), $2, $3, $4, $5, $6, $7, $8, $17, $18, $19, $13, $14, $15, $16,
                $9, $10, $11, $12, $20, $21, $22, $23
        }
        END {
            printf "\n  ],\n  \"runs_raw\": [\n"
            i = 0
            while ((getline line < raw) > 0) {
                split(line, f, "\t")
                printf "%s    {\"workload\": %s, \"workers\": %s, \"round\": %s, \"wall_s\": %s, \"records_read\": %s, " \
                       "\"output_records\": %s, \"events_per_s\": %s, \"peak_memory_mib\": %s, \"user_s\": %s, " \
                       "\"sys_s\": %s, \"other_processes_cores\": %s, \"steal_cores\": %s}",
                    (i++ ? ",\n" : ""), q(f[1]), f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]
            }
            printf "\n  ]\n}\n"
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
    echo "bench/run.sh: wrote bench/results/quick.md" >&2
    exit 0
fi

report_json >"$ROOT/bench/results/latest.json"

# docs/benchmarks.md: the hand-written text stays; only the part between the markers
# is replaced (the markers are appended to a file that lacks them).
DOC=$ROOT/docs/benchmarks.md
BEGIN_MARK='<!-- results:begin (generated by bench/run.sh; edits here are overwritten) -->'
END_MARK='<!-- results:end -->'
mkdir -p "$ROOT/docs"
if [[ ! -f $DOC ]]; then
    printf '# Benchmarks\n\nHow to run: `make bench` (or `bash bench/run.sh`).\n\n' >"$DOC"
fi
if ! grep -q '^<!-- results:begin' "$DOC" || ! grep -q "^$END_MARK" "$DOC"; then
    printf '\n%s\n%s\n' "$BEGIN_MARK" "$END_MARK" >>"$DOC"
fi
report_md >"$TMP/section.md"
awk -v section="$TMP/section.md" -v begin="$BEGIN_MARK" '
    /^<!-- results:begin/ { print begin; while ((getline l < section) > 0) print l; skip = 1; next }
    /^<!-- results:end -->/ { skip = 0 }
    !skip { print }' "$DOC" >"$TMP/doc.md"
cat "$TMP/doc.md" >"$DOC"
echo "bench/run.sh: wrote docs/benchmarks.md (results section) and bench/results/latest.json" >&2
