/* Connections around the recurrent layers: residual additions, with a
 * learned projection where a layer's input and output widths differ (F29),
 * and skip connections that hand the input and every layer's outputs to the
 * read-out (F28). */
#include <stdio.h>
#include "rnn_internal.h"
#include "rewind/init.h"
#include "rewind/layers.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_gather_columns.h"
#include "rewind/ops_matmul.h"
#include "rewind/ops_shape.h"

static int layer_width(const rw_rnn *r, int l)
{
    return rw_cell_output_size(r->cells[l][0]) * (r->o.merge == RW_DIRS_CONCAT ? r->dirs : 1);
}

rw_status rwi_rnn_skip_setup(rw_params *P, rw_rnn *r, int l, int in_w, rw_rng *rng)
{
    int out_w = layer_width(r, l);
    if (l == 0)
        r->skip_width = in_w;
    r->skip_width += out_w;
    if (!r->o.residual || !r->o.residual_projection || in_w == out_w)
        return RW_OK;
    char name[300];
    snprintf(name, sizeof name, "%s.l%d.res_proj", r->name, l);
    rw_param *p = rw_params_add(P, name, rw_shape2(out_w, in_w));
    if (!p || rw_param_init(P, p, rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng) != RW_OK)
        return rw_last_status();
    r->res_proj[l] = p;
    return RW_OK;
}

rw_node *rwi_rnn_residual(rw_graph *g, const rw_rnn *r, int l, rw_node *input, rw_node *y)
{
    if (!r->o.residual || (l == 0 && !r->o.residual_projection))
        return y;
    if (r->res_proj[l]) {
        rw_node *w = rw_param_node(g, r->res_proj[l]);
        rw_node *p = input->value.dtype == RW_INT32 ? rw_gather_columns(g, w, input)
                                                    : rw_matmul_ex(g, input, w, false, true);
        return rw_add(g, y, p);
    }
    /* without a projection the widths must agree (they always do past the
     * first layer unless the cell's output width varies) */
    return input->value.dtype == RW_REAL && rw_shape_equal(y->value.shape, input->value.shape) ? rw_add(g, y, input)
                                                                                              : y;
}

rw_node *rwi_rnn_skip_concat(rw_graph *g, const rw_rnn *r, rw_node *xs, rw_node *const *layer_out, int n)
{
    rw_node *parts[RW_RNN_MAX_LAYERS + 1];
    parts[0] = xs->value.dtype == RW_INT32 ? rw_one_hot(g, xs, r->input_size) : xs;
    for (int l = 0; l < n; l++)
        parts[l + 1] = layer_out[l];
    return parts[0] ? rw_concat(g, parts, n + 1, layer_out[0]->value.shape.ndim - 1) : NULL;
}
