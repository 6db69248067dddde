# recipe.sh: a new model's cell, layers, hidden size, batch, dropout, weight decay and learning
# rate, when the command line leaves them out, are chosen for the corpus's size and the budget,
# printed at the start, and used; anything given wins; a resumed model keeps its own. (Its
# precision, chosen by the CPU: precision.sh.)
. tests/cli/lib.sh

# setting CKPT KEY: a value of dump's "training settings" or "model" block
setting() { dump "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }
# the printed choice: "train-charrnn: lstm 2 x 256, batch 16, ...: chosen for N characters..."
chosen() { grep "chosen for" "$1"; }

head -c 20000 $CORPUS > "$work/small.txt"
for i in 1 2 3 4 5 6; do cat $CORPUS; done > "$work/large.txt" # 729,534 characters

begin recipe_choice_is_printed_and_used
run train-charrnn --time 1 --threads 1 -o "$work/a.ckpt" $CORPUS
expect_status 0
line=$(chosen "$work/err")
[ -n "$line" ] || fail "no choice printed: $(cat "$work/err")"
case $line in *"chosen for 121,589 characters and 0:01"*) ;; *) fail "not the corpus and budget: $line" ;; esac
C=$(setting "$work/a.ckpt" cell) L=$(setting "$work/a.ckpt" layers) H=$(setting "$work/a.ckpt" hidden)
B=$(setting "$work/a.ckpt" batch) D=$(setting "$work/a.ckpt" dropout) R=$(setting "$work/a.ckpt" lr)
W=$(setting "$work/a.ckpt" weight-decay)
want="train-charrnn: $C $L x $H, batch $B, dropout $D, weight decay $W, learning rate $R: chosen for"
case $line in "$want"*) ;; *) fail "printed '$line', the checkpoint has '$want'" ;; esac
end

begin recipe_less_text_gets_no_less_dropout
train-charrnn --steps 1 --threads 1 -o "$work/s.ckpt" "$work/small.txt" 2> "$work/s.err" ||
    fail "small: $(cat "$work/s.err")"
train-charrnn --steps 1 --threads 1 -o "$work/l.ckpt" "$work/large.txt" 2> "$work/l.err" ||
    fail "large: $(cat "$work/l.err")"
chosen "$work/s.err" | grep -q "chosen for 20,000 characters and a plan in steps, taken as 5:00 (" ||
    fail "$(chosen "$work/s.err")"
chosen "$work/l.err" | grep -q "chosen for 729,534 characters and a plan in steps, taken as 5:00 (" ||
    fail "$(chosen "$work/l.err")"
ds=$(setting "$work/s.ckpt" dropout) dl=$(setting "$work/l.ckpt" dropout)
awk -v s="$ds" -v l="$dl" 'BEGIN { exit !(s > l) }' ||
    fail "dropout $ds for 20,000 characters, $dl for 729,534"
# a large corpus gets a GRU, a small one an LSTM (ml5.js runs only LSTMs), as printed
[ "$(setting "$work/s.ckpt" cell) $(setting "$work/l.ckpt" cell)" = "lstm gru" ] ||
    fail "cells $(setting "$work/s.ckpt" cell) and $(setting "$work/l.ckpt" cell)"
chosen "$work/l.err" | grep -q "^train-charrnn: gru 2 x " || fail "$(chosen "$work/l.err")"
end

begin recipe_given_options_win
run train-charrnn --steps 1 --threads 1 --cell rnn --layers 1 --hidden 40 --batch 4 --dropout 0.05 \
    --lr 0.004 --seq-len 32 --weight-decay 0.02 -o "$work/g.ckpt" $CORPUS
expect_status 0
chosen "$work/err" && fail "a choice printed when everything was given"
[ "$(setting "$work/g.ckpt" layers) $(setting "$work/g.ckpt" hidden) $(setting "$work/g.ckpt" batch)" = "1 40 4" ] ||
    fail "shape $(setting "$work/g.ckpt" layers) x $(setting "$work/g.ckpt" hidden), batch $(setting "$work/g.ckpt" batch)"
[ "$(setting "$work/g.ckpt" dropout) $(setting "$work/g.ckpt" lr) $(setting "$work/g.ckpt" cell)" = "0.05 0.004 rnn" ] ||
    fail "dropout, lr or cell changed"
[ "$(setting "$work/g.ckpt" seq-len) $(setting "$work/g.ckpt" weight-decay)" = "32 0.02" ] ||
    fail "sequence length or weight decay changed"
# one given: the rest chosen, and the line says the model as it is
run train-charrnn --steps 1 --threads 1 --hidden 40 -o "$work/h.ckpt" $CORPUS
expect_status 0
[ "$(setting "$work/h.ckpt" hidden)" = 40 ] || fail "--hidden 40 gave $(setting "$work/h.ckpt" hidden)"
chosen "$work/err" | grep -q "^train-charrnn: lstm [0-9] x 40, batch " || fail "$(chosen "$work/err")"
# the cell given on a large corpus: the rest chosen, the cell kept
run train-charrnn --steps 1 --threads 1 --cell lstm -o "$work/c.ckpt" "$work/large.txt"
expect_status 0
[ "$(setting "$work/c.ckpt" cell)" = lstm ] || fail "--cell lstm gave $(setting "$work/c.ckpt" cell)"
# and the rest as measured for an LSTM on a large corpus, not the GRU's dropout and rate
chosen "$work/err" | grep -q "^train-charrnn: 2 x 256, batch 16, dropout 0, weight decay 0.1, learning rate 0.008: " ||
    fail "$(chosen "$work/err")"
end

begin recipe_batch_fits_a_short_text
head -c 600 $CORPUS > "$work/tiny.txt"
run train-charrnn --steps 2 --threads 1 --batch 16 -o "$work/t.ckpt" "$work/tiny.txt"
expect_status 1 # 540 training characters hold 8 rows of 65, as the message says
expect_err "try --batch 8"
run train-charrnn --steps 2 --threads 1 -o "$work/t.ckpt" "$work/tiny.txt"
expect_status 0
[ "$(setting "$work/t.ckpt" batch)" = 8 ] || fail "batch $(setting "$work/t.ckpt" batch) for 540 characters"
expect_err "^train-charrnn: .*tiny.txt: 600 characters hold a batch of 8, not 16; a bot needs text to learn from: about 50 KB"
run train-charrnn --epochs 1 --threads 1 -o "$work/t.ckpt" "$work/tiny.txt"
expect_err "chosen for 600 characters and a plan in epochs, taken as 5:00 ("
end

begin recipe_not_applied_to_a_resumed_model
train-charrnn --steps 2 --threads 1 --layers 1 --hidden 24 --dropout 0 -o "$work/r.ckpt" $CORPUS 2> /dev/null
run train-charrnn --resume "$work/r.ckpt" --steps 2 --threads 1 $CORPUS
expect_status 0
chosen "$work/err" && fail "a choice printed on resuming"
[ "$(setting "$work/r.ckpt" hidden) $(setting "$work/r.ckpt" dropout)" = "24 0" ] ||
    fail "resumed as $(setting "$work/r.ckpt" hidden), dropout $(setting "$work/r.ckpt" dropout)"
end

begin weight_decay_saved_and_changed_on_resume
run train-charrnn $TINY --weight-decay 0.3 --steps 2 -o "$work/w.ckpt" $CORPUS
expect_status 0
[ "$(setting "$work/w.ckpt" weight-decay)" = 0.3 ] || fail "saved $(setting "$work/w.ckpt" weight-decay)"
run train-charrnn --quiet --threads 1 --resume "$work/w.ckpt" --steps 1 $CORPUS
expect_status 0
[ "$(setting "$work/w.ckpt" weight-decay)" = 0.3 ] || fail "resumed: $(setting "$work/w.ckpt" weight-decay)"
run train-charrnn --quiet --threads 1 --resume "$work/w.ckpt" --weight-decay 0 --steps 1 $CORPUS
expect_status 0
[ "$(setting "$work/w.ckpt" weight-decay)" = 0 ] || fail "--weight-decay 0 on resume: $(setting "$work/w.ckpt" weight-decay)"
run dump --json "$work/w.ckpt"
expect_out '"weight_decay": 0[,}]'
# a rate times a decay of 1 or more would zero the weights at each step: refused, new or resumed
run train-charrnn $TINY --lr 2 --weight-decay 0.5 --steps 1 -o "$work/z.ckpt" $CORPUS
expect_status 2
expect_err "^train-charrnn: --weight-decay 0.5 with a learning rate of 2 would zero the weights at every step (their product must be below 1); give a lower --weight-decay or --lr$"
[ -e "$work/z.ckpt" ] && fail "a checkpoint was written"
cp "$work/w.ckpt" "$work/before.ckpt"
run train-charrnn --quiet --threads 1 --resume "$work/w.ckpt" --lr 4 --weight-decay 0.25 --steps 1 $CORPUS
expect_status 2
expect_err "^train-charrnn: --weight-decay 0.25 with a learning rate of 4 would zero"
cmp -s "$work/w.ckpt" "$work/before.ckpt" || fail "the refused resume changed the checkpoint"
end
