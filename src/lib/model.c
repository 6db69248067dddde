/* model.c: the tensor table, the parameter buffer, initial weights, and the model's records. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cr_carry_floats(const cr_config *c)
{
    return (size_t)c->layers * (size_t)cr_states_per_cell(c->cell) * (size_t)c->batch *
           (size_t)c->hidden;
}

/* Appends a tensor (rows) or (rows, cols) to the table; returns its index. */
static int add_tensor(cr_model *m, const char *name, size_t rows, size_t cols)
{
    cr_tensor_info *t = &m->tensors[m->ntensors];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = cols ? 2 : 1;
    t->dims[0] = rows;
    t->dims[1] = cols;
    t->size = cols ? rows * cols : rows;
    t->offset = m->nparams;
    m->nparams += t->size;
    return (int)m->ntensors++;
}

/* The one table every other part follows: embed, then per layer Wx Wh b (bhn), then out.W out.b;
 * m->layout records where each went. */
static void build_table(cr_model *m)
{
    const cr_config *c = &m->cfg;
    size_t V = m->vocab.size, H = (size_t)c->hidden, G = (size_t)cr_gates_per_cell(c->cell);
    const cr_cell_desc *cd = cr_cell_of(c->cell);
    cr_layout *lay = &m->layout;
    char name[24];
    m->ntensors = 0;
    m->nparams = 0;
    lay->embed = c->embed > 0 ? add_tensor(m, "embed", V, (size_t)c->embed) : -1;
    for (int l = 0; l < CR_MAX_LAYERS; l++)
        lay->Wx[l] = lay->Wh[l] = lay->b[l] = lay->bhn[l] = -1;
    for (int l = 0; l < c->layers; l++) {
        size_t in = l > 0 ? H : c->embed > 0 ? (size_t)c->embed : V;
        snprintf(name, sizeof name, "l%d.Wx", l);
        lay->Wx[l] = add_tensor(m, name, in, G * H);
        snprintf(name, sizeof name, "l%d.Wh", l);
        lay->Wh[l] = add_tensor(m, name, H, G * H);
        snprintf(name, sizeof name, "l%d.b", l);
        lay->b[l] = add_tensor(m, name, G * H, 0);
        if (cd && cd->hbias >= 0) {
            snprintf(name, sizeof name, "l%d.bhn", l);
            lay->bhn[l] = add_tensor(m, name, H, 0);
        }
    }
    lay->outW = add_tensor(m, "out.W", H, V);
    lay->outb = add_tensor(m, "out.b", V, 0);
}

size_t cr_param_count_for(const cr_config *cfg, uint32_t vocab_size)
{
    cr_model m;
    memset(&m, 0, sizeof m);
    m.cfg = *cfg;
    m.vocab.size = vocab_size;
    build_table(&m);
    return m.nparams;
}

int cr_model_alloc(cr_model **out, const cr_config *cfg, const cr_vocab *vocab, cr_error *err)
{
    *out = NULL;
    int rc = cr_config_check(cfg, err);
    if (rc) return rc;
    if (vocab->size < 1) return cr_fail(err, CR_ESMALL, -1, NULL, "the vocabulary is empty");
    cr_model *m = calloc(1, sizeof *m);
    if (!m) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    m->cfg = *cfg;
    if (cr_vocab_copy(&m->vocab, vocab, err)) {
        free(m);
        return CR_ENOMEM;
    }
    build_table(m);
    m->params = calloc(m->nparams, sizeof *m->params);
    if (!m->params) {
        cr_model_free(m);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for %zu parameters", m->nparams);
    }
    m->prog.best_val = NAN;
    cr_rng_seed(&m->rng, cfg->seed);
    *out = m;
    return CR_OK;
}

/* Uniform in [-1/sqrt(H), 1/sqrt(H)] as PyTorch does for recurrent layers; LSTM forget-gate
 * biases (the cell's one_bias block) start at 1 so that early gradients flow through time;
 * embeddings in [-1, 1]. */
void cr_model_init_weights(cr_model *m)
{
    const cr_config *c = &m->cfg;
    float k = 1.0f / sqrtf((float)c->hidden);
    for (size_t i = 0; i < m->ntensors; i++) { /* in table order: the order of the draws */
        const cr_tensor_info *t = &m->tensors[i];
        float *w = m->params + t->offset;
        float scale = (int)i == m->layout.embed ? 1.0f : k;
        for (size_t j = 0; j < t->size; j++)
            w[j] = (2.0f * cr_rng_float(&m->rng) - 1.0f) * scale;
    }
    const int one = cr_cell_of(c->cell)->one_bias, H = c->hidden;
    for (int l = 0; one >= 0 && l < c->layers; l++) {
        float *b = CR_TENSOR(m, m->params, m->layout.b[l]);
        for (int j = one * H; j < (one + 1) * H; j++)
            b[j] = 1.0f;
    }
}

int cr_model_new(const cr_config *cfg, const cr_vocab *vocab, cr_model **out, cr_error *err)
{
    int rc = cr_model_alloc(out, cfg, vocab, err);
    if (rc) return rc;
    cr_model_init_weights(*out);
    return CR_OK;
}

int cr_model_new_from_text(const cr_config *cfg, const unsigned char *text, size_t len,
                           cr_model **out, cr_error *err)
{
    cr_vocab v;
    *out = NULL;
    int rc = cr_vocab_build(text, len, &v, err);
    if (rc) return rc;
    rc = cr_model_new(cfg, &v, out, err);
    cr_vocab_free(&v);
    return rc;
}

static void free_session(cr_session *s)
{
    free(s->command);
    free(s->version);
    free(s->date);
    for (uint32_t i = 0; i < s->nsources; i++)
        free(s->sources[i].name);
    free(s->sources);
}

void cr_model_free(cr_model *m)
{
    if (!m) return;
    cr_vocab_free(&m->vocab);
    free(m->params);
    free(m->best);
    free(m->m1);
    free(m->m2);
    free(m->carry);
    free(m->hist);
    for (size_t i = 0; i < m->nsessions; i++)
        free_session(&m->sessions[i]);
    free(m->sessions);
    free(m);
}

const cr_config *cr_model_config(const cr_model *m) { return &m->cfg; }
const cr_vocab *cr_model_vocab(const cr_model *m) { return &m->vocab; }
size_t cr_model_tensor_count(const cr_model *m) { return m->ntensors; }
const cr_tensor_info *cr_model_tensor(const cr_model *m, size_t i)
{
    return i < m->ntensors ? &m->tensors[i] : NULL;
}
size_t cr_model_param_count(const cr_model *m) { return m->nparams; }
float *cr_model_params(cr_model *m, int which) { return which ? m->best : m->params; }
int cr_model_has_best(const cr_model *m) { return m->best != NULL; }
const cr_train_progress *cr_model_progress(const cr_model *m) { return &m->prog; }

const cr_plan *cr_model_plan(const cr_model *m) { return m->has_plan ? &m->plan : NULL; }

int cr_model_set_plan(cr_model *m, const cr_plan *p, cr_error *err)
{
    if (!(p->anneal >= 0 && p->anneal <= 1))
        return cr_fail(err, CR_EINVAL, -1, NULL, "the plan's anneal must be 0 to 1");
    if (!(p->seconds >= 0 && p->seconds < INFINITY && p->spent_s >= 0 && p->spent_s < INFINITY))
        return cr_fail(err, CR_EINVAL, -1, NULL, "the plan's seconds must be finite, not negative");
    m->plan = *p;
    m->has_plan = 1;
    return CR_OK;
}

size_t cr_model_history(const cr_model *m, const cr_history_row **rows)
{
    *rows = m->hist;
    return m->nhist;
}

size_t cr_model_sessions(const cr_model *m, const cr_session **sessions)
{
    *sessions = m->sessions;
    return m->nsessions;
}

int cr_model_find_tensor(const cr_model *m, const char *name)
{
    for (size_t i = 0; i < m->ntensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return (int)i;
    return -1;
}

int cr_model_append_history(cr_model *m, const cr_history_row *row, cr_error *err)
{
    if (m->nhist == m->caphist) {
        size_t cap = m->caphist ? 2 * m->caphist : 64;
        cr_history_row *p = realloc(m->hist, cap * sizeof *p);
        if (!p) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for the history");
        m->hist = p;
        m->caphist = cap;
    }
    m->hist[m->nhist++] = *row;
    return CR_OK;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "");
    char *p = malloc(n + 1);
    if (p) memcpy(p, s ? s : "", n + 1);
    return p;
}

int cr_model_add_session(cr_model *m, const char *command, const char *version, const char *date,
                         const cr_source *sources, uint32_t nsources, cr_error *err)
{
    cr_session *p = realloc(m->sessions, (m->nsessions + 1) * sizeof *p);
    if (!p) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for the lineage");
    m->sessions = p;
    cr_session *s = &p[m->nsessions];
    memset(s, 0, sizeof *s);
    s->command = dup_str(command);
    s->version = dup_str(version);
    s->date = dup_str(date);
    s->start_step = m->prog.step;
    s->sources = calloc(nsources ? nsources : 1, sizeof *s->sources);
    int ok = s->command && s->version && s->date && s->sources;
    for (uint32_t i = 0; ok && i < nsources; i++) {
        s->sources[i] = sources[i];
        s->sources[i].name = dup_str(sources[i].name);
        ok = s->sources[i].name != NULL;
        s->nsources = i + 1;
    }
    if (!ok) {
        free_session(s);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory for the lineage");
    }
    m->nsessions++;
    return CR_OK;
}

/* Whether two sessions read the same files: the same sizes and SHA-256, in the same order
 * (names aside: a file moved or renamed is the same text). */
static int same_files(const cr_session *a, const cr_session *b)
{
    if (a->nsources != b->nsources) return 0;
    for (uint32_t i = 0; i < a->nsources; i++)
        if (a->sources[i].bytes != b->sources[i].bytes ||
            memcmp(a->sources[i].sha256, b->sources[i].sha256, 32) != 0)
            return 0;
    return 1;
}

int cr_model_corpus_changed(const cr_model *m)
{
    size_t n = m->nsessions;
    return n >= 2 && !same_files(&m->sessions[n - 2], &m->sessions[n - 1]);
}

uint64_t cr_corpus_since(const cr_model *m)
{
    size_t k = m->nsessions;
    if (k == 0) return 0;
    while (k > 1 && same_files(&m->sessions[k - 2], &m->sessions[k - 1]))
        k--;
    return m->sessions[k - 1].start_step;
}

int cr_model_update_config(cr_model *m, const cr_config *c, cr_error *err)
{
    const cr_config *o = &m->cfg;
    if (c->cell != o->cell || c->layers != o->layers || c->hidden != o->hidden ||
        c->embed != o->embed || c->batch != o->batch || c->optimizer != o->optimizer ||
        c->momentum != o->momentum || c->beta1 != o->beta1 || c->beta2 != o->beta2 ||
        c->adam_eps != o->adam_eps || c->seed != o->seed)
        return cr_fail(err, CR_EINVAL, -1, NULL, "only the learning rate and its schedule, "
                       "clipping, dropout, weight decay, validation, sequence length and "
                       "precision of a model can change");
    cr_config next = *o;
    next.lr = c->lr;
    next.lr_decay = c->lr_decay;
    next.warmup = c->warmup;
    next.clip = c->clip;
    next.dropout = c->dropout;
    next.val_frac = c->val_frac;
    next.eval_every = c->eval_every;
    next.seq_len = c->seq_len;
    next.precision = c->precision;
    next.weight_decay = c->weight_decay;
    int rc = cr_config_check(&next, err);
    if (rc) return rc;
    m->cfg = next;
    return CR_OK;
}
