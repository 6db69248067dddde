# preview.sh: train-charrnn --preview, lines sampled from the weights as they learn: plain lines
# in a log, a line under the live progress on a terminal, and training exactly as without them.
. tests/cli/lib.sh

P="--hidden 32 --layers 1 --seq-len 16 --batch 8 --threads 2 --dropout 0.1"

begin preview_changes_nothing_in_training
run train-charrnn $P --steps 40 --eval-every 10 -o "$work/plain.ckpt" $CORPUS
expect_status 0
run train-charrnn $P --steps 40 --eval-every 10 --preview -o "$work/preview.ckpt" $CORPUS
expect_status 0
[ "$(state "$work/plain.ckpt")" = "$(state "$work/preview.ckpt")" ] ||
    fail "the weights trained with --preview differ from those without"
# in a log: a preview after each validation's line, of at most 72 columns
[ "$(grep -c '^preview at step' "$work/err")" -eq 4 ] || fail "expected 4 previews: $(cat "$work/err")"
awk '/^step [0-9]+ / { s = $2; next }
     /^preview at step / { if ($4 != s ":") bad = 1; sub(/^preview at step [0-9]+: /, "");
                           if (length($0) == 0 || length($0) > 72) bad = 1 }
     END { exit bad }' "$work/err" || fail "a preview is not under its step's line: $(cat "$work/err")"
end

begin preview_is_silent_with_quiet
run train-charrnn $P --steps 4 --eval-every 2 --preview --quiet -o "$work/q.ckpt" $CORPUS
expect_status 0
[ -s "$work/err" ] && fail "--quiet --preview wrote: $(head -c 200 "$work/err")"
end

# On a terminal (tmux, on a private server): the preview sits on the line under the progress
# line while training, and stays as a plain line when it ends, with nothing left below.
if ! command -v tmux > /dev/null 2>&1; then
    skip preview_under_the_progress_on_a_terminal "tmux is not installed"
else
    begin preview_under_the_progress_on_a_terminal
    seen=0
    # the live pair: an "epoch ... [" progress line with a "preview: " line right below
    look() {
        awk 'prev ~ /^epoch [0-9.]+ \[/ && /^preview: ./ { found = 1 } { prev = $0 }
             END { exit !found }' "$work/pane" && seen=1
    }
    in_tmux preview 100 30 300 \
        "train-charrnn $P --eval-every 5 --time 4 --preview -o '$work/t.ckpt' $CORPUS" look ||
        fail "the run did not end: $(cat "$work/pane")" # at most 30 s
    [ $seen -eq 1 ] || fail "no preview line under the progress line: $(cat "$work/pane")"
    grep -q '^preview at step [0-9]*: .' "$work/pane" || fail "no last preview line: $(cat "$work/pane")"
    grep -q '^preview: ' "$work/pane" && fail "a live preview line was left behind: $(cat "$work/pane")"
    grep -q '^epoch ' "$work/pane" && fail "the progress line was left behind: $(cat "$work/pane")"
    end
fi
