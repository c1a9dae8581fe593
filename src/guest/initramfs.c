/* SPDX-License-Identifier: MIT */
/*
 * The cpio "newc" archive is written by hand: its format is a 110-byte ASCII
 * header per entry, and the one library that writes it (libarchive) would
 * bring a dozen more static dependencies into the static binaries.
 */
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "core/util.h"
#include "guest/image-build.h"
#include "guest/initramfs.h"

/*
 * The modules the guest needs (when not built in): virtio-pci, the serial
 * port of the agent, the scratch disk and its filesystem. Their
 * dependencies come from each module's own .modinfo ("depends="), loaded
 * first; crc32c_generic stands for ext4's soft dependency on crc32c.
 */
static const char *const guest_modules[] = {
	"virtio_pci", "virtio_console", "virtio_blk", "crc32c_generic", "ext4", "virtio_net",
};

/* "crc32c-generic" and "crc32c_generic" name the same module. */
static bool same_module(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(name);
	if (strlen(base) != n + 3 || strcmp(base + n, ".ko"))
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];
		if (a != b)
			return false;
	}
	return true;
}

/* The "depends=" value of a module's .modinfo section, or NULL. */
static char *module_depends(const char *path)
{
	_cleanup_free_ char *elf = NULL;
	size_t len = 0;
	if (vb_read_file(path, 64u << 20, &elf, &len) || len < sizeof(Elf64_Ehdr))
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > len || eh->e_shnum > (len - eh->e_shoff) / sizeof(Elf64_Shdr) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
	const Elf64_Shdr *names = &sh[eh->e_shstrndx];
	if (names->sh_offset > len || names->sh_size > len - names->sh_offset)
		return NULL;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= names->sh_size || sh[i].sh_offset > len ||
		    sh[i].sh_size > len - sh[i].sh_offset)
			continue;
		if (strncmp(elf + names->sh_offset + sh[i].sh_name, ".modinfo", 9))
			continue;
		const char *p = elf + sh[i].sh_offset, *end = p + sh[i].sh_size;
		while (p < end) {
			size_t n = strnlen(p, (size_t)(end - p));
			if (!strncmp(p, "depends=", 8))
				return xstrndup(p + 8, n - 8);
			p += n + 1;
		}
	}
	return NULL;
}

struct modlist {
	char **order; /* kernel/.../x.ko, from modules.order */
	size_t norder;
	char **out; /* chosen paths, dependencies first */
	size_t nout;
};

static const char *module_path(const struct modlist *m, const char *name)
{
	for (size_t i = 0; i < m->norder; i++)
		if (same_module(m->order[i], name))
			return m->order[i];
	return NULL;
}

/* Depth first: a module after everything it depends on, each once. */
static void add_module(struct modlist *m, const char *moddir, const char *name, int depth)
{
	const char *rel = module_path(m, name);
	if (!rel || depth > 32)
		return; /* built in (or unknown): nothing to load */
	for (size_t i = 0; i < m->nout; i++)
		if (!strcmp(m->out[i], rel))
			return;
	_cleanup_free_ char *full = xasprintf("%s/%s", moddir, rel);
	_cleanup_free_ char *deps = module_depends(full);
	char *save = NULL;
	for (char *d = deps ? strtok_r(deps, ",", &save) : NULL; d; d = strtok_r(NULL, ",", &save))
		add_module(m, moddir, d, depth + 1);
	m->out = xrealloc(m->out, (m->nout + 1) * sizeof(char *));
	m->out[m->nout++] = xstrdup(rel);
}

static void modlist_release(struct modlist *m)
{
	for (size_t i = 0; i < m->norder; i++)
		free(m->order[i]);
	for (size_t i = 0; i < m->nout; i++)
		free(m->out[i]);
	free(m->order);
	free(m->out);
}

/* The modules to pack, in load order. Missing modules.order: nothing to load. */
static void resolve_modules(const char *moddir, const char *const want[], size_t nwant,
			    struct modlist *m)
{
	memset(m, 0, sizeof(*m));
	_cleanup_free_ char *orderf = xasprintf("%s/modules.order", moddir);
	_cleanup_free_ char *text = NULL;
	if (vb_read_file(orderf, 16u << 20, &text, NULL))
		return;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		m->order = xrealloc(m->order, (m->norder + 1) * sizeof(char *));
		m->order[m->norder++] = xstrdup(l);
	}
	for (size_t i = 0; i < nwant; i++)
		add_module(m, moddir, want[i], 0);
}

static const char init_script[] =
    "#!/bin/sh\n"
    "# virtbench guest init: drivers, /scratch, then the agent on its port.\n"
    "mount -t proc proc /proc\n"
    "mount -t sysfs sys /sys\n"
    "mount -t devtmpfs dev /dev\n"
    "# The kernel gives /init no console without /dev/console: use the serial port.\n"
    "exec </dev/null >/dev/ttyS0 2>&1\n"
    "for m in /lib/modules/*.ko; do\n"
    "  insmod $m || echo \"virtbench init: insmod $m failed\"\n"
    "done\n"
    "# vb.root=SERIAL: the root is the virtio disk of that serial (an image's),\n"
    "# the scratch disk the other one.\n"
    "scratch=/dev/vda\n"
    "for a in $(cat /proc/cmdline); do\n"
    "  case $a in vb.root=*) root=${a#vb.root=} ;; esac\n"
    "done\n"
    "if [ -n \"$root\" ]; then\n"
    "  rootdev= scratch=\n"
    "  for b in /sys/block/vd*; do\n"
    "    if [ \"$(cat $b/serial 2>/dev/null)\" = \"$root\" ]; then rootdev=/dev/${b##*/}\n"
    "    else scratch=/dev/${b##*/}; fi\n"
    "  done\n"
    "  mkdir -p /newroot\n"
    "  [ -b \"$rootdev\" ] && mount -t ext4 $rootdev /newroot ||\n"
    "    { echo \"virtbench init: cannot mount the root disk $root ($rootdev)\"; poweroff -f; }\n"
    "  echo \"virtbench init: the root is ext4 on $rootdev\"\n"
    "fi\n"
    "# The scratch disk (ext4 on virtio-blk) when there is one, else memory.\n"
    "if [ -b \"$scratch\" ] && mount -t ext4 $scratch /scratch; then\n"
    "  echo \"virtbench init: /scratch is ext4 on $scratch\"\n"
    "else\n"
    "  mount -t tmpfs -o mode=1777 scratch /scratch\n"
    "  echo 'virtbench init: /scratch is a tmpfs (no disk)'\n"
    "fi\n"
    "# eth0 as virtbench's kernel command line says (vb.ip, vb.gw), if any.\n"
    "for a in $(cat /proc/cmdline); do\n"
    "  case $a in vb.ip=*) ip=${a#vb.ip=} ;; vb.gw=*) gw=${a#vb.gw=} ;; esac\n"
    "done\n"
    "if [ -n \"$ip\" ]; then\n"
    "  ip link set lo up; ip addr add $ip/24 dev eth0 && ip link set eth0 up &&\n"
    "    ip route add default via $gw && echo \"virtbench init: eth0 $ip via $gw\"\n"
    "fi\n"
    "port=\n"
    "for i in 1 2 3 4 5 6 7 8 9 10; do\n"
    "  for p in /sys/class/virtio-ports/*; do\n"
    "    [ \"$(cat $p/name 2>/dev/null)\" = vb.agent ] && port=/dev/${p##*/}\n"
    "  done\n"
    "  [ -n \"$port\" ] && break\n"
    "  sleep 0.2\n"
    "done\n"
    "[ -n \"$port\" ] || { echo 'virtbench init: no vb.agent port'; exec sh; }\n"
    "echo \"virtbench init: agent on $port\"\n"
    "export OPENBLAS_NUM_THREADS=1\n"
    "[ -n \"$root\" ] || exec /sbin/virtbench-agent --sync --fd 3 3<>$port\n"
    "# Into the root: the mounts move along, the agent's port is open already;\n"
    "# the root's own shell says what it is, then runs the agent there.\n"
    "exec 3<>$port\n"
    "for m in /scratch /proc /sys /dev; do mount -o move $m /newroot$m; done\n"
    "exec switch_root /newroot /bin/sh -c 'echo \"virtbench init: in the root: \"\\\n"
    "$(. /etc/os-release; echo $ID) $(cat /etc/debian_version); exec /sbin/virtbench-agent \\\n"
    "--sync --fd 3'\n";

static void put(struct vb_cpio *c, const void *p, size_t n)
{
	if (c->err)
		return;
	c->err = vb_write_all(c->fd, p, n);
	c->off += (off_t)n;
}

static void pad4(struct vb_cpio *c)
{
	static const char zero[4];
	if (c->off % 4)
		put(c, zero, (size_t)(4 - c->off % 4));
}

static void entry(struct vb_cpio *c, const char *name, unsigned mode, const void *data, size_t size)
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

static bool have_dir(const struct vb_cpio *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->ndirs; i++)
		if (strlen(c->dirs[i]) == len && !strncmp(c->dirs[i], name, len))
			return true;
	return false;
}

/* The kernel's unpacker creates no missing parents: write each once, outermost first. */
static void parents(struct vb_cpio *c, const char *name)
{
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		size_t len = (size_t)(p - name);
		if (!len || have_dir(c, name, len))
			continue;
		_cleanup_free_ char *dir = xstrndup(name, len);
		entry(c, dir, S_IFDIR | 0755, NULL, 0);
		c->dirs = xrealloc(c->dirs, (c->ndirs + 1) * sizeof(char *));
		c->dirs[c->ndirs++] = steal_ptr(&dir);
	}
}

int vb_cpio_open(struct vb_cpio *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return c->fd < 0 ? -errno : 0;
}

void vb_cpio_dir(struct vb_cpio *c, const char *name)
{
	_cleanup_free_ char *slash = xasprintf("%s/", name);
	parents(c, slash);
}

void vb_cpio_data(struct vb_cpio *c, const char *name, unsigned mode, const void *data, size_t size)
{
	parents(c, name);
	entry(c, name, mode, data, size);
}

void vb_cpio_symlink(struct vb_cpio *c, const char *name, const char *target)
{
	vb_cpio_data(c, name, S_IFLNK | 0777, target, strlen(target));
}

int vb_cpio_file(struct vb_cpio *c, const char *name, const char *path, unsigned mode)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = vb_read_file(path, 256u << 20, &data, &len);
	if (r) {
		if (!c->err)
			c->err = r;
		return r;
	}
	vb_cpio_data(c, name, S_IFREG | mode, data, len);
	return c->err;
}

int vb_cpio_modules(struct vb_cpio *c, const char *moddir, const char *const wanted[], size_t n)
{
	struct modlist mods = { 0 };
	if (moddir)
		resolve_modules(moddir, wanted, n, &mods);
	int r = c->err;
	for (size_t i = 0; !r && i < mods.nout; i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", moddir, mods.out[i]);
		const char *base = strrchr(mods.out[i], '/');
		base = base ? base + 1 : mods.out[i];
		/* A numeric prefix keeps the load order of /init's glob. */
		_cleanup_free_ char *name = xasprintf("lib/modules/%02zu-%s", i, base);
		r = vb_cpio_file(c, name, src, 0644);
	}
	modlist_release(&mods);
	return r;
}

int vb_cpio_close(struct vb_cpio *c)
{
	entry(c, "TRAILER!!!", 0, NULL, 0);
	int r = c->err;
	if (!r && fsync(c->fd) < 0)
		r = -errno;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	c->dirs = NULL;
	c->ndirs = 0;
	return r;
}

static int build(const char *out, const struct vb_kernel *k, const char *agent, const char *busybox,
		 struct vb_error **err)
{
	static const char *const dirs[] = { "bin", "sbin", "proc",	  "sys",  "dev",    "tmp",
					    "etc", "lib",  "lib/modules", "root", "scratch" };
	static const char *const applets[] = { "sh",	"mount",    "insmod",	"cat",	      "ls",
					       "sleep", "echo",	    "hostname", "mkdir",      "ps",
					       "grep",	"poweroff", "ip",	"switch_root" };
	struct vb_cpio c;
	int r = vb_cpio_open(&c, out);
	if (r)
		return vb_error_errno(err, -r, "initramfs: creating %s", out);
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs); i++)
		vb_cpio_dir(&c, dirs[i]);
	r = vb_cpio_file(&c, "bin/busybox", busybox, 0755);
	for (size_t i = 0; !r && i < VB_ARRAY_SIZE(applets); i++) {
		_cleanup_free_ char *n = xasprintf("bin/%s", applets[i]);
		vb_cpio_symlink(&c, n, "busybox");
	}
	if (!r)
		r = vb_cpio_file(&c, "sbin/virtbench-agent", agent, 0755);
	if (!r)
		r = vb_cpio_modules(&c, k->modules, guest_modules, VB_ARRAY_SIZE(guest_modules));
	if (!r)
		vb_cpio_data(&c, "init", S_IFREG | 0755, init_script, strlen(init_script));
	int cr = vb_cpio_close(&c);
	r = r ? r : cr;
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
	int cr = vb_cache_dir_check(err);
	if (cr)
		return cr;
	_cleanup_free_ char *dir = xasprintf("%s/initramfs", vb_cache_dir());
	/* Keyed by the identity of its inputs, and by the recipe (init, modules) itself. */
	uint64_t recipe = 1469598103934665603ull;
	for (const char *p = init_script; *p; p++)
		recipe = (recipe ^ (unsigned char)*p) * 1099511628211ull;
	for (size_t i = 0; i < VB_ARRAY_SIZE(guest_modules); i++)
		for (const char *p = guest_modules[i]; *p; p++)
			recipe = (recipe ^ (unsigned char)*p) * 1099511628211ull;
	/*
	 * And by the modules directory it packs from: every --kernel is version
	 * "custom", and an initramfs made from one DIR (or from none: a
	 * modules.order that could not be read) must not serve another.
	 */
	char order_id[96] = "";
	_cleanup_free_ char *order = k->modules ? xasprintf("%s/modules.order", k->modules) : NULL;
	if (order && vb_file_identity(order, order_id, sizeof(order_id)))
		snprintf(order_id, sizeof(order_id), "none");
	const char *parts[] = { k->modules ? k->modules : "", order_id };
	for (size_t i = 0; i < VB_ARRAY_SIZE(parts); i++)
		for (const char *p = parts[i]; *p; p++)
			recipe = (recipe ^ (unsigned char)*p) * 1099511628211ull;
	_cleanup_free_ char *final =
	    xasprintf("%s/%s-%08llx-%llx-%llx-%llx.cpio", dir, k->version,
		      (unsigned long long)(recipe & 0xffffffffu), (unsigned long long)sa.st_ino,
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
