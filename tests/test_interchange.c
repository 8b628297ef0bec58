/* Models to and from safetensors (rewind/model_safetensors.h): rewind's own
 * names and PyTorch's round-trip bit for bit; the fixture written by
 * PyTorch (tests/data/make_torch_fixture.py) loads to the parameters the
 * documented map gives and to PyTorch's loss on its input; models without
 * an exact torch equivalent and bad files are refused, leaving the model
 * as it was. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rewind.h>

#define FIXTURE_YAML "tests/data/torch_fixture.yaml"
#define FIXTURE "tests/data/torch_fixture.safetensors"

static rw_model *fixture_model(const char *const *sets, int n_sets)
{
    rw_model_load_opts o = { .skip_data = true, .vocab_size = 7, .overrides = sets, .n_overrides = n_sets };
    rw_model *m = rw_model_load(FIXTURE_YAML, &o);
    cr_assert(m, "%s", rw_last_error());
    return m;
}

static char *temp_path(void)
{
    static int n;
    char *p = malloc(128);
    snprintf(p, 128, "/tmp/rw_interchange_%ld_%d.safetensors", (long)getpid(), n++);
    return p;
}

static void assert_params_equal(const rw_model *a, const rw_model *b)
{
    rw_params *P = rw_model_params(a), *Q = rw_model_params(b);
    cr_assert_eq(rw_params_count(P), rw_params_count(Q));
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_param *p = rw_params_at(P, i), *q = rw_params_get(Q, p->name);
        cr_assert(q && q->value->size == p->value->size, "%s", p->name);
        cr_assert(!memcmp(p->value->data, q->value->data, p->value->size * sizeof(rw_real)), "%s differs", p->name);
    }
}

static bool params_equal(const rw_model *a, const rw_model *b)
{
    rw_params *P = rw_model_params(a), *Q = rw_model_params(b);
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_param *p = rw_params_at(P, i), *q = rw_params_get(Q, p->name);
        if (memcmp(p->value->data, q->value->data, p->value->size * sizeof(rw_real)))
            return false;
    }
    return true;
}

static void round_trip(rw_param_names names, rw_st_dtype dtype)
{
    const char *seed2[] = { "train.seed=99" };
    rw_model *a = fixture_model(NULL, 0), *b = fixture_model(seed2, 1);
    cr_assert(!params_equal(a, b), "two seeds give two initializations");
    char *path = temp_path();
    cr_assert_eq(rw_model_save_safetensors(a, path, names, dtype), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_model_load_safetensors(b, path, names), RW_OK, "%s", rw_last_error());
    assert_params_equal(a, b);
    remove(path);
    free(path);
    rw_model_free(a);
    rw_model_free(b);
}

Test(interchange, rewind_names_round_trip_bit_for_bit) { round_trip(RW_NAMES_REWIND, sizeof(rw_real) == 8 ? RW_ST_F64 : RW_ST_F32); }
Test(interchange, torch_names_round_trip_bit_for_bit) { round_trip(RW_NAMES_TORCH, sizeof(rw_real) == 8 ? RW_ST_F64 : RW_ST_F32); }
Test(interchange, f64_files_keep_float_bits) { round_trip(RW_NAMES_TORCH, RW_ST_F64); }

/* A tensor of the fixture file as doubles, read here by index arithmetic
 * rather than through the map. */
static double *file_tensor(const rw_safetensors *f, const char *name, size_t *n)
{
    int i = rw_safetensors_find(f, name);
    cr_assert(i >= 0, "%s", name);
    rw_tensor *t = rw_safetensors_tensor(f, i);
    cr_assert(t);
    double *v = malloc(t->size * sizeof *v);
    for (size_t k = 0; k < t->size; k++)
        v[k] = (double)t->data[k];
    *n = t->size;
    rw_tensor_free(t);
    return v;
}

/* param `name` == sign * (file tensors a [+ b]), with rows [neg, neg + H) of a GRU negated. */
static void expect_param(const rw_model *m, const rw_safetensors *f, const char *name, const char *a, const char *b,
                         int gru_hidden)
{
    size_t n, nb;
    double *va = file_tensor(f, a, &n), *vb = b ? file_tensor(f, b, &nb) : NULL;
    const rw_param *p = rw_params_get(rw_model_params(m), name);
    cr_assert(p && p->value->size == n, "%s", name);
    size_t per_row = n / (size_t)p->value->shape.dim[0];
    for (size_t k = 0; k < n; k++) {
        size_t row = k / per_row;
        double want = va[k] + (vb ? vb[k] : 0);
        if (gru_hidden && row >= (size_t)gru_hidden && row < 2 * (size_t)gru_hidden)
            want = -want; /* torch's z gate is rewind's 1 - z */
        cr_assert_float_eq((double)p->value->data[k], want, 1e-6, "%s[%zu]: %g, expected %g", name, k,
                           (double)p->value->data[k], want);
    }
    free(va);
    free(vb);
}

static rw_tensor *ints_of(const char *text, int T, int B)
{
    rw_tensor *t = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    char *end;
    for (int k = 0; k < T * B; k++) {
        t->idata[k] = (int32_t)strtol(text, &end, 10);
        cr_assert(end != text);
        text = end;
    }
    return t;
}

Test(interchange, pytorch_fixture_loads_to_its_parameters_and_its_loss)
{
    rw_model *m = fixture_model(NULL, 0);
    cr_assert_eq(rw_model_load_safetensors(m, FIXTURE, RW_NAMES_TORCH), RW_OK, "%s", rw_last_error());
    rw_safetensors *f = rw_safetensors_open(FIXTURE);
    cr_assert(f, "%s", rw_last_error());
    expect_param(m, f, "emb.E", "emb.weight", NULL, 0);
    expect_param(m, f, "rnn.l0.W", "rnn.weight_ih_l0", NULL, 0);
    expect_param(m, f, "rnn.l1.rev.U", "rnn.weight_hh_l1_reverse", NULL, 0);
    expect_param(m, f, "rnn.l0.b", "rnn.bias_ih_l0", "rnn.bias_hh_l0", 0);
    expect_param(m, f, "rnn.l1.rev.b", "rnn.bias_ih_l1_reverse", "rnn.bias_hh_l1_reverse", 0);
    expect_param(m, f, "g.l0.W", "g.weight_ih_l0", NULL, 3);
    expect_param(m, f, "g.l0.U", "g.weight_hh_l0", NULL, 3);
    expect_param(m, f, "g.l0.b", "g.bias_ih_l0", NULL, 3);
    expect_param(m, f, "g.l0.c", "g.bias_hh_l0", NULL, 3);
    expect_param(m, f, "e.l0.b", "e.bias_ih_l0", "e.bias_hh_l0", 0);
    expect_param(m, f, "head.W", "head.weight", NULL, 0);
    expect_param(m, f, "head.b", "head.bias", NULL, 0);

    int T, B;
    cr_assert_eq(sscanf(rw_safetensors_meta(f, "shape"), "%d %d", &T, &B), 2);
    rw_tensor *x = ints_of(rw_safetensors_meta(f, "inputs"), T, B), *y = ints_of(rw_safetensors_meta(f, "targets"), T, B);
    double torch_loss = strtod(rw_safetensors_meta(f, "loss"), NULL);
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    rw_model_batch batch = { .inputs = x, .targets = y };
    rw_node *loss = rw_model_loss(g, m, &batch);
    cr_assert(loss, "%s", rw_last_error());
    double got = (double)rw_node_value(loss)->data[0];
    cr_assert(fabs(got - torch_loss) <= 1e-5 * torch_loss, "rewind's loss %.9g, PyTorch's %.9g", got, torch_loss);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    rw_safetensors_close(f);
    rw_model_free(m);
}

/* Loading fails with an error containing `want`, and m keeps its values. */
static void expect_load_error(const char *path, rw_param_names names, const char *want)
{
    rw_model *m = fixture_model(NULL, 0), *before = fixture_model(NULL, 0);
    cr_assert_neq(rw_model_load_safetensors(m, path, names), RW_OK);
    cr_assert(strstr(rw_last_error(), want), "error '%s' lacks '%s'", rw_last_error(), want);
    assert_params_equal(m, before);
    rw_model_free(m);
    rw_model_free(before);
}

Test(interchange, bad_files_leave_the_model_unchanged)
{
    expect_load_error(FIXTURE, RW_NAMES_REWIND, "looks like a PyTorch state dict");
    expect_load_error("tests/data/no_such.safetensors", RW_NAMES_TORCH, "no_such.safetensors");

    /* the fixture's tensors with one left out, one extra, one of a wrong shape, one not finite */
    rw_safetensors *f = rw_safetensors_open(FIXTURE);
    int n = rw_safetensors_count(f);
    rw_safetensors_item items[64];
    rw_tensor *owned[64];
    for (int i = 0; i < n; i++) {
        owned[i] = rw_safetensors_tensor(f, i);
        items[i] = (rw_safetensors_item){ rw_safetensors_name(f, i), owned[i] };
    }
    char *path = temp_path();
    int head_b = rw_safetensors_find(f, "head.bias");
    rw_safetensors_item keep = items[head_b];
    items[head_b] = items[n - 1];
    cr_assert_eq(rw_safetensors_save(path, items, n - 1, NULL, NULL, 0, RW_ST_F32), RW_OK);
    expect_load_error(path, RW_NAMES_TORCH, "no tensor 'head.bias' (the model's parameter 'head.b')");
    items[head_b] = keep;

    rw_tensor *extra = rw_tensor_new(RW_REAL, rw_shape1(2));
    items[n] = (rw_safetensors_item){ "head.scale", extra };
    cr_assert_eq(rw_safetensors_save(path, items, n + 1, NULL, NULL, 0, RW_ST_F32), RW_OK);
    expect_load_error(path, RW_NAMES_TORCH, "tensor 'head.scale' is no parameter of model 'torch_fixture'");

    rw_safetensors_item wrong = items[head_b];
    items[head_b].tensor = extra;
    cr_assert_eq(rw_safetensors_save(path, items, n, NULL, NULL, 0, RW_ST_F32), RW_OK);
    expect_load_error(path, RW_NAMES_TORCH, "tensor 'head.bias' has shape [2] where [7] is expected");
    items[head_b] = wrong;

    owned[head_b]->data[3] = (rw_real)NAN;
    cr_assert_eq(rw_safetensors_save(path, items, n, NULL, NULL, 0, RW_ST_F32), RW_OK);
    expect_load_error(path, RW_NAMES_TORCH, "non-finite value at element 3");

    remove(path);
    free(path);
    rw_tensor_free(extra);
    for (int i = 0; i < n; i++)
        rw_tensor_free(owned[i]);
    rw_safetensors_close(f);
}

static void expect_refused(const char *set, const char *want)
{
    const char *sets[] = { set };
    rw_model *m = fixture_model(sets, 1);
    char *path = temp_path();
    cr_assert_neq(rw_model_save_safetensors(m, path, RW_NAMES_TORCH, RW_ST_F32), RW_OK, "%s", set);
    cr_assert(strstr(rw_last_error(), want), "%s: error '%s' lacks '%s'", set, rw_last_error(), want);
    cr_assert_null(rw_model_torch_map(m));
    cr_assert_eq(access(path, F_OK), -1, "nothing is written");
    /* rewind's own names take any model */
    cr_assert_eq(rw_model_save_safetensors(m, path, RW_NAMES_REWIND, RW_ST_F32), RW_OK, "%s", rw_last_error());
    remove(path);
    free(path);
    rw_model_free(m);
}

Test(interchange, only_exact_equivalents_map_to_torch)
{
    expect_refused("model.layers.2.gru.reset_after=false", "lecture-form GRU (reset_after: false)");
    expect_refused("model.layers.2.gru.layer_norm=true", "torch.nn.GRU has no layer_norm");
    expect_refused("model.layers.1.lstm.peephole=true", "torch.nn.LSTM has no peephole");
    expect_refused("model.layers.1.lstm.coupled_gates=true", "torch.nn.LSTM has no coupled_gates");
    expect_refused("model.layers.1.lstm.output_activation=none", "output_activation: none");
    expect_refused("model.layers.1.lstm.initial_state=learned", "a learned initial state");
    expect_refused("model.layers.1.lstm.bidirectional={merge: sum}", "summed or averaged");
    expect_refused("model.layers.3.elman.activation=sigmoid", "not sigmoid");
}

Test(interchange, the_torch_map_text)
{
    rw_model *m = fixture_model(NULL, 0);
    char *map = rw_model_torch_map(m);
    cr_assert(map, "%s", rw_last_error());
    cr_assert(strstr(map, "rnn.l1.rev.b\trnn.bias_ih_l1_reverse+rnn.bias_hh_l1_reverse\n"), "%s", map);
    cr_assert(strstr(map, "g.l0.c\tg.bias_hh_l0 (z rows negated)\n"), "%s", map);
    cr_assert(strstr(map, "emb.E\temb.weight\n"), "%s", map);
    free(map);
    rw_model_free(m);
}
