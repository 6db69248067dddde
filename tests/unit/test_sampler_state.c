/* test_sampler_state.c: saving and restoring a sampler's state, for looking ahead (--choose). */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "abcdefgh ,.\n";

static cr_sampler *sampler_for(const cr_model *m, int threads, uint64_t seed)
{
    cr_sample_options o;
    cr_sample_options_default(&o);
    o.threads = threads;
    o.seed = seed;
    cr_sampler *s = NULL;
    cr_error e;
    if (cr_sampler_new(m, &o, &s, &e) != CR_OK) fprintf(stderr, "  %s\n", e.message);
    return s;
}

/* The probabilities after each of n ids fed (n, V), as a fresh sampler fed prefix then ids
 * would see them. */
static int same_probs_after(cr_sampler *a, cr_sampler *b, const uint32_t *ids, int n, size_t V)
{
    for (int i = 0; i < n; i++) {
        cr_sampler_feed(a, ids[i]);
        cr_sampler_feed(b, ids[i]);
        if (memcmp(cr_sampler_probs(a), cr_sampler_probs(b), V * sizeof(float))) return 0;
    }
    return 1;
}

TEST(sampler_state_restores_what_was_fed)
{
    static const int cells[3] = {CR_LSTM, CR_GRU, CR_RNN};
    for (int c = 0; c < 3; c++) {
        for (int threads = 1; threads <= 2; threads++) {
            cr_model *m = tiny_model(cells[c], 2, 40, c == 1 ? 5 : 0, ALPHABET, 11 + c);
            REQUIRE(m);
            cr_rng r;
            cr_rng_seed(&r, 3);
            fill_uniform(m->params, m->nparams, 1.0f, &r);
            size_t V = cr_model_vocab(m)->size;
            cr_sampler *a = sampler_for(m, threads, 5), *b = sampler_for(m, threads, 5);
            cr_sampler_state *st = NULL;
            cr_error e;
            REQUIRE(a && b && cr_sampler_state_new(a, &st, &e) == CR_OK);
            static const uint32_t prefix[6] = {0, 3, 8, 1, 11, 2};
            static const uint32_t more[8] = {4, 4, 9, 0, 7, 1, 10, 2};
            for (int i = 0; i < 6; i++) {
                cr_sampler_feed(a, prefix[i]);
                cr_sampler_feed(b, prefix[i]);
            }
            cr_sampler_save(a, st);
            for (int i = 0; i < 25; i++) /* wander off: draws and feeds move the state */
                cr_sampler_next(a);
            CHECK(memcmp(cr_sampler_probs(a), cr_sampler_probs(b), V * sizeof(float)) != 0);
            cr_sampler_restore(a, st);
            CHECK(memcmp(cr_sampler_probs(a), cr_sampler_probs(b), V * sizeof(float)) == 0);
            CHECK(same_probs_after(a, b, more, 8, V)); /* and the state goes on as b's does */
            cr_sampler_state_free(st);
            cr_sampler_free(a);
            cr_sampler_free(b);
            cr_model_free(m);
        }
    }
}

TEST(sampler_state_before_anything_was_fed)
{
    cr_model *m = tiny_model(CR_LSTM, 1, 12, 0, ALPHABET, 4);
    REQUIRE(m);
    size_t V = cr_model_vocab(m)->size;
    cr_sampler *a = sampler_for(m, 1, 9), *b = sampler_for(m, 1, 9);
    cr_sampler_state *st = NULL;
    cr_error e;
    REQUIRE(a && b && cr_sampler_state_new(a, &st, &e) == CR_OK);
    cr_sampler_save(a, st); /* nothing fed: the first draw starts after a newline */
    for (int i = 0; i < 10; i++)
        cr_sampler_next(a);
    cr_sampler_restore(a, st);
    CHECK(memcmp(cr_sampler_probs(a), cr_sampler_probs(b), V * sizeof(float)) == 0);
    /* the random generator is not restored: the draws go on from where they were */
    cr_sampler *c = sampler_for(m, 1, 9);
    REQUIRE(c);
    uint32_t x[40], y[40];
    int differ = 0;
    for (int i = 0; i < 40; i++) {
        x[i] = cr_sampler_next(a);
        y[i] = cr_sampler_next(c);
        differ |= x[i] != y[i];
    }
    CHECK(differ);
    cr_sampler_state_free(st);
    cr_sampler_free(a);
    cr_sampler_free(b);
    cr_sampler_free(c);
    cr_model_free(m);
}
