/* SPDX-License-Identifier: MIT */
/* Unit tests for the answers of Xen dom0's control loop (src/platform/xen-ctl.c). */
#include <errno.h>

#include "test.h"
#include "core/util.h"
#include "platform/xen-ctl.h"

static int parse(const char *line, struct vb_xenctl_answer *a)
{
	struct vb_error *err = NULL;
	int r = vb_xenctl_parse(line, strlen(line), a, &err);
	if (r)
		CHECK_MSG(r == -EPROTO && err && strstr(err->msg, "dom0's control answer"), "%d %s",
			  r, err ? err->msg : "(no message)");
	vb_error_free(&err);
	return r;
}

static void test_good(void)
{
	struct vb_xenctl_answer a;
	CHECK(parse("1 ok up=23450", &a) == 0);
	CHECK(a.seq == 1 && a.ok && a.up == 23450 && a.ms == -1 && a.domid == -1);
	/* A real dom0 up for years (xen-local): its uptime in ms has 10-12 digits. */
	CHECK(parse("1 ok up=999999999999", &a) == 0 && a.up == 999999999999LL);
	CHECK(parse("17 ok ms=6120 domid=3", &a) == 0);
	CHECK(a.seq == 17 && a.ms == 6120 && a.domid == 3 && a.forced == -1);
	CHECK(parse("18 ok ms=0 forced=1", &a) == 0);
	CHECK(a.ms == 0 && a.forced == 1);
	CHECK(parse("19 ok dom=0:3 dom=2:7", &a) == 0);
	CHECK(a.ndoms == 2 && a.doms[0].slot == 0 && a.doms[0].domid == 3 && a.doms[1].slot == 2 &&
	      a.doms[1].domid == 7);
	CHECK(parse("20 ok", &a) == 0 && a.ndoms == 0);
	CHECK(parse("21 err ms=40 msg=xl create: failed (see /run/xl-1.log)", &a) == 0);
	CHECK(!a.ok && a.ms == 40 && !strcmp(a.msg, "xl create: failed (see /run/xl-1.log)"));
	_cleanup_free_ char *s = vb_xenctl_format(&a);
	CHECK(!strcmp(s, "21 err ms=40 msg=xl create: failed (see /run/xl-1.log)"));
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"",
		"1",
		"ok",
		"0 ok",
		"01 ok",
		"1234567890 ok",
		"1 maybe",
		"1 OK",
		" 1 ok",
		"1  ok",
		"1 ok ",
		"1 ok ms=",
		"1 ok ms=-1",
		"1 ok ms=1e3",
		"1 ok ms=0012",
		"1 ok ms=1 ms=2",
		"1 ok up=1234567890123",
		"1 ok ms=1234567890",
		"1 ok domid=0",
		"1 ok domid=32752",
		"1 ok domid=123456",
		"1 ok forced=2",
		"1 ok dom=4:1",
		"1 ok dom=0:1 dom=0:2",
		"1 ok dom=0",
		"1 ok dom=:1",
		"1 ok dom=0:0",
		"1 ok color=red",
		"1 ok ms",
		"1 ok msg=fine",
		"1 err",
		"1 err ms=3",
		"1 err msg=",
		"1 err msg=trailing ",
		"1 ok\tms=1",
		"1 ok ms=1\r",
		"1 err msg=caf\xc3\xa9",
	};
	struct vb_xenctl_answer a;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(parse(bad[i], &a) == -EPROTO, "accepted '%s'", bad[i]);
	/* An embedded NUL, and a line over the limit. */
	struct vb_error *err = NULL;
	CHECK(vb_xenctl_parse("1 ok\0ms=1", 9, &a, &err) == -EPROTO);
	vb_error_free(&err);
	char long_line[VB_XENCTL_MAX_LINE + 10];
	memset(long_line, 'x', sizeof(long_line));
	memcpy(long_line, "1 err msg=", 10);
	CHECK(vb_xenctl_parse(long_line, sizeof(long_line), &a, &err) == -EPROTO);
	vb_error_free(&err);
	/* msg= at its limit is accepted, one more byte is not. */
	char m[10 + VB_XENCTL_MAX_MSG + 2];
	memcpy(m, "1 err msg=", 10);
	memset(m + 10, 'y', VB_XENCTL_MAX_MSG + 1);
	CHECK(vb_xenctl_parse(m, 10 + VB_XENCTL_MAX_MSG, &a, &err) == 0);
	CHECK(vb_xenctl_parse(m, 10 + VB_XENCTL_MAX_MSG + 1, &a, &err) == -EPROTO);
	vb_error_free(&err);
}

TEST_MAIN(T(test_good), T(test_bad))
