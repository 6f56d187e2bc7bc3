/* The graph-building calls of the window toolkit reject bad shapes with one clear
 * message: allowed lateness out of range or without merge, a missing process-window
 * function, count windows with a bad size or slide or without a needed merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/job.h"

static int add(void *acc, const sg_record *rec, void *udata)
{
    (void)rec;
    (void)udata;
    ++*(int64_t *)acc;
    return SG_OK;
}

static void merge(void *acc, const void *other, void *udata)
{
    (void)udata;
    *(int64_t *)acc += *(const int64_t *)other;
}

static int result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                  void *udata)
{
    (void)start;
    (void)udata;
    sg_bytes v = {acc, sizeof(int64_t)};
    return sg_emit(ctx, end - 1, key, v);
}

static int proc(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const sg_record *elems,
                size_t n, void *udata)
{
    (void)start;
    (void)elems;
    (void)udata;
    int64_t c = (int64_t)n;
    sg_bytes v = {&c, sizeof(c)};
    return sg_emit(ctx, end - 1, key, v);
}

static int any_key(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    (void)ctx;
    (void)udata;
    *key = in->value;
    return SG_OK;
}

static const sg_aggregate_def with_merge = {.abi = SG_AGGREGATE_ABI_1,
                                            .acc_size = sizeof(int64_t),
                                            .add = add,
                                            .merge = merge,
                                            .result = result};
static const sg_aggregate_def no_merge = {
    .abi = SG_AGGREGATE_ABI_1, .acc_size = sizeof(int64_t), .add = add, .result = result};
static const sg_window_process_def process_def = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = proc};

static sg_stream *keyed(sg_job **job)
{
    *job = sg__job_new(1, 1);
    sg_stream *s = sg_job_source(*job, "src", "file:/dev/null.jsonl", NULL);
    return sg_stream_key_by(s, "k", any_key, NULL);
}

/* The call made by 'build' fails with rc and a message containing 'words'. */
#define EXPECT_FAILS(build, rc, words)                                                             \
    do {                                                                                           \
        sg_job *job;                                                                               \
        sg_stream *k = keyed(&job);                                                                \
        assert_non_null(k);                                                                        \
        assert_null(build);                                                                        \
        assert_int_equal(sg_job_status(job), rc);                                                  \
        assert_non_null(strstr(sg_job_errmsg(job), words));                                        \
        sg__job_free(job);                                                                         \
    } while (0)

#define EXPECT_OK(build)                                                                           \
    do {                                                                                           \
        sg_job *job;                                                                               \
        sg_stream *k = keyed(&job);                                                                \
        assert_non_null(build);                                                                    \
        assert_int_equal(sg_job_status(job), SG_OK);                                               \
        sg__job_free(job);                                                                         \
    } while (0)

static void test_allowed_lateness_is_checked(void **state)
{
    sg_window neg = {.size_ms = 10, .allowed_lateness_ms = -1};
    sg_window late = {.size_ms = 10, .allowed_lateness_ms = 5};
    sg_window plain = {.size_ms = 10};
    (void)state;
    EXPECT_FAILS(sg_stream_window_aggregate(k, "w", &neg, &with_merge, NULL), SG_EUSAGE,
                 "allowed lateness (-1 ms)");
    EXPECT_FAILS(sg_stream_window_aggregate(k, "w", &late, &no_merge, NULL), SG_EINVAL,
                 "allowed lateness");
    EXPECT_OK(sg_stream_window_aggregate(k, "w", &late, &with_merge, NULL));
    EXPECT_OK(sg_stream_window_aggregate(k, "w", &plain, &no_merge, NULL));
}

static void test_process_windows_need_a_function(void **state)
{
    sg_window w = {.size_ms = 10, .slide_ms = 5, .allowed_lateness_ms = 5};
    sg_window_process_def none = {.abi = SG_WINDOW_PROCESS_ABI_1};
    (void)state;
    EXPECT_FAILS(sg_stream_window_process(k, "w", &w, &none, NULL), SG_EINVAL,
                 "process-window function");
    EXPECT_FAILS(sg_stream_session_process(k, "s", 10, NULL, NULL), SG_EINVAL,
                 "process-window function");
    EXPECT_FAILS(sg_stream_session_process(k, "s", 0, &process_def, NULL), SG_EUSAGE, "gap");
    EXPECT_OK(sg_stream_window_process(k, "w", &w, &process_def, NULL));
    EXPECT_OK(sg_stream_session_process(k, "s", 10, &process_def, NULL));
}

static void test_slide_above_size_is_accepted(void **state)
{
    sg_window one_pane = {.size_ms = 5, .slide_ms = 10}; /* a window is one pane */
    sg_window panes = {.size_ms = 4, .slide_ms = 6};     /* panes of 2 */
    sg_window huge = {.size_ms = 4, .slide_ms = SG_TIME_MAX / 4};
    (void)state;
    EXPECT_OK(sg_stream_window_aggregate(k, "w", &one_pane, &no_merge, NULL));
    EXPECT_FAILS(sg_stream_window_aggregate(k, "w", &panes, &no_merge, NULL), SG_EINVAL, "merge");
    EXPECT_OK(sg_stream_window_aggregate(k, "w", &panes, &with_merge, NULL));
    EXPECT_OK(sg_stream_window_process(k, "w", &panes, &process_def, NULL));
    EXPECT_FAILS(sg_stream_window_aggregate(k, "w", &huge, &with_merge, NULL), SG_EUSAGE,
                 "below 2^60");
}

static void test_session_window_options_are_checked(void **state)
{
    sg_session_window ok = {
        .abi = SG_SESSION_WINDOW_ABI_1, .gap_ms = 10, .allowed_lateness_ms = 5, .late_tag = "late"};
    sg_session_window neg = {
        .abi = SG_SESSION_WINDOW_ABI_1, .gap_ms = 10, .allowed_lateness_ms = -1};
    sg_session_window no_abi = {.gap_ms = 10};
    (void)state;
    EXPECT_FAILS(sg_stream_session_window_aggregate(k, "s", &neg, &with_merge, NULL), SG_EUSAGE,
                 "allowed lateness (-1 ms)");
    EXPECT_FAILS(sg_stream_session_window_aggregate(k, "s", &no_abi, &with_merge, NULL), SG_EINVAL,
                 "options");
    EXPECT_FAILS(sg_stream_session_window_aggregate(k, "s", NULL, &with_merge, NULL), SG_EINVAL,
                 "options");
    EXPECT_FAILS(sg_stream_session_window_aggregate(k, "s", &ok, &no_merge, NULL), SG_EINVAL,
                 "merge");
    EXPECT_OK(sg_stream_session_window_aggregate(k, "s", &ok, &with_merge, NULL));
    EXPECT_OK(sg_stream_session_window_process(k, "s", &ok, &process_def, NULL));
}

static void test_sliding_count_windows_are_checked(void **state)
{
    (void)state;
    EXPECT_FAILS(sg_stream_count_window_slide_aggregate(k, "c", 3, 0, &with_merge, NULL), SG_EUSAGE,
                 "slide (0)");
    EXPECT_FAILS(sg_stream_count_window_slide_aggregate(k, "c", 3, 2, &no_merge, NULL), SG_EINVAL,
                 "merge");
    EXPECT_FAILS(sg_stream_count_window_slide_aggregate(k, "c", 1 << 24, 1, &with_merge, NULL),
                 SG_EUSAGE, "16 MiB");
    /* One chunk per window (slide a multiple of size, or equal): no merge needed. */
    EXPECT_OK(sg_stream_count_window_slide_aggregate(k, "c", 2, 4, &no_merge, NULL));
    EXPECT_OK(sg_stream_count_window_slide_aggregate(k, "c", 3, 3, &no_merge, NULL));
    EXPECT_OK(sg_stream_count_window_slide_aggregate(k, "c", 3, 2, &with_merge, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_lateness_is_checked),
        cmocka_unit_test(test_process_windows_need_a_function),
        cmocka_unit_test(test_slide_above_size_is_accepted),
        cmocka_unit_test(test_session_window_options_are_checked),
        cmocka_unit_test(test_sliding_count_windows_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
