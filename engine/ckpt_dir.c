/* The checkpoint directory's lock and the removal of aborted checkpoints (ckpt_dir.h). */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* flock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/ckpt_dir.h"
#include "engine/ckpt_store.h"
#include "engine/fsutil.h"

#define LOCK_NAME ".lock"

static int make_root(const char *root)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s", root) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int sg__ckpt_dir_lock(const char *root, int *fd, char *err, size_t errlen)
{
    char path[PATH_MAX], pid[32] = "";
    *fd = -1;
    if (snprintf(path, sizeof(path), "%s/%s", root, LOCK_NAME) >= (int)sizeof(path)) {
        snprintf(err, errlen, "checkpoint directory %s: path too long", root);
        return SG_EIO;
    }
    int lfd = -1;
    if (make_root(root) != 0 || (lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) {
        snprintf(err, errlen, "cannot lock checkpoint directory %s: %s", root, strerror(errno));
        return SG_EIO;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            /* The holder wrote its pid; a read racing with that write finds it empty. */
            ssize_t n = pread(lfd, pid, sizeof(pid) - 1, 0);
            pid[n > 0 ? n : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            snprintf(err, errlen,
                     "checkpoint directory %s is in use by another run%s%s%s (%s is locked)", root,
                     pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", path);
        } else {
            snprintf(err, errlen, "cannot lock checkpoint directory %s: %s", root, strerror(e));
        }
        close(lfd);
        return SG_EIO;
    }
    /* For the message above only: the lock is the flock, not the content. */
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(lfd, 0) != 0 || pwrite(lfd, pid, (size_t)len, 0) != len) {
        /* a full disk: the lock still holds, only the pid is not shown */
    }
    *fd = lfd;
    return SG_OK;
}

void sg__ckpt_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

int sg__ckpt_remove_aborted(const char *root, uint64_t below, char *err, size_t errlen)
{
    sg__ckpt_entry *e = NULL;
    size_t n = 0;
    int rc = sg__ckpt_scan(root, &e, &n, err, errlen);
    if (rc == SG_ENOENT)
        return SG_OK;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == SG_OK; i++) {
        char dir[PATH_MAX];
        struct stat st;
        if (e[i].complete || e[i].id >= below)
            continue;
        sg__ckpt_path(root, e[i].kind, e[i].id, dir, sizeof(dir));
        sg__remove_tree(dir);
        if (lstat(dir, &st) == 0) {
            snprintf(err, errlen, "cannot remove aborted %s %s",
                     e[i].kind == SG__CKPT_SAVEPOINT ? "savepoint" : "checkpoint", dir);
            rc = SG_EIO;
        }
    }
    sg_free(e);
    return rc;
}
