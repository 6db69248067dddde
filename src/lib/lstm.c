/* lstm.c: the LSTM cell over T steps (gates i f g o, as PyTorch), forward and backward, and its
 * batch-1 step for the sampler. B batch rows, H units, G = CR_LSTM_GATES gate blocks; shapes of
 * every buffer are in cr_cell_io (internal.h), the equations in cell_math.h. The gate arithmetic
 * of each step is split by batch rows between the pool's threads and vectorised in blocks of
 * CR_SIMD_W units of a row. */
#include "internal.h"

#include <math.h>
#include <string.h>

enum { G = CR_LSTM_GATES };

/* Units [j0, j0 + n) of one row: pre-activations i f g o in, activations out (in place). */
static CR_ALWAYS_INLINE void forward_units(int j0, int n, float *restrict ai, float *restrict af,
                                           float *restrict ag, float *restrict ao,
                                           const float *restrict cp, float *restrict cn,
                                           float *restrict tc, float *restrict hn)
{
    for (int j = j0; j < j0 + n; j++) {
        cr_lstm_unit u = cr_lstm_unit_forward(ai[j], af[j], ag[j], ao[j], cp[j]);
        ai[j] = u.i;
        af[j] = u.f;
        ag[j] = u.g;
        ao[j] = u.o;
        cn[j] = u.c;
        tc[j] = u.tc;
        hn[j] = u.h;
    }
}

/* forward_units for one row: a (G*H) its gates; k the row's offset in the (B, H) buffers. */
#define FORWARD_UNITS(j, n, a, H, cp, cn, tc, hn, k)                                             \
    forward_units(j, n, (a) + CR_LSTM_I * (H), (a) + CR_LSTM_F * (H), (a) + CR_LSTM_G * (H),      \
                  (a) + CR_LSTM_O * (H), (cp) + (k), (cn) + (k), (tc) + (k), (hn) + (k))

static CR_ALWAYS_INLINE void forward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *s = ctx;
    const cr_cell_io *io = s->io;
    const int B = io->B, H = io->H;
    const long t = s->t;
    float *a = io->xp + t * B * G * H;           /* (B, G*H) pre-activations, then i f g o */
    const float *cp = io->c + t * B * H;         /* (B, H) c[t-1] */
    float *cn = io->c + (t + 1) * B * H, *hn = io->h + (t + 1) * B * H;
    float *tc = io->tc + t * B * H;
    int b0, b1;
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        float *ab = a + (long)b * G * H;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            FORWARD_UNITS(j, CR_SIMD_W, ab, H, cp, cn, tc, hn, k);
        FORWARD_UNITS(j, H - j, ab, H, cp, cn, tc, hn, k);
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
    const int B = io->B, H = io->H;
    const long t = s->t;
    float *a = io->xp + t * B * G * H;
    const float *hp = io->h + t * B * H, *cp = io->c + t * B * H;
    float *cn = io->c + (t + 1) * B * H, *hn = io->h + (t + 1) * B * H;
    float *tc = io->tc + t * B * H;
    int u0, u1;
    unit_range(H, task, ntasks, &u0, &u1);
    for (int g = 0; g < G; g++)
        cr_mm_nn_packed_cols_prec(io->prec, B, G * H, H, hp, H, io->Whp, a, G * H, 1, g * H + u0,
                                  g * H + u1);
    for (int b = 0; b < B; b++) {
        float *ab = a + (long)b * G * H;
        long k = (long)b * H;
        for (int j = u0; j < u1; j += CR_SIMD_W)
            FORWARD_UNITS(j, CR_SIMD_W, ab, H, cp, cn, tc, hn, k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, forward_step, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_lstm_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
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
        cr_mm_nn_packed_prec(io->prec, io->pool, B, G * H, H, hp, H, io->Whp,
                             io->xp + (long)t * B * G * H, G * H, 1);
        cr_cell_for_rows(io, t, rows);
    }
}

/* Units [j0, j0 + n) of one row: i f g o the activations; dc in, of c[t+1], and out, of c[t];
 * the gradients of the pre-activations out to di df dg do. */
static CR_ALWAYS_INLINE void backward_units(int j0, int n, const float *restrict i,
                                            const float *restrict f, const float *restrict g,
                                            const float *restrict o, const float *restrict cp,
                                            const float *restrict tc, const float *restrict dh,
                                            float *restrict dc, float *restrict di,
                                            float *restrict df, float *restrict dg,
                                            float *restrict d_o)
{
    for (int j = j0; j < j0 + n; j++) {
        cr_lstm_grad d = cr_lstm_unit_backward(i[j], f[j], g[j], o[j], cp[j], tc[j], dh[j], dc[j]);
        di[j] = d.di;
        df[j] = d.df;
        dg[j] = d.dg;
        d_o[j] = d.d_o;
        dc[j] = d.dc;
    }
}

/* backward_units for one row: a (G*H) its activations, d (G*H) their gradients; k the row's
 * offset in the (B, H) buffers. */
#define BACKWARD_UNITS(j, n, a, d, H, cp, tc, dh, dc, k)                                          \
    backward_units(j, n, (a) + CR_LSTM_I * (H), (a) + CR_LSTM_F * (H), (a) + CR_LSTM_G * (H),     \
                   (a) + CR_LSTM_O * (H), (cp) + (k), (tc) + (k), (dh) + (k), (dc) + (k),         \
                   (d) + CR_LSTM_I * (H), (d) + CR_LSTM_F * (H), (d) + CR_LSTM_G * (H),           \
                   (d) + CR_LSTM_O * (H))

static CR_ALWAYS_INLINE void backward_rows(void *ctx, int task, int ntasks)
{
    const cr_cell_step *s = ctx;
    const cr_cell_io *io = s->io;
    const int B = io->B, H = io->H;
    const long t = s->t;
    const float *a = io->xp + t * B * G * H;     /* (B, G*H) i f g o */
    const float *cp = io->c + t * B * H;
    const float *tc = io->tc + t * B * H;
    const float *dh = io->dh + t * B * H;
    float *dg = io->dgx + t * B * G * H;
    float *dc = io->dc;                          /* (B, H): in, of c[t+1]; out, of c[t] */
    int b0, b1;
    cr_split(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *ab = a + (long)b * G * H;
        float *d = dg + (long)b * G * H;
        long k = (long)b * H;
        int j = 0;
        for (; j + CR_SIMD_W <= H; j += CR_SIMD_W)
            BACKWARD_UNITS(j, CR_SIMD_W, ab, d, H, cp, tc, dh, dc, k);
        BACKWARD_UNITS(j, H - j, ab, d, H, cp, tc, dh, dc, k);
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
    const int B = io->B, H = io->H;
    const long t = s->t;
    const float *a = io->xp + t * B * G * H, *cp = io->c + t * B * H, *tc = io->tc + t * B * H;
    float *dh = io->dh + t * B * H, *dg = io->dgx + t * B * G * H, *dc = io->dc;
    int u0, u1;
    unit_range(H, task, ntasks, &u0, &u1);
    if (t + 1 < io->T)
        cr_mm_nn_packed_cols_prec(io->prec, B, H, G * H, dg + (long)B * G * H, G * H, io->WhTp,
                                  dh, H, 1, u0, u1);
    for (int b = 0; b < B; b++) {
        const float *ab = a + (long)b * G * H;
        float *d = dg + (long)b * G * H;
        long k = (long)b * H;
        for (int j = u0; j < u1; j += CR_SIMD_W)
            BACKWARD_UNITS(j, CR_SIMD_W, ab, d, H, cp, tc, dh, dc, k);
    }
}
CR_SIMD_VARIANTS(cr_task_fn, backward_step, (void *ctx, int task, int ntasks), (ctx, task, ntasks))

void cr_lstm_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H;
    memset(io->dc, 0, sizeof(float) * (size_t)B * H);
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    if (fused(io)) {
        cr_task_fn step = backward_step_for(cr_kernel_best());
        for (int t = T - 1; t >= 0; t--) {
            cr_cell_step s = {io, t};
            cr_pool_run(io->pool, step, &s);
        }
        cr_mm_nn_packed_prec(io->prec, io->pool, B, H, G * H, io->dgx, G * H, io->WhTp, io->dh0,
                             H, 1);
        if (io->dc0) memcpy(io->dc0, io->dc, sizeof(float) * (size_t)B * H);
        return;
    }
    cr_task_fn rows = backward_rows_for(cr_kernel_best());
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed_prec(io->prec, io->pool, B, H, G * H, io->dgx + (long)t * B * G * H,
                             G * H, io->WhTp, dprev, H, 1);
    }
    if (io->dc0) memcpy(io->dc0, io->dc, sizeof(float) * (size_t)B * H);
}

/* ---- batch 1, for infer.c ---- */

/* n units: pre-activations i f g o in; c, the cell state, updated; h out. */
static CR_ALWAYS_INLINE void step1_units(int n, const float *restrict ai, const float *restrict af,
                                         const float *restrict ag, const float *restrict ao,
                                         float *restrict c, float *restrict h)
{
    for (int j = 0; j < n; j++) {
        cr_lstm_unit u = cr_lstm_unit_forward(ai[j], af[j], ag[j], ao[j], c[j]);
        c[j] = u.c;
        h[j] = u.h;
    }
}

/* The chunks of s: a full chunk (P = CR_PANEL units) as a loop of a known trip count. */
static CR_ALWAYS_INLINE void step1(const cr_cell_step1 *s)
{
    enum { P = CR_PANEL };
    for (int i = 0; i < s->nc; i++) {
        const int u = (s->c0 + i) * P, n = s->H - u < P ? s->H - u : P;
        const float *a = s->px + i * G * P;
        const float *ai = a + CR_LSTM_I * P, *af = a + CR_LSTM_F * P;
        const float *ag = a + CR_LSTM_G * P, *ao = a + CR_LSTM_O * P;
        if (n == P) step1_units(P, ai, af, ag, ao, s->c + u, s->hn + u);
        else step1_units(n, ai, af, ag, ao, s->c + u, s->hn + u);
    }
}
CR_SIMD_VARIANTS(cr_cell_step1_fn *, step1, (const cr_cell_step1 *s), (s))

cr_cell_step1_fn *cr_lstm_step1_for(int kind) { return step1_for(kind); }
