/* Choosing BLIS's kernel set before its first call (see rewind/blas.h).
 *
 * BLIS fixes its kernel set once, at its first use, from the environment
 * variable BLIS_ARCH_TYPE if set and otherwise from its own CPU check. BLIS
 * 0.9 recognises Intel CPUs by their features but AMD ones by family, so an
 * AMD CPU newer than the library (Zen 5 is family 0x1a) runs the generic
 * reference kernels although the library carries AVX-512 and AVX2 ones. We
 * therefore read the CPU ourselves and, where BLIS would not know it, set
 * BLIS_ARCH_TYPE to the best set the CPU can run, once, before any call. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <blis.h>
#include "rewind/blas.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define RW_X86 1
#endif

/* The kernel sets rewind will select or let a user select, and what each
 * needs from the CPU. All are in Debian's x86-64 BLIS; a set BLIS lacks
 * would make BLIS abort at start-up, so no other name is accepted. */
typedef struct kernel_set {
    const char *name;
    bool avx, fma_avx2, avx512;
} kernel_set;

static const kernel_set KERNEL_SETS[] = {
    { "skx", true, true, true },
    { "zen3", true, true, false },
    { "zen2", true, true, false },
    { "zen", true, true, false },
    { "haswell", true, true, false },
    { "sandybridge", true, false, false },
    { "generic", false, false, false },
};
enum { N_KERNEL_SETS = sizeof KERNEL_SETS / sizeof KERNEL_SETS[0] };

static const kernel_set *kernel_set_named(const char *name)
{
    for (int i = 0; i < N_KERNEL_SETS; i++)
        if (strcmp(KERNEL_SETS[i].name, name) == 0)
            return &KERNEL_SETS[i];
    return NULL;
}

static bool has_avx512(const rw_cpu_features *c)
{
    return c->avx512f && c->avx512dq && c->avx512bw && c->avx512vl;
}

static bool has_fma_avx2(const rw_cpu_features *c)
{
    return c->avx && c->fma3 && c->avx2;
}

#ifdef RW_X86
/* XCR0: which register files the operating system saves on a context switch. */
static unsigned long long read_xcr0(void)
{
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

rw_cpu_features rw_cpu_detect(void)
{
    rw_cpu_features c = { 0 };
#ifdef RW_X86
    unsigned a, b, cx, d;
    if (!__get_cpuid(0, &a, &b, &cx, &d))
        return c;
    unsigned max_leaf = a;
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &cx, 4);
    vendor[12] = '\0';
    c.vendor = strcmp(vendor, "GenuineIntel") == 0   ? RW_CPU_INTEL
               : strcmp(vendor, "AuthenticAMD") == 0 ? RW_CPU_AMD
                                                     : RW_CPU_OTHER;
    __get_cpuid(1, &a, &b, &cx, &d);
    unsigned base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    c.family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    c.model = (base_family == 0x6 || base_family == 0xf) ? base_model + (((a >> 16) & 0xf) << 4) : base_model;
    bool osxsave = (cx >> 27) & 1;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool os_ymm = (xcr0 & 0x6) == 0x6, os_zmm = (xcr0 & 0xe6) == 0xe6;
    c.avx = os_ymm && ((cx >> 28) & 1);
    c.fma3 = os_ymm && ((cx >> 12) & 1);
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, cx, d);
        c.avx2 = os_ymm && ((b >> 5) & 1);
        c.avx512f = os_zmm && ((b >> 16) & 1);
        c.avx512dq = os_zmm && ((b >> 17) & 1);
        c.avx512bw = os_zmm && ((b >> 30) & 1);
        c.avx512vl = os_zmm && ((b >> 31) & 1);
    }
#endif
    return c;
}

bool rw_blas_recognises(const rw_cpu_features *cpu)
{
    /* BLIS 0.9: any Intel CPU matches one of its feature-based checks; AMD
     * only families 0x15 (Bulldozer to Excavator), 0x17 (Zen, Zen 2) and
     * 0x19 (Zen 3, Zen 4). */
    if (cpu->vendor == RW_CPU_INTEL)
        return true;
    if (cpu->vendor == RW_CPU_AMD)
        return cpu->family == 0x15 || cpu->family == 0x17 || cpu->family == 0x19;
    return false;
}

const char *rw_blas_arch_choose(const rw_cpu_features *cpu)
{
    if (rw_blas_recognises(cpu))
        return NULL;
    if (has_avx512(cpu) && has_fma_avx2(cpu))
        return "skx";
    if (has_fma_avx2(cpu))
        return cpu->vendor == RW_CPU_AMD ? "zen3" : "haswell";
    if (cpu->avx)
        return "sandybridge";
    return NULL;
}

bool rw_blas_arch_supported(const char *name, const rw_cpu_features *cpu)
{
    const kernel_set *k = name ? kernel_set_named(name) : NULL;
    if (!k)
        return false;
    return (!k->avx || cpu->avx) && (!k->fma_avx2 || has_fma_avx2(cpu)) && (!k->avx512 || has_avx512(cpu));
}

/* ---- the once-per-process choice */

static mtx_t choice_lock;
static once_flag choice_lock_once = ONCE_FLAG_INIT;
static atomic_bool choice_made; /* read without the lock on every product */
static char requested[32] = "auto";
static char reason[192];

static void init_choice_lock(void)
{
    mtx_init(&choice_lock, mtx_plain);
}

/* BLIS's numeric id of a set, found by name so no enum order is assumed. */
static int blis_id_of(const char *name)
{
    for (int id = 0; id < (int)BLIS_NUM_ARCHS; id++)
        if (strcmp(bli_arch_string((arch_t)id), name) == 0)
            return id;
    return -1;
}

static bool env_set_by_us; /* BLIS_ARCH_TYPE is ours to remove once BLIS has read it */

static void select_set(const char *name, const char *why)
{
    int id = blis_id_of(name);
    if (id < 0) {
        snprintf(reason, sizeof reason, "BLIS's own choice (this BLIS has no '%s' kernels)", name);
        return;
    }
    char value[16];
    snprintf(value, sizeof value, "%d", id);
    env_set_by_us = setenv("BLIS_ARCH_TYPE", value, 1) == 0;
    snprintf(reason, sizeof reason, "%s", why);
}

/* Called with choice_lock held, before BLIS has started. */
static void make_choice(void)
{
    rw_cpu_features cpu = rw_cpu_detect();
    const char *env_blis = getenv("BLIS_ARCH_TYPE");
    const char *env_rw = getenv("RW_BLIS_ARCH");
    if (env_blis && *env_blis) {
        snprintf(reason, sizeof reason, "BLIS_ARCH_TYPE=%.16s from the environment", env_blis);
    } else if (strcmp(requested, "auto") != 0) {
        select_set(requested, "asked for with rw_set_blas_arch");
    } else if (env_rw && *env_rw && strcmp(env_rw, "auto") != 0) {
        if (rw_blas_arch_supported(env_rw, &cpu))
            select_set(env_rw, "RW_BLIS_ARCH from the environment");
        else
            snprintf(reason, sizeof reason,
                     "RW_BLIS_ARCH=%.32s ignored: unknown, or this CPU cannot run it", env_rw);
    } else {
        const char *best = rw_blas_arch_choose(&cpu);
        char why[160];
        if (best) {
            snprintf(why, sizeof why,
                     "selected by rewind: BLIS 0.9 does not recognise this CPU (family 0x%x) "
                     "and would run its generic kernels", cpu.family);
            select_set(best, why);
        } else {
            snprintf(reason, sizeof reason, "BLIS's own choice for this CPU");
        }
    }
    /* BLIS reads the environment and fixes its set here. Its kernel table
     * must exist first: asking for the set before bli_init aborts. */
    bli_init();
    bli_arch_query_id();
    if (env_set_by_us) /* child processes must not inherit our choice as if the user had made it */
        unsetenv("BLIS_ARCH_TYPE");
    choice_made = true;
}

void rw_blas_prepare(void)
{
    if (atomic_load_explicit(&choice_made, memory_order_acquire))
        return;
    call_once(&choice_lock_once, init_choice_lock);
    mtx_lock(&choice_lock);
    if (!choice_made)
        make_choice();
    mtx_unlock(&choice_lock);
}

rw_status rw_set_blas_arch(const char *name)
{
    if (!name)
        return rw_error(RW_ERR_ARG, "rw_set_blas_arch: name is NULL");
    rw_cpu_features cpu = rw_cpu_detect();
    if (strcmp(name, "auto") != 0 && !kernel_set_named(name)) {
        char known[160] = "";
        for (int i = 0; i < N_KERNEL_SETS; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     KERNEL_SETS[i].name);
        return rw_error(RW_ERR_ARG, "rw_set_blas_arch: unknown kernel set '%s' (known: auto, %s)", name, known);
    }
    if (strcmp(name, "auto") != 0 && !rw_blas_arch_supported(name, &cpu))
        return rw_error(RW_ERR_ARG, "rw_set_blas_arch: this CPU cannot run the '%s' kernels", name);
    call_once(&choice_lock_once, init_choice_lock);
    mtx_lock(&choice_lock);
    rw_status st = RW_OK;
    if (choice_made)
        st = rw_error(RW_ERR_STATE, "rw_set_blas_arch: BLIS has started; its kernel set (%s) is fixed for this "
                                    "process (call it before the first product, or set RW_BLIS_ARCH)",
                      bli_arch_string(bli_arch_query_id()));
    else
        snprintf(requested, sizeof requested, "%s", name);
    mtx_unlock(&choice_lock);
    return st;
}

const char *rw_blas_arch(void)
{
    rw_blas_prepare();
    return bli_arch_string(bli_arch_query_id());
}

const char *rw_blas_arch_reason(void)
{
    rw_blas_prepare();
    return reason;
}
