/* SPDX-License-Identifier: MIT */
/*
 * Runs on the host: a tag names everything a run creates, its work
 * directory holds an owner file (pid + process start time) by which a later
 * start tells a live run from a dead one.
 */
#include <inttypes.h>
#include <sys/random.h>
#include <time.h>

#include "core/proc.h"
#include "core/run.h"
#include "core/util.h"

const char *vb_state_dir(void)
{
	const char *d = getenv("VIRTBENCH_STATE_DIR");
	return d && *d == '/' ? d : "/var/tmp/virtbench";
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
	_cleanup_free_ char *dir = xasprintf("%s/%s", vb_state_dir(), tag);
	int r = vb_mkdir_p(dir, 0700);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot create %s: %s", dir,
				     strerror(-r));
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
