/* clean_html.c: the cleaner's --html stage: tags, comments, scripts and styles go, entities are
 * decoded. */
#include "clean_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void cr_clean_html_reset(html_state *h)
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
        cr_clean_html_put(c, s, cp);
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
    cr_clean_html_put(c, s, cp);
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
        cr_clean_html_put(c, s, cp);
        return;
    }
    h->mode = H_TEXT;
    c->stats.entities++;
    html_text(c, s, numeric_char(h->num));
    if (cp != ';') cr_clean_html_put(c, s, cp);
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
        cr_clean_html_reset(h);
    }
    emit(c, s, cp);
}

void cr_clean_html_put(cr_cleaner *c, stage *s, uint32_t cp)
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
