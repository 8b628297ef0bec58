/* Gradient cases: the hierarchical softmax ops, over h and all four
 * parameter tensors, with uneven classes and padding. The class layout is
 * fixed per case (a static assignment; the checker perturbs only reals). */
#include "rw_test.h"

enum { H = 3, V = 7 };

/* Three classes of sizes 3, 1 and 3 (word 4 alone in class 1). */
static const int32_t class_of[V] = { 2, 0, 2, 0, 1, 0, 2 };

static const rw_hsm_classes *classes(int n_classes)
{
    static rw_hsm_classes three, one;
    static const int32_t all_zero[V] = { 0 };
    rw_hsm_classes *c = n_classes == 1 ? &one : &three;
    if (!c->class_of)
        rw_hsm_classes_from_assignment(c, n_classes == 1 ? all_zero : class_of, V, n_classes);
    return c;
}

static void params(rw_rng *r, rwt_grad_data *d, int C, rw_shape hs)
{
    d->in[0] = rwt_uniform(r, hs, -1.5, 1.5);
    d->in[1] = rwt_uniform(r, rw_shape2(C, H), -1, 1);
    d->in[2] = rwt_uniform(r, rw_shape1(C), -0.5, 0.5);
    d->in[3] = rwt_uniform(r, rw_shape2(V, H), -1, 1);
    d->in[4] = rwt_uniform(r, rw_shape1(V), -0.5, 0.5);
    d->attr[0] = C;
}

static void loss_rows(rw_rng *r, rwt_grad_data *d)
{
    params(r, d, 3, rw_shape2(6, H));
    d->in[5] = rw_tensor_from_ints(rw_shape1(6), (int32_t[]){ 4, 0, 6, 1, 3, 4 });
    d->n = 6;
}
static void loss_seq_padded(rw_rng *r, rwt_grad_data *d)
{
    params(r, d, 3, rw_shape3(3, 2, H));
    d->in[5] = rw_tensor_from_ints(rw_shape2(3, 2), (int32_t[]){ 2, 5, -1, 4, 0, -1 });
    d->n = 6;
}
static void loss_one_class(rw_rng *r, rwt_grad_data *d)
{
    params(r, d, 1, rw_shape2(4, H));
    d->in[5] = rw_tensor_from_ints(rw_shape1(4), (int32_t[]){ 6, 0, 3, 3 });
    d->n = 6;
}
static rw_node *b_loss(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_hsm_loss(g, in[0], in[1], in[2], in[3], in[4], in[5], classes((int)d->attr[0]));
}

/* log P over all words, weighted by a fixed random matrix so every output matters differently. */
static void log_probs(rw_rng *r, rwt_grad_data *d)
{
    params(r, d, 3, rw_shape2(2, H));
    d->aux[0] = rwt_uniform(r, rw_shape2(2, V), -1, 1);
    d->n = 5;
}
static rw_node *b_log_probs(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    rw_node *lp = rw_hsm_log_probs(g, in[0], in[1], in[2], in[3], in[4], classes((int)d->attr[0]));
    return rw_sum(g, rw_mul(g, lp, rw_const(g, d->aux[0])));
}

RWT_GRAD_CASES(hsm,
    { "hsm_loss", "[N, H], three uneven classes", loss_rows, b_loss, 0 },
    { "hsm_loss", "[T, B, H] with padding", loss_seq_padded, b_loss, 0 },
    { "hsm_loss", "one class", loss_one_class, b_loss, 0 },
    { "hsm_log_probs", "[N, H], three uneven classes", log_probs, b_log_probs, 0 })
