#!/bin/sh
# Lesson 5: talk with the bot, and write with it. The page 05-talk.md beside this file explains
# each step. Run it in the charrnn folder, with the tools on your PATH (see lesson 1):
#     sh docs/workshop/05-talk.sh
# It uses bot.ckpt from lesson 2 (and trains it first if it is not there), and writes talk.txt
# and poem.txt in the folder where it runs. On a terminal, type the commands without the
# `printf ... |` before them, and talk or choose yourself.
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

# Step 2: three lines said to the bot, which answers each as Old Nettle
printf 'Is the tide high?\nWill the herring come?\nWhat of the Admiral?\n' |
    sample --chat --bot "Says Old Nettle: " -t 0.6 --seed 1 --transcript talk.txt bot.ckpt

# Step 3: the conversation, as saved
cat talk.txt

# Step 4: writing with the bot: three words to choose from at each step
printf '1\n2\n\nThe tide\n3\n1\n2\n' |
    sample --choose 3 --prime "THE FIRST OF MAY." -t 0.7 --seed 1 bot.ckpt > poem.txt

# Step 5: the text written together
cat poem.txt
