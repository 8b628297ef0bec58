/* rw_hsm_sample (rewind/ops_hsm.h): one word drawn from a hierarchical
 * softmax in O(H (C + |class|)) by drawing its two factors in turn,
 *   c ~ softmax(Wc h + bc),  w ~ softmax over the words of c of (W[w] h + b[w]),
 * which is P(w | h) = P(c | h) P(w | c, h) exactly. Excluding a word e
 * (<unk>) renormalizes P without it, by rejection: a draw of e is thrown
 * away and the draw made afresh. Any exact sampler may make the fresh
 * one, so it uses e's class's logits, which the rejected draw computed:
 * class(e)'s weight becomes P(class(e)) (1 - P(e | class(e))) and e's own
 * weight 0. So excluding costs nothing unless e is drawn, and then one
 * more draw (however likely e is), not the logits of class(e) every time. */
#include <math.h>
#include "rewind_internal/alloc.h"
#include "rewind/ops_hsm.h"

/* A row's dot product with four running sums (the compiler may vectorize them). */
static double row_dot(const rw_real *a, const rw_real *b, int n)
{
    rw_real s[4] = { 0 };
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++)
            s[k] += a[i + k] * b[i + k];
    double total = (double)((s[0] + s[2]) + (s[1] + s[3]));
    for (; i < n; i++)
        total += (double)(a[i] * b[i]);
    return total;
}

/* weight[j] := exp(z_j - max z) of z_j = bias[r] + weight_rows[r] . h for
 * the n rows r = rows[j] (rows NULL: r = j); returns the sum of the weights. */
static double row_weights(const rw_tensor *w, const rw_tensor *b, const int32_t *rows, int n, const rw_real *h,
                          double *weight)
{
    int H = rw_shape_last(w->shape);
    double top = -INFINITY, sum = 0;
    for (int j = 0; j < n; j++) {
        int r = rows ? rows[j] : j;
        weight[j] = (double)b->data[r] + row_dot(w->data + (size_t)r * (size_t)H, h, H);
        top = weight[j] > top ? weight[j] : top;
    }
    for (int j = 0; j < n; j++)
        sum += weight[j] = exp(weight[j] - top);
    return sum;
}

/* The index drawn with probability weight[j] / total, u uniform in [0, 1). */
static int draw(const double *weight, int n, double total, double u)
{
    double left = u * total;
    int last = -1;
    for (int j = 0; j < n; j++) {
        if (weight[j] <= 0)
            continue;
        if (left < weight[j])
            return j;
        left -= weight[j];
        last = j;
    }
    return last; /* rounding left a sliver past the end: the last drawable one */
}

static bool fits(const rw_tensor *t, int ndim, int d0, int d1)
{
    return t && t->dtype == RW_REAL && t->shape.ndim == ndim && t->shape.dim[0] == d0 &&
           (ndim == 1 || t->shape.dim[1] == d1);
}

int rw_hsm_sample(const rw_real *h, const rw_tensor *class_w, const rw_tensor *class_b, const rw_tensor *word_w,
                  const rw_tensor *word_b, const rw_hsm_classes *cls, int exclude, rw_rng *rng)
{
    if (!h || !cls || !cls->class_of || !cls->words || !cls->start || !rng || !class_w || !word_w) {
        rw_error(RW_ERR_ARG, "rw_hsm_sample: needs h, the four parameters, classes and a generator");
        return -1;
    }
    int V = cls->n_words, C = cls->n_classes, H = rw_shape_last(class_w->shape);
    if (!fits(class_w, 2, C, H) || !fits(class_b, 1, C, 0) || !fits(word_w, 2, V, H) || !fits(word_b, 1, V, 0) ||
        exclude < -1 || exclude >= V) {
        rw_error(RW_ERR_ARG, "rw_hsm_sample: expected class_w [C, H], class_b [C], word_w [V, H], word_b [V] for "
                 "%d classes of %d words, and an excluded word below %d (or -1); got class_w of %d dims", C, V, V,
                 class_w->shape.ndim);
        return -1;
    }
    const int32_t *start = cls->start->idata, *words = cls->words->idata;
    int most = 0;
    for (int c = 0; c < C; c++)
        most = start[c + 1] - start[c] > most ? start[c + 1] - start[c] : most;
    double *pc = rwi_malloc(((size_t)C + (size_t)most) * sizeof *pc, "hierarchical softmax sampling");
    if (!pc)
        return -1;
    double *pw = pc + C;
    double total = row_weights(class_w, class_b, NULL, C, h, pc);
    int c = draw(pc, C, total, rw_rng_uniform(rng)), n = c >= 0 ? start[c + 1] - start[c] : 0;
    double sum = c >= 0 ? row_weights(word_w, word_b, words + start[c], n, h, pw) : 0;
    int j = c >= 0 ? draw(pw, n, sum, rw_rng_uniform(rng)) : -1, word = j >= 0 ? words[start[c] + j] : -1;
    if (word >= 0 && word == exclude) { /* rejected: the exact draw without it, from its class's weights here */
        int ce = c;
        double within = sum;
        sum -= pw[j];
        pw[j] = 0;
        total -= pc[ce];
        pc[ce] *= sum / within;
        total += pc[ce];
        c = total > 0 ? draw(pc, C, total, rw_rng_uniform(rng)) : -1;
        if (c >= 0 && c != ce) {
            n = start[c + 1] - start[c];
            sum = row_weights(word_w, word_b, words + start[c], n, h, pw);
        }
        j = c >= 0 ? draw(pw, n, sum, rw_rng_uniform(rng)) : -1;
        word = j >= 0 ? words[start[c] + j] : -1;
    }
    rwi_free(pc);
    if (word < 0)
        rw_error(RW_ERR_ARG, "rw_hsm_sample: no word can be drawn (%d words, word %d excluded)", V, exclude);
    return word;
}
