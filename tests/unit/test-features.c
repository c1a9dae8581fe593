/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the pure parts of `virtbench features`: the parsers of
 * /proc/cpuinfo, kernel config, /proc/mounts, /proc/PID/status, CRIU output
 * and QMP replies (captured text under tests/data/features), and the table.
 */
#include <sys/wait.h>
#include <time.h>
#include <zlib.h>

#include "test.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/util.h"
#include "platform/features-parse.h"
#include "experiment/features.h"
#include "report/report.h"
#include "virtbench/platform.h"

static char *fixture(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/features/%s", VB_TEST_DATA, name);
	char *text = NULL;
	int r = vb_read_file(path, 1 << 20, &text, NULL);
	CHECK_MSG(r == 0, "%s: %d", path, r);
	return r ? xstrdup("") : text;
}

static void test_cpu_flags(void)
{
	_cleanup_free_ char *pvm = fixture("cpuinfo-pvm");
	_cleanup_free_ char *vmx = fixture("cpuinfo-vmx");
	CHECK(vb_features_cpu_flag(pvm, "fpu"));	/* the first flag */
	CHECK(vb_features_cpu_flag(pvm, "hypervisor")); /* a later one */
	CHECK(!vb_features_cpu_flag(pvm, "vmx"));
	CHECK(!vb_features_cpu_flag(pvm, "svm"));
	CHECK(vb_features_cpu_flag(vmx, "vmx"));
	CHECK(!vb_features_cpu_flag(vmx, "svm"));
	/* Whole words only: sse2 is there, "ss" is its own flag, "sse4" is not. */
	CHECK(vb_features_cpu_flag(pvm, "sse2"));
	CHECK(!vb_features_cpu_flag(pvm, "sse4"));
	/* The "vmx flags" line is not the flags line. */
	CHECK(!vb_features_cpu_flag(vmx, "ept_ad"));
	CHECK(!vb_features_cpu_flag("", "vmx"));
	CHECK(!vb_features_cpu_flag("processor\t: 0\nflags\t\t:\n", "vmx"));
	CHECK(vb_features_cpu_flag("flags\t: svm", "svm")); /* no newline at the end */
}

static void test_kconfig(void)
{
	_cleanup_free_ char *pvm = fixture("config-pvm");
	_cleanup_free_ char *xen = fixture("config-xen-dom0");
	CHECK(vb_features_kconfig(pvm, "CONFIG_KVM") == 'y');
	CHECK(vb_features_kconfig(pvm, "CONFIG_KVM_INTEL") == 'n');
	CHECK(vb_features_kconfig(pvm, "CONFIG_KVM_PVM") == 'y');
	CHECK(vb_features_kconfig(pvm, "CONFIG_XEN") == 'n');
	CHECK(vb_features_kconfig(pvm, "CONFIG_XEN_DOM0") == '\0');
	/* A prefix of a longer symbol is not the symbol. */
	CHECK(vb_features_kconfig(pvm, "CONFIG_KV") == '\0');
	CHECK(vb_features_kconfig(pvm, "CONFIG_KVM_MAX_NR_VCPUS") == 'v');
	CHECK(vb_features_kconfig(pvm, "CONFIG_LOCALVERSION") == 'v');
	CHECK(vb_features_kconfig(xen, "CONFIG_XEN") == 'y');
	CHECK(vb_features_kconfig(xen, "CONFIG_XEN_DOM0") == 'y');
	CHECK(vb_features_kconfig(xen, "CONFIG_KVM") == 'm');
	CHECK(vb_features_kconfig(xen, "CONFIG_KVM_PVM") == 'n');
	CHECK(vb_features_kconfig("CONFIG_N=no\n", "CONFIG_N") == 'v');
	CHECK(vb_features_kconfig("", "CONFIG_KVM") == '\0');
}

/* /proc/config.gz is read through zlib: the gzip copy reads as the plain file. */
static void test_read_gz(void)
{
	_cleanup_free_ char *plain = fixture("config-pvm");
	const char *base = getenv("TMPDIR");
	_cleanup_free_ char *path =
	    xasprintf("%s/vb-test-features-%d.gz", base && *base ? base : "/tmp", (int)getpid());
	gzFile f = gzopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(gzwrite(f, plain, (unsigned)strlen(plain)) == (int)strlen(plain));
	gzclose(f);
	_cleanup_free_ char *back = NULL, *same = NULL;
	CHECK(vb_features_read_text(path, &back) == 0);
	CHECK(back && !strcmp(back, plain));
	_cleanup_free_ char *ppath = xasprintf("%s/features/config-pvm", VB_TEST_DATA);
	CHECK(vb_features_read_text(ppath, &same) == 0);
	CHECK(same && !strcmp(same, plain));
	unlink(path);
	char *none = NULL;
	CHECK(vb_features_read_text("/nonexistent/config", &none) < 0);
	CHECK(none == NULL);
}

static void test_cgroup_mounts(void)
{
	_cleanup_free_ char *m = fixture("mounts-v1");
	unsigned v1 = 99, v2 = 99;
	vb_features_cgroup_mounts(m, &v1, &v2);
	CHECK_MSG(v1 == 9 && v2 == 1, "v1 %u v2 %u", v1, v2);
	vb_features_cgroup_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n", &v1, &v2);
	CHECK(v1 == 0 && v2 == 1);
	/* A mount whose source is named cgroup is not a cgroup mount. */
	vb_features_cgroup_mounts("cgroup /mnt tmpfs rw 0 0", &v1, &v2);
	CHECK(v1 == 0 && v2 == 0);
}

static void test_meminfo_nspid(void)
{
	const char *mi = "MemTotal:       24684092 kB\nMemFree:        1 kB\n";
	CHECK(vb_features_meminfo(mi, "MemTotal") == 24684092ull * 1024);
	CHECK(vb_features_meminfo(mi, "MemFree") == 1024);
	CHECK(vb_features_meminfo(mi, "Mem") == 0);
	unsigned depth = 9;
	CHECK(vb_features_nspid("Name:\tsleep\nNSpid:\t4242\t1\nNSpgid:\t4242\t1\n", &depth) == 1);
	CHECK(depth == 2);
	CHECK(vb_features_nspid("NSpid:\t30046\n", &depth) == 30046 && depth == 1);
	CHECK(vb_features_nspid("Name:\tx\n", &depth) == -1 && depth == 0);
}

static void test_criu_error(void)
{
	_cleanup_free_ char *out = fixture("criu-check-vdso");
	_cleanup_free_ char *e = vb_features_criu_error(out);
	/* The first telling line, past the "exited, status=1" of its helpers. */
	CHECK_MSG(e && !strcmp(e, "vdso: Unexpected rt vDSO area bounds"), "%s", e ? e : "(null)");
	_cleanup_free_ char *log = vb_features_criu_error(
	    "(00.005) Warn: something\n(00.010) Error (criu/cr-dump.c:2040): Dumping FAILED.\n");
	CHECK(log && !strcmp(log, "Dumping FAILED."));
	CHECK(vb_features_criu_error("Looks good.\n") == NULL);
	CHECK(vb_features_criu_error("") == NULL);
}

static void test_migrate_status(void)
{
	_cleanup_free_ char *text = fixture("query-migrate-completed.json");
	_cleanup_json_ json_t *rv = json_loads(text, 0, NULL);
	CHECK(rv != NULL);
	const char *st = vb_features_migrate_status(rv);
	CHECK(st && !strcmp(st, "completed"));
	_cleanup_json_ json_t *empty = json_object();
	CHECK(vb_features_migrate_status(empty) == NULL);
	_cleanup_json_ json_t *bad = json_pack("{s:i}", "status", 3);
	CHECK(vb_features_migrate_status(bad) == NULL);
}

static void test_platforms(void)
{
	/* The columns: the registry's platforms with a features op, in its order. */
	static const char *const want[] = { "host", "container", "kvm", "qemu-tcg", "xen" };
	const char *got[16];
	size_t n = 0;
	for (size_t i = 0; vb_platforms[i] && n < 16; i++)
		if (vb_platforms[i]->features)
			got[n++] = vb_platforms[i]->name;
	CHECK(n == 5);
	for (size_t i = 0; i < 5 && i < n; i++)
		CHECK(!strcmp(got[i], want[i]));
	CHECK(vb_features_platform_known("qemu-tcg"));
	CHECK(!vb_features_platform_known("lxc"));
	CHECK(!vb_features_platform_known(""));
}

static void test_names(void)
{
	CHECK(!strcmp(vb_feature_id(VB_FEATURE_CHECKPOINT), "checkpoint-restore"));
	CHECK(!strcmp(vb_feature_id(VB_FEATURE_MAINLINE), "mainline-linux"));
	CHECK(vb_feature_id(VB_FEATURE_COUNT) == NULL);
	CHECK(!strcmp(vb_feature_value_name(VB_FV_NA), "n/a"));
	CHECK(!strcmp(vb_feature_how_name(VB_FH_BY_DESIGN), "by design"));
	for (int f = 0; f < VB_FEATURE_COUNT; f++)
		CHECK(vb_feature_title((enum vb_feature)f) != NULL);
}

static void test_cell_format(void)
{
	char buf[32];
	CHECK(!strcmp(vb_report_feature_cell("yes", "probed", buf, sizeof(buf)), "yes (p)"));
	CHECK(!strcmp(vb_report_feature_cell("n/a", "by design", buf, sizeof(buf)), "n/a (b)"));
	CHECK(!strcmp(vb_report_feature_cell("partial", "documented", buf, sizeof(buf)),
		      "partial (d)"));
	CHECK(!strcmp(vb_report_feature_cell("yes", "guessed", buf, sizeof(buf)), "yes (?)"));
}

static void test_table(void)
{
	char long_detail[400];
	for (int i = 0; i < 40; i++)
		memcpy(long_detail + 9 * i, "word1234 ", 9);
	long_detail[360] = '\0';
	struct vb_feature_row rows[] = {
		{ "host", "checkpoint-restore", "n/a", "by design", "Bare metal." },
		{ "qemu-tcg", "checkpoint-restore", "yes", "probed", long_detail },
		{ "host", "live-migration", "n/a", "by design", "No." },
		{ "qemu-tcg", "live-migration", "unknown", "documented", "Not tried." },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	vb_report_features(f, rows, 4);
	fclose(f);
	CHECK(strstr(buf, "feature") == buf);
	CHECK(strstr(buf, "  host ") && strstr(buf, "  qemu-tcg"));
	/* Rows carry the title, cells the value and the letter. */
	const char *row = strstr(buf, "\ncheckpoint/restore ");
	CHECK(row != NULL);
	if (row) {
		const char *eol = strchr(row + 1, '\n');
		_cleanup_free_ char *line = xstrndup(row + 1, (size_t)(eol - row - 1));
		CHECK_MSG(strstr(line, "n/a (b)") && strstr(line, "yes (p)") &&
			      strstr(line, "n/a (b)") < strstr(line, "yes (p)"),
			  "%s", line);
	}
	CHECK(strstr(buf, "unknown (d)") != NULL);
	CHECK(strstr(buf, "(p) probed:") && strstr(buf, "(b) by design:") &&
	      strstr(buf, "(d) documented:"));
	CHECK(strstr(buf, "  qemu-tcg (yes, probed): word1234") != NULL);
	/* Details wrap at 100 columns. */
	size_t widest = 0;
	for (const char *p = buf; *p;) {
		size_t w = strcspn(p, "\n");
		if (w > widest)
			widest = w;
		p += w + (p[w] ? 1 : 0);
	}
	CHECK_MSG(widest <= 100, "a line of %zu columns", widest);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	vb_report_features(f, NULL, 0);
	fclose(f);
	CHECK(!strcmp(buf, "(no features)\n"));
	free(buf);
}

/* The probes' process helpers: output captured, time bounded, programs found. */
static void test_proc_run(void)
{
	_cleanup_free_ char *sh = vb_proc_which("sh");
	CHECK(sh && sh[0] == '/');
	CHECK(vb_proc_which("vb-no-such-program") == NULL);
	if (!sh)
		return;
	char *argv[] = { sh, "-c", "echo out; echo err >&2; exit 3", NULL };
	_cleanup_free_ char *out = NULL;
	int status = 0;
	struct vb_error *err = NULL;
	CHECK(vb_proc_run(argv, 5000, 4096, &out, &status, &err) == 0);
	CHECK(out && strstr(out, "out\n") && strstr(out, "err\n"));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	free(out);
	out = NULL;
	/* Only the first max bytes are kept. */
	char *big[] = { sh, "-c", "yes | head -c 100000", NULL };
	CHECK(vb_proc_run(big, 5000, 10, &out, &status, &err) == 0);
	CHECK(out && strlen(out) == 10);
	free(out);
	out = NULL;
	/* Past its time it is killed, and the call says so at once. */
	char *slow[] = { sh, "-c", "echo started; exec sleep 30", NULL };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(vb_proc_run(slow, 300, 4096, &out, &status, &err) == -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	CHECK_MSG(s < 2, "took %.2f s", s);
	CHECK(err && strstr(err->msg, "did not finish"));
	CHECK(out && strstr(out, "started"));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	vb_error_free(&err);
	char *none[] = { "/nonexistent/program", NULL };
	free(out);
	out = NULL;
	CHECK(vb_proc_run(none, 1000, 64, &out, &status, &err) == -ENOENT);
	CHECK(err && strstr(err->msg, "cannot execute"));
	vb_error_free(&err);
}

TEST_MAIN(T(test_cpu_flags), T(test_kconfig), T(test_read_gz), T(test_cgroup_mounts),
	  T(test_meminfo_nspid), T(test_criu_error), T(test_migrate_status), T(test_platforms),
	  T(test_names), T(test_cell_format), T(test_table), T(test_proc_run))
