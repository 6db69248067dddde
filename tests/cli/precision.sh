# precision.sh: train-charrnn --precision bf16: deterministic, saved in the checkpoint, kept on
# resume unless given, chosen for a new model when the CPU multiplies bfloat16 in hardware, and
# refused when it is not fp32 or bf16.
. tests/cli/lib.sh

P="--hidden 40 --layers 2 --seq-len 16 --batch 8 --threads 2 --quiet --eval-every 5"

begin precision_bf16_is_deterministic_and_differs_from_fp32
run train-charrnn $P --precision bf16 --steps 10 -o "$work/b1.ckpt" $CORPUS
expect_status 0
run train-charrnn $P --precision bf16 --steps 10 -o "$work/b2.ckpt" $CORPUS
run train-charrnn $P --precision fp32 --steps 10 -o "$work/f.ckpt" $CORPUS
[ "$(state "$work/b1.ckpt")" = "$(state "$work/b2.ckpt")" ] || fail "two equal bf16 runs differ"
[ "$(state "$work/b1.ckpt")" != "$(state "$work/f.ckpt")" ] || fail "bf16 gave the fp32 bytes"
run dump "$work/b1.ckpt"
expect_out "^  precision  *bf16 "
run dump "$work/f.ckpt"
expect_out "^  precision  *fp32$"
end

begin precision_kept_on_resume_unless_given
# with --anneal 0, two plans of 6 steps end as one of 12 (train.sh's exact resume), in bf16 too
run train-charrnn $P --anneal 0 --precision bf16 --steps 12 -o "$work/full.ckpt" $CORPUS
run train-charrnn $P --anneal 0 --precision bf16 --steps 6 -o "$work/half.ckpt" $CORPUS
run train-charrnn --quiet --threads 2 --resume "$work/half.ckpt" --steps 6 -o "$work/res.ckpt" $CORPUS
expect_status 0
[ "$("$TOOLS_BIN/ckpt-state" --no-plan "$work/full.ckpt")" = \
  "$("$TOOLS_BIN/ckpt-state" --no-plan "$work/res.ckpt")" ] ||
    fail "12 bf16 steps differ from 6 + resume + 6"
run train-charrnn --quiet --threads 2 --resume "$work/half.ckpt" --precision fp32 --steps 1 \
    -o "$work/back.ckpt" $CORPUS
expect_status 0
run dump "$work/back.ckpt"
expect_out "^  precision  *fp32$"
end

begin precision_chosen_by_the_cpu_unless_given
# the kernel's own test of the CPU is __builtin_cpu_supports; this one reads what Linux says
if grep -q '^flags.* avx512_bf16' /proc/cpuinfo 2>/dev/null; then want=bf16; else want=fp32; fi
P1="--hidden 40 --layers 2 --seq-len 16 --batch 8 --threads 2 --eval-every 5"
run train-charrnn $P1 --steps 2 -o "$work/c.ckpt" $CORPUS
expect_status 0
run dump "$work/c.ckpt"
expect_out "^  precision  *$want"
run train-charrnn $P1 --steps 2 -o "$work/c.ckpt" $CORPUS
if [ $want = bf16 ]; then
    expect_err "^train-charrnn: matrix products on inputs rounded to bfloat16, which this CPU multiplies fastest (--precision fp32 for float32)$"
else
    grep -q bfloat16 "$work/err" && fail "bfloat16 chosen on a CPU without it: $(cat "$work/err")"
    # given (or resumed from a checkpoint made elsewhere), it says what it costs here
    run train-charrnn $P1 --precision bf16 --steps 1 -o "$work/c.ckpt" $CORPUS
    expect_err "^train-charrnn: matrix products on inputs rounded to bfloat16, which this CPU can only round: --precision fp32 is faster here$"
fi
run train-charrnn $P1 --precision fp32 --steps 2 -o "$work/c.ckpt" $CORPUS
grep -q bfloat16 "$work/err" && fail "--precision fp32 given, yet: $(cat "$work/err")"
run dump "$work/c.ckpt"
expect_out "^  precision  *fp32$"
end

begin precision_rejects_other_values
run train-charrnn $P --precision fp16 --steps 1 -o "$work/x.ckpt" $CORPUS
expect_status 2
expect_err "train-charrnn: --precision: 'fp16' is not one of fp32, bf16"
[ -e "$work/x.ckpt" ] && fail "a checkpoint was written"
end

