/* corpus_index_io.c: a corpus index saved for reuse, and read back only when it checks out. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * The format (docs/index-format.md), every number little-endian:
 *
 *     signature  8   89 'C' 'R' 'X' 0D 0A 1A 0A: binary, and catches text-mode damage (as PNG)
 *     version    4   1
 *     files F    4   1 or more
 *     symbols N  8   the code points of all files, plus F (a separator after each)
 *     F records      name length (4), name (no NUL), bytes B (8), code points C (8), SHA-256 (32)
 *     CRC-32     4   of every byte before it
 *     F texts        the B bytes of each file, UTF-8
 *     suffix array   N entries of 4 bytes
 *
 * Nothing read is trusted: every count is checked against the bytes left before anything is
 * allocated, the length must be exact, the CRC-32 must match, each text must be UTF-8 of C code
 * points with the recorded SHA-256, and the suffix array must be the sorted suffixes of the texts
 * (corpus_index.c checks that in linear time). The index is then rebuilt from the texts and the
 * suffix array, as cr_corpus_index_build would build it, without the sort. The CRC-32 covers
 * the header and records only: the texts have their SHA-256, and a suffix array with any byte
 * changed is no longer a permutation in suffix order; a checksum over them would only cost time
 * (a sixth of the reading).
 */

static const unsigned char SIGNATURE[8] = {0x89, 'C', 'R', 'X', 0x0D, 0x0A, 0x1A, 0x0A};
enum { VERSION = 1, HEAD = 24, RECORD = 4 + 8 + 8 + 32 };

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int cr_corpus_index_encode(const cr_corpus_index *ix, unsigned char **buf, size_t *len,
                           cr_error *err)
{
    *buf = NULL;
    *len = 0;
    size_t nf = cr_corpus_index_files(ix), n, size = HEAD + 4;
    uint32_t crc;
    const int32_t *sa = cr_corpus_index_sa(ix, &n);
    for (size_t f = 0; f < nf; f++) {
        size_t name = strlen(cr_corpus_index_name(ix, f));
        if (name > UINT32_MAX) return cr_fail(err, CR_EINVAL, -1, NULL, "a file name is too long");
        size += RECORD + name + (size_t)cr_corpus_index_bytes(ix, f);
    }
    size += 4 * n;
    unsigned char *p = malloc(size);
    if (!p) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory: the index needs %zu MB",
                           size / 1000000 + 1);
    memcpy(p, SIGNATURE, 8);
    put32(p + 8, VERSION);
    put32(p + 12, (uint32_t)nf);
    put64(p + 16, n);
    size_t at = HEAD;
    for (size_t f = 0; f < nf; f++) {
        const char *name = cr_corpus_index_name(ix, f);
        size_t k = strlen(name);
        put32(p + at, (uint32_t)k);
        memcpy(p + at + 4, name, k);
        at += 4 + k;
        put64(p + at, cr_corpus_index_bytes(ix, f));
        put64(p + at + 8, cr_corpus_index_chars(ix, f));
        memcpy(p + at + 16, cr_corpus_index_sha256(ix, f), 32);
        at += 48;
    }
    crc = cr_crc32(0, p, at);
    put32(p + at, crc);
    at += 4;
    for (size_t f = 0; f < nf; f++)
        at += cr_corpus_index_utf8(ix, f, (char *)p + at);
    for (size_t r = 0; r < n; r++, at += 4)
        put32(p + at, (uint32_t)sa[r]);
    *buf = p;
    *len = at;
    return CR_OK;
}

int cr_corpus_index_write_file(const cr_corpus_index *ix, const char *path, cr_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = cr_corpus_index_encode(ix, &buf, &len, err);
    if (rc) return rc;
    rc = cr_save_file(path, buf, len, err); /* save.c: atomic, never over a device */
    free(buf);
    return rc;
}

/* The signature and version: CR_OK, or why this is not an index this program reads. */
static int check_head(const unsigned char *buf, size_t len, cr_error *err)
{
    size_t head = len < 8 ? len : 8;
    if (len >= 4 && buf[0] != SIGNATURE[0] && memcmp(buf + 1, SIGNATURE + 1, 3) == 0)
        return cr_fail(err, CR_EFORMAT, 0, NULL, "the index's signature is damaged: its first "
                       "byte lost its high bit, as in a 7-bit text transfer");
    if (len < 4 || memcmp(buf, SIGNATURE, 4) != 0)
        return cr_fail(err, CR_EFORMAT, 0, NULL, "not a charrnn corpus index (%s)",
                       len < 4 ? "too short" : "no index signature at the start");
    if (memcmp(buf, SIGNATURE, head) != 0)
        return cr_fail(err, CR_EFORMAT, 4, NULL, "the index's signature is damaged: the file was "
                       "probably copied as text (its line endings were changed)");
    if (len < HEAD)
        return cr_fail(err, CR_EFORMAT, (long long)len, NULL, "the index is truncated: it ends "
                       "at byte %zu, inside its header", len);
    uint32_t version = get32(buf + 8);
    if (version > VERSION)
        return cr_fail(err, CR_EVERSION, 8, NULL, "index format version %u is newer than this "
                       "program reads (%u); use a newer charrnn", version, VERSION);
    if (version == 0) return cr_fail(err, CR_EFORMAT, 8, NULL, "format version 0 is invalid");
    return CR_OK;
}

/* The file records: files[f] (names NUL-terminated in names, texts pointing into buf), the
 * recorded code points and SHA-256 of each, and the places of the CRC-32 and the suffix array.
 * Checks every size against the bytes there are, and the whole length. */
static int read_records(const unsigned char *buf, size_t len, size_t nf, uint64_t n,
                        cr_corpus_file *files, char *names, uint64_t *chars,
                        const unsigned char **sha, size_t *crc_at, const unsigned char **sa,
                        cr_error *err)
{
    size_t at = HEAD;
    uint64_t symbols = nf, text = 0;
    for (size_t f = 0; f < nf; f++) {
        if (len - at < 4 || get32(buf + at) > len - at - 4 || len - at - 4 - get32(buf + at) < 48)
            return cr_fail(err, CR_EFORMAT, (long long)at, NULL, "the index is truncated or "
                           "damaged: the record of file %zu at byte %zu runs past its end (%zu "
                           "bytes)", f + 1, at, len);
        size_t k = get32(buf + at);
        if (memchr(buf + at + 4, 0, k))
            return cr_fail(err, CR_EFORMAT, (long long)at + 4, NULL, "the index is damaged: the "
                           "name of file %zu holds a NUL byte", f + 1);
        memcpy(names, buf + at + 4, k);
        names[k] = 0;
        files[f].name = names;
        names += k + 1;
        at += 4 + k;
        uint64_t bytes = get64(buf + at);
        chars[f] = get64(buf + at + 8);
        sha[f] = buf + at + 16;
        if (chars[f] > bytes || bytes > 4 * chars[f] || bytes > len)
            return cr_fail(err, CR_EFORMAT, (long long)at, NULL, "the index is damaged: file %zu "
                           "cannot have %llu bytes and %llu characters", f + 1,
                           (unsigned long long)bytes, (unsigned long long)chars[f]);
        files[f].len = (size_t)bytes;
        symbols += chars[f];
        text += bytes;
        if (text > len)
            return cr_fail(err, CR_EFORMAT, (long long)at, NULL, "the index is truncated: its "
                           "files' texts need more than its %zu bytes", len);
        at += 48;
    }
    if (symbols != n)
        return cr_fail(err, CR_EFORMAT, 16, NULL, "the index is damaged: its files hold %llu "
                       "characters, but its header says %llu", (unsigned long long)(symbols - nf),
                       (unsigned long long)(n - nf));
    /* text <= len and n < 2^31: no sum below overflows */
    *crc_at = at;
    at += 4;
    uint64_t want = (uint64_t)at + text + 4 * n;
    if (want != len)
        return cr_fail(err, CR_EFORMAT, (long long)(want < len ? want : len), NULL,
                       want > len ? "the index is truncated: it ends at byte %zu of %llu"
                                  : "the index is damaged: %zu bytes, but its records make %llu",
                       len, (unsigned long long)want);
    for (size_t f = 0; f < nf; f++) {
        files[f].text = buf + at;
        /* so that the suffix array read has exactly N entries, whatever the texts hold */
        if (cr_utf8_count(files[f].text, files[f].len) != chars[f])
            return cr_fail(err, CR_EFORMAT, (long long)at, NULL, "the index is damaged: the text "
                           "of file %zu does not hold the %llu characters recorded", f + 1,
                           (unsigned long long)chars[f]);
        at += files[f].len;
    }
    *sa = buf + at;
    return CR_OK;
}

/* After the index is rebuilt: each file as recorded. */
static int check_files(const cr_corpus_index *ix, const uint64_t *chars,
                       const unsigned char *const *sha, const unsigned char *buf, cr_error *err)
{
    for (size_t f = 0; f < cr_corpus_index_files(ix); f++)
        if (cr_corpus_index_chars(ix, f) != chars[f] ||
            memcmp(cr_corpus_index_sha256(ix, f), sha[f], 32) != 0)
            return cr_fail(err, CR_EFORMAT, (long long)(sha[f] - buf), NULL, "the index is "
                           "damaged: the text of file %zu is not the one recorded (its %s "
                           "differs)", f + 1,
                           cr_corpus_index_chars(ix, f) != chars[f] ? "length" : "SHA-256");
    return CR_OK;
}

int cr_corpus_index_decode(const unsigned char *buf, size_t len, cr_corpus_index **out,
                           cr_error *err)
{
    *out = NULL;
    int rc = check_head(buf, len, err);
    if (rc) return rc;
    size_t nf = get32(buf + 12);
    uint64_t n = get64(buf + 16);
    if (nf == 0 || nf > (len - HEAD) / RECORD)
        return cr_fail(err, CR_EFORMAT, 12, NULL, "the index is %s: it cannot hold %zu files in "
                       "%zu bytes", nf ? "truncated or damaged" : "damaged", nf, len);
    if (n < nf || n >= INT32_MAX - 1)
        return cr_fail(err, CR_EFORMAT, 16, NULL, "the index is damaged: %llu symbols is out of "
                       "range", (unsigned long long)n);
    size_t crc_at = 0;
    cr_error why;
    cr_corpus_file *files = calloc(nf, sizeof *files);
    char *names = malloc(len);
    uint64_t *chars = malloc(nf * sizeof *chars);
    const unsigned char **sha = malloc(nf * sizeof *sha), *sa = NULL;
    if (!files || !names || !chars || !sha) {
        rc = cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    } else if (!(rc = read_records(buf, len, nf, n, files, names, chars, sha, &crc_at, &sa,
                                   err))) {
        if (get32(buf + crc_at) != cr_crc32(0, buf, crc_at)) {
            rc = cr_fail(err, CR_EFORMAT, (long long)crc_at, NULL, "the index is damaged: its "
                         "header and file records do not match their CRC-32");
        } else if ((rc = cr_corpus_index_make(files, nf, sa, out, &why)) == CR_EUTF8 ||
                   rc == CR_EFORMAT) {
            rc = cr_fail(err, CR_EFORMAT, rc == CR_EFORMAT ? (long long)(sa - buf) : -1, NULL,
                         "the index is damaged: %s", why.message);
        } else if (rc) {
            if (err) *err = why;
        } else if (!rc && (rc = check_files(*out, chars, sha, buf, err))) {
            cr_corpus_index_free(*out);
            *out = NULL;
        }
    }
    free(files);
    free(names);
    free(chars);
    free(sha);
    return rc;
}
