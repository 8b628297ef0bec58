/* Internal: the communicator and the watchdog shared by dist/'s files. */
#ifndef RW_DIST_INTERNAL_H
#define RW_DIST_INTERNAL_H

#include "rewind/config.h"
#include "rewind/error.h"

#ifdef RW_HAVE_MPI
#include <mpi.h>

/* rewind's own duplicate of MPI_COMM_WORLD, whose errors are returned
 * (MPI_ERRORS_RETURN) rather than fatal. */
MPI_Comm rwi_dist_comm(void);

/* An MPI return code as a rewind error: RW_OK for MPI_SUCCESS, else
 * RW_ERR_IO with MPI's message and `what`. */
rw_status rwi_dist_status(int rc, const char *what);

/* Arms the watchdog before a collective: if it has not been disarmed
 * within `seconds`, the process prints a message naming `what` and exits
 * with status 1 (mpirun then ends the others). */
void rwi_dist_watch(double seconds, const char *what);
void rwi_dist_unwatch(void);
#endif

#endif
