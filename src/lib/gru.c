/* gru.c: the GRU cell over T steps (gates r z n, as PyTorch), forward and backward:
 * r = s(xr + h Wr), z = s(xz + h Wz), n = tanh(xn + r (h Wn + bhn)), h' = (1 - z) n + z h.
 * The gate arithmetic of each step is split by batch rows between the pool's threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

/* Units [j0, j0 + n) of one row: x-side pre-activations r z n in, activations out (in place);
 * sh (3H) the row of h[t-1] Wh. */
static CR_ALWAYS_INLINE void forward_units(int j0, int n, int H, float *restrict ar,
                                           float *restrict az, float *restrict an,
                                           const float *restrict sh, const float *restrict bhn,
                                           const float *restrict hp, float *restrict gh,
                                           float *restrict hn)
{
    for (int j = j0; j < j0 + n; j++) {
        float r = cr_sigmoid(ar[j] + sh[j]);
        float z = cr_sigmoid(az[j] + sh[H + j]);
        float hnj = sh[2 * H + j] + bhn[j];
        float nj = cr_tanh(an[j] + r * hnj);
        ar[j] = r;
        az[j] = z;
        an[j] = nj;
        gh[j] = hnj;
        hn[j] = (1.0f - z) * nj + z * hp[j];
    }
}

static CR_ALWAYS_INLINE void forward_rows(void *ctx, int task, int ntasks)
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
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        float *ab = a + (long)b * G;
        const float *sb = s + (long)b * G;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            forward_units(j, CR_SIMD_W, H, ab, ab + H, ab + 2 * H, sb, io->bhn, hp + k, gh + k,
                          hn + k);
        forward_units(j, H - j, H, ab, ab + H, ab + 2 * H, sb, io->bhn, hp + k, gh + k, hn + k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, forward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_gru_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 3 * H;
    cr_task_fn rows = forward_rows_for(cr_kernel_best());
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H;
        cr_mm_nn_packed(io->pool, B, G, H, hp, H, io->Whp, io->ghs, G, 0);
        cr_cell_for_rows(io, t, rows);
    }
}

/* Units [j0, j0 + n) of one row: a (3H) r z n; the gradients of the x-side pre-activations
 * out to dxr dxz dxn, of the h-side ones to dhr dhz dhn; dprev, of h[t-1], accumulates. */
static CR_ALWAYS_INLINE void backward_units(int j0, int n, int H, const float *restrict a,
                                            const float *restrict hp, const float *restrict gh,
                                            const float *restrict dh, float *restrict dxr,
                                            float *restrict dxz, float *restrict dxn,
                                            float *restrict dhr, float *restrict dhz,
                                            float *restrict dhn, float *restrict dprev)
{
    for (int j = j0; j < j0 + n; j++) {
        float r = a[j], z = a[H + j], nj = a[2 * H + j];
        float dn = dh[j] * (1.0f - z) * (1.0f - nj * nj);
        float dz = dh[j] * (hp[j] - nj) * z * (1.0f - z);
        float dr = dn * gh[j] * r * (1.0f - r);
        dxr[j] = dhr[j] = dr;
        dxz[j] = dhz[j] = dz;
        dxn[j] = dn;
        dhn[j] = dn * r;
        dprev[j] += dh[j] * z;
    }
}

static CR_ALWAYS_INLINE void backward_rows(void *ctx, int task, int ntasks)
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
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *ab = a + (long)b * G;
        float *dx = dgx + (long)b * G, *dhh = dgh + (long)b * G;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            backward_units(j, CR_SIMD_W, H, ab, hp + k, gh + k, dh + k, dx, dx + H, dx + 2 * H,
                           dhh, dhh + H, dhh + 2 * H, dprev + k);
        backward_units(j, H - j, H, ab, hp + k, gh + k, dh + k, dx, dx + H, dx + 2 * H, dhh,
                       dhh + H, dhh + 2 * H, dprev + k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, backward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_gru_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 3 * H;
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    cr_task_fn rows = backward_rows_for(cr_kernel_best());
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed(io->pool, B, H, G, io->dgh + (long)t * B * G, G, io->WhTp, dprev, H, 1);
    }
}
