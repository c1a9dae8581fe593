#!/bin/bash
# The Debian root on qemu-tcg (docs/images.md): a workload that needs a
# package makes the run boot debian:<package> by itself; the guest boots the
# tree's ext4 disk through a qcow2 overlay of its own and says from inside
# that it is Debian; the overlay goes with the guest, the cached base never
# changes; --image minimal with that workload is refused; ops clones such a
# guest; a disk build killed with SIGKILL is swept at the next start.
. "$(dirname "$0")/lib.bash"
N=23
plan $N
# The kernel, initramfs, Debian tree and its disk are cached across tests
# (the tree takes a minute of debootstrap): the shared cache, as qemu.sh.
unset VIRTBENCH_CACHE_DIR
cache=/var/cache/virtbench
skip_all() {
	for i in $(seq $((_n + 1)) $N); do skip "qemu debian $i" "$1"; done
	exit 0
}
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root (QEMU's cgroup, debootstrap)"
command -v debootstrap >/dev/null || skip_all "debootstrap is not installed"
"$VB" list platforms | grep -qE '^qemu-tcg +available' || skip_all "qemu-tcg is not available here"

debian_plan debian:less || skip_all "$plan_why"
# cpu.primes "needs" less here: how the tests give a workload packages.
export VIRTBENCH_TEST_PACKAGES="cpu.primes=less"

"$VB" run -q -p qemu-tcg --image minimal -w cpu.primes >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--image minimal with a workload that needs packages: exit 2" test $rc = 2
check "... the reason names the workload and its packages" \
	grep -q "image minimal: workload cpu.primes needs the Debian packages less" "$TMP/err"
check "... and nothing was stored" bash -c "[ ! -e '$VIRTBENCH_DB' ] || [ \"\$(sqlite3 '$VIRTBENCH_DB' 'SELECT count(*) FROM runs')\" = 0 ]"
"$VB" run -q -p qemu-tcg --image "$TMP" -w mem.memcpy >/dev/null 2>"$TMP/err"
rc=$?
check "a directory image on a VM platform: exit 2, with the reason" \
	bash -c "[ $rc = 2 ] && grep -q 'platform qemu-tcg boots only the minimal image or debian' '$TMP/err'"
"$VB" run -q -p xen-dom0 --image debian:less -w mem.memcpy >/dev/null 2>"$TMP/err"
rc=$?
check "a Debian image on xen-dom0 (dom0 runs in its initramfs): exit 2, with the reason" \
	bash -c "[ $rc = 2 ] && grep -q 'platform xen-dom0 boots only the minimal image' '$TMP/err'"

# The run: no --image, the workload's package chooses debian:less. In the
# background, to look at the guest's overlay while it runs.
sum_before=
[ -f "$base" ] && sum_before=$(sha256sum <"$base")
t0=$(date +%s.%N)
"$VB" run -q --runs 3 --min-runs 3 --warmup 0 -p host,qemu-tcg -w cpu.primes --set limit=100000 \
	>"$TMP/out" 2>"$TMP/err" &
pid=$!
overlay=
for _ in $(seq 1800); do
	overlay=$(find "$VIRTBENCH_STATE_DIR" -name root.qcow2 2>/dev/null | head -1)
	[ -n "$overlay" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
[ -n "$overlay" ] && qemu-img info -U --output=json "$overlay" >"$TMP/info" 2>&1
guestdir=$(dirname "$overlay" 2>/dev/null)
wait $pid
rc=$?
t1=$(date +%s.%N)
diag "host + qemu-tcg on the Debian root took $(echo "$t1 - $t0" | bc) s (tree and disk built or cached)"
check "run -p host,qemu-tcg with the packaged workload exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -8 "$TMP/err")"
check "the image was the tree's disk: built or cached at the planned place" \
	bash -c "[ -d '$tree' ] && [ -f '$base' ]"
diag "$(ls -ls "$base" 2>&1)"
check "while it ran: a qcow2 overlay in the guest's own work directory" \
	bash -c "[ -n '$overlay' ] && case '$guestdir' in '$VIRTBENCH_STATE_DIR'/vb-*/vb-*-1) true ;; *) false ;; esac &&
		grep -q '\"format\": \"qcow2\"' '$TMP/info'"
check "... over the cached base, raw" \
	bash -c "grep -q '\"backing-filename\": \"$base\"' '$TMP/info' &&
		grep -q '\"backing-filename-format\": \"raw\"' '$TMP/info'"
[ -s "$TMP/info" ] && diag "$(grep -E '"(format|backing-filename|backing-filename-format|virtual-size)"' "$TMP/info")"
spec() { sql "SELECT json_extract(spec, '\$.guest.$1') FROM platforms WHERE name = 'qemu-tcg'"; }
check "the guest record: root kind debian, the tree's key, packages [\"less\"]" \
	bash -c "[ '$(spec root.kind)' = debian ] && [ '$(spec root.key)' = '$key' ] &&
		[ '$(spec root.packages)' = '[\"less\"]' ]"
release=$(spec root_release)
check "from inside the guest, the root said it is Debian $release (the host's major version)" \
	test "${release%%.*}" = "$(cut -d. -f1 /etc/debian_version)"
check "cpu.primes on qemu-tcg has a ratio to host" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'qemu-tcg' AND x.ratio > 0")" = 2
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "nothing of the run is left: overlay, work directory, QEMU, cgroups" \
	bash -c "[ ! -e '$overlay' ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ] &&
		! pgrep -f 'qemu-system-x86_6[4] .*-name $tag' >/dev/null && [ -z \"\$(vb_cgroup_leftovers $tag)\" ]"
sum_after=$(sha256sum <"$base")
[ -z "$sum_before" ] && sum_before=$sum_after
check "the base is unchanged by the guest (sha256)" test "$sum_before" = "$sum_after"

# SIGKILL mid-run: the guest's overlay goes with the dead run's work
# directory at the next start.
export VIRTBENCH_DB="$TMP/killrun.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p qemu-tcg -w cpu.primes --set limit=100000 \
	>/dev/null 2>&1 &
pid=$!
wait_first_sample 180
killed=$(find "$VIRTBENCH_STATE_DIR" -name root.qcow2 2>/dev/null | head -1)
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 100); do pgrep -f "qemu-system-x86_6[4] .*-name $(sql 'SELECT tag FROM runs')" >/dev/null || break; sleep 0.1; done
"$VB" runs >/dev/null 2>&1
check "SIGKILL mid-run: the next start removes the guest's overlay with its work directory" \
	bash -c "[ -n '$killed' ] && [ ! -e '$killed' ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"

# ops: provision and boot with this root, and a clone of such a guest.
export VIRTBENCH_DB="$TMP/ops.db"
"$VB" ops -p qemu-tcg --image debian:less --rounds 1 --warmup 0 --rate-guests 0 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "ops -p qemu-tcg --image debian:less exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -8 "$TMP/err")"
diag "$(grep -E 'boot_s|image' "$TMP/out")"
check "ops: the clone of a Debian-root guest booted (clone_boot_s), after boot and reboot" \
	bash -c "grep -qE 'ops.lifecycle clone_boot_s +[0-9.]+ s' '$TMP/out' && grep -qE 'ops.lifecycle reboot_s' '$TMP/out'"
check "ops: the image was taken from the cache, and says so (image_built 0)" \
	grep -qE 'ops.image image_built +0 built' "$TMP/out"
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "ops: nothing left (overlays, bases of the clone, work directories, QEMU)" \
	bash -c "[ -n '$tag' ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ] &&
		! pgrep -f 'qemu-system-x86_6[4] .*-name $tag' >/dev/null && [ -z \"\$(vb_cgroup_leftovers $tag)\" ]"
check "... and the base is still unchanged" test "$(sha256sum <"$base")" = "$sum_before"

# Disk builds interrupted: a private cache whose tree is the shared one's,
# so the disk is built. Ctrl-C (to the process group, as a terminal sends
# it): exit 130 and nothing left.
export VIRTBENCH_CACHE_DIR="$TMP/cache"
mkdir -p "$VIRTBENCH_CACHE_DIR/images"
chmod 755 "$TMP" "$VIRTBENCH_CACHE_DIR" "$VIRTBENCH_CACHE_DIR/images"
ln -s "$tree" "$VIRTBENCH_CACHE_DIR/images/$key"
export VIRTBENCH_DB="$TMP/kill.db"
setsid "$VB" run -q -p qemu-tcg --image debian:less -w cpu.primes >/dev/null 2>"$TMP/err" &
pid=$!
for _ in $(seq 600); do
	ls "$VIRTBENCH_CACHE_DIR/images/.build-disk-$pid.img" >/dev/null 2>&1 && break
	sleep 0.05
done
kill -INT -- -$pid
wait $pid
rc=$?
check "Ctrl-C mid disk build: exit 130, no disk, no temporary file, no mke2fs" \
	bash -c "[ $rc = 130 ] && [ \"\$(ls -A '$VIRTBENCH_CACHE_DIR/images')\" = '$key' ] &&
		! pgrep -f '[m]ke2fs .*$VIRTBENCH_CACHE_DIR' >/dev/null"
[ $rc = 130 ] || diag "$(cat "$TMP/err")"
# SIGKILL: its temporary file is swept by the next start.
"$VB" run -q -p qemu-tcg --image debian:less -w cpu.primes >/dev/null 2>&1 &
pid=$!
tmpimg=
for _ in $(seq 600); do
	tmpimg=$(ls "$VIRTBENCH_CACHE_DIR/images/.build-disk-$pid.img" 2>/dev/null)
	[ -n "$tmpimg" ] && break
	sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null
check "SIGKILL mid-build: the build's temporary disk is left, no disk in place" \
	bash -c "[ -n '$tmpimg' ] && [ -e '$tmpimg' ] && [ ! -e '$VIRTBENCH_CACHE_DIR/images/$key.ext4-1.img' ]"
for _ in $(seq 50); do pgrep -f "mke2fs .*$VIRTBENCH_CACHE_DIR" >/dev/null || break; sleep 0.1; done
"$VB" runs >/dev/null 2>"$TMP/err"
check "... the next start removes it and says so" \
	bash -c "[ ! -e '$tmpimg' ] && grep -q 'swept what dead runs left: 1 work directory or image build' '$TMP/err'"
if [ -e "$tmpimg" ]; then diag "$(cat "$TMP/err")"; fi
