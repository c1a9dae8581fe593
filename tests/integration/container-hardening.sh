#!/bin/bash
# What a container guest must not reach beyond SECURITY.md's checklist
# (issue 13; docs/security.md, "Guest system calls, devices and /proc"):
# kernel memory maps in /proc, socket families outside the allow-list,
# devices outside the minimal set through the cgroup2 device program, and
# bad input to `container run` refused as such.
. "$(dirname "$0")/lib.bash"
N=2
plan $N
export VIRTBENCH_CACHE_DIR="$TMP/cache"
reason=""
[ "$(id -u)" = 0 ] || reason="needs root"
[ -z "$reason" ] && ! "$VB" list platforms | grep -qE '^container +available' &&
	reason=$("$VB" list platforms | grep '^container' | sed 's/  */ /g')
if [ -n "$reason" ]; then
	for i in $(seq $N); do skip "container hardening test $i" "$reason"; done
	exit 0
fi
C() { "$VB" container run "$@"; }

# /proc files that map the kernel's memory: masked (0 bytes) or unreadable,
# without a user namespace (root inside) and with one.
procs=""
for f in slabinfo vmallocinfo kpageflags kpagecount kpagecgroup sched_debug timer_list; do
	[ -e "/proc/$f" ] && procs="$procs /proc/$f"
done
# "F N": N bytes read, or "F -" when it could not be read at all.
sizes=$(C -- /bin/sh -c "for f in $procs; do echo \"\$f \$(wc -c <\$f 2>/dev/null || echo -)\"; done" 2>&1)
diag "$sizes"
check "/proc memory maps read 0 bytes or not at all ($procs)" \
	bash -c "[ -n \"\$1\" ] && ! echo \"\$1\" | grep -vqE '^/proc/[a-z_]+ (0|-)\$'" _ "$sizes"
sizes=$(C --userns -- /bin/sh -c "for f in $procs; do echo \"\$f \$(wc -c <\$f 2>/dev/null || echo -)\"; done" 2>&1)
check "the same with --userns" \
	bash -c "[ -n \"\$1\" ] && ! echo \"\$1\" | grep -vqE '^/proc/[a-z_]+ (0|-)\$'" _ "$sizes"
