#!/bin/sh
# run.sh: the ml5.js bridge against the real thing. Our next-character probabilities, and the text
# of sample --argmax, are compared with a TensorFlow.js 1.7.4 reference of ml5 0.12.2's CharRNN
# (ref.js, in Node), and with ml5 0.12.2 itself in headless Chromium (page.js): for the two ml5
# models in ../shared/ml5-models (import), for those models exported again and for models trained
# here (export, dump --ml5); and the p5.js sketch of docs/ml5.md runs with an exported bot. Prints "ok NAME", "FAIL NAME: why" or "skip NAME: why" per test and
# "ml5: N passed, N failed, N skipped" last; exits 1 if a test failed.
#
# Needs node (18 or later) and npm, and for the page tests Debian's chromium (or $CHROMIUM); the
# npm packages (package.json, exact versions) are installed into tests/ml5/node_modules on the
# first run. Without node, npm or the packages everything is skipped; without chromium, the page
# tests. CI: apt-get install -y nodejs npm chromium && sh tests/ml5/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SHARED=${SHARED:-$(dirname "$root")/shared}
models=$SHARED/ml5-models
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
TOL=1e-5        # the largest difference allowed between two probabilities
N=200           # characters of argmax text compared
npass=0 nfail=0 nskip=0

ok() { printf "ok   %s\n" "$1"; npass=$((npass + 1)); }
bad() { printf "FAIL %s: %s\n" "$1" "$2"; nfail=$((nfail + 1)); }
skip() { printf "skip %s: %s\n" "$1" "$2"; nskip=$((nskip + 1)); }
finish() {
    echo "ml5: $npass passed, $nfail failed, $nskip skipped"
    [ "$nfail" -eq 0 ] && exit 0
    exit 1
}
# bounded: a hung browser or server must not hang CI
limit() { if command -v timeout > /dev/null 2>&1; then timeout 300 "$@"; else "$@"; fi; }

ALL="node_and_packages"
if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
    skip "$ALL" "node and npm are not installed (apt-get install nodejs npm)"
    finish
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 18 ]; then
    skip "$ALL" "node $(node --version) is too old: 18 or later is needed"
    finish
fi
if [ ! -f "$here/node_modules/ml5/dist/ml5.min.js" ] ||
    [ ! -f "$here/node_modules/@tensorflow/tfjs/package.json" ] ||
    [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
    echo "tests/ml5: installing the npm packages into tests/ml5/node_modules (about 270 MB)" >&2
    if ! (cd "$here" && limit npm ci --no-audit --no-fund > "$here/node_modules.log" 2>&1); then
        skip "$ALL" "cannot install the npm packages: npm ci failed (see tests/ml5/node_modules.log)"
        finish
    fi
    rm -f "$here/node_modules.log"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-ml5.XXXXXX")
trap 'rm -rf "$work"' EXIT

# our side: the tools and a small program that prints our probabilities
if ! make -s -C "$root" all > "$work/make.log" 2>&1; then
    bad build "make failed: $(tail -5 "$work/make.log")"
    finish
fi
PROBS=$root/build/ml5-tests/probs
mkdir -p "$(dirname "$PROBS")"
if ! ${CC:-cc} -std=c11 -O2 -I"$root/include" "$here/probs.c" "$root/build/release/libcharrnn.a" \
    -lm -lpthread -o "$PROBS" > "$work/cc.log" 2>&1; then
    bad build "cannot build tests/ml5/probs.c: $(head -5 "$work/cc.log")"
    finish
fi
ok build
BIN=$root/bin

# probs NAME MODEL_OURS MODEL_ML5 PRIME: our probabilities against ref.js's, after each character.
probs() {
    if ! "$PROBS" "$2" "$4" > "$work/ours.tsv" 2> "$work/err"; then
        bad "$1" "probs: $(cat "$work/err")"
    elif ! limit node "$here/ref.js" probs "$3" "$4" > "$work/ref.tsv" 2> "$work/err"; then
        bad "$1" "ref.js: $(grep -v '^Hi there\|^=\|^$' "$work/err" | head -5)"
    elif node "$here/compare.js" "$work/ours.tsv" "$work/ref.tsv" "$TOL" > "$work/cmp" 2>&1; then
        ok "$1 ($(cat "$work/cmp"))"
    else
        bad "$1" "$(cat "$work/cmp")"
    fi
}

# argmax NAME MODEL_OURS MODEL_ML5 PRIME: sample --argmax against ref.js's likeliest characters.
argmax() {
    if ! "$BIN/sample" --argmax -n "$N" --prime "$4" "$2" > "$work/ours.txt" 2> "$work/err"; then
        bad "$1" "sample: $(cat "$work/err")"
    elif ! limit node "$here/ref.js" argmax "$3" "$4" "$N" > "$work/ref.txt" 2> "$work/err"; then
        bad "$1" "ref.js: $(grep -v '^Hi there\|^=\|^$' "$work/err" | head -5)"
    elif cmp -s "$work/ours.txt" "$work/ref.txt"; then
        ok "$1 ($N characters identical)"
    else
        bad "$1" "the texts differ: ours $(head -c 120 "$work/ours.txt" | od -c | head -3),"\
" ml5's $(head -c 120 "$work/ref.txt" | od -c | head -3)"
    fi
}

# page NAME MODEL_OURS MODEL_ML5 PRIME: ml5 0.12.2 in Chromium generates, with our probabilities.
page() {
    if [ ! -x "$CHROMIUM" ]; then
        skip "$1" "$CHROMIUM is not installed (apt-get install chromium, or set CHROMIUM)"
    elif ! "$PROBS" "$2" "$4" > "$work/ours.tsv" 2> "$work/err"; then
        bad "$1" "probs: $(cat "$work/err")"
    elif limit node "$here/page.js" "$3" "$4" "$work/ours.tsv" "$TOL" > "$work/page" 2>&1; then
        ok "$1 ($(head -1 "$work/page"))"
    else
        bad "$1" "$(head -c 600 "$work/page")"
    fi
}

# sketch NAME MODEL_ML5: the p5.js sketch of docs/ml5.md, as printed there, writes with the model.
sketch() {
    if [ ! -x "$CHROMIUM" ]; then
        skip "$1" "$CHROMIUM is not installed (apt-get install chromium, or set CHROMIUM)"
    elif limit node "$here/sketch_test.js" "$2" "$root/docs/ml5.md" > "$work/sketch" 2>&1; then
        ok "$1 ($(head -1 "$work/sketch"))"
    else
        bad "$1" "$(head -c 600 "$work/sketch")"
    fi
}

# ---- import: ml5's own models ----
if [ -d "$models/bolano" ] && [ -d "$models/shakespeare" ]; then
    for name in bolano shakespeare; do
        case $name in
        bolano) prime="The meaning of pizza is" ;;
        *) prime="ROMEO:
What light is this" ;; # no u or U: ml5 cannot read them in this model (docs/ml5.md)
        esac
        m=$models/$name
        probs "import_probs_$name" "$m" "$m" "$prime"
        argmax "import_argmax_$name" "$m" "$m" "$prime"
        page "page_import_$name" "$m" "$m" "$prime"
        if "$BIN/dump" --ml5 "$work/$name" "$m" > /dev/null 2> "$work/err"; then
            probs "export_probs_$name" "$m" "$work/$name" "$prime"
            argmax "export_argmax_$name" "$m" "$work/$name" "$prime"
            page "page_export_$name" "$m" "$work/$name" "$prime"
            [ $name = bolano ] && sketch sketch_bolano "$work/$name"
        else
            bad "export_$name" "dump --ml5: $(cat "$work/err")"
        fi
    done
else
    skip import "$models missing (the ml5 models to test with)"
fi

# ---- export: models trained here, with an embedding and one-hot ----
prime="THE FIRST OF MAY."
corpus=$root/corpora/harbour-almanac.txt
for kind in embed onehot; do
    if [ $kind = embed ]; then shape="--hidden 48 --embed 24"; else shape="--hidden 40"; fi
    # shellcheck disable=SC2086
    if "$BIN/train-charrnn" --layers 2 $shape --seq-len 32 --batch 8 --steps 150 \
        --eval-every 50 --lr 0.01 --threads 1 --quiet -o "$work/$kind.ckpt" "$corpus" \
        2> "$work/err" && "$BIN/dump" --ml5 "$work/$kind" "$work/$kind.ckpt" 2> "$work/err"; then
        probs "export_probs_trained_$kind" "$work/$kind.ckpt" "$work/$kind" "$prime"
        argmax "export_argmax_trained_$kind" "$work/$kind.ckpt" "$work/$kind" "$prime"
        page "page_export_trained_$kind" "$work/$kind.ckpt" "$work/$kind" "$prime"
        [ $kind = embed ] && sketch sketch_trained "$work/$kind"
    else
        bad "export_trained_$kind" "$(cat "$work/err")"
    fi
done
finish
