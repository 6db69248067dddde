/* kernels.c: the matrix products of training and sampling, row-major, split over threads.
 * B is read in panels of 32 columns, each (K, 32) contiguous: weights are packed once per step
 * (cr_pack), other operands a chunk at a time. With AVX-512, tiles of up to 8 rows x 32
 * columns keep C in registers; AVX2 and portable code use tiles of 4 rows. */
#include "internal.h"

#include <string.h>


/* Every panel computes C(i, j) += sum_k A(i, k) B(k, j) for rows [0, rows) (rows <= 4) and
 * columns [0, n), with A(i, k) = A[i * ars + k * aks]. Each element's sum runs over k in order
 * and in the same arithmetic wherever the element falls, so a result never depends on how the
 * work was split between threads. */
typedef void panel_fn(int rows, int n, int K, const float *A, long ars, long aks, const float *B,
                      int ldb, float *C, int ldc);

/* Four floats as one value: GCC and clang lower it to SSE, NEON or scalar code, whatever the
 * target has; aligned(4) allows any float address. Tiles of 4 x 8 fit 16 vector registers. */
typedef float v4f __attribute__((vector_size(16), aligned(4)));
#define LD4(p) (*(const v4f *)(p))
#define ST4(p, v) (*(v4f *)(p) = (v))

static void panel_generic(int rows, int n, int K, const float *A, long ars, long aks,
                          const float *B, int ldb, float *C, int ldc)
{
    int j = 0;
    if (rows == 4) {
        for (; j + 8 <= n; j += 8) {
            float *c0 = C + j, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            v4f x0 = LD4(c0), y0 = LD4(c0 + 4), x1 = LD4(c1), y1 = LD4(c1 + 4);
            v4f x2 = LD4(c2), y2 = LD4(c2 + 4), x3 = LD4(c3), y3 = LD4(c3 + 4);
            const float *a = A, *b = B + j;
            for (int k = 0; k < K; k++, a += aks, b += ldb) {
                v4f bl = LD4(b), bh = LD4(b + 4);
                float a0 = a[0], a1 = a[ars], a2 = a[2 * ars], a3 = a[3 * ars];
                x0 += a0 * bl; y0 += a0 * bh;
                x1 += a1 * bl; y1 += a1 * bh;
                x2 += a2 * bl; y2 += a2 * bh;
                x3 += a3 * bl; y3 += a3 * bh;
            }
            ST4(c0, x0); ST4(c0 + 4, y0); ST4(c1, x1); ST4(c1 + 4, y1);
            ST4(c2, x2); ST4(c2 + 4, y2); ST4(c3, x3); ST4(c3 + 4, y3);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *c = C + (long)r * ldc;
        int jj = j;
        for (; jj + 4 <= n; jj += 4) {
            v4f x = LD4(c + jj);
            const float *a = A + r * ars, *b = B + jj;
            for (int k = 0; k < K; k++, a += aks, b += ldb)
                x += a[0] * LD4(b);
            ST4(c + jj, x);
        }
        for (; jj < n; jj++) {
            float x = c[jj];
            const float *a = A + r * ars, *b = B + jj;
            for (int k = 0; k < K; k++, a += aks, b += ldb)
                x += a[0] * b[0];
            c[jj] = x;
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* x86 with AVX2 and FMA: tiles of 4 rows by 2 vectors, fused multiply-adds, and a
 * scalar fmaf tail, so that every element is the same chain of fused operations. */
#define X86_PANEL(NAME, TARGET, VEC, W, LOAD, STORE, SET1, FMA)                                  \
    __attribute__((target(TARGET))) static void NAME(int rows, int n, int K, const float *A,    \
                                                     long ars, long aks, const float *B, int ldb, \
                                                     float *C, int ldc)                          \
    {                                                                                            \
        int j = 0;                                                                               \
        if (rows == 4) {                                                                         \
            for (; j + 2 * W <= n; j += 2 * W) {                                                 \
                float *c0 = C + j, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;               \
                VEC x0 = LOAD(c0), y0 = LOAD(c0 + W), x1 = LOAD(c1), y1 = LOAD(c1 + W);          \
                VEC x2 = LOAD(c2), y2 = LOAD(c2 + W), x3 = LOAD(c3), y3 = LOAD(c3 + W);          \
                const float *a = A, *b = B + j;                                                  \
                for (int k = 0; k < K; k++, a += aks, b += ldb) {                                \
                    VEC bl = LOAD(b), bh = LOAD(b + W);                                          \
                    VEC a0 = SET1(a[0]), a1 = SET1(a[ars]), a2 = SET1(a[2 * ars]),               \
                        a3 = SET1(a[3 * ars]);                                                   \
                    x0 = FMA(a0, bl, x0); y0 = FMA(a0, bh, y0);                                  \
                    x1 = FMA(a1, bl, x1); y1 = FMA(a1, bh, y1);                                  \
                    x2 = FMA(a2, bl, x2); y2 = FMA(a2, bh, y2);                                  \
                    x3 = FMA(a3, bl, x3); y3 = FMA(a3, bh, y3);                                  \
                }                                                                                \
                STORE(c0, x0); STORE(c0 + W, y0); STORE(c1, x1); STORE(c1 + W, y1);              \
                STORE(c2, x2); STORE(c2 + W, y2); STORE(c3, x3); STORE(c3 + W, y3);              \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < rows; r++) {                                                         \
            float *c = C + (long)r * ldc;                                                        \
            int jj = j;                                                                          \
            for (; jj + 4 * W <= n; jj += 4 * W) { /* four chains in flight, for one row */      \
                float *cj = c + jj;                                                              \
                VEC x0 = LOAD(cj), x1 = LOAD(cj + W), x2 = LOAD(cj + 2 * W),                     \
                    x3 = LOAD(cj + 3 * W);                                                       \
                const float *a = A + r * ars, *b = B + jj;                                       \
                for (int k = 0; k < K; k++, a += aks, b += ldb) {                                \
                    VEC ak = SET1(a[0]);                                                         \
                    x0 = FMA(ak, LOAD(b), x0);                                                   \
                    x1 = FMA(ak, LOAD(b + W), x1);                                               \
                    x2 = FMA(ak, LOAD(b + 2 * W), x2);                                           \
                    x3 = FMA(ak, LOAD(b + 3 * W), x3);                                           \
                }                                                                                \
                STORE(cj, x0); STORE(cj + W, x1); STORE(cj + 2 * W, x2); STORE(cj + 3 * W, x3);  \
            }                                                                                    \
            for (; jj + W <= n; jj += W) {                                                       \
                VEC x = LOAD(c + jj);                                                            \
                const float *a = A + r * ars, *b = B + jj;                                       \
                for (int k = 0; k < K; k++, a += aks, b += ldb)                                  \
                    x = FMA(SET1(a[0]), LOAD(b), x);                                             \
                STORE(c + jj, x);                                                                \
            }                                                                                    \
            for (; jj < n; jj++) {                                                               \
                float x = c[jj];                                                                 \
                const float *a = A + r * ars, *b = B + jj;                                       \
                for (int k = 0; k < K; k++, a += aks, b += ldb)                                  \
                    x = __builtin_fmaf(a[0], b[0], x);                                           \
                c[jj] = x;                                                                       \
            }                                                                                    \
        }                                                                                        \
    }

X86_PANEL(panel_avx2, "avx2,fma", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps,
          _mm256_fmadd_ps)

/* ---- products with a packed B: panels of 32 columns, each (K, 32) contiguous ----
 * A tile of R rows keeps its 32 columns of C in registers over the whole of K, reading B
 * in order; the last panel is padded with zero columns, and only the real ones are stored.
 * Each element is the same chain of fused multiply-adds as in the panels above. */
#define PK_ROW_INIT(r)                                                                           \
    if (R > r) {                                                                                 \
        x##r = acc ? _mm512_maskz_loadu_ps(ml, C + r * ldc) : _mm512_setzero_ps();               \
        y##r = acc ? _mm512_maskz_loadu_ps(mh, C + r * ldc + 16) : _mm512_setzero_ps();          \
    }
#define PK_ROW_FMA(r)                                                                            \
    if (R > r) {                                                                                 \
        __m512 t = _mm512_set1_ps(A[r * ars]);                                                   \
        x##r = _mm512_fmadd_ps(t, bl, x##r);                                                     \
        y##r = _mm512_fmadd_ps(t, bh, y##r);                                                     \
    }
#define PK_ROW_STORE(r)                                                                          \
    if (R > r) {                                                                                 \
        _mm512_mask_storeu_ps(C + r * ldc, ml, x##r);                                            \
        _mm512_mask_storeu_ps(C + r * ldc + 16, mh, y##r);                                       \
    }
#define PK_ROWS(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

__attribute__((target("avx512f,fma"), always_inline)) static inline void
pk_tile_avx512(const int R, int K, const float *A, long ars, long aks, const float *Bp, float *C,
               long ldc, int ncols, int acc)
{
    __mmask16 ml = ncols >= 16 ? 0xFFFF : (__mmask16)((1u << ncols) - 1);
    __mmask16 mh = ncols >= 32 ? 0xFFFF : ncols <= 16 ? 0 : (__mmask16)((1u << (ncols - 16)) - 1);
    __m512 x0, y0, x1, y1, x2, y2, x3, y3, x4, y4, x5, y5, x6, y6, x7, y7;
    x0 = y0 = x1 = y1 = x2 = y2 = x3 = y3 = x4 = y4 = x5 = y5 = x6 = y6 = x7 = y7 =
        _mm512_setzero_ps();
    PK_ROWS(PK_ROW_INIT)
    for (int k = 0; k < K; k++, A += aks, Bp += 32) {
        __m512 bl = _mm512_loadu_ps(Bp), bh = _mm512_loadu_ps(Bp + 16);
        PK_ROWS(PK_ROW_FMA)
    }
    PK_ROWS(PK_ROW_STORE)
}

/* rows x ncols of C from one packed panel: 8 rows at a time, then the rest */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
pk_rows_avx512(int rows, int K, const float *A, long ars, long aks, const float *Bp, float *C,
               long ldc, int ncols, int acc)
{
    int i = 0;
#define PK_TILE(R) pk_tile_avx512(R, K, A + i * ars, ars, aks, Bp, C + i * ldc, ldc, ncols, acc)
    for (; i + 8 <= rows; i += 8) PK_TILE(8);
    switch (rows - i) {
    case 7: PK_TILE(7); break;
    case 6: PK_TILE(6); break;
    case 5: PK_TILE(5); break;
    case 4: PK_TILE(4); break;
    case 3: PK_TILE(3); break;
    case 2: PK_TILE(2); break;
    case 1: PK_TILE(1); break;
    default: break;
    }
#undef PK_TILE
}

/* A(i, k) = A[i * ars + k * aks]; one of the strides is 1, and each case is compiled apart */
__attribute__((target("avx512f,fma"))) static void
pk_panel_avx512(int rows, int K, const float *A, long ars, long aks, const float *Bp, float *C,
                long ldc, int ncols, int acc)
{
    if (aks == 1) pk_rows_avx512(rows, K, A, ars, 1, Bp, C, ldc, ncols, acc);
    else pk_rows_avx512(rows, K, A, 1, aks, Bp, C, ldc, ncols, acc);
}
#define HAVE_PK_AVX512 1
#define HAVE_X86_PANELS 1
#endif

int cr_kernel_available(int kind)
{
    switch (kind) {
    case CR_KERNEL_GENERIC: return 1;
#ifdef HAVE_X86_PANELS
    case CR_KERNEL_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CR_KERNEL_AVX512: return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

int cr_kernel_best(void)
{
    if (cr_kernel_available(CR_KERNEL_AVX512)) return CR_KERNEL_AVX512;
    if (cr_kernel_available(CR_KERNEL_AVX2)) return CR_KERNEL_AVX2;
    return CR_KERNEL_GENERIC;
}

const char *cr_kernel_name(int kind)
{
    return kind == CR_KERNEL_AVX512 ? "avx512" : kind == CR_KERNEL_AVX2 ? "avx2" : "generic";
}

static panel_fn *panel_for(int kind)
{
#ifdef HAVE_X86_PANELS
    if (kind == CR_KERNEL_AVX2) return panel_avx2;
#endif
    (void)kind;
    return panel_generic;
}

/* Portable and AVX2 packed panels: the panel is read as an (K, 32) matrix with row stride 32
 * by the unpacked panels above, the padding columns left out; C tiles go through C itself. */
static void pk_panel_via(panel_fn *panel, int tile_rows, int rows, int K, const float *A,
                         long ars, long aks, const float *Bp, float *C, long ldc, int ncols,
                         int acc)
{
    if (!acc)
        for (int i = 0; i < rows; i++) memset(C + i * ldc, 0, (size_t)ncols * sizeof(float));
    for (int i = 0; i < rows; i += tile_rows) {
        int r = rows - i < tile_rows ? rows - i : tile_rows;
        panel(r, ncols, K, A + i * ars, ars, aks, Bp, 32, C + i * ldc, (int)ldc);
    }
}

static void pk_panel(int kind, int rows, int K, const float *A, long ars, long aks,
                     const float *Bp, float *C, long ldc, int ncols, int acc)
{
#ifdef HAVE_PK_AVX512
    if (kind == CR_KERNEL_AVX512) {
        pk_panel_avx512(rows, K, A, ars, aks, Bp, C, ldc, ncols, acc);
        return;
    }
#endif
    pk_panel_via(panel_for(kind), 4, rows, K, A, ars, aks, Bp, C, ldc, ncols, acc);
}

void cr_pk_panel(int kind, int rows, int K, const float *A, long ars, long aks, const float *Bp,
                 float *C, long ldc, int ncols, int acc)
{
    pk_panel(kind, rows, K, A, ars, aks, Bp, C, ldc, ncols, acc);
}

size_t cr_packed_floats(int K, int N) { return (size_t)((N + 31) / 32) * 32 * (size_t)K; }

/* Panel p of B(K, N) (row stride ldb, or given transposed) into out (K, 32). */
static void pack_panel(const float *B, int K, int N, long ldb, int transposed, int p, float *out)
{
    int j0 = p * 32, n = N - j0 < 32 ? N - j0 : 32;
    for (int k = 0; k < K; k++) {
        float *o = out + k * 32;
        if (transposed)
            for (int c = 0; c < n; c++) o[c] = B[(long)(j0 + c) * ldb + k];
        else
            memcpy(o, B + (long)k * ldb + j0, (size_t)n * sizeof(float));
        for (int c = n; c < 32; c++) o[c] = 0.0f;
    }
}

typedef struct pack_job {
    const float *B;
    int K, N, ldb, transposed;
    float *out;
} pack_job;

static void pack_task(void *ctx, int task, int ntasks)
{
    const pack_job *j = ctx;
    int p0, p1;
    cr_split((j->N + 31) / 32, task, ntasks, &p0, &p1); /* panels of 32 columns */
    for (int p = p0; p < p1; p++)
        pack_panel(j->B, j->K, j->N, j->ldb, j->transposed, p, j->out + (size_t)p * 32 * j->K);
}

void cr_pack(cr_pool *p, const float *B, int K, int N, int ldb, int transposed, float *out)
{
    pack_job j = {B, K, N, ldb, transposed, out};
    if (p && (long)K * N >= 65536) cr_pool_run(p, pack_task, &j);
    else pack_task(&j, 0, 1);
}

typedef struct pk_job {
    int kind;
    int M, N, K;
    const float *A;
    long ars, aks;
    const float *Bp;  /* packed B, or NULL: B as it is, packed here a chunk at a time */
    const float *B;
    long ldb;
    float *C;
    long ldc;
    int acc;
} pk_job;

#define PK_MC 128 /* rows of A per pass over a thread's panels: 128 x K floats stay in L2 */
#define PK_KC 256 /* rows of an unpacked B per packed chunk: 256 x 32 floats (32 KB) */

/* Panels [p0, p1) of a product with a packed B. Chunks of PK_KC rows of a panel stay in L1
 * while the row tiles pass. */
static void pk_packed_panels(const pk_job *j, int p0, int p1)
{
    for (int i0 = 0; i0 < j->M; i0 += PK_MC) {
        int rows = j->M - i0 < PK_MC ? j->M - i0 : PK_MC;
        for (int p = p0; p < p1; p++) {
            int ncols = j->N - p * 32 < 32 ? j->N - p * 32 : 32;
            for (int k0 = 0; k0 < j->K; k0 += PK_KC) {
                int k = j->K - k0 < PK_KC ? j->K - k0 : PK_KC;
                pk_panel(j->kind, rows, k, j->A + i0 * j->ars + k0 * j->aks, j->ars, j->aks,
                         j->Bp + ((size_t)p * j->K + (size_t)k0) * 32,
                         j->C + i0 * j->ldc + p * 32, j->ldc, ncols, k0 ? 1 : j->acc);
            }
        }
    }
}

/* Each thread takes whole panels, the same ones at every call, so its slice of the weights
 * stays in its own cache. */
static void pk_task(void *ctx, int task, int ntasks)
{
    const pk_job *j = ctx;
    int panels = (j->N + 31) / 32, per = (panels + ntasks - 1) / ntasks;
    int p0 = task * per, p1 = p0 + per < panels ? p0 + per : panels;
    if (j->Bp) {
        pk_packed_panels(j, p0, p1);
        return;
    }
    _Alignas(64) float chunk[PK_KC * 32]; /* (k, 32) of one panel */
    for (int k0 = 0; k0 < j->K; k0 += PK_KC) {
        int k = j->K - k0 < PK_KC ? j->K - k0 : PK_KC;
        for (int p = p0; p < p1; p++) {
            int ncols = j->N - p * 32 < 32 ? j->N - p * 32 : 32;
            pack_panel(j->B + k0 * j->ldb, k, j->N, j->ldb, 0, p, chunk);
            pk_panel(j->kind, j->M, k, j->A + k0 * j->aks, j->ars, j->aks, chunk, j->C + p * 32,
                     j->ldc, ncols, k0 ? 1 : j->acc);
        }
    }
}

static void pk_run(cr_pool *p, pk_job *j)
{
    if (j->M <= 0 || j->N <= 0) return;
    if ((double)j->M * j->N * j->K < 32768.0 || !p) pk_task(j, 0, 1);
    else cr_pool_run(p, pk_task, j);
}

void cr_mm_nn_packed_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                          const float *Bp, float *C, int ldc, int accumulate)
{
    pk_job j = {kind, M, N, K, A, lda, 1, Bp, NULL, 0, C, ldc, accumulate};
    pk_run(p, &j);
}

void cr_mm_nn_packed_cols(int M, int N, int K, const float *A, int lda, const float *Bp, float *C,
                          int ldc, int accumulate, int j0, int j1)
{
    pk_job j = {cr_kernel_best(), M, N, K, A, lda, 1, Bp, NULL, 0, C, ldc, accumulate};
    pk_packed_panels(&j, j0 / 32, (j1 + 31) / 32);
}

void cr_mm_nn_packed(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *Bp,
                     float *C, int ldc, int accumulate)
{
    cr_mm_nn_packed_kind(cr_kernel_best(), p, M, N, K, A, lda, Bp, C, ldc, accumulate);
}

void cr_mm_nn_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, float *C, int ldc, int accumulate)
{
    pk_job j = {kind, M, N, K, A, lda, 1, NULL, B, ldb, C, ldc, accumulate};
    pk_run(p, &j);
}

void cr_mm_tn_acc_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float *C, int ldc)
{
    pk_job j = {kind, M, N, K, A, 1, lda, NULL, B, ldb, C, ldc, 1};
    pk_run(p, &j);
}

void cr_mm_nn(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float *C, int ldc, int accumulate)
{
    cr_mm_nn_kind(cr_kernel_best(), p, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void cr_mm_tn_acc(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *B,
                  int ldb, float *C, int ldc)
{
    cr_mm_tn_acc_kind(cr_kernel_best(), p, M, N, K, A, lda, B, ldb, C, ldc);
}
