/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image.h"
#include "report/report.h"
#include "runtime/idmap.h"

int vb_cli_fail(struct vb_error **err)
{
	int code = VB_EXIT_MEASUREMENT;
	if (err && *err) {
		/* Messages echo what users and guests wrote: never raw to a terminal. */
		_cleanup_free_ char *msg = vb_printable((*err)->msg);
		fprintf(stderr, "virtbench: %s\n", msg);
		code = (*err)->exit_code;
		vb_error_free(err);
	}
	return code;
}

int vb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = NULL;
	if (vasprintf(&raw, fmt, ap) < 0)
		abort();
	va_end(ap);
	_cleanup_free_ char *msg = vb_printable(raw);
	free(raw);
	fprintf(stderr, "virtbench %s: %s (see 'virtbench %s --help')\n", cmd, msg, cmd);
	return VB_EXIT_USAGE;
}

/* Sweep what dead runs left and say so; db may be NULL. */
static int sweep(struct vb_store *db, struct vb_error **err)
{
	int dirs = 0, cgroups = 0, runs = 0;
	int r = vb_sweep_stale(db, &dirs, &cgroups, &runs, err);
	if (r)
		return r;
	if (dirs || cgroups || runs)
		fprintf(stderr,
			"virtbench: swept what dead runs left: %d work director%s or image "
			"build%s, %d cgroup%s, "
			"network link%s, NAT table%s or Xen domain%s removed, %d run%s marked "
			"incomplete\n",
			dirs, dirs == 1 ? "y" : "ies", dirs == 1 ? "" : "s", cgroups,
			cgroups == 1 ? "" : "s", cgroups == 1 ? "" : "s", cgroups == 1 ? "" : "s",
			cgroups == 1 ? "" : "s", runs, runs == 1 ? "" : "s");
	return 0;
}

int vb_cli_sweep(struct vb_error **err)
{
	return sweep(NULL, err);
}

/*
 * The default database lives under $XDG_DATA_HOME or $HOME, which need not be
 * ours (root with a user's HOME: sudo -E). Its directory must be one only we
 * can change (vb_dir_open_trusted), and the database and its -wal and -shm
 * files, where they exist, ours and no symlinks (found in review: a user's
 * planted results.db symlink had root create a file of the user's choosing).
 * A path given with --db or VIRTBENCH_DB is the user's own choice.
 */
static int check_default_store(const char *path, struct vb_error **err)
{
	const char *env = getenv("VIRTBENCH_DB");
	_cleanup_free_ char *def = vb_store_default_path();
	if ((env && *env) || strcmp(path, def))
		return 0;
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	_cleanup_close_ int dfd = vb_dir_open_trusted("results directory", dir, true, 0755, err);
	if (dfd < 0) {
		_cleanup_free_ char *why = xstrdup((*err)->msg);
		vb_error_free(err);
		return vb_error_exit(err, dfd, VB_EXIT_USAGE,
				     "%s (give the database with --db or VIRTBENCH_DB)", why);
	}
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(suffixes); i++) {
		_cleanup_free_ char *name = xasprintf("%s%s", slash + 1, suffixes[i]);
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
			return vb_error_exit(err, -EPERM, VB_EXIT_USAGE,
					     "%s/%s is %s: refused (give the database with --db "
					     "or VIRTBENCH_DB)",
					     dir, name,
					     S_ISLNK(st.st_mode)   ? "a symlink"
					     : S_ISREG(st.st_mode) ? "another user's file"
								   : "no regular file");
	}
	return 0;
}

int vb_cli_open_store(const char *path, struct vb_store **out, struct vb_error **err)
{
	_cleanup_free_ char *def = path ? NULL : vb_store_default_path();
	int r = check_default_store(path ? path : def, err);
	if (r)
		return r;
	r = vb_store_open(path ? path : def, out, err);
	if (r)
		return r;
	r = sweep(*out, err);
	if (r) {
		vb_store_close(*out);
		*out = NULL;
	}
	return r;
}

int vb_cli_agent_path(char **out, struct vb_error **err)
{
	const char *env = getenv("VIRTBENCH_AGENT");
	if (vb_platform_agent_path(out) == 0)
		return 0;
	return vb_error_exit(err, -ENOENT, VB_EXIT_USAGE,
			     "cannot find the agent binary virtbench-agent%s",
			     env && *env ? " at $VIRTBENCH_AGENT (must be an absolute path)" : "");
}

static void on_signal(int sig)
{
	(void)sig;
	vb_interrupted = 1;
}

void vb_cli_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed terminal: the same orderly end, not a death that leaves the run's cgroups. */
	sigaction(SIGHUP, &sa, NULL);
}

char *vb_cli_command_line(int argc, char **argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	fputs("virtbench", f);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_./=,:%+@") == strlen(a);
		fputc(' ', f);
		if (plain) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	fclose(f);
	return buf;
}

int vb_cli_split_list(const char *what, const char *text, char ***items, size_t *n,
		      struct vb_error **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	*items = NULL;
	*n = 0;
	char *save = NULL;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		*items = xrealloc(*items, (*n + 1) * sizeof(char *));
		(*items)[(*n)++] = xstrdup(s);
	}
	if (*n == 0 || strstr(text, ",,") || text[0] == ',' || text[strlen(text) - 1] == ',')
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s: empty name in '%.64s'", what,
				     text);
	return 0;
}

void vb_cli_free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/*
 * Every platform that works here, probed (what `filter` rejects is not even
 * probed). Where real KVM works, its emulated twin qemu-tcg adds nothing but
 * hours, so it is left out. xen and xen-dom0 (nested in QEMU/TCG: minutes
 * of CPU per boot) run only when named, and so does xen-local (this host's
 * own Xen: domUs of the host's memory).
 */
static void available_platforms(const char *cmd, bool (*filter)(const struct vb_platform_ops *),
				const struct vb_platform_ctx *probe,
				const struct vb_platform_ops ***out, size_t *n)
{
	size_t cap = 0;
	while (vb_platforms[cap])
		cap++;
	*out = xcalloc(cap, sizeof(**out));
	bool kvm = false;
	for (size_t i = 0; vb_platforms[i]; i++) {
		struct vb_error *e = NULL;
		if ((filter && !filter(vb_platforms[i])) ||
		    !strncmp(vb_platforms[i]->name, "xen", 3))
			continue;
		if (vb_platform_probe(vb_platforms[i], probe, &e)) {
			if (!vb_platforms[i]->unavailable_reason) {
				_cleanup_free_ char *msg = vb_printable(e->msg);
				fprintf(stderr, "virtbench %s: leaving out %s: %s\n", cmd,
					vb_platforms[i]->name, msg);
			}
			vb_error_free(&e);
			continue;
		}
		kvm |= !strcmp(vb_platforms[i]->name, "kvm");
		(*out)[(*n)++] = vb_platforms[i];
	}
	for (size_t i = 0; kvm && i < *n; i++)
		if (!strcmp((*out)[i]->name, "qemu-tcg")) {
			memmove(&(*out)[i], &(*out)[i + 1], (*n - i - 1) * sizeof(**out));
			(*n)--;
		}
}

int vb_cli_platforms(const char *cmd, const char *text,
		     bool (*filter)(const struct vb_platform_ops *),
		     const struct vb_platform_ctx *probe, const struct vb_platform_ops ***out,
		     size_t *n, struct vb_error **err)
{
	*out = NULL;
	*n = 0;
	if (!strcmp(text, "available")) {
		available_platforms(cmd, filter, probe, out, n);
		return *n ? 0
			  : vb_error_exit(err, -ENOENT, VB_EXIT_UNAVAILABLE,
					  "no platform for '%s' is available here", cmd);
	}
	char **names;
	size_t nn;
	int r = vb_cli_split_list("--platform", text, &names, &nn, err);
	if (r) {
		vb_cli_free_list(names, nn);
		return r;
	}
	*out = xcalloc(nn, sizeof(**out));
	for (size_t i = 0; i < nn && !r; i++) {
		const struct vb_platform_ops *p = vb_platform_find(names[i]);
		if (!p) {
			r = vb_error_exit(
			    err, -EINVAL, VB_EXIT_USAGE,
			    "unknown platform '%.64s' (see 'virtbench list platforms')", names[i]);
			break;
		}
		for (size_t j = 0; j < *n; j++)
			if ((*out)[j] == p)
				r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						  "platform '%s' named twice", p->name);
		(*out)[(*n)++] = p;
	}
	vb_cli_free_list(names, nn);
	return r;
}

int vb_cli_print_run(struct vb_store *db, int64_t run_id, const char *path, struct vb_error **err)
{
	struct vb_result_row *rows = NULL;
	size_t n = 0;
	int r = vb_store_load_rows(db, run_id, &rows, &n, err);
	if (r)
		return r;
	struct vb_run_info info;
	_cleanup_free_ char *ref = xasprintf("%lld", (long long)run_id);
	r = vb_store_find_run(db, ref, &info, err);
	if (!r)
		vb_report_run(stdout, info.experiment, rows, n);
	vb_result_rows_free(rows, n);
	if (r)
		return r;
	char failed[64] = "";
	if (info.nfailed)
		snprintf(failed, sizeof(failed), ", %lld failed", (long long)info.nfailed);
	/* The path is the user's text: escaped like any echoed string. */
	_cleanup_free_ char *shown = vb_printable(path);
	printf("\nrun %lld (%s): %s, %lld samples%s, stored in %s\n", (long long)info.id, info.tag,
	       info.status, (long long)info.nsamples, failed, shown);
	vb_run_info_release(&info);
	return 0;
}

int vb_cli_check_output(const char *what, const char *path, struct vb_error **err)
{
	return vb_check_output(what, path, err);
}

int vb_cli_check_outputs(const char *json, const char *csv, const char *report,
			 struct vb_error **err)
{
	int r = json ? vb_cli_check_output("--json", json, err) : 0;
	if (!r && csv)
		r = vb_cli_check_output("--csv", csv, err);
	if (!r && report)
		r = vb_cli_check_output("--report", report, err);
	return r;
}

int vb_cli_write_report(struct vb_store *db, int64_t run_id, const char *command, const char *path,
			struct vb_error **err)
{
	json_t *doc = NULL;
	int r = vb_store_export_doc(db, run_id, &doc, err);
	if (!r)
		r = vb_report_html(&doc, 1, command, path, err);
	json_decref(doc);
	if (!r)
		printf("report: %s\n", path);
	return r;
}

int vb_cli_kernel(const char *cmd, const char *image, const char *modules)
{
	if (!image && !modules)
		return 0;
	if (!image)
		return vb_cli_usage_error(cmd, "--kernel-modules needs --kernel");
	/* A regular file: QEMU or the unpacking would wait forever on a fifo. */
	struct vb_error *err = NULL;
	int fd = vb_open_regular("--kernel", image, &err);
	if (fd < 0) {
		int r = vb_cli_usage_error(cmd, "%s", err->msg);
		vb_error_free(&err);
		return r;
	}
	close(fd);
	struct stat st;
	if (modules && (stat(modules, &st) != 0 || !S_ISDIR(st.st_mode)))
		return vb_cli_usage_error(cmd, "--kernel-modules %.200s: not a directory", modules);
	return 0;
}

int vb_cli_run_outputs(struct vb_store *db, int64_t run_id, const char *dbpath, const char *command,
		       const char *json, const char *csv, const char *report, struct vb_error **err)
{
	struct vb_error *e = NULL;
	int r = 0;
	if (vb_cli_print_run(db, run_id, dbpath, &e))
		vb_cli_fail(&e);
	/* Every output is attempted; the first failure is the one reported. */
	int k = json ? vb_store_export_json(db, run_id, json, &e) : 0;
	if (k && !r)
		r = vb_error_set(err, e->code, "%s", e->msg);
	vb_error_free(&e);
	k = csv ? vb_store_export_csv(db, run_id, csv, &e) : 0;
	if (k && !r)
		r = vb_error_set(err, e->code, "%s", e->msg);
	vb_error_free(&e);
	k = report ? vb_cli_write_report(db, run_id, command, report, &e) : 0;
	if (k && !r)
		r = vb_error_set(err, e->code, "%s", e->msg);
	vb_error_free(&e);
	return r;
}

int vb_cli_userns(const char *cmd, const char *text, struct vb_userns *out)
{
	if (!text) {
		vb_userns_default(out);
		return 0;
	}
	struct vb_error *err = NULL;
	if (vb_userns_parse(text, out, &err)) {
		vb_cli_usage_error(cmd, "--userns: %s", err->msg);
		vb_error_free(&err);
		return VB_EXIT_USAGE;
	}
	return 0;
}

int vb_cli_userns_check(const struct vb_platform_ops *const *platforms, size_t n,
			struct vb_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (platforms[i]->caps & VB_CAP_USERNS)
			return 0;
	return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
			     "--userns: none of the platforms takes a user namespace (container "
			     "does)");
}

int vb_cli_container_disk_check(const struct vb_platform_ops *const *platforms, size_t n,
				struct vb_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (platforms[i]->caps & VB_CAP_CONTAINER_DISK)
			return 0;
	return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
			     "--container-disk: none of the platforms has a container disk "
			     "(container does)");
}

/* An image build's progress: debootstrap's phases, with the time so far. */
static void image_progress(const char *line, void *data)
{
	const struct timespec *t0 = data;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "virtbench: image (%3.0f s): %s\n",
		(double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9, line);
}

int vb_cli_image(const char *text, const char *agent, char **dir, struct vb_error **err)
{
	struct vb_image_spec s;
	int r = vb_image_spec_parse(text, &s, err);
	if (r)
		return r;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vb_cli_install_signals(); /* Ctrl-C during a build: nothing half-built is left */
	bool built;
	r = vb_image_get(&s, agent, image_progress, &t0, dir, &built, err);
	vb_image_spec_release(&s);
	if (!r && built)
		image_progress("built; kept in the cache for the next runs", &t0);
	return r;
}

int vb_cli_check_image(const char *cmd, const char *text)
{
	struct vb_image_spec s;
	struct vb_error *err = NULL;
	if (!text)
		return 0;
	if (vb_image_spec_parse(text, &s, &err)) {
		int r = vb_cli_usage_error(cmd, "%s", err->msg);
		vb_error_free(&err);
		return r;
	}
	/* A directory image is the caller's input: missing or not a directory is bad usage. */
	struct stat st;
	int r = 0;
	if (s.kind == VB_IMAGE_DIR && stat(s.dir, &st) < 0)
		r = vb_cli_usage_error(cmd, "image %.200s: %s", s.dir, strerror(errno));
	else if (s.kind == VB_IMAGE_DIR && !S_ISDIR(st.st_mode))
		r = vb_cli_usage_error(cmd, "image %.200s: not a directory", s.dir);
	vb_image_spec_release(&s);
	return r;
}

int vb_cli_image_plan(const char *text, const struct vb_run_workload *wl, size_t nwl,
		      const struct vb_platform_ops *const *platforms, size_t np,
		      struct vb_image_spec *out, struct vb_error **err)
{
	const struct vb_workload_ops **w = xcalloc(nwl + 1, sizeof(*w));
	const void **opts = xcalloc(nwl + 1, sizeof(*opts));
	for (size_t i = 0; i < nwl; i++) {
		w[i] = wl[i].w;
		opts[i] = wl[i].opts;
	}
	int r = vb_image_plan(text, w, opts, nwl, out, err);
	free(w);
	free(opts);
	if (r || out->kind == VB_IMAGE_MINIMAL)
		return r;
	_cleanup_free_ char *pk = vb_image_spec_packages(out);
	for (size_t i = 0; i < np; i++) {
		unsigned caps = platforms[i]->caps;
		bool takes = (caps & VB_CAP_ROOT_TREE) ||
			     ((caps & VB_CAP_ROOT_DISK) && out->kind == VB_IMAGE_DEBIAN);
		/* The host runs on itself: an image is nothing to it. */
		if (takes || !strcmp(platforms[i]->name, "host"))
			continue;
		r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				  "image %s%s%s: platform %s boots only the minimal image%s",
				  vb_image_kind_name(out->kind), *pk ? ":" : "", pk,
				  platforms[i]->name,
				  out->kind == VB_IMAGE_DIR ? " or debian[:PKG,...]"
				  : text		    ? ""
					 : " (the image comes from the workloads' packages)");
		vb_image_spec_release(out);
		break;
	}
	return r;
}

int vb_cli_image_resolve(const struct vb_image_spec *s,
			 const struct vb_platform_ops *const *platforms, size_t n,
			 const char *agent, struct vb_guest_image *out, struct vb_error **err)
{
	bool tree = false, disk = false;
	for (size_t i = 0; i < n; i++) {
		tree |= !!(platforms[i]->caps & VB_CAP_ROOT_TREE);
		disk |= !!(platforms[i]->caps & VB_CAP_ROOT_DISK);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vb_cli_install_signals(); /* Ctrl-C during a build: nothing half-built is left */
	int r = vb_image_resolve(s, agent, tree, disk, image_progress, &t0, out, err);
	if (!r && (out->tree_built || out->disk_built))
		image_progress("built; kept in the cache for the next runs", &t0);
	return r;
}

bool vb_cli_is_file_arg(const char *arg)
{
	size_t n = strlen(arg);
	return strchr(arg, '/') || (n > 5 && !strcmp(arg + n - 5, ".json"));
}

int vb_cli_load_doc(const char *arg, const char *dbpath, struct vb_store **db, json_t **out,
		    struct vb_error **err)
{
	if (vb_cli_is_file_arg(arg))
		return vb_result_doc_load(arg, out, err);
	if (!*db) {
		int r = vb_cli_open_store(dbpath, db, err);
		if (r)
			return r;
	}
	struct vb_run_info info = { 0 };
	int r = vb_store_find_run(*db, arg, &info, err);
	if (!r)
		r = vb_store_export_doc(*db, info.id, out, err);
	vb_run_info_release(&info);
	return r;
}

int vb_cli_write_json(const char *path, const json_t *doc, struct vb_error **err)
{
	char *text =
	    json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (!text)
		return vb_error_set(err, -ENOMEM, "cannot encode %s as JSON", path);
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	int r = vb_write_file_atomic(path, text, len + 1);
	free(text);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot write %s: %s", path,
				     strerror(-r));
	return 0;
}
