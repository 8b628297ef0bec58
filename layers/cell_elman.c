/* Elman (and IRNN) and Jordan cells. */
#include "cell_util.h"

static const char *const activations[] = RW_ACTIVATION_NAMES;

static bool is_irnn(const rw_cell *c) { return rw_cell_definition(c) == &rw_irnn_cell; }

static rw_status elman_declare(rw_cell *c, rw_rng *rng)
{
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
    bool irnn = is_irnn(c);
    RW_CELL_PARAM(c, "W", rw_shape2(H, X), irnn ? rw_init_of(RW_INIT_NORMAL, 0, 0.001)
                                                : rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng);
    RW_CELL_PARAM(c, "U", rw_shape2(H, H), irnn ? rw_init_of(RW_INIT_IDENTITY, 0, 0) : rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), rng);
    RW_CELL_PARAM(c, "b", rw_shape1(H), rw_init_of(RW_INIT_ZEROS, 0, 0), rng);
    return RW_OK;
}

static rw_node *elman_project(rw_graph *g, const rw_cell *c, rw_node *xs)
{
    return rw_cell_project_bias(g, c, xs, "W", "b");
}

static rw_node *elman_step(rw_graph *g, const rw_cell *c, rw_node *xp, rw_node **state)
{
    rw_activation a = is_irnn(c) ? RW_ACT_RELU : ((const rw_elman_opts *)rw_cell_opts(c))->activation;
    state[0] = rw_activate(g, rw_cell_recur_add(g, c, state[0], "U", xp), a);
    return state[0];
}

static const rw_elman_opts elman_defaults = { .activation = RW_ACT_TANH };
static const rw_cell_option elman_options[] = {
    RW_CELL_OPTION_ENUM(rw_elman_opts, activation, activations, "f in h = f(x W^T + h U^T + b)"),
};

const rw_cell_def rw_elman_cell = {
    .name = "elman", .doc = "Elman: h = f(x W^T + h_prev U^T + b)", .n_states = 1,
    .declare = elman_declare, .project = elman_project, .step = elman_step, .accepts_ids = true,
    .opts_size = sizeof(rw_elman_opts), .opts_defaults = &elman_defaults,
    .options = elman_options, .n_options = RW_COUNT_OPTIONS(elman_options),
};

const rw_cell_def rw_irnn_cell = {
    .name = "irnn", .doc = "IRNN: Elman with ReLU, U = identity and W ~ N(0, 0.001) (Le et al. 2015)",
    .n_states = 1, .declare = elman_declare, .project = elman_project, .step = elman_step, .accepts_ids = true,
};

/* ---- Jordan ------------------------------------------------------------ */

/* The Elman recurrence too: the elman_jordan cell, which carries h as well. */
static bool both(const rw_cell *c) { return rw_cell_definition(c)->n_states == 2; }

static const rw_jordan_opts *jordan_opts(const rw_cell *c) { return rw_cell_opts(c); }

static int jordan_output_size(const rw_cell *c)
{
    int o = jordan_opts(c)->output_size;
    return o > 0 ? o : rw_cell_hidden(c);
}

/* State 0 is the previous output o; state 1 the hidden h (elman_jordan). */
static int jordan_state_size(const rw_cell *c, int i) { return i == 0 ? jordan_output_size(c) : rw_cell_hidden(c); }

static rw_status jordan_declare(rw_cell *c, rw_rng *rng)
{
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c), O = jordan_output_size(c);
    rw_init glorot = rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), zeros = rw_init_of(RW_INIT_ZEROS, 0, 0);
    RW_CELL_PARAM(c, "W", rw_shape2(H, X), glorot, rng);
    RW_CELL_PARAM(c, "R", rw_shape2(H, O), glorot, rng);
    RW_CELL_PARAM(c, "b", rw_shape1(H), zeros, rng);
    RW_CELL_PARAM(c, "V", rw_shape2(O, H), glorot, rng);
    RW_CELL_PARAM(c, "c", rw_shape1(O), zeros, rng);
    if (both(c))
        RW_CELL_PARAM(c, "U", rw_shape2(H, H), rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), rng);
    return RW_OK;
}

static rw_node *jordan_step(rw_graph *g, const rw_cell *c, rw_node *xp, rw_node **state)
{
    const rw_jordan_opts *o = jordan_opts(c);
    rw_node *a = rw_cell_recur_add(g, c, state[0], "R", xp);
    if (both(c))
        a = rw_cell_recur_add(g, c, state[1], "U", a);
    rw_node *h = rw_activate(g, a, o->activation);
    rw_node *out = rw_activate(g, rw_matmul_add(g, h, rw_p(g, c, "V"), rw_p(g, c, "c"), false, true), o->output_activation);
    state[0] = out;
    if (both(c))
        state[1] = h;
    return out;
}

static const rw_jordan_opts jordan_defaults = { .output_size = 0, .activation = RW_ACT_TANH,
                                                .output_activation = RW_ACT_TANH };
static const rw_cell_option jordan_options[] = {
    RW_CELL_OPTION_INT(rw_jordan_opts, output_size, 0, 1 << 24, "O, the width of the output o (0: the hidden size)"),
    RW_CELL_OPTION_ENUM(rw_jordan_opts, activation, activations, "f in h = f(x W^T + o_prev R^T + b)"),
    RW_CELL_OPTION_ENUM(rw_jordan_opts, output_activation, activations, "g in o = g(h V^T + c)"),
};

const rw_cell_def rw_jordan_cell = {
    .name = "jordan", .doc = "Jordan: the recurrence reads the previous output o", .n_states = 1,
    .declare = jordan_declare, .state_size = jordan_state_size, .output_size = jordan_output_size,
    .project = elman_project, .step = jordan_step, .accepts_ids = true,
    .opts_size = sizeof(rw_jordan_opts), .opts_defaults = &jordan_defaults, .options = jordan_options, .n_options = RW_COUNT_OPTIONS(jordan_options),
};

const rw_cell_def rw_elman_jordan_cell = {
    .name = "elman_jordan", .doc = "Elman and Jordan at once: h also reads h_prev U^T", .n_states = 2,
    .declare = jordan_declare, .state_size = jordan_state_size, .output_size = jordan_output_size,
    .project = elman_project, .step = jordan_step, .accepts_ids = true,
    .opts_size = sizeof(rw_jordan_opts), .opts_defaults = &jordan_defaults, .options = jordan_options, .n_options = RW_COUNT_OPTIONS(jordan_options),
};
