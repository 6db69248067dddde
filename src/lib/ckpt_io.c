/* ckpt_io.c: checkpoints to and from files and streams; files are saved through save.c. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes buf (len bytes) to fd, or fails with CR_EIO. */
static int write_bytes(int fd, const unsigned char *buf, size_t len, cr_error *err)
{
    if (cr_write_all(fd, buf, len) == 0) return CR_OK;
    return cr_fail(err, CR_EIO, -1, NULL, "write failed: %s", strerror(errno));
}

int cr_ckpt_write_fd(const cr_model *m, int fd, cr_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = cr_ckpt_encode(m, &buf, &len, err);
    if (rc) return rc;
    rc = write_bytes(fd, buf, len, err);
    free(buf);
    return rc;
}

int cr_ckpt_write_file(const cr_model *m, const char *path, cr_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = cr_ckpt_encode(m, &buf, &len, err);
    if (rc) return rc;
    rc = cr_save_file(path, buf, len, err); /* save.c: atomic, never over a device */
    free(buf);
    return rc;
}

/* Reads all of fd into a new buffer. */
static int read_all(int fd, unsigned char **out, size_t *len, cr_error *err)
{
    size_t cap = 1 << 16, n = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    unsigned char *buf = malloc(cap);
    if (!buf) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory reading the checkpoint");
    for (;;) {
        if (n == cap) {
            unsigned char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory reading the checkpoint");
            }
            buf = p;
            cap *= 2;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k == 0) break;
        if (k < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            return cr_fail(err, CR_EIO, (long long)n, NULL, "read failed at byte %zu: %s", n,
                           strerror(e));
        }
        n += (size_t)k;
    }
    *out = buf;
    *len = n;
    return CR_OK;
}

int cr_ckpt_read_file(const char *path, cr_model **out, cr_error *err)
{
    *out = NULL;
    if (cr_ckpt_is_folder(path)) return cr_ml5_read(path, out, NULL, err); /* ml5.c */
    int stdin_ = cr_path_is_stdin(path);
    int fd = stdin_ ? 0 : open(path, O_RDONLY);
    if (fd < 0) return cr_fail(err, CR_EIO, -1, NULL, "%s", strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = read_all(fd, &buf, &len, err);
    if (!stdin_) close(fd);
    if (rc) return rc;
    if (len == 0) rc = cr_fail(err, CR_EFORMAT, 0, NULL, "empty input: no checkpoint to read");
    else rc = cr_ckpt_decode(buf, len, out, err);
    free(buf);
    return rc;
}
