/* SPDX-License-Identifier: MIT */
/*
 * What dead runs left behind, swept at the start of the next: cgroups,
 * links and nft tables of the runtime, each platform's own leftovers (its
 * `sweep` entry), work directories and runs still marked running. Only
 * runs of this state directory whose owner is gone are touched.
 */
#include <dirent.h>
#include <fcntl.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/run.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image-disk.h"
#include "runtime/cgroup.h"
#include "runtime/nat.h"
#include "runtime/net.h"

/*
 * A cgroup is ours to sweep only when its run's owner file is in our state
 * directory and that owner is gone: a run of another virtbench (another
 * state directory) is never touched, whatever its cgroups look like.
 */
static bool alive_cb(const char *tag, void *data)
{
	(void)data;
	_cleanup_free_ char *owner = xasprintf("%s/%s/owner", vb_state_dir(), tag);
	if (access(owner, F_OK) != 0)
		return true;
	return vb_run_alive(tag);
}

/* Does the state directory hold the work directory of a dead run? */
static bool dead_runs(void)
{
	DIR *d = opendir(vb_state_dir());
	struct dirent *e;
	bool dead = false;
	while (d && !dead && (e = readdir(d)))
		dead = !strncmp(e->d_name, "vb-", 3) && strlen(e->d_name) == 11 &&
		       !alive_cb(e->d_name, NULL);
	if (d)
		closedir(d);
	return dead;
}

int vb_sweep_stale(struct vb_store *db, int *dirs, int *cgroups, int *runs, struct vb_error **err)
{
	*dirs = *cgroups = *runs = 0;
	/*
	 * The state directory first: every sweep below trusts the owner files in
	 * it, and one that another user can change is refused, not swept.
	 */
	struct vb_error *serr = NULL;
	_cleanup_close_ int sfd = vb_state_dir_open(false, &serr);
	if (sfd == -ENOENT) {
		vb_error_free(&serr);
	} else if (sfd < 0) {
		if (err && !*err)
			*err = steal_ptr(&serr);
		vb_error_free(&serr);
		return sfd;
	}
	/* Cgroups first: their owner files are in the directories swept below. */
	struct vb_error *cerr = NULL;
	const struct vb_cgroup_layout *l = geteuid() == 0 ? vb_cgroup_host_layout(&cerr) : NULL;
	vb_error_free(&cerr);
	if (l) {
		int r = vb_cgroup_sweep(l, alive_cb, NULL, cgroups, err);
		if (r)
			return r;
	}
	if (geteuid() == 0) {
		/* Bridges and veths are counted with the cgroups: all are the run's. */
		int links = 0;
		int r = vb_net_sweep(alive_cb, NULL, &links, err);
		if (r)
			return r;
		*cgroups += links;
		/* A NAT run's nft table: nft is started only when some run is dead. */
		int tables = 0;
		if ((dead_runs() || vb_nat_leftovers()) &&
		    (r = vb_nat_sweep(alive_cb, NULL, &tables, err)))
			return r;
		*cgroups += tables;
		/* Each platform's own (xen-local's domUs): before the work dirs go. */
		for (const struct vb_platform_ops *const *p = vb_platforms; *p; p++) {
			int own = 0;
			if ((*p)->sweep && (r = (*p)->sweep(alive_cb, NULL, &own, err)))
				return r;
			*cgroups += own;
		}
	}
	int dfd = sfd < 0 ? -1 : fcntl(sfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d && dfd >= 0)
		close(dfd);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		/* Only our own names: vb- and eight hex digits. */
		if (strncmp(e->d_name, "vb-", 3) || strlen(e->d_name) != 11 ||
		    strspn(e->d_name + 3, "0123456789abcdef") != 8)
			continue;
		if (vb_run_alive(e->d_name))
			continue;
		vb_info("removing %s/%s, left by a run that is gone", vb_state_dir(), e->d_name);
		/* By descriptor: a guest's symlink in its work directory leads nowhere. */
		vb_rm_rf_at(sfd, e->d_name);
		(*dirs)++;
	}
	if (d)
		closedir(d);
	/* Image builds that died (a SIGKILL mid-build): their temporary files and trees. */
	int builds = 0;
	vb_image_sweep(&builds);
	*dirs += builds;
	return db ? vb_store_sweep_stale(db, runs, err) : 0;
}
