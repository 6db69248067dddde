# signals.sh: Ctrl-C and SIGTERM save a loadable checkpoint and exit 128+N; kill -9 with
# --checkpoint-every leaves the last saved checkpoint whole.
. tests/cli/lib.sh

# start_training LOG CKPT [OPTION]...: trains in the background until it has taken a step.
start_training() {
    log=$1 out=$2
    shift 2
    train-charrnn --hidden 32 --layers 1 --seq-len 16 --batch 4 --threads 1 --eval-every 5 \
        --time 60 -o "$out" "$@" $CORPUS 2> "$log" &
    pid=$!
    i=0
    while ! grep -qs '^step ' "$log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

for sig in INT TERM; do
    begin "train_sig${sig}_saves_and_exits"
    start_training "$work/log" "$work/s.ckpt"
    kill -$sig $pid
    wait $pid
    st=$?
    case $sig in INT) want=130 ;; TERM) want=143 ;; esac
    [ $st -eq $want ] || fail "exit status $st, expected $want: $(tail -3 "$work/log")"
    grep -q "saved $work/s.ckpt" "$work/log" || fail "no 'saved' message: $(tail -3 "$work/log")"
    grep -q -- "^train-charrnn: continue with: train-charrnn --resume $work/s.ckpt $CORPUS (with no --time, --steps or --epochs, it finishes this plan)$" "$work/log" ||
        fail "no hint on resuming with the corpus: $(tail -1 "$work/log")"
    run sample -n 10 "$work/s.ckpt"
    expect_status 0
    run train-charrnn --quiet --resume "$work/s.ckpt" --steps 2 -o "$work/s2.ckpt" $CORPUS
    expect_status 0
    end
done

begin train_kill9_leaves_loadable_checkpoint
start_training "$work/log9" "$work/k.ckpt" --checkpoint-every 0.3
sleep 1.2
kill -9 $pid
wait $pid 2>/dev/null
[ -f "$work/k.ckpt" ] || fail "no checkpoint after kill -9"
run sample -n 10 "$work/k.ckpt"
expect_status 0
ls "$work"/k.ckpt.tmp-* >/dev/null 2>&1 && rm -f "$work"/k.ckpt.tmp-*
end
