#!/bin/bash
# Container start to exit of a trivial command (/bin/true), on the same
# busybox rootfs, interleaved: `virtbench container run`, `crun run` and
# `lxc-execute` (Debian's packages). Each is timed as a whole command, so
# each pays its own process start. All three run inside one private mount
# namespace where the empty cgroup2 mount of this hybrid host is hidden:
# crun refuses the hybrid layout otherwise (virtbench then kills through the
# v1 freezer instead of cgroup.kill). Each round runs the three in a random
# order, 50 ms apart: a start right after another one finds the kernel's
# cgroup-move grace period already paid (docs/container.md, "Where the start
# time goes"), so back-to-back order would favour whoever comes second.
# Target: virtbench <= 0.5x crun.
# usage: bench/container-start.sh [ROUNDS]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "container-start: needs root" >&2; exit 2; }
for t in crun lxc-execute jq; do
	command -v $t >/dev/null || { echo "container-start: $t is not installed" >&2; exit 2; }
done
VB=$(realpath "$BUILD/virtbench")
tmp=$(mktemp -d /var/tmp/vb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_CACHE_DIR="$tmp/cache" VIRTBENCH_STATE_DIR="$tmp/state" VIRTBENCH_DB="$tmp/db"
"$VB" container run -- /bin/true # builds the image
img=$(ls -d "$tmp"/cache/images/minimal-* | head -1)
mkdir -p "$tmp/bundle"
cp -a "$img" "$tmp/bundle/rootfs"
(cd "$tmp/bundle" && crun spec && jq '.root.path = "rootfs" | .process.args = ["/bin/true"] | .process.terminal = false' config.json >c && mv c config.json)
printf 'lxc.rootfs.path = dir:%s/bundle/rootfs\nlxc.uts.name = vbbench\nlxc.net.0.type = empty\n' "$tmp" >"$tmp/lxc.conf"

export VB tmp ROUNDS
unshare -m bash -c '
set -eu
umount /sys/fs/cgroup/unified 2>/dev/null || true
us() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; local e=$EPOCHREALTIME; echo $(( ${e/./} - ${s/./} )); }
# One warm-up of each, discarded.
us "$VB" container run -- /bin/true >/dev/null
(cd "$tmp/bundle" && us crun run vbw) >/dev/null
us lxc-execute -n vbw -f "$tmp/lxc.conf" -- /bin/true >/dev/null
for i in $(seq "$ROUNDS"); do
	for who in $(printf "virtbench\ncrun\nlxc\n" | shuf); do
		sleep 0.05
		case $who in
		virtbench) echo "virtbench $(us "$VB" container run -- /bin/true)" ;;
		crun) echo "crun $(cd "$tmp/bundle" && us crun run vb$i)" ;;
		lxc) echo "lxc $(us lxc-execute -n vb$i -f "$tmp/lxc.conf" -- /bin/true)" ;;
		esac
	done
done' >"$tmp/times"
python3 - "$tmp/times" "$ROUNDS" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    t.setdefault(k, []).append(int(v) / 1000)
m = {k: statistics.median(v) for k, v in t.items()}
print(f"start -> exit of /bin/true on the same busybox rootfs, {sys.argv[2]} rounds, random order, cold (ms)")
for k in ("virtbench", "crun", "lxc"):
    v = t[k]
    print(f"  {k:10s} median {m[k]:7.2f}  min {min(v):7.2f}  max {max(v):7.2f}")
print(f"  ratio virtbench/crun: {m['virtbench'] / m['crun']:.3f}  (target <= 0.5)")
print(f"  ratio virtbench/lxc-execute: {m['virtbench'] / m['lxc']:.3f}")
PY
