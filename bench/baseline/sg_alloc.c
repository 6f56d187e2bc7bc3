/* sg_alloc.c — the engine's allocator calls, on libc, for baselines that link a job's
 * generator: the generators are plain C but allocate through sg_calloc / sg_malloc /
 * sg_realloc / sg_free (the engine's hook), and a baseline has no engine. */
#include <stdlib.h>

#include <sangam/sangam.h>

void *sg_malloc(size_t size)
{
    return malloc(size ? size : 1);
}

void *sg_calloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}

void sg_free(void *ptr)
{
    free(ptr);
}

void *sg_realloc(void *ptr, size_t size)
{
    return realloc(ptr, size ? size : 1);
}
