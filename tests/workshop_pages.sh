#!/bin/sh
# workshop_pages.sh: runs the workshop lessons (docs/workshop/NN-NAME.sh) and writes each step's
# commands and real output into the lesson's page (NN-NAME.md), between its step markers.
#
#   sh tests/workshop_pages.sh [docs/workshop/NN-NAME.sh]...   (all lessons without arguments)
#
# `make workshop` runs it with the lessons' real settings and the tools of its build on PATH
# (BIN). tests/cli/workshop.sh sources it with WORKSHOP_LIB=1 for its functions, to check the
# pages and to run the lessons quickly (WORKSHOP_QUICK=1).
#
# A script's steps: each starts at a line "# Step N: title"; its commands are the lines up to the
# next step (blank lines at either end left out); what comes before the first step (the header:
# set -e, the quick mode) is not shown. A page holds, for each step N, in order:
#
#   <!-- step N of NN-NAME.sh: its commands and output, written by make workshop -->
#   ```sh                      the step's commands, as in the script
#   ```text                    what they wrote (standard output and error), if anything
#   <!-- end of step N; script sha256 S, output sha256 O -->
#
# S is the start of the script's SHA-256 when the output was made, O that of the output block
# as written: a changed script or a hand-edited output no longer matches (tests/cli/workshop.sh).
# A line "<!-- machine -->" is followed by one line saying where and when the outputs were made.
set -u

# ws_hash FILE: the first 16 hex digits of its SHA-256
ws_hash() { sha256sum < "$1" | cut -c1-16; }

# ws_steps SCRIPT DIR: DIR/steps lists the script's step numbers in order; DIR/cmd.N holds the
# commands of step N. Fails on a step number that is not the next one.
ws_steps() {
    awk -v dir="$2" '
        function flush() {
            if (n == "") return
            while (last > 0 && body[last] ~ /^[ \t]*$/) last--
            f = dir "/cmd." n
            printf "" > f
            for (i = 1; i <= last; i++) print body[i] > f
            close(f)
            print n > (dir "/steps")
        }
        /^# Step [0-9]+: / {
            flush()
            n = $3; sub(/:$/, "", n)
            if (n + 0 != count + 1) { print "step " n " follows step " count > "/dev/stderr"; bad = 1 }
            count++; last = 0; started = 0
            next
        }
        n != "" {
            if (!started && $0 ~ /^[ \t]*$/) next
            started = 1; body[++last] = $0
        }
        END { flush(); if (count == 0) { print "no steps" > "/dev/stderr"; bad = 1 } exit bad }
    ' "$1"
}

# ws_run SCRIPT OUTDIR: runs the lesson as a whole, in a fresh folder of its own that holds links
# to the project's corpora/ and docs/, with the tools of BIN first on PATH; OUTDIR/out.N gets what
# step N wrote: its standard output, then its standard error (as on a terminal, where a tool's
# output line by line comes before its closing remarks; the order of the two in one file would
# depend on buffering). Returns the script's status (1 also when it stopped before its end).
ws_run() {
    ws_script=$1 ws_out=$2
    ws_dir=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-workshop.XXXXXX") || return 2
    ln -s "$ROOT/corpora" "$ws_dir/corpora"
    ln -s "$ROOT/docs" "$ws_dir/docs"
    ws_mark="@@workshop-$$-step@@"
    # the script with a line before each step (and at its end) that marks both streams
    awk -v mark="$ws_mark" '
        function put(what) { print "printf \047\\n" mark " " what "\\n\047; printf \047\\n" mark " " what "\\n\047 >&2" }
        /^# Step [0-9]+: / { n = $3; sub(/:$/, "", n); put(n) }
        { print }
        END { put("end") }
    ' "$ws_script" > "$ws_out/lesson.sh"
    (cd "$ws_dir" && PATH="$BIN:$PATH" LC_ALL=C.UTF-8 sh "$ws_out/lesson.sh" > "$ws_out/all.1" 2> "$ws_out/all.2")
    ws_status=$?
    rm -rf "$ws_dir"
    # split each stream at the marks (the empty line a mark adds before itself is dropped), then
    # put each step's two parts together
    for ws_fd in 1 2; do
        awk -v mark="$ws_mark" -v out="$ws_out/part.$ws_fd." '
            $1 == mark && NF == 2 {
                if (f != "" && has && held != "") print held > f
                if (f != "") close(f)
                has = 0; f = ""
                if ($2 == "end") { ended = 1; next }
                f = out $2; printf "" > f; next
            }
            f != "" { if (has) print held > f; held = $0; has = 1 }
            END { exit !ended }
        ' "$ws_out/all.$ws_fd" || ws_status=1
    done
    for ws_n in $(cat "$ws_out/steps" 2> /dev/null); do
        [ -f "$ws_out/part.1.$ws_n" ] || continue
        cat "$ws_out/part.1.$ws_n" "$ws_out/part.2.$ws_n" > "$ws_out/out.$ws_n" 2> /dev/null
    done
    return $ws_status
}

# ws_write_page PAGE SCRIPT DIR: rewrites the step blocks of PAGE from DIR (ws_steps and ws_run)
ws_write_page() {
    ws_page=$1 ws_sh=$(basename "$2") ws_d=$3
    ws_sum=$(ws_hash "$2")
    for n in $(cat "$ws_d/steps"); do
        [ -f "$ws_d/out.$n" ] || : > "$ws_d/out.$n"
        ws_hash "$ws_d/out.$n" > "$ws_d/hash.$n"
    done
    ws_machine="*Outputs made by \`make workshop\` on $(date -u +%Y-%m-%d) on $(nproc) cores of an \
$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1) (load average \
$(cut -d' ' -f1 /proc/loadavg 2>/dev/null) when they began: other work was running). On a quiet \
laptop, training goes further in the same time and the losses come out lower.*"
    awk -v dir="$ws_d" -v sh="$ws_sh" -v sum="$ws_sum" -v machine="$ws_machine" '
        function cat(f,   line) { while ((getline line < f) > 0) print line; close(f) }
        skip_machine { skip_machine = 0; print machine; next }
        /^<!-- machine -->$/ { print; skip_machine = 1; next }
        /^<!-- step [0-9]+ of / {
            n = $3; in_step = 1
            print "<!-- step " n " of " sh ": its commands and output, written by make workshop -->"
            print "```sh"; cat(dir "/cmd." n); print "```"
            getline h < (dir "/hash." n); close(dir "/hash." n)
            if ((getline first < (dir "/out." n)) > 0) {
                close(dir "/out." n)
                print "```text"; cat(dir "/out." n); print "```"
            }
            close(dir "/out." n)
            print "<!-- end of step " n "; script sha256 " sum ", output sha256 " h " -->"
            next
        }
        in_step { if ($0 ~ /^<!-- end of step /) in_step = 0; next }
        { print }
    ' "$ws_page" > "$ws_page.tmp" && mv -f "$ws_page.tmp" "$ws_page"
}

[ "${WORKSHOP_LIB:-0}" = 1 ] && return 0

here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$here")
: "${BIN:=$ROOT/bin}"
cd "$ROOT" || exit 2
[ $# -gt 0 ] || set -- docs/workshop/[0-9]*.sh
status=0
for s in "$@"; do
    page=${s%.sh}.md
    [ -f "$page" ] || { echo "workshop: $page is missing (each lesson's script has a page)" >&2; exit 2; }
    d=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-pages.XXXXXX") || exit 2
    echo "workshop: running $s with its real settings" >&2
    if ws_steps "$s" "$d" && ws_run "$ROOT/$s" "$d"; then
        ws_write_page "$page" "$s" "$d"
        echo "workshop: wrote $page" >&2
    else
        echo "workshop: $s failed; $page is unchanged. The end of its output and errors:" >&2
        tail -n 10 "$d/all.1" "$d/all.2" >&2
        status=1
    fi
    rm -rf "$d"
done
exit $status
