/* The regularizers through YAML: every key of a recurrent layer's
 * `dropout:` and of the `regularize:` section reaches the training loss
 * (and nothing reaches the evaluation loss), and bad values are errors at
 * their key. */
#include <stdio.h>
#include <string.h>
#include "rw_test.h"

enum { V = 6, T = 7, B = 3 };

static rw_model *load(const char *layers, const char *regularize)
{
    char text[2048];
    snprintf(text, sizeof text,
             "format: rewind/1\n"
             "model:\n"
             "  layers:\n"
             "    - embedding: {size: 4}\n"
             "%s"
             "    - linear: {size: vocab}\n"
             "  outputs: {next: {target: next}}\n"
             "%s",
             layers, regularize);
    rw_model *m = rw_model_load_string(text, "m.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_assert_not_null(m, "%s\n%s", text, rw_last_error());
    return m;
}

/* The loss of one fixed padded batch, in training or evaluation mode. */
static double loss_of(rw_model *m, bool training)
{
    static const int32_t lens[B] = { 7, 4, 2 };
    rw_rng rng = rw_rng_seed(3);
    rw_tensor *in = rwt_ints(&rng, rw_shape2(T, B), 0, V), *tgt = rwt_ints(&rng, rw_shape2(T, B), 0, V);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= lens[b])
                in->idata[t * B + b] = tgt->idata[t * B + b] = RW_PAD;
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, training);
    rw_node *loss = rw_model_loss(g, m, &(rw_model_batch){ .inputs = in, .targets = tgt });
    cr_assert_not_null(loss, "%s", rw_last_error());
    double v = loss->value.data[0];
    rw_graph_free(g);
    rw_tensor_free(in);
    rw_tensor_free(tgt);
    return v;
}

/* training loss minus the unregularized one, for `regularize` over `layers` */
static double extra(const char *layers, const char *regularize)
{
    rw_model *plain = load(layers, ""), *reg = load(layers, regularize);
    double d = loss_of(reg, true) - loss_of(plain, true);
    rwt_assert_close(loss_of(reg, false), loss_of(plain, false), RWT_EPS, "evaluation has no penalty: %s", regularize);
    rw_model_free(plain);
    rw_model_free(reg);
    return d;
}

static const char *const two_lstms = "    - lstm: {size: 5, name: a}\n    - gru: {size: 5, name: b}\n";

Test(model_regularize, every_penalty_key_reaches_the_training_loss)
{
    static const char *const keys[] = {
        "regularize: {hidden_l2: %g}\n",
        "regularize: {hidden_diff_l2: %g}\n",
        "regularize: {norm_stabilizer: {beta: %g}}\n",
        "regularize: {l1: %g}\n",
        "regularize: {weight_decay: %g}\n",
        "regularize: {weight_decay: {value: %g, exclude: [bias, norm]}}\n",
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char one[160], two[160];
        snprintf(one, sizeof one, keys[k], 0.1);
        snprintf(two, sizeof two, keys[k], 0.2);
        double d1 = extra(two_lstms, one), d2 = extra(two_lstms, two);
        cr_expect_gt(d1, 1e-6, "%s", one);
        rwt_assert_close(d2, 2 * d1, 1e-3, "%s: the penalty is linear in its weight (%g, %g)", one, d1, d2);
    }
}

/* The penalties on `on:` layers only; weight decay leaving out biases and
 * norm gains is exactly wd/2 times the other parameters' squares. */
Test(model_regularize, on_and_exclude_choose_what_is_penalized)
{
    double both = extra(two_lstms, "regularize: {hidden_l2: 0.1}\n"),
           a = extra(two_lstms, "regularize: {hidden_l2: 0.1, on: a}\n"),
           b = extra(two_lstms, "regularize: {hidden_l2: 0.1, on: [b]}\n"),
           ab = extra(two_lstms, "regularize: {hidden_l2: 0.1, on: [a, b]}\n");
    rwt_assert_close(a + b, both, 1e-4, "a %g + b %g = all %g", a, b, both);
    rwt_assert_close(ab, both, 1e-4, "on [a, b]");
    cr_expect(a > 0 && b > 0);
    double ns_old = extra(two_lstms, "regularize: {norm_stabilizer: {beta: 0.5, on: b}}\n"),
           ns_new = extra(two_lstms, "regularize: {norm_stabilizer: {beta: 0.5}, on: b}\n");
    rwt_assert_close(ns_old, ns_new, 1e-6, "the old form norm_stabilizer.on still works");

    const char *ln = "    - lstm: {size: 5, layer_norm: true, forget_bias: 1}\n";
    rw_model *m = load(ln, "");
    double want = 0;
    rw_params *P = rw_model_params(m);
    for (int i = 0; i < rw_params_count(P); i++) {
        rw_param *p = rw_params_at(P, i);
        if (rw_param_is_bias(p->name) || rw_param_is_norm(p->name))
            continue;
        for (size_t k = 0; k < p->value->size; k++)
            want += 0.5 * 0.3 * p->value->data[k] * p->value->data[k];
    }
    rw_model_free(m);
    cr_expect(rw_param_is_bias("lstm_2.l0.b") && rw_param_is_norm("lstm_2.l0.ln_x.gain") &&
              rw_param_is_norm("lstm_2.l0.ln_c.bias") && !rw_param_is_bias("lstm_2.l0.W") &&
              !rw_param_is_norm("lstm_2.l0.U"));
    double got = extra(ln, "regularize: {weight_decay: {value: 0.3, exclude: [bias, norm]}}\n");
    rwt_assert_close(got, want, 1e-4, "weight decay without biases and gains: %g, want %g", got, want);
    double all = extra(ln, "regularize: {weight_decay: {value: 0.3}}\n"),
           no_bias = extra(ln, "regularize: {weight_decay: {value: 0.3, exclude: bias}}\n");
    cr_expect(all > no_bias && no_bias > got, "all %g > without biases %g > without biases and norms %g", all, no_bias,
              got);
}

Test(model_regularize, dropout_keys_of_a_recurrent_layer)
{
    const char *none = "    - gru: {size: 5}\n";
    rw_model *plain = load(none, "");
    double base = loss_of(plain, true);
    rw_model_free(plain);
    static const char *const layers[] = {
        "    - gru: {size: 5, dropout: {recurrent: 0.5}}\n",
        "    - gru: {size: 5, dropout: {recurrent: 0.5, mask: per_sequence}}\n",
        "    - gru: {size: 5, dropout: {recurrent: 0.5, mask: per_step}}\n",
        "    - gru: {size: 5, dropout: {input: 0.5, mask: per_sequence}}\n",
        "    - gru: {size: 5, dropout: {output: 0.5}}\n",
        "    - gru: {size: 5, stack: 2, dropout: {between: 0.5, mask: per_step}}\n",
        "    - gru: {size: 5, stack: 2, dropout: 0.5, variational: true}\n",
    };
    double seen[7];
    for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) {
        rw_model *m = load(layers[k], "");
        seen[k] = loss_of(m, true);
        cr_expect(fabs(seen[k] - base) > 1e-6 || k >= 5, "%s changes the training loss", layers[k]);
        cr_expect(fabs(loss_of(m, false) - loss_of(m, true)) > 1e-6, "%s: evaluation has no dropout", layers[k]);
        rw_model_free(m);
    }
    rwt_assert_close(seen[0], seen[2], RWT_EPS, "per_step is the default mask");
    cr_expect(fabs(seen[1] - seen[2]) > 1e-6, "per_sequence and per_step masks differ");
}

static void expect_error(const char *layers, const char *regularize, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text, "format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 4}\n%s"
             "    - linear: {size: vocab, name: head}\n  outputs: {next: {target: next}}\n%s", layers, regularize);
    rw_model *m = rw_model_load_string(text, "m.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_expect_null(m, "%s loaded", text);
    rw_model_free(m);
    cr_expect(strstr(rw_last_error(), want) != NULL, "expected %s\ngot %s", want, rw_last_error());
}

Test(model_regularize, bad_settings_name_their_key)
{
    const char *gru = "    - gru: {size: 5}\n";
    expect_error("    - gru: {size: 5, dropout: {recurrent: 1.5}}\n", "", "m.yaml:5:");
    expect_error("    - gru: {size: 5, dropout: {mask: sometimes}}\n", "", "per_step");
    expect_error(gru, "regularize: {hidden_l2: -1}\n", "m.yaml:8:");
    expect_error(gru, "regularize: {hidden_l2: 1, on: head}\n", "'head' is not one");
    expect_error(gru, "regularize: {hidden_l2: 1, on: [gru_3]}\n", "unknown layer 'gru_3'");
    expect_error(gru, "regularize: {weight_decay: {value: 1, exclude: [biases]}}\n", "bias");
    expect_error(gru, "regularize: {weight_decay: {exclude: [bias]}}\n", "value");
    expect_error(gru, "regularize: {hiden_l2: 1}\n", "did you mean 'hidden_l2'");
}
