#!/bin/bash
# Clone on the container platform (root only). There is no CLI verb for it
# yet: test-copy --live drives the platform through vb_platform_find
# ("container"): a source guest vb-<tag>-0 with a marker, a whiteout and an
# opaque directory in its upper layer (and a file and a symlink to a host
# file in its volume), a clone of it running (vb-<tag>-1) that
# starts, sees that layer and runs cpu.primes, a clone of it stopped, names
# that must be refused, and destroy. Its TAP results are passed on; this
# script then checks on its own that nothing of the run is left: cgroups in
# every hierarchy, the bridge and veths, work directories, mounts.
# TEST_COPY_BIN overrides the binary (default: $BUILD/tests/test-copy).
. "$(dirname "$0")/lib.bash"
BIN=${TEST_COPY_BIN:-$BUILD/tests/test-copy}
export VIRTBENCH_CACHE_DIR="$TMP/cache"
export VIRTBENCH_AGENT="$AGENT"
CG=/sys/fs/cgroup
tag=

leftovers() {
	local p
	[ -n "$tag" ] || return 0
	for p in $(vb_cgroup_parents); do
		[ -d "$p" ] && find "$p" -mindepth 1 -maxdepth 1 -type d -name "$tag-*"
	done | sort -u
}
links_left() {
	[ -n "$tag" ] && ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^$tag(-[0-9]+)?$"
}

# Whatever the binary left (it crashed or hung): our state directory goes
# with $TMP, so no later sweep would find the run's owner file.
cleanup() {
	local d pid pids l
	for d in $(leftovers); do
		[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
		for _ in 1 2 3 4 5; do
			pids=$(cat "$d/cgroup.procs" 2>/dev/null)
			[ -n "$pids" ] || break
			for pid in $pids; do kill -9 "$pid" 2>/dev/null; done
			sleep 0.2
		done
	done
	for d in $(leftovers); do
		rmdir "$d" 2>/dev/null || { sleep 0.5; rmdir "$d" 2>/dev/null; }
	done
	for l in $(links_left); do ip link delete "$l" 2>/dev/null; done
}
trap 'cleanup; rm -rf "$TMP"' EXIT

reason=
if [ "$(id -u)" != 0 ]; then
	reason="needs root"
elif [ ! -x "$BIN" ]; then
	reason="$BIN is not built (set TEST_COPY_BIN)"
elif [ ! -x "$AGENT" ]; then
	reason="$AGENT is not built"
elif ! "$VB" list platforms | grep -qE '^container +available'; then
	reason=$("$VB" list platforms | grep '^container' | sed 's/  */ /g')
fi
if [ -n "$reason" ]; then
	plan 3
	skip "live clone scenario" "$reason"
	skip "nothing of the run left (cgroups, links, work directories, mounts)" "$reason"
	skip "the run's state directory is empty again" "$reason"
	exit 0
fi

# Into a file, not a pipe: a stray child holding the pipe open cannot hang us.
timeout -s KILL 300 "$BIN" --live >"$TMP/live.out" 2>"$TMP/live.err"
rc=$?
tag=$(sed -n 's/^# run \(vb-[0-9a-f]\{8\}\) in .*/\1/p' "$TMP/live.out" | head -n1)
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$TMP/live.out" | head -n1)
planned=${planned:-0}
plan $((planned + 3))
seen=0
while IFS= read -r line; do
	case "$line" in
	"not ok "*)
		seen=$((seen + 1))
		not_ok "$(sed -E 's/^not ok [0-9]+ - //' <<<"$line")"
		;;
	"ok "*"# SKIP "*)
		seen=$((seen + 1))
		name=$(sed -E 's/^ok [0-9]+ - //; s/ # SKIP .*//' <<<"$line")
		skip "$name" "${line##*# SKIP }"
		;;
	"ok "*)
		seen=$((seen + 1))
		ok "$(sed -E 's/^ok [0-9]+ - //' <<<"$line")"
		;;
	"#"*) echo "$line" ;;
	esac
done <"$TMP/live.out"
# Results the binary planned but never printed (it crashed or hung).
while [ "$seen" -lt "$planned" ]; do
	seen=$((seen + 1))
	not_ok "live result $seen missing"
done
check "live binary exited 0 with all $planned results (exit $rc)" \
	test "$rc" = 0 -a "$planned" -gt 0
[ "$rc" = 0 ] || diag "$(tail -n 20 "$TMP/live.err")"
if [ -z "$tag" ]; then
	skip "nothing of the run left (cgroups, links, work directories, mounts)" "no run was made"
else
	left=$({
		leftovers
		links_left
		find "$VIRTBENCH_STATE_DIR" -name "$tag-*" 2>/dev/null
		grep "$tag" /proc/self/mountinfo
	})
	check "nothing of run $tag left (cgroups, links, work directories, mounts)" test -z "$left"
	[ -z "$left" ] || diag "$left"
fi
check "the run's state directory is empty again" \
	test "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 2>/dev/null | wc -l)" = 0
