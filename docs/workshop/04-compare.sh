#!/bin/sh
# Lesson 4: LSTM, GRU and plain RNN, small and large models, each trained for the same minute.
# The page 04-compare.md beside this file explains each step. Run it in the charrnn folder,
# with the tools on your PATH (see lesson 1):
#     sh docs/workshop/04-compare.sh
# It takes five minutes, and writes lstm.ckpt, gru.ckpt, rnn.ckpt, small.ckpt and large.ckpt
# in the folder where it runs.
# WORKSHOP_QUICK=1 (make test sets it, to check the lesson in moments): every training stops
# after half a second (one step at least) instead of the minute shown; the outputs then keep
# their shape, not their numbers.
set -e
if [ "${WORKSHOP_QUICK:-0}" = 1 ]; then
    quick_train() { command train-charrnn "$@" --time 0.5; } # the last --time wins
    alias train-charrnn=quick_train
fi

# Step 1: an LSTM of two layers of 128 (half the width of lesson 2's bot), for one minute
train-charrnn --quiet --time 60 --cell lstm --hidden 128 -o lstm.ckpt corpora/harbour-almanac.txt

# Step 2: a GRU
train-charrnn --quiet --time 60 --cell gru --hidden 128 -o gru.ckpt corpora/harbour-almanac.txt

# Step 3: a plain RNN
train-charrnn --quiet --time 60 --cell rnn --hidden 128 -o rnn.ckpt corpora/harbour-almanac.txt

# Step 4: a small LSTM: one layer of 64
train-charrnn --quiet --time 60 --layers 1 --hidden 64 -o small.ckpt corpora/harbour-almanac.txt

# Step 5: a large LSTM: two layers of 512
train-charrnn --quiet --time 60 --hidden 512 -o large.ckpt corpora/harbour-almanac.txt

# Step 6: what each one is, how far it got, and its best score
for bot in lstm gru rnn small large; do
    echo "== $bot"
    dump $bot.ckpt | grep -E '^  (cell|layers|hidden|parameters|steps|characters seen|best validation) '
done

# Step 7: what each one writes
for bot in lstm gru rnn small large; do
    echo "== $bot"
    sample -n 160 -t 0.7 --seed 1 $bot.ckpt
    echo
done
