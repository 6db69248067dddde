/* term.h: the terminal of interactive tools: signals as flags, raw keys, the terminal restored. */
#ifndef CR_TERM_H
#define CR_TERM_H

#include <signal.h>
#include <stddef.h>

/* Set by the handlers term_catch_signals installs: SIGINT (Ctrl-C) since the tool last cleared
 * it, and the number of a SIGTERM or SIGHUP, after which the tool saves and exits 128 + N. */
extern volatile sig_atomic_t term_interrupted;
extern volatile sig_atomic_t term_stop_signal;
void term_catch_signals(void);
/* Between term_reading(1) and term_reading(0), a signal interrupts a blocking read (EINTR), so
 * that a tool waiting for input sees it; at other times system calls go on (SA_RESTART), so
 * that no write to a terminal or a file fails half-way because of a Ctrl-C. Returns the
 * setting before. */
int term_reading(int on);

/* Puts the terminal fd in raw mode: keys one at a time, no echo, no line editing, Ctrl-C and
 * Ctrl-D as keys (bytes 3 and 4). It is restored by term_restore, at exit (cli_die included),
 * on a fatal signal (which then goes on), and around a suspension (SIGTSTP, SIGCONT).
 * Returns 0, or -1 if fd is no terminal. */
int term_raw(int fd);
void term_restore(void);

/* Reads one key from fd in raw mode: its bytes (one UTF-8 character, or an escape sequence,
 * at most cap) into buf. Returns their count, 0 at the end of input, or -1 when a read was
 * interrupted by a signal (see the flags) or failed. */
int term_read_key(int fd, unsigned char *buf, size_t cap);

/* 1 when stderr is a terminal that shows colour and bold (not TERM=dumb, no NO_COLOR). */
int term_styled(void);

#endif
