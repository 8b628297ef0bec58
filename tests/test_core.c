/* Tensors, shapes, the arena, the RNG, parameters and errors. */
#include <string.h>
#include "rw_test.h"

Test(tensor, shapes_and_strings)
{
    char b[64];
    cr_assert_str_eq(rw_shape_str(rw_shape3(2, 3, 4), b, sizeof b), "[2, 3, 4]");
    cr_assert_str_eq(rw_shape_str(rw_shape_scalar(), b, sizeof b), "[]");
    cr_assert_eq(rw_shape_size(rw_shape4(2, 3, 4, 5)), 120);
    cr_assert_eq(rw_shape_size(rw_shape_scalar()), 1);
    cr_assert_eq(rw_shape_rows(rw_shape3(2, 3, 4)), 6);
    cr_assert(rw_shape_equal(rw_shape2(2, 3), rw_shape2(2, 3)));
    cr_assert(!rw_shape_equal(rw_shape2(2, 3), rw_shape2(3, 2)));
}

Test(tensor, bad_shapes_are_errors_not_crashes)
{
    cr_assert_null(rw_tensor_new(RW_REAL, rw_shape2(3, 0)));
    cr_assert(strstr(rw_last_error(), "[3, 0]") != NULL, "%s", rw_last_error());
    rw_shape s = { .ndim = 5 };
    cr_assert_null(rw_tensor_new(RW_REAL, s));
    cr_assert_null(rw_tensor_new(RW_REAL, rw_shape4(1 << 20, 1 << 20, 1 << 20, 1 << 20)));
}

Test(tensor, copy_clone_and_index)
{
    rw_real v[6] = { 1, 2, 3, 4, 5, 6 };
    rw_tensor *t = rw_tensor_from(rw_shape2(2, 3), v);
    rw_tensor *c = rw_tensor_clone(t);
    cr_assert_eq(c->data[5], 6);
    int idx[2] = { 1, 2 };
    cr_assert_eq(rw_tensor_index(t, idx), 5);
    rw_tensor *wrong = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    cr_assert_eq(rw_tensor_copy(wrong, t), RW_ERR_SHAPE);
    rw_tensor_free(t);
    rw_tensor_free(c);
    rw_tensor_free(wrong);
}

Test(arena, aligned_growing_and_reset)
{
    rw_arena *a = rw_arena_new(1024);
    void *p = rw_arena_alloc(a, 10), *q = rw_arena_alloc(a, 10);
    cr_assert_eq((uintptr_t)p % 64, 0);
    cr_assert_eq((uintptr_t)q % 64, 0);
    void *big = rw_arena_alloc(a, 100000); /* more than the chunk: a new chunk */
    cr_assert_not_null(big);
    memset(big, 1, 100000);
    rw_arena_stats s = rw_arena_get_stats(a);
    cr_assert_geq(s.high_water, 100000);
    rw_arena_reset(a);
    size_t allocs = rw_arena_get_stats(a).system_allocs;
    cr_assert_not_null(rw_arena_alloc(a, 10));
    cr_assert_not_null(rw_arena_alloc(a, 100000));
    cr_assert_eq(rw_arena_get_stats(a).system_allocs, allocs, "the merged chunk holds a whole step");
    cr_assert_eq(rw_arena_get_stats(a).used, 64 + 100032);
    rw_arena_free(a);
}

Test(arena, impossible_allocation_is_an_error)
{
    rw_arena *a = rw_arena_new(1024);
    cr_assert_null(rw_arena_alloc(a, SIZE_MAX - 10));
    cr_assert_eq(rw_last_status(), RW_ERR_NOMEM);
    cr_assert_not_null(rw_arena_alloc(a, 10), "the arena still works");
    rw_arena_free(a);
}

Test(rng, reproducible_and_independent)
{
    rw_rng a = rw_rng_seed(42), b = rw_rng_seed(42), c = rw_rng_seed(43);
    for (int i = 0; i < 100; i++) {
        uint64_t x = rw_rng_u64(&a);
        cr_assert_eq(x, rw_rng_u64(&b));
        cr_assert_neq(x, rw_rng_u64(&c));
    }
    rw_rng saved = a; /* two words of state resume the stream */
    uint64_t next = rw_rng_u64(&a);
    cr_assert_eq(rw_rng_u64(&saved), next);
}

Test(rng, distributions)
{
    rw_rng r = rw_rng_seed(1);
    double s = 0, s2 = 0, u = 0;
    int counts[7] = { 0 };
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = rw_rng_normal(&r);
        s += z;
        s2 += z * z;
        double v = rw_rng_uniform(&r);
        cr_assert(v >= 0 && v < 1);
        u += v;
        counts[rw_rng_below(&r, 7)]++;
    }
    cr_assert_lt(fabs(s / n), 0.01);
    cr_assert_lt(fabs(s2 / n - 1), 0.02);
    cr_assert_lt(fabs(u / n - 0.5), 0.005);
    for (int k = 0; k < 7; k++)
        cr_assert_lt(fabs(counts[k] / (double)n - 1.0 / 7), 0.005, "bucket %d", k);
}

Test(params, named_store)
{
    rw_params *P = rw_params_new();
    rw_param *w = rw_params_add(P, "layer.W", rw_shape2(3, 4));
    cr_assert_not_null(w);
    cr_assert_null(rw_params_add(P, "layer.W", rw_shape1(2)));
    cr_assert(strstr(rw_last_error(), "already exists") != NULL);
    cr_assert_null(rw_params_add(P, "", rw_shape1(2)));
    cr_assert_not_null(rw_params_add(P, "b", rw_shape1(4)));
    cr_assert_eq(rw_params_get(P, "b")->index, 1);
    cr_assert_null(rw_params_get(P, "c"));
    cr_assert_eq(rw_params_size(P), 16);
    w->grad->data[3] = 7;
    rw_params_zero_grad(P);
    cr_assert_eq(w->grad->data[3], 0);
    rw_params_free(P);
}

Test(errors, prefix_and_clear)
{
    rw_error(RW_ERR_IO, "cannot open %s", "x.txt");
    rw_error_prefix("loading model");
    cr_assert_str_eq(rw_last_error(), "loading model: cannot open x.txt");
    cr_assert_eq(rw_last_status(), RW_ERR_IO);
    rw_error_clear();
    cr_assert_str_eq(rw_last_error(), "");
    cr_assert_str_eq(rw_status_name(RW_ERR_SHAPE), "shape error");
}
