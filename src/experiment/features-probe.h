/* SPDX-License-Identifier: MIT */
#ifndef VB_EXPERIMENT_FEATURES_PROBE_H
#define VB_EXPERIMENT_FEATURES_PROBE_H

/*
 * Inside `virtbench features`: what the probes of features-qemu.c and
 * features-criu.c share with features.c, which fills the table.
 */
#include <stdbool.h>
#include <stdint.h>

#include "platform/qemu-vm.h"
#include "virtbench/feature.h"

/* One cell while it is being filled. */
struct vb_feature_cell {
	enum vb_feature_value value;
	enum vb_feature_how how;
	char *detail; /* owned */
};

/* Set a cell, replacing its detail (printf-style). */
void vb_feature_cell_set(struct vb_feature_cell *c, enum vb_feature_value v, enum vb_feature_how h,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* What the host is, read once; and where a run's probes put their files. */
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
	const char *tag;       /* the run's tag: names every QEMU and file */
	const char *work;      /* the run's work directory: every file is there */
	unsigned seq;	       /* names the next QEMU: <tag>-<seq> */
};

/* The cells the QEMU probes fill for one accelerator. */
struct vb_features_qemu {
	struct vb_feature_cell ckpt, live, mem, cpu;
};

/*
 * Run every QEMU probe under accel ("tcg" or "kvm"): save and restore,
 * live migration, memory and CPU over-commit; or, where QEMU or /dev/kvm is
 * missing, fill documented values saying why nothing ran. A probe that
 * fails is a cell that says so; only an interruption is returned (-EINTR).
 */
int vb_features_probe_qemu(struct vb_features_host *h, const char *accel,
			   struct vb_features_qemu *q);
void vb_features_qemu_release(struct vb_features_qemu *q);

/* What CRIU did here. */
struct vb_features_criu {
	bool installed;
	bool check_ok;
	char *check_why; /* why criu check failed */
	bool cr_ok;	 /* dumped, restored and running again */
	char *cr_what;	 /* what happened to the dump and restore */
};

/* criu check, then a dump and restore of a small tree; -EINTR when interrupted. */
int vb_features_probe_criu(const struct vb_features_host *h, struct vb_features_criu *p);
void vb_features_criu_release(struct vb_features_criu *p);

#endif
