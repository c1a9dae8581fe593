#!/bin/bash
# A container's data disk (docs/container.md, "The data disk: /scratch"):
# by default a volume, <run work dir>/<guest>/volume bound on /scratch
# (nosuid, nodev), on the host platform's filesystem; --container-disk
# overlay keeps /scratch in the overlay layer and names the platform
# container[disk=overlay]. Bad values, the option without a container
# platform, --userns ownership, the disk bound over the volume, a hostile
# guest's symlinks in its volume, SIGKILL + sweep, and nothing left behind.
. "$(dirname "$0")/lib.bash"
plan 22
need_container 22 "container disk"
MiB=$((1 << 20))
tags=()

# guest_dir: the guest directory (<state>/<tag>/<tag>-0) of the one
# `container run` going, once it exists (at most 10 s).
guest_dir() {
	local d
	for _ in $(seq 100); do
		for d in "$VIRTBENCH_STATE_DIR"/vb-*/vb-*-0; do
			[ -d "$d" ] && { echo "$d"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# The default, seen from inside.
"$VB" container run -- /bin/sh -c \
	'stat -c %d / /scratch | tr "\n" " "; echo; grep " /scratch " /proc/self/mountinfo; rmdir /scratch 2>&1; mv /scratch /s2 2>&1; echo done' \
	>"$TMP/inside" 2>&1
rc=$?
devs=$(sed -n 1p "$TMP/inside")
check "default: /scratch is another filesystem than / inside (st_dev $devs)" \
	bash -c "[ $rc = 0 ] && set -- $devs && [ \$# = 2 ] && [ \"\$1\" != \"\$2\" ]"
check "default: mountinfo shows a mount on /scratch, nosuid and nodev" \
	grep -qE ' /scratch [^ ]*nosuid,nodev' "$TMP/inside"
check "default: the guest can neither remove nor rename its volume (busy mount point)" \
	bash -c "[ \$(grep -c 'busy' '$TMP/inside') = 2 ] && grep -q '^done' '$TMP/inside'"
[ $rc = 0 ] || diag "$(cat "$TMP/inside")"

# Where a file written to /scratch lands on the host.
"$VB" container run -- /bin/sh -c 'echo marker >/scratch/m; sleep 3' >/dev/null 2>&1 &
pid=$!
d=$(guest_dir)
for _ in $(seq 50); do [ -f "$d/volume/m" ] && break; sleep 0.1; done
check "default: a file written to /scratch is in <guest>/volume, not in the upper layer" \
	bash -c "[ \"\$(cat '$d/volume/m' 2>/dev/null)\" = marker ] && [ ! -e '$d/upper/scratch/m' ]"
check "default: the volume is a plain directory beside the layer, on the same filesystem as the run's work directory" \
	bash -c "[ -d '$d/volume' ] && [ ! -L '$d/volume' ] && [ \$(stat -c %d '$d/volume') = \$(stat -c %d '$VIRTBENCH_STATE_DIR') ] && [ \$(stat -c %a '$d') = 700 ]"
wait $pid
"$VB" container run --container-disk overlay -- /bin/sh -c 'echo marker >/scratch/m; sleep 3' >/dev/null 2>&1 &
pid=$!
d=$(guest_dir)
for _ in $(seq 50); do [ -f "$d/upper/scratch/m" ] && break; sleep 0.1; done
check "overlay: /scratch is in the upper layer (no volume), as before" \
	bash -c "[ \"\$(cat '$d/upper/scratch/m' 2>/dev/null)\" = marker ] && [ ! -e '$d/volume' ]"
wait $pid

# A disk workload, by default and with --container-disk overlay: the
# peak usage of the volume and of the upper layer while it runs, and the
# stored platform name and record.
# sampler: peaks of <guest>/volume and <guest>/upper into $TMP/peak until $TMP/stop.
sampler() {
	local pv=0 pu=0 v u d
	while [ ! -e "$TMP/stop" ]; do
		for d in "$VIRTBENCH_STATE_DIR"/vb-*/vb-*-*; do
			[ -d "$d/upper" ] || continue
			v=$(du -s -B1 "$d/volume" 2>/dev/null | awk '{print $1 + 0}')
			u=$(du -s -B1 "$d/upper" 2>/dev/null | awk '{print $1 + 0}')
			[ "${v:-0}" -gt "$pv" ] && pv=$v
			[ "${u:-0}" -gt "$pu" ] && pu=$u
		done
		sleep 0.02
	done
	echo "$pv $pu" >"$TMP/peak"
}
disk_run() {
	rm -f "$TMP/stop"
	sampler &
	local s=$!
	"$VB" run -q -p host,container -w disk.copy --set size=32M --runs 2 --min-runs 2 --warmup 0 "$@" \
		>"$TMP/out" 2>"$TMP/err"
	local rc=$?
	touch "$TMP/stop"
	wait $s
	return $rc
}
export VIRTBENCH_DB="$TMP/volume.db"
disk_run
rc=$?
read -r pv pu <"$TMP/peak"
check "default: disk.copy's files go to the volume (peak $pv bytes), not the upper layer (peak $pu)" \
	bash -c "[ $rc = 0 ] && [ $pv -ge $((32 * MiB)) ] && [ $pu -lt $MiB ]"
[ $rc = 0 ] || diag "$(tail -3 "$TMP/err")"
check "default: stored as 'container', its record says scratch = volume" \
	test "$(sql "SELECT group_concat(name || ':' || coalesce(json_extract(spec, '$.guest.scratch'), '-'), ' ') FROM platforms")" = "host:- container:volume"
tags+=("$(sql "SELECT tag FROM runs")")
export VIRTBENCH_DB="$TMP/overlay.db"
disk_run --container-disk overlay
rc=$?
read -r pv pu <"$TMP/peak"
check "overlay: disk.copy's files go to the upper layer (peak $pu bytes), there is no volume (peak $pv)" \
	bash -c "[ $rc = 0 ] && [ $pu -ge $((32 * MiB)) ] && [ $pv = 0 ]"
check "overlay: stored as 'container[disk=overlay]', its record says scratch = overlay" \
	test "$(sql "SELECT group_concat(name || ':' || coalesce(json_extract(spec, '$.guest.scratch'), '-'), ' ') FROM platforms")" = "host:- container[disk=overlay]:overlay"
tags+=("$(sql "SELECT tag FROM runs")")

# Bad input, nothing stored.
export VIRTBENCH_DB="$TMP/bad.db"
"$VB" run -q -p container -w cpu.primes --container-disk xfs >/dev/null 2>"$TMP/err"
rc=$?
check "--container-disk xfs: exit 2, one line naming the choices, nothing stored" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'volume or overlay' '$TMP/err' && [ ! -e '$VIRTBENCH_DB' ]"
"$VB" run -q -p host -w cpu.primes --container-disk overlay >/dev/null 2>"$TMP/err"
rc=$?
check "--container-disk without a container platform: exit 2, one line saying so, nothing stored" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'container' '$TMP/err' && [ ! -e '$VIRTBENCH_DB' ]"
"$VB" container run --container-disk '' -- /bin/true >/dev/null 2>"$TMP/err"
rc=$?
check "container run --container-disk '': exit 2, one line" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ]"

# With a user namespace the volume is the mapped root's.
"$VB" container run --userns -- /bin/sh -c 'touch /scratch/u; sleep 3' >/dev/null 2>&1 &
pid=$!
d=$(guest_dir)
for _ in $(seq 50); do [ -f "$d/volume/u" ] && break; sleep 0.1; done
own=$(stat -c %u:%g "$d/volume" "$d/volume/u" 2>/dev/null | tr '\n' ' ')
check "--userns: the volume and what the guest writes there belong to the mapped root ($own)" \
	test "$own" = "1879048192:1879048192 1879048192:1879048192 "
wait $pid

# The disk bound counts the volume.
"$VB" container run --disk 64M -- /bin/sh -c \
	'for i in 1 2 3 4 5 6 7 8 9 10; do dd if=/dev/zero of=/scratch/f$i bs=1M count=30 2>/dev/null; done; echo survived' \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
check "bound: many files in the volume, the container is stopped at its bound" \
	bash -c "[ $rc != 0 ] && ! grep -q survived '$TMP/out' && grep -q 'went over its bound: [0-9]* bytes in use, bound 67108864 bytes' '$TMP/err'"
export VIRTBENCH_DB="$TMP/bound.db"
"$VB" run -q -p container -w disk.copy --set size=300M --disk 64M --runs 1 --min-runs 1 --warmup 0 \
	>/dev/null 2>"$TMP/err"
rc=$?
check "bound: a disk workload past --disk in the volume fails its sample naming the bound" \
	bash -c "[ $rc = 1 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT count(*) FROM samples WHERE ok = 0 AND error LIKE '%disk%bound%67108864 bytes%'\")\" = 1 ]"
tags+=("$(sql "SELECT tag FROM runs")")

# A hostile agent fills its volume with symlinks to host files, then
# passes its bound: emptying the volume after the stop, and removing the
# guest, must remove the links, never what they point to.
victim="$TMP/victim"
vb_victim_dir "$victim"
vb_scripted_agent "$TMP/img-links" "	ln -s '$victim' /scratch/dirlink; ln -s '$victim/one' /scratch/filelink
	mkdir -p /scratch/d/e && ln -s '$victim/sub' /scratch/d/e/sublink
	for i in 1 2 3; do dd if=/dev/zero of=/scratch/big\$i bs=1M count=40 2>/dev/null; done
	sleep 5"
export VIRTBENCH_DB="$TMP/links.db"
"$VB" run -q -p container -w cpu.primes --runs 1 --min-runs 1 --warmup 0 --disk 64M \
	--container-image "$TMP/img-links" >/dev/null 2>"$TMP/err"
check "symlinks in the volume to host files: the bound stops the guest, the host's files are untouched" \
	bash -c "grep -q 'went over its bound' '$TMP/err' && vb_victim_intact '$victim'"
[ -f "$victim/one" ] || diag "victim: $(find "$victim" | tr '\n' ' '); $(tail -2 "$TMP/err")"
tags+=("$(sql "SELECT tag FROM runs")")

# SIGKILL mid-run: the volume stays until the next start sweeps it.
export VIRTBENCH_DB="$TMP/kill.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p container -w disk.copy --set size=8M \
	>/dev/null 2>&1 &
pid=$!
wait_first_sample 60
tag=$(sql "SELECT tag FROM runs")
tags+=("$tag")
vol="$VIRTBENCH_STATE_DIR/$tag/$tag-0/volume"
check "SIGKILL: the run's volume exists while it runs" test -d "$vol"
kill -KILL $pid
wait $pid 2>/dev/null
sleep 1
check "SIGKILL: the volume is still there before the next start" test -d "$vol"
"$VB" runs >/dev/null 2>"$TMP/err"
check "SIGKILL: the next start sweeps the run's directory, volume and all, and its cgroups" \
	bash -c "[ ! -e '$VIRTBENCH_STATE_DIR/$tag' ] && [ -z \"\$(vb_cgroup_leftovers $tag)\" ] && ! grep -q '$tag' /proc/self/mountinfo"
[ ! -e "$VIRTBENCH_STATE_DIR/$tag" ] || diag "left: $(find "$VIRTBENCH_STATE_DIR/$tag" | head -5)"

# Nothing left.
left=$(for t in "${tags[@]}"; do [ -n "$t" ] && vb_cgroup_leftovers "$t"; done)
check "nothing of these runs is left in any cgroup hierarchy" test -z "$left"
[ -z "$left" ] || diag "$left"
check "the state directory holds no run directory (volumes included) and no mount is left" \
	bash -c "[ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 -maxdepth 1 -name 'vb-*' -type d | wc -l) = 0 ] && ! grep -q '$VIRTBENCH_STATE_DIR' /proc/self/mountinfo"
