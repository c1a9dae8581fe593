/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for xen-local's reading of a Xen dom0 (src/platform/xen-xl.c):
 * /proc/xen/capabilities, `xl list` for the sweep, `xl info`, cpuinfo's
 * model name; on text captured in virtbench's nested dom0 (tests/data/xen).
 */
#include <errno.h>

#include "test.h"
#include "core/util.h"
#include "platform/xen-xl.h"

static char *data(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/xen/%s", VB_TEST_DATA, name);
	char *text = NULL;
	CHECK_MSG(vb_read_file(path, 1 << 20, &text, NULL) >= 0, "reading %s", path);
	return text ? text : xstrdup("");
}

static void test_caps(void)
{
	_cleanup_free_ char *dom0 = data("capabilities-dom0");
	_cleanup_free_ char *domu = data("capabilities-domu");
	CHECK(vb_xen_caps_dom0(dom0, strlen(dom0)));
	CHECK(!vb_xen_caps_dom0(domu, strlen(domu)));
	CHECK(vb_xen_caps_dom0("foo,control_d", 13));
	CHECK(vb_xen_caps_dom0(" control_d \n", 12));
	CHECK(!vb_xen_caps_dom0("control_dx", 10));
	CHECK(!vb_xen_caps_dom0("xcontrol_d", 10));
	CHECK(!vb_xen_caps_dom0("control_d", 8)); /* the length counts, not the NUL */
	CHECK(!vb_xen_caps_dom0("contr\0l_d", 9));
}

static void test_xl_list(void)
{
	_cleanup_free_ char *text = data("xl-list.txt");
	struct vb_xl_dom *d = NULL;
	size_t n = 0;
	struct vb_error *err = NULL;
	CHECK(vb_xl_list_parse(text, &d, &n, &err) == 0);
	CHECK_MSG(n >= 2, "%zu domains", n);
	CHECK(n && !strcmp(d[0].name, "Domain-0") && d[0].domid == 0);
	bool ours = false;
	for (size_t i = 0; i < n; i++) {
		char tag[12];
		if (vb_xl_run_name(d[i].name, tag))
			ours = !strncmp(tag, "vb-", 3) && strlen(tag) == 11 && d[i].domid > 0;
	}
	CHECK(ours);
	free(d);

	/* Lines that are no domain's are skipped; no header is an error. */
	const char *odd = "Name ID Mem VCPUs State Time(s)\n"
			  "has two words                        5   256     1     -b----   1.0\n"
			  "vb-1a2b3c4d-0 x 256 1 -b---- 1.0\n"
			  "vb-1a2b3c4d-0 3 256 1 -bX--- 1.0\n"
			  "vb-1a2b3c4d-0 3 256 1 -b---- 1.0 extra\n"
			  "vb-1a2b3c4d-2 9 256 1 -b---- 2.5";
	CHECK(vb_xl_list_parse(odd, &d, &n, &err) == 0);
	CHECK(n == 1 && !strcmp(d[0].name, "vb-1a2b3c4d-2") && d[0].domid == 9);
	free(d);
	CHECK(vb_xl_list_parse("Domain-0 0 512 1 r----- 4.0\n", &d, &n, &err) == -EPROTO);
	CHECK(d == NULL && n == 0 && err);
	vb_error_free(&err);
	CHECK(vb_xl_list_parse("", &d, &n, &err) == -EPROTO);
	vb_error_free(&err);
}

static void test_run_name(void)
{
	char tag[12];
	CHECK(vb_xl_run_name("vb-1a2b3c4d-0", tag) && !strcmp(tag, "vb-1a2b3c4d"));
	CHECK(vb_xl_run_name("vb-00000000-12", tag) && !strcmp(tag, "vb-00000000"));
	static const char *const no[] = { "vb-1a2b3c4d",    "vb-1a2b3c4d-",
					  "vb-1A2B3C4D-0",  "vb-1a2b3c4-0",
					  "vb-1a2b3c4d0-0", "vb-1a2b3c4d-0x",
					  "xvb-1a2b3c4d-0", "vb0",
					  "Domain-0",	    "vb-1a2b3c4d-1234567" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(no); i++)
		CHECK_MSG(!vb_xl_run_name(no[i], tag), "took %s", no[i]);
}

static void test_xl_info(void)
{
	_cleanup_free_ char *text = data("xl-info.txt");
	_cleanup_free_ char *v = vb_xl_info_field(text, "xen_version");
	CHECK(v && !strncmp(v, "4.17", 4));
	_cleanup_free_ char *none = vb_xl_info_field(text, "xen");
	CHECK(none == NULL);
	_cleanup_free_ char *empty = vb_xl_info_field(text, "xen_changeset");
	CHECK(empty == NULL);
	_cleanup_free_ char *m = vb_cpuinfo_model("processor\t: 0\nvendor_id\t: AuthenticAMD\n"
						  "model name\t: QEMU TCG CPU version 2.5+\n");
	CHECK(m && !strcmp(m, "QEMU TCG CPU version 2.5+"));
	_cleanup_free_ char *bad = vb_xl_info_field("k : caf\xc3\xa9\n", "k");
	CHECK(bad == NULL);
}

TEST_MAIN(T(test_caps), T(test_xl_list), T(test_run_name), T(test_xl_info))
