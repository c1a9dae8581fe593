/* SPDX-License-Identifier: MIT */
/*
 * User namespace id maps. The parser takes outside input (the command
 * line), so it checks everything the kernel would refuse and a little more:
 * a map that puts the host's root inside, or leaves the container without a
 * root of its own, is refused here with a clear message instead of failing
 * obscurely in the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/idmap.h"

/* The kernel refuses an extent whose end wraps 32 bits; (uid_t)-1 is never an id. */
#define ID_END_MAX 4294967295ull

/*
 * Host ids 0x70000000 (1879048192) on: above what useradd hands out as
 * subordinate ids (/etc/subuid: 100000 to 600100000 by default, so a first
 * user owns 100000-165535 and could act as such ids through newuidmap) and
 * above systemd-nspawn's container range (524288-1879048191).
 */
void vb_userns_default(struct vb_userns *u)
{
	*u = (struct vb_userns){ 0 };
	u->uid.n = u->gid.n = 1;
	u->uid.e[0] = u->gid.e[0] = (struct vb_idmap_extent){ 0, 0x70000000u, 65536 };
}

/* A decimal u32 from s[0..len): digits only, no sign, no blanks. */
static int parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* INSIDE:OUTSIDE:COUNT, exactly three numbers. */
static int parse_extent(const char *s, size_t len, struct vb_idmap_extent *e)
{
	uint32_t v[3];
	size_t start = 0, k = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (k == 3 || parse_u32(s + start, i - start, &v[k]))
			return -EINVAL;
		k++;
		start = i + 1;
	}
	if (k != 3)
		return -EINVAL;
	*e = (struct vb_idmap_extent){ v[0], v[1], v[2] };
	return 0;
}

static bool overlap(uint32_t a, uint32_t b, uint32_t count_a, uint32_t count_b)
{
	return (uint64_t)a < (uint64_t)b + count_b && (uint64_t)b < (uint64_t)a + count_a;
}

static int check_map(const char *what, const struct vb_idmap *m, struct vb_error **err)
{
	uint32_t root;
	for (size_t i = 0; i < m->n; i++) {
		const struct vb_idmap_extent *e = &m->e[i];
		for (size_t j = 0; j < i; j++) {
			const struct vb_idmap_extent *f = &m->e[j];
			if (overlap(e->inside, f->inside, e->count, f->count))
				return vb_error_set(
				    err, -EINVAL, "%s extents %u:%u:%u and %u:%u:%u overlap inside",
				    what, f->inside, f->outside, f->count, e->inside, e->outside,
				    e->count);
			if (overlap(e->outside, f->outside, e->count, f->count))
				return vb_error_set(
				    err, -EINVAL,
				    "%s extents %u:%u:%u and %u:%u:%u overlap outside", what,
				    f->inside, f->outside, f->count, e->inside, e->outside,
				    e->count);
		}
	}
	if (!vb_idmap_outside(m, 0, &root))
		return vb_error_set(err, -EINVAL,
				    "the %s map must map inside 0 (the container's root)", what);
	return 0;
}

int vb_userns_parse(const char *text, struct vb_userns *out, struct vb_error **err)
{
	struct vb_userns u = { 0 };
	bool have_setgroups = false;
	const char *s = text;
	if (!*s)
		return vb_error_set(err, -EINVAL, "an empty map");
	/* Checked first, so that the messages below can quote the text as it is. */
	if (strspn(s, "0123456789:,ugsetroupsdnyalw=") != strlen(s))
		return vb_error_set(err, -EINVAL,
				    "a map holds only digits, ':', ',', 'u:', 'g:' and "
				    "setgroups=deny|allow");
	for (;;) {
		size_t len = strcspn(s, ",");
		if (len == 0)
			return vb_error_set(err, -EINVAL, "an empty item in '%.64s'", text);
		if (len == 14 && !strncmp(s, "setgroups=deny", len) && !have_setgroups) {
			u.setgroups_deny = true;
			have_setgroups = true;
		} else if (len == 15 && !strncmp(s, "setgroups=allow", len) && !have_setgroups) {
			have_setgroups = true;
		} else if (!strncmp(s, "setgroups=", 10)) {
			return vb_error_set(err, -EINVAL,
					    "setgroups is deny or allow, given once, not '%.*s'",
					    (int)(len < 64 ? len : 64), s);
		} else {
			bool uid = true, gid = true;
			const char *p = s;
			size_t plen = len;
			if (len >= 2 && (s[0] == 'u' || s[0] == 'g') && s[1] == ':') {
				uid = s[0] == 'u';
				gid = s[0] == 'g';
				p += 2;
				plen -= 2;
			}
			struct vb_idmap_extent e;
			if (parse_extent(p, plen, &e))
				return vb_error_set(err, -EINVAL,
						    "'%.*s' is not [u:|g:]INSIDE:OUTSIDE:COUNT "
						    "(decimal ids below 2^32)",
						    (int)(len < 64 ? len : 64), s);
			if (e.count == 0)
				return vb_error_set(err, -EINVAL,
						    "'%.*s': the count must be at least 1",
						    (int)(len < 64 ? len : 64), s);
			if ((uint64_t)e.inside + e.count > ID_END_MAX ||
			    (uint64_t)e.outside + e.count > ID_END_MAX)
				return vb_error_set(err, -EINVAL, "'%.*s' runs past id 4294967294",
						    (int)(len < 64 ? len : 64), s);
			if (e.outside == 0)
				return vb_error_set(
				    err, -EINVAL,
				    "'%.*s' maps the host's root (outside id 0) into "
				    "the container",
				    (int)(len < 64 ? len : 64), s);
			struct vb_idmap *maps[] = { uid ? &u.uid : NULL, gid ? &u.gid : NULL };
			for (size_t i = 0; i < 2; i++) {
				if (!maps[i])
					continue;
				if (maps[i]->n == VB_IDMAP_MAX)
					return vb_error_set(err, -EINVAL, "more than %d %s extents",
							    VB_IDMAP_MAX, i ? "gid" : "uid");
				maps[i]->e[maps[i]->n++] = e;
			}
		}
		if (!s[len])
			break;
		s += len + 1;
		if (!*s)
			return vb_error_set(err, -EINVAL, "an empty item in '%.64s'", text);
	}
	int r = check_map("uid", &u.uid, err);
	if (!r)
		r = check_map("gid", &u.gid, err);
	if (!r)
		*out = u;
	return r;
}

static size_t put_map(const struct vb_idmap *m, const char *prefix, char *buf, size_t len,
		      size_t at)
{
	for (size_t i = 0; i < m->n; i++) {
		char *p = at < len ? buf + at : NULL;
		int k = snprintf(p, p ? len - at : 0, "%s%s%u:%u:%u", at ? "," : "", prefix,
				 m->e[i].inside, m->e[i].outside, m->e[i].count);
		at += (size_t)k;
	}
	return at;
}

size_t vb_userns_format(const struct vb_userns *u, char *buf, size_t len)
{
	size_t at = 0;
	if (len)
		buf[0] = '\0';
	/* Order matters to the kernel only for display; keep it as given. */
	bool same =
	    u->uid.n == u->gid.n && !memcmp(u->uid.e, u->gid.e, u->uid.n * sizeof(u->uid.e[0]));
	if (same) {
		at = put_map(&u->uid, "", buf, len, at);
	} else {
		at = put_map(&u->uid, "u:", buf, len, at);
		at = put_map(&u->gid, "g:", buf, len, at);
	}
	if (u->setgroups_deny) {
		char *p = at < len ? buf + at : NULL;
		at += (size_t)snprintf(p, p ? len - at : 0, "%ssetgroups=deny", at ? "," : "");
	}
	return at;
}

bool vb_idmap_outside(const struct vb_idmap *m, uint32_t inside, uint32_t *outside)
{
	for (size_t i = 0; i < m->n; i++)
		if (inside >= m->e[i].inside &&
		    (uint64_t)inside < (uint64_t)m->e[i].inside + m->e[i].count) {
			*outside = m->e[i].outside + (inside - m->e[i].inside);
			return true;
		}
	return false;
}

int vb_idmap_parse_proc(const char *text, struct vb_idmap *out)
{
	struct vb_idmap m = { 0 };
	const char *s = text;
	while (*s) {
		size_t len = strcspn(s, "\n");
		if (!s[len] || m.n == VB_IDMAP_MAX)
			return -EINVAL; /* every line ends in a newline */
		uint32_t v[3];
		size_t k = 0, i = 0;
		while (k < 3) {
			while (i < len && s[i] == ' ')
				i++;
			size_t d = i;
			while (i < len && s[i] >= '0' && s[i] <= '9')
				i++;
			if (parse_u32(s + d, i - d, &v[k]))
				return -EINVAL;
			k++;
		}
		if (i != len)
			return -EINVAL;
		m.e[m.n++] = (struct vb_idmap_extent){ v[0], v[1], v[2] };
		s += len + 1;
	}
	*out = m;
	return 0;
}

bool vb_idmap_equal(const struct vb_idmap *a, const struct vb_idmap *b)
{
	if (a->n != b->n)
		return false;
	/* Extents never overlap, so each one of a must appear in b once. */
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n && !found; j++)
			found = !memcmp(&a->e[i], &b->e[j], sizeof(a->e[i]));
		if (!found)
			return false;
	}
	return true;
}

static int write_proc(pid_t pid, const char *file, const char *text, struct vb_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vb_error_errno(err, errno, "user namespace: opening %s", path);
	size_t len = strlen(text);
	/* One write: the kernel takes a map in a single write or not at all. */
	ssize_t n = write(fd, text, len);
	if (n != (ssize_t)len)
		return vb_error_errno(err, n < 0 ? errno : EIO, "user namespace: writing %s (%s)",
				      path, text);
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct vb_idmap *m, struct vb_error **err)
{
	char text[VB_IDMAP_MAX * 36 + 1];
	size_t at = 0;
	for (size_t i = 0; i < m->n; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%u %u %u\n", m->e[i].inside,
				       m->e[i].outside, m->e[i].count);
	text[at] = '\0';
	int r = write_proc(pid, file, text, err);
	if (r)
		return r;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	_cleanup_free_ char *back = NULL;
	struct vb_idmap got;
	r = vb_read_file(path, 4096, &back, NULL);
	if (r)
		return vb_error_errno(err, -r, "user namespace: reading %s back", path);
	if (vb_idmap_parse_proc(back, &got) || !vb_idmap_equal(&got, m))
		return vb_error_set(err, -EIO, "user namespace: %s holds '%.200s', not '%s'", path,
				    back, text);
	return 0;
}

int vb_userns_apply(pid_t pid, const struct vb_userns *u, struct vb_error **err)
{
	/* setgroups before gid_map: the kernel fixes it once a gid map exists. */
	const char *sg = u->setgroups_deny ? "deny" : "allow";
	int r = write_proc(pid, "setgroups", sg, err);
	if (!r) {
		char path[64];
		_cleanup_free_ char *back = NULL;
		snprintf(path, sizeof(path), "/proc/%ld/setgroups", (long)pid);
		r = vb_read_file(path, 64, &back, NULL);
		if (r)
			r = vb_error_errno(err, -r, "user namespace: reading %s back", path);
		else if (strncmp(back, sg, strlen(sg)) || back[strlen(sg)] != '\n')
			r = vb_error_set(err, -EIO, "user namespace: %s holds '%.16s', not '%s'",
					 path, back, sg);
	}
	if (!r)
		r = write_map(pid, "uid_map", &u->uid, err);
	if (!r)
		r = write_map(pid, "gid_map", &u->gid, err);
	return r;
}
