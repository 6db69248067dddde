/* recipe.c: the settings train-charrnn chooses for a new model from the corpus's size and the
 * budget, when the command line leaves them out. The table is docs/performance.md's
 * ("The recipe"), measured on corpora of 50,000 to 1.1 million characters at 60 and 180 s; its
 * rows for longer budgets follow the rule the measurements showed, unmeasured. */
#include "internal.h"

/* One row: corpora up to max_chars characters trained for up to max_seconds. Rows are read in
 * order and the first that holds both wins, so within a corpus size the budgets ascend. */
typedef struct recipe_row {
    uint64_t max_chars;
    double max_seconds;
    cr_recipe r;
} recipe_row;

/* a row's settings; the precision is the CPU's (cr_recipe_for_cell), not the table's */
#define R(cell, layers, hidden, batch, warmup, dropout, lr, weight_decay) \
    { cell, layers, hidden, batch, warmup, dropout, lr, weight_decay, CR_FP32 }
#define ANY_SIZE UINT64_MAX
#define ANY_TIME 1e300

/* Every row has weight decay 0.1: with it, Tiny Shakespeare at 60 and 180 s and the almanac at
 * 60 s learnt more (docs/performance.md, fifth session); the other rows follow, unmeasured. */
static const recipe_row TABLE[] = {
    /* a small corpus is read many times over: dropout against memorising, more the smaller */
    {80000, ANY_TIME, R(CR_LSTM, 2, 256, 16, 40, 0.4, 6e-3, 0.1)},
    {200000, 90, R(CR_LSTM, 2, 256, 16, 40, 0.3, 6e-3, 0.1)},
    {200000, ANY_TIME, R(CR_LSTM, 2, 256, 16, 40, 0.4, 6e-3, 0.1)},
    {600000, 120, R(CR_LSTM, 2, 256, 16, 40, 0.1, 8e-3, 0.1)},
    {600000, ANY_TIME, R(CR_LSTM, 2, 384, 16, 40, 0.2, 6e-3, 0.1)},
    /* a large one: a GRU, whose steps cost a quarter less than an LSTM's and learn more from it
     * in the same time; no dropout up to 2 minutes, some after (measured on 1.1 MB, which 3
     * minutes read ten times; a larger corpus, read fewer times, gets the same: unmeasured) */
    {ANY_SIZE, 120, R(CR_GRU, 2, 256, 16, 40, 0.0, 8e-3, 0.1)},
    {ANY_SIZE, 600, R(CR_GRU, 2, 256, 16, 40, 0.2, 6e-3, 0.1)},
    {ANY_SIZE, ANY_TIME, R(CR_GRU, 2, 384, 16, 40, 0.2, 6e-3, 0.1)},
    /* read only for --cell lstm on a large corpus: the LSTM's own rows, measured before the GRU */
    {ANY_SIZE, 120, R(CR_LSTM, 2, 192, 16, 40, 0.0, 8e-3, 0.1)},
    {ANY_SIZE, 600, R(CR_LSTM, 2, 256, 16, 40, 0.0, 8e-3, 0.1)},
    {ANY_SIZE, ANY_TIME, R(CR_LSTM, 2, 384, 16, 40, 0.1, 6e-3, 0.1)},
};

/* The first row for corpora of up to max_chars characters (any size bracket: 0) that holds the
 * corpus and the budget and, when cell >= 0, has that cell; NULL if there is none. */
static const recipe_row *row_for(uint64_t nchars, double seconds, int cell, uint64_t max_chars)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (nchars <= TABLE[i].max_chars && seconds <= TABLE[i].max_seconds &&
            (cell < 0 || TABLE[i].r.cell == cell) &&
            (max_chars == 0 || TABLE[i].max_chars == max_chars))
            return &TABLE[i];
    return NULL;
}

void cr_recipe_for_cell(uint64_t nchars, double seconds, int cell, cr_recipe *r)
{
    if (!(seconds > 0)) seconds = CR_RECIPE_DEFAULT_SECONDS;
    const recipe_row *row = row_for(nchars, seconds, -1, 0); /* the last rows hold everything */
    if (cell >= 0 && row->r.cell != cell) { /* the cell's own row for this corpus size, if any */
        const recipe_row *own = row_for(nchars, seconds, cell, row->max_chars);
        if (own) row = own;
    }
    *r = row->r;
    if (cell >= 0) r->cell = cell;
    r->precision = cr_bf16_in_hardware() ? CR_BF16 : CR_FP32;
}

int cr_bf16_in_hardware(void) { return cr_bf16_kernel_available(CR_BF16_AVX512); }

void cr_recipe_for(uint64_t nchars, double seconds, cr_recipe *r)
{
    cr_recipe_for_cell(nchars, seconds, -1, r);
}
