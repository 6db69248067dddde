/* test_cells.c: the table of cells (cells.c), the parameter layout beside the named tensor
 * table (model.c), and the even split of work (util.c). */
#include "test.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

TEST(cells_table)
{
    static const char *const names[CR_CELL_COUNT] = {"lstm", "gru", "rnn"};
    static const int gates[CR_CELL_COUNT] = {4, 3, 1}, states[CR_CELL_COUNT] = {2, 1, 1};
    for (int k = 0; k < CR_CELL_COUNT; k++) {
        const cr_cell_desc *cd = cr_cell_of(k);
        REQUIRE(cd);
        CHECK(strcmp(cr_cell_name(k), names[k]) == 0);
        CHECK(cr_cell_from_name(names[k]) == k);
        CHECK(cr_gates_per_cell(k) == gates[k] && cd->G == gates[k]);
        CHECK(cr_states_per_cell(k) == states[k] && cd->S == states[k]);
        CHECK(cd->hbias < cd->G && cd->one_bias < cd->G);
        CHECK(cd->forward && cd->backward && cd->step1_for);
        for (int kind = 0; kind <= CR_KERNEL_AVX512; kind++)
            CHECK(cd->step1_for(kind) != NULL);
    }
    CHECK(CR_LSTM_GATES == 4 && CR_LSTM_F == 1 && CR_GRU_GATES == 3 && CR_GRU_N == 2);
    CHECK(cr_cell_of(-1) == NULL && cr_cell_of(CR_CELL_COUNT) == NULL);
    CHECK(cr_cell_from_name("LSTM") == -1 && cr_cell_from_name("") == -1);
    CHECK(strcmp(cr_cell_name(CR_CELL_COUNT), "?") == 0);
}

/* Index of the tensor called l<l>.<what>, or -1. */
static int layer_tensor(const cr_model *m, int l, const char *what)
{
    char name[24];
    snprintf(name, sizeof name, "l%d.%s", l, what);
    return cr_model_find_tensor(m, name);
}

TEST(layout_matches_named_table)
{
    for (int cell = 0; cell < CR_CELL_COUNT; cell++)
        for (int embed = 0; embed <= 5; embed += 5) {
            cr_model *m = tiny_model(cell, 3, 7, embed, "abcdef", 3);
            REQUIRE(m);
            const cr_layout *lay = &m->layout;
            CHECK(lay->embed == cr_model_find_tensor(m, "embed"));
            CHECK((lay->embed >= 0) == (embed > 0));
            CHECK(lay->outW == cr_model_find_tensor(m, "out.W"));
            CHECK(lay->outb == cr_model_find_tensor(m, "out.b"));
            for (int l = 0; l < CR_MAX_LAYERS; l++) {
                CHECK(lay->Wx[l] == layer_tensor(m, l, "Wx"));
                CHECK(lay->Wh[l] == layer_tensor(m, l, "Wh"));
                CHECK(lay->b[l] == layer_tensor(m, l, "b"));
                CHECK(lay->bhn[l] == layer_tensor(m, l, "bhn"));
                CHECK((lay->bhn[l] >= 0) == (l < 3 && cr_cell_of(cell)->hbias >= 0));
            }
            cr_model_free(m);
        }
}

TEST(split_covers_evenly)
{
    for (int n = 0; n < 40; n++)
        for (int tasks = 1; tasks <= 9; tasks++) {
            int end = 0;
            for (int t = 0; t < tasks; t++) {
                int a, b;
                cr_split(n, t, tasks, &a, &b);
                CHECK(a == end && b >= a && b - a <= n / tasks + 1 && b - a >= n / tasks);
                end = b;
            }
            CHECK(end == n);
        }
}
