/* The symbolic tasks: the embedded Reber grammar, binary addition and XML
 * nesting as tsv_tagging lines (words<TAB>one tag per word), distractor
 * arithmetic as tsv_classify lines (label<TAB>characters). */
#include <string.h>
#include "rewind/tasks.h"
#include "tasks_internal.h"

/* ---- embedded Reber grammar ------------------------------------------------ */

/* The Reber graph: from each state two symbols (chosen with probability
 * 1/2), each leading to a state; state 5 ends the string with E. The tag of
 * a state is the set of symbols legal next, in alphabetical order. */
static const struct {
    char sym[2];
    int to[2];
    const char *legal;
} reber_graph[] = {
    { { 'T', 'P' }, { 1, 2 }, "PT" }, /* 0: after B */
    { { 'S', 'X' }, { 1, 3 }, "SX" },
    { { 'T', 'V' }, { 2, 4 }, "TV" },
    { { 'X', 'S' }, { 2, 5 }, "SX" },
    { { 'P', 'V' }, { 3, 5 }, "PV" },
    { { 'E', 'E' }, { -1, -1 }, "E" },
};

enum { REBER_MAX = 4096 };

/* One embedded Reber string of at most max symbols: its symbols and, for
 * each, the set of symbols legal after it ("." after the last). */
static int reber_string(rwi_task_rng *r, int max, char *sym, const char **legal)
{
    for (;;) {
        char wrap = rwi_task_below(r, 2) ? 'P' : 'T';
        int n = 0;
        sym[n] = 'B', legal[n++] = "PT";
        sym[n] = wrap, legal[n++] = "B";
        sym[n] = 'B', legal[n++] = reber_graph[0].legal;
        for (int s = 0; s >= 0 && n < max;) {
            int pick = rwi_task_below(r, 2);
            int next = reber_graph[s].to[pick];
            sym[n] = reber_graph[s].sym[pick];
            legal[n++] = next >= 0 ? reber_graph[next].legal : (wrap == 'T' ? "T" : "P");
            s = next;
        }
        if (n + 2 > max || sym[n - 1] != 'E')
            continue; /* too long: draw again */
        sym[n] = wrap, legal[n++] = "E";
        sym[n] = 'E', legal[n++] = ".";
        return n;
    }
}

/* Words "B T B T X S E T E", tagged with the legal next symbols: a network
 * that tags every step right predicts every legal next symbol, and only
 * those, through the string (the symbol before the last E needs the
 * second one: the long-range dependency). size: the longest string. */
void rwi_task_reber(rwi_task_rng *r, int size, int split, int n, FILE *out)
{
    (void)split;
    char sym[REBER_MAX];
    const char *legal[REBER_MAX];
    int max = size < REBER_MAX ? size : REBER_MAX;
    for (int e = 0; e < n; e++) {
        int len = reber_string(r, max, sym, legal);
        for (int i = 0; i < len; i++)
            fprintf(out, "%s%c", i ? " " : "", sym[i]);
        fputc('\t', out);
        for (int i = 0; i < len; i++)
            fprintf(out, "%s%s", i ? " " : "", legal[i]);
        fputc('\n', out);
    }
}

/* ---- binary addition --------------------------------------------------------- */

/* Step i reads the word "ab" (bit i of a and of b, least significant first;
 * one "00" step more for the carry) and is tagged with bit i of a + b. The
 * pairs with (a * 2^bits + b) % 7 == 0 are the test split's only, so that
 * test numbers were never seen in training. */
void rwi_task_addition(rwi_task_rng *r, int bits, int split, int n, FILE *out)
{
    uint64_t top = (uint64_t)1 << bits;
    int test = split == RW_TASK_TEST;
    for (int e = 0; e < n;) {
        uint64_t a = rwi_task_next(r) % top, b = rwi_task_next(r) % top;
        if (((a * top + b) % 7 == 0) != test)
            continue;
        e++;
        uint64_t sum = a + b;
        for (int i = 0; i <= bits; i++)
            fprintf(out, "%s%u%u", i ? " " : "", (unsigned)(a >> i) & 1, (unsigned)(b >> i) & 1);
        fputc('\t', out);
        for (int i = 0; i <= bits; i++)
            fprintf(out, "%s%u", i ? " " : "", (unsigned)(sum >> i) & 1);
        fputc('\n', out);
    }
}

/* ---- distractor arithmetic ----------------------------------------------------- */

/* size digits, two of them marked by a '*' before them; the label is the sum
 * of the two marked digits (0 .. 18). The other digits are distractors. */
void rwi_task_distractor(rwi_task_rng *r, int T, int split, int n, FILE *out)
{
    (void)split;
    for (int e = 0; e < n; e++) {
        int first = rwi_task_below(r, T), second = rwi_task_below(r, T - 1);
        second += second >= first;
        char text[2 * 4096 + 3];
        int len = 0, sum = 0;
        for (int t = 0; t < T && t < 4096; t++) {
            int d = rwi_task_below(r, 10);
            if (t == first || t == second) {
                text[len++] = '*';
                sum += d;
            }
            text[len++] = (char)('0' + d);
        }
        text[len] = '\0';
        fprintf(out, "%d\t%s\n", sum, text);
    }
}

/* ---- XML nesting ----------------------------------------------------------------- */

/* A document of elements named a .. d nested at most `depth` deep, as the
 * words "<a> <b> </> </>": an opening tag names its element, every closing
 * tag is the bare "</>". Each word is tagged with the element open after
 * it ("-" at the top level), so a closing tag's tag is its parent: the
 * network has to keep the stack of open elements. */
void rwi_task_xml(rwi_task_rng *r, int depth, int split, int n, FILE *out)
{
    (void)split;
    char stack[64];
    for (int e = 0; e < n; e++) {
        int elements = 1 + rwi_task_below(r, 2 * depth), open = 0, words = 0;
        char tags[4 * 64 * 2 + 1];
        int tlen = 0;
        while (elements > 0 || open > 0) {
            int can_open = elements > 0 && open < depth;
            if (can_open && (open == 0 || rwi_task_below(r, 2))) {
                stack[open] = (char)('a' + rwi_task_below(r, 4));
                fprintf(out, "%s<%c>", words ? " " : "", stack[open]);
                open++;
                elements--;
            } else {
                fprintf(out, "%s</>", words ? " " : "");
                open--;
            }
            if (words)
                tags[tlen++] = ' ';
            tags[tlen++] = open ? stack[open - 1] : '-';
            words++;
        }
        tags[tlen] = '\0';
        fprintf(out, "\t%s\n", tags);
    }
}
