/* Monte-Carlo dropout (F65): probabilities averaged over passes with
 * dropout on; without dropout every pass is the deterministic one, passes
 * start from the same carried state, and the graph's mode is restored. */
#include <string.h>
#include "rw_test.h"

enum { V = 6, T = 5, B = 3 };

/* A language model over V tokens: `cells` (a cells: section or ""), an
 * embedding, the recurrent layer `rnn` and a head. */
static rw_model *load_with(const char *cells, const char *rnn)
{
    char text[1024];
    snprintf(text, sizeof text,
             "format: rewind/1\n%s"
             "model:\n"
             "  layers:\n"
             "    - embedding: {size: 4}\n"
             "    - %s\n"
             "    - linear: {size: vocab}\n"
             "  outputs: {next: {target: next}}\n",
             cells, rnn);
    rw_model *m = rw_model_load_string(text, "mc.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_assert_not_null(m, "%s", rw_last_error());
    return m;
}

static rw_model *load(const char *dropout)
{
    char rnn[256];
    snprintf(rnn, sizeof rnn, "lstm: {size: 5%s}", dropout);
    return load_with("", rnn);
}

typedef struct batch {
    rw_tensor *in, *tgt;
    rw_model_batch b;
} batch;

static batch make(void)
{
    rw_rng rng = rw_rng_seed(3);
    batch x = { .in = rwt_ints(&rng, rw_shape2(T, B), 0, V) };
    x.tgt = rwt_ints(&rng, rw_shape2(T, B), 0, V);
    x.tgt->idata[T * B - 1] = RW_PAD; /* one padding target, skipped */
    x.b = (rw_model_batch){ .inputs = x.in, .targets = x.tgt };
    return x;
}

static double eval_loss(rw_model *m, const rw_model_batch *b)
{
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    double v = rw_scalar(rw_model_loss(g, m, b));
    rw_graph_free(g);
    return v;
}

Test(mc_dropout, without_dropout_it_is_the_plain_evaluation_even_with_carried_state)
{
    rw_model *m = load("");
    batch x = make();
    double want = eval_loss(m, &x.b);
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    long n = 0;
    double got = rw_model_mc_loss(rw_model_mc_probs(g, m, &x.b, 4), &x.b, &n, NULL);
    rwt_assert_close(got, want, 1e-5, "mc %g eval %g", got, want);
    cr_expect_eq(n, T * B - 1);
    cr_expect(!rw_graph_is_training(g), "the mode is restored");
    /* a second window from a carried state: every pass starts from it */
    rw_model_state *s1 = rw_model_state_new(m, B), *s2 = rw_model_state_new(m, B);
    x.b.state = s1;
    rw_graph_reset(g);
    cr_assert_not_null(rw_model_logits(g, m, &x.b));
    double plain = eval_loss(m, &x.b);
    x.b.state = s2;
    rw_graph_reset(g);
    cr_assert_not_null(rw_model_logits(g, m, &x.b));
    rw_graph_reset(g);
    double mc = rw_model_mc_loss(rw_model_mc_probs(g, m, &x.b, 3), &x.b, NULL, NULL);
    rwt_assert_close(mc, plain, 1e-5, "from a carried state: mc %g eval %g", mc, plain);
    rw_model_state_free(s1);
    rw_model_state_free(s2);
    rw_graph_free(g);
    rw_tensor_free(x.in);
    rw_tensor_free(x.tgt);
    rw_model_free(m);
}

Test(mc_dropout, with_dropout_the_passes_differ_and_average_to_probabilities)
{
    rw_model *m = load(", dropout: {recurrent: 0.5, output: 0.5}");
    batch x = make();
    double det = eval_loss(m, &x.b);
    rw_graph *g = rw_graph_new();
    rw_node *one = rw_model_mc_probs(g, m, &x.b, 1);
    rw_node *many = rw_model_mc_probs(g, m, &x.b, 30);
    cr_assert(one && many, "%s", rw_last_error());
    cr_expect(rw_graph_is_training(g));
    cr_assert(rw_shape_equal(many->value.shape, rw_shape2(T * B, V)));
    int differ = 0;
    for (int r = 0; r < T * B; r++) {
        double sum = 0;
        for (int c = 0; c < V; c++) {
            sum += many->value.data[r * V + c];
            differ += fabs(many->value.data[r * V + c] - one->value.data[r * V + c]) > 1e-4;
        }
        rwt_assert_close(sum, 1.0, 1e-5, "row %d sums to %g", r, sum);
    }
    cr_expect_gt(differ, 0, "dropout is on in the passes");
    double l1 = rw_model_mc_loss(one, &x.b, NULL, NULL), l30 = rw_model_mc_loss(many, &x.b, NULL, NULL);
    cr_expect(isfinite(l30) && fabs(l30 - det) > 1e-6 && fabs(l1 - l30) > 1e-6, "eval %g, 1 pass %g, 30 passes %g",
              det, l1, l30);
    cr_expect_null(rw_model_mc_probs(g, m, &x.b, 0));
    cr_expect(strstr(rw_last_error(), "passes >= 1"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x.in);
    rw_tensor_free(x.tgt);
    rw_model_free(m);
}

/* log-probabilities of one step of dm (rows rows, all fed token) into lp [rows * V]. */
static void step_all(rw_step_model *dm, int32_t token, rw_real *lp)
{
    int32_t tokens[4] = { token, token, token, token };
    cr_assert_eq(dm->step(dm, tokens, dm->rows, lp), RW_OK, "%s", rw_last_error());
}

Test(mc_dropout, step_model_averages_seeded_passes_and_keeps_per_sequence_masks_by_pass)
{
    rw_model *plain_m = load("");
    int32_t start = -1;
    cr_expect_null(rw_model_mc_step_model_new(plain_m, "", 4, 1, &start));
    cr_expect(strstr(rw_last_error(), "has no dropout"), "%s", rw_last_error());
    rw_model_free(plain_m);

    rw_model *m = load(", dropout: {recurrent: 0.5, output: 0.5, mask: per_sequence}");
    cr_expect_null(rw_model_mc_step_model_new(m, "", 1, 1, &start));
    cr_expect(strstr(rw_last_error(), "passes must be in 2.."), "%s", rw_last_error());
    rw_step_model *plain = rw_model_step_model_new(m, "", &start);
    rw_step_model *mc = rw_model_mc_step_model_new(m, "", 8, 11, &start);
    rw_step_model *same = rw_model_mc_step_model_new(m, "", 8, 11, &start);
    rw_step_model *other = rw_model_mc_step_model_new(m, "", 8, 12, &start);
    cr_assert(plain && mc && same && other, "%s", rw_last_error());
    rw_real lp[4][2 * V];
    for (int t = 0; t < 3; t++) { /* the per-sequence masks stay the same over steps */
        step_all(plain, (int32_t)t, lp[0]);
        step_all(mc, (int32_t)t, lp[1]);
        step_all(same, (int32_t)t, lp[2]);
        step_all(other, (int32_t)t, lp[3]);
        double sum = 0;
        int from_plain = 0, from_other = 0;
        for (int c = 0; c < V; c++) {
            sum += exp(lp[1][c]);
            from_plain += fabs(lp[1][c] - lp[0][c]) > 1e-5;
            from_other += fabs(lp[1][c] - lp[3][c]) > 1e-5;
        }
        rwt_assert_close(sum, 1.0, 1e-5, "step %d: the mean probabilities sum to %g", t, sum);
        cr_expect_arr_eq(lp[1], lp[2], V * sizeof(rw_real), "step %d: the same seed, the same passes", t);
        cr_expect_gt(from_plain, 0, "step %d: dropout is on in the passes", t);
        cr_expect_gt(from_other, 0, "step %d: another seed draws other masks", t);
    }
    /* beam search's reordering: two rows copied from one; pass k of each keeps
     * mask k, and with only per-sequence masks both rows agree */
    cr_assert_eq(mc->reorder(mc, (const int32_t[]){ 0, 0 }, 2), RW_OK, "%s", rw_last_error());
    step_all(mc, 1, lp[1]);
    cr_expect_arr_eq(lp[1], lp[1] + V, V * sizeof(rw_real), "the copies agree");
    rw_step_model_free(plain);
    rw_step_model_free(mc);
    rw_step_model_free(same);
    rw_step_model_free(other);
    rw_model_free(m);
}

/* A YAML cell whose dropout is inside the cell: its masks are drawn at each
 * step of Monte-Carlo sampling, for each stacked layer of the cell. */
static rw_model *load_cell_dropout(int stack)
{
    char rnn[64];
    snprintf(rnn, sizeof rnn, "dcell: {size: 5, stack: %d}", stack);
    return load_with("cells:\n"
                     "  dcell:\n"
                     "    dims: [X, H]\n"
                     "    state: {h: {size: H}}\n"
                     "    params: {W: {shape: [H, X], init: xavier_uniform}, U: {shape: [H, H], init: xavier_uniform}}\n"
                     "    equations:\n"
                     "      h: tanh(W @ x + U @ dropout(h_prev, p=0.5))\n",
                     rnn);
}

/* How many of `steps` steps' log-probabilities differ between a and b (fed 0, 1, 2, ...). */
static int steps_that_differ(rw_step_model *a, rw_step_model *b, int steps)
{
    rw_real lp[2][V];
    int differ = 0;
    for (int t = 0; t < steps; t++) {
        step_all(a, (int32_t)t, lp[0]);
        step_all(b, (int32_t)t, lp[1]);
        int n = 0;
        for (int c = 0; c < V; c++)
            n += fabs(lp[0][c] - lp[1][c]) > 1e-5;
        differ += n > 0;
    }
    return differ;
}

Test(mc_dropout, step_model_draws_the_dropout_inside_a_yaml_cell_also_stacked)
{
    for (int stack = 1; stack <= 2; stack++) {
        rw_model *m = load_cell_dropout(stack);
        int32_t start = -1;
        rw_step_model *plain = rw_model_step_model_new(m, "", &start);
        rw_step_model *mc = rw_model_mc_step_model_new(m, "", 4, 2, &start);
        cr_assert(plain && mc, "stack %d: %s", stack, rw_last_error());
        /* from the second step on, h_prev is dropped */
        cr_expect_geq(steps_that_differ(plain, mc, 4), 3, "stack %d: the cell's dropout is on in the passes", stack);
        rw_step_model_free(plain);
        rw_step_model_free(mc);
        rw_model_free(m);
    }
}

/* Dropout only between stacked layers: applied in the passes (per step and
 * per sequence), refused as no dropout when there is no second layer. */
Test(mc_dropout, step_model_applies_the_dropout_between_stacked_layers)
{
    int32_t start = -1;
    for (int variational = 0; variational < 2; variational++) {
        char rnn[128];
        snprintf(rnn, sizeof rnn, "lstm: {size: 5, stack: 3, dropout: {between: 0.5, mask: %s}}",
                 variational ? "per_sequence" : "per_step");
        rw_model *m = load_with("", rnn);
        rw_step_model *plain = rw_model_step_model_new(m, "", &start);
        rw_step_model *mc = rw_model_mc_step_model_new(m, "", 4, 2, &start);
        rw_step_model *same = rw_model_mc_step_model_new(m, "", 4, 2, &start);
        cr_assert(plain && mc && same, "%s: %s", rnn, rw_last_error());
        cr_expect_eq(steps_that_differ(plain, mc, 4), 4, "%s: every step's passes are thinned", rnn);
        rw_step_model_free(mc);
        mc = rw_model_mc_step_model_new(m, "", 4, 2, &start);
        cr_expect_eq(steps_that_differ(mc, same, 4), 0, "%s: the same seed, the same passes", rnn);
        rw_step_model_free(plain);
        rw_step_model_free(mc);
        rw_step_model_free(same);
        rw_model_free(m);
    }
    rw_model *one = load_with("", "lstm: {size: 5, dropout: {between: 0.5}}");
    cr_expect_null(rw_model_mc_step_model_new(one, "", 4, 2, &start), "one layer: nothing between layers to drop");
    cr_expect(strstr(rw_last_error(), "has no dropout"), "%s", rw_last_error());
    rw_model_free(one);
}

/* With one dropout site as the only dropout, pass k of the step model
 * draws its masks as pass k of rw_model_mc_probs draws them, from the k-th
 * generator split from one of the same seed (W draws in order per mask), so
 * the two give the same probabilities at every step. */
static void expect_step_model_matches_mc_probs(rw_model *m)
{
    enum { PASSES = 5, SEED = 17 };
    int32_t start = -1;
    rw_step_model *mc = rw_model_mc_step_model_new(m, "", PASSES, SEED, &start);
    cr_assert_not_null(mc, "%s", rw_last_error());
    cr_assert(start >= 0 && start < V, "start %d", (int)start);
    int32_t fed[T] = { start, 3, 1, 4, 1 };
    rw_tensor *in = rw_tensor_from_ints(rw_shape2(T, 1), fed), *tgt = rw_tensor_from_ints(rw_shape2(T, 1), fed);
    rw_model_batch b = { .inputs = in, .targets = tgt };
    *rw_model_rng(m) = rw_rng_seed(SEED);
    rw_graph *g = rw_graph_new();
    rw_node *probs = rw_model_mc_probs(g, m, &b, PASSES); /* [T, V] */
    cr_assert_not_null(probs, "%s", rw_last_error());
    rw_real lp[V];
    double worst = 0;
    bool differs = false;
    for (int t = 0; t < T; t++) {
        cr_assert_eq(mc->step(mc, &fed[t], 1, lp), RW_OK, "%s", rw_last_error());
        for (int c = 0; c < V; c++)
            worst = fmax(worst, fabs(exp(lp[c]) - probs->value.data[t * V + c]));
    }
    cr_expect_leq(worst, 2e-5, "the step model's passes are rw_model_mc_probs's: largest difference %g", worst);
    /* and the comparison can fail: another seed draws other masks */
    *rw_model_rng(m) = rw_rng_seed(SEED + 1);
    rw_graph *g2 = rw_graph_new();
    rw_node *other = rw_model_mc_probs(g2, m, &b, PASSES);
    cr_assert_not_null(other, "%s", rw_last_error());
    for (int i = 0; i < T * V; i++)
        differs |= fabs(other->value.data[i] - probs->value.data[i]) > 1e-3;
    cr_expect(differs, "another seed gives other probabilities");
    rw_graph_free(g2);
    rw_graph_free(g);
    rw_tensor_free(in);
    rw_tensor_free(tgt);
    rw_step_model_free(mc);
}

Test(mc_dropout, step_model_matches_mc_probs_with_per_sequence_between_dropout)
{
    rw_model *m = load_with("", "lstm: {size: 5, stack: 2, dropout: {between: 0.5, mask: per_sequence}}");
    expect_step_model_matches_mc_probs(m);
    rw_model_free(m);
}

/* Per-step masks: pass k of rw_model_mc_probs runs its whole sequence
 * before pass k + 1, the step model runs every pass at each step; each pass
 * drawing from its own generator (rwi_mc_pass_rng), step t's mask of pass k
 * is the same on both paths. */
Test(mc_dropout, step_model_matches_mc_probs_with_per_step_between_dropout)
{
    rw_model *m = load_with("", "lstm: {size: 5, stack: 2, dropout: {between: 0.5, mask: per_step}}");
    expect_step_model_matches_mc_probs(m);
    rw_model_free(m);
}

Test(mc_dropout, step_model_matches_mc_probs_with_per_step_output_dropout)
{
    rw_model *m = load_with("", "lstm: {size: 5, dropout: {output: 0.5, mask: per_step}}");
    expect_step_model_matches_mc_probs(m);
    rw_model_free(m);
}

Test(mc_dropout, step_model_keeps_a_yaml_cells_per_sequence_masks_by_pass)
{
    rw_model *m = load_with("cells:\n"
                            "  vcell:\n"
                            "    dims: [X, H]\n"
                            "    state: {h: {size: H}}\n"
                            "    params: {W: {shape: [H, X], init: xavier_uniform}, U: {shape: [H, H], init: xavier_uniform}}\n"
                            "    equations:\n"
                            "      h: tanh(W @ x + U @ dropout(h_prev, p=0.5, per_sequence=true))\n",
                            "vcell: {size: 5}");
    expect_step_model_matches_mc_probs(m);
    rw_model_free(m);
}

/* A tagging or LM batch from a batcher also carries labels [B] (all -1):
 * the per-step probabilities [T * B, C] are scored against the targets. */
Test(mc_dropout, per_step_probabilities_score_the_targets_not_the_empty_labels)
{
    enum { TT = 3, BB = 2, C = 4 };
    rw_tensor *p = rw_tensor_new(RW_REAL, rw_shape2(TT * BB, C));
    for (size_t i = 0; i < p->size; i++)
        p->data[i] = (rw_real)0.25;
    p->data[1] = (rw_real)0.7; /* row 0: class 1 most likely */
    rw_tensor *tgt = rw_tensor_from_ints(rw_shape2(TT, BB), (const int32_t[]){ 1, 2, 3, 0, -1, 2 });
    rw_tensor *lab = rw_tensor_from_ints(rw_shape1(BB), (const int32_t[]){ -1, -1 });
    rw_model_batch b = { .targets = tgt, .labels = lab };
    rw_graph *g = rw_graph_new();
    long n = 0, right = 0;
    double loss = rw_model_mc_loss(rw_const(g, p), &b, &n, &right);
    cr_expect_eq(n, 5, "five targets scored (one is padding), got %ld", n);
    cr_expect_eq(right, 2, "row 0 (class 1) and row 3 (target 0, a tie that picks class 0)");
    rwt_assert_close(loss, (-log(0.7) - 4 * log(0.25)) / 5, 1e-5, "loss %g", loss);
    /* a classifier's batch: probabilities [B, C] against the labels */
    rw_tensor *cl = rw_tensor_from_ints(rw_shape1(BB), (const int32_t[]){ 1, 3 });
    rw_tensor *q = rw_tensor_new(RW_REAL, rw_shape2(BB, C));
    for (size_t i = 0; i < q->size; i++)
        q->data[i] = (rw_real)0.25;
    rw_model_batch c = { .targets = tgt, .labels = cl };
    loss = rw_model_mc_loss(rw_const(g, q), &c, &n, NULL);
    cr_expect_eq(n, 2);
    rwt_assert_close(loss, -log(0.25), 1e-5, "loss %g", loss);
    rw_graph_free(g);
    rw_tensor_free(p), rw_tensor_free(q), rw_tensor_free(tgt), rw_tensor_free(lab), rw_tensor_free(cl);
}
