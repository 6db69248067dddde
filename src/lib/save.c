/* save.c: writing a file safely. A regular file is replaced whole or not at all (a temporary
 * file beside it, fsync, rename); anything else the path names (a terminal, a pipe, a FIFO,
 * /dev/null, or a link to one, such as /dev/stdout) is written in place and never replaced:
 * these tools run as root in workshops and CI, where renaming over /dev/stdout would replace
 * the machine's own. A symbolic link to a regular file stays a link: its target is replaced.
 *
 * Temporary files are named FILE.tmp-PID-XXXXXX; a save removes those of writers that are gone
 * (killed during a save), and leaves those of live ones. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cr_save {
    int fd;
    int in_place;   /* writing the target itself (not a regular file) */
    char *target;   /* the file that is replaced: path with its links followed */
    char *tmp;      /* the temporary file beside it, or NULL in place */
};

static char *dup_str(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

/* The folder holding path ("." for a bare name). */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return dup_str(".");
    if (slash == path) return dup_str("/");
    char *d = malloc((size_t)(slash - path) + 1);
    if (!d) return NULL;
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = 0;
    return d;
}

/* The file a save to path writes: path with its symbolic links followed, as far as they lead
 * (a link whose target does not exist yet gives that target). NULL if out of memory or the
 * links loop. */
static char *follow_links(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        /* something that exists: a file that is not regular is written through path itself
         * (the links of /proc/self/fd lead to "pipe:[...]", which no file name reaches) */
        if (!S_ISREG(st.st_mode)) return dup_str(path);
        char *real = realpath(path, NULL);
        return real ? real : dup_str(path);
    }
    char *cur = dup_str(path); /* a new file, perhaps through links to where it will be */
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat lst;
        if (lstat(cur, &lst) != 0 || !S_ISLNK(lst.st_mode)) return cur;
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) return cur;
        link[n] = 0;
        char *next;
        if (link[0] == '/') {
            next = dup_str(link);
        } else { /* relative to the folder holding the link */
            char *dir = folder_of(cur);
            next = dir ? malloc(strlen(dir) + strlen(link) + 2) : NULL;
            if (next) sprintf(next, "%s/%s", dir, link);
            free(dir);
        }
        free(cur);
        cur = next;
    }
    free(cur);
    return NULL;
}

/* Why a file cannot be created in dir, for the user. */
static int cannot_create(cr_error *err, const char *dir, int e)
{
    if (e == ENOENT)
        return cr_fail(err, CR_EIO, -1, NULL, "cannot save there: the folder '%s' does not exist",
                       dir);
    if (e == ENOTDIR)
        return cr_fail(err, CR_EIO, -1, NULL, "cannot save there: '%s' is not a folder", dir);
    if (e == EACCES || e == EPERM)
        return cr_fail(err, CR_EIO, -1, NULL, "cannot save there: no permission to write in the "
                       "folder '%s'", dir);
    if (e == EROFS)
        return cr_fail(err, CR_EIO, -1, NULL, "cannot save there: the folder '%s' is on a "
                       "read-only disk", dir);
    return cr_fail(err, CR_EIO, -1, NULL, "cannot create a temporary file in '%s': %s", dir,
                   strerror(e));
}

/* Removes target's temporary files whose writer (the pid in their name) is gone. */
static void remove_stale(const char *target)
{
    char *dir = folder_of(target);
    const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    size_t nb = strlen(base);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        if (strncmp(s, base, nb) != 0 || strncmp(s + nb, ".tmp-", 5) != 0) continue;
        char *end;
        long pid = strtol(s + nb + 5, &end, 10);
        if (end == s + nb + 5 || *end != '-' || strlen(end + 1) != 6 || pid <= 0) continue;
        if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char *stale = malloc(strlen(dir) + strlen(s) + 2);
        if (stale) {
            sprintf(stale, "%s/%s", dir, s);
            unlink(stale);
            free(stale);
        }
    }
    if (d) closedir(d);
    free(dir);
}

void cr_save_abort(cr_save *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    if (s->tmp) unlink(s->tmp);
    free(s->tmp);
    free(s->target);
    free(s);
}

int cr_save_begin(const char *path, cr_save **out, cr_error *err)
{
    *out = NULL;
    cr_save *s = calloc(1, sizeof *s);
    if (!s) return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    s->fd = -1;
    s->target = follow_links(path);
    if (!s->target) {
        cr_save_abort(s);
        return cr_fail(err, CR_EIO, -1, NULL, "cannot save there: its symbolic links go round "
                       "in a loop");
    }
    struct stat st;
    int exists = stat(s->target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        cr_save_abort(s);
        return cr_fail(err, CR_EIO, -1, NULL, "cannot save there: it is a folder; give a file "
                       "name");
    }
    if (exists && !S_ISREG(st.st_mode)) {
        s->in_place = 1;
        s->fd = open(s->target, O_WRONLY | O_NOCTTY);
        if (s->fd < 0) {
            int e = errno;
            cr_save_abort(s);
            return cr_fail(err, CR_EIO, -1, NULL, "cannot open it for writing: %s", strerror(e));
        }
        *out = s;
        return CR_OK;
    }
    remove_stale(s->target);
    size_t n = strlen(s->target) + 40;
    s->tmp = malloc(n);
    if (!s->tmp) {
        cr_save_abort(s);
        return cr_fail(err, CR_ENOMEM, -1, NULL, "out of memory");
    }
    snprintf(s->tmp, n, "%s.tmp-%ld-XXXXXX", s->target, (long)getpid());
    s->fd = mkstemp(s->tmp);
    if (s->fd < 0) {
        int e = errno;
        char *dir = folder_of(s->target);
        free(s->tmp);
        s->tmp = NULL;
        int rc = dir ? cannot_create(err, dir, e) : cr_fail(err, CR_ENOMEM, -1, NULL, "out of "
                                                             "memory");
        free(dir);
        cr_save_abort(s);
        return rc;
    }
    fchmod(s->fd, exists ? (st.st_mode & 07777) : 0644);
    *out = s;
    return CR_OK;
}

int cr_save_write(cr_save *s, const void *p, size_t n, cr_error *err)
{
    if (cr_write_all(s->fd, p, n) == 0) return CR_OK;
    return cr_fail(err, CR_EIO, -1, NULL, "write failed: %s", strerror(errno));
}

int cr_save_commit(cr_save *s, cr_error *err)
{
    int rc = CR_OK;
    if (s->in_place) {
        if (close(s->fd) != 0) rc = cr_fail(err, CR_EIO, -1, NULL, "close failed: %s",
                                            strerror(errno));
        s->fd = -1;
        cr_save_abort(s);
        return rc;
    }
    if (fsync(s->fd) != 0)
        rc = cr_fail(err, CR_EIO, -1, NULL, "fsync failed: %s", strerror(errno));
    if (close(s->fd) != 0 && rc == CR_OK)
        rc = cr_fail(err, CR_EIO, -1, NULL, "close failed: %s", strerror(errno));
    s->fd = -1;
    if (rc == CR_OK && rename(s->tmp, s->target) != 0)
        rc = cr_fail(err, CR_EIO, -1, NULL, "cannot rename the temporary file into place: %s",
                     strerror(errno));
    if (rc == CR_OK) {
        free(s->tmp); /* renamed: nothing to remove */
        s->tmp = NULL;
        char *dir = folder_of(s->target);
        int dfd = dir ? open(dir, O_RDONLY) : -1;
        if (dfd >= 0) { /* makes the rename durable; some file systems refuse, harmlessly */
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    cr_save_abort(s);
    return rc;
}

int cr_save_file(const char *path, const void *data, size_t n, cr_error *err)
{
    cr_save *s;
    int rc = cr_save_begin(path, &s, err);
    if (rc) return rc;
    rc = cr_save_write(s, data, n, err);
    if (rc) {
        cr_save_abort(s);
        return rc;
    }
    return cr_save_commit(s, err);
}

int cr_save_check(const char *path, cr_error *err)
{
    char *target = follow_links(path);
    struct stat st;
    if (target && stat(target, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        int ok = access(target, W_OK) == 0;
        int e = errno;
        free(target);
        return ok ? CR_OK : cr_fail(err, CR_EIO, -1, NULL, "cannot write to it: %s",
                                    strerror(e));
    }
    free(target);
    cr_save *s;
    int rc = cr_save_begin(path, &s, err);
    if (rc == CR_OK) cr_save_abort(s); /* the temporary file could be made: a save will work */
    return rc;
}

int cr_save_is_regular(const char *path)
{
    char *target = follow_links(path);
    struct stat st;
    int regular = !target || stat(target, &st) != 0 || S_ISREG(st.st_mode);
    free(target);
    return regular;
}
