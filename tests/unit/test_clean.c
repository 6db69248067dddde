/* test_clean.c: every pass of the corpus cleaner, whole and fed one byte at a time. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct buffer {
    char *p;
    size_t n, cap;
} buffer;

static int buffer_write(void *ctx, const unsigned char *p, size_t n)
{
    buffer *b = ctx;
    if (b->cap - b->n < n + 1) {
        size_t cap = 2 * (b->n + n + 1);
        char *q = realloc(b->p, cap);
        if (!q) return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

/* Cleans files[0..nfiles) (NUL-terminated strings, except the first, of length len0 when
 * len0 is not 0) pushed in pieces of step bytes; returns the text (malloc'd) or NULL. */
static char *clean_files(const cr_clean_options *o, const char *const *files, int nfiles,
                         size_t len0, size_t step, cr_clean_stats *stats)
{
    buffer b = {0};
    cr_cleaner *c;
    cr_error e;
    if (buffer_write(&b, (const unsigned char *)"", 0) ||
        cr_cleaner_new(o, buffer_write, &b, &c, &e) != CR_OK) {
        free(b.p);
        return NULL;
    }
    int rc = CR_OK;
    for (int f = 0; f < nfiles && rc == CR_OK; f++) {
        const unsigned char *in = (const unsigned char *)files[f];
        size_t len = f == 0 && len0 ? len0 : strlen(files[f]);
        for (size_t i = 0; i < len && rc == CR_OK; i += step)
            rc = cr_cleaner_push(c, in + i, len - i < step ? len - i : step, &e);
        if (rc == CR_OK && f + 1 < nfiles) rc = cr_cleaner_end_file(c, &e);
    }
    if (rc == CR_OK) rc = cr_cleaner_finish(c, &e);
    if (stats) cr_cleaner_stats(c, stats);
    cr_cleaner_free(c);
    if (rc != CR_OK) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static char *clean_split(const cr_clean_options *o, const char *in, size_t len, size_t step)
{
    return clean_files(o, &in, 1, len, step, NULL);
}

/* Whole, one byte at a time and three at a time, the output must be want. */
static int cleans_to_n(const cr_clean_options *o, const char *in, size_t len, const char *want)
{
    static const size_t steps[] = {(size_t)-1, 1, 3};
    int ok = 1;
    for (size_t k = 0; k < 3; k++) {
        char *got = clean_split(o, in, len, len && steps[k] > len ? len : steps[k]);
        if (!got || strcmp(got, want) != 0) {
            fprintf(stderr, "  pushes of %zu bytes: got \"%s\", want \"%s\"\n",
                    steps[k] == (size_t)-1 ? len : steps[k], got ? got : "(error)", want);
            ok = 0;
        }
        free(got);
    }
    return ok;
}

static int cleans_to(const cr_clean_options *o, const char *in, const char *want)
{
    return cleans_to_n(o, in, strlen(in), want);
}

static cr_clean_options opts(void)
{
    cr_clean_options o;
    cr_clean_options_default(&o);
    return o;
}

TEST(clean_always_tidies)
{
    cr_clean_options o = opts();
    CHECK(cleans_to(&o, "", ""));
    CHECK(cleans_to(&o, "a", "a\n"));
    CHECK(cleans_to(&o, "a\n", "a\n"));
    CHECK(cleans_to(&o, "\xEF\xBB\xBFhello\n", "hello\n"));
    CHECK(cleans_to(&o, "one\r\ntwo\rthree\n\r\n", "one\ntwo\nthree\n"));
    CHECK(cleans_to(&o, "a\r\r\nb", "a\n\nb\n"));
    CHECK(cleans_to(&o, "a\x01\x1B[0m\x7F\xC2\x85z\tt\fx\n", "a[0mz\ttx\n"));
    CHECK(cleans_to(&o, "trail  \t\nmid  dle \n", "trail\nmid  dle\n"));
    CHECK(cleans_to(&o, "\n\n \n a\n\n\n\n\nb\n\n\n", " a\n\nb\n"));
    CHECK(cleans_to(&o, "  \n\t\n\n", ""));
    CHECK(cleans_to(&o, "x\xEF\xBB\xBFy\n", "xy\n"));
}

TEST(clean_repairs_invalid_utf8)
{
    cr_clean_options o = opts();
    CHECK(cleans_to(&o, "caf\xE9!", "caf\xEF\xBF\xBD!\n"));          /* Latin-1 */
    CHECK(cleans_to(&o, "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\n"));   /* overlong: two */
    CHECK(cleans_to(&o, "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\n")); /* surrogate */
    CHECK(cleans_to(&o, "\xE2\x82x", "\xEF\xBF\xBDx\n"));            /* cut short: one */
    CHECK(cleans_to(&o, "a\xE2\x82", "a\xEF\xBF\xBD\n"));            /* cut by the end */
    CHECK(cleans_to(&o, "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\n"));
    CHECK(cleans_to(&o, "\xF0\x9F\x98\x80 \xE2\x82\xAC", "\xF0\x9F\x98\x80 \xE2\x82\xAC\n"));
    CHECK(cleans_to_n(&o, "a\0b", 3, "ab\n"));
    o.drop_invalid = 1;
    CHECK(cleans_to(&o, "caf\xE9!\xC0\xAF\xE2\x82", "caf!\n"));
    cr_clean_stats st;
    const char *in = "x\xFF\xFEy\xE2\x82";
    free(clean_files(&o, &in, 1, 0, 1, &st));
    CHECK(st.invalid == 3);
    CHECK(st.vocab_in == 3 && st.vocab_out == 3); /* x y U+FFFD; x y \n */
}

TEST(clean_random_bytes_give_tidy_utf8_however_split)
{
    cr_rng r;
    cr_rng_seed(&r, 11);
    size_t len = 6000;
    char *in = malloc(len);
    REQUIRE(in);
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < len; i++) { /* bytes biased towards text and markup */
            uint64_t x = cr_rng_next(&r);
            in[i] = x % 3 == 0 ? "<>&;#x\n\r \t/!-pa*"[(x >> 8) % 17] : (char)(x >> 16);
        }
        cr_clean_options o = opts();
        o.html = round & 1;
        o.gutenberg = (round >> 1) & 1;
        o.unwrap = o.ascii = o.lower = (round >> 2) & 1;
        o.dedupe = round == 3 || round == 7;
        o.min_count = round == 6 ? 3 : 0;
        char *whole = clean_split(&o, in, len, len);
        char *bytewise = clean_split(&o, in, len, 1);
        char *sevens = clean_split(&o, in, len, 7);
        REQUIRE(whole && bytewise && sevens);
        CHECK(strcmp(whole, bytewise) == 0);
        CHECK(strcmp(whole, sevens) == 0);
        size_t n = strlen(whole);
        CHECK(cr_utf8_valid((const unsigned char *)whole, n, NULL));
        CHECK(n == 0 || whole[n - 1] == '\n');
        CHECK(!strstr(whole, "\n\n\n") && !strstr(whole, " \n") && !strstr(whole, "\t\n"));
        CHECK(!strchr(whole, '\r') && whole[0] != '\n');
        for (size_t i = 0; i < n; i++)
            CHECK((unsigned char)whole[i] >= 0x20 || whole[i] == '\n' || whole[i] == '\t');
        free(whole);
        free(bytewise);
        free(sevens);
    }
    free(in);
}

TEST(clean_html)
{
    cr_clean_options o = opts();
    o.html = 1;
    CHECK(cleans_to(&o, "<p>Hello <b>bold</b> world</p><p>Two</p>", "Hello bold world\n\nTwo\n"));
    CHECK(cleans_to(&o, "<html><head><title>T</title><style>p { color: red }</style>"
                        "<script>if (a<b && c>d) document.write(\"</p>\");</script></head>"
                        "<body>Text</body></html>", "T\n\nText\n"));
    CHECK(cleans_to(&o, "a<!-- <p>hidden</p> -- still -->b<!DOCTYPE html><?xml x?>c", "abc\n"));
    CHECK(cleans_to(&o, "<SCRIPT type=x>var s = '</p>';</ScRiPt >after", "after\n"));
    CHECK(cleans_to(&o, "line<br>next<br/>last<BR />", "line\nnext\nlast\n"));
    CHECK(cleans_to(&o, "<ul>\n  <li>one</li>\n  <li>two</li>\n</ul>", "one\ntwo\n"));
    CHECK(cleans_to(&o, "<div>a</div><div>b</div><h2>T</h2>c", "a\nb\n\nT\n\nc\n"));
    CHECK(cleans_to(&o, "<table><tr><td>1</td><td>2</td></tr><tr><th>3</th></tr></table>",
                    "1 2\n3\n"));
    CHECK(cleans_to(&o, "<a href=\"x>y\" title='>'>link</a> <img alt=a>", "link\n"));
    CHECK(cleans_to(&o, "  spread\n   over\tlines  ", "spread over lines\n"));
    CHECK(cleans_to(&o, "<pre>  keep\n    this</pre>x", "  keep\n    this\n\nx\n"));
    CHECK(cleans_to(&o, "if a < b and c<3 then", "if a < b and c<3 then\n"));
}

TEST(clean_html_entities)
{
    cr_clean_options o = opts();
    o.html = 1;
    CHECK(cleans_to(&o, "&lt;p&gt; &amp; &quot;q&quot; &apos;s&apos;", "<p> & \"q\" 's'\n"));
    CHECK(cleans_to(&o, "caf&eacute; ni&ntilde;o &Uuml;ber gar&ccedil;on &copy;",
                    "café niño Über garçon ©\n"));
    CHECK(cleans_to(&o, "a&mdash;b&ndash;c&hellip; &lsquo;x&rsquo; &ldquo;y&rdquo;",
                    "a—b–c… ‘x’ “y”\n"));
    CHECK(cleans_to(&o, "a&nbsp;b", "a\xC2\xA0" "b\n"));
    CHECK(cleans_to(&o, "&#233;&#xE9;&#XE9;&#x1F600;&#233", "ééé😀é\n"));
    CHECK(cleans_to(&o, "&#0; &#xD800; &#x110000; &#99999999999;",
                    "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\n"));
    CHECK(cleans_to(&o, "&#150; &#146;", "– ’\n")); /* read as Windows-1252, as browsers do */
    CHECK(cleans_to(&o, "AT&T &bogus; &#; &#x; & so", "AT&T &bogus; &#; &#x; & so\n"));
    CHECK(cleans_to(&o, "&amp", "&amp\n"));
    CHECK(cleans_to(&o, "x&lt", "x&lt\n"));
    CHECK(cleans_to(&o, "<p>cut", "cut\n"));
    CHECK(cleans_to(&o, "cut<p", "cut\n"));
    cr_clean_stats st;
    const char *in = "<p>a &amp; b &#233;</p><!-- c -->";
    free(clean_files(&o, &in, 1, 0, 1, &st));
    CHECK(st.tags == 3);
    CHECK(st.entities == 2);
}

TEST(clean_html_state_ends_with_each_file)
{
    cr_clean_options o = opts();
    o.html = 1;
    const char *files[] = {"<p>one <a href=\"", "two</p>", "three &amp", "; four"};
    char *got = clean_files(&o, files, 4, 0, 1, NULL);
    REQUIRE(got);
    CHECK(strcmp(got, "one\ntwo\n\nthree &amp\n; four\n") == 0);
    free(got);
}

static const char PG[] =
    "The Project Gutenberg eBook of Tales\n"
    "\n"
    "Title: Tales\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK TALES ***\n"
    "\n"
    "Once upon a time.\n"
    "\n"
    "The end.\n"
    "*** END OF THE PROJECT GUTENBERG EBOOK TALES ***\n"
    "Section 1. General Terms of Use\n";

TEST(clean_gutenberg)
{
    cr_clean_options o = opts();
    o.gutenberg = 1;
    CHECK(cleans_to(&o, PG, "Once upon a time.\n\nThe end.\n"));
    CHECK(cleans_to(&o, "Header\n***START OF THIS PROJECT GUTENBERG EBOOK X***\r\nBody\r\n"
                        "End of the Project Gutenberg EBook of X\r\nlicence\r\n",
                    "Body\n"));
    CHECK(cleans_to(&o, "Small print\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n"
                        "Old text\nEnd of Project Gutenberg's Old Text, by Someone\nfoot\n",
                    "Old text\n"));
    CHECK(cleans_to(&o, "   ***   start of the project gutenberg ebook y ***\nlower case\n",
                    "lower case\n"));
    CHECK(cleans_to(&o, "no markers\nat all\n", "no markers\nat all\n"));
    CHECK(cleans_to(&o, "body only\n*** END OF THE PROJECT GUTENBERG EBOOK Z ***\nlicence\n",
                    "body only\n"));
    CHECK(cleans_to(&o, "Not a *** START OF THE PROJECT GUTENBERG line\n",
                    "Not a *** START OF THE PROJECT GUTENBERG line\n"));
    const char *files[] = {PG, PG, "plain\n"};
    cr_clean_stats st;
    char *got = clean_files(&o, files, 3, 0, 5, &st);
    REQUIRE(got);
    CHECK(strcmp(got, "Once upon a time.\n\nThe end.\n\nOnce upon a time.\n\nThe end.\nplain\n") == 0);
    CHECK(st.gutenberg_lines == 12);
    free(got);
}

TEST(clean_gutenberg_long_head_is_no_header)
{
    cr_clean_options o = opts();
    o.gutenberg = 1;
    size_t n = 300000;
    char *in = malloc(n + 1);
    REQUIRE(in);
    for (size_t i = 0; i < n; i++)
        in[i] = i % 50 == 49 ? '\n' : 'a' + (char)(i % 50 % 26);
    in[n] = 0;
    char *got = clean_split(&o, in, n, 4096);
    REQUIRE(got);
    CHECK(strcmp(got, in) == 0);
    free(got);
    free(in);
}

TEST(clean_unwrap)
{
    cr_clean_options o = opts();
    o.unwrap = 1;
    CHECK(cleans_to(&o, "It was a dark\nand stormy   \n   night.\n\nNext\nparagraph.\n",
                    "It was a dark and stormy night.\n\nNext paragraph.\n"));
    CHECK(cleans_to(&o, "  Indented\nstart.\n \t \n\n  Second\n", "  Indented start.\n\n  Second\n"));
    CHECK(cleans_to(&o, "one\r\ntwo\r\n\r\nthree", "one two\n\nthree\n"));
    const char *files[] = {"end of one\n", "start of two\n"};
    char *got = clean_files(&o, files, 2, 0, 1, NULL);
    REQUIRE(got);
    CHECK(strcmp(got, "end of one\n\nstart of two\n") == 0);
    free(got);
}

TEST(clean_ascii_fold)
{
    cr_clean_options o = opts();
    o.ascii = 1;
    CHECK(cleans_to(&o, "‘single’ “double” „low“ «guillemets» ‹one›",
                    "'single' \"double\" \"low\" \"guillemets\" 'one'\n"));
    CHECK(cleans_to(&o, "a–b—c―d‐e−f… g\xC2\xA0h\xE2\x80\xAFi\xE2\x80\x89j so\xC2\xAD" "ft",
                    "a-b--c--d-e-f... g h i j soft\n"));
    CHECK(cleans_to(&o, "naïve café ½ ©", "naïve café ½ ©\n"));
    CHECK(cleans_to(&o, "end\xC2\xA0\n", "end\n")); /* folded, then trimmed */
}

TEST(clean_lower)
{
    cr_clean_options o = opts();
    o.lower = 1;
    CHECK(cleans_to(&o, "ÀÉÎÕÜ ΑΒΓΣ ДЖЯ", "àéîõü αβγσ джя\n"));
    CHECK(cleans_to(&o, "Hello WORLD ÆØÅ Ÿ Œ ŁÓDŹ ÇA × ß", "hello world æøå ÿ œ łódź ça × ß\n"));
    CHECK(cleans_to(&o, "ΆΈΉΊΌΎΏ ΪΫ ἈἘἨ ᾈ Ὰ", "άέήίόύώ ϊϋ ἀἐἠ ᾀ ὰ\n"));
    CHECK(cleans_to(&o, "ЁЂЃЄЅІЇЈЉЊЋЌЍЎЏ Ґ Ӂ Ӑ", "ёђѓєѕіїјљњћќѝўџ ґ ӂ ӑ\n"));
    CHECK(cleans_to(&o, "ƠƯ ẠẾ Ș Ț Ա ＡＢ İ", "ơư ạế ș ț ա ａｂ i\n"));
    CHECK(cleans_to(&o, "中文 123 ç", "中文 123 ç\n"));
    cr_clean_stats st;
    const char *in = "AbÇ";
    free(clean_files(&o, &in, 1, 0, 1, &st));
    CHECK(st.lowered == 2);
}

TEST(clean_dedupe)
{
    cr_clean_options o = opts();
    o.dedupe = 1;
    CHECK(cleans_to(&o, "Home | About\nText one.\n\nHome | About\nText two.\n\nHome | About  \n",
                    "Home | About\nText one.\n\nText two.\n"));
    CHECK(cleans_to(&o, "a\n\nb\n\na\n\nb\n\nc", "a\n\nb\n\nc\n"));
    CHECK(cleans_to(&o, "x\nx", "x\n"));
    CHECK(cleans_to(&o, " x\nx\n", " x\nx\n")); /* leading space: a different line */
    const char *files[] = {"menu\nfirst\n", "menu\nsecond"};
    cr_clean_stats st;
    char *got = clean_files(&o, files, 2, 0, 2, &st);
    REQUIRE(got);
    CHECK(strcmp(got, "menu\nfirst\nsecond\n") == 0);
    CHECK(st.duplicates == 1);
    free(got);
}

TEST(clean_rare_characters)
{
    cr_clean_options o = opts();
    o.min_count = 2;
    CHECK(cleans_to(&o, "aab\nab§\n", "aab\nab\n"));
    CHECK(cleans_to(&o, "aa ¤\n¶\naa\n", "aa\n\naa\n")); /* tidied again after dropping */
    CHECK(cleans_to(&o, "x\ny\n", ""));                  /* newlines are never rare */
    o.rare = 0xFFFD;
    CHECK(cleans_to(&o, "aab\nab§\n", "aab\nab\xEF\xBF\xBD\n"));
    o.rare = '?';
    o.min_count = 3;
    cr_clean_stats st;
    const char *in = "abcabcab\xF0\x9F\x98\x80\n";
    char *got = clean_files(&o, &in, 1, 0, 1, &st);
    REQUIRE(got);
    CHECK(strcmp(got, "ab?ab?ab?\n") == 0);
    CHECK(st.rare_replaced == 3);
    CHECK(st.vocab_in == 5 && st.vocab_out == 4);
    free(got);
}

TEST(clean_stats)
{
    cr_clean_options o = opts();
    o.ascii = o.lower = o.unwrap = 1;
    cr_clean_stats st;
    const char *in = "\xEF\xBB\xBF" "A\xFF\x01 \r\nb  \r\n\r\n\r\n\r\n\xE2\x80\x9C" "c\n";
    char *got = clean_files(&o, &in, 1, 0, 1, &st);
    REQUIRE(got);
    CHECK(strcmp(got, "a\xEF\xBF\xBD b\n\n\"c\n") == 0);
    CHECK(st.bytes_in == strlen(in));
    CHECK(st.bytes_out == strlen(got));
    CHECK(st.boms == 1);
    CHECK(st.invalid == 1);
    CHECK(st.controls == 1);
    CHECK(st.newlines == 5);
    CHECK(st.lowered == 1);
    CHECK(st.folded == 1);
    CHECK(st.joined == 1);
    CHECK(st.spaces == 0);      /* unwrap took the blanks */
    CHECK(st.blank_lines == 2); /* three blank lines became one */
    free(got);
    cr_clean_options plain = opts();
    in = "\n\na  \nb\t\n\n\n\nc\n\n\n";
    got = clean_files(&plain, &in, 1, 0, 1, &st);
    REQUIRE(got);
    CHECK(strcmp(got, "a\nb\n\nc\n") == 0);
    CHECK(st.spaces == 3);
    CHECK(st.blank_lines == 2 + 2 + 2); /* at the start, the run, the end */
    free(got);
}

static int failing_write(void *ctx, const unsigned char *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
    return -1;
}

TEST(clean_errors)
{
    cr_clean_options o = opts();
    cr_cleaner *c;
    cr_error e;
    o.rare = '?';
    CHECK(cr_cleaner_new(&o, failing_write, NULL, &c, &e) == CR_EINVAL && c == NULL);
    o.min_count = 2;
    o.rare = '\n';
    CHECK(cr_cleaner_new(&o, failing_write, NULL, &c, &e) == CR_EINVAL);
    o.rare = 0xD800;
    CHECK(cr_cleaner_new(&o, failing_write, NULL, &c, &e) == CR_EINVAL);
    o = opts();
    REQUIRE(cr_cleaner_new(&o, failing_write, NULL, &c, &e) == CR_OK);
    CHECK(cr_cleaner_push(c, (const unsigned char *)"abc\n", 4, &e) == CR_EIO);
    CHECK(cr_cleaner_push(c, (const unsigned char *)"d\n", 2, &e) == CR_EIO); /* sticky */
    CHECK(cr_cleaner_finish(c, &e) == CR_EIO);
    CHECK(cr_cleaner_push(c, (const unsigned char *)"d", 1, &e) == CR_EINVAL);
    cr_cleaner_free(c);
    cr_cleaner_free(NULL);
}

TEST(clean_text_in_memory)
{
    cr_clean_options o = opts();
    o.html = 1;
    unsigned char *out;
    size_t n;
    cr_clean_stats st;
    cr_error e;
    const char *in = "<p>Caf&eacute;</p>";
    REQUIRE(cr_clean_text(&o, (const unsigned char *)in, strlen(in), &out, &n, &st, &e) == CR_OK);
    CHECK(n == 6 && strcmp((char *)out, "Café\n") == 0);
    CHECK(st.entities == 1 && st.bytes_out == 6);
    free(out);
    o.rare = 'x';
    CHECK(cr_clean_text(&o, (const unsigned char *)in, strlen(in), &out, &n, NULL, &e) == CR_EINVAL);
    CHECK(out == NULL);
}
