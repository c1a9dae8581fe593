/* SPDX-License-Identifier: MIT */
/*
 * What the numbers were measured on. Every field is read from the running
 * system; a field that cannot be read is null rather than guessed.
 */
#include <dirent.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "core/json.h"
#include "core/util.h"
#include "experiment/experiment.h"

/* First line of a sysfs/proc file, trimmed; json null when unreadable. */
static json_t *file_line(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	if (vb_read_file(path, 65536, &buf, NULL) < 0)
		return json_null();
	buf[strcspn(buf, "\n")] = '\0';
	json_t *s = json_string(buf);
	return s ? s : json_null();
}

/* The value of "key : value" from /proc/cpuinfo's first processor. */
static json_t *cpuinfo_field(const char *cpuinfo, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = cpuinfo; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) || (p[klen] != ' ' && p[klen] != '\t' && p[klen] != ':'))
			continue;
		const char *colon = strchr(p, ':');
		const char *end = strchr(p, '\n');
		if (!colon || (end && colon > end))
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		size_t n = end ? (size_t)(end - colon) : strlen(colon);
		json_t *s = json_stringn(colon, n);
		return s ? s : json_null();
	}
	return json_null();
}

static json_t *dir_files(const char *dir)
{
	json_t *o = json_object();
	DIR *d = opendir(dir);
	if (!d)
		return o;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, e->d_name);
		json_object_set_new(o, e->d_name, file_line(path));
	}
	closedir(d);
	return o;
}

static json_t *cgroup_info(void)
{
	json_t *o = json_object();
	struct statfs fs;
	const char *version = "unknown";
	if (statfs("/sys/fs/cgroup", &fs) == 0) {
		if (fs.f_type == CGROUP2_SUPER_MAGIC) {
			version = "v2";
		} else if (fs.f_type == TMPFS_MAGIC) {
			struct statfs u;
			bool unified = statfs("/sys/fs/cgroup/unified", &u) == 0 &&
				       u.f_type == CGROUP2_SUPER_MAGIC;
			version = unified ? "hybrid" : "v1";
		}
	}
	json_object_set_new(o, "version", json_string(version));
	json_t *ctrl = json_array();
	if (!strcmp(version, "v2")) {
		_cleanup_free_ char *c = NULL;
		if (vb_read_file("/sys/fs/cgroup/cgroup.controllers", 4096, &c, NULL) == 0) {
			c[strcspn(c, "\n")] = '\0';
			json_object_set_new(o, "controllers_v2", json_string(c));
		}
	} else {
		DIR *d = opendir("/sys/fs/cgroup");
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && e->d_type == DT_DIR)
				json_array_append_new(ctrl, json_string(e->d_name));
		if (d)
			closedir(d);
	}
	json_object_set_new(o, "hierarchies", ctrl);
	return o;
}

/* `tool --version`'s first line, if the tool is installed. */
static json_t *tool_version(const char *tool, const char *arg)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *paths = xstrdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *dir = strtok_r(paths, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = xasprintf("%s/%s", dir, tool);
		if (access(full, X_OK))
			continue;
		_cleanup_free_ char *cmd =
		    xasprintf("timeout 5 '%s' %s 2>&1 </dev/null", full, arg);
		FILE *p = popen(cmd, "r");
		if (!p)
			return json_null();
		char line[256] = "";
		if (!fgets(line, sizeof(line), p))
			line[0] = '\0';
		pclose(p);
		line[strcspn(line, "\n")] = '\0';
		json_t *s = json_string(line);
		return s ? s : json_null();
	}
	return json_null();
}

static unsigned count_numa_nodes(void)
{
	unsigned n = 0;
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "node", 4) && e->d_name[4] >= '0' && e->d_name[4] <= '9')
			n++;
	if (d)
		closedir(d);
	return n;
}

char *vb_fingerprint_host(void)
{
	_cleanup_json_ json_t *o = json_object();
	struct utsname u;
	uname(&u);
	json_object_set_new(o, "hostname", json_string(u.nodename));
	json_t *k = json_object();
	json_object_set_new(k, "release", json_string(u.release));
	json_object_set_new(k, "version", json_string(u.version));
	json_object_set_new(k, "machine", json_string(u.machine));
	json_object_set_new(k, "cmdline", file_line("/proc/cmdline"));
	json_object_set_new(o, "kernel", k);

	_cleanup_free_ char *cpuinfo = NULL;
	vb_read_file("/proc/cpuinfo", 16 << 20, &cpuinfo, NULL);
	json_t *cpu = json_object();
	json_object_set_new(cpu, "model",
			    cpuinfo ? cpuinfo_field(cpuinfo, "model name") : json_null());
	json_object_set_new(cpu, "flags", cpuinfo ? cpuinfo_field(cpuinfo, "flags") : json_null());
	json_object_set_new(cpu, "online", json_integer(get_nprocs()));
	json_object_set_new(cpu, "configured", json_integer(get_nprocs_conf()));
	json_object_set_new(cpu, "governor",
			    file_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
	json_object_set_new(cpu, "vulnerabilities",
			    dir_files("/sys/devices/system/cpu/vulnerabilities"));
	json_object_set_new(o, "cpu", cpu);

	struct sysinfo si;
	json_t *mem = json_object();
	if (sysinfo(&si) == 0)
		json_object_set_new(
		    mem, "total_bytes",
		    json_integer((json_int_t)((uint64_t)si.totalram * si.mem_unit)));
	json_object_set_new(mem, "thp_enabled",
			    file_line("/sys/kernel/mm/transparent_hugepage/enabled"));
	json_object_set_new(mem, "thp_defrag",
			    file_line("/sys/kernel/mm/transparent_hugepage/defrag"));
	json_object_set_new(o, "memory", mem);
	json_object_set_new(o, "numa_nodes", json_integer(count_numa_nodes()));
	json_object_set_new(o, "cgroup", cgroup_info());

	json_t *virt = json_object();
	json_object_set_new(virt, "kvm_device", json_boolean(access("/dev/kvm", F_OK) == 0));
	json_object_set_new(virt, "kvm_pvm",
			    json_boolean(access("/sys/module/kvm_pvm", F_OK) == 0));
	json_object_set_new(virt, "qemu", tool_version("qemu-system-x86_64", "--version"));
	json_object_set_new(virt, "lxc", tool_version("lxc-execute", "--version"));
	json_object_set_new(virt, "xl", tool_version("xl", "info xen_version"));
	json_object_set_new(virt, "crun", tool_version("crun", "--version"));
	json_object_set_new(virt, "runc", tool_version("runc", "--version"));
	json_object_set_new(o, "virtualization", virt);
	json_object_set_new(o, "virtbench_version", json_string(VB_VERSION));
	return vb_json_line(o);
}
