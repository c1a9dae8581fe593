/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_FEATURES_H
#define VB_PLATFORM_FEATURES_H

/*
 * The platforms' columns of `virtbench features` (each platform's features
 * op): what the host is, read once for them all, and what the columns
 * share.
 */
#include <stdbool.h>

#include "virtbench/feature.h"

/* Read what the host is into h (tag, work and seq stay the caller's). */
void vb_features_host_init(struct vb_features_host *h);
void vb_features_host_release(struct vb_features_host *h);

/* "present" or "absent". */
const char *vb_features_present(bool b);

/* "CONFIG_KVM=y" as h's kernel config says it, for details; caller frees. */
char *vb_features_kconfig_text(const struct vb_features_host *h, const char *sym);

/* dst takes src's value, how and a copy of its detail. */
void vb_feature_cell_copy(struct vb_feature_cell *dst, const struct vb_feature_cell *src);

/* The columns that are not in their platform's own file: the ops' features. */
int vb_container_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c);
int vb_qemu_tcg_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c);
int vb_kvm_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c);
int vb_xen_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c);

#endif
