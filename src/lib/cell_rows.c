/* cell_rows.c: a cell's element-wise work for one time step, split by batch rows between the
 * pool's threads (each row's arithmetic is the same whatever the split). */
#include "internal.h"

void cr_cell_for_rows(const cr_cell_io *io, int t, cr_task_fn fn)
{
    cr_cell_step s = {io, t};
    if (io->pool && io->B >= 2 * cr_pool_threads(io->pool) && (long)io->B * io->H >= 4096)
        cr_pool_run(io->pool, fn, &s);
    else
        fn(&s, 0, 1);
}
