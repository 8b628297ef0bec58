/* Gradient cases: softmax and log-softmax over the last axis. */
#include "rw_test.h"

static void matrix(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 5), -3, 3);
    d->n = 1;
}
static void seq(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -3, 3);
    d->n = 1;
}
static void vector(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape1(6), -3, 3);
    d->n = 1;
}
/* Large logits: the maximum subtracted keeps everything finite. */
static void shifted(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    for (size_t i = 0; i < d->in[0]->size; i++)
        d->in[0]->data[i] += 50;
    d->n = 1;
}

static rw_node *b_softmax(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_softmax(g, in[0]); }
static rw_node *b_log_softmax(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_log_softmax(g, in[0]); }

RWT_GRAD_CASES(softmax,
    { "softmax", "[N, C]", matrix, b_softmax, 0 },
    { "softmax", "[T, B, C]", seq, b_softmax, 0 },
    { "softmax", "1-D", vector, b_softmax, 0 },
    { "softmax", "logits around 50", shifted, b_softmax, 0 },
    { "log_softmax", "[N, C]", matrix, b_log_softmax, 0 },
    { "log_softmax", "[T, B, C]", seq, b_log_softmax, 0 },
    { "log_softmax", "1-D", vector, b_log_softmax, 0 },
    { "log_softmax", "logits around 50", shifted, b_log_softmax, 0 })
