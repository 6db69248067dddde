/* cli.h: what the command-line tools share: messages, strict numbers, files, --help, stdout. */
#ifndef CR_CLI_H
#define CR_CLI_H

#include "charrnn.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern const char *cli_prog; /* the tool's name, for messages */
/* Sets cli_prog to name, or to the name it was run by when installed as charrnn-NAME. */
void cli_set_prog(const char *name, const char *argv0);

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

/* What a pure number parser found: a number in range, no number at all, or one out of range. */
typedef enum cli_num { CLI_NUM_OK = 0, CLI_NUM_SYNTAX, CLI_NUM_RANGE } cli_num;

/* Pure parsers: never print, never exit, *out set only on CLI_NUM_OK. The whole string must be
 * the number, in ASCII, without spaces:
 *   whole numbers  [+-]?[0-9]+                              (leading zeros allowed)
 *   reals          [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?
 * so no hexadecimal, no inf or nan, no locale's decimal comma. A well-formed number too large
 * for its type, or outside min..max, is CLI_NUM_RANGE; a real must be finite (min < x when
 * min_open, else min <= x; x <= max). */
cli_num cli_parse_int(const char *s, long min, long max, long *out);
cli_num cli_parse_u64(const char *s, uint64_t *out);
cli_num cli_parse_double(const char *s, double min, int min_open, double max, double *out);

/* A duration in seconds, above min and at most max: a real number of seconds ("90", "2.5"),
 * or hours, minutes and seconds with their units, in that order, each at most once ("2m",
 * "90s", "1h30m", "1.5h", "1m30s"). */
cli_num cli_parse_seconds(const char *s, double min, double max, double *out);
/* The same for the tools: anything else is a usage error naming the option (exit 2). */
long cli_int(const char *opt, const char *s, long min, long max);
uint64_t cli_u64(const char *opt, const char *s);
double cli_double(const char *opt, const char *s, double min, int min_open, double max);
double cli_seconds(const char *opt, const char *s, double min, double max);

/* An id list (tokenize --decode): decimal ids below limit, separated by ASCII white space. */
typedef enum cli_ids_status {
    CLI_IDS_OK = 0,
    CLI_IDS_NOT_ID,   /* a word that is not a whole number */
    CLI_IDS_UNKNOWN,  /* a lone '?', which tokenize --ids writes for an unknown character */
    CLI_IDS_RANGE,    /* a whole number >= limit */
    CLI_IDS_NOMEM
} cli_ids_status;
typedef struct cli_ids {
    uint32_t *ids;    /* (n) allocated; the caller frees */
    size_t n, cap;
} cli_ids;
/* Pure: appends the ids of s[0..len) to *list. On failure *at and *word_len locate the bad
 * word (for CLI_IDS_NOMEM, the word that did not fit), and the ids before it are appended. */
cli_ids_status cli_parse_ids(const unsigned char *s, size_t len, uint32_t limit, cli_ids *list,
                             size_t *at, size_t *word_len);

/* Reads a checkpoint, or an ml5.js model folder (warning on stderr about its vocabulary keys
 * that are not one character); dies naming the file on failure. name is how messages call it;
 * report (may be NULL) receives what a folder import found, zeroed for a checkpoint. */
cr_model *cli_read_model(const char *path, const char *name, cr_ml5_report *report);
/* After the library's err for bytes without a checkpoint's signature: when their first bytes
 * (head, n) are text, or a known file format, dies saying so (and, for text, how to train a
 * bot on it); returns for any other error, or when it cannot tell. */
void cli_explain_not_checkpoint(const char *path, const cr_error *err, const unsigned char *head,
                                size_t n);
/* Whether path, a file to read, is "-": standard input. */
int cli_is_stdin(const char *path);
/* A file's name for messages: path, or "standard input" for "-". */
const char *cli_file_name(const char *path);
/* Reads a whole file ("-" is standard input); dies with the file's name on failure. */
unsigned char *cli_read_all(const char *path, size_t *len);

/* The FILE operands, or "-" alone when there are none, unless standard input is a terminal:
 * then a usage error saying none (e.g. "no corpus: give a FILE, or pipe text into standard
 * input"). *n is updated. */
char **cli_files_or_stdin(char **files, int *n, const char *none);

/* Files read one after the other into one text (tokenize, train-charrnn). */
typedef struct cli_text {
    unsigned char *bytes;  /* (len) the files' bytes, one after the other; never NULL */
    size_t len;
    char **names;          /* (n) the paths as given; "-" is standard input */
    size_t *starts;        /* (n) the byte offset of each file in bytes */
    int n;
} cli_text;
/* Called for each file read: its bytes as they are on disk (b, len: for its SHA-256), and its
 * text as UTF-8 (text, n: the same pointer when the file was UTF-8). */
typedef void (*cli_text_check)(void *ctx, int i, const char *path, const unsigned char *b,
                               size_t len, const unsigned char *text, size_t n);
/* Reads the n files with cli_read_all, each decoded to UTF-8 (cli_decode_text), then given to
 * check, if not NULL, before it is added; dies naming the file on failure. */
void cli_read_text(char **paths, int n, cli_text *t, cli_text_check check, void *ctx);
void cli_text_free(cli_text *t);

/* --from-encoding NAME of the tools that read text (an iconv name), or NULL. */
extern const char *cli_from_encoding;
/* What else a tool offers for text that is not UTF-8 (clean: "; or ... --repair"), or "". */
extern const char *cli_not_utf8_hint;
/* 1 in the tools that have --from-encoding; the others' advice for text in a legacy encoding
 * is to convert it with clean first. */
extern int cli_has_from_encoding;
/* A file's bytes (len) as UTF-8 text, *out_len bytes: bytes itself when it is UTF-8, else a new
 * buffer, converted from cli_from_encoding when set, or from UTF-16 or UTF-32 (told by a
 * byte-order mark or by NUL bytes). Dies naming the file for a binary format (a PDF, a photo, a
 * Word file: what it is and what to do), and for text that is not UTF-8 (which legacy encoding
 * it looks like, and the --from-encoding that reads it). With repair, invalid UTF-8 and stray
 * NUL bytes pass, for the cleaner to repair; known binary formats never do. */
unsigned char *cli_decode_text(const char *path, unsigned char *bytes, size_t len, int repair,
                               size_t *out_len);
/* Checks that text is UTF-8; dies as cli_decode_text does. */
void cli_require_utf8(const char *path, const unsigned char *text, size_t len);
/* Dies for text that is not UTF-8 at byte bad: where (byte and line), the legacy encoding it
 * looks like and the --from-encoding that reads it; also is appended (e.g. "; or ..."). */
_Noreturn void cli_die_not_utf8(const char *path, const unsigned char *t, size_t len, size_t bad,
                                const char *also);

/* --help: usage to stdout, exit 0. --version: "tool (charrnn) VERSION" to stdout, exit 0. */
_Noreturn void cli_help(const char *usage);
_Noreturn void cli_version(void);

/* Makes a closed pipe on stdout end the tool quietly with status 0. */
void cli_quiet_on_closed_pipe(void);
/* A string, or one character as UTF-8, to stdout through cli_write. */
void cli_puts(const char *s);
void cli_write_char(uint32_t cp);
/* fmt formatted with ap, *n bytes: in small (cap bytes) when it fits, else in a new *big, which
 * the caller frees (NULL when small was used). */
const char *cli_vformat(char *small, size_t cap, char **big, size_t *n, const char *fmt,
                        va_list ap);
/* printf to stdout through cli_write, any length. */
void cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes to stdout; a closed pipe exits 0, other errors die. */
void cli_write(const void *p, size_t n);
/* Flushes and closes stdout, reporting a failed write; call before exit 0. */
/* Flushes standard output; on failure exits as cli_close_stdout does, with the reason. */
void cli_flush_stdout(void);
void cli_close_stdout(void);
/* Everything cli_write would write to stdout goes into a buffer instead, from begin to end;
 * end returns it (NUL-terminated, *len bytes, the caller frees). For a picture made by code
 * that writes to stdout (chart.c) that goes inside another file. */
/* A growing text, NUL-terminated after its n bytes (p is NULL until something is added); out
 * of memory dies. Free p when done. */
typedef struct cli_buf {
    char *p;
    size_t n, cap;
} cli_buf;
void cli_buf_add(cli_buf *b, const void *p, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_printf(cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void cli_capture_begin(void);
char *cli_capture_end(size_t *len);

#endif
