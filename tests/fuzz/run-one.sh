#!/bin/bash
# Run one libFuzzer target for a bounded time over its seed corpus; one TAP result.
set -u
target=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "1..1"
if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$work/" "$work" "$seeds" >"$work/log" 2>&1; then
	runs=$(grep -o 'Done [0-9]* runs' "$work/log" | tail -1)
	echo "ok 1 - $(basename "$target"): ${runs:-ran} without a crash"
else
	tail -n 30 "$work/log" | sed 's/^/# /'
	ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | sed 's/^/# artifact: /'
	echo "not ok 1 - $(basename "$target") found a crash"
	exit 1
fi
