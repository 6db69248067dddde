/* dump.c: dump, which shows what a checkpoint holds: a summary, the history, charts, weights. */
#include "cli.h"

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
    "      --best, --last   the weights --stats, --tensor and --ml5 use: the best by\n"
    "                       validation loss, or the latest [best, if there are any]\n"
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
    "  dump --ml5 sketch/models/bot bot.ckpt\n";

enum { M_SUMMARY, M_JSON, M_HISTORY, M_SVG, M_STATS, M_TENSOR, M_CHUNKS, M_ML5 };
enum {
    O_JSON = 256, O_HISTORY, O_SVG, O_STATS, O_TENSOR, O_CHUNKS, O_BEST, O_LAST, O_VERSION, O_ML5
};

static const struct option LONG_OPTS[] = {
    {"json", 0, 0, O_JSON}, {"history", 0, 0, O_HISTORY}, {"svg", 0, 0, O_SVG},
    {"stats", 0, 0, O_STATS}, {"tensor", 1, 0, O_TENSOR}, {"chunks", 0, 0, O_CHUNKS},
    {"ml5", 1, 0, O_ML5},
    {"best", 0, 0, O_BEST}, {"last", 0, 0, O_LAST}, {"help", 0, 0, 'h'},
    {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

typedef struct options {
    int mode;            /* M_* */
    const char *tensor;  /* with M_TENSOR */
    const char *ml5;     /* with M_ML5: the folder to write */
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
        cli_usage("give only one of --json, --history, --svg, --stats, --tensor, --chunks and "
                  "--ml5");
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
        case O_BEST: o->best = 1; break;
        case O_LAST: o->last = 1; break;
        case 'h':
            fputs(USAGE, stdout);
            cli_close_stdout();
            exit(0);
        case O_VERSION:
            printf("dump (charrnn) %s\n", CR_VERSION);
            cli_close_stdout();
            exit(0);
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (o->best && o->last) cli_usage("give --best or --last, not both");
    if ((o->best || o->last) && o->mode != M_STATS && o->mode != M_TENSOR && o->mode != M_ML5)
        cli_usage("--%s chooses the weights for --stats, --tensor and --ml5",
                  o->best ? "best" : "last");
    if (argc - optind > 1) cli_usage("one checkpoint at a time (got %d)", argc - optind);
    o->ckpt = optind < argc ? argv[optind] : "-";
    if (strcmp(o->ckpt, "-") == 0 && isatty(0))
        cli_usage("no checkpoint: give CKPT, or pipe one into standard input");
}

/* ---- output: everything goes through cli_write, so a closed pipe ends the tool quietly ---- */
static void outs(const char *s) { cli_write(s, strlen(s)); }

/* A label, indented, in a column of 20; the value follows from column 21. */
static void label_col(int indent, const char *k) { cli_printf("%*s%-*s ", indent, "", 20 - indent, k); }

static void out_cp(uint32_t cp)
{
    char b[4];
    cli_write(b, cr_utf8_encode(cp, b));
}

/* Spaces and formatting characters that are invisible or reorder a terminal's text. */
static int invisible(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xA0 || cp == 0xAD || cp == 0x34F ||
           cp == 0x61C || cp == 0x115F || cp == 0x1160 || cp == 0x180E ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF ||
           (cp >= 0xFFF0 && cp <= 0xFFFF);
}

/* Text for a terminal: invisible characters and bytes that are not UTF-8 as escapes, and
 * everything beyond ASCII escaped too when the locale is not UTF-8. quoted: also escape \ and ". */
static void out_text(const dump *d, const char *s, size_t len, int quoted)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, len - i, &cp);
        if (k == 0) {
            cli_printf("\\x%02X", p[i++]);
            continue;
        }
        i += k;
        if (cp == '\n') outs("\\n");
        else if (cp == '\t') outs("\\t");
        else if (cp == '\r') outs("\\r");
        else if (quoted && (cp == '\\' || cp == '"')) cli_printf("\\%c", (char)cp);
        else if (cp < 0x20 || cp == 0x7F) cli_printf("\\x%02X", (unsigned)cp);
        else if (invisible(cp) || (cp >= 0x80 && !d->utf8))
            cli_printf(cp > 0xFFFF ? "\\U%08X" : "\\u%04X", (unsigned)cp);
        else out_cp(cp);
    }
}

/* A JSON string: valid UTF-8 always (bytes that are not become U+FFFD). */
static void out_json_str(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    outs("\"");
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, len - i, &cp);
        i += k ? k : 1;
        if (k == 0) cp = 0xFFFD;
        if (cp == '"' || cp == '\\') cli_printf("\\%c", (char)cp);
        else if (cp == '\n') outs("\\n");
        else if (cp == '\t') outs("\\t");
        else if (cp == '\r') outs("\\r");
        else if (cp < 0x20 || cp == 0x2028 || cp == 0x2029) cli_printf("\\u%04X", (unsigned)cp);
        else out_cp(cp);
    }
    outs("\"");
}

/* XML character data or attribute text: escaped, and only characters XML 1.0 allows. */
static void out_xml(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, len - i, &cp);
        i += k ? k : 1;
        if (k == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
            cp == 0xFFFF)
            cp = 0xFFFD;
        if (cp == '&') outs("&amp;");
        else if (cp == '<') outs("&lt;");
        else if (cp == '>') outs("&gt;");
        else if (cp == '"') outs("&quot;");
        else out_cp(cp);
    }
}

/* ---- numbers ---- */
/* The shortest of %.15g..%.17g that reads back as x. */
static const char *num_text(double x, char buf[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    return buf;
}

/* 1234 as 1.23k, 5600000 as 5.6M: for axis labels. */
static const char *compact(double v, char buf[24])
{
    static const char *const SUFFIX[] = {"", "k", "M", "G", "T", "P", "E"};
    int k = 0;
    while (fabs(v) >= 1000 && k < 6) {
        v /= 1000;
        k++;
    }
    snprintf(buf, 24, "%.4g%s", v, SUFFIX[k]);
    return buf;
}

/* 3725.4 seconds as 1:02:05. */
static const char *clock_text(double s, char buf[32])
{
    if (!(s >= 0 && s < 1e15)) return strcpy(buf, "?");
    unsigned long long t = (unsigned long long)llround(s);
    snprintf(buf, 32, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
    return buf;
}

/* A step between axis ticks of 1, 2, 2.5 or 5 times a power of ten, giving about (at most)
 * the given number of intervals over range. */
static double nice_step(double range, int intervals)
{
    if (!(range > 0)) return 1;
    double rough = range / intervals, p = pow(10, floor(log10(rough))), f = rough / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/* Axis ticks at lo + i step for i = 0..n, covering [min, max]. */
typedef struct ticks {
    double lo, step;
    int n;
} ticks;

static ticks ticks_around(double min, double max, int intervals)
{
    ticks t;
    t.step = nice_step(max - min, intervals);
    double a = floor(min / t.step), b = ceil(max / t.step);
    t.lo = a * t.step;
    t.n = b > a ? (int)(b - a) : 1;
    return t;
}

/* Ticks at multiples of a step of at least 1 from 0 to xmax, for characters seen. */
static ticks ticks_from_zero(double xmax, int intervals)
{
    ticks t = {0, nice_step(xmax, intervals), 0};
    if (t.step < 1) t.step = 1;
    t.n = (int)floor(xmax / t.step * (1 + 1e-9));
    return t;
}

/* Decimals needed to print multiples of step exactly. */
static int decimals_for(double step)
{
    int d = 0;
    while (d < 8 && fabs(step * pow(10, d) - nearbyint(step * pow(10, d))) > 1e-6)
        d++;
    return d;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
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
typedef struct series {  /* one curve of the history: losses against characters seen */
    double *x, *y;        /* (n) characters seen, nats per character */
    size_t n;
} series;

/* The training and the validation curve; losses that are not finite (not measured) or beyond
 * any real loss (a damaged file) are left out. */
static void history_series(const cr_model *m, series *train, series *val)
{
    const cr_history_row *rows;
    size_t n = cr_model_history(m, &rows);
    series *s[2] = {train, val};
    for (int k = 0; k < 2; k++) {
        s[k]->x = malloc((n ? n : 1) * sizeof(double));
        s[k]->y = malloc((n ? n : 1) * sizeof(double));
        if (!s[k]->x || !s[k]->y) cli_die(NULL, "out of memory");
        s[k]->n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        double y[2] = {rows[i].train_loss, rows[i].val_loss};
        for (int k = 0; k < 2; k++)
            if (isfinite(y[k]) && fabs(y[k]) <= 1e6) {
                s[k]->x[s[k]->n] = (double)rows[i].chars;
                s[k]->y[s[k]->n++] = y[k];
            }
    }
}

static void series_free(series *s)
{
    free(s->x);
    free(s->y);
}

/* The range both curves span; *ylo > *yhi when there is nothing to draw. */
static void series_range(const series *a, const series *b, double *xmax, double *ylo, double *yhi)
{
    *xmax = 0;
    *ylo = INFINITY;
    *yhi = -INFINITY;
    const series *s[2] = {a, b};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < s[k]->n; i++) {
            *xmax = fmax(*xmax, s[k]->x[i]);
            *ylo = fmin(*ylo, s[k]->y[i]);
            *yhi = fmax(*yhi, s[k]->y[i]);
        }
    if (*xmax <= 0) *xmax = 1;
    if (*ylo <= *yhi && *yhi - *ylo < 1e-6) { /* one value: a small range around it */
        *ylo -= 0.05;
        *yhi += 0.05;
    }
}

/* The latest history row with a validation loss, or NULL. */
static const cr_history_row *latest_val(const cr_model *m)
{
    const cr_history_row *rows;
    size_t n = cr_model_history(m, &rows);
    while (n > 0 && !isfinite(rows[n - 1].val_loss))
        n--;
    return n ? &rows[n - 1] : NULL;
}

/* Steps per epoch as the trainer computes them, for the corpus the vocabulary was counted on
 * (the first session's); 0 if that cannot be known. */
static uint64_t steps_per_epoch(const cr_model *m)
{
    const cr_config *c = cr_model_config(m);
    const cr_vocab *v = cr_model_vocab(m);
    uint64_t n = 0;
    for (uint32_t i = 0; i < v->size; i++)
        n += v->counts[i];
    uint64_t ntrain = n - (uint64_t)floor((double)n * c->val_frac);
    uint64_t stripe = ntrain / (uint64_t)c->batch;
    return stripe > 0 ? (stripe - 1) / (uint64_t)c->seq_len : 0;
}

/* The epochs done as a fraction, or NaN when the steps per epoch are unknown. */
static double epochs_done(const cr_model *m, uint64_t *spe)
{
    const cr_train_progress *g = cr_model_progress(m);
    *spe = steps_per_epoch(m);
    if (*spe == 0 || g->epoch_pos >= *spe) return NAN;
    return (double)g->epoch + (double)g->epoch_pos / (double)*spe;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static void sha_hex(const unsigned char sha[32], char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sha[i]);
}

/* ---- the text chart ---- */
enum { CHART_W = 60, CHART_H = 13 }; /* 12 row gaps: 1, 2, 3, 4 or 6 even tick intervals */

static int chart_row(double y, double y0, double y1)
{
    int r = (int)lround((y1 - y) / (y1 - y0) * (CHART_H - 1));
    return r < 0 ? 0 : r >= CHART_H ? CHART_H - 1 : r;
}

/* Draws s into the grid with mark: interpolated at every column it spans, gaps filled. */
static void chart_plot(char grid[CHART_H][CHART_W], const series *s, double xmax, double y0,
                       double y1, char mark)
{
    if (s->n == 0) return;
    int c0 = (int)lround(s->x[0] / xmax * (CHART_W - 1));
    int c1 = (int)lround(s->x[s->n - 1] / xmax * (CHART_W - 1));
    size_t k = 0;
    int prev = -1;
    for (int c = c0; c <= c1 && c < CHART_W; c++) {
        double x = fmin(fmax(xmax * c / (CHART_W - 1), s->x[0]), s->x[s->n - 1]);
        while (k + 1 < s->n && s->x[k + 1] < x)
            k++;
        double y = s->y[k];
        if (k + 1 < s->n && s->x[k + 1] > s->x[k])
            y += (s->y[k + 1] - s->y[k]) * (x - s->x[k]) / (s->x[k + 1] - s->x[k]);
        int r = chart_row(y, y0, y1);
        grid[r][c] = mark;
        for (int j = prev < 0 ? r : prev; j != r; j += j < r ? 1 : -1)
            if (j != prev) grid[j][c] = mark;
        prev = r;
    }
}

/* The x axis: a line with a tick under each label, then the labels, as two text lines. */
static void chart_x_axis(const dump *d, double xmax, int lw)
{
    ticks xt = ticks_from_zero(xmax, 4);
    char line[CHART_W + 1], labels[CHART_W + 24];
    memset(line, '-', CHART_W);
    memset(labels, ' ', sizeof labels);
    int end = -2; /* where the last label ended */
    for (int i = 0; i <= xt.n; i++) {
        double t = i * xt.step;
        int c = (int)lround(t / xmax * (CHART_W - 1));
        char txt[24];
        size_t n = strlen(compact(t, txt));
        int at = c - (int)n / 2;
        if (at < 0) at = 0;
        if (at <= end + 1 || at + (int)n > (int)sizeof labels - 1) continue;
        line[c] = '+';
        memcpy(labels + at, txt, n);
        end = at + (int)n - 1;
    }
    labels[end + 1] = 0;
    cli_printf("%*s %s", lw, "", d->utf8 ? "\u2514" : "+");
    for (int c = 0; c < CHART_W; c++)
        outs(line[c] == '+' ? (d->utf8 ? "\u252C" : "+") : (d->utf8 ? "\u2500" : "-"));
    cli_printf("\n%*s  %s  characters seen\n", lw, "", labels);
}

static void text_chart(const dump *d)
{
    series tr, va;
    history_series(d->m, &tr, &va);
    double xmax, lo, hi;
    series_range(&tr, &va, &xmax, &lo, &hi);
    if (lo > hi) {
        label_col(0, "loss");
        cli_printf("no history yet: the model has not been %s\n",
            cr_model_progress(d->m)->step ? "evaluated" : "trained");
        goto done;
    }
    ticks yt = ticks_around(lo, hi, 5);
    while ((CHART_H - 1) % yt.n) { /* ticks on evenly spaced rows: one more interval */
        if (yt.lo + yt.n * yt.step - hi > lo - yt.lo && yt.lo - yt.step >= 0) yt.lo -= yt.step;
        yt.n++;
    }
    double y0 = yt.lo, y1 = yt.lo + yt.n * yt.step;
    char grid[CHART_H][CHART_W], label[CHART_H][24] = {{0}};
    memset(grid, ' ', sizeof grid);
    chart_plot(grid, &tr, xmax, y0, y1, '*');
    chart_plot(grid, &va, xmax, y0, y1, 'o');
    int lw = 0, dec = decimals_for(yt.step);
    for (int i = 0; i <= yt.n; i++) {
        double t = yt.lo + i * yt.step;
        int r = chart_row(t, y0, y1), n = snprintf(label[r], sizeof label[r], "%.*f", dec, t);
        if (n > lw) lw = n;
    }
    cli_printf("loss (nats per character) against characters seen:  * training%s\n",
        va.n ? "  o validation" : "  (no validation)");
    for (int r = 0; r < CHART_H; r++) {
        cli_printf("%*s %s", lw, label[r], label[r][0] ? (d->utf8 ? "\u2524" : "+")
                                                : (d->utf8 ? "\u2502" : "|"));
        int last = CHART_W;
        while (last > 0 && grid[r][last - 1] == ' ')
            last--;
        cli_write(grid[r], (size_t)last);
        outs("\n");
    }
    chart_x_axis(d, xmax, lw);
done:
    series_free(&tr);
    series_free(&va);
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
    out_text(d, d->name, strlen(d->name), 0);
    if (d->folder_files)
        cli_printf(" (a folder of %u files, %zu bytes)\n", (unsigned)d->folder_files, d->len);
    else cli_printf(" (%zu bytes, format version %u)\n", d->len, (unsigned)d->version);
    outs("\nmodel\n");
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
        outs("\"");
        for (uint32_t j = i; j < i + 40 && j < shown; j++) {
            char b[4];
            const char *t;
            size_t n = cr_vocab_text(v, j, b, &t);
            out_text(d, t, n, 1);
        }
        outs("\"\n");
    }
    if (shown < v->size) {
        label_col(2, "");
        cli_printf("and %u more\n", (unsigned)(v->size - shown));
    }
}

static void summary_settings(const dump *d)
{
    const cr_config *c = cr_model_config(d->m);
    outs("\ntraining settings\n");
    kv("seq-len", "%d", c->seq_len);
    kv("batch", "%d", c->batch);
    if (c->optimizer == CR_SGD) kv("optimizer", "sgd (momentum %g)", c->momentum);
    else kv("optimizer", "adam (beta1 %g, beta2 %g, epsilon %g)", c->beta1, c->beta2, c->adam_eps);
    kv("lr", "%g", c->lr);
    kv("lr-decay", "%g per 1000 steps", c->lr_decay);
    kv("warmup", "%d steps", c->warmup);
    kv("dropout", "%g", c->dropout);
    if (c->clip > 0) kv("clip", "%g", c->clip);
    else kv("clip", "0 (off)");
    kv("val-frac", "%g", c->val_frac);
    if (c->eval_every) kv("eval-every", "%d steps", c->eval_every);
    else kv("eval-every", "each epoch, at most 250 steps");
    kv("seed", "%llu", (unsigned long long)c->seed);
}

static void loss_line(const char *key, double nats, uint64_t step)
{
    kv(key, "%.4f nats/char (%.4f bits/char) at step %llu", nats, nats / log(2.0),
       (unsigned long long)step);
}

static void summary_progress(const dump *d)
{
    const cr_train_progress *g = cr_model_progress(d->m);
    const cr_history_row *rows;
    size_t nh = cr_model_history(d->m, &rows);
    char t[32];
    uint64_t spe;
    double ep = epochs_done(d->m, &spe);
    outs("\nprogress\n");
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
}

static void summary_lineage(const dump *d)
{
    const cr_session *s;
    size_t n = cr_model_sessions(d->m, &s);
    outs("\n");
    label_col(0, "lineage");
    if (n == 0) {
        outs("none recorded\n");
        return;
    }
    cli_printf("%zu session%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        char label[32];
        snprintf(label, sizeof label, "session %zu", i + 1);
        label_col(2, label);
        out_text(d, s[i].date, strlen(s[i].date), 0);
        outs(", charrnn ");
        out_text(d, s[i].version, strlen(s[i].version), 0);
        cli_printf(", from step %llu\n", (unsigned long long)s[i].start_step);
        label_col(4, "command");
        out_text(d, s[i].command, strlen(s[i].command), 0);
        outs("\n");
        for (uint32_t k = 0; k < s[i].nsources; k++) {
            const cr_source *src = &s[i].sources[k];
            char hex[65];
            sha_hex(src->sha256, hex);
            label_col(4, "source");
            out_text(d, src->name, strlen(src->name), 0);
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
    outs("\n");
    text_chart(d);
}

/* ---- JSON ---- */
/* A JSON writer: two spaces per level, except that the items of a container opened inline
 * (and of everything inside it) share one line. */
typedef struct jw {
    int depth;
    int count[8];   /* items written so far at each depth */
    int inline_at;  /* the depth from which items share a line; 0 = none */
} jw;

static void j_item(jw *j, const char *key)
{
    int inl = j->inline_at && j->depth >= j->inline_at;
    if (j->count[j->depth]++) outs(inl ? ", " : ",");
    if (!inl) cli_printf("\n%*s", 2 * j->depth, "");
    if (key) {
        out_json_str(key);
        outs(": ");
    }
}

static void j_open(jw *j, const char *key, const char *brace, int inl)
{
    if (j->depth > 0) j_item(j, key);
    outs(brace);
    j->depth++;
    j->count[j->depth] = 0;
    if (inl && !j->inline_at) j->inline_at = j->depth;
}

static void j_close(jw *j, const char *brace)
{
    int inl = j->inline_at && j->depth >= j->inline_at;
    if (j->inline_at == j->depth) j->inline_at = 0;
    j->depth--;
    if (!inl && j->count[j->depth + 1]) cli_printf("\n%*s", 2 * j->depth, "");
    outs(brace);
}

static void j_num(jw *j, const char *key, double x)
{
    char buf[32];
    j_item(j, key);
    outs(isfinite(x) ? num_text(x, buf) : "null");
}

static void j_u64(jw *j, const char *key, uint64_t v)
{
    j_item(j, key);
    cli_printf("%llu", (unsigned long long)v);
}

static void j_str(jw *j, const char *key, const char *s)
{
    j_item(j, key);
    out_json_str(s);
}

static void j_bool(jw *j, const char *key, int b)
{
    j_item(j, key);
    outs(b ? "true" : "false");
}

static void json_model(jw *j, const dump *d)
{
    const cr_config *c = cr_model_config(d->m);
    const cr_vocab *v = cr_model_vocab(d->m);
    j_open(j, "model", "{", 0);
    j_str(j, "cell", cr_cell_name(c->cell));
    j_u64(j, "layers", (uint64_t)c->layers);
    j_u64(j, "hidden", (uint64_t)c->hidden);
    j_u64(j, "embed", (uint64_t)c->embed);
    j_str(j, "input", c->embed ? "embedding" : "one-hot");
    j_u64(j, "vocab_size", v->size);
    j_u64(j, "parameters", cr_model_param_count(d->m));
    j_bool(j, "has_best", cr_model_has_best(d->m));
    j_open(j, "tensors", "[", 0);
    for (size_t i = 0; i < cr_model_tensor_count(d->m); i++) {
        const cr_tensor_info *t = cr_model_tensor(d->m, i);
        j_open(j, NULL, "{", 1);
        j_str(j, "name", t->name);
        j_open(j, "shape", "[", 1);
        for (int k = 0; k < t->ndim; k++)
            j_u64(j, NULL, t->dims[k]);
        j_close(j, "]");
        j_close(j, "}");
    }
    j_close(j, "]");
    j_close(j, "}");
    j_open(j, "vocabulary", "{", 0);
    j_u64(j, "size", v->size);
    j_open(j, "characters", "[", 1);
    for (uint32_t i = 0; i < v->size; i++) {
        char b[5] = {0};
        cr_utf8_encode(v->chars[i], b);
        j_str(j, NULL, v->strings && v->strings[i] ? v->strings[i] : b);
    }
    j_close(j, "]");
    j_open(j, "counts", "[", 1);
    for (uint32_t i = 0; i < v->size; i++)
        j_u64(j, NULL, v->counts[i]);
    j_close(j, "]");
    j_close(j, "}");
}

static void json_settings(jw *j, const cr_config *c)
{
    j_open(j, "settings", "{", 0);
    j_u64(j, "seq_len", (uint64_t)c->seq_len);
    j_u64(j, "batch", (uint64_t)c->batch);
    j_str(j, "optimizer", cr_optimizer_name(c->optimizer));
    j_num(j, "lr", c->lr);
    j_num(j, "lr_decay", c->lr_decay);
    j_u64(j, "warmup", (uint64_t)c->warmup);
    j_num(j, "momentum", c->momentum);
    j_num(j, "beta1", c->beta1);
    j_num(j, "beta2", c->beta2);
    j_num(j, "adam_eps", c->adam_eps);
    j_num(j, "dropout", c->dropout);
    j_num(j, "clip", c->clip);
    j_num(j, "val_frac", c->val_frac);
    j_u64(j, "eval_every", (uint64_t)c->eval_every);
    j_u64(j, "seed", c->seed);
    j_close(j, "}");
}

static void json_progress(jw *j, const dump *d)
{
    const cr_train_progress *g = cr_model_progress(d->m);
    const cr_history_row *lv = latest_val(d->m);
    uint64_t spe;
    double ep = epochs_done(d->m, &spe);
    j_open(j, "progress", "{", 0);
    j_u64(j, "steps", g->step);
    j_num(j, "epochs", ep);
    j_u64(j, "epochs_complete", g->epoch);
    j_u64(j, "epoch_steps", g->epoch_pos);
    j_item(j, "steps_per_epoch");
    if (spe) cli_printf("%llu", (unsigned long long)spe);
    else outs("null");
    j_u64(j, "chars", g->chars);
    j_num(j, "training_seconds", g->wall_s);
    j_num(j, "best_val_loss", g->best_val);
    j_num(j, "best_val_bits", g->best_val / log(2.0));
    j_item(j, "best_step");
    if (isfinite(g->best_val)) cli_printf("%llu", (unsigned long long)g->best_step);
    else outs("null");
    j_num(j, "latest_val_loss", lv ? lv->val_loss : NAN);
    j_num(j, "latest_val_bits", lv ? lv->val_loss / log(2.0) : NAN);
    j_item(j, "latest_val_step");
    if (lv) cli_printf("%llu", (unsigned long long)lv->step);
    else outs("null");
    j_u64(j, "evals_since_best", g->evals_since_best);
    j_close(j, "}");
}

static void json_lineage(jw *j, const cr_model *m)
{
    const cr_session *s;
    size_t n = cr_model_sessions(m, &s);
    j_open(j, "lineage", "[", 0);
    for (size_t i = 0; i < n; i++) {
        j_open(j, NULL, "{", 0);
        j_str(j, "date", s[i].date);
        j_str(j, "version", s[i].version);
        j_str(j, "command", s[i].command);
        j_u64(j, "start_step", s[i].start_step);
        j_open(j, "sources", "[", 0);
        for (uint32_t k = 0; k < s[i].nsources; k++) {
            char hex[65];
            sha_hex(s[i].sources[k].sha256, hex);
            j_open(j, NULL, "{", 1);
            j_str(j, "name", s[i].sources[k].name);
            j_u64(j, "bytes", s[i].sources[k].bytes);
            j_str(j, "sha256", hex);
            j_close(j, "}");
        }
        j_close(j, "]");
        j_close(j, "}");
    }
    j_close(j, "]");
}

static void json_history(jw *j, const cr_model *m)
{
    const cr_history_row *r;
    size_t n = cr_model_history(m, &r);
    j_open(j, "history", "[", 0);
    for (size_t i = 0; i < n; i++) {
        j_open(j, NULL, "{", 1);
        j_u64(j, "step", r[i].step);
        j_u64(j, "chars", r[i].chars);
        j_num(j, "train_loss", r[i].train_loss);
        j_num(j, "val_loss", r[i].val_loss);
        j_num(j, "chars_per_s", r[i].chars_per_s);
        j_num(j, "wall_s", r[i].wall_s);
        j_close(j, "}");
    }
    j_close(j, "]");
}

static void json(const dump *d)
{
    jw j = {0};
    j_open(&j, NULL, "{", 0);
    j_str(&j, "file", d->path);
    j_u64(&j, "bytes", d->len);
    if (d->folder_files) { /* an ml5.js model folder: no format version */
        j_item(&j, "format_version");
        outs("null");
    } else {
        j_u64(&j, "format_version", d->version);
    }
    json_model(&j, d);
    json_settings(&j, cr_model_config(d->m));
    json_progress(&j, d);
    json_lineage(&j, d->m);
    json_history(&j, d->m);
    j_close(&j, "}");
    outs("\n");
}

/* ---- the history table ---- */
static void history(const dump *d)
{
    const cr_history_row *r;
    size_t n = cr_model_history(d->m, &r);
    outs("step\tchars\ttrain_loss\tval_loss\tchars_per_s\twall_s\n");
    for (size_t i = 0; i < n; i++) {
        char tl[32] = "", vl[32] = "";
        if (isfinite(r[i].train_loss)) snprintf(tl, sizeof tl, "%.9g", r[i].train_loss);
        if (isfinite(r[i].val_loss)) snprintf(vl, sizeof vl, "%.9g", r[i].val_loss);
        cli_printf("%llu\t%llu\t%s\t%s\t%.1f\t%.3f\n", (unsigned long long)r[i].step,
            (unsigned long long)r[i].chars, tl, vl, r[i].chars_per_s, r[i].wall_s);
    }
}

/* ---- the SVG chart ---- */
enum { SVG_W = 800, SVG_H = 500, PL = 84, PR = SVG_W - 28, PT = 86, PB = SVG_H - 66 };

typedef struct frame {  /* data coordinates to picture coordinates */
    double xmax, y0, y1;
} frame;

static double px(const frame *f, double x) { return PL + (PR - PL) * x / f->xmax; }
static double py(const frame *f, double y)
{
    return PB - (PB - PT) * (y - f->y0) / (f->y1 - f->y0);
}

static void svg_head(const dump *d)
{
    const cr_config *c = cr_model_config(d->m);
    cli_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
        "font-size=\"13\">\n", SVG_W, SVG_H, SVG_W, SVG_H);
    outs("<title>");
    out_xml(strcmp(d->path, "-") ? base_name(d->path) : "checkpoint");
    outs(": training and validation loss</title>\n");
    cli_printf("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", SVG_W, SVG_H);
    cli_printf("<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">",
        SVG_W / 2);
    if (strcmp(d->path, "-")) {
        out_xml(base_name(d->path));
        outs(": training and validation loss</text>\n");
    } else {
        outs("Training and validation loss</text>\n");
    }
    const cr_train_progress *g = cr_model_progress(d->m);
    cli_printf("<text x=\"%d\" y=\"52\" text-anchor=\"middle\" fill=\"#555\">%s, %d layer%s of %d, "
        "%u characters, %zu parameters, %llu steps</text>\n", SVG_W / 2, cr_cell_name(c->cell),
        c->layers, c->layers == 1 ? "" : "s", c->hidden, (unsigned)cr_model_vocab(d->m)->size,
        cr_model_param_count(d->m), (unsigned long long)g->step);
    if (isfinite(g->best_val))
        cli_printf("<text x=\"%d\" y=\"70\" text-anchor=\"middle\" fill=\"#555\">best validation loss "
            "%.4f nats (%.3f bits) per character, at step %llu</text>\n", SVG_W / 2, g->best_val,
            g->best_val / log(2.0), (unsigned long long)g->best_step);
}

/* Grid lines, ticks and tick labels, axis lines and axis titles. */
static void svg_axes(const frame *f, const ticks *yt)
{
    ticks xt = ticks_from_zero(f->xmax, 6);
    char buf[24];
    int dec = decimals_for(yt->step);
    outs("<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
    for (int i = 1; i <= yt->n; i++) {
        double y = py(f, yt->lo + i * yt->step);
        cli_printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", PL, y, PR, y);
    }
    for (int i = 1; i <= xt.n; i++) {
        double x = px(f, i * xt.step);
        cli_printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x, PT, x, PB);
    }
    outs("</g>\n<g stroke=\"#222\" stroke-width=\"1\">\n");
    cli_printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", PL, PB, PR, PB);
    cli_printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", PL, PT, PL, PB);
    outs("</g>\n<g fill=\"#222\">\n");
    for (int i = 0; i <= yt->n; i++) {
        double v = yt->lo + i * yt->step, y = py(f, v);
        cli_printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#222\"/>\n"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n", PL - 4, y, PL, y,
            PL - 8, y + 4.5, dec, v);
    }
    for (int i = 0; i <= xt.n; i++) {
        double x = px(f, i * xt.step);
        cli_printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\"/>\n"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, PB, x, PB + 4,
            x, PB + 20, compact(i * xt.step, buf));
    }
    outs("</g>\n");
    cli_printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\">characters seen</text>\n",
        (PL + PR) / 2, SVG_H - 22);
    cli_printf("<text transform=\"translate(24 %d) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">"
        "loss (nats per character)</text>\n", (PT + PB) / 2);
}

static void svg_curve(const frame *f, const series *s, const char *colour, int dots)
{
    if (s->n == 0) return;
    cli_printf("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" stroke-linejoin=\"round\" "
        "points=\"", colour);
    for (size_t i = 0; i < s->n; i++)
        cli_printf("%s%.1f,%.1f", i ? " " : "", px(f, s->x[i]), py(f, s->y[i]));
    outs("\"/>\n");
    if (!dots && s->n > 1) return;
    cli_printf("<g fill=\"%s\">\n", colour);
    for (size_t i = 0; i < s->n; i++)
        cli_printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>\n", px(f, s->x[i]), py(f, s->y[i]));
    outs("</g>\n");
}

/* The history row of the best validation loss, or NULL. */
static const cr_history_row *best_row(const cr_model *m)
{
    const cr_history_row *rows;
    size_t n = cr_model_history(m, &rows);
    const cr_train_progress *g = cr_model_progress(m);
    for (size_t i = n; i-- > 0;)
        if (rows[i].step == g->best_step && rows[i].val_loss == g->best_val) return &rows[i];
    return NULL;
}

/* How much of s (its points and 16 places along each segment) lies in or near a box. */
static int hits_in_box(const frame *f, const series *s, double bx, double by, double bw, double bh)
{
    int hits = 0;
    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < (i + 1 < s->n ? 16 : 1); k++) {
            double x = px(f, s->x[i]), y = py(f, s->y[i]);
            if (i + 1 < s->n) {
                x += (px(f, s->x[i + 1]) - x) * k / 16.0;
                y += (py(f, s->y[i + 1]) - y) * k / 16.0;
            }
            hits += x >= bx - 8 && x <= bx + bw + 8 && y >= by - 8 && y <= by + bh + 8;
        }
    return hits;
}

/* The legend, in the corner of the plot where it hides least of the curves. */
static void svg_legend(const frame *f, const series *tr, const series *va, int best)
{
    int w = 166, h = 12 + 22 * (1 + (va->n > 0) + best), x = PR - 12 - w, y = PT + 12, least = -1;
    const int corners[4][2] = {{PR - 12 - w, PT + 12}, {PL + 12, PB - 12 - h},
                               {PL + 12, PT + 12}, {PR - 12 - w, PB - 12 - h}};
    for (int i = 0; i < 4; i++) {
        int n = hits_in_box(f, tr, corners[i][0], corners[i][1], w, h) +
                hits_in_box(f, va, corners[i][0], corners[i][1], w, h);
        if (least < 0 || n < least) {
            least = n;
            x = corners[i][0];
            y = corners[i][1];
        }
    }
    cli_printf("<g id=\"legend\">\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"white\" "
        "fill-opacity=\"0.9\" stroke=\"#bbb\"/>\n", x, y, w, h);
    cli_printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f77b4\" stroke-width=\"2.2\"/>\n"
        "<text x=\"%d\" y=\"%d\">training</text>\n", x + 12, y + 17, x + 40, y + 17, x + 48,
        y + 22);
    if (va->n)
        cli_printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d95f02\" "
            "stroke-width=\"2.2\"/>\n<circle cx=\"%d\" cy=\"%d\" r=\"3.5\" fill=\"#d95f02\"/>\n"
            "<text x=\"%d\" y=\"%d\">validation</text>\n", x + 12, y + 39, x + 40, y + 39, x + 26,
            y + 39, x + 48, y + 44);
    if (best)
        cli_printf("<circle cx=\"%d\" cy=\"%d\" r=\"7\" fill=\"none\" stroke=\"#222\" "
            "stroke-width=\"1.5\"/>\n<text x=\"%d\" y=\"%d\">best validation</text>\n", x + 26,
            y + 61, x + 48, y + 66);
    outs("</g>\n");
}

static void svg(const dump *d)
{
    series tr, va;
    history_series(d->m, &tr, &va);
    frame f;
    double lo, hi;
    series_range(&tr, &va, &f.xmax, &lo, &hi);
    svg_head(d);
    if (lo > hi) {
        cli_printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"16\" fill=\"#555\">"
            "no history yet: the model has not been %s</text>\n", SVG_W / 2, SVG_H / 2,
            cr_model_progress(d->m)->step ? "evaluated" : "trained");
    } else {
        f.xmax *= 1.03; /* room for the last point's marker */
        ticks yt = ticks_around(lo, hi, 6);
        f.y0 = yt.lo;
        f.y1 = yt.lo + yt.n * yt.step;
        svg_axes(&f, &yt);
        svg_curve(&f, &tr, "#1f77b4", 0);
        svg_curve(&f, &va, "#d95f02", va.n <= 200);
        const cr_history_row *b = best_row(d->m);
        if (b && fabs(b->val_loss) <= 1e6)
            cli_printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"#222\" "
                "stroke-width=\"1.5\"/>\n", px(&f, (double)b->chars), py(&f, b->val_loss));
        svg_legend(&f, &tr, &va, b != NULL);
    }
    outs("</svg>\n");
    series_free(&tr);
    series_free(&va);
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

static void histogram_bar(const dump *d, const tstats *s)
{
    static const char *const BLOCKS[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char RAMP[] = ".:-=+*#%@";
    size_t top = 0;
    for (int b = 0; b < BINS; b++)
        top = s->count[b] > top ? s->count[b] : top;
    outs("|");
    for (int b = 0; b < BINS; b++) {
        if (!s->count[b]) outs(" ");
        else if (d->utf8) outs(BLOCKS[(s->count[b] * 8 - 1) / top]);
        else cli_write(&RAMP[(s->count[b] * 9 - 1) / top], 1);
    }
    outs("|");
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
        histogram_bar(d, &s);
        if (s.nonfinite) cli_printf("  %zu not finite", s.nonfinite);
        outs("\n");
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
    static const char *const KNOWN[][2] = {
        {"HEAD", "shape and training settings"}, {"VOCB", "vocabulary"},
        {"VSTR", "ids that stand for strings (ml5.js imports)"},
        {"WLST", "latest weights"}, {"WBST", "best weights"},
        {"OPT1", "optimizer: first moments or velocity"}, {"OPT2", "optimizer: second moments"},
        {"CARY", "state carried between training chunks"},
        {"STAT", "progress and random generator"}, {"HIST", "history"}, {"LINE", "lineage"},
        {"IEND", "end"}};
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(tag, KNOWN[i][0]) == 0) return KNOWN[i][1];
    return "unknown to this version (skipped)";
}

static void chunks(const dump *d)
{
    cr_chunk_info *c;
    size_t n;
    cr_error err;
    if (cr_ckpt_list_chunks(d->buf, d->len, &c, &n, &err)) cli_die_err(d->name, &err);
    outs("tag      offset      length  crc32     contents\n");
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
    cli_prog = "dump";
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    dump d = {.path = o.ckpt, .utf8 = locale_is_utf8()};
    d.name = strcmp(o.ckpt, "-") == 0 ? "standard input" : o.ckpt;
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
        if (!d.m && cr_ckpt_decode(d.buf, d.len, &d.m, &err)) cli_die_err(d.name, &err);
        if (d.buf) d.version = le32(d.buf + 8);
        switch (o.mode) {
        case M_ML5: write_ml5(&d, &o); break;
        case M_JSON: json(&d); break;
        case M_HISTORY: history(&d); break;
        case M_SVG: svg(&d); break;
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
