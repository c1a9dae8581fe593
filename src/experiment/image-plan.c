/* SPDX-License-Identifier: MIT */
/*
 * Which image a run's guests boot: what the user named with --image, and
 * the Debian packages its workloads need. One image serves the whole run.
 */
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image.h"

char *vb_workload_packages(const struct vb_workload_ops *w, const void *opts)
{
	/* NAME=PKG[,PKG...] entries separated by ';' (tests only: docs/images.md). */
	const char *env = getenv("VIRTBENCH_TEST_PACKAGES");
	size_t n = strlen(w->name);
	for (const char *p = env; p && *p;) {
		size_t k = strcspn(p, ";");
		if (k > n + 1 && !strncmp(p, w->name, n) && p[n] == '=')
			return xstrndup(p + n + 1, k - n - 1);
		p += k + (p[k] == ';');
	}
	const char *more = opts && w->extra_packages ? w->extra_packages(opts) : NULL;
	if (more && *more)
		return w->packages && *w->packages ? xasprintf("%s,%s", w->packages, more)
						   : xstrdup(more);
	return w->packages && *w->packages ? xstrdup(w->packages) : NULL;
}

int vb_image_plan(const char *text, const struct vb_workload_ops *const *w, const void *const *opts,
		  size_t n, struct vb_image_spec *out, struct vb_error **err)
{
	*out = (struct vb_image_spec){ .kind = VB_IMAGE_MINIMAL };
	int r = text ? vb_image_spec_parse(text, out, err) : 0;
	for (size_t i = 0; !r && i < n; i++) {
		_cleanup_free_ char *pk = vb_workload_packages(w[i], opts ? opts[i] : NULL);
		if (!pk || out->kind == VB_IMAGE_DIR)
			continue; /* a directory of the user's is taken as it is */
		if (text && out->kind == VB_IMAGE_MINIMAL) {
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "--image minimal: workload %s needs the Debian packages "
					  "%s, which the minimal image cannot hold (name "
					  "debian[:PKG,...] or leave --image out)",
					  w[i]->name, pk);
			break;
		}
		out->kind = VB_IMAGE_DEBIAN;
		_cleanup_free_ char *what = xasprintf("workload %s", w[i]->name);
		r = vb_image_spec_add_packages(out, pk, what, err);
	}
	if (r)
		vb_image_spec_release(out);
	return r;
}
