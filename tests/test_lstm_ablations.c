/* The LSTM's switches through YAML (the odyssey's ablations, F11, and full
 * gate recurrence, F10): each variant, named only by its key in a model
 * file, learns a task that needs memory -- output the token seen two steps
 * earlier -- and `forget_bias` reaches the forget gate's bias. */
#include <stdio.h>
#include <string.h>
#include "rw_test.h"

enum { V = 4, T = 10, B = 16, DELAY = 2 };

static rw_model *load(const char *options)
{
    char text[1024];
    snprintf(text, sizeof text,
             "format: rewind/1\n"
             "model:\n"
             "  layers:\n"
             "    - embedding: {size: 4}\n"
             "    - lstm: {size: 16, name: mem%s%s}\n"
             "    - linear: {size: vocab}\n"
             "  outputs: {next: {target: next}}\n"
             "train: {seed: 3, optimizer: {type: adam, lr: 0.03}}\n",
             options[0] ? ", " : "", options);
    rw_model *m = rw_model_load_string(text, "ablation.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_assert_not_null(m, "%s", rw_last_error());
    return m;
}

/* Trains on fresh batches; returns the mean loss of the last 20 steps. */
static double learn_delay(const char *options)
{
    rw_model *m = load(options);
    rw_optim *opt = rw_model_optim_new(m);
    cr_assert_not_null(opt, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(12);
    rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(T, B)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    rw_graph *g = rw_graph_new();
    double tail = 0;
    enum { STEPS = 300 };
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < T * B; i++)
            in->idata[i] = (int32_t)rw_rng_below(&rng, V);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                tgt->idata[t * B + b] = t < DELAY ? RW_PAD : in->idata[(t - DELAY) * B + b];
        rw_node *loss = rw_model_loss(g, m, &(rw_model_batch){ .inputs = in, .targets = tgt });
        cr_assert_not_null(loss, "%s: %s", options, rw_last_error());
        if (step >= STEPS - 20)
            tail += loss->value.data[0] / 20;
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        rw_clip_global_norm(rw_model_params(m), 5.0);
        rw_optim_step(opt);
        rw_graph_reset(g);
    }
    rw_graph_free(g);
    rw_tensor_free(in);
    rw_tensor_free(tgt);
    rw_optim_free(opt);
    rw_model_free(m);
    return tail;
}

Test(lstm_ablations, every_switch_learns_through_yaml, .timeout = 300)
{
    static const char *const variants[] = {
        "",                                   /* the standard LSTM */
        "input_gate: false",                  /* NIG */
        "forget_gate: false",                 /* NFG */
        "output_gate: false",                 /* NOG */
        "input_activation: none",             /* NIAF */
        "output_activation: none",            /* NOAF */
        "coupled_gates: true",                /* CIFG */
        "peephole: true",                     /* with peepholes (NP is the default) */
        "full_gate_recurrence: true",         /* FGR */
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        double loss = learn_delay(variants[i]);
        printf("lstm {%s}: loss %.4f after 300 steps (chance %.4f)\n", variants[i], loss, log((double)V));
        cr_expect_lt(loss, 0.25, "lstm {%s} did not learn the delay task: loss %g (chance %g)", variants[i], loss,
                     log((double)V));
    }
}

/* forget_bias is b_f's initial value: block 1 of b in the (i, f, g, o) layout, every other entry 0. */
Test(lstm_ablations, forget_bias_reaches_b_f)
{
    rw_model *m = load("forget_bias: 2.5");
    rw_param *b = rw_params_get(rw_model_params(m), "mem.l0.b");
    cr_assert_not_null(b, "the LSTM bias is named mem.l0.b");
    int H = 16;
    cr_assert_eq(b->value->size, (size_t)(4 * H));
    for (int j = 0; j < 4 * H; j++)
        cr_expect_eq(b->value->data[j], (rw_real)(j / H == 1 ? 2.5 : 0), "b[%d] = %g", j, b->value->data[j]);
    rw_model_free(m);
    /* without a forget gate there is no b_f to set */
    m = load("forget_gate: false, forget_bias: 2.5");
    b = rw_params_get(rw_model_params(m), "mem.l0.b");
    for (size_t j = 0; j < b->value->size; j++)
        cr_expect_eq(b->value->data[j], 0);
    rw_model_free(m);
}

Test(lstm_ablations, full_gate_recurrence_shapes_and_errors)
{
    rw_model *m = load("full_gate_recurrence: true");
    rw_param *R = rw_params_get(rw_model_params(m), "mem.l0.R");
    cr_assert_not_null(R, "full_gate_recurrence declares R");
    cr_expect(R->value->shape.dim[0] == 48 && R->value->shape.dim[1] == 48, "R is [3H, 3H]");
    rw_model_free(m);
    m = load("full_gate_recurrence: true, coupled_gates: true");
    R = rw_params_get(rw_model_params(m), "mem.l0.R");
    cr_expect(R->value->shape.dim[0] == 32, "coupled gates: i and o, R is [2H, 2H]");
    rw_model_free(m);
    cr_expect_null(rw_model_load_string("format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 4}\n"
                                        "    - lstm: {size: 4, full_gate_recurrence: true, input_gate: false,\n"
                                        "             forget_gate: false, output_gate: false}\n"
                                        "    - linear: {size: vocab}\n  outputs: {y: {target: next}}\n",
                                        "m.yaml", &(rw_model_load_opts){ .vocab_size = V }));
    cr_expect(strstr(rw_last_error(), "m.yaml:5:") && strstr(rw_last_error(), "at least one"), "%s", rw_last_error());
}
