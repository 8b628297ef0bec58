/* Decay schedules of the probability of feeding the true previous token
 * (scheduled sampling, Bengio et al. 2015). */
#include <math.h>
#include "rewind/seq2seq.h"

double rw_teacher_forcing_prob(const rw_teacher_forcing *tf, long i)
{
    if (!tf || tf->schedule == RW_FEED_ALWAYS)
        return 1.0;
    double p;
    if (i < 0 || tf->min < 0 || tf->min > 1)
        goto bad;
    switch (tf->schedule) {
    case RW_FEED_LINEAR:
        if (tf->c < 0)
            goto bad;
        p = tf->k - tf->c * (double)i;
        break;
    case RW_FEED_EXPONENTIAL:
        if (!(tf->k > 0 && tf->k < 1))
            goto bad;
        p = pow(tf->k, (double)i);
        break;
    case RW_FEED_INVERSE_SIGMOID:
        if (!(tf->k >= 1))
            goto bad;
        p = tf->k / (tf->k + exp((double)i / tf->k));
        break;
    default:
        goto bad;
    }
    p = p < tf->min ? tf->min : p;
    return p > 1 ? 1 : p;
bad:
    rw_error(RW_ERR_ARG, "rw_teacher_forcing_prob: schedule %d with k %g, c %g, min %g at step %ld is outside its "
             "range (linear: c >= 0; exponential: 0 < k < 1; inverse sigmoid: k >= 1; 0 <= min <= 1)",
             (int)tf->schedule, tf->k, tf->c, tf->min, i);
    return NAN;
}
