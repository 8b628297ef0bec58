/* Gradient diagnostics of the sequence runner: per-step gradient norms of
 * the hidden states and spectral radii of the recurrent matrices. */
#include <math.h>
#include <stdlib.h>
#include "rnn_internal.h"
#include "rewind/diagnostics.h"

rw_status rw_rnn_grad_norms(const rw_rnn *r, const rw_seq *s, int layer, int dir, double *norms)
{
    if (!r || !s || !norms || !s->hidden)
        return rw_error(RW_ERR_ARG, "rw_rnn_grad_norms: needs a run made with keep_hidden_grads and an output array");
    if (layer < 0 || layer >= r->layers || dir < 0 || dir >= r->dirs)
        return rw_error(RW_ERR_ARG, "rw_rnn_grad_norms('%s'): layer %d / direction %d outside %d layers, %d directions",
                        r->name, layer, dir, r->layers, r->dirs);
    for (int t = 0; t < s->steps; t++) {
        const rw_node *h = s->hidden[(layer * r->dirs + dir) * s->steps + t];
        const rw_real *gr = h ? rw_node_grad(h) : NULL;
        double sum = 0;
        for (size_t i = 0; gr && i < h->value.size; i++)
            sum += (double)gr[i] * (double)gr[i];
        norms[t] = sqrt(sum);
    }
    return RW_OK;
}

/* v = A v for the block; returns ||A v||. */
static double apply(const rw_real *a, int cols, int n, const double *v, double *out)
{
    double norm = 0;
    for (int i = 0; i < n; i++) {
        double acc = 0;
        for (int j = 0; j < n; j++)
            acc += (double)a[(size_t)i * cols + j] * v[j];
        out[i] = acc;
        norm += acc * acc;
    }
    return sqrt(norm);
}

double rw_spectral_radius(const rw_tensor *m, int row0, int n, int iters, uint64_t seed)
{
    if (!m || m->dtype != RW_REAL || m->shape.ndim != 2 || n < 1 || row0 < 0 || row0 + n > m->shape.dim[0] ||
        n > m->shape.dim[1] || iters < 1) {
        rw_error(RW_ERR_ARG, "rw_spectral_radius: a %d x %d block at row %d does not fit the matrix", n, n, row0);
        return -1;
    }
    double *v = malloc(2 * (size_t)n * sizeof *v);
    if (!v) {
        rw_error(RW_ERR_NOMEM, "rw_spectral_radius: out of memory");
        return -1;
    }
    double *w = v + n, norm = 0;
    rw_rng rng = rw_rng_seed(seed);
    for (int i = 0; i < n; i++) {
        v[i] = rw_rng_normal(&rng);
        norm += v[i] * v[i];
    }
    for (int i = 0; i < n; i++)
        v[i] /= sqrt(norm);
    /* log ||A^k v|| grows like k log rho; average the growth over the second
     * half of the iterations, after the start vector's other directions died */
    const rw_real *a = m->data + (size_t)row0 * m->shape.dim[1];
    double log_growth = 0;
    int counted = 0;
    for (int k = 0; k < iters; k++) {
        double g = apply(a, m->shape.dim[1], n, v, w);
        if (g == 0) {
            free(v);
            return 0;
        }
        for (int i = 0; i < n; i++)
            v[i] = w[i] / g;
        if (k >= iters / 2) {
            log_growth += log(g);
            counted++;
        }
    }
    free(v);
    return exp(log_growth / counted);
}

int rw_rnn_recurrent_radii(const rw_rnn *r, int layer, int dir, double *out, int max)
{
    const rw_cell *cell = r ? rw_rnn_cell(r, layer, dir) : NULL;
    if (!cell)
        return 0;
    static const char *const names[] = { "U", "Un" };
    int count = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        rw_param *p = rw_cell_get_param(cell, names[k]);
        if (!p || p->value->shape.ndim != 2)
            continue;
        int H = p->value->shape.dim[1], blocks = p->value->shape.dim[0] / H;
        for (int b = 0; b < blocks; b++, count++)
            if (count < max)
                out[count] = rw_spectral_radius(p->value, b * H, H, 200, 1);
    }
    return count;
}

double rw_gate_saturated(const rw_gate_saturation *s, int k)
{
    if (!s || k < 0 || k >= RW_GATES_MAX || s->count[k] == 0)
        return NAN;
    return (double)(s->low[k] + s->high[k]) / (double)s->count[k];
}
