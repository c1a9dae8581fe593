#!/bin/bash
# app.nginx vs nginx and ab by hand on the host, interleaved: each round a
# stock-like nginx (worker_processes auto, access log on, sendfile) serving
# a 3,064-byte page, `ab -n REQUESTS -c 100` by hand, then the same through
# `virtbench run -p host -w app.nginx`. Both are ab's "Requests per second".
# Target: ratio >= 0.95.
# usage: bench/xcheck-nginx.sh [ROUNDS] [REQUESTS]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
REQ=${2:-50000}
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 2; }
# The hand-run server trusts loopback: in a network namespace of its own,
# no other user of the host can reach it (virtbench does the same).
if [ -z "${VB_BENCH_NETNS:-}" ]; then
	exec unshare --net env VB_BENCH_NETNS=1 "$PWD/bench/$(basename "$0")" "$@"
fi
ip link set lo up
[ "$(id -u)" = 0 ] || { echo "xcheck-nginx: needs root" >&2; exit 2; }
for b in /usr/sbin/nginx /usr/bin/ab; do
	[ -x "$b" ] || { echo "xcheck-nginx: $b is not installed (apt-get install nginx apache2-utils)" >&2; exit 2; }
done
tmp=$(mktemp -d /var/tmp/vb-bench.XXXXXX)
chmod 755 "$tmp"
export VIRTBENCH_DB="$tmp/bench.db" VIRTBENCH_STATE_DIR="$tmp/state"
srv="$tmp/nginx"
mkdir -p "$srv/www"
head -c 3064 /dev/zero | tr '\0' 'x' >"$srv/www/test.html"
chown -R www-data: "$srv"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
: >"$tmp/hand"
for i in $(seq "$ROUNDS"); do
	port=$((20000 + RANDOM % 20000))
	cat >"$srv/nginx.conf" <<CONF
daemon off; worker_processes auto; pid $srv/nginx.pid; error_log $srv/error.log;
events { worker_connections 4096; }
http { types { text/html html; } access_log $srv/access.log; sendfile on; keepalive_timeout 65;
  client_body_temp_path $srv/t1; proxy_temp_path $srv/t2; fastcgi_temp_path $srv/t3;
  uwsgi_temp_path $srv/t4; scgi_temp_path $srv/t5;
  server { listen 127.0.0.1:$port; root $srv/www; } }
CONF
	setpriv --reuid=www-data --regid=www-data --clear-groups /usr/sbin/nginx -p "$srv/" -e "$srv/error.log" -c "$srv/nginx.conf" &
	pid=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/test.html" 2>/dev/null && break; sleep 0.05; done
	ab -q -n "$REQ" -c 100 "http://127.0.0.1:$port/test.html" 2>/dev/null |
		sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' >>"$tmp/hand"
	kill -QUIT "$pid"; wait "$pid" 2>/dev/null || true; pid=""
	rm -f "$srv/access.log"
	"$BUILD/virtbench" run -q -p host -w app.nginx --runs 1 --min-runs 1 --warmup 0 --ci-target 0 \
		--set requests="$REQ" --set concurrency=100 >/dev/null
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2
sqlite3 "$VIRTBENCH_DB" "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	WHERE v.metric = 'requests_per_s' AND s.ok = 1 ORDER BY s.id" >"$tmp/vb"
python3 - "$tmp/hand" "$tmp/vb" "$REQ" <<'PY'
import statistics, sys
ref = [float(x) for x in open(sys.argv[1]) if x.strip()]
vb = [float(x) for x in open(sys.argv[2]) if x.strip()]
if not ref or not vb:
    sys.exit("xcheck-nginx: a side produced no figure")
mr, mv = statistics.median(ref), statistics.median(vb)
print(f"nginx, 3,064-byte page, ab -n {sys.argv[3]} -c 100, {len(ref)} interleaved rounds")
print(f"  by hand:             median {mr:8.0f} req/s  (min {min(ref):.0f}, max {max(ref):.0f})")
print(f"  virtbench app.nginx: median {mv:8.0f} req/s  (min {min(vb):.0f}, max {max(vb):.0f})")
print(f"  ratio virtbench/by hand: {mv / mr:.3f}  (target >= 0.95)")
PY
