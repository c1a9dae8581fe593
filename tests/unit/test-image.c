/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the run's image: which image a run gets from --image and
 * its workloads' packages (vb_image_plan, with fake workloads), the ext4
 * disk made from a tree (mke2fs -d on a tiny tree in a private cache) and
 * the sweep of builds that died.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "core/proc.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image-disk.h"
#include "guest/image.h"

static const struct vb_workload_ops plain = { .name = "fake.plain" };
static const struct vb_workload_ops web = { .name = "fake.web", .packages = "nginx,apache2-utils" };
static const struct vb_workload_ops db = { .name = "fake.db", .packages = "postgresql,nginx" };

/* The planned kind and packages ("a,b"), or the error's exit code as "exit N". */
static char *plan(const char *text, const struct vb_workload_ops *const *w, size_t n, char **msg)
{
	struct vb_image_spec s;
	struct vb_error *err = NULL;
	int r = vb_image_plan(text, w, NULL, n, &s, &err);
	if (r) {
		char *out = xasprintf("exit %d", err ? err->exit_code : -1);
		if (msg)
			*msg = xstrdup(err ? err->msg : "");
		vb_error_free(&err);
		CHECK(s.packages == NULL && s.dir == NULL);
		return out;
	}
	_cleanup_free_ char *pk = vb_image_spec_packages(&s);
	char *out = xasprintf("%s:%s", vb_image_kind_name(s.kind), pk);
	vb_image_spec_release(&s);
	return out;
}

#define PLAN_IS(want, text, ...)                                                                   \
	do {                                                                                       \
		const struct vb_workload_ops *const w_[] = { __VA_ARGS__ };                        \
		_cleanup_free_ char *got_ = plan(text, w_, VB_ARRAY_SIZE(w_), NULL);               \
		CHECK_MSG(!strcmp(got_, want), "%s: got %s, want %s", text ? text : "(none)",      \
			  got_, want);                                                             \
	} while (0)

static void test_plan(void)
{
	unsetenv("VIRTBENCH_TEST_PACKAGES");
	/* Nothing needs packages: what the user named, minimal by default. */
	PLAN_IS("minimal:", NULL, &plain);
	PLAN_IS("minimal:", "minimal", &plain);
	PLAN_IS("debian:", "debian", &plain);
	PLAN_IS("debian:less", "debian:less", &plain);
	/* No --image: the workloads' packages choose debian, their union, sorted, each once. */
	PLAN_IS("debian:apache2-utils,nginx", NULL, &plain, &web);
	PLAN_IS("debian:apache2-utils,nginx,postgresql", NULL, &web, &db, &plain);
	/* debian named: the workloads' packages are added to the user's. */
	PLAN_IS("debian:apache2-utils,less,nginx", "debian:less", &web);
	PLAN_IS("debian:apache2-utils,nginx", "debian:nginx", &web);
	/* A directory of the user's is taken as it is. */
	PLAN_IS("dir:", "/srv/root", &web);
	/* No workloads (ops): the image named. */
	const struct vb_workload_ops *const none[] = { NULL };
	_cleanup_free_ char *o = plan("debian:less", none, 0, NULL);
	CHECK_MSG(!strcmp(o, "debian:less"), "%s", o);

	/* minimal named with a workload that needs packages: refused, and why. */
	const struct vb_workload_ops *const w[] = { &plain, &db };
	_cleanup_free_ char *msg = NULL;
	_cleanup_free_ char *r = plan("minimal", w, 2, &msg);
	CHECK_MSG(!strcmp(r, "exit 2"), "%s", r);
	CHECK_MSG(msg && strstr(msg, "fake.db") && strstr(msg, "postgresql,nginx") &&
		      strstr(msg, "minimal"),
		  "%s", msg ? msg : "");
	_cleanup_free_ char *bad = plan("debian:Bad", w, 2, NULL);
	CHECK_MSG(!strcmp(bad, "exit 2"), "%s", bad);
}

static void test_plan_bad_packages(void)
{
	/* A workload's list is checked as the user's is: nothing reaches debootstrap unchecked. */
	static const struct vb_workload_ops evil = { .name = "fake.evil",
						     .packages = "nginx;reboot" };
	const struct vb_workload_ops *const w[] = { &evil };
	_cleanup_free_ char *msg = NULL;
	_cleanup_free_ char *r = plan(NULL, w, 1, &msg);
	CHECK_MSG(!strcmp(r, "exit 2"), "%s", r);
	CHECK_MSG(msg && strstr(msg, "workload fake.evil"), "%s", msg ? msg : "");
}

/* An option set that needs more packages than the workload's own (store=jena-tdb2). */
static const char *more_when_set(const void *opts)
{
	return *(const int *)opts ? "default-jre-headless,nginx" : NULL;
}
static const struct vb_workload_ops optional = { .name = "fake.optional",
						 .packages = "nginx",
						 .extra_packages = more_when_set };

static void test_extra_packages(void)
{
	unsetenv("VIRTBENCH_TEST_PACKAGES");
	int off = 0, on = 1;
	_cleanup_free_ char *base = vb_workload_packages(&optional, NULL);
	CHECK(base && !strcmp(base, "nginx"));
	_cleanup_free_ char *plain_opts = vb_workload_packages(&optional, &off);
	CHECK(plain_opts && !strcmp(plain_opts, "nginx"));
	_cleanup_free_ char *more = vb_workload_packages(&optional, &on);
	CHECK_MSG(more && !strcmp(more, "nginx,default-jre-headless,nginx"), "%s",
		  more ? more : "NULL");
	/* In the plan, the union: each package once, sorted. */
	const struct vb_workload_ops *const w[] = { &optional, &web };
	const void *const opts[] = { &on, NULL };
	struct vb_image_spec s;
	struct vb_error *err = NULL;
	CHECK(vb_image_plan(NULL, w, opts, 2, &s, &err) == 0);
	_cleanup_free_ char *pk = vb_image_spec_packages(&s);
	CHECK_MSG(s.kind == VB_IMAGE_DEBIAN &&
		      !strcmp(pk, "apache2-utils,default-jre-headless,nginx"),
		  "%s", pk);
	vb_image_spec_release(&s);
	/* --image minimal refuses it, naming what the options need. */
	CHECK(vb_image_plan("minimal", w, opts, 1, &s, &err) != 0);
	CHECK_MSG(err && strstr(err->msg, "default-jre-headless"), "%s", err ? err->msg : "");
	vb_error_free(&err);
}

static void test_test_packages(void)
{
	/* The tests' way to give a real workload packages. */
	setenv("VIRTBENCH_TEST_PACKAGES", "fake.x=bc;fake.plain=less,file;fake.plainer=vim", 1);
	_cleanup_free_ char *p = vb_workload_packages(&plain, NULL);
	CHECK_MSG(p && !strcmp(p, "less,file"), "%s", p ? p : "NULL");
	_cleanup_free_ char *q = vb_workload_packages(&web, NULL);
	CHECK(q && !strcmp(q, "nginx,apache2-utils"));
	PLAN_IS("debian:file,less", NULL, &plain);
	unsetenv("VIRTBENCH_TEST_PACKAGES");
	_cleanup_free_ char *none = vb_workload_packages(&plain, NULL);
	CHECK(none == NULL);
}

static bool have(const char *tool)
{
	_cleanup_free_ char *p = vb_proc_which(tool);
	return p != NULL;
}

static void test_disk(void)
{
	if (!have("mke2fs") || !have("debugfs")) {
		SKIP("mke2fs or debugfs is not installed (e2fsprogs)");
		return;
	}
	char tmpl[] = "/tmp/vb-test-image-XXXXXX";
	CHECK(mkdtemp(tmpl) != NULL);
	_cleanup_free_ char *cache = xasprintf("%s/cache", tmpl);
	_cleanup_free_ char *tree = xasprintf("%s/images/debian-test-0123456789abcdef", cache);
	_cleanup_free_ char *etc = xasprintf("%s/etc", tree);
	_cleanup_free_ char *marker = xasprintf("%s/etc/marker", tree);
	setenv("VIRTBENCH_CACHE_DIR", cache, 1);
	CHECK(vb_mkdir_p(etc, 0755) == 0);
	CHECK(vb_write_file_atomic(marker, "from the tree\n", 14) == 0);
	chmod(cache, 0755);
	chmod(tmpl, 0755);

	/* A dead build's file and a live one's: only the dead one goes. */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	_cleanup_free_ char *stale = xasprintf("%s/images/.build-disk-%d.img", cache, (int)dead);
	_cleanup_free_ char *stale_dir = xasprintf("%s/images/.build-debian-%d", cache, (int)dead);
	_cleanup_free_ char *live = xasprintf("%s/images/.build-debian-%d", cache, (int)getppid());
	_cleanup_free_ char *other = xasprintf("%s/images/.build-disk-12x.img", cache);
	CHECK(vb_write_file_atomic(stale, "x", 1) == 0);
	CHECK(mkdir(stale_dir, 0700) == 0 && mkdir(live, 0700) == 0);
	CHECK(vb_write_file_atomic(other, "x", 1) == 0);
	int n = -1;
	CHECK(vb_image_sweep(&n) == 0 && n == 2);
	CHECK(access(stale, F_OK) != 0 && access(stale_dir, F_OK) != 0);
	CHECK(access(live, F_OK) == 0 && access(other, F_OK) == 0);
	rmdir(live);
	unlink(other);

	struct vb_error *err = NULL;
	char *path = NULL;
	bool built = false;
	int r = vb_image_disk(tree, &path, &built, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	_cleanup_free_ char *want = vb_image_disk_path(tree);
	CHECK(r == 0 && built && path && !strcmp(path, want));
	CHECK(!strncmp(want, cache, strlen(cache)) && strstr(want, "debian-test-0123456789abcdef"));
	struct stat st;
	CHECK(path && stat(path, &st) == 0 && (st.st_mode & 0777) == 0444);
	/* The tree's files are in it. */
	if (path) {
		char *argv[] = { "/usr/sbin/debugfs", "-R", "cat /etc/marker", path, NULL };
		_cleanup_free_ char *dbg = vb_proc_which("debugfs");
		argv[0] = dbg;
		_cleanup_free_ char *out = NULL;
		int status = 0;
		CHECK(vb_proc_run(argv, 20000, 4096, &out, &status, &err) == 0);
		vb_error_free(&err);
		CHECK_MSG(out && strstr(out, "from the tree"), "%s", out ? out : "");
	}
	/* Cached now: the same file, not built again, nothing left of the build. */
	char *again = NULL;
	CHECK(vb_image_disk(tree, &again, &built, &err) == 0 && !built && again &&
	      !strcmp(again, path));
	vb_error_free(&err);
	_cleanup_free_ char *images = xasprintf("%s/images", cache);
	_cleanup_free_ char *ls = NULL;
	char *lsargv[] = { "/bin/ls", "-A", images, NULL };
	int status = 0;
	CHECK(vb_proc_run(lsargv, 5000, 4096, &ls, &status, &err) == 0);
	vb_error_free(&err);
	CHECK_MSG(ls && !strstr(ls, ".build"), "%s", ls ? ls : "");
	free(path);
	free(again);

	/* The resolved image of a directory has no disk: asking for one is bad usage. */
	struct vb_image_spec s;
	CHECK(vb_image_spec_parse(tree, &s, &err) == 0);
	struct vb_guest_image gi;
	r = vb_image_resolve(&s, "/nonexistent", true, true, NULL, NULL, &gi, &err);
	CHECK(r == -EINVAL && err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	CHECK(vb_image_resolve(&s, "/nonexistent", true, false, NULL, NULL, &gi, &err) == 0 &&
	      gi.tree && !strcmp(gi.tree, tree) && !gi.disk && gi.kind == VB_IMAGE_DIR);
	vb_guest_image_release(&gi);
	vb_guest_image_release(&gi); /* twice is fine */
	vb_image_spec_release(&s);
	vb_rm_rf(tmpl);
	unsetenv("VIRTBENCH_CACHE_DIR");
}

TEST_MAIN(T(test_plan), T(test_plan_bad_packages), T(test_extra_packages), T(test_test_packages),
	  T(test_disk))
