/* tools/train_support.h - the parts of `rewind train` around rw_train: the
 * live progress line (progress.c), Ctrl-C handling (interrupt.c), and
 * resuming mid-epoch (resume.c). */
#ifndef REWIND_TOOLS_TRAIN_SUPPORT_H
#define REWIND_TOOLS_TRAIN_SUPPORT_H

#include <signal.h>
#include <stdbool.h>
#include <rewind.h>

/* ---- progress.c ---------------------------------------------------------- */

typedef struct progress {
    bool tty;            /* stderr is a terminal: redraw one line with \r */
    bool quiet;          /* print nothing */
    long start_step;     /* the step the run started at */
    long total_steps;    /* for the ETA; 0: unknown */
    double every;        /* not a terminal: seconds between lines */
    double last_print;   /* when the last line was printed (seconds into the run) */
    bool line_open;      /* a \r line is on screen */
    rw_train_progress last;
    double last_metrics[RW_TRAIN_MAX_METRICS]; /* last.metric_values points here: rw_train's own
                                                  array is gone when progress_finish prints */
    bool have_last;
} progress;

void progress_init(progress *p, bool quiet, long start_step, long total_steps);
/* The rw_train progress callback; ctx is a progress. */
void progress_update(const rw_train_progress *tp, void *ctx);
/* Prints the last state if it was not shown, and ends the line. */
void progress_finish(progress *p);
/* Formats seconds as "42s", "3m07s" or "2h05m". */
void format_duration(double seconds, char *buf, size_t n);

/* ---- interrupt.c ----------------------------------------------------------- */

/* Set by SIGINT / SIGTERM while the handlers are installed; rw_train's stop flag. */
extern volatile sig_atomic_t interrupt_flag;
/* The first signal sets interrupt_flag (training stops after the current
 * step and saves its checkpoint); a second one exits at once (status 130). */
void interrupt_install(void);
/* Restores the previous handlers. */
void interrupt_restore(void);

/* ---- resume.c ---------------------------------------------------------------- */

/* Counts the batches of epoch `epoch` of a source (-1 with an error). */
long count_epoch_batches(const rw_train_source *src, int epoch);

/* Where step `step` falls: the epoch, and how many of its batches were
 * already trained on. Replays the source's batches (no model work). */
rw_status resume_position(const rw_train_source *src, long step, int *epoch, long *skip);

/* A source that, the first time epoch `epoch` is started, skips `skip`
 * batches, so a run resumed mid-epoch goes on with the batch it would have
 * trained on next. */
typedef struct resume_source {
    rw_train_source inner;
    int epoch;
    long skip;
    bool done;
    /* set after resume_wrap: the carried recurrent state to restore after
     * the skip (when the run stopped mid-epoch); NULLs: none */
    rw_model_state *state;
    const char *state_text;
} resume_source;

rw_train_source resume_wrap(resume_source *r, rw_train_source inner, int epoch, long skip);

#endif
