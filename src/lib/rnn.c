/* rnn.c: the plain tanh RNN cell over T steps, h' = tanh(x Wx + b + h Wh), forward and
 * backward; the element-wise work of each step is split by batch rows between threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

static void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const long BH = (long)io->B * io->H, t = st->t;
    float *a = io->xp + t * BH, *hn = io->h + (t + 1) * BH;
    int b0, b1;
    cr_cell_rows(io->B, task, ntasks, &b0, &b1);
    for (long k = (long)b0 * io->H; k < (long)b1 * io->H; k++)
        hn[k] = a[k] = cr_tanh(a[k]);
}

void cr_rnn_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H;
        cr_mm_nn_packed(io->pool, B, H, H, hp, H, io->Whp, io->xp + (long)t * B * H, H, 1);
        cr_cell_for_rows(io, t, forward_rows);
    }
}

static void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const long BH = (long)io->B * io->H, t = st->t;
    const float *a = io->xp + t * BH, *dh = io->dh + t * BH;
    float *dg = io->dgx + t * BH;
    int b0, b1;
    cr_cell_rows(io->B, task, ntasks, &b0, &b1);
    for (long k = (long)b0 * io->H; k < (long)b1 * io->H; k++)
        dg[k] = dh[k] * (1.0f - a[k] * a[k]);
}

void cr_rnn_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, backward_rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed(io->pool, B, H, H, io->dgx + (long)t * B * H, H, io->WhTp, dprev, H, 1);
    }
}
