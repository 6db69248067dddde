#!/bin/sh
# run.sh: runs the unit tests and every command-line test, and prints "N passed, N failed".
# Environment: BIN (the built tools), TEST_BIN (the unit-test program), TOOLS_BIN (test helpers).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
: "${BIN:=$root/bin}" "${TEST_BIN:=$root/build/release/run-tests}"
: "${TOOLS_BIN:=$(dirname "$TEST_BIN")/test-tools}"
export BIN TOOLS_BIN ROOT="$root" SHARED="${SHARED:-$(dirname "$root")/shared}"
log=$(mktemp "${TMPDIR:-/tmp}/charrnn-tests.XXXXXX")
trap 'rm -f "$log"' EXIT

cd "$root" || exit 2
"$TEST_BIN" --fixtures "$root/tests/fixtures" --shared "$SHARED" | tee -a "$log" | grep -v '^ok '
for n in ${FUZZ_NAMES:-}; do
    if "$FUZZ_BIN/$n" "$root/tests/fuzz/seeds/$n" > /dev/null 2>&1; then
        echo "ok   fuzz_replay_$n" | tee -a "$log"
    else
        echo "FAIL fuzz_replay_$n: the seeds of tests/fuzz/seeds/$n crash or are missing" | tee -a "$log"
    fi
done | grep -v '^ok '
for t in "$root"/tests/cli/*.sh; do
    case $t in */lib.sh) continue ;; esac
    sh "$t" 2>&1 | tee -a "$log" | grep -v '^ok '
done
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^skip ' "$log")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && grep -q '^unit: ' "$log"
