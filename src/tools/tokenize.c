/* tokenize.c: tokenize, which shows a text as a model sees it: its vocabulary, or its ids. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: tokenize [OPTION]... [FILE]...\n"
    "Show a text as a character-level model sees it. The text is the FILEs, one\n"
    "after the other, or standard input, in UTF-8. Its vocabulary is its distinct\n"
    "characters, with ids in code-point order, as train-charrnn assigns them.\n"
    "\n"
    "By default, a table of the vocabulary, most frequent first: id, character,\n"
    "count and share. A character is shown as itself, but as \\n \\t \\r, as ' '\n"
    "for a space, and as U+XXXX if invisible, control, combining or format.\n"
    "\n"
    "      --ids        write the id of each character instead: separated by\n"
    "                   spaces, a line break after the id of each line break\n"
    "      --decode     the inverse: read ids (decimal numbers separated by white\n"
    "                   space) from the FILEs and write the text; needs --from\n"
    "      --from CKPT  use the vocabulary of the checkpoint CKPT, as its model\n"
    "                   sees the text; characters it lacks are listed in the\n"
    "                   table, or with --ids reported and written as '?'\n"
    "      --json       write the table, or the ids, as JSON for scripts\n"
    "  -h, --help       show this help;  --version  show the version\n"
    "\n"
    "Examples:\n"
    "  tokenize poem.txt\n"
    "  tokenize --from bot.ckpt --ids poem.txt > poem.ids\n"
    "  tokenize --from bot.ckpt --decode poem.ids\n";

enum { O_IDS = 256, O_DECODE, O_FROM, O_JSON, O_VERSION };

static const struct option LONG_OPTS[] = {
    {"ids", 0, 0, O_IDS}, {"decode", 0, 0, O_DECODE}, {"from", 1, 0, O_FROM},
    {"json", 0, 0, O_JSON}, {"help", 0, 0, 'h'}, {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

typedef struct options {
    int ids, decode, json;
    const char *from;  /* the checkpoint whose vocabulary gives the ids, or NULL */
    char **files;      /* (nfiles) the text, or the ids with --decode; "-" is standard input */
    int nfiles;
} options;

static int is_stdin(const char *path) { return strcmp(path, "-") == 0; }
static const char *display_name(const char *path)
{
    return is_stdin(path) ? "standard input" : path;
}

static void parse_options(int argc, char **argv, options *o)
{
    static char *stdin_only[] = {"-"};
    memset(o, 0, sizeof *o);
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":h", LONG_OPTS, NULL)) != -1) {
        switch (ch) {
        case O_IDS: o->ids = 1; break;
        case O_DECODE: o->decode = 1; break;
        case O_FROM: o->from = optarg; break;
        case O_JSON: o->json = 1; break;
        case 'h':
            fputs(USAGE, stdout);
            cli_close_stdout();
            exit(0);
        case O_VERSION:
            printf("tokenize (charrnn) %s\n", CR_VERSION);
            cli_close_stdout();
            exit(0);
        default: cli_bad_option(argc, argv, ch);
        }
    }
    const char *what = o->decode ? "ids" : "text";
    if (o->ids && o->decode) cli_usage("give --ids or --decode, not both");
    if (o->decode && !o->from) cli_usage("--decode needs --from CKPT, the model the ids belong to");
    if (o->decode && o->json) cli_usage("--json does not apply to --decode");
    o->files = argv + optind;
    o->nfiles = argc - optind;
    if (o->nfiles == 0) {
        if (isatty(0)) cli_usage("no %s: give a FILE, or pipe %s into standard input", what, what);
        o->files = stdin_only;
        o->nfiles = 1;
    }
    if (o->from && is_stdin(o->from)) {
        for (int i = 0; i < o->nfiles; i++)
            if (is_stdin(o->files[i]))
                cli_usage("standard input cannot hold both the checkpoint and the %s", what);
        if (isatty(0)) cli_usage("--from -: no checkpoint: pipe one into standard input");
    }
}

/* ---- output ---- */
static void outs(const char *s) { cli_write(s, strlen(s)); }

static int digits(uint64_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* count as a fraction of total, 0 for an empty text */
static double share(uint64_t count, uint64_t total)
{
    return total ? (double)count / (double)total : 0.0;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- how characters look ---- */
/* Code points shown as U+XXXX: categories Cc Cf Mn Me Zs (but U+0020) Zl Zp Co and the Hangul
 * fillers U+115F U+1160 U+3164 U+FFA0, from Unicode 14.0 (Python's unicodedata), ranges merged
 * across unassigned code points. Sorted. */
static const uint32_t INVISIBLE[][2] = {
    {0x0, 0x1F}, {0x7F, 0xA0}, {0xAD, 0xAD}, {0x300, 0x36F}, {0x483, 0x489}, {0x591, 0x5BD},
    {0x5BF, 0x5BF}, {0x5C1, 0x5C2}, {0x5C4, 0x5C5}, {0x5C7, 0x5C7}, {0x600, 0x605}, {0x610, 0x61A},
    {0x61C, 0x61C}, {0x64B, 0x65F}, {0x670, 0x670}, {0x6D6, 0x6DD}, {0x6DF, 0x6E4}, {0x6E7, 0x6E8},
    {0x6EA, 0x6ED}, {0x70F, 0x70F}, {0x711, 0x711}, {0x730, 0x74A}, {0x7A6, 0x7B0}, {0x7EB, 0x7F3},
    {0x7FD, 0x7FD}, {0x816, 0x819}, {0x81B, 0x823}, {0x825, 0x827}, {0x829, 0x82D}, {0x859, 0x85B},
    {0x890, 0x89F}, {0x8CA, 0x902}, {0x93A, 0x93A}, {0x93C, 0x93C}, {0x941, 0x948}, {0x94D, 0x94D},
    {0x951, 0x957}, {0x962, 0x963}, {0x981, 0x981}, {0x9BC, 0x9BC}, {0x9C1, 0x9C4}, {0x9CD, 0x9CD},
    {0x9E2, 0x9E3}, {0x9FE, 0xA02}, {0xA3C, 0xA3C}, {0xA41, 0xA51}, {0xA70, 0xA71}, {0xA75, 0xA75},
    {0xA81, 0xA82}, {0xABC, 0xABC}, {0xAC1, 0xAC8}, {0xACD, 0xACD}, {0xAE2, 0xAE3}, {0xAFA, 0xB01},
    {0xB3C, 0xB3C}, {0xB3F, 0xB3F}, {0xB41, 0xB44}, {0xB4D, 0xB56}, {0xB62, 0xB63}, {0xB82, 0xB82},
    {0xBC0, 0xBC0}, {0xBCD, 0xBCD}, {0xC00, 0xC00}, {0xC04, 0xC04}, {0xC3C, 0xC3C}, {0xC3E, 0xC40},
    {0xC46, 0xC56}, {0xC62, 0xC63}, {0xC81, 0xC81}, {0xCBC, 0xCBC}, {0xCBF, 0xCBF}, {0xCC6, 0xCC6},
    {0xCCC, 0xCCD}, {0xCE2, 0xCE3}, {0xD00, 0xD01}, {0xD3B, 0xD3C}, {0xD41, 0xD44}, {0xD4D, 0xD4D},
    {0xD62, 0xD63}, {0xD81, 0xD81}, {0xDCA, 0xDCA}, {0xDD2, 0xDD6}, {0xE31, 0xE31}, {0xE34, 0xE3A},
    {0xE47, 0xE4E}, {0xEB1, 0xEB1}, {0xEB4, 0xEBC}, {0xEC8, 0xECD}, {0xF18, 0xF19}, {0xF35, 0xF35},
    {0xF37, 0xF37}, {0xF39, 0xF39}, {0xF71, 0xF7E}, {0xF80, 0xF84}, {0xF86, 0xF87}, {0xF8D, 0xFBC},
    {0xFC6, 0xFC6}, {0x102D, 0x1030}, {0x1032, 0x1037}, {0x1039, 0x103A}, {0x103D, 0x103E},
    {0x1058, 0x1059}, {0x105E, 0x1060}, {0x1071, 0x1074}, {0x1082, 0x1082}, {0x1085, 0x1086},
    {0x108D, 0x108D}, {0x109D, 0x109D}, {0x115F, 0x1160}, {0x135D, 0x135F}, {0x1680, 0x1680},
    {0x1712, 0x1714}, {0x1732, 0x1733}, {0x1752, 0x1753}, {0x1772, 0x1773}, {0x17B4, 0x17B5},
    {0x17B7, 0x17BD}, {0x17C6, 0x17C6}, {0x17C9, 0x17D3}, {0x17DD, 0x17DD}, {0x180B, 0x180F},
    {0x1885, 0x1886}, {0x18A9, 0x18A9}, {0x1920, 0x1922}, {0x1927, 0x1928}, {0x1932, 0x1932},
    {0x1939, 0x193B}, {0x1A17, 0x1A18}, {0x1A1B, 0x1A1B}, {0x1A56, 0x1A56}, {0x1A58, 0x1A60},
    {0x1A62, 0x1A62}, {0x1A65, 0x1A6C}, {0x1A73, 0x1A7F}, {0x1AB0, 0x1B03}, {0x1B34, 0x1B34},
    {0x1B36, 0x1B3A}, {0x1B3C, 0x1B3C}, {0x1B42, 0x1B42}, {0x1B6B, 0x1B73}, {0x1B80, 0x1B81},
    {0x1BA2, 0x1BA5}, {0x1BA8, 0x1BA9}, {0x1BAB, 0x1BAD}, {0x1BE6, 0x1BE6}, {0x1BE8, 0x1BE9},
    {0x1BED, 0x1BED}, {0x1BEF, 0x1BF1}, {0x1C2C, 0x1C33}, {0x1C36, 0x1C37}, {0x1CD0, 0x1CD2},
    {0x1CD4, 0x1CE0}, {0x1CE2, 0x1CE8}, {0x1CED, 0x1CED}, {0x1CF4, 0x1CF4}, {0x1CF8, 0x1CF9},
    {0x1DC0, 0x1DFF}, {0x2000, 0x200F}, {0x2028, 0x202F}, {0x205F, 0x206F}, {0x20D0, 0x20F0},
    {0x2CEF, 0x2CF1}, {0x2D7F, 0x2D7F}, {0x2DE0, 0x2DFF}, {0x3000, 0x3000}, {0x302A, 0x302D},
    {0x3099, 0x309A}, {0x3164, 0x3164}, {0xA66F, 0xA672}, {0xA674, 0xA67D}, {0xA69E, 0xA69F},
    {0xA6F0, 0xA6F1}, {0xA802, 0xA802}, {0xA806, 0xA806}, {0xA80B, 0xA80B}, {0xA825, 0xA826},
    {0xA82C, 0xA82C}, {0xA8C4, 0xA8C5}, {0xA8E0, 0xA8F1}, {0xA8FF, 0xA8FF}, {0xA926, 0xA92D},
    {0xA947, 0xA951}, {0xA980, 0xA982}, {0xA9B3, 0xA9B3}, {0xA9B6, 0xA9B9}, {0xA9BC, 0xA9BD},
    {0xA9E5, 0xA9E5}, {0xAA29, 0xAA2E}, {0xAA31, 0xAA32}, {0xAA35, 0xAA36}, {0xAA43, 0xAA43},
    {0xAA4C, 0xAA4C}, {0xAA7C, 0xAA7C}, {0xAAB0, 0xAAB0}, {0xAAB2, 0xAAB4}, {0xAAB7, 0xAAB8},
    {0xAABE, 0xAABF}, {0xAAC1, 0xAAC1}, {0xAAEC, 0xAAED}, {0xAAF6, 0xAAF6}, {0xABE5, 0xABE5},
    {0xABE8, 0xABE8}, {0xABED, 0xABED}, {0xE000, 0xF8FF}, {0xFB1E, 0xFB1E}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF9, 0xFFFB}, {0x101FD, 0x101FD},
    {0x102E0, 0x102E0}, {0x10376, 0x1037A}, {0x10A01, 0x10A0F}, {0x10A38, 0x10A3F},
    {0x10AE5, 0x10AE6}, {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10F46, 0x10F50},
    {0x10F82, 0x10F85}, {0x11001, 0x11001}, {0x11038, 0x11046}, {0x11070, 0x11070},
    {0x11073, 0x11074}, {0x1107F, 0x11081}, {0x110B3, 0x110B6}, {0x110B9, 0x110BA},
    {0x110BD, 0x110BD}, {0x110C2, 0x110CD}, {0x11100, 0x11102}, {0x11127, 0x1112B},
    {0x1112D, 0x11134}, {0x11173, 0x11173}, {0x11180, 0x11181}, {0x111B6, 0x111BE},
    {0x111C9, 0x111CC}, {0x111CF, 0x111CF}, {0x1122F, 0x11231}, {0x11234, 0x11234},
    {0x11236, 0x11237}, {0x1123E, 0x1123E}, {0x112DF, 0x112DF}, {0x112E3, 0x112EA},
    {0x11300, 0x11301}, {0x1133B, 0x1133C}, {0x11340, 0x11340}, {0x11366, 0x11374},
    {0x11438, 0x1143F}, {0x11442, 0x11444}, {0x11446, 0x11446}, {0x1145E, 0x1145E},
    {0x114B3, 0x114B8}, {0x114BA, 0x114BA}, {0x114BF, 0x114C0}, {0x114C2, 0x114C3},
    {0x115B2, 0x115B5}, {0x115BC, 0x115BD}, {0x115BF, 0x115C0}, {0x115DC, 0x115DD},
    {0x11633, 0x1163A}, {0x1163D, 0x1163D}, {0x1163F, 0x11640}, {0x116AB, 0x116AB},
    {0x116AD, 0x116AD}, {0x116B0, 0x116B5}, {0x116B7, 0x116B7}, {0x1171D, 0x1171F},
    {0x11722, 0x11725}, {0x11727, 0x1172B}, {0x1182F, 0x11837}, {0x11839, 0x1183A},
    {0x1193B, 0x1193C}, {0x1193E, 0x1193E}, {0x11943, 0x11943}, {0x119D4, 0x119DB},
    {0x119E0, 0x119E0}, {0x11A01, 0x11A0A}, {0x11A33, 0x11A38}, {0x11A3B, 0x11A3E},
    {0x11A47, 0x11A47}, {0x11A51, 0x11A56}, {0x11A59, 0x11A5B}, {0x11A8A, 0x11A96},
    {0x11A98, 0x11A99}, {0x11C30, 0x11C3D}, {0x11C3F, 0x11C3F}, {0x11C92, 0x11CA7},
    {0x11CAA, 0x11CB0}, {0x11CB2, 0x11CB3}, {0x11CB5, 0x11CB6}, {0x11D31, 0x11D45},
    {0x11D47, 0x11D47}, {0x11D90, 0x11D91}, {0x11D95, 0x11D95}, {0x11D97, 0x11D97},
    {0x11EF3, 0x11EF4}, {0x13430, 0x13438}, {0x16AF0, 0x16AF4}, {0x16B30, 0x16B36},
    {0x16F4F, 0x16F4F}, {0x16F8F, 0x16F92}, {0x16FE4, 0x16FE4}, {0x1BC9D, 0x1BC9E},
    {0x1BCA0, 0x1CF46}, {0x1D167, 0x1D169}, {0x1D173, 0x1D182}, {0x1D185, 0x1D18B},
    {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0x1DA00, 0x1DA36}, {0x1DA3B, 0x1DA6C},
    {0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84}, {0x1DA9B, 0x1DAAF}, {0x1E000, 0x1E02A},
    {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E8D0, 0x1E8D6},
    {0x1E944, 0x1E94A}, {0xE0001, 0x10FFFD}
};
/* Code points two columns wide on a terminal: East Asian Width W or F (Unicode 14.0), but
 * those above, merged the same way. Sorted. */
static const uint32_t WIDE[][2] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
    {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
    {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
    {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
    {0x2E80, 0x3029}, {0x302E, 0x303E}, {0x3041, 0x3096}, {0x309B, 0x3247}, {0x3250, 0x4DBF},
    {0x4E00, 0xA4C6}, {0xA960, 0xA97C}, {0xAC00, 0xD7A3}, {0xF900, 0xFAD9}, {0xFE10, 0xFE19},
    {0xFE30, 0xFE6B}, {0xFF01, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE3}, {0x16FF0, 0x1B2FB},
    {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
    {0x1F200, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393},
    {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4},
    {0x1F3F8, 0x1F43E}, {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
    {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596},
    {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC},
    {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
    {0x1FA70, 0x1FAF6}, {0x20000, 0x3134A}
};

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid][1] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && r[lo][0] <= cp;
}

static int invisible(uint32_t cp)
{
    return in_ranges(INVISIBLE, sizeof INVISIBLE / sizeof INVISIBLE[0], cp);
}

/* How the table shows a character (out: up to 8 bytes and a NUL): itself, \n \t \r, ' ' for a
 * space, or U+XXXX. Returns its width in terminal columns. */
static int shown(uint32_t cp, char out[16])
{
    switch (cp) {
    case '\n': strcpy(out, "\\n"); return 2;
    case '\t': strcpy(out, "\\t"); return 2;
    case '\r': strcpy(out, "\\r"); return 2;
    case ' ': strcpy(out, "' '"); return 3;
    }
    if (invisible(cp)) return snprintf(out, 16, "U+%04X", (unsigned)cp);
    out[cr_utf8_encode(cp, out)] = 0;
    return in_ranges(WIDE, sizeof WIDE / sizeof WIDE[0], cp) ? 2 : 1;
}

/* Names a character for a message: 'x' (U+0078), or U+XXXX alone for one shown so. */
static const char *char_name(uint32_t cp, char out[32])
{
    char s[16];
    shown(cp, s);
    if (cp <= ' ' || strncmp(s, "U+", 2) == 0) snprintf(out, 32, "U+%04X", (unsigned)cp);
    else snprintf(out, 32, "'%s' (U+%04X)", s, (unsigned)cp);
    return out;
}

/* Writes s[0..len) as a JSON string: UTF-8 kept as it is but '"', '\' and the characters the
 * table shows as U+XXXX (controls, U+2028 and U+2029 among them), which are escaped; invalid
 * bytes (in file names) as U+FFFD. */
static void json_string(const unsigned char *s, size_t len)
{
    outs("\"");
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            outs("\\ufffd");
            i++;
            continue;
        }
        if (cp == '"') outs("\\\"");
        else if (cp == '\\') outs("\\\\");
        else if (cp == '\n') outs("\\n");
        else if (cp == '\t') outs("\\t");
        else if (cp == '\r') outs("\\r");
        else if (cp >= 0x10000 && invisible(cp))
            cli_printf("\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                 (unsigned)(0xDC00 + (cp & 0x3FF)));
        else if (invisible(cp)) cli_printf("\\u%04x", (unsigned)cp);
        else cli_write(s + i, k);
        i += k;
    }
    outs("\"");
}

static void json_char(uint32_t cp)
{
    char u[4];
    json_string((const unsigned char *)u, cr_utf8_encode(cp, u));
}

/* ---- the text: the FILEs one after the other ---- */
typedef struct text {
    unsigned char *bytes;
    size_t len;
    char **names;    /* (n) as given; "-" is standard input */
    size_t *starts;  /* (n) byte offset of each file in bytes */
    int n;
} text;

static void read_text(const options *o, text *t)
{
    t->names = o->files;
    t->n = o->nfiles;
    t->starts = malloc((size_t)t->n * sizeof *t->starts);
    t->bytes = malloc(1);
    t->len = 0;
    if (!t->starts || !t->bytes) cli_die(NULL, "out of memory");
    for (int i = 0; i < t->n; i++) {
        size_t n;
        unsigned char *b = cli_read_all(t->names[i], &n);
        cli_require_utf8(t->names[i], b, n);
        unsigned char *all = realloc(t->bytes, t->len + n + 1);
        if (!all) cli_die(display_name(t->names[i]), "out of memory");
        memcpy(all + t->len, b, n);
        t->bytes = all;
        t->starts[i] = t->len;
        t->len += n;
        free(b);
    }
}

static void text_free(text *t)
{
    free(t->bytes);
    free(t->starts);
}

/* ---- counting the text against a vocabulary ---- */
typedef struct place {
    int file;     /* index into text.names */
    size_t byte;  /* offset in that file, from 0 */
    size_t line;  /* from 1 */
} place;

typedef struct tally {
    cr_vocab own;           /* the text's own vocabulary: its distinct characters and counts */
    const cr_vocab *v;      /* the vocabulary the ids come from: own, or the model's */
    uint64_t *counts;       /* (v->size) occurrences of each id in the text */
    uint64_t total;         /* characters in the text */
    size_t nunseen;         /* distinct characters of the text that v lacks */
    uint64_t unseen_total;  /* their occurrences */
    uint32_t *unseen;       /* (nunseen) their indexes in own, in order of first appearance */
    place *first;           /* (nunseen) where each appears first */
} tally;

/* Finds where each character that v lacks first appears, in one pass over the text. */
static void locate_unseen(const text *t, tally *ty)
{
    unsigned char *done = calloc(ty->own.size + 1, 1);
    if (!done) cli_die(NULL, "out of memory");
    size_t found = 0, line = 1;
    int f = 0;
    for (size_t i = 0; i < t->len && found < ty->nunseen;) {
        while (f + 1 < t->n && t->starts[f + 1] <= i) {
            f++;
            line = 1;
        }
        uint32_t cp;
        size_t k = cr_utf8_decode(t->bytes + i, t->len - i, &cp);
        if (cr_vocab_id(ty->v, cp) < 0) {
            int32_t j = cr_vocab_id(&ty->own, cp);
            if (!done[j]) {
                done[j] = 1;
                ty->unseen[found] = (uint32_t)j;
                ty->first[found++] = (place){f, i - t->starts[f], line};
            }
        }
        line += cp == '\n';
        i += k;
    }
    free(done);
}

/* Counts the characters of the text by id of model (or of the text's own vocabulary if NULL). */
static void tally_text(const text *t, const cr_vocab *model, tally *ty)
{
    cr_error err;
    memset(ty, 0, sizeof *ty);
    if (cr_vocab_build(t->bytes, t->len, &ty->own, &err)) cli_die_err(NULL, &err);
    ty->v = model ? model : &ty->own;
    ty->counts = calloc((size_t)ty->v->size + 1, sizeof *ty->counts);
    ty->unseen = malloc(((size_t)ty->own.size + 1) * sizeof *ty->unseen);
    ty->first = malloc(((size_t)ty->own.size + 1) * sizeof *ty->first);
    if (!ty->counts || !ty->unseen || !ty->first) cli_die(NULL, "out of memory");
    for (uint32_t i = 0; i < ty->own.size; i++) {
        ty->total += ty->own.counts[i];
        int32_t id = cr_vocab_id(ty->v, ty->own.chars[i]);
        if (id >= 0) {
            ty->counts[id] = ty->own.counts[i];
        } else {
            ty->nunseen++;
            ty->unseen_total += ty->own.counts[i];
        }
    }
    if (ty->nunseen) locate_unseen(t, ty);
}

static void tally_free(tally *ty)
{
    cr_vocab_free(&ty->own);
    free(ty->counts);
    free(ty->unseen);
    free(ty->first);
}

/* ---- the table ---- */
typedef struct row {
    uint64_t count;
    uint32_t id;
} row;

static int by_count(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The characters the model lacks: char, count, share, where first seen. */
static void write_unseen_section(const text *t, const tally *ty)
{
    int wch = 4, wcount = 5;
    for (size_t k = 0; k < ty->nunseen; k++) {
        char s[16];
        int w = shown(ty->own.chars[ty->unseen[k]], s);
        int d = digits(ty->own.counts[ty->unseen[k]]);
        wch = w > wch ? w : wch;
        wcount = d > wcount ? d : wcount;
    }
    outs("\nnot in the model's vocabulary:\n");
    cli_printf("%-*s  %*s  %7s  %s\n", wch, "char", wcount, "count", "share", "first at");
    for (size_t k = 0; k < ty->nunseen; k++) {
        char s[16];
        uint32_t j = ty->unseen[k];
        int w = shown(ty->own.chars[j], s);
        const place *p = &ty->first[k];
        cli_printf("%s%*s  %*llu  %6.2f%%  %s: byte %zu, line %zu\n", s, wch - w, "", wcount,
             (unsigned long long)ty->own.counts[j], 100 * share(ty->own.counts[j], ty->total),
             display_name(t->names[p->file]), p->byte, p->line);
    }
}

static void write_table(const text *t, const tally *ty, int from)
{
    const cr_vocab *v = ty->v;
    row *rows = malloc(((size_t)v->size + 1) * sizeof *rows);
    if (!rows) cli_die(NULL, "out of memory");
    int wid = digits(v->size ? v->size - 1 : 0), wch = 4, wcount = 5;
    wid = wid > 2 ? wid : 2;
    for (uint32_t id = 0; id < v->size; id++) {
        char s[16];
        int w = shown(v->chars[id], s);
        wch = w > wch ? w : wch;
        rows[id] = (row){ty->counts[id], id};
    }
    qsort(rows, v->size, sizeof *rows, by_count);
    if (v->size && digits(rows[0].count) > wcount) wcount = digits(rows[0].count);
    cli_printf("%*s  %-*s  %*s  %7s\n", wid, "id", wch, "char", wcount, "count", "share");
    for (uint32_t r = 0; r < v->size; r++) {
        char s[16];
        int w = shown(v->chars[rows[r].id], s);
        cli_printf("%*u  %s%*s  %*llu  %6.2f%%\n", wid, (unsigned)rows[r].id, s, wch - w, "", wcount,
             (unsigned long long)rows[r].count, 100 * share(rows[r].count, ty->total));
    }
    cli_printf("total: %llu %s, %u distinct", (unsigned long long)ty->total,
         plural(ty->total, "character", "characters"), ty->own.size);
    if (from)
        cli_printf("; %llu %s (%zu distinct) not in the model's vocabulary of %u",
             (unsigned long long)ty->unseen_total,
             plural(ty->unseen_total, "character", "characters"), ty->nunseen, v->size);
    outs("\n");
    if (ty->nunseen) write_unseen_section(t, ty);
    free(rows);
}

/* ---- JSON ---- */
static void json_unseen(const text *t, const tally *ty)
{
    outs("\"unseen\": [");
    for (size_t k = 0; k < ty->nunseen; k++) {
        uint32_t j = ty->unseen[k];
        const place *p = &ty->first[k];
        const char *name = t->names[p->file];
        outs(k ? ",\n  {\"char\": " : "\n  {\"char\": ");
        json_char(ty->own.chars[j]);
        cli_printf(", \"codepoint\": %u, \"count\": %llu, \"share\": %.6g, \"file\": ",
             (unsigned)ty->own.chars[j], (unsigned long long)ty->own.counts[j],
             share(ty->own.counts[j], ty->total));
        json_string((const unsigned char *)name, strlen(name));
        cli_printf(", \"byte\": %zu, \"line\": %zu}", p->byte, p->line);
    }
    outs(ty->nunseen ? "\n]" : "]");
}

static void write_json_table(const text *t, const tally *ty)
{
    const cr_vocab *v = ty->v;
    cli_printf("{\"characters\": %llu, \"distinct\": %u, \"vocabulary\": [",
         (unsigned long long)ty->total, ty->own.size);
    for (uint32_t id = 0; id < v->size; id++) {
        cli_printf("%s{\"id\": %u, \"char\": ", id ? ",\n  " : "\n  ", (unsigned)id);
        json_char(v->chars[id]);
        cli_printf(", \"codepoint\": %u, \"count\": %llu, \"share\": %.6g}", (unsigned)v->chars[id],
             (unsigned long long)ty->counts[id], share(ty->counts[id], ty->total));
    }
    outs(v->size ? "\n], " : "], ");
    json_unseen(t, ty);
    outs("}\n");
}

/* ---- ids ---- */
/* Writes the id of every character: separated by spaces, a line break after the id of each
 * line break (so ids keep the lines of the text), '?' for a character the vocabulary lacks.
 * With json, {"ids": [...], "unseen": [...]} with null for those. */
static void write_ids(const text *t, const tally *ty, int json)
{
    int line_start = 1; /* nothing written yet on this line of ids */
    if (json) outs("{\"ids\": [");
    for (size_t i = 0; i < t->len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(t->bytes + i, t->len - i, &cp);
        int32_t id = cr_vocab_id(ty->v, cp);
        char num[16];
        if (id >= 0) snprintf(num, sizeof num, "%u", (unsigned)id);
        else strcpy(num, json ? "null" : "?");
        if (json && i > 0) outs(line_start ? ",\n" : ", ");
        else if (!json && !line_start) outs(" ");
        outs(num);
        if (!json && cp == '\n') outs("\n");
        line_start = cp == '\n';
        i += k;
    }
    if (json) {
        outs("], ");
        json_unseen(t, ty);
        outs("}\n");
    } else if (!line_start) {
        outs("\n");
    }
}

/* On standard error, after the ids: each character the model lacks, then a summary. */
static void report_unseen(const text *t, const tally *ty, int json)
{
    for (size_t k = 0; k < ty->nunseen; k++) {
        char name[32];
        uint32_t j = ty->unseen[k];
        const place *p = &ty->first[k];
        const char *what = char_name(ty->own.chars[j], name);
        const char *file = display_name(t->names[p->file]);
        if (ty->own.counts[j] == 1)
            cli_warn("%s: %s at byte %zu (line %zu) is not in the model's vocabulary", file, what,
                     p->byte, p->line);
        else
            cli_warn("%s: %s at byte %zu (line %zu) is not in the model's vocabulary "
                     "(%llu times in the text)", file, what, p->byte, p->line,
                     (unsigned long long)ty->own.counts[j]);
    }
    const char *as = json ? "null" : "'?'";
    if (ty->unseen_total == 1)
        cli_warn("1 character is not in the model's vocabulary; its id is written as %s", as);
    else
        cli_warn("%llu characters (%zu distinct) are not in the model's vocabulary; their ids "
                 "are written as %s", (unsigned long long)ty->unseen_total, ty->nunseen, as);
}

/* ---- decoding ---- */
/* A word of an ids file for a message: at most 20 bytes, others as \xHH. */
static const char *word_name(const unsigned char *s, size_t n, char out[96])
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < 20; i++)
        o += (size_t)(s[i] > 0x20 && s[i] < 0x7F ? snprintf(out + o, 5, "%c", s[i])
                                                 : snprintf(out + o, 5, "\\x%02X", s[i]));
    if (n > 20) strcpy(out + o, "...");
    return out;
}

/* Reads the ids of one file (whitespace-separated decimal numbers below v->size) into *ids. */
static void read_ids(const char *path, const cr_vocab *v, cli_ids *ids)
{
    size_t len, at = 0, n = 0;
    unsigned char *b = cli_read_all(path, &len);
    char word[96];
    const char *name = display_name(path);
    switch (cli_parse_ids(b, len, v->size, ids, &at, &n)) {
    case CLI_IDS_OK: break;
    case CLI_IDS_UNKNOWN:
        cli_die(name, "'?' at byte %zu stands for a character the model does not know; it cannot "
                "be decoded", at);
    case CLI_IDS_NOT_ID:
        cli_die(name, "'%s' at byte %zu is not an id (a whole number from 0 to %u)",
                word_name(b + at, n, word), at, v->size ? v->size - 1 : 0);
    case CLI_IDS_RANGE:
        cli_die(name, "id %s at byte %zu is out of range (vocabulary of %u)",
                word_name(b + at, n, word), at, v->size);
    case CLI_IDS_NOMEM: cli_die(name, "out of memory");
    }
    free(b);
}

/* Checks every id of every file first, so that a bad one writes nothing; then the text. */
static void decode(const options *o, const cr_vocab *v)
{
    cli_ids ids = {0};
    for (int f = 0; f < o->nfiles; f++)
        read_ids(o->files[f], v, &ids);
    for (size_t i = 0; i < ids.n; i++) {
        char u[4];
        const char *piece;
        size_t n = cr_vocab_text(v, ids.ids[i], u, &piece);
        cli_write(piece, n);
    }
    free(ids.ids);
}

int main(int argc, char **argv)
{
    cli_prog = "tokenize";
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    cr_model *m = NULL;
    if (o.from) m = cli_read_model(o.from, display_name(o.from), NULL);
    const cr_vocab *model = m ? cr_model_vocab(m) : NULL;
    if (o.decode) {
        decode(&o, model);
        cli_close_stdout();
    } else {
        text t;
        tally ty;
        read_text(&o, &t);
        tally_text(&t, model, &ty);
        if (o.ids) write_ids(&t, &ty, o.json);
        else if (o.json) write_json_table(&t, &ty);
        else write_table(&t, &ty, m != NULL);
        cli_close_stdout();
        if (o.ids && ty.nunseen) report_unseen(&t, &ty, o.json);
        tally_free(&ty);
        text_free(&t);
    }
    cr_model_free(m);
    return 0;
}
