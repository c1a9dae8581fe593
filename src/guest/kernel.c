/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/proc.h"
#include "core/util.h"
#include "guest/deb.h"
#include "guest/image-build.h"
#include "guest/kernel.h"

void vb_kernel_release(struct vb_kernel *k)
{
	free(k->image);
	free(k->modules);
	free(k->version);
	memset(k, 0, sizeof(*k));
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

bool vb_kernel_is_custom(const char *custom)
{
	const char *env = getenv("VIRTBENCH_KERNEL");
	return custom || (env && *env);
}

int vb_kernel_get(const char *custom_image, const char *custom_modules, struct vb_kernel *out,
		  struct vb_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *custom = custom_image ? custom_image : getenv("VIRTBENCH_KERNEL");
	if (custom && *custom) {
		int fd = vb_open_regular("guest kernel", custom, err);
		if (fd < 0)
			return fd;
		close(fd);
		out->image = xstrdup(custom);
		const char *mods =
		    custom_image ? custom_modules : getenv("VIRTBENCH_KERNEL_MODULES");
		out->modules = mods && *mods ? xstrdup(mods) : NULL;
		out->version = xstrdup("custom");
		return 0;
	}
	int cr = vb_cache_dir_check(err);
	if (cr)
		return cr;
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
	r = vb_deb_tool(meta_argv, tmp, NULL, 0, err);
	_cleanup_free_ char *meta = r ? NULL : vb_deb_find(tmp, "linux-image-amd64_");
	if (!r && !meta)
		r = vb_error_set(err, -ENOENT, "apt-get download linux-image-amd64 left no .deb");
	if (!r) {
		char *f_argv[] = { "dpkg-deb", "-f", meta, "Depends", NULL };
		r = vb_deb_tool(f_argv, tmp, depends, sizeof(depends), err);
	}
	/* "linux-image-6.1.0-56-amd64 (= 6.1.192-2)": the real package. */
	char pkg[128] = "";
	if (!r &&
	    (sscanf(depends, "%127[a-z0-9.+-]", pkg) != 1 || strncmp(pkg, "linux-image-", 12)))
		r = vb_error_set(err, -EINVAL, "linux-image-amd64 depends on '%.100s'", depends);
	if (!r) {
		char *dl_argv[] = { "apt-get", "download", pkg, NULL };
		r = vb_deb_tool(dl_argv, tmp, NULL, 0, err);
	}
	_cleanup_free_ char *prefix = xasprintf("%s_", pkg);
	_cleanup_free_ char *deb = r ? NULL : vb_deb_find(tmp, prefix);
	_cleanup_free_ char *root = xasprintf("%s/root", tmp);
	if (!r && !deb)
		r = vb_error_set(err, -ENOENT, "apt-get download %s left no .deb", pkg);
	if (!r) {
		char *x_argv[] = { "dpkg-deb", "-x", deb, root, NULL };
		r = vb_deb_tool(x_argv, tmp, NULL, 0, err);
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

static bool is_elf(const char *path)
{
	/* A regular file only: the image may have been swapped for a FIFO since it was checked. */
	_cleanup_close_ int fd = vb_open_regular("the kernel", path, NULL);
	unsigned char m[SELFMAG];
	return fd >= 0 && pread(fd, m, SELFMAG, 0) == SELFMAG && !memcmp(m, ELFMAG, SELFMAG);
}

/*
 * The uncompressed kernel: Xen and libxc load an ELF directly, and QEMU
 * boots one through its PVH entry, while a bzImage's xz would be
 * decompressed under emulation (3.7 s in Xen for dom0, 15-30 s in dom0's xl
 * for the domU, about half of a qemu-tcg boot). Debian's payload has x86 BCJ filters,
 * which busybox's unxz lacks: the host's xz decompresses it. An image that
 * is an ELF already is used as it is.
 */
int vb_kernel_vmlinux(const struct vb_kernel *k, char **out, struct vb_error **err)
{
	if (is_elf(k->image)) {
		*out = xstrdup(k->image);
		return 0;
	}
	char id[32];
	int r = vb_file_identity(k->image, id, sizeof(id));
	if (r)
		return vb_error_errno(err, -r, "reading %s", k->image);
	if ((r = vb_cache_dir_check(err)))
		return r;
	_cleanup_free_ char *dir = xasprintf("%s/xen", vb_cache_dir());
	_cleanup_free_ char *path = xasprintf("%s/vmlinux-%s-%s", dir, k->version, id);
	if (access(path, R_OK) == 0) {
		*out = steal_ptr(&path);
		return 0;
	}
	if ((r = vb_mkdir_p(dir, 0755)))
		return vb_error_errno(err, -r, "creating %s", dir);
	_cleanup_free_ char *image = NULL;
	size_t len = 0;
	if ((r = vb_read_file(k->image, 256u << 20, &image, &len)))
		return vb_error_errno(err, -r, "reading %s", k->image);
	static const char magic[] = { '\xfd', '7', 'z', 'X', 'Z', '\0' };
	const char *at = memmem(image, len, magic, sizeof(magic));
	if (!at)
		return vb_error_set(err, -EINVAL,
				    "%s is neither an ELF vmlinux nor a bzImage with an xz payload",
				    k->image);
	_cleanup_free_ char *xz = vb_proc_which("xz");
	if (!xz)
		return vb_error_set(err, -ENOENT, "xz is not installed (xz-utils)");
	_cleanup_close_ int in = vb_open_regular("the kernel", k->image, err);
	if (in < 0)
		return in;
	if (lseek(in, at - image, SEEK_SET) < 0)
		return vb_error_errno(err, errno, "reading %s", k->image);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	_cleanup_close_ int o = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o < 0)
		return vb_error_errno(err, errno, "creating %s", tmp);
	/* --single-stream: the bzImage goes on after the payload. */
	char *argv[] = { xz, "-dc", "--single-stream", NULL };
	int st = 0;
	r = vb_proc_run_redirected(argv, in, o, &st, err);
	if (!r && (!WIFEXITED(st) || WEXITSTATUS(st)))
		r = vb_error_set(err, -EIO, "xz -dc failed on the payload of %s (status %d)",
				 k->image, st);
	if (!r && fsync(o) < 0)
		r = vb_error_errno(err, errno, "writing %s", tmp);
	if (!r && !is_elf(tmp))
		r = vb_error_set(err, -EINVAL, "the payload of %s is not an ELF kernel", k->image);
	if (!r && rename(tmp, path) < 0)
		r = vb_error_errno(err, errno, "renaming %s", tmp);
	unlink(tmp);
	if (r)
		return r;
	*out = steal_ptr(&path);
	return 0;
}
