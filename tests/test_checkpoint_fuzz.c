/* Corrupted checkpoints: 1,000 copies of a valid file with flipped bits,
 * overwritten bytes or cut short are all refused, without a crash or a
 * leak, and the model, optimizer and RNG are unchanged after every attempt.
 * A second pass re-seals structural corruptions with a valid CRC, so they
 * reach the section parser: those may load (the file is then valid) but
 * must never crash, and a refusal must leave everything unchanged. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char dir[512], good_path[600], bad_path[600];

static void setup(void)
{
    const char *base = getenv("RW_BINARY_DIR");
    snprintf(dir, sizeof dir, "%s/rw-fuzz-XXXXXX", base && base[0] ? base : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(good_path, sizeof good_path, "%s/good.rwc", dir);
    snprintf(bad_path, sizeof bad_path, "%s/bad.rwc", dir);
}

static void teardown(void)
{
    unlink(good_path);
    unlink(bad_path);
    rmdir(dir);
}

TestSuite(checkpoint_fuzz, .init = setup, .fini = teardown);

typedef struct fixture {
    rw_params *P;
    rw_optim *opt;
    rw_rng rng;
    long step;
    unsigned char *file;   /* the valid checkpoint's bytes */
    size_t size;
    unsigned char *values; /* every parameter and state value, concatenated, before any load */
    size_t values_size;
} fixture;

static rw_params *model(uint64_t seed)
{
    rw_rng r = rw_rng_seed(seed);
    rw_params *P = rw_params_new();
    rw_rng_fill_normal(&r, rw_params_add(P, "embed", rw_shape2(6, 4))->value, 0, 1);
    rw_rng_fill_normal(&r, rw_params_add(P, "lstm.W", rw_shape2(4, 16))->value, 0, 1);
    rw_rng_fill_normal(&r, rw_params_add(P, "lstm.b", rw_shape1(16))->value, 0, 1);
    rw_rng_fill_normal(&r, rw_params_add(P, "scale", rw_shape_scalar())->value, 0, 1);
    return P;
}

static size_t gather(const fixture *f, unsigned char *out)
{
    size_t at = 0;
    for (int i = 0; i < rw_params_count(f->P); i++) {
        const rw_tensor *t = rw_params_at(f->P, i)->value;
        if (out)
            memcpy(out + at, t->data, t->size * sizeof(rw_real));
        at += t->size * sizeof(rw_real);
    }
    for (int i = 0; i < rw_optim_state_count(f->opt); i++) {
        const rw_tensor *t = rw_optim_state_at(f->opt, i, NULL);
        if (out)
            memcpy(out + at, t->data, t->size * sizeof(rw_real));
        at += t->size * sizeof(rw_real);
    }
    return at;
}

static fixture make_fixture(void)
{
    fixture f = { 0 };
    /* The file: a model after a few Adam steps, with RNG and metadata. */
    rw_params *S = model(1);
    rw_optim *sopt = rw_adam_new(S, &(rw_adam_opts){ .lr = 0.01 });
    rw_rng srng = rw_rng_seed(9);
    for (int s = 0; s < 3; s++) {
        for (int i = 0; i < rw_params_count(S); i++)
            rw_rng_fill_normal(&srng, rw_params_at(S, i)->grad, 0, 1);
        cr_assert_eq(rw_optim_step(sopt), RW_OK);
    }
    const char *keys[] = { "model.yaml", "vocab" }, *vals[] = { "layers:\n  - lstm: 16\n", "abcdefgh" };
    cr_assert_eq(rw_checkpoint_save_ex(good_path, S, sopt, &srng, 3, keys, vals, 2), RW_OK, "%s", rw_last_error());
    rw_optim_free(sopt);
    rw_params_free(S);
    FILE *fp = fopen(good_path, "rb");
    fseek(fp, 0, SEEK_END);
    f.size = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f.file = malloc(f.size);
    cr_assert_eq(fread(f.file, 1, f.size, fp), f.size);
    fclose(fp);
    /* The target: another model, fresh Adam, another RNG. */
    f.P = model(2);
    f.opt = rw_adam_new(f.P, &(rw_adam_opts){ .lr = 0.5 });
    f.rng = rw_rng_seed(77);
    f.step = 4242;
    f.values_size = gather(&f, NULL);
    f.values = malloc(f.values_size);
    gather(&f, f.values);
    return f;
}

static void free_fixture(fixture *f)
{
    rw_optim_free(f->opt);
    rw_params_free(f->P);
    free(f->file);
    free(f->values);
}

static void expect_unchanged(fixture *f, int attempt)
{
    unsigned char *now = malloc(f->values_size);
    gather(f, now);
    cr_assert(memcmp(now, f->values, f->values_size) == 0, "attempt %d changed the model or optimizer", attempt);
    free(now);
    rw_rng r = rw_rng_seed(77);
    cr_assert(f->rng.key == r.key && f->rng.counter == r.counter, "attempt %d changed the RNG", attempt);
    cr_assert_eq(f->step, 4242, "attempt %d", attempt);
    cr_assert_eq(rw_optim_steps(f->opt), 0, "attempt %d", attempt);
    cr_assert_eq(rw_optim_lr(f->opt), 0.5, "attempt %d", attempt);
}

static void write_file(const unsigned char *b, size_t n)
{
    unlink(bad_path); /* a new file, not a truncated one: ext4 flushes truncated rewrites on close */
    FILE *fp = fopen(bad_path, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(b, 1, n, fp), n);
    fclose(fp);
}

/* Applies one random corruption to buf (a copy of the valid file); returns
 * the new length. The bytes always differ from the valid file's. */
static size_t corrupt(rw_rng *r, unsigned char *buf, size_t n, const char **kind)
{
    switch (rw_rng_below(r, 4)) {
    case 0:
        *kind = "one bit flipped";
        buf[rw_rng_below(r, (uint32_t)n)] ^= (unsigned char)(1u << rw_rng_below(r, 8));
        return n;
    case 1: {
        *kind = "several bits flipped";
        int flips = 2 + (int)rw_rng_below(r, 15);
        for (int i = 0; i < flips; i++)
            buf[rw_rng_below(r, (uint32_t)n)] ^= (unsigned char)(1u << rw_rng_below(r, 8));
        return n;
    }
    case 2: {
        *kind = "bytes overwritten";
        size_t len = 1 + rw_rng_below(r, 16);
        size_t at = rw_rng_below(r, (uint32_t)(n - len));
        for (size_t i = 0; i < len; i++)
            buf[at + i] = (unsigned char)rw_rng_below(r, 256);
        return n;
    }
    default:
        *kind = "truncated";
        return rw_rng_below(r, (uint32_t)n);
    }
}

Test(checkpoint_fuzz, thousand_corrupted_copies_are_all_refused)
{
    fixture f = make_fixture();
    rw_checkpoint *ck = rw_checkpoint_open(good_path);
    cr_assert_not_null(ck, "the original is valid: %s", rw_last_error());
    rw_checkpoint_close(ck);
    rw_rng r = rw_rng_seed(2026);
    unsigned char *buf = malloc(f.size);
    int kinds[4] = { 0 };
    for (int attempt = 0; attempt < 1000; attempt++) {
        memcpy(buf, f.file, f.size);
        const char *kind;
        size_t n = corrupt(&r, buf, f.size, &kind);
        if (n == f.size && memcmp(buf, f.file, n) == 0) /* flips that cancelled out: still corrupt it */
            buf[attempt % n] ^= 0x01;
        kinds[kind[0] == 'o' ? 0 : kind[0] == 's' ? 1 : kind[0] == 'b' ? 2 : 3]++;
        write_file(buf, n);
        rw_status st = rw_checkpoint_load(bad_path, f.P, f.opt, &f.rng, &f.step);
        cr_assert_neq(st, RW_OK, "attempt %d (%s, %zu bytes) was accepted", attempt, kind, n);
        cr_assert_eq(st, RW_ERR_FORMAT, "attempt %d (%s): %s", attempt, kind, rw_last_error());
        cr_assert(strstr(rw_last_error(), bad_path) != NULL, "%s", rw_last_error());
        expect_unchanged(&f, attempt);
        cr_assert_null(rw_checkpoint_open(bad_path), "attempt %d opened", attempt);
    }
    for (int k = 0; k < 4; k++)
        cr_assert_gt(kinds[k], 150, "every kind of corruption is exercised");
    free(buf);
    free_fixture(&f);
}

/* Offsets of every section of a valid file. */
static int section_starts(const unsigned char *b, size_t n, size_t *starts, int max)
{
    int k = 0;
    for (size_t at = 24; at + 12 <= n - 4 && k < max;) {
        starts[k++] = at;
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | b[at + 4 + i];
        at += 12 + (size_t)len;
    }
    return k;
}

static uint32_t crc32_bitwise(const unsigned char *b, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= b[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

Test(checkpoint_fuzz, resealed_structural_corruption_never_crashes)
{
    fixture f = make_fixture();
    size_t starts[64];
    int n_sections = section_starts(f.file, f.size, starts, 64);
    cr_assert_geq(n_sections, 4 + 1 + 8 + 1 + 1 + 2, "params, optim, state, rng, step, meta");
    static const uint32_t interesting[] = { 0, 1, 2, 4, 7, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000u,
                                            0xFFFFFFFFu };
    rw_rng r = rw_rng_seed(7);
    unsigned char *buf = malloc(f.size);
    int accepted = 0;
    for (int attempt = 0; attempt < 1000; attempt++) {
        memcpy(buf, f.file, f.size);
        /* Somewhere in the first 48 bytes of a section (its header, name,
         * dtype, rank and shape), or in the file header. */
        size_t base = rw_rng_below(&r, 8) == 0 ? 8 : starts[rw_rng_below(&r, (uint32_t)n_sections)];
        size_t at = base + rw_rng_below(&r, 48);
        if (at + 4 > f.size - 4)
            at = f.size - 8;
        uint32_t v = rw_rng_below(&r, 2) ? interesting[rw_rng_below(&r, 12)] : (uint32_t)rw_rng_u64(&r);
        for (int i = 0; i < 4; i++)
            buf[at + i] = (unsigned char)(v >> (8 * i));
        uint32_t crc = crc32_bitwise(buf, f.size - 4);
        for (int i = 0; i < 4; i++)
            buf[f.size - 4 + i] = (unsigned char)(crc >> (8 * i));
        write_file(buf, f.size);
        rw_status st = rw_checkpoint_load(bad_path, f.P, f.opt, &f.rng, &f.step);
        if (st == RW_OK) {
            /* A valid file after all (e.g. a changed value or RNG word):
             * start again from the untouched target. */
            accepted++;
            rw_optim_free(f.opt);
            rw_params_free(f.P);
            f.P = model(2);
            f.opt = rw_adam_new(f.P, &(rw_adam_opts){ .lr = 0.5 });
            f.rng = rw_rng_seed(77);
            f.step = 4242;
            continue;
        }
        cr_assert(st == RW_ERR_FORMAT || st == RW_ERR_SHAPE, "attempt %d: %s", attempt, rw_last_error());
        expect_unchanged(&f, attempt);
        rw_checkpoint_close(rw_checkpoint_open(bad_path));
    }
    cr_log_info("%d of 1000 re-sealed structural corruptions were valid files", accepted);
    cr_assert_lt(accepted, 500, "most structural corruptions are caught (%d accepted)", accepted);
    free(buf);
    free_fixture(&f);
}
