/* json_writer.h: the tools' JSON writer: strings, numbers, and indented objects and arrays. */
#ifndef CR_JSON_WRITER_H
#define CR_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* Which characters a JSON string escapes besides '"', '\' and \n \t \r (both policies give
 * valid UTF-8; a byte that is not UTF-8 stands for U+FFFD). */
typedef enum json_escape {
    JSON_ESCAPE_CONTROLS,   /* only what JSON needs, the other controls below U+0020, and U+2028
                             * U+2029, as \uXXXX; U+FFFD as itself (dump) */
    JSON_ESCAPE_INVISIBLE   /* every character show.h shows as U+XXXX, and U+FFFD, as \uxxxx
                             * (a surrogate pair above U+FFFF), so that a script's reader sees
                             * what the table shows (tokenize) */
} json_escape;

/* s[0..len) as a JSON string. */
void json_string(const char *s, size_t len, json_escape e);

/* A writer of nested objects and arrays: two spaces per level, except that the items of a
 * container opened inline (and of everything inside it) share one line. Zero it to start. */
typedef struct jw {
    int depth;      /* at most 7 */
    int count[8];   /* items written so far at each depth */
    int inline_at;  /* the depth from which items share a line; 0 = none */
    json_escape escape; /* for keys and strings: zero, JSON_ESCAPE_CONTROLS, unless set */
} jw;

/* Starts the next item: a comma and a line break as needed, then "key": unless key is NULL
 * (an array's item). The value follows, written by the caller or by the functions below. */
void jw_item(jw *j, const char *key);
/* Opens an object or array ("{" or "["), as the item key unless it is the outermost. */
void jw_open(jw *j, const char *key, const char *brace, int inl);
void jw_close(jw *j, const char *brace);
/* Items: a number (shortest round-trip form; null unless finite), a whole number, a string
 * (NUL-terminated), true or false. */
void jw_num(jw *j, const char *key, double x);
void jw_u64(jw *j, const char *key, uint64_t v);
void jw_str(jw *j, const char *key, const char *s);
void jw_bool(jw *j, const char *key, int b);

#endif
