/* SPDX-License-Identifier: MIT */
#ifndef VIRTBENCH_FEATURE_H
#define VIRTBENCH_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The operational features of the study's tables 5.4-5.5 (docs/features.md).
 * Each cell of the table says a value, how it was determined and, in one
 * sentence, what was tried and what happened.
 */

/* The rows, in the order they are shown. */
enum vb_feature {
	VB_FEATURE_CHECKPOINT,
	VB_FEATURE_LIVE_MIGRATION,
	VB_FEATURE_MEM_OVERCOMMIT,
	VB_FEATURE_CPU_OVERCOMMIT,
	VB_FEATURE_HW_EXTENSIONS,
	VB_FEATURE_KERNEL_UPDATES,
	VB_FEATURE_MAINLINE,
	VB_FEATURE_COUNT,
};

enum vb_feature_value {
	VB_FV_YES,
	VB_FV_NO,
	VB_FV_PARTIAL,
	VB_FV_NA,
	VB_FV_UNKNOWN,
	VB_FV_COUNT,
};

enum vb_feature_how {
	VB_FH_PROBED,	  /* tried on this host; the detail says what happened */
	VB_FH_BY_DESIGN,  /* follows from how the platform works */
	VB_FH_DOCUMENTED, /* from the platform's documentation, not tried here */
	VB_FH_COUNT,
};

/* Stable ids, as stored and exported: "checkpoint-restore", ... */
static inline const char *vb_feature_id(enum vb_feature f)
{
	static const char *const ids[VB_FEATURE_COUNT] = {
		"checkpoint-restore", "live-migration",	     "memory-overcommit",
		"cpu-overcommit",     "hardware-extensions", "isolated-kernel-updates",
		"mainline-linux",
	};
	return (unsigned)f < VB_FEATURE_COUNT ? ids[f] : NULL;
}

/* What the row asks, as the table shows it. */
static inline const char *vb_feature_title(enum vb_feature f)
{
	static const char *const titles[VB_FEATURE_COUNT] = {
		"checkpoint/restore",	      "live migration",
		"memory over-commit",	      "CPU over-commit",
		"hardware extensions needed", "isolated kernel updates",
		"mainline Linux support",
	};
	return (unsigned)f < VB_FEATURE_COUNT ? titles[f] : NULL;
}

/* "yes", "no", "partial", "n/a", "unknown". */
static inline const char *vb_feature_value_name(enum vb_feature_value v)
{
	static const char *const names[VB_FV_COUNT] = { "yes", "no", "partial", "n/a", "unknown" };
	return (unsigned)v < VB_FV_COUNT ? names[v] : NULL;
}

/* "probed", "by design", "documented". */
static inline const char *vb_feature_how_name(enum vb_feature_how h)
{
	static const char *const names[VB_FH_COUNT] = { "probed", "by design", "documented" };
	return (unsigned)h < VB_FH_COUNT ? names[h] : NULL;
}

/* One cell as stored: every string owned. */
struct vb_feature_row {
	char *platform; /* "host", "container", "kvm", "qemu-tcg", "xen" */
	char *feature;	/* vb_feature_id() */
	char *value;	/* vb_feature_value_name() */
	char *how;	/* vb_feature_how_name() */
	char *detail;	/* one sentence: what was tried and what happened */
};

void vb_feature_rows_free(struct vb_feature_row *rows, size_t n);

/* One cell while a platform fills it (its ops' features). */
struct vb_feature_cell {
	enum vb_feature_value value;
	enum vb_feature_how how;
	char *detail; /* owned */
};

/* Set a cell, replacing its detail (printf-style). */
void vb_feature_cell_set(struct vb_feature_cell *c, enum vb_feature_value v, enum vb_feature_how h,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * What the host is, read once for every column; and where a run's probes
 * put what they start and make.
 */
struct vb_features_host {
	char *release;
	char *cpuinfo;
	bool vmx, svm, pvm;
	char *config;	       /* kernel config text, or NULL */
	char *config_src;      /* where it was read, or why it could not be */
	unsigned ncpus;	       /* online */
	uint64_t mem_total;    /* bytes; 0 unknown */
	int overcommit_memory; /* -1 unknown */
	int ksm_run;	       /* -1: no KSM */
	char *qemu;	       /* path, or NULL */
	bool kvm_dev;	       /* /dev/kvm can be opened read-write */
	const char *tag;       /* the run's tag: names every QEMU, guest and file */
	const char *work;      /* the run's work directory: every file is there */
	unsigned seq;	       /* names the next machine: <tag>-<seq> */
};

#endif
