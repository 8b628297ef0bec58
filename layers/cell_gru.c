/* The GRU cell, lecture form (reset before the recurrent matmul) and the
 * reset-after form of cuDNN and PyTorch. */
#include "cell_util.h"
#include "rewind_internal/gate_probe.h"
#include "rewind/ops_norm.h"
#include "rewind/ops_shape.h"

static const rw_gru_opts *opts_of(const rw_cell *c) { return rw_cell_opts(c); }

static rw_status gru_declare(rw_cell *c, rw_rng *rng)
{
    const rw_gru_opts *o = opts_of(c);
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
    rw_init zeros = rw_init_of(RW_INIT_ZEROS, 0, 0), ones = rw_init_of(RW_INIT_CONST, 1, 0);
    RW_CELL_PARAM(c, "W", rw_shape2(3 * H, X), rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng);
    RW_CELL_PARAM(c, "b", rw_shape1(3 * H), zeros, rng);
    if (o->reset_after) {
        RW_CELL_PARAM(c, "U", rw_shape2(3 * H, H), rw_init_of(RW_INIT_ORTHOGONAL, 1, H), rng);
        RW_CELL_PARAM(c, "c", rw_shape1(3 * H), zeros, rng);
    } else {
        RW_CELL_PARAM(c, "U", rw_shape2(2 * H, H), rw_init_of(RW_INIT_ORTHOGONAL, 1, H), rng);
        RW_CELL_PARAM(c, "Un", rw_shape2(H, H), rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), rng);
    }
    if (o->layer_norm) {
        RW_CELL_PARAM(c, "ln_x.gain", rw_shape1(3 * H), ones, rng);
        RW_CELL_PARAM(c, "ln_h.gain", rw_shape1(o->reset_after ? 3 * H : 2 * H), ones, rng);
        if (!o->reset_after)
            RW_CELL_PARAM(c, "ln_n.gain", rw_shape1(H), ones, rng);
    }
    return RW_OK;
}

static rw_node *gru_project(rw_graph *g, const rw_cell *c, rw_node *xs)
{
    if (!opts_of(c)->layer_norm)
        return rw_cell_project_bias(g, c, xs, "W", "b");
    rw_node *xp = rw_layer_norm_gain(g, rw_cell_project_input(g, c, xs, "W"), rw_p(g, c, "ln_x.gain"));
    return rw_add(g, xp, rw_p(g, c, "b"));
}

static rw_node *ln(rw_graph *g, const rw_cell *c, rw_node *x, const char *gain)
{
    return opts_of(c)->layer_norm ? rw_layer_norm_gain(g, x, rw_p(g, c, gain)) : x;
}

/* r and z share one sigmoid over their 2H columns. */
static rw_node *gru_step(rw_graph *g, const rw_cell *c, rw_node *xp, rw_node **state)
{
    const rw_gru_opts *o = opts_of(c);
    int H = rw_cell_hidden(c);
    rw_node *h = state[0], *rz, *recurrent;
    if (o->reset_after) { /* hh = h U^T + c for all three blocks */
        rw_node *hh = o->layer_norm ? rw_add(g, ln(g, c, rw_cell_recur(g, c, h, "U"), "ln_h.gain"), rw_p(g, c, "c"))
                                    : rw_matmul_add(g, h, rw_p(g, c, "U"), rw_p(g, c, "c"), false, true);
        rz = rw_sigmoid(g, rw_add(g, rw_slice(g, xp, -1, 0, 2 * H), rw_slice(g, hh, -1, 0, 2 * H)));
        recurrent = rw_mul(g, rw_slice(g, rz, -1, 0, H), rw_slice(g, hh, -1, 2 * H, H));
    } else {
        rw_node *xrz = rw_slice(g, xp, -1, 0, 2 * H);
        rz = rw_sigmoid(g, o->layer_norm ? rw_add(g, xrz, ln(g, c, rw_cell_recur(g, c, h, "U"), "ln_h.gain"))
                                         : rw_cell_recur_add(g, c, h, "U", xrz));
        recurrent = ln(g, c, rw_cell_recur(g, c, rw_mul(g, rw_slice(g, rz, -1, 0, H), h), "Un"), "ln_n.gain");
    }
    rw_node *z = rw_slice(g, rz, -1, H, H);
    rw_node *n = rw_tanh(g, rw_add(g, rw_slice(g, xp, -1, 2 * H, H), recurrent));
    rwi_cell_note_gate(c, rz, 0, H, 0, "r", RWI_GATE_SIGMOID);
    rwi_cell_note_gate(c, rz, H, H, 1, "z", RWI_GATE_SIGMOID);
    rwi_cell_note_gate(c, n, 0, H, 2, "n", RWI_GATE_TANH);
    state[0] = rw_add(g, h, rw_mul(g, z, rw_sub(g, n, h))); /* (1 - z) h + z n */
    return state[0];
}

static const rw_cell_option gru_options[] = {
    RW_CELL_OPTION_BOOL(rw_gru_opts, reset_after, "reset after the recurrent matmul (cuDNN, PyTorch)"),
    RW_CELL_OPTION_BOOL(rw_gru_opts, layer_norm, "layer-normalize the gate projections"),
};

const rw_cell_def rw_gru_cell = {
    .name = "gru", .doc = "GRU, gates (r, z, n); lecture form or PyTorch's reset-after", .n_states = 1,
    .declare = gru_declare, .project = gru_project, .step = gru_step, .accepts_ids = true,
    .opts_size = sizeof(rw_gru_opts), .options = gru_options, .n_options = RW_COUNT_OPTIONS(gru_options),
};
