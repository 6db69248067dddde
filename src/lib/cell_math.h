/* cell_math.h: each recurrent cell's gate order and per-unit equations, written once. The
 * training loops (lstm.c, gru.c, rnn.c) and the sampler's batch-1 steps (the same files, for
 * infer.c) inline these into loops over restrict pointers. Every expression a * b + c stays as
 * written: the compilers fuse within one expression, so moving a term changes the bytes. */
#ifndef CR_CELL_MATH_H
#define CR_CELL_MATH_H

#include "activations.h"

/* The gate blocks of H columns each in Wx, Wh and b, in this order (PyTorch's). */
enum { CR_LSTM_I, CR_LSTM_F, CR_LSTM_G, CR_LSTM_O, CR_LSTM_GATES }; /* input forget cand. output */
enum { CR_GRU_R, CR_GRU_Z, CR_GRU_N, CR_GRU_GATES };                /* reset update candidate */
enum { CR_RNN_A, CR_RNN_GATES };                                    /* h's pre-activation */

/* ---- LSTM: c = f c' + i g, h = o tanh(c) ---- */
typedef struct cr_lstm_unit {
    float i, f, g, o; /* the gates' activations */
    float c, tc, h;   /* c[t], tanh c[t], h[t] */
} cr_lstm_unit;

/* From the pre-activations ai af ag ao and cp, c[t-1]. */
static CR_ALWAYS_INLINE cr_lstm_unit cr_lstm_unit_forward(float ai, float af, float ag, float ao,
                                                          float cp)
{
    cr_lstm_unit u;
    u.i = cr_sigmoid(ai);
    u.f = cr_sigmoid(af);
    u.g = cr_tanh(ag);
    u.o = cr_sigmoid(ao);
    u.c = u.f * cp + u.i * u.g;
    u.tc = cr_tanh(u.c);
    u.h = u.o * u.tc;
    return u;
}

typedef struct cr_lstm_grad {
    float di, df, dg, d_o; /* of the pre-activations */
    float dc;              /* of c[t-1] */
} cr_lstm_grad;

/* i f g o the activations, cp c[t-1], tc tanh c[t]; dh of h[t], dc of c[t] from step t + 1. */
static CR_ALWAYS_INLINE cr_lstm_grad cr_lstm_unit_backward(float i, float f, float g, float o,
                                                           float cp, float tc, float dh, float dc)
{
    cr_lstm_grad d;
    float d_c = dc + dh * o * (1.0f - tc * tc);
    d.di = d_c * g * i * (1.0f - i);
    d.df = d_c * cp * f * (1.0f - f);
    d.dg = d_c * i * (1.0f - g * g);
    d.d_o = dh * tc * o * (1.0f - o);
    d.dc = d_c * f;
    return d;
}

/* ---- GRU: r = s(xr + sr), z = s(xz + sz), n = tanh(xn + r (sn + bhn)), h = (1 - z) n + z h'
 * where x* = x Wx + b (input side) and s* = h' Wh (recurrent side) ---- */
typedef struct cr_gru_unit {
    float r, z, n; /* the gates' activations */
    float gh;      /* sn + bhn, kept for backward */
    float h;       /* h[t] */
} cr_gru_unit;

static CR_ALWAYS_INLINE cr_gru_unit cr_gru_unit_forward(float xr, float xz, float xn, float sr,
                                                        float sz, float sn, float bhn, float hp)
{
    cr_gru_unit u;
    u.r = cr_sigmoid(xr + sr);
    u.z = cr_sigmoid(xz + sz);
    u.gh = sn + bhn;
    u.n = cr_tanh(xn + u.r * u.gh);
    u.h = (1.0f - u.z) * u.n + u.z * hp;
    return u;
}

typedef struct cr_gru_grad {
    float dr, dz, dn; /* of the pre-activations; the recurrent side's equal, but for dn: */
    float dhn;        /* of sn, the recurrent side of n */
} cr_gru_grad;

/* r z n the activations, hp h[t-1], gh as forward kept it, dh of h[t]; *dprev, of h[t-1],
 * accumulates. */
static CR_ALWAYS_INLINE cr_gru_grad cr_gru_unit_backward(float r, float z, float n, float hp,
                                                         float gh, float dh, float *dprev)
{
    cr_gru_grad d;
    d.dn = dh * (1.0f - z) * (1.0f - n * n);
    d.dz = dh * (hp - n) * z * (1.0f - z);
    d.dr = d.dn * gh * r * (1.0f - r);
    d.dhn = d.dn * r;
    *dprev += dh * z;
    return d;
}

/* ---- RNN: h = tanh(a), a = x Wx + b + h' Wh ---- */
static CR_ALWAYS_INLINE float cr_rnn_unit_forward(float a) { return cr_tanh(a); }

/* h the output, dh its gradient: the gradient of a. */
static CR_ALWAYS_INLINE float cr_rnn_unit_backward(float h, float dh)
{
    return dh * (1.0f - h * h);
}

#endif
