/* Issue 14: counts read from a checkpoint or its metadata are bounded by the
 * bytes present before anything is allocated for them, and a checkpoint
 * whose names repeat is refused without comparing every pair. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ck_bytes.h"
#include "rw_test.h"

/* A 40-byte vocabulary claiming 10^8 tokens made `rewind sample` allocate
 * 800 MB before failing; the count is now checked against the lines. */
Test(checkpoint_bounds, a_vocabulary_count_beyond_its_lines_is_refused_before_allocating)
{
    rw_vocab tokens = { 0 }, labels = { 0 };
    size_t before = rw_system_alloc_count();
    cr_assert_neq(rw_vocab_from_text(&tokens, &labels, "rewind-vocab 1\ntokens 100000000\na\n"), RW_OK);
    cr_assert(strstr(rw_last_error(), "'tokens 100000000' but only 1 lines follow"), "%s", rw_last_error());
    cr_assert_eq(rw_system_alloc_count(), before, "nothing was allocated for the claimed tokens");
    cr_assert_neq(rw_vocab_from_text(&tokens, &labels, "rewind-vocab 1\ntokens 2\na\nb\nlabels 99999999\nx\n"),
                  RW_OK);
    cr_assert(strstr(rw_last_error(), "'labels 99999999' but only 1 lines follow"), "%s", rw_last_error());
    rw_vocab_free(&tokens);
    rw_vocab_free(&labels);
    /* an honest one still reads */
    cr_assert_eq(rw_vocab_from_text(&tokens, &labels, "rewind-vocab 1\ntokens 2\na\nb\n"), RW_OK, "%s",
                 rw_last_error());
    cr_assert_eq(tokens.n, 2);
    rw_vocab_free(&tokens);
    rw_vocab_free(&labels);
}

/* Two parameters "pa" and "pb"; "pb" renamed to "pa" in the bytes and the
 * file resealed, so that only the duplicate check can refuse it. Many
 * distinct names (sorted, not compared pairwise) still load. */
Test(checkpoint_bounds, repeated_names_are_refused_and_many_names_load)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/rw_ckb_%d.rwc", (int)getpid());
    rw_params *P = rw_params_new();
    cr_assert_not_null(rw_params_add(P, "pa", rw_shape1(2)));
    cr_assert_not_null(rw_params_add(P, "pb", rw_shape1(2)));
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 1), RW_OK, "%s", rw_last_error());
    size_t len = 0;
    unsigned char *b = rwt_read_bytes(path, &len);
    cr_assert_not_null(b);
    unsigned char *pb = memmem(b, len, "pb", 3);
    cr_assert_not_null(pb);
    pb[1] = 'a';
    rwt_ck_reseal(b, len);
    cr_assert_eq(rwt_write_bytes(path, b, len), 0);
    free(b);
    cr_assert_null(rw_checkpoint_open(path));
    cr_assert(strstr(rw_last_error(), "parameter 'pa' appears twice"), "%s", rw_last_error());
    rw_params_free(P);

    enum { MANY = 20000 };
    P = rw_params_new();
    for (int i = 0; i < MANY; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%d", i);
        cr_assert_not_null(rw_params_add(P, name, rw_shape1(1)));
    }
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 1), RW_OK, "%s", rw_last_error());
    rw_checkpoint *ck = rw_checkpoint_open(path);
    cr_assert_not_null(ck, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_param_count(ck), MANY);
    rw_checkpoint_close(ck);
    rw_params_free(P);
    unlink(path);
}
