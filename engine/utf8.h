/* utf8.h — UTF-8 validation and encoding for the input parsers (row_json.c, row_csv.c).
 *
 * A leaf module: it calls nothing else in the engine. "Valid" means well-formed as in
 * Unicode Table 3-7: no overlong forms, no encoded surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences. U+0000 is valid.
 */
#ifndef SG_ENGINE_UTF8_H
#define SG_ENGINE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns len when data[0..len) is valid UTF-8, else the offset of the first byte of
 * the first ill-formed sequence. data is [borrowed]. */
size_t sg__utf8_check(const void *data, size_t len);

static inline bool sg__utf8_valid(const void *data, size_t len)
{
    return sg__utf8_check(data, len) == len;
}

/* Writes the UTF-8 form of code point cp (<= 0x10FFFF, not a surrogate) to out
 * [out, 4 bytes] and returns its length (1-4). */
size_t sg__utf8_encode(uint32_t cp, char *out);

/* The number of code points in data[0..len), counting every byte that is not a
 * continuation byte; used to turn byte offsets into columns for error messages. */
size_t sg__utf8_count(const void *data, size_t len);

#endif
