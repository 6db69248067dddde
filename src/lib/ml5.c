/* ml5.c: ml5.js CharRNN model folders (docs/ml5.md): importing one as a model, exporting one. */
#include "internal.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STANDIN 0x10FF00u      /* the first private-use stand-in code point */
#define MAX_ODD 256u           /* stand-ins U+10FF00..U+10FFFF */
#define MAX_JSON (16u << 20)   /* bytes of manifest.json or vocab.json */
#define MAX_VARS 64            /* variables in a manifest */
#define MAX_DIM 4

/* TensorFlow's BasicLSTMCell has gate blocks (i, j, f, o), j the candidate; ours are (i, f, g, o).
 * Our block k is TensorFlow's block TF_BLOCK[k] (the map is its own inverse). */
static const int TF_BLOCK[CR_LSTM_GATES] = {[CR_LSTM_I] = 0, [CR_LSTM_F] = 2, [CR_LSTM_G] = 1,
                                            [CR_LSTM_O] = 3};
/* ml5 0.12.2 adds this to the forget gate's pre-activation at run time (tf.basicLSTMCell's
 * forgetBias); it is not in the files, so our forget bias is the file's plus this. */
#define FORGET_BIAS 1.0f

/* The variables ml5 uses, in the order of our tensor table. */
enum { R_EMBED, R_KERNEL0, R_BIAS0, R_KERNEL1, R_BIAS1, R_SOFTW, R_SOFTB, R_COUNT };
static const char *const ROLE_TEXT[R_COUNT] = {
    "the embedding", "layer 0's kernel", "layer 0's bias", "layer 1's kernel", "layer 1's bias",
    "the softmax weights", "the softmax bias"};
/* The names an export writes: the newer TensorFlow 1.x names, as in ml5's own bolano model. */
static const char *const EXPORT_NAME[R_COUNT] = {
    "embedding",
    "rnnlm/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
    "rnnlm/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
    "rnnlm/multi_rnn_cell/cell_1/basic_lstm_cell/kernel",
    "rnnlm/multi_rnn_cell/cell_1/basic_lstm_cell/bias",
    "rnnlm/softmax_w",
    "rnnlm/softmax_b"};

int cr_ckpt_is_folder(const char *path)
{
    struct stat st;
    return !cr_path_is_stdin(path) && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/name, with dir's trailing slashes dropped; NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t k = strlen(name);
    char *p = malloc(n + k + 2);
    if (!p) return NULL;
    memcpy(p, dir, n);
    p[n] = '/';
    memcpy(p + n + 1, name, k + 1);
    return p;
}

static void shape_text(const size_t *dims, int ndim, char *buf, size_t cap)
{
    size_t at = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%zu", i ? ", " : "", dims[i]);
    if (at < cap) snprintf(buf + at, cap - at, "]");
}

/* ======================================================================================== */
/* ---- import ---- */

typedef struct var {
    const char *name;     /* the manifest's key */
    const char *file;     /* its file name in the folder */
    int ndim;
    size_t dims[MAX_DIM];
    size_t count;         /* float32 values: the product of dims */
    int role;             /* R_*, or -1: loaded by ml5 and not used (the global step "Variable") */
    size_t at;            /* byte offset of its entry in manifest.json */
} var;

typedef struct folder {
    const char *dir;
    cr_error *err;
    cr_json manifest, vocab;
    var vars[MAX_VARS];
    size_t nvars;
    int role_var[R_COUNT];   /* index into vars, or -1 */
    float *t[R_COUNT];       /* the tensors, as in the files */
    size_t V, H, E;          /* vocabulary, hidden units, embedding width (0: none) */
    cr_source src[MAX_VARS + 2];
    uint32_t nsrc;
    uint64_t bytes;
} folder;

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Case-insensitive (ASCII) substring test, as a JavaScript regular expression with /i. */
static const char *find_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && lower((unsigned char)s[i]) == lower((unsigned char)needle[i]))
            i++;
        if (i == n) return s;
    }
    return NULL;
}

/* /cell_[0-9]|lstm_[0-9]/i */
static int names_a_cell(const char *s)
{
    for (; *s; s++)
        if ((find_ci(s, "cell_") == s || find_ci(s, "lstm_") == s) && s[5] >= '0' && s[5] <= '9')
            return 1;
    return 0;
}

/* What ml5 0.12.2's CharRNN makes of a variable's name: a name matching /cell_[0-9]|lstm_[0-9]/i
 * is a layer's kernel if it matches /weights|weight|kernel|kernels|w/i, else its bias, the layer
 * being the name's first digit; else a name with "softmax" is the output's weights or bias by
 * the same test; else the name "embedding" is the embedding; anything else is loaded and not
 * used. Returns R_* or -1, and sets *layer for layers. */
static int role_of(const char *name, int *layer)
{
    int weights = find_ci(name, "w") || find_ci(name, "kernel");
    *layer = -1;
    if (names_a_cell(name)) {
        const char *d = name;
        while (*d < '0' || *d > '9')
            d++;
        *layer = *d - '0';
        if (*layer > 1) return -2;
        return weights ? (*layer ? R_KERNEL1 : R_KERNEL0) : (*layer ? R_BIAS1 : R_BIAS0);
    }
    if (find_ci(name, "softmax")) return weights ? R_SOFTW : R_SOFTB;
    return strcmp(name, "embedding") == 0 ? R_EMBED : -1;
}

/* A damaged JSON file of the folder: "FILE: problem at byte N". */
static int bad_json(folder *f, const char *file, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_json(folder *f, const char *file, size_t at, const char *fmt, ...)
{
    char msg[280];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cr_fail(f->err, CR_EFORMAT, (long long)at, NULL, "%s: %s at byte %zu", file, msg, at);
}
#define bad_manifest(f, at, ...) bad_json((f), "manifest.json", (at), __VA_ARGS__)
#define bad_vocab(f, at, ...) bad_json((f), "vocab.json", (at), __VA_ARGS__)

/* A file name the folder may hold: no path, so a manifest cannot reach outside its folder. */
static int plain_file_name(const char *s, size_t len)
{
    return len > 0 && len < 256 && strlen(s) == len && !strchr(s, '/') && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

static int parse_var(folder *f, const cr_json *key, const cr_json *val, var *v)
{
    v->name = key->str;
    v->at = key->offset;
    if (key->len == 0 || strlen(key->str) != key->len)
        return bad_manifest(f, key->offset, "a variable name that is empty or holds U+0000");
    if (val->type != CR_JSON_OBJECT)
        return bad_manifest(f, val->offset, "variable '%.60s' is not an object", v->name);
    const cr_json *fn = cr_json_member(val, "filename"), *sh = cr_json_member(val, "shape");
    if (!fn || fn->type != CR_JSON_STRING)
        return bad_manifest(f, val->offset, "variable '%.60s' has no \"filename\" string", v->name);
    if (!plain_file_name(fn->str, fn->len))
        return bad_manifest(f, fn->offset, "variable '%.60s' names a file outside the folder or "
                            "an empty name", v->name);
    if (!sh || sh->type != CR_JSON_ARRAY)
        return bad_manifest(f, val->offset, "variable '%.60s' has no \"shape\" array", v->name);
    if (sh->len > MAX_DIM)
        return bad_manifest(f, sh->offset, "variable '%.60s' has %zu dimensions (at most %d)",
                            v->name, sh->len, MAX_DIM);
    v->file = fn->str;
    v->ndim = (int)sh->len;
    v->count = 1;
    for (size_t i = 0; i < sh->len; i++) {
        const cr_json *d = &sh->items[i];
        if (d->type != CR_JSON_NUMBER || !d->is_int || d->ival < 0 || d->ival > (1 << 30))
            return bad_manifest(f, d->offset, "variable '%.60s' has a dimension that is not a "
                                "whole number from 0 to 2^30", v->name);
        v->dims[i] = (size_t)d->ival;
        if (v->dims[i] && v->count > ((size_t)1 << 32) / v->dims[i])
            return bad_manifest(f, sh->offset, "variable '%.60s' is larger than 2^32 values",
                                v->name);
        v->count *= v->dims[i];
    }
    int layer;
    v->role = role_of(v->name, &layer);
    if (v->role == -2)
        return bad_manifest(f, v->at, "variable '%.60s' belongs to layer %d, but ml5.js 0.12.2 "
                            "runs only two-layer models (it reads its output from layer 1)",
                            v->name, layer);
    return CR_OK;
}

/* Checks that vars[role_var[r]] has the given shape (ndim 1 or 2). */
static int expect_shape(folder *f, int r, size_t d0, size_t d1, int ndim, const char *why)
{
    const var *v = &f->vars[f->role_var[r]];
    size_t want[2] = {d0, d1};
    if (v->ndim == ndim && v->dims[0] == d0 && (ndim == 1 || v->dims[1] == d1)) return CR_OK;
    char got[96], exp[64];
    shape_text(v->dims, v->ndim, got, sizeof got);
    shape_text(want, ndim, exp, sizeof exp);
    return bad_manifest(f, v->at, "%s ('%.60s') has shape %s where %s was expected (%s)",
                        ROLE_TEXT[r], v->name, got, exp, why);
}

/* The model's shape from the variables' shapes, all checked against each other. */
static int check_shapes(folder *f)
{
    static const int needed[] = {R_KERNEL0, R_BIAS0, R_KERNEL1, R_BIAS1, R_SOFTW, R_SOFTB};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (f->role_var[needed[i]] < 0)
            return cr_fail(f->err, CR_EFORMAT, -1, NULL, "manifest.json: no variable is %s%s",
                           ROLE_TEXT[needed[i]], needed[i] == R_KERNEL1 || needed[i] == R_BIAS1 ?
                           " (ml5.js 0.12.2 runs only two-layer models)" : "");
    const var *b0 = &f->vars[f->role_var[R_BIAS0]], *sb = &f->vars[f->role_var[R_SOFTB]];
    if (sb->ndim != 1 || sb->dims[0] < 1)
        return bad_manifest(f, sb->at, "the softmax bias ('%.60s') is not a non-empty vector",
                            sb->name);
    if (b0->ndim != 1 || b0->dims[0] < CR_LSTM_GATES || b0->dims[0] % CR_LSTM_GATES)
        return bad_manifest(f, b0->at, "layer 0's bias ('%.60s') is not a vector of 4 x hidden "
                            "values", b0->name);
    f->V = sb->dims[0];
    f->H = b0->dims[0] / CR_LSTM_GATES;
    if (f->H > 8192) return bad_manifest(f, b0->at, "the model has %zu hidden units (at most "
                                         "8192)", f->H);
    char why[128];
    size_t H = f->H, V = f->V;
    if (f->role_var[R_EMBED] >= 0) {
        const var *e = &f->vars[f->role_var[R_EMBED]];
        if (e->ndim != 2 || e->dims[1] < 1 || e->dims[1] > 8192)
            return bad_manifest(f, e->at, "the embedding is not a matrix of 1 to 8192 columns");
        f->E = e->dims[1];
        snprintf(why, sizeof why, "one row per character, the softmax bias having %zu", V);
        if (expect_shape(f, R_EMBED, V, f->E, 2, why)) return CR_EFORMAT;
    }
    size_t in = f->E ? f->E : V;
    snprintf(why, sizeof why, "%s %zu + hidden %zu rows, 4 x %zu columns",
             f->E ? "embedding width" : "one-hot input of", in, H, H);
    if (expect_shape(f, R_KERNEL0, in + H, CR_LSTM_GATES * H, 2, why)) return CR_EFORMAT;
    snprintf(why, sizeof why, "hidden %zu + hidden %zu rows, 4 x %zu columns", H, H, H);
    if (expect_shape(f, R_KERNEL1, 2 * H, CR_LSTM_GATES * H, 2, why)) return CR_EFORMAT;
    snprintf(why, sizeof why, "4 x hidden %zu", H);
    if (expect_shape(f, R_BIAS1, CR_LSTM_GATES * H, 0, 1, why)) return CR_EFORMAT;
    snprintf(why, sizeof why, "hidden %zu rows, one column per character", H);
    if (expect_shape(f, R_SOFTW, H, V, 2, why)) return CR_EFORMAT;
    return CR_OK;
}

static int parse_manifest(folder *f, const unsigned char *text, size_t len)
{
    int rc = cr_json_parse(text, len, "manifest.json", &f->manifest, f->err);
    if (rc) return rc;
    const cr_json *m = &f->manifest;
    if (m->type != CR_JSON_OBJECT)
        return bad_manifest(f, m->offset, "not a JSON object of variables");
    if (m->len > MAX_VARS)
        return bad_manifest(f, m->offset, "%zu variables (at most %d)", m->len, MAX_VARS);
    for (int r = 0; r < R_COUNT; r++)
        f->role_var[r] = -1;
    for (size_t i = 0; i < m->len; i++) {
        var *v = &f->vars[f->nvars++];
        if ((rc = parse_var(f, &m->keys[i], &m->items[i], v))) return rc;
        if (v->role < 0) continue;
        if (f->role_var[v->role] >= 0)
            return bad_manifest(f, v->at, "variables '%.60s' and '%.60s' are both %s",
                                f->vars[f->role_var[v->role]].name, v->name, ROLE_TEXT[v->role]);
        f->role_var[v->role] = (int)i;
    }
    return check_shapes(f);
}

/* Opens dir/name and checks its size: exactly want bytes for a variable v, at most MAX_JSON for
 * a description (v NULL). */
static int open_checked(folder *f, const char *name, size_t want, const var *v, int *fd, size_t *n)
{
    char *path = join(f->dir, name);
    *n = 0;
    *fd = -1;
    if (!path) return cr_fail(f->err, CR_ENOMEM, -1, NULL, "out of memory");
    *fd = open(path, O_RDONLY);
    int e = errno;
    free(path);
    if (*fd < 0 && e == ENOENT && strcmp(name, "manifest.json") == 0)
        return cr_fail(f->err, CR_EFORMAT, -1, NULL, "a folder, but not an ml5.js model folder: "
                       "it has no manifest.json");
    if (*fd < 0 && e == ENOENT)
        return cr_fail(f->err, CR_EFORMAT, -1, NULL, "%s: no such file in the folder", name);
    if (*fd < 0)
        return cr_fail(f->err, CR_EIO, -1, NULL, "%s: cannot open it: %s", name, strerror(e));
    struct stat st;
    int rc = CR_OK;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = cr_fail(f->err, CR_EFORMAT, -1, NULL, "%s: not a regular file", name);
    } else if (v && (uint64_t)st.st_size != (uint64_t)want) {
        char shape[96];
        shape_text(v->dims, v->ndim, shape, sizeof shape);
        rc = cr_fail(f->err, CR_EFORMAT, -1, NULL, "%s: %lld bytes, but variable '%.60s' has "
                     "shape %s in manifest.json, which needs %zu (4 bytes per float32 value)",
                     name, (long long)st.st_size, v->name, shape, want);
    } else if (!v && (uint64_t)st.st_size > MAX_JSON) {
        rc = cr_fail(f->err, CR_EFORMAT, -1, NULL, "%s: %lld bytes, too large for a model "
                     "description (at most %u)", name, (long long)st.st_size, MAX_JSON);
    }
    if (rc) close(*fd);
    *n = rc ? 0 : (size_t)st.st_size;
    return rc;
}

/* Reads dir/name whole into *out (which the caller frees), or only hashes it when out is NULL,
 * recording its name, size and SHA-256. want and v as for open_checked. Nothing is allocated
 * before the size is checked. */
static int read_file(folder *f, const char *name, size_t want, const var *v, unsigned char **out,
                     size_t *len)
{
    int fd = -1, rc;
    size_t n = 0, got = 0;
    if (out) *out = NULL;
    if ((rc = open_checked(f, name, want, v, &fd, &n))) return rc;
    unsigned char chunk[1 << 14], *buf = out ? malloc(n ? n : 1) : chunk;
    char *path = join(f->dir, name);
    cr_sha256 h;
    cr_sha256_init(&h);
    if (!buf || !path) rc = cr_fail(f->err, CR_ENOMEM, -1, NULL, "out of memory for %s", name);
    while (!rc && got < n) {
        size_t want_now = out ? n - got : (n - got < sizeof chunk ? n - got : sizeof chunk);
        ssize_t k = read(fd, out ? buf + got : chunk, want_now);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0)
            rc = cr_fail(f->err, CR_EIO, (long long)got, NULL, "%s: read failed at byte %zu: %s",
                         name, got, strerror(errno));
        else if (k == 0)
            rc = cr_fail(f->err, CR_EIO, (long long)got, NULL, "%s: read failed at byte %zu "
                         "(the file shrank)", name, got);
        else if (!out) cr_sha256_update(&h, chunk, (size_t)k);
        got += k > 0 ? (size_t)k : 0;
    }
    close(fd);
    if (rc) {
        if (out) free(buf);
        free(path);
        return rc;
    }
    if (out) cr_sha256_update(&h, buf, n);
    cr_source *s = &f->src[f->nsrc++];
    s->name = path;
    s->bytes = n;
    cr_sha256_final(&h, s->sha256);
    f->bytes += n;
    if (out) *out = buf;
    if (len) *len = n;
    return CR_OK;
}

/* Reads every variable's file; keeps the ones ml5 uses as floats, checked finite. */
static int read_tensors(folder *f)
{
    for (size_t i = 0; i < f->nvars; i++) {
        const var *v = &f->vars[i];
        unsigned char *b = NULL;
        int rc = read_file(f, v->file, v->count * 4, v, v->role < 0 ? NULL : &b, NULL);
        if (rc) return rc;
        if (v->role < 0) continue; /* loaded by ml5 and not used: hashed only */
        float *x = (float *)(void *)b; /* decoded in place: value k only reads bytes 4k..4k+3 */
        for (size_t k = 0; k < v->count; k++) {
            const unsigned char *p = b + 4 * k;
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24;
            memcpy(&x[k], &u, 4);
            if (!isfinite(x[k])) {
                size_t cols = v->ndim == 2 ? v->dims[1] : 1;
                const char *what = isnan(x[k]) ? "NaN" : "infinite";
                free(b);
                return cr_fail(f->err, CR_EFORMAT, (long long)(4 * k), NULL, "%s: value %zu "
                               "(row %zu, column %zu) of %s is not finite (%s); the model is "
                               "damaged", v->file, k, k / cols, k % cols, ROLE_TEXT[v->role],
                               what);
            }
        }
        f->t[v->role] = x;
    }
    return CR_OK;
}

typedef struct entry {
    uint32_t cp;     /* the character, or a stand-in */
    uint32_t ml5;    /* its id in vocab.json */
    const cr_json *key;
    int odd;         /* the key is not exactly one character */
} entry;

static int by_cp(const void *a, const void *b)
{
    uint32_t x = ((const entry *)a)->cp, y = ((const entry *)b)->cp;
    return (x > y) - (x < y);
}

/* e (V, by ml5 id) from vocab.json: each key's character, or a stand-in above them all for a
 * key that is not one character; *nodd counts those. */
static int read_entries(folder *f, entry *e, uint32_t *nodd)
{
    const cr_json *j = &f->vocab;
    size_t V = f->V;
    uint32_t maxcp = 0;
    *nodd = 0;
    for (size_t i = 0; i < V; i++) { /* by ml5 id, to find ids missing or twice */
        const cr_json *id = &j->items[i];
        if (id->type != CR_JSON_NUMBER || !id->is_int || id->ival < 0 || (uint64_t)id->ival >= V)
            return bad_vocab(f, id->offset, "an id that is not a whole number from 0 to %zu",
                             V - 1);
        if (e[id->ival].key)
            return bad_vocab(f, id->offset, "id %lld a second time", (long long)id->ival);
        e[id->ival].key = &j->keys[i];
    }
    for (size_t k = 0; k < V; k++) {
        const cr_json *key = e[k].key;
        uint32_t cp = 0;
        size_t n = key->len ? cr_utf8_decode((const unsigned char *)key->str, key->len, &cp) : 0;
        e[k].ml5 = (uint32_t)k;
        if (n && n == key->len) {
            e[k].cp = cp;
            maxcp = cp > maxcp ? cp : maxcp;
        } else if (memchr(key->str, 0, key->len)) {
            return bad_vocab(f, key->offset, "a key of several characters that holds U+0000");
        } else if (*nodd == MAX_ODD) {
            return bad_vocab(f, key->offset, "more than %u keys that are not one character",
                             MAX_ODD);
        } else {
            e[k].odd = 1;
            e[k].cp = STANDIN + (*nodd)++;
        }
    }
    if (*nodd && maxcp >= STANDIN)
        return cr_fail(f->err, CR_EFORMAT, -1, NULL, "vocab.json: holds characters from U+%04X "
                       "up and keys that are not one character, whose stand-ins need "
                       "U+%04X..U+10FFFF", STANDIN, STANDIN);
    return CR_OK;
}

/* The vocabulary in code-point order, and perm: our id to ml5's. */
static int build_vocab(folder *f, cr_vocab *vocab, uint32_t **perm, cr_ml5_report *rep)
{
    const cr_json *j = &f->vocab;
    size_t V = f->V;
    uint32_t nodd;
    if (j->type != CR_JSON_OBJECT)
        return bad_vocab(f, j->offset, "not a JSON object of characters and their ids");
    if (j->len != V)
        return bad_vocab(f, j->offset, "%zu entries, but the softmax bias in manifest.json has "
                         "%zu values, one per character", j->len, V);
    entry *e = calloc(V, sizeof *e);
    if (!e) return cr_fail(f->err, CR_ENOMEM, -1, NULL, "out of memory");
    int rc = read_entries(f, e, &nodd);
    if (rc) {
        free(e);
        return rc;
    }
    qsort(e, V, sizeof *e, by_cp);
    memset(vocab, 0, sizeof *vocab);
    vocab->size = (uint32_t)V;
    vocab->chars = malloc(V * sizeof *vocab->chars);
    vocab->counts = calloc(V, sizeof *vocab->counts);
    vocab->strings = nodd ? calloc(V, sizeof *vocab->strings) : NULL;
    *perm = malloc(V * sizeof **perm);
    int ok = vocab->chars && vocab->counts && (!nodd || vocab->strings) && *perm;
    for (size_t i = 0; ok && i < V; i++) {
        vocab->chars[i] = e[i].cp;
        (*perm)[i] = e[i].ml5;
        if (!e[i].odd) continue;
        ok = (vocab->strings[i] = malloc(e[i].key->len + 1)) != NULL;
        if (ok) memcpy(vocab->strings[i], e[i].key->str, e[i].key->len + 1);
        if (rep && rep->nodd < CR_ML5_MAX_ODD)
            rep->odd[rep->nodd] = (cr_ml5_odd){e[i].ml5, (uint32_t)i, (long long)e[i].key->offset};
        if (rep) rep->nodd++;
    }
    free(e);
    if (!ok) {
        cr_vocab_free(vocab);
        free(*perm);
        *perm = NULL;
        return cr_fail(f->err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    return CR_OK;
}

/* One layer's kernel (In + H, 4H) and bias (4H) into Wx (In, 4H), Wh (H, 4H) and b (4H): gate
 * columns reordered, the forget bias added, and input rows taken in perm's order when given. */
static void import_layer(const float *K, const float *B, size_t In, size_t H, const uint32_t *perm,
                         float *Wx, float *Wh, float *b)
{
    size_t GH = CR_LSTM_GATES * H; /* gate columns */
    for (size_t r = 0; r < In + H; r++) {
        const float *src = K + (r < In && perm ? perm[r] : r) * GH;
        float *dst = r < In ? Wx + r * GH : Wh + (r - In) * GH;
        for (int k = 0; k < CR_LSTM_GATES; k++)
            memcpy(dst + (size_t)k * H, src + (size_t)TF_BLOCK[k] * H, H * sizeof(float));
    }
    for (int k = 0; k < CR_LSTM_GATES; k++)
        for (size_t j = 0; j < H; j++)
            b[(size_t)k * H + j] =
                B[(size_t)TF_BLOCK[k] * H + j] + (k == CR_LSTM_F ? FORGET_BIAS : 0.0f);
}

static void fill_model(const folder *f, cr_model *m, const uint32_t *perm)
{
    size_t V = f->V, H = f->H, E = f->E;
    const cr_layout *lay = &m->layout;
    if (E) {
        float *emb = CR_TENSOR(m, m->params, lay->embed);
        for (size_t i = 0; i < V; i++)
            memcpy(emb + i * E, f->t[R_EMBED] + (size_t)perm[i] * E, E * sizeof(float));
    }
    import_layer(f->t[R_KERNEL0], f->t[R_BIAS0], E ? E : V, H, E ? NULL : perm,
                 CR_TENSOR(m, m->params, lay->Wx[0]), CR_TENSOR(m, m->params, lay->Wh[0]),
                 CR_TENSOR(m, m->params, lay->b[0]));
    import_layer(f->t[R_KERNEL1], f->t[R_BIAS1], H, H, NULL, CR_TENSOR(m, m->params, lay->Wx[1]),
                 CR_TENSOR(m, m->params, lay->Wh[1]), CR_TENSOR(m, m->params, lay->b[1]));
    float *W = CR_TENSOR(m, m->params, lay->outW), *b = CR_TENSOR(m, m->params, lay->outb);
    for (size_t r = 0; r < H; r++)
        for (size_t i = 0; i < V; i++)
            W[r * V + i] = f->t[R_SOFTW][r * V + perm[i]];
    for (size_t i = 0; i < V; i++)
        b[i] = f->t[R_SOFTB][perm[i]];
}

static void folder_free(folder *f)
{
    cr_json_free(&f->manifest);
    cr_json_free(&f->vocab);
    for (int r = 0; r < R_COUNT; r++)
        free(f->t[r]);
    for (uint32_t i = 0; i < f->nsrc; i++)
        free(f->src[i].name);
}

static int import(folder *f, cr_model **out, cr_ml5_report *rep)
{
    unsigned char *text;
    size_t len;
    int rc = read_file(f, "manifest.json", 0, NULL, &text, &len);
    if (rc) return rc;
    rc = parse_manifest(f, text, len);
    free(text);
    if (rc) return rc;
    if ((rc = read_file(f, "vocab.json", 0, NULL, &text, &len))) return rc;
    rc = cr_json_parse(text, len, "vocab.json", &f->vocab, f->err);
    free(text);
    cr_vocab vocab = {0};
    uint32_t *perm = NULL;
    if (rc || (rc = build_vocab(f, &vocab, &perm, rep))) return rc;
    if ((rc = read_tensors(f))) goto done;
    cr_config cfg;
    cr_config_default(&cfg);
    cfg.cell = CR_LSTM;
    cfg.layers = 2;
    cfg.hidden = (int)f->H;
    cfg.embed = (int)f->E;
    if ((rc = cr_model_alloc(out, &cfg, &vocab, f->err))) goto done;
    fill_model(f, *out, perm);
    static const char WHAT[] = "import ml5.js CharRNN model folder ";
    char date[32], *cmd = malloc(sizeof WHAT + strlen(f->dir));
    cr_utc_date(date);
    if (cmd) snprintf(cmd, sizeof WHAT + strlen(f->dir), "%s%s", WHAT, f->dir);
    rc = cmd ? cr_model_add_session(*out, cmd, CR_VERSION, date, f->src, f->nsrc, f->err)
             : cr_fail(f->err, CR_ENOMEM, -1, NULL, "out of memory");
    free(cmd);
    if (rep) {
        rep->files = f->nsrc;
        rep->bytes = f->bytes;
    }
done:
    cr_vocab_free(&vocab);
    free(perm);
    return rc;
}

int cr_ml5_read(const char *dir, cr_model **out, cr_ml5_report *report, cr_error *err)
{
    folder *f = calloc(1, sizeof *f);
    *out = NULL;
    if (report) memset(report, 0, sizeof *report);
    if (!f) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    f->dir = dir;
    f->err = err;
    int rc = import(f, out, report);
    folder_free(f);
    free(f);
    if (rc) {
        cr_model_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ======================================================================================== */
/* ---- export ---- */

typedef struct writer {
    const char *dir;
    cr_error *err;
    char *written[R_COUNT + 2];  /* paths written, removed again if the export fails */
    int nwritten;
} writer;

/* Writes dir/name atomically: a temporary file beside it, fsync, rename. */
static int put_file(writer *w, const char *name, const void *data, size_t n)
{
    char *path = join(w->dir, name);
    if (!path) return cr_fail(w->err, CR_ENOMEM, -1, NULL, "out of memory");
    cr_error e;
    int rc = cr_save_file(path, data, n, &e); /* save.c: atomic, never over a device */
    if (rc) {
        cr_fail(w->err, rc, -1, NULL, "%s: %s", name, e.message);
        free(path);
        return rc;
    }
    w->written[w->nwritten++] = path;
    return CR_OK;
}

/* x (n) as little-endian float32 into dir/name. */
static int put_floats(writer *w, const char *name, const float *x, size_t n)
{
    unsigned char *b = malloc(n ? 4 * n : 1);
    if (!b) return cr_fail(w->err, CR_ENOMEM, -1, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        for (int k = 0; k < 4; k++)
            b[4 * i + (size_t)k] = (unsigned char)(u >> (8 * k));
    }
    int rc = put_file(w, name, b, 4 * n);
    free(b);
    return rc;
}

/* The file an export writes for a variable: its name with '/' as '_', as TensorFlow's dumps. */
static void file_name(const char *var_name, char out[64])
{
    snprintf(out, 64, "%s", var_name);
    for (char *p = out; *p; p++)
        if (*p == '/') *p = '_';
}

/* mkdir -p: the folder and any missing folders above it. */
static int make_folders(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) return ENOMEM;
    memcpy(p, dir, n + 1);
    int e = 0;
    for (size_t i = 1; i <= n && !e; i++)
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) e = errno;
            p[i] = c;
        }
    free(p);
    return e;
}

/* A folder to export into: created if missing; else empty or holding a model already. */
static int prepare_folder(writer *w, int *created)
{
    struct stat st;
    *created = 0;
    if (stat(w->dir, &st) != 0) {
        int e = errno == ENOENT ? make_folders(w->dir) : errno;
        if (e)
            return cr_fail(w->err, CR_EIO, -1, NULL, "cannot create the folder: %s", strerror(e));
        *created = 1;
        return CR_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return cr_fail(w->err, CR_EINVAL, -1, NULL, "exists and is not a folder");
    DIR *d = opendir(w->dir);
    if (!d) return cr_fail(w->err, CR_EIO, -1, NULL, "cannot read the folder: %s", strerror(errno));
    int others = 0, model = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (strcmp(e->d_name, "manifest.json") == 0) model = 1;
        others = 1;
    }
    closedir(d);
    if (others && !model)
        return cr_fail(w->err, CR_EINVAL, -1, NULL, "the folder holds files and no model "
                       "(manifest.json); give a new or empty folder");
    return CR_OK;
}

/* Our id k's text, for vocab.json; fails if two ids would give the same key. */
static int vocab_json(const cr_model *m, cr_jbuf *j, cr_error *err)
{
    const cr_vocab *v = &m->vocab;
    const char **text = malloc(v->size * sizeof *text);
    size_t *len = malloc(v->size * sizeof *len);
    char (*bufs)[4] = malloc(v->size * sizeof *bufs);
    int rc = CR_OK;
    if (!text || !len || !bufs) rc = cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    for (uint32_t i = 0; !rc && i < v->size; i++)
        len[i] = cr_vocab_text(v, i, bufs[i], &text[i]);
    /* the strings are few: compare each with every id */
    for (uint32_t i = 0; !rc && v->strings && i < v->size; i++)
        for (uint32_t k = 0; v->strings[i] && k < v->size; k++)
            if (k != i && len[k] == len[i] && memcmp(text[k], text[i], len[i]) == 0)
                rc = cr_fail(err, CR_EINVAL, -1, NULL, "ids %u and %u both stand for the same "
                             "text, which vocab.json cannot say", (unsigned)(i < k ? i : k),
                             (unsigned)(i < k ? k : i));
    cr_jbuf_puts(j, "{\n");
    for (uint32_t i = 0; !rc && i < v->size; i++) {
        cr_jbuf_puts(j, "  ");
        cr_jbuf_string(j, text[i], len[i]);
        cr_jbuf_printf(j, ": %u%s\n", (unsigned)i, i + 1 < v->size ? "," : "");
    }
    cr_jbuf_puts(j, "}\n");
    free(text);
    free(len);
    free(bufs);
    return rc;
}

/* The tensors ml5 reads, built from ours: (rows, cols) of each, in role order. */
static int build_export(const cr_model *m, const float *w, float *t[R_COUNT],
                        size_t dims[R_COUNT][2], cr_error *err)
{
    size_t V = m->vocab.size, H = (size_t)m->cfg.hidden, GH = CR_LSTM_GATES * H;
    size_t E = m->cfg.embed > 0 ? (size_t)m->cfg.embed : V; /* one-hot: an identity embedding */
    size_t in[2] = {E, H};
    size_t shape[R_COUNT][2] = {{V, E}, {E + H, GH}, {GH, 0}, {2 * H, GH}, {GH, 0}, {H, V}, {V, 0}};
    memcpy(dims, shape, sizeof shape);
    for (int r = 0; r < R_COUNT; r++) {
        size_t n = dims[r][0] * (dims[r][1] ? dims[r][1] : 1);
        if (!(t[r] = calloc(n ? n : 1, sizeof(float))))
            return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    const cr_layout *lay = &m->layout;
    if (lay->embed >= 0) memcpy(t[R_EMBED], CR_TENSOR(m, w, lay->embed), V * E * sizeof(float));
    else
        for (size_t i = 0; i < V; i++)
            t[R_EMBED][i * V + i] = 1.0f;
    for (int l = 0; l < 2; l++) {
        const float *Wx = CR_TENSOR(m, w, lay->Wx[l]), *Wh = CR_TENSOR(m, w, lay->Wh[l]);
        const float *b = CR_TENSOR(m, w, lay->b[l]);
        float *K = t[l ? R_KERNEL1 : R_KERNEL0], *B = t[l ? R_BIAS1 : R_BIAS0];
        for (size_t r = 0; r < in[l] + H; r++) {
            const float *src = r < in[l] ? Wx + r * GH : Wh + (r - in[l]) * GH;
            for (int k = 0; k < CR_LSTM_GATES; k++)
                memcpy(K + r * GH + (size_t)TF_BLOCK[k] * H, src + (size_t)k * H,
                       H * sizeof(float));
        }
        for (int k = 0; k < CR_LSTM_GATES; k++)
            for (size_t j = 0; j < H; j++)
                B[(size_t)TF_BLOCK[k] * H + j] =
                    b[(size_t)k * H + j] - (k == CR_LSTM_F ? FORGET_BIAS : 0.0f);
    }
    memcpy(t[R_SOFTW], CR_TENSOR(m, w, lay->outW), H * V * sizeof(float));
    memcpy(t[R_SOFTB], CR_TENSOR(m, w, lay->outb), V * sizeof(float));
    return CR_OK;
}

static int check_exportable(const cr_model *m, int which, cr_error *err)
{
    if (m->cfg.cell != CR_LSTM)
        return cr_fail(err, CR_EINVAL, -1, NULL, "ml5.js runs only LSTM models, and this one is "
                       "a %s; train one with --cell lstm (train-charrnn chooses a GRU for a large "
                       "corpus unless told)", cr_cell_name(m->cfg.cell));
    if (m->cfg.layers != 2)
        return cr_fail(err, CR_EINVAL, -1, NULL, "ml5.js 0.12.2 runs only two-layer models (it "
                       "reads its output from layer 1), and this one has %d; train one with "
                       "--layers 2", m->cfg.layers);
    if (which && !m->best)
        return cr_fail(err, CR_EINVAL, -1, NULL, "the model has no best weights");
    const float *w = which ? m->best : m->params;
    for (size_t i = 0; i < m->ntensors; i++)
        for (size_t k = 0; k < m->tensors[i].size; k++)
            if (!isfinite(w[m->tensors[i].offset + k]))
                return cr_fail(err, CR_EINVAL, -1, NULL, "tensor %s holds a value that is not "
                               "finite; ml5 could only generate nonsense from it",
                               m->tensors[i].name);
    return CR_OK;
}

static int export(writer *w, const cr_model *m, int which)
{
    float *t[R_COUNT] = {0};
    size_t dims[R_COUNT][2];
    cr_jbuf vj = {0}, mj = {0};
    int rc = vocab_json(m, &vj, w->err);
    if (!rc) rc = build_export(m, which ? m->best : m->params, t, dims, w->err);
    cr_jbuf_puts(&mj, "{\n");
    for (int r = 0; !rc && r < R_COUNT; r++) {
        char file[64];
        file_name(EXPORT_NAME[r], file);
        rc = put_floats(w, file, t[r], dims[r][0] * (dims[r][1] ? dims[r][1] : 1));
        cr_jbuf_puts(&mj, "  ");
        cr_jbuf_string(&mj, EXPORT_NAME[r], strlen(EXPORT_NAME[r]));
        cr_jbuf_printf(&mj, ": {\n    \"filename\": \"%s\",\n    \"shape\": [%zu", file,
                       dims[r][0]);
        if (dims[r][1]) cr_jbuf_printf(&mj, ", %zu", dims[r][1]);
        cr_jbuf_printf(&mj, "]\n  }%s\n", r + 1 < R_COUNT ? "," : "");
    }
    cr_jbuf_puts(&mj, "}\n");
    if (!rc && (vj.failed || mj.failed)) rc = cr_fail(w->err, CR_ENOMEM, -1, NULL, "out of memory");
    if (!rc) rc = put_file(w, "vocab.json", vj.p, vj.len);
    /* the manifest last: it is what makes the folder a model */
    if (!rc) rc = put_file(w, "manifest.json", mj.p, mj.len);
    for (int r = 0; r < R_COUNT; r++)
        free(t[r]);
    free(vj.p);
    free(mj.p);
    return rc;
}

int cr_ml5_write(const cr_model *m, int which, const char *dir, cr_error *err)
{
    writer w = {dir, err, {0}, 0};
    int created, rc = check_exportable(m, which, err);
    if (rc || (rc = prepare_folder(&w, &created))) return rc;
    rc = export(&w, m, which);
    if (rc == CR_OK) {
        int dfd = open(dir, O_RDONLY);
        if (dfd >= 0) { /* makes the renames durable; some file systems refuse, harmlessly */
            fsync(dfd);
            close(dfd);
        }
    }
    for (int i = 0; i < w.nwritten; i++) {
        if (rc && created) unlink(w.written[i]);
        free(w.written[i]);
    }
    if (rc && created) rmdir(dir);
    return rc;
}
