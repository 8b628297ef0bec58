/* `rewind predict` on a text classifier (data kind tsv_classify): the
 * labels it predicts for held-out lines, with their probabilities, in file
 * order; lines without a label; a label the model never saw. */
#include "cli_harness.h"

/* Lines "A<TAB>text" when the text has more a's than b's, else "B". */
static void write_majority_lines(const char *name, int n, unsigned seed, bool with_labels)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    for (int i = 0; i < n; i++) {
        char text[16];
        int len = 3 + (int)(rand_r(&seed) % 6), a = 0;
        for (int j = 0; j < len; j++) {
            text[j] = rand_r(&seed) % 2 ? 'a' : 'b';
            a += text[j] == 'a';
        }
        text[len] = '\0';
        fprintf(f, "%s\t%s\n", with_labels ? (2 * a > len ? "A" : "B") : "", text);
    }
    fclose(f);
}

static const char classifier_yaml[] =
    "format: rewind/1\n"
    "name: majority\n"
    "data: {kind: tsv_classify, train: train.tsv, valid_fraction: 0.1}\n"
    "model:\n"
    "  inputs: {text: {type: tokens, vocab: data}}\n"
    "  layers:\n"
    "    - embedding: {name: emb, size: 8}\n"
    "    - lstm: {name: rnn, size: 16, output: last}\n"
    "    - linear: {name: head, size: classes}\n"
    "  outputs:\n"
    "    label: {from: head, activation: softmax, loss: cross_entropy, target: label}\n"
    "train:\n"
    "  seed: 5\n"
    "  steps: 150\n"
    "  batch: {size: 16}\n"
    "  optimizer: {type: adam, lr: 0.02}\n"
    "  checkpoint: {path: majority.rwc}\n";

Test(cli, predict_labels_the_lines_of_a_text_classifier)
{
    write_majority_lines("train.tsv", 400, 1, true);
    write_majority_lines("test.tsv", 200, 2, true);
    write_majority_lines("unlabelled.tsv", 3, 3, false);
    char path[128];
    snprintf(path, sizeof path, "%s/majority.yaml", dir);
    write_file(path, classifier_yaml);
    run_result r = RUN(dir, "train", "majority.yaml", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);

    r = RUN(dir, "predict", "majority.rwc", "--data", "test.tsv", "--top", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    int n = 0, right = 0;
    for (char *line = r.out; *line; n++) {
        int index;
        char first, second, target;
        double p1, p2;
        cr_assert_eq(sscanf(line, "%d\t%c:%lf %c:%lf\t%c", &index, &first, &p1, &second, &p2, &target), 6,
                     "line %d is not index<TAB>label:p label:p<TAB>target: %.60s", n, line);
        cr_assert_eq(index, n, "file order");
        cr_assert(first != second && p1 >= p2 && fabs(p1 + p2 - 1) < 1e-3, "%.60s", line);
        right += first == target;
        line = strchr(line, '\n') + 1;
    }
    cr_assert_eq(n, 200);
    cr_assert_geq(right, 170, "%d of 200 held-out lines right (chance: about 100)", right);
    run_free(&r);

    /* no label: the target column is empty */
    r = RUN(dir, "predict", "majority.rwc", "--data", "unlabelled.tsv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char label;
    double p;
    cr_assert_eq(sscanf(r.out, "0\t%c:%lf\t\n1\t", &label, &p), 2, "%s", r.out);
    cr_assert(label == 'A' || label == 'B');
    run_free(&r);

    snprintf(path, sizeof path, "%s/other.tsv", dir);
    write_file(path, "A\tab\nQ\tba\n");
    r = RUN(dir, "predict", "majority.rwc", "--data", "other.tsv");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "other.tsv:2: label 'Q' is not one of the model's 2 classes"), "%s", r.err);
    run_free(&r);
}
