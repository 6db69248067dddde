/* novel.c: a sampler filter that keeps a text from copying more than N characters of a corpus. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct cr_novel {
    cr_corpus_cursor cur;  /* follows the text written: its longest end found in the corpus */
    size_t n;              /* the longest copy allowed, in code points */
    size_t longest;        /* the longest copy so far (cur.len at its largest) */
    uint64_t refused;      /* draws refused so far */
    uint32_t V;
    uint32_t *cps;         /* (at[V]) each id's code points, one id after the other */
    size_t *at;            /* (V + 1) where each id's code points start in cps */
};

void cr_novel_free(cr_novel *g)
{
    if (!g) return;
    free(g->cps);
    free(g->at);
    free(g);
}

/* The code points id stands for: one, or those of its string (ml5), invalid bytes as U+FFFD;
 * stored into out when it is not NULL; returns how many. */
static size_t id_code_points(const cr_vocab *v, uint32_t id, uint32_t *out)
{
    if (!(v->strings && v->strings[id])) {
        if (out) out[0] = v->chars[id];
        return 1;
    }
    const unsigned char *s = (const unsigned char *)v->strings[id];
    size_t len = strlen(v->strings[id]), n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            cp = 0xFFFD;
            k = 1;
        }
        if (out) out[n] = cp;
        n++;
        i += k;
    }
    return n;
}

int cr_novel_new(const cr_corpus_index *ix, const cr_vocab *v, size_t n, cr_novel **out,
                 cr_error *err)
{
    *out = NULL;
    if (n < 1) return cr_fail(err, CR_EINVAL, -1, NULL, "the longest copy allowed must be at least 1");
    cr_novel *g = calloc(1, sizeof *g);
    if (!g) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    g->V = v->size;
    g->n = n;
    cr_corpus_cursor_init(&g->cur, ix);
    g->at = malloc(((size_t)v->size + 1) * sizeof *g->at);
    size_t total = 0;
    for (uint32_t i = 0; g->at && i < v->size; i++) {
        g->at[i] = total;
        total += id_code_points(v, i, NULL);
    }
    g->cps = malloc((total ? total : 1) * sizeof *g->cps);
    if (!g->at || !g->cps) {
        cr_novel_free(g);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    g->at[v->size] = total;
    for (uint32_t i = 0; i < v->size; i++)
        id_code_points(v, i, g->cps + g->at[i]);
    *out = g;
    return CR_OK;
}

void cr_novel_feed_cp(cr_novel *g, uint32_t cp)
{
    size_t len = cr_corpus_cursor_feed(&g->cur, cp);
    if (len > g->longest) g->longest = len;
}

void cr_novel_feed(cr_novel *g, uint32_t id)
{
    if (id >= g->V) return;
    for (size_t i = g->at[id]; i < g->at[id + 1]; i++)
        cr_novel_feed_cp(g, g->cps[i]);
}

int cr_novel_allows(void *ctx, uint32_t id)
{
    const cr_novel *g = ctx;
    if (id >= g->V) return 1;
    size_t a = g->at[id], b = g->at[id + 1];
    if (b - a == 1) return !cr_corpus_cursor_would_copy(&g->cur, g->cps[a], g->n);
    cr_corpus_cursor t = g->cur; /* several code points: follow them on a copy */
    for (size_t i = a; i < b; i++) {
        if (cr_corpus_cursor_would_copy(&t, g->cps[i], g->n)) return 0;
        cr_corpus_cursor_feed(&t, g->cps[i]);
    }
    return 1;
}

int cr_novel_next(cr_novel *g, cr_sampler *s, uint32_t *id, size_t *refused)
{
    size_t r = 0;
    int ok = cr_sampler_next_filtered(s, cr_novel_allows, g, id, &r);
    g->refused += r;
    if (refused) *refused = r;
    if (ok) cr_novel_feed(g, *id);
    return ok;
}

size_t cr_novel_longest(const cr_novel *g) { return g->longest; }
const cr_corpus_cursor *cr_novel_cursor(const cr_novel *g) { return &g->cur; }
uint64_t cr_novel_refused(const cr_novel *g) { return g->refused; }
