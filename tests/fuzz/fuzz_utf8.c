/* fuzz_utf8.c: the UTF-8 decoder and the vocabulary on any bytes: a text is valid exactly when
 * the vocabulary builds, and a valid text survives ids and back unchanged. */
#include "charrnn.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t bad = 0;
    int valid = cr_utf8_valid(data, size, &bad);
    if (!valid && bad >= size) abort();
    cr_vocab v;
    cr_error err;
    int rc = cr_vocab_build(data, size, &v, &err);
    if ((rc == CR_OK) != valid) abort();
    if (rc != CR_OK) {
        if (rc != CR_EUTF8 || (size_t)err.offset != bad) abort();
        return 0;
    }
    uint32_t *ids;
    size_t n;
    if (cr_vocab_encode(&v, data, size, &ids, &n, &err) != CR_OK) abort();
    if (n != cr_utf8_count(data, size)) abort();
    unsigned char *back = malloc(4 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= v.size) abort();
        k += cr_utf8_encode(v.chars[ids[i]], (char *)back + k);
    }
    if (k != size || memcmp(back, data, size) != 0) abort();
    free(back);
    free(ids);
    cr_vocab_free(&v);
    return 0;
}
