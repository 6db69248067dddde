# lib.sh: helpers for the command-line tests. Each test prints "ok NAME", "FAIL NAME" with the
# reason, or "skip NAME: why". Sourced by tests/cli/*.sh, which run from the project's root.
set -u
# make test sets these; to run one file by hand, from the project's root:
#   BIN=$PWD/build/release/bin TOOLS_BIN=$PWD/build/release/test-tools ROOT=$PWD sh tests/cli/X.sh
: "${BIN:?is not set: run make test, or see the top of tests/cli/lib.sh}"
: "${TOOLS_BIN:?is not set: run make test, or see the top of tests/cli/lib.sh}"
: "${ROOT:?is not set: run make test, or see the top of tests/cli/lib.sh}"
: "${SHARED:=$(dirname "$ROOT")/shared}" # the data of ../shared/, as tests/run.sh finds it
export SHARED
PATH="$BIN:$PATH"
export PATH LC_ALL=C.UTF-8
work=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
case_name=
case_bad=0

# begin NAME: starts a test case; end: reports it.
begin() { case_name=$1; case_bad=0; }
end() { if [ "$case_bad" -eq 0 ]; then echo "ok   $case_name"; else echo "FAIL $case_name"; fi; }
skip() { echo "skip $1: $2"; }
fail() { echo "  $case_name: $*"; case_bad=1; }

# run CMD...: runs it, keeping stdout in $work/out, stderr in $work/err and the status in $st.
run() { "$@" > "$work/out" 2> "$work/err"; st=$?; }
expect_status() { [ "$st" -eq "$1" ] || fail "exit status $st, expected $1 (stderr: $(head -c 300 "$work/err"))"; }
expect_err() { grep -q -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 300 "$work/err")"; }
expect_out() { grep -q -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 300 "$work/out")"; }
expect_one_line_err() {
    [ "$(grep -vc '^Try ' "$work/err")" -eq 1 ] || fail "expected one error line, got: $(cat "$work/err")"
}
# the state of a checkpoint without its timings and dates (tests/tools/ckpt_state.c)
state() { "$TOOLS_BIN/ckpt-state" "$1"; }

# Tiny, fast settings for training in tests.
TINY="--hidden 16 --layers 1 --seq-len 16 --batch 4 --threads 1 --quiet"
CORPUS=corpora/harbour-almanac.txt

# in_tmux NAME COLS ROWS LOOKS CMD [ON_PANE]: runs CMD, then "echo DONE", on a terminal of COLS x
# ROWS (a private tmux server named for this test and NAME, never the user's). Every 0.1 s the
# screen goes to $work/pane and the function ON_PANE, if given, reads it; it stops when DONE shows
# or after LOOKS looks. Returns 0 if DONE showed.
in_tmux() {
    _sock="charrnn-$$-$1" _looks=$4 _cmd=$5 _on=${6:-:} _i=0 _done=1
    tmux -L "$_sock" -f /dev/null new-session -d -x "$2" -y "$3" \
        "PATH='$PATH' LC_ALL=C.UTF-8 $_cmd; echo DONE; sleep 60"
    while [ $_i -lt "$_looks" ]; do
        tmux -L "$_sock" capture-pane -p > "$work/pane" 2> /dev/null
        $_on
        grep -q '^DONE' "$work/pane" && { _done=0; break; }
        sleep 0.1
        _i=$((_i + 1))
    done
    tmux -L "$_sock" kill-server 2> /dev/null
    return $_done
}
