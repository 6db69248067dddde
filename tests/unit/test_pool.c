/* test_pool.c: the thread pool runs every task of every job exactly once, also when a thread
 * takes over the task of a worker that is late, and jobs whose tasks wait for each other. */
#include "test.h"
#include "util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define POOL_THREADS 3

typedef struct count_job {
    atomic_int runs[POOL_THREADS];  /* times each task ran, over all jobs */
    pthread_t caller;
    atomic_int taken_by_caller;     /* tasks other than 0 that the caller ran */
} count_job;

static void count_task(void *ctx, int task, int ntasks)
{
    count_job *j = ctx;
    (void)ntasks;
    atomic_fetch_add(&j->runs[task], 1);
    if (task != 0 && pthread_equal(pthread_self(), j->caller))
        atomic_fetch_add(&j->taken_by_caller, 1);
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

TEST(pool_runs_every_task_once_whoever_runs_it)
{
    cr_pool *p;
    REQUIRE(cr_pool_new(POOL_THREADS, &p) == CR_OK);
    count_job j = {.caller = pthread_self()};
    for (int i = 0; i < POOL_THREADS; i++) atomic_init(&j.runs[i], 0);
    atomic_init(&j.taken_by_caller, 0);
    int bad = 0;
    for (int job = 1; job <= 20000; job++) {
        /* now and then the workers fall asleep, so that the next job finds them late */
        if (job % 100 == 0) pause_ms(2);
        cr_pool_run(p, count_task, &j);
        for (int i = 0; i < POOL_THREADS; i++) bad += atomic_load(&j.runs[i]) != job;
        if (bad) break;
    }
    cr_pool_free(p);
    CHECK(bad == 0);
    /* the caller's own task is instant and sleeping workers wake slowly: it takes theirs */
    CHECK(atomic_load(&j.taken_by_caller) > 0);
}

/* Tasks that wait until all have started (as the sampler's layers do) must still all start:
 * nobody can take a task that is waited for by one it is running. */
typedef struct meet_job {
    atomic_int arrived;
} meet_job;

static void meet_task(void *ctx, int task, int ntasks)
{
    meet_job *j = ctx;
    (void)task;
    atomic_fetch_add(&j->arrived, 1);
    while (atomic_load(&j->arrived) < ntasks) sched_yield();
}

TEST(pool_runs_tasks_that_wait_for_each_other)
{
    cr_pool *p;
    REQUIRE(cr_pool_new(POOL_THREADS, &p) == CR_OK);
    for (int job = 0; job < 300; job++) {
        meet_job j;
        atomic_init(&j.arrived, 0);
        if (job % 50 == 0) pause_ms(2);
        cr_pool_run(p, meet_task, &j);
        CHECK(atomic_load(&j.arrived) == POOL_THREADS);
    }
    cr_pool_free(p);
}
