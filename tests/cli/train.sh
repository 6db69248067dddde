# train.sh: train-charrnn end to end: outputs, determinism, exact resume, pipes, limits.
. tests/cli/lib.sh

begin train_writes_loadable_checkpoint
run train-charrnn $TINY --steps 5 -o "$work/a.ckpt" $CORPUS
expect_status 0
[ -s "$work/a.ckpt" ] || fail "no checkpoint written"
run sample -n 50 --seed 1 "$work/a.ckpt"
expect_status 0
[ "$(wc -m < "$work/out")" -eq 50 ] || fail "expected 50 characters, got $(wc -m < "$work/out")"
ls "$work"/*.tmp-* >/dev/null 2>&1 && fail "a temporary file was left behind"
end

begin train_is_deterministic
run train-charrnn $TINY --steps 12 --eval-every 5 --dropout 0.2 -o "$work/d1.ckpt" $CORPUS
run train-charrnn $TINY --steps 12 --eval-every 5 --dropout 0.2 -o "$work/d2.ckpt" $CORPUS
[ "$(state "$work/d1.ckpt")" = "$(state "$work/d2.ckpt")" ] || fail "two equal runs differ"
run train-charrnn $TINY --steps 12 --eval-every 5 --dropout 0.2 --seed 2 -o "$work/d3.ckpt" $CORPUS
[ "$(state "$work/d1.ckpt")" != "$(state "$work/d3.ckpt")" ] || fail "--seed changed nothing"
end

begin train_two_threads_deterministic
run train-charrnn $TINY --hidden 48 --batch 16 --threads 2 --steps 6 -o "$work/t1.ckpt" $CORPUS
run train-charrnn $TINY --hidden 48 --batch 16 --threads 2 --steps 6 -o "$work/t2.ckpt" $CORPUS
[ "$(state "$work/t1.ckpt")" = "$(state "$work/t2.ckpt")" ] || fail "two equal 2-thread runs differ"
end

begin train_exact_resume
# with --anneal 0 (an explicit option wins), two plans of 10 steps end as one of 20: the same
# weights, moments, state and generator; only the plans (PLAN) differ
for cell in lstm gru rnn; do
    opts="$TINY --cell $cell --eval-every 7 --dropout 0.1 --anneal 0"
    run train-charrnn $opts --steps 20 -o "$work/full.ckpt" $CORPUS
    run train-charrnn $opts --steps 10 -o "$work/half.ckpt" $CORPUS
    run train-charrnn --quiet --threads 1 --resume "$work/half.ckpt" --steps 10 -o "$work/resumed.ckpt" $CORPUS
    expect_status 0
    [ "$("$TOOLS_BIN/ckpt-state" --no-plan "$work/full.ckpt")" = \
      "$("$TOOLS_BIN/ckpt-state" --no-plan "$work/resumed.ckpt")" ] ||
        fail "$cell: 20 steps differ from 10 + resume + 10"
    # with the default anneal, each plan of 10 steps falls to zero at its own end
    run train-charrnn ${opts% --anneal 0} --steps 20 -o "$work/full.ckpt" $CORPUS
    run train-charrnn ${opts% --anneal 0} --steps 10 -o "$work/half.ckpt" $CORPUS
    run train-charrnn --quiet --threads 1 --resume "$work/half.ckpt" --steps 10 -o "$work/resumed.ckpt" $CORPUS
    [ "$("$TOOLS_BIN/ckpt-state" --no-plan "$work/full.ckpt")" != \
      "$("$TOOLS_BIN/ckpt-state" --no-plan "$work/resumed.ckpt")" ] ||
        fail "$cell: a new plan of 10 steps after 10 did not change the schedule"
done
end

begin train_resume_rejects_shape_changes
run train-charrnn $TINY --steps 2 -o "$work/r.ckpt" $CORPUS
run train-charrnn --resume "$work/r.ckpt" --hidden 32 --steps 1 -o "$work/r2.ckpt" $CORPUS
expect_status 2
expect_one_line_err
expect_err "^train-charrnn: --hidden 32, but the checkpoint $work/r.ckpt has 16, and resuming cannot change it"
[ -e "$work/r2.ckpt" ] && fail "a refused resume wrote a checkpoint"
for opt in "--cell gru" "--layers 2" "--embed 8" "--batch 5" "--optimizer sgd" "--seed 9"; do
    run train-charrnn --resume "$work/r.ckpt" $opt --steps 1 -o "$work/r2.ckpt" $CORPUS
    expect_status 2
    expect_err "^train-charrnn: ${opt%% *} ${opt#* }, but the checkpoint .* has "
done
end

# Scripts keep one set of options: the options that fix the model's shape may be given again.
begin train_resume_accepts_the_same_shape_options
run train-charrnn $TINY --seed 7 --steps 2 -o "$work/s.ckpt" $CORPUS
expect_status 0
run train-charrnn --resume "$work/s.ckpt" $TINY --seed 7 --steps 1 -o "$work/s2.ckpt" $CORPUS
expect_status 0
run train-charrnn --resume "$work/s.ckpt" --seed 7 --steps 1 -o "$work/s3.ckpt" $CORPUS
expect_status 0
[ "$(state "$work/s2.ckpt")" = "$(state "$work/s3.ckpt")" ] ||
    fail "repeating the shape options changed the resumed run"
end

begin train_pipes_into_sample
train-charrnn $TINY --steps 3 $CORPUS 2>"$work/err" | sample -n 40 --seed 3 > "$work/out"
[ "$(wc -m < "$work/out")" -eq 40 ] || fail "the pipeline gave $(wc -m < "$work/out") characters"
cat $CORPUS | train-charrnn $TINY --steps 3 > "$work/stdin.ckpt" 2>"$work/err" || fail "reading stdin failed"
run sample -n 5 "$work/stdin.ckpt"
expect_status 0
end

begin train_log_lines_when_not_a_terminal
run train-charrnn --hidden 16 --layers 1 --seq-len 16 --batch 4 --threads 1 --steps 6 --eval-every 3 -o "$work/l.ckpt" $CORPUS
expect_status 0
expect_err "^step 3 .*val [0-9.]* ([0-9.]* bits)"
expect_err "step limit reached after 6 steps"
grep -q "$(printf '\r')" "$work/err" && fail "carriage returns in a log that is not a terminal"
[ -s "$work/out" ] && fail "chatter on standard output"
end

begin train_anneal_lowers_the_rate_at_the_end
# 8 steps, the last half annealed: step k starts at (k - 1) / 8 of the run
opts="--hidden 16 --layers 1 --seq-len 16 --batch 4 --threads 1 --steps 8 --eval-every 2 --warmup 0 --lr-decay 1 --lr 0.01"
run train-charrnn $opts --anneal 0.5 -o "$work/an.ckpt" $CORPUS
expect_status 0
expect_err "^step 4 .* lr 0.01 "
expect_err "^step 6 .* lr 0.0075 "
expect_err "^step 8 .* lr 0.0025 "
run train-charrnn $opts --anneal 0 -o "$work/an0.ckpt" $CORPUS
expect_status 0
expect_err "^step 8 .* lr 0.01 "
# the default: the last 30% of the plan; step 8 starts at 7 / 8, at 0.125 / 0.3 of the rate
run train-charrnn $opts -o "$work/an3.ckpt" $CORPUS
expect_status 0
expect_err "^step 6 .* lr 0.01 "
expect_err "^step 8 .* lr 0.0042 "
run train-charrnn $opts --anneal 1.5 -o "$work/an1.ckpt" $CORPUS
expect_status 2
expect_err "anneal"
expect_one_line_err
end

begin train_anneal_of_a_resumed_epoch_reaches_its_end
# --epochs 1 on a run resumed 13 steps into an epoch ends after spe - 13 steps: its last
# step (k = N of N) starts at (N - 1) / N of the run, at 2 / N of the rate with --anneal 0.5
opts="--hidden 16 --layers 1 --seq-len 64 --batch 64 --threads 1 --warmup 0 --lr-decay 1 --lr 0.01"
run train-charrnn $opts --steps 13 -o "$work/ep.ckpt" $CORPUS
expect_status 0
spe=$(sed -n 's/.* \([0-9][0-9]*\) steps per epoch.*/\1/p' "$work/err")
run train-charrnn --threads 1 --resume "$work/ep.ckpt" --epochs 1 --anneal 0.5 --eval-every 1 \
    -o "$work/ep2.ckpt" $CORPUS
expect_status 0
expect_err "epoch limit reached"
last=$(sed -n 's/^step .* lr \([^ ]*\) .*/\1/p' "$work/err" | tail -n 1)
awk -v lr="$last" -v n="$((spe - 13))" 'BEGIN { exit !(n > 2 && lr > 0 && lr <= 1.05 * 0.02 / n) }' ||
    fail "the last step ran at lr $last; 2 / $((spe - 13)) of 0.01 expected"
end

begin train_epochs_and_patience
run train-charrnn $TINY --seq-len 64 --batch 16 --epochs 2 --val-frac 0.5 -o "$work/e.ckpt" $CORPUS
expect_status 0
run train-charrnn --hidden 16 --layers 1 --seq-len 16 --batch 4 --threads 1 --optimizer sgd --lr 1e-9 --warmup 0 --eval-every 1 --patience 2 --steps 1000 -o "$work/p.ckpt" $CORPUS
expect_status 0
expect_err "no improvement"
end

begin train_lineage_and_history
printf 'first source. ' > "$work/one.txt"
cat $CORPUS > "$work/two.txt"
run train-charrnn $TINY --steps 2 -o "$work/lin.ckpt" "$work/one.txt" "$work/two.txt"
expect_status 0
grep -q "one.txt" "$work/lin.ckpt" || fail "the lineage lacks the first source's name"
grep -q -- "--steps 2" "$work/lin.ckpt" || fail "the lineage lacks the command line"
end

begin train_resume_saves_back_without_o
run train-charrnn $TINY --steps 2 -o "$work/back.ckpt" $CORPUS
before=$(state "$work/back.ckpt")
run train-charrnn --quiet --threads 1 --resume "$work/back.ckpt" --steps 2 --checkpoint-every 60 $CORPUS
expect_status 0
[ -s "$work/out" ] && fail "the checkpoint went to standard output"
[ "$(state "$work/back.ckpt")" != "$before" ] || fail "the resumed file was not updated"
run train-charrnn --quiet --threads 1 --resume "$work/back.ckpt" --steps 1 -o - $CORPUS
expect_status 0
head -c 4 "$work/out" | od -An -c | grep -q "C   R   N" || fail "-o - did not write to standard output"
end

# A model that breaks (its latest weights spoiled in the file): the next validation jumps, and
# training says so and goes on from the best weights, which the latest then equal.
begin train_goes_back_to_the_best_weights_when_the_model_breaks
run train-charrnn $TINY --steps 40 --eval-every 10 -o "$work/brk.ckpt" $CORPUS
expect_status 0
"$TOOLS_BIN/ckpt-break" "$work/brk.ckpt" || fail "ckpt-break failed"
run train-charrnn --threads 1 --resume "$work/brk.ckpt" --steps 10 --eval-every 10 $CORPUS
expect_status 0
expect_err "^train-charrnn: at step 50 the validation loss jumped to [0-9.]* (the best is [0-9.]*): the model broke, and training goes on from its best weights, of step [0-9]*; if this happens again, try a lower --lr (now [0-9.e-]*)$"
run sample -n 60 --seed 3 "$work/brk.ckpt"
best=$(cat "$work/out")
run sample -n 60 --seed 3 --last "$work/brk.ckpt"
[ "$(cat "$work/out")" = "$best" ] || fail "the latest weights are not the best ones"
# a run that does not break says nothing of it
run train-charrnn --hidden 16 --layers 1 --seq-len 16 --batch 4 --threads 1 --steps 50 --eval-every 10 -o "$work/nobrk.ckpt" $CORPUS
expect_status 0
expect_err "^step 50 "
grep -q 'jumped' "$work/err" && fail "a jump reported without one: $(cat "$work/err")"
end

# Resumed on another text: the best weights, validated on the first, give way to the new one's.
begin train_on_another_text_the_best_is_that_texts
head -c 6000 $CORPUS > "$work/first.txt"
tail -c 6000 $CORPUS | tr 'a-z' 'A-Z' > "$work/second.txt"
run train-charrnn $TINY --steps 200 --eval-every 50 -o "$work/ft.ckpt" "$work/first.txt"
expect_status 0
run train-charrnn --threads 1 --resume "$work/ft.ckpt" --steps 20 --eval-every 10 -o "$work/ft2.ckpt" "$work/second.txt"
expect_status 0
expect_err "^train-charrnn: a different text from the last run's: its best weights ([0-9.]* at step 200) were validated on that one, so the best will now be this text's$"
expect_err "^train-charrnn: .*second.txt: [0-9]* training and [0-9]* validation characters, [0-9]* distinct (of the [0-9]* the model knows)$"
dump --json "$work/ft2.ckpt" > "$work/ft.json"
best=$(sed -n 's/.*"best_step": \([0-9]*\).*/\1/p' "$work/ft.json" | head -1)
[ "${best:-0}" -gt 200 ] || fail "the best is not the second text's: step ${best:-none}"
# saving back into the checkpoint it resumed: the note says that one is replaced
cp "$work/ft.ckpt" "$work/ftc.ckpt"
run train-charrnn --threads 1 --resume "$work/ftc.ckpt" --steps 2 "$work/second.txt"
expect_status 0
expect_err "so the best will now be this text's; the result replaces $work/ftc.ckpt (-o NEW.ckpt would keep it)$"
# on the same text again, nothing is said and the best stays
run train-charrnn --threads 1 --resume "$work/ft2.ckpt" --steps 5 --eval-every 10 -o "$work/ft3.ckpt" "$work/second.txt"
expect_status 0
grep -q 'different text' "$work/err" && fail "the same text called different"
end

# A small text and a big model: the validation loss soon rises while the training loss falls.
begin train_says_once_when_the_bot_memorises
head -c 4000 $CORPUS > "$work/small.txt"
mem="--hidden 128 --layers 1 --batch 4 --dropout 0 --seq-len 32 --lr 1e-2 --lr-decay 1 --warmup 5 --eval-every 20 --val-frac 0.2 --threads 1 --steps 800"
run train-charrnn $mem -o "$work/mem.ckpt" "$work/small.txt"
expect_status 0
[ "$(grep -c 'by heart' "$work/err")" -eq 1 ] || fail "expected the notice once: $(grep -c 'by heart' "$work/err") times"
expect_err "^train-charrnn: the bot has started to learn the text by heart (the validation loss rose 3 times in a row while the training loss fell); the best weights, from step [0-9]*, are kept. --patience 3 would stop such a run by itself$"
said=$(sed -n 's/.*from step \([0-9]*\), are kept.*/\1/p' "$work/err")
best=$(dump --json "$work/mem.ckpt" | sed -n 's/.*"best_step": \([0-9]*\).*/\1/p' | head -1)
[ "$said" -le "$best" ] || fail "the notice named step $said, after the final best $best"
# on a terminal the notice replaces the live line, once
if command -v script > /dev/null 2>&1; then
    script -qec "train-charrnn $mem -o $work/mem2.ckpt $work/small.txt" /dev/null > "$work/tty" 2>&1
    [ "$(grep -c 'by heart' "$work/tty")" -eq 1 ] || fail "on a terminal: $(grep -c 'by heart' "$work/tty") notices"
fi
run train-charrnn $mem -q -o "$work/mem3.ckpt" "$work/small.txt"
[ -s "$work/err" ] && fail "--quiet printed: $(cat "$work/err")"
end
