/* test_ml5.c: ml5.js model folders: the two shared ml5 models imported and checked against a
 * direct implementation of TensorFlow's BasicLSTMCell on their raw files, exact round trips,
 * and every kind of damage refused with a message that says what and where. */
#include "test.h"
#include "util.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- files and folders ---- */

static char *path_in(const char *dir, const char *name)
{
    static char buf[4][1024]; /* a few at a time: tests are single-threaded */
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *p = realloc(b, cap *= 2);
            if (!p) free(b);
            b = p;
        }
    }
    fclose(f);
    if (b) b[n < cap ? n : cap - 1] = 0;
    *len = n;
    return b;
}

static int spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlink(path_in(dir, e->d_name));
    closedir(d);
    rmdir(dir);
}

static char *temp_folder(void)
{
    static char name[4][64];
    static int k;
    k = (k + 1) % 4;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(name[k], sizeof name[k], "%s/charrnn-ml5-XXXXXX", tmp);
    return mkdtemp(name[k]);
}

/* Replaces the first occurrence of from by to in dir/name; 0 on success. */
static int edit_file(const char *dir, const char *name, const char *from, const char *to)
{
    size_t n;
    unsigned char *b = slurp(path_in(dir, name), &n);
    if (!b) return -1;
    char *at = strstr((char *)b, from);
    int rc = -1;
    if (at) {
        size_t pre = (size_t)(at - (char *)b), fl = strlen(from), tl = strlen(to);
        char *out = malloc(n - fl + tl + 1);
        memcpy(out, b, pre);
        memcpy(out + pre, to, tl);
        memcpy(out + pre + tl, b + pre + fl, n - pre - fl);
        rc = spit(path_in(dir, name), out, n - fl + tl);
        free(out);
    }
    free(b);
    return rc;
}

static int shared_model(const char *name, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/ml5-models/%s", test_shared_dir, name);
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- models ---- */

static int same_vocab(const cr_vocab *a, const cr_vocab *b)
{
    if (a->size != b->size || memcmp(a->chars, b->chars, a->size * sizeof *a->chars)) return 0;
    for (uint32_t i = 0; i < a->size; i++) {
        const char *x = a->strings ? a->strings[i] : NULL, *y = b->strings ? b->strings[i] : NULL;
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y))) return 0;
    }
    return 1;
}

/* The largest difference between two models' probabilities after feeding the same ids. */
static double probs_diff(const cr_model *a, const cr_model *b, const uint32_t *ids, size_t n)
{
    cr_sample_options o;
    cr_sample_options_default(&o);
    cr_sampler *sa, *sb;
    cr_error e;
    if (cr_sampler_new(a, &o, &sa, &e) || cr_sampler_new(b, &o, &sb, &e)) return INFINITY;
    double worst = 0;
    for (size_t t = 0; t < n; t++) {
        cr_sampler_feed(sa, ids[t]);
        cr_sampler_feed(sb, ids[t]);
        const float *pa = cr_sampler_probs(sa), *pb = cr_sampler_probs(sb);
        for (uint32_t k = 0; k < cr_model_vocab(a)->size; k++)
            worst = fmax(worst, fabs((double)pa[k] - (double)pb[k]));
    }
    cr_sampler_free(sa);
    cr_sampler_free(sb);
    return worst;
}

/* ---- the shared models, against TensorFlow's BasicLSTMCell written out here ---- */

static float *read_floats(const char *dir, const char *file, size_t want)
{
    size_t n;
    unsigned char *b = slurp(path_in(dir, file), &n);
    if (!b || n != 4 * want) {
        free(b);
        return NULL;
    }
    float *x = malloc(want * sizeof *x);
    for (size_t i = 0; i < want; i++) {
        uint32_t u = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
                     (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
        memcpy(&x[i], &u, 4);
    }
    free(b);
    return x;
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

/* One BasicLSTMCell step as TensorFlow defines it: [x, h] K + b split into i, j, f, o;
 * c = c sigmoid(f + 1) + sigmoid(i) tanh(j); h = tanh(c) sigmoid(o). In double precision.
 * wrong = 1 reads the blocks in PyTorch's order (i, f, j, o) instead, the mistake this catches. */
static void tf_cell(const double *x, size_t In, double *h, double *c, size_t H, const float *K,
                    const float *b, int wrong)
{
    double *z = malloc(4 * H * sizeof *z);
    for (size_t k = 0; k < 4 * H; k++) {
        double s = b[k];
        for (size_t r = 0; r < In; r++)
            s += x[r] * K[r * 4 * H + k];
        for (size_t r = 0; r < H; r++)
            s += h[r] * K[(In + r) * 4 * H + k];
        z[k] = s;
    }
    size_t J = wrong ? 2 * H : H, F = wrong ? H : 2 * H;
    for (size_t u = 0; u < H; u++) {
        c[u] = c[u] * sig(z[F + u] + 1.0) + sig(z[u]) * tanh(z[J + u]);
        h[u] = tanh(c[u]) * sig(z[3 * H + u]);
    }
    free(z);
}

/* The reference's next-character distribution p (V) by ml5 id, after feeding ml5 id k. */
static void tf_step(size_t k, const float *emb, size_t E, const float *const w[6], size_t H,
                    size_t V, double *h, double *c, double *x, double *p, int wrong)
{
    for (size_t r = 0; r < E; r++) /* the one-hot row times the embedding */
        x[r] = emb[k * E + r];
    tf_cell(x, E, h, c, H, w[0], w[1], wrong);
    tf_cell(h, H, h + H, c + H, H, w[2], w[3], wrong);
    double mx = -INFINITY, sum = 0;
    for (size_t v = 0; v < V; v++) {
        double z = w[5][v];
        for (size_t r = 0; r < H; r++)
            z += h[H + r] * w[4][r * V + v];
        p[v] = z;
        mx = fmax(mx, z);
    }
    for (size_t v = 0; v < V; v++)
        sum += p[v] = exp(p[v] - mx);
    for (size_t v = 0; v < V; v++)
        p[v] /= sum;
}

typedef struct tf_files {
    const char *name, *kernel0, *bias0, *kernel1, *bias1, *prime;
    size_t V, E, H;
} tf_files;

static const tf_files SHARED_MODELS[] = {
    {"bolano", "rnnlm_multi_rnn_cell_cell_0_basic_lstm_cell_kernel",
     "rnnlm_multi_rnn_cell_cell_0_basic_lstm_cell_bias",
     "rnnlm_multi_rnn_cell_cell_1_basic_lstm_cell_kernel",
     "rnnlm_multi_rnn_cell_cell_1_basic_lstm_cell_bias", "The meaning of pizza is", 116, 256, 256},
    {"shakespeare", "rnnlm_multi_rnn_cell_cell_0_basic_lstm_cell_weights",
     "rnnlm_multi_rnn_cell_cell_0_basic_lstm_cell_biases",
     "rnnlm_multi_rnn_cell_cell_1_basic_lstm_cell_weights",
     "rnnlm_multi_rnn_cell_cell_1_basic_lstm_cell_biases", "KING RICHARD:\nWhat", 65, 128, 128},
};

/* Our id for each ml5 id, from the folder's vocab.json and the imported vocabulary. */
static int our_ids(const char *dir, const cr_vocab *v, uint32_t *ours, size_t V)
{
    size_t n;
    unsigned char *t = slurp(path_in(dir, "vocab.json"), &n);
    cr_json j;
    cr_error e;
    int ok = t && cr_json_parse(t, n, "vocab.json", &j, &e) == CR_OK && j.len == V;
    for (size_t i = 0; ok && i < j.len; i++) {
        const cr_json *k = &j.keys[i];
        uint32_t cp, ml5 = (uint32_t)j.items[i].ival;
        int32_t id = -1;
        if (k->len && cr_utf8_decode((const unsigned char *)k->str, k->len, &cp) == k->len)
            id = cr_vocab_id(v, cp);
        for (uint32_t s = 0; id < 0 && v->strings && s < v->size; s++)
            if (v->strings[s] && strcmp(v->strings[s], k->str) == 0) id = (int32_t)s;
        ok = id >= 0 && ml5 < V;
        if (ok) ours[ml5] = (uint32_t)id;
    }
    cr_json_free(&j);
    free(t);
    return ok;
}

static void check_against_tf(const tf_files *tf)
{
    char dir[600];
    if (!shared_model(tf->name, dir, sizeof dir)) {
        test_skip("../shared/ml5-models missing");
        return;
    }
    cr_model *m;
    cr_error e;
    REQUIRE(cr_ml5_read(dir, &m, NULL, &e) == CR_OK);
    size_t V = tf->V, E = tf->E, H = tf->H;
    float *emb = read_floats(dir, "embedding", V * E);
    float *sw = read_floats(dir, "rnnlm_softmax_w", H * V);
    float *sb = read_floats(dir, "rnnlm_softmax_b", V);
    float *K0 = read_floats(dir, tf->kernel0, (E + H) * 4 * H);
    float *B0 = read_floats(dir, tf->bias0, 4 * H);
    float *K1 = read_floats(dir, tf->kernel1, 2 * H * 4 * H);
    float *B1 = read_floats(dir, tf->bias1, 4 * H);
    const float *w[6] = {K0, B0, K1, B1, sw, sb};
    uint32_t *ours = malloc(V * sizeof *ours), *ml5_of = malloc(V * sizeof *ml5_of);
    double *h = calloc(4 * H, sizeof *h), *c = calloc(4 * H, sizeof *c), *x = malloc(E * sizeof *x);
    double *p = malloc(2 * V * sizeof *p);
    REQUIRE(emb && sw && sb && K0 && B0 && K1 && B1);
    REQUIRE(our_ids(dir, cr_model_vocab(m), ours, V));
    for (size_t k = 0; k < V; k++) /* the inverse */
        ml5_of[ours[k]] = (uint32_t)k;
    cr_sample_options o;
    cr_sample_options_default(&o);
    cr_sampler *s;
    REQUIRE(cr_sampler_new(m, &o, &s, &e) == CR_OK);
    double first = 0, all = 0, wrong = 0;
    const unsigned char *prime = (const unsigned char *)tf->prime;
    size_t len = strlen(tf->prime);
    for (size_t i = 0, step = 0; i < len; step++) {
        uint32_t cp;
        i += cr_utf8_decode(prime + i, len - i, &cp);
        int32_t id = cr_vocab_id(cr_model_vocab(m), cp);
        REQUIRE(id >= 0);
        tf_step(ml5_of[id], emb, E, w, H, V, h, c, x, p, 0);
        tf_step(ml5_of[id], emb, E, w, H, V, h + 2 * H, c + 2 * H, x, p + V, 1);
        cr_sampler_feed(s, (uint32_t)id);
        const float *q = cr_sampler_probs(s);
        for (size_t v = 0; v < V; v++) {
            double d = fabs(p[v] - q[ours[v]]);
            all = fmax(all, d);
            first = step < 6 ? fmax(first, d) : first;
            wrong = fmax(wrong, fabs(p[V + v] - q[ours[v]]));
        }
    }
    /* binary32 against exact arithmetic: 1e-6 for the first steps, ml5's 1e-5 for them all; and
     * the gates read in the wrong order would be far off */
    CHECK_CLOSE(first, 0.0, 1e-6, 0);
    CHECK_CLOSE(all, 0.0, 1e-5, 0);
    CHECK(wrong > 0.05);
    cr_sampler_free(s);
    cr_model_free(m);
    free(emb), free(sw), free(sb), free(K0), free(B0), free(K1), free(B1);
    free(ours), free(ml5_of), free(h), free(c), free(x), free(p);
}

TEST(ml5_bolano_equals_tensorflow_basic_lstm_cell) { check_against_tf(&SHARED_MODELS[0]); }
TEST(ml5_shakespeare_equals_tensorflow_basic_lstm_cell) { check_against_tf(&SHARED_MODELS[1]); }

/* The SHA-256 that ../shared/ml5-models/SHA256SUMS lists for a file, as hex. */
static int listed_sha(const char *file, char hex[65])
{
    size_t n;
    unsigned char *t = slurp(path_in(test_shared_dir, "ml5-models/SHA256SUMS"), &n);
    char *at = t ? strstr((char *)t, file) : NULL;
    int ok = at && at - (char *)t >= 66 && at[strlen(file)] == '\n';
    if (ok) {
        memcpy(hex, at - 66, 64);
        hex[64] = 0;
    }
    free(t);
    return ok;
}

TEST(ml5_import_shared_models)
{
    char dir[600], hex[65], want[65];
    if (!shared_model("shakespeare", dir, sizeof dir) || !shared_model("bolano", dir, sizeof dir)) {
        test_skip("../shared/ml5-models missing");
        return;
    }
    static const struct { const char *name; int V, H, nodd; } M[] = {{"bolano", 116, 256, 0},
                                                                   {"shakespeare", 65, 128, 2}};
    for (int i = 0; i < 2; i++) {
        shared_model(M[i].name, dir, sizeof dir);
        cr_model *m;
        cr_error e;
        cr_ml5_report rep;
        REQUIRE(cr_ml5_read(dir, &m, &rep, &e) == CR_OK);
        const cr_config *c = cr_model_config(m);
        const cr_vocab *v = cr_model_vocab(m);
        CHECK(c->cell == CR_LSTM && c->layers == 2 && c->hidden == M[i].H && c->embed == M[i].H);
        CHECK((int)v->size == M[i].V);
        CHECK(rep.files == 10 && (int)rep.nodd == M[i].nodd);
        CHECK(!cr_model_has_best(m) && cr_model_progress(m)->step == 0);
        for (uint32_t k = 1; k < v->size; k++)
            CHECK(v->chars[k] > v->chars[k - 1]);
        const cr_history_row *rows;
        CHECK(cr_model_history(m, &rows) == 0);
        const cr_session *s;
        REQUIRE(cr_model_sessions(m, &s) == 1);
        CHECK(strstr(s[0].command, "ml5") && strstr(s[0].command, M[i].name));
        REQUIRE(s[0].nsources == 10);
        for (uint32_t k = 0; k < s[0].nsources; k++) { /* each file's digest as SHA256SUMS has it */
            const char *base = strrchr(s[0].sources[k].name, '/') + 1;
            char listed[128];
            snprintf(listed, sizeof listed, "  %s/%s", M[i].name, base);
            for (int b = 0; b < 32; b++)
                snprintf(hex + 2 * b, 3, "%02x", s[0].sources[k].sha256[b]);
            CHECK(listed_sha(listed + 2, want) && strcmp(hex, want) == 0);
        }
        if (M[i].nodd) { /* ids 13 ("  ") and 40 ("") in vocab.json */
            CHECK(rep.odd[0].ml5_id == 13 && rep.odd[1].ml5_id == 40);
            CHECK(rep.odd[0].id == 63 && rep.odd[1].id == 64);
            CHECK(v->chars[63] == 0x10FF00 && v->chars[64] == 0x10FF01);
            CHECK(strcmp(v->strings[63], "  ") == 0 && strcmp(v->strings[64], "") == 0);
            CHECK(cr_vocab_id(v, 'u') < 0 && cr_vocab_id(v, 'U') < 0);
            char b[4];
            const char *t;
            CHECK(cr_vocab_text(v, 63, b, &t) == 2 && cr_vocab_text(v, 64, b, &t) == 0);
        }
        /* the same through cr_ckpt_read_file, as every tool reads it */
        cr_model *m2;
        REQUIRE(cr_ckpt_read_file(dir, &m2, &e) == CR_OK);
        CHECK(memcmp(m->params, m2->params, m->nparams * sizeof(float)) == 0);
        cr_model_free(m2);
        cr_model_free(m);
    }
}

/* import, export, import: the same weights, vocabulary and probabilities, bit for bit */
TEST(ml5_round_trip_shared_models)
{
    char dir[600];
    if (!shared_model("shakespeare", dir, sizeof dir)) {
        test_skip("../shared/ml5-models missing");
        return;
    }
    const char *names[] = {"shakespeare", "bolano"};
    for (int i = 0; i < 2; i++) {
        if (!shared_model(names[i], dir, sizeof dir)) continue;
        cr_model *a, *b;
        cr_error e;
        char *tmp = temp_folder();
        REQUIRE(tmp);
        REQUIRE(cr_ml5_read(dir, &a, NULL, &e) == CR_OK);
        CHECK(cr_ml5_write(a, 0, tmp, &e) == CR_OK);
        REQUIRE(cr_ml5_read(tmp, &b, NULL, &e) == CR_OK);
        CHECK(same_vocab(cr_model_vocab(a), cr_model_vocab(b)));
        REQUIRE(a->nparams == b->nparams);
        CHECK(memcmp(a->params, b->params, a->nparams * sizeof(float)) == 0);
        uint32_t ids[6] = {1, 5, 9, 2, 0, 7};
        CHECK(probs_diff(a, b, ids, 6) == 0);
        /* exporting again into the same folder replaces it */
        CHECK(cr_ml5_write(b, 0, tmp, &e) == CR_OK);
        cr_model_free(a);
        cr_model_free(b);
        remove_folder(tmp);
    }
}

/* ---- models made here ---- */

/* A two-layer model whose vocabulary needs every kind of JSON escape; forget biases varied. */
static cr_model *exportable(int embed)
{
    static const char ALPHABET[] = "ab\"\\\n\t\x01/\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80";
    cr_model *m = tiny_model(CR_LSTM, 2, 6, embed, ALPHABET, 11);
    if (!m) return NULL;
    cr_rng r;
    cr_rng_seed(&r, 5);
    fill_uniform(m->params, m->nparams, 1.5f, &r);
    return m;
}

static void export_and_back(int embed)
{
    cr_model *m = exportable(embed), *b;
    cr_error e;
    REQUIRE(m);
    char *tmp = temp_folder();
    REQUIRE(tmp);
    REQUIRE(cr_ml5_write(m, 0, tmp, &e) == CR_OK);
    cr_ml5_report rep;
    REQUIRE(cr_ml5_read(tmp, &b, &rep, &e) == CR_OK);
    CHECK(rep.nodd == 0 && rep.files == 9);
    CHECK(same_vocab(cr_model_vocab(m), cr_model_vocab(b)));
    const int H = 6;
    if (embed) { /* the same table: every weight equal, the forget biases up to rounding */
        REQUIRE(b->nparams == m->nparams);
        for (size_t t = 0; t < m->ntensors; t++) {
            const cr_tensor_info *ti = &m->tensors[t];
            int bias = strcmp(ti->name + 2, ".b") == 0;
            for (size_t k = 0; k < ti->size; k++) {
                float x = m->params[ti->offset + k], y = b->params[ti->offset + k];
                if (bias && k >= (size_t)H && k < 2 * (size_t)H) CHECK(fabsf(x - y) <= 1.2e-7f);
                else CHECK(x == y);
            }
        }
    } else { /* one-hot comes back as an identity embedding */
        CHECK(cr_model_config(b)->embed == (int)cr_model_vocab(m)->size);
    }
    uint32_t ids[8] = {0, 3, 7, 1, 9, 2, 4, 4};
    CHECK_CLOSE(probs_diff(m, b, ids, 8), 0.0, 1e-6, 0);
    cr_model_free(m);
    cr_model_free(b);
    remove_folder(tmp);
}

TEST(ml5_export_embedding_model_and_back) { export_and_back(5); }
TEST(ml5_export_one_hot_model_and_back) { export_and_back(0); }

TEST(ml5_export_refuses_what_ml5_cannot_run)
{
    cr_error e;
    char *tmp = temp_folder();
    REQUIRE(tmp);
    char *sub = path_in(tmp, "new");
    cr_model *gru = tiny_model(CR_GRU, 2, 4, 0, "abc", 1);
    cr_model *one = tiny_model(CR_LSTM, 1, 4, 0, "abc", 1);
    cr_model *three = tiny_model(CR_LSTM, 3, 4, 0, "abc", 1);
    cr_model *ok = tiny_model(CR_LSTM, 2, 4, 0, "abc", 1);
    REQUIRE(gru && one && three && ok);
    CHECK(cr_ml5_write(gru, 0, sub, &e) == CR_EINVAL && strstr(e.message, "LSTM"));
    CHECK(cr_ml5_write(one, 0, sub, &e) == CR_EINVAL && strstr(e.message, "two-layer"));
    CHECK(cr_ml5_write(three, 0, sub, &e) == CR_EINVAL && strstr(e.message, "has 3"));
    CHECK(cr_ml5_write(ok, 1, sub, &e) == CR_EINVAL && strstr(e.message, "best"));
    CHECK(access(sub, F_OK) != 0); /* nothing was created */
    ok->params[3] = NAN;
    CHECK(cr_ml5_write(ok, 0, sub, &e) == CR_EINVAL && strstr(e.message, "finite"));
    ok->params[3] = 0;
    /* a folder with other files in it, and a file where the folder should be */
    CHECK(spit(path_in(tmp, "notes.txt"), "mine", 4) == 0);
    CHECK(cr_ml5_write(ok, 0, tmp, &e) == CR_EINVAL && strstr(e.message, "no model"));
    CHECK(cr_ml5_write(ok, 0, path_in(tmp, "notes.txt"), &e) == CR_EINVAL &&
          strstr(e.message, "not a folder"));
    /* an id whose string is also another id's character cannot be told apart in vocab.json */
    REQUIRE(cr_ml5_write(ok, 0, sub, &e) == CR_OK);
    ok->vocab.strings = calloc(ok->vocab.size, sizeof *ok->vocab.strings);
    ok->vocab.strings[2] = malloc(2);
    memcpy(ok->vocab.strings[2], "a", 2);
    CHECK(cr_ml5_write(ok, 0, sub, &e) == CR_EINVAL && strstr(e.message, "same text"));
    cr_model_free(gru);
    cr_model_free(one);
    cr_model_free(three);
    cr_model_free(ok);
    remove_folder(sub);
    remove_folder(tmp);
}

/* ---- damage ---- */

/* A fresh valid folder of a small model (vocabulary "abc\n"). */
static char *good_folder(void)
{
    cr_model *m = tiny_model(CR_LSTM, 2, 4, 3, "abc\n", 2);
    char *tmp = temp_folder();
    cr_error e;
    if (!m || !tmp || cr_ml5_write(m, 0, tmp, &e) != CR_OK) tmp = NULL;
    cr_model_free(m);
    return tmp;
}

/* Imports dir expecting failure with code and a message holding what; removes dir. */
static void expect_refused(char *dir, int code, const char *what, long long offset, int line)
{
    cr_model *m = (cr_model *)1;
    cr_error e = {0};
    int rc = cr_ml5_read(dir, &m, NULL, &e);
    char msg[600];
    if (rc != code || m != NULL || !strstr(e.message, what) ||
        (offset >= 0 && e.offset != offset)) {
        snprintf(msg, sizeof msg, "line %d: rc %d, offset %lld: %s", line, rc, e.offset, e.message);
        test_failed(__FILE__, line, msg);
    }
    cr_model_free(m == (cr_model *)1 ? NULL : m);
    remove_folder(dir);
}
#define REFUSED(dir, code, what, offset) expect_refused(dir, code, what, offset, __LINE__)

static const char KERNEL0[] = "rnnlm_multi_rnn_cell_cell_0_basic_lstm_cell_kernel";

TEST(ml5_import_refuses_damage)
{
    char *d;
    REQUIRE((d = good_folder()));
    unlink(path_in(d, "manifest.json"));
    REFUSED(d, CR_EFORMAT, "not an ml5.js model folder: it has no manifest.json", -1);

    REQUIRE((d = good_folder()));
    unlink(path_in(d, "vocab.json"));
    REFUSED(d, CR_EFORMAT, "vocab.json: no such file", -1);

    REQUIRE((d = good_folder()));
    unlink(path_in(d, "rnnlm_softmax_b"));
    REFUSED(d, CR_EFORMAT, "rnnlm_softmax_b: no such file", -1);

    REQUIRE((d = good_folder())); /* a file 4 bytes short: its size against the manifest's shape */
    REQUIRE(truncate(path_in(d, KERNEL0), 7 * 16 * 4 - 4) == 0);
    REFUSED(d, CR_EFORMAT, "444 bytes, but variable 'rnnlm/multi_rnn_cell/cell_0/basic_lstm_cell/"
            "kernel' has shape [7, 16] in manifest.json, which needs 448", -1);

    REQUIRE((d = good_folder())); /* a shape that does not fit the others */
    REQUIRE(edit_file(d, "manifest.json", "[7, 16]", "[8, 14]") == 0);
    REFUSED(d, CR_EFORMAT, "layer 0's kernel ('rnnlm/multi_rnn_cell/cell_0/basic_lstm_cell/kernel')"
            " has shape [8, 14] where [7, 16] was expected", -1);

    REQUIRE((d = good_folder())); /* a NaN in the weights */
    {
        unsigned char nan[4] = {0x00, 0x00, 0xC0, 0x7F};
        FILE *f = fopen(path_in(d, "rnnlm_softmax_w"), "r+b");
        REQUIRE(f);
        fseek(f, 4 * 5, SEEK_SET);
        fwrite(nan, 1, 4, f);
        fclose(f);
    }
    REFUSED(d, CR_EFORMAT, "rnnlm_softmax_w: value 5 (row 1, column 1) of the softmax weights is "
            "not finite (NaN)", 20);

    REQUIRE((d = good_folder())); /* bad JSON: the offset of the problem */
    REQUIRE(edit_file(d, "manifest.json", "]\n  }\n}", "]\n  },\n}") == 0);
    {
        size_t n;
        unsigned char *t = slurp(path_in(d, "manifest.json"), &n);
        REQUIRE(t);
        long long at = (long long)(strstr((char *)t, "},\n}") - (char *)t) + 1;
        free(t);
        REFUSED(d, CR_EFORMAT, "manifest.json: a comma before '}'", at);
    }

    REQUIRE((d = good_folder())); /* the same key twice */
    REQUIRE(edit_file(d, "vocab.json", "\"b\": 2", "\"a\": 2") == 0);
    REFUSED(d, CR_EFORMAT, "vocab.json: a key that the object already has", -1);

    REQUIRE((d = good_folder())); /* an id twice */
    REQUIRE(edit_file(d, "vocab.json", "\"b\": 2", "\"b\": 1") == 0);
    REFUSED(d, CR_EFORMAT, "vocab.json: id 1 a second time", -1);

    REQUIRE((d = good_folder())); /* an id out of range */
    REQUIRE(edit_file(d, "vocab.json", "\"b\": 2", "\"b\": 4") == 0);
    REFUSED(d, CR_EFORMAT, "an id that is not a whole number from 0 to 3", -1);

    REQUIRE((d = good_folder())); /* an entry too few */
    REQUIRE(edit_file(d, "vocab.json", ",\n  \"c\": 3", "") == 0);
    REFUSED(d, CR_EFORMAT, "vocab.json: 3 entries, but the softmax bias", 0);

    REQUIRE((d = good_folder())); /* a lone surrogate */
    REQUIRE(edit_file(d, "vocab.json", "\"b\"", "\"\\ud800\"") == 0);
    REFUSED(d, CR_EFORMAT, "a high surrogate not followed by a low one", -1);

    REQUIRE((d = good_folder())); /* a file outside the folder */
    REQUIRE(edit_file(d, "manifest.json", "\"filename\": \"embedding\"",
                      "\"filename\": \"../embedding\"") == 0);
    REFUSED(d, CR_EFORMAT, "names a file outside the folder", -1);

    REQUIRE((d = good_folder())); /* a third layer */
    REQUIRE(edit_file(d, "manifest.json", "cell_1/basic_lstm_cell/bias",
                      "cell_2/basic_lstm_cell/bias") == 0);
    REFUSED(d, CR_EFORMAT, "belongs to layer 2, but ml5.js 0.12.2 runs only two-layer models", -1);

    REQUIRE((d = good_folder())); /* one layer only */
    REQUIRE(edit_file(d, "manifest.json", "cell_1/basic_lstm_cell/kernel", "other/kernel") == 0);
    REFUSED(d, CR_EFORMAT, "no variable is layer 1's kernel", -1);

    REQUIRE((d = good_folder())); /* two variables for one role */
    REQUIRE(edit_file(d, "manifest.json", "\"embedding\": {", "\"embedding\": {\"filename\": "
                      "\"embedding\", \"shape\": [4, 3]},\n  \"rnnlm/softmax_weights\": {") == 0);
    REFUSED(d, CR_EFORMAT, "are both the softmax weights", -1);

    /* not a folder at all, and a folder that is not a model */
    cr_model *m;
    cr_error e;
    CHECK(cr_ml5_read("/nonexistent/charrnn", &m, NULL, &e) == CR_EFORMAT && m == NULL);
    CHECK(cr_ckpt_is_folder("/") && !cr_ckpt_is_folder("-") && !cr_ckpt_is_folder(NULL));
}

/* What ml5 accepts: the older TensorFlow names, a folder without an embedding, unused variables,
 * and keys that are not one character. */
TEST(ml5_import_variants)
{
    char *d;
    cr_model *m;
    cr_error e;
    cr_ml5_report rep;
    REQUIRE((d = good_folder()));
    REQUIRE(edit_file(d, "manifest.json", "cell_0/basic_lstm_cell/kernel\"",
                      "cell_0/basic_lstm_cell/weights\"") == 0);
    REQUIRE(edit_file(d, "manifest.json", "cell_0/basic_lstm_cell/bias\"",
                      "cell_0/basic_lstm_cell/biases\"") == 0);
    REQUIRE(spit(path_in(d, "Variable"), "\0\0\0\0", 4) == 0);
    REQUIRE(edit_file(d, "manifest.json", "{\n",
                      "{\n  \"Variable\": {\"filename\": \"Variable\", \"shape\": []},\n") == 0);
    /* two keys that are not one character: kept as strings, with stand-ins above the rest */
    REQUIRE(edit_file(d, "vocab.json", "\"a\"", "\"ab\"") == 0);
    REQUIRE(edit_file(d, "vocab.json", "\"c\"", "\"\"") == 0);
    REQUIRE(cr_ml5_read(d, &m, &rep, &e) == CR_OK);
    const cr_vocab *v = cr_model_vocab(m);
    CHECK(rep.nodd == 2 && rep.files == 10 && v->size == 4);
    CHECK(v->chars[0] == '\n' && v->chars[1] == 'b');
    CHECK(v->chars[2] == 0x10FF00 && v->chars[3] == 0x10FF01);
    CHECK(v->strings && strcmp(v->strings[2], "ab") == 0 && strcmp(v->strings[3], "") == 0);
    CHECK(rep.odd[0].id == 2 && rep.odd[0].ml5_id == 1 && rep.odd[1].ml5_id == 3);
    /* and they survive an export and an import */
    char *d2 = temp_folder();
    cr_model *m2;
    REQUIRE(d2 && cr_ml5_write(m, 0, d2, &e) == CR_OK);
    REQUIRE(cr_ml5_read(d2, &m2, NULL, &e) == CR_OK);
    CHECK(same_vocab(v, cr_model_vocab(m2)));
    CHECK(memcmp(m->params, m2->params, m->nparams * sizeof(float)) == 0);
    cr_model_free(m2);
    remove_folder(d2);
    cr_model_free(m);
    remove_folder(d);

    /* no embedding: ml5 feeds the one-hot row to the first layer; a one-hot model here */
    cr_model *oh = tiny_model(CR_LSTM, 2, 4, 0, "xyz", 3);
    REQUIRE(oh && (d = temp_folder()));
    REQUIRE(cr_ml5_write(oh, 0, d, &e) == CR_OK);
    unlink(path_in(d, "embedding"));
    REQUIRE(edit_file(d, "manifest.json", "\"embedding\": {\n    \"filename\": \"embedding\",\n"
                      "    \"shape\": [3, 3]\n  },\n", "") == 0);
    REQUIRE(cr_ml5_read(d, &m, NULL, &e) == CR_OK);
    CHECK(cr_model_config(m)->embed == 0);
    uint32_t ids[4] = {2, 0, 1, 1};
    CHECK_CLOSE(probs_diff(oh, m, ids, 4), 0.0, 1e-6, 0);
    cr_model_free(m);
    cr_model_free(oh);
    remove_folder(d);
}

/* ---- the JSON reader ---- */
TEST(ml5_json_reader_is_strict)
{
    static const struct { const char *text; long long at; } BAD[] = {
        {"", 0}, {"{", 1}, {"{\"a\":1,}", 6}, {"[1,]", 2}, {"{\"a\" 1}", 5}, {"01", 0},
        {"1.", 0}, {"-", 0}, {"1e", 0}, {"\"a", 0}, {"\"\\x\"", 1}, {"\"\\u12\"", 1},
        {"\"\x01\"", 1}, {"\"\xC3\"", 1}, {"\"\\udc00\"", 1}, {"\"\\ud800x\"", 1},
        {"{\"a\":1,\"a\":2}", 7}, {"[1] 2", 4}, {"tru", 0}, {"/* */1", 0}, {"'a'", 0},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        cr_json j;
        cr_error e;
        const unsigned char *t = (const unsigned char *)BAD[i].text;
        int rc = cr_json_parse(t, strlen(BAD[i].text), "t", &j, &e);
        CHECK(rc == CR_EFORMAT);
        if (rc == CR_EFORMAT && e.offset != BAD[i].at) {
            char m[500];
            snprintf(m, sizeof m, "'%s': offset %lld, expected %lld (%s)", BAD[i].text, e.offset,
                     BAD[i].at, e.message);
            test_failed(__FILE__, __LINE__, m);
        }
        cr_json_free(&j);
    }
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    cr_json j;
    cr_error e;
    CHECK(cr_json_parse((const unsigned char *)deep, 200, "t", &j, &e) == CR_EFORMAT);
    cr_json_free(&j);
    const char *good = "\xEF\xBB\xBF { \"k\\u00e9\\ud83d\\ude00\" : "
                       "[ -0, 12, 1.5e3, true, null, \"\\u0000\" ] } ";
    REQUIRE(cr_json_parse((const unsigned char *)good, strlen(good), "t", &j, &e) == CR_OK);
    const cr_json *a = cr_json_member(&j, "k\xC3\xA9\xF0\x9F\x98\x80");
    REQUIRE(a && a->type == CR_JSON_ARRAY && a->len == 6);
    CHECK(a->items[0].is_int && a->items[0].ival == 0 && a->items[1].ival == 12);
    CHECK(!a->items[2].is_int && a->items[3].boolean && a->items[4].type == CR_JSON_NULL);
    CHECK(a->items[5].len == 1 && a->items[5].str[0] == 0);
    cr_json_free(&j);
    /* the writer: ASCII only, every escape read back */
    cr_jbuf b = {0};
    const char *s = "a\"\\\n\t\x01/\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80";
    cr_jbuf_string(&b, s, strlen(s));
    REQUIRE(!b.failed);
    for (size_t i = 0; i < b.len; i++)
        CHECK((unsigned char)b.p[i] >= 0x20 && (unsigned char)b.p[i] < 0x7F);
    REQUIRE(cr_json_parse((const unsigned char *)b.p, b.len, "t", &j, &e) == CR_OK);
    CHECK(j.type == CR_JSON_STRING && j.len == strlen(s) && memcmp(j.str, s, j.len) == 0);
    cr_json_free(&j);
    free(b.p);
}
