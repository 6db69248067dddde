/* cli.c: what the command-line tools share: messages, strict numbers, files, --help, stdout. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cli_prog = "charrnn";

void cli_set_prog(const char *name, const char *argv0)
{
    const char *base = argv0 ? strrchr(argv0, '/') : NULL;
    base = base ? base + 1 : argv0;
    cli_prog = base && strncmp(base, "charrnn-", 8) == 0 ? base : name;
}

void cli_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", cli_prog);
    exit(2);
}

void cli_die(const char *where, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    if (where) fprintf(stderr, "%s: ", where);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_die_err(const char *where, const cr_error *err) { cli_die(where, "%s", err->message); }

void cli_bad_option(int argc, char **argv, int ch)
{
    const char *arg = optind - 1 < argc ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, 0};
    const char *name = strncmp(arg, "--", 2) == 0 || optopt <= 0 || optopt > 127 ? arg : shortopt;
    if (ch == ':') cli_usage("option '%s' needs a value", name);
    cli_usage("unknown option '%s'", name);
}

/* ---- numbers ---- */

static int digit(char c) { return c >= '0' && c <= '9'; }

/* [+-]?[0-9]+ and nothing else: the sign, and the magnitude (*over when it passes 64 bits). */
static int whole(const char *s, int *neg, uint64_t *mag, int *over)
{
    *neg = *over = 0;
    *mag = 0;
    if (*s == '+' || *s == '-') *neg = *s++ == '-';
    if (!digit(*s)) return 0;
    for (; digit(*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*mag > (UINT64_MAX - d) / 10) *over = 1;
        else *mag = *mag * 10 + d;
    }
    return *s == 0;
}

cli_num cli_parse_int(const char *s, long min, long max, long *out)
{
    int neg, over;
    uint64_t mag;
    if (!whole(s, &neg, &mag, &over)) return CLI_NUM_SYNTAX;
    if (over || mag > (uint64_t)LONG_MAX + neg) return CLI_NUM_RANGE;
    long v = !neg ? (long)mag : mag == (uint64_t)LONG_MAX + 1 ? LONG_MIN : -(long)mag;
    if (v < min || v > max) return CLI_NUM_RANGE;
    *out = v;
    return CLI_NUM_OK;
}

cli_num cli_parse_u64(const char *s, uint64_t *out)
{
    int neg, over;
    uint64_t mag;
    if (!whole(s, &neg, &mag, &over)) return CLI_NUM_SYNTAX;
    if (over || (neg && mag)) return CLI_NUM_RANGE;
    *out = mag;
    return CLI_NUM_OK;
}

/* [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)? and nothing else. */
static int real(const char *s)
{
    size_t n = 0;
    if (*s == '+' || *s == '-') s++;
    for (; digit(*s); s++)
        n++;
    if (*s == '.')
        for (s++; digit(*s); s++)
            n++;
    if (n == 0) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!digit(*s)) return 0;
        while (digit(*s))
            s++;
    }
    return *s == 0;
}

cli_num cli_parse_double(const char *s, double min, int min_open, double max, double *out)
{
    if (!real(s)) return CLI_NUM_SYNTAX;
    char *end;
    double v = strtod(s, &end); /* an underflow gives 0 or a subnormal, range-checked below */
    if (*end) return CLI_NUM_SYNTAX; /* a locale whose decimal point is not '.' */
    if (!isfinite(v) || v < min || (min_open && v == min) || v > max) return CLI_NUM_RANGE;
    *out = v;
    return CLI_NUM_OK;
}

/* An argument for a message: one line, control bytes as \xHH, cut after 40 bytes. */
static const char *shown_arg(const char *s, char out[200])
{
    size_t o = 0, i = 0;
    for (; s[i] && i < 40; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7F) o += (size_t)snprintf(out + o, 5, "\\x%02X", b);
        else out[o++] = (char)b;
    }
    while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80 && i < 44) /* finish a character */
        out[o++] = s[i++];
    strcpy(out + o, s[i] ? "..." : "");
    return out;
}

long cli_int(const char *opt, const char *s, long min, long max)
{
    long v = 0;
    char a[200];
    cli_num r = cli_parse_int(s, min, max, &v);
    if (r == CLI_NUM_SYNTAX) cli_usage("%s: '%s' is not a whole number", opt, shown_arg(s, a));
    if (r == CLI_NUM_RANGE)
        cli_usage("%s: %s is out of range (%ld to %ld)", opt, shown_arg(s, a), min, max);
    return v;
}

uint64_t cli_u64(const char *opt, const char *s)
{
    uint64_t v = 0;
    char a[200];
    cli_num r = cli_parse_u64(s, &v);
    if (r == CLI_NUM_SYNTAX) cli_usage("%s: '%s' is not a whole number", opt, shown_arg(s, a));
    if (r == CLI_NUM_RANGE)
        cli_usage("%s: %s is out of range (0 to %llu)", opt, shown_arg(s, a),
                  (unsigned long long)UINT64_MAX);
    return v;
}

double cli_double(const char *opt, const char *s, double min, int min_open, double max)
{
    double v = 0;
    char a[200];
    cli_num r = cli_parse_double(s, min, min_open, max, &v);
    if (r == CLI_NUM_SYNTAX && strchr(s, ',') && strlen(s) < 64) { /* a decimal comma */
        char dot[64], *c;
        snprintf(dot, sizeof dot, "%s", s);
        while ((c = strchr(dot, ',')) != NULL)
            *c = '.';
        double w;
        if (cli_parse_double(dot, -HUGE_VAL, 0, HUGE_VAL, &w) == CLI_NUM_OK)
            cli_usage("%s: '%s' is not a number: use a dot for decimals, as in %s", opt,
                      shown_arg(s, a), dot);
    }
    if (r == CLI_NUM_SYNTAX) cli_usage("%s: '%s' is not a number", opt, shown_arg(s, a));
    if (r == CLI_NUM_RANGE)
        cli_usage("%s: %s is out of range (%s%g to %g)", opt, shown_arg(s, a),
                  min_open ? "above " : "", min, max);
    return v;
}

/* ---- durations ---- */

cli_num cli_parse_seconds(const char *s, double min, double max, double *out)
{
    double v;
    cli_num r = cli_parse_double(s, min, 1, max, &v); /* plain seconds */
    if (r != CLI_NUM_SYNTAX) {
        if (r == CLI_NUM_OK) *out = v;
        return r;
    }
    static const char UNITS[] = "hms";
    static const double SECONDS[] = {3600, 60, 1};
    double total = 0;
    int next = 0; /* units must come in the order h, m, s, each at most once */
    const char *p = s;
    if (!*p) return CLI_NUM_SYNTAX;
    while (*p) {
        const char *u = p;
        while (*u && !strchr(UNITS, *u))
            u++;
        if (!*u || u == p || u - p >= 32) return CLI_NUM_SYNTAX;
        char num[32];
        memcpy(num, p, (size_t)(u - p));
        num[u - p] = 0;
        int k = (int)(strchr(UNITS, *u) - UNITS);
        double x;
        if (k < next || num[0] == '-' || num[0] == '+' ||
            cli_parse_double(num, 0, 0, 1e9, &x) != CLI_NUM_OK)
            return CLI_NUM_SYNTAX;
        total += x * SECONDS[k];
        next = k + 1;
        p = u + 1;
    }
    if (!(total > min && total <= max)) return CLI_NUM_RANGE;
    *out = total;
    return CLI_NUM_OK;
}

double cli_seconds(const char *opt, const char *s, double min, double max)
{
    double v = 0;
    char a[200];
    cli_num r = cli_parse_seconds(s, min, max, &v);
    if (r == CLI_NUM_SYNTAX)
        cli_usage("%s: '%s' is not a duration: give seconds (90), or hours, minutes and "
                  "seconds (2m, 90s, 1h30m)", opt, shown_arg(s, a));
    if (r == CLI_NUM_RANGE)
        cli_usage("%s: %s is out of range (above %g to %g seconds)", opt, shown_arg(s, a), min,
                  max);
    return v;
}

/* ---- id lists ---- */

static int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

cli_ids_status cli_parse_ids(const unsigned char *s, size_t len, uint32_t limit, cli_ids *list,
                             size_t *at, size_t *word_len)
{
    for (size_t i = 0; i < len;) {
        if (is_space(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        uint64_t id = 0; /* saturates above UINT32_MAX, which is out of range anyway */
        int number = 1;
        for (; i < len && !is_space(s[i]); i++) {
            number = number && digit((char)s[i]);
            if (number && id <= UINT32_MAX) id = id * 10 + (uint64_t)(s[i] - '0');
        }
        *at = start;
        *word_len = i - start;
        if (!number) return i - start == 1 && s[start] == '?' ? CLI_IDS_UNKNOWN : CLI_IDS_NOT_ID;
        if (id >= limit) return CLI_IDS_RANGE;
        if (list->n == list->cap) {
            size_t cap = list->cap ? 2 * list->cap : 4096;
            uint32_t *p = cap <= SIZE_MAX / sizeof *p ? realloc(list->ids, cap * sizeof *p) : NULL;
            if (!p) return CLI_IDS_NOMEM;
            list->ids = p;
            list->cap = cap;
        }
        list->ids[list->n++] = (uint32_t)id;
    }
    return CLI_IDS_OK;
}

/* ---- files ---- */

int cli_is_stdin(const char *path) { return strcmp(path, "-") == 0; }

const char *cli_file_name(const char *path) { return cli_is_stdin(path) ? "standard input" : path; }

unsigned char *cli_read_all(const char *path, size_t *len)
{
    int in = cli_is_stdin(path);
    const char *name = cli_file_name(path);
    int fd = in ? 0 : open(path, O_RDONLY);
    if (fd < 0) cli_die(path, "%s", strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) cli_die(name, "out of memory");
        if (n == cap) {
            unsigned char *p = realloc(buf, cap *= 2);
            if (!p) free(buf);
            buf = p;
            continue;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k == 0) break;
        if (k < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf); /* dying, but leak checkers should see nothing lost */
            cli_die(name, "read failed: %s", strerror(e));
        }
        n += (size_t)k;
    }
    if (!in) close(fd);
    *len = n;
    return buf;
}

char **cli_files_or_stdin(char **files, int *n, const char *none)
{
    static char *stdin_only[] = {"-"};
    if (*n > 0) return files;
    if (isatty(0)) cli_usage("%s", none);
    *n = 1;
    return stdin_only;
}

void cli_read_text(char **paths, int n, cli_text *t, cli_text_check check, void *ctx)
{
    t->names = paths;
    t->n = n;
    t->starts = calloc((size_t)n + 1, sizeof *t->starts);
    t->bytes = malloc(1);
    t->len = 0;
    if (!t->starts || !t->bytes) cli_die(NULL, "out of memory");
    for (int i = 0; i < n; i++) {
        size_t len;
        unsigned char *b = cli_read_all(paths[i], &len);
        size_t tlen;
        unsigned char *text = cli_decode_text(paths[i], b, len, 0, &tlen);
        if (check) check(ctx, i, paths[i], b, len, text, tlen);
        unsigned char *all = realloc(t->bytes, t->len + tlen + 1);
        if (!all) cli_die(cli_file_name(paths[i]), "out of memory");
        memcpy(all + t->len, text, tlen);
        t->bytes = all;
        t->starts[i] = t->len;
        t->len += tlen;
        if (text != b) free(text);
        free(b);
    }
}

void cli_text_free(cli_text *t)
{
    free(t->bytes);
    free(t->starts);
}

/* text in double quotes for a message, control bytes as \xNN, cut after 24 bytes */
static const char *quote(const char *text, char out[128])
{
    size_t at = 0;
    out[at++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p && at < 100; p++) {
        if (*p < 0x20 || *p == 0x7F || *p == '"' || *p == '\\')
            at += (size_t)snprintf(out + at, 128 - at, "\\x%02X", *p);
        else
            out[at++] = (char)*p;
    }
    snprintf(out + at, 128 - at, "\"");
    return out;
}

static int no_signature(const cr_error *err)
{
    return err->code == CR_EFORMAT && strncmp(err->message, "not a charrnn checkpoint", 24) == 0;
}

void cli_explain_not_checkpoint(const char *path, const cr_error *err, const unsigned char *head,
                                size_t n)
{
    /* only for bytes without a checkpoint's signature, not for a damaged checkpoint */
    if (!no_signature(err)) return;
    const char *name = cli_file_name(path);
    if (n > 4096) n = 4096;
    cr_text_kind k;
    cr_text_sniff(head, n, &k);
    if (k.kind == CR_TEXT_BINARY)
        cli_die(name, "this is %s, not a checkpoint (a trained bot)", k.what);
    size_t bad;
    int text = n > 0 && (k.kind != CR_TEXT_UTF8 || cr_utf8_valid(head, n, &bad) ||
                         bad + 4 > n); /* a character cut by the end of what was read */
    if (text)
        cli_die(name, "this is text, not a checkpoint (a trained bot): train one on it first, "
                "for example 'train-charrnn --time 120 -o bot.ckpt %s', then use bot.ckpt",
                cli_is_stdin(path) ? "corpus.txt" : path);
}

/* cli_explain_not_checkpoint for a file named by path, from its first bytes. */

/* cli_explain_not_checkpoint for a regular file named by path, from its first bytes (a FIFO
 * or standard input cannot be read twice). */
static void not_a_checkpoint(const char *path, const cr_error *err)
{
    unsigned char head[4096];
    struct stat st;
    if (!no_signature(err) || cli_is_stdin(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n > 0) cli_explain_not_checkpoint(path, err, head, (size_t)n);
}

cr_model *cli_read_model(const char *path, const char *name, cr_ml5_report *report)
{
    cr_model *m;
    cr_error err;
    cr_ml5_report rep;
    memset(&rep, 0, sizeof rep);
    if (!cr_ckpt_is_folder(path)) {
        if (cr_ckpt_read_file(path, &m, &err)) {
            not_a_checkpoint(path, &err);
            cli_die_err(name, &err);
        }
    } else {
        if (cr_ml5_read(path, &m, &rep, &err)) cli_die_err(name, &err);
        const cr_vocab *v = cr_model_vocab(m);
        for (uint32_t i = 0; i < rep.nodd && i < CR_ML5_MAX_ODD; i++) {
            char q[128];
            const cr_ml5_odd *k = &rep.odd[i];
            cli_warn("%s: vocab.json byte %lld: the key %s (id %u) is not one character; kept "
                     "as that text, which sampling writes whole as ml5 does, and which no prime "
                     "or corpus can contain", name, k->offset, quote(v->strings[k->id], q),
                     (unsigned)k->ml5_id);
        }
        if (rep.nodd > CR_ML5_MAX_ODD)
            cli_warn("%s: vocab.json: %u more keys that are not one character", name,
                     (unsigned)(rep.nodd - CR_ML5_MAX_ODD));
    }
    if (report) *report = rep;
    return m;
}


/* ---- text in any encoding ---- */

const char *cli_from_encoding; /* --from-encoding, or NULL */
const char *cli_not_utf8_hint = "";
int cli_has_from_encoding;

/* The user's file name in place of FILE in advice. */
static void advise(const char *advice, const char *name, char *out, size_t cap)
{
    const char *at = strstr(advice, "FILE");
    if (!at || strcmp(name, "standard input") == 0) {
        snprintf(out, cap, "%s", advice);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(at - advice), advice, name, at + 4);
}

_Noreturn static void die_binary(const char *name, const unsigned char *t, size_t len,
                                 const cr_text_kind *k)
{
    const unsigned char *nul = memchr(t, 0, len < 4096 ? len : 4096);
    if (strncmp(k->what, "binary data", 11) == 0 && nul)
        cli_die(name, "a NUL byte at byte %zu: this looks like binary data, not text (clean "
                "--repair can remove stray control characters)", (size_t)(nul - t));
    char advice[256];
    advise(k->advice, name, advice, sizeof advice);
    cli_die(name, "this is %s, not text: %s", k->what, advice);
}

void cli_die_not_utf8(const char *path, const unsigned char *t, size_t len, size_t bad,
                      const char *also)
{
    size_t line = 1;
    for (size_t i = 0; i < bad; i++)
        line += t[i] == '\n';
    cr_legacy_guess g;
    cr_text_guess_legacy(t, len, &g);
    const char *name = cli_file_name(path);
    if (g.encoding && cli_has_from_encoding)
        cli_die(name, "invalid UTF-8 at byte %zu (line %zu): it looks like %s; read it with "
                "--from-encoding %s%s", bad, line, g.description, g.encoding, also);
    if (g.encoding)
        cli_die(name, "invalid UTF-8 at byte %zu (line %zu): it looks like %s; convert it "
                "first with 'clean --from-encoding %s %s > text.txt'%s", bad, line,
                g.description, g.encoding, cli_is_stdin(path) ? "FILE" : path, also);
    if (g.description)
        cli_die(name, "invalid UTF-8 at byte %zu (line %zu): it looks like %s; %sgive its name "
                "with --from-encoding NAME ('iconv -l' lists them)%s", bad, line, g.description,
                cli_has_from_encoding ? "" : "convert it first with clean, and ", also);
    cli_die(name, "invalid UTF-8 at byte %zu (line %zu)%s", bad, line, also);
}

/* bytes (len) converted from the encoding from into a new buffer; dies naming the byte. */
static unsigned char *recode(const char *name, const unsigned char *bytes, size_t len,
                             const char *from, size_t *out_len)
{
    cr_recoder *r;
    cr_error err;
    if (cr_recoder_new(from, &r, &err) != CR_OK) cli_usage("--from-encoding: %s", err.message);
    const unsigned char *piece;
    size_t n, m;
    if (cr_recoder_push(r, bytes, len, &piece, &n, &err) != CR_OK) cli_die_err(name, &err);
    unsigned char *out = malloc(n + 1);
    if (!out) cli_die(name, "out of memory");
    memcpy(out, piece, n);
    if (cr_recoder_finish(r, &piece, &m, &err) != CR_OK) cli_die_err(name, &err);
    if (m) {
        unsigned char *more = realloc(out, n + m + 1);
        if (!more) cli_die(name, "out of memory");
        out = more;
        memcpy(out + n, piece, m);
    }
    cr_recoder_free(r);
    *out_len = n + m;
    return out;
}

unsigned char *cli_decode_text(const char *path, unsigned char *bytes, size_t len, int repair,
                               size_t *out_len)
{
    const char *name = cli_file_name(path);
    cr_text_kind k;
    cr_text_sniff(bytes, len, &k);
    int nul_only = k.kind == CR_TEXT_BINARY && strncmp(k.what, "binary data", 11) == 0;
    /* NUL bytes alone do not make a file binary when the user named its encoding (UTF-16 of
     * a non-Latin script has few) or asked for repair; a known file format always does */
    if (k.kind == CR_TEXT_BINARY && !((repair || cli_from_encoding) && nul_only))
        die_binary(name, bytes, len, &k);
    if (cli_from_encoding) {
        size_t bad_at;
        int ascii = 1;
        for (size_t i = 0; i < len && ascii; i++)
            ascii = bytes[i] < 0x80;
        if (!ascii && k.kind == CR_TEXT_UTF8 && cr_utf8_valid(bytes, len, &bad_at))
            cli_warn("%s: this text is already valid UTF-8; --from-encoding %s reads it as %s "
                     "all the same, which garbles its accents if it was not", name,
                     cli_from_encoding, cli_from_encoding);
        return recode(name, bytes, len, cli_from_encoding, out_len);
    }
    if (k.encoding) return recode(name, bytes + k.bom, len - k.bom, k.encoding, out_len);
    size_t bad;
    if (!repair && !cr_utf8_valid(bytes, len, &bad))
        cli_die_not_utf8(path, bytes, len, bad, cli_not_utf8_hint);
    *out_len = len;
    return bytes;
}

void cli_require_utf8(const char *path, const unsigned char *text, size_t len)
{
    size_t bad;
    if (!cr_utf8_valid(text, len, &bad)) cli_die_not_utf8(path, text, len, bad, "");
}

void cli_help(const char *usage)
{
    fputs(usage, stdout);
    cli_close_stdout();
    exit(0);
}

void cli_version(void)
{
    printf("%s (charrnn) %s\n", cli_prog, CR_VERSION);
    cli_close_stdout();
    exit(0);
}

void cli_quiet_on_closed_pipe(void) { signal(SIGPIPE, SIG_IGN); }

static void stdout_failed(void)
{
    if (errno == EPIPE) exit(0);
    cli_die("standard output", "write failed: %s", strerror(errno));
}

void cli_buf_add(cli_buf *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) cli_die(NULL, "out of memory");
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

void cli_buf_puts(cli_buf *b, const char *s) { cli_buf_add(b, s, strlen(s)); }

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    char small[512], *big;
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    const char *text = cli_vformat(small, sizeof small, &big, &n, fmt, ap);
    va_end(ap);
    cli_buf_add(b, text, n);
    free(big);
}

/* While a capture is on (cli_capture_begin), what the tools write goes there, not to stdout. */
static struct {
    int on;
    cli_buf b;
} capture;

static void capture_add(const void *p, size_t n) { cli_buf_add(&capture.b, p, n); }

void cli_capture_begin(void)
{
    capture.on = 1;
    capture.b.n = 0;
    capture_add("", 0);
}

char *cli_capture_end(size_t *len)
{
    char *p = capture.b.p;
    *len = capture.b.n;
    memset(&capture, 0, sizeof capture);
    return p;
}

void cli_write(const void *p, size_t n)
{
    if (capture.on) {
        capture_add(p, n);
        return;
    }
    if (fwrite(p, 1, n, stdout) != n) stdout_failed();
}

void cli_puts(const char *s) { cli_write(s, strlen(s)); }

void cli_write_char(uint32_t cp)
{
    char b[4];
    cli_write(b, cr_utf8_encode(cp, b));
}

const char *cli_vformat(char *small, size_t cap, char **big, size_t *n, const char *fmt,
                        va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int k = vsnprintf(small, cap, fmt, ap);
    *big = NULL;
    if (k < 0) cli_die(NULL, "cannot format a text");
    *n = (size_t)k;
    if (*n < cap) {
        va_end(again);
        return small;
    }
    *big = malloc(*n + 1);
    if (!*big) cli_die(NULL, "out of memory");
    vsnprintf(*big, *n + 1, fmt, again);
    va_end(again);
    return *big;
}

void cli_printf(const char *fmt, ...)
{
    char small[512], *big;
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    const char *text = cli_vformat(small, sizeof small, &big, &n, fmt, ap);
    va_end(ap);
    cli_write(text, n);
    free(big);
}

void cli_flush_stdout(void)
{
    if (fflush(stdout) != 0) stdout_failed(); /* now, while errno still says why */
}

void cli_close_stdout(void)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) stdout_failed();
    if (fclose(stdout) != 0) stdout_failed();
}
