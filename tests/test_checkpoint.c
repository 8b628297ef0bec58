/* Checkpoints: round trips, reading without a model, every rejection with
 * its message (and the model untouched), and saving that keeps the previous
 * file on failure. Exact resume in a fresh process and survival of SIGKILL
 * are in test_checkpoint_kill.c. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rw_test.h"

/* ---- files -------------------------------------------------------------- */

static char tmpdir[512];

static void make_tmpdir(void)
{
    const char *base = getenv("RW_BINARY_DIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/rw-ckpt-XXXXXX", base && base[0] ? base : "/tmp");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp %s", tmpdir);
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static int count_files(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static char *path_in(const char *name)
{
    static char p[4][1024];
    static int turn;
    char *s = p[turn++ % 4];
    snprintf(s, 1024, "%s/%s", tmpdir, name);
    return s;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n ? *n : 1);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* An independent bitwise CRC-32 (zlib's), to check the trailer. */
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

static uint32_t le32(const unsigned char *b) { return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

static void put_le32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* Re-seals a patched file with a correct CRC. */
static void reseal(unsigned char *b, size_t n) { put_le32(b + n - 4, crc32_bitwise(b, n - 4)); }

/* ---- a small model ------------------------------------------------------- */

static rw_params *make_model(uint64_t seed, int hidden)
{
    rw_rng rng = rw_rng_seed(seed);
    rw_params *P = rw_params_new();
    rw_rng_fill_normal(&rng, rw_params_add(P, "W1", rw_shape2(4, hidden))->value, 0, 0.5);
    rw_rng_fill_normal(&rng, rw_params_add(P, "b1", rw_shape1(hidden))->value, 0, 0.1);
    rw_rng_fill_normal(&rng, rw_params_add(P, "W2", rw_shape2(hidden, 3))->value, 0, 0.5);
    return P;
}

static const rw_adam_opts adam_opts = { .lr = 0.05, .weight_decay = 1e-3 };

/* One step on a batch drawn from rng: tanh(x W1 + b1) W2, cross-entropy,
 * global-norm clipping, a warm-up + cosine schedule, Adam. */
static int train(rw_params *P, rw_optim *opt, rw_rng *rng, int steps)
{
    rw_schedule sched = rw_schedule_warmup(rw_schedule_cosine(40, 0.005), 3);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(8, 4)), *y = rw_tensor_new(RW_INT32, rw_shape1(8));
    rw_graph *g = rw_graph_new();
    int bad = 0;
    for (int s = 0; s < steps && !bad; s++) {
        rw_rng_fill_normal(rng, x, 0, 1);
        for (int i = 0; i < 8; i++)
            y->idata[i] = (int32_t)rw_rng_below(rng, 3);
        rw_node *xw = rw_matmul(g, rw_const(g, x), rw_param_node(g, rw_params_get(P, "W1")));
        rw_node *h = rw_tanh(g, rw_add(g, xw, rw_param_node(g, rw_params_get(P, "b1"))));
        rw_node *logits = rw_matmul(g, h, rw_param_node(g, rw_params_get(P, "W2")));
        rw_node *loss = rw_cross_entropy(g, logits, rw_const(g, y));
        bad = !loss || rw_backward(g, loss) != RW_OK;
        rw_clip_global_norm(P, 1.0);
        bad = bad || rw_schedule_apply(&sched, opt, 0.05) != RW_OK || rw_optim_step(opt) != RW_OK;
        rw_graph_reset(g);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    return bad;
}

/* A copy of every value the model, optimizer and rng hold. */
typedef struct snapshot {
    rw_tensor *t[16];
    int n;
    long steps;
    double lr;
    rw_rng rng;
} snapshot;

static snapshot take_snapshot(const rw_params *P, const rw_optim *opt, const rw_rng *rng)
{
    snapshot s = { .steps = rw_optim_steps(opt), .lr = rw_optim_lr(opt), .rng = *rng };
    for (int i = 0; i < rw_params_count(P); i++)
        s.t[s.n++] = rw_tensor_clone(rw_params_at(P, i)->value);
    for (int i = 0; i < rw_optim_state_count(opt); i++)
        s.t[s.n++] = rw_tensor_clone(rw_optim_state_at(opt, i, NULL));
    return s;
}

static void expect_unchanged(snapshot *s, const rw_params *P, const rw_optim *opt, const rw_rng *rng)
{
    int k = 0;
    for (int i = 0; i < rw_params_count(P); i++, k++)
        cr_assert(memcmp(s->t[k]->data, rw_params_at(P, i)->value->data, s->t[k]->size * sizeof(rw_real)) == 0,
                  "parameter %d changed", i);
    for (int i = 0; i < rw_optim_state_count(opt); i++, k++)
        cr_assert(memcmp(s->t[k]->data, rw_optim_state_at(opt, i, NULL)->data, s->t[k]->size * sizeof(rw_real)) == 0,
                  "optimizer state %d changed", i);
    cr_assert_eq(rw_optim_steps(opt), s->steps);
    cr_assert_eq(rw_optim_lr(opt), s->lr);
    cr_assert_eq(rng->key, s->rng.key);
    cr_assert_eq(rng->counter, s->rng.counter);
}

static void free_snapshot(snapshot *s)
{
    for (int i = 0; i < s->n; i++)
        rw_tensor_free(s->t[i]);
}

static bool same_values(const rw_tensor *a, const rw_tensor *b)
{
    return rw_shape_equal(a->shape, b->shape) && memcmp(a->data, b->data, a->size * sizeof(rw_real)) == 0;
}

TestSuite(checkpoint, .init = make_tmpdir, .fini = remove_tmpdir);

/* ---- round trips ---------------------------------------------------------- */

Test(checkpoint, round_trip_restores_everything)
{
    rw_params *P = make_model(1, 5);
    rw_optim *opt = rw_adam_new(P, &adam_opts);
    rw_rng rng = rw_rng_seed(2);
    cr_assert_eq(train(P, opt, &rng, 7), 0, "%s", rw_last_error());
    const char *keys[] = { "model.yaml", "vocab" };
    const char *values[] = { "format: rewind/1\nmodel: {}\n", "abc\tdef" };
    const char *path = path_in("a.rwc");
    cr_assert_eq(rw_checkpoint_save_ex(path, P, opt, &rng, 7, keys, values, 2), RW_OK, "%s", rw_last_error());
    cr_assert_eq(count_files(), 1, "no temporary file is left behind");

    rw_params *Q = make_model(99, 5);
    rw_optim *qopt = rw_adam_new(Q, &adam_opts);
    rw_rng qrng = rw_rng_seed(100);
    long step = -1;
    cr_assert_eq(rw_checkpoint_load(path, Q, qopt, &qrng, &step), RW_OK, "%s", rw_last_error());
    cr_assert_eq(step, 7);
    for (int i = 0; i < rw_params_count(P); i++)
        cr_assert(same_values(rw_params_at(P, i)->value, rw_params_at(Q, i)->value), "parameter %d", i);
    cr_assert_eq(rw_optim_state_count(qopt), 6);
    for (int i = 0; i < rw_optim_state_count(opt); i++)
        cr_assert(same_values(rw_optim_state_at(opt, i, NULL), rw_optim_state_at(qopt, i, NULL)), "state %d", i);
    cr_assert_eq(rw_optim_steps(qopt), 7);
    cr_assert_eq(rw_optim_lr(qopt), rw_optim_lr(opt));
    cr_assert_eq(qrng.key, rng.key);
    cr_assert_eq(qrng.counter, rng.counter);
    /* The optional parts may be skipped on load. */
    cr_assert_eq(rw_checkpoint_load(path, Q, NULL, NULL, NULL), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    rw_optim_free(qopt);
    rw_params_free(P);
    rw_params_free(Q);
}

Test(checkpoint, header_layout_and_crc_are_as_documented)
{
    rw_params *P = make_model(1, 3);
    const char *path = path_in("h.rwc");
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 12), RW_OK, "%s", rw_last_error());
    size_t n;
    unsigned char *b = slurp(path, &n);
    cr_assert(memcmp(b, "\x89RWC\r\n\x1a\n", 8) == 0);
    cr_assert_eq(le32(b + 8), 2, "format version");
    cr_assert_eq(le32(b + 12), 0, "flags");
    cr_assert_eq(le32(b + 16), n, "file size (low word)");
    cr_assert_eq(le32(b + 20), 0, "file size (high word)");
    cr_assert(memcmp(b + 24, "PARM", 4) == 0, "the first section is the first parameter");
    cr_assert_eq(le32(b + 36), 2, "name length of 'W1'");
    cr_assert(memcmp(b + 40, "W1", 3) == 0, "the name and its terminating 0");
    cr_assert_eq(le32(b + 43), sizeof(rw_real) == 4 ? 1 : 2, "dtype");
    cr_assert_eq(le32(b + 47), 2, "rank");
    cr_assert_eq(le32(b + 51), 4);
    cr_assert_eq(le32(b + 55), 3);
    cr_assert_eq(le32(b + n - 4), crc32_bitwise(b, n - 4), "trailer is zlib's CRC-32 of the rest");
    free(b);
    rw_params_free(P);
}

Test(checkpoint, read_without_a_model)
{
    rw_params *P = make_model(1, 6);
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.1, .momentum = 0.9 });
    rw_rng rng = rw_rng_seed(5);
    const char *keys[] = { "model.yaml", "empty" };
    const char *values[] = { "layers: [lstm]\n", "" };
    const char *path = path_in("info.rwc");
    cr_assert_eq(rw_checkpoint_save_ex(path, P, opt, &rng, 300, keys, values, 2), RW_OK, "%s", rw_last_error());
    rw_checkpoint *ck = rw_checkpoint_open(path);
    cr_assert_not_null(ck, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_version(ck), RW_CHECKPOINT_VERSION);
    cr_assert_eq(rw_checkpoint_step(ck), 300);
    cr_assert_eq(rw_checkpoint_param_count(ck), 3);
    cr_assert_str_eq(rw_checkpoint_param_name(ck, 2), "W2");
    cr_assert(rw_shape_equal(rw_checkpoint_param_shape(ck, 0), rw_shape2(4, 6)));
    cr_assert_null(rw_checkpoint_param_name(ck, 3));
    cr_assert_eq(rw_checkpoint_param_find(ck, "b1"), 1);
    cr_assert_eq(rw_checkpoint_param_find(ck, "nope"), -1);
    rw_tensor *t = rw_tensor_new(RW_REAL, rw_shape1(6));
    cr_assert_eq(rw_checkpoint_param_read(ck, 1, t), RW_OK, "%s", rw_last_error());
    cr_assert(same_values(t, rw_params_get(P, "b1")->value));
    cr_assert_eq(rw_checkpoint_param_read(ck, 0, t), RW_ERR_SHAPE);
    cr_assert_str_eq(rw_checkpoint_optim_name(ck), "sgd");
    cr_assert_eq(rw_checkpoint_optim_steps(ck), 0);
    cr_assert_float_eq(rw_checkpoint_optim_lr(ck), 0.1, 1e-15);
    cr_assert_eq(rw_checkpoint_state_count(ck), 3);
    cr_assert_str_eq(rw_checkpoint_state_name(ck, 1), "sgd.momentum/b1");
    cr_assert(rw_shape_equal(rw_checkpoint_state_shape(ck, 2), rw_shape2(6, 3)));
    rw_rng r2;
    cr_assert(rw_checkpoint_rng(ck, &r2));
    cr_assert_eq(r2.key, rng.key);
    cr_assert_eq(rw_checkpoint_meta_count(ck), 2);
    cr_assert_str_eq(rw_checkpoint_meta_key(ck, 0), "model.yaml");
    cr_assert_str_eq(rw_checkpoint_meta_value(ck, 0), "layers: [lstm]\n");
    cr_assert_str_eq(rw_checkpoint_meta(ck, "empty"), "");
    cr_assert_null(rw_checkpoint_meta(ck, "missing"));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    rw_checkpoint_print(mem, ck);
    fclose(mem);
    cr_assert(strstr(text, "training step 300") != NULL, "%s", text);
    cr_assert(strstr(text, "W1") && strstr(text, "[4, 6]") && strstr(text, "sgd.momentum/W1"), "%s", text);
    cr_assert(strstr(text, "blobs: 1\n  optimizer ") != NULL, "%s", text);
    cr_assert(strstr(text, "model.yaml") != NULL, "%s", text);
    free(text);
    rw_tensor_free(t);
    rw_checkpoint_close(ck);
    /* Without optimizer or RNG. */
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 0), RW_OK);
    ck = rw_checkpoint_open(path);
    cr_assert_null(rw_checkpoint_optim_name(ck));
    cr_assert(!rw_checkpoint_rng(ck, &r2));
    cr_assert_eq(rw_checkpoint_meta_count(ck), 0);
    rw_checkpoint_close(ck);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* ---- rejections ------------------------------------------------------------ */

/* Loading `file` into a fresh 5-hidden model with Adam fails with `status`
 * and a message containing `needle`; nothing changes. */
static void expect_rejected(const char *file, rw_status status, const char *needle)
{
    rw_params *P = make_model(77, 5);
    rw_optim *opt = rw_adam_new(P, &adam_opts);
    rw_rng rng = rw_rng_seed(78);
    long step = 1234;
    snapshot s = take_snapshot(P, opt, &rng);
    rw_status st = rw_checkpoint_load(file, P, opt, &rng, &step);
    cr_assert_eq(st, status, "status %s, want %s: %s", rw_status_name(st), rw_status_name(status), rw_last_error());
    cr_assert(strstr(rw_last_error(), needle) != NULL, "'%s' not in: %s", needle, rw_last_error());
    cr_assert(strstr(rw_last_error(), file) != NULL, "the message names the file: %s", rw_last_error());
    expect_unchanged(&s, P, opt, &rng);
    cr_assert_eq(step, 1234);
    free_snapshot(&s);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* A valid checkpoint of the 5-hidden model, with Adam and an RNG. */
static unsigned char *valid_file(const char *path, size_t *n)
{
    rw_params *P = make_model(1, 5);
    rw_optim *opt = rw_adam_new(P, &adam_opts);
    rw_rng rng = rw_rng_seed(2);
    cr_assert_eq(train(P, opt, &rng, 3), 0);
    cr_assert_eq(rw_checkpoint_save(path, P, opt, &rng, 3), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    rw_params_free(P);
    return slurp(path, n);
}

Test(checkpoint, rejects_bad_magic_version_truncation_and_checksum)
{
    size_t n;
    unsigned char *b = valid_file(path_in("good.rwc"), &n);
    const char *bad = path_in("bad.rwc");
    expect_rejected(path_in("missing.rwc"), RW_ERR_IO, "cannot open: No such file");

    b[1] = 'X';
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "not a rewind checkpoint (bad magic)");
    spit(bad, (const unsigned char *)"hello", 5);
    expect_rejected(bad, RW_ERR_FORMAT, "not a rewind checkpoint (bad magic)");
    b[1] = 'R';

    put_le32(b + 8, 9);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "format version 9 is newer than this library (2)");
    put_le32(b + 8, RW_CHECKPOINT_VERSION);

    char want[64];
    snprintf(want, sizeof want, "truncated at byte %zu (the header says the file has %zu bytes)", n - 7, n);
    spit(bad, b, n - 7);
    expect_rejected(bad, RW_ERR_FORMAT, want);
    spit(bad, b, 5);
    expect_rejected(bad, RW_ERR_FORMAT, "truncated at byte 5");
    spit(bad, b, 0);
    expect_rejected(bad, RW_ERR_FORMAT, "truncated at byte 0");

    b[n / 2] ^= 0x10;
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "checksum mismatch");
    b[n / 2] ^= 0x10;

    unsigned char *longer = malloc(n + 3);
    memcpy(longer, b, n);
    memset(longer + n, 0, 3);
    spit(bad, longer, n + 3);
    expect_rejected(bad, RW_ERR_FORMAT, "3 unexpected bytes after byte");
    free(longer);

    /* Restored byte for byte, the file loads again. */
    spit(bad, b, n);
    rw_params *P = make_model(77, 5);
    rw_optim *opt = rw_adam_new(P, &adam_opts);
    cr_assert_eq(rw_checkpoint_load(bad, P, opt, NULL, NULL), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    rw_params_free(P);
    free(b);
}

Test(checkpoint, rejects_a_file_that_does_not_fit_the_model)
{
    const char *path = path_in("other.rwc");
    rw_rng rng = rw_rng_seed(3);

    /* hidden 8 instead of 5 */
    rw_params *P = make_model(1, 8);
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, &rng, 0), RW_OK);
    expect_rejected(path, RW_ERR_SHAPE, "parameter 'W1' has shape [4, 8] in the file but [4, 5] in the model");
    rw_params_free(P);

    /* a parameter the model lacks */
    P = make_model(1, 5);
    rw_params_add(P, "extra", rw_shape1(2));
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, &rng, 0), RW_OK);
    expect_rejected(path, RW_ERR_SHAPE, "the file has a parameter 'extra' that the model does not have");
    rw_params_free(P);

    /* a parameter of the model missing from the file */
    P = rw_params_new();
    rw_params_add(P, "W1", rw_shape2(4, 5));
    rw_params_add(P, "b1", rw_shape1(5));
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, &rng, 0), RW_OK);
    expect_rejected(path, RW_ERR_SHAPE, "the model's parameter 'W2' is not in the file");
    rw_params_free(P);

    /* right parameters; no optimizer, then another optimizer, then no RNG */
    P = make_model(1, 5);
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, &rng, 0), RW_OK);
    expect_rejected(path, RW_ERR_SHAPE, "the file holds no optimizer state");
    rw_optim *sgd = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.1, .momentum = 0.5 });
    cr_assert_eq(rw_checkpoint_save(path, P, sgd, &rng, 0), RW_OK);
    expect_rejected(path, RW_ERR_SHAPE, "the file's optimizer is 'sgd' but the one given is 'adam'");
    rw_optim *adam = rw_adam_new(P, &adam_opts);
    cr_assert_eq(rw_checkpoint_save(path, P, adam, NULL, 0), RW_OK);
    expect_rejected(path, RW_ERR_SHAPE, "the file holds no RNG state");
    rw_optim_free(sgd);
    rw_optim_free(adam);
    rw_params_free(P);
}

Test(checkpoint, rejects_malformed_sections_even_with_a_valid_checksum)
{
    size_t n;
    unsigned char *b = valid_file(path_in("good.rwc"), &n);
    const char *bad = path_in("bad.rwc");
    /* The first section: tag at 24, length at 28, name length at 36. */
    memcpy(b + 24, "PARX", 4);
    reseal(b, n);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "unknown section 'PARX' at byte 24");
    memcpy(b + 24, "PARM", 4);

    put_le32(b + 28, 1u << 30);
    reseal(b, n);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "section 'PARM' at byte 24 declares 1073741824 bytes but only");
    free(b);

    b = valid_file(path_in("good.rwc"), &n);
    put_le32(b + 36, 4000000000u);
    reseal(b, n);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "tensor name at byte 36 is 4000000000 bytes long");
    put_le32(b + 36, 2);

    put_le32(b + 47, 7); /* rank of W1 */
    reseal(b, n);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "tensor 'W1' has 7 dimensions");
    put_le32(b + 47, 2);

    put_le32(b + 51, 0x7FFFFFFF); /* first dimension of W1: far more data than present */
    reseal(b, n);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_FORMAT, "does not match the");
    put_le32(b + 51, 4);

    b[40] = 'Q'; /* W1 -> Q1: valid file, unknown parameter */
    reseal(b, n);
    spit(bad, b, n);
    expect_rejected(bad, RW_ERR_SHAPE, "the file has a parameter 'Q1' that the model does not have");
    free(b);
}

/* ---- saving --------------------------------------------------------------- */

Test(checkpoint, failed_save_keeps_the_previous_file)
{
    rw_params *P = make_model(1, 4);
    const char *path = path_in("keep.rwc");
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 5), RW_OK);
    size_t n0;
    unsigned char *before = slurp(path, &n0);
    rw_param *w = rw_params_get(P, "b1");
    w->value->data[2] = (rw_real)NAN;
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 6), RW_ERR_NUMERIC);
    cr_assert(strstr(rw_last_error(), "parameter 'b1' holds nan at element 2") != NULL, "%s", rw_last_error());
    size_t n1;
    unsigned char *after = slurp(path, &n1);
    cr_assert(n0 == n1 && memcmp(before, after, n0) == 0, "the old checkpoint is intact");
    cr_assert_eq(count_files(), 1);
    w->value->data[2] = 0;

    cr_assert_eq(rw_checkpoint_save(path_in("no/such/dir.rwc"), P, NULL, NULL, 0), RW_ERR_IO);
    cr_assert(strstr(rw_last_error(), "no/such/dir.rwc") && strstr(rw_last_error(), "No such file"), "%s",
              rw_last_error());
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, -1), RW_ERR_ARG);
    const char *k[] = { "a", "a" }, *v[] = { "1", "2" };
    cr_assert_eq(rw_checkpoint_save_ex(path, P, NULL, NULL, 0, k, v, 2), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "metadata key 'a' is given twice") != NULL, "%s", rw_last_error());
    free(before);
    free(after);
    rw_params_free(P);
}

/* A checkpoint written by the other precision's build loads, converted:
 * here a float64 copy of a float32 file (or the reverse) made by hand. */
Test(checkpoint, other_precision_is_converted)
{
    rw_params *P = rw_params_new();
    rw_param *w = rw_params_add(P, "w", rw_shape1(3));
    w->value->data[0] = 0.5;
    w->value->data[1] = -2;
    w->value->data[2] = 3;
    const char *path = path_in("prec.rwc");
    cr_assert_eq(rw_checkpoint_save(path, P, NULL, NULL, 1), RW_OK);
    size_t n;
    unsigned char *b = slurp(path, &n);
    /* PARM payload: name "w" (4 + 2 bytes), dtype at 42, rank at 46, dim at 50, data at 54. */
    size_t esz = sizeof(rw_real), osz = esz == 4 ? 8 : 4;
    size_t m = n - 3 * esz + 3 * osz;
    unsigned char *c = calloc(m, 1);
    memcpy(c, b, 54);
    put_le32(c + 42, esz == 4 ? 2 : 1);
    for (int i = 0; i < 3; i++) {
        if (osz == 8) {
            double d = w->value->data[i];
            memcpy(c + 54 + 8 * i, &d, 8);
        } else {
            float f = (float)w->value->data[i];
            memcpy(c + 54 + 4 * i, &f, 4);
        }
    }
    memcpy(c + 54 + 3 * osz, b + 54 + 3 * esz, n - 54 - 3 * esz);
    put_le32(c + 28, le32(b + 28) + (uint32_t)(3 * osz) - (uint32_t)(3 * esz));
    put_le32(c + 16, (uint32_t)m);
    reseal(c, m);
    spit(path, c, m);
    rw_tensor_fill(w->value, 0);
    cr_assert_eq(rw_checkpoint_load(path, P, NULL, NULL, NULL), RW_OK, "%s", rw_last_error());
    cr_assert_eq(w->value->data[0], 0.5);
    cr_assert_eq(w->value->data[1], -2);
    cr_assert_eq(w->value->data[2], 3);
    free(b);
    free(c);
    rw_params_free(P);
}
