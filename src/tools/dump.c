/* dump.c: dump, which shows what a checkpoint holds: a summary, the history, charts, weights. */
#include "common/chart.h"
#include "cli.h"
#include "common/json_writer.h"
#include "common/show.h"
#include "common/web_page.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: dump [OPTION]... [CKPT]\n"
    "Show what a checkpoint (the file CKPT, or standard input) holds. Without an\n"
    "option: its model, settings, vocabulary, progress and lineage, and its loss\n"
    "curve drawn as text. CKPT may also be an ml5.js CharRNN model folder.\n"
    "\n"
    "      --json           the whole summary as JSON, history included\n"
    "      --history        the history as a tab-separated table with a header line:\n"
    "                       step, characters seen, training and validation loss,\n"
    "                       characters per second, seconds of training\n"
    "      --svg            the loss curve as an SVG image\n"
    "      --stats          per tensor: shape, mean, standard deviation, min, max,\n"
    "                       L2 norm and a histogram of its values\n"
    "      --tensor NAME    the values of one tensor, a row per line\n"
    "      --chunks         the file's chunks: tag, offset, length, CRC-32\n"
    "      --ml5 DIR        write the model as an ml5.js 0.12.2 CharRNN model folder\n"
    "                       DIR (created if missing), for ml5.charRNN in a web page;\n"
    "                       only two-layer LSTMs run there (docs/ml5.md)\n"
    "      --html FILE      write the bot as one web page FILE: it writes, talks and\n"
    "                       shows what it does, offline, with nothing else needed\n"
    "                       (docs/web-page.md)\n"
    "      --html-precision 16|32  bits per weight in the page [16; 32 is exact]\n"
    "      --best, --last   the weights --stats, --tensor, --ml5 and --html use: the\n"
    "                       best by validation loss, or the latest [best, if there\n"
    "                       are any]\n"
    "  -h, --help           show this help;  --version  show the version\n"
    "\n"
    "Losses are in nats per character (bits = nats / 0.693). Charts and histograms\n"
    "use Unicode when the locale (LC_ALL, LC_CTYPE or LANG) is UTF-8, else ASCII.\n"
    "\n"
    "Examples:\n"
    "  dump bot.ckpt\n"
    "  cat bot.ckpt | dump --json\n"
    "  dump --svg bot.ckpt > loss.svg\n"
    "  dump --stats --last bot.ckpt\n"
    "  dump --html bot.html bot.ckpt\n"
    "  dump --ml5 sketch/models/bot bot.ckpt\n";

enum { M_SUMMARY, M_JSON, M_HISTORY, M_SVG, M_STATS, M_TENSOR, M_CHUNKS, M_ML5, M_HTML };
enum {
    O_JSON = 256, O_HISTORY, O_SVG, O_STATS, O_TENSOR, O_CHUNKS, O_BEST, O_LAST, O_VERSION, O_ML5,
    O_HTML, O_HTML_PRECISION
};

static const struct option LONG_OPTS[] = {
    {"json", 0, 0, O_JSON}, {"history", 0, 0, O_HISTORY}, {"svg", 0, 0, O_SVG},
    {"stats", 0, 0, O_STATS}, {"tensor", 1, 0, O_TENSOR}, {"chunks", 0, 0, O_CHUNKS},
    {"ml5", 1, 0, O_ML5},
    {"html", 1, 0, O_HTML}, {"html-precision", 1, 0, O_HTML_PRECISION},
    {"best", 0, 0, O_BEST}, {"last", 0, 0, O_LAST}, {"help", 0, 0, 'h'},
    {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

typedef struct options {
    int mode;            /* M_* */
    const char *tensor;  /* with M_TENSOR */
    const char *ml5;     /* with M_ML5: the folder to write */
    const char *html;    /* with M_HTML: the page to write */
    int precision;       /* with M_HTML: bits per weight, 16 or 32; 0 when not given */
    int best, last;      /* --best, --last given */
    const char *ckpt;
} options;

/* Everything the outputs need: the file's bytes, the decoded model, the terminal's abilities. */
typedef struct dump {
    const char *name;          /* for messages: the file, or "standard input" */
    const char *path;          /* as given; "-" for standard input */
    unsigned char *buf;
    size_t len;
    uint32_t version;          /* the format version, bytes 8..11 */
    cr_model *m;
    int utf8;                  /* the locale is UTF-8: Unicode lines in text charts */
    uint32_t folder_files;     /* an ml5.js model folder of this many files (len: their bytes) */
} dump;

static void set_mode(options *o, int mode)
{
    if (o->mode != M_SUMMARY && o->mode != mode)
        cli_usage("give only one of --json, --history, --svg, --stats, --tensor, --chunks, "
                  "--ml5 and --html");
    o->mode = mode;
}

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":h", LONG_OPTS, NULL)) != -1) {
        switch (ch) {
        case O_JSON: set_mode(o, M_JSON); break;
        case O_HISTORY: set_mode(o, M_HISTORY); break;
        case O_SVG: set_mode(o, M_SVG); break;
        case O_STATS: set_mode(o, M_STATS); break;
        case O_TENSOR:
            set_mode(o, M_TENSOR);
            if (!*optarg) cli_usage("--tensor: the name is empty");
            o->tensor = optarg;
            break;
        case O_CHUNKS: set_mode(o, M_CHUNKS); break;
        case O_ML5:
            set_mode(o, M_ML5);
            if (!*optarg) cli_usage("--ml5: the folder name is empty");
            o->ml5 = optarg;
            break;
        case O_HTML:
            set_mode(o, M_HTML);
            if (!*optarg) cli_usage("--html: the file name is empty");
            o->html = optarg;
            break;
        case O_HTML_PRECISION:
            if (strcmp(optarg, "16") != 0 && strcmp(optarg, "32") != 0)
                cli_usage("--html-precision: '%s' is not 16 or 32 (bits per weight)", optarg);
            o->precision = optarg[0] == '1' ? 16 : 32;
            break;
        case O_BEST: o->best = 1; break;
        case O_LAST: o->last = 1; break;
        case 'h': cli_help(USAGE);
        case O_VERSION: cli_version();
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (o->best && o->last) cli_usage("give --best or --last, not both");
    if ((o->best || o->last) && o->mode != M_STATS && o->mode != M_TENSOR && o->mode != M_ML5 &&
        o->mode != M_HTML)
        cli_usage("--%s chooses the weights for --stats, --tensor, --ml5 and --html",
                  o->best ? "best" : "last");
    if (o->precision && o->mode != M_HTML) cli_usage("--html-precision is for --html");
    if (!o->precision) o->precision = 16;
    if (argc - optind > 1) cli_usage("one checkpoint at a time (got %d)", argc - optind);
    o->ckpt = optind < argc ? argv[optind] : "-";
    if (cli_is_stdin(o->ckpt) && isatty(0))
        cli_usage("no checkpoint: give CKPT, or pipe one into standard input");
}

/* ---- output: everything goes through cli_write, so a closed pipe ends the tool quietly ---- */
/* A label, indented, in a column of 20; the value follows from column 21. */
static void label_col(int indent, const char *k) { cli_printf("%*s%-*s ", indent, "", 20 - indent, k); }

/* Text as every tool shows it; beyond ASCII escaped too when the locale is not UTF-8. */
static void show_text(const dump *d, const char *s, size_t len, int quoted)
{
    cli_show_text(s, len, quoted, !d->utf8);
}

/* ---- numbers ---- */
/* 3725.4 seconds as 1:02:05. */
static const char *clock_text(double s, char buf[32])
{
    if (!(s >= 0 && s < 1e15)) return strcpy(buf, "?");
    unsigned long long t = (unsigned long long)llround(s);
    snprintf(buf, 32, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
    return buf;
}

static int locale_is_utf8(void)
{
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v) continue;
        for (const char *p = v; *p; p++)
            if ((p[0] | 32) == 'u' && (p[1] | 32) == 't' && (p[2] | 32) == 'f' &&
                (p[3] == '8' || (p[3] == '-' && p[4] == '8')))
                return 1;
        return 0;
    }
    return 0;
}

/* ---- what the outputs share ---- */
/* The latest history row with a validation loss, or NULL. */
static const cr_history_row *latest_val(const cr_model *m)
{
    const cr_history_row *rows;
    size_t n = cr_model_history(m, &rows);
    while (n > 0 && !isfinite(rows[n - 1].val_loss))
        n--;
    return n ? &rows[n - 1] : NULL;
}

/* The epochs done as a fraction, or NaN when the steps per epoch are unknown. */
static double epochs_done(const cr_model *m, uint64_t *spe)
{
    const cr_train_progress *g = cr_model_progress(m);
    *spe = cr_model_steps_per_epoch(m); /* 0 when unknown */
    if (*spe == 0 || g->epoch_pos >= *spe) return NAN;
    return (double)g->epoch + (double)g->epoch_pos / (double)*spe;
}

static void sha_hex(const unsigned char sha[32], char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sha[i]);
}

/* ---- the summary ---- */
static void kv(const char *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *k, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    label_col(2, k);
    cli_printf("%s\n", buf);
}

static void summary_model(const dump *d)
{
    const cr_config *c = cr_model_config(d->m);
    const cr_vocab *v = cr_model_vocab(d->m);
    label_col(0, d->folder_files ? "ml5.js model" : "checkpoint");
    show_text(d, d->name, strlen(d->name), 0);
    if (d->folder_files)
        cli_printf(" (a folder of %u files, %zu bytes)\n", (unsigned)d->folder_files, d->len);
    else cli_printf(" (%zu bytes, format version %u)\n", d->len, (unsigned)d->version);
    cli_puts("\nmodel\n");
    kv("cell", "%s", cr_cell_name(c->cell));
    kv("layers", "%d", c->layers);
    kv("hidden", "%d", c->hidden);
    if (c->embed) kv("input", "embedding, %d wide", c->embed);
    else kv("input", "one-hot, %u wide", (unsigned)v->size);
    kv("vocabulary", "%u characters", (unsigned)v->size);
    kv("parameters", "%zu", cr_model_param_count(d->m));
    if (cr_model_has_best(d->m))
        kv("weights", "best (step %llu) and latest",
           (unsigned long long)cr_model_progress(d->m)->best_step);
    else kv("weights", "latest only");
    uint32_t shown = v->size < 80 ? v->size : 80;
    for (uint32_t i = 0; i < shown; i += 40) {
        label_col(2, i ? "" : "characters");
        cli_puts("\"");
        for (uint32_t j = i; j < i + 40 && j < shown; j++) {
            char b[4];
            const char *t;
            size_t n = cr_vocab_text(v, j, b, &t);
            show_text(d, t, n, 1);
        }
        cli_puts("\"\n");
    }
    if (shown < v->size) {
        label_col(2, "");
        cli_printf("and %u more\n", (unsigned)(v->size - shown));
    }
}

static void summary_settings(const dump *d)
{
    const cr_config *c = cr_model_config(d->m);
    cli_puts("\ntraining settings\n");
    kv("seq-len", "%d", c->seq_len);
    kv("batch", "%d", c->batch);
    if (c->optimizer == CR_SGD) kv("optimizer", "sgd (momentum %g)", c->momentum);
    else kv("optimizer", "adam (beta1 %g, beta2 %g, epsilon %g)", c->beta1, c->beta2, c->adam_eps);
    kv("lr", "%g", c->lr);
    kv("lr-decay", "%g per 1000 steps", c->lr_decay);
    kv("warmup", "%d steps", c->warmup);
    kv("dropout", "%g", c->dropout);
    kv("weight-decay", "%g", c->weight_decay);
    if (c->clip > 0) kv("clip", "%g", c->clip);
    else kv("clip", "0 (off)");
    kv("val-frac", "%g", c->val_frac);
    if (c->eval_every) kv("eval-every", "%d steps", c->eval_every);
    else kv("eval-every", "about 5%% of the time, never more often than each epoch or 250 steps");
    kv("seed", "%llu", (unsigned long long)c->seed);
    kv("precision", "%s", c->precision == CR_BF16 ? "bf16 (products on rounded inputs)" : "fp32");
}

static void loss_line(const char *key, double nats, uint64_t step)
{
    kv(key, "%.4f nats/char (%.4f bits/char) at step %llu", nats, nats / log(2.0),
       (unsigned long long)step);
}

/* The plan of the last training (PLAN chunk): its budget, how far it went, its fall. */
static void summary_plan(const dump *d)
{
    const cr_plan *p = cr_model_plan(d->m);
    if (!p) {
        kv("plan", "none recorded (a checkpoint from before plans)");
        return;
    }
    char budget[64], t[32];
    if (p->epochs)
        snprintf(budget, sizeof budget, "%llu epoch%s (%llu steps)",
                 (unsigned long long)p->epochs, p->epochs == 1 ? "" : "s",
                 (unsigned long long)p->steps);
    else if (p->steps) snprintf(budget, sizeof budget, "%llu steps", (unsigned long long)p->steps);
    else snprintf(budget, sizeof budget, "%s of training", clock_text(p->seconds, t));
    double f = cr_plan_fraction(p, cr_model_progress(d->m)->step, p->spent_s);
    kv("plan", "%s from step %llu, %.0f%% done; the rate falls to 0 over its last %.0f%%",
       budget, (unsigned long long)p->start_step, 100 * f, 100 * p->anneal);
}

static void summary_progress(const dump *d)
{
    const cr_train_progress *g = cr_model_progress(d->m);
    const cr_history_row *rows;
    size_t nh = cr_model_history(d->m, &rows);
    char t[32];
    uint64_t spe;
    double ep = epochs_done(d->m, &spe);
    cli_puts("\nprogress\n");
    kv("steps", "%llu", (unsigned long long)g->step);
    if (isnan(ep) || g->step == 0)
        kv("epochs", "%llu complete", (unsigned long long)g->epoch);
    else
        kv("epochs", "%.2f (%llu complete, %llu of %llu steps into the next)", ep,
           (unsigned long long)g->epoch, (unsigned long long)g->epoch_pos,
           (unsigned long long)spe);
    kv("characters seen", "%llu", (unsigned long long)g->chars);
    kv("training time", "%s", clock_text(g->wall_s, t));
    if (nh > 0 && rows[nh - 1].chars_per_s > 0)
        kv("speed", "%.0f characters per second (latest)", rows[nh - 1].chars_per_s);
    if (isfinite(g->best_val)) loss_line("best validation", g->best_val, g->best_step);
    else if (cr_model_config(d->m)->val_frac == 0)
        kv("best validation", "none (no validation split)");
    else kv("best validation", "none yet");
    const cr_history_row *lv = latest_val(d->m);
    if (lv) loss_line("latest validation", lv->val_loss, lv->step);
    if (nh > 0 && isfinite(rows[nh - 1].train_loss))
        loss_line("latest training", rows[nh - 1].train_loss, rows[nh - 1].step);
    summary_plan(d);
}

static void summary_lineage(const dump *d)
{
    const cr_session *s;
    size_t n = cr_model_sessions(d->m, &s);
    cli_puts("\n");
    label_col(0, "lineage");
    if (n == 0) {
        cli_puts("none recorded\n");
        return;
    }
    cli_printf("%zu session%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        char label[32];
        snprintf(label, sizeof label, "session %zu", i + 1);
        label_col(2, label);
        show_text(d, s[i].date, strlen(s[i].date), 0);
        cli_puts(", charrnn ");
        show_text(d, s[i].version, strlen(s[i].version), 0);
        cli_printf(", from step %llu\n", (unsigned long long)s[i].start_step);
        label_col(4, "command");
        show_text(d, s[i].command, strlen(s[i].command), 0);
        cli_puts("\n");
        for (uint32_t k = 0; k < s[i].nsources; k++) {
            const cr_source *src = &s[i].sources[k];
            char hex[65];
            sha_hex(src->sha256, hex);
            label_col(4, "source");
            show_text(d, src->name, strlen(src->name), 0);
            cli_printf(" (%llu bytes)\n", (unsigned long long)src->bytes);
            label_col(4, "sha256");
            cli_printf("%s\n", hex);
        }
    }
}

static void summary(const dump *d)
{
    summary_model(d);
    summary_settings(d);
    summary_progress(d);
    summary_lineage(d);
    cli_puts("\n");
    chart_loss_text(d->m, d->utf8);
}

/* ---- JSON ---- */
static void json_model(jw *j, const dump *d)
{
    const cr_config *c = cr_model_config(d->m);
    const cr_vocab *v = cr_model_vocab(d->m);
    jw_open(j, "model", "{", 0);
    jw_str(j, "cell", cr_cell_name(c->cell));
    jw_u64(j, "layers", (uint64_t)c->layers);
    jw_u64(j, "hidden", (uint64_t)c->hidden);
    jw_u64(j, "embed", (uint64_t)c->embed);
    jw_str(j, "input", c->embed ? "embedding" : "one-hot");
    jw_u64(j, "vocab_size", v->size);
    jw_u64(j, "parameters", cr_model_param_count(d->m));
    jw_bool(j, "has_best", cr_model_has_best(d->m));
    jw_open(j, "tensors", "[", 0);
    for (size_t i = 0; i < cr_model_tensor_count(d->m); i++) {
        const cr_tensor_info *t = cr_model_tensor(d->m, i);
        jw_open(j, NULL, "{", 1);
        jw_str(j, "name", t->name);
        jw_open(j, "shape", "[", 1);
        for (int k = 0; k < t->ndim; k++)
            jw_u64(j, NULL, t->dims[k]);
        jw_close(j, "]");
        jw_close(j, "}");
    }
    jw_close(j, "]");
    jw_close(j, "}");
    jw_open(j, "vocabulary", "{", 0);
    jw_u64(j, "size", v->size);
    jw_open(j, "characters", "[", 1);
    for (uint32_t i = 0; i < v->size; i++) {
        char b[5] = {0};
        cr_utf8_encode(v->chars[i], b);
        jw_str(j, NULL, v->strings && v->strings[i] ? v->strings[i] : b);
    }
    jw_close(j, "]");
    jw_open(j, "counts", "[", 1);
    for (uint32_t i = 0; i < v->size; i++)
        jw_u64(j, NULL, v->counts[i]);
    jw_close(j, "]");
    jw_close(j, "}");
}

static void json_settings(jw *j, const cr_config *c)
{
    jw_open(j, "settings", "{", 0);
    jw_u64(j, "seq_len", (uint64_t)c->seq_len);
    jw_u64(j, "batch", (uint64_t)c->batch);
    jw_str(j, "optimizer", cr_optimizer_name(c->optimizer));
    jw_num(j, "lr", c->lr);
    jw_num(j, "lr_decay", c->lr_decay);
    jw_u64(j, "warmup", (uint64_t)c->warmup);
    jw_num(j, "momentum", c->momentum);
    jw_num(j, "beta1", c->beta1);
    jw_num(j, "beta2", c->beta2);
    jw_num(j, "adam_eps", c->adam_eps);
    jw_num(j, "dropout", c->dropout);
    jw_num(j, "weight_decay", c->weight_decay);
    jw_num(j, "clip", c->clip);
    jw_num(j, "val_frac", c->val_frac);
    jw_u64(j, "eval_every", (uint64_t)c->eval_every);
    jw_u64(j, "seed", c->seed);
    jw_str(j, "precision", c->precision == CR_BF16 ? "bf16" : "fp32");
    jw_close(j, "}");
}

static void json_progress(jw *j, const dump *d)
{
    const cr_train_progress *g = cr_model_progress(d->m);
    const cr_history_row *lv = latest_val(d->m);
    uint64_t spe;
    double ep = epochs_done(d->m, &spe);
    jw_open(j, "progress", "{", 0);
    jw_u64(j, "steps", g->step);
    jw_num(j, "epochs", ep);
    jw_u64(j, "epochs_complete", g->epoch);
    jw_u64(j, "epoch_steps", g->epoch_pos);
    jw_item(j, "steps_per_epoch");
    if (spe) cli_printf("%llu", (unsigned long long)spe);
    else cli_puts("null");
    jw_u64(j, "chars", g->chars);
    jw_num(j, "training_seconds", g->wall_s);
    jw_num(j, "best_val_loss", g->best_val);
    jw_num(j, "best_val_bits", g->best_val / log(2.0));
    jw_item(j, "best_step");
    if (isfinite(g->best_val)) cli_printf("%llu", (unsigned long long)g->best_step);
    else cli_puts("null");
    jw_num(j, "latest_val_loss", lv ? lv->val_loss : NAN);
    jw_num(j, "latest_val_bits", lv ? lv->val_loss / log(2.0) : NAN);
    jw_item(j, "latest_val_step");
    if (lv) cli_printf("%llu", (unsigned long long)lv->step);
    else cli_puts("null");
    jw_u64(j, "evals_since_best", g->evals_since_best);
    const cr_plan *p = cr_model_plan(d->m);
    if (p) {
        jw_open(j, "plan", "{", 1);
        jw_u64(j, "start_step", p->start_step);
        jw_u64(j, "steps", p->steps);
        jw_u64(j, "epochs", p->epochs);
        jw_num(j, "seconds", p->seconds);
        jw_num(j, "spent_seconds", p->spent_s);
        jw_num(j, "anneal", p->anneal);
        jw_num(j, "done", cr_plan_fraction(p, g->step, p->spent_s));
        jw_close(j, "}");
    } else {
        jw_item(j, "plan");
        cli_puts("null");
    }
    jw_close(j, "}");
}

static void json_lineage(jw *j, const cr_model *m)
{
    const cr_session *s;
    size_t n = cr_model_sessions(m, &s);
    jw_open(j, "lineage", "[", 0);
    for (size_t i = 0; i < n; i++) {
        jw_open(j, NULL, "{", 0);
        jw_str(j, "date", s[i].date);
        jw_str(j, "version", s[i].version);
        jw_str(j, "command", s[i].command);
        jw_u64(j, "start_step", s[i].start_step);
        jw_open(j, "sources", "[", 0);
        for (uint32_t k = 0; k < s[i].nsources; k++) {
            char hex[65];
            sha_hex(s[i].sources[k].sha256, hex);
            jw_open(j, NULL, "{", 1);
            jw_str(j, "name", s[i].sources[k].name);
            jw_u64(j, "bytes", s[i].sources[k].bytes);
            jw_str(j, "sha256", hex);
            jw_close(j, "}");
        }
        jw_close(j, "]");
        jw_close(j, "}");
    }
    jw_close(j, "]");
}

static void json_history(jw *j, const cr_model *m)
{
    const cr_history_row *r;
    size_t n = cr_model_history(m, &r);
    jw_open(j, "history", "[", 0);
    for (size_t i = 0; i < n; i++) {
        jw_open(j, NULL, "{", 1);
        jw_u64(j, "step", r[i].step);
        jw_u64(j, "chars", r[i].chars);
        jw_num(j, "train_loss", r[i].train_loss);
        jw_num(j, "val_loss", r[i].val_loss);
        jw_num(j, "chars_per_s", r[i].chars_per_s);
        jw_num(j, "wall_s", r[i].wall_s);
        jw_close(j, "}");
    }
    jw_close(j, "]");
}

static void json(const dump *d)
{
    jw j = {0};
    jw_open(&j, NULL, "{", 0);
    jw_str(&j, "file", d->path);
    jw_u64(&j, "bytes", d->len);
    if (d->folder_files) { /* an ml5.js model folder: no format version */
        jw_item(&j, "format_version");
        cli_puts("null");
    } else {
        jw_u64(&j, "format_version", d->version);
    }
    json_model(&j, d);
    json_settings(&j, cr_model_config(d->m));
    json_progress(&j, d);
    json_lineage(&j, d->m);
    json_history(&j, d->m);
    jw_close(&j, "}");
    cli_puts("\n");
}

/* ---- the history table ---- */
static void history(const dump *d)
{
    const cr_history_row *r;
    size_t n = cr_model_history(d->m, &r);
    cli_puts("step\tchars\ttrain_loss\tval_loss\tchars_per_s\twall_s\n");
    for (size_t i = 0; i < n; i++) {
        char tl[32] = "", vl[32] = "";
        if (isfinite(r[i].train_loss)) snprintf(tl, sizeof tl, "%.9g", r[i].train_loss);
        if (isfinite(r[i].val_loss)) snprintf(vl, sizeof vl, "%.9g", r[i].val_loss);
        cli_printf("%llu\t%llu\t%s\t%s\t%.1f\t%.3f\n", (unsigned long long)r[i].step,
            (unsigned long long)r[i].chars, tl, vl, r[i].chars_per_s, r[i].wall_s);
    }
}

/* ---- the weights ---- */
/* The weights --stats and --tensor show, and a phrase saying which they are. */
static const float *chosen_weights(const dump *d, const options *o, char what[64])
{
    int best = cr_model_has_best(d->m);
    if (o->best && !best)
        cli_die(d->name, "no best weights: the model has not been evaluated on a validation split "
                "(use --last)");
    if (best && !o->last) {
        snprintf(what, 64, "best weights, from step %llu",
                 (unsigned long long)cr_model_progress(d->m)->best_step);
        return cr_model_params(d->m, 1);
    }
    snprintf(what, 64, "latest weights, from step %llu",
             (unsigned long long)cr_model_progress(d->m)->step);
    return cr_model_params(d->m, 0);
}

static const char *shape_text(const cr_tensor_info *t, char buf[48])
{
    if (t->ndim == 2) snprintf(buf, 48, "(%zu, %zu)", t->dims[0], t->dims[1]);
    else snprintf(buf, 48, "(%zu)", t->dims[0]);
    return buf;
}

enum { BINS = 10 };

typedef struct tstats {
    double mean, sd, min, max, l2;
    size_t count[BINS];  /* values in each tenth of [min, max] */
    size_t nonfinite;
} tstats;

/* Mean and deviation in two passes, in double; non-finite values are counted and left out. */
static void tensor_stats(const float *x, size_t n, tstats *s)
{
    double sum = 0, sq = 0;
    size_t k = 0;
    memset(s, 0, sizeof *s);
    s->min = INFINITY;
    s->max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            s->nonfinite++;
            continue;
        }
        sum += x[i];
        sq += (double)x[i] * x[i];
        s->min = fmin(s->min, x[i]);
        s->max = fmax(s->max, x[i]);
        k++;
    }
    s->mean = k ? sum / (double)k : NAN;
    s->l2 = sqrt(sq);
    double dev = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) dev += (x[i] - s->mean) * (x[i] - s->mean);
    s->sd = k ? sqrt(dev / (double)k) : NAN;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        int b = s->max > s->min ? (int)((x[i] - s->min) / (s->max - s->min) * BINS) : BINS / 2;
        s->count[b < BINS ? b : BINS - 1]++;
    }
}

static void stats(const dump *d, const options *o)
{
    char what[64], shape[48];
    const float *w = chosen_weights(d, o, what);
    size_t n = cr_model_tensor_count(d->m), nw = 6, sw = 5;
    for (size_t i = 0; i < n; i++) {
        const cr_tensor_info *t = cr_model_tensor(d->m, i);
        nw = strlen(t->name) > nw ? strlen(t->name) : nw;
        sw = strlen(shape_text(t, shape)) > sw ? strlen(shape) : sw;
    }
    cli_printf("%s; %zu parameters\n", what, cr_model_param_count(d->m));
    cli_printf("%-*s  %-*s  %10s  %10s  %10s  %10s  %10s  histogram, min to max\n", (int)nw, "tensor",
        (int)sw, "shape", "mean", "std", "min", "max", "L2 norm");
    for (size_t i = 0; i < n; i++) {
        const cr_tensor_info *t = cr_model_tensor(d->m, i);
        tstats s;
        tensor_stats(w + t->offset, t->size, &s);
        cli_printf("%-*s  %-*s  %10.4g  %10.4g  %10.4g  %10.4g  %10.4g  ", (int)nw, t->name, (int)sw,
            shape_text(t, shape), s.mean, s.sd, s.min, s.max, s.l2);
        chart_histogram(s.count, BINS, d->utf8);
        if (s.nonfinite) cli_printf("  %zu not finite", s.nonfinite);
        cli_puts("\n");
    }
}

static void tensor(const dump *d, const options *o)
{
    size_t n = cr_model_tensor_count(d->m);
    const cr_tensor_info *t = NULL;
    for (size_t i = 0; i < n && !t; i++)
        if (strcmp(cr_model_tensor(d->m, i)->name, o->tensor) == 0) t = cr_model_tensor(d->m, i);
    if (!t) {
        char names[1024] = "";
        for (size_t i = 0; i < n; i++) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "",
                     cr_model_tensor(d->m, i)->name);
        }
        cli_die(d->name, "no tensor named '%.60s'; the tensors are %s", o->tensor, names);
    }
    char what[64], shape[48];
    const float *w = chosen_weights(d, o, what) + t->offset;
    cli_printf("# %s %s: %s\n", t->name, shape_text(t, shape), what);
    size_t cols = t->ndim == 2 ? t->dims[1] : 1;
    for (size_t i = 0; i < t->size; i++)
        cli_printf("%.9g%s", (double)w[i], (i + 1) % cols ? "\t" : "\n");
}

/* ---- the chunks ---- */
static const char *chunk_meaning(const char *tag)
{
    const cr_chunk_kind *k = cr_ckpt_chunk_find(tag);
    return k ? k->meaning : "unknown to this version (skipped)";
}

static void chunks(const dump *d)
{
    cr_chunk_info *c;
    size_t n;
    cr_error err;
    if (cr_ckpt_list_chunks(d->buf, d->len, &c, &n, &err)) cli_die_err(d->name, &err);
    cli_puts("tag      offset      length  crc32     contents\n");
    for (size_t i = 0; i < n; i++)
        cli_printf("%-4s %10llu  %10lu  %08lx  %s\n", c[i].tag, (unsigned long long)c[i].offset,
            (unsigned long)c[i].length, (unsigned long)c[i].crc, chunk_meaning(c[i].tag));
    uint64_t end = n ? c[n - 1].offset + 12 + c[n - 1].length : 0;
    if (end < d->len) cli_warn("%s: %llu bytes after the IEND chunk", d->name,
                               (unsigned long long)(d->len - end));
    free(c);
}

/* ---- ml5.js model folders ---- */
/* Imports a folder; cli_read_model warns about its vocabulary keys that are not one character. */
static void read_folder(dump *d)
{
    cr_ml5_report rep;
    d->m = cli_read_model(d->path, d->name, &rep);
    d->folder_files = rep.files;
    d->len = rep.bytes;
}

/* The page is written whole, then saved atomically: nothing is left half-written. */
static void write_html(const dump *d, const options *o)
{
    char what[64];
    cr_error err;
    const float *w = chosen_weights(d, o, what);
    if (web_page_write(d->m, w, o->precision, d->name, what, o->html, &err))
        cli_die_err(o->html, &err);
    cli_warn("wrote the web page %s (%s, %d-bit weights)", o->html, what, o->precision);
}

static void write_ml5(const dump *d, const options *o)
{
    char what[64];
    cr_error err;
    const float *w = chosen_weights(d, o, what);
    int best = cr_model_has_best(d->m) && w == cr_model_params(d->m, 1);
    if (cr_ml5_write(d->m, best, o->ml5, &err)) cli_die_err(o->ml5, &err);
    cli_warn("wrote the ml5.js model folder %s (%s)", o->ml5, what);
}

int main(int argc, char **argv)
{
    cli_set_prog("dump", argv[0]);
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    dump d = {.path = o.ckpt, .utf8 = locale_is_utf8()};
    d.name = cli_file_name(o.ckpt);
    if (cr_ckpt_is_folder(o.ckpt)) {
        if (o.mode == M_CHUNKS)
            cli_die(d.name, "an ml5.js model folder has no chunks: --chunks is for checkpoints");
        read_folder(&d);
    } else {
        d.buf = cli_read_all(o.ckpt, &d.len);
        if (d.len == 0) cli_die(d.name, "empty input: no checkpoint to read");
    }
    if (o.mode == M_CHUNKS) {
        chunks(&d);
    } else {
        cr_error err;
        if (!d.m && cr_ckpt_decode(d.buf, d.len, &d.m, &err)) {
            cli_explain_not_checkpoint(d.path, &err, d.buf, d.len);
            cli_die_err(d.name, &err);
        }
        if (d.buf) d.version = cr_ckpt_version(d.buf, d.len);
        switch (o.mode) {
        case M_ML5: write_ml5(&d, &o); break;
        case M_HTML: write_html(&d, &o); break;
        case M_JSON: json(&d); break;
        case M_HISTORY: history(&d); break;
        case M_SVG: chart_loss_svg(d.m, d.path); break;
        case M_STATS: stats(&d, &o); break;
        case M_TENSOR: tensor(&d, &o); break;
        default: summary(&d); break;
        }
    }
    cr_model_free(d.m);
    free(d.buf);
    cli_close_stdout();
    return 0;
}
