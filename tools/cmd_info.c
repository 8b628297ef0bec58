/* rewind info: what this build of rewind will run on — version, element
 * type, the BLIS kernel set in use and why, the CPU features that choice
 * looked at, and the default thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <rewind.h>
#include "cli.h"

static const cli_opt opts[] = {
    { "threads", "N", false, "show the thread count rewind would use with --threads N" },
};

static const cli_command info_cmd = {
    .name = "info",
    .usage = "[--threads N]",
    .summary = "Prints the build (version, rw_real), the BLIS kernel set that matrix products run on and\n"
               "why it was chosen (override with RW_BLIS_ARCH=NAME, e.g. skx, zen3, haswell, generic), the\n"
               "CPU features that choice is based on, and the threads matrix products may use.",
    .opts = opts, .n_opts = 1, .min_pos = 0, .max_pos = 0,
};

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

int cmd_info(int argc, char **argv)
{
    cli_args a;
    int early = cli_parse(&info_cmd, argc, argv, &a);
    if (early >= 0)
        return early;
    bool ok = true;
    long threads = 1;
    if (cli_long(&a, "threads", 1, 1024, &threads, &ok) && rw_set_threads((int)threads) != RW_OK)
        ok = false;
    cli_args_free(&a);
    if (!ok)
        return EXIT_USAGE;
    rw_cpu_features cpu = rw_cpu_detect();
    const char *vendor = cpu.vendor == RW_CPU_INTEL ? "Intel" : cpu.vendor == RW_CPU_AMD ? "AMD" : "other";
    printf("rewind %d.%d.%d\n", RW_VERSION_MAJOR, RW_VERSION_MINOR, RW_VERSION_PATCH);
    printf("rw_real:       %s\n", RW_REAL_NAME);
    printf("blis_arch:     %s\n", rw_blas_arch());
    printf("why:           %s\n", rw_blas_arch_reason());
    printf("small gemm:    %s\n", rw_small_gemm_kernel());
    printf("fast math:     %s\n", rw_fastmath_kernel());
    printf("cpu:           %s, family 0x%x, model 0x%x\n", vendor, cpu.family, cpu.model);
    printf("avx2+fma:      %s\n", yes_no(cpu.avx && cpu.avx2 && cpu.fma3));
    printf("avx512 f/dq/bw/vl: %s/%s/%s/%s\n", yes_no(cpu.avx512f), yes_no(cpu.avx512dq), yes_no(cpu.avx512bw),
           yes_no(cpu.avx512vl));
    printf("threads:       %d\n", rw_get_threads());
    return EXIT_OK;
}
