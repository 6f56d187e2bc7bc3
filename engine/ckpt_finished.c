/* The .finished file of a checkpoint (ckpt_finished.h). */
#include <stdio.h>
#include <string.h>

#include "engine/ckpt_finished.h"
#include "engine/ckpt_store.h"
#include "engine/snap.h"

#define FINISHED_FORMAT 1

static void file_name(int task, int subtask, char *out, size_t len)
{
    snprintf(out, len, "t%d-s%d.finished", task, subtask);
}

int sg__ckpt_write_finished(const char *dir, int task, int subtask, const char *name, uint64_t id,
                            sg_time wm, char *err, size_t errlen)
{
    char file[64];
    sg_snap_writer w;
    int rc;
    file_name(task, subtask, file, sizeof(file));
    sg__snap_writer_init(&w);
    sg_snap_put_u64(&w, FINISHED_FORMAT);
    sg_snap_put_u64(&w, id);
    sg_snap_put_bytes(&w, name, strlen(name));
    sg_snap_put_i64(&w, wm);
    if (w.failed) {
        snprintf(err, errlen, "out of memory writing %s", file);
        rc = SG_ENOMEM;
    } else {
        sg_bytes b = sg__snap_writer_bytes(&w);
        rc = sg__ckpt_write_file(dir, file, b.data, b.len, err, errlen);
    }
    sg__snap_writer_free(&w);
    return rc;
}

int sg__ckpt_read_finished(const char *dir, int task, int subtask, sg__ckpt_finished *f, char *err,
                           size_t errlen)
{
    char file[64];
    void *data = NULL;
    size_t len = 0;
    uint64_t format;
    sg_bytes name;
    sg_snap_reader r;
    file_name(task, subtask, file, sizeof(file));
    int rc = sg__ckpt_read_file(dir, file, &data, &len, err, errlen);
    if (rc == SG_ENOENT)
        return SG_NOTFOUND;
    if (rc < 0)
        return rc;
    sg__snap_reader_init(&r, data, len);
    memset(f, 0, sizeof(*f));
    if (sg_snap_get_u64(&r, &format) < 0 || format != FINISHED_FORMAT ||
        sg_snap_get_u64(&r, &f->id) < 0 || sg_snap_get_bytes(&r, &name) < 0 ||
        sg_snap_get_i64(&r, &f->wm) < 0 || !sg__snap_reader_done(&r)) {
        const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        snprintf(err, errlen, "checkpoint %s: %s is malformed", base, file);
        rc = SG_ESERDE;
    } else {
        size_t n = name.len < sizeof(f->name) - 1 ? name.len : sizeof(f->name) - 1;
        memcpy(f->name, name.data, n);
        f->name[n] = '\0';
    }
    sg__snap_reader_free(&r);
    sg_free(data);
    return rc;
}

bool sg__ckpt_is_finished_file(const char *name, int *task, int *subtask)
{
    int used = 0;
    return sscanf(name, "t%d-s%d.finished%n", task, subtask, &used) == 2 && used > 0 &&
           name[used] == '\0';
}
