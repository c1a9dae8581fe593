/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_FEATURES_PARSE_H
#define VB_PLATFORM_FEATURES_PARSE_H

/*
 * The pure helpers of `virtbench features`: readers of what the host's
 * files, CRIU and QMP say, for the host facts (features.c), the platforms'
 * columns (container-features.c, qemu-features.c, xen-features.c) and the
 * unit tests. They include nothing of the columns or the probes.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A whole text file (≤ 64 MiB) through zlib: plain and gzip-compressed
 * (/proc/config.gz) alike; caller frees. 0 or a negative errno.
 */
int vb_features_read_text(const char *path, char **out);

/* Does the first "flags" line of /proc/cpuinfo text list flag? */
bool vb_features_cpu_flag(const char *cpuinfo, const char *flag);

/*
 * A symbol's setting in kernel config text ("CONFIG_KVM"): 'y', 'm',
 * 'n' for "# CONFIG_X is not set", 'v' for another value (a number, a
 * string), '\0' when the text does not mention it.
 */
char vb_features_kconfig(const char *config, const char *symbol);

/* Count the cgroup (v1) and cgroup2 mounts in /proc/mounts text. */
void vb_features_cgroup_mounts(const char *mounts, unsigned *v1, unsigned *v2);

/* A "Key: N kB" line of /proc/meminfo text, in bytes; 0 when missing. */
uint64_t vb_features_meminfo(const char *meminfo, const char *key);

/*
 * The pid in the innermost pid namespace from /proc/PID/status text (the
 * last number of "NSpid:"), and in *depth how many namespaces it has a pid
 * in. -1 when there is no NSpid line.
 */
long vb_features_nspid(const char *status, unsigned *depth);

/*
 * The most telling error line of CRIU's output ("Error (file:line): msg"
 * lines, minus "exited, status=" noise), without its prefix; caller frees.
 * NULL when there is none.
 */
char *vb_features_criu_error(const char *output);

/*
 * From a QMP query-migrate return value: its "status" ("completed",
 * "failed", ...), NULL when absent. Borrowed from reply.
 */
const char *vb_features_migrate_status(const json_t *reply);

#endif
