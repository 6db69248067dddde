# page.sh: dump --html, the C side: the page is one self-contained file with a policy that forbids
# the network, holds the model but never the corpus, is saved atomically and never replaces what
# is not a regular file, stays small; and its usage errors. (In a browser: tests/page/run.sh.)
. tests/cli/lib.sh
printf 'The harbour keeps a zebra quartz secret line.\n' > "$work/corpus.txt"
cat $CORPUS >> "$work/corpus.txt"
train-charrnn $TINY --steps 12 --eval-every 4 -o "$work/x.ckpt" "$work/corpus.txt" 2>/dev/null

# the page's markup, without its data blocks and script (the text between <script...> and </script>)
markup() { awk '/<script/ { sub(/<script.*/, ""); print; skip = 1 } /<\/script>/ { sub(/.*<\/script>/, ""); skip = 0 } !skip' "$1"; }

begin page_is_one_self_contained_file
run dump --html "$work/bot.html" "$work/x.ckpt"
expect_status 0
expect_err "^dump: wrote the web page $work/bot.html (best weights, from step 12, 16-bit weights)$"
[ -s "$work/out" ] && fail "stdout: $(head -c 200 "$work/out")"
p=$work/bot.html
head -c 15 "$p" | grep -q '^<!DOCTYPE html>' || fail "not an HTML page: $(head -c 60 "$p")"
grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]*=' 'wasm-unsafe-eval'; style-src 'sha256-[A-Za-z0-9+/]*='; img-src data:; base-uri 'none'; form-action 'none'\">" "$p" ||
    fail "no policy that forbids the network: $(grep -o '<meta http-equiv[^>]*>' "$p")"
grep -q "'unsafe-inline'\|'unsafe-eval'" "$p" && fail "the policy allows inline code by name"
grep -qi 'https\?:' "$p" && fail "an address: $(grep -oi '.\{30\}https\?:.\{30\}' "$p" | head -3)"
markup "$p" | grep -qi ' src=\| href=\|@import\|url(' && fail "a reference to another file: $(markup "$p" | grep -i ' src=\| href=\|@import\|url(' | head -3)"
[ "$(grep -c '<script>' "$p")" -eq 1 ] || fail "not one script"
grep -q '<script type="application/json" id="bot-meta">{"format":1,' "$p" || fail "no model description"
grep -q '<script type="application/octet-stream" id="bot-weights">[A-Za-z0-9+/]*=*</script>' "$p" ||
    fail "no weights block of base64"
grep -q '"cell":"lstm","layers":1,"hidden":16,"embed":0,"precision":16' "$p" || fail "model: $(grep -o '"cell"[^[]*' "$p")"
grep -q "\"sha256\":\"$(sha256sum < "$work/corpus.txt" | cut -c1-64)\"" "$p" || fail "the source's SHA-256 is missing"
grep -q '"name":"x.ckpt"' "$p" || fail "the model's name is missing"
grep -q 'zebra quartz' "$p" && fail "the corpus text is in the page"
[ -z "$(find "$work" -name '*.tmp-*')" ] || fail "temporary files left: $(find "$work" -name '*.tmp-*')"
end

begin page_weights_16_and_32_bits
n=$(dump "$work/x.ckpt" | sed -n 's/^  parameters  *//p')
run dump --html "$work/b32.html" --html-precision 32 --last "$work/x.ckpt"
expect_status 0
expect_err "latest weights, from step 12, 32-bit weights"
b64len() { sed -n 's/.*id="bot-weights">\([^<]*\)<.*/\1/p' "$1" | tr -d '\n' | wc -c; }
[ "$(b64len "$work/bot.html")" -eq $(((n * 2 + 2) / 3 * 4)) ] || fail "16-bit: $(b64len "$work/bot.html") base64 characters for $n weights"
[ "$(b64len "$work/b32.html")" -eq $(((n * 4 + 2) / 3 * 4)) ] || fail "32-bit: $(b64len "$work/b32.html") base64 characters for $n weights"
grep -q '"precision":32' "$work/b32.html" || fail "32-bit page does not say so"
end

begin page_saved_atomically_and_never_over_what_is_not_a_file
cp "$work/bot.html" "$work/old.html"
ino=$(ls -i "$work/old.html" | cut -d' ' -f1)
run dump --html "$work/old.html" --html-precision 32 "$work/x.ckpt"
expect_status 0
[ "$(ls -i "$work/old.html" | cut -d' ' -f1)" != "$ino" ] || fail "the page was rewritten in place, not replaced"
grep -q '"precision":32' "$work/old.html" || fail "the page was not replaced"
mkdir "$work/folder.html"
run dump --html "$work/folder.html" "$work/x.ckpt"
expect_status 1
expect_one_line_err
expect_err "^dump: $work/folder.html: cannot save there: it is a folder"
[ -d "$work/folder.html" ] || fail "the folder went"
run dump --html "$work/no/such/bot.html" "$work/x.ckpt"
expect_status 1
expect_err "^dump: $work/no/such/bot.html: cannot save there: the folder '$work/no/such' does not exist"
mkfifo "$work/fifo"
timeout 60 cat "$work/fifo" > "$work/from-fifo" &
run dump --html "$work/fifo" "$work/x.ckpt"
wait
expect_status 0
[ -p "$work/fifo" ] || fail "the FIFO was replaced"
cmp -s "$work/from-fifo" "$work/bot.html" || fail "the FIFO did not carry the page"
ln -s "$work/bot.html" "$work/link.html"
run dump --html "$work/link.html" "$work/x.ckpt"
expect_status 0
[ -L "$work/link.html" ] || fail "the link was replaced by a file"
end

begin page_of_gru_rnn_embedding_and_ml5_models
for shape in "--cell gru" "--cell rnn --embed 8"; do
    # shellcheck disable=SC2086
    train-charrnn $TINY $shape --steps 4 -o "$work/s.ckpt" $CORPUS 2>/dev/null
    run dump --html "$work/s.html" "$work/s.ckpt"
    expect_status 0
    grep -q '"name":"l0.bhn"' "$work/s.html"
    case $shape in *gru*) [ $? -eq 0 ] || fail "a GRU page without l0.bhn" ;; esac
    case $shape in *embed*) grep -q '"name":"embed","rows"' "$work/s.html" || fail "no embedding" ;; esac
done
train-charrnn --hidden 16 --layers 2 --seq-len 16 --batch 4 --threads 1 --quiet --steps 4 -o "$work/two.ckpt" $CORPUS 2>/dev/null
dump --ml5 "$work/ml5" "$work/two.ckpt" 2>/dev/null
run dump --html "$work/ml5.html" "$work/ml5"
expect_status 0
grep -q '"layers":2,"hidden":16' "$work/ml5.html" || fail "an ml5.js folder's page: $(grep -o '"layers"[^,]*,[^,]*' "$work/ml5.html")"
end

begin page_2x256_under_3_MB
train-charrnn --hidden 256 --layers 2 --seq-len 16 --batch 2 --threads 1 --quiet --steps 1 -o "$work/big.ckpt" $CORPUS 2>/dev/null
run dump --html "$work/big.html" "$work/big.ckpt"
expect_status 0
size=$(wc -c < "$work/big.html")
[ "$size" -lt 3000000 ] || fail "a 2 x 256 page is $size bytes"
end

begin page_usage_errors
for args in "--html-precision 8 --html p.html" "--html-precision 32" "--html p.html --json" \
    "--html= " "--html-precision 16.0 --html p.html"; do
    # shellcheck disable=SC2086
    run dump $args "$work/x.ckpt"
    expect_status 2
    expect_err "^Try 'dump --help'"
done
run dump --html ""  "$work/x.ckpt"
expect_status 2
expect_err "^dump: --html: the file name is empty"
run dump --html-precision 8 --html p.html "$work/x.ckpt"
expect_err "^dump: --html-precision: '8' is not 16 or 32 (bits per weight)"
[ -e p.html ] && fail "a page was written"
run dump --help
expect_out "--html FILE"
end
