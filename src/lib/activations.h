/* activations.h: exp, tanh and sigmoid for floats, branch-free so that loops over them vectorise.
 * exp is 2^n p(r) with n = round(x log2 e), r = x - n ln 2 and a degree-7 polynomial p; tanh and
 * sigmoid take exp of -|x| only, so nothing overflows. Accuracy (tests/unit/test_activations.c):
 * see CR_EXP_MAX_ULP and the others below, against libm in double. NaN gives NaN. */
#ifndef CR_ACTIVATIONS_H
#define CR_ACTIVATIONS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define CR_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define CR_ALWAYS_INLINE inline
#endif

/* The largest errors the unit test allows, in units in the last place of the float result. */
#define CR_EXP_MAX_ULP 1.5
#define CR_TANH_MAX_ULP 2.0
#define CR_SIGMOID_MAX_ULP 3.0

#define CR_EXP_LO -87.33654f          /* ~ ln FLT_MIN: below it exp gives 0, not subnormals */
#define CR_EXP_HI 88.37626f           /* ~ 127.5 ln 2: above it exp gives exp(CR_EXP_HI), 2.4e38 */

static CR_ALWAYS_INLINE uint32_t cr_float_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static CR_ALWAYS_INLINE float cr_bits_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* c ? a : b through the bits: gcc keeps ?: on floats as branches, which block vectorising */
static CR_ALWAYS_INLINE float cr_select(int c, float a, float b)
{
    uint32_t m = 0u - (uint32_t)(c != 0);
    return cr_bits_float((cr_float_bits(a) & m) | (cr_float_bits(b) & ~m));
}

/* e^x for x in [CR_EXP_LO, CR_EXP_HI]; 0 below (and for -inf), exp(CR_EXP_HI) above. */
static CR_ALWAYS_INLINE float cr_exp(float x)
{
    float xc = cr_select(x < CR_EXP_LO, CR_EXP_LO, x);
    xc = cr_select(xc > CR_EXP_HI, CR_EXP_HI, xc);
    /* 1.5 * 2^23 rounds x log2 e to the integer n, which lands in the low bits of t */
    float t = xc * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    /* r = x - n ln 2 in about [-ln2/2, ln2/2], ln 2 = 0.693359375 - 2.12194440e-4: n times the
     * first part (9 bits) is exact */
    float r = xc - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * (r * r) + r + 1.0f;
    /* 2^n: the bits of t are 0x4B400000 + n, whose low 9 bits are those of n; n + 127 in [1, 254]
     * shifted up is the exponent field; 0 below CR_EXP_LO */
    uint32_t scale = (cr_float_bits(t) + 127u) << 23;
    return y * cr_bits_float(scale & (0u - (uint32_t)(x >= CR_EXP_LO))); /* NaN * 0 is NaN */
}

/* tanh: an odd polynomial below 0.625, where (1 - e^-2|x|) / (1 + e^-2|x|) would lose bits. */
static CR_ALWAYS_INLINE float cr_tanh(float x)
{
    float a = fabsf(x);
    float e = cr_exp(-2.0f * a);
    float big = (1.0f - e) / (1.0f + e);
    float z = a * a;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * a + a;
    return copysignf(cr_select(a < 0.625f, small, big), x);
}

/* 1 / (1 + e^-x), as e^-|x| / (1 + e^-|x|) for x < 0: no overflow, and exactly 0 and 1 far out. */
static CR_ALWAYS_INLINE float cr_sigmoid(float x)
{
    float e = cr_exp(-fabsf(x));
    return cr_select(x < 0, e, 1.0f) / (1.0f + e);
}

#endif
