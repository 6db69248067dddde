/* test_optim.c: 50 optimizer steps, Adam and SGD with momentum, without and with decoupled
 * weight decay, against PyTorch on stored gradients, with clipping, warm-up, decay and an
 * anneal's scale; and the trainer's use of
 * the global norm and the scale (fixtures from tests/make_fixtures.py, described in
 * tests/fixtures/README.md). */
#include "fixture.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* OPTIM_SETTINGS of tests/make_fixtures.py, in double; the fixture's `hyper` record holds them
 * rounded to float, so that a change on one side only is caught. */
static const double ANNEAL = 0.3; /* as train-charrnn --steps 50 --anneal 0.3 */

static cr_config optim_config(int optimizer)
{
    cr_config c;
    cr_config_default(&c);
    c.optimizer = optimizer;
    c.lr = optimizer == CR_ADAM ? 2e-2 : 1e-2;
    c.lr_decay = 0.5;
    c.warmup = 10;
    c.momentum = 0.9;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.adam_eps = 1e-8;
    c.clip = 5;
    return c;
}

/* Elements of got (n) outside |got - want| <= atol + rtol |want|; shows the first three. */
static int mismatches(const char *file, const char *what, const float *got, const float *want,
                      size_t n, double atol, double rtol)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= atol + rtol * fabs((double)want[i])))
            if (bad++ < 3)
                fprintf(stderr, "  %s: %s[%zu]: %.9g, PyTorch %.9g\n", file, what, i, got[i],
                        want[i]);
    return bad;
}

/* The reference is float64, the library float32 (tests/fixtures/README.md has the reasoning).
 * Weights: 50 roundings of weights below 1.5 (ulp <= 1.2e-7) give about 5e-7 beyond 1e-7,
 * relative, for SGD and Adam alike (Adam's 1 - beta is computed in double, as PyTorch does; from
 * beta2 rounded to float it was 1.3e-5 short, each step 6.4e-6 longer, and the weights 1.9e-4
 * off for the smallest). The second moment: 7.6e-7 relative; a sum of squares, so relative only. */
#define W_ATOL 1e-7
#define W_RTOL 1e-6
#define M2_RTOL 2e-6

/* Runs the fixture's steps as cr_trainer_step does: the global norm, the clipping scale, the
 * schedule's rate times the run's scale, then the update, alternately in place and into spare
 * buffers that then trade places (the trainer's way). */
static void compare_steps(const char *file, int optimizer, double weight_decay)
{
    fixture f;
    int rc = fixture_load(file, &f);
    if (rc < 0) {
        char why[160];
        snprintf(why, sizeof why, "%s/%s missing; run tests/make_fixtures.py", test_fixtures_dir,
                 file);
        test_skip(why);
        return;
    }
    const record *cfg = fixture_find(&f, "config"), *hyper = fixture_find(&f, "hyper");
    const record *w0 = fixture_find(&f, "w0"), *grads = fixture_find(&f, "grads");
    const record *scale = fixture_find(&f, "lr_scale"), *lr = fixture_find(&f, "lr");
    const record *norm = fixture_find(&f, "grad_norm"), *clipped = fixture_find(&f, "clipped");
    const record *w1 = fixture_find(&f, "w"), *m1 = fixture_find(&f, "m1");
    const record *m2 = fixture_find(&f, "m2");
    int adam = optimizer == CR_ADAM;
    int complete = rc == 1 && cfg && cfg->size == 8 && hyper && hyper->size == 8 && w0 &&
                   grads && scale && lr && norm && clipped && w1 && m1 && (m2 != NULL) == adam;
    if (!complete) fixture_free(&f);
    REQUIRE(complete);
    cr_config c = optim_config(optimizer);
    c.weight_decay = weight_decay;
    cr_error e;
    CHECK(cr_config_check(&c, &e) == CR_OK);
    const double want[8] = {c.lr, c.lr_decay, c.momentum, c.beta1, c.beta2, c.adam_eps, c.clip,
                            ANNEAL};
    for (int i = 0; i < 8; i++)
        CHECK(hyper->data[i] == (float)want[i]);
    size_t P = (size_t)cfg->data[1], N = (size_t)cfg->data[2];
    CHECK(cfg->data[0] == (float)optimizer && cfg->data[3] == (float)c.warmup &&
          cfg->data[4] == (float)weight_decay);
    int sizes_ok = N == 50 && w0->size == P && grads->size == N * P && scale->size == N &&
                   lr->size == N && norm->size == N && clipped->size == N && w1->size == P &&
                   m1->size == P && (!m2 || m2->size == P);
    CHECK(sizes_ok);
    float *buf = calloc(6 * P, sizeof(float));
    if (!sizes_ok || !buf) {
        free(buf);
        fixture_free(&f);
        return;
    }
    float *w = buf, *v1 = buf + P, *v2 = adam ? buf + 2 * P : NULL;
    float *sw = buf + 3 * P, *s1 = buf + 4 * P, *s2 = adam ? buf + 5 * P : NULL;
    memcpy(w, w0->data, P * sizeof(float));
    int nclipped = 0, annealed = 0;
    for (size_t t = 0; t < N; t++) {
        const float *g = grads->data + t * P;
        double gn = cr_grad_norm(NULL, g, P);
        CHECK_CLOSE(gn, norm->data[t], 0, 1e-6);
        int clip = c.clip > 0 && gn > c.clip;
        CHECK(clip == (clipped->data[t] != 0));
        nclipped += clip;
        float gscale = clip ? (float)(c.clip / gn) : 1.0f;
        double rate = cr_lr_at(&c, t) * scale->data[t];
        annealed += scale->data[t] < 1;
        CHECK_CLOSE(rate, lr->data[t], 0, 1e-6);
        if (t % 2) {
            cr_optim_update(NULL, &c, w, g, v1, v2, P, t, rate, gscale, NULL);
        } else {
            cr_optim_out to = {sw, s1, s2};
            cr_optim_update(NULL, &c, w, g, v1, v2, P, t, rate, gscale, &to);
            float *x;
            x = w, w = sw, sw = x;
            x = v1, v1 = s1, s1 = x;
            x = v2, v2 = s2, s2 = x;
        }
    }
    CHECK(nclipped == 11 && annealed > 10); /* the fixture exercises both */
    CHECK(mismatches(file, "w", w, w1->data, P, W_ATOL, W_RTOL) == 0);
    CHECK(mismatches(file, "m1", v1, m1->data, P, W_ATOL, W_RTOL) == 0);
    if (adam) CHECK(mismatches(file, "m2", v2, m2->data, P, 0, M2_RTOL) == 0);
    free(buf);
    fixture_free(&f);
}

TEST(optim_adam_50_steps_as_torch) { compare_steps("optim_adam.bin", CR_ADAM, 0); }
TEST(optim_sgd_50_steps_as_torch) { compare_steps("optim_sgd.bin", CR_SGD, 0); }
/* decoupled weight decay: torch.optim.AdamW, and SGD with each weight first multiplied by
 * 1 - rate x decay (tests/make_fixtures.py) */
TEST(optim_adamw_50_steps_as_torch) { compare_steps("optim_adamw.bin", CR_ADAM, 0.5); }
TEST(optim_sgdw_50_steps_as_torch) { compare_steps("optim_sgdw.bin", CR_SGD, 0.25); }

TEST(optim_weight_decay_range_checked)
{
    cr_config c = optim_config(CR_ADAM);
    cr_error e;
    const double bad[] = {-0.01, 1.5, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c.weight_decay = bad[i];
        CHECK(cr_config_check(&c, &e) == CR_EINVAL && strstr(e.message, "weight-decay"));
    }
    c.weight_decay = 1;
    CHECK(cr_config_check(&c, &e) == CR_OK); /* lr 2e-2 */
    c.lr = 1;
    CHECK(cr_config_check(&c, &e) == CR_EINVAL && strstr(e.message, "lr times weight-decay"));
}

/* The trainer's side of the same path, on a real gradient: one first SGD step, whose velocity
 * is the gradient as the update received it (v = 0.9 * 0 + g * gscale). With clipping off, its
 * norm is the reported one; with a clip below the norm, it is the clip; and the weights moved
 * by the reported rate, the schedule's times the set scale, times that velocity. */
TEST(optim_trainer_clips_by_global_norm)
{
    char *text = toy_corpus(3000, 21);
    const double clips[2] = {0, 0.05}, scale = 0.5;
    for (int k = 0; k < 2; k++) {
        cr_config c;
        cr_config_default(&c);
        c.optimizer = CR_SGD;
        c.layers = 1;
        c.hidden = 16;
        c.batch = 4;
        c.seq_len = 16;
        c.warmup = 3;
        c.lr_decay = 0.5;
        c.clip = clips[k];
        c.seed = 5;
        cr_model *m;
        cr_trainer *t;
        cr_error e;
        REQUIRE(cr_model_new_from_text(&c, (unsigned char *)text, 3000, &m, &e) == CR_OK);
        size_t P = m->nparams;
        float *w0 = malloc(P * sizeof *w0);
        REQUIRE(w0);
        memcpy(w0, m->params, P * sizeof *w0);
        REQUIRE(cr_trainer_new(m, (unsigned char *)text, 3000, 1, &t, &e) == CR_OK);
        cr_trainer_set_lr_scale(t, scale);
        cr_step_result r;
        REQUIRE(cr_trainer_step(t, &r, &e) == CR_OK);
        CHECK(r.lr == cr_lr_at(&c, 0) * scale);
        double vn = 0;
        for (size_t i = 0; i < P; i++)
            vn += (double)m->m1[i] * m->m1[i];
        vn = sqrt(vn);
        if (c.clip > 0) {
            CHECK(r.grad_norm > 2 * c.clip); /* so that the clip is active */
            CHECK_CLOSE(vn, c.clip, 0, 1e-6);
        } else {
            CHECK_CLOSE(vn, r.grad_norm, 0, 1e-6);
        }
        float a = (float)r.lr;
        int moved = 0;
        for (size_t i = 0; i < P; i++)
            moved += fabsf(w0[i] - a * m->m1[i] - m->params[i]) > 1e-7f * fabsf(w0[i]) + 1e-12f;
        CHECK(moved == 0);
        cr_trainer_free(t);
        cr_model_free(m);
        free(w0);
    }
    free(text);
}

/* The plan's share: by steps from its start, by seconds, the larger of the two; the rate's
 * factor: 1, then a straight fall to exactly 0 at the plan's end. */
TEST(plan_fraction_scale_and_end)
{
    cr_plan p = {100, 50, 0, 0, 0, 0.3};
    CHECK(cr_plan_fraction(&p, 100, 1e9) == 0); /* no time budget: seconds do not count */
    CHECK(cr_plan_fraction(&p, 125, 0) == 0.5);
    CHECK(cr_plan_fraction(&p, 99, 0) == 0 && cr_plan_fraction(&p, 200, 0) == 1);
    CHECK(cr_plan_lr_scale(&p, 0.7) == 1);
    CHECK(fabs(cr_plan_lr_scale(&p, 0.85) - 0.5) < 1e-12);
    CHECK(cr_plan_lr_scale(&p, 1) == 0);
    CHECK(!cr_plan_finished(&p, 149) && cr_plan_finished(&p, 150));
    p.seconds = 10;
    CHECK(cr_plan_fraction(&p, 101, 8) == 0.8); /* the larger share */
    p.spent_s = 10;
    CHECK(cr_plan_finished(&p, 101));
    p.anneal = 0;
    CHECK(cr_plan_lr_scale(&p, 1) == 1);
    cr_plan t = {0, 0, 0, 60, 15, 1};
    CHECK(cr_plan_fraction(&t, 5000, 30) == 0.5 && cr_plan_lr_scale(&t, 0.5) == 0.5);
    CHECK(!cr_plan_finished(&t, 5000));
}
