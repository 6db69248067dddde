/* test_recipe.c: the settings train-charrnn chooses for a new model (cr_recipe_for) are valid
 * for every corpus size and budget, and follow the table's rules: a smaller corpus never gets
 * less dropout, a longer budget never a smaller model, a step budget counts as 5 minutes, and the
 * cell follows the corpus size. */
#include "test.h"

#include "charrnn.h"

static const uint64_t SIZES[] = {1000, 20000, 50000, 80000, 80001, 121589, 200000, 300000,
                                 600000, 1115394, 5000000, 100000000};
static const double BUDGETS[] = {1, 30, 60, 90, 120, 121, 180, 300, 600, 601, 3600, 86400};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

TEST(recipe_every_choice_is_a_valid_config)
{
    for (size_t i = 0; i < COUNT(SIZES); i++)
        for (size_t j = 0; j < COUNT(BUDGETS); j++) {
            cr_recipe r;
            cr_recipe_for(SIZES[i], BUDGETS[j], &r);
            cr_config c;
            cr_config_default(&c);
            c.cell = r.cell;
            c.layers = r.layers;
            c.hidden = r.hidden;
            c.batch = r.batch;
            c.warmup = r.warmup;
            c.dropout = r.dropout;
            c.lr = r.lr;
            c.precision = r.precision;
            c.weight_decay = r.weight_decay;
            cr_error err;
            CHECK(cr_config_check(&c, &err) == CR_OK);
            CHECK(r.lr >= 1e-3 && r.lr <= 1e-2);
            CHECK(r.dropout >= 0 && r.dropout <= 0.5);
            CHECK(r.weight_decay > 0 && r.weight_decay <= 0.3); /* measured: 0.1 */
        }
}

/* bfloat16 products where the CPU multiplies them in hardware (more steps in the same time),
 * float32 where it would only round them (slower than float32), for every row and any cell */
TEST(recipe_precision_is_the_cpus)
{
#if defined(__x86_64__) && defined(__GNUC__)
    int want = __builtin_cpu_supports("avx512bf16") ? CR_BF16 : CR_FP32;
#else
    int want = CR_FP32;
#endif
    for (size_t i = 0; i < COUNT(SIZES); i++)
        for (size_t j = 0; j < COUNT(BUDGETS); j++)
            for (int cell = -1; cell <= CR_RNN; cell++) {
                cr_recipe r;
                cr_recipe_for_cell(SIZES[i], BUDGETS[j], cell, &r);
                CHECK(r.precision == want);
            }
}

TEST(recipe_less_text_never_less_dropout_more_time_never_smaller)
{
    for (size_t j = 0; j < COUNT(BUDGETS); j++)
        for (size_t i = 1; i < COUNT(SIZES); i++) {
            cr_recipe small, large;
            cr_recipe_for(SIZES[i - 1], BUDGETS[j], &small);
            cr_recipe_for(SIZES[i], BUDGETS[j], &large);
            CHECK(small.dropout >= large.dropout);
        }
    for (size_t i = 0; i < COUNT(SIZES); i++)
        for (size_t j = 1; j < COUNT(BUDGETS); j++) {
            cr_recipe shorter, longer;
            cr_recipe_for(SIZES[i], BUDGETS[j - 1], &shorter);
            cr_recipe_for(SIZES[i], BUDGETS[j], &longer);
            CHECK((long)longer.layers * longer.hidden >= (long)shorter.layers * shorter.hidden);
        }
}

TEST(recipe_a_step_budget_is_taken_as_the_default_plan)
{
    for (size_t i = 0; i < COUNT(SIZES); i++) {
        cr_recipe steps, five_minutes;
        cr_recipe_for(SIZES[i], 0, &steps);
        cr_recipe_for(SIZES[i], CR_RECIPE_DEFAULT_SECONDS, &five_minutes);
        CHECK(steps.cell == five_minutes.cell && steps.hidden == five_minutes.hidden &&
              steps.dropout == five_minutes.dropout &&
              steps.lr == five_minutes.lr && steps.batch == five_minutes.batch);
    }
}

/* An LSTM up to 600,000 characters (what ml5.js runs, and what won on the almanac), a GRU above
 * (what won on Tiny Shakespeare), at every budget. */
TEST(recipe_lstm_for_small_corpora_gru_for_large)
{
    for (size_t i = 0; i < COUNT(SIZES); i++)
        for (size_t j = 0; j < COUNT(BUDGETS); j++) {
            cr_recipe r;
            cr_recipe_for(SIZES[i], BUDGETS[j], &r);
            CHECK(r.cell == (SIZES[i] <= 600000 ? CR_LSTM : CR_GRU));
        }
}

/* A cell given keeps the settings measured with it where the table has them: an LSTM on a large
 * corpus gets the LSTM's rows (no dropout at 3 minutes, 8e-3), not the GRU's; a cell with no rows
 * of its own (a GRU on a small corpus, any RNN) gets the recipe's settings with that cell. */
TEST(recipe_a_cell_given_gets_its_own_rows)
{
    cr_recipe r;
    cr_recipe_for_cell(1115394, 180, CR_LSTM, &r);
    CHECK(r.cell == CR_LSTM && r.hidden == 256 && r.dropout == 0 && r.lr == 8e-3);
    cr_recipe_for_cell(1115394, 60, CR_LSTM, &r);
    CHECK(r.cell == CR_LSTM && r.hidden == 192);
    cr_recipe_for_cell(1115394, 180, CR_GRU, &r);
    CHECK(r.cell == CR_GRU && r.dropout == 0.2 && r.lr == 6e-3);
    for (size_t i = 0; i < COUNT(SIZES); i++)
        for (size_t j = 0; j < COUNT(BUDGETS); j++) {
            cr_recipe chosen, rnn, gru, same;
            cr_recipe_for(SIZES[i], BUDGETS[j], &chosen);
            cr_recipe_for_cell(SIZES[i], BUDGETS[j], CR_RNN, &rnn);
            cr_recipe_for_cell(SIZES[i], BUDGETS[j], CR_GRU, &gru);
            cr_recipe_for_cell(SIZES[i], BUDGETS[j], chosen.cell, &same);
            CHECK(rnn.cell == CR_RNN && rnn.hidden == chosen.hidden &&
                  rnn.dropout == chosen.dropout && rnn.lr == chosen.lr);
            /* a GRU on a small corpus keeps the small corpus's dropout (lesson 4 trains one) */
            CHECK(gru.cell == CR_GRU && gru.hidden == chosen.hidden &&
                  gru.dropout == chosen.dropout && gru.lr == chosen.lr);
            CHECK(same.cell == chosen.cell && same.hidden == chosen.hidden &&
                  same.dropout == chosen.dropout && same.lr == chosen.lr);
        }
}
