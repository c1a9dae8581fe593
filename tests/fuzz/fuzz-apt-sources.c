/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the host files a Debian image is made from: apt
 * sources (one-line and deb822) and os-release. The first byte picks the
 * format. What is accepted must be an http(s) URI made only of URI
 * characters, with no trailing slash, that fits; a codename must be
 * [a-z0-9-]; and parsing the same text again gives the same answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "guest/apt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (256 * 1024)

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-apt-sources: %s\n", what);
	abort();
}

static void check_uri(const char *u, size_t outlen)
{
	size_t n = strlen(u);
	if (n >= outlen || n > VB_APT_URI_MAX)
		fail("a URI longer than allowed");
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
		fail("a URI that is not http(s)");
	if (u[n - 1] == '/')
		fail("a trailing slash");
	if (strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		      "-._~:/?#[]@!$&'()*+,;=%") != n)
		fail("a URI with a character outside RFC 3986");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (size > MAX_INPUT)
		size = MAX_INPUT;
	unsigned mode = data[0] % 3;
	size_t len = size - 1;
	/* (pointer, length): no NUL terminator on purpose. */
	char *text = xmalloc(len ? len : 1);
	memcpy(text, data + 1, len);
	if (mode == 2) {
		char a[VB_APT_SUITE_MAX + 1], b[VB_APT_SUITE_MAX + 1];
		int r = vb_apt_codename(text, len, a, sizeof(a));
		if (r != 0 && r != -ENOENT && r != -EINVAL)
			fail("an unexpected return from vb_apt_codename");
		if (!r &&
		    (!a[0] || strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(a)))
			fail("a codename outside [a-z0-9-]");
		if (vb_apt_codename(text, len, b, sizeof(b)) != r || (!r && strcmp(a, b)))
			fail("the same text, another codename");
		free(text);
		return 0;
	}
	static const char *const suites[] = { "bookworm", "stable", "a" };
	size_t outlen = 8 + (size % 80);
	for (size_t s = 0; s < 3; s++) {
		char a[VB_APT_URI_MAX + 1], b[VB_APT_URI_MAX + 1];
		int r = vb_apt_mirror_parse(text, len, mode == 1, suites[s], a, outlen);
		if (r != 0 && r != -ENOENT)
			fail("an unexpected return from vb_apt_mirror_parse");
		if (!r)
			check_uri(a, outlen);
		if (vb_apt_mirror_parse(text, len, mode == 1, suites[s], b, outlen) != r ||
		    (!r && strcmp(a, b)))
			fail("the same text, another mirror");
	}
	free(text);
	return 0;
}
