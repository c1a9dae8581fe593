/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "core/util.h"

void vb_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "virtbench: BUG at %s:%d: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void *check_alloc(void *p)
{
	if (!p) {
		fputs("virtbench: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t m)
{
	return check_alloc(calloc(n ? n : 1, m ? m : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check_alloc(strndup(s, n));
}

char *xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		check_alloc(NULL);
	return s;
}

int vb_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int vb_parse_double(const char *s, double *out)
{
	if (!s || !*s || isspace((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	char *end = NULL;
	double v = strtod(s, &end);
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	if (*end || end == s)
		return -EINVAL;
	*out = v;
	return 0;
}

int vb_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 },    { "B", 0 },    { "K", 10 },   { "KB", 10 },  { "KiB", 10 },
		{ "k", 10 },  { "M", 20 },   { "MB", 20 },  { "MiB", 20 }, { "G", 30 },
		{ "GB", 30 }, { "GiB", 30 }, { "T", 40 },   { "TB", 40 },  { "TiB", 40 },
		{ "P", 50 },  { "PB", 50 },  { "PiB", 50 },
	};
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	/* A plain integer is taken exactly: a double has only 53 bits. */
	errno = 0;
	char *iend = NULL;
	unsigned long long whole = strtoull(s, &iend, 10);
	int ierrno = errno;
	errno = 0;
	char *end = NULL;
	double v = strtod(s, &end);
	if (errno == ERANGE || !isfinite(v) || v < 0)
		return -ERANGE;
	/* Digits and one decimal point only: no exponents, no hex floats. */
	if (end != s + strspn(s, "0123456789."))
		return -EINVAL;
	for (size_t i = 0; i < VB_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (iend == end) {
			if (ierrno == ERANGE || whole > (UINT64_MAX >> units[i].shift))
				return -ERANGE;
			*out = (uint64_t)whole << units[i].shift;
			return 0;
		}
		double bytes = ldexp(v, (int)units[i].shift);
		if (bytes >= 18446744073709551616.0)
			return -ERANGE;
		if (bytes != floor(bytes))
			return -EINVAL;
		*out = (uint64_t)bytes;
		return 0;
	}
	return -EINVAL;
}

int vb_read_fd(int fd, size_t max, char **out, size_t *len)
{
	/* One byte of room beyond max tells a file of exactly max bytes from a longer one. */
	_cleanup_free_ char *buf = xmalloc(max + 2);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			return -EFBIG;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_ptr(&buf);
	return 0;
}

int vb_read_file(const char *path, size_t max, char **out, size_t *len)
{
	/* O_NONBLOCK: a FIFO in its place must not hang the open (no effect on files). */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	return vb_read_fd(fd, max, out, len);
}

int vb_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int vb_copy_fd(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = vb_write_all(out, buf, (size_t)n);
		if (r)
			return r;
	}
}

int vb_mkdir_p(const char *path, mode_t mode)
{
	if (!*path)
		return -ENOENT;
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(p, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

double vb_monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t vb_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
