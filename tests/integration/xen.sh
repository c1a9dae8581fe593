#!/bin/bash
# The xen platform end to end: Xen 4.17 and a PV dom0 boot under QEMU/TCG,
# dom0's control loop creates a PV domU whose agent answers through dom0's
# relay; a quick workload runs beside the host, ops measures the lifecycle
# (dom0 and domU boot apart, a domU-only reboot, a clone in the same Xen),
# and nothing of a run remains after it ends or after SIGKILL. Skipped only where Debian's
# Xen packages cannot be fetched (or not as root). Each step has a time
# limit (about 20 minutes in all); boots take 30-90 s on a shared host.
# The Debian root (--image debian:less) in the domU, with app.python there,
# and its overlays after Ctrl-C and SIGKILL close the file.
. "$(dirname "$0")/lib.bash"
N=32
plan $N
# The packages, the vmlinux and the images are cached across runs.
unset VIRTBENCH_CACHE_DIR
cache=/var/cache/virtbench
reason=""
[ "$(id -u)" != 0 ] && reason="needs root (QEMU's cgroup)"
if [ -z "$reason" ] && ! ls "$cache"/xen/*/xen >/dev/null 2>&1; then
	mkdir -p "$TMP/debs"
	(cd "$TMP/debs" && timeout 120 apt-get download xen-hypervisor-4.17-amd64 >/dev/null 2>&1) ||
		reason="Debian's Xen packages are unreachable (apt-get download xen-hypervisor-4.17-amd64 failed)"
fi
if [ -n "$reason" ]; then
	for i in $(seq $N); do skip "xen $i" "$reason"; done
	exit 0
fi
# No QEMU, cgroup or work directory of run $1 is left.
nothing_left() {
	local tag=$1
	! pgrep -f "qemu-system-x86_6[4] .*-name $tag-" >/dev/null &&
		[ -z "$(vb_cgroup_leftovers "$tag")" ] &&
		[ "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 | wc -l)" = 0 ]
}

"$VB" list platforms >"$TMP/p"
check "xen is offered, labelled as emulation" \
	grep -qE '^xen +available +Xen PV domU, nested in QEMU/TCG.*\[emulation\]' "$TMP/p"
grep '^xen' "$TMP/p" | cut -c1-200 | while read -r l; do diag "$l"; done

t0=$(date +%s)
timeout -k 30 300 nice -n 10 "$VB" run -q -p host,xen -w cpu.primes --profile quick --set limit=100000 \
	--runs 2 --min-runs 2 --warmup 0 >"$TMP/out" 2>"$TMP/err"
rc=$?
diag "run -p host,xen: exit $rc in $(($(date +%s) - t0)) s"
check "host + xen run exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
check "the xen row has 2 samples with a positive elapsed, stored as nested in emulation (2)" \
	test "$(sql "SELECT p.emulated || ' ' || count(*) FROM samples s JOIN platforms p ON p.id = s.platform_id JOIN sample_values v ON v.sample_id = s.id WHERE p.name = 'xen' AND s.ok AND NOT s.warmup AND v.metric = 'elapsed' AND v.value > 0")" = "2 2"
check "the table labels it (nested in QEMU/TCG)" grep -q "xen (nested in QEMU/TCG)" "$TMP/out"
check "run: no QEMU process, cgroup or work directory remains" nothing_left "$(sql "SELECT tag FROM runs")"

export VIRTBENCH_DB="$TMP/ops.db"
t0=$(date +%s)
timeout -k 30 420 nice -n 10 "$VB" ops -q -p xen --rounds 1 --warmup 0 --rate-guests 0 >"$TMP/out" 2>"$TMP/err" &
pid=$!
# Every QEMU process of the run, sampled while it lasts: the guest, its
# domU-only reboot and its clone all live in one nested machine.
tag="" pids=""
while kill -0 $pid 2>/dev/null; do
	[ -z "$tag" ] && tag=$(basename "$(ls -d "$VIRTBENCH_STATE_DIR"/vb-* 2>/dev/null | head -1)" 2>/dev/null)
	[ -n "$tag" ] && pids="$pids $(pgrep -f "qemu-system-x86_6[4] .*-name $tag-")"
	sleep 0.5
done
wait $pid
rc=$?
diag "ops -p xen: exit $rc in $(($(date +%s) - t0)) s"
check "ops -p xen exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
metric() { sql "SELECT x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'xen' AND x.metric = '$1'"; }
all=1
for m in boot_s dom0_boot_s domu_boot_s reboot_s stop_s clone_s clone_boot_s footprint_bytes; do
	v=$(metric $m)
	diag "xen $m = $v"
	awk -v v="$v" 'BEGIN { exit !(v > 0) }' || all=0
done
check "ops: boot_s, dom0_boot_s, domu_boot_s, reboot_s, stop_s, clone_s, clone_boot_s (the clone's agent answered) and footprint_bytes measured" test $all = 1
check "ops: boot_s is dom0_boot_s + domu_boot_s (within 2 s)" \
	awk -v b="$(metric boot_s)" -v h="$(metric dom0_boot_s)" -v g="$(metric domu_boot_s)" \
	'BEGIN { d = b - h - g; exit !(d > -2 && d < 2) }'
npids=$(echo $pids | tr ' ' '\n' | sort -u | grep -c .)
diag "ops: QEMU processes seen:$(echo $pids | tr ' ' '\n' | sort -u | tr '\n' ' ')"
check "ops: one QEMU process all along: the reboot was the domU's, the clone a second domU in the same Xen" test "$npids" = 1
check "ops: boot_s is a nested boot (over 5 s), within the ready limit" \
	awk -v v="$(metric boot_s)" 'BEGIN { exit !(v > 5 && v < 300) }'
check "ops: xen stored as nested in emulation" test "$(sql "SELECT emulated FROM platforms WHERE name = 'xen'")" = 2
check "ops: no QEMU process, cgroup or work directory remains" nothing_left "$(sql "SELECT tag FROM runs")"

# features -p xen: CPU over-commit probed in the nested Xen (a domU with more
# vCPUs than its Xen has CPUs, created by dom0's control loop, answers).
export VIRTBENCH_DB="$TMP/features.db"
t0=$(date +%s)
timeout -k 30 420 nice -n 10 "$VB" features -p xen >"$TMP/out" 2>"$TMP/err"
rc=$?
diag "features -p xen: exit $rc in $(($(date +%s) - t0)) s"
diag "$(sql "SELECT value || ' ' || how || ': ' || detail FROM features WHERE feature = 'cpu-overcommit'")"
check "features -p xen: cpu-overcommit yes, probed, with more vCPUs than Xen's CPUs" \
	test "$(sql "SELECT value || '|' || how FROM features WHERE feature = 'cpu-overcommit' AND detail LIKE '%has 2 physical CPUs%3 vCPUs%'")" = "yes|probed"
check "features -p xen: no QEMU process, cgroup or work directory remains" nothing_left "$(sql "SELECT tag FROM runs")"

# SIGKILL of the supervisor while Xen boots: QEMU dies with it (its
# parent-death signal), and the next virtbench start sweeps the rest.
export VIRTBENCH_DB="$TMP/kill.db"
nice -n 10 "$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p xen -w cpu.primes --set limit=100000 >/dev/null 2>&1 &
pid=$!
tag="" booting=0
for _ in $(seq 600); do
	[ -z "$tag" ] && tag=$(basename "$(ls -d "$VIRTBENCH_STATE_DIR"/vb-* 2>/dev/null | head -1)" 2>/dev/null)
	if [ -n "$tag" ] && grep -qs "virtbench dom0:" "$VIRTBENCH_STATE_DIR/$tag/$tag-0/console.log"; then
		booting=1
		break
	fi
	sleep 0.2
done
check "SIGKILL: caught xen mid-boot (dom0's init running)" test $booting = 1
kill -KILL $pid
wait $pid 2>/dev/null
gone=1
for _ in $(seq 100); do
	pgrep -f "qemu-system-x86_6[4] .*-name $tag-" >/dev/null || {
		gone=0
		break
	}
	sleep 0.1
done
check "SIGKILL: QEMU dies with its supervisor" test $gone = 0
"$VB" runs >/dev/null 2>&1
check "SIGKILL: the next start leaves nothing of the run" \
	bash -c "[ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ ! -e '$VIRTBENCH_STATE_DIR/$tag' ]"
# Should a QEMU of this run have survived (the check above failed), it goes now.
for p in $(pgrep -f "qemu-system-x86_6[4] .*-name $tag-"); do kill -KILL "$p"; done

# The dom0 baseline: the same nested machine with the agent in dom0 itself.
# With xen-dom0 first it is the baseline: the domU's ratios are against it.
export VIRTBENCH_DB="$TMP/dom0.db"
timeout 600 "$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p xen-dom0,xen -w cpu.primes \
	--set limit=100000 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || diag "$(tail -3 "$TMP/err")"
check "xen-dom0,xen: the domU's elapsed has a ratio to dom0's, both nested" \
	bash -c "[ $rc = 0 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT p.emulated || ' ' || (x.ratio > 0) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'xen' AND x.metric = 'elapsed'\")\" = '2 1' ]"
tag=$(sql 'SELECT tag FROM runs')
check "xen-dom0: nothing of the run remains" \
	bash -c "! pgrep -f 'qemu-system-x86_6[4] .*-name $tag-' >/dev/null && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 -maxdepth 1 | wc -l) = 0 ]"

# w3 in the domU: QEMU's tap on the run's bridge is dom0's eth0, bridged
# (xenbr0) to the domU's vif; the peer listens on the run's bridge.
export VIRTBENCH_DB="$TMP/net.db"
timeout 600 "$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p xen -w net.rr --set count=100 \
	>/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || diag "$(tail -3 "$TMP/err")"
check "xen: net.rr runs in the domU over its vif, dom0's bridge and the run's bridge" \
	bash -c "[ $rc = 0 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT count(*) FROM summaries WHERE metric = 'p50' AND mean > 0\")\" = 1 ]"
tag=$(sql 'SELECT tag FROM runs')
check "xen with a network: no tap, bridge, QEMU or work directory of the run remains" \
	bash -c "! ip -o link | grep -q ' $tag' && ! pgrep -f 'qemu-system-x86_6[4] .*-name $tag-' >/dev/null && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 -maxdepth 1 | wc -l) = 0 ]"

# The Debian root in the domU (docs/images.md): the run's image is the tree's
# ext4 disk; the nested machine gets a qcow2 overlay of it per slot (serials
# vbroot, vbroot1..3), dom0 gives slot K's to its domU as xvdb, and the
# domU's /init switch_roots into it. One application workload runs there.
debian_skip() {
	for i in $(seq $((_n + 1)) $N); do skip "xen debian $i" "$1"; done
	exit 0
}
command -v debootstrap >/dev/null || debian_skip "debootstrap is not installed"
export VIRTBENCH_DB="$TMP/debian.db"
debian_plan debian:less,python3 || debian_skip "$plan_why"
sum_before=
[ -f "$base" ] && sum_before=$(sha256sum <"$base")
t0=$(date +%s)
# app.python needs python3: the image is debian:less,python3.
timeout -k 30 900 nice -n 10 "$VB" run -q -p host,xen --image debian:less -w app.python \
	--profile quick --runs 2 --min-runs 2 --warmup 0 >"$TMP/out" 2>"$TMP/err" &
pid=$!
overlays=
for _ in $(seq 9000); do
	overlays=$(find "$VIRTBENCH_STATE_DIR" -name 'root*.qcow2' 2>/dev/null | sort)
	[ "$(echo "$overlays" | grep -c .)" = 4 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
first=$(echo "$overlays" | head -1)
[ -n "$first" ] && qemu-img info -U --output=json "$first" >"$TMP/info" 2>&1
wait $pid
rc=$?
diag "run -p host,xen --image debian:less -w app.python: exit $rc in $(($(date +%s) - t0)) s (tree and disk built or cached)"
check "host + xen with the Debian root and app.python exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(grep -v 'image (' "$TMP/err" | tail -8)"
check "while it ran: four qcow2 overlays (root.qcow2, root1..3.qcow2), one per slot, in the machine's work directory" \
	bash -c "[ \"\$(echo '$overlays' | sed 's|.*/||' | tr '\n' ' ')\" = 'root.qcow2 root1.qcow2 root2.qcow2 root3.qcow2 ' ] &&
		case '$first' in '$VIRTBENCH_STATE_DIR'/vb-*/vb-*-1/root.qcow2) true ;; *) false ;; esac &&
		grep -q '\"format\": \"qcow2\"' '$TMP/info' && grep -q '\"backing-filename\": \"$base\"' '$TMP/info'"
[ -s "$TMP/info" ] && diag "$(grep -E '"(backing-filename|backing-filename-format)"' "$TMP/info")"
spec() { sql "SELECT json_extract(spec, '\$.guest.$1') FROM platforms WHERE name = 'xen'"; }
check "the xen guest record: root kind debian, the tree's key, packages [\"less\",\"python3\"]" \
	bash -c "[ '$(spec root.kind)' = debian ] && [ '$(spec root.key)' = '$key' ] &&
		[ '$(spec root.packages)' = '[\"less\",\"python3\"]' ]"
release=$(spec root_release)
diag "the domU's root said: debian $release; root_disk: $(spec root_disk)"
check "from inside the domU, the root said it is Debian $release (the host's major version)" \
	test "${release%%.*}" = "$(cut -d. -f1 /etc/debian_version)"
mean() { sql "SELECT x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = '$1' AND x.metric = 'total'"; }
diag "app.python total: host $(mean host) s, xen $(mean xen) s"
check "app.python ran in the domU: 2 samples, a positive total with a ratio to host" \
	test "$(sql "SELECT count(*) || ' ' || (min(v.value) > 0) || ' ' || (SELECT x.ratio > 0 FROM summaries x JOIN platforms q ON q.id = x.platform_id WHERE q.name = 'xen' AND x.metric = 'total') FROM samples s JOIN platforms p ON p.id = s.platform_id JOIN sample_values v ON v.sample_id = s.id WHERE p.name = 'xen' AND s.ok AND NOT s.warmup AND v.metric = 'total'")" = "2 1 1"
tag=$(sql "SELECT tag FROM runs")
check "Debian root: no overlay, QEMU process, cgroup or work directory of the run remains" \
	bash -c "[ ! -e '$first' ] && ! pgrep -f 'qemu-system-x86_6[4] .*-name $tag-' >/dev/null &&
		[ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"
sum_after=$(sha256sum <"$base" 2>/dev/null)
[ -z "$sum_before" ] && sum_before=$sum_after
check "the cached base is unchanged by the domU (sha256)" bash -c "[ -n '$sum_after' ] && [ '$sum_before' = '$sum_after' ]"

# Ctrl-C while a domU runs on its Debian root: exit 130, the overlays and the
# machine go with the run.
export VIRTBENCH_DB="$TMP/debian-int.db"
nice -n 10 "$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p xen --image debian:less \
	-w cpu.primes --set limit=100000 >/dev/null 2>"$TMP/err" &
pid=$!
started=0
wait_first_sample 300 && started=1
overlay=$(find "$VIRTBENCH_STATE_DIR" -name root.qcow2 2>/dev/null | head -1)
tag=$(sql "SELECT tag FROM runs")
kill -INT $pid
rc=0
timeout 60 tail --pid=$pid -f /dev/null
wait $pid
rc=$?
check "Ctrl-C with the domU on its Debian root: exit 130 after a sample" \
	bash -c "[ $started = 1 ] && [ -n '$overlay' ] && [ $rc = 130 ]"
[ $rc = 130 ] || diag "exit $rc: $(tail -3 "$TMP/err")"
check "... its overlays, QEMU, cgroup and work directory are gone" \
	bash -c "[ ! -e '$overlay' ] && ! pgrep -f 'qemu-system-x86_6[4] .*-name $tag-' >/dev/null &&
		[ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"

# SIGKILL while a domU runs on its Debian root: QEMU dies with virtbench, and
# the next start sweeps the run's work directory with the overlays in it.
export VIRTBENCH_DB="$TMP/debian-kill.db"
nice -n 10 "$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p xen --image debian:less \
	-w cpu.primes --set limit=100000 >/dev/null 2>&1 &
pid=$!
started=0
wait_first_sample 300 && started=1
overlay=$(find "$VIRTBENCH_STATE_DIR" -name root.qcow2 2>/dev/null | head -1)
tag=$(sql "SELECT tag FROM runs")
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 100); do
	pgrep -f "qemu-system-x86_6[4] .*-name $tag-" >/dev/null || break
	sleep 0.1
done
check "SIGKILL with the domU on its Debian root: QEMU dies with virtbench, the overlays stay until the sweep" \
	bash -c "[ $started = 1 ] && [ -e '$overlay' ] && ! pgrep -f 'qemu-system-x86_6[4] .*-name $tag-' >/dev/null"
"$VB" runs >/dev/null 2>&1
check "... and the next start removes them with the run's work directory and cgroups" \
	bash -c "[ ! -e '$overlay' ] && [ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"
for p in $(pgrep -f "qemu-system-x86_6[4] .*-name $tag-"); do kill -KILL "$p"; done
