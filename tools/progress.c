/* The live progress line of `rewind train` on stderr: epoch, step, loss,
 * tokens per second, ETA. Redrawn in place (\r) on a terminal; otherwise
 * (a log file, a pipe) one line every few seconds. Validations get a line
 * of their own. */
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include "train_support.h"

void format_duration(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, n, "%lds", t);
    else if (t < 3600)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

void progress_init(progress *p, bool quiet, long start_step, long total_steps)
{
    *p = (progress){ .tty = isatty(STDERR_FILENO) == 1, .quiet = quiet, .start_step = start_step,
                     .total_steps = total_steps, .every = 5.0, .last_print = -1e9 };
}

static void rate_text(double per_second, char *buf, size_t n)
{
    if (per_second >= 1e6)
        snprintf(buf, n, "%.1fM", per_second / 1e6);
    else if (per_second >= 1e4)
        snprintf(buf, n, "%.1fk", per_second / 1e3);
    else
        snprintf(buf, n, "%.0f", per_second);
}

/* "  accuracy 0.9312  top5 0.9951" from the latest validation (nothing before it). */
static int metrics_text(const rw_train_progress *tp, char *buf, size_t len)
{
    int n = 0;
    char name[32];
    buf[0] = '\0';
    for (int i = 0; i < tp->metric_count && !isnan(tp->metric_values[i]) && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "  %s %.4f", rw_metric_name(tp->metric_list[i], name, sizeof name),
                      tp->metric_values[i]);
    return n;
}

static void print_line(progress *p, const rw_train_progress *tp)
{
    char line[512], rate[32], eta[32];
    int n = snprintf(line, sizeof line, "epoch %d  step %ld", tp->epoch + 1, tp->step);
    if (p->total_steps > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, "/%ld", p->total_steps);
    n += snprintf(line + n, sizeof line - (size_t)n, "  loss %.4f", tp->loss);
    if (!isnan(tp->valid_loss))
        n += snprintf(line + n, sizeof line - (size_t)n, "  valid %.4f", tp->valid_loss);
    n += metrics_text(tp, line + n, sizeof line - (size_t)n);
    long done = tp->step - p->start_step;
    if (tp->seconds > 0 && tp->tokens > 0) {
        rate_text((double)tp->tokens / tp->seconds, rate, sizeof rate);
        n += snprintf(line + n, sizeof line - (size_t)n, "  %s tok/s", rate);
    }
    if (p->total_steps > 0 && done > 0 && tp->seconds > 0) {
        format_duration((double)(p->total_steps - tp->step) * tp->seconds / (double)done, eta, sizeof eta);
        snprintf(line + n, sizeof line - (size_t)n, "  ETA %s", eta);
    }
    if (p->tty) {
        fprintf(stderr, "\r%s\033[K", line);
        p->line_open = true;
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
    p->last_print = tp->seconds;
}

static void end_line(progress *p)
{
    if (p->line_open) {
        fputc('\n', stderr);
        p->line_open = false;
    }
}

void progress_update(const rw_train_progress *tp, void *ctx)
{
    progress *p = ctx;
    p->last = *tp;
    for (int i = 0; i < tp->metric_count && i < RW_TRAIN_MAX_METRICS; i++)
        p->last_metrics[i] = tp->metric_values[i];
    p->last.metric_values = p->last_metrics;
    p->have_last = true;
    if (p->quiet)
        return;
    if (tp->validated) {
        char metrics[256];
        metrics_text(tp, metrics, sizeof metrics);
        end_line(p);
        if (tp->best_step == tp->step)
            fprintf(stderr, "step %ld: validation loss %.4f%s (best so far)\n", tp->step, tp->valid_loss, metrics);
        else
            fprintf(stderr, "step %ld: validation loss %.4f%s (best %.4f at step %ld)\n", tp->step, tp->valid_loss,
                    metrics, tp->best_valid_loss, tp->best_step);
        fflush(stderr);
        return;
    }
    /* A terminal is redrawn at most ~10 times a second; a log gets a line
     * every `every` seconds (and the first step's). */
    double gap = p->tty ? 0.1 : p->every;
    if (tp->seconds - p->last_print >= gap)
        print_line(p, tp);
}

void progress_finish(progress *p)
{
    if (p->quiet)
        return;
    if (p->have_last && p->last_print != p->last.seconds && !p->last.validated)
        print_line(p, &p->last);
    end_line(p);
}
