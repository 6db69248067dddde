# outputs.sh: every file a tool writes is saved safely: a regular file is replaced atomically,
# anything else (a pipe, a FIFO, a link to /proc/self/fd/1) is written in place and never
# replaced, a link to a regular file stays a link; -o is checked before training; temporary
# files of writers that are gone are removed. Special paths are private links in $work, never
# the real /dev entries.
. tests/cli/lib.sh

TINY="--hidden 8 --layers 1 --seq-len 16 --batch 4 --threads 1 --quiet"

# As the user running the tests (root in CI), and as an ordinary user when we are root.
as_users() {
    echo "$(id -u)"
    if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null 2>&1 &&
        setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
        echo 65534
    fi
}
as() { # uid command...
    u=$1
    shift
    if [ "$u" -eq "$(id -u)" ]; then "$@"; else setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; fi
}

begin save_to_a_link_to_standard_output_writes_in_place
for u in $(as_users); do
    d="$work/u$u"
    chmod 711 "$work"
    mkdir -p "$d" && chmod 777 "$d" && cp $CORPUS "$d/c.txt" && chmod 644 "$d/c.txt"
    ln -s /proc/self/fd/1 "$d/stdout"
    # the whole pipeline as that user: a pipe belongs to who made it
    as "$u" sh -c '"$1/train-charrnn" $2 --steps 2 -o "$3/stdout" "$3/c.txt" |
        "$1/sample" -n 30 --seed 1' sh "$BIN" "$TINY" "$d" > "$work/out" 2> "$work/err"
    [ "$(wc -m < "$work/out")" -eq 30 ] || fail "uid $u: sample read no checkpoint: $(cat "$work/err")"
    [ -L "$d/stdout" ] || fail "uid $u: the link to /proc/self/fd/1 was replaced by a file"
    ls "$d" | grep -q 'tmp-' && fail "uid $u: a temporary file was left: $(ls "$d")"
done
end

begin save_through_a_link_keeps_the_link
run train-charrnn $TINY --steps 2 -o "$work/real.ckpt" $CORPUS
ln -s real.ckpt "$work/link.ckpt"
run train-charrnn $TINY --steps 3 -o "$work/link.ckpt" $CORPUS
expect_status 0
[ -L "$work/link.ckpt" ] || fail "the link became a file"
run dump --json "$work/real.ckpt"
expect_out '"step": 3'
# a link to a file that does not exist yet: the file is made where the link points
mkdir "$work/sub"
ln -s sub/new.ckpt "$work/dangling.ckpt"
run train-charrnn $TINY --steps 2 -o "$work/dangling.ckpt" $CORPUS
expect_status 0
[ -L "$work/dangling.ckpt" ] && [ -f "$work/sub/new.ckpt" ] || fail "the dangling link was not followed"
end

begin save_to_a_fifo_writes_in_place
mkfifo "$work/fifo"
timeout 60 cat "$work/fifo" > "$work/from-fifo" &
reader=$!
run train-charrnn $TINY --steps 2 -o "$work/fifo" $CORPUS
expect_status 0
wait $reader
[ -p "$work/fifo" ] || fail "the FIFO was replaced"
run sample -n 10 --seed 1 "$work/from-fifo"
expect_status 0
run train-charrnn $TINY --steps 2 --checkpoint-every 5 -o "$work/fifo" $CORPUS
expect_status 2
expect_err "checkpoint-every needs -o to name a file"
end

begin output_checked_before_training
run train-charrnn $TINY --steps 100000 -o "$work/no/such/folder/bot.ckpt" $CORPUS
expect_status 1
expect_one_line_err
expect_err "^train-charrnn: $work/no/such/folder/bot.ckpt: cannot save there: the folder '$work/no/such/folder' does not exist; nothing was trained"
cp $CORPUS "$work/mine.txt"
cp "$work/mine.txt" "$work/mine.orig"
run train-charrnn $TINY --steps 2 -o "$work/mine.txt" "$work/mine.txt"
expect_status 2
expect_err "is one of the corpus files: saving would replace your text"
cmp -s "$work/mine.txt" "$work/mine.orig" || fail "the corpus was changed"
ln -s mine.txt "$work/mine-link.txt"
run train-charrnn $TINY --steps 2 -o "$work/mine-link.txt" "$work/mine.txt"
expect_status 2
ls "$work" | grep -q 'tmp-' && fail "a temporary file was left: $(ls "$work")"
end

begin save_removes_temporary_files_of_writers_that_are_gone
dead=$(sh -c 'echo $$')  # a process that has ended
while kill -0 "$dead" 2> /dev/null; do dead=$((dead + 7919)); done
touch "$work/bot.ckpt.tmp-$dead-AbCdEf" "$work/bot.ckpt.tmp-$$-GhIjKl" "$work/other.ckpt.tmp-$dead-MnOpQr"
run train-charrnn $TINY --steps 2 -o "$work/bot.ckpt" $CORPUS
expect_status 0
[ -e "$work/bot.ckpt.tmp-$dead-AbCdEf" ] && fail "a dead writer's temporary file stayed"
[ -e "$work/bot.ckpt.tmp-$$-GhIjKl" ] || fail "a live writer's temporary file was removed"
[ -e "$work/other.ckpt.tmp-$dead-MnOpQr" ] || fail "another file's temporary file was removed"
end

begin ml5_export_keeps_links_and_devices
run train-charrnn --cell lstm --layers 2 --hidden 8 --seq-len 16 --batch 4 --threads 1 --quiet --steps 2 -o "$work/m.ckpt" $CORPUS
mkdir "$work/web"
run dump --ml5 "$work/web" "$work/m.ckpt"
expect_status 0
mv "$work/web/vocab.json" "$work/vocab-real.json"
ln -s ../vocab-real.json "$work/web/vocab.json"
run dump --ml5 "$work/web" "$work/m.ckpt"
expect_status 0
[ -L "$work/web/vocab.json" ] || fail "the link in the model folder became a file"
ls "$work/web" | grep -q 'tmp-' && fail "a temporary file was left: $(ls "$work/web")"
run sample -n 10 --seed 1 "$work/web"
expect_status 0
end
