/* util.h: helpers the unit tests share: tiny models and random inputs. */
#ifndef CR_TEST_UTIL_H
#define CR_TEST_UTIL_H

#include "internal.h"

/* A model over the characters of alphabet with small settings, weights from the seed. */
cr_model *tiny_model(int cell, int layers, int hidden, int embed, const char *alphabet,
                     uint64_t seed);
/* Fills x (n) uniformly in [-a, a]. */
void fill_uniform(float *x, size_t n, float a, cr_rng *r);
/* A text of n characters drawn from a small repeating grammar, for training tests. */
char *toy_corpus(size_t n, uint64_t seed);
/* A sampler of m with o, or NULL with the reason on stderr. */
cr_sampler *new_sampler(const cr_model *m, const cr_sample_options *o);

#endif
