# plan.sh: the plan (the budget trained to) is saved in the checkpoint: a run interrupted at
# any moment and resumed with no budget finishes it, for a step budget to the same bytes as a
# run never interrupted; a budget given with --resume starts a new plan.
. tests/cli/lib.sh

S="--hidden 64 --layers 1 --seq-len 32 --batch 8 --threads 1 --eval-every 50 --dropout 0.1"
STEPS=1200
# What an interrupted and resumed run must share with one never interrupted: the latest
# weights, the optimizer's moments, the carried state, the position, the generator and the
# plan. Not the history, the lineage, the clocks, nor the best weights: a run that stops
# validates once more, so its best can come from another step.
latest() { "$TOOLS_BIN/ckpt-state" --latest "$1"; }

# wait_for FILE TEXT: waits, at most 30 s, until FILE holds TEXT.
wait_for() {
    i=0
    while ! grep -qs -- "$2" "$1"; do
        i=$((i + 1))
        [ $i -gt 3000 ] && return 1
        sleep 0.01
    done
}

# interrupt SIG DELAY LOG TRAIN-OPTION...: trains in the background and sends SIG (INT or TERM)
# DELAY seconds after the run has announced its plan (its signal handlers are then in place).
interrupt() {
    sig=$1 delay=$2 ilog=$3
    shift 3
    train-charrnn "$@" $CORPUS > /dev/null 2> "$ilog" &
    pid=$!
    wait_for "$ilog" "plan" || fail "no plan announced: $(head -c 300 "$ilog")"
    sleep "$delay"
    kill -s "$sig" $pid 2> /dev/null
    wait $pid
    st=$?
}

# stopped_by_signal LOG: the run ended on the signal, with its plan unfinished.
stopped_by_signal() { grep -q "^train-charrnn: \(interrupted\|terminated\) after" "$1"; }

begin plan_interrupted_at_random_moments_resumes_to_the_same_bytes
t0=$(date +%s%N)
run train-charrnn $S --quiet --steps $STEPS -o "$work/full.ckpt" $CORPUS
t1=$(date +%s%N)
expect_status 0
want=$(latest "$work/full.ckpt")
# four random moments over the whole run as this one took (the seed is in any failure message)
seed=$(date +%s)
moments=$(awk -v s="$seed" -v ns="$((t1 - t0))" \
    'BEGIN { srand(s); for (i = 0; i < 4; i++) printf "%.2f ", 0.02 + rand() * 0.9 * ns / 1e9 }')
k=0 stopped=0
for d in $moments; do
    k=$((k + 1))
    sig=INT
    [ $((k % 2)) -eq 0 ] && sig=TERM
    rm -f "$work/part.ckpt"
    interrupt $sig "$d" "$work/ilog" $S --steps $STEPS -o "$work/part.ckpt"
    where="SIG$sig after $d s (moments $moments, seed $seed)"
    if stopped_by_signal "$work/ilog"; then
        stopped=$((stopped + 1))
        [ $st -eq 130 ] || [ $st -eq 143 ] || fail "$where: exit status $st"
        unfinished=1
        if [ $k -eq 4 ]; then # the resumed run interrupted too, a moment after it starts
            interrupt INT 0.05 "$work/ilog2" --threads 1 --resume "$work/part.ckpt"
            grep -q "finishing the plan of $STEPS steps" "$work/ilog2" ||
                fail "$where: the resumed run did not continue the plan: $(head -c 400 "$work/ilog2")"
            stopped_by_signal "$work/ilog2" || unfinished=0
        fi
        if [ $unfinished -eq 1 ]; then
            run train-charrnn --threads 1 --resume "$work/part.ckpt" $CORPUS
            expect_status 0
            expect_err "finishing the plan of $STEPS steps: [0-9]*% done, [0-9]* steps left"
            expect_err "step limit reached after $STEPS steps"
        fi
    fi # else the run had finished (or was saving) when the signal came: it is whole all the same
    [ "$(latest "$work/part.ckpt")" = "$want" ] ||
        fail "$where, at step $(sed -n 's/.* after \([0-9]*\) steps.*/\1/p' "$work/ilog"), then resumed: the weights differ from one run's"
done
[ $stopped -gt 0 ] || fail "every run finished before its signal (moments $moments): too fast a machine for this test"
end

begin plan_budget_on_resume_starts_a_new_plan
run train-charrnn $TINY --steps 6 -o "$work/a.ckpt" $CORPUS
run train-charrnn --threads 1 --resume "$work/a.ckpt" --steps 4 -o "$work/b.ckpt" $CORPUS
expect_status 0
expect_err "^train-charrnn: the plan: 4 steps; the learning rate falls to 0 over its last 30%"
grep -q "the default" "$work/err" && fail "a budget given called the default"
expect_err "step limit reached after 10 steps"
# the checkpoint's anneal carries over to a new plan unless --anneal is given
run train-charrnn $TINY --anneal 0.5 --steps 6 -o "$work/c.ckpt" $CORPUS
run train-charrnn --threads 1 --resume "$work/c.ckpt" --epochs 1 -o "$work/d.ckpt" $CORPUS
expect_err "^train-charrnn: the plan: 1 epoch ([0-9]* steps); the learning rate falls to 0 over its last 50%"
run train-charrnn --threads 1 --resume "$work/c.ckpt" --steps 2 --anneal 0 -o "$work/d.ckpt" $CORPUS
expect_err "the plan: 2 steps; the learning rate stays up to the end (--anneal 0)"
# a finished plan resumed with no budget: a new plan of the default length
interrupt INT 0.05 "$work/ilog" --threads 1 --resume "$work/a.ckpt" -o "$work/e.ckpt"
grep -q "^train-charrnn: the plan: 5:00, the default, as the checkpoint's plan is finished (--time, --steps or --epochs set another); " "$work/ilog" ||
    fail "a finished plan resumed did not start the default one: $(head -c 400 "$work/ilog")"
end

# a plan of 3 s interrupted after about 1 s: the resumed run has what is left of the 3 s
interrupt INT 0.8 "$work/tlog" ${TINY% --quiet} --eval-every 20 --time 3 -o "$work/t.ckpt"
if stopped_by_signal "$work/tlog"; then
    begin plan_of_a_time_budget_finishes_its_remaining_time
    t0=$(date +%s)
    run train-charrnn --threads 1 --resume "$work/t.ckpt" $CORPUS
    t1=$(date +%s)
    expect_status 0
    expect_err "finishing the plan of 0:03: [0-9]*% done, 0:0[0-3] left"
    expect_err "time limit reached"
    [ $((t1 - t0)) -le 10 ] || fail "the rest of a 3 s plan took $((t1 - t0)) s"
    end
else
    skip plan_of_a_time_budget_finishes_its_remaining_time "the 3 s run ended before its signal"
fi
