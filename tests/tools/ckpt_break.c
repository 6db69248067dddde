/* ckpt_break.c: breaks a checkpoint's latest weights, as a training step that went wrong would:
 * the output bias of its first character raised by 30, so that the model is sure of that
 * character everywhere. For the test of training going back to the best weights. */
#include "charrnn.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ckpt-break CKPT\n");
        return 2;
    }
    cr_model *m;
    cr_error err;
    if (cr_ckpt_read_file(argv[1], &m, &err) != CR_OK) {
        fprintf(stderr, "ckpt-break: %s\n", err.message);
        return 1;
    }
    float *w = cr_model_params(m, 0);
    size_t i, n = cr_model_tensor_count(m);
    for (i = 0; i < n && strcmp(cr_model_tensor(m, i)->name, "out.b") != 0; i++)
        ;
    if (i == n) {
        fprintf(stderr, "ckpt-break: %s: no out.b\n", argv[1]);
        return 1;
    }
    w[cr_model_tensor(m, i)->offset] += 30.0f;
    int rc = cr_ckpt_write_file(m, argv[1], &err);
    if (rc != CR_OK) fprintf(stderr, "ckpt-break: %s\n", err.message);
    cr_model_free(m);
    return rc == CR_OK ? 0 : 1;
}
