# precision.sh: train-charrnn --precision bf16: deterministic, saved in the checkpoint, kept on
# resume unless given, and refused when it is not fp32 or bf16.
. tests/cli/lib.sh

P="--hidden 40 --layers 2 --seq-len 16 --batch 8 --threads 2 --quiet --eval-every 5"

begin precision_bf16_is_deterministic_and_differs_from_fp32
run train-charrnn $P --precision bf16 --steps 10 -o "$work/b1.ckpt" $CORPUS
expect_status 0
run train-charrnn $P --precision bf16 --steps 10 -o "$work/b2.ckpt" $CORPUS
run train-charrnn $P --steps 10 -o "$work/f.ckpt" $CORPUS
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

begin precision_rejects_other_values
run train-charrnn $P --precision fp16 --steps 1 -o "$work/x.ckpt" $CORPUS
expect_status 2
expect_err "train-charrnn: --precision: 'fp16' is not one of fp32, bf16"
[ -e "$work/x.ckpt" ] && fail "a checkpoint was written"
end

