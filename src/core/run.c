/* SPDX-License-Identifier: MIT */
/*
 * Runs on the host: a tag names everything a run creates, its work
 * directory holds an owner file (pid + process start time) by which a later
 * start tells a live run from a dead one.
 */
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>

#include "core/fs.h"
#include "core/proc.h"
#include "core/run.h"
#include "core/util.h"

volatile sig_atomic_t vb_interrupted;

const char *vb_state_dir(void)
{
	static char *user_dir;
	const char *d = getenv("VIRTBENCH_STATE_DIR");
	if (d && *d == '/')
		return d;
	/* Never in a world-writable directory such as /var/tmp: a user could make it first. */
	if (geteuid() == 0)
		return "/var/lib/virtbench";
	if (!user_dir) {
		const char *xdg = getenv("XDG_STATE_HOME");
		const char *home = getenv("HOME");
		user_dir = xdg && *xdg == '/' ? xasprintf("%s/virtbench", xdg)
			   : home && *home == '/'
			       ? xasprintf("%s/.local/state/virtbench", home)
			       : xasprintf("/var/lib/virtbench-%u", (unsigned)geteuid());
	}
	return user_dir;
}

int vb_state_dir_open(bool create, struct vb_error **err)
{
	return vb_dir_open_trusted("state directory", vb_state_dir(), create, 0700, err);
}

/* The owner file tells a later sweep whether this run's process still lives. */
int vb_run_claim(char tag[16], char **work_dir, struct vb_error **err)
{
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid();
	}
	snprintf(tag, 16, "vb-%08" PRIx32, rnd);
	_cleanup_close_ int sfd = vb_state_dir_open(true, err);
	if (sfd < 0)
		return sfd;
	_cleanup_free_ char *dir = xasprintf("%s/%s", vb_state_dir(), tag);
	if (mkdirat(sfd, tag, 0700) < 0)
		return vb_error_exit(err, -errno, VB_EXIT_USAGE, "cannot create %s: %s", dir,
				     strerror(errno));
	int r;
	_cleanup_free_ char *owner = xasprintf("%s/owner", dir);
	_cleanup_free_ char *text =
	    xasprintf("%ld %llu\n", (long)getpid(), vb_proc_starttime(getpid()));
	/*
	 * It must outlive this process (the sweep reads it after a SIGKILL),
	 * not the host: after a reboot nothing it stands for exists. No fsync.
	 */
	r = vb_write_file_replace(owner, text, strlen(text));
	if (r)
		return vb_error_errno(err, -r, "cannot write %s", owner);
	*work_dir = steal_ptr(&dir);
	return 0;
}

bool vb_run_alive(const char *tag)
{
	_cleanup_free_ char *owner = xasprintf("%s/%s/owner", vb_state_dir(), tag);
	_cleanup_free_ char *text = NULL;
	long pid = 0;
	unsigned long long start = 0;
	return vb_read_file(owner, 128, &text, NULL) == 0 &&
	       sscanf(text, "%ld %llu", &pid, &start) == 2 && start != 0 &&
	       vb_proc_starttime((pid_t)pid) == start;
}
