/* utf8.c — a fast UTF-8 validator, plus the encoder the JSON parser needs for \u escapes.
 *
 * Every input line is validated once, before it is split into fields, so the parsers
 * can treat bytes >= 0x80 as opaque. Input is mostly ASCII (keys, numbers, English
 * text) with runs of 3-byte scripts (Devanagari is U+0900..U+097F), so the validator
 * skips ASCII eight bytes at a time and decodes other sequences with the explicit
 * ranges of Unicode Table 3-7, which a compiler turns into a few compares per sequence.
 */
#include <string.h>

#include "engine/common.h"
#include "engine/utf8.h"

#define ASCII_MASK 0x8080808080808080ull

/* True when b is a continuation byte 0x80..0xBF. */
static inline bool is_cont(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

size_t sg__utf8_check(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0;

    while (i < len) {
        /* memcpy keeps the unaligned load defined; compilers emit one mov. */
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & ASCII_MASK) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t left = len - i;
        if (c >= 0xC2 && c <= 0xDF) {
            if (left < 2 || !is_cont(s[i + 1]))
                return i;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            /* E0 needs A0..BF (no overlong forms); ED needs 80..9F (no surrogates). */
            unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (left < 3 || s[i + 1] < lo || s[i + 1] > hi || !is_cont(s[i + 2]))
                return i;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            /* F0 needs 90..BF (no overlong forms); F4 needs 80..8F (<= U+10FFFF). */
            unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (left < 4 || s[i + 1] < lo || s[i + 1] > hi || !is_cont(s[i + 2]) ||
                !is_cont(s[i + 3]))
                return i;
            i += 4;
        } else {
            return i; /* 80..C1 (stray continuation, overlong lead) or F5..FF */
        }
    }
    return len;
}

size_t sg__utf8_encode(uint32_t cp, char *out)
{
    SG_ASSERT(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t sg__utf8_count(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += !is_cont(s[i]);
    return n;
}
