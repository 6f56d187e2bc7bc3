/* Checkpoint storage (ckpt_store.h): durable writes, _metadata, verification,
 * listing, retention and linking a checkpoint's state back out for a restore.
 *
 * The one idea: a checkpoint is trusted only through its _metadata, which is written
 * last and atomically and lists every other file with its size and XXH64. So a
 * reader never has to guess whether a directory is whole: no _metadata means
 * incomplete, and a _metadata that verifies means every byte is as written.
 *
 * _metadata layout (format version 1; all integers of the trailer big-endian):
 *
 *   offset 0        8     9                                  n-8        n
 *          +--------+-----+----------------------------------+----------+
 *          |SGCKMETA| 0x01| MessagePack array of 8 (below)   | XXH64 BE |
 *          +--------+-----+----------------------------------+----------+
 *   XXH64 (seed 0) covers bytes [0, n-8): magic, version and body.
 *
 *   body = [ id u64, time_ms i64, kind u64 (0 checkpoint, 1 savepoint),
 *            job str, fingerprint str, max_parallelism i64,
 *            [ [op_name str, state_bytes u64], ... ],
 *            [ [path str, size u64, xxh64 u64], ... ]   sorted by path (strcmp) ]
 *
 * Paths are relative to the checkpoint directory, '/'-separated, regular files
 * only; _metadata itself and its temporary _metadata.tmp are never listed. */
#define XXH_STATIC_LINKING_ONLY
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "engine/ckpt_store.h"
#include "engine/fsutil.h"
#include "engine/snap.h"

#define META_NAME "_metadata"
#define META_TMP "_metadata.tmp"
#define META_MAGIC "SGCKMETA"
#define META_VERSION 1
#define META_HEAD 9 /* magic + version */
#define IO_CHUNK (256 * 1024)
#define PATH_CAP 4096

/* ==== Small helpers ===================================================== */

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int join(char *out, size_t len, const char *a, const char *b)
{
    int n = snprintf(out, len, "%s/%s", a, b);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const char *prefix_of(sg__ckpt_kind kind)
{
    return kind == SG__CKPT_SAVEPOINT ? "sp-" : "chk-";
}

/* Parses a canonical directory name ("chk-000007", "sp-000001"); anything else,
 * including "chk-7", is not ours and is ignored, so one id has one name. */
static bool parse_name(const char *name, sg__ckpt_kind *kind, uint64_t *id)
{
    sg__ckpt_kind k = strncmp(name, "sp-", 3) == 0 ? SG__CKPT_SAVEPOINT : SG__CKPT_CHECKPOINT;
    const char *p = name + strlen(prefix_of(k));
    char *end;
    char canon[64];
    if (strncmp(name, prefix_of(k), strlen(prefix_of(k))) != 0 || *p < '0' || *p > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || *end || v == 0)
        return false;
    snprintf(canon, sizeof(canon), "%s%06llu", prefix_of(k), v);
    if (strcmp(canon, name) != 0)
        return false;
    *kind = k;
    *id = v;
    return true;
}

/* "checkpoint chk-000007" / "savepoint sp-000001", or "checkpoint DIR" for a
 * directory with another name (a savepoint given to --restore by its path). */
static void label(const char *dir, char *out, size_t len)
{
    char base[PATH_CAP];
    snprintf(base, sizeof(base), "%s", dir);
    size_t n = strlen(base);
    while (n > 1 && base[n - 1] == '/')
        base[--n] = '\0';
    const char *slash = strrchr(base, '/');
    const char *name = slash ? slash + 1 : base;
    sg__ckpt_kind kind;
    uint64_t id;
    if (parse_name(name, &kind, &id))
        snprintf(out, len, "%s %s", kind == SG__CKPT_SAVEPOINT ? "savepoint" : "checkpoint", name);
    else
        snprintf(out, len, "checkpoint %s", dir);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char p[PATH_CAP];
    if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== Durable writes ==================================================== */

/* Writes path durably: path.tmp, fsync, rename, fsync of the parent directory.
 * On failure nothing is left under either name and errno says why. */
static int write_durable(const char *path, const void *data, size_t len)
{
    char tmp[PATH_CAP], parent[PATH_CAP];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof(parent), ".");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    /* close() can report a deferred write error (NFS); the data is not durable then. */
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return fsync_dir(parent);
}

int sg__ckpt_write_file(const char *dir, const char *name, const void *data, size_t len, char *err,
                        size_t errlen)
{
    char path[PATH_CAP], lbl[PATH_CAP];
    label(dir, lbl, sizeof(lbl));
    if (join(path, sizeof(path), dir, name) != 0)
        return fail(err, errlen, SG_EINVAL, "%s: path too long for %s", lbl, name);
    if (write_durable(path, data, len) != 0)
        return fail(err, errlen, SG_EIO, "%s: cannot write %s: %s", lbl, name, strerror(errno));
    return SG_OK;
}

int sg__ckpt_read_file(const char *dir, const char *name, void **data, size_t *len, char *err,
                       size_t errlen)
{
    char path[PATH_CAP], lbl[PATH_CAP];
    struct stat st;
    *data = NULL;
    *len = 0;
    label(dir, lbl, sizeof(lbl));
    if (join(path, sizeof(path), dir, name) != 0)
        return fail(err, errlen, SG_EINVAL, "%s: path too long for %s", lbl, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, errno == ENOENT ? SG_ENOENT : SG_EIO, "%s: %s is %s", lbl, name,
                    errno == ENOENT ? "missing" : strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, SG_EIO, "%s: cannot read %s: not a regular file", lbl, name);
    }
    size_t size = (size_t)st.st_size;
    char *buf = sg_malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return fail(err, errlen, SG_ENOMEM, "%s: out of memory reading %s", lbl, name);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            close(fd);
            sg_free(buf);
            return fail(err, errlen, SG_EIO, "%s: cannot read %s: %s", lbl, name,
                        e ? strerror(e) : "truncated while reading");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = size;
    return SG_OK;
}

/* ==== Paths, begin ====================================================== */

void sg__ckpt_path(const char *root, sg__ckpt_kind kind, uint64_t id, char *out, size_t len)
{
    snprintf(out, len, "%s/%s%06llu", root, prefix_of(kind), (unsigned long long)id);
}

int sg__ckpt_begin(const char *root, sg__ckpt_kind kind, uint64_t id, char *err, size_t errlen)
{
    char dir[PATH_CAP];
    sg__ckpt_path(root, kind, id, dir, sizeof(dir));
    if (make_dirs(root) != 0)
        return fail(err, errlen, SG_EIO, "cannot create checkpoint directory %s: %s", root,
                    strerror(errno));
    /* A leftover of a killed run with the same id is removed, but never a complete
     * checkpoint: ids continue after the highest present, so meeting one means the
     * directory could not be read properly, and its data may be all there is. */
    char meta[PATH_CAP + 16];
    struct stat mst;
    snprintf(meta, sizeof(meta), "%s/_metadata", dir);
    if (stat(meta, &mst) == 0)
        return fail(err, errlen, SG_EIO,
                    "checkpoint directory %s already holds a complete checkpoint; not "
                    "overwriting it",
                    dir);
    sg__remove_tree(dir);
    if (mkdir(dir, 0755) != 0)
        return fail(err, errlen, SG_EIO, "cannot create checkpoint directory %s: %s", dir,
                    strerror(errno));
    return SG_OK;
}

/* ==== Walking and hashing a checkpoint's files ========================== */

typedef struct file_list {
    sg__ckpt_file *v;
    size_t n, cap;
} file_list;

static void file_list_free(file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        sg_free(l->v[i].path);
    sg_free(l->v);
    memset(l, 0, sizeof(*l));
}

static int file_list_add(file_list *l, const char *path, uint64_t size)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        sg__ckpt_file *v = sg_realloc(l->v, cap * sizeof(*v));
        if (!v)
            return SG_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    char *p = sg_strdup(path);
    if (!p)
        return SG_ENOMEM;
    l->v[l->n++] = (sg__ckpt_file){.path = p, .size = size, .hash = 0};
    return SG_OK;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const sg__ckpt_file *)a)->path, ((const sg__ckpt_file *)b)->path);
}

/* Adds every regular file under root/rel to l (rel "" is root itself), skipping
 * _metadata and its temporary at the top. With sync, each directory is fsync'd so
 * the entries of files about to be vouched for by _metadata are durable. On failure
 * msg says why (without the checkpoint's name): SG_EIO for a directory that cannot
 * be read, SG_ESERDE for an entry that is not a file or directory. */
static int walk(const char *root, const char *rel, bool sync, file_list *l, char *msg, size_t len)
{
    char dir[PATH_CAP], sub[PATH_CAP], full[PATH_CAP];
    int rc = SG_OK;
    if (join(dir, sizeof(dir), root, *rel ? rel : ".") != 0)
        return fail(msg, len, SG_EINVAL, "path too long under %s", rel);
    DIR *d = opendir(dir);
    if (!d)
        return fail(msg, len, errno == ENOENT ? SG_ENOENT : SG_EIO, "cannot read directory %s: %s",
                    *rel ? rel : ".", strerror(errno));
    struct dirent *e;
    while (rc == SG_OK && (e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!*rel && (strcmp(e->d_name, META_NAME) == 0 || strcmp(e->d_name, META_TMP) == 0))
            continue;
        if ((*rel ? join(sub, sizeof(sub), rel, e->d_name)
                  : snprintf(sub, sizeof(sub), "%s", e->d_name) >= (int)sizeof(sub)) ||
            join(full, sizeof(full), root, sub) != 0) {
            rc = fail(msg, len, SG_EINVAL, "path too long under %s", *rel ? rel : ".");
            break;
        }
        if (lstat(full, &st) != 0)
            rc = fail(msg, len, SG_EIO, "cannot stat %s: %s", sub, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = walk(root, sub, sync, l, msg, len);
        else if (S_ISREG(st.st_mode))
            rc = file_list_add(l, sub, (uint64_t)st.st_size) == SG_OK
                     ? SG_OK
                     : fail(msg, len, SG_ENOMEM, "out of memory listing %s", sub);
        else
            rc = fail(msg, len, SG_ESERDE, "%s is not a regular file", sub);
    }
    closedir(d);
    if (rc == SG_OK && sync && fsync_dir(dir) != 0)
        rc = fail(msg, len, SG_EIO, "cannot sync directory %s: %s", *rel ? rel : ".",
                  strerror(errno));
    return rc;
}

/* XXH64 of a whole file, streamed (RocksDB SST files can be large). With sync the
 * file is fsync'd too. *size is the number of bytes hashed. errno on failure. */
static int hash_file(const char *path, char *buf, bool sync, uint64_t *size, uint64_t *hash)
{
    XXH64_state_t st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    XXH64_reset(&st, 0);
    *size = 0;
    for (;;) {
        ssize_t r = read(fd, buf, IO_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        XXH64_update(&st, buf, (size_t)r);
        *size += (uint64_t)r;
    }
    if (sync && fsync(fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    *hash = XXH64_digest(&st);
    return 0;
}

/* ==== _metadata encoding ================================================ */

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return msgpack_pack_str(pk, n) || (n && msgpack_pack_str_body(pk, s, n)) ? -1 : 0;
}

/* The bytes of _metadata for meta, into *out (sg_malloc'd). */
static int encode_meta(const sg__ckpt_meta *m, char **out, size_t *len)
{
    sg_snap_writer w;
    msgpack_packer *pk = &w.pk;
    int bad = 0;
    sg__snap_writer_init(&w);
    bad |= msgpack_pack_array(pk, 8);
    bad |= msgpack_pack_uint64(pk, m->id);
    bad |= msgpack_pack_int64(pk, m->time_ms);
    bad |= msgpack_pack_uint64(pk, (uint64_t)m->kind);
    bad |= pack_str(pk, m->job);
    bad |= pack_str(pk, m->fingerprint);
    bad |= msgpack_pack_int64(pk, m->max_parallelism);
    bad |= msgpack_pack_array(pk, m->n_ops);
    for (size_t i = 0; i < m->n_ops; i++) {
        bad |= msgpack_pack_array(pk, 2);
        bad |= pack_str(pk, m->ops[i].name);
        bad |= msgpack_pack_uint64(pk, m->ops[i].bytes);
    }
    bad |= msgpack_pack_array(pk, m->n_files);
    for (size_t i = 0; i < m->n_files; i++) {
        bad |= msgpack_pack_array(pk, 3);
        bad |= pack_str(pk, m->files[i].path);
        bad |= msgpack_pack_uint64(pk, m->files[i].size);
        bad |= msgpack_pack_uint64(pk, m->files[i].hash);
    }
    sg_bytes body = sg__snap_writer_bytes(&w);
    char *buf = bad || w.failed ? NULL : sg_malloc(META_HEAD + body.len + 8);
    if (!buf) {
        sg__snap_writer_free(&w);
        return SG_ENOMEM;
    }
    memcpy(buf, META_MAGIC, 8);
    buf[8] = META_VERSION;
    memcpy(buf + META_HEAD, body.data, body.len);
    size_t n = META_HEAD + body.len;
    uint64_t h = XXH64(buf, n, 0);
    for (int i = 0; i < 8; i++)
        buf[n + (size_t)i] = (char)(h >> (56 - 8 * i));
    sg__snap_writer_free(&w);
    *out = buf;
    *len = n + 8;
    return SG_OK;
}

static bool obj_u64(const msgpack_object *o, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *v = o->via.u64;
    return true;
}

static bool obj_i64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *v = o->via.i64;
    else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        *v = (int64_t)o->via.u64;
    else
        return false;
    return true;
}

static char *obj_str(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = sg_malloc(o->via.str.size + 1);
    if (s) {
        memcpy(s, o->via.str.ptr, o->via.str.size);
        s[o->via.str.size] = '\0';
    }
    return s;
}

static const msgpack_object *arr(const msgpack_object *o, uint32_t n)
{
    return o->type == MSGPACK_OBJECT_ARRAY && (n == 0 || o->via.array.size == n) ? o->via.array.ptr
                                                                                 : NULL;
}

/* Fills m from a decoded body; false when any field has the wrong shape. */
static bool decode_body(const msgpack_object *root, sg__ckpt_meta *m)
{
    const msgpack_object *f = arr(root, 8);
    uint64_t kind;
    int64_t maxp;
    if (!f || !obj_u64(&f[0], &m->id) || !obj_i64(&f[1], &m->time_ms) || !obj_u64(&f[2], &kind) ||
        kind > 1 || !(m->job = obj_str(&f[3])) || !(m->fingerprint = obj_str(&f[4])) ||
        !obj_i64(&f[5], &maxp) || maxp < 0 || maxp > INT32_MAX ||
        f[6].type != MSGPACK_OBJECT_ARRAY || f[7].type != MSGPACK_OBJECT_ARRAY)
        return false;
    m->kind = (sg__ckpt_kind)kind;
    m->max_parallelism = (int)maxp;
    uint32_t n_ops = f[6].via.array.size, n_files = f[7].via.array.size;
    m->ops = sg_calloc(n_ops ? n_ops : 1, sizeof(*m->ops));
    m->files = sg_calloc(n_files ? n_files : 1, sizeof(*m->files));
    if (!m->ops || !m->files)
        return false;
    /* Counted before they are filled, so sg__ckpt_meta_free frees a half-decoded
     * list (the arrays are zeroed). */
    for (uint32_t i = 0; i < n_ops; i++) {
        const msgpack_object *e = arr(&f[6].via.array.ptr[i], 2);
        m->n_ops = i + 1;
        if (!e || !(m->ops[i].name = obj_str(&e[0])) || !obj_u64(&e[1], &m->ops[i].bytes))
            return false;
    }
    for (uint32_t i = 0; i < n_files; i++) {
        const msgpack_object *e = arr(&f[7].via.array.ptr[i], 3);
        m->n_files = i + 1;
        if (!e || !(m->files[i].path = obj_str(&e[0])) || !obj_u64(&e[1], &m->files[i].size) ||
            !obj_u64(&e[2], &m->files[i].hash))
            return false;
    }
    return true;
}

static int decode_meta(const char *buf, size_t len, const char *lbl, sg__ckpt_meta *m, char *err,
                       size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (len < META_HEAD + 8)
        return fail(err, errlen, SG_ESERDE, "%s is corrupt: _metadata is truncated (%zu bytes)",
                    lbl, len);
    if (memcmp(buf, META_MAGIC, 8) != 0)
        return fail(err, errlen, SG_ESERDE,
                    "%s is corrupt: _metadata is not a checkpoint metadata file (bad magic)", lbl);
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want = want << 8 | (unsigned char)buf[len - 8 + (size_t)i];
    if (XXH64(buf, len - 8, 0) != want)
        return fail(err, errlen, SG_ESERDE, "%s is corrupt: _metadata: checksum mismatch", lbl);
    if (buf[8] != META_VERSION)
        return fail(err, errlen, SG_ESERDE, "%s: _metadata has format version %d, expected %d", lbl,
                    buf[8], META_VERSION);
    msgpack_unpacked up;
    size_t off = 0, body = len - 8 - META_HEAD;
    msgpack_unpacked_init(&up);
    int urc = msgpack_unpack_next(&up, buf + META_HEAD, body, &off);
    bool ok = urc == MSGPACK_UNPACK_SUCCESS && off == body && decode_body(&up.data, m);
    msgpack_unpacked_destroy(&up);
    if (!ok) {
        sg__ckpt_meta_free(m);
        return fail(err, errlen, SG_ESERDE, "%s is corrupt: _metadata is malformed", lbl);
    }
    return SG_OK;
}

void sg__ckpt_meta_free(sg__ckpt_meta *m)
{
    if (!m)
        return;
    sg_free(m->job);
    sg_free(m->fingerprint);
    for (size_t i = 0; i < m->n_ops; i++)
        sg_free(m->ops[i].name);
    sg_free(m->ops);
    for (size_t i = 0; i < m->n_files; i++)
        sg_free(m->files[i].path);
    sg_free(m->files);
    memset(m, 0, sizeof(*m));
}

/* ==== Complete, read, verify ============================================ */

int sg__ckpt_hash_file(const char *path, bool sync, uint64_t *size, uint64_t *hash)
{
    char *buf = sg_malloc(IO_CHUNK);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    int rc = hash_file(path, buf, sync, size, hash);
    int e = errno;
    sg_free(buf);
    errno = e;
    return rc;
}

int sg__ckpt_complete(const char *dir, sg__ckpt_meta *meta, char *err, size_t errlen)
{
    return sg__ckpt_complete_known(dir, meta, NULL, 0, err, errlen);
}

int sg__ckpt_complete_known(const char *dir, sg__ckpt_meta *meta, const sg__ckpt_file *known,
                            size_t n_known, char *err, size_t errlen)
{
    char lbl[PATH_CAP], path[PATH_CAP], msg[PATH_CAP];
    file_list l = {0};
    char *buf = NULL, *bytes = NULL;
    size_t len = 0;
    int rc;
    label(dir, lbl, sizeof(lbl));
    /* Every file and directory is fsync'd before _metadata vouches for it. */
    if ((rc = walk(dir, "", true, &l, msg, sizeof(msg))) < 0) {
        rc = fail(err, errlen, rc, "%s: cannot complete: %s", lbl, msg);
        goto out;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), cmp_file);
    if (!(buf = sg_malloc(IO_CHUNK))) {
        rc = fail(err, errlen, SG_ENOMEM, "%s: cannot complete: out of memory", lbl);
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        uint64_t size;
        const sg__ckpt_file *k =
            n_known ? bsearch(&l.v[i], known, n_known, sizeof(*known), cmp_file) : NULL;
        if (k && k->size == l.v[i].size) {
            l.v[i].hash = k->hash;
            continue;
        }
        if (join(path, sizeof(path), dir, l.v[i].path) != 0 ||
            hash_file(path, buf, true, &size, &l.v[i].hash) != 0) {
            rc = fail(err, errlen, SG_EIO, "%s: cannot complete: cannot read %s: %s", lbl,
                      l.v[i].path, strerror(errno));
            goto out;
        }
        l.v[i].size = size; /* what was hashed, should the file have changed since stat */
    }
    for (size_t i = 0; i < meta->n_files; i++)
        sg_free(meta->files[i].path);
    sg_free(meta->files);
    meta->files = l.v;
    meta->n_files = l.n;
    memset(&l, 0, sizeof(l));
    if (meta->time_ms == 0)
        meta->time_ms = now_ms();
    if ((rc = encode_meta(meta, &bytes, &len)) < 0) {
        rc = fail(err, errlen, rc, "%s: cannot complete: out of memory", lbl);
        goto out;
    }
    if (join(path, sizeof(path), dir, META_NAME) != 0 || write_durable(path, bytes, len) != 0) {
        rc = fail(err, errlen, SG_EIO, "%s: cannot write _metadata: %s", lbl, strerror(errno));
        goto out;
    }
    /* The checkpoint's own entry in the root must survive a power loss too. */
    snprintf(path, sizeof(path), "%s/..", dir);
    if (fsync_dir(path) != 0) {
        rc = fail(err, errlen, SG_EIO, "%s: cannot sync its parent directory: %s", lbl,
                  strerror(errno));
        goto out;
    }
    rc = SG_OK;
out:
    file_list_free(&l);
    sg_free(buf);
    sg_free(bytes);
    return rc;
}

int sg__ckpt_read_meta(const char *dir, sg__ckpt_meta *meta, char *err, size_t errlen)
{
    char lbl[PATH_CAP], ferr[PATH_CAP];
    void *data;
    size_t len;
    memset(meta, 0, sizeof(*meta));
    label(dir, lbl, sizeof(lbl));
    int rc = sg__ckpt_read_file(dir, META_NAME, &data, &len, ferr, sizeof(ferr));
    if (rc == SG_ENOENT)
        return fail(err, errlen, rc, "%s is incomplete: _metadata is missing", lbl);
    if (rc < 0)
        return fail(err, errlen, rc, "%s", ferr);
    rc = decode_meta(data, len, lbl, meta, err, errlen);
    sg_free(data);
    return rc;
}

/* Checks the files on disk against meta's list: presence, size, no extra file,
 * then (the expensive part, last) each hash. */
static int check_files(const char *dir, const char *lbl, const sg__ckpt_meta *m, char *err,
                       size_t errlen)
{
    char msg[PATH_CAP], path[PATH_CAP];
    file_list l = {0};
    char *buf = NULL;
    int rc = walk(dir, "", false, &l, msg, sizeof(msg));
    if (rc < 0) {
        rc = fail(err, errlen, rc, "%s is corrupt: %s", lbl, msg);
        goto out;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), cmp_file);
    size_t matched = 0;
    for (size_t i = 0; i < m->n_files; i++) {
        const sg__ckpt_file *want = &m->files[i];
        const sg__ckpt_file *got = l.n ? bsearch(want, l.v, l.n, sizeof(*l.v), cmp_file) : NULL;
        if (!got) {
            rc = fail(err, errlen, SG_ENOENT, "%s is corrupt: %s is missing", lbl, want->path);
            goto out;
        }
        if (got->size < want->size) {
            rc = fail(err, errlen, SG_ESERDE,
                      "%s is corrupt: %s is truncated (%" PRIu64 " of %" PRIu64 " bytes)", lbl,
                      want->path, got->size, want->size);
            goto out;
        }
        if (got->size > want->size) {
            rc = fail(err, errlen, SG_ESERDE,
                      "%s is corrupt: %s has %" PRIu64 " bytes, expected %" PRIu64, lbl, want->path,
                      got->size, want->size);
            goto out;
        }
        matched++;
    }
    /* A file _metadata does not list was not written by this checkpoint; restore
     * would link it into a state directory, so it is damage, not decoration. */
    if (matched < l.n) {
        for (size_t i = 0; i < l.n; i++) {
            bool listed = false;
            for (size_t j = 0; j < m->n_files && !listed; j++)
                listed = strcmp(l.v[i].path, m->files[j].path) == 0;
            if (!listed) {
                rc = fail(err, errlen, SG_ESERDE,
                          "%s is corrupt: unexpected file %s (not listed in _metadata)", lbl,
                          l.v[i].path);
                goto out;
            }
        }
    }
    if (!(buf = sg_malloc(IO_CHUNK))) {
        rc = fail(err, errlen, SG_ENOMEM, "%s: out of memory verifying", lbl);
        goto out;
    }
    for (size_t i = 0; i < m->n_files; i++) {
        uint64_t size, hash;
        if (join(path, sizeof(path), dir, m->files[i].path) != 0 ||
            hash_file(path, buf, false, &size, &hash) != 0) {
            rc = fail(err, errlen, SG_EIO, "%s: cannot read %s: %s", lbl, m->files[i].path,
                      strerror(errno));
            goto out;
        }
        if (size != m->files[i].size || hash != m->files[i].hash) {
            rc = fail(err, errlen, SG_ESERDE, "%s is corrupt: %s: checksum mismatch", lbl,
                      m->files[i].path);
            goto out;
        }
    }
    rc = SG_OK;
out:
    file_list_free(&l);
    sg_free(buf);
    return rc;
}

int sg__ckpt_verify(const char *dir, sg__ckpt_meta *meta, char *err, size_t errlen)
{
    char lbl[PATH_CAP];
    int rc = sg__ckpt_read_meta(dir, meta, err, errlen);
    if (rc < 0)
        return rc;
    label(dir, lbl, sizeof(lbl));
    if ((rc = check_files(dir, lbl, meta, err, errlen)) < 0)
        sg__ckpt_meta_free(meta);
    return rc;
}

/* ==== Listing, latest, retention ======================================== */

static int cmp_entry(const void *a, const void *b)
{
    const sg__ckpt_entry *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int sg__ckpt_scan(const char *root, sg__ckpt_entry **entries, size_t *n, char *err, size_t errlen)
{
    char path[PATH_CAP], meta[PATH_CAP];
    sg__ckpt_entry *v = NULL;
    size_t cnt = 0, cap = 0;
    *entries = NULL;
    *n = 0;
    DIR *d = opendir(root);
    if (!d)
        return fail(err, errlen, errno == ENOENT ? SG_ENOENT : SG_EIO,
                    "cannot read checkpoint directory %s: %s", root, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        sg__ckpt_entry ent;
        struct stat st;
        if (!parse_name(e->d_name, &ent.kind, &ent.id) ||
            join(path, sizeof(path), root, e->d_name) != 0 || stat(path, &st) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        ent.complete = join(meta, sizeof(meta), path, META_NAME) == 0 && access(meta, F_OK) == 0;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            sg__ckpt_entry *nv = sg_realloc(v, cap * sizeof(*v));
            if (!nv) {
                closedir(d);
                sg_free(v);
                return fail(err, errlen, SG_ENOMEM, "out of memory listing %s", root);
            }
            v = nv;
        }
        v[cnt++] = ent;
    }
    closedir(d);
    if (cnt) /* qsort(NULL, 0) is undefined */
        qsort(v, cnt, sizeof(*v), cmp_entry);
    *entries = v;
    *n = cnt;
    return SG_OK;
}

int sg__ckpt_list(const char *root, sg__ckpt_kind kind, uint64_t **ids, size_t *n, char *err,
                  size_t errlen)
{
    sg__ckpt_entry *e;
    size_t ne, cnt = 0;
    *ids = NULL;
    *n = 0;
    int rc = sg__ckpt_scan(root, &e, &ne, err, errlen);
    if (rc == SG_ENOENT)
        return SG_OK; /* no directory yet: no checkpoints */
    if (rc < 0)
        return rc;
    uint64_t *v = sg_malloc((ne ? ne : 1) * sizeof(*v));
    if (!v) {
        sg_free(e);
        return fail(err, errlen, SG_ENOMEM, "out of memory listing %s", root);
    }
    for (size_t i = 0; i < ne; i++)
        if (e[i].kind == kind && e[i].complete)
            v[cnt++] = e[i].id;
    sg_free(e);
    *ids = v;
    *n = cnt;
    return SG_OK;
}

int sg__ckpt_find_latest(const char *root, FILE *log, uint64_t *id, sg__ckpt_meta *meta, char *err,
                         size_t errlen)
{
    char dir[PATH_CAP], last[PATH_CAP + 128] = "";
    uint64_t *ids;
    size_t n;
    int rc = sg__ckpt_list(root, SG__CKPT_CHECKPOINT, &ids, &n, err, errlen);
    if (rc < 0)
        return rc;
    memset(meta, 0, sizeof(*meta));
    rc = SG_NOTFOUND;
    for (size_t i = n; i-- > 0;) {
        sg__ckpt_path(root, SG__CKPT_CHECKPOINT, ids[i], dir, sizeof(dir));
        rc = sg__ckpt_verify(dir, meta, last, sizeof(last));
        if (rc == SG_OK && (meta->id != ids[i] || meta->kind != SG__CKPT_CHECKPOINT)) {
            char lbl[PATH_CAP];
            label(dir, lbl, sizeof(lbl));
            snprintf(last, sizeof(last), "%s is corrupt: _metadata names %s %llu", lbl,
                     meta->kind == SG__CKPT_SAVEPOINT ? "savepoint" : "checkpoint",
                     (unsigned long long)meta->id);
            sg__ckpt_meta_free(meta);
            rc = SG_ESERDE;
        }
        if (rc == SG_OK) {
            *id = ids[i];
            sg_free(ids);
            return SG_OK;
        }
        if (i > 0 && log)
            fprintf(log, "sangam: %s; falling back to chk-%06llu\n", last,
                    (unsigned long long)ids[i - 1]);
    }
    if (n > 0)
        rc = fail(err, errlen, rc, "no checkpoint in %s verifies (%zu tried); the oldest: %s", root,
                  n, last);
    sg_free(ids);
    return rc;
}

uint64_t sg__ckpt_last_id(const char *root)
{
    sg__ckpt_entry *e;
    size_t n;
    uint64_t max = 0;
    if (sg__ckpt_scan(root, &e, &n, NULL, 0) < 0)
        return 0;
    /* Savepoints count too: whichever sequence the caller numbers them from, a new
     * id never lands on an existing directory. */
    for (size_t i = 0; i < n; i++)
        if (e[i].id > max)
            max = e[i].id;
    sg_free(e);
    return max;
}

/* Removes a checkpoint directory, _metadata first: if the removal is cut short,
 * what is left is an incomplete checkpoint, never a complete one with holes. */
static int remove_ckpt(const char *root, uint64_t id, char *err, size_t errlen)
{
    char dir[PATH_CAP], meta[PATH_CAP];
    struct stat st;
    sg__ckpt_path(root, SG__CKPT_CHECKPOINT, id, dir, sizeof(dir));
    if (join(meta, sizeof(meta), dir, META_NAME) == 0 && unlink(meta) == 0)
        fsync_dir(dir);
    sg__remove_tree(dir);
    if (lstat(dir, &st) == 0)
        return fail(err, errlen, SG_EIO, "cannot remove old checkpoint %s", dir);
    return SG_OK;
}

int sg__ckpt_retain(const char *root, int retain, char *err, size_t errlen)
{
    sg__ckpt_entry *e;
    size_t n, complete = 0;
    uint64_t newest = 0;
    int rc = sg__ckpt_scan(root, &e, &n, err, errlen);
    if (rc == SG_ENOENT)
        return SG_OK;
    if (rc < 0)
        return rc;
    size_t keep = retain < 1 ? 1 : (size_t)retain; /* never the last complete one */
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == SG__CKPT_CHECKPOINT && e[i].complete) {
            complete++;
            newest = e[i].id;
        }
    /* Entries are sorted by id: the first complete - keep complete ones go. */
    size_t seen = 0;
    for (size_t i = 0; i < n && rc == SG_OK; i++) {
        if (e[i].kind != SG__CKPT_CHECKPOINT)
            continue;
        bool drop = e[i].complete ? seen++ + keep < complete : e[i].id < newest;
        if (drop)
            rc = remove_ckpt(root, e[i].id, err, errlen);
    }
    sg_free(e);
    if (rc == SG_OK && fsync_dir(root) != 0)
        rc = fail(err, errlen, SG_EIO, "cannot sync %s: %s", root, strerror(errno));
    return rc;
}

/* ==== Linking and copying trees ========================================= */

static int copy_file(const char *src, const char *dst, mode_t mode)
{
    char *buf = sg_malloc(IO_CHUNK);
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1, e = 0;
    if (!buf) {
        errno = ENOMEM;
        goto done;
    }
    if (in < 0 || (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777)) < 0)
        goto done;
    for (;;) {
        ssize_t r = read(in, buf, IO_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r > 0 && write_all(out, buf, (size_t)r) != 0))
            goto done;
        if (r == 0)
            break;
    }
    if (fsync(out) != 0)
        goto done;
    rc = 0;
done:
    e = errno;
    if (out >= 0 && close(out) != 0 && rc == 0) {
        e = errno;
        rc = -1;
    }
    if (in >= 0)
        close(in);
    sg_free(buf);
    errno = e;
    return rc;
}

/* Recursive part of link/copy: dst does not exist yet. errno and *what on failure. */
static int clone_tree(const char *src, const char *dst, bool copy, const char **what)
{
    char s[PATH_CAP], d[PATH_CAP];
    *what = dst;
    if (mkdir(dst, 0755) != 0)
        return -1;
    DIR *dir = opendir(src);
    if (!dir) {
        *what = src;
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (join(s, sizeof(s), src, e->d_name) != 0 || join(d, sizeof(d), dst, e->d_name) != 0) {
            errno = ENAMETOOLONG;
            *what = src;
            rc = -1;
        } else if (lstat(s, &st) != 0) {
            *what = src;
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = clone_tree(s, d, copy, what);
        } else if (!S_ISREG(st.st_mode)) {
            errno = EINVAL; /* a symlink or device has no place in a checkpoint */
            *what = src;
            rc = -1;
        } else if (copy || link(s, d) != 0) {
            /* Across file systems (EXDEV) or where hard links are refused, copy. */
            if (!copy && errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP) {
                *what = dst;
                rc = -1;
            } else if (copy_file(s, d, st.st_mode) != 0) {
                *what = dst;
                rc = -1;
            }
        }
    }
    int eno = errno;
    closedir(dir);
    if (rc == 0 && fsync_dir(dst) != 0) {
        *what = dst;
        return -1;
    }
    errno = eno;
    return rc;
}

static int clone_root(const char *src, const char *dst, bool copy, char *err, size_t errlen)
{
    char parent[PATH_CAP];
    struct stat st;
    const char *what;
    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(err, errlen, SG_ENOENT, "cannot %s %s: not a directory", copy ? "copy" : "link",
                    src);
    if (lstat(dst, &st) == 0)
        return fail(err, errlen, SG_EINVAL, "cannot %s %s to %s: it already exists",
                    copy ? "copy" : "link", src, dst);
    snprintf(parent, sizeof(parent), "%s", dst);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (make_dirs(parent) != 0)
            return fail(err, errlen, SG_EIO, "cannot create %s: %s", parent, strerror(errno));
    }
    if (clone_tree(src, dst, copy, &what) != 0) {
        int e = errno;
        sg__remove_tree(dst); /* ours, and half made: never leave a partial state dir */
        return fail(err, errlen, SG_EIO, "cannot %s %s to %s: %s: %s", copy ? "copy" : "link", src,
                    dst, what, strerror(e));
    }
    return SG_OK;
}

int sg__ckpt_link_tree(const char *src, const char *dst, char *err, size_t errlen)
{
    return clone_root(src, dst, false, err, errlen);
}

int sg__ckpt_copy_tree(const char *src, const char *dst, char *err, size_t errlen)
{
    return clone_root(src, dst, true, err, errlen);
}
