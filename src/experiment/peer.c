/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's side of the w3 peer: start `virtbench-agent --peer` on
 * an address of virtbench's own choosing (loopback for host, the bridge's
 * address for a bridged guest, the run's outside namespace for a container
 * behind NAT), learn its port, stop it by closing its stdin.
 */
#include <signal.h>

#include "agent/channel.h"
#include "core/proc.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "runtime/nat.h"
#include "runtime/net-run.h"

int vb_peer_start(const char *agent_path, const char *listen, int netns_fd, struct vb_peer *out,
		  struct vb_error **err)
{
	_cleanup_free_ char *arg = xstrdup(listen);
	char *argv[] = { (char *)agent_path, "--peer", arg, NULL };
	int to, from;
	memset(out, 0, sizeof(*out));
	out->pid = -1;
	out->in_fd = -1;
	int r = vb_proc_spawn_piped(argv, netns_fd, &out->pid, &to, &from, err);
	if (r)
		return vb_error_wrap(err, "starting the w3 peer");
	struct vb_channel ch;
	vb_channel_init(&ch, from, -1, 256);
	char *line;
	size_t len;
	r = vb_channel_recv(&ch, 5000, NULL, &line, &len);
	if (!r && (strncmp(line, "listening ", 10) || len - 10 >= sizeof(out->addr)))
		r = -EPROTO;
	if (!r)
		snprintf(out->addr, sizeof(out->addr), "%s", line + 10);
	vb_channel_release(&ch);
	out->in_fd = to;
	if (r) {
		vb_peer_stop(out);
		return vb_error_errno(err, -r, "the w3 peer did not say where it listens");
	}
	/* On the run's bridge the input filter drops all but the peers' ports: open this one. */
	const struct vb_net_plan *bridge = vb_net_run_bridge();
	const char *colon = strrchr(out->addr, ':');
	size_t hl = strlen(bridge->host_ip);
	if (hl && colon && (size_t)(colon - out->addr) == hl &&
	    !strncmp(out->addr, bridge->host_ip, hl)) {
		r = vb_fw_run_admit(bridge->host_ip, (unsigned)strtoul(colon + 1, NULL, 10), err);
		if (r) {
			vb_peer_stop(out);
			return vb_error_wrap(err, "the w3 peer on %s", out->addr);
		}
	}
	return 0;
}

void vb_peer_stop(struct vb_peer *p)
{
	if (p->in_fd >= 0)
		close(p->in_fd);
	p->in_fd = -1;
	if (p->pid > 0)
		vb_proc_reap(p->pid, 2000);
	p->pid = -1;
}

char *vb_peer_address(const struct vb_peer *p, const struct vb_platform_ops *ops,
		      struct vb_guest *g)
{
	const char *via = ops->peer_via ? ops->peer_via(g) : NULL;
	const char *colon = strrchr(p->addr, ':');
	if (!via || !colon)
		return xstrdup(p->addr);
	return xasprintf("%s%s", via, colon);
}

int vb_peer_netns(const struct vb_platform_ops *ops, struct vb_guest *g)
{
	return ops->peer_netns ? ops->peer_netns(g) : -1;
}
