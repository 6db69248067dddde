/* test_novel.c: the sampler's filtered draw (what it draws again, from what, with what odds) and
 * the novelty filter (no copy longer than N, against an independent match; several code points
 * per id). */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "abcdefgh ,.\n";

static cr_model *peaked_model(uint64_t seed)
{
    cr_model *m = tiny_model(CR_LSTM, 2, 6, 0, ALPHABET, seed);
    if (!m) return NULL;
    cr_rng r;
    cr_rng_seed(&r, seed * 31 + 1);
    fill_uniform(m->params, m->nparams, 1.5f, &r);
    return m;
}

static int accept_all(void *ctx, uint32_t id)
{
    (*(int *)ctx)++;
    (void)id;
    return 1;
}

/* refuses the ids whose bit is set in *(uint32_t *)ctx */
static int refuse_set(void *ctx, uint32_t id) { return !((*(const uint32_t *)ctx >> id) & 1); }

TEST(filtered_draw_that_refuses_nothing_changes_nothing)
{
    cr_model *m = peaked_model(3);
    REQUIRE(m);
    for (int mode = 0; mode < 4; mode++) {
        cr_sample_options o;
        cr_sample_options_default(&o);
        o.seed = 5;
        o.temperature = 0.8;
        if (mode == 1) o.top_k = 4;
        if (mode == 2) o.top_p = 0.7;
        if (mode == 3) o.argmax = 1;
        cr_sampler *a = new_sampler(m, &o), *b = new_sampler(m, &o);
        REQUIRE(a && b);
        int same = 0, calls = 0, refusals = 0;
        for (int i = 0; i < 300; i++) {
            uint32_t id = 99;
            size_t r = 7;
            int ok = cr_sampler_next_filtered(b, accept_all, &calls, &id, &r);
            same += ok == 1 && id == cr_sampler_next(a);
            refusals += (int)r;
        }
        CHECK(same == 300);
        CHECK(calls == 300); /* asked once per character */
        CHECK(refusals == 0);
        cr_sampler_free(a);
        cr_sampler_free(b);
    }
    cr_model_free(m);
}

/* Draws n characters, each from a fresh sampler (seeds 1..n) fed the same prime, refusing the
 * ids of the set; the chi-square statistic of the counts against expect (V). */
static double chi_square(const cr_model *m, cr_sample_options o, uint32_t prime, uint32_t set,
                         int n, const double *expect)
{
    const size_t V = m->vocab.size;
    long counts[64] = {0};
    for (int k = 0; k < n; k++) {
        o.seed = (uint64_t)k + 1;
        cr_sampler *s = new_sampler(m, &o);
        if (!s) return 1e9;
        cr_sampler_feed(s, prime);
        uint32_t id = 0;
        size_t r;
        if (!cr_sampler_next_filtered(s, refuse_set, &set, &id, &r)) return 1e9;
        counts[id]++;
        cr_sampler_free(s);
    }
    double chi = 0;
    for (size_t i = 0; i < V; i++) {
        double e = expect[i] * n;
        if (e > 0) chi += (counts[i] - e) * (counts[i] - e) / e;
        else if (counts[i]) chi += 1e9; /* drew something impossible, or refused */
    }
    return chi;
}

TEST(filtered_draw_renormalises_what_is_left)
{
    cr_model *m = peaked_model(12);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    REQUIRE(V == 12);
    cr_sample_options o;
    cr_sample_options_default(&o);
    cr_sampler *s = new_sampler(m, &o);
    REQUIRE(s);
    cr_sampler_feed(s, 4);
    double p[12], q[12];
    const float *pf = cr_sampler_probs(s);
    uint32_t rank[12];
    for (size_t i = 0; i < V; i++) {
        p[i] = pf[i];
        rank[i] = (uint32_t)i;
    }
    cr_sampler_free(s);
    for (size_t i = 0; i < V; i++) /* ids by falling probability */
        for (size_t j = i + 1; j < V; j++)
            if (p[rank[j]] > p[rank[i]]) {
                uint32_t t = rank[i];
                rank[i] = rank[j];
                rank[j] = t;
            }
    REQUIRE(p[rank[0]] > 0.15); /* refusing it changes the odds of the others by 1 / (1 - p) */

    /* refuse the likeliest: the others, renormalised (10 degrees of freedom: 0.9999 at 35.6) */
    uint32_t set = 1u << rank[0];
    for (size_t i = 0; i < V; i++)
        q[i] = i == rank[0] ? 0 : p[i] / (1 - p[rank[0]]);
    double chi = chi_square(m, o, 4, set, 8000, q);
    if (!(chi < 35.6)) fprintf(stderr, "  refused the likeliest: chi-square %.1f\n", chi);
    CHECK(chi < 35.6);
    /* and the unfiltered odds do not fit: the test can tell */
    CHECK(chi_square(m, o, 4, 0, 8000, q) > 100);

    /* top-k 2: the draw is made again from the other candidate; with both refused, top-k
     * chooses again from what is left: the third and fourth, renormalised (1 degree of
     * freedom: 0.9999 at 15.1) */
    o.top_k = 2;
    for (size_t i = 0; i < V; i++)
        q[i] = i == rank[1];
    CHECK(chi_square(m, o, 4, set, 300, q) == 0);
    for (size_t i = 0; i < V; i++)
        q[i] = 0;
    q[rank[2]] = p[rank[2]] / (p[rank[2]] + p[rank[3]]);
    q[rank[3]] = p[rank[3]] / (p[rank[2]] + p[rank[3]]);
    chi = chi_square(m, o, 4, set | 1u << rank[1], 4000, q);
    if (!(chi < 15.1)) fprintf(stderr, "  top-k 2, two refused: chi-square %.1f\n", chi);
    CHECK(chi < 15.1);

    /* argmax takes the likeliest left */
    o.top_k = 0;
    o.argmax = 1;
    for (size_t i = 0; i < V; i++)
        q[i] = i == rank[2];
    set = 1u << rank[0] | 1u << rank[1];
    CHECK(chi_square(m, o, 4, set, 20, q) == 0);
    cr_model_free(m);
}

TEST(filtered_draw_with_everything_refused_feeds_nothing)
{
    cr_model *m = peaked_model(8);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    for (int argmax = 0; argmax < 2; argmax++) {
        cr_sample_options o;
        cr_sample_options_default(&o);
        o.argmax = argmax;
        o.top_k = argmax ? 0 : 3;
        cr_sampler *s = new_sampler(m, &o);
        REQUIRE(s);
        cr_sampler_feed(s, 2);
        float before[12];
        memcpy(before, cr_sampler_probs(s), V * sizeof *before);
        uint32_t all = (1u << V) - 1, id = 1234;
        size_t r = 0;
        CHECK(cr_sampler_next_filtered(s, refuse_set, &all, &id, &r) == 0);
        CHECK(id == 1234);
        CHECK(r == V); /* every character was tried once */
        CHECK(memcmp(before, cr_sampler_probs(s), V * sizeof *before) == 0);
        /* and it goes on when allowed */
        uint32_t none = 0;
        CHECK(cr_sampler_next_filtered(s, refuse_set, &none, &id, &r) == 1 && id < V && r == 0);
        cr_sampler_free(s);
    }
    cr_model_free(m);
}

/* ---- the novelty filter ---- */

/* The longest run of a text (ids, n) found in the corpus, by cr_corpus_match over its code
 * points rather than by a cursor. */
static size_t longest_copy(const cr_corpus_index *ix, const cr_vocab *v, const uint32_t *ids,
                           size_t n)
{
    cr_corpus_span *sp;
    size_t ns, best = 0;
    cr_error e;
    uint32_t *text = malloc((n + 1) * sizeof *text);
    if (!text) return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        text[i] = v->chars[ids[i]];
    int rc = cr_corpus_match(ix, text, n, 1, &sp, &ns, &e);
    free(text);
    if (rc != CR_OK) return (size_t)-1;
    for (size_t i = 0; i < ns; i++)
        best = sp[i].length > best ? sp[i].length : best;
    free(sp);
    return best;
}

TEST(novel_text_copies_at_most_n)
{
    /* the corpus is what the model itself writes with this seed, so unfiltered it would copy
     * all of it: with the filter it follows the same path for N characters, then must leave */
    cr_model *m = peaked_model(21);
    REQUIRE(m);
    enum { LEN = 3000 };
    cr_sample_options o;
    cr_sample_options_default(&o);
    o.seed = 77;
    o.temperature = 0.7;
    cr_sampler *s = new_sampler(m, &o);
    REQUIRE(s);
    char *corpus = malloc(LEN * 4 + 1);
    uint32_t plain[LEN];
    size_t clen = 0;
    for (int i = 0; i < LEN; i++) {
        char buf[4];
        const char *t;
        plain[i] = cr_sampler_next(s);
        size_t k = cr_vocab_text(&m->vocab, plain[i], buf, &t);
        memcpy(corpus + clen, t, k);
        clen += k;
    }
    corpus[clen] = 0;
    cr_sampler_free(s);
    cr_corpus_file f = {"self.txt", (const unsigned char *)corpus, clen};
    cr_corpus_index *ix;
    cr_error e;
    REQUIRE(cr_corpus_index_build(&f, 1, &ix, &e) == CR_OK);
    static const size_t NS[3] = {4, 8, 40};
    for (int t = 0; t < 3; t++) {
        size_t N = NS[t];
        uint32_t out[2][LEN];
        size_t made[2] = {0, 0};
        uint64_t refused = 0;
        for (int run = 0; run < 2; run++) { /* twice: the same seed gives the same text */
            cr_novel *g = NULL;
            REQUIRE(cr_novel_new(ix, &m->vocab, N, &g, &e) == CR_OK);
            s = new_sampler(m, &o);
            REQUIRE(s);
            while (made[run] < LEN && cr_novel_next(g, s, &out[run][made[run]], NULL))
                made[run]++;
            size_t longest = longest_copy(ix, &m->vocab, out[run], made[run]);
            CHECK(longest <= N);
            CHECK(cr_novel_longest(g) == longest);
            refused = cr_novel_refused(g);
            cr_novel_free(g);
            cr_sampler_free(s);
        }
        CHECK(made[0] == made[1] && memcmp(out[0], out[1], made[0] * sizeof(uint32_t)) == 0);
        CHECK(refused > 0);
        if (made[0] < LEN) fprintf(stderr, "  N %zu: stopped after %zu\n", N, made[0]);
        CHECK(made[0] == LEN); /* (a 3000-character corpus of 12 characters does not block) */
        /* up to the first refusal, the unfiltered text: its first N characters at least */
        size_t same = 0;
        while (same < made[0] && out[0][same] == plain[same])
            same++;
        CHECK(same >= N);
        CHECK(same < made[0]);
    }
    /* a bad N */
    cr_novel *g = (cr_novel *)ix;
    CHECK(cr_novel_new(ix, &m->vocab, 0, &g, &e) == CR_EINVAL && g == NULL);
    cr_novel_free(NULL);
    cr_corpus_index_free(ix);
    free(corpus);
    cr_model_free(m);
}

TEST(novel_checks_each_code_point_of_an_id)
{
    /* a vocabulary as an ml5 import makes it: id 2 stands for "ab", id 3 for "" */
    cr_vocab v = {0};
    uint32_t chars[5] = {'a', 'b', 0x10FF00, 0x10FF01, 'x'};
    char *strings[5] = {NULL, NULL, "ab", "", NULL};
    v.size = 5;
    v.chars = chars;
    v.strings = strings;
    const char *text = "xab xa\xCE\xA9";
    cr_corpus_file f = {"c.txt", (const unsigned char *)text, strlen(text)};
    cr_corpus_index *ix;
    cr_error e;
    REQUIRE(cr_corpus_index_build(&f, 1, &ix, &e) == CR_OK);
    cr_novel *g2, *g3;
    REQUIRE(cr_novel_new(ix, &v, 2, &g2, &e) == CR_OK);
    REQUIRE(cr_novel_new(ix, &v, 3, &g3, &e) == CR_OK);
    cr_novel_feed(g2, 4); /* "x" */
    cr_novel_feed(g3, 4);
    CHECK(cr_novel_allows(g2, 2) == 0); /* "xab": 3 > 2 */
    CHECK(cr_novel_allows(g3, 2) == 1);
    CHECK(cr_novel_allows(g2, 0) == 1); /* "xa": 2 */
    CHECK(cr_novel_allows(g2, 3) == 1); /* "" adds nothing */
    cr_novel_feed(g2, 3);
    CHECK(cr_corpus_cursor_feed((cr_corpus_cursor[]){*cr_novel_cursor(g2)}, 'a') == 2);
    CHECK(cr_novel_longest(g2) == 1);
    /* a prime's code points count, the model's or not: "xa" then "Ω" (U+03A9) copies 3 */
    cr_novel_feed_cp(g2, 'a');
    CHECK(cr_novel_longest(g2) == 2);
    CHECK(cr_novel_allows(g2, 1) == 0); /* "xab" */
    CHECK(cr_novel_allows(g2, 2) == 1); /* "xaab": its end "ab" copies 2 */
    cr_novel_feed_cp(g2, 0x3A9);
    CHECK(cr_novel_longest(g2) == 3);
    cr_novel_feed_cp(g2, 'q'); /* not in the corpus: the copy ends */
    CHECK(cr_novel_cursor(g2)->len == 0);
    CHECK(cr_novel_allows(g2, 2) == 1);
    cr_novel_free(g2);
    cr_novel_free(g3);
    cr_corpus_index_free(ix);
}
