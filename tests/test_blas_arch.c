/* Choosing BLIS's kernel set: the choice against made-up CPUs, and the
 * user's override obeyed. Criterion runs each test in its own process, so
 * each one sees BLIS before its first call. */
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

static const rw_cpu_features ZEN5 = { RW_CPU_AMD, 0x1a, 0x02, true, true, true, true, true, true, true };
static const rw_cpu_features ZEN5_NO_AVX512 = { RW_CPU_AMD, 0x1a, 0x02, true, true, true, false, false, false, false };
static const rw_cpu_features ZEN4 = { RW_CPU_AMD, 0x19, 0x61, true, true, true, true, true, true, true };
static const rw_cpu_features ZEN2 = { RW_CPU_AMD, 0x17, 0x31, true, true, true, false, false, false, false };
static const rw_cpu_features ICELAKE = { RW_CPU_INTEL, 0x6, 0x6a, true, true, true, true, true, true, true };
static const rw_cpu_features HYGON_AVX2 = { RW_CPU_OTHER, 0x18, 0x01, true, true, true, false, false, false, false };
static const rw_cpu_features OLD_UNKNOWN = { RW_CPU_OTHER, 0x6, 0x0f, false, false, false, false, false, false, false };
/* AVX-512 F only (as on Knights Landing): not enough for the skx kernels. */
static const rw_cpu_features AVX512F_ONLY = { RW_CPU_OTHER, 0x6, 0x57, true, true, true, true, false, false, false };

static void assert_choice(const rw_cpu_features *cpu, const char *expected)
{
    const char *got = rw_blas_arch_choose(cpu);
    if (!expected)
        cr_assert_null(got, "expected BLIS's own choice, got '%s'", got);
    else
        cr_assert(got && strcmp(got, expected) == 0, "expected '%s', got '%s'", expected, got ? got : "(none)");
}

Test(blas_arch, unrecognised_cpus_get_the_best_set_they_can_run)
{
    assert_choice(&ZEN5, "skx");
    assert_choice(&ZEN5_NO_AVX512, "zen3");
    assert_choice(&HYGON_AVX2, "haswell");
    assert_choice(&AVX512F_ONLY, "haswell");
    assert_choice(&OLD_UNKNOWN, NULL); /* nothing better than generic to offer */
}

Test(blas_arch, recognised_cpus_keep_blis_own_choice)
{
    assert_choice(&ZEN4, NULL);
    assert_choice(&ZEN2, NULL);
    assert_choice(&ICELAKE, NULL);
    cr_assert(rw_blas_recognises(&ICELAKE));
    cr_assert_not(rw_blas_recognises(&ZEN5));
}

Test(blas_arch, never_a_set_the_cpu_lacks)
{
    cr_assert(rw_blas_arch_supported("skx", &ZEN5));
    cr_assert_not(rw_blas_arch_supported("skx", &ZEN5_NO_AVX512));
    cr_assert_not(rw_blas_arch_supported("skx", &AVX512F_ONLY));
    cr_assert_not(rw_blas_arch_supported("haswell", &OLD_UNKNOWN));
    cr_assert(rw_blas_arch_supported("generic", &OLD_UNKNOWN));
    cr_assert_not(rw_blas_arch_supported("no_such_set", &ZEN5));
    /* Whatever the choice is, the CPU can run it. */
    const rw_cpu_features *all[] = { &ZEN5, &ZEN5_NO_AVX512, &HYGON_AVX2, &AVX512F_ONLY, &OLD_UNKNOWN };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *c = rw_blas_arch_choose(all[i]);
        cr_assert(!c || rw_blas_arch_supported(c, all[i]), "case %zu chose '%s' it cannot run", i, c);
    }
}

Test(blas_arch, this_machine_runs_a_set_it_supports)
{
    rw_cpu_features cpu = rw_cpu_detect();
    const char *arch = rw_blas_arch();
    cr_assert(strlen(arch) > 0);
    cr_assert(strlen(rw_blas_arch_reason()) > 0);
    if (getenv("BLIS_ARCH_TYPE") == NULL && getenv("RW_BLIS_ARCH") == NULL) {
        const char *chosen = rw_blas_arch_choose(&cpu);
        if (chosen)
            cr_assert_str_eq(arch, chosen, "rewind chose '%s' but BLIS runs '%s' (%s)", chosen, arch,
                             rw_blas_arch_reason());
    }
}

Test(blas_arch, rw_set_blas_arch_is_obeyed)
{
    unsetenv("BLIS_ARCH_TYPE");
    unsetenv("RW_BLIS_ARCH");
    cr_assert_eq(rw_set_blas_arch("generic"), RW_OK, "%s", rw_last_error());
    cr_assert_str_eq(rw_blas_arch(), "generic");
    cr_assert(strstr(rw_blas_arch_reason(), "rw_set_blas_arch"), "%s", rw_blas_arch_reason());
    /* A product still works, and the set is now fixed for the process. */
    rw_graph *g = rw_graph_new();
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    for (int i = 0; i < 6; i++) a->data[i] = (rw_real)i, b->data[i] = (rw_real)(i + 1);
    rw_node *c = rw_matmul(g, rw_const(g, a), rw_const(g, b));
    cr_assert_not_null(c, "%s", rw_last_error());
    cr_assert_float_eq(c->value.data[0], 0 * 1 + 1 * 3 + 2 * 5, 1e-6);
    cr_assert_eq(rw_set_blas_arch("generic"), RW_ERR_STATE);
    cr_assert(strstr(rw_last_error(), "fixed"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

Test(blas_arch, environment_override_is_obeyed)
{
    unsetenv("BLIS_ARCH_TYPE");
    setenv("RW_BLIS_ARCH", "generic", 1);
    cr_assert_str_eq(rw_blas_arch(), "generic");
    cr_assert(strstr(rw_blas_arch_reason(), "RW_BLIS_ARCH"), "%s", rw_blas_arch_reason());
}

Test(blas_arch, bad_names_are_refused_with_the_known_ones)
{
    cr_assert_eq(rw_set_blas_arch("pentium4"), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "pentium4") && strstr(rw_last_error(), "skx"), "%s", rw_last_error());
    cr_assert_eq(rw_set_blas_arch(NULL), RW_ERR_ARG);
    rw_cpu_features cpu = rw_cpu_detect();
    if (!rw_blas_arch_supported("skx", &cpu)) {
        cr_assert_eq(rw_set_blas_arch("skx"), RW_ERR_ARG);
        cr_assert(strstr(rw_last_error(), "cannot run"), "%s", rw_last_error());
    }
}
