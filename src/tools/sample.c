/* sample.c: sample, which generates text from a checkpoint, streaming it to standard output. */
#include "cli.h"
#include "common/show.h"
#include "sample/interact.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: sample [OPTION]... [CKPT]\n"
    "Generate text from a checkpoint (the file CKPT, or standard input) and stream it\n"
    "to standard output.\n"
    "\n"
    "  -n, --length N        characters to generate [500]\n"
    "  -t, --temperature X   above 1 wilder, below 1 safer [1.0]\n"
    "      --top-k K         draw only from the K likeliest characters\n"
    "      --top-p P         draw only from the likeliest characters whose\n"
    "                        probabilities add up to P (0 to 1)\n"
    "                        -t, --top-k and --top-p also take a list, such as\n"
    "                        -t 0.3,0.7,1.2: one labelled sample per value, from the\n"
    "                        same prime and seed (a list for one option at a time)\n"
    "      --argmax          always take the likeliest character (no randomness)\n"
    "      --prime TEXT      start from TEXT (printed first, then continued)\n"
    "      --prime-file FILE start from the text of FILE\n"
    "      --stop STRING     stop once STRING has been generated\n"
    "      --seed N          random seed; the same checkpoint, options and seed\n"
    "                        always give the same text [a new seed each run]\n"
    "      --last            use the latest weights, not the best by validation loss\n"
    "      --threads N       threads; the text does not depend on it [all cores]\n"
    "      --bf16            weights rounded to bfloat16: faster for large models,\n"
    "                        a slightly different text\n"
    "      --novel N         never copy more than N characters in a row from the\n"
    "                        corpus: a character that would is drawn again\n"
    "      --corpus FILE     the corpus for --novel; once per file\n"
    "      --chat            talk with the bot: each line you type is answered until\n"
    "                        a line break (or --stop, or -n characters)\n"
    "      --you TEXT, --bot TEXT  fed before each of your lines and each answer\n"
    "                        (--you \"Q: \" --bot \"A: \"), so the bot sees its format\n"
    "      --transcript FILE save the conversation to FILE after every answer\n"
    "      --choose N        write with the bot: pick one of N next words (1 to 9),\n"
    "                        or type your own; the text goes to standard output\n"
    "  -h, --help            show this help;  --version  show the version\n"
    "\n"
    "Example:\n"
    "  sample -n 400 -t 0.8 --prime \"If you want to understand love\" bot.ckpt\n"
    "  sample -n 200 -t 0.3,0.7,1.2 --seed 1 bot.ckpt\n"
    "  sample --novel 20 --corpus corpus.txt bot.ckpt\n";

enum {
    O_TOPK = 256, O_TOPP, O_ARGMAX, O_PRIME, O_PRIMEFILE, O_STOP, O_SEED, O_LAST, O_THREADS,
    O_BF16, O_NOVEL, O_CORPUS, O_VERSION
};

static const struct option LONG_OPTS[] = {
    {"length", 1, 0, 'n'}, {"temperature", 1, 0, 't'}, {"top-k", 1, 0, O_TOPK},
    {"top-p", 1, 0, O_TOPP}, {"argmax", 0, 0, O_ARGMAX}, {"prime", 1, 0, O_PRIME},
    {"prime-file", 1, 0, O_PRIMEFILE}, {"stop", 1, 0, O_STOP}, {"seed", 1, 0, O_SEED},
    {"last", 0, 0, O_LAST}, {"threads", 1, 0, O_THREADS}, {"bf16", 0, 0, O_BF16},
    {"novel", 1, 0, O_NOVEL}, {"corpus", 1, 0, O_CORPUS},
    {"chat", 0, 0, O_CHAT}, {"choose", 1, 0, O_CHOOSE}, {"you", 1, 0, O_YOU},
    {"bot", 1, 0, O_BOT}, {"transcript", 1, 0, O_TRANSCRIPT},
    {"help", 0, 0, 'h'}, {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

/* The values of -t, --top-k or --top-p given as a list: one sample each. */
enum { L_TEMPERATURE, L_TOPK, L_TOPP, L_KINDS };
static const char *const LIST_NAME[L_KINDS] = {"temperature", "top-k", "top-p"};
static const char *const LIST_OPTION[L_KINDS] = {"--temperature", "--top-k", "--top-p"};

typedef struct value_list {
    double *x;            /* (n) the values */
    char **text;          /* (n) as typed, for the labels */
    int n;
} value_list;

typedef struct options {
    cr_sample_options so;
    long length;
    const char *prime, *prime_file, *stop, *ckpt;
    int seeded;
    value_list list[L_KINDS];
    size_t novel;         /* the longest copy allowed, or 0 for no limit */
    const char **corpus;  /* (ncorpus) --corpus files */
    int ncorpus;
    sample_interact ia;   /* --chat, --choose and their options */
} options;

/* -t X: above 0; 0 itself means "always the likeliest", which is --argmax. */
static double temperature(const char *a)
{
    double t;
    if (cli_parse_double(a, 0, 0, 100, &t) == CLI_NUM_OK && t == 0)
        cli_usage("--temperature: 0 would always take the likeliest character: use --argmax "
                  "for that, or a small temperature such as 0.2");
    return cli_double("--temperature", a, 0, 1, 100);
}

static double one_value(int kind, const char *a)
{
    switch (kind) {
    case L_TEMPERATURE: return temperature(a);
    case L_TOPK: return (double)cli_int("--top-k", a, 1, 2000000);
    default: return cli_double("--top-p", a, 0, 1, 1);
    }
}

/* The value of -t, --top-k or --top-p: one, or a list separated by commas (kept in *l when it
 * has more than one); returns the first. */
static double values(int kind, const char *a, value_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->text[i]);
    free(l->x);
    free(l->text);
    memset(l, 0, sizeof *l);
    /* "1,5" is more likely a decimal comma than two values: its own message says so */
    size_t d1 = strspn(a, "0123456789"), d2 = a[d1] == ',' ? strspn(a + d1 + 1, "0123456789") : 0;
    int decimal_comma = kind != L_TOPK && d1 && d2 && !a[d1 + 1 + d2];
    if (!strchr(a, ',') || decimal_comma) return one_value(kind, a);
    size_t n = 1;
    for (const char *p = a; *p; p++)
        n += *p == ',';
    l->x = malloc(n * sizeof *l->x);
    l->text = calloc(n, sizeof *l->text);
    if (!l->x || !l->text) cli_die(NULL, "out of memory");
    for (const char *p = a;; p++) {
        size_t k = strcspn(p, ",");
        if (k == 0)
            cli_usage("%s: '%s': an empty value in the list; separate values with single "
                      "commas, such as 0.3,0.7,1.2", LIST_OPTION[kind], a);
        l->text[l->n] = strndup(p, k);
        if (!l->text[l->n]) cli_die(NULL, "out of memory");
        l->x[l->n] = one_value(kind, l->text[l->n]);
        l->n++;
        p += k;
        if (!*p) break;
    }
    return l->x[0];
}

/* A prime such as "-n" or "--seed" was probably meant as an option: say so (a prime that
 * really starts with a dash is fine; the warning does not stop anything). */
static int prime_like_option(const char *prime)
{
    if (prime[0] != '-' || !prime[1] || strchr(prime, ' ')) return 0;
    const char *name = prime + 1 + (prime[1] == '-');
    size_t n = strcspn(name, "=");
    int known = prime[1] != '-' && strchr("nth", name[0]) && !name[1];
    for (const struct option *op = LONG_OPTS; !known && op->name; op++)
        known = prime[1] == '-' && strlen(op->name) == n && strncmp(op->name, name, n) == 0;
    return known;
}

static void warn_prime_like_option(const char *prime)
{
    if (prime_like_option(prime))
        cli_warn("--prime '%s': the prime text looks like an option; if you meant the option, "
                 "--prime needs its text first (--prime \"Once upon a time\" %s ...)", prime,
                 prime);
}

/* What lists and --novel may be combined with. */
static void check_lists_and_novel(const options *o)
{
    int lists = 0, which = 0;
    for (int k = 0; k < L_KINDS; k++)
        if (o->list[k].n > 1) {
            lists++;
            which = k;
        }
    if (lists > 1)
        cli_usage("a list of values for one option at a time: -t, --top-k and --top-p were "
                  "given %d lists; keep one list and give the others one value", lists);
    if (lists && o->so.argmax)
        cli_usage("--argmax always takes the likeliest character, whatever the %s: a list of "
                  "%s values would give the same text each time", LIST_NAME[which],
                  LIST_NAME[which]);
    if (o->novel && !o->ncorpus)
        cli_usage("--novel %zu needs the corpus it must not copy: --corpus FILE (trace --ckpt "
                  "%s names the files the bot was trained on)", o->novel,
                  cli_is_stdin(o->ckpt) ? "CKPT" : o->ckpt);
    if (o->ncorpus && !o->novel)
        cli_usage("--corpus is for --novel N (the longest copy allowed); to see what a text "
                  "copies, use trace");
    int stdin_users = cli_is_stdin(o->ckpt) + (o->prime_file && cli_is_stdin(o->prime_file));
    for (int i = 0; i < o->ncorpus; i++)
        stdin_users += cli_is_stdin(o->corpus[i]);
    if (stdin_users > 1)
        cli_usage("standard input can hold only one of the checkpoint, the prime file and a "
                  "corpus");
}

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    cr_sample_options_default(&o->so);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->so.threads = cores > 1 ? (int)(cores > 256 ? 256 : cores) : 1;
    o->length = 500;
    o->corpus = calloc((size_t)argc, sizeof *o->corpus);
    if (!o->corpus) cli_die(NULL, "out of memory");
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":n:t:h", LONG_OPTS, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case 'n': o->length = cli_int("--length", a, 0, 1000000000); break;
        case 't': o->so.temperature = values(L_TEMPERATURE, a, &o->list[L_TEMPERATURE]); break;
        case O_TOPK: o->so.top_k = (int)values(L_TOPK, a, &o->list[L_TOPK]); break;
        case O_TOPP: o->so.top_p = values(L_TOPP, a, &o->list[L_TOPP]); break;
        case O_ARGMAX: o->so.argmax = 1; break;
        case O_PRIME: o->prime = a; break;
        case O_PRIMEFILE: o->prime_file = a; break;
        case O_STOP:
            if (!*a) cli_usage("--stop: the string is empty");
            o->stop = a;
            break;
        case O_SEED:
            o->so.seed = cli_u64("--seed", a);
            o->seeded = 1;
            break;
        case O_LAST: o->so.use_last = 1; break;
        case O_THREADS: o->so.threads = (int)cli_int("--threads", a, 1, 256); break;
        case O_BF16: o->so.bf16 = 1; break;
        case O_NOVEL: o->novel = (size_t)cli_int("--novel", a, 1, 1000000000); break;
        case O_CORPUS:
            if (!*a) cli_usage("--corpus: the file name is empty");
            o->corpus[o->ncorpus++] = a;
            break;
        case O_CHAT: case O_CHOOSE: case O_YOU: case O_BOT: case O_TRANSCRIPT:
            sample_interact_option(&o->ia, ch, a);
            break;
        case 'h': cli_help(USAGE);
        case O_VERSION: cli_version();
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (o->prime && o->prime_file) cli_usage("give --prime or --prime-file, not both");
    if (o->prime && argc - optind > 1 && prime_like_option(o->prime))
        cli_usage("--prime '%s': the prime text looks like an option, and '%s' was then taken "
                  "for a second checkpoint; give --prime its text first (--prime \"Once upon a "
                  "time\" %s ...)", o->prime, argv[optind], o->prime);
    if (o->prime) warn_prime_like_option(o->prime);
    if (argc - optind > 1 && o->ncorpus)
        cli_usage("one checkpoint at a time (got %d: %s ...); for several corpus files, give "
                  "--corpus before each (--corpus a.txt --corpus b.txt)", argc - optind,
                  argv[optind]);
    if (argc - optind > 1) cli_usage("one checkpoint at a time (got %d)", argc - optind);
    o->ckpt = optind < argc ? argv[optind] : "-";
    if (cli_is_stdin(o->ckpt) && isatty(0))
        cli_usage("no checkpoint: give CKPT, or pipe one into standard input");
    check_lists_and_novel(o);
    if (!o->seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        o->so.seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
                     ((uint64_t)getpid() << 32);
    }
}

/* The prime: its text, read and checked once, fed before each sample. */
typedef struct prime_text {
    unsigned char *text;  /* UTF-8 (len), or NULL for none */
    size_t len;
    unsigned char *own;   /* what to free */
} prime_text;

/* Reports each character of the prime the model does not know, once; they are skipped. */
static void check_prime(const cr_vocab *v, const char *what, const unsigned char *text, size_t len)
{
    cli_require_utf8(what, text, len);
    uint32_t *reported = calloc(len + 1, sizeof *reported);
    size_t nrep = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(text + i, len - i, &cp);
        if (cr_vocab_id(v, cp) < 0) {
            size_t j = 0;
            while (j < nrep && reported[j] != cp)
                j++;
            if (j == nrep && reported) {
                char name[32];
                reported[nrep++] = cp;
                cli_warn("%s: %s is not in the model's vocabulary; skipped", what,
                         cli_char_name(cp, name));
            }
        }
        i += k;
    }
    free(reported);
}

static void read_prime(const options *o, const cr_vocab *v, prime_text *p)
{
    memset(p, 0, sizeof *p);
    if (o->prime) {
        p->text = (unsigned char *)o->prime;
        p->len = strlen(o->prime);
        check_prime(v, "--prime", p->text, p->len);
    } else if (o->prime_file) {
        size_t len;
        unsigned char *t = cli_read_all(o->prime_file, &len);
        p->text = cli_decode_text(o->prime_file, t, len, 0, &p->len); /* UTF-16 too */
        if (p->text != t) free(t);
        p->own = p->text;
        check_prime(v, o->prime_file, p->text, p->len);
    }
}

/* Feeds the prime into the sampler (and the novelty filter: all of it, known or not, since it is
 * written out) and prints it. */
static void feed_prime(cr_sampler *s, cr_novel *g, const cr_vocab *v, const prime_text *p)
{
    for (size_t i = 0; i < p->len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(p->text + i, p->len - i, &cp);
        int32_t id = cr_vocab_id(v, cp);
        if (id >= 0) cr_sampler_feed(s, (uint32_t)id);
        if (g) cr_novel_feed_cp(g, cp);
        i += k;
    }
    cli_write(p->text, p->len);
}

/* --novel's corpus: the files read, checked, indexed. */
static cr_corpus_index *read_corpus(const options *o, unsigned char ***bytes)
{
    cr_corpus_file *cf = calloc((size_t)o->ncorpus, sizeof *cf);
    *bytes = calloc((size_t)o->ncorpus, sizeof **bytes);
    if (!cf || !*bytes) cli_die(NULL, "out of memory");
    for (int i = 0; i < o->ncorpus; i++) {
        size_t len, n;
        unsigned char *b = cli_read_all(o->corpus[i], &len);
        /* names a checkpoint or a PDF given by mistake; reads UTF-16 too */
        (*bytes)[i] = cli_decode_text(o->corpus[i], b, len, 0, &n);
        if ((*bytes)[i] != b) free(b);
        cf[i] = (cr_corpus_file){cli_file_name(o->corpus[i]), (*bytes)[i], n};
    }
    cr_corpus_index *ix;
    cr_error err;
    if (cr_corpus_index_build(cf, (size_t)o->ncorpus, &ix, &err))
        cli_die_err(o->ncorpus == 1 ? cli_file_name(o->corpus[0]) : NULL, &err);
    free(cf);
    return ix;
}

/* One sample's labels: before it (when it is one of a list) and in its messages. */
typedef struct label {
    const char *name, *value; /* "temperature", "0.7"; NULL name: not one of a list */
} label;

static void write_label(const label *l, int first, int tty)
{
    if (!l->name) return;
    if (tty) {
        int bold = !getenv("NO_COLOR");
        cli_printf("%s%s%s %s%s\n", first ? "" : "\n", bold ? "\033[1m" : "", l->name, l->value,
                   bold ? "\033[0m" : "");
    } else {
        cli_printf("%s==> %s %s <==\n", first ? "" : "\n", l->name, l->value);
    }
}

static const char *chars(uint64_t n) { return n == 1 ? "character" : "characters"; }

/* --novel's report on standard error, after a sample: how often it drew again (refusals, at
 * places); and, when it had to stop, why. */
static void novel_report(const options *o, const cr_novel *g, const cr_corpus_index *ix,
                         const label *l, long written, long places, int blocked)
{
    cli_flush_stdout(); /* a terminal shows the text, then the report */
    char where[64] = "";
    if (l->name) snprintf(where, sizeof where, "%s %s: ", l->name, l->value);
    if (blocked) {
        cr_corpus_place at;
        char from[512] = "";
        if (cr_corpus_cursor_where(cr_novel_cursor(g), &at))
            snprintf(from, sizeof from, " (it is copying %s, line %llu)",
                     cr_corpus_index_name(ix, at.file), (unsigned long long)at.line);
        cli_warn("%s--novel %zu: stopped after %ld of %ld characters: every character the bot "
                 "could write next would copy more than %zu %s in a row%s; a larger --novel or "
                 "a higher temperature lets it go on", where, o->novel, written, o->length,
                 o->novel, chars(o->novel), from);
    }
    uint64_t r = cr_novel_refused(g);
    size_t longest = cr_novel_longest(g);
    if (r == 0)
        cli_warn("%s--novel %zu: nothing needed drawing again; the longest copy is %zu %s",
                 where, o->novel, longest, chars(longest));
    else
        cli_warn("%s--novel %zu: drew again %llu %s in %ld %s, so that no more than %zu %s in a "
                 "row copy the corpus; the longest copy is %zu %s", where, o->novel,
                 (unsigned long long)r, r == 1 ? "time" : "times", places,
                 places == 1 ? "place" : "places", o->novel, chars(o->novel), longest,
                 chars(longest));
}

/* One sample: a fresh sampler with options so, the prime, then the text, streamed. */
static void sample_one(const options *o, const cr_model *m, const char *ck_name,
                       cr_sample_options so, const prime_text *p, const cr_corpus_index *ix,
                       const label *l, int tty)
{
    const cr_vocab *v = cr_model_vocab(m);
    if (so.top_k > (int)v->size) so.top_k = 0; /* larger than the vocabulary: no limit */
    cr_error err;
    cr_sampler *s;
    if (cr_sampler_new(m, &so, &s, &err)) cli_die_err(ck_name, &err);
    cr_novel *g = NULL;
    if (ix && cr_novel_new(ix, v, o->novel, &g, &err)) cli_die_err(NULL, &err);
    feed_prime(s, g, v, p);
    size_t stop_len = o->stop ? strlen(o->stop) : 0, have = 0;
    char *tail = o->stop ? calloc(stop_len + 4, 1) : NULL; /* the last bytes generated */
    char last = p->len ? (char)p->text[p->len - 1] : 0;
    long i = 0, places = 0;
    int blocked = 0;
    for (; i < o->length; i++) {
        char buf[4];
        const char *text;
        uint32_t id;
        size_t refused = 0;
        if (!g) id = cr_sampler_next(s);
        else blocked = !cr_novel_next(g, s, &id, &refused);
        places += refused > 0;
        if (blocked) break;
        size_t k = cr_vocab_text(v, id, buf, &text);
        cli_write(text, k);
        if (k) last = text[k - 1];
        if (tty || (k && text[0] == '\n')) cli_flush_stdout();
        if (tail) {
            for (size_t j = 0; j < k; j++) {
                if (have == stop_len) memmove(tail, tail + 1, --have);
                tail[have++] = text[j];
            }
            if (have == stop_len && memcmp(tail, o->stop, stop_len) == 0) break;
        }
    }
    /* a terminal's prompt, or the next label, starts on a line of its own */
    if ((tty || l->name) && last != '\n' && (i > 0 || p->len)) cli_write("\n", 1);
    if (g) novel_report(o, g, ix, l, i, places, blocked);
    free(tail);
    cr_novel_free(g);
    cr_sampler_free(s);
}

int main(int argc, char **argv)
{
    cli_set_prog("sample", argv[0]);
    options o;
    parse_options(argc, argv, &o);
    if (o.ia.chat || o.ia.choose || o.ia.you || o.ia.bot || o.ia.transcript) {
        o.ia.prime = o.prime, o.ia.prime_file = o.prime_file, o.ia.stop = o.stop;
        o.ia.length = o.length;
        o.ia.novel = o.novel;
        for (int k = 0; k < L_KINDS; k++)
            o.ia.list = o.list[k].n > 1 ? LIST_OPTION[k] : o.ia.list;
        unsigned char **corpus_bytes = NULL;
        cr_corpus_index *ix = o.novel && o.ia.chat ? read_corpus(&o, &corpus_bytes) : NULL;
        o.ia.corpus = ix;
        int rc = sample_interact_run(&o.ia, &o.so, o.ckpt); /* sample/interact.c */
        for (int i = 0; i < o.ncorpus && corpus_bytes; i++)
            free(corpus_bytes[i]);
        free(corpus_bytes);
        cr_corpus_index_free(ix);
        free(o.corpus);
        return rc;
    }
    cli_quiet_on_closed_pipe();
    const char *ck_name = cli_file_name(o.ckpt);
    cr_model *m = cli_read_model(o.ckpt, ck_name, NULL);
    prime_text p;
    read_prime(&o, cr_model_vocab(m), &p);
    unsigned char **corpus_bytes = NULL;
    cr_corpus_index *ix = o.novel ? read_corpus(&o, &corpus_bytes) : NULL;
    int tty = isatty(1);
    int kind = 0;
    while (kind < L_KINDS && o.list[kind].n < 2)
        kind++;
    int n = kind < L_KINDS ? o.list[kind].n : 1;
    for (int k = 0; k < n; k++) {
        cr_sample_options so = o.so;
        label l = {NULL, NULL};
        if (kind < L_KINDS) {
            double x = o.list[kind].x[k];
            if (kind == L_TEMPERATURE) so.temperature = x;
            else if (kind == L_TOPK) so.top_k = (int)x;
            else so.top_p = x;
            l = (label){LIST_NAME[kind], o.list[kind].text[k]};
        }
        write_label(&l, k == 0, tty);
        sample_one(&o, m, ck_name, so, &p, ix, &l, tty);
    }
    for (int i = 0; i < o.ncorpus && corpus_bytes; i++)
        free(corpus_bytes[i]);
    free(corpus_bytes);
    cr_corpus_index_free(ix);
    free(p.own);
    for (int k = 0; k < L_KINDS; k++) {
        for (int i = 0; i < o.list[k].n; i++)
            free(o.list[k].text[i]);
        free(o.list[k].x);
        free(o.list[k].text);
    }
    free(o.corpus);
    cr_model_free(m);
    cli_close_stdout();
    return 0;
}
