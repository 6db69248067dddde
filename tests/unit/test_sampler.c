/* test_sampler.c: generation: determinism, the distribution drawn from, argmax, top-k, top-p,
 * temperature, option checking and the choice between the latest and the best weights. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "abcdefgh ,.\n";

/* A tiny model with weights large enough that its distributions are far from uniform. */
static cr_model *peaked_model(int cell, uint64_t seed)
{
    cr_model *m = tiny_model(cell, 2, 6, cell == CR_GRU ? 3 : 0, ALPHABET, seed);
    if (!m) return NULL;
    cr_rng r;
    cr_rng_seed(&r, seed * 31 + 1);
    fill_uniform(m->params, m->nparams, 1.5f, &r);
    return m;
}

static cr_sample_options opts(uint64_t seed)
{
    cr_sample_options o;
    cr_sample_options_default(&o);
    o.seed = seed;
    return o;
}

static void draw(const cr_model *m, const cr_sample_options *o, uint32_t *ids, int n)
{
    cr_sampler *s = new_sampler(m, o);
    for (int i = 0; i < n; i++)
        ids[i] = s ? cr_sampler_next(s) : 0xFFFFFFFF;
    cr_sampler_free(s);
}

static uint32_t argmax_of(const float *p, size_t V)
{
    uint32_t k = 0;
    for (size_t i = 1; i < V; i++)
        if (p[i] > p[k]) k = (uint32_t)i;
    return k;
}

TEST(sampler_same_seed_same_text)
{
    static const int cells[3] = {CR_LSTM, CR_GRU, CR_RNN};
    for (int c = 0; c < 3; c++) {
        cr_model *m = peaked_model(cells[c], 4);
        REQUIRE(m);
        enum { N = 200 };
        uint32_t a[N], b[N], x[N];
        cr_sample_options o = opts(11);
        draw(m, &o, a, N);
        draw(m, &o, b, N);
        CHECK(memcmp(a, b, sizeof a) == 0);
        o.seed = 12;
        draw(m, &o, x, N);
        int differ = 0, out_of_range = 0;
        for (int i = 0; i < N; i++) {
            differ += a[i] != x[i];
            out_of_range += a[i] >= m->vocab.size;
        }
        CHECK(differ > 0);
        CHECK(out_of_range == 0);
        /* the text uses more than one character */
        int distinct = 0;
        for (uint32_t v = 0; v < m->vocab.size; v++)
            for (int i = 0; i < N; i++)
                if (a[i] == v) {
                    distinct++;
                    break;
                }
        CHECK(distinct >= 3);
        cr_model_free(m);
    }
}

TEST(sampler_threads_give_the_same_text)
{
    /* a model large enough for three threads (small ones get fewer, see cr_infer_threads_for) */
    cr_model *m = tiny_model(CR_GRU, 2, 160, 5, ALPHABET, 3);
    REQUIRE(m);
    REQUIRE(cr_infer_threads_for(m, 3, 0) == 3);
    enum { N = 300 };
    uint32_t a[N], b[N];
    cr_sample_options o = opts(17);
    draw(m, &o, a, N);
    for (o.threads = 2; o.threads <= 3; o.threads++) {
        draw(m, &o, b, N);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    cr_model_free(m);
}

TEST(sampler_probs_match_the_network)
{
    /* the sampler's distribution after feeding a prime equals a softmax of the network's
     * logits computed here from the zero state, a newline first */
    cr_model *m = peaked_model(CR_LSTM, 5);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    cr_sample_options o = opts(3);
    cr_sampler *s = new_sampler(m, &o);
    REQUIRE(s);
    cr_net *net = NULL;
    cr_error e;
    REQUIRE(cr_net_new(m, 1, 1, 0, NULL, &net, &e) == CR_OK);
    size_t nstate = cr_carry_floats(&m->cfg) / (size_t)m->cfg.batch;
    float *state = calloc(nstate, sizeof *state);
    REQUIRE(state);
    uint32_t tok = (uint32_t)cr_vocab_id(&m->vocab, '\n');
    cr_net_forward(net, m->params, &tok, NULL, 1, 1, state, NULL, NULL);
    int bad_sum = 0, bad_sign = 0, mismatch = 0;
    for (int step = 0; step < 60; step++) {
        const float *p = cr_sampler_probs(s);
        const float *z = cr_net_logits(net);
        double mx = z[0], sum = 0, psum = 0;
        for (size_t i = 1; i < V; i++)
            mx = z[i] > mx ? z[i] : mx;
        for (size_t i = 0; i < V; i++)
            sum += exp(z[i] - mx);
        for (size_t i = 0; i < V; i++) {
            double q = exp(z[i] - mx) / sum;
            mismatch += !(fabs(p[i] - q) <= 1e-6);
            bad_sign += !(p[i] >= 0);
            psum += p[i];
        }
        bad_sum += !(fabs(psum - 1) <= 1e-5);
        /* alternately feed a known character and draw one */
        if (step % 2) {
            tok = (uint32_t)(step * 7 % (int)V);
            cr_sampler_feed(s, tok);
        } else {
            tok = cr_sampler_next(s);
        }
        cr_net_forward(net, m->params, &tok, NULL, 1, 1, state, NULL, NULL);
    }
    CHECK(bad_sum == 0);
    CHECK(bad_sign == 0);
    CHECK(mismatch == 0);
    free(state);
    cr_net_free(net);
    cr_sampler_free(s);
    cr_model_free(m);
}

TEST(sampler_starts_after_newline_or_from_zero_state)
{
    cr_model *m = peaked_model(CR_GRU, 6);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    cr_sample_options o = opts(1);
    cr_sampler *a = new_sampler(m, &o), *b = new_sampler(m, &o);
    REQUIRE(a && b);
    cr_sampler_feed(b, (uint32_t)cr_vocab_id(&m->vocab, '\n'));
    const float *pa = cr_sampler_probs(a), *pb = cr_sampler_probs(b);
    CHECK(memcmp(pa, pb, V * sizeof *pa) == 0);
    CHECK(cr_sampler_next(a) == cr_sampler_next(b));
    cr_sampler_free(a);
    cr_sampler_free(b);
    cr_model_free(m);

    /* without a newline in the vocabulary: the zero state, whose logits are the output bias */
    m = tiny_model(CR_LSTM, 1, 4, 0, "xyz", 2);
    REQUIRE(m);
    int ob = cr_model_find_tensor(m, "out.b");
    REQUIRE(ob >= 0);
    float *bias = m->params + m->tensors[ob].offset;
    bias[0] = 1.0f;
    bias[1] = 2.0f;
    bias[2] = -1.0f;
    a = new_sampler(m, &o);
    REQUIRE(a);
    const float *p = cr_sampler_probs(a);
    double z = exp(1.0) + exp(2.0) + exp(-1.0);
    CHECK_CLOSE(p[0], exp(1.0) / z, 1e-6, 0);
    CHECK_CLOSE(p[1], exp(2.0) / z, 1e-6, 0);
    CHECK_CLOSE(p[2], exp(-1.0) / z, 1e-6, 0);
    cr_sampler_free(a);
    cr_model_free(m);
}

/* An id outside the vocabulary changes nothing (it used to be read past the weights). */
TEST(sampler_ignores_an_id_outside_the_vocabulary)
{
    cr_model *m = peaked_model(CR_LSTM, 4);
    cr_sample_options o = opts(1);
    cr_sampler *a = new_sampler(m, &o), *b = new_sampler(m, &o);
    REQUIRE(a && b);
    size_t V = m->vocab.size;
    cr_sampler_feed(a, 2);
    cr_sampler_feed(b, 2);
    cr_sampler_feed(b, (uint32_t)V);
    cr_sampler_feed(b, 0xFFFFFFFFu);
    CHECK(memcmp(cr_sampler_probs(a), cr_sampler_probs(b), V * sizeof(float)) == 0);
    cr_sampler_free(a);
    cr_sampler_free(b);
    cr_model_free(m);
}

TEST(sampler_argmax_takes_the_most_likely)
{
    cr_model *m = peaked_model(CR_LSTM, 7);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    cr_sample_options o = opts(1);
    o.argmax = 1;
    cr_sampler *s = new_sampler(m, &o);
    REQUIRE(s);
    int wrong = 0;
    uint32_t seq[200];
    for (int i = 0; i < 200; i++) {
        uint32_t best = argmax_of(cr_sampler_probs(s), V);
        seq[i] = cr_sampler_next(s);
        wrong += seq[i] != best;
    }
    CHECK(wrong == 0);
    cr_sampler_free(s);
    /* argmax ignores the seed and the temperature */
    o.seed = 999;
    o.temperature = 7.5;
    uint32_t other[200];
    draw(m, &o, other, 200);
    CHECK(memcmp(seq, other, sizeof seq) == 0);

    /* top-k = 1, a tiny top-p and a tiny temperature all reduce to argmax */
    cr_sample_options k1 = opts(5), p0 = opts(6), t0 = opts(7);
    k1.top_k = 1;
    p0.top_p = 1e-6;
    t0.temperature = 1e-6;
    uint32_t a[200], b[200], c[200];
    draw(m, &k1, a, 200);
    draw(m, &p0, b, 200);
    draw(m, &t0, c, 200);
    CHECK(memcmp(seq, a, sizeof seq) == 0);
    CHECK(memcmp(seq, b, sizeof seq) == 0);
    CHECK(memcmp(seq, c, sizeof seq) == 0);
    cr_model_free(m);
}

TEST(sampler_top_k_and_top_p_restrict_the_choice)
{
    cr_model *m = peaked_model(CR_RNN, 8);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    for (int mode = 0; mode < 2; mode++) {
        cr_sample_options o = opts(21);
        if (mode == 0) o.top_k = 3;
        else o.top_p = 0.6;
        cr_sampler *s = new_sampler(m, &o);
        REQUIRE(s);
        int outside = 0, not_top1 = 0;
        for (int i = 0; i < 400; i++) {
            const float *p = cr_sampler_probs(s);
            /* the rank of each id by falling probability, ties by id */
            float q[64];
            memcpy(q, p, V * sizeof *q);
            uint32_t id = cr_sampler_next(s);
            size_t rank = 0;
            double above = 0;
            for (size_t j = 0; j < V; j++)
                if (q[j] > q[id] || (q[j] == q[id] && j < id)) {
                    rank++;
                    above += q[j];
                }
            /* top-p keeps the smallest prefix whose mass reaches p: id is in it when the
             * mass strictly above it is below p */
            if (mode == 0) outside += rank >= 3;
            else outside += !(above < 0.6 + 1e-6);
            not_top1 += rank > 0;
        }
        CHECK(outside == 0);
        CHECK(not_top1 > 0); /* and they are not argmax in disguise */
        cr_sampler_free(s);
    }
    cr_model_free(m);
}

TEST(sampler_rejects_bad_options)
{
    cr_model *m = peaked_model(CR_LSTM, 9);
    REQUIRE(m);
    cr_sample_options bad[12];
    int n = 0;
    for (int i = 0; i < 12; i++)
        bad[i] = opts(1);
    bad[n++].temperature = 0;
    bad[n++].temperature = -1;
    bad[n++].temperature = NAN;
    bad[n++].temperature = INFINITY;
    bad[n++].top_p = 0;
    bad[n++].top_p = 1.5;
    bad[n++].top_p = -0.1;
    bad[n++].top_p = NAN;
    bad[n++].top_k = -1;
    for (int i = 0; i < n; i++) {
        cr_sampler *s = (cr_sampler *)m;
        cr_error e = {0};
        int rc = cr_sampler_new(m, &bad[i], &s, &e);
        if (rc != CR_EINVAL) fprintf(stderr, "  bad option %d accepted\n", i);
        CHECK(rc == CR_EINVAL);
        CHECK(e.code == CR_EINVAL && e.message[0] != 0);
        CHECK(s == NULL);
        if (rc == CR_OK) cr_sampler_free(s);
    }
    /* the limits themselves are fine */
    cr_sample_options ok = opts(1);
    ok.top_p = 1;
    ok.top_k = 1000;
    ok.temperature = 1e-3;
    cr_sampler *s = new_sampler(m, &ok);
    CHECK(s != NULL);
    if (s) CHECK(cr_sampler_next(s) < m->vocab.size);
    cr_sampler_free(s);
    cr_sampler_free(NULL);
    cr_model_free(m);
}

TEST(sampler_best_or_last_weights)
{
    cr_model *m = peaked_model(CR_LSTM, 10);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    cr_sample_options last = opts(1), best = opts(1);
    last.use_last = 1;
    float pl[64], pb[64];
    /* without best weights both choices use the latest */
    cr_sampler *a = new_sampler(m, &last), *b = new_sampler(m, &best);
    REQUIRE(a && b);
    memcpy(pl, cr_sampler_probs(a), V * sizeof *pl);
    memcpy(pb, cr_sampler_probs(b), V * sizeof *pb);
    CHECK(memcmp(pl, pb, V * sizeof *pl) == 0);
    cr_sampler_free(a);
    cr_sampler_free(b);

    /* with best weights, the default samples from them */
    m->best = malloc(m->nparams * sizeof(float));
    REQUIRE(m->best);
    cr_rng r;
    cr_rng_seed(&r, 1234);
    fill_uniform(m->best, m->nparams, 1.5f, &r);
    a = new_sampler(m, &last);
    b = new_sampler(m, &best);
    REQUIRE(a && b);
    memcpy(pl, cr_sampler_probs(a), V * sizeof *pl);
    memcpy(pb, cr_sampler_probs(b), V * sizeof *pb);
    double diff = 0;
    for (size_t i = 0; i < V; i++)
        diff += fabs(pl[i] - pb[i]);
    CHECK(diff > 1e-3);
    /* and exactly as a model whose latest weights are those best ones */
    cr_model *twin = tiny_model(CR_LSTM, 2, 6, 0, ALPHABET, 10);
    REQUIRE(twin);
    memcpy(twin->params, m->best, m->nparams * sizeof(float));
    cr_sampler *t = new_sampler(twin, &last);
    REQUIRE(t);
    CHECK(memcmp(cr_sampler_probs(t), pb, V * sizeof *pb) == 0);
    int same_b = 0, same_a = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t x = cr_sampler_next(t), y = cr_sampler_next(b), z = cr_sampler_next(a);
        same_b += x == y;
        same_a += x == z;
    }
    CHECK(same_b == 100);
    CHECK(same_a < 100);
    cr_sampler_free(t);
    cr_sampler_free(a);
    cr_sampler_free(b);
    cr_model_free(twin);
    cr_model_free(m);
}

/* Draws n characters, each from a fresh sampler (seeds 1..n) fed the same prime, and returns the
 * chi-square statistic of the counts against expect (V). */
static double chi_square(const cr_model *m, cr_sample_options o, const uint32_t *prime,
                         int nprime, int n, const double *expect)
{
    const size_t V = m->vocab.size;
    long counts[64] = {0};
    for (int k = 0; k < n; k++) {
        o.seed = (uint64_t)k + 1;
        cr_sampler *s = new_sampler(m, &o);
        if (!s) return 1e9;
        for (int i = 0; i < nprime; i++)
            cr_sampler_feed(s, prime[i]);
        counts[cr_sampler_next(s)]++;
        cr_sampler_free(s);
    }
    double chi = 0;
    for (size_t i = 0; i < V; i++) {
        double e = expect[i] * n;
        if (e > 0) chi += (counts[i] - e) * (counts[i] - e) / e;
        else if (counts[i]) chi += 1e9; /* drew something impossible */
    }
    return chi;
}

TEST(sampler_frequencies_follow_probabilities)
{
    /* Model with 12 characters: 11 degrees of freedom; the 0.9999 quantile of chi-square(11)
     * is about 38.0, so a correct sampler fails this with odds below 1 in 10000 (and the seeds
     * are fixed, so it either always passes or always fails). */
    cr_model *m = peaked_model(CR_LSTM, 12);
    REQUIRE(m);
    const size_t V = m->vocab.size;
    REQUIRE(V == 12);
    cr_sample_options o = opts(1);
    cr_sampler *s = new_sampler(m, &o);
    REQUIRE(s);
    const uint32_t prime[2] = {0, 4};
    cr_sampler_feed(s, prime[0]);
    cr_sampler_feed(s, prime[1]);
    double p[12], q[12], k2[12];
    const float *pf = cr_sampler_probs(s);
    for (size_t i = 0; i < V; i++)
        p[i] = pf[i];
    cr_sampler_free(s);
    double pmax = 0;
    for (size_t i = 0; i < V; i++)
        pmax = p[i] > pmax ? p[i] : pmax;
    CHECK(pmax < 0.9); /* a distribution worth testing */

    double chi = chi_square(m, o, prime, 2, 20000, p);
    if (!(chi < 38.1)) fprintf(stderr, "  temperature 1: chi-square %.1f\n", chi);
    CHECK(chi < 38.1);

    /* temperature 2 flattens: p^(1/2), renormalised */
    double z = 0;
    for (size_t i = 0; i < V; i++)
        z += q[i] = sqrt(p[i]);
    for (size_t i = 0; i < V; i++)
        q[i] /= z;
    o.temperature = 2;
    chi = chi_square(m, o, prime, 2, 8000, q);
    if (!(chi < 38.1)) fprintf(stderr, "  temperature 2: chi-square %.1f\n", chi);
    CHECK(chi < 38.1);
    /* and the plain distribution does not fit it: the test can tell them apart */
    CHECK(chi_square(m, o, prime, 2, 8000, p) > 100);

    /* top-k = 2: the two most likely, renormalised */
    uint32_t first = 0, second = 1;
    for (uint32_t i = 0; i < V; i++)
        if (p[i] > p[first]) first = i;
    second = first == 0 ? 1 : 0;
    for (uint32_t i = 0; i < V; i++)
        if (i != first && p[i] > p[second]) second = i;
    for (size_t i = 0; i < V; i++)
        k2[i] = 0;
    k2[first] = p[first] / (p[first] + p[second]);
    k2[second] = p[second] / (p[first] + p[second]);
    o.temperature = 1;
    o.top_k = 2;
    chi = chi_square(m, o, prime, 2, 4000, k2); /* 1 degree of freedom: 0.9999 at 15.1 */
    if (!(chi < 15.1)) fprintf(stderr, "  top-k 2: chi-square %.1f\n", chi);
    CHECK(chi < 15.1);
    cr_model_free(m);
}
