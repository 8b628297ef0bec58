/* The metrics API against counts worked out by hand. */
#include <string.h>
#include "rw_test.h"

/* 6 positions of 3 classes, one padded (target -1):
 *   scores row        predicted  target  rank of target
 *   [3, 1, 0]          0          0       0
 *   [0, 2, 1]          1          2       1
 *   [1, 0, 4]          2          2       0
 *   [5, 1, 2]          0          1       2
 *   [0, 9, 1]          1          1       0
 *   [9, 9, 9]          -          -1      (skipped) */
static const rw_real scores_v[18] = { 3, 1, 0, 0, 2, 1, 1, 0, 4, 5, 1, 2, 0, 9, 1, 9, 9, 9 };
static const int32_t targets_v[6] = { 0, 2, 2, 1, 1, -1 };

Test(metrics, classification_by_scores_matches_hand_counts)
{
    rw_tensor *scores = rw_tensor_from(rw_shape3(2, 3, 3), scores_v);
    rw_tensor *targets = rw_tensor_from_ints(rw_shape2(2, 3), targets_v);
    rw_metrics *m = rw_metrics_new(3);
    cr_assert_eq(rw_metrics_add_scores(m, scores, targets, NULL), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_metrics_classified(m), 5);
    rwt_assert_close(rw_metrics_accuracy(m), 3.0 / 5, 1e-12, "accuracy");
    rwt_assert_close(rw_metrics_top_k(m, 1), 3.0 / 5, 1e-12, "top1 = accuracy without ties");
    rwt_assert_close(rw_metrics_top_k(m, 2), 4.0 / 5, 1e-12, "top2");
    rwt_assert_close(rw_metrics_top_k(m, 3), 1.0, 1e-12, "top3");
    /* class 0: TP 1, predicted 2, actual 1; class 1: TP 1, predicted 2, actual 2; class 2: TP 1, pred 1, actual 2 */
    rwt_assert_close(rw_metrics_precision(m, 0), 0.5, 1e-12, "P0");
    rwt_assert_close(rw_metrics_recall(m, 0), 1.0, 1e-12, "R0");
    rwt_assert_close(rw_metrics_f1(m, 0), 2.0 / 3, 1e-12, "F1 0");
    rwt_assert_close(rw_metrics_f1(m, 1), 0.5, 1e-12, "F1 1");
    rwt_assert_close(rw_metrics_precision(m, 2), 1.0, 1e-12, "P2");
    rwt_assert_close(rw_metrics_recall(m, 2), 0.5, 1e-12, "R2");
    rwt_assert_close(rw_metrics_macro_f1(m), (2.0 / 3 + 0.5 + 2.0 / 3) / 3, 1e-12, "macro F1");
    /* perplexity: exp(mean of -log softmax(z)[t]) in plain C */
    double nll = 0;
    for (int i = 0; i < 5; i++) {
        const rw_real *z = scores_v + 3 * i;
        double s = 0;
        for (int c = 0; c < 3; c++)
            s += exp((double)z[c]);
        nll += log(s) - (double)z[targets_v[i]];
    }
    rwt_assert_close(rw_metrics_perplexity(m), exp(nll / 5), 1e-9, "perplexity");
    /* by name */
    rw_metric top2;
    cr_assert_eq(rw_metric_parse("top2", &top2), RW_OK);
    rwt_assert_close(rw_metrics_value(m, top2), 4.0 / 5, 1e-12, "top2 by name");
    /* reset forgets */
    rw_metrics_reset(m);
    cr_assert(isnan(rw_metrics_accuracy(m)));
    cr_assert(isnan(rw_metrics_perplexity(m)));
    cr_assert(isnan(rw_metrics_f1(m, 0)));
    rw_metrics_free(m);
    rw_tensor_free(scores);
    rw_tensor_free(targets);
}

Test(metrics, mask_skips_positions_and_argmax_predictions_agree)
{
    rw_tensor *scores = rw_tensor_from(rw_shape2(6, 3), scores_v);
    rw_tensor *targets = rw_tensor_from_ints(rw_shape1(6), targets_v);
    rw_tensor *mask = rw_tensor_from(rw_shape1(6), (const rw_real[]){ 1, 1, 1, 0, 1, 1 });
    rw_metrics *a = rw_metrics_new(3), *b = rw_metrics_new(3);
    cr_assert_eq(rw_metrics_add_scores(a, scores, targets, mask), RW_OK, "%s", rw_last_error());
    rwt_assert_close(rw_metrics_accuracy(a), 3.0 / 4, 1e-12, "the wrong row 3 is masked");
    rw_graph *g = rw_graph_new();
    rw_node *pred = rw_argmax(g, rw_const(g, scores));
    cr_assert_eq(rw_metrics_add_predictions(b, &pred->value, targets, mask), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_metrics_classified(b), 4);
    cr_assert_eq(rw_metrics_scored(b), 0, "ids alone give no top-k or perplexity");
    rwt_assert_close(rw_metrics_accuracy(b), rw_metrics_accuracy(a), 1e-12, "same accuracy");
    for (int c = 0; c < 3; c++)
        cr_assert_eq(rw_metrics_f1(a, c) == rw_metrics_f1(b, c) || (isnan(rw_metrics_f1(a, c)) &&
                                                                   isnan(rw_metrics_f1(b, c))), 1, "class %d", c);
    cr_assert(isnan(rw_metrics_perplexity(b)));
    rw_graph_free(g);
    rw_metrics_free(a);
    rw_metrics_free(b);
    rw_tensor_free(scores);
    rw_tensor_free(targets);
    rw_tensor_free(mask);
}

Test(metrics, regression_errors)
{
    rw_tensor *p = rw_tensor_from(rw_shape2(2, 2), (const rw_real[]){ 1, 2, 3, 4 });
    rw_tensor *t = rw_tensor_from(rw_shape2(2, 2), (const rw_real[]){ 1, 0, 4, 0 });
    rw_tensor *mask = rw_tensor_from_ints(rw_shape2(2, 2), (const int32_t[]){ 1, 1, 1, 0 });
    rw_metrics *m = rw_metrics_new(0);
    cr_assert_eq(rw_metrics_add_values(m, p, t, mask), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_metrics_values(m), 3);
    rwt_assert_close(rw_metrics_mse(m), (0 + 4 + 1) / 3.0, 1e-12, "mse");
    rwt_assert_close(rw_metrics_mae(m), (0 + 2 + 1) / 3.0, 1e-12, "mae");
    cr_assert(isnan(rw_metrics_accuracy(m)), "no classification was added");
    rw_metrics_free(m);
    rw_tensor_free(p);
    rw_tensor_free(t);
    rw_tensor_free(mask);
}

Test(metrics, bad_input_is_a_clear_error)
{
    rw_tensor *scores = rw_tensor_from(rw_shape2(6, 3), scores_v);
    rw_tensor *targets = rw_tensor_from_ints(rw_shape1(6), (const int32_t[]){ 0, 1, 2, 3, 0, 0 });
    rw_tensor *short_t = rw_tensor_from_ints(rw_shape1(5), targets_v);
    rw_metrics *m = rw_metrics_new(3), *four = rw_metrics_new(4);
    cr_assert_neq(rw_metrics_add_scores(m, scores, targets, NULL), RW_OK);
    cr_assert(strstr(rw_last_error(), "target 3 at position 3"), "%s", rw_last_error());
    cr_assert_eq(rw_metrics_classified(m), 0, "nothing is counted from a rejected batch");
    cr_assert_neq(rw_metrics_add_scores(m, scores, short_t, NULL), RW_OK);
    cr_assert(strstr(rw_last_error(), "[6, 3]"), "%s", rw_last_error());
    cr_assert_neq(rw_metrics_add_scores(four, scores, short_t, NULL), RW_OK);
    cr_assert_null(rw_metrics_new(-1));
    rw_metric x;
    cr_assert_neq(rw_metric_parse("top0", &x), RW_OK);
    cr_assert_neq(rw_metric_parse("accurracy", &x), RW_OK);
    cr_assert(strstr(rw_last_error(), "unknown metric 'accurracy'"), "%s", rw_last_error());
    char buf[16];
    cr_assert_eq(rw_metric_parse("top5", &x), RW_OK);
    cr_assert_str_eq(rw_metric_name(x, buf, sizeof buf), "top5");
    rw_metrics_free(m);
    rw_metrics_free(four);
    rw_tensor_free(scores);
    rw_tensor_free(targets);
    rw_tensor_free(short_t);
}

Test(metrics, whole_sequences_are_right_only_when_every_step_is)
{
    /* [T = 3, B = 4] targets; column 2 is padding after its first step, column 3 all padding */
    rw_tensor *targets = rw_tensor_from_ints(rw_shape2(3, 4), (const int32_t[]){ 0, 1, 2, -1,
                                                                                1, 1, -1, -1,
                                                                                2, 0, -1, -1 });
    rw_tensor *ids = rw_tensor_from_ints(rw_shape2(3, 4), (const int32_t[]){ 0, 1, 2, 0,
                                                                            1, 2, 0, 0,
                                                                            2, 0, 1, 1 });
    rw_metrics *m = rw_metrics_new(3);
    cr_assert_eq(rw_metrics_add_sequences(m, ids, targets, NULL), RW_OK, "%s", rw_last_error());
    cr_expect_eq(rw_metrics_sequences(m), 3); /* column 3 has no step to score */
    cr_expect_float_eq(rw_metrics_sequence_accuracy(m), 2.0 / 3, 1e-12); /* column 1 fails at step 1 */
    cr_expect_eq(rw_metrics_classified(m), 0, "sequences count only as sequences");
    /* scores [T, B, C]: the largest predicts; a mask leaves column 1's wrong step out */
    rw_tensor *scores = rw_tensor_new(RW_REAL, rw_shape3(3, 4, 3));
    for (size_t i = 0; i < ids->size; i++)
        scores->data[i * 3 + (size_t)ids->idata[i]] = 1;
    rw_tensor *mask = rw_tensor_from_ints(rw_shape2(3, 4), (const int32_t[]){ 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1 });
    rw_metrics_reset(m);
    cr_expect(isnan(rw_metrics_sequence_accuracy(m)));
    cr_assert_eq(rw_metrics_add_sequences(m, scores, targets, mask), RW_OK, "%s", rw_last_error());
    cr_expect_float_eq(rw_metrics_sequence_accuracy(m), 1.0, 1e-12);
    rw_metric metric;
    cr_assert_eq(rw_metric_parse("sequence_accuracy", &metric), RW_OK);
    cr_expect_float_eq(rw_metrics_value(m, metric), 1.0, 1e-12);
    char buf[32];
    cr_expect_str_eq(rw_metric_name(metric, buf, sizeof buf), "sequence_accuracy");
    /* shapes */
    rw_tensor *flat = rw_tensor_from_ints(rw_shape1(4), (const int32_t[]){ 0, 1, 2, 0 });
    cr_expect_eq(rw_metrics_add_sequences(m, flat, flat, NULL), RW_ERR_SHAPE);
    cr_expect(strstr(rw_last_error(), "rw_metrics_add_sequences: needs real scores [T, B, 3] or int32 ids [T, B]"),
              "%s", rw_last_error());
    rw_tensor *big = rw_tensor_from_ints(rw_shape2(1, 1), (const int32_t[]){ 3 });
    cr_expect_eq(rw_metrics_add_sequences(m, big, big, NULL), RW_ERR_SHAPE);
    rw_tensor_free(big);
    rw_tensor_free(flat);
    rw_tensor_free(mask);
    rw_tensor_free(scores);
    rw_tensor_free(ids);
    rw_tensor_free(targets);
    rw_metrics_free(m);
}

Test(metrics, exact_matches_count_whole_decoded_outputs)
{
    rw_metrics *m = rw_metrics_new(4);
    cr_expect(isnan(rw_metrics_exact_match(m)), "nothing decoded yet");
    cr_assert_eq(rw_metrics_add_exact_matches(m, 3, 8), RW_OK);
    cr_assert_eq(rw_metrics_add_exact_matches(m, 2, 2), RW_OK);
    cr_expect_float_eq(rw_metrics_exact_match(m), 0.5, 1e-12);
    cr_expect(isnan(rw_metrics_sequence_accuracy(m)) && isnan(rw_metrics_accuracy(m)), "counted apart");
    cr_expect_eq(rw_metrics_add_exact_matches(m, 3, 2), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "3 right of 2"), "%s", rw_last_error());
    cr_expect_eq(rw_metrics_add_exact_matches(m, -1, 2), RW_ERR_ARG);
    rw_metric metric;
    char buf[32];
    cr_assert_eq(rw_metric_parse("exact_match", &metric), RW_OK);
    cr_expect_eq(metric.kind, RW_METRIC_EXACT_MATCH);
    cr_expect_str_eq(rw_metric_name(metric, buf, sizeof buf), "exact_match");
    cr_expect_float_eq(rw_metrics_value(m, metric), 0.5, 1e-12);
    rw_metrics_reset(m);
    cr_expect(isnan(rw_metrics_exact_match(m)));
    rw_metrics_free(m);
}
