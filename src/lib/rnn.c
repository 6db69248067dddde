/* rnn.c: the plain tanh RNN cell over T steps, h' = tanh(x Wx + b + h Wh), forward and
 * backward, and its batch-1 step for the sampler; the equations are in cell_math.h. The
 * element-wise work of each step is split by batch rows between threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

enum { G = CR_RNN_GATES };

/* Units [j0, j0 + n) of one row: pre-activations in, h out to a (in place) and to hn. */
static CR_ALWAYS_INLINE void forward_units(int j0, int n, float *restrict a, float *restrict hn)
{
    for (int j = j0; j < j0 + n; j++)
        hn[j] = a[j] = cr_rnn_unit_forward(a[j]);
}

/* Row by row, so that a unit's code (a vector block or the scalar tail) does not depend on
 * where the rows were split between threads. */
static CR_ALWAYS_INLINE void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const int H = io->H;
    const long BH = (long)io->B * H, t = st->t;
    float *a = io->xp + t * BH, *hn = io->h + (t + 1) * BH; /* (B, G*H) with G = 1; (B, H) */
    int b0, b1;
    cr_split(io->B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            forward_units(j, CR_SIMD_W, a + k, hn + k);
        forward_units(j, H - j, a + k, hn + k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, forward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_rnn_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    cr_task_fn rows = forward_rows_for(cr_kernel_best());
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H;
        cr_mm_nn_packed_prec(io->prec, io->pool, B, G * H, H, hp, H, io->Whp,
                             io->xp + (long)t * B * G * H, G * H, 1);
        cr_cell_for_rows(io, t, rows);
    }
}

/* Units [j0, j0 + n) of one row: h = tanh(pre-activation) in a; dg, of the pre-activation,
 * out. */
static CR_ALWAYS_INLINE void backward_units(int j0, int n, const float *restrict a,
                                            const float *restrict dh, float *restrict dg)
{
    for (int j = j0; j < j0 + n; j++)
        dg[j] = cr_rnn_unit_backward(a[j], dh[j]);
}

static CR_ALWAYS_INLINE void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const int H = io->H;
    const long BH = (long)io->B * H, t = st->t;
    const float *a = io->xp + t * BH, *dh = io->dh + t * BH;
    float *dg = io->dgx + t * BH;
    int b0, b1;
    cr_split(io->B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            backward_units(j, CR_SIMD_W, a + k, dh + k, dg + k);
        backward_units(j, H - j, a + k, dh + k, dg + k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, backward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_rnn_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    cr_task_fn rows = backward_rows_for(cr_kernel_best());
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed_prec(io->prec, io->pool, B, H, G * H, io->dgx + (long)t * B * G * H,
                             G * H, io->WhTp, dprev, H, 1);
    }
}

/* ---- batch 1, for infer.c ---- */

static CR_ALWAYS_INLINE void step1_units(int n, const float *restrict a, float *restrict h)
{
    for (int j = 0; j < n; j++)
        h[j] = cr_rnn_unit_forward(a[j]);
}

/* The chunks of s: a full chunk (P = CR_PANEL units) as a loop of a known trip count. */
static CR_ALWAYS_INLINE void step1(const cr_cell_step1 *s)
{
    enum { P = CR_PANEL };
    for (int i = 0; i < s->nc; i++) {
        const int u = (s->c0 + i) * P, n = s->H - u < P ? s->H - u : P;
        const float *a = s->px + i * G * P + CR_RNN_A * P;
        if (n == P) step1_units(P, a, s->hn + u);
        else step1_units(n, a, s->hn + u);
    }
}
CR_SIMD_VARIANTS(cr_cell_step1_fn *, step1, (const cr_cell_step1 *s), (s))

cr_cell_step1_fn *cr_rnn_step1_for(int kind) { return step1_for(kind); }
