/* docs/ops.md lists exactly the registered built-in ops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

#define MAX_ROWS 512

static int read_table(char names[][64])
{
    const char *dir = getenv("RW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/ops.md", dir ? dir : ".");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_ROWS) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        char *end = strchr(line + 3, '`');
        cr_assert_not_null(end, "malformed row: %s", line);
        size_t len = (size_t)(end - (line + 3));
        cr_assert_lt(len, 64);
        memcpy(names[n], line + 3, len);
        names[n][len] = '\0';
        n++;
    }
    fclose(f);
    return n;
}

Test(ops_doc, table_and_registry_agree)
{
    static char names[MAX_ROWS][64];
    int rows = read_table(names);
    int problems = 0;
    for (int i = 0; i < rw_op_count(); i++) {
        bool found = false;
        for (int r = 0; r < rows && !found; r++)
            found = strcmp(names[r], rw_op_at(i)->name) == 0;
        if (!found) {
            cr_log_error("op '%s' is registered but missing from docs/ops.md", rw_op_at(i)->name);
            problems++;
        }
    }
    for (int r = 0; r < rows; r++) {
        if (!rw_op_find(names[r])) {
            cr_log_error("docs/ops.md lists '%s', which is not registered", names[r]);
            problems++;
        }
        for (int k = 0; k < r; k++)
            if (strcmp(names[k], names[r]) == 0) {
                cr_log_error("docs/ops.md lists '%s' twice", names[r]);
                problems++;
            }
    }
    cr_assert_eq(problems, 0, "%d disagreement(s) between docs/ops.md and the registry", problems);
}
