/* optim.c: the learning-rate schedule, global-norm clipping, and the Adam and SGD updates. */
#include "internal.h"

#include <math.h>

/* Linear warm-up over the first `warmup` steps, then lr_decay per 1000 steps, continuously.
 * It depends only on the step, never on when the run will stop, so resuming changes nothing. */
double cr_lr_at(const cr_config *c, uint64_t step)
{
    double lr = c->lr;
    if (c->warmup > 0 && step < (uint64_t)c->warmup) lr *= (double)(step + 1) / c->warmup;
    return lr * pow(c->lr_decay, (double)step / 1000.0);
}

/* The global L2 norm of g (n), summed in double in index order. */
double cr_grad_norm(const float *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return sqrt(s);
}

/* One update of w (n) by gradient g; step counts from 0 for the first update. */
void cr_optim_update(const cr_config *c, float *w, const float *g, float *m1, float *m2, size_t n,
                     uint64_t step, double lr, float gscale)
{
    if (c->optimizer == CR_SGD) {
        float mu = (float)c->momentum, a = (float)lr;
        for (size_t i = 0; i < n; i++) {
            m1[i] = mu * m1[i] + g[i] * gscale;
            w[i] -= a * m1[i];
        }
        return;
    }
    float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->adam_eps;
    double t = (double)step + 1;
    float c1 = (float)(1.0 / (1.0 - pow(c->beta1, t)));
    float c2 = (float)(1.0 / (1.0 - pow(c->beta2, t)));
    float a = (float)lr;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        m1[i] = b1 * m1[i] + (1.0f - b1) * gi;
        m2[i] = b2 * m2[i] + (1.0f - b2) * gi * gi;
        w[i] -= a * (m1[i] * c1) / (sqrtf(m2[i] * c2) + eps);
    }
}
