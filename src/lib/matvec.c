/* matvec.c: matrix-vector products over weights packed in panels of 16 columns, for the
 * sampler's batch-1 step (infer.c), with fp32 or bfloat16 weights.
 *
 * Each call adds x W to np panels of pre-activations, one accumulator per panel, streaming W
 * row after row. Every element's sum is one chain over k in order, fused (AVX2, AVX-512) or
 * unfused (generic) as the matrix kernel of the same kind in kernels.c, so that the results
 * equal the training network's. bfloat16 weights are widened to fp32 exactly (a shift), so a
 * product with them equals the fp32 product with the rounded weights. */
#include "internal.h"

#include <string.h>

/* ---- bfloat16: the top half of an fp32 ---- */

uint16_t cr_bf16_from_float(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40u); /* a quiet NaN */
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16); /* to nearest, ties to even */
}

float cr_bf16_to_float(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- generic: four floats as one value, as kernels.c ---- */

typedef float v4f __attribute__((vector_size(16), aligned(4)));
typedef uint32_t v4u __attribute__((vector_size(16), aligned(4)));
#define LD4(p) (*(const v4f *)(p))
#define LDU4(p) (*(const v4u *)(p))
#define ST4(p, v) (*(v4f *)(p) = (v))
#define LO4(u) ((v4f)((u) << 16))          /* the bf16 in the low half, as fp32 */
#define HI4(u) ((v4f)((u) & 0xFFFF0000u))  /* the one in the high half */

static void fp32_generic(int np, int K, const float *x, const void *Wv, float *pre)
{
    const float *W = Wv;
    const long row = (long)CR_PANEL * np;
    for (int p = 0; p < np; p++) {
        float *o = pre + CR_PANEL * p;
        v4f a0 = LD4(o), a1 = LD4(o + 4), a2 = LD4(o + 8), a3 = LD4(o + 12);
        const float *w = W + CR_PANEL * p;
        for (int k = 0; k < K; k++, w += row) {
            float xk = x[k];
            a0 += xk * LD4(w);
            a1 += xk * LD4(w + 4);
            a2 += xk * LD4(w + 8);
            a3 += xk * LD4(w + 12);
        }
        ST4(o, a0); ST4(o + 4, a1); ST4(o + 8, a2); ST4(o + 12, a3);
    }
}

static void bf16_generic(int np, int K, const float *x, const void *Wv, float *pre)
{
    const uint32_t *W = Wv;
    const long row = (long)CR_PANEL * np;
    for (int p = 0; p < np; p++) {
        float *o = pre + CR_PANEL * p;
        v4f a0 = LD4(o), a1 = LD4(o + 4), a2 = LD4(o + 8), a3 = LD4(o + 12);
        const uint32_t *w = W + CR_PANEL * p;
        int k = 0;
        for (; k + 2 <= K; k += 2, w += row) {
            v4u u0 = LDU4(w), u1 = LDU4(w + 4), u2 = LDU4(w + 8), u3 = LDU4(w + 12);
            float x0 = x[k], x1 = x[k + 1];
            a0 += x0 * LO4(u0);
            a1 += x0 * LO4(u1);
            a2 += x0 * LO4(u2);
            a3 += x0 * LO4(u3);
            a0 += x1 * HI4(u0);
            a1 += x1 * HI4(u1);
            a2 += x1 * HI4(u2);
            a3 += x1 * HI4(u3);
        }
        if (k < K) { /* an odd last row: the low halves only */
            float x0 = x[k];
            a0 += x0 * LO4(LDU4(w));
            a1 += x0 * LO4(LDU4(w + 4));
            a2 += x0 * LO4(LDU4(w + 8));
            a3 += x0 * LO4(LDU4(w + 12));
        }
        ST4(o, a0); ST4(o + 4, a1); ST4(o + 8, a2); ST4(o + 12, a3);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86_MATVEC 1

/* The passes below take their panel count as a constant (always_inline, called with literal
 * counts), so each accumulator is a named register and the unused ones vanish. REP8(X) names
 * accumulators 0 to 7; X(i) does nothing when i is not below the count. */
#define REP8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* AVX2: up to 4 panels, 8 accumulators of the 16 registers, per pass over the rows. */
#define Y_DECL(i) __m256 a##i = 2 * nq > i ? _mm256_loadu_ps(o + 8 * i) : _mm256_setzero_ps();
#define Y_STORE(i) if (2 * nq > i) _mm256_storeu_ps(o + 8 * i, a##i);
#define Y_FP32(i) if (2 * nq > i) a##i = _mm256_fmadd_ps(xk, _mm256_loadu_ps(W + 8 * i), a##i);
#define Y_LO(i)                                                                              \
    if (2 * nq > i) {                                                                        \
        __m256i u = _mm256_loadu_si256((const __m256i *)(W + 8 * i));                        \
        a##i = _mm256_fmadd_ps(x0, _mm256_castsi256_ps(_mm256_slli_epi32(u, 16)), a##i);     \
    }
#define Y_BF16(i)                                                                            \
    if (2 * nq > i) {                                                                        \
        __m256i u = _mm256_loadu_si256((const __m256i *)(W + 8 * i));                        \
        a##i = _mm256_fmadd_ps(x0, _mm256_castsi256_ps(_mm256_slli_epi32(u, 16)), a##i);     \
        a##i = _mm256_fmadd_ps(x1, _mm256_castsi256_ps(_mm256_and_si256(u, hi)), a##i);      \
    }

__attribute__((target("avx2,fma"), always_inline)) static inline void
fp32_avx2_pass(const int nq, int K, const float *x, const float *W, long row, float *o)
{
    REP8(Y_DECL)
    for (int k = 0; k < K; k++, W += row) {
        __m256 xk = _mm256_set1_ps(x[k]);
        REP8(Y_FP32)
    }
    REP8(Y_STORE)
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
bf16_avx2_pass(const int nq, int K, const float *x, const uint32_t *W, long row, float *o)
{
    const __m256i hi = _mm256_set1_epi32((int)0xFFFF0000u);
    REP8(Y_DECL)
    int k = 0;
    for (; k + 2 <= K; k += 2, W += row) {
        __m256 x0 = _mm256_set1_ps(x[k]), x1 = _mm256_set1_ps(x[k + 1]);
        REP8(Y_BF16)
    }
    if (k < K) {
        __m256 x0 = _mm256_set1_ps(x[k]);
        REP8(Y_LO)
    }
    REP8(Y_STORE)
}

/* Passes of 4 panels, then the rest, each with its own constant count. */
#define AVX2_PANELS(PASS, T)                                                                 \
    const T *W = Wv;                                                                         \
    const long row = (long)CR_PANEL * np;                                                    \
    for (int p = 0; p < np; p += 4) {                                                        \
        const T *w = W + CR_PANEL * p;                                                       \
        float *o = pre + CR_PANEL * p;                                                       \
        switch (np - p) {                                                                    \
        case 1: PASS(1, K, x, w, row, o); break;                                             \
        case 2: PASS(2, K, x, w, row, o); break;                                             \
        case 3: PASS(3, K, x, w, row, o); break;                                             \
        default: PASS(4, K, x, w, row, o); break;                                            \
        }                                                                                    \
    }

__attribute__((target("avx2,fma"))) static void fp32_avx2(int np, int K, const float *x,
                                                          const void *Wv, float *pre)
{
    AVX2_PANELS(fp32_avx2_pass, float)
}

__attribute__((target("avx2,fma"))) static void bf16_avx2(int np, int K, const float *x,
                                                          const void *Wv, float *pre)
{
    AVX2_PANELS(bf16_avx2_pass, uint32_t)
}

/* AVX-512: every panel of the group (up to 8) in one pass, one accumulator each. */
#define Z_DECL(i) __m512 a##i = np > i ? _mm512_loadu_ps(o + 16 * i) : _mm512_setzero_ps();
#define Z_STORE(i) if (np > i) _mm512_storeu_ps(o + 16 * i, a##i);
#define Z_FP32(i) if (np > i) a##i = _mm512_fmadd_ps(xk, _mm512_loadu_ps(W + 16 * i), a##i);
#define Z_LO(i)                                                                              \
    if (np > i) {                                                                            \
        __m512i u = _mm512_loadu_si512(W + 16 * i);                                          \
        a##i = _mm512_fmadd_ps(x0, _mm512_castsi512_ps(_mm512_slli_epi32(u, 16)), a##i);     \
    }
#define Z_BF16(i)                                                                            \
    if (np > i) {                                                                            \
        __m512i u = _mm512_loadu_si512(W + 16 * i);                                          \
        a##i = _mm512_fmadd_ps(x0, _mm512_castsi512_ps(_mm512_slli_epi32(u, 16)), a##i);     \
        a##i = _mm512_fmadd_ps(x1, _mm512_castsi512_ps(_mm512_and_si512(u, hi)), a##i);      \
    }

__attribute__((target("avx512f,fma"), always_inline)) static inline void
fp32_avx512_pass(const int np, int K, const float *x, const float *W, float *o)
{
    const long row = (long)CR_PANEL * np;
    REP8(Z_DECL)
    for (int k = 0; k < K; k++, W += row) {
        __m512 xk = _mm512_set1_ps(x[k]);
        REP8(Z_FP32)
    }
    REP8(Z_STORE)
}

__attribute__((target("avx512f,fma"), always_inline)) static inline void
bf16_avx512_pass(const int np, int K, const float *x, const uint32_t *W, float *o)
{
    const long row = (long)CR_PANEL * np;
    const __m512i hi = _mm512_set1_epi32((int)0xFFFF0000u);
    REP8(Z_DECL)
    int k = 0;
    for (; k + 2 <= K; k += 2, W += row) {
        __m512 x0 = _mm512_set1_ps(x[k]), x1 = _mm512_set1_ps(x[k + 1]);
        REP8(Z_BF16)
    }
    if (k < K) {
        __m512 x0 = _mm512_set1_ps(x[k]);
        REP8(Z_LO)
    }
    REP8(Z_STORE)
}

#define AVX512_PANELS(PASS, T)                                                               \
    const T *W = Wv;                                                                         \
    switch (np) {                                                                            \
    case 1: PASS(1, K, x, W, pre); break;                                                    \
    case 2: PASS(2, K, x, W, pre); break;                                                    \
    case 3: PASS(3, K, x, W, pre); break;                                                    \
    case 4: PASS(4, K, x, W, pre); break;                                                    \
    case 5: PASS(5, K, x, W, pre); break;                                                    \
    case 6: PASS(6, K, x, W, pre); break;                                                    \
    case 7: PASS(7, K, x, W, pre); break;                                                    \
    default: PASS(8, K, x, W, pre); break;                                                   \
    }

__attribute__((target("avx512f,fma"))) static void fp32_avx512(int np, int K, const float *x,
                                                               const void *Wv, float *pre)
{
    AVX512_PANELS(fp32_avx512_pass, float)
}

__attribute__((target("avx512f,fma"))) static void bf16_avx512(int np, int K, const float *x,
                                                               const void *Wv, float *pre)
{
    AVX512_PANELS(bf16_avx512_pass, uint32_t)
}
#endif

cr_matvec_fn *cr_matvec_for(int kind, int bf16)
{
#ifdef HAVE_X86_MATVEC
    if (kind == CR_KERNEL_AVX512) return bf16 ? bf16_avx512 : fp32_avx512;
    if (kind == CR_KERNEL_AVX2) return bf16 ? bf16_avx2 : fp32_avx2;
#endif
    (void)kind;
    return bf16 ? bf16_generic : fp32_generic;
}
