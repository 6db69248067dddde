/* vocab.c: the set of code points a model knows, built from a corpus, and text-to-id encoding. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int cr_vocab_build(const unsigned char *text, size_t len, cr_vocab *v, cr_error *err)
{
    memset(v, 0, sizeof *v);
    /* counts for the Basic Multilingual Plane in a table; the rest sorted afterwards */
    uint64_t *bmp = calloc(0x10000, sizeof *bmp);
    size_t nastral = 0, capastral = 0;
    uint32_t *astral = NULL;
    if (!bmp) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory building the vocabulary");
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = cr_utf8_decode(text + i, len - i, &cp);
        if (n == 0) {
            free(bmp);
            free(astral);
            return cr_fail(err, CR_EUTF8, (long long)i, NULL, "invalid UTF-8 at byte %zu", i);
        }
        if (cp < 0x10000) {
            bmp[cp]++;
        } else {
            if (nastral == capastral) {
                size_t cap = capastral ? 2 * capastral : 64;
                uint32_t *p = realloc(astral, cap * sizeof *p);
                if (!p) {
                    free(bmp);
                    free(astral);
                    return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory building the vocabulary");
                }
                astral = p;
                capastral = cap;
            }
            astral[nastral++] = cp;
        }
        i += n;
    }
    if (nastral) qsort(astral, nastral, sizeof *astral, cmp_u32);
    size_t size = 0;
    for (uint32_t c = 0; c < 0x10000; c++)
        size += bmp[c] != 0;
    for (size_t k = 0; k < nastral; k++)
        size += k == 0 || astral[k] != astral[k - 1];
    v->chars = malloc((size ? size : 1) * sizeof *v->chars);
    v->counts = malloc((size ? size : 1) * sizeof *v->counts);
    if (!v->chars || !v->counts) {
        free(bmp);
        free(astral);
        cr_vocab_free(v);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory building the vocabulary");
    }
    size_t j = 0;
    for (uint32_t c = 0; c < 0x10000; c++)
        if (bmp[c]) {
            v->chars[j] = c;
            v->counts[j++] = bmp[c];
        }
    for (size_t k = 0; k < nastral; k++) {
        if (k == 0 || astral[k] != astral[k - 1]) {
            v->chars[j] = astral[k];
            v->counts[j++] = 0;
        }
        v->counts[j - 1]++;
    }
    v->size = (uint32_t)size;
    free(bmp);
    free(astral);
    return CR_OK;
}

void cr_vocab_free(cr_vocab *v)
{
    if (!v) return;
    if (v->strings)
        for (uint32_t i = 0; i < v->size; i++)
            free(v->strings[i]);
    free(v->strings);
    free(v->chars);
    free(v->counts);
    v->chars = NULL;
    v->counts = NULL;
    v->strings = NULL;
    v->size = 0;
}

int cr_vocab_copy(cr_vocab *dst, const cr_vocab *src, cr_error *err)
{
    size_t n = src->size ? src->size : 1;
    memset(dst, 0, sizeof *dst);
    dst->chars = malloc(n * sizeof *dst->chars);
    dst->counts = malloc(n * sizeof *dst->counts);
    dst->strings = src->strings ? calloc(n, sizeof *dst->strings) : NULL;
    dst->size = src->size;
    int ok = dst->chars && dst->counts && (!src->strings || dst->strings);
    for (uint32_t i = 0; ok && src->strings && i < src->size; i++)
        if (src->strings[i]) {
            size_t len = strlen(src->strings[i]) + 1;
            ok = (dst->strings[i] = malloc(len)) != NULL;
            if (ok) memcpy(dst->strings[i], src->strings[i], len);
        }
    if (!ok) {
        cr_vocab_free(dst);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory copying the vocabulary");
    }
    memcpy(dst->chars, src->chars, src->size * sizeof *dst->chars);
    memcpy(dst->counts, src->counts, src->size * sizeof *dst->counts);
    return CR_OK;
}

size_t cr_vocab_text(const cr_vocab *v, uint32_t id, char buf[4], const char **text)
{
    if (v->strings && v->strings[id]) {
        *text = v->strings[id];
        return strlen(v->strings[id]);
    }
    *text = buf;
    return cr_utf8_encode(v->chars[id], buf);
}

int32_t cr_vocab_id(const cr_vocab *v, uint32_t cp)
{
    size_t lo = 0, hi = v->size;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->chars[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < v->size && v->chars[lo] == cp ? (int32_t)lo : -1;
}

int cr_vocab_encode(const cr_vocab *v, const unsigned char *text, size_t len, uint32_t **ids,
                    size_t *count, cr_error *err)
{
    size_t n = cr_utf8_count(text, len);
    uint32_t *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory encoding the text");
    size_t i = 0, k = 0;
    while (i < len) {
        uint32_t cp;
        size_t step = cr_utf8_decode(text + i, len - i, &cp);
        if (step == 0) {
            free(out);
            return cr_fail(err, CR_EUTF8, (long long)i, NULL, "invalid UTF-8 at byte %zu", i);
        }
        int32_t id = cr_vocab_id(v, cp);
        if (id < 0) {
            free(out);
            return cr_fail(err, CR_EVOCAB, (long long)i, NULL,
                           "character U+%04X at byte %zu is not in the model's vocabulary",
                           (unsigned)cp, i);
        }
        out[k++] = (uint32_t)id;
        i += step;
    }
    *ids = out;
    *count = k;
    return CR_OK;
}
