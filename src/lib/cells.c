/* cells.c: the table of recurrent cells, one row per cell type; the code outside lstm.c, gru.c
 * and rnn.c learns everything cell-specific here. */
#include "internal.h"

#include <string.h>

static const cr_cell_desc CELLS[CR_CELL_COUNT] = {
    [CR_LSTM] = {"lstm", CR_LSTM_GATES, 2, -1, CR_LSTM_F, cr_lstm_forward, cr_lstm_backward,
                 cr_lstm_step1_for},
    [CR_GRU] = {"gru", CR_GRU_GATES, 1, CR_GRU_N, -1, cr_gru_forward, cr_gru_backward,
                cr_gru_step1_for},
    [CR_RNN] = {"rnn", CR_RNN_GATES, 1, -1, -1, cr_rnn_forward, cr_rnn_backward, cr_rnn_step1_for},
};

const cr_cell_desc *cr_cell_of(int cell)
{
    return cell >= 0 && cell < CR_CELL_COUNT ? &CELLS[cell] : NULL;
}

int cr_gates_per_cell(int cell) { return cr_cell_of(cell) ? CELLS[cell].G : 1; }

int cr_states_per_cell(int cell) { return cr_cell_of(cell) ? CELLS[cell].S : 1; }

const char *cr_cell_name(int cell) { return cr_cell_of(cell) ? CELLS[cell].name : "?"; }

int cr_cell_from_name(const char *name)
{
    for (int k = 0; k < CR_CELL_COUNT; k++)
        if (strcmp(name, CELLS[k].name) == 0) return k;
    return -1;
}
