/* pool.c: a fixed pool of POSIX threads that runs one task per thread and waits for all. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

struct cr_pool {
    int n;                 /* threads, the caller counted as thread 0 */
    pthread_t *threads;    /* (n - 1) workers */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long generation;
    int pending;           /* workers still running the current job */
    int quit;
    cr_task_fn fn;
    void *ctx;
};

typedef struct worker_arg {
    cr_pool *p;
    int index;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *w = arg;
    cr_pool *p = w->p;
    int index = w->index;
    free(w);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->generation == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        cr_task_fn fn = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->mu);
        fn(ctx, index, p->n);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
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
    if (!p->threads) {
        free(p);
        return CR_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < threads; i++) {
        worker_arg *w = malloc(sizeof *w);
        if (!w || (w->p = p, w->index = i, pthread_create(&p->threads[i - 1], NULL, worker, w))) {
            free(w);
            p->n = i; /* the workers started so far are joined by free */
            cr_pool_free(p);
            return CR_ENOMEM;
        }
    }
    *out = p;
    return CR_OK;
}

void cr_pool_free(cr_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->threads[i - 1], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

int cr_pool_threads(const cr_pool *p) { return p ? p->n : 1; }

void cr_pool_run(cr_pool *p, cr_task_fn fn, void *ctx)
{
    if (!p || p->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->pending = p->n - 1;
    p->generation++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    fn(ctx, 0, p->n);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
