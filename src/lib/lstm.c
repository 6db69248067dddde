/* lstm.c: the LSTM cell over T steps (gates i f g o, as PyTorch), forward and backward.
 * B batch rows, H units; shapes of every buffer are in cr_cell_io (internal.h). The gate
 * arithmetic of each step is split by batch rows between the pool's threads. */
#include "internal.h"

#include <math.h>
#include <string.h>

static void forward_rows(void *ctx, int task, int ntasks)
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
    cr_cell_rows(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        float *ab = a + (long)b * G;
        for (int j = 0; j < H; j++) {
            long k = (long)b * H + j;
            float i = cr_sigmoid(ab[j]), f = cr_sigmoid(ab[H + j]);
            float g = cr_tanh(ab[2 * H + j]), o = cr_sigmoid(ab[3 * H + j]);
            float c = f * cp[k] + i * g;
            float th = cr_tanh(c);
            ab[j] = i;
            ab[H + j] = f;
            ab[2 * H + j] = g;
            ab[3 * H + j] = o;
            cn[k] = c;
            tc[k] = th;
            hn[k] = o * th;
        }
    }
}

void cr_lstm_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 4 * H;
    for (int t = 0; t < T; t++) {
        const float *hp = io->h + (long)t * B * H; /* (B, H) h[t-1] */
        cr_mm_nn_packed(io->pool, B, G, H, hp, H, io->Whp, io->xp + (long)t * B * G, G, 1);
        cr_cell_for_rows(io, t, forward_rows);
    }
}

static void backward_rows(void *ctx, int task, int ntasks)
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
    cr_cell_rows(B, task, ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *ab = a + (long)b * G;
        float *dgb = dg + (long)b * G;
        for (int j = 0; j < H; j++) {
            long k = (long)b * H + j;
            float i = ab[j], f = ab[H + j], g = ab[2 * H + j], o = ab[3 * H + j];
            float d_c = dc[k] + dh[k] * o * (1.0f - tc[k] * tc[k]);
            dgb[j] = d_c * g * i * (1.0f - i);
            dgb[H + j] = d_c * cp[k] * f * (1.0f - f);
            dgb[2 * H + j] = d_c * i * (1.0f - g * g);
            dgb[3 * H + j] = dh[k] * tc[k] * o * (1.0f - o);
            dc[k] = d_c * f;
        }
    }
}

void cr_lstm_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 4 * H;
    memset(io->dc, 0, sizeof(float) * (size_t)B * H);
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        cr_cell_for_rows(io, t, backward_rows);
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn_packed(io->pool, B, H, G, io->dgx + (long)t * B * G, G, io->WhTp, dprev, H, 1);
    }
    if (io->dc0) memcpy(io->dc0, io->dc, sizeof(float) * (size_t)B * H);
}
