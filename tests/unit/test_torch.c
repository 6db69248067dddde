/* test_torch.c: forward and backward results against PyTorch on the same weights and inputs
 * (fixtures from tests/make_fixtures.py; format in tests/fixtures/README.md). */
#include "fixture.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The tolerance of a comparison: fp32 to summation order; with --precision bf16, the products'
 * inputs carry bf16's relative error of 2^-9, so an element may be off by a few times that of
 * the largest in its tensor (gradients are sums of many such products). */
static int bf16_mode;

/* Counts the elements of got (n) that differ from want by more than the tolerance. */
static int mismatches(const char *what, const float *got, const float *want, size_t n)
{
    float top = 0;
    for (size_t i = 0; i < n; i++)
        top = fmaxf(top, fabsf(want[i]));
    float atol = bf16_mode ? 1.5e-2f * top : 2e-5f, rtol = bf16_mode ? 1.5e-2f : 1e-4f;
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= atol + rtol * fabsf(want[i]))) {
            if (bad++ < 3) fprintf(stderr, "  %s[%zu]: %.8g, PyTorch %.8g\n", what, i, got[i], want[i]);
        }
    return bad;
}

static void compare_with_torch(const char *file, int precision)
{
    bf16_mode = precision == CR_BF16;
    fixture f = {0};
    REQUIRE(fixture_load(file, &f) == 1);
    const record *cfg = fixture_find(&f, "config");
    REQUIRE(cfg && cfg->size == 8);
    int cell = (int)cfg->data[0], V = (int)cfg->data[1], E = (int)cfg->data[2];
    int H = (int)cfg->data[3], L = (int)cfg->data[4], T = (int)cfg->data[5], B = (int)cfg->data[6];
    char alphabet[64];
    for (int i = 0; i < V; i++)
        alphabet[i] = (char)('a' + i);
    alphabet[V] = 0;
    cr_model *m = tiny_model(cell, L, H, E, alphabet, 1);
    REQUIRE(m && (int)m->vocab.size == V);
    m->cfg.precision = precision;
    for (size_t t = 0; t < m->ntensors; t++) { /* the table must match PyTorch's tensors */
        const cr_tensor_info *ti = &m->tensors[t];
        const record *r = fixture_find(&f, ti->name);
        CHECK(r != NULL && r->size == ti->size);
        if (r && r->size == ti->size) memcpy(m->params + ti->offset, r->data, 4 * ti->size);
    }
    const record *tok = fixture_find(&f, "tokens"), *tgt = fixture_find(&f, "targets");
    REQUIRE(tok && tgt && tok->size == (size_t)(T * B));
    uint32_t *tokens = malloc(sizeof(uint32_t) * (size_t)(T * B));
    uint32_t *targets = malloc(sizeof(uint32_t) * (size_t)(T * B));
    for (int i = 0; i < T * B; i++) {
        tokens[i] = (uint32_t)tok->data[i];
        targets[i] = (uint32_t)tgt->data[i];
    }
    int S = cr_states_per_cell(cell);
    size_t BH = (size_t)(B * H);
    float *state = calloc((size_t)(L * S) * BH, sizeof(float));
    float *dstate = calloc((size_t)(L * S) * BH, sizeof(float));
    const record *h0 = fixture_find(&f, "h0"), *c0 = fixture_find(&f, "c0");
    for (int l = 0; l < L; l++) {
        memcpy(state + (size_t)(l * S) * BH, h0->data + l * BH, 4 * BH);
        if (S == 2) memcpy(state + (size_t)(l * S + 1) * BH, c0->data + l * BH, 4 * BH);
    }
    cr_net *net;
    cr_error e;
    REQUIRE(cr_net_new(m, T, B, 1, NULL, &net, &e) == CR_OK);
    size_t count;
    double loss = cr_net_forward(net, m->params, tokens, targets, T, B, state, NULL, &count);
    CHECK(count == (size_t)(T * B));
    double ltol = bf16_mode ? 2e-3 : 1e-5;
    CHECK_CLOSE(loss / (double)count, fixture_find(&f, "loss")->data[0], ltol, ltol);
    CHECK(mismatches("logits", cr_net_logits(net), fixture_find(&f, "logits")->data,
                     (size_t)(T * B * V)) == 0);
    for (int l = 0; l < L; l++) {
        CHECK(mismatches("hT", state + (size_t)(l * S) * BH,
                         fixture_find(&f, "hT")->data + l * BH, BH) == 0);
        if (S == 2)
            CHECK(mismatches("cT", state + (size_t)(l * S + 1) * BH,
                             fixture_find(&f, "cT")->data + l * BH, BH) == 0);
    }
    float *grads = calloc(m->nparams, sizeof(float));
    cr_net_backward(net, m->params, grads, dstate);
    for (size_t t = 0; t < m->ntensors; t++) {
        const cr_tensor_info *ti = &m->tensors[t];
        char dname[32];
        snprintf(dname, sizeof dname, "d%s", ti->name);
        const record *r = fixture_find(&f, dname);
        CHECK(r != NULL && r->size == ti->size);
        if (r && r->size == ti->size) CHECK(mismatches(dname, grads + ti->offset, r->data, ti->size) == 0);
    }
    const record *dh0 = fixture_find(&f, "dh0"), *dc0 = fixture_find(&f, "dc0");
    REQUIRE(dh0 && (S == 1 || dc0));
    for (int l = 0; l < L; l++) {
        CHECK(mismatches("dh0", dstate + (size_t)(l * S) * BH, dh0->data + l * BH, BH) == 0);
        if (S == 2)
            CHECK(mismatches("dc0", dstate + (size_t)(l * S + 1) * BH, dc0->data + l * BH, BH) == 0);
    }
    free(grads);
    free(state);
    free(dstate);
    free(tokens);
    free(targets);
    cr_net_free(net);
    cr_model_free(m);
    fixture_free(&f);
}

TEST(torch_lstm_onehot) { compare_with_torch("lstm_onehot.bin", CR_FP32); }
TEST(torch_lstm_embed) { compare_with_torch("lstm_embed.bin", CR_FP32); }
TEST(torch_gru_onehot) { compare_with_torch("gru_onehot.bin", CR_FP32); }
TEST(torch_gru_embed) { compare_with_torch("gru_embed.bin", CR_FP32); }
TEST(torch_rnn_onehot) { compare_with_torch("rnn_onehot.bin", CR_FP32); }
TEST(torch_lstm_wide) { compare_with_torch("lstm_wide.bin", CR_FP32); }
TEST(torch_gru_wide) { compare_with_torch("gru_wide.bin", CR_FP32); }
TEST(torch_rnn_wide) { compare_with_torch("rnn_wide.bin", CR_FP32); }

/* --precision bf16: the same fixtures to bfloat16 tolerance */
TEST(torch_bf16_lstm_embed) { compare_with_torch("lstm_embed.bin", CR_BF16); }
TEST(torch_bf16_gru_embed) { compare_with_torch("gru_embed.bin", CR_BF16); }
TEST(torch_bf16_rnn_onehot) { compare_with_torch("rnn_onehot.bin", CR_BF16); }
TEST(torch_bf16_lstm_wide) { compare_with_torch("lstm_wide.bin", CR_BF16); }
TEST(torch_bf16_gru_wide) { compare_with_torch("gru_wide.bin", CR_BF16); }
TEST(torch_bf16_rnn_wide) { compare_with_torch("rnn_wide.bin", CR_BF16); }
