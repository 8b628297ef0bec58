/* The public face of the example kinds: what a model's output is trained
 * against, examples of more files in its format, and batches of them. */
#include "data_internal.h"

rw_model_target rw_model_target_kind(const rw_model *m) { return m ? (rw_model_target)m->target : RW_TARGET_NEXT; }

int rw_model_tag_classes(const rw_model *m)
{
    return m && (m->target == MT_LABEL || m->target == MT_TAGS) ? m->labels.n : 0;
}

int rw_model_value_width(const rw_model *m) { return m && m->loss != MLOSS_CROSS_ENTROPY ? m->value_width : 0; }

rw_seqdata *rw_model_read_examples(rw_model *m, const char *const *paths, int n)
{
    if (!m || !m->has_layers || (n > 0 && !paths) || n < 1) {
        rw_error(RW_ERR_ARG, "rw_model_read_examples: needs a model with layers and at least one file");
        return NULL;
    }
    return rwi_mdata_read_files(m, paths, n);
}

rw_model_batch rw_model_batch_of(const rw_batch *x)
{
    if (!x)
        return (rw_model_batch){ 0 };
    return (rw_model_batch){ .inputs = &x->sources, .lengths = &x->lengths, .labels = &x->labels,
                             .targets = x->target_len ? &x->targets : NULL,
                             .features = x->features.size ? &x->features : NULL,
                             .values = x->values.size ? &x->values : NULL };
}

const rw_seqdata *rw_model_examples(const rw_model *m, rw_model_split split)
{
    if (!m || !m->d || (split != RW_SPLIT_TRAIN && split != RW_SPLIT_VALID))
        return NULL;
    const rw_seqdata *d = m->d->set[split == RW_SPLIT_VALID];
    return d && rw_seqdata_count(d) > 0 ? d : NULL;
}
