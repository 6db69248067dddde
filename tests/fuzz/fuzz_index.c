/* fuzz_index.c: the saved corpus index reader (trace --index) on any bytes: it must refuse them
 * cleanly, or give an index that saves back to the same bytes and finds each of its files, from
 * the start, as a copy of itself. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cr_corpus_index *ix = NULL;
    cr_error err;
    if (cr_corpus_index_decode(data, size, &ix, &err) != CR_OK) {
        if (ix != NULL || err.message[0] == 0) abort(); /* refused: nothing given, and a reason */
        return 0;
    }
    unsigned char *buf;
    size_t len;
    if (cr_corpus_index_encode(ix, &buf, &len, &err) != CR_OK) abort();
    if (len != size || memcmp(buf, data, size) != 0) abort(); /* only one way to write an index */
    free(buf);
    /* each file's first 300 code points, fed to a cursor: a match that grows by one each time */
    for (size_t f = 0; f < cr_corpus_index_files(ix); f++) {
        size_t bytes = (size_t)cr_corpus_index_bytes(ix, f), n = 0;
        char *text = malloc(bytes + 1);
        if (!text) abort();
        cr_corpus_index_utf8(ix, f, text);
        cr_corpus_cursor c;
        cr_corpus_cursor_init(&c, ix);
        for (size_t i = 0; i < bytes && n < 300; n++) {
            uint32_t cp;
            size_t k = cr_utf8_decode((const unsigned char *)text + i, bytes - i, &cp);
            if (k == 0) abort(); /* the index holds UTF-8 only */
            i += k;
            if (cr_corpus_cursor_feed(&c, cp) != n + 1) abort();
        }
        cr_corpus_place first;
        if (n > 0 && (cr_corpus_cursor_where(&c, &first) == 0 || first.file > f)) abort();
        free(text);
    }
    cr_corpus_index_free(ix);
    return 0;
}
