#!/bin/sh
# Lesson 2: train a first bot in two minutes. The page 02-train.md beside this file explains
# each step. Run it in the charrnn folder, with the tools on your PATH (see lesson 1):
#     sh docs/workshop/02-train.sh
# It writes bot.ckpt and long.ckpt in the folder where it runs.
# WORKSHOP_QUICK=1 (make test sets it, to check the lesson in moments): every training stops
# after half a second (one step at least) instead of the minutes shown; the outputs then keep
# their shape, not their numbers.
set -e
if [ "${WORKSHOP_QUICK:-0}" = 1 ]; then
    quick_train() { command train-charrnn "$@" --time 0.5; } # the last --time wins
    alias train-charrnn=quick_train
fi

# Step 1: two minutes of training
train-charrnn --time 120 -o bot.ckpt corpora/harbour-almanac.txt

# Step 2: the scores the checkpoint keeps
dump bot.ckpt | grep validation

# Step 3: the loss curve, drawn with characters
dump bot.ckpt | tail -n 16

# Step 4: the bot's first words
sample -n 300 -t 0.7 --seed 1 bot.ckpt

# Step 5: two more minutes, into another file: when does it learn the text by heart?
train-charrnn --resume bot.ckpt --time 120 -o long.ckpt corpora/harbour-almanac.txt
