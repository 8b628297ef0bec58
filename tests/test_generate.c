/* Generation from a restored model: a model rebuilt for a checkpoint skips
 * its initializers (the values are restored next), and what it generates is
 * exactly what the fully initialized, then restored, model generates. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static const char *const lm =
    "format: rewind/1\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 8}\n"
    "    - lstm: {size: 32, stack: 2}\n"
    "    - linear: {size: vocab, activation: none}\n"
    "  outputs: {y: {target: next}}\n";

enum { V = 11 };

/* Whether every weight matrix is zero (vectors may be set directly by a
 * cell, e.g. the LSTM's forget-gate bias, without an initializer). */
static bool all_zero(const rw_params *P)
{
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *t = rw_params_at(P, i)->value;
        if (t->shape.ndim != 2)
            continue;
        for (size_t k = 0; k < t->size; k++)
            if (t->data[k] != 0)
                return false;
    }
    return true;
}

Test(generate, skip_init_leaves_parameters_at_zero)
{
    rw_model *m = rw_model_load_string(lm, "lm.yaml", &(rw_model_load_opts){ .vocab_size = V, .skip_init = true });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert(rw_params_count(rw_model_params(m)) > 0);
    cr_assert(all_zero(rw_model_params(m)), "no initializer ran");
    rw_model_free(m);
    m = rw_model_load_string(lm, "lm.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_not(all_zero(rw_model_params(m)), "without skip_init the parameters are initialized");
    rw_model_free(m);

    /* the C layers obey the store's setting too */
    rw_params *P = rw_params_new();
    rw_rng rng = rw_rng_seed(1);
    rw_params_set_skip_init(P, true);
    rw_linear *l = rw_linear_new(P, "l", 4, 3, &rng);
    rw_rnn *r = rw_rnn_new(P, &(rw_rnn_spec){ .name = "r", .cell = &rw_lstm_cell, .input_size = 3, .hidden = 4 }, &rng);
    cr_assert(l && r, "%s", rw_last_error());
    rw_params_set_skip_init(P, false);
    rw_param *ln = rw_params_get(P, "l.W");
    cr_assert_eq(rw_param_init(P, ln, rw_init_of(RW_INIT_CONST, 2, 0), &rng), RW_OK);
    cr_assert_eq(ln->value->data[0], 2);
    rw_linear_free(l);
    rw_rnn_free(r);
    rw_params_free(P);
}

Test(generate, a_restored_model_generates_the_same_text_either_way)
{
    char path[] = "/tmp/rewind-generate-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    rw_model *trained = rw_model_load_string(lm, "lm.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_assert_not_null(trained, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_save(path, rw_model_params(trained), NULL, NULL, 0), RW_OK, "%s", rw_last_error());

    /* built with a different seed and initialized, or not initialized at all: restored, both equal `trained` */
    const char *other_seed[] = { "train.seed=99" };
    rw_model *full = rw_model_load_string(lm, "lm.yaml",
                                          &(rw_model_load_opts){ .vocab_size = V, .overrides = other_seed,
                                                                 .n_overrides = 1 });
    rw_model *lean = rw_model_load_string(lm, "lm.yaml", &(rw_model_load_opts){ .vocab_size = V, .skip_init = true });
    cr_assert(full && lean, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_load(path, rw_model_params(full), NULL, NULL, NULL), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_load(path, rw_model_params(lean), NULL, NULL, NULL), RW_OK, "%s", rw_last_error());

    rw_model *models[] = { trained, full, lean };
    int32_t out[3][300];
    for (int k = 0; k < 3; k++) {
        rw_model_state *s = rw_model_state_new(models[k], 1);
        rw_graph *g = rw_graph_new();
        rw_rng rng = rw_rng_seed(5);
        int32_t tok = 0;
        for (int t = 0; t < 300; t++) {
            rw_node *lg = rw_model_step(g, models[k], s, &tok);
            cr_assert_not_null(lg, "%s", rw_last_error());
            tok = rw_model_sample(lg, 0, 0.9, 0, &rng);
            out[k][t] = tok;
            rw_graph_reset(g);
        }
        rw_graph_free(g);
        rw_model_state_free(s);
    }
    cr_assert(memcmp(out[0], out[1], sizeof out[0]) == 0, "initialized then restored: same tokens");
    cr_assert(memcmp(out[0], out[2], sizeof out[0]) == 0, "not initialized, restored: same tokens");
    for (int k = 0; k < 3; k++)
        rw_model_free(models[k]);
    unlink(path);
}
