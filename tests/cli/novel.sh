# novel.sh: sample --novel N --corpus FILE (no copy longer than N, checked with trace) and lists
# of values for -t, --top-k and --top-p (labels in a pipe and on a terminal).
. tests/cli/lib.sh
# a bot that has learnt a short text by heart: unfiltered, it copies long runs of it
head -c 600 $CORPUS > "$work/tiny.txt"
train-charrnn --hidden 96 --layers 1 --seq-len 32 --batch 8 --threads 1 --quiet --steps 1500 \
    --lr 0.02 --val-frac 0 -o "$work/c.ckpt" "$work/tiny.txt" 2>/dev/null
# longest FILE CORPUS...: the longest run of FILE that trace finds in the corpus (0 for none)
longest() {
    f=$1
    shift
    trace -m 1 --text "$f" "$@" | sed -n 's/^longest: \([0-9]*\) character.*/\1/p' | grep . || echo 0
}

begin novel_bot_copies_without_it
sample -n 400 --seed 1 -t 0.5 "$work/c.ckpt" > "$work/plain.txt" 2>/dev/null
n=$(longest "$work/plain.txt" "$work/tiny.txt")
[ "$n" -ge 40 ] || fail "the test bot copies only $n characters in a row: it proves nothing"
end

begin novel_longest_copy_at_most_n
for N in 3 8 20; do
    run sample -n 400 --seed 1 -t 0.5 --novel $N --corpus "$work/tiny.txt" "$work/c.ckpt"
    expect_status 0
    [ "$(wc -m < "$work/out")" -eq 400 ] || fail "--novel $N: $(wc -m < "$work/out") characters, not 400"
    n=$(longest "$work/out" "$work/tiny.txt")
    [ "$n" -le $N ] || fail "--novel $N: trace finds a copy of $n characters"
    [ "$n" -eq $N ] || fail "--novel $N: the longest copy is $n, shorter than the bot would make"
    expect_err "^sample: --novel $N: drew again [0-9]* times in [0-9]* places, so that no more than $N characters in a row copy the corpus; the longest copy is $n characters$"
done
end

begin novel_same_seed_same_text
a=$(sample -n 300 --seed 4 -t 0.6 --top-k 5 --novel 6 --corpus "$work/tiny.txt" "$work/c.ckpt" 2>/dev/null)
b=$(sample -n 300 --seed 4 -t 0.6 --top-k 5 --novel 6 --corpus "$work/tiny.txt" "$work/c.ckpt" 2>/dev/null)
c=$(sample -n 300 --seed 5 -t 0.6 --top-k 5 --novel 6 --corpus "$work/tiny.txt" "$work/c.ckpt" 2>/dev/null)
[ "$a" = "$b" ] || fail "the same seed gave different text"
[ "$a" != "$c" ] || fail "another seed gave the same text"
end

begin novel_changes_nothing_until_a_copy_would_grow
# a limit longer than any copy the bot makes: the same text as without --novel
run sample -n 400 --seed 1 -t 0.5 --novel 100000 --corpus "$work/tiny.txt" "$work/c.ckpt"
expect_status 0
cmp -s "$work/out" "$work/plain.txt" || fail "--novel changed a text that copied less than its limit"
expect_err "nothing needed drawing again; the longest copy is"
end

begin novel_several_corpus_files
head -c 300 "$work/tiny.txt" > "$work/a.txt"
tail -c +301 "$work/tiny.txt" > "$work/b.txt"
run sample -n 400 --seed 1 -t 0.5 --novel 8 --corpus "$work/a.txt" --corpus "$work/b.txt" "$work/c.ckpt"
expect_status 0
cp "$work/out" "$work/ab.txt"
n=$(longest "$work/ab.txt" "$work/a.txt" "$work/b.txt")
[ "$n" -le 8 ] || fail "trace finds a copy of $n characters from the two files"
sample -n 400 --seed 1 -t 0.5 --novel 8 --corpus "$work/a.txt" "$work/c.ckpt" > "$work/a-only.txt" 2>/dev/null
n=$(longest "$work/a-only.txt" "$work/b.txt")
[ "$n" -gt 8 ] || fail "with a.txt alone, nothing longer than 8 from b.txt: the test proves nothing"
end

begin novel_prime_counts_as_written
# the prime copies the corpus's first 30 characters; the text may not make that copy longer
p=$(head -c 30 "$work/tiny.txt")
run sample -n 200 --seed 2 -t 0.5 --novel 10 --corpus "$work/tiny.txt" --prime "$p" "$work/c.ckpt"
expect_status 0
trace -m 1 --text "$work/out" "$work/tiny.txt" > "$work/trace.txt"
grep -q "^longest: 30 characters, from .*tiny.txt:1:1" "$work/trace.txt" ||
    fail "expected the prime's 30 characters as the longest copy: $(grep longest "$work/trace.txt")"
expect_err "the longest copy is 30 characters"
end

begin novel_every_candidate_blocked_stops_cleanly
# a corpus holding every pair of the bot's characters: with --novel 1, no second character
awk '{ for (i = 1; i <= length($0); i++) c[substr($0, i, 1)] = 1 }
     END { c["\n"] = 1; for (a in c) for (b in c) printf "%s%s", a, b }' "$work/tiny.txt" > "$work/pairs.txt"
run sample -n 50 --seed 3 --novel 1 --corpus "$work/pairs.txt" "$work/c.ckpt"
expect_status 0
[ "$(wc -m < "$work/out")" -eq 1 ] || fail "expected one character, got: $(cat "$work/out")"
expect_err "^sample: --novel 1: stopped after 1 of 50 characters: every character the bot could write next would copy more than 1 character in a row (it is copying .*pairs.txt, line 1); a larger --novel or a higher temperature lets it go on$"
expect_err "^sample: --novel 1: drew again [0-9]* times in 1 place,"
run sample -n 50 --seed 3 --novel 2 --corpus "$work/pairs.txt" "$work/c.ckpt"
[ "$(wc -m < "$work/out")" -gt 1 ] || fail "--novel 2 stopped too"
end

begin novel_bad_input
run sample --novel 5 "$work/c.ckpt"
expect_status 2
expect_err "^sample: --novel 5 needs the corpus it must not copy: --corpus FILE (trace --ckpt .*c.ckpt names the files the bot was trained on)$"
run sample --corpus "$work/tiny.txt" "$work/c.ckpt"
expect_status 2
expect_err "^sample: --corpus is for --novel N"
for bad in 0 -3 x 2.5; do
    run sample --novel "$bad" --corpus "$work/tiny.txt" "$work/c.ckpt"
    expect_status 2
    expect_err "^sample: --novel"
done
run sample --novel 5 --corpus "$work/a.txt" "$work/b.txt" "$work/c.ckpt"
expect_status 2
expect_err "one checkpoint at a time (got 2: .*b.txt ...); for several corpus files, give --corpus before each (--corpus a.txt --corpus b.txt)"
run sample --novel 5 --corpus "$work/missing.txt" "$work/c.ckpt"
expect_status 1
expect_err "missing.txt"
expect_one_line_err
printf 'caf\351 au lait\n' > "$work/latin1.txt"
run sample --novel 5 --corpus "$work/latin1.txt" "$work/c.ckpt"
expect_status 1
expect_err "latin1.txt"
expect_one_line_err
# the checkpoint given as the corpus too, by mistake
run sample --novel 5 --corpus "$work/c.ckpt" "$work/c.ckpt"
expect_status 1
expect_err "c.ckpt: this is a charrnn checkpoint"
expect_one_line_err
run sh -c "cat '$work/c.ckpt' | sample --novel 5 --corpus - -"
expect_status 2
expect_err "standard input can hold only one of the checkpoint, the prime file and a corpus"
# the corpus from standard input, the checkpoint from a file
run sh -c "sample -n 100 --seed 1 -t 0.5 --novel 8 --corpus - '$work/c.ckpt' < '$work/tiny.txt'"
expect_status 0
[ "$(longest "$work/out" "$work/tiny.txt")" -le 8 ] || fail "--corpus - was not used"
end

# ---- lists of values ----

# section FILE LABEL: the text of a list's sample LABEL in a pipe's output
section() {
    awk -v h="==> $2 <==" '$0 == h { on = 1; next } /^==> .* <==$/ { on = 0 } on' "$1"
}

begin list_one_labelled_sample_per_value
run sample -n 120 --seed 7 -t 0.3,0.7,1.2 "$work/c.ckpt"
expect_status 0
[ "$(grep -c '^==> temperature [0-9.]* <==$' "$work/out")" -eq 3 ] || fail "expected three labels: $(cat "$work/out")"
head -n 1 "$work/out" | grep -qx '==> temperature 0.3 <==' || fail "the first line is not the first label"
for t in 0.3 0.7 1.2; do
    sample -n 120 --seed 7 -t $t "$work/c.ckpt" > "$work/one.txt"
    echo >> "$work/one.txt" # a sample of a list ends its line
    section "$work/out" "temperature $t" > "$work/sec.txt"
    # the blank line before the next label is not the sample's
    [ $t = 1.2 ] || sed -i '$d' "$work/sec.txt"
    cmp -s "$work/sec.txt" "$work/one.txt" || fail "-t $t in a list differs from -t $t alone"
done
end

begin list_top_k_and_top_p_and_prime
run sample -n 80 --seed 3 --top-k 1,4 --prime "THE" "$work/c.ckpt"
expect_status 0
[ "$(grep -c '^==> top-k [14] <==$' "$work/out")" -eq 2 ] || fail "expected two top-k labels"
[ "$(grep -c '^THE' "$work/out")" -eq 2 ] || fail "each sample starts from the prime"
a=$(sample -n 80 --seed 3 --argmax --prime "THE" "$work/c.ckpt")
[ "$(section "$work/out" "top-k 1" | sed '$d')" = "$a" ] || fail "top-k 1 in a list is not argmax"
run sample -n 80 --seed 3 --top-p 0.5,0.95 -t 0.8 --novel 10 --corpus "$work/tiny.txt" "$work/c.ckpt"
expect_status 0
[ "$(grep -c '^==> top-p 0.5 <==$\|^==> top-p 0.95 <==$' "$work/out")" -eq 2 ] || fail "expected two top-p labels"
expect_err "^sample: top-p 0.5: --novel 10: "
expect_err "^sample: top-p 0.95: --novel 10: "
end

begin list_bad_input
run sample -t 0.3,0.7 --top-k 2,3 "$work/c.ckpt"
expect_status 2
expect_err "^sample: a list of values for one option at a time: -t, --top-k and --top-p were given 2 lists; keep one list and give the others one value$"
run sample -t 0.3,0.7 --argmax "$work/c.ckpt"
expect_status 2
expect_err "^sample: --argmax always takes the likeliest character, whatever the temperature"
run sample -t 0.3,,0.7 "$work/c.ckpt"
expect_status 2
expect_err "^sample: --temperature: '0.3,,0.7': an empty value in the list"
run sample -t 0.3, "$work/c.ckpt"
expect_status 2
expect_err "an empty value in the list"
# two whole numbers are a decimal comma, not a list (a list of them: 1.0,5)
run sample -t 1,5 "$work/c.ckpt"
expect_status 2
expect_err "^sample: --temperature: '1,5' is not a number: use a dot for decimals, as in 1.5$"
run sample --top-p 0,9 "$work/c.ckpt"
expect_status 2
expect_err "^sample: --top-p: '0,9' is not a number: use a dot for decimals, as in 0.9$"
run sample -n 10 --seed 1 -t 1.0,5 "$work/c.ckpt"
expect_status 0
expect_out "^==> temperature 5 <==$"
run sample -n 10 --seed 1 --top-k 1,5 "$work/c.ckpt"
expect_status 0
expect_out "^==> top-k 5 <==$"
run sample -t 0.3,abc "$work/c.ckpt"
expect_status 2
expect_err "^sample: --temperature.*abc"
run sample -t 0.5,0 "$work/c.ckpt"
expect_status 2
expect_err "use --argmax"
run sample --top-p 0.5,1.5 "$work/c.ckpt"
expect_status 2
expect_err "^sample: --top-p"
run sample --top-k 3,0 "$work/c.ckpt"
expect_status 2
expect_err "^sample: --top-k"
end

begin list_labels_on_a_terminal
if ! command -v tmux > /dev/null 2>&1; then
    skip list_labels_on_a_terminal "tmux is not installed"
else
    sock="$work/tmux.sock"
    tmux -S "$sock" new-session -d -x 120 -y 40 \
        "sample -n 40 --seed 7 -t 0.3,1.2 '$work/c.ckpt'; echo DONE; sleep 30"
    i=0
    while [ $i -lt 100 ] && ! tmux -S "$sock" capture-pane -p | grep -q DONE; do
        sleep 0.1
        i=$((i + 1))
    done
    tmux -S "$sock" capture-pane -p -e > "$work/pane.txt"
    tmux -S "$sock" kill-server 2> /dev/null
    grep -q "$(printf '\033')\[1mtemperature 0.3" "$work/pane.txt" || fail "no bold label: $(cat "$work/pane.txt")"
    grep -q "temperature 1.2" "$work/pane.txt" || fail "no second label"
    grep -q "==>" "$work/pane.txt" && fail "a pipe's labels on a terminal"
    # a blank line between the samples, each ending its line before DONE
    grep -q "^DONE" "$work/pane.txt" || fail "the last sample did not end its line"
fi
end

begin novel_ml5_model_with_two_character_keys
# the shakespeare folder's "  " key is two characters: each is checked against the corpus
# (with --novel 5 and this seed, letting the key through unchecked gives a copy of 6)
m=$SHARED/ml5-models/shakespeare
c=$SHARED/corpora/tinyshakespeare.txt
if [ ! -d "$m" ] || [ ! -r "$c" ]; then
    skip novel_ml5_model_with_two_character_keys "../shared/ml5-models or ../shared/corpora missing"
else
    run sample -n 1500 --seed 3 -t 0.5 --novel 5 --corpus "$c" "$m"
    expect_status 0
    grep -q "  " "$work/out" || fail "no two-space key written: the test proves little"
    n=$(longest "$work/out" "$c")
    [ "$n" -le 5 ] || fail "trace finds a copy of $n characters"
    expect_err "the longest copy is $n characters"
    end
fi
