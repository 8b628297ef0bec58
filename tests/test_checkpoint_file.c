/* The checkpoint file as core sees it: state tensors and opaque blobs written
 * and read back without an optimizer, the writer's refusals, and files of
 * format version 1 (tests/data/checkpoint_v1.rwc, written by rewind 0.1
 * before the optimizer's state became a blob) still loading exactly. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char path[1024];

static void make_path(void)
{
    const char *base = getenv("RW_BINARY_DIR");
    snprintf(path, sizeof path, "%s/rw-ckfile-%ld.rwc", base && base[0] ? base : "/tmp", (long)getpid());
}

static void remove_path(void) { unlink(path); }

TestSuite(checkpoint_file, .init = make_path, .fini = remove_path);

static rw_params *small_model(void)
{
    rw_params *P = rw_params_new();
    rw_param *W = rw_params_add(P, "W", rw_shape2(2, 3));
    rw_param *b = rw_params_add(P, "b", rw_shape1(3));
    for (int k = 0; k < 6; k++)
        W->value->data[k] = (rw_real)(k * 0.25);
    for (int k = 0; k < 3; k++)
        b->value->data[k] = (rw_real)(-k);
    return P;
}

Test(checkpoint_file, state_tensors_and_blobs_round_trip)
{
    rw_params *P = small_model();
    rw_tensor *s = rw_tensor_new(RW_REAL, rw_shape1(4));
    for (int k = 0; k < 4; k++)
        s->data[k] = (rw_real)(k + 0.5);
    const unsigned char bytes[] = { 0, 1, 2, 0xFF, 0 };
    rw_checkpoint_writer *w = rw_checkpoint_writer_new(path, P, 17);
    cr_assert_not_null(w, "%s", rw_last_error());
    cr_assert_str_eq(rw_checkpoint_writer_path(w), path);
    cr_assert_eq(rw_checkpoint_put_meta(w, "k", "v"), RW_OK);
    cr_assert_eq(rw_checkpoint_put_tensor(w, "mine.s", s), RW_OK);
    cr_assert_eq(rw_checkpoint_put_blob(w, "mine", bytes, sizeof bytes), RW_OK);
    cr_assert_eq(rw_checkpoint_put_blob(w, "empty", NULL, 0), RW_OK);
    cr_assert_eq(rw_checkpoint_put_blob(w, "mine", bytes, 1), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "blob 'mine' is given twice") != NULL, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_commit(w), RW_ERR_ARG, "a failed put refuses the commit");
    cr_assert(strstr(rw_last_error(), "adding something to it failed earlier") != NULL, "%s", rw_last_error());
    cr_assert_eq(access(path, F_OK), -1, "nothing written");
    rw_checkpoint_writer_free(w);

    w = rw_checkpoint_writer_new(path, P, 17);
    cr_assert_eq(rw_checkpoint_put_meta(w, "k", "v"), RW_OK);
    cr_assert_eq(rw_checkpoint_put_tensor(w, "mine.s", s), RW_OK);
    cr_assert_eq(rw_checkpoint_put_blob(w, "mine", bytes, sizeof bytes), RW_OK);
    cr_assert_eq(rw_checkpoint_put_blob(w, "empty", NULL, 0), RW_OK);
    cr_assert_eq(rw_checkpoint_commit(w), RW_OK, "%s", rw_last_error());
    rw_checkpoint_writer_free(w);

    rw_checkpoint *ck = rw_checkpoint_open(path);
    cr_assert_not_null(ck, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_version(ck), 2);
    cr_assert_eq(rw_checkpoint_step(ck), 17);
    cr_assert_eq(rw_checkpoint_blob_count(ck), 2);
    cr_assert_str_eq(rw_checkpoint_blob_name(ck, 1), "empty");
    size_t n = 99;
    const unsigned char *got = rw_checkpoint_blob(ck, "mine", &n);
    cr_assert(got && n == sizeof bytes && memcmp(got, bytes, n) == 0);
    cr_assert_not_null(rw_checkpoint_blob(ck, "empty", &n));
    cr_assert_eq(n, 0);
    cr_assert_null(rw_checkpoint_blob(ck, "none", NULL));
    cr_assert_null(rw_checkpoint_optim_name(ck), "a blob not called 'optimizer' is no optimizer");
    int i = rw_checkpoint_state_find(ck, "mine.s");
    cr_assert_eq(i, 0);
    rw_tensor *back = rw_tensor_new(RW_REAL, rw_shape1(4));
    cr_assert_eq(rw_checkpoint_state_read(ck, i, back), RW_OK, "%s", rw_last_error());
    cr_assert(memcmp(back->data, s->data, 4 * sizeof(rw_real)) == 0);
    rw_tensor *wrong = rw_tensor_new(RW_REAL, rw_shape1(5));
    cr_assert_eq(rw_checkpoint_state_check(ck, i, wrong), RW_ERR_SHAPE);
    cr_assert(strstr(rw_last_error(), "state tensor 'mine.s' has shape [4] in the file") != NULL, "%s",
              rw_last_error());
    cr_assert_str_eq(rw_checkpoint_meta(ck, "k"), "v");
    rw_checkpoint_close(ck);
    rw_tensor_free(s);
    rw_tensor_free(back);
    rw_tensor_free(wrong);
    rw_params_free(P);
}

Test(checkpoint_file, a_nan_state_tensor_is_refused)
{
    rw_params *P = small_model();
    rw_tensor *s = rw_tensor_new(RW_REAL, rw_shape1(2));
    s->data[1] = (rw_real)NAN;
    rw_checkpoint_writer *w = rw_checkpoint_writer_new(path, P, 0);
    cr_assert_eq(rw_checkpoint_put_tensor(w, "x", s), RW_OK);
    cr_assert_eq(rw_checkpoint_commit(w), RW_ERR_NUMERIC);
    cr_assert(strstr(rw_last_error(), "state tensor 'x' holds nan at element 1") != NULL, "%s", rw_last_error());
    rw_checkpoint_writer_free(w);
    cr_assert_null(rw_checkpoint_writer_new(path, P, -1));
    cr_assert(strstr(rw_last_error(), "training step -1") != NULL, "%s", rw_last_error());
    rw_tensor_free(s);
    rw_params_free(P);
}

Test(checkpoint_file, version_1_files_still_load)
{
    const char *v1 = "tests/data/checkpoint_v1.rwc";
    rw_checkpoint *ck = rw_checkpoint_open(v1);
    cr_assert_not_null(ck, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_version(ck), 1);
    cr_assert_str_eq(rw_checkpoint_optim_name(ck), "sgd");
    cr_assert_eq(rw_checkpoint_optim_steps(ck), 7);
    cr_assert_float_eq(rw_checkpoint_optim_lr(ck), 0.05, 1e-15);
    cr_assert_str_eq(rw_checkpoint_meta(ck, "note"), "written by rewind 0.1, checkpoint format version 1");
    rw_checkpoint_close(ck);

    rw_params *P = small_model();
    for (int i = 0; i < rw_params_count(P); i++)
        rw_tensor_fill(rw_params_at(P, i)->value, 9);
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.1, .momentum = 0.9 });
    rw_rng rng = rw_rng_seed(1);
    long step = 0;
    cr_assert_eq(rw_checkpoint_load(v1, P, opt, &rng, &step), RW_OK, "%s", rw_last_error());
    rw_params *want = small_model();
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *a = rw_params_at(P, i)->value, *b = rw_params_at(want, i)->value;
        cr_assert(memcmp(a->data, b->data, a->size * sizeof(rw_real)) == 0, "parameter %d", i);
    }
    for (int i = 0; i < rw_optim_state_count(opt); i++) {
        const rw_tensor *t = rw_optim_state_at(opt, i, NULL);
        for (size_t k = 0; k < t->size; k++)
            cr_assert_eq(t->data[k], (rw_real)(i + 0.5 * k), "state %d element %zu", i, k);
    }
    cr_assert_eq(rw_optim_steps(opt), 7);
    cr_assert_float_eq(rw_optim_lr(opt), 0.05, 1e-15);
    rw_rng seeded = rw_rng_seed(9);
    cr_assert(rng.key == seeded.key && rng.counter == seeded.counter);
    cr_assert_eq(step, 42);
    /* Another optimizer kind is refused as before. */
    rw_optim *adam = rw_adam_new(P, NULL);
    cr_assert_eq(rw_checkpoint_load(v1, P, adam, NULL, NULL), RW_ERR_SHAPE);
    cr_assert(strstr(rw_last_error(), "the file's optimizer is 'sgd' but the one given is 'adam'") != NULL, "%s",
              rw_last_error());
    rw_optim_free(adam);
    rw_optim_free(opt);
    rw_params_free(P);
    rw_params_free(want);
}
