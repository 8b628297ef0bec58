/* The thread pool behind rwi_parallel_for (rewind_internal/parallel.h).
 *
 * One job at a time, cut into fixed pieces. The calling thread publishes
 * it as one atomic word (generation, number of pieces, next unclaimed
 * piece); every thread, the caller included, claims pieces from that word
 * until none is left, and the caller waits only for pieces another thread
 * has claimed and is running. So a worker that the OS has not scheduled
 * (a loaded machine) delays nothing: the caller runs its pieces. Between
 * jobs a worker spins briefly (ops of one step come microseconds apart) and
 * then sleeps on a condition variable, so an idle pool leaves the cores to
 * BLIS. Which thread runs a piece never changes what the piece computes. */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "rewind_internal/parallel.h"

#define MAX_THREADS 64
#define SPIN_ROUNDS 4000   /* about 50 us of pause instructions before sleeping */

/* The job word: generation << 16 | pieces << 8 | next piece to claim. */
#define JOB_GEN(w) ((w) >> 16)
#define JOB_PIECES(w) ((int)(((w) >> 8) & 0xff))
#define JOB_NEXT(w) ((int)((w) & 0xff))

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_uint_fast64_t job;
    atomic_int done;            /* pieces of the current job finished */
    atomic_int sleepers;
    atomic_flag busy;           /* a thread is running a job: others run theirs alone */
    void (*fn)(void *ctx, size_t lo, size_t hi);
    void *ctx;
    size_t n, align;
    int threads;                /* wanted, including the caller */
    int started;                /* workers created (threads - 1 at most) */
    uint64_t generation;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .busy = ATOMIC_FLAG_INIT,
            .threads = 1 };

static _Thread_local bool in_piece;

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Piece i of `pieces`: [i n / pieces, (i + 1) n / pieces), ends rounded
 * down to multiples of align (the last piece ends at n). */
static void run_piece(int i, int pieces)
{
    size_t lo = (size_t)i * pool.n / (size_t)pieces / pool.align * pool.align;
    size_t hi = i + 1 == pieces ? pool.n : (size_t)(i + 1) * pool.n / (size_t)pieces / pool.align * pool.align;
    in_piece = true;
    if (lo < hi)
        pool.fn(pool.ctx, lo, hi);
    in_piece = false;
}

/* Claims and runs pieces of generation gen until none is left. A claim
 * succeeds only while that job is current, and the caller does not end
 * the job before every claimed piece is done, so the job's fields hold. */
static void claim_pieces(uint64_t gen)
{
    uint_fast64_t w = atomic_load(&pool.job);
    while (JOB_GEN(w) == gen && JOB_NEXT(w) < JOB_PIECES(w)) {
        if (!atomic_compare_exchange_weak(&pool.job, &w, w + 1))
            continue; /* w now holds the current word */
        run_piece(JOB_NEXT(w), JOB_PIECES(w));
        atomic_fetch_add(&pool.done, 1);
        w = atomic_load(&pool.job);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    uint64_t seen = 0;
    for (;;) {
        uint_fast64_t job = atomic_load(&pool.job);
        for (int spin = 0; JOB_GEN(job) == seen && spin < SPIN_ROUNDS; spin++) {
            cpu_relax();
            job = atomic_load(&pool.job);
        }
        if (JOB_GEN(job) == seen) {
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleepers, 1);
            while (JOB_GEN(job = atomic_load(&pool.job)) == seen)
                pthread_cond_wait(&pool.wake, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = JOB_GEN(job);
        claim_pieces(seen);
    }
    return NULL;
}

/* Starts workers up to threads - 1; returns how many are running. */
static int ensure_workers(void)
{
    while (pool.started < pool.threads - 1) {
        pthread_t t;
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0)
            break;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break; /* fewer threads: still correct */
        pool.started++;
    }
    return pool.started;
}

/* Up to `per_thread` pieces for each thread of the pool. */
static void parallel_run(size_t n, size_t grain, size_t align, int per_thread,
                         void (*fn)(void *ctx, size_t lo, size_t hi), void *ctx)
{
    if (n == 0)
        return;
    if (grain < 1)
        grain = 1;
    if (align < 1)
        align = 1;
    size_t most = n / grain; /* pieces of at least grain elements */
    size_t wanted = (size_t)pool.threads * (size_t)per_thread;
    if (wanted > 255)
        wanted = 255; /* the job word counts pieces in 8 bits */
    int pieces = pool.threads < 2 || in_piece || most < 2 ? 1 : most < wanted ? (int)most : (int)wanted;
    /* One job at a time: a program running graphs on several threads of its
     * own gets the pool for one of them and plain loops for the others. */
    if (pieces < 2 || atomic_flag_test_and_set(&pool.busy)) {
        fn(ctx, 0, n);
        return;
    }
    int running = ensure_workers() + 1;
    if (pieces > running * per_thread)
        pieces = running * per_thread;
    if (pieces < 2 || running < 2) {
        atomic_flag_clear(&pool.busy);
        fn(ctx, 0, n);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.align = align;
    atomic_store(&pool.done, 0);
    uint64_t gen = ++pool.generation;
    atomic_store(&pool.job, gen << 16 | (uint64_t)pieces << 8);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.mu);
    }
    claim_pieces(gen);
    for (int spin = 0; atomic_load(&pool.done) < pieces; spin++) {
        if (spin < SPIN_ROUNDS)
            cpu_relax();
        else
            sched_yield(); /* a worker running a piece lost its core: let it have ours */
    }
    atomic_flag_clear(&pool.busy);
}

void rwi_parallel_for(size_t n, size_t grain, size_t align, void (*fn)(void *ctx, size_t lo, size_t hi),
                      void *ctx)
{
    parallel_run(n, grain, align, 1, fn, ctx);
}

void rwi_parallel_for_shared(size_t n, size_t grain, size_t align, void (*fn)(void *ctx, size_t lo, size_t hi),
                             void *ctx)
{
    parallel_run(n, grain, align, RWI_PIECES_PER_THREAD, fn, ctx);
}

void rwi_parallel_set_threads(int n)
{
    pool.threads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

int rwi_parallel_threads(void) { return pool.threads; }

bool rwi_parallel_in_piece(void) { return in_piece; }
