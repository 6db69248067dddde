/* ckpt.c: the checkpoint format, version 1 (docs/checkpoint-format.md): encoding and decoding. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char SIGNATURE[8] = {0x89, 'C', 'R', 'N', 0x0D, 0x0A, 0x1A, 0x0A};
#define FORMAT_VERSION 1u
#define HEAD_BYTES 120u     /* HEAD's payload in version 1: 10 u32, a u64, 9 f64 */
#define STAT_BYTES 92u      /* STAT's payload in version 1: 7 u64 or f64, a u32, 4 u64 */
#define HIST_ROW_BYTES 48u  /* one HIST row: 2 u64, 4 f64 */
#define PLAN_BYTES 48u      /* PLAN's payload: 3 u64, 3 f64 */

/* ---- writing ---- */
typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} wbuf;

static void put(wbuf *w, const void *data, size_t n)
{
    if (w->failed) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *q = realloc(w->p, cap);
        if (!q) {
            w->failed = 1;
            return;
        }
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

static void put_u8(wbuf *w, unsigned v)
{
    unsigned char b = (unsigned char)v;
    put(w, &b, 1);
}

static void put_u32(wbuf *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(wbuf *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

static void put_f64(wbuf *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(w, v);
}

static void put_str(wbuf *w, const char *s)
{
    size_t n = strlen(s);
    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

static void put_f32s(wbuf *w, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &x[i], 4);
        put_u32(w, v);
    }
}

/* Chunks are written as: length placeholder, tag, payload; end_chunk fills in and adds the CRC. */
static size_t begin_chunk(wbuf *w, const char *tag)
{
    size_t at = w->len;
    put_u32(w, 0);
    put(w, tag, 4);
    return at;
}

static void end_chunk(wbuf *w, size_t at)
{
    if (w->failed) return;
    size_t n = w->len - at - 8;
    if (n > 0xFFFFFFFFu) {
        w->failed = 2;
        return;
    }
    for (int i = 0; i < 4; i++)
        w->p[at + (size_t)i] = (unsigned char)(n >> (8 * i));
    put_u32(w, cr_crc32(0, w->p + at + 4, n + 4));
}

static void put_tensor(wbuf *w, const char *name, int ndim, const size_t *dims, const float *x)
{
    size_t n = 1, len = strlen(name);
    put_u8(w, (unsigned)len);
    put(w, name, len);
    put_u8(w, (unsigned)ndim);
    for (int i = 0; i < ndim; i++) {
        put_u32(w, (uint32_t)dims[i]);
        n *= dims[i];
    }
    put_f32s(w, x, n);
}
/* ---- reading ---- */
typedef struct rbuf {
    const unsigned char *p; /* the payload */
    size_t len, pos;
    size_t base;            /* file offset of the payload */
    const char *tag;
    cr_error *err;
    int failed;
} rbuf;

static int need(rbuf *r, size_t n)
{
    if (r->failed) return 0;
    if (r->len - r->pos >= n) return 1;
    r->failed = 1;
    cr_fail(r->err, CR_EFORMAT, (long long)(r->base + r->pos), r->tag,
            "chunk %s is damaged: its contents end early at byte %zu", r->tag, r->base + r->pos);
    return 0;
}

static uint32_t get_u32(rbuf *r)
{
    if (!need(r, 4)) return 0;
    const unsigned char *b = r->p + r->pos;
    r->pos += 4;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static unsigned get_u8(rbuf *r)
{
    if (!need(r, 1)) return 0;
    return r->p[r->pos++];
}

static uint64_t get_u64(rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static double get_f64(rbuf *r)
{
    uint64_t v = get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static char *get_str(rbuf *r)
{
    uint32_t n = get_u32(r);
    if (!need(r, n)) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->failed = 1;
        cr_fail(r->err, CR_ENOMEM, -1, r->tag, "out of memory reading chunk %s", r->tag);
        return NULL;
    }
    memcpy(s, r->p + r->pos, n);
    s[n] = 0;
    r->pos += n;
    return s;
}

static int bad(rbuf *r, const char *what)
{
    r->failed = 1;
    return cr_fail(r->err, CR_EFORMAT, (long long)r->base - 8, r->tag, "chunk %s at byte %zu: %s",
                   r->tag, r->base - 8, what);
}

/* Reads a tensor and checks its name and shape against what the model expects. */
static int get_tensor(rbuf *r, const char *name, int ndim, const size_t *dims, float *x)
{
    char got[256], msg[400];
    unsigned n = get_u8(r);
    if (!need(r, n)) return CR_EFORMAT;
    memcpy(got, r->p + r->pos, n);
    got[n] = 0;
    r->pos += n;
    int gd = (int)get_u8(r);
    size_t size = 1, gdims[4] = {0};
    int match = strcmp(got, name) == 0 && gd == ndim;
    for (int i = 0; i < gd && i < 4; i++) {
        gdims[i] = get_u32(r);
        match = match && i < ndim && gdims[i] == dims[i];
        size *= dims[i < ndim ? i : 0];
    }
    if (r->failed) return CR_EFORMAT;
    if (!match) {
        snprintf(msg, sizeof msg, "tensor '%.60s' (%d dimensions) where '%s' was expected with the "
                 "shape the header gives", got, gd, name);
        return bad(r, msg);
    }
    if (size > (r->len - r->pos) / 4) return need(r, size * 4) ? CR_OK : CR_EFORMAT;
    for (size_t i = 0; i < size; i++) {
        const unsigned char *b = r->p + r->pos + 4 * i;
        uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24;
        memcpy(&x[i], &v, 4);
    }
    r->pos += size * 4;
    return CR_OK;
}

/* ---- the chunks: an encoder and a decoder for each, side by side ----
 * An encoder writes a chunk's payload (the table's driver writes the frame: length, tag, CRC).
 * A decoder reads one payload into the decoder below; decoders run in the table's order, each
 * after the required chunks above it, so VOCB's sees HEAD's and every chunk after WLST sees
 * the model. */
typedef struct decoder {
    cr_error *err;
    cr_config cfg;      /* from HEAD */
    uint32_t V;         /* vocabulary size, from HEAD */
    cr_vocab vocab;     /* from VOCB and VSTR, until WLST copies it into the model */
    size_t need_bytes;  /* bytes of one tensor set's floats (4 per parameter), from WLST on */
    cr_model *m;        /* NULL before WLST */
} decoder;

static void enc_head(wbuf *w, const cr_model *m)
{
    const cr_config *c = &m->cfg;
    put_u32(w, (uint32_t)c->cell);
    put_u32(w, (uint32_t)c->layers);
    put_u32(w, (uint32_t)c->hidden);
    put_u32(w, (uint32_t)c->embed);
    put_u32(w, m->vocab.size);
    put_u32(w, (uint32_t)c->seq_len);
    put_u32(w, (uint32_t)c->batch);
    put_u32(w, (uint32_t)c->optimizer);
    put_u32(w, (uint32_t)c->warmup);
    put_u32(w, (uint32_t)c->eval_every);
    put_u64(w, c->seed);
    put_f64(w, c->lr);
    put_f64(w, c->lr_decay);
    put_f64(w, c->momentum);
    put_f64(w, c->beta1);
    put_f64(w, c->beta2);
    put_f64(w, c->adam_eps);
    put_f64(w, c->clip);
    put_f64(w, c->dropout);
    put_f64(w, c->val_frac);
    /* later fields, written only when not their defaults: older files stay as they were */
    if (c->precision != CR_FP32 || c->weight_decay != 0) put_u32(w, (uint32_t)c->precision);
    if (c->weight_decay != 0) put_f64(w, c->weight_decay);
}

static int dec_head(rbuf *r, decoder *d)
{
    cr_config *c = &d->cfg;
    if (r->len < HEAD_BYTES) return bad(r, "is shorter than a version 1 header");
    c->cell = (int)get_u32(r);
    c->layers = (int)get_u32(r);
    c->hidden = (int)get_u32(r);
    c->embed = (int)get_u32(r);
    d->V = get_u32(r);
    c->seq_len = (int)get_u32(r);
    c->batch = (int)get_u32(r);
    c->optimizer = (int)get_u32(r);
    c->warmup = (int)get_u32(r);
    c->eval_every = (int)get_u32(r);
    c->seed = get_u64(r);
    c->lr = get_f64(r);
    c->lr_decay = get_f64(r);
    c->momentum = get_f64(r);
    c->beta1 = get_f64(r);
    c->beta2 = get_f64(r);
    c->adam_eps = get_f64(r);
    c->clip = get_f64(r);
    c->dropout = get_f64(r);
    c->val_frac = get_f64(r);
    c->precision = r->len >= HEAD_BYTES + 4 ? (int)get_u32(r) : CR_FP32;
    c->weight_decay = r->len >= HEAD_BYTES + 12 ? get_f64(r) : 0.0;
    cr_error e;
    if (cr_config_check(c, &e)) return bad(r, e.message);
    if (d->V < 1 || d->V > 0x110000) return bad(r, "has an impossible vocabulary size");
    return CR_OK;
}

static void enc_vocab(wbuf *w, const cr_model *m)
{
    put_u32(w, m->vocab.size);
    for (uint32_t i = 0; i < m->vocab.size; i++) {
        put_u32(w, m->vocab.chars[i]);
        put_u64(w, m->vocab.counts[i]);
    }
}

static int dec_vocab(rbuf *r, decoder *d)
{
    cr_vocab *v = &d->vocab;
    uint32_t n = get_u32(r);
    if (r->failed) return CR_EFORMAT;
    if (n != d->V) return bad(r, "holds a different number of characters than the header gives");
    if ((r->len - 4) / 12 != n || (r->len - 4) % 12) return bad(r, "has the wrong length for its count");
    v->chars = malloc(n * sizeof *v->chars);
    v->counts = malloc(n * sizeof *v->counts);
    if (!v->chars || !v->counts) {
        cr_vocab_free(v);
        return cr_fail(r->err, CR_ENOMEM, -1, r->tag, "out of memory reading the vocabulary");
    }
    v->size = n;
    for (uint32_t i = 0; i < n; i++) {
        v->chars[i] = get_u32(r);
        v->counts[i] = get_u64(r);
        char tmp[4];
        if (cr_utf8_encode(v->chars[i], tmp) == 0 || (i > 0 && v->chars[i] <= v->chars[i - 1])) {
            cr_vocab_free(v);
            return bad(r, "holds a code point that is invalid or out of order");
        }
    }
    return CR_OK;
}

/* The strings of ids that stand for more (or less) than one character. */
static int has_vocab_strings(const cr_model *m) { return m->vocab.strings != NULL; }

static void enc_vocab_strings(wbuf *w, const cr_model *m)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->vocab.size; i++)
        n += m->vocab.strings[i] != NULL;
    put_u32(w, n);
    for (uint32_t i = 0; i < m->vocab.size; i++)
        if (m->vocab.strings[i]) {
            put_u32(w, i);
            put_str(w, m->vocab.strings[i]);
        }
}

static int dec_vocab_strings(rbuf *r, decoder *d)
{
    cr_vocab *v = &d->vocab;
    uint32_t n = get_u32(r);
    if (r->failed) return CR_EFORMAT;
    if (n > v->size || n > (r->len - 4) / 8) return bad(r, "claims more strings than it can hold");
    if (!(v->strings = calloc(v->size, sizeof *v->strings)))
        return cr_fail(r->err, CR_ENOMEM, -1, r->tag, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = get_u32(r);
        if (r->failed) return CR_EFORMAT;
        if (id >= v->size || v->strings[id]) return bad(r, "names an id twice or out of range");
        size_t start = r->pos + 4;
        char *str = get_str(r);
        if (!str) return r->failed ? CR_EFORMAT : CR_ENOMEM;
        v->strings[id] = str;
        size_t slen = strlen(str);
        if (slen != r->pos - start || !cr_utf8_valid((const unsigned char *)str, slen, NULL))
            return bad(r, "holds a string that is not UTF-8 text");
    }
    return CR_OK;
}

/* Tensor sets: every tensor of the table, in its order, with x's values (nparams). */
static void put_param_set(wbuf *w, const cr_model *m, const float *x)
{
    put_u32(w, (uint32_t)m->ntensors);
    for (size_t i = 0; i < m->ntensors; i++) {
        const cr_tensor_info *t = &m->tensors[i];
        put_tensor(w, t->name, t->ndim, t->dims, x + t->offset);
    }
}

static int get_param_set(rbuf *r, const cr_model *m, float *x)
{
    uint32_t n = get_u32(r);
    if (r->failed) return CR_EFORMAT;
    if (n != m->ntensors) return bad(r, "holds a different number of tensors than the header gives");
    for (size_t i = 0; i < m->ntensors; i++) {
        const cr_tensor_info *t = &m->tensors[i];
        if (get_tensor(r, t->name, t->ndim, t->dims, x + t->offset)) return CR_EFORMAT;
    }
    return CR_OK;
}

/* An optional tensor set into *x, allocated here. */
static int get_optional_set(rbuf *r, decoder *d, float **x)
{
    if (r->len < d->need_bytes) return bad(r, "is too short for the model");
    if (!(*x = malloc(d->m->nparams * sizeof(float))))
        return cr_fail(d->err, CR_ENOMEM, -1, r->tag, "out of memory");
    return get_param_set(r, d->m, *x) ? CR_EFORMAT : CR_OK;
}

static void enc_latest(wbuf *w, const cr_model *m) { put_param_set(w, m, m->params); }

/* Allocates the model the header and vocabulary describe, then reads its weights. */
static int dec_latest(rbuf *r, decoder *d)
{
    /* never allocate more than the file can fill: the weights must all be in WLST */
    d->need_bytes = cr_param_count_for(&d->cfg, d->V) * 4;
    if (d->need_bytes > r->len) return bad(r, "is too short for the model the header describes");
    int rc = cr_model_alloc(&d->m, &d->cfg, &d->vocab, d->err);
    cr_vocab_free(&d->vocab);
    if (rc) return rc;
    return get_param_set(r, d->m, d->m->params) ? CR_EFORMAT : CR_OK;
}

static int has_best(const cr_model *m) { return m->best != NULL; }
static void enc_best(wbuf *w, const cr_model *m) { put_param_set(w, m, m->best); }
static int dec_best(rbuf *r, decoder *d) { return get_optional_set(r, d, &d->m->best); }

static int has_m1(const cr_model *m) { return m->m1 != NULL; }
static void enc_m1(wbuf *w, const cr_model *m) { put_param_set(w, m, m->m1); }
static int dec_m1(rbuf *r, decoder *d) { return get_optional_set(r, d, &d->m->m1); }

static int has_m2(const cr_model *m) { return m->m2 != NULL; }
static void enc_m2(wbuf *w, const cr_model *m) { put_param_set(w, m, m->m2); }
static int dec_m2(rbuf *r, decoder *d) { return get_optional_set(r, d, &d->m->m2); }

/* One tensor "carry" of shape (L * S, B, H): S states per cell. */
static void carry_dims(const cr_config *c, size_t dims[3])
{
    dims[0] = (size_t)c->layers * (size_t)cr_states_per_cell(c->cell);
    dims[1] = (size_t)c->batch;
    dims[2] = (size_t)c->hidden;
}

static int has_carry(const cr_model *m) { return m->carry != NULL; }

static void enc_carry(wbuf *w, const cr_model *m)
{
    size_t dims[3];
    carry_dims(&m->cfg, dims);
    put_u32(w, 1);
    put_tensor(w, "carry", 3, dims, m->carry);
}

static int dec_carry(rbuf *r, decoder *d)
{
    cr_model *m = d->m;
    size_t dims[3];
    carry_dims(&d->cfg, dims);
    if (r->len / 4 < cr_carry_floats(&d->cfg)) return bad(r, "is too short");
    if (!(m->carry = malloc(cr_carry_floats(&d->cfg) * sizeof(float))))
        return cr_fail(d->err, CR_ENOMEM, -1, "CARY", "out of memory");
    if (get_u32(r) != 1 && !r->failed) return bad(r, "must hold one tensor");
    if (get_tensor(r, "carry", 3, dims, m->carry)) return CR_EFORMAT;
    return CR_OK;
}

static void enc_stat(wbuf *w, const cr_model *m)
{
    const cr_train_progress *g = &m->prog;
    put_u64(w, g->step);
    put_u64(w, g->epoch);
    put_u64(w, g->epoch_pos);
    put_u64(w, g->chars);
    put_f64(w, g->wall_s);
    put_f64(w, g->best_val);
    put_u64(w, g->best_step);
    put_u32(w, g->evals_since_best);
    for (int i = 0; i < 4; i++)
        put_u64(w, m->rng.s[i]);
}

static int dec_stat(rbuf *r, decoder *d)
{
    if (r->len < STAT_BYTES) return bad(r, "is shorter than version 1's");
    cr_train_progress *g = &d->m->prog;
    g->step = get_u64(r);
    g->epoch = get_u64(r);
    g->epoch_pos = get_u64(r);
    g->chars = get_u64(r);
    g->wall_s = get_f64(r);
    g->best_val = get_f64(r);
    g->best_step = get_u64(r);
    g->evals_since_best = get_u32(r);
    for (int i = 0; i < 4; i++)
        d->m->rng.s[i] = get_u64(r);
    return CR_OK;
}

static int has_plan(const cr_model *m) { return m->has_plan; }

static void enc_plan(wbuf *w, const cr_model *m)
{
    const cr_plan *p = &m->plan;
    put_u64(w, p->start_step);
    put_u64(w, p->steps);
    put_u64(w, p->epochs);
    put_f64(w, p->seconds);
    put_f64(w, p->spent_s);
    put_f64(w, p->anneal);
}

static int dec_plan(rbuf *r, decoder *d)
{
    if (r->len < PLAN_BYTES) return bad(r, "is shorter than 48 bytes");
    cr_plan p;
    p.start_step = get_u64(r);
    p.steps = get_u64(r);
    p.epochs = get_u64(r);
    p.seconds = get_f64(r);
    p.spent_s = get_f64(r);
    p.anneal = get_f64(r);
    if (!p.steps && !(p.seconds > 0)) return bad(r, "is a plan with neither steps nor seconds");
    if (!(p.anneal >= 0 && p.anneal <= 1)) return bad(r, "has an anneal outside 0 to 1");
    if (!(p.seconds >= 0 && p.seconds < INFINITY && p.spent_s >= 0 && p.spent_s < INFINITY))
        return bad(r, "has a time that is negative or not finite");
    return cr_model_set_plan(d->m, &p, d->err);
}

static void enc_hist(wbuf *w, const cr_model *m)
{
    put_u32(w, (uint32_t)m->nhist);
    for (size_t i = 0; i < m->nhist; i++) {
        const cr_history_row *h = &m->hist[i];
        put_u64(w, h->step);
        put_u64(w, h->chars);
        put_f64(w, h->train_loss);
        put_f64(w, h->val_loss);
        put_f64(w, h->chars_per_s);
        put_f64(w, h->wall_s);
    }
}

static int dec_hist(rbuf *r, decoder *d)
{
    cr_model *m = d->m;
    uint32_t n = get_u32(r);
    if (r->failed) return CR_EFORMAT;
    if (n > (r->len - 4) / HIST_ROW_BYTES) return bad(r, "claims more rows than it holds");
    if (!(m->hist = malloc((n ? n : 1) * sizeof *m->hist)))
        return cr_fail(d->err, CR_ENOMEM, -1, "HIST", "out of memory");
    m->caphist = n ? n : 1;
    for (uint32_t i = 0; i < n; i++) {
        cr_history_row *h = &m->hist[i];
        h->step = get_u64(r);
        h->chars = get_u64(r);
        h->train_loss = get_f64(r);
        h->val_loss = get_f64(r);
        h->chars_per_s = get_f64(r);
        h->wall_s = get_f64(r);
    }
    m->nhist = n;
    return CR_OK;
}

static void enc_lineage(wbuf *w, const cr_model *m)
{
    put_u32(w, (uint32_t)m->nsessions);
    for (size_t i = 0; i < m->nsessions; i++) {
        const cr_session *s = &m->sessions[i];
        put_str(w, s->command);
        put_str(w, s->version);
        put_str(w, s->date);
        put_u64(w, s->start_step);
        put_u32(w, s->nsources);
        for (uint32_t k = 0; k < s->nsources; k++) {
            put_str(w, s->sources[k].name);
            put_u64(w, s->sources[k].bytes);
            put(w, s->sources[k].sha256, 32);
        }
    }
}

static int get_lineage(rbuf *r, cr_model *m)
{
    uint32_t n = get_u32(r);
    if (r->failed) return CR_EFORMAT;
    if (n > (r->len - r->pos) / 24) return bad(r, "claims more sessions than it has bytes for");
    m->sessions = calloc(n ? n : 1, sizeof *m->sessions);
    if (!m->sessions) return cr_fail(r->err, CR_ENOMEM, -1, r->tag, "out of memory");
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        cr_session *s = &m->sessions[i];
        m->nsessions = i + 1;
        s->command = get_str(r);
        s->version = get_str(r);
        s->date = get_str(r);
        s->start_step = get_u64(r);
        uint32_t k = get_u32(r);
        if (r->failed) break;
        if (k > (r->len - r->pos) / 44) return bad(r, "claims more sources than it has bytes for");
        s->sources = calloc(k ? k : 1, sizeof *s->sources);
        if (!s->sources) return cr_fail(r->err, CR_ENOMEM, -1, r->tag, "out of memory");
        for (uint32_t j = 0; j < k && !r->failed; j++) {
            s->nsources = j + 1;
            s->sources[j].name = get_str(r);
            s->sources[j].bytes = get_u64(r);
            if (need(r, 32)) {
                memcpy(s->sources[j].sha256, r->p + r->pos, 32);
                r->pos += 32;
            }
        }
    }
    return r->failed ? CR_EFORMAT : CR_OK;
}

/* (An out-of-memory failure that get_str met counts as damage, as it always has.) */
static int dec_lineage(rbuf *r, decoder *d)
{
    if (get_lineage(r, d->m)) return r->failed ? CR_EFORMAT : CR_ENOMEM;
    return CR_OK;
}

/* IEND: an empty payload; the reader does not look at it. */
static void enc_end(wbuf *w, const cr_model *m)
{
    (void)w;
    (void)m;
}

/* ---- the table: one row per chunk, in the order a writer writes them ----
 * The writer, the reader's known-chunk and required-chunk checks, and dump --chunks (through
 * cr_ckpt_chunk_find) all read it. A new chunk is a row here and its encoder and decoder above,
 * and a row and a section in docs/checkpoint-format.md (test_chunks.c holds the tables equal). */
typedef struct chunk_codec {
    cr_chunk_kind kind;                          /* tag, required, meaning */
    int (*present)(const cr_model *m);           /* written when this is 1; NULL: always */
    void (*encode)(wbuf *w, const cr_model *m);  /* the payload */
    int (*decode)(rbuf *r, decoder *d);          /* NULL: nothing to read */
} chunk_codec;

static const chunk_codec CHUNKS[] = {
    {{"HEAD", 1, "shape and training settings"}, NULL, enc_head, dec_head},
    {{"VOCB", 1, "vocabulary"}, NULL, enc_vocab, dec_vocab},
    {{"VSTR", 0, "ids that stand for strings (ml5.js imports)"}, has_vocab_strings,
     enc_vocab_strings, dec_vocab_strings},
    {{"WLST", 1, "latest weights"}, NULL, enc_latest, dec_latest},
    {{"WBST", 0, "best weights"}, has_best, enc_best, dec_best},
    {{"OPT1", 0, "optimizer: first moments or velocity"}, has_m1, enc_m1, dec_m1},
    {{"OPT2", 0, "optimizer: second moments"}, has_m2, enc_m2, dec_m2},
    {{"CARY", 0, "state carried between training chunks"}, has_carry, enc_carry, dec_carry},
    {{"STAT", 0, "progress and random generator"}, NULL, enc_stat, dec_stat},
    {{"PLAN", 0, "the budget trained to"}, has_plan, enc_plan, dec_plan},
    {{"HIST", 0, "history"}, NULL, enc_hist, dec_hist},
    {{"LINE", 0, "lineage"}, NULL, enc_lineage, dec_lineage},
    {{"IEND", 1, "end"}, NULL, enc_end, NULL},
};
#define NCHUNKS (sizeof CHUNKS / sizeof CHUNKS[0])

const cr_chunk_kind *cr_ckpt_chunk_at(size_t i) { return i < NCHUNKS ? &CHUNKS[i].kind : NULL; }

const cr_chunk_kind *cr_ckpt_chunk_find(const char *tag)
{
    for (size_t k = 0; k < NCHUNKS; k++)
        if (strcmp(tag, CHUNKS[k].kind.tag) == 0) return &CHUNKS[k].kind;
    return NULL;
}

int cr_ckpt_encode(const cr_model *m, unsigned char **buf, size_t *len, cr_error *err)
{
    wbuf w = {0};
    put(&w, SIGNATURE, 8);
    put_u32(&w, FORMAT_VERSION);
    for (size_t k = 0; k < NCHUNKS; k++) {
        const chunk_codec *c = &CHUNKS[k];
        if (c->present && !c->present(m)) continue;
        size_t at = begin_chunk(&w, c->kind.tag);
        c->encode(&w, m);
        end_chunk(&w, at);
    }
    if (w.failed) {
        free(w.p);
        return w.failed == 2 ? cr_fail(err, CR_EINVAL, -1, NULL, "the model is too large for one "
                                       "checkpoint chunk (4 GiB)")
                             : cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory encoding the "
                                       "checkpoint");
    }
    *buf = w.p;
    *len = w.len;
    return CR_OK;
}

/* ---- the file: signature, version, the list of chunks ---- */
static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint32_t cr_ckpt_version(const unsigned char *buf, size_t len)
{
    if (!buf || len < 12 || memcmp(buf, SIGNATURE, 8) != 0) return 0;
    return le32(buf + 8);
}

int cr_ckpt_list_chunks(const unsigned char *buf, size_t len, cr_chunk_info **chunks,
                        size_t *count, cr_error *err)
{
    *chunks = NULL;
    *count = 0;
    size_t head = len < 8 ? len : 8;
    if (len < 12 && memcmp(buf, SIGNATURE, head) == 0)
        return cr_fail(err, CR_EFORMAT, (long long)len, NULL, "the checkpoint is truncated: it "
                       "ends at byte %zu, inside its header", len);
    if (len >= 4 && buf[0] != SIGNATURE[0] && memcmp(buf + 1, SIGNATURE + 1, 3) == 0)
        return cr_fail(err, CR_EFORMAT, 0, NULL, "the checkpoint signature is damaged: its first "
                       "byte lost its high bit, as in a 7-bit text transfer");
    if (len < 4 || memcmp(buf, SIGNATURE, 4) != 0)
        return cr_fail(err, CR_EFORMAT, 0, NULL, "not a charrnn checkpoint (%s)",
                       len < 4 ? "too short" : "no checkpoint signature at the start");
    if (memcmp(buf, SIGNATURE, head) != 0)
        return cr_fail(err, CR_EFORMAT, 4, NULL, "the checkpoint signature is damaged: the file "
                       "was probably copied as text (its line endings were changed)");
    uint32_t version = le32(buf + 8);
    if (version > FORMAT_VERSION)
        return cr_fail(err, CR_EVERSION, 8, NULL, "checkpoint format version %u is newer than "
                       "this program reads (%u); use a newer charrnn", version, FORMAT_VERSION);
    if (version == 0) return cr_fail(err, CR_EFORMAT, 8, NULL, "format version 0 is invalid");
    size_t pos = 12, n = 0, cap = 16;
    cr_chunk_info *list = malloc(cap * sizeof *list);
    if (!list) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    for (;;) {
        if (len - pos < 12) {
            free(list);
            return cr_fail(err, CR_EFORMAT, (long long)pos, NULL, "the checkpoint is truncated: "
                           "it ends at byte %zu before its IEND chunk", len);
        }
        const unsigned char *h = buf + pos;
        uint32_t clen = le32(h);
        char tag[5];
        memcpy(tag, h + 4, 4);
        tag[4] = 0;
        for (int i = 0; i < 4; i++)
            if (!((tag[i] >= 'A' && tag[i] <= 'Z') || (tag[i] >= 'a' && tag[i] <= 'z') ||
                  (tag[i] >= '0' && tag[i] <= '9'))) {
                free(list);
                return cr_fail(err, CR_EFORMAT, (long long)pos + 4, NULL,
                               "damaged chunk header at byte %zu", pos);
            }
        if (clen > len - pos - 12) {
            free(list);
            return cr_fail(err, CR_EFORMAT, (long long)pos, tag, "the checkpoint is truncated: "
                           "chunk %s at byte %zu needs %u bytes but only %zu remain", tag, pos,
                           clen, len - pos - 12);
        }
        const unsigned char *c = h + 8 + clen;
        uint32_t crc = le32(c);
        if (crc != cr_crc32(0, h + 4, (size_t)clen + 4)) {
            free(list);
            return cr_fail(err, CR_EFORMAT, (long long)pos, tag,
                           "chunk %s at byte %zu is damaged (its CRC-32 does not match)", tag, pos);
        }
        if (n == cap) {
            cr_chunk_info *p = realloc(list, 2 * cap * sizeof *list);
            if (!p) {
                free(list);
                return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
            }
            list = p;
            cap *= 2;
        }
        memcpy(list[n].tag, tag, 5);
        list[n].offset = pos;
        list[n].length = clen;
        list[n].crc = crc;
        n++;
        pos += 12 + (size_t)clen;
        if (strcmp(tag, "IEND") == 0) break;
    }
    *chunks = list;
    *count = n;
    return CR_OK;
}

/* ---- decoding: the chunks found, by the table's rows ---- */
static rbuf reader_for(const unsigned char *buf, const cr_chunk_info *c, cr_error *err)
{
    rbuf r = {buf + c->offset + 8, c->length, 0, (size_t)c->offset + 8, c->tag, err, 0};
    return r;
}

/* Runs the decoders of the chunks found (found[k] for CHUNKS[k], or NULL) in the table's
 * order; *out is the model once WLST is read, even on a later failure (the caller frees it). */
static int decode_chunks(const unsigned char *buf, const cr_chunk_info *const *found,
                         cr_model **out, cr_error *err)
{
    decoder d = {.err = err};
    int rc = CR_OK;
    for (size_t k = 0; k < NCHUNKS && rc == CR_OK; k++) {
        if (!found[k] || !CHUNKS[k].decode) continue;
        rbuf r = reader_for(buf, found[k], err);
        rc = CHUNKS[k].decode(&r, &d);
    }
    cr_vocab_free(&d.vocab);
    *out = d.m;
    return rc;
}

int cr_ckpt_decode(const unsigned char *buf, size_t len, cr_model **out, cr_error *err)
{
    cr_chunk_info *chunks;
    size_t n;
    *out = NULL;
    int rc = cr_ckpt_list_chunks(buf, len, &chunks, &n, err);
    if (rc) return rc;
    const cr_chunk_info *found[NCHUNKS] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < NCHUNKS; k++) {
            const char *tag = CHUNKS[k].kind.tag;
            if (strcmp(chunks[i].tag, tag) != 0) continue;
            if (found[k]) {
                rc = cr_fail(err, CR_EFORMAT, (long long)chunks[i].offset, tag,
                             "chunk %s appears twice (again at byte %llu)", tag,
                             (unsigned long long)chunks[i].offset);
                free(chunks);
                return rc;
            }
            found[k] = &chunks[i];
        }
    for (size_t k = 0; k < NCHUNKS; k++)
        if (CHUNKS[k].kind.required && !found[k]) {
            const char *tag = CHUNKS[k].kind.tag;
            free(chunks);
            return cr_fail(err, CR_EFORMAT, -1, tag, "the checkpoint has no %s chunk", tag);
        }
    cr_model *m = NULL;
    rc = decode_chunks(buf, found, &m, err);
    free(chunks);
    if (rc) {
        cr_model_free(m);
        return rc;
    }
    *out = m;
    return CR_OK;
}
