/* The checkpoint helper thread (ckpt_async.h): writes, fsyncs and hashes what the
 * subtasks' synchronous parts copied, then acknowledges for them.
 *
 * Why one thread for the runtime: the work is I/O (write, fsync) and hashing at
 * memory speed; a checkpoint a second makes a few small files per subtask. One thread
 * keeps acknowledgements in order (ckpt_async.h rule 2) without any per-subtask
 * bookkeeping, and costs one core's share only while it writes. */
#define _XOPEN_SOURCE 700
#define XXH_STATIC_LINKING_ONLY
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>

#include "engine/ckpt_async.h"

#define SEEN_KEEP 8 /* checkpoints a hard-linked file's hash is remembered unused */

typedef struct out_file {
    char *name;
    void *data;
    size_t len;
} out_file;

struct sg__ckpt_job {
    sg__ckpt_job *next;
    uint64_t id;
    char dir[PATH_MAX];
    char who[128];
    _Atomic uint64_t *acked;
    out_file *files;
    size_t n_files, cap_files;
    char **dirs;
    size_t n_dirs, cap_dirs;
};

/* A hash computed here, for the coordinator (rule 5). */
typedef struct known {
    uint64_t id;
    sg__ckpt_file f;
} known;

/* A hard-linked file hashed before: its identity and hash. */
typedef struct seen {
    char *path; /* relative to the checkpoint directory: t1-s0-i0/000009.sst */
    uint64_t size, dev, ino, hash;
    int64_t mtime_ns;
    uint64_t last_id; /* the newest checkpoint it was found in */
} seen;

/* The seen files by (device, inode): a RocksDB checkpoint of state that spilled holds
 * hundreds of SST files, so a scan per file would be quadratic. Open addressing with
 * linear probing; a slot holds an index into seen[] plus one (0: empty). Rebuilt
 * whenever seen[] is compacted (prune_seen) or the table is half full. */
typedef struct seen_index {
    size_t *slots;
    size_t mask; /* number of slots - 1; 0 with no table */
} seen_index;

struct sg__ckpt_async {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sg__ckpt_job *head, *tail; /* the queue, under mu */
    bool stop;                 /* under mu */
    int rc;                    /* the first failure, under mu */
    char err[1024];            /* ... its line */
    known *known;              /* under mu */
    size_t n_known, cap_known;
    seen *seen; /* the helper thread's own, as is seen_ix */
    size_t n_seen, cap_seen;
    seen_index seen_ix;
    /* Rule 6 and the end of a run, all under mu. */
    pthread_cond_t idle_cv; /* signalled when the queue is empty and no job runs */
    bool busy;              /* a job runs now */
    uint64_t aborted;       /* the newest checkpoint the coordinator aborted */
    size_t n_queued;
    sg__ckpt_async_counters counters;
    unsigned delay_ms; /* test-only: SANGAM_TEST_CKPT_WRITE_DELAY_MS before each job */
};

/* ---- Jobs --------------------------------------------------------------------------- */

sg__ckpt_job *sg__ckpt_job_new(uint64_t id, const char *dir, _Atomic uint64_t *acked,
                               const char *who)
{
    sg__ckpt_job *j = sg_calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->id = id;
    j->acked = acked;
    snprintf(j->dir, sizeof(j->dir), "%s", dir);
    snprintf(j->who, sizeof(j->who), "%s", who ? who : "subtask");
    return j;
}

void sg__ckpt_job_free(sg__ckpt_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_files; i++) {
        sg_free(j->files[i].name);
        sg_free(j->files[i].data);
    }
    for (size_t i = 0; i < j->n_dirs; i++)
        sg_free(j->dirs[i]);
    sg_free(j->files);
    sg_free(j->dirs);
    sg_free(j);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return SG_OK;
    size_t c = *cap ? *cap * 2 : 4;
    void *nv = sg_realloc(*v, c * size);
    if (!nv)
        return SG_ENOMEM;
    *v = nv;
    *cap = c;
    return SG_OK;
}

int sg__ckpt_job_add_file(sg__ckpt_job *j, const char *name, void *data, size_t len)
{
    char *copy = NULL;
    if (grow((void **)&j->files, &j->cap_files, j->n_files, sizeof(*j->files)) < 0 ||
        !(copy = sg_strdup(name))) {
        sg_free(data);
        return SG_ENOMEM;
    }
    j->files[j->n_files++] = (out_file){copy, data, len};
    return SG_OK;
}

int sg__ckpt_job_add_dir(sg__ckpt_job *j, const char *name)
{
    char *copy = NULL;
    if (grow((void **)&j->dirs, &j->cap_dirs, j->n_dirs, sizeof(*j->dirs)) < 0 ||
        !(copy = sg_strdup(name)))
        return SG_ENOMEM;
    j->dirs[j->n_dirs++] = copy;
    return SG_OK;
}

/* ---- Running a job (on the helper, or inline without one) ---------------------------- */

static int add_known(sg__ckpt_async *a, uint64_t id, const char *path, uint64_t size, uint64_t hash)
{
    char *p = sg_strdup(path);
    pthread_mutex_lock(&a->mu);
    int rc = p ? grow((void **)&a->known, &a->cap_known, a->n_known, sizeof(*a->known)) : SG_ENOMEM;
    bool keep = rc == SG_OK && id > a->aborted; /* an aborted one's are never taken */
    if (keep)
        a->known[a->n_known++] = (known){id, {p, size, hash}};
    pthread_mutex_unlock(&a->mu);
    if (!keep)
        sg_free(p);
    return rc;
}

static size_t seen_hash(uint64_t dev, uint64_t ino)
{
    uint64_t h = (ino ^ (dev << 32 | dev >> 32)) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ h >> 29);
}

static void seen_index_put(seen_index *ix, const seen *v, size_t i)
{
    size_t k = seen_hash(v[i].dev, v[i].ino) & ix->mask;
    while (ix->slots[k])
        k = (k + 1) & ix->mask;
    ix->slots[k] = i + 1;
}

/* (Re)builds the index for a->n_seen entries plus room to grow. Failing leaves no
 * index (mask 0): lookups then find nothing, which costs a re-read, nothing else. */
static void seen_index_rebuild(sg__ckpt_async *a)
{
    size_t n = 16;
    while (n < 2 * (a->n_seen + 1))
        n *= 2;
    if (n - 1 != a->seen_ix.mask) {
        sg_free(a->seen_ix.slots);
        a->seen_ix.mask = 0;
        if (!(a->seen_ix.slots = sg_malloc(n * sizeof(size_t))))
            return;
        a->seen_ix.mask = n - 1;
    }
    memset(a->seen_ix.slots, 0, n * sizeof(size_t));
    for (size_t i = 0; i < a->n_seen; i++)
        seen_index_put(&a->seen_ix, a->seen, i);
}

static seen *find_seen(sg__ckpt_async *a, const char *path, const struct stat *st)
{
    const seen_index *ix = &a->seen_ix;
    if (!ix->mask)
        return NULL;
    for (size_t k = seen_hash((uint64_t)st->st_dev, (uint64_t)st->st_ino) & ix->mask; ix->slots[k];
         k = (k + 1) & ix->mask) {
        seen *s = &a->seen[ix->slots[k] - 1];
        if (s->ino == (uint64_t)st->st_ino && s->dev == (uint64_t)st->st_dev &&
            s->size == (uint64_t)st->st_size &&
            s->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
            strcmp(s->path, path) == 0)
            return s;
    }
    return NULL;
}

/* Remembers a hard-linked file's hash. Failing to remember costs a re-read. */
static void add_seen(sg__ckpt_async *a, const seen *v)
{
    if (grow((void **)&a->seen, &a->cap_seen, a->n_seen, sizeof(*a->seen)) < 0)
        return;
    char *p = sg_strdup(v->path);
    if (!p)
        return;
    a->seen[a->n_seen] = *v;
    a->seen[a->n_seen].path = p;
    a->n_seen++;
    if (2 * a->n_seen > a->seen_ix.mask)
        seen_index_rebuild(a);
    else
        seen_index_put(&a->seen_ix, a->seen, a->n_seen - 1);
}

/* Forgets files not found in the last SEEN_KEEP checkpoints (compacted away). */
static void prune_seen(sg__ckpt_async *a, uint64_t id)
{
    size_t o = 0;
    for (size_t i = 0; i < a->n_seen; i++) {
        if (a->seen[i].last_id + SEEN_KEEP < id) {
            sg_free(a->seen[i].path);
            continue;
        }
        a->seen[o++] = a->seen[i];
    }
    if (o != a->n_seen) {
        a->n_seen = o;
        seen_index_rebuild(a);
    }
}

/* Hashes (and fsyncs) every file of the RocksDB checkpoint rel, except hard links to
 * files already hashed for an earlier checkpoint. */
static int hash_dir(sg__ckpt_async *a, const sg__ckpt_job *j, const char *rel, char *err,
                    size_t errlen)
{
    char dir[PATH_MAX], path[PATH_MAX], relpath[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s/%s", j->dir, rel) >= (int)sizeof(dir))
        return snprintf(err, errlen, "path too long: %.512s", rel), SG_EINVAL;
    DIR *d = opendir(dir);
    if (!d)
        return snprintf(err, errlen, "cannot read %.512s: %s", rel, strerror(errno)), SG_EIO;
    struct dirent *e;
    int rc = SG_OK;
    while (rc == SG_OK && (e = readdir(d))) {
        struct stat st;
        uint64_t size, hash;
        if (e->d_name[0] == '.' ||
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
            snprintf(relpath, sizeof(relpath), "%s/%s", rel, e->d_name) >= (int)sizeof(relpath) ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue; /* sg__ckpt_complete lists and judges whatever is skipped here */
        seen *s = a ? find_seen(a, relpath, &st) : NULL;
        if (s) {
            s->last_id = j->id;
            hash = s->hash;
            size = s->size;
        } else if (sg__ckpt_hash_file(path, true, &size, &hash) != 0) {
            rc = SG_EIO;
            snprintf(err, errlen, "cannot read %.512s: %s", relpath, strerror(errno));
            break;
        } else if (a && size == (uint64_t)st.st_size && st.st_nlink > 1) {
            /* Only hard links are remembered: copied files (CURRENT, MANIFEST) are new
             * inodes every time. */
            add_seen(a,
                     &(seen){relpath, size, (uint64_t)st.st_dev, (uint64_t)st.st_ino, hash,
                             (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, j->id});
        }
        if (a && add_known(a, j->id, relpath, size, hash) < 0)
            rc = SG_ENOMEM, snprintf(err, errlen, "out of memory");
    }
    closedir(d);
    return rc;
}

/* Rule 6: the job's checkpoint was aborted, so it stops (between files: every file it
 * wrote is whole) and does not acknowledge. */
static bool job_aborted(sg__ckpt_async *a, const sg__ckpt_job *j)
{
    if (!a)
        return false;
    pthread_mutex_lock(&a->mu);
    bool aborted = j->id <= a->aborted;
    pthread_mutex_unlock(&a->mu);
    return aborted;
}

#define JOB_DROPPED 1 /* run_job: stopped unacknowledged by an abort (not an error) */

static int run_job(sg__ckpt_async *a, const sg__ckpt_job *j, char *err, size_t errlen)
{
    char ferr[768] = "";
    int rc = SG_OK;
    for (size_t i = 0; i < j->n_files && rc == SG_OK; i++) {
        const out_file *f = &j->files[i];
        if (job_aborted(a, j))
            return JOB_DROPPED;
        rc = sg__ckpt_write_file(j->dir, f->name, f->data, f->len, ferr, sizeof(ferr));
        if (rc == SG_OK && a && add_known(a, j->id, f->name, f->len, XXH64(f->data, f->len, 0)) < 0)
            rc = SG_ENOMEM, snprintf(ferr, sizeof(ferr), "out of memory");
    }
    for (size_t i = 0; i < j->n_dirs && rc == SG_OK; i++) {
        if (job_aborted(a, j))
            return JOB_DROPPED;
        rc = hash_dir(a, j, j->dirs[i], ferr, sizeof(ferr));
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: checkpoint %llu: %s", j->who, (unsigned long long)j->id, ferr);
        return rc;
    }
    /* Monotonic: a savepoint's acknowledgement may come through here too. */
    uint64_t cur = atomic_load_explicit(j->acked, memory_order_relaxed);
    while (cur < j->id && !atomic_compare_exchange_weak_explicit(
                              j->acked, &cur, j->id, memory_order_release, memory_order_relaxed))
        ;
    return SG_OK;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *helper_main(void *arg)
{
    sg__ckpt_async *a = arg;
    char err[1024];
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->head && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->stop)
            break;
        sg__ckpt_job *j = a->head;
        a->head = j->next;
        if (!a->head)
            a->tail = NULL;
        a->n_queued--;
        a->busy = true;
        bool failed = a->rc < 0;
        pthread_mutex_unlock(&a->mu);
        if (a->delay_ms)
            sleep_ms(a->delay_ms); /* test-only: a slow disk */
        int rc = failed ? JOB_DROPPED : run_job(a, j, err, sizeof(err));
        prune_seen(a, j->id);
        sg__ckpt_job_free(j);
        pthread_mutex_lock(&a->mu);
        if (rc < 0 && a->rc == SG_OK) {
            a->rc = rc;
            snprintf(a->err, sizeof(a->err), "%s", err);
        }
        if (rc == SG_OK)
            a->counters.jobs_done++;
        else
            a->counters.jobs_dropped++;
        a->busy = false;
        if (!a->head)
            pthread_cond_broadcast(&a->idle_cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ---- The helper's lifecycle and queries ---------------------------------------------- */

int sg__ckpt_async_new(sg__ckpt_async **out)
{
    sg__ckpt_async *a = sg_calloc(1, sizeof(*a));
    *out = NULL;
    if (!a)
        return SG_ENOMEM;
    /* Test-only (docs/checkpoints.md): every job waits this long first, a slow disk, so
     * that tests can make writing slower than the checkpoint timeout or than the job. */
    const char *delay = getenv("SANGAM_TEST_CKPT_WRITE_DELAY_MS");
    if (delay && *delay)
        a->delay_ms = (unsigned)strtoul(delay, NULL, 10);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    pthread_cond_init(&a->idle_cv, NULL);
    if (pthread_create(&a->thread, NULL, helper_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        pthread_cond_destroy(&a->idle_cv);
        sg_free(a);
        return SG_EINTERNAL;
    }
    *out = a;
    return SG_OK;
}

void sg__ckpt_async_free(sg__ckpt_async *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    while (a->head) {
        sg__ckpt_job *j = a->head;
        a->head = j->next;
        sg__ckpt_job_free(j);
    }
    for (size_t i = 0; i < a->n_known; i++)
        sg_free(a->known[i].f.path);
    for (size_t i = 0; i < a->n_seen; i++)
        sg_free(a->seen[i].path);
    sg_free(a->known);
    sg_free(a->seen);
    sg_free(a->seen_ix.slots);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    pthread_cond_destroy(&a->idle_cv);
    sg_free(a);
}

int sg__ckpt_async_submit(sg__ckpt_async *a, sg__ckpt_job *j, char *err, size_t errlen)
{
    if (!a) {
        int rc = run_job(NULL, j, err, errlen);
        sg__ckpt_job_free(j);
        return rc;
    }
    pthread_mutex_lock(&a->mu);
    if (j->id <= a->aborted) {
        /* A late snapshot of an aborted checkpoint (rule 6): nobody will complete it. */
        a->counters.jobs_dropped++;
        pthread_mutex_unlock(&a->mu);
        sg__ckpt_job_free(j);
        return SG_OK;
    }
    j->next = NULL;
    if (a->tail)
        a->tail->next = j;
    else
        a->head = j;
    a->tail = j;
    a->n_queued++;
    size_t pending = a->n_queued + (a->busy ? 1 : 0);
    if (pending > a->counters.max_pending)
        a->counters.max_pending = pending;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return SG_OK;
}

int sg__ckpt_async_error(sg__ckpt_async *a, char *err, size_t errlen)
{
    if (!a)
        return SG_OK;
    pthread_mutex_lock(&a->mu);
    int rc = a->rc;
    if (rc < 0)
        snprintf(err, errlen, "%s", a->err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int sg__ckpt_async_drain(sg__ckpt_async *a, char *err, size_t errlen)
{
    if (!a)
        return SG_OK;
    pthread_mutex_lock(&a->mu);
    while (a->head || a->busy)
        pthread_cond_wait(&a->idle_cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
    return sg__ckpt_async_error(a, err, errlen);
}

void sg__ckpt_async_abort(sg__ckpt_async *a, uint64_t id)
{
    if (!a)
        return;
    sg__ckpt_job *drop = NULL;
    pthread_mutex_lock(&a->mu);
    if (id > a->aborted)
        a->aborted = id;
    /* Unlink the queued jobs of aborted checkpoints (rule 6); the running one sees
     * a->aborted between files. */
    sg__ckpt_job **pp = &a->head;
    a->tail = NULL;
    while (*pp) {
        sg__ckpt_job *j = *pp;
        if (j->id <= a->aborted) {
            *pp = j->next;
            j->next = drop;
            drop = j;
            a->n_queued--;
            a->counters.jobs_dropped++;
        } else {
            a->tail = j;
            pp = &j->next;
        }
    }
    /* Hashes of what it did write are never taken. */
    size_t o = 0;
    for (size_t i = 0; i < a->n_known; i++) {
        if (a->known[i].id <= a->aborted)
            sg_free(a->known[i].f.path);
        else
            a->known[o++] = a->known[i];
    }
    a->n_known = o;
    if (!a->head && !a->busy)
        pthread_cond_broadcast(&a->idle_cv);
    pthread_mutex_unlock(&a->mu);
    while (drop) {
        sg__ckpt_job *j = drop;
        drop = j->next;
        sg__ckpt_job_free(j);
    }
}

size_t sg__ckpt_async_pending(sg__ckpt_async *a)
{
    if (!a)
        return 0;
    pthread_mutex_lock(&a->mu);
    size_t n = a->n_queued + (a->busy ? 1 : 0);
    pthread_mutex_unlock(&a->mu);
    return n;
}

void sg__ckpt_async_counters_get(sg__ckpt_async *a, sg__ckpt_async_counters *out)
{
    memset(out, 0, sizeof(*out));
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    *out = a->counters;
    pthread_mutex_unlock(&a->mu);
}

static int cmp_path(const void *x, const void *y)
{
    return strcmp(((const sg__ckpt_file *)x)->path, ((const sg__ckpt_file *)y)->path);
}

int sg__ckpt_async_take(sg__ckpt_async *a, uint64_t id, sg__ckpt_file **files, size_t *n)
{
    *files = NULL;
    *n = 0;
    if (!a)
        return SG_OK;
    pthread_mutex_lock(&a->mu);
    size_t cnt = 0, o = 0;
    for (size_t i = 0; i < a->n_known; i++)
        cnt += a->known[i].id == id;
    sg__ckpt_file *v = sg_malloc((cnt ? cnt : 1) * sizeof(*v));
    if (!v) {
        pthread_mutex_unlock(&a->mu);
        return SG_ENOMEM;
    }
    for (size_t i = 0; i < a->n_known; i++) {
        if (a->known[i].id == id)
            v[(*n)++] = a->known[i].f;
        else if (a->known[i].id < id)
            sg_free(a->known[i].f.path); /* an aborted checkpoint's */
        else
            a->known[o++] = a->known[i]; /* a later one's, written ahead */
    }
    a->n_known = o;
    pthread_mutex_unlock(&a->mu);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_path);
    *files = v;
    return SG_OK;
}
