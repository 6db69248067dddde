/* cli.c: what the command-line tools share: messages, strict numbers, files, stdout. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_prog = "charrnn";

void cli_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", cli_prog);
    exit(2);
}

void cli_die(const char *where, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    if (where) fprintf(stderr, "%s: ", where);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_die_err(const char *where, const cr_error *err) { cli_die(where, "%s", err->message); }

void cli_bad_option(int argc, char **argv, int ch)
{
    const char *arg = optind - 1 < argc ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, 0};
    const char *name = strncmp(arg, "--", 2) == 0 || optopt <= 0 || optopt > 127 ? arg : shortopt;
    if (ch == ':') cli_usage("option '%s' needs a value", name);
    cli_usage("unknown option '%s'", name);
}

long cli_int(const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE || s[0] == ' ')
        cli_usage("%s: '%s' is not a whole number", opt, s);
    if (v < min || v > max) cli_usage("%s: %ld is out of range (%ld to %ld)", opt, v, min, max);
    return v;
}

uint64_t cli_u64(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') cli_usage("%s: '%s' is not a whole number of 0 or more", opt, s);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE) cli_usage("%s: '%s' is not a whole number that fits 64 bits", opt, s);
    return (uint64_t)v;
}

double cli_double(const char *opt, const char *s, double min, int min_open, double max)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) || s[0] == ' ')
        cli_usage("%s: '%s' is not a number", opt, s);
    if (v < min || (min_open && v == min) || v > max)
        cli_usage("%s: %g is out of range (%s%g to %g)", opt, v, min_open ? "above " : "", min, max);
    return v;
}

unsigned char *cli_read_all(const char *path, size_t *len)
{
    int in = strcmp(path, "-") == 0;
    int fd = in ? 0 : open(path, O_RDONLY);
    if (fd < 0) cli_die(path, "%s", strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) cli_die(path, "out of memory");
        if (n == cap) {
            unsigned char *p = realloc(buf, cap *= 2);
            if (!p) free(buf);
            buf = p;
            continue;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k == 0) break;
        if (k < 0) {
            if (errno == EINTR) continue;
            cli_die(in ? "standard input" : path, "read failed: %s", strerror(errno));
        }
        n += (size_t)k;
    }
    if (!in) close(fd);
    *len = n;
    return buf;
}

void cli_require_utf8(const char *path, const unsigned char *text, size_t len)
{
    size_t bad;
    if (cr_utf8_valid(text, len, &bad)) return;
    size_t line = 1;
    for (size_t i = 0; i < bad; i++)
        line += text[i] == '\n';
    const char *hint = "it may be Latin-1 or another legacy encoding; convert it to UTF-8 first";
    if (len >= 2 && ((text[0] == 0xFF && text[1] == 0xFE) || (text[0] == 0xFE && text[1] == 0xFF)))
        hint = "it looks like UTF-16; convert it to UTF-8 first";
    else if (memchr(text, 0, len < 4096 ? len : 4096))
        hint = "it has NUL bytes: binary data, or UTF-16; the corpus must be UTF-8 text";
    cli_die(strcmp(path, "-") == 0 ? "standard input" : path,
            "invalid UTF-8 at byte %zu (line %zu); %s (e.g. iconv -f latin1 -t utf-8)", bad, line,
            hint);
}

const char *cli_char_name(uint32_t cp, char buf[32])
{
    char u[5] = {0};
    if (cp > 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0) && cr_utf8_encode(cp, u))
        snprintf(buf, 32, "'%s' (U+%04X)", u, (unsigned)cp);
    else
        snprintf(buf, 32, "U+%04X", (unsigned)cp);
    return buf;
}

void cli_quiet_on_closed_pipe(void) { signal(SIGPIPE, SIG_IGN); }

static void stdout_failed(void)
{
    if (errno == EPIPE) exit(0);
    cli_die("standard output", "write failed: %s", strerror(errno));
}

void cli_write(const void *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n) stdout_failed();
}

void cli_close_stdout(void)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) stdout_failed();
    if (fclose(stdout) != 0) stdout_failed();
}
