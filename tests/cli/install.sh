# install.sh: make install puts the tools under names that clash with nothing (charrnn-NAME and
# the charrnn front command), their man pages under those names, and the library with its
# header and pkg-config file, against which a small program compiles and runs.
. tests/cli/lib.sh

build=$(dirname "$BIN")
root="$work/root"

begin install_names_pages_and_front_command
make -s -C "$ROOT" install BUILD="$build" DESTDIR="$root" PREFIX=/usr/local > "$work/out" 2> "$work/err" ||
    fail "make install failed: $(tail -3 "$work/err")"
b="$root/usr/local/bin"
for n in charrnn charrnn-clean charrnn-tokenize charrnn-train charrnn-sample charrnn-dump charrnn-trace; do
    [ -x "$b/$n" ] || fail "$n is not installed"
    [ -f "$root/usr/local/share/man/man1/$n.1" ] || fail "the man page $n.1 is not installed"
done
for n in dump sample clean tokenize train-charrnn trace; do
    [ -e "$b/$n" ] && fail "$n is installed under its short name"
done
if command -v man > /dev/null 2>&1; then
    man -l "$root/usr/local/share/man/man1/charrnn-sample.1" 2> /dev/null | grep -q 'charrnn-sample - generate text' ||
        fail "charrnn-sample(1) does not name itself"
    man -l "$root/usr/local/share/man/man1/charrnn-sample.1" 2> /dev/null |
        grep -q 'charrnn-train --time 20 < corpus.txt | charrnn-sample -n 200' ||
        fail "charrnn-sample(1)'s examples use names that are not installed"
fi
# the front command runs the installed programs, whatever the PATH says
cd "$work" && PATH=/usr/bin:/bin "$b/charrnn" train --hidden 8 --layers 1 --batch 4 --steps 2 -q \
    -o "$work/i.ckpt" "$ROOT/$CORPUS" > "$work/out" 2> "$work/err" || fail "charrnn train failed: $(cat "$work/err")"
PATH=/usr/bin:/bin "$b/charrnn" sample -n 20 --seed 1 "$work/i.ckpt" > "$work/out" 2> "$work/err"
[ "$(wc -m < "$work/out")" -eq 20 ] || fail "charrnn sample wrote $(wc -m < "$work/out") characters: $(cat "$work/err")"
PATH=/usr/bin:/bin "$b/charrnn" smaple > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "an unknown command did not exit 2"
expect_err "did you mean 'charrnn sample'"
"$b/charrnn" --help | grep -q '^  trace ' || fail "charrnn --help does not list trace"
# an installed tool calls itself by its installed name
"$b/charrnn-sample" -t 1,5 x > /dev/null 2> "$work/err"
expect_err "^charrnn-sample: --temperature"
expect_err "^Try 'charrnn-sample --help'"
end

begin install_library_compiles_a_program
lib="$root/usr/local/lib"
[ -f "$lib/libcharrnn.a" ] && [ -f "$root/usr/local/include/charrnn.h" ] && [ -f "$lib/pkgconfig/charrnn.pc" ] ||
    fail "the library, its header or charrnn.pc is not installed"
cat > "$work/hello.c" << 'PROG'
#include <charrnn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    cr_model *m;
    cr_error err;
    if (argc < 2 || cr_ckpt_read_file(argv[1], &m, &err) != CR_OK) return 1;
    printf("%s %zu\n", cr_cell_name(cr_model_config(m)->cell), cr_model_param_count(m));
    cr_model_free(m);
    return 0;
}
PROG
if command -v pkg-config > /dev/null 2>&1; then
    flags=$(PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" pkg-config --cflags --libs charrnn)
else
    skip install_pkg_config "pkg-config is missing (apt-get install pkg-config); using the flags by hand"
    flags="-I$root/usr/local/include -L$lib -lcharrnn -lm -lpthread"
fi
cc=cc
san=""
if nm "$lib/libcharrnn.a" 2> /dev/null | grep -q __asan_; then # the make asan build
    cc=clang
    san="-fsanitize=address,undefined"
fi
$cc -std=c11 $san "$work/hello.c" $flags -o "$work/hello" 2> "$work/err" || fail "compiling against the installed library failed: $(cat "$work/err")"
"$work/hello" "$work/i.ckpt" > "$work/out" 2>&1 || fail "the program failed: $(cat "$work/out")"
expect_out "^lstm [0-9]"
end

begin uninstall_removes_everything
make -s -C "$ROOT" uninstall BUILD="$build" DESTDIR="$root" PREFIX=/usr/local > /dev/null 2>&1 || fail "make uninstall failed"
left=$(find "$root" -type f | tr '\n' ' ')
[ -z "$left" ] || fail "make uninstall left: $left"
end
