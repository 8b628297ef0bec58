/* Issue 14: what a model load reads is bounded. A model file or an include
 * is a regular file (not /dev/zero, not a FIFO) of at most 16 MiB; includes
 * are bounded in number and bytes, not only in depth; duplicate keys and
 * anchors are found by hashing (50,000 of them load at once); and an include
 * that is not a rewind file is refused without quoting its text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "rw_test.h"

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/rw_limits_%d_XXXXXX", (int)getpid());
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Loads `text` from the test directory and returns a copy of the error. */
static char *load_error(const char *text)
{
    rw_model *m = rw_model_load_string(text, "main.yaml", &(rw_model_load_opts){ .base_dir = dir });
    cr_assert_null(m, "loaded, but should have failed");
    return strdup(rw_last_error());
}

TestSuite(model_limits, .init = make_dir, .fini = remove_dir, .timeout = 60);

Test(model_limits, include_of_a_device_or_fifo_is_refused_at_once)
{
    char *e = load_error("format: rewind/1\ninclude: /dev/zero\n");
    cr_assert(strstr(e, "main.yaml:2:10: error: cannot include '/dev/zero'"), "%s", e);
    cr_assert(strstr(e, "not a regular file"), "%s", e);
    free(e);
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/pipe.yaml", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "%s", strerror(errno));
    e = load_error("format: rewind/1\ninclude: pipe.yaml\n"); /* would block forever if opened */
    cr_assert(strstr(e, "not a regular file"), "%s", e);
    free(e);
    cr_assert_null(rw_model_load("/dev/zero", NULL));
    cr_assert(strstr(rw_last_error(), "/dev/zero: not a regular file"), "%s", rw_last_error());
    cr_assert_null(rw_model_load(fifo, NULL));
    cr_assert(strstr(rw_last_error(), "not a regular file"), "%s", rw_last_error());
}

Test(model_limits, a_model_text_larger_than_16_mib_is_refused)
{
    size_t n = ((size_t)16 << 20) + 100;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    memset(big, ' ', n);
    memcpy(big, "format: rewind/1\n#", 18);
    big[n] = '\0';
    cr_assert_null(rw_model_load_string(big, "big.yaml", NULL));
    cr_assert(strstr(rw_last_error(), "big.yaml: larger than 16777216 bytes"), "%s", rw_last_error());
    write_file("big.yaml", big);
    free(big);
    char *e = load_error("format: rewind/1\ninclude: big.yaml\n");
    cr_assert(strstr(e, "main.yaml:2:10: error: cannot include 'big.yaml'"), "%s", e);
    cr_assert(strstr(e, "larger than"), "%s", e);
    free(e);
}

/* Each file includes the next one 4 times, 8 levels deep: 4^7 documents
 * if nothing but the depth were bounded. */
Test(model_limits, includes_that_multiply_fail_fast_naming_the_chain)
{
    for (int i = 0; i < 8; i++) {
        char name[32], text[512];
        snprintf(name, sizeof name, "f%d.yaml", i);
        if (i < 7)
            snprintf(text, sizeof text, "format: rewind/1\ninclude: [f%d.yaml, f%d.yaml, f%d.yaml, f%d.yaml]\n", i + 1,
                     i + 1, i + 1, i + 1);
        else
            snprintf(text, sizeof text, "format: rewind/1\n");
        write_file(name, text);
    }
    double t0 = seconds();
    char *e = load_error("format: rewind/1\ninclude: f0.yaml\n");
    cr_assert_lt(seconds() - t0, 5.0);
    cr_assert(strstr(e, "more than 64 included documents"), "%s", e);
    cr_assert(strstr(e, "f0.yaml -> "), "the message names the include chain: %s", e);
    cr_assert(strstr(e, ".yaml:2:"), "the message has a position: %s", e);
    free(e);
}

/* /etc/shadow's first line, a YAML mapping that is not a rewind file, and
 * text that is not YAML: none is quoted. */
Test(model_limits, an_include_that_is_not_a_rewind_file_is_not_quoted)
{
    write_file("shadow", "root:$6$Zq1secretHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n");
    write_file("map.yaml", "secret: text\nother: 1\n");
    write_file("junk.yaml", "key: [unclosed secret\n  : - {\n");
    const char *cases[][2] = { { "shadow", "secret" }, { "map.yaml", "secret" }, { "junk.yaml", "secret" } };
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text, "format: rewind/1\ninclude: %s\n", cases[i][0]);
        char *e = load_error(text);
        cr_assert(strstr(e, "not a rewind file"), "%s", e);
        char where[64];
        snprintf(where, sizeof where, "/%s:%d:", cases[i][0], i == 2 ? 2 : 1);
        cr_assert(strstr(e, where), "names the file and position: %s", e);
        cr_assert_null(strstr(e, cases[i][1]), "quotes the included file: %s", e);
        cr_assert_null(strstr(e, "root"), "quotes the included file: %s", e);
        free(e);
    }
    /* a rewind file may be quoted: its unknown key is named */
    write_file("typo.yaml", "format: rewind/1\ncelss: {}\n");
    char *e = load_error("format: rewind/1\ninclude: typo.yaml\n");
    cr_assert(strstr(e, "typo.yaml:2:1: error: unknown key 'celss'"), "%s", e);
    free(e);
}

static char *many(const char *fmt, int n)
{
    size_t cap = (size_t)n * 48 + 256, at = 0;
    char *t = malloc(cap);
    at += (size_t)snprintf(t, cap, "format: rewind/1\nhyper:\n");
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(t + at, cap - at, fmt, i, i);
    return t;
}

/* Was quadratic (6-9 s for 50,000); linear now. The bound is generous so
 * that a slow sanitizer build on a loaded machine cannot flake. */
Test(model_limits, fifty_thousand_keys_or_anchors_load_quickly)
{
    /* 100,000 nodes and more: above the default cap of the alias-bomb check */
    const rw_model_load_opts big_doc = { .max_alias_nodes = 1000000 };
    const char *forms[] = { "  k%d: %d\n", "  k%d: &a%d 1\n" };
    for (int f = 0; f < 2; f++) {
        char *t = many(forms[f], 50000);
        double t0 = seconds();
        rw_model *m = rw_model_load_string(t, "many.yaml", &big_doc);
        double took = seconds() - t0;
        cr_assert_not_null(m, "%s", rw_last_error());
        cr_assert_lt(took, 5.0, "%d keys took %.2f s", 50000, took);
        rw_model_free(m);
        free(t);
    }
    /* duplicates are still found, first and second named */
    char *t = many("  k%d: %d\n", 50000);
    strcat(t, "  k49999: 2\n");
    cr_assert_null(rw_model_load_string(t, "dup.yaml", &big_doc));
    cr_assert(strstr(rw_last_error(), "dup.yaml:50003:3: error: duplicate key 'k49999' (first at dup.yaml:50002:3)"),
              "%s", rw_last_error());
    free(t);
}

/* Sizes from an untrusted model text are checked before parameters are allocated. */
Test(model_limits, a_model_too_large_to_build_is_refused_before_allocating)
{
    const char *text = "format: rewind/1\nmodel:\n  inputs:\n    text: {type: tokens, vocab: data}\n  layers:\n"
                       "    - embedding: {name: emb, size: 8}\n    - lstm: {name: rnn, size: 16000000}\n"
                       "    - linear: {name: head, size: vocab}\n  outputs:\n"
                       "    next: {from: head, loss: cross_entropy, target: \"shift(text, 1)\"}\n";
    cr_assert_null(rw_model_load_string(text, "huge.yaml", &(rw_model_load_opts){ .vocab_size = 16 }));
    cr_assert(strstr(rw_last_error(), "huge.yaml:7:") && strstr(rw_last_error(), "with layer 'rnn' the model would "
              "hold more than"), "%s", rw_last_error());
}
