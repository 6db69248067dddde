# clean.sh: clean tidies any bytes into a UTF-8 corpus, option by option, in pipes, and fails clearly.
. tests/cli/lib.sh

# cleans IN WANT [OPTION]...: clean's output for the printf format IN must be the printf format WANT.
cleans() {
    printf "$1" > "$work/in"
    printf "$2" > "$work/want"
    shift 2
    clean "$@" "$work/in" > "$work/got" 2> "$work/err"
    s=$?
    [ "$s" -eq 0 ] || fail "clean $*: status $s: $(cat "$work/err")"
    [ -s "$work/err" ] && fail "clean $*: wrote to stderr: $(cat "$work/err")"
    cmp -s "$work/got" "$work/want" ||
        fail "clean $*: got '$(od -An -c "$work/got" | tr -s ' ')', want '$(od -An -c "$work/want" | tr -s ' ')'"
}

# a page of the demo corpus as HTML, and a Project Gutenberg file
awk 'BEGIN { print "<!DOCTYPE html><html><head><title>Almanac</title><style>p { margin: 0 }</style></head><body>" }
     NR <= 120 && NF { gsub(/&/, "\\&amp;"); print "<p>" $0 "</p>" }
     END { print "<script>var x = \"<p>not text</p>\";</script></body></html>" }' $CORPUS > "$work/page.html"
cat > "$work/pg.txt" <<'EOF'
The Project Gutenberg eBook of Harbour Tales

This eBook is for the use of anyone anywhere in the United States.

Title: Harbour Tales

*** START OF THE PROJECT GUTENBERG EBOOK HARBOUR TALES ***

THE FIRST TALE

The boats came in at dusk, heavy
with herring, and the gulls followed
them all the way to the quay.

*** END OF THE PROJECT GUTENBERG EBOOK HARBOUR TALES ***

Section 1. General Terms of Use and Redistributing Project Gutenberg works
EOF

begin clean_help_and_version
run clean --help
expect_status 0
expect_out "^Usage: clean \[OPTION\]... \[FILE\]..."
expect_out "^Example"
[ -s "$work/err" ] && fail "--help wrote to stderr"
[ "$(wc -l < "$work/out")" -le 48 ] || fail "--help is longer than a screen"
run clean --version
expect_status 0
expect_out "^clean (charrnn) [0-9][0-9.]*$"
end

begin clean_usage_errors_exit_2_with_hint
for args in "--min-count 0" "--min-count x" "--min-count -3" "--min-count 5x" "--min-count 1.5" \
            "--min-count=" "--rare ab --min-count 2" "--rare= --min-count 2" "--rare ? " \
            "--no-such-option" "--min-count" "-x"; do
    run clean $args $CORPUS
    [ "$st" -eq 2 ] || fail "clean $args: status $st, expected 2"
    grep -q "^clean: " "$work/err" || fail "clean $args: no 'clean:' prefix"
    grep -q "^Try 'clean --help'.$" "$work/err" || fail "clean $args: no hint"
    [ "$(wc -l < "$work/err")" -eq 2 ] || fail "clean $args: $(cat "$work/err")"
    [ -s "$work/out" ] && fail "clean $args: wrote to stdout"
done
run clean --rare '?' $CORPUS
expect_err "^clean: --rare needs --min-count$"
run clean --min-count 2 --rare ab $CORPUS
expect_err "^clean: --rare: 'ab' is not one character$"
run clean --min-count 2 --rare "$(printf '\t')" $CORPUS
expect_err "^clean: --rare: a control character will not do$"
run clean --min-count 0 $CORPUS
expect_err "^clean: --min-count: 0 is out of range"
run clean --min-count 12x $CORPUS
expect_err "^clean: --min-count: '12x' is not a whole number$"
if command -v script > /dev/null 2>&1; then
    script -qec "clean" /dev/null < /dev/null > "$work/out" 2>&1
    grep -q "no input: give FILEs, or pipe text into standard input" "$work/out" || fail "$(cat "$work/out")"
fi
end

begin clean_missing_file_writes_nothing
run clean "$work/nope.txt"
expect_status 1
expect_err "^clean: $work/nope.txt: No such file or directory$"
expect_one_line_err
run clean $CORPUS "$work/nope.txt"
expect_status 1
[ -s "$work/out" ] && fail "output was written before the missing file was noticed"
run clean "$work"
expect_status 1
expect_err "^clean: $work: Is a directory$"
end

begin clean_always_tidies
cleans '\357\273\277Hello  \r\nworld\t\r\rthird\001\033 line\n\n\n\nlast' \
       'Hello\nworld\n\nthird line\n\nlast\n'
cleans '' ''
cleans '\n\n  \n' ''
cleans 'no newline at the end' 'no newline at the end\n'
cleans 'caf\351 \377\376 ok' 'caf\357\277\275 \357\277\275\357\277\275 ok\n' --repair
cleans 'caf\351 \377\376 ok' 'caf  ok\n' --drop-invalid
end

begin clean_reads_files_in_order_and_standard_input
printf 'one' > "$work/1.txt"
printf 'two\n' > "$work/2.txt"
printf 'three\r\n' | clean "$work/1.txt" - "$work/2.txt" > "$work/out" 2> "$work/err"
[ $? -eq 0 ] || fail "status $?"
printf 'one\nthree\ntwo\n' | cmp -s - "$work/out" || fail "got: $(cat "$work/out")"
printf 'piped\r\n' | clean > "$work/out" 2> "$work/err"
printf 'piped\n' | cmp -s - "$work/out" || fail "stdin: $(cat "$work/out")"
printf '\342\202' > "$work/cut.txt" # a character cut at the end of a file is no character
printf '\254x\n' > "$work/rest.txt"
run clean --repair "$work/cut.txt" "$work/rest.txt"
printf '\357\277\275\n\357\277\275x\n' | cmp -s - "$work/out" || fail "joined across files: $(cat "$work/out")"
end

begin clean_html
cleans '<p>Caf&eacute; &amp; cr&egrave;me&nbsp;br&ucirc;l&eacute;e&hellip; &#233;&#xE9; &#xD800;</p><ul><li>one<li>two</ul>' \
       'Caf\303\251 & cr\303\250me\302\240br\303\273l\303\251e\342\200\246 \303\251\303\251 \357\277\275\n\none\ntwo\n' --html
cleans '<script>a<b</script><style>p{}</style><!-- x -->Hi <b\nclass="a>b">there</b><br>you' \
       'Hi there\nyou\n' --html
run clean --html "$work/page.html"
expect_status 0
grep -q '[<>]' "$work/out" && fail "tags left: $(grep '[<>]' "$work/out" | head -3)"
grep -q 'not text' "$work/out" && fail "the script's text was kept"
[ "$(head -n 1 "$work/out")" = Almanac ] || fail "the title is not the first line: $(head -n 1 "$work/out")"
end

begin clean_gutenberg
run clean --gutenberg "$work/pg.txt"
expect_status 0
printf 'THE FIRST TALE\n\nThe boats came in at dusk, heavy\nwith herring, and the gulls followed\nthem all the way to the quay.\n' |
    cmp -s - "$work/out" || fail "got: $(cat "$work/out")"
run clean --gutenberg --unwrap "$work/pg.txt" "$work/pg.txt"
expect_status 0
[ "$(grep -c 'THE FIRST TALE' "$work/out")" -eq 2 ] || fail "each file's header was not removed: $(cat "$work/out")"
grep -q 'Gutenberg' "$work/out" && fail "Gutenberg lines left"
grep -q '^The boats came in at dusk, heavy with herring, and the gulls followed them all the way to the quay.$' \
    "$work/out" || fail "not unwrapped: $(cat "$work/out")"
cleans 'Old licence\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\nText\nEnd of Project Gutenberg Etext\nfooter\n' \
       'Text\n' --gutenberg
cleans 'not a Gutenberg book\n' 'not a Gutenberg book\n' --gutenberg
end

begin clean_unwrap_ascii_lower
cleans 'It was a dark\nand stormy\nnight.\n\nThe rain  \n  fell.\n' \
       'It was a dark and stormy night.\n\nThe rain fell.\n' --unwrap
cleans '\342\200\234Quotes\342\200\235 \342\200\230single\342\200\231 en\342\200\223dash em\342\200\224dash\342\200\246 no\302\240break' \
       '"Quotes" '"'"'single'"'"' en-dash em--dash... no break\n' --ascii
cleans 'ÀÉÎÕÜ ΑΒΓΣ ДЖЯ Hello' 'àéîõü αβγσ джя hello\n' --lower
end

begin clean_dedupe
cleans 'Home | News\nFirst story.\n\nHome | News\nSecond story.\n\nHome | News   \nThird.\n' \
       'Home | News\nFirst story.\n\nSecond story.\n\nThird.\n' --dedupe
printf 'Menu\nPage one\n' > "$work/a.txt"
printf 'Menu\nPage two\n' > "$work/b.txt"
run clean --dedupe "$work/a.txt" "$work/b.txt"
printf 'Menu\nPage one\nPage two\n' | cmp -s - "$work/out" || fail "across files: $(cat "$work/out")"
end

begin clean_rare_characters
cleans 'aaa bbb\naaa \342\230\203 bbb \316\273\n' 'aaa bbb\naaa  bbb\n' --min-count 2
cleans 'aaa bbb\naaa \342\230\203 bbb \316\273\n' 'aaa bbb\naaa ? bbb ?\n' --min-count 2 --rare '?'
cleans 'ab\nab\nc\n' 'ab\nab\n\342\226\241\n' --min-count 2 --rare '□'
end

begin clean_report
printf '\357\273\277A b  \r\n\r\n\r\n\r\nc\001 \377 A b\n' > "$work/r.txt"
run clean --repair --report --lower --min-count 2 --rare '_' "$work/r.txt"
expect_status 0
printf 'a b\n\n_ _ a b\n' | cmp -s - "$work/out" || fail "output: $(cat "$work/out")"
expect_err "^clean: 25 bytes in, 13 bytes out$"
expect_err "^  byte-order marks removed  *1$"
expect_err "^  invalid UTF-8 sequences repaired  *1$"
expect_err "^  CRLF and CR line ends made LF  *4$"
expect_err "^  control characters removed  *1$"
expect_err "^  characters lowercased  *2$"
expect_err "^  trailing spaces and tabs removed  *2$"
expect_err "^  blank lines dropped  *2$"
expect_err "^  rare characters replaced  *2$"
expect_err "^  vocabulary (distinct characters)  *9 before, 5 after$"
grep -q "Gutenberg\|HTML\|repeated\|folded\|joined" "$work/err" && fail "a pass not asked for is reported"
grep -q "was read as" "$work/err" && fail "a UTF-8 file is reported as converted"
printf '\377\376h\0\351\0\n\0' > "$work/r16.txt"
run clean --report "$work/r16.txt"
expect_status 0
expect_err "^clean: .*/r16.txt was read as UTF-16LE: 8 bytes, 4 as UTF-8$"
expect_err "^clean: 4 bytes in, 4 bytes out$"
printf '<p>a &amp; b</p>\n' | clean --report --html --dedupe > "$work/out" 2> "$work/err"
expect_err "^  HTML tags and comments removed  *2$"
expect_err "^  HTML entities decoded  *1$"
expect_err "^  repeated lines dropped  *0$"
run clean --repair "$work/r.txt"
[ -s "$work/err" ] && fail "without --report, stderr is not quiet: $(cat "$work/err")"
end

begin clean_any_bytes_give_valid_utf8
# (with --repair: without it, bytes that are not text are refused; the 'x' first keeps a
# random start from being a file format's signature, which is refused even with --repair)
for opts in "--repair" "--repair --html --gutenberg" "--repair --unwrap --ascii --lower --dedupe" \
            "--drop-invalid --min-count 2" \
            "--repair --html --gutenberg --unwrap --ascii --lower --dedupe --min-count 3 --rare ~"; do
    { printf x; head -c 20000 /dev/urandom; } > "$work/random.bin"
    clean $opts "$work/random.bin" > "$work/out" 2> "$work/err"
    [ $? -eq 0 ] || fail "clean $opts: status $?: $(cat "$work/err")"
    iconv -f UTF-8 -t UTF-8 "$work/out" > /dev/null 2>&1 || fail "clean $opts: output is not UTF-8"
    tr -d '\n\t' < "$work/out" | LC_ALL=C grep -q '[[:cntrl:]]' && fail "clean $opts: control characters left"
    LC_ALL=C grep -q '[ 	]$' "$work/out" && fail "clean $opts: trailing spaces left"
    [ -s "$work/out" ] && [ "$(tail -c 1 "$work/out" | od -An -c | tr -d ' ')" != '\n' ] &&
        fail "clean $opts: no final newline"
done
end

begin clean_twice_changes_nothing
for opts in "" "--ascii --lower --unwrap --dedupe" "--gutenberg" "--min-count 3"; do
    clean $opts $CORPUS "$work/pg.txt" "$work/page.html" > "$work/once"
    clean $opts "$work/once" > "$work/twice"
    cmp -s "$work/once" "$work/twice" || fail "clean $opts is not idempotent"
done
clean $CORPUS > "$work/once"
cmp -s "$work/once" $CORPUS || fail "the clean demo corpus changed"
end

begin clean_closed_pipe_is_quiet
awk 'BEGIN { for (i = 0; i < 40000; i++) print "line " i " of a long text to be cut short" }' > "$work/big.txt"
{ clean --report "$work/big.txt" 2> "$work/err"; echo $? > "$work/st"; } | head -n 1 > "$work/out"
[ "$(cat "$work/st")" -eq 0 ] || fail "status $(cat "$work/st")"
[ -s "$work/err" ] && fail "stderr: $(cat "$work/err")"
[ "$(cat "$work/out")" = "line 0 of a long text to be cut short" ] || fail "got: $(cat "$work/out")"
if [ -w /dev/full ]; then
    clean $CORPUS > /dev/full 2> "$work/err"
    [ $? -eq 1 ] || fail "writing to /dev/full did not fail"
    expect_err "^clean: standard output: write failed: No space left on device$"
fi
end

begin clean_html_page_trains
clean --html "$work/page.html" | train-charrnn $TINY --steps 2 > "$work/x.ckpt" 2> "$work/err"
[ $? -eq 0 ] || fail "train-charrnn failed: $(cat "$work/err")"
[ -s "$work/x.ckpt" ] || fail "no checkpoint"
run sample -n 20 --seed 1 "$work/x.ckpt"
expect_status 0
end

if [ -x "$BIN/tokenize" ]; then
    begin clean_pipes_into_tokenize
    mkdir -p "$work/raw"
    printf 'First \342\200\234page\342\200\235\r\n' > "$work/raw/a.txt"
    printf '\357\273\277Second page\001\n\n\n' > "$work/raw/b.txt"
    clean "$work"/raw/*.txt | tokenize > "$work/out" 2> "$work/err"
    [ $? -eq 0 ] || fail "tokenize failed: $(cat "$work/err")"
    [ -s "$work/out" ] || fail "tokenize wrote nothing"
    grep -q 'U+FEFF\|U+0001\|\\r' "$work/out" && fail "tokenize saw what clean removes: $(cat "$work/out")"
    end
else
    skip clean_pipes_into_tokenize "bin/tokenize is not built"
fi
