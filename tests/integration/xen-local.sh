#!/bin/bash
# xen-local for real: virtbench run inside a real Xen dom0, driving that
# dom0's own xl. The only dom0 here is virtbench's nested one (Xen 4.17 in
# QEMU/TCG, xen-dom0's machine): a test disk with the static virtbench and
# run.sh is attached to it (VIRTBENCH_XEN_DOM0_TEST), dom0's /init runs
# run.sh before its agent starts, and the outputs come back on that disk
# (read here with debugfs). In dom0: detection, a run with cpu.primes, ops
# (boot, reboot, clone), nothing left in `xl list`, and a SIGKILL of
# virtbench and its xl loop swept by the next start. Skipped only where
# Debian's Xen packages cannot be fetched (or not as root), as xen.sh.
# With the debian:less image's disk (cached here, or built with a short
# qemu-tcg run), dom0 gets it in its cache too: a run and ops on that root.
# About 7 minutes: dom0 boots once, each domU boot takes 15-40 s.
. "$(dirname "$0")/lib.bash"
N=16
plan $N
unset VIRTBENCH_CACHE_DIR
cache=/var/cache/virtbench
reason=""
[ "$(id -u)" != 0 ] && reason="needs root (QEMU's cgroup)"
if [ -z "$reason" ] && ! ls "$cache"/xen/*/xen >/dev/null 2>&1; then
	mkdir -p "$TMP/debs"
	(cd "$TMP/debs" && timeout 120 apt-get download xen-hypervisor-4.17-amd64 >/dev/null 2>&1) ||
		reason="Debian's Xen packages are unreachable (apt-get download xen-hypervisor-4.17-amd64 failed)"
fi
[ -z "$reason" ] && ! command -v debugfs >/dev/null && reason="debugfs is not installed (e2fsprogs)"
if [ -n "$reason" ]; then
	for i in $(seq $N); do skip "xen-local $i" "$reason"; done
	exit 0
fi

"$VB" list platforms >"$TMP/p"
check "xen-local is offered, and refused here (no Xen dom0) with what was found" \
	grep -qE '^xen-local +unavailable: this host is no Xen dom0' "$TMP/p"

# What dom0 runs: busybox sh, dom0's PATH (xl, xenstore, mkfs.ext4), the
# domU's kernel and initramfs from the boot disk (/boot), the agent there.
mkdir -p "$TMP/t"
cp "$VB" "$TMP/t/virtbench"
cat >"$TMP/t/run.sh" <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export VIRTBENCH_STATE_DIR=/test/state VIRTBENCH_CACHE_DIR=/test/cache
export VIRTBENCH_AGENT=/boot/virtbench-agent VIRTBENCH_XEN_DOMU=/boot
V=/test/virtbench
up() { cut -d' ' -f1 /proc/uptime; }
echo "model: $(grep -m1 'model name' /proc/cpuinfo)"
echo "capabilities: $(cat /proc/xen/capabilities)"
$V list platforms >/test/platforms.txt 2>&1
t0=$(up)
VIRTBENCH_DB=/test/run.db $V run -q -p xen-local -w cpu.primes --profile quick --set limit=100000 \
	--runs 2 --min-runs 2 --warmup 0 >/test/run.out 2>/test/run.err
echo "run: exit $? from $t0 to $(up)"
xl list >/test/xl-run.txt 2>&1
t0=$(up)
VIRTBENCH_DB=/test/ops.db $V ops -q -p xen-local --rounds 1 --warmup 0 --rate-guests 0 \
	--memory 256MiB >/test/ops.out 2>/test/ops.err
echo "ops: exit $? from $t0 to $(up)"
xl list >/test/xl-ops.txt 2>&1
# The Debian root, when the host put its disk in /test/cache: the host's
# release and sources here, so that dom0's plan names the same tree.
if [ -d /test/etc ]; then
	cp -a /test/etc/. /etc/
	t0=$(up)
	VIRTBENCH_DB=/test/deb.db $V run -q -p xen-local --image debian:less -w cpu.primes \
		--set limit=100000 --runs 2 --min-runs 2 --warmup 0 >/test/deb.out 2>/test/deb.err
	echo "debian run: exit $? from $t0 to $(up)"
	t0=$(up)
	VIRTBENCH_DB=/test/deb-ops.db $V ops -q -p xen-local --image debian:less --rounds 1 \
		--warmup 0 --rate-guests 0 --memory 256MiB >/test/deb-ops.out 2>/test/deb-ops.err
	echo "debian ops: exit $? from $t0 to $(up)"
	xl list >/test/xl-deb.txt 2>&1
	echo "entries: $(find /test/state -mindepth 1 | wc -l)" >/test/state-deb.txt
fi
# SIGKILL of virtbench and of its xl loop (first, so it cannot clean up)
# while a domU runs: the domU stays until the next start sweeps it.
VIRTBENCH_DB=/test/kill.db $V run -q --runs 100000 --ci-target 0 --warmup 0 -p xen-local \
	-w cpu.primes --set limit=100000 >/dev/null 2>/test/kill.err &
pid=$!
for i in $(seq 240); do
	xl list 2>/dev/null | grep -q '^vb-' && break
	sleep 0.5
done
kids=
for p in /proc/[0-9]*; do
	[ "$(cut -d' ' -f4 $p/stat 2>/dev/null)" = "$pid" ] && kids="$kids ${p#/proc/}"
done
echo "kill: virtbench $pid, its children:$kids"
kill -9 $kids $pid
wait $pid
sleep 2
xl list >/test/xl-killed.txt 2>&1
VIRTBENCH_DB=/test/kill.db $V runs >/test/sweep.out 2>&1
xl list >/test/xl-swept.txt 2>&1
xl info >/test/xl-info.txt 2>&1
echo "done at $(up)"
EOF
# The debian:less tree's disk for dom0's cache (the tree itself is not
# needed there: its directory names it cached).
deb=""
if command -v debootstrap >/dev/null && "$VB" container image --plan debian:less >"$TMP/plan" 2>/dev/null; then
	tree=$(awk '$1 == "dir" { print $2 }' "$TMP/plan")
	deb=${tree##*/}
	base="$cache/images/$deb.ext4-1.img"
	[ -f "$base" ] || VIRTBENCH_DB="$TMP/build.db" timeout 900 nice -n 10 "$VB" run -q -p qemu-tcg \
		--image debian:less -w cpu.primes --set limit=1000 --runs 1 --min-runs 1 --warmup 0 \
		>/dev/null 2>"$TMP/build.err"
	if [ -f "$base" ]; then
		mkdir -p "$TMP/t/cache/images/$deb" "$TMP/t/etc/apt"
		cp --sparse=always "$base" "$TMP/t/cache/images/"
		cp -L /etc/os-release "$TMP/t/etc/os-release"
		cp -rL /etc/apt/sources.list* "$TMP/t/etc/apt/" 2>/dev/null
	else
		diag "no debian:less disk: $(tail -2 "$TMP/build.err" 2>/dev/null)"
		deb=""
	fi
fi
truncate -s 4G "$TMP/test.img"
mkfs.ext4 -q -F -m 0 -d "$TMP/t" "$TMP/test.img"

t0=$(date +%s)
VIRTBENCH_XEN_DOM0_TEST="$TMP/test.img" timeout -k 30 900 nice -n 5 "$VB" run -q -p xen-dom0 \
	-w cpu.primes --set limit=10000 --runs 2 --min-runs 2 --warmup 0 >"$TMP/out" 2>"$TMP/err"
rc=$?
diag "run -p xen-dom0 with the test disk: exit $rc in $(($(date +%s) - t0)) s"
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
check "the outer run (xen-dom0, the test disk attached) exits 0" test $rc = 0
got() { debugfs -R "dump /$1 $TMP/$1" "$TMP/test.img" >/dev/null 2>&1 && [ -s "$TMP/$1" ]; }
for f in run.log platforms.txt run.db ops.db kill.db run.err ops.err kill.err sweep.out \
	xl-run.txt xl-ops.txt xl-killed.txt xl-swept.txt ${deb:+deb.db deb-ops.db deb.err deb-ops.err xl-deb.txt state-deb.txt}; do
	got $f || diag "no $f on the test disk"
done
diag "$(cat "$TMP/run.log" 2>/dev/null)"
# For tests/data/xen: what dom0 printed, kept where VB_XEN_LOCAL_KEEP says.
[ -n "${VB_XEN_LOCAL_KEEP:-}" ] && got xl-info.txt && cp "$TMP"/xl-*.txt "$TMP/platforms.txt" "$VB_XEN_LOCAL_KEEP/"
diag "$(grep xen-local -A1 "$TMP/platforms.txt" 2>/dev/null)"
check "in dom0: xen-local is available, a real dom0 (control_d) and its Xen found" \
	bash -c "grep -qE '^xen-local +available' '$TMP/platforms.txt' &&
		grep -qE 'found: Xen 4\.17.* dom0 \(control_d\)' '$TMP/platforms.txt'"

export VIRTBENCH_DB="$TMP/run.db"
[ -s "$TMP/run.err" ] && diag "run.err: $(tail -3 "$TMP/run.err")"
check "in dom0: run -p xen-local stored 2 cpu.primes samples with a positive elapsed" \
	test "$(sql "SELECT count(*) FROM samples s JOIN platforms p ON p.id = s.platform_id JOIN sample_values v ON v.sample_id = s.id WHERE p.name = 'xen-local' AND s.ok AND NOT s.warmup AND v.metric = 'elapsed' AND v.value > 0")" = 2
sql "SELECT spec FROM platforms WHERE name = 'xen-local'" >"$TMP/spec"
diag "xen-local spec: $(cat "$TMP/spec")"
check "in dom0: the fingerprint says a real dom0, Xen 4.17, and the TCG CPU it found" \
	bash -c "grep -q 'real (this host' '$TMP/spec' && grep -q '\"xen\": *\"4\.17' '$TMP/spec' &&
		grep -q 'QEMU TCG' '$TMP/spec'"
check "in dom0: labelled as nested in emulation (2), not bare-metal Xen" \
	test "$(sql "SELECT emulated FROM platforms WHERE name = 'xen-local'")" = 2
diag "elapsed (s): $(sql "SELECT group_concat(round(v.value, 3), ' ') FROM sample_values v JOIN samples s ON s.id = v.sample_id WHERE v.metric = 'elapsed' AND NOT s.warmup")"
check "in dom0: nothing of the run is left in xl list" bash -c "[ -s '$TMP/xl-run.txt' ] && ! grep -q '^vb-' '$TMP/xl-run.txt'"

export VIRTBENCH_DB="$TMP/ops.db"
[ -s "$TMP/ops.err" ] && diag "ops.err: $(tail -3 "$TMP/ops.err")"
metric() { sql "SELECT x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'xen-local' AND x.metric = '$1'"; }
all=1
for m in boot_s reboot_s stop_s clone_s clone_boot_s destroy_s; do
	v=$(metric $m)
	diag "xen-local $m = $v"
	awk -v v="$v" 'BEGIN { exit !(v > 0) }' || all=0
done
check "in dom0: ops measured boot_s, reboot_s, stop_s, clone_s, clone_boot_s, destroy_s" test $all = 1
check "in dom0: ops has no dom0 boot part (a start is the domU's)" test -z "$(metric dom0_boot_s)"
check "in dom0: nothing of ops is left in xl list" bash -c "[ -s '$TMP/xl-ops.txt' ] && ! grep -q '^vb-' '$TMP/xl-ops.txt'"

diag "after SIGKILL: $(grep '^vb-' "$TMP/xl-killed.txt" 2>/dev/null)"
diag "sweep: $(cat "$TMP/sweep.out" 2>/dev/null)"
check "in dom0: SIGKILL of virtbench and its loop leaves the run's domU in xl list" \
	grep -qE '^vb-[0-9a-f]{8}-0 ' "$TMP/xl-killed.txt"
check "in dom0: the next start destroys it (xl list has no vb- domain)" \
	bash -c "[ -s '$TMP/xl-swept.txt' ] && ! grep -q '^vb-' '$TMP/xl-swept.txt'"

# The Debian root in dom0's domU: a copy of the image's disk per domU, on a
# loop device as xvdb; the clone's a copy of its source's.
if [ -z "$deb" ]; then
	for i in $(seq $((_n + 1)) $N); do skip "xen-local debian $i" "no debian:less disk here (debootstrap, the mirror)"; done
	exit 0
fi
export VIRTBENCH_DB="$TMP/deb.db"
[ -s "$TMP/deb.err" ] && diag "deb.err: $(grep -v 'image (' "$TMP/deb.err" | tail -3)"
spec() { sql "SELECT json_extract(spec, '\$.guest.$1') FROM platforms WHERE name = 'xen-local'"; }
release=$(spec root_release)
diag "xen-local's domU on the Debian root: debian $release; root_disk: $(spec root_disk)"
check "in dom0: run -p xen-local --image debian:less stored 2 cpu.primes samples" \
	test "$(sql "SELECT count(*) FROM samples s JOIN platforms p ON p.id = s.platform_id WHERE p.name = 'xen-local' AND s.ok AND NOT s.warmup")" = 2
check "in dom0: the record says root debian ($deb) and the domU's root said Debian $release from inside" \
	bash -c "[ '$(spec root.kind)' = debian ] && [ '$(spec root.key)' = '$deb' ] &&
		[ '${release%%.*}' = '$(cut -d. -f1 /etc/debian_version)' ]"
export VIRTBENCH_DB="$TMP/deb-ops.db"
[ -s "$TMP/deb-ops.err" ] && diag "deb-ops.err: $(grep -v 'image (' "$TMP/deb-ops.err" | tail -3)"
for m in provision_s boot_s reboot_s clone_s clone_boot_s; do diag "xen-local (Debian root) $m = $(metric $m)"; done
check "in dom0: ops on the Debian root booted, rebooted and booted the clone (its root a copy of the source's)" \
	awk -v b="$(metric boot_s)" -v r="$(metric reboot_s)" -v c="$(metric clone_boot_s)" \
	'BEGIN { exit !(b > 0 && r > 0 && c > 0) }'
check "in dom0: nothing of the Debian runs is left (xl list, the state directory with the root copies)" \
	bash -c "[ -s '$TMP/xl-deb.txt' ] && ! grep -q '^vb-' '$TMP/xl-deb.txt' && grep -qx 'entries: 0' '$TMP/state-deb.txt'"
