/* SPDX-License-Identifier: MIT */
/*
 * Hand-written: apt has no library interface for its sources (libapt-pkg is
 * C++ and would pull apt's whole configuration in), and only the few fields
 * needed to find the main archive are read here.
 */
#include <dirent.h>
#include <stdlib.h>

#include "core/util.h"
#include "guest/apt.h"

#define LINE_MAX_LEN 4096

bool vb_apt_package_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 2 || n > 128 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", name[0]))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789+.-") == n;
}

/* One line of text at *pos (without its newline), advancing *pos past it. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	if (*pos >= len)
		return false;
	const char *s = text + *pos;
	const char *nl = memchr(s, '\n', len - *pos);
	*n = nl ? (size_t)(nl - s) : len - *pos;
	*line = s;
	*pos += *n + (nl ? 1 : 0);
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int vb_apt_codename(const char *text, size_t len, char *out, size_t outlen)
{
	static const char key[] = "VERSION_CODENAME=";
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n)) {
		if (n < sizeof(key) - 1 || memcmp(line, key, sizeof(key) - 1))
			continue;
		const char *v = line + sizeof(key) - 1;
		size_t vn = n - (sizeof(key) - 1);
		while (vn && is_space(v[vn - 1]))
			vn--;
		if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0]) {
			v++;
			vn -= 2;
		}
		if (vn == 0 || vn > VB_APT_SUITE_MAX || vn >= outlen)
			return -EINVAL;
		for (size_t i = 0; i < vn; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", v[i]) || !v[i])
				return -EINVAL;
		memcpy(out, v, vn);
		out[vn] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* Does the whitespace-separated list (n bytes) hold word? */
static bool list_has(const char *list, size_t n, const char *word)
{
	size_t w = strlen(word), i = 0;
	while (i < n) {
		while (i < n && is_space(list[i]))
			i++;
		size_t s = i;
		while (i < n && !is_space(list[i]))
			i++;
		if (i - s == w && !memcmp(list + s, word, w))
			return true;
	}
	return false;
}

/*
 * An http(s) URI made only of URI characters (RFC 3986), with a host, that
 * fits out without its trailing slashes: copied there.
 */
static bool take_uri(const char *u, size_t n, char *out, size_t outlen)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "-._~:/?#[]@!$&'()*+,;=%";
	size_t scheme = n >= 7 && !memcmp(u, "http://", 7)    ? 7
			: n >= 8 && !memcmp(u, "https://", 8) ? 8
							      : 0;
	if (!scheme)
		return false;
	while (n > scheme && u[n - 1] == '/')
		n--;
	if (n == scheme || u[scheme] == '/' || n > VB_APT_URI_MAX || n >= outlen)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!u[i] || !strchr(ok, u[i]))
			return false;
	memcpy(out, u, n);
	out[n] = '\0';
	return true;
}

/* The next whitespace-separated token of line[*i..n). */
static bool token(const char *line, size_t n, size_t *i, const char **t, size_t *tn)
{
	while (*i < n && is_space(line[*i]))
		(*i)++;
	if (*i >= n)
		return false;
	*t = line + *i;
	while (*i < n && !is_space(line[*i]))
		(*i)++;
	*tn = (size_t)(line + *i - *t);
	return true;
}

/* deb [options] uri suite component... */
static bool one_line(const char *line, size_t n, const char *suite, char *out, size_t outlen)
{
	const char *hash = memchr(line, '#', n);
	if (hash)
		n = (size_t)(hash - line);
	size_t i = 0, tn;
	const char *t;
	if (!token(line, n, &i, &t, &tn) || tn != 3 || memcmp(t, "deb", 3))
		return false;
	while (i < n && is_space(line[i]))
		i++;
	if (i < n && line[i] == '[') {
		const char *end = memchr(line + i, ']', n - i);
		if (!end)
			return false;
		i = (size_t)(end - line) + 1;
	}
	const char *uri, *s;
	size_t un, sn;
	if (!token(line, n, &i, &uri, &un) || !token(line, n, &i, &s, &sn))
		return false;
	if (sn != strlen(suite) || memcmp(s, suite, sn) || !list_has(line + i, n - i, "main"))
		return false;
	return take_uri(uri, un, out, outlen);
}

/* The fields of one deb822 paragraph that matter here. */
struct para {
	char types[256], uris[4096], suites[512], comps[512], enabled[16];
	char *cur; /* the field a continuation line adds to; NULL: one we ignore */
	size_t cur_size;
	bool bad; /* a field too long: the paragraph is skipped */
};

static void para_add(struct para *p, const char *v, size_t n)
{
	if (!p->cur)
		return;
	size_t have = strlen(p->cur);
	if (have + n + 2 > p->cur_size) {
		p->bad = true;
		return;
	}
	p->cur[have] = ' ';
	memcpy(p->cur + have + 1, v, n);
	p->cur[have + 1 + n] = '\0';
}

static bool para_match(const struct para *p, const char *suite, char *out, size_t outlen)
{
	if (p->bad || !list_has(p->types, strlen(p->types), "deb") ||
	    !list_has(p->suites, strlen(p->suites), suite) ||
	    !list_has(p->comps, strlen(p->comps), "main") ||
	    list_has(p->enabled, strlen(p->enabled), "no"))
		return false;
	size_t i = 0, n = strlen(p->uris), un;
	const char *u;
	while (token(p->uris, n, &i, &u, &un))
		if (take_uri(u, un, out, outlen))
			return true;
	return false;
}

static bool field_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	return n == k && !strncasecmp(line, name, k);
}

static bool deb822(const char *text, size_t len, const char *suite, char *out, size_t outlen)
{
	struct para *p = xcalloc(1, sizeof(*p));
	size_t pos = 0, n;
	const char *line;
	bool found = false, more = true;
	while (!found && more) {
		more = next_line(text, len, &pos, &line, &n);
		size_t blank = 0;
		while (more && blank < n && is_space(line[blank]))
			blank++;
		if (!more || blank == n) {
			found = para_match(p, suite, out, outlen);
			memset(p, 0, sizeof(*p));
			continue;
		}
		if (line[0] == '#')
			continue;
		if (is_space(line[0])) {
			para_add(p, line, n);
			continue;
		}
		const char *colon = memchr(line, ':', n);
		if (!colon) {
			p->bad = true;
			continue;
		}
		size_t kn = (size_t)(colon - line);
		struct {
			const char *name;
			char *buf;
			size_t size;
		} fields[] = {
			{ "Types", p->types, sizeof(p->types) },
			{ "URIs", p->uris, sizeof(p->uris) },
			{ "Suites", p->suites, sizeof(p->suites) },
			{ "Components", p->comps, sizeof(p->comps) },
			{ "Enabled", p->enabled, sizeof(p->enabled) },
		};
		p->cur = NULL;
		for (size_t f = 0; f < VB_ARRAY_SIZE(fields); f++)
			if (field_is(line, kn, fields[f].name)) {
				if (fields[f].buf[0])
					p->bad = true; /* a field given twice */
				p->cur = fields[f].buf;
				p->cur_size = fields[f].size;
			}
		para_add(p, colon + 1, n - kn - 1);
	}
	free(p);
	return found;
}

int vb_apt_mirror_parse(const char *text, size_t len, bool is_deb822, const char *suite, char *out,
			size_t outlen)
{
	if (is_deb822)
		return deb822(text, len, suite, out, outlen) ? 0 : -ENOENT;
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n))
		if (n <= LINE_MAX_LEN && one_line(line, n, suite, out, outlen))
			return 0;
	return -ENOENT;
}

int vb_apt_host_codename(const char *root, char *out, size_t outlen, struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/etc/os-release", root);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = vb_read_file(path, 65536, &text, &len);
	if (r)
		return vb_error_errno(err, -r, "cannot read %s", path);
	r = vb_apt_codename(text, len, out, outlen);
	if (r == -ENOENT)
		return vb_error_set(err, r,
				    "%s has no VERSION_CODENAME (a Debian testing or sid "
				    "host?): no suite to bootstrap",
				    path);
	if (r)
		return vb_error_set(err, r, "%s: VERSION_CODENAME is not a suite name", path);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

static bool try_file(const char *path, bool is_deb822, const char *suite, char *out, size_t outlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	return vb_read_file(path, 1 << 20, &text, &len) == 0 &&
	       vb_apt_mirror_parse(text, len, is_deb822, suite, out, outlen) == 0;
}

int vb_apt_host_mirror(const char *root, const char *suite, char *out, size_t outlen,
		       struct vb_error **err)
{
	_cleanup_free_ char *list = xasprintf("%s/etc/apt/sources.list", root);
	if (try_file(list, false, suite, out, outlen))
		return 0;
	_cleanup_free_ char *dir = xasprintf("%s/etc/apt/sources.list.d", root);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, by_name);
	bool found = false;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		bool is_list = ends_with(name, ".list"), is_sources = ends_with(name, ".sources");
		if (!found && (is_list || is_sources)) {
			_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
			found = try_file(path, is_sources, suite, out, outlen);
		}
		free(ents[i]);
	}
	free(ents);
	if (found)
		return 0;
	return vb_error_set(
	    err, -ENOENT,
	    "no http(s) 'deb' source for %s with component main in %s or %s/*.list, "
	    "*.sources: no mirror to bootstrap from",
	    suite, list, dir);
}
