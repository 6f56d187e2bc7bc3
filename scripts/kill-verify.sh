#!/usr/bin/env bash
# kill-verify.sh — checks that a job survives kill -9: it runs the job once without
# faults for the reference output, then again with checkpoints while killing the
# process with SIGKILL at random moments and restarting it with --restore latest,
# and finally compares the outputs. Exactly-once: identical (as multisets of lines, or
# byte for byte with --byte-identical). At-least-once: nothing of the reference lost.
#
# Usage: scripts/kill-verify.sh [OPTIONS] -- [ENGINE OPTIONS] JOB.so [JOB OPTIONS]
# In the job's options, @OUT@ stands for an output directory (one per phase), e.g.
#   scripts/kill-verify.sh --kills 5 -- build/jobs/trending_words.so \
#       --input 'gen:posts?count=400000' --output file:@OUT@/trending.csv
set -u

usage() {
    cat <<'EOF'
usage: kill-verify.sh [OPTIONS] -- [ENGINE OPTIONS] JOB.so [JOB OPTIONS]
  @OUT@ in the job's options stands for the output directory of each phase.
options:
  --kills N            SIGKILLs to deliver (5)
  --mode MODE          exactly-once (default) or at-least-once
  --interval-ms N      checkpoint interval (100)
  --delay MIN:MAX      seconds from a start to its kill, uniform in [MIN, MAX]
                       (default: 5%..15% of the reference run's time,
                       so that 5 kills come before the job could finish).
                       Every second run is instead killed a random moment
                       (up to one interval) after it completes a checkpoint,
                       so that restores happen however the load moves timing
  --seed N             seed of the kill times (default: the clock), printed
  --byte-identical     compare outputs byte for byte, not as multisets of lines
  --sangam PATH        the sangam command (default: build/sangam beside this script)
  --keep DIR           work in DIR and keep it (default: a temporary directory, removed)
exit status: 0 the output is right, 1 it is not (or a run failed), 2 usage error
EOF
}

die_usage() {
    echo "kill-verify: $*" >&2
    exit 2
}

KILLS=5 MODE=exactly-once INTERVAL=100 DELAY="" SEED="" BYTES=0 KEEP=""
SANGAM="$(cd "$(dirname "$0")/.." && pwd)/build/sangam"
while [ $# -gt 0 ]; do
    case $1 in
    --kills) KILLS=${2:-}; shift 2 ;;
    --mode) MODE=${2:-}; shift 2 ;;
    --interval-ms) INTERVAL=${2:-}; shift 2 ;;
    --delay) DELAY=${2:-}; shift 2 ;;
    --seed) SEED=${2:-}; shift 2 ;;
    --byte-identical) BYTES=1; shift ;;
    --sangam) SANGAM=${2:-}; shift 2 ;;
    --keep) KEEP=${2:-}; shift 2 ;;
    --help | -h) usage; exit 0 ;;
    --) shift; break ;;
    *) die_usage "unknown option '$1' (see --help)" ;;
    esac
done
[ $# -gt 0 ] || die_usage "missing the job after '--' (see --help)"
[[ $KILLS =~ ^[0-9]+$ ]] || die_usage "--kills needs a number"
[[ $INTERVAL =~ ^[1-9][0-9]*$ ]] || die_usage "--interval-ms needs a positive number"
[ "$MODE" = exactly-once ] || [ "$MODE" = at-least-once ] ||
    die_usage "--mode must be exactly-once or at-least-once"
[ -z "$DELAY" ] || [[ $DELAY =~ ^[0-9.]+:[0-9.]+$ ]] || die_usage "--delay needs MIN:MAX seconds"
[ -x "$SANGAM" ] || die_usage "no sangam command at $SANGAM (build first, or --sangam PATH)"
SEED=${SEED:-$(($(date +%s%N) % 1000000))}
RANDOM=$SEED

if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP" || exit 1
    WORK=$KEEP
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/kill-verify-XXXXXX") || exit 1
    trap 'rm -rf "$WORK"' EXIT
fi
REF="$WORK/reference" RUN="$WORK/faulty" CKPT="$WORK/checkpoints"
rm -rf "$REF" "$RUN" "$CKPT"
mkdir -p "$REF" "$RUN"

# The command line of one phase: @OUT@ replaced by its output directory.
args_for() {
    local out=$1
    shift
    local a
    for a in "$@"; do printf '%s\0' "${a//@OUT@/$out}"; done
}

now() { date +%s.%N; }

# ---- Reference run -------------------------------------------------------------------
mapfile -d '' REF_ARGS < <(args_for "$REF" "$@")
t0=$(now)
if ! "$SANGAM" run --quiet "${REF_ARGS[@]}" 2>"$WORK/reference.log"; then
    echo "kill-verify: the reference run failed: $(tail -n 1 "$WORK/reference.log")" >&2
    exit 1
fi
REF_TIME=$(echo "$(now) - $t0" | bc)
if [ -z "$DELAY" ]; then
    DMIN=$(echo "$REF_TIME * 0.05" | bc -l) DMAX=$(echo "$REF_TIME * 0.15" | bc -l)
else
    DMIN=${DELAY%%:*} DMAX=${DELAY##*:}
fi

# ---- Runs killed at random moments, each restarted from the latest checkpoint -------
mapfile -d '' RUN_ARGS < <(args_for "$RUN" "$@")
CK=(--checkpoint-dir "$CKPT" --checkpoint-interval-ms "$INTERVAL" --checkpoint-mode "$MODE")
# The id of the newest complete checkpoint in the directory (one with _metadata), 0
# if none: retention removes old ones, so ids, not counts, tell a new one.
latest_checkpoint() {
    local id=0 m n
    for m in "$CKPT"/chk-*/_metadata; do
        [ -e "$m" ] || continue
        n=${m%/_metadata}
        n=$((10#${n##*/chk-}))
        [ $n -gt $id ] && id=$n
    done
    echo $id
}
kills=0 restores=0 fresh=0 attempt=0 finished=0
recoveries=()
kill_time=""
while [ $finished = 0 ]; do
    attempt=$((attempt + 1))
    log="$WORK/run-$attempt.log"
    restore=()
    [ $attempt -gt 1 ] && restore=(--restore latest)
    "$SANGAM" run --no-progress "${CK[@]}" "${restore[@]}" "${RUN_ARGS[@]}" 2>"$log" &
    pid=$!
    if [ -n "$kill_time" ]; then
        # Recovery time: from the kill to the restarted run reporting its restore.
        while kill -0 $pid 2>/dev/null && ! grep -q 'restored checkpoint\|starting from the beginning' "$log"; do
            sleep 0.005
        done
        recoveries+=("$(echo "($(now) - $kill_time) * 1000 / 1" | bc)")
    fi
    if [ $kills -lt "$KILLS" ]; then
        if [ $((attempt % 2)) = 0 ]; then
            # After the next checkpoint this run completes, then a random moment
            # within one interval (mid-processing, mid-checkpoint, or between a
            # checkpoint's completion and the sink's commit).
            done_before=$(latest_checkpoint)
            while kill -0 $pid 2>/dev/null && [ "$(latest_checkpoint)" -le "$done_before" ]; do
                sleep 0.002
            done
            sleep "$(echo "$INTERVAL / 1000 * $RANDOM / 32767" | bc -l)"
        else
            sleep "$(echo "$DMIN + ($DMAX - $DMIN) * $RANDOM / 32767" | bc -l)"
        fi
        if kill -9 $pid 2>/dev/null; then
            kill_time=$(now)
            wait $pid 2>/dev/null
            kills=$((kills + 1))
        else
            wait $pid
            rc=$?
            [ $rc = 0 ] || { echo "kill-verify: run $attempt failed (exit $rc): $(tail -n 1 "$log")" >&2; exit 1; }
            finished=1
        fi
    else
        wait $pid
        rc=$?
        [ $rc = 0 ] || { echo "kill-verify: the last run failed (exit $rc): $(tail -n 1 "$log")" >&2; exit 1; }
        finished=1
    fi
    grep -q 'restored checkpoint' "$log" && restores=$((restores + 1))
    grep -q 'starting from the beginning' "$log" && fresh=$((fresh + 1))
done
last_id=$(ls "$CKPT" 2>/dev/null | sed -n 's/^chk-0*\([0-9][0-9]*\)$/\1/p' | sort -n | tail -n 1)

# ---- Comparison --------------------------------------------------------------------
bad=0
compare() {
    local ref=$1 got=$2 name=$3
    if [ ! -f "$got" ]; then
        echo "kill-verify: $name: missing after the faulty runs" >&2
        return 1
    fi
    if [ $BYTES = 1 ]; then
        cmp -s "$ref" "$got" && return 0
        echo "kill-verify: $name differs from the reference: $(cmp "$ref" "$got" 2>&1 | head -n 1)" >&2
        return 1
    fi
    LC_ALL=C sort "$ref" >"$WORK/ref.sorted"
    LC_ALL=C sort "$got" >"$WORK/got.sorted"
    if [ "$MODE" = exactly-once ]; then
        cmp -s "$WORK/ref.sorted" "$WORK/got.sorted" && return 0
        echo "kill-verify: $name: the lines differ from the reference ($(wc -l <"$ref") vs $(wc -l <"$got") lines): $(diff "$WORK/ref.sorted" "$WORK/got.sorted" | head -n 4 | tr '\n' ' ')" >&2
        return 1
    fi
    # At-least-once: every reference line at least as often in the output.
    local lost
    lost=$(LC_ALL=C comm -23 "$WORK/ref.sorted" "$WORK/got.sorted" | head -n 3)
    [ -z "$lost" ] && return 0
    echo "kill-verify: $name lost lines of the reference, e.g.: $(echo "$lost" | tr '\n' ' ')" >&2
    return 1
}
n_files=0
for ref in "$REF"/*; do
    [ -f "$ref" ] || continue
    n_files=$((n_files + 1))
    compare "$ref" "$RUN/$(basename "$ref")" "$(basename "$ref")" || bad=1
done
[ $n_files -gt 0 ] || { echo "kill-verify: the job wrote nothing into @OUT@" >&2; exit 1; }

rec="none"
[ ${#recoveries[@]} -gt 0 ] && rec="$(IFS=' '; echo "${recoveries[*]}") ms"
echo "kill-verify: seed $SEED, reference ${REF_TIME%.*}.$(echo "$REF_TIME" | cut -d. -f2 | cut -c1-2) s," \
    "kills $kills, runs $attempt, restores $restores, fresh restarts $fresh," \
    "checkpoints started ${last_id:-0}, recovery (kill to restored) $rec"
if [ $bad = 0 ]; then
    echo "kill-verify: $MODE: output of $n_files file(s) $([ "$MODE" = exactly-once ] && echo identical || echo complete)"
fi
exit $bad
