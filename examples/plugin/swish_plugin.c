/* An example rewind plugin: a custom op ("plugin.swish", y = x sigmoid(x))
 * and a custom cell ("swish_elman", h_t = swish(x_t W^T + h_{t-1} U^T + b))
 * registered at start-up. Build it as a shared object (examples/CMakeLists.txt
 * does) and load it with
 *     rewind --plugin ./libswish_plugin.so train model.yaml
 * after which model files can name the cell ("- swish_elman: {size: 32}"). */
#include <math.h>
#include <rewind.h>

static void swish_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] / (1 + (rw_real)exp(-(double)x[i]));
}

static void swish_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    if (!n->in[0]->grad)
        return;
    for (size_t i = 0; i < n->value.size; i++) {
        rw_real s = 1 / (1 + (rw_real)exp(-(double)x[i]));
        n->in[0]->grad[i] += n->grad[i] * (s + x[i] * s * (1 - s));
    }
}

static rw_status swish_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (n->in[0]->value.dtype != RW_REAL)
        return rw_error(RW_ERR_SHAPE, "op 'plugin.swish': needs a real input");
    *out = n->in[0]->value.shape;
    *dt = RW_REAL;
    return RW_OK;
}

static const rw_op_def swish_def = { .name = "plugin.swish", .arity = 1, .shape = swish_shape,
                                     .forward = swish_forward, .backward = swish_backward,
                                     .doc = "x * sigmoid(x) (from the example plugin)" };

static rw_status cell_declare(rw_cell *c, rw_rng *rng)
{
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
    if (!rw_cell_param(c, "W", rw_shape2(H, X), rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng) ||
        !rw_cell_param(c, "U", rw_shape2(H, H), rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), rng) ||
        !rw_cell_param(c, "b", rw_shape1(H), rw_init_of(RW_INIT_ZEROS, 0, 0), rng))
        return rw_last_status();
    return RW_OK;
}

static rw_node *cell_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state)
{
    rw_node *a = rw_add(g, rw_add(g, rw_matmul_ex(g, x, rw_p(g, c, "W"), false, true),
                                  rw_matmul_ex(g, state[0], rw_p(g, c, "U"), false, true)),
                        rw_p(g, c, "b"));
    rw_node *in[1] = { a };
    state[0] = rw_apply(g, &swish_def, in, 1, NULL);
    return state[0];
}

static const rw_cell_def swish_elman = { .name = "swish_elman", .doc = "Elman cell with a swish activation (plugin)",
                                         .n_states = 1, .declare = cell_declare, .step = cell_step };

/* The entry point rewind looks for: 0 on success. */
int rewind_plugin_init(void)
{
    if (rw_op_register(&swish_def) != RW_OK || rw_cell_register(&swish_elman) != RW_OK)
        return 1;
    return 0;
}
