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
 * step of Monte-Carlo sampling; stacked, it is refused with the reason. */
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

Test(mc_dropout, step_model_draws_the_dropout_inside_a_yaml_cell)
{
    rw_model *m = load_cell_dropout(1);
    int32_t start = -1;
    rw_step_model *plain = rw_model_step_model_new(m, "", &start);
    rw_step_model *mc = rw_model_mc_step_model_new(m, "", 4, 2, &start);
    cr_assert(plain && mc, "%s", rw_last_error());
    rw_real lp[2][V];
    int differ = 0;
    for (int t = 0; t < 3; t++) { /* from the second step on, h_prev is dropped */
        step_all(plain, (int32_t)t, lp[0]);
        step_all(mc, (int32_t)t, lp[1]);
        for (int c = 0; c < V; c++)
            differ += fabs(lp[0][c] - lp[1][c]) > 1e-5;
    }
    cr_expect_gt(differ, 0, "the cell's dropout is on in the passes");
    rw_step_model_free(plain);
    rw_step_model_free(mc);
    rw_model_free(m);

    m = load_cell_dropout(2);
    mc = rw_model_mc_step_model_new(m, "", 4, 2, &start);
    if (mc) /* priming with the empty prime steps nothing: the first step refuses */
        cr_expect_neq(mc->step(mc, &start, 1, lp[0]), RW_OK);
    cr_expect(strstr(rw_last_error(), "in a stack of 2 layers"), "%s", rw_last_error());
    rw_step_model_free(mc);
    rw_model_free(m);
}
