/* clean.c: a streaming cleaner that turns raw text, any bytes at all, into a tidy UTF-8 corpus. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Bytes are decoded into code points, which flow through a chain of stages, one per pass, in the
 * order of the passes; only the passes the options ask for are in the chain. A stage receives
 * one code point at a time and hands what it keeps to the next with emit(). Whatever a stage
 * has half seen (a UTF-8 sequence, a CR, a tag, an entity, a line) waits in its own state, so
 * the output does not depend on where the pushes split the input. Two markers travel the chain
 * like code points: END_FILE when an input file ends (its last line has been ended, per-file
 * states start afresh) and END_ALL when the whole text ends (held text is released).
 *
 * Failures (out of memory, a failed write) are sticky: the first sets c->status, stages keep
 * running harmlessly, and every public call returns it.
 */
enum { END_FILE = 0x110000, END_ALL = 0x110001 };
enum { OUT_BUF = 1 << 14, MAX_STAGES = 16 };
#define GUT_HEAD_MAX ((size_t)256 << 10) /* a head without a start marker is not a header */
#define GUT_PREFIX ((size_t)160)        /* bytes of a line enough to tell a marker */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

/* Occurrences of each code point: a table for the common ones, open addressing for the rest. */
typedef struct counter {
    uint64_t low[0x800];  /* U+0000..U+07FF */
    uint32_t *keys;       /* (cap) code points, EMPTY_KEY where free */
    uint64_t *vals;       /* (cap) their counts */
    size_t used, cap;     /* cap a power of two */
    uint64_t distinct;
} counter;
#define EMPTY_KEY 0xFFFFFFFFu

typedef struct stage stage;
struct stage {
    void (*put)(cr_cleaner *c, stage *s, uint32_t cp);
    void *st; /* the state of a stage that appears twice in the chain */
};

typedef struct decoder {  /* the WHATWG UTF-8 decoder: byte at a time */
    uint32_t cp;
    unsigned need, seen;  /* continuation bytes needed and seen */
    unsigned lo, hi;      /* the range the next continuation byte must be in */
} decoder;

typedef struct newline_state {
    int after_cr;         /* a CR was just turned into LF: an LF now is its partner */
    int open_line;        /* the file's last character so far was not a newline */
} newline_state;

enum { H_TEXT, H_LT, H_NAME, H_ATTR, H_BANG, H_COMMENT, H_DECL, H_RAW, H_AMP, H_NUM };
typedef struct html_state {
    int mode;
    char name[16];        /* lowercased tag name, cut at 15 characters */
    size_t nname;
    int closing;          /* an end tag, </...> */
    uint32_t quote;       /* in an attribute value quoted with this, or 0 */
    int after_eq;         /* an attribute's '=' was seen: a quote may open a value */
    int dashes;           /* in a comment: '-' in a row; in <!: '-' after it */
    const char *raw_end;  /* in a script or style: "</script" or "</style" */
    size_t raw_match;     /* how much of raw_end has been seen */
    char ent[33];         /* an entity name after '&' */
    size_t nent;
    uint32_t num;         /* a numeric entity's value, saturated at 0x110000 */
    int hex;              /* the 'x' or 'X' of a hexadecimal reference, or 0 */
    int digits;           /* a digit has been seen */
    int pre;              /* <pre> elements open: white space kept as it is */
    int space;            /* white space waiting to become one space before the next word */
    int nl_run;           /* line breaks emitted in a row (2 at the start of a file) */
} html_state;

enum { G_HEAD, G_TEST, G_PASS, G_DROP, G_FOOT };
typedef struct gut_state {
    int mode;             /* G_HEAD: holding the file's head; G_TEST: reading a line's start;
                             G_PASS, G_DROP: passing, dropping the rest of a line; G_FOOT */
    bytes head;           /* G_HEAD: the text so far, dropped if a start marker shows up */
    size_t line;          /* G_HEAD: where the current line starts in head */
    bytes start;          /* G_TEST: the start of the current line */
} gut_state;

typedef struct unwrap_state {
    bytes ws;             /* spaces, tabs and newlines since the last other character */
    size_t nls;           /* newlines among them */
    int text;             /* this file has had text */
    int parted;           /* a file with text has ended: the next text starts a paragraph */
} unwrap_state;

typedef struct dedupe_state {
    bytes line;
    uint64_t *set;        /* (cap) FNV-1a hashes of the lines seen, 0 where free */
    size_t used, cap;
} dedupe_state;

typedef struct trim_state {
    bytes ws;             /* spaces and tabs waiting to see whether the line ends */
} trim_state;

typedef struct collapse_state {
    uint64_t nls;         /* newlines waiting for the next character */
    int text;             /* something other than newlines has passed */
} collapse_state;

typedef struct rare_state {
    bytes text;           /* the whole text, until END_ALL */
    counter count;
} rare_state;

struct cr_cleaner {
    cr_clean_options opt;
    cr_clean_stats stats;
    cr_clean_write_fn write;
    void *ctx;
    int status;           /* CR_OK or the first failure */
    char why[120];
    int finished, in_file;
    stage chain[MAX_STAGES];
    int nstages;
    decoder dec;
    counter vocab_in, vocab_out;
    newline_state nl;
    html_state html;
    gut_state gut;
    unwrap_state unwrap;
    dedupe_state dedupe;
    trim_state trim[2];
    collapse_state collapse[2];
    rare_state rare;
    unsigned char out[OUT_BUF];
    size_t nout;
    unsigned char last;   /* the last byte written */
};

/* ---- plumbing ---- */

static void fail(cr_cleaner *c, int code, const char *why)
{
    if (c->status != CR_OK) return;
    c->status = code;
    snprintf(c->why, sizeof c->why, "%s", why);
}

static void emit(cr_cleaner *c, stage *s, uint32_t cp) { s[1].put(c, s + 1, cp); }

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

static void emit_ascii(cr_cleaner *c, stage *s, const char *t)
{
    while (*t)
        emit(c, s, (unsigned char)*t++);
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

/* ---- html: tags, comments, scripts and styles go; entities are decoded ---- */

typedef struct entity {
    const char *name;
    uint32_t cp;
} entity;

/* The character entities of HTML 4 (which HTML 5 keeps), &apos; and the upper-case legacy
 * spellings, sorted by strcmp for bsearch. */
static const entity ENTITIES[] = {
    {"AElig", 0xC6}, {"AMP", 0x26}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0},
    {"Alpha", 0x391}, {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4}, {"Beta", 0x392},
    {"COPY", 0xA9}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021}, {"Delta", 0x394},
    {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Egrave", 0xC8}, {"Epsilon", 0x395},
    {"Eta", 0x397}, {"Euml", 0xCB}, {"GT", 0x3E}, {"Gamma", 0x393}, {"Iacute", 0xCD},
    {"Icirc", 0xCE}, {"Igrave", 0xCC}, {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A},
    {"LT", 0x3C}, {"Lambda", 0x39B}, {"Mu", 0x39C}, {"Ntilde", 0xD1}, {"Nu", 0x39D},
    {"OElig", 0x152}, {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
    {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"Phi", 0x3A6},
    {"Pi", 0x3A0}, {"Prime", 0x2033}, {"Psi", 0x3A8}, {"QUOT", 0x22}, {"REG", 0xAE}, {"Rho", 0x3A1},
    {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE}, {"Tau", 0x3A4}, {"Theta", 0x398},
    {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Ugrave", 0xD9}, {"Upsilon", 0x3A5}, {"Uuml", 0xDC},
    {"Xi", 0x39E}, {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396}, {"aacute", 0xE1},
    {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0}, {"alefsym", 0x2135},
    {"alpha", 0x3B1}, {"amp", 0x26}, {"and", 0x2227}, {"ang", 0x2220}, {"apos", 0x27},
    {"aring", 0xE5}, {"asymp", 0x2248}, {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E},
    {"beta", 0x3B2}, {"brvbar", 0xA6}, {"bull", 0x2022}, {"cap", 0x2229}, {"ccedil", 0xE7},
    {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6}, {"clubs", 0x2663},
    {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5}, {"cup", 0x222A}, {"curren", 0xA4},
    {"dArr", 0x21D3}, {"dagger", 0x2020}, {"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4},
    {"diams", 0x2666}, {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8},
    {"empty", 0x2205}, {"emsp", 0x2003}, {"ensp", 0x2002}, {"epsilon", 0x3B5}, {"equiv", 0x2261},
    {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB}, {"euro", 0x20AC}, {"exist", 0x2203},
    {"fnof", 0x192}, {"forall", 0x2200}, {"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE},
    {"frasl", 0x2044}, {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E}, {"hArr", 0x21D4},
    {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026}, {"iacute", 0xED}, {"icirc", 0xEE},
    {"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111}, {"infin", 0x221E}, {"int", 0x222B},
    {"iota", 0x3B9}, {"iquest", 0xBF}, {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA},
    {"lArr", 0x21D0}, {"lambda", 0x3BB}, {"lang", 0x2329}, {"laquo", 0xAB}, {"larr", 0x2190},
    {"lceil", 0x2308}, {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A}, {"lowast", 0x2217},
    {"loz", 0x25CA}, {"lrm", 0x200E}, {"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", 0x3C},
    {"macr", 0xAF}, {"mdash", 0x2014}, {"micro", 0xB5}, {"middot", 0xB7}, {"minus", 0x2212},
    {"mu", 0x3BC}, {"nabla", 0x2207}, {"nbsp", 0xA0}, {"ndash", 0x2013}, {"ne", 0x2260},
    {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209}, {"nsub", 0x2284}, {"ntilde", 0xF1},
    {"nu", 0x3BD}, {"oacute", 0xF3}, {"ocirc", 0xF4}, {"oelig", 0x153}, {"ograve", 0xF2},
    {"oline", 0x203E}, {"omega", 0x3C9}, {"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228},
    {"ordf", 0xAA}, {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5}, {"otimes", 0x2297},
    {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202}, {"permil", 0x2030}, {"perp", 0x22A5},
    {"phi", 0x3C6}, {"pi", 0x3C0}, {"piv", 0x3D6}, {"plusmn", 0xB1}, {"pound", 0xA3},
    {"prime", 0x2032}, {"prod", 0x220F}, {"prop", 0x221D}, {"psi", 0x3C8}, {"quot", 0x22},
    {"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A}, {"raquo", 0xBB}, {"rarr", 0x2192},
    {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE}, {"rfloor", 0x230B},
    {"rho", 0x3C1}, {"rlm", 0x200F}, {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A},
    {"scaron", 0x161}, {"sdot", 0x22C5}, {"sect", 0xA7}, {"shy", 0xAD}, {"sigma", 0x3C3},
    {"sigmaf", 0x3C2}, {"sim", 0x223C}, {"spades", 0x2660}, {"sub", 0x2282}, {"sube", 0x2286},
    {"sum", 0x2211}, {"sup", 0x2283}, {"sup1", 0xB9}, {"sup2", 0xB2}, {"sup3", 0xB3},
    {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4}, {"there4", 0x2234}, {"theta", 0x3B8},
    {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE}, {"tilde", 0x2DC}, {"times", 0xD7},
    {"trade", 0x2122}, {"uArr", 0x21D1}, {"uacute", 0xFA}, {"uarr", 0x2191}, {"ucirc", 0xFB},
    {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5}, {"uuml", 0xFC},
    {"weierp", 0x2118}, {"xi", 0x3BE}, {"yacute", 0xFD}, {"yen", 0xA5}, {"yuml", 0xFF},
    {"zeta", 0x3B6}, {"zwj", 0x200D}, {"zwnj", 0x200C},
};

/* What HTML reads &#128; to &#159; as: the characters of Windows-1252 there (0 = none). */
static const uint16_t CP1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
    0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* Elements whose edges are a paragraph break, a line break, or a space between cells. */
static const char PARA_TAGS[] = " p h1 h2 h3 h4 h5 h6 blockquote pre ul ol dl table hr section "
                                "article header footer nav aside main figure address title form "
                                "fieldset body ";
static const char LINE_TAGS[] = " div li tr dt dd caption figcaption option legend summary "
                                "details center ";
static const char CELL_TAGS[] = " td th ";

static void html_put(cr_cleaner *c, stage *s, uint32_t cp);

static uint32_t ascii_lower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }
static int is_alpha(uint32_t cp) { return ascii_lower(cp) >= 'a' && ascii_lower(cp) <= 'z'; }
static int is_digit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
static int is_html_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\f' || cp == '\r';
}

static int tag_in(const char *list, const char *name)
{
    char key[sizeof ((html_state *)0)->name + 2];
    snprintf(key, sizeof key, " %s ", name);
    return strstr(list, key) != NULL;
}

static void html_reset(html_state *h)
{
    memset(h, 0, sizeof *h);
    h->nl_run = 2; /* as after a paragraph: no white space or line breaks at the start */
}

/* A character of text: white space outside <pre> waits to become one space between words. */
static void html_text(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    if (!h->pre && is_html_space(cp)) {
        h->space = 1;
        return;
    }
    if (h->space && h->nl_run == 0) emit(c, s, ' ');
    h->space = 0;
    h->nl_run = cp == '\n' ? h->nl_run + 1 : 0;
    emit(c, s, cp);
}

/* A block element's edge: the text so far ends with at least n line breaks. */
static void html_break(cr_cleaner *c, stage *s, int n)
{
    html_state *h = &c->html;
    h->space = 0;
    for (; h->nl_run < n; h->nl_run++)
        emit(c, s, '\n');
}

static void html_tag_end(cr_cleaner *c, stage *s)
{
    html_state *h = &c->html;
    const char *name = h->name;
    h->name[h->nname] = 0;
    h->mode = H_TEXT;
    c->stats.tags++;
    if (!h->closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
        h->mode = H_RAW; /* their text is code, up to their end tag */
        h->raw_end = name[1] == 'c' ? "</script" : "</style";
        h->raw_match = 0;
        return;
    }
    if (strcmp(name, "pre") == 0) h->pre = h->closing ? h->pre - (h->pre > 0) : h->pre + 1;
    if (strcmp(name, "br") == 0) {
        h->space = 0;
        h->nl_run++;
        emit(c, s, '\n');
    } else if (tag_in(PARA_TAGS, name)) {
        html_break(c, s, 2);
    } else if (tag_in(LINE_TAGS, name)) {
        html_break(c, s, 1);
    } else if (tag_in(CELL_TAGS, name)) {
        h->space = 1;
    }
}

/* Just after '<': a tag, an end tag, a comment or declaration, or a plain '<'. */
static void html_lt(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    h->nname = 0;
    h->closing = h->quote = h->after_eq = h->dashes = 0;
    if (is_alpha(cp)) {
        h->mode = H_NAME;
        h->name[h->nname++] = (char)ascii_lower(cp);
    } else if (cp == '/') {
        h->mode = H_NAME;
        h->closing = 1;
    } else if (cp == '!') {
        h->mode = H_BANG;
    } else if (cp == '?') {
        h->mode = H_DECL;
    } else {
        h->mode = H_TEXT;
        html_text(c, s, '<');
        html_put(c, s, cp);
    }
}

static void html_name(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    if (cp == '>') html_tag_end(c, s);
    else if (is_html_space(cp) || cp == '/') h->mode = H_ATTR;
    else if (h->nname < sizeof h->name - 1)
        h->name[h->nname++] = cp < 128 ? (char)ascii_lower(cp) : '?';
}

/* Attributes: a '>' inside a quoted value does not end the tag. */
static void html_attr(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    if (h->quote) {
        if (cp == h->quote) h->quote = 0;
    } else if (cp == '>') {
        html_tag_end(c, s);
    } else if (cp == '=') {
        h->after_eq = 1;
    } else if ((cp == '"' || cp == '\'') && h->after_eq) {
        h->quote = cp;
        h->after_eq = 0;
    } else if (!is_html_space(cp)) {
        h->after_eq = 0;
    }
}

/* After "<!": "--" opens a comment; anything else is a declaration such as <!DOCTYPE ...>. */
static void html_bang(cr_cleaner *c, uint32_t cp)
{
    html_state *h = &c->html;
    if (cp == '-' && h->dashes < 2) {
        if (++h->dashes == 2) {
            h->mode = H_COMMENT;
            h->dashes = 0;
        }
        return;
    }
    h->mode = H_DECL;
    if (cp == '>') {
        h->mode = H_TEXT;
        c->stats.tags++;
    }
}

static void html_comment(cr_cleaner *c, uint32_t cp)
{
    html_state *h = &c->html;
    if (cp == '>' && h->dashes >= 2) {
        h->mode = H_TEXT;
        c->stats.tags++;
    } else {
        h->dashes = cp == '-' ? h->dashes + 1 : 0;
    }
}

/* Inside a script or style: everything up to "</script" or "</style", in any case. */
static void html_raw(cr_cleaner *c, uint32_t cp)
{
    html_state *h = &c->html;
    uint32_t lc = ascii_lower(cp);
    if (lc == (unsigned char)h->raw_end[h->raw_match]) h->raw_match++;
    else h->raw_match = lc == '<';
    if (h->raw_end[h->raw_match] == 0) { /* the rest of the end tag, up to '>' */
        h->mode = H_ATTR;
        h->closing = 1;
        h->nname = h->quote = h->after_eq = 0;
    }
}

static int entity_cmp(const void *key, const void *e)
{
    return strcmp(key, ((const entity *)e)->name);
}

/* '&' and what followed it were not an entity after all: they are text. */
static void html_amp_text(cr_cleaner *c, stage *s)
{
    html_state *h = &c->html;
    h->mode = H_TEXT;
    html_text(c, s, '&');
    for (size_t i = 0; i < h->nent; i++)
        html_text(c, s, (unsigned char)h->ent[i]);
}

/* After '&': a name up to ';' (&eacute;), or '#' for a numeric reference. */
static void html_amp(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    if (cp == '#' && h->nent == 0) {
        h->mode = H_NUM;
        h->num = 0;
        h->hex = h->digits = 0;
        return;
    }
    if ((is_alpha(cp) || is_digit(cp)) && h->nent < sizeof h->ent - 1) {
        h->ent[h->nent++] = (char)cp;
        return;
    }
    if (cp == ';' && h->nent > 0) {
        h->ent[h->nent] = 0;
        const entity *e = bsearch(h->ent, ENTITIES, sizeof ENTITIES / sizeof *ENTITIES,
                                  sizeof *ENTITIES, entity_cmp);
        if (e) {
            h->mode = H_TEXT;
            c->stats.entities++;
            html_text(c, s, e->cp);
            return;
        }
    }
    html_amp_text(c, s);
    html_put(c, s, cp);
}

/* The character a numeric reference stands for, as HTML reads it. */
static uint32_t numeric_char(uint32_t v)
{
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
    if (v >= 0x80 && v < 0xA0 && CP1252[v - 0x80]) return CP1252[v - 0x80];
    return v;
}

static void html_num_text(cr_cleaner *c, stage *s)
{
    html_state *h = &c->html;
    h->mode = H_TEXT;
    html_text(c, s, '&');
    html_text(c, s, '#');
    if (h->hex) html_text(c, s, (uint32_t)h->hex);
}

/* After "&#": decimal digits, or 'x' and hexadecimal digits; the ';' may be missing. */
static void html_num(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    uint32_t lc = ascii_lower(cp);
    if (lc == 'x' && !h->hex && !h->digits) {
        h->hex = (int)cp;
        return;
    }
    int d = is_digit(cp) ? (int)(cp - '0') : -1;
    if (h->hex && lc >= 'a' && lc <= 'f') d = (int)(lc - 'a' + 10);
    if (d >= 0) {
        h->num = h->num * (h->hex ? 16 : 10) + (uint32_t)d;
        if (h->num > 0x110000) h->num = 0x110000; /* saturated: stays out of range */
        h->digits = 1;
        return;
    }
    if (!h->digits) {
        html_num_text(c, s);
        html_put(c, s, cp);
        return;
    }
    h->mode = H_TEXT;
    c->stats.entities++;
    html_text(c, s, numeric_char(h->num));
    if (cp != ';') html_put(c, s, cp);
}

/* The end of a file: a half-read entity is text, a half-read tag goes; the last line ends. */
static void html_end(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    if (cp == END_FILE) {
        if (h->mode == H_LT) html_text(c, s, '<');
        if (h->mode == H_AMP) html_amp_text(c, s);
        if (h->mode == H_NUM) html_num_text(c, s);
        if (h->nl_run == 0) emit(c, s, '\n');
        html_reset(h);
    }
    emit(c, s, cp);
}

static void html_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    html_state *h = &c->html;
    if (cp >= END_FILE) {
        html_end(c, s, cp);
        return;
    }
    switch (h->mode) {
    case H_TEXT:
        if (cp == '<') h->mode = H_LT;
        else if (cp == '&') h->mode = H_AMP;
        else html_text(c, s, cp);
        h->nent = 0; /* for an entity's name */
        break;
    case H_LT: html_lt(c, s, cp); break;
    case H_NAME: html_name(c, s, cp); break;
    case H_ATTR: html_attr(c, s, cp); break;
    case H_BANG: html_bang(c, cp); break;
    case H_COMMENT: html_comment(c, cp); break;
    case H_DECL:
        if (cp == '>') {
            h->mode = H_TEXT;
            c->stats.tags++;
        }
        break;
    case H_RAW: html_raw(c, cp); break;
    case H_AMP: html_amp(c, s, cp); break;
    case H_NUM: html_num(c, s, cp); break;
    }
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

/* ---- ascii: typographic punctuation and spaces folded ---- */

static const char *ascii_fold(uint32_t cp)
{
    switch (cp) {
    case 0x00A0: case 0x2000: case 0x2001: case 0x2002: case 0x2003: case 0x2004: case 0x2005:
    case 0x2006: case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x202F: case 0x205F:
        return " ";
    case 0x00AD: return ""; /* a soft hyphen is invisible */
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212: return "-";
    case 0x2014: case 0x2015: return "--";
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x2039: case 0x203A:
        return "'";
    case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: case 0x00AB: case 0x00BB:
        return "\"";
    case 0x2026: return "...";
    default: return NULL;
    }
}

static void ascii_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    const char *t = cp < 0xA0 ? NULL : ascii_fold(cp);
    if (!t) {
        emit(c, s, cp);
        return;
    }
    c->stats.folded++;
    emit_ascii(c, s, t);
}

/* ---- lower: simple case mapping of Latin, Greek, Cyrillic and Armenian ---- */

/* Upper-case letters at even code points from lo to hi, each followed by its lower case. */
static int even_pair(uint32_t cp, uint32_t lo, uint32_t hi)
{
    return cp >= lo && cp <= hi && !(cp & 1);
}

/* The same at odd code points. */
static int odd_pair(uint32_t cp, uint32_t lo, uint32_t hi)
{
    return cp >= lo && cp <= hi && (cp & 1);
}

/* The irregular capitals of Latin Extended-B (African and Vietnamese letters, among others):
 * capital, small. */
static const uint16_t LATIN_B[][2] = {
    {0x181, 0x0253}, {0x182, 0x0183}, {0x184, 0x0185}, {0x186, 0x0254}, {0x187, 0x0188},
    {0x189, 0x0256}, {0x18A, 0x0257}, {0x18B, 0x018C}, {0x18E, 0x01DD}, {0x18F, 0x0259},
    {0x190, 0x025B}, {0x191, 0x0192}, {0x193, 0x0260}, {0x194, 0x0263}, {0x196, 0x0269},
    {0x197, 0x0268}, {0x198, 0x0199}, {0x19C, 0x026F}, {0x19D, 0x0272}, {0x19F, 0x0275},
    {0x1A0, 0x01A1}, {0x1A2, 0x01A3}, {0x1A4, 0x01A5}, {0x1A6, 0x0280}, {0x1A7, 0x01A8},
    {0x1A9, 0x0283}, {0x1AC, 0x01AD}, {0x1AE, 0x0288}, {0x1AF, 0x01B0}, {0x1B1, 0x028A},
    {0x1B2, 0x028B}, {0x1B3, 0x01B4}, {0x1B5, 0x01B6}, {0x1B7, 0x0292}, {0x1B8, 0x01B9},
    {0x1BC, 0x01BD}, {0x1F6, 0x0195}, {0x1F7, 0x01BF}, {0x220, 0x019E}, {0x23A, 0x2C65},
    {0x23B, 0x023C}, {0x23D, 0x019A}, {0x23E, 0x2C66}, {0x241, 0x0242}, {0x243, 0x0180},
    {0x244, 0x0289}, {0x245, 0x028C}, {0x246, 0x0247}, {0x248, 0x0249}, {0x24A, 0x024B},
    {0x24C, 0x024D}, {0x24E, 0x024F}
};

static uint32_t lower_latin_b(uint32_t cp)
{
    for (size_t i = 0; i < sizeof LATIN_B / sizeof *LATIN_B; i++)
        if (LATIN_B[i][0] == cp) return LATIN_B[i][1];
    return cp;
}

static uint32_t lower_latin(uint32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 32;
    if (cp == 0x130) return 'i';
    if (cp == 0x178) return 0xFF;
    if (cp == 0x1C4 || cp == 0x1C7 || cp == 0x1CA || cp == 0x1F1) return cp + 2; /* DŽ LJ NJ DZ */
    if (cp == 0x1C5 || cp == 0x1C8 || cp == 0x1CB || cp == 0x1F2) return cp + 1; /* Dž Lj Nj Dz */
    if (cp == 0x1F4) return 0x1F5;
    if (cp == 0x1E9E) return 0xDF; /* capital sharp s */
    if (even_pair(cp, 0x100, 0x12F) || even_pair(cp, 0x132, 0x137) || even_pair(cp, 0x14A, 0x177) ||
        even_pair(cp, 0x1DE, 0x1EF) || even_pair(cp, 0x1F8, 0x21F) || even_pair(cp, 0x222, 0x233) ||
        even_pair(cp, 0x1E00, 0x1E95) || even_pair(cp, 0x1EA0, 0x1EFF))
        return cp + 1;
    if (odd_pair(cp, 0x139, 0x148) || odd_pair(cp, 0x179, 0x17E) || odd_pair(cp, 0x1CD, 0x1DC))
        return cp + 1;
    if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 32; /* full-width */
    if (cp >= 0x180 && cp < 0x250) return lower_latin_b(cp);
    return cp;
}

static uint32_t lower_greek(uint32_t cp)
{
    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;
    if (cp == 0x386) return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
    if (cp == 0x38C) return 0x3CC;
    if (cp == 0x38E || cp == 0x38F) return cp + 63;
    if (cp == 0x370 || cp == 0x372 || cp == 0x376 || cp == 0x3F7 || cp == 0x3FA ||
        even_pair(cp, 0x3D8, 0x3EF))
        return cp + 1;
    if (cp == 0x37F) return 0x3F3;
    if (cp == 0x3CF) return 0x3D7;
    if (cp == 0x3F4) return 0x3B8;
    if (cp == 0x3F9) return 0x3F2;
    if (cp >= 0x3FD && cp <= 0x3FF) return cp - 130;
    return cp;
}

/* Polytonic Greek (U+1F00..U+1FFF): most capitals sit 8 above their small letters. */
static uint32_t lower_greek_extended(uint32_t cp)
{
    int gap = cp == 0x1F1E || cp == 0x1F1F || cp == 0x1F4E || cp == 0x1F4F ||
              (cp >= 0x1F58 && cp <= 0x1F5E && !(cp & 1)); /* unassigned */
    if ((cp < 0x1F70 && (cp & 0xF) >= 8 && !gap) ||
        (cp >= 0x1F88 && cp <= 0x1FAF && (cp & 0xF) >= 8) || cp == 0x1FB8 || cp == 0x1FB9 ||
        cp == 0x1FD8 || cp == 0x1FD9 || cp == 0x1FE8 || cp == 0x1FE9)
        return cp - 8;
    switch (cp) {
    case 0x1FBA: case 0x1FBB: return cp - 74;
    case 0x1FBC: case 0x1FCC: case 0x1FFC: return cp - 9;
    case 0x1FC8: case 0x1FC9: case 0x1FCA: case 0x1FCB: return cp - 86;
    case 0x1FDA: case 0x1FDB: return cp - 100;
    case 0x1FEA: case 0x1FEB: return cp - 112;
    case 0x1FEC: return 0x1FE5;
    case 0x1FF8: case 0x1FF9: return cp - 128;
    case 0x1FFA: case 0x1FFB: return cp - 126;
    default: return cp;
    }
}

static uint32_t lower_cyrillic(uint32_t cp)
{
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
    if (even_pair(cp, 0x460, 0x481) || even_pair(cp, 0x48A, 0x4BF) || even_pair(cp, 0x4D0, 0x52F) ||
        odd_pair(cp, 0x4C1, 0x4CE))
        return cp + 1;
    if (cp == 0x4C0) return 0x4CF;
    return cp;
}

static uint32_t to_lower(uint32_t cp)
{
    if (cp < 0x370 || (cp >= 0x1E00 && cp < 0x1F00) || (cp >= 0xFF21 && cp <= 0xFF3A))
        return lower_latin(cp);
    if (cp < 0x400) return lower_greek(cp);
    if (cp < 0x530) return lower_cyrillic(cp);
    if (cp >= 0x531 && cp <= 0x556) return cp + 48; /* Armenian */
    if (cp >= 0x1F00 && cp < 0x2000) return lower_greek_extended(cp);
    return cp;
}

static void lower_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    uint32_t lc = cp < END_FILE ? to_lower(cp) : cp;
    c->stats.lowered += lc != cp;
    emit(c, s, lc);
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
    if (o->html) add_stage(c, html_put, NULL);
    if (o->gutenberg) add_stage(c, gut_put, NULL);
    add_stage(c, control_put, NULL);
    if (o->ascii) add_stage(c, ascii_put, NULL);
    if (o->lower) add_stage(c, lower_put, NULL);
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
    html_reset(&c->html);
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
