# workshop.sh: the workshop lessons (docs/workshop/) do not rot. Each page shows its script's
# commands, step by step, and outputs made by the current script and not edited since (the
# hashes its markers record, tests/workshop_pages.sh); each script runs, quickly
# (WORKSHOP_QUICK=1), and prints what its page shows, in shape; the links between pages hold.
. tests/cli/lib.sh
WORKSHOP_LIB=1 . tests/workshop_pages.sh

# shape LESSON STEP REGEX: a line of the step's output, on the page and in the quick run alike,
# matches REGEX (grep -E). exact LESSON: the quick run writes the page's outputs byte for byte
# (a lesson that trains nothing).
shapes="$work/shapes"
shape() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$shapes"; }
exact_lessons=" 01 "
: > "$shapes"
shape 01 1 '^  vocabulary \(distinct characters\)   67 before, 67 after$'
shape 01 2 '^  HTML tags and comments removed +[1-9]'
shape 01 3 '^THE FIRST OF MAY\.$'
shape 01 7 '^34 22 19 1 '
shape 02 1 '^step [0-9]+  epoch [0-9.]+  loss [0-9.]+  lr [0-9.e-]+  val [0-9.]+ \([0-9.]+ bits\)'
shape 02 1 '^train-charrnn: saved bot\.ckpt$'
shape 02 2 '^  best validation +[0-9.]+ nats/char \([0-9.]+ bits/char\) at step [0-9]+$'
shape 02 3 '^loss \(nats per character\) against characters seen: '
shape 02 3 'characters seen$'
shape 02 4 '.'
shape 02 5 '^train-charrnn: resuming bot\.ckpt at step [0-9]+$'
shape 02 5 '^train-charrnn: saved long\.ckpt$'
shape 03 2 '.'
shape 03 3 '.'
shape 03 4 '.'
shape 03 5 '^THE FIRST OF MAY\.'
shape 03 6 '^THE FIRST OF MAY\.'
shape 03 7 '^THE FIRST OF NEVEREMBER\. Says the Admiral:'
shape 04 6 '^== lstm$'
shape 04 6 '^  cell +gru$'
shape 04 6 '^  cell +rnn$'
shape 04 6 '^  hidden +64$'
shape 04 6 '^  hidden +512$'
shape 04 6 '^  parameters +[0-9]+$'
shape 04 6 '^  characters seen +[0-9]+$'
shape 04 6 '^  best validation +[0-9.]+ nats/char \([0-9.]+ bits/char\) at step [0-9]+$'
shape 04 7 '.'
# a conversation: in a pipe, the answers only; the transcript holds both sides and the framing
shape 05 2 '.'
shape 05 3 '^> Is the tide high\?$'
shape 05 3 '^> What of the Admiral\?$'
shape 05 3 '^Says Old Nettle: '
# writing together: the candidates on standard error, the text (with the words typed) on stdout
shape 05 4 '^  1 ".*"  2 ".*"  3 ".*"$'
shape 05 5 '^THE FIRST OF MAY\.'
shape 05 5 '^The tide'
# (a bot of a second copies nothing: the summary says so)
shape 06 2 '^(copied: [0-9]+ of 600 characters \([0-9.]+%\), in [0-9]+ spans? of 20 or more|nothing copied: .*\(600 characters\))'
shape 06 4 '^(copied|nothing copied): '
shape 06 5 '^(copied|nothing copied): '
shape 06 6 '^(copied|nothing copied): '
shape 06 3 '^corpora/harbour-almanac\.txt'
# --novel 20: no copy longer than 20 characters, by trace's count and by sample's own
shape 06 7 '^(copied: [0-9]+ of 2000 characters .*|nothing copied: .*\(2000 characters\).*)'
shape 06 7 '^longest: ([0-9]|1[0-9]|20) characters|^nothing copied: '
shape 06 7 'sample: --novel 20: .*the longest copy is ([0-9]|1[0-9]|20) characters$'
shape 07 2 '^dump: wrote the web page bot\.html \(best weights, from step [0-9]+, 16-bit weights\)$'
shape 07 2 '^[0-9.,]+[KM][[:space:]]+bot\.html$'
# the page never holds the corpus: a phrase the almanac has is nowhere in it
shape 07 3 '^corpora/harbour-almanac\.txt:[1-9][0-9]*$'
shape 07 3 '^bot\.html:0$'
shape 07 4 '^manifest\.json$'
shape 07 4 '^rnnlm_softmax_w$'
shape 07 4 '^dump: wrote the ml5\.js model folder sketch/models/bot \(best weights, from step [0-9]+\)$'

for script in "$ROOT"/docs/workshop/[0-9]*.sh; do
    base=$(basename "$script" .sh)
    lesson=${base%%-*}
    page="$ROOT/docs/workshop/$base.md"
    d="$work/$base"
    mkdir -p "$d"

    begin "workshop_${base}_page_matches_script"
    [ -f "$page" ] || fail "docs/workshop/$base.md is missing: each lesson's script has a page"
    ws_steps "$script" "$d" 2> "$work/err" || fail "$base.sh: $(cat "$work/err")"
    sum=$(ws_hash "$script")
    # the page's step blocks: page.cmd.N, page.out.N (empty without an output block), and
    # "N SCRIPT-HASH OUTPUT-HASH" per step in page.steps; what is malformed in page.bad
    : > "$d/page.bad"
    awk -v dir="$d" -v bad="$d/page.bad" '
        function wrong(why) { print "step " n ": " why > bad; state = "" }
        /^<!-- step [0-9]+ of / { n = $3; state = "cmd0"; printf "" > (dir "/page.out." n); next }
        state == "cmd0" { if ($0 == "```sh") { state = "cmd"; printf "" > (dir "/page.cmd." n) } else wrong("no sh block"); next }
        state == "cmd" { if ($0 == "```") state = "after"; else print > (dir "/page.cmd." n); next }
        state == "after" && $0 == "```text" { state = "out"; next }
        state == "out" { if ($0 == "```") state = "after"; else print > (dir "/page.out." n); next }
        state == "after" && /^<!-- end of step [0-9]+; script sha256 [0-9a-f]+, output sha256 [0-9a-f]+ -->$/ {
            m = $5; sub(/;$/, "", m); s = $8; sub(/,$/, "", s)
            if (m != n) wrong("it ends as step " m)
            else { print n, s, $11; state = "" }
            next
        }
        state != "" { wrong("a line make workshop did not write: " $0) }
    ' "$page" > "$d/page.steps"
    [ -s "$d/page.bad" ] && fail "$base.md is not as make workshop writes it: $(head -n 3 "$d/page.bad" | tr '\n' ' ')"
    while read -r n s o; do
        cmp -s "$d/cmd.$n" "$d/page.cmd.$n" ||
            fail "$base.md step $n shows other commands than $base.sh: $(diff "$d/cmd.$n" "$d/page.cmd.$n" | head -n 4 | tr '\n' ' ')"
        [ "$s" = "$sum" ] ||
            fail "$base.md step $n: its output was made by another version of $base.sh; run make workshop"
        [ "$o" = "$(ws_hash "$d/page.out.$n")" ] ||
            fail "$base.md step $n: its output was edited after make workshop wrote it; run make workshop"
    done < "$d/page.steps"
    end

    begin "workshop_${base}_runs_quickly"
    WORKSHOP_QUICK=1; export WORKSHOP_QUICK
    ws_run "$script" "$d"
    st=$?
    [ $st -eq 0 ] || fail "$base.sh (WORKSHOP_QUICK=1) exited $st: $(tail -n 3 "$d/all.2" | tr '\n' ' ')"
    for n in $(cat "$d/steps"); do
        [ -f "$d/out.$n" ] || { fail "step $n did not run"; continue; }
        [ -s "$d/page.out.$n" ] && [ ! -s "$d/out.$n" ] && fail "step $n printed nothing; its page shows an output"
        [ ! -s "$d/page.out.$n" ] && [ -s "$d/out.$n" ] &&
            fail "step $n printed something; its page shows none: $(head -c 200 "$d/out.$n")"
        case $exact_lessons in
            *" $lesson "*) cmp -s "$d/out.$n" "$d/page.out.$n" ||
                fail "step $n: the output differs from its page: $(diff "$d/page.out.$n" "$d/out.$n" | head -n 4 | tr '\n' ' ')" ;;
        esac
    done
    while IFS='	' read -r l n re; do
        [ "$l" = "$lesson" ] || continue
        grep -Eq -- "$re" "$d/page.out.$n" 2> /dev/null || fail "$base.md step $n shows no line like /$re/"
        grep -Eq -- "$re" "$d/out.$n" 2> /dev/null || fail "$base.sh step $n printed no line like /$re/"
    done < "$shapes"
    end
done

begin workshop_has_lessons_and_shapes
n=$(ls "$ROOT"/docs/workshop/[0-9]*.sh | wc -l)
[ "$n" -ge 5 ] || fail "only $n lessons in docs/workshop"
# a shape for a lesson that is gone would check nothing
cut -f1 "$shapes" | sort -u | while read -r l; do
    ls "$ROOT"/docs/workshop/"$l"-*.sh > /dev/null 2>&1 || echo "  no lesson $l for its shapes"
done | grep . && fail "shapes name a lesson that does not exist"
end

begin workshop_links_hold
# every relative link of the workshop pages and how-it-works.md leads to a file; the index lists
# every lesson and README.md links the index
for f in "$ROOT"/docs/workshop/*.md "$ROOT"/docs/how-it-works.md; do
    [ -f "$f" ] || { fail "$f is missing"; continue; }
    grep -o '](\([^)#:]*\))' "$f" | sed 's/^](//; s/)$//' | while read -r link; do
        [ -z "$link" ] || [ -e "$(dirname "$f")/$link" ] || echo "  $(basename "$f") links $link, which does not exist"
    done
done > "$work/links"
[ -s "$work/links" ] && fail "broken links: $(cat "$work/links")"
for p in "$ROOT"/docs/workshop/[0-9]*.md; do
    grep -q "]($(basename "$p"))" "$ROOT/docs/workshop/README.md" ||
        fail "docs/workshop/README.md does not list $(basename "$p")"
done
grep -q '](docs/workshop/README.md)' "$ROOT/README.md" || fail "README.md does not link the workshop"
grep -q '](docs/how-it-works.md)' "$ROOT/README.md" || fail "README.md does not link how-it-works.md"
end
