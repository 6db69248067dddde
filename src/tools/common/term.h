/* term.h: the terminal of interactive tools: signals as flags, raw keys, the terminal restored. */
#ifndef CR_TERM_H
#define CR_TERM_H

#include <signal.h>
#include <stddef.h>

/* Set by the handlers term_catch_signals installs: SIGINT (Ctrl-C) since the tool last cleared
 * it, and the number of a SIGTERM or SIGHUP, after which the tool saves and exits 128 + N.
 * System calls go on after them (SA_RESTART), so that no write to a terminal or a file fails
 * half-way because of a Ctrl-C; the readers below wait with poll(2), which they do end. */
extern volatile sig_atomic_t term_interrupted;
extern volatile sig_atomic_t term_stop_signal;
void term_catch_signals(void);

/* Waits until fd has input (or its end): 1; or 0 as soon as either flag above is set. */
int term_wait(int fd);

/* Lines read from a descriptor without stdio, so that a wait for the next one ends at a signal
 * (term_wait). Start from {0}. */
typedef struct term_lines {
    char *buf;
    size_t n, cap;   /* bytes held in buf */
    size_t taken;    /* bytes at the start of buf already returned */
    int eof;
} term_lines;
/* The next line of fd, without its \n, in *line (valid until the next call; NUL-terminated):
 * its length; -1 at the end of the input, -2 when a signal flag is set, -3 for a read error
 * (errno set). The last line may lack its \n. */
long term_read_line(term_lines *r, int fd, char **line);
void term_lines_free(term_lines *r);

/* Puts the terminal fd in raw mode: keys one at a time, no echo, no line editing, Ctrl-C and
 * Ctrl-D as keys (bytes 3 and 4). It is restored by term_restore, at exit (cli_die included),
 * on a fatal signal (which then goes on), and around a suspension (SIGTSTP, SIGCONT).
 * Returns 0, or -1 if fd is no terminal. */
int term_raw(int fd);
void term_restore(void);

/* Reads one key from fd in raw mode: its bytes (one UTF-8 character, or an escape sequence,
 * at most cap) into buf. Returns their count, 0 at the end of input, or -1 when a signal flag
 * is set or the read failed. */
int term_read_key(int fd, unsigned char *buf, size_t cap);

/* 1 when stderr is a terminal that shows colour and bold (not TERM=dumb, no NO_COLOR). */
int term_styled(void);

#endif
