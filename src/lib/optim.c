/* optim.c: the learning-rate schedule, global-norm clipping, and the Adam and SGD updates. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Linear warm-up over the first `warmup` steps, then lr_decay per 1000 steps, continuously.
 * It depends only on the step, never on when the run will stop, so resuming changes nothing. */
double cr_lr_at(const cr_config *c, uint64_t step)
{
    double lr = c->lr;
    if (c->warmup > 0 && step < (uint64_t)c->warmup) lr *= (double)(step + 1) / c->warmup;
    return lr * pow(c->lr_decay, (double)step / 1000.0);
}

/* The plan's share used: by steps, exact (a step budget resumes to the same bytes); by seconds,
 * of wall time, so a timed plan's schedule depends on the machine's speed. */
double cr_plan_fraction(const cr_plan *p, uint64_t step, double seconds_used)
{
    double f = 0;
    if (p->steps) f = (double)(step > p->start_step ? step - p->start_step : 0) / (double)p->steps;
    if (p->seconds > 0) f = fmax(f, seconds_used / p->seconds);
    return fmin(fmax(f, 0), 1);
}

int cr_plan_finished(const cr_plan *p, uint64_t step)
{
    return (p->steps && step >= p->start_step && step - p->start_step >= p->steps) ||
           (p->seconds > 0 && p->spent_s >= p->seconds);
}

double cr_plan_lr_scale(const cr_plan *p, double f)
{
    if (p->anneal <= 0 || f <= 1 - p->anneal) return 1;
    return fmax(0, (1 - f) / p->anneal);
}

/* Work on n values is cut into blocks of OPT_BLOCK, whatever the thread count, and each
 * thread takes whole blocks; sums are made per block, then over blocks in order, so a result
 * never depends on the thread count. */
#define OPT_BLOCK 16384

static void block_range(size_t n, int task, int ntasks, size_t *i0, size_t *i1)
{
    int b0, b1; /* blocks: at most 2^31 of them, 3.5e13 parameters */
    cr_split((int)((n + OPT_BLOCK - 1) / OPT_BLOCK), task, ntasks, &b0, &b1);
    *i0 = (size_t)b0 * OPT_BLOCK;
    *i1 = (size_t)b1 * OPT_BLOCK < n ? (size_t)b1 * OPT_BLOCK : n;
}

static void run(cr_pool *p, cr_task_fn fn, void *ctx, size_t n)
{
    if (p && n > 2 * OPT_BLOCK) cr_pool_run(p, fn, ctx);
    else fn(ctx, 0, 1);
}

typedef struct norm_job {
    const float *g;
    size_t n;
    double *partial; /* one sum per block */
} norm_job;

static void norm_task(void *ctx, int task, int ntasks)
{
    norm_job *j = ctx;
    size_t i0, i1;
    block_range(j->n, task, ntasks, &i0, &i1);
    for (size_t b = i0; b < i1; b += OPT_BLOCK) {
        size_t e = b + OPT_BLOCK < i1 ? b + OPT_BLOCK : i1;
        double s = 0;
        for (size_t i = b; i < e; i++)
            s += (double)j->g[i] * j->g[i];
        j->partial[b / OPT_BLOCK] = s;
    }
}

double cr_grad_norm(cr_pool *p, const float *g, size_t n)
{
    size_t blocks = (n + OPT_BLOCK - 1) / OPT_BLOCK;
    double one, *partial = blocks > 1 ? malloc(blocks * sizeof *partial) : &one;
    if (!partial) return NAN; /* out of memory: the caller stops as on a non-finite gradient */
    norm_job j = {g, n, partial};
    run(p, norm_task, &j, n);
    double s = 0;
    for (size_t b = 0; b < blocks; b++)
        s += partial[b];
    if (partial != &one) free(partial);
    return sqrt(s);
}

typedef struct update_job {
    const cr_config *c;
    float *w, *m1, *m2;
    const float *g;
    size_t n;
    float a, c1, c2, gscale;
    float decay; /* lr x weight decay, in double, then rounded: 0 without decay (w - 0 w = w) */
    const cr_optim_out *to;
} update_job;

static void update_task(void *ctx, int task, int ntasks)
{
    const update_job *j = ctx;
    size_t i0, i1;
    block_range(j->n, task, ntasks, &i0, &i1);
    const float *w = j->w, *m1 = j->m1, *m2 = j->m2, *g = j->g;
    float *ow = j->to ? j->to->w : j->w, *om1 = j->to ? j->to->m1 : j->m1;
    float *om2 = j->to ? j->to->m2 : j->m2;
    float a = j->a, gscale = j->gscale, decay = j->decay;
    if (j->c->optimizer == CR_SGD) {
        float mu = (float)j->c->momentum;
        for (size_t i = i0; i < i1; i++) {
            float v = mu * m1[i] + g[i] * gscale;
            om1[i] = v;
            ow[i] = w[i] - decay * w[i] - a * v;
        }
        return;
    }
    /* 1 - beta in double, then rounded, as PyTorch passes it: 1.0f - (float)0.999 would be
     * 1.3e-5 short of 0.001, and every step 6.4e-6 longer */
    float b1 = (float)j->c->beta1, b2 = (float)j->c->beta2, eps = (float)j->c->adam_eps;
    float nb1 = (float)(1.0 - j->c->beta1), nb2 = (float)(1.0 - j->c->beta2);
    float c1 = j->c1, c2 = j->c2;
    for (size_t i = i0; i < i1; i++) {
        float gi = g[i] * gscale;
        float u = b1 * m1[i] + nb1 * gi;
        float v = b2 * m2[i] + nb2 * gi * gi;
        om1[i] = u;
        om2[i] = v;
        ow[i] = w[i] - decay * w[i] - a * (u * c1) / (sqrtf(v * c2) + eps);
    }
}

void cr_optim_update(cr_pool *p, const cr_config *c, float *w, const float *g, float *m1,
                     float *m2, size_t n, uint64_t step, double lr, float gscale,
                     const cr_optim_out *to)
{
    double t = (double)step + 1;
    update_job j = {c, w, m1, m2, g, n, (float)lr,
                    (float)(1.0 / (1.0 - pow(c->beta1, t))), (float)(1.0 / (1.0 - pow(c->beta2, t))),
                    gscale, (float)(lr * c->weight_decay), to};
    run(p, update_task, &j, n);
}

typedef struct zero_job {
    float *x;
    size_t n;
} zero_job;

static void zero_task(void *ctx, int task, int ntasks)
{
    const zero_job *j = ctx;
    size_t i0, i1;
    block_range(j->n, task, ntasks, &i0, &i1);
    memset(j->x + i0, 0, (i1 - i0) * sizeof *j->x);
}

void cr_zero(cr_pool *p, float *x, size_t n)
{
    zero_job j = {x, n};
    run(p, zero_task, &j, n);
}

typedef struct add_job {
    float *y;
    const float *x;
    size_t n;
} add_job;

static void add_task(void *ctx, int task, int ntasks)
{
    const add_job *j = ctx;
    size_t i0, i1;
    block_range(j->n, task, ntasks, &i0, &i1);
    for (size_t i = i0; i < i1; i++)
        j->y[i] += j->x[i];
}

void cr_add(cr_pool *p, float *y, const float *x, size_t n)
{
    add_job j = {y, x, n};
    run(p, add_task, &j, n);
}
