/* rnn.c: the plain tanh RNN cell over T steps, h' = tanh(x Wx + b + h Wh), forward and
 * backward; the element-wise work of each step is split by batch rows between threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

/* Elements [k0, k0 + n) of a step: pre-activations in, h out to a (in place) and to hn. */
static CR_ALWAYS_INLINE void forward_units(long k0, int n, float *restrict a, float *restrict hn)
{
    for (long k = k0; k < k0 + n; k++)
        hn[k] = a[k] = cr_tanh(a[k]);
}

static CR_ALWAYS_INLINE void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const long BH = (long)io->B * io->H, t = st->t;
    float *a = io->xp + t * BH, *hn = io->h + (t + 1) * BH;
    int b0, b1;
    cr_cell_rows(io->B, task, ntasks, &b0, &b1);
    long k = (long)b0 * io->H, end = (long)b1 * io->H;
    for (; k + CR_SIMD_W <= end; k += CR_SIMD_W)
        forward_units(k, CR_SIMD_W, a, hn);
    forward_units(k, (int)(end - k), a, hn);
}
CR_SIMD_VARIANTS(cr_task_fn, forward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_rnn_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    cr_task_fn rows = forward_rows_for(cr_kernel_best());
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H;
        cr_mm_nn(io->pool, B, H, H, hp, H, io->Wh, H, io->xp + (long)t * B * H, H, 1);
        cr_cell_for_rows(io, t, rows);
    }
}

/* Elements [k0, k0 + n) of a step: h = tanh(pre-activation) in a; dg = dh (1 - h^2) out. */
static CR_ALWAYS_INLINE void backward_units(long k0, int n, const float *restrict a,
                                            const float *restrict dh, float *restrict dg)
{
    for (long k = k0; k < k0 + n; k++)
        dg[k] = dh[k] * (1.0f - a[k] * a[k]);
}

static CR_ALWAYS_INLINE void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const long BH = (long)io->B * io->H, t = st->t;
    const float *a = io->xp + t * BH, *dh = io->dh + t * BH;
    float *dg = io->dgx + t * BH;
    int b0, b1;
    cr_cell_rows(io->B, task, ntasks, &b0, &b1);
    long k = (long)b0 * io->H, end = (long)b1 * io->H;
    for (; k + CR_SIMD_W <= end; k += CR_SIMD_W)
        backward_units(k, CR_SIMD_W, a, dh, dg);
    backward_units(k, (int)(end - k), a, dh, dg);
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
        cr_mm_nn(io->pool, B, H, H, io->dgx + (long)t * B * H, H, io->WhT, H, dprev, H, 1);
    }
}
