/* epoch.c: how many optimizer steps one epoch of a corpus takes, cut as the trainer cuts it. */
#include "internal.h"

#include <math.h>

/* The corpus without its validation split, in B stripes; each step takes T characters of each
 * stripe and predicts the next, so a stripe of S characters gives (S - 1) / T steps. */
uint64_t cr_steps_per_epoch(const cr_config *c, uint64_t nchars)
{
    if (c->batch < 1 || c->seq_len < 1 || !(c->val_frac >= 0 && c->val_frac < 1)) return 0;
    uint64_t nval = (uint64_t)floor((double)nchars * c->val_frac);
    uint64_t stripe = (nchars - nval) / (uint64_t)c->batch;
    return stripe > 0 ? (stripe - 1) / (uint64_t)c->seq_len : 0;
}

uint64_t cr_model_steps_per_epoch(const cr_model *m)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < m->vocab.size; i++)
        n += m->vocab.counts[i];
    return cr_steps_per_epoch(&m->cfg, n);
}
