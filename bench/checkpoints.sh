#!/usr/bin/env bash
# Checkpoint costs for docs/checkpoints.md: for trending_words and ecommerce_sessions on
# generated input, the throughput with checkpoints every second against none
# (interleaved rounds, medians; wall time and the process's CPU time, which a shared
# machine disturbs less), the last checkpoint's duration, synchronous part and alignment,
# its size against the state it holds, and the recovery time after a kill -9: kill to
# state restored, and kill to the first output the restored run commits.
#
# Usage: bench/checkpoints.sh [ROUNDS]   (default 5; needs `make` first)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S="$ROOT/build/sangam"
J="$ROOT/build/jobs"
ROUNDS=${1:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/sg-ckbench-XXXXXX")
trap 'rm -rf "$W"' EXIT

declare -A CMD
CMD[trending_words]="$J/trending_words.so --input gen:posts?count=1000000&rate=200 --output file:OUT"
CMD[ecommerce_sessions]="$J/ecommerce_sessions.so --input gen:ecommerce?count=2000000&rate=50 --output file:OUT"

median() { sort -n | awk '{a[NR] = $1} END {if (!NR) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# run_once JOB EXTRA-ENGINE-OPTIONS...: prints wall seconds and appends the CPU seconds
# (user + system) to $W/cpu.off or $W/cpu.on; keeps stderr in $W/last.err
run_once() {
    local job=$1
    shift
    local out="$W/out.csv"
    rm -rf "$W/ck" "$out"
    local t0 t1
    local tag=off
    [ $# -gt 0 ] && tag=on
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S' -o "$W/time" "$S" run --no-progress --parallelism 2 --workers 2 "$@" \
        ${CMD[$job]//OUT/$out} 2>"$W/last.err" >/dev/null ||
        { echo "run failed: $(tail -n 1 "$W/last.err")" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk '{print $1 + $2}' "$W/time" >>"$W/cpu.$tag"
    echo "$t1 - $t0" | bc
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git -C "$ROOT" rev-parse --short HEAD), rounds: $ROUNDS, parallelism 2, workers 2"
for job in trending_words ecommerce_sessions; do
    : >"$W/off" && : >"$W/on" && : >"$W/sync" && : >"$W/dur" && : >"$W/size" && : >"$W/state"
    : >"$W/align" && : >"$W/cpu.off" && : >"$W/cpu.on"
    for r in $(seq "$ROUNDS"); do
        run_once $job >>"$W/off"
        run_once $job --checkpoint-dir "$W/ck" --checkpoint-interval-ms 1000 >>"$W/on"
        line=$(grep 'checkpoints  ' "$W/last.err")
        # "checkpoints N completed, M aborted; last X ms (synchronous part Y ms, alignment A ms), Z MiB"
        echo "$line" | sed -E 's/.*last ([0-9.]+) ms.*/\1/' >>"$W/dur"
        echo "$line" | sed -E 's/.*synchronous part ([0-9.]+) ms.*/\1/' >>"$W/sync"
        echo "$line" | sed -E 's/.*alignment ([0-9.]+) ms.*/\1/' >>"$W/align"
        last=$(ls -d "$W"/ck/chk-* 2>/dev/null | tail -n 1)
        if [ -n "$last" ]; then
            du -sb --apparent-size "$last" | cut -f1 >>"$W/size"
            "$S" checkpoints "$last" | awk '/operator .*bytes/ {s += $(NF - 1)} END {print s + 0}' >>"$W/state"
        fi
    done
    off=$(median <"$W/off") on=$(median <"$W/on")
    printf '%s: wall %.2f s without checkpoints, %.2f s with one every 1 s (%+.1f%% time); ' \
        "$job" "$off" "$on" "$(echo "($on - $off) * 100 / $off" | bc -l)"
    printf 'last checkpoint %s ms, synchronous part %s ms, alignment %s ms (medians); size %s bytes on disk for %s bytes of state\n' \
        "$(median <"$W/dur")" "$(median <"$W/sync")" "$(median <"$W/align")" "$(median <"$W/size")" "$(median <"$W/state")"
    coff=$(median <"$W/cpu.off") con=$(median <"$W/cpu.on")
    printf '  cpu %.2f s without, %.2f s with (%+.1f%%)\n' "$coff" "$con" \
        "$(echo "($con - $coff) * 100 / $coff" | bc -l)"
    echo "  runs without: $(tr '\n' ' ' <"$W/off")"
    echo "  runs with:    $(tr '\n' ' ' <"$W/on")"

    # Recovery: kill -9 halfway through a run with checkpoints every second, restart.
    : >"$W/rest" && : >"$W/first"
    for r in $(seq "$ROUNDS"); do
        out="$W/rec.csv"
        rm -rf "$W/ck" "$out"*
        # shellcheck disable=SC2086
        "$S" run --no-progress --parallelism 2 --checkpoint-dir "$W/ck" --checkpoint-interval-ms 1000 \
            ${CMD[$job]//OUT/$out} 2>/dev/null &
        pid=$!
        sleep "$(echo "$off * 0.6" | bc -l)" # after a checkpoint or more, before the end
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        killed=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$S" run --no-progress --parallelism 2 --checkpoint-dir "$W/ck" --checkpoint-interval-ms 1000 \
            --restore latest ${CMD[$job]//OUT/$out} 2>"$W/rec.err" &
        pid=$!
        restored="" first=""
        while kill -0 $pid 2>/dev/null; do
            now=$(date +%s.%N)
            if [ -z "$restored" ]; then
                # The restored run has cut the output back to what its checkpoint committed.
                grep -q 'restored checkpoint' "$W/rec.err" &&
                    restored=$now size0=$(stat -c %s "$out" 2>/dev/null || echo 0)
            elif [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -gt "$size0" ]; then
                first=$now
                break
            fi
            sleep 0.002
        done
        wait $pid
        [ -n "$restored" ] && echo "($restored - $killed) * 1000" | bc >>"$W/rest"
        [ -n "$first" ] && echo "($first - $killed) * 1000" | bc >>"$W/first"
    done
    printf '  recovery after kill -9 (median of %s): state restored %.0f ms, first committed output %.0f ms\n' \
        "$ROUNDS" "$(median <"$W/rest")" "$(median <"$W/first")"
done
