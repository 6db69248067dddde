# dump.sh: dump's summary, JSON, history, SVG, statistics, tensors and chunks, and its errors.
. tests/cli/lib.sh
train-charrnn $TINY --steps 12 --eval-every 4 -o "$work/x.ckpt" $CORPUS 2>/dev/null
have_python=0
command -v python3 > /dev/null 2>&1 && have_python=1

# value KEY FILE: what the summary in FILE says after the label KEY.
value() { sed -n "s/^ *$1  *//p" "$2" | head -n 1; }
# The vocabulary size, counted independently of charrnn when python3 is there.
if [ $have_python -eq 1 ]; then
    V=$(python3 -c 'import sys; print(len(set(open(sys.argv[1], encoding="utf-8").read())))' $CORPUS)
else
    V=$(dump "$work/x.ckpt" | sed -n 's/^  vocabulary  *\([0-9]*\) characters$/\1/p')
fi

begin dump_summary_model_progress_lineage
run dump "$work/x.ckpt"
expect_status 0
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
cp "$work/out" "$work/summary"
[ "$(value cell "$work/summary")" = lstm ] || fail "cell: $(value cell "$work/summary")"
[ "$(value layers "$work/summary")" = 1 ] || fail "layers"
[ "$(value hidden "$work/summary")" = 16 ] || fail "hidden"
[ "$(value input "$work/summary")" = "one-hot, $V wide" ] || fail "input: $(value input "$work/summary")"
[ "$(value vocabulary "$work/summary")" = "$V characters" ] || fail "vocabulary, expected $V"
# LSTM, one layer of H = 16, one-hot input of V: Wx (V, 4H), Wh (H, 4H), b (4H), out.W (H, V), out.b (V)
[ "$(value parameters "$work/summary")" = $((V * 64 + 16 * 64 + 64 + 16 * V + V)) ] ||
    fail "parameters: $(value parameters "$work/summary")"
[ "$(value steps "$work/summary")" = 12 ] || fail "steps: $(value steps "$work/summary")"
[ "$(value 'characters seen' "$work/summary")" = $((12 * 16 * 4)) ] || fail "characters seen"
[ "$(value seq-len "$work/summary")" = 16 ] || fail "seq-len"
[ "$(value batch "$work/summary")" = 4 ] || fail "batch"
value optimizer "$work/summary" | grep -q '^adam' || fail "optimizer"
value 'training time' "$work/summary" | grep -q '^[0-9]*:[0-5][0-9]:[0-5][0-9]$' || fail "training time"
value 'best validation' "$work/summary" | grep -q '^[0-9.]* nats/char ([0-9.]* bits/char) at step 12$' ||
    fail "best validation: $(value 'best validation' "$work/summary")"
expect_out '^  characters  *"\\n '
[ "$(value source "$work/summary")" = "$CORPUS ($(wc -c < $CORPUS) bytes)" ] ||
    fail "source: $(value source "$work/summary")"
[ "$(value sha256 "$work/summary")" = "$(sha256sum < $CORPUS | cut -c1-64)" ] || fail "sha256"
value command "$work/summary" | grep -q -- "--steps 12 --eval-every 4" || fail "command line"
[ "$(value plan "$work/summary")" = "12 steps from step 0, 100% done; the rate falls to 0 over its last 30%" ] ||
    fail "plan: $(value plan "$work/summary")"
expect_out "^loss (nats per character) against characters seen"
expect_out "characters seen$"
end

begin dump_json_parses_and_agrees
run dump --json "$work/x.ckpt"
expect_status 0
if [ $have_python -eq 1 ]; then
    python3 -m json.tool "$work/out" > /dev/null 2>&1 || fail "not valid JSON"
    got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
m, p, s = j["model"], j["progress"], j["lineage"][0]["sources"][0]
print(m["cell"], m["hidden"], m["vocab_size"], m["parameters"], p["steps"], p["chars"],
      p["best_step"], len(j["history"]), len(j["vocabulary"]["characters"]), s["name"], s["sha256"],
      "%.4f" % p["best_val_loss"], p["plan"]["steps"], p["plan"]["anneal"], p["plan"]["done"])' \
      "$work/out")
    best=$(value 'best validation' "$work/summary" | cut -d' ' -f1)
    want="lstm 16 $V $(value parameters "$work/summary") 12 768 12 3 $V $CORPUS $(value sha256 "$work/summary") $best 12 0.3 1"
    [ "$got" = "$want" ] || fail "JSON says '$got', expected '$want'"
else
    skip dump_json_python "python3 missing: the JSON was not parsed"
    expect_out '"steps": 12,'
fi
end

begin dump_history_table
run dump --history "$work/x.ckpt"
expect_status 0
[ "$(head -n 1 "$work/out")" = "$(printf 'step\tchars\ttrain_loss\tval_loss\tchars_per_s\twall_s')" ] ||
    fail "header: $(head -n 1 "$work/out")"
[ "$(wc -l < "$work/out")" -eq 4 ] || fail "expected a header and 3 rows: $(cat "$work/out")"
[ "$(sed 1d "$work/out" | cut -f1 | tr '\n' ' ')" = "4 8 12 " ] || fail "steps are not 4 8 12"
[ "$(sed 1d "$work/out" | cut -f2 | tr '\n' ' ')" = "256 512 768 " ] || fail "characters seen"
awk -F '\t' 'NR > 1 && (NF != 6 || $3 <= 0 || $4 <= 0 || $4 > 10) { exit 1 }' "$work/out" ||
    fail "implausible rows: $(cat "$work/out")"
end

begin dump_svg_is_a_chart
run dump --svg "$work/x.ckpt"
expect_status 0
cp "$work/out" "$work/chart.svg"
if [ $have_python -eq 1 ]; then
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$work/chart.svg" \
        2>"$work/err" || fail "not well-formed XML: $(cat "$work/err")"
fi
expect_out "^<svg xmlns=\"http://www.w3.org/2000/svg\""
[ "$(tail -n 1 "$work/chart.svg")" = "</svg>" ] || fail "does not end with </svg>"
[ "$(grep -c '<polyline' "$work/chart.svg")" -eq 2 ] || fail "expected two curves"
expect_out 'id="legend"'
expect_out '>training</text>'
expect_out '>validation</text>'
expect_out '>characters seen</text>'
expect_out '>loss (nats per character)</text>'
expect_out 'x.ckpt: training and validation loss'
end

begin dump_stats_lists_every_tensor
run dump --stats "$work/x.ckpt"
expect_status 0
expect_out "^best weights, from step 12"
for t in "l0.Wx *($V, 64)" "l0.Wh *(16, 64)" "l0.b *(64)" "out.W *(16, $V)" "out.b *($V)"; do
    expect_out "^$t "
done
[ "$(grep -cE '^(l[0-9]+|out)\.' "$work/out")" -eq 5 ] || fail "expected 5 tensors"
# the last five numbers before the histogram: mean std min max norm, with min <= mean <= max
awk 'NR > 2 { sub(/ *\|.*$/, ""); n = NF
              if (!($(n-2) <= $(n-4) && $(n-4) <= $(n-1) && $(n-3) > 0 && $n > 0)) bad = 1 }
     END { exit bad }' "$work/out" || fail "implausible numbers: $(cat "$work/out")"
cp "$work/out" "$work/stats"
run dump --stats --last "$work/x.ckpt"
expect_status 0
expect_out "^latest weights, from step 12"
end

begin dump_tensor_values_agree_with_stats
run dump --tensor out.b "$work/x.ckpt"
expect_status 0
expect_out "^# out.b ($V): best weights, from step 12$"
[ "$(grep -vc '^#' "$work/out")" -eq "$V" ] || fail "expected $V values"
mean=$(awk '$1 == "out.b" { print $3 }' "$work/stats")
awk -v m="$mean" '!/^#/ { s += $1; n++ } END { d = s / n - m; if (d < 0) d = -d; a = m < 0 ? -m : m;
                  exit !(d <= 1e-3 * a + 1e-9) }' "$work/out" || fail "the mean differs from --stats' $mean"
run dump --tensor l0.Wx "$work/x.ckpt"
expect_status 0
[ "$(grep -vc '^#' "$work/out")" -eq "$V" ] || fail "expected $V rows"
awk -F '\t' '!/^#/ && NF != 64 { exit 1 }' "$work/out" || fail "rows are not 64 wide"
run dump --tensor nope "$work/x.ckpt"
expect_status 1
expect_err "^dump: $work/x.ckpt: no tensor named 'nope'; the tensors are l0.Wx, l0.Wh, l0.b, out.W, out.b$"
expect_one_line_err
end

begin dump_chunks_cover_the_file
run dump --chunks "$work/x.ckpt"
expect_status 0
[ "$(sed -n 2p "$work/out" | awk '{ print $1, $2 }')" = "HEAD 12" ] || fail "HEAD is not first, at 12"
[ "$(tail -n 1 "$work/out" | awk '{ print $1, $3 }')" = "IEND 0" ] || fail "IEND is not last"
for tag in VOCB WLST WBST OPT1 OPT2 CARY STAT HIST LINE; do expect_out "^$tag "; done
# each chunk starts where the previous one ended (12 bytes of framing), the last at the end
awk -v size="$(wc -c < "$work/x.ckpt")" '
    NR == 1 { next_at = 12 }
    NR > 1 { if ($2 != next_at || length($4) != 8 || $4 ~ /[^0-9a-f]/) bad = 1; next_at = $2 + 12 + $3 }
    END { exit bad || next_at != size }' "$work/out" || fail "offsets do not follow each other to the end: $(cat "$work/out")"
end

begin dump_reads_standard_input
dump "$work/x.ckpt" | sed 1d > "$work/a"
cat "$work/x.ckpt" | dump | sed 1d > "$work/b"
cmp -s "$work/a" "$work/b" || fail "standard input gave another summary"
cat "$work/x.ckpt" | dump - | head -n 1 | grep -q "^checkpoint  *standard input" || fail "not named"
cat "$work/x.ckpt" | dump --json > "$work/j" || fail "--json from a pipe"
grep -q '"file": "-"' "$work/j" || fail "--json names standard input otherwise"
if command -v script > /dev/null 2>&1; then
    script -qec "dump" /dev/null > "$work/out" 2>&1
    grep -q "no checkpoint: give CKPT" "$work/out" || fail "a terminal on stdin: $(cat "$work/out")"
fi
end

begin dump_damaged_checkpoints_one_line
size=$(wc -c < "$work/x.ckpt")
head -c $((size / 2)) "$work/x.ckpt" > "$work/half.ckpt"
for opt in "" --json --stats --chunks; do
    run dump $opt "$work/half.ckpt"
    expect_status 1
    expect_err "^dump: $work/half.ckpt: the checkpoint is truncated: chunk [A-Z0-9]* at byte [0-9]*"
    expect_one_line_err
    [ -s "$work/out" ] && fail "dump $opt wrote output for a damaged file"
done
cp "$work/x.ckpt" "$work/flip.ckpt"
printf 'X' | dd of="$work/flip.ckpt" bs=1 seek=300 conv=notrunc 2>/dev/null
run dump "$work/flip.ckpt"
expect_status 1
expect_err "^dump: $work/flip.ckpt: chunk [A-Z0-9]* at byte [0-9]* is damaged"
expect_one_line_err
printf 'hello world' > "$work/text.ckpt"
run dump "$work/text.ckpt"
expect_status 1
expect_err "this is text, not a checkpoint"
run dump "$work/missing.ckpt"
expect_status 1
expect_err "^dump: $work/missing.ckpt: No such file or directory$"
run dump < /dev/null
expect_status 1
expect_err "^dump: standard input: empty input"
end

begin dump_gru_rnn_and_embedding_models
train-charrnn $TINY --cell gru --layers 2 --embed 8 --steps 3 -o "$work/g.ckpt" $CORPUS 2>/dev/null
train-charrnn $TINY --cell rnn --optimizer sgd --val-frac 0 --steps 3 -o "$work/r.ckpt" $CORPUS 2>/dev/null
for f in g r; do
    for opt in "" --json --history --svg --stats --chunks; do
        run dump $opt "$work/$f.ckpt"
        [ "$st" -eq 0 ] || fail "dump $opt $f.ckpt: status $st: $(cat "$work/err")"
    done
done
dump "$work/g.ckpt" > "$work/out"
[ "$(value cell "$work/out")" = gru ] || fail "gru cell"
[ "$(value input "$work/out")" = "embedding, 8 wide" ] || fail "gru input: $(value input "$work/out")"
# embed (V, 8); per layer Wx (in, 3H), Wh (H, 3H), b (3H), bhn (H); out.W (H, V), out.b (V)
gru_params=$((V * 8 + (8 * 48 + 16 * 48 + 48 + 16) + (16 * 48 * 2 + 48 + 16) + 16 * V + V))
[ "$(value parameters "$work/out")" = $gru_params ] ||
    fail "gru parameters: $(value parameters "$work/out")"
dump --stats "$work/g.ckpt" | grep -q "^l1.bhn *(16) " || fail "no l1.bhn in --stats"
dump --stats "$work/g.ckpt" | grep -q "^embed *($V, 8) " || fail "no embed in --stats"
dump "$work/r.ckpt" > "$work/out"
[ "$(value parameters "$work/out")" = $((V * 16 + 16 * 16 + 16 + 17 * V)) ] || fail "rnn parameters"
[ "$(value 'best validation' "$work/out")" = "none (no validation split)" ] || fail "no validation"
value optimizer "$work/out" | grep -q '^sgd (momentum' || fail "sgd"
dump --stats "$work/r.ckpt" | grep -q "^latest weights" || fail "--stats without best weights"
run dump --stats --best "$work/r.ckpt"
expect_status 1
expect_err "no best weights"
if [ $have_python -eq 1 ]; then
    dump --json "$work/r.ckpt" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["progress"]["best_val_loss"] is None and j["history"][-1]["val_loss"] is None' ||
        fail "NaN is not null in the JSON"
fi
end

begin dump_untrained_checkpoint
# HEAD, VOCB, WLST and IEND alone make a valid checkpoint with no progress, history or lineage
dump --chunks "$work/x.ckpt" | awk '$1 ~ /^(HEAD|VOCB|WLST|IEND)$/ { print $2, $3 }' |
    { head -c 12 "$work/x.ckpt"
      while read -r at len; do tail -c +$((at + 1)) "$work/x.ckpt" | head -c $((len + 12)); done
    } > "$work/bare.ckpt"
run dump "$work/bare.ckpt"
expect_status 0
expect_out "^loss  *no history yet"
[ "$(value steps "$work/out")" = 0 ] || fail "steps"
[ "$(value weights "$work/out")" = "latest only" ] || fail "weights"
run dump --history "$work/bare.ckpt"
expect_status 0
[ "$(wc -l < "$work/out")" -eq 1 ] || fail "expected the header alone"
run dump --svg "$work/bare.ckpt"
expect_status 0
expect_out "no history yet"
expect_out "^</svg>$"
run dump --json "$work/bare.ckpt"
expect_status 0
if [ $have_python -eq 1 ]; then
    python3 -m json.tool "$work/out" > /dev/null 2>&1 || fail "not valid JSON"
fi
expect_out '"history": \[\]'
expect_out '"best_val_loss": null'
end

begin dump_plain_ascii_outside_utf8
train-charrnn $TINY --steps 4 -o "$work/p.ckpt" corpora/small-proverbs.txt 2>/dev/null
LC_ALL=C LANG= LC_CTYPE= dump "$work/p.ckpt" > "$work/out"
[ "$(LC_ALL=C tr -d '\000-\177' < "$work/out" | wc -c)" -eq 0 ] || fail "non-ASCII bytes in the C locale"
grep -q '\\u0411' "$work/out" || fail "'Б' is not escaped in the C locale"
dump "$work/p.ckpt" > "$work/out"
grep -q 'Б' "$work/out" || fail "'Б' is escaped in a UTF-8 locale"
grep -q '┤' "$work/out" || fail "no Unicode lines in a UTF-8 locale"
LC_ALL=C LANG= LC_CTYPE= dump --stats "$work/p.ckpt" > "$work/out"
[ "$(LC_ALL=C tr -d '\000-\177' < "$work/out" | wc -c)" -eq 0 ] || fail "non-ASCII --stats in the C locale"
end

begin dump_usage_errors
for args in "--json --svg" "--stats --chunks" "--best --last --stats" "--best" "--last --json" \
            "--tensor" "--tensor=" "--bogus" "-x" "a.ckpt b.ckpt"; do
    run dump $args
    [ "$st" -eq 2 ] || fail "dump $args: status $st, expected 2"
    grep -q "^dump: " "$work/err" || fail "dump $args: no 'dump:' prefix"
    grep -q "^Try 'dump --help'.$" "$work/err" || fail "dump $args: no hint"
    [ "$(wc -l < "$work/err")" -eq 2 ] || fail "dump $args: $(cat "$work/err")"
done
run dump --help
expect_status 0
expect_out "^Usage: dump"
[ "$(wc -l < "$work/out")" -le 48 ] || fail "--help is longer than a screen"
run dump --version
expect_status 0
version=$(sed -n 's/^#define CR_VERSION "\(.*\)"$/\1/p' include/charrnn.h)
[ "$(cat "$work/out")" = "dump (charrnn) $version" ] || fail "--version: $(cat "$work/out")"
end

begin dump_closed_pipe_is_quiet
train-charrnn $TINY --hidden 128 --steps 1 -o "$work/big.ckpt" $CORPUS 2>/dev/null
for opt in "--tensor l0.Wh" "--stats" "--json" ""; do
    { dump $opt "$work/big.ckpt" 2>"$work/err"; echo $? > "$work/st"; } | head -c 10 > /dev/null
    [ "$(cat "$work/st")" -eq 0 ] || fail "dump $opt: status $(cat "$work/st") on a closed pipe"
    [ -s "$work/err" ] && fail "dump $opt: messages on a closed pipe: $(cat "$work/err")"
done
if [ -w /dev/full ]; then
    run sh -c "dump --tensor l0.Wh '$work/big.ckpt' > /dev/full"
    expect_status 1
    expect_err "^dump: standard output: write failed"
fi
end
