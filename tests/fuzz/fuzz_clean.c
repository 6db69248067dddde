/* fuzz_clean.c: every pass of the cleaner on any bytes. The output must be valid UTF-8 with no
 * CR, no control character but newline and tab, no space or tab ending a line, no blank line at
 * the start, none at the end and never two in a row, and it ends with a newline unless empty;
 * each optional pass keeps its own promise; and the same input pushed in pieces split at
 * chosen points gives the same output and statistics as whole files pushed at once. No
 * byte-order mark is left, and the passes but html, gutenberg and min_count are idempotent.
 *
 * Input: byte 0 the options (bits: drop_invalid html gutenberg ascii lower unwrap dedupe
 * min_count); byte 1: bits 0-1 min_count - 1, bits 2-3 the rare replacement (none ? é ★), bit 4
 * two files, bits 5-7 the number of extra split points; byte 2 where the second file starts;
 * then one byte per split point (a place in the text, in 255ths); then the text. */
#include "charrnn.h"

#include <stdlib.h>
#include <string.h>

typedef struct sink {
    unsigned char *p;
    size_t n, cap;
} sink;

static int collect(void *ctx, const unsigned char *p, size_t n)
{
    sink *k = ctx;
    if (k->cap - k->n < n) {
        size_t cap = k->cap ? k->cap : 1024;
        while (cap - k->n < n)
            cap *= 2;
        unsigned char *q = realloc(k->p, cap);
        if (!q) abort();
        k->p = q;
        k->cap = cap;
    }
    memcpy(k->p + k->n, p, n);
    k->n += n;
    return 0;
}

/* Cleans files [0, cut) and [cut, len) (one file when cut == len), pushing each in the pieces
 * that the sorted split points make. */
static void clean(const cr_clean_options *o, const unsigned char *t, size_t len, size_t cut,
                  const size_t *splits, size_t nsplits, sink *out, cr_clean_stats *st)
{
    cr_cleaner *c;
    cr_error err;
    memset(out, 0, sizeof *out);
    if (cr_cleaner_new(o, collect, out, &c, &err) != CR_OK) abort();
    size_t from = 0;
    int ended = cut == len;
    for (size_t k = 0; k <= nsplits; k++) {
        size_t to = k < nsplits ? splits[k] : len;
        if (!ended && to >= cut) { /* the end of the first file comes in this piece */
            if (cr_cleaner_push(c, t + from, cut - from, &err) != CR_OK) abort();
            if (cr_cleaner_end_file(c, &err) != CR_OK) abort();
            from = cut;
            ended = 1;
        }
        if (cr_cleaner_push(c, t + from, to - from, &err) != CR_OK) abort();
        from = to;
    }
    if (cr_cleaner_finish(c, &err) != CR_OK) abort();
    cr_cleaner_stats(c, st);
    cr_cleaner_free(c);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The promises of every run: see the top of this file. */
static void check_always(const unsigned char *p, size_t n)
{
    size_t bad;
    if (!cr_utf8_valid(p, n, &bad)) abort();
    if (n == 0) return;
    if (p[n - 1] != '\n' || p[0] == '\n') abort();
    if (n >= 2 && p[n - 2] == '\n') abort();
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, n - i, &cp);
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp < 0xA0)) abort();
        if (cp == 0xFEFF) abort(); /* byte-order marks go, even those --html decodes */
        if (cp == '\n' && i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t')) abort();
        if (cp == '\n' && i >= 2 && p[i - 1] == '\n' && p[i - 2] == '\n') abort();
        i += k;
    }
}

/* Each line (without its newline) seen once, when dedupe is on and nothing after it merges
 * lines: a quadratic check, fine for fuzz-sized inputs. */
static void check_dedupe(const unsigned char *p, size_t n)
{
    size_t starts[4096], lens[4096], m = 0;
    for (size_t i = 0; i < n && m < 4096;) {
        const unsigned char *e = memchr(p + i, '\n', n - i);
        size_t l = e ? (size_t)(e - (p + i)) : n - i;
        starts[m] = i;
        lens[m++] = l;
        i += l + 1;
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m && lens[a]; b++)
            if (lens[a] == lens[b] && memcmp(p + starts[a], p + starts[b], lens[a]) == 0) abort();
}

static void check_options(const cr_clean_options *o, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, n - i, &cp);
        if (o->lower && cp >= 'A' && cp <= 'Z') abort();
        if (o->ascii && (cp == 0xA0 || cp == 0xAB || cp == 0xAD || cp == 0xBB ||
                         (cp >= 0x2000 && cp <= 0x200A) || (cp >= 0x2010 && cp <= 0x2015) ||
                         (cp >= 0x2018 && cp <= 0x201F) ||
                         cp == 0x2026 || cp == 0x202F || cp == 0x2032 || cp == 0x2033 ||
                         cp == 0x2039 || cp == 0x203A || cp == 0x205F || cp == 0x2212))
            abort();
        i += k;
    }
    if (o->dedupe && !o->min_count) check_dedupe(p, n);
    if (o->unwrap) /* no single line break between two lines of text */
        for (size_t i = 1; i + 1 < n; i++)
            if (p[i] == '\n' && p[i - 1] != '\n' && p[i + 1] != '\n') abort();
}

/* With min_count, every character written is not rare, but the replacement and the newlines,
 * spaces and tabs that the passes after it may drop. */
static void check_rare(const cr_clean_options *o, const unsigned char *p, size_t n)
{
    if (!o->min_count) return;
    cr_vocab v;
    cr_error err;
    if (cr_vocab_build(p, n, &v, &err) != CR_OK) abort();
    for (uint32_t i = 0; i < v.size; i++)
        if (v.chars[i] != '\n' && v.chars[i] != o->rare && v.chars[i] != ' ' &&
            v.chars[i] != '\t' &&
            v.counts[i] < o->min_count)
            abort();
    cr_vocab_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t RARE[] = {0, '?', 0xE9, 0x2605};
    if (size < 3) return 0;
    cr_clean_options o;
    cr_clean_options_default(&o);
    unsigned f = data[0], g = data[1];
    o.drop_invalid = f & 1;
    o.html = f >> 1 & 1;
    o.gutenberg = f >> 2 & 1;
    o.ascii = f >> 3 & 1;
    o.lower = f >> 4 & 1;
    o.unwrap = f >> 5 & 1;
    o.dedupe = f >> 6 & 1;
    o.min_count = f >> 7 ? 1 + (g & 3) : 0;
    o.rare = o.min_count ? RARE[g >> 2 & 3] : 0;
    size_t nsplits = g >> 5, head = 3 + nsplits;
    if (size < head) return 0;
    const unsigned char *t = data + head;
    size_t len = size - head;
    size_t cut = g >> 4 & 1 ? len * data[2] / 255 : len;
    size_t splits[8];
    for (size_t k = 0; k < nsplits; k++)
        splits[k] = len * data[3 + k] / 255;
    qsort(splits, nsplits, sizeof *splits, cmp_size);

    sink whole, parts;
    cr_clean_stats a, b;
    clean(&o, t, len, cut, NULL, 0, &whole, &a);
    clean(&o, t, len, cut, splits, nsplits, &parts, &b);
    if (whole.n != parts.n || (whole.n && memcmp(whole.p, parts.p, whole.n) != 0)) abort();
    if (memcmp(&a, &b, sizeof a) != 0) abort();
    if (a.bytes_in != len || a.bytes_out != whole.n) abort();
    check_always(whole.p, whole.n);
    check_options(&o, whole.p, whole.n);
    check_rare(&o, whole.p, whole.n);
    if (!o.html && !o.gutenberg && !o.min_count) { /* these passes are idempotent */
        unsigned char *again;
        size_t alen;
        cr_error err;
        if (cr_clean_text(&o, whole.p ? whole.p : (const unsigned char *)"", whole.n, &again,
                          &alen, NULL, &err) != CR_OK)
            abort();
        if (alen != whole.n || (alen && memcmp(again, whole.p, alen) != 0)) abort();
        free(again);
    }
    if (cut == len) { /* one file: the same as cleaning the text in memory */
        unsigned char *mem;
        size_t mlen;
        cr_error err;
        if (cr_clean_text(&o, t, len, &mem, &mlen, NULL, &err) != CR_OK) abort();
        if (mlen != whole.n || (mlen && memcmp(mem, whole.p, mlen) != 0)) abort();
        free(mem);
    }
    free(whole.p);
    free(parts.p);
    return 0;
}
