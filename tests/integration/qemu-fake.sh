#!/bin/bash
# A QEMU that dies at start, or closes the guest's channel, is a failed
# start with QEMU's own reason: never a SIGPIPE that kills virtbench, never
# a leftover. A fake QEMU (tests/data/fake-qemu) proves each path on any
# machine, whatever its KVM does: "exit" dies before any socket exists (as
# QEMU under kvm_pvm aborts), "close" takes the agent's connection and ends
# a second later, "linger" closes the channel but stays alive.
. "$(dirname "$0")/lib.bash"
plan 21
FAKE="$ROOT/tests/data/fake-qemu"
reason=""
[ "$(id -u)" != 0 ] && reason="needs root (QEMU's cgroup)"
command -v python3 >/dev/null || reason="python3 (the fake QEMU) is not installed"
command -v mkfs.ext4 >/dev/null || reason="mkfs.ext4 (the guest's scratch disk) is not installed"
if [ -n "$reason" ]; then
	for i in $(seq 21); do skip "fake qemu $i" "$reason"; done
	exit 0
fi

# fake_alive: is any fake QEMU this file started still there?
fake_alive() {
	local p
	while read -r p; do
		cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ' | grep -q fake-qemu && return 0
	done <"$TMP/pids"
	return 1
}
# nothing_left TAG: no fake QEMU alive, no cgroup, link or work directory of the run.
nothing_left() {
	local tag=$1
	[ -n "$tag" ] && ! fake_alive || return 1
	[ -z "$(find /sys/fs/cgroup -name "$tag*" 2>/dev/null)" ] &&
		! ip -o link | grep -q " $tag" &&
		[ "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" = 0 ]
}

# probe_gone: the probe's fake QEMU ran and is gone, and so is its work directory.
probe_gone() {
	[ -s "$TMP/pids" ] && ! fake_alive &&
		[ "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" = 0 ]
}

for mode in exit close linger; do
	: >"$TMP/pids"
	PATH="$FAKE:$PATH" FAKE_QEMU_MODE=$mode FAKE_QEMU_PIDS="$TMP/pids" timeout 120 \
		"$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p host,qemu-tcg -w cpu.primes \
		--set limit=100000 >/dev/null 2>"$TMP/err"
	rc=$?
	check "$mode: the run fails with exit 1 (not SIGPIPE's 141, not a hang)" test $rc = 1
	[ $rc = 1 ] || diag "exit $rc: $(tail -3 "$TMP/err")"
	check "$mode: the fake QEMU was started" test -s "$TMP/pids"
	case $mode in
	exit) want="QEMU exited at start: fake-qemu: kvm_buf_set_msrs: Assertion failed\." ;;
	close) want="QEMU exited at start: fake-qemu: the guest's channel closed" ;;
	linger) want="agent closed the channel \(waiting for hello\)" ;;
	esac
	check "$mode: the error gives QEMU's reason" grep -qE "qemu-tcg: vb-[0-9a-f]{8}-[0-9]+.*$want" "$TMP/err"
	tag=$(grep -oE 'vb-[0-9a-f]{8}' "$TMP/err" | head -1)
	check "$mode: nothing of the run remains (QEMU, cgroups, links, work directory)" nothing_left "$tag"
done

# A guest on the run's bridge has a MAC of its own (52:54:00:e9:S:N from
# its address 10.233.S.N), not QEMU's default that every guest shares:
# two guests on one bridge would each get the other's frames.
: >"$TMP/pids"
: >"$TMP/args"
PATH="$FAKE:$PATH" FAKE_QEMU_MODE=exit FAKE_QEMU_PIDS="$TMP/pids" FAKE_QEMU_ARGS="$TMP/args" \
	timeout 120 "$VB" run -q --runs 1 --min-runs 1 --warmup 0 -p qemu-tcg --net bridged \
	-w cpu.primes --set limit=1000 >/dev/null 2>"$TMP/err"
check "a bridged guest's virtio-net has a MAC from its address (guest 0: 52:54:00:e9:S:02)" \
	grep -qE 'virtio-net-pci,netdev=n0,mac=52:54:00:e9:[0-9a-f]{2}:02( |$)' "$TMP/args"
[ -s "$TMP/args" ] || diag "$(tail -3 "$TMP/err")"
tag=$(grep -oE 'vb-[0-9a-f]{8}' "$TMP/err" | head -1)
check "... and nothing of that run remains" nothing_left "$tag"

# The KVM probe with the same fakes: kvm is unavailable with QEMU's reason,
# list exits 0, nothing of the probe guest remains.
if [ ! -w /dev/kvm ]; then
	for mode in exit close; do
		for c in "list exits 0" "kvm unavailable with QEMU's reason" "nothing of the probe remains"; do
			skip "kvm probe, $mode: $c" "no usable /dev/kvm here (the run checks above prove the path)"
		done
	done
else
	for mode in exit close; do
		: >"$TMP/pids"
		PATH="$FAKE:$PATH" FAKE_QEMU_MODE=$mode FAKE_QEMU_PIDS="$TMP/pids" VIRTBENCH_KVM_PROBE=boot \
			timeout 120 "$VB" list platforms >"$TMP/p" 2>&1
		rc=$?
		check "kvm probe, $mode: list exits 0" test $rc = 0
		check "kvm probe, $mode: kvm unavailable with QEMU's reason" \
			grep -qE '^kvm +unavailable: QEMU exited at start: fake-qemu: ' "$TMP/p"
		check "kvm probe, $mode: nothing of the probe remains" probe_gone
		find "$VIRTBENCH_STATE_DIR" -mindepth 1 -maxdepth 2 | while read -r l; do diag "left: $l"; done
	done
fi

# virtbench ignores SIGPIPE; what it starts must not (a pipeline in a
# container would never end): SigIgn's bit 13 (0x1000) is clear inside.
"$VB" container run -- /bin/cat /proc/self/status >"$TMP/st" 2>&1
ign=$(awk '/^SigIgn:/ { print $2 }' "$TMP/st")
check "a container's command does not inherit the ignored SIGPIPE" \
	bash -c "[ -n '$ign' ] && [ \$(( 0x$ign & 0x1000 )) = 0 ]"
[ -n "$ign" ] || diag "$(tail -3 "$TMP/st")"
