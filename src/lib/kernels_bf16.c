/* kernels_bf16.c: the training products with inputs rounded to bfloat16 and sums in float32
 * (--precision bf16), as PyTorch's autocast does. B is packed as bf16 pairs along K: panel p of
 * 32 columns is ((K + 1) / 2, 32) 32-bit words, word (r, c) holding the bf16 of B(2r, c) in its
 * low half and of B(2r + 1, c) in its high half (0 past K). A is rounded a block at a time.
 * Two kernels, chosen at run time: AVX-512 BF16 (vdpbf16ps: a pair of products per lane and
 * instruction), and everywhere else the float32 kernels of kernels.c on the rounded values. The
 * product of two bf16 is exact in float32, so the latter is, bit for bit on every machine, the
 * sum in k order of the exact products, each added with one rounding: the reference. vdpbf16ps
 * adds a pair of products per step and flushes subnormals to zero, so it differs from the
 * reference by float summation order only. */
#include "internal.h"

#include <string.h>

#define BF_MC 128 /* rows of A rounded per block */
#define BF_KC 256 /* values of k per block: even, so that pairs never straddle two blocks */

/* the bf16 of x, rounded to nearest, ties to even; a NaN stays a (quiet) NaN */
static inline uint32_t bf_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u >> 16) | 0x40u;
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
}

/* x rounded to bf16, as a float */
static inline float bf_round(float x)
{
    uint32_t u = bf_bits(x) << 16;
    float r;
    memcpy(&r, &u, sizeof r);
    return r;
}

static inline float bf_lo(uint32_t w)
{
    uint32_t u = w << 16;
    float r;
    memcpy(&r, &u, sizeof r);
    return r;
}

static inline float bf_hi(uint32_t w)
{
    uint32_t u = w & 0xFFFF0000u;
    float r;
    memcpy(&r, &u, sizeof r);
    return r;
}

size_t cr_packed_bf16_words(int K, int N)
{
    return (size_t)((N + 31) / 32) * 32 * (size_t)((K + 1) / 2);
}

/* Rows [k0, k0 + k) of panel p of B(K, N) (row stride ldb, or given transposed), as k / 2
 * rounded up rows of 32 pairs into out. */
static void pack_pairs(const float *B, int N, long ldb, int transposed, int p, int k0, int k,
                       uint32_t *out)
{
    int j0 = p * 32, n = N - j0 < 32 ? N - j0 : 32;
    for (int r = 0; r < (k + 1) / 2; r++) {
        uint32_t *o = out + r * 32;
        int ka = k0 + 2 * r, two = 2 * r + 1 < k;
        if (transposed) {
            for (int c = 0; c < n; c++) {
                const float *b = B + (long)(j0 + c) * ldb + ka;
                o[c] = bf_bits(b[0]) | (two ? bf_bits(b[1]) << 16 : 0u);
            }
        } else {
            const float *b0 = B + (long)ka * ldb + j0, *b1 = b0 + ldb;
            if (two)
                for (int c = 0; c < n; c++) o[c] = bf_bits(b0[c]) | bf_bits(b1[c]) << 16;
            else
                for (int c = 0; c < n; c++) o[c] = bf_bits(b0[c]);
        }
        for (int c = n; c < 32; c++) o[c] = 0;
    }
}

typedef struct bpack_job {
    const float *B;
    int K, N, ldb, transposed;
    uint32_t *out;
} bpack_job;

static void bpack_task(void *ctx, int task, int ntasks)
{
    const bpack_job *j = ctx;
    int p0, p1;
    cr_split((j->N + 31) / 32, task, ntasks, &p0, &p1);
    size_t panel = (size_t)32 * ((j->K + 1) / 2);
    for (int p = p0; p < p1; p++)
        pack_pairs(j->B, j->N, j->ldb, j->transposed, p, 0, j->K, j->out + (size_t)p * panel);
}

void cr_pack_bf16(cr_pool *p, const float *B, int K, int N, int ldb, int transposed,
                  uint32_t *out)
{
    bpack_job j = {B, K, N, ldb, transposed, out};
    if (p && (long)K * N >= 65536) cr_pool_run(p, bpack_task, &j);
    else bpack_task(&j, 0, 1);
}

/* ---- AVX-512 BF16: tiles of up to 8 rows x 32 columns, C in registers over a block of K ---- */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BT_ROW_INIT(r)                                                                           \
    if (R > r) {                                                                                 \
        x##r = acc ? _mm512_maskz_loadu_ps(ml, C + r * ldc) : _mm512_setzero_ps();               \
        y##r = acc ? _mm512_maskz_loadu_ps(mh, C + r * ldc + 16) : _mm512_setzero_ps();          \
    }
#define BT_ROW_DP(r)                                                                             \
    if (R > r) {                                                                                 \
        __m512bh t = (__m512bh)_mm512_set1_epi32((int)Ap[r * (BF_KC / 2)]);                      \
        x##r = _mm512_dpbf16_ps(x##r, t, bl);                                                    \
        y##r = _mm512_dpbf16_ps(y##r, t, bh);                                                    \
    }
#define BT_ROW_STORE(r)                                                                          \
    if (R > r) {                                                                                 \
        _mm512_mask_storeu_ps(C + r * ldc, ml, x##r);                                            \
        _mm512_mask_storeu_ps(C + r * ldc + 16, mh, y##r);                                       \
    }
#define BT_ROWS(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

/* Ap: R rows of kp pairs, row stride BF_KC / 2; Bp: kp rows of 32 pairs */
__attribute__((target("avx512f,avx512bf16"), always_inline)) static inline void
bt_tile(const int R, int kp, const uint32_t *Ap, const uint32_t *Bp, float *C, long ldc,
        int ncols, int acc)
{
    __mmask16 ml = ncols >= 16 ? 0xFFFF : (__mmask16)((1u << ncols) - 1);
    __mmask16 mh = ncols >= 32 ? 0xFFFF : ncols <= 16 ? 0 : (__mmask16)((1u << (ncols - 16)) - 1);
    __m512 x0, y0, x1, y1, x2, y2, x3, y3, x4, y4, x5, y5, x6, y6, x7, y7;
    x0 = y0 = x1 = y1 = x2 = y2 = x3 = y3 = x4 = y4 = x5 = y5 = x6 = y6 = x7 = y7 =
        _mm512_setzero_ps();
    BT_ROWS(BT_ROW_INIT)
    for (int q = 0; q < kp; q++, Ap++, Bp += 32) {
        __m512bh bl = (__m512bh)_mm512_loadu_si512(Bp), bh = (__m512bh)_mm512_loadu_si512(Bp + 16);
        BT_ROWS(BT_ROW_DP)
    }
    BT_ROWS(BT_ROW_STORE)
}

__attribute__((target("avx512f,avx512bf16"))) static void
bt_panel(int rows, int kp, const uint32_t *Ap, const uint32_t *Bp, float *C, long ldc, int ncols,
         int acc)
{
    int i = 0;
#define BT_TILE(R) bt_tile(R, kp, Ap + i * (BF_KC / 2), Bp, C + i * ldc, ldc, ncols, acc)
    for (; i + 8 <= rows; i += 8) BT_TILE(8);
    switch (rows - i) {
    case 7: BT_TILE(7); break;
    case 6: BT_TILE(6); break;
    case 5: BT_TILE(5); break;
    case 4: BT_TILE(4); break;
    case 3: BT_TILE(3); break;
    case 2: BT_TILE(2); break;
    case 1: BT_TILE(1); break;
    default: break;
    }
#undef BT_TILE
}

/* The rounding of bf_bits on 16 floats, before the shift: the bf16 is the high half of each
 * lane (a NaN made quiet). vdpbf16ps ignores subnormal inputs anyway. */
__attribute__((target("avx512f"), always_inline)) static inline __m512i bt_bias(__m512 x)
{
    __m512i u = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    return _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(u, _mm512_set1_epi32(0x00400000)));
}

/* pairs of 16 lanes: bf16 of lo in the low halves, of hi in the high halves */
__attribute__((target("avx512f"), always_inline)) static inline __m512i bt_pair(__m512 lo,
                                                                                __m512 hi)
{
    return _mm512_or_si512(_mm512_srli_epi32(bt_bias(lo), 16),
                           _mm512_and_si512(bt_bias(hi), _mm512_set1_epi32((int)0xFFFF0000u)));
}

/* pack_pairs for a B as it is (not transposed), 32 columns at a time */
__attribute__((target("avx512f"))) static void bt_pack_pairs(const float *B, int N, long ldb,
                                                             int p, int k0, int k, uint32_t *out)
{
    int j0 = p * 32, n = N - j0 < 32 ? N - j0 : 32;
    __mmask16 ml = n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
    __mmask16 mh = n >= 32 ? 0xFFFF : n <= 16 ? 0 : (__mmask16)((1u << (n - 16)) - 1);
    for (int r = 0; r < (k + 1) / 2; r++) {
        const float *b0 = B + (long)(k0 + 2 * r) * ldb + j0, *b1 = b0 + ldb;
        int two = 2 * r + 1 < k;
        __m512 z = _mm512_setzero_ps();
        __m512 l0 = _mm512_maskz_loadu_ps(ml, b0), h0 = _mm512_maskz_loadu_ps(mh, b0 + 16);
        __m512 l1 = two ? _mm512_maskz_loadu_ps(ml, b1) : z;
        __m512 h1 = two ? _mm512_maskz_loadu_ps(mh, b1 + 16) : z;
        _mm512_storeu_si512(out + r * 32, bt_pair(l0, l1));
        _mm512_storeu_si512(out + r * 32 + 16, bt_pair(h0, h1));
    }
}

/* round_a's pairs for A(i, k) = A[i * ars + k], rows x k from A: 16 pairs at a time */
__attribute__((target("avx512f"))) static void bt_round_rows(const float *A, long ars, int rows,
                                                             int k, uint32_t *pairs)
{
    for (int i = 0; i < rows; i++) {
        const float *a = A + (long)i * ars;
        uint32_t *o = pairs + i * (BF_KC / 2);
        for (int q = 0; q < k; q += 32) { /* floats q .. q + 31: pairs q / 2 .. q / 2 + 15 */
            int left = k - q;
            __mmask16 ml = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
            __mmask16 mh = left >= 32 ? 0xFFFF : left <= 16 ? 0
                                               : (__mmask16)((1u << (left - 16)) - 1);
            __m512i v[2];
            v[0] = bt_bias(_mm512_maskz_loadu_ps(ml, a + q));
            v[1] = bt_bias(_mm512_maskz_loadu_ps(mh, a + q + 16));
            for (int h = 0; h < 2; h++) { /* even lanes to the low half, odd to the high */
                __m512i hi = _mm512_and_si512(v[h], _mm512_set1_epi32((int)0xFFFF0000u));
                __m512i w = _mm512_mask_blend_epi32((__mmask16)0xAAAA,
                                                    _mm512_srli_epi32(v[h], 16), hi);
                w = _mm512_or_si512(w, _mm512_srli_epi64(w, 32));
                int np = (left - 16 * h + 1) / 2;
                np = np < 0 ? 0 : np > 8 ? 8 : np;
                if (np)
                    _mm512_mask_cvtepi64_storeu_epi32(o + q / 2 + 8 * h,
                                                      (__mmask8)((1u << np) - 1), w);
            }
        }
    }
}

/* round_a's pairs for A(i, k) = A[i + k * aks] (a transposed A): 16 rows at a time */
__attribute__((target("avx512f"))) static void bt_round_cols(const float *A, long aks, int rows,
                                                             int k, uint32_t *pairs)
{
    __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                                       12, 13, 14, 15),
                                     _mm512_set1_epi32(BF_KC / 2));
    for (int i = 0; i < rows; i += 16) {
        int left = rows - i;
        __mmask16 m = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        for (int q = 0; q < (k + 1) / 2; q++) {
            const float *e = A + (long)(2 * q) * aks + i;
            __m512 lo = _mm512_maskz_loadu_ps(m, e);
            __m512 hi = 2 * q + 1 < k ? _mm512_maskz_loadu_ps(m, e + aks) : _mm512_setzero_ps();
            _mm512_mask_i32scatter_epi32(pairs + i * (BF_KC / 2) + q, m, idx, bt_pair(lo, hi), 4);
        }
    }
}
#define HAVE_BT_AVX512 1
#endif

int cr_bf16_kernel_available(int kind)
{
    switch (kind) {
    case CR_BF16_ROUNDED: return 1;
#ifdef HAVE_BT_AVX512
    case CR_BF16_AVX512: return __builtin_cpu_supports("avx512bf16");
#endif
    default: return 0;
    }
}

int cr_bf16_kernel_best(void)
{
    return cr_bf16_kernel_available(CR_BF16_AVX512) ? CR_BF16_AVX512 : CR_BF16_ROUNDED;
}

const char *cr_bf16_kernel_name(int kind)
{
    return kind == CR_BF16_AVX512 ? "avx512-bf16" : "rounded-fp32";
}

typedef struct bf_job {
    int kind;
    int M, N, K;
    const float *A;
    long ars, aks;       /* A(i, k) = A[i * ars + k * aks] */
    const uint32_t *Bp;  /* B packed by cr_pack_bf16, or NULL: B as it is, a block at a time */
    const float *B;
    long ldb;
    float *C;
    long ldc;
    int acc;
} bf_job;

/* rows x k of A from (i0, k0), rounded: as pairs (row stride BF_KC / 2, 0 past k) or floats
 * (row stride BF_KC) */
static void round_a(const bf_job *j, int i0, int rows, int k0, int k, uint32_t *pairs,
                    float *floats)
{
#ifdef HAVE_BT_AVX512
    if (pairs && j->aks == 1) {
        bt_round_rows(j->A + (long)i0 * j->ars + k0, j->ars, rows, k, pairs);
        return;
    }
    if (pairs && j->ars == 1) {
        bt_round_cols(j->A + i0 + (long)k0 * j->aks, j->aks, rows, k, pairs);
        return;
    }
#endif
    for (int i = 0; i < rows; i++) {
        const float *a = j->A + (long)(i0 + i) * j->ars + (long)k0 * j->aks;
        if (pairs) {
            uint32_t *o = pairs + i * (BF_KC / 2);
            for (int q = 0; q < k / 2; q++)
                o[q] = bf_bits(a[2 * q * j->aks]) | bf_bits(a[(2 * q + 1) * j->aks]) << 16;
            if (k & 1) o[k / 2] = bf_bits(a[(k - 1) * j->aks]);
        } else {
            float *o = floats + i * BF_KC;
            for (int q = 0; q < k; q++) o[q] = bf_round(a[q * j->aks]);
        }
    }
}

/* Panels [p0, p1) of the product, on the calling thread. */
static void bf_panels(const bf_job *j, int p0, int p1)
{
    _Alignas(64) uint32_t bchunk[BF_KC / 2 * 32]; /* (k / 2, 32) pairs of one panel */
    _Alignas(64) float bfl[BF_KC * 32];           /* (k, 32) of one panel, rounded */
    _Alignas(64) uint32_t ap[BF_MC * (BF_KC / 2)]; /* A's block as pairs, for vdpbf16ps */
    _Alignas(64) float af[BF_MC * BF_KC];           /* A's block rounded, for the fp32 kernels */
    int hw = j->kind == CR_BF16_AVX512, fk = cr_kernel_best();
    size_t panel = (size_t)32 * ((j->K + 1) / 2);
    for (int i0 = 0; i0 < j->M; i0 += BF_MC) {
        int rows = j->M - i0 < BF_MC ? j->M - i0 : BF_MC;
        for (int k0 = 0; k0 < j->K; k0 += BF_KC) {
            int k = j->K - k0 < BF_KC ? j->K - k0 : BF_KC, kp = (k + 1) / 2;
            round_a(j, i0, rows, k0, k, hw ? ap : NULL, af);
            for (int p = p0; p < p1; p++) {
                int ncols = j->N - p * 32 < 32 ? j->N - p * 32 : 32, acc = k0 ? 1 : j->acc;
                float *C = j->C + (long)i0 * j->ldc + p * 32;
                const uint32_t *bp = j->Bp ? j->Bp + (size_t)p * panel + (size_t)(k0 / 2) * 32
                                           : bchunk;
                if (!j->Bp) {
#ifdef HAVE_BT_AVX512
                    if (hw) bt_pack_pairs(j->B, j->N, j->ldb, p, k0, k, bchunk);
                    else
#endif
                        pack_pairs(j->B, j->N, j->ldb, 0, p, k0, k, bchunk);
                }
#ifdef HAVE_BT_AVX512
                if (hw) {
                    bt_panel(rows, kp, ap, bp, C, j->ldc, ncols, acc);
                    continue;
                }
#endif
                for (int q = 0; q < kp; q++)
                    for (int c = 0; c < 32; c++) {
                        bfl[2 * q * 32 + c] = bf_lo(bp[q * 32 + c]);
                        if (2 * q + 1 < k) bfl[(2 * q + 1) * 32 + c] = bf_hi(bp[q * 32 + c]);
                    }
                cr_pk_panel(fk, rows, k, af, BF_KC, 1, bfl, C, j->ldc, ncols, acc);
            }
        }
    }
}

/* Each thread takes whole panels, the same ones at every call, as in kernels.c. */
static void bf_task(void *ctx, int task, int ntasks)
{
    const bf_job *j = ctx;
    int panels = (j->N + 31) / 32, per = (panels + ntasks - 1) / ntasks;
    int p0 = task * per, p1 = p0 + per < panels ? p0 + per : panels;
    if (p0 < p1) bf_panels(j, p0, p1);
}

static void bf_run(cr_pool *p, bf_job *j)
{
    if (j->M <= 0 || j->N <= 0) return;
    if ((double)j->M * j->N * j->K < 32768.0 || !p) bf_task(j, 0, 1);
    else cr_pool_run(p, bf_task, j);
}

void cr_mm_nn_packed_bf16_kind(int kind, cr_pool *p, int M, int N, int K, const float *A,
                               int lda, const uint32_t *Bp, float *C, int ldc, int accumulate)
{
    bf_job j = {kind, M, N, K, A, lda, 1, Bp, NULL, 0, C, ldc, accumulate};
    bf_run(p, &j);
}

void cr_mm_tn_acc_bf16_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                            const float *B, int ldb, float *C, int ldc)
{
    bf_job j = {kind, M, N, K, A, 1, lda, NULL, B, ldb, C, ldc, 1};
    bf_run(p, &j);
}

/* ---- the products of training at a precision (CR_FP32 or CR_BF16): packed weights are in
 * the float buffers of cr_packed_floats, which hold the bf16 pairs too ---- */
void cr_pack_prec(int prec, cr_pool *p, const float *B, int K, int N, int ldb, int transposed,
                  float *out)
{
    if (prec == CR_BF16) cr_pack_bf16(p, B, K, N, ldb, transposed, (uint32_t *)(void *)out);
    else cr_pack(p, B, K, N, ldb, transposed, out);
}

void cr_mm_nn_packed_prec(int prec, cr_pool *p, int M, int N, int K, const float *A, int lda,
                          const float *Bp, float *C, int ldc, int accumulate)
{
    if (prec == CR_BF16)
        cr_mm_nn_packed_bf16_kind(cr_bf16_kernel_best(), p, M, N, K, A, lda,
                                  (const uint32_t *)(const void *)Bp, C, ldc, accumulate);
    else cr_mm_nn_packed(p, M, N, K, A, lda, Bp, C, ldc, accumulate);
}

void cr_mm_nn_packed_cols_prec(int prec, int M, int N, int K, const float *A, int lda,
                               const float *Bp, float *C, int ldc, int accumulate, int j0, int j1)
{
    if (prec != CR_BF16) {
        cr_mm_nn_packed_cols(M, N, K, A, lda, Bp, C, ldc, accumulate, j0, j1);
        return;
    }
    bf_job j = {cr_bf16_kernel_best(), M, N, K, A, lda, 1, (const uint32_t *)(const void *)Bp,
                NULL, 0, C, ldc, accumulate};
    if (M > 0 && N > 0) bf_panels(&j, j0 / 32, (j1 + 31) / 32);
}

void cr_mm_tn_acc_prec(int prec, cr_pool *p, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float *C, int ldc)
{
    if (prec == CR_BF16)
        cr_mm_tn_acc_bf16_kind(cr_bf16_kernel_best(), p, M, N, K, A, lda, B, ldb, C, ldc);
    else cr_mm_tn_acc(p, M, N, K, A, lda, B, ldb, C, ldc);
}
