#!/bin/bash
# `container run` and the terminal it is started from (issue 13; docs/
# security.md, "Terminal and session (containers)"): a guest cannot push
# input into the host's terminal (TIOCSTI, TIOCLINUX), it runs in a session
# of its own with a terminal of its own, and a closed terminal (SIGHUP) ends
# the run as Ctrl-C does, leaving nothing.
. "$(dirname "$0")/lib.bash"
N=3
plan $N
export VIRTBENCH_CACHE_DIR="$TMP/cache"
reason=""
[ "$(id -u)" = 0 ] || reason="needs root"
[ -z "$reason" ] && ! "$VB" list platforms | grep -qE '^container +available' &&
	reason=$("$VB" list platforms | grep '^container' | sed 's/  */ /g')
if [ -n "$reason" ]; then
	for i in $(seq $N); do skip "container tty test $i" "$reason"; done
	exit 0
fi
C() { "$VB" container run "$@"; }
CG=/sys/fs/cgroup
# virtbench's parent in every hierarchy at its real path (the memory one
# nests below this process's own cgroup), the cgroup2 mount included.
parents() {
	local ctrls path
	while IFS=: read -r _ ctrls path; do
		case "$ctrls" in
		name=*) continue ;;
		"") [ -d "$CG/unified" ] && echo "$CG/unified${path%/}/virtbench" ;;
		*) [ -d "$CG/$ctrls" ] && echo "$CG/$ctrls${path%/}/virtbench" ;;
		esac
	done </proc/self/cgroup
}
# left TAG: every cgroup directory of that run, in any hierarchy.
left() {
	local p
	for p in $(parents); do
		[ -d "$p" ] && find "$p" -mindepth 1 -maxdepth 1 -type d -name "$1-*"
	done
}

# SIGHUP (the terminal closed) ends `container run` as SIGINT does.
"$VB" container run -- /bin/sleep "30.$$" >/dev/null 2>"$TMP/hup" &
pid=$!
tag=""
for _ in $(seq 100); do
	pgrep -f "^/bin/sleep 30\.$$\$" >/dev/null && tag=$(ls "$VIRTBENCH_STATE_DIR" 2>/dev/null | grep -m1 '^vb-') && break
	sleep 0.1
done
cgs_during=$(left "${tag:-none}" | wc -l)
kill -HUP $pid
wait $pid
rc=$?
cgs_after=$(left "${tag:-none}" | wc -l)
diag "run $tag: $cgs_during cgroup directories while running, $cgs_after after; $(cat "$TMP/hup")"
check "SIGHUP: container run exits 130, interrupted (exit $rc)" test $rc = 130
check "SIGHUP: no cgroup of the run is left in any hierarchy ($cgs_during while it ran)" \
	test -n "$tag" -a "$cgs_during" -gt 0 -a "$cgs_after" = 0
check "SIGHUP: nothing of the run is left in the state directory" \
	test -n "$tag" -a -z "$(ls -A "$VIRTBENCH_STATE_DIR")"
