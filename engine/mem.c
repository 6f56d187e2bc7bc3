/* The allocator hook (Lua's lua_Alloc contract) and the sg_malloc family built on it.
 * Every engine allocation goes through here, so tests can count, limit and fail them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sangam/sangam.h>

static void *default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

/* Set once before anything else runs (documented), so plain globals suffice. */
static sg_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud;

void sg_set_allocator(sg_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = fn ? ud : NULL;
}

void *sg_malloc(size_t size)
{
    return alloc_fn(alloc_ud, NULL, 0, size ? size : 1);
}

void *sg_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = sg_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *sg_realloc(void *ptr, size_t size)
{
    return alloc_fn(alloc_ud, ptr, 0, size ? size : 1);
}

void sg_free(void *ptr)
{
    if (ptr)
        alloc_fn(alloc_ud, ptr, 0, 0);
}

char *sg_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = sg_malloc(len);
    if (d)
        memcpy(d, s, len);
    return d;
}

sg_bytes sg_bytes_str(const char *s)
{
    sg_bytes b = {s, s ? strlen(s) : 0};
    return b;
}
