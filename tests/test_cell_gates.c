/* Gate saturation (F80) for cells written in YAML: every named sigmoid of a
 * cell's step is a gate, reported under its name by rw_model_diagnose,
 * `rewind diagnose` and the train.diagnostics columns, as the built-in
 * LSTM and GRU gates are. Inline sigmoids are not gates; at most
 * RW_GATES_MAX gates are counted, the first in evaluation order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

enum { T = 12, B = 8, H = 16 };

/* `hold` saturates high (bias 10), `mix` sits at 0.5 from a zero state and
 * never saturates (|U h| is small for a bounded h), the sigmoid inside h
 * is inline. */
static const char gated_cell[] =
    "cells:\n"
    "  gated:\n"
    "    dims: [X, H]\n"
    "    state: {h: {size: H}}\n"
    "    params:\n"
    "      W: {shape: [H, X], init: \"uniform(-0.1, 0.1)\"}\n"
    "      U: {shape: [H, H], init: \"uniform(-0.1, 0.1)\"}\n"
    "      b_hold: {shape: [H], init: \"const(10)\"}\n"
    "      b_mix: {shape: [H], init: zeros}\n"
    "    equations:\n"
    "      hold: sigmoid(W @ x + b_hold)\n"
    "      mix: sigmoid(U @ h_prev + b_mix)\n"
    "      h: mix * h_prev + hold * tanh(W @ x + U @ h_prev) * sigmoid(b_mix)\n";

/* Five gates in a chain: only the first four are counted. */
static const char chain_cell[] =
    "cells:\n"
    "  chain:\n"
    "    dims: [X, H]\n"
    "    state: {h: {size: H}}\n"
    "    params:\n"
    "      W: {shape: [H, X], init: xavier_uniform}\n"
    "    equations:\n"
    "      g1: sigmoid(W @ x)\n"
    "      g2: sigmoid(g1)\n"
    "      g3: sigmoid(g2)\n"
    "      g4: sigmoid(g3)\n"
    "      g5: sigmoid(g4)\n"
    "      h: g5 * h_prev + tanh(W @ x)\n";

static rw_model *load(const char *cells, const char *type)
{
    char text[2048];
    snprintf(text, sizeof text, "format: rewind/1\n%smodel:\n  layers:\n    - embedding: {size: 8}\n"
             "    - %s: {size: %d}\n    - linear: {size: vocab}\n  outputs: {next: {target: next}}\n",
             cells, type, H);
    rw_model *m = rw_model_load_string(text, "gates.yaml", &(rw_model_load_opts){ .vocab_size = 20 });
    cr_assert_not_null(m, "%s", rw_last_error());
    return m;
}

static int gate(const rw_gate_saturation *s, const char *name)
{
    for (int k = 0; k < s->n; k++)
        if (s->name[k] && !strcmp(s->name[k], name))
            return k;
    return -1;
}

Test(cell_gates, named_sigmoids_of_a_yaml_cell_are_gates_in_the_diagnosis)
{
    rw_model *m = load(gated_cell, "gated");
    rw_model_diagnosis d;
    cr_assert_eq(rw_model_diagnose(m, &(rw_model_diagnose_opts){ .steps = T, .batch = B }, &d), RW_OK, "%s",
                 rw_last_error());
    cr_assert_eq(d.n, 1);
    const rw_gate_saturation *s = &d.series[0].gates;
    cr_expect_eq(s->n, 2, "hold and mix; the inline sigmoid is no gate (n = %d)", s->n);
    int hold = gate(s, "hold"), mix = gate(s, "mix");
    cr_assert(hold >= 0 && mix >= 0, "gates named after their equations");
    cr_expect_eq(s->count[hold], (uint64_t)T * B * H, "every step, sequence and unit");
    cr_expect_eq(s->count[mix], (uint64_t)T * B * H);
    cr_expect_eq(rw_gate_saturated(s, hold), 1.0, "hold %g", rw_gate_saturated(s, hold));
    cr_expect_eq(rw_gate_saturated(s, mix), 0.0, "mix %g", rw_gate_saturated(s, mix));
    rw_model_diagnosis_free(&d);
    rw_model_free(m);
}

Test(cell_gates, at_most_four_gates_the_first_in_evaluation_order)
{
    rw_model *m = load(chain_cell, "chain");
    rw_model_diagnosis d;
    cr_assert_eq(rw_model_diagnose(m, &(rw_model_diagnose_opts){ .steps = 4, .batch = 2 }, &d), RW_OK, "%s",
                 rw_last_error());
    const rw_gate_saturation *s = &d.series[0].gates;
    cr_expect_eq(s->n, RW_GATES_MAX);
    for (int k = 0; k < s->n; k++) {
        char want[16];
        snprintf(want, sizeof want, "g%d", k + 1);
        cr_expect_str_eq(s->name[k], want);
    }
    rw_model_diagnosis_free(&d);
    rw_model_free(m);
}

/* dir/m.yaml: a char model over dir/text.txt with the gated cell, and train.diagnostics. */
static void write_model(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/text.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "the quick brown fox jumps over the lazy dog\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/m.yaml", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "format: rewind/1\n%smodel:\n  layers:\n    - embedding: {size: 8}\n    - gated: {size: %d}\n"
               "    - linear: {size: vocab}\n  outputs: {next: {target: next}}\ndata: {kind: chars, train: text.txt}\n"
               "train:\n  steps: 2\n  batch: 2\n  log: %s/log.csv\n  diagnostics: {every: 2, steps: 10}\n",
            gated_cell, H, dir);
    fclose(f);
}

static char *slurp(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no %s", path);
    char *s = calloc(1, 8192);
    size_t n = fread(s, 1, 8191, f);
    s[n] = 0;
    fclose(f);
    return s;
}

Test(cell_gates, rewind_diagnose_and_train_diagnostics_report_yaml_gates)
{
    const char *bin = getenv("RW_BINARY_DIR");
    char dir[] = "/tmp/rw_cellgates_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    write_model(dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/tools/rewind diagnose %s/m.yaml --steps 10 --out %s/d > %s/out.txt",
             bin ? bin : "build", dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char *out = slurp(dir, "out.txt");
    cr_expect(strstr(out, "gates saturated: hold 100.0%, mix 0.0%"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s/tools/rewind train %s/m.yaml --quiet --checkpoint %s/c.rwc 2> %s/err.txt",
             bin ? bin : "build", dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char *log = slurp(dir, "log.csv");
    cr_expect(strstr(log, ",gated_2.l0.sat_hold,gated_2.l0.sat_mix,"), "header:\n%s", log);
    char *row = strstr(log, "\n2,");
    cr_assert_not_null(row, "step 2 is diagnosed:\n%s", log);
    free(log);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}
