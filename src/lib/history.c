/* history.c: what a model's training history says: whether it has started to memorise. */
#include "internal.h"

#include <math.h>

/* The bot memorises when the loss on held-out text rises at each of the last `window`
 * evaluations while the loss on the training text keeps falling: it is learning the training
 * text by heart instead of its manner. */
int cr_history_memorising(const cr_history_row *rows, size_t n, int window)
{
    if (window < 1) return 0;
    const cr_history_row *v[64]; /* the last window + 1 rows that have a validation loss */
    size_t k = 0, want = (size_t)window + 1;
    if (want > sizeof v / sizeof v[0]) return 0;
    for (size_t i = n; i-- > 0 && k < want;)
        if (!isnan(rows[i].val_loss)) v[k++] = &rows[i]; /* newest first */
    if (k < want) return 0;
    for (size_t i = 0; i + 1 < want; i++)
        if (!(v[i]->val_loss > v[i + 1]->val_loss)) return 0;
    /* the training loss over the window: each row's mean since the row before */
    double first = v[want - 2]->train_loss, last = v[0]->train_loss;
    return !isnan(first) && !isnan(last) && last < first;
}
