/* Data for the task models in this directory, generated deterministically
 * from a seed (the same file on every machine: its own splitmix64, printf
 * with fixed precision). Until the `rewind task` command exists, build it
 * with the tests (build/tests/gen_task) or by hand:
 *     cc -O2 -o gen_task models/tasks/gen_task.c
 *
 *   gen_task adding T N SEED      the adding problem as tsv_vectors: T steps
 *                                 of (x, marker), x uniform in [0, 1), two
 *                                 steps marked (one in each half); the target
 *                                 is the sum of the two marked x
 *   gen_task addition BITS N SEED SPLIT
 *                                 binary addition as tsv_tagging: per step the
 *                                 word "ab" (bits of a and b, least significant
 *                                 first, then one "00" step for the carry),
 *                                 tagged with the bit of a + b. SPLIT train
 *                                 or test: the pairs with (a * 2^BITS + b) % 7
 *                                 == 0 are the test set, the rest train. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t next(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(void) { return (double)(next() >> 11) / 9007199254740992.0; }

static unsigned below(unsigned n) { return (unsigned)(next() % n); }

static void adding(int T, int n)
{
    for (int e = 0; e < n; e++) {
        int first = (int)below((unsigned)(T / 2)), second = T / 2 + (int)below((unsigned)(T - T / 2));
        double sum = 0;
        for (int t = 0; t < T; t++) {
            double x = (double)(int)(uniform() * 1000) / 1000; /* 3 decimals: the file holds exactly these */
            int mark = t == first || t == second;
            sum += mark ? x : 0;
            printf("%s%.3f %d", t ? ";" : "", x, mark);
        }
        printf("\t%.3f\n", sum);
    }
}

static void addition(int bits, int n, int test)
{
    unsigned top = 1u << bits;
    for (int e = 0; e < n;) {
        unsigned a = below(top), b = below(top);
        if ((((uint64_t)a * top + b) % 7 == 0) != (test != 0))
            continue;
        e++;
        unsigned sum = a + b;
        for (int i = 0; i <= bits; i++)
            printf("%s%u%u", i ? " " : "", (a >> i) & 1, (b >> i) & 1);
        printf("\t");
        for (int i = 0; i <= bits; i++)
            printf("%s%u", i ? " " : "", (sum >> i) & 1);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "adding") && atoi(argv[2]) >= 2 && atoi(argv[3]) >= 1) {
        state = strtoull(argv[4], NULL, 10);
        adding(atoi(argv[2]), atoi(argv[3]));
        return 0;
    }
    if (argc >= 6 && !strcmp(argv[1], "addition") && atoi(argv[2]) >= 1 && atoi(argv[2]) <= 24 &&
        atoi(argv[3]) >= 1 && (!strcmp(argv[5], "train") || !strcmp(argv[5], "test"))) {
        state = strtoull(argv[4], NULL, 10);
        addition(atoi(argv[2]), atoi(argv[3]), !strcmp(argv[5], "test"));
        return 0;
    }
    fprintf(stderr, "usage: gen_task adding T N SEED\n       gen_task addition BITS N SEED train|test\n");
    return 2;
}
