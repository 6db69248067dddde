/* test_kernels.c: every matrix kernel against a plain double-precision product, for odd shapes,
 * both layouts, every thread count, and the same bytes whatever the thread count. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* C(M,N) = [C +] A B with A(i,k) = A[i*ars + k*aks], in double */
static void reference(int M, int N, int K, const float *A, long ars, long aks, const float *B,
                      const float *C0, double *C)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = C0 ? C0[(long)i * N + j] : 0;
            for (int k = 0; k < K; k++)
                s += (double)A[i * ars + k * aks] * B[(long)k * N + j];
            C[(long)i * N + j] = s;
        }
}

static int close_to(const float *got, const double *want, size_t n, int K)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= 1e-5 * K)) return 0;
    return 1;
}

/* cr_mm_nn_packed, with B packed directly and from its transpose, fresh and accumulating,
 * must give the bytes of cr_mm_nn with the same kernel; C is scratch (M, N). */
static void pack_both_ways(int kind, cr_pool *p, int M, int N, int K, const float *A,
                           const float *B, const float *C1, float *C)
{
    size_t mn = (size_t)M * N;
    float *Bt = malloc(sizeof(float) * (size_t)K * N), *want = malloc(sizeof(float) * mn);
    float *Bp = malloc(sizeof(float) * cr_packed_floats(K, N));
    float *Btp = malloc(sizeof(float) * cr_packed_floats(K, N));
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            Bt[(long)j * K + k] = B[(long)k * N + j];
    cr_pack(p, B, K, N, N, 0, Bp);
    cr_pack(p, Bt, K, N, K, 1, Btp);
    CHECK(memcmp(Bp, Btp, sizeof(float) * cr_packed_floats(K, N)) == 0);
    for (int acc = 0; acc <= 1; acc++) {
        memcpy(want, C1, sizeof(float) * mn);
        cr_mm_nn_kind(kind, p, M, N, K, A, K, B, N, want, N, acc);
        memcpy(C, C1, sizeof(float) * mn);
        cr_mm_nn_packed_kind(kind, p, M, N, K, A, K, Bp, C, N, acc);
        CHECK(memcmp(C, want, sizeof(float) * mn) == 0);
    }
    free(Bt);
    free(want);
    free(Bp);
    free(Btp);
}

static void check_shapes(int kind)
{
    static const int shapes[][3] = {{1, 1, 1}, {1, 67, 256}, {3, 5, 7}, {4, 16, 9}, {17, 33, 65},
                                    {32, 1024, 256}, {5, 200, 300}, {64, 64, 513}, {2049, 3, 2}};
    cr_rng r;
    cr_rng_seed(&r, 77);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
        float *C = malloc(sizeof(float) * (size_t)M * N), *C1 = malloc(sizeof(float) * (size_t)M * N);
        double *want = malloc(sizeof(double) * (size_t)M * N);
        fill_uniform(A, (size_t)M * K, 1, &r);
        fill_uniform(B, (size_t)K * N, 1, &r);
        fill_uniform(C1, (size_t)M * N, 1, &r);
        for (int threads = 1; threads <= 3; threads++) {
            cr_pool *p;
            REQUIRE(cr_pool_new(threads, &p) == CR_OK);
            /* nn: A is (M, K) */
            reference(M, N, K, A, K, 1, B, NULL, want);
            cr_mm_nn_kind(kind, p, M, N, K, A, K, B, N, C, N, 0);
            CHECK(close_to(C, want, (size_t)M * N, K));
            /* nn, accumulating */
            memcpy(C, C1, sizeof(float) * (size_t)M * N);
            reference(M, N, K, A, K, 1, B, C1, want);
            cr_mm_nn_kind(kind, p, M, N, K, A, K, B, N, C, N, 1);
            CHECK(close_to(C, want, (size_t)M * N, K));
            /* packed B, from B and from its transpose: the same bytes as the plain product */
            pack_both_ways(kind, p, M, N, K, A, B, C1, C);
            /* tn: A is stored (K, M) */
            memcpy(C, C1, sizeof(float) * (size_t)M * N);
            reference(M, N, K, A, 1, M, B, C1, want);
            cr_mm_tn_acc_kind(kind, p, M, N, K, A, M, B, N, C, N);
            CHECK(close_to(C, want, (size_t)M * N, K));
            cr_pool_free(p);
        }
        free(A);
        free(B);
        free(C);
        free(C1);
        free(want);
    }
}

TEST(kernel_generic_products) { check_shapes(CR_KERNEL_GENERIC); }

TEST(kernel_avx2_products)
{
    if (cr_kernel_available(CR_KERNEL_AVX2)) check_shapes(CR_KERNEL_AVX2);
    else test_skip("this CPU has no AVX2 and FMA");
}

TEST(kernel_avx512_products)
{
    if (cr_kernel_available(CR_KERNEL_AVX512)) check_shapes(CR_KERNEL_AVX512);
    else test_skip("this CPU has no AVX-512");
}

/* Each element's sum runs in one order, so any thread count gives the same bytes. */
TEST(kernel_same_bytes_for_every_thread_count)
{
    int M = 37, N = 300, K = 129;
    cr_rng r;
    cr_rng_seed(&r, 3);
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *C[4];
    fill_uniform(A, (size_t)M * K, 1, &r);
    fill_uniform(B, (size_t)K * N, 1, &r);
    for (int t = 1; t <= 4; t++) {
        cr_pool *p;
        REQUIRE(cr_pool_new(t, &p) == CR_OK);
        C[t - 1] = malloc(sizeof(float) * (size_t)M * N);
        cr_mm_nn(p, M, N, K, A, K, B, N, C[t - 1], N, 0);
        cr_pool_free(p);
    }
    for (int t = 1; t < 4; t++)
        CHECK(memcmp(C[0], C[t], sizeof(float) * (size_t)M * N) == 0);
    for (int t = 0; t < 4; t++)
        free(C[t]);
    free(A);
    free(B);
}

/* ---- bfloat16 products: inputs rounded to bf16, sums in float ---- */

/* C(M,N) = [C0 +] A B on A and B rounded to bf16, each element summed in float in k order:
 * the products of two bf16 are exact in float, so this is the sum --precision bf16 defines. */
static void reference_bf16(int M, int N, int K, const float *A, long ars, long aks,
                           const float *B, const float *C0, float *C)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = C0 ? C0[(long)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++)
                s += cr_bf16_to_float(cr_bf16_from_float(A[i * ars + k * aks])) *
                     cr_bf16_to_float(cr_bf16_from_float(B[(long)k * N + j]));
            C[(long)i * N + j] = s;
        }
}

/* exact for the rounded-fp32 kernel; for vdpbf16ps, float summation order: the sums of |a b|
 * bound the difference */
static int bf16_agrees(int kind, const float *got, const float *want, size_t n, int K)
{
    for (size_t i = 0; i < n; i++) {
        if (kind == CR_BF16_ROUNDED ? memcmp(&got[i], &want[i], sizeof(float)) != 0
                                    : !(fabsf(got[i] - want[i]) <= 2e-6f * (float)K)) {
            fprintf(stderr, "  element %zu: %.9g, reference %.9g\n", i, got[i], want[i]);
            return 0;
        }
    }
    return 1;
}

static void check_bf16_shapes(int kind)
{
    static const int shapes[][3] = {{1, 1, 1},    {1, 67, 256}, {3, 5, 7},    {4, 16, 9},
                                    {17, 33, 65}, {9, 31, 257}, {32, 1024, 256}, {5, 200, 300},
                                    {129, 64, 513}, {2049, 3, 2}, {8, 32, 1}};
    cr_rng r;
    cr_rng_seed(&r, 78);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        size_t mn = (size_t)M * N;
        float *A = malloc(sizeof(float) * (size_t)M * K);
        float *B = malloc(sizeof(float) * (size_t)K * N);
        float *Bt = malloc(sizeof(float) * (size_t)K * N);
        float *C = malloc(sizeof(float) * mn), *C1 = malloc(sizeof(float) * mn);
        float *want = malloc(sizeof(float) * mn);
        uint32_t *Bp = malloc(sizeof(uint32_t) * cr_packed_bf16_words(K, N));
        uint32_t *Btp = malloc(sizeof(uint32_t) * cr_packed_bf16_words(K, N));
        REQUIRE(cr_packed_bf16_words(K, N) <= cr_packed_floats(K, N));
        fill_uniform(A, (size_t)M * K, 1, &r);
        fill_uniform(B, (size_t)K * N, 1, &r);
        fill_uniform(C1, mn, 1, &r);
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++)
                Bt[(long)j * K + k] = B[(long)k * N + j];
        for (int threads = 1; threads <= 3; threads++) {
            cr_pool *p;
            REQUIRE(cr_pool_new(threads, &p) == CR_OK);
            cr_pack_bf16(p, B, K, N, N, 0, Bp);
            cr_pack_bf16(p, Bt, K, N, K, 1, Btp);
            CHECK(memcmp(Bp, Btp, sizeof(uint32_t) * cr_packed_bf16_words(K, N)) == 0);
            for (int acc = 0; acc <= 1; acc++) { /* nn with a packed B, fresh and accumulating */
                reference_bf16(M, N, K, A, K, 1, B, acc ? C1 : NULL, want);
                memcpy(C, C1, sizeof(float) * mn);
                cr_mm_nn_packed_bf16_kind(kind, p, M, N, K, A, K, Bp, C, N, acc);
                CHECK(bf16_agrees(kind, C, want, mn, K));
            }
            /* tn: A stored (K, M), B as it is */
            reference_bf16(M, N, K, A, 1, M, B, C1, want);
            memcpy(C, C1, sizeof(float) * mn);
            cr_mm_tn_acc_bf16_kind(kind, p, M, N, K, A, M, B, N, C, N);
            CHECK(bf16_agrees(kind, C, want, mn, K));
            cr_pool_free(p);
        }
        free(A);
        free(B);
        free(Bt);
        free(C);
        free(C1);
        free(want);
        free(Bp);
        free(Btp);
    }
}

TEST(kernel_bf16_rounded_products) { check_bf16_shapes(CR_BF16_ROUNDED); }

TEST(kernel_bf16_avx512_products)
{
    if (cr_bf16_kernel_available(CR_BF16_AVX512)) check_bf16_shapes(CR_BF16_AVX512);
    else test_skip("this CPU has no AVX-512 BF16");
}

/* The packed columns of one thread (as the LSTM's small steps use them) give the same bytes as
 * the whole product; and the rounding of the inputs is really there. */
TEST(kernel_bf16_columns_and_rounding)
{
    int M = 7, N = 100, K = 45;
    cr_rng r;
    cr_rng_seed(&r, 5);
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *C = malloc(sizeof(float) * (size_t)M * N), *D = malloc(sizeof(float) * (size_t)M * N);
    float *Bp = malloc(sizeof(float) * cr_packed_floats(K, N));
    fill_uniform(A, (size_t)M * K, 1, &r);
    fill_uniform(B, (size_t)K * N, 1, &r);
    cr_pack_prec(CR_BF16, NULL, B, K, N, N, 0, Bp);
    cr_mm_nn_packed_prec(CR_BF16, NULL, M, N, K, A, K, Bp, C, N, 0);
    memset(D, 0, sizeof(float) * (size_t)M * N);
    cr_mm_nn_packed_cols_prec(CR_BF16, M, N, K, A, K, Bp, D, N, 0, 32, 64);
    cr_mm_nn_packed_cols_prec(CR_BF16, M, N, K, A, K, Bp, D, N, 0, 64, N);
    cr_mm_nn_packed_cols_prec(CR_BF16, M, N, K, A, K, Bp, D, N, 0, 0, 32);
    CHECK(memcmp(C, D, sizeof(float) * (size_t)M * N) == 0);
    /* against the float32 product: bf16-sized differences, not zero and not more */
    double *want = malloc(sizeof(double) * (size_t)M * N), worst = 0;
    reference(M, N, K, A, K, 1, B, NULL, want);
    for (int i = 0; i < M * N; i++)
        worst = fmax(worst, fabs(C[i] - want[i]));
    CHECK(worst > 1e-4 && worst < 0.05);
    free(A);
    free(B);
    free(C);
    free(D);
    free(Bp);
    free(want);
}
