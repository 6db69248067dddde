/* clean.c: a streaming cleaner that turns raw text, any bytes at all, into a tidy UTF-8 corpus.
 * How the chain of stages works: clean_chain.h; the --html stage: clean_html.c; --ascii and
 * --lower: clean_fold.c; the other stages and the public calls: here. */
#include "clean_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- plumbing ---- */

static void fail(cr_cleaner *c, int code, const char *why)
{
    if (c->status != CR_OK) return;
    c->status = code;
    snprintf(c->why, sizeof c->why, "%s", why);
}

/* Emits the code points of valid UTF-8. */
static void emit_utf8(cr_cleaner *c, stage *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, n - i, &cp);
        emit(c, s, cp);
        i += k;
    }
}

static void bytes_add(cr_cleaner *c, bytes *b, const void *p, size_t n)
{
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            fail(c, CR_ENOMEM, "out of memory");
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void bytes_cp(cr_cleaner *c, bytes *b, uint32_t cp)
{
    char u[4];
    bytes_add(c, b, u, cr_utf8_encode(cp, u));
}

static void bytes_free(bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int is_blank(uint32_t cp) { return cp == ' ' || cp == '\t'; }

/* ---- counting characters ---- */

static size_t slot_of(uint32_t cp, size_t cap)
{
    uint32_t h = cp * 0x9E3779B1u;
    return (h ^ (h >> 15)) & (cap - 1);
}

static int counter_grow(counter *k)
{
    size_t cap = k->cap ? 2 * k->cap : 256;
    uint32_t *keys = malloc(cap * sizeof *keys);
    uint64_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return CR_ENOMEM;
    }
    memset(keys, 0xFF, cap * sizeof *keys);
    for (size_t i = 0; i < k->cap; i++) {
        if (k->keys[i] == EMPTY_KEY) continue;
        size_t j = slot_of(k->keys[i], cap);
        while (keys[j] != EMPTY_KEY)
            j = (j + 1) & (cap - 1);
        keys[j] = k->keys[i];
        vals[j] = k->vals[i];
    }
    free(k->keys);
    free(k->vals);
    k->keys = keys;
    k->vals = vals;
    k->cap = cap;
    return CR_OK;
}

/* The count of cp, created at 0 if need be; NULL when out of memory. */
static uint64_t *counter_slot(counter *k, uint32_t cp)
{
    if (cp < 0x800) return &k->low[cp];
    if (2 * (k->used + 1) > k->cap && counter_grow(k) != CR_OK) return NULL;
    size_t j = slot_of(cp, k->cap);
    while (k->keys[j] != cp && k->keys[j] != EMPTY_KEY)
        j = (j + 1) & (k->cap - 1);
    if (k->keys[j] == EMPTY_KEY) {
        k->keys[j] = cp;
        k->used++;
    }
    return &k->vals[j];
}

static void counter_add(cr_cleaner *c, counter *k, uint32_t cp)
{
    uint64_t *v = counter_slot(k, cp);
    if (!v) {
        fail(c, CR_ENOMEM, "out of memory counting characters");
        return;
    }
    k->distinct += (*v)++ == 0;
}

static void counter_free(counter *k)
{
    free(k->keys);
    free(k->vals);
}

/* ---- always: byte-order marks, newlines, control characters ---- */

/* U+FEFF goes wherever it is: at the start of a file, and where cat joined files. */
static void bom_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    if (cp == 0xFEFF) c->stats.boms++;
    else emit(c, s, cp);
}

/* CRLF and CR become LF; a file's last line is ended before END_FILE. */
static void newline_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    newline_state *st = &c->nl;
    int partner = cp == '\n' && st->after_cr;
    st->after_cr = cp == '\r';
    if (partner) return;
    if (cp == '\r') {
        c->stats.newlines++;
        cp = '\n';
    }
    if (cp == END_FILE && st->open_line) emit(c, s, '\n');
    if (cp != END_ALL) st->open_line = cp < END_FILE && cp != '\n';
    emit(c, s, cp);
}

static int is_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp < 0xA0);
}

/* Also catches a U+FEFF that --html decoded from an entity, after the byte-order mark pass. */
static void control_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    if (is_control(cp)) c->stats.controls++;
    else if (cp == 0xFEFF) c->stats.boms++;
    else emit(c, s, cp);
}

/* ---- gutenberg: the header up to the start marker, and the footer from the end marker ---- */

enum { GUT_TEXT, GUT_START, GUT_END };

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Upper-cases the start of a line, with runs of '*', spaces and tabs made one space. */
static void gut_normalise(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    int sep = 1; /* no space at the start */
    for (size_t i = 0; i < n && p[i] != '\n' && k + 1 < cap; i++) {
        if (p[i] == '*' || is_blank(p[i])) {
            if (!sep) out[k++] = ' ';
            sep = 1;
        } else {
            out[k++] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
            sep = 0;
        }
    }
    out[k] = 0;
}

/* A start marker ("*** START OF THE PROJECT GUTENBERG EBOOK ...", or the older "*END*THE SMALL
 * PRINT! ..." that closed a licence in front of the text), an end marker ("*** END OF THE
 * PROJECT GUTENBERG EBOOK ...", "End of the Project Gutenberg EBook of ...", "End of Project
 * Gutenberg's ..."), or text. */
static int gut_marker(const unsigned char *p, size_t n)
{
    static const char *const START[] = {"START OF THE PROJECT GUTENBERG",
                                        "START OF THIS PROJECT GUTENBERG",
                                        "START OF PROJECT GUTENBERG", "END THE SMALL PRINT"};
    static const char *const END[] = {"END OF THE PROJECT GUTENBERG",
                                      "END OF THIS PROJECT GUTENBERG", "END OF PROJECT GUTENBERG"};
    char line[48];
    size_t i = 0;
    while (i < n && is_blank(p[i]))
        i++;
    int star = i < n && p[i] == '*';
    gut_normalise(p + i, n - i, line, sizeof line);
    for (size_t k = 0; star && k < sizeof START / sizeof *START; k++)
        if (starts_with(line, START[k])) return GUT_START;
    for (size_t k = 0; k < sizeof END / sizeof *END; k++)
        if (starts_with(line, END[k])) return GUT_END;
    return GUT_TEXT;
}

static uint64_t count_lines(const unsigned char *p, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

/* G_HEAD: holds the file's head until a marker tells what it was. */
static void gut_head(cr_cleaner *c, stage *s, uint32_t cp)
{
    gut_state *g = &c->gut;
    bytes_cp(c, &g->head, cp);
    if (cp == '\n') {
        int m = gut_marker(g->head.p + g->line, g->head.n - g->line);
        if (m == GUT_START) { /* all before it was the header */
            c->stats.gutenberg_lines += count_lines(g->head.p, g->head.n);
            g->head.n = 0;
            g->mode = G_TEST;
        } else if (m == GUT_END) { /* no header; the text ends here */
            emit_utf8(c, s, g->head.p, g->line);
            c->stats.gutenberg_lines++;
            g->head.n = 0;
            g->mode = G_FOOT;
        }
        g->line = g->head.n;
    }
    if (g->mode == G_HEAD && g->head.n >= GUT_HEAD_MAX) { /* too long for a header: none */
        emit_utf8(c, s, g->head.p, g->head.n);
        g->mode = g->line == g->head.n ? G_TEST : G_PASS;
        g->head.n = g->line = 0;
    }
}

/* G_TEST: reads enough of a line to tell a marker, then passes the line or drops it. */
static void gut_test(cr_cleaner *c, stage *s, uint32_t cp)
{
    gut_state *g = &c->gut;
    int eol = cp == '\n';
    bytes_cp(c, &g->start, cp);
    if (!eol && g->start.n < GUT_PREFIX) return;
    int m = gut_marker(g->start.p, g->start.n);
    if (m == GUT_TEXT) {
        emit_utf8(c, s, g->start.p, g->start.n);
        g->mode = eol ? G_TEST : G_PASS;
    } else { /* an end marker, or a start marker again */
        c->stats.gutenberg_lines += (uint64_t)eol;
        g->mode = m == GUT_END ? G_FOOT : eol ? G_TEST : G_DROP;
    }
    g->start.n = 0;
}

/* The end of a file: a head without a start marker was no header; the next file starts over. */
static void gut_end(cr_cleaner *c, stage *s, uint32_t cp)
{
    gut_state *g = &c->gut;
    if (cp == END_FILE) {
        if (g->mode == G_HEAD) emit_utf8(c, s, g->head.p, g->head.n);
        if (g->mode == G_TEST) emit_utf8(c, s, g->start.p, g->start.n);
        g->mode = G_HEAD;
        g->head.n = g->start.n = g->line = 0;
    }
    emit(c, s, cp);
}

static void gut_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    gut_state *g = &c->gut;
    if (cp >= END_FILE) {
        gut_end(c, s, cp);
        return;
    }
    switch (g->mode) {
    case G_HEAD: gut_head(c, s, cp); break;
    case G_TEST: gut_test(c, s, cp); break;
    case G_PASS:
        emit(c, s, cp);
        if (cp == '\n') g->mode = G_TEST;
        break;
    case G_DROP:
        if (cp == '\n') {
            g->mode = G_TEST;
            c->stats.gutenberg_lines++;
        }
        break;
    case G_FOOT: c->stats.gutenberg_lines += cp == '\n'; break;
    }
}

/* ---- unwrap: the lines of a paragraph joined with spaces ---- */

/* The white space before a character: within a line as it was; one line break becomes a
 * space; a blank line is a paragraph break, and the next paragraph keeps its indentation. */
static void unwrap_space(cr_cleaner *c, stage *s)
{
    unwrap_state *u = &c->unwrap;
    if (u->nls == 0 || !u->text) {
        emit_utf8(c, s, u->ws.p, u->ws.n);
    } else if (u->nls == 1) {
        emit(c, s, ' ');
        c->stats.joined++;
    } else {
        size_t i = u->ws.n;
        while (i > 0 && u->ws.p[i - 1] != '\n')
            i--;
        c->stats.blank_lines += u->nls - 2;
        emit_ascii(c, s, "\n\n");
        emit_utf8(c, s, u->ws.p + i, u->ws.n - i);
    }
    u->ws.n = u->nls = 0;
}

static void unwrap_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    unwrap_state *u = &c->unwrap;
    if (is_blank(cp) || cp == '\n') {
        bytes_cp(c, &u->ws, cp);
        u->nls += cp == '\n';
        return;
    }
    if (cp == END_FILE) { /* a file ends its last paragraph */
        if (u->text) emit(c, s, '\n');
        u->parted |= u->text;
        u->ws.n = u->nls = 0;
        u->text = 0;
    } else if (cp < END_FILE) {
        if (u->parted && !u->text) emit(c, s, '\n'); /* a blank line between files */
        u->parted = 0;
        unwrap_space(c, s);
        u->text = 1;
    }
    emit(c, s, cp);
}

/* ---- dedupe: a line seen before is dropped; blank lines stay ---- */

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3u;
    return h ? h : 1; /* 0 marks a free slot */
}

static int dedupe_grow(dedupe_state *d)
{
    size_t cap = d->cap ? 2 * d->cap : 1024;
    uint64_t *set = calloc(cap, sizeof *set);
    if (!set) return CR_ENOMEM;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->set[i]) continue;
        size_t j = (size_t)(d->set[i] ^ d->set[i] >> 32) & (cap - 1);
        while (set[j])
            j = (j + 1) & (cap - 1);
        set[j] = d->set[i];
    }
    free(d->set);
    d->set = set;
    d->cap = cap;
    return CR_OK;
}

/* Adds a line's hash to the set; returns 1 if it was not there (or cannot be remembered). */
static int dedupe_first(cr_cleaner *c, uint64_t h)
{
    dedupe_state *d = &c->dedupe;
    if (2 * (d->used + 1) > d->cap && dedupe_grow(d) != CR_OK) {
        fail(c, CR_ENOMEM, "out of memory remembering lines");
        return 1;
    }
    size_t j = (size_t)(h ^ h >> 32) & (d->cap - 1);
    while (d->set[j] && d->set[j] != h)
        j = (j + 1) & (d->cap - 1);
    if (d->set[j]) return 0;
    d->set[j] = h;
    d->used++;
    return 1;
}

/* A line, compared without its trailing blanks (which the trim removes anyway). */
static void dedupe_line(cr_cleaner *c, stage *s)
{
    dedupe_state *d = &c->dedupe;
    size_t end = d->line.n;
    while (end > 0 && (d->line.p[end - 1] == '\n' || is_blank(d->line.p[end - 1])))
        end--;
    if (end == 0 || dedupe_first(c, fnv1a(d->line.p, end))) emit_utf8(c, s, d->line.p, d->line.n);
    else c->stats.duplicates++;
    d->line.n = 0;
}

static void dedupe_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    dedupe_state *d = &c->dedupe;
    if (cp < END_FILE) bytes_cp(c, &d->line, cp);
    if (cp == '\n' || (cp >= END_FILE && d->line.n)) dedupe_line(c, s);
    if (cp >= END_FILE) emit(c, s, cp);
}

/* ---- trailing spaces, blank lines ---- */

static void trim_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    trim_state *t = s->st;
    if (is_blank(cp)) {
        unsigned char b = (unsigned char)cp;
        bytes_add(c, &t->ws, &b, 1);
        return;
    }
    if (cp == '\n' || cp >= END_FILE) c->stats.spaces += t->ws.n;
    else emit_utf8(c, s, t->ws.p, t->ws.n);
    t->ws.n = 0;
    emit(c, s, cp);
}

/* Newlines wait for the next character: none at the start, at most two (one blank line)
 * between lines; at the end they go, and the final newline stage adds one back. */
static void collapse_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    collapse_state *k = s->st;
    if (cp == '\n') {
        k->nls++;
        return;
    }
    if (cp == END_ALL) {
        c->stats.blank_lines += k->nls - (uint64_t)(k->text && k->nls);
        k->nls = 0;
    } else if (cp != END_FILE) {
        uint64_t keep = !k->text ? 0 : k->nls < 2 ? k->nls : 2;
        c->stats.blank_lines += k->nls - keep;
        for (; keep; keep--)
            emit(c, s, '\n');
        k->nls = 0;
        k->text = 1;
    }
    emit(c, s, cp);
}

/* ---- rare characters: counted over the whole text, then replaced or dropped ---- */

static uint64_t counter_get(const counter *k, uint32_t cp)
{
    if (cp < 0x800) return k->low[cp];
    if (!k->cap) return 0;
    size_t j = slot_of(cp, k->cap);
    while (k->keys[j] != cp && k->keys[j] != EMPTY_KEY)
        j = (j + 1) & (k->cap - 1);
    return k->keys[j] == cp ? k->vals[j] : 0;
}

/* Newlines are never rare: they hold the text's lines together. */
static void rare_release(cr_cleaner *c, stage *s)
{
    rare_state *r = &c->rare;
    for (size_t i = 0; i < r->text.n;) {
        uint32_t cp;
        i += cr_utf8_decode(r->text.p + i, r->text.n - i, &cp);
        if (cp == '\n' || counter_get(&r->count, cp) >= c->opt.min_count) {
            emit(c, s, cp);
        } else if (c->opt.rare) {
            emit(c, s, c->opt.rare);
            c->stats.rare_replaced++;
        } else {
            c->stats.rare_dropped++;
        }
    }
    bytes_free(&r->text);
}

static void rare_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    rare_state *r = &c->rare;
    if (cp < END_FILE) {
        bytes_cp(c, &r->text, cp);
        counter_add(c, &r->count, cp);
    } else if (cp == END_ALL) {
        rare_release(c, s);
        emit(c, s, cp);
    }
}

/* ---- output: UTF-8 into a buffer for the writer; the final newline ---- */

static void out_flush(cr_cleaner *c)
{
    if (c->nout && c->status == CR_OK && c->write(c->ctx, c->out, c->nout) != 0)
        fail(c, CR_EIO, "the cleaned text could not be written");
    c->nout = 0;
}

static void out_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    if (cp == END_ALL) {
        if (c->stats.bytes_out && c->last != '\n') out_put(c, s, '\n');
        out_flush(c);
        return;
    }
    if (cp == END_FILE) return;
    char u[4];
    size_t n = cr_utf8_encode(cp, u);
    if (OUT_BUF - c->nout < n) out_flush(c);
    memcpy(c->out + c->nout, u, n);
    c->nout += n;
    c->stats.bytes_out += n;
    c->last = (unsigned char)u[n - 1];
    counter_add(c, &c->vocab_out, cp);
}

/* ---- bytes in: the WHATWG UTF-8 decoder, one U+FFFD per maximal invalid subpart ---- */

static void decoded(cr_cleaner *c, uint32_t cp)
{
    counter_add(c, &c->vocab_in, cp);
    c->chain[0].put(c, c->chain, cp);
}

static void invalid(cr_cleaner *c)
{
    c->stats.invalid++;
    if (c->opt.drop_invalid) counter_add(c, &c->vocab_in, 0xFFFD);
    else decoded(c, 0xFFFD);
}

static void decode_lead(cr_cleaner *c, unsigned b)
{
    decoder *d = &c->dec;
    if (b < 0x80) {
        decoded(c, b);
        return;
    }
    d->lo = 0x80;
    d->hi = 0xBF;
    d->seen = 0;
    if (b >= 0xC2 && b <= 0xDF) {
        d->need = 1;
        d->cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) { /* no overlongs (E0), no surrogates (ED) */
        d->need = 2;
        d->cp = b & 0x0F;
        d->lo = b == 0xE0 ? 0xA0 : 0x80;
        d->hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) { /* no overlongs (F0), nothing above U+10FFFF (F4) */
        d->need = 3;
        d->cp = b & 0x07;
        d->lo = b == 0xF0 ? 0x90 : 0x80;
        d->hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        invalid(c);
    }
}

static void decode_byte(cr_cleaner *c, unsigned b)
{
    decoder *d = &c->dec;
    if (d->need == 0) {
        decode_lead(c, b);
        return;
    }
    if (b < d->lo || b > d->hi) { /* the sequence so far is invalid; b starts afresh */
        d->need = 0;
        invalid(c);
        decode_lead(c, b);
        return;
    }
    d->lo = 0x80;
    d->hi = 0xBF;
    d->cp = d->cp << 6 | (b & 0x3F);
    if (++d->seen == d->need) {
        d->need = 0;
        decoded(c, d->cp);
    }
}

/* ---- the cleaner ---- */

void cr_clean_options_default(cr_clean_options *o) { memset(o, 0, sizeof *o); }

static int check_options(const cr_clean_options *o, cr_error *err)
{
    char u[4];
    if (o->rare && !o->min_count)
        return cr_fail(err, CR_EINVAL, -1, NULL,
                       "a replacement for rare characters needs a minimum count");
    if (o->rare && (!cr_utf8_encode(o->rare, u) || o->rare < 0x20 || is_control(o->rare)))
        return cr_fail(err, CR_EINVAL, -1, NULL,
                       "the replacement for rare characters, U+%04X, is not a printable character",
                       (unsigned)o->rare);
    return CR_OK;
}

static void add_stage(cr_cleaner *c, void (*put)(cr_cleaner *, stage *, uint32_t), void *st)
{
    c->chain[c->nstages].put = put;
    c->chain[c->nstages++].st = st;
}

/* The passes in their documented order; only those asked for. */
static void build_chain(cr_cleaner *c)
{
    const cr_clean_options *o = &c->opt;
    add_stage(c, bom_put, NULL);
    add_stage(c, newline_put, NULL);
    if (o->html) add_stage(c, cr_clean_html_put, NULL);
    if (o->gutenberg) add_stage(c, gut_put, NULL);
    add_stage(c, control_put, NULL);
    if (o->ascii) add_stage(c, cr_clean_ascii_put, NULL);
    if (o->lower) add_stage(c, cr_clean_lower_put, NULL);
    if (o->unwrap) add_stage(c, unwrap_put, NULL);
    if (o->dedupe) add_stage(c, dedupe_put, NULL);
    add_stage(c, trim_put, &c->trim[0]);
    add_stage(c, collapse_put, &c->collapse[0]);
    if (o->min_count) { /* dropping characters can leave trailing spaces and blank lines */
        add_stage(c, rare_put, NULL);
        add_stage(c, trim_put, &c->trim[1]);
        add_stage(c, collapse_put, &c->collapse[1]);
    }
    add_stage(c, out_put, NULL);
}

int cr_cleaner_new(const cr_clean_options *o, cr_clean_write_fn write, void *ctx,
                   cr_cleaner **out, cr_error *err)
{
    *out = NULL;
    if (!write) return cr_fail(err, CR_EINVAL, -1, NULL, "the cleaner needs a writer");
    int rc = check_options(o, err);
    if (rc != CR_OK) return rc;
    cr_cleaner *c = calloc(1, sizeof *c);
    if (!c) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    c->opt = *o;
    c->write = write;
    c->ctx = ctx;
    cr_clean_html_reset(&c->html);
    build_chain(c);
    *out = c;
    return CR_OK;
}

void cr_cleaner_free(cr_cleaner *c)
{
    if (!c) return;
    counter_free(&c->vocab_in);
    counter_free(&c->vocab_out);
    counter_free(&c->rare.count);
    bytes_free(&c->gut.head);
    bytes_free(&c->gut.start);
    bytes_free(&c->unwrap.ws);
    bytes_free(&c->dedupe.line);
    free(c->dedupe.set);
    bytes_free(&c->trim[0].ws);
    bytes_free(&c->trim[1].ws);
    bytes_free(&c->rare.text);
    free(c);
}

static int status(const cr_cleaner *c, cr_error *err)
{
    if (c->status != CR_OK) return cr_fail(err, c->status, -1, NULL, "%s", c->why);
    return CR_OK;
}

int cr_cleaner_push(cr_cleaner *c, const unsigned char *in, size_t len, cr_error *err)
{
    if (c->finished) return cr_fail(err, CR_EINVAL, -1, NULL, "text pushed after the end");
    c->stats.bytes_in += len;
    c->in_file = 1;
    for (size_t i = 0; i < len && c->status == CR_OK; i++)
        decode_byte(c, in[i]);
    out_flush(c);
    return status(c, err);
}

int cr_cleaner_end_file(cr_cleaner *c, cr_error *err)
{
    if (c->finished) return cr_fail(err, CR_EINVAL, -1, NULL, "a file ended after the end");
    if (c->dec.need) { /* a sequence cut short by the end of the file */
        c->dec.need = 0;
        invalid(c);
    }
    c->chain[0].put(c, c->chain, END_FILE);
    c->in_file = 0;
    out_flush(c);
    return status(c, err);
}

int cr_cleaner_finish(cr_cleaner *c, cr_error *err)
{
    if (c->finished) return cr_fail(err, CR_EINVAL, -1, NULL, "the cleaner has already finished");
    if (c->in_file) cr_cleaner_end_file(c, NULL);
    c->chain[0].put(c, c->chain, END_ALL);
    c->finished = 1;
    out_flush(c);
    return status(c, err);
}

void cr_cleaner_stats(const cr_cleaner *c, cr_clean_stats *s)
{
    *s = c->stats;
    s->vocab_in = c->vocab_in.distinct;
    s->vocab_out = c->vocab_out.distinct;
}

typedef struct memory_sink {
    unsigned char *p;
    size_t n, cap;
    int failed;
} memory_sink;

static int memory_write(void *ctx, const unsigned char *p, size_t n)
{
    memory_sink *m = ctx;
    if (m->cap - m->n < n) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap - m->n < n)
            cap *= 2;
        unsigned char *q = realloc(m->p, cap);
        if (!q) return m->failed = 1;
        m->p = q;
        m->cap = cap;
    }
    memcpy(m->p + m->n, p, n);
    m->n += n;
    return 0;
}

int cr_clean_text(const cr_clean_options *o, const unsigned char *in, size_t len,
                  unsigned char **out, size_t *out_len, cr_clean_stats *stats, cr_error *err)
{
    memory_sink m = {0};
    cr_cleaner *c;
    *out = NULL;
    *out_len = 0;
    int rc = cr_cleaner_new(o, memory_write, &m, &c, err);
    if (rc == CR_OK) rc = cr_cleaner_push(c, in, len, err);
    if (rc == CR_OK) rc = cr_cleaner_finish(c, err);
    if (rc == CR_OK && memory_write(&m, (const unsigned char *)"", 1)) rc = CR_EIO;
    if (m.failed) rc = cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    if (rc == CR_OK && stats) cr_cleaner_stats(c, stats);
    cr_cleaner_free(c);
    if (rc != CR_OK) {
        free(m.p);
        return rc;
    }
    *out = m.p;
    *out_len = m.n - 1;
    return CR_OK;
}
