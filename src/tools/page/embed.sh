#!/bin/sh
# embed.sh: the page's source files as C byte arrays, for web_page.c. Needs only od and awk.
# sh embed.sh page.html page.css page.js > page_assets.c: PAGE_HTML, PAGE_CSS and PAGE_JS, each
# with a NUL after its bytes, and their lengths (without the NUL) in PAGE_HTML_LEN, ...
set -eu
echo "/* page_assets.c: made by src/tools/page/embed.sh from src/tools/page/; do not edit. */"
for f in "$@"; do
    name=PAGE_$(basename "$f" | sed 's/^page\.//' | tr a-z A-Z)
    [ -f "$f" ] || { echo "embed.sh: $f: no such file" >&2; exit 1; }
    od -An -v -tu1 "$f" | awk -v name="$name" '
        BEGIN { printf "const unsigned char %s[] = {\n", name; n = 0 }
        { for (i = 1; i <= NF; i++) { printf "%s,", $i; n++ } printf "\n" }
        END { printf "0};\nconst unsigned long %s_LEN = %d;\n", name, n }'
done
