#!/bin/bash
# `container run` and the terminal it is started from (issue 13; docs/
# security.md, "Terminal and session (containers)"): a guest cannot push
# input into the host's terminal (TIOCSTI, TIOCLINUX), it runs in a session
# of its own with a terminal of its own, and a closed terminal (SIGHUP) ends
# the run as Ctrl-C does, leaving nothing.
. "$(dirname "$0")/lib.bash"
N=17
plan $N
need_container $N "container tty test"
C() { "$VB" container run "$@"; }
# left TAG: every cgroup directory of that run, in any hierarchy at its real path.
left() { vb_cgroup_leftovers "$1"; }

# An image with tests/integration/ctr-probe.c in it (TIOCSTI, TIOCLINUX, getsid).
img="$TMP/img"
C -- /bin/true || echo "Bail out! container run -- /bin/true fails"
cp -a "$(ls -d "$VIRTBENCH_CACHE_DIR"/images/minimal-* | head -1)" "$img"
chmod u+w "$img/bin"
if ! cc -static -O2 -o "$img/bin/ctr-probe" "$ROOT/tests/integration/ctr-probe.c"; then
	echo "Bail out! cannot build ctr-probe (cc -static)"
	exit 1
fi
# T CMD...: CMD in a terminal of its own, as typed into an interactive shell.
T() { timeout 90 python3 "$ROOT/tests/integration/pty-run.py" "$@"; }

# A guest pushes a command into the input of the terminal virtbench was
# started from (TIOCSTI on 0, 1, 2 and /dev/tty); the shell outside then
# reads a line and runs it, as an interactive shell would once virtbench
# has exited. Nothing may arrive there: the marker is never made.
# inject NAME [container run options]: the probe's lines, then what the shell read.
inject() {
	local marker="$TMP/injected-$1"
	shift
	T -- bash -c "\"\$0\" container run $* --image '$img' -- /bin/ctr-probe tiocsti 'touch $marker
'; read -r -t 3 line; echo \"read [\$line]\"; eval \"\$line\"" "$VB" | tr -d '\r'
}
out=$(inject a)
diag "$out"
check "TIOCSTI from a container: nothing reaches the host terminal's input, the marker is not made" \
	test ! -e "$TMP/injected-a" -a -n "$(echo "$out" | grep -x 'read \[\]')"
check "TIOCSTI on the container's own terminal (0 1 2, /dev/tty) fails with EPERM (seccomp)" \
	test "$(echo "$out" | grep -E '^(fd[012]|/dev/tty) ' | tr '\n' ' ')" = "fd0 EPERM fd1 EPERM fd2 EPERM /dev/tty EPERM "
out=$(inject b --no-seccomp)
diag "$out"
check "without seccomp the guest types only into its own terminal: the marker is not made" \
	test ! -e "$TMP/injected-b" -a -n "$(echo "$out" | grep -x 'read \[\]')"
out=$(inject c --userns)
check "with --userns: the marker is not made" \
	test ! -e "$TMP/injected-c" -a -n "$(echo "$out" | grep -x 'read \[\]')"
# stdout not a terminal: no pty; stdin and stderr (terminals) are pipes inside.
T -- bash -c "\"\$0\" container run --no-seccomp --image '$img' -- /bin/ctr-probe tiocsti 'touch $TMP/injected-d
' >'$TMP/probe-d'; read -r -t 3 line; eval \"\$line\"" "$VB" >/dev/null
diag "$(cat "$TMP/probe-d")"
check "stdout redirected: stdin and stderr inside are no terminal, no /dev/tty; the marker is not made" \
	test ! -e "$TMP/injected-d" -a "$(tr '\n' ' ' <"$TMP/probe-d")" = "fd0 ENOTTY fd1 ENOTTY fd2 ENOTTY /dev/tty-open ENXIO "
out=$(T -- "$VB" container run --image "$img" -- /bin/ctr-probe tioclinux | tr -d '\r' | tr '\n' ' ')
check "TIOCLINUX fails with EPERM ($out)" test "$out" = "fd0 EPERM fd1 EPERM fd2 EPERM "
# A session of its own: the container's init leads it (1 inside; a session
# of the host's would show as 0, its leader being outside the PID namespace).
out=$(T -- "$VB" container run --image "$img" -- /bin/ctr-probe sid | tr -d '\r')
check "the container runs in a session of its own, its terminal its /dev/console ($out)" \
	test "$out" = "sid 1 pid 1 tty /dev/console"
# Still usable interactively: a shell with a terminal, its exit status passed on,
# and the host terminal's modes as they were.
out=$(T --send 'echo $((6*7)); [ -t 0 ] && echo "tty inside"\n' --send 'exit 3\n' -- \
	bash -c 'stty -g; "$0" container run -- /bin/sh; echo "status $?"; stty -g' "$VB" | tr -d '\r')
diag "$out"
modes=$(echo "$out" | grep -E '^[0-9a-f]+(:[0-9a-f]+)+$' | uniq | wc -l)
check "container run -- /bin/sh is interactive (a terminal inside, exit status passed on)" \
	bash -c "echo \"\$1\" | grep -qx 42 && echo \"\$1\" | grep -qx 'tty inside' && echo \"\$1\" | grep -qx 'status 3'" _ "$out"
check "the host terminal's modes are restored afterwards" test "$modes" = 1

# The agent of `run -p container` started from a terminal: a session of its
# own and no controlling terminal (seen from the host: /proc/PID/stat's
# session and tty_nr), so a hostile agent has no terminal to type into.
export VIRTBENCH_DB="$TMP/agent.db"
T --timeout 120 -- "$VB" run -q -p container -w cpu.primes --runs 100000 --ci-target 0 --warmup 0 \
	--set limit=200000 >/dev/null 2>&1 &
tpid=$!
agent=""
for _ in $(seq 150); do
	run=$(ls "$VIRTBENCH_STATE_DIR" 2>/dev/null | grep -m1 '^vb-')
	for p in $(pgrep -x virtbench-agent); do
		[ -n "$run" ] && grep -q "/$run-" "/proc/$p/cgroup" 2>/dev/null && agent=$p
	done
	[ -n "$agent" ] && break
	sleep 0.1
done
# The agent is the container's init: its parent is virtbench.
vbpid=$(awk '/^PPid:/ { print $2 }' "/proc/${agent:-0}/status" 2>/dev/null)
# stat fields 6 and 7 (the name in parentheses has no blanks here).
agent_stat=$(awk '{ print $6, $7 }' "/proc/${agent:-0}/stat" 2>/dev/null)
vb_stat=$(awk '{ print $6, $7 }' "/proc/${vbpid:-0}/stat" 2>/dev/null)
kill -INT "$vbpid" 2>/dev/null
wait $tpid
rc=$?
diag "run -p container: virtbench $vbpid (session, tty_nr) $vb_stat; its agent $agent: $agent_stat"
check "run -p container: the agent has no controlling terminal, virtbench has one (tty_nr 0 vs ${vb_stat#* })" \
	test -n "$agent_stat" -a "${agent_stat#* }" = 0 -a "${vb_stat#* }" != 0
check "run -p container: the agent is in another session than virtbench" \
	test -n "$agent_stat" -a "${agent_stat% *}" != "${vb_stat% *}"
check "run -p container in a terminal: Ctrl-C (SIGINT) still ends it, 130 (exit $rc)" test $rc = 130
export VIRTBENCH_DB="$TMP/results.db"

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

# The real thing: the terminal of an interactive `container run -- /bin/sh`
# closes (its pty's master), and the kernel sends the SIGHUP.
before=$(ls "$VIRTBENCH_STATE_DIR" 2>/dev/null)
T --hangup 3 -- "$VB" container run -- /bin/sh >/dev/null 2>&1 &
tpid=$!
tag=""
for _ in $(seq 30); do
	tag=$(comm -13 <(echo "$before") <(ls "$VIRTBENCH_STATE_DIR" 2>/dev/null) | grep -m1 '^vb-') && break
	sleep 0.1
done
cgs_during=$(left "${tag:-none}" | wc -l)
wait $tpid
rc=$?
cgs_after=$(left "${tag:-none}" | wc -l)
check "a closed terminal ends an interactive container run with 130 (exit $rc)" test $rc = 130
check "and leaves no cgroup ($cgs_during while it ran, $cgs_after after) and no state entry" \
	test -n "$tag" -a "$cgs_during" -gt 0 -a "$cgs_after" = 0 -a ! -e "$VIRTBENCH_STATE_DIR/$tag"
