/* Savepoint content (ckpt_savepoint.h): the keyed state dump and its filtered load,
 * and the rescaling of an instance's timers and own snapshot. */
#include <string.h>

#include "engine/ckpt_savepoint.h"
#include "engine/ctx.h"
#include "engine/snap.h"

#define END_OF_STATE 65536u /* a key group no entry has: ends a state's entries */

/* ---- Keyed state dump ---------------------------------------------------------- */

static int put_entry(void *ud, sg_bytes key, int64_t ns, sg_bytes val);

typedef struct dump_ctx {
    sg_snap_writer *w;
    uint16_t kg;
    uint64_t n;
} dump_ctx;

static int put_entry(void *ud, sg_bytes key, int64_t ns, sg_bytes val)
{
    dump_ctx *d = ud;
    if (sg_snap_put_u64(d->w, d->kg) < 0 || sg_snap_put_bytes(d->w, key.data, key.len) < 0 ||
        sg_snap_put_i64(d->w, ns) < 0 || sg_snap_put_bytes(d->w, val.data, val.len) < 0)
        return SG_ENOMEM;
    d->n++;
    return SG_OK;
}

int sg__sp_dump_kv(sg__kv *kv, sg_snap_writer *w, uint64_t *n_entries)
{
    uint32_t n = kv ? sg__kv_n_states(kv) : 0;
    dump_ctx d = {.w = w};
    int rc = sg_snap_put_u64(w, n);
    for (uint32_t id = 0; id < n && rc >= 0; id++) {
        const char *name = sg__kv_state_name(kv, id);
        if ((rc = sg_snap_put_bytes(w, name, strlen(name))) < 0)
            break;
        for (unsigned kg = 0; kg < SG__MAX_PARALLELISM && rc >= 0; kg++) {
            d.kg = (uint16_t)kg;
            rc = sg__kv_scan(kv, id, (uint16_t)kg, put_entry, &d);
        }
        if (rc >= 0)
            rc = sg_snap_put_u64(w, END_OF_STATE);
    }
    if (rc >= 0 && w->failed)
        rc = SG_ENOMEM;
    if (n_entries)
        *n_entries = d.n;
    return rc < 0 ? rc : SG_OK;
}

int sg__sp_dump_has_states(sg_bytes dump, int *has)
{
    sg_snap_reader r;
    uint64_t n = 0;
    sg__snap_reader_init(&r, dump.data, dump.len);
    int rc = sg_snap_get_u64(&r, &n);
    sg__snap_reader_free(&r);
    *has = n > 0;
    return rc < 0 ? SG_ESERDE : SG_OK;
}

int sg__sp_load_kv(sg_snap_reader *r, sg__kv *kv, int subtask, int parallelism, uint64_t *loaded)
{
    uint64_t n_states, kg, count = 0;
    int rc = sg_snap_get_u64(r, &n_states) < 0 ? SG_ESERDE : SG_OK;
    char *name = NULL;
    for (uint64_t s = 0; s < n_states && rc >= 0; s++) {
        sg_bytes nb, key, val;
        uint32_t id = 0;
        bool declared = false;
        if (sg_snap_get_bytes(r, &nb) < 0 || nb.len == 0) {
            rc = SG_ESERDE;
            break;
        }
        sg_free(name);
        if (!(name = sg_malloc(nb.len + 1))) {
            rc = SG_ENOMEM;
            break;
        }
        memcpy(name, nb.data, nb.len);
        name[nb.len] = '\0';
        for (;;) {
            int64_t ns;
            if (sg_snap_get_u64(r, &kg) < 0) {
                rc = SG_ESERDE;
                break;
            }
            if (kg == END_OF_STATE)
                break;
            if (kg >= SG__MAX_PARALLELISM || sg_snap_get_bytes(r, &key) < 0 ||
                sg_snap_get_i64(r, &ns) < 0 || sg_snap_get_bytes(r, &val) < 0) {
                rc = SG_ESERDE;
                break;
            }
            if (sg__kg_subtask((uint16_t)kg, parallelism) != subtask)
                continue;
            if (!kv) {
                rc = SG_EINVAL;
                break;
            }
            if (!declared && (rc = sg__kv_declare(kv, name, &id)) < 0)
                break;
            declared = true;
            if ((rc = sg__kv_put(kv, id, (uint16_t)kg, key, ns, val)) < 0)
                break;
            count++;
        }
    }
    sg_free(name);
    if (loaded)
        *loaded = count;
    return rc < 0 ? rc : SG_OK;
}

/* ---- Rescaling an instance's snapshot --------------------------------------------- */

/* Copies (or counts, with w NULL) the timers of one timer list of r whose key group
 * belongs to subtask. */
static int filter_timers(sg_snap_reader *r, sg_snap_writer *w, int subtask, int parallelism,
                         uint64_t *kept)
{
    uint64_t n, kg;
    int64_t ts;
    sg_bytes key;
    if (sg_snap_get_u64(r, &n) < 0)
        return SG_ESERDE;
    for (uint64_t i = 0; i < n; i++) {
        if (sg_snap_get_i64(r, &ts) < 0 || sg_snap_get_u64(r, &kg) < 0 ||
            sg_snap_get_bytes(r, &key) < 0 || kg >= SG__MAX_PARALLELISM)
            return SG_ESERDE;
        if (sg__kg_subtask((uint16_t)kg, parallelism) != subtask)
            continue;
        (*kept)++;
        if (w && (sg_snap_put_i64(w, ts) < 0 || sg_snap_put_u64(w, kg) < 0 ||
                  sg_snap_put_bytes(w, key.data, key.len) < 0))
            return SG_ENOMEM;
    }
    return SG_OK;
}

/* One timer list (which: 0 event time, 1 processing time) of every old snapshot,
 * filtered, as one list: counted first, then written. */
static int merge_timers(const sg_bytes *old, size_t n, int which, int subtask, int parallelism,
                        sg_snap_writer *out)
{
    uint64_t kept = 0;
    int rc = SG_OK;
    for (int pass = 0; pass < 2 && rc >= 0; pass++) {
        if (pass == 1 && sg_snap_put_u64(out, kept) < 0)
            return SG_ENOMEM;
        for (size_t i = 0; i < n && rc >= 0; i++) {
            sg_snap_reader r;
            uint64_t skip = 0;
            sg__snap_reader_init(&r, old[i].data, old[i].len);
            if (which == 1)
                rc = filter_timers(&r, NULL, -1, parallelism, &skip); /* skip event timers */
            if (rc >= 0)
                rc = filter_timers(&r, pass ? out : NULL, subtask, parallelism,
                                   pass ? &skip : &kept);
            sg__snap_reader_free(&r);
        }
    }
    return rc;
}

/* The own snapshot of an instance snapshot: after both timer lists. */
static int own_part(sg_bytes inst, sg_bytes *own)
{
    sg_snap_reader r;
    uint64_t skip = 0;
    sg__snap_reader_init(&r, inst.data, inst.len);
    int rc = filter_timers(&r, NULL, -1, 1, &skip);
    if (rc >= 0)
        rc = filter_timers(&r, NULL, -1, 1, &skip);
    if (rc >= 0 && sg_snap_get_bytes(&r, own) < 0)
        rc = SG_ESERDE;
    sg__snap_reader_free(&r);
    return rc;
}

/* The integers of a snapshot made of integers only, into v (at most cap); SG_EINVAL
 * when it holds anything else or more. neg[i] tells a negative integer. */
static int integers(sg_bytes b, int64_t *v, bool *neg, size_t cap, size_t *n)
{
    msgpack_unpacked u;
    size_t off = 0;
    int rc = SG_OK;
    *n = 0;
    msgpack_unpacked_init(&u);
    while (off < b.len) {
        if (msgpack_unpack_next(&u, b.data, b.len, &off) != MSGPACK_UNPACK_SUCCESS || *n == cap) {
            rc = SG_EINVAL;
            break;
        }
        if (u.data.type == MSGPACK_OBJECT_POSITIVE_INTEGER && u.data.via.u64 <= INT64_MAX) {
            neg[*n] = false;
            v[(*n)++] = (int64_t)u.data.via.u64;
        } else if (u.data.type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            neg[*n] = true;
            v[(*n)++] = u.data.via.i64;
        } else {
            rc = SG_EINVAL;
            break;
        }
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

#define MAX_INTS 16

int sg__sp_merge_own(const sg_bytes *own, size_t n, sg_snap_writer *out)
{
    bool all_empty = true, all_same = true;
    for (size_t i = 0; i < n; i++) {
        all_empty &= own[i].len == 0;
        all_same &= own[i].len == own[0].len &&
                    (own[i].len == 0 || memcmp(own[i].data, own[0].data, own[i].len) == 0);
    }
    if (n == 0 || all_empty)
        return sg_snap_put_bytes(out, "", 0);
    if (all_same)
        return sg_snap_put_bytes(out, own[0].data, own[0].len);
    int64_t best[MAX_INTS], v[MAX_INTS];
    bool neg[MAX_INTS];
    size_t len = 0, m;
    for (size_t i = 0; i < n; i++) {
        if (integers(own[i], v, neg, MAX_INTS, &m) < 0 || (i && m != len))
            return SG_EINVAL;
        for (size_t k = 0; k < m; k++)
            best[k] = i == 0 || v[k] > best[k] ? v[k] : best[k];
        len = m;
    }
    sg_snap_writer w;
    sg__snap_writer_init(&w);
    for (size_t k = 0; k < len; k++)
        sg_snap_put_i64(&w, best[k]);
    sg_bytes b = sg__snap_writer_bytes(&w);
    int rc = w.failed ? SG_ENOMEM : sg_snap_put_bytes(out, b.data, b.len);
    sg__snap_writer_free(&w);
    return rc;
}

int sg__sp_rescale_inst(const sg_bytes *old, size_t n, int subtask, int parallelism,
                        sg_snap_writer *out, char *err, size_t errlen)
{
    sg_bytes *own = sg_calloc(n ? n : 1, sizeof(*own));
    int rc = own ? SG_OK : SG_ENOMEM;
    for (size_t i = 0; i < n && rc >= 0; i++)
        if ((rc = own_part(old[i], &own[i])) < 0)
            snprintf(err, errlen, "an instance snapshot is malformed");
    if (rc >= 0 && ((rc = merge_timers(old, n, 0, subtask, parallelism, out)) < 0 ||
                    (rc = merge_timers(old, n, 1, subtask, parallelism, out)) < 0))
        snprintf(err, errlen, "an instance snapshot is malformed");
    if (rc >= 0 && (rc = sg__sp_merge_own(own, n, out)) == SG_EINVAL)
        snprintf(err, errlen,
                 "its own snapshot is not made of counters and watermarks only, so it "
                 "cannot be split between a different number of instances");
    if (rc == SG_ENOMEM)
        snprintf(err, errlen, "out of memory");
    sg_free(own);
    return rc < 0 ? rc : SG_OK;
}
