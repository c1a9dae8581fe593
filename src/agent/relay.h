/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_RELAY_H
#define VB_AGENT_RELAY_H

/* The line that tells the relay the guest's agent has taken over its console. */
#define VB_RELAY_READY "VBREADY"

/*
 * Relay one guest session between port (the host's side: a virtio-serial
 * port in Xen's dom0) and console (the guest's console: a pty slave), as
 * docs/xen.md describes. Until the console prints a line holding
 * VB_RELAY_READY, its lines are the guest's boot log, copied to log with
 * "label| " in front, and whole lines from the port are read and dropped
 * (the host's syncs); from there bytes go both ways, the switch on a line
 * boundary of the port's stream. A port whose host side is not connected
 * is tried again every 100 ms; data for it waits (up to 64 KiB each way,
 * then reading stops). Returns 0 when the console hangs up (the guest is
 * gone), -errno on another error. Both descriptors are made non-blocking and
 * stay open (the caller's).
 */
int vb_relay_run(int port, int console, int log, const char *label);

/*
 * `virtbench-agent --relay PORT CONSOLE [LABEL]`: open both (the port is
 * retried for 5 s while a previous session still holds it), set the
 * console raw, relay, log to stdout. Returns the exit status.
 */
int vb_relay_main(const char *port, const char *console, const char *label);

#endif
