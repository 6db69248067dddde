/* fuzz_ckpt.c: the checkpoint reader on any bytes: it must fail cleanly, or give a model that
 * encodes to a checkpoint it reads back, and that samples. */
#include "charrnn.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cr_model *m = NULL;
    cr_error err;
    memset(&err, 0, sizeof err);
    if (cr_ckpt_decode(data, size, &m, &err) != CR_OK) {
        if (!err.message[0] || m) abort(); /* every failure explains itself and leaks nothing */
        return 0;
    }
    unsigned char *buf;
    size_t len;
    if (cr_ckpt_encode(m, &buf, &len, &err) == CR_OK) {
        cr_model *again = NULL;
        if (cr_ckpt_decode(buf, len, &again, &err) != CR_OK) abort();
        if (cr_model_param_count(again) != cr_model_param_count(m)) abort();
        cr_model_free(again);
        free(buf);
    }
    cr_sample_options o;
    cr_sample_options_default(&o);
    o.top_p = 0.9;
    cr_sampler *s;
    if (cr_sampler_new(m, &o, &s, &err) == CR_OK) {
        for (int i = 0; i < 4; i++)
            if (cr_sampler_next(s) >= cr_model_vocab(m)->size) abort();
        cr_sampler_free(s);
    }
    cr_model_free(m);
    return 0;
}
