/* corpus_index.c: a suffix array over the code points of corpus files, to find what a text copies. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * The corpus is one sequence T of symbols (int32): file 0, separator 1, file 1, separator 2, ...,
 * the last file, then the sentinel 0. A separator is unique, so no common prefix of two suffixes
 * (and so no match) runs past the end of a file. Code points are renumbered densely in code-point
 * order from nfiles up, so the alphabet is small and the suffix array sorts by code point.
 *
 * Beside T: SA (the suffix array, built by SA-IS in linear time), ISA (its inverse), LCP
 * (LCP[r] = common prefix of the suffixes of rank r-1 and r, LCP[0] = 0, by the permuted LCP), and
 * two block minimum tables, over LCP (the ranks sharing a prefix with a rank: one search, not a
 * scan) and over SA (the first occurrence among a range of ranks).
 */

enum { BSHIFT = 6, BSIZE = 1 << BSHIFT }; /* 64 values per block of a minimum table */

/* Minima of a (n values) per block of 64, and a sparse table over those block minima. */
typedef struct mintab {
    const int32_t *a;
    size_t n, nb;        /* values, blocks */
    int levels;          /* floor(log2(nb)) + 1 */
    int32_t *st;         /* (levels, nb): st[j * nb + b] = min of blocks b .. b + 2^j - 1 */
} mintab;

struct cr_corpus_index {
    size_t nfiles;
    char **names;         /* (nfiles) copies */
    size_t *file_start;   /* (nfiles + 1) position of each file's first symbol in T; then N */
    size_t *file_chars;   /* (nfiles) code points of each file */
    uint64_t *file_bytes; /* (nfiles) bytes of each file */
    unsigned char (*file_sha)[32]; /* (nfiles) SHA-256 of each file's bytes */
    size_t n;             /* N: symbols in T, separators and sentinel included */
    int32_t *T, *SA, *ISA, *LCP; /* (N) each */
    mintab lcp_min, sa_min;
    uint32_t *alpha;      /* (nalpha) the corpus's code points, increasing; symbol nfiles + i */
    size_t nalpha;
    int32_t ascii[128];   /* symbol of each ASCII code point, or -1 */
    int32_t *bucket;      /* (nalpha + 1) first rank of the suffixes starting with each char */
    size_t *line_start;   /* (nlines) position in T of each line's first code point, increasing */
    size_t nlines;
    size_t *file_line;    /* (nfiles) index in line_start of each file's first line */
};

/* ---- minimum tables ---- */

static int mintab_build(mintab *m, const int32_t *a, size_t n)
{
    m->a = a;
    m->n = n;
    m->nb = (n + BSIZE - 1) >> BSHIFT;
    m->levels = 0;
    for (size_t k = m->nb; k; k >>= 1)
        m->levels++;
    m->st = malloc((size_t)(m->levels ? m->levels : 1) * (m->nb ? m->nb : 1) * sizeof *m->st);
    if (!m->st) return -1;
    for (size_t b = 0; b < m->nb; b++) {
        size_t end = (b + 1) << BSHIFT < n ? (b + 1) << BSHIFT : n;
        int32_t v = a[b << BSHIFT];
        for (size_t i = (b << BSHIFT) + 1; i < end; i++)
            if (a[i] < v) v = a[i];
        m->st[b] = v;
    }
    for (int j = 1; j < m->levels; j++) {
        const int32_t *lo = m->st + (size_t)(j - 1) * m->nb;
        int32_t *hi = m->st + (size_t)j * m->nb;
        size_t half = (size_t)1 << (j - 1);
        for (size_t b = 0; b + 2 * half <= m->nb; b++)
            hi[b] = lo[b] < lo[b + half] ? lo[b] : lo[b + half];
    }
    return 0;
}

/* The smallest value of a[l..r], l <= r. */
static int32_t mintab_min(const mintab *m, size_t l, size_t r)
{
    size_t bl = l >> BSHIFT, br = r >> BSHIFT;
    int32_t v = m->a[l];
    if (br - bl < 2) {
        for (size_t i = l + 1; i <= r; i++)
            if (m->a[i] < v) v = m->a[i];
        return v;
    }
    for (size_t i = l; i < (bl + 1) << BSHIFT; i++)
        if (m->a[i] < v) v = m->a[i];
    for (size_t i = br << BSHIFT; i <= r; i++)
        if (m->a[i] < v) v = m->a[i];
    size_t cnt = br - bl - 1;
    int j = 0;
    while (((size_t)2 << j) <= cnt)
        j++;
    const int32_t *row = m->st + (size_t)j * m->nb;
    int32_t w = row[bl + 1] < row[br - ((size_t)1 << j)] ? row[bl + 1] : row[br - ((size_t)1 << j)];
    return w < v ? w : v;
}

/* The largest k <= r with a[k] < x, or SIZE_MAX if there is none. */
static size_t mintab_prev_less(const mintab *m, size_t r, int32_t x)
{
    size_t b = r >> BSHIFT;
    for (size_t k = r + 1; k-- > b << BSHIFT;)
        if (m->a[k] < x) return k;
    size_t cur = b; /* blocks cur .. b-1 all hold values >= x */
    for (int j = m->levels - 1; j >= 0; j--) {
        size_t w = (size_t)1 << j;
        if (cur >= w && m->st[(size_t)j * m->nb + cur - w] >= x) cur -= w;
    }
    if (cur == 0) return SIZE_MAX;
    for (size_t k = cur << BSHIFT; k-- > (cur - 1) << BSHIFT;)
        if (m->a[k] < x) return k;
    return SIZE_MAX; /* not reached: block cur-1 holds a smaller value */
}

/* The smallest k > r with a[k] < x, or n if there is none. */
static size_t mintab_next_less(const mintab *m, size_t r, int32_t x)
{
    size_t b = r >> BSHIFT, end = (b + 1) << BSHIFT < m->n ? (b + 1) << BSHIFT : m->n;
    for (size_t k = r + 1; k < end; k++)
        if (m->a[k] < x) return k;
    size_t cur = b + 1; /* blocks b+1 .. cur-1 all hold values >= x */
    for (int j = m->levels - 1; j >= 0; j--) {
        size_t w = (size_t)1 << j;
        if (cur + w <= m->nb && m->st[(size_t)j * m->nb + cur] >= x) cur += w;
    }
    if (cur >= m->nb) return m->n;
    end = (cur + 1) << BSHIFT < m->n ? (cur + 1) << BSHIFT : m->n;
    for (size_t k = cur << BSHIFT; k < end; k++)
        if (m->a[k] < x) return k;
    return m->n; /* not reached */
}

/* ---- SA-IS (Nong, Zhang and Chan 2009): suffix sorting by induced sorting, O(n) ---- */

/* The first (end = 0) or one past the last (end = 1) rank of each symbol's bucket. */
static void buckets(const int32_t *T, size_t n, int32_t K, int32_t *bkt, int end)
{
    memset(bkt, 0, (size_t)K * sizeof *bkt);
    for (size_t i = 0; i < n; i++)
        bkt[T[i]]++;
    int32_t sum = 0;
    for (int32_t c = 0; c < K; c++) {
        int32_t start = sum;
        sum += bkt[c];
        bkt[c] = end ? sum : start;
    }
}

/* type S (1) or L (0) of each suffix; LMS: an S suffix after an L suffix */
#define LMS(t, i) ((i) > 0 && (t)[i] && !(t)[(i)-1])

/* From the LMS suffixes in place, sorts the L suffixes (left to right), then the S suffixes. */
static void induce(const int32_t *T, int32_t *SA, const unsigned char *t, size_t n, int32_t K,
                   int32_t *bkt)
{
    buckets(T, n, K, bkt, 0);
    for (size_t i = 0; i < n; i++) {
        int32_t j = SA[i] - 1;
        if (SA[i] > 0 && !t[j]) SA[bkt[T[j]]++] = j;
    }
    buckets(T, n, K, bkt, 1);
    for (size_t i = n; i-- > 0;) {
        int32_t j = SA[i] - 1;
        if (SA[i] > 0 && t[j]) SA[--bkt[T[j]]] = j;
    }
}

/* Sorts the suffixes of T (n symbols in 0..K-1, T[n-1] = 0 and unique) into SA. 0 or -1 (memory). */
static int sais(const int32_t *T, int32_t *SA, size_t n, int32_t K)
{
    if (n == 1) { /* the sentinel alone: nothing to induce from */
        SA[0] = 0;
        return 0;
    }
    unsigned char *t = malloc(n);
    int32_t *bkt = malloc((size_t)K * sizeof *bkt);
    if (!t || !bkt) {
        free(t);
        free(bkt);
        return -1;
    }
    t[n - 1] = 1;
    for (size_t i = n - 1; i-- > 0;)
        t[i] = T[i] < T[i + 1] || (T[i] == T[i + 1] && t[i + 1]);

    /* sort the LMS substrings */
    buckets(T, n, K, bkt, 1);
    for (size_t i = 0; i < n; i++)
        SA[i] = -1;
    for (size_t i = 1; i < n; i++)
        if (LMS(t, i)) SA[--bkt[T[i]]] = (int32_t)i;
    induce(T, SA, t, n, K, bkt);

    /* name them: equal substrings, equal names; the names in text order are the reduced text */
    size_t n1 = 0;
    for (size_t i = 0; i < n; i++)
        if (LMS(t, (size_t)SA[i])) SA[n1++] = SA[i];
    for (size_t i = n1; i < n; i++)
        SA[i] = -1;
    int32_t name = 0;
    size_t prev = SIZE_MAX;
    for (size_t i = 0; i < n1; i++) {
        size_t pos = (size_t)SA[i];
        int diff = 0;
        for (size_t d = 0; d < n; d++) {
            if (prev == SIZE_MAX || T[pos + d] != T[prev + d] || t[pos + d] != t[prev + d]) {
                diff = 1;
                break;
            }
            if (d > 0 && (LMS(t, pos + d) || LMS(t, prev + d))) break;
        }
        if (diff) {
            name++;
            prev = pos;
        }
        SA[n1 + pos / 2] = name - 1;
    }
    for (size_t i = n, j = n; i-- > n1;)
        if (SA[i] >= 0) SA[--j] = SA[i];

    /* sort the LMS suffixes: by their names alone when all differ, else recursively */
    int32_t *s1 = SA + n - n1;
    if ((size_t)name < n1) {
        if (sais(s1, SA, n1, name)) {
            free(t);
            free(bkt);
            return -1;
        }
    } else {
        for (size_t i = 0; i < n1; i++)
            SA[s1[i]] = (int32_t)i;
    }

    /* place the sorted LMS suffixes at their buckets' ends, and induce the rest */
    for (size_t i = 1, j = 0; i < n; i++)
        if (LMS(t, i)) s1[j++] = (int32_t)i;
    for (size_t i = 0; i < n1; i++)
        SA[i] = s1[SA[i]];
    for (size_t i = n1; i < n; i++)
        SA[i] = -1;
    buckets(T, n, K, bkt, 1);
    for (size_t i = n1; i-- > 0;) {
        int32_t j = SA[i];
        SA[i] = -1;
        SA[--bkt[T[j]]] = j;
    }
    induce(T, SA, t, n, K, bkt);
    free(t);
    free(bkt);
    return 0;
}

/* ---- building ---- */

void cr_corpus_index_free(cr_corpus_index *ix)
{
    if (!ix) return;
    for (size_t f = 0; f < ix->nfiles && ix->names; f++)
        free(ix->names[f]);
    free(ix->names);
    free(ix->file_start);
    free(ix->file_chars);
    free(ix->file_bytes);
    free(ix->file_sha);
    free(ix->T);
    free(ix->SA);
    free(ix->ISA);
    free(ix->LCP);
    free(ix->lcp_min.st);
    free(ix->sa_min.st);
    free(ix->alpha);
    free(ix->bucket);
    free(ix->line_start);
    free(ix->file_line);
    free(ix);
}

static int add_line(cr_corpus_index *ix, size_t *cap, size_t pos)
{
    if (ix->nlines == *cap) {
        size_t c = *cap ? 2 * *cap : 1024;
        size_t *p = realloc(ix->line_start, c * sizeof *p);
        if (!p) return -1;
        ix->line_start = p;
        *cap = c;
    }
    ix->line_start[ix->nlines++] = pos;
    return 0;
}

/* Decodes the files into T (code points for now), noting the lines and the code points seen. */
static int decode_files(cr_corpus_index *ix, const cr_corpus_file *files, unsigned char *seen,
                        cr_error *err)
{
    size_t p = 0, cap = 0;
    for (size_t f = 0; f < ix->nfiles; f++) {
        const unsigned char *s = files[f].text;
        size_t len = files[f].len;
        ix->file_start[f] = p;
        ix->file_line[f] = ix->nlines;
        if (add_line(ix, &cap, p)) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            size_t k = cr_utf8_decode(s + i, len - i, &cp);
            i += k;
            ix->T[p++] = (int32_t)cp;
            seen[cp >> 3] |= (unsigned char)(1u << (cp & 7));
            /* a line ends at \n, at \r\n (after the \n), or at a lone \r */
            if ((cp == '\n' || (cp == '\r' && (i == len || s[i] != '\n'))) && i < len &&
                add_line(ix, &cap, p))
                return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
        }
        ix->file_chars[f] = p - ix->file_start[f];
        ix->T[p++] = f + 1 < ix->nfiles ? (int32_t)(f + 1) : 0; /* separator, or the sentinel */
    }
    ix->file_start[ix->nfiles] = p;
    return CR_OK;
}

/* Renumbers the code points of T densely (symbols nfiles and up), recording the alphabet. */
static int renumber(cr_corpus_index *ix, const unsigned char *seen, cr_error *err)
{
    int32_t *map = malloc((size_t)0x110000 * sizeof *map);
    ix->nalpha = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        ix->nalpha += (seen[cp >> 3] >> (cp & 7)) & 1;
    ix->alpha = malloc((ix->nalpha ? ix->nalpha : 1) * sizeof *ix->alpha);
    ix->bucket = calloc(ix->nalpha + 1, sizeof *ix->bucket);
    if (!map || !ix->alpha || !ix->bucket) {
        free(map);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    size_t a = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if ((seen[cp >> 3] >> (cp & 7)) & 1) {
            ix->alpha[a] = cp;
            map[cp] = (int32_t)(ix->nfiles + a++);
        }
    for (int c = 0; c < 128; c++)
        ix->ascii[c] = (seen[c >> 3] >> (c & 7)) & 1 ? map[c] : -1;
    for (size_t f = 0; f < ix->nfiles; f++)
        for (size_t p = ix->file_start[f]; p < ix->file_start[f] + ix->file_chars[f]; p++)
            ix->T[p] = map[ix->T[p]];
    free(map);
    return CR_OK;
}

/* All LCP values in O(N) by the permuted LCP (Kasai et al. 2001; Karkkainen, Manzini and Puglisi
 * 2009): in text order, each suffix against the one ranked just before it, where the common
 * prefix shrinks by one at most from one position to the next. Uses ISA's memory as scratch. */
static void lcp_phi(cr_corpus_index *ix)
{
    const int32_t *T = ix->T, *SA = ix->SA;
    int32_t *phi = ix->ISA; /* phi[SA[r]] = SA[r-1], then the permuted LCP, in place */
    phi[SA[0]] = -1;
    for (size_t r = 1; r < ix->n; r++)
        phi[SA[r]] = SA[r - 1];
    size_t h = 0;
    for (size_t i = 0; i < ix->n; i++) {
        if (phi[i] < 0) {
            phi[i] = 0;
            h = 0;
            continue;
        }
        size_t j = (size_t)phi[i];
        while (T[i + h] == T[j + h]) /* stops at a separator or the sentinel: each is unique */
            h++;
        phi[i] = (int32_t)h;
        if (h > 0) h--;
    }
    for (size_t r = 0; r < ix->n; r++)
        ix->LCP[r] = phi[SA[r]];
}

/* Takes the suffix array from sa (N entries of 4 bytes, little-endian: a saved index) instead of
 * sorting, and fills ISA. It is checked, never trusted: a permutation of 0..N-1 whose suffixes
 * are in order, which holds when each is sorted by its first symbol and, on a tie, by the rank
 * of the suffix one later (Burkhardt and Karkkainen 2003): O(N). 0, or -1 if it is not the
 * suffix array of T. */
static int take_sa(cr_corpus_index *ix, const unsigned char *sa)
{
    const int32_t *T = ix->T;
    int32_t *SA = ix->SA, *ISA = ix->ISA;
    size_t n = ix->n;
    for (size_t i = 0; i < n; i++)
        ISA[i] = -1;
    for (size_t r = 0; r < n; r++) {
        const unsigned char *b = sa + 4 * r;
        uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24;
        if (v >= n || ISA[v] >= 0) return -1;
        SA[r] = (int32_t)v;
        ISA[v] = (int32_t)r;
    }
    for (size_t r = 1; r < n; r++) {
        size_t i = (size_t)SA[r - 1], j = (size_t)SA[r];
        /* equal first symbols are code points (separators and the sentinel are unique), so
         * neither suffix is the last one */
        if (T[i] > T[j] || (T[i] == T[j] && ISA[i + 1] > ISA[j + 1])) return -1;
    }
    return 0;
}

/* Each file's size and SHA-256, as recorded for a saved index and checked against a lineage. */
static int hash_files(cr_corpus_index *ix, const cr_corpus_file *files)
{
    ix->file_bytes = malloc(ix->nfiles * sizeof *ix->file_bytes);
    ix->file_sha = malloc(ix->nfiles * sizeof *ix->file_sha);
    if (!ix->file_bytes || !ix->file_sha) return -1;
    for (size_t f = 0; f < ix->nfiles; f++) {
        cr_sha256 h;
        cr_sha256_init(&h);
        cr_sha256_update(&h, files[f].text, files[f].len);
        cr_sha256_final(&h, ix->file_sha[f]);
        ix->file_bytes[f] = files[f].len;
    }
    return 0;
}

int cr_corpus_index_make(const cr_corpus_file *files, size_t nfiles, const unsigned char *sa,
                         cr_corpus_index **out, cr_error *err)
{
    *out = NULL;
    if (nfiles == 0) return cr_fail(err, CR_EINVAL, -1, NULL, "no corpus files to index");
    size_t total = nfiles;
    for (size_t f = 0; f < nfiles; f++) {
        size_t bad;
        if (!cr_utf8_valid(files[f].text, files[f].len, &bad))
            return cr_fail(err, CR_EUTF8, (long long)bad, NULL,
                           "corpus file %zu: invalid UTF-8 at byte %zu", f + 1, bad);
        total += cr_utf8_count(files[f].text, files[f].len);
        if (total >= INT32_MAX - 1)
            return cr_fail(err, CR_EINVAL, -1, NULL,
                           "the corpus is too large to index: over 2 147 483 645 characters");
    }
    cr_corpus_index *ix = calloc(1, sizeof *ix);
    if (!ix) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    ix->nfiles = nfiles;
    ix->n = total;
    ix->names = calloc(nfiles, sizeof *ix->names);
    ix->file_start = malloc((nfiles + 1) * sizeof *ix->file_start);
    ix->file_chars = malloc(nfiles * sizeof *ix->file_chars);
    ix->file_line = malloc(nfiles * sizeof *ix->file_line);
    ix->T = malloc(total * sizeof *ix->T);
    unsigned char *seen = calloc(0x110000 / 8, 1);
    int rc = CR_ENOMEM;
    if (!ix->names || !ix->file_start || !ix->file_chars || !ix->file_line || !ix->T || !seen ||
        hash_files(ix, files))
        goto fail;
    for (size_t f = 0; f < nfiles; f++) {
        const char *name = files[f].name ? files[f].name : "";
        if (!(ix->names[f] = malloc(strlen(name) + 1))) goto fail;
        strcpy(ix->names[f], name);
    }
    if ((rc = decode_files(ix, files, seen, err)) || (rc = renumber(ix, seen, err))) goto done;
    rc = CR_ENOMEM;
    ix->SA = malloc(total * sizeof *ix->SA);
    ix->ISA = malloc(total * sizeof *ix->ISA);
    ix->LCP = malloc(total * sizeof *ix->LCP);
    if (!ix->SA || !ix->ISA || !ix->LCP) goto fail;
    if (sa && take_sa(ix, sa)) {
        rc = cr_fail(err, CR_EFORMAT, -1, NULL, "its suffix array is damaged (not the sorted "
                     "suffixes of its corpus)");
        goto done;
    }
    if (!sa && sais(ix->T, ix->SA, total, (int32_t)(nfiles + ix->nalpha))) goto fail;
    lcp_phi(ix);
    for (size_t r = 0; r < total; r++)
        ix->ISA[ix->SA[r]] = (int32_t)r;
    if (mintab_build(&ix->lcp_min, ix->LCP, total) || mintab_build(&ix->sa_min, ix->SA, total))
        goto fail;
    /* the suffixes starting with separators and the sentinel rank first (symbols below nfiles) */
    size_t r = nfiles;
    for (size_t a = 0; a < ix->nalpha; a++) {
        ix->bucket[a] = (int32_t)r;
        while (r < total && (size_t)ix->T[ix->SA[r]] == nfiles + a)
            r++;
    }
    ix->bucket[ix->nalpha] = (int32_t)r;
    free(seen);
    *out = ix;
    return CR_OK;
fail:
    rc = cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory: the index of %zu characters needs "
                 "about %zu MB", total, total * 18 / 1000000 + 1);
done:
    free(seen);
    cr_corpus_index_free(ix);
    return rc;
}

int cr_corpus_index_build(const cr_corpus_file *files, size_t nfiles, cr_corpus_index **out,
                          cr_error *err)
{
    return cr_corpus_index_make(files, nfiles, NULL, out, err);
}

size_t cr_corpus_index_files(const cr_corpus_index *ix) { return ix->nfiles; }
const char *cr_corpus_index_name(const cr_corpus_index *ix, size_t file)
{
    return file < ix->nfiles ? ix->names[file] : NULL;
}
size_t cr_corpus_index_chars(const cr_corpus_index *ix, size_t file)
{
    return file < ix->nfiles ? ix->file_chars[file] : 0;
}
uint64_t cr_corpus_index_bytes(const cr_corpus_index *ix, size_t file)
{
    return file < ix->nfiles ? ix->file_bytes[file] : 0;
}
const unsigned char *cr_corpus_index_sha256(const cr_corpus_index *ix, size_t file)
{
    return file < ix->nfiles ? ix->file_sha[file] : NULL;
}

const int32_t *cr_corpus_index_sa(const cr_corpus_index *ix, size_t *n)
{
    *n = ix->n;
    return ix->SA;
}

size_t cr_corpus_index_utf8(const cr_corpus_index *ix, size_t file, char *out)
{
    size_t len = 0;
    for (size_t p = ix->file_start[file]; p < ix->file_start[file] + ix->file_chars[file]; p++)
        len += cr_utf8_encode(ix->alpha[(size_t)ix->T[p] - ix->nfiles], out + len);
    return len;
}

/* The largest i < n with a[i] <= p (a increasing, a[0] <= p). */
static size_t floor_index(const size_t *a, size_t n, size_t p)
{
    size_t lo = 0, hi = n; /* a[lo] <= p < a[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= p) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* The file, line and column of position p of T (not a separator). */
static void place_of(const cr_corpus_index *ix, size_t p, cr_corpus_place *pl)
{
    size_t f = floor_index(ix->file_start, ix->nfiles, p);
    size_t k = floor_index(ix->line_start, ix->nlines, p);
    pl->file = (uint32_t)f;
    pl->offset = p - ix->file_start[f];
    pl->line = k - ix->file_line[f] + 1;
    pl->column = p - ix->line_start[k] + 1;
}

/* ---- matching ---- */

/* The symbol of a code point, or -1 if the corpus does not hold it. */
static int32_t symbol(const cr_corpus_index *ix, uint32_t cp)
{
    if (cp < 128) return ix->ascii[cp];
    size_t lo = 0, hi = ix->nalpha;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->alpha[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < ix->nalpha && ix->alpha[lo] == cp ? (int32_t)(ix->nfiles + lo) : -1;
}

/* Within ranks lo..hi, whose suffixes share their first len symbols, the ranks whose next symbol
 * is s: 1 and *nlo..*nhi, or 0 if there are none. */
static int narrow(const cr_corpus_index *ix, size_t lo, size_t hi, size_t len, int32_t s,
                  size_t *nlo, size_t *nhi)
{
    if (len == 0) {
        size_t a = (size_t)s - ix->nfiles;
        *nlo = (size_t)ix->bucket[a];
        *nhi = (size_t)ix->bucket[a + 1] - 1;
        return 1;
    }
    const int32_t *T = ix->T, *SA = ix->SA;
    size_t a = lo, b = hi + 1; /* the first rank whose next symbol is >= s */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (T[(size_t)SA[mid] + len] < s) a = mid + 1;
        else b = mid;
    }
    if (a > hi || T[(size_t)SA[a] + len] != s) return 0;
    size_t first = a;
    b = hi + 1; /* the first rank whose next symbol is > s */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (T[(size_t)SA[mid] + len] <= s) a = mid + 1;
        else b = mid;
    }
    *nlo = first;
    *nhi = a - 1;
    return 1;
}

void cr_corpus_cursor_init(cr_corpus_cursor *c, const cr_corpus_index *ix)
{
    c->ix = ix;
    c->lo = 0;
    c->hi = ix->n - 1;
    c->len = 0;
}

/* Forgets the first code point of the match: through ISA to a suffix that starts one later, then
 * out to every rank sharing the shorter match with it, through the LCP minimum table. */
static void drop_first(cr_corpus_cursor *c)
{
    const cr_corpus_index *ix = c->ix;
    if (--c->len == 0) {
        c->lo = 0;
        c->hi = ix->n - 1;
        return;
    }
    size_t r = (size_t)ix->ISA[(size_t)ix->SA[c->lo] + 1];
    c->lo = mintab_prev_less(&ix->lcp_min, r, (int32_t)c->len);
    c->hi = mintab_next_less(&ix->lcp_min, r, (int32_t)c->len) - 1;
}

size_t cr_corpus_cursor_feed(cr_corpus_cursor *c, uint32_t cp)
{
    const cr_corpus_index *ix = c->ix;
    int32_t s = symbol(ix, cp);
    if (s < 0) {
        cr_corpus_cursor_init(c, ix);
        return 0;
    }
    for (;;) {
        size_t lo, hi;
        if (narrow(ix, c->lo, c->hi, c->len, s, &lo, &hi)) {
            c->lo = lo;
            c->hi = hi;
            return ++c->len;
        }
        drop_first(c); /* len > 0 here: at len 0 every symbol of the corpus narrows */
    }
}

int cr_corpus_cursor_would_copy(const cr_corpus_cursor *c, uint32_t cp, size_t n)
{
    if (c->len < n) return 0; /* the match grows by one at most */
    int32_t s = symbol(c->ix, cp);
    size_t lo, hi;
    if (s >= 0 && narrow(c->ix, c->lo, c->hi, c->len, s, &lo, &hi)) return 1;
    if (c->len == n) return 0; /* no longer than now */
    cr_corpus_cursor t = *c;
    return cr_corpus_cursor_feed(&t, cp) > n;
}

uint64_t cr_corpus_cursor_where(const cr_corpus_cursor *c, cr_corpus_place *first)
{
    if (c->len == 0) return 0;
    place_of(c->ix, (size_t)mintab_min(&c->ix->sa_min, c->lo, c->hi), first);
    return c->hi - c->lo + 1;
}

static int add_span(cr_corpus_span **spans, size_t *n, size_t *cap, const cr_corpus_cursor *c,
                    size_t end)
{
    if (*n == *cap) {
        size_t k = *cap ? 2 * *cap : 64;
        cr_corpus_span *p = realloc(*spans, k * sizeof *p);
        if (!p) return -1;
        *spans = p;
        *cap = k;
    }
    cr_corpus_span *s = &(*spans)[(*n)++];
    s->start = end - c->len;
    s->length = c->len;
    s->others = cr_corpus_cursor_where(c, &s->first) - 1;
    return 0;
}

int cr_corpus_match(const cr_corpus_index *ix, const uint32_t *text, size_t n, size_t min,
                    cr_corpus_span **spans, size_t *nspans, cr_error *err)
{
    *spans = NULL;
    *nspans = 0;
    if (min == 0) return cr_fail(err, CR_EINVAL, -1, NULL, "the shortest span must be at least 1");
    size_t cap = 0;
    cr_corpus_cursor c;
    cr_corpus_cursor_init(&c, ix);
    for (size_t j = 0; j < n; j++) {
        cr_corpus_cursor before = c;
        /* a match that cannot take the next code point ends here, whole: a maximal span */
        if (cr_corpus_cursor_feed(&c, text[j]) != before.len + 1 && before.len >= min &&
            add_span(spans, nspans, &cap, &before, j))
            goto nomem;
    }
    if (c.len >= min && add_span(spans, nspans, &cap, &c, n)) goto nomem;
    return CR_OK;
nomem:
    free(*spans);
    *spans = NULL;
    *nspans = 0;
    return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
}
