# tokenize.sh: the vocabulary table, ids and their decoding, a model's view of a text, JSON, errors.
. tests/cli/lib.sh
train-charrnn $TINY --steps 1 -o "$work/x.ckpt" $CORPUS 2>/dev/null
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

begin tokenize_table_exact_rows
printf 'abba cab\n' > "$work/abc.txt"
run tokenize "$work/abc.txt"
expect_status 0
cat > "$work/want" <<'EOF'
id  char  count    share
 2  a         3   33.33%
 3  b         3   33.33%
 0  \n        1   11.11%
 1  ' '       1   11.11%
 4  c         1   11.11%
total: 9 characters, 5 distinct
EOF
cmp -s "$work/out" "$work/want" || fail "table differs: $(diff "$work/want" "$work/out")"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
end

begin tokenize_multibyte_table_aligned_by_display_width
# Spanish, a tab, Russian, Chinese (two columns wide), emoji, a no-break space, a combining acute
printf 'ñandú\tЁж 你好 😀😀\302\240e\314\201\n' > "$work/multi.txt"
run tokenize "$work/multi.txt"
expect_status 0
cat > "$work/want" <<'EOF'
id  char    count    share
 2  ' '         2   11.11%
15  😀          2   11.11%
 0  \t          1    5.56%
 1  \n          1    5.56%
 3  a           1    5.56%
 4  d           1    5.56%
 5  e           1    5.56%
 6  n           1    5.56%
 7  U+00A0      1    5.56%
 8  ñ           1    5.56%
 9  ú           1    5.56%
10  U+0301      1    5.56%
11  Ё           1    5.56%
12  ж           1    5.56%
13  你          1    5.56%
14  好          1    5.56%
total: 18 characters, 16 distinct
EOF
cmp -s "$work/out" "$work/want" || fail "table differs: $(diff "$work/want" "$work/out")"
end

begin tokenize_ids_keep_the_lines
printf 'ab\n\nba' > "$work/lines.txt"
run tokenize --ids "$work/lines.txt"
expect_status 0
printf '1 2 0\n0\n2 1\n' > "$work/want"
cmp -s "$work/out" "$work/want" || fail "ids: $(cat "$work/out")"
run tokenize --ids "$work/multi.txt"
[ "$(cat "$work/out")" = "8 3 6 4 9 0 11 12 2 13 14 2 15 15 7 5 10 1" ] || fail "multibyte ids: $(cat "$work/out")"
: > "$work/empty.txt"
run tokenize --ids "$work/empty.txt"
expect_status 0
[ -s "$work/out" ] && fail "ids of an empty text: $(cat "$work/out")"
end

begin tokenize_ids_decode_round_trip
run tokenize --from "$work/x.ckpt" --ids $CORPUS
expect_status 0
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
cp "$work/out" "$work/corpus.ids"
[ "$(wc -l < "$work/corpus.ids")" -eq "$(wc -l < $CORPUS)" ] || fail "ids lines differ from text lines"
run tokenize --from "$work/x.ckpt" --decode "$work/corpus.ids"
expect_status 0
cmp -s "$work/out" $CORPUS || fail "decoding the ids did not give back the text"
# the same through pipes, on a multilingual corpus and model, and a text without a final newline
train-charrnn $TINY --steps 1 -o "$work/p.ckpt" corpora/small-proverbs.txt 2>/dev/null
printf '%s' "$(head -n 40 corpora/small-proverbs.txt)" > "$work/part.txt"
tokenize --from "$work/p.ckpt" --ids < "$work/part.txt" | tokenize --from "$work/p.ckpt" --decode > "$work/back.txt"
cmp -s "$work/back.txt" "$work/part.txt" || fail "multilingual round trip differs"
end

begin tokenize_ids_are_the_models
tokenize --ids $CORPUS > "$work/own.ids"
cmp -s "$work/own.ids" "$work/corpus.ids" || fail "ids from the text differ from the checkpoint's"
# the model's ids 1..V-1 decode to the corpus's characters in code-point (UTF-8 byte) order
v=$(tokenize --from "$work/x.ckpt" $CORPUS | sed -n 's/.*vocabulary of \([0-9]*\)$/\1/p')
[ "$v" = 67 ] || fail "vocabulary of ${v:-?}, expected 67"
seq 0 $((v - 1)) | tokenize --from "$work/x.ckpt" --decode > "$work/vocab.txt"
[ "$(head -c 1 "$work/vocab.txt" | od -An -tx1 | tr -d ' ')" = 0a ] || fail "id 0 is not the newline"
tail -c +2 "$work/vocab.txt" | grep -o . > "$work/model-chars"
grep -o . $CORPUS | LC_ALL=C sort -u > "$work/text-chars"
cmp -s "$work/model-chars" "$work/text-chars" || fail "the model's ids are not in code-point order"
if [ $have_python -eq 1 ]; then
    python3 - "$CORPUS" "$work/own.ids" <<'EOF' || fail "ids differ from sorted code points"
import sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
vocab = sorted(set(text))
want = [vocab.index(c) for c in text]
got = [int(w) for w in open(sys.argv[2]).read().split()]
sys.exit(0 if got == want else 1)
EOF
fi
end

begin tokenize_from_reports_unseen_in_table
printf 'Sea \316\251 and \316\251, se\303\261or\n' > "$work/new.txt"
run tokenize --from "$work/x.ckpt" "$work/new.txt"
expect_status 0
[ "$(grep -c '^ *[0-9]' "$work/out")" -eq 67 ] || fail "the table does not list the model's 67 characters"
expect_out "^total: 19 characters, 13 distinct; 3 characters (2 distinct) not in the model's \
vocabulary of 67$"
expect_out "^ *[0-9]*  Z  *0    0.00%$"
tail -n 5 "$work/out" > "$work/tail"
cat > "$work/want" <<EOF

not in the model's vocabulary:
char  count    share  first at
Ω         2   10.53%  $work/new.txt: byte 4, line 1
ñ         1    5.26%  $work/new.txt: byte 17, line 1
EOF
cmp -s "$work/tail" "$work/want" || fail "unseen section differs: $(diff "$work/want" "$work/tail")"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
end

begin tokenize_from_reports_unseen_with_ids
printf 'ok\n' > "$work/first.txt"
run tokenize --from "$work/x.ckpt" --ids "$work/first.txt" "$work/new.txt"
expect_status 0
lacks="is not in the model's vocabulary"
expect_err "^tokenize: $work/new.txt: 'Ω' (U+03A9) at byte 4 (line 1) $lacks (2 times in the text)$"
expect_err "^tokenize: $work/new.txt: 'ñ' (U+00F1) at byte 17 (line 1) $lacks$"
expect_err "^tokenize: 3 characters (2 distinct) are not in the model's vocabulary; their ids are \
written as '?'$"
[ "$(wc -l < "$work/err")" -eq 3 ] || fail "stderr: $(cat "$work/err")"
[ "$(sed -n 2p "$work/out" | tr ' ' '\n' | grep -c '^?$')" -eq 3 ] || fail "ids: $(cat "$work/out")"
[ "$(wc -l < "$work/out")" -eq 2 ] || fail "ids lines: $(cat "$work/out")"
cp "$work/out" "$work/unseen.ids"
run tokenize --from "$work/x.ckpt" --decode "$work/unseen.ids"
expect_status 1
expect_err "^tokenize: $work/unseen.ids: '?' at byte [0-9]* stands for a character the model does not know"
end

begin tokenize_json_valid_and_complete
run tokenize --json "$work/multi.txt"
expect_status 0
cp "$work/out" "$work/multi.json"
expect_out '^{"characters": 18, "distinct": 16, "vocabulary": \[$'
expect_out '^  {"id": 7, "char": "\\u00a0", "codepoint": 160, "count": 1, "share": 0.0555556},$'
expect_out '^  {"id": 15, "char": "😀", "codepoint": 128512, "count": 2, "share": 0.111111}$'
expect_out '^\], "unseen": \[\]}$'
printf 'q"\\\001\t\342\200\250\363\240\200\201\n' > "$work/esc.txt"
tokenize --json "$work/esc.txt" > "$work/esc.json"
run tokenize --from "$work/x.ckpt" --json "$work/new.txt"
expect_status 0
cp "$work/out" "$work/from.json"
expect_out "\"char\": \"Ω\", \"codepoint\": 937, \"count\": 2, \"share\": 0.105263, \
\"file\": \"$work/new.txt\", \"byte\": 4, \"line\": 1}"
tokenize --ids --json "$work/lines.txt" > "$work/ids.json"
printf '{"ids": [1, 2, 0,\n0,\n2, 1], "unseen": []}\n' > "$work/want"
cmp -s "$work/ids.json" "$work/want" || fail "--ids --json: $(cat "$work/ids.json")"
tokenize --from "$work/x.ckpt" --ids --json "$work/new.txt" > "$work/idsfrom.json" 2>/dev/null
if [ $have_python -eq 1 ]; then
    for j in multi esc from ids idsfrom; do
        python3 -m json.tool "$work/$j.json" > /dev/null 2>&1 || fail "$j.json is not valid JSON"
    done
    python3 - "$work" <<'EOF' || fail "JSON content differs from the text"
import json, sys
w = sys.argv[1]
for name, js in (("multi.txt", "multi.json"), ("esc.txt", "esc.json")):
    text = open(f"{w}/{name}", encoding="utf-8", newline="").read()
    d = json.load(open(f"{w}/{js}", encoding="utf-8"))
    chars = sorted(set(text))
    assert d["characters"] == len(text) and d["distinct"] == len(chars), name
    assert [e["char"] for e in d["vocabulary"]] == chars, name
    assert [e["id"] for e in d["vocabulary"]] == list(range(len(chars))), name
    assert all(e["codepoint"] == ord(e["char"]) for e in d["vocabulary"]), name
    assert all(e["count"] == text.count(e["char"]) for e in d["vocabulary"]), name
d = json.load(open(f"{w}/from.json", encoding="utf-8"))
assert len(d["vocabulary"]) == 67 and [u["char"] for u in d["unseen"]] == ["Ω", "ñ"]
d = json.load(open(f"{w}/idsfrom.json", encoding="utf-8"))
assert d["ids"].count(None) == 3 and len(d["ids"]) == 19 and len(d["unseen"]) == 2
EOF
else
    skip tokenize_json_python_checks "python3 missing"
fi
end

begin tokenize_stdin_and_several_files
tokenize "$work/abc.txt" > "$work/a"
tokenize < "$work/abc.txt" > "$work/b"
cmp -s "$work/a" "$work/b" || fail "standard input gave another table"
cat "$work/abc.txt" "$work/multi.txt" | tokenize --ids > "$work/a"
tokenize --ids "$work/abc.txt" - < "$work/multi.txt" > "$work/b"
cmp -s "$work/a" "$work/b" || fail "files were not read one after the other"
printf 'caf\303\251\n' | tokenize --from "$work/x.ckpt" --ids 2> "$work/err" > /dev/null
expect_err "^tokenize: standard input: 'é' (U+00E9) at byte 3 (line 1) is not"
tokenize --from - "$work/abc.txt" < "$work/x.ckpt" > "$work/a"
tokenize --from "$work/x.ckpt" "$work/abc.txt" > "$work/b"
cmp -s "$work/a" "$work/b" || fail "--from - differs"
end

begin tokenize_errors
run tokenize "$work/nope.txt"
expect_status 1
expect_err "^tokenize: $work/nope.txt: No such file or directory$"
printf 'good text\nand then \351t\351 in Latin-1\n' > "$work/latin1.txt"
run tokenize --ids "$work/abc.txt" "$work/latin1.txt"
expect_status 1
expect_err "^tokenize: $work/latin1.txt: invalid UTF-8 at byte 19 (line 2)"
expect_one_line_err
[ -s "$work/out" ] && fail "output before the error: $(cat "$work/out")"
printf '1 2\n99 3\n' > "$work/ids.txt"
run tokenize --from "$work/x.ckpt" --decode "$work/ids.txt"
expect_status 1
expect_err "^tokenize: $work/ids.txt: id 99 at byte 4 is out of range (vocabulary of 67)$"
expect_one_line_err
[ -s "$work/out" ] && fail "text written before the bad id: $(cat "$work/out")"
printf '1 2 x3\n' | tokenize --from "$work/x.ckpt" --decode > /dev/null 2> "$work/err"
expect_err "^tokenize: standard input: 'x3' at byte 4 is not an id (a whole number from 0 to 66)$"
printf '5 -1' | tokenize --from "$work/x.ckpt" --decode > /dev/null 2> "$work/err"
expect_err "'-1' at byte 2 is not an id"
printf '123456789012345678901234567890' | tokenize --from "$work/x.ckpt" --decode > /dev/null 2> "$work/err"
expect_err "id 12345678901234567890\.\.\. at byte 0 is out of range"
size=$(wc -c < "$work/x.ckpt")
head -c $((size / 2)) "$work/x.ckpt" > "$work/half.ckpt"
run tokenize --from "$work/half.ckpt" "$work/abc.txt"
expect_status 1
expect_err "^tokenize: $work/half.ckpt: the checkpoint is truncated"
expect_one_line_err
cp "$work/x.ckpt" "$work/flip.ckpt"
printf 'X' | dd of="$work/flip.ckpt" bs=1 seek=200 conv=notrunc 2>/dev/null
run tokenize --from "$work/flip.ckpt" --ids "$work/abc.txt"
expect_status 1
expect_err "^tokenize: $work/flip.ckpt: chunk [A-Z0-9]* at byte [0-9]* is damaged"
run tokenize --from "$work/abc.txt" "$work/abc.txt"
expect_status 1
expect_err "this is text, not a checkpoint"
run tokenize --from "$work/nope.ckpt" "$work/abc.txt"
expect_status 1
expect_err "^tokenize: $work/nope.ckpt: No such file or directory$"
end

begin tokenize_usage_errors_exit_2
for args in "--decode $work/ids.txt" "--ids --decode --from $work/x.ckpt $work/ids.txt" \
            "--json --decode --from $work/x.ckpt $work/ids.txt" "--from" "--bogus" "-x" \
            "--from - -" "--from -"; do
    run tokenize $args < "$work/abc.txt"
    [ "$st" -eq 2 ] || fail "tokenize $args: status $st, expected 2"
    grep -q "^tokenize: " "$work/err" || fail "tokenize $args: no 'tokenize:' prefix"
    grep -q "^Try 'tokenize --help'.$" "$work/err" || fail "tokenize $args: no hint"
    [ "$(wc -l < "$work/err")" -eq 2 ] || fail "tokenize $args: $(cat "$work/err")"
done
run tokenize --decode "$work/ids.txt"
expect_err "^tokenize: --decode needs --from CKPT"
end

begin tokenize_help_and_version
run tokenize --help
expect_status 0
expect_out "^Usage: tokenize "
expect_out "^  tokenize --from bot.ckpt --ids"
[ -s "$work/err" ] && fail "--help wrote to stderr"
[ "$(wc -l < "$work/out")" -le 48 ] || fail "--help is longer than a screen"
[ "$(awk 'length > 80' "$work/out" | wc -l)" -eq 0 ] || fail "--help is wider than 80 columns"
run tokenize --version
expect_status 0
[ "$(cat "$work/out")" = "tokenize (charrnn) $(sed -n 's/^#define CR_VERSION "\(.*\)"$/\1/p' include/charrnn.h)" ] ||
    fail "version: $(cat "$work/out")"
end

begin tokenize_closed_pipe_is_quiet
for i in 1 2 3 4 5; do cat $CORPUS; done > "$work/big.txt"
for args in "--ids" "--ids --json" ""; do
    { tokenize $args "$work/big.txt" 2> "$work/err"; echo $? > "$work/st"; } | head -n 1 > /dev/null
    [ "$(cat "$work/st")" -eq 0 ] || fail "tokenize $args | head: status $(cat "$work/st")"
    [ -s "$work/err" ] && fail "tokenize $args | head: $(cat "$work/err")"
done
{ tokenize --from "$work/x.ckpt" --decode "$work/corpus.ids" 2> "$work/err"; echo $? > "$work/st"; } |
    head -c 10 > /dev/null
[ "$(cat "$work/st")" -eq 0 ] || fail "--decode | head: status $(cat "$work/st")"
if [ -w /dev/full ]; then
    tokenize --ids "$work/big.txt" > /dev/full 2> "$work/err"
    [ $? -eq 1 ] || fail "writing to /dev/full did not fail"
    expect_err "^tokenize: standard output: write failed: No space left on device$"
fi
end

begin tokenize_man_page
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z docs/tokenize.1 > "$work/groff" 2>&1 || fail "groff failed"
    [ -s "$work/groff" ] && fail "groff warnings: $(head -5 "$work/groff")"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        grep -q "^\.SH \"*$s" docs/tokenize.1 || fail "no $s section"
    done
else
    echo "  (groff missing: the man page is not checked)"
fi
end
