/* gen:keys (bench/jobs/keycount) checkpoints: each parallel instance, stopped after
 * any number of records, snapshotted and resumed by a fresh instance, emits exactly
 * the records of an uninterrupted run. The generator is static in the job's file,
 * which is compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/jobs/keycount/job.c"
#include "tests/harness/source_run.h"

static void test_each_instance_resumes_where_it_stopped(void **state)
{
    static const size_t splits[] = {0, 1, 2, 33, 99, 100, 101, 500};
    char msg[512];
    (void)state;
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++)
        for (int s = 0; s < 3; s++)
            if (sg__srun_check_split(&keys_generator, "gen:keys?count=300&keys=17", s, 3, splits[i],
                                     msg, sizeof(msg)) < 0)
                fail_msg("%s", msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_instance_resumes_where_it_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
