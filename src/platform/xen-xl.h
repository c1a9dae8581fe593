/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_XEN_XL_H
#define VB_PLATFORM_XEN_XL_H

#include <stdbool.h>
#include <stddef.h>

#include "virtbench/error.h"

/*
 * A host that is a Xen dom0 itself, driven through its own xl (xen-local,
 * docs/xen.md): how it is told apart, and what xl's outputs say. Every text
 * here comes from outside virtbench and is parsed as such.
 */

/*
 * Does /proc/xen/capabilities' text (len bytes, need not be NUL-terminated)
 * say dom0? It lists capabilities separated by commas or white space; dom0
 * has "control_d", a domU nothing.
 */
bool vb_xen_caps_dom0(const char *text, size_t len);

/* One domain of `xl list`. */
struct vb_xl_dom {
	char name[64]; /* names longer than 63 bytes are not listed */
	unsigned domid;
};

/*
 * The domains of `xl list` (text: its NUL-terminated output): after the
 * "Name ID Mem VCPUs State Time(s)" header, one line per domain of exactly
 * six fields (a name without white space, decimal ID, Mem and VCPUs, a
 * state of six characters from "rbpscd-", a time); other lines are skipped.
 * *n domains into *out (caller frees). -EPROTO when the header is missing.
 */
int vb_xl_list_parse(const char *text, struct vb_xl_dom **out, size_t *n, struct vb_error **err);

/*
 * A name virtbench gives a domU on a real dom0: its guest's, "vb-" eight
 * hex digits (the run's tag) "-" a decimal. The tag (12 bytes with its NUL)
 * into tag when it is one.
 */
bool vb_xl_run_name(const char *name, char tag[12]);

/*
 * The value of "key : value" in `xl info`'s text (NUL-terminated), trimmed,
 * at most 127 bytes of printable ASCII; NULL when absent. Caller frees.
 */
char *vb_xl_info_field(const char *text, const char *key);

/*
 * Is this host a Xen dom0 that xen-local can drive? 0 when it is (root, xl
 * on PATH, control_d in /proc/xen/capabilities); VB_SKIP with what was
 * found in *err otherwise. /proc/xen is only read: a dom0 whose xenfs is not
 * mounted is told so, not mounted here.
 */
int vb_xen_local_probe(struct vb_error **err);

/*
 * Destroy the domUs of dead runs: `xl list` names of virtbench's (see
 * vb_xl_run_name) whose tag is_alive says is not; *n of them. Nothing (0)
 * when this host is no dom0 xen-local can drive.
 */
int vb_xen_local_sweep(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		       struct vb_error **err);

/*
 * Run xl with args (NULL-terminated, after "xl"), up to timeout_ms; its
 * output (stdout and stderr, at most 1 MiB) in *out. 0 when it exited 0;
 * -EIO with its last words otherwise.
 */
int vb_xl_run(char *const args[], int timeout_ms, char **out, struct vb_error **err);

/*
 * What a probe that succeeded found, for `list platforms` and the
 * fingerprint: "Xen <xen_version> dom0 (control_d), xl <path>". Caller frees.
 */
char *vb_xen_local_found(void);

/* The first "model name" of cpuinfo's text (NUL-terminated), trimmed; NULL when none. */
char *vb_cpuinfo_model(const char *cpuinfo);

/*
 * How xen-local's figures are labelled (platforms.emulated): 2 when this
 * dom0's CPU model is QEMU's TCG ("QEMU TCG CPU" in /proc/cpuinfo: Xen
 * itself runs in emulation, as in virtbench's own nested machine), else 0.
 * A Xen inside a VM with hardware virtualization is labelled 0: its
 * fingerprint records the machine (DMI) and the CPU model.
 */
int vb_xen_local_emulation(void);

#endif
