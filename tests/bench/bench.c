/* bench.c: speed measurements of libcharrnn for make bench: training, its phases and matrix
 * products, sampling, the machine's FMA peak, and trace's corpus index. Each measurement
 * is printed as one line of key=value pairs (tests/bench/run.sh reads them). */
#include "internal.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: bench train    [SHAPE] [--threads N] [--steps N] [--warmup N] CORPUS\n"
    "       bench phases   [SHAPE] [--threads N] [--steps N] [--warmup N] CORPUS\n"
    "       bench products [SHAPE] [--threads N] [--precision fp32|bf16] CORPUS\n"
    "       bench sample   [SHAPE] [--chars N] [--threads N] [--bf16] [--novel N] CORPUS\n"
    "       bench score    [SHAPE] [--chars N] [--threads N] CORPUS\n"
    "       bench peak     [--threads N] [--kind generic|avx2|avx512]\n"
    "       bench trace    CORPUS\n"
    "SHAPE: --cell lstm|gru|rnn --layers N --hidden N --embed N --batch N --seq-len N\n"
    "       train, phases and products also take --precision fp32|bf16 (training products\n"
    "       on inputs rounded to bfloat16) [fp32]\n"
    "       (defaults: the library's, lstm 2 x 256, one-hot input, batch 32, seq-len 64)\n"
    "Each measurement is one line of key=value pairs on standard output:\n"
    "  train    training characters per second over --steps steps after --warmup steps,\n"
    "           GFLOP/s by our own count and PyTorch's, peak RSS, the matrix kernel\n"
    "  phases   the same steps timed by phase: forward, backward, gradient norm, optimizer,\n"
    "           weight packing\n"
    "  products each matrix product of a training step and of sampling a character, timed\n"
    "           alone (one line each, then a total)\n"
    "  sample   batch-1 sampling characters per second (random weights, corpus vocabulary),\n"
    "           with --bf16 from weights rounded to bfloat16, with --novel N through the\n"
    "           filter that copies no more than N characters of the corpus in a row\n"
    "  score    characters per second scoring the corpus's first --chars characters (the\n"
    "           score tool's reading: --batch streams, --seq-len per pass, 256 warm-up)\n"
    "  peak     GFLOP/s of independent fused multiply-add chains on N threads\n"
    "  trace    the corpus index (trace): building it over 5 MB made of CORPUS, matching\n"
    "           100,000 characters, saving and reading it back; one thread, best of 3\n";

/* ---- small helpers ---- */

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static _Noreturn void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'bench --help'.\n", stderr);
    va_end(ap);
    exit(2);
}

/* A whole-string integer in [min, max]; anything else is a usage error naming the option. */
static long parse_int(const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        bad_usage("%s wants a whole number from %ld to %ld, not '%s'", opt, min, max, s);
    return v;
}

/* User plus system CPU seconds of the whole process, all threads. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* CPU seconds every process on the machine has used (Linux /proc/stat: user, nice, system,
 * irq, softirq, steal); -1 where there is no /proc. Minus our own, it tells how busy the
 * machine was with other work while we measured. */
static double machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (n != 8 || hz <= 0) return -1;
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

/* Other processes' average CPU use (in CPUs) over an interval of dt seconds, or -1. */
static double others_cpu(double busy0, double busy1, double our_cpu, double dt)
{
    if (busy0 < 0 || busy1 < 0 || dt <= 0) return -1;
    double o = (busy1 - busy0 - our_cpu) / dt;
    return o < 0 ? 0 : o;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* kilobytes on Linux */
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("%s: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) die("%s: out of memory", path);
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    if (ferror(f)) die("%s: read error", path);
    fclose(f);
    *len = n;
    return buf;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > 256 ? 256 : n) : 1;
}

/* ---- floating-point operations per character ----
 * Matrix work only, 2 FLOPs per multiply-add; the gate nonlinearities, softmax and optimizer
 * are not counted. G = gates * H. Ours, forward: per layer the input projection In x G (none
 * for one-hot layer 0, a gather), the recurrent H x G, and the output H x V. Backward: twice
 * the forward products (input gradient and weight gradient of each), but one-hot layer 0
 * needs no input gradient and its weight gradient is a scatter. PyTorch's conventional count
 * multiplies the one-hot input as a dense (V x G) product and takes backward as 2 x forward. */
typedef struct flop_count {
    double fwd;        /* ours, forward only (sampling) */
    double bwd;        /* ours, backward */
    double train;      /* ours, forward + backward */
    double torch;      /* PyTorch's count of a training character */
} flop_count;

static flop_count count_flops(const cr_config *c, uint32_t V)
{
    double H = c->hidden, G = (double)cr_gates_per_cell(c->cell) * H, E = c->embed;
    double fwd = 0, bwd = 0, tfwd = 0;
    for (int l = 0; l < c->layers; l++) {
        double in = l ? H : E > 0 ? E : (double)V;
        double rec = H * G, inp = (l == 0 && E == 0) ? 0 : in * G;
        fwd += rec + inp;
        bwd += 2 * rec + 2 * inp;
        tfwd += rec + in * G;
    }
    fwd += H * V;
    bwd += 2 * H * V;
    tfwd += H * V;
    flop_count f = {2 * fwd, 2 * bwd, 2 * (fwd + bwd), 2 * 3 * tfwd};
    return f;
}

/* ---- options ---- */
typedef struct opts {
    cr_config cfg;
    int threads, steps, warmup, chars;
    int kind;          /* peak: -1 = the widest this CPU runs */
    int bf16;          /* sample: bfloat16 weights */
    int novel;         /* sample: --novel N over the corpus, 0 off */
    const char *corpus;
} opts;

enum { O_CELL = 256, O_LAYERS, O_HIDDEN, O_EMBED, O_BATCH, O_SEQ, O_THREADS, O_STEPS, O_WARMUP,
       O_CHARS, O_KIND, O_BF16, O_NOVEL, O_PRECISION, O_HELP };

static void parse_opts(int argc, char **argv, opts *o, int need_corpus)
{
    static const struct option longs[] = {
        {"cell", 1, 0, O_CELL}, {"layers", 1, 0, O_LAYERS}, {"hidden", 1, 0, O_HIDDEN},
        {"embed", 1, 0, O_EMBED}, {"batch", 1, 0, O_BATCH}, {"seq-len", 1, 0, O_SEQ},
        {"threads", 1, 0, O_THREADS}, {"steps", 1, 0, O_STEPS}, {"warmup", 1, 0, O_WARMUP},
        {"chars", 1, 0, O_CHARS}, {"kind", 1, 0, O_KIND},
        {"bf16", 0, 0, O_BF16}, {"novel", 1, 0, O_NOVEL}, {"precision", 1, 0, O_PRECISION},
        {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    cr_config_default(&o->cfg);
    o->cfg.eval_every = 100000000; /* no evaluation inside the timed steps */
    o->threads = 1;
    o->steps = 20;
    o->warmup = 2;
    o->chars = 20000;
    o->kind = -1;
    o->bf16 = 0;
    o->novel = 0;
    o->corpus = NULL;
    opterr = 0;
    optind = 2; /* after the subcommand */
    int ch;
    while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case O_CELL:
            if (!strcmp(a, "lstm")) o->cfg.cell = CR_LSTM;
            else if (!strcmp(a, "gru")) o->cfg.cell = CR_GRU;
            else if (!strcmp(a, "rnn")) o->cfg.cell = CR_RNN;
            else bad_usage("--cell wants lstm, gru or rnn, not '%s'", a);
            break;
        case O_LAYERS: o->cfg.layers = (int)parse_int("--layers", a, 1, CR_MAX_LAYERS); break;
        case O_HIDDEN: o->cfg.hidden = (int)parse_int("--hidden", a, 1, 8192); break;
        case O_EMBED: o->cfg.embed = (int)parse_int("--embed", a, 0, 8192); break;
        case O_BATCH: o->cfg.batch = (int)parse_int("--batch", a, 1, 100000); break;
        case O_SEQ: o->cfg.seq_len = (int)parse_int("--seq-len", a, 1, 100000); break;
        case O_THREADS: o->threads = (int)parse_int("--threads", a, 1, 256); break;
        case O_STEPS: o->steps = (int)parse_int("--steps", a, 1, 100000000); break;
        case O_WARMUP: o->warmup = (int)parse_int("--warmup", a, 0, 100000000); break;
        case O_CHARS: o->chars = (int)parse_int("--chars", a, 1, 2000000000); break;
        case O_BF16: o->bf16 = 1; break;
        case O_PRECISION:
            if (!strcmp(a, "fp32")) o->cfg.precision = CR_FP32;
            else if (!strcmp(a, "bf16")) o->cfg.precision = CR_BF16;
            else bad_usage("--precision wants fp32 or bf16, not '%s'", a);
            break;
        case O_NOVEL: o->novel = (int)parse_int("--novel", a, 1, 1000000000); break;
        case O_KIND:
            if (!strcmp(a, "generic")) o->kind = CR_KERNEL_GENERIC;
            else if (!strcmp(a, "avx2")) o->kind = CR_KERNEL_AVX2;
            else if (!strcmp(a, "avx512")) o->kind = CR_KERNEL_AVX512;
            else bad_usage("--kind wants generic, avx2 or avx512, not '%s'", a);
            break;
        case O_HELP: fputs(usage, stdout); exit(0);
        case ':': bad_usage("option '%s' needs a value", argv[optind - 1]);
        default: bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (need_corpus) {
        if (optind != argc - 1) bad_usage("%s wants one corpus file", argv[1]);
        o->corpus = argv[optind];
    } else if (optind != argc) {
        bad_usage("%s takes no file", argv[1]);
    }
}

/* the matrix kernel the products of training run on, and its precision */
static const char *kernel_of(const cr_config *c)
{
    return c->precision == CR_BF16 ? cr_bf16_kernel_name(cr_bf16_kernel_best())
                                   : cr_kernel_name(cr_kernel_best());
}
static const char *precision_of(const cr_config *c)
{
    return c->precision == CR_BF16 ? "bf16" : "fp32";
}

static void print_shape(const char *what, const opts *o, uint32_t V)
{
    const cr_config *c = &o->cfg;
    printf("%s cell=%s layers=%d hidden=%d embed=%d batch=%d seq=%d vocab=%u", what,
           cr_cell_name(c->cell), c->layers, c->hidden, c->embed, c->batch, c->seq_len, V);
}

static cr_model *model_for(const opts *o, const unsigned char *text, size_t len)
{
    cr_error err;
    cr_model *m = NULL;
    if (cr_model_new_from_text(&o->cfg, text, len, &m, &err) != CR_OK)
        die("%s: %s", o->corpus, err.message);
    return m;
}

/* ---- train: the public trainer, as train-charrnn runs it, without evaluations ---- */
static int cmd_train(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o, 1);
    size_t len;
    unsigned char *text = read_file(o.corpus, &len);
    cr_model *m = model_for(&o, text, len);
    cr_error err;
    cr_trainer *t = NULL;
    if (cr_trainer_new(m, text, len, o.threads, &t, &err) != CR_OK)
        die("%s: %s", o.corpus, err.message);
    cr_step_result r;
    for (int i = 0; i < o.warmup; i++)
        if (cr_trainer_step(t, &r, &err) != CR_OK) die("warm-up: %s", err.message);
    double b0 = machine_busy_s(), c0 = cpu_s(), t0 = cr_clock_s(), loss = 0;
    for (int i = 0; i < o.steps; i++) {
        if (cr_trainer_step(t, &r, &err) != CR_OK) die("step %d: %s", i + 1, err.message);
        loss += r.loss;
    }
    double dt = cr_clock_s() - t0, cpu = cpu_s() - c0;
    double others = others_cpu(b0, machine_busy_s(), cpu, dt);
    uint32_t V = cr_model_vocab(m)->size;
    flop_count f = count_flops(&o.cfg, V);
    double chars = (double)o.steps * o.cfg.batch * o.cfg.seq_len, cps = chars / dt;
    print_shape("train", &o, V);
    printf(" threads=%d kernel=%s precision=%s steps=%d seconds=%.3f chars_per_s=%.0f gflops=%.2f "
           "mflop_per_char=%.4f torch_mflop_per_char=%.4f torch_count_gflops=%.2f cpu_util=%.2f "
           "others_cpu=%.2f peak_rss_kb=%ld loss=%.4f\n",
           o.threads, kernel_of(&o.cfg), precision_of(&o.cfg), o.steps, dt, cps,
           cps * f.train * 1e-9,
           f.train * 1e-6, f.torch * 1e-6, cps * f.torch * 1e-9, cpu / dt, others, peak_rss_kb(),
           loss / o.steps);
    cr_trainer_free(t);
    cr_model_free(m);
    free(text);
    return 0;
}

/* ---- phases: a training step taken apart with the internal API, each part timed ---- */
enum { PH_FWD, PH_BWD, PH_NORM, PH_OPT, PH_COPY, PH_N };
static const char *const phase_name[PH_N] = {"forward", "backward", "norm", "optim", "pack"};

static int cmd_phases(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o, 1);
    size_t len;
    unsigned char *text = read_file(o.corpus, &len);
    cr_model *m = model_for(&o, text, len);
    const cr_config *c = &m->cfg;
    const int T = c->seq_len, B = c->batch;
    cr_error err;
    uint32_t *ids;
    size_t n;
    if (cr_vocab_encode(&m->vocab, text, len, &ids, &n, &err) != CR_OK)
        die("%s: %s", o.corpus, err.message);
    size_t stripe = n / (size_t)B;
    if (stripe < (size_t)T + 1) die("%s: too short for batch %d and seq-len %d", o.corpus, B, T);
    size_t chunks = (stripe - 1) / (size_t)T;
    cr_pool *pool;
    if (cr_pool_new(o.threads, &pool)) die("cannot start %d threads", o.threads);
    cr_net *net;
    if (cr_net_new(m, T, B, 1, pool, &net, &err) != CR_OK) die("%s", err.message);
    size_t np = m->nparams;
    float *grads = calloc(np, sizeof *grads), *m1 = calloc(np, sizeof *m1);
    float *m2 = calloc(np, sizeof *m2), *state = calloc(cr_carry_floats(c), sizeof *state);
    uint32_t *in = malloc((size_t)T * B * sizeof *in), *tgt = malloc((size_t)T * B * sizeof *tgt);
    if (!grads || !m1 || !m2 || !state || !in || !tgt) die("out of memory");
    double ph[PH_N] = {0}, b0 = 0, c0 = 0, w0 = 0;
    for (int s = 0; s < o.warmup + o.steps; s++) {
        if (s == o.warmup) b0 = machine_busy_s(), c0 = cpu_s(), w0 = cr_clock_s();
        size_t pos = (size_t)s % chunks;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++) {
                in[i * B + b] = ids[(size_t)b * stripe + pos * (size_t)T + (size_t)i];
                tgt[i * B + b] = ids[(size_t)b * stripe + pos * (size_t)T + (size_t)i + 1];
            }
        double tp[PH_N + 1];
        tp[0] = cr_clock_s();
        memset(grads, 0, np * sizeof *grads);
        size_t cnt;
        cr_net_forward(net, m->params, in, tgt, T, B, state, NULL, &cnt);
        tp[1] = cr_clock_s();
        cr_net_backward(net, m->params, grads, NULL);
        tp[2] = cr_clock_s();
        double norm = cr_grad_norm(pool, grads, np);
        float gscale = norm > c->clip ? (float)(c->clip / norm) : 1.0f;
        tp[3] = cr_clock_s();
        cr_optim_update(pool, c, m->params, grads, m1, m2, np, (uint64_t)s, 1e-3, gscale, NULL);
        tp[4] = cr_clock_s();
        cr_net_weights_changed(net, m->params);
        tp[5] = cr_clock_s();
        if (s >= o.warmup)
            for (int k = 0; k < PH_N; k++)
                ph[k] += tp[k + 1] - tp[k];
    }
    double wall = cr_clock_s() - w0, cpu = cpu_s() - c0;
    double others = others_cpu(b0, machine_busy_s(), cpu, wall);
    double total = 0;
    for (int k = 0; k < PH_N; k++)
        total += ph[k];
    flop_count f = count_flops(c, m->vocab.size);
    double chars = (double)o.steps * B * T;
    print_shape("phases", &o, m->vocab.size);
    printf(" threads=%d steps=%d chars_per_s=%.0f", o.threads, o.steps, chars / total);
    for (int k = 0; k < PH_N; k++)
        printf(" %s_ms=%.3f %s_share=%.3f", phase_name[k], 1e3 * ph[k] / o.steps, phase_name[k],
               ph[k] / total);
    printf(" forward_gflops=%.2f backward_gflops=%.2f cpu_util=%.2f others_cpu=%.2f\n",
           chars * f.fwd * 1e-9 / ph[PH_FWD], chars * f.bwd * 1e-9 / ph[PH_BWD], cpu / wall,
           others);
    free(grads), free(m1), free(m2), free(state), free(in), free(tgt), free(ids);
    cr_net_free(net);
    cr_pool_free(pool);
    cr_model_free(m);
    free(text);
    return 0;
}

/* ---- products: each matrix product of a training step and of sampling, timed alone ----
 * The shapes of src/lib/net.c and lstm.c for one-hot input (R = T * B rows): operands stay in
 * cache between calls, as the weights do over the T steps of a chunk. */
typedef struct product {
    const char *name;
    int tn;            /* 1: C(M,N) += A(K,M)^T B(K,N); 0: C(M,N) = A(M,K) B(K,N) */
    int M, N, K;
    double calls;      /* per training step, or per sampled character */
} product;

/* tn products take B as it is (activations); nn products take it packed, as net.c packs the
 * weights once per step */
static int product_prec; /* CR_FP32 or CR_BF16, from --precision */

static double product_once(cr_pool *p, const product *q, const float *A, const float *Bm, float *C)
{
    double t0 = cr_clock_s();
    if (q->tn) cr_mm_tn_acc_prec(product_prec, p, q->M, q->N, q->K, A, q->M, Bm, q->N, C, q->N);
    else cr_mm_nn_packed_prec(product_prec, p, q->M, q->N, q->K, A, q->K, Bm, C, q->N, 0);
    return cr_clock_s() - t0;
}

/* Seconds per call: the median of 15 batches of calls, each batch at least 2 ms. */
static double product_time(cr_pool *p, const product *q, const float *A, const float *Bm, float *C)
{
    product_once(p, q, A, Bm, C);
    long reps = 1;
    double dt;
    while ((dt = product_once(p, q, A, Bm, C)) * (double)reps < 2e-3 && reps < (1L << 30))
        reps *= 2;
    double t[15];
    for (int i = 0; i < 15; i++) {
        double t0 = cr_clock_s();
        for (long r = 0; r < reps; r++)
            product_once(p, q, A, Bm, C);
        t[i] = (cr_clock_s() - t0) / (double)reps;
    }
    for (int i = 1; i < 15; i++) /* insertion sort */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[7];
}

static int cmd_products(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o, 1);
    const cr_config *c = &o.cfg;
    if (c->embed) bad_usage("products knows the one-hot shapes only (--embed 0)");
    product_prec = c->precision;
    size_t len;
    unsigned char *text = read_file(o.corpus, &len);
    cr_vocab voc;
    cr_error err;
    if (cr_vocab_build(text, len, &voc, &err) != CR_OK) die("%s: %s", o.corpus, err.message);
    const int B = c->batch, R = c->seq_len * B, H = c->hidden, V = (int)voc.size, L = c->layers;
    const int G = cr_gates_per_cell(c->cell) * H;
    const double T = c->seq_len;
    const product all[] = {
        {"fwd.recurrent", 0, B, G, H, T * L},   {"fwd.input", 0, R, G, H, L - 1},
        {"fwd.output", 0, R, V, H, 1},          {"bwd.output.dW", 1, H, V, R, 1},
        {"bwd.output.dh", 0, R, H, V, 1},       {"bwd.recurrent.dh", 0, B, H, G, T * L},
        {"bwd.dWh", 1, H, G, R, L},             {"bwd.dWx", 1, H, G, R, L - 1},
        {"bwd.input.dx", 0, R, H, G, L - 1},    {"sample.recurrent", 0, 1, G, H, L},
        {"sample.input", 0, 1, G, H, L - 1},    {"sample.output", 0, 1, V, H, 1},
    };
    size_t na = 0, nb = 0, nc = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        const product *q = &all[i];
        size_t a = (size_t)q->M * q->K, b = cr_packed_floats(q->K, q->N), cc = (size_t)q->M * q->N;
        na = a > na ? a : na, nb = b > nb ? b : nb, nc = cc > nc ? cc : nc;
    }
    float *A = malloc(na * sizeof *A), *Bm = malloc(nb * sizeof *Bm), *C = calloc(nc, sizeof *C);
    float *Bp = malloc(nb * sizeof *Bp);
    if (!A || !Bm || !C || !Bp) die("out of memory");
    cr_rng rng;
    cr_rng_seed(&rng, 1);
    for (size_t i = 0; i < na; i++) A[i] = cr_rng_float(&rng) - 0.5f;
    for (size_t i = 0; i < nb; i++) Bm[i] = 0.1f * (cr_rng_float(&rng) - 0.5f);
    cr_pool *pool;
    if (cr_pool_new(o.threads, &pool)) die("cannot start %d threads", o.threads);
    double step_s = 0, sample_s = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        const product *q = &all[i];
        int sampling = !strncmp(q->name, "sample.", 7);
        if (q->calls <= 0 || (sampling && product_prec == CR_BF16)) continue; /* sampling: fp32 */
        if (!q->tn) cr_pack_prec(product_prec, pool, Bm, q->K, q->N, q->N, 0, Bp);
        double dt = product_time(pool, q, A, q->tn ? Bm : Bp, C);
        (sampling ? &sample_s : &step_s)[0] += dt * q->calls;
        printf("product name=%s op=%s M=%d N=%d K=%d calls=%.0f threads=%d us=%.2f gflops=%.2f "
               "ms_per_%s=%.3f\n", q->name, q->tn ? "tn" : "nn", q->M, q->N, q->K, q->calls,
               o.threads, dt * 1e6, 2.0 * q->M * q->N * q->K / dt * 1e-9,
               sampling ? "char" : "step", dt * q->calls * 1e3);
    }
    cr_config cc = *c;
    flop_count f = count_flops(&cc, (uint32_t)V);
    printf("products threads=%d kernel=%s precision=%s step_matrix_ms=%.3f matrix_only_chars_per_s=%.0f "
           "step_matrix_gflops=%.2f sample_matrix_us=%.2f matrix_only_sample_chars_per_s=%.0f\n",
           o.threads, kernel_of(c), precision_of(c), step_s * 1e3, (double)R / step_s,
           (double)R * f.train / step_s * 1e-9, sample_s * 1e6, 1.0 / sample_s);
    cr_pool_free(pool);
    free(A), free(Bm), free(Bp), free(C);
    cr_vocab_free(&voc);
    free(text);
    return 0;
}

/* ---- sample: batch-1 generation from random weights ---- */
/* The next character, through the novelty filter g when there is one; where it refuses every
 * character, the likeliest is fed anyway (counted in *stops), so the run goes on. */
static uint32_t next_char(cr_sampler *s, cr_novel *g, long *stops)
{
    uint32_t id;
    if (!g) return cr_sampler_next(s);
    if (cr_novel_next(g, s, &id, NULL)) return id;
    (*stops)++;
    id = cr_sampler_next(s);
    cr_novel_feed(g, id);
    return id;
}

static int cmd_sample(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o, 1);
    size_t len;
    unsigned char *text = read_file(o.corpus, &len);
    cr_model *m = model_for(&o, text, len);
    cr_sample_options so;
    cr_sample_options_default(&so);
    so.threads = o.threads;
    so.bf16 = o.bf16;
    cr_sampler *s = NULL;
    cr_error err;
    if (cr_sampler_new(m, &so, &s, &err) != CR_OK) die("%s", err.message);
    /* --novel: the corpus indexed (timed apart), and every character drawn through the filter */
    cr_corpus_index *ix = NULL;
    cr_novel *g = NULL;
    double index_s = 0;
    if (o.novel) {
        cr_corpus_file f = {o.corpus, text, len};
        double i0 = cr_clock_s();
        if (cr_corpus_index_build(&f, 1, &ix, &err) != CR_OK) die("%s", err.message);
        index_s = cr_clock_s() - i0;
        if (cr_novel_new(ix, cr_model_vocab(m), (size_t)o.novel, &g, &err) != CR_OK)
            die("%s", err.message);
    }
    uint64_t sum = 0; /* keeps the draws observable */
    long stops = 0;   /* --novel: places where every character was refused (then one is fed) */
    int warm = o.chars / 10 < 200 ? o.chars / 10 : 200;
    for (int i = 0; i < warm; i++)
        sum += next_char(s, g, &stops);
    double b0 = machine_busy_s(), c0 = cpu_s(), t0 = cr_clock_s();
    for (int i = 0; i < o.chars; i++)
        sum += next_char(s, g, &stops);
    double dt = cr_clock_s() - t0, cpu = cpu_s() - c0;
    double others = others_cpu(b0, machine_busy_s(), cpu, dt);
    uint32_t V = cr_model_vocab(m)->size;
    flop_count f = count_flops(&o.cfg, V);
    double cps = o.chars / dt;
    o.cfg.batch = 1;
    o.cfg.seq_len = 1;
    print_shape("sample", &o, V);
    printf(" threads=%d threads_used=%d weights=%s kernel=%s chars=%d seconds=%.3f "
           "chars_per_s=%.0f gflops=%.2f mflop_per_char=%.4f cpu_util=%.2f others_cpu=%.2f "
           "peak_rss_kb=%ld checksum=%llu", o.threads, cr_infer_threads_for(m, o.threads, o.bf16),
           o.bf16 ? "bf16" : "fp32", cr_kernel_name(cr_kernel_best()), o.chars, dt, cps,
           cps * f.fwd * 1e-9, f.fwd * 1e-6, cpu / dt, others, peak_rss_kb(),
           (unsigned long long)sum);
    if (g)
        printf(" novel=%d index_s=%.3f refused=%llu all_refused=%ld", o.novel, index_s,
               (unsigned long long)cr_novel_refused(g), stops);
    printf("\n");
    cr_novel_free(g);
    cr_corpus_index_free(ix);
    cr_sampler_free(s);
    cr_model_free(m);
    free(text);
    return 0;
}

/* ---- score: a text's loss through the forward pass in streams (the score tool) ---- */
static int cmd_score(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o, 1);
    size_t len;
    unsigned char *text = read_file(o.corpus, &len);
    cr_model *m = model_for(&o, text, len);
    cr_error err;
    uint32_t *ids;
    size_t n;
    if (cr_vocab_encode(cr_model_vocab(m), text, len, &ids, &n, &err) != CR_OK)
        die("%s: %s", o.corpus, err.message);
    if ((size_t)o.chars < n) n = (size_t)o.chars;
    cr_score_options so;
    cr_score_options_default(&so);
    so.threads = o.threads;
    so.warmup = 256;
    cr_scorer *s = NULL;
    if (cr_scorer_new(m, &so, &s, &err) != CR_OK) die("%s", err.message);
    double sum;
    size_t count;
    double b0 = machine_busy_s(), c0 = cpu_s(), t0 = cr_clock_s();
    if (cr_scorer_run(s, ids, n, NULL, &sum, &count, &err) != CR_OK) die("%s", err.message);
    double dt = cr_clock_s() - t0, cpu = cpu_s() - c0;
    double others = others_cpu(b0, machine_busy_s(), cpu, dt);
    uint32_t V = cr_model_vocab(m)->size;
    flop_count f = count_flops(&o.cfg, V);
    double cps = (double)count / dt;
    print_shape("score", &o, V);
    printf(" threads=%d kernel=%s chars=%zu seconds=%.3f chars_per_s=%.0f gflops=%.2f "
           "cpu_util=%.2f others_cpu=%.2f peak_rss_kb=%ld loss=%.4f\n", o.threads,
           cr_kernel_name(cr_kernel_best()), count, dt, cps, cps * f.fwd * 1e-9, cpu / dt,
           others, peak_rss_kb(), sum / (double)count);
    cr_scorer_free(s);
    free(ids);
    cr_model_free(m);
    free(text);
    return 0;
}

/* ---- peak: independent fused multiply-add chains held in registers ----
 * Each chain is x = x * m + c, which converges to c / (1 - m) = 1 with no denormals. Enough
 * chains to cover the latency of two FMA ports (4 cycles x 2 ports = 8 in flight) and few
 * enough to stay in registers: 16 of the 32 zmm registers, 12 of the 16 ymm registers. */
typedef double fma_fn(long iters);

/* The chains are written out one by one: an array of vectors indexed in a loop ends up in
 * memory. V, S (broadcast), F (x * m + c) and A (add) are defined before each probe. */
#define REP8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define REP12(X) REP8(X) X(8) X(9) X(10) X(11)
#define REP16(X) REP12(X) X(12) X(13) X(14) X(15)
#define CHAIN_DECL(k) V x##k = S(0.5f + 0.01f * (float)(k));
#define CHAIN_STEP(k) x##k = F(x##k, m, c);
#define CHAIN_SUM(k) s = A(s, x##k);
#define PROBE_BODY(REP)                                                                      \
    V m = S(0.999f), c = S(0.001f), s = S(0.0f);                                             \
    REP(CHAIN_DECL)                                                                          \
    for (long i = 0; i < iters; i++) {                                                       \
        REP(CHAIN_STEP)                                                                      \
    }                                                                                        \
    REP(CHAIN_SUM)                                                                           \
    float f[sizeof(V) / sizeof(float)];                                                      \
    memcpy(f, &s, sizeof f);                                                                 \
    return f[0];

typedef float v4f __attribute__((vector_size(16)));
static v4f set1_v4(float a) { return (v4f){a, a, a, a}; }
static v4f madd_v4(v4f x, v4f m, v4f c) { return x * m + c; } /* not fused in ISO C mode */
static v4f add_v4(v4f a, v4f b) { return a + b; }

#define V v4f
#define S set1_v4
#define F madd_v4
#define A add_v4
static double fma_generic(long iters) { PROBE_BODY(REP8) }
#undef V
#undef S
#undef F
#undef A

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86_PROBES 1
#define V __m256
#define S _mm256_set1_ps
#define F _mm256_fmadd_ps
#define A _mm256_add_ps
__attribute__((target("avx2,fma"))) static double fma_avx2(long iters) { PROBE_BODY(REP12) }
#undef V
#undef S
#undef F
#undef A
#define V __m512
#define S _mm512_set1_ps
#define F _mm512_fmadd_ps
#define A _mm512_add_ps
__attribute__((target("avx512f"))) static double fma_avx512(long iters) { PROBE_BODY(REP16) }
#undef V
#undef S
#undef F
#undef A
#endif

typedef struct probe {
    fma_fn *fn;
    long iters;
    pthread_barrier_t *start;
    double t0, t1, sink;
} probe;

static void *probe_thread(void *arg)
{
    probe *p = arg;
    pthread_barrier_wait(p->start);
    p->t0 = cr_clock_s();
    p->sink = p->fn(p->iters);
    p->t1 = cr_clock_s();
    return NULL;
}

/* Wall seconds for every thread to run fn(iters) at once, from the first start to the last end. */
static double probe_run(fma_fn *fn, long iters, int threads, double *sink)
{
    pthread_t th[256];
    probe p[256];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        p[i] = (probe){fn, iters, &start, 0, 0, 0};
        if (i && pthread_create(&th[i], NULL, probe_thread, &p[i])) die("cannot start threads");
    }
    probe_thread(&p[0]);
    double t0 = p[0].t0, t1 = p[0].t1;
    *sink += p[0].sink;
    for (int i = 1; i < threads; i++) {
        pthread_join(th[i], NULL);
        t0 = p[i].t0 < t0 ? p[i].t0 : t0;
        t1 = p[i].t1 > t1 ? p[i].t1 : t1;
        *sink += p[i].sink;
    }
    pthread_barrier_destroy(&start);
    return t1 - t0;
}

static int cmd_peak(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o, 0);
    int kind = o.kind;
    fma_fn *fn = fma_generic;
    double flops_per_iter = 8 * 4 * 2; /* chains x lanes x 2 */
#ifdef HAVE_X86_PROBES
    int has512 = __builtin_cpu_supports("avx512f");
    int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (kind < 0) kind = has512 ? CR_KERNEL_AVX512 : has2 ? CR_KERNEL_AVX2 : CR_KERNEL_GENERIC;
    if ((kind == CR_KERNEL_AVX512 && !has512) || (kind == CR_KERNEL_AVX2 && !has2))
        die("this CPU does not run %s", cr_kernel_name(kind));
    if (kind == CR_KERNEL_AVX512) fn = fma_avx512, flops_per_iter = 16 * 16 * 2;
    if (kind == CR_KERNEL_AVX2) fn = fma_avx2, flops_per_iter = 12 * 8 * 2;
#else
    if (kind > CR_KERNEL_GENERIC) die("this build has no %s probe", cr_kernel_name(kind));
    kind = CR_KERNEL_GENERIC;
#endif
    /* calibrate one thread to about 0.2 s per round, then keep the best of 5 rounds: a peak is
     * a maximum, and the best round is the one least disturbed by other processes */
    double sink = 0;
    long iters = 100000;
    for (;;) {
        double dt = probe_run(fn, iters, 1, &sink);
        if (dt > 0.05 || iters > (1L << 40)) {
            iters = (long)((double)iters * 0.2 / dt) + 1;
            break;
        }
        iters *= 4;
    }
    double best = 1e300, b0 = machine_busy_s(), c0 = cpu_s(), t0 = cr_clock_s();
    for (int r = 0; r < 5; r++) {
        double dt = probe_run(fn, iters, o.threads, &sink);
        best = dt < best ? dt : best;
    }
    double wall = cr_clock_s() - t0, others = others_cpu(b0, machine_busy_s(), cpu_s() - c0, wall);
    double gf = (double)iters * flops_per_iter * o.threads / best * 1e-9;
    printf("peak threads=%d kind=%s gflops=%.2f gflops_per_thread=%.2f cores=%d others_cpu=%.2f "
           "sink=%.3g\n", o.threads, cr_kernel_name(kind), gf, gf / o.threads, cores(), others,
           sink);
    return 0;
}

/* ---- trace's corpus index: the targets are a 5 MB index built in under a second on
 * one core, and 100,000 characters matched in under half a second ---- */
static int cmd_trace(int argc, char **argv)
{
    if (argc != 3) bad_usage("bench trace wants one CORPUS");
    size_t len, big = 5000000;
    unsigned char *text = read_file(argv[2], &len);
    size_t bad;
    if (len == 0 || !cr_utf8_valid(text, len, &bad)) die("%s: empty, or not UTF-8", argv[2]);
    /* 5 MB or a little more: whole copies of the corpus, one after the other */
    unsigned char *corpus = malloc(big + len);
    size_t n = 0;
    while (n < big) {
        memcpy(corpus + n, text, len);
        n += len;
    }
    /* the text: 100,000 code points, pieces of the corpus (5 to 80 characters) between
     * characters it never holds, so that matches start, grow and end all the time */
    uint32_t *t = malloc(100000 * sizeof *t);
    cr_rng r;
    cr_rng_seed(&r, 1);
    size_t nt = 0;
    while (nt < 100000) {
        size_t at = (size_t)(cr_rng_next(&r) % (len - 1)), k = 5 + (size_t)(cr_rng_next(&r) % 76);
        while (at < len && (text[at] & 0xC0) == 0x80)
            at++;
        for (size_t i = at; i < len && k > 0 && nt < 100000; k--) {
            i += cr_utf8_decode(text + i, len - i, &t[nt]);
            nt++;
        }
        if (nt < 100000) t[nt++] = 0x2603; /* a snowman */
    }
    cr_corpus_file f = {"corpus", corpus, n};
    double build = 1e9, match = 1e9, save = 1e9, load = 1e9;
    size_t nspans = 0, filelen = 0;
    for (int round = 0; round < 3; round++) {
        cr_corpus_index *ix, *back;
        cr_corpus_span *spans;
        unsigned char *buf;
        cr_error err;
        double c0 = cpu_s();
        if (cr_corpus_index_build(&f, 1, &ix, &err)) die("%s", err.message);
        double c1 = cpu_s();
        if (cr_corpus_match(ix, t, nt, 20, &spans, &nspans, &err)) die("%s", err.message);
        double c2 = cpu_s();
        if (cr_corpus_index_encode(ix, &buf, &filelen, &err)) die("%s", err.message);
        double c3 = cpu_s();
        if (cr_corpus_index_decode(buf, filelen, &back, &err)) die("%s", err.message);
        double c4 = cpu_s();
        build = fmin(build, c1 - c0);
        match = fmin(match, c2 - c1);
        save = fmin(save, c3 - c2);
        load = fmin(load, c4 - c3);
        free(spans);
        free(buf);
        cr_corpus_index_free(back);
        cr_corpus_index_free(ix);
    }
    printf("trace corpus_bytes=%zu corpus_chars=%zu build_s=%.3f text_chars=%zu spans=%zu "
           "match_s=%.3f encode_s=%.3f decode_s=%.3f index_file_mb=%.1f peak_rss_kb=%ld\n", n,
           cr_utf8_count(corpus, n), build, nt, nspans, match, save, load, filelen / 1e6,
           peak_rss_kb());
    free(t);
    free(corpus);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bad_usage("which benchmark? train, phases, products, sample, score, peak or trace");
    const char *cmd = argv[1];
    int rc;
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage, stdout);
        rc = 0;
    } else if (!strcmp(cmd, "train")) rc = cmd_train(argc, argv);
    else if (!strcmp(cmd, "phases")) rc = cmd_phases(argc, argv);
    else if (!strcmp(cmd, "products")) rc = cmd_products(argc, argv);
    else if (!strcmp(cmd, "sample")) rc = cmd_sample(argc, argv);
    else if (!strcmp(cmd, "score")) rc = cmd_score(argc, argv);
    else if (!strcmp(cmd, "peak")) rc = cmd_peak(argc, argv);
    else if (!strcmp(cmd, "trace")) rc = cmd_trace(argc, argv);
    else bad_usage("unknown benchmark '%s'", cmd);
    if (fflush(stdout) || ferror(stdout)) die("standard output: write error");
    return rc;
}
