# trace.sh: what a text copies from its corpus: planted spans with known places, JSON, the page
# (in headless Chromium too: trace_page.js), the checkpoint's lineage, a saved index, errors.
. tests/cli/lib.sh
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# The corpus: spans planted at the very start of one.txt, across a line break, in Cyrillic, and at
# the very end of one.txt (no final newline); one span in both two.txt (CRLF lines) and
# three.txt (a lone CR).
printf 'Salt wind on the harbour wall at dawn, said the first line.\nThe boats came in late\nand the nets were empty again.\nСтарое море помнит всех рыбаков.\nNothing else to say here.\nThe lamp keeps burning until morning' > "$work/one.txt"
printf 'Harbour notes\r\nA gull is a thief with good manners.\r\n' > "$work/two.txt"
printf 'x\ry a thief with good manners, said everyone.\n' > "$work/three.txt"
# The text: each planted span between '|', which the corpus lacks, so each ends exactly there.
printf '|Salt wind on the harbour wall|\nwe|came in late\nand the nets|go\n|море помнит всех рыбаков| ok\n|a thief with good manners|\nNothing else to say here.\n|keeps burning until morning|\nand nothing here is copied at all, not one bit of it [sic] \\o/.\n' > "$work/gen.txt"
printf 'Fresh words only: zebras quarrel over jam.\n' > "$work/novel.txt"
# wrun CMD...: run, in the work folder (so that file names are short and exact)
wrun() { (cd "$work" && "$@") > "$work/out" 2> "$work/err"; st=$?; }

begin trace_planted_spans_exact_output
wrun trace one.txt two.txt three.txt < "$work/gen.txt"
expect_status 0
cat > "$work/want" <<'EOF'
|[[Salt wind on the harbour wall]]|
we|[[came in late
and the nets]]|go
|[[море помнит всех рыбаков]]| ok
|[[a thief with good manners]]|[[
Nothing else to say here.
]]|[[keeps burning until morning]]|
and nothing here is copied at all, not one bit of it \[sic\] \\o/.

copied: 157 of 242 characters (64.9%), in 6 spans of 20 or more
longest: 29 characters, from one.txt:1:1
whole lines copied: 1 of 8 non-blank lines
quoted most: one.txt (5 spans, 132 characters); two.txt (1 span, 25 characters)
EOF
cmp -s "$work/out" "$work/want" || fail "output differs: $(diff "$work/want" "$work/out")"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
cp "$work/want" "$work/planted.want"
# --text FILE reads the same text; a larger --min keeps only the longer spans
wrun trace --text gen.txt one.txt two.txt three.txt < /dev/null
cmp -s "$work/out" "$work/want" || fail "--text gave another result"
wrun trace --min 27 one.txt two.txt three.txt < "$work/gen.txt"
expect_out "^copied: 83 of 242 characters (34.3%), in 3 spans of 27 or more$"
# the marks never depend on the order of the corpus files but for which is "first"
wrun trace three.txt two.txt one.txt < "$work/gen.txt"
expect_out "^quoted most: one.txt (5 spans, 132 characters); three.txt (1 span, 25 characters)$"
end

begin trace_json_places_are_exact
wrun trace --json one.txt two.txt three.txt < "$work/gen.txt"
expect_status 0
cp "$work/out" "$work/gen.json"
expect_out '^{"min": 20, "characters": 242, "copied": 157, "share": 0.64876,$'
expect_out '"start": 35, "length": 25, "line": 2, "column": 4, "source": {"file": "one.txt", "index": 0, "line": 2, "column": 11}, "others": 0, "text": "came in late\\nand the nets"}'
expect_out '"start": 65, "length": 24, "line": 4, "column": 2, "source": {"file": "one.txt", "index": 0, "line": 4, "column": 8}, "others": 0, "text": "море помнит всех рыбаков"}'
expect_out '"start": 95, "length": 25, "line": 5, "column": 2, "source": {"file": "two.txt", "index": 1, "line": 2, "column": 11}, "others": 1,'
expect_out '"start": 149, "length": 27, "line": 7, "column": 2, "source": {"file": "one.txt", "index": 0, "line": 6, "column": 10}, "others": 0,'
if [ $have_python -eq 1 ]; then
    # every span is where it says, in the text and in its source, as an editor counts lines
    python3 - "$work" <<'EOF' || fail "a span is not where the JSON says"
import json, re, sys
w = sys.argv[1]
d = json.load(open(f"{w}/gen.json", encoding="utf-8"))
text = open(f"{w}/gen.txt", encoding="utf-8", newline="").read()
def lines(s):
    return re.split(r"\r\n|\r|\n", s)
assert len(d["spans"]) == 6 and d["whole_lines"] == 1 and d["lines"] == 8
for s in d["spans"]:
    piece = text[s["start"]:s["start"] + s["length"]]
    assert piece == s["text"], s
    before = text[:s["start"]]
    assert len(lines(before)) == s["line"] and len(lines(before)[-1]) + 1 == s["column"], s
    src = open(f"{w}/{s['source']['file']}", encoding="utf-8", newline="").read()
    ls = lines(src)
    seps = re.findall(r"\r\n|\r|\n", src)
    at = sum(len(l) + len(e) for l, e in zip(ls[:s["source"]["line"] - 1], seps))
    at += s["source"]["column"] - 1
    assert src[at:at + s["length"]] == piece, s
EOF
else
    skip trace_json_python_checks "python3 missing"
fi
end

begin trace_nothing_copied
wrun trace one.txt two.txt < "$work/novel.txt"
expect_status 0
printf 'Fresh words only: zebras quarrel over jam.\n\nnothing copied: no run of 20 or more characters of the text (43 characters) occurs in the corpus\n' > "$work/want"
cmp -s "$work/out" "$work/want" || fail "output differs: $(cat "$work/out")"
wrun trace --json one.txt < "$work/novel.txt"
expect_out '"spans": \[\],'
expect_out '"longest": null,'
: > "$work/empty.txt"
wrun trace one.txt < "$work/empty.txt"
expect_status 0
expect_out "^nothing copied: the text is empty$"
end

begin trace_colour_on_request_only
wrun trace --color always one.txt < "$work/gen.txt"
expect_status 0
grep -q "$(printf '\033')\[7mSalt wind on the harbour wall$(printf '\033')\[0m|" "$work/out" ||
    fail "no reverse video: $(head -c 200 "$work/out" | od -c | head -3)"
grep -q '\[\[' "$work/out" && fail "plain marks in colour"
wrun trace one.txt < "$work/gen.txt"
grep -q "$(printf '\033')" "$work/out" && fail "colour in a pipe"
NO_COLOR=1; export NO_COLOR
wrun trace --color auto one.txt < "$work/gen.txt"
grep -q "$(printf '\033')" "$work/out" && fail "colour with NO_COLOR"
unset NO_COLOR
end

begin trace_html_escapes_everything
printf 'a quiet harbour line one\n<img src=x onerror=alert(1)> & "it" is <b>bold</b>\n' > "$work/evil.txt"
printf 'so then <img src=x onerror=alert(1)> & "it" is <b>bold</b> was\n' > "$work/evil-gen.txt"
cp "$work/evil.txt" "$work/<b>name&.txt"
wrun trace --min 10 --html page.html "<b>name&.txt" < "$work/evil-gen.txt"
expect_status 0
expect_out "^copied: 50 of 63 characters"
grep -q '<img' "$work/page.html" && fail "a raw <img in the page"
grep -q '<b>' "$work/page.html" && fail "a raw <b> in the page"
grep -q '&lt;img src=x onerror=alert(1)&gt; &amp; &quot;it&quot; is &lt;b&gt;bold&lt;/b&gt;' "$work/page.html" ||
    fail "the text is not escaped as expected"
grep -q 'copied from &lt;b&gt;name&amp;.txt, line 2, column 1' "$work/page.html" || fail "no escaped source"
grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';" "$work/page.html" ||
    fail "no Content-Security-Policy"
# nothing but the page's own elements, nothing that loads
tags=$(grep -o '<[a-zA-Z][a-zA-Z0-9]*' "$work/page.html" | sort -u | tr '\n' ' ')
[ "$tags" = "<body <div <h1 <head <html <li <mark <meta <style <title <ul " ] || fail "tags: $tags"
grep -qi 'href=\|url(\|@import' "$work/page.html" && fail "a reference to another file"
grep -o 'src=[^ ]*' "$work/page.html" | grep -qv '^src=x$' && fail "a src attribute"
[ "$(ls "$work" | grep -c '^page.html')" -eq 1 ] || fail "a temporary file was left: $(ls "$work")"
end

begin trace_html_written_atomically_or_in_place
printf 'old page\n' > "$work/keep.html"
chmod 644 "$work/keep.html"
(umask 022 && cd "$work" && trace --min 10 --html keep.html evil.txt < evil-gen.txt > /dev/null)
grep -q '<!DOCTYPE html>' "$work/keep.html" || fail "the page was not replaced"
[ "$(stat -c %a "$work/keep.html")" = 644 ] || fail "mode $(stat -c %a "$work/keep.html")"
[ "$(ls "$work" | grep -c 'keep.html')" -eq 1 ] || fail "a temporary file was left"
# a FIFO is written into, never replaced
mkfifo "$work/fifo.html"
timeout 60 cat "$work/fifo.html" > "$work/from-fifo" &
reader=$!
(cd "$work" && trace --min 10 --html fifo.html evil.txt < evil-gen.txt > /dev/null)
wait $reader
[ -p "$work/fifo.html" ] || fail "the FIFO was replaced"
grep -q '</html>' "$work/from-fifo" || fail "the page did not go through the FIFO"
# a link to a page stays a link; the page it points to is replaced
ln -s keep.html "$work/link.html"
(cd "$work" && trace --min 10 --html link.html evil.txt < evil-gen.txt > /dev/null)
[ -L "$work/link.html" ] || fail "the link to the page became a file"
# a page cannot be written into a folder that is not there
wrun trace --html no/such/dir/p.html evil.txt < "$work/evil-gen.txt"
expect_status 1
expect_err "^trace: no/such/dir/p.html: cannot write the page: cannot save there: the folder 'no/such/dir' does not exist$"
expect_one_line_err
end

begin trace_html_opens_in_chromium
if [ ! -x "$CHROMIUM" ]; then
    skip trace_html_opens_in_chromium "$CHROMIUM is not installed (apt-get install chromium, or set CHROMIUM)"
else
    shots="$ROOT/build/screenshots"
    mkdir -p "$shots"
    (cd "$work" && trace --min 10 --html "$work/evil.html" evil.txt one.txt < evil-gen.txt > /dev/null)
    limit() { if command -v timeout > /dev/null 2>&1; then timeout 120 "$@"; else "$@"; fi; }
    flags="--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=$work/chromium"
    # shellcheck disable=SC2086
    limit "$CHROMIUM" $flags --dump-dom "file://$work/evil.html" > "$work/dom" 2> "$work/chromium.log"
    grep -q '<mark' "$work/dom" || fail "Chromium did not render the page: $(tail -3 "$work/chromium.log")"
    grep -q '<img' "$work/dom" && fail "Chromium made an <img> element from the corpus"
    grep -q '&lt;img src=x onerror=alert(1)&gt;' "$work/dom" || fail "the corpus line is not shown as text"
    # shellcheck disable=SC2086
    limit "$CHROMIUM" $flags --window-size=900,600 --screenshot="$shots/trace.png" \
        "file://$work/evil.html" > /dev/null 2>> "$work/chromium.log"
    [ -s "$shots/trace.png" ] || fail "no screenshot"
    # through the DevTools protocol: every request, dialog and element, and the pointer on a copy
    if command -v node > /dev/null 2>&1; then
        limit node tests/cli/trace_page.js "$work/evil.html" "$shots/trace-hover.png" > "$work/page" 2>&1 ||
            fail "in Chromium: $(cat "$work/page")"
        # the same checks find a page that loads and runs what it should not
        printf '<!DOCTYPE html><link rel=stylesheet href="http://127.0.0.1:9/x.css"><mark>x</mark><img src=x onerror=alert(1)>\n' > "$work/bad.html"
        limit node tests/cli/trace_page.js "$work/bad.html" "$work/bad.png" > "$work/page" 2>&1 &&
            fail "a page with an image and a style sheet to load passed"
        grep -q 'it asked for http://127.0.0.1:9/x.css' "$work/page" && grep -q 'dialogs opened: alert' "$work/page" ||
            fail "the bad page's requests or dialog went unseen: $(cat "$work/page")"
    else
        skip trace_html_in_chromium_devtools "node is not installed (apt-get install nodejs)"
    fi
fi
end

begin trace_ckpt_lineage
cp $CORPUS "$work/almanac.txt"
(cd "$work" && train-charrnn $TINY --steps 1 -o x.ckpt almanac.txt one.txt 2> /dev/null)
# its files not here (they were named from the folder it was trained in): a list, what to do
mkdir "$work/elsewhere"
(cd "$work/elsewhere" && trace --ckpt ../x.ckpt < ../gen.txt) > "$work/out" 2> "$work/err"
st=$?
expect_status 0
printf 'almanac.txt\none.txt\n' > "$work/want"
cp "$work/want" "$work/list.want"
cmp -s "$work/out" "$work/want" || fail "lineage list: $(cat "$work/out")"
expect_err "^trace: ../x.ckpt was trained on almanac.txt, which is not here$"
expect_err "^trace: ../x.ckpt was trained on one.txt, which is not here$"
expect_err "^trace: ../x.ckpt was trained on the 2 files above; to see what a text copies from them: trace --ckpt ../x.ckpt FILE... < text$"
# trained on standard input: its text cannot be found again, and the note says so
head -c 2000 "$work/almanac.txt" | (cd "$work" && train-charrnn $TINY --steps 1 -o piped.ckpt)
(cd "$work" && trace --ckpt piped.ckpt --text gen.txt) > "$work/out" 2> "$work/err"
st=$?
expect_status 1
expect_err "^trace: piped.ckpt was trained on standard input, whose text is not kept$"
grep -q 'which is not here' "$work/err" && fail "standard input called a missing file: $(cat "$work/err")"
# nothing piped in, as in a script run with /dev/null: the list, even with the files here
(cd "$work" && trace --ckpt x.ckpt < /dev/null) > "$work/out" 2> /dev/null
cmp -s "$work/out" "$work/list.want" || fail "empty standard input did not list: $(cat "$work/out")"
# in one log, the list comes before the note that calls it "above"
(cd "$work/elsewhere" && trace --ckpt ../x.ckpt < ../gen.txt 2>&1) | tail -n 3 > "$work/out"
expect_out "^one.txt$"
[ "$(tail -n 1 "$work/out" | cut -c1-28)" = "trace: ../x.ckpt was trained" ] ||
    fail "the note is not after the list: $(cat "$work/out")"
(cd "$work/elsewhere" && trace --ckpt ../x.ckpt --json < /dev/null) > "$work/out" 2> /dev/null
expect_out '^{"trained_on": \[$'
expect_out '^  {"file": "one.txt", "bytes": 236, "sha256": "[0-9a-f]\{64\}"}$'
# its files here as they were: traced with them, as if they were given
wrun trace --ckpt x.ckpt < "$work/gen.txt"
expect_status 0
expect_err "^trace: tracing with the 2 files x.ckpt was trained on, found here as they were$"
expect_one_line_err
(cd "$work" && trace almanac.txt one.txt < gen.txt > want 2> /dev/null)
cmp -s "$work/out" "$work/want" || fail "not the trace with its files: $(diff "$work/want" "$work/out")"
wrun trace --json --ckpt x.ckpt --text gen.txt
expect_status 0
expect_out '{"file": "almanac.txt", "bytes": 121589, "sha256": "[0-9a-f]*", "status": "given"}'
wrun trace --ckpt x.ckpt almanac.txt one.txt < "$work/gen.txt"
expect_status 0
expect_err "^trace: the corpus files given include all 2 files x.ckpt was trained on$"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "stderr: $(cat "$work/err")"
wrun trace --ckpt x.ckpt one.txt two.txt < "$work/gen.txt"
expect_status 0
expect_err "^trace: x.ckpt was trained on almanac.txt (121589 bytes), which is not among the corpus files given: copies from it go unseen; add it to the command$"
expect_err "^trace: two.txt is not among the files x.ckpt was trained on$"
expect_out "^quoted most: one.txt"
printf 'changed\n' >> "$work/almanac.txt"
wrun trace --json --ckpt x.ckpt almanac.txt one.txt < "$work/gen.txt"
expect_status 0
expect_err "^trace: x.ckpt was trained on almanac.txt (121589 bytes, SHA-256 [0-9a-f]\{12\}...), but almanac.txt given here differs (121597 bytes): it has changed since"
expect_out '{"file": "almanac.txt", "bytes": 121589, "sha256": "[0-9a-f]*", "status": "different"}'
expect_out '{"file": "one.txt", "bytes": 236, "sha256": "[0-9a-f]*", "status": "given"}'
# a file changed since: the list again, and what changed; asked for a trace of a file, an error
wrun trace --ckpt x.ckpt < "$work/gen.txt"
expect_status 0
cmp -s "$work/out" "$work/list.want" || fail "lineage list: $(cat "$work/out")"
expect_err "^trace: x.ckpt was trained on almanac.txt, which has changed since (121589 bytes then, 121597 now)$"
wrun trace --ckpt x.ckpt --text gen.txt
expect_status 1
expect_err "^trace: x.ckpt: cannot trace without the files it was trained on (above); give the corpus files: trace --ckpt x.ckpt FILE...$"
[ -s "$work/out" ] && fail "output before the error"
end

begin trace_index_saved_and_read_back
# saved while tracing, then read back: the same output, with or without the corpus files
wrun trace --save-index i.idx one.txt two.txt three.txt < "$work/gen.txt"
expect_status 0
cmp -s "$work/out" "$work/planted.want" || fail "--save-index changed the trace"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
[ "$(head -c 4 "$work/i.idx" | od -An -tx1 | tr -d ' ')" = 89435258 ] || fail "no index signature"
[ "$(ls "$work" | grep -c 'i.idx')" -eq 1 ] || fail "a temporary file was left: $(ls "$work")"
wrun trace --index i.idx < "$work/gen.txt"
expect_status 0
cmp -s "$work/out" "$work/planted.want" || fail "--index: $(diff "$work/planted.want" "$work/out")"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
wrun trace --index i.idx one.txt two.txt three.txt < "$work/gen.txt"
cmp -s "$work/out" "$work/planted.want" || fail "--index with its files: $(cat "$work/err")"
(cd "$work" && trace --json one.txt two.txt three.txt < gen.txt > want)
wrun trace --json --index i.idx --text gen.txt
cmp -s "$work/out" "$work/want" || fail "--index --json: $(diff "$work/want" "$work/out")"
# a recorded file gone: the index holds its text; changed (the same size): stale, refused
mv "$work/two.txt" "$work/two.away"
wrun trace --index i.idx < "$work/gen.txt"
expect_status 0
expect_err "^trace: i.idx: two.txt is not here; tracing with the copy of its text in the index$"
cmp -s "$work/out" "$work/planted.want" || fail "--index without two.txt"
mv "$work/two.away" "$work/two.txt"
cp "$work/one.txt" "$work/one.bak"
printf 'W' | dd of="$work/one.txt" bs=1 seek=1 conv=notrunc 2> /dev/null
wrun trace --index i.idx < "$work/gen.txt"
expect_status 1
expect_err "^trace: i.idx: the index is stale: one.txt has changed since it was made (236 bytes then and now, but not the same SHA-256); make it again: trace --save-index i.idx one.txt two.txt three.txt$"
expect_one_line_err
[ -s "$work/out" ] && fail "output before the error"
mv "$work/one.bak" "$work/one.txt"
wrun trace --index i.idx three.txt two.txt one.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: i.idx: the index is stale: three.txt is not the file it was made from (236 bytes then, 46 now); make it again"
wrun trace --index i.idx one.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: i.idx: the index was made from 3 files, not the 1 given; make it again: trace --save-index i.idx one.txt two.txt three.txt$"
wrun trace --index i.idx one.txt nope.txt three.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: nope.txt: No such file or directory$"
# damaged: refused, never trusted
head -c 100 "$work/i.idx" > "$work/cut.idx"
wrun trace --index cut.idx < "$work/gen.txt"
expect_status 1
expect_err "^trace: cut.idx: the index is truncated"
expect_err "; make it again: trace --save-index cut.idx CORPUS...$"
expect_one_line_err
size=$(wc -c < "$work/i.idx")
head -c $((size - 1)) "$work/i.idx" > "$work/cut.idx"
wrun trace --index cut.idx < "$work/gen.txt"
expect_err "^trace: cut.idx: the index is truncated: it ends at byte $((size - 1)) of $size; make it again"
cp "$work/i.idx" "$work/flip.idx"
printf '\377' | dd of="$work/flip.idx" bs=1 seek=$((size - 10)) conv=notrunc 2> /dev/null
wrun trace --index flip.idx < "$work/gen.txt"
expect_status 1
expect_err "^trace: flip.idx: the index is damaged: its suffix array is damaged (not the sorted suffixes of its corpus); make it again"
cp "$work/i.idx" "$work/flip.idx"
printf 'T' | dd of="$work/flip.idx" bs=1 seek=28 conv=notrunc 2> /dev/null
wrun trace --index flip.idx < "$work/gen.txt"
expect_err "^trace: flip.idx: the index is damaged: its header and file records do not match their CRC-32; make it again"
wrun trace --index one.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: one.txt: not a charrnn corpus index (no index signature at the start); --index reads a file made by trace --save-index FILE CORPUS...$"
wrun trace --index nope.idx < "$work/gen.txt"
expect_err "^trace: nope.idx: No such file or directory$"
# with --ckpt: the lineage against the files the index records
wrun trace --ckpt x.ckpt --index i.idx < "$work/gen.txt"
expect_status 0
expect_err "^trace: x.ckpt was trained on almanac.txt (121589 bytes), which is not among the corpus files given"
expect_err "^trace: two.txt is not among the files x.ckpt was trained on$"
# a save that cannot be made says so before any work
wrun trace --save-index no/such/dir/i.idx one.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: no/such/dir/i.idx: cannot save the index: cannot save there: the folder 'no/such/dir' does not exist$"
[ -s "$work/out" ] && fail "output before the error"
end

begin trace_errors
wrun trace one.txt nope.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: nope.txt: No such file or directory$"
expect_one_line_err
[ -s "$work/out" ] && fail "output before the error"
printf 'good text\nand then \351t\351 in Latin-1\n' > "$work/latin1.txt"
wrun trace latin1.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: latin1.txt: invalid UTF-8 at byte 19 (line 2)"
expect_one_line_err
wrun trace one.txt < "$work/latin1.txt"
expect_status 1
expect_err "^trace: standard input: invalid UTF-8 at byte 19 (line 2)"
wrun trace one.txt "$work" < "$work/gen.txt"
expect_status 1
expect_err "^trace: $work: read failed: Is a directory$"
wrun trace --ckpt one.txt
expect_status 1
expect_err "^trace: one.txt: "
expect_one_line_err
wrun trace --ckpt nope.ckpt
expect_status 1
expect_err "^trace: nope.ckpt: No such file or directory$"
wrun trace --html . one.txt < "$work/gen.txt"
expect_status 1
expect_err "^trace: .: cannot write the page: "
if [ -w /dev/full ]; then
    (cd "$work" && trace one.txt < gen.txt > /dev/full 2> err)
    [ $? -eq 1 ] || fail "writing to /dev/full did not fail"
    expect_err "^trace: standard output: write failed: No space left on device$"
fi
end

begin trace_terminal_input
# standard input a terminal: no text to wait for, but the lineage alone can be checked
if command -v script > /dev/null 2>&1 && command -v timeout > /dev/null 2>&1; then
    timeout 20 script -qec "cd '$work' && trace one.txt" /dev/null < /dev/null > "$work/out" 2>&1
    [ $? -eq 2 ] || fail "status with a terminal: $(cat "$work/out")"
    expect_out "^trace: no text to trace: pipe it into standard input, or give --text FILE"
    timeout 20 script -qec "cd '$work' && trace --ckpt x.ckpt one.txt" /dev/null < /dev/null > "$work/out" 2>&1
    [ $? -eq 0 ] || fail "lineage check with a terminal: $(cat "$work/out")"
    expect_out "^trace: x.ckpt was trained on almanac.txt (121589 bytes), which is not among"
    # --ckpt alone on a terminal: the list, even though its files are here (one.txt is)
    timeout 20 script -qec "cd '$work' && trace --ckpt x.ckpt" /dev/null < /dev/null > "$work/out" 2>&1
    [ $? -eq 0 ] || fail "lineage list with a terminal: $(cat "$work/out")"
    tr -d '\r' < "$work/out" | head -n 2 | cmp -s - "$work/list.want" || fail "list: $(cat "$work/out")"
    # --save-index alone: the index saved, and nothing to trace
    timeout 20 script -qec "cd '$work' && trace --save-index t.idx one.txt" /dev/null < /dev/null > "$work/out" 2>&1
    [ $? -eq 0 ] || fail "--save-index with a terminal: $(cat "$work/out")"
    expect_out "^trace: saved the index of 1 file (236 bytes of text) in t.idx"
    [ -s "$work/t.idx" ] || fail "no index saved"
else
    skip trace_terminal_input "script or timeout missing"
fi
end

begin trace_usage_errors_exit_2_with_hint
for args in "" "--min 0 one.txt" "--min abc one.txt" "--min 1.5 one.txt" "--color sometimes one.txt" \
    "--bogus one.txt" "--text" "- one.txt" "--html  one.txt" "--index i.idx --save-index j.idx one.txt" \
    "--save-index j.idx" "--save-index - one.txt" "--index - --text -" "--index"; do
    # shellcheck disable=SC2086
    wrun trace $args < "$work/gen.txt"
    [ "$st" -eq 2 ] || fail "'trace $args': status $st"
    tail -n 1 "$work/err" | grep -q "^Try 'trace --help'.$" || fail "'trace $args': no hint: $(cat "$work/err")"
    [ "$(wc -l < "$work/err")" -eq 2 ] || fail "'trace $args': $(cat "$work/err")"
done
wrun trace --min 0 one.txt
expect_err "^trace: --min: 0 is out of range (1 to 1000000000)$"
wrun trace
expect_err "^trace: no corpus: give the files the text may copy from"
wrun trace --html "" one.txt
expect_err "^trace: --html: the file name is empty$"
run trace --help
expect_status 0
expect_out "^Usage: trace \[OPTION\]... CORPUS... < TEXT$"
run trace --version
expect_out "^trace (charrnn) "
end

begin trace_closed_pipe_is_quiet
awk 'BEGIN { for (i = 0; i < 20000; i++) print "|Salt wind on the harbour wall|" }' > "$work/long.txt"
(cd "$work" && trace one.txt < long.txt | head -n 1 > /dev/null) 2> "$work/err"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
end

begin trace_man_page
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z docs/trace.1 > "$work/groff" 2>&1 || fail "groff failed"
    [ -s "$work/groff" ] && fail "groff warnings: $(head -5 "$work/groff")"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        grep -q "^\.SH \"*$s" docs/trace.1 || fail "no $s section"
    done
    # every option of --help is in the man page
    for opt in $(trace --help | grep -o -- '--[a-z-]*' | sort -u); do
        pat=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
        awk '/^\.TP/ { getline; print }' docs/trace.1 | grep -q "$pat\( \|\"\|\$\)" ||
            fail "$opt has no entry in trace.1"
    done
else
    echo "  (groff missing: the man page is not checked)"
fi
end
