/* test_ckpt.c: the checkpoint format: exact round trips, and damage of every kind refused with
 * an error that says where, never a crash or a huge allocation. */
#include "test.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a model with every optional part filled in ---- */

static float *random_floats(size_t n, cr_rng *r)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (x) fill_uniform(x, n, 2.0f, r);
    return x;
}

static cr_model *full_model(int cell, int layers, int embed)
{
    cr_model *m = tiny_model(cell, layers, 4, embed, "abc \n\xC3\xB1\xE4\xB8\xAD\xF0\x9F\x98\x80", 3);
    if (!m) return NULL;
    cr_rng r;
    cr_rng_seed(&r, 77);
    m->best = random_floats(m->nparams, &r);
    m->m1 = random_floats(m->nparams, &r);
    m->m2 = random_floats(m->nparams, &r);
    m->carry = random_floats(cr_carry_floats(&m->cfg), &r);
    m->prog.step = 1234;
    m->prog.epoch = 5;
    m->prog.epoch_pos = 17;
    m->prog.chars = 987654321012ull;
    m->prog.wall_s = 12.5;
    m->prog.best_val = 1.75;
    m->prog.best_step = 1200;
    m->prog.evals_since_best = 3;
    for (int i = 0; i < 5; i++)
        cr_rng_next(&m->rng);
    cr_error e;
    cr_history_row rows[3] = {
        {100, 6400, 3.5, NAN, 1000.0, 6.4},
        {200, 12800, 2.5, 2.75, 1100.0, 12.1},
        {0xFFFFFFFFFFull, 1ull << 40, 1e-300, -0.0, 0.0, 1e300},
    };
    for (int i = 0; i < 3; i++)
        if (cr_model_append_history(m, &rows[i], &e)) return m;
    cr_source src[2] = {{"corpus/a.txt", 1000, {0}}, {"-", 0, {0}}};
    for (int i = 0; i < 32; i++) {
        src[0].sha256[i] = (unsigned char)(i * 9 + 1);
        src[1].sha256[i] = (unsigned char)(255 - i);
    }
    m->prog.step = 0;
    cr_model_add_session(m, "train_charrnn --hidden 4 corpus/a.txt -", "0.1.0",
                         "2024-01-02T03:04:05Z", src, 2, &e);
    m->prog.step = 1234;
    cr_model_add_session(m, "train_charrnn --resume x.ckpt", "0.1.1", "2024-02-03T04:05:06Z", NULL,
                         0, &e);
    cr_plan plan = {1000, 500, 2, 180.25, 33.5, 0.3};
    cr_model_set_plan(m, &plan, &e);
    return m;
}

static int same_floats(const float *a, const float *b, size_t n)
{
    if (!a || !b) return a == b;
    return memcmp(a, b, n * sizeof *a) == 0;
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static int same_str(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Every field a checkpoint holds, compared bit for bit. */
static void check_same_model(const cr_model *a, const cr_model *b)
{
    const cr_config *x = &a->cfg, *y = &b->cfg;
    CHECK(x->cell == y->cell && x->layers == y->layers && x->hidden == y->hidden &&
          x->embed == y->embed && x->seq_len == y->seq_len && x->batch == y->batch &&
          x->optimizer == y->optimizer && x->warmup == y->warmup &&
          x->eval_every == y->eval_every && x->seed == y->seed);
    CHECK(same_double(x->lr, y->lr) && same_double(x->lr_decay, y->lr_decay) &&
          same_double(x->momentum, y->momentum) && same_double(x->beta1, y->beta1) &&
          same_double(x->beta2, y->beta2) && same_double(x->adam_eps, y->adam_eps) &&
          same_double(x->clip, y->clip) && same_double(x->dropout, y->dropout) &&
          same_double(x->val_frac, y->val_frac));
    CHECK(x->precision == y->precision && same_double(x->weight_decay, y->weight_decay));
    REQUIRE(a->vocab.size == b->vocab.size);
    CHECK(memcmp(a->vocab.chars, b->vocab.chars, a->vocab.size * sizeof(uint32_t)) == 0);
    CHECK(memcmp(a->vocab.counts, b->vocab.counts, a->vocab.size * sizeof(uint64_t)) == 0);
    REQUIRE(a->nparams == b->nparams && a->ntensors == b->ntensors);
    for (size_t i = 0; i < a->ntensors; i++)
        CHECK(strcmp(a->tensors[i].name, b->tensors[i].name) == 0 &&
              a->tensors[i].offset == b->tensors[i].offset);
    CHECK(same_floats(a->params, b->params, a->nparams));
    CHECK(same_floats(a->best, b->best, a->nparams));
    CHECK(same_floats(a->m1, b->m1, a->nparams));
    CHECK(same_floats(a->m2, b->m2, a->nparams));
    CHECK(same_floats(a->carry, b->carry, cr_carry_floats(&a->cfg)));
    const cr_train_progress *p = &a->prog, *q = &b->prog;
    CHECK(p->step == q->step && p->epoch == q->epoch && p->epoch_pos == q->epoch_pos &&
          p->chars == q->chars && p->best_step == q->best_step &&
          p->evals_since_best == q->evals_since_best);
    CHECK(same_double(p->wall_s, q->wall_s) && same_double(p->best_val, q->best_val));
    CHECK(memcmp(a->rng.s, b->rng.s, sizeof a->rng.s) == 0);
    REQUIRE(a->has_plan == b->has_plan);
    const cr_plan *u = &a->plan, *v = &b->plan;
    CHECK(!a->has_plan || (u->start_step == v->start_step && u->steps == v->steps &&
                           u->epochs == v->epochs && same_double(u->seconds, v->seconds) &&
                           same_double(u->spent_s, v->spent_s) &&
                           same_double(u->anneal, v->anneal)));
    REQUIRE(a->nhist == b->nhist);
    for (size_t i = 0; i < a->nhist; i++) {
        const cr_history_row *r = &a->hist[i], *s = &b->hist[i];
        CHECK(r->step == s->step && r->chars == s->chars);
        CHECK(same_double(r->train_loss, s->train_loss) && same_double(r->val_loss, s->val_loss) &&
              same_double(r->chars_per_s, s->chars_per_s) && same_double(r->wall_s, s->wall_s));
    }
    REQUIRE(a->nsessions == b->nsessions);
    for (size_t i = 0; i < a->nsessions; i++) {
        const cr_session *s = &a->sessions[i], *t = &b->sessions[i];
        CHECK(same_str(s->command, t->command) && same_str(s->version, t->version) &&
              same_str(s->date, t->date) && s->start_step == t->start_step);
        REQUIRE(s->nsources == t->nsources);
        for (uint32_t k = 0; k < s->nsources; k++) {
            CHECK(same_str(s->sources[k].name, t->sources[k].name));
            CHECK(s->sources[k].bytes == t->sources[k].bytes);
            CHECK(memcmp(s->sources[k].sha256, t->sources[k].sha256, 32) == 0);
        }
    }
}

/* ---- byte surgery on encoded checkpoints ---- */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Offset of the first chunk called tag, found by walking the chunks; (size_t)-1 if none. */
static size_t chunk_at(const unsigned char *buf, size_t len, const char *tag)
{
    size_t pos = 12;
    while (pos + 12 <= len) {
        if (memcmp(buf + pos + 4, tag, 4) == 0) return pos;
        pos += 12 + (size_t)rd32(buf + pos);
    }
    return (size_t)-1;
}

/* Recomputes the CRC of the chunk at pos after its payload was edited. */
static void fix_crc(unsigned char *buf, size_t pos)
{
    uint32_t n = rd32(buf + pos);
    wr32(buf + pos + 8 + n, cr_crc32(0, buf + pos + 4, (size_t)n + 4));
}

/* A new buffer: buf with the bytes ins (n) inserted at pos. */
static unsigned char *splice(const unsigned char *buf, size_t len, size_t pos, size_t cut,
                             const void *ins, size_t n, size_t *outlen)
{
    unsigned char *p = malloc(len - cut + n + 1);
    if (!p) return NULL;
    memcpy(p, buf, pos);
    memcpy(p + pos, ins, n);
    memcpy(p + pos + n, buf + pos + cut, len - pos - cut);
    *outlen = len - cut + n;
    return p;
}

/* A complete chunk (length, tag, payload, CRC) in a new buffer of 12 + n bytes. */
static unsigned char *make_chunk(const char *tag, const void *payload, size_t n)
{
    unsigned char *c = malloc(12 + n);
    if (!c) return NULL;
    wr32(c, (uint32_t)n);
    memcpy(c + 4, tag, 4);
    if (n) memcpy(c + 8, payload, n);
    wr32(c + 8 + n, cr_crc32(0, c + 4, n + 4));
    return c;
}

/* Decodes from an exact-size heap copy so that ASan catches any read past the end. */
static int decode_copy(const unsigned char *buf, size_t len, cr_model **out, cr_error *e)
{
    unsigned char *p = malloc(len ? len : 1);
    if (!p) return 99;
    memcpy(p, buf, len);
    memset(e, 0, sizeof *e);
    e->offset = -99;
    int rc = cr_ckpt_decode(p, len, out, e);
    free(p);
    return rc;
}

static int encode(const cr_model *m, unsigned char **buf, size_t *len)
{
    cr_error e;
    return cr_ckpt_encode(m, buf, len, &e);
}

/* ---- round trips ---- */

static void round_trip(cr_model *m)
{
    unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    cr_error e;
    REQUIRE(cr_ckpt_encode(m, &a, &na, &e) == CR_OK);
    cr_model *d = NULL;
    REQUIRE(cr_ckpt_decode(a, na, &d, &e) == CR_OK);
    REQUIRE(d != NULL);
    check_same_model(m, d);
    CHECK(cr_ckpt_encode(d, &b, &nb, &e) == CR_OK);
    CHECK(na == nb && b && memcmp(a, b, na) == 0);
    free(a);
    free(b);
    cr_model_free(d);
}

TEST(ckpt_round_trip_full_lstm)
{
    cr_model *m = full_model(CR_LSTM, 2, 0);
    REQUIRE(m && m->nhist == 3 && m->nsessions == 2 && m->best && m->carry && m->has_plan);
    CHECK(m->sessions[0].start_step == 0 && m->sessions[1].start_step == 1234);
    round_trip(m);
    cr_model_free(m);
}

TEST(ckpt_round_trip_gru_rnn_embed)
{
    cr_model *m = full_model(CR_GRU, 3, 3);
    REQUIRE(m);
    m->cfg.optimizer = CR_SGD;
    m->cfg.lr = 0.125;
    m->cfg.dropout = 0.3;
    m->cfg.seed = 0xFEDCBA9876543210ull;
    round_trip(m);
    cr_model_free(m);
    m = full_model(CR_RNN, 1, 2);
    REQUIRE(m);
    round_trip(m);
    cr_model_free(m);
}

TEST(ckpt_round_trip_fresh_model)
{
    /* nothing optional: no best weights, no optimizer state, no carry, no history or sessions */
    cr_model *m = tiny_model(CR_LSTM, 1, 3, 0, "xy", 9);
    REQUIRE(m);
    REQUIRE(!m->best && !m->m1 && !m->m2 && !m->carry && m->nhist == 0 && m->nsessions == 0);
    round_trip(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    cr_model *d = NULL;
    cr_error e;
    REQUIRE(cr_ckpt_decode(buf, len, &d, &e) == CR_OK);
    CHECK(!d->best && !d->m1 && !d->m2 && !d->carry);
    CHECK(!cr_model_has_best(d));
    CHECK(isnan(cr_model_progress(d)->best_val));
    free(buf);
    cr_model_free(d);
    cr_model_free(m);
}

/* HEAD's later fields (docs/checkpoint-format.md): precision at 120, weight_decay at 124, each
 * written only when it or a field after it is not its default, so older files stay as they were */
TEST(ckpt_later_head_fields_only_when_set)
{
    static const struct {
        int precision;
        double weight_decay;
        uint32_t head_bytes;
    } cases[] = {{CR_FP32, 0, 120}, {CR_BF16, 0, 124}, {CR_FP32, 0.05, 132}, {CR_BF16, 1, 132}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cr_model *m = full_model(CR_GRU, 2, 0);
        REQUIRE(m);
        m->cfg.precision = cases[k].precision;
        m->cfg.weight_decay = cases[k].weight_decay;
        round_trip(m);
        unsigned char *buf;
        size_t len;
        REQUIRE(encode(m, &buf, &len) == CR_OK);
        CHECK(rd32(buf + 12) == cases[k].head_bytes); /* HEAD's length, after the signature */
        cr_model *d = NULL;
        cr_error e;
        CHECK(cr_ckpt_decode(buf, len, &d, &e) == CR_OK);
        CHECK(d && d->cfg.precision == cases[k].precision &&
              d->cfg.weight_decay == cases[k].weight_decay);
        cr_model_free(d);
        free(buf);
        cr_model_free(m);
    }
}

TEST(ckpt_list_chunks_in_order)
{
    cr_model *m = full_model(CR_LSTM, 2, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    cr_chunk_info *c = NULL;
    size_t n = 0;
    cr_error e;
    REQUIRE(cr_ckpt_list_chunks(buf, len, &c, &n, &e) == CR_OK);
    static const char *const want[] = {"HEAD", "VOCB", "WLST", "WBST", "OPT1", "OPT2",
                                       "CARY", "STAT", "PLAN", "HIST", "LINE", "IEND"};
    CHECK(n == 12);
    uint64_t pos = 12;
    for (size_t i = 0; i < n && i < 12; i++) {
        CHECK(strcmp(c[i].tag, want[i]) == 0);
        CHECK(c[i].offset == pos);
        CHECK(rd32(buf + pos) == c[i].length);
        CHECK(c[i].crc == cr_crc32(0, buf + pos + 4, (size_t)c[i].length + 4));
        pos += 12 + c[i].length;
    }
    CHECK(pos == len);
    CHECK(n > 0 && c[n - 1].length == 0);
    CHECK(c[0].length == 120); /* HEAD of version 1 */
    CHECK(c[n - 1 - 4].length == 92); /* STAT */
    CHECK(c[n - 1 - 3].length == 48); /* PLAN */
    CHECK(c[n - 1 - 2].length == 4 + 3 * 48); /* HIST: count and three rows */
    /* the signature and version */
    static const unsigned char sig[12] = {0x89, 'C', 'R', 'N', 0x0D, 0x0A, 0x1A, 0x0A, 1, 0, 0, 0};
    CHECK(memcmp(buf, sig, 12) == 0);
    free(c);
    free(buf);
    cr_model_free(m);
}

/* ---- damage ---- */

TEST(ckpt_truncated_at_every_length)
{
    cr_model *m = full_model(CR_LSTM, 1, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    int wrong = 0, accepted = 0, silent = 0;
    for (size_t n = 0; n < len; n++) {
        cr_model *d = (cr_model *)buf;
        cr_error e;
        int rc = decode_copy(buf, n, &d, &e);
        accepted += rc == CR_OK;
        if (rc != CR_EFORMAT && wrong++ < 3)
            fprintf(stderr, "  truncated to %zu bytes: code %d (%s)\n", n, rc, e.message);
        silent += e.message[0] == 0 || d != NULL || e.code != rc;
        if (rc == CR_OK) cr_model_free(d);
    }
    CHECK(accepted == 0);
    CHECK(wrong == 0);
    CHECK(silent == 0);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_truncated_message_says_truncated)
{
    /* a prefix of a real checkpoint is a truncated checkpoint, not "not a checkpoint" */
    cr_model *m = tiny_model(CR_RNN, 1, 2, 0, "ab", 1);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    int misleading = 0;
    for (size_t n = 4; n < len; n++) {
        cr_model *d;
        cr_error e;
        CHECK(decode_copy(buf, n, &d, &e) == CR_EFORMAT);
        if (!strstr(e.message, "truncated") && !strstr(e.message, "short") &&
            !strstr(e.message, "end")) {
            if (misleading++ < 3)
                fprintf(stderr, "  %zu of %zu bytes: \"%s\"\n", n, len, e.message);
        }
    }
    CHECK(misleading == 0);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_short_damaged_inputs)
{
    /* every input of 0..16 bytes that starts like a checkpoint but differs somewhere: refused,
     * with no read past its end (decode_copy gives ASan an exact-size buffer) */
    static const unsigned char sig[12] = {0x89, 'C', 'R', 'N', 0x0D, 0x0A, 0x1A, 0x0A, 1, 0, 0, 0};
    unsigned char b[16];
    int accepted = 0;
    for (size_t n = 0; n <= 16; n++)
        for (size_t bad = 0; bad <= n; bad++) {
            for (size_t i = 0; i < n; i++)
                b[i] = i < 12 ? sig[i] : 0;
            if (bad < n) b[bad] ^= 0x0F; /* bad == n: an undamaged prefix */
            cr_model *d = NULL;
            cr_error e;
            int rc = decode_copy(b, n, &d, &e);
            accepted += rc == CR_OK;
            CHECK(rc == CR_EFORMAT || rc == CR_EVERSION);
            CHECK(d == NULL && e.message[0] != 0);
            cr_model_free(d);
        }
    CHECK(accepted == 0);
    /* the text-mode damage of a short file: CRLF -> LF inside the signature */
    static const unsigned char lf[5] = {0x89, 'C', 'R', 'N', 0x0A};
    cr_model *d = NULL;
    cr_error e;
    CHECK(decode_copy(lf, sizeof lf, &d, &e) == CR_EFORMAT);
}

/* Flips every byte with mask; every flip must be refused, with an error located in the file. */
static void flip_everywhere(unsigned char mask)
{
    cr_model *m = full_model(CR_GRU, 1, 2);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    cr_chunk_info *c = NULL;
    size_t nc = 0;
    cr_error e;
    REQUIRE(cr_ckpt_list_chunks(buf, len, &c, &nc, &e) == CR_OK);
    int accepted = 0, unplaced = 0, unnamed = 0;
    size_t k = 0; /* the chunk holding byte i */
    for (size_t i = 0; i < len; i++) {
        while (k + 1 < nc && i >= c[k + 1].offset)
            k++;
        buf[i] ^= mask;
        cr_model *d = NULL;
        int rc = decode_copy(buf, len, &d, &e);
        buf[i] ^= mask;
        if (rc == CR_OK) {
            if (accepted++ < 3) fprintf(stderr, "  byte %zu ^ 0x%02X accepted\n", i, mask);
            cr_model_free(d);
            continue;
        }
        if (e.message[0] == 0 || e.code != rc || e.offset < 0 || e.offset >= (long long)len ||
            d != NULL)
            unplaced++;
        /* damage to a chunk's length, payload or CRC is reported as that chunk's, at its start */
        int tag_byte = i >= c[k].offset + 4 && i < c[k].offset + 8;
        if (i >= 12 && !tag_byte) {
            char at[32];
            snprintf(at, sizeof at, "%llu", (unsigned long long)c[k].offset);
            if (strcmp(e.chunk, c[k].tag) != 0 || !strstr(e.message, c[k].tag) ||
                !strstr(e.message, at) || e.offset != (long long)c[k].offset) {
                if (unnamed++ < 3)
                    fprintf(stderr, "  byte %zu in %s@%s: chunk '%s' offset %lld: %s\n", i,
                            c[k].tag, at, e.chunk, e.offset, e.message);
            }
        }
    }
    CHECK(accepted == 0);
    CHECK(unplaced == 0);
    CHECK(unnamed == 0);
    free(c);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_every_byte_flip_0x55_refused) { flip_everywhere(0x55); }
TEST(ckpt_every_byte_flip_0x01_refused) { flip_everywhere(0x01); }

TEST(ckpt_signature_and_version)
{
    cr_model *m = tiny_model(CR_LSTM, 1, 2, 0, "ab", 1);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    cr_model *d;
    cr_error e;
    /* a newer version */
    wr32(buf + 8, 2);
    CHECK(decode_copy(buf, len, &d, &e) == CR_EVERSION);
    CHECK(e.offset == 8 && d == NULL && strstr(e.message, "version"));
    wr32(buf + 8, 0xFFFFFFFFu);
    CHECK(decode_copy(buf, len, &d, &e) == CR_EVERSION);
    wr32(buf + 8, 0);
    CHECK(decode_copy(buf, len, &d, &e) == CR_EFORMAT);
    wr32(buf + 8, 1);
    CHECK(decode_copy(buf, len, &d, &e) == CR_OK);
    cr_model_free(d);
    /* not a checkpoint at all */
    const char *text = "hello, this is a text file and not a checkpoint\n";
    CHECK(decode_copy((const unsigned char *)text, strlen(text), &d, &e) == CR_EFORMAT);
    CHECK(e.offset == 0 && e.message[0]);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_text_mode_damage_named)
{
    cr_model *m = tiny_model(CR_LSTM, 1, 2, 0, "ab", 1);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    cr_model *d;
    cr_error e;
    /* CRLF -> LF in the signature */
    size_t n;
    unsigned char *lf = splice(buf, len, 4, 1, "", 0, &n);
    REQUIRE(lf);
    CHECK(decode_copy(lf, n, &d, &e) == CR_EFORMAT);
    CHECK(strstr(e.message, "text") != NULL);
    /* the whole file through a DOS conversion: LF -> CRLF everywhere */
    unsigned char *dos = malloc(2 * len);
    REQUIRE(dos);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == 0x0A && (i == 0 || buf[i - 1] != 0x0D)) dos[k++] = 0x0D;
        dos[k++] = buf[i];
    }
    CHECK(decode_copy(dos, k, &d, &e) == CR_EFORMAT);
    CHECK(strstr(e.message, "text") != NULL);
    /* a transfer that strips the high bit */
    buf[0] &= 0x7F;
    CHECK(decode_copy(buf, len, &d, &e) == CR_EFORMAT);
    free(dos);
    free(lf);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_unknown_ancillary_chunk_skipped)
{
    cr_model *m = full_model(CR_LSTM, 1, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    size_t iend = chunk_at(buf, len, "IEND");
    REQUIRE(iend == len - 12);
    const char payload[] = "a later version's notes";
    unsigned char *z = make_chunk("zzzz", payload, sizeof payload);
    unsigned char *e0 = make_chunk("zero", NULL, 0);
    REQUIRE(z && e0);
    size_t n1, n2, n3;
    /* before IEND, between HEAD and VOCB, and an empty one right after the version */
    unsigned char *a = splice(buf, len, iend, 0, z, 12 + sizeof payload, &n1);
    unsigned char *b = splice(buf, len, chunk_at(buf, len, "VOCB"), 0, z, 12 + sizeof payload, &n2);
    unsigned char *c = splice(buf, len, 12, 0, e0, 12, &n3);
    REQUIRE(a && b && c);
    unsigned char *bufs[3] = {a, b, c};
    size_t lens[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++) {
        cr_model *d = NULL;
        cr_error e;
        int rc = decode_copy(bufs[i], lens[i], &d, &e);
        CHECK(rc == CR_OK);
        if (rc) {
            fprintf(stderr, "  %s\n", e.message);
            continue;
        }
        check_same_model(m, d);
        /* re-encoding drops the unknown chunk */
        unsigned char *again;
        size_t na;
        CHECK(encode(d, &again, &na) == CR_OK && na == len && memcmp(again, buf, len) == 0);
        free(again);
        cr_model_free(d);
    }
    /* an unknown chunk with a bad CRC is still damage */
    a[iend + 8] ^= 1;
    cr_model *d;
    cr_error e;
    CHECK(decode_copy(a, n1, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "zzzz") == 0);
    free(a);
    free(b);
    free(c);
    free(z);
    free(e0);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_unknown_uppercase_chunk_skipped)
{
    /* Version 1 readers skip every chunk they do not know, whatever its case; a change that
     * old readers must not ignore raises the format version instead. */
    cr_model *m = tiny_model(CR_LSTM, 1, 2, 0, "ab", 1);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    unsigned char *z = make_chunk("ZZZZ", "x", 1);
    REQUIRE(z);
    size_t n;
    unsigned char *a = splice(buf, len, len - 12, 0, z, 13, &n);
    REQUIRE(a);
    cr_model *d = NULL;
    cr_error e;
    int rc = decode_copy(a, n, &d, &e);
    CHECK(rc == CR_OK);
    CHECK(d != NULL && d->nparams == m->nparams);
    cr_model_free(d);
    free(a);
    free(z);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_duplicate_chunk_refused)
{
    cr_model *m = full_model(CR_LSTM, 1, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    static const char *const tags[] = {"HEAD", "VOCB", "WLST", "WBST", "OPT1",
                                       "OPT2", "CARY", "STAT", "HIST", "LINE", "PLAN"};
    for (int t = 0; t < 11; t++) {
        size_t at = chunk_at(buf, len, tags[t]);
        REQUIRE(at != (size_t)-1);
        size_t clen = 12 + (size_t)rd32(buf + at), n;
        unsigned char *dup = splice(buf, len, len - 12, 0, buf + at, clen, &n);
        REQUIRE(dup);
        cr_model *d = NULL;
        cr_error e;
        CHECK(decode_copy(dup, n, &d, &e) == CR_EFORMAT);
        CHECK(d == NULL);
        CHECK(strcmp(e.chunk, tags[t]) == 0);
        CHECK(e.offset == (long long)(len - 12)); /* where the second copy starts */
        CHECK(strstr(e.message, tags[t]) != NULL);
        free(dup);
    }
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_optional_chunks_may_be_missing_required_may_not)
{
    cr_model *m = full_model(CR_LSTM, 1, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    static const char *const optional[] = {"WBST", "OPT1", "OPT2", "CARY", "STAT", "HIST", "LINE",
                                           "PLAN"};
    for (int t = 0; t < 8; t++) {
        size_t at = chunk_at(buf, len, optional[t]), n;
        REQUIRE(at != (size_t)-1);
        unsigned char *cut = splice(buf, len, at, 12 + (size_t)rd32(buf + at), "", 0, &n);
        REQUIRE(cut);
        cr_model *d = NULL;
        cr_error e;
        CHECK(decode_copy(cut, n, &d, &e) == CR_OK);
        if (d) {
            CHECK(same_floats(d->params, m->params, m->nparams));
            if (t == 0) CHECK(d->best == NULL);
            if (t == 1) CHECK(d->m1 == NULL);
            if (t == 3) CHECK(d->carry == NULL);
            if (t == 4) CHECK(d->prog.step == 0 && isnan(d->prog.best_val));
            if (t == 5) CHECK(d->nhist == 0);
            if (t == 6) CHECK(d->nsessions == 0);
            if (t == 7) CHECK(cr_model_plan(d) == NULL); /* a checkpoint from before plans */
            if (t != 7) CHECK(cr_model_plan(d) && cr_model_plan(d)->steps == 500);
        }
        cr_model_free(d);
        free(cut);
    }
    static const char *const required[] = {"HEAD", "VOCB", "WLST", "IEND"};
    for (int t = 0; t < 4; t++) {
        size_t at = chunk_at(buf, len, required[t]), n;
        REQUIRE(at != (size_t)-1);
        unsigned char *cut = splice(buf, len, at, 12 + (size_t)rd32(buf + at), "", 0, &n);
        REQUIRE(cut);
        cr_model *d = NULL;
        cr_error e;
        CHECK(decode_copy(cut, n, &d, &e) == CR_EFORMAT);
        CHECK(d == NULL && e.message[0] != 0);
        if (t < 3) CHECK(strcmp(e.chunk, required[t]) == 0);
        free(cut);
    }
    free(buf);
    cr_model_free(m);
}

/* Peak virtual memory of the process in kB (Linux), or -1 when unknown. */
static long long vm_peak_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmPeak:", 7) == 0) kb = atoll(line + 7);
    fclose(f);
    return kb;
}

/* Sets the u32 at payload offset off of chunk tag to v, fixes the CRC, and decodes. */
static int patched(const unsigned char *buf, size_t len, const char *tag, size_t off, uint32_t v,
                   cr_model **d, cr_error *e)
{
    unsigned char *p = malloc(len);
    if (!p) return 99;
    memcpy(p, buf, len);
    size_t at = chunk_at(p, len, tag);
    if (at == (size_t)-1) {
        free(p);
        return 98;
    }
    wr32(p + at + 8 + off, v);
    fix_crc(p, at);
    int rc = decode_copy(p, len, d, e);
    free(p);
    return rc;
}

TEST(ckpt_huge_claims_refused_before_allocating)
{
    cr_model *m = full_model(CR_LSTM, 1, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    long long before = vm_peak_kb();
    cr_model *d = NULL;
    cr_error e;
    /* HEAD: 8 layers of 8192 units (4.3 billion parameters, 17 GB), CRC recomputed */
    unsigned char *p = malloc(len);
    REQUIRE(p);
    memcpy(p, buf, len);
    size_t head = chunk_at(p, len, "HEAD");
    REQUIRE(head == 12);
    wr32(p + head + 8 + 4, 8);     /* layers */
    wr32(p + head + 8 + 8, 8192);  /* hidden */
    wr32(p + head + 8 + 12, 8192); /* embed */
    fix_crc(p, head);
    CHECK(decode_copy(p, len, &d, &e) == CR_EFORMAT);
    CHECK(d == NULL && e.chunk[0] != 0 && e.message[0] != 0);
    free(p);
    /* HEAD: a batch of 100000 needs 3.2 MB of carried state; CARY holds far less */
    CHECK(patched(buf, len, "HEAD", 24, 100000, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "CARY") == 0);
    /* counts that the chunk's bytes cannot hold */
    CHECK(patched(buf, len, "HIST", 0, 0xFFFFFFFFu, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "HIST") == 0);
    CHECK(patched(buf, len, "LINE", 0, 0xFFFFFFFFu, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "LINE") == 0);
    CHECK(patched(buf, len, "LINE", 4, 0xFFFFFFF0u, &d, &e) == CR_EFORMAT); /* command length */
    CHECK(strcmp(e.chunk, "LINE") == 0);
    /* HEAD and VOCB agree on 1114111 characters, but VOCB holds a few */
    p = malloc(len);
    REQUIRE(p);
    memcpy(p, buf, len);
    size_t vocb = chunk_at(p, len, "VOCB");
    wr32(p + head + 8 + 16, 0x10FFFFu);
    fix_crc(p, head);
    wr32(p + vocb + 8, 0x10FFFFu);
    fix_crc(p, vocb);
    CHECK(decode_copy(p, len, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "VOCB") == 0);
    free(p);
    CHECK(patched(buf, len, "HEAD", 16, 0x110000u, &d, &e) == CR_EFORMAT); /* vocabulary size */
    CHECK(patched(buf, len, "WLST", 0, 0xFFFFFFFFu, &d, &e) == CR_EFORMAT); /* tensor count */
    CHECK(strcmp(e.chunk, "WLST") == 0);
    /* a wider model: a batch of 100000 would need 51 MB of carried state */
    cr_model *w = tiny_model(CR_LSTM, 1, 64, 0, "ab", 2);
    REQUIRE(w);
    cr_rng r;
    cr_rng_seed(&r, 3);
    w->carry = random_floats(cr_carry_floats(&w->cfg), &r);
    REQUIRE(w->carry);
    unsigned char *wb;
    size_t wlen;
    REQUIRE(encode(w, &wb, &wlen) == CR_OK);
    CHECK(patched(wb, wlen, "HEAD", 24, 100000, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "CARY") == 0);
    free(wb);
    cr_model_free(w);
    long long after = vm_peak_kb();
    if (before >= 0 && after >= 0) {
        /* none of these may allocate more than the file holds (here a few kB) */
        if (after - before >= 8 * 1024)
            fprintf(stderr, "  peak virtual memory grew by %lld MB\n", (after - before) >> 10);
        CHECK(after - before < 8 * 1024);
    }
    free(buf);
    cr_model_free(m);
}

/* HEAD's later fields out of range are refused, blaming HEAD: a precision of 2, a weight decay
 * of about 1.5 or NaN (the high word of the f64 at 124, little-endian) */
TEST(ckpt_later_head_fields_out_of_range_refused)
{
    cr_model *m = full_model(CR_GRU, 2, 0);
    REQUIRE(m);
    m->cfg.precision = CR_BF16;
    m->cfg.weight_decay = 0.1;
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    static const struct {
        size_t off;
        uint32_t v;
    } c[] = {{120, 2}, {128, 0x3FF80000u}, {128, 0x7FF80000u}, {128, 0xBFB99999u}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cr_model *d = NULL;
        cr_error e;
        CHECK(patched(buf, len, "HEAD", c[i].off, c[i].v, &d, &e) == CR_EFORMAT);
        CHECK(d == NULL && strcmp(e.chunk, "HEAD") == 0);
        cr_model_free(d);
    }
    cr_model *d = NULL;
    cr_error e;
    CHECK(patched(buf, len, "HEAD", 128, 0x3FC99999u, &d, &e) == CR_OK); /* about 0.2: fine */
    CHECK(d && d->cfg.weight_decay > 0.19 && d->cfg.weight_decay < 0.21);
    cr_model_free(d);
    free(buf);
    cr_model_free(m);
}

TEST(ckpt_inconsistent_contents_named)
{
    cr_model *m = full_model(CR_GRU, 2, 0);
    REQUIRE(m);
    unsigned char *buf;
    size_t len;
    REQUIRE(encode(m, &buf, &len) == CR_OK);
    static const struct {
        const char *tag;
        size_t off;
        uint32_t v;
        const char *blamed; /* the chunk the error is about */
    } c[] = {
        {"HEAD", 0, 7, "HEAD"},             /* cell type */
        {"HEAD", 4, 0, "HEAD"},             /* layers */
        {"HEAD", 4, 9, "HEAD"},             /* layers */
        {"HEAD", 8, 0, "HEAD"},             /* hidden */
        {"HEAD", 8, 5, "WLST"},             /* hidden: the weights no longer fit the shape */
        {"HEAD", 16, 0, "HEAD"},            /* vocabulary size */
        {"HEAD", 16, 7, "VOCB"},            /* vocabulary size differs from VOCB's (8) */
        {"HEAD", 28, 9, "HEAD"},            /* optimizer */
        {"VOCB", 0, 3, "VOCB"},             /* count */
        {"VOCB", 4 + 12, 'a', "VOCB"},      /* characters out of order */
        {"VOCB", 4, 0xD800, "VOCB"},        /* a surrogate */
        {"VOCB", 4, 0x110000, "VOCB"},      /* above U+10FFFF */
        {"WLST", 0, 9, "WLST"},             /* tensor count */
        {"WLST", 4, 0x41000002u, "WLST"},   /* first tensor's name damaged */
        {"WBST", 0, 1, "WBST"},             /* tensor count */
        {"STAT", 0, 0, NULL},               /* harmless: any step is allowed */
        {"PLAN", 44, 0x3FF80000u, "PLAN"},  /* anneal 1.5 */
        {"PLAN", 36, 0xFFF00000u, "PLAN"},  /* seconds used: minus infinity */
        {"PLAN", 28, 0x7FF80000u, "PLAN"},  /* seconds: NaN */
        {"PLAN", 0, 5000, NULL},            /* a start after the step: the tool makes a new plan */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cr_model *d = NULL;
        cr_error e;
        int rc = patched(buf, len, c[i].tag, c[i].off, c[i].v, &d, &e);
        if (!c[i].blamed) {
            CHECK(rc == CR_OK);
            cr_model_free(d);
            continue;
        }
        if (rc != CR_EFORMAT) fprintf(stderr, "  case %zu: code %d\n", i, rc);
        CHECK(rc == CR_EFORMAT);
        CHECK(d == NULL);
        cr_model_free(d);
        size_t at = chunk_at(buf, len, c[i].blamed);
        long long end = (long long)(at + 12 + rd32(buf + at));
        /* named, placed inside the chunk it is about, and the message says which */
        if (strcmp(e.chunk, c[i].blamed) != 0 || !strstr(e.message, c[i].blamed) ||
            e.offset < (long long)at || e.offset >= end)
            fprintf(stderr, "  case %zu (%s): chunk '%s' offset %lld: %s\n", i, c[i].tag,
                    e.chunk, e.offset, e.message);
        CHECK(strcmp(e.chunk, c[i].blamed) == 0);
        CHECK(strstr(e.message, c[i].blamed) != NULL);
        CHECK(e.offset >= (long long)at && e.offset < end);
    }
    /* a STAT chunk shorter than version 1's */
    size_t stat = chunk_at(buf, len, "STAT"), n;
    unsigned char *s = make_chunk("STAT", buf + stat + 8, 91);
    unsigned char *p = s ? splice(buf, len, stat, 12 + 92, s, 12 + 91, &n) : NULL;
    REQUIRE(p);
    cr_model *d = NULL;
    cr_error e;
    CHECK(decode_copy(p, n, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "STAT") == 0);
    free(p);
    free(s);
    /* a PLAN chunk shorter than its 48 bytes, and one with neither steps nor seconds */
    size_t plan = chunk_at(buf, len, "PLAN");
    s = make_chunk("PLAN", buf + plan + 8, 40);
    p = s ? splice(buf, len, plan, 12 + 48, s, 12 + 40, &n) : NULL;
    REQUIRE(p);
    CHECK(decode_copy(p, n, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "PLAN") == 0 && strstr(e.message, "48 bytes"));
    free(p);
    free(s);
    unsigned char zero[48] = {0};
    s = make_chunk("PLAN", zero, 48);
    p = s ? splice(buf, len, plan, 12 + 48, s, 12 + 48, &n) : NULL;
    REQUIRE(p);
    CHECK(decode_copy(p, n, &d, &e) == CR_EFORMAT);
    CHECK(strcmp(e.chunk, "PLAN") == 0 && strstr(e.message, "neither steps nor seconds"));
    free(p);
    free(s);
    free(buf);
    cr_model_free(m);
}

/* ---- files ---- */

/* The names in dir other than . and .., as one "|"-separated string. */
static void list_dir(const char *dir, char *out, size_t cap)
{
    out[0] = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            strncat(out, de->d_name, cap - strlen(out) - 1);
            strncat(out, "|", cap - strlen(out) - 1);
        }
    closedir(d);
}

TEST(ckpt_files_round_trip_and_atomic_replace)
{
    char dir[] = "/tmp/charrnn-test-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char path[128], names[512];
    snprintf(path, sizeof path, "%s/model.ckpt", dir);
    cr_model *m = full_model(CR_LSTM, 2, 0);
    REQUIRE(m);
    cr_error e;
    CHECK(cr_ckpt_write_file(m, path, &e) == CR_OK);
    list_dir(dir, names, sizeof names);
    CHECK(strcmp(names, "model.ckpt|") == 0);
    cr_model *d = NULL;
    REQUIRE(cr_ckpt_read_file(path, &d, &e) == CR_OK);
    check_same_model(m, d);
    cr_model_free(d);

    /* replace it: an open reader of the old file keeps seeing the old bytes, the mode stays */
    struct stat st1, st2;
    REQUIRE(chmod(path, 0600) == 0 && stat(path, &st1) == 0);
    unsigned char *orig, *seen;
    size_t norig;
    REQUIRE(encode(m, &orig, &norig) == CR_OK);
    seen = malloc(norig);
    REQUIRE(seen);
    int old = open(path, O_RDONLY);
    REQUIRE(old >= 0);
    m->prog.step = 99999;
    m->params[0] = 42.0f;
    CHECK(cr_ckpt_write_file(m, path, &e) == CR_OK);
    CHECK(stat(path, &st2) == 0);
    CHECK((st2.st_mode & 07777) == 0600);
    CHECK(st1.st_ino != st2.st_ino); /* a new file renamed into place, not a rewrite */
    CHECK(pread(old, seen, norig, 0) == (ssize_t)norig && memcmp(seen, orig, norig) == 0);
    close(old);
    free(orig);
    free(seen);
    list_dir(dir, names, sizeof names);
    CHECK(strcmp(names, "model.ckpt|") == 0); /* no leftover .tmp- files */
    REQUIRE(cr_ckpt_read_file(path, &d, &e) == CR_OK);
    check_same_model(m, d);
    CHECK(d->prog.step == 99999 && d->params[0] == 42.0f);
    cr_model_free(d);

    /* written to a descriptor, read back from the file */
    char path2[160];
    snprintf(path2, sizeof path2, "%s/fd.ckpt", dir);
    int fd = open(path2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    CHECK(cr_ckpt_write_fd(m, fd, &e) == CR_OK);
    close(fd);
    REQUIRE(cr_ckpt_read_file(path2, &d, &e) == CR_OK);
    check_same_model(m, d);
    cr_model_free(d);
    unlink(path2);

    /* an empty file and a missing file */
    fd = open(path2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    close(fd);
    d = (cr_model *)&e;
    CHECK(cr_ckpt_read_file(path2, &d, &e) == CR_EFORMAT && d == NULL && e.message[0]);
    unlink(path2);
    CHECK(cr_ckpt_read_file(path2, &d, &e) == CR_EIO && d == NULL && e.message[0]);

    /* into a folder that does not exist: CR_EIO, nothing created */
    char bad[192];
    snprintf(bad, sizeof bad, "%s/no/such/model.ckpt", dir);
    CHECK(cr_ckpt_write_file(m, bad, &e) == CR_EIO);
    CHECK(e.message[0] != 0);
    list_dir(dir, names, sizeof names);
    CHECK(strcmp(names, "model.ckpt|") == 0);

    unlink(path);
    CHECK(rmdir(dir) == 0);
    cr_model_free(m);
}

TEST(ckpt_write_failure_leaves_target_intact)
{
    /* the target is a folder: the rename fails, the temporary file is removed */
    char dir[] = "/tmp/charrnn-test-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char path[128], names[512];
    snprintf(path, sizeof path, "%s/target", dir);
    REQUIRE(mkdir(path, 0700) == 0);
    cr_model *m = tiny_model(CR_RNN, 1, 2, 0, "ab", 1);
    REQUIRE(m);
    cr_error e;
    CHECK(cr_ckpt_write_file(m, path, &e) == CR_EIO);
    CHECK(e.message[0] != 0);
    list_dir(dir, names, sizeof names);
    CHECK(strcmp(names, "target|") == 0);
    rmdir(path);
    CHECK(rmdir(dir) == 0);
    cr_model_free(m);
}

/* An id that stands for a string (as in ml5.js imports) survives a checkpoint round trip. */
TEST(ckpt_vocabulary_strings_round_trip)
{
    cr_model *m = tiny_model(CR_LSTM, 1, 3, 0, "abc", 1);
    REQUIRE(m);
    m->vocab.strings = calloc(m->vocab.size, sizeof *m->vocab.strings);
    m->vocab.strings[1] = malloc(3);
    memcpy(m->vocab.strings[1], "  ", 3);
    m->vocab.strings[2] = calloc(1, 1); /* the empty string */
    unsigned char *buf;
    size_t len;
    cr_error e;
    REQUIRE(cr_ckpt_encode(m, &buf, &len, &e) == CR_OK);
    cr_model *d;
    REQUIRE(cr_ckpt_decode(buf, len, &d, &e) == CR_OK);
    char b[4];
    const char *t;
    CHECK(cr_vocab_text(&d->vocab, 0, b, &t) == 1 && t[0] == 'a');
    CHECK(cr_vocab_text(&d->vocab, 1, b, &t) == 2 && memcmp(t, "  ", 2) == 0);
    CHECK(cr_vocab_text(&d->vocab, 2, b, &t) == 0);
    cr_model *copy;
    REQUIRE(cr_model_new(&d->cfg, &d->vocab, &copy, &e) == CR_OK);
    CHECK(copy->vocab.strings && strcmp(copy->vocab.strings[1], "  ") == 0);
    cr_model_free(copy);
    cr_model_free(d);
    free(buf);
    cr_model_free(m);
}
