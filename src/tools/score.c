/* score.c: score, which says how well a model knows a text: loss, bits per character,
 * perplexity, and the lines it finds strangest. */
#include "cli.h"
#include "common/json_writer.h"
#include "common/show.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: score [OPTION]... CKPT [FILE]...\n"
    "How well does the model CKPT know a text? Reads the FILEs (or standard input)\n"
    "and prints the loss in nats and in bits per character, and the perplexity.\n"
    "\n"
    "  --per-line            the score of every line: [FILE:]LINE: bits per character\n"
    "                        and the line\n"
    "  --worst N             the N non-blank lines the model finds strangest, first\n"
    "  --json                everything as JSON, for scripts\n"
    "  --split val|train     only the checkpoint's validation (or training) split of\n"
    "                        the FILEs, which must be its corpus, read as training\n"
    "                        read it: the validation loss training recorded\n"
    "  --last                use the latest weights, not the best by validation loss\n"
    "  --streams N           streams the text is cut into [the model's --batch]\n"
    "  --window N            characters per pass [the model's --seq-len]\n"
    "  --warmup N            characters each stream reads unscored before its part\n"
    "                        [256; 0 with --split]\n"
    "  --from-encoding NAME  the FILEs' encoding if not UTF-8 (WINDOWS-1252, ...)\n"
    "  --threads N           threads; the result does not depend on it [all cores]\n"
    "  -h, --help            show this help;  --version  show the version\n"
    "\n"
    "Characters the model does not know are counted, named and left out of the loss.\n"
    "Example:\n"
    "  score --worst 10 bot.ckpt corpus.txt\n";

enum {
    O_PERLINE = 256, O_WORST, O_JSON, O_SPLIT, O_LAST, O_STREAMS, O_WINDOW, O_WARMUP,
    O_ENCODING, O_THREADS, O_VERSION
};

static const struct option LONG_OPTS[] = {
    {"per-line", 0, 0, O_PERLINE}, {"worst", 1, 0, O_WORST}, {"json", 0, 0, O_JSON},
    {"split", 1, 0, O_SPLIT}, {"last", 0, 0, O_LAST}, {"streams", 1, 0, O_STREAMS},
    {"window", 1, 0, O_WINDOW}, {"warmup", 1, 0, O_WARMUP},
    {"from-encoding", 1, 0, O_ENCODING}, {"threads", 1, 0, O_THREADS}, {"help", 0, 0, 'h'},
    {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

enum { SPLIT_NONE, SPLIT_VAL, SPLIT_TRAIN };

typedef struct options {
    cr_score_options so;
    int per_line, json, split, warmup_given;
    long worst;
    const char *ckpt;
    char **files;
    int nfiles;
} options;

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    cr_score_options_default(&o->so);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->so.threads = cores > 1 ? (int)(cores > 256 ? 256 : cores) : 1;
    o->so.warmup = 256;
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":h", LONG_OPTS, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case O_PERLINE: o->per_line = 1; break;
        case O_WORST: o->worst = cli_int("--worst", a, 1, 1000000000); break;
        case O_JSON: o->json = 1; break;
        case O_SPLIT:
            if (strcmp(a, "val") == 0) o->split = SPLIT_VAL;
            else if (strcmp(a, "train") == 0) o->split = SPLIT_TRAIN;
            else cli_usage("--split: '%s' is not one of val, train", a);
            break;
        case O_LAST: o->so.use_last = 1; break;
        case O_STREAMS: o->so.streams = (int)cli_int("--streams", a, 1, 100000); break;
        case O_WINDOW: o->so.window = (int)cli_int("--window", a, 1, 100000); break;
        case O_WARMUP:
            o->so.warmup = (int)cli_int("--warmup", a, 0, 100000000);
            o->warmup_given = 1;
            break;
        case O_ENCODING: cli_from_encoding = a; break;
        case O_THREADS: o->so.threads = (int)cli_int("--threads", a, 1, 256); break;
        case 'h': cli_help(USAGE);
        case O_VERSION: cli_version();
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (o->per_line && o->worst) cli_usage("give --per-line or --worst N, not both");
    if (o->split && !o->warmup_given) o->so.warmup = 0; /* the trainer's own reading */
    if (optind >= argc)
        cli_usage("no checkpoint: give CKPT, then the FILEs to score (or pipe the text in)");
    o->ckpt = argv[optind];
    o->files = argv + optind + 1;
    o->nfiles = argc - optind - 1;
    if (cli_is_stdin(o->ckpt)) {
        for (int i = 0; i < o->nfiles; i++)
            if (cli_is_stdin(o->files[i]))
                cli_usage("standard input cannot hold both the checkpoint and the text; give "
                          "one of them as a file");
        if (o->nfiles == 0)
            cli_usage("the checkpoint comes from standard input, so give the text as a FILE");
    }
    o->files = cli_files_or_stdin(o->files, &o->nfiles,
                                  "no text: give a FILE after CKPT, or pipe text into standard "
                                  "input");
}

/* ---- the text: ids of the characters the model knows, each with its line ---- */
typedef struct line {
    int file;
    uint64_t number;      /* from 1, as an editor counts */
    size_t start, end;    /* bytes of the text, without the line's end */
    size_t scored, oov;   /* characters predicted; characters not in the vocabulary */
    double nats;          /* summed loss of the characters predicted */
} line;

typedef struct oov_char {
    uint32_t cp;
    uint64_t count;
    int file;
    uint64_t line, column; /* its first place */
} oov_char;

typedef struct text {
    cli_text t;
    uint32_t *ids;        /* (n) known characters */
    size_t *line_of;      /* (n) index into lines */
    size_t n, chars;      /* known characters; all characters */
    line *lines;
    size_t nlines, caplines;
    oov_char *oov;        /* distinct unknown characters, in order of first appearance */
    size_t noov, oov_total;
    size_t *slots, nslots;    /* the hash of oov: index + 1, 0 for an empty slot */
    size_t *file_chars;   /* (files) characters of each file */
    unsigned char (*sha)[32]; /* (files) of each file's bytes */
    size_t *file_bytes;   /* (files) on disk */
} text;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) cli_die(NULL, "out of memory");
    return p;
}

static void hash_file(void *ctx, int i, const char *path, const unsigned char *b, size_t len,
                      const unsigned char *t, size_t n)
{
    (void)path, (void)t, (void)n;
    text *x = ctx;
    cr_sha256 h;
    cr_sha256_init(&h);
    cr_sha256_update(&h, b, len);
    cr_sha256_final(&h, x->sha[i]);
    x->file_bytes[i] = len;
}

/* Counts an unknown character: a table of distinct ones in order of first appearance, found
 * through an open-addressing hash of their code points (slots hold index + 1). */
static void add_oov(text *x, uint32_t cp, int file, uint64_t ln, uint64_t col)
{
    x->oov_total++;
    if (2 * (x->noov + 1) > x->nslots) {
        size_t n = x->nslots ? 2 * x->nslots : 64;
        size_t *slots = xcalloc(n, sizeof *slots);
        for (size_t k = 0; k < x->noov; k++) {
            size_t h = (x->oov[k].cp * 2654435761u) & (n - 1);
            while (slots[h]) h = (h + 1) & (n - 1);
            slots[h] = k + 1;
        }
        free(x->slots);
        x->slots = slots;
        x->nslots = n;
        oov_char *o = realloc(x->oov, n / 2 * sizeof *o);
        if (!o) cli_die(NULL, "out of memory");
        x->oov = o;
    }
    size_t h = (cp * 2654435761u) & (x->nslots - 1);
    while (x->slots[h] && x->oov[x->slots[h] - 1].cp != cp)
        h = (h + 1) & (x->nslots - 1);
    if (x->slots[h]) {
        x->oov[x->slots[h] - 1].count++;
        return;
    }
    x->slots[h] = ++x->noov;
    x->oov[x->noov - 1] = (oov_char){cp, 1, file, ln, col};
}

/* The next line of the table, which grows as needed. */
static line *new_line(text *x)
{
    if (x->nlines == x->caplines) {
        size_t n = x->caplines ? 2 * x->caplines : 1024;
        line *l = realloc(x->lines, n * sizeof *l);
        if (!l) cli_die(NULL, "out of memory");
        x->lines = l;
        x->caplines = n;
    }
    return &x->lines[x->nlines++];
}

/* Reads the files into one text, as train-charrnn reads its corpus, and turns it into ids. */
static void read_text(const options *o, const cr_vocab *v, text *x)
{
    memset(x, 0, sizeof *x);
    x->sha = xcalloc((size_t)o->nfiles, sizeof *x->sha);
    x->file_bytes = xcalloc((size_t)o->nfiles, sizeof *x->file_bytes);
    cli_read_text(o->files, o->nfiles, &x->t, hash_file, x);
    const unsigned char *s = x->t.bytes;
    size_t len = x->t.len;
    x->ids = xcalloc(len, sizeof *x->ids);
    x->line_of = xcalloc(len, sizeof *x->line_of);
    x->file_chars = xcalloc((size_t)o->nfiles, sizeof *x->file_chars);
    for (int f = 0; f < x->t.n; f++) {
        size_t i = x->t.starts[f], end = f + 1 < x->t.n ? x->t.starts[f + 1] : len;
        uint64_t ln = 1, col = 1;
        line *cur = new_line(x);
        *cur = (line){.file = f, .number = 1, .start = i, .end = i};
        while (i < end) {
            uint32_t cp;
            size_t k = cr_utf8_decode(s + i, end - i, &cp);
            if (!k) cli_die(cli_file_name(o->files[f]), "not UTF-8 at byte %zu", i - x->t.starts[f]);
            x->chars++;
            x->file_chars[f]++;
            int32_t id = cr_vocab_id(v, cp);
            if (id < 0) {
                add_oov(x, cp, f, ln, col);
                cur->oov++;
            } else {
                x->ids[x->n] = (uint32_t)id;
                x->line_of[x->n++] = x->nlines - 1;
            }
            int ends = cp == '\n' || (cp == '\r' && !(i + 1 < end && s[i + 1] == '\n'));
            if (cp != '\n' && cp != '\r') cur->end = i + k;
            i += k;
            col++;
            if (ends && i < end) {
                cur = new_line(x);
                *cur = (line){.file = f, .number = ++ln, .start = i, .end = i};
                col = 1;
            }
        }
    }
}

static void text_free(text *x)
{
    cli_text_free(&x->t);
    free(x->ids);
    free(x->line_of);
    free(x->lines);
    free(x->oov);
    free(x->slots);
    free(x->file_chars);
    free(x->sha);
    free(x->file_bytes);
}

/* ---- --split: the checkpoint's own split of its corpus ---- */

/* The files given must be the corpus of the session that trained last: else say so. */
static void check_corpus(const options *o, const cr_model *m, const text *x)
{
    const cr_session *s;
    size_t ns = cr_model_sessions(m, &s);
    if (ns == 0) {
        cli_warn("%s records no training files to check the FILEs against", o->ckpt);
        return;
    }
    const cr_session *last = &s[ns - 1];
    int same = last->nsources == (uint32_t)o->nfiles;
    for (int i = 0; same && i < o->nfiles; i++)
        same = last->sources[i].bytes == x->file_bytes[i] &&
               memcmp(last->sources[i].sha256, x->sha[i], 32) == 0;
    if (!same)
        cli_warn("the FILEs are not the corpus %s was last trained on (%u file%s, first %s): "
                 "the split is not the one training used, and the losses will differ",
                 o->ckpt, last->nsources, last->nsources == 1 ? "" : "s",
                 last->nsources ? last->sources[0].name : "none");
}

/* ---- output ---- */
typedef struct result {
    double nats;          /* summed */
    size_t scored;
    size_t lo, hi;        /* the known characters scored: [lo, hi) */
    size_t l0, l1;        /* the lines they are on: [l0, l1) */
    double recorded;      /* with --split val: the loss training recorded, or NaN */
} result;

enum { SHOW_OOV = 10 }; /* unknown characters listed in the text form */

static double bits(double nats, size_t n) { return n ? nats / (double)n / log(2.0) : NAN; }

static void show_line(const options *o, const text *x, const line *l)
{
    if (o->nfiles > 1) cli_printf("%s:", cli_file_name(o->files[l->file]));
    if (l->scored) cli_printf("%llu: %6.3f  ", (unsigned long long)l->number,
                              bits(l->nats, l->scored));
    else cli_printf("%llu:      -  ", (unsigned long long)l->number);
    if (l->oov) cli_printf("(%zu unknown)  ", l->oov);
    cli_show_text((const char *)x->t.bytes + l->start, l->end - l->start, 0, 0);
    cli_puts("\n");
}

static int by_strangeness(const void *a, const void *b)
{
    const line *p = *(const line *const *)a, *q = *(const line *const *)b;
    double x = p->nats / (double)p->scored, y = q->nats / (double)q->scored;
    if (x != y) return x < y ? 1 : -1;
    return p < q ? -1 : p > q;
}

/* A line of nothing but spaces and tabs: its loss is its line break's, which says nothing a
 * person could fix, so --worst passes over it. */
static int blank(const text *x, const line *l)
{
    for (size_t i = l->start; i < l->end; i++)
        if (x->t.bytes[i] != ' ' && x->t.bytes[i] != '\t' && x->t.bytes[i] != '\r') return 0;
    return 1;
}

/* The lines to list: every line in order, or the worst N non-blank ones, strangest first; *n
 * of them. */
static const line **chosen_lines(const options *o, const text *x, const result *r, size_t *n)
{
    const line **list = xcalloc(x->nlines, sizeof *list);
    size_t k = 0;
    for (size_t i = r->l0; i < r->l1; i++)
        if (o->per_line || (x->lines[i].scored > 0 && !blank(x, &x->lines[i])))
            list[k++] = &x->lines[i];
    if (o->worst) {
        qsort(list, k, sizeof *list, by_strangeness);
        if ((size_t)o->worst < k) k = (size_t)o->worst;
    }
    *n = k;
    return list;
}

static const char *weights_name(const options *o, const cr_model *m)
{
    return o->so.use_last || !cr_model_has_best(m) ? "latest" : "best";
}

static void print_text(const options *o, const cr_model *m, const text *x, const result *r)
{
    if (o->per_line || o->worst) {
        size_t n;
        const line **list = chosen_lines(o, x, r, &n);
        for (size_t i = 0; i < n; i++)
            show_line(o, x, list[i]);
        free(list);
        cli_puts("\n");
    }
    double mean = r->scored ? r->nats / (double)r->scored : NAN;
    const char *what = o->split == SPLIT_VAL ? "the validation split of "
                       : o->split == SPLIT_TRAIN ? "the training split of " : "";
    cli_printf("%s%s: %zu characters scored by %s (%s weights)\n", what,
               o->nfiles == 1 ? cli_file_name(o->files[0]) : "the files", r->scored, o->ckpt,
               weights_name(o, m));
    cli_printf("loss        %.4f nats per character\n", mean);
    cli_printf("bits        %.4f per character\n", mean / log(2.0));
    cli_printf("perplexity  %.3f\n", exp(mean));
    if (!isnan(r->recorded))
        cli_printf("recorded    %.4f nats per character by training, for these weights\n",
                   r->recorded);
    if (x->oov_total) {
        cli_printf("not in the vocabulary, left out: %zu character%s\n", x->oov_total,
                   x->oov_total == 1 ? "" : "s");
        for (size_t k = 0; k < x->noov && k < SHOW_OOV; k++) {
            char name[32];
            const oov_char *c = &x->oov[k];
            cli_printf("  %s  %llu time%s, first at %s:%llu:%llu\n", cli_char_name(c->cp, name),
                       (unsigned long long)c->count, c->count == 1 ? "" : "s",
                       cli_file_name(o->files[c->file]), (unsigned long long)c->line,
                       (unsigned long long)c->column);
        }
        if (x->noov > SHOW_OOV)
            cli_printf("  and %zu more distinct characters (--json lists them all)\n",
                       x->noov - SHOW_OOV);
    }
}

static void json_line(jw *j, const options *o, const text *x, const line *l)
{
    jw_open(j, NULL, "{", 1);
    jw_str(j, "file", cli_file_name(o->files[l->file]));
    jw_u64(j, "line", l->number);
    jw_u64(j, "scored", l->scored);
    jw_u64(j, "out_of_vocabulary", l->oov);
    jw_num(j, "nats", l->nats);
    jw_num(j, "bits_per_char", bits(l->nats, l->scored));
    jw_item(j, "text");
    json_string((const char *)x->t.bytes + l->start, l->end - l->start, JSON_ESCAPE_CONTROLS);
    jw_close(j, "}");
}

static void print_json(const options *o, const cr_model *m, const text *x, const result *r)
{
    jw j = {0};
    double mean = r->scored ? r->nats / (double)r->scored : NAN;
    jw_open(&j, NULL, "{", 0);
    jw_str(&j, "checkpoint", o->ckpt);
    jw_str(&j, "weights", weights_name(o, m));
    jw_str(&j, "split", o->split == SPLIT_VAL ? "val" : o->split == SPLIT_TRAIN ? "train" : "all");
    jw_open(&j, "files", "[", 0);
    for (int f = 0; f < o->nfiles; f++) {
        jw_open(&j, NULL, "{", 1);
        jw_str(&j, "name", cli_file_name(o->files[f]));
        jw_u64(&j, "characters", x->file_chars[f]);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_u64(&j, "characters", x->chars);
    jw_u64(&j, "scored", r->scored);
    jw_num(&j, "nats", r->nats);
    jw_num(&j, "loss", mean);
    jw_num(&j, "bits_per_char", mean / log(2.0));
    jw_num(&j, "perplexity", exp(mean));
    if (o->split == SPLIT_VAL) jw_num(&j, "recorded_loss", r->recorded);
    jw_open(&j, "reading", "{", 1);
    const cr_config *c = cr_model_config(m);
    jw_u64(&j, "streams", (uint64_t)(o->so.streams ? o->so.streams : c->batch));
    jw_u64(&j, "window", (uint64_t)(o->so.window ? o->so.window : c->seq_len));
    jw_u64(&j, "warmup", (uint64_t)o->so.warmup);
    jw_close(&j, "}");
    jw_u64(&j, "out_of_vocabulary", x->oov_total);
    jw_open(&j, "unknown_characters", "[", 0);
    for (size_t k = 0; k < x->noov; k++) {
        const oov_char *u = &x->oov[k];
        char b[4], code[16];
        size_t len = cr_utf8_encode(u->cp, b);
        snprintf(code, sizeof code, "U+%04X", (unsigned)u->cp);
        jw_open(&j, NULL, "{", 1);
        jw_item(&j, "char");
        json_string(b, len, JSON_ESCAPE_CONTROLS);
        jw_str(&j, "code", code);
        jw_u64(&j, "count", u->count);
        jw_str(&j, "file", cli_file_name(o->files[u->file]));
        jw_u64(&j, "line", u->line);
        jw_u64(&j, "column", u->column);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    if (o->per_line || o->worst) {
        size_t n;
        const line **list = chosen_lines(o, x, r, &n);
        jw_open(&j, "lines", "[", 0);
        for (size_t i = 0; i < n; i++)
            json_line(&j, o, x, list[i]);
        jw_close(&j, "]");
        free(list);
    }
    jw_close(&j, "}");
    cli_puts("\n");
}

/* The loss training recorded for the weights scored: the best, or the latest if its last
 * history row evaluated them. */
static double recorded_loss(const options *o, cr_model *m)
{
    if (!o->so.use_last && cr_model_has_best(m)) return cr_model_progress(m)->best_val;
    const cr_history_row *rows;
    size_t n = cr_model_history(m, &rows);
    if (n && rows[n - 1].step == cr_model_progress(m)->step) return rows[n - 1].val_loss;
    return NAN;
}

int main(int argc, char **argv)
{
    cli_set_prog("score", argv[0]);
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    cr_error err;
    cr_model *m = cli_read_model(o.ckpt, cli_file_name(o.ckpt), NULL);
    text x;
    read_text(&o, cr_model_vocab(m), &x);
    result r = {.lo = 0, .hi = x.n, .recorded = NAN};
    if (o.split) {
        if (x.oov_total) {
            char name[32];
            const oov_char *u = &x.oov[0];
            cli_die(cli_file_name(o.files[u->file]), "%s at line %llu, column %llu is not in "
                    "the vocabulary of %s, so this is not the corpus it was trained on; --split "
                    "needs that corpus, or leave --split out to score any text",
                    cli_char_name(u->cp, name), (unsigned long long)u->line,
                    (unsigned long long)u->column, o.ckpt);
        }
        check_corpus(&o, m, &x);
        size_t nval = cr_val_chars(cr_model_config(m), x.n);
        if (o.split == SPLIT_VAL) r.lo = x.n - nval;
        else r.hi = x.n - nval;
        if (o.split == SPLIT_VAL && nval < 2)
            cli_die(o.ckpt, "the model was trained with --val-frac %g, so this corpus has no "
                    "validation split to score; try --split train",
                    cr_model_config(m)->val_frac);
        if (o.split == SPLIT_VAL) r.recorded = recorded_loss(&o, m);
    }
    r.l0 = o.split && r.hi > r.lo ? x.line_of[r.lo] : 0;
    r.l1 = o.split && r.hi > r.lo ? x.line_of[r.hi - 1] + 1 : o.split ? 0 : x.nlines;
    cr_scorer *s;
    if (cr_scorer_new(m, &o.so, &s, &err)) cli_die_err(o.ckpt, &err);
    size_t n = r.hi - r.lo;
    double *loss = xcalloc(n, sizeof *loss);
    if (cr_scorer_run(s, x.ids + r.lo, n, loss, &r.nats, &r.scored, &err))
        cli_die_err(o.ckpt, &err);
    if (r.scored == 0)
        cli_die(o.nfiles == 1 ? cli_file_name(o.files[0]) : NULL, "nothing to score: %s; a text "
                "needs two characters the model knows, each scored from those before it",
                x.chars == 0 ? "the text is empty" : x.n == 0 ? "the model knows none of its "
                "characters" : "it has only one character the model knows");
    for (size_t k = 1; k < n; k++) { /* loss[k - 1]: of character lo + k */
        line *l = &x.lines[x.line_of[r.lo + k]];
        l->nats += loss[k - 1];
        l->scored++;
    }
    if (o.json) print_json(&o, m, &x, &r);
    else print_text(&o, m, &x, &r);
    free(loss);
    cr_scorer_free(s);
    text_free(&x);
    cr_model_free(m);
    cli_close_stdout();
    return 0;
}
