/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/util.h"
#include "guest/image.h"
#include "guest/kernel.h"

void vb_kernel_release(struct vb_kernel *k)
{
	free(k->image);
	free(k->modules);
	free(k->version);
	memset(k, 0, sizeof(*k));
}

/* Run argv in dir with stdout captured (up to len bytes) into out, if given. */
static int run_tool(char *const argv[], const char *dir, char *out, size_t len,
		    struct vb_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "pipe");
	pid_t p = fork();
	if (p < 0)
		return vb_error_errno(err, errno, "fork");
	if (p == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		dup2(pfd[1], STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0 && !out)
			dup2(null, STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	char buf[4096];
	for (;;) {
		ssize_t r = read(pfd[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; out && i < r && n + 1 < len; i++)
			out[n++] = buf[i];
	}
	close(pfd[0]);
	if (out)
		out[n] = '\0';
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return vb_error_set(err, -EIO, "%s failed (exit %d)", argv[0],
				    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

/* The one .deb in dir whose name starts with prefix. */
static char *find_deb(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && strstr(e->d_name, ".deb"))
			found = xasprintf("%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
	return found;
}

/* An unpacked kernel in kdir: its vmlinuz and modules. */
static int use_unpacked(const char *kdir, const char *version, struct vb_kernel *out)
{
	_cleanup_free_ char *image = xasprintf("%s/boot/vmlinuz-%s", kdir, version);
	_cleanup_free_ char *mods = xasprintf("%s/lib/modules/%s", kdir, version);
	if (access(image, R_OK) || access(mods, R_OK))
		return -ENOENT;
	out->image = steal_ptr(&image);
	out->modules = steal_ptr(&mods);
	out->version = xstrdup(version);
	return 0;
}

static const char *custom_image, *custom_modules;

void vb_kernel_set_custom(const char *image, const char *modules)
{
	custom_image = image;
	custom_modules = modules;
}

bool vb_kernel_is_custom(void)
{
	const char *env = getenv("VIRTBENCH_KERNEL");
	return custom_image || (env && *env);
}

int vb_kernel_get(struct vb_kernel *out, struct vb_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *custom = custom_image ? custom_image : getenv("VIRTBENCH_KERNEL");
	if (custom && *custom) {
		if (access(custom, R_OK))
			return vb_error_exit(err, -errno, VB_EXIT_USAGE, "guest kernel %s: %s",
					     custom, strerror(errno));
		out->image = xstrdup(custom);
		const char *mods =
		    custom_image ? custom_modules : getenv("VIRTBENCH_KERNEL_MODULES");
		out->modules = mods && *mods ? xstrdup(mods) : NULL;
		out->version = xstrdup("custom");
		return 0;
	}
	_cleanup_free_ char *base = xasprintf("%s/kernel", vb_cache_dir());
	/* Already unpacked: the newest version directory there. */
	DIR *d = opendir(base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *kdir = xasprintf("%s/%s", base, e->d_name);
		if (use_unpacked(kdir, e->d_name, out) == 0)
			break;
	}
	if (d)
		closedir(d);
	if (out->image)
		return 0;

	int r = vb_mkdir_p(base, 0755);
	if (r)
		return vb_error_errno(err, -r, "creating %s", base);
	_cleanup_free_ char *tmp = xasprintf("%s/.fetch-%ld", base, (long)getpid());
	vb_rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0)
		return vb_error_errno(err, errno, "creating %s", tmp);
	char depends[512];
	char *meta_argv[] = { "apt-get", "download", "linux-image-amd64", NULL };
	r = run_tool(meta_argv, tmp, NULL, 0, err);
	_cleanup_free_ char *meta = r ? NULL : find_deb(tmp, "linux-image-amd64_");
	if (!r && !meta)
		r = vb_error_set(err, -ENOENT, "apt-get download linux-image-amd64 left no .deb");
	if (!r) {
		char *f_argv[] = { "dpkg-deb", "-f", meta, "Depends", NULL };
		r = run_tool(f_argv, tmp, depends, sizeof(depends), err);
	}
	/* "linux-image-6.1.0-56-amd64 (= 6.1.192-2)": the real package. */
	char pkg[128] = "";
	if (!r &&
	    (sscanf(depends, "%127[a-z0-9.+-]", pkg) != 1 || strncmp(pkg, "linux-image-", 12)))
		r = vb_error_set(err, -EINVAL, "linux-image-amd64 depends on '%.100s'", depends);
	if (!r) {
		char *dl_argv[] = { "apt-get", "download", pkg, NULL };
		r = run_tool(dl_argv, tmp, NULL, 0, err);
	}
	_cleanup_free_ char *prefix = xasprintf("%s_", pkg);
	_cleanup_free_ char *deb = r ? NULL : find_deb(tmp, prefix);
	_cleanup_free_ char *root = xasprintf("%s/root", tmp);
	if (!r && !deb)
		r = vb_error_set(err, -ENOENT, "apt-get download %s left no .deb", pkg);
	if (!r) {
		char *x_argv[] = { "dpkg-deb", "-x", deb, root, NULL };
		r = run_tool(x_argv, tmp, NULL, 0, err);
	}
	const char *version = pkg + strlen("linux-image-");
	_cleanup_free_ char *final = xasprintf("%s/%s", base, version);
	if (!r && rename(root, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = vb_error_errno(err, errno, "moving the kernel into %s", final);
	vb_rm_rf(tmp);
	if (r)
		return vb_error_wrap(err, "getting Debian's guest kernel");
	if (use_unpacked(final, version, out))
		return vb_error_set(err, -ENOENT, "%s has no vmlinuz or modules", final);
	return 0;
}
