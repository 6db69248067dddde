/* json.c: a small strict JSON reader and writer (json.h), with byte offsets in every error. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct reader {
    const unsigned char *s;
    size_t len, pos;
    const char *what;
    cr_error *err;
} reader;

static int fail_at(reader *r, size_t at, const char *problem)
{
    return cr_fail(r->err, CR_EFORMAT, (long long)at, NULL, "%s: %s at byte %zu", r->what,
                   problem, at);
}

static void skip_space(reader *r)
{
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                               r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
        r->pos++;
}

/* The problem at r->pos, for a message: the end of the text, or a character there. */
static int unexpected(reader *r, const char *expected)
{
    char msg[160];
    if (r->pos >= r->len)
        snprintf(msg, sizeof msg, "the text ends where %s was expected", expected);
    else if (r->s[r->pos] >= 0x20 && r->s[r->pos] < 0x7F)
        snprintf(msg, sizeof msg, "'%c' where %s was expected", r->s[r->pos], expected);
    else snprintf(msg, sizeof msg, "byte 0x%02X where %s was expected", r->s[r->pos], expected);
    return fail_at(r, r->pos, msg);
}

static int hex4(reader *r, size_t at, unsigned *v)
{
    *v = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = at + i < r->len ? r->s[at + i] : 0;
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16) return fail_at(r, at - 2, "a \\u escape without four hexadecimal digits");
        *v = *v << 4 | d;
    }
    return CR_OK;
}

/* A string literal at r->pos (its opening quote); the decoded text is never longer. */
static int parse_string(reader *r, cr_json *v)
{
    size_t start = r->pos++, cap = 0;
    for (size_t i = r->pos; i < r->len && r->s[i] != '"'; i++)
        cap += r->s[i] == '\\' ? (i++, 2) : 1;
    v->type = CR_JSON_STRING;
    v->offset = start;
    if (!(v->str = malloc(cap + 1))) return cr_fail(r->err, CR_ENOMEM, -1, NULL, "out of memory");
    size_t n = 0;
    for (;;) {
        if (r->pos >= r->len) return fail_at(r, start, "a string that is never closed");
        unsigned char c = r->s[r->pos];
        if (c == '"') break;
        if (c < 0x20) return fail_at(r, r->pos, "a control character not escaped in a string");
        if (c != '\\') {
            uint32_t cp;
            size_t k = cr_utf8_decode(r->s + r->pos, r->len - r->pos, &cp);
            if (k == 0) return fail_at(r, r->pos, "bytes that are not UTF-8 in a string");
            memcpy(v->str + n, r->s + r->pos, k);
            n += k;
            r->pos += k;
            continue;
        }
        size_t at = r->pos;
        unsigned char e = at + 1 < r->len ? r->s[at + 1] : 0;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char OUT[] = "\"\\/\b\f\n\r\t";
            v->str[n++] = OUT[simple - "\"\\/bfnrt"];
            r->pos += 2;
            continue;
        }
        if (e != 'u') return fail_at(r, at, "an unknown escape in a string");
        unsigned u, lo;
        if (hex4(r, at + 2, &u)) return CR_EFORMAT;
        r->pos = at + 6;
        if (u >= 0xDC00 && u <= 0xDFFF)
            return fail_at(r, at, "a lone low surrogate (\\uDC00-\\uDFFF)");
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (r->pos + 1 >= r->len || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
                return fail_at(r, at, "a high surrogate not followed by a low one");
            if (hex4(r, r->pos + 2, &lo)) return CR_EFORMAT;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail_at(r, at, "a high surrogate not followed by a low one");
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            r->pos += 6;
        }
        n += cr_utf8_encode(u, v->str + n); /* 12 bytes of escapes never give more than 4 */
    }
    r->pos++;
    v->str[n] = 0;
    v->len = n;
    return CR_OK;
}

static int parse_number(reader *r, cr_json *v)
{
    size_t start = r->pos;
    int neg = r->pos < r->len && r->s[r->pos] == '-';
    r->pos += (size_t)neg;
    v->type = CR_JSON_NUMBER;
    v->offset = start;
    if (r->pos >= r->len || r->s[r->pos] < '0' || r->s[r->pos] > '9')
        return fail_at(r, start, "a number without digits");
    if (r->s[r->pos] == '0' && r->pos + 1 < r->len && r->s[r->pos + 1] >= '0' &&
        r->s[r->pos + 1] <= '9')
        return fail_at(r, start, "a number with a leading zero");
    uint64_t mag = 0;
    int big = 0;
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
        mag = mag * 10 + (uint64_t)(r->s[r->pos++] - '0');
        big |= mag > (1ull << 53);
    }
    int integral = 1;
    if (r->pos < r->len && r->s[r->pos] == '.') {
        integral = 0;
        r->pos++;
        if (r->pos >= r->len || r->s[r->pos] < '0' || r->s[r->pos] > '9')
            return fail_at(r, start, "a number with no digit after its decimal point");
        while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
            r->pos++;
    }
    if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
        integral = 0;
        r->pos++;
        if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-')) r->pos++;
        if (r->pos >= r->len || r->s[r->pos] < '0' || r->s[r->pos] > '9')
            return fail_at(r, start, "a number with no digit in its exponent");
        while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
            r->pos++;
    }
    v->is_int = integral && !big;
    v->ival = v->is_int ? (neg ? -(int64_t)mag : (int64_t)mag) : 0;
    return CR_OK;
}

static int parse_literal(reader *r, cr_json *v, const char *word, int type, int b)
{
    size_t n = strlen(word);
    v->offset = r->pos;
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
        return unexpected(r, "a value");
    v->type = type;
    v->boolean = b;
    r->pos += n;
    return CR_OK;
}

static int parse_value(reader *r, cr_json *v, int depth);

/* Appends a zeroed value to a growing list; NULL when out of memory. */
static cr_json *grow(cr_json **list, size_t n, size_t *cap)
{
    if (n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        cr_json *p = realloc(*list, c * sizeof *p);
        if (!p) return NULL;
        *list = p;
        *cap = c;
    }
    memset(&(*list)[n], 0, sizeof **list);
    return &(*list)[n];
}

static int key_order(const void *a, const void *b)
{
    const cr_json *x = *(const cr_json *const *)a, *y = *(const cr_json *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->str, y->str, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Refuses an object with a key twice (JSON.parse would keep the last, silently). */
static int check_duplicates(reader *r, const cr_json *v)
{
    if (v->len < 2) return CR_OK;
    const cr_json **k = malloc(v->len * sizeof *k);
    if (!k) return cr_fail(r->err, CR_ENOMEM, -1, NULL, "out of memory");
    for (size_t i = 0; i < v->len; i++)
        k[i] = &v->keys[i];
    qsort(k, v->len, sizeof *k, key_order);
    size_t at = 0;
    int dup = 0;
    for (size_t i = 1; i < v->len; i++)
        if (key_order(&k[i - 1], &k[i]) == 0) {
            size_t later = k[i]->offset > k[i - 1]->offset ? k[i]->offset : k[i - 1]->offset;
            if (!dup || later < at) at = later;
            dup = 1;
        }
    free(k);
    return dup ? fail_at(r, at, "a key that the object already has") : CR_OK;
}

static int parse_container(reader *r, cr_json *v, int depth, int object)
{
    const char close = object ? '}' : ']';
    size_t cap = 0, kcap = 0;
    v->type = object ? CR_JSON_OBJECT : CR_JSON_ARRAY;
    v->offset = r->pos++;
    if (depth >= MAX_DEPTH) return fail_at(r, v->offset, "nesting deeper than 64 levels");
    skip_space(r);
    if (r->pos < r->len && r->s[r->pos] == close) {
        r->pos++;
        return CR_OK;
    }
    for (;;) {
        skip_space(r);
        if (object && (r->pos >= r->len || r->s[r->pos] != '"'))
            return unexpected(r, "a key (a string)");
        /* a zeroed key and value are counted at once, so that cr_json_free frees what follows */
        if ((object && !grow(&v->keys, v->len, &kcap)) || !grow(&v->items, v->len, &cap))
            return cr_fail(r->err, CR_ENOMEM, -1, NULL, "out of memory");
        cr_json *item = &v->items[v->len++];
        if (object) {
            int rc = parse_string(r, &v->keys[v->len - 1]);
            if (rc) return rc;
            skip_space(r);
            if (r->pos >= r->len || r->s[r->pos] != ':') return unexpected(r, "':'");
            r->pos++;
        }
        int rc = parse_value(r, item, depth + 1);
        if (rc) return rc;
        skip_space(r);
        if (r->pos < r->len && r->s[r->pos] == ',') {
            size_t comma = r->pos++;
            skip_space(r);
            if (r->pos < r->len && r->s[r->pos] == close)
                return fail_at(r, comma, object ? "a comma before '}'" : "a comma before ']'");
            continue;
        }
        if (r->pos < r->len && r->s[r->pos] == close) {
            r->pos++;
            return object ? check_duplicates(r, v) : CR_OK;
        }
        return unexpected(r, object ? "',' or '}'" : "',' or ']'");
    }
}

static int parse_value(reader *r, cr_json *v, int depth)
{
    skip_space(r);
    if (r->pos >= r->len) return unexpected(r, "a value");
    switch (r->s[r->pos]) {
    case '{': return parse_container(r, v, depth, 1);
    case '[': return parse_container(r, v, depth, 0);
    case '"': return parse_string(r, v);
    case 't': return parse_literal(r, v, "true", CR_JSON_BOOL, 1);
    case 'f': return parse_literal(r, v, "false", CR_JSON_BOOL, 0);
    case 'n': return parse_literal(r, v, "null", CR_JSON_NULL, 0);
    default:
        if (r->s[r->pos] == '-' || (r->s[r->pos] >= '0' && r->s[r->pos] <= '9'))
            return parse_number(r, v);
        return unexpected(r, "a value");
    }
}

int cr_json_parse(const unsigned char *text, size_t len, const char *what, cr_json *out,
                  cr_error *err)
{
    reader r = {text, len, 0, what, err};
    memset(out, 0, sizeof *out);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) r.pos = 3;
    int rc = parse_value(&r, out, 0);
    if (rc) return rc;
    skip_space(&r);
    if (r.pos < len) return fail_at(&r, r.pos, "more text after the end of the JSON value");
    return CR_OK;
}

void cr_json_free(cr_json *v)
{
    if (!v) return;
    free(v->str);
    if (v->type == CR_JSON_ARRAY || v->type == CR_JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            cr_json_free(&v->items[i]);
            if (v->keys) cr_json_free(&v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

const cr_json *cr_json_member(const cr_json *obj, const char *key)
{
    if (!obj || obj->type != CR_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (obj->keys[i].len == n && memcmp(obj->keys[i].str, key, n) == 0) return &obj->items[i];
    return NULL;
}

/* ---- writing ---- */
void cr_jbuf_put(cr_jbuf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void cr_jbuf_puts(cr_jbuf *b, const char *s) { cr_jbuf_put(b, s, strlen(s)); }

void cr_jbuf_printf(cr_jbuf *b, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) b->failed = 1; /* only short items are printed */
    else cr_jbuf_put(b, buf, (size_t)n);
}

void cr_jbuf_string(cr_jbuf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    char e[16];
    cr_jbuf_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, n - i, &cp);
        if (k == 0) { /* not UTF-8: cannot happen for vocabulary text; written as U+FFFD */
            cp = 0xFFFD;
            k = 1;
        }
        i += k;
        const char *simple = cp == '"' ? "\\\"" : cp == '\\' ? "\\\\" : cp == '\n' ? "\\n"
                             : cp == '\r' ? "\\r" : cp == '\t' ? "\\t" : cp == '\b' ? "\\b"
                             : cp == '\f' ? "\\f" : NULL;
        if (simple) {
            cr_jbuf_puts(b, simple);
        } else if (cp >= 0x20 && cp < 0x7F) {
            char c = (char)cp;
            cr_jbuf_put(b, &c, 1);
        } else if (cp < 0x10000) {
            snprintf(e, sizeof e, "\\u%04x", (unsigned)cp);
            cr_jbuf_puts(b, e);
        } else {
            uint32_t v = cp - 0x10000;
            snprintf(e, sizeof e, "\\u%04x\\u%04x", (unsigned)(0xD800 + (v >> 10)),
                     (unsigned)(0xDC00 + (v & 0x3FF)));
            cr_jbuf_puts(b, e);
        }
    }
    cr_jbuf_put(b, "\"", 1);
}
