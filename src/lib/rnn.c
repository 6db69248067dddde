/* rnn.c: the plain tanh RNN cell over T steps, h' = tanh(x Wx + b + h Wh). */
#include "internal.h"

#include <math.h>
#include <string.h>

void cr_rnn_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    for (int t = 0; t < T; t++) {
        float *a = io->xp + (long)t * B * H;
        const float *hp = io->h + (long)t * B * H;
        float *hn = io->h + (long)(t + 1) * B * H;
        cr_mm_nn(io->pool, B, H, H, hp, H, io->Wh, H, a, H, 1);
        for (long k = 0; k < (long)B * H; k++)
            hn[k] = a[k] = cr_tanh(a[k]);
    }
}

void cr_rnn_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        const float *a = io->xp + (long)t * B * H;
        const float *dh = io->dh + (long)t * B * H;
        float *dg = io->dgx + (long)t * B * H;
        for (long k = 0; k < (long)B * H; k++)
            dg[k] = dh[k] * (1.0f - a[k] * a[k]);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn(io->pool, B, H, H, dg, H, io->WhT, H, dprev, H, 1);
    }
}
