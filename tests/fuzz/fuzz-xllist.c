/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for xen-local's reading of `xl list` and `xl info`
 * (outside input: the sweep destroys domains by these names): the parser
 * must accept or refuse with -EPROTO and a message, and every domain it
 * returns must have a non-empty printable name without white space that
 * fits its buffer; names taken as a run's must have the shape of one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "platform/xen-xl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-xllist: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)vb_xen_caps_dom0((const char *)data, size);
	struct vb_xl_dom *d = NULL;
	size_t n = 0;
	struct vb_error *err = NULL;
	int r = vb_xl_list_parse(text, &d, &n, &err);
	if (r) {
		if (r != -EPROTO || !err || d || n)
			fail("refused without -EPROTO and a message, or with domains");
		vb_error_free(&err);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(d[i].name, sizeof(d[i].name));
		if (!len || len == sizeof(d[i].name))
			fail("a domain name empty or unterminated");
		for (size_t k = 0; k < len; k++)
			if (d[i].name[k] <= 0x20 || d[i].name[k] >= 0x7f)
				fail("a domain name with white space or unprintable bytes");
		if (d[i].domid > 99999)
			fail("a domid of more than five digits");
		char tag[12];
		if (vb_xl_run_name(d[i].name, tag) &&
		    (strlen(tag) != 11 || strncmp(d[i].name, tag, 11)))
			fail("a run's name whose tag is not its prefix");
	}
	free(d);
	char *v = vb_xl_info_field(text, "xen_version");
	if (v && (!*v || strlen(v) > 127))
		fail("an xl info value empty or too long");
	free(v);
	free(text);
	return 0;
}
