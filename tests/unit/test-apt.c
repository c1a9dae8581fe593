/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for what a Debian image is made of: package names, image specs,
 * os-release and apt sources (captured files under tests/data/apt).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "test.h"
#include "core/util.h"
#include "guest/apt.h"
#include "guest/image.h"

static char *data(const char *name, size_t *len)
{
	_cleanup_free_ char *path = xasprintf("%s/apt/%s", VB_TEST_DATA, name);
	char *text = NULL;
	if (vb_read_file(path, 1 << 20, &text, len))
		return NULL;
	return text;
}

static void test_package_names(void)
{
	static const char *const good[] = { "nginx",	  "postgresql-15",   "libstdc++6",
					    "g++",	  "rabbitmq-server", "0ad",
					    "python3.11", "xz-utils" };
	static const char *const bad[] = { "",	      "a",	    "Nginx",	 "-nginx",
					   ".hidden", "+x",	    "ng inx",	 "nginx;rm",
					   "ngïnx",   "ng_inx",	    "nginx=1.2", "nginx/bookworm",
					   "a\nb",    "nginx:amd64" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(good); i++)
		CHECK_MSG(vb_apt_package_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < VB_ARRAY_SIZE(bad); i++)
		CHECK_MSG(!vb_apt_package_valid(bad[i]), "%s", bad[i]);
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!vb_apt_package_valid(longname));
	longname[128] = '\0';
	CHECK(vb_apt_package_valid(longname));
}

static void test_image_spec(void)
{
	struct vb_image_spec s;
	struct vb_error *err = NULL;
	CHECK(vb_image_spec_parse("minimal", &s, &err) == 0 && s.kind == VB_IMAGE_MINIMAL);
	vb_image_spec_release(&s);
	CHECK(vb_image_spec_parse("/srv/root", &s, &err) == 0 && s.kind == VB_IMAGE_DIR &&
	      !strcmp(s.dir, "/srv/root"));
	vb_image_spec_release(&s);
	CHECK(vb_image_spec_parse("debian", &s, &err) == 0 && s.kind == VB_IMAGE_DEBIAN &&
	      s.npackages == 0);
	vb_image_spec_release(&s);
	/* Sorted and each once: the same set is the same cache key. */
	CHECK(vb_image_spec_parse("debian:nginx,curl,nginx,ca-certificates", &s, &err) == 0);
	CHECK(s.npackages == 3 && !strcmp(s.packages[0], "ca-certificates") &&
	      !strcmp(s.packages[1], "curl") && !strcmp(s.packages[2], "nginx"));
	vb_image_spec_release(&s);
	CHECK(s.packages == NULL && s.npackages == 0);
	vb_image_spec_release(&s); /* twice is fine */

	static const char *const bad[] = { "debian:",
					   "debian:,nginx",
					   "debian:nginx,",
					   "debian:a,,b",
					   "debian:Nginx",
					   "debian:ng inx",
					   "debian:x;reboot",
					   "Debian",
					   "debian-nginx",
					   "relative/dir",
					   "",
					   "debian:--foo" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(bad); i++) {
		int r = vb_image_spec_parse(bad[i], &s, &err);
		CHECK_MSG(r == -EINVAL && err && err->exit_code == VB_EXIT_USAGE, "'%s'", bad[i]);
		CHECK(s.packages == NULL && s.dir == NULL);
		vb_error_free(&err);
	}
	_cleanup_free_ char *many = xstrdup("debian:p0");
	for (int i = 1; i <= VB_IMAGE_MAX_PACKAGES; i++) {
		char *next = xasprintf("%s,p%d", many, i);
		free(many);
		many = next;
	}
	CHECK(vb_image_spec_parse(many, &s, &err) == -EINVAL);
	vb_error_free(&err);
}

static void test_codename(void)
{
	char out[VB_APT_SUITE_MAX + 1];
	size_t len;
	_cleanup_free_ char *a = data("os-release-bookworm", &len);
	CHECK(a && vb_apt_codename(a, len, out, sizeof(out)) == 0 && !strcmp(out, "bookworm"));
	_cleanup_free_ char *b = data("os-release-quoted", &len);
	CHECK(b && vb_apt_codename(b, len, out, sizeof(out)) == 0 && !strcmp(out, "bookworm"));
	_cleanup_free_ char *c = data("os-release-sid", &len);
	CHECK(c && vb_apt_codename(c, len, out, sizeof(out)) == -ENOENT);
	static const char *const bad[] = {
		"VERSION_CODENAME=\n",
		"VERSION_CODENAME=\"\"\n",
		"VERSION_CODENAME=Bookworm\n",
		"VERSION_CODENAME=book worm\n",
		"VERSION_CODENAME=../../etc\n",
		"VERSION_CODENAME=\"bookworm\n",
		"VERSION_CODENAME=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(bad); i++)
		CHECK_MSG(vb_apt_codename(bad[i], strlen(bad[i]), out, sizeof(out)) == -EINVAL,
			  "%s", bad[i]);
	/* Not NUL-terminated: the length is the end. */
	const char cut[] = "VERSION_CODENAME=bookwormXXXX";
	CHECK(vb_apt_codename(cut, 25, out, sizeof(out)) == 0 && !strcmp(out, "bookworm"));
	CHECK(vb_apt_codename(cut, 25, out, 4) == -EINVAL);
}

static void test_mirror_files(void)
{
	char out[VB_APT_URI_MAX + 1];
	size_t len;
	_cleanup_free_ char *a = data("bookworm-debian.sources", &len);
	CHECK(a && vb_apt_mirror_parse(a, len, true, "bookworm", out, sizeof(out)) == 0 &&
	      !strcmp(out, "http://deb.debian.org/debian"));
	/* bookworm-security is another suite, not the main archive. */
	CHECK(a && vb_apt_mirror_parse(a, len, true, "trixie", out, sizeof(out)) == -ENOENT);
	_cleanup_free_ char *b = data("bullseye-sources.list", &len);
	CHECK(b && vb_apt_mirror_parse(b, len, false, "bullseye", out, sizeof(out)) == 0 &&
	      !strcmp(out, "http://ftp.de.debian.org/debian"));
	_cleanup_free_ char *c = data("third-party.list", &len);
	CHECK(c && vb_apt_mirror_parse(c, len, false, "bookworm", out, sizeof(out)) == -ENOENT);
	_cleanup_free_ char *d = data("disabled.sources", &len);
	CHECK(d && vb_apt_mirror_parse(d, len, true, "bookworm", out, sizeof(out)) == 0 &&
	      !strcmp(out, "https://mirror.example.net/debian"));
	CHECK(d && vb_apt_mirror_parse(d, len, true, "bookworm-updates", out, sizeof(out)) == 0);
	/* The same text read as the other format finds nothing. */
	CHECK(b &&
	      vb_apt_mirror_parse(b, strlen(b), true, "bullseye", out, sizeof(out)) == -ENOENT);
}

static void test_mirror_strict(void)
{
	char out[VB_APT_URI_MAX + 1];
	static const char *const none[] = {
		"deb ftp://ftp.debian.org/debian bookworm main\n",
		"deb file:/srv/mirror bookworm main\n",
		"deb http://deb.debian.org/debian bookworm contrib\n",
		"deb http://deb.debian.org/debian bookworm\n",
		"deb http:// bookworm main\n",
		"deb http:///debian bookworm main\n",
		"deb http://a\"b/debian bookworm main\n",
		"deb http://a`reboot`/debian bookworm main\n",
		"deb http://a\\b bookworm main\n",
		"deb [arch=amd64 http://deb.debian.org/debian bookworm main\n",
		"# deb http://deb.debian.org/debian bookworm main\n",
		"deb-src http://deb.debian.org/debian bookworm main\n",
		"debx http://deb.debian.org/debian bookworm main\n",
		"deb http://deb.debian.org/debian bookworm # main\n",
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(none); i++)
		CHECK_MSG(vb_apt_mirror_parse(none[i], strlen(none[i]), false, "bookworm", out,
					      sizeof(out)) == -ENOENT,
			  "%s", none[i]);
	const char tabs[] = "\tdeb\t[ trusted=yes ]\thttps://m.example/debian///\tbookworm\tmain";
	CHECK(vb_apt_mirror_parse(tabs, strlen(tabs), false, "bookworm", out, sizeof(out)) == 0 &&
	      !strcmp(out, "https://m.example/debian"));
	/* A URI longer than out is skipped, not cut. */
	const char fits[] = "deb http://m.example/d bookworm main\n";
	CHECK(vb_apt_mirror_parse(fits, strlen(fits), false, "bookworm", out, 10) == -ENOENT);
	/* A NUL inside the text ends nothing early and is never part of a URI. */
	const char nul[] = "deb http://a\0b/debian bookworm main\ndeb http://ok.example/debian "
			   "bookworm main\n";
	CHECK(vb_apt_mirror_parse(nul, sizeof(nul) - 1, false, "bookworm", out, sizeof(out)) == 0 &&
	      !strcmp(out, "http://ok.example/debian"));
	static const char *const none822[] = {
		"Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\n",
		"Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\nComponents: main\n"
		"Enabled: no\n",
		"Types: deb\nURIs: http://x.example/debian\nURIs: http://y.example/debian\n"
		"Suites: bookworm\nComponents: main\n",
		"Types: deb\nURIs http://x.example/debian\nSuites: bookworm\nComponents: main\n",
		"Types: deb\n\nURIs: http://x.example/debian\nSuites: bookworm\nComponents: main\n",
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(none822); i++)
		CHECK_MSG(vb_apt_mirror_parse(none822[i], strlen(none822[i]), true, "bookworm", out,
					      sizeof(out)) == -ENOENT,
			  "%s", none822[i]);
	const char ok822[] = "# comment\ntypes: deb\n# inside\nuris: http://x.example/debian\n"
			     "suites: bookworm\ncomponents: main\nenabled: yes";
	CHECK(vb_apt_mirror_parse(ok822, strlen(ok822), true, "bookworm", out, sizeof(out)) == 0 &&
	      !strcmp(out, "http://x.example/debian"));
}

static void put(const char *root, const char *name, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", root, name);
	CHECK(vb_write_file_atomic(p, text, strlen(text)) == 0);
}

static void test_host_mirror(void)
{
	char tmpl[] = "/tmp/vb-test-image-XXXXXX";
	if (!mkdtemp(tmpl))
		SKIP("no temporary directory");
	_cleanup_free_ char *d = xasprintf("%s/etc/apt/sources.list.d", tmpl);
	CHECK(vb_mkdir_p(d, 0755) == 0);
	char out[VB_APT_URI_MAX + 1], suite[VB_APT_SUITE_MAX + 1];
	struct vb_error *err = NULL;
	CHECK(vb_apt_host_codename(tmpl, suite, sizeof(suite), &err) < 0 && err);
	vb_error_free(&err);
	put(tmpl, "etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n");
	CHECK(vb_apt_host_codename(tmpl, suite, sizeof(suite), &err) == 0 &&
	      !strcmp(suite, "bookworm"));
	CHECK(vb_apt_host_mirror(tmpl, "bookworm", out, sizeof(out), &err) == -ENOENT && err &&
	      strstr(err->msg, "sources.list"));
	vb_error_free(&err);
	/* Name order within sources.list.d; other suffixes are not read. */
	put(tmpl, "etc/apt/sources.list.d/b.sources",
	    "Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\nComponents: main\n");
	put(tmpl, "etc/apt/sources.list.d/a.list.disabled",
	    "deb http://disabled.example/debian bookworm main\n");
	put(tmpl, "etc/apt/sources.list.d/c.list", "deb http://c.example/debian bookworm main\n");
	CHECK(vb_apt_host_mirror(tmpl, "bookworm", out, sizeof(out), &err) == 0 &&
	      !strcmp(out, "http://b.example/debian"));
	put(tmpl, "etc/apt/sources.list.d/a.list", "deb http://a.example/debian bookworm main\n");
	CHECK(vb_apt_host_mirror(tmpl, "bookworm", out, sizeof(out), &err) == 0 &&
	      !strcmp(out, "http://a.example/debian"));
	/* sources.list first. */
	put(tmpl, "etc/apt/sources.list", "deb http://main.example/debian bookworm main\n");
	CHECK(vb_apt_host_mirror(tmpl, "bookworm", out, sizeof(out), &err) == 0 &&
	      !strcmp(out, "http://main.example/debian"));
	vb_error_free(&err);
	vb_rm_rf(tmpl);
}

TEST_MAIN(T(test_package_names), T(test_image_spec), T(test_codename), T(test_mirror_files),
	  T(test_mirror_strict), T(test_host_mirror))
