/* pool.c: a fixed pool of POSIX threads that runs n tasks on n threads and waits for all.
 * Workers spin briefly before sleeping, so that the many short products of a training step or
 * of sampling one character do not pay for a sleep and a wake-up each.
 * Thread i runs task i, so that the same slice of the weights stays in its cache, unless it is
 * late: a thread that has finished its own task takes any task nobody has claimed yet, so that
 * a worker without a core (a busy machine) does not hold up the whole job. Which thread runs a
 * task never changes its result: the tasks are the same whoever runs them. */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { WORKER_STACK_BYTES = 8 << 20 }; /* reserved, not used: pages come as touched */

#define SPIN_ROUNDS 2000 /* polls (pause instructions) before sleeping: 0.1 to 0.3 ms */

struct cr_pool {
    int n;                          /* threads, the caller counted as thread 0 */
    pthread_t *threads;             /* (n - 1) workers */
    pthread_mutex_t mu;
    pthread_cond_t go;
    atomic_ulong generation;        /* bumped for every job */
    atomic_ulong *claimed;          /* (n) the generation that last claimed each task */
    atomic_int pending;             /* tasks of the current job not yet finished */
    atomic_int sleepers;            /* workers in (or entering) the condition wait */
    atomic_int quit;
    cr_task_fn fn;
    void *ctx;
};

typedef struct worker_arg {
    cr_pool *p;
    int index;
} worker_arg;

/* Waits until the generation differs from seen; returns it. */
static unsigned long wait_for_job(cr_pool *p, unsigned long seen)
{
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        unsigned long g = atomic_load(&p->generation);
        if (g != seen || atomic_load(&p->quit)) return g;
        cr_cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    unsigned long g;
    while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->quit))
        pthread_cond_wait(&p->go, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return g;
}

/* Claims task i for job g; fails if it is taken, or if job g is over (a late worker: every
 * task then already carries g or a later generation). */
static int claim(cr_pool *p, int i, unsigned long g)
{
    unsigned long old = atomic_load(&p->claimed[i]);
    return old < g && atomic_compare_exchange_strong(&p->claimed[i], &old, g);
}

/* Runs the tasks of job g that thread self can claim: its own first, then the others. fn and
 * ctx are read only after a claim, which proves job g is still running and they are its. */
static void run_tasks(cr_pool *p, int self, unsigned long g)
{
    for (int k = 0; k < p->n; k++) {
        int i = (self + k) % p->n;
        if (!claim(p, i, g)) continue;
        p->fn(p->ctx, i, p->n);
        atomic_fetch_sub(&p->pending, 1);
    }
}

static void *worker(void *arg)
{
    worker_arg *w = arg;
    cr_pool *p = w->p;
    int index = w->index;
    free(w);
    unsigned long seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        if (atomic_load(&p->quit)) break;
        run_tasks(p, index, seen);
    }
    return NULL;
}

int cr_pool_new(int threads, cr_pool **out)
{
    *out = NULL;
    if (threads < 1) threads = 1;
    cr_pool *p = calloc(1, sizeof *p);
    if (!p) return CR_ENOMEM;
    p->n = threads;
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    p->claimed = malloc((size_t)threads * sizeof *p->claimed);
    if (!p->threads || !p->claimed) {
        free(p->threads);
        free(p->claimed);
        free(p);
        return CR_ENOMEM;
    }
    for (int i = 0; i < threads; i++) atomic_init(&p->claimed[i], 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->quit, 0);
    /* The workers run the kernels, whose blocks live on the stack (kernels_bf16.c's take 240 KB):
     * as much stack as a main thread has, not musl's default of 128 KB (the static release). */
    pthread_attr_t attr;
    int attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok) pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
    for (int i = 1; i < threads; i++) {
        worker_arg *w = malloc(sizeof *w);
        if (!w || (w->p = p, w->index = i,
                   pthread_create(&p->threads[i - 1], attr_ok ? &attr : NULL, worker, w))) {
            if (attr_ok) pthread_attr_destroy(&attr);
            free(w);
            p->n = i; /* the workers started so far are joined by free */
            cr_pool_free(p);
            return CR_ENOMEM;
        }
    }
    if (attr_ok) pthread_attr_destroy(&attr);
    *out = p;
    return CR_OK;
}

void cr_pool_free(cr_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->threads[i - 1], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    free(p->threads);
    free(p->claimed);
    free(p);
}

int cr_pool_threads(const cr_pool *p) { return p ? p->n : 1; }

void cr_pool_run(cr_pool *p, cr_task_fn fn, void *ctx)
{
    if (!p || p->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->pending, p->n);
    unsigned long g = atomic_fetch_add(&p->generation, 1) + 1; /* publishes fn and ctx */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->mu);
    }
    run_tasks(p, 0, g);
    /* tasks other threads claimed: waited for with yields after a while, not spins */
    for (long i = 0; atomic_load(&p->pending) > 0; i++) {
        if (i < SPIN_ROUNDS) cr_cpu_relax();
        else sched_yield();
    }
}
