/* test_grad.c: every gradient of every cell type against central finite differences. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum { T = 3, B = 2 };

typedef struct probe {
    cr_model *m;
    cr_net *net;
    uint32_t tokens[T * B], targets[T * B];
    float *state0;       /* (L, S, B, H) */
    float *state;
    size_t nstate;
    uint64_t dropout_seed;
} probe;

/* Mean loss of the chunk with the given initial state; dropout masks are the same every call. */
static double loss_of(probe *p)
{
    memcpy(p->state, p->state0, p->nstate * sizeof(float));
    cr_rng r;
    cr_rng_seed(&r, p->dropout_seed);
    cr_net_weights_changed(p->net, p->m->params);
    size_t n;
    double l = cr_net_forward(p->net, p->m->params, p->tokens, p->targets, T, B, p->state,
                              p->m->cfg.dropout > 0 ? &r : NULL, &n);
    return l / (double)n;
}

/* Compares the analytic gradient g of x (n) with central differences of loss_of. */
static void compare(probe *p, float *x, const float *g, size_t n, const char *what)
{
    const float eps = 4e-3f;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + eps;
        double lp = loss_of(p);
        x[i] = keep - eps;
        double lm = loss_of(p);
        x[i] = keep;
        double num = (lp - lm) / (2.0 * eps);
        if (!(fabs(num - g[i]) <= 3e-4 + 2e-2 * fabs(num))) {
            if (bad++ < 3)
                fprintf(stderr, "  %s[%zu]: analytic %.7g, numeric %.7g\n", what, i, g[i], num);
        }
    }
    CHECK(bad == 0);
}

static void gradcheck(int cell, int layers, int embed, double dropout)
{
    probe p = {0};
    p.m = tiny_model(cell, layers, 4, embed, "abcdef", 7);
    REQUIRE(p.m);
    p.m->cfg.dropout = dropout;
    p.dropout_seed = 99;
    cr_rng r;
    cr_rng_seed(&r, 5);
    fill_uniform(p.m->params, p.m->nparams, 0.6f, &r);
    for (int i = 0; i < T * B; i++) {
        p.tokens[i] = (uint32_t)(cr_rng_next(&r) % p.m->vocab.size);
        p.targets[i] = (uint32_t)(cr_rng_next(&r) % p.m->vocab.size);
    }
    p.targets[1] = CR_IGNORE; /* ignored targets must carry no gradient */
    cr_error e;
    REQUIRE(cr_net_new(p.m, T, B, 1, NULL, &p.net, &e) == CR_OK);
    p.nstate = (size_t)layers * cr_states_per_cell(cell) * B * 4;
    p.state0 = malloc(p.nstate * sizeof(float));
    p.state = malloc(p.nstate * sizeof(float));
    fill_uniform(p.state0, p.nstate, 0.5f, &r);
    float *grads = calloc(p.m->nparams, sizeof(float));
    float *dstate0 = calloc(p.nstate, sizeof(float));
    loss_of(&p);
    cr_net_backward(p.net, p.m->params, grads, dstate0);
    for (size_t t = 0; t < p.m->ntensors; t++) {
        const cr_tensor_info *ti = &p.m->tensors[t];
        compare(&p, p.m->params + ti->offset, grads + ti->offset, ti->size, ti->name);
    }
    compare(&p, p.state0, dstate0, p.nstate, "state0");
    free(grads);
    free(dstate0);
    free(p.state0);
    free(p.state);
    cr_net_free(p.net);
    cr_model_free(p.m);
}

TEST(grad_lstm_onehot) { gradcheck(CR_LSTM, 2, 0, 0); }
TEST(grad_lstm_embed_3layers) { gradcheck(CR_LSTM, 3, 3, 0); }
TEST(grad_lstm_dropout) { gradcheck(CR_LSTM, 2, 0, 0.3); }
TEST(grad_gru_onehot) { gradcheck(CR_GRU, 2, 0, 0); }
TEST(grad_gru_embed_dropout) { gradcheck(CR_GRU, 2, 3, 0.25); }
TEST(grad_rnn_onehot) { gradcheck(CR_RNN, 2, 0, 0); }
TEST(grad_rnn_embed_1layer) { gradcheck(CR_RNN, 1, 3, 0); }
