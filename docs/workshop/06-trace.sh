#!/bin/sh
# Lesson 6: what did it copy? The page 06-trace.md beside this file explains each step. Run it
# in the charrnn folder, with the tools on your PATH (see lesson 1):
#     sh docs/workshop/06-trace.sh
# It uses bot.ckpt from lesson 2 (and trains it first if it is not there), and writes
# copies.html in the folder where it runs.
# WORKSHOP_QUICK=1 (make test sets it, to check the lesson in moments): every training stops
# after half a second (one step at least) instead of the minutes shown; the outputs then keep
# their shape, not their numbers.
set -e
if [ "${WORKSHOP_QUICK:-0}" = 1 ]; then
    quick_train() { command train-charrnn "$@" --time 0.5; } # the last --time wins
    alias train-charrnn=quick_train
fi

# Step 1: the bot of lesson 2, trained now if you skipped that lesson
test -e bot.ckpt || train-charrnn --quiet --time 120 -o bot.ckpt corpora/harbour-almanac.txt

# Step 2: 600 characters at a low temperature, with the copies marked
sample -n 600 -t 0.5 --seed 1 bot.ckpt | trace corpora/harbour-almanac.txt

# Step 3: the files the bot was trained on
trace --ckpt bot.ckpt

# Step 4: 2000 characters at temperature 0.5: only the summary
sample -n 2000 -t 0.5 --seed 1 bot.ckpt | trace corpora/harbour-almanac.txt | tail -n 4

# Step 5: the same at temperature 1
sample -n 2000 -t 1 --seed 1 bot.ckpt | trace corpora/harbour-almanac.txt | tail -n 4

# Step 6: a page to share, where each copy shows where it came from
sample -n 2000 -t 0.5 --seed 1 bot.ckpt | trace --html copies.html --ckpt bot.ckpt corpora/harbour-almanac.txt

# Step 7: the same 2000 characters, with no copy longer than 20 characters allowed
sample -n 2000 -t 0.5 --seed 1 --novel 20 --corpus corpora/harbour-almanac.txt bot.ckpt | trace corpora/harbour-almanac.txt | tail -n 4
