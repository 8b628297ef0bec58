#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

char *rwt_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
    cr_assert_not_null(s);
    size_t got = fread(s, 1, (size_t)(n > 0 ? n : 0), f);
    s[got] = '\0';
    fclose(f);
    return s;
}

void rwt_write_in(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

rw_tensor *rwt_uniform(rw_rng *rng, rw_shape shape, double lo, double hi)
{
    rw_tensor *t = rw_tensor_new(RW_REAL, shape);
    cr_assert_not_null(t, "%s", rw_last_error());
    rw_rng_fill_uniform(rng, t, lo, hi);
    return t;
}

rw_tensor *rwt_uniform_away(rw_rng *rng, rw_shape shape, double lo, double hi, double gap)
{
    rw_tensor *t = rwt_uniform(rng, shape, lo, hi);
    for (size_t i = 0; i < t->size; i++)
        while (fabs((double)t->data[i]) < gap)
            t->data[i] = (rw_real)(lo + (hi - lo) * rw_rng_uniform(rng));
    return t;
}

rw_tensor *rwt_ints(rw_rng *rng, rw_shape shape, int lo, int hi)
{
    rw_tensor *t = rw_tensor_new(RW_INT32, shape);
    cr_assert_not_null(t, "%s", rw_last_error());
    for (size_t i = 0; i < t->size; i++)
        t->idata[i] = lo + (int32_t)rw_rng_below(rng, (uint32_t)(hi - lo));
    return t;
}

static const rwt_grad_case **cases;
static int n_cases, cap_cases;

void rwt_register_grad_cases(const rwt_grad_case *list, int n)
{
    for (int i = 0; i < n; i++) {
        if (n_cases == cap_cases) {
            cap_cases = cap_cases ? 2 * cap_cases : 64;
            cases = realloc(cases, (size_t)cap_cases * sizeof *cases);
            if (!cases)
                abort(); /* test start-up only */
        }
        cases[n_cases++] = &list[i];
    }
}

int rwt_grad_case_count(void) { return n_cases; }
const rwt_grad_case *rwt_grad_case_at(int i) { return cases[i]; }

typedef struct run_ctx {
    const rwt_grad_case *c;
    const rwt_grad_data *d;
} run_ctx;

static rw_node *run_build(rw_graph *g, rw_node *const *in, void *ctx)
{
    const run_ctx *r = ctx;
    return r->c->build(g, in, r->d);
}

rw_status rwt_run_grad_case(const rwt_grad_case *c, rw_gradcheck_report *rep)
{
    rwt_grad_data d = { 0 };
    rw_rng rng = rw_rng_seed(1234);
    c->setup(&rng, &d);
    run_ctx r = { c, &d };
    rw_gradcheck_opts o = { .tol = c->tol };
    rw_status st = rw_gradcheck(run_build, &r, d.in, d.n, NULL, &o, rep);
    for (int i = 0; i < RWT_MAX_INPUTS; i++) {
        rw_tensor_free(d.in[i]);
        rw_tensor_free(d.aux[i]);
    }
    return st;
}

rw_rnn *rwt_rnn_perturbed(rw_params *P, const rw_cell_def *cell, rw_rnn_spec spec, int X, int H, uint64_t seed)
{
    rw_rng rng = rw_rng_seed(seed);
    spec.name = "r";
    spec.cell = cell;
    spec.input_size = X;
    spec.hidden = H;
    rw_rnn *r = rw_rnn_new(P, &spec, &rng);
    for (int i = 0; r && i < rw_params_count(P); i++) {
        rw_tensor *v = rw_params_at(P, i)->value;
        for (size_t k = 0; k < v->size; k++)
            v->data[k] += (rw_real)(0.3 * (rw_rng_uniform(&rng) - 0.5));
    }
    return r;
}

int rwt_count_prefixed(const rw_model *m, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < rw_params_count(rw_model_params(m)); i++)
        n += !strncmp(rw_params_at(rw_model_params(m), i)->name, prefix, strlen(prefix));
    return n;
}

rw_train_result rwt_train_model(rw_model *m, long steps)
{
    rw_optim *opt = rw_model_optim_new(m);
    cr_assert_not_null(opt, "%s", rw_last_error());
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    if (steps > 0) {
        o.epochs = 0;
        o.max_steps = steps;
    }
    o.valid_every = 0;
    o.checkpoint_path = NULL;
    rw_train_result r;
    cr_assert_eq(rw_train(rw_model_params(m), opt, rw_model_source(m, RW_SPLIT_TRAIN, NULL), rw_model_loss_fn, m, &o,
                          &r), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    return r;
}

char *rwt_summary_of(const rw_model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    rw_model_print_summary(f, m);
    fclose(f);
    return text;
}
