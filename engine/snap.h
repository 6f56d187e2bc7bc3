/* Snapshot writers and readers (the sg_snap_* calls of sangam.h): a sequence of
 * typed values in MessagePack, written into an sg_realloc'd buffer and read back in
 * order. Used for operator snapshots and, with timer.h, for an instance's timers.
 *
 * Layout: each value is one MessagePack object — u64 a positive integer, i64 an
 * integer, bytes a bin. Readers check each value's type, so a snapshot read by the
 * wrong code fails with SG_ESERDE instead of returning garbage. */
#ifndef SG_ENGINE_SNAP_H
#define SG_ENGINE_SNAP_H

#include <msgpack.h>

#include <sangam/sangam.h>

struct sg_snap_writer {
    char *buf;
    size_t len, cap;
    bool failed; /* an allocation failed: every later put fails too */
    msgpack_packer pk;
};

struct sg_snap_reader {
    const char *data;
    size_t len, off;
    msgpack_unpacked obj;
};

void sg__snap_writer_init(sg_snap_writer *w);
void sg__snap_writer_free(sg_snap_writer *w);
/* The bytes written so far (owned by the writer). */
sg_bytes sg__snap_writer_bytes(const sg_snap_writer *w);

/* A reader over data, which must outlive it. */
void sg__snap_reader_init(sg_snap_reader *r, const void *data, size_t len);
void sg__snap_reader_free(sg_snap_reader *r);
/* True when every value has been read. */
bool sg__snap_reader_done(const sg_snap_reader *r);

#endif
