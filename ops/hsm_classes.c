/* The word classes of the hierarchical softmax (ops_hsm.h): built from
 * word counts by frequency binning, or from a saved assignment, and
 * written as text for checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/ops_hsm.h"

int rw_hsm_default_classes(int n_words)
{
    int c = (int)lround(sqrt(n_words > 0 ? (double)n_words : 1.0));
    return c < 1 ? 1 : c;
}

void rw_hsm_classes_free(rw_hsm_classes *cls)
{
    if (!cls)
        return;
    rw_tensor_free(cls->class_of);
    rw_tensor_free(cls->words);
    rw_tensor_free(cls->start);
    memset(cls, 0, sizeof *cls);
}

rw_status rw_hsm_classes_from_assignment(rw_hsm_classes *cls, const int32_t *class_of, int n_words, int n_classes)
{
    if (!cls || !class_of || n_words < 1 || n_classes < 1 || n_classes > n_words)
        return rw_error(RW_ERR_ARG, "hierarchical softmax: needs 1 <= classes <= words (got %d classes for %d "
                        "words)", n_classes, n_words);
    for (int w = 0; w < n_words; w++)
        if (class_of[w] < 0 || class_of[w] >= n_classes)
            return rw_error(RW_ERR_ARG, "hierarchical softmax: word %d is in class %d, outside 0..%d", w,
                            (int)class_of[w], n_classes - 1);
    memset(cls, 0, sizeof *cls);
    cls->class_of = rw_tensor_from_ints(rw_shape1(n_words), class_of);
    cls->words = rw_tensor_new(RW_INT32, rw_shape1(n_words));
    cls->start = rw_tensor_new(RW_INT32, rw_shape1(n_classes + 1));
    if (!cls->class_of || !cls->words || !cls->start) {
        rw_hsm_classes_free(cls);
        return rw_last_status();
    }
    cls->n_words = n_words;
    cls->n_classes = n_classes;
    int32_t *start = cls->start->idata, *words = cls->words->idata;
    memset(start, 0, (size_t)(n_classes + 1) * sizeof *start);
    for (int w = 0; w < n_words; w++) /* counts, then running starts: a counting sort by class */
        start[class_of[w] + 1]++;
    for (int c = 0; c < n_classes; c++) {
        if (start[c + 1] == 0) {
            rw_hsm_classes_free(cls);
            return rw_error(RW_ERR_ARG, "hierarchical softmax: class %d has no words", c);
        }
        start[c + 1] += start[c];
    }
    int32_t *fill = rwi_malloc((size_t)n_classes * sizeof *fill, "class positions");
    if (!fill) {
        rw_hsm_classes_free(cls);
        return RW_ERR_NOMEM;
    }
    memcpy(fill, start, (size_t)n_classes * sizeof *fill);
    for (int w = 0; w < n_words; w++)
        words[fill[class_of[w]]++] = w;
    rwi_free(fill);
    return RW_OK;
}

typedef struct counted {
    double count;
    int word;
} counted;

static int by_falling_count(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->word > y->word) - (x->word < y->word);
}

rw_status rw_hsm_classes_from_counts(rw_hsm_classes *cls, const double *counts, int n_words, int n_classes)
{
    if (!cls || !counts || n_words < 1)
        return rw_error(RW_ERR_ARG, "rw_hsm_classes_from_counts: needs counts of at least one word");
    if (n_classes < 1 || n_classes > n_words)
        return rw_error(RW_ERR_ARG, "hierarchical softmax: %d classes for %d words (needs 1 <= classes <= words)",
                        n_classes, n_words);
    double total = 0;
    for (int w = 0; w < n_words; w++) {
        if (!(counts[w] >= 0) || !isfinite(counts[w]))
            return rw_error(RW_ERR_ARG, "rw_hsm_classes_from_counts: count %g of word %d is not a finite number "
                            ">= 0", counts[w], w);
        total += counts[w];
    }
    counted *order = rwi_malloc((size_t)n_words * sizeof *order, "words by count");
    int32_t *class_of = rwi_malloc((size_t)n_words * sizeof *class_of, "a class assignment");
    if (!order || !class_of) {
        rwi_free(order);
        rwi_free(class_of);
        return RW_ERR_NOMEM;
    }
    for (int w = 0; w < n_words; w++)
        order[w] = (counted){ total > 0 ? counts[w] : 1, w };
    qsort(order, (size_t)n_words, sizeof *order, by_falling_count);
    /* Bin k closes once the running count reaches (k + 1) / C of the total,
     * or when the words left are just enough for one each in the classes left. */
    double acc = 0;
    int k = 0;
    for (int i = 0; i < n_words; i++) {
        class_of[order[i].word] = k;
        acc += order[i].count;
        int words_left = n_words - i - 1, classes_left = n_classes - k - 1;
        double share = (total > 0 ? total : n_words) * (k + 1) / n_classes;
        if (classes_left > 0 && words_left >= classes_left && (acc >= share || words_left == classes_left))
            k++;
    }
    rw_status st = rw_hsm_classes_from_assignment(cls, class_of, n_words, n_classes);
    rwi_free(order);
    rwi_free(class_of);
    return st;
}

char *rw_hsm_classes_to_text(const rw_hsm_classes *cls)
{
    if (!cls || !cls->class_of) {
        rw_error(RW_ERR_ARG, "rw_hsm_classes_to_text: no classes");
        return NULL;
    }
    size_t cap = 64 + (size_t)cls->n_words * 12, at;
    char *text = rwi_malloc(cap, "the classes as text");
    if (!text)
        return NULL;
    at = (size_t)snprintf(text, cap, "rewind-hsm 1 %d %d\n", cls->n_words, cls->n_classes);
    for (int w = 0; w < cls->n_words; w++)
        at += (size_t)snprintf(text + at, cap - at, "%d%c", (int)cls->class_of->idata[w],
                               w % 32 == 31 || w == cls->n_words - 1 ? '\n' : ' ');
    return text;
}

rw_status rw_hsm_classes_from_text(rw_hsm_classes *cls, const char *text)
{
    int n_words, n_classes, used;
    if (!cls || !text || sscanf(text, "rewind-hsm 1 %d %d%n", &n_words, &n_classes, &used) != 2 || n_words < 1 ||
        n_classes < 1)
        return rw_error(RW_ERR_FORMAT, "hierarchical softmax classes: expected 'rewind-hsm 1 <words> <classes>' "
                        "at the start");
    int32_t *class_of = rwi_malloc((size_t)n_words * sizeof *class_of, "a class assignment");
    if (!class_of)
        return RW_ERR_NOMEM;
    const char *p = text + used;
    for (int w = 0; w < n_words; w++) {
        char *end;
        long c = strtol(p, &end, 10);
        if (end == p || c < 0 || c >= n_classes) {
            rwi_free(class_of);
            return rw_error(RW_ERR_FORMAT, "hierarchical softmax classes: entry %d of %d is missing or not a class "
                            "in 0..%d", w, n_words, n_classes - 1);
        }
        class_of[w] = (int32_t)c;
        p = end;
    }
    rw_status st = rw_hsm_classes_from_assignment(cls, class_of, n_words, n_classes);
    rwi_free(class_of);
    return st;
}
