/* SPDX-License-Identifier: MIT */
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "virtbench/platform.h"

extern const struct vb_platform_ops vb_platform_host;
extern const struct vb_platform_ops vb_platform_container;
extern const struct vb_platform_ops vb_platform_kvm;
extern const struct vb_platform_ops vb_platform_qemu_tcg;
extern const struct vb_platform_ops vb_platform_xen;
extern const struct vb_platform_ops vb_platform_xen_dom0;
extern const struct vb_platform_ops vb_platform_xen_local;

/*
 * Platforms SPEC.md names that are not built yet: listed, so users see what
 * is planned, and refused with the reason.
 */
#define NOT_BUILT(id, text)                                                                        \
	static const struct vb_platform_ops vb_platform_##id = {                                   \
		.name = #id,                                                                       \
		.summary = text,                                                                   \
		.unavailable_reason = "not built yet",                                             \
	}

NOT_BUILT(lxc, "peer: LXC (lxc-execute)");
NOT_BUILT(crun, "peer: crun with an OCI bundle");
NOT_BUILT(runc, "peer: runc with an OCI bundle");
NOT_BUILT(podman, "peer: podman");
static const struct vb_platform_ops vb_platform_nspawn = {
	.name = "systemd-nspawn",
	.summary = "peer: systemd-nspawn",
	.unavailable_reason = "not built yet",
};

const struct vb_platform_ops *const vb_platforms[] = {
	&vb_platform_host,
	&vb_platform_container,
	&vb_platform_kvm,
	&vb_platform_qemu_tcg,
	&vb_platform_xen,
	&vb_platform_xen_dom0,
	&vb_platform_xen_local,
	&vb_platform_lxc,
	&vb_platform_crun,
	&vb_platform_runc,
	&vb_platform_podman,
	&vb_platform_nspawn,
	NULL,
};

const struct vb_platform_ops *vb_platform_find(const char *name)
{
	for (size_t i = 0; vb_platforms[i]; i++)
		if (!strcmp(vb_platforms[i]->name, name))
			return vb_platforms[i];
	return NULL;
}

int vb_platform_probe(const struct vb_platform_ops *p, const struct vb_platform_ctx *ctx,
		      struct vb_error **err)
{
	static const struct vb_platform_ctx none = { 0 };
	if (p->unavailable_reason)
		return vb_error_set(err, VB_SKIP, "%s", p->unavailable_reason);
	if (!p->probe)
		return 0;
	return p->probe(ctx ? ctx : &none, err);
}

int vb_platform_agent_path(char **out)
{
	const char *env = getenv("VIRTBENCH_AGENT");
	char *cand[2] = { NULL, NULL };
	if (env && *env) {
		cand[0] = xstrdup(env);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			cand[0] = xasprintf("%s/virtbench-agent", dirname(self));
		}
		cand[1] = xstrdup(VB_LIBEXECDIR "/virtbench-agent");
	}
	int r = -ENOENT;
	for (int i = 0; i < 2; i++) {
		if (r && cand[i] && cand[i][0] == '/' && access(cand[i], X_OK) == 0) {
			*out = steal_ptr(&cand[i]);
			r = 0;
		}
		free(cand[i]);
	}
	return r;
}
