/* fuzz_ml5.c: the ml5.js model-folder reader on any folder: it must fail cleanly, or give a model
 * that samples and that writes back as a folder it reads again.
 *
 * An input is a folder packed into one file (tests/fuzz/pack_ml5.py makes the seeds): entries of
 * a file name ending in a NUL byte, the file's length as 4 bytes little-endian, then its bytes;
 * a length past the end takes what is left. Names that are not plain file names are skipped. */
#include "charrnn.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64]; /* a folder of this process's: root/in and root/out */

static void empty_folder(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0) rmdir(path);
    }
    if (d) closedir(d);
}

static void remove_root(void)
{
    char dir[96];
    snprintf(dir, sizeof dir, "%s/in", root);
    empty_folder(dir);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/out", root);
    empty_folder(dir);
    rmdir(dir);
    rmdir(root);
}

static int plain_name(const char *s)
{
    if (!s[0] || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
    for (; *s; s++)
        if (*s == '/') return 0;
    return 1;
}

/* Writes the entries of data into dir. */
static void unpack(const uint8_t *data, size_t size, const char *dir)
{
    size_t at = 0;
    while (at < size) {
        const uint8_t *nul = memchr(data + at, 0, size - at);
        if (!nul || (size_t)(nul - (data + at)) > 60) return;
        const char *name = (const char *)(data + at);
        at = (size_t)(nul - data) + 1;
        size_t len = 0;
        for (int i = 0; i < 4; i++)
            len |= (size_t)(at + i < size ? data[at + i] : 0) << (8 * i);
        at = at + 4 < size ? at + 4 : size;
        if (len > size - at) len = size - at;
        if (plain_name(name)) {
            char path[160];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            FILE *f = fopen(path, "wb");
            if (f) {
                fwrite(data + at, 1, len, f);
                fclose(f);
            }
        }
        at += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[96], out[96];
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/charrnn-fuzz-ml5.XXXXXX");
        if (!mkdtemp(root)) abort();
        atexit(remove_root);
    }
    snprintf(in, sizeof in, "%s/in", root);
    snprintf(out, sizeof out, "%s/out", root);
    empty_folder(in);
    empty_folder(out);
    rmdir(out);
    if (mkdir(in, 0700) != 0 && access(in, W_OK) != 0) abort();
    unpack(data, size, in);

    cr_model *m = NULL;
    cr_error err;
    memset(&err, 0, sizeof err);
    if (cr_ml5_read(in, &m, NULL, &err) != CR_OK) {
        if (!err.message[0] || m) abort(); /* every failure explains itself and leaks nothing */
        return 0;
    }
    cr_sample_options o;
    cr_sample_options_default(&o);
    cr_sampler *s;
    if (cr_sampler_new(m, &o, &s, &err) == CR_OK) {
        for (int i = 0; i < 4; i++)
            if (cr_sampler_next(s) >= cr_model_vocab(m)->size) abort();
        cr_sampler_free(s);
    }
    /* what was read writes back as a folder that reads again, with the same shape; a folder
     * without an embedding (one-hot input) comes back with an identity embedding, V x V */
    if (cr_ml5_write(m, 0, out, &err) == CR_OK) {
        cr_model *again = NULL;
        if (cr_ml5_read(out, &again, NULL, &err) != CR_OK) abort();
        size_t V = cr_model_vocab(m)->size, embed = (size_t)cr_model_config(m)->embed;
        size_t grown = embed ? 0 : V * V;
        if (cr_model_param_count(again) != cr_model_param_count(m) + grown) abort();
        if ((size_t)cr_model_config(again)->embed != (embed ? embed : V)) abort();
        cr_model_free(again);
    }
    cr_model_free(m);
    return 0;
}
