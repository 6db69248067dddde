/* lstm.c: the LSTM cell over T steps (gates i f g o, as PyTorch), forward and backward.
 * B batch rows, H units; shapes of every buffer are in cr_cell_io (internal.h). */
#include "internal.h"

#include <math.h>
#include <string.h>

void cr_lstm_forward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 4 * H;
    for (int t = 0; t < T; t++) {
        float *a = io->xp + (long)t * B * G;          /* (B, 4H) */
        const float *hp = io->h + (long)t * B * H;    /* (B, H) h[t-1] */
        const float *cp = io->c + (long)t * B * H;
        float *hn = io->h + (long)(t + 1) * B * H;
        float *cn = io->c + (long)(t + 1) * B * H;
        float *tc = io->tc + (long)t * B * H;
        cr_mm_nn(io->pool, B, G, H, hp, H, io->Wh, G, a, G, 1);
        for (int b = 0; b < B; b++) {
            float *ab = a + (long)b * G;
            for (int j = 0; j < H; j++) {
                float i = cr_sigmoid(ab[j]), f = cr_sigmoid(ab[H + j]);
                float g = cr_tanh(ab[2 * H + j]), o = cr_sigmoid(ab[3 * H + j]);
                float c = f * cp[(long)b * H + j] + i * g;
                float th = cr_tanh(c);
                ab[j] = i;
                ab[H + j] = f;
                ab[2 * H + j] = g;
                ab[3 * H + j] = o;
                cn[(long)b * H + j] = c;
                tc[(long)b * H + j] = th;
                hn[(long)b * H + j] = o * th;
            }
        }
    }
}

void cr_lstm_backward(cr_cell_io *io)
{
    const int T = io->T, B = io->B, H = io->H, G = 4 * H;
    float *dc = io->dc; /* (B, H): gradient of c[t+1] from later steps */
    memset(dc, 0, sizeof(float) * (size_t)B * H);
    memset(io->dh0, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        const float *a = io->xp + (long)t * B * G;
        const float *cp = io->c + (long)t * B * H;
        const float *tc = io->tc + (long)t * B * H;
        const float *dh = io->dh + (long)t * B * H;
        float *dg = io->dgx + (long)t * B * G;
        for (int b = 0; b < B; b++) {
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
        float *dprev = t > 0 ? io->dh + (long)(t - 1) * B * H : io->dh0;
        cr_mm_nn(io->pool, B, H, G, dg, G, io->WhT, H, dprev, H, 1);
    }
    if (io->dc0) memcpy(io->dc0, dc, sizeof(float) * (size_t)B * H);
}
