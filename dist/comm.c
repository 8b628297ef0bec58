/* Joining and leaving the job, rank and size, aborting, and the watchdog
 * that turns a collective waiting forever into an error. Without MPI the
 * same functions describe a job of one process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rewind/dist.h"
#include "dist_internal.h"

bool rw_dist_launched(void)
{
    /* Open MPI's mpirun, MPICH/Hydra and PMI launchers, Slurm's srun */
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return true;
    return false;
}

#ifndef RW_HAVE_MPI

bool rw_dist_built(void) { return false; }
rw_status rw_dist_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return RW_OK;
}
rw_status rw_dist_finalize(void) { return RW_OK; }
int rw_dist_rank(void) { return 0; }
int rw_dist_size(void) { return 1; }
void rw_dist_abort(int status) { exit(status); }

#else

static MPI_Comm comm = MPI_COMM_NULL;
static bool we_started_mpi;
static int rank, size = 1;

bool rw_dist_built(void) { return true; }

MPI_Comm rwi_dist_comm(void) { return comm; }

rw_status rwi_dist_status(int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return RW_OK;
    char msg[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return rw_error(RW_ERR_IO, "rank %d of %d: %s failed: %s (a process of the job died or cannot be reached)",
                    rank, size, what, msg);
}

rw_status rw_dist_init(int *argc, char ***argv)
{
    if (comm != MPI_COMM_NULL)
        return RW_OK;
    int started = 0;
    MPI_Initialized(&started);
    if (!started) {
        if (MPI_Init(argc, argv) != MPI_SUCCESS)
            return rw_error(RW_ERR_STATE, "rw_dist_init: MPI_Init failed");
        we_started_mpi = true;
    }
    if (MPI_Comm_dup(MPI_COMM_WORLD, &comm) != MPI_SUCCESS)
        return rw_error(RW_ERR_STATE, "rw_dist_init: cannot duplicate MPI_COMM_WORLD");
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    return RW_OK;
}

rw_status rw_dist_finalize(void)
{
    if (comm == MPI_COMM_NULL)
        return RW_OK;
    rwi_dist_unwatch();
    MPI_Comm_free(&comm);
    comm = MPI_COMM_NULL;
    rank = 0;
    size = 1;
    if (we_started_mpi && MPI_Finalize() != MPI_SUCCESS)
        return rw_error(RW_ERR_STATE, "rw_dist_finalize: MPI_Finalize failed");
    we_started_mpi = false;
    return RW_OK;
}

int rw_dist_rank(void) { return rank; }
int rw_dist_size(void) { return size; }

void rw_dist_abort(int status)
{
    fflush(NULL);
    if (comm != MPI_COMM_NULL)
        MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);
}

/* ---- the watchdog: a POSIX timer whose expiry runs on its own thread ---- */

static timer_t watchdog;
static bool watchdog_made;
static char watch_what[160];
static double watch_seconds;

static void watchdog_fired(union sigval v)
{
    (void)v;
    char msg[320];
    int n = snprintf(msg, sizeof msg,
                     "rewind: rank %d of %d: no answer from the other processes for %g s during %s: a process "
                     "died or hangs; stopping (REWIND_DIST_TIMEOUT sets the limit)\n",
                     rank, size, watch_seconds, watch_what);
    if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
        n = 0;
    _exit(1);
}

void rwi_dist_watch(double seconds, const char *what)
{
    if (!watchdog_made) {
        struct sigevent ev;
        memset(&ev, 0, sizeof ev);
        ev.sigev_notify = SIGEV_THREAD;
        ev.sigev_notify_function = watchdog_fired;
        if (timer_create(CLOCK_MONOTONIC, &ev, &watchdog) != 0)
            return; /* no watchdog: a hang stays a hang, as without one */
        watchdog_made = true;
    }
    snprintf(watch_what, sizeof watch_what, "%s", what);
    watch_seconds = seconds;
    struct itimerspec t = { .it_value = { .tv_sec = (time_t)seconds,
                                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) } };
    timer_settime(watchdog, 0, &t, NULL);
}

void rwi_dist_unwatch(void)
{
    if (!watchdog_made)
        return;
    struct itimerspec off = { { 0, 0 }, { 0, 0 } };
    timer_settime(watchdog, 0, &off, NULL);
}

#endif
