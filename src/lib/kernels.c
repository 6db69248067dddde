/* kernels.c: the matrix products of training and sampling, row-major, split over threads. */
#include "internal.h"

#include <string.h>

#define NB 512 /* columns of C kept in cache at once */

/* C rows [0, rows) (rows <= 4), columns [0, n): C(i, j) += sum_k A(i, k) B(k, j), where
 * A(i, k) = A[i * ars + k * aks]. The sum over k runs in order for every element. */
static void panel(int rows, int n, int K, const float *A, long ars, long aks, const float *B,
                  int ldb, float *C, int ldc)
{
    float *c0 = C, *c1 = C + ldc, *c2 = C + 2L * ldc, *c3 = C + 3L * ldc;
    if (rows == 4) {
        for (int k = 0; k < K; k++) {
            const float *b = B + (long)k * ldb;
            float a0 = A[k * aks], a1 = A[ars + k * aks], a2 = A[2 * ars + k * aks],
                  a3 = A[3 * ars + k * aks];
            for (int j = 0; j < n; j++) {
                float bj = b[j];
                c0[j] += a0 * bj;
                c1[j] += a1 * bj;
                c2[j] += a2 * bj;
                c3[j] += a3 * bj;
            }
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        float *c = C + (long)r * ldc;
        for (int k = 0; k < K; k++) {
            const float *b = B + (long)k * ldb;
            float a = A[r * ars + k * aks];
            for (int j = 0; j < n; j++)
                c[j] += a * b[j];
        }
    }
}

typedef struct mm_job {
    int M, N, K;
    const float *A;
    long ars, aks;
    const float *B;
    int ldb;
    float *C;
    int ldc;
    int accumulate;
} mm_job;

/* Rows of C in [i0, i1), columns in [j0, j1). */
static void mm_block(const mm_job *j, int i0, int i1, int j0, int j1)
{
    if (!j->accumulate)
        for (int i = i0; i < i1; i++)
            memset(j->C + (long)i * j->ldc + j0, 0, (size_t)(j1 - j0) * sizeof(float));
    for (int jb = j0; jb < j1; jb += NB) {
        int n = j1 - jb < NB ? j1 - jb : NB;
        for (int i = i0; i < i1; i += 4) {
            int rows = i1 - i < 4 ? i1 - i : 4;
            panel(rows, n, j->K, j->A + i * j->ars, j->ars, j->aks, j->B + jb, j->ldb,
                  j->C + (long)i * j->ldc + jb, j->ldc);
        }
    }
}

/* Splits rows when there are enough, else columns in multiples of 16. */
static void mm_task(void *ctx, int task, int ntasks)
{
    const mm_job *j = ctx;
    if (j->M >= 4 * ntasks) {
        int per = (j->M / ntasks + 3) & ~3;
        int i0 = task * per, i1 = i0 + per < j->M ? i0 + per : j->M;
        if (i0 < i1) mm_block(j, i0, i1, 0, j->N);
    } else {
        int per = ((j->N + ntasks - 1) / ntasks + 15) & ~15;
        int c0 = task * per, c1 = c0 + per < j->N ? c0 + per : j->N;
        if (c0 < c1) mm_block(j, 0, j->M, c0, c1);
    }
}

static void mm_run(cr_pool *p, mm_job *j)
{
    if (j->M <= 0 || j->N <= 0) return;
    /* small products are not worth waking the workers for */
    if ((double)j->M * j->N * j->K < 32768.0) mm_task(j, 0, 1);
    else cr_pool_run(p, mm_task, j);
}

void cr_mm_nn(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float *C, int ldc, int accumulate)
{
    mm_job j = {M, N, K, A, lda, 1, B, ldb, C, ldc, accumulate};
    mm_run(p, &j);
}

void cr_mm_tn_acc(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *B,
                  int ldb, float *C, int ldc)
{
    mm_job j = {M, N, K, A, 1, lda, B, ldb, C, ldc, 1};
    mm_run(p, &j);
}

void cr_transpose(const float *in, int M, int N, float *out)
{
    for (int i0 = 0; i0 < M; i0 += 32)
        for (int j0 = 0; j0 < N; j0 += 32)
            for (int i = i0; i < M && i < i0 + 32; i++)
                for (int j = j0; j < N && j < j0 + 32; j++)
                    out[(long)j * M + i] = in[(long)i * N + j];
}

void cr_colsum_acc(const float *X, int M, int N, int ldx, float *y)
{
    for (int i = 0; i < M; i++) {
        const float *x = X + (long)i * ldx;
        for (int j = 0; j < N; j++)
            y[j] += x[j];
    }
}
