#!/bin/sh
# Lesson 1: prepare your corpus. The page 01-prepare.md beside this file explains each step.
# Run it in the charrnn folder, with the tools on your PATH (the page says how):
#     sh docs/workshop/01-prepare.sh
# It writes almanac.txt, page.txt and page-ascii.txt in the folder where it runs.
# WORKSHOP_QUICK=1, which make test sets for every lesson, changes nothing in this one: it
# trains no model, so it is quick already.
set -e

# Step 1: tidy the almanac, and see what changed
clean --report corpora/harbour-almanac.txt > almanac.txt

# Step 2: a messier text, a web page saved from a browser
clean --html --report docs/workshop/harbour-page.html > page.txt

# Step 3: what is left of the page
cat page.txt

# Step 4: fewer distinct characters with --ascii
clean --html --ascii --report docs/workshop/harbour-page.html > page-ascii.txt

# Step 5: the characters the model will know, most frequent first
tokenize almanac.txt | head -n 12

# Step 6: and the rarest
tokenize almanac.txt | tail -n 8

# Step 7: the first two lines, as the model sees them: one number per character
head -n 2 almanac.txt
tokenize --ids almanac.txt | head -n 2
