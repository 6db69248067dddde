#!/bin/sh
# dist.sh: the release folder of `make dist` runs the README's examples, and its tools are
# static (they need nothing installed). Run after `make dist`; CI does (.ci/run).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(ls -d "$root"/dist/charrnn-*-linux 2> /dev/null | head -1)
if [ -z "$dist" ] || [ ! -x "$dist/bin/sample" ]; then
    echo "FAIL dist: no release folder (run make dist)"
    echo "0 passed, 1 failed"
    exit 1
fi
passed=0 failed=0
for t in "$dist"/bin/*; do
    if ldd "$t" 2>&1 | grep -q 'not a dynamic executable'; then passed=$((passed + 1))
    else echo "FAIL dist_static: $(basename "$t") is dynamically linked"; failed=$((failed + 1)); fi
done
# the README's examples with the release's tools, and only them, on the PATH
out=$(cd "$root" && BIN="$dist/bin" TOOLS_BIN=/nonexistent ROOT="$root" PATH="$dist/bin:/usr/bin:/bin" \
    sh tests/cli/readme.sh 2>&1)
printf '%s\n' "$out" | grep -v '^ok '
if printf '%s\n' "$out" | grep -q '^ok '; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
# the encodings the static C library's iconv must know
printf 'ni\361a \223hola\224\n' > "${TMPDIR:-/tmp}/dist-cp1252.$$"
if [ "$("$dist/bin/clean" --from-encoding WINDOWS-1252 "${TMPDIR:-/tmp}/dist-cp1252.$$")" = "niña “hola”" ]; then
    passed=$((passed + 1))
else
    echo "FAIL dist_iconv: the static clean cannot read Windows-1252"
    failed=$((failed + 1))
fi
rm -f "${TMPDIR:-/tmp}/dist-cp1252.$$"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
