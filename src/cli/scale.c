/* SPDX-License-Identifier: MIT */
/*
 * `virtbench scale`: the overhead experiment over guest sizes (study
 * §4.2–4.3). Each platform with guests becomes one instance per vCPU count
 * and memory size, labelled "container[vcpus=2]" or
 * "qemu-tcg[vcpus=1,mem=512MiB]" (and a container's disk when it is not the
 * default volume, "container[vcpus=2,disk=overlay]"); host stays the single
 * baseline.
 */
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"
#include "experiment/experiment.h"

static uint64_t host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	return pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

/* MemAvailable from /proc/meminfo, in bytes (0 when unknown). */
static uint64_t host_available(void)
{
	_cleanup_free_ char *text = NULL;
	if (vb_read_file("/proc/meminfo", 1 << 16, &text, NULL) < 0)
		return 0;
	const char *p = strstr(text, "MemAvailable:");
	unsigned long long kb;
	return p && sscanf(p, "MemAvailable: %llu kB", &kb) == 1 ? kb * 1024 : 0;
}

/* Bytes a workload instance touches: the size of its arrays, counted twice for copies. */
static uint64_t workload_footprint(const struct vb_run_workload *rw)
{
	const struct vb_option *o = vb_workload_option(rw->w, "size");
	if (!o || strncmp(rw->w->name, "mem.", 4))
		return 0;
	return 2 * vb_option_get(o, rw->opts);
}

static int parse_vcpus(const char *text, unsigned ncpu, unsigned **out, size_t *n,
		       struct vb_error **err)
{
	*out = NULL;
	*n = 0;
	if (!text) {
		/* The study's 1, 2, 4, 8 as far as the host allows. */
		for (unsigned v = 1; v <= 8; v *= 2) {
			if (v > ncpu) {
				fprintf(stderr,
					"virtbench scale: %u vCPUs left out: this host has %u "
					"CPUs\n",
					v, ncpu);
				continue;
			}
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = v;
		}
		return 0;
	}
	char **items;
	size_t ni;
	int r = vb_cli_split_list("--vcpus", text, &items, &ni, err);
	for (size_t i = 0; !r && i < ni; i++) {
		uint64_t v;
		if (vb_parse_u64(items[i], &v) || v < 1 || v > 1024)
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "--vcpus wants counts from 1, not '%.64s'", items[i]);
		else if (v > ncpu)
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "--vcpus %llu: this host has %u CPUs; a guest gets at "
					  "most that many here",
					  (unsigned long long)v, ncpu);
		else {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = (unsigned)v;
		}
	}
	vb_cli_free_list(items, ni);
	return r;
}

/* "512MiB", "2G" or "150%" (of host memory). */
static int parse_memory(const char *text, uint64_t **out, size_t *n, struct vb_error **err)
{
	*out = NULL;
	*n = 0;
	if (!text)
		return 0;
	char **items;
	size_t ni;
	int r = vb_cli_split_list("--memory", text, &items, &ni, err);
	for (size_t i = 0; !r && i < ni; i++) {
		size_t len = strlen(items[i]);
		uint64_t v;
		if (len > 1 && items[i][len - 1] == '%') {
			items[i][len - 1] = '\0';
			if (vb_parse_u64(items[i], &v) || v < 1 || v > 1000)
				r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						  "--memory: a percentage of host memory from 1 "
						  "to 1000, not '%.64s%%'",
						  items[i]);
			v = host_memory() / 100 * v;
		} else if (vb_parse_size(items[i], &v) || v < (64ULL << 20)) {
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "--memory: a size of at least 64MiB or a percentage, not "
					  "'%.64s'",
					  items[i]);
		}
		if (!r) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = v;
		}
	}
	vb_cli_free_list(items, ni);
	return r;
}

/* Can this guest size run these workloads without endangering the host? */
static int check_memory(const struct vb_platform_ops *p, uint64_t mem,
			const struct vb_run_config *cfg, struct vb_error **err)
{
	uint64_t total = host_memory(), avail = host_available(), need = 0;
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		uint64_t f = workload_footprint(&cfg->workloads[i]);
		need = f > need ? f : need;
	}
	if (mem > total && !(p->caps & VB_CAP_MEM_OVERCOMMIT))
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "--memory %llu MiB is above host memory (%llu MiB) and %s "
				     "does not over-commit memory",
				     (unsigned long long)(mem >> 20),
				     (unsigned long long)(total >> 20), p->name);
	if (need + (64ULL << 20) > mem)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "--memory %llu MiB is below what the workloads need in the "
				     "guest (%llu MiB and the agent's 64 MiB)",
				     (unsigned long long)(mem >> 20),
				     (unsigned long long)(need >> 20));
	if (avail && need > avail / 10 * 8)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "the workloads would touch %llu MiB, more than this host can "
				     "spare (%llu MiB available): refused, it would endanger the "
				     "host",
				     (unsigned long long)(need >> 20),
				     (unsigned long long)(avail >> 20));
	return 0;
}

int vb_cli_scale_expand(const char *vcpus, const char *memory, struct vb_run_config *cfg,
			struct vb_error **err)
{
	unsigned ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	_cleanup_free_ unsigned *vs = NULL;
	_cleanup_free_ uint64_t *ms = NULL;
	size_t nv, nm;
	int r = parse_vcpus(vcpus, ncpu, &vs, &nv, err);
	if (!r)
		r = parse_memory(memory, &ms, &nm, err);
	if (r)
		return r;
	size_t cap = 1 + cfg->nplatforms * nv * (nm ? nm : 1);
	const struct vb_platform_ops **ps = xcalloc(cap, sizeof(*ps));
	char **labels = xcalloc(cap, sizeof(*labels));
	struct vb_guest_spec *specs = xcalloc(cap, sizeof(*specs));
	size_t n = 0;
	bool host = false;
	for (size_t p = 0; p < cfg->nplatforms; p++)
		host |= !strcmp(cfg->platforms[p]->name, "host");
	if (host) {
		/* The baseline first, once. */
		ps[n] = vb_platform_find("host");
		labels[n] = xstrdup("host");
		specs[n++] = cfg->spec;
	}
	for (size_t p = 0; !r && p < cfg->nplatforms; p++) {
		if (!strcmp(cfg->platforms[p]->name, "host"))
			continue;
		for (size_t v = 0; v < nv; v++)
			for (size_t m = 0; !r && m < (nm ? nm : 1); m++) {
				ps[n] = cfg->platforms[p];
				specs[n] = cfg->spec;
				specs[n].vcpus = vs[v];
				if (nm) {
					specs[n].memory_bytes = ms[m];
					r = check_memory(cfg->platforms[p], ms[m], cfg, err);
					labels[n] =
					    xasprintf("%s[vcpus=%u,mem=%lluMiB]", ps[n]->name,
						      vs[v], (unsigned long long)(ms[m] >> 20));
				} else {
					labels[n] = xasprintf("%s[vcpus=%u]", ps[n]->name, vs[v]);
				}
				n++;
			}
	}
	if (!r && n == (host ? 1u : 0u))
		r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				  "scale needs a platform with guests (container, qemu-tcg, kvm)");
	free(cfg->platforms);
	cfg->platforms = ps;
	cfg->nplatforms = n;
	cfg->labels = (const char *const *)labels;
	cfg->specs = specs;
	return r;
}

int vb_cli_calibrate_expand(struct vb_run_config *cfg, struct vb_error **err)
{
	if (cfg->nplatforms != 1)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "calibrate compares one platform with itself, not %zu "
				     "platforms",
				     cfg->nplatforms);
	const struct vb_platform_ops *p = cfg->platforms[0];
	const struct vb_platform_ops **ps = xcalloc(2, sizeof(*ps));
	char **labels = xcalloc(2, sizeof(*labels));
	struct vb_guest_spec *specs = xcalloc(2, sizeof(*specs));
	for (size_t i = 0; i < 2; i++) {
		ps[i] = p;
		labels[i] = xasprintf("%s#%zu", p->name, i + 1);
		specs[i] = cfg->spec;
	}
	free(cfg->platforms);
	cfg->platforms = ps;
	cfg->nplatforms = 2;
	cfg->labels = (const char *const *)labels;
	cfg->specs = specs;
	return 0;
}

void vb_cli_disk_labels(struct vb_run_config *cfg)
{
	bool any = false;
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		const struct vb_guest_spec *spec = cfg->specs ? &cfg->specs[p] : &cfg->spec;
		any |= (cfg->platforms[p]->caps & VB_CAP_CONTAINER_DISK) &&
		       spec->container_disk != VB_CONTAINER_DISK_VOLUME;
	}
	if (!any)
		return;
	char **labels = xcalloc(cfg->nplatforms, sizeof(*labels));
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		const struct vb_platform_ops *ops = cfg->platforms[p];
		const char *base = cfg->labels && cfg->labels[p] ? cfg->labels[p] : ops->name;
		labels[p] = vb_guest_label(base, ops, cfg->specs ? &cfg->specs[p] : &cfg->spec);
	}
	for (size_t p = 0; cfg->labels && p < cfg->nplatforms; p++)
		free((char *)cfg->labels[p]);
	free((void *)cfg->labels);
	cfg->labels = (const char *const *)labels;
}

void vb_cli_scale_free(struct vb_run_config *cfg)
{
	for (size_t i = 0; cfg->labels && i < cfg->nplatforms; i++)
		free((char *)cfg->labels[i]);
	free((void *)cfg->labels);
	free((void *)cfg->specs);
	cfg->labels = NULL;
	cfg->specs = NULL;
}
