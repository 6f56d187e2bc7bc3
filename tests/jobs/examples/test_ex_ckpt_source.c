/* gen:clicks (parallel: one position per instance) checkpoints: stopped after any number of
 * records, snapshotted and resumed by a fresh instance opened from the snapshot, the source
 * delivers exactly what an uninterrupted run delivers, with the same line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/examples/threshold.h"
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
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++)
        for (int s = 0; s < 3; s++)
            check(&ex_click_source, "gen:clicks?count=300", s, 3, splits[i] / 3);
}

/* A position is a residue modulo the parallelism: restoring it at another one would
 * skip or repeat clicks, so it is refused. */
static void test_refuses_a_position_of_another_parallelism(void **state)
{
    sg__srun *r;
    sg_bytes snap;
    (void)state;
    assert_int_equal(sg__srun_new(&ex_click_source, "gen:clicks?count=30", 1, 3,
                                  SG_CHECKPOINT_EXACTLY_ONCE, NULL, NULL, &r),
                     SG_OK);
    assert_int_equal(sg__srun_poll(r, 4), SG_OK);
    assert_int_equal(sg__srun_snapshot(r, &snap), SG_OK);
    sg__srun_free(r);
    assert_int_equal(sg__srun_new(&ex_click_source, "gen:clicks?count=30", 1, 2,
                                  SG_CHECKPOINT_EXACTLY_ONCE, &snap, NULL, &r),
                     SG_ESERDE);
    assert_string_equal(sg__srun_errmsg(r), "gen:clicks?count=30: the checkpoint's position does "
                                            "not fit instance 1 of 2");
    sg__srun_free(r);
    sg_free((void *)(uintptr_t)snap.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumes_where_it_stopped),
        cmocka_unit_test(test_refuses_a_position_of_another_parallelism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
