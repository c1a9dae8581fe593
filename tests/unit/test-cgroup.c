/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/runtime/cgroup*.c on copies of captured trees
 * (tests/data/cgroup-v1, cgroup-v2), read through vb_cgroup_layout_init_test:
 * every write is checked in order through the layout's write_log and by
 * reading the files back.
 *
 * `test-cgroup --live` runs a scenario on the real /sys/fs/cgroup instead
 * (root only; tests/integration/cgroup.sh drives it): limits, attach, a fork
 * bomb held by pids.max, devices, kill, destroy and sweep.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/cgroup.h"
#include "test.h"

#define NAME "vb-1a2b3c4d-0"
#define OWN_MEM "memory/process_api/659c8612c4b58c396e79d045dbcfa83e"
#define OWN_V2 "user.slice/user-0.slice/session-1.scope"
/* The guest's directory below the test root: in v1 hierarchy h, and on v2. */
#define G1(h) h "/virtbench/" NAME "/"
#define G2 OWN_V2 "/virtbench/" NAME "/"

/* ---- fixture: a private copy of a captured tree ---- */

struct fixture {
	char tmp[64];
	char *root; /* tmp/tree */
	char *self; /* the captured /proc/self/cgroup text */
	struct vb_cgroup_layout l;
	char *logbuf;
	size_t loglen;
	FILE *log;
};

static const char *copy_src, *copy_dst;

static int copy_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	_cleanup_free_ char *to = xasprintf("%s%s", copy_dst, path + strlen(copy_src));
	if (flag == FTW_D)
		return mkdir(to, 0755) < 0 && errno != EEXIST ? -1 : 0;
	if (flag == FTW_SL) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -1;
		target[n] = '\0';
		return symlink(target, to);
	}
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return -1;
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (vb_read_file(path, 1 << 20, &data, &len) < 0)
		return -1;
	_cleanup_close_ int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	return fd < 0 || vb_write_all(fd, data, len) < 0 ? -1 : 0;
}

/* Copy VB_TEST_DATA/<tree> to a fresh directory; no layout yet. */
static bool fx_copy(struct fixture *fx, const char *tree)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/vb-cgtest.XXXXXX");
	if (!mkdtemp(fx->tmp))
		return false;
	fx->root = xasprintf("%s/tree", fx->tmp);
	_cleanup_free_ char *src = xasprintf("%s/%s", VB_TEST_DATA, tree);
	_cleanup_free_ char *self = xasprintf("%s/%s.self-cgroup", VB_TEST_DATA, tree);
	copy_src = src;
	copy_dst = fx->root;
	if (nftw(src, copy_one, 16, FTW_PHYS) < 0)
		return false;
	if (vb_read_file(self, 1 << 16, &fx->self, NULL) < 0)
		return false;
	fx->log = open_memstream(&fx->logbuf, &fx->loglen);
	return fx->log != NULL;
}

/* Copy the tree and read its layout in test mode. */
static bool fx_setup(struct fixture *fx, const char *tree, enum vb_cgroup_version v)
{
	struct vb_error *err = NULL;
	if (!fx_copy(fx, tree))
		return false;
	int r = vb_cgroup_layout_init_test(&fx->l, fx->root, v, fx->self, &err);
	if (r)
		printf("# layout: %s\n", err->msg);
	vb_error_free(&err);
	fx->l.write_log = fx->log;
	return r == 0;
}

static void fx_teardown(struct fixture *fx)
{
	vb_cgroup_layout_release(&fx->l);
	if (fx->log)
		fclose(fx->log);
	free(fx->logbuf);
	if (fx->tmp[0])
		vb_rm_rf(fx->tmp);
	free(fx->root);
	free(fx->self);
}

/* What was written since the last call (and forget it). */
static char *fx_log(struct fixture *fx)
{
	fflush(fx->log);
	char *s = xstrdup(fx->logbuf ? fx->logbuf : "");
	fclose(fx->log);
	free(fx->logbuf);
	fx->logbuf = NULL;
	fx->log = open_memstream(&fx->logbuf, &fx->loglen);
	fx->l.write_log = fx->log;
	return s;
}

static char *path_in(const struct fixture *fx, const char *rel)
{
	return xasprintf("%s/%s", fx->root, rel);
}

/* A file's content below the root, trailing newline removed; "<missing>" if absent. */
static char *read_rel(const struct fixture *fx, const char *rel)
{
	_cleanup_free_ char *p = path_in(fx, rel);
	char *s = NULL;
	if (vb_read_file(p, 1 << 20, &s, NULL) < 0)
		return xstrdup("<missing>");
	size_t n = strlen(s);
	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

static bool exists_rel(const struct fixture *fx, const char *rel)
{
	_cleanup_free_ char *p = path_in(fx, rel);
	return access(p, F_OK) == 0;
}

static void put_rel(const struct fixture *fx, const char *rel, const char *text)
{
	_cleanup_free_ char *p = path_in(fx, rel);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || vb_write_all(fd, text, strlen(text)) < 0)
		printf("# cannot write %s\n", p);
}

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		_cleanup_free_ char *got_ = (got);                                                 \
		CHECK_MSG(!strcmp(got_, (want)), "got '%s', want '%s'", got_, (want));             \
	} while (0)

#define CHECK_PATH(got, fx, rel)                                                                   \
	do {                                                                                       \
		_cleanup_free_ char *want_ = path_in((fx), (rel));                                 \
		const char *got_ = (got);                                                          \
		CHECK_MSG(got_ && !strcmp(got_, want_), "got '%s', want '%s'",                     \
			  got_ ? got_ : "(null)", want_);                                          \
	} while (0)

static int hier_index(const struct vb_cgroup_layout *l, const char *ctrl)
{
	for (size_t i = 0; i < l->nhier; i++)
		if (!strcmp(l->hier[i].controller, ctrl))
			return (int)i;
	return -1;
}

static const struct vb_cgroup_limits test_limits = {
	.memory_bytes = 64 << 20,
	.pids_max = 16,
	.cpu_quota_us = 50000,
	.cpu_period_us = 100000,
	.cpu_weight = 50,
	.devices_allowlist = true,
};

/* ---- layout ---- */

static void test_layout_v1_hybrid(void)
{
	static const char *const want[] = {
		"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids",
	};
	struct fixture fx;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	CHECK(fx.l.version == VB_CGROUP_V1);
	CHECK(fx.l.test_tree);
	CHECK_MSG(fx.l.nhier == 8, "%zu hierarchies", fx.l.nhier);
	for (size_t i = 0; i < 8 && i < fx.l.nhier; i++)
		CHECK_MSG(!strcmp(fx.l.hier[i].controller, want[i]), "%zu: %s", i,
			  fx.l.hier[i].controller);
	/* Each hierarchy's parent sits under the supervisor's cgroup in it. */
	int mem = hier_index(&fx.l, "memory"), cpu = hier_index(&fx.l, "cpu");
	CHECK(mem >= 0 && cpu >= 0);
	if (mem >= 0 && cpu >= 0) {
		CHECK_PATH(fx.l.hier[mem].parent, &fx, OWN_MEM "/virtbench");
		CHECK_PATH(fx.l.hier[cpu].parent, &fx, "cpu/virtbench");
	}
	CHECK(hier_index(&fx.l, "systemd") < 0);
	CHECK_PATH(fx.l.unified, &fx, "unified");
	CHECK_PATH(fx.l.unified_parent, &fx, "unified/virtbench");
	CHECK(fx.l.v2_controllers == NULL);
	fx_teardown(&fx);
}

static void test_layout_v1_comounted(void)
{
	struct fixture fx;
	CHECK(fx_setup(&fx, "cgroup-v1/comounted", VB_CGROUP_V1));
	/* cpu and cpuacct are symlinks to one hierarchy: one entry, named as the directory. */
	CHECK_MSG(fx.l.nhier == 7, "%zu hierarchies", fx.l.nhier);
	int cc = hier_index(&fx.l, "cpu,cpuacct");
	CHECK(cc >= 0);
	CHECK(hier_index(&fx.l, "cpu") < 0 && hier_index(&fx.l, "cpuacct") < 0);
	CHECK(hier_index(&fx.l, "net_cls,net_prio") < 0 && hier_index(&fx.l, "hugetlb") < 0);
	if (cc >= 0)
		CHECK_PATH(fx.l.hier[cc].parent, &fx, "cpu,cpuacct/user.slice/virtbench");
	int pids = hier_index(&fx.l, "pids");
	CHECK(pids >= 0);
	if (pids >= 0)
		CHECK_PATH(fx.l.hier[pids].parent, &fx, "pids/" OWN_V2 "/virtbench");
	int cpuset = hier_index(&fx.l, "cpuset");
	if (cpuset >= 0)
		CHECK_PATH(fx.l.hier[cpuset].parent, &fx, "cpuset/virtbench");
	CHECK_PATH(fx.l.unified_parent, &fx, "unified/" OWN_V2 "/virtbench");
	fx_teardown(&fx);
}

static void test_layout_v1_missing_controller(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	CHECK(fx_copy(&fx, "cgroup-v1/hybrid"));
	_cleanup_free_ char *pids = path_in(&fx, "pids");
	_cleanup_free_ char *freezer = path_in(&fx, "freezer");
	vb_rm_rf(pids);
	int r = vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V1, fx.self, &err);
	CHECK(r == VB_SKIP);
	CHECK_MSG(err && strstr(err->msg, "controller not mounted") && strstr(err->msg, ": pids"),
		  "%s", err ? err->msg : "(none)");
	CHECK(fx.l.root == NULL && fx.l.nhier == 0); /* released on failure */
	vb_error_free(&err);

	vb_rm_rf(freezer);
	r = vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V1, fx.self, &err);
	CHECK(r == VB_SKIP);
	CHECK_MSG(err && strstr(err->msg, "controllers not mounted") &&
		      strstr(err->msg, ": freezer, pids"),
		  "%s", err ? err->msg : "(none)");
	vb_error_free(&err);
	fx_teardown(&fx);
}

static void test_layout_v2(void)
{
	struct fixture fx;
	CHECK(fx_setup(&fx, "cgroup-v2/host", VB_CGROUP_V2));
	CHECK(fx.l.version == VB_CGROUP_V2);
	CHECK(fx.l.nhier == 1);
	CHECK(fx.l.hier[0].controller && !strcmp(fx.l.hier[0].controller, "unified"));
	CHECK_PATH(fx.l.hier[0].parent, &fx, OWN_V2 "/virtbench");
	/* What was delegated to the supervisor's cgroup, not the root's list. */
	CHECK_MSG(fx.l.v2_controllers && !strcmp(fx.l.v2_controllers, "cpuset cpu io memory pids"),
		  "%s", fx.l.v2_controllers ? fx.l.v2_controllers : "(null)");
	CHECK(fx.l.unified == NULL && fx.l.unified_parent == NULL);
	fx_teardown(&fx);
}

static void test_layout_v2_missing_controller(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	CHECK(fx_copy(&fx, "cgroup-v2/host"));
	put_rel(&fx, OWN_V2 "/cgroup.controllers", "cpuset cpu io memory\n");
	int r = vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V2, fx.self, &err);
	CHECK(r == VB_SKIP);
	CHECK_MSG(err && strstr(err->msg, "cgroup v2 controller not available") &&
		      strstr(err->msg, ": pids"),
		  "%s", err ? err->msg : "(none)");
	vb_error_free(&err);
	fx_teardown(&fx);
}

static void test_layout_bad_self_cgroup(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	CHECK(fx_copy(&fx, "cgroup-v1/hybrid"));
	/* No line for pids. */
	int r = vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V1,
					   "4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n", &err);
	CHECK(r == -ENOENT);
	CHECK_MSG(err && strstr(err->msg, "no line for"), "%s", err ? err->msg : "(none)");
	vb_error_free(&err);
	/* A path climbing out of the hierarchy. */
	r = vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V1,
				       "8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
				       "4:memory:/process_api/../../etc\n3:cpuset:/\n2:cpuacct:/\n"
				       "1:cpu:/\n0::/\n",
				       &err);
	CHECK(r == -EINVAL);
	CHECK_MSG(err && strstr(err->msg, "bad cgroup path '/process_api/../../etc'"), "%s",
		  err ? err->msg : "(none)");
	vb_error_free(&err);
	/* The supervisor's cgroup must exist in the tree. */
	r = vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V1,
				       "8:pids:/gone\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
				       "4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n",
				       &err);
	CHECK(r == -ENOENT);
	CHECK_MSG(err && strstr(err->msg, "pids/gone, is missing"), "%s",
		  err ? err->msg : "(none)");
	vb_error_free(&err);
	fx_teardown(&fx);
}

/* The real detection never takes plain directories for cgroupfs. */
static void test_layout_plain_dir_is_not_cgroupfs(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	CHECK(fx_copy(&fx, "cgroup-v1/hybrid"));
	int r = vb_cgroup_layout_init(&fx.l, fx.root, fx.self, &err);
	CHECK_MSG(r == VB_SKIP, "r = %d: %s", r, err ? err->msg : "");
	CHECK(!fx.l.test_tree && fx.l.nhier == 0);
	vb_error_free(&err);
	fx_teardown(&fx);
}

/* ---- create ---- */

static void test_create_v1(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	int r = vb_cgroup_create(&fx.l, NAME, &test_limits, &cg, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* Every write, in order: cpuset copied into the parent first, then into the guest. */
	/* clang-format off */
	static const char want[] =
		G1("cpu") "cpu.cfs_period_us 100000\n"
		G1("cpu") "cpu.cfs_quota_us 50000\n"
		G1("cpu") "cpu.shares 512\n"
		"cpuset/virtbench/cpuset.cpus 0-1\n"
		"cpuset/virtbench/cpuset.mems 0\n"
		G1("cpuset") "cpuset.cpus 0-1\n"
		G1("cpuset") "cpuset.mems 0\n"
		G1("devices") "devices.deny a\n"
		G1("devices") "devices.allow c 1:3 rwm\n"
		G1("devices") "devices.allow c 1:5 rwm\n"
		G1("devices") "devices.allow c 1:7 rwm\n"
		G1("devices") "devices.allow c 1:8 rwm\n"
		G1("devices") "devices.allow c 1:9 rwm\n"
		G1("devices") "devices.allow c 5:0 rwm\n"
		G1("devices") "devices.allow c 5:2 rwm\n"
		G1("devices") "devices.allow c 136:* rwm\n"
		G1(OWN_MEM) "memory.limit_in_bytes 67108864\n"
		G1(OWN_MEM) "memory.memsw.limit_in_bytes 67108864\n"
		G1("pids") "pids.max 16\n";
	/* clang-format on */
	CHECK_STR(fx_log(&fx), want);
	/* And the files hold them. */
	CHECK_STR(read_rel(&fx, "cpuset/virtbench/" NAME "/cpuset.cpus"), "0-1");
	CHECK_STR(read_rel(&fx, "cpuset/virtbench/" NAME "/cpuset.mems"), "0");
	CHECK_STR(read_rel(&fx, "cpu/virtbench/" NAME "/cpu.cfs_quota_us"), "50000");
	CHECK_STR(read_rel(&fx, OWN_MEM "/virtbench/" NAME "/memory.limit_in_bytes"), "67108864");
	CHECK_STR(read_rel(&fx, "pids/virtbench/" NAME "/pids.max"), "16");
	CHECK_STR(read_rel(&fx, "devices/virtbench/" NAME "/devices.allow"), "c 136:* rwm");
	/* Hierarchies without limits still get the guest's directory; so does the cgroup2 mount. */
	CHECK(exists_rel(&fx, "blkio/virtbench/" NAME "/cgroup.procs"));
	CHECK(exists_rel(&fx, "freezer/virtbench/" NAME "/cgroup.procs"));
	CHECK(cg && cg->npaths == 8);
	if (cg) {
		CHECK_PATH(cg->unified_path, &fx, "unified/virtbench/" NAME);
		CHECK(vb_cgroup_devices_enforced(cg));
	}
	/* A second one of that name is refused and leaves the first alone. */
	struct vb_cgroup *again = NULL;
	r = vb_cgroup_create(&fx.l, NAME, &test_limits, &again, &err);
	CHECK(r == -EEXIST && again == NULL);
	CHECK_MSG(err && strstr(err->msg, "/virtbench/" NAME " exists already"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	CHECK(exists_rel(&fx, "pids/virtbench/" NAME "/pids.max"));

	vb_cgroup_destroy(cg);
	CHECK(!exists_rel(&fx, "pids/virtbench/" NAME));
	CHECK(!exists_rel(&fx, OWN_MEM "/virtbench/" NAME));
	CHECK(!exists_rel(&fx, "unified/virtbench/" NAME));
	CHECK(exists_rel(&fx, "pids/virtbench")); /* the parent stays for other runs */
	fx_teardown(&fx);
}

static void test_create_v1_cpus_no_memsw(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_copy(&fx, "cgroup-v1/hybrid"));
	/* A host without swap accounting. */
	_cleanup_free_ char *memsw = path_in(&fx, OWN_MEM "/memory.memsw.limit_in_bytes");
	unlink(memsw);
	CHECK(vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V1, fx.self, &err) == 0);
	fx.l.write_log = fx.log;
	struct vb_cgroup_limits lim = { .cpus = "1", .memory_bytes = 1 << 30 };
	int r = vb_cgroup_create(&fx.l, "vb-00000000-12", &lim, &cg, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	_cleanup_free_ char *log = fx_log(&fx);
	CHECK_MSG(strstr(log, "cpuset/virtbench/vb-00000000-12/cpuset.cpus 1\n"
			      "cpuset/virtbench/vb-00000000-12/cpuset.mems 0\n"),
		  "%s", log);
	CHECK(strstr(log, "/vb-00000000-12/memory.limit_in_bytes 1073741824\n"));
	CHECK(!strstr(log, "memsw"));
	CHECK(!strstr(log, "devices"));
	CHECK(!strstr(log, "pids.max") && !strstr(log, "cpu.shares") && !strstr(log, "cfs_"));
	CHECK(cg && !vb_cgroup_devices_enforced(cg));
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

static void test_create_v1_comounted(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/comounted", VB_CGROUP_V1));
	int r = vb_cgroup_create(&fx.l, NAME, &test_limits, &cg, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(cg && cg->npaths == 7);
	CHECK_STR(read_rel(&fx, "cpu,cpuacct/user.slice/virtbench/" NAME "/cpu.cfs_quota_us"),
		  "50000");
	CHECK_STR(read_rel(&fx, "cpu,cpuacct/user.slice/virtbench/" NAME "/cpu.shares"), "512");
	CHECK_STR(read_rel(&fx, "pids/" OWN_V2 "/virtbench/" NAME "/pids.max"), "16");
	if (cg)
		CHECK_PATH(cg->unified_path, &fx, "unified/" OWN_V2 "/virtbench/" NAME);
	vb_cgroup_destroy(cg);
	CHECK(!exists_rel(&fx, "cpu,cpuacct/user.slice/virtbench/" NAME));
	fx_teardown(&fx);
}

static void test_create_bad_input(void)
{
	static const char *const bad_names[] = {
		"vb-1a2b3c4d",	    "vb-1A2B3C4D-0",	"vb-1a2b3c4-0",	 "vb-1a2b3c4d-",
		"vb-1a2b3c4d-0/..", "../vb-1a2b3c4d-0", "vb-1a2b3c4d-x", "other",
	};
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	for (size_t i = 0; i < VB_ARRAY_SIZE(bad_names); i++) {
		CHECK_MSG(vb_cgroup_create(&fx.l, bad_names[i], NULL, &cg, &err) == -EINVAL, "%s",
			  bad_names[i]);
		CHECK(err && strstr(err->msg, "bad cgroup name"));
		vb_error_free(&err);
	}
	struct vb_cgroup_limits half = { .cpu_quota_us = 50000 };
	CHECK(vb_cgroup_create(&fx.l, NAME, &half, &cg, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "quota and period go together"));
	vb_error_free(&err);
	struct vb_cgroup_limits heavy = { .cpu_weight = 10001 };
	CHECK(vb_cgroup_create(&fx.l, NAME, &heavy, &cg, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(cg == NULL);
	_cleanup_free_ char *log = fx_log(&fx);
	CHECK_MSG(!*log, "nothing written, got: %s", log);
	CHECK(!exists_rel(&fx, "cpu/virtbench"));
	fx_teardown(&fx);
}

/* A write that fails says which value went to which file; a failed create leaves nothing. */
static void test_write_errors(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	int r = vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err);
	CHECK(r == 0 && cg);
	vb_error_free(&err);
	if (!cg) {
		fx_teardown(&fx);
		return;
	}
	_cleanup_free_ char *procs = path_in(&fx, "pids/virtbench/" NAME "/cgroup.procs");
	unlink(procs);
	mkdir(procs, 0755);
	r = vb_cgroup_attach(cg, 4242, &err);
	CHECK(r == -EISDIR);
	_cleanup_free_ char *want = xasprintf("cannot write 4242 to %s: Is a directory", procs);
	CHECK_MSG(err && !strcmp(err->msg, want), "%s", err ? err->msg : "");
	vb_error_free(&err);
	rmdir(procs);
	/* Plain files keep what attach wrote before the failure: empty them again. */
	for (size_t i = 0; i < cg->npaths; i++) {
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", cg->paths[i]);
		CHECK(truncate(p, 0) == 0 || errno == ENOENT);
	}
	vb_cgroup_destroy(cg);

	/* The parent's cpuset cannot be read: create fails, and removes what it made. */
	_cleanup_free_ char *cpus = path_in(&fx, "cpuset/virtbench/cpuset.cpus");
	unlink(cpus);
	mkdir(cpus, 0755);
	r = vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err);
	CHECK(r < 0 && cg == NULL);
	CHECK_MSG(err && strstr(err->msg, "cpuset/virtbench/cpuset.cpus: Is a directory"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	CHECK(!exists_rel(&fx, "blkio/virtbench/" NAME));
	CHECK(!exists_rel(&fx, "cpu/virtbench/" NAME));
	CHECK(!exists_rel(&fx, "cpuset/virtbench/" NAME));
	fx_teardown(&fx);
}

static void test_create_v2(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL, *cg2 = NULL;
	CHECK(fx_setup(&fx, "cgroup-v2/host", VB_CGROUP_V2));
	struct vb_cgroup_limits lim = test_limits;
	lim.cpus = "0";
	int r = vb_cgroup_create(&fx.l, NAME, &lim, &cg, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* clang-format off */
	static const char want[] =
		OWN_V2 "/cgroup.subtree_control +cpu +cpuset +memory +pids +io\n"
		OWN_V2 "/virtbench/cgroup.subtree_control +cpu +cpuset +memory +pids +io\n"
		G2 "cpuset.cpus 0\n"
		G2 "cpu.max 50000 100000\n"
		G2 "cpu.weight 50\n"
		G2 "memory.max 67108864\n"
		G2 "memory.swap.max 0\n"
		G2 "pids.max 16\n";
	/* clang-format on */
	CHECK_STR(fx_log(&fx), want);
	CHECK_STR(read_rel(&fx, OWN_V2 "/virtbench/" NAME "/cpu.max"), "50000 100000");
	CHECK_STR(read_rel(&fx, OWN_V2 "/virtbench/" NAME "/memory.max"), "67108864");
	CHECK(cg && cg->npaths == 1 && cg->unified_path == NULL);
	/* v2: no device rules at this layer, and it says so. */
	CHECK(cg && !vb_cgroup_devices_enforced(cg));
	CHECK(!exists_rel(&fx, OWN_V2 "/virtbench/" NAME "/devices.allow"));

	/* Controllers already enabled are not written again. */
	r = vb_cgroup_create(&fx.l, "vb-1a2b3c4d-1", NULL, &cg2, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_STR(fx_log(&fx), "");
	vb_cgroup_destroy(cg2);
	vb_cgroup_destroy(cg);
	CHECK(!exists_rel(&fx, OWN_V2 "/virtbench/" NAME));
	fx_teardown(&fx);
}

/*
 * A guest born in its cgroup2 directory (CLONE_INTO_CGROUP) is moved only
 * in the v1 hierarchies: on hybrid every one but the cgroup2 mount beside,
 * on v2 nowhere. Test layouts offer no descriptor for clone3.
 */
static void test_attach_v1_only(void)
{
	static const char *const fixtures[] = { "cgroup-v1/hybrid", "cgroup-v2/host" };
	for (size_t f = 0; f < VB_ARRAY_SIZE(fixtures); f++) {
		struct fixture fx;
		struct vb_error *err = NULL;
		struct vb_cgroup *cg = NULL;
		bool v2 = f == 1;
		CHECK(fx_setup(&fx, fixtures[f], v2 ? VB_CGROUP_V2 : VB_CGROUP_V1));
		CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err) == 0 && cg);
		vb_error_free(&err);
		if (!cg) {
			fx_teardown(&fx);
			continue;
		}
		free(fx_log(&fx));
		CHECK(vb_cgroup_v2_fd(cg) == -1);
		CHECK(vb_cgroup_attach_v1(cg, 4242, &err) == 0);
		_cleanup_free_ char *log = fx_log(&fx);
		size_t n = 0;
		for (const char *q = log; (q = strstr(q, "/cgroup.procs 4242\n")); q++)
			n++;
		CHECK_MSG(n == (v2 ? 0 : cg->npaths), "%zu writes: %s", n, log);
		CHECK_MSG(!strstr(log, "unified/"), "%s", log);
		/* The plain attach still writes every hierarchy, cgroup2 included. */
		CHECK(vb_cgroup_attach(cg, 4242, &err) == 0);
		_cleanup_free_ char *all = fx_log(&fx);
		CHECK_MSG(v2 ? !!strstr(all, G2 "cgroup.procs 4242")
			     : !!strstr(all, "unified/virtbench/" NAME "/cgroup.procs 4242"),
			  "%s", all);
		for (size_t i = 0; i < cg->npaths; i++) {
			_cleanup_free_ char *pp = xasprintf("%s/cgroup.procs", cg->paths[i]);
			CHECK(truncate(pp, 0) == 0 || errno == ENOENT);
		}
		if (cg->unified_path) {
			_cleanup_free_ char *pp = xasprintf("%s/cgroup.procs", cg->unified_path);
			CHECK(truncate(pp, 0) == 0 || errno == ENOENT);
		}
		vb_cgroup_destroy(cg);
		fx_teardown(&fx);
	}
}

/* Freeze and thaw: one write each, in the freezer hierarchy or cgroup.freeze. */
static void test_freeze(void)
{
	static const char *const fixtures[] = { "cgroup-v1/hybrid", "cgroup-v2/host" };
	static const char *const want[] = {
		"freezer/virtbench/" NAME "/freezer.state FROZEN\n"
		"freezer/virtbench/" NAME "/freezer.state THAWED\n",
		G2 "cgroup.freeze 1\n" G2 "cgroup.freeze 0\n",
	};
	for (size_t f = 0; f < VB_ARRAY_SIZE(fixtures); f++) {
		struct fixture fx;
		struct vb_error *err = NULL;
		struct vb_cgroup *cg = NULL;
		CHECK(fx_setup(&fx, fixtures[f], f ? VB_CGROUP_V2 : VB_CGROUP_V1));
		CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err) == 0 && cg);
		vb_error_free(&err);
		if (!cg) {
			fx_teardown(&fx);
			continue;
		}
		free(fx_log(&fx));
		CHECK(vb_cgroup_freeze(cg, true, &err) == 0);
		CHECK(vb_cgroup_freeze(cg, false, &err) == 0);
		vb_error_free(&err);
		CHECK_STR(fx_log(&fx), want[f]);
		vb_cgroup_destroy(cg);
		fx_teardown(&fx);
	}
}

/* Policies change a running guest's knobs; zero lifts each one again. */
static void test_update_v1(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err) == 0);
	vb_error_free(&err);
	free(fx_log(&fx));
	struct vb_cgroup_limits lim = {
		.cpus = "1",
		.cpu_weight = 1000,
		.cpu_quota_us = 50000,
		.cpu_period_us = 100000,
		.memory_bytes = 128 << 20,
		.io_dev = makedev(254, 0),
		.io_bps = 1048576,
	};
	int r = cg ? vb_cgroup_update(cg, &lim, &err) : -1;
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* clang-format off */
	static const char want[] =
		G1("cpuset") "cpuset.mems 0\n"
		G1("cpuset") "cpuset.cpus 1\n"
		G1("cpu") "cpu.shares 10240\n"
		G1("cpu") "cpu.cfs_period_us 100000\n"
		G1("cpu") "cpu.cfs_quota_us 50000\n"
		G1(OWN_MEM) "memory.memsw.limit_in_bytes -1\n"
		G1(OWN_MEM) "memory.limit_in_bytes 134217728\n"
		G1(OWN_MEM) "memory.memsw.limit_in_bytes 134217728\n"
		G1("blkio") "blkio.throttle.read_bps_device 254:0 1048576\n"
		G1("blkio") "blkio.throttle.write_bps_device 254:0 1048576\n";
	static const char lifted[] =
		G1("cpuset") "cpuset.mems 0\n"
		G1("cpuset") "cpuset.cpus 0-1\n"
		G1("cpu") "cpu.shares 1024\n"
		G1("cpu") "cpu.cfs_quota_us -1\n"
		G1(OWN_MEM) "memory.memsw.limit_in_bytes -1\n"
		G1(OWN_MEM) "memory.limit_in_bytes -1\n"
		G1("blkio") "blkio.throttle.read_bps_device 254:0 0\n"
		G1("blkio") "blkio.throttle.write_bps_device 254:0 0\n";
	/* clang-format on */
	CHECK_STR(fx_log(&fx), want);
	struct vb_cgroup_limits none = { .io_dev = makedev(254, 0) };
	r = cg ? vb_cgroup_update(cg, &none, &err) : -1;
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_STR(fx_log(&fx), lifted);
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

static void test_update_v2(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v2/host", VB_CGROUP_V2));
	CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err) == 0);
	vb_error_free(&err);
	free(fx_log(&fx));
	struct vb_cgroup_limits lim = {
		.cpus = "1",
		.cpu_weight = 1000,
		.cpu_quota_us = 50000,
		.cpu_period_us = 100000,
		.memory_bytes = 128 << 20,
		.io_dev = makedev(254, 0),
		.io_bps = 1048576,
	};
	int r = cg ? vb_cgroup_update(cg, &lim, &err) : -1;
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* clang-format off */
	static const char want[] =
		G2 "cpuset.mems \n"
		G2 "cpuset.cpus 1\n"
		G2 "cpu.max 50000 100000\n"
		G2 "cpu.weight 1000\n"
		G2 "memory.max 134217728\n"
		G2 "io.max 254:0 rbps=1048576 wbps=1048576\n";
	static const char lifted[] =
		G2 "cpuset.mems \n"
		G2 "cpuset.cpus \n"
		G2 "cpu.max max 100000\n"
		G2 "cpu.weight 100\n"
		G2 "memory.max max\n"
		G2 "io.max 254:0 rbps=max wbps=max\n";
	/* clang-format on */
	CHECK_STR(fx_log(&fx), want);
	struct vb_cgroup_limits none = { .io_dev = makedev(254, 0) };
	r = cg ? vb_cgroup_update(cg, &none, &err) : -1;
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_STR(fx_log(&fx), lifted);
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

static void test_create_v2_missing_cpuset(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_copy(&fx, "cgroup-v2/host"));
	put_rel(&fx, OWN_V2 "/cgroup.controllers", "cpu memory pids\n");
	CHECK(vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V2, fx.self, &err) == 0);
	fx.l.write_log = fx.log;
	struct vb_cgroup_limits lim = { .cpus = "0" };
	CHECK(vb_cgroup_create(&fx.l, NAME, &lim, &cg, &err) == VB_SKIP);
	CHECK_MSG(err && strstr(err->msg, "controller cpuset is not available"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	/* Any limit whose controller is missing: io is not there either. */
	vb_cgroup_layout_release(&fx.l);
	put_rel(&fx, OWN_V2 "/cgroup.controllers", "cpu memory pids\n");
	CHECK(vb_cgroup_layout_init_test(&fx.l, fx.root, VB_CGROUP_V2, fx.self, &err) == 0);
	fx.l.write_log = fx.log;
	free(fx.l.v2_controllers);
	fx.l.v2_controllers = xstrdup("cpu memory");
	struct vb_cgroup_limits plim = { .pids_max = 4 };
	CHECK(vb_cgroup_create(&fx.l, NAME, &plim, &cg, &err) == VB_SKIP);
	CHECK_MSG(err && strstr(err->msg, "controller pids is not available"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	_cleanup_free_ char *none = fx_log(&fx);
	CHECK_MSG(!*none, "%s", none);
	free(fx.l.v2_controllers);
	fx.l.v2_controllers = xstrdup("cpu memory pids");
	/* Without cpus, only what is there is enabled. */
	lim.cpus = NULL;
	lim.pids_max = 8;
	CHECK(vb_cgroup_create(&fx.l, NAME, &lim, &cg, &err) == 0);
	vb_error_free(&err);
	_cleanup_free_ char *log = fx_log(&fx);
	CHECK_MSG(strstr(log, OWN_V2 "/cgroup.subtree_control +cpu +memory +pids\n"), "%s", log);
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

/* ---- kill, memory, sweep ---- */

static void test_kill_v1_freezer(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err) == 0);
	vb_error_free(&err);
	if (!cg) {
		fx_teardown(&fx);
		return;
	}
	free(fx_log(&fx));
	/* Empty: nothing to do. */
	CHECK(vb_cgroup_kill(cg, 100, &err) == 0);
	CHECK_STR(fx_log(&fx), "");
	/* The cgroup2 mount's root has no cgroup.kill here, so neither has the copy: freezer. */
	put_rel(&fx, "pids/virtbench/" NAME "/cgroup.procs", "4242\n");
	CHECK(vb_cgroup_kill(cg, 100, &err) == 0);
	vb_error_free(&err);
	CHECK_STR(fx_log(&fx), "freezer/virtbench/" NAME "/freezer.state FROZEN\n"
			       "kill 4242\n"
			       "freezer/virtbench/" NAME "/freezer.state THAWED\n");
	put_rel(&fx, "pids/virtbench/" NAME "/cgroup.procs", "12x\n");
	CHECK(vb_cgroup_kill(cg, 100, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "bad pid '12x'"));
	vb_error_free(&err);
	put_rel(&fx, "pids/virtbench/" NAME "/cgroup.procs", "");
	/* memory.usage_in_bytes on v1 */
	uint64_t bytes = 0;
	put_rel(&fx, OWN_MEM "/virtbench/" NAME "/memory.usage_in_bytes", "1234567\n");
	CHECK(vb_cgroup_memory_current(cg, &bytes, &err) == 0 && bytes == 1234567);
	vb_error_free(&err);
	/* OOM kills on v1: the oom_kill line of memory.oom_control (as captured here). */
	uint64_t ooms = 0;
	put_rel(&fx, OWN_MEM "/virtbench/" NAME "/memory.oom_control",
		"oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	CHECK(vb_cgroup_oom_kills(cg, &ooms, &err) == 0 && ooms == 3);
	vb_error_free(&err);
	put_rel(&fx, OWN_MEM "/virtbench/" NAME "/memory.oom_control",
		"oom_kill_disable 0\nunder_oom 0\n");
	CHECK(vb_cgroup_oom_kills(cg, &ooms, &err) == -ENOENT);
	CHECK(err && strstr(err->msg, "no oom_kill count"));
	vb_error_free(&err);
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

static void test_kill_v2(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v2/host", VB_CGROUP_V2));
	CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &cg, &err) == 0);
	vb_error_free(&err);
	if (!cg) {
		fx_teardown(&fx);
		return;
	}
	free(fx_log(&fx));
	put_rel(&fx, OWN_V2 "/virtbench/" NAME "/cgroup.procs", "4242\n");
	CHECK(vb_cgroup_kill(cg, 100, &err) == 0);
	vb_error_free(&err);
	_cleanup_free_ char *log = fx_log(&fx);
	/* cgroup.kill first; plain files do not empty, so the freeze loop follows. */
	/* clang-format off */
	static const char want[] =
		G2 "cgroup.kill 1\n"
		G2 "cgroup.freeze 1\n"
		"kill 4242\n"
		G2 "cgroup.freeze 0\n";
	/* clang-format on */
	CHECK_MSG(!strcmp(log, want), "%s", log);
	put_rel(&fx, OWN_V2 "/virtbench/" NAME "/cgroup.procs", "");
	uint64_t bytes = 0;
	put_rel(&fx, OWN_V2 "/virtbench/" NAME "/memory.current", "8192\n");
	CHECK(vb_cgroup_memory_current(cg, &bytes, &err) == 0 && bytes == 8192);
	vb_error_free(&err);
	/* OOM kills on v2: memory.events (oom counts limit hits, oom_kill the kills). */
	uint64_t ooms = 0;
	put_rel(&fx, OWN_V2 "/virtbench/" NAME "/memory.events",
		"low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n");
	CHECK(vb_cgroup_oom_kills(cg, &ooms, &err) == 0 && ooms == 1);
	vb_error_free(&err);
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

struct alive {
	const char *const *tags; /* NULL-terminated */
	char asked[512];
};

static bool is_alive(const char *tag, void *data)
{
	struct alive *a = data;
	size_t n = strlen(a->asked);
	snprintf(a->asked + n, sizeof(a->asked) - n, "%s ", tag);
	for (const char *const *t = a->tags; *t; t++)
		if (!strcmp(*t, tag))
			return true;
	return false;
}

static void test_sweep_v1(void)
{
	static const char *const junk[] = {
		"vb-zzz", "other", "vb-1a2b3c4d", "VB-1A2B3C4D-0", "vb-1a2b3c4d-0x", "vb-1a2b3c4d-",
	};
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *a = NULL, *b = NULL;
	CHECK(fx_setup(&fx, "cgroup-v1/hybrid", VB_CGROUP_V1));
	CHECK(vb_cgroup_create(&fx.l, NAME, NULL, &a, &err) == 0);
	CHECK(vb_cgroup_create(&fx.l, "vb-5e6f7a8b-3", NULL, &b, &err) == 0);
	vb_error_free(&err);
	for (size_t i = 0; i < fx.l.nhier; i++) {
		for (size_t k = 0; k < VB_ARRAY_SIZE(junk); k++) {
			_cleanup_free_ char *p = xasprintf("%s/%s", fx.l.hier[i].parent, junk[k]);
			mkdir(p, 0755);
		}
		_cleanup_free_ char *f = xasprintf("%s/vb-1a2b3c4d-1", fx.l.hier[i].parent);
		close(open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	}
	/* A leftover in one hierarchy only. */
	_cleanup_free_ char *lone = path_in(&fx, OWN_MEM "/virtbench/vb-deadbeef-7");
	mkdir(lone, 0755);
	free(fx_log(&fx));

	/* Both alive: nothing goes, and only the well-formed names were asked about. */
	static const char *const both[] = { "vb-1a2b3c4d", "vb-5e6f7a8b", "vb-deadbeef", NULL };
	struct alive al = { .tags = both };
	int n = -1;
	CHECK(vb_cgroup_sweep(&fx.l, is_alive, &al, &n, &err) == 0 && n == 0);
	CHECK_MSG(!strcmp(al.asked, "vb-1a2b3c4d vb-5e6f7a8b vb-deadbeef "), "%s", al.asked);
	CHECK(exists_rel(&fx, "pids/virtbench/" NAME));

	/* vb-1a2b3c4d's run is dead: its cgroup goes everywhere, its process is killed first. */
	put_rel(&fx, "pids/virtbench/" NAME "/cgroup.procs", "4242\n");
	static const char *const one[] = { "vb-5e6f7a8b", NULL };
	struct alive al2 = { .tags = one };
	CHECK(vb_cgroup_sweep(&fx.l, is_alive, &al2, &n, &err) == 0);
	CHECK_MSG(n == 2, "n = %d", n);
	vb_error_free(&err);
	_cleanup_free_ char *log = fx_log(&fx);
	CHECK_MSG(strstr(log, "kill 4242\n"), "%s", log);
	for (size_t i = 0; i < fx.l.nhier; i++) {
		_cleanup_free_ char *gone = xasprintf("%s/" NAME, fx.l.hier[i].parent);
		_cleanup_free_ char *kept = xasprintf("%s/vb-5e6f7a8b-3", fx.l.hier[i].parent);
		CHECK_MSG(access(gone, F_OK) < 0, "%s", gone);
		CHECK_MSG(access(kept, F_OK) == 0, "%s", kept);
		for (size_t k = 0; k < VB_ARRAY_SIZE(junk); k++) {
			_cleanup_free_ char *p = xasprintf("%s/%s", fx.l.hier[i].parent, junk[k]);
			CHECK_MSG(access(p, F_OK) == 0, "%s", p);
		}
		_cleanup_free_ char *f = xasprintf("%s/vb-1a2b3c4d-1", fx.l.hier[i].parent);
		CHECK(access(f, F_OK) == 0);
	}
	CHECK(!exists_rel(&fx, "unified/virtbench/" NAME));
	CHECK(exists_rel(&fx, "unified/virtbench/vb-5e6f7a8b-3"));
	CHECK(access(lone, F_OK) < 0);
	/* a's directories were swept: destroy finds nothing left to remove and frees it. */
	vb_cgroup_destroy(a);
	vb_cgroup_destroy(b);
	fx_teardown(&fx);
}

static void test_sweep_v2(void)
{
	struct fixture fx;
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	CHECK(fx_setup(&fx, "cgroup-v2/host", VB_CGROUP_V2));
	CHECK(vb_cgroup_create(&fx.l, "vb-00c0ffee-0", NULL, &cg, &err) == 0);
	vb_error_free(&err);
	_cleanup_free_ char *other = path_in(&fx, OWN_V2 "/virtbench/vb-00c0ffee");
	mkdir(other, 0755);
	static const char *const none[] = { NULL };
	struct alive al = { .tags = none };
	int n = -1;
	CHECK(vb_cgroup_sweep(&fx.l, is_alive, &al, &n, &err) == 0 && n == 1);
	vb_error_free(&err);
	CHECK(!exists_rel(&fx, OWN_V2 "/virtbench/vb-00c0ffee-0"));
	CHECK(access(other, F_OK) == 0);
	/* Sweeping where virtbench never ran is fine. */
	_cleanup_free_ char *parent = path_in(&fx, OWN_V2 "/virtbench");
	vb_rm_rf(parent);
	CHECK(vb_cgroup_sweep(&fx.l, is_alive, &al, &n, &err) == 0 && n == 0);
	vb_error_free(&err);
	vb_cgroup_destroy(cg);
	fx_teardown(&fx);
}

/* ---- live scenario on /sys/fs/cgroup (root) ---- */

#define LIVE_ROOT "/sys/fs/cgroup"
#define LIVE_NAME "vb-00000000-0"

static struct {
	const char *skip; /* why the live tests cannot run here */
	struct vb_cgroup_layout l;
	struct vb_cgroup *cg;
	char *paths[VB_CGROUP_MAX_HIER + 1]; /* copies, checked after destroy */
	size_t npaths;
	pid_t sleeper, bomb;
	int sleeper_go, sleeper_res; /* pipe ends */
} live;

/* Read a file of the live guest's cgroup in the hierarchy holding ctrl. */
static char *live_read(const char *ctrl, const char *file)
{
	for (size_t i = 0; i < live.l.nhier && i < live.cg->npaths; i++) {
		if (strcmp(live.l.hier[i].controller, ctrl))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", live.cg->paths[i], file);
		char *s = NULL;
		if (vb_read_file(p, 1 << 16, &s, NULL) < 0)
			return xstrdup("<unreadable>");
		size_t n = strlen(s);
		while (n && s[n - 1] == '\n')
			s[--n] = '\0';
		return s;
	}
	return xstrdup("<no such hierarchy>");
}

static bool file_lists_pid(const char *path, pid_t pid)
{
	_cleanup_free_ char *s = NULL;
	if (vb_read_file(path, 1 << 20, &s, NULL) < 0)
		return false;
	char want[32];
	snprintf(want, sizeof(want), "%d", (int)pid);
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strcmp(line, want))
			return true;
	}
	return false;
}

static bool cg_has_kill(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/cgroup.kill", dir);
	return access(p, F_OK) == 0;
}

/* The state letter of /proc/PID/stat, or 0 when the process is gone. */
static char proc_state(pid_t pid)
{
	_cleanup_free_ char *p = xasprintf("/proc/%d/stat", (int)pid);
	_cleanup_free_ char *s = NULL;
	if (vb_read_file(p, 4096, &s, NULL) < 0)
		return 0;
	char *paren = strrchr(s, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static bool dead(pid_t pid)
{
	char st = proc_state(pid);
	return st == 0 || st == 'Z' || st == 'X';
}

/* A child that dies with its parent; returns 0 in the child. */
static pid_t fork_child(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

static void reap(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

#define LIVE_SKIP()                                                                                \
	do {                                                                                       \
		if (live.skip)                                                                     \
			SKIP(live.skip);                                                           \
	} while (0)

#define LIVE_NEED_CG()                                                                             \
	do {                                                                                       \
		LIVE_SKIP();                                                                       \
		if (!live.cg) {                                                                    \
			CHECK_MSG(0, "no live cgroup (an earlier test failed)");                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void live_layout(void)
{
	struct vb_error *err = NULL;
	if (geteuid() != 0)
		live.skip = "needs root";
	else if (access(LIVE_ROOT "/cpu", F_OK) < 0)
		live.skip = "no cgroup v1 hierarchy at " LIVE_ROOT "/cpu";
	LIVE_SKIP();
	int r = vb_cgroup_layout_init(&live.l, LIVE_ROOT, NULL, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	if (r) {
		live.skip = "no cgroup layout";
		return;
	}
	CHECK(live.l.version == VB_CGROUP_V1);
	CHECK(!live.l.test_tree);
	CHECK_MSG(live.l.nhier == 8, "%zu hierarchies", live.l.nhier);
	for (size_t i = 0; i < live.l.nhier; i++)
		printf("# %s: %s\n", live.l.hier[i].controller, live.l.hier[i].parent);
	printf("# unified: %s\n", live.l.unified_parent ? live.l.unified_parent : "(none)");
}

static void live_create(void)
{
	LIVE_SKIP();
	struct vb_error *err = NULL;
	struct vb_cgroup_limits lim = test_limits;
	lim.cpus = "0";
	lim.cpu_weight = 100;
	int r = vb_cgroup_create(&live.l, LIVE_NAME, &lim, &live.cg, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	if (r)
		return;
	for (size_t i = 0; i < live.cg->npaths; i++)
		live.paths[live.npaths++] = xstrdup(live.cg->paths[i]);
	if (live.cg->unified_path)
		live.paths[live.npaths++] = xstrdup(live.cg->unified_path);
	CHECK(live.cg->npaths == live.l.nhier);
	CHECK(vb_cgroup_devices_enforced(live.cg));
	CHECK_STR(live_read("cpuset", "cpuset.cpus"), "0");
	_cleanup_free_ char *pmems = NULL;
	int cs = hier_index(&live.l, "cpuset");
	if (cs >= 0) {
		_cleanup_free_ char *p = xasprintf("%s/cpuset.mems", live.l.hier[cs].parent);
		if (vb_read_file(p, 4096, &pmems, NULL) == 0)
			pmems[strcspn(pmems, "\n")] = '\0';
	}
	CHECK_STR(live_read("cpuset", "cpuset.mems"), pmems ? pmems : "?");
	CHECK_STR(live_read("cpu", "cpu.cfs_quota_us"), "50000");
	CHECK_STR(live_read("cpu", "cpu.cfs_period_us"), "100000");
	CHECK_STR(live_read("cpu", "cpu.shares"), "1024");
	CHECK_STR(live_read("memory", "memory.limit_in_bytes"), "67108864");
	_cleanup_free_ char *memsw = live_read("memory", "memory.memsw.limit_in_bytes");
	CHECK_MSG(!strcmp(memsw, "67108864") || !strcmp(memsw, "<unreadable>"), "%s", memsw);
	CHECK_STR(live_read("pids", "pids.max"), "16");
	CHECK_STR(live_read("devices", "devices.list"), "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\n"
							"c 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\n"
							"c 5:2 rwm\nc 136:* rwm");
}

static void live_attach(void)
{
	LIVE_NEED_CG();
	struct vb_error *err = NULL;
	int go[2], res[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		CHECK(0);
		return;
	}
	pid_t pid = fork_child();
	if (pid == 0) {
		/* After attach: what the devices allow-list lets this child open. */
		char c, out[64];
		close(go[1]);
		close(res[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		int kmsg_fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
		int kmsg_errno = kmsg_fd < 0 ? errno : 0;
		snprintf(out, sizeof(out), "null=%d kmsg=%d", null_fd >= 0, kmsg_errno);
		if (write(res[1], out, strlen(out)) < 0)
			_exit(1);
		close(res[1]);
		for (;;)
			pause();
	}
	close(go[0]);
	close(res[1]);
	live.sleeper = pid;
	live.sleeper_go = go[1];
	live.sleeper_res = res[0];
	int r = vb_cgroup_attach(live.cg, pid, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	for (size_t i = 0; i < live.npaths; i++) {
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", live.paths[i]);
		CHECK_MSG(file_lists_pid(p, pid), "%d not in %s", (int)pid, p);
	}
	_cleanup_free_ char *status = xasprintf("/proc/%d/status", (int)pid);
	_cleanup_free_ char *s = NULL;
	CHECK(vb_read_file(status, 1 << 16, &s, NULL) == 0 &&
	      strstr(s, "\nCpus_allowed_list:\t0\n"));
}

static void live_devices(void)
{
	LIVE_NEED_CG();
	if (!live.sleeper)
		SKIP("no attached child");
	if (access("/dev/kmsg", F_OK) < 0)
		SKIP("no /dev/kmsg to be refused");
	char buf[64] = "";
	CHECK(write(live.sleeper_go, "g", 1) == 1);
	ssize_t n = read(live.sleeper_res, buf, sizeof(buf) - 1);
	if (n > 0)
		buf[n] = '\0';
	char want[64];
	snprintf(want, sizeof(want), "null=1 kmsg=%d", EPERM);
	CHECK_MSG(!strcmp(buf, want), "child saw '%s', want '%s'", buf, want);
}

static void live_fork_bomb(void)
{
	LIVE_NEED_CG();
	struct vb_error *err = NULL;
	int go[2], res[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		CHECK(0);
		return;
	}
	pid_t pid = fork_child();
	if (pid == 0) {
		char c;
		int count = 0, why = 0;
		close(go[1]);
		close(res[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (;;) {
			pid_t p = fork();
			if (p < 0) {
				why = errno;
				break;
			}
			if (p == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				for (;;)
					pause();
			}
			if (++count > 1000)
				break;
		}
		char out[64];
		snprintf(out, sizeof(out), "%d %d", count, why);
		if (write(res[1], out, strlen(out)) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[0]);
	close(res[1]);
	live.bomb = pid;
	int r = vb_cgroup_attach(live.cg, pid, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	char buf[64] = "";
	CHECK(write(go[1], "g", 1) == 1);
	ssize_t n = read(res[0], buf, sizeof(buf) - 1);
	if (n > 0)
		buf[n] = '\0';
	close(go[1]);
	close(res[0]);
	int count = -1, why = -1;
	CHECK(sscanf(buf, "%d %d", &count, &why) == 2);
	/* The sleeper and the bomb itself count too. */
	CHECK_MSG(why == EAGAIN && count >= 1 && count <= 14, "forked %d, then errno %d", count,
		  why);
	printf("# the bomb forked %d times, then: %s\n", count, strerror(why));
	CHECK_STR(live_read("pids", "pids.current"), "16");
	/* The host still forks. */
	pid_t h = fork();
	if (h == 0)
		_exit(7);
	int st = 0;
	CHECK(h > 0 && waitpid(h, &st, 0) == h && WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

static void live_kill(void)
{
	LIVE_NEED_CG();
	struct vb_error *err = NULL;
	int ip = hier_index(&live.l, "pids");
	pid_t listed[64];
	size_t nlisted = 0;
	if (ip >= 0) {
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", live.cg->paths[ip]);
		_cleanup_free_ char *s = NULL;
		if (vb_read_file(p, 1 << 16, &s, NULL) == 0)
			for (char *t = s; *t && nlisted < 64;
			     t += strcspn(t, "\n"), t += *t == '\n')
				listed[nlisted++] = (pid_t)atoi(t);
	}
	CHECK(nlisted >= 2);
	int r = vb_cgroup_kill(live.cg, 5000, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	for (size_t i = 0; i < live.npaths; i++) {
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", live.paths[i]);
		_cleanup_free_ char *s = NULL;
		CHECK_MSG(vb_read_file(p, 1 << 16, &s, NULL) == 0 && !*s, "%s: %s", p, s ? s : "");
	}
	for (size_t i = 0; i < nlisted; i++)
		CHECK_MSG(dead(listed[i]), "pid %d state %c", (int)listed[i],
			  proc_state(listed[i]));
	int st = 0;
	CHECK(live.sleeper > 0 && waitpid(live.sleeper, &st, 0) == live.sleeper &&
	      WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(live.bomb > 0 && waitpid(live.bomb, &st, 0) == live.bomb && WIFSIGNALED(st) &&
	      WTERMSIG(st) == SIGKILL);
	live.sleeper = live.bomb = 0;
}

static void live_destroy(void)
{
	LIVE_NEED_CG();
	vb_cgroup_destroy(live.cg);
	live.cg = NULL;
	for (size_t i = 0; i < live.npaths; i++)
		CHECK_MSG(access(live.paths[i], F_OK) < 0, "%s is still there", live.paths[i]);
}

/* Create name in l (pids.max if not 0), with a child inside that has forked `kids` children. */
static struct vb_cgroup *live_populated(const struct vb_cgroup_layout *l, const char *name,
					int kids, uint64_t pids_max, pid_t *child)
{
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	struct vb_cgroup_limits lim = { .pids_max = pids_max };
	int r = vb_cgroup_create(l, name, &lim, &cg, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	if (r)
		return NULL;
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return cg;
	pid_t pid = fork_child();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < kids; i++)
			if (fork_child() == 0)
				break;
		for (;;)
			pause();
	}
	close(go[0]);
	*child = pid;
	r = vb_cgroup_attach(cg, pid, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	/* Wait until the children are in. */
	_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", cg->paths[0]);
	for (int i = 0; i < 500; i++) {
		_cleanup_free_ char *s = NULL;
		size_t lines = 0;
		if (vb_read_file(procs, 1 << 16, &s, NULL) == 0)
			for (char *t = s; *t; t++)
				lines += *t == '\n';
		if (lines >= (size_t)kids + 1)
			break;
		usleep(2000);
	}
	return cg;
}

/* The freeze → kill → thaw path, without the cgroup2 mount's cgroup.kill. */
static void live_freezer_kill(void)
{
	LIVE_SKIP();
	struct vb_error *err = NULL;
	struct vb_cgroup_layout l2;
	int r = vb_cgroup_layout_init(&l2, LIVE_ROOT, NULL, &err);
	CHECK(r == 0);
	vb_error_free(&err);
	if (r)
		return;
	free(l2.unified_parent);
	l2.unified_parent = NULL;
	pid_t child = 0;
	struct vb_cgroup *cg = live_populated(&l2, "vb-00000000-1", 3, 64, &child);
	if (cg) {
		CHECK(cg->unified_path == NULL);
		r = vb_cgroup_kill(cg, 5000, &err);
		CHECK_MSG(r == 0, "%s", err ? err->msg : "");
		vb_error_free(&err);
		for (size_t i = 0; i < cg->npaths; i++) {
			_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", cg->paths[i]);
			_cleanup_free_ char *s = NULL;
			CHECK_MSG(vb_read_file(p, 1 << 16, &s, NULL) == 0 && !*s, "%s: %s", p,
				  s ? s : "");
			if (strstr(cg->paths[i], "/freezer/")) {
				_cleanup_free_ char *f =
				    xasprintf("%s/freezer.state", cg->paths[i]);
				_cleanup_free_ char *state = NULL;
				CHECK(vb_read_file(f, 64, &state, NULL) == 0 &&
				      !strcmp(state, "THAWED\n"));
			}
		}
		CHECK(child > 0 && dead(child));
	}
	reap(&child);
	vb_cgroup_destroy(cg);
	vb_cgroup_layout_release(&l2);
}

/* A kernel refusal names the value and the file; the failed create leaves nothing. */
static void live_write_error(void)
{
	LIVE_SKIP();
	struct vb_error *err = NULL;
	struct vb_cgroup *cg = NULL;
	struct vb_cgroup_limits lim = { .cpus = "99" };
	int r = vb_cgroup_create(&live.l, "vb-00000000-2", &lim, &cg, &err);
	CHECK(r < 0 && cg == NULL);
	int cs = hier_index(&live.l, "cpuset");
	if (cs >= 0) {
		_cleanup_free_ char *want = xasprintf(
		    "cannot write 99 to %s/vb-00000000-2/cpuset.cpus: ", live.l.hier[cs].parent);
		CHECK_MSG(err && !strncmp(err->msg, want, strlen(want)), "%s", err ? err->msg : "");
	}
	if (err)
		printf("# %s\n", err->msg);
	vb_error_free(&err);
	for (size_t i = 0; i < live.l.nhier; i++) {
		_cleanup_free_ char *p = xasprintf("%s/vb-00000000-2", live.l.hier[i].parent);
		CHECK_MSG(access(p, F_OK) < 0, "%s left", p);
	}
}

static bool live_alive(const char *tag, void *data)
{
	(void)data;
	/* Only the test's own dead run: other runs on this host are never touched. */
	return strcmp(tag, "vb-00000001") != 0;
}

static void live_sweep(void)
{
	LIVE_SKIP();
	struct vb_error *err = NULL;
	pid_t child = 0, child2 = 0;
	struct vb_cgroup *dead_cg = live_populated(&live.l, "vb-00000001-0", 2, 64, &child);
	struct vb_cgroup *alive_cg = live_populated(&live.l, "vb-00000002-0", 0, 64, &child2);
	char *gone[VB_CGROUP_MAX_HIER + 1] = { 0 };
	size_t ngone = 0;
	if (dead_cg) {
		for (size_t i = 0; i < dead_cg->npaths; i++)
			gone[ngone++] = xstrdup(dead_cg->paths[i]);
		if (dead_cg->unified_path)
			gone[ngone++] = xstrdup(dead_cg->unified_path);
		/* Forget the handle without removing anything: the run "died". */
		for (size_t i = 0; i < dead_cg->npaths; i++)
			free(dead_cg->paths[i]);
		free(dead_cg->unified_path);
		free(dead_cg->name);
		free(dead_cg);
	}
	int n = -1;
	int r = vb_cgroup_sweep(&live.l, live_alive, NULL, &n, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_MSG(n == 1, "swept %d", n);
	for (size_t i = 0; i < ngone; i++) {
		CHECK_MSG(access(gone[i], F_OK) < 0, "%s is still there", gone[i]);
		free(gone[i]);
	}
	CHECK(child > 0 && dead(child));
	if (alive_cg) {
		CHECK(access(alive_cg->paths[0], F_OK) == 0);
		CHECK(child2 > 0 && !dead(child2));
	}
	reap(&child);
	vb_cgroup_destroy(alive_cg);
	reap(&child2);
}

/* On a hybrid host the cgroup2 mount beside is a real v2 hierarchy without controllers. */
static void live_v2_detect(void)
{
	LIVE_SKIP();
	struct vb_error *err = NULL;
	struct vb_cgroup_layout l2;
	if (!live.l.unified)
		SKIP("no cgroup2 mount beside the v1 hierarchies");
	int r = vb_cgroup_layout_init(&l2, live.l.unified, NULL, &err);
	CHECK_MSG(r == VB_SKIP && err && strstr(err->msg, "controllers not available") &&
		      strstr(err->msg, ": cpu, memory, pids"),
		  "r = %d: %s", r, err ? err->msg : "");
	if (err)
		printf("# %s\n", err->msg);
	vb_error_free(&err);
	vb_cgroup_layout_release(&l2);
}

/*
 * The v2 code on that mount, with a layout built by hand (no controllers, so
 * no limits): create, attach, kill through cgroup.kill, sweep.
 */
static void live_v2_kill_sweep(void)
{
	LIVE_SKIP();
	struct vb_error *err = NULL;
	if (!live.l.unified_parent)
		SKIP("no cgroup2 mount beside the v1 hierarchies");
	struct vb_cgroup_layout l2 = { .version = VB_CGROUP_V2, .nhier = 1 };
	l2.root = xstrdup(live.l.unified);
	l2.hier[0].controller = xstrdup("unified");
	l2.hier[0].parent = xstrdup(live.l.unified_parent);
	l2.v2_controllers = xstrdup("");
	pid_t child = 0, child2 = 0;
	struct vb_cgroup *cg = live_populated(&l2, "vb-00000000-3", 2, 0, &child);
	if (cg) {
		CHECK(cg->npaths == 1 && cg_has_kill(cg->paths[0]));
		int r = vb_cgroup_kill(cg, 5000, &err);
		CHECK_MSG(r == 0, "%s", err ? err->msg : "");
		vb_error_free(&err);
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", cg->paths[0]);
		_cleanup_free_ char *s = NULL;
		CHECK(vb_read_file(p, 1 << 16, &s, NULL) == 0 && !*s);
		CHECK(child > 0 && dead(child));
		reap(&child);
		vb_cgroup_destroy(cg);
	}
	cg = live_populated(&l2, "vb-00000001-3", 1, 0, &child2);
	if (cg) {
		char *dir = xstrdup(cg->paths[0]);
		free(cg->paths[0]);
		free(cg->name);
		free(cg);
		int n = -1;
		int r = vb_cgroup_sweep(&l2, live_alive, NULL, &n, &err);
		CHECK_MSG(r == 0 && n == 1, "r = %d, n = %d: %s", r, n, err ? err->msg : "");
		vb_error_free(&err);
		CHECK_MSG(access(dir, F_OK) < 0, "%s is still there", dir);
		CHECK(child2 > 0 && dead(child2));
		free(dir);
	}
	reap(&child2);
	vb_cgroup_layout_release(&l2);
}

static void live_cleanup(void)
{
	LIVE_SKIP();
	if (live.sleeper_go > 0)
		close(live.sleeper_go);
	if (live.sleeper_res > 0)
		close(live.sleeper_res);
	reap(&live.sleeper);
	reap(&live.bomb);
	vb_cgroup_destroy(live.cg);
	live.cg = NULL;
	bool left = false;
	for (size_t i = 0; i < live.npaths; i++) {
		left = left || access(live.paths[i], F_OK) == 0;
		free(live.paths[i]);
	}
	CHECK(!left);
	vb_cgroup_layout_release(&live.l);
}

/* ---- runner ---- */

int vb_test_failed;
const char *vb_test_skip;

static int run(const struct vb_test *tests, size_t n)
{
	int bad = 0;
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		vb_test_failed = 0;
		vb_test_skip = NULL;
		tests[i].fn();
		if (vb_test_skip && !vb_test_failed)
			printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name, vb_test_skip);
		else
			printf("%sok %zu - %s\n", vb_test_failed ? "not " : "", i + 1,
			       tests[i].name);
		bad += vb_test_failed;
		fflush(stdout);
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct vb_test unit[] = {
		T(test_layout_v1_hybrid),
		T(test_layout_v1_comounted),
		T(test_layout_v1_missing_controller),
		T(test_layout_v2),
		T(test_layout_v2_missing_controller),
		T(test_layout_bad_self_cgroup),
		T(test_layout_plain_dir_is_not_cgroupfs),
		T(test_create_v1),
		T(test_create_v1_cpus_no_memsw),
		T(test_create_v1_comounted),
		T(test_create_bad_input),
		T(test_write_errors),
		T(test_create_v2),
		T(test_create_v2_missing_cpuset),
		T(test_attach_v1_only),
		T(test_freeze),
		T(test_update_v1),
		T(test_update_v2),
		T(test_kill_v1_freezer),
		T(test_kill_v2),
		T(test_sweep_v1),
		T(test_sweep_v2),
	};
	static const struct vb_test live_tests[] = {
		{ "live: layout of /sys/fs/cgroup (v1, 8 hierarchies)", live_layout },
		{ "live: create vb-00000000-0 writes every limit", live_create },
		{ "live: attached child is in cgroup.procs of every hierarchy", live_attach },
		{ "live: devices allow-list opens /dev/null, refuses /dev/kmsg", live_devices },
		{ "live: fork bomb held by pids.max; host can still fork", live_fork_bomb },
		{ "live: kill empties the cgroup; every process is dead", live_kill },
		{ "live: destroy leaves no directory in any hierarchy", live_destroy },
		{ "live: freezer kill (no cgroup.kill) empties and thaws", live_freezer_kill },
		{ "live: a refused write names value and file, leaves nothing", live_write_error },
		{ "live: sweep removes only the dead run's cgroup and kills it", live_sweep },
		{ "live: v2 detection on the bare cgroup2 mount skips, naming controllers",
		  live_v2_detect },
		{ "live: v2 create, attach, cgroup.kill and sweep on the cgroup2 mount",
		  live_v2_kill_sweep },
		{ "live: nothing of the scenario is left", live_cleanup },
	};
	if (argc > 1 && !strcmp(argv[1], "--live"))
		return run(live_tests, VB_ARRAY_SIZE(live_tests));
	return run(unit, VB_ARRAY_SIZE(unit));
}
