/* train.c: truncated back-propagation through time over stripes of a corpus, evaluation on the
 * held-out split, the best weights, and the history.
 * A batch of 16 rows or more is split into two shards of rows, each a network of its own that
 * goes forward and back through the whole chunk with no other thread: on two threads, one
 * shard each, with no hand-off between time steps. Their gradients are added in shard order,
 * and each draws its dropout from a generator seeded for it, so the split depends only on the
 * batch and the result never on the thread count. */
#include "internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SHARD_ROWS_MIN = 8, SHARDS_MAX = 2 };

/* Rows [b0, b0 + B) of the batch, as a network of their own. */
typedef struct shard {
    int b0, B;
    cr_net *net;           /* shard 0's packs the weights for all */
    cr_pool *pool;         /* the threads of its own beyond the one that runs it, or NULL */
    float *grads;          /* (nparams); shard 0's is the trainer's */
    uint32_t *in, *tgt;    /* (T, B) */
    float *carry;          /* (L, S, B, H) */
    cr_rng rng;            /* its dropout this step, seeded from the model's */
    cr_rng *drop;          /* the generator its dropout draws from: rng, or the model's own
                              when the batch is one shard, NULL for no dropout */
    double loss;           /* summed over its rows this step */
} shard;

struct cr_trainer {
    cr_model *m;
    cr_pool *pool;
    cr_net *net;           /* the whole batch, forward only, on shard 0's packed weights:
                              validation of the latest weights */
    shard sh[SHARDS_MAX];
    int nsh;
    float *grads;          /* (nparams) */
    uint32_t *ids;         /* (ntrain + nval) the corpus as vocabulary ids */
    size_t ntrain, nval;
    size_t stripe;         /* S: characters per batch row */
    uint64_t chunks;       /* K: chunks per epoch */
    uint32_t *in, *tgt;    /* (T, B) */
    float *eval_state;     /* (L, S, B, H) */
    float *carry_before;   /* (L, S, B, H) the carried state before this step */
    cr_rng rng_before;     /* the training stream before this step */
    /* The model at the start of the last step that updated it: when the next step's loss is not
     * finite, that update made the weights bad, and this is the last good state. */
    float *good_params, *good_m1, *good_m2; /* (nparams) each; m2 for Adam only */
    float *good_carry;     /* (L, S, B, H) */
    cr_train_progress good_prog;
    cr_rng good_rng;
    int have_good;
    double lr_scale;       /* on top of the schedule: see cr_trainer_set_lr_scale */
    /* since the last history row */
    double pend_loss, pend_time;
    uint64_t pend_steps, pend_chars;
};

static size_t val_size(size_t n, double val_frac) { return (size_t)floor((double)n * val_frac); }
size_t cr_val_chars(const cr_config *c, size_t n) { return val_size(n, c->val_frac); }

int cr_max_batch_for(size_t n, double val_frac, int seq_len)
{
    size_t ntrain = n - val_size(n, val_frac);
    size_t b = ntrain / ((size_t)seq_len + 1);
    return b > 100000 ? 100000 : (int)b;
}

void cr_trainer_free(cr_trainer *t)
{
    if (!t) return;
    cr_net_free(t->net);
    for (int k = t->nsh - 1; k >= 0; k--) { /* shard 0's net packs for the others: last */
        shard *h = &t->sh[k];
        cr_net_free(h->net);
        cr_pool_free(h->pool);
        if (k) free(h->grads);
        free(h->in);
        free(h->tgt);
        free(h->carry);
    }
    cr_pool_free(t->pool);
    free(t->grads);
    free(t->ids);
    free(t->in);
    free(t->tgt);
    free(t->eval_state);
    free(t->carry_before);
    free(t->good_params);
    free(t->good_m1);
    free(t->good_m2);
    free(t->good_carry);
    free(t);
}

static int check_sizes(const cr_config *c, size_t n, size_t ntrain, size_t nval, cr_error *err)
{
    size_t T = (size_t)c->seq_len, B = (size_t)c->batch;
    if (c->val_frac > 0 && nval < 2)
        return cr_fail(err, CR_ESMALL, -1, NULL,
                       "the corpus has %zu characters, too few to hold out a validation split "
                       "with --val-frac %g; use a longer text or --val-frac 0", n, c->val_frac);
    if (ntrain >= B * (T + 1)) return CR_OK;
    int b = cr_max_batch_for(n, c->val_frac, c->seq_len);
    if (b >= 1)
        return cr_fail(err, CR_ESMALL, -1, NULL,
                       "the training split has %zu characters, too few for --batch %zu with "
                       "--seq-len %zu (it needs %zu); try --batch %d", ntrain, B, T, B * (T + 1), b);
    size_t t = ntrain > 2 ? ntrain / 2 - 1 : 0;
    if (t >= 1)
        return cr_fail(err, CR_ESMALL, -1, NULL,
                       "the training split has %zu characters, too few for --seq-len %zu; "
                       "try --batch 1 --seq-len %zu", ntrain, T, t < 64 ? t : 64);
    return cr_fail(err, CR_ESMALL, -1, NULL,
                   "the training split has %zu characters; a corpus needs at least a few dozen",
                   ntrain);
}

/* The shards, by the batch alone; the threads are shared out between them (the one that runs a
 * shard counted in its share). */
static int make_shards(cr_trainer *t, int threads, cr_error *err)
{
    const cr_model *m = t->m;
    const cr_config *c = &m->cfg;
    t->nsh = c->batch >= SHARDS_MAX * SHARD_ROWS_MIN ? SHARDS_MAX : 1;
    for (int k = 0; k < t->nsh; k++) {
        shard *h = &t->sh[k];
        int b1;
        cr_split(c->batch, k, t->nsh, &h->b0, &b1);
        h->B = b1 - h->b0;
        cr_config sc = *c;
        sc.batch = h->B;
        size_t TB = (size_t)c->seq_len * (size_t)h->B;
        h->grads = k ? calloc(m->nparams, sizeof *h->grads) : t->grads;
        h->in = calloc(TB, sizeof *h->in);
        h->tgt = calloc(TB, sizeof *h->tgt);
        h->carry = calloc(cr_carry_floats(&sc), sizeof *h->carry);
        if (!h->grads || !h->in || !h->tgt || !h->carry)
            return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for training");
        int t0, t1;
        cr_split(threads, k, t->nsh, &t0, &t1);
        if (t->nsh == 1) {
            h->pool = NULL; /* the trainer's pool runs the one shard */
        } else if (t1 - t0 > 1 && cr_pool_new(t1 - t0, &h->pool)) {
            return cr_fail(err, CR_ENOMEM, -1, NULL, "cannot start %d threads", t1 - t0);
        }
        int rc = cr_net_new_sharing(m, c->seq_len, h->B, 1, t->nsh == 1 ? t->pool : h->pool,
                                    k ? t->sh[0].net : NULL, &h->net, err);
        if (rc) return rc;
    }
    return CR_OK;
}

/* The best weights were validated on another text: none yet on this one. */
static void forget_best(cr_model *m)
{
    free(m->best);
    m->best = NULL;
    m->prog.best_val = NAN;
    m->prog.best_step = m->prog.step;
    m->prog.evals_since_best = 0;
}

int cr_trainer_new(cr_model *m, const unsigned char *text, size_t len, int threads,
                   cr_trainer **out, cr_error *err)
{
    *out = NULL;
    const cr_config *c = &m->cfg;
    int rc = cr_config_check(c, err);
    if (rc) return rc;
    cr_trainer *t = calloc(1, sizeof *t);
    if (!t) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    t->m = m;
    t->lr_scale = 1.0;
    if (cr_model_corpus_changed(m) && m->sessions[m->nsessions - 1].start_step == m->prog.step)
        forget_best(m);
    size_t n;
    rc = cr_vocab_encode(&m->vocab, text, len, &t->ids, &n, err);
    if (rc) goto fail;
    t->nval = val_size(n, c->val_frac);
    t->ntrain = n - t->nval;
    rc = check_sizes(c, n, t->ntrain, t->nval, err);
    if (rc) goto fail;
    size_t T = (size_t)c->seq_len, B = (size_t)c->batch;
    t->stripe = t->ntrain / B;
    t->chunks = (size_t)cr_steps_per_epoch(c, n); /* (stripe - 1) / T: epoch.c */
    size_t carry = cr_carry_floats(c);
    t->grads = calloc(m->nparams, sizeof *t->grads);
    t->in = calloc(T * B, sizeof *t->in);
    t->tgt = calloc(T * B, sizeof *t->tgt);
    t->eval_state = calloc(carry, sizeof *t->eval_state);
    t->carry_before = calloc(carry, sizeof *t->carry_before);
    t->good_params = malloc(m->nparams * sizeof *t->good_params);
    t->good_m1 = malloc(m->nparams * sizeof *t->good_m1);
    t->good_m2 = c->optimizer == CR_ADAM ? malloc(m->nparams * sizeof *t->good_m2) : NULL;
    t->good_carry = malloc(carry * sizeof *t->good_carry);
    if (!m->m1) m->m1 = calloc(m->nparams, sizeof *m->m1);
    if (!m->m2 && c->optimizer == CR_ADAM) m->m2 = calloc(m->nparams, sizeof *m->m2);
    if (!m->carry) m->carry = calloc(carry, sizeof *m->carry);
    if (!t->grads || !t->in || !t->tgt || !t->eval_state || !t->carry_before || !t->good_params ||
        !t->good_m1 || (c->optimizer == CR_ADAM && !t->good_m2) || !t->good_carry || !m->m1 ||
        !m->carry ||
        (c->optimizer == CR_ADAM && !m->m2)) {
        rc = cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for training");
        goto fail;
    }
    if (cr_pool_new(threads, &t->pool)) {
        rc = cr_fail(err, CR_ENOMEM, -1, NULL, "cannot start %d threads", threads);
        goto fail;
    }
    rc = make_shards(t, threads, err);
    if (rc) goto fail;
    rc = cr_net_new_sharing(m, c->seq_len, c->batch, 0, t->pool, t->sh[0].net, &t->net, err);
    if (rc) goto fail;
    *out = t;
    return CR_OK;
fail:
    cr_trainer_free(t);
    return rc;
}

uint64_t cr_trainer_steps_per_epoch(const cr_trainer *t) { return t->chunks; }
size_t cr_trainer_train_chars(const cr_trainer *t) { return t->ntrain; }
size_t cr_trainer_val_chars(const cr_trainer *t) { return t->nval; }

/* Row b of the batch reads its own stripe [b S, (b + 1) S) of the training split; each shard's
 * rows go to its (T, B) inputs and targets. */
static void load_chunk(cr_trainer *t, uint64_t pos)
{
    const int T = t->m->cfg.seq_len;
    for (int k = 0; k < t->nsh; k++) {
        shard *h = &t->sh[k];
        for (int b = 0; b < h->B; b++) {
            const uint32_t *s = t->ids + (size_t)(h->b0 + b) * t->stripe + pos * (uint64_t)T;
            for (int i = 0; i < T; i++) {
                h->in[i * h->B + b] = s[i];
                h->tgt[i * h->B + b] = s[i + 1];
            }
        }
    }
}

/* The carried states (L, S, B, H) to the shards' (L, S, B_k, H), or back (to_shards 0). */
static void move_carry(cr_trainer *t, int to_shards)
{
    const cr_config *c = &t->m->cfg;
    const size_t H = (size_t)c->hidden, blocks = cr_carry_floats(c) / ((size_t)c->batch * H);
    for (int k = 0; k < t->nsh; k++) {
        shard *h = &t->sh[k];
        for (size_t q = 0; q < blocks; q++) {
            float *whole = t->m->carry + (q * (size_t)c->batch + (size_t)h->b0) * H;
            float *part = h->carry + q * (size_t)h->B * H;
            size_t bytes = (size_t)h->B * H * sizeof(float);
            if (to_shards) memcpy(part, whole, bytes);
            else memcpy(whole, part, bytes);
        }
    }
}

/* Task: shards task, task + ntasks, ...: forward and backward, into their own gradients. */
static void shards_task(void *ctx, int task, int ntasks)
{
    cr_trainer *t = ctx;
    const cr_model *m = t->m;
    const cr_config *c = &m->cfg;
    for (int k = task; k < t->nsh; k += ntasks) {
        shard *h = &t->sh[k];
        size_t count;
        h->loss = cr_net_forward(h->net, m->params, h->in, h->tgt, c->seq_len, h->B, h->carry,
                                 h->drop, &count);
        cr_net_mean_over(h->net, (size_t)c->seq_len * (size_t)c->batch);
        cr_net_backward(h->net, m->params, h->grads, NULL);
    }
}

/* The weights changed: pack them for the shards (shard 0's net holds the packed copies). */
static void pack_weights(cr_trainer *t)
{
    cr_net_pack(t->sh[0].net, t->pool, t->m->params);
}

static void add_history(cr_trainer *t, double val)
{
    cr_model *m = t->m;
    cr_history_row row = {
        .step = m->prog.step,
        .chars = m->prog.chars,
        .train_loss = t->pend_steps ? t->pend_loss / (double)t->pend_steps : NAN,
        .val_loss = val,
        .chars_per_s = t->pend_time > 0 ? (double)t->pend_chars / t->pend_time : 0,
        .wall_s = m->prog.wall_s,
    };
    if (cr_model_append_history(m, &row, NULL) == CR_OK) { /* else only a shorter history */
        t->pend_loss = t->pend_time = 0;
        t->pend_steps = t->pend_chars = 0;
    }
}

/* Mean loss of the latest weights over the n characters from ids: their predictions are cut
 * into at most B rows of equal length, each read in chunks of at most T steps with its state
 * carried from 0 (cr_stream_loss, which the score tool runs too). */
static double stream_mean_loss(cr_trainer *t, const uint32_t *ids, size_t n)
{
    const cr_config *c = &t->m->cfg;
    const float *w = t->m->params; /* packed by pack_weights after every change */
    size_t count;
    double sum = cr_stream_loss(t->net, w, ids, n, c->batch, c->seq_len, 0, t->in, t->tgt,
                                t->eval_state, cr_carry_floats(c), NULL, &count);
    return count ? sum / (double)count : NAN;
}

/* The whole validation split's */
static double validation_loss(cr_trainer *t)
{
    return stream_mean_loss(t, t->ids + t->ntrain, t->nval);
}

int cr_trainer_evaluate(cr_trainer *t, double *val_loss, int *improved, cr_error *err)
{
    cr_model *m = t->m;
    double t0 = cr_clock_s();
    *improved = 0;
    *val_loss = NAN;
    if (t->nval >= 2) {
        *val_loss = validation_loss(t);
        /* a non-finite loss never becomes the best; the next step reports the divergence */
        if (isfinite(*val_loss) && !(*val_loss >= m->prog.best_val)) { /* NaN best: true */
            if (!m->best && !(m->best = malloc(m->nparams * sizeof *m->best)))
                return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for the best weights");
            memcpy(m->best, m->params, m->nparams * sizeof *m->best);
            m->prog.best_val = *val_loss;
            m->prog.best_step = m->prog.step;
            m->prog.evals_since_best = 0;
            *improved = 1;
        } else {
            m->prog.evals_since_best++;
        }
    }
    double dt = cr_clock_s() - t0;
    m->prog.wall_s += dt;
    add_history(t, *val_loss);
    return CR_OK;
}

/* Steps between validations: --eval-every, else each epoch or every 250 steps, whichever comes
 * first, unless that would spend more than about 5% of the time on validation. A validation
 * reads the nval characters forward only, about half the work per character of a training step
 * (measured: 2 x 256, batch 16), so it costs nval / 2 of the B * T characters a step trains on;
 * at 250 steps and a 110,000-character split that was 16% of a run. */
static uint64_t eval_interval(const cr_trainer *t)
{
    const cr_config *c = &t->m->cfg;
    if (c->eval_every > 0) return (uint64_t)c->eval_every;
    uint64_t usual = t->chunks < 250 ? t->chunks : 250;
    uint64_t per_step = (uint64_t)c->batch * (uint64_t)c->seq_len;
    uint64_t for_5_percent = (10 * (uint64_t)t->nval + per_step - 1) / per_step;
    return usual > for_5_percent ? usual : for_5_percent;
}

static void swap_floats(float **a, float **b)
{
    float *x = *a;
    *a = *b;
    *b = x;
}

/* Before an update: the model as it was at the start of this step becomes the last good one
 * (its weights and moments stay where the update leaves them: see cr_trainer_step). */
static void keep_as_last_good(cr_trainer *t)
{
    const cr_model *m = t->m;
    memcpy(t->good_carry, t->carry_before, cr_carry_floats(&m->cfg) * sizeof(float));
    t->good_prog = m->prog;
    t->good_rng = t->rng_before;
    t->have_good = 1;
}

/* After a non-finite loss: back to the start of the last step that updated the model, or of
 * this step if none did (its weights are then the ones the run started from). */
static void restore_last_good(cr_trainer *t)
{
    cr_model *m = t->m;
    size_t bytes = m->nparams * sizeof(float), carry = cr_carry_floats(&m->cfg) * sizeof(float);
    if (!t->have_good) {
        memcpy(m->carry, t->carry_before, carry);
        m->rng = t->rng_before;
        return;
    }
    memcpy(m->params, t->good_params, bytes);
    memcpy(m->m1, t->good_m1, bytes);
    if (t->good_m2) memcpy(m->m2, t->good_m2, bytes);
    memcpy(m->carry, t->good_carry, carry);
    cr_train_progress now = m->prog;
    m->prog = t->good_prog;
    m->prog.wall_s = now.wall_s; /* the time was spent all the same */
    m->prog.best_val = now.best_val; /* m->best was not taken back */
    m->prog.best_step = now.best_step;
    m->prog.evals_since_best = now.evals_since_best;
    m->rng = t->good_rng;
    pack_weights(t);
}

/* A loss far above another: more than JUMP_RATIO times it, and more than JUMP_NATS above. */
#define JUMP_RATIO 1.5
#define JUMP_NATS 0.5
static int far_above(double x, double base)
{
    return isfinite(x) && isfinite(base) && x > JUMP_RATIO * base && x > base + JUMP_NATS;
}

/* The training split's first characters, as many as the validation split has, read as it is */
static double training_slice_loss(cr_trainer *t)
{
    return stream_mean_loss(t, t->ids, t->nval < t->ntrain ? t->nval : t->ntrain);
}

/* Whether the validation just made (the last history row, on the schedule's grid) shows that
 * the model broke: its loss far above that of the two validations before it on the grid and on
 * this text (the lower of the two, should the last have been a jump), and the training text's
 * far above it too. Seen once: the validation loss went from 1.147 to 2.675 while the training
 * loss, on carried state, hardly moved, and it never recovered. Memorising is not a break: its
 * training text's loss stays low (on a 14 KB corpus of 345 characters, a 2 x 512 model's
 * validation loss once rose 1.48 times in one validation while its training loss fell). Only
 * rows on the grid count, not those of a run's closing validation, so that a run stopped and
 * resumed decides as one that was not; and the text's own, from cr_corpus_since. */
static int validation_jumped(cr_trainer *t)
{
    const cr_model *m = t->m;
    uint64_t every = eval_interval(t), since = cr_corpus_since(m);
    double base = NAN;
    int found = 0;
    for (size_t i = m->nhist - 1; i-- > 0 && found < 2;) {
        const cr_history_row *b = &m->hist[i];
        if (b->step <= since) break;
        if (b->step % every != 0 || !isfinite(b->val_loss)) continue;
        base = found++ ? fmin(base, b->val_loss) : b->val_loss;
    }
    return found && far_above(m->hist[m->nhist - 1].val_loss, base) &&
           far_above(training_slice_loss(t), base);
}

/* After a break: the latest weights are replaced by the best ones. The first moments, the way
 * the broken weights were heading, start again from 0; the second moments (each weight's
 * scale) stay, as do the step, the schedule and the random stream; the carried state starts
 * again from 0, as at an epoch's start. */
static void back_to_best(cr_trainer *t)
{
    cr_model *m = t->m;
    memcpy(m->params, m->best, m->nparams * sizeof *m->params);
    memset(m->m1, 0, m->nparams * sizeof *m->m1);
    memset(m->carry, 0, cr_carry_floats(&m->cfg) * sizeof(float));
    t->have_good = 0; /* the state before the last update belongs to the broken weights */
    pack_weights(t);
}

void cr_trainer_set_lr_scale(cr_trainer *t, double scale)
{
    assert(scale >= 0 && scale <= 1); /* also false for NaN */
    t->lr_scale = scale;
}

int cr_trainer_step(cr_trainer *t, cr_step_result *r, cr_error *err)
{
    cr_model *m = t->m;
    const cr_config *c = &m->cfg;
    const int T = c->seq_len, B = c->batch;
    double t0 = cr_clock_s();
    memset(r, 0, sizeof *r);
    r->val_loss = NAN;
    if (m->prog.epoch_pos >= t->chunks) { /* resumed on a shorter corpus */
        m->prog.epoch_pos = 0;
        memset(m->carry, 0, cr_carry_floats(c) * sizeof(float));
    }
    load_chunk(t, m->prog.epoch_pos);
    memcpy(t->carry_before, m->carry, cr_carry_floats(c) * sizeof(float));
    t->rng_before = m->rng;
    move_carry(t, 1);
    double loss = 0;
    for (int k = 0; k < t->nsh; k++) {
        shard *h = &t->sh[k];
        h->drop = c->dropout <= 0 ? NULL : t->nsh == 1 ? &m->rng : &h->rng;
        if (h->drop == &h->rng) cr_rng_seed(&h->rng, cr_rng_next(&m->rng));
        cr_zero(t->pool, h->grads, m->nparams);
    }
    if (t->nsh == 1) shards_task(t, 0, 1); /* the shard's net has the trainer's pool */
    else cr_pool_run(t->pool, shards_task, t);
    for (int k = 0; k < t->nsh; k++) { /* in shard order, whatever the thread count */
        loss += t->sh[k].loss;
        if (k) cr_add(t->pool, t->grads, t->sh[k].grads, m->nparams);
    }
    move_carry(t, 0);
    r->loss = loss / ((double)T * (double)B);
    r->grad_norm = cr_grad_norm(t->pool, t->grads, m->nparams);
    if (!isfinite(r->loss) || !isfinite(r->grad_norm)) {
        unsigned long long bad_step = (unsigned long long)m->prog.step + 1;
        restore_last_good(t);
        return cr_fail(err, CR_EDIVERGED, -1, NULL,
                       "the %s stopped being finite at step %llu; the model is back at step %llu; "
                       "try a lower --lr (now %g)", isfinite(r->loss) ? "gradient" : "loss",
                       bad_step, (unsigned long long)m->prog.step, c->lr);
    }
    keep_as_last_good(t);
    float gscale = c->clip > 0 && r->grad_norm > c->clip ? (float)(c->clip / r->grad_norm) : 1.0f;
    r->lr = cr_lr_at(c, m->prog.step) * t->lr_scale;
    /* the new values go to the spare buffers, which then trade places with the model's: the
     * old ones stay behind as the last good model, with no copy */
    cr_optim_out to = {t->good_params, t->good_m1, t->good_m2};
    cr_optim_update(t->pool, c, m->params, t->grads, m->m1, m->m2, m->nparams, m->prog.step, r->lr,
                    gscale, &to);
    swap_floats(&m->params, &t->good_params);
    swap_floats(&m->m1, &t->good_m1);
    swap_floats(&m->m2, &t->good_m2);
    pack_weights(t);
    m->prog.step++;
    m->prog.chars += (uint64_t)T * (uint64_t)B;
    if (++m->prog.epoch_pos == t->chunks) {
        m->prog.epoch++;
        m->prog.epoch_pos = 0;
        memset(m->carry, 0, cr_carry_floats(c) * sizeof(float));
        r->epoch_done = 1;
    }
    double dt = cr_clock_s() - t0;
    m->prog.wall_s += dt;
    t->pend_loss += r->loss;
    t->pend_steps++;
    t->pend_chars += (uint64_t)T * (uint64_t)B;
    t->pend_time += dt;
    if (m->prog.step % eval_interval(t) == 0) {
        r->evaluated = 1;
        size_t rows = m->nhist;
        int rc = cr_trainer_evaluate(t, &r->val_loss, &r->improved, err);
        if (rc == CR_OK && m->best && m->nhist > rows && validation_jumped(t)) {
            back_to_best(t);
            r->went_back = 1;
        }
        return rc;
    }
    return CR_OK;
}
