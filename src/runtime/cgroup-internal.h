/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_CGROUP_INTERNAL_H
#define VB_RUNTIME_CGROUP_INTERNAL_H

/*
 * What the files of the cgroup interface share and nothing else includes:
 * the access to control files and directories (runtime/cgroup-fs.c, with
 * what test trees change there), the limit writing creation needs
 * (runtime/cgroup-resources.c), and a few small helpers. Dependencies point
 * one way: cgroup.c -> cgroup-resources.c -> cgroup-fs.c, cgroup-layout.c ->
 * cgroup-fs.c.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "core/util.h"
#include "runtime/cgroup.h"

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Is word one of the tokens of list (split at any of seps, a leading '+' ignored)? */
static inline bool list_has(const char *list, const char *word, const char *seps)
{
	size_t wlen = strlen(word);
	const char *p = list;
	while (p && *p) {
		size_t n = strcspn(p, seps);
		const char *tok = p;
		size_t tlen = n;
		if (tlen && *tok == '+') {
			tok++;
			tlen--;
		}
		if (tlen == wlen && !memcmp(tok, word, wlen))
			return true;
		p += n;
		p += strspn(p, seps);
	}
	return false;
}

/* The directory a path is in (path has at least one '/' past its first byte). */
static inline char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return xstrndup(path, slash && slash != path ? (size_t)(slash - path) : 1);
}

static inline bool is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static inline int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- control files and directories (cgroup-fs.c) ---- */

/*
 * Write value to path as cgroupfs wants it: no O_CREAT, no O_TRUNC, and the
 * value in one write(), since the kernel parses each write as a whole.
 * Returns 0 or -errno; the write goes to l->write_log.
 */
int cg_write_raw(const struct vb_cgroup_layout *l, const char *path, const char *value);

/* Append "<path below root> <value>" to l->write_log, when there is one. */
void cg_log_line(const struct vb_cgroup_layout *l, const char *path, const char *value);

/* cg_write_raw of dir/file; an error names the value and the file. */
int cg_write(const struct vb_cgroup_layout *l, const char *dir, const char *file, const char *value,
	     struct vb_error **err);
int cg_write_u64(const struct vb_cgroup_layout *l, const char *dir, const char *file, uint64_t v,
		 struct vb_error **err);

/* Read a control file, trailing whitespace removed. */
int cg_read(const char *dir, const char *file, char **out, struct vb_error **err);

/* Does dir/file exist? */
bool cg_has(const char *dir, const char *file);

/*
 * mkdir; an existing directory is fine too, and *created tells which it was.
 * Test trees: a new directory gets its parent's control files.
 */
int cg_mkdir(const struct vb_cgroup_layout *l, const char *path, bool *created,
	     struct vb_error **err);

/*
 * rmdir, retrying while the kernel still reports the cgroup busy; missing is
 * fine. Test trees: the directory's regular files go first.
 */
int cg_rmdir(const struct vb_cgroup_layout *l, const char *path, struct vb_error **err);

/* The pids in dir/cgroup.procs; a cgroup that is gone has none. */
int cg_pids(const char *dir, pid_t **pids, size_t *n, struct vb_error **err);

/* The guest's directory in the hierarchy holding ctrl (v1), or NULL. */
const char *cg_path_of(const struct vb_cgroup *cg, const char *ctrl);

/* ---- limits at creation (cgroup-resources.c) ---- */

/* Copy cpuset.cpus/mems from one cgroup into another where still empty (v1). */
int cg_cpuset_fill(const struct vb_cgroup_layout *l, const char *from, const char *to,
		   struct vb_error **err);

/*
 * Write lim into dir, the guest's directory in the v1 hierarchy of
 * controllers ctrl below parent (the cpuset falls back to parent's).
 */
int cg_apply_v1(struct vb_cgroup *cg, const char *ctrl, const char *parent, const char *dir,
		const struct vb_cgroup_limits *lim, struct vb_error **err);

/* v2: a VB_SKIP error when a limit of lim needs a controller not available. */
int cg_check_v2(const struct vb_cgroup_layout *l, const struct vb_cgroup_limits *lim,
		struct vb_error **err);

/* v2: write lim into dir, the guest's directory (and its device program). */
int cg_apply_v2(struct vb_cgroup *cg, const char *dir, const struct vb_cgroup_limits *lim,
		struct vb_error **err);

/*
 * The v2 device allow-list (runtime/cgroup-devices.h) on dir. Test trees
 * are plain directories, which hold no program: nothing is attached there.
 */
int cg_attach_devices(struct vb_cgroup *cg, const char *dir, struct vb_error **err);

#endif
