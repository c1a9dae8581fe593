/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <pthread.h>
#include <sched.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/route.h>

#include "core/util.h"
#include "runtime/net.h"

static struct nl_sock *nl_open(struct vb_error **err)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		abort();
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		vb_error_set(err, -EIO, "netlink: %s", nl_geterror(r));
		return NULL;
	}
	return sk;
}

static void nl_closep(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
}
#define _cleanup_nl_ _cleanup_(nl_closep)

/* Does any address or route of this host fall in 10.233.n.0/24? */
static bool subnet_taken(struct nl_sock *sk, unsigned n)
{
	char want[32];
	snprintf(want, sizeof(want), "10.233.%u.0/24", n);
	struct nl_addr *net = NULL;
	if (nl_addr_parse(want, AF_INET, &net) < 0)
		return true;
	bool taken = false;
	struct nl_cache *addrs = NULL, *routes = NULL;
	if (rtnl_addr_alloc_cache(sk, &addrs) == 0) {
		for (struct nl_object *o = nl_cache_get_first(addrs); o && !taken;
		     o = nl_cache_get_next(o)) {
			struct nl_addr *a = rtnl_addr_get_local((struct rtnl_addr *)o);
			if (a && nl_addr_get_family(a) == AF_INET &&
			    nl_addr_cmp_prefix(a, net) == 0)
				taken = true;
		}
		nl_cache_free(addrs);
	}
	if (!taken && rtnl_route_alloc_cache(sk, AF_INET, 0, &routes) == 0) {
		for (struct nl_object *o = nl_cache_get_first(routes); o && !taken;
		     o = nl_cache_get_next(o)) {
			struct nl_addr *d = rtnl_route_get_dst((struct rtnl_route *)o);
			/* A default route (prefix 0) covers everything: not a conflict. */
			if (d && nl_addr_get_prefixlen(d) > 0 && nl_addr_get_prefixlen(d) <= 24 &&
			    nl_addr_cmp_prefix(d, net) == 0)
				taken = true;
		}
		nl_cache_free(routes);
	}
	nl_addr_put(net);
	return taken;
}

/*
 * A free N of 10.233.N.0/24 (1..250), or 0. The search starts from the tag,
 * shifted by offset, so concurrent runs rarely try the same subnet.
 */
static unsigned pick_subnet(struct nl_sock *sk, const char *tag, unsigned offset)
{
	unsigned start = ((unsigned)strtoul(tag + 3, NULL, 16) + offset) % 250 + 1;
	for (unsigned i = 0; i < 250; i++) {
		unsigned n = (start + i - 1) % 250 + 1;
		if (!subnet_taken(sk, n))
			return n;
	}
	return 0;
}

static int link_up(struct nl_sock *sk, const char *name, struct vb_error **err)
{
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	int r = rtnl_link_get_kernel(sk, 0, name, &link);
	if (r >= 0) {
		rtnl_link_set_flags(change, IFF_UP);
		r = rtnl_link_change(sk, link, change, 0);
	}
	rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	if (r < 0)
		return vb_error_set(err, -EIO, "netlink: bringing %s up: %s", name, nl_geterror(r));
	return 0;
}

static int add_address(struct nl_sock *sk, int ifindex, const char *cidr, struct vb_error **err)
{
	struct nl_addr *local = NULL;
	int r = nl_addr_parse(cidr, AF_INET, &local);
	if (r < 0)
		return vb_error_set(err, -EINVAL, "netlink: bad address %s", cidr);
	struct rtnl_addr *a = rtnl_addr_alloc();
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	r = rtnl_addr_add(sk, a, 0);
	rtnl_addr_put(a);
	nl_addr_put(local);
	if (r < 0)
		return vb_error_set(err, -EIO, "netlink: adding %s: %s", cidr, nl_geterror(r));
	return 0;
}

int vb_net_bridge_create(const char *tag, struct vb_net_plan *out, struct vb_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = nl_open(err);
	if (!sk)
		return -EIO;
	memset(out, 0, sizeof(*out));
	snprintf(out->bridge, sizeof(out->bridge), "%s", tag);
	out->subnet = pick_subnet(sk, tag, 0);
	if (!out->subnet)
		return vb_error_set(err, -EADDRINUSE,
				    "no free 10.233.N.0/24 subnet for the guest network");
	snprintf(out->host_ip, sizeof(out->host_ip), "10.233.%u.1", out->subnet % 256);
	/*
	 * A MAC address of its own, set: a bridge whose address was never set
	 * takes its lowest port's, so a guest leaving mid-run (a finished
	 * platform, a fresh instance) would change it under the others, whose
	 * ARP entries for the host then point nowhere until they expire. A
	 * locally administered unicast address from the run's tag.
	 */
	unsigned long id = strtoul(tag + (strncmp(tag, "vb-", 3) ? 0 : 3), NULL, 16);
	char mac[18];
	snprintf(mac, sizeof(mac), "02:76:62:%02lx:%02lx:%02lx", (id >> 16) & 0xff,
		 (id >> 8) & 0xff, id & 0xff);
	struct nl_addr *lladdr = NULL;
	int r = nl_addr_parse(mac, AF_LLC, &lladdr);
	struct rtnl_link *link = r < 0 ? NULL : rtnl_link_alloc();
	if (link) {
		rtnl_link_set_name(link, out->bridge);
		rtnl_link_set_addr(link, lladdr);
		r = rtnl_link_set_type(link, "bridge");
		if (r >= 0)
			r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(link);
	}
	if (lladdr)
		nl_addr_put(lladdr);
	if (r < 0)
		return vb_error_set(err, -EIO, "netlink: creating bridge %s: %s", out->bridge,
				    nl_geterror(r));
	char cidr[32];
	snprintf(cidr, sizeof(cidr), "%s/24", out->host_ip);
	int ifindex = (int)if_nametoindex(out->bridge);
	r = ifindex ? add_address(sk, ifindex, cidr, err)
		    : vb_error_errno(err, errno, "netlink: %s", out->bridge);
	if (!r)
		r = link_up(sk, out->bridge, err);
	if (r)
		vb_net_link_delete(out->bridge, NULL);
	return r;
}

int vb_net_link_delete(const char *name, struct vb_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = nl_open(err);
	if (!sk)
		return -EIO;
	struct rtnl_link *link = rtnl_link_alloc();
	rtnl_link_set_name(link, name);
	int r = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		return vb_error_set(err, -EIO, "netlink: deleting %s: %s", name, nl_geterror(r));
	return 0;
}

void vb_net_guest_ip(const struct vb_net_plan *plan, unsigned n, char out[20])
{
	snprintf(out, 20, "10.233.%u.%u", plan->subnet % 256, (n % 250) + 2);
}

int vb_net_veth_create(const struct vb_net_plan *plan, const char *host_if, pid_t pid,
		       struct vb_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = nl_open(err);
	if (!sk)
		return -EIO;
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, host_if);
	rtnl_link_set_name(peer, "eth0");
	/* Created inside the guest's namespace directly: no move afterwards. */
	rtnl_link_set_ns_pid(peer, pid);
	int br = (int)if_nametoindex(plan->bridge);
	if (br)
		rtnl_link_set_master(veth, br);
	rtnl_link_set_flags(veth, IFF_UP);
	int r = br ? rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL) : -NLE_NODEV;
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	if (r < 0)
		return vb_error_set(err, -EIO, "netlink: creating veth %s on %s: %s", host_if,
				    plan->bridge, nl_geterror(r));
	return 0;
}

int vb_net_guest_setup(const char *ip, const char *gateway, const char **step)
{
	struct vb_error *err = NULL;
	_cleanup_nl_ struct nl_sock *sk = nl_open(&err);
	int r = 0;
	*step = "opening a netlink socket";
	if (!sk) {
		vb_error_free(&err);
		return -EIO;
	}
	char cidr[32];
	snprintf(cidr, sizeof(cidr), "%s/24", ip);
	int ifindex = (int)if_nametoindex("eth0");
	*step = "finding eth0";
	if (!ifindex)
		return -errno;
	*step = "adding the guest's address";
	r = add_address(sk, ifindex, cidr, &err);
	if (!r) {
		*step = "bringing eth0 up";
		r = link_up(sk, "eth0", &err);
	}
	if (!r) {
		*step = "adding the default route";
		struct nl_addr *gw = NULL, *dst = NULL;
		struct rtnl_route *route = rtnl_route_alloc();
		struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
		if (nl_addr_parse(gateway, AF_INET, &gw) < 0 ||
		    nl_addr_parse("0.0.0.0/0", AF_INET, &dst) < 0) {
			r = -EINVAL;
		} else {
			rtnl_route_nh_set_gateway(nh, gw);
			rtnl_route_nh_set_ifindex(nh, ifindex);
			rtnl_route_add_nexthop(route, nh);
			rtnl_route_set_dst(route, dst);
			rtnl_route_set_family(route, AF_INET);
			rtnl_route_set_table(route, RT_TABLE_MAIN);
			if (rtnl_route_add(sk, route, NLM_F_CREATE) < 0)
				r = -EIO;
		}
		if (gw)
			nl_addr_put(gw);
		if (dst)
			nl_addr_put(dst);
		rtnl_route_put(route);
	}
	vb_error_free(&err);
	return r;
}

/* "vb-" + 8 hex digits, optionally "-" + digits or "-out": the tag goes to tag. */
static bool our_link(const char *name, char tag[12])
{
	if (strncmp(name, "vb-", 3) || strspn(name + 3, "0123456789abcdef") != 8)
		return false;
	const char *rest = name + 11;
	if (*rest && strcmp(rest, "-out") &&
	    (rest[0] != '-' || !rest[1] || strspn(rest + 1, "0123456789") != strlen(rest + 1)))
		return false;
	memcpy(tag, name, 11);
	tag[11] = '\0';
	return true;
}

int vb_net_sweep(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		 struct vb_error **err)
{
	*n = 0;
	_cleanup_nl_ struct nl_sock *sk = nl_open(err);
	if (!sk)
		return -EIO;
	struct nl_cache *links = NULL;
	int r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (r < 0)
		return vb_error_set(err, -EIO, "netlink: listing links: %s", nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		const char *name = rtnl_link_get_name((struct rtnl_link *)o);
		char tag[12];
		if (!name || !our_link(name, tag) || is_alive(tag, data))
			continue;
		if (rtnl_link_delete(sk, (struct rtnl_link *)o) >= 0)
			(*n)++;
	}
	nl_cache_free(links);
	return 0;
}

int vb_net_set_forwarding(const char *ifname, bool on, struct vb_error **err)
{
	if (strchr(ifname, '/') || !strcmp(ifname, "all") || !strcmp(ifname, "default"))
		VB_BUG("forwarding of '%s': only a device's own", ifname);
	_cleanup_free_ char *path = xasprintf("/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, on ? "1\n" : "0\n", 2) != 2)
		return vb_error_errno(err, errno, "setting %s to %d", path, on);
	return 0;
}

/* ---- the outside of a NAT run: a namespace of its own behind a veth ---- */

struct outside_job {
	const struct vb_net_outside *o;
	int netns; /* out: the new namespace */
	int rc;
	char msg[200];
};

static int ifindex_in(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = NULL;
	if (rtnl_link_get_kernel(sk, 0, name, &link) < 0)
		return 0;
	int i = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return i;
}

/* The calling thread moves to a new network namespace; *fd holds it. */
static int thread_new_netns(int *fd, struct vb_error **e)
{
	if (unshare(CLONE_NEWNET) < 0)
		return vb_error_errno(e, errno, "unshare(CLONE_NEWNET)");
	*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return vb_error_errno(e, errno, "opening the new network namespace");
	return 0;
}

/*
 * On a thread of its own, which alone enters the new namespace: one netlink
 * socket opened before (the host's) and one after (the outside's), each
 * working in the namespace it was opened in.
 */
static void outside_in_thread(struct outside_job *j)
{
	const struct vb_net_outside *o = j->o;
	struct vb_error *e = NULL;
	_cleanup_nl_ struct nl_sock *host = nl_open(&e);
	_cleanup_nl_ struct nl_sock *in = NULL;
	int r = host ? 0 : -EIO;
	if (!r)
		r = thread_new_netns(&j->netns, &e);
	if (!r) {
		in = nl_open(&e);
		r = in ? 0 : -EIO;
	}
	if (!r) {
		struct rtnl_link *veth = rtnl_link_veth_alloc();
		struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
		rtnl_link_set_name(veth, o->link);
		rtnl_link_set_name(peer, "eth0");
		rtnl_link_set_ns_fd(peer, j->netns);
		int k = rtnl_link_add(host, veth, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(peer);
		rtnl_link_veth_release(veth);
		if (k < 0)
			r = vb_error_set(&e, -EIO, "netlink: creating veth %s: %s", o->link,
					 nl_geterror(k));
	}
	char cidr[32];
	snprintf(cidr, sizeof(cidr), "%s/24", o->host_ip);
	if (!r)
		r = add_address(host, ifindex_in(host, o->link), cidr, &e);
	if (!r)
		r = link_up(host, o->link, &e);
	snprintf(cidr, sizeof(cidr), "%s/24", o->peer_ip);
	if (!r)
		r = add_address(in, ifindex_in(in, "eth0"), cidr, &e);
	if (!r)
		r = link_up(in, "eth0", &e);
	if (!r)
		r = link_up(in, "lo", &e);
	if (r) {
		j->rc = r;
		snprintf(j->msg, sizeof(j->msg), "%s", e ? e->msg : "failed");
	}
	vb_error_free(&e);
}

static void *outside_thread(void *data)
{
	outside_in_thread(data);
	return NULL;
}

int vb_net_outside_create(const char *tag, struct vb_net_outside *out, struct vb_error **err)
{
	memset(out, 0, sizeof(*out));
	out->netns = -1;
	{
		_cleanup_nl_ struct nl_sock *sk = nl_open(err);
		if (!sk)
			return -EIO;
		/* Half the range away from where the bridge's search started. */
		out->subnet = pick_subnet(sk, tag, 125);
	}
	if (!out->subnet)
		return vb_error_set(err, -EADDRINUSE,
				    "no free 10.233.N.0/24 subnet for the NAT run's outside");
	snprintf(out->link, sizeof(out->link), "%s-out", tag);
	snprintf(out->host_ip, sizeof(out->host_ip), "10.233.%u.1", out->subnet % 256);
	snprintf(out->peer_ip, sizeof(out->peer_ip), "10.233.%u.2", out->subnet % 256);
	struct outside_job j = { .o = out, .netns = -1 };
	pthread_t th;
	int r = pthread_create(&th, NULL, outside_thread, &j);
	if (r == 0)
		pthread_join(th, NULL);
	else
		return vb_error_errno(err, r, "a thread to make %s", out->link);
	out->netns = j.netns;
	if (!j.rc)
		j.rc = vb_net_set_forwarding(out->link, true, err);
	else
		vb_error_set(err, j.rc, "the NAT run's outside: %s", j.msg);
	if (j.rc)
		vb_net_outside_destroy(out);
	return j.rc;
}

void vb_net_outside_destroy(struct vb_net_outside *o)
{
	if (o->link[0])
		vb_net_link_delete(o->link, NULL);
	o->link[0] = '\0';
	vb_closep(&o->netns);
	o->netns = -1;
}

struct loopback_job {
	int netns;
	int rc;
	char msg[200];
};

/* On a thread of its own, which alone enters the new namespace. */
static void *loopback_thread(void *data)
{
	struct loopback_job *j = data;
	struct vb_error *e = NULL;
	int r = thread_new_netns(&j->netns, &e);
	if (!r) {
		_cleanup_nl_ struct nl_sock *in = nl_open(&e);
		r = in ? link_up(in, "lo", &e) : -EIO;
	}
	if (r) {
		j->rc = r;
		snprintf(j->msg, sizeof(j->msg), "%s", e ? e->msg : "failed");
	}
	vb_error_free(&e);
	return NULL;
}

int vb_net_loopback_ns(int *fd, struct vb_error **err)
{
	struct loopback_job j = { .netns = -1 };
	pthread_t th;
	int r = pthread_create(&th, NULL, loopback_thread, &j);
	if (r)
		return vb_error_errno(err, r, "a thread to make a network namespace");
	pthread_join(th, NULL);
	if (j.rc) {
		vb_closep(&j.netns);
		return vb_error_set(err, j.rc, "a loopback-only network namespace: %s", j.msg);
	}
	*fd = j.netns;
	return 0;
}

int vb_net_attach(const struct vb_net_plan *plan, const char *ifname, struct vb_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = nl_open(err);
	if (!sk)
		return -EIO;
	int br = (int)if_nametoindex(plan->bridge), ifi = (int)if_nametoindex(ifname);
	if (!br || !ifi)
		return vb_error_set(err, -ENODEV, "netlink: %s or %s is missing", plan->bridge,
				    ifname);
	int r = rtnl_link_enslave_ifindex(sk, br, ifi);
	if (r < 0)
		return vb_error_set(err, -EIO, "netlink: putting %s on %s: %s", ifname,
				    plan->bridge, nl_geterror(r));
	return link_up(sk, ifname, err);
}

/* ---- shaping: a token bucket on a guest's eth0, set from inside its namespace ---- */

struct shape_job {
	int nsfd;
	const char *ifname;
	uint64_t rate; /* bytes/s; 0 = remove */
	int rc;
	char msg[160];
};

static void shape_in_ns(struct shape_job *j)
{
	/* setns moves only this thread: the socket below lives in the guest's namespace. */
	if (setns(j->nsfd, CLONE_NEWNET) < 0) {
		j->rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "setns: %s", strerror(errno));
		return;
	}
	struct vb_error *e = NULL;
	_cleanup_nl_ struct nl_sock *sk = nl_open(&e);
	if (!sk) {
		j->rc = -EIO;
		snprintf(j->msg, sizeof(j->msg), "%s", e->msg);
		vb_error_free(&e);
		return;
	}
	int ifi = (int)if_nametoindex(j->ifname);
	if (!ifi) {
		j->rc = -ENODEV;
		snprintf(j->msg, sizeof(j->msg), "no %s in the guest", j->ifname);
		return;
	}
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	rtnl_tc_set_ifindex(TC_CAST(q), ifi);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	int r;
	if (j->rate) {
		r = rtnl_tc_set_kind(TC_CAST(q), "tbf");
		/* A bucket of 10 ms at the rate (at least 16 KiB), a queue of 50 ms. */
		uint64_t bucket = j->rate / 100 > 16384 ? j->rate / 100 : 16384;
		if (!r) {
			rtnl_qdisc_tbf_set_rate(q, (int)(j->rate > INT32_MAX ? INT32_MAX : j->rate),
						(int)bucket, 0);
			rtnl_qdisc_tbf_set_limit_by_latency(q, 50000);
			r = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
		}
	} else {
		r = rtnl_qdisc_delete(sk, q);
		/* No qdisc of ours there: nothing to lift. */
		if (r == -NLE_OBJ_NOTFOUND || r == -NLE_INVAL || r == -NLE_NOADDR)
			r = 0;
	}
	rtnl_qdisc_put(q);
	if (r < 0) {
		j->rc = -EIO;
		snprintf(j->msg, sizeof(j->msg), "tbf on %s: %s", j->ifname, nl_geterror(r));
	}
}

static void *shape_thread(void *data)
{
	shape_in_ns(data);
	return NULL;
}

int vb_net_shape(pid_t pid, const char *ifname, uint64_t bytes_per_s, struct vb_error **err)
{
	_cleanup_free_ char *ns = xasprintf("/proc/%d/ns/net", (int)pid);
	struct shape_job j = { .ifname = ifname, .rate = bytes_per_s };
	j.nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	if (j.nsfd < 0)
		return vb_error_errno(err, errno, "opening %s", ns);
	pthread_t th;
	int r = pthread_create(&th, NULL, shape_thread, &j);
	if (r == 0)
		pthread_join(th, NULL);
	close(j.nsfd);
	if (r)
		return vb_error_errno(err, r, "a thread to shape %s", ifname);
	if (j.rc)
		return vb_error_set(err, j.rc, "shaping %s of pid %d: %s", ifname, (int)pid, j.msg);
	return 0;
}
