/* config.c: default settings and their validation. */
#include "internal.h"

#include <math.h>

void cr_config_default(cr_config *c)
{
    c->cell = CR_LSTM;
    c->layers = 2;
    c->hidden = 256;
    c->embed = 0;
    c->seq_len = 64;
    c->batch = 32;
    c->optimizer = CR_ADAM;
    c->lr = 2e-3;
    c->lr_decay = 0.9;
    c->warmup = 100;
    c->momentum = 0.9;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->adam_eps = 1e-8;
    c->clip = 5.0;
    c->dropout = 0.0;
    c->val_frac = 0.1;
    c->eval_every = 0;
    c->seed = 1;
    c->precision = CR_FP32;
    c->weight_decay = 0.0;
}

const char *cr_optimizer_name(int opt)
{
    return opt == CR_ADAM ? "adam" : opt == CR_SGD ? "sgd" : "?";
}

#define BAD(...) cr_fail(err, CR_EINVAL, -1, NULL, __VA_ARGS__)

int cr_config_check(const cr_config *c, cr_error *err)
{
    if (!cr_cell_of(c->cell))
        return BAD("unknown cell type %d", c->cell);
    if (c->layers < 1 || c->layers > CR_MAX_LAYERS)
        return BAD("layers must be 1 to %d, not %d", CR_MAX_LAYERS, c->layers);
    if (c->hidden < 1 || c->hidden > 8192) return BAD("hidden must be 1 to 8192, not %d", c->hidden);
    if (c->embed < 0 || c->embed > 8192) return BAD("embed must be 0 to 8192, not %d", c->embed);
    if (c->seq_len < 1 || c->seq_len > 100000)
        return BAD("seq-len must be 1 to 100000, not %d", c->seq_len);
    if (c->batch < 1 || c->batch > 100000) return BAD("batch must be 1 to 100000, not %d", c->batch);
    if (c->optimizer != CR_ADAM && c->optimizer != CR_SGD)
        return BAD("unknown optimizer %d", c->optimizer);
    if (!(c->lr > 0 && c->lr <= 10)) return BAD("lr must be above 0 and at most 10");
    if (!(c->lr_decay > 0 && c->lr_decay <= 1)) return BAD("lr-decay must be above 0 and at most 1");
    if (c->warmup < 0) return BAD("warmup must not be negative");
    if (!(c->momentum >= 0 && c->momentum < 1)) return BAD("momentum must be in [0, 1)");
    if (!(c->beta1 >= 0 && c->beta1 < 1) || !(c->beta2 >= 0 && c->beta2 < 1))
        return BAD("Adam betas must be in [0, 1)");
    if (!(c->adam_eps > 0 && isfinite(c->adam_eps))) return BAD("Adam epsilon must be positive");
    if (!(c->clip >= 0 && isfinite(c->clip))) return BAD("clip must be 0 (off) or positive");
    if (!(c->dropout >= 0 && c->dropout < 1)) return BAD("dropout must be in [0, 1)");
    if (!(c->val_frac >= 0 && c->val_frac < 1)) return BAD("val-frac must be in [0, 1)");
    if (c->eval_every < 0) return BAD("eval-every must not be negative");
    if (c->precision != CR_FP32 && c->precision != CR_BF16) return BAD("precision must be fp32 or bf16");
    if (!(c->weight_decay >= 0 && c->weight_decay <= 1))
        return BAD("weight-decay must be 0 (off) to 1");
    if (!(c->lr * c->weight_decay < 1))
        return BAD("lr times weight-decay must be below 1: each step multiplies the weights by "
                   "1 - lr x weight-decay");
    return CR_OK;
}
