# intake.sh: what people bring as a corpus. Binary files are named and refused with what to do;
# UTF-16 and UTF-32 are read as text; text in a legacy encoding is refused with the encoding it
# looks like, and read with --from-encoding; --repair is the only way to U+FFFD. And the
# messages a non-programmer meets first: a text given as a checkpoint, a decimal comma,
# temperature 0, durations, a prime that looks like an option.
. tests/cli/lib.sh

TINY="--hidden 8 --layers 1 --seq-len 16 --batch 4 --threads 1 --quiet"

refused() { # file word-in-what-it-is word-in-advice
    run clean "$work/$1"
    expect_status 1
    expect_one_line_err
    expect_err "^clean: $work/$1: this is .*$2.*, not text: .*$3"
    [ -s "$work/out" ] && fail "clean wrote output for $1"
}

begin intake_binary_files_are_named
printf '%%PDF-1.7\n%%\342\343\317\323\n1 0 obj\n' > "$work/poems.pdf"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR' > "$work/photo.png"
printf 'PK\003\004\024\000\006\000\010\000\000\000!\000' > "$work/poems.docx"
printf '[Content_Types].xmlPK\003\004 word/document.xml' >> "$work/poems.docx"
printf '\320\317\021\340\241\261\032\341\000\000' > "$work/old.doc"
printf '{\\rtf1\\ansi Hello}' > "$work/letter.rtf"
printf '\037\213\010\000\000\000\000\000' > "$work/corpus.txt.gz"
refused poems.pdf PDF "pdftotext $work/poems.pdf out.txt"
refused photo.png "PNG image" "a bot learns from text"
refused poems.docx "Word document" "save it as plain text"
refused old.doc "old Microsoft Office" "save it as plain text"
refused letter.rtf RTF "save it as plain text"
refused corpus.txt.gz gzip "gunzip"
# the same for the tools that read text, and even with --repair
run clean --repair "$work/photo.png"
expect_status 1
run train-charrnn $TINY --steps 1 -o "$work/x.ckpt" "$work/poems.pdf"
expect_status 1
expect_err "^train-charrnn: $work/poems.pdf: this is a PDF document, not text"
[ -e "$work/x.ckpt" ] && fail "a checkpoint was written"
run tokenize "$work/poems.docx"
expect_status 1
expect_err "Word document"
end

begin intake_utf16_and_utf32_are_text
# Notepad's "Unicode": UTF-16LE with a byte-order mark, CRLF line ends
printf '\377\376C\000a\000n\000c\000i\000\363\000n\000\r\000\n\000' > "$work/notepad.txt"
printf '\376\377\000C\000a\000n\000c\000i\000\363\000n\000\n' > "$work/be.txt"
printf 'C\000a\000n\000c\000i\000\363\000n\000\n\000' > "$work/nobom.txt"
printf '\377\376\000\000C\000\000\000\363\000\000\000\n\000\000\000' > "$work/utf32.txt"
for f in notepad be nobom; do
    run clean "$work/$f.txt"
    expect_status 0
    [ "$(cat "$work/out")" = "Canción" ] || fail "$f: got '$(cat "$work/out")'"
done
run clean "$work/utf32.txt"
[ "$(cat "$work/out")" = "Có" ] || fail "utf32: got '$(cat "$work/out")'"
cat "$work/notepad.txt" | clean > "$work/out" 2> "$work/err"
[ "$(cat "$work/out")" = "Canción" ] || fail "standard input: got '$(cat "$work/out")'"
end

begin intake_legacy_encodings_are_named_not_mangled
# Word's and Notepad's Western text: curly quotes (0x93 0x94), a dash (0x97), niña (0xF1)
printf 'La ni\361a dijo \223hola\224 \227 y se fue.\n' > "$work/cp1252.txt"
run clean "$work/cp1252.txt"
expect_status 1
expect_one_line_err
expect_err "^clean: $work/cp1252.txt: invalid UTF-8 at byte 5 (line 1): it looks like Windows-1252"
expect_err "curly quotes or dashes that Latin-1 lacks"
expect_err "read it with --from-encoding WINDOWS-1252"
expect_err "or write U+FFFD for each bad sequence with --repair"
[ -s "$work/out" ] && fail "clean wrote output"
# a tool without --from-encoding points to clean, which has it
run trace --text "$work/cp1252.txt" "$work/cp1252.txt"
expect_status 1
expect_one_line_err
expect_err "convert it first with 'clean --from-encoding WINDOWS-1252 $work/cp1252.txt > text.txt'$"
run clean --from-encoding WINDOWS-1252 "$work/cp1252.txt"
expect_status 0
[ "$(cat "$work/out")" = "La niña dijo “hola” — y se fue." ] || fail "got '$(cat "$work/out")'"
run clean --repair "$work/cp1252.txt"
expect_status 0
expect_out "ni�a"
# Cyrillic in KOI8-R: the guess names the candidates; --from-encoding reads it
printf '\320\322\311\327\305\324 \315\311\322\n' > "$work/koi8.txt"
run clean "$work/koi8.txt"
expect_status 1
expect_err "KOI8-R"
run clean --from-encoding KOI8-R "$work/koi8.txt"
[ "$(cat "$work/out")" = "привет мир" ] || fail "KOI8-R: got '$(cat "$work/out")'"
# Shift-JIS and GB18030, through iconv
printf '\223\372\226\173\n' > "$work/sjis.txt"
# UTF-16 without a mark, of a script with few NUL bytes: it is read, named or not
printf '\037\004@\004 \0008\0042\0045\004B\004\n\000' > "$work/ru16.txt"
run clean --from-encoding UTF-16LE "$work/ru16.txt"
expect_status 0
[ "$(cat "$work/out")" = "Пр ивет" ] || fail "UTF-16LE named: got '$(cat "$work/out")'"
run clean "$work/ru16.txt"
expect_status 0
[ "$(cat "$work/out")" = "Пр ивет" ] || fail "UTF-16LE unnamed: got '$(cat "$work/out")'"
run clean --from-encoding SHIFT_JIS "$work/sjis.txt"
[ "$(cat "$work/out")" = "日本" ] || fail "Shift-JIS: got '$(cat "$work/out")'"
printf '\304\343\272\303\n' > "$work/gb.txt"
run clean --from-encoding GB18030 "$work/gb.txt"
[ "$(cat "$work/out")" = "你好" ] || fail "GB18030: got '$(cat "$work/out")'"
# a name iconv does not know, and bytes the named encoding does not have
run clean --from-encoding NO-SUCH "$work/cp1252.txt"
expect_status 2
expect_err "this system does not know the encoding 'NO-SUCH'"
run clean --from-encoding ASCII "$work/cp1252.txt"
expect_status 1
expect_err "byte 5 is not valid ASCII text"
# train-charrnn and tokenize read the same way; the lineage hashes the file as it is on disk
run train-charrnn $TINY --steps 1 --batch 1 --seq-len 8 --val-frac 0 -o "$work/x.ckpt" "$work/cp1252.txt"
expect_status 1
expect_err "from-encoding WINDOWS-1252"
run train-charrnn $TINY --steps 1 --batch 1 --seq-len 8 --val-frac 0 --from-encoding WINDOWS-1252 -o "$work/x.ckpt" "$work/cp1252.txt"
expect_status 0
run dump --json "$work/x.ckpt"
expect_out "$(sha256sum "$work/cp1252.txt" | cut -d' ' -f1)"
run tokenize --from-encoding WINDOWS-1252 "$work/cp1252.txt"
expect_status 0
expect_out "“"
end

begin intake_text_given_as_a_checkpoint
printf 'Some poems.\nMore poems.\n' > "$work/corpus.txt"
run sample "$work/corpus.txt"
expect_status 1
expect_one_line_err
expect_err "^sample: $work/corpus.txt: this is text, not a checkpoint (a trained bot): train one on it first, for example 'train-charrnn --time 120 -o bot.ckpt $work/corpus.txt'"
run dump "$work/corpus.txt"
expect_err "this is text, not a checkpoint"
printf '%%PDF-1.4\n' > "$work/x.pdf"
run sample "$work/x.pdf"
expect_err "this is a PDF document, not a checkpoint"
end

begin intake_numbers_as_people_write_them
run train-charrnn $TINY --steps 1 -o "$work/m.ckpt" $CORPUS
run sample -t 1,5 -n 5 "$work/m.ckpt"
expect_status 2
expect_err "^sample: --temperature: '1,5' is not a number: use a dot for decimals, as in 1.5$"
run sample -t 0 -n 5 "$work/m.ckpt"
expect_status 2
expect_err "use --argmax"
run train-charrnn $TINY --lr 0,01 --steps 1 -o "$work/m2.ckpt" $CORPUS
expect_status 2
expect_err "as in 0.01"
# durations: seconds, or with units (--steps 1 ends each run first)
for d in 90 2.5 90s 2m 1h30m 1.5h 1m30s; do
    run train-charrnn $TINY --time "$d" --steps 1 -o "$work/t.ckpt" $CORPUS
    expect_status 0
done
run train-charrnn --hidden 8 --layers 1 --seq-len 16 --batch 4 --threads 1 --time 0.02m -o "$work/t.ckpt" $CORPUS
expect_status 0
expect_err "time limit reached"
run train-charrnn $TINY --time 2x -o "$work/t.ckpt" $CORPUS
expect_status 2
expect_err "^train-charrnn: --time: '2x' is not a duration: give seconds (90), or hours, minutes and seconds (2m, 90s, 1h30m)$"
run train-charrnn $TINY --time 30s1m -o "$work/t.ckpt" $CORPUS
expect_status 2
run train-charrnn $TINY --checkpoint-every 0s -o "$work/t.ckpt" $CORPUS
expect_status 2
expect_err "out of range"
end

begin intake_prime_that_looks_like_an_option
run train-charrnn $TINY --steps 1 -o "$work/m.ckpt" $CORPUS
# the text was forgotten: "-n" became the prime and 50 a second checkpoint; the warning says why
run sample --prime -n 50 --seed 1 "$work/m.ckpt"
expect_status 2
expect_err "^sample: --prime '-n': the prime text looks like an option, and '50' was then taken for a second checkpoint"
expect_one_line_err
run sample --prime --argmax -n 5 "$work/m.ckpt"
expect_status 0
expect_err "^sample: --prime '--argmax': the prime text looks like an option"
run sample --prime "-- a dash and a space" -n 5 --seed 1 "$work/m.ckpt"
[ -s "$work/err" ] && fail "a prime with spaces was warned about: $(cat "$work/err")"
end

begin intake_warnings_that_save_a_run
# Windows line ends reach the vocabulary unless cleaned: say so, once
{ printf 'one line\r\n'; head -c 20000 $CORPUS | sed 's/$/\r/'; } > "$work/crlf.txt"
run train-charrnn $TINY --steps 1 -o "$work/c.ckpt" "$work/crlf.txt" "$work/crlf.txt"
expect_status 0
[ "$(grep -c 'Windows line ends' "$work/err")" -eq 1 ] || fail "the CR LF warning: $(cat "$work/err")"
expect_err "'clean $work/crlf.txt > corpus.txt'"
# --from-encoding on text that is already UTF-8 garbles it: warn
printf 'El ni\303\261o\n' > "$work/u8.txt"
run clean --from-encoding WINDOWS-1252 "$work/u8.txt"
expect_status 0
expect_err "this text is already valid UTF-8"
# resuming with the corpus forgotten, in a script
train-charrnn $TINY --steps 1 -o "$work/r.ckpt" $CORPUS 2> /dev/null
run train-charrnn --resume "$work/r.ckpt" --steps 1 < /dev/null
expect_status 1
expect_err "^train-charrnn: no corpus: standard input was empty; give the corpus FILE after the options"
end
