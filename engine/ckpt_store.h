/* Checkpoint storage: the on-disk layout of checkpoints and savepoints, written so
 * that restore can trust what it reads.
 *
 *   DIR/chk-<id>/              one checkpoint (id: 1, 2, ...; printed as %06llu)
 *     _metadata                written last, atomically (temp file, fsync, rename,
 *                              fsync of the directory); a checkpoint without it is
 *                              incomplete and is never used
 *     <any other files>        written by subtasks (their .snap files) and RocksDB
 *                              checkpoints (sub-directories of hard links)
 *   DIR/sp-<id>/               a savepoint: the same layout, self-contained
 *
 * _metadata holds the checkpoint's identity (id, time, kind, the job's fingerprint,
 * max parallelism), per-operator state sizes, and the list of every other file in
 * the directory (relative path, size, XXH64 of the content), and ends with the
 * XXH64 of everything before it. Verification recomputes all of it, so a bit flip,
 * a truncation or a deleted file anywhere in a checkpoint is found before any of its
 * state is used.
 *
 * All functions report failures as a negative SG_E* code with one line in err
 * (e.g. "checkpoint chk-000007 is corrupt: t2-s0.snap: checksum mismatch"). */
#ifndef SG_ENGINE_CKPT_STORE_H
#define SG_ENGINE_CKPT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sangam/sangam.h>

typedef enum sg__ckpt_kind { SG__CKPT_CHECKPOINT = 0, SG__CKPT_SAVEPOINT = 1 } sg__ckpt_kind;

/* The state an operator holds in a checkpoint (for `sangam checkpoints`). */
typedef struct sg__ckpt_op_size {
    char *name;
    uint64_t bytes;
} sg__ckpt_op_size;

typedef struct sg__ckpt_file {
    char *path; /* relative to the checkpoint directory */
    uint64_t size;
    uint64_t hash; /* XXH64, seed 0 */
} sg__ckpt_file;

typedef struct sg__ckpt_meta {
    uint64_t id;
    int64_t time_ms; /* wall clock when it completed */
    sg__ckpt_kind kind;
    char *job;         /* the job file's base name */
    char *fingerprint; /* what must match to restore: the plan's tasks, operators,
                          parallelism (savepoints: without parallelism) */
    int max_parallelism;
    sg__ckpt_op_size *ops;
    size_t n_ops;
    sg__ckpt_file *files; /* filled by sg__ckpt_complete / read back by verify */
    size_t n_files;
} sg__ckpt_meta;

void sg__ckpt_meta_free(sg__ckpt_meta *m); /* frees the members, not m; NULL-safe */

/* The directory of checkpoint (or savepoint) id under root, into out. */
void sg__ckpt_path(const char *root, sg__ckpt_kind kind, uint64_t id, char *out, size_t len);

/* Creates root (if needed) and the empty directory of a new checkpoint, removing a
 * leftover of the same id from an earlier, killed run. */
int sg__ckpt_begin(const char *root, sg__ckpt_kind kind, uint64_t id, char *err, size_t errlen);

/* Writes one file into a checkpoint directory durably: temp file, fsync, rename. */
int sg__ckpt_write_file(const char *dir, const char *name, const void *data, size_t len, char *err,
                        size_t errlen);
/* Reads a whole file of a (verified) checkpoint. *data is sg_malloc'd. */
int sg__ckpt_read_file(const char *dir, const char *name, void **data, size_t *len, char *err,
                       size_t errlen);

/* Completes a checkpoint: lists and hashes every file under dir (recursively),
 * stores them in meta->files, and writes _metadata atomically. Only after this
 * returns SG_OK is the checkpoint complete. */
int sg__ckpt_complete(const char *dir, sg__ckpt_meta *meta, char *err, size_t errlen);

/* Reads and verifies a checkpoint directory: _metadata's own checksum, then every
 * listed file's presence, size and hash, and no listed file missing. SG_OK with
 * *meta filled (free with sg__ckpt_meta_free), or SG_ESERDE / SG_ENOENT / SG_EIO with
 * one line in err naming the checkpoint and the damaged file. */
int sg__ckpt_verify(const char *dir, sg__ckpt_meta *meta, char *err, size_t errlen);

/* The ids of the checkpoints of this kind under root that have a _metadata file,
 * ascending (verified or not). *ids is sg_malloc'd; *n may be 0. */
int sg__ckpt_list(const char *root, sg__ckpt_kind kind, uint64_t **ids, size_t *n, char *err,
                  size_t errlen);

/* The newest checkpoint under root that verifies. Each newer one that does not is
 * reported on log as one line ("sangam: checkpoint chk-000009 is corrupt: ...;
 * falling back to chk-000008"). SG_OK with *id and *meta, SG_NOTFOUND when there is
 * no complete checkpoint at all (nothing printed), or an error when there are some
 * and none verifies. */
int sg__ckpt_find_latest(const char *root, FILE *log, uint64_t *id, sg__ckpt_meta *meta, char *err,
                         size_t errlen);

/* The highest checkpoint id present under root, complete or not (0 if none; savepoint
 * ids count too): a new run continues numbering after it so it never overwrites a
 * retained checkpoint (or a savepoint, if savepoints share the sequence). */
uint64_t sg__ckpt_last_id(const char *root);

/* Keeps the newest 'retain' complete checkpoints and removes older ones and any
 * incomplete directory older than the newest complete one. Savepoints are never
 * removed. */
int sg__ckpt_retain(const char *root, int retain, char *err, size_t errlen);

/* Hard-links (or, across file systems, copies) every file of src into a new
 * directory dst, recursively: how a restore reopens a RocksDB checkpoint without
 * touching the checkpoint itself (RocksDB never rewrites an existing file). */
int sg__ckpt_link_tree(const char *src, const char *dst, char *err, size_t errlen);

/* ---- Additions (wip-ckstore): used by `sangam checkpoints`, usable by restore ---- */

/* Reads and checks _metadata alone (its magic, version, own checksum, encoding),
 * without hashing the other files: the identity of a checkpoint whose data may be
 * damaged. Same codes and messages as sg__ckpt_verify. */
int sg__ckpt_read_meta(const char *dir, sg__ckpt_meta *meta, char *err, size_t errlen);

/* One checkpoint or savepoint directory found under a root. */
typedef struct sg__ckpt_entry {
    sg__ckpt_kind kind;
    uint64_t id;
    bool complete; /* it has a _metadata file (verified or not) */
} sg__ckpt_entry;

/* Every chk-<id> and sp-<id> directory under root (canonical names only: the id
 * printed as %06llu; other entries are ignored), checkpoints first, each kind by
 * ascending id. *entries is sg_malloc'd; *n may be 0. SG_ENOENT / SG_EIO with one
 * line in err when root cannot be read. */
int sg__ckpt_scan(const char *root, sg__ckpt_entry **entries, size_t *n, char *err, size_t errlen);

/* Like sg__ckpt_link_tree but always copies (every file fsync'd): a self-contained
 * savepoint shares no inode with a live state directory. */
int sg__ckpt_copy_tree(const char *src, const char *dst, char *err, size_t errlen);

/* ---- Additions (wip-ckperf): hashing off the coordinator's thread ---- */

/* XXH64 (seed 0) of a whole file, streamed; with sync it is fsync'd too. *size is the
 * number of bytes hashed. -1 with errno on failure. */
int sg__ckpt_hash_file(const char *path, bool sync, uint64_t *size, uint64_t *hash);

/* sg__ckpt_complete, except that a file listed in known ([borrowed], n_known entries
 * sorted by path, as sg__ckpt_async_take gives them) with the size found on disk is
 * taken with its known hash instead of being read and fsync'd again: whoever hashed it
 * made it durable. Directories are still fsync'd. */
int sg__ckpt_complete_known(const char *dir, sg__ckpt_meta *meta, const sg__ckpt_file *known,
                            size_t n_known, char *err, size_t errlen);

#endif
