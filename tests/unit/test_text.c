/* test_text.c: strict UTF-8 decoding and encoding, and the vocabulary built from a text. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define U(s) ((const unsigned char *)(s))

/* Decodes exactly the n bytes given from a heap copy, so that ASan sees any read past them. */
static size_t decode_exact(const char *bytes, size_t n, uint32_t *cp)
{
    unsigned char *p = malloc(n ? n : 1);
    if (!p) return 99;
    memcpy(p, bytes, n);
    size_t r = cr_utf8_decode(p, n, cp);
    free(p);
    return r;
}

TEST(utf8_decode_known_characters)
{
    static const struct {
        const char *s;
        size_t len;
        uint32_t cp;
    } v[] = {
        {"A", 1, 0x41},          {"\x7F", 1, 0x7F},    {"\xC3\xB1", 2, 0xF1} /* ñ */,
        {"\xD0\xB6", 2, 0x436} /* ж */, {"\xD8\xB3", 2, 0x633} /* س */,
        {"\xE4\xB8\xAD", 3, 0x4E2D} /* 中 */, {"\xE2\x80\x94", 3, 0x2014} /* — */,
        {"\xF0\x9F\x98\x80", 4, 0x1F600} /* 😀 */,
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t cp = 0xFFFFFFFF;
        CHECK(decode_exact(v[i].s, v[i].len, &cp) == v[i].len);
        CHECK(cp == v[i].cp);
        char out[4];
        CHECK(cr_utf8_encode(v[i].cp, out) == v[i].len);
        CHECK(memcmp(out, v[i].s, v[i].len) == 0);
    }
    /* a NUL byte is a character like any other */
    uint32_t cp = 1;
    CHECK(decode_exact("\0", 1, &cp) == 1 && cp == 0);
    /* nothing to decode */
    CHECK(cr_utf8_decode(U("A"), 0, &cp) == 0);
    /* only the first character is decoded */
    CHECK(cr_utf8_decode(U("\xC3\xB1z"), 3, &cp) == 2 && cp == 0xF1);
}

TEST(utf8_class_boundaries_round_trip)
{
    static const struct {
        uint32_t cp;
        size_t len;
        const char *bytes;
    } v[] = {
        {0x00, 1, "\x00"},
        {0x7F, 1, "\x7F"},
        {0x80, 2, "\xC2\x80"},
        {0x7FF, 2, "\xDF\xBF"},
        {0x800, 3, "\xE0\xA0\x80"},
        {0xD7FF, 3, "\xED\x9F\xBF"},
        {0xE000, 3, "\xEE\x80\x80"},
        {0xFFFD, 3, "\xEF\xBF\xBD"},
        {0xFFFF, 3, "\xEF\xBF\xBF"},
        {0x10000, 4, "\xF0\x90\x80\x80"},
        {0x10FFFF, 4, "\xF4\x8F\xBF\xBF"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[4] = {0};
        CHECK(cr_utf8_encode(v[i].cp, out) == v[i].len);
        CHECK(memcmp(out, v[i].bytes, v[i].len) == 0);
        uint32_t cp = 0xFFFFFFFF;
        CHECK(decode_exact(v[i].bytes, v[i].len, &cp) == v[i].len);
        CHECK(cp == v[i].cp);
        /* one byte short is a truncated sequence */
        if (v[i].len > 1) CHECK(decode_exact(v[i].bytes, v[i].len - 1, &cp) == 0);
    }
}

TEST(utf8_every_scalar_round_trips)
{
    int bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        char out[4];
        size_t n = cr_utf8_encode(cp, out);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            bad += n != 0;
            continue;
        }
        size_t expect = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        uint32_t back = 0xFFFFFFFF;
        if (n != expect || cr_utf8_decode((const unsigned char *)out, n, &back) != n ||
            back != cp) {
            if (bad++ < 3) fprintf(stderr, "  U+%04X does not round-trip\n", (unsigned)cp);
        }
    }
    CHECK(bad == 0);
    char out[4];
    CHECK(cr_utf8_encode(0x110000, out) == 0);
    CHECK(cr_utf8_encode(0xFFFFFFFF, out) == 0);
    CHECK(cr_utf8_encode(0xD800, out) == 0);
    CHECK(cr_utf8_encode(0xDFFF, out) == 0);
}

TEST(utf8_rejects_ill_formed)
{
    static const struct {
        const char *s;
        size_t len;
        const char *why;
    } v[] = {
        {"\xC0\x80", 2, "overlong NUL"},
        {"\xC1\xBF", 2, "overlong 7F"},
        {"\xE0\x80\x80", 3, "overlong 3-byte NUL"},
        {"\xE0\x9F\xBF", 3, "overlong 7FF"},
        {"\xF0\x80\x80\x80", 4, "overlong 4-byte NUL"},
        {"\xF0\x8F\xBF\xBF", 4, "overlong FFFF"},
        {"\xED\xA0\x80", 3, "surrogate D800"},
        {"\xED\xBF\xBF", 3, "surrogate DFFF"},
        {"\xF4\x90\x80\x80", 4, "U+110000"},
        {"\xF7\xBF\xBF\xBF", 4, "U+1FFFFF"},
        {"\x80", 1, "stray continuation"},
        {"\xBF", 1, "stray continuation"},
        {"\xC3", 1, "truncated 2-byte"},
        {"\xE4\xB8", 2, "truncated 3-byte"},
        {"\xF0\x9F\x98", 3, "truncated 4-byte"},
        {"\xC3\x41", 2, "lead then ASCII"},
        {"\xE4\xB8\x41", 3, "3-byte with ASCII third"},
        {"\xF0\x9F\x98\xC3", 4, "4-byte with a lead as fourth"},
        {"\xF5\x80\x80\x80", 4, "F5"},
        {"\xF8\x88\x80\x80", 4, "F8"},
        {"\xFC\x84\x80\x80", 4, "FC"},
        {"\xFE", 1, "FE"},
        {"\xFF", 1, "FF"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t cp;
        size_t n = decode_exact(v[i].s, v[i].len, &cp);
        if (n != 0) fprintf(stderr, "  accepted: %s\n", v[i].why);
        CHECK(n == 0);
        size_t off = 99;
        CHECK(cr_utf8_valid(U(v[i].s), v[i].len, &off) == 0);
        CHECK(off == 0);
    }
    for (unsigned b = 0xF5; b <= 0xFF; b++) {
        unsigned char s[4] = {(unsigned char)b, 0x80, 0x80, 0x80};
        uint32_t cp;
        CHECK(cr_utf8_decode(s, 4, &cp) == 0);
    }
}

/* Table 3-7 of the Unicode Standard: the well-formed byte sequences, written independently. */
static size_t wellformed(const unsigned char *s, size_t len)
{
#define IN(x, a, b) ((x) >= (a) && (x) <= (b))
    unsigned c = s[0];
    if (c <= 0x7F) return 1;
    if (IN(c, 0xC2, 0xDF)) return len >= 2 && IN(s[1], 0x80, 0xBF) ? 2 : 0;
    if (IN(c, 0xE0, 0xEF)) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return len >= 3 && IN(s[1], lo, hi) && IN(s[2], 0x80, 0xBF) ? 3 : 0;
    }
    if (IN(c, 0xF0, 0xF4)) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return len >= 4 && IN(s[1], lo, hi) && IN(s[2], 0x80, 0xBF) && IN(s[3], 0x80, 0xBF) ? 4
                                                                                           : 0;
    }
    return 0;
#undef IN
}

TEST(utf8_decode_matches_unicode_table)
{
    int bad = 0;
    unsigned char s[4];
    uint32_t cp;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            s[0] = (unsigned char)a;
            s[1] = (unsigned char)b;
            bad += cr_utf8_decode(s, 2, &cp) != wellformed(s, 2);
        }
    for (unsigned a = 0xE0; a <= 0xEF; a++)
        for (unsigned b = 0; b < 256; b++)
            for (unsigned c = 0; c < 256; c++) {
                s[0] = (unsigned char)a;
                s[1] = (unsigned char)b;
                s[2] = (unsigned char)c;
                bad += cr_utf8_decode(s, 3, &cp) != wellformed(s, 3);
            }
    static const unsigned char edge[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                         0xA0, 0xBF, 0xC0, 0xC2, 0xF4, 0xFF};
    for (unsigned a = 0xF0; a <= 0xFF; a++)
        for (unsigned b = 0; b < 256; b++)
            for (size_t c = 0; c < sizeof edge; c++)
                for (size_t d = 0; d < sizeof edge; d++) {
                    s[0] = (unsigned char)a;
                    s[1] = (unsigned char)b;
                    s[2] = edge[c];
                    s[3] = edge[d];
                    bad += cr_utf8_decode(s, 4, &cp) != wellformed(s, 4);
                }
    CHECK(bad == 0);
}

TEST(utf8_valid_reports_first_bad_offset)
{
    static const struct {
        const char *s;
        size_t len;
        size_t off;
    } v[] = {
        {"a\xC3\xB1\xFF" "b", 5, 3},            /* "añ" then FF */
        {"\xE4\xB8\xAD\xED\xA0\x80", 6, 3},     /* 中 then a surrogate */
        {"ab\xE4\xB8", 4, 2},                   /* truncated at the end */
        {"ab\xE4\xB8z", 5, 2},                  /* truncated in the middle */
        {"a\x80", 2, 1},                        /* stray continuation */
        {"xx\xC0\x80", 4, 2},                   /* overlong */
        {"\xF0\x9F\x98\x80\xF4\x90\x80\x80", 8, 4}, /* 😀 then above U+10FFFF */
        {"\xD0\xB6\xD0\xB6\xD0", 5, 4},         /* жж then a lone lead */
        {"\xC3\xB1\xB1", 3, 2},                 /* ñ then an extra continuation */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t off = 999;
        CHECK(cr_utf8_valid(U(v[i].s), v[i].len, &off) == 0);
        if (off != v[i].off)
            fprintf(stderr, "  case %zu: offset %zu, expected %zu\n", i, off, v[i].off);
        CHECK(off == v[i].off);
    }
    size_t off = 12345;
    const char *ok = "¡Hola! Жизнь 中文 😀";
    CHECK(cr_utf8_valid(U(ok), strlen(ok), &off) == 1);
    CHECK(off == 12345); /* untouched on success */
    CHECK(cr_utf8_valid(U(""), 0, &off) == 1);
    CHECK(cr_utf8_valid(U("\xFF"), 1, NULL) == 0); /* the offset is optional */
}

TEST(utf8_count)
{
    CHECK(cr_utf8_count(U(""), 0) == 0);
    CHECK(cr_utf8_count(U("abc"), 3) == 3);
    const char *t = "ñж中😀";
    CHECK(strlen(t) == 2 + 2 + 3 + 4);
    CHECK(cr_utf8_count(U(t), strlen(t)) == 4);
    CHECK(cr_utf8_count(U(t), 2) == 1);
    CHECK(cr_utf8_count(U("\0\0"), 2) == 2);
}

/* ---- the vocabulary ---- */

/* Spanish, Farsi, Russian, Chinese and emoji: 47 code points, 84 bytes. */
static const char MIXED[] = "¡Hola, niño! سلام دنیا. Жизнь — жизнь. 中文中 😀😀🎉\n";

/* Its distinct code points and their counts (from Python's collections.Counter). */
static const struct {
    uint32_t cp;
    uint64_t count;
} MIXED_VOCAB[] = {
    {0xA, 1},    {0x20, 8},   {0x21, 1},   {0x2C, 1},    {0x2E, 2},    {0x48, 1},
    {0x61, 1},   {0x69, 1},   {0x6C, 1},   {0x6E, 1},    {0x6F, 2},    {0xA1, 1},
    {0xF1, 1},   {0x416, 1},  {0x436, 1},  {0x437, 2},   {0x438, 2},   {0x43D, 2},
    {0x44C, 2},  {0x627, 2},  {0x62F, 1},  {0x633, 1},   {0x644, 1},   {0x645, 1},
    {0x646, 1},  {0x6CC, 1},  {0x2014, 1}, {0x4E2D, 2},  {0x6587, 1},  {0x1F389, 1},
    {0x1F600, 2},
};

TEST(vocab_build_mixed_scripts)
{
    const size_t len = sizeof MIXED - 1;
    REQUIRE(len == 84);
    CHECK(cr_utf8_count(U(MIXED), len) == 47);
    cr_vocab v;
    cr_error e;
    REQUIRE(cr_vocab_build(U(MIXED), len, &v, &e) == CR_OK);
    const size_t nv = sizeof MIXED_VOCAB / sizeof MIXED_VOCAB[0];
    CHECK(v.size == nv);
    uint64_t total = 0;
    for (uint32_t i = 0; i < v.size && i < nv; i++) {
        CHECK(v.chars[i] == MIXED_VOCAB[i].cp);
        CHECK(v.counts[i] == MIXED_VOCAB[i].count);
        CHECK(cr_vocab_id(&v, MIXED_VOCAB[i].cp) == (int32_t)i);
        if (i > 0) CHECK(v.chars[i] > v.chars[i - 1]);
        total += v.counts[i];
    }
    CHECK(total == 47);
    /* absent characters, including neighbours of present ones and values beyond the ends */
    CHECK(cr_vocab_id(&v, 0) == -1);
    CHECK(cr_vocab_id(&v, 'A') == -1);
    CHECK(cr_vocab_id(&v, 0x439) == -1);
    CHECK(cr_vocab_id(&v, 0x4E2C) == -1);
    CHECK(cr_vocab_id(&v, 0x1F601) == -1);
    CHECK(cr_vocab_id(&v, 0x10FFFF) == -1);
    CHECK(cr_vocab_id(&v, 0xFFFFFFFF) == -1);

    uint32_t *ids = NULL;
    size_t n = 0;
    REQUIRE(cr_vocab_encode(&v, U(MIXED), len, &ids, &n, &e) == CR_OK);
    CHECK(n == 47);
    /* decoding the ids gives the text back */
    char back[sizeof MIXED + 4];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 <= sizeof back; i++)
        k += cr_utf8_encode(v.chars[ids[i]], back + k);
    CHECK(k == len && memcmp(back, MIXED, len) == 0);
    free(ids);
    cr_vocab_free(&v);
    CHECK(v.chars == NULL && v.counts == NULL && v.size == 0);
    cr_vocab_free(&v); /* twice is harmless */
    cr_vocab_free(NULL);
}

TEST(vocab_build_counts_repeated_astral)
{
    /* astral characters are counted apart from the table of the first plane */
    const char *t = "😀a😀b😀🎉a\xF4\x8F\xBF\xBF😀";
    cr_vocab v;
    cr_error e;
    REQUIRE(cr_vocab_build(U(t), strlen(t), &v, &e) == CR_OK);
    REQUIRE(v.size == 5);
    CHECK(v.chars[0] == 'a' && v.counts[0] == 2);
    CHECK(v.chars[1] == 'b' && v.counts[1] == 1);
    CHECK(v.chars[2] == 0x1F389 && v.counts[2] == 1);
    CHECK(v.chars[3] == 0x1F600 && v.counts[3] == 4);
    CHECK(v.chars[4] == 0x10FFFF && v.counts[4] == 1);
    cr_vocab_free(&v);
}

TEST(vocab_build_rejects_invalid_utf8)
{
    static const struct {
        const char *s;
        size_t len;
        long long off;
    } v[] = {
        {"ni\xC3\xB1o \xFF", 7, 6},
        {"\xE4\xB8\xAD\xE6\x96", 5, 3},     /* 中 then a truncated 文 */
        {"\xD0\xB6\xED\xA0\x80", 5, 2},     /* ж then a surrogate */
        {"\x80", 1, 0},
        {"abc\xC0\xAF", 5, 3},              /* overlong '/' */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        cr_vocab voc;
        cr_error e = {0};
        CHECK(cr_vocab_build(U(v[i].s), v[i].len, &voc, &e) == CR_EUTF8);
        CHECK(e.code == CR_EUTF8);
        CHECK(e.offset == v[i].off);
        CHECK(e.message[0] != 0);
    }
}

TEST(vocab_encode_unknown_character)
{
    cr_vocab v;
    cr_error e;
    REQUIRE(cr_vocab_build(U(MIXED), sizeof MIXED - 1, &v, &e) == CR_OK);
    static const struct {
        const char *s;
        long long off;
    } c[] = {
        {"Hola \xF0\x9F\x98\xBA", 5},   /* 😺 (absent) after 5 ASCII bytes */
        {"ni\xC3\xB1o \xC3\xBC", 6},    /* ü absent, after "niño " (6 bytes) */
        {"\xE4\xB8\xAD\xE4\xB8\x80", 3},/* 中 present, 一 absent */
        {"\xD0\x96\xD0\xB8Z", 4},       /* Жи then Z absent */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint32_t *ids = NULL;
        size_t n = 0;
        e.offset = -5;
        CHECK(cr_vocab_encode(&v, U(c[i].s), strlen(c[i].s), &ids, &n, &e) == CR_EVOCAB);
        CHECK(e.code == CR_EVOCAB);
        CHECK(e.offset == c[i].off);
        CHECK(e.message[0] != 0);
        CHECK(strstr(e.message, "not in") != NULL);
    }
    /* invalid UTF-8 is CR_EUTF8, not CR_EVOCAB */
    uint32_t *ids = NULL;
    size_t n;
    CHECK(cr_vocab_encode(&v, U("Hola\xFF"), 5, &ids, &n, &e) == CR_EUTF8);
    CHECK(e.offset == 4);
    /* the empty text encodes to nothing */
    CHECK(cr_vocab_encode(&v, U(""), 0, &ids, &n, &e) == CR_OK);
    CHECK(n == 0);
    free(ids);
    cr_vocab_free(&v);
}

TEST(vocab_empty_text)
{
    cr_vocab v;
    cr_error e;
    REQUIRE(cr_vocab_build(U(""), 0, &v, &e) == CR_OK);
    CHECK(v.size == 0);
    CHECK(cr_vocab_id(&v, 'a') == -1);
    CHECK(cr_vocab_id(&v, 0) == -1);
    cr_vocab_free(&v);
    /* a model cannot be made from it */
    cr_config c;
    cr_config_default(&c);
    c.hidden = 4;
    cr_model *m = (cr_model *)&c;
    CHECK(cr_model_new_from_text(&c, U(""), 0, &m, &e) != CR_OK);
    CHECK(m == NULL);
}
