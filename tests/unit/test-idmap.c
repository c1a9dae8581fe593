/* SPDX-License-Identifier: MIT */
/* User namespace maps: the --userns parser, its canonical text, the kernel's view. */
#include <errno.h>

#include "runtime/idmap.h"
#include "test.h"

/* Same maps in the same order (memcmp would also compare padding). */
static bool same_userns(const struct vb_userns *a, const struct vb_userns *b)
{
	const struct vb_idmap *ma[] = { &a->uid, &a->gid }, *mb[] = { &b->uid, &b->gid };
	if (a->setgroups_deny != b->setgroups_deny)
		return false;
	for (size_t k = 0; k < 2; k++) {
		if (ma[k]->n != mb[k]->n)
			return false;
		for (size_t i = 0; i < ma[k]->n; i++)
			if (ma[k]->e[i].inside != mb[k]->e[i].inside ||
			    ma[k]->e[i].outside != mb[k]->e[i].outside ||
			    ma[k]->e[i].count != mb[k]->e[i].count)
				return false;
	}
	return true;
}

static bool parses(const char *text, struct vb_userns *u)
{
	struct vb_error *err = NULL;
	int r = vb_userns_parse(text, u, &err);
	if (r) {
		CHECK(err && err->msg && !strchr(err->msg, '\n'));
		vb_error_free(&err);
	}
	return r == 0;
}

static bool refused(const char *text)
{
	struct vb_userns u;
	vb_userns_default(&u);
	struct vb_userns before = u;
	bool bad = !parses(text, &u);
	/* A refused map leaves *out alone. */
	CHECK_MSG(same_userns(&u, &before), "'%s' changed the output", text);
	return bad;
}

static void test_default(void)
{
	struct vb_userns u, p;
	vb_userns_default(&u);
	CHECK(u.uid.n == 1 && u.gid.n == 1 && !u.setgroups_deny);
	CHECK(u.uid.e[0].inside == 0 && u.uid.e[0].outside == 1879048192 &&
	      u.uid.e[0].count == 65536);
	CHECK(parses("0:1879048192:65536", &p) && same_userns(&u, &p));
	char buf[64];
	CHECK(vb_userns_format(&u, buf, sizeof(buf)) == strlen("0:1879048192:65536"));
	CHECK(!strcmp(buf, "0:1879048192:65536"));
}

static void test_parse(void)
{
	struct vb_userns u;
	CHECK(parses("u:0:200000:1000,u:1000:300000:5,g:0:400000:10,setgroups=deny", &u));
	CHECK(u.uid.n == 2 && u.gid.n == 1 && u.setgroups_deny);
	CHECK(u.uid.e[1].inside == 1000 && u.uid.e[1].outside == 300000 && u.uid.e[1].count == 5);
	CHECK(u.gid.e[0].outside == 400000);
	CHECK(parses("0:1:1,setgroups=allow", &u) && !u.setgroups_deny);
	/* Shared extents go to both maps, in order; the largest ids that fit. */
	CHECK(parses("5:10:1,0:4294967293:1,g:7:20:1", &u));
	CHECK(u.uid.n == 2 && u.gid.n == 3 && u.gid.e[2].inside == 7);
	CHECK(parses("0:1:4294967294", &u) && u.uid.e[0].count == 4294967294u);
	CHECK(parses("0:4294967290:5", &u));
	/* Adjacent extents touch but do not overlap. */
	CHECK(parses("0:100:10,10:110:10", &u));
	/* Five extents is the limit, per map. */
	CHECK(parses("0:1:1,1:2:1,2:3:1,3:4:1,4:5:1", &u) && u.uid.n == 5);
	CHECK(parses("u:0:1:1,u:1:2:1,u:2:3:1,u:3:4:1,u:4:5:1,g:0:9:1", &u));
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",
		",",
		"0:100000:65536,",
		",0:100000:65536",
		"0:100000:65536,,g:0:1:1",
		"0:100000",
		"0:100000:65536:1",
		"0:100000:",
		":100000:1",
		"a:b:c",
		"0:100000:x",
		"-1:100000:1",
		"+0:100000:1",
		" 0:100000:1",
		"0:100000:1 ",
		"0:0x10:1",
		"0:4294967296:1",		       /* not 32 bits */
		"0:100000:99999999999",		       /* not 32 bits */
		"00000000000:1:1",		       /* eleven digits */
		"0:100000:0",			       /* empty extent */
		"0:1:4294967295",		       /* wraps */
		"0:4294967291:5",		       /* takes in (uid_t)-1 */
		"0:0:1",			       /* host root inside */
		"g:0:0:1,u:0:5:1",		       /* host root group inside */
		"1:100000:10",			       /* no root inside */
		"u:0:100000:10",		       /* no gid map at all */
		"0:100:10,5:200:10",		       /* overlap inside */
		"0:100:10,20:105:10",		       /* overlap outside */
		"0:100:10,0:100:10",		       /* the same twice */
		"0:1:1,1:2:1,2:3:1,3:4:1,4:5:1,5:6:1", /* six extents */
		"x:0:1:1",
		"u:",
		"setgroups=deny", /* no map */
		"0:1:1,setgroups=maybe",
		"0:1:1,setgroups=deny,setgroups=allow", /* twice */
		"0:1:1,setgroups=",
		"0:100000:1\n", /* no line breaks in a one-line error */
		"0:100000:1\t",
		"0:1:1,g:0:1:1\x7f",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(refused(bad[i]), "'%s' was accepted", bad[i]);
}

static void test_format_roundtrip(void)
{
	static const char *const maps[] = {
		"0:100000:65536",
		"0:100000:65536,setgroups=deny",
		"u:0:200000:1000,u:1000:300000:5,g:0:400000:10",
		"5:10:1,0:4294967293:1,g:7:20:1",
		"u:0:1:1,g:0:2:1,setgroups=deny",
	};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		struct vb_userns a, b;
		char buf[256];
		CHECK(parses(maps[i], &a));
		size_t n = vb_userns_format(&a, buf, sizeof(buf));
		CHECK(n == strlen(buf));
		CHECK_MSG(parses(buf, &b) && same_userns(&a, &b), "%s -> %s", maps[i], buf);
	}
	/* Too small a buffer: truncated, terminated, and the length it needed. */
	struct vb_userns u;
	char small[8];
	vb_userns_default(&u);
	CHECK(vb_userns_format(&u, small, sizeof(small)) == strlen("0:1879048192:65536"));
	CHECK(!strcmp(small, "0:18790"));
}

static void test_outside(void)
{
	struct vb_userns u;
	uint32_t out = 0;
	CHECK(parses("0:100000:10,1000:300000:5", &u));
	CHECK(vb_idmap_outside(&u.uid, 0, &out) && out == 100000);
	CHECK(vb_idmap_outside(&u.uid, 9, &out) && out == 100009);
	CHECK(!vb_idmap_outside(&u.uid, 10, &out));
	CHECK(vb_idmap_outside(&u.uid, 1004, &out) && out == 300004);
	CHECK(!vb_idmap_outside(&u.uid, 1005, &out));
	CHECK(!vb_idmap_outside(&u.uid, 4294967295u, &out));
}

static void test_proc(void)
{
	struct vb_idmap m, want;
	/* As the kernel prints it: "%10u %10u %10u\n". */
	CHECK(vb_idmap_parse_proc("         0     100000      65536\n", &m) == 0);
	CHECK(m.n == 1 && m.e[0].outside == 100000 && m.e[0].count == 65536);
	CHECK(vb_idmap_parse_proc("", &m) == 0 && m.n == 0);
	CHECK(vb_idmap_parse_proc("         0     100000      65536\n"
				  "      1000     300000          5\n",
				  &m) == 0);
	want = (struct vb_idmap){ 2, { { 1000, 300000, 5 }, { 0, 100000, 65536 } } };
	CHECK(vb_idmap_equal(&m, &want));
	want.e[0].count = 6;
	CHECK(!vb_idmap_equal(&m, &want));
	want.n = 1;
	CHECK(!vb_idmap_equal(&m, &want));
	CHECK(vb_idmap_parse_proc("0 100000 65536", &m) == -EINVAL); /* no newline */
	CHECK(vb_idmap_parse_proc("0 100000\n", &m) == -EINVAL);
	CHECK(vb_idmap_parse_proc("0 100000 65536 1\n", &m) == -EINVAL);
	CHECK(vb_idmap_parse_proc("0 -1 65536\n", &m) == -EINVAL);
	CHECK(vb_idmap_parse_proc("0 4294967296 1\n", &m) == -EINVAL);
	CHECK(vb_idmap_parse_proc("0 1 1\n1 2 1\n2 3 1\n3 4 1\n4 5 1\n5 6 1\n", &m) == -EINVAL);
}

TEST_MAIN(T(test_default), T(test_parse), T(test_refused), T(test_format_roundtrip),
	  T(test_outside), T(test_proc))
