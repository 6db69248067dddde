/* json_writer.c: the tools' JSON writer: strings, numbers, and indented objects and arrays. */
#include "json_writer.h"

#include "../cli.h"
#include "show.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* c above U+FFFF as a UTF-16 surrogate pair, as JSON has it. */
static void escape_lower(uint32_t c)
{
    if (c >= 0x10000)
        cli_printf("\\u%04x\\u%04x", (unsigned)(0xD800 + ((c - 0x10000) >> 10)),
                   (unsigned)(0xDC00 + (c & 0x3FF)));
    else cli_printf("\\u%04x", (unsigned)c);
}

void json_string(const char *s, size_t len, json_escape e)
{
    const unsigned char *p = (const unsigned char *)s;
    int all = e == JSON_ESCAPE_INVISIBLE;
    cli_puts("\"");
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p + i, len - i, &cp);
        i += k ? k : 1;
        if (k == 0) cp = 0xFFFD;
        if (cp == '"' || cp == '\\') cli_printf("\\%c", (char)cp);
        else if (cp == '\n') cli_puts("\\n");
        else if (cp == '\t') cli_puts("\\t");
        else if (cp == '\r') cli_puts("\\r");
        else if (all && (k == 0 || cli_char_invisible(cp))) escape_lower(cp);
        else if (!all && (cp < 0x20 || cp == 0x2028 || cp == 0x2029))
            cli_printf("\\u%04X", (unsigned)cp);
        else cli_write_char(cp);
    }
    cli_puts("\"");
}

/* The shortest of %.15g..%.17g that reads back as x. */
static const char *num_text(double x, char buf[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    return buf;
}

void jw_item(jw *j, const char *key)
{
    int inl = j->inline_at && j->depth >= j->inline_at;
    if (j->count[j->depth]++) cli_puts(inl ? ", " : ",");
    if (!inl) cli_printf("\n%*s", 2 * j->depth, "");
    if (key) {
        json_string(key, strlen(key), j->escape);
        cli_puts(": ");
    }
}

void jw_open(jw *j, const char *key, const char *brace, int inl)
{
    if (j->depth > 0) jw_item(j, key);
    cli_puts(brace);
    j->depth++;
    j->count[j->depth] = 0;
    if (inl && !j->inline_at) j->inline_at = j->depth;
}

void jw_close(jw *j, const char *brace)
{
    int inl = j->inline_at && j->depth >= j->inline_at;
    if (j->inline_at == j->depth) j->inline_at = 0;
    j->depth--;
    if (!inl && j->count[j->depth + 1]) cli_printf("\n%*s", 2 * j->depth, "");
    cli_puts(brace);
}

void jw_num(jw *j, const char *key, double x)
{
    char buf[32];
    jw_item(j, key);
    cli_puts(isfinite(x) ? num_text(x, buf) : "null");
}

void jw_u64(jw *j, const char *key, uint64_t v)
{
    jw_item(j, key);
    cli_printf("%llu", (unsigned long long)v);
}

void jw_str(jw *j, const char *key, const char *s)
{
    jw_item(j, key);
    json_string(s, strlen(s), j->escape);
}

void jw_bool(jw *j, const char *key, int b)
{
    jw_item(j, key);
    cli_puts(b ? "true" : "false");
}
