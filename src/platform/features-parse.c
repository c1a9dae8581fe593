/* SPDX-License-Identifier: MIT */
/* The pure helpers of `virtbench features` (features-parse.h). */
#include <zlib.h>

#include "core/json.h"
#include "core/util.h"
#include "platform/features-parse.h"

bool vb_features_cpu_flag(const char *cpuinfo, const char *flag)
{
	size_t flen = strlen(flag);
	for (const char *p = cpuinfo; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!strncmp(p, "flags", 5) && (p[5] == ' ' || p[5] == '\t' || p[5] == ':')) {
			const char *colon = memchr(p, ':', len);
			if (!colon)
				return false;
			for (const char *t = colon + 1; t < p + len;) {
				while (t < p + len && (*t == ' ' || *t == '\t'))
					t++;
				const char *te = t;
				while (te < p + len && *te != ' ' && *te != '\t')
					te++;
				if ((size_t)(te - t) == flen && !strncmp(t, flag, flen))
					return true;
				t = te;
			}
			return false;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

char vb_features_kconfig(const char *config, const char *symbol)
{
	size_t slen = strlen(symbol);
	for (const char *p = config; p && *p;) {
		const char *end = strchr(p, '\n');
		if (!strncmp(p, symbol, slen) && p[slen] == '=') {
			char c = p[slen + 1];
			char next = c ? p[slen + 2] : '\0';
			bool alone = next == '\n' || next == '\0' || next == '\r';
			if ((c == 'y' || c == 'm' || c == 'n') && alone)
				return c;
			return 'v';
		}
		if (!strncmp(p, "# ", 2) && !strncmp(p + 2, symbol, slen) &&
		    !strncmp(p + 2 + slen, " is not set", 11))
			return 'n';
		p = end ? end + 1 : NULL;
	}
	return '\0';
}

void vb_features_cgroup_mounts(const char *mounts, unsigned *v1, unsigned *v2)
{
	*v1 = *v2 = 0;
	for (const char *p = mounts; p && *p;) {
		const char *end = strchr(p, '\n');
		/* "source target fstype options 0 0": the third field. */
		const char *f = p;
		for (int i = 0; i < 2 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (f && (!end || f < end)) {
			if (!strncmp(f, "cgroup2 ", 8))
				(*v2)++;
			else if (!strncmp(f, "cgroup ", 7))
				(*v1)++;
		}
		p = end ? end + 1 : NULL;
	}
}

uint64_t vb_features_meminfo(const char *meminfo, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = meminfo; p && *p;) {
		const char *end = strchr(p, '\n');
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			unsigned long long v = strtoull(p + klen + 1, NULL, 10);
			return (uint64_t)v * 1024;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

long vb_features_nspid(const char *status, unsigned *depth)
{
	*depth = 0;
	const char *p = status;
	while (p && strncmp(p, "NSpid:", 6)) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	long last = -1;
	p += 6;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		char *e;
		last = strtol(p, &e, 10);
		(*depth)++;
		p = e;
	}
	return *depth ? last : -1;
}

char *vb_features_criu_error(const char *output)
{
	char *first = NULL;
	for (const char *p = output; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *e = NULL;
		/* "Error (criu/vdso.c:381): vdso: ..." or "(00.01) Error (...): ..." */
		for (const char *q = p; q + 6 <= p + len; q++)
			if (!strncmp(q, "Error ", 6) || !strncmp(q, "Error:", 6)) {
				e = q;
				break;
			}
		if (e) {
			const char *msg = strstr(e, "): ");
			msg = msg && msg < p + len ? msg + 3 : e;
			size_t mlen = (size_t)(p + len - msg);
			while (mlen && (msg[mlen - 1] == '\r' || msg[mlen - 1] == ' '))
				mlen--;
			if (mlen && !(mlen >= 15 && !strncmp(msg, "exited, status=", 15))) {
				first = xstrndup(msg, mlen > 160 ? 160 : mlen);
				break;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return first;
}

const char *vb_features_migrate_status(const json_t *reply)
{
	const char *s = NULL;
	return vb_json_str(reply, "status", 64, &s) ? NULL : s;
}

int vb_features_read_text(const char *path, char **out)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return errno ? -errno : -ENOMEM;
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap);
	int n;
	while ((n = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			if (cap >= (64u << 20))
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	int errnum = 0;
	const char *msg = n < 0 ? gzerror(f, &errnum) : NULL;
	gzclose(f);
	if (msg) {
		free(buf);
		return -EIO;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}
