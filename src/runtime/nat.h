/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_NAT_H
#define VB_RUNTIME_NAT_H

/*
 * NAT for the guests on a run's bridge, with nftables through the nft
 * program (virtbench is linked static, and no static libnftables exists).
 * The run owns one table, "table ip vb-1a2b3c4d": it masquerades what the
 * run's subnet sends out of any device but the bridge, and drops forwarded
 * packets that are not the run's (another source arriving on its bridge, a
 * new connection into it from elsewhere). No other table or rule is read or
 * changed. IPv4 forwarding is turned on only for the run's own devices (its
 * bridge and its outside's veth, src/runtime/net.h), never host-wide: the
 * setting goes with the devices, so there is nothing to restore.
 */

#include <stdbool.h>
#include <stddef.h>

#include "virtbench/error.h"

/*
 * The nft input that creates the table of run tag afresh (a table of that
 * name is replaced, in the same transaction) for the bridge of that name
 * and its subnet ("10.233.N.0/24"). Caller frees.
 */
char *vb_nat_ruleset(const char *tag, const char *subnet);

/*
 * The run tags ("vb-1a2b3c4d") of the "table ip vb-1a2b3c4d" and "table
 * inet vb-1a2b3c4d" lines of `nft list tables` output (a tag once), at most
 * max of them; returns how many.
 */
size_t vb_nat_parse_tables(const char *text, char (*tags)[12], size_t max);

/* Does the state directory hold word of a table a run could not delete? */
bool vb_nat_leftovers(void);

/*
 * Delete the tables (NAT and input filter) of every run whose tag is_alive
 * says is not alive, and
 * of every run that left word it could not delete its own (vb_nat_run_put:
 * "<state>/<tag>.nat-left", removed with the table, or when the table is
 * gone anyway); *n counts the tables. Without nft there is nothing of ours
 * to find: 0, *n = 0.
 */
int vb_nat_sweep(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		 struct vb_error **err);

/* VB_SKIP, naming the package, when the nft program is not installed. */
int vb_nat_probe(struct vb_error **err);

/* Load run tag's NAT table (vb_nat_ruleset) for its bridge's subnet. */
int vb_nat_table_create(const char *tag, const char *subnet, struct vb_error **err);

/*
 * Delete run tag's NAT table (twice on failure, then word for the sweep:
 * "<state>/<tag>.nat-left", and a warning).
 */
void vb_nat_table_delete(const char *tag);

/*
 * The input filter of a run's bridge, "table inet vb-1a2b3c4d": what
 * arrives on the bridge for the host itself (a guest connecting to any host
 * service, through the bridge's address or another of the host's) is
 * dropped, except replies (established, related) and TCP to the address
 * and port pairs in its set "peers" (the run's w3 peers, vb_fw_run_admit: a
 * host service on another address with a peer's port stays out). The nft
 * input that creates it afresh; caller frees.
 */
char *vb_fw_ruleset(const char *tag);

/*
 * Load run tag's input filter: before its bridge is made (fail closed).
 * VB_SKIP when nft is not installed: no bridge without it. One per process.
 */
int vb_fw_run_create(const char *tag, struct vb_error **err);

/*
 * Admit TCP to addr (IPv4, numeric) and port on the host from the run's
 * bridge (a w3 peer). 0 when no filter.
 */
int vb_fw_run_admit(const char *addr, unsigned port, struct vb_error **err);

/*
 * Delete the input filter, after the bridge (twice on failure, then word
 * for the sweep: "<state>/<tag>.nat-left"). Safe when there is none.
 */
void vb_fw_run_delete(void);

#endif
