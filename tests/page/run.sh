#!/bin/sh
# run.sh: the bot's web page (dump --html) in headless Chromium. For an LSTM, a GRU and an RNN,
# each with one-hot and with embedded input: with 32-bit weights the page's argmax text for three
# primes equals sample --argmax and its next-character probabilities equal ours (probs.c, from
# tests/ml5) within 1e-5, on WebAssembly SIMD and on plain JavaScript (engine=js); with 16-bit
# weights the difference is measured and printed. Then a model whose vocabulary, name and
# lineage hold markup (nothing may run), every tab used with a screenshot of each at laptop and
# phone width, and a 2 x 256 page's load time and speed on both engines (reported, not
# asserted). No request may leave any page. Prints "ok NAME", "FAIL NAME: why",
# "skip NAME: why" or "note NAME: ..." per test and "page: N passed, N failed, N skipped" last;
# exits 1 if a test failed.
#
# Needs node (18 or later), npm and Debian's chromium (or $CHROMIUM); puppeteer-core
# (package.json, an exact version) is installed into tests/page/node_modules on the first run.
# CI: apt-get install -y nodejs npm chromium && sh tests/page/run.sh. KEEP=1 keeps the work
# folder (screenshots, pages) and prints its name.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
npass=0 nfail=0 nskip=0

skip() { printf "skip %s: %s\n" "$1" "$2"; nskip=$((nskip + 1)); }
bad() { printf "FAIL %s: %s\n" "$1" "$2"; nfail=$((nfail + 1)); }
finish() {
    echo "page: $npass passed, $nfail failed, $nskip skipped"
    [ "$nfail" -eq 0 ] && exit 0
    exit 1
}
limit() { if command -v timeout > /dev/null 2>&1; then timeout 600 "$@"; else "$@"; fi; }
# the lines of page_test.js, counted
count() {
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
        "ok "*) npass=$((npass + 1)) ;;
        "FAIL "*) nfail=$((nfail + 1)) ;;
        esac
    done < "$1"
}
browser() { # NAME ARGS...: page_test.js, its findings counted; a crash is a failure
    n=$1
    shift
    if ! limit node "$here/page_test.js" "$@" > "$work/node.out" 2>&1 ||
        ! grep -q '^ok \|^FAIL ' "$work/node.out"; then
        bad "$n" "page_test.js: $(head -c 600 "$work/node.out")"
    else
        count "$work/node.out"
    fi
}

if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
    skip page "node and npm are not installed (apt-get install nodejs npm)"
    finish
fi
if [ ! -x "$CHROMIUM" ]; then
    skip page "$CHROMIUM is not installed (apt-get install chromium, or set CHROMIUM)"
    finish
fi
if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
    echo "tests/page: installing puppeteer-core into tests/page/node_modules" >&2
    if ! (cd "$here" && limit npm ci --no-audit --no-fund > "$here/node_modules.log" 2>&1); then
        skip page "cannot install puppeteer-core: npm ci failed (see tests/page/node_modules.log)"
        finish
    fi
    rm -f "$here/node_modules.log"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-page.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "tests/page: work folder $work" >&2
else trap 'rm -rf "$work"' EXIT; fi

if ! make -s -C "$root" all > "$work/make.log" 2>&1; then
    bad build "make failed: $(tail -5 "$work/make.log")"
    finish
fi
PROBS=$root/build/page-tests/probs
mkdir -p "$(dirname "$PROBS")"
if ! ${CC:-cc} -std=c11 -O2 -I"$root/include" "$root/tests/ml5/probs.c" \
    "$root/build/release/libcharrnn.a" -lm -lpthread -o "$PROBS" > "$work/cc.log" 2>&1; then
    bad build "cannot build tests/ml5/probs.c: $(head -5 "$work/cc.log")"
    finish
fi
BIN=$root/bin
corpus=$root/corpora/harbour-almanac.txt
N=200 # characters of argmax text compared

# compare NAME DIR MODEL PRIME...: for each prime, sample --argmax and probs.c into DIR, where
# page32.html and page16.html are; then the pages against them
compare() {
    cname=$1 cdir=$2 cmodel=$3
    shift 3
    echo $N > "$cdir/n.txt"
    k=1
    for prime in "$@"; do
        printf '%s' "$prime" > "$cdir/prime-$k.txt"
        "$BIN/sample" --argmax -n $N --prime "$prime" "$cmodel" > "$cdir/argmax-$k.txt" 2> /dev/null &&
            "$PROBS" "$cmodel" "$prime" > "$cdir/probs-$k.tsv" || bad "$cname" "sample or probs failed"
        k=$((k + 1))
    done
    browser "$cname" model "$cdir" "$cname"
}

# ---- each cell, one-hot and embedded: argmax text and probabilities ----
for cell in lstm gru rnn; do
    for input in onehot embed; do
        name=${cell}_$input
        d=$work/$name
        mkdir -p "$d"
        if [ $input = embed ]; then shape="--embed 16"; else shape=""; fi
        # shellcheck disable=SC2086
        if ! "$BIN/train-charrnn" --cell $cell --layers 2 --hidden 40 $shape --seq-len 32 \
            --batch 8 --steps 400 --eval-every 100 --lr 0.02 --threads 1 --quiet \
            -o "$d/bot.ckpt" "$corpus" 2> "$work/err" ||
            ! "$BIN/dump" --html "$d/page32.html" --html-precision 32 "$d/bot.ckpt" 2> "$work/err" ||
            ! "$BIN/dump" --html "$d/page16.html" "$d/bot.ckpt" 2> "$work/err"; then
            bad "$name" "$(cat "$work/err")"
            continue
        fi
        compare "$name" "$d" "$d/bot.ckpt" "THE FIRST OF MAY." "The tide turns
at" "a"
    done
done

# ---- the address drives the page, as chromium --dump-dom sees it (no puppeteer) ----
d=$work/lstm_onehot
if [ -f "$d/page32.html" ]; then
    limit "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/dom-profile" \
        --dump-dom "file://$d/page32.html#prime=THE%20FIRST%20OF%20MAY.&argmax=1&n=20" > "$work/dom.html" 2> /dev/null
    got=$(tr '\n' '\001' < "$work/dom.html" |
        sed -n 's|.*<span id="output-prime" class="prime">\([^<]*\)</span><span id="output-new">\([^<]*\)</span>.*|\1\2|p' |
        tr '\001' '\n' | sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e 's/&amp;/\&/g')
    want=$("$BIN/sample" --argmax -n 20 --prime "THE FIRST OF MAY." "$d/bot.ckpt" 2> /dev/null)
    if [ -n "$got" ] && [ "$got" = "$want" ]; then
        echo "ok   address_drives_dump_dom (the text of sample --argmax)"
        npass=$((npass + 1))
    else
        bad address_drives_dump_dom "the page wrote '$got', sample '$want'"
    fi
fi

# ---- ml5.js models, whose vocabularies hold keys that are not one character ----
models=${SHARED:-$(dirname "$root")/shared}/ml5-models
if [ -d "$models/shakespeare" ]; then
    d=$work/ml5_shakespeare
    mkdir -p "$d"
    if "$BIN/dump" --html "$d/page32.html" --html-precision 32 "$models/shakespeare" 2> "$work/err" &&
        "$BIN/dump" --html "$d/page16.html" "$models/shakespeare" 2> "$work/err"; then
        compare ml5_shakespeare "$d" "$models/shakespeare" "ROMEO:
What light is this" "KING HENRY:
O" "Th"
    else
        bad ml5_shakespeare "$(cat "$work/err")"
    fi
else
    skip ml5_shakespeare "$models missing (the ml5 models to test with)"
fi

# ---- markup in the vocabulary, the model's name and the lineage ----
x=$work/xss
xdir='x</script>'
mkdir -p "$x/$xdir"
src="$x/$xdir/<img src=x onerror=alert(1)>.txt"
{ cat "$corpus"; printf '<img src=x onerror=alert(1)></script>\n'; } > "$src"
if "$BIN/train-charrnn" --layers 1 --hidden 24 --seq-len 32 --batch 8 --steps 30 --threads 1 \
    --quiet -o "$x/<img src=x onerror=alert(1)>.ckpt" "$src" 2> "$work/err" &&
    "$BIN/dump" --html "$x/xss.html" "$x/<img src=x onerror=alert(1)>.ckpt" 2> "$work/err"; then
    browser xss xss "$x"
else
    bad xss "$(cat "$work/err")"
fi

# ---- every tab, with screenshots ----
t=$work/tabs
mkdir -p "$t"
if "$BIN/train-charrnn" --layers 2 --hidden 48 --seq-len 32 --batch 8 --steps 150 \
    --eval-every 50 --lr 0.01 --threads 1 --quiet -o "$t/bot.ckpt" "$corpus" 2> "$work/err" &&
    "$BIN/dump" --html "$t/tabs.html" "$t/bot.ckpt" 2> "$work/err"; then
    browser tabs tabs "$t"
else
    bad tabs "$(cat "$work/err")"
fi

# ---- a 2 x 256 LSTM: size, load time and speed, reported ----
s=$work/speed
mkdir -p "$s"
if "$BIN/train-charrnn" --layers 2 --hidden 256 --seq-len 16 --batch 2 --steps 1 --threads 1 \
    --quiet -o "$s/bot.ckpt" "$corpus" 2> "$work/err" &&
    "$BIN/dump" --html "$s/bot.html" "$s/bot.ckpt" 2> "$work/err"; then
    browser speed speed "$s/bot.html"
else
    bad speed "$(cat "$work/err")"
fi
finish
