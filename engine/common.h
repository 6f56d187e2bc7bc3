/* Macros shared by every engine file, and nothing else (STYLE.md 1: no catch-all
 * header). Types and functions belong to the module that owns them. */
#ifndef SG_ENGINE_COMMON_H
#define SG_ENGINE_COMMON_H

#include <assert.h>
#include <stddef.h>

#define SG_ASSERT(cond) assert(cond)
#define sg_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define SG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SG_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SG_LIKELY(x) __builtin_expect(!!(x), 1)
#define SG_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
