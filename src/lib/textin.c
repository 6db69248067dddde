/* textin.c: what a file that should be text really holds, and reading other encodings as UTF-8.
 *
 * People bring PDFs, Word files, photos and Notepad's UTF-16 as "text". The first bytes of most
 * file formats are a fixed signature, so a binary file is named before any of it is used, with
 * what to do instead. UTF-16 and UTF-32 are told by their byte-order mark, or, without one, by
 * NUL bytes at one position of every 2 or 4 (ASCII text in those encodings), or at one parity
 * only with every unit a text character (other scripts in UTF-16). Other encodings go through
 * iconv(3), which the C library provides. */
#include "internal.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNIFF_BYTES 4096 /* what cr_text_sniff looks at */

typedef struct signature {
    size_t at;             /* where the magic starts */
    const char *magic;     /* its bytes */
    size_t len;
    const char *what, *advice;
} signature;

#define SAVE_AS_TEXT "open it in its program and save it as plain text (.txt, UTF-8)"
#define NOT_TEXT "a bot learns from text: give it a plain text file (.txt)"
static const signature SIGNATURES[] = {
    {0, "%PDF-", 5, "a PDF document",
     "save it as plain text from your PDF reader, or run 'pdftotext FILE out.txt'"},
    {0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "an old Microsoft Office document (.doc, .xls)",
     SAVE_AS_TEXT},
    {0, "{\\rtf", 5, "an RTF document", SAVE_AS_TEXT},
    {0, "\x89PNG\r\n\x1A\n", 8, "a PNG image", NOT_TEXT},
    {0, "\xFF\xD8\xFF", 3, "a JPEG image", NOT_TEXT},
    {0, "GIF87a", 6, "a GIF image", NOT_TEXT},
    {0, "GIF89a", 6, "a GIF image", NOT_TEXT},
    {0, "II*\0", 4, "a TIFF image", NOT_TEXT},
    {0, "MM\0*", 4, "a TIFF image", NOT_TEXT},
    {8, "WEBP", 4, "a WebP image", NOT_TEXT},
    {8, "WAVE", 4, "a WAV sound file", NOT_TEXT},
    {8, "AVI ", 4, "an AVI video", NOT_TEXT},
    {0, "ID3", 3, "an MP3 sound file", NOT_TEXT},
    {0, "fLaC", 4, "a FLAC sound file", NOT_TEXT},
    {0, "OggS", 4, "an Ogg sound or video file", NOT_TEXT},
    {4, "ftyp", 4, "an MP4, M4A, MOV or HEIC file (video, sound or photo)", NOT_TEXT},
    {0, "\x1A\x45\xDF\xA3", 4, "a Matroska or WebM video", NOT_TEXT},
    {0, "\x1F\x8B", 2, "a gzip-compressed file",
     "decompress it first: 'gunzip FILE', or 'zcat FILE | clean'"},
    {0, "BZh", 3, "a bzip2-compressed file", "decompress it first: 'bunzip2 FILE'"},
    {0, "\xFD" "7zXZ\0", 6, "an xz-compressed file", "decompress it first: 'unxz FILE'"},
    {0, "\x28\xB5\x2F\xFD", 4, "a zstd-compressed file", "decompress it first: 'unzstd FILE'"},
    {0, "7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive", "unpack it and use the text files inside"},
    {0, "Rar!\x1A\x07", 6, "a RAR archive", "unpack it and use the text files inside"},
    {257, "ustar", 5, "a tar archive", "unpack it ('tar xf FILE') and use the text files inside"},
    {0, "\x7F" "ELF", 4, "a program (an executable file)", NOT_TEXT},
    {0, "\xCF\xFA\xED\xFE", 4, "a program (an executable file)", NOT_TEXT},
    {0, "\xCE\xFA\xED\xFE", 4, "a program (an executable file)", NOT_TEXT},
    {0, "\xCA\xFE\xBA\xBE", 4, "a program (an executable or Java class file)", NOT_TEXT},
    {0, "SQLite format 3\0", 16, "an SQLite database",
     "export the text you want from it as a plain text file"},
    {0, "\x89" "CRN\r\n\x1A\n", 8, "a charrnn checkpoint (a trained bot)",
     "give it to 'sample' or 'dump'; train on the text it was made from"},
};

/* ZIP files are Office and OpenDocument documents, e-books, or plain archives: their first
 * entry's name (at byte 30) or an early file name tells which. */
static void sniff_zip(const unsigned char *p, size_t n, cr_text_kind *k)
{
    static const struct { const char *needle, *what, *advice; } KINDS[] = {
        {"opendocument.text", "an OpenDocument text (.odt)", SAVE_AS_TEXT},
        {"epub+zip", "an EPUB e-book",
         "convert it to plain text, for example with Calibre's 'ebook-convert FILE out.txt'"},
        {"opendocument", "an OpenDocument file (.ods, .odp)", SAVE_AS_TEXT},
        {"word/", "a Word document (.docx)", SAVE_AS_TEXT},
        {"xl/", "an Excel spreadsheet (.xlsx)", SAVE_AS_TEXT},
        {"ppt/", "a PowerPoint presentation (.pptx)", SAVE_AS_TEXT},
    };
    k->kind = CR_TEXT_BINARY;
    k->what = "a ZIP archive";
    k->advice = "unpack it and use the text files inside";
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        for (size_t j = 0; j + strlen(KINDS[i].needle) <= n; j++)
            if (memcmp(p + j, KINDS[i].needle, strlen(KINDS[i].needle)) == 0) {
                k->what = KINDS[i].what;
                k->advice = KINDS[i].advice;
                return;
            }
}

/* Text in UTF-16 of a script whose characters have no NUL byte (Cyrillic, Greek, CJK...): NUL
 * bytes only in the high half of spaces and ASCII punctuation, so at one parity, and every unit a
 * character a text has (no control character but tab, line and page ends; no lone surrogate).
 * little is 1 for UTF-16LE. The last unit may be cut by the end of the sniffed bytes. */
static int plausible_utf16(const unsigned char *p, size_t n, int little)
{
    int high_surrogate_open = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned u = little ? (unsigned)p[i] | (unsigned)p[i + 1] << 8
                            : (unsigned)p[i] << 8 | (unsigned)p[i + 1];
        int low = u >= 0xDC00 && u <= 0xDFFF;
        if (low != high_surrogate_open) return 0;
        high_surrogate_open = u >= 0xD800 && u <= 0xDBFF;
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r' && u != '\f') return 0;
        if (u == 0xFFFE || u == 0xFFFF) return 0;
    }
    return 1;
}

/* ASCII text in UTF-16 or UTF-32 without a byte-order mark: NUL bytes at some positions of
 * every unit of size bytes and never at the others. Returns the kind, or CR_TEXT_UTF8. */
static int sniff_wide(const unsigned char *p, size_t n)
{
    size_t zeros[4] = {0, 0, 0, 0};
    n &= ~(size_t)3;
    if (n < 4) return CR_TEXT_UTF8;
    for (size_t i = 0; i < n; i++)
        zeros[i & 3] += p[i] == 0;
    size_t q = n / 4; /* units of four bytes */
    if (zeros[0] == 0 && zeros[1] == q && zeros[2] == q && zeros[3] == q) return CR_TEXT_UTF32LE;
    if (zeros[3] == 0 && zeros[0] == q && zeros[1] == q && zeros[2] == q) return CR_TEXT_UTF32BE;
    size_t even = zeros[0] + zeros[2], odd = zeros[1] + zeros[3];
    if (even == 0 && odd > 0 && odd >= n / 4) return CR_TEXT_UTF16LE; /* half the units */
    if (odd == 0 && even > 0 && even >= n / 4) return CR_TEXT_UTF16BE;
    if (even == 0 && odd > 0 && plausible_utf16(p, n, 1)) return CR_TEXT_UTF16LE;
    if (odd == 0 && even > 0 && plausible_utf16(p, n, 0)) return CR_TEXT_UTF16BE;
    return CR_TEXT_UTF8;
}

static const char *const WIDE_NAMES[] = {NULL, "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"};

void cr_text_sniff(const unsigned char *p, size_t n, cr_text_kind *k)
{
    memset(k, 0, sizeof *k);
    if (n > SNIFF_BYTES) n = SNIFF_BYTES;
    for (size_t i = 0; i < sizeof SIGNATURES / sizeof SIGNATURES[0]; i++) {
        const signature *s = &SIGNATURES[i];
        if (n >= s->at + s->len && memcmp(p + s->at, s->magic, s->len) == 0) {
            k->kind = CR_TEXT_BINARY;
            k->what = s->what;
            k->advice = s->advice;
            return;
        }
    }
    if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0) {
        sniff_zip(p, n, k);
        return;
    }
    if (n >= 4 && memcmp(p, "\xFF\xFE\0\0", 4) == 0) k->kind = CR_TEXT_UTF32LE, k->bom = 4;
    else if (n >= 4 && memcmp(p, "\0\0\xFE\xFF", 4) == 0) k->kind = CR_TEXT_UTF32BE, k->bom = 4;
    else if (n >= 2 && memcmp(p, "\xFF\xFE", 2) == 0) k->kind = CR_TEXT_UTF16LE, k->bom = 2;
    else if (n >= 2 && memcmp(p, "\xFE\xFF", 2) == 0) k->kind = CR_TEXT_UTF16BE, k->bom = 2;
    else k->kind = sniff_wide(p, n);
    if (k->kind != CR_TEXT_UTF8) {
        k->encoding = WIDE_NAMES[k->kind];
        return;
    }
    if (memchr(p, 0, n)) {
        k->kind = CR_TEXT_BINARY;
        k->what = "binary data (it has NUL bytes), not text";
        k->advice = NOT_TEXT;
    }
}

/* ---- legacy encodings ---- */

void cr_text_guess_legacy(const unsigned char *p, size_t n, cr_legacy_guess *g)
{
    uint64_t c1 = 0, high = 0, runs = 0, lone = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80) continue;
        high++;
        c1 += p[i] < 0xA0;
        size_t j = i;
        while (j < n && p[j] >= 0x80)
            j++;
        if (j - i == 1) lone++;
        else runs++;
        high += j - i - 1;
        for (size_t k = i + 1; k < j; k++)
            c1 += p[k] < 0xA0;
        i = j - 1;
    }
    memset(g, 0, sizeof *g);
    if (!high) return;
    if (lone >= runs) {
        /* accents between ASCII letters: a Western European text. Windows-1252 is Latin-1 with
         * printable characters (curly quotes, dashes, the euro) where Latin-1 has controls */
        g->encoding = "WINDOWS-1252";
        g->description = c1 ? "Windows-1252 (Word and Notepad's Western encoding; it has curly "
                              "quotes or dashes that Latin-1 lacks)"
                            : "Windows-1252 or Latin-1 (a Western European encoding)";
        return;
    }
    g->encoding = NULL;
    g->description = "a legacy encoding of a non-Latin script: for Cyrillic try WINDOWS-1251 or "
                     "KOI8-R, for Greek WINDOWS-1253, for Chinese GB18030 or BIG5, for Japanese "
                     "SHIFT_JIS, for Korean EUC-KR";
}

/* ---- conversion through iconv(3) ---- */

struct cr_recoder {
    iconv_t cd;
    char from[64];
    unsigned char held[16];   /* the start of a character cut by the end of a push */
    size_t nheld;
    unsigned char *out;       /* UTF-8 of the last push */
    size_t cap;
    uint64_t offset;          /* input bytes converted before held[] */
};

int cr_recoder_new(const char *from, cr_recoder **out, cr_error *err)
{
    *out = NULL;
    if (strlen(from) >= sizeof ((cr_recoder *)0)->from)
        return cr_fail(err, CR_EINVAL, -1, NULL, "the encoding name '%.40s...' is too long",
                       from);
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return cr_fail(err, CR_EINVAL, -1, NULL, "this system does not know the encoding '%s' "
                       "('iconv -l' lists the names it knows)", from);
    cr_recoder *r = calloc(1, sizeof *r);
    if (!r) {
        iconv_close(cd);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    r->cd = cd;
    snprintf(r->from, sizeof r->from, "%s", from);
    *out = r;
    return CR_OK;
}

void cr_recoder_free(cr_recoder *r)
{
    if (!r) return;
    iconv_close(r->cd);
    free(r->out);
    free(r);
}

/* Converts in[0..n) after what is held, into r->out; keeps a cut character for the next call. */
static int convert(cr_recoder *r, const unsigned char *in, size_t n, int last, size_t *outn,
                   cr_error *err)
{
    /* UTF-8 is at most 4 bytes per character, and every encoding iconv reads takes a byte at
     * least: 4 bytes out per byte in, plus room for a shift sequence's end */
    size_t total = r->nheld + n, need = 4 * total + 16;
    if (total > (SIZE_MAX - 16) / 4) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    unsigned char *buf = malloc(total ? total : 1);
    if (!buf) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    memcpy(buf, r->held, r->nheld);
    if (n) memcpy(buf + r->nheld, in, n);
    if (need > r->cap) {
        unsigned char *o = realloc(r->out, need);
        if (!o) {
            free(buf);
            return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
        }
        r->out = o;
        r->cap = need;
    }
    char *ip = (char *)buf, *op = (char *)r->out;
    size_t il = total, ol = r->cap;
    int rc = CR_OK;
    if (iconv(r->cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != EINVAL) {
        long long at = (long long)(r->offset + (uint64_t)(ip - (char *)buf));
        rc = cr_fail(err, CR_EUTF8, at, NULL, "byte %lld is not valid %s text (is that its "
                     "encoding?)", at, r->from);
    } else if (il && (last || il > sizeof r->held)) {
        long long at = (long long)(r->offset + (uint64_t)(ip - (char *)buf));
        rc = cr_fail(err, CR_EUTF8, at, NULL, "the text ends inside a character of %s at byte "
                     "%lld", r->from, at);
    } else {
        if (last) iconv(r->cd, NULL, NULL, &op, &ol); /* a stateful encoding's closing shift */
        r->offset += (uint64_t)(ip - (char *)buf);
        memcpy(r->held, ip, il);
        r->nheld = il;
        *outn = (size_t)(op - (char *)r->out);
    }
    free(buf);
    return rc;
}

int cr_recoder_push(cr_recoder *r, const unsigned char *in, size_t n, const unsigned char **out,
                    size_t *outn, cr_error *err)
{
    *outn = 0;
    *out = r->out;
    int rc = convert(r, in, n, 0, outn, err);
    *out = r->out;
    return rc;
}

int cr_recoder_finish(cr_recoder *r, const unsigned char **out, size_t *outn, cr_error *err)
{
    *outn = 0;
    *out = r->out;
    int rc = convert(r, NULL, 0, 1, outn, err);
    *out = r->out;
    return rc;
}
