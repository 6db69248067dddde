/* gru.c: the GRU cell over T steps (gates r z n, as PyTorch), forward and backward:
 * r = s(xr + h Wr), z = s(xz + h Wz), n = tanh(xn + r (h Wn + bhn)), h' = (1 - z) n + z h.
 * The gate arithmetic of each step is split by batch rows between the pool's threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

static void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const int B = io->B, H = io->H, G = 3 * H;
    const long t = st->t;
    float *a = io->xp + t * B * G;            /* (B, 3H) x-side pre-activations, then r z n */
    const float *s = io->ghs;                 /* (B, 3H) h[t-1] Wh */
    const float *hp = io->h + t * B * H;
    float *hn = io->h + (t + 1) * B * H;
    float *gh = io->gh + t * B * H;           /* (B, H) h Wh_n + bhn, kept for backward */
    int b0, b1;
    cr_cell_rows(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        float *ab = a + (long)b * G;
        const float *sb = s + (long)b * G;
        for (int j = 0; j < H; j++) {
            long k = (long)b * H + j;
            float r = cr_sigmoid(ab[j] + sb[j]);
            float z = cr_sigmoid(ab[H + j] + sb[H + j]);
            float hnj = sb[2 * H + j] + io->bhn[j];
            float n = cr_tanh(ab[2 * H + j] + r * hnj);
            ab[j] = r;
            ab[H + j] = z;
            ab[2 * H + j] = n;
            gh[k] = hnj;
            hn[k] = (1.0f - z) * n + z * hp[k];
        }
    }
}

void cr_gru_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 3 * H;
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H;
        cr_mm_nn_packed(io->pool, B, G, H, hp, H, io->Whp, io->ghs, G, 0);
        cr_cell_for_rows(io, t, forward_rows);
    }
}

static void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const int B = io->B, H = io->H, G = 3 * H;
    const long t = st->t;
    const float *a = io->xp + t * B * G;
    const float *hp = io->h + t * B * H;
    const float *gh = io->gh + t * B * H;
    const float *dh = io->dh + t * B * H;
    float *dgx = io->dgx + t * B * G, *dgh = io->dgh + t * B * G;
    float *dprev = t > 0 ? io->dh + (t - 1) * B * H : io->dh0;
    int b0, b1;
    cr_cell_rows(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *ab = a + (long)b * G;
        float *dx = dgx + (long)b * G, *dhh = dgh + (long)b * G;
        for (int j = 0; j < H; j++) {
            long k = (long)b * H + j;
            float r = ab[j], z = ab[H + j], n = ab[2 * H + j];
            float dn = dh[k] * (1.0f - z) * (1.0f - n * n);
            float dz = dh[k] * (hp[k] - n) * z * (1.0f - z);
            float dr = dn * gh[k] * r * (1.0f - r);
            dx[j] = dhh[j] = dr;
            dx[H + j] = dhh[H + j] = dz;
            dx[2 * H + j] = dn;
            dhh[2 * H + j] = dn * r;
            dprev[k] += dh[k] * z;
        }
    }
}

void cr_gru_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 3 * H;
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, backward_rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed(io->pool, B, H, G, io->dgh + (long)t * B * G, G, io->WhTp, dprev, H, 1);
    }
}
