/* state_rocksdb.c — the RocksDB state backend: one database per kv, one column family
 * per declared state, keys laid out as state_backend.h draws them.
 *
 * This is the only file that sees RocksDB's C API and its `char **errptr` convention:
 * every error string is turned into SG_ESTATE plus a one-line message here. Writes skip
 * the WAL because checkpoints, not the WAL, make state durable (as in Flink); a crash
 * restores from the last checkpoint, so what the WAL would have kept is redone anyway.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include <sangam/sangam.h>

#include "engine/common.h"
#include "engine/state_backend.h"

#define BLOOM_BITS_PER_KEY 10.0
#define KEEP_LOG_FILES 2

typedef struct rdb_cf {
    char *name;
    rocksdb_column_family_handle_t *h;
    bool existed;    /* opened from disk, so it may hold entries */
    char *sweep_key; /* the key the next sweep starts at (owned); NULL: the first */
    size_t sweep_len;
} rdb_cf;

struct sg__state_backend {
    rocksdb_t *db;
    rocksdb_options_t *opts; /* kept for the column families created later */
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    rocksdb_writebatch_t *batch;     /* reused: cleared after every apply */
    rocksdb_pinnableslice_t *pinned; /* the last get's value, released by the next get */
    rdb_cf *cfs;
    uint32_t n_cfs, cap_cfs;
    char err[256];
};

/* Formats "rocksdb <what>: <rocksdb's message>" into dst, one line, and frees rerr. */
static void format_error(char *dst, size_t len, const char *what, char *rerr)
{
    if (!dst || !len) {
        rocksdb_free(rerr);
        return;
    }
    snprintf(dst, len, "rocksdb %s: %s", what, rerr ? rerr : "unknown error");
    rocksdb_free(rerr);
    for (char *p = dst; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static int fail(sg__state_backend *b, const char *what, char *rerr)
{
    format_error(b->err, sizeof(b->err), what, rerr);
    return SG_ESTATE;
}

static int add_cf(sg__state_backend *b, const char *name, rocksdb_column_family_handle_t *h,
                  bool existed)
{
    if (b->n_cfs == b->cap_cfs) {
        uint32_t cap = b->cap_cfs ? b->cap_cfs * 2 : 8;
        rdb_cf *cfs = sg_realloc(b->cfs, cap * sizeof(*cfs));
        if (!cfs)
            return SG_ENOMEM;
        b->cfs = cfs;
        b->cap_cfs = cap;
    }
    char *copy = sg_strdup(name);
    if (!copy)
        return SG_ENOMEM;
    b->cfs[b->n_cfs++] = (rdb_cf){copy, h, existed, NULL, 0};
    return SG_OK;
}

static rocksdb_options_t *make_options(void)
{
    rocksdb_options_t *opts = rocksdb_options_create();
    rocksdb_block_based_table_options_t *table = rocksdb_block_based_options_create();
    /* Point reads on a cache miss are the only reads on the hot path, and most of them
     * miss (the key is new); the bloom filter answers those without touching blocks. */
    rocksdb_block_based_options_set_filter_policy(
        table, rocksdb_filterpolicy_create_bloom(BLOOM_BITS_PER_KEY)); /* table owns it */
    rocksdb_options_set_block_based_table_factory(opts, table);        /* copies table */
    rocksdb_block_based_options_destroy(table);
    rocksdb_options_set_create_if_missing(opts, 1);
    rocksdb_options_set_create_missing_column_families(opts, 1);
    rocksdb_options_set_keep_log_file_num(opts, KEEP_LOG_FILES);
    return opts;
}

/* Opens dir with every column family it already has; RocksDB refuses an open that
 * leaves one out, and restore reopens checkpoints whose families we must all see. */
static int open_db(sg__state_backend *b, const char *dir, char *err, size_t errlen)
{
    static const char *const fresh[] = {"default"};
    char *rerr = NULL, **listed = NULL;
    size_t n = 1;
    char current[4096];
    snprintf(current, sizeof(current), "%s/CURRENT", dir);
    bool existed = access(current, F_OK) == 0;
    if (existed) {
        listed = rocksdb_list_column_families(b->opts, dir, &n, &rerr);
        if (rerr) {
            format_error(err, errlen, "cannot list column families", rerr);
            return SG_ESTATE;
        }
    }
    const char *const *names = listed ? (const char *const *)listed : fresh;
    const rocksdb_options_t **cf_opts = sg_calloc(n, sizeof(*cf_opts));
    rocksdb_column_family_handle_t **hs = sg_calloc(n, sizeof(*hs));
    int rc = SG_ENOMEM;
    if (!cf_opts || !hs) {
        snprintf(err, errlen, "out of memory opening state in %s", dir);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        cf_opts[i] = b->opts;
    b->db = rocksdb_open_column_families(b->opts, dir, (int)n, names, cf_opts, hs, &rerr);
    if (rerr) {
        char what[300];
        snprintf(what, sizeof(what), "cannot open %s", dir);
        format_error(err, errlen, what, rerr);
        b->db = NULL;
        rc = SG_ESTATE;
        goto out;
    }
    rc = SG_OK;
    for (size_t i = 0; i < n; i++) {
        if (rc == SG_OK)
            rc = add_cf(b, names[i], hs[i], existed);
        if (rc < 0) /* not recorded, so close would not find it */
            rocksdb_column_family_handle_destroy(hs[i]);
    }
    if (rc < 0)
        snprintf(err, errlen, "out of memory opening state in %s", dir);
out:
    sg_free(cf_opts);
    sg_free(hs);
    if (listed)
        rocksdb_list_column_families_destroy(listed, n);
    return rc;
}

static void rdb_close(sg__state_backend *b)
{
    if (!b)
        return;
    if (b->pinned)
        rocksdb_pinnableslice_destroy(b->pinned);
    for (uint32_t i = 0; i < b->n_cfs; i++) {
        rocksdb_column_family_handle_destroy(b->cfs[i].h);
        sg_free(b->cfs[i].name);
        sg_free(b->cfs[i].sweep_key);
    }
    sg_free(b->cfs);
    if (b->db)
        rocksdb_close(b->db);
    if (b->batch)
        rocksdb_writebatch_destroy(b->batch);
    if (b->ropts)
        rocksdb_readoptions_destroy(b->ropts);
    if (b->wopts)
        rocksdb_writeoptions_destroy(b->wopts);
    if (b->opts)
        rocksdb_options_destroy(b->opts);
    sg_free(b);
}

static int rdb_open(const sg__kv_config *cfg, sg__state_backend **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg->dir || !*cfg->dir) {
        snprintf(err, errlen, "rocksdb state needs a directory");
        return SG_EINVAL;
    }
    sg__state_backend *b = sg_calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory opening state in %s", cfg->dir);
        return SG_ENOMEM;
    }
    b->opts = make_options();
    b->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(b->wopts, 1);
    b->ropts = rocksdb_readoptions_create();
    b->batch = rocksdb_writebatch_create();
    int rc = open_db(b, cfg->dir, err, errlen);
    if (rc < 0) {
        rdb_close(b);
        return rc;
    }
    *out = b;
    return SG_OK;
}

/* Whether a family opened from disk holds any entry: a state whose family is empty can
 * treat every cache miss as absent without a read, exactly like a new one. */
static int cf_has_data(sg__state_backend *b, rocksdb_column_family_handle_t *h, bool *has)
{
    char *rerr = NULL;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(b->db, b->ropts, h);
    rocksdb_iter_seek_to_first(it);
    *has = rocksdb_iter_valid(it);
    rocksdb_iter_get_error(it, &rerr);
    rocksdb_iter_destroy(it);
    return rerr ? fail(b, "cannot read column family", rerr) : SG_OK;
}

static int rdb_declare(sg__state_backend *b, const char *name, uint32_t *cf, bool *has_data)
{
    for (uint32_t i = 0; i < b->n_cfs; i++) {
        if (strcmp(b->cfs[i].name, name) == 0) {
            *cf = i;
            *has_data = false;
            return b->cfs[i].existed ? cf_has_data(b, b->cfs[i].h, has_data) : SG_OK;
        }
    }
    char *rerr = NULL;
    rocksdb_column_family_handle_t *h = rocksdb_create_column_family(b->db, b->opts, name, &rerr);
    if (rerr)
        return fail(b, "cannot create column family", rerr);
    int rc = add_cf(b, name, h, false);
    if (rc < 0) {
        rocksdb_column_family_handle_destroy(h);
        snprintf(b->err, sizeof(b->err), "out of memory declaring state %s", name);
        return rc;
    }
    *cf = b->n_cfs - 1;
    *has_data = false;
    return SG_OK;
}

static int rdb_get(sg__state_backend *b, uint32_t cf, sg_bytes key, sg_bytes *out)
{
    char *rerr = NULL;
    SG_ASSERT(cf < b->n_cfs);
    if (b->pinned) {
        rocksdb_pinnableslice_destroy(b->pinned);
        b->pinned = NULL;
    }
    /* Pinned: the value is read in place from the block cache or memtable, no copy. */
    b->pinned = rocksdb_get_pinned_cf(b->db, b->ropts, b->cfs[cf].h, key.data, key.len, &rerr);
    if (rerr)
        return fail(b, "get failed", rerr);
    if (!b->pinned)
        return SG_NOTFOUND;
    out->data = rocksdb_pinnableslice_value(b->pinned, &out->len);
    return SG_OK;
}

static int rdb_put(sg__state_backend *b, uint32_t cf, sg_bytes key, sg_bytes val)
{
    char *rerr = NULL;
    SG_ASSERT(cf < b->n_cfs);
    rocksdb_put_cf(b->db, b->wopts, b->cfs[cf].h, key.data, key.len, val.data, val.len, &rerr);
    return rerr ? fail(b, "put failed", rerr) : SG_OK;
}

static int rdb_del(sg__state_backend *b, uint32_t cf, sg_bytes key)
{
    char *rerr = NULL;
    SG_ASSERT(cf < b->n_cfs);
    rocksdb_delete_cf(b->db, b->wopts, b->cfs[cf].h, key.data, key.len, &rerr);
    return rerr ? fail(b, "delete failed", rerr) : SG_OK;
}

static int rdb_apply(sg__state_backend *b, const sg__state_write *w, size_t n)
{
    char *rerr = NULL;
    for (size_t i = 0; i < n; i++) {
        SG_ASSERT(w[i].cf < b->n_cfs);
        rocksdb_column_family_handle_t *h = b->cfs[w[i].cf].h;
        if (w[i].del)
            rocksdb_writebatch_delete_cf(b->batch, h, w[i].key.data, w[i].key.len);
        else
            rocksdb_writebatch_put_cf(b->batch, h, w[i].key.data, w[i].key.len, w[i].val.data,
                                      w[i].val.len);
    }
    rocksdb_write(b->db, b->wopts, b->batch, &rerr);
    rocksdb_writebatch_clear(b->batch);
    return rerr ? fail(b, "write batch failed", rerr) : SG_OK;
}

static int rdb_iter_kg(sg__state_backend *b, uint32_t cf, uint16_t kg, sg__state_iter_fn fn,
                       void *ud)
{
    unsigned char lo[2] = {(unsigned char)(kg >> 8), (unsigned char)kg};
    unsigned char hi[2] = {(unsigned char)((kg + 1) >> 8), (unsigned char)(kg + 1)};
    char *rerr = NULL;
    int rc = SG_OK;
    SG_ASSERT(cf < b->n_cfs);
    /* The upper bound lets RocksDB stop at the end of the key group instead of reading
     * into the next one; the last key group has no upper bound, hence the prefix check. */
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    if (kg != UINT16_MAX)
        rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof(hi));
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(b->db, ro, b->cfs[cf].h);
    for (rocksdb_iter_seek(it, (const char *)lo, sizeof(lo)); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        sg_bytes k, v;
        k.data = rocksdb_iter_key(it, &k.len);
        if (k.len < sizeof(lo) || memcmp(k.data, lo, sizeof(lo)) != 0)
            break;
        v.data = rocksdb_iter_value(it, &v.len);
        if ((rc = fn(ud, k, v)) != 0)
            break;
    }
    if (rc == SG_OK) {
        rocksdb_iter_get_error(it, &rerr);
        if (rerr)
            rc = fail(b, "iteration failed", rerr);
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

/* Remembers the key where the next sweep resumes; SG_ENOMEM leaves the old one. */
static int set_sweep_key(rdb_cf *c, const char *key, size_t len)
{
    char *copy = NULL;
    if (key && !(copy = sg_malloc(len ? len : 1)))
        return SG_ENOMEM;
    if (copy && len)
        memcpy(copy, key, len);
    sg_free(c->sweep_key);
    c->sweep_key = copy;
    c->sweep_len = key ? len : 0;
    return SG_OK;
}

/* Key order from the remembered key: one iterator per step, so a step costs a seek
 * plus max nexts. Deleted keys do not come back; the key remembered may itself be
 * gone by the next step, and the seek then lands on its successor. */
static int rdb_sweep(sg__state_backend *b, uint32_t cf, size_t max, sg__state_iter_fn fn, void *ud,
                     bool *wrapped)
{
    SG_ASSERT(cf < b->n_cfs);
    rdb_cf *c = &b->cfs[cf];
    char *rerr = NULL;
    int rc = SG_OK;
    size_t seen = 0;
    *wrapped = false;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(b->db, b->ropts, c->h);
    if (c->sweep_key)
        rocksdb_iter_seek(it, c->sweep_key, c->sweep_len);
    else
        rocksdb_iter_seek_to_first(it);
    for (; rocksdb_iter_valid(it) && seen < max; rocksdb_iter_next(it), seen++) {
        sg_bytes k, v;
        k.data = rocksdb_iter_key(it, &k.len);
        v.data = rocksdb_iter_value(it, &v.len);
        if ((rc = fn(ud, k, v)) != 0)
            break;
    }
    if (rc == SG_OK) {
        rocksdb_iter_get_error(it, &rerr);
        if (rerr) {
            rc = fail(b, "sweep failed", rerr);
        } else if (rocksdb_iter_valid(it)) {
            size_t len;
            const char *key = rocksdb_iter_key(it, &len);
            if (set_sweep_key(c, key, len) < 0) {
                snprintf(b->err, sizeof(b->err), "out of memory sweeping state");
                rc = SG_ENOMEM;
            }
        } else {
            *wrapped = true;
            set_sweep_key(c, NULL, 0);
        }
    }
    rocksdb_iter_destroy(it);
    return rc;
}

static int rdb_count(sg__state_backend *b, uint32_t cf, uint64_t *n)
{
    char *rerr = NULL;
    SG_ASSERT(cf < b->n_cfs);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(b->db, b->ropts, b->cfs[cf].h);
    *n = 0;
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it))
        (*n)++;
    rocksdb_iter_get_error(it, &rerr);
    rocksdb_iter_destroy(it);
    return rerr ? fail(b, "count failed", rerr) : SG_OK;
}

static int rdb_checkpoint(sg__state_backend *b, const char *dir)
{
    char *rerr = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(b->db, &rerr);
    if (rerr)
        return fail(b, "cannot start a checkpoint", rerr);
    /* log_size_for_flush 0: always flush the memtables first. Writes skip the WAL, so
     * without the flush the checkpoint would miss everything not yet in an SST file. */
    rocksdb_checkpoint_create(cp, dir, 0, &rerr);
    rocksdb_checkpoint_object_destroy(cp);
    if (rerr) {
        char what[300];
        snprintf(what, sizeof(what), "cannot checkpoint into %s", dir);
        return fail(b, what, rerr);
    }
    return SG_OK;
}

static const char *rdb_errmsg(const sg__state_backend *b)
{
    return b->err;
}

const sg__state_ops sg__state_rocksdb_ops = {
    .version = SG__STATE_OPS_V3,
    .name = "rocksdb",
    .open = rdb_open,
    .declare = rdb_declare,
    .get = rdb_get,
    .put = rdb_put,
    .del = rdb_del,
    .apply = rdb_apply,
    .iter_kg = rdb_iter_kg,
    .errmsg = rdb_errmsg,
    .close = rdb_close,
    .sweep = rdb_sweep,
    .count = rdb_count,
    .checkpoint = rdb_checkpoint,
};
