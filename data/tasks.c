/* The task registry (rewind/tasks.h): names, sizes and default counts,
 * checked options, and the three split files of a task. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "rewind/tasks.h"
#include "tasks_internal.h"

static const struct {
    rw_task_info info;
    rwi_task_fn fn;
} tasks[] = {
    { { "adding", "tsv_vectors", "the sum of the two marked values among T (x, marker) steps; target: value",
        "T, the steps", 100, 2, 100000, 10000, 1000, 1000 }, rwi_task_adding },
    { { "sign", "tsv_vectors", "the sign (+ or -) of the first of T values in [-1, 1); target: label",
        "T, the steps", 50, 1, 100000, 2000, 500, 500 }, rwi_task_sign },
    { { "larger", "tsv_vectors", "which of two streams (a, b) of T values has the larger sum; target: label",
        "T, the steps", 20, 1, 100000, 4000, 500, 500 }, rwi_task_larger },
    { { "sum", "tsv_vectors", "the sum of T values in [-1, 1); target: value", "T, the steps", 10, 1, 100000,
        4000, 500, 500 }, rwi_task_sum },
    { { "reber", "tsv_tagging", "embedded Reber strings, each symbol tagged with the symbols legal next",
        "the longest string", 50, 9, 4096, 4000, 500, 1000 }, rwi_task_reber },
    { { "addition", "tsv_tagging", "binary addition of two numbers, least significant bit first; tags: the sum's "
        "bits (test pairs held out of training)", "bits per number", 16, 1, 30, 10000, 500, 1000 }, rwi_task_addition },
    { { "distractor", "tsv_classify", "the sum of the two digits marked '*' among T digits; label: the sum",
        "T, the digits", 20, 2, 4096, 6000, 500, 1000 }, rwi_task_distractor },
    { { "xml", "tsv_tagging", "nested <a>..</> elements; tags: the element open after each word",
        "the deepest nesting", 4, 1, 16, 4000, 500, 1000 }, rwi_task_xml },
};
enum { N_TASKS = sizeof tasks / sizeof tasks[0] };

uint64_t rwi_task_next(rwi_task_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int rwi_task_below(rwi_task_rng *r, int n) { return n <= 1 ? 0 : (int)(rwi_task_next(r) % (uint64_t)n); }

int rw_task_count(void) { return N_TASKS; }

const rw_task_info *rw_task_at(int i) { return i >= 0 && i < N_TASKS ? &tasks[i].info : NULL; }

static int find(const char *name)
{
    for (int i = 0; name && i < N_TASKS; i++)
        if (strcmp(name, tasks[i].info.name) == 0)
            return i;
    return -1;
}

const rw_task_info *rw_task_find(const char *name)
{
    int i = find(name);
    if (i >= 0)
        return &tasks[i].info;
    char known[256] = "";
    for (int k = 0; k < N_TASKS; k++) {
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", k ? ", " : "", tasks[k].info.name);
    }
    rw_error(RW_ERR_ARG, "unknown task '%s' (known: %s)", name ? name : "(null)", known);
    return NULL;
}

/* The task's size for opts (its default for 0), or -1 after an error. */
static int size_of(const rw_task_info *t, const rw_task_opts *o)
{
    int size = o && o->size ? o->size : t->default_size;
    if (size < t->min_size || size > t->max_size) {
        rw_error(RW_ERR_ARG, "task '%s': size %d is out of range (the size is %s: %d .. %d)", t->name, size,
                 t->size_means, t->min_size, t->max_size);
        return -1;
    }
    return size;
}

rw_status rw_task_generate(const char *name, const rw_task_opts *opts, rw_task_split split, int n, FILE *out)
{
    const rw_task_info *t = rw_task_find(name);
    if (!t)
        return RW_ERR_ARG;
    int size = size_of(t, opts);
    if (size < 0)
        return RW_ERR_ARG;
    if (n < 1 || !out || (split != RW_TASK_TRAIN && split != RW_TASK_VALID && split != RW_TASK_TEST))
        return rw_error(RW_ERR_ARG, "task '%s': needs a file, a split and at least 1 example (got %d)", name, n);
    /* each split draws from its own stream of the seed */
    rwi_task_rng r = { (opts ? opts->seed : 0) * 0x2545f4914f6cdd1dULL + (uint64_t)split * 0x632be59bd9b4e019ULL };
    tasks[find(name)].fn(&r, size, (int)split, n, out);
    if (ferror(out))
        return rw_error(RW_ERR_IO, "task '%s': writing the examples failed", name);
    return RW_OK;
}

/* mkdir -p: DIR and its missing parents. */
static rw_status make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return rw_error(RW_ERR_ARG, "directory name too long: '%.60s...'", dir);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return rw_error(RW_ERR_IO, "cannot create directory '%s': %s", path, strerror(errno));
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return rw_error(RW_ERR_IO, "'%s' is not a directory", path);
        if (!(*p = c))
            return RW_OK;
    }
}

rw_status rw_task_write(const char *name, const char *dir, const rw_task_opts *opts)
{
    const rw_task_info *t = rw_task_find(name);
    if (!t)
        return RW_ERR_ARG;
    if (size_of(t, opts) < 0)
        return RW_ERR_ARG;
    if (!dir || !*dir)
        return rw_error(RW_ERR_ARG, "task '%s': no output directory", name);
    rw_task_opts o = opts ? *opts : (rw_task_opts){ 0 };
    int counts[3] = { o.train ? o.train : t->default_train, o.valid ? o.valid : t->default_valid,
                      o.test ? o.test : t->default_test };
    static const char *files[3] = { "train.tsv", "valid.tsv", "test.tsv" };
    for (int s = 0; s < 3; s++)
        if (counts[s] < 1)
            return rw_error(RW_ERR_ARG, "task '%s': %d examples for %s (needs at least 1)", name, counts[s],
                            files[s]);
    if (make_dirs(dir) != RW_OK)
        return RW_ERR_IO;
    for (int s = 0; s < 3; s++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, files[s]);
        FILE *f = fopen(path, "w");
        if (!f)
            return rw_error(RW_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        rw_status st = rw_task_generate(name, &o, (rw_task_split)s, counts[s], f);
        if (fclose(f) != 0 && st == RW_OK)
            st = rw_error(RW_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        if (st != RW_OK)
            return st;
    }
    return RW_OK;
}
