# readme.sh: every command in the README's sh blocks runs as written (with --time cut to 2 s).
. tests/cli/lib.sh

begin readme_examples_run
ln -s "$ROOT/corpora" "$work/corpora"
ln -s "$ROOT/docs" "$work/docs"
awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on' "$ROOT/README.md" |
    sed 's/[[:space:]]*#.*$//' | grep -v '^make ' | grep -v '^$' > "$work/examples"
[ "$(wc -l < "$work/examples")" -ge 5 ] || fail "found only $(wc -l < "$work/examples") examples"
ran=0
while IFS= read -r cmd; do
    ran=$((ran + 1))
    case $cmd in man\ *) command -v man > /dev/null 2>&1 || continue ;; esac
    short=$(printf '%s\n' "$cmd" | sed 's/--time [0-9]*/--time 2/g')
    (cd "$work" && sh -c "$short" < /dev/null) > "$work/ex.out" 2> "$work/ex.err"
    status=$?
    [ $status -eq 0 ] || fail "'$cmd' exited $status: $(tail -2 "$work/ex.err")"
    case $cmd in
        sample*|*"| sample"*) [ -s "$work/ex.out" ] || fail "'$cmd' printed no text" ;;
    esac
done < "$work/examples"
# (each runs with no input: one that read standard input would eat the examples after it)
[ "$ran" -eq "$(wc -l < "$work/examples")" ] || fail "only $ran of $(wc -l < "$work/examples") examples ran"
end
