/* Gradient diagnostics (F80): ||dL/dh_t|| per step survives rw_backward on
 * request, and shows the lectures' lesson at initialization: over 50 steps
 * an Elman network's gradient decays by orders of magnitude more than an
 * LSTM's. Spectral radii by power iteration match known matrices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

enum { T = 50, B = 8, X = 16, H = 64 };

/* dL/dh_t for a loss on the last step's output only, from initialization. */
static void last_step_grad_norms(const rw_cell_def *cell, double *norms)
{
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_rnn *r = rw_rnn_new(P, &(rw_rnn_spec){ .name = "net", .cell = cell, .input_size = X, .hidden = H }, &rng);
    cr_assert_not_null(r, "%s", rw_last_error());
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .keep_hidden_grads = true });
    cr_assert_not_null(s.hidden, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, rw_sum(g, s.last)), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_rnn_grad_norms(r, &s, 0, 0, norms), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_rnn_grad_norms(r, &s, 1, 0, norms), RW_ERR_ARG);
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

Test(diagnostics, elman_gradient_vanishes_orders_of_magnitude_faster_than_lstm)
{
    double elman[T], lstm[T];
    last_step_grad_norms(&rw_elman_cell, elman);
    last_step_grad_norms(&rw_lstm_cell, lstm);
    double elman_decay = elman[T - 1] / elman[0], lstm_decay = lstm[T - 1] / lstm[0];
    printf("||dL/dh_t||, loss on step %d, at initialization (H = %d):\n   t      elman       lstm\n", T - 1, H);
    for (int t = T - 1; t >= 0; t -= 7)
        printf("%4d %10.3e %10.3e\n", t, elman[t], lstm[t]);
    printf("decay h_%d -> h_0: elman %.3g, lstm %.3g (ratio %.3g)\n", T - 1, elman_decay, lstm_decay,
           elman_decay / lstm_decay);
    for (int t = 0; t < T; t++)
        cr_expect(elman[t] > 0 && lstm[t] > 0, "a gradient reaches every step (t = %d)", t);
    cr_expect_gt(elman_decay / lstm_decay, 100, "elman decays %g, lstm %g: not two orders of magnitude apart",
                 elman_decay, lstm_decay);
}

Test(diagnostics, spectral_radius_by_power_iteration)
{
    rw_tensor *m = rw_tensor_new(RW_REAL, rw_shape2(6, 3));
    /* rows 0..2: 0.5 I; rows 3..5: a rotation by 60 degrees in the first two axes, scaled 0.9, and 0.2 */
    for (int i = 0; i < 3; i++)
        m->data[i * 3 + i] = 0.5;
    double c = 0.9 * cos(1.0471975511965976), s = 0.9 * sin(1.0471975511965976);
    m->data[9] = (rw_real)c;
    m->data[10] = (rw_real)-s;
    m->data[12] = (rw_real)s;
    m->data[13] = (rw_real)c;
    m->data[17] = 0.2;
    rwt_assert_close(rw_spectral_radius(m, 0, 3, 100, 1), 0.5, 1e-4, "0.5 I");
    rwt_assert_close(rw_spectral_radius(m, 3, 3, 400, 1), 0.9, 1e-3, "a scaled rotation (complex eigenvalues)");
    cr_expect_eq(rw_spectral_radius(m, 4, 3, 10, 1), -1, "a block past the end");
    rw_tensor_free(m);
    /* an orthogonal initialization has radius 1; the LSTM reports one radius per gate block */
    rw_rng rng = rw_rng_seed(2);
    rw_params *P = rw_params_new();
    rw_rnn *e = rw_rnn_new(P, &(rw_rnn_spec){ .name = "e", .cell = &rw_elman_cell, .input_size = 2, .hidden = 16 },
                           &rng);
    rw_rnn *l = rw_rnn_new(P, &(rw_rnn_spec){ .name = "l", .cell = &rw_lstm_cell, .input_size = 2, .hidden = 16 },
                           &rng);
    double rho[8];
    cr_assert_eq(rw_rnn_recurrent_radii(e, 0, 0, rho, 8), 1);
    rwt_assert_close(rho[0], 1, 1e-3, "orthogonal U: %g", rho[0]);
    cr_assert_eq(rw_rnn_recurrent_radii(l, 0, 0, rho, 8), 4);
    rw_rnn_free(e);
    rw_rnn_free(l);
    rw_params_free(P);
}

/* ---- gate saturation ------------------------------------------------------------ */

/* A cell whose gates are fixed by its bias alone (W = U = 0): each gate
 * block j of b gets bias[j], so the saturation is known exactly. */
static rw_rnn *fixed_gates(rw_params *P, const rw_cell_def *cell, const double *bias, int blocks)
{
    rw_rng rng = rw_rng_seed(3);
    rw_rnn *r = rw_rnn_new(P, &(rw_rnn_spec){ .name = cell->name, .cell = cell, .input_size = 2, .hidden = 4 }, &rng);
    cr_assert_not_null(r, "%s", rw_last_error());
    for (int i = 0; i < rw_params_count(P); i++)
        rw_tensor_fill(rw_params_at(P, i)->value, 0);
    rw_tensor *b = rw_cell_get_param(rw_rnn_cell(r, 0, 0), "b")->value;
    for (int j = 0; j < blocks * 4; j++)
        b->data[j] = (rw_real)bias[j / 4];
    return r;
}

/* Runs T = 5, B = 3 with lengths {5, 2, 0}: 7 valid steps of 4 units. */
static rw_status run_counting(const rw_rnn *r, rw_gate_saturation *sat, int recompute_every)
{
    rw_rng rng = rw_rng_seed(4);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(5, 3, 2), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *len = rw_leaf_new(g, RW_INT32, rw_shape1(3), false);
    len->value.idata[0] = 5;
    len->value.idata[1] = 2;
    len->value.idata[2] = 0;
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .lengths = len, .gate_saturation = sat,
                                                                  .recompute_every = recompute_every });
    rw_graph_free(g);
    rw_tensor_free(xs);
    return s.last ? RW_OK : rw_last_status();
}

Test(diagnostics, lstm_gate_saturation_counts_valid_steps_only)
{
    rw_params *P = rw_params_new();
    const double bias[4] = { 10, 0, -10, -10 };  /* i open (high), f at 0.5, g at -1 (low), o shut (low) */
    rw_rnn *r = fixed_gates(P, &rw_lstm_cell, bias, 4);
    rw_gate_saturation sat[1] = { 0 };
    cr_assert_eq(run_counting(r, sat, 0), RW_OK, "%s", rw_last_error());
    cr_assert_eq(sat[0].n, 4);
    const char *names[] = { "i", "f", "g", "o" };
    uint64_t low[] = { 0, 0, 28, 28 }, high[] = { 28, 0, 0, 0 };
    for (int k = 0; k < 4; k++) {
        cr_expect_str_eq(sat[0].name[k], names[k]);
        cr_expect_eq(sat[0].count[k], 28, "gate %s: 7 valid steps x 4 units, got %llu", names[k],
                     (unsigned long long)sat[0].count[k]);
        cr_expect_eq(sat[0].low[k], low[k], "gate %s low", names[k]);
        cr_expect_eq(sat[0].high[k], high[k], "gate %s high", names[k]);
    }
    cr_expect_eq(rw_gate_saturated(&sat[0], 0), 1);
    cr_expect_eq(rw_gate_saturated(&sat[0], 1), 0);
    /* runs sharing the counts add up; recomputation cannot count */
    cr_assert_eq(run_counting(r, sat, 0), RW_OK, "%s", rw_last_error());
    cr_expect_eq(sat[0].count[3], 56);
    cr_expect_eq(run_counting(r, sat, 2), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "gate_saturation"), "%s", rw_last_error());
    /* without the option nothing is counted (the probe is off again) */
    cr_assert_eq(run_counting(r, NULL, 0), RW_OK, "%s", rw_last_error());
    cr_expect_eq(sat[0].count[3], 56);
    rw_rnn_free(r);
    rw_params_free(P);
}

Test(diagnostics, gru_gate_saturation_and_an_ablated_lstm_gate)
{
    rw_params *P = rw_params_new();
    const double bias[3] = { -10, 10, 0 };  /* r shut (low), z open (high), n = tanh(0) = 0 */
    rw_rnn *r = fixed_gates(P, &rw_gru_cell, bias, 3);
    rw_gate_saturation sat[1] = { 0 };
    cr_assert_eq(run_counting(r, sat, 0), RW_OK, "%s", rw_last_error());
    cr_assert_eq(sat[0].n, 3);
    cr_expect_str_eq(sat[0].name[0], "r");
    cr_expect_str_eq(sat[0].name[2], "n");
    cr_expect_eq(sat[0].low[0], 28);
    cr_expect_eq(sat[0].high[1], 28);
    cr_expect_eq(sat[0].low[2] + sat[0].high[2], 0);
    rw_rnn_free(r);
    rw_params_free(P);
    /* an LSTM without an output gate leaves slot o uncounted */
    P = rw_params_new();
    rw_rng rng = rw_rng_seed(5);
    rw_lstm_opts no_o = RW_LSTM_DEFAULTS;
    no_o.output_gate = false;
    r = rw_rnn_new(P, &(rw_rnn_spec){ .name = "l", .cell = &rw_lstm_cell, .cell_opts = &no_o, .input_size = 2,
                                      .hidden = 4 }, &rng);
    rw_gate_saturation s2[1] = { 0 };
    cr_assert_eq(run_counting(r, s2, 0), RW_OK, "%s", rw_last_error());
    cr_expect_eq(s2[0].n, 3, "i, f, g");
    cr_expect(isnan(rw_gate_saturated(&s2[0], 3)), "no o gate");
    cr_expect_eq(s2[0].count[1], 28);
    rw_rnn_free(r);
    rw_params_free(P);
}

/* ---- the model level and `rewind diagnose` ------------------------------------------ */

static double model_decay(const char *cell, rw_model_diagnosis *d)
{
    char text[512];
    snprintf(text, sizeof text, "format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 16}\n"
             "    - %s: {size: 64}\n    - linear: {size: vocab}\n  outputs: {next: {target: next}}\n", cell);
    rw_model *m = rw_model_load_string(text, "m.yaml", &(rw_model_load_opts){ .vocab_size = 20 });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_eq(rw_model_diagnose(m, &(rw_model_diagnose_opts){ .steps = T }, d), RW_OK, "%s", rw_last_error());
    for (int i = 0; i < rw_params_count(rw_model_params(m)); i++) {
        const rw_param *p = rw_params_at(rw_model_params(m), i);
        for (size_t k = 0; k < p->grad->size; k++)
            cr_assert_eq(p->grad->data[k], 0, "parameter gradients are left zero");
    }
    rw_model_free(m);
    cr_assert_eq(d->n, 1);
    cr_assert_eq(d->steps, T);
    return d->series[0].grad_norm[0] / d->series[0].grad_norm[T - 1];
}

Test(diagnostics, model_diagnosis_through_yaml)
{
    rw_model_diagnosis e, l;
    double elman = model_decay("elman", &e), lstm = model_decay("lstm", &l);
    cr_expect_str_eq(e.series[0].name, "elman_2.l0");
    cr_expect_eq(e.series[0].n_radii, 1);
    cr_expect_eq(l.series[0].n_radii, 4);
    cr_expect_eq(e.series[0].gates.n, 0, "an Elman cell has no gates");
    cr_expect_eq(l.series[0].gates.n, 4);
    cr_expect_eq(l.series[0].gates.count[1], (uint64_t)T * 8 * 64, "every step, sequence and unit of f");
    printf("through YAML (embedding 16, size 64, T = %d): dh_0/dh_%d elman %.3g, lstm %.3g\n", T, T - 1, elman, lstm);
    cr_expect_gt(lstm / elman, 100, "elman %g vs lstm %g", elman, lstm);
    rw_model_diagnosis_free(&e);
    rw_model_diagnosis_free(&l);
}

/* A char model in dir/m.yaml over dir/text.txt whose recurrent layer is
 * `layer` (e.g. "elman: {size: 32}"); its path in path[256]. */
static void write_char_model(const char *dir, const char *layer, char *path)
{
    snprintf(path, 256, "%s/text.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "the quick brown fox jumps over the lazy dog\n");
    fclose(f);
    snprintf(path, 256, "%s/m.yaml", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 8}\n    - %s\n"
               "    - linear: {size: vocab}\n  outputs: {next: {target: next}}\ndata: {kind: chars, train: text.txt}\n",
            layer);
    fclose(f);
}

Test(diagnostics, rewind_diagnose_writes_csv_and_svg)
{
    const char *bin = getenv("RW_BINARY_DIR");
    char dir[] = "/tmp/rw_diagnose_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], cmd[1024];
    write_char_model(dir, "elman: {size: 32}", path);
    snprintf(cmd, sizeof cmd, "%s/tools/rewind diagnose %s --steps 40 --vanish 1e-1 --out %s/d > %s/out.txt",
             bin ? bin : "build", path, dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/d.csv", dir);
    char line[256] = "";
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no %s", path);
    cr_expect_not_null(fgets(line, sizeof line, f));
    cr_expect_str_eq(line, "t,elman_2.l0\n");
    int rows = 0;
    while (fgets(line, sizeof line, f))
        rows++;
    fclose(f);
    cr_expect_eq(rows, 40);
    snprintf(path, sizeof path, "%s/d.svg", dir);
    f = fopen(path, "r");
    cr_assert_not_null(f, "no %s", path);
    char svg[8192] = "";
    size_t n = fread(svg, 1, sizeof svg - 1, f);
    svg[n] = 0;
    fclose(f);
    cr_expect(strstr(svg, "<svg") && strstr(svg, "<polyline"), "an SVG with a line");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    f = fopen(path, "r");
    n = fread(svg, 1, sizeof svg - 1, f);
    svg[n] = 0;
    fclose(f);
    cr_expect(strstr(svg, "warning: elman_2.l0: the gradient vanishes over 40 steps") != NULL, "%s", svg);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(diagnostics, rewind_diagnose_prints_gate_saturation)
{
    const char *bin = getenv("RW_BINARY_DIR");
    char dir[] = "/tmp/rw_diagnose_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], cmd[1024];
    /* a forget bias of 10 holds f above 0.95 everywhere at initialization; the other gates stay unsaturated */
    write_char_model(dir, "lstm: {size: 32, forget_bias: 10}", path);
    snprintf(cmd, sizeof cmd, "%s/tools/rewind diagnose %s --steps 20 --out %s/d | grep -q "
             "'gates saturated: i 0.0%%, f 100.0%%, g 0.0%%, o 0.0%%'", bin ? bin : "build", path, dir);
    cr_expect_eq(system(cmd), 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

/* ---- train.diagnostics: through a model file and `rewind train` ----------------------- */

/* Trains 6 steps with diagnostics every 3 under the given thresholds; the
 * log's text in log[], stderr's in err[]. */
static void train_with_diagnostics(const char *thresholds, char *log, size_t log_len, char *err, size_t err_len)
{
    const char *bin = getenv("RW_BINARY_DIR");
    char dir[] = "/tmp/rw_diagtrain_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], cmd[1024];
    write_char_model(dir, "lstm: {size: 16}", path);
    FILE *f = fopen(path, "a");
    fprintf(f, "train:\n  steps: 6\n  batch: 4\n  log: %s/log.csv\n  diagnostics: {every: 3, steps: 30, %s}\n", dir,
            thresholds);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s/tools/rewind train %s --quiet --checkpoint %s/c.rwc 2> %s/err.txt",
             bin ? bin : "build", path, dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    const char *files[] = { "log.csv", "err.txt" };
    char *bufs[] = { log, err };
    size_t lens[] = { log_len, err_len };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        f = fopen(path, "r");
        cr_assert_not_null(f, "no %s", path);
        size_t n = fread(bufs[i], 1, lens[i] - 1, f);
        bufs[i][n] = 0;
        fclose(f);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(diagnostics, train_diagnostics_columns_in_the_csv_log)
{
    char log[8192], err[4096];
    train_with_diagnostics("vanish_below: 1e-9, explode_above: 1e9", log, sizeof log, err, sizeof err);
    const char *header = "step,epoch,split,loss,grad_norm,lr,lstm_2.l0.grad_first,lstm_2.l0.grad_last,"
                         "lstm_2.l0.grad_ratio,lstm_2.l0.sat_i,lstm_2.l0.sat_f,lstm_2.l0.sat_g,lstm_2.l0.sat_o,"
                         "lstm_2.l0.rho0,lstm_2.l0.rho1,lstm_2.l0.rho2,lstm_2.l0.rho3\n";
    cr_assert(strncmp(log, header, strlen(header)) == 0, "header:\n%s", log);
    cr_expect_null(strstr(err, "warning"), "no thresholds crossed: %s", err);
    /* every row has the header's 17 fields; steps 3 and 6 carry the diagnosis */
    int row = 0;
    for (char *line = strchr(log, '\n') + 1; *line; row++) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        *end = 0;
        int fields = 1;
        for (char *c = line; *c; c++)
            fields += *c == ',';
        cr_expect_eq(fields, 17, "row %s", line);
        long step = strtol(line, NULL, 10);
        bool measured = strstr(line, ",,") == NULL;
        cr_expect_eq(measured, step % 3 == 0, "step %ld: %s", step, line);
        if (measured) { /* grad_first, grad_last, ratio = first / last */
            char *p = line;
            for (int k = 0; k < 6; k++)
                p = strchr(p, ',') + 1;
            double first = strtod(p, &p), last = strtod(p + 1, &p), ratio = strtod(p + 1, &p);
            cr_expect(first > 0 && last > 0, "%s", line);
            rwt_assert_close(ratio, first / last, 1e-6, "ratio");
        }
        line = end + 1;
    }
    cr_expect_eq(row, 6);
}

Test(diagnostics, train_diagnostics_warn_beyond_the_thresholds)
{
    char log[8192], err[4096];
    /* over 30 steps the ratio is about 0.007: below 0.5 it "vanishes", above 0.001 it "explodes" */
    train_with_diagnostics("vanish_below: 0.5, explode_above: 1e3", log, sizeof log, err, sizeof err);
    cr_expect(strstr(err, "warning: step 3: lstm_2.l0: the gradient vanishes over 30 steps"), "%s", err);
    cr_expect(strstr(err, "warning: step 6: lstm_2.l0: the gradient vanishes"), "%s", err);
    train_with_diagnostics("vanish_below: 1e-9, explode_above: 0.001", log, sizeof log, err, sizeof err);
    cr_expect(strstr(err, "warning: step 3: lstm_2.l0: the gradient explodes over 30 steps"), "%s", err);
    cr_expect_null(strstr(err, "vanishes"), "%s", err);
}
