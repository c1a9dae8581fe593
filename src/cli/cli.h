/* SPDX-License-Identifier: MIT */
#ifndef VB_CLI_CLI_H
#define VB_CLI_CLI_H

#include "cli/options.h"
#include "runtime/idmap.h"
#include "store/store.h"
#include "virtbench/platform.h"
#include "virtbench/error.h"

/* One function per verb; each returns the process exit code. */
int vb_cmd_list(int argc, char **argv);
int vb_cmd_run(int argc, char **argv);
int vb_cmd_compare(int argc, char **argv);
int vb_cmd_ops(int argc, char **argv);
int vb_cmd_scale(int argc, char **argv);
int vb_cmd_calibrate(int argc, char **argv);
int vb_cmd_isolation(int argc, char **argv);
int vb_cmd_runs(int argc, char **argv);
int vb_cmd_show(int argc, char **argv);
int vb_cmd_report(int argc, char **argv);
int vb_cmd_diff(int argc, char **argv);
int vb_cmd_recommend(int argc, char **argv);
int vb_cmd_study(int argc, char **argv);
int vb_cmd_agent(int argc, char **argv);
int vb_cmd_container(int argc, char **argv);
int vb_cmd_features(int argc, char **argv);

/* Print "virtbench: <msg>" on stderr, free the error, return its exit code. */
int vb_cli_fail(struct vb_error **err);
/* Print a usage error line and return VB_EXIT_USAGE. */
int vb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sweep what dead runs left (work directories, cgroups) and report it on stderr. */
int vb_cli_sweep(struct vb_error **err);

/* Open the store at path (NULL = default) and sweep what dead runs left. */
int vb_cli_open_store(const char *path, struct vb_store **out, struct vb_error **err);

/* Is a RUN argument a results file (it holds '/' or ends in .json) rather than a stored run? */
bool vb_cli_is_file_arg(const char *arg);
/*
 * A results document from a RUN argument: a results file, or a stored run
 * (a number, a tag, 'last') exported from the store *db, opened on first
 * need (the caller closes it).
 */
int vb_cli_load_doc(const char *arg, const char *dbpath, struct vb_store **db, json_t **out,
		    struct vb_error **err);
/* Write doc, indented, with a final newline, atomically to path (exit 2 when it cannot). */
int vb_cli_write_json(const char *path, const json_t *doc, struct vb_error **err);

/* The static agent next to this binary, or $VIRTBENCH_AGENT; caller frees. */
int vb_cli_agent_path(char **out, struct vb_error **err);

/* SIGINT, SIGTERM and SIGHUP set vb_interrupted (no SA_RESTART, so waits wake). */
void vb_cli_install_signals(void);

/* Split "a,b,c" into items (caller frees with vb_cli_free_list); empty items are an error. */
int vb_cli_split_list(const char *what, const char *text, char ***items, size_t *n,
		      struct vb_error **err);
void vb_cli_free_list(char **items, size_t n);

/*
 * Resolve -p: a comma-separated list of platform names (unknown or repeated
 * names are usage errors), or "available": every platform that passes
 * filter (NULL = all) and its probe here for a run of probe (its kernel;
 * NULL: the default), the others named on stderr.
 */
int vb_cli_platforms(const char *cmd, const char *text,
		     bool (*filter)(const struct vb_platform_ops *),
		     const struct vb_platform_ctx *probe, const struct vb_platform_ops ***out,
		     size_t *n, struct vb_error **err);

struct vb_run_config;
/*
 * Resolve workload instances into cfg->workloads: names (-w, "all" = every
 * workload; NULL = none), suites (--suite groups; NULL = none), sets
 * (--set [W.]NAME=V[,V...], sweeps make one instance per value), each
 * instance's options checked against this host. cfg->profile chooses the
 * defaults. Bad input is an error with exit code 2.
 */
int vb_cli_workloads(const char *names, const char *suites, char **sets, size_t nsets,
		     struct vb_run_config *cfg, struct vb_error **err);
/*
 * Are the workloads that need a Debian image optional? So with --suite all
 * and no -w: where that image cannot be had, they are left out with the
 * reason instead of failing the run.
 */
bool vb_cli_packages_optional(const char *names, const char *suites);

/* Remove the workloads that need Debian packages; their names ("a, b"), or NULL if none. */
char *vb_cli_drop_packaged(struct vb_run_config *cfg);

void vb_cli_free_workloads(struct vb_run_config *cfg);
/* The suites --suite takes besides "all", NULL-terminated. */
extern const char *const vb_cli_suites[];

/*
 * `scale`: replace cfg's platforms by one instance per vCPU count (vcpus:
 * "1,2,4"; NULL = 1, 2, 4, 8 as far as the host has CPUs) and memory size
 * (memory: "512MiB,150%"; NULL = the platform's default), host kept once as
 * the baseline; sets cfg->labels and cfg->specs (freed by
 * vb_cli_scale_free). Sizes the host or the workloads cannot take are
 * usage errors.
 */
int vb_cli_scale_expand(const char *vcpus, const char *memory, struct vb_run_config *cfg,
			struct vb_error **err);
void vb_cli_scale_free(struct vb_run_config *cfg);

/*
 * `calibrate`: cfg's one platform becomes two instances of itself, labelled
 * "NAME#1" (the baseline) and "NAME#2", interleaved like any two platforms;
 * labels and specs as vb_cli_scale_expand sets them (freed by
 * vb_cli_scale_free). Any other number of platforms is a usage error.
 */
int vb_cli_calibrate_expand(struct vb_run_config *cfg, struct vb_error **err);

/*
 * Can the output file of option what be written at path (see
 * vb_check_output)? Checked before any work: exit code 2, nothing stored.
 */
int vb_cli_check_output(const char *what, const char *path, struct vb_error **err);

/* vb_cli_check_output for each of a run's outputs that is given (NULL: not asked for). */
int vb_cli_check_outputs(const char *json, const char *csv, const char *report,
			 struct vb_error **err);

/* Write the HTML report of one stored run to path and say so on stdout. */
int vb_cli_write_report(struct vb_store *db, int64_t run_id, const char *command, const char *path,
			struct vb_error **err);

/*
 * --kernel IMAGE [--kernel-modules DIR], the VM platforms' guest kernel (a
 * PVM guest kernel is how KVM works on a kvm_pvm host; it goes in the run's
 * platform context), checked: a usage error (exit 2) when missing. 0 when
 * neither given.
 */
int vb_cli_kernel(const char *cmd, const char *image, const char *modules);

/*
 * The image IMAGE names ("minimal", "debian[:PKG,...]" or an absolute
 * directory), built when it is not cached (its progress on stderr); *dir
 * is its directory (caller frees). Bad text is an error with exit code 2.
 */
int vb_cli_image(const char *text, const char *agent, char **dir, struct vb_error **err);

/* --image TEXT (may be NULL) checked while parsing: a usage error (2) when bad. */
int vb_cli_check_image(const char *cmd, const char *text);

struct vb_image_spec;
struct vb_run_workload;
/*
 * --image TEXT (or --container-image; NULL: not given) for a run of the
 * workloads wl on the platforms: the image the run boots, with its
 * workloads' packages (vb_image_plan), into *out (vb_image_spec_release).
 * Checked before anything is built: a refused minimal image, or an image a
 * platform cannot boot (xen boots only the minimal one; a directory is for
 * containers), is an error with exit code 2.
 */
int vb_cli_image_plan(const char *text, const struct vb_run_workload *wl, size_t nwl,
		      const struct vb_platform_ops *const *platforms, size_t np,
		      struct vb_image_spec *out, struct vb_error **err);

/*
 * Have the planned image s in the forms the platforms boot (a tree for the
 * container, an ext4 disk for qemu-tcg and kvm), built when not cached
 * (progress on stderr), into *out (vb_guest_image_release): the run's
 * platform context's image.
 */
int vb_cli_image_resolve(const struct vb_image_spec *s,
			 const struct vb_platform_ops *const *platforms, size_t n,
			 const char *agent, struct vb_guest_image *out, struct vb_error **err);

/*
 * After a run: print its tables, then export it as JSON and CSV and write
 * its HTML report where asked (each NULL: not asked). Every output is
 * attempted; the first that fails is returned with *err set.
 */
int vb_cli_run_outputs(struct vb_store *db, int64_t run_id, const char *dbpath, const char *command,
		       const char *json, const char *csv, const char *report,
		       struct vb_error **err);

struct vb_userns;
/*
 * --userns [MAP]: MAP (src/runtime/idmap.h has the syntax), or the default
 * map (vb_userns_default) when text is NULL. A bad map is a usage error
 * (returns 2, printed); 0 otherwise.
 */
int vb_cli_userns(const char *cmd, const char *text, struct vb_userns *out);
/* --userns needs a platform that takes it (VB_CAP_USERNS): an error (exit 2) when none does. */
int vb_cli_userns_check(const struct vb_platform_ops *const *platforms, size_t n,
			struct vb_error **err);

/*
 * --container-disk needs a platform that takes it (VB_CAP_CONTAINER_DISK):
 * an error (exit 2) when none does.
 */
int vb_cli_container_disk_check(const struct vb_platform_ops *const *platforms, size_t n,
				struct vb_error **err);
/*
 * After --container-disk overlay: the platforms that take it are labelled
 * with it (vb_guest_label: "container[disk=overlay]",
 * "container[vcpus=2,disk=overlay]"), in cfg->labels (freed by
 * vb_cli_scale_free). Nothing changes for the default volume.
 */
void vb_cli_disk_labels(struct vb_run_config *cfg);

/*
 * The options every verb that starts guests (run and its kin, ops,
 * isolation) takes alike: where results go, the guests' kernel, image,
 * user namespace and container disk, how much is said.
 */
struct vb_cli_guest_args {
	const char *db, *json, *csv, *report;
	const char *kernel, *kmods, *image;
	bool quiet;
	struct vb_userns userns;
	bool have_userns;
	enum vb_container_disk container_disk;
	bool have_container_disk;
};
/*
 * Option c (just returned by vb_cli_next on p) into g when it is one of
 * those: true, with *r its result (2: a usage error, printed). False when c
 * is the verb's own.
 */
bool vb_cli_guest_option(const char *cmd, int c, const struct vb_cli_parser *p,
			 struct vb_cli_guest_args *g, int *r);
/*
 * The end of such a verb's options (c: vb_cli_next's last return, r: the
 * loop's result): p released, an operand refused, --kernel checked. The
 * parse's result: 0, an exit code, or -1 (help was printed: exit 0).
 */
int vb_cli_guest_end(const char *cmd, struct vb_cli_parser *p, int c, int r,
		     const struct vb_cli_guest_args *g);
struct vb_run_workload;
/*
 * The user namespace a run of the workloads wl gets: --userns's map; else,
 * when a workload runs a service as its package's user (www-data,
 * postgres), the default map (in a container without one that user is the
 * host's uid of the same number, whose processes could enter the guest
 * through /proc/PID/root; docs/apps.md); else NULL.
 */
struct vb_userns *vb_cli_guest_userns(struct vb_cli_guest_args *g, const struct vb_run_workload *wl,
				      size_t nwl);

/* Print a stored run's tables and a line saying where it is stored. */
int vb_cli_print_run(struct vb_store *db, int64_t run_id, const char *path, struct vb_error **err);

/* "virtbench" + argv (a verb and its arguments) shell-quoted; caller frees. */
char *vb_cli_command_line(int argc, char **argv);

#endif
