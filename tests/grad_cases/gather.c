/* Gradient cases: gather (embedding lookup), with repeated ids. */
#include "rw_test.h"

static void repeated(rw_rng *r, rwt_grad_data *d) /* table [5, 3], ids [2, 4] */
{
    static const int32_t ids[8] = { 1, 4, 1, 0, 4, 4, 2, 1 };
    d->in[0] = rwt_uniform(r, rw_shape2(5, 3), -2, 2);
    d->in[1] = rw_tensor_from_ints(rw_shape2(2, 4), ids);
    d->n = 2;
}
static void one_id(rw_rng *r, rwt_grad_data *d) /* scalar id -> one row [E] */
{
    int32_t id = 2;
    d->in[0] = rwt_uniform(r, rw_shape2(4, 3), -2, 2);
    d->in[1] = rw_tensor_from_ints(rw_shape_scalar(), &id);
    d->n = 2;
}
static void seq(rw_rng *r, rwt_grad_data *d) /* ids [T, B] -> [T, B, E], random (with repeats) */
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 2), -2, 2);
    d->in[1] = rwt_ints(r, rw_shape2(4, 3), 0, 3);
    d->n = 2;
}
static rw_node *b_gather(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_gather(g, in[0], in[1]); }
/* Embeddings through a nonlinearity, so the table gradient depends on the rows. */
static rw_node *b_gather_tanh(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *e = rw_gather(g, in[0], in[1]);
    return rw_mul(g, rw_tanh(g, e), e);
}

RWT_GRAD_CASES(gather,
    { "gather", "repeated ids [2, 4]", repeated, b_gather, 0 },
    { "gather", "scalar id", one_id, b_gather, 0 },
    { "gather", "[T, B] ids through tanh(e) * e", seq, b_gather_tanh, 0 })
