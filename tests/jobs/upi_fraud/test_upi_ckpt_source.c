/* gen:upi and gen:upi_logins checkpoints: stopped after any number of records, snapshotted and
 * resumed by a fresh instance opened from the snapshot, the source delivers exactly what an
 * uninterrupted run delivers, with the same line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/upi_fraud/upi.h"
#include "tests/harness/source_run.h"

static void check(const sg_source_def *def, const char *uri, int subtask, int parallelism, size_t k)
{
    char msg[512];
    if (sg__srun_check_split(def, uri, subtask, parallelism, k, msg, sizeof(msg)) < 0)
        fail_msg("%s", msg);
}

static const size_t splits[] = {0, 1, 2, 17, 150, 299, 300, 301, 1000};

static void test_resumes_where_it_stopped(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        check(&upi_txn_generator, "gen:upi?count=300&payers=40", 0, 1, splits[i]);
        check(&upi_login_generator, "gen:upi_logins?count=300&payers=40", 0, 1, splits[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumes_where_it_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
