/* ckpt_state.c: prints a digest of what must be identical between two equal training runs:
 * every chunk of a checkpoint but the history, the lineage and the training clocks (STAT's
 * seconds of training, PLAN's seconds used). With --no-plan, without the plan at all: for runs
 * cut into plans differently that must still end equal (with --anneal 0). With --latest, also
 * without the best weights and the best loss (STAT's best_val, best_step, evals_since_best):
 * for a run interrupted and resumed, which validates once more where it stopped. */
#include "charrnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int no_plan = 0, latest = 0;
    for (; argc > 2; argc--, argv++) {
        if (!strcmp(argv[1], "--no-plan")) no_plan = 1;
        else if (!strcmp(argv[1], "--latest")) latest = 1;
        else break;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: ckpt-state [--no-plan] [--latest] CKPT\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1 << 20, len = 0, k;
    unsigned char *buf = malloc(cap);
    while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0)
        if ((len += k) == cap) buf = realloc(buf, cap *= 2);
    fclose(f);
    cr_chunk_info *chunks;
    size_t n;
    cr_error err;
    if (!buf || cr_ckpt_list_chunks(buf, len, &chunks, &n, &err)) {
        fprintf(stderr, "ckpt-state: %s: %s\n", argv[1], buf ? err.message : "out of memory");
        return 1;
    }
    cr_sha256 h;
    cr_sha256_init(&h);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = buf + chunks[i].offset + 8;
        size_t plen = chunks[i].length;
        if (!strcmp(chunks[i].tag, "HIST") || !strcmp(chunks[i].tag, "LINE")) continue;
        if (no_plan && !strcmp(chunks[i].tag, "PLAN")) continue;
        if (latest && !strcmp(chunks[i].tag, "WBST")) continue;
        cr_sha256_update(&h, chunks[i].tag, 4);
        if (!strcmp(chunks[i].tag, "STAT") && plen >= 40) {
            cr_sha256_update(&h, p, 32);             /* step, epoch, position, characters */
            if (latest) cr_sha256_update(&h, p + 60, plen - 60); /* only the generator */
            else cr_sha256_update(&h, p + 40, plen - 40); /* skipping the seconds of training */
        } else if (!strcmp(chunks[i].tag, "PLAN") && plen >= 40) {
            cr_sha256_update(&h, p, 32);             /* start, steps, epochs, seconds */
            cr_sha256_update(&h, p + 40, plen - 40); /* skipping the seconds used */
        } else {
            cr_sha256_update(&h, p, plen);
        }
    }
    unsigned char d[32];
    cr_sha256_final(&h, d);
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
    free(chunks);
    free(buf);
    return 0;
}
