/* SPDX-License-Identifier: MIT */
/*
 * A host that is a Xen dom0 itself (xen-local, docs/xen.md): telling it
 * apart, and reading xl's outputs. Hand-written parsers: xl prints fixed
 * columns and "key : value" lines, with no machine-readable form of `xl
 * list` short of its JSON of whole domain configurations.
 */
#include <ctype.h>
#include <sys/wait.h>

#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "platform/xen-xl.h"

#define CAPS "/proc/xen/capabilities"

bool vb_xen_caps_dom0(const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (text[i] == ',' || isspace((unsigned char)text[i])))
			i++;
		size_t start = i;
		while (i < len && text[i] != ',' && !isspace((unsigned char)text[i]) && text[i])
			i++;
		if (i - start == 9 && !memcmp(text + start, "control_d", 9))
			return true;
		if (i < len && !text[i])
			break;
	}
	return false;
}

/* The whitespace-separated fields of line [s, e): at most max, their count (max + 1: more). */
static size_t split(const char *s, const char *e, const char *f[], size_t fl[], size_t max)
{
	size_t n = 0;
	while (s < e) {
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (s == e)
			break;
		const char *b = s;
		while (s < e && *s != ' ' && *s != '\t')
			s++;
		if (n == max)
			return max + 1;
		f[n] = b;
		fl[n++] = (size_t)(s - b);
	}
	return n;
}

static bool all_digits(const char *s, size_t n, size_t max)
{
	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int vb_xl_list_parse(const char *text, struct vb_xl_dom **out, size_t *n, struct vb_error **err)
{
	*out = NULL;
	*n = 0;
	bool header = false;
	size_t cap = 0;
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		if (!e)
			e = l + strlen(l);
		const char *f[6];
		size_t fl[6];
		size_t k = split(l, e, f, fl, 6);
		if (!header) {
			header = k == 6 && fl[0] == 4 && !memcmp(f[0], "Name", 4) && fl[1] == 2 &&
				 !memcmp(f[1], "ID", 2);
		} else if (k == 6 && fl[0] < sizeof((*out)->name) && all_digits(f[1], fl[1], 5) &&
			   all_digits(f[2], fl[2], 12) && all_digits(f[3], fl[3], 5) &&
			   fl[4] == 6 && strspn(f[4], "rbpscd-") >= 6) {
			bool printable = true;
			for (size_t i = 0; i < fl[0]; i++)
				printable &= f[0][i] > 0x20 && f[0][i] < 0x7f;
			if (printable) {
				if (*n == cap) {
					cap = cap ? 2 * cap : 8;
					*out = xrealloc(*out, cap * sizeof(**out));
				}
				struct vb_xl_dom *d = &(*out)[(*n)++];
				memcpy(d->name, f[0], fl[0]);
				d->name[fl[0]] = '\0';
				d->domid = (unsigned)strtoul(f[1], NULL, 10);
			}
		}
		l = *e ? e + 1 : e;
	}
	if (!header) {
		free(*out);
		*out = NULL;
		*n = 0;
		return vb_error_set(err, -EPROTO, "xl list printed no 'Name ID ...' header");
	}
	return 0;
}

bool vb_xl_run_name(const char *name, char tag[12])
{
	size_t n = strlen(name);
	if (n < 13 || strncmp(name, "vb-", 3) || strspn(name + 3, "0123456789abcdef") != 8 ||
	    name[11] != '-' || !all_digits(name + 12, n - 12, 6))
		return false;
	memcpy(tag, name, 11);
	tag[11] = '\0';
	return true;
}

char *vb_xl_info_field(const char *text, const char *key)
{
	size_t kn = strlen(key);
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		if (!e)
			e = l + strlen(l);
		if ((size_t)(e - l) > kn && !strncmp(l, key, kn) &&
		    (l[kn] == ' ' || l[kn] == '\t' || l[kn] == ':')) {
			const char *v = l + kn;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v < e && *v == ':') {
				v++;
				while (v < e && (*v == ' ' || *v == '\t'))
					v++;
				const char *end = e;
				while (end > v &&
				       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
					end--;
				size_t vn = (size_t)(end - v);
				if (!vn || vn > 127)
					return NULL;
				for (size_t i = 0; i < vn; i++)
					if (v[i] < 0x20 || v[i] >= 0x7f)
						return NULL;
				return xstrndup(v, vn);
			}
		}
		l = *e ? e + 1 : e;
	}
	return NULL;
}

int vb_xl_run(char *const args[], int timeout_ms, char **out, struct vb_error **err)
{
	*out = NULL;
	_cleanup_free_ char *xl = vb_proc_which("xl");
	if (!xl)
		return vb_error_set(err, -ENOENT, "xl is not on PATH");
	size_t n = 0;
	while (args[n])
		n++;
	char **argv = xcalloc(n + 2, sizeof(char *));
	argv[0] = xl;
	memcpy(argv + 1, args, n * sizeof(char *));
	int st;
	int r = vb_proc_run(argv, timeout_ms, 1 << 20, out, &st, err);
	free(argv);
	if (r)
		return vb_error_wrap(err, "xl %s", args[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char *s = *out ? *out : "";
		size_t len = strlen(s);
		while (len && s[len - 1] == '\n')
			s[--len] = '\0';
		const char *last = strrchr(s, '\n');
		return vb_error_set(err, -EIO, "xl %s failed (exit %d): %.200s", args[0],
				    WIFEXITED(st) ? WEXITSTATUS(st) : -1, last ? last + 1 : s);
	}
	return 0;
}

int vb_xen_local_probe(struct vb_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (access("/proc/xen", F_OK))
		return vb_error_set(err, VB_SKIP, "this host is no Xen dom0 (no /proc/xen)");
	if (vb_read_file(CAPS, 4096, &text, &len) < 0)
		return vb_error_set(err, VB_SKIP,
				    "cannot read " CAPS " (xenfs not mounted on /proc/xen?): "
				    "no telling whether this host is a Xen dom0");
	if (!vb_xen_caps_dom0(text, len))
		return vb_error_set(err, VB_SKIP,
				    "a Xen guest, not dom0 (" CAPS " has no control_d)");
	_cleanup_free_ char *xl = vb_proc_which("xl");
	if (!xl)
		return vb_error_set(err, VB_SKIP, "a Xen dom0, but xl is not on PATH (xen-utils)");
	if (geteuid() != 0)
		return vb_error_set(err, VB_SKIP, "a Xen dom0, but xl needs root");
	return 0;
}

char *vb_xen_local_found(void)
{
	_cleanup_free_ char *out = NULL, *xl = vb_proc_which("xl");
	struct vb_error *e = NULL;
	char *args[] = { "info", NULL };
	_cleanup_free_ char *ver = NULL;
	if (vb_xl_run(args, 30000, &out, &e) == 0)
		ver = vb_xl_info_field(out, "xen_version");
	vb_error_free(&e);
	return xasprintf("Xen %s dom0 (control_d), %s", ver ? ver : "(xl info failed)",
			 xl ? xl : "xl");
}

int vb_xen_local_sweep(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		       struct vb_error **err)
{
	*n = 0;
	struct vb_error *e = NULL;
	if (vb_xen_local_probe(&e)) {
		vb_error_free(&e);
		return 0;
	}
	char *list[] = { "list", NULL };
	_cleanup_free_ char *out = NULL;
	int r = vb_xl_run(list, 60000, &out, err);
	struct vb_xl_dom *doms = NULL;
	size_t nd = 0;
	if (!r)
		r = vb_xl_list_parse(out, &doms, &nd, err);
	if (r)
		return vb_error_wrap(err, "sweeping the domUs of dead runs");
	for (size_t i = 0; i < nd; i++) {
		char tag[12];
		if (!vb_xl_run_name(doms[i].name, tag) || is_alive(tag, data))
			continue;
		vb_info("destroying Xen domain %s (%u), left by a run that is gone", doms[i].name,
			doms[i].domid);
		char *destroy[] = { "destroy", doms[i].name, NULL };
		_cleanup_free_ char *o = NULL;
		if (vb_xl_run(destroy, 60000, &o, &e)) {
			vb_warn("%s", e->msg);
			vb_error_free(&e);
			continue;
		}
		(*n)++;
	}
	free(doms);
	return 0;
}

char *vb_cpuinfo_model(const char *cpuinfo)
{
	return vb_xl_info_field(cpuinfo, "model name");
}

int vb_xen_local_emulation(void)
{
	_cleanup_free_ char *text = NULL, *model = NULL;
	if (vb_read_file("/proc/cpuinfo", 1 << 20, &text, NULL) >= 0)
		model = vb_cpuinfo_model(text);
	return model && strstr(model, "QEMU TCG CPU") ? 2 : 0;
}
