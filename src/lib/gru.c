/* gru.c: the GRU cell over T steps (gates r z n, as PyTorch), forward and backward, and its
 * batch-1 step for the sampler; the equations are in cell_math.h. B batch rows, H units,
 * G = CR_GRU_GATES gate blocks. The gate arithmetic of each step is split by batch rows between
 * the pool's threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

enum { G = CR_GRU_GATES };

/* Units [j0, j0 + n) of one row: x-side pre-activations r z n in, activations out (in place);
 * sr sz sn the row of h[t-1] Wh. */
static CR_ALWAYS_INLINE void forward_units(int j0, int n, float *restrict ar,
                                           float *restrict az, float *restrict an,
                                           const float *restrict sr, const float *restrict sz,
                                           const float *restrict sn, const float *restrict bhn,
                                           const float *restrict hp, float *restrict gh,
                                           float *restrict hn)
{
    for (int j = j0; j < j0 + n; j++) {
        cr_gru_unit u =
            cr_gru_unit_forward(ar[j], az[j], an[j], sr[j], sz[j], sn[j], bhn[j], hp[j]);
        ar[j] = u.r;
        az[j] = u.z;
        an[j] = u.n;
        gh[j] = u.gh;
        hn[j] = u.h;
    }
}

/* forward_units for one row: a, s (G*H) its x side and h side; k its offset in (B, H). */
#define FORWARD_UNITS(j, n, a, s, H, bhn, hp, gh, hn, k)                                          \
    forward_units(j, n, (a) + CR_GRU_R * (H), (a) + CR_GRU_Z * (H), (a) + CR_GRU_N * (H),         \
                  (s) + CR_GRU_R * (H), (s) + CR_GRU_Z * (H), (s) + CR_GRU_N * (H), bhn,          \
                  (hp) + (k), (gh) + (k), (hn) + (k))

static CR_ALWAYS_INLINE void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const int B = io->B, H = io->H;
    const long t = st->t;
    float *a = io->xp + t * B * G * H;        /* (B, G*H) x-side pre-activations, then r z n */
    const float *s = io->ghs;                 /* (B, G*H) h[t-1] Wh */
    const float *hp = io->h + t * B * H;
    float *hn = io->h + (t + 1) * B * H;
    float *gh = io->gh + t * B * H;           /* (B, H) h Wh_n + bhn, kept for backward */
    int b0, b1;
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        float *ab = a + (long)b * G * H;
        const float *sb = s + (long)b * G * H;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            FORWARD_UNITS(j, CR_SIMD_W, ab, sb, H, io->bhn, hp, gh, hn, k);
        FORWARD_UNITS(j, H - j, ab, sb, H, io->bhn, hp, gh, hn, k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, forward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_gru_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    cr_task_fn rows = forward_rows_for(cr_kernel_best());
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H;
        cr_mm_nn_packed_prec(io->prec, io->pool, B, G * H, H, hp, H, io->Whp, io->ghs, G * H, 0);
        cr_cell_for_rows(io, t, rows);
    }
}

/* Units [j0, j0 + n) of one row: r z n the activations; the gradients of the x-side
 * pre-activations out to dxr dxz dxn, of the h-side ones to dhr dhz dhn; dprev, of h[t-1],
 * accumulates. */
static CR_ALWAYS_INLINE void backward_units(int j0, int n, const float *restrict r,
                                            const float *restrict z, const float *restrict nn,
                                            const float *restrict hp, const float *restrict gh,
                                            const float *restrict dh, float *restrict dxr,
                                            float *restrict dxz, float *restrict dxn,
                                            float *restrict dhr, float *restrict dhz,
                                            float *restrict dhn, float *restrict dprev)
{
    for (int j = j0; j < j0 + n; j++) {
        cr_gru_grad d = cr_gru_unit_backward(r[j], z[j], nn[j], hp[j], gh[j], dh[j], &dprev[j]);
        dxr[j] = dhr[j] = d.dr;
        dxz[j] = dhz[j] = d.dz;
        dxn[j] = d.dn;
        dhn[j] = d.dhn;
    }
}

/* backward_units for one row: a (G*H) its activations, dx dh (G*H) their gradients on the x
 * and h sides; k its offset in (B, H). */
#define BACKWARD_UNITS(j, n, a, dx, dhh, H, hp, gh, dh, dprev, k)                                 \
    backward_units(j, n, (a) + CR_GRU_R * (H), (a) + CR_GRU_Z * (H), (a) + CR_GRU_N * (H),        \
                   (hp) + (k), (gh) + (k), (dh) + (k), (dx) + CR_GRU_R * (H),                     \
                   (dx) + CR_GRU_Z * (H), (dx) + CR_GRU_N * (H), (dhh) + CR_GRU_R * (H),          \
                   (dhh) + CR_GRU_Z * (H), (dhh) + CR_GRU_N * (H), (dprev) + (k))

static CR_ALWAYS_INLINE void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *st = ctx;
    const cr_cell_io *io = st->io;
    const int B = io->B, H = io->H;
    const long t = st->t;
    const float *a = io->xp + t * B * G * H;
    const float *hp = io->h + t * B * H;
    const float *gh = io->gh + t * B * H;
    const float *dh = io->dh + t * B * H;
    float *dgx = io->dgx + t * B * G * H, *dgh = io->dgh + t * B * G * H;
    float *dprev = t > 0 ? io->dh + (t - 1) * B * H : io->dh0;
    int b0, b1;
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *ab = a + (long)b * G * H;
        float *dx = dgx + (long)b * G * H, *dhh = dgh + (long)b * G * H;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            BACKWARD_UNITS(j, CR_SIMD_W, ab, dx, dhh, H, hp, gh, dh, dprev, k);
        BACKWARD_UNITS(j, H - j, ab, dx, dhh, H, hp, gh, dh, dprev, k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, backward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_gru_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    cr_task_fn rows = backward_rows_for(cr_kernel_best());
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed_prec(io->prec, io->pool, B, H, G * H, io->dgh + (long)t * B * G * H,
                             G * H, io->WhTp, dprev, H, 1);
    }
}

/* ---- batch 1, for infer.c ---- */

/* n units: xr xz xn the input side with the bias; sr sz sn the recurrent side; hp h[t-1]. */
static CR_ALWAYS_INLINE void step1_units(int n, const float *restrict xr,
                                         const float *restrict xz, const float *restrict xn,
                                         const float *restrict sr, const float *restrict sz,
                                         const float *restrict sn, const float *restrict bhn,
                                         const float *restrict hp, float *restrict h)
{
    for (int j = 0; j < n; j++)
        h[j] = cr_gru_unit_forward(xr[j], xz[j], xn[j], sr[j], sz[j], sn[j], bhn[j], hp[j]).h;
}

/* The chunks of s: a full chunk (P = CR_PANEL units) as a loop of a known trip count. */
static CR_ALWAYS_INLINE void step1(const cr_cell_step1 *s)
{
    enum { P = CR_PANEL };
    for (int i = 0; i < s->nc; i++) {
        const int u = (s->c0 + i) * P, n = s->H - u < P ? s->H - u : P;
        const float *a = s->px + i * G * P, *h = s->ph + i * G * P;
        const float *xr = a + CR_GRU_R * P, *xz = a + CR_GRU_Z * P, *xn = a + CR_GRU_N * P;
        const float *sr = h + CR_GRU_R * P, *sz = h + CR_GRU_Z * P, *sn = h + CR_GRU_N * P;
        if (n == P) step1_units(P, xr, xz, xn, sr, sz, sn, s->bhn + u, s->hp + u, s->hn + u);
        else step1_units(n, xr, xz, xn, sr, sz, sn, s->bhn + u, s->hp + u, s->hn + u);
    }
}
CR_SIMD_VARIANTS(cr_cell_step1_fn *, step1, (const cr_cell_step1 *s), (s))

cr_cell_step1_fn *cr_gru_step1_for(int kind) { return step1_for(kind); }
