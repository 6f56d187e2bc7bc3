/* test_irctc_capacity.c — the irctc_analytics capacity table (capacity.c) and booking
 * vocabularies (booking.c): a good file loads and answers lookups; a missing file and
 * every kind of malformed file (bad header, bad number, unknown class, duplicate row,
 * wrong field count, empty) fail with one message naming the file and line; the
 * shipped capacity.csv loads and lists exactly the generator's trains and classes.
 *
 * Allocations go through cmocka's test allocator, so a leak fails the test. Tests run
 * in the source tree (the job tests' working directory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "jobs/irctc_analytics/irctc.h"
#include "jobs/irctc_analytics/irgen.h"

static void *cmocka_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        if (ptr)
            test_free(ptr);
        return NULL;
    }
    return test_realloc(ptr, new_size);
}

static char path[64];
static char err[512];

/* Writes text to a fresh temporary file, named in path. */
static void write_file(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/irctc-cap-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static ir_capacity *load_ok(const char *text)
{
    ir_capacity *c = NULL;
    write_file(text);
    int rc = ir_capacity_load(path, &c, err, sizeof(err));
    unlink(path);
    if (rc != SG_OK)
        fail_msg("load failed: %s", err);
    assert_non_null(c);
    return c;
}

/* Loading text fails with rc and a message ending in the given "file:line: reason". */
static void load_fails(const char *text, int want_rc, const char *want_suffix)
{
    ir_capacity *c = (ir_capacity *)(uintptr_t)1;
    char want[600];
    write_file(text);
    int rc = ir_capacity_load(path, &c, err, sizeof(err));
    snprintf(want, sizeof(want), "capacity file %s%s", path, want_suffix);
    unlink(path);
    assert_int_equal(rc, want_rc);
    assert_null(c);
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n')); /* one line */
}

/* ---- Loading ----------------------------------------------------------------------- */

static void test_good_file_loads_and_answers_lookups(void **state)
{
    SG_UNUSED(state);
    /* CRLF, blank lines and rows in any order are fine. */
    ir_capacity *c = load_ok("train,class,capacity\r\n12951,3A,704\r\n\n12951,1A,24\n"
                             "12002,CC,858\n12951,SL,10000000\n\n");
    assert_int_equal(ir_capacity_count(c), 4);
    assert_int_equal(ir_capacity_find(c, "12951", 5, IR_3A), 704);
    assert_int_equal(ir_capacity_find(c, "12951", 5, IR_1A), 24);
    assert_int_equal(ir_capacity_find(c, "12951", 5, IR_SL), 10000000);
    assert_int_equal(ir_capacity_find(c, "12002", 5, IR_CC), 858);
    assert_int_equal(ir_capacity_find(c, "12951", 5, IR_2A), 0); /* no such class */
    assert_int_equal(ir_capacity_find(c, "12952", 5, IR_3A), 0); /* no such train */
    assert_int_equal(ir_capacity_find(c, "1295", 4, IR_3A), 0);  /* a prefix is not it */
    assert_int_equal(ir_capacity_find(c, "", 0, IR_3A), 0);
    assert_int_equal(ir_capacity_find(c, "1295112951129511", 16, IR_3A), 0); /* too long */
    ir_capacity_free(c);
}

static void test_header_only_file_is_an_empty_table(void **state)
{
    SG_UNUSED(state);
    ir_capacity *c = load_ok("train,class,capacity"); /* no final newline */
    assert_int_equal(ir_capacity_count(c), 0);
    assert_int_equal(ir_capacity_find(c, "12951", 5, IR_3A), 0);
    ir_capacity_free(c);
}

static void test_copy_lives_in_caller_memory(void **state)
{
    SG_UNUSED(state);
    ir_capacity *c = load_ok("train,class,capacity\n12951,3A,704\n12002,CC,858\n");
    size_t n = ir_capacity_bytes(c);
    void *mem = test_malloc(n);
    const ir_capacity *copy = ir_capacity_copy_to(c, mem);
    ir_capacity_free(c); /* the copy shares nothing with it */
    assert_int_equal(ir_capacity_count(copy), 2);
    assert_int_equal(ir_capacity_find(copy, "12951", 5, IR_3A), 704);
    assert_int_equal(ir_capacity_find(copy, "12002", 5, IR_CC), 858);
    test_free(mem);
}

static void test_missing_file_is_an_error(void **state)
{
    SG_UNUSED(state);
    ir_capacity *c = NULL;
    int rc = ir_capacity_load("/nonexistent/capacity.csv", &c, err, sizeof(err));
    assert_int_equal(rc, SG_ENOENT);
    assert_null(c);
    assert_string_equal(err, "capacity file /nonexistent/capacity.csv: No such file or directory");
}

static void test_malformed_files_name_file_and_line(void **state)
{
    SG_UNUSED(state);
    load_fails("", SG_EINVAL, ":1: empty, expected the header line \"train,class,capacity\"");
    load_fails("\n\n", SG_EINVAL, ":1: empty, expected the header line \"train,class,capacity\"");
    load_fails("train,class,seats\n12951,3A,704\n", SG_EINVAL,
               ":1: bad header \"train,class,seats\", expected \"train,class,capacity\"");
    load_fails("12951,3A,704\n", SG_EINVAL,
               ":1: bad header \"12951,3A,704\", expected \"train,class,capacity\"");
    load_fails("train,class,capacity\n12951,3A,704\n12951,3A\n", SG_EINVAL,
               ":3: expected 3 fields (train,class,capacity), got 2");
    load_fails("train,class,capacity\n12951,3A,704,1\n", SG_EINVAL,
               ":2: expected 3 fields (train,class,capacity), got 4");
    load_fails("train,class,capacity\n\n12951,3AC,704\n", SG_EINVAL,
               ":3: unknown class \"3AC\" (SL, 3A, 2A, 1A, CC or 2S)");
    load_fails("train,class,capacity\n12951,sl,704\n", SG_EINVAL,
               ":2: unknown class \"sl\" (SL, 3A, 2A, 1A, CC or 2S)");
    load_fails("train,class,capacity\n12951,3A,7o4\n", SG_EINVAL,
               ":2: bad capacity \"7o4\" (an integer in 1..10000000)");
    load_fails("train,class,capacity\n12951,3A,0\n", SG_EINVAL,
               ":2: bad capacity \"0\" (an integer in 1..10000000)");
    load_fails("train,class,capacity\n12951,3A,-5\n", SG_EINVAL,
               ":2: bad capacity \"-5\" (an integer in 1..10000000)");
    load_fails("train,class,capacity\n12951,3A,10000001\n", SG_EINVAL,
               ":2: bad capacity \"10000001\" (an integer in 1..10000000)");
    load_fails("train,class,capacity\n12951,3A,\n", SG_EINVAL,
               ":2: bad capacity \"\" (an integer in 1..10000000)");
    load_fails("train,class,capacity\n,3A,704\n", SG_EINVAL,
               ":2: bad train \"\" (1..15 letters or digits)");
    load_fails("train,class,capacity\n12 951,3A,704\n", SG_EINVAL,
               ":2: bad train \"12 951\" (1..15 letters or digits)");
}

static void test_duplicate_row_names_both_lines(void **state)
{
    SG_UNUSED(state);
    load_fails("train,class,capacity\n12951,3A,704\n12002,CC,858\n12951,3A,700\n", SG_EINVAL,
               ":4: duplicate row for train 12951 class 3A (first on line 2)");
    /* The first error by line wins: the duplicate on line 3 precedes the bad line 5. */
    load_fails("train,class,capacity\n12002,CC,858\n12002,CC,858\n12951,3A,704\nx,y,z\n", SG_EINVAL,
               ":3: duplicate row for train 12002 class CC (first on line 2)");
    /* Of two duplicates, the earlier. */
    load_fails("train,class,capacity\n2,SL,1\n1,SL,1\n1,SL,2\n2,SL,3\n", SG_EINVAL,
               ":4: duplicate row for train 1 class SL (first on line 3)");
}

/* ---- The shipped file ------------------------------------------------------------------ */

static void test_shipped_file_matches_the_generators_trains(void **state)
{
    SG_UNUSED(state);
    ir_capacity *c = NULL;
    if (ir_capacity_load("jobs/irctc_analytics/capacity.csv", &c, err, sizeof(err)) != SG_OK)
        fail_msg("%s", err);
    size_t pairs = 0;
    for (size_t i = 0; i < ir_gen_train_count(); i++) {
        const char *t = ir_gen_train_number(i);
        for (int cls = 0; cls < IR_N_CLASSES; cls++) {
            int64_t cap = ir_capacity_find(c, t, strlen(t), cls);
            if (ir_gen_train_has_class(i, cls)) {
                if (cap <= 0)
                    fail_msg("train %s class %s is not in capacity.csv", t, ir_class_name(cls));
                pairs++;
            } else if (cap != 0) {
                fail_msg("capacity.csv has train %s class %s, the generator not", t,
                         ir_class_name(cls));
            }
        }
    }
    assert_int_equal(pairs, ir_capacity_count(c)); /* and no train the generator lacks */
    assert_true(ir_gen_train_count() >= 20);
    assert_int_equal(ir_capacity_find(c, "12951", 5, IR_3A), 704); /* Mumbai Rajdhani */
    assert_int_equal(ir_capacity_find(c, "12002", 5, IR_CC), 858); /* Bhopal Shatabdi */
    ir_capacity_free(c);
}

/* ---- Vocabularies --------------------------------------------------------------------- */

static void test_vocabularies_are_exact(void **state)
{
    SG_UNUSED(state);
    static const char *const cls[] = {"SL", "3A", "2A", "1A", "CC", "2S"};
    for (int i = 0; i < IR_N_CLASSES; i++) {
        assert_int_equal(ir_class_parse(cls[i], 2), i);
        assert_string_equal(ir_class_name(i), cls[i]);
    }
    assert_int_equal(ir_class_parse("sl", 2), -1);
    assert_int_equal(ir_class_parse("3AC", 3), -1);
    assert_int_equal(ir_class_parse("EC", 2), -1);
    assert_int_equal(ir_class_parse("3", 1), -1);
    assert_int_equal(ir_class_parse("", 0), -1);
    assert_string_equal(ir_class_name(6), "?");
    assert_string_equal(ir_class_name(-1), "?");
    assert_int_equal(ir_status_parse("BOOKED", 6), IR_BOOKED);
    assert_int_equal(ir_status_parse("CANCELLED", 9), IR_CANCELLED);
    assert_int_equal(ir_status_parse("WAITLISTED", 10), IR_WAITLISTED);
    assert_int_equal(ir_status_parse("RAC", 3), -1);
    assert_int_equal(ir_status_parse("Booked", 6), -1);
    assert_int_equal(ir_status_parse("CANCELED", 8), -1);
    assert_true(ir_train_valid("12951", 5));
    assert_true(ir_train_valid("A1", 2));
    assert_true(ir_train_valid("123456789012345", 15));
    assert_false(ir_train_valid("1234567890123456", 16));
    assert_false(ir_train_valid("", 0));
    assert_false(ir_train_valid("12-51", 5));
}

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file_loads_and_answers_lookups),
        cmocka_unit_test(test_header_only_file_is_an_empty_table),
        cmocka_unit_test(test_copy_lives_in_caller_memory),
        cmocka_unit_test(test_missing_file_is_an_error),
        cmocka_unit_test(test_malformed_files_name_file_and_line),
        cmocka_unit_test(test_duplicate_row_names_both_lines),
        cmocka_unit_test(test_shipped_file_matches_the_generators_trains),
        cmocka_unit_test(test_vocabularies_are_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
