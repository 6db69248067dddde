#!/bin/sh
# run.sh: `make bench`: training and sampling speed of charrnn against PyTorch, in one run.
#
#   BENCH=build/release/bench CORPUS=../shared/corpora/tinyshakespeare.txt sh tests/bench/run.sh
#
# Environment: BENCH (required), CORPUS, R (interleaved runs per configuration, default 3),
# PYTHON (default /usr/bin/python3, Debian's python3-torch), QUALITY=1 (also the quality
# benchmark: about 45 minutes), QUALITY_SEEDS (default "1 2 3"), QUALITY_RUNS (default
# "defaults preset previous"), QUALITY_PRESET and QUALITY_PREVIOUS (their options),
# TRAIN_CHARRNN (the tool it uses, default the one next to BENCH).
# The table goes to standard output; each raw measurement line goes to standard error.
set -u

BENCH=${BENCH:?BENCH must name the bench program (make bench sets it)}
CORPUS=${CORPUS:-../shared/corpora/tinyshakespeare.txt}
R=${R:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
QUALITY=${QUALITY:-0}
QUALITY_SEEDS=${QUALITY_SEEDS:-1 2 3}
QUALITY_RUNS=${QUALITY_RUNS:-defaults preset previous}
# the README's 3-minute preset before issue 16, and the defaults before it (no anneal then)
QUALITY_PRESET=${QUALITY_PRESET:---cell lstm --layers 2 --hidden 256 --dropout 0 --batch 16 --lr 8e-3 --warmup 40 --anneal 0.3}
QUALITY_PREVIOUS=${QUALITY_PREVIOUS:---cell lstm --layers 2 --hidden 256 --dropout 0 --batch 32 --lr 2e-3 --warmup 100 --anneal 0 --eval-every 250}
for run in $QUALITY_RUNS; do
    case $run in
    defaults | preset | previous) ;;
    *)
        echo "run.sh: QUALITY_RUNS: '$run' is not defaults, preset or previous" >&2
        exit 2
        ;;
    esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
TORCH_REF=$HERE/torch_ref.py

# configurations: name layers hidden steps warm-up our-thread-counts PyTorch's-BLAS-threads
# (BLAS threads "default" = OpenBLAS's own choice, one per core; the issue's 1x128 reference
# ran on one core, which is also PyTorch's fastest layout for that small model here)
CONFIGS='2x256 2 256 30 2 2 default
2x512 2 512 8 1 2 default
1x128 1 128 80 3 2,1 1'
SAMPLE_CHARS=20000
NOVEL=8 # sample --novel N: a short limit, so that draws are refused

case $R in
'' | *[!0-9]* | 0)
    echo "run.sh: R must be a whole number above 0, not '$R'" >&2
    exit 2
    ;;
esac
if [ ! -r "$CORPUS" ]; then
    echo "skip bench: $CORPUS missing (set CORPUS=... to use another text)"
    exit 0
fi
if [ ! -x "$BENCH" ]; then
    echo "run.sh: $BENCH: not an executable (run make bench)" >&2
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# field KEY LINE: the value of KEY=value in a measurement line
field() { printf '%s\n' "$2" | sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"; }
# median of the numbers on standard input, one a line
median() {
    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "";
        else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# runs a measurement, shows its line on standard error, appends it to file $1
measure() {
    out=$1
    shift
    line=$("$@" 2>"$TMP/err") || {
        echo "run.sh: failed: $*" >&2
        cat "$TMP/err" >&2
        return 1
    }
    cat "$TMP/err" >&2
    printf '  %s\n' "$line" >&2
    printf '%s\n' "$line" >>"$out"
}
# med FILE KEY: the median of KEY over the lines of FILE
med() { [ -s "$1" ] && while IFS= read -r l; do field "$2" "$l"; done <"$1" | median; }

torch_ok=0
torch_note=
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    torch_note="skipped: $PYTHON not found"
elif ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
    torch_note="skipped: $PYTHON cannot import torch"
    torch_note="$torch_note (Debian: apt-get install python3-torch libopenblas-dev)"
else
    torch_ok=1
    found=
    for f in /usr/lib/*/libopenblas*.so* /usr/lib/libopenblas*.so*; do
        [ -e "$f" ] && found=$f
    done
    if [ -z "$found" ]; then
        torch_note="no libopenblas found: PyTorch falls back to another BLAS, and the ratio"
        torch_note="$torch_note against the reference numbers (with libopenblas-dev) means little"
    fi
fi

ncores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
echo "charrnn bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $ncores cores," \
    "corpus $CORPUS, R=$R"
model=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$model" ] && echo "cpu: $model"
rev=$(git -C "$HERE/../.." rev-parse --short HEAD 2>/dev/null) &&
    echo "library: commit $rev$(git -C "$HERE/../.." status --porcelain -- src/lib include 2>/dev/null |
        grep -q . && echo ' with uncommitted changes in src/lib or include')"
[ -r /proc/loadavg ] && echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the machine's peak: fused multiply-adds on registers, now and again at the end (the
# higher counts: another process's work can only lower it) ----
probe_peak() {
    for t in 1 2; do
        measure "$TMP/peak$t" "$BENCH" peak --threads "$t" || exit 1
    done
}
probe_peak

# ---- training: R rounds, each running every configuration once, ours then PyTorch ----
r=1
while [ "$r" -le "$R" ]; do
    echo "round $r of $R" >&2
    printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
        for t in $(printf '%s' "$threads" | tr ',' ' '); do
            measure "$TMP/ours.$name.$t" "$BENCH" train --layers "$layers" --hidden "$hidden" \
                --threads "$t" --steps "$steps" --warmup "$warm" "$CORPUS" || exit 1
        done
        if [ "$name" = 2x256 ]; then # products on bfloat16 inputs (issue 16), beside fp32
            measure "$TMP/bf16.$name.2" "$BENCH" train --precision bf16 --layers "$layers" \
                --hidden "$hidden" --threads 2 --steps "$steps" --warmup "$warm" "$CORPUS" || exit 1
        fi
        if [ "$torch_ok" = 1 ]; then
            (
                unset OPENBLAS_NUM_THREADS GOTO_NUM_THREADS OMP_NUM_THREADS
                if [ "$blas" != default ]; then
                    OPENBLAS_NUM_THREADS=$blas
                    export OPENBLAS_NUM_THREADS
                fi
                measure "$TMP/torch.$name" "$PYTHON" "$TORCH_REF" --layers "$layers" \
                    --hidden "$hidden" --steps "$steps" --warmup "$warm" --threads 1 "$CORPUS"
            ) || exit 1
        fi
    done || exit 1
    r=$((r + 1))
done

# ---- sampling, batch 1, each configuration on 1 and 2 threads ----
r=1
while [ "$r" -le "$R" ]; do
    printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
        for t in 1 2; do
            measure "$TMP/sample.$name.$t" "$BENCH" sample --layers "$layers" --hidden "$hidden" \
                --chars "$SAMPLE_CHARS" --threads "$t" "$CORPUS" || exit 1
        done
        # sample --novel: the same, every character through the filter over the whole corpus
        measure "$TMP/novel.$name.2" "$BENCH" sample --layers "$layers" --hidden "$hidden" \
            --chars "$SAMPLE_CHARS" --threads 2 --novel "$NOVEL" "$CORPUS" || exit 1
    done || exit 1
    r=$((r + 1))
done

# ---- scoring (the score tool's reading), 2x256, 1 and 2 threads ----
SCORE_CHARS=300000
r=1
while [ "$r" -le "$R" ]; do
    for t in 1 2; do
        measure "$TMP/score.$t" "$BENCH" score --layers 2 --hidden 256 --chars "$SCORE_CHARS" \
            --threads "$t" "$CORPUS" || exit 1
    done
    r=$((r + 1))
done

# ---- where a 2x256 training step goes: by phase, and its matrix products alone ----
measure "$TMP/phases" "$BENCH" phases --layers 2 --hidden 256 --threads 2 --steps 20 "$CORPUS" ||
    exit 1
for t in 1 2; do
    "$BENCH" products --layers 2 --hidden 256 --threads "$t" "$CORPUS" >"$TMP/products$t" || exit 1
    sed 's/^/  /' "$TMP/products$t" >&2
    "$BENCH" products --precision bf16 --layers 2 --hidden 256 --threads "$t" "$CORPUS" \
        >"$TMP/products_bf16.$t" || exit 1
    sed 's/^/  /' "$TMP/products_bf16.$t" >&2
done

# ---- trace's corpus index: built over 5 MB, 100,000 characters matched (one thread) ----
measure "$TMP/trace" "$BENCH" trace "$CORPUS" || exit 1

probe_peak
# maxof FILE KEY: the largest KEY over the lines of FILE
maxof() { while IFS= read -r l; do field "$2" "$l"; done <"$1" | sort -g | tail -n 1; }
peak1=$(maxof "$TMP/peak1" gflops)
peak2=$(maxof "$TMP/peak2" gflops)
kind=$(field kind "$(head -n 1 "$TMP/peak1")")

# ---- the table ----
echo
echo "peak ($kind FMA probe, the better of two probes): $peak1 GFLOP/s on 1 thread," \
    "$peak2 GFLOP/s on 2 threads"
echo "training: median of $R interleaved runs; ratio = ours / PyTorch; GFLOP/s by our own count"
echo "(one-hot input as a gather); % of peak against the probe at the same thread count;"
echo "CPU = our CPU seconds per wall second; others = CPUs used by other processes meanwhile"
echo "(from /proc/stat; above 0.1 the 2-thread numbers are not trustworthy); torch GF/s by"
echo "PyTorch's count (one-hot input as a dense product)"
printf '%-7s %3s %10s %10s %6s %8s %6s %5s %6s %7s %9s %10s\n' config thr 'ours ch/s' \
    'torch ch/s' ratio GFLOP/s '%peak' CPU others 'RSS MB' 'torch MB' 'torch GF/s'
printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
    tcps=
    tmb=
    tgf=
    if [ "$torch_ok" = 1 ]; then
        tcps=$(med "$TMP/torch.$name" chars_per_s)
        tmb=$(med "$TMP/torch.$name" peak_rss_kb | awk '{ printf "%.0f", $1 / 1024 }')
        tmf=$(field torch_mflop_per_char "$(head -n 1 "$TMP/ours.$name.2")")
        tgf=$(awk -v c="$tcps" -v f="$tmf" 'BEGIN { printf "%.1f", c * f / 1000 }')
    fi
    for t in $(printf '%s' "$threads" | tr ',' ' '); do
        f=$TMP/ours.$name.$t
        cps=$(med "$f" chars_per_s)
        gf=$(med "$f" gflops)
        cpu=$(med "$f" cpu_util)
        oth=$(med "$f" others_cpu)
        mb=$(med "$f" peak_rss_kb | awk '{ printf "%.0f", $1 / 1024 }')
        pk=$peak2
        [ "$t" = 1 ] && pk=$peak1
        pct=$(awk -v g="$gf" -v p="$pk" 'BEGIN { printf "%.1f", 100 * g / p }')
        ratio=-
        [ -n "$tcps" ] && ratio=$(awk -v a="$cps" -v b="$tcps" 'BEGIN { printf "%.2f", a / b }')
        printf '%-7s %3s %10.0f %10s %6s %8.1f %6s %5.2f %6.2f %7s %9s %10s\n' "$name" "$t" \
            "$cps" "${tcps:-skipped}" "$ratio" "$gf" "$pct" "$cpu" "$oth" "$mb" "${tmb:--}" \
            "${tgf:--}"
    done
done
busy=$(cat "$TMP"/ours.*.2 "$TMP"/sample.*.2 | while IFS= read -r l; do field others_cpu "$l"; done |
    sort -g | tail -n 1)
awk -v b="$busy" 'BEGIN { if (b > 0.1) printf "warning: other processes used up to %.2f CPUs during" \
    " our 2-thread runs: those numbers say more about the load than about charrnn\n", b }'
if [ "$torch_ok" = 1 ]; then
    l=$(head -n 1 "$TMP/torch.2x256")
    echo "PyTorch $(field torch_version "$l"): torch.set_num_threads(1), $(field blas "$l") with" \
        "$(field blas_threads "$l") threads for 2x256 and 2x512 (its own default)," \
        "$(field blas_threads "$(head -n 1 "$TMP/torch.1x128")") for 1x128 ($(field blas_path "$l"))"
    b=$(field blas "$l")
    [ "$b" = openblas ] ||
        echo "note: PyTorch is not using OpenBLAS ($b): the ratio is not comparable with the reference"
fi
[ -n "$torch_note" ] && echo "PyTorch: $torch_note"
f=$(head -n 1 "$TMP/ours.2x256.2")
echo "FLOP per character, 2x256: ours $(field mflop_per_char "$f") M, PyTorch's count" \
    "$(field torch_mflop_per_char "$f") M (one-hot input multiplied as a dense matrix)"

echo
echo "sampling, batch 1, fp32: median of $R runs of $SAMPLE_CHARS characters; threads = asked"
echo "(small models use fewer: see used); GFLOP/s by our count, forward only"
printf '%-7s %3s %4s %10s %8s %6s %5s %6s\n' config thr used 'ch/s' GFLOP/s '%peak' CPU others
printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
    for t in 1 2; do
        f=$TMP/sample.$name.$t
        sg=$(med "$f" gflops)
        printf '%-7s %3s %4s %10.0f %8.1f %6.1f %5.2f %6.2f\n' "$name" "$t" \
            "$(med "$f" threads_used)" "$(med "$f" chars_per_s)" "$sg" \
            "$(awk -v g="$sg" -v p="$(eval echo \$peak$t)" 'BEGIN { print 100 * g / p }')" \
            "$(med "$f" cpu_util)" "$(med "$f" others_cpu)"
    done
done
printf 'sample --novel %s (index built in %s s), 2 threads, against the same without:' "$NOVEL" \
    "$(med "$TMP/novel.2x256.2" index_s)"
printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
    awk -v n="$name" -v a="$(med "$TMP/novel.$name.2" chars_per_s)" \
        -v b="$(med "$TMP/sample.$name.2" chars_per_s)" -v r="$(med "$TMP/novel.$name.2" refused)" \
        'BEGIN { printf " %s %.0f ch/s (%.2f, %d refused);", n, a, a / b, r }'
done
echo
echo
echo "scoring, 2x256 (score: batch 32 streams, 64 per pass, 256 warm-up): median of $R runs of"
echo "$SCORE_CHARS characters"
printf '%-7s %3s %10s %8s %5s %6s\n' config thr 'ch/s' GFLOP/s CPU others
for t in 1 2; do
    f=$TMP/score.$t
    printf '%-7s %3s %10.0f %8.1f %5.2f %6.2f\n' 2x256 "$t" "$(med "$f" chars_per_s)" \
        "$(med "$f" gflops)" "$(med "$f" cpu_util)" "$(med "$f" others_cpu)"
done
s=$(med "$TMP/sample.2x256.2" chars_per_s)
p=$(cat "$TMP/phases")
printf 'a 2x256 step on 2 threads: forward %s ms (%s GFLOP/s), backward %s ms (%s GFLOP/s),' \
    "$(field forward_ms "$p")" "$(field forward_gflops "$p")" "$(field backward_ms "$p")" \
    "$(field backward_gflops "$p")"
printf ' norm %s ms, optimizer %s ms, weight packing %s ms (others %s)\n' \
    "$(field norm_ms "$p")" "$(field optim_ms "$p")" "$(field pack_ms "$p")" \
    "$(field others_cpu "$p")"

for t in 1 2; do
    q=$(tail -n 1 "$TMP/products$t")
    g=$(field step_matrix_gflops "$q")
    printf '2x256 matrix products alone, %s thread(s): %s ms per step, %s GFLOP/s (%s%% of peak):' \
        "$t" "$(field step_matrix_ms "$q")" "$g" \
        "$(awk -v g="$g" -v p="$(eval echo \$peak$t)" 'BEGIN { printf "%.0f", 100 * g / p }')"
    printf ' at most %s chars/s if nothing else took time\n' "$(field matrix_only_chars_per_s "$q")"
done
# bfloat16 (--precision bf16): the same products and the 2x256 training step
for t in 1 2; do
    q=$(tail -n 1 "$TMP/products_bf16.$t")
    g=$(field step_matrix_gflops "$q")
    printf '2x256 matrix products alone in bf16 (%s), %s thread(s): %s ms per step, %s GFLOP/s' \
        "$(field kernel "$q")" "$t" "$(field step_matrix_ms "$q")" "$g"
    printf ' (%s%% of the fp32 peak)\n' \
        "$(awk -v g="$g" -v p="$(eval echo \$peak$t)" 'BEGIN { printf "%.0f", 100 * g / p }')"
done
f=$TMP/bf16.2x256.2
awk -v b="$(med "$f" chars_per_s)" -v f="$(med "$TMP/ours.2x256.2" chars_per_s)" \
    -v g="$(med "$f" gflops)" -v k="$(field kernel "$(head -n 1 "$f")")" \
    -v o="$(med "$f" others_cpu)" 'BEGIN {
        printf "2x256 training in bf16 (%s), 2 threads: %.0f chars/s, %.2f x fp32, %.1f GFLOP/s" \
            " (others %.2f)\n", k, b, b / f, g, o }'
echo
echo "targets (the performance issue): training at least 2x PyTorch;" \
    "sampling 2x256 batch-1 at least 50000 chars/s"
awk -v s="$s" 'BEGIN { printf "  sampling, 2 threads: %s\n", (s >= 50000 ? "met" : "NOT met") }'
echo "target (issue 13): sample --novel at least half as fast as without"
printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
    awk -v n="$name" -v a="$(med "$TMP/novel.$name.2" chars_per_s)" \
        -v b="$(med "$TMP/sample.$name.2" chars_per_s)" \
        'BEGIN { printf "  --novel, %s, 2 threads: %.2f of the speed without, %s\n", n, a / b,
                 (a >= 0.5 * b ? "met" : "NOT met") }'
done
sc=$(med "$TMP/score.2" chars_per_s)
awk -v s="$sc" 'BEGIN { printf "  scoring 2x256 (score, issue 13) at least 100000 chars/s, 2 threads: %s\n", \
    (s >= 100000 ? "met" : "NOT met") }'
if [ "$torch_ok" = 1 ]; then
    printf '%s\n' "$CONFIGS" | while read -r name layers hidden steps warm threads blas; do
        cps=$(med "$TMP/ours.$name.2" chars_per_s)
        tcps=$(med "$TMP/torch.$name" chars_per_s)
        awk -v n="$name" -v a="$cps" -v b="$tcps" 'BEGIN {
            printf "  %s, 2 threads: %.2f x PyTorch, %s\n", n, a / b, (a >= 2 * b ? "met" : "NOT met") }'
    done
fi
tr=$(cat "$TMP/trace")
awk -v b="$(field build_s "$tr")" -v m="$(field match_s "$tr")" -v mb="$(field corpus_bytes "$tr")" \
    -v d="$(field decode_s "$tr")" 'BEGIN {
    printf "  trace, an index of %.1f MB built in %.2f s of CPU (under 1 s): %s\n", mb / 1e6, b,
        (b < 1 ? "met" : "NOT met")
    printf "  trace, 100000 characters matched in %.3f s of CPU (under 0.5 s): %s\n", m,
        (m < 0.5 ? "met" : "NOT met")
    printf "  (trace --index: that index read back and checked in %.2f s)\n", d }'
[ -r /proc/loadavg ] && echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- quality at a budget: opt-in, about 45 minutes ----
# train-charrnn --time T on Tiny Shakespeare (60 and 180 s) and on the harbour almanac (60 s),
# each seed of QUALITY_SEEDS, for each of QUALITY_RUNS: the defaults (the recipe), the README's
# preset, and the defaults from before issue 16. The median of the seeds is the figure.
quality_args() {
    case $1 in
    defaults) echo "" ;;
    preset) echo "$QUALITY_PRESET" ;;
    previous) echo "$QUALITY_PREVIOUS" ;;
    *)
        echo "run.sh: QUALITY_RUNS: '$1' is not defaults, preset or previous" >&2
        return 1
        ;;
    esac
}
if [ "$QUALITY" = 1 ]; then
    tool=${TRAIN_CHARRNN:-$(dirname "$BENCH")/bin/train-charrnn}
    almanac=$HERE/../../corpora/harbour-almanac.txt
    if [ ! -x "$tool" ]; then
        echo "run.sh: $tool: not built (make bench builds it)" >&2
        exit 1
    fi
    echo
    echo "quality: best validation loss (nats per character) after train-charrnn --time T," \
        "median of seeds $QUALITY_SEEDS"
    cname=$(basename "$CORPUS" .txt)
    printf '%s\n' "$cname $CORPUS 60" "$cname $CORPUS 180" "harbour-almanac $almanac 60" >"$TMP/cases"
    while read -r cname cfile secs; do
        for run in $QUALITY_RUNS; do
            args=$(quality_args "$run") || exit 2
            : >"$TMP/q.losses"
            steps=
            for seed in $QUALITY_SEEDS; do
                echo "quality: $tool --time $secs --seed $seed $args $cfile ..." >&2
                # shellcheck disable=SC2086 # the preset is a list of options
                "$tool" --time "$secs" --seed "$seed" $args -o "$TMP/q.ckpt" "$cfile" \
                    2>"$TMP/q.log" </dev/null || {
                    echo "run.sh: train-charrnn failed:" >&2
                    cat "$TMP/q.log" >&2
                    exit 1
                }
                sed -n '2,3p' "$TMP/q.log" >&2
                tail -n 2 "$TMP/q.log" | head -n 1 >&2
                pat='.*after \([0-9]*\) steps.*best validation loss \([0-9.]*\) nats.*'
                sed -n "s/$pat/\\2 \\1/p" "$TMP/q.log" | tail -n 1 >>"$TMP/q.losses"
            done
            losses=$(cut -d' ' -f1 "$TMP/q.losses" | tr '\n' ' ')
            steps=$(cut -d' ' -f2 "$TMP/q.losses" | median)
            printf '  %s, %s s, %-9s median %s (seeds: %s; median %s steps)\n' "$cname" "$secs" \
                "$run:" "$(cut -d' ' -f1 "$TMP/q.losses" | median)" "${losses% }" "$steps"
        done
    done <"$TMP/cases"
    echo "  goals (issue 16): defaults at 180 s on tinyshakespeare 1.45 or lower; on the" \
        "almanac at 60 s 1.15 or lower"
else
    echo "quality benchmark (defaults, preset and the previous defaults at 60 and 180 s, 3 seeds):" \
        "skipped; run with QUALITY=1"
fi
