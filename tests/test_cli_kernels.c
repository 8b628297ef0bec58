/* Generation gives the same text whatever kernels run it (issue 17): the
 * fast paths of batch-1 decoding (the small-row product of ops/gemm_small.c,
 * the vectorized exp/tanh/sigmoid of ops/fastmath.c) against the reference
 * ones (BLIS's product, the C library's functions), chosen per process with
 * RW_SMALL_GEMM and RW_FASTMATH. The two differ in the last bits of a value
 * at most, which a sampled or decoded text of a trained model never shows. */
#include "cli_harness.h"

/* What `rewind sample ARGS` prints with the given kernels. */
static char *sample_with(const char *small_gemm, const char *fastmath, const char *const *args)
{
    setenv("RW_SMALL_GEMM", small_gemm, 1);
    setenv("RW_FASTMATH", fastmath, 1);
    run_result r = run_in(dir, "sample", args);
    unsetenv("RW_SMALL_GEMM");
    unsetenv("RW_FASTMATH");
    cr_assert_eq(r.status, 0, "RW_SMALL_GEMM=%s RW_FASTMATH=%s: %s", small_gemm, fastmath, r.err);
    free(r.err);
    return r.out;
}

/* The switches are obeyed: `rewind info` names the kernels in use. */
Test(cli, the_kernel_switches_are_obeyed)
{
    setenv("RW_SMALL_GEMM", "off", 1);
    setenv("RW_FASTMATH", "c", 1);
    run_result r = RUN(dir, "info");
    unsetenv("RW_SMALL_GEMM");
    unsetenv("RW_FASTMATH");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "small gemm:    off\n") && strstr(r.out, "fast math:     c\n"), "%s", r.out);
    run_free(&r);
}

Test(cli, fast_and_reference_kernels_generate_the_same_text)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "30");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    const char *const runs[][12] = {
        { "sample", "run/tiny.rwc", "--length", "400", "--seed", "11", NULL },
        { "sample", "run/tiny.rwc", "--length", "400", "--seed", "11", "--temperature", "0.5", "--top-k", "5", NULL },
        { "sample", "run/tiny.rwc", "--method", "greedy", "--length", "100", NULL },
        { "sample", "run/tiny.rwc", "--beam", "4", "--nbest", "2", "--length", "40", NULL },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char *fast = sample_with("avx512", "avx512", runs[i]); /* the widest each CPU has */
        char *reference = sample_with("off", "c", runs[i]);
        cr_assert_gt(strlen(fast), 40, "run %zu printed '%s'", i, fast);
        cr_assert_str_eq(fast, reference, "run %zu: the kernels changed the text", i);
        free(fast);
        free(reference);
    }
}

/* The same seed gives the same text as before the generation work: the
 * files beside tests/data/pre_unk/last.rwc were printed by rewind 3adc6ab
 * (BLIS packing every product, no small-row kernel, the C library's exp),
 * from this checkpoint, with these arguments. */
Test(cli, sampling_prints_the_text_of_the_build_before_the_fast_paths)
{
    const char *source = getenv("RW_SOURCE_DIR");
    cr_assert(source, "RW_SOURCE_DIR is not set");
    char checkpoint[1024], expected_path[1024];
    snprintf(checkpoint, sizeof checkpoint, "%s/tests/data/pre_unk/last.rwc", source);
    const struct {
        const char *expected;
        const char *args[10];
    } runs[] = {
        { "sample_seed5.txt", { "--seed", "5", "--length", "300", NULL } },
        { "sample_seed9_t07_k5.txt", { "--seed", "9", "--length", "300", "--temperature", "0.7", "--top-k", "5", NULL } },
        { "sample_greedy.txt", { "--length", "100", "--temperature", "0", NULL } },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const char *args[14] = { "sample", checkpoint };
        for (int a = 0; runs[i].args[a]; a++)
            args[2 + a] = runs[i].args[a];
        run_result r = run_in(dir, "sample", args);
        cr_assert_eq(r.status, 0, "%s: %s", runs[i].expected, r.err);
        snprintf(expected_path, sizeof expected_path, "%s/tests/data/pre_unk/%s", source, runs[i].expected);
        char *expected = slurp(expected_path);
        cr_assert(expected, "cannot read %s", expected_path);
        cr_assert_gt(strlen(expected), 90, "%s", expected_path);
        cr_assert_str_eq(r.out, expected, "%s: the text changed", runs[i].expected);
        free(expected);
        run_free(&r);
    }
}
