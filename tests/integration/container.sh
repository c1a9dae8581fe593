#!/bin/bash
# The container runtime against ../shared/SECURITY.md, items 1-15, through
# `virtbench container run` (the same container `run -p container` starts).
. "$(dirname "$0")/lib.bash"
plan 28
export VIRTBENCH_CACHE_DIR="$TMP/cache"
if [ "$(id -u)" != 0 ]; then
	for i in $(seq 28); do skip "container test $i" "needs root"; done
	exit 0
fi
if ! "$VB" list platforms | grep -qE '^container +available'; then
	reason=$("$VB" list platforms | grep '^container' | sed 's/  */ /g')
	for i in $(seq 28); do skip "container test $i" "$reason"; done
	exit 0
fi
C() { "$VB" container run "$@"; }
guests() { vb_cgroup_leftovers all | sed 's|.*/||' | sort -u; }
# The processes in guest cgroup $1, in any hierarchy.
procs_of() {
	local d
	for d in $(vb_cgroup_leftovers all | grep "/$1$"); do cat "$d/cgroup.procs" 2>/dev/null; done
}
guests_before=$(guests)
in_ctr() { C -- /bin/sh -c "$1" 2>&1; }

mounts_before=$(wc -l </proc/self/mountinfo)
out=$(in_ctr 'echo hello from $(hostname)')
check "1. a command runs inside, with its own hostname" bash -c "echo '$out' | grep -qE '^hello from vb-[0-9a-f]{8}-0$'"
check "12. the host's hostname is unchanged" test "$(hostname)" = "$(cat /proc/sys/kernel/hostname)"
in_ctr 'unshare -mrpf mount -t proc none /proc' >/dev/null
check "1. nested unshare + mount of proc fails" test $? != 0
mi=$(in_ctr 'cat /proc/1/mountinfo')
check "1. mountinfo shows no host paths" bash -c "! echo \"\$1\" | grep -qE ' (/work|/var/tmp|/root|/home)' && echo \"\$1\" | grep -q ' / / '" _ "$mi"
# The masked files this kernel has (kcore needs CONFIG_PROC_KCORE, and so on).
masked=""
for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats /proc/timer_stats; do
	[ -e "$f" ] && masked="$masked $f"
done
sizes=$(in_ctr "for f in $masked; do wc -c <\$f; done" | sort -u | tr '\n' ' ')
check "2. masked files read 0 bytes ($masked)" test "$sizes" = "0 "
first=${masked# }
first=${first%% *}
in_ctr "umount $first" >/dev/null
check "2. the mask cannot be unmounted" test $? != 0
in_ctr 'echo h >/proc/sysrq-trigger' >/dev/null
check "3. /proc/sysrq-trigger is read-only" test $? != 0
st=$(in_ctr 'cat /proc/1/status')
want_bnd=$(printf '%016x' $(( (1<<0)|(1<<1)|(1<<3)|(1<<4)|(1<<5)|(1<<6)|(1<<7)|(1<<8)|(1<<10)|(1<<18)|(1<<31) )))
check "4. bounding set as configured, inheritable and ambient empty" \
	bash -c "echo \"\$1\" | grep -q '^CapBnd:	$want_bnd' && echo \"\$1\" | grep -q '^CapInh:	0000000000000000' && echo \"\$1\" | grep -q '^CapAmb:	0000000000000000'" _ "$st"
check "5. no_new_privs is set" bash -c "echo \"\$1\" | grep -q '^NoNewPrivs:	1'" _ "$st"
groups=$(setpriv --groups 10,20 "$VB" container run -- /bin/grep '^Groups:' /proc/self/status 2>&1)
check "4. the supervisor's supplementary groups stay outside ($groups)" \
	bash -c "[[ \"\$1\" =~ ^Groups:[[:space:]]*$ ]]" _ "$groups"
modes=$(in_ctr 'grep -h ^Seccomp: /proc/1/task/*/status /proc/self/task/*/status' | sort -u)
check "6. seccomp filter on (mode 2) for every task of PID 1 and its children" test "$modes" = "Seccomp:	2"
in_ctr 'unshare -U true' >/dev/null
check "6. unshare -U is refused" test $? != 0
check "7. /dev holds only the minimal set" \
	test "$(in_ctr 'ls /dev' | tr '\n' ' ')" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
disk=$(lsblk -ndo MAJ:MIN 2>/dev/null | head -1)
in_ctr "mknod /tmp/disk b ${disk%%:*} ${disk##*:} && head -c 512 /tmp/disk" >/dev/null
check "7. mknod of the host disk and reading it fails" test $? != 0
check "8. PID 1 holds only 0 1 2 (+ its own directory fd)" \
	test "$(C -- /bin/ls /proc/self/fd | tr '\n' ' ')" = "0 1 2 3 "
h1=$(sha256sum "$VB" "$AGENT")
for i in $(seq 10); do in_ctr 'echo x >/proc/self/exe; echo x >/proc/1/exe' >/dev/null; done
check "9. the host binaries are unchanged after attempts to overwrite the agent" test "$h1" = "$(sha256sum "$VB" "$AGENT")"
bomb=$(in_ctr 'i=0; while [ $i -lt 6000 ]; do sleep 30 & i=$((i+1)); done 2>&1 | grep -c -i "resource\|again\|fork" ')
check "11. a fork bomb hits the pids limit ($bomb refusals)" test "${bomb:-0}" -gt 0
check "11. the host can still fork" /bin/true
check "13. no mount of the container is visible on the host" test "$(wc -l </proc/self/mountinfo)" = "$mounts_before"
in_ctr 'touch /sys/fs/cgroup/x; echo 1 > /sys/fs/cgroup/release_agent' >/dev/null
check "14. cgroupfs is not writable inside" test $? != 0
cg=$(C -- /bin/cat /proc/self/cgroup)
check "14. cgroup namespace: the container sees itself at its root" bash -c "! echo \"\$1\" | grep -v ':/\$' | grep -q ." _ "$cg"
# 15: an image whose /proc is a symlink out of the root is refused.
img=$(ls -d "$VIRTBENCH_CACHE_DIR"/images/minimal-* | head -1)
cp -a "$img" "$TMP/evil"
chmod -R u+w "$TMP/evil"
rmdir "$TMP/evil/proc"
ln -s /tmp "$TMP/evil/proc"
marker="$TMP/marker"
echo untouched >"$marker"
C --image "$TMP/evil" -- /bin/true >/dev/null 2>"$TMP/err"
check "15. a rootfs with proc -> /tmp is refused, naming the symlink" bash -c "[ $? != 0 ] && grep -q 'symlink' '$TMP/err' && [ \"\$(cat '$marker')\" = untouched ]"
# A command without '/' is looked up in the container's PATH, not the host's.
check "a command name without a path runs from the container's PATH" \
	test "$(C -- echo hello from PATH 2>&1)" = "hello from PATH"
C -- no-such-command >/dev/null 2>"$TMP/nosuch"
check "a command found nowhere fails, naming it" \
	bash -c "[ $? != 0 ] && grep -q 'executing no-such-command: No such file or directory' '$TMP/nosuch'"
# Start: the child is created in its cgroup2 directory (clone3 with
# CLONE_INTO_CGROUP) and moved into each v1 hierarchy before the agent runs.
C -- /bin/sleep 3.25 &
cpid=$!
sleep 1
inner=$(pgrep -f '^/bin/sleep 3.2[5]$' | head -1)
hostview=$(cat /proc/"${inner:-0}"/cgroup 2>/dev/null)
wait $cpid
check "start: the guest is in its own cgroup in every hierarchy, cgroup2 included" \
	bash -c "[ -n \"\$1\" ] && ! echo \"\$1\" | grep -v name=systemd | grep -vq '/virtbench/vb-[0-9a-f]\{8\}-0\$'" _ "$hostview"
# A supervisor that cannot attach the child (here: a real-time process, which
# a v1 cpu cgroup without RT budget refuses) fails with the reason instead of
# waiting forever for a child that waits for it.
timeout 30 chrt -f 10 "$VB" container run -- /bin/true >/dev/null 2>"$TMP/rt"
rc=$?
check "start: a refused attach ends the start with an error, not a hang (exit $rc)" \
	bash -c "[ $rc = 0 ] || { [ $rc != 124 ] && grep -q 'cgroup.procs' '$TMP/rt'; }"
check "start: the refused start left no work directory" \
	test "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 -maxdepth 1 -name 'vb-*' | wc -l)" = 0
# Only what appeared during this test and holds no process counts: other
# runs (another virtbench, a CI job) may share the parent and be running.
left=0
for g in $(comm -13 <(echo "$guests_before") <(guests)); do
	[ -z "$(procs_of "$g")" ] && left=$((left + 1))
done
check "cleanup: no guest cgroup of these runs is left in any hierarchy" test "$left" = 0
