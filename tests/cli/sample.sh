# sample.sh: sample's options, determinism, priming and pipes.
. tests/cli/lib.sh
train-charrnn $TINY --steps 8 -o "$work/m.ckpt" $CORPUS 2>/dev/null

begin sample_same_seed_same_text
a=$(sample -n 200 --seed 7 -t 0.9 --top-k 20 "$work/m.ckpt")
b=$(sample -n 200 --seed 7 -t 0.9 --top-k 20 "$work/m.ckpt")
c=$(sample -n 200 --seed 8 -t 0.9 --top-k 20 "$work/m.ckpt")
[ "$a" = "$b" ] || fail "the same seed gave different text"
[ "$a" != "$c" ] || fail "another seed gave the same text"
d=$(cat "$work/m.ckpt" | sample -n 200 --seed 7 -t 0.9 --top-k 20)
[ "$a" = "$d" ] || fail "reading from standard input gave different text"
end

begin sample_argmax_ignores_seed
a=$(sample -n 100 --argmax --seed 1 "$work/m.ckpt")
b=$(sample -n 100 --argmax --seed 2 "$work/m.ckpt")
c=$(sample -n 100 --top-k 1 --seed 3 "$work/m.ckpt")
[ "$a" = "$b" ] || fail "--argmax depends on the seed"
[ "$a" = "$c" ] || fail "--top-k 1 differs from --argmax"
end

begin sample_prime_printed_then_continued
run sample -n 30 --seed 1 --prime "THE NINTH OF MARCH." "$work/m.ckpt"
expect_status 0
head -c 19 "$work/out" | grep -q "^THE NINTH OF MARCH.$" || fail "the prime is not printed first"
[ "$(wc -m < "$work/out")" -eq 49 ] || fail "expected 19 + 30 characters"
printf 'Wind from the' > "$work/prime.txt"
run sample -n 10 --seed 1 --prime-file "$work/prime.txt" "$work/m.ckpt"
expect_status 0
expect_out "^Wind from the"
end

begin sample_prime_unknown_character_reported
run sample -n 10 --seed 1 --prime "Ωmega Ω" "$work/m.ckpt"
expect_status 0
expect_err "'Ω' (U+03A9) is not in the model's vocabulary; skipped"
[ "$(grep -c U+03A9 "$work/err")" -eq 1 ] || fail "the unknown character was reported more than once"
expect_out "^Ωmega Ω"
end

begin sample_stop_string
run sample -n 5000 --seed 4 --stop "e" "$work/m.ckpt"
expect_status 0
[ "$(tail -c 1 "$work/out")" = "e" ] || fail "output does not end with the stop string"
[ "$(grep -o e "$work/out" | wc -l)" -eq 1 ] || fail "text continued after the stop string"
end

begin sample_last_differs_from_best
train-charrnn $TINY --steps 30 --eval-every 10 --lr 0.05 -o "$work/lb.ckpt" $CORPUS 2>/dev/null
a=$(sample -n 300 --seed 1 "$work/lb.ckpt")
b=$(sample -n 300 --seed 1 --last "$work/lb.ckpt")
[ -n "$a" ] && [ -n "$b" ] || fail "no text"
end

begin sample_closed_pipe_is_quiet
sample -n 100000 --seed 1 "$work/m.ckpt" 2>"$work/err" | head -c 10 > /dev/null
[ -s "$work/err" ] && fail "messages on a closed pipe: $(cat "$work/err")"
sh -c "sample -n 100000 --seed 1 '$work/m.ckpt' 2>/dev/null | head -c 10 >/dev/null; exit \${PIPESTATUS:-0}"
end

begin sample_length_zero_and_unicode_output_valid
run sample -n 0 "$work/m.ckpt"
expect_status 0
[ -s "$work/out" ] && fail "-n 0 printed something"
end

begin sample_threads_give_the_same_text
# 192 units: large enough that the sampler does use three threads (smaller models use fewer)
train-charrnn $TINY --hidden 192 --steps 2 -o "$work/t.ckpt" $CORPUS 2>/dev/null
a=$(sample -n 300 --seed 9 --threads 1 "$work/t.ckpt")
b=$(sample -n 300 --seed 9 --threads 2 "$work/t.ckpt")
c=$(sample -n 300 --seed 9 --threads 3 "$work/t.ckpt")
[ "$a" = "$b" ] && [ "$a" = "$c" ] || fail "the thread count changed the text"
end

begin sample_bf16_repeatable_for_any_thread_count
a=$(sample -n 300 --seed 9 --bf16 --threads 1 "$work/t.ckpt")
b=$(sample -n 300 --seed 9 --bf16 --threads 3 "$work/t.ckpt")
c=$(sample -n 300 --seed 9 --bf16 --threads 3 "$work/t.ckpt")
[ ${#a} -ge 300 ] || fail "--bf16 gave ${#a} characters"
[ "$a" = "$b" ] && [ "$b" = "$c" ] || fail "--bf16 text changed with the thread count or run"
end
