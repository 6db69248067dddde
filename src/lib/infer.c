/* infer.c: one step of the network for one character (batch 1), for the sampler: the weights
 * packed once for matrix-vector products, each thread owning a fixed range of hidden units.
 *
 * Units go in chunks of 16 (one AVX-512 vector). A thread owns the same chunks of every layer
 * and, for them, all the gates: its slice of each layer is a block per group of chunks, rows k
 * of the input then of the recurrent weights, each row the group's panels (16 floats: one gate
 * of one chunk) side by side, so the inner loop streams contiguous memory into one accumulator
 * per panel. The thread then does its units' gate arithmetic itself, and the only waits are one
 * barrier per layer (the next layer needs the whole h) and the pool's join after the output
 * layer, whose 16-column panels are split between the threads too.
 *
 * Each pre-activation is one chain of multiply-adds in the order of net.c (the input bias, or
 * the one-hot row plus the bias, then the input rows, then the recurrent rows; GRU's recurrent
 * side a chain of its own from 0), with the same fused or unfused arithmetic as the matrix
 * kernel of the same kind, so the results do not depend on the thread count and, kernel for
 * kernel, equal the training network's. The gate arithmetic is the cell's batch-1 step (its
 * row in cells.c, its code in lstm.c, gru.c or rnn.c). With bf16, the weight matrices are stored
 * rounded to bfloat16 (matvec.c): half the bytes, and the network's arithmetic on the rounded
 * weights. */
#include "internal.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LANES CR_PANEL             /* floats per panel, and units per chunk */
#define MAX_PANELS CR_MATVEC_PANELS /* panels per group: one pass over the rows */

typedef struct slice {
    int ch0, ch1;                 /* the thread's chunks of units, in every layer */
    int op0, op1;                 /* its panels of the output layer */
    char *arena;                  /* everything below */
    const char *w[CR_MAX_LAYERS]; /* per layer, per group: (Kx, np * 16) then (H, np * 16),
                                     fp32 or bf16 as matvec.c packs them */
    const float *b[CR_MAX_LAYERS];/* per layer (panels * 16): the input-side bias */
    const float *onehot;          /* one-hot layer 0 (V, panels * 16): Wx row + bias */
    const char *ow;               /* per output group: (H, np * 16), fp32 or bf16 */
    const float *ob;              /* (output panels * 16) */
} slice;

struct cr_infer {
    int L, H, V, E;
    const cr_cell_desc *cd;       /* the cell */
    int G;                        /* its gate blocks: panels per chunk on each side */
    int cpg;                      /* chunks per group */
    int chunks, Hp;               /* chunks of units; Hp = chunks * 16 */
    int opanels;                  /* output panels, ceil(V / 16) */
    int threads;
    int bf16;                     /* the weight matrices rounded to bfloat16 */
    cr_pool *pool;
    cr_matvec_fn *mv;
    cr_cell_step1_fn *step1;      /* the cell's gate arithmetic, for the kernel kind */
    slice *sl;                    /* (threads) */
    float *emb;                   /* (V, E) the input embedding, or NULL for one-hot */
    float *bhn;                   /* (L, H) GRU's recurrent candidate bias (hbias >= 0) */
    float *h;                     /* (L, 2, Hp): h of each layer, double-buffered by parity */
    float *c;                     /* (L, Hp) LSTM's cell states (the second state, S = 2) */
    float *logits;                /* (opanels * 16), the first V meaningful */
    int parity;                   /* which h buffer holds the current state */
    uint32_t token;               /* the character being fed */
    _Alignas(64) atomic_uint bar_count;
    _Alignas(64) atomic_uint bar_phase;
};

/* ---- packing ---- */

static int min_int(int a, int b) { return a < b ? a : b; }

/* Columns of the group of chunks [c, c + nc), G gates each, from W (K, G*H) row-major:
 * dst (K, nc * G * 16), panel i * G + q holding gate q of units (c + i) * 16 + lane (0 past
 * H). */
static void pack_units(float *dst, const float *W, int K, int H, int G, int c, int nc)
{
    const long ld = (long)G * H;
    for (int k = 0; k < K; k++)
        for (int i = 0; i < nc; i++)
            for (int q = 0; q < G; q++)
                for (int j = 0; j < LANES; j++) {
                    int u = (c + i) * LANES + j;
                    *dst++ = u < H ? W[k * ld + (long)q * H + u] : 0.0f;
                }
}

/* Output columns of panels [p, p + np) from W (K, V): dst (K, np * 16), 0 past V. */
static void pack_cols(float *dst, const float *W, int K, int V, int p, int np)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j < np * LANES; j++) {
            int col = p * LANES + j;
            *dst++ = col < V ? W[(long)k * V + col] : 0.0f;
        }
}

/* A weight as the products see it: rounded to bfloat16 when they use those. */
static float weight(const cr_infer *f, float w)
{
    return f->bf16 ? cr_bf16_to_float(cr_bf16_from_float(w)) : w;
}

/* Row v of a one-hot layer's Wx plus the bias, as net.c adds them, for chunks [c, c + nc):
 * dst (nc * G * 16). */
static void pack_onehot_row(const cr_infer *f, float *dst, const float *wrow, const float *b,
                            int c, int nc)
{
    const int H = f->H, G = f->G;
    for (int i = 0; i < nc; i++)
        for (int q = 0; q < G; q++)
            for (int j = 0; j < LANES; j++) {
                int u = (c + i) * LANES + j;
                *dst++ = u < H ? weight(f, wrow[q * H + u]) + b[q * H + u] : 0.0f;
            }
}

/* Bytes a block of K rows of width floats takes in the products' format (see matvec.c). */
static size_t block_bytes(const cr_infer *f, int K, size_t width)
{
    return (f->bf16 ? (size_t)(K + 1) / 2 : (size_t)K) * width * sizeof(uint32_t);
}

/* Stores the block blk (K, width) at dst in the products' format. */
static void store_block(const cr_infer *f, char *dst, const float *blk, int K, size_t width)
{
    if (!f->bf16) {
        memcpy(dst, blk, (size_t)K * width * sizeof *blk);
        return;
    }
    for (int r = 0; 2 * r < K; r++)
        for (size_t j = 0; j < width; j++) {
            uint32_t lo = cr_bf16_from_float(blk[(size_t)2 * r * width + j]);
            uint32_t hi = 2 * r + 1 < K ? cr_bf16_from_float(blk[(size_t)(2 * r + 1) * width + j])
                                        : 0;
            uint32_t word = lo | hi << 16;
            memcpy(dst, &word, sizeof word);
            dst += sizeof word;
        }
}

/* Bytes of a thread's arena; with arena, also fills it, each block packed first in scratch
 * (max(E, H, 1) * MAX_PANELS * 16 floats). */
static size_t pack_slice(const cr_infer *f, const cr_model *m, const float *params, slice *s,
                         char *arena, float *scratch)
{
    const int H = f->H, V = f->V, G = f->G, nch = s->ch1 - s->ch0;
    const size_t panels = (size_t)nch * G, opanels = (size_t)(s->op1 - s->op0);
    size_t n = 0;
    for (int l = 0; l < f->L; l++) {
        const float *Wx = CR_TENSOR(m, params, m->layout.Wx[l]);
        const float *Wh = CR_TENSOR(m, params, m->layout.Wh[l]);
        const float *b = CR_TENSOR(m, params, m->layout.b[l]);
        const int Kx = l ? H : f->E; /* 0 for one-hot input */
        if (arena) s->w[l] = arena + n;
        for (int c = s->ch0; c < s->ch1; c += f->cpg) {
            int nc = min_int(f->cpg, s->ch1 - c);
            size_t width = (size_t)nc * G * LANES;
            if (Kx && arena) {
                pack_units(scratch, Wx, Kx, H, G, c, nc);
                store_block(f, arena + n, scratch, Kx, width);
            }
            n += Kx ? block_bytes(f, Kx, width) : 0;
            if (arena) {
                pack_units(scratch, Wh, H, H, G, c, nc);
                store_block(f, arena + n, scratch, H, width);
            }
            n += block_bytes(f, H, width);
        }
        if (Kx) {
            if (arena) {
                s->b[l] = (const float *)(arena + n);
                pack_units((float *)(arena + n), b, 1, H, G, s->ch0, nch);
            }
            n += panels * LANES * sizeof(float);
        } else {
            if (arena) {
                s->onehot = (const float *)(arena + n);
                for (int v = 0; v < V; v++)
                    pack_onehot_row(f, (float *)(arena + n) + (size_t)v * panels * LANES,
                                    Wx + (long)v * G * H, b, s->ch0, nch);
            }
            n += (size_t)V * panels * LANES * sizeof(float);
        }
    }
    const float *Wo = CR_TENSOR(m, params, m->layout.outW);
    const float *bo = CR_TENSOR(m, params, m->layout.outb);
    if (arena) s->ow = arena + n;
    for (int p = s->op0; p < s->op1; p += MAX_PANELS) {
        int np = min_int(MAX_PANELS, s->op1 - p);
        size_t width = (size_t)np * LANES;
        if (arena) {
            pack_cols(scratch, Wo, H, V, p, np);
            store_block(f, arena + n, scratch, H, width);
        }
        n += block_bytes(f, H, width);
    }
    if (arena) {
        s->ob = (const float *)(arena + n);
        pack_cols((float *)(arena + n), bo, 1, V, s->op0, (int)opanels);
    }
    n += opanels * LANES * sizeof(float);
    return n;
}

/* ---- one character ---- */

#define SPIN_ROUNDS 1000 /* pauses before a waiting thread starts yielding its core */

/* Every one of the n threads waits here until all have arrived; what each wrote before is then
 * visible to all. */
static void barrier(cr_infer *f, int n)
{
    if (n == 1) return;
    unsigned phase = atomic_load_explicit(&f->bar_phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&f->bar_count, 1, memory_order_acq_rel) == (unsigned)n - 1) {
        atomic_store_explicit(&f->bar_count, 0, memory_order_relaxed);
        atomic_store_explicit(&f->bar_phase, phase + 1, memory_order_release);
        return;
    }
    for (long i = 0; atomic_load_explicit(&f->bar_phase, memory_order_acquire) == phase; i++) {
        if (i < SPIN_ROUNDS) cr_cpu_relax();
        else sched_yield(); /* the thread we wait for may have lost its core */
    }
}

/* Layer l for the thread's units: x (Kx) the input (NULL for one-hot), hp (H) the state, hn
 * (H) receives the new state of those units. */
static void layer_slice(const cr_infer *f, const slice *s, int l, const float *x,
                        const float *hp, float *hn)
{
    const int H = f->H, G = f->G, Kx = l ? H : f->E, panels = (s->ch1 - s->ch0) * G;
    _Alignas(64) float px[MAX_PANELS * LANES], ph[MAX_PANELS * LANES];
    const char *w = s->w[l];
    for (int c = s->ch0, p = 0; c < s->ch1; c += f->cpg, p += f->cpg * G) {
        const int nc = min_int(f->cpg, s->ch1 - c), np = nc * G;
        const size_t width = (size_t)np * LANES;
        if (Kx) {
            memcpy(px, s->b[l] + (size_t)p * LANES, width * sizeof *px);
            f->mv(np, Kx, x, w, px);
            w += block_bytes(f, Kx, width);
        } else {
            memcpy(px, s->onehot + ((size_t)f->token * panels + p) * LANES, width * sizeof *px);
        }
        if (f->cd->hbias >= 0) {
            memset(ph, 0, width * sizeof *ph);
            f->mv(np, H, hp, w, ph);
        } else {
            f->mv(np, H, hp, w, px);
        }
        w += block_bytes(f, H, width);
        cr_cell_step1 st = {H, c, nc, px, ph, f->bhn ? f->bhn + (size_t)l * H : NULL, hp,
                            f->c ? f->c + (size_t)l * f->Hp : NULL, hn};
        f->step1(&st);
    }
}

/* The thread's panels of the logits from the top layer's h. */
static void output_slice(const cr_infer *f, const slice *s, const float *h)
{
    const char *w = s->ow;
    for (int p = s->op0; p < s->op1; p += MAX_PANELS) {
        const int np = min_int(MAX_PANELS, s->op1 - p);
        float *z = f->logits + (size_t)p * LANES;
        memcpy(z, s->ob + (size_t)(p - s->op0) * LANES, (size_t)np * LANES * sizeof *z);
        f->mv(np, f->H, h, w, z);
        w += block_bytes(f, f->H, (size_t)np * LANES);
    }
}

static void step_task(void *ctx, int task, int ntasks)
{
    cr_infer *f = ctx;
    const slice *s = &f->sl[task];
    const float *x = f->emb ? f->emb + (size_t)f->token * f->E : NULL;
    for (int l = 0; l < f->L; l++) {
        const float *hp = f->h + ((size_t)l * 2 + f->parity) * f->Hp;
        float *hn = f->h + ((size_t)l * 2 + !f->parity) * f->Hp;
        layer_slice(f, s, l, x, hp, hn);
        barrier(f, ntasks);
        x = hn;
    }
    output_slice(f, s, x);
}

void cr_infer_step(cr_infer *f, uint32_t token)
{
    f->token = token;
    if (f->pool) cr_pool_run(f->pool, step_task, f);
    else step_task(f, 0, 1);
    f->parity = !f->parity;
}

const float *cr_infer_logits(const cr_infer *f) { return f->logits; }

/* Layout: (L, Hp) the current h of each layer, then (L, Hp) c if the cell has it, then the
 * (opanels * 16) logits. */
size_t cr_infer_state_floats(const cr_infer *f)
{
    size_t hc = (size_t)f->L * f->Hp * (f->c ? 2 : 1);
    return hc + (size_t)f->opanels * LANES;
}

void cr_infer_state_get(const cr_infer *f, float *out)
{
    size_t Hp = (size_t)f->Hp, L = (size_t)f->L;
    for (size_t l = 0; l < L; l++)
        memcpy(out + l * Hp, f->h + (l * 2 + (size_t)f->parity) * Hp, Hp * sizeof *out);
    out += L * Hp;
    if (f->c) {
        memcpy(out, f->c, L * Hp * sizeof *out);
        out += L * Hp;
    }
    memcpy(out, f->logits, (size_t)f->opanels * LANES * sizeof *out);
}

void cr_infer_state_set(cr_infer *f, const float *in)
{
    size_t Hp = (size_t)f->Hp, L = (size_t)f->L;
    for (size_t l = 0; l < L; l++)
        memcpy(f->h + (l * 2 + (size_t)f->parity) * Hp, in + l * Hp, Hp * sizeof *in);
    in += L * Hp;
    if (f->c) {
        memcpy(f->c, in, L * Hp * sizeof *in);
        in += L * Hp;
    }
    memcpy(f->logits, in, (size_t)f->opanels * LANES * sizeof *in);
}

/* ---- building ---- */

/* Below this many bytes of weights read per character for each thread, the waits cost more
 * than the work they share: on a quiet machine a 2 x 64 LSTM (213 KB) sampled faster on one
 * thread, 2 x 96 (467 KB) as fast on two, 2 x 128 (819 KB) a quarter faster on two. */
#define BYTES_PER_THREAD (192 << 10)

int cr_infer_threads_for(const cr_model *m, int wanted, int bf16)
{
    const cr_config *c = &m->cfg;
    double H = c->hidden, G = cr_gates_per_cell(c->cell), floats = H * (double)m->vocab.size;
    for (int l = 0; l < c->layers; l++)
        floats += ((l ? H : c->embed) + H) * (G * H);
    double useful = floats * (bf16 ? 2 : 4) / BYTES_PER_THREAD;
    int chunks = (c->hidden + LANES - 1) / LANES;
    int n = useful < wanted ? (int)useful : wanted;
    n = n < chunks ? n : chunks;
    return n > 1 ? n : 1;
}

void cr_infer_free(cr_infer *f)
{
    if (!f) return;
    if (f->sl)
        for (int t = 0; t < f->threads; t++)
            free(f->sl[t].arena);
    free(f->sl);
    free(f->emb);
    free(f->bhn);
    free(f->h);
    free(f->c);
    free(f->logits);
    free(f);
}

int cr_infer_new(const cr_model *m, const float *params, cr_pool *pool, int kind, int bf16,
                 cr_infer **out, cr_error *err)
{
    *out = NULL;
    if (!cr_kernel_available(kind)) return cr_fail(err, CR_EINVAL, -1, NULL, "kernel %s is not "
                                                   "available on this CPU", cr_kernel_name(kind));
    cr_infer *f = cr_aligned_zeros(sizeof *f); /* its barrier's fields are _Alignas(64) */
    if (!f) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    const cr_config *c = &m->cfg;
    f->cd = cr_cell_of(c->cell);
    f->L = c->layers;
    f->H = c->hidden;
    f->V = (int)m->vocab.size;
    f->E = c->embed;
    f->G = f->cd->G;
    f->cpg = MAX_PANELS / f->G;
    f->chunks = (f->H + LANES - 1) / LANES;
    f->Hp = f->chunks * LANES;
    f->opanels = (f->V + LANES - 1) / LANES;
    f->threads = cr_pool_threads(pool);
    f->pool = f->threads > 1 ? pool : NULL;
    f->bf16 = bf16 != 0;
    f->mv = cr_matvec_for(kind, f->bf16);
    f->step1 = f->cd->step1_for(kind);
    atomic_init(&f->bar_count, 0);
    atomic_init(&f->bar_phase, 0);
    const size_t H = (size_t)f->H, L = (size_t)f->L;
    f->sl = calloc((size_t)f->threads, sizeof *f->sl);
    f->h = cr_aligned_zeros(L * 2 * (size_t)f->Hp * sizeof *f->h);
    f->c = f->cd->S == 2 ? cr_aligned_zeros(L * (size_t)f->Hp * sizeof *f->c) : NULL;
    f->logits = cr_aligned_zeros((size_t)f->opanels * LANES * sizeof *f->logits);
    size_t K = H > (size_t)f->E ? H : (size_t)f->E;
    float *scratch = malloc(K * MAX_PANELS * LANES * sizeof *scratch);
    f->emb = f->E ? malloc((size_t)f->V * (size_t)f->E * sizeof *f->emb) : NULL;
    f->bhn = f->cd->hbias >= 0 ? malloc(L * H * sizeof *f->bhn) : NULL;
    int ok = f->sl && f->h && f->logits && (f->c || f->cd->S != 2) && (f->emb || !f->E) &&
             (f->bhn || f->cd->hbias < 0) && scratch;
    for (int t = 0; ok && t < f->threads; t++) {
        slice *s = &f->sl[t];
        cr_split(f->chunks, t, f->threads, &s->ch0, &s->ch1);
        cr_split(f->opanels, t, f->threads, &s->op0, &s->op1);
        s->arena = cr_aligned_zeros(pack_slice(f, m, params, s, NULL, NULL));
        if (!s->arena) ok = 0;
        else pack_slice(f, m, params, s, s->arena, scratch);
    }
    free(scratch);
    if (!ok) {
        cr_infer_free(f);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for the sampler's weights");
    }
    if (f->emb)
        memcpy(f->emb, CR_TENSOR(m, params, m->layout.embed), (size_t)f->V * f->E * sizeof *f->emb);
    for (int l = 0; f->bhn && l < f->L; l++)
        memcpy(f->bhn + (size_t)l * H, CR_TENSOR(m, params, m->layout.bhn[l]),
               H * sizeof *f->bhn);
    *out = f;
    return CR_OK;
}
