/* train_charrnn.c: train-charrnn, which trains a character-level model on a corpus. */
#include "cli.h"
#include "common/show.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char USAGE[] =
    "Usage: train-charrnn [OPTION]... [FILE]...\n"
    "Train a character-level language model on the text of the FILEs (or standard\n"
    "input) and write a checkpoint to -o FILE, or to standard output if not a tty.\n"
    "\n"
    "Model ([chosen]: picked for the corpus's size and the budget, and printed):\n"
    "  --cell lstm|gru|rnn   recurrent cell [chosen: gru above 600,000 characters]\n"
    "  --layers N            stacked layers, 1 to 8 [chosen]\n"
    "  --hidden N            units per layer [chosen]\n"
    "  --embed N             learned embedding width; 0 = one-hot input [0]\n"
    "  --dropout X           dropout after each layer, 0 to 0.9 [chosen]\n"
    "  --weight-decay X      weights times 1 - lr x X each step, 0 to 1 [chosen]\n"
    "Training:\n"
    "  --seq-len N           characters of back-propagation through time [64]\n"
    "  --batch N             parallel stripes of the corpus [chosen]\n"
    "  --lr X                peak learning rate [chosen]\n"
    "  --lr-decay X          learning-rate factor per 1000 steps [0.9]\n"
    "  --warmup N            steps of learning-rate warm-up [chosen]\n"
    "  --anneal X            last share of the plan, rate falling to 0; 0 = off [0.3]\n"
    "  --optimizer adam|sgd  [adam]; sgd uses momentum 0.9\n"
    "  --clip X              maximum gradient norm; 0 = off [5]\n"
    "  --val-frac X          share of the corpus's end held out for validation [0.1]\n"
    "  --eval-every N        steps between validations [about 5% of the time, at most\n"
    "                        one epoch or 250 steps apart when that is cheap]\n"
    "  --seed N              random seed [1]\n"
    "  --threads N           threads [all cores]\n"
    "  --precision fp32|bf16 matrix products in float32, or on inputs rounded to\n"
    "                        bfloat16 [bf16 if the CPU has AVX-512 BF16, else fp32]\n"
    "The plan (the first limit to come wins; with none, --time 300, or with --resume\n"
    "the rest of the checkpoint's unfinished plan):\n"
    "  --time SECONDS        wall time of the plan (also 90s, 2m, 1h30m)\n"
    "  --steps N             optimizer steps in the plan\n"
    "  --epochs N            passes over the training split in the plan\n"
    "  --patience N          stop after N validations without improvement\n"
    "Files:\n"
    "  --from-encoding NAME  the FILEs' encoding if not UTF-8 (WINDOWS-1252, ...)\n"
    "  -o, --output FILE     write the checkpoint here, atomically (- = stdout)\n"
    "  --resume CKPT         continue training CKPT exactly where it stopped, saving\n"
    "                        back into it unless -o says otherwise; a budget given\n"
    "                        with it starts a new plan\n"
    "  --checkpoint-every S  also save every S seconds (needs -o)\n"
    "  --preview             show a line sampled from the weights at each validation\n"
    "                        (on a terminal also every 5 seconds, under the progress)\n"
    "  -q, --quiet           no progress on standard error\n"
    "  -h, --help            show this help;  --version  show the version\n"
    "\n"
    "Ctrl-C saves the checkpoint and stops; --resume with no budget then finishes the\n"
    "plan. Example:\n"
    "  train-charrnn --time 120 -o bot.ckpt corpus.txt && sample bot.ckpt\n";

enum {
    O_CELL = 256, O_LAYERS, O_HIDDEN, O_EMBED, O_DROPOUT, O_SEQ, O_BATCH, O_LR, O_DECAY,
    O_WARMUP, O_OPT, O_CLIP, O_VAL, O_EVAL, O_SEED, O_THREADS, O_TIME, O_STEPS, O_EPOCHS,
    O_PATIENCE, O_ANNEAL, O_RESUME, O_CKEVERY, O_ENCODING, O_PREVIEW, O_VERSION, O_PRECISION,
    O_WDECAY, O_LAST
};

static const struct option LONG_OPTS[] = {
    {"cell", 1, 0, O_CELL}, {"layers", 1, 0, O_LAYERS}, {"hidden", 1, 0, O_HIDDEN},
    {"embed", 1, 0, O_EMBED}, {"dropout", 1, 0, O_DROPOUT}, {"seq-len", 1, 0, O_SEQ},
    {"batch", 1, 0, O_BATCH}, {"lr", 1, 0, O_LR}, {"lr-decay", 1, 0, O_DECAY},
    {"warmup", 1, 0, O_WARMUP}, {"optimizer", 1, 0, O_OPT}, {"clip", 1, 0, O_CLIP},
    {"val-frac", 1, 0, O_VAL}, {"eval-every", 1, 0, O_EVAL}, {"seed", 1, 0, O_SEED},
    {"threads", 1, 0, O_THREADS}, {"time", 1, 0, O_TIME}, {"steps", 1, 0, O_STEPS},
    {"epochs", 1, 0, O_EPOCHS}, {"patience", 1, 0, O_PATIENCE}, {"anneal", 1, 0, O_ANNEAL},
    {"resume", 1, 0, O_RESUME}, {"checkpoint-every", 1, 0, O_CKEVERY}, {"output", 1, 0, 'o'},
    {"from-encoding", 1, 0, O_ENCODING}, {"preview", 0, 0, O_PREVIEW},
    {"precision", 1, 0, O_PRECISION}, {"weight-decay", 1, 0, O_WDECAY},
    {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};

typedef struct options {
    cr_config cfg;
    char given[O_LAST];     /* which options the command line set */
    const char *output, *resume;
    double time_limit, checkpoint_every;
    double anneal;          /* share of the plan, at its end, where the rate falls to 0 */
    uint64_t steps, epochs; /* the budget given; make_plan turns it into what this run has */
    long patience;
    int threads, quiet, preview;
    char chosen[300];       /* what the recipe chose, for announce; "" = nothing */
} options;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    if (stop_signal) { /* a second Ctrl-C: the last saved checkpoint stays as it was */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_signal = sig;
}

static int parse_choice(const char *opt, const char *s, const char *a, const char *b,
                        const char *c)
{
    if (strcmp(s, a) == 0) return 0;
    if (strcmp(s, b) == 0) return 1;
    if (c && strcmp(s, c) == 0) return 2;
    cli_usage("%s: '%s' is not one of %s, %s%s%s", opt, s, a, b, c ? ", " : "", c ? c : "");
}

/* A cell by its name in the library's table; the message lists the names as parse_choice does. */
static int parse_cell(const char *s)
{
    int cell = cr_cell_from_name(s);
    if (cell >= 0) return cell;
    char list[256] = "";
    for (int k = 0; k < CR_CELL_COUNT; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                 cr_cell_name(k));
    cli_usage("--cell: '%s' is not one of %s", s, list);
}

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    cr_config_default(&o->cfg);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cores > 0 ? (int)(cores > 256 ? 256 : cores) : 1;
    int ch;
    opterr = 0; /* our own messages, in our own form */
    cr_config *c = &o->cfg;
    while ((ch = getopt_long(argc, argv, ":o:qh", LONG_OPTS, NULL)) != -1) {
        const char *a = optarg;
        if (ch >= O_CELL && ch < O_LAST) o->given[ch] = 1;
        switch (ch) {
        case O_CELL: c->cell = parse_cell(a); break;
        case O_LAYERS: c->layers = (int)cli_int("--layers", a, 1, 8); break;
        case O_HIDDEN: c->hidden = (int)cli_int("--hidden", a, 1, 8192); break;
        case O_EMBED: c->embed = (int)cli_int("--embed", a, 0, 8192); break;
        case O_DROPOUT: c->dropout = cli_double("--dropout", a, 0, 0, 0.9); break;
        case O_WDECAY: c->weight_decay = cli_double("--weight-decay", a, 0, 0, 1); break;
        case O_SEQ: c->seq_len = (int)cli_int("--seq-len", a, 1, 100000); break;
        case O_BATCH: c->batch = (int)cli_int("--batch", a, 1, 100000); break;
        case O_LR: c->lr = cli_double("--lr", a, 0, 1, 10); break;
        case O_DECAY: c->lr_decay = cli_double("--lr-decay", a, 0, 1, 1); break;
        case O_WARMUP: c->warmup = (int)cli_int("--warmup", a, 0, 100000000); break;
        case O_OPT: c->optimizer = parse_choice("--optimizer", a, "adam", "sgd", NULL); break;
        case O_CLIP: c->clip = cli_double("--clip", a, 0, 0, 1e6); break;
        case O_VAL: c->val_frac = cli_double("--val-frac", a, 0, 0, 0.5); break;
        case O_EVAL: c->eval_every = (int)cli_int("--eval-every", a, 1, 100000000); break;
        case O_SEED: c->seed = cli_u64("--seed", a); break;
        case O_THREADS: o->threads = (int)cli_int("--threads", a, 1, 256); break;
        case O_TIME: o->time_limit = cli_seconds("--time", a, 0, 1e9); break;
        case O_STEPS: o->steps = (uint64_t)cli_int("--steps", a, 1, 2000000000); break;
        case O_EPOCHS: o->epochs = (uint64_t)cli_int("--epochs", a, 1, 1000000); break;
        case O_PATIENCE: o->patience = cli_int("--patience", a, 1, 1000000); break;
        case O_ANNEAL: o->anneal = cli_double("--anneal", a, 0, 0, 1); break;
        case O_RESUME: o->resume = a; break;
        case O_ENCODING: cli_from_encoding = a; break;
        case O_PREVIEW: o->preview = 1; break;
        case O_PRECISION:
            c->precision = parse_choice("--precision", a, "fp32", "bf16", NULL);
            break;
        case O_CKEVERY:
            o->checkpoint_every = cli_seconds("--checkpoint-every", a, 0, 1e9);
            break;
        case 'o': o->output = a; break;
        case 'q': o->quiet = 1; break;
        case 'h': cli_help(USAGE);
        case O_VERSION: cli_version();
        default: cli_bad_option(argc, argv, ch);
        }
    }
    if (!o->output && o->resume && cr_ckpt_is_folder(o->resume))
        cli_usage("--resume %s: an ml5.js model folder is not saved back into; give -o FILE",
                  o->resume);
    /* without -o, a resumed run writes back to the file it resumed */
    if (!o->output && o->resume && !cli_is_stdin(o->resume)) o->output = o->resume;
    if (o->output && strcmp(o->output, "-") == 0) o->output = NULL;
    if (o->checkpoint_every > 0 && !o->output) cli_usage("--checkpoint-every needs -o FILE");
}

/* ---- the corpus ---- */
typedef struct corpus {
    unsigned char *text;
    size_t len;
    cr_source *sources;
    size_t *starts;     /* (nsources) byte offset of each source in text */
    uint32_t n;
    int warned_crlf;    /* a file with CR LF line ends was named */
} corpus;

/* Each file, before it joins the corpus: no NUL byte in its text (binary data); the size and
 * SHA-256 of its bytes on disk, for the lineage. */
static void check_source(void *ctx, int i, const char *path, const unsigned char *b, size_t len,
                         const unsigned char *text, size_t n)
{
    corpus *cp = ctx;
    const unsigned char *nul = memchr(text, 0, n);
    if (nul)
        cli_die(cli_file_name(path), "a NUL byte at byte %zu: this looks like binary data, not "
                "text (clean --repair can remove stray control characters)",
                (size_t)(nul - text));
    const unsigned char *cr = memchr(text, '\r', n);
    if (cr && cr + 1 < text + n && cr[1] == '\n' && !cp->warned_crlf) { /* Windows line ends */
        cp->warned_crlf = 1;
        cli_warn("%s: the text has Windows line ends (CR LF); the bot will learn the CRs as "
                 "characters: 'clean %s > corpus.txt' makes them plain line ends",
                 cli_file_name(path), cli_is_stdin(path) ? "FILE" : path);
    }
    cr_source *s = &cp->sources[i];
    s->bytes = len;
    cr_sha256 h;
    cr_sha256_init(&h);
    cr_sha256_update(&h, b, len);
    cr_sha256_final(&h, s->sha256);
}

static void read_corpus(int nfiles, char **files, corpus *cp)
{
    files = cli_files_or_stdin(files, &nfiles,
                               "no corpus: give a FILE, or pipe text into standard input");
    cp->sources = calloc((size_t)nfiles, sizeof *cp->sources);
    if (!cp->sources) cli_die(NULL, "out of memory");
    for (int i = 0; i < nfiles; i++)
        cp->sources[i].name = files[i];
    cli_text t;
    cli_read_text(files, nfiles, &t, check_source, cp);
    cp->text = t.bytes;
    cp->len = t.len;
    cp->starts = t.starts;
    cp->n = (uint32_t)nfiles;
    if (cp->len == 0 && nfiles == 1 && cli_is_stdin(files[0]))
        cli_die(NULL, "no corpus: standard input was empty; give the corpus FILE after the "
                "options, as in 'train-charrnn --time 120 -o bot.ckpt corpus.txt' (the same "
                "when resuming)");
    if (cp->len == 0) cli_die(nfiles == 1 ? files[0] : NULL, "the corpus is empty");
}

/* The source holding byte offset of the concatenated text, and the offset inside it. */
static const char *where_in_corpus(const corpus *cp, size_t offset, size_t *local)
{
    uint32_t i = 0;
    while (i + 1 < cp->n && cp->starts[i + 1] <= offset)
        i++;
    *local = offset - cp->starts[i];
    return cli_file_name(cp->sources[i].name);
}

static const char *corpus_name(const corpus *cp)
{
    if (cp->n == 1) return cli_file_name(cp->sources[0].name);
    return "corpus";
}

/* ---- the lineage record ---- */
static char *command_line(int argc, char **argv)
{
    size_t cap = 16;
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *s = malloc(cap), *p = s;
    if (!s) cli_die(NULL, "out of memory");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != 0;
        for (const char *q = a; *q; q++)
            plain = plain && (strchr("-_./=:,+@%", *q) || (*q >= '0' && *q <= '9') ||
                              ((*q | 32) >= 'a' && (*q | 32) <= 'z'));
        if (i) *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *q = a; *q; q++) {
            if (*q == '\'') p += sprintf(p, "'\\''");
            else *p++ = *q;
        }
        *p++ = '\'';
    }
    *p = 0;
    return s;
}

/* The command that continues a stopped run: "train-charrnn --resume bot.ckpt corpus.txt", the
 * names quoted for a shell; the text from standard input is "< TEXT". Allocated. */
static char *resume_command(const char *ckpt, int nfiles, char **files)
{
    char **words = malloc(((size_t)nfiles + 3) * sizeof *words);
    if (!words) cli_die(NULL, "out of memory");
    words[0] = "train-charrnn";
    words[1] = "--resume";
    words[2] = (char *)ckpt;
    for (int i = 0; i < nfiles; i++)
        words[3 + i] = files[i];
    char *s = command_line(nfiles + 3, words);
    free(words);
    if (nfiles > 0) return s;
    char *t = malloc(strlen(s) + 8);
    if (!t) cli_die(NULL, "out of memory");
    sprintf(t, "%s < TEXT", s);
    free(s);
    return t;
}

/* ---- the model ---- */
/* An option that fixes the model's shape may be repeated when resuming (scripts keep one set
 * of options), but not changed: "--hidden 64, but the checkpoint has 48". */
static void check_fixed(const options *o, const cr_config *had)
{
    static const char *const OPTIMIZERS[] = {"adam", "sgd"};
    const cr_config *c = &o->cfg;
    char want[32], has[32];
    const char *name = NULL;
    if (o->given[O_CELL] && c->cell != had->cell) {
        name = "--cell";
        snprintf(want, sizeof want, "%s", cr_cell_name(c->cell));
        snprintf(has, sizeof has, "%s", cr_cell_name(had->cell));
    } else if (o->given[O_LAYERS] && c->layers != had->layers) {
        name = "--layers";
        snprintf(want, sizeof want, "%d", c->layers);
        snprintf(has, sizeof has, "%d", had->layers);
    } else if (o->given[O_HIDDEN] && c->hidden != had->hidden) {
        name = "--hidden";
        snprintf(want, sizeof want, "%d", c->hidden);
        snprintf(has, sizeof has, "%d", had->hidden);
    } else if (o->given[O_EMBED] && c->embed != had->embed) {
        name = "--embed";
        snprintf(want, sizeof want, "%d", c->embed);
        snprintf(has, sizeof has, "%d", had->embed);
    } else if (o->given[O_BATCH] && c->batch != had->batch) {
        name = "--batch";
        snprintf(want, sizeof want, "%d", c->batch);
        snprintf(has, sizeof has, "%d", had->batch);
    } else if (o->given[O_OPT] && c->optimizer != had->optimizer) {
        name = "--optimizer";
        snprintf(want, sizeof want, "%s", OPTIMIZERS[c->optimizer != 0]);
        snprintf(has, sizeof has, "%s", OPTIMIZERS[had->optimizer != 0]);
    } else if (o->given[O_SEED] && c->seed != had->seed) {
        name = "--seed";
        snprintf(want, sizeof want, "%llu", (unsigned long long)c->seed);
        snprintf(has, sizeof has, "%llu", (unsigned long long)had->seed);
    }
    if (name)
        cli_usage("%s %s, but the checkpoint %s has %s, and resuming cannot change it: leave "
                  "%s out, or train a new model without --resume", name, want, o->resume, has,
                  name);
}

/* Each step multiplies every weight by 1 - rate x decay: at 1 or more, none would be left. */
static void check_decay(const cr_config *c)
{
    if (c->lr * c->weight_decay >= 1)
        cli_usage("--weight-decay %g with a learning rate of %g would zero the weights at every "
                  "step (their product must be below 1); give a lower --weight-decay or --lr",
                  c->weight_decay, c->lr);
}

static cr_model *load_for_resume(const options *o, const corpus *cp)
{
    cr_error err;
    cr_model *m = cli_read_model(o->resume, o->resume, NULL);
    check_fixed(o, cr_model_config(m));
    cr_config c = *cr_model_config(m);
    if (o->given[O_DROPOUT]) c.dropout = o->cfg.dropout;
    if (o->given[O_SEQ]) c.seq_len = o->cfg.seq_len;
    if (o->given[O_LR]) c.lr = o->cfg.lr;
    if (o->given[O_DECAY]) c.lr_decay = o->cfg.lr_decay;
    if (o->given[O_WARMUP]) c.warmup = o->cfg.warmup;
    if (o->given[O_CLIP]) c.clip = o->cfg.clip;
    if (o->given[O_VAL]) c.val_frac = o->cfg.val_frac;
    if (o->given[O_EVAL]) c.eval_every = o->cfg.eval_every;
    if (o->given[O_PRECISION]) c.precision = o->cfg.precision;
    if (o->given[O_WDECAY]) c.weight_decay = o->cfg.weight_decay;
    check_decay(&c);
    if (cr_model_update_config(m, &c, &err)) cli_die_err(o->resume, &err);
    /* every character of the corpus must be one the model knows */
    const cr_vocab *v = cr_model_vocab(m);
    size_t first = cp->len, ndistinct = 0;
    uint32_t distinct[100]; /* the unknown characters met, up to 100 */
    for (size_t i = 0; i < cp->len;) {
        uint32_t ch;
        size_t k = cr_utf8_decode(cp->text + i, cp->len - i, &ch), j = 0;
        if (cr_vocab_id(v, ch) < 0) {
            if (first == cp->len) first = i;
            while (j < ndistinct && distinct[j] != ch)
                j++;
            if (j == ndistinct && ndistinct < 100) distinct[ndistinct++] = ch;
        }
        i += k;
    }
    if (first < cp->len) {
        char name[32], others[96] = "";
        size_t local, line = 1, col = 1;
        const char *file = where_in_corpus(cp, first, &local);
        for (size_t i = first - local; i < first; i++) { /* columns count characters */
            if (cp->text[i] == '\n') line++, col = 1;
            else if ((cp->text[i] & 0xC0) != 0x80) col++;
        }
        if (ndistinct > 1)
            snprintf(others, sizeof others, " (nor %s %s%zu other character%s of the corpus)",
                     ndistinct == 2 ? "is" : "are", ndistinct == 100 ? "at least " : "",
                     ndistinct - 1, ndistinct == 2 ? "" : "s");
        cli_die(file, "%s at line %zu, column %zu is not one of the %u characters %s knows%s; "
                "tokenize --from %s FILE lists them with their lines: replace or remove them, "
                "or start a new model", cli_char_name(distinct[0], name), line, col, v->size,
                o->resume, others, o->resume);
    }
    return m;
}

static cr_model *new_model(const options *o, const corpus *cp)
{
    cr_model *m;
    cr_error err;
    if (cr_model_new_from_text(&o->cfg, cp->text, cp->len, &m, &err))
        cli_die_err(corpus_name(cp), &err);
    double gb = 3.0 * 4 * (double)cr_model_param_count(m) / 1e9; /* weights, best, moments */
    if (gb >= 1)
        cli_warn("a model of %zu parameters: its checkpoint will take about %.1f GB and each "
                 "step a long time; bots on a laptop do well with --hidden 128 to 512",
                 cr_model_param_count(m), gb);
    return m;
}

/* ---- saving ---- */
/* Writes the checkpoint (to fd 1 when path is NULL) with Ctrl-C and SIGTERM held back, so that
 * a second press cannot interrupt the save half-way; they take effect when it is done. */
static int write_holding_signals(const cr_model *m, const char *path, cr_error *err)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    int rc = path ? cr_ckpt_write_file(m, path, err) : cr_ckpt_write_fd(m, 1, err);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void save(const options *o, const cr_model *m, int to_stdout)
{
    cr_error err;
    if (write_holding_signals(m, to_stdout ? NULL : o->output, &err) == CR_OK) return;
    if (to_stdout) cli_die("standard output", "cannot write the checkpoint: %s", err.message);
    cli_die(o->output, "cannot save the checkpoint: %s (the previous file, if any, is unchanged)",
            err.message);
}

/* A periodic save that fails is reported and tried again at the next period: the run goes on,
 * since its state is still in memory and the final save may yet succeed. */
static void save_periodically(const options *o, const cr_model *m, int tty)
{
    cr_error err;
    if (write_holding_signals(m, o->output, &err) == CR_OK) return;
    if (tty) fputs("\r\033[J", stderr); /* the progress and the preview below it */
    cli_warn("%s: could not save (%s); training goes on and will try again", o->output,
             err.message);
}

/* Before any work: -o must be somewhere a save can succeed (a mistyped folder would lose the
 * run), and must not be one of the corpus files (the checkpoint would replace the text). */
static void check_output(const options *o, char **files, int nfiles)
{
    struct stat out, in;
    if (stat(o->output, &out) == 0) {
        for (int i = 0; i < nfiles; i++)
            if (!cli_is_stdin(files[i]) && stat(files[i], &in) == 0 && in.st_dev == out.st_dev &&
                in.st_ino == out.st_ino)
                cli_usage("-o %s is one of the corpus files: saving would replace your text; "
                          "give the checkpoint another name, such as bot.ckpt", o->output);
        if (isatty(1) && fstat(1, &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            cli_usage("will not write a binary checkpoint to a terminal; give -o FILE or a pipe");
    }
    if (o->checkpoint_every > 0 && !cr_save_is_regular(o->output))
        cli_usage("--checkpoint-every needs -o to name a file, and %s is not one", o->output);
    cr_error err;
    if (cr_save_check(o->output, &err) != CR_OK)
        cli_die(o->output, "%s; nothing was trained", err.message);
}

/* ---- progress ---- */
typedef struct progress {
    int tty, quiet;
    double start, last_draw;
    uint64_t steps0;
    uint64_t spe;          /* steps per epoch */
    uint64_t pos0;         /* steps of its epoch the run started into (a resumed run) */
    double time_kept;      /* seconds of --time kept back for the closing validation */
    double last_val;
    int said_memorising;   /* the memorising notice was given */
    cr_plan plan;          /* what this run trains to (make_plan) */
    double spent0;         /* seconds of the plan used before this run */
    double f0;             /* the plan's share done when this run started */
    int old_plan_done;     /* resumed with no budget, the checkpoint's plan being finished */
    int preview;           /* --preview, and progress is shown */
    double last_preview;   /* when the preview line was last renewed */
    char preview_text[1024]; /* on a terminal: the line shown under the progress */
} progress;

static void clock_text(double s, char out[32])
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, 32, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(out, 32, "%ld:%02ld", t / 60, t % 60);
}

/* The share of the plan used, 0..1: the larger of the shares of its steps (--steps, or
 * --epochs counted in steps) and of its seconds, counting the time kept back for the closing
 * validation as used, so that the share reaches 1 when the run must stop. */
static double plan_fraction(const progress *p, const cr_train_progress *g, double elapsed)
{
    return cr_plan_fraction(&p->plan, g->step, p->spent0 + elapsed + p->time_kept);
}

static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    return 80;
}

/* The live progress line in at most cols columns (a line that wraps is not redrawn in place): as
 * the terminal narrows, the bar shortens, then the speed goes, then the validation loss, then
 * the epoch, and at last the line is cut. val NaN: none yet. */
static void live_line(char *out, size_t size, int cols, double epoch, double f, double loss,
                      double val, double cps, const char *left)
{
    for (int fit = 0;; fit++) { /* what is left out: 1 bar's half, 2 speed, 3 val, 4 epoch */
        int bar_w = fit ? 10 : 20;
        char bar[21];
        for (int i = 0; i < bar_w; i++)
            bar[i] = i < (int)(f * bar_w) ? '#' : '.';
        bar[bar_w] = 0;
        size_t n = fit < 4 ? (size_t)snprintf(out, size, "epoch %.2f ", epoch) : 0;
        if (n < size)
            n += (size_t)snprintf(out + n, size - n, "[%s] %3.0f%%  loss %.3f", bar, 100 * f,
                                  loss);
        if (!isnan(val) && fit < 3 && n < size)
            n += (size_t)snprintf(out + n, size - n, "  val %.3f", val);
        if (fit < 2 && n < size) n += (size_t)snprintf(out + n, size - n, "  %.0f chars/s", cps);
        if (n < size) n += (size_t)snprintf(out + n, size - n, "  %s left", left);
        if (n <= (size_t)cols && n < size) return;
        if (fit == 4) {
            out[cols > 0 && (size_t)cols < size ? (size_t)cols : size - 1] = 0;
            return;
        }
    }
}

static void show(progress *p, const cr_model *m, const cr_step_result *r,
                 int force)
{
    if (p->quiet) return;
    const cr_train_progress *g = cr_model_progress(m);
    double t = cr_clock_s(), elapsed = t - p->start;
    double epoch = (double)g->epoch + (double)g->epoch_pos / (double)p->spe;
    double cps = elapsed > 0 ? (double)(g->step - p->steps0) * cr_model_config(m)->seq_len *
                                   cr_model_config(m)->batch / elapsed : 0;
    if (r->evaluated && !isnan(r->val_loss)) p->last_val = r->val_loss;
    if (p->tty) {
        if (!force && t - p->last_draw < 0.1) return;
        p->last_draw = t;
        double f = plan_fraction(p, g, elapsed), df = f - p->f0; /* df: this run's share */
        char line[160], left[32];
        clock_text(df > 0.01 ? elapsed * (1 - f) / df : 0, left);
        live_line(line, sizeof line, terminal_columns() - 1, epoch, f, r->loss, p->last_val, cps,
                  df > 0.01 ? left : "?");
        fprintf(stderr, "\r\033[K%s", line);
        /* the preview on the line below, then back up to the progress line's start */
        if (p->preview_text[0]) fprintf(stderr, "\n\r\033[Kpreview: %s\033[A\r", p->preview_text);
        fflush(stderr);
    } else if (r->evaluated || force) {
        char el[32], val[64] = "";
        clock_text(elapsed, el);
        if (r->evaluated && !isnan(r->val_loss))
            snprintf(val, sizeof val, "  val %.4f (%.3f bits)%s", r->val_loss,
                     r->val_loss / log(2.0), r->improved ? " best" : "");
        fprintf(stderr, "step %llu  epoch %.2f  loss %.4f  lr %.2g%s  %.0f chars/s  %s\n",
                (unsigned long long)g->step, epoch, r->loss, r->lr, val, cps, el);
    }
}

/* Once a run: when the history shows the bot memorising its text, say so (over the live line
 * on a terminal, as a log line otherwise) and what to do. */
static void notice_memorising(const options *o, progress *p, const cr_model *m)
{
    const cr_history_row *rows;
    size_t n = cr_model_history(m, &rows);
    if (p->quiet || p->said_memorising || !cr_history_memorising(rows, n, 3)) return;
    p->said_memorising = 1;
    if (p->tty) fputs("\r\033[J", stderr);
    fprintf(stderr, "train-charrnn: the bot has started to learn the text by heart (the "
            "validation loss rose 3 times in a row while the training loss fell); the best "
            "weights, from step %llu, are kept.%s\n",
            (unsigned long long)cr_model_progress(m)->best_step,
            o->patience ? "" : " --patience 3 would stop such a run by itself");
}

/* Each time the validation loss jumps and training goes back to the best weights. */
static void notice_went_back(const progress *p, const cr_model *m, const cr_step_result *r)
{
    const cr_train_progress *g = cr_model_progress(m);
    if (p->quiet || !r->went_back) return;
    if (p->tty) fputs("\r\033[J", stderr);
    fprintf(stderr, "train-charrnn: at step %llu the validation loss jumped to %.3f (the best is "
            "%.3f): the model broke, and training goes on from its best weights, of step %llu; "
            "if this happens again, try a lower --lr (now %g)\n", (unsigned long long)g->step,
            r->val_loss, g->best_val, (unsigned long long)g->best_step, cr_model_config(m)->lr);
}

/* Clears the live lines (the progress, and the preview below it) on a terminal. */
static void end_line(const progress *p)
{
    if (p->tty && !p->quiet) fputs("\r\033[J", stderr);
}

/* ---- previews: the bot's text as it learns ---- */
#define PREVIEW_EVERY 5.0 /* seconds between previews on a terminal, besides validations */
#define PREVIEW_COLUMNS 72 /* a preview's width in a log */

/* A line of text sampled from the latest weights into out, at most cols columns wide, each
 * character shown as the tools show it (a line break as \n). The sampler has its own generator
 * (seeded with the model's seed, so that successive previews are the same draw from ever better
 * weights) and one thread: training goes on exactly as without it. 0, or -1 out of memory. */
static int preview_line(const cr_model *m, int cols, char *out, size_t cap)
{
    cr_sample_options so;
    cr_sample_options_default(&so);
    so.use_last = 1;
    so.threads = 1;
    so.seed = cr_model_config(m)->seed;
    cr_sampler *s;
    cr_error err;
    out[0] = 0;
    if (cr_sampler_new(m, &so, &s, &err) != CR_OK) return -1;
    size_t len = 0;
    int width = 0;
    for (int i = 0; i < 4 * cols && width < cols; i++) {
        char buf[4], shown[16];
        const char *text;
        size_t k = cr_vocab_text(cr_model_vocab(m), cr_sampler_next(s), buf, &text);
        for (size_t j = 0; j < k;) {
            uint32_t cp;
            j += cr_utf8_decode((const unsigned char *)text + j, k - j, &cp);
            int w = cp == ' ' ? 1 : cli_char_show(cp, shown);
            if (cp == ' ') strcpy(shown, " ");
            size_t n = strlen(shown);
            if (width + w > cols || len + n + 1 > cap) {
                width = cols;
                break;
            }
            memcpy(out + len, shown, n);
            len += n;
            width += w;
        }
    }
    out[len] = 0;
    cr_sampler_free(s);
    return 0;
}

/* After a step: in a log, a preview line after each validation's line; on a terminal, the line
 * under the progress renewed at each validation and every PREVIEW_EVERY seconds. */
static void preview(progress *p, const cr_model *m, int evaluated, int force)
{
    if (!p->preview) return;
    double now = cr_clock_s();
    if (!evaluated && !force && !(p->tty && now - p->last_preview >= PREVIEW_EVERY)) return;
    p->last_preview = now;
    char text[sizeof p->preview_text], head[64];
    int live = p->tty && !force; /* drawn by show() under the progress line */
    int n = snprintf(head, sizeof head, live ? "preview: " : "preview at step %llu: ",
                     (unsigned long long)cr_model_progress(m)->step);
    int cols = p->tty ? terminal_columns() - n - 1 : PREVIEW_COLUMNS; /* a margin: no wrap */
    if (cols < 10) cols = 10;
    if (preview_line(m, cols, text, sizeof text)) snprintf(text, sizeof text, "(out of memory)");
    if (live) memcpy(p->preview_text, text, sizeof text);
    else fprintf(stderr, "%s%s\n", head, text);
}

/* ---- the plan ---- */
#define DEFAULT_TIME CR_RECIPE_DEFAULT_SECONDS /* 300 s: a plan when no budget is given */
#define DEFAULT_ANNEAL 0.3  /* as good as any share tried at three minutes (docs/performance.md) */

/* The plan this run trains to: the rest of the checkpoint's own when resuming with no budget
 * (and its plan is not finished), else a new one from the budget given, or the default one,
 * starting now. The anneal is --anneal if given, else the checkpoint plan's, else the default.
 * Sets o's limits to what is left of the plan for this run. Returns 1 for a plan continued. */
static int make_plan(options *o, cr_model *m, progress *p)
{
    const cr_plan *old = cr_model_plan(m);
    uint64_t step = cr_model_progress(m)->step;
    cr_plan n = {0};
    int continued = 0;
    if (!o->time_limit && !o->steps && !o->epochs && old && old->start_step <= step &&
        !cr_plan_finished(old, step)) {
        n = *old;
        o->steps = n.steps ? n.steps - (step - n.start_step) : 0;
        o->time_limit = n.seconds > 0 ? n.seconds - n.spent_s : 0;
        continued = 1;
    } else {
        if (!o->time_limit && !o->steps && !o->epochs) {
            o->time_limit = DEFAULT_TIME;
            p->old_plan_done = old != NULL;
        }
        n.start_step = step;
        n.steps = o->steps;
        n.seconds = o->time_limit;
        n.anneal = old ? old->anneal : DEFAULT_ANNEAL;
        if (o->epochs) { /* counted in steps: they end at an epoch's end, also from inside one */
            uint64_t es = o->epochs * p->spe - p->pos0;
            if (!o->steps || es <= o->steps) {
                n.steps = es;
                n.epochs = o->epochs;
            }
        }
        o->steps = n.steps;
    }
    o->epochs = 0; /* the plan's steps count them */
    if (o->given[O_ANNEAL]) n.anneal = o->anneal;
    cr_error err;
    if (cr_model_set_plan(m, &n, &err)) cli_die_err(NULL, &err);
    p->plan = n;
    p->spent0 = n.spent_s;
    p->f0 = cr_plan_fraction(&n, step, n.spent_s);
    return continued;
}

/* Before a save: the plan's seconds used so far; all of them once the time limit is reached
 * (the rest was kept for the closing validation). */
static void record_plan_time(cr_model *m, const progress *p, int time_up)
{
    cr_plan n = p->plan;
    n.spent_s = time_up ? n.seconds : p->spent0 + (cr_clock_s() - p->start);
    cr_error err;
    if (cr_model_set_plan(m, &n, &err)) cli_die_err(NULL, &err);
}

/* The plan's budget in words: "5:00", "1000 steps", "2 epochs (1234 steps)", "5:00 or ...". */
static void plan_text(const cr_plan *pl, char *out, size_t cap)
{
    char t[32] = "";
    if (pl->seconds > 0) clock_text(pl->seconds, t);
    if (!pl->steps) snprintf(out, cap, "%s", t);
    else if (pl->epochs)
        snprintf(out, cap, "%s%s%llu epoch%s (%llu steps)", t, *t ? " or " : "",
                 (unsigned long long)pl->epochs, pl->epochs == 1 ? "" : "s",
                 (unsigned long long)pl->steps);
    else snprintf(out, cap, "%s%s%llu steps", t, *t ? " or " : "", (unsigned long long)pl->steps);
}

static void announce_plan(const options *o, const progress *p, int continued)
{
    if (o->quiet) return;
    char budget[128], fall[96] = "the learning rate stays up to the end (--anneal 0)";
    plan_text(&p->plan, budget, sizeof budget);
    if (p->plan.anneal > 0)
        snprintf(fall, sizeof fall, "the learning rate falls to 0 over its last %.0f%%",
                 100 * p->plan.anneal);
    if (!continued) {
        fprintf(stderr, "train-charrnn: the plan: %s%s; %s\n", budget, p->old_plan_done ?
                ", the default, as the checkpoint's plan is finished (--time, --steps or "
                "--epochs set another)" : "", fall);
        return;
    }
    char left[64], t[32];
    if (o->steps && o->time_limit > 0) {
        clock_text(o->time_limit, t);
        snprintf(left, sizeof left, "%llu steps or %s", (unsigned long long)o->steps, t);
    } else if (o->steps) snprintf(left, sizeof left, "%llu steps", (unsigned long long)o->steps);
    else clock_text(o->time_limit, left);
    fprintf(stderr, "train-charrnn: finishing the plan of %s: %d%% done, %s left; %s\n", budget,
            (int)(100 * p->f0), left, fall);
}

/* How many of the vocabulary's characters the corpus uses (every one of its characters is in
 * it: a resumed model's corpus is checked, a new model's vocabulary is made from it). */
static uint32_t characters_used(const corpus *cp, const cr_vocab *v)
{
    unsigned char *seen = calloc(v->size ? v->size : 1, 1);
    uint32_t n = 0;
    if (!seen) return v->size;
    for (size_t i = 0; i < cp->len;) {
        uint32_t ch;
        i += cr_utf8_decode(cp->text + i, cp->len - i, &ch);
        int32_t id = cr_vocab_id(v, ch);
        if (id >= 0 && !seen[id]) seen[id] = 1, n++;
    }
    free(seen);
    return n;
}

static void announce(const options *o, const cr_model *m, const cr_trainer *t, const corpus *cp)
{
    if (o->quiet) return;
    const cr_config *c = cr_model_config(m);
    const cr_train_progress *g = cr_model_progress(m);
    const cr_vocab *v = cr_model_vocab(m);
    uint32_t used = o->resume ? characters_used(cp, v) : v->size;
    char of[48] = "";
    if (used < v->size) snprintf(of, sizeof of, " (of the %u the model knows)", v->size);
    fprintf(stderr, "train-charrnn: %s: %zu training and %zu validation characters, %u "
            "distinct%s\n", corpus_name(cp), cr_trainer_train_chars(t), cr_trainer_val_chars(t),
            used, of);
    fprintf(stderr, "train-charrnn: %s %d x %d, %zu parameters; %llu steps per epoch of %d x %d "
            "characters; %d thread%s\n", cr_cell_name(c->cell), c->layers, c->hidden,
            cr_model_param_count(m), (unsigned long long)cr_trainer_steps_per_epoch(t), c->batch,
            c->seq_len, o->threads, o->threads == 1 ? "" : "s");
    if (o->resume)
        fprintf(stderr, "train-charrnn: resuming %s at step %llu\n", o->resume,
                (unsigned long long)g->step);
    if (*o->chosen)
        fprintf(stderr, "train-charrnn: %s (options given win)\n", o->chosen);
    if (c->precision == CR_BF16)
        fprintf(stderr, "train-charrnn: matrix products on inputs rounded to bfloat16%s\n",
                !cr_bf16_in_hardware() ? ", which this CPU can only round: --precision fp32 "
                                         "is faster here" :
                o->resume || o->given[O_PRECISION] ? "" :
                ", which this CPU multiplies fastest (--precision fp32 for float32)");
}

/* ---- the recipe: what the command line leaves out, chosen for the corpus and the budget ---- */
/* "121,589" */
static void grouped(uint64_t n, char out[32])
{
    char d[24];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)n), k = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) out[k++] = ',';
        out[k++] = d[i];
    }
    out[k] = 0;
}

/* A new model's --cell, --layers, --hidden, --batch, --dropout, --weight-decay, --lr, --warmup
 * and --precision, where not given, from cr_recipe_for; the batch shrinks to what the corpus
 * holds. Notes the choice for announce. */
static void choose_recipe(options *o, const corpus *cp)
{
    cr_config *c = &o->cfg;
    uint64_t nchars = cr_utf8_count(cp->text, cp->len);
    double seconds = o->time_limit > 0 ? o->time_limit : o->steps || o->epochs ? 0 : DEFAULT_TIME;
    cr_recipe r;
    cr_recipe_for_cell(nchars, seconds, o->given[O_CELL] ? c->cell : -1, &r);
    char parts[200] = "";
    size_t k = 0;
#define PART(...) k += (size_t)snprintf(parts + k, sizeof parts - k, __VA_ARGS__)
    if (!o->given[O_CELL]) {
        c->cell = r.cell;
        PART("%s ", cr_cell_name(c->cell));
    }
    if (!o->given[O_CELL] || !o->given[O_LAYERS] || !o->given[O_HIDDEN]) {
        if (!o->given[O_LAYERS]) c->layers = r.layers;
        if (!o->given[O_HIDDEN]) c->hidden = r.hidden;
        PART("%d x %d", c->layers, c->hidden);
    }
    if (!o->given[O_BATCH]) {
        int fits = cr_max_batch_for(nchars, c->val_frac, c->seq_len);
        c->batch = r.batch < fits ? r.batch : fits > 0 ? fits : 1;
        PART("%sbatch %d", k ? ", " : "", c->batch);
        if (c->batch < r.batch && fits > 0) { /* none fitting: the trainer says why, and stops */
            char n[32];
            grouped(nchars, n);
            cli_warn("%s: %s characters hold a batch of %d, not %d; a bot needs text to learn "
                     "from: about 50 KB (some 10,000 words) gives it a voice of its own",
                     corpus_name(cp), n, c->batch, r.batch);
        }
    }
    if (!o->given[O_DROPOUT]) {
        c->dropout = r.dropout;
        PART("%sdropout %g", k ? ", " : "", c->dropout);
    }
    if (!o->given[O_WDECAY]) {
        c->weight_decay = r.weight_decay;
        PART("%sweight decay %g", k ? ", " : "", c->weight_decay);
    }
    if (!o->given[O_LR]) {
        c->lr = r.lr;
        PART("%slearning rate %g", k ? ", " : "", c->lr);
    }
#undef PART
    if (!o->given[O_WARMUP]) c->warmup = r.warmup;
    if (!o->given[O_PRECISION]) c->precision = r.precision;
    if (!k) return;
    char size[32], t[32];
    grouped(nchars, size);
    clock_text(seconds > 0 ? seconds : CR_RECIPE_DEFAULT_SECONDS, t);
    snprintf(o->chosen, sizeof o->chosen, "%s: chosen for %s characters and %s%s", parts, size,
             seconds > 0 ? "" : o->epochs ? "a plan in epochs, taken as " :
                                            "a plan in steps, taken as ", t);
}

static void finish_message(const options *o, const cr_model *m, int to_stdout, const char *why)
{
    if (o->quiet) return;
    const cr_train_progress *g = cr_model_progress(m);
    char el[32];
    clock_text(g->wall_s, el);
    fprintf(stderr, "train-charrnn: %s after %llu step%s (%s of training in all)", why,
            (unsigned long long)g->step, g->step == 1 ? "" : "s", el);
    if (!isnan(g->best_val))
        fprintf(stderr, "; best validation loss %.4f nats (%.3f bits) per character at step %llu",
                g->best_val, g->best_val / log(2.0), (unsigned long long)g->best_step);
    fprintf(stderr, "\ntrain-charrnn: saved %s\n", to_stdout ? "to standard output" : o->output);
}

int main(int argc, char **argv)
{
    cli_set_prog("train-charrnn", argv[0]);
    cli_has_from_encoding = 1;
    options o;
    parse_options(argc, argv, &o);
    cli_quiet_on_closed_pipe();
    int to_stdout = !o.output;
    if (to_stdout && isatty(1))
        cli_usage("will not write a binary checkpoint to a terminal; give -o FILE or a pipe");
    if (o.output) check_output(&o, argv + optind, argc - optind);
    corpus cp = {0};
    read_corpus(argc - optind, argv + optind, &cp);
    if (!o.resume) {
        choose_recipe(&o, &cp);
        check_decay(&o.cfg);
    }
    cr_model *m = o.resume ? load_for_resume(&o, &cp) : new_model(&o, &cp);

    cr_error err;
    char date[32], *cmd = command_line(argc, argv);
    cr_utc_date(date);
    if (cr_model_add_session(m, cmd, CR_VERSION, date, cp.sources, cp.n, &err))
        cli_die_err(NULL, &err);
    free(cmd);
    cr_trainer *t;
    cr_train_progress before = *cr_model_progress(m); /* the best, if another text's */
    int rc = cr_trainer_new(m, cp.text, cp.len, o.threads, &t, &err);
    if (rc == CR_EVOCAB || rc == CR_EUTF8) {
        size_t local;
        const char *file = where_in_corpus(&cp, (size_t)err.offset, &local);
        cli_die(file, "%s", err.message);
    }
    if (rc == CR_ESMALL) /* the library says what would fit; the person needs more than that */
        cli_die(corpus_name(&cp), "%s. A bot needs text to learn from: about 50 KB (some 10,000 "
                "words, a short book) gives it a voice of its own, and a few pages only a "
                "murmur; this corpus has %zu bytes", err.message, cp.len);
    if (rc) cli_die_err(corpus_name(&cp), &err);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    progress p = {.tty = isatty(2), .quiet = o.quiet, .start = cr_clock_s(),
                  .steps0 = cr_model_progress(m)->step, .spe = cr_trainer_steps_per_epoch(t),
                  .last_val = NAN, .preview = o.preview && !o.quiet};
    p.last_preview = p.start;
    /* a position past the epoch's end (a shorter corpus) restarts at 0: see cr_trainer_step */
    p.pos0 = cr_model_progress(m)->epoch_pos < p.spe ? cr_model_progress(m)->epoch_pos : 0;
    int continued = make_plan(&o, m, &p);
    announce(&o, m, t, &cp);
    if (!o.quiet && cr_model_corpus_changed(m) && !isnan(before.best_val))
        fprintf(stderr, "train-charrnn: a different text from the last run's: its best weights "
                "(%.4f at step %llu) were validated on that one, so the best will now be this "
                "text's%s%s%s\n", before.best_val, (unsigned long long)before.best_step,
                o.output && !strcmp(o.output, o.resume) ? "; the result replaces " : "",
                o.output && !strcmp(o.output, o.resume) ? o.output : "",
                o.output && !strcmp(o.output, o.resume) ? " (-o NEW.ckpt would keep it)" : "");
    announce_plan(&o, &p, continued);
    const cr_train_progress *g = cr_model_progress(m);
    double last_save = p.start;
    const char *why = "stopped";
    cr_step_result r = {.val_loss = NAN};
    int evaluated_last = 1, time_up = 0;
    for (;;) { /* a plan complete when a signal comes is told as complete, not interrupted */
        double elapsed = cr_clock_s() - p.start;
        if (o.steps && g->step - p.steps0 >= o.steps) {
            why = p.plan.epochs ? "epoch limit reached" : "step limit reached";
            break;
        }
        if (o.time_limit && elapsed + p.time_kept >= o.time_limit) {
            why = "time limit reached";
            time_up = 1;
            break;
        }
        if (stop_signal) {
            why = stop_signal == SIGINT ? "interrupted" : "terminated";
            break;
        }
        cr_trainer_set_lr_scale(t, cr_plan_lr_scale(&p.plan, plan_fraction(&p, g, elapsed)));
        rc = cr_trainer_step(t, &r, &err);
        if (rc == CR_EDIVERGED) {
            end_line(&p);
            record_plan_time(m, &p, 0);
            if (!to_stdout) save(&o, m, 0);
            cli_die(NULL, "%s; %s", err.message, to_stdout ? "no checkpoint written"
                    : "the checkpoint holds the last good state");
        }
        if (rc) cli_die_err(NULL, &err);
        /* the last step that validated took this long: kept back for the closing validation */
        if (r.evaluated) p.time_kept = cr_clock_s() - p.start - elapsed;
        evaluated_last = r.evaluated;
        show(&p, m, &r, 0);
        preview(&p, m, r.evaluated, 0);
        notice_went_back(&p, m, &r);
        if (r.evaluated) notice_memorising(&o, &p, m);
        if (r.evaluated && o.patience && g->evals_since_best >= (uint32_t)o.patience) {
            why = "no improvement (patience)";
            break;
        }
        if (o.checkpoint_every && cr_clock_s() - last_save >= o.checkpoint_every) {
            record_plan_time(m, &p, 0);
            save_periodically(&o, m, p.tty && !p.quiet);
            last_save = cr_clock_s();
        }
    }
    if (!evaluated_last) { /* the best weights and the history include the last step */
        rc = cr_trainer_evaluate(t, &r.val_loss, &r.improved, &err);
        if (rc) cli_die_err(NULL, &err);
        r.evaluated = 1;
        show(&p, m, &r, 1);
        if (!p.tty) preview(&p, m, 1, 0);
    }
    end_line(&p);
    if (p.tty) preview(&p, m, 1, 1); /* the last one, as a line that stays */
    record_plan_time(m, &p, time_up);
    save(&o, m, to_stdout);
    finish_message(&o, m, to_stdout, why);
    if (stop_signal && !o.quiet && !to_stdout) {
        char *again = resume_command(o.output, argc - optind, argv + optind);
        fprintf(stderr, "train-charrnn: continue with: %s%s\n", again,
                cr_plan_finished(cr_model_plan(m), g->step) ? "" : " (with no --time, --steps or "
                "--epochs, it finishes this plan)");
        free(again);
    }
    int sig = stop_signal;
    cr_trainer_free(t);
    cr_model_free(m);
    free(cp.text);
    free(cp.sources);
    free(cp.starts);
    if (to_stdout) cli_close_stdout();
    return sig ? 128 + sig : 0;
}
