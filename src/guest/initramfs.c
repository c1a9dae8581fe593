/* SPDX-License-Identifier: MIT */
/*
 * The cpio "newc" archive is written by hand: its format is a 110-byte ASCII
 * header per entry, and the one library that writes it (libarchive) would
 * bring a dozen more static dependencies into the static binaries.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "core/util.h"
#include "guest/image.h"
#include "guest/initramfs.h"

/* The virtio drivers the agent needs, in load order (virtio_ring first here). */
static const char *const modules[] = {
	"drivers/virtio/virtio_ring.ko",
	"drivers/virtio/virtio.ko",
	"drivers/virtio/virtio_pci_legacy_dev.ko",
	"drivers/virtio/virtio_pci_modern_dev.ko",
	"drivers/virtio/virtio_pci.ko",
	"drivers/char/virtio_console.ko",
};

static const char init_script[] =
    "#!/bin/sh\n"
    "# virtbench guest init: drivers, /scratch, then the agent on its port.\n"
    "mount -t proc proc /proc\n"
    "mount -t sysfs sys /sys\n"
    "mount -t devtmpfs dev /dev\n"
    "for m in /lib/modules/*.ko; do insmod $m 2>/dev/null; done\n"
    "mount -t tmpfs -o mode=1777 scratch /scratch\n"
    "hostname \"$(cat /etc/hostname 2>/dev/null || echo guest)\"\n"
    "port=\n"
    "for i in 1 2 3 4 5 6 7 8 9 10; do\n"
    "  for p in /sys/class/virtio-ports/*; do\n"
    "    [ \"$(cat $p/name 2>/dev/null)\" = vb.agent ] && port=/dev/${p##*/}\n"
    "  done\n"
    "  [ -n \"$port\" ] && break\n"
    "  sleep 0.2\n"
    "done\n"
    "[ -n \"$port\" ] || { echo 'virtbench init: no vb.agent port'; exec sh; }\n"
    "export OPENBLAS_NUM_THREADS=1\n"
    "exec /sbin/virtbench-agent --sync --fd 3 3<>$port\n";

struct cpio {
	int fd;
	unsigned ino;
	off_t off;
	int err;
};

static void put(struct cpio *c, const void *p, size_t n)
{
	if (c->err)
		return;
	c->err = vb_write_all(c->fd, p, n);
	c->off += (off_t)n;
}

static void pad4(struct cpio *c)
{
	static const char zero[4];
	if (c->off % 4)
		put(c, zero, (size_t)(4 - c->off % 4));
}

static void entry(struct cpio *c, const char *name, unsigned mode, const void *data, size_t size)
{
	char h[128];
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
		 (unsigned)strlen(name) + 1, 0u);
	put(c, h, 110);
	put(c, name, strlen(name) + 1);
	pad4(c);
	put(c, data, size);
	pad4(c);
}

static int entry_file(struct cpio *c, const char *name, const char *path, unsigned mode)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = vb_read_file(path, 256u << 20, &data, &len);
	if (r)
		return r;
	entry(c, name, S_IFREG | mode, data, len);
	return c->err;
}

static int build(const char *out, const struct vb_kernel *k, const char *agent, const char *busybox,
		 struct vb_error **err)
{
	static const char *const dirs[] = { "bin", "sbin", "proc",	  "sys",  "dev",    "tmp",
					    "etc", "lib",  "lib/modules", "root", "scratch" };
	static const char *const applets[] = { "sh",	"mount", "insmod", "cat",
					       "ls",	"sleep", "echo",   "hostname",
					       "mkdir", "ps",	 "grep",   "poweroff" };
	struct cpio c = { .fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) };
	if (c.fd < 0)
		return vb_error_errno(err, errno, "initramfs: creating %s", out);
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs); i++)
		entry(&c, dirs[i], S_IFDIR | 0755, NULL, 0);
	int r = entry_file(&c, "bin/busybox", busybox, 0755);
	for (size_t i = 0; !r && i < VB_ARRAY_SIZE(applets); i++) {
		_cleanup_free_ char *n = xasprintf("bin/%s", applets[i]);
		entry(&c, n, S_IFLNK | 0777, "busybox", 7);
	}
	if (!r)
		r = entry_file(&c, "sbin/virtbench-agent", agent, 0755);
	for (size_t i = 0; !r && k->modules && i < VB_ARRAY_SIZE(modules); i++) {
		_cleanup_free_ char *src = xasprintf("%s/kernel/%s", k->modules, modules[i]);
		if (access(src, R_OK))
			continue; /* built into this kernel */
		const char *base = strrchr(modules[i], '/') + 1;
		/* A numeric prefix keeps the load order of /init's glob. */
		_cleanup_free_ char *n = xasprintf("lib/modules/%02zu-%s", i, base);
		r = entry_file(&c, n, src, 0644);
	}
	if (!r) {
		entry(&c, "init", S_IFREG | 0755, init_script, strlen(init_script));
		entry(&c, "TRAILER!!!", 0, NULL, 0);
		r = c.err;
	}
	if (!r && fsync(c.fd) < 0)
		r = -errno;
	close(c.fd);
	if (r)
		return vb_error_errno(err, -r, "initramfs: writing %s", out);
	return 0;
}

int vb_initramfs_get(const struct vb_kernel *k, const char *agent_path, char **path,
		     struct vb_error **err)
{
	struct stat sa, sb;
	const char *busybox = vb_busybox_path();
	if (!vb_elf_is_static(busybox))
		return vb_error_set(err, VB_SKIP,
				    "%s is not a static busybox (install busybox-static)", busybox);
	if (stat(agent_path, &sa) < 0 || stat(busybox, &sb) < 0)
		return vb_error_errno(err, errno, "initramfs: the agent or busybox");
	_cleanup_free_ char *dir = xasprintf("%s/initramfs", vb_cache_dir());
	/* Keyed like the container image: by the identity of its inputs. */
	_cleanup_free_ char *final =
	    xasprintf("%s/%s-%llx-%llx-%llx.cpio", dir, k->version, (unsigned long long)sa.st_ino,
		      (unsigned long long)sa.st_mtim.tv_sec * 1000000000ull + sa.st_mtim.tv_nsec,
		      (unsigned long long)sb.st_ino);
	if (access(final, R_OK) == 0) {
		*path = steal_ptr(&final);
		return 0;
	}
	int r = vb_mkdir_p(dir, 0755);
	if (r)
		return vb_error_errno(err, -r, "creating %s", dir);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", final, (long)getpid());
	r = build(tmp, k, agent_path, busybox, err);
	if (!r && rename(tmp, final) < 0)
		r = vb_error_errno(err, errno, "initramfs: renaming %s", tmp);
	unlink(tmp);
	if (r)
		return r;
	*path = steal_ptr(&final);
	return 0;
}
