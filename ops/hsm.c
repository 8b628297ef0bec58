/* Hierarchical softmax (F40, rewind/ops_hsm.h): "hsm_loss", the mean of
 * -log P(y | h) = -log softmax(Wc h + bc)[class(y)]
 *                 - log softmax over the words w of class(y) of (W[w] h + b[w])[y],
 * reading only the C class rows and the rows of the target's class, and
 * "hsm_log_probs", log P(w | h) for every word (evaluation and sampling).
 *
 * Inputs of both: h [..., H], class_w [C, H], class_b [C], word_w [V, H],
 * word_b [V]; hsm_loss then the targets (int32, h's leading shape, < 0 is
 * padding); then the class layout of rw_hsm_classes: class_of [V], words
 * [V] (grouped by class) and start [C + 1], checked when recorded. */
#include <stdint.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "fastmath.h"
#include "gemm.h"
#include "op_util.h"
#include "rewind/ops_hsm.h"

enum { IN_H, IN_CW, IN_CB, IN_W, IN_B, IN_TARGETS };

typedef struct layout {
    const int32_t *class_of, *words, *start;
    int V, C, H;
    size_t rows;
} layout;

/* The layout inputs start at input `first` (5 for hsm_log_probs, 6 for hsm_loss). */
static layout layout_of(const rw_node *n, int first)
{
    layout l = { n->in[first]->value.idata, n->in[first + 1]->value.idata, n->in[first + 2]->value.idata,
                 n->in[IN_W]->value.shape.dim[0], n->in[IN_CW]->value.shape.dim[0],
                 rw_shape_last(n->in[IN_H]->value.shape), 0 };
    l.rows = l.H ? n->in[IN_H]->value.size / (size_t)l.H : 0;
    return l;
}

static bool is_shape(const rw_node *n, int i, int ndim, int d0, int d1)
{
    rw_shape s = n->in[i]->value.shape;
    return s.ndim == ndim && s.dim[0] == d0 && (ndim == 1 || s.dim[1] == d1);
}

/* Dtypes, the parameter shapes against h and the classes, and the layout
 * itself: starts from 0 to V, no class empty, words a permutation grouped
 * by class_of. */
static rw_status check_inputs(const rw_node *n, int first)
{
    for (int i = IN_H; i <= IN_B; i++)
        if (rwi_op_require_real(n, i))
            return RW_ERR_SHAPE;
    for (int i = first; i < first + 3; i++)
        if (rwi_op_require_int(n, i))
            return RW_ERR_SHAPE;
    if (n->in[IN_H]->value.shape.ndim < 1 || n->in[IN_CW]->value.shape.ndim != 2 ||
        n->in[IN_W]->value.shape.ndim != 2)
        return rwi_op_shape_error(n, "h must be [..., H], the class and word weights [C, H] and [V, H]");
    layout l = layout_of(n, first);
    if (!is_shape(n, IN_CW, 2, l.C, l.H) || !is_shape(n, IN_CB, 1, l.C, 0) || !is_shape(n, IN_W, 2, l.V, l.H) ||
        !is_shape(n, IN_B, 1, l.V, 0) || !is_shape(n, first, 1, l.V, 0) || !is_shape(n, first + 1, 1, l.V, 0) ||
        !is_shape(n, first + 2, 1, l.C + 1, 0))
        return rwi_op_shape_error(n, "expected h [..., H], class_w [C, H], class_b [C], word_w [V, H], word_b [V] "
                                    "and the class layout [V], [V], [C + 1] (H %d, C %d, V %d)", l.H, l.C, l.V);
    if (l.start[0] != 0 || l.start[l.C] != l.V)
        return rwi_op_shape_error(n, "the class starts must run from 0 to V = %d", l.V);
    bool *seen = rwi_calloc((size_t)l.V, sizeof *seen, "hsm layout check");
    if (!seen)
        return RW_ERR_NOMEM;
    rw_status st = RW_OK;
    for (int c = 0; c < l.C && st == RW_OK; c++) {
        if (l.start[c + 1] <= l.start[c])
            st = rwi_op_shape_error(n, "class %d has no words", c);
        for (int j = l.start[c]; j < l.start[c + 1] && st == RW_OK; j++) {
            int w = l.words[j];
            if (w < 0 || w >= l.V || seen[w] || l.class_of[w] != c)
                st = rwi_op_shape_error(n, "the class layout is inconsistent at word slot %d (word %d, class %d)", j,
                                        w, c);
            else
                seen[w] = true;
        }
    }
    rwi_free(seen);
    return st;
}

static void axpy(rw_real a, const rw_real *x, rw_real *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* log(sum_j e^z_j), with the maximum taken out. */
static double log_sum_exp(const rw_real *z, int n)
{
    rw_real mx = z[0];
    for (int j = 1; j < n; j++)
        mx = z[j] > mx ? z[j] : mx;
    double sum = 0;
    for (int j = 0; j < n; j++)
        sum += (double)RW_EXP(z[j] - mx);
    return (double)mx + log(sum);
}

/* Softmax of z in place; returns log(sum_j e^z_j) of the input. */
static double softmax_in_place(rw_real *z, int n)
{
    double lse = log_sum_exp(z, n);
    for (int j = 0; j < n; j++)
        z[j] = (rw_real)exp((double)z[j] - lse);
    return lse;
}

/* The class logits of every row at once, S = h Wc^T [rows, C] (one GEMM:
 * C is about sqrt(V), the larger part of a row's work), and the backward
 * of it with dS: dh += dS Wc, dWc += dS^T h, dbc += the column sums. */
static void class_logits(const rw_node *n, const layout *l, rw_real *s)
{
    const rw_real *h = n->in[IN_H]->value.data, *cw = n->in[IN_CW]->value.data;
    dim_t H = l->H, C = l->C;
    rwi_gemm((dim_t)l->rows, C, H, h, H, 1, cw, 1, H, 0, s, C, 1);
}

static void class_logits_backward(const rw_node *n, const layout *l, const rw_real *ds)
{
    const rw_node *hn = n->in[IN_H], *cwn = n->in[IN_CW], *cbn = n->in[IN_CB];
    dim_t H = l->H, C = l->C, rows = (dim_t)l->rows;
    if (hn->grad)
        rwi_gemm(rows, H, C, ds, C, 1, cwn->value.data, H, 1, 1, hn->grad, H, 1);
    if (cwn->grad)
        rwi_gemm(C, H, rows, ds, 1, C, hn->value.data, H, 1, 1, cwn->grad, H, 1);
    for (size_t r = 0; cbn->grad && r < l->rows; r++)
        for (int k = 0; k < l->C; k++)
            cbn->grad[k] += ds[r * (size_t)l->C + (size_t)k];
}

/* ---- hsm_loss --------------------------------------------------------------
 * The live rows are grouped by their target's class (a counting sort), so
 * that the word logits of class c's n_c rows are one GEMM [n_c, H] x [H, |c|]
 * on gathered copies of those rows of h and W; backward is two GEMMs a class,
 * scattered back. Scratch: the live rows' count; the reals: class
 * probabilities [rows, C] (zero for padding), each class's block of word
 * probabilities [n_c, |c|] (one after the other, in class order), the
 * backward's dS and dZ of the same shapes, and the gather buffers (h rows
 * [rows, H], W rows and their gradient [largest class, H]); then the rows
 * in class order and where each class's rows begin in it. */
typedef struct loss_scratch {
    double live;
    rw_real *class_probs, *probs, *ds, *dz, *hbuf, *wbuf, *dwbuf;
    int32_t *order, *first_row;
} loss_scratch;

static int largest_class(const layout *l)
{
    int most = 0;
    for (int c = 0; c < l->C; c++)
        most = l->start[c + 1] - l->start[c] > most ? l->start[c + 1] - l->start[c] : most;
    return most;
}

static rw_status loss_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_int(n, IN_TARGETS) || check_inputs(n, IN_TARGETS + 1))
        return RW_ERR_SHAPE;
    rw_shape sh = n->in[IN_H]->value.shape, st = n->in[IN_TARGETS]->value.shape;
    bool leading = st.ndim == sh.ndim - 1;
    for (int i = 0; leading && i < st.ndim; i++)
        leading = st.dim[i] == sh.dim[i];
    layout l = layout_of(n, IN_TARGETS + 1);
    if (!leading && !(st.ndim == 1 && (size_t)st.dim[0] == l.rows))
        return rwi_op_shape_error(n, "the targets must have h's leading shape (one target per row, %zu rows)",
                                 l.rows);
    const int32_t *t = n->in[IN_TARGETS]->value.idata;
    for (size_t r = 0; r < l.rows; r++)
        if (t[r] >= l.V)
            return rwi_op_shape_error(n, "target %d at row %zu is out of range for %d words (negative targets "
                                        "mark padding)", (int)t[r], r, l.V);
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

/* The word probabilities of the live rows together: sum of their class sizes. */
static size_t word_probs_count(const rw_node *n, const layout *l)
{
    const int32_t *t = n->in[IN_TARGETS]->value.idata;
    size_t total = 0;
    for (size_t r = 0; r < l->rows; r++)
        if (t[r] >= 0) {
            int c = l->class_of[t[r]];
            total += (size_t)(l->start[c + 1] - l->start[c]);
        }
    return total;
}

static size_t loss_scratch_bytes(const rw_node *n)
{
    layout l = layout_of(n, IN_TARGETS + 1);
    size_t rc = l.rows * (size_t)l.C, big = (size_t)largest_class(&l) * (size_t)l.H;
    size_t reals = 2 * rc + 2 * word_probs_count(n, &l) + l.rows * (size_t)l.H + 2 * big;
    return sizeof(loss_scratch) + reals * sizeof(rw_real) + (l.rows + (size_t)l.C + 1) * sizeof(int32_t);
}

static void carve(const rw_node *n, const layout *l, loss_scratch *s)
{
    size_t rc = l->rows * (size_t)l->C, words = word_probs_count(n, l);
    s->class_probs = (rw_real *)(s + 1);
    s->probs = s->class_probs + rc;
    s->ds = s->probs + words;
    s->dz = s->ds + rc;
    s->hbuf = s->dz + words;
    s->wbuf = s->hbuf + l->rows * (size_t)l->H;
    s->dwbuf = s->wbuf + (size_t)largest_class(l) * (size_t)l->H;
    s->order = (int32_t *)(s->dwbuf + (size_t)largest_class(l) * (size_t)l->H);
    s->first_row = s->order + l->rows;
}

/* Copies rows idx[0 .. n) of a [*, H] matrix into dst [n, H]. */
static void gather(const rw_real *src, const int32_t *idx, int n, int H, rw_real *dst)
{
    for (int i = 0; i < n; i++)
        memcpy(dst + (size_t)i * (size_t)H, src + (size_t)idx[i] * (size_t)H, (size_t)H * sizeof *dst);
}

static void scatter_add(const rw_real *src, const int32_t *idx, int n, int H, rw_real *dst)
{
    for (int i = 0; i < n; i++)
        axpy(1, src + (size_t)i * (size_t)H, dst + (size_t)idx[i] * (size_t)H, H);
}

static void loss_forward(rw_node *n)
{
    layout l = layout_of(n, IN_TARGETS + 1);
    loss_scratch *s = n->scratch;
    carve(n, &l, s);
    const int32_t *t = n->in[IN_TARGETS]->value.idata;
    const rw_real *cb = n->in[IN_CB]->value.data, *b = n->in[IN_B]->value.data;
    double loss = 0;
    /* the live rows in class order */
    memset(s->first_row, 0, ((size_t)l.C + 1) * sizeof *s->first_row);
    for (size_t r = 0; r < l.rows; r++)
        if (t[r] >= 0)
            s->first_row[l.class_of[t[r]] + 1]++;
    for (int c = 0; c < l.C; c++)
        s->first_row[c + 1] += s->first_row[c];
    s->live = s->first_row[l.C];
    for (size_t r = 0; r < l.rows; r++) /* each class filled from its end: no second array */
        if (t[r] >= 0)
            s->order[--s->first_row[l.class_of[t[r]] + 1]] = (int32_t)r;
    for (int c = 0; c < l.C; c++) /* the decrements left first_row[c + 1] at class c's start: shift back */
        s->first_row[c] = s->first_row[c + 1];
    s->first_row[l.C] = (int32_t)s->live;
    class_logits(n, &l, s->class_probs);
    for (size_t r = 0; r < l.rows; r++) {
        rw_real *pc = s->class_probs + r * (size_t)l.C;
        if (t[r] < 0)
            continue;
        int c = l.class_of[t[r]];
        for (int k = 0; k < l.C; k++)
            pc[k] += cb[k];
        double target_logit = pc[c];
        loss += softmax_in_place(pc, l.C) - target_logit;
    }
    rw_real *block = s->probs;
    for (int c = 0; c < l.C; c++) {
        int rows_c = s->first_row[c + 1] - s->first_row[c], first = l.start[c], count = l.start[c + 1] - first;
        if (!rows_c)
            continue;
        const int32_t *rows = s->order + s->first_row[c];
        gather(n->in[IN_H]->value.data, rows, rows_c, l.H, s->hbuf);
        gather(n->in[IN_W]->value.data, l.words + first, count, l.H, s->wbuf);
        rwi_gemm(rows_c, count, l.H, s->hbuf, l.H, 1, s->wbuf, 1, l.H, 0, block, count, 1);
        for (int i = 0; i < rows_c; i++) {
            rw_real *z = block + (size_t)i * (size_t)count;
            double target_logit = 0;
            for (int j = 0; j < count; j++) {
                z[j] += b[l.words[first + j]];
                if (l.words[first + j] == t[rows[i]])
                    target_logit = z[j];
            }
            loss += softmax_in_place(z, count) - target_logit;
        }
        block += (size_t)rows_c * (size_t)count;
    }
    n->value.data[0] = s->live > 0 ? (rw_real)(loss / s->live) : 0;
}

/* d(-log p_y)/dz = softmax - onehot for both softmaxes, times dy / live. */
static void loss_backward(rw_node *n)
{
    layout l = layout_of(n, IN_TARGETS + 1);
    loss_scratch *s = n->scratch;
    if (s->live == 0)
        return;
    const int32_t *t = n->in[IN_TARGETS]->value.idata;
    rw_node *hn = n->in[IN_H], *wn = n->in[IN_W], *bn = n->in[IN_B];
    rw_real scale = (rw_real)((double)n->grad[0] / s->live);
    for (size_t r = 0; r < l.rows; r++) {
        const rw_real *pc = s->class_probs + r * (size_t)l.C;
        rw_real *ds = s->ds + r * (size_t)l.C;
        int c = t[r] >= 0 ? l.class_of[t[r]] : -1;
        for (int k = 0; k < l.C; k++)
            ds[k] = c < 0 ? 0 : scale * (pc[k] - (k == c));
    }
    class_logits_backward(n, &l, s->ds);
    const rw_real *block = s->probs;
    rw_real *dz = s->dz;
    for (int c = 0; c < l.C; c++) {
        int rows_c = s->first_row[c + 1] - s->first_row[c], first = l.start[c], count = l.start[c + 1] - first;
        if (!rows_c)
            continue;
        const int32_t *rows = s->order + s->first_row[c], *words = l.words + first;
        for (int i = 0; i < rows_c; i++)
            for (int j = 0; j < count; j++) {
                size_t k = (size_t)i * (size_t)count + (size_t)j;
                dz[k] = scale * (block[k] - (words[j] == t[rows[i]]));
                if (bn->grad)
                    bn->grad[words[j]] += dz[k];
            }
        if (wn->grad) { /* dW rows = dZ^T h rows */
            gather(hn->value.data, rows, rows_c, l.H, s->hbuf);
            rwi_gemm(count, l.H, rows_c, dz, 1, count, s->hbuf, l.H, 1, 0, s->dwbuf, l.H, 1);
            scatter_add(s->dwbuf, words, count, l.H, wn->grad);
        }
        if (hn->grad) { /* dh rows = dZ W rows */
            gather(wn->value.data, words, count, l.H, s->wbuf);
            rwi_gemm(rows_c, l.H, count, dz, count, 1, s->wbuf, l.H, 1, 0, s->hbuf, l.H, 1);
            scatter_add(s->hbuf, rows, rows_c, l.H, hn->grad);
        }
        block += (size_t)rows_c * (size_t)count;
        dz += (size_t)rows_c * (size_t)count;
    }
}

static const rw_op_def loss_def = {
    .fills_output = true,
    .name = "hsm_loss", .arity = 9, .nondiff = 0x1e0u, .shape = loss_shape,
    .scratch_bytes = loss_scratch_bytes, .forward = loss_forward, .backward = loss_backward,
    .doc = "hierarchical softmax: mean -log P(class(y)|h) P(y|class(y),h) over targets y >= 0, "
           "reading only the class rows and the target class's word rows" };

rw_node *rw_hsm_loss(rw_graph *g, rw_node *h, rw_node *class_w, rw_node *class_b, rw_node *word_w, rw_node *word_b,
                     rw_node *targets, const rw_hsm_classes *cls)
{
    if (!cls || !cls->class_of || !cls->words || !cls->start) {
        rw_error(RW_ERR_ARG, "rw_hsm_loss: no classes (build them with rw_hsm_classes_from_counts)");
        return NULL;
    }
    rw_node *in[9] = { h, class_w, class_b, word_w, word_b, targets, rw_const(g, cls->class_of),
                       rw_const(g, cls->words), rw_const(g, cls->start) };
    return rw_apply(g, &loss_def, in, 9, NULL);
}

/* ---- hsm_log_probs ---------------------------------------------------------
 * out[w] = log pc[class(w)] + z[w] - lse over class(w) of z, with the word
 * logits z = h W^T + b of every row and word as one product straight into
 * out (in word order: the classes' products side by side, without gathering
 * W's rows) and the class logits as another; the rest is one pass a row over
 * each class's words. Scratch: log pc [rows, C].
 * Backward with G = d out: d s_k = G_k - pc_k sum(G), with G_k the sum of G
 * over class k, and d z_w = G_w - p(w | class) G_class(w); then the same two
 * products' backward as GEMMs over all rows. */
static rw_status log_probs_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (check_inputs(n, IN_B + 1))
        return RW_ERR_SHAPE;
    *out = n->in[IN_H]->value.shape;
    out->dim[out->ndim - 1] = n->in[IN_W]->value.shape.dim[0];
    *dt = RW_REAL;
    return RW_OK;
}

static size_t log_probs_scratch_bytes(const rw_node *n)
{
    layout l = layout_of(n, IN_B + 1);
    return (l.rows * (size_t)l.C + (size_t)l.V + 2 * (size_t)l.C) * sizeof(rw_real); /* log pc, then a row's room */
}

/* One row: z (the word logits without bias, in word order) becomes log P,
 * pc (the class logits without bias) log pc. Each class's biased logits are
 * gathered into `work` in class order, so that its maximum, exponentials
 * and sum run over contiguous values (vectorized, as log_softmax's); the
 * last pass is in word order again. `shift` has room for C values. */
static void log_probs_row(const layout *l, const rw_real *cb, const rw_real *b, rw_real *pc, rw_real *z,
                          rw_real *work, rw_real *shift)
{
    rw_real mx;
    for (int c = 0; c < l->C; c++)
        pc[c] += cb[c];
    double class_lse = log(rwi_exp_row(pc, (size_t)l->C, shift, &mx)) + (double)mx;
    for (int j = 0; j < l->V; j++)
        work[j] = z[l->words[j]] + b[l->words[j]];
    for (int c = 0; c < l->C; c++) {
        size_t first = (size_t)l->start[c], count = (size_t)(l->start[c + 1] - l->start[c]);
        double lse = log(rwi_exp_row(work + first, count, work + first, &mx)) + (double)mx;
        pc[c] = (rw_real)((double)pc[c] - class_lse);
        shift[c] = (rw_real)((double)pc[c] - lse);
    }
    for (int w = 0; w < l->V; w++)
        z[w] += b[w] + shift[l->class_of[w]];
}

static void log_probs_forward(rw_node *n)
{
    layout l = layout_of(n, IN_B + 1);
    rw_real *log_pc = n->scratch, *work = log_pc + l.rows * (size_t)l.C, *out = n->value.data;
    const rw_real *h = n->in[IN_H]->value.data;
    dim_t H = l.H, V = l.V;
    class_logits(n, &l, log_pc);
    rwi_gemm_split((dim_t)l.rows, V, H, h, H, 1, n->in[IN_W]->value.data, 1, H, 0, out, V, 1);
    for (size_t r = 0; r < l.rows; r++)
        log_probs_row(&l, n->in[IN_CB]->value.data, n->in[IN_B]->value.data, log_pc + r * (size_t)l.C,
                      out + r * (size_t)l.V, work, work + l.V);
}

static void log_probs_backward(rw_node *n)
{
    layout l = layout_of(n, IN_B + 1);
    const rw_real *log_pc = n->scratch;
    rw_node *hn = n->in[IN_H], *wn = n->in[IN_W], *bn = n->in[IN_B];
    rw_real *ds = rw_node_temp(n, l.rows * (size_t)l.C * sizeof *ds);
    rw_real *dz = rw_node_temp(n, l.rows * (size_t)l.V * sizeof *dz);
    if (!ds || !dz)
        return; /* the arena reported it */
    for (size_t r = 0; r < l.rows; r++) {
        const rw_real *G = n->grad + r * (size_t)l.V, *out = n->value.data + r * (size_t)l.V;
        const rw_real *pc = log_pc + r * (size_t)l.C;
        rw_real *dsr = ds + r * (size_t)l.C, *dzr = dz + r * (size_t)l.V;
        double total = 0;
        for (int w = 0; w < l.V; w++)
            total += (double)G[w];
        for (int c = 0; c < l.C; c++) {
            double gc = 0;
            for (int j = l.start[c]; j < l.start[c + 1]; j++)
                gc += (double)G[l.words[j]];
            dsr[c] = (rw_real)(gc - (double)RW_EXP(pc[c]) * total);
            for (int j = l.start[c]; j < l.start[c + 1]; j++) {
                int w = l.words[j];
                dzr[w] = (rw_real)((double)G[w] - (double)RW_EXP(out[w] - pc[c]) * gc);
            }
        }
    }
    class_logits_backward(n, &l, ds);
    dim_t H = l.H, V = l.V, rows = (dim_t)l.rows;
    if (hn->grad) /* dh += dZ W */
        rwi_gemm_split(rows, H, V, dz, V, 1, wn->value.data, H, 1, 1, hn->grad, H, 1);
    if (wn->grad) /* dW += dZ^T h */
        rwi_gemm_split(V, H, rows, dz, 1, V, hn->value.data, H, 1, 1, wn->grad, H, 1);
    for (size_t r = 0; bn->grad && r < l.rows; r++)
        for (int w = 0; w < l.V; w++)
            bn->grad[w] += dz[r * (size_t)l.V + (size_t)w];
}

static const rw_op_def log_probs_def = {
    .fills_output = true,
    .name = "hsm_log_probs", .arity = 8, .nondiff = 0xe0u, .shape = log_probs_shape,
    .scratch_bytes = log_probs_scratch_bytes, .forward = log_probs_forward, .backward = log_probs_backward,
    .doc = "hierarchical softmax: log P(w|h) [..., V] for every word w (class log-probability plus the "
           "word's log-probability within its class)" };

rw_node *rw_hsm_log_probs(rw_graph *g, rw_node *h, rw_node *class_w, rw_node *class_b, rw_node *word_w,
                          rw_node *word_b, const rw_hsm_classes *cls)
{
    if (!cls || !cls->class_of || !cls->words || !cls->start) {
        rw_error(RW_ERR_ARG, "rw_hsm_log_probs: no classes (build them with rw_hsm_classes_from_counts)");
        return NULL;
    }
    rw_node *in[8] = { h, class_w, class_b, word_w, word_b, rw_const(g, cls->class_of), rw_const(g, cls->words),
                       rw_const(g, cls->start) };
    return rw_apply(g, &log_probs_def, in, 8, NULL);
}

/* ---- the family, registered by ops/builtin.c ------------------------------ */

static const rw_op_def *const defs[] = { &loss_def, &log_probs_def };
const rw_op_family rwi_family_hsm = { "hsm", defs, sizeof defs / sizeof defs[0] };
