/* probs.c: our next-character probabilities after each character of a prime, from a checkpoint
 * or an ml5.js model folder, in tests/ml5/ref.js's form: "step TAB hex(UTF-8 text) TAB p".
 * Built by tests/ml5/run.sh against build/release/libcharrnn.a. */
#include "charrnn.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: probs MODEL PRIME\n");
        return 2;
    }
    cr_model *m;
    cr_error err;
    if (cr_ckpt_read_file(argv[1], &m, &err) != CR_OK) {
        fprintf(stderr, "probs: %s: %s\n", argv[1], err.message);
        return 1;
    }
    const cr_vocab *v = cr_model_vocab(m);
    cr_sample_options o;
    cr_sample_options_default(&o);
    cr_sampler *s;
    if (cr_sampler_new(m, &o, &s, &err) != CR_OK) {
        fprintf(stderr, "probs: %s\n", err.message);
        return 1;
    }
    const unsigned char *p = (const unsigned char *)argv[2];
    size_t len = strlen(argv[2]), step = 0;
    for (size_t i = 0; i < len; step++) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, len - i, &cp);
        int32_t id = k ? cr_vocab_id(v, cp) : -1;
        if (id < 0) {
            fprintf(stderr, "probs: the prime's byte %zu is not a character of the model\n", i);
            return 2;
        }
        i += k;
        cr_sampler_feed(s, (uint32_t)id);
        const float *pr = cr_sampler_probs(s);
        for (uint32_t j = 0; j < v->size; j++) {
            char buf[4];
            const char *text;
            size_t n = cr_vocab_text(v, j, buf, &text);
            printf("%zu\t", step);
            for (size_t b = 0; b < n; b++)
                printf("%02x", (unsigned char)text[b]);
            printf("\t%.9g\n", (double)pr[j]);
        }
    }
    cr_sampler_free(s);
    cr_model_free(m);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
