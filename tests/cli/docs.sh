# docs.sh: docs/architecture.md stays true: every file it names exists, and it names every file
# of the library and the tools.
. tests/cli/lib.sh

begin architecture_map_names_every_file
map="$ROOT/docs/architecture.md"
for f in "$ROOT"/src/lib/*.c "$ROOT"/src/lib/*.h "$ROOT"/src/tools/*.c "$ROOT"/src/tools/*.h \
    "$ROOT"/src/tools/common/*.c "$ROOT"/src/tools/common/*.h; do
    name=$(basename "$f")
    case $name in internal.h) continue ;; esac
    grep -qF "$name" "$map" || fail "docs/architecture.md does not say what $name is for"
done
grep -o '`[a-z_0-9]*\.[ch]`' "$map" | tr -d '`' | sort -u | while read -r name; do
    found=0
    for d in "$ROOT"/src/lib "$ROOT"/src/tools "$ROOT"/src/tools/common "$ROOT"/include "$ROOT"/tests/*; do
        [ -e "$d/$name" ] && found=1
    done
    [ $found -eq 1 ] || echo "$name"
done > "$work/missing"
[ -s "$work/missing" ] && fail "docs/architecture.md names files that do not exist: $(cat "$work/missing" | tr '\n' ' ')"
end
