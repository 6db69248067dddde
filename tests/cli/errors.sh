# errors.sh: bad usage, bad input and damaged checkpoints give one clear line and the right status.
. tests/cli/lib.sh

begin usage_errors_exit_2_with_hint
for args in "--hidden abc" "--hidden 0" "--hidden 9999999" "--lr -1" "--lr nan" "--lr 1e-3x" \
            "--dropout 1" "--cell lstn" "--layers 9" "--batch -4" "--val-frac 0.9" "--steps 0" \
            "--time inf" "--seed -1" "--threads 0" "--no-such-option" "--checkpoint-every 5"; do
    run train-charrnn $args $CORPUS
    [ "$st" -eq 2 ] || fail "train-charrnn $args: status $st, expected 2"
    grep -q "^train-charrnn: " "$work/err" || fail "train-charrnn $args: no 'train-charrnn:' prefix"
    grep -q "^Try 'train-charrnn --help'.$" "$work/err" || fail "train-charrnn $args: no hint"
    [ "$(wc -l < "$work/err")" -eq 2 ] || fail "train-charrnn $args: $(cat "$work/err")"
done
for args in "-n -1" "-n x" "-t 0" "-t -2" "--top-k 0" "--top-p 0" "--top-p 1.5" "--seed x" \
            "--bogus" "--stop="; do
    run sample $args corpora/x.ckpt
    [ "$st" -eq 2 ] || fail "sample $args: status $st, expected 2"
    grep -q "^Try 'sample --help'.$" "$work/err" || fail "sample $args: no hint"
done
end

begin usage_numbers_name_the_option
run train-charrnn --hidden 12x $CORPUS
expect_err "^train-charrnn: --hidden: '12x' is not a whole number$"
run train-charrnn --lr 0 $CORPUS
expect_err "^train-charrnn: --lr: 0 is out of range"
end

begin help_and_version
for tool in train-charrnn sample; do
    run $tool --help
    expect_status 0
    expect_out "^Usage: $tool"
    [ -s "$work/err" ] && fail "$tool --help wrote to stderr"
    [ "$(wc -l < "$work/out")" -le 48 ] || fail "$tool --help is longer than a screen"
    run $tool --version
    expect_status 0
    expect_out "^$tool (charrnn) [0-9]"
done
end

begin train_missing_file
run train-charrnn $TINY -o "$work/x.ckpt" "$work/nope.txt"
expect_status 1
expect_err "^train-charrnn: $work/nope.txt: No such file or directory$"
[ -e "$work/x.ckpt" ] && fail "a checkpoint was written"
end

begin train_invalid_utf8_names_file_and_byte
printf 'good text\nand then \351t\351 in Latin-1\n' > "$work/latin1.txt"
run train-charrnn $TINY -o "$work/x.ckpt" "$work/latin1.txt"
expect_status 1
expect_err "^train-charrnn: $work/latin1.txt: invalid UTF-8 at byte 19 (line 2)"
expect_one_line_err
printf '\377\376h\000i\000' > "$work/utf16.txt"
run train-charrnn $TINY -o "$work/x.ckpt" "$work/utf16.txt"
expect_status 1
expect_err "too few" # read as the text "hi": UTF-16 is text
end

begin train_empty_and_tiny_corpora
: > "$work/empty.txt"
run train-charrnn $TINY -o "$work/x.ckpt" "$work/empty.txt"
expect_status 1
expect_err "the corpus is empty"
printf 'A small poem of forty or so characters.\n' > "$work/tiny.txt"
run train-charrnn --quiet -o "$work/x.ckpt" "$work/tiny.txt"
expect_status 1
expect_err "too few"
expect_err "try --"
expect_err "A bot needs text to learn from: about 50 KB"
expect_err "this corpus has [0-9]* bytes$"
expect_one_line_err
head -c 1500 $CORPUS > "$work/small.txt"
run train-charrnn --quiet --batch 32 -o "$work/x.ckpt" "$work/small.txt" # a batch left out fits
expect_status 1
expect_err "try --batch [0-9]"
sugg=$(sed -n 's/.*try --batch \([0-9]*\).*/\1/p' "$work/err")
run train-charrnn $TINY --seq-len 64 --batch "$sugg" --steps 1 -o "$work/x.ckpt" "$work/small.txt"
expect_status 0
end

begin train_refuses_terminal_output
if command -v script >/dev/null 2>&1; then
    script -qec "train-charrnn $TINY --steps 1 $CORPUS" /dev/null > "$work/out" 2>&1
    grep -q "will not write a binary checkpoint to a terminal" "$work/out" || fail "$(cat "$work/out")"
else
    echo "  (script(1) missing: terminal case not exercised)"
fi
end

begin train_resume_unknown_character
train-charrnn $TINY --steps 1 -o "$work/m.ckpt" $CORPUS 2>/dev/null
printf 'the sea, the sea \342\200\224 and\nthe \317\200, \342\200\224\n' > "$work/new.txt"
run train-charrnn --resume "$work/m.ckpt" --steps 1 -o "$work/m2.ckpt" "$work/new.txt"
expect_status 1
expect_err "^train-charrnn: $work/new.txt: '—' (U+2014) at line 1, column 18 is not one of the 67 characters $work/m.ckpt knows (nor is 1 other character of the corpus); tokenize --from $work/m.ckpt FILE lists them with their lines: replace or remove them, or start a new model$"
[ -e "$work/m2.ckpt" ] && fail "a checkpoint was written"
# the place is counted in the file it is in, in characters
printf 'abc\n' > "$work/ok.txt"
printf 'ab\n\317\200\342\200\224\n' > "$work/new2.txt"
run train-charrnn --resume "$work/m.ckpt" --steps 1 -o "$work/m2.ckpt" "$work/ok.txt" "$work/new2.txt"
expect_status 1
expect_err "^train-charrnn: $work/new2.txt: 'π' (U+03C0) at line 2, column 1 is not one of the 67 characters"
end

begin sample_damaged_checkpoints
train-charrnn $TINY --steps 1 -o "$work/m.ckpt" $CORPUS 2>/dev/null
size=$(wc -c < "$work/m.ckpt")
head -c $((size / 2)) "$work/m.ckpt" > "$work/half.ckpt"
run sample -n 5 "$work/half.ckpt"
expect_status 1
expect_err "^sample: $work/half.ckpt: the checkpoint is truncated"
expect_one_line_err
cp "$work/m.ckpt" "$work/flip.ckpt"
printf 'X' | dd of="$work/flip.ckpt" bs=1 seek=200 conv=notrunc 2>/dev/null
run sample -n 5 "$work/flip.ckpt"
expect_status 1
expect_err "^sample: $work/flip.ckpt: chunk [A-Z0-9]* at byte [0-9]* is damaged"
sed 's/\r$//' "$work/m.ckpt" | tr -d '\r' > "$work/crlf.ckpt"
run sample -n 5 "$work/crlf.ckpt"
expect_status 1
expect_err "text"
printf 'hello world' > "$work/text.ckpt"
run sample -n 5 "$work/text.ckpt"
expect_status 1
expect_err "this is text, not a checkpoint"
run sample -n 5 "$work/missing.ckpt"
expect_status 1
expect_err "^sample: $work/missing.ckpt: No such file or directory$"
run sample -n 5 < /dev/null
expect_status 1
expect_err "^sample: standard input: empty input"
end

begin train_resume_damaged_checkpoint
cp "$work/m.ckpt" "$work/r.ckpt"
printf 'XXXX' | dd of="$work/r.ckpt" bs=1 seek=300 conv=notrunc 2>/dev/null
cp "$work/r.ckpt" "$work/r.before"
run train-charrnn --resume "$work/r.ckpt" --steps 1 $CORPUS
expect_status 1
expect_err "^train-charrnn: $work/r.ckpt: chunk"
cmp -s "$work/r.ckpt" "$work/r.before" || fail "the damaged checkpoint was changed"
end

begin train_unwritable_output_keeps_old_file
if [ -w /dev/full ]; then
    run train-charrnn $TINY --steps 1 -o /dev/full/x.ckpt $CORPUS
    expect_status 1
    expect_err "^train-charrnn: /dev/full/x.ckpt: cannot save there: '/dev/full' is not a folder; nothing was trained"
fi
mkdir "$work/ro" && cp "$work/m.ckpt" "$work/ro/keep.ckpt" && chmod 555 "$work/ro"
if [ "$(id -u)" -ne 0 ]; then
    run train-charrnn $TINY --steps 1 -o "$work/ro/keep.ckpt" $CORPUS
    expect_status 1
    expect_err "cannot save there: no permission to write in the folder '$work/ro'; nothing was trained"
    cmp -s "$work/ro/keep.ckpt" "$work/m.ckpt" || fail "the old checkpoint changed"
fi
chmod 755 "$work/ro"
train-charrnn $TINY --steps 1 $CORPUS 2>"$work/err" > /dev/full
[ $? -eq 1 ] || fail "writing a checkpoint to /dev/full did not fail"
expect_err "No space left on device"
end

begin sample_seven_bit_damage_named
train-charrnn $TINY --steps 1 -o "$work/m7.ckpt" $CORPUS 2>/dev/null
printf '\011' | dd of="$work/m7.ckpt" bs=1 seek=0 conv=notrunc 2>/dev/null
run sample -n 5 "$work/m7.ckpt"
expect_status 1
expect_err "7-bit"
end

begin train_binary_corpus_refused
printf 'some text\000\001\002 and binary' > "$work/bin.dat"
run train-charrnn $TINY -o "$work/x.ckpt" "$work/bin.dat"
expect_status 1
expect_err "bin.dat: a NUL byte at byte 9"
expect_one_line_err
end

begin every_help_fits_a_screen
for tool in clean tokenize train-charrnn sample dump score; do
    run $tool --help
    expect_status 0
    [ "$(wc -l < "$work/out")" -le 48 ] || fail "$tool --help has $(wc -l < "$work/out") lines"
    [ "$(awk '{ if (length > m) m = length } END { print m + 0 }' "$work/out")" -le 80 ] ||
        fail "$tool --help has lines wider than 80 columns"
done
end
