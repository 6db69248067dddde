/* fuzz_numbers.c: the tools' number parsers on any string: a string is accepted exactly when
 * the whole of it is a plain decimal number in range (checked here against a grammar written
 * afresh), and then the value is the number's; never NaN or infinity, never with spaces, a
 * suffix or hexadecimal. The first byte picks the parser and the range; the rest is the string. */
#include "cli.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct { long min, max; } INT_RANGES[] = {
    {1, 8}, {1, 8192}, {0, 8192}, {1, 100000}, {0, 100000000}, {1, 2000000000}, {1, 256},
    {0, 1000000000}, {1, 1000000000}, {LONG_MIN, LONG_MAX}, {-5, 5}, {0, 0}, {LONG_MIN, 0},
    {LONG_MAX, LONG_MAX}, {LONG_MIN, LONG_MIN}, {-1000, -10}};
static const struct { double min; int open; double max; } REAL_RANGES[] = {
    {0, 0, 0.9}, {0, 1, 10}, {0, 1, 1}, {0, 0, 1e6}, {0, 0, 0.5}, {0, 1, 1e9}, {0, 1, 100},
    {-1e308, 0, 1e308}, {-HUGE_VAL, 0, HUGE_VAL}, {-1, 1, -0.5}, {0, 0, 0}, {1e-300, 1, 1e-200}};
#define COUNT(a) (sizeof a / sizeof a[0])

static int dig(char c) { return c >= '0' && c <= '9'; }

/* The grammar of whole numbers, [+-]?[0-9]+, with the value as sign and magnitude; *big when
 * the magnitude passes 2^64 - 1 (after leading zeros). */
static int ref_whole(const char *s, int *neg, unsigned long long *mag, int *big)
{
    *neg = s[0] == '-';
    if (s[0] == '+' || s[0] == '-') s++;
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!dig(*p)) return 0;
    while (*s == '0' && s[1])
        s++;
    size_t n = strlen(s);
    *big = n > 20 || (n == 20 && strcmp(s, "18446744073709551615") > 0);
    *mag = 0;
    if (!*big)
        for (; *s; s++)
            *mag = *mag * 10 + (unsigned long long)(*s - '0');
    return 1;
}

/* The grammar of reals: sign, digits with at most one '.', at least one digit, then an
 * optional exponent of e or E, a sign and at least one digit. */
static int ref_real(const char *s)
{
    size_t i = 0, mant = 0, dots = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    for (; s[i] && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') dots++;
        else if (dig(s[i])) mant++;
        else return 0;
    }
    if (mant == 0 || dots > 1) return 0;
    if (!s[i]) return 1;
    i++;
    if (s[i] == '+' || s[i] == '-') i++;
    if (!dig(s[i])) return 0;
    for (; s[i]; i++)
        if (!dig(s[i])) return 0;
    return 1;
}

static void check_int(const char *s, long min, long max)
{
    long v = 12345;
    cli_num r = cli_parse_int(s, min, max, &v);
    int neg, big;
    unsigned long long mag;
    if (!ref_whole(s, &neg, &mag, &big)) {
        if (r != CLI_NUM_SYNTAX || v != 12345) abort();
        return;
    }
    /* the value as a long, if it is one */
    int fits = !big && (neg ? mag <= (unsigned long long)LONG_MAX + 1 : mag <= LONG_MAX);
    long want = !fits ? 0 : !neg ? (long)mag : mag == 0 ? 0 : -(long)(mag - 1) - 1;
    if (fits && want >= min && want <= max) {
        if (r != CLI_NUM_OK || v != want) abort();
    } else if (r != CLI_NUM_RANGE || v != 12345) {
        abort();
    }
}

static void check_u64(const char *s)
{
    uint64_t v = 777;
    cli_num r = cli_parse_u64(s, &v);
    int neg, big;
    unsigned long long mag;
    if (!ref_whole(s, &neg, &mag, &big)) {
        if (r != CLI_NUM_SYNTAX || v != 777) abort();
    } else if (big || (neg && mag)) {
        if (r != CLI_NUM_RANGE || v != 777) abort();
    } else if (r != CLI_NUM_OK || v != mag) {
        abort();
    }
}

static void check_real(const char *s, double min, int open, double max)
{
    double v = 0.25;
    cli_num r = cli_parse_double(s, min, open, max, &v);
    if (!ref_real(s)) {
        if (r != CLI_NUM_SYNTAX || v != 0.25) abort();
        return;
    }
    double want = strtod(s, NULL);
    int in = isfinite(want) && want >= min && !(open && want == min) && want <= max;
    if (in) {
        if (r != CLI_NUM_OK || !isfinite(v) || memcmp(&v, &want, sizeof v) != 0) abort();
    } else if (r != CLI_NUM_RANGE || v != 0.25) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    char *s = malloc(size); /* the rest as a C string, up to its first NUL */
    if (!s) return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    unsigned pick = data[0];
    if (pick % 3 == 0) {
        unsigned k = pick / 3 % COUNT(INT_RANGES);
        check_int(s, INT_RANGES[k].min, INT_RANGES[k].max);
    } else if (pick % 3 == 1) {
        check_u64(s);
    } else {
        unsigned k = pick / 3 % COUNT(REAL_RANGES);
        check_real(s, REAL_RANGES[k].min, REAL_RANGES[k].open, REAL_RANGES[k].max);
    }
    free(s);
    return 0;
}
