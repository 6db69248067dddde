/* net.c: the whole network over one chunk, as a forward/backward pair per stage, in the order
 * data flows: embedding, layer (input projection and cell), dropout, output and softmax
 * cross-entropy; cr_net_forward and cr_net_backward at the end run the stages. Backward adds
 * into the gradients.
 * Shapes: T steps, B rows, R = T * B, time-major (row r = t * B + b); H units, E embedding width
 * (0: one-hot input), V vocabulary, L layers, G gate blocks and S states per cell (the cell's
 * row in cells.c), In the width of a layer's input: E, V (one-hot) or H above layer 0. */
#include "internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct layer_ws {
    float *xp;    /* (T, B, G*H) */
    float *gh;    /* (T, B, H) for a cell that keeps the recurrent side apart (GRU) */
    float *h;     /* (T+1, B, H) */
    float *c;     /* (T+1, B, H) the second state (LSTM's c) */
    float *tc;    /* (T, B, H) LSTM: tanh of c */
    float *mask;  /* (T, B, H) dropout multipliers, training only */
    float *drop;  /* (T, B, H) output after dropout, training only */
    const float *out; /* (T, B, H) the layer's output as seen by the next: drop or h + B H */
} layer_ws;

struct cr_net {
    const cr_cell_desc *cd;
    int L, H, V, E, G, In0, Tmax, Bmax, training;
    int prec;                   /* CR_FP32 or CR_BF16: of the products and the packed weights */
    double dropout;
    cr_pool *pool;
    const cr_net *packs_of;     /* the net whose packed weights this one reads, or NULL: its own */
    const cr_tensor_info *tensors;
    cr_layout lay;              /* the model's: where each tensor is in params and grads */
    float *arena;
    /* the weights packed for cr_mm_nn_packed, refreshed by cr_net_weights_changed */
    float *Whp[CR_MAX_LAYERS];  /* Wh (H, G*H) */
    float *WhTp[CR_MAX_LAYERS]; /* Wh^T (G*H, H) */
    float *Wxp[CR_MAX_LAYERS];  /* Wx (In, G*H) for layers whose input is not one-hot */
    float *WxTp[CR_MAX_LAYERS]; /* Wx^T (G*H, In) for layers that need dX */
    float *Wop, *WoTp;          /* out.W (H, V) and its transpose (V, H) */
    layer_ws lw[CR_MAX_LAYERS];
    float *emb;                 /* (T, B, E) gathered embeddings */
    float *logits;              /* (T, B, V); becomes dlogits in backward */
    float *lse;                 /* (T, B) log-sum-exp of each row */
    double *rowloss;            /* (T, B) loss of each row, NaN where no target */
    float *ghs;                 /* (B, G*H) */
    /* backward */
    float *dh_a, *dh_b;         /* (T, B, max(H, E)) ping-pong gradients of layer outputs */
    float *dgx, *dgh;           /* (T, B, G*H) */
    float *dh0, *dc0, *dc;      /* (B, H) */
    /* the last forward */
    const uint32_t *tokens, *targets;
    int T, B, dropout_on;
    size_t counted;
};

#define P(params, t) ((params) + n->tensors[(t)].offset)

/* ---- the workspace: one arena, carved the same way to measure it and to use it ---- */

/* The next n floats of the arena at *off (NULL while only measuring), 64-byte aligned. */
static float *take(float *base, size_t *off, size_t n)
{
    float *r = base ? base + *off : NULL;
    *off += (n + 15) & ~(size_t)15;
    return r;
}

static size_t layout(cr_net *n, float *base)
{
    size_t T = (size_t)n->Tmax, B = (size_t)n->Bmax, H = (size_t)n->H;
    size_t G = (size_t)n->G, V = (size_t)n->V, E = (size_t)n->E;
    int S2 = n->cd->S == 2, split = n->cd->hbias >= 0;
    size_t off = 0;
    const cr_net *o = n->packs_of;
    for (int l = 0; l < n->L; l++) {
        size_t in = l ? H : (size_t)n->In0;
        if (o) {
            n->Whp[l] = o->Whp[l];
            n->WhTp[l] = o->WhTp[l];
            n->Wxp[l] = o->Wxp[l];
            n->WxTp[l] = o->WxTp[l];
        } else {
            n->Whp[l] = take(base, &off, cr_packed_floats((int)H, (int)(G * H)));
            n->WhTp[l] = take(base, &off, cr_packed_floats((int)(G * H), (int)H));
            n->Wxp[l] = (l > 0 || E > 0)
                            ? take(base, &off, cr_packed_floats((int)in, (int)(G * H))) : NULL;
            n->WxTp[l] = (l > 0 || (E > 0 && n->training))
                             ? take(base, &off, cr_packed_floats((int)(G * H), (int)in)) : NULL;
        }
        layer_ws *w = &n->lw[l];
        w->xp = take(base, &off, T * B * G * H);
        w->gh = split ? take(base, &off, T * B * H) : NULL;
        w->h = take(base, &off, (T + 1) * B * H);
        w->c = S2 ? take(base, &off, (T + 1) * B * H) : NULL;
        w->tc = S2 ? take(base, &off, T * B * H) : NULL;
        w->mask = n->training ? take(base, &off, T * B * H) : NULL;
        w->drop = n->training ? take(base, &off, T * B * H) : NULL;
    }
    n->Wop = o ? o->Wop : take(base, &off, cr_packed_floats((int)H, (int)V));
    n->WoTp = o ? o->WoTp : take(base, &off, cr_packed_floats((int)V, (int)H));
    n->emb = E ? take(base, &off, T * B * E) : NULL;
    n->logits = take(base, &off, T * B * V);
    n->lse = take(base, &off, T * B);
    n->rowloss = (double *)(void *)take(base, &off, 2 * T * B); /* 64-byte aligned */
    n->ghs = take(base, &off, B * G * H);
    if (n->training) {
        size_t wide = H > E ? H : E;
        n->dh_a = take(base, &off, T * B * wide);
        n->dh_b = take(base, &off, T * B * wide);
        n->dgx = take(base, &off, T * B * G * H);
        n->dgh = split ? take(base, &off, T * B * G * H) : n->dgx;
        n->dh0 = take(base, &off, B * H);
        n->dc0 = take(base, &off, B * H);
        n->dc = take(base, &off, B * H);
    }
    return off;
}

int cr_net_new(const cr_model *m, int T, int B, int training, cr_pool *pool, cr_net **out,
               cr_error *err)
{
    return cr_net_new_sharing(m, T, B, training, pool, NULL, out, err);
}

int cr_net_new_sharing(const cr_model *m, int T, int B, int training, cr_pool *pool,
                       const cr_net *packs_of, cr_net **out, cr_error *err)
{
    *out = NULL;
    cr_net *n = calloc(1, sizeof *n);
    if (!n) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    const cr_config *c = &m->cfg;
    n->cd = cr_cell_of(c->cell);
    n->L = c->layers;
    n->H = c->hidden;
    n->V = (int)m->vocab.size;
    n->E = c->embed;
    n->G = n->cd->G;
    n->In0 = c->embed > 0 ? c->embed : n->V;
    n->Tmax = T;
    n->Bmax = B;
    n->training = training;
    n->dropout = c->dropout;
    n->prec = c->precision;
    n->pool = pool;
    assert(!packs_of || !training || packs_of->training); /* a trainer's packs hold Wx^T too */
    n->packs_of = packs_of;
    n->tensors = m->tensors;
    n->lay = m->layout;
    size_t floats = layout(n, NULL); /* with a null base: measures only */
    n->arena = cr_aligned_zeros(floats * sizeof(float));
    if (!n->arena) {
        free(n);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for the training workspace "
                       "(%zu MB)", floats * sizeof(float) >> 20);
    }
    layout(n, n->arena);
    if (!packs_of) cr_net_weights_changed(n, m->params);
    *out = n;
    return CR_OK;
}

void cr_net_free(cr_net *n)
{
    if (!n) return;
    free(n->arena);
    free(n);
}

void cr_net_weights_changed(cr_net *n, const float *params)
{
    cr_net_pack(n, n->pool, params);
}

void cr_net_pack(cr_net *n, cr_pool *pool, const float *params)
{
    const int H = n->H, G = n->G;
    if (n->packs_of) return; /* the owner packs, and params must be what it packed */
    for (int l = 0; l < n->L; l++) {
        const float *Wh = P(params, n->lay.Wh[l]), *Wx = P(params, n->lay.Wx[l]);
        int in = l ? H : n->In0;
        cr_pack_prec(n->prec, pool, Wh, H, G * H, G * H, 0, n->Whp[l]);
        cr_pack_prec(n->prec, pool, Wh, G * H, H, G * H, 1, n->WhTp[l]);
        if (n->Wxp[l]) cr_pack_prec(n->prec, pool, Wx, in, G * H, G * H, 0, n->Wxp[l]);
        if (n->WxTp[l]) cr_pack_prec(n->prec, pool, Wx, G * H, in, G * H, 1, n->WxTp[l]);
    }
    cr_pack_prec(n->prec, pool, P(params, n->lay.outW), H, n->V, n->V, 0, n->Wop);
    cr_pack_prec(n->prec, pool, P(params, n->lay.outW), n->V, H, n->V, 1, n->WoTp);
}

const float *cr_net_logits(const cr_net *n) { return n->logits; }
const double *cr_net_row_losses(const cr_net *n) { return n->rowloss; }

/* ---- element-wise work split over the pool ----
 * Rows go to threads in contiguous ranges and columns likewise; every value is computed by one
 * thread in one order, so nothing depends on the thread count. */
typedef struct split_job {
    cr_net *n;
    const float *src;  /* rows or columns to read */
    float *dst;        /* to write */
    const float *bias; /* added to every row, or NULL */
    int rows, cols, ld;
    double *loss;      /* (rows) per-row loss, or NULL */
} split_job;

static void split_run(cr_net *n, cr_task_fn fn, split_job *j, long work)
{
    if (n->pool && work >= 32768) cr_pool_run(n->pool, fn, j);
    else fn(j, 0, 1);
}

/* X (rows, N) = v (N) in every row */
static void fill_rows(float *X, int rows, int N, const float *v)
{
    for (int r = 0; r < rows; r++)
        memcpy(X + (long)r * N, v, sizeof(float) * (size_t)N);
}

/* dst (cols) += column sums of src (rows, cols), row stride ld */
static void colsum_task(void *ctx, int task, int ntasks)
{
    const split_job *j = ctx;
    int c0, c1;
    cr_split(j->cols, task, ntasks, &c0, &c1);
    for (int r = 0; r < j->rows; r++) {
        const float *x = j->src + (long)r * j->ld;
        for (int c = c0; c < c1; c++)
            j->dst[c] += x[c];
    }
}

static void colsum(cr_net *n, const float *X, int rows, int cols, int ld, float *y)
{
    split_job j = {n, X, y, NULL, rows, cols, ld, NULL};
    split_run(n, colsum_task, &j, (long)rows * cols);
}

/* ---- embedding: emb (R, E) = rows tokens of embed (V, E) ---- */

static void embed_forward(cr_net *n, const float *params, int R)
{
    const int E = n->E;
    const float *emb = P(params, n->lay.embed);
    for (int r = 0; r < R; r++)
        memcpy(n->emb + (long)r * E, emb + (long)n->tokens[r] * E, sizeof(float) * (size_t)E);
}

/* dembed (V, E) row tokens[r] += dX (R, E) row r */
static void embed_backward(cr_net *n, float *grads, const float *dX, int R)
{
    const int E = n->E;
    float *dE = P(grads, n->lay.embed);
    for (int r = 0; r < R; r++) {
        float *d = dE + (long)n->tokens[r] * E;
        const float *g = dX + (long)r * E;
        for (int j = 0; j < E; j++)
            d[j] += g[j];
    }
}

/* ---- layer l: xp (R, G*H) = X (R, In) Wx + b, then the cell over T steps from the states
 * (L, S, B, H) carried in, which it updates ---- */

/* one-hot input, rows [r0, r1): dst row r = row tokens[r] of src (V, cols) + bias */
static void gather_task(void *ctx, int task, int ntasks)
{
    const split_job *j = ctx;
    int r0, r1;
    cr_split(j->rows, task, ntasks, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        const float *wr = j->src + (long)j->n->tokens[r] * j->cols;
        float *x = j->dst + (long)r * j->cols;
        for (int c = 0; c < j->cols; c++)
            x[c] = wr[c] + j->bias[c];
    }
}

/* one-hot input's gradient, columns [c0, c1): row tokens[r] of dst += row r of src */
static void scatter_task(void *ctx, int task, int ntasks)
{
    const split_job *j = ctx;
    int c0, c1;
    cr_split(j->cols, task, ntasks, &c0, &c1);
    for (int r = 0; r < j->rows; r++) {
        float *d = j->dst + (long)j->n->tokens[r] * j->ld;
        const float *g = j->src + (long)r * j->ld;
        for (int c = c0; c < c1; c++)
            d[c] += g[c];
    }
}

static void cell_io(cr_net *n, int l, const float *params, cr_cell_io *io)
{
    layer_ws *w = &n->lw[l];
    memset(io, 0, sizeof *io);
    io->T = n->T;
    io->B = n->B;
    io->H = n->H;
    io->Whp = n->Whp[l];
    io->WhTp = n->WhTp[l];
    io->bhn = n->lay.bhn[l] >= 0 ? P(params, n->lay.bhn[l]) : NULL;
    io->xp = w->xp;
    io->gh = w->gh;
    io->h = w->h;
    io->c = w->c;
    io->tc = w->tc;
    io->ghs = n->ghs;
    io->pool = n->pool;
    io->prec = n->prec;
}

/* X (R, In): the layer's input; NULL for one-hot. */
static void layer_forward(cr_net *n, int l, const float *params, const float *X, float *state)
{
    layer_ws *w = &n->lw[l];
    const int T = n->T, B = n->B, H = n->H, G = n->G, S = n->cd->S, R = T * B;
    const float *Wx = P(params, n->lay.Wx[l]), *b = P(params, n->lay.b[l]);
    if (l == 0 && n->E == 0) {
        split_job j = {n, Wx, w->xp, b, R, G * H, G * H, NULL}; /* one-hot input: a row gather */
        split_run(n, gather_task, &j, (long)R * G * H);
    } else {
        const int in = l ? H : n->E;
        fill_rows(w->xp, R, G * H, b);
        cr_mm_nn_packed_prec(n->prec, n->pool, R, G * H, in, X, in, n->Wxp[l], w->xp, G * H, 1);
    }
    float *sh = state + (long)(l * S) * B * H, *sc = state + (long)(l * S + 1) * B * H;
    memcpy(w->h, sh, sizeof(float) * (size_t)B * H);
    if (w->c) memcpy(w->c, sc, sizeof(float) * (size_t)B * H);
    cr_cell_io io;
    cell_io(n, l, params, &io);
    n->cd->forward(&io);
    memcpy(sh, w->h + (long)T * B * H, sizeof(float) * (size_t)B * H);
    if (w->c) memcpy(sc, w->c + (long)T * B * H, sizeof(float) * (size_t)B * H);
    w->out = w->h + (long)B * H;
}

/* dh (R, H) in, of the layer's output, destroyed; dX (R, In) out, of its input (not for a
 * one-hot layer 0); dstate0 (L, S, B, H) receives the gradient of the states carried in, or
 * NULL. Adds the weight gradients of the whole chunk into grads. */
static void layer_backward(cr_net *n, int l, const float *params, float *grads, float *dh,
                           float *dX, float *dstate0)
{
    layer_ws *w = &n->lw[l];
    const int T = n->T, B = n->B, H = n->H, G = n->G, S = n->cd->S, R = T * B;
    cr_cell_io io;
    cell_io(n, l, params, &io);
    io.dh = dh;
    io.dgx = n->dgx;
    io.dgh = n->dgh;
    io.dh0 = dstate0 ? dstate0 + (long)(l * S) * B * H : n->dh0;
    io.dc0 = S != 2 ? NULL : dstate0 ? dstate0 + (long)(l * S + 1) * B * H : n->dc0;
    io.dc = n->dc;
    n->cd->backward(&io);
    /* weight gradients for all T steps at once */
    cr_mm_tn_acc_prec(n->prec, n->pool, H, G * H, R, w->h, H, n->dgh, G * H,
                      P(grads, n->lay.Wh[l]), G * H);
    colsum(n, n->dgx, R, G * H, G * H, P(grads, n->lay.b[l]));
    if (n->lay.bhn[l] >= 0)
        colsum(n, n->dgh + n->cd->hbias * H, R, H, G * H, P(grads, n->lay.bhn[l]));
    float *dWx = P(grads, n->lay.Wx[l]);
    if (l == 0 && n->E == 0) {
        split_job j = {n, n->dgx, dWx, NULL, R, G * H, G * H, NULL}; /* one-hot: a row scatter */
        split_run(n, scatter_task, &j, (long)R * G * H);
        return;
    }
    const int in = l ? H : n->E;
    const float *X = l ? n->lw[l - 1].out : n->emb;
    cr_mm_tn_acc_prec(n->prec, n->pool, in, G * H, R, X, in, n->dgx, G * H, dWx, G * H);
    cr_mm_nn_packed_prec(n->prec, n->pool, R, in, G * H, n->dgx, G * H, n->WxTp[l], dX, in, 0);
}

/* ---- dropout after layer l: drop (R, H) = h mask, mask = 1 / keep or 0 from rng ---- */

static void dropout_forward(cr_net *n, int l, cr_rng *rng, float keep)
{
    layer_ws *w = &n->lw[l];
    const long RH = (long)n->T * n->B * n->H;
    const float *h = w->out;
    float scale = 1.0f / keep;
    for (long k = 0; k < RH; k++) {
        w->mask[k] = cr_rng_float(rng) < keep ? scale : 0.0f;
        w->drop[k] = h[k] * w->mask[k];
    }
    w->out = w->drop;
}

/* dh (R, H): of the dropped output in, of the layer's output out */
static void dropout_backward(cr_net *n, int l, float *dh)
{
    const layer_ws *w = &n->lw[l];
    const long RH = (long)n->T * n->B * n->H;
    for (long k = 0; k < RH; k++)
        dh[k] *= w->mask[k];
}

/* ---- output: logits (R, V) = X (R, H) out.W + out.b; loss = -log softmax at the targets ---- */

/* rows of the logits: the log-sum-exp of each, and its loss where there is a target */
static void softmax_task(void *ctx, int task, int ntasks)
{
    const split_job *j = ctx;
    const cr_net *n = j->n;
    const int V = n->V;
    int r0, r1;
    cr_split(j->rows, task, ntasks, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        const float *z = n->logits + (long)r * V;
        float mx = z[0];
        for (int c = 1; c < V; c++)
            mx = z[c] > mx ? z[c] : mx;
        double s = 0;
        for (int c = 0; c < V; c++)
            s += exp((double)(z[c] - mx));
        n->lse[r] = mx + (float)log(s);
        j->loss[r] = n->targets && n->targets[r] != CR_IGNORE
                         ? (double)mx + log(s) - (double)z[n->targets[r]] : NAN;
    }
}

/* rows of the logits become dlogits: (softmax - one-hot target) / counted */
static void dlogits_task(void *ctx, int task, int ntasks)
{
    const split_job *j = ctx;
    const cr_net *n = j->n;
    const int V = n->V;
    float scale = n->counted ? 1.0f / (float)n->counted : 0.0f;
    int r0, r1;
    cr_split(j->rows, task, ntasks, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        float *z = n->logits + (long)r * V;
        if (n->targets[r] == CR_IGNORE) {
            memset(z, 0, sizeof(float) * (size_t)V);
            continue;
        }
        for (int c = 0; c < V; c++)
            z[c] = expf(z[c] - n->lse[r]) * scale;
        z[n->targets[r]] -= scale;
    }
}

/* Returns the summed loss (nats) over the rows with a target, and counts them in n->counted. */
static double output_forward(cr_net *n, const float *params, const float *X, int R)
{
    const int V = n->V;
    fill_rows(n->logits, R, V, P(params, n->lay.outb));
    cr_mm_nn_packed_prec(n->prec, n->pool, R, V, n->H, X, n->H, n->Wop, n->logits, V, 1);
    split_job j = {n, NULL, NULL, NULL, R, V, V, n->rowloss};
    split_run(n, softmax_task, &j, (long)R * V * 8);
    double loss = 0;
    size_t count = 0;
    for (int r = 0; r < R; r++) /* in order, whatever the thread count */
        if (n->targets && n->targets[r] != CR_IGNORE) {
            loss += n->rowloss[r];
            count++;
        }
    n->counted = count;
    return loss;
}

/* Of the mean loss: the logits become dlogits (R, V); adds dout.W, dout.b; dX (R, H) out. */
static void output_backward(cr_net *n, float *grads, const float *X, float *dX, int R)
{
    const int H = n->H, V = n->V;
    split_job dj = {n, NULL, NULL, NULL, R, V, V, NULL}; /* in place */
    split_run(n, dlogits_task, &dj, (long)R * V * 8);
    cr_mm_tn_acc_prec(n->prec, n->pool, H, V, R, X, H, n->logits, V, P(grads, n->lay.outW), V);
    colsum(n, n->logits, R, V, V, P(grads, n->lay.outb));
    cr_mm_nn_packed_prec(n->prec, n->pool, R, H, V, n->logits, V, n->WoTp, dX, H, 0);
}

/* ---- the network: the stages in order ---- */

double cr_net_forward(cr_net *n, const float *params, const uint32_t *tokens,
                      const uint32_t *targets, int T, int B, float *state, cr_rng *dropout_rng,
                      size_t *counted)
{
    const int R = T * B;
    n->tokens = tokens;
    n->targets = targets;
    n->T = T;
    n->B = B;
    n->dropout_on = dropout_rng != NULL && n->training && n->dropout > 0;
    float keep = (float)(1.0 - n->dropout);
    if (n->E > 0) embed_forward(n, params, R);
    const float *X = n->emb; /* (R, In) */
    for (int l = 0; l < n->L; l++) {
        layer_forward(n, l, params, X, state);
        if (n->dropout_on) dropout_forward(n, l, dropout_rng, keep);
        X = n->lw[l].out;
    }
    double loss = output_forward(n, params, X, R);
    if (counted) *counted = n->counted;
    return loss;
}

void cr_net_mean_over(cr_net *n, size_t count) { n->counted = count; }

void cr_net_backward(cr_net *n, const float *params, float *grads, float *dstate0)
{
    const int R = n->T * n->B;
    float *dh = n->dh_a, *dbelow = n->dh_b; /* (R, max(H, E)) */
    output_backward(n, grads, n->lw[n->L - 1].out, dh, R);
    for (int l = n->L - 1; l >= 0; l--) {
        if (n->dropout_on) dropout_backward(n, l, dh);
        layer_backward(n, l, params, grads, dh, dbelow, dstate0);
        float *tmp = dh;
        dh = dbelow;
        dbelow = tmp;
    }
    if (n->E > 0) embed_backward(n, grads, dh, R);
}
