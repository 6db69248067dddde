/* json.h: the tools' JSON writer: strings, numbers, and indented objects and arrays. */
#ifndef CR_JSON_H
#define CR_JSON_H

#include <stddef.h>
#include <stdint.h>

/* s[0..len) as a JSON string, always valid UTF-8: '"', '\', controls, U+2028 and U+2029
 * escaped (\n \t \r, else \uXXXX), other characters as they are, a byte that is not UTF-8
 * as U+FFFD. */
void json_string(const char *s, size_t len);

/* A writer of nested objects and arrays: two spaces per level, except that the items of a
 * container opened inline (and of everything inside it) share one line. Zero it to start. */
typedef struct jw {
    int depth;      /* at most 7 */
    int count[8];   /* items written so far at each depth */
    int inline_at;  /* the depth from which items share a line; 0 = none */
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
