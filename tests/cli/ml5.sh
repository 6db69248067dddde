# ml5.sh: ml5.js model folders: read by every tool (sample, dump, train-charrnn --resume), written
# by dump --ml5, and refused with clear messages when damaged or when ml5 could not run them.
. tests/cli/lib.sh
models=$SHARED/ml5-models
have_models=0
[ -d "$models/bolano" ] && [ -d "$models/shakespeare" ] && have_models=1
nomodels="../shared/ml5-models missing"
P="ROMEO:
What light is this"  # no u or U: the shakespeare model lacks them (docs/ml5.md)

if [ $have_models = 1 ]; then
    begin ml5_sample_reads_a_folder
    run sample --argmax -n 120 --prime "The meaning of pizza is" "$models/bolano/"
    expect_status 0
    expect_out "^The meaning of pizza is"
    [ "$(wc -m < "$work/out")" -eq 143 ] || fail "expected 23 + 120 characters: $(cat "$work/out")"
    [ -s "$work/err" ] && fail "unexpected messages: $(cat "$work/err")"
    a=$(sample -n 200 --seed 3 "$models/shakespeare")
    b=$(sample -n 200 --seed 3 "$models/shakespeare/")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "the same seed gave different text"
    end

    begin ml5_dump_warns_about_odd_vocabulary
    run dump "$models/shakespeare/"
    expect_status 0
    expect_out "^ml5.js model  *.*shakespeare/ (a folder of 10 files, 1121113 bytes)"
    expect_out "hidden  *128"
    expect_out "import ml5.js CharRNN model folder"
    expect_err "vocab.json byte 515: the key \"  \" (id 13) is not one character"
    expect_err "vocab.json byte 290: the key \"\" (id 40) is not one character"
    [ "$(wc -l < "$work/err")" -eq 2 ] || fail "expected two warnings: $(cat "$work/err")"
    run dump --json "$models/bolano"
    expect_status 0
    expect_out '"format_version": null'
    expect_out '"vocab_size": 116'
    [ -s "$work/err" ] && fail "bolano's vocabulary is clean, yet: $(cat "$work/err")"
    run dump --chunks "$models/bolano"
    expect_status 1
    expect_err "an ml5.js model folder has no chunks"
    end

    begin ml5_train_resume_fine_tunes_a_folder
    # a corpus within the model's vocabulary: the almanac without u, U and non-ASCII
    tr -cd "\n !\$&',.3:;?A-TV-Za-tv-z-" < $CORPUS | head -c 60000 > "$work/corpus.txt"
    run train-charrnn --resume "$models/shakespeare/" -o "$work/ft.ckpt" --steps 2 --quiet \
        --threads 1 "$work/corpus.txt"
    expect_status 0
    run dump --json "$work/ft.ckpt"
    expect_status 0
    expect_out '"steps": 2'
    expect_out "import ml5.js CharRNN model folder"
    expect_out "train-charrnn --resume"
    run sample -n 50 --seed 1 "$work/ft.ckpt"
    expect_status 0
    # a character the model does not know is refused, naming it
    printf 'a much longer text\n' > "$work/bad.txt"
    run train-charrnn --resume "$models/shakespeare/" -o "$work/bad.ckpt" --steps 1 "$work/bad.txt"
    expect_status 1
    expect_err "'u' (U+0075)"
    end

    if grep -q cr_ckpt_is_folder src/tools/train_charrnn.c; then
        begin ml5_train_resume_folder_needs_output
        cp -r "$models/shakespeare" "$work/sh-copy"
        run train-charrnn --resume "$work/sh-copy" --steps 1 "$work/corpus.txt"
        expect_status 2
        expect_err "-o"
        [ -f "$work/sh-copy/manifest.json" ] || fail "the folder was changed"
        end
    else
        skip ml5_train_resume_folder_needs_output "train-charrnn does not yet refuse --resume FOLDER without -o (src/tools/train_charrnn.c)"
    fi

    begin ml5_export_round_trip_of_a_folder
    run dump --ml5 "$work/sh" "$models/shakespeare/"
    expect_status 0
    expect_err "wrote the ml5.js model folder"
    for f in manifest.json vocab.json embedding rnnlm_softmax_w rnnlm_softmax_b \
        rnnlm_multi_rnn_cell_cell_0_basic_lstm_cell_kernel \
        rnnlm_multi_rnn_cell_cell_1_basic_lstm_cell_bias; do
        [ -f "$work/sh/$f" ] || fail "no $f"
    done
    grep -q '"  ": 63,' "$work/sh/vocab.json" || fail "the two-space entry is not kept"
    grep -q '"": 64' "$work/sh/vocab.json" || fail "the empty entry is not kept"
    a=$(sample --argmax -n 300 --prime "$P" "$models/shakespeare")
    b=$(sample --argmax -n 300 --prime "$P" "$work/sh")
    [ "$a" = "$b" ] || fail "the exported folder generates other text"
    end
else
    for t in ml5_sample_reads_a_folder ml5_dump_warns_about_odd_vocabulary \
        ml5_train_resume_fine_tunes_a_folder ml5_train_resume_folder_needs_output \
        ml5_export_round_trip_of_a_folder; do
        skip $t "$nomodels"
    done
fi

begin ml5_export_a_trained_model
train-charrnn --layers 2 --hidden 24 --embed 8 --seq-len 16 --batch 4 --steps 30 \
    --eval-every 10 --threads 1 --quiet -o "$work/m.ckpt" $CORPUS 2>/dev/null
run dump --ml5 "$work/web" "$work/m.ckpt"
expect_status 0
expect_err "wrote the ml5.js model folder .*/web (best weights, from step"
[ -s "$work/out" ] && fail "dump --ml5 wrote to standard output"
a=$(sample --argmax -n 200 --prime "THE FIRST OF MAY." "$work/m.ckpt")
b=$(sample --argmax -n 200 --prime "THE FIRST OF MAY." "$work/web")
[ "$a" = "$b" ] || fail "the exported folder generates other text"
run dump --ml5 "$work/web" --last "$work/m.ckpt"   # again, into the same folder
expect_status 0
expect_err "(latest weights, from step 30)"
run dump "$work/web"
expect_status 0
expect_out "embedding, 8 wide"
end

begin ml5_export_refusals
train-charrnn $TINY --steps 2 -o "$work/one.ckpt" $CORPUS 2>/dev/null
run dump --ml5 "$work/x" "$work/one.ckpt"
expect_status 1
expect_one_line_err
expect_err "ml5.js 0.12.2 runs only two-layer models"
[ -e "$work/x" ] && fail "a folder was left behind"
train-charrnn $TINY --layers 2 --cell gru --steps 2 -o "$work/gru.ckpt" $CORPUS 2>/dev/null
run dump --ml5 "$work/x" "$work/gru.ckpt"
expect_status 1
expect_err "runs only LSTM models, and this one is a gru; train one with --cell lstm"
mkdir "$work/full" && echo keep > "$work/full/notes.txt"
run dump --ml5 "$work/full" "$work/m.ckpt"
expect_status 1
expect_err "the folder holds files and no model"
[ "$(cat "$work/full/notes.txt")" = keep ] || fail "the folder's files were touched"
run dump --ml5 "" "$work/m.ckpt"
expect_status 2
expect_err "the folder name is empty"
run dump --ml5 "$work/y" --json "$work/m.ckpt"
expect_status 2
expect_err "give only one of"
end

begin ml5_import_refusals
mkdir "$work/empty"
run sample "$work/empty"
expect_status 1
expect_one_line_err
expect_err "^sample: .*/empty: a folder, but not an ml5.js model folder: it has no manifest.json$"
cp -r "$work/web" "$work/broken"
: > "$work/broken/rnnlm_softmax_b"
run dump "$work/broken"
expect_status 1
expect_one_line_err
expect_err "rnnlm_softmax_b: 0 bytes, but variable 'rnnlm/softmax_b' has shape \[.*\] in manifest.json"
cp -r "$work/web" "$work/badjson"
printf '{"a": 0,}' > "$work/badjson/vocab.json"
run train-charrnn --resume "$work/badjson" -o "$work/z.ckpt" --steps 1 $CORPUS
expect_status 1
expect_err "vocab.json: a comma before '}' at byte 7"
end
