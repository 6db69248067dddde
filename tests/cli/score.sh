# score.sh: score: the validation loss training recorded, per-line sums, unknown characters,
# the strangest lines, standard input, ml5 folders, installed names and bad input.
. tests/cli/lib.sh

# a 1 x 32 model trained enough to know the almanac's letters from gibberish
train-charrnn --hidden 32 --layers 1 --seq-len 16 --batch 4 --threads 1 --steps 150 --lr 0.02 \
    --warmup 0 --eval-every 50 -o "$work/m.ckpt" $CORPUS 2> "$work/train.log"

# num KEY FILE: the first number after "KEY": in a JSON file
num() { sed -n "s/.*\"$1\": \\(-\\{0,1\\}[0-9.e+-]*\\).*/\\1/p" "$2" | head -n 1; }
# close A B TOL: |A - B| <= TOL
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t) }'; }

begin score_validation_split_equals_the_loss_training_recorded
# the best weights: the loss train-charrnn printed, and the one the checkpoint holds
best=$(sed -n 's/.*best validation loss \([0-9.]*\) nats.*/\1/p' "$work/train.log")
run score --split val --json "$work/m.ckpt" $CORPUS
expect_status 0
cp "$work/out" "$work/best.json"
close "$(num loss "$work/best.json")" "$(num recorded_loss "$work/best.json")" 0.0001 ||
    fail "score $(num loss "$work/best.json") but recorded $(num recorded_loss "$work/best.json")"
close "$(num loss "$work/best.json")" "$best" 0.00006 ||
    fail "score $(num loss "$work/best.json") but train-charrnn said $best"
# the latest weights: the history's last row (training validated at its last step)
run score --split val --last --json --threads 1 "$work/m.ckpt" $CORPUS
expect_status 0
grep -q '"weights": "latest"' "$work/out" || fail "--last did not use the latest weights"
close "$(num loss "$work/out")" "$(num recorded_loss "$work/out")" 0.0001 ||
    fail "--last: score $(num loss "$work/out") but recorded $(num recorded_loss "$work/out")"
# the text form says the same
run score --split val "$work/m.ckpt" $CORPUS
expect_out "^recorded    $(printf '%.4f' "$(num recorded_loss "$work/best.json")") nats"
expect_out "^loss        $(printf '%.4f' "$(num loss "$work/best.json")") nats"
end

begin score_validation_split_of_a_corpus_of_two_files
head -c 60000 $CORPUS > "$work/a.txt"
tail -c +60001 $CORPUS > "$work/b.txt"
train-charrnn $TINY --steps 30 --eval-every 10 --val-frac 0.2 -o "$work/two.ckpt" \
    "$work/a.txt" "$work/b.txt" 2> /dev/null
run score --split val --json "$work/two.ckpt" "$work/a.txt" "$work/b.txt"
expect_status 0
close "$(num loss "$work/out")" "$(num recorded_loss "$work/out")" 0.0001 ||
    fail "score $(num loss "$work/out") but recorded $(num recorded_loss "$work/out")"
[ -s "$work/err" ] && fail "a warning for the right corpus: $(cat "$work/err")"
# the files in another order are not its corpus: said, and the loss differs
run score --split val --json "$work/two.ckpt" "$work/b.txt" "$work/a.txt"
expect_status 0
expect_err "the FILEs are not the corpus"
close "$(num loss "$work/out")" "$(num recorded_loss "$work/out")" 0.0001 &&
    fail "another corpus gave the recorded loss"
# --split train scores the rest: its characters and the validation's make the corpus
run score --split train --json "$work/two.ckpt" "$work/a.txt" "$work/b.txt"
t=$(num scored "$work/out")
n=$(cat "$work/a.txt" "$work/b.txt" | wc -m)
v=$(awk -v n="$n" 'BEGIN { printf "%d", n * 0.2 }')
[ "$t" -eq $((n - v - 1)) ] || fail "--split train scored $t characters, expected $((n - v - 1))"
end

begin score_per_line_sums_make_the_total
printf 'The harbour is calm.\r\nzzqx jjj\rCafé ☃ tea\n\nThe tide comes in, the tide goes out.\nLast line' > "$work/t.txt"
run score --per-line --json "$work/m.ckpt" "$work/t.txt"
expect_status 0
lines=$(grep -c '"line":.*"text":' "$work/out")
[ "$lines" -eq 6 ] || fail "$lines lines, expected 6 (CR LF, a lone CR and LF each end one)"
sum=$(grep '"line":.*"text":' "$work/out" | sed 's/.*"nats": \([^,]*\),.*/\1/' | awk '{ s += $1 } END { printf "%.9f", s }')
cnt=$(grep '"line":.*"text":' "$work/out" | sed 's/.*"scored": \([0-9]*\),.*/\1/' | awk '{ s += $1 } END { print s }')
close "$sum" "$(num nats "$work/out")" 0.000001 || fail "the lines add up to $sum nats, the total is $(num nats "$work/out")"
[ "$cnt" = "$(num scored "$work/out")" ] || fail "the lines score $cnt characters, the total $(num scored "$work/out")"
chars=$(wc -m < "$work/t.txt")
[ "$(num characters "$work/out")" = "$chars" ] || fail "characters $(num characters "$work/out"), expected $chars"
# each character but the first and the four unknown ones (two CRs: the almanac has none) is
# scored
[ "$(num scored "$work/out")" -eq $((chars - 5)) ] || fail "scored $(num scored "$work/out") of $chars"
grep -q '"line": 2, "scored": 8, "out_of_vocabulary": 1,' "$work/out" ||
    fail "line 2 (zzqx jjj and its unknown CR) is not 8 characters and an unknown one"
grep -q '"line": 6, "scored": 9, .*"text": "Last line"' "$work/out" || fail "the last line, with no line end"
# the text form: one line per line of text, numbered as an editor numbers them
run score --per-line "$work/m.ckpt" "$work/t.txt"
expect_out "^2: *[0-9.]*  (1 unknown)  zzqx jjj$"
expect_out "^4: *[0-9.]*  $"
expect_out "^6: *[0-9.]*  Last line$"
end

begin score_unknown_characters_counted_and_named
printf 'Café au lait, café noir, ☃.\n' > "$work/u.txt"
run score "$work/m.ckpt" "$work/u.txt"
expect_status 0
expect_out "^not in the vocabulary, left out: 3 characters$"
expect_out "'é' (U+00E9)  2 times, first at .*u.txt:1:4$"
expect_out "'☃' (U+2603)  1 time, first at .*u.txt:1:26$"
run score --json "$work/m.ckpt" "$work/u.txt"
expect_out '"out_of_vocabulary": 3,'
expect_out '{"char": "é", "code": "U+00E9", "count": 2, "file": ".*u.txt", "line": 1, "column": 4}'
[ "$(num scored "$work/out")" -eq 24 ] || fail "scored $(num scored "$work/out"), expected 28 - 3 - 1"
# many distinct ones: the first ten are named, the others counted (all in --json)
printf 'abc ΑΒΓΔΕΖΗΘΙΚΛΜΝ abc\n' > "$work/greek.txt"
run score "$work/m.ckpt" "$work/greek.txt"
expect_out "^not in the vocabulary, left out: 13 characters$"
expect_out "^  and 3 more distinct characters (--json lists them all)$"
[ "$(grep -c "^  '" "$work/out")" -eq 10 ] || fail "not 10 characters named"
run score --json "$work/m.ckpt" "$work/greek.txt"
[ "$(grep -c '"code": "U+03' "$work/out")" -eq 13 ] || fail "--json does not list the 13"
end

begin score_worst_lines_find_the_planted_ones
sed -n '40,79p' $CORPUS > "$work/w.txt"
sed -i '12s/.*/xq zvv jjkq wpqz xxqk/' "$work/w.txt"
sed -i '31s/.*/QWZX KJQV ZZXQ/' "$work/w.txt"
run score --worst 2 "$work/m.ckpt" "$work/w.txt"
expect_status 0
head -n 2 "$work/out" | cut -d: -f1 | sort -n | tr '\n' ' ' > "$work/worst"
[ "$(cat "$work/worst")" = "12 31 " ] || fail "the worst lines are $(cat "$work/worst"), not 12 and 31"
[ "$(grep -c '^[0-9]*: ' "$work/out")" -eq 2 ] || fail "--worst 2 listed $(grep -c '^[0-9]*: ' "$work/out") lines"
# strangest first, and more than one file names each line's file
run score --worst 3 "$work/m.ckpt" "$work/w.txt" "$work/u.txt"
expect_out "^.*w.txt:12: "
# blank lines (their loss is a line break's) are never listed; --per-line shows them
blanks=$(grep -c '^ *$' "$work/w.txt")
[ "$blanks" -gt 0 ] || fail "the test text has no blank line"
run score --worst 1000 "$work/m.ckpt" "$work/w.txt"
[ "$(grep -c '^[0-9]*: *[0-9.]*  $' "$work/out")" -eq 0 ] || fail "--worst listed a blank line"
[ "$(grep -c '^[0-9]*: ' "$work/out")" -eq $(($(wc -l < "$work/w.txt") - blanks)) ] ||
    fail "--worst 1000 listed $(grep -c '^[0-9]*: ' "$work/out") of the non-blank lines"
run score --per-line "$work/m.ckpt" "$work/w.txt"
[ "$(grep -c '^[0-9]*: *[0-9.]*  $' "$work/out")" -eq "$blanks" ] || fail "--per-line left out blank lines"
end

begin score_reads_standard_input_and_any_thread_count
run score --json --per-line "$work/m.ckpt" "$work/t.txt"
sed 's/"file": "[^"]*"/"file": F/; s/"name": "[^"]*"/"name": F/' "$work/out" > "$work/a"
score --json --per-line "$work/m.ckpt" < "$work/t.txt" > "$work/out" 2> "$work/err" || fail "from standard input: $(cat "$work/err")"
sed 's/"file": "[^"]*"/"file": F/; s/"name": "[^"]*"/"name": F/' "$work/out" > "$work/b"
cmp -s "$work/a" "$work/b" || fail "standard input scored differently from the file"
score --json --per-line --threads 1 - "$work/t.txt" < "$work/m.ckpt" > "$work/out" 2> "$work/err" ||
    fail "the checkpoint from standard input: $(cat "$work/err")"
sed 's/"file": "[^"]*"/"file": F/; s/"name": "[^"]*"/"name": F/; s/"checkpoint": "[^"]*"/"checkpoint": "'"$(echo "$work/m.ckpt" | sed 's/[\/&]/\\&/g')"'"/' "$work/out" > "$work/c"
cmp -s "$work/a" "$work/c" || fail "one thread, the checkpoint from standard input: another result"
end

begin score_streams_and_warmup_change_only_the_reading
run score --json --streams 1 "$work/m.ckpt" $CORPUS
one=$(num loss "$work/out")
run score --json --streams 64 --warmup 1000 "$work/m.ckpt" $CORPUS
many=$(num loss "$work/out")
close "$one" "$many" 0.001 || fail "64 streams with a warm-up: $many, one stream: $one"
run score --json --window 1 "$work/m.ckpt" $CORPUS
w1=$(num nats "$work/out")
run score --json --window 500 "$work/m.ckpt" $CORPUS
close "$w1" "$(num nats "$work/out")" 0.000001 || fail "--window 1 and 500 differ: $w1, $(num nats "$work/out")"
run score --json --streams 1000 --warmup 0 "$work/m.ckpt" $CORPUS
cold=$(num loss "$work/out")
awk -v a="$cold" -v b="$one" 'BEGIN { exit !(a > b + 0.005) }' ||
    fail "1000 streams from a blank state ($cold) are not worse than one ($one)"
end

begin score_reads_ml5_folders
# float32 products, as the folder's are scored (a bf16 model is scored in bf16: score.1)
train-charrnn --hidden 16 --layers 2 --seq-len 16 --batch 4 --threads 1 --quiet --steps 20 --precision fp32 \
    -o "$work/two.ckpt" $CORPUS
dump --ml5 "$work/ml5" "$work/two.ckpt" > /dev/null 2>&1 || fail "dump --ml5 failed"
run score --json --streams 1 "$work/two.ckpt" "$work/t.txt"
a=$(num loss "$work/out")
run score --json --streams 1 "$work/ml5" "$work/t.txt"
expect_status 0
close "$a" "$(num loss "$work/out")" 0.00001 || fail "the ml5 folder scored $(num loss "$work/out"), the checkpoint $a"
end

begin score_usage_errors
for args in "" "--worst 0 $work/m.ckpt" "--split test $work/m.ckpt" "--per-line --worst 3 $work/m.ckpt" \
    "--streams 0 $work/m.ckpt" "--threads x $work/m.ckpt" "--bogus $work/m.ckpt" "- -"; do
    # shellcheck disable=SC2086 # the arguments are words
    run score $args < /dev/null
    expect_status 2
    expect_err "^Try 'score --help'.$"
done
run score
expect_err "^score: no checkpoint: give CKPT, then the FILEs to score (or pipe the text in)$"
run score --split test "$work/m.ckpt"
expect_err "^score: --split: 'test' is not one of val, train$"
run score - - < "$work/m.ckpt"
expect_err "^score: standard input cannot hold both the checkpoint and the text; give one of them as a file$"
run score - < "$work/m.ckpt"
expect_err "^score: the checkpoint comes from standard input, so give the text as a FILE$"
end

begin score_errors
run score "$work/m.ckpt" "$work/missing.txt"
expect_status 1
expect_err "^score: .*missing.txt: No such file or directory$"
run score "$work/t.txt" "$work/t.txt"
expect_status 1
expect_err "this is text, not a checkpoint"
printf 'caf\351 au lait\n' > "$work/latin1.txt"
run score "$work/m.ckpt" "$work/latin1.txt"
expect_status 1
expect_err "latin1.txt: .*--from-encoding"
expect_one_line_err
run score --from-encoding LATIN1 "$work/m.ckpt" "$work/latin1.txt"
expect_status 0
expect_out "'é' (U+00E9)  1 time"
run score --split val "$work/m.ckpt" "$work/u.txt"
expect_status 1
expect_err "^score: .*u.txt: 'é' (U+00E9) at line 1, column 4 is not in the vocabulary of .*m.ckpt, so this is not the corpus it was trained on; --split needs that corpus, or leave --split out to score any text$"
expect_one_line_err
[ -s "$work/out" ] && fail "a failure wrote to standard output"
: > "$work/empty.txt"
run score "$work/m.ckpt" "$work/empty.txt"
expect_status 1
expect_err "^score: .*empty.txt: nothing to score: the text is empty; a text needs two characters the model knows, each scored from those before it$"
printf '☃☃ ☃' | score "$work/m.ckpt" > "$work/out" 2> "$work/err"
expect_err "^score: standard input: nothing to score: it has only one character the model knows; "
train-charrnn $TINY --steps 2 --val-frac 0 -o "$work/nv.ckpt" $CORPUS 2> /dev/null
run score --split val "$work/nv.ckpt" $CORPUS
expect_status 1
expect_err "^score: .*nv.ckpt: the model was trained with --val-frac 0, so this corpus has no validation split to score; try --split train$"
end

begin score_closed_pipe_is_quiet
{ score --per-line "$work/m.ckpt" $CORPUS 2> "$work/err"; echo $? > "$work/st"; } | head -n 1 > /dev/null
[ -s "$work/err" ] && fail "messages on a closed pipe: $(cat "$work/err")"
[ "$(cat "$work/st")" -eq 0 ] || fail "status $(cat "$work/st") on a closed pipe"
if [ -w /dev/full ]; then
    score "$work/m.ckpt" "$work/t.txt" > /dev/full 2> "$work/err"
    [ $? -eq 1 ] || fail "writing to /dev/full did not fail"
    expect_err "^score: standard output: write failed: No space left on device$"
fi
end

begin score_front_command_and_installed_name
run charrnn score --json "$work/m.ckpt" "$work/t.txt"
expect_status 0
expect_out '"scored": '
charrnn --help | grep -q '^  score ' || fail "charrnn --help does not list score"
root="$work/root"
make -s -C "$ROOT" install BUILD="$(dirname "$BIN")" DESTDIR="$root" PREFIX=/usr > /dev/null 2> "$work/err" ||
    fail "make install failed: $(tail -3 "$work/err")"
[ -x "$root/usr/bin/charrnn-score" ] || fail "charrnn-score is not installed"
[ -e "$root/usr/bin/score" ] && fail "score is installed under its short name"
grep -q '^charrnn\\-score \\-' "$root/usr/share/man/man1/charrnn-score.1" ||
    fail "charrnn-score.1 does not name itself"
"$root/usr/bin/charrnn-score" --worst 0 x 2> "$work/err"
expect_err "^Try 'charrnn-score --help'.$"
end
