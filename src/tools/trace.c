/* trace.c: trace, which finds what a text (a bot's, say) copies word for word from a corpus. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: trace [OPTION]... CORPUS... < TEXT\n"
    "Find the spans of a text (standard input, or --text FILE) that occur word for\n"
    "word in the corpus files, and where: file, line and column of the first place,\n"
    "and how many other places. Lengths and columns count characters.\n"
    "\n"
    "      --text FILE   read the text from FILE instead of standard input\n"
    "  -m, --min N       shortest copy worth reporting, in characters [20]\n"
    "      --json        write the spans and the summary as JSON, for scripts\n"
    "      --html FILE   write a page with the copies highlighted and their sources\n"
    "                    shown on hover (or tap); standard output gets the summary\n"
    "      --ckpt CKPT   check the corpus files against those CKPT was trained on;\n"
    "                    with no CORPUS, trace with those files if they are here as\n"
    "                    they were (else list them)\n"
    "      --save-index FILE  also save the corpus's index to FILE, for --index\n"
    "      --index FILE  use the index saved in FILE instead of building one; CORPUS,\n"
    "                    if given, must be the files it was made from\n"
    "      --color WHEN  mark copies in colour: auto (on a terminal), always, never\n"
    "  -h, --help        show this help;  --version  show the version\n"
    "\n"
    "The text is written with its copies marked, then a summary. On a terminal a copy\n"
    "is in reverse video; otherwise it is written between [[ and ]], and the text's\n"
    "own [, ] and \\ as \\[, \\] and \\\\, so that the marks are never ambiguous.\n"
    "Copies that overlap or touch are marked as one.\n"
    "\n"
    "Examples:\n"
    "  sample -n 2000 bot.ckpt | trace corpus.txt\n"
    "  trace --ckpt bot.ckpt                 (the files bot.ckpt was trained on)\n"
    "  sample bot.ckpt | trace --ckpt bot.ckpt   (trace with those files)\n"
    "  trace --save-index big.idx big/*.txt  (then: ... | trace --index big.idx)\n"
    "  trace --min 30 --html copies.html --text poem.txt corpus.txt\n";

enum { O_TEXT = 256, O_JSON, O_HTML, O_CKPT, O_COLOR, O_VERSION, O_INDEX, O_SAVE_INDEX };

static const struct option LONG_OPTS[] = {
    {"text", 1, 0, O_TEXT}, {"min", 1, 0, 'm'}, {"json", 0, 0, O_JSON}, {"html", 1, 0, O_HTML},
    {"ckpt", 1, 0, O_CKPT}, {"color", 1, 0, O_COLOR}, {"colour", 1, 0, O_COLOR},
    {"help", 0, 0, 'h'}, {"version", 0, 0, O_VERSION}, {"index", 1, 0, O_INDEX},
    {"save-index", 1, 0, O_SAVE_INDEX}, {0, 0, 0, 0}};

typedef struct options {
    const char *text, *html, *ckpt, *index, *save_index;
    size_t min;
    int json, color;   /* color: 1 on, 0 off */
    char **corpus;     /* (ncorpus) */
    int ncorpus;
} options;

static int is_stdin(const char *path) { return strcmp(path, "-") == 0; }
static const char *shown(const char *path) { return is_stdin(path) ? "standard input" : path; }

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->min = 20;
    const char *color = "auto";
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":m:h", LONG_OPTS, NULL)) != -1) {
        switch (ch) {
        case O_TEXT: o->text = optarg; break;
        case 'm': o->min = (size_t)cli_int("--min", optarg, 1, 1000000000); break;
        case O_JSON: o->json = 1; break;
        case O_HTML:
            if (!*optarg) cli_usage("--html: the file name is empty");
            o->html = optarg;
            break;
        case O_CKPT: o->ckpt = optarg; break;
        case O_INDEX:
            if (!*optarg) cli_usage("--index: the file name is empty");
            o->index = optarg;
            break;
        case O_SAVE_INDEX:
            if (!*optarg || is_stdin(optarg))
                cli_usage("--save-index: give the name of a file to write the index to");
            o->save_index = optarg;
            break;
        case O_COLOR: color = optarg; break;
        case 'h':
            fputs(USAGE, stdout);
            cli_close_stdout();
            exit(0);
        case O_VERSION:
            printf("trace (charrnn) %s\n", CR_VERSION);
            cli_close_stdout();
            exit(0);
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (strcmp(color, "always") == 0) o->color = 1;
    else if (strcmp(color, "never") == 0) o->color = 0;
    else if (strcmp(color, "auto") == 0) o->color = isatty(1) && !getenv("NO_COLOR");
    else cli_usage("--color: '%s' is not auto, always or never", color);
    o->corpus = argv + optind;
    o->ncorpus = argc - optind;
    if (o->ncorpus == 0 && !o->ckpt && !o->index)
        cli_usage("no corpus: give the files the text may copy from (or --ckpt CKPT to see "
                  "those a bot was trained on)");
    if (o->index && o->save_index)
        cli_usage("--index reads an index, --save-index writes one: give one of them");
    if (o->save_index && o->ncorpus == 0)
        cli_usage("--save-index: give the corpus files to index");
    const char *text = o->text ? o->text : "-";
    int stdin_users = is_stdin(text) + (o->ckpt && is_stdin(o->ckpt)) +
                      (o->index && is_stdin(o->index));
    for (int i = 0; i < o->ncorpus; i++)
        stdin_users += is_stdin(o->corpus[i]);
    /* (--ckpt - alone reads the checkpoint from standard input, and only lists its files) */
    if (stdin_users > 1 && (o->ncorpus > 0 || o->index || !is_stdin(text) || !o->ckpt))
        cli_usage("standard input can hold only one of the text, a corpus and the checkpoint");
}

/* ---- output helpers ---- */
static void outs(const char *s) { cli_write(s, strlen(s)); }
static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Text for HTML, in an element or an attribute: & < > " ' as references. */
static void put_html(cli_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': cli_buf_puts(b, "&amp;"); break;
        case '<': cli_buf_puts(b, "&lt;"); break;
        case '>': cli_buf_puts(b, "&gt;"); break;
        case '"': cli_buf_puts(b, "&quot;"); break;
        case '\'': cli_buf_puts(b, "&#39;"); break;
        default: cli_buf_add(b, s + i, 1);
        }
    }
}

/* A JSON string: '"', '\' and control characters escaped (and U+2028, U+2029, which some
 * JavaScript parsers refuse raw); invalid UTF-8 (a file name) as U+FFFD. */
static void json_string(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    outs("\"");
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            outs("\\ufffd");
            i++;
            continue;
        }
        if (cp == '"') outs("\\\"");
        else if (cp == '\\') outs("\\\\");
        else if (cp == '\n') outs("\\n");
        else if (cp == '\t') outs("\\t");
        else if (cp == '\r') outs("\\r");
        else if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029)
            cli_printf("\\u%04x", (unsigned)cp);
        else cli_write(s + i, k);
        i += k;
    }
    outs("\"");
}
static void json_str(const char *s) { json_string(s, strlen(s)); }

/* ---- the text ---- */
typedef struct text {
    unsigned char *bytes;
    size_t len;
    uint32_t *cp;       /* (n) code points */
    size_t *at;         /* (n + 1) byte offset of each code point, then len */
    size_t n;
} text;

static void free_text(text *t)
{
    free(t->bytes);
    free(t->cp);
    free(t->at);
}

static void read_text(const char *path, text *t)
{
    t->bytes = cli_read_all(path, &t->len);
    cli_require_utf8(path, t->bytes, t->len);
    size_t n = cr_utf8_count(t->bytes, t->len);
    t->cp = malloc((n + 1) * sizeof *t->cp);
    t->at = malloc((n + 1) * sizeof *t->at);
    if (!t->cp || !t->at) cli_die(shown(path), "out of memory");
    t->n = 0;
    for (size_t i = 0; i < t->len;) {
        t->at[t->n] = i;
        i += cr_utf8_decode(t->bytes + i, t->len - i, &t->cp[t->n++]);
    }
    t->at[t->n] = t->len;
}

/* Whether code point i of a text ends a line: \n, a lone \r (\r\n ends at its \n). */
static int line_end(const uint32_t *cp, size_t n, size_t i)
{
    return cp[i] == '\n' || (cp[i] == '\r' && !(i + 1 < n && cp[i + 1] == '\n'));
}

/* ---- what was copied ---- */
typedef struct source_tally {
    size_t file, spans, chars;
} source_tally;

typedef struct report {
    cr_corpus_span *spans;
    size_t nspans;
    size_t *line, *column;   /* (nspans) where each span starts in the text, from 1 */
    size_t copied;           /* code points inside at least one span */
    size_t longest;          /* index of the longest span (the first of equals) */
    size_t lines, whole;     /* non-blank lines of the text; those inside one span */
    source_tally *sources;   /* (nfiles) by characters copied, most first */
} report;

/* The pieces to mark: the spans in order, each from where the one before it ended. */
typedef struct piece {
    size_t start, end, span;
} piece;

static piece *pieces(const report *r, size_t *n)
{
    piece *p = malloc((r->nspans + 1) * sizeof *p);
    if (!p) cli_die(NULL, "out of memory");
    size_t done = 0;
    *n = 0;
    for (size_t i = 0; i < r->nspans; i++) {
        size_t a = r->spans[i].start > done ? r->spans[i].start : done;
        size_t b = r->spans[i].start + r->spans[i].length;
        if (a < b) p[(*n)++] = (piece){a, b, i};
        done = b;
    }
    return p;
}

static int by_chars(const void *a, const void *b)
{
    const source_tally *x = a, *y = b;
    if (x->chars != y->chars) return x->chars < y->chars ? 1 : -1;
    if (x->spans != y->spans) return x->spans < y->spans ? 1 : -1;
    return x->file < y->file ? -1 : x->file > y->file;
}

static void tally(const cr_corpus_index *ix, const text *t, report *r)
{
    size_t nf = cr_corpus_index_files(ix);
    r->line = calloc(r->nspans + 1, sizeof *r->line);
    r->column = calloc(r->nspans + 1, sizeof *r->column);
    r->sources = calloc(nf, sizeof *r->sources);
    if (!r->line || !r->column || !r->sources) cli_die(NULL, "out of memory");
    for (size_t f = 0; f < nf; f++)
        r->sources[f].file = f;
    size_t done = 0; /* the copied code points before this are counted */
    r->longest = 0;
    for (size_t i = 0; i < r->nspans; i++) {
        const cr_corpus_span *s = &r->spans[i];
        size_t end = s->start + s->length;
        r->copied += end - (s->start > done ? s->start : done);
        done = end;
        if (s->length > r->spans[r->longest].length) r->longest = i;
        r->sources[s->first.file].spans++;
    }
    size_t np;
    piece *p = pieces(r, &np);
    for (size_t k = 0; k < np; k++) /* each copied character counts once, for one source */
        r->sources[r->spans[p[k].span].first.file].chars += p[k].end - p[k].start;
    free(p);
    qsort(r->sources, nf, sizeof *r->sources, by_chars);
    /* the text's lines: each span's line and column, and the lines copied whole */
    size_t line = 1, start = 0, k = 0, j = 0;
    for (size_t i = 0; i <= t->n; i++) {
        for (; k < r->nspans && r->spans[k].start == i; k++) {
            r->line[k] = line;
            r->column[k] = i - start + 1;
        }
        int end = i == t->n || line_end(t->cp, t->n, i);
        if (!end) continue;
        size_t stop = i > start && t->cp[i - 1] == '\r' && i < t->n && t->cp[i] == '\n' ? i - 1 : i;
        int blank = 1;
        for (size_t c = start; c < stop && blank; c++)
            blank = t->cp[c] == ' ' || t->cp[c] == '\t';
        if (!blank) {
            r->lines++;
            /* the first span ending at or after the line's end has the lowest start of those */
            while (j < r->nspans && r->spans[j].start + r->spans[j].length < stop)
                j++;
            if (j < r->nspans && r->spans[j].start <= start) r->whole++;
        }
        line++;
        start = i + 1;
    }
}

/* ---- plain and coloured text ---- */
/* The text with each copied region marked: overlapping or touching spans make one region. */
static void write_marked(const text *t, const report *r, int color)
{
    size_t np;
    piece *p = pieces(r, &np);
    size_t k = 0, end = 0; /* the region being written ends before end */
    for (size_t i = 0; i < t->n; i++) {
        if (k < np && i == p[k].start) {
            for (end = p[k].end; k + 1 < np && p[k + 1].start == end; k++)
                end = p[k + 1].end;
            k++;
            outs(color ? "\033[7m" : "[[");
        }
        const unsigned char *c = t->bytes + t->at[i];
        size_t len = t->at[i + 1] - t->at[i];
        int brk = t->cp[i] == '\n' || t->cp[i] == '\r';
        if (color && i < end && brk) {
            outs("\033[0m"); /* a line end in colour would paint the rest of the line */
            cli_write(c, len);
            if (i + 1 < end) outs("\033[7m");
        } else if (!color && (t->cp[i] == '[' || t->cp[i] == ']' || t->cp[i] == '\\')) {
            outs("\\");
            cli_write(c, len);
        } else {
            cli_write(c, len);
        }
        if (i + 1 == end) {
            if (!color) outs("]]");
            else if (!brk) outs("\033[0m");
        }
    }
    /* the summary starts on a line of its own, after a blank line */
    int at_line_start = t->n == 0 || (line_end(t->cp, t->n, t->n - 1) && !(!color && end == t->n));
    outs(at_line_start ? "\n" : "\n\n");
    free(p);
}

static void write_summary(const cr_corpus_index *ix, const text *t, const report *r, size_t min)
{
    if (t->n == 0) {
        outs("nothing copied: the text is empty\n");
        return;
    }
    if (r->nspans == 0) {
        cli_printf("nothing copied: no run of %zu or more characters of the text (%zu "
                   "characters) occurs in the corpus\n", min, t->n);
        return;
    }
    cli_printf("copied: %zu of %zu characters (%.1f%%), in %zu %s of %zu or more\n", r->copied,
               t->n, 100.0 * (double)r->copied / (double)t->n, r->nspans,
               plural(r->nspans, "span", "spans"), min);
    const cr_corpus_span *l = &r->spans[r->longest];
    cli_printf("longest: %zu characters, from %s:%llu:%llu\n", l->length,
               cr_corpus_index_name(ix, l->first.file), (unsigned long long)l->first.line,
               (unsigned long long)l->first.column);
    cli_printf("whole lines copied: %zu of %zu non-blank %s\n", r->whole, r->lines,
               plural(r->lines, "line", "lines"));
    outs("quoted most:");
    size_t nf = cr_corpus_index_files(ix);
    for (size_t i = 0; i < nf && i < 5 && r->sources[i].spans; i++)
        cli_printf("%s %s (%zu %s, %zu characters)", i ? ";" : "",
                   cr_corpus_index_name(ix, r->sources[i].file), r->sources[i].spans,
                   plural(r->sources[i].spans, "span", "spans"), r->sources[i].chars);
    outs("\n");
}

/* ---- JSON ---- */
static void write_json(const cr_corpus_index *ix, const text *t, const report *r, size_t min,
                       const char *lineage_json)
{
    cli_printf("{\"min\": %zu, \"characters\": %zu, \"copied\": %zu, \"share\": %.6g,\n", min,
               t->n, r->copied, t->n ? (double)r->copied / (double)t->n : 0.0);
    cli_printf("\"lines\": %zu, \"whole_lines\": %zu,\n\"spans\": [", r->lines, r->whole);
    for (size_t i = 0; i < r->nspans; i++) {
        const cr_corpus_span *s = &r->spans[i];
        cli_printf("%s\n  {\"start\": %zu, \"length\": %zu, \"line\": %zu, \"column\": %zu, "
                   "\"source\": {\"file\": ", i ? "," : "", s->start, s->length, r->line[i],
                   r->column[i]);
        json_str(cr_corpus_index_name(ix, s->first.file));
        cli_printf(", \"index\": %u, \"line\": %llu, \"column\": %llu}, \"others\": %llu, "
                   "\"text\": ", (unsigned)s->first.file, (unsigned long long)s->first.line,
                   (unsigned long long)s->first.column, (unsigned long long)s->others);
        json_string((const char *)t->bytes + t->at[s->start],
                    t->at[s->start + s->length] - t->at[s->start]);
        outs("}");
    }
    outs(r->nspans ? "\n],\n" : "],\n");
    if (r->nspans) cli_printf("\"longest\": %zu,\n\"sources\": [", r->longest);
    else outs("\"longest\": null,\n\"sources\": [");
    size_t nf = cr_corpus_index_files(ix);
    for (size_t i = 0; i < nf; i++) {
        outs(i ? ",\n  {\"file\": " : "\n  {\"file\": ");
        json_str(cr_corpus_index_name(ix, r->sources[i].file));
        cli_printf(", \"index\": %zu, \"spans\": %zu, \"characters\": %zu}", r->sources[i].file,
                   r->sources[i].spans, r->sources[i].chars);
    }
    outs("\n]");
    if (lineage_json) outs(lineage_json);
    outs("}\n");
}

/* ---- the page ---- */
static const char PAGE_STYLE[] =
    "body{font:17px/1.5 Georgia,'Times New Roman',serif;max-width:46em;margin:2em auto;"
    "padding:0 1em;color:#222;background:#fffdf8}\n"
    "h1{font-size:1.4em}ul{padding-left:1.2em}\n"
    ".text{white-space:pre-wrap;overflow-wrap:anywhere;font:15px/1.7 ui-monospace,Menlo,"
    "Consolas,monospace;border-top:1px solid #ccc;padding-top:1em}\n"
    "mark{background:#ffd666;border-radius:2px;position:relative;cursor:help}\n"
    "mark.b{background:#ffab7a}\n"
    "mark:hover::after,mark:focus::after{content:attr(data-source);position:absolute;left:0;"
    "top:1.7em;z-index:1;background:#222;color:#fff;padding:.2em .5em;border-radius:3px;"
    "font:13px/1.4 sans-serif;white-space:pre;pointer-events:none}\n";

static void page_source(cli_buf *b, const cr_corpus_index *ix, const cr_corpus_span *s)
{
    const char *name = cr_corpus_index_name(ix, s->first.file);
    char where[160];
    snprintf(where, sizeof where, ", line %llu, column %llu",
             (unsigned long long)s->first.line, (unsigned long long)s->first.column);
    cli_buf_puts(b, "copied from ");
    put_html(b, name, strlen(name));
    cli_buf_puts(b, where);
    if (s->others) cli_buf_printf(b, " (and %llu more %s)", (unsigned long long)s->others,
                        plural(s->others, "place", "places"));
    cli_buf_printf(b, ": %zu characters", s->length);
}

static void build_page(cli_buf *b, const cr_corpus_index *ix, const text *t, const report *r,
                       size_t min)
{
    cli_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>What the text copies</title>\n<style>\n");
    cli_buf_puts(b, PAGE_STYLE);
    cli_buf_puts(b, "</style>\n</head>\n<body>\n<h1>What the text copies from its corpus</h1>\n"
                    "<ul>\n");
    if (r->nspans == 0) {
        cli_buf_printf(b,
                       "<li>Nothing copied: no run of %zu or more characters of the text (%zu "
                       "characters) occurs in the corpus.</li>\n",
                       min, t->n);
    } else {
        cli_buf_printf(b,
                       "<li>Copied: %zu of %zu characters (%.1f%%), in %zu %s of %zu or "
                       "more.</li>\n",
                       r->copied, t->n, 100.0 * (double)r->copied / (double)t->n, r->nspans,
                       plural(r->nspans, "span", "spans"), min);
        cli_buf_puts(b, "<li>Longest: ");
        page_source(b, ix, &r->spans[r->longest]);
        cli_buf_printf(b,
                       ".</li>\n<li>Whole lines copied: %zu of %zu non-blank %s.</li>\n"
                       "<li>Quoted most:",
                       r->whole, r->lines, plural(r->lines, "line", "lines"));
        for (size_t i = 0; i < cr_corpus_index_files(ix) && i < 5 && r->sources[i].spans; i++) {
            const char *name = cr_corpus_index_name(ix, r->sources[i].file);
            cli_buf_puts(b, i ? "; " : " ");
            put_html(b, name, strlen(name));
            cli_buf_printf(b, " (%zu %s, %zu characters)", r->sources[i].spans,
                           plural(r->sources[i].spans, "span", "spans"), r->sources[i].chars);
        }
        cli_buf_puts(b, ".</li>\n<li>Point at (or tap) a highlighted passage to see where it comes "
                        "from.</li>\n");
    }
    cli_buf_puts(b, "</ul>\n<div class=\"text\">");
    size_t np, at = 0;
    piece *p = pieces(r, &np);
    for (size_t k = 0; k < np; k++) {
        put_html(b, (const char *)t->bytes + t->at[at], t->at[p[k].start] - t->at[at]);
        cli_buf_printf(b, "<mark tabindex=\"0\" class=\"%s\" data-source=\"", k & 1 ? "b" : "a");
        page_source(b, ix, &r->spans[p[k].span]);
        cli_buf_puts(b, "\" title=\"");
        page_source(b, ix, &r->spans[p[k].span]);
        cli_buf_puts(b, "\">");
        put_html(b, (const char *)t->bytes + t->at[p[k].start],
                 t->at[p[k].end] - t->at[p[k].start]);
        cli_buf_puts(b, "</mark>");
        at = p[k].end;
    }
    put_html(b, (const char *)t->bytes + t->at[at], t->len - t->at[at]);
    cli_buf_puts(b, "</div>\n</body>\n</html>\n");
    free(p);
}

/* Writes the page through the library's safe save (save.c): a regular file is replaced
 * atomically, anything else is written in place, a link stays a link. */
static void write_page(const char *path, const cli_buf *b)
{
    cr_error err;
    if (cr_save_file(path, b->p, b->n, &err) != CR_OK)
        cli_die(path, "cannot write the page: %s", err.message);
}

/* ---- the corpus files: given, recorded in a checkpoint, or in an index ---- */
typedef struct corpus {
    const char *name;       /* as given, or as recorded */
    char *own;              /* the name's copy when it is this struct's, or NULL */
    unsigned char *bytes;   /* (len) its bytes, or NULL when the index holds its text */
    size_t len;
    unsigned char sha[32];
} corpus;

static void hex(const unsigned char sha[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Reads a corpus file (it must be UTF-8) and takes its SHA-256. */
static void load_file(corpus *c, const char *path)
{
    c->name = path;
    c->bytes = cli_read_all(path, &c->len);
    cli_require_utf8(path, c->bytes, c->len);
    cr_sha256 h;
    cr_sha256_init(&h);
    cr_sha256_update(&h, c->bytes, c->len);
    cr_sha256_final(&h, c->sha);
}

enum { HERE_SAME = 1, HERE_MISSING = 0, HERE_CHANGED = -1 };

/* Whether the file at path is the one recorded (bytes, sha): HERE_SAME (then loaded into *c),
 * HERE_MISSING (why: the system's reason) or HERE_CHANGED (why: "(N bytes then, M now)"). */
static int same_file_here(const char *path, uint64_t bytes, const unsigned char sha[32],
                          corpus *c, char *why, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, n, "%s", strerror(errno));
        return HERE_MISSING;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size != bytes) {
        snprintf(why, n, "(%llu bytes then, %llu now)", (unsigned long long)bytes,
                 (unsigned long long)st.st_size);
        return HERE_CHANGED;
    }
    load_file(c, path); /* (dies for a folder, as any corpus file given would) */
    if (c->len != bytes || memcmp(c->sha, sha, 32) != 0) {
        snprintf(why, n, "(%zu bytes then and now, but not the same SHA-256)", c->len);
        free(c->bytes);
        c->bytes = NULL;
        return HERE_CHANGED;
    }
    return HERE_SAME;
}

static void free_corpus(corpus *c, int n)
{
    for (int i = 0; i < n; i++) {
        free(c[i].bytes);
        free(c[i].own);
    }
    free(c);
}

/* ---- the checkpoint's lineage ---- */
/* The distinct sources of every session, oldest first: *out (n) points into the model. */
static size_t lineage(const cr_model *m, const cr_source ***out)
{
    const cr_session *s;
    size_t ns = cr_model_sessions(m, &s), n = 0, total = 0;
    for (size_t i = 0; i < ns; i++)
        total += s[i].nsources;
    const cr_source **list = malloc((total + 1) * sizeof *list);
    if (!list) cli_die(NULL, "out of memory");
    for (size_t i = 0; i < ns; i++)
        for (uint32_t j = 0; j < s[i].nsources; j++) {
            const cr_source *src = &s[i].sources[j];
            size_t k = 0;
            while (k < n && !(strcmp(list[k]->name, src->name) == 0 &&
                              memcmp(list[k]->sha256, src->sha256, 32) == 0))
                k++;
            if (k == n) list[n++] = src;
        }
    *out = list;
    return n;
}

static void list_lineage(const char *ckpt, int json)
{
    cr_model *m = cli_read_model(ckpt, shown(ckpt), NULL);
    const cr_source **src;
    size_t n = lineage(m, &src);
    if (json) outs("{\"trained_on\": [");
    for (size_t i = 0; i < n; i++) {
        char h[65];
        hex(src[i]->sha256, h);
        if (json) {
            outs(i ? ",\n  {\"file\": " : "\n  {\"file\": ");
            json_str(src[i]->name);
            cli_printf(", \"bytes\": %llu, \"sha256\": \"%s\"}",
                       (unsigned long long)src[i]->bytes, h);
        } else {
            cli_printf("%s\n", src[i]->name);
        }
    }
    if (json) outs(n ? "\n]}\n" : "]}\n");
    fflush(stdout); /* the list, then the note that says "above", in one log */
    if (n == 0)
        cli_warn("%s records no training files (a model imported from ml5.js, or trained "
                 "before lineage was kept)", shown(ckpt));
    else if (!json)
        cli_warn("%s was trained on the %zu %s above; to see what a text copies from them: "
                 "trace --ckpt %s FILE... < text", shown(ckpt), n, plural(n, "file", "files"),
                 ckpt);
    free(src);
    cr_model_free(m);
}

/* The files ckpt was trained on, when every one is here, at the path recorded, as it was:
 * loaded into *out (n), and 1. Otherwise 0, having said on standard error which are not. */
static int recorded_corpus(const char *ckpt, corpus **out, int *n)
{
    cr_model *m = cli_read_model(ckpt, shown(ckpt), NULL);
    const cr_source **src;
    size_t ns = lineage(m, &src), ok = 0;
    corpus *c = calloc(ns + 1, sizeof *c);
    if (!c) cli_die(NULL, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        char why[160];
        if (strcmp(src[i]->name, "-") == 0) {
            cli_warn("%s was trained on standard input, whose text is not kept", shown(ckpt));
            continue;
        }
        int here = same_file_here(src[i]->name, src[i]->bytes, src[i]->sha256, &c[ok], why,
                                  sizeof why);
        if (here == HERE_SAME) {
            c[ok].own = malloc(strlen(src[i]->name) + 1);
            if (!c[ok].own) cli_die(NULL, "out of memory");
            strcpy(c[ok].own, src[i]->name);
            c[ok].name = c[ok].own;
            ok++;
        } else if (here == HERE_MISSING) {
            cli_warn("%s was trained on %s, which is not here", shown(ckpt), src[i]->name);
        } else {
            cli_warn("%s was trained on %s, which has changed since %s", shown(ckpt),
                     src[i]->name, why);
        }
    }
    free(src);
    cr_model_free(m);
    if (ns > 0 && ok == ns) {
        *out = c;
        *n = (int)ns;
        return 1;
    }
    free_corpus(c, (int)ok);
    return 0;
}

/* Compares the corpus files with the checkpoint's sources; tells the user on standard error
 * and returns the same as a JSON member (allocated). found: the files are those recorded. */
static char *check_lineage(const char *ckpt, const corpus *c, int nc, int found)
{
    cr_model *m = cli_read_model(ckpt, shown(ckpt), NULL);
    const cr_source **src;
    size_t n = lineage(m, &src), bad = 0;
    cli_buf j = {0};
    cli_buf_puts(&j, ",\n\"lineage\": [");
    int *used = calloc((size_t)nc + 1, sizeof *used);
    if (!used) cli_die(NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *status = "missing";
        int k = 0;
        while (k < nc && !(c[k].len == src[i]->bytes && memcmp(c[k].sha, src[i]->sha256, 32) == 0))
            k++;
        if (k < nc) {
            status = "given";
            used[k] = 1;
        } else {
            for (k = 0; k < nc && strcmp(base(c[k].name), base(src[i]->name)) != 0; k++)
                ;
            if (k < nc) status = "different";
        }
        char h[65];
        hex(src[i]->sha256, h);
        if (strcmp(status, "missing") == 0) {
            bad++;
            cli_warn("%s was trained on %s (%llu bytes), which is not among the corpus files "
                     "given: copies from it go unseen; add it to the command", shown(ckpt),
                     shown(src[i]->name), (unsigned long long)src[i]->bytes);
        } else if (strcmp(status, "different") == 0) {
            bad++;
            used[k] = 1;
            cli_warn("%s was trained on %s (%llu bytes, SHA-256 %.12s...), but %s given here "
                     "differs (%zu bytes): it has changed since, so some copies may go unseen",
                     shown(ckpt), shown(src[i]->name), (unsigned long long)src[i]->bytes, h,
                     c[k].name, c[k].len);
        }
        cli_buf_puts(&j, i ? ",\n  {\"file\": \"" : "\n  {\"file\": \"");
        for (const char *p = src[i]->name; *p; p++) { /* a name, escaped for JSON */
            unsigned char ch = (unsigned char)*p;
            if (ch == '"' || ch == '\\') cli_buf_printf(&j, "\\%c", ch);
            else if (ch < 0x20 || ch == 0x7F) cli_buf_printf(&j, "\\u%04x", ch);
            else cli_buf_add(&j, p, 1);
        }
        cli_buf_printf(&j, "\", \"bytes\": %llu, \"sha256\": \"%s\", \"status\": \"%s\"}",
             (unsigned long long)src[i]->bytes, h, status);
    }
    cli_buf_puts(&j, n ? "\n]" : "]");
    for (int k = 0; k < nc; k++)
        if (!used[k] && n > 0)
            cli_warn("%s is not among the files %s was trained on", c[k].name, shown(ckpt));
    if (n == 0)
        cli_warn("%s records no training files to check the corpus against", shown(ckpt));
    else if (found)
        cli_warn("tracing with the %zu %s %s was trained on, found here as they were", n,
                 plural(n, "file", "files"), shown(ckpt));
    else if (bad == 0 && n == 1)
        cli_warn("the corpus files given include the one file %s was trained on", shown(ckpt));
    else if (bad == 0)
        cli_warn("the corpus files given include all %zu files %s was trained on", n, shown(ckpt));
    free(used);
    free(src);
    cr_model_free(m);
    return j.p;
}

/* ---- a saved index ---- */
/* How to make the index at path again, from its files, for messages. */
static const char *again(const char *path, const cr_corpus_index *ix, char *out, size_t n)
{
    size_t at = (size_t)snprintf(out, n, "make it again: trace --save-index %s", path);
    size_t nf = cr_corpus_index_files(ix);
    for (size_t f = 0; f < nf && at < n; f++)
        at += (size_t)snprintf(out + at, n - at, " %s", cr_corpus_index_name(ix, f));
    if (at >= n) snprintf(out, n, "make it again: trace --save-index %s CORPUS...", path);
    return out;
}

/* Reads the index at path, refusing a damaged one, then holds it against the corpus files
 * given (the same number, each as recorded), or when none are given against the files at the
 * paths it records: a file that has changed since makes it stale, refused. A recorded file that
 * is not here is only noted: the index holds its text. */
static cr_corpus_index *read_index(const char *path, char **given, int ngiven, corpus **out)
{
    size_t len;
    unsigned char *b = cli_read_all(path, &len);
    cr_corpus_index *ix;
    cr_error err;
    char hint[400];
    if (cr_corpus_index_decode(b, len, &ix, &err) != CR_OK) {
        free(b);
        if (err.code == CR_EVERSION || err.code == CR_ENOMEM) cli_die_err(shown(path), &err);
        if (strncmp(err.message, "not a charrnn", 13) == 0)
            cli_die(shown(path), "%s; --index reads a file made by trace --save-index FILE "
                    "CORPUS...", err.message);
        cli_die(shown(path), "%s; make it again: trace --save-index %s CORPUS...", err.message,
                path);
    }
    free(b);
    size_t nf = cr_corpus_index_files(ix);
    if (ngiven > 0 && (size_t)ngiven != nf)
        cli_die(shown(path), "the index was made from %zu %s, not the %d given; %s", nf,
                plural(nf, "file", "files"), ngiven, again(path, ix, hint, sizeof hint));
    corpus *c = calloc(nf, sizeof *c);
    if (!c) cli_die(NULL, "out of memory");
    for (size_t f = 0; f < nf; f++) {
        const char *name = ngiven ? given[f] : cr_corpus_index_name(ix, f);
        char why[160];
        int here = same_file_here(name, cr_corpus_index_bytes(ix, f),
                                  cr_corpus_index_sha256(ix, f), &c[f], why, sizeof why);
        if (here == HERE_SAME) {
            free(c[f].bytes); /* the index holds the text */
            c[f].bytes = NULL;
        } else if (ngiven && here == HERE_MISSING) {
            cli_die(shown(name), "%s", why);
        } else if (here == HERE_CHANGED) {
            cli_die(shown(path), "the index is stale: %s %s %s; %s", shown(name),
                    ngiven ? "is not the file it was made from" : "has changed since it was made",
                    why, again(path, ix, hint, sizeof hint));
        } else {
            cli_warn("%s: %s is not here; tracing with the copy of its text in the index",
                     shown(path), name);
        }
        c[f].name = ngiven ? given[f] : cr_corpus_index_name(ix, f);
        c[f].len = (size_t)cr_corpus_index_bytes(ix, f);
        memcpy(c[f].sha, cr_corpus_index_sha256(ix, f), 32);
    }
    *out = c;
    return ix;
}

static size_t index_bytes(const corpus *c, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += c[i].len;
    return total;
}

int main(int argc, char **argv)
{
    cli_set_prog("trace", argv[0]);
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    const char *text_path = o.text ? o.text : "-";
    int have_text = o.text || !isatty(0);
    text t = {0};
    int text_read = 0;
    if (o.ckpt && o.ncorpus == 0 && !o.index && have_text && !o.text && !is_stdin(o.ckpt)) {
        read_text(text_path, &t); /* nothing piped in (a script's /dev/null) asks for the list */
        text_read = 1;
        have_text = t.len > 0;
    }
    /* --ckpt alone with no text (or reading the checkpoint from standard input): its files */
    if (o.ckpt && o.ncorpus == 0 && !o.index && (!have_text || is_stdin(o.ckpt))) {
        list_lineage(o.ckpt, o.json);
        free_text(&t);
        cli_close_stdout();
        return 0;
    }
    /* without a text, only the checks of --ckpt and the save of --save-index are wanted */
    if (!have_text && !o.ckpt && !o.save_index)
        cli_usage("no text to trace: pipe it into standard input, or give --text FILE");

    corpus *c = NULL;
    int nc = o.ncorpus, found = 0;
    cr_corpus_index *ix = NULL;
    if (o.index) {
        ix = read_index(o.index, o.corpus, o.ncorpus, &c);
        nc = (int)cr_corpus_index_files(ix);
    } else if (o.ncorpus > 0) {
        if (!(c = calloc((size_t)o.ncorpus, sizeof *c))) cli_die(NULL, "out of memory");
        for (int i = 0; i < o.ncorpus; i++)
            load_file(&c[i], o.corpus[i]);
    } else if (!(found = recorded_corpus(o.ckpt, &c, &nc))) {
        /* --ckpt alone, and a text: its files are not all here as they were */
        if (o.text || o.html)
            cli_die(shown(o.ckpt), "cannot trace without the files it was trained on (above); "
                    "give the corpus files: trace --ckpt %s FILE...", o.ckpt);
        list_lineage(o.ckpt, o.json);
        free_text(&t);
        cli_close_stdout();
        return 0;
    }
    char *lineage_json = o.ckpt ? check_lineage(o.ckpt, c, nc, found) : NULL;
    cr_error err;
    if (o.save_index && cr_save_check(o.save_index, &err) != CR_OK)
        cli_die(o.save_index, "cannot save the index: %s", err.message);
    if (!ix) {
        cr_corpus_file *cf = calloc((size_t)nc, sizeof *cf);
        if (!cf) cli_die(NULL, "out of memory");
        for (int i = 0; i < nc; i++)
            cf[i] = (cr_corpus_file){c[i].name, c[i].bytes, c[i].len};
        if (cr_corpus_index_build(cf, (size_t)nc, &ix, &err)) cli_die_err(NULL, &err);
        free(cf);
    }
    if (o.save_index && cr_corpus_index_write_file(ix, o.save_index, &err) != CR_OK)
        cli_die(o.save_index, "cannot save the index: %s", err.message);
    if (!have_text) {
        if (o.save_index)
            cli_warn("saved the index of %d %s (%zu bytes of text) in %s", nc, plural((uint64_t)nc,
                     "file", "files"), index_bytes(c, nc), o.save_index);
        free(lineage_json);
        cr_corpus_index_free(ix);
        free_corpus(c, nc);
        cli_close_stdout();
        return 0;
    }
    if (!text_read) read_text(text_path, &t);

    report r;
    memset(&r, 0, sizeof r);
    if (cr_corpus_match(ix, t.cp, t.n, o.min, &r.spans, &r.nspans, &err))
        cli_die_err(shown(text_path), &err);
    tally(ix, &t, &r);

    if (o.html) {
        cli_buf page = {0};
        build_page(&page, ix, &t, &r, o.min);
        write_page(o.html, &page);
        free(page.p);
    }
    if (o.json) {
        write_json(ix, &t, &r, o.min, lineage_json);
    } else {
        if (!o.html) {
            write_marked(&t, &r, o.color);
        }
        write_summary(ix, &t, &r, o.min);
    }
    free(lineage_json);
    free(r.spans);
    free(r.line);
    free(r.column);
    free(r.sources);
    cr_corpus_index_free(ix);
    free_text(&t);
    free_corpus(c, nc);
    cli_close_stdout();
    return 0;
}
