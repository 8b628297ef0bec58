/* The LSTM cell and its variants, composed of ordinary ops. */
#include "cell_util.h"
#include "rewind_internal/gate_probe.h"
#include "rewind/ops_norm.h"
#include "rewind/ops_shape.h"

static const rw_lstm_opts *opts_of(const rw_cell *c) { return rw_cell_opts(c); }

/* Which gates are computed, and where each sits in the fused [G*H] rows. */
typedef struct gates {
    int i, f, g, o;  /* block index, or -1 when the gate is absent */
    int count;
} gates;

static gates layout(const rw_lstm_opts *o)
{
    gates k = { -1, -1, -1, -1, 0 };
    if (o->input_gate)
        k.i = k.count++;
    if (o->forget_gate && !o->coupled_gates)
        k.f = k.count++;
    k.g = k.count++;
    if (o->output_gate)
        k.o = k.count++;
    return k;
}

/* The sigmoid gates present (i, f, o), for full gate recurrence. */
static int sigmoid_gates(gates k) { return (k.i >= 0) + (k.f >= 0) + (k.o >= 0); }

/* State 1 is c, or [c, previous gates] with full gate recurrence. */
static int lstm_state_size(const rw_cell *c, int i)
{
    const rw_lstm_opts *o = opts_of(c);
    int H = rw_cell_hidden(c);
    return i == 1 && o->full_gate_recurrence ? (1 + sigmoid_gates(layout(o))) * H : H;
}

static rw_status lstm_declare(rw_cell *c, rw_rng *rng)
{
    const rw_lstm_opts *o = opts_of(c);
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
    gates k = layout(o);
    int G = k.count * H;
    rw_init zeros = rw_init_of(RW_INIT_ZEROS, 0, 0), ones = rw_init_of(RW_INIT_CONST, 1, 0);
    RW_CELL_PARAM(c, "W", rw_shape2(G, X), rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng);
    RW_CELL_PARAM(c, "U", rw_shape2(G, H), rw_init_of(RW_INIT_ORTHOGONAL, 1, H), rng); /* per gate block */
    rw_param *b = rw_cell_param(c, "b", rw_shape1(G), zeros, rng);
    if (!b)
        return rw_last_status();
    if (k.f >= 0) /* a large forget bias keeps memory open at the start (Gers 2000, Jozefowicz 2015) */
        for (int j = 0; j < H; j++)
            b->value->data[k.f * H + j] = (rw_real)o->forget_bias;
    if (o->peephole) {
        if (k.i >= 0)
            RW_CELL_PARAM(c, "p_i", rw_shape1(H), zeros, rng);
        if (k.f >= 0)
            RW_CELL_PARAM(c, "p_f", rw_shape1(H), zeros, rng);
        if (k.o >= 0)
            RW_CELL_PARAM(c, "p_o", rw_shape1(H), zeros, rng);
    }
    if (o->full_gate_recurrence) {
        int S = sigmoid_gates(k) * H;
        RW_CELL_PARAM(c, "R", rw_shape2(S, S), rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng);
    }
    if (o->layer_norm) {
        RW_CELL_PARAM(c, "ln_x.gain", rw_shape1(G), ones, rng);
        RW_CELL_PARAM(c, "ln_h.gain", rw_shape1(G), ones, rng);
        RW_CELL_PARAM(c, "ln_c.gain", rw_shape1(H), ones, rng);
        RW_CELL_PARAM(c, "ln_c.bias", rw_shape1(H), zeros, rng);
    }
    return RW_OK;
}

/* All steps' input projections in one GEMM; with layer norm the bias is
 * added after normalization (in the step), so it is not normalized away. */
static rw_node *lstm_project(rw_graph *g, const rw_cell *c, rw_node *xs)
{
    if (opts_of(c)->layer_norm)
        return rw_layer_norm_gain(g, rw_cell_project_input(g, c, xs, "W"), rw_p(g, c, "ln_x.gain"));
    return rw_cell_project_bias(g, c, xs, "W", "b");
}

static rw_node *gate(rw_graph *g, rw_node *pre, int block, int H)
{
    return rw_slice(g, pre, -1, block * H, H);
}

static rw_node *peep(rw_graph *g, const rw_cell *c, rw_node *a, const char *p, rw_node *cell)
{
    return opts_of(c)->peephole ? rw_add(g, a, rw_mul(g, rw_p(g, c, p), cell)) : a;
}

/* a + the gate's block of the previous gates' contribution (none without FGR) */
static rw_node *from_gates(rw_graph *g, rw_node *a, rw_node *fgr, int block, int H)
{
    return fgr ? rw_add(g, a, rw_slice(g, fgr, -1, block * H, H)) : a;
}

static rw_node *lstm_step(rw_graph *g, const rw_cell *c, rw_node *xp, rw_node **state)
{
    const rw_lstm_opts *o = opts_of(c);
    gates k = layout(o);
    int H = rw_cell_hidden(c);
    rw_node *h_prev = state[0], *c_prev = state[1], *fgr = NULL;
    if (o->full_gate_recurrence) { /* the previous gates' part of each sigmoid gate's pre-activation */
        int S = sigmoid_gates(k) * H;
        c_prev = rw_slice(g, state[1], -1, 0, H);
        fgr = rw_matmul_ex(g, rw_slice(g, state[1], -1, H, S), rw_p(g, c, "R"), false, true);
    }
    rw_node *pre;
    if (o->layer_norm)
        pre = rw_add(g, rw_add(g, xp, rw_layer_norm_gain(g, rw_cell_recur(g, c, h_prev, "U"), rw_p(g, c, "ln_h.gain"))),
                     rw_p(g, c, "b"));
    else
        pre = rw_cell_recur_add(g, c, h_prev, "U", xp);

    int s = 0; /* the next sigmoid gate's block in fgr */
    rw_node *i = k.i >= 0 ? rw_sigmoid(g, peep(g, c, from_gates(g, gate(g, pre, k.i, H), fgr, s++, H), "p_i", c_prev))
                          : NULL;
    rw_node *f = k.f >= 0 ? rw_sigmoid(g, peep(g, c, from_gates(g, gate(g, pre, k.f, H), fgr, s++, H), "p_f", c_prev))
                          : NULL;
    rw_node *cand = gate(g, pre, k.g, H);
    if (o->input_activation != RW_ACT_NONE) {
        cand = rw_tanh(g, cand);
        rwi_cell_note_gate(c, cand, 0, H, 2, "g", RWI_GATE_TANH);
    }
    rwi_cell_note_gate(c, i, 0, H, 0, "i", RWI_GATE_SIGMOID);
    rwi_cell_note_gate(c, f, 0, H, 1, "f", RWI_GATE_SIGMOID);

    rw_node *in = i ? rw_mul(g, i, cand) : cand;   /* what is written */
    rw_node *cell;
    if (o->coupled_gates) /* f = 1 - i: c = c_prev + i (g - c_prev) */
        cell = rw_add(g, c_prev, rw_mul(g, i, rw_sub(g, cand, c_prev)));
    else if (f)
        cell = rw_add(g, rw_mul(g, f, c_prev), in);
    else                 /* no forget gate: the 1997 LSTM's constant error carousel */
        cell = rw_add(g, c_prev, in);

    rw_node *shown = o->layer_norm ? rw_layer_norm_affine(g, cell, rw_p(g, c, "ln_c.gain"), rw_p(g, c, "ln_c.bias")) : cell;
    if (o->output_activation != RW_ACT_NONE)
        shown = rw_tanh(g, shown);
    rw_node *h = shown, *og = NULL;
    if (k.o >= 0) {
        og = rw_sigmoid(g, peep(g, c, from_gates(g, gate(g, pre, k.o, H), fgr, s, H), "p_o", cell));
        h = rw_mul(g, og, shown);
        rwi_cell_note_gate(c, og, 0, H, 3, "o", RWI_GATE_SIGMOID);
    }
    state[0] = h;
    state[1] = cell;
    if (fgr) {
        rw_node *parts[4] = { cell }, *present[3] = { i, f, og };
        int n = 1;
        for (int j = 0; j < 3; j++)
            if (present[j])
                parts[n++] = present[j];
        state[1] = rw_concat(g, parts, n, -1);
    }
    return h;
}

/* coupled_gates computes f from i, so both must be there. */
static rw_status lstm_check(const void *opts, const char **blame)
{
    const rw_lstm_opts *o = opts;
    if (o->full_gate_recurrence && sigmoid_gates(layout(o)) == 0) {
        *blame = "full_gate_recurrence";
        return rw_error(RW_ERR_ARG, "full_gate_recurrence needs at least one of the input, forget and output gates");
    }
    if (!o->coupled_gates || (o->input_gate && o->forget_gate))
        return RW_OK;
    *blame = "coupled_gates";
    return rw_error(RW_ERR_ARG, "coupled_gates (f = 1 - i) needs both the input and the forget gate");
}

static const rw_lstm_opts lstm_defaults = RW_LSTM_DEFAULTS;
static const char *const tanh_or_none[] = { [RW_ACT_TANH] = "tanh", [RW_ACT_NONE] = "none" };
static const rw_cell_option lstm_options[] = {
    RW_CELL_OPTION_REAL(rw_lstm_opts, forget_bias, -1e3, 1e3, "initial bias of the forget gate"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, layer_norm, "layer-normalize the gate projections and the cell"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, peephole, "gates also read the cell (p_i, p_f, p_o)"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, coupled_gates, "f = 1 - i (CIFG)"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, input_gate, "false fixes i at 1"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, forget_gate, "false fixes f at 1 (the 1997 LSTM)"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, output_gate, "false fixes o at 1"),
    RW_CELL_OPTION_ENUM(rw_lstm_opts, input_activation, tanh_or_none, "of the candidate g"),
    RW_CELL_OPTION_ENUM(rw_lstm_opts, output_activation, tanh_or_none, "of the cell before the output gate"),
    RW_CELL_OPTION_BOOL(rw_lstm_opts, full_gate_recurrence, "gates also read the previous gates (R; state 1 is [c, gates])"),
};

const rw_cell_def rw_lstm_cell = {
    .name = "lstm", .doc = "LSTM, gates (i, f, g, o) as PyTorch, with the odyssey's variants", .n_states = 2,
    .declare = lstm_declare, .state_size = lstm_state_size, .project = lstm_project, .step = lstm_step, .accepts_ids = true,
    .opts_size = sizeof(rw_lstm_opts), .opts_defaults = &lstm_defaults,
    .options = lstm_options, .n_options = RW_COUNT_OPTIONS(lstm_options), .check = lstm_check,
};
