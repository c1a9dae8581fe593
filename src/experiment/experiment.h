/* SPDX-License-Identifier: MIT */
#ifndef VB_EXPERIMENT_EXPERIMENT_H
#define VB_EXPERIMENT_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/run.h"
#include "store/store.h"
#include "virtbench/platform.h"
#include "virtbench/stats.h"
#include "virtbench/workload.h"

/* The host fingerprint as a JSON object (docs/schema.md); caller frees. */
char *vb_fingerprint_host(void);

struct vb_run_workload {
	const struct vb_workload_ops *w;
	void *opts;  /* owned; w->opts_size bytes, validated */
	char *label; /* owned; "mem.mbw[size=16MiB]" for one value of a sweep; NULL = w->name */
};

/* The name a workload instance is stored and shown under. */
static inline const char *vb_run_workload_name(const struct vb_run_workload *rw)
{
	return rw->label ? rw->label : rw->w->name;
}

/* Fresh guests per platform: guest names "vb-1a2b3c4d-N" stay within a link name's 15 bytes. */
#define VB_MAX_INSTANCES 20
/* Platform entries of a run with a layout=split workload (its pairs' addresses: cmd-run.c). */
#define VB_SPLIT_MAX_PLATFORMS 6

/* A resolved overhead run: everything checked before anything is created. */
struct vb_run_config {
	const struct vb_platform_ops **platforms; /* platforms[0] is the baseline when host */
	size_t nplatforms;
	/*
	 * Per platform instance (both NULL for an ordinary run): the name it is
	 * stored and shown under ("container[vcpus=2]") and its guest spec.
	 * The same platform may then appear several times (`scale`).
	 */
	const char *const *labels;
	const struct vb_guest_spec *specs;
	struct vb_run_workload *workloads;
	size_t nworkloads;
	enum vb_profile profile;
	unsigned warmup; /* discarded rounds */
	struct vb_stop_rule rule;
	/*
	 * Fresh guests per platform over the run (0 or 1: one). With K > 1 the
	 * rounds are split evenly over K instances started one after another
	 * (ceil(max_runs / K) measured rounds each, at least 2, after the
	 * warm-up), and the intervals are computed across instances.
	 */
	unsigned instances;   /* at most VB_MAX_INSTANCES */
	double time_budget_s; /* 0 = none */
	double job_timeout_s;
	double ready_timeout_s;
	struct vb_guest_spec spec;
	const char *agent_path;
	const struct vb_guest_image *image;  /* --image, resolved; NULL: the minimal image */
	const char *kernel, *kernel_modules; /* --kernel, --kernel-modules; NULL: the default */
	const char *command;		     /* for the record */
	const char *experiment;		     /* "run" or "compare" (runs.experiment) */
	double equivalence; /* verdict "equivalent" within ±this fraction of the baseline */
	bool progress;	    /* a progress line on stdout */
};

/* The guest spec as a JSON object text (platforms.spec); caller frees. */
char *vb_guest_spec_json(const struct vb_guest_spec *spec);

/*
 * The spec with the running guest's own facts ("guest": guest_info) when it
 * has them; without a guest (g NULL), a platform that takes the container
 * disk choice still gets "guest": {"scratch": "volume"|"overlay"}. A
 * platform that boots the run's image (VB_CAP_ROOT_TREE, VB_CAP_ROOT_DISK)
 * gets "guest": {"root": {"kind", "key", "packages"}} (image NULL: minimal).
 */
char *vb_guest_record_json(const struct vb_guest_spec *spec, const struct vb_platform_ops *ops,
			   struct vb_guest *g, const struct vb_guest_image *image);

/*
 * The name a platform's guests are stored and shown under: label (the
 * platform's name, or "container[vcpus=2]", "container#1") with a disk
 * other than the default volume added, "container[disk=overlay]",
 * "container[vcpus=2,disk=overlay]", "container[disk=overlay]#1". The
 * default keeps label as it is, so runs stay comparable with earlier ones.
 * Caller frees.
 */
char *vb_guest_label(const char *label, const struct vb_platform_ops *ops,
		     const struct vb_guest_spec *spec);

struct vb_image_spec; /* src/guest/image.h */

/*
 * The Debian packages workload w needs in its guest with options opts (may
 * be NULL: its base packages), comma-separated (caller frees), or NULL: its
 * ops' packages and those of its options (extra_packages), unless
 * $VIRTBENCH_TEST_PACKAGES names it ("cpu.primes=less;mem.memcpy=bc": how
 * tests give a workload packages).
 */
char *vb_workload_packages(const struct vb_workload_ops *w, const void *opts);

/*
 * The image of a run of the n workloads w with options opts (parallel to
 * w; NULL: base packages only), into *out (release with
 * vb_image_spec_release): text (--image; NULL: not given) with the union of
 * the workloads' packages added to it. Without --image, a run whose
 * workloads need packages gets debian:<their union>, else minimal; a
 * directory is taken as it is. --image minimal with a workload that needs
 * packages is refused (-EINVAL, exit code 2) with a reason naming the
 * workload and its packages; so is bad text.
 */
int vb_image_plan(const char *text, const struct vb_workload_ops *const *w, const void *const *opts,
		  size_t n, struct vb_image_spec *out, struct vb_error **err);

/* The ops experiment (src/experiment/ops.c): lifecycle timings per platform. */
struct vb_ops_config {
	const struct vb_platform_ops **platforms;
	size_t nplatforms;
	unsigned rounds, warmup;
	unsigned rate_guests; /* guests started one after another for the start rate; 0 = skip */
	struct vb_guest_spec spec;
	double ready_timeout_s;
	const char *agent_path;
	const struct vb_guest_image *image;  /* --image, resolved; NULL: the minimal image */
	const char *kernel, *kernel_modules; /* --kernel, --kernel-modules; NULL: the default */
	const char *command;
	bool progress;
};

/*
 * Run the ops experiment and store it (experiment "ops": workloads
 * ops.lifecycle and ops.start_rate, docs/schema.md). Like vb_overhead_run.
 */
int vb_ops_run(const struct vb_ops_config *cfg, struct vb_store *db, int64_t *run_id,
	       unsigned *failed, struct vb_error **err);

/* The isolation experiment (src/experiment/isolation.c). */
struct vb_isolation_policy {
	char *name; /* "pin", "shares", ...: the condition is "<platform>:noisy+<name>" */
	char *text; /* what it does, for the record and the output */
	struct vb_guest_policy victim, aggressor;
	char cpus[2][64], mems[2][64]; /* storage behind victim/aggressor .cpus and .mems */
};

struct vb_isolation_config {
	const struct vb_platform_ops *platform;
	struct vb_run_workload *victims;
	size_t nvictims;
	const char *aggressor; /* a stressor for every victim; NULL = the matching one */
	struct vb_isolation_policy *policies;
	size_t npolicies;
	unsigned rounds, warmup;
	enum vb_profile profile;
	struct vb_guest_spec spec;
	double ready_timeout_s, job_timeout_s;
	const char *agent_path;
	const struct vb_guest_image *image;  /* --image, resolved; NULL: the minimal image */
	const char *kernel, *kernel_modules; /* --kernel, --kernel-modules; NULL: the default */
	const char *command;
	bool progress;
};

/* The stressor that loads what a victim uses: stress.cpu, .vm, .io or .net. */
const char *vb_isolation_stressor(const struct vb_workload_ops *victim);

/*
 * Run the isolation experiment and store it (experiment "isolation",
 * docs/isolation.md). Like vb_overhead_run.
 */
int vb_isolation_run(const struct vb_isolation_config *cfg, struct vb_store *db, int64_t *run_id,
		     unsigned *failed, struct vb_error **err);

/* A running w3 peer (src/experiment/peer.c). */
struct vb_peer {
	pid_t pid;
	int in_fd;	/* its stdin: closing it stops the peer */
	char addr[112]; /* "A.B.C.D:PORT/TOKEN" it listens on, and its token */
};

/*
 * Start the peer listening on `listen` ("127.0.0.1:0") inside the network
 * namespace netns_fd (-1: the supervisor's); fills out->addr.
 */
int vb_peer_start(const char *agent_path, const char *listen, int netns_fd, struct vb_peer *out,
		  struct vb_error **err);
/* The namespace the peer for guest g runs in (peer_netns), -1: the supervisor's. */
int vb_peer_netns(const struct vb_platform_ops *ops, struct vb_guest *g);
/*
 * The peer's address as guest g reaches it: "A.B.C.D:PORT", with the host
 * part replaced where the platform says so (peer_via). Caller frees.
 */
char *vb_peer_address(const struct vb_peer *p, const struct vb_platform_ops *ops,
		      struct vb_guest *g);

/* Stop and reap it; safe on a peer that never started and safe twice. */
void vb_peer_stop(struct vb_peer *p);

/*
 * Compute and store every cell's summary, outlier flags, ratio to
 * `baseline` (a platform name; NULL or none of the run's: no ratios) with
 * its interval and verdict (equivalent within ±equivalence, a fraction) from
 * the run's stored samples (src/experiment/summarize.c). Idempotent.
 */
int vb_summarize_run(struct vb_store *db, int64_t run_id, const char *baseline, double equivalence,
		     struct vb_error **err);

/* The params of one workload as a JSON object text (every option explicit). */
char *vb_workload_params_json(const struct vb_workload_ops *w, const void *opts);

/*
 * Run the overhead experiment and store it. On return *run_id names the stored
 * run (also after a failure or an interruption, which leave it incomplete).
 * Returns 0, or a negative code with *err set; *failed counts failed samples.
 */
int vb_overhead_run(const struct vb_run_config *cfg, struct vb_store *db, int64_t *run_id,
		    unsigned *failed, struct vb_error **err);

/*
 * Remove what dead runs left behind (their work directories under the state
 * directory, their cgroups when cgroups are usable here, what image builds
 * that died left in the cache: vb_image_sweep) and mark their database rows
 * incomplete (db may be NULL). *dirs (work directories and image builds),
 * *cgroups and *runs count what was removed or marked.
 */
int vb_sweep_stale(struct vb_store *db, int *dirs, int *cgroups, int *runs, struct vb_error **err);

#endif
