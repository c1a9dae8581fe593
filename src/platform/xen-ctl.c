/* SPDX-License-Identifier: MIT */
/*
 * The answers of dom0's control loop (docs/xen.md). Hand-written: the
 * grammar is a few space-separated key=value tokens, too small for a
 * library, and a shell loop writes them (no JSON in busybox).
 */
#include "core/util.h"
#include "platform/xen-ctl.h"

/* The first 80 bytes of a refused line, with anything unprintable as '?'. */
static char *shown(const char *line, size_t len)
{
	size_t n = len < 80 ? len : 80;
	char *s = xmalloc(n + 4);
	for (size_t i = 0; i < n; i++)
		s[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	memcpy(s + n, len > n ? "..." : "", len > n ? 4 : 1);
	return s;
}

/* A decimal of 1..digits digits, without leading zeros, into *v. */
static bool decimal(const char *s, size_t n, unsigned digits, long long *v)
{
	if (!n || n > digits || (s[0] == '0' && n > 1))
		return false;
	long long x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* domU ids: 0 is dom0, and from 0x7ff0 on they are reserved (DOMID_FIRST_RESERVED). */
static bool domid_ok(long long v)
{
	return v >= 1 && v < 0x7ff0;
}

static int field(const char *t, size_t n, struct vb_xenctl_answer *a, const char **why)
{
	const char *eq = memchr(t, '=', n);
	if (!eq) {
		*why = "a field without '='";
		return -1;
	}
	size_t kn = (size_t)(eq - t), vn = n - kn - 1;
	const char *v = eq + 1;
	long long x;
#define KEY(k) (kn == sizeof(k) - 1 && !memcmp(t, k, kn))
	if (KEY("ms") || KEY("up")) {
		long long *dst = KEY("ms") ? &a->ms : &a->up;
		if (*dst >= 0) {
			*why = "a repeated field";
			return -1;
		}
		/*
		 * ms: one request's time (under 12 days); up: dom0's uptime in
		 * ms, on a real dom0 (xen-local) possibly years: 12 digits.
		 */
		if (!decimal(v, vn, KEY("ms") ? 9 : 12, &x)) {
			*why = KEY("ms") ? "a time that is not a decimal of at most 9 digits"
					 : "an uptime that is not a decimal of at most 12 digits";
			return -1;
		}
		*dst = x;
	} else if (KEY("domid")) {
		if (a->domid >= 0) {
			*why = "a repeated field";
			return -1;
		}
		if (!decimal(v, vn, 5, &x) || !domid_ok(x)) {
			*why = "a domid that is no domU's";
			return -1;
		}
		a->domid = (int)x;
	} else if (KEY("forced")) {
		if (a->forced >= 0) {
			*why = "a repeated field";
			return -1;
		}
		if (vn != 1 || (v[0] != '0' && v[0] != '1')) {
			*why = "forced that is not 0 or 1";
			return -1;
		}
		a->forced = v[0] - '0';
	} else if (KEY("dom")) {
		const char *colon = memchr(v, ':', vn);
		long long slot, id;
		if (!colon || !decimal(v, (size_t)(colon - v), 1, &slot) ||
		    slot >= VB_XENCTL_SLOTS ||
		    !decimal(colon + 1, vn - (size_t)(colon - v) - 1, 5, &id) || !domid_ok(id)) {
			*why = "a dom that is not SLOT:DOMID";
			return -1;
		}
		for (unsigned i = 0; i < a->ndoms; i++)
			if (a->doms[i].slot == (unsigned)slot) {
				*why = "a slot listed twice";
				return -1;
			}
		a->doms[a->ndoms].slot = (unsigned)slot;
		a->doms[a->ndoms++].domid = (unsigned)id;
	} else {
		*why = "an unknown field";
		return -1;
	}
#undef KEY
	return 0;
}

int vb_xenctl_parse(const char *line, size_t len, struct vb_xenctl_answer *a, struct vb_error **err)
{
	memset(a, 0, sizeof(*a));
	a->ms = a->up = -1;
	a->domid = a->forced = -1;
	const char *why = NULL;
	if (len > VB_XENCTL_MAX_LINE)
		why = "a line too long";
	for (size_t i = 0; !why && i < len; i++)
		if (line[i] < 0x20 || line[i] >= 0x7f)
			why = "a byte that is not printable ASCII";
	size_t pos = 0, tok = 0;
	while (!why && pos < len) {
		if (tok && line[pos++] != ' ')
			VB_BUG("tokens end at a space");
		const char *t = line + pos;
		const char *sp = memchr(t, ' ', len - pos);
		size_t n = sp ? (size_t)(sp - t) : len - pos;
		if (tok >= 2 && n > 4 && !memcmp(t, "msg=", 4)) {
			/* msg= is last and takes the rest of the line, spaces and all. */
			n = len - pos;
			if (a->ok)
				why = "msg= in an ok answer";
			else if (n - 4 > VB_XENCTL_MAX_MSG)
				why = "a msg= too long";
			else if (line[len - 1] == ' ')
				why = "a trailing space";
			else
				memcpy(a->msg, t + 4, n - 4);
			pos = len;
			tok++;
			break;
		}
		if (!n) {
			why = "an empty token (two spaces, or one at an end)";
			break;
		}
		if (tok == 0) {
			long long seq;
			if (!decimal(t, n, 9, &seq) || seq == 0)
				why = "a sequence number that is not 1..999999999";
			a->seq = (unsigned)seq;
		} else if (tok == 1) {
			if (n == 2 && !memcmp(t, "ok", 2))
				a->ok = true;
			else if (!(n == 3 && !memcmp(t, "err", 3)))
				why = "a status that is neither ok nor err";
		} else if (field(t, n, a, &why)) {
			break;
		}
		pos += n;
		tok++;
		if (!why && pos == len - 1 && line[pos] == ' ')
			why = "a trailing space";
	}
	if (!why && tok < 2)
		why = "no sequence number and status";
	if (!why && !a->ok && !a->msg[0])
		why = "an err answer without msg=";
	if (why) {
		_cleanup_free_ char *s = shown(line, len);
		return vb_error_set(err, -EPROTO, "dom0's control answer has %s: '%s'", why, s);
	}
	return 0;
}

char *vb_xenctl_format(const struct vb_xenctl_answer *a)
{
	char *s = xasprintf("%u %s", a->seq, a->ok ? "ok" : "err");
#define ADD(...)                                                                                   \
	do {                                                                                       \
		char *more = xasprintf(__VA_ARGS__);                                               \
		free(s);                                                                           \
		s = more;                                                                          \
	} while (0)
	if (a->ms >= 0)
		ADD("%s ms=%lld", s, a->ms);
	if (a->up >= 0)
		ADD("%s up=%lld", s, a->up);
	if (a->domid >= 0)
		ADD("%s domid=%d", s, a->domid);
	if (a->forced >= 0)
		ADD("%s forced=%d", s, a->forced);
	for (unsigned i = 0; i < a->ndoms; i++)
		ADD("%s dom=%u:%u", s, a->doms[i].slot, a->doms[i].domid);
	if (!a->ok)
		ADD("%s msg=%s", s, a->msg);
#undef ADD
	return s;
}
