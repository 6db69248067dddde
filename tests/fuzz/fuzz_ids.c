/* fuzz_ids.c: the id-list parser of tokenize --decode on any bytes: it takes exactly the words
 * that are whole numbers below the limit, and on the first other word stops, naming its place
 * and its kind; ids written back out parse to the same list. The first two bytes pick the limit
 * (the vocabulary size); the rest is the list. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
                                           c == '\f' || c == '\r'; }

/* What the word s[0..n) is: 0 an id below limit (in *id), else the failure it must give. */
static cli_ids_status judge(const unsigned char *s, size_t n, uint32_t limit, uint32_t *id)
{
    if (n == 1 && s[0] == '?') return CLI_IDS_UNKNOWN;
    size_t i = 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] < '0' || s[k] > '9') return CLI_IDS_NOT_ID;
    while (i + 1 < n && s[i] == '0')
        i++;
    if (n - i > 10) return CLI_IDS_RANGE;
    unsigned long long v = 0;
    for (; i < n; i++)
        v = v * 10 + (unsigned long long)(s[i] - '0');
    if (v >= limit) return CLI_IDS_RANGE;
    *id = (uint32_t)v;
    return CLI_IDS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint32_t limit = (uint32_t)data[0] | (uint32_t)data[1] << 8;
    if (data[1] == 0xFF) limit = UINT32_MAX - data[0]; /* the top of the range too */
    const unsigned char *s = data + 2;
    size_t len = size - 2;

    cli_ids list = {0};
    size_t at = (size_t)-1, wlen = (size_t)-1;
    cli_ids_status rc = cli_parse_ids(s, len, limit, &list, &at, &wlen);
    if (rc == CLI_IDS_NOMEM) abort(); /* a list no longer than its text always fits here */

    /* walk the words afresh */
    size_t words = 0, i = 0;
    for (;;) {
        while (i < len && space(s[i]))
            i++;
        if (i == len) {
            if (rc != CLI_IDS_OK || list.n != words) abort();
            break;
        }
        size_t start = i;
        while (i < len && !space(s[i]))
            i++;
        uint32_t id = 0;
        cli_ids_status want = judge(s + start, i - start, limit, &id);
        if (want != CLI_IDS_OK) {
            if (rc != want || at != start || wlen != i - start || list.n != words) abort();
            break;
        }
        if (list.n <= words || list.ids[words] != id) abort();
        words++;
    }

    /* a good list written out as tokenize --ids would, and parsed again after two ids already
     * there, as from an earlier file */
    if (rc == CLI_IDS_OK && limit > 1) {
        char *out = malloc(12 * list.n + 1);
        size_t o = 0;
        if (!out) abort();
        for (size_t k = 0; k < list.n; k++)
            o += (size_t)sprintf(out + o, k % 7 == 6 ? "%u\n" : "%u ", (unsigned)list.ids[k]);
        cli_ids again = {0};
        const unsigned char head[] = "1\t0";
        if (cli_parse_ids(head, 3, limit, &again, &at, &wlen) != CLI_IDS_OK ||
            cli_parse_ids((const unsigned char *)out, o, limit, &again, &at, &wlen) != CLI_IDS_OK ||
            again.n != list.n + 2 || again.ids[0] != 1 || again.ids[1] != 0 ||
            (list.n && memcmp(again.ids + 2, list.ids, list.n * sizeof *list.ids) != 0))
            abort();
        free(again.ids);
        free(out);
    }
    free(list.ids);
    return 0;
}
