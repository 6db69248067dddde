/* test_activations.c: cr_exp, cr_tanh and cr_sigmoid against libm in double, in ulps of the float
 * result, over dense sweeps and at the edges; scalar, and vectorised for every kind this CPU runs. */
#include "test.h"
#include "util.h"

#include <float.h>
#include <stdlib.h>

enum { FN_EXP, FN_TANH, FN_SIGMOID };

static double ref_sigmoid(double x) { return 1 / (1 + exp(-x)); }

/* y(n) = f(x(n)) in blocks of CR_SIMD_W and a scalar tail, as the cells run them */
static CR_ALWAYS_INLINE void apply_units(int fn, int n, const float *restrict x, float *restrict y)
{
    for (int j = 0; j < n; j++)
        y[j] = fn == FN_EXP ? cr_exp(x[j]) : fn == FN_TANH ? cr_tanh(x[j]) : cr_sigmoid(x[j]);
}

static CR_ALWAYS_INLINE void apply(int fn, const float *x, float *y, int n)
{
    int j = 0;
    for (; j + CR_SIMD_W <= n; j += CR_SIMD_W) {
        if (fn == FN_EXP) apply_units(FN_EXP, CR_SIMD_W, x + j, y + j);
        else if (fn == FN_TANH) apply_units(FN_TANH, CR_SIMD_W, x + j, y + j);
        else apply_units(FN_SIGMOID, CR_SIMD_W, x + j, y + j);
    }
    apply_units(fn, n - j, x + j, y + j);
}
typedef void (*apply_fn)(int fn, const float *x, float *y, int n);
CR_SIMD_VARIANTS(apply_fn, apply, (int fn, const float *x, float *y, int n), (fn, x, y, n))

/* One call at a time, where nothing vectorises (as the sampler calls them). */
static void apply_scalar(int fn, const float *x, float *y, int n)
{
    for (int j = 0; j < n; j++) {
        volatile float v = x[j];
        y[j] = fn == FN_EXP ? cr_exp(v) : fn == FN_TANH ? cr_tanh(v) : cr_sigmoid(v);
    }
}

/* The distance from got to want in units in the last place of the float nearest want. */
static double ulps(float got, double want)
{
    double a = fabs(want), u = ldexp(1, -149);
    if (a >= FLT_MIN) {
        int e;
        frexp(a, &e);
        u = ldexp(1, e - 24);
    }
    return fabs(got - want) / u;
}

/* Floats from lo to hi: every step-th float in order (as many per binade, so dense near 0), then
 * lo, lo + h, lo + 2h ... (as many per unit). Returns the count. */
static int sweep(float lo, float hi, unsigned step, double h, float *x, int cap)
{
    int n = 0;
    int64_t klo, khi; /* floats as ordered integers */
    uint32_t b = cr_float_bits(lo);
    klo = b >> 31 ? -(int64_t)(b & 0x7fffffff) : (int64_t)b;
    b = cr_float_bits(hi);
    khi = b >> 31 ? -(int64_t)(b & 0x7fffffff) : (int64_t)b;
    for (int64_t k = klo; k <= khi && n < cap; k += step)
        x[n++] = cr_bits_float(k < 0 ? (uint32_t)(-k) | 0x80000000u : (uint32_t)k);
    for (double v = lo; v <= hi && n < cap; v += h)
        x[n++] = (float)v;
    return n;
}

/* The worst error in ulps of f over [lo, hi] with the given kind, -1 for the scalar calls. */
static double worst_ulps(int kind, int fn, float lo, float hi, float *at)
{
    enum { CAP = 2300000 };
    float *x = malloc(sizeof(float) * CAP), *y = malloc(sizeof(float) * CAP);
    double worst = 0;
    if (!x || !y) {
        free(x);
        free(y);
        return INFINITY;
    }
    int n = sweep(lo, hi, 2099, 1.0 / 4096, x, CAP);
    if (kind < 0) apply_scalar(fn, x, y, n);
    else apply_for(kind)(fn, x, y, n);
    for (int i = 0; i < n; i++) {
        double want = fn == FN_EXP ? exp(x[i]) : fn == FN_TANH ? tanh(x[i]) : ref_sigmoid(x[i]);
        double e = ulps(y[i], want);
        if (!(e <= worst)) { /* NaN counts as the worst */
            worst = e != e ? INFINITY : e;
            *at = x[i];
        }
    }
    free(x);
    free(y);
    return worst;
}

static void check_kind(int kind)
{
    static const struct {
        int fn;
        float lo, hi;
        double max_ulps;
        const char *name;
    } ranges[] = {
        {FN_EXP, CR_EXP_LO, CR_EXP_HI, CR_EXP_MAX_ULP, "exp"},
        {FN_TANH, -30, 30, CR_TANH_MAX_ULP, "tanh"},
        {FN_SIGMOID, CR_EXP_LO, 40, CR_SIGMOID_MAX_ULP, "sigmoid"},
    };
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        float at = 0;
        double w = worst_ulps(kind, ranges[r].fn, ranges[r].lo, ranges[r].hi, &at);
        if (!(w <= ranges[r].max_ulps)) {
            char m[160];
            snprintf(m, sizeof m, "%s (%s): %.2f ulps at %.9g, more than %.1f", ranges[r].name,
                     kind < 0 ? "scalar" : cr_kernel_name(kind), w, at, ranges[r].max_ulps);
            test_failed(__FILE__, __LINE__, m);
        }
    }
}

TEST(activations_scalar_within_ulps) { check_kind(-1); }

TEST(activations_vectorised_within_ulps)
{
    for (int kind = CR_KERNEL_GENERIC; kind <= CR_KERNEL_AVX512; kind++)
        if (cr_kernel_available(kind)) check_kind(kind);
}

/* Values outside the sweeps, and those the cells rely on: exact saturation, no NaN from a
 * number, NaN from NaN, the sign of zero. */
TEST(activations_edges)
{
    static const float at[] = {0.0f, 1e-30f, 1e-7f, 9.0f, 20.0f, 88.0f};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        for (int s = -1; s <= 1; s += 2) {
            float x = s * at[i];
            CHECK(ulps(cr_tanh(x), tanh(x)) <= CR_TANH_MAX_ULP);
            CHECK(ulps(cr_exp(x), exp(x)) <= CR_EXP_MAX_ULP || x == -88.0f);
            if (x > -87.0f) CHECK(ulps(cr_sigmoid(x), ref_sigmoid(x)) <= CR_SIGMOID_MAX_ULP);
        }
    }
    CHECK(cr_exp(0.0f) == 1.0f && cr_exp(-0.0f) == 1.0f);
    /* below CR_EXP_LO (where exp is subnormal or 0) exactly 0; above CR_EXP_HI its value there */
    CHECK(cr_exp(-88.0f) == 0.0f && cr_exp(-100.0f) == 0.0f && cr_exp(-INFINITY) == 0.0f);
    CHECK(cr_exp(CR_EXP_LO) >= FLT_MIN);
    CHECK(cr_exp(100.0f) == cr_exp(CR_EXP_HI) && cr_exp(INFINITY) == cr_exp(CR_EXP_HI));
    CHECK(isfinite(cr_exp(INFINITY)) && cr_exp(INFINITY) > 2e38f);
    CHECK(cr_tanh(0.0f) == 0.0f && signbit(cr_tanh(-0.0f)));
    CHECK(cr_tanh(1e-30f) == 1e-30f && cr_tanh(-1e-30f) == -1e-30f);
    CHECK(cr_tanh(20.0f) == 1.0f && cr_tanh(-20.0f) == -1.0f);
    CHECK(cr_tanh(100.0f) == 1.0f && cr_tanh(-100.0f) == -1.0f);
    CHECK(cr_tanh(INFINITY) == 1.0f && cr_tanh(-INFINITY) == -1.0f);
    CHECK(cr_sigmoid(0.0f) == 0.5f && cr_sigmoid(1e-30f) == 0.5f);
    CHECK(cr_sigmoid(20.0f) == 1.0f && cr_sigmoid(88.0f) == 1.0f && cr_sigmoid(100.0f) == 1.0f);
    CHECK(cr_sigmoid(-88.0f) == 0.0f && cr_sigmoid(-100.0f) == 0.0f);
    CHECK(cr_sigmoid(INFINITY) == 1.0f && cr_sigmoid(-INFINITY) == 0.0f);
    CHECK(isnan(cr_exp(NAN)) && isnan(cr_tanh(NAN)) && isnan(cr_sigmoid(NAN)));
    CHECK(isnan(cr_exp(-NAN)) && isnan(cr_tanh(-NAN)) && isnan(cr_sigmoid(-NAN)));
}
