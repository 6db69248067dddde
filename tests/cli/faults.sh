# faults.sh: what the world does to the tools: full disks, kill -9 at any moment, read errors,
# closed pipes, damaged checkpoints, hostile corpora, bad numbers, training that diverges. Each
# ends with one clear line and the documented status (docs/errors.md), and never loses the
# last good checkpoint. Random delays and damage come from FAULTS_SEED (default: the clock).
. tests/cli/lib.sh

seed=${FAULTS_SEED:-$(date +%s)}
full="$work/full"
trap 'umount "$full" 2>/dev/null; rm -rf "$work"' EXIT

# randoms N MAX: N random whole numbers from 0 to MAX - 1, one a line, from $seed.
randoms() { awk -v s="$seed" -v n="$1" -v m="$2" 'BEGIN { srand(s); for (i = 0; i < n; i++) print int(rand() * m) }'; }
# one_error_line PREFIX: stderr is exactly one line, starting with PREFIX.
one_error_line() {
    [ "$(wc -l < "$work/err")" -eq 1 ] && grep -q "^$1" "$work/err" ||
        fail "expected one line starting '$1', got: $(head -c 300 "$work/err")"
}
no_stdout() { [ -s "$work/out" ] && fail "wrote to standard output: $(head -c 100 "$work/out" | od -An -c | head -2)"; }

train-charrnn $TINY --steps 1 -o "$work/m.ckpt" $CORPUS 2>/dev/null

# ---- full disks ----

# a private link to the full device: the tests never name the real /dev entry as a destination
ln -s /dev/full "$work/devfull"

begin write_to_full_device_fails_clearly
for cmd in "sample -n 10 $work/m.ckpt" "clean $CORPUS" "tokenize $CORPUS" "tokenize --ids $CORPUS" \
           "dump $work/m.ckpt" "dump --json $work/m.ckpt" "dump --history $work/m.ckpt" \
           "dump --svg $work/m.ckpt" "dump --tensor out.b $work/m.ckpt"; do
    $cmd > "$work/devfull" 2> "$work/err"
    st=$?
    [ $st -eq 1 ] || fail "$cmd > /dev/full: status $st, expected 1"
    one_error_line "${cmd%% *}: standard output: write failed: No space left on device$"
done
train-charrnn $TINY --steps 1 $CORPUS > "$work/devfull" 2> "$work/err"
st=$?
[ $st -eq 1 ] || fail "train-charrnn > /dev/full: status $st, expected 1"
one_error_line "train-charrnn: standard output: cannot write the checkpoint: write failed: No space left on device$"
end

begin full_device_at_a_line_break_names_the_reason
# A bot of two characters, one a line break, writes line breaks early; sample flushes at each,
# and that first failed flush must report why (it once said "write failed: Success").
awk 'BEGIN { for (i = 0; i < 400; i++) print "a" }' > "$work/lines.txt"
train-charrnn $TINY --steps 1 --val-frac 0 -o "$work/lines.ckpt" "$work/lines.txt" 2>/dev/null
for s in 1 2 3; do
    sample -n 40 --seed $s "$work/lines.ckpt" > "$work/out" 2>/dev/null
    [ "$(wc -l < "$work/out")" -ge 2 ] ||
        fail "seed $s: the bot wrote no line break; the test needs one"
    sample -n 40 --seed $s "$work/lines.ckpt" > "$work/devfull" 2> "$work/err"
    st=$?
    [ $st -eq 1 ] || fail "seed $s: sample > /dev/full: status $st, expected 1"
    one_error_line "sample: standard output: write failed: No space left on device$"
done
end

begin full_disk_keeps_previous_checkpoint
mkdir "$full"
if ! mount -t tmpfs -o size=256k tmpfs "$full" 2>/dev/null; then
    skip full_disk_keeps_previous_checkpoint "cannot mount a small tmpfs here (needs root)"
else
    cp "$work/m.ckpt" "$full/bot.ckpt"
    dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null # until the disk is full
    run train-charrnn --quiet --threads 1 --resume "$full/bot.ckpt" --steps 1 $CORPUS
    expect_status 1
    one_error_line "train-charrnn: $full/bot.ckpt: cannot save the checkpoint: write failed: No space left on device (the previous file, if any, is unchanged)$"
    cmp -s "$full/bot.ckpt" "$work/m.ckpt" || fail "the previous checkpoint changed"
    run train-charrnn $TINY --steps 1 -o "$full/new.ckpt" $CORPUS
    expect_status 1
    expect_err "No space left on device"
    [ -e "$full/new.ckpt" ] && fail "a partial new.ckpt was left"
    ls "$full" | grep -q 'tmp-' && fail "temporary files were left: $(ls "$full")"
    run train-charrnn --quiet --threads 1 --resume "$full/bot.ckpt" --checkpoint-every 0.1 --time 5 $CORPUS
    expect_status 1
    expect_err "cannot save the checkpoint"
    cmp -s "$full/bot.ckpt" "$work/m.ckpt" || fail "a periodic save changed the previous checkpoint"
    umount "$full"
    end
fi

# ---- kill -9 ----

begin kill9_at_random_moments_leaves_loadable_checkpoint
train-charrnn --hidden 64 --layers 1 --seq-len 16 --batch 4 --threads 1 --quiet --steps 1 \
    -o "$work/k.ckpt" $CORPUS 2>/dev/null
for r in $(randoms 6 800); do
    delay=$(awk -v r="$r" 'BEGIN { printf "%.3f", 0.1 + r / 1000 }')
    train-charrnn --quiet --threads 1 --resume "$work/k.ckpt" --checkpoint-every 0.2 --time 30 \
        $CORPUS 2> "$work/kerr" &
    pid=$!
    sleep "$delay"
    kill -9 $pid
    wait $pid 2>/dev/null
    [ -s "$work/kerr" ] && fail "after ${delay} s (FAULTS_SEED=$seed): $(head -c 200 "$work/kerr")"
    run dump "$work/k.ckpt"
    [ $st -eq 0 ] || fail "after kill -9 at ${delay} s (FAULTS_SEED=$seed): dump: $(cat "$work/err")"
    run sample -n 1 "$work/k.ckpt"
    [ $st -eq 0 ] || fail "after kill -9 at ${delay} s (FAULTS_SEED=$seed): sample: $(cat "$work/err")"
    run train-charrnn --quiet --threads 1 --resume "$work/k.ckpt" --steps 1 -o "$work/k2.ckpt" $CORPUS
    [ $st -eq 0 ] || fail "after kill -9 at ${delay} s (FAULTS_SEED=$seed): resume: $(cat "$work/err")"
done
rm -f "$work"/k.ckpt.tmp-*
end

# ---- read errors ----

begin read_error_directory_as_corpus
mkdir "$work/texts"
for tool in train-charrnn tokenize clean; do
    run $tool "$work/texts"
    expect_status 1
    one_error_line "$tool: $work/texts: .*Is a directory$"
    no_stdout
done
end

begin read_error_io_names_the_file
if head -c 1 /proc/self/mem > /dev/null 2>&1; then
    skip read_error_io_names_the_file "/proc/self/mem reads here: no read error to provoke"
else
    for tool in train-charrnn tokenize clean dump sample; do
        run $tool /proc/self/mem
        expect_status 1
        one_error_line "$tool: /proc/self/mem: read failed.*: Input/output error$"
        no_stdout
    done
    end
fi

begin read_empty_fifo
mkfifo "$work/fifo"
for cmd in "train-charrnn $TINY -o $work/x.ckpt" "sample" "dump"; do
    : > "$work/fifo" &
    writer=$!
    run $cmd "$work/fifo"
    kill $writer 2>/dev/null # had the tool not opened the FIFO, the writer would wait on
    wait $writer
    expect_status 1
    one_error_line "${cmd%% *}: $work/fifo: .*empty"
    no_stdout
done
[ -e "$work/x.ckpt" ] && fail "a checkpoint was written for an empty corpus"
end

# ---- closed pipes ----

# into_head N CMD...: CMD | head -c N; CMD's status in $st, its stderr in $work/err.
into_head() {
    n=$1
    shift
    { "$@" 2> "$work/err"; echo $? > "$work/st"; } | head -c "$n" > "$work/out"
    st=$(cat "$work/st")
}
# into_closed CMD...: CMD writing into a pipe whose reader has already gone.
into_closed() {
    { sleep 0.2; "$@" 2> "$work/err"; echo $? > "$work/st"; } | true
    st=$(cat "$work/st")
}

begin closed_pipe_ends_quietly
train-charrnn $TINY --steps 30 --eval-every 1 -o "$work/h.ckpt" $CORPUS 2>/dev/null
for cmd in "sample -n 200000 --seed 1 $work/m.ckpt" "tokenize --ids $CORPUS" "tokenize $CORPUS" \
           "tokenize --json $CORPUS" "clean $CORPUS" "clean --dedupe --min-count 2 $CORPUS" \
           "dump --history $work/h.ckpt" "dump --json $work/h.ckpt" "dump $work/h.ckpt" \
           "dump --svg $work/h.ckpt" "dump --stats $work/h.ckpt" "dump --chunks $work/h.ckpt"; do
    into_head 10 $cmd
    [ "$st" -eq 0 ] || fail "$cmd | head: status $st: $(head -c 200 "$work/err")"
    [ -s "$work/err" ] && fail "$cmd | head: wrote to stderr: $(head -c 200 "$work/err")"
    $cmd 2>/dev/null | head -c 10 | cmp -s - "$work/out" || fail "$cmd | head: not the start of the output"
    into_closed $cmd
    [ "$st" -eq 0 ] || fail "$cmd | true: status $st: $(head -c 200 "$work/err")"
    [ -s "$work/err" ] && fail "$cmd | true: wrote to stderr: $(head -c 200 "$work/err")"
done
end

begin train_checkpoint_into_closed_pipe_is_an_error
# a checkpoint nobody received is a lost run: an error, not a quiet end
into_closed train-charrnn $TINY --steps 1 $CORPUS
[ "$st" -eq 1 ] || fail "status $st, expected 1"
one_error_line "train-charrnn: standard output: cannot write the checkpoint: write failed: Broken pipe$"
end

# ---- damaged checkpoints ----

begin dump_damaged_checkpoint_sweep
size=$(wc -c < "$work/m.ckpt")
for at in $(randoms 40 "$size"); do
    head -c "$at" "$work/m.ckpt" > "$work/cut.ckpt"
    run dump "$work/cut.ckpt"
    [ "$st" -eq 1 ] || fail "cut at $at of $size (FAULTS_SEED=$seed): status $st"
    one_error_line "dump: $work/cut.ckpt: "
    no_stdout
done
set -- $(randoms 80 "$size")
while [ $# -ge 2 ]; do
    at=$1 by=$(($2 % 255 + 1))
    shift 2
    cp "$work/m.ckpt" "$work/flip.ckpt"
    old=$(od -An -tu1 -j "$at" -N 1 "$work/m.ckpt" | tr -d ' ')
    new=$(((old + by) % 256))
    printf "\\$(printf %o "$new")" | dd of="$work/flip.ckpt" bs=1 seek="$at" conv=notrunc 2>/dev/null
    run dump "$work/flip.ckpt"
    [ "$st" -eq 1 ] || fail "byte $at set to $new (FAULTS_SEED=$seed): status $st"
    one_error_line "dump: $work/flip.ckpt: "
    no_stdout
done
end

# ---- id lists ----

begin decode_bad_ids_named_nothing_written
# every file is checked before any text is written
printf '1 2\n3 ? 4\n' > "$work/q.ids"
printf '1 2\n3\t\001x 4\n' > "$work/x.ids"
printf '0 66\n67\n' > "$work/r.ids"
printf '5 6\n' > "$work/1.ids"
run tokenize --from "$work/m.ckpt" --decode "$work/1.ids" "$work/q.ids"
one_error_line "tokenize: $work/q.ids: '?' at byte 6 stands for a character the model does not know; it cannot be decoded$"
no_stdout
run tokenize --from "$work/m.ckpt" --decode "$work/1.ids" "$work/x.ids"
one_error_line "tokenize: $work/x.ids: '\\\\x01x' at byte 6 is not an id (a whole number from 0 to 66)$"
no_stdout
run tokenize --from "$work/m.ckpt" --decode "$work/r.ids"
one_error_line "tokenize: $work/r.ids: id 67 at byte 5 is out of range (vocabulary of 67)$"
no_stdout
end

# ---- hostile corpora ----

begin corpus_latin1_points_to_from_encoding
printf 'good text\nand then \351t\351 in Latin-1\n' > "$work/latin1.txt"
run train-charrnn $TINY -o "$work/x.ckpt" "$work/latin1.txt"
expect_status 1
one_error_line "train-charrnn: $work/latin1.txt: invalid UTF-8 at byte 19 (line 2): "
expect_err "Windows-1252 or Latin-1"
expect_err "read it with --from-encoding WINDOWS-1252$"
run tokenize "$work/latin1.txt"
expect_status 1
expect_err "from-encoding WINDOWS-1252"
run tokenize --from-encoding LATIN1 "$work/latin1.txt"
expect_status 0
expect_out "é"
end

# UTF-16 and UTF-32, with or without a byte-order mark, are text: read, not refused.
begin corpus_utf16_and_utf32_are_read
printf '\377\376h\000i\000\n\000' > "$work/utf16le.txt"
printf '\376\377\000h\000i\000\n' > "$work/utf16be.txt"
printf 'h\000i\000\n\000' > "$work/utf16nobom.txt"
printf '\377\376\000\000h\000\000\000i\000\000\000\n\000\000\000' > "$work/utf32le.txt"
for f in utf16le utf16be utf16nobom utf32le; do
    run tokenize --ids --from "$work/m.ckpt" "$work/$f.txt"
    expect_status 0
    run tokenize "$work/$f.txt"
    expect_status 0
    [ "$(grep -c . "$work/out")" -ge 3 ] || fail "$f: the vocabulary has too few rows: $(cat "$work/out")"
    grep -q '\\0\|U+0000' "$work/out" && fail "$f: NUL bytes reached the vocabulary"
done
end

begin corpus_binary_refused
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "%c", (i * 37 + 11) % 256 }' > "$work/blob.bin"
run train-charrnn $TINY -o "$work/x.ckpt" "$work/blob.bin"
expect_status 1
one_error_line "train-charrnn: $work/blob.bin: "
expect_err "binary"
[ -e "$work/x.ckpt" ] && fail "a checkpoint was written"
end

begin corpus_three_thousand_characters
LC_ALL=C awk 'BEGIN { for (i = 0; i < 3000; i++) { cp = 19968 + i
    printf "%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64
    if (i % 40 == 39) printf "\n" } }' > "$work/cjk.txt"
run train-charrnn $TINY --steps 2 -o "$work/cjk.ckpt" "$work/cjk.txt"
expect_status 0
run dump "$work/cjk.ckpt"
expect_out "vocabulary  *3001 characters"
run sample -n 20 "$work/cjk.ckpt"
expect_status 0
[ "$(LC_ALL=C.UTF-8 wc -m < "$work/out")" -eq 20 ] || fail "sample wrote $(wc -m < "$work/out") characters"
tokenize --from "$work/cjk.ckpt" --ids "$work/cjk.txt" | tokenize --from "$work/cjk.ckpt" --decode > "$work/back.txt"
cmp -s "$work/back.txt" "$work/cjk.txt" || fail "tokenize --ids | --decode changed the text"
end

begin corpus_one_enormous_line
awk 'BEGIN { s = "the sea and the harbour, "; while (length(s) < 2097152) s = s s
    printf "%s", substr(s, 1, 2097152) }' > "$work/line.txt"
run train-charrnn $TINY --steps 2 -o "$work/line.ckpt" "$work/line.txt"
expect_status 0
run clean "$work/line.txt"
expect_status 0
[ "$(wc -l < "$work/out")" -eq 1 ] || fail "clean made $(wc -l < "$work/out") lines of it"
tokenize --from "$work/line.ckpt" --ids "$work/line.txt" | tokenize --from "$work/line.ckpt" --decode > "$work/back.txt"
cmp -s "$work/back.txt" "$work/line.txt" || fail "tokenize --ids | --decode changed the text"
end

# ---- bad numbers ----

# rejects TOOL NAME OPTION VALUE...: each VALUE of OPTION is a usage error naming NAME.
rejects() {
    tool=$1 name=$2 opt=$3
    shift 3
    for v in "$@"; do
        run $tool "$opt" "$v" < /dev/null
        [ "$st" -eq 2 ] || fail "$tool $opt '$v': status $st, expected 2"
        [ "$(wc -l < "$work/err")" -eq 2 ] && grep -q "^$tool: $name: " "$work/err" &&
            grep -q "^Try '$tool --help'.$" "$work/err" ||
            fail "$tool $opt '$v': $(head -c 300 "$work/err")"
        no_stdout
    done
}
NOT_INT="abc '' 12x ' 5' '5 ' 0x10 1.5 1e3 nan inf -1 99999999999 99999999999999999999999"
NOT_REAL="abc '' 1,5 ' 1' '1 ' 0x1p3 nan inf -inf infinity 1e999 -1 1e300 1..2"
NOT_SEED="abc '' -1 ' 1' 1.5 0x10 18446744073709551616"

begin bad_numbers_every_option_of_every_tool
for o in layers hidden seq-len batch eval-every threads steps epochs patience; do
    eval "rejects train-charrnn --$o --$o $NOT_INT 0"
done
for o in embed warmup; do
    eval "rejects train-charrnn --$o --$o $NOT_INT"
done
for o in lr lr-decay time checkpoint-every; do
    eval "rejects train-charrnn --$o --$o $NOT_REAL 0 -0"
done
for o in dropout clip val-frac weight-decay; do
    eval "rejects train-charrnn --$o --$o $NOT_REAL"
done
eval "rejects train-charrnn --seed --seed $NOT_SEED"
eval "rejects sample --length -n $NOT_INT"
eval "rejects sample --length --length $NOT_INT"
eval "rejects sample --temperature -t $NOT_REAL 0"
eval "rejects sample --top-k --top-k $NOT_INT 0"
eval "rejects sample --top-p --top-p $NOT_REAL 0 1.5"
eval "rejects sample --threads --threads $NOT_INT 0"
eval "rejects sample --seed --seed $NOT_SEED"
eval "rejects sample --choose --choose $NOT_INT 0 10"
eval "rejects clean --min-count --min-count $NOT_INT 0"
run train-charrnn --dropout 0.95 $CORPUS
expect_err "^train-charrnn: --dropout: 0.95 is out of range (0 to 0.9)$"
run train-charrnn --weight-decay 1.5 $CORPUS
expect_err "^train-charrnn: --weight-decay: 1.5 is out of range (0 to 1)$"
run train-charrnn --hidden 1e3 $CORPUS
expect_err "^train-charrnn: --hidden: '1e3' is not a whole number$"
run train-charrnn --hidden "$(printf '12\n3')" $CORPUS
expect_err "^train-charrnn: --hidden: '12\\\\x0A3' is not a whole number$"
run sample --seed 18446744073709551616 "$work/m.ckpt"
expect_err "^sample: --seed: 18446744073709551616 is out of range (0 to 18446744073709551615)$"
end

# ---- divergence ----

begin diverged_training_stops_and_keeps_a_loadable_checkpoint
# Training with --lr up to 10 does not diverge on these cells (bounded activations, a
# log-sum-exp loss), so the latest weights are poisoned instead: the last float of WLST becomes
# NaN and the chunk's CRC-32 is recomputed (gzip's trailer holds the same CRC).
cp "$work/m.ckpt" "$work/nan.ckpt"
set -- $(dump --chunks "$work/nan.ckpt" | awk '$1 == "WLST" { print $2, $3 }')
crc_at=$(($1 + 8 + $2))
printf '\000\000\300\177' | dd of="$work/nan.ckpt" bs=1 seek=$((crc_at - 4)) conv=notrunc 2>/dev/null
tail -c +$(($1 + 5)) "$work/nan.ckpt" | head -c $(($2 + 4)) | gzip -c | tail -c 8 | head -c 4 |
    dd of="$work/nan.ckpt" bs=1 seek=$crc_at conv=notrunc 2>/dev/null
cp "$work/nan.ckpt" "$work/nan.before"
run train-charrnn --quiet --threads 1 --resume "$work/nan.ckpt" --steps 5 -o "$work/div.ckpt" $CORPUS
expect_status 1
one_error_line "train-charrnn: the loss stopped being finite at step [0-9]*; the model is back at step [0-9]*; try a lower --lr (now [0-9.e-]*); the checkpoint holds the last good state$"
cmp -s "$work/nan.ckpt" "$work/nan.before" || fail "the resumed checkpoint changed"
run dump "$work/div.ckpt"
expect_status 0
run sample -n 10 "$work/div.ckpt"
expect_status 0
run train-charrnn --quiet --threads 1 --resume "$work/nan.ckpt" --steps 5 -o - $CORPUS
expect_status 1
expect_err "no checkpoint written"
no_stdout
end

# ---- clean keeps its promises through every pass ----

begin clean_removes_bom_from_html_entities
# README: clean "always strips byte-order marks"; --html must not bring them back
printf '<p>a&#xFEFF;b &#65279;c</p>\n' > "$work/bom.html"
run clean --html "$work/bom.html"
expect_status 0
printf 'ab c\n' | cmp -s - "$work/out" || fail "a byte-order mark is left: $(od -An -tx1 "$work/out" | tr -d '\n')"
end
