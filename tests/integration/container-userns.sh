#!/bin/bash
# The container runtime with a user namespace (--userns, ../shared/SECURITY.md
# item 10): root inside is an unprivileged host id, the maps are exactly the
# ones asked for, the hardening of the other items still holds, the platform
# runs workloads with it, bad maps are refused, and nothing is left behind.
. "$(dirname "$0")/lib.bash"
N=27
plan $N
need_container $N "container userns test"
C() { "$VB" container run "$@"; }
guests() { vb_cgroup_leftovers all | sed 's|.*/||' | sort -u; }
# The processes in guest cgroup $1, in any hierarchy.
procs_of() {
	local d
	for d in $(vb_cgroup_leftovers all | grep "/$1$"); do cat "$d/cgroup.procs" 2>/dev/null; done
}
guests_before=$(guests)
# A map's lines as the kernel prints them, blanks squeezed: "0 100000 65536".
squeeze() { sed 's/^ *//; s/  */ /g'; }

check "id -u and id -g inside are 0 (default map)" test "$(C --userns -- /bin/sh -c 'id -u; id -g' | tr '\n' ' ')" = "0 0 "
check "uid_map and gid_map inside are the default 0:1879048192:65536" \
	test "$(C --userns -- /bin/cat /proc/self/uid_map /proc/self/gid_map | squeeze | tr '\n' ' ')" = "0 1879048192 65536 0 1879048192 65536 "
map=u:0:200000:1000,u:1000:300000:5,g:0:400000:10,g:10:500000:3
out=$(C --userns "$map" -- /bin/cat /proc/self/uid_map /proc/self/gid_map | squeeze | tr '\n' ' ')
check "separate uid and gid maps, two extents each, exactly as given" \
	test "$out" = "0 200000 1000 1000 300000 5 0 400000 10 10 500000 3 "
check "setgroups is allow by default (the supervisor's groups dropped: none inside)" \
	test "$(C --userns -- /bin/sh -c 'cat /proc/self/setgroups; grep ^Groups: /proc/self/status' | tr -d ' \t\n')" = "allowGroups:"
check "setgroups=deny is what the kernel holds" \
	test "$(C --userns=0:100000:65536,setgroups=deny -- /bin/cat /proc/self/setgroups)" = deny
# A supervisor with supplementary groups: dropped inside when setgroups is
# allowed; with deny they cannot be, and show as unmapped (65534).
groups=$(setpriv --groups 10,20 "$VB" container run --userns -- /bin/grep ^Groups: /proc/self/status | tr -d ' \t')
check "the supervisor's supplementary groups are dropped inside (setgroups allow)" test "$groups" = "Groups:"
# With setgroups=deny the child cannot drop them: the supervisor drops its
# own first, so none reach the guest (seen from the host, where they count).
setpriv --groups 10,20 "$VB" container run --userns 0:100000:65536,setgroups=deny -- /bin/sleep 3.75 &
dpid=$!
sleep 1
inner=$(pgrep -f '^/bin/sleep 3.7[5]$' | head -1)
hostgroups=$(grep ^Groups: /proc/"${inner:-0}"/status 2>/dev/null | tr -d ' \t')
wait $dpid
check "with setgroups=deny no supervisor group reaches the guest (host view: '$hostgroups')" \
	test "$hostgroups" = "Groups:"

# What the guest writes belongs on the host to the ids its root maps to
# (/scratch is its volume, beside the upper layer).
C --userns 0:100000:65536 -- /bin/sh -c 'touch /scratch/f /made-in-root; mkdir /tmp/d; chown 5:7 /tmp/d; sleep 4' &
cpid=$!
f=""
for _ in $(seq 60); do
	f=$(ls "$VIRTBENCH_STATE_DIR"/vb-*/vb-*-0/volume/f 2>/dev/null | head -1)
	[ -n "$f" ] && [ -e "${f%/volume/f}/upper/tmp/d" ] && break
	sleep 0.1
done
guest=${f%/volume/f}
upper=$guest/upper
check "a file made in /scratch is 100000:100000 on the host" test "$(stat -c %u:%g "$f" 2>/dev/null)" = 100000:100000
check "a file made in / is 100000:100000 on the host" test "$(stat -c %u:%g "$upper/made-in-root" 2>/dev/null)" = 100000:100000
check "chown 5:7 inside is 100005:100007 on the host" test "$(stat -c %u:%g "$upper/tmp/d" 2>/dev/null)" = 100005:100007
wait $cpid
check "the container's own layer and volume are gone after it ends" \
	test -n "$f" -a ! -e "$upper" -a ! -e "$guest/volume"

# Root inside is not root outside.
check "the image's files belong to nobody inside (host root is not mapped)" \
	test "$(C --userns -- /bin/stat -c %u:%g /bin/busybox)" = 65534:65534
# (/etc/hosts is the runtime's, bound read-only: a file made in the host-owned /etc.)
C -- /bin/sh -c 'echo x >/etc/vb-probe' 2>/dev/null
plain=$?
C --userns -- /bin/sh -c 'echo x >/etc/vb-probe' 2>/dev/null
userns=$?
check "root writes in the host-owned /etc without --userns, not with it" test "$plain/$userns" = 0/1
C --userns -- /bin/sh -c 'chown 0 /bin/busybox' 2>/dev/null
check "root inside cannot chown a host-owned file" test $? != 0
C --userns -- /bin/sh -c 'touch /bin/x' 2>/dev/null
check "root inside cannot create files in the image's /bin" test $? != 0

# The hardening of the other items holds inside the user namespace.
st=$(C --userns -- /bin/cat /proc/1/status)
plainst=$(C -- /bin/cat /proc/1/status)
check "capabilities, no_new_privs and seccomp as without --userns" \
	test "$(echo "$st" | grep -E '^(Cap|NoNewPrivs|Seccomp:)')" = "$(echo "$plainst" | grep -E '^(Cap|NoNewPrivs|Seccomp:)')"
C --userns -- /bin/sh -c 'unshare -U true' 2>/dev/null
check "unshare -U is refused inside" test $? != 0
C --userns -- /bin/sh -c 'unshare -mrpf mount -t proc none /proc' >/dev/null 2>&1
check "nested unshare + mount of proc fails" test $? != 0
C --userns -- /bin/sh -c 'echo h >/proc/sysrq-trigger' 2>/dev/null
check "/proc/sysrq-trigger is read-only" test $? != 0
check "/proc/kcore or /proc/keys is masked (0 bytes)" \
	test "$(C --userns -- /bin/sh -c 'for f in /proc/kcore /proc/keys; do [ -e $f ] && wc -c <$f; done' | sort -u)" = 0

# Bad maps: one line, exit 2, before anything is made.
bad=0
for m in 0:0:65536 1:100000:10 0:100000:0 0:100000:4294967295 0:100000:10,5:200000:10 \
	0:100000:10,20:100005:10 x 0:1:2:3 0:1:1, 0:1:1,setgroups=maybe \
	0:1:1,1:2:1,2:3:1,3:4:1,4:5:1,5:6:1 "$(printf '0:1:1\nx')"; do
	C --userns "$m" -- /bin/true 2>"$TMP/err"
	rc=$?
	if [ $rc != 2 ] || [ "$(wc -l <"$TMP/err")" != 1 ]; then
		bad=1
		diag "--userns '$m': exit $rc: $(cat "$TMP/err")"
	fi
done
check "bad maps exit 2 with one line" test $bad = 0
"$VB" run -p host --userns -w cpu.primes >/dev/null 2>"$TMP/err"
check "--userns without a platform that takes it exits 2" bash -c "[ $? = 2 ] && grep -q 'container does' '$TMP/err'"

"$VB" run "${quick_args[@]}" -p host,container --userns -w cpu.primes,mem.memcpy >"$TMP/out" 2>"$TMP/err"
rc=$?
check "run -p host,container --userns exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
cells=$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'container' AND x.ratio IS NOT NULL")
spec=$(sql "SELECT spec FROM platforms WHERE name = 'container'")
[ "$cells" -ge 2 ] 2>/dev/null || diag "cells: $cells, spec: $spec"
check "the container's cells have ratios to host and its record names the map" \
	bash -c "[ '$cells' -ge 2 ] && echo '$spec' | grep -q '\"userns\": *\"0:1879048192:65536\"'"
# ops times provision, boot, reboot, clone (the clone's layer keeps the mapped owners), destroy.
export VIRTBENCH_DB="$TMP/ops.db"
"$VB" ops -q -p container --userns --rounds 1 --warmup 0 --rate-guests 0 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "ops -p container --userns (clone included) exits 0 with its steps timed" \
	bash -c "[ $rc = 0 ] && grep -q clone '$TMP/out'"
[ $rc = 0 ] || diag "$(cat "$TMP/err")"

# Becoming root inside cleared the parent-death signal; it is set again.
"$VB" container run --userns -- /bin/sleep 60 &
vpid=$!
init=""
for _ in $(seq 50); do
	init=$(pgrep -P $vpid | head -1)
	[ -n "$init" ] && grep -q sleep "/proc/$init/cmdline" 2>/dev/null && break
	sleep 0.1
done
kill -KILL $vpid
wait $vpid 2>/dev/null
gone=1
for _ in $(seq 100); do
	st=$(awk '{print $3}' "/proc/$init/stat" 2>/dev/null)
	{ [ -z "$st" ] || [ "$st" = Z ]; } && { gone=0; break; }
	sleep 0.1
done
check "SIGKILL of the supervisor: the container's init (root of the user namespace) dies too" \
	bash -c "[ -n '$init' ] && [ $gone = 0 ]"
"$VB" runs >/dev/null 2>&1 # the next start sweeps what that run left

# Other runs (other tests, another virtbench) may come and go meanwhile:
# only what carries the tags of this file's runs counts.
left=""
for g in $(comm -13 <(echo "$guests_before") <(guests)); do
	[ -z "$(procs_of "$g")" ] && left="$left $g"
done
for tag in $(sql "SELECT tag FROM runs") $(VIRTBENCH_DB="$TMP/results.db" sql "SELECT tag FROM runs"); do
	[ -n "$tag" ] || continue
	vb_cgroup_leftovers "$tag" | grep -q . && left="$left cgroup:$tag"
	ip -o link | grep -q " $tag" && left="$left link:$tag"
	grep -q "$tag" /proc/mounts && left="$left mount:$tag"
done
[ -n "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 -maxdepth 1 -name 'vb-*')" ] && left="$left work-dirs"
check "nothing left: cgroups, links, mounts, work directories" test -z "$left"
[ -z "$left" ] || diag "left:$left"
