#!/bin/bash
# What a container guest must not reach beyond SECURITY.md's checklist
# (issue 13; docs/security.md, "Guest system calls, devices and /proc"):
# kernel memory maps in /proc, socket families outside the allow-list,
# devices outside the minimal set through the cgroup2 device program, and
# bad input to `container run` refused as such.
. "$(dirname "$0")/lib.bash"
N=15
plan $N
need_container $N "container hardening test"
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

# An image with tests/integration/ctr-probe.c in it, for the system calls
# busybox cannot make.
img="$TMP/img"
cp -a "$(ls -d "$VIRTBENCH_CACHE_DIR"/images/minimal-* | head -1)" "$img"
chmod u+w "$img/bin"
if ! cc -static -O2 -o "$img/bin/ctr-probe" "$ROOT/tests/integration/ctr-probe.c"; then
	echo "Bail out! cannot build ctr-probe (cc -static)"
	exit 1
fi
P() { C --image "$img" "$@"; }

# Socket families: AF_VSOCK (40) is not isolated by network namespaces;
# AF_PACKET (17) and AF_ALG (38) are not needed. EAFNOSUPPORT, as if the
# kernel had none of them.
out=$(P -- /bin/ctr-probe socket 40 1 2>&1)
check "socket(AF_VSOCK) fails with EAFNOSUPPORT ($out)" test "$out" = "socket EAFNOSUPPORT"
out=$(P --userns -- /bin/sh -c '/bin/ctr-probe socket 17 2; /bin/ctr-probe socket 38 5' 2>&1 | tr '\n' ' ')
check "socket(AF_PACKET), socket(AF_ALG) fail with EAFNOSUPPORT, also with --userns ($out)" \
	test "$out" = "socket EAFNOSUPPORT socket EAFNOSUPPORT "
# AF_UNIX stream, AF_INET udp, AF_NETLINK raw (route); AF_INET6 where the host has it.
want="socket ok socket ok socket ok "
fams="1 1; 2 2; 16 3"
if [ -e /proc/net/if_inet6 ]; then
	fams="$fams; 10 1"
	want="${want}socket ok "
fi
out=$(P -- /bin/sh -c "for f in '${fams//; /\' \'}'; do /bin/ctr-probe socket \$f; done" 2>&1 | tr '\n' ' ')
check "socket(AF_UNIX, AF_INET, AF_NETLINK, AF_INET6) still work ($out)" test "$out" = "$want"
out=$(P -- /bin/sh -c 'echo hi | nc -l -p 5000 & sleep 0.3; nc 127.0.0.1 5000 </dev/null' 2>&1)
check "TCP over loopback inside works" test "$out" = hi

# Devices: the cgroup2 device program (attached to the guest's directory in
# the cgroup2 mount beside v1 here; on pure v2 hosts it is the only
# allow-list) refuses a device outside the minimal set even with the v1
# devices controller made permissive and the node put in from outside.
CG=/sys/fs/cgroup
v1_devices_parent() {
	local ctrls path
	while IFS=: read -r _ ctrls path; do
		[ "$ctrls" = devices ] && echo "$CG/devices${path%/}/virtbench"
	done </proc/self/cgroup
}
# A disk of the host that the host itself may open (a sandbox may refuse some).
disk=""
while read -r name d; do
	if { : <"/dev/$name"; } 2>/dev/null; then
		disk=$d
		break
	fi
done < <(lsblk -ndo NAME,MAJ:MIN 2>/dev/null)
script="i=0; while [ ! -e /dev/vbdisk ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done
head -c 512 /dev/vbdisk | wc -c; echo x >/dev/null && echo null ok; head -c 1 /dev/urandom | wc -c; : vbdisk$$"
C -- /bin/sh -c "$script" >"$TMP/dev.out" 2>&1 &
cpid=$!
inner=""
for _ in $(seq 100); do
	inner=$(pgrep -f "^/bin/sh -c .*vbdisk$$" | head -1)
	[ -n "$inner" ] && break
	sleep 0.1
done
tag=$(ls "$VIRTBENCH_STATE_DIR" | grep -m1 '^vb-')
permissive=no
[ -n "$tag" ] && echo a >"$(v1_devices_parent)/$tag-0/devices.allow" && permissive=yes
[ -n "$inner" ] && mknod "/proc/$inner/root/dev/vbdisk" b "${disk%%:*}" "${disk##*:}"
wait $cpid
diag "disk $disk, v1 made permissive: $permissive; inside: $(tr '\n' '|' <"$TMP/dev.out")"
if [ -z "$disk" ]; then
	skip "cgroup2 device program: a host disk put into /dev from outside cannot be opened" "no disk the host can open"
else
	check "cgroup2 device program: the host disk ($disk) put into /dev from outside cannot be opened" \
		bash -c "[ '$permissive' = yes ] && grep -q 'vbdisk: Operation not permitted' '$TMP/dev.out' && grep -qx 0 '$TMP/dev.out'"
fi
check "the minimal /dev still works under it (null, urandom)" \
	bash -c "grep -qx 'null ok' '$TMP/dev.out' && tail -1 '$TMP/dev.out' | grep -qx 1"
out=$(P -- /bin/ctr-probe pty 2>&1 | tr '\n' ' ')
check "and a pty can still be had inside ($out)" test "$out" = "ptmx ok slave ok "

# Bad input to `container run` is bad usage (exit 2), with one line saying
# what, not a failure of the run (1).
bad() {
	local rc
	C "$@" >/dev/null 2>"$TMP/bad"
	rc=$?
	echo "$rc $(wc -l <"$TMP/bad")"
}
check "--image /nonexistent: exit 2, one line" test "$(bad --image /nonexistent -- /bin/true)" = "2 1"
check "--image FILE (a regular file): exit 2, one line" test "$(bad --image /etc/hostname -- /bin/true)" = "2 1"
check "container run -- /nonexistent: exit 2, one line" test "$(bad -- /nonexistent)" = "2 1"
check "container run -- '' (an empty name): exit 2, one line" test "$(bad -- '')" = "2 1"

# The /dev nodes are the host's own inodes, bound in: root inside changes
# neither their mode, owner nor times (found in review: chmod and touch of
# /dev/null and /dev/full reached the host's), and they still work.
before=$(stat -c '%a %u:%g %Y %Z' /dev/null /dev/full | tr '\n' ' ')
out=$(C -- /bin/sh -c 'chmod 600 /dev/null || echo chmod-refused; chown 65534 /dev/full || echo chown-refused;
	touch /dev/full || echo touch-refused; echo x >/dev/null && echo write-ok' 2>/dev/null | tr '\n' ' ')
after=$(stat -c '%a %u:%g %Y %Z' /dev/null /dev/full | tr '\n' ' ')
check "/dev nodes: chmod, chown and touch refused inside, the host's nodes unchanged, /dev/null writable ($out)" \
	bash -c "[ '$out' = 'chmod-refused chown-refused touch-refused write-ok ' ] && [ '$before' = '$after' ]"
out=$(C --userns -- /bin/sh -c 'touch /dev/full || echo touch-refused' 2>/dev/null)
check "/dev nodes with --userns: touch refused too" test "$out" = touch-refused
