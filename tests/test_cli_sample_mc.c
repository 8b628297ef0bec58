/* `rewind sample --mc-dropout N`: Monte-Carlo dropout averaging for
 * generation. It runs for sampling, greedy decoding and beam search, is
 * reproducible under --seed, differs from plain sampling for a model with
 * dropout (also a stacked layer with only dropout between its layers), and
 * is refused for a model without dropout or with a bad N. */
#include "cli_harness.h"

/* The tiny model trained with the --set values `sets` (NULL-terminated) to run/tiny.rwc. */
static void train_with(const char *const *sets)
{
    write_tiny_model();
    const char *args[16] = { "train", "tiny.yaml", "--quiet", "--steps", "6" };
    int n = 5;
    for (; *sets; sets++) {
        args[n++] = "--set";
        args[n++] = *sets;
    }
    run_result r = run_in(dir, "train", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* The tiny model trained with (or without) dropout on its recurrent layer. */
static void train_tiny(bool dropout)
{
    if (dropout)
        train_with((const char *const[]){ "model.layers.1.lstm.dropout={input: 0.3, recurrent: 0.3, output: 0.3, "
                                          "mask: per_sequence}", NULL });
    else
        train_with((const char *const[]){ NULL });
}

static char *sample(const char *tag, const char *const *extra)
{
    const char *args[16] = { "sample", "run/tiny.rwc", "--length", "30" };
    int n = 4;
    for (; *extra; extra++)
        args[n++] = *extra;
    run_result r = run_in(dir, tag, args);
    cr_assert_eq(r.status, 0, "sample (%s): %s", tag, r.err);
    cr_assert(strstr(r.out, "the ") != NULL, "the prime starts the text (%s): '%s'", tag, r.out);
    free(r.err);
    return r.out;
}

#define SAMPLE(tag, ...) sample(tag, (const char *const[]){ __VA_ARGS__, NULL })

Test(cli, sample_with_mc_dropout_is_seeded_and_differs_from_plain_sampling)
{
    train_tiny(true);
    char *a = SAMPLE("mc_a", "--seed", "5", "--mc-dropout", "4");
    char *b = SAMPLE("mc_b", "--seed", "5", "--mc-dropout", "4");
    char *other = SAMPLE("mc_other", "--seed", "6", "--mc-dropout", "4");
    char *plain = SAMPLE("plain", "--seed", "5");
    cr_expect_str_eq(a, b, "the same seed gives the same text");
    cr_expect(strncmp(a, "the ", 4) == 0 && strlen(a) == strlen("the ") + 30 + 1, "30 bytes after the prime: '%s'", a);
    cr_expect_str_neq(a, other, "another seed, another text");
    cr_expect_str_neq(a, plain, "averaging dropout passes is not plain sampling");
    char *greedy = SAMPLE("mc_greedy", "--method", "greedy", "--mc-dropout", "3");
    char *beam = SAMPLE("mc_beam", "--beam", "2", "--nbest", "2", "--mc-dropout", "3");
    cr_expect(strchr(greedy, '\n') == greedy + strlen(greedy) - 1, "one line: '%s'", greedy);
    cr_expect(strstr(beam, "\tthe ") && strstr(strchr(beam, '\n') + 1, "\tthe "), "two scored lines:\n%s", beam);
    free(a);
    free(b);
    free(other);
    free(plain);
    free(greedy);
    free(beam);
}

Test(cli, sample_with_mc_dropout_is_refused_without_dropout_or_with_a_bad_count)
{
    train_tiny(false);
    run_result r = RUN(dir, "sample", "run/tiny.rwc", "--mc-dropout", "4");
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "has no dropout"), "says why:\n%s", r.err);
    cr_expect_str_empty(r.out);
    run_free(&r);
    for (const char *const *bad = (const char *const[]){ "1", "0", "-3", "many", "1001", NULL }; *bad; bad++) {
        r = RUN(dir, "sample", "run/tiny.rwc", "--mc-dropout", *bad);
        cr_expect_eq(r.status, 2, "--mc-dropout %s: %s", *bad, r.err);
        cr_expect(strstr(r.err, "--mc-dropout"), "names the option:\n%s", r.err);
        run_free(&r);
    }
}

Test(cli, sample_with_mc_dropout_applies_the_dropout_between_stacked_layers)
{
    train_with((const char *const[]){ "model.layers.1.lstm.stack=2", "model.layers.1.lstm.dropout={between: 0.4}",
                                      NULL });
    char *a = SAMPLE("stack_a", "--seed", "5", "--mc-dropout", "4");
    char *b = SAMPLE("stack_b", "--seed", "5", "--mc-dropout", "4");
    char *greedy = SAMPLE("stack_greedy", "--method", "greedy");
    char *mc_greedy = SAMPLE("stack_mc_greedy", "--method", "greedy", "--mc-dropout", "8");
    char *beam = SAMPLE("stack_beam", "--beam", "2", "--mc-dropout", "3");
    cr_expect_str_eq(a, b, "the same seed gives the same text");
    cr_expect(strlen(a) == strlen("the ") + 30 + 1, "30 bytes after the prime: '%s'", a);
    cr_expect_str_neq(greedy, mc_greedy, "greedy decoding of the mean of dropout passes is not plain greedy decoding");
    cr_expect(strncmp(beam, "the ", 4) == 0, "beam search runs: '%s'", beam);
    free(a);
    free(b);
    free(greedy);
    free(mc_greedy);
    free(beam);
}
