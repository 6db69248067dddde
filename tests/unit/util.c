/* util.c: helpers the unit tests share. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cr_model *tiny_model(int cell, int layers, int hidden, int embed, const char *alphabet,
                     uint64_t seed)
{
    cr_config c;
    cr_config_default(&c);
    c.cell = cell;
    c.layers = layers;
    c.hidden = hidden;
    c.embed = embed;
    c.seed = seed;
    c.batch = 2;
    c.seq_len = 3;
    cr_model *m = NULL;
    cr_error e;
    if (cr_model_new_from_text(&c, (const unsigned char *)alphabet, strlen(alphabet), &m, &e))
        return NULL;
    return m;
}

void fill_uniform(float *x, size_t n, float a, cr_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (2 * cr_rng_float(r) - 1) * a;
}

char *toy_corpus(size_t n, uint64_t seed)
{
    static const char *const words[] = {"the ", "sea ", "is ", "grey ", "and ", "a ", "boat ",
                                        "sails. ", "fish ", "swim\n", "wind ", "blows "};
    cr_rng r;
    cr_rng_seed(&r, seed);
    char *s = malloc(n + 1);
    size_t k = 0;
    while (k < n) {
        const char *w = words[cr_rng_next(&r) % 12];
        for (; *w && k < n; w++)
            s[k++] = *w;
    }
    s[n] = 0;
    return s;
}

cr_sampler *new_sampler(const cr_model *m, const cr_sample_options *o)
{
    cr_sampler *s = NULL;
    cr_error e;
    if (cr_sampler_new(m, o, &s, &e) != CR_OK) {
        fprintf(stderr, "  cr_sampler_new: %s\n", e.message);
        return NULL;
    }
    return s;
}
