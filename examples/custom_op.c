/* custom_op: defining a new op outside the library, written only against
 * rewind's public API.
 *
 * 1. Defines "my.swish", y = x * sigmoid(x), as one rw_op_def record and
 *    registers it with rw_op_register.
 * 2. Checks its backward against finite differences with rw_gradcheck.
 * 3. Trains a one-hidden-layer swish network to fit y = sin(2x) on [-2, 2]
 *    with plain gradient descent written here.
 * Exits 0 only if the gradient check passes and the final loss is at least
 * 20 times lower than the initial one. See docs/custom-ops.md. */
#include <math.h>
#include <stdio.h>
#include <rewind.h>

/* ---- the op -------------------------------------------------------------- */

static rw_real sigmoid(rw_real x) { return (rw_real)(1 / (1 + exp(-(double)x))); }

/* Forward: read the input's value, write our own. */
static void swish_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] * sigmoid(x[i]);
}

/* Backward: ADD dy * dy/dx into the input's gradient. The tape only calls
 * this when the input wants a gradient (its grad is not NULL). */
static void swish_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++) {
        rw_real s = sigmoid(x[i]);
        n->in[0]->grad[i] += n->grad[i] * (s + x[i] * s * (1 - s));
    }
}

static const rw_op_def swish_def = {
    .name = "my.swish", .arity = 1,
    .shape = rw_shape_same_as_input, /* one real input; the output has its shape */
    .forward = swish_forward, .backward = swish_backward,
    .doc = "x * sigmoid(x)",
};

static rw_node *swish(rw_graph *g, rw_node *x) { return rw_apply(g, &swish_def, &x, 1, NULL); }

/* ---- its gradient check ---------------------------------------------------- */

static rw_node *swish_of_input(rw_graph *g, rw_node *const *in, void *ctx)
{
    (void)ctx;
    return swish(g, in[0]);
}

static int check_gradient(void)
{
    rw_rng rng = rw_rng_seed(7);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(4, 5));
    if (!x)
        return 0;
    rw_rng_fill_uniform(&rng, x, -4, 4);
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(swish_of_input, NULL, &x, 1, NULL, NULL, &rep);
    printf("gradient check of my.swish: %zu elements, worst error %.3g at %s\n", rep.checked, rep.worst_error,
           rep.where);
    if (st != RW_OK)
        fprintf(stderr, "custom_op: %s\n", rw_last_error());
    rw_tensor_free(x);
    return st == RW_OK;
}

/* ---- a small model that uses it -------------------------------------------- */

#define POINTS 64
#define HIDDEN 24
#define STEPS 2000
#define LEARNING_RATE 0.05
#define REQUIRED_FACTOR 20.0

/* Mean squared error of the network's prediction on the whole batch. */
static rw_node *loss_of(rw_graph *g, rw_params *P, const rw_tensor *x, const rw_tensor *y)
{
    rw_node *h = swish(g, rw_add(g, rw_matmul(g, rw_const(g, x), rw_param_node(g, rw_params_get(P, "W1"))),
                                 rw_param_node(g, rw_params_get(P, "b1"))));
    rw_node *pred = rw_add(g, rw_matmul(g, h, rw_param_node(g, rw_params_get(P, "W2"))),
                           rw_param_node(g, rw_params_get(P, "b2")));
    rw_node *err = rw_sub(g, pred, rw_const(g, y));
    return rw_mean(g, rw_mul(g, err, err));
}

static int train(void)
{
    rw_rng rng = rw_rng_seed(2026);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(POINTS, 1)), *y = rw_tensor_new(RW_REAL, rw_shape2(POINTS, 1));
    rw_params *P = rw_params_new();
    rw_param *W1 = rw_params_add(P, "W1", rw_shape2(1, HIDDEN));
    rw_param *b1 = rw_params_add(P, "b1", rw_shape1(HIDDEN));
    rw_param *W2 = rw_params_add(P, "W2", rw_shape2(HIDDEN, 1));
    rw_param *b2 = rw_params_add(P, "b2", rw_shape1(1));
    rw_graph *g = rw_graph_new();
    if (!x || !y || !W1 || !b1 || !W2 || !b2 || !g) {
        fprintf(stderr, "custom_op: %s\n", rw_last_error());
        return 0;
    }
    for (int i = 0; i < POINTS; i++) {
        double t = -2 + 4.0 * i / (POINTS - 1);
        x->data[i] = (rw_real)t;
        y->data[i] = (rw_real)sin(2 * t);
    }
    rw_rng_fill_normal(&rng, W1->value, 0, 1.5);
    rw_rng_fill_uniform(&rng, b1->value, -2, 2);
    rw_rng_fill_normal(&rng, W2->value, 0, 1 / sqrt(HIDDEN));

    double first = 0, last = 0;
    for (int step = 0; step <= STEPS; step++) {
        rw_node *loss = loss_of(g, P, x, y);
        rw_params_zero_grad(P);
        if (!loss || rw_backward(g, loss) != RW_OK) {
            fprintf(stderr, "custom_op: %s\n", rw_last_error());
            return 0;
        }
        last = rw_scalar(loss);
        if (step == 0)
            first = last;
        if (step % 500 == 0)
            printf("step %4d  loss %.5f\n", step, last);
        /* Plain gradient descent: every parameter moves against its gradient. */
        for (int i = 0; i < rw_params_count(P); i++) {
            rw_param *p = rw_params_at(P, i);
            for (size_t k = 0; k < p->value->size; k++)
                p->value->data[k] -= (rw_real)LEARNING_RATE * p->grad->data[k];
        }
        rw_graph_reset(g);
    }
    int ok = last * REQUIRED_FACTOR < first;
    printf("loss %.5f -> %.5f (%.1fx lower; required: %.0fx)\n", first, last, first / last, REQUIRED_FACTOR);
    rw_graph_free(g);
    rw_params_free(P);
    rw_tensor_free(x);
    rw_tensor_free(y);
    return ok;
}

int main(void)
{
    if (rw_op_register(&swish_def) != RW_OK) {
        fprintf(stderr, "custom_op: %s\n", rw_last_error());
        return 1;
    }
    /* Registered ops are found by name, like the built-ins. */
    if (rw_op_find("my.swish") != &swish_def)
        return 1;
    int grad_ok = check_gradient();
    int trained = train();
    printf("%s\n", grad_ok && trained ? "ok" : "FAILED");
    return grad_ok && trained ? 0 : 1;
}
