/* Evaluation metrics accumulated over batches: counts per class, a
 * histogram of the target's rank among the scores (top-k for every k at
 * once), the summed negative log-likelihood, and regression error sums. */
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/metrics_sums.h"
#include "rewind/metrics.h"

struct rw_metrics {
    int classes;
    long classified, correct;
    long *true_pos, *predicted, *actual;  /* [classes] each */
    long scored;
    long rank_hits[RW_METRICS_MAX_TOP_K]; /* targets with exactly r larger scores */
    double nll;                           /* summed over the scored positions */
    long values;
    double squared, absolute;
    long sequences, sequences_right;      /* rw_metrics_add_sequences */
    long decoded, decoded_right;          /* rw_metrics_add_exact_matches */
};

rw_metrics *rw_metrics_new(int classes)
{
    if (classes < 0) {
        rw_error(RW_ERR_ARG, "rw_metrics_new: %d classes (needs >= 0)", classes);
        return NULL;
    }
    rw_metrics *m = rwi_calloc(1, sizeof *m, "metrics");
    if (!m)
        return NULL;
    m->classes = classes;
    if (classes > 0 && !(m->true_pos = rwi_calloc(3 * (size_t)classes, sizeof(long), "per-class counts"))) {
        rwi_free(m);
        return NULL;
    }
    m->predicted = m->true_pos ? m->true_pos + classes : NULL;
    m->actual = m->true_pos ? m->true_pos + 2 * classes : NULL;
    return m;
}

void rw_metrics_free(rw_metrics *m)
{
    if (m)
        rwi_free(m->true_pos);
    rwi_free(m);
}

void rw_metrics_reset(rw_metrics *m)
{
    if (!m)
        return;
    long *counts = m->true_pos;
    int classes = m->classes;
    if (counts)
        memset(counts, 0, 3 * (size_t)classes * sizeof *counts);
    *m = (rw_metrics){ .classes = classes, .true_pos = counts, .predicted = counts ? counts + classes : NULL,
                       .actual = counts ? counts + 2 * classes : NULL };
}

/* The mask of position i: absent, or nonzero, counts. */
static bool counts_at(const rw_tensor *mask, size_t i)
{
    if (!mask)
        return true;
    return mask->dtype == RW_INT32 ? mask->idata[i] != 0 : mask->data[i] != 0;
}

static rw_status check_mask(const char *who, const rw_tensor *mask, rw_shape want)
{
    char a[64], b[64];
    if (mask && !rw_shape_equal(mask->shape, want))
        return rw_error(RW_ERR_SHAPE, "%s: the mask is %s, the targets %s", who,
                        rw_shape_str(mask->shape, a, sizeof a), rw_shape_str(want, b, sizeof b));
    return RW_OK;
}

static rw_status check_target(const char *who, const rw_metrics *m, int32_t t, size_t i)
{
    if (t >= m->classes)
        return rw_error(RW_ERR_SHAPE, "%s: target %d at position %zu is not below the %d classes", who, (int)t, i,
                        m->classes);
    return RW_OK;
}

static void count_prediction(rw_metrics *m, int32_t predicted, int32_t target)
{
    m->classified++;
    m->correct += predicted == target;
    m->true_pos[target] += predicted == target;
    m->actual[target]++;
    if (predicted >= 0 && predicted < m->classes)
        m->predicted[predicted]++;
}

rw_status rw_metrics_add_scores(rw_metrics *m, const rw_tensor *scores, const rw_tensor *targets,
                                const rw_tensor *mask)
{
    const char *who = "rw_metrics_add_scores";
    char a[64], b[64];
    if (!m || !scores || !targets)
        return rw_error(RW_ERR_ARG, "%s: NULL argument", who);
    rw_shape lead = scores->shape;
    lead.ndim = scores->shape.ndim > 0 ? scores->shape.ndim - 1 : 0;
    int C = scores->shape.ndim > 0 ? scores->shape.dim[scores->shape.ndim - 1] : 0;
    if (scores->dtype != RW_REAL || targets->dtype != RW_INT32 || scores->shape.ndim < 1 ||
        !rw_shape_equal(lead, targets->shape) || C != m->classes)
        return rw_error(RW_ERR_SHAPE, "%s: needs real scores [..., %d] and int32 targets of their leading shape, "
                        "got scores %s%s and targets %s%s", who, m->classes, rw_shape_str(scores->shape, a, sizeof a),
                        scores->dtype == RW_REAL ? "" : " int32", rw_shape_str(targets->shape, b, sizeof b),
                        targets->dtype == RW_INT32 ? "" : " real");
    if (check_mask(who, mask, targets->shape) != RW_OK)
        return RW_ERR_SHAPE;
    for (size_t i = 0; i < targets->size; i++)
        if (check_target(who, m, targets->idata[i], i) != RW_OK)
            return RW_ERR_SHAPE;
    for (size_t i = 0; i < targets->size; i++) {
        int32_t t = targets->idata[i];
        if (t < 0 || !counts_at(mask, i))
            continue;
        const rw_real *z = scores->data + i * (size_t)C;
        int best = 0, larger = 0;
        double top = z[0];
        for (int c = 1; c < C; c++)
            if (z[c] > top) {
                top = z[c];
                best = c;
            }
        double sum = 0;
        for (int c = 0; c < C; c++) {
            sum += exp((double)z[c] - top);
            larger += z[c] > z[t];
        }
        count_prediction(m, best, t);
        m->scored++;
        if (larger < RW_METRICS_MAX_TOP_K)
            m->rank_hits[larger]++;
        m->nll += top + log(sum) - (double)z[t];
    }
    return RW_OK;
}

rw_status rw_metrics_add_predictions(rw_metrics *m, const rw_tensor *predictions, const rw_tensor *targets,
                                     const rw_tensor *mask)
{
    const char *who = "rw_metrics_add_predictions";
    char a[64], b[64];
    if (!m || !predictions || !targets)
        return rw_error(RW_ERR_ARG, "%s: NULL argument", who);
    if (predictions->dtype != RW_INT32 || targets->dtype != RW_INT32 ||
        !rw_shape_equal(predictions->shape, targets->shape))
        return rw_error(RW_ERR_SHAPE, "%s: needs int32 predictions and targets of one shape, got %s and %s", who,
                        rw_shape_str(predictions->shape, a, sizeof a), rw_shape_str(targets->shape, b, sizeof b));
    if (check_mask(who, mask, targets->shape) != RW_OK)
        return RW_ERR_SHAPE;
    for (size_t i = 0; i < targets->size; i++)
        if (check_target(who, m, targets->idata[i], i) != RW_OK)
            return RW_ERR_SHAPE;
    for (size_t i = 0; i < targets->size; i++)
        if (targets->idata[i] >= 0 && counts_at(mask, i))
            count_prediction(m, predictions->idata[i], targets->idata[i]);
    return RW_OK;
}

rw_status rw_metrics_add_values(rw_metrics *m, const rw_tensor *predictions, const rw_tensor *targets,
                                const rw_tensor *mask)
{
    const char *who = "rw_metrics_add_values";
    char a[64], b[64];
    if (!m || !predictions || !targets)
        return rw_error(RW_ERR_ARG, "%s: NULL argument", who);
    if (predictions->dtype != RW_REAL || targets->dtype != RW_REAL ||
        !rw_shape_equal(predictions->shape, targets->shape))
        return rw_error(RW_ERR_SHAPE, "%s: needs real predictions and targets of one shape, got %s and %s", who,
                        rw_shape_str(predictions->shape, a, sizeof a), rw_shape_str(targets->shape, b, sizeof b));
    if (check_mask(who, mask, targets->shape) != RW_OK)
        return RW_ERR_SHAPE;
    for (size_t i = 0; i < targets->size; i++) {
        if (!counts_at(mask, i))
            continue;
        double d = (double)predictions->data[i] - (double)targets->data[i];
        m->values++;
        m->squared += d * d;
        m->absolute += fabs(d);
    }
    return RW_OK;
}

/* The predicted class at position i of ids [T, B] or scores [T, B, C]. */
static int32_t predicted_at(const rw_tensor *p, size_t i)
{
    if (p->dtype == RW_INT32)
        return p->idata[i];
    int C = rw_shape_last(p->shape);
    const rw_real *z = p->data + i * (size_t)C;
    int best = 0;
    for (int c = 1; c < C; c++)
        best = z[c] > z[best] ? c : best;
    return best;
}

rw_status rw_metrics_add_sequences(rw_metrics *m, const rw_tensor *predictions, const rw_tensor *targets,
                                   const rw_tensor *mask)
{
    const char *who = "rw_metrics_add_sequences";
    char a[64], b[64];
    if (!m || !predictions || !targets)
        return rw_error(RW_ERR_ARG, "%s: NULL argument", who);
    rw_shape lead = predictions->shape;
    if (predictions->dtype == RW_REAL)
        lead.ndim = lead.ndim > 0 ? lead.ndim - 1 : 0;
    if (targets->dtype != RW_INT32 || targets->shape.ndim != 2 || !rw_shape_equal(lead, targets->shape) ||
        (predictions->dtype == RW_REAL && rw_shape_last(predictions->shape) != m->classes))
        return rw_error(RW_ERR_SHAPE, "%s: needs real scores [T, B, %d] or int32 ids [T, B] and int32 targets "
                        "[T, B], got %s%s and %s", who, m->classes, rw_shape_str(predictions->shape, a, sizeof a),
                        predictions->dtype == RW_REAL ? "" : " int32", rw_shape_str(targets->shape, b, sizeof b));
    if (check_mask(who, mask, targets->shape) != RW_OK)
        return RW_ERR_SHAPE;
    for (size_t i = 0; i < targets->size; i++)
        if (check_target(who, m, targets->idata[i], i) != RW_OK)
            return RW_ERR_SHAPE;
    int T = targets->shape.dim[0], B = targets->shape.dim[1];
    for (int j = 0; j < B; j++) {
        int counted = 0, right = 1;
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)t * (size_t)B + (size_t)j;
            if (targets->idata[i] < 0 || !counts_at(mask, i))
                continue;
            counted++;
            right &= predicted_at(predictions, i) == targets->idata[i];
        }
        m->sequences += counted > 0;
        m->sequences_right += counted > 0 && right;
    }
    return RW_OK;
}

rw_status rw_metrics_add_exact_matches(rw_metrics *m, long right, long count)
{
    if (!m || count < 0 || right < 0 || right > count)
        return rw_error(RW_ERR_ARG, "rw_metrics_add_exact_matches: %ld right of %ld (needs an accumulator and "
                        "0 <= right <= count)", right, count);
    m->decoded += count;
    m->decoded_right += right;
    return RW_OK;
}

long rw_metrics_classified(const rw_metrics *m) { return m ? m->classified : 0; }
long rw_metrics_scored(const rw_metrics *m) { return m ? m->scored : 0; }
long rw_metrics_values(const rw_metrics *m) { return m ? m->values : 0; }
long rw_metrics_sequences(const rw_metrics *m) { return m ? m->sequences : 0; }
int rw_metrics_classes(const rw_metrics *m) { return m ? m->classes : 0; }

static double ratio(double num, long den) { return den > 0 ? num / (double)den : NAN; }

double rw_metrics_accuracy(const rw_metrics *m) { return m ? ratio((double)m->correct, m->classified) : NAN; }

double rw_metrics_top_k(const rw_metrics *m, int k)
{
    if (!m || k < 1 || k > RW_METRICS_MAX_TOP_K)
        return NAN;
    long hits = 0;
    for (int r = 0; r < k; r++)
        hits += m->rank_hits[r];
    return ratio((double)hits, m->scored);
}

double rw_metrics_perplexity(const rw_metrics *m) { return m && m->scored ? exp(m->nll / (double)m->scored) : NAN; }

static bool has_class(const rw_metrics *m, int c) { return m && c >= 0 && c < m->classes; }

double rw_metrics_precision(const rw_metrics *m, int c)
{
    return has_class(m, c) ? ratio((double)m->true_pos[c], m->predicted[c]) : NAN;
}

double rw_metrics_recall(const rw_metrics *m, int c)
{
    return has_class(m, c) ? ratio((double)m->true_pos[c], m->actual[c]) : NAN;
}

double rw_metrics_f1(const rw_metrics *m, int c)
{
    if (!has_class(m, c) || m->predicted[c] + m->actual[c] == 0)
        return NAN;
    /* 2PR / (P + R) = 2 TP / (predicted + actual), defined when either is */
    return 2.0 * (double)m->true_pos[c] / (double)(m->predicted[c] + m->actual[c]);
}

static double macro(const rw_metrics *m, double (*per_class)(const rw_metrics *, int))
{
    double sum = 0;
    long n = 0;
    for (int c = 0; m && c < m->classes; c++) {
        double v = per_class(m, c);
        if (!isnan(v)) {
            sum += v;
            n++;
        }
    }
    return ratio(sum, n);
}

double rw_metrics_macro_precision(const rw_metrics *m) { return macro(m, rw_metrics_precision); }
double rw_metrics_macro_recall(const rw_metrics *m) { return macro(m, rw_metrics_recall); }
double rw_metrics_macro_f1(const rw_metrics *m) { return macro(m, rw_metrics_f1); }
double rw_metrics_mse(const rw_metrics *m) { return m ? ratio(m->squared, m->values) : NAN; }
double rw_metrics_mae(const rw_metrics *m) { return m ? ratio(m->absolute, m->values) : NAN; }
double rw_metrics_sequence_accuracy(const rw_metrics *m)
{
    return m ? ratio((double)m->sequences_right, m->sequences) : NAN;
}
double rw_metrics_exact_match(const rw_metrics *m) { return m ? ratio((double)m->decoded_right, m->decoded) : NAN; }

/* ---- as an array of sums (rewind_internal/metrics_sums.h) ---- */

#define SCALAR_SUMS 11 /* the eight counters of counter(), nll, squared, absolute */

size_t rwi_metrics_sums_size(const rw_metrics *m)
{
    return m ? SCALAR_SUMS + RW_METRICS_MAX_TOP_K + 3 * (size_t)m->classes : 0;
}

/* The long counters in a fixed order: one list for both directions. */
static long *counter(rw_metrics *m, int i)
{
    long *const at[8] = { &m->classified, &m->correct,         &m->scored,  &m->values,
                          &m->sequences,  &m->sequences_right, &m->decoded, &m->decoded_right };
    return at[i];
}

static double *real_sum(rw_metrics *m, int i)
{
    double *const at[3] = { &m->nll, &m->squared, &m->absolute };
    return at[i];
}

void rwi_metrics_to_sums(const rw_metrics *m, double *sums)
{
    rw_metrics *mm = (rw_metrics *)m; /* read only: counter() serves both directions */
    for (int i = 0; i < 8; i++)
        *sums++ = (double)*counter(mm, i);
    for (int i = 0; i < 3; i++)
        *sums++ = *real_sum(mm, i);
    for (int r = 0; r < RW_METRICS_MAX_TOP_K; r++)
        *sums++ = (double)m->rank_hits[r];
    for (size_t c = 0; c < 3 * (size_t)m->classes; c++)
        *sums++ = (double)m->true_pos[c];
}

void rwi_metrics_from_sums(rw_metrics *m, const double *sums)
{
    for (int i = 0; i < 8; i++)
        *counter(m, i) = (long)*sums++;
    for (int i = 0; i < 3; i++)
        *real_sum(m, i) = *sums++;
    for (int r = 0; r < RW_METRICS_MAX_TOP_K; r++)
        m->rank_hits[r] = (long)*sums++;
    for (size_t c = 0; c < 3 * (size_t)m->classes; c++)
        m->true_pos[c] = (long)*sums++;
}
