/* clean.c: clean, which tidies raw text (files or standard input) into a UTF-8 corpus. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: clean [OPTION]... [FILE]...\n"
    "Tidy text into a UTF-8 corpus for training: read the FILEs (or standard\n"
    "input) and write the cleaned text to standard output.\n"
    "\n"
    "Always: read UTF-16 and UTF-32 as text, strip byte-order marks, turn CRLF\n"
    "and CR into LF, remove control characters but newline and tab, trim trailing\n"
    "spaces, collapse runs of blank lines to one, and end with a newline. Binary\n"
    "files (PDF, Word, images) and text that is not UTF-8 are refused, with why.\n"
    "\n"
    "      --from-encoding NAME  read the FILEs in this encoding (WINDOWS-1252,\n"
    "                      LATIN1, KOI8-R, GB18030, SHIFT_JIS: 'iconv -l' lists them)\n"
    "      --repair        write U+FFFD for each invalid UTF-8 sequence, and go on\n"
    "      --drop-invalid  drop invalid UTF-8 sequences, and go on\n"
    "      --html          remove tags, scripts, styles and comments; decode\n"
    "                      entities; paragraphs, breaks and list items become lines\n"
    "      --gutenberg     remove Project Gutenberg headers, footers and licences\n"
    "      --ascii         fold typographic quotes, dashes, ellipses, spaces to ASCII\n"
    "      --lower         lowercase (Latin, Greek, Cyrillic, Armenian)\n"
    "      --unwrap        join hard-wrapped lines; blank lines separate paragraphs\n"
    "      --dedupe        drop lines seen before (the first stays; blank lines stay)\n"
    "      --min-count N   replace characters seen fewer than N times by --rare's\n"
    "                      CHAR, or drop them without it (reads the whole text first)\n"
    "      --rare CHAR     the replacement for rare characters (with --min-count)\n"
    "      --report        tell on standard error what changed\n"
    "  -h, --help          show this help;  --version  show the version\n"
    "\n"
    "Example:\n"
    "  clean --gutenberg --unwrap --report pg1342.txt > austen.txt\n";

enum {
    O_DROP = 256, O_REPAIR, O_ENCODING, O_HTML, O_GUTENBERG, O_ASCII, O_LOWER, O_UNWRAP,
    O_DEDUPE, O_MINCOUNT, O_RARE,
    O_REPORT, O_VERSION
};

static const struct option LONG_OPTS[] = {
    {"drop-invalid", 0, 0, O_DROP}, {"repair", 0, 0, O_REPAIR},
    {"from-encoding", 1, 0, O_ENCODING}, {"html", 0, 0, O_HTML}, {"gutenberg", 0, 0, O_GUTENBERG},
    {"ascii", 0, 0, O_ASCII}, {"lower", 0, 0, O_LOWER}, {"unwrap", 0, 0, O_UNWRAP},
    {"dedupe", 0, 0, O_DEDUPE}, {"min-count", 1, 0, O_MINCOUNT}, {"rare", 1, 0, O_RARE},
    {"report", 0, 0, O_REPORT}, {"help", 0, 0, 'h'}, {"version", 0, 0, O_VERSION},
    {0, 0, 0, 0}};

typedef struct options {
    cr_clean_options co;
    int report;
    int repair;        /* --repair or --drop-invalid: invalid UTF-8 is mended, not refused */
    char **files;
    int nfiles;
} options;

/* --rare: exactly one printable character. */
static uint32_t parse_rare(const char *a)
{
    uint32_t cp = 0;
    size_t len = strlen(a);
    size_t k = cr_utf8_decode((const unsigned char *)a, len, &cp);
    if (len == 0 || k != len) cli_usage("--rare: '%s' is not one character", a);
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        cli_usage("--rare: a control character will not do");
    return cp;
}

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    cr_clean_options_default(&o->co);
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":h", LONG_OPTS, NULL)) != -1) {
        switch (ch) {
        case O_DROP: o->co.drop_invalid = o->repair = 1; break;
        case O_REPAIR: o->repair = 1; break;
        case O_ENCODING: cli_from_encoding = optarg; break;
        case O_HTML: o->co.html = 1; break;
        case O_GUTENBERG: o->co.gutenberg = 1; break;
        case O_ASCII: o->co.ascii = 1; break;
        case O_LOWER: o->co.lower = 1; break;
        case O_UNWRAP: o->co.unwrap = 1; break;
        case O_DEDUPE: o->co.dedupe = 1; break;
        case O_MINCOUNT:
            o->co.min_count = (uint64_t)cli_int("--min-count", optarg, 1, 1000000000);
            break;
        case O_RARE: o->co.rare = parse_rare(optarg); break;
        case O_REPORT: o->report = 1; break;
        case 'h': cli_help(USAGE);
        case O_VERSION: cli_version();
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (o->co.rare && !o->co.min_count) cli_usage("--rare needs --min-count");
    o->files = argv + optind;
    o->nfiles = argc - optind;
    if (o->nfiles == 0 && isatty(0))
        cli_usage("no input: give FILEs, or pipe text into standard input");
}

/* Every file must be readable before any text is written, so that a typo costs no half
 * output; stat, not open, so that a named pipe is opened only once. */
static void check_files(const options *o)
{
    for (int i = 0; i < o->nfiles; i++) {
        const char *path = o->files[i];
        struct stat st;
        if (cli_is_stdin(path)) continue;
        if (stat(path, &st) != 0 || access(path, R_OK) != 0) cli_die(path, "%s", strerror(errno));
        if (S_ISDIR(st.st_mode)) cli_die(path, "%s", strerror(EISDIR));
    }
}

static int write_out(void *ctx, const unsigned char *p, size_t n)
{
    (void)ctx;
    cli_write(p, n);
    return 0;
}

/* An input read whole and decoded to UTF-8 before anything is written. */
typedef struct input {
    unsigned char *bytes, *text; /* as read; as UTF-8 (bytes itself when it was UTF-8) */
    size_t nbytes, len;          /* of bytes; of text */
    const char *encoding;        /* what text was converted from, or NULL */
} input;

static void read_input(const options *o, const char *path, input *in)
{
    in->bytes = cli_read_all(path, &in->nbytes);
    in->text = cli_decode_text(path, in->bytes, in->nbytes, o->repair, &in->len);
    in->encoding = NULL;
    if (in->text != in->bytes) {
        cr_text_kind k;
        cr_text_sniff(in->bytes, in->nbytes, &k);
        in->encoding = cli_from_encoding ? cli_from_encoding : k.encoding;
    }
}

/* --report's word on a converted input: the cleaner counts its bytes as UTF-8. */
static void report_conversion(const char *path, const input *in)
{
    if (!in->encoding) return;
    fprintf(stderr, "clean: %s was read as %s: %llu bytes, %llu as UTF-8\n",
            cli_file_name(path), in->encoding, (unsigned long long)in->nbytes,
            (unsigned long long)in->len);
}

/* Pushes one input through the cleaner, in pieces as a stream would come. */
static void clean_input(cr_cleaner *c, const char *path, const input *in)
{
    cr_error err;
    const char *name = cli_file_name(path);
    for (size_t at = 0; at < in->len; at += 1 << 16) {
        size_t n = in->len - at < (1 << 16) ? in->len - at : (1 << 16);
        if (cr_cleaner_push(c, in->text + at, n, &err) != CR_OK) cli_die_err(name, &err);
    }
    if (cr_cleaner_end_file(c, &err) != CR_OK) cli_die_err(name, &err);
}

static void report_line(const char *what, uint64_t n)
{
    fprintf(stderr, "  %-34s %llu\n", what, (unsigned long long)n);
}

static void report(const cr_clean_options *o, const cr_clean_stats *s)
{
    fprintf(stderr, "clean: %llu bytes in, %llu bytes out\n", (unsigned long long)s->bytes_in,
            (unsigned long long)s->bytes_out);
    report_line("byte-order marks removed", s->boms);
    report_line(o->drop_invalid ? "invalid UTF-8 sequences dropped"
                                : "invalid UTF-8 sequences repaired", s->invalid);
    report_line("CRLF and CR line ends made LF", s->newlines);
    if (o->html) report_line("HTML tags and comments removed", s->tags);
    if (o->html) report_line("HTML entities decoded", s->entities);
    if (o->gutenberg) report_line("Project Gutenberg lines removed", s->gutenberg_lines);
    report_line("control characters removed", s->controls);
    if (o->ascii) report_line("characters folded to ASCII", s->folded);
    if (o->lower) report_line("characters lowercased", s->lowered);
    if (o->unwrap) report_line("line breaks joined", s->joined);
    if (o->dedupe) report_line("repeated lines dropped", s->duplicates);
    report_line("trailing spaces and tabs removed", s->spaces);
    report_line("blank lines dropped", s->blank_lines);
    if (o->min_count && o->rare) report_line("rare characters replaced", s->rare_replaced);
    if (o->min_count && !o->rare) report_line("rare characters dropped", s->rare_dropped);
    fprintf(stderr, "  %-34s %llu before, %llu after\n", "vocabulary (distinct characters)",
            (unsigned long long)s->vocab_in, (unsigned long long)s->vocab_out);
}

int main(int argc, char **argv)
{
    cli_set_prog("clean", argv[0]);
    cli_has_from_encoding = 1;
    cli_not_utf8_hint = "; or write U+FFFD for each bad sequence with --repair";
    options o;
    parse_options(argc, argv, &o);
    check_files(&o);
    cli_quiet_on_closed_pipe();
    cr_cleaner *c;
    cr_error err;
    if (cr_cleaner_new(&o.co, write_out, NULL, &c, &err) != CR_OK) cli_die_err(NULL, &err);
    char *stdin_only[] = {"-"};
    char **files = o.nfiles ? o.files : stdin_only;
    int nfiles = o.nfiles ? o.nfiles : 1;
    input *in = calloc((size_t)nfiles, sizeof *in);
    if (!in) cli_die(NULL, "out of memory");
    for (int i = 0; i < nfiles; i++) /* every input is known to be text before any is written */
        read_input(&o, files[i], &in[i]);
    for (int i = 0; i < nfiles; i++) {
        if (o.report) report_conversion(files[i], &in[i]);
        clean_input(c, files[i], &in[i]);
        if (in[i].text != in[i].bytes) free(in[i].text);
        free(in[i].bytes);
    }
    free(in);
    if (cr_cleaner_finish(c, &err) != CR_OK) cli_die_err(NULL, &err);
    cr_clean_stats s;
    cr_cleaner_stats(c, &s);
    cr_cleaner_free(c);
    cli_close_stdout();
    if (o.report) report(&o.co, &s);
    return 0;
}
