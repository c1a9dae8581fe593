#!/bin/bash
# `virtbench ops`: lifecycle timings of real guests (container; qemu-tcg
# with fewer rounds, it is slow), stored as samples; bad input refused;
# nothing of the run's guests remains, also after Ctrl-C.
. "$(dirname "$0")/lib.bash"
plan 14
unset VIRTBENCH_CACHE_DIR
if [ "$(id -u)" != 0 ]; then
	for i in $(seq 14); do skip "ops $i" "needs root (namespaces, cgroups)"; done
	exit 0
fi
nothing_left() {
	local tag=$1
	! pgrep -f "qemu-system-x86_6[4] .*-name $tag" >/dev/null &&
		! ip -o link | grep -q " $tag" &&
		[ -z "$(vb_cgroup_leftovers "$tag")" ] &&
		[ "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 | wc -l)" = 0 ]
}
metric() { # platform metric -> the stored mean, or empty
	sql "SELECT x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = '$1' AND x.metric = '$2'"
}

"$VB" ops -q -p container --rounds 3 --rate-guests 3 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "ops -p container exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
check "the run is stored as experiment ops, complete" \
	test "$(sql "SELECT experiment || ' ' || status FROM runs")" = "ops complete"
check "3 measured lifecycles (+1 warm-up) and 3 start-rate samples" \
	test "$(sql "SELECT sum(warmup = 0 AND w.name = 'ops.lifecycle') || ' ' || sum(warmup) || ' ' || sum(w.name = 'ops.start_rate') FROM samples s JOIN workloads w ON w.id = s.workload_id WHERE s.ok")" = "3 1 3"
all=1
for m in provision_s boot_s reboot_s stop_s clone_s destroy_s footprint_bytes; do
	v=$(metric container $m)
	awk -v v="$v" 'BEGIN { exit !(v > 0) }' || { all=0; diag "container $m = '$v'"; }
done
check "every lifecycle metric of the container is measured and positive" test $all = 1
check "the start rates (one after another, and all at once) are positive" \
	awk -v v="$(metric container guests_per_s)" -v w="$(metric container parallel_guests_per_s)" 'BEGIN { exit !(v > 0 && w > 0) }'
check "the table shows the platform column and the steps" \
	bash -c "grep -q 'container' '$TMP/out' && grep -q 'ops.lifecycle boot_s' '$TMP/out' && grep -q 'guests_per_s' '$TMP/out'"
check "nothing of the run remains" nothing_left "$(sql 'SELECT tag FROM runs')"

"$VB" ops -q -p host >/dev/null 2>"$TMP/err"
check "host has no lifecycle: exit 2 with a reason" bash -c "[ $? = 2 ] && grep -q 'no guest' '$TMP/err'"
"$VB" ops -q -p nosuch >/dev/null 2>&1
check "unknown platform: exit 2" test $? = 2
"$VB" ops -q -p container --rounds 0 >/dev/null 2>&1
check "--rounds 0: exit 2" test $? = 2

# Ctrl-C in the middle: the run keeps what it measured, marked incomplete.
export VIRTBENCH_DB="$TMP/int.db"
"$VB" ops -q -p container --rounds 10000 --rate-guests 0 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
	[ "$(sql 'SELECT count(*) FROM samples WHERE warmup = 0' 2>/dev/null)" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: exit 130, run incomplete with its samples" \
	bash -c "[ $rc = 130 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT status FROM runs\")\" = incomplete ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' 'SELECT count(*) >= 2 FROM samples WHERE ok')\" = 1 ]"
check "SIGINT: nothing of the run remains" nothing_left "$(sql 'SELECT tag FROM runs')"

# qemu-tcg: one lifecycle (boot and reboot under emulation take seconds).
export VIRTBENCH_DB="$TMP/qemu.db"
if command -v qemu-system-x86_64 >/dev/null; then
	"$VB" ops -q -p qemu-tcg --rounds 1 --warmup 0 --rate-guests 0 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
	check "qemu-tcg: boot, reboot and footprint measured, labelled emulated" \
		bash -c "[ $rc = 0 ] && grep -q 'qemu-tcg (emulated)' '$TMP/out' && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT count(*) FROM summaries WHERE metric IN ('boot_s','reboot_s','footprint_bytes') AND mean > 0\")\" = 3 ]"
	check "qemu-tcg: nothing of the run remains" nothing_left "$(sql 'SELECT tag FROM runs')"
else
	not_ok "qemu-tcg ops: qemu-system-x86_64 is not installed"
	not_ok "qemu-tcg ops: nothing to check"
fi
