/* json.h: a small strict JSON reader (RFC 8259) and writer, for ml5.js model folders (ml5.c). */
#ifndef CR_JSON_H
#define CR_JSON_H

#include "internal.h"

enum { CR_JSON_NULL, CR_JSON_BOOL, CR_JSON_NUMBER, CR_JSON_STRING, CR_JSON_ARRAY, CR_JSON_OBJECT };

/* One value of a parsed document. The reader is strict: no comments, trailing commas, leading
 * zeros, raw control characters, lone surrogates, invalid UTF-8, duplicate keys in an object,
 * nesting beyond 64 levels, or anything after the value; a UTF-8 byte-order mark at the start is
 * skipped, as browsers do. */
typedef struct cr_json {
    int type;               /* CR_JSON_* */
    size_t offset;          /* byte offset of the value's first byte in the text */
    int boolean;            /* BOOL: 0 or 1 */
    int is_int;             /* NUMBER: written without fraction or exponent, |value| <= 2^53 */
    int64_t ival;           /* NUMBER, when is_int */
    char *str;              /* STRING: the decoded UTF-8, NUL-terminated (it may hold NULs) */
    size_t len;             /* STRING: bytes of str; ARRAY and OBJECT: members */
    struct cr_json *items;  /* ARRAY and OBJECT: (len) values, in document order */
    struct cr_json *keys;   /* OBJECT: (len) keys, STRING values at the keys' offsets */
} cr_json;

/* Parses text[0..len). what names the text in messages ("vocab.json: ... at byte N"); on failure
 * err->offset is that byte. *out must be freed with cr_json_free (also after a failure). */
int cr_json_parse(const unsigned char *text, size_t len, const char *what, cr_json *out,
                  cr_error *err);
void cr_json_free(cr_json *v);
/* The member of an object whose key is the NUL-terminated key, or NULL. */
const cr_json *cr_json_member(const cr_json *obj, const char *key);

/* A growing text buffer for writing JSON; failed is set once an allocation fails. */
typedef struct cr_jbuf {
    char *p;
    size_t len, cap;
    int failed;
} cr_jbuf;

void cr_jbuf_put(cr_jbuf *b, const char *s, size_t n);
void cr_jbuf_puts(cr_jbuf *b, const char *s);
void cr_jbuf_printf(cr_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n), valid UTF-8, as a JSON string in ASCII: \" \\ \n \t \r \b \f, other controls and
 * everything beyond ASCII as \uXXXX (surrogate pairs above U+FFFF), as Python's json.dump. */
void cr_jbuf_string(cr_jbuf *b, const char *s, size_t n);

#endif
