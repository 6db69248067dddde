/* clean_chain.h: what the cleaner's files share: the chain of stages and the cleaner's state. */
#ifndef CR_CLEAN_CHAIN_H
#define CR_CLEAN_CHAIN_H

#include "internal.h"

/*
 * Bytes are decoded into code points, which flow through a chain of stages, one per pass, in the
 * order of the passes; only the passes the options ask for are in the chain. A stage receives
 * one code point at a time and hands what it keeps to the next with emit(). Whatever a stage
 * has half seen (a UTF-8 sequence, a CR, a tag, an entity, a line) waits in its own state, so
 * the output does not depend on where the pushes split the input. Two markers travel the chain
 * like code points: END_FILE when an input file ends (its last line has been ended, per-file
 * states start afresh) and END_ALL when the whole text ends (held text is released).
 *
 * Failures (out of memory, a failed write) are sticky: the first sets c->status, stages keep
 * running harmlessly, and every public call returns it.
 */
enum { END_FILE = 0x110000, END_ALL = 0x110001 };
enum { OUT_BUF = 1 << 14, MAX_STAGES = 16 };
#define GUT_HEAD_MAX ((size_t)256 << 10) /* a head without a start marker is not a header */
#define GUT_PREFIX ((size_t)160)        /* bytes of a line enough to tell a marker */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

/* Occurrences of each code point: a table for the common ones, open addressing for the rest. */
typedef struct counter {
    uint64_t low[0x800];  /* U+0000..U+07FF */
    uint32_t *keys;       /* (cap) code points, EMPTY_KEY where free */
    uint64_t *vals;       /* (cap) their counts */
    size_t used, cap;     /* cap a power of two */
    uint64_t distinct;
} counter;
#define EMPTY_KEY 0xFFFFFFFFu

typedef struct stage stage;
struct stage {
    void (*put)(cr_cleaner *c, stage *s, uint32_t cp);
    void *st; /* the state of a stage that appears twice in the chain */
};

typedef struct decoder {  /* the WHATWG UTF-8 decoder: byte at a time */
    uint32_t cp;
    unsigned need, seen;  /* continuation bytes needed and seen */
    unsigned lo, hi;      /* the range the next continuation byte must be in */
} decoder;

typedef struct newline_state {
    int after_cr;         /* a CR was just turned into LF: an LF now is its partner */
    int open_line;        /* the file's last character so far was not a newline */
} newline_state;

enum { H_TEXT, H_LT, H_NAME, H_ATTR, H_BANG, H_COMMENT, H_DECL, H_RAW, H_AMP, H_NUM };
typedef struct html_state {
    int mode;
    char name[16];        /* lowercased tag name, cut at 15 characters */
    size_t nname;
    int closing;          /* an end tag, </...> */
    uint32_t quote;       /* in an attribute value quoted with this, or 0 */
    int after_eq;         /* an attribute's '=' was seen: a quote may open a value */
    int dashes;           /* in a comment: '-' in a row; in <!: '-' after it */
    const char *raw_end;  /* in a script or style: "</script" or "</style" */
    size_t raw_match;     /* how much of raw_end has been seen */
    char ent[33];         /* an entity name after '&' */
    size_t nent;
    uint32_t num;         /* a numeric entity's value, saturated at 0x110000 */
    int hex;              /* the 'x' or 'X' of a hexadecimal reference, or 0 */
    int digits;           /* a digit has been seen */
    int pre;              /* <pre> elements open: white space kept as it is */
    int space;            /* white space waiting to become one space before the next word */
    int nl_run;           /* line breaks emitted in a row (2 at the start of a file) */
} html_state;

enum { G_HEAD, G_TEST, G_PASS, G_DROP, G_FOOT };
typedef struct gut_state {
    int mode;             /* G_HEAD: holding the file's head; G_TEST: reading a line's start;
                             G_PASS, G_DROP: passing, dropping the rest of a line; G_FOOT */
    bytes head;           /* G_HEAD: the text so far, dropped if a start marker shows up */
    size_t line;          /* G_HEAD: where the current line starts in head */
    bytes start;          /* G_TEST: the start of the current line */
} gut_state;

typedef struct unwrap_state {
    bytes ws;             /* spaces, tabs and newlines since the last other character */
    size_t nls;           /* newlines among them */
    int text;             /* this file has had text */
    int parted;           /* a file with text has ended: the next text starts a paragraph */
} unwrap_state;

typedef struct dedupe_state {
    bytes line;
    uint64_t *set;        /* (cap) FNV-1a hashes of the lines seen, 0 where free */
    size_t used, cap;
} dedupe_state;

typedef struct trim_state {
    bytes ws;             /* spaces and tabs waiting to see whether the line ends */
} trim_state;

typedef struct collapse_state {
    uint64_t nls;         /* newlines waiting for the next character */
    int text;             /* something other than newlines has passed */
} collapse_state;

typedef struct rare_state {
    bytes text;           /* the whole text, until END_ALL */
    counter count;
} rare_state;

struct cr_cleaner {
    cr_clean_options opt;
    cr_clean_stats stats;
    cr_clean_write_fn write;
    void *ctx;
    int status;           /* CR_OK or the first failure */
    char why[120];
    int finished, in_file;
    stage chain[MAX_STAGES];
    int nstages;
    decoder dec;
    counter vocab_in, vocab_out;
    newline_state nl;
    html_state html;
    gut_state gut;
    unwrap_state unwrap;
    dedupe_state dedupe;
    trim_state trim[2];
    collapse_state collapse[2];
    rare_state rare;
    unsigned char out[OUT_BUF];
    size_t nout;
    unsigned char last;   /* the last byte written */
};

/* Hands cp to the stage after s. */
static inline void emit(cr_cleaner *c, stage *s, uint32_t cp) { s[1].put(c, s + 1, cp); }

static inline void emit_ascii(cr_cleaner *c, stage *s, const char *t)
{
    while (*t)
        emit(c, s, (unsigned char)*t++);
}

/* The stages kept in files of their own: clean_html.c, clean_fold.c */
void cr_clean_html_put(cr_cleaner *c, stage *s, uint32_t cp);
void cr_clean_html_reset(html_state *h);
void cr_clean_ascii_put(cr_cleaner *c, stage *s, uint32_t cp);
void cr_clean_lower_put(cr_cleaner *c, stage *s, uint32_t cp);

#endif
