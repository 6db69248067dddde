/* clean_fold.c: the cleaner's --ascii and --lower stages: typographic punctuation folded, and
 * simple case mapping. */
#include "clean_chain.h"

/* ---- ascii: typographic punctuation and spaces folded ---- */

static const char *ascii_fold(uint32_t cp)
{
    switch (cp) {
    case 0x00A0: case 0x2000: case 0x2001: case 0x2002: case 0x2003: case 0x2004: case 0x2005:
    case 0x2006: case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x202F: case 0x205F:
        return " ";
    case 0x00AD: return ""; /* a soft hyphen is invisible */
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212: return "-";
    case 0x2014: case 0x2015: return "--";
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x2039: case 0x203A:
        return "'";
    case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: case 0x00AB: case 0x00BB:
        return "\"";
    case 0x2026: return "...";
    default: return NULL;
    }
}

void cr_clean_ascii_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    const char *t = cp < 0xA0 ? NULL : ascii_fold(cp);
    if (!t) {
        emit(c, s, cp);
        return;
    }
    c->stats.folded++;
    emit_ascii(c, s, t);
}

/* ---- lower: simple case mapping of Latin, Greek, Cyrillic and Armenian ---- */

/* Upper-case letters at even code points from lo to hi, each followed by its lower case. */
static int even_pair(uint32_t cp, uint32_t lo, uint32_t hi)
{
    return cp >= lo && cp <= hi && !(cp & 1);
}

/* The same at odd code points. */
static int odd_pair(uint32_t cp, uint32_t lo, uint32_t hi)
{
    return cp >= lo && cp <= hi && (cp & 1);
}

/* The irregular capitals of Latin Extended-B (African and Vietnamese letters, among others):
 * capital, small. */
static const uint16_t LATIN_B[][2] = {
    {0x181, 0x0253}, {0x182, 0x0183}, {0x184, 0x0185}, {0x186, 0x0254}, {0x187, 0x0188},
    {0x189, 0x0256}, {0x18A, 0x0257}, {0x18B, 0x018C}, {0x18E, 0x01DD}, {0x18F, 0x0259},
    {0x190, 0x025B}, {0x191, 0x0192}, {0x193, 0x0260}, {0x194, 0x0263}, {0x196, 0x0269},
    {0x197, 0x0268}, {0x198, 0x0199}, {0x19C, 0x026F}, {0x19D, 0x0272}, {0x19F, 0x0275},
    {0x1A0, 0x01A1}, {0x1A2, 0x01A3}, {0x1A4, 0x01A5}, {0x1A6, 0x0280}, {0x1A7, 0x01A8},
    {0x1A9, 0x0283}, {0x1AC, 0x01AD}, {0x1AE, 0x0288}, {0x1AF, 0x01B0}, {0x1B1, 0x028A},
    {0x1B2, 0x028B}, {0x1B3, 0x01B4}, {0x1B5, 0x01B6}, {0x1B7, 0x0292}, {0x1B8, 0x01B9},
    {0x1BC, 0x01BD}, {0x1F6, 0x0195}, {0x1F7, 0x01BF}, {0x220, 0x019E}, {0x23A, 0x2C65},
    {0x23B, 0x023C}, {0x23D, 0x019A}, {0x23E, 0x2C66}, {0x241, 0x0242}, {0x243, 0x0180},
    {0x244, 0x0289}, {0x245, 0x028C}, {0x246, 0x0247}, {0x248, 0x0249}, {0x24A, 0x024B},
    {0x24C, 0x024D}, {0x24E, 0x024F}
};

static uint32_t lower_latin_b(uint32_t cp)
{
    for (size_t i = 0; i < sizeof LATIN_B / sizeof *LATIN_B; i++)
        if (LATIN_B[i][0] == cp) return LATIN_B[i][1];
    return cp;
}

static uint32_t lower_latin(uint32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 32;
    if (cp == 0x130) return 'i';
    if (cp == 0x178) return 0xFF;
    if (cp == 0x1C4 || cp == 0x1C7 || cp == 0x1CA || cp == 0x1F1) return cp + 2; /* DŽ LJ NJ DZ */
    if (cp == 0x1C5 || cp == 0x1C8 || cp == 0x1CB || cp == 0x1F2) return cp + 1; /* Dž Lj Nj Dz */
    if (cp == 0x1F4) return 0x1F5;
    if (cp == 0x1E9E) return 0xDF; /* capital sharp s */
    if (even_pair(cp, 0x100, 0x12F) || even_pair(cp, 0x132, 0x137) || even_pair(cp, 0x14A, 0x177) ||
        even_pair(cp, 0x1DE, 0x1EF) || even_pair(cp, 0x1F8, 0x21F) || even_pair(cp, 0x222, 0x233) ||
        even_pair(cp, 0x1E00, 0x1E95) || even_pair(cp, 0x1EA0, 0x1EFF))
        return cp + 1;
    if (odd_pair(cp, 0x139, 0x148) || odd_pair(cp, 0x179, 0x17E) || odd_pair(cp, 0x1CD, 0x1DC))
        return cp + 1;
    if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 32; /* full-width */
    if (cp >= 0x180 && cp < 0x250) return lower_latin_b(cp);
    return cp;
}

static uint32_t lower_greek(uint32_t cp)
{
    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;
    if (cp == 0x386) return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
    if (cp == 0x38C) return 0x3CC;
    if (cp == 0x38E || cp == 0x38F) return cp + 63;
    if (cp == 0x370 || cp == 0x372 || cp == 0x376 || cp == 0x3F7 || cp == 0x3FA ||
        even_pair(cp, 0x3D8, 0x3EF))
        return cp + 1;
    if (cp == 0x37F) return 0x3F3;
    if (cp == 0x3CF) return 0x3D7;
    if (cp == 0x3F4) return 0x3B8;
    if (cp == 0x3F9) return 0x3F2;
    if (cp >= 0x3FD && cp <= 0x3FF) return cp - 130;
    return cp;
}

/* Polytonic Greek (U+1F00..U+1FFF): most capitals sit 8 above their small letters. */
static uint32_t lower_greek_extended(uint32_t cp)
{
    int gap = cp == 0x1F1E || cp == 0x1F1F || cp == 0x1F4E || cp == 0x1F4F ||
              (cp >= 0x1F58 && cp <= 0x1F5E && !(cp & 1)); /* unassigned */
    if ((cp < 0x1F70 && (cp & 0xF) >= 8 && !gap) ||
        (cp >= 0x1F88 && cp <= 0x1FAF && (cp & 0xF) >= 8) || cp == 0x1FB8 || cp == 0x1FB9 ||
        cp == 0x1FD8 || cp == 0x1FD9 || cp == 0x1FE8 || cp == 0x1FE9)
        return cp - 8;
    switch (cp) {
    case 0x1FBA: case 0x1FBB: return cp - 74;
    case 0x1FBC: case 0x1FCC: case 0x1FFC: return cp - 9;
    case 0x1FC8: case 0x1FC9: case 0x1FCA: case 0x1FCB: return cp - 86;
    case 0x1FDA: case 0x1FDB: return cp - 100;
    case 0x1FEA: case 0x1FEB: return cp - 112;
    case 0x1FEC: return 0x1FE5;
    case 0x1FF8: case 0x1FF9: return cp - 128;
    case 0x1FFA: case 0x1FFB: return cp - 126;
    default: return cp;
    }
}

static uint32_t lower_cyrillic(uint32_t cp)
{
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
    if (even_pair(cp, 0x460, 0x481) || even_pair(cp, 0x48A, 0x4BF) || even_pair(cp, 0x4D0, 0x52F) ||
        odd_pair(cp, 0x4C1, 0x4CE))
        return cp + 1;
    if (cp == 0x4C0) return 0x4CF;
    return cp;
}

static uint32_t to_lower(uint32_t cp)
{
    if (cp < 0x370 || (cp >= 0x1E00 && cp < 0x1F00) || (cp >= 0xFF21 && cp <= 0xFF3A))
        return lower_latin(cp);
    if (cp < 0x400) return lower_greek(cp);
    if (cp < 0x530) return lower_cyrillic(cp);
    if (cp >= 0x531 && cp <= 0x556) return cp + 48; /* Armenian */
    if (cp >= 0x1F00 && cp < 0x2000) return lower_greek_extended(cp);
    return cp;
}

void cr_clean_lower_put(cr_cleaner *c, stage *s, uint32_t cp)
{
    uint32_t lc = cp < END_FILE ? to_lower(cp) : cp;
    c->stats.lowered += lc != cp;
    emit(c, s, lc);
}
