/* SPDX-License-Identifier: MIT */
/* What every guest image build uses (image-build.h). */
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/util.h"
#include "guest/image-build.h"

const char *vb_cache_dir(void)
{
	const char *d = getenv("VIRTBENCH_CACHE_DIR");
	return d && *d == '/' ? d : "/var/cache/virtbench";
}

int vb_cache_dir_check(struct vb_error **err)
{
	int fd = vb_dir_open_trusted("cache directory", vb_cache_dir(), true, 0755, err);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

const char *vb_busybox_path(void)
{
	const char *b = getenv("VIRTBENCH_BUSYBOX");
	return b && *b == '/' ? b : "/bin/busybox";
}

bool vb_elf_is_static(const char *path)
{
	/* O_NONBLOCK and S_ISREG: a fifo at the agent's or busybox's path must not hang. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	Elf64_Ehdr eh;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

int vb_file_identity(const char *path, char *out, size_t len)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	/* FNV-1a over the identity fields. */
	uint64_t h = 1469598103934665603ull;
	uint64_t f[] = { (uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
			 (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec };
	for (size_t i = 0; i < VB_ARRAY_SIZE(f); i++)
		for (int b = 0; b < 64; b += 8) {
			h ^= (f[i] >> b) & 0xff;
			h *= 1099511628211ull;
		}
	snprintf(out, len, "%016llx", (unsigned long long)h);
	return 0;
}

int vb_static_inputs(const char *agent_path, char *ida, size_t na, char *idb, size_t nb,
		     struct vb_error **err)
{
	const char *busybox = vb_busybox_path();
	if (!vb_elf_is_static(busybox))
		return vb_error_set(err, VB_SKIP,
				    "%s is not a static busybox (install busybox-static)", busybox);
	if (!vb_elf_is_static(agent_path))
		return vb_error_set(err, VB_SKIP, "the agent %s is not statically linked",
				    agent_path);
	int r = vb_file_identity(agent_path, ida, na);
	if (!r)
		r = vb_file_identity(busybox, idb, nb);
	if (r)
		return vb_error_errno(err, -r, "reading the agent and busybox");
	return 0;
}
