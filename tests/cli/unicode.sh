# unicode.sh: corpora in Russian, Chinese, Farsi and with emoji train and sample whole characters.
. tests/cli/lib.sh

begin unicode_corpus_trains_and_samples_valid_utf8
run train-charrnn $TINY --steps 4 -o "$work/p.ckpt" corpora/small-proverbs.txt
expect_status 0
run sample -n 400 --seed 2 -t 1.5 "$work/p.ckpt"
expect_status 0
[ "$(wc -m < "$work/out")" -eq 400 ] || fail "expected 400 characters, got $(wc -m < "$work/out")"
iconv -f UTF-8 -t UTF-8 "$work/out" > /dev/null 2>&1 || fail "sampled text is not valid UTF-8"
run sample -n 50 --seed 1 --prime "Самовар" "$work/p.ckpt"
expect_status 0
expect_out "^Самовар"
[ -s "$work/err" ] && fail "known Cyrillic characters were reported: $(cat "$work/err")"
end

begin unicode_every_script_kept_whole
awk 'BEGIN { for (i = 0; i < 60; i++) print "Hola señor, ¿qué tal? Привет, мир. 你好世界。 سلام دنیا 😀🎉" }' > "$work/mixed.txt"
run train-charrnn $TINY --seq-len 8 --steps 3 --val-frac 0.2 -o "$work/m.ckpt" "$work/mixed.txt"
expect_status 0
run sample -n 300 --seed 5 -t 2 "$work/m.ckpt"
iconv -f UTF-8 -t UTF-8 "$work/out" > /dev/null 2>&1 || fail "sampled text is not valid UTF-8"
grep -q '[^ -~]' "$work/out" || fail "no non-ASCII character was sampled at temperature 2"
end
