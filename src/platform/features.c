/* SPDX-License-Identifier: MIT */
/*
 * What the platforms' columns of `virtbench features` share: a cell being
 * filled, what the host is (read once), and how a detail names the host's
 * kernel config and CPU flags.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "core/proc.h"
#include "core/util.h"
#include "platform/features-parse.h"
#include "platform/features.h"
#include "platform/qemu-vm.h"

void vb_feature_cell_set(struct vb_feature_cell *c, enum vb_feature_value v, enum vb_feature_how h,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *d = NULL;
	if (vasprintf(&d, fmt, ap) < 0)
		abort();
	va_end(ap);
	free(c->detail);
	c->value = v;
	c->how = h;
	c->detail = d;
}

void vb_feature_cell_copy(struct vb_feature_cell *dst, const struct vb_feature_cell *src)
{
	vb_feature_cell_set(dst, src->value, src->how, "%s", src->detail);
}

static int read_int_file(const char *path)
{
	_cleanup_free_ char *t = NULL;
	if (vb_read_file(path, 64, &t, NULL))
		return -1;
	return atoi(t);
}

void vb_features_host_init(struct vb_features_host *h)
{
	struct utsname u;
	uname(&u);
	h->release = xstrdup(u.release);
	if (vb_read_file("/proc/cpuinfo", 16 << 20, &h->cpuinfo, NULL))
		h->cpuinfo = xstrdup("");
	h->vmx = vb_features_cpu_flag(h->cpuinfo, "vmx");
	h->svm = vb_features_cpu_flag(h->cpuinfo, "svm");
	h->pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	_cleanup_free_ char *boot = xasprintf("/boot/config-%s", u.release);
	if (vb_features_read_text(boot, &h->config) == 0)
		h->config_src = xstrdup(boot);
	else if (vb_features_read_text("/proc/config.gz", &h->config) == 0)
		h->config_src = xstrdup("/proc/config.gz");
	else
		h->config_src = xasprintf("neither %s nor /proc/config.gz can be read", boot);
	h->ncpus = (unsigned)get_nprocs();
	_cleanup_free_ char *mi = NULL;
	if (vb_read_file("/proc/meminfo", 1 << 20, &mi, NULL) == 0)
		h->mem_total = vb_features_meminfo(mi, "MemTotal");
	h->overcommit_memory = read_int_file("/proc/sys/vm/overcommit_memory");
	h->ksm_run = read_int_file("/sys/kernel/mm/ksm/run");
	h->qemu = vb_proc_which(VB_QEMU_BIN);
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	h->kvm_dev = fd >= 0;
	if (fd >= 0)
		close(fd);
}

void vb_features_host_release(struct vb_features_host *h)
{
	free(h->release);
	free(h->cpuinfo);
	free(h->config);
	free(h->config_src);
	free(h->qemu);
}

const char *vb_features_present(bool b)
{
	return b ? "present" : "absent";
}

char *vb_features_kconfig_text(const struct vb_features_host *h, const char *sym)
{
	switch (vb_features_kconfig(h->config, sym)) {
	case 'y':
		return xasprintf("%s=y", sym);
	case 'm':
		return xasprintf("%s=m", sym);
	case 'n':
		return xasprintf("%s not set", sym);
	case 'v':
		return xasprintf("%s set", sym);
	default:
		return xasprintf("no %s", sym);
	}
}
