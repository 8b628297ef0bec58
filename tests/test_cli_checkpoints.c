/* The `rewind` command on untrusted or awkward checkpoints (issue 14): a
 * step the data cannot reach, an unwritable checkpoint found before
 * training, stale temporary files of killed writers, a vocabulary count
 * beyond its lines. */
#include "cli_harness.h"

/* ---- issue 14: untrusted checkpoints, the checkpoint directory, stale files ---- */

#include "ck_bytes.h"

/* A checkpoint whose step is 10^12 (checksum valid): refused at once instead
 * of replaying epochs of data without end. */
Test(cli, resume_refuses_a_step_the_data_cannot_reach)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char ck[128];
    snprintf(ck, sizeof ck, "%s/run/tiny.rwc", dir);
    size_t len = 0;
    unsigned char *b = rwt_read_bytes(ck, &len);
    size_t at = b ? rwt_ck_section(b, len, "STEP") : 0;
    cr_assert(at, "no STEP section in %s", ck);
    uint64_t step = 1000000000000ull;
    for (int i = 0; i < 8; i++)
        b[at + (size_t)i] = (unsigned char)(step >> (8 * i));
    rwt_ck_reseal(b, len);
    cr_assert_eq(rwt_write_bytes(ck, b, len), 0);
    free(b);
    cr_assert_eq(checkpoint_step(ck), 1000000000000L);
    time_t t0 = time(NULL);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--resume", "--steps", "2000000000000");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "step 1000000000000") && strstr(r.err, "refused"), "%s", r.err);
    cr_assert_lt(time(NULL) - t0, 30);
    run_free(&r);
}

/* A checkpoint that cannot be written is found before training, not after. */
Test(cli, an_unwritable_checkpoint_is_found_before_training)
{
    write_tiny_model();
    char sub[128];
    snprintf(sub, sizeof sub, "%s/run", dir);
    cr_assert_eq(mkdir(sub, 0700), 0, "%s", strerror(errno));
    snprintf(sub, sizeof sub, "%s/run/taken.rwc", dir);
    cr_assert_eq(mkdir(sub, 0700), 0, "%s", strerror(errno));
    const char *const where[] = { "run/taken.rwc", "/proc/self/cannot.rwc" };
    const char *const says[] = { "exists and is not a regular file", "cannot write the checkpoint" };
    for (int i = 0; i < 2; i++) {
        time_t t0 = time(NULL);
        run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "1000000000", "--checkpoint", where[i],
                           "--log", "run/unwritable.csv");
        cr_assert_eq(r.status, 1, "%s", r.err);
        cr_assert(strstr(r.err, says[i]) && strstr(r.err, where[i]), "%s", r.err);
        cr_assert_lt(time(NULL) - t0, 30, "a billion steps were not trained first");
        run_free(&r);
    }
}

/* Temporary files of killed writers are removed; a live writer's, another
 * checkpoint's and look-alike names are kept. */
Test(cli, stale_temporary_checkpoints_are_removed_safely)
{
    write_tiny_model();
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char path[256];
    snprintf(path, sizeof path, "%s/run", dir);
    mkdir(path, 0700);
    const char *const gone[] = { "tiny.rwc.tmp-%ld-0", "tiny.rwc.tmp-%ld-17" };
    const char *const kept[] = { "other.rwc.tmp-%ld-0", "tiny.rwc.tmp-%ld-x", "tiny.rwc.tmp-%ld", "tiny.rwc.tmp-%ld-0.bak" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), gone[i], (long)dead);
        write_file(path, "partial");
    }
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), kept[i], (long)dead);
        write_file(path, "partial");
    }
    snprintf(path, sizeof path, "%s/run/tiny.rwc.tmp-%ld-3", dir, (long)getpid()); /* a live writer */
    write_file(path, "partial");
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "removed 2 temporary checkpoint files"), "%s", r.err);
    run_free(&r);
    cr_assert_eq(access(path, F_OK), 0, "the live writer's file is kept");
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), gone[i], (long)dead);
        cr_assert_neq(access(path, F_OK), 0, "%s was not removed", path);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), kept[i], (long)dead);
        cr_assert_eq(access(path, F_OK), 0, "%s was removed", path);
    }
}

/* The example: 'tokens 100000000' in a checkpoint's vocabulary is
 * refused by `rewind sample` before 800 MB are allocated for it. */
Test(cli, sample_refuses_a_vocabulary_count_beyond_its_lines)
{
    write_tiny_model();
    char ck[128];
    snprintf(ck, sizeof ck, "%s/evil.rwc", dir);
    const char *keys[] = { "rewind.model", "rewind.vocab" };
    const char *values[] = { tiny_yaml, "rewind-vocab 1\ntokens 100000000\na\n" };
    rw_params *P = rw_params_new();
    cr_assert_eq(rw_checkpoint_save_ex(ck, P, NULL, NULL, 1, keys, values, 2), RW_OK, "%s", rw_last_error());
    rw_params_free(P);
    run_result r = RUN(dir, "sample", "evil.rwc");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "'tokens 100000000' but only 1 lines follow"), "%s", r.err);
    run_free(&r);
}

/* rewind sample --beam: the n best continuations, best first with their
 * scores; width 1 is greedy decoding; a bad method is a usage error. */

/* ---- issue 15: checkpoints from before character vocabularies had "<unk>" ---- */

/* tests/data/pre_unk/last.rwc was written by rewind 3adc6ab, whose byte
 * vocabularies had no "<unk>". Used through its model file (the data then
 * rebuilds the vocabulary), it keeps its vocabulary of 15 symbols instead of
 * failing on a shape; changed data is named as the cause. */
Test(cli, a_checkpoint_from_before_unk_works_through_its_model_file)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s/tests/data/pre_unk/model.yaml %s/tests/data/pre_unk/text.txt "
             "%s/tests/data/pre_unk/last.rwc %s/", getenv("RW_SOURCE_DIR"), getenv("RW_SOURCE_DIR"),
             getenv("RW_SOURCE_DIR"), dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    run_result r = RUN(dir, "eval", "model.yaml", "--checkpoint", "last.rwc");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "valid: loss"), "%s", r.out);
    run_free(&r);
    r = RUN(dir, "train", "model.yaml", "--quiet", "--resume", "--steps", "12");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cr_assert_eq(checkpoint_step(strcat(strcpy(cmd, dir), "/last.rwc")), 12);
    r = RUN(dir, "sample", "last.rwc", "--length", "20", "--seed", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(cmd, sizeof cmd, "%s/text.txt", dir);
    FILE *f = fopen(cmd, "a");
    cr_assert(f);
    fputs("XYZ\n", f); /* three symbols the checkpoint never saw */
    fclose(f);
    r = RUN(dir, "eval", "model.yaml", "--checkpoint", "last.rwc");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "another vocabulary") && strstr(r.err, "last.rwc"), "%s", r.err);
    run_free(&r);
}
