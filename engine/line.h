/* line.h — the CSV line builder behind the public sg_line_add_* calls (sangam.h
 * section 5): an encoder appends fields, the sink takes the finished line.
 *
 * One growable buffer per sink subtask, reset and reused for every record, so the
 * steady state allocates nothing. A leaf module: it calls only the allocator.
 */
#ifndef SG_ENGINE_LINE_H
#define SG_ENGINE_LINE_H

#include <stddef.h>

#include <sangam/sangam.h>

struct sg_line {
    char *buf; /* [owned]: the line so far, without its '\n' until finish */
    size_t len, cap;
    int nfields; /* fields appended since the last reset; a comma precedes all but the first */
};

/* Makes l an empty line that owns no memory yet. */
void sg__line_init(sg_line *l);
/* Empties l for the next record, keeping its buffer. */
void sg__line_reset(sg_line *l);
/* Frees l's buffer and leaves it as after sg__line_init. */
void sg__line_free(sg_line *l);
/* Ends the line with '\n' and sets *out [out] to its bytes, which l owns and which stay
 * valid until the next call on l; reset l before adding the next record's fields.
 * Returns SG_OK or SG_ENOMEM. A line with no fields is just a '\n'; a line whose only
 * field is empty is two quotes and a '\n', so that it does not read back as blank. */
int sg__line_finish(sg_line *l, sg_bytes *out);

#endif
