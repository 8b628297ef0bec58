/* Every registered op has a finite-difference gradient test, and all pass.
 * The cases live in tests/grad_cases/, one file per op family. */
#include <string.h>
#include "rw_test.h"

Test(gradients, every_registered_op_has_a_case)
{
    int missing = 0;
    for (int i = 0; i < rw_op_count(); i++) {
        const rw_op_def *def = rw_op_at(i);
        bool found = false;
        for (int k = 0; k < rwt_grad_case_count() && !found; k++)
            found = strcmp(rwt_grad_case_at(k)->op, def->name) == 0;
        if (!found && def->backward) {
            cr_log_error("op '%s' is registered but has no gradient test case", def->name);
            missing++;
        }
    }
    cr_assert_eq(missing, 0, "%d registered op(s) have no gradient test (see the log)", missing);
}

Test(gradients, every_case_names_a_registered_op)
{
    for (int k = 0; k < rwt_grad_case_count(); k++)
        cr_expect_not_null(rw_op_find(rwt_grad_case_at(k)->op), "case '%s / %s' names no registered op",
                           rwt_grad_case_at(k)->op, rwt_grad_case_at(k)->variant);
}

Test(gradients, all_cases_match_finite_differences)
{
    int failed = 0;
    cr_assert_gt(rwt_grad_case_count(), 0);
    for (int k = 0; k < rwt_grad_case_count(); k++) {
        const rwt_grad_case *c = rwt_grad_case_at(k);
        rw_gradcheck_report rep;
        rw_status st = rwt_run_grad_case(c, &rep);
        if (st != RW_OK) {
            failed++;
            cr_log_error("%s / %s: %s", c->op, c->variant, rw_last_error());
        } else if (rep.checked == 0 || rep.skipped > rep.checked / 4) {
            failed++;
            cr_log_error("%s / %s: checked %zu elements, skipped %zu at kinks: choose inputs away from kinks",
                         c->op, c->variant, rep.checked, rep.skipped);
        }
    }
    cr_assert_eq(failed, 0, "%d gradient case(s) failed (see the log)", failed);
}
