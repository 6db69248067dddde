/* score.c: the loss of a whole text through the training forward pass, read in parallel
 * streams: the trainer's validation and the score tool run the same code here. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct cr_scorer {
    const cr_model *m;
    const float *w;        /* the weights scored: m's latest or best */
    int B, T, warm;        /* streams, steps per forward pass, unscored characters read first */
    cr_pool *pool;
    cr_net *net;
    uint32_t *in, *tgt;    /* (T, B) */
    float *state;          /* (L, S, B, H) */
};

/*
 * The n - 1 predictions of ids (ids[p] predicts ids[p + 1]) are cut into B' = min(B, n - 1)
 * streams of S = ceil((n - 1) / B') predictions, stream b making predictions [b S, (b + 1) S)
 * (the last may make fewer). Every stream starts from the zero state and, but for the first,
 * first reads the warm characters before its own without scoring them; then the streams go
 * forward side by side in passes of at most T steps, their state carried from pass to pass.
 * With warm 0 this is the trainer's validation. Returns the summed loss in nats, adding the
 * passes' sums in order; *count the predictions; loss (n - 1), when not NULL, each of them.
 */
double cr_stream_loss(cr_net *net, const float *w, const uint32_t *ids, size_t n, int B, int T,
                      size_t warm, uint32_t *in, uint32_t *tgt, float *state, size_t state_floats,
                      double *loss, size_t *count)
{
    *count = 0;
    if (n < 2) return 0;
    size_t P = n - 1;
    if (P < (size_t)B) B = (int)P;
    size_t S = (P + (size_t)B - 1) / (size_t)B;
    if (warm > S * (size_t)(B - 1)) warm = S * (size_t)(B - 1); /* no more than the text */
    size_t steps = S + warm;                                     /* each stream's */
    memset(state, 0, state_floats * sizeof(float));
    double sum = 0;
    for (size_t k0 = 0; k0 < steps; k0 += (size_t)T) {
        int Tk = steps - k0 < (size_t)T ? (int)(steps - k0) : T;
        for (int b = 0; b < B; b++) {
            size_t own = (size_t)b * S; /* the stream's first prediction */
            size_t start = b == 0 ? 0 : own > warm ? own - warm : 0;
            for (int i = 0; i < Tk; i++) {
                size_t p = start + k0 + (size_t)i;
                int scored = p >= own && p < own + S && p < P;
                in[i * B + b] = p < P ? ids[p] : 0;
                tgt[i * B + b] = scored ? ids[p + 1] : CR_IGNORE;
            }
        }
        size_t cnt;
        sum += cr_net_forward(net, w, in, tgt, Tk, B, state, NULL, &cnt);
        *count += cnt;
        if (!loss) continue;
        const double *rl = cr_net_row_losses(net);
        for (int i = 0; i < Tk; i++)
            for (int b = 0; b < B; b++)
                if (tgt[i * B + b] != CR_IGNORE) {
                    size_t own = (size_t)b * S;
                    size_t start = b == 0 ? 0 : own > warm ? own - warm : 0;
                    loss[start + k0 + (size_t)i] = rl[i * B + b];
                }
    }
    return sum;
}

void cr_score_options_default(cr_score_options *o)
{
    memset(o, 0, sizeof *o);
    o->use_last = 0;
    o->streams = 0;
    o->window = 0;
    o->warmup = 0;
    o->threads = 1;
}

void cr_scorer_free(cr_scorer *s)
{
    if (!s) return;
    cr_net_free(s->net);
    cr_pool_free(s->pool);
    free(s->in);
    free(s->tgt);
    free(s->state);
    free(s);
}

int cr_scorer_new(const cr_model *m, const cr_score_options *o, cr_scorer **out, cr_error *err)
{
    *out = NULL;
    const cr_config *c = &m->cfg;
    if (o->streams < 0 || o->streams > 100000 || o->window < 0 || o->window > 100000 ||
        o->warmup < 0 || o->threads < 1 || o->threads > 256)
        return cr_fail(err, CR_EINVAL, -1, NULL, "streams %d, window %d, warm-up %d or threads "
                       "%d out of range", o->streams, o->window, o->warmup, o->threads);
    cr_scorer *s = calloc(1, sizeof *s);
    if (!s) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    s->m = m;
    s->w = !o->use_last && m->best ? m->best : m->params;
    s->B = o->streams ? o->streams : c->batch;
    s->T = o->window ? o->window : c->seq_len;
    s->warm = o->warmup;
    cr_config sc = *c;
    sc.batch = s->B;
    size_t carry = cr_carry_floats(&sc);
    s->in = calloc((size_t)s->T * (size_t)s->B, sizeof *s->in);
    s->tgt = calloc((size_t)s->T * (size_t)s->B, sizeof *s->tgt);
    s->state = calloc(carry, sizeof *s->state);
    int rc;
    if (!s->in || !s->tgt || !s->state) {
        rc = cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for %d streams of %d steps", s->B,
                     s->T);
        goto fail;
    }
    if (cr_pool_new(o->threads, &s->pool)) {
        rc = cr_fail(err, CR_ENOMEM, -1, NULL, "cannot start %d threads", o->threads);
        goto fail;
    }
    rc = cr_net_new(m, s->T, s->B, 0, s->pool, &s->net, err);
    if (rc) goto fail;
    cr_net_weights_changed(s->net, s->w);
    *out = s;
    return CR_OK;
fail:
    cr_scorer_free(s);
    return rc;
}

int cr_scorer_run(cr_scorer *s, const uint32_t *ids, size_t n, double *loss, double *sum,
                  size_t *count, cr_error *err)
{
    uint32_t V = s->m->vocab.size;
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= V)
            return cr_fail(err, CR_EINVAL, (long long)i, NULL,
                           "id %u at position %zu is not below the vocabulary's size %u",
                           ids[i], i, V);
    cr_config sc = s->m->cfg;
    sc.batch = s->B;
    *sum = cr_stream_loss(s->net, s->w, ids, n, s->B, s->T, (size_t)s->warm, s->in, s->tgt,
                          s->state, cr_carry_floats(&sc), loss, count);
    return CR_OK;
}
