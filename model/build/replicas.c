/* train.replicas: the copies of a model that data-parallel training in
 * threads runs on (rw_train_opts.replicas). Each copy is the model built
 * again from its own text and settings, without data, on a store that then
 * shares the model's values; its dropout has a generator of its own, which
 * rw_train keeps in step with the model's. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yaml/diag.h"
#include "model_internal.h"
#include "seq2seq_internal.h"

rw_status rwi_mreplicas_keep_overrides(rw_model *m, const rw_model_load_opts *o)
{
    if (o->n_overrides <= 0)
        return RW_OK;
    if (!(m->overrides = rwi_calloc((size_t)o->n_overrides, sizeof *m->overrides, "the model's settings")))
        return RW_ERR_NOMEM;
    m->n_overrides = o->n_overrides;
    for (int i = 0; i < o->n_overrides; i++)
        if (o->overrides[i] && !(m->overrides[i] = rwi_strdup(o->overrides[i], "a setting")))
            return RW_ERR_NOMEM;
    return RW_OK;
}

void rwi_mreplicas_free(rw_model *m)
{
    for (int i = 0; i < m->n_replicas; i++)
        rw_model_free(m->replicas[i]);
    rwi_free(m->replicas);
    rwi_free(m->replica_list);
    for (int i = 0; i < m->n_overrides; i++)
        rwi_free(m->overrides[i]);
    rwi_free(m->overrides);
    m->replicas = NULL;
    m->replica_list = NULL;
    m->overrides = NULL;
    m->n_replicas = m->n_overrides = 0;
}

/* The file's plugins are loaded into the process already, by the model. */
static rw_status plugins_loaded(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    return RW_OK;
}

static rw_model *copy_of(rw_model *m)
{
    char *vocab = m->vocab.tok ? rw_model_vocab_string(m) : NULL;
    if (m->vocab.tok && !vocab)
        return NULL;
    rw_model_load_opts lo = { .base_dir = m->base_dir, .skip_data = true, .vocab = vocab,
                              .overrides = (const char *const *)m->overrides, .n_overrides = m->n_overrides,
                              .skip_init = true, .load_plugin = plugins_loaded };
    rw_model *r = rw_model_load_string(rw_model_text(m), m->src->name, &lo);
    rwi_free(vocab);
    if (r && rw_params_share_values(r->P, m->P) != RW_OK) {
        rw_model_free(r);
        return NULL;
    }
    if (r)
        r->replica_of = m;
    return r;
}

rw_status rw_model_set_replicas(rw_model *m, int n)
{
    if (!m || n < 1 || n > M_MAX_REPLICAS)
        return rw_error(RW_ERR_ARG, "rw_model_set_replicas: %s", !m ? "NULL model" : "replicas must be 1 to 64");
    if (m->n_replicas > 0 && n - 1 != m->n_replicas)
        return rw_error(RW_ERR_STATE, "rw_model_set_replicas: the model's %d copies are made already",
                        m->n_replicas);
    m->train.replicas = n;
    return RW_OK;
}

rw_status rwi_mreplicas_train_opts(rw_model *m, rw_train_opts *o)
{
    int want = m->train.replicas - 1;
    if (want < 1)
        return RW_OK;
    if (!m->replicas) {
        m->replicas = rwi_calloc((size_t)want, sizeof *m->replicas, "the model's copies");
        m->replica_list = rwi_calloc((size_t)want, sizeof *m->replica_list, "the model's copies");
        if (!m->replicas || !m->replica_list)
            return RW_ERR_NOMEM;
        for (; m->n_replicas < want; m->n_replicas++) {
            rw_model *r = copy_of(m);
            if (!r) {
                rw_error_prefix("train.replicas: copy %d of model '%s'", m->n_replicas + 1, m->name);
                return rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_STATE;
            }
            if (m->s2s)
                r->s2s->step = m->s2s->step; /* the teacher-forcing clock (rwi_ms2s_set_clock keeps them equal) */
            m->replicas[m->n_replicas] = r;
            m->replica_list[m->n_replicas] = (rw_train_replica){ .P = r->P, .loss_ctx = r, .rng = &r->rng };
        }
    }
    o->replicas = m->train.replicas;
    o->replica_list = m->replica_list;
    return RW_OK;
}
