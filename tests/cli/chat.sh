# chat.sh: sample --chat and --choose N, through pipes and through a real terminal (tmux).
. tests/cli/lib.sh
# a small bot that has learnt a little: words, and answers that depend on what was said (every
# setting given, so that the recipe's choices cannot change the bot these tests were written for)
train-charrnn --hidden 48 --layers 1 --seq-len 32 --batch 8 --threads 1 --quiet --steps 300 \
    --lr 0.01 --dropout 0.3 --warmup 40 --weight-decay 0 --precision fp32 -o "$work/m.ckpt" $CORPUS 2>/dev/null

# the bytes of a file after its first n bytes
after() { tail -c +"$(($2 + 1))" "$1"; }

begin chat_one_answer_per_line_same_seed_same_talk
printf 'Good morning\nWhat of the tide?\n\nAnd the boats\n' > "$work/in"
run sample --chat --seed 4 -t 0.8 "$work/m.ckpt" < "$work/in"
expect_status 0
[ "$(wc -l < "$work/out")" -eq 4 ] || fail "4 lines in, $(wc -l < "$work/out") answers out"
[ -s "$work/err" ] && fail "messages in a pipe: $(cat "$work/err")"
cp "$work/out" "$work/a"
sample --chat --seed 4 -t 0.8 "$work/m.ckpt" < "$work/in" > "$work/b" 2>/dev/null
sample --chat --seed 5 -t 0.8 "$work/m.ckpt" < "$work/in" > "$work/c" 2>/dev/null
cmp -s "$work/a" "$work/b" || fail "the same seed gave another conversation"
cmp -s "$work/a" "$work/c" && fail "another seed gave the same conversation"
end

begin chat_answer_is_what_sample_continues
# The first answer is what plain sampling continues after the line and a newline, with the same
# seed; the second (with --argmax) continues the whole conversation: the state carried over.
printf 'Good morning\n' > "$work/p1"
sample --seed 4 --prime-file "$work/p1" --stop '
' "$work/m.ckpt" > "$work/plain" 2>/dev/null
after "$work/plain" 13 | head -n 1 > "$work/want"
printf 'Good morning\nWhat of the tide?\n' | sample --chat --seed 4 "$work/m.ckpt" > "$work/talk" 2>/dev/null
head -n 1 "$work/talk" > "$work/got"
cmp -s "$work/want" "$work/got" || fail "first answer '$(cat "$work/got")', plain sampling '$(cat "$work/want")'"
for first in "Good morning" "THE FIRST" "and the"; do
    printf '%s\nWIND\n' "$first" | sample --chat --argmax -n 60 "$work/m.ckpt" > "$work/talk" 2>/dev/null
    { printf '%s\n' "$first"; head -n 1 "$work/talk"; printf 'WIND\n'; } > "$work/p2"
    sample --argmax -n 60 --prime-file "$work/p2" --stop '
' "$work/m.ckpt" > "$work/plain" 2>/dev/null
    want=$(after "$work/plain" "$(wc -c < "$work/p2")" | head -n 1)
    got=$(sed -n 2p "$work/talk")
    [ "$got" = "$want" ] || fail "after '$first', second answer '$got', the conversation continued '$want'"
    echo "$got" >> "$work/seconds"
done
[ "$(sort -u "$work/seconds" | wc -l)" -ge 2 ] || fail "the answer to WIND never depended on what was said before"
end

begin chat_line_ends_before_an_answer_are_a_pause
# a corpus of paragraphs: after a line, the bot's likeliest next character is the blank line
for i in $(seq 300); do printf 'ab\n\n'; done > "$work/para.txt"
train-charrnn --quiet --steps 150 --hidden 16 --batch 4 --seq-len 16 --threads 1 \
    -o "$work/para.ckpt" "$work/para.txt" 2> /dev/null
printf 'ab\nab\n' | sample --chat --argmax "$work/para.ckpt" > "$work/out" 2> "$work/err"
[ "$(cat "$work/out")" = "$(printf 'ab\nab')" ] || fail "answers: $(od -c "$work/out" | head -3)"
end

begin chat_novel_answers_copy_no_more_than_n
printf 'The wind\nThe harbour\nA boat\nThe tide\nMrs. Pask\n' > "$work/lines.txt"
sample --chat --seed 1 -t 0.5 "$work/m.ckpt" < "$work/lines.txt" > "$work/free.txt" 2> /dev/null
trace --min 6 $CORPUS < "$work/free.txt" | grep -q "^copied: " || fail "the bot copies nothing anyway"
run sample --chat --seed 1 -t 0.5 --novel 5 --corpus $CORPUS "$work/m.ckpt" < "$work/lines.txt"
expect_status 0
[ "$(wc -l < "$work/out")" -eq 5 ] || fail "not one answer per line: $(cat "$work/out")"
# each answer alone: in the file they touch, which would join one's end to the next's start
while IFS= read -r answer; do
    printf '%s\n' "$answer" | trace --min 6 $CORPUS > "$work/traced"
    grep -q "^nothing copied" "$work/traced" || fail "a --novel 5 answer copies: $(cat "$work/traced")"
done < "$work/out"
expect_err "^sample: --novel 5: drew again [0-9]* times so that no answer copies more than 5"
end

begin chat_you_and_bot_frame_each_turn
printf 'Q: Good morning\nA: ' > "$work/p1"
sample --seed 6 --prime-file "$work/p1" --stop '
' "$work/m.ckpt" > "$work/plain" 2>/dev/null
after "$work/plain" "$(wc -c < "$work/p1")" | head -n 1 > "$work/want"
printf 'Good morning\n' | sample --chat --you "Q: " --bot "A: " --seed 6 "$work/m.ckpt" > "$work/got" 2>/dev/null
cmp -s "$work/want" "$work/got" || fail "answer '$(cat "$work/got")', after 'Q: ... A: ' '$(cat "$work/want")'"
end

begin chat_stop_and_length_end_an_answer
printf 'one\ntwo\nthree\nfour\n' | sample --chat -n 7 --seed 1 "$work/m.ckpt" > "$work/out" 2>/dev/null
[ "$(wc -l < "$work/out")" -eq 4 ] || fail "expected 4 answers"
awk 'length > 7 { bad = 1 } END { exit bad }' "$work/out" || fail "an answer longer than -n 7: $(cat "$work/out")"
printf 'one\ntwo\nthree\nfour\n' | sample --chat --stop e --seed 1 "$work/m.ckpt" > "$work/out" 2>/dev/null
[ "$(wc -l < "$work/out")" -eq 4 ] || fail "expected 4 answers with --stop"
grep -q 'e.' "$work/out" && fail "an answer went on after --stop e: $(cat "$work/out")"
end

begin chat_transcript_holds_the_conversation
printf 'Good morning\nWhat of the tide?\n' |
    sample --chat --you "Q: " --bot "A: " --seed 2 --transcript "$work/t.txt" "$work/m.ckpt" > "$work/out" 2>"$work/err"
[ -s "$work/err" ] && fail "messages: $(cat "$work/err")"
{ printf 'Q: Good morning\nA: '; sed -n 1p "$work/out"; printf 'Q: What of the tide?\nA: '; sed -n 2p "$work/out"; } > "$work/want"
cmp -s "$work/want" "$work/t.txt" || fail "transcript: $(cat "$work/t.txt")"
ls "$work" | grep -q 'tmp-' && fail "a temporary file was left"
# without --you and --bot: the person's lines shown after "> "
printf 'hello\n' | sample --chat --seed 2 --transcript "$work/t2.txt" "$work/m.ckpt" > "$work/out" 2>/dev/null
{ printf '> hello\n'; cat "$work/out"; } > "$work/want"
cmp -s "$work/want" "$work/t2.txt" || fail "transcript: $(cat "$work/t2.txt")"
# a FIFO is written in place, never replaced
mkfifo "$work/fifo"
cat "$work/fifo" > "$work/from-fifo" &
reader=$!
printf 'hello\n' | sample --chat --seed 2 --transcript "$work/fifo" "$work/m.ckpt" > /dev/null 2>&1
wait $reader
cmp -s "$work/want" "$work/from-fifo" || fail "through a FIFO: $(cat "$work/from-fifo")"
[ -p "$work/fifo" ] || fail "the FIFO was replaced"
end

begin chat_unknown_characters_and_a_full_disk_lose_nothing
# a transcript that cannot be written (a link to /dev/full, a full disk): a warning after each
# answer, the talk goes on, and the end says so
ln -s /dev/full "$work/full"
printf 'hi \316\251\n\316\251 again \377\n' |
    sample --chat --seed 1 --transcript "$work/full" "$work/m.ckpt" > "$work/out" 2>"$work/err"
st=$?
expect_status 1
[ "$(wc -l < "$work/out")" -eq 2 ] || fail "expected 2 answers: $(cat "$work/out")"
[ "$(grep -c "U+03A9" "$work/err")" -eq 1 ] || fail "the unknown character not reported once: $(cat "$work/err")"
expect_err "standard input: bytes that are not UTF-8 were skipped"
[ "$(grep -c "could not be saved (write failed: No space left on device); it will be tried again" "$work/err")" -eq 2 ] ||
    fail "no warning after each answer: $(cat "$work/err")"
expect_err "^sample: $work/full: the transcript could not be saved (write failed: No space left on device)$"
end

# wait_for FILE PATTERN [COUNT]: polls up to 20 s for COUNT lines of FILE matching PATTERN
wait_for() {
    i=0
    while [ $i -lt 200 ]; do
        k=$(grep -c -- "$2" "$1" 2>/dev/null)
        [ "${k:-0}" -ge "${3:-1}" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

begin chat_killed_keeps_every_finished_turn
mkfifo "$work/talk.in"
# (files of its own: the redirections wait for the FIFO to open, and must not find old ones)
sample --chat --seed 3 --transcript "$work/kept.txt" "$work/m.ckpt" < "$work/talk.in" > "$work/k.out" 2>"$work/k.err" &
pid=$!
exec 3> "$work/talk.in"
printf 'Good morning\n' >&3
wait_for "$work/k.out" '' 1 || fail "no answer within 20 s"
wait_for "$work/kept.txt" '' 2 || fail "the transcript was not saved after the first answer"
kill -TERM $pid
wait $pid
st=$?
exec 3>&-
expect_status 143
head -n 1 "$work/kept.txt" | grep -qx '> Good morning' || fail "transcript: $(cat "$work/kept.txt")"
end

begin chat_usage_errors
run sample --chat < "$work/m.ckpt"
expect_status 2
expect_err "give it as a file"
run sample --you "Q: " "$work/m.ckpt"
expect_status 2
expect_err "--you goes with --chat"
run sample --chat --choose 3 "$work/m.ckpt"
expect_status 2
expect_err "not both"
run sample --choose 10 "$work/m.ckpt"
expect_status 2
expect_err "choose: 10 is out of range (1 to 9)"
run sample --choose 3 --stop . "$work/m.ckpt"
expect_status 2
expect_err "--stop goes with"
run sample --chat --prime-file - "$work/m.ckpt"
expect_status 2
run sample --choose 3 --novel 20 --corpus $CORPUS "$work/m.ckpt"
expect_status 2
expect_err "^sample: --novel does not go with --choose yet"
run sample --choose 3 -t 0.5,1 "$work/m.ckpt"
expect_status 2
expect_err "^sample: --choose takes one value of --temperature, not a list$"
run sample --chat --transcript "$work/no/such/folder/t.txt" "$work/m.ckpt" < /dev/null
expect_status 1
expect_err "t.txt"
expect_one_line_err
end

# The candidates of the first step shown on stderr, one per line, ↵ back to a line break.
candidates() { sed -n 's/^  1 "//p' "$1" | head -n 1 | sed 's/"  [2-9] "/\n/g; s/"$//' | sed 's/↵/\n/g'; }

begin choose_numbers_take_the_words_shown
printf '2\n' | sample --choose 3 --seed 8 --prime "The sea" "$work/m.ckpt" > "$work/out" 2>"$work/err"
st=$?
expect_status 0
line=$(sed -n 's/^  1 "//p' "$work/err" | head -n 1)
second=$(printf '%s\n' "$line" | sed 's/^.*"  2 "//; s/"  3 ".*$//')
printf 'The sea%s\n' "$second" > "$work/want"
cmp -s "$work/want" "$work/out" || fail "took '$(cat "$work/out")', candidate 2 was '$second' ($line)"
sample --choose 3 --seed 8 --prime "The sea" "$work/m.ckpt" < /dev/null > "$work/o2" 2>"$work/e2"
printf '2\n' | sample --choose 3 --seed 8 --prime "The sea" "$work/m.ckpt" > "$work/o3" 2>"$work/e3"
cmp -s "$work/out" "$work/o3" && cmp -s "$work/err" "$work/e3" || fail "the same seed gave other words"
[ "$(cat "$work/o2")" = "The sea" ] || fail "with no choice, the text is the prime: $(cat "$work/o2")"
end

begin choose_state_follows_the_choice
# With --argmax every candidate is the likeliest word: taking it again and again writes what
# plain sampling writes; your own words are fed, and the words after them continue them.
printf '1\n1\n1\n1\n1\n' | sample --choose 3 --argmax --prime "The " "$work/m.ckpt" > "$work/out" 2>"$work/err"
full=$(sample --argmax -n 300 --prime "The " "$work/m.ckpt")
got=$(cat "$work/out")
[ ${#got} -gt 8 ] || fail "five words gave only '$got'"
case $full in "$got"*) ;; *) fail "'$got' is not how '$full' starts" ;; esac
printf 'sea\n1\n1\n' | sample --choose 2 --argmax --prime "The " "$work/m.ckpt" > "$work/out" 2>/dev/null
full=$(sample --argmax -n 300 --prime "The sea" "$work/m.ckpt")
got=$(cat "$work/out")
case $got in "The sea"?*) ;; *) fail "own words not taken: '$got'" ;; esac
case $full in "$got"*) ;; *) fail "'$got' is not how '$full' starts" ;; esac
end

begin choose_lines_breaks_and_numbers_as_text
printf '\n7\n' | sample --choose 3 --seed 1 --prime "The" "$work/m.ckpt" > "$work/out" 2>"$work/err"
printf 'The\n7\n' > "$work/want"
cmp -s "$work/want" "$work/out" || fail "got '$(cat "$work/out")'"
expect_err "line 2: there is no candidate 7 (1 to 3); taken as your own text"
end

begin choose_killed_writes_the_text
mkfifo "$work/keys"
sample --choose 3 --seed 8 --prime "The sea" "$work/m.ckpt" < "$work/keys" > "$work/k.out" 2>"$work/k.err" &
pid=$!
exec 3> "$work/keys"
printf '1\n' >&3
wait_for "$work/k.err" '^  1 "' 2 || fail "no second step within 20 s"
kill -TERM $pid
wait $pid
st=$?
exec 3>&-
expect_status 143
grep -q '^The sea.' "$work/k.out" || fail "text: $(cat "$work/k.out")"
end

# ---- through a real terminal ----
if ! command -v tmux > /dev/null 2>&1; then
    skip chat_terminal "tmux is not installed (apt-get install tmux)"
    exit 0
fi
# A private tmux server per terminal (a socket of our own, never the user's), killed after.
n_term=0
T="tmux -L charrnn-chat-$$-0"
trap '$T kill-server > /dev/null 2>&1; rm -rf "$work"' EXIT
# term CMD: runs CMD in a new terminal of 100 x 40, in $work, then records its status
term() {
    $T kill-server > /dev/null 2>&1
    n_term=$((n_term + 1))
    T="tmux -L charrnn-chat-$$-$n_term"
    rm -f "$work/pane"
    $T -f /dev/null new-session -d -x 100 -y 40 \
        "cd '$work' && stty -a > stty.before; LC_ALL=C.UTF-8 TERM=xterm $1; echo EXIT=\$?; stty -a > stty.after; sleep 600"
}
# the screen and what scrolled off it, wrapped lines joined, trailing spaces cut
pane() { $T capture-pane -p -J -S - 2>/dev/null | sed 's/ *$//' > "$work/pane"; }
# see PATTERN [COUNT]: polls the screen up to 20 s for COUNT lines matching PATTERN
see() {
    i=0
    while [ $i -lt 200 ]; do
        pane
        [ "$(grep -c -- "$1" "$work/pane")" -ge "${2:-1}" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "not on the screen after 20 s: '$1' (x${2:-1}): $(cat "$work/pane")"
    return 1
}
keys() { $T send-keys "$@"; }
# see_last PATTERN: polls the screen up to 20 s for its last line (not blank) to match
see_last() {
    i=0
    while [ $i -lt 200 ]; do
        $T capture-pane -p -J 2>/dev/null | sed 's/ *$//' | grep -v '^$' | tail -n 1 > "$work/last"
        grep -q -- "$1" "$work/last" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "the last line is not '$1' after 20 s: $(cat "$work/last")"
    return 1
}

term true
i=0
until pane && grep -q EXIT=0 "$work/pane"; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        skip chat_terminal "tmux cannot start a terminal here"
        exit 0
    fi
    sleep 0.1
done

begin chat_terminal_prompts_and_streams
term "$BIN/sample --chat -n 80 --seed 2 --you 'Q: ' --bot 'A: ' m.ckpt"
see "Ctrl-D ends" && see '^Q:' &&
keys "Good morning" Enter && see '^A: ' && see '^Q:' 2 &&
keys "What of the tide?" Enter && see '^Q:' 3 &&
keys C-d && see EXIT=0
printf 'Good morning\nWhat of the tide?\n' |
    sample --chat -n 80 --seed 2 --you 'Q: ' --bot 'A: ' "$work/m.ckpt" 2>/dev/null | sed 's/ *$//' > "$work/piped"
sed -n 's/^A: //p' "$work/pane" > "$work/shown"
cmp -s "$work/piped" "$work/shown" || fail "on the terminal '$(cat "$work/shown")', in a pipe '$(cat "$work/piped")'"
# answers into a file: the person still sees them, and the file holds only them
term "$BIN/sample --chat -n 80 --seed 2 --you 'Q: ' --bot 'A: ' m.ckpt > answers.txt"
see '^Q:' && keys "Good morning" Enter && see '^Q:' 2 && keys "What of the tide?" Enter &&
see '^Q:' 3 && keys C-d && see EXIT=0
sed -n 's/^A: //p' "$work/pane" > "$work/shown"
sed 's/ *$//' "$work/answers.txt" > "$work/answers"
cmp -s "$work/piped" "$work/shown" || fail "not shown on the terminal: '$(cat "$work/shown")'"
cmp -s "$work/piped" "$work/answers" || fail "answers.txt: '$(cat "$work/answers.txt")'"
end

begin chat_terminal_ctrl_c_stops_an_answer_not_the_talk
# a bot that never saw a line break answers until -n: only Ctrl-C ends its answer early
tr '\n' ' ' < $CORPUS > "$work/one-line.txt"
train-charrnn $TINY --steps 4 -o "$work/nl.ckpt" "$work/one-line.txt" 2>/dev/null
term "$BIN/sample --chat -n 1000000000 --threads 1 nl.ckpt"
see "never saw a line break" && see "Ctrl-D ends" && keys "tell me" Enter && see_last '^[^>]' && keys C-c && see_last '^>$' &&
keys "again" Enter && see_last '^[^>]' && keys C-c && see_last '^>$' && keys C-d && see EXIT=0
end

begin choose_terminal_keys_words_and_the_terminal_restored
term "$BIN/sample --choose 3 --seed 1 --prime 'The sea' m.ckpt > poem.txt"
see "Ctrl-D done" && see '^  1 "' &&
keys 1 && see '^  1 "' 2 &&
keys Enter && see '^  1 "' 3 &&
keys "my words" && see "your words: my words" && keys BSpace Enter && see '^  1 "' 4 &&
keys 2 && see '^  1 "' 5 && keys "the end" && see "your words: the end" && keys C-d && see EXIT=0
printf '1\n\nmy word\n2\nthe end\n' | sample --choose 3 --seed 1 --prime 'The sea' "$work/m.ckpt" > "$work/piped" 2>/dev/null
cmp -s "$work/piped" "$work/poem.txt" || fail "on the terminal '$(cat "$work/poem.txt")', in a pipe '$(cat "$work/piped")'"
cmp -s "$work/stty.before" "$work/stty.after" || fail "the terminal was not restored: $(diff "$work/stty.before" "$work/stty.after")"
end

begin choose_terminal_tab_draws_other_words_ctrl_c_ends
term "$BIN/sample --choose 3 --seed 1 --prime 'The sea' m.ckpt > poem.txt"
see '^  1 "' && keys Tab && see '^  1 "' 2
first=$(grep '^  1 "' "$work/pane" | sed -n 1p)
again=$(grep '^  1 "' "$work/pane" | sed -n 2p)
[ "$first" != "$again" ] || fail "Tab drew the same words: $first"
keys C-c && see EXIT=0
[ "$(cat "$work/poem.txt")" = "The sea" ] || fail "text: $(cat "$work/poem.txt")"
cmp -s "$work/stty.before" "$work/stty.after" || fail "the terminal was not restored"
end

begin choose_terminal_restored_after_a_signal
term "sh -c 'echo \$\$ > pid; exec $BIN/sample --choose 3 --seed 1 --prime \"The sea\" m.ckpt > poem.txt'"
see '^  1 "' && keys 1 && see '^  1 "' 2 && kill -TERM "$(cat "$work/pid")" && see EXIT=143
grep -q '^The sea.' "$work/poem.txt" || fail "text: $(cat "$work/poem.txt")"
cmp -s "$work/stty.before" "$work/stty.after" || fail "the terminal was not restored: $(diff "$work/stty.before" "$work/stty.after")"
end

begin choose_terminal_a_digit_that_is_no_candidate_does_nothing
# with --argmax every draw is the same word: one candidate, and 3 is none
term "$BIN/sample --choose 3 --argmax --prime 'The ' m.ckpt > poem.txt"
see '^  1 "' && keys 3 && keys 1 && see '^  1 "' 2 && keys C-d && see EXIT=0
grep -q '^  2 "' "$work/pane" && fail "more than one candidate with --argmax"
printf '1\n' | sample --choose 3 --argmax --prime 'The ' "$work/m.ckpt" > "$work/piped" 2>/dev/null
cmp -s "$work/piped" "$work/poem.txt" || fail "on the terminal '$(cat "$work/poem.txt")', in a pipe '$(cat "$work/piped")'"
end
