/* test_score.c: scoring a text: against the sampler's batch-1 probabilities (another code path),
 * a model that knows nothing (ln V per character), the trainer's validation loss, warm-up,
 * streams and threads. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "abcdefgh ,.\n";

static cr_model *peaked_model(int cell, uint64_t seed)
{
    cr_model *m = tiny_model(cell, 2, 6, 0, ALPHABET, seed);
    if (!m) return NULL;
    cr_rng r;
    cr_rng_seed(&r, seed * 7 + 3);
    fill_uniform(m->params, m->nparams, 1.5f, &r);
    return m;
}

static uint32_t *random_ids(size_t n, uint32_t V, uint64_t seed)
{
    uint32_t *ids = malloc(n * sizeof *ids);
    cr_rng r;
    cr_rng_seed(&r, seed);
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = (uint32_t)(cr_rng_next(&r) % V);
    return ids;
}

/* Scores ids (n) with these settings: the losses (n - 1, allocated) and *sum. */
static double *score(const cr_model *m, int streams, int window, int warmup, int threads,
                     const uint32_t *ids, size_t n, double *sum)
{
    cr_score_options o;
    cr_score_options_default(&o);
    o.streams = streams;
    o.window = window;
    o.warmup = warmup;
    o.threads = threads;
    cr_scorer *s;
    cr_error e;
    if (cr_scorer_new(m, &o, &s, &e) != CR_OK) return NULL;
    double *loss = calloc(n, sizeof *loss);
    size_t count = 0;
    if (!loss || cr_scorer_run(s, ids, n, loss, sum, &count, &e) != CR_OK || count != n - 1) {
        free(loss);
        loss = NULL;
    }
    cr_scorer_free(s);
    return loss;
}

/* One stream, from the zero state: each loss is -ln of the probability the sampler's batch-1
 * path (infer.c, its own matrix-vector code) gives the next character after feeding those
 * before it; and the losses add up to the sum. */
TEST(score_one_stream_matches_the_samplers_probabilities)
{
    static const int cells[3] = {CR_LSTM, CR_GRU, CR_RNN};
    for (int c = 0; c < 3; c++) {
        cr_model *m = peaked_model(cells[c], 5 + (uint64_t)c);
        REQUIRE(m);
        enum { N = 300 };
        uint32_t *ids = random_ids(N, m->vocab.size, 9);
        double sum;
        double *loss = score(m, 1, 7, 0, 1, ids, N, &sum);
        REQUIRE(ids && loss);
        cr_sample_options so;
        cr_sample_options_default(&so);
        so.use_last = 1;
        cr_sampler *s;
        cr_error e;
        REQUIRE(cr_sampler_new(m, &so, &s, &e) == CR_OK);
        double total = 0;
        int bad = 0;
        for (size_t i = 0; i + 1 < N; i++) {
            cr_sampler_feed(s, ids[i]);
            double want = -log((double)cr_sampler_probs(s)[ids[i + 1]]);
            if (!(fabs(loss[i] - want) <= 1e-4 + 1e-4 * want)) {
                if (!bad) CHECK_CLOSE(loss[i], want, 1e-4, 1e-4);
                bad++;
            }
            total += loss[i];
        }
        CHECK(bad == 0);
        CHECK_CLOSE(sum, total, 1e-9, 1e-12);
        cr_sampler_free(s);
        free(loss);
        free(ids);
        cr_model_free(m);
    }
}

/* With the output weights and bias at zero every character has probability 1 / V. */
TEST(score_model_that_knows_nothing_gives_ln_v)
{
    cr_model *m = peaked_model(CR_LSTM, 2);
    REQUIRE(m);
    const cr_tensor_info *w = &m->tensors[m->layout.outW], *b = &m->tensors[m->layout.outb];
    memset(m->params + w->offset, 0, w->size * sizeof(float));
    memset(m->params + b->offset, 0, b->size * sizeof(float));
    enum { N = 100 };
    uint32_t *ids = random_ids(N, m->vocab.size, 4);
    double sum;
    double *loss = score(m, 3, 5, 2, 2, ids, N, &sum);
    REQUIRE(ids && loss);
    double lnv = log((double)m->vocab.size);
    for (size_t i = 0; i + 1 < N; i++)
        CHECK_CLOSE(loss[i], lnv, 1e-6, 0);
    CHECK_CLOSE(sum / (N - 1), lnv, 1e-6, 0);
    free(loss);
    free(ids);
    cr_model_free(m);
}

/* The validation split scored with the model's batch and seq-len and no warm-up gives the loss
 * the trainer records, for the latest and the best weights. */
TEST(score_validation_split_equals_the_trainers_loss)
{
    char *text = toy_corpus(4000, 7);
    REQUIRE(text);
    cr_config c;
    cr_config_default(&c);
    c.hidden = 12;
    c.layers = 2;
    c.batch = 5;
    c.seq_len = 9;
    c.val_frac = 0.13;
    c.lr = 2e-2;
    c.warmup = 0;
    c.eval_every = 10;
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, 4000, &m, &e) == CR_OK);
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, 4000, 1, &t, &e) == CR_OK);
    cr_step_result r;
    for (int i = 0; i < 25; i++)
        REQUIRE(cr_trainer_step(t, &r, &e) == CR_OK);
    double val;
    int improved;
    REQUIRE(cr_trainer_evaluate(t, &val, &improved, &e) == CR_OK);
    uint32_t *ids;
    size_t n;
    REQUIRE(cr_vocab_encode(&m->vocab, (unsigned char *)text, 4000, &ids, &n, &e) == CR_OK);
    size_t nval = cr_val_chars(&m->cfg, n);
    CHECK(nval == (size_t)(4000 * 0.13));
    for (int which = 0; which < 2; which++) {
        cr_score_options o;
        cr_score_options_default(&o);
        o.use_last = !which;
        o.threads = 2;
        cr_scorer *s;
        REQUIRE(cr_scorer_new(m, &o, &s, &e) == CR_OK);
        double sum;
        size_t count;
        REQUIRE(cr_scorer_run(s, ids + n - nval, nval, NULL, &sum, &count, &e) == CR_OK);
        CHECK(count == nval - 1);
        CHECK_CLOSE(sum / (double)count, which ? m->prog.best_val : val, 1e-12, 0);
        cr_scorer_free(s);
    }
    free(ids);
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
}

/* A warm-up as long as the text before each stream makes every stream read from the start:
 * the same losses as one stream. A shorter one makes them differ, but only within the warm-up's
 * reach of a stream's start. */
TEST(score_warmup_gives_streams_their_past)
{
    cr_model *m = peaked_model(CR_LSTM, 8);
    REQUIRE(m);
    enum { N = 241 };
    uint32_t *ids = random_ids(N, m->vocab.size, 2);
    double s1, s4, sw;
    double *one = score(m, 1, 11, 0, 1, ids, N, &s1);
    double *full = score(m, 4, 11, N, 2, ids, N, &s4);
    double *cold = score(m, 4, 11, 0, 1, ids, N, &sw);
    REQUIRE(ids && one && full && cold);
    int bad = 0, differ = 0;
    for (size_t i = 0; i + 1 < N; i++) {
        bad += !(fabs(one[i] - full[i]) <= 1e-5);
        differ += fabs(one[i] - cold[i]) > 1e-5;
    }
    CHECK(bad == 0);
    CHECK(differ > 0); /* cold streams: the first characters of streams 1..3 */
    CHECK(fabs(one[0] - cold[0]) <= 1e-5); /* stream 0 starts where the text does */
    free(one);
    free(full);
    free(cold);
    free(ids);
    cr_model_free(m);
}

/* The thread count changes nothing, bit for bit; more streams than predictions is fine; too
 * short a text scores nothing; an id past the vocabulary is refused. */
TEST(score_threads_edges_and_bad_ids)
{
    cr_model *m = peaked_model(CR_GRU, 3);
    REQUIRE(m);
    enum { N = 500 };
    uint32_t *ids = random_ids(N, m->vocab.size, 6);
    double a, b;
    double *la = score(m, 7, 13, 20, 1, ids, N, &a), *lb = score(m, 7, 13, 20, 3, ids, N, &b);
    REQUIRE(ids && la && lb);
    CHECK(memcmp(la, lb, (N - 1) * sizeof *la) == 0);
    CHECK(a == b);
    double c;
    double *lc = score(m, 100, 4, 3, 1, ids, 6, &c); /* 5 predictions, 100 streams */
    CHECK(lc != NULL);
    cr_score_options o;
    cr_score_options_default(&o);
    cr_scorer *s;
    cr_error e;
    REQUIRE(cr_scorer_new(m, &o, &s, &e) == CR_OK);
    size_t count = 9;
    double sum = 1;
    CHECK(cr_scorer_run(s, ids, 1, NULL, &sum, &count, &e) == CR_OK);
    CHECK(count == 0 && sum == 0);
    ids[3] = m->vocab.size;
    CHECK(cr_scorer_run(s, ids, N, NULL, &sum, &count, &e) == CR_EINVAL);
    CHECK(e.offset == 3);
    o.streams = -1;
    cr_scorer *bad = NULL;
    CHECK(cr_scorer_new(m, &o, &bad, &e) == CR_EINVAL && bad == NULL);
    cr_scorer_free(s);
    free(la);
    free(lb);
    free(lc);
    free(ids);
    cr_model_free(m);
}
