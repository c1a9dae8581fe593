#!/bin/bash
# Soak: many guest starts by one long-lived virtbench process, to show that
# nothing grows with the number of starts (SECURITY.md item 8 and "Cleanup
# and faults"; issue 13's acceptance). Not a test: `make test` does not run it.
#
# Each phase is one `virtbench ops -p PLATFORM --rounds R --warmup 0
# --rate-guests 0` process: every round provisions a guest and starts it,
# reboots it (a second start), clones it and starts the clone (a third),
# then destroys both, so R rounds are 3R starts in the same supervisor.
# While it runs, the supervisor's open descriptors (/proc/PID/fd) and RSS
# (VmRSS) are sampled every 20 ms, and every 0.5 s how many guests have
# cgroups. A sample falls anywhere in a guest's life, so the figures are
# taken over halves of the run, each many rounds long, without its first and
# last tenth (at least 0.5 s each: the supervisor's own start and exit):
# "start" is the first half, "end" the second (fds: the fewest, i.e. the
# supervisor between guests; RSS: the most). A descriptor leaked per start
# raises the fewest.
# Before and after each phase it counts, at their real paths: vb-* cgroups
# (tests/integration/lib.bash vb_cgroup_leftovers, every hierarchy at
# virtbench's parent), links (`ip -o link | grep vb-`), mounts (`grep vb-
# /proc/self/mountinfo`) and state entries (the private state directory).
#
# Flat means: the supervisor's fds at the end no more than at the start,
# its RSS at most max(4 MiB, 10 %) more, the most guests with cgroups at
# once (a guest and its clone) no more than one above the first half's, and
# after the phase nothing of the soak's runs left (cgroups, links, mounts,
# state entries 0). Counts of everything named vb-* on the host are printed
# too ("all"): other users' runs come and go there, so they are shown, not
# judged. Exit 0 when flat, 1 when not, 2 on bad usage or a failed ops run.
#
# Measured here (2 shared CPUs, other sessions busy), --cycles 1000
# --qemu-boots 6: container 334 rounds, 1002 starts in 18.8 s, fds 8 -> 8,
# RSS 4608 -> 4624 KiB, guests at once at most 2 -> 2, nothing left;
# qemu-tcg 2 rounds, 6 boots in 24.9 s, fds 8 -> 8, RSS 25452 -> 6188 KiB
# (the first boot's image work), nothing left. A fake supervisor leaking
# one descriptor per start was judged NOT flat (fds 33 -> 157).
#
# usage: bench/soak.sh [--cycles N] [--qemu-boots N]   (root)
#   --cycles N      container starts (default 1000, as issue 13 asks)
#   --qemu-boots N  qemu-tcg starts (default 10, at most 100; 0 = none):
#                   each is a TCG boot of Debian's kernel, ~5 s here
set -uo pipefail
cd "$(dirname "$0")/.."
CYCLES=1000
QEMU=10
while [ $# -gt 0 ]; do
	case "$1" in
	--cycles) CYCLES=${2:-}; shift 2 ;;
	--qemu-boots) QEMU=${2:-}; shift 2 ;;
	*) echo "usage: bench/soak.sh [--cycles N] [--qemu-boots N]" >&2; exit 2 ;;
	esac
done
[[ "$CYCLES" =~ ^[0-9]+$ && "$QEMU" =~ ^[0-9]+$ && "$QEMU" -le 100 ]] ||
	{ echo "soak: --cycles N, --qemu-boots 0..100" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak: needs root" >&2; exit 2; }
# lib.bash: $VB, a private $TMP with the state directory and database, and
# the cgroup helper the tests use.
. tests/integration/lib.bash
export VIRTBENCH_CACHE_DIR=${VIRTBENCH_CACHE_DIR:-$TMP/cache}

# The soak's own run tags: its database's runs and its state directory's entries.
our_tags() {
	{ sql "SELECT tag FROM runs" 2>/dev/null; ls "$VIRTBENCH_STATE_DIR" 2>/dev/null; } |
		grep -E '^vb-[0-9a-f]{8}$' | sort -u
}
our_cgroups() { local t; for t in $(our_tags); do vb_cgroup_leftovers "$t"; done | wc -l; }
our_links() { local t n=0; for t in $(our_tags); do n=$((n + $(ip -o link | grep -c " $t"))); done; echo $n; }
our_mounts() { local t n=0; for t in $(our_tags); do n=$((n + $(grep -c "$t" /proc/self/mountinfo))); done; echo $n; }
state_entries() { find "$VIRTBENCH_STATE_DIR" -mindepth 1 2>/dev/null | wc -l; }
host_counts() { # label
	printf '%-6s cgroups %d (all vb-*: %d)  links %d (all: %d)  mounts %d (all: %d)  state entries %d\n' \
		"$1" "$(our_cgroups)" "$(vb_cgroup_leftovers all | wc -l)" \
		"$(our_links)" "$(ip -o link | grep -c 'vb-')" \
		"$(our_mounts)" "$(grep -c 'vb-' /proc/self/mountinfo)" "$(state_entries)"
}

flat=0
phase() { # platform starts
	local p=$1 starts=$2
	local rounds=$(((starts + 2) / 3))
	echo "== $p: $rounds ops rounds, $((rounds * 3)) starts in one supervisor"
	host_counts before
	local t0=$EPOCHREALTIME
	"$VB" ops -q -p "$p" --rounds "$rounds" --warmup 0 --rate-guests 0 >"$TMP/ops.out" 2>"$TMP/ops.err" &
	local pid=$! i=0 k v rss st
	local -a fds
	: >"$TMP/samples"
	: >"$TMP/guests"
	# Builtins only in the loop (no process per sample), but for the guest count.
	while read -r st 2>/dev/null <"/proc/$pid/stat" && [[ "$st" != *") Z "* ]]; do
		fds=("/proc/$pid/fd"/*)
		rss=
		while read -r k v _; do
			[ "$k" = VmRSS: ] && { rss=$v; break; }
		done <"/proc/$pid/status" 2>/dev/null
		[ -n "$rss" ] && [ -e "${fds[0]}" ] && echo "${#fds[@]} $rss" >>"$TMP/samples"
		if [ $((i++ % 25)) = 0 ]; then
			for t in $(our_tags); do vb_cgroup_leftovers "$t"; done | sed 's|.*/||' | sort -u | wc -l >>"$TMP/guests"
		fi
		sleep 0.02
	done
	wait $pid
	local rc=$? secs
	secs=$(echo "$EPOCHREALTIME - $t0" | bc)
	if [ $rc != 0 ]; then
		echo "soak: virtbench ops -p $p failed (exit $rc):" >&2
		tail -n 5 "$TMP/ops.err" >&2
		exit 2
	fi
	host_counts after
	local n lo trim
	n=$(wc -l <"$TMP/samples")
	# The supervisor's own start and exit (database opened, closed) are no rounds.
	trim=$((n / 10 > 25 ? n / 10 : 25))
	sed -i "1,${trim}d" "$TMP/samples"
	head -n -"$trim" "$TMP/samples" >"$TMP/s" && mv "$TMP/s" "$TMP/samples"
	n=$(wc -l <"$TMP/samples")
	if [ "$n" -lt 10 ]; then
		echo "$p: only $n samples in ${secs}s: too short to judge the supervisor (more --cycles)"
		flat=1
		return
	fi
	lo=$((n / 2))
	local stat='NR == 1 {f = $1; r = $2} {if ($1 < f) f = $1; if ($2 > r) r = $2} END {print f, r}'
	read -r fs rs < <(head -n "$lo" "$TMP/samples" | awk "$stat")
	read -r fe re < <(tail -n +"$((lo + 1))" "$TMP/samples" | awk "$stat")
	local g gs ge
	g=$(wc -l <"$TMP/guests")
	gs=$(head -n $((g / 2)) "$TMP/guests" | sort -n | tail -n 1)
	ge=$(tail -n +$((g / 2 + 1)) "$TMP/guests" | sort -n | tail -n 1)
	printf '%s: %d samples in %.1f s; supervisor fds %d -> %d, RSS %d -> %d KiB; guests with cgroups at once, at most %d -> %d\n' \
		"$p" "$n" "$secs" "$fs" "$fe" "$rs" "$re" "${gs:-0}" "${ge:-0}"
	local slack=$((rs / 10 > 4096 ? rs / 10 : 4096)) bad=""
	[ "$fe" -le "$fs" ] || bad="$bad fds"
	[ "$re" -le $((rs + slack)) ] || bad="$bad rss"
	# +1: a listing of the hierarchies may straddle one guest's destroy and the next's start.
	[ "${ge:-0}" -le $((${gs:-0} + 1)) ] || bad="$bad guest-cgroups"
	[ "$(our_cgroups)" = 0 ] && [ "$(our_links)" = 0 ] && [ "$(our_mounts)" = 0 ] &&
		[ "$(state_entries)" = 0 ] || bad="$bad leftovers"
	if [ -n "$bad" ]; then
		echo "$p: NOT flat:$bad"
		flat=1
	else
		echo "$p: flat"
	fi
}

[ "$CYCLES" -gt 0 ] && phase container "$CYCLES"
if [ "$QEMU" -gt 0 ]; then
	if "$VB" list platforms | grep -qE '^qemu-tcg +available'; then
		phase qemu-tcg "$QEMU"
	else
		echo "== qemu-tcg: skipped: $("$VB" list platforms | grep '^qemu-tcg' | sed 's/  */ /g')"
	fi
fi
exit $flat
