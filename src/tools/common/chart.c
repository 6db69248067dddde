/* chart.c: dump's pictures: the loss curves as terminal text or as SVG, and histograms. */
#include "chart.h"

#include "../cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        if (cp == '&') cli_puts("&amp;");
        else if (cp == '<') cli_puts("&lt;");
        else if (cp == '>') cli_puts("&gt;");
        else if (cp == '"') cli_puts("&quot;");
        else cli_write_char(cp);
    }
}

/* ---- axes ---- */
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

/* ---- the curves ---- */
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
static void chart_x_axis(int utf8, double xmax, int lw)
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
    cli_printf("%*s %s", lw, "", utf8 ? "\u2514" : "+");
    for (int c = 0; c < CHART_W; c++)
        cli_puts(line[c] == '+' ? (utf8 ? "\u252C" : "+") : (utf8 ? "\u2500" : "-"));
    cli_printf("\n%*s  %s  characters seen\n", lw, "", labels);
}

void chart_loss_text(const cr_model *m, int utf8)
{
    series tr, va;
    history_series(m, &tr, &va);
    double xmax, lo, hi;
    series_range(&tr, &va, &xmax, &lo, &hi);
    if (lo > hi) {
        cli_printf("%-20s ", "loss"); /* as a label of the summary above it */
        cli_printf("no history yet: the model has not been %s\n",
            cr_model_progress(m)->step ? "evaluated" : "trained");
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
        cli_printf("%*s %s", lw, label[r], label[r][0] ? (utf8 ? "\u2524" : "+")
                                                : (utf8 ? "\u2502" : "|"));
        int last = CHART_W;
        while (last > 0 && grid[r][last - 1] == ' ')
            last--;
        cli_write(grid[r], (size_t)last);
        cli_puts("\n");
    }
    chart_x_axis(utf8, xmax, lw);
done:
    series_free(&tr);
    series_free(&va);
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

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static void svg_head(const cr_model *m, const char *path)
{
    const cr_config *c = cr_model_config(m);
    cli_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
        "font-size=\"13\">\n", SVG_W, SVG_H, SVG_W, SVG_H);
    cli_puts("<title>");
    out_xml(!cli_is_stdin(path) ? base_name(path) : "checkpoint");
    cli_puts(": training and validation loss</title>\n");
    cli_printf("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", SVG_W, SVG_H);
    cli_printf("<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">",
        SVG_W / 2);
    if (!cli_is_stdin(path)) {
        out_xml(base_name(path));
        cli_puts(": training and validation loss</text>\n");
    } else {
        cli_puts("Training and validation loss</text>\n");
    }
    const cr_train_progress *g = cr_model_progress(m);
    cli_printf("<text x=\"%d\" y=\"52\" text-anchor=\"middle\" fill=\"#555\">%s, %d layer%s of %d, "
        "%u characters, %zu parameters, %llu steps</text>\n", SVG_W / 2, cr_cell_name(c->cell),
        c->layers, c->layers == 1 ? "" : "s", c->hidden, (unsigned)cr_model_vocab(m)->size,
        cr_model_param_count(m), (unsigned long long)g->step);
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
    cli_puts("<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
    for (int i = 1; i <= yt->n; i++) {
        double y = py(f, yt->lo + i * yt->step);
        cli_printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", PL, y, PR, y);
    }
    for (int i = 1; i <= xt.n; i++) {
        double x = px(f, i * xt.step);
        cli_printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x, PT, x, PB);
    }
    cli_puts("</g>\n<g stroke=\"#222\" stroke-width=\"1\">\n");
    cli_printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", PL, PB, PR, PB);
    cli_printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", PL, PT, PL, PB);
    cli_puts("</g>\n<g fill=\"#222\">\n");
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
    cli_puts("</g>\n");
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
    cli_puts("\"/>\n");
    if (!dots && s->n > 1) return;
    cli_printf("<g fill=\"%s\">\n", colour);
    for (size_t i = 0; i < s->n; i++)
        cli_printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>\n", px(f, s->x[i]), py(f, s->y[i]));
    cli_puts("</g>\n");
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
    cli_puts("</g>\n");
}

void chart_loss_svg(const cr_model *m, const char *path)
{
    series tr, va;
    history_series(m, &tr, &va);
    frame f;
    double lo, hi;
    series_range(&tr, &va, &f.xmax, &lo, &hi);
    svg_head(m, path);
    if (lo > hi) {
        cli_printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"16\" fill=\"#555\">"
            "no history yet: the model has not been %s</text>\n", SVG_W / 2, SVG_H / 2,
            cr_model_progress(m)->step ? "evaluated" : "trained");
    } else {
        f.xmax *= 1.03; /* room for the last point's marker */
        ticks yt = ticks_around(lo, hi, 6);
        f.y0 = yt.lo;
        f.y1 = yt.lo + yt.n * yt.step;
        svg_axes(&f, &yt);
        svg_curve(&f, &tr, "#1f77b4", 0);
        svg_curve(&f, &va, "#d95f02", va.n <= 200);
        const cr_history_row *b = best_row(m);
        if (b && fabs(b->val_loss) <= 1e6)
            cli_printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"#222\" "
                "stroke-width=\"1.5\"/>\n", px(&f, (double)b->chars), py(&f, b->val_loss));
        svg_legend(&f, &tr, &va, b != NULL);
    }
    cli_puts("</svg>\n");
    series_free(&tr);
    series_free(&va);
}

/* ---- histograms ---- */
void chart_histogram(const size_t *count, int bins, int utf8)
{
    static const char *const BLOCKS[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char RAMP[] = ".:-=+*#%@";
    size_t top = 0;
    for (int b = 0; b < bins; b++)
        top = count[b] > top ? count[b] : top;
    cli_puts("|");
    for (int b = 0; b < bins; b++) {
        if (!count[b]) cli_puts(" ");
        else if (utf8) cli_puts(BLOCKS[(count[b] * 8 - 1) / top]);
        else cli_write(&RAMP[(count[b] * 9 - 1) / top], 1);
    }
    cli_puts("|");
}
