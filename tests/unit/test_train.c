/* test_train.c: training learns, is deterministic, resumes exactly, and reports bad corpora. */
#include "test.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cr_config small_config(int cell)
{
    cr_config c;
    cr_config_default(&c);
    c.cell = cell;
    c.layers = 2;
    c.hidden = 24;
    c.batch = 4;
    c.seq_len = 16;
    c.warmup = 5;
    c.eval_every = 7;
    c.dropout = 0.1;
    c.seed = 11;
    return c;
}

static cr_model *trained(const cr_config *c, const char *text, int steps, int threads)
{
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    if (cr_model_new_from_text(c, (const unsigned char *)text, strlen(text), &m, &e)) return NULL;
    if (cr_trainer_new(m, (const unsigned char *)text, strlen(text), threads, &t, &e)) {
        cr_model_free(m);
        return NULL;
    }
    for (int i = 0; i < steps; i++) {
        cr_step_result r;
        if (cr_trainer_step(t, &r, &e)) break;
    }
    cr_trainer_free(t);
    return m;
}

static int same_floats(const float *a, const float *b, size_t n)
{
    if (!a || !b) return a == b;
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* Everything that must be identical between two runs: weights, best, optimizer, state, rng. */
static int same_state(const cr_model *a, const cr_model *b)
{
    size_t n = a->nparams;
    return a->nparams == b->nparams && same_floats(a->params, b->params, n) &&
           same_floats(a->best, b->best, n) && same_floats(a->m1, b->m1, n) &&
           same_floats(a->m2, b->m2, n) &&
           same_floats(a->carry, b->carry, cr_carry_floats(&a->cfg)) &&
           memcmp(&a->rng, &b->rng, sizeof a->rng) == 0 && a->prog.step == b->prog.step &&
           a->prog.epoch == b->prog.epoch && a->prog.epoch_pos == b->prog.epoch_pos &&
           a->prog.chars == b->prog.chars && a->prog.best_step == b->prog.best_step &&
           a->nhist == b->nhist;
}

TEST(train_loss_falls)
{
    char *text = toy_corpus(6000, 3);
    cr_config c = small_config(CR_LSTM);
    c.dropout = 0;
    c.lr = 1e-2;
    c.eval_every = 1000;
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, 6000, &m, &e) == CR_OK);
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, 6000, 1, &t, &e) == CR_OK);
    double v0, v1;
    int improved;
    REQUIRE(cr_trainer_evaluate(t, &v0, &improved, &e) == CR_OK);
    for (int i = 0; i < 300; i++) {
        cr_step_result r;
        REQUIRE(cr_trainer_step(t, &r, &e) == CR_OK);
    }
    REQUIRE(cr_trainer_evaluate(t, &v1, &improved, &e) == CR_OK);
    /* a grammar of 12 equally likely words has about 0.54 nats per character */
    CHECK(v0 > 2.5);
    CHECK(v1 < 1.0);
    CHECK(improved == 1);
    CHECK(m->best != NULL && m->prog.best_val == v1);
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
}

static void deterministic(int cell)
{
    char *text = toy_corpus(3000, 5);
    cr_config c = small_config(cell);
    cr_model *a = trained(&c, text, 30, 1), *b = trained(&c, text, 30, 1);
    REQUIRE(a && b);
    CHECK(same_state(a, b));
    c.seed = 12;
    cr_model *d = trained(&c, text, 30, 1);
    REQUIRE(d);
    CHECK(!same_floats(a->params, d->params, a->nparams));
    cr_model_free(a);
    cr_model_free(b);
    cr_model_free(d);
    free(text);
}

TEST(train_deterministic_lstm) { deterministic(CR_LSTM); }
TEST(train_deterministic_gru) { deterministic(CR_GRU); }
TEST(train_deterministic_rnn) { deterministic(CR_RNN); }

TEST(train_same_bytes_with_two_threads)
{
    char *text = toy_corpus(3000, 6);
    cr_config c = small_config(CR_LSTM);
    c.hidden = 40; /* large enough for the products to be split */
    c.batch = 16;
    cr_model *a = trained(&c, text, 12, 2), *b = trained(&c, text, 12, 2);
    REQUIRE(a && b);
    CHECK(same_state(a, b));
    cr_model_free(a);
    cr_model_free(b);
    free(text);
}

/* An LSTM of H units (a multiple of 32) and batch B, 3 steps, on 1 thread and on threads x and
 * y: the same bytes. */
static void split_by_units_same_bytes(int H, int B, int x, int y)
{
    char *text = toy_corpus(20000, 5);
    cr_config c = small_config(CR_LSTM);
    c.hidden = H;
    c.batch = B;
    c.seq_len = 8;
    cr_model *a = trained(&c, text, 3, 1), *b = trained(&c, text, 3, x),
             *d = trained(&c, text, 3, y);
    REQUIRE(a && b && d);
    CHECK(same_state(a, b));
    CHECK(same_state(a, d));
    cr_model_free(a);
    cr_model_free(b);
    cr_model_free(d);
    free(text);
}

/* H a multiple of 32 on two and three threads: the LSTM's steps take the one-hand-off path
 * (units split between threads), which must give the bytes of one thread. */
TEST(train_split_by_units_gives_the_same_bytes) { split_by_units_same_bytes(96, 12, 2, 3); }

/* 2k steps in one go equal k steps, a checkpoint written and read back, and k more; batch 16
 * is two shards (train.c), each with its own dropout generator seeded from the model's. */
static void exact_resume_batch(int cell, int optimizer, int batch)
{
    char *text = toy_corpus(3000, 9);
    size_t len = strlen(text);
    cr_config c = small_config(cell);
    c.optimizer = optimizer;
    c.batch = batch;
    cr_model *whole = trained(&c, text, 40, 1), *half = trained(&c, text, 20, 1);
    REQUIRE(whole && half);
    unsigned char *buf;
    size_t n;
    cr_error e;
    REQUIRE(cr_ckpt_encode(half, &buf, &n, &e) == CR_OK);
    cr_model *back;
    REQUIRE(cr_ckpt_decode(buf, n, &back, &e) == CR_OK);
    free(buf);
    cr_trainer *t;
    REQUIRE(cr_trainer_new(back, (unsigned char *)text, len, 1, &t, &e) == CR_OK);
    for (int i = 0; i < 20; i++) {
        cr_step_result r;
        REQUIRE(cr_trainer_step(t, &r, &e) == CR_OK);
    }
    cr_trainer_free(t);
    CHECK(same_state(whole, back));
    cr_model_free(whole);
    cr_model_free(half);
    cr_model_free(back);
    free(text);
}

static void exact_resume(int cell, int optimizer) { exact_resume_batch(cell, optimizer, 4); }

TEST(train_exact_resume_lstm_adam) { exact_resume(CR_LSTM, CR_ADAM); }
TEST(train_exact_resume_two_shards_gru_adam) { exact_resume_batch(CR_GRU, CR_ADAM, 16); }
TEST(train_exact_resume_gru_sgd) { exact_resume(CR_GRU, CR_SGD); }
TEST(train_exact_resume_rnn_adam) { exact_resume(CR_RNN, CR_ADAM); }

TEST(train_corpus_too_small_suggests_settings)
{
    const char *text = "a short text, far too short for thirty-two rows of sixty-four.\n";
    cr_config c;
    cr_config_default(&c);
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    REQUIRE(cr_model_new_from_text(&c, (const unsigned char *)text, strlen(text), &m, &e) == CR_OK);
    CHECK(cr_trainer_new(m, (const unsigned char *)text, strlen(text), 1, &t, &e) == CR_ESMALL);
    CHECK(strstr(e.message, "try --") != NULL);
    cr_model_free(m);
}

TEST(train_rejects_unknown_characters_on_resume)
{
    char *text = toy_corpus(2000, 1);
    cr_config c = small_config(CR_LSTM);
    cr_model *m = trained(&c, text, 2, 1);
    REQUIRE(m);
    const char *other = "zebra quiche";
    cr_trainer *t;
    cr_error e;
    CHECK(cr_trainer_new(m, (const unsigned char *)other, strlen(other), 1, &t, &e) == CR_EVOCAB);
    CHECK(e.offset == 0); /* 'z' is not in the toy grammar */
    cr_model_free(m);
    free(text);
}

/* A non-finite loss takes the model back to the start of the last step that updated it: the
 * update that made the weights bad is undone, and training can go on with a lower rate. */
TEST(train_divergence_keeps_last_good_state)
{
    char *text = toy_corpus(3000, 2);
    cr_config c = small_config(CR_LSTM);
    c.dropout = 0;
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, 3000, &m, &e) == CR_OK);
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, 3000, 1, &t, &e) == CR_OK);
    size_t bytes = m->nparams * sizeof(float);
    float *initial = malloc(bytes);
    memcpy(initial, m->params, bytes);
    cr_rng rng0 = m->rng;
    cr_step_result r;
    REQUIRE(cr_trainer_step(t, &r, &e) == CR_OK);
    m->params[m->tensors[m->ntensors - 1].offset] = NAN; /* as if step 1's update went bad */
    CHECK(cr_trainer_step(t, &r, &e) == CR_EDIVERGED);
    CHECK(strstr(e.message, "--lr") != NULL);
    CHECK(m->prog.step == 0 && m->prog.chars == 0 && m->prog.epoch_pos == 0);
    CHECK(memcmp(initial, m->params, bytes) == 0);
    CHECK(memcmp(&rng0, &m->rng, sizeof rng0) == 0);
    int zero = 1;
    for (size_t i = 0; i < m->nparams; i++)
        zero = zero && m->m1[i] == 0 && m->m2[i] == 0;
    CHECK(zero);
    m->cfg.lr = 1e-4; /* and it goes on */
    CHECK(cr_trainer_step(t, &r, &e) == CR_OK && isfinite(r.loss) && m->prog.step == 1);
    free(initial);
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
}

/* The latest weights, moments, carried state, generator and step of two models are the same. */
static int same_latest(const cr_model *a, const cr_model *b)
{
    size_t n = a->nparams;
    return n == b->nparams && same_floats(a->params, b->params, n) &&
           same_floats(a->m1, b->m1, n) && same_floats(a->m2, b->m2, n) &&
           same_floats(a->carry, b->carry, cr_carry_floats(&a->cfg)) &&
           memcmp(&a->rng, &b->rng, sizeof a->rng) == 0 && a->prog.step == b->prog.step;
}

static void steps(cr_trainer *t, int n, cr_step_result *r)
{
    cr_error e;
    for (int i = 0; i < n; i++)
        REQUIRE(cr_trainer_step(t, r, &e) == CR_OK);
}

/* The output bias of character c, in the latest weights (m->params changes buffers each step) */
static float *out_bias(cr_model *m, char c)
{
    int32_t id = cr_vocab_id(&m->vocab, (uint32_t)(unsigned char)c);
    if (id < 0) {
        test_failed(__FILE__, __LINE__, "the character is in the vocabulary");
        id = 0;
    }
    return m->params + m->tensors[m->layout.outb].offset + id;
}

/* A model that breaks (its validation and training text's losses far above the validations
 * before) goes back to its best weights, with the first moments and the carried state at 0. */
TEST(train_validation_jump_goes_back_to_the_best_weights)
{
    char *text = toy_corpus(3000, 3);
    size_t len = strlen(text);
    cr_config c = small_config(CR_LSTM);
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, len, &m, &e) == CR_OK);
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, len, 1, &t, &e) == CR_OK);
    cr_step_result r;
    steps(t, 14, &r); /* validations at 7 and 14 */
    REQUIRE(m->best != NULL && r.evaluated && !r.went_back);
    double before = r.val_loss;
    /* a rise is not a break */
    steps(t, 6, &r);
    *out_bias(m, ' ') += 2.5f;
    steps(t, 1, &r);
    REQUIRE(r.evaluated && m->prog.step == 21);
    CHECK(r.val_loss > before && !r.went_back);
    /* a break: the model sure of one character everywhere */
    steps(t, 6, &r);
    *out_bias(m, ' ') += 30.0f;
    steps(t, 1, &r);
    REQUIRE(r.evaluated && m->prog.step == 28);
    CHECK(r.went_back && r.val_loss > 3);
    CHECK(memcmp(m->params, m->best, m->nparams * sizeof(float)) == 0);
    int zero = 1;
    for (size_t i = 0; i < m->nparams; i++)
        zero = zero && m->m1[i] == 0;
    for (size_t i = 0; i < cr_carry_floats(&m->cfg); i++)
        zero = zero && m->carry[i] == 0;
    CHECK(zero);
    steps(t, 7, &r);
    CHECK(r.evaluated && r.val_loss < 3 && !r.went_back); /* and it goes on */
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
}

/* A validation loss that jumps while the training text's stays low is not a break (memorising
 * looks so): here a character only the validation split has is made unlikely. */
TEST(train_validation_jump_alone_is_not_a_break)
{
    char *text = toy_corpus(3000, 3);
    size_t len = strlen(text);
    for (size_t i = len - 200; i < len; i += 2)
        text[i] = 'Q'; /* the last 10% is the validation split */
    REQUIRE(strchr(text, 'Q') - text >= (ptrdiff_t)(len - 300));
    cr_config c = small_config(CR_LSTM);
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, len, &m, &e) == CR_OK);
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, len, 1, &t, &e) == CR_OK);
    cr_step_result r;
    steps(t, 20, &r);
    double before = m->hist[m->nhist - 1].val_loss;
    *out_bias(m, 'Q') -= 60.0f;
    steps(t, 1, &r);
    REQUIRE(r.evaluated);
    CHECK(r.val_loss > 1.5 * before + 0.5 && !r.went_back);
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
}

/* m stopped after n more steps, with the closing validation a stopped run makes, saved and read
 * back: the model read (m and *t freed), with its trainer in *t; NULL if something failed. */
static cr_model *stopped_and_resumed(cr_model *m, cr_trainer **t, const char *text, int n)
{
    cr_step_result r;
    cr_error e;
    int improved, ok = 1;
    unsigned char *buf = NULL;
    size_t len;
    cr_model *back = NULL;
    for (int i = 0; i < n && ok; i++)
        ok = cr_trainer_step(*t, &r, &e) == CR_OK;
    ok = ok && cr_trainer_evaluate(*t, &r.val_loss, &improved, &e) == CR_OK &&
         cr_ckpt_encode(m, &buf, &len, &e) == CR_OK && cr_ckpt_decode(buf, len, &back, &e) == CR_OK;
    free(buf);
    cr_trainer_free(*t);
    cr_model_free(m);
    *t = NULL;
    if (ok && cr_trainer_new(back, (unsigned char *)text, strlen(text), 1, t, &e) == CR_OK)
        return back;
    test_failed(__FILE__, __LINE__, "stopped and resumed");
    cr_model_free(back);
    return NULL;
}

/* A run stopped twice between validations (each time with a closing validation of its broken
 * weights) and resumed decides as one that was not: only validations on the schedule's grid
 * are compared. */
TEST(train_validation_jump_after_resume_is_the_same)
{
    char *text = toy_corpus(3000, 3);
    size_t len = strlen(text);
    cr_config c = small_config(CR_GRU);
    cr_model *whole, *part;
    cr_trainer *tw, *tp;
    cr_error e;
    cr_step_result r, rp;
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, len, &whole, &e) == CR_OK);
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, len, &part, &e) == CR_OK);
    REQUIRE(cr_trainer_new(whole, (unsigned char *)text, len, 1, &tw, &e) == CR_OK);
    REQUIRE(cr_trainer_new(part, (unsigned char *)text, len, 1, &tp, &e) == CR_OK);
    steps(tw, 22, &r);
    steps(tp, 22, &r);
    *out_bias(whole, ' ') += 30.0f; /* both break after step 22 */
    *out_bias(part, ' ') += 30.0f;
    steps(tw, 6, &r);
    REQUIRE(r.evaluated && whole->prog.step == 28);
    CHECK(r.went_back);
    part = stopped_and_resumed(part, &tp, text, 2); /* at 24 */
    REQUIRE(part && tp);
    part = stopped_and_resumed(part, &tp, text, 2); /* at 26 */
    REQUIRE(part && tp);
    steps(tp, 2, &rp);
    REQUIRE(rp.evaluated && part->prog.step == 28);
    CHECK(rp.went_back);
    steps(tw, 5, &r);
    steps(tp, 5, &rp);
    CHECK(same_latest(whole, part));
    cr_trainer_free(tw);
    cr_trainer_free(tp);
    cr_model_free(whole);
    cr_model_free(part);
    free(text);
}

/* Resumed on other files, a model's best weights (validated on the other text) are dropped; on
 * the same files, or continuing the same run, they stay. */
TEST(train_other_text_drops_the_best_weights)
{
    char *text = toy_corpus(3000, 3), *other = toy_corpus(3000, 4);
    size_t len = strlen(text), olen = strlen(other);
    cr_config c = small_config(CR_LSTM);
    cr_model *m;
    cr_trainer *t;
    cr_error e;
    cr_step_result r;
    cr_source a = {"a.txt", 3000, {1}}, b = {"b.txt", 3000, {2}}, a2 = {"moved/a.txt", 3000, {1}};
    REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, len, &m, &e) == CR_OK);
    REQUIRE(cr_model_add_session(m, "one", "0", "d", &a, 1, &e) == CR_OK);
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, len, 1, &t, &e) == CR_OK);
    steps(t, 14, &r);
    cr_trainer_free(t);
    REQUIRE(m->best && isfinite(m->prog.best_val));
    double best = m->prog.best_val;
    REQUIRE(cr_model_add_session(m, "same file, moved", "0", "d", &a2, 1, &e) == CR_OK);
    CHECK(!cr_model_corpus_changed(m));
    REQUIRE(cr_trainer_new(m, (unsigned char *)text, len, 1, &t, &e) == CR_OK);
    CHECK(m->best && m->prog.best_val == best);
    steps(t, 7, &r);
    cr_trainer_free(t);
    REQUIRE(cr_model_add_session(m, "other", "0", "d", &b, 1, &e) == CR_OK);
    CHECK(cr_model_corpus_changed(m));
    REQUIRE(cr_trainer_new(m, (unsigned char *)other, olen, 1, &t, &e) == CR_OK);
    CHECK(!m->best && isnan(m->prog.best_val));
    steps(t, 7, &r);
    CHECK(r.evaluated && r.improved && m->prog.best_val == r.val_loss);
    cr_trainer_free(t);
    /* a trainer made again within that run (nothing resets the new best) */
    REQUIRE(cr_trainer_new(m, (unsigned char *)other, olen, 1, &t, &e) == CR_OK);
    CHECK(m->best && m->prog.best_val == r.val_loss);
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
    free(other);
}

/* Two shards with two threads each (4 threads, batch 16) take the LSTM's one-hand-off path inside
 * each shard (H a multiple of 32), and 3 threads share out as 2 and 1: the bytes of one thread,
 * with dropout. */
TEST(train_shards_split_by_units_give_the_same_bytes) { split_by_units_same_bytes(128, 16, 4, 3); }

/* Large enough for the products and the gate arithmetic to be split between threads: one and
 * three threads must give the same bytes, for every cell. 136 units: each row ends in a tail
 * shorter than the vectorised gate loops' blocks of 16. */
TEST(train_thread_count_does_not_change_the_result)
{
    char *text = toy_corpus(20000, 8);
    for (int cell = CR_LSTM; cell <= CR_RNN; cell++) {
        cr_config c = small_config(cell);
        c.hidden = 136;
        c.batch = 32;
        c.seq_len = 8;
        cr_model *a = trained(&c, text, 3, 1), *b = trained(&c, text, 3, 3),
                 *d = trained(&c, text, 3, 4); /* two shards of two threads each */
        REQUIRE(a && b && d);
        CHECK(same_state(a, b));
        CHECK(same_state(a, d));
        cr_model_free(a);
        cr_model_free(b);
        cr_model_free(d);
    }
    free(text);
}

/* The trainer's inputs for chunk pos of a training split of n ids with no validation split. */
static void chunk_of(const uint32_t *ids, size_t n, int T, int B, int pos, uint32_t *in,
                     uint32_t *tgt)
{
    size_t stripe = n / (size_t)B;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < T; i++) {
            const uint32_t *s = ids + (size_t)b * stripe + (size_t)pos * (size_t)T + (size_t)i;
            in[i * B + b] = s[0];
            tgt[i * B + b] = s[1];
        }
}

/* A batch of 16 rows is two shards, each a network of its own (train.c). One plain SGD step at
 * rate 1 moves the weights by the gradient, which must be the whole batch's through one
 * network, to rounding; the next step's loss, from the states the shards carried, too. */
TEST(train_shards_match_the_whole_batch)
{
    char *text = toy_corpus(20000, 12);
    size_t len = strlen(text);
    for (int cell = CR_LSTM; cell <= CR_RNN; cell++) {
        cr_config c = small_config(cell);
        c.hidden = 40;
        c.batch = 16;
        c.seq_len = 8;
        c.dropout = 0;
        c.optimizer = CR_SGD;
        c.momentum = 0;
        c.lr = 1;
        c.warmup = 0;
        c.lr_decay = 1;
        c.clip = 0;
        c.val_frac = 0;
        c.eval_every = 1000;
        const int T = c.seq_len, B = c.batch;
        cr_model *m;
        cr_trainer *t;
        cr_net *net;
        cr_error e;
        REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, len, &m, &e) == CR_OK);
        size_t np = m->nparams, nids;
        uint32_t *ids, in[8 * 16], tgt[8 * 16];
        REQUIRE(cr_vocab_encode(&m->vocab, (unsigned char *)text, len, &ids, &nids, &e) == CR_OK);
        float *w0 = malloc(np * sizeof *w0), *w1 = malloc(np * sizeof *w1);
        float *g = calloc(np, sizeof *g), *state = calloc(cr_carry_floats(&c), sizeof *state);
        REQUIRE(w0 && w1 && g && state);
        memcpy(w0, m->params, np * sizeof *w0);
        REQUIRE(cr_trainer_new(m, (unsigned char *)text, len, 2, &t, &e) == CR_OK);
        cr_step_result r1, r2;
        REQUIRE(cr_trainer_step(t, &r1, &e) == CR_OK);
        memcpy(w1, m->params, np * sizeof *w1);
        REQUIRE(cr_trainer_step(t, &r2, &e) == CR_OK);

        REQUIRE(cr_net_new(m, T, B, 1, NULL, &net, &e) == CR_OK);
        size_t count;
        chunk_of(ids, nids, T, B, 0, in, tgt);
        cr_net_weights_changed(net, w0);
        double loss1 = cr_net_forward(net, w0, in, tgt, T, B, state, NULL, &count);
        cr_net_backward(net, w0, g, NULL);
        CHECK_CLOSE(r1.loss, loss1 / (double)count, 0, 1e-6);
        size_t off = 0;
        for (size_t i = 0; i < np; i++)
            if (fabsf((w0[i] - w1[i]) - g[i]) > 1e-6f + 1e-4f * fabsf(g[i])) off++;
        CHECK(off == 0);
        chunk_of(ids, nids, T, B, 1, in, tgt);
        cr_net_weights_changed(net, w1);
        double loss2 = cr_net_forward(net, w1, in, tgt, T, B, state, NULL, &count);
        CHECK_CLOSE(r2.loss, loss2 / (double)count, 0, 1e-6);
        cr_net_free(net);
        cr_trainer_free(t);
        cr_model_free(m);
        free(ids);
        free(w0);
        free(w1);
        free(g);
        free(state);
    }
    free(text);
}

/* One Adam step from the same start with the rate scaled by 1, 0.5 and 0: the change to the
 * weights is linear in the rate (Adam's step is lr times a ratio of moments), and 0 keeps them. */
TEST(train_lr_scale_scales_the_step)
{
    char *text = toy_corpus(3000, 9);
    cr_config c = small_config(CR_LSTM);
    c.dropout = 0;
    c.warmup = 0;
    const double scales[3] = {1.0, 0.5, 0.0};
    cr_model *m[3];
    cr_step_result r[3];
    float *w0 = NULL;
    for (int k = 0; k < 3; k++) {
        cr_trainer *t;
        cr_error e;
        REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, 3000, &m[k], &e) == CR_OK);
        if (!w0) {
            w0 = malloc(m[k]->nparams * sizeof *w0);
            REQUIRE(w0);
            memcpy(w0, m[k]->params, m[k]->nparams * sizeof *w0);
        }
        REQUIRE(cr_trainer_new(m[k], (unsigned char *)text, 3000, 1, &t, &e) == CR_OK);
        cr_trainer_set_lr_scale(t, scales[k]);
        REQUIRE(cr_trainer_step(t, &r[k], &e) == CR_OK);
        cr_trainer_free(t);
    }
    CHECK_CLOSE(r[0].lr, c.lr, 1e-12, 0);
    CHECK_CLOSE(r[1].lr, 0.5 * c.lr, 1e-12, 0);
    CHECK(r[2].lr == 0);
    CHECK(same_floats(m[2]->params, w0, m[2]->nparams));
    double worst = 0, moved = 0;
    for (size_t i = 0; i < m[0]->nparams; i++) {
        double d1 = (double)m[0]->params[i] - w0[i], dh = (double)m[1]->params[i] - w0[i];
        moved = fmax(moved, fabs(d1));
        worst = fmax(worst, fabs(dh - 0.5 * d1));
    }
    CHECK(moved > 0.5 * c.lr); /* the full step moved something by about lr */
    CHECK(worst < 1e-6);       /* float rounding of weights near 1, no more */
    for (int k = 0; k < 3; k++) cr_model_free(m[k]);
    free(w0);
    free(text);
}

/* The memorising check on made-up histories: val losses and train losses per evaluation. */
static int memorising(const double *val, const double *train, size_t n)
{
    cr_history_row rows[16];
    for (size_t i = 0; i < n; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].step = 10 * (i + 1);
        rows[i].val_loss = val[i];
        rows[i].train_loss = train[i];
    }
    return cr_history_memorising(rows, n, 3);
}

TEST(history_memorising_needs_three_rises_while_training_falls)
{
    const double train[] = {2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.9};
    const double rising[] = {2.1, 1.9, 1.7, 1.75, 1.8, 1.85, 1.9};
    CHECK(memorising(rising, train, 7) == 1);
    CHECK(memorising(rising, train, 6) == 1);  /* 1.7 then three rises */
    CHECK(memorising(rising, train, 5) == 0);  /* only two rises yet */
    const double dip[] = {2.1, 1.9, 1.7, 1.75, 1.8, 1.78, 1.9};
    CHECK(memorising(dip, train, 7) == 0);     /* a fall breaks the run */
    const double flat_train[] = {2.0, 1.8, 1.6, 1.6, 1.6, 1.7, 1.8};
    CHECK(memorising(rising, flat_train, 7) == 0); /* both rising: not memorising */
    const double nan_rows[] = {2.1, 1.9, 1.7, NAN, 1.75, NAN, 1.8, 1.85};
    const double train8[] = {2.0, 1.8, 1.6, 1.5, 1.4, 1.3, 1.2, 1.1};
    CHECK(memorising(nan_rows, train8, 8) == 1); /* rows without a validation are skipped */
    const double no_val[] = {NAN, NAN, NAN, NAN, NAN};
    CHECK(memorising(no_val, train, 5) == 0);
}
