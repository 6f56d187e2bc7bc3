# Helpers for the integration tests: run build/sangam, check outputs and exit codes.
# Usage in a test: source lib.sh "$BUILD" "$SRC"; then check_* calls; finish.
BUILD=$1
SRC=$2
SANGAM="$BUILD/sangam"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-itest-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_exit CODE DESCRIPTION -- COMMAND...: runs it, checks the exit code, and keeps
# its stderr in $TMP/stderr.
expect_exit() {
    local want=$1 what=$2
    shift 3
    checks=$((checks + 1))
    "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$what: exit $got, expected $want; stderr: $(head -c 400 "$TMP/stderr")"
        return 1
    fi
    return 0
}

# expect_stderr PATTERN DESCRIPTION: the last command's stderr matches (grep -E).
expect_stderr() {
    checks=$((checks + 1))
    grep -Eq -- "$1" "$TMP/stderr" || fail "$2: stderr lacks /$1/: $(head -c 400 "$TMP/stderr")"
}

# expect_one_line DESCRIPTION: the last command's stderr is exactly one line.
expect_one_line() {
    checks=$((checks + 1))
    [ "$(wc -l <"$TMP/stderr")" = 1 ] || fail "$1: expected one line on stderr, got: $(cat "$TMP/stderr")"
}

expect_same_file() {
    checks=$((checks + 1))
    cmp -s "$1" "$2" || fail "$3: $1 differs from $2: $(diff "$1" "$2" | head -20)"
}

finish() {
    local passed=$((checks - failures))
    echo "$passed passed, $failures failed"
    [ "$failures" = 0 ]
}
