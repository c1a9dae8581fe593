/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/util.h"
#include "guest/apt.h"
#include "guest/image-disk.h"
#include "guest/image.h"

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return -errno;
	int r = vb_copy_fd(in, out);
	if (r)
		return r;
	if (fchmod(out, mode) < 0 || fsync(out) < 0)
		return -errno;
	return 0;
}

/* The applets a shell user expects; busybox decides by argv[0]. */
static const char *const applets[] = {
	"sh",	 "ash",	   "cat",    "cp",	 "dd",	    "df",    "echo",	 "env",
	"false", "grep",   "head",   "hostname", "id",	    "kill",  "ln",	 "ls",
	"mkdir", "mknod",  "mount",  "mv",	 "ps",	    "pwd",   "readlink", "rm",
	"rmdir", "sed",	   "sleep",  "stat",	 "sync",    "tail",  "tee",	 "test",
	"touch", "true",   "umount", "uname",	 "unshare", "wc",    "awk",	 "find",
	"xargs", "sort",   "uniq",   "tr",	 "cut",	    "chmod", "nproc",	 "free",
	"seq",	 "printf", "[",	     "expr",	 "which",   "yes",   "keyctl",	 "nsenter",
};

static int build(const char *dir, const char *agent, const char *busybox, struct vb_error **err)
{
	static const char *const dirs[] = { "bin", "sbin",    "etc",  "proc", "sys",	 "dev",
					    "tmp", "scratch", "root", "usr",  "usr/bin", "sys/fs" };
	int r = 0;
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs) && !r; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, dirs[i]);
		if (mkdir(p, !strcmp(dirs[i], "tmp") ? 01777 : 0755) < 0)
			r = vb_error_errno(err, errno, "image: creating %s", p);
		else if (!strcmp(dirs[i], "tmp"))
			chmod(p, 01777);
	}
	if (r)
		return r;
	_cleanup_free_ char *bb = xasprintf("%s/bin/busybox", dir);
	_cleanup_free_ char *ag = xasprintf("%s/sbin/virtbench-agent", dir);
	if ((r = copy_file(busybox, bb, 0755)))
		return vb_error_errno(err, -r, "image: copying %s", busybox);
	if ((r = copy_file(agent, ag, 0755)))
		return vb_error_errno(err, -r, "image: copying %s", agent);
	for (size_t i = 0; i < VB_ARRAY_SIZE(applets); i++) {
		_cleanup_free_ char *l = xasprintf("%s/bin/%s", dir, applets[i]);
		if (symlink("busybox", l) < 0)
			return vb_error_errno(err, errno, "image: linking %s", l);
	}
	static const struct {
		const char *path, *text;
	} files[] = {
		{ "etc/passwd",
		  "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n" },
		{ "etc/group", "root:x:0:\nnogroup:x:65534:\n" },
		{ "etc/hosts", "127.0.0.1 localhost\n::1 localhost\n" },
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i].path);
		if ((r = vb_write_file_atomic(p, files[i].text, strlen(files[i].text))))
			return vb_error_errno(err, -r, "image: writing %s", p);
	}
	return 0;
}

int vb_image_minimal(const char *agent_path, char **dir, bool *built, struct vb_error **err)
{
	const char *busybox = vb_busybox_path();
	/*
	 * The cache key is the identity of both inputs (device, inode, size,
	 * mtime), not their contents: hashing 7 MB on every container start
	 * would cost more than the start itself. A changed binary is a new key.
	 */
	char key[160], ia[64], ib[64];
	int r = vb_static_inputs(agent_path, ia, sizeof(ia), ib, sizeof(ib), err);
	if (r)
		return r < 0 ? vb_error_wrap(err, "image") : r;
	snprintf(key, sizeof(key), "minimal-%s-%s", ia, ib);
	if ((r = vb_cache_dir_check(err)))
		return r;
	_cleanup_free_ char *images = xasprintf("%s/images", vb_cache_dir());
	_cleanup_free_ char *final = xasprintf("%s/%s", images, key);
	*built = false;
	struct stat st;
	if (stat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
		*dir = steal_ptr(&final);
		return 0;
	}
	r = vb_mkdir_p(images, 0755);
	if (r)
		return vb_error_errno(err, -r, "image: creating %s", images);
	_cleanup_free_ char *tmp = xasprintf("%s/.build-%ld", images, (long)getpid());
	vb_rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0)
		return vb_error_errno(err, errno, "image: creating %s", tmp);
	r = build(tmp, agent_path, busybox, err);
	if (!r && rename(tmp, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = vb_error_errno(err, errno, "image: renaming %s", tmp);
	vb_rm_rf(tmp); /* gone after the rename; the loser's copy when two raced */
	if (r)
		return r;
	*built = true;
	*dir = steal_ptr(&final);
	return 0;
}

void vb_image_spec_release(struct vb_image_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npackages; i++)
		free(s->packages[i]);
	free(s->packages);
	free(s->dir);
	*s = (struct vb_image_spec){ 0 };
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vb_image_spec_add_packages(struct vb_image_spec *s, const char *list, const char *what,
			       struct vb_error **err)
{
	size_t n = strlen(list);
	if (n == 0 || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "image %s: an empty package name in '%.64s'", what, list);
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		_cleanup_free_ char *name = xstrndup(p, k);
		p += k + (p[k] == ',');
		if (!vb_apt_package_valid(name))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "image %s: '%.64s' is not a Debian package name "
					     "([a-z0-9][a-z0-9+.-]+)",
					     what, name);
		bool have = false;
		for (size_t i = 0; i < s->npackages && !have; i++)
			have = !strcmp(s->packages[i], name);
		if (have)
			continue;
		if (s->npackages == VB_IMAGE_MAX_PACKAGES)
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "image %s: more than %d packages", what,
					     VB_IMAGE_MAX_PACKAGES);
		s->packages = xrealloc(s->packages, (s->npackages + 1) * sizeof(char *));
		s->packages[s->npackages++] = steal_ptr(&name);
	}
	qsort(s->packages, s->npackages, sizeof(char *), by_string);
	size_t w = 0;
	for (size_t i = 0; i < s->npackages; i++) {
		if (w && !strcmp(s->packages[w - 1], s->packages[i]))
			free(s->packages[i]);
		else
			s->packages[w++] = s->packages[i];
	}
	s->npackages = w;
	return 0;
}

int vb_image_spec_parse(const char *text, struct vb_image_spec *out, struct vb_error **err)
{
	*out = (struct vb_image_spec){ 0 };
	int r = 0;
	if (text[0] == '/') {
		out->kind = VB_IMAGE_DIR;
		out->dir = xstrdup(text);
	} else if (!strcmp(text, "minimal")) {
		out->kind = VB_IMAGE_MINIMAL;
	} else if (!strcmp(text, "debian")) {
		out->kind = VB_IMAGE_DEBIAN;
	} else if (!strncmp(text, "debian:", 7)) {
		out->kind = VB_IMAGE_DEBIAN;
		r = vb_image_spec_add_packages(out, text + 7, "debian", err);
	} else {
		r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				  "unknown image '%.64s' (minimal, debian[:PKG,...] or an absolute "
				  "directory)",
				  text);
	}
	if (r)
		vb_image_spec_release(out);
	return r;
}

char *vb_image_spec_packages(const struct vb_image_spec *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		abort();
	for (size_t i = 0; i < s->npackages; i++)
		fprintf(f, "%s%s", i ? "," : "", s->packages[i]);
	fclose(f);
	return out;
}

int vb_image_get(const struct vb_image_spec *s, const char *agent_path,
		 vb_image_progress_cb progress, void *data, char **dir, bool *built,
		 struct vb_error **err)
{
	*built = false;
	switch (s->kind) {
	case VB_IMAGE_MINIMAL:
		return vb_image_minimal(agent_path, dir, built, err);
	case VB_IMAGE_DEBIAN:
		return vb_image_debian((const char *const *)s->packages, s->npackages, agent_path,
				       progress, data, dir, built, err);
	case VB_IMAGE_DIR:
		*dir = xstrdup(s->dir);
		return 0;
	}
	VB_BUG("image kind %d", (int)s->kind);
}

void vb_guest_image_release(struct vb_guest_image *g)
{
	if (!g)
		return;
	free(g->key);
	free(g->packages);
	free(g->tree);
	free(g->disk);
	*g = (struct vb_guest_image){ 0 };
}

int vb_image_resolve(const struct vb_image_spec *s, const char *agent_path, bool tree, bool disk,
		     vb_image_progress_cb progress, void *data, struct vb_guest_image *out,
		     struct vb_error **err)
{
	*out = (struct vb_guest_image){ .kind = s->kind };
	if (s->kind == VB_IMAGE_MINIMAL)
		return 0;
	if (s->kind == VB_IMAGE_DIR) {
		if (disk)
			return vb_error_exit(
			    err, -EINVAL, VB_EXIT_USAGE,
			    "image %.200s: a directory is an image for container "
			    "guests only; VM guests boot minimal or debian[:PKG,...]",
			    s->dir);
		out->tree = tree ? xstrdup(s->dir) : NULL;
		return 0;
	}
	if (!tree && !disk)
		return 0;
	double t = vb_monotonic_s();
	int r = vb_image_get(s, agent_path, progress, data, &out->tree, &out->tree_built, err);
	out->tree_s = vb_monotonic_s() - t;
	if (!r) {
		const char *base = strrchr(out->tree, '/');
		out->key = xstrdup(base ? base + 1 : out->tree);
		out->packages = vb_image_spec_packages(s);
	}
	if (!r && disk) {
		_cleanup_free_ char *path = vb_image_disk_path(out->tree);
		if (progress && access(path, F_OK))
			progress("making the image's root disk for VM guests (mke2fs -d)", data);
		t = vb_monotonic_s();
		r = vb_image_disk(out->tree, &out->disk, &out->disk_built, err);
		out->disk_s = vb_monotonic_s() - t;
	}
	if (r)
		vb_guest_image_release(out);
	return r;
}
