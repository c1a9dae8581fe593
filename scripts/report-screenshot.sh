#!/bin/bash
# Regenerate the README's picture of `virtbench report`:
#
#   scripts/report-screenshot.sh RUN [OUT.png]     (default OUT: docs/img/report.png)
#
# RUN as `virtbench report` takes it (number, tag or last) from $VIRTBENCH_DB
# or the default database. Headless Chromium renders the report as written;
# the run/host detail tables, the run list and the overhead table (text) are
# hidden, so that the first screen holds the charts. Environment: VB (the
# virtbench binary, default build/virtbench), WIDTH and HEIGHT (the window,
# default 1280x1500).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 RUN [OUT.png]" >&2
	exit 2
fi
run=$1
out=${2:-docs/img/report.png}
vb=${VB:-build/virtbench}
command -v chromium >/dev/null || { echo "$0: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$vb" report "$run" -o "$tmp/report.html" >/dev/null
sed 's|</head>|<style>nav,.top,table.overhead{display:none}</style></head>|' "$tmp/report.html" >"$tmp/shot.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
	--window-size="${WIDTH:-1280},${HEIGHT:-1500}" --screenshot="$tmp/shot.png" \
	"file://$tmp/shot.html" >/dev/null 2>&1
file "$tmp/shot.png" | grep -q 'PNG image data' || { echo "$0: chromium made no screenshot" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$tmp/shot.png" "$out"
echo "$out: $(file -b "$out" | cut -d, -f2 | tr -d ' '), $(($(stat -c %s "$out") / 1024)) KiB"
