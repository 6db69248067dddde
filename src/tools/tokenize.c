/* tokenize.c: tokenize, which shows a text as a model sees it: its vocabulary, or its ids. */
#include "cli.h"
#include "common/json_writer.h"
#include "common/show.h"

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
    "      --from-encoding NAME  the text's encoding if not UTF-8 (WINDOWS-1252...)\n"
    "  -h, --help       show this help;  --version  show the version\n"
    "\n"
    "Examples:\n"
    "  tokenize poem.txt\n"
    "  tokenize --from bot.ckpt --ids poem.txt > poem.ids\n"
    "  tokenize --from bot.ckpt --decode poem.ids\n";

enum { O_IDS = 256, O_DECODE, O_FROM, O_JSON, O_ENCODING, O_VERSION };

static const struct option LONG_OPTS[] = {
    {"ids", 0, 0, O_IDS}, {"decode", 0, 0, O_DECODE}, {"from", 1, 0, O_FROM},
    {"json", 0, 0, O_JSON}, {"from-encoding", 1, 0, O_ENCODING}, {"help", 0, 0, 'h'},
    {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

typedef struct options {
    int ids, decode, json;
    const char *from;  /* the checkpoint whose vocabulary gives the ids, or NULL */
    char **files;      /* (nfiles) the text, or the ids with --decode; "-" is standard input */
    int nfiles;
} options;

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":h", LONG_OPTS, NULL)) != -1) {
        switch (ch) {
        case O_IDS: o->ids = 1; break;
        case O_DECODE: o->decode = 1; break;
        case O_FROM: o->from = optarg; break;
        case O_JSON: o->json = 1; break;
        case O_ENCODING: cli_from_encoding = optarg; break;
        case 'h': cli_help(USAGE);
        case O_VERSION: cli_version();
        default: cli_bad_option(argc, argv, ch);
        }
    }
    const char *what = o->decode ? "ids" : "text";
    if (o->ids && o->decode) cli_usage("give --ids or --decode, not both");
    if (o->decode && !o->from) cli_usage("--decode needs --from CKPT, the model the ids belong to");
    if (o->decode && o->json) cli_usage("--json does not apply to --decode");
    o->files = argv + optind;
    o->nfiles = argc - optind;
    char none[64];
    snprintf(none, sizeof none, "no %s: give a FILE, or pipe %s into standard input", what, what);
    o->files = cli_files_or_stdin(o->files, &o->nfiles, none);
    if (o->from && cli_is_stdin(o->from)) {
        for (int i = 0; i < o->nfiles; i++)
            if (cli_is_stdin(o->files[i]))
                cli_usage("standard input cannot hold both the checkpoint and the %s", what);
        if (isatty(0)) cli_usage("--from -: no checkpoint: pipe one into standard input");
    }
}

/* ---- output ---- */
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

/* A character as a JSON string, escaped where the table shows it as U+XXXX. */
static void json_char(uint32_t cp)
{
    char u[4];
    json_string(u, cr_utf8_encode(cp, u), JSON_ESCAPE_INVISIBLE);
}

/* ---- counting the text against a vocabulary ---- */
typedef struct place {
    int file;     /* index into cli_text.names */
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
static void locate_unseen(const cli_text *t, tally *ty)
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
static void tally_text(const cli_text *t, const cr_vocab *model, tally *ty)
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
static void write_unseen_section(const cli_text *t, const tally *ty)
{
    int wch = 4, wcount = 5;
    for (size_t k = 0; k < ty->nunseen; k++) {
        char s[16];
        int w = cli_char_show(ty->own.chars[ty->unseen[k]], s);
        int d = digits(ty->own.counts[ty->unseen[k]]);
        wch = w > wch ? w : wch;
        wcount = d > wcount ? d : wcount;
    }
    cli_puts("\nnot in the model's vocabulary:\n");
    cli_printf("%-*s  %*s  %7s  %s\n", wch, "char", wcount, "count", "share", "first at");
    for (size_t k = 0; k < ty->nunseen; k++) {
        char s[16];
        uint32_t j = ty->unseen[k];
        int w = cli_char_show(ty->own.chars[j], s);
        const place *p = &ty->first[k];
        cli_printf("%s%*s  %*llu  %6.2f%%  %s: byte %zu, line %zu\n", s, wch - w, "", wcount,
             (unsigned long long)ty->own.counts[j], 100 * share(ty->own.counts[j], ty->total),
             cli_file_name(t->names[p->file]), p->byte, p->line);
    }
}

static void write_table(const cli_text *t, const tally *ty, int from)
{
    const cr_vocab *v = ty->v;
    row *rows = malloc(((size_t)v->size + 1) * sizeof *rows);
    if (!rows) cli_die(NULL, "out of memory");
    int wid = digits(v->size ? v->size - 1 : 0), wch = 4, wcount = 5;
    wid = wid > 2 ? wid : 2;
    for (uint32_t id = 0; id < v->size; id++) {
        char s[16];
        int w = cli_char_show(v->chars[id], s);
        wch = w > wch ? w : wch;
        rows[id] = (row){ty->counts[id], id};
    }
    qsort(rows, v->size, sizeof *rows, by_count);
    if (v->size && digits(rows[0].count) > wcount) wcount = digits(rows[0].count);
    cli_printf("%*s  %-*s  %*s  %7s\n", wid, "id", wch, "char", wcount, "count", "share");
    for (uint32_t r = 0; r < v->size; r++) {
        char s[16];
        int w = cli_char_show(v->chars[rows[r].id], s);
        cli_printf("%*u  %s%*s  %*llu  %6.2f%%\n", wid, (unsigned)rows[r].id, s, wch - w, "", wcount,
             (unsigned long long)rows[r].count, 100 * share(rows[r].count, ty->total));
    }
    cli_printf("total: %llu %s, %u distinct", (unsigned long long)ty->total,
         plural(ty->total, "character", "characters"), ty->own.size);
    if (from)
        cli_printf("; %llu %s (%zu distinct) not in the model's vocabulary of %u",
             (unsigned long long)ty->unseen_total,
             plural(ty->unseen_total, "character", "characters"), ty->nunseen, v->size);
    cli_puts("\n");
    if (ty->nunseen) write_unseen_section(t, ty);
    free(rows);
}

/* ---- JSON ---- */
static void json_unseen(const cli_text *t, const tally *ty)
{
    cli_puts("\"unseen\": [");
    for (size_t k = 0; k < ty->nunseen; k++) {
        uint32_t j = ty->unseen[k];
        const place *p = &ty->first[k];
        const char *name = t->names[p->file];
        cli_puts(k ? ",\n  {\"char\": " : "\n  {\"char\": ");
        json_char(ty->own.chars[j]);
        cli_printf(", \"codepoint\": %u, \"count\": %llu, \"share\": %.6g, \"file\": ",
             (unsigned)ty->own.chars[j], (unsigned long long)ty->own.counts[j],
             share(ty->own.counts[j], ty->total));
        json_string(name, strlen(name), JSON_ESCAPE_INVISIBLE);
        cli_printf(", \"byte\": %zu, \"line\": %zu}", p->byte, p->line);
    }
    cli_puts(ty->nunseen ? "\n]" : "]");
}

static void write_json_table(const cli_text *t, const tally *ty)
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
    cli_puts(v->size ? "\n], " : "], ");
    json_unseen(t, ty);
    cli_puts("}\n");
}

/* ---- ids ---- */
/* Writes the id of every character: separated by spaces, a line break after the id of each
 * line break (so ids keep the lines of the text), '?' for a character the vocabulary lacks.
 * With json, {"ids": [...], "unseen": [...]} with null for those. */
static void write_ids(const cli_text *t, const tally *ty, int json)
{
    int line_start = 1; /* nothing written yet on this line of ids */
    if (json) cli_puts("{\"ids\": [");
    for (size_t i = 0; i < t->len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(t->bytes + i, t->len - i, &cp);
        int32_t id = cr_vocab_id(ty->v, cp);
        char num[16];
        if (id >= 0) snprintf(num, sizeof num, "%u", (unsigned)id);
        else strcpy(num, json ? "null" : "?");
        if (json && i > 0) cli_puts(line_start ? ",\n" : ", ");
        else if (!json && !line_start) cli_puts(" ");
        cli_puts(num);
        if (!json && cp == '\n') cli_puts("\n");
        line_start = cp == '\n';
        i += k;
    }
    if (json) {
        cli_puts("], ");
        json_unseen(t, ty);
        cli_puts("}\n");
    } else if (!line_start) {
        cli_puts("\n");
    }
}

/* On standard error, after the ids: each character the model lacks, then a summary. */
static void report_unseen(const cli_text *t, const tally *ty, int json)
{
    for (size_t k = 0; k < ty->nunseen; k++) {
        char name[32];
        uint32_t j = ty->unseen[k];
        const place *p = &ty->first[k];
        const char *what = cli_char_name(ty->own.chars[j], name);
        const char *file = cli_file_name(t->names[p->file]);
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
    const char *name = cli_file_name(path);
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
    cli_set_prog("tokenize", argv[0]);
    cli_has_from_encoding = 1;
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    cr_model *m = NULL;
    if (o.from) m = cli_read_model(o.from, cli_file_name(o.from), NULL);
    const cr_vocab *model = m ? cr_model_vocab(m) : NULL;
    if (o.decode) {
        decode(&o, model);
        cli_close_stdout();
    } else {
        cli_text t;
        tally ty;
        cli_read_text(o.files, o.nfiles, &t, NULL, NULL);
        tally_text(&t, model, &ty);
        if (o.ids) write_ids(&t, &ty, o.json);
        else if (o.json) write_json_table(&t, &ty);
        else write_table(&t, &ty, m != NULL);
        cli_close_stdout();
        if (o.ids && ty.nunseen) report_unseen(&t, &ty, o.json);
        tally_free(&ty);
        cli_text_free(&t);
    }
    cr_model_free(m);
    return 0;
}
