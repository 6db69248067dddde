#!/bin/sh
# Lesson 7: share it, as a web page anyone can open, or as a model for a p5.js sketch. The page
# 07-share.md beside this file explains each step. Run it in the charrnn folder, with the tools
# on your PATH (see lesson 1):
#     sh docs/workshop/07-share.sh
# It uses bot.ckpt from lesson 2 (and trains it first if it is not there), and writes bot.html
# and the folder sketch/models/bot in the folder where it runs.
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

# Step 2: the bot as one web page
dump --html bot.html bot.ckpt
du -h bot.html

# Step 3: a line of the almanac, counted in the almanac and in the page
grep -c "Captain Marrow" corpora/harbour-almanac.txt bot.html

# Step 4: the bot as a model folder for ml5.js, inside a p5.js sketch's folder
dump --ml5 sketch/models/bot bot.ckpt
ls sketch/models/bot
