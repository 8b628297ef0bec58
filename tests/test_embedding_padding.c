/* The C embedding layer takes a padded batch from rw_batcher as it comes:
 * the padding id -1 gives a zero row and no gradient, real ids their rows. */
#include <string.h>
#include "rw_test.h"

enum { V = 6, D = 3 };

Test(embedding, padded_batch_from_batcher_gives_zero_rows_and_no_gradient)
{
    rw_seqdata *data = rw_seqdata_new();
    const int32_t a[4] = { 1, 2, 3, 4 }, b[2] = { 5, 1 };
    cr_assert_eq(rw_seqdata_add(data, a, 4, NULL, 0, -1), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_seqdata_add(data, b, 2, NULL, 0, -1), RW_OK, "%s", rw_last_error());
    rw_batcher *batcher = rw_batcher_new(data, &(rw_batcher_opts){ .batch_size = 2, .seed = 3 });
    cr_assert_not_null(batcher, "%s", rw_last_error());
    cr_assert_eq(rw_batcher_start_epoch(batcher, 0), RW_OK);
    const rw_batch *x = rw_batcher_next(batcher);
    cr_assert_not_null(x);
    cr_assert_eq(x->source_len, 4);

    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_embedding *emb = rw_embedding_new(P, "emb", V, D, &rng);
    cr_assert_not_null(emb, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *ids = rw_const(g, &x->sources);
    rw_node *y = rw_embedding_apply(g, emb, ids); /* [4, 2, D] */
    cr_assert_not_null(y, "a padded batch is embedded: %s", rw_last_error());
    cr_assert(rw_shape_equal(y->value.shape, rw_shape3(4, 2, D)));

    int pads = 0;
    for (size_t k = 0; k < x->sources.size; k++) {
        int32_t id = x->sources.idata[k];
        const rw_real *row = y->value.data + k * D;
        for (int j = 0; j < D; j++)
            cr_assert_eq(row[j], id == RW_PAD ? 0 : emb->E->value->data[id * D + j], "position %zu", k);
        pads += id == RW_PAD;
    }
    cr_assert_eq(pads, 2, "the short sequence is padded twice");

    /* Gradient: every output element weighs 1, so row v of dE counts the
     * real occurrences of id v; the padding adds to no row. */
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK, "%s", rw_last_error());
    int count[V] = { 0 };
    for (size_t k = 0; k < x->sources.size; k++)
        if (x->sources.idata[k] >= 0)
            count[x->sources.idata[k]]++;
    for (int v = 0; v < V; v++)
        for (int j = 0; j < D; j++)
            cr_assert_eq(emb->E->grad->data[v * D + j], (rw_real)count[v], "row %d", v);

    rw_graph_free(g);
    rw_embedding_free(emb);
    rw_params_free(P);
    rw_batcher_free(batcher);
    rw_seqdata_free(data);
}

Test(embedding, other_negative_ids_stay_errors)
{
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_embedding *emb = rw_embedding_new(P, "emb", V, D, &rng);
    rw_tensor *ids = rw_tensor_from_ints(rw_shape1(2), (const int32_t[]){ 0, -3 });
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_embedding_apply(g, emb, rw_const(g, ids)));
    cr_assert(strstr(rw_last_error(), "id -3 at position [1]"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(ids);
    rw_embedding_free(emb);
    rw_params_free(P);
}
