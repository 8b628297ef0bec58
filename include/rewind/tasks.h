/* rewind/tasks.h - the classic synthetic sequence tasks, generated as data
 * files: the adding problem, the sign of the first input, the larger of two
 * streams, the sum of the inputs, the embedded Reber grammar, multi-bit
 * binary addition, distractor arithmetic and XML nesting.
 *
 * Every task writes its examples in a data kind that model files read
 * (tsv_vectors, tsv_tagging or tsv_classify), one example a line, and is
 * deterministic: the same task, size, counts and seed give the same bytes on
 * every machine (its own random generator; numbers printed from integers).
 * docs/tasks.md describes each task, its format and the model that learns
 * it; `rewind task NAME --out DIR --seed N` is the command-line front end.
 *
 *     static rw_status make_adding_data(void)
 *     {
 *         rw_task_opts o = { .seed = 1, .size = 50, .train = 4000 };  // 0: the task's default
 *         const rw_task_info *t = rw_task_find("adding");
 *         if (!t)
 *             return rw_last_status();             // "unknown task 'x' (known: adding, ...)"
 *         printf("%s: %s (%s files)\n", t->name, t->summary, t->kind);
 *         return rw_task_write("adding", "data/adding", &o);  // data/adding/{train,valid,test}.tsv
 *     }
 */
#ifndef REWIND_TASKS_H
#define REWIND_TASKS_H

#include "rewind/export.h"

#include <stdint.h>
#include <stdio.h>
#include "rewind/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The three files of a task: train.tsv, valid.tsv and test.tsv. */
typedef enum rw_task_split { RW_TASK_TRAIN, RW_TASK_VALID, RW_TASK_TEST } rw_task_split;

typedef struct rw_task_opts {
    uint64_t seed;          /* the same seed gives the same files */
    int size;               /* the task's size (rw_task_info.size_means); 0: its default */
    int train, valid, test; /* examples per split; 0: the task's defaults */
} rw_task_opts;

typedef struct rw_task_info {
    const char *name;       /* "adding" */
    const char *kind;       /* the data kind of its files: "tsv_vectors" */
    const char *summary;    /* one line */
    const char *size_means; /* "T, the steps" */
    int default_size, min_size, max_size;
    int default_train, default_valid, default_test;
} rw_task_info;

/* The tasks, in a fixed order: 0 <= i < rw_task_count(); NULL outside. */
RW_API int rw_task_count(void);
RW_API const rw_task_info *rw_task_at(int i);
/* The task called `name`; NULL with RW_ERR_ARG naming the known ones. */
RW_API const rw_task_info *rw_task_find(const char *name);

/* Writes n examples of one split to `out`. RW_ERR_ARG for an unknown task,
 * a size outside [min_size, max_size] or n < 1; RW_ERR_IO when writing fails. */
RW_API rw_status rw_task_generate(const char *name, const rw_task_opts *opts, rw_task_split split, int n, FILE *out);

/* Writes DIR/train.tsv, DIR/valid.tsv and DIR/test.tsv (creating DIR and
 * its parents when missing) with opts' counts. Errors as rw_task_generate,
 * and RW_ERR_IO naming the file that cannot be written. */
RW_API rw_status rw_task_write(const char *name, const char *dir, const rw_task_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
