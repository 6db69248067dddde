/* util.c: the small helpers the library's files share: the even split of work over tasks, and
 * cache-line-aligned memory. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void cr_split(int n, int task, int ntasks, int *a, int *b)
{
    *a = (int)((long)n * task / ntasks);
    *b = (int)((long)n * (task + 1) / ntasks);
}

void *cr_aligned_zeros(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 1)) return NULL;
    memset(p, 0, bytes ? bytes : 1);
    return p;
}
