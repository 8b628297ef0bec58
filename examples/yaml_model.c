/* yaml_model: a C program that registers its own op, loads a YAML model
 * whose recurrent cell uses that op, checks the model's gradients, and
 * trains it with the library's training loop.
 *
 *   yaml_model [MODEL.yaml]      (default: examples/user_op_model.yaml) */
#include <math.h>
#include <stdio.h>
#include <rewind.h>

/* my.softsign: y = x / (1 + |x|), dy/dx = 1 / (1 + |x|)^2 */
static void softsign_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] / (1 + fabs(x[i]));
}

static void softsign_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++) {
        rw_real d = 1 + fabs(x[i]);
        n->in[0]->grad[i] += n->grad[i] / (d * d);
    }
}

static const rw_op_def softsign = {
    .name = "my.softsign", .arity = 1, .shape = rw_shape_same_as_input,
    .forward = softsign_forward, .backward = softsign_backward, .doc = "x / (1 + |x|)" };

/* The model's loss on one fixed batch, for the gradient check. */
typedef struct fixed {
    rw_model *m;
    rw_model_batch b;
} fixed;

static rw_node *fixed_loss(rw_graph *g, rw_node *const *in, void *ctx)
{
    (void)in;
    fixed *f = ctx;
    return rw_model_loss(g, f->m, &f->b);
}

static void report(const rw_train_progress *p, void *ctx)
{
    (void)ctx;
    if (p->step % 25 == 0)
        printf("step %4ld  loss %.3f\n", p->step, p->loss);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/user_op_model.yaml";
    if (rw_op_register(&softsign) != RW_OK) { /* first: the model file names it */
        fprintf(stderr, "yaml_model: %s\n", rw_last_error());
        return 1;
    }
    rw_model *m = rw_model_load(path, NULL);
    if (!m) {
        fprintf(stderr, "%s\n", rw_last_error()); /* file:line:column: error: ... */
        return 1;
    }
    rw_model_print_summary(stdout, m);

    /* Gradient check of the whole model, through the user op, on one batch. */
    rw_rng rng = rw_rng_seed(3);
    int V = rw_model_vocab_size(m);
    rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(8, 2)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(8, 2));
    for (size_t i = 0; i < in->size; i++) {
        in->idata[i] = (int32_t)rw_rng_below(&rng, (uint32_t)V);
        tgt->idata[i] = (int32_t)rw_rng_below(&rng, (uint32_t)V);
    }
    fixed f = { m, { .inputs = in, .targets = tgt } };
    rw_gradcheck_report rep;
    rw_gradcheck_opts gopts = { .max_per_tensor = 20 };
#ifndef RW_DOUBLE
    gopts.eps = 3e-3; /* float: loose, tight in the double build */
    gopts.tol = 0.1;
#endif
    rw_status st = rw_gradcheck(fixed_loss, &f, NULL, 0, rw_model_params(m), &gopts, &rep);
    printf("gradient check: %zu elements, worst error %.2e at %s\n", rep.checked, rep.worst_error, rep.where);
    rw_tensor_free(in);
    rw_tensor_free(tgt);
    if (st != RW_OK) {
        fprintf(stderr, "yaml_model: %s\n", rw_last_error());
        rw_model_free(m);
        return 1;
    }

    /* Training, with the settings of the file's train: section. */
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    rw_train_result res;
    if (!opt || rw_model_train_opts(m, &o) != RW_OK) {
        fprintf(stderr, "yaml_model: %s\n", rw_last_error());
        return 1;
    }
    o.progress = report;
    rw_train_source train = rw_model_source(m, RW_SPLIT_TRAIN, NULL);
    st = rw_train(rw_model_params(m), opt, train, rw_model_loss_fn, m, &o, &res);
    if (st != RW_OK) {
        fprintf(stderr, "yaml_model: %s\n", rw_last_error());
        return 1;
    }
    double uniform = log((double)V);
    printf("trained %ld steps: loss %.3f (a uniform guess over %d characters: %.3f)\n", res.steps, res.last_loss, V,
           uniform);
    rw_optim_free(opt);
    rw_model_free(m);
    return res.last_loss < uniform - 1.0 ? 0 : 1;
}
