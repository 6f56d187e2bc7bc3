/* The same operator test cases on both keyed-state backends (issue 3: "both passing
 * the same test suite"). A test file's main runs its cases twice, once in a cmocka
 * group on RocksDB and once on the heap; a case makes its harness with
 * backend_harness_new, which picks the backend of the group that is running.
 * Snapshot/restore needs RocksDB (sg_harness_snapshot_restore), so cases that
 * restore run once, on RocksDB, with sg_harness_new. Included by one test file each. */
#ifndef SG_TESTS_OPERATORS_BACKENDS_H
#define SG_TESTS_OPERATORS_BACKENDS_H

#include <stdbool.h>

#include <sangam/harness.h>

/* The backend of the running group. A test executable runs one group at a time. */
static bool backend_heap;

static int backend_rocksdb_group(void **state)
{
    (void)state;
    backend_heap = false;
    return 0;
}

static int backend_heap_group(void **state)
{
    (void)state;
    backend_heap = true;
    return 0;
}

static inline int backend_harness_new(const sg_operator_def *def, void *udata, sg_harness **out)
{
    return (backend_heap ? sg_harness_new_heap : sg_harness_new)(def, udata, out);
}

/* Runs both[] on RocksDB and on the heap, then once[] (RocksDB only, or cases that
 * choose their backend themselves); the number of failed cases. */
#define BACKEND_RUN(both, once)                                                                    \
    (cmocka_run_group_tests_name("rocksdb", both, backend_rocksdb_group, NULL) +                   \
     cmocka_run_group_tests_name("heap", both, backend_heap_group, NULL) +                         \
     cmocka_run_group_tests_name("once", once, backend_rocksdb_group, NULL))

#endif
