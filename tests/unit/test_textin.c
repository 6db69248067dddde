/* test_textin.c: telling binary files and UTF-16/32 from text, guessing legacy encodings, and
 * converting them to UTF-8 through iconv in pieces cut anywhere. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define U(s) ((const unsigned char *)(s))

/* a byte string and its length, NULs included */
#define B(s) s, sizeof(s) - 1

static int sniff_kind(const char *p, size_t n, const char **what)
{
    cr_text_kind k;
    cr_text_sniff(U(p), n, &k);
    if (what) *what = k.what;
    return k.kind;
}

TEST(textin_names_binary_formats_by_their_first_bytes)
{
    static const struct {
        const char *bytes;
        size_t n;
        const char *word; /* in what the file is said to be */
    } v[] = {
        {B("%PDF-1.7\n%\xE2\xE3\xCF\xD3"), "PDF"},
        {B("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"), "PNG"},
        {B("\xFF\xD8\xFF\xE0\0\x10JFIF"), "JPEG"},
        {B("PK\3\4\x14\0\6\0\x08\0\0\0!\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x13\0[Content_Types].xml"
         "PK word/document.xml"), "Word"},
        {B("PK\3\4\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x08\0mimetype"
         "application/vnd.oasis.opendocument.text"), "OpenDocument text"},
        {B("PK\3\4\x14\0\0\0\0\0"), "ZIP"},
        {B("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"), "Office"},
        {B("{\\rtf1\\ansi\\deff0 Hello}"), "RTF"},
        {B("\x1F\x8B\x08\0\0\0\0\0"), "gzip"},
        {B("\x7F" "ELF\2\1\1\0"), "program"},
        {B("ID3\4\0\0\0\0\0\0"), "MP3"},
        {B("RIFF\x24\0\0\0WAVEfmt "), "WAV"},
        {B("\x89" "CRN\r\n\x1A\n\1\0\0\0"), "checkpoint"},
        {B("hello\0world"), "NUL"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *what = NULL;
        CHECK(sniff_kind(v[i].bytes, v[i].n, &what) == CR_TEXT_BINARY);
        CHECK(what && strstr(what, v[i].word));
    }
    /* text that starts like nothing else stays text; so does a lone "PK" or "MZ" word */
    CHECK(sniff_kind("PK is a town. MZ too.\n", 22, NULL) == CR_TEXT_UTF8);
    CHECK(sniff_kind("ni\xC3\xB1" "a\n", 6, NULL) == CR_TEXT_UTF8);
    CHECK(sniff_kind("", 0, NULL) == CR_TEXT_UTF8);
    /* a tar archive's signature sits at byte 257 */
    char tar[600];
    memset(tar, 'a', sizeof tar);
    memcpy(tar + 257, "ustar", 5);
    CHECK(sniff_kind(tar, sizeof tar, NULL) == CR_TEXT_BINARY);
    CHECK(sniff_kind(tar, 260, NULL) == CR_TEXT_UTF8); /* too short to hold it */
}

TEST(textin_tells_utf16_and_utf32_with_and_without_a_mark)
{
    cr_text_kind k;
    cr_text_sniff(U("\xFF\xFE" "C\0a\0"), 6, &k);
    CHECK(k.kind == CR_TEXT_UTF16LE && k.bom == 2 && strcmp(k.encoding, "UTF-16LE") == 0);
    cr_text_sniff(U("\xFE\xFF\0C\0a"), 6, &k);
    CHECK(k.kind == CR_TEXT_UTF16BE && k.bom == 2);
    cr_text_sniff(U("\xFF\xFE\0\0" "C\0\0\0"), 8, &k);
    CHECK(k.kind == CR_TEXT_UTF32LE && k.bom == 4);
    cr_text_sniff(U("\0\0\xFE\xFF\0\0\0C"), 8, &k);
    CHECK(k.kind == CR_TEXT_UTF32BE && k.bom == 4);
    cr_text_sniff(U("C\0a\0n\0c\0i\0\xF3\0n\0"), 14, &k);
    CHECK(k.kind == CR_TEXT_UTF16LE && k.bom == 0);
    cr_text_sniff(U("\0C\0a\0n\0c\0i"), 10, &k);
    CHECK(k.kind == CR_TEXT_UTF16BE && k.bom == 0);
    cr_text_sniff(U("C\0\0\0a\0\0\0"), 8, &k);
    CHECK(k.kind == CR_TEXT_UTF32LE && k.bom == 0);
    /* Cyrillic in UTF-16 without a mark: NUL bytes only in its space and line end */
    const char ru[] = "\x1F\x04@\x04 \0\x38\x04\x32\x04\x35\x04\x42\x04\n\0";
    cr_text_sniff(U(ru), sizeof ru - 1, &k);
    CHECK(k.kind == CR_TEXT_UTF16LE && k.bom == 0 && strcmp(k.encoding, "UTF-16LE") == 0);
    const char ru_be[] = "\x04\x1F\x04@\0 \x04\x38\x04\x32\x04\x35\x04\x42\0\n";
    cr_text_sniff(U(ru_be), sizeof ru_be - 1, &k);
    CHECK(k.kind == CR_TEXT_UTF16BE && k.bom == 0);
    /* the same NUL pattern with a control character or a lone surrogate is not text */
    const char ctl[] = "\x1F\x04\x01\0 \0\x38\x04";
    cr_text_sniff(U(ctl), sizeof ctl - 1, &k);
    CHECK(k.kind == CR_TEXT_BINARY);
    const char lone[] = "\x1F\x04\x00\xDC \0\x38\x04";
    cr_text_sniff(U(lone), sizeof lone - 1, &k);
    CHECK(k.kind == CR_TEXT_BINARY);
}

TEST(textin_guesses_windows_1252_for_western_accents)
{
    cr_legacy_guess g;
    /* "niña" and curly quotes as Word writes them: 0x93 and 0x94 are Windows-1252 only */
    cr_text_guess_legacy(U("La ni\xF1" "a dijo \x93hola\x94.\n"), 21, &g);
    CHECK(g.encoding && strcmp(g.encoding, "WINDOWS-1252") == 0);
    CHECK(g.description && strstr(g.description, "curly"));
    cr_text_guess_legacy(U("ni\xF1" "a\n"), 5, &g);
    CHECK(g.encoding && strcmp(g.encoding, "WINDOWS-1252") == 0);
    CHECK(g.description && strstr(g.description, "Latin-1"));
    /* whole words of high bytes: Cyrillic in Windows-1251 ("привет мир") */
    cr_text_guess_legacy(U("\xEF\xF0\xE8\xE2\xE5\xF2 \xEC\xE8\xF0\n"), 11, &g);
    CHECK(g.encoding == NULL && g.description && strstr(g.description, "KOI8-R"));
    cr_text_guess_legacy(U("plain\n"), 6, &g);
    CHECK(g.encoding == NULL && g.description == NULL);
}

/* Converts in through a recoder from from, cut into pieces of step bytes; NULL on failure. */
static char *recode(const char *from, const char *in, size_t n, size_t step, cr_error *err)
{
    cr_recoder *r;
    if (cr_recoder_new(from, &r, err) != CR_OK) return NULL;
    size_t cap = 4 * n + 64, len = 0;
    char *out = calloc(1, cap);
    const unsigned char *piece;
    size_t k;
    for (size_t at = 0; at < n; at += step) {
        size_t m = n - at < step ? n - at : step;
        if (cr_recoder_push(r, U(in) + at, m, &piece, &k, err) != CR_OK) goto fail;
        memcpy(out + len, piece, k);
        len += k;
    }
    if (cr_recoder_finish(r, &piece, &k, err) != CR_OK) goto fail;
    memcpy(out + len, piece, k);
    cr_recoder_free(r);
    return out;
fail:
    cr_recoder_free(r);
    free(out);
    return NULL;
}

TEST(textin_recodes_legacy_and_utf16_in_any_pieces)
{
    cr_error err;
    static const char w1252[] = "La ni\xF1" "a dijo \x93hola\x94 \x97 \x80" "5\n";
    static const char want[] = "La ni\xC3\xB1" "a dijo \xE2\x80\x9Chola\xE2\x80\x9D \xE2\x80\x94 "
                               "\xE2\x82\xAC" "5\n";
    static const char u16[] = "C\0a\0n\0c\0i\0\xF3\0n\0 \0=\xD8\0\xDE\n\0"; /* Canción 😀 */
    static const char u16want[] = "Canci\xC3\xB3n \xF0\x9F\x98\x80\n";
    for (size_t step = 1; step <= 7; step++) {
        char *s = recode("WINDOWS-1252", w1252, sizeof w1252 - 1, step, &err);
        CHECK(s && strcmp(s, want) == 0);
        free(s);
        s = recode("UTF-16LE", u16, sizeof u16 - 1, step, &err);
        CHECK(s && strcmp(s, u16want) == 0);
        free(s);
    }
    /* KOI8-R and Shift-JIS, which the issue names */
    char *s = recode("KOI8-R", "\xD0\xD2\xC9\xD7\xC5\xD4", 6, 2, &err);
    CHECK(s && strcmp(s, "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82") == 0); /* привет */
    free(s);
    s = recode("SHIFT_JIS", "\x93\xFA\x96\x7B", 4, 1, &err); /* 日本 */
    CHECK(s && strcmp(s, "\xE6\x97\xA5\xE6\x9C\xAC") == 0);
    free(s);
}

TEST(textin_recoder_refuses_bad_bytes_and_unknown_names)
{
    cr_error err;
    memset(&err, 0, sizeof err);
    CHECK(recode("NO-SUCH-ENCODING", "a", 1, 1, &err) == NULL);
    CHECK(err.code == CR_EINVAL && strstr(err.message, "NO-SUCH-ENCODING"));
    /* an unpaired surrogate at byte 4, and a text cut inside a character */
    CHECK(recode("UTF-16LE", "a\0b\0\0\xDC" "c\0", 8, 3, &err) == NULL);
    CHECK(err.code == CR_EUTF8 && err.offset == 4);
    CHECK(recode("UTF-16LE", "a\0b", 3, 1, &err) == NULL);
    CHECK(err.code == CR_EUTF8 && err.offset == 2 && strstr(err.message, "ends inside"));
}
