/* cli.h: what the command-line tools share: messages, strict number parsing, files, stdout. */
#ifndef CR_CLI_H
#define CR_CLI_H

#include "charrnn.h"

#include <stddef.h>
#include <stdint.h>

extern const char *cli_prog; /* the tool's name, for messages */

/* Bad usage: "tool: message" and "Try 'tool --help'." on stderr, exit 2. */
_Noreturn void cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* After getopt_long returned '?' or ':' (with ":" leading its option string): exits 2. */
_Noreturn void cli_bad_option(int argc, char **argv, int ch);
/* A failure: "tool: where: message" (where may be NULL) on stderr, exit 1. */
_Noreturn void cli_die(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning or note: "tool: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A library error: "tool: where: message", exit 1. */
_Noreturn void cli_die_err(const char *where, const cr_error *err);

/* Whole-string, range-checked numbers; anything else is a usage error naming the option. */
long cli_int(const char *opt, const char *s, long min, long max);
uint64_t cli_u64(const char *opt, const char *s);
/* A finite number with min <= x <= max (or min < x when min_open). */
double cli_double(const char *opt, const char *s, double min, int min_open, double max);

/* Reads a whole file ("-" is standard input); dies with the file's name on failure. */
unsigned char *cli_read_all(const char *path, size_t *len);
/* Checks that text is UTF-8; dies naming the file, byte and line, with a hint. */
void cli_require_utf8(const char *path, const unsigned char *text, size_t len);
/* Describes a code point for messages: 'é' (U+00E9), or U+000A for invisible ones. */
const char *cli_char_name(uint32_t cp, char buf[32]);

/* Makes a closed pipe on stdout end the tool quietly with status 0. */
void cli_quiet_on_closed_pipe(void);
/* Writes to stdout; a closed pipe exits 0, other errors die. */
void cli_write(const void *p, size_t n);
/* Flushes and closes stdout, reporting a failed write; call before exit 0. */
void cli_close_stdout(void);

#endif
