/* Small file-system helpers shared by the runtime and the operator harness. */
#ifndef SG_ENGINE_FSUTIL_H
#define SG_ENGINE_FSUTIL_H

/* Removes dir and everything below it (no symlinks followed); missing is fine. */
void sg__remove_tree(const char *dir);

#endif
