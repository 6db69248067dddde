/* test_infer.c: the sampler's batch-1 step (infer.c) against the training network's forward,
 * for every cell, one-hot and embedded input, widths that are not multiples of 16, 1 to 3
 * layers, 1 to 3 threads and every kernel this CPU runs. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* 37 characters: three output panels of 16, the last one partly empty */
static const char ALPHABET37[] = "abcdefghijklmnopqrstuvwxyz0123456789\n";

enum { STEPS = 300 };

/* The largest difference between probabilities, and between logits relative to 1 + |z|,
 * allowed over STEPS characters. Both computations add the same terms in the same order, so
 * with the network's own kernel kind (AVX2 or AVX-512 here) they agree exactly; the generic
 * kernel's unfused multiply-adds against the network's fused ones differ by about 1e-7 per
 * step, which the recurrence carries along: at most 8.4e-6 (logits) and 5.7e-7
 * (probabilities) seen, for the RNN 1 x 130. */
#define PROB_TOL 2e-5
#define LOGIT_TOL 1e-4

typedef struct shape {
    int cell, layers, hidden, embed;
} shape;

static void softmax(const float *z, int V, double *p)
{
    double mx = z[0], s = 0;
    for (int i = 1; i < V; i++)
        mx = z[i] > mx ? z[i] : mx;
    for (int i = 0; i < V; i++)
        s += p[i] = exp(z[i] - mx);
    for (int i = 0; i < V; i++)
        p[i] /= s;
}

/* Feeds STEPS pseudo-random characters to the network on weights wnet and to an infer step
 * built from params (bfloat16 products if bf16) with the given threads and kernel; returns the
 * largest differences seen, and fills last (V) with the infer step's final logits. */
static int compare(const cr_model *m, const float *wnet, const float *params, int bf16,
                   int threads, int kind, double *dprob, double *dlogit, float *last)
{
    const int V = (int)m->vocab.size;
    cr_error e;
    cr_net *net = NULL;
    cr_pool *pool = NULL;
    cr_infer *f = NULL;
    float *state = calloc(cr_carry_floats(&m->cfg), sizeof *state);
    double *p = malloc((size_t)V * sizeof *p), *q = malloc((size_t)V * sizeof *q);
    int ok = state && p && q && cr_net_new(m, 1, 1, 0, NULL, &net, &e) == CR_OK &&
             (threads == 1 || cr_pool_new(threads, &pool) == CR_OK) &&
             cr_infer_new(m, params, pool, kind, bf16, &f, &e) == CR_OK;
    if (ok) cr_net_weights_changed(net, wnet); /* the net packs the weights it multiplies by */
    *dprob = *dlogit = 0;
    cr_rng r;
    cr_rng_seed(&r, 5);
    for (int t = 0; ok && t < STEPS; t++) {
        uint32_t tok = (uint32_t)(cr_rng_next(&r) % (uint64_t)V);
        cr_net_forward(net, wnet, &tok, NULL, 1, 1, state, NULL, NULL);
        cr_infer_step(f, tok);
        const float *zn = cr_net_logits(net), *zi = cr_infer_logits(f);
        softmax(zn, V, p);
        softmax(zi, V, q);
        for (int i = 0; i < V; i++) {
            double dp = fabs(p[i] - q[i]), dz = fabs(zn[i] - zi[i]) / (1 + fabs(zn[i]));
            *dprob = dp > *dprob || dp != dp ? dp : *dprob;
            *dlogit = dz > *dlogit || dz != dz ? dz : *dlogit;
        }
        if (t == STEPS - 1) memcpy(last, zi, (size_t)V * sizeof *last);
    }
    cr_infer_free(f);
    cr_pool_free(pool);
    cr_net_free(net);
    free(state), free(p), free(q);
    return ok;
}

static cr_model *model_for(const shape *s)
{
    /* the weights of tiny_model's initialisation, scaled up so that the gates are not all
     * near one half and the states move */
    cr_model *m = tiny_model(s->cell, s->layers, s->hidden, s->embed, ALPHABET37,
                             (uint64_t)(s->hidden * 7 + s->layers));
    if (!m) return NULL;
    cr_rng r;
    cr_rng_seed(&r, (uint64_t)s->hidden);
    fill_uniform(m->params, m->nparams, 2.0f / sqrtf((float)s->hidden), &r);
    return m;
}

static const shape SHAPES[] = {
    {CR_LSTM, 2, 40, 0},  {CR_LSTM, 1, 16, 0}, {CR_LSTM, 3, 33, 7}, {CR_LSTM, 2, 70, 0},
    {CR_GRU, 2, 40, 0},   {CR_GRU, 1, 23, 5},  {CR_GRU, 3, 48, 0},
    {CR_RNN, 2, 40, 0},   {CR_RNN, 1, 130, 9}, {CR_RNN, 3, 17, 0},
};

TEST(infer_matches_the_network)
{
    for (size_t k = 0; k < sizeof SHAPES / sizeof *SHAPES; k++) {
        const shape *s = &SHAPES[k];
        cr_model *m = model_for(s);
        REQUIRE(m);
        const int V = (int)m->vocab.size;
        REQUIRE(V == 37);
        for (int kind = CR_KERNEL_GENERIC; kind <= CR_KERNEL_AVX512; kind++) {
            if (!cr_kernel_available(kind)) continue;
            float first[37], last[37];
            for (int threads = 1; threads <= 3; threads++) {
                double dp, dz;
                CHECK(compare(m, m->params, m->params, 0, threads, kind, &dp, &dz, last));
                if (!(dp <= PROB_TOL && dz <= LOGIT_TOL))
                    fprintf(stderr, "  %s %d x %d embed %d, %s, %d threads: probabilities "
                            "differ by %.3g, logits by %.3g\n", cr_cell_name(s->cell), s->layers,
                            s->hidden, s->embed, cr_kernel_name(kind), threads, dp, dz);
                CHECK(dp <= PROB_TOL);
                CHECK(dz <= LOGIT_TOL);
                /* each unit's sums run in the same order whatever thread does them */
                if (threads == 1) memcpy(first, last, sizeof first);
                else CHECK(memcmp(first, last, sizeof first) == 0);
            }
        }
        cr_model_free(m);
    }
}

/* x rounded to the nearest bfloat16 (8 significant bits), ties to even: written apart from
 * the library's bit manipulation, through frexp */
static float round_bf16(float x)
{
    int e;
    float m = frexpf(x, &e); /* x = m 2^e, 0.5 <= |m| < 1 */
    return ldexpf(nearbyintf(m * 256.0f), e - 8);
}

TEST(infer_bf16_matches_the_network_on_rounded_weights)
{
    /* with bf16 the step multiplies by the weight matrices rounded to bfloat16: the network
     * on weights rounded here must agree as closely as it does in fp32; and the rounding is
     * not nothing */
    for (size_t k = 0; k < sizeof SHAPES / sizeof *SHAPES; k++) {
        const shape *s = &SHAPES[k];
        cr_model *m = model_for(s);
        REQUIRE(m);
        float *r = malloc(m->nparams * sizeof *r);
        REQUIRE(r);
        memcpy(r, m->params, m->nparams * sizeof *r);
        for (size_t t = 0; t < m->ntensors; t++) {
            const cr_tensor_info *ti = &m->tensors[t];
            const char *dot = strchr(ti->name, '.');
            if (dot && (!strcmp(dot, ".Wx") || !strcmp(dot, ".Wh") || !strcmp(dot, ".W")))
                for (size_t i = 0; i < ti->size; i++)
                    r[ti->offset + i] = round_bf16(r[ti->offset + i]);
        }
        for (int kind = CR_KERNEL_GENERIC; kind <= CR_KERNEL_AVX512; kind++) {
            if (!cr_kernel_available(kind)) continue;
            float first[37], last[37];
            for (int threads = 1; threads <= 3; threads++) {
                double dp, dz;
                CHECK(compare(m, r, m->params, 1, threads, kind, &dp, &dz, last));
                if (!(dp <= PROB_TOL && dz <= LOGIT_TOL))
                    fprintf(stderr, "  bf16 %s %d x %d embed %d, %s, %d threads: probabilities "
                            "differ by %.3g, logits by %.3g\n", cr_cell_name(s->cell), s->layers,
                            s->hidden, s->embed, cr_kernel_name(kind), threads, dp, dz);
                CHECK(dp <= PROB_TOL);
                CHECK(dz <= LOGIT_TOL);
                if (threads == 1) memcpy(first, last, sizeof first);
                else CHECK(memcmp(first, last, sizeof first) == 0);
            }
            double dp, dz;
            CHECK(compare(m, m->params, m->params, 1, 2, kind, &dp, &dz, last));
            CHECK(dz > 2 * LOGIT_TOL); /* against the unrounded weights: 6e-4 to 5e-2 seen */
        }
        free(r);
        cr_model_free(m);
    }
}

TEST(infer_notices_a_changed_weight)
{
    /* the comparison above can fail: one recurrent weight of the last unit of the top layer
     * (in the last, partial chunk), or one output weight of the last character, changed by a
     * quarter, is seen */
    static const shape s = {CR_LSTM, 2, 40, 0};
    cr_model *m = model_for(&s);
    REQUIRE(m);
    float *w = malloc(m->nparams * sizeof *w);
    REQUIRE(w);
    static const char *const names[] = {"l1.Wh", "out.W"};
    for (int n = 0; n < 2; n++) {
        memcpy(w, m->params, m->nparams * sizeof *w);
        int t = cr_model_find_tensor(m, names[n]);
        REQUIRE(t >= 0);
        const cr_tensor_info *ti = &m->tensors[t];
        w[ti->offset + ti->size - 1] += 0.25f; /* the last column of the last row */
        for (int threads = 1; threads <= 2; threads++) {
            double dp, dz;
            float last[37];
            CHECK(compare(m, m->params, w, 0, threads, cr_kernel_best(), &dp, &dz, last));
            CHECK(dz > 10 * LOGIT_TOL);
        }
    }
    free(w);
    cr_model_free(m);
}

TEST(infer_rejects_an_unavailable_kernel)
{
    static const shape s = {CR_RNN, 1, 8, 0};
    cr_model *m = model_for(&s);
    REQUIRE(m);
    cr_infer *f = (cr_infer *)m;
    cr_error e = {0};
    CHECK(cr_infer_new(m, m->params, NULL, 99, 0, &f, &e) == CR_EINVAL);
    CHECK(f == NULL);
    CHECK(e.message[0] != 0);
    cr_model_free(m);
}
