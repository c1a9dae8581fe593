/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the cpio writer of src/guest/initramfs.c: entries read back
 * from the newc headers, parents written once and first, symlinks, modes,
 * the trailer, and a missing file reported.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "guest/initramfs.h"
#include "test.h"

struct ent {
	char name[128];
	unsigned mode;
	char data[64];
	size_t size;
};

static unsigned hex8(const char *p)
{
	char b[9];
	memcpy(b, p, 8);
	b[8] = '\0';
	return (unsigned)strtoul(b, NULL, 16);
}

/* Every entry of the archive at path, in order; the count, or -1 if malformed. */
static int read_back(const char *path, struct ent *out, int max)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, off = 0;
	if (vb_read_file(path, 1 << 20, &buf, &len))
		return -1;
	int n = 0;
	while (off + 110 <= len && n < max) {
		const char *h = buf + off;
		if (memcmp(h, "070701", 6))
			return -1;
		unsigned mode = hex8(h + 14), size = hex8(h + 54), nlen = hex8(h + 94);
		off += 110;
		if (off + nlen > len || nlen > sizeof(out[n].name))
			return -1;
		memcpy(out[n].name, buf + off, nlen);
		off = (off + nlen + 3) & ~(size_t)3;
		if (off + size > len)
			return -1;
		out[n].mode = mode;
		out[n].size = size;
		memcpy(out[n].data, buf + off, size < sizeof(out[n].data) ? size : 0);
		off = (off + size + 3) & ~(size_t)3;
		n++;
		if (!strcmp(out[n - 1].name, "TRAILER!!!"))
			break;
	}
	return n;
}

static int find(const struct ent *e, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return i;
	return -1;
}

static void test_cpio_entries(void)
{
	char path[] = "/tmp/vb-test-cpio.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	char src[] = "/tmp/vb-test-cpio-src.XXXXXX";
	fd = mkstemp(src);
	CHECK(fd >= 0 && vb_write_all(fd, "payload", 7) == 0);
	close(fd);

	struct vb_cpio c;
	CHECK(vb_cpio_open(&c, path) == 0);
	vb_cpio_dir(&c, "bin");
	vb_cpio_symlink(&c, "bin/sh", "busybox");
	CHECK(vb_cpio_file(&c, "usr/lib/xen/bin/xl", src, 0755) == 0);
	vb_cpio_data(&c, "usr/lib/other", S_IFREG | 0644, "x", 1);
	vb_cpio_data(&c, "tmp", S_IFDIR | 01777, NULL, 0);
	CHECK(vb_cpio_close(&c) == 0);

	struct ent e[32];
	int n = read_back(path, e, 32);
	CHECK_MSG(n == 10, "%d entries (9 and the trailer)", n);
	static const char *const order[] = { "bin",
					     "bin/sh",
					     "usr",
					     "usr/lib",
					     "usr/lib/xen",
					     "usr/lib/xen/bin",
					     "usr/lib/xen/bin/xl",
					     "usr/lib/other",
					     "tmp" };
	for (int i = 0; i < 9 && i < n; i++)
		CHECK_MSG(!strcmp(e[i].name, order[i]), "entry %d is %s, want %s", i, e[i].name,
			  order[i]);
	int i = find(e, n, "bin/sh");
	CHECK(i >= 0 && S_ISLNK(e[i].mode) && e[i].size == 7 && !memcmp(e[i].data, "busybox", 7));
	i = find(e, n, "usr/lib/xen/bin/xl");
	CHECK(i >= 0 && e[i].mode == (S_IFREG | 0755) && e[i].size == 7 &&
	      !memcmp(e[i].data, "payload", 7));
	i = find(e, n, "usr/lib");
	CHECK(i >= 0 && e[i].mode == (S_IFDIR | 0755));
	i = find(e, n, "tmp");
	CHECK(i >= 0 && e[i].mode == (S_IFDIR | 01777));
	CHECK(n >= 1 && !strcmp(e[n - 1].name, "TRAILER!!!"));
	unlink(path);
	unlink(src);
}

static void test_cpio_missing_file(void)
{
	char path[] = "/tmp/vb-test-cpio.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	struct vb_cpio c;
	CHECK(vb_cpio_open(&c, path) == 0);
	CHECK(vb_cpio_file(&c, "a", "/nonexistent/vb-test", 0644) == -ENOENT);
	/* The error sticks: what follows is not written, and close reports it. */
	vb_cpio_data(&c, "b", S_IFREG | 0644, "b", 1);
	CHECK(vb_cpio_close(&c) == -ENOENT);
	/* No module directory: nothing to add, no error. */
	CHECK(vb_cpio_open(&c, path) == 0);
	static const char *const mods[] = { "ext4" };
	CHECK(vb_cpio_modules(&c, NULL, mods, 1) == 0);
	CHECK(vb_cpio_close(&c) == 0);
	unlink(path);
}

TEST_MAIN(T(test_cpio_entries), T(test_cpio_missing_file))
