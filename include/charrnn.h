/* charrnn.h: the public interface of libcharrnn, character-level recurrent language models. */
/*
 * One complete example: train a small LSTM on a text for 100 steps, then sample 200 characters.
 *
 *     cr_error err;
 *     cr_config cfg;
 *     cr_config_default(&cfg);
 *     cfg.hidden = 128;
 *     cr_model *m = NULL;
 *     cr_trainer *tr = NULL;
 *     if (cr_model_new_from_text(&cfg, text, len, &m, &err) != CR_OK ||
 *         cr_trainer_new(m, text, len, 1, &tr, &err) != CR_OK) {
 *         fprintf(stderr, "%s\n", err.message);
 *         return 1;
 *     }
 *     for (int i = 0; i < 100; i++) {
 *         cr_step_result r;
 *         if (cr_trainer_step(tr, &r, &err) != CR_OK) break;
 *     }
 *     cr_trainer_free(tr);
 *     cr_ckpt_write_file(m, "bot.ckpt", &err);
 *
 *     cr_sample_options so;
 *     cr_sample_options_default(&so);
 *     cr_sampler *s = NULL;
 *     cr_sampler_new(m, &so, &s, &err);
 *     for (int i = 0; i < 200; i++) {
 *         uint32_t id = cr_sampler_next(s);
 *         char buf[4];
 *         const char *text;
 *         size_t n = cr_vocab_text(cr_model_vocab(m), id, buf, &text);
 *         fwrite(text, 1, n, stdout);
 *     }
 *     cr_sampler_free(s);
 *     cr_model_free(m);
 *
 * The library never prints and never exits: every fallible function returns CR_OK (0) or a
 * negative CR_E* code and fills the caller's cr_error. It keeps no global state.
 */
#ifndef CHARRNN_H
#define CHARRNN_H

#include <stddef.h>
#include <stdint.h>

#define CR_VERSION "0.1.0"

/* ---- errors ---- */
enum {
    CR_OK = 0,
    CR_ENOMEM = -1,    /* out of memory */
    CR_EIO = -2,       /* a read or write failed */
    CR_EFORMAT = -3,   /* a checkpoint is damaged or not a checkpoint */
    CR_EVERSION = -4,  /* a checkpoint from a newer format version */
    CR_EINVAL = -5,    /* a bad argument or setting */
    CR_EUTF8 = -6,     /* text that is not valid UTF-8 */
    CR_ESMALL = -7,    /* a corpus too small for the settings */
    CR_EVOCAB = -8,    /* a character the model does not know */
    CR_EDIVERGED = -9  /* training produced a non-finite loss */
};

typedef struct cr_error {
    int code;
    long long offset;  /* byte offset in the input the error is about, or -1 */
    char chunk[5];     /* checkpoint chunk tag, or "" */
    char message[320]; /* one line, no trailing newline, no tool or file name */
} cr_error;

const char *cr_strerror(int code);

/* ---- UTF-8 ---- */
/* Decodes one code point from s[0..len); returns its length in bytes (1..4), or 0 if the
 * sequence there is invalid, overlong, a surrogate, above U+10FFFF, or truncated. */
size_t cr_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Encodes cp into out[0..4); returns the length (1..4), or 0 if cp is not a scalar value. */
size_t cr_utf8_encode(uint32_t cp, char out[4]);
/* Checks a whole text; on failure sets *bad_offset to the first invalid byte. Returns 1 if valid. */
int cr_utf8_valid(const unsigned char *s, size_t len, size_t *bad_offset);
/* Counts the code points of a valid text. */
size_t cr_utf8_count(const unsigned char *s, size_t len);

/* ---- vocabulary: the code points a model knows, ids 0..size-1 in code-point order ---- */
typedef struct cr_vocab {
    uint32_t size;
    uint32_t *chars;   /* (size) code points, strictly increasing */
    uint64_t *counts;  /* (size) occurrences in the corpus the vocabulary was built from */
    char **strings;    /* NULL, or (size) entries: NULL, or the UTF-8 text an id stands for when
                          it is not one character (a model imported from ml5.js may hold "" or
                          "  "); such an id's code point is a private-use stand-in */
} cr_vocab;

int cr_vocab_build(const unsigned char *text, size_t len, cr_vocab *v, cr_error *err);
void cr_vocab_free(cr_vocab *v);
/* Returns the id of cp, or -1 if the vocabulary does not hold it. */
int32_t cr_vocab_id(const cr_vocab *v, uint32_t cp);
/* The UTF-8 bytes that id stands for: its string if it has one, else its code point encoded
 * into buf. Returns their length; *text points at them. */
size_t cr_vocab_text(const cr_vocab *v, uint32_t id, char buf[4], const char **text);
/* Turns a valid UTF-8 text into ids; a character not in the vocabulary fails with CR_EVOCAB
 * and err->offset at its byte. *ids is allocated (count code points). */
int cr_vocab_encode(const cr_vocab *v, const unsigned char *text, size_t len, uint32_t **ids,
                    size_t *count, cr_error *err);

/* ---- random numbers: xoshiro256** seeded through splitmix64 (docs/checkpoint-format.md) ---- */
typedef struct cr_rng {
    uint64_t s[4];
} cr_rng;

void cr_rng_seed(cr_rng *r, uint64_t seed);
uint64_t cr_rng_next(cr_rng *r);
float cr_rng_float(cr_rng *r);   /* uniform in [0, 1), 24 random bits */
double cr_rng_double(cr_rng *r); /* uniform in [0, 1), 53 random bits */

/* ---- checksums ---- */
uint32_t cr_crc32(uint32_t crc, const void *data, size_t len); /* start with crc = 0 */
typedef struct cr_sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
} cr_sha256;
void cr_sha256_init(cr_sha256 *c);
void cr_sha256_update(cr_sha256 *c, const void *data, size_t len);
void cr_sha256_final(cr_sha256 *c, unsigned char out[32]);

/* ---- configuration ---- */
enum { CR_LSTM = 0, CR_GRU = 1, CR_RNN = 2, CR_CELL_COUNT };
enum { CR_ADAM = 0, CR_SGD = 1 };

typedef struct cr_config {
    int cell;          /* CR_LSTM, CR_GRU or CR_RNN */
    int layers;        /* 1..8 */
    int hidden;        /* units per layer */
    int embed;         /* embedding width, 0 = one-hot input */
    int seq_len;       /* time steps per chunk of truncated back-propagation */
    int batch;         /* parallel stripes of the training text */
    int optimizer;     /* CR_ADAM or CR_SGD */
    double lr;         /* peak learning rate */
    double lr_decay;   /* factor applied per 1000 steps, continuously; 1 = none */
    int warmup;        /* steps of linear warm-up from 0 to lr */
    double momentum;   /* SGD momentum */
    double beta1, beta2, adam_eps;
    double clip;       /* maximum global gradient norm; 0 = no clipping */
    double dropout;    /* probability of dropping a layer output in training */
    double val_frac;   /* fraction at the end of the corpus held out for validation */
    int eval_every;    /* steps between evaluations; 0 = once per epoch */
    uint64_t seed;
    int precision;     /* CR_FP32, or CR_BF16: training products on inputs rounded to bfloat16 */
    double weight_decay; /* decoupled (AdamW's): each step every weight is multiplied by
                            1 - rate x weight_decay before the update; 0 = none */
} cr_config;
enum { CR_FP32 = 0, CR_BF16 = 1 };

void cr_config_default(cr_config *c);
/* Returns CR_OK or CR_EINVAL with a message naming the bad setting. */
int cr_config_check(const cr_config *c, cr_error *err);
const char *cr_cell_name(int cell);      /* "lstm", "gru", "rnn"; "?" for no such cell */
int cr_cell_from_name(const char *name); /* CR_LSTM, ... for a cell_name, or -1 */
const char *cr_optimizer_name(int opt);

/* ---- the model: everything a checkpoint holds ---- */
typedef struct cr_history_row {
    uint64_t step;
    uint64_t chars;      /* training characters seen so far */
    double train_loss;   /* nats per character, mean since the previous row */
    double val_loss;     /* nats per character on the whole validation split; NaN if none */
    double chars_per_s;  /* training throughput since the previous row */
    double wall_s;       /* seconds of training so far, over all sessions */
} cr_history_row;

typedef struct cr_source {
    char *name;          /* file name as given, or "-" for standard input */
    uint64_t bytes;
    unsigned char sha256[32];
} cr_source;

typedef struct cr_session {  /* one run of the trainer that produced or continued the model */
    char *command;       /* the full command line */
    char *version;       /* tool version */
    char *date;          /* ISO 8601, UTC */
    uint32_t nsources;
    cr_source *sources;
    uint64_t start_step;
} cr_session;

typedef struct cr_tensor_info {
    char name[24];
    int ndim;            /* 1 or 2 */
    size_t dims[2];
    size_t offset;       /* in floats, into the parameter buffer */
    size_t size;         /* in floats */
} cr_tensor_info;

typedef struct cr_model cr_model;

/* A fresh model with random weights for the given text's vocabulary. */
int cr_model_new_from_text(const cr_config *cfg, const unsigned char *text, size_t len,
                           cr_model **out, cr_error *err);
/* A fresh model with random weights for a vocabulary (copied). */
int cr_model_new(const cr_config *cfg, const cr_vocab *vocab, cr_model **out, cr_error *err);
void cr_model_free(cr_model *m);

const cr_config *cr_model_config(const cr_model *m);
/* Changes the training schedule of a model: c must equal the model's configuration but for lr,
 * lr_decay, warmup, clip, dropout, val_frac, eval_every and seq_len. */
int cr_model_update_config(cr_model *m, const cr_config *c, cr_error *err);
const cr_vocab *cr_model_vocab(const cr_model *m);
size_t cr_model_tensor_count(const cr_model *m);
const cr_tensor_info *cr_model_tensor(const cr_model *m, size_t i);
size_t cr_model_param_count(const cr_model *m);
/* The latest weights (which = 0) or the best by validation loss (which = 1). (param_count) */
float *cr_model_params(cr_model *m, int which);
int cr_model_has_best(const cr_model *m);

typedef struct cr_train_progress {
    uint64_t step;       /* optimizer steps taken */
    uint64_t epoch;      /* whole passes over the training split completed */
    uint64_t epoch_pos;  /* chunks consumed in the current epoch */
    uint64_t chars;      /* training characters seen */
    double wall_s;       /* seconds spent training, over all sessions */
    double best_val;     /* best validation loss so far, nats per character; NaN if none */
    uint64_t best_step;
    uint32_t evals_since_best;
} cr_train_progress;

const cr_train_progress *cr_model_progress(const cr_model *m);
/* 1 when the model has started to memorise its training text: the validation loss rose at each
 * of the last window evaluations (3 is a good window) while the training loss fell over
 * them; else 0. */
int cr_history_memorising(const cr_history_row *rows, size_t n, int window);
size_t cr_model_history(const cr_model *m, const cr_history_row **rows);
size_t cr_model_sessions(const cr_model *m, const cr_session **sessions);
/* Records a new training session (copies every string). */
int cr_model_add_session(cr_model *m, const char *command, const char *version, const char *date,
                         const cr_source *sources, uint32_t nsources, cr_error *err);
/* Whether the last session read other files than the one before it (other sizes or SHA-256, or
 * another order): its validation split is another text. 0 with fewer than two sessions. */
int cr_model_corpus_changed(const cr_model *m);

/* ---- checkpoints (docs/checkpoint-format.md) ---- */
/* Encodes the model into a newly allocated buffer. */
int cr_ckpt_encode(const cr_model *m, unsigned char **buf, size_t *len, cr_error *err);
/* Decodes a checkpoint held in memory. */
int cr_ckpt_decode(const unsigned char *buf, size_t len, cr_model **out, cr_error *err);
/* Writes atomically: a temporary file in the same folder, fsync, rename. */
int cr_ckpt_write_file(const cr_model *m, const char *path, cr_error *err);
/* Writes to an open descriptor (a pipe, standard output). */
int cr_ckpt_write_fd(const cr_model *m, int fd, cr_error *err);
/* Reads a whole file or stream (path "-" or NULL means standard input). */
int cr_ckpt_read_file(const char *path, cr_model **out, cr_error *err);

/* A chunk as found in a file, for inspection tools. */
typedef struct cr_chunk_info {
    char tag[5];
    uint64_t offset;     /* of the chunk's length field */
    uint32_t length;     /* of the payload */
    uint32_t crc;
} cr_chunk_info;
/* Lists the chunks of a checkpoint without decoding them; *chunks is allocated. */
int cr_ckpt_list_chunks(const unsigned char *buf, size_t len, cr_chunk_info **chunks,
                        size_t *count, cr_error *err);

/* The chunks this version of the format defines, one row each (ckpt.c's table, which also
 * drives the writer and the reader; docs/checkpoint-format.md has the same table). */
typedef struct cr_chunk_kind {
    char tag[5];
    int required;         /* 1: a reader refuses a checkpoint without it; 0: optional */
    const char *meaning;  /* a few words, for listings such as dump --chunks */
} cr_chunk_kind;
/* The i-th chunk, in the order a writer writes them; NULL past the last. */
const cr_chunk_kind *cr_ckpt_chunk_at(size_t i);
/* The chunk called tag, or NULL if this version does not know it (a reader skips it). */
const cr_chunk_kind *cr_ckpt_chunk_find(const char *tag);
/* The format version a checkpoint's bytes declare (the u32 after the signature), or 0 if buf is
 * NULL, shorter than 12 bytes or does not start with the signature. */
uint32_t cr_ckpt_version(const unsigned char *buf, size_t len);

/* ---- operating-system helpers (os.c), shared by the library and the tools ---- */
/* 1 if path stands for standard input: "-" or NULL. */
int cr_path_is_stdin(const char *path);
/* Writes the n bytes at data to fd, again after an interrupted write; 0, or -1 with errno set. */
int cr_write_all(int fd, const void *data, size_t n);
/* The current time in UTC as ISO 8601, "2024-01-02T03:04:05Z" (20 bytes and a NUL). */
void cr_utc_date(char out[32]);
/* Seconds on a monotonic clock, for measuring intervals; its zero is arbitrary. */
double cr_clock_s(void);

/* ---- training ---- */
typedef struct cr_trainer cr_trainer;

typedef struct cr_step_result {
    double loss;         /* nats per character for this step's chunk */
    double lr;           /* learning rate used */
    double grad_norm;    /* global gradient norm before clipping */
    int evaluated;       /* 1 if this step ran an evaluation */
    double val_loss;     /* when evaluated: nats per character, NaN if no validation split */
    int improved;        /* when evaluated: the best weights were updated */
    int went_back;       /* when evaluated: the model broke (train.c, validation_jumped), and
                            its latest weights were replaced by the best ones
                            (cr_train_progress.best_step) */
    int epoch_done;      /* this step finished an epoch */
} cr_step_result;

/* Prepares to train m on text (valid UTF-8; every character must be in m's vocabulary).
 * threads: worker threads for the matrix products (>= 1). Reuses m's optimizer state and
 * position if m was loaded from a checkpoint, so a resumed run continues exactly. When m's last
 * session starts here on other files than the one before (cr_model_corpus_changed), the best
 * weights, validated on the other text, are dropped: this text's first validation is the best. */
int cr_trainer_new(cr_model *m, const unsigned char *text, size_t len, int threads,
                   cr_trainer **out, cr_error *err);
void cr_trainer_free(cr_trainer *t);
/* One optimizer step on the next chunk; evaluates when the schedule says so, and when that
 * validation shows the model broke, replaces its latest weights by the best (went_back). Returns
 * CR_EDIVERGED (weights left at their last finite state) if the loss stops being finite. */
int cr_trainer_step(cr_trainer *t, cr_step_result *r, cr_error *err);
/* Evaluates the latest weights on the whole validation split; records history and best (and
 * never changes the latest weights). Returns NaN in *val_loss when there is no validation
 * split. */
int cr_trainer_evaluate(cr_trainer *t, double *val_loss, int *improved, cr_error *err);
/* Scales the learning rate of the following steps: the schedule's rate (lr, warmup, lr_decay)
 * times scale, which must be in [0, 1]; 1 until set. For the plan's anneal to zero by the end
 * of its budget (cr_plan_lr_scale); the scale is not saved in checkpoints, the plan is. */
void cr_trainer_set_lr_scale(cr_trainer *t, double scale);
uint64_t cr_trainer_steps_per_epoch(const cr_trainer *t);
size_t cr_trainer_train_chars(const cr_trainer *t);
size_t cr_trainer_val_chars(const cr_trainer *t);
/* Largest batch that fits a text of n characters with the given settings, or 0. */
int cr_max_batch_for(size_t n, double val_frac, int seq_len);

/* ---- the plan: the budget a model is trained to, saved with it (optim.c, ckpt.c) ----
 * The learning rate falls to zero over the last share `anneal` of the plan. A run that is
 * interrupted and resumed finishes the same plan: its remaining steps and seconds. */
typedef struct cr_plan {
    uint64_t start_step; /* the step the plan began at */
    uint64_t steps;      /* optimizer steps in the plan; 0 = no step budget */
    uint64_t epochs;     /* the epochs those steps were counted from, for messages; 0 = none */
    double seconds;      /* seconds of training in the plan; 0 = no time budget */
    double spent_s;      /* seconds of the plan used so far, by every run of it */
    double anneal;       /* share of the plan, at its end, where the rate falls to 0; 0 to 1 */
} cr_plan;
/* The model's plan, or NULL if it has none (a new model, or a checkpoint from before plans). */
const cr_plan *cr_model_plan(const cr_model *m);
/* Copies p into the model; CR_EINVAL (nothing changed) for an anneal outside [0, 1] or a
 * negative or non-finite time. */
int cr_model_set_plan(cr_model *m, const cr_plan *p, cr_error *err);
/* How far the plan has gone, 0 to 1, at step with seconds_used of its seconds used: the
 * larger of the shares of its steps and of its seconds. */
double cr_plan_fraction(const cr_plan *p, uint64_t step, double seconds_used);
/* 1 when the plan's steps or seconds are all used. */
int cr_plan_finished(const cr_plan *p, uint64_t step);
/* The learning-rate factor at fraction f of the plan: 1, then a straight fall to 0 over the
 * last share p->anneal (for cr_trainer_set_lr_scale). */
double cr_plan_lr_scale(const cr_plan *p, double f);

/* ---- epochs (epoch.c): what cr_trainer_steps_per_epoch gives, without a trainer ---- */
/* Optimizer steps per epoch of a corpus of nchars characters (code points) with c's val_frac,
 * batch and seq_len: the trainer's number whenever the trainer accepts such a corpus. */
uint64_t cr_steps_per_epoch(const cr_config *c, uint64_t nchars);
/* The same for the corpus m's vocabulary was counted on (the sum of its counts): the first
 * session's, which later sessions may not share. */
uint64_t cr_model_steps_per_epoch(const cr_model *m);

/* ---- the recipe (recipe.c): settings for a new model from the corpus and the budget ----
 * What train-charrnn uses for the settings its command line leaves out: the table in
 * docs/performance.md, measured at time budgets on corpora of 50,000 to 1.1 million characters.
 * Smaller corpora get more dropout and an LSTM; a large corpus a GRU, whose cheaper steps learn
 * more from it in the same minutes; longer runs larger models. Products in bfloat16 where the
 * CPU does them in hardware: about a fifth more steps in the same time. */
typedef struct cr_recipe {
    int cell;                          /* CR_LSTM, CR_GRU or CR_RNN */
    int layers, hidden, batch, warmup; /* warmup in steps */
    double dropout, lr;                /* lr: the peak learning rate */
    double weight_decay;               /* cr_config.weight_decay */
    int precision;                     /* CR_BF16 if this CPU has AVX-512 BF16, else CR_FP32 */
} cr_recipe;
/* A budget given in steps or epochs only is taken as this many seconds (the default plan's). */
#define CR_RECIPE_DEFAULT_SECONDS 300.0
/* The recipe for a corpus of nchars characters (code points) and a plan of seconds (0 or less:
 * a plan in steps or epochs, taken as CR_RECIPE_DEFAULT_SECONDS). */
void cr_recipe_for(uint64_t nchars, double seconds, cr_recipe *r);
/* The same for a cell already chosen (cell < 0: none): the table's settings measured with that
 * cell where it has them (an LSTM on a large corpus), else cr_recipe_for's with that cell. */
void cr_recipe_for_cell(uint64_t nchars, double seconds, int cell, cr_recipe *r);
/* 1 if this CPU multiplies bfloat16 in hardware (AVX-512 BF16), where --precision bf16 is the
 * faster; 0 where bf16 products are only rounded and run on the float32 kernels, slower. */
int cr_bf16_in_hardware(void);

/* ---- how well a model knows a text (score.c) ---- */
/*
 * The whole text is known in advance, so it is read as training reads it: through the training
 * forward pass, in B parallel streams. Its n characters make n - 1 predictions (each character
 * predicts the next; the first is predicted by nothing), cut into B streams of equal length.
 * Each stream starts with a blank state (zeros) and, but for the first, first reads the warmup
 * characters before its part without scoring them, so that it starts its part with a memory;
 * the streams then go forward side by side, window characters per pass, the state carried from
 * pass to pass. With the model's batch and seq_len and no warm-up this is exactly the trainer's
 * validation: the loss of a corpus's validation split equals the one the trainer recorded.
 *
 *     cr_score_options o;
 *     cr_score_options_default(&o);
 *     cr_scorer *s;
 *     if (cr_scorer_new(m, &o, &s, &err) != CR_OK) ...
 *     double sum;
 *     size_t count;
 *     cr_scorer_run(s, ids, n, losses, &sum, &count, &err);   (losses: n - 1 doubles, or NULL)
 *     printf("%.4f nats per character\n", sum / count);
 *     cr_scorer_free(s);
 */
typedef struct cr_score_options {
    int use_last;    /* the latest weights, not the best by validation loss */
    int streams;     /* B: parallel streams, 1..100000; 0 = the model's batch */
    int window;      /* characters per forward pass, 1..100000; 0 = the model's seq_len */
    int warmup;      /* characters a stream reads unscored before its part; 0 = none */
    int threads;     /* 1..256; the result does not depend on it */
} cr_score_options;
void cr_score_options_default(cr_score_options *o);

typedef struct cr_scorer cr_scorer;
int cr_scorer_new(const cr_model *m, const cr_score_options *o, cr_scorer **out, cr_error *err);
void cr_scorer_free(cr_scorer *s);
/* Scores the text ids (n, each below the vocabulary's size, else CR_EINVAL): *sum the summed
 * loss in nats over *count = n - 1 predictions (0 when n < 2); loss, if not NULL, receives the
 * loss of each, loss[i] = -ln p(ids[i + 1]) as its stream saw it. */
int cr_scorer_run(cr_scorer *s, const uint32_t *ids, size_t n, double *loss, double *sum,
                  size_t *count, cr_error *err);
/* The characters at the end of a corpus of n characters that training with c holds out for
 * validation: floor(n val_frac). */
size_t cr_val_chars(const cr_config *c, size_t n);

/* ---- sampling ---- */
typedef struct cr_sample_options {
    double temperature;  /* > 0; ignored with argmax */
    int top_k;           /* 0 = off */
    double top_p;        /* 1 = off; in (0, 1] */
    int argmax;          /* always take the most likely character */
    int use_last;        /* latest weights instead of the best */
    int threads;         /* at most this many threads (>= 1; fewer for small models); any count
                            gives the same text */
    int bf16;            /* multiply by the weight matrices rounded to bfloat16: half the memory
                            read per character, a slightly different text */
    uint64_t seed;
} cr_sample_options;

void cr_sample_options_default(cr_sample_options *o);

typedef struct cr_sampler cr_sampler;
int cr_sampler_new(const cr_model *m, const cr_sample_options *o, cr_sampler **out, cr_error *err);
void cr_sampler_free(cr_sampler *s);
/* Feeds one known character id into the model (priming); an id at or above the vocabulary
 * size is ignored. */
void cr_sampler_feed(cr_sampler *s, uint32_t id);
/* Draws the next character from the distribution after the last fed character, feeds it, and
 * returns its id. Before anything was fed, draws from the state after a newline if the vocabulary
 * has one, otherwise from the zero state. */
uint32_t cr_sampler_next(cr_sampler *s);
/* The distribution cr_sampler_next would draw from at temperature 1, (vocab size) floats. */
const float *cr_sampler_probs(cr_sampler *s);
/* A copy of what the characters fed so far left in a sampler's network, to look ahead and come
 * back (sample --choose). The random generator is not part of it: drawing again after a
 * restore draws anew. A state fits the sampler it was made for (or one of the same model). */
typedef struct cr_sampler_state cr_sampler_state;
int cr_sampler_state_new(const cr_sampler *s, cr_sampler_state **out, cr_error *err);
void cr_sampler_state_free(cr_sampler_state *st);
void cr_sampler_save(const cr_sampler *s, cr_sampler_state *st);
void cr_sampler_restore(cr_sampler *s, const cr_sampler_state *st);

/* ---- corpus cleaning (clean.c) ---- */
/*
 * A streaming cleaner that turns raw text, any bytes at all, into a tidy UTF-8 corpus. The
 * passes run in this order; those in brackets are optional:
 *
 *     byte-order mark strip, UTF-8 repair, CRLF and CR to LF, [html], [gutenberg],
 *     control removal, [ascii], [lower], [unwrap], [dedupe], trailing space trim,
 *     blank-line collapse, [min_count: rare characters], final newline.
 *
 * Memory is constant but for dedupe (8 bytes per distinct line, and the longest line),
 * min_count (the whole text, until cr_cleaner_finish), gutenberg (up to 256 KiB of the start
 * of each file, until its start marker) and the longest run of spaces (trim, unwrap). The
 * output does not depend on how the input is split between pushes.
 *
 *     cr_clean_options o;
 *     cr_clean_options_default(&o);
 *     o.html = 1;
 *     cr_cleaner *c;
 *     if (cr_cleaner_new(&o, write_fn, ctx, &c, &err) != CR_OK) return 1;
 *     for (each input file) {
 *         while ((n = read(fd, buf, sizeof buf)) > 0)
 *             if (cr_cleaner_push(c, buf, n, &err) != CR_OK) break;
 *         cr_cleaner_end_file(c, &err);
 *     }
 *     cr_cleaner_finish(c, &err);
 *     cr_cleaner_free(c);
 */
typedef struct cr_clean_options {
    int drop_invalid;    /* drop invalid UTF-8 instead of writing U+FFFD */
    int html;            /* remove tags, scripts, styles and comments; decode entities; block
                            elements become line breaks; collapse white space outside <pre> */
    int gutenberg;       /* remove each file's Project Gutenberg header, footer and licence */
    int ascii;           /* fold typographic quotes, dashes, ellipses and spaces to ASCII */
    int lower;           /* lowercase Latin, Greek, Cyrillic and Armenian */
    int unwrap;          /* join the lines of a paragraph with spaces */
    int dedupe;          /* drop non-blank lines seen before (in any file) */
    uint64_t min_count;  /* 0 = off; else characters seen fewer times are replaced or dropped */
    uint32_t rare;       /* with min_count: the replacement character; 0 = drop */
} cr_clean_options;

typedef struct cr_clean_stats {
    uint64_t bytes_in, bytes_out;
    uint64_t invalid;         /* invalid UTF-8 sequences repaired or dropped */
    uint64_t boms;            /* byte-order marks (U+FEFF) removed */
    uint64_t newlines;        /* CRLF and CR line ends turned into LF */
    uint64_t controls;        /* control characters removed */
    uint64_t tags;            /* html: tags, comments and declarations removed */
    uint64_t entities;        /* html: character references decoded */
    uint64_t gutenberg_lines; /* gutenberg: header, marker, footer and licence lines removed */
    uint64_t folded;          /* ascii: characters folded */
    uint64_t lowered;         /* lower: characters lowercased */
    uint64_t joined;          /* unwrap: line breaks turned into spaces */
    uint64_t duplicates;      /* dedupe: repeated lines dropped */
    uint64_t spaces;          /* trailing spaces and tabs removed */
    uint64_t blank_lines;     /* blank lines dropped: runs, and at the start and the end */
    uint64_t rare_replaced, rare_dropped;
    uint64_t vocab_in;        /* distinct characters read, invalid sequences as U+FFFD */
    uint64_t vocab_out;       /* distinct characters written */
} cr_clean_stats;

/* Receives cleaned text; returns 0, or non-zero to fail the cleaner with CR_EIO. */
typedef int (*cr_clean_write_fn)(void *ctx, const unsigned char *p, size_t n);
typedef struct cr_cleaner cr_cleaner;

void cr_clean_options_default(cr_clean_options *o);
/* CR_EINVAL for rare without min_count, or a rare that is a control character or no scalar. */
int cr_cleaner_new(const cr_clean_options *o, cr_clean_write_fn write, void *ctx,
                   cr_cleaner **out, cr_error *err);
void cr_cleaner_free(cr_cleaner *c);
/* Feeds the next bytes of the current input file. After an error every call returns it. */
int cr_cleaner_push(cr_cleaner *c, const unsigned char *in, size_t len, cr_error *err);
/* Ends one input file: a truncated UTF-8 sequence is repaired, an open line ended, and the
 * html and gutenberg passes start afresh; dedupe remembers lines across files. */
int cr_cleaner_end_file(cr_cleaner *c, cr_error *err);
/* Ends the text (and the current file): held text is written, then the final newline. */
int cr_cleaner_finish(cr_cleaner *c, cr_error *err);
void cr_cleaner_stats(const cr_cleaner *c, cr_clean_stats *s);
/* Cleans a whole text in memory into a new buffer *out (NUL-terminated; *out_len without it);
 * stats may be NULL. */
int cr_clean_text(const cr_clean_options *o, const unsigned char *in, size_t len,
                  unsigned char **out, size_t *out_len, cr_clean_stats *stats, cr_error *err);

/* ---- saving files safely (save.c) ---- */
/*
 * Every file the tools write goes through these. A regular file, or a path that does not exist
 * yet, is written to a temporary file beside it (FILE.tmp-PID-XXXXXX) and replaces it only when
 * the save commits, so that a failed or interrupted save leaves the old file whole. A path that
 * names something else (a terminal, a pipe, a FIFO, /dev/null, or a link to one of these, such
 * as /dev/stdout) is opened and written in place, never replaced. A symbolic link to a regular
 * file stays a link: the file it points to is replaced. A save removes the temporary files of
 * earlier saves to the same file whose process is gone.
 */
typedef struct cr_save cr_save;
int cr_save_begin(const char *path, cr_save **out, cr_error *err);
int cr_save_write(cr_save *s, const void *p, size_t n, cr_error *err);
/* Makes the save final (and frees s, as cr_save_abort does on either result). */
int cr_save_commit(cr_save *s, cr_error *err);
/* Gives up: the temporary file goes, the old file stays. Accepts NULL. */
void cr_save_abort(cr_save *s);
/* The whole save of one buffer. */
int cr_save_file(const char *path, const void *data, size_t n, cr_error *err);
/* Checks, before long work, that a save to path can succeed: the temporary file is created and
 * removed (or, for a target that is not a regular file, that it is writable). */
int cr_save_check(const char *path, cr_error *err);
/* 1 if a save to path replaces a file (a regular file, or none yet), 0 if it writes in place. */
int cr_save_is_regular(const char *path);

/* ---- what a file of text holds, and other encodings read as UTF-8 (textin.c) ---- */
/*
 * Before text is used, its first bytes tell whether it is text at all (a PDF, a Word file, a
 * photo or an archive is named, with what to do instead) and whether it is UTF-16 or UTF-32.
 * Text in any other encoding is converted to UTF-8 by a recoder, through iconv(3):
 *
 *     cr_text_kind k;
 *     cr_text_sniff(buf, n, &k);               (the file's first bytes; 4096 are enough)
 *     if (k.kind == CR_TEXT_BINARY) ... tell the user k.what and k.advice
 *     cr_recoder *r;
 *     if (cr_recoder_new(k.encoding ? k.encoding : "WINDOWS-1252", &r, &err) != CR_OK) ...
 *     while (more) cr_recoder_push(r, in, len, &utf8, &utf8_len, &err);   (skip k.bom first)
 *     cr_recoder_finish(r, &utf8, &utf8_len, &err);
 *     cr_recoder_free(r);
 */
enum {
    CR_TEXT_UTF8 = 0,     /* or ASCII, or anything else that is no known binary format */
    CR_TEXT_UTF16LE, CR_TEXT_UTF16BE, CR_TEXT_UTF32LE, CR_TEXT_UTF32BE,
    CR_TEXT_BINARY        /* a file format that is not text */
};
typedef struct cr_text_kind {
    int kind;
    size_t bom;           /* bytes of byte-order mark at the start (UTF-16 and UTF-32) */
    const char *encoding; /* the iconv name of a UTF-16 or UTF-32, else NULL */
    const char *what;     /* CR_TEXT_BINARY: what it is, "a PDF document" */
    const char *advice;   /* CR_TEXT_BINARY: what to do instead, for the user */
} cr_text_kind;
/* Looks at the first bytes of a file (at most 4096 of them are read). */
void cr_text_sniff(const unsigned char *head, size_t n, cr_text_kind *kind);

/* For text that is not valid UTF-8: the legacy encoding it most likely is. */
typedef struct cr_legacy_guess {
    const char *encoding;    /* an iconv name ("WINDOWS-1252"), or NULL when unsure */
    const char *description; /* for the user; NULL for text with no byte above 0x7F */
} cr_legacy_guess;
void cr_text_guess_legacy(const unsigned char *p, size_t n, cr_legacy_guess *guess);

/* A converter from one encoding (any name iconv(3) knows) to UTF-8, fed in pieces. */
typedef struct cr_recoder cr_recoder;
/* CR_EINVAL for an encoding this system does not know. */
int cr_recoder_new(const char *from, cr_recoder **out, cr_error *err);
void cr_recoder_free(cr_recoder *r);
/* Converts the next n bytes; *out (*outn bytes of UTF-8) stays valid until the next call. A
 * character cut by the end of a piece waits for the next. CR_EUTF8, with the byte offset in the
 * whole input, for bytes that are not valid in the encoding. */
int cr_recoder_push(cr_recoder *r, const unsigned char *in, size_t n, const unsigned char **out,
                    size_t *outn, cr_error *err);
/* Ends the input: CR_EUTF8 if it ends inside a character. */
int cr_recoder_finish(cr_recoder *r, const unsigned char **out, size_t *outn, cr_error *err);

/* ---- what a text copies from a corpus (corpus_index.c) ---- */
/*
 * An index over one or more corpus files finds the spans of a text that occur verbatim in them,
 * and where. Every length and position is in code points (not bytes). Lines are counted as an
 * editor counts them: from 1, ended by \n, \r\n or a lone \r; columns from 1, in code points.
 * A match never runs from one file into the next.
 *
 *     cr_corpus_file f[2] = {{"a.txt", text_a, len_a}, {"b.txt", text_b, len_b}};
 *     cr_corpus_index *ix;
 *     if (cr_corpus_index_build(f, 2, &ix, &err) != CR_OK) ...
 *     cr_corpus_span *spans;
 *     size_t n;
 *     if (cr_corpus_match(ix, cps, ncps, 20, &spans, &n, &err) != CR_OK) ...
 *     ... spans[i].start, .length, .first.file, .first.line, .first.column, .others
 *     free(spans);
 *     cr_corpus_index_free(ix);
 *
 * The index is a suffix array (built by SA-IS in time linear in the corpus) with its inverse, its
 * LCP array and minimum tables: about 18 bytes per code point of the corpus. Matching takes a
 * time about proportional to the text (O(log N) per code point of it).
 */
typedef struct cr_corpus_file {
    const char *name;           /* how the caller names the file (copied), or NULL */
    const unsigned char *text;  /* valid UTF-8 */
    size_t len;                 /* bytes */
} cr_corpus_file;

typedef struct cr_corpus_index cr_corpus_index;

/* Indexes the files, in this order. CR_EUTF8 (err->offset the byte) for text that is not
 * UTF-8, CR_EINVAL for no files or more than 2^31 - 3 code points in all. Empty files are fine. */
int cr_corpus_index_build(const cr_corpus_file *files, size_t nfiles, cr_corpus_index **out,
                          cr_error *err);
void cr_corpus_index_free(cr_corpus_index *ix);
size_t cr_corpus_index_files(const cr_corpus_index *ix);
/* The name file was given (as given, "" for NULL), or NULL for no such file. */
const char *cr_corpus_index_name(const cr_corpus_index *ix, size_t file);
/* The code points of a file. */
size_t cr_corpus_index_chars(const cr_corpus_index *ix, size_t file);
/* The bytes of a file, and their SHA-256 (32 bytes; NULL for no such file). */
uint64_t cr_corpus_index_bytes(const cr_corpus_index *ix, size_t file);
const unsigned char *cr_corpus_index_sha256(const cr_corpus_index *ix, size_t file);

/* A saved index (docs/index-format.md): the files' names, sizes, SHA-256 and text, and the suffix
 * array, so that reading it skips the sort. Reading checks it as a checkpoint is checked (its
 * signature, version, sizes and CRC-32, each file's SHA-256, and the suffix array itself):
 * CR_EFORMAT (err->offset the byte) for a damaged or truncated index, CR_EVERSION for a newer
 * one; a damaged index is refused, never trusted. *buf is allocated; the caller frees it. */
int cr_corpus_index_encode(const cr_corpus_index *ix, unsigned char **buf, size_t *len,
                           cr_error *err);
int cr_corpus_index_decode(const unsigned char *buf, size_t len, cr_corpus_index **out,
                           cr_error *err);
/* Encodes and saves atomically (save.c). */
int cr_corpus_index_write_file(const cr_corpus_index *ix, const char *path, cr_error *err);

/* A place in the corpus. */
typedef struct cr_corpus_place {
    uint32_t file;       /* index into the files given to cr_corpus_index_build */
    uint64_t offset;     /* code points from the start of the file */
    uint64_t line;       /* from 1 */
    uint64_t column;     /* from 1, in code points */
} cr_corpus_place;

/* A span of the text that occurs verbatim in the corpus and is maximal: one more code point of
 * the text on either side and it does not. Two spans may overlap. */
typedef struct cr_corpus_span {
    size_t start;        /* code points from the start of the text */
    size_t length;       /* code points */
    cr_corpus_place first; /* its first occurrence: the lowest file, then the lowest offset */
    uint64_t others;     /* how many more times it occurs in the corpus, in any file */
} cr_corpus_span;

/* Every maximal span of text (n code points) of at least min (>= 1) code points that occurs in
 * the corpus, in order of start (and of end). *spans is allocated (NULL when *nspans is 0); the
 * caller frees it. Code points the corpus does not hold, invalid ones too, simply match nothing. */
int cr_corpus_match(const cr_corpus_index *ix, const uint32_t *text, size_t n, size_t min,
                    cr_corpus_span **spans, size_t *nspans, cr_error *err);

/*
 * A cursor follows a text being written, one code point at a time, and knows the longest end
 * of it (a suffix) that occurs in the corpus: to keep a generator from copying more than N code
 * points in a row. Feeding costs O(log N) amortised: the cursor holds the range of suffixes of
 * the corpus that start with the match, and when the match must lose its first code point, it
 * moves through the inverse suffix array and the LCP table instead of searching again.
 *
 *     cr_corpus_cursor c;
 *     cr_corpus_cursor_init(&c, ix);
 *     for each code point cp written: cr_corpus_cursor_feed(&c, cp);
 *     before writing cp: if (cr_corpus_cursor_would_copy(&c, cp, N)) draw another
 *
 * A cursor is a plain value: copy it to try something, keep the original to go back. It holds a
 * pointer to the index, which must outlive it; any number of cursors may share one index, from
 * any number of threads.
 */
typedef struct cr_corpus_cursor {
    const cr_corpus_index *ix;
    size_t lo, hi;       /* private: the ranks of the corpus suffixes that start with the match */
    size_t len;          /* the match: this many of the last code points fed occur in the corpus */
} cr_corpus_cursor;

void cr_corpus_cursor_init(cr_corpus_cursor *c, const cr_corpus_index *ix);
/* Appends cp to the text; returns the new length of the longest end of it found in the corpus. */
size_t cr_corpus_cursor_feed(cr_corpus_cursor *c, uint32_t cp);
/* 1 if feeding cp would make that length more than n, else 0 (the cursor does not change). */
int cr_corpus_cursor_would_copy(const cr_corpus_cursor *c, uint32_t cp, size_t n);
/* Where the current match first occurs in the corpus (*first), and how many times it occurs in
 * all; 0 (and *first untouched) when the match is empty. */
uint64_t cr_corpus_cursor_where(const cr_corpus_cursor *c, cr_corpus_place *first);

/* ---- sampling that does not copy the corpus (sampler.c, novel.c) ---- */
/*
 * A filter decides, for each character drawn, whether it may be written; the sampler draws
 * again, from what is left, until one is accepted. A novelty filter refuses every character
 * that would make the text copy more than N code points of a corpus in a row:
 *
 *     cr_novel *g;
 *     if (cr_novel_new(ix, cr_model_vocab(m), 20, &g, &err) != CR_OK) ...
 *     for each code point cp of a prime: cr_novel_feed_cp(g, cp), and feed its id to s
 *     for (;;) {
 *         size_t refused;
 *         if (!cr_novel_next(g, s, &id, &refused)) break;   (every candidate would copy)
 *         ... write id ...
 *     }
 *     cr_novel_free(g);
 */
/* Nonzero if the sampler may draw id, 0 to refuse it. */
typedef int (*cr_sample_filter)(void *ctx, uint32_t id);
/* cr_sampler_next with a filter (NULL accepts everything): a character drawn and refused is put
 * aside, and the draw is made again with a new random number from the others that top-k and
 * top-p kept, renormalised; when none of them is left, top-k and top-p choose again from all
 * the characters not refused. argmax takes the likeliest not refused. Until a refusal, the draw
 * (and the random numbers used) are cr_sampler_next's, so a filter that refuses nothing changes
 * nothing. Returns 1 with the character fed and in *id; 0 when every character of nonzero
 * probability was refused (nothing fed, *id untouched). *refused (may be NULL) gets the number
 * of refusals. */
int cr_sampler_next_filtered(cr_sampler *s, cr_sample_filter allow, void *ctx, uint32_t *id,
                             size_t *refused);

typedef struct cr_novel cr_novel;
/* A novelty filter for a model's vocabulary v over the corpus of ix (both must outlive it): at
 * most n (>= 1) code points in a row copied. A vocabulary id that stands for several code points
 * (an ml5 key such as "  ") is checked, and followed, code point by code point. */
int cr_novel_new(const cr_corpus_index *ix, const cr_vocab *v, size_t n, cr_novel **out,
                 cr_error *err);
void cr_novel_free(cr_novel *g);
/* Text written without the sampler (a prime): any code point, known to the model or not. */
void cr_novel_feed_cp(cr_novel *g, uint32_t cp);
/* A vocabulary id written: its code points. */
void cr_novel_feed(cr_novel *g, uint32_t id);
/* The filter: 1 if writing id keeps the copy at most n code points long (ctx is the cr_novel). */
int cr_novel_allows(void *g, uint32_t id);
/* Draws from s with the filter and feeds what was drawn to both: cr_sampler_next_filtered's
 * result. Counts draws refused into cr_novel_refused. */
int cr_novel_next(cr_novel *g, cr_sampler *s, uint32_t *id, size_t *refused);
/* The longest run of the text so far that occurs in the corpus, in code points; the cursor
 * that follows the text (for where its current copy comes from); refusals so far. */
size_t cr_novel_longest(const cr_novel *g);
const cr_corpus_cursor *cr_novel_cursor(const cr_novel *g);
uint64_t cr_novel_refused(const cr_novel *g);

/* ---- ml5.js model folders (ml5.c) ---- */
/*
 * ml5.js 0.12.2, the last release with CharRNN, loads a model from a folder: manifest.json
 * (each variable's file name and shape), vocab.json (each character's id) and one file of raw
 * little-endian float32 values per variable: an embedding, per layer a TensorFlow BasicLSTMCell
 * kernel (input + hidden, 4 hidden) and bias (gates i, j, f, o; a forget bias of 1 added when it
 * runs), and the output's softmax_w and softmax_b. docs/ml5.md says how the two map onto our
 * tensor table. Every tool that reads a checkpoint reads such a folder too (cr_ckpt_read_file).
 *
 *     cr_ml5_report rep;
 *     if (cr_ml5_read("models/bolano/", &m, &rep, &err) != CR_OK) ...   (ml5 to charrnn)
 *     if (cr_ml5_write(m, 1, "web/models/mybot", &err) != CR_OK) ...    (charrnn to ml5)
 */

/* 1 if path names a folder (which cr_ckpt_read_file imports as an ml5.js model), else 0. */
int cr_ckpt_is_folder(const char *path);

enum { CR_ML5_MAX_ODD = 16 };

/* A vocab.json key that is not exactly one character ("" or "  ", say). The model keeps it as
 * the string it holds (cr_vocab.strings), which sampling writes out whole, as ml5 does; its code
 * point is a private-use stand-in, U+10FF00 + k for the k-th such key by ml5 id, so it can
 * never be typed in a prime or a corpus. */
typedef struct cr_ml5_odd {
    uint32_t ml5_id;      /* its id in vocab.json */
    uint32_t id;          /* its id in the imported model */
    long long offset;     /* byte offset of the key in vocab.json */
} cr_ml5_odd;

/* What an import read and found, for the tool to tell its user (the library never prints). */
typedef struct cr_ml5_report {
    uint32_t files;       /* files read, manifest.json and vocab.json included */
    uint64_t bytes;       /* their bytes */
    uint32_t nodd;        /* vocab.json keys that are not exactly one character */
    cr_ml5_odd odd[CR_ML5_MAX_ODD];  /* the first of them, by ml5 id */
} cr_ml5_report;

/* Imports the ml5.js CharRNN model folder dir: a two-layer LSTM with cfg.embed = the embedding's
 * width (0 if the folder has none), default training settings, no optimizer state, an empty
 * history, and one lineage session recording the import (the folder, and each file's name, size
 * and SHA-256). Everything is checked before use: shapes against the manifest and the file
 * sizes (before allocating), ids, and that every weight is finite. report may be NULL. */
int cr_ml5_read(const char *dir, cr_model **out, cr_ml5_report *report, cr_error *err);
/* Writes the model's latest (which = 0) or best (which = 1) weights as a folder that ml5.js
 * 0.12.2's CharRNN loads, giving the same probabilities; each file is replaced atomically,
 * manifest.json last. dir is created if missing (with the folders above it); an existing dir
 * must be empty or hold a model (a manifest.json), whose files are replaced. Only two-layer
 * LSTMs run in ml5 (it reads its output from layer 1): CR_EINVAL for any other model, or for
 * weights that are not finite. A one-hot model is written with an identity embedding, which
 * gives exactly the same result. */
int cr_ml5_write(const cr_model *m, int which, const char *dir, cr_error *err);

#endif
