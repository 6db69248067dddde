/* term.c: the terminal of interactive tools: signals as flags, raw keys, the terminal restored. */
#include "term.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

volatile sig_atomic_t term_interrupted;
volatile sig_atomic_t term_stop_signal;

static struct termios saved, raw_mode; /* the terminal as found, and as we set it */
static int raw_fd = -1;                /* the terminal in raw mode, or -1 */
static volatile sig_atomic_t raw_on;

static void on_interrupt(int sig)
{
    (void)sig;
    term_interrupted = 1;
}

static void on_stop(int sig) { term_stop_signal = sig; }

/* A fatal signal (a crash, an abort): the terminal back as it was, then the signal goes on
 * (SA_RESETHAND made it the default again). tcsetattr is async-signal-safe. */
static void on_fatal(int sig)
{
    if (raw_on) tcsetattr(raw_fd, TCSAFLUSH, &saved);
    raise(sig);
}

/* Ctrl-Z from another terminal (kill -TSTP): the shell gets its terminal as it was; back in
 * raw mode when continued. */
static void on_suspend(int sig)
{
    int errno_was = errno;
    int was_raw = raw_on;
    if (was_raw) tcsetattr(raw_fd, TCSAFLUSH, &saved);
    signal(sig, SIG_DFL);
    raise(sig); /* stops here until SIGCONT */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_NODEFER;
    sa.sa_handler = on_suspend;
    sigaction(SIGTSTP, &sa, NULL);
    if (was_raw) tcsetattr(raw_fd, TCSAFLUSH, &raw_mode);
    errno = errno_was;
}

void term_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int term_wait(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        if (term_interrupted || term_stop_signal) return 0;
        /* a signal ends poll at once (EINTR); the timeout covers one that came just before */
        int r = poll(&p, 1, 200);
        if (r > 0) return 1;
        if (r < 0 && errno != EINTR) return 1; /* let the read report it */
    }
}

long term_read_line(term_lines *r, int fd, char **line)
{
    if (r->taken) { /* drop the line returned last time */
        memmove(r->buf, r->buf + r->taken, r->n - r->taken);
        r->n -= r->taken;
        r->taken = 0;
    }
    for (;;) {
        char *nl = r->n ? memchr(r->buf, '\n', r->n) : NULL;
        if (nl || (r->eof && r->n)) {
            size_t len = nl ? (size_t)(nl - r->buf) : r->n;
            r->taken = nl ? len + 1 : len;
            r->buf[len] = 0; /* the \n, or the byte after the last (room kept below) */
            *line = r->buf;
            return (long)len;
        }
        if (r->eof) return -1;
        if (r->n + 4096 + 1 > r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 8192;
            char *b = realloc(r->buf, cap);
            if (!b) {
                errno = ENOMEM;
                return -3;
            }
            r->buf = b;
            r->cap = cap;
        }
        if (!term_wait(fd)) return -2;
        ssize_t k = read(fd, r->buf + r->n, 4096);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -3;
        if (k == 0) r->eof = 1;
        r->n += (size_t)k;
    }
}

void term_lines_free(term_lines *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void term_restore(void)
{
    if (!raw_on) return;
    raw_on = 0;
    tcsetattr(raw_fd, TCSAFLUSH, &saved);
}

int term_raw(int fd)
{
    if (!isatty(fd) || tcgetattr(fd, &saved) != 0) return -1;
    raw_mode = saved;
    raw_mode.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
    raw_mode.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR);
    raw_mode.c_cc[VMIN] = 1;
    raw_mode.c_cc[VTIME] = 0;
    static int once;
    if (!once) {
        once = 1;
        atexit(term_restore);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        sa.sa_handler = on_fatal;
        static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};
        for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
            sigaction(fatal[i], &sa, NULL);
        sa.sa_flags = SA_NODEFER; /* its raise stops the process at once */
        sa.sa_handler = on_suspend;
        sigaction(SIGTSTP, &sa, NULL);
    }
    raw_fd = fd;
    if (tcsetattr(fd, TCSAFLUSH, &raw_mode) != 0) return -1;
    raw_on = 1;
    return 0;
}

int term_read_key(int fd, unsigned char *buf, size_t cap)
{
    ssize_t n;
    do {
        if (!term_wait(fd)) return -1;
        n = read(fd, buf, 1);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n == 0 ? 0 : -1;
    size_t len = 1, want = 1;
    if (buf[0] >= 0xC0) want = buf[0] >= 0xF0 ? 4 : buf[0] >= 0xE0 ? 3 : 2;
    /* an escape sequence (an arrow key) comes in one burst: take what is already there */
    if (buf[0] == 0x1B) {
        struct termios t;
        if (tcgetattr(fd, &t) == 0) {
            struct termios quick = t;
            quick.c_cc[VMIN] = 0;
            quick.c_cc[VTIME] = 1; /* a tenth of a second */
            tcsetattr(fd, TCSANOW, &quick);
            while (len < cap && (n = read(fd, buf + len, 1)) == 1)
                len++;
            tcsetattr(fd, TCSANOW, &t);
        }
        return (int)len;
    }
    while (len < want && len < cap) {
        n = read(fd, buf + len, 1);
        if (n <= 0) break;
        len++;
    }
    return (int)len;
}

int term_styled(void)
{
    const char *t = getenv("TERM"), *nc = getenv("NO_COLOR");
    return isatty(2) && t && *t && strcmp(t, "dumb") != 0 && !(nc && *nc);
}
