/* docs/cells.md's table of cell options and the registry agree: every
 * registered cell and option has exactly one row, and each row's type,
 * default, allowed values and meaning are the registry's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

#define MAX_ROWS 256

static const char *type_name(rw_option_type t)
{
    return t == RW_OPTION_BOOL ? "bool" : t == RW_OPTION_INT ? "int" : t == RW_OPTION_REAL ? "real" : "enum";
}

/* The row the registry implies for option k of def (k = -1: a cell without options). */
static void expected_row(const rw_cell_def *def, int k, char *buf, size_t len)
{
    if (k < 0) {
        snprintf(buf, len, "| `%s` | — | — | — | — | %s |", def->name, "no options");
        return;
    }
    const rw_cell_option *o = &def->options[k];
    char dflt[64], allowed[256], escaped[300];
    rw_cell_option_format(o, def->opts_defaults, dflt, sizeof dflt);
    rw_cell_option_allowed(o, allowed, sizeof allowed);
    size_t at = 0; /* markdown: the '|' between enum names is written '\|' */
    for (const char *c = allowed; *c && at + 2 < sizeof escaped; c++) {
        if (*c == '|')
            escaped[at++] = '\\';
        escaped[at++] = *c;
    }
    escaped[at] = '\0';
    snprintf(buf, len, "| `%s` | `%s` | %s | %s | %s | %s |", def->name, o->name, type_name(o->type), dflt, escaped,
             o->doc ? o->doc : "");
}

static int read_rows(char rows[][1024])
{
    const char *dir = getenv("RW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/cells.md", dir ? dir : ".");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[1024];
    bool in_section = false;
    int n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_ROWS) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "## ", 3))
            in_section = !strcmp(line, "## Options");
        else if (in_section && !strncmp(line, "| `", 3))
            snprintf(rows[n++], sizeof rows[0], "%s", line);
    }
    fclose(f);
    return n;
}

Test(cells_doc, options_table_and_registry_agree)
{
    static char rows[MAX_ROWS][1024];
    static bool used[MAX_ROWS];
    int n_rows = read_rows(rows), problems = 0, expected = 0;
    cr_assert_gt(n_rows, 0, "docs/cells.md has no '## Options' table");
    for (int i = 0; i < rw_cell_count(); i++) {
        const rw_cell_def *def = rw_cell_at(i);
        for (int k = def->n_options ? 0 : -1; k < def->n_options; k++) {
            char want[512];
            expected_row(def, k, want, sizeof want);
            expected++;
            int r = 0;
            while (r < n_rows && strcmp(rows[r], want) != 0)
                r++;
            if (r == n_rows) {
                cr_log_error("docs/cells.md lacks (or differs from) the row\n%s", want);
                problems++;
            } else {
                used[r] = true;
            }
        }
    }
    for (int r = 0; r < n_rows; r++)
        if (!used[r]) {
            cr_log_error("docs/cells.md has a row the registry does not imply:\n%s", rows[r]);
            problems++;
        }
    cr_assert_eq(problems, 0, "%d disagreement(s) between docs/cells.md and the cell registry", problems);
    cr_assert_eq(n_rows, expected);
}
