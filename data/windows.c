/* Windows over B parallel streams of one token sequence, for truncated
 * BPTT: stream b is the b-th of B equal pieces, and window k holds steps
 * k*T .. k*T+T-1 of every stream, with the next token as each target. */
#include "rewind/corpus.h"

rw_status rw_windows_init(rw_windows *w, const int32_t *ids, size_t n, const rw_windows_opts *o)
{
    if (!ids || o->streams < 1 || o->window < 1)
        return rw_error(RW_ERR_ARG, "rw_windows_init: needs tokens, streams >= 1 and window >= 1 (got %d, %d)",
                        o->streams, o->window);
    int B = o->streams, T = o->window;
    if (n < 2)
        return rw_error(RW_ERR_FORMAT, "%zu tokens make no input-target pair", n);
    if (o->fit_streams) /* each stream long enough for one window and its last target, when the text allows */
        while (B > 1 && (n - 1) / (size_t)B < (size_t)T + 1)
            B--;
    size_t len = (n - 1) / (size_t)B;
    if (len < 1 || (o->whole_windows && len < (size_t)T))
        return rw_error(RW_ERR_FORMAT, "%zu tokens cannot fill %d streams of %d steps and a target", n, B,
                        o->whole_windows ? T : 1);
    *w = (rw_windows){ .ids = ids, .len = len, .streams = B, .window = T, .whole_windows = o->whole_windows };
    return RW_OK;
}

void rw_windows_start(rw_windows *w, size_t offset) { w->at = offset; }

int rw_windows_next(rw_windows *w, int32_t *inputs, int32_t *targets)
{
    size_t left = w->at < w->len ? w->len - w->at : 0;
    if (left == 0 || (w->whole_windows && left < (size_t)w->window))
        return 0;
    int T = left < (size_t)w->window ? (int)left : w->window, B = w->streams;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t at = (size_t)b * w->len + w->at + (size_t)t;
            inputs[t * B + b] = w->ids[at];
            targets[t * B + b] = w->ids[at + 1];
        }
    w->at += (size_t)T;
    return T;
}

long rw_windows_count(const rw_windows *w)
{
    size_t T = (size_t)w->window;
    return (long)(w->whole_windows ? w->len / T : (w->len + T - 1) / T);
}
