# Shared helpers for integration tests: TAP output, a private database and
# state directory per test file, and the binaries under test.
# shellcheck shell=bash
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
VB="$BUILD/virtbench"
AGENT="$BUILD/virtbench-agent"
TMP=$(mktemp -d /tmp/vb-itest.XXXXXX)
export VIRTBENCH_DB="$TMP/results.db"
export VIRTBENCH_STATE_DIR="$TMP/state"
unset VIRTBENCH_AGENT
_n=0
_failed=0
trap 'rm -rf "$TMP"' EXIT

plan() { echo "1..$1"; }
# need_container N LABEL: go on when the container platform works here (as
# root, with a private image cache); else skip all N checks with the reason
# and end the test file.
need_container() {
	export VIRTBENCH_CACHE_DIR="$TMP/cache"
	local reason="" i
	[ "$(id -u)" = 0 ] || reason="needs root"
	[ -z "$reason" ] && ! "$VB" list platforms | grep -qE '^container +available' &&
		reason=$("$VB" list platforms | grep '^container' | sed 's/  */ /g')
	[ -z "$reason" ] && return 0
	for i in $(seq "$1"); do skip "$2 $i" "$reason"; done
	exit 0
}
ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $1"; }
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# check NAME CMD...: one result from a command's success.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
sql() { sqlite3 -batch -noheader "$VIRTBENCH_DB" "$@"; }
# wait_first_sample SECONDS: until $VIRTBENCH_DB holds a sample (a run in the
# background has started measuring), at most SECONDS.
wait_first_sample() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[ "$(sql 'SELECT count(*) FROM samples' 2>/dev/null)" -ge 1 ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
# A quick run that still takes a few seconds; extra args are appended.
quick_args=(-q --runs 3 --min-runs 2 --warmup 1 --set limit=100000 --set size=4M)

# Where virtbench makes its cgroups, one directory a line: for every mounted
# cgroup hierarchy (v1 and v2, from /proc/self/mountinfo), the cgroup this
# shell is in there (from /proc/self/cgroup: virtbench, started from here,
# is in the same one and puts its tree below it, src/runtime/cgroup-layout.c) +
# /virtbench. Not a glob of /sys/fs/cgroup/*/virtbench: a hierarchy where this
# shell is nested (memory/<path>/virtbench here) would be missed.
vb_cgroup_parents() {
	local -a f
	local i fstype opts root mnt id ctrls path c sub match
	while read -r -a f; do
		for ((i = 6; i < ${#f[@]}; i++)); do [ "${f[i]}" = - ] && break; done
		fstype=${f[i + 1]:-}
		opts=,${f[i + 3]:-},
		root=${f[3]}
		mnt=${f[4]}
		[ "$fstype" = cgroup ] || [ "$fstype" = cgroup2 ] || continue
		while IFS=: read -r id ctrls path; do
			match=
			if [ "$fstype" = cgroup2 ]; then
				[ "$id" = 0 ] && [ -z "$ctrls" ] && match=1
			elif [ -n "$ctrls" ]; then
				match=1
				for c in ${ctrls//,/ }; do
					case "$opts" in *",$c,"*) ;; *) match= ;; esac
				done
			fi
			[ -n "$match" ] || continue
			# A mount of a sub-tree (root != /) shows paths below its root.
			sub=$path
			if [ "$root" != / ]; then
				case "$path" in "$root" | "$root"/*) sub=${path#"$root"} ;; *) continue ;; esac
			fi
			echo "$mnt${sub%/}/virtbench"
		done </proc/self/cgroup
	done </proc/self/mountinfo | sort -u
}
# vb_cgroup_leftovers TAG|all: the guest cgroups of run TAG (vb-1a2b3c4d-*),
# or with all every vb-* cgroup, under virtbench's parent in every hierarchy
# (vb_cgroup_parents), one path a line; nothing when there are none.
vb_cgroup_leftovers() {
	local pat p
	if [ "${1:-all}" = all ]; then pat='vb-*'; else pat="$1-*"; fi
	for p in $(vb_cgroup_parents); do
		[ -d "$p" ] && find "$p" -mindepth 1 -maxdepth 1 -type d -name "$pat" 2>/dev/null
	done | sort
}
# For checks written as `bash -c "..."` strings.
export -f vb_cgroup_parents vb_cgroup_leftovers

# vb_victim_dir DIR: host files a hostile guest's links point at (one, two,
# sub/three, each "keep"), readable by root alone. vb_victim_intact DIR: they
# are still as made, and nothing was added.
vb_victim_dir() {
	mkdir -p "$1/sub" && for f in one two sub/three; do echo keep >"$1/$f"; done
	chmod -R go-rwx "$1"
}
vb_victim_intact() {
	[ "$(cat "$1/one" "$1/two" "$1/sub/three" 2>/dev/null | tr '\n' ' ')" = 'keep keep keep ' ] &&
		[ "$(find "$1" | wc -l)" = 5 ]
}
export -f vb_victim_intact

# vb_scripted_agent IMG SCRIPT: a copy of the minimal container image at IMG
# whose agent says hello and, for each job, runs SCRIPT (shell, inside the
# guest) and then reports the job done: a hostile guest in a few lines.
vb_scripted_agent() {
	local img=$1 script=$2 base
	base=$("$VB" container image minimal 2>/dev/null)
	rm -rf "$img" && cp -a "$base" "$img"
	cat >"$img/sbin/virtbench-agent" <<AGENT
#!/bin/sh
echo '{"v":1,"type":"hello","protocol":1,"agent":"0.1.0","pid":1}'
while read -r line; do
	case "\$line" in *'"quit"'*) exit 0 ;; *'"type":"job"'*) ;; *) continue ;; esac
	id=\$(echo "\$line" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
	echo "{\"v\":1,\"type\":\"started\",\"job\":\"\$id\",\"workload\":\"cpu.primes\"}"
$script
	echo "{\"v\":1,\"type\":\"done\",\"job\":\"\$id\",\"ok\":true}"
done
AGENT
	chmod 755 "$img/sbin/virtbench-agent"
}

# debian_plan IMAGE: where virtbench would put the Debian image IMAGE
# (debian:PKG,...): sets tree, key and base ($cache/images/KEY.ext4-1.img).
# Returns 1 with the reason in plan_why when there is no plan, or when the
# tree is not built and the mirror cannot be reached from here.
debian_plan() {
	local suite mirror
	plan_why=
	if ! "$VB" container image --plan "$1" >"$TMP/plan" 2>"$TMP/plan-err"; then
		plan_why="no plan: $(cat "$TMP/plan-err")"
		return 1
	fi
	suite=$(awk '$1 == "suite" { print $2 }' "$TMP/plan")
	mirror=$(awk '$1 == "mirror" { print $2 }' "$TMP/plan")
	tree=$(awk '$1 == "dir" { print $2 }' "$TMP/plan")
	key=${tree##*/}
	base="$cache/images/$key.ext4-1.img"
	if [ ! -d "$tree" ] && ! timeout 60 /usr/lib/apt/apt-helper download-file \
		"$mirror/dists/$suite/InRelease" "$TMP/InRelease" >/dev/null 2>&1; then
		plan_why="the mirror $mirror is not reachable from here"
		return 1
	fi
}
