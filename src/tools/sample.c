/* sample.c: sample, which generates text from a checkpoint, streaming it to standard output. */
#include "cli.h"
#include "common/show.h"
#include "sample_interact.h"

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
    "  sample -n 400 -t 0.8 --prime \"If you want to understand love\" bot.ckpt\n";

enum {
    O_TOPK = 256, O_TOPP, O_ARGMAX, O_PRIME, O_PRIMEFILE, O_STOP, O_SEED, O_LAST, O_THREADS,
    O_BF16, O_VERSION
};

static const struct option LONG_OPTS[] = {
    {"length", 1, 0, 'n'}, {"temperature", 1, 0, 't'}, {"top-k", 1, 0, O_TOPK},
    {"top-p", 1, 0, O_TOPP}, {"argmax", 0, 0, O_ARGMAX}, {"prime", 1, 0, O_PRIME},
    {"prime-file", 1, 0, O_PRIMEFILE}, {"stop", 1, 0, O_STOP}, {"seed", 1, 0, O_SEED},
    {"last", 0, 0, O_LAST}, {"threads", 1, 0, O_THREADS}, {"bf16", 0, 0, O_BF16},
    {"chat", 0, 0, O_CHAT}, {"choose", 1, 0, O_CHOOSE}, {"you", 1, 0, O_YOU},
    {"bot", 1, 0, O_BOT}, {"transcript", 1, 0, O_TRANSCRIPT},
    {"help", 0, 0, 'h'}, {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

typedef struct options {
    cr_sample_options so;
    long length;
    const char *prime, *prime_file, *stop, *ckpt;
    int seeded;
    sample_interact ia; /* --chat, --choose and their options */
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

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    cr_sample_options_default(&o->so);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->so.threads = cores > 1 ? (int)(cores > 256 ? 256 : cores) : 1;
    o->length = 500;
    int ch;
    opterr = 0; /* our own messages, in our own form */
    while ((ch = getopt_long(argc, argv, ":n:t:h", LONG_OPTS, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case 'n': o->length = cli_int("--length", a, 0, 1000000000); break;
        case 't': o->so.temperature = temperature(a); break;
        case O_TOPK: o->so.top_k = (int)cli_int("--top-k", a, 1, 2000000); break;
        case O_TOPP: o->so.top_p = cli_double("--top-p", a, 0, 1, 1); break;
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
    if (argc - optind > 1) cli_usage("one checkpoint at a time (got %d)", argc - optind);
    o->ckpt = optind < argc ? argv[optind] : "-";
    if (cli_is_stdin(o->ckpt) && isatty(0))
        cli_usage("no checkpoint: give CKPT, or pipe one into standard input");
    if (!o->seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        o->so.seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
                     ((uint64_t)getpid() << 32);
    }
}

/* Feeds the prime into the sampler and prints it; unknown characters are reported once each
 * and skipped. */
static void prime(cr_sampler *s, const cr_vocab *v, const char *what, const unsigned char *text,
                  size_t len)
{
    cli_require_utf8(what, text, len);
    uint32_t *reported = calloc(len + 1, sizeof *reported);
    size_t nrep = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(text + i, len - i, &cp);
        int32_t id = cr_vocab_id(v, cp);
        if (id >= 0) {
            cr_sampler_feed(s, (uint32_t)id);
        } else {
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
    cli_write(text, len);
}

int main(int argc, char **argv)
{
    cli_set_prog("sample", argv[0]);
    options o;
    parse_options(argc, argv, &o);
    if (o.ia.chat || o.ia.choose || o.ia.you || o.ia.bot || o.ia.transcript) {
        o.ia.prime = o.prime, o.ia.prime_file = o.prime_file, o.ia.stop = o.stop;
        o.ia.length = o.length;
        return sample_interact_run(&o.ia, &o.so, o.ckpt); /* sample_interact.c */
    }
    cli_quiet_on_closed_pipe();
    cr_model *m;
    cr_error err;
    const char *ck_name = cli_file_name(o.ckpt);
    m = cli_read_model(o.ckpt, ck_name, NULL);
    const cr_vocab *v = cr_model_vocab(m);
    if (o.so.top_k > (int)v->size) o.so.top_k = 0; /* larger than the vocabulary: no limit */
    cr_sampler *s;
    if (cr_sampler_new(m, &o.so, &s, &err)) cli_die_err(ck_name, &err);
    int tty = isatty(1);
    if (o.prime) prime(s, v, "--prime", (const unsigned char *)o.prime, strlen(o.prime));
    if (o.prime_file) {
        size_t len;
        unsigned char *t = cli_read_all(o.prime_file, &len);
        size_t n;
        unsigned char *u = cli_decode_text(o.prime_file, t, len, 0, &n); /* UTF-16 too */
        prime(s, v, o.prime_file, u, n);
        if (u != t) free(u);
        free(t);
    }
    size_t stop_len = o.stop ? strlen(o.stop) : 0, have = 0;
    char *tail = o.stop ? calloc(stop_len + 4, 1) : NULL; /* the last bytes generated */
    char last = 0;
    for (long i = 0; i < o.length; i++) {
        char buf[4];
        const char *text;
        size_t k = cr_vocab_text(v, cr_sampler_next(s), buf, &text);
        cli_write(text, k);
        if (k) last = text[k - 1];
        if (tty || (k && text[0] == '\n')) fflush(stdout);
        if (tail) {
            for (size_t j = 0; j < k; j++) {
                if (have == stop_len) memmove(tail, tail + 1, --have);
                tail[have++] = text[j];
            }
            if (have == stop_len && memcmp(tail, o.stop, stop_len) == 0) break;
        }
    }
    if (tty && last != '\n' && (o.length > 0 || o.prime || o.prime_file)) cli_write("\n", 1);
    free(tail);
    cr_sampler_free(s);
    cr_model_free(m);
    cli_close_stdout();
    return 0;
}
