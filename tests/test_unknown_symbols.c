/* The unknown symbol of character models: a byte vocabulary gets "<unk>" as
 * its last id (rw_vocab_add_unk, and every character vocabulary the model
 * builder makes from data), bytes it lacks encode to it, it survives the
 * saved text, an old saved vocabulary without it behaves as before,
 * generation never emits it, and `rewind eval --data` counts it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

/* ---- the vocabulary ------------------------------------------------------------ */

static void bytes_vocab(rw_vocab *v, const char *text)
{
    unsigned char present[256] = { 0 };
    rw_bytes_mark(text, strlen(text), false, present);
    cr_assert_eq(rw_vocab_from_bytes(v, present), RW_OK, "%s", rw_last_error());
}

Test(unknown_symbols, bytes_the_vocabulary_lacks_encode_to_unk)
{
    rw_vocab v = { 0 };
    bytes_vocab(&v, "hello");
    int32_t ids[6];
    rw_bytes_encode(&v, "helxo!", 6, false, ids);
    cr_expect(ids[3] == -1 && ids[5] == -1, "without <unk>: -1");
    cr_assert_eq(rw_vocab_add_unk(&v), RW_OK, "%s", rw_last_error());
    cr_assert_eq(v.n, 5);
    cr_expect(v.bytes, "still a byte vocabulary");
    cr_expect_eq(v.unk, 4, "<unk> is the last id");
    cr_expect_str_eq(rw_vocab_token(&v, 4), "<unk>");
    rw_bytes_encode(&v, "helxo!", 6, false, ids);
    const int32_t want[6] = { 1, 0, 2, 4, 3, 4 }; /* e h l o keep their ids */
    for (int i = 0; i < 6; i++)
        cr_expect_eq(ids[i], want[i], "byte %d: %d, not %d", i, ids[i], want[i]);
    cr_expect_eq(rw_vocab_find(&v, "<unk>", 5), 4);
    cr_expect_eq(rw_vocab_find(&v, "<", 1), -1, "'<' is not a byte of the text");
    cr_assert_eq(rw_vocab_add_unk(&v), RW_OK);
    cr_expect_eq(v.n, 5, "a second call adds nothing");
    rw_vocab_free(&v);

    rw_vocab opaque = { 0 };
    rw_vocab_opaque(&opaque, 3);
    cr_expect_eq(rw_vocab_add_unk(&opaque), RW_ERR_ARG, "an opaque vocabulary has no strings to add to");
    rw_vocab_free(&opaque);
}

Test(unknown_symbols, unk_survives_the_saved_text)
{
    rw_vocab v = { 0 };
    bytes_vocab(&v, "a<b");
    cr_assert_eq(rw_vocab_add_unk(&v), RW_OK);
    char *text = rw_vocab_to_text(&v, NULL);
    cr_assert_not_null(text, "%s", rw_last_error());
    cr_expect_str_eq(text, "rewind-vocab 1\ntokens 4 bytes\n<\na\nb\n<unk>\n");
    rw_vocab back = { 0 }, labels = { 0 };
    cr_assert_eq(rw_vocab_from_text(&back, &labels, text), RW_OK, "%s", rw_last_error());
    cr_expect(back.bytes && back.n == 4 && back.unk == 3);
    cr_expect_eq(back.byte_id['<'], 0, "the byte '<' and the token <unk> stay apart");
    int32_t ids[3];
    rw_bytes_encode(&back, "a?<", 3, false, ids);
    cr_expect(ids[0] == 1 && ids[1] == 3 && ids[2] == 0);
    free(text);
    rw_vocab_free(&back);
    rw_vocab_free(&labels);
    rw_vocab_free(&v);
}

Test(unknown_symbols, an_old_saved_vocabulary_without_unk_loads_as_before)
{
    rw_vocab v = { 0 }, labels = { 0 };
    cr_assert_eq(rw_vocab_from_text(&v, &labels, "rewind-vocab 1\ntokens 3 bytes\n \na\nb\n"), RW_OK, "%s",
                 rw_last_error());
    cr_expect(v.n == 3 && v.unk == -1);
    int32_t ids[2];
    rw_bytes_encode(&v, "az", 2, false, ids);
    cr_expect(ids[0] == 1 && ids[1] == -1);
    rw_vocab_free(&v);
    rw_vocab_free(&labels);
}

/* ---- models ----------------------------------------------------------------------- */

static const char model_yaml[] =
    "format: rewind/1\n"
    "name: u\n"
    "data: {kind: chars, train: corpus.txt}\n"
    "model:\n"
    "  layers: [{embedding: {size: 4}}, {gru: {size: 6}}, {linear: {name: head, size: vocab}}]\n"
    "  outputs: {y: {target: next}}\n";

static rw_model *from_vocab(const char *vocab)
{
    rw_model *m = rw_model_load_string(model_yaml, "u.yaml", &(rw_model_load_opts){ .skip_data = true,
                                                                                   .vocab = vocab });
    cr_assert_not_null(m, "%s", rw_last_error());
    return m;
}

Test(unknown_symbols, a_model_from_a_saved_vocabulary_keeps_or_lacks_unk)
{
    rw_model *m = from_vocab("rewind-vocab 1\ntokens 4 bytes\n \na\nb\n<unk>\n");
    cr_expect_eq(rw_model_unk_id(m), 3);
    int32_t ids[4];
    cr_expect_eq(rw_model_encode(m, "a?b!", ids, 4), 4);
    cr_expect(ids[0] == 1 && ids[1] == 3 && ids[2] == 2 && ids[3] == 3);
    rw_model_free(m);

    m = from_vocab("rewind-vocab 1\ntokens 3 bytes\n \na\nb\n"); /* saved before <unk> existed */
    cr_expect_eq(rw_model_unk_id(m), -1);
    cr_expect_eq(rw_model_encode(m, "a?b", ids, 4), -1, "an unseen byte is still an error");
    cr_expect(strstr(rw_last_error(), "no <unk>"), "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(1);
    char *text = rw_model_generate(m, "a?", 5, 0, 0, &rng); /* the prime leaves the unseen byte out, as before */
    cr_assert_not_null(text, "%s", rw_last_error());
    cr_expect_eq(strlen(text), 5);
    free(text);
    rw_model_free(m);
}

/* The output bias of <unk> made far larger than any other: unmasked, every
 * sample would be <unk>. */
Test(unknown_symbols, generation_never_emits_unk)
{
    rw_model *m = from_vocab("rewind-vocab 1\ntokens 4 bytes\n \na\nb\n<unk>\n");
    rw_param *b = rw_params_get(rw_model_params(m), "head.b");
    cr_assert_not_null(b, "the head's bias");
    cr_assert_eq(b->value->size, 4);
    b->value->data[3] = 50;
    const double temperatures[] = { 0, 1.0, 5.0 };
    for (int k = 0; k < 3; k++) {
        rw_rng rng = rw_rng_seed(7);
        char *text = rw_model_generate(m, "a\x01" "b", 200, temperatures[k], k == 2 ? 2 : 0, &rng);
        cr_assert_not_null(text, "%s", rw_last_error());
        cr_expect_eq(strlen(text), 200, "temperature %g: one byte a step, none of them <unk>", temperatures[k]);
        cr_expect_eq(strspn(text, " ab"), 200, "temperature %g: only bytes of the vocabulary:\n%s", temperatures[k],
                     text);
        free(text);
    }
    rw_model_free(m);
}

/* ---- with data files ------------------------------------------------------------- */

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rw-unk-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void write_in_dir(const char *name, const char *text) { rwt_write_in(dir, name, text); }

static void remove_dir(void)
{
    const char *names[] = { "u.yaml", "corpus.txt", "other.txt" };
    char path[128];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A checkpoint saved before <unk> existed, rebuilt with its data (as `rewind
 * eval CHECKPOINT` and resuming do): its saved vocabulary has no <unk>, so
 * the data's gets none either and the old parameters fit. */
Test(unknown_symbols, an_old_vocabulary_beside_the_data_keeps_the_old_size, .init = setup, .fini = remove_dir)
{
    write_in_dir("corpus.txt", "ab ba abba");
    const char *saved[] = { "rewind-vocab 1\ntokens 3 bytes\n \na\nb\n", "rewind-vocab 1\ntokens 4 bytes\n \na\nb\n<unk>\n",
                            NULL };
    const int want[] = { 3, 4, 4 };
    for (int k = 0; k < 3; k++) {
        rw_model *m = rw_model_load_string(model_yaml, "u.yaml", &(rw_model_load_opts){ .base_dir = dir,
                                                                                       .vocab = saved[k] });
        cr_assert_not_null(m, "%s", rw_last_error());
        cr_expect_eq(rw_model_vocab_size(m), want[k], "saved vocabulary %d", k);
        cr_expect_eq(rw_model_unk_id(m), k == 0 ? -1 : 3, "saved vocabulary %d", k);
        cr_expect_eq(rw_params_get(rw_model_params(m), "head.b")->value->size, (size_t)want[k]);
        rw_model_free(m);
    }
}

Test(unknown_symbols, eval_counts_bytes_the_training_text_lacks, .init = setup, .fini = remove_dir)
{
    const char *bin = getenv("RW_BINARY_DIR");
    cr_assert(bin, "RW_BINARY_DIR is not set (run the tests through ctest)");
    write_in_dir("u.yaml", model_yaml);
    write_in_dir("corpus.txt", "ab ba abba baab ab ba abab ");
    write_in_dir("other.txt", "ab Zba ab! ab"); /* Z and ! are not in the training text */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && '%s/tools/rewind' eval u.yaml --data other.txt 2>&1", dir, bin);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    cr_assert_eq(status, 0, "rewind eval failed:\n%s", out);
    cr_expect(strstr(out, "other.txt: loss "), "%s", out);
    cr_expect(strstr(out, "unknown symbols 2 of 13 (15.38%)"), "the count of unknown bytes:\n%s", out);
}
