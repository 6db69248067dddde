/* internal.h: what the library's files share with each other and with the unit tests. */
#ifndef CR_INTERNAL_H
#define CR_INTERNAL_H

#include "activations.h" /* cr_exp, cr_tanh, cr_sigmoid: inline, branch-free */
#include "cell_math.h"   /* gate order and per-unit equations of each cell */
#include "charrnn.h"

#include <math.h>
#include <stdarg.h>

#define CR_MAX_LAYERS 8
#define CR_MAX_TENSORS (3 + 4 * CR_MAX_LAYERS)

/* Fills err (if not NULL) and returns code. offset -1 means "no place". */
int cr_fail(cr_error *err, int code, long long offset, const char *chunk, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- small helpers (util.c) ---- */
/* Task task's share [*a, *b) of n items split between ntasks as evenly as whole items allow:
 * the same shares whichever thread runs the task. */
void cr_split(int n, int task, int ntasks, int *a, int *b);
/* bytes zeroed bytes at a 64-byte (cache-line) boundary, or NULL; release with free. */
void *cr_aligned_zeros(size_t bytes);

/* ---- the model ---- */
/* Where each parameter tensor is: an index into the model's tensors[], which give its offset in
 * params (and in gradients and moments, laid out alike); -1 for a tensor the model has not.
 * G gate blocks of H columns each; In = E, V (one-hot input) or H above layer 0. */
typedef struct cr_layout {
    int embed;              /* (V, E), or -1 for one-hot input */
    int Wx[CR_MAX_LAYERS];  /* (In, G*H) */
    int Wh[CR_MAX_LAYERS];  /* (H, G*H) */
    int b[CR_MAX_LAYERS];   /* (G*H) */
    int bhn[CR_MAX_LAYERS]; /* GRU (H): the recurrent side's candidate bias; -1 otherwise */
    int outW;               /* (H, V) */
    int outb;               /* (V) */
} cr_layout;
/* The tensor of index t (from a cr_layout) within params, or within gradients or moments */
#define CR_TENSOR(m, params, t) ((params) + (m)->tensors[(t)].offset)

struct cr_model {
    cr_config cfg;
    cr_vocab vocab;
    size_t ntensors;
    cr_tensor_info tensors[CR_MAX_TENSORS]; /* names and shapes, for the checkpoint and dump */
    cr_layout layout;                       /* the same tensors, by role */
    size_t nparams;
    float *params;        /* (nparams) latest weights, laid out by tensors[] */
    float *best;          /* (nparams) best weights by validation loss, or NULL */
    float *m1;            /* (nparams) Adam first moment / SGD velocity, or NULL before training */
    float *m2;            /* (nparams) Adam second moment, or NULL */
    float *carry;         /* (L, S, B, H) state carried between training chunks, S states per
                             cell (h, then LSTM's c); NULL before training */
    cr_train_progress prog;
    cr_rng rng;           /* the training stream: initialisation, then dropout masks */
    cr_history_row *hist;
    size_t nhist, caphist;
    cr_session *sessions;
    size_t nsessions;
    cr_plan plan;         /* the budget being trained to, when has_plan */
    int has_plan;
};

int cr_gates_per_cell(int cell);          /* G of cr_cell_of(cell): 4 LSTM, 3 GRU, 1 RNN */
int cr_states_per_cell(int cell);         /* S of cr_cell_of(cell): 2 LSTM (h, c), 1 otherwise */
size_t cr_carry_floats(const cr_config *c);
/* Builds the tensor table and allocates params (zeroed). */
int cr_model_alloc(cr_model **out, const cr_config *cfg, const cr_vocab *vocab, cr_error *err);
void cr_model_init_weights(cr_model *m);
/* The number of parameters a model of this shape has, without allocating it. */
size_t cr_param_count_for(const cr_config *cfg, uint32_t vocab_size);
int cr_model_append_history(cr_model *m, const cr_history_row *row, cr_error *err);
/* The step from which the model has trained on its last session's files: the start of the
 * earliest of the sessions at the end of its lineage that read the same files; 0 without
 * sessions. Validations before it were of another text. */
uint64_t cr_corpus_since(const cr_model *m);
/* Index of the tensor called name, or -1: for the codecs, which meet tensors by name; the
 * library's own code goes by m->layout. */
int cr_model_find_tensor(const cr_model *m, const char *name);
int cr_vocab_copy(cr_vocab *dst, const cr_vocab *src, cr_error *err);

/* ---- threads: a pool created once, tasks split by fixed ranges ---- */
typedef struct cr_pool cr_pool;
typedef void (*cr_task_fn)(void *ctx, int task, int ntasks);
int cr_pool_new(int threads, cr_pool **out);
void cr_pool_free(cr_pool *p);
int cr_pool_threads(const cr_pool *p);
/* A hint to the CPU inside a spin-wait loop. */
static inline void cr_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
/* Runs fn(ctx, i, n) for i in 0..n-1 with n = the pool's thread count, and waits. */
void cr_pool_run(cr_pool *p, cr_task_fn fn, void *ctx);

/* ---- matrix kernels (row-major; ld* are row strides in floats); pool may be NULL ---- */
/* C(M,N) = A(M,K) B(K,N), or += when accumulate. Each row of C is one thread's, so the result
 * does not depend on the thread count. */
void cr_mm_nn(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float *C, int ldc, int accumulate);
/* C(M,N) += A(K,M)^T B(K,N). */
void cr_mm_tn_acc(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *B,
                  int ldb, float *C, int ldc);
/* The same products with a chosen kernel; cr_kernel_best() is the fastest this CPU runs. */
enum { CR_KERNEL_GENERIC = 0, CR_KERNEL_AVX2 = 1, CR_KERNEL_AVX512 = 2 };
int cr_kernel_available(int kind);
int cr_kernel_best(void);
const char *cr_kernel_name(int kind);
void cr_mm_nn_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, float *C, int ldc, int accumulate);
void cr_mm_tn_acc_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float *C, int ldc);
/* B packed for cr_mm_nn_packed: panels of 32 columns, each (K, 32) contiguous, the last padded
 * with zeros; cr_packed_floats(K, N) floats. cr_pack packs B(K,N) with row stride ldb, or with
 * transposed != 0, B given as its transpose (N,K) with row stride ldb. */
size_t cr_packed_floats(int K, int N);
void cr_pack(cr_pool *p, const float *B, int K, int N, int ldb, int transposed, float *out);
/* C(M,N) = A(M,K) Bp, or += when accumulate: the same sums as cr_mm_nn, bit for bit. */
void cr_mm_nn_packed(cr_pool *p, int M, int N, int K, const float *A, int lda, const float *Bp,
                     float *C, int ldc, int accumulate);
void cr_mm_nn_packed_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                          const float *Bp, float *C, int ldc, int accumulate);
/* Only columns [j0, j1) of cr_mm_nn_packed (j0 a multiple of 32, j1 too or N), on the calling
 * thread: the same bytes. */
void cr_mm_nn_packed_cols(int M, int N, int K, const float *A, int lda, const float *Bp, float *C,
                          int ldc, int accumulate, int j0, int j1);
/* One panel of cr_mm_nn_packed: rows x ncols of C (ncols <= 32) += A (rows, K) Bp (K, 32),
 * or = when !acc; A(i, k) = A[i * ars + k * aks]. */
void cr_pk_panel(int kind, int rows, int K, const float *A, long ars, long aks, const float *Bp,
                 float *C, long ldc, int ncols, int acc);

/* ---- the same products with inputs rounded to bfloat16, sums in float32 (kernels_bf16.c) ----
 * CR_BF16_ROUNDED runs the float32 kernels on the rounded values: the sum of the exact products
 * in k order, the same bytes on every machine. CR_BF16_AVX512 (vdpbf16ps) adds the products in
 * pairs and flushes subnormals: the same up to float summation order. */
enum { CR_BF16_ROUNDED = 0, CR_BF16_AVX512 = 1 };
int cr_bf16_kernel_available(int kind);
int cr_bf16_kernel_best(void);
const char *cr_bf16_kernel_name(int kind);
/* B(K, N) packed as bf16 pairs along K: panels of 32 columns, each ((K + 1) / 2, 32) words,
 * word (r, c) = bf16 B(2r, c) | bf16 B(2r + 1, c) << 16 (0 past K and N). The words fit in the
 * cr_packed_floats(K, N) floats of the float32 packing. */
size_t cr_packed_bf16_words(int K, int N);
void cr_pack_bf16(cr_pool *p, const float *B, int K, int N, int ldb, int transposed,
                  uint32_t *out);
void cr_mm_nn_packed_bf16_kind(int kind, cr_pool *p, int M, int N, int K, const float *A,
                               int lda, const uint32_t *Bp, float *C, int ldc, int accumulate);
void cr_mm_tn_acc_bf16_kind(int kind, cr_pool *p, int M, int N, int K, const float *A, int lda,
                            const float *B, int ldb, float *C, int ldc);
/* The products of training at precision prec (CR_FP32 or CR_BF16, the fastest kernel of each);
 * for CR_BF16 the packed weights are cr_pack_bf16's words in cr_packed_floats' buffer. */
void cr_pack_prec(int prec, cr_pool *p, const float *B, int K, int N, int ldb, int transposed,
                  float *out);
void cr_mm_nn_packed_prec(int prec, cr_pool *p, int M, int N, int K, const float *A, int lda,
                          const float *Bp, float *C, int ldc, int accumulate);
void cr_mm_nn_packed_cols_prec(int prec, int M, int N, int K, const float *A, int lda,
                               const float *Bp, float *C, int ldc, int accumulate, int j0, int j1);
void cr_mm_tn_acc_prec(int prec, cr_pool *p, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float *C, int ldc);

/* ---- element-wise loops compiled once per instruction set ----
 * Loops over j cut into blocks of CR_SIMD_W floats (one AVX-512 vector): gcc -O2 vectorises
 * only loops whose trip count it knows. CR_SIMD_VARIANTS(type, name, params, args) compiles the
 * always-inline function name for each kind of cr_kernel_best() and defines
 * type name_for(int kind); the same kind on every thread gives the same bytes. The AVX kinds
 * fuse a * b + c into one rounding: clang does by default, gcc in ISO C mode only when told. */
#define CR_SIMD_W 16
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#ifdef __clang__
#define CR_SIMD_FUSED
#else
#define CR_SIMD_FUSED __attribute__((optimize("fp-contract=fast")))
#endif
#define CR_SIMD_VARIANTS(type, name, params, args)                                           \
    __attribute__((target("avx512f,fma"))) CR_SIMD_FUSED static void name##_avx512 params     \
    {                                                                                        \
        name args;                                                                           \
    }                                                                                        \
    __attribute__((target("avx2,fma"))) CR_SIMD_FUSED static void name##_avx2 params          \
    {                                                                                        \
        name args;                                                                           \
    }                                                                                        \
    static void name##_generic params { name args; }                                         \
    static type name##_for(int kind)                                                         \
    {                                                                                        \
        return kind == CR_KERNEL_AVX512 ? name##_avx512                                      \
               : kind == CR_KERNEL_AVX2 ? name##_avx2 : name##_generic;                      \
    }
#else
#define CR_SIMD_VARIANTS(type, name, params, args)                                           \
    static void name##_generic params { name args; }                                         \
    static type name##_for(int kind) { (void)kind; return name##_generic; }
#endif

/* ---- cells: one layer over T steps of a batch of B rows, H units ----
 * xp (T, B, G*H): on entry the input projection x Wx + b; on return the cell's activations
 * h  (T+1, B, H): h[0] the state carried in; h[t+1] the output of step t
 * Whp, WhTp: the recurrent weights Wh (H, G*H) and Wh^T (G*H, H), packed (cr_pack) for the
 * forward and backward products */
typedef struct cr_cell_io {
    int T, B, H;
    const float *Whp;  /* packed Wh (H, G*H) */
    const float *WhTp; /* packed Wh^T (G*H, H) */
    const float *bhn; /* GRU (H): hidden-side candidate bias */
    float *xp;        /* (T, B, G*H) */
    float *gh;        /* GRU (T, B, H): h Wh_n + bhn, kept for backward */
    float *h;         /* (T+1, B, H) */
    float *c;         /* LSTM (T+1, B, H): cell states, c[0] carried in */
    float *tc;        /* LSTM (T, B, H): tanh of c[t+1] */
    float *ghs;       /* (B, G*H) scratch for one step's recurrent product */
    /* backward */
    float *dh;        /* (T, B, H): in, the gradient reaching each output from above; destroyed */
    float *dgx;       /* (T, B, G*H): out, gradient of the x-side pre-activations */
    float *dgh;       /* (T, B, G*H): out, of the h-side pre-activations (== dgx but for GRU) */
    float *dh0;       /* (B, H): out, gradient of h[0] */
    float *dc0;       /* LSTM (B, H): out, gradient of c[0] */
    float *dc;        /* LSTM (B, H) scratch */
    cr_pool *pool;
    int prec;         /* CR_FP32 or CR_BF16: of the products and of Whp, WhTp */
} cr_cell_io;

/* One time step of a cell, for a task that does its batch rows [b0, b1) of cr_split(B, ...). */
typedef struct cr_cell_step {
    const cr_cell_io *io;
    int t;
} cr_cell_step;
/* Runs fn(cr_cell_step *, task, ntasks) for step t, on the pool when the step is large. */
void cr_cell_for_rows(const cr_cell_io *io, int t, cr_task_fn fn);

/* One batch-1 step of a layer for infer.c, for chunks [c0, c0 + nc) of CR_PANEL units each: the
 * pre-activations come in panels of CR_PANEL floats, gate q of chunk c0 + i at panel i * G + q.
 * Each cell's step runs the unit equations of its training loops (cell_math.h) over restrict
 * pointers, a full chunk as a loop of known trip count so that it vectorises, compiled once per
 * instruction set and chosen by the kernel kind as those loops are, so that a contracted or
 * fused multiply-add is the same here as there. */
typedef struct cr_cell_step1 {
    int H, c0, nc;
    const float *px;  /* (nc, G, CR_PANEL) x Wx + b, plus h' Wh unless the cell keeps it apart */
    const float *ph;  /* (nc, G, CR_PANEL) h' Wh, for a cell that keeps it apart (hbias >= 0) */
    const float *bhn; /* GRU (H): the layer's recurrent candidate bias */
    const float *hp;  /* (H) the layer's h before */
    float *c;         /* LSTM (H): the layer's cell state, updated */
    float *hn;        /* (H) receives h after, for these units */
} cr_cell_step1;
typedef void cr_cell_step1_fn(const cr_cell_step1 *s);

/* ---- the table of cells (cells.c): a row per cell type, read by everything cell-specific.
 * A new cell: a row here, an enum of its gates and its unit equations in cell_math.h, and a
 * file like rnn.c with the functions below. */
typedef struct cr_cell_desc {
    const char *name; /* as in --cell, dump and messages */
    int G;            /* gate blocks of H columns each in Wx, Wh and b (order: cell_math.h) */
    int S;            /* states per layer carried between steps: h, then c if S == 2 */
    int hbias;        /* -1: h' Wh is added to x Wx + b; else h' Wh is kept apart, with a bias
                         bhn (H) of its own on this gate block (GRU's n) */
    int one_bias;     /* the gate block whose bias starts at 1 (LSTM's forget gate), or -1 */
    void (*forward)(cr_cell_io *io);
    void (*backward)(cr_cell_io *io);
    cr_cell_step1_fn *(*step1_for)(int kind); /* the batch-1 step compiled for a kernel kind */
} cr_cell_desc;
/* The row of cell (CR_LSTM, ...), or NULL for no such cell. */
const cr_cell_desc *cr_cell_of(int cell);

void cr_lstm_forward(cr_cell_io *io);
void cr_lstm_backward(cr_cell_io *io);
cr_cell_step1_fn *cr_lstm_step1_for(int kind);
void cr_gru_forward(cr_cell_io *io);
void cr_gru_backward(cr_cell_io *io);
cr_cell_step1_fn *cr_gru_step1_for(int kind);
void cr_rnn_forward(cr_cell_io *io);
void cr_rnn_backward(cr_cell_io *io);
cr_cell_step1_fn *cr_rnn_step1_for(int kind);

/* ---- the network over one chunk: forward, loss, backward ---- */
typedef struct cr_net cr_net;
/* Workspace for chunks of up to T steps and B rows; training = 1 also allocates backward. */
int cr_net_new(const cr_model *m, int T, int B, int training, cr_pool *pool, cr_net **out,
               cr_error *err);
/* The same, reading the packed weights of packs_of (a net of the same model, for training if
 * this one is), which packs them for both: this net's own cr_net_weights_changed does nothing.
 * packs_of must outlive it. */
int cr_net_new_sharing(const cr_model *m, int T, int B, int training, cr_pool *pool,
                       const cr_net *packs_of, cr_net **out, cr_error *err);
void cr_net_free(cr_net *n);
/* The net multiplies by packed copies of the weight matrices, made from m->params by
 * cr_net_new: call this whenever the weights change or other weights are to be used, before
 * passing them as params to cr_net_forward and cr_net_backward. */
void cr_net_weights_changed(cr_net *n, const float *params);
/* cr_net_weights_changed with the packing split over pool instead of the net's own. */
void cr_net_pack(cr_net *n, cr_pool *pool, const float *params);
/* Forward over tokens (T, B) with states (L, S, B, H) carried in and updated in place; returns
 * the summed cross-entropy (nats) over the targets that are not CR_IGNORE, and counts them.
 * dropout_rng: NULL for no dropout (evaluation). */
#define CR_IGNORE 0xFFFFFFFFu
double cr_net_forward(cr_net *n, const float *params, const uint32_t *tokens,
                      const uint32_t *targets, int T, int B, float *state, cr_rng *dropout_rng,
                      size_t *counted);
/* Backward of the last forward for the mean loss over counted targets: adds into grads
 * (nparams). dstate0 (L, S, B, H) receives the gradient of the initial states, or NULL. */
void cr_net_backward(cr_net *n, const float *params, float *grads, float *dstate0);
/* Before cr_net_backward: the mean is over count targets instead of the last forward's own
 * count (a batch split into shards, each a net: the count of the whole batch). */
void cr_net_mean_over(cr_net *n, size_t count);
/* The logits of the last forward, (T, B, V). */
const float *cr_net_logits(const cr_net *n);
/* The loss of each row of the last forward, (T, B) nats; NaN where the target was CR_IGNORE. */
const double *cr_net_row_losses(const cr_net *n);

/* ---- a whole text in parallel streams (score.c): the trainer's validation, the scorer ----
 * ids (n) as n - 1 predictions in at most B streams of equal length, each from the zero state,
 * each but the first reading the warm characters before its part unscored, forward in passes
 * of at most T steps with the state carried. in, tgt (T, B) and state (state_floats, at least
 * (L, S, B, H)) are scratch. Returns the summed loss (nats); *count the predictions; loss (n -
 * 1) receives each, or NULL. */
double cr_stream_loss(cr_net *net, const float *w, const uint32_t *ids, size_t n, int B, int T,
                      size_t warm, uint32_t *in, uint32_t *tgt, float *state, size_t state_floats,
                      double *loss, size_t *count);

/* ---- matrix-vector products over packed weights (matvec.c), for infer.c ----
 * W holds rows of np panels of CR_PANEL columns (np <= CR_MATVEC_PANELS); the product adds
 * x (K) W to pre (np * CR_PANEL), each element one chain over k in order, fused or unfused as
 * the matrix kernel of the same kind. fp32: W (K, np * 16) floats. bf16: W ((K + 1) / 2,
 * np * 16) 32-bit words, each the bf16 of row 2r in its low half and of row 2r + 1 in its high
 * half (0 past K); the result equals the fp32 product with those rounded weights. */
#define CR_PANEL 16
#define CR_MATVEC_PANELS 8
typedef void cr_matvec_fn(int np, int K, const float *x, const void *W, float *pre);
cr_matvec_fn *cr_matvec_for(int kind, int bf16);
uint16_t cr_bf16_from_float(float x); /* rounded to nearest, ties to even; NaN stays NaN */
float cr_bf16_to_float(uint16_t b);

/* ---- batch-1 inference for the sampler (infer.c): weights packed once per thread ---- */
typedef struct cr_infer cr_infer;
/* Packs the weights params (laid out by m's tensors) for the pool's threads (pool may be NULL:
 * one thread) and the matrix-vector kernel of that kind, with the weight matrices (l*.Wx, l*.Wh,
 * out.W) rounded to bfloat16 when bf16 is set; the state starts at zero. The result does not
 * depend on the thread count, and equals the network's on the same (rounded) weights. */
int cr_infer_new(const cr_model *m, const float *params, cr_pool *pool, int kind, int bf16,
                 cr_infer **out, cr_error *err);
void cr_infer_free(cr_infer *f);
/* How many of wanted threads are worth their waits for m: fewer for small models. */
int cr_infer_threads_for(const cr_model *m, int wanted, int bf16);
/* Feeds one character: updates the state and computes the logits. */
void cr_infer_step(cr_infer *f, uint32_t token);
/* The logits after the last step, (V); zero before the first. */
const float *cr_infer_logits(const cr_infer *f);
/* The state a step changes (each layer's h, LSTM's c, the logits), as floats: how many, and
 * copies out and back in (for cr_sampler_save and cr_sampler_restore). */
size_t cr_infer_state_floats(const cr_infer *f);
void cr_infer_state_get(const cr_infer *f, float *out);
void cr_infer_state_set(cr_infer *f, const float *in);

/* ---- optimizer ---- */
double cr_lr_at(const cr_config *c, uint64_t step);
/* These run over the pool (or NULL), with the same result for any thread count. */
/* The global L2 norm of g (n), in double; NaN if out of memory. */
double cr_grad_norm(cr_pool *p, const float *g, size_t n);
/* Where an update writes the new weights and moments (m2 NULL for SGD), leaving the old ones
 * where they were; or NULL, to update them in place. */
typedef struct cr_optim_out {
    float *w, *m1, *m2;
} cr_optim_out;
/* One update of w (n) by gradient g times gscale; step counts from 0 for the first update. */
void cr_optim_update(cr_pool *p, const cr_config *c, float *w, const float *g, float *m1,
                     float *m2, size_t n, uint64_t step, double lr, float gscale,
                     const cr_optim_out *to);
/* x (n) = 0 */
void cr_zero(cr_pool *p, float *x, size_t n);
/* y (n) += x (n) */
void cr_add(cr_pool *p, float *y, const float *x, size_t n);

/* ---- the corpus index (corpus_index.c), for its file format (corpus_index_io.c) ---- */
/* cr_corpus_index_build, or with sa (N entries of 4 bytes little-endian, from a saved index)
 * checked and taken instead of sorting: CR_EFORMAT if it is not the files' suffix array. */
int cr_corpus_index_make(const cr_corpus_file *files, size_t nfiles, const unsigned char *sa,
                         cr_corpus_index **out, cr_error *err);
/* The suffix array (N entries, separators and sentinel included). */
const int32_t *cr_corpus_index_sa(const cr_corpus_index *ix, size_t *n);
/* Writes file's text, as UTF-8, to out (cr_corpus_index_bytes(ix, file) bytes); returns them. */
size_t cr_corpus_index_utf8(const cr_corpus_index *ix, size_t file, char *out);

#endif
