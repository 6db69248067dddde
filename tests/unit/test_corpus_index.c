/* test_corpus_index.c: the corpus index against known answers and against brute force. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- brute force, over code points ---- */

typedef struct bfile {
    uint32_t *cp;
    size_t n;
} bfile;

static uint32_t *decode(const char *s, size_t len, size_t *n)
{
    uint32_t *out = malloc((len + 1) * sizeof *out);
    *n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = cr_utf8_decode((const unsigned char *)s + i, len - i, &out[*n]);
        if (k == 0) k = 1;
        i += k;
        (*n)++;
    }
    return out;
}

/* Occurrences of p (m code points, m >= 1) in the files; the first one in *file, *off. */
static size_t occurrences(const bfile *f, size_t nf, const uint32_t *p, size_t m, size_t *file,
                          size_t *off)
{
    size_t count = 0;
    for (size_t k = 0; k < nf; k++)
        for (size_t i = 0; i + m <= f[k].n; i++)
            if (memcmp(f[k].cp + i, p, m * sizeof *p) == 0) {
                if (count++ == 0) {
                    *file = k;
                    *off = i;
                }
            }
    return count;
}

/* The longest suffix of text[0..end) that occurs, knowing it is at most most. */
static size_t longest_suffix(const bfile *f, size_t nf, const uint32_t *text, size_t end,
                             size_t most)
{
    size_t file, off;
    for (size_t m = most; m > 0; m--)
        if (occurrences(f, nf, text + end - m, m, &file, &off)) return m;
    return 0;
}

/* Line and column of offset off of a file, as an editor counts them. */
static void line_col(const bfile *f, size_t off, uint64_t *line, uint64_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        int brk = f->cp[i] == '\n' || (f->cp[i] == '\r' && !(i + 1 < f->n && f->cp[i + 1] == '\n'));
        if (brk) {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* The maximal spans by brute force; returns how many, written to out (room for n). */
static size_t brute_spans(const bfile *f, size_t nf, const uint32_t *text, size_t n, size_t min,
                          cr_corpus_span *out)
{
    size_t *e = calloc(n + 1, sizeof *e), ns = 0;
    for (size_t j = 0; j < n; j++)
        e[j] = longest_suffix(f, nf, text, j + 1, (j ? e[j - 1] : 0) + 1);
    for (size_t j = 0; j < n; j++) {
        if (e[j] < min || (j + 1 < n && e[j + 1] == e[j] + 1)) continue;
        cr_corpus_span *s = &out[ns++];
        size_t file = 0, off = 0;
        s->start = j + 1 - e[j];
        s->length = e[j];
        s->others = occurrences(f, nf, text + s->start, s->length, &file, &off) - 1;
        s->first.file = (uint32_t)file;
        s->first.offset = off;
        line_col(&f[file], off, &s->first.line, &s->first.column);
    }
    free(e);
    return ns;
}

static int same_span(const cr_corpus_span *a, const cr_corpus_span *b)
{
    return a->start == b->start && a->length == b->length && a->others == b->others &&
           a->first.file == b->first.file && a->first.offset == b->first.offset &&
           a->first.line == b->first.line && a->first.column == b->first.column;
}

/* ---- known answers ---- */

static const char *const PLANTED[] = {
    /* a span at the very start, one crossing a line break, one in Cyrillic, one at the very end;
     * CRLF and lone CR line ends */
    "Mending nets at dawn\r\nthe gulls were loud\rа море шумело всю ночь\nthe end of it all",
    /* the crossing span again, in a second file */
    "xx the gulls were loud\rа море yy\n\nquiet bay",
};

static cr_corpus_index *planted_index(void)
{
    cr_corpus_file f[2];
    for (int i = 0; i < 2; i++) {
        f[i].name = i ? "two.txt" : "one.txt";
        f[i].text = (const unsigned char *)PLANTED[i];
        f[i].len = strlen(PLANTED[i]);
    }
    cr_corpus_index *ix = NULL;
    cr_error err;
    if (cr_corpus_index_build(f, 2, &ix, &err) != CR_OK) return NULL;
    return ix;
}

static size_t match(const cr_corpus_index *ix, const char *text, size_t min, cr_corpus_span **s)
{
    size_t n, ns = 0;
    uint32_t *cp = decode(text, strlen(text), &n);
    cr_error err;
    if (cr_corpus_match(ix, cp, n, min, s, &ns, &err) != CR_OK) ns = 999;
    free(cp);
    return ns;
}

TEST(corpus_index_planted_spans_and_places)
{
    cr_corpus_index *ix = planted_index();
    REQUIRE(ix);
    CHECK(cr_corpus_index_files(ix) == 2);
    CHECK(strcmp(cr_corpus_index_name(ix, 1), "two.txt") == 0);
    CHECK(cr_corpus_index_name(ix, 2) == NULL);
    CHECK(cr_corpus_index_chars(ix, 0) == 82);
    cr_corpus_span *s;
    /* the start of file one: "Mending nets" (12), then "!" that the corpus never has */
    size_t n = match(ix, "Mending nets!", 5, &s);
    REQUIRE(n == 1);
    CHECK(s[0].start == 0 && s[0].length == 12 && s[0].others == 0);
    CHECK(s[0].first.file == 0 && s[0].first.line == 1 && s[0].first.column == 1);
    free(s);
    /* across the lone CR, into Cyrillic: in both files; first in one.txt, line 2 (after CRLF) */
    n = match(ix, "the gulls were loud\rа море!", 10, &s);
    REQUIRE(n == 1);
    CHECK(s[0].start == 0 && s[0].length == 26 && s[0].others == 1);
    CHECK(s[0].first.file == 0 && s[0].first.offset == 22);
    CHECK(s[0].first.line == 2 && s[0].first.column == 1);
    free(s);
    /* Cyrillic only in file one, line 3, column 1 (the line after the lone CR); "всю ночь" has 8
     * code points and 15 bytes */
    n = match(ix, "море шумело всю ночь.", 8, &s);
    REQUIRE(n == 1);
    CHECK(s[0].start == 0 && s[0].length == 20 && s[0].others == 0);
    CHECK(s[0].first.line == 3 && s[0].first.column == 3);
    free(s);
    /* the very end of file one; the match stops at the file's end, never into file two */
    n = match(ix, ">the end of it allxx the", 5, &s);
    REQUIRE(n == 2);
    CHECK(s[0].start == 1 && s[0].length == 17 && s[0].first.file == 0);
    CHECK(s[0].first.line == 4 && s[0].first.column == 1);
    CHECK(s[1].start == 18 && s[1].length == 6 && s[1].first.file == 1);
    CHECK(s[1].first.line == 1 && s[1].first.column == 1 && s[1].others == 0);
    free(s);
    /* the last line of file two: after a lone CR, a line break and an empty line */
    n = match(ix, "quiet bay", 9, &s);
    REQUIRE(n == 1);
    CHECK(s[0].first.file == 1 && s[0].first.line == 4 && s[0].first.column == 1);
    free(s);
    /* nothing copied: a text of characters the corpus has, but no run of 5 */
    n = match(ix, "zebra quartz vexing jumpy", 5, &s);
    CHECK(n == 0 && s == NULL);
    cr_error err;
    CHECK(cr_corpus_match(ix, NULL, 0, 0, &s, &n, &err) == CR_EINVAL);
    cr_corpus_index_free(ix);
}

TEST(corpus_index_refuses_bad_input)
{
    cr_corpus_index *ix = (cr_corpus_index *)1;
    cr_error err;
    CHECK(cr_corpus_index_build(NULL, 0, &ix, &err) == CR_EINVAL && ix == NULL);
    cr_corpus_file f[2] = {{"ok", (const unsigned char *)"fine", 4},
                           {"bad", (const unsigned char *)"ab\xC3(", 4}};
    CHECK(cr_corpus_index_build(f, 2, &ix, &err) == CR_EUTF8 && err.offset == 2);
    CHECK(strstr(err.message, "corpus file 2") != NULL);
    /* empty files only: nothing ever matches */
    cr_corpus_file e[2] = {{NULL, (const unsigned char *)"", 0}, {"e", (const unsigned char *)"", 0}};
    REQUIRE(cr_corpus_index_build(e, 2, &ix, &err) == CR_OK);
    cr_corpus_span *s;
    CHECK(match(ix, "abc", 1, &s) == 0);
    cr_corpus_cursor c;
    cr_corpus_cursor_init(&c, ix);
    CHECK(cr_corpus_cursor_feed(&c, 'a') == 0 && !cr_corpus_cursor_would_copy(&c, 'a', 0));
    cr_corpus_index_free(ix);
    cr_corpus_index_free(NULL);
}

/* ---- random texts against brute force ---- */

static const uint32_t SMALL[] = {'a', 'b', '\n', '\r', 0xE9 /* é */, 0x4E2D /* 中 */};

static void random_files(cr_rng *r, bfile *bf, size_t nf, char **utf8, size_t *lens, size_t big)
{
    for (size_t k = 0; k < nf; k++) {
        size_t n = (size_t)(cr_rng_next(r) % (big ? big : 40));
        bf[k].cp = malloc((n + 1) * sizeof *bf[k].cp);
        bf[k].n = n;
        utf8[k] = malloc(4 * n + 1);
        lens[k] = 0;
        /* a skewed alphabet: long repeats, so long and frequent matches */
        size_t kinds = 2 + (size_t)(cr_rng_next(r) % 5);
        for (size_t i = 0; i < n; i++) {
            uint32_t cp = SMALL[cr_rng_next(r) % 8 % kinds];
            bf[k].cp[i] = cp;
            lens[k] += cr_utf8_encode(cp, utf8[k] + lens[k]);
        }
    }
}

TEST(corpus_index_matches_brute_force)
{
    cr_rng r;
    cr_rng_seed(&r, 13);
    for (int round = 0; round < 300; round++) {
        bfile bf[3];
        char *utf8[3];
        size_t lens[3], nf = 1 + (size_t)(cr_rng_next(&r) % 3);
        random_files(&r, bf, nf, utf8, lens, round % 10 == 0 ? 3000 : 0);
        cr_corpus_file f[3];
        for (size_t k = 0; k < nf; k++) {
            f[k].name = "f";
            f[k].text = (const unsigned char *)utf8[k];
            f[k].len = lens[k];
        }
        cr_corpus_index *ix;
        cr_error err;
        REQUIRE(cr_corpus_index_build(f, nf, &ix, &err) == CR_OK);
        /* a text made of pieces of the files, and of random code points, one the corpus lacks */
        size_t n = 0;
        uint32_t text[200];
        while (n < 200) {
            size_t k = (size_t)(cr_rng_next(&r) % nf), len = 1 + (size_t)(cr_rng_next(&r) % 30);
            if (bf[k].n && cr_rng_next(&r) % 3) {
                size_t at = (size_t)(cr_rng_next(&r) % bf[k].n);
                for (size_t i = at; i < bf[k].n && i < at + len && n < 200; i++)
                    text[n++] = bf[k].cp[i];
            } else {
                text[n++] = cr_rng_next(&r) % 7 ? SMALL[cr_rng_next(&r) % 6] : 'z';
            }
        }
        size_t min = 1 + (size_t)(cr_rng_next(&r) % 6);
        cr_corpus_span *got, want[200];
        size_t ngot;
        CHECK(cr_corpus_match(ix, text, n, min, &got, &ngot, &err) == CR_OK);
        size_t nwant = brute_spans(bf, nf, text, n, min, want);
        CHECK(ngot == nwant);
        for (size_t i = 0; i < ngot && i < nwant; i++)
            CHECK(same_span(&got[i], &want[i]));
        free(got);
        cr_corpus_index_free(ix);
        for (size_t k = 0; k < nf; k++) {
            free(bf[k].cp);
            free(utf8[k]);
        }
        if (test_current_failed()) return;
    }
}

TEST(corpus_cursor_matches_brute_force)
{
    cr_rng r;
    cr_rng_seed(&r, 7);
    for (int round = 0; round < 200; round++) {
        bfile bf[2];
        char *utf8[2];
        size_t lens[2], nf = 1 + (size_t)(cr_rng_next(&r) % 2);
        random_files(&r, bf, nf, utf8, lens, round % 10 == 0 ? 2000 : 0);
        cr_corpus_file f[2];
        for (size_t k = 0; k < nf; k++) {
            f[k].name = NULL;
            f[k].text = (const unsigned char *)utf8[k];
            f[k].len = lens[k];
        }
        cr_corpus_index *ix;
        cr_error err;
        REQUIRE(cr_corpus_index_build(f, nf, &ix, &err) == CR_OK);
        cr_corpus_cursor c;
        cr_corpus_cursor_init(&c, ix);
        uint32_t text[301];
        size_t len = 0;
        for (size_t j = 0; j < 300; j++) {
            /* mostly the continuation of a copy, so that matches grow long */
            uint32_t cp = SMALL[cr_rng_next(&r) % 6];
            if (cr_rng_next(&r) % 50 == 0) cp = 'z';
            if (cr_rng_next(&r) % 4 && c.len > 0 && bf[0].n) {
                size_t file, off;
                if (occurrences(bf, nf, text + j - c.len, c.len, &file, &off) &&
                    off + c.len < bf[file].n)
                    cp = bf[file].cp[off + c.len];
            }
            /* would_copy for every candidate and a few limits, against the length after it */
            for (size_t k = 0; k < 7; k++) {
                text[j] = k < 6 ? SMALL[k] : 'z';
                size_t after = longest_suffix(bf, nf, text, j + 1, len + 1);
                size_t limit = (size_t)(cr_rng_next(&r) % 8);
                CHECK(cr_corpus_cursor_would_copy(&c, text[j], limit) == (after > limit));
            }
            text[j] = cp;
            len = longest_suffix(bf, nf, text, j + 1, len + 1);
            CHECK(cr_corpus_cursor_feed(&c, cp) == len);
            CHECK(c.len == len);
            cr_corpus_place first;
            uint64_t count = cr_corpus_cursor_where(&c, &first);
            if (len > 0) {
                size_t file = 0, off = 0;
                CHECK(count == occurrences(bf, nf, text + j + 1 - len, len, &file, &off));
                CHECK(first.file == file && first.offset == off);
            } else {
                CHECK(count == 0);
            }
            if (test_current_failed()) break;
        }
        cr_corpus_index_free(ix);
        for (size_t k = 0; k < nf; k++) {
            free(bf[k].cp);
            free(utf8[k]);
        }
        if (test_current_failed()) return;
    }
}

/* A long copy, then a break: the cursor drops back through long matches (the LCP table's
 * searches across many blocks), on a corpus of 20000 code points. */
TEST(corpus_cursor_long_copies)
{
    cr_rng r;
    cr_rng_seed(&r, 99);
    size_t n = 20000;
    char *t = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        t[i] = "ab\nc"[cr_rng_next(&r) % 4 % (i % 1000 < 500 ? 2 : 4)];
    cr_corpus_file f = {"big", (const unsigned char *)t, n};
    cr_corpus_index *ix;
    cr_error err;
    REQUIRE(cr_corpus_index_build(&f, 1, &ix, &err) == CR_OK);
    uint32_t *text = malloc(3000 * sizeof *text);
    for (size_t i = 0; i < 3000; i++)
        text[i] = (unsigned char)t[(i < 1500 ? 200 : 9000) + i];
    cr_corpus_span *s;
    size_t ns;
    REQUIRE(cr_corpus_match(ix, text, 3000, 50, &s, &ns, &err) == CR_OK);
    REQUIRE(ns >= 2);
    CHECK(s[0].start == 0 && s[0].length >= 1500 && s[0].first.offset == 200 && s[0].others == 0);
    CHECK(s[ns - 1].start + s[ns - 1].length == 3000);
    free(s);
    free(text);
    free(t);
    cr_corpus_index_free(ix);
}

/* ---- a saved index ---- */

static int same_matches(const cr_corpus_index *a, const cr_corpus_index *b, const char *text)
{
    cr_corpus_span *x, *y;
    size_t nx = match(a, text, 3, &x), ny = match(b, text, 3, &y), same = nx == ny && nx < 999;
    for (size_t i = 0; same && i < nx; i++)
        same = same_span(&x[i], &y[i]);
    free(x);
    free(y);
    return same;
}

TEST(corpus_index_saved_round_trip)
{
    cr_corpus_index *ix = planted_index(), *back;
    REQUIRE(ix);
    unsigned char *buf, *again;
    size_t len, len2;
    cr_error err;
    REQUIRE(cr_corpus_index_encode(ix, &buf, &len, &err) == CR_OK);
    REQUIRE(cr_corpus_index_decode(buf, len, &back, &err) == CR_OK);
    CHECK(cr_corpus_index_files(back) == 2);
    for (size_t f = 0; f < 2; f++) {
        CHECK(strcmp(cr_corpus_index_name(back, f), cr_corpus_index_name(ix, f)) == 0);
        CHECK(cr_corpus_index_bytes(back, f) == strlen(PLANTED[f]));
        CHECK(cr_corpus_index_chars(back, f) == cr_corpus_index_chars(ix, f));
        CHECK(memcmp(cr_corpus_index_sha256(back, f), cr_corpus_index_sha256(ix, f), 32) == 0);
    }
    CHECK(cr_corpus_index_sha256(back, 2) == NULL && cr_corpus_index_bytes(back, 2) == 0);
    /* an empty file's SHA-256, as sha256sum prints it */
    static const unsigned char empty_sha[32] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    cr_corpus_file e = {"empty", (const unsigned char *)"", 0};
    cr_corpus_index *ex;
    REQUIRE(cr_corpus_index_build(&e, 1, &ex, &err) == CR_OK);
    CHECK(memcmp(cr_corpus_index_sha256(ex, 0), empty_sha, 32) == 0);
    cr_corpus_index_free(ex);
    CHECK(same_matches(ix, back, "Mending nets at dawn\nthe gulls were loud\rа море шумело!"));
    CHECK(same_matches(ix, back, ">the end of it allxx the quiet bay"));
    /* written again, the same bytes */
    REQUIRE(cr_corpus_index_encode(back, &again, &len2, &err) == CR_OK);
    CHECK(len2 == len && memcmp(buf, again, len) == 0);
    free(again);
    cr_corpus_index_free(back);
    cr_corpus_index_free(ix);
    free(buf);
}

TEST(corpus_index_saved_random_corpora_round_trip)
{
    cr_rng r;
    cr_rng_seed(&r, 31);
    for (int round = 0; round < 40; round++) {
        bfile bf[3];
        char *utf8[3];
        size_t lens[3], nf = 1 + (size_t)(cr_rng_next(&r) % 3);
        random_files(&r, bf, nf, utf8, lens, round % 4 == 0 ? 2000 : 0);
        cr_corpus_file f[3];
        for (size_t k = 0; k < nf; k++)
            f[k] = (cr_corpus_file){"f", (const unsigned char *)utf8[k], lens[k]};
        cr_corpus_index *ix, *back;
        cr_error err;
        unsigned char *buf;
        size_t len;
        REQUIRE(cr_corpus_index_build(f, nf, &ix, &err) == CR_OK);
        REQUIRE(cr_corpus_index_encode(ix, &buf, &len, &err) == CR_OK);
        REQUIRE(cr_corpus_index_decode(buf, len, &back, &err) == CR_OK);
        char text[80];
        for (size_t i = 0; i < sizeof text - 1; i++)
            text[i] = "ab\n\rz"[cr_rng_next(&r) % 5];
        text[sizeof text - 1] = 0;
        CHECK(same_matches(ix, back, text));
        cr_corpus_index_free(back);
        cr_corpus_index_free(ix);
        free(buf);
        for (size_t k = 0; k < nf; k++) {
            free(bf[k].cp);
            free(utf8[k]);
        }
    }
}

/* The CRC-32 of the header and records, which follows them at byte at. */
static void set_crc(unsigned char *b, size_t at)
{
    uint32_t c = cr_crc32(0, b, at);
    for (int i = 0; i < 4; i++)
        b[at + i] = (unsigned char)(c >> (8 * i));
}

TEST(corpus_index_saved_damage_is_refused)
{
    cr_corpus_index *ix = planted_index(), *back = (cr_corpus_index *)1;
    REQUIRE(ix);
    unsigned char *buf;
    size_t len;
    cr_error err;
    REQUIRE(cr_corpus_index_encode(ix, &buf, &len, &err) == CR_OK);
    unsigned char *b = malloc(len);
    /* every truncation */
    for (size_t k = 0; k < len; k++) {
        memcpy(b, buf, k);
        int rc = cr_corpus_index_decode(b, k, &back, &err);
        CHECK(rc == CR_EFORMAT && back == NULL);
        if (test_current_failed()) break;
    }
    /* every byte flipped, one at a time; and one byte too many */
    for (size_t k = 0; k < len; k++) {
        memcpy(b, buf, len);
        b[k] ^= 0x20;
        int rc = cr_corpus_index_decode(b, len, &back, &err);
        CHECK((rc == CR_EFORMAT || rc == CR_EVERSION) && back == NULL);
        if (test_current_failed()) break;
    }
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    CHECK(cr_corpus_index_decode(longer, len + 1, &back, &err) == CR_EFORMAT);
    free(longer);
    memcpy(b, buf, len);
    b[28] ^= 0x20; /* the first letter of a name: "One.txt" */
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EFORMAT);
    CHECK(strstr(err.message, "do not match their CRC-32") != NULL);
    /* damage the CRC-32 does not cover, or made to match it */
    size_t nsa;
    cr_corpus_index_sa(ix, &nsa);
    size_t sa_at = len - 4 * nsa, crc_at = 24 + 2 * (4 + strlen("one.txt") + 48);
    memcpy(b, buf, len);
    for (int i = 0; i < 4; i++) { /* two suffixes swapped: a permutation, out of order */
        unsigned char t = b[sa_at + 20 + i];
        b[sa_at + 20 + i] = b[sa_at + 24 + i];
        b[sa_at + 24 + i] = t;
    }
    set_crc(b, crc_at);
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EFORMAT);
    CHECK(strstr(err.message, "suffix array is damaged") != NULL);
    memcpy(b, buf, len);
    b[sa_at + 20] = b[sa_at + 24]; /* one suffix twice: not a permutation */
    b[sa_at + 21] = b[sa_at + 25];
    set_crc(b, crc_at);
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EFORMAT);
    memcpy(b, buf, len);
    b[sa_at - 1] ^= 1; /* the last character of a text: the suffix array no longer fits it */
    set_crc(b, crc_at);
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EFORMAT);
    memcpy(b, buf, len);
    size_t sha2 = crc_at - 32;
    b[sha2 + 31] ^= 1; /* the recorded SHA-256 of file two */
    set_crc(b, crc_at);
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EFORMAT);
    CHECK(strstr(err.message, "file 2 is not the one recorded (its SHA-256 differs)") != NULL);
    /* a newer version; a text-mode copy; not an index at all */
    memcpy(b, buf, len);
    b[8] = 2;
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EVERSION);
    CHECK(strstr(err.message, "newer") != NULL);
    memcpy(b, buf, len);
    b[4] = '\n';
    CHECK(cr_corpus_index_decode(b, len, &back, &err) == CR_EFORMAT);
    CHECK(strstr(err.message, "copied as text") != NULL);
    CHECK(cr_corpus_index_decode((const unsigned char *)"hello there", 11, &back, &err) ==
          CR_EFORMAT);
    CHECK(strstr(err.message, "not a charrnn corpus index") != NULL);
    free(b);
    free(buf);
    cr_corpus_index_free(ix);
}
