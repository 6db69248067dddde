/* sampler.c: batch-1 generation, one character at a time, with temperature, top-k and top-p. */
#include "internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cr_sampler {
    const cr_model *m;
    const float *w;        /* (nparams) the weights sampled from */
    cr_infer *inf;         /* the network, packed for one character at a time */
    cr_pool *pool;         /* its threads, or NULL */
    cr_sample_options o;
    cr_rng rng;
    float *probs;          /* (V) at temperature 1 */
    double *weights;       /* (V) the distribution drawn from */
    uint32_t *order;       /* (V) ids by falling probability, for top-k and top-p */
    int fed;               /* a character has been fed */
};

void cr_sample_options_default(cr_sample_options *o)
{
    o->temperature = 1.0;
    o->top_k = 0;
    o->top_p = 1.0;
    o->argmax = 0;
    o->use_last = 0;
    o->threads = 1;
    o->bf16 = 0;
    o->seed = 1;
}

void cr_sampler_free(cr_sampler *s)
{
    if (!s) return;
    cr_infer_free(s->inf);
    cr_pool_free(s->pool);
    free(s->probs);
    free(s->weights);
    free(s->order);
    free(s);
}

int cr_sampler_new(const cr_model *m, const cr_sample_options *o, cr_sampler **out, cr_error *err)
{
    *out = NULL;
    if (!(o->temperature > 0 && isfinite(o->temperature)))
        return cr_fail(err, CR_EINVAL, -1, NULL, "temperature must be above 0");
    if (!(o->top_p > 0 && o->top_p <= 1))
        return cr_fail(err, CR_EINVAL, -1, NULL, "top-p must be above 0 and at most 1");
    if (o->top_k < 0) return cr_fail(err, CR_EINVAL, -1, NULL, "top-k must not be negative");
    if (o->threads < 1 || o->threads > 1024)
        return cr_fail(err, CR_EINVAL, -1, NULL, "threads must be 1 to 1024");
    cr_sampler *s = calloc(1, sizeof *s);
    if (!s) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    size_t V = m->vocab.size;
    s->m = m;
    s->o = *o;
    s->w = (!o->use_last && m->best) ? m->best : m->params;
    cr_rng_seed(&s->rng, o->seed);
    s->probs = calloc(V, sizeof *s->probs);
    s->weights = calloc(V, sizeof *s->weights);
    s->order = calloc(V, sizeof *s->order);
    if (!s->probs || !s->weights || !s->order) {
        cr_sampler_free(s);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    int threads = cr_infer_threads_for(m, o->threads, o->bf16);
    if (threads > 1 && cr_pool_new(threads, &s->pool) != CR_OK) {
        cr_sampler_free(s);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "cannot start %d threads", threads);
    }
    int rc = cr_infer_new(m, s->w, s->pool, cr_kernel_best(), o->bf16, &s->inf, err);
    if (rc) {
        cr_sampler_free(s);
        return rc;
    }
    *out = s;
    return CR_OK;
}

void cr_sampler_feed(cr_sampler *s, uint32_t id)
{
    if (id >= s->m->vocab.size) return; /* not a character of the model: nothing to feed */
    cr_infer_step(s->inf, id);
    s->fed = 1;
}

struct cr_sampler_state {
    int fed;
    size_t n;             /* floats in state */
    float state[];        /* (n) cr_infer_state_get's layout */
};

int cr_sampler_state_new(const cr_sampler *s, cr_sampler_state **out, cr_error *err)
{
    size_t n = cr_infer_state_floats(s->inf);
    *out = calloc(1, sizeof **out + n * sizeof(float));
    if (!*out) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    (*out)->n = n;
    return CR_OK;
}

void cr_sampler_state_free(cr_sampler_state *st) { free(st); }

void cr_sampler_save(const cr_sampler *s, cr_sampler_state *st)
{
    assert(st->n == cr_infer_state_floats(s->inf));
    cr_infer_state_get(s->inf, st->state);
    st->fed = s->fed;
}

void cr_sampler_restore(cr_sampler *s, const cr_sampler_state *st)
{
    assert(st->n == cr_infer_state_floats(s->inf));
    cr_infer_state_set(s->inf, st->state);
    s->fed = st->fed;
}

/* The logits after the last fed character; before any, after a newline (or the output bias). */
static const float *current_logits(cr_sampler *s)
{
    if (!s->fed) {
        int32_t nl = cr_vocab_id(&s->m->vocab, '\n');
        if (nl < 0) return CR_TENSOR(s->m, s->w, s->m->layout.outb);
        cr_sampler_feed(s, (uint32_t)nl);
    }
    return cr_infer_logits(s->inf);
}

/* weights[i] = exp((z[i] - max) / temperature); returns their sum */
static double softmax_weights(const float *z, size_t V, double temp, double *w)
{
    float mx = z[0];
    for (size_t i = 1; i < V; i++)
        mx = z[i] > mx ? z[i] : mx;
    double sum = 0;
    for (size_t i = 0; i < V; i++)
        sum += w[i] = exp(((double)z[i] - mx) / temp);
    return sum;
}

const float *cr_sampler_probs(cr_sampler *s)
{
    size_t V = s->m->vocab.size;
    double sum = softmax_weights(current_logits(s), V, 1.0, s->weights);
    for (size_t i = 0; i < V; i++)
        s->probs[i] = (float)(s->weights[i] / sum);
    return s->probs;
}

/* a comes before b: higher weight first, ties by lower id, so the order is total */
static int before(const double *w, uint32_t a, uint32_t b)
{
    return w[a] != w[b] ? w[a] > w[b] : a < b;
}

static void sift_down(uint32_t *x, size_t i, size_t n, const double *w)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) return;
        if (c + 1 < n && before(w, x[c], x[c + 1])) c++;
        if (!before(w, x[i], x[c])) return;
        uint32_t tmp = x[i];
        x[i] = x[c];
        x[c] = tmp;
        i = c;
    }
}

/* Heap sort of ids x (n) by falling weight: no recursion, no allocation, no global state. */
static void sort_by_weight(uint32_t *x, size_t n, const double *w)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(x, i, n, w);
    for (size_t end = n; end-- > 1;) {
        uint32_t tmp = x[0];
        x[0] = x[end];
        x[end] = tmp;
        sift_down(x, 0, end, w);
    }
}

/* The characters top-k and top-p keep of the weights w (V, summing to sum > 0; 0 for one put
 * aside, which sorts last): s->order[0..keep), by falling weight. */
static size_t candidates(cr_sampler *s, const double *w, double sum)
{
    size_t V = s->m->vocab.size, keep = V;
    for (size_t i = 0; i < V; i++)
        s->order[i] = (uint32_t)i;
    sort_by_weight(s->order, V, w);
    if (s->o.top_k > 0 && (size_t)s->o.top_k < V) keep = (size_t)s->o.top_k;
    if (s->o.top_p < 1) {
        double cum = 0;
        for (size_t i = 0; i < keep; i++) {
            cum += w[s->order[i]] / sum;
            if (cum >= s->o.top_p) return i + 1;
        }
    }
    return keep;
}

/* One random number, one character: from s->order[0..keep) when sorted, else from all of w
 * (whose sum is kept); kept > 0. */
static uint32_t draw_from(cr_sampler *s, const double *w, int sorted, size_t keep, double kept)
{
    double u = cr_rng_double(&s->rng) * kept;
    if (sorted) {
        for (size_t i = 0; i < keep; i++) {
            u -= w[s->order[i]];
            if (u < 0) return s->order[i];
        }
        return s->order[0]; /* if rounding leaves u above every weight: the likeliest */
    }
    uint32_t last = 0; /* the last possible character, if rounding leaves u above them all */
    for (size_t i = 0; i < keep; i++) {
        if (w[i] > 0) last = (uint32_t)i;
        u -= w[i];
        if (u < 0) break;
    }
    return last;
}

/* The likeliest character not put aside (w > 0), ties by lower id; V if none is left. */
static uint32_t likeliest(const float *z, const double *w, size_t V)
{
    uint32_t pick = (uint32_t)V;
    for (size_t i = 0; i < V; i++)
        if (w[i] > 0 && (pick == V || z[i] > z[pick])) pick = (uint32_t)i;
    return pick;
}

/* The next pick by the options from the weights w not put aside; V when none is left. *keep is
 * the number of candidates (0: choose them again from what is left). */
static uint32_t pick_next(cr_sampler *s, const float *z, const double *w, int sorted,
                          size_t *keep)
{
    size_t V = s->m->vocab.size;
    if (s->o.argmax) return likeliest(z, w, V);
    for (int round = 0; round < 2; round++) {
        if (*keep == 0 || !sorted) { /* the first draw, or every candidate was put aside */
            double sum = 0; /* summed again, never subtracted: the same set, the same sum */
            for (size_t i = 0; i < V; i++)
                sum += w[i];
            if (!(sum > 0)) return (uint32_t)V;
            if (!sorted) return draw_from(s, w, 0, V, sum);
            *keep = candidates(s, w, sum);
        }
        double kept = 0;
        for (size_t i = 0; i < *keep; i++)
            kept += w[s->order[i]];
        if (kept > 0) return draw_from(s, w, 1, *keep, kept);
        *keep = 0;
    }
    return (uint32_t)V;
}

int cr_sampler_next_filtered(cr_sampler *s, cr_sample_filter allow, void *ctx, uint32_t *id,
                             size_t *refused)
{
    size_t V = s->m->vocab.size, nrefused = 0, keep = 0;
    const float *z = current_logits(s);
    double *w = s->weights;
    if (s->o.argmax) {
        for (size_t i = 0; i < V; i++)
            w[i] = 1; /* w marks what is not put aside */
    } else {
        softmax_weights(z, V, s->o.temperature, w);
    }
    int sorted = (s->o.top_k > 0 && (size_t)s->o.top_k < V) || s->o.top_p < 1;
    for (;;) {
        uint32_t pick = pick_next(s, z, w, sorted, &keep);
        if (pick >= V) break; /* nothing possible is left */
        if (!allow || allow(ctx, pick)) {
            if (refused) *refused = nrefused;
            cr_sampler_feed(s, pick);
            *id = pick;
            return 1;
        }
        nrefused++;
        w[pick] = 0;
    }
    if (refused) *refused = nrefused;
    return 0;
}

uint32_t cr_sampler_next(cr_sampler *s)
{
    uint32_t id = 0;
    cr_sampler_next_filtered(s, NULL, NULL, &id, NULL); /* with no filter, always draws */
    return id;
}
