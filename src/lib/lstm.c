/* lstm.c: the LSTM cell over T steps (gates i f g o, as PyTorch), forward and backward.
 * B batch rows, H units; shapes of every buffer are in cr_cell_io (internal.h). The gate
 * arithmetic of each step is split by batch rows between the pool's threads and vectorised in
 * blocks of CR_SIMD_W units of a row. */
#include "internal.h"

#include <math.h>
#include <string.h>

/* Units [j0, j0 + n) of one row: pre-activations i f g o in, activations out (in place). */
static CR_ALWAYS_INLINE void forward_units(int j0, int n, float *restrict ai, float *restrict af,
                                           float *restrict ag, float *restrict ao,
                                           const float *restrict cp, float *restrict cn,
                                           float *restrict tc, float *restrict hn)
{
    for (int j = j0; j < j0 + n; j++) {
        float i = cr_sigmoid(ai[j]), f = cr_sigmoid(af[j]);
        float g = cr_tanh(ag[j]), o = cr_sigmoid(ao[j]);
        float c = f * cp[j] + i * g;
        float th = cr_tanh(c);
        ai[j] = i;
        af[j] = f;
        ag[j] = g;
        ao[j] = o;
        cn[j] = c;
        tc[j] = th;
        hn[j] = o * th;
    }
}

static CR_ALWAYS_INLINE void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *s = ctx;
    const cr_cell_io *io = s->io;
    const int B = io->B, H = io->H, G = 4 * H;
    const long t = s->t;
    float *a = io->xp + t * B * G;               /* (B, 4H) pre-activations, then i f g o */
    const float *cp = io->c + t * B * H;         /* (B, H) c[t-1] */
    float *cn = io->c + (t + 1) * B * H, *hn = io->h + (t + 1) * B * H;
    float *tc = io->tc + t * B * H;
    int b0, b1;
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        float *ab = a + (long)b * G;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            forward_units(j, CR_SIMD_W, ab, ab + H, ab + 2 * H, ab + 3 * H, cp + k, cn + k,
                          tc + k, hn + k);
        forward_units(j, H - j, ab, ab + H, ab + 2 * H, ab + 3 * H, cp + k, cn + k, tc + k,
                      hn + k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, forward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

/* With two or more threads and H a multiple of 32, a step is one hand-off, not two: each thread
 * takes a range of units (multiples of 32), computes their four gates' columns of the recurrent
 * product, then their arithmetic, in the same order as the two-hand-off path. */
static int fused(const cr_cell_io *io)
{
    int n = io->pool ? cr_pool_threads(io->pool) : 1;
    return n > 1 && io->H % 32 == 0 && io->H / 32 >= n;
}

/* The task's units [*u0, *u1): an even split of H's groups of 32. */
static void unit_range(int H, int task, int ntasks, int *u0, int *u1)
{
    cr_split(H / 32, task, ntasks, u0, u1);
    *u0 *= 32;
    *u1 *= 32;
}

static CR_ALWAYS_INLINE void forward_step(void *ctx, int task, int ntasks)
{
    const cr_cell_step *s = ctx;
    const cr_cell_io *io = s->io;
    const int B = io->B, H = io->H, G = 4 * H;
    const long t = s->t;
    float *a = io->xp + t * B * G;
    const float *hp = io->h + t * B * H, *cp = io->c + t * B * H;
    float *cn = io->c + (t + 1) * B * H, *hn = io->h + (t + 1) * B * H;
    float *tc = io->tc + t * B * H;
    int u0, u1;
    unit_range(H, task, ntasks, &u0, &u1);
    for (int g = 0; g < 4; g++)
        cr_mm_nn_packed_cols(B, G, H, hp, H, io->Whp, a, G, 1, g * H + u0, g * H + u1);
    for (int b = 0; b < B; b++) {
        float *ab = a + (long)b * G;
        long k = (long)b * H;
        for (int j = u0; j < u1; j += CR_SIMD_W)
            forward_units(j, CR_SIMD_W, ab, ab + H, ab + 2 * H, ab + 3 * H, cp + k, cn + k,
                          tc + k, hn + k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, forward_step, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_lstm_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 4 * H;
    if (fused(io)) {
        cr_task_fn step = forward_step_for(cr_kernel_best());
        for (int t = 0; t < T; t++) {
            cr_cell_step s = {io, t};
            cr_pool_run(io->pool, step, &s);
        }
        return;
    }
    cr_task_fn rows = forward_rows_for(cr_kernel_best());
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H; /* (B, H) h[t-1] */
        cr_mm_nn_packed(io->pool, B, G, H, hp, H, io->Whp, io->xp + (long)t * B * G, G, 1);
        cr_cell_for_rows(io, t, rows);
    }
}

/* Units [j0, j0 + n) of one row: a (4H) i f g o; dc in, of c[t+1], and out, of c[t]; the
 * gradients of the pre-activations out to di df dg do. */
static CR_ALWAYS_INLINE void backward_units(int j0, int n, int H, const float *restrict a,
                                            const float *restrict cp, const float *restrict tc,
                                            const float *restrict dh, float *restrict dc,
                                            float *restrict di, float *restrict df,
                                            float *restrict dg, float *restrict d_o)
{
    for (int j = j0; j < j0 + n; j++) {
        float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
        float d_c = dc[j] + dh[j] * o * (1.0f - tc[j] * tc[j]);
        di[j] = d_c * g * i * (1.0f - i);
        df[j] = d_c * cp[j] * f * (1.0f - f);
        dg[j] = d_c * i * (1.0f - g * g);
        d_o[j] = dh[j] * tc[j] * o * (1.0f - o);
        dc[j] = d_c * f;
    }
}

static CR_ALWAYS_INLINE void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *s = ctx;
    const cr_cell_io *io = s->io;
    const int B = io->B, H = io->H, G = 4 * H;
    const long t = s->t;
    const float *a = io->xp + t * B * G;         /* (B, 4H) i f g o */
    const float *cp = io->c + t * B * H;
    const float *tc = io->tc + t * B * H;
    const float *dh = io->dh + t * B * H;
    float *dg = io->dgx + t * B * G;
    float *dc = io->dc;                          /* (B, H): in, of c[t+1]; out, of c[t] */
    int b0, b1;
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *ab = a + (long)b * G;
        float *d = dg + (long)b * G;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            backward_units(j, CR_SIMD_W, H, ab, cp + k, tc + k, dh + k, dc + k, d, d + H,
                           d + 2 * H, d + 3 * H);
        backward_units(j, H - j, H, ab, cp + k, tc + k, dh + k, dc + k, d, d + H, d + 2 * H,
                       d + 3 * H);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, backward_rows, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

/* Step t with one hand-off: first the gradient reaching h[t] through step t + 1 (which the
 * two-hand-off path adds at the end of step t + 1), then the gate arithmetic, for a range of
 * units on each thread. */
static CR_ALWAYS_INLINE void backward_step(void *ctx, int task, int ntasks)
{
    const cr_cell_step *s = ctx;
    const cr_cell_io *io = s->io;
    const int B = io->B, H = io->H, G = 4 * H;
    const long t = s->t;
    const float *a = io->xp + t * B * G, *cp = io->c + t * B * H, *tc = io->tc + t * B * H;
    float *dh = io->dh + t * B * H, *dg = io->dgx + t * B * G, *dc = io->dc;
    int u0, u1;
    unit_range(H, task, ntasks, &u0, &u1);
    if (t + 1 < io->T)
        cr_mm_nn_packed_cols(B, H, G, dg + (long)B * G, G, io->WhTp, dh, H, 1, u0, u1);
    for (int b = 0; b < B; b++) {
        const float *ab = a + (long)b * G;
        float *d = dg + (long)b * G;
        long k = (long)b * H;
        for (int j = u0; j < u1; j += CR_SIMD_W)
            backward_units(j, CR_SIMD_W, H, ab, cp + k, tc + k, dh + k, dc + k, d, d + H,
                           d + 2 * H, d + 3 * H);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, backward_step, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_lstm_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 4 * H;
    memset(io->dc, 0, sizeof(float) * (size_t)B * H);
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    if (fused(io)) {
        cr_task_fn step = backward_step_for(cr_kernel_best());
        for (int t = T - 1; t >= 0; t--) {
            cr_cell_step s = {io, t};
            cr_pool_run(io->pool, step, &s);
        }
        cr_mm_nn_packed(io->pool, B, H, G, io->dgx, G, io->WhTp, io->dh0, H, 1);
        if (io->dc0) memcpy(io->dc0, io->dc, sizeof(float) * (size_t)B * H);
        return;
    }
    cr_task_fn rows = backward_rows_for(cr_kernel_best());
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed(io->pool, B, H, G, io->dgx + (long)t * B * G, G, io->WhTp, dprev, H, 1);
    }
    if (io->dc0) memcpy(io->dc0, io->dc, sizeof(float) * (size_t)B * H);
}
