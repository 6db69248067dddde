#!/bin/sh
# Lesson 3: temperature and priming. The page 03-temperature.md beside this file explains each
# step. Run it in the charrnn folder, with the tools on your PATH (see lesson 1):
#     sh docs/workshop/03-temperature.sh
# It uses bot.ckpt from lesson 2, and trains it first if it is not there.
# WORKSHOP_QUICK=1 (make test sets it, to check the lesson in moments): every training stops
# after half a second (one step at least) instead of the minutes shown; the outputs then keep
# their shape, not their quality.
set -e
if [ "${WORKSHOP_QUICK:-0}" = 1 ]; then
    quick_train() { command train-charrnn "$@" --time 0.5; } # the last --time wins
    alias train-charrnn=quick_train
fi

# Step 1: the bot of lesson 2, trained now if you skipped that lesson
test -e bot.ckpt || train-charrnn --quiet --time 120 -o bot.ckpt corpora/harbour-almanac.txt

# Step 2: a low temperature: safe, and soon repetitive
sample -n 300 -t 0.3 --seed 1 bot.ckpt

# Step 3: temperature 1: the bot's own odds
sample -n 300 -t 1 --seed 1 bot.ckpt

# Step 4: a high temperature: wild
sample -n 300 -t 1.6 --seed 1 bot.ckpt

# Step 5: priming: the bot continues your words
sample -n 250 -t 0.7 --seed 1 --prime "THE FIRST OF MAY." bot.ckpt

# Step 6: the same prime with another seed
sample -n 250 -t 0.7 --seed 2 --prime "THE FIRST OF MAY." bot.ckpt

# Step 7: a prime the almanac never saw
sample -n 250 -t 0.7 --seed 1 --prime "THE FIRST OF NEVEREMBER. Says the Admiral:" bot.ckpt
