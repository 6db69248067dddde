# fetch.sh: corpora/fetch verifies a download's SHA-256 before keeping and cleaning it.
. tests/cli/lib.sh

if ! command -v curl >/dev/null 2>&1; then
    skip fetch_verifies_and_cleans "curl is not installed (the test downloads a file:// address)"
elif ! [ -x "$BIN/clean" ]; then
    skip fetch_verifies_and_cleans "clean is not built"
else
    begin fetch_verifies_and_cleans
    printf 'The sea\r\nis grey.  \r\n\r\n\r\nThe end' > "$work/src.txt"
    sum=$(sha256sum "$work/src.txt" | cut -d' ' -f1)
    url="file://$work/src.txt"
    printf 'good\t%s\t%s\t34\t-\ta test\nbad\t%s\t%s\t34\t-\ta test\n' "$url" "$sum" "$url" \
        "0000000000000000000000000000000000000000000000000000000000000000" > "$work/sources.tsv"
    SOURCES="$work/sources.tsv" FETCH_DIR="$work/dl" run corpora/fetch good
    expect_status 0
    [ "$(cat "$work/dl/good.txt")" = "$(printf 'The sea\nis grey.\n\nThe end')" ] ||
        fail "not cleaned: $(od -c "$work/dl/good.txt" | head -3)"
    SOURCES="$work/sources.tsv" FETCH_DIR="$work/dl" run corpora/fetch bad
    expect_status 1
    expect_err "SHA-256 mismatch"
    [ -e "$work/dl/bad.raw" ] || [ -e "$work/dl/bad.txt" ] && fail "a mismatching download was kept"
    SOURCES="$work/sources.tsv" FETCH_DIR="$work/dl" run corpora/fetch nope
    expect_status 1
    expect_err "nope: not in"
    end
fi
