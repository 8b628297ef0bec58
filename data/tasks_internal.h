/* data/tasks_internal.h - what the task generators share: their random
 * numbers (splitmix64, the same on every machine) and their signature. */
#ifndef REWIND_DATA_TASKS_INTERNAL_H
#define REWIND_DATA_TASKS_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

typedef struct rwi_task_rng {
    uint64_t state;
} rwi_task_rng;

uint64_t rwi_task_next(rwi_task_rng *r);
/* Uniform in [0, n), n >= 1. */
int rwi_task_below(rwi_task_rng *r, int n);

/* Writes n examples of a task of the given size; split is an rw_task_split
 * (binary addition holds some pairs out for the test split). */
typedef void (*rwi_task_fn)(rwi_task_rng *r, int size, int split, int n, FILE *out);

void rwi_task_adding(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_sign(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_larger(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_sum(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_reber(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_addition(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_distractor(rwi_task_rng *r, int size, int split, int n, FILE *out);
void rwi_task_xml(rwi_task_rng *r, int size, int split, int n, FILE *out);

#endif
