/* A small classification task, a data source over fixed batches, and
 * helpers shared by the tests of the training loop (test_train*.c). */
#ifndef RW_TRAIN_FIXTURE_H
#define RW_TRAIN_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"
#include "rewind/checkpoint.h"
#include "rewind/train.h"

/* ---- a small classification task ---------------------------------------- */

#define IN 2
#define HID 16
#define CLS 3
#define MAXB 16

typedef struct batch {
    rw_tensor *x;   /* [n, IN] */
    rw_tensor *y;   /* [n] */
    bool valid;     /* a validation batch */
} batch;

/* A data source over a fixed list of batches. */
typedef struct source {
    batch *b[MAXB];
    int n, at, epochs_started;
} source;

static inline rw_status src_start(void *ctx, int epoch)
{
    source *s = ctx;
    (void)epoch;
    s->at = 0;
    s->epochs_started++;
    return RW_OK;
}

static inline rw_status src_next(void *ctx, void **out)
{
    source *s = ctx;
    *out = s->at < s->n ? s->b[s->at++] : NULL;
    return RW_OK;
}

static inline long src_tokens(void *ctx, const void *b)
{
    (void)ctx;
    return (long)((const batch *)b)->y->size;
}

static inline rw_train_source as_source(source *s)
{
    return (rw_train_source){ .start_epoch = src_start, .next = src_next, .tokens = src_tokens, .ctx = s };
}

static inline batch *new_batch(int n, bool valid)
{
    batch *b = calloc(1, sizeof *b);
    b->x = rw_tensor_new(RW_REAL, rw_shape2(n, IN));
    b->y = rw_tensor_new(RW_INT32, rw_shape1(n));
    b->valid = valid;
    return b;
}

static inline void free_source(source *s)
{
    for (int i = 0; i < s->n; i++) {
        rw_tensor_free(s->b[i]->x);
        rw_tensor_free(s->b[i]->y);
        free(s->b[i]);
    }
}

/* Three Gaussian blobs, `nb` batches of `per` points. */
static inline void make_blobs(source *s, rw_rng *rng, int nb, int per)
{
    static const double centre[CLS][IN] = { { 1, 0 }, { -0.5, 0.9 }, { -0.5, -0.9 } };
    s->n = nb;
    for (int k = 0; k < nb; k++) {
        batch *b = s->b[k] = new_batch(per, false);
        for (int i = 0; i < per; i++) {
            int c = (int)rw_rng_below(rng, CLS);
            b->y->idata[i] = c;
            for (int d = 0; d < IN; d++)
                b->x->data[i * IN + d] = (rw_real)(centre[c][d] + 0.35 * rw_rng_normal(rng));
        }
    }
}

typedef struct model {
    rw_params *P;
    rw_param *W1, *b1, *W2, *b2;
    int calls, eval_calls, train_mode_in_eval, eval_mode_in_train;
    int fail_at;          /* the loss callback fails at this call (0: never) */
    int nan_at;           /* at this training call, W2[4] becomes NaN (0: never) */
} model;

static inline void model_init(model *m, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    rw_rng rng = rw_rng_seed(seed);
    m->P = rw_params_new();
    m->W1 = rw_params_add(m->P, "W1", rw_shape2(IN, HID));
    m->b1 = rw_params_add(m->P, "b1", rw_shape1(HID));
    m->W2 = rw_params_add(m->P, "W2", rw_shape2(HID, CLS));
    m->b2 = rw_params_add(m->P, "b2", rw_shape1(CLS));
    rw_rng_fill_normal(&rng, m->W1->value, 0, 1.0);
    rw_rng_fill_normal(&rng, m->W2->value, 0, 0.25);
}

static inline rw_node *forward(rw_graph *g, model *m, const batch *b)
{
    rw_node *h = rw_tanh(g, rw_add(g, rw_matmul(g, rw_const(g, b->x), rw_param_node(g, m->W1)),
                                   rw_param_node(g, m->b1)));
    rw_node *logits = rw_add(g, rw_matmul(g, h, rw_param_node(g, m->W2)), rw_param_node(g, m->b2));
    return rw_cross_entropy(g, logits, rw_const(g, b->y));
}

static inline rw_node *model_loss(rw_graph *g, void *vb, void *ctx)
{
    model *m = ctx;
    const batch *b = vb;
    m->calls++;
    if (b->valid) {
        m->eval_calls++;
        m->train_mode_in_eval += rw_graph_is_training(g);
    } else {
        m->eval_mode_in_train += !rw_graph_is_training(g);
    }
    if (m->fail_at && m->calls == m->fail_at) {
        rw_error(RW_ERR_ARG, "the model refuses batch %d", m->calls);
        return NULL;
    }
    if (m->nan_at && !b->valid && m->calls == m->nan_at)
        m->W2->value->data[4] = NAN;
    return forward(g, m, b);
}

static inline rw_real *snapshot(const rw_params *P)
{
    rw_real *v = malloc(rw_params_size(P) * sizeof(rw_real)), *at = v;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *t = rw_params_at(P, i)->value;
        memcpy(at, t->data, t->size * sizeof(rw_real));
        at += t->size;
    }
    return v;
}

static inline bool params_equal(const rw_params *P, const rw_real *v)
{
    rw_real *now = snapshot(P);
    bool eq = memcmp(now, v, rw_params_size(P) * sizeof(rw_real)) == 0;
    free(now);
    return eq;
}

static inline char *temp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "/tmp/rw_test_train_%d_%s", (int)getpid(), name);
    return p;
}

/* ---- progress recording -------------------------------------------------- */

typedef struct recorder {
    double loss[512], norm[512], lr[512];
    long step[512];
    int n;
    rw_params *P;
    rw_real *best, *last;     /* params at the latest improvement / the latest step */
    volatile sig_atomic_t *stop;
    long stop_at;
} recorder;

static inline void record(const rw_train_progress *p, void *ctx)
{
    recorder *r = ctx;
    if (r->n < 512 && !(p->validated && r->n && r->step[r->n - 1] == p->step)) {
        r->loss[r->n] = p->loss;
        r->norm[r->n] = p->grad_norm;
        r->lr[r->n] = p->lr;
        r->step[r->n++] = p->step;
    }
    if (r->P) {
        free(r->last);
        r->last = snapshot(r->P);
        if (p->validated && p->best_step == p->step) {
            free(r->best);
            r->best = snapshot(r->P);
        }
    }
    if (r->stop && p->step == r->stop_at)
        *r->stop = 1;
}

static inline rw_optim *sgd(rw_params *P, double lr) { return rw_sgd_new(P, &(rw_sgd_opts){ .lr = lr, .momentum = 0.9 }); }


#endif
