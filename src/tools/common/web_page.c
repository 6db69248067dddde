/* web_page.c: dump --html: the page of src/tools/page/ with a model's weights and card inside. */
#include "web_page.h"

#include "../cli.h"
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(cli_buf *o, const unsigned char *p, size_t n)
{
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        q[0] = B64[v >> 18 & 63];
        q[1] = B64[v >> 12 & 63];
        q[2] = i + 1 < n ? B64[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? B64[v & 63] : '=';
        cli_buf_add(o, q, 4);
    }
}

/* A JSON string that is safe inside a <script> block: '<', '>' and '&' as \u escapes, so that
 * no "</script>" or "<!--" can appear; bytes that are not UTF-8 become U+FFFD. */
static void json_str(cli_buf *o, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    cli_buf_puts(o, "\"");
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(u + i, len - i, &cp);
        if (k == 0) {
            cli_buf_puts(o, "\\ufffd");
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\') cli_buf_printf(o, "\\%c", (char)cp);
        else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 || cp == 0x2029)
            cli_buf_printf(o, "\\u%04x", (unsigned)cp);
        else cli_buf_add(o, u + i, k);
        i += k;
    }
    cli_buf_puts(o, "\"");
}

static void json_key(cli_buf *o, const char *k, const char *s)
{
    cli_buf_printf(o, "\"%s\":", k);
    json_str(o, s, strlen(s));
    cli_buf_puts(o, ",");
}

static void json_num(cli_buf *o, const char *k, double v)
{
    if (isfinite(v)) cli_buf_printf(o, "\"%s\":%.17g,", k, v);
    else cli_buf_printf(o, "\"%s\":null,", k);
}

/* IEEE 754 binary16, rounded to nearest even; beyond 65504 infinity. */
static uint16_t half_of(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below 2^-14: a subnormal half, in units of 2^-24 (exact scaling) */
        float a;
        memcpy(&a, &ax, sizeof a);
        return (uint16_t)(sign | (uint32_t)lrintf(a * 16777216.0f));
    }
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax & 0x7fffffu) >> 13), rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++; /* a carry moves into the exponent */
    return (uint16_t)(sign | h);
}

static void weights(cli_buf *o, const cr_model *m, const float *w, int precision)
{
    size_t n = cr_model_param_count(m), width = precision == 16 ? 2 : 4;
    unsigned char *b = malloc(n * width + 1);
    if (!b) cli_die(NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (precision == 16) v = half_of(w[i]);
        else memcpy(&v, &w[i], sizeof v);
        for (size_t k = 0; k < width; k++)
            b[i * width + k] = (unsigned char)(v >> (8 * k)); /* little-endian */
    }
    base64(o, b, n * width);
    free(b);
}

static void sha_hex(const unsigned char sha[32], char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sha[i]);
}

static void meta_model(cli_buf *o, const cr_model *m, int precision, const char *name,
                       const char *what)
{
    const cr_config *c = cr_model_config(m);
    const cr_vocab *v = cr_model_vocab(m);
    const cr_train_progress *g = cr_model_progress(m);
    cli_buf_puts(o, "{\"format\":1,");
    json_key(o, "charrnn", CR_VERSION);
    /* the file (or an ml5.js folder: models/bolano/), without the folders it is in */
    size_t n = strlen(name), start;
    while (n > 1 && name[n - 1] == '/')
        n--;
    for (start = n; start > 0 && name[start - 1] != '/'; start--)
        ;
    cli_buf_printf(o, "\"name\":");
    json_str(o, name + (start < n ? start : 0), start < n ? n - start : n);
    cli_buf_puts(o, ",");
    json_key(o, "weights", what);
    json_key(o, "cell", cr_cell_name(c->cell));
    cli_buf_printf(o, "\"layers\":%d,\"hidden\":%d,\"embed\":%d,\"precision\":%d,", c->layers,
                   c->hidden, c->embed, precision);
    cli_buf_printf(o, "\"params\":%zu,\"steps\":%llu,\"chars_seen\":%llu,", cr_model_param_count(m),
                   (unsigned long long)g->step, (unsigned long long)g->chars);
    json_num(o, "best_val", g->best_val);
    json_num(o, "wall_s", g->wall_s);
    cli_buf_puts(o, "\"chars\":[");
    for (uint32_t i = 0; i < v->size; i++)
        cli_buf_printf(o, "%s%lu", i ? "," : "", (unsigned long)v->chars[i]);
    cli_buf_puts(o, "],\"texts\":[");
    for (uint32_t i = 0; i < v->size; i++) {
        char b[4];
        const char *t;
        size_t k = cr_vocab_text(v, i, b, &t);
        if (i) cli_buf_puts(o, ",");
        json_str(o, t, k);
    }
    cli_buf_puts(o, "],\"tensors\":[");
    for (size_t i = 0; i < cr_model_tensor_count(m); i++) {
        const cr_tensor_info *t = cr_model_tensor(m, i);
        cli_buf_printf(o, "%s{\"name\":\"%s\",\"rows\":%zu,\"cols\":%zu,\"offset\":%zu}",
                       i ? "," : "", t->name, t->dims[0], t->ndim == 2 ? t->dims[1] : 1, t->offset);
    }
    cli_buf_puts(o, "],");
}

/* The lineage: sources by name, size and checksum, dates, commands; never the text. */
static void meta_lineage(cli_buf *o, const cr_model *m)
{
    const cr_session *s;
    size_t n = cr_model_sessions(m, &s);
    cli_buf_puts(o, "\"sessions\":[");
    for (size_t i = 0; i < n; i++) {
        cli_buf_puts(o, i ? ",{" : "{");
        json_key(o, "date", s[i].date);
        json_key(o, "version", s[i].version);
        json_key(o, "command", s[i].command);
        cli_buf_printf(o, "\"start_step\":%llu,\"sources\":[", (unsigned long long)s[i].start_step);
        for (uint32_t k = 0; k < s[i].nsources; k++) {
            char hex[65];
            sha_hex(s[i].sources[k].sha256, hex);
            cli_buf_puts(o, k ? ",{" : "{");
            json_key(o, "name", s[i].sources[k].name);
            json_key(o, "sha256", hex);
            cli_buf_printf(o, "\"bytes\":%llu}", (unsigned long long)s[i].sources[k].bytes);
        }
        cli_buf_puts(o, "]}");
    }
    cli_buf_puts(o, "],");
}

/* The loss curve, as dump --svg draws it, base64 for an <img> the script fills in. */
static void meta_svg(cli_buf *o, const cr_model *m, const char *name)
{
    size_t n;
    cli_capture_begin();
    chart_loss_svg(m, name);
    char *svg = cli_capture_end(&n);
    cli_buf_puts(o, "\"loss_svg\":\"");
    base64(o, (const unsigned char *)svg, n);
    cli_buf_puts(o, "\"}");
    free(svg);
}

/* "sha256-BASE64" of a script or style block, for the Content-Security-Policy. */
static void csp_hash(cli_buf *o, const unsigned char *p, size_t n)
{
    cr_sha256 c;
    unsigned char h[32];
    cr_sha256_init(&c);
    cr_sha256_update(&c, p, n);
    cr_sha256_final(&c, h);
    cli_buf_puts(o, "'sha256-");
    base64(o, h, sizeof h);
    cli_buf_puts(o, "'");
}

static int fail(cr_error *err, int code, const char *msg)
{
    memset(err, 0, sizeof *err);
    err->code = code;
    err->offset = -1;
    snprintf(err->message, sizeof err->message, "%s", msg);
    return code;
}

/* Copies the template from *at up to the marker, and steps over the marker. */
static int upto(cli_buf *o, const char **at, const char *marker)
{
    const char *m = strstr(*at, marker);
    if (!m) return 0;
    cli_buf_add(o, *at, (size_t)(m - *at));
    *at = m + strlen(marker);
    return 1;
}

int web_page_write(const cr_model *m, const float *w, int precision, const char *name,
                   const char *what, const char *path, cr_error *err)
{
    const char *html = (const char *)PAGE_HTML, *at = html;
    cli_buf o = {0}; /* the page, saved in one go so that a failure leaves no half page */
    if (precision != 16 && precision != 32)
        return fail(err, CR_EINVAL, "the precision must be 16 or 32 bits");
    /* a script or style that closed its own block would let the rest be read as markup */
    if (strstr((const char *)PAGE_JS, "</") || strstr((const char *)PAGE_CSS, "</"))
        return fail(err, CR_EINVAL, "the page's script or style holds '</' (a build error)");
    int ok = upto(&o, &at, "<!--CSP-->");
    cli_buf_puts(&o, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
              "script-src ");
    csp_hash(&o, PAGE_JS, PAGE_JS_LEN);
    /* lets page.js compile its own small WebAssembly module (the products, from bytes it
     * writes itself): it permits no request and no other script (docs/web-page.md) */
    cli_buf_puts(&o, " 'wasm-unsafe-eval'; style-src ");
    csp_hash(&o, PAGE_CSS, PAGE_CSS_LEN);
    cli_buf_puts(&o, "; img-src data:; base-uri 'none'; form-action 'none'\">");
    ok = ok && upto(&o, &at, "<!--STYLE-->");
    cli_buf_puts(&o, "<style>");
    cli_buf_add(&o, PAGE_CSS, PAGE_CSS_LEN);
    cli_buf_puts(&o, "</style>");
    ok = ok && upto(&o, &at, "<!--DATA-->");
    cli_buf_puts(&o, "<script type=\"application/json\" id=\"bot-meta\">");
    meta_model(&o, m, precision, name, what);
    meta_lineage(&o, m);
    meta_svg(&o, m, name);
    cli_buf_puts(&o, "</script>\n<script type=\"application/octet-stream\" id=\"bot-weights\">");
    weights(&o, m, w, precision);
    cli_buf_puts(&o, "</script>");
    ok = ok && upto(&o, &at, "<!--SCRIPT-->");
    cli_buf_puts(&o, "<script>");
    cli_buf_add(&o, PAGE_JS, PAGE_JS_LEN);
    cli_buf_puts(&o, "</script>");
    cli_buf_puts(&o, at);
    int rc;
    if (!ok) rc = fail(err, CR_EINVAL, "the page's template lacks a marker (a build error)");
    else rc = cr_save_file(path, o.p, o.n, err);
    free(o.p);
    return rc;
}
