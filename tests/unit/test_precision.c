/* test_precision.c: training with --precision bf16 learns, is deterministic on one machine
 * whatever the thread count, and really differs from float32. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static cr_model *trained_at(int precision, int cell, int embed, const char *text, int steps,
                            int threads, double *val)
{
    cr_config c;
    cr_config_default(&c);
    c.cell = cell;
    c.layers = 2;
    c.hidden = 40;
    c.embed = embed;
    c.batch = 16;
    c.seq_len = 16;
    c.warmup = 5;
    c.lr = 1e-2;
    c.eval_every = 1000;
    c.dropout = 0.1;
    c.seed = 21;
    c.precision = precision;
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    if (cr_model_new_from_text(&c, (const unsigned char *)text, strlen(text), &m, &e)) return NULL;
    if (cr_trainer_new(m, (const unsigned char *)text, strlen(text), threads, &t, &e)) {
        cr_model_free(m);
        return NULL;
    }
    for (int i = 0; i < steps; i++) {
        cr_step_result r;
        if (cr_trainer_step(t, &r, &e)) break;
    }
    int improved;
    if (val && cr_trainer_evaluate(t, val, &improved, &e)) *val = NAN;
    cr_trainer_free(t);
    return m;
}

static int same(const cr_model *a, const cr_model *b)
{
    size_t n = a->nparams * sizeof(float);
    return a->nparams == b->nparams && memcmp(a->params, b->params, n) == 0 &&
           memcmp(a->m1, b->m1, n) == 0 && memcmp(a->m2, b->m2, n) == 0;
}

TEST(precision_bf16_same_bytes_twice_and_on_any_thread_count)
{
    char *text = toy_corpus(4000, 9);
    for (int cell = CR_LSTM; cell <= CR_RNN; cell++) {
        int embed = cell == CR_GRU ? 12 : 0; /* an embedding: the first layer's products too */
        cr_model *a = trained_at(CR_BF16, cell, embed, text, 12, 1, NULL);
        cr_model *b = trained_at(CR_BF16, cell, embed, text, 12, 1, NULL);
        cr_model *c = trained_at(CR_BF16, cell, embed, text, 12, 2, NULL);
        cr_model *f = trained_at(CR_FP32, cell, embed, text, 12, 1, NULL);
        REQUIRE(a && b && c && f);
        CHECK(a->cfg.precision == CR_BF16);
        CHECK(same(a, b));
        CHECK(same(a, c));
        CHECK(!same(a, f)); /* the rounding is really there */
        cr_model_free(a);
        cr_model_free(b);
        cr_model_free(c);
        cr_model_free(f);
    }
    free(text);
}

/* The same run in both precisions learns the toy grammar about as well. */
TEST(precision_bf16_learns_as_fp32_does)
{
    char *text = toy_corpus(6000, 3);
    double v16, v32;
    cr_model *a = trained_at(CR_BF16, CR_LSTM, 0, text, 200, 2, &v16);
    cr_model *b = trained_at(CR_FP32, CR_LSTM, 0, text, 200, 2, &v32);
    REQUIRE(a && b);
    CHECK(v32 < 1.0);
    CHECK(v16 < 1.0);
    CHECK(fabs(v16 - v32) < 0.05);
    if (!(fabs(v16 - v32) < 0.05)) fprintf(stderr, "  bf16 %.4f, fp32 %.4f\n", v16, v32);
    cr_model_free(a);
    cr_model_free(b);
    free(text);
}

TEST(precision_is_checked)
{
    cr_config c;
    cr_config_default(&c);
    cr_error e;
    CHECK(c.precision == CR_FP32);
    c.precision = 2;
    CHECK(cr_config_check(&c, &e) == CR_EINVAL);
    CHECK(strstr(e.message, "precision") != NULL);
}
