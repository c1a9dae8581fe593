#!/bin/bash
# The application workloads (app.nginx, app.pgbench) on the host with the
# host's own nginx and PostgreSQL, started and stopped by virtbench itself:
# real samples, their self-checks, and the faults: a port already taken, a
# full data disk, Ctrl-C during the load. After each: no server process, no
# service directory, no mount of its private /tmp.
. "$(dirname "$0")/lib.bash"
N=27
plan $N
skip_rest() {
	for _ in $(seq $((_n + 1)) $N); do skip "apps" "$1"; done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_rest "needs root (PostgreSQL runs as postgres, nginx as www-data)"
for b in /usr/sbin/nginx /usr/bin/ab /usr/bin/wrk; do
	[ -x "$b" ] || skip_rest "$b is not installed (scripts/install-deps.sh installs it)"
done
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 ||
	skip_rest "PostgreSQL is not installed (scripts/install-deps.sh installs postgresql-15)"

# Servers of ours: their command lines name the service directory.
servers() { pgrep -af '[v]b-svc|[s]vc-nginx|[s]vc-postgresql' | grep -v "$$" ; }
mounts() { grep -c ' /tmp/vb-svc ' /proc/self/mountinfo; }
nothing_left() {
	[ -z "$(servers)" ] && [ "$(mounts)" = 0 ] &&
		[ -z "$(find "$VIRTBENCH_STATE_DIR" -name 'svc-*' 2>/dev/null)" ] &&
		[ -z "$(pgrep -x ab)$(pgrep -x wrk)$(pgrep -x pgbench)" ]
}
export -f servers mounts nothing_left
val() { sql "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	JOIN workloads w ON w.id = s.workload_id WHERE w.name = '$1' AND v.metric = '$2' AND s.ok
	ORDER BY s.id DESC LIMIT 1"; }
rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }

# nginx with ab: a real sample, with the page checked and every request 2xx.
rc=$(rc_of "$VB" run -q -p host -w app.nginx --runs 2 --min-runs 2 --warmup 0 --set requests=2000)
check "app.nginx with ab runs on the host" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -5 "$TMP/err")"
rps=$(val app.nginx requests_per_s)
check "... requests/s is a positive figure ($rps)" awk -v v="$rps" 'BEGIN { exit !(v > 0) }'
cpu=$(val app.nginx client_cpu)
check "... and ab's CPU share is measured ($cpu %)" awk -v v="$cpu" 'BEGIN { exit !(v > 0 && v < 250) }'
check "... the params record the client" \
	bash -c "sqlite3 '$VIRTBENCH_DB' \"SELECT params FROM workloads WHERE name = 'app.nginx'\" | grep -q '\"client\": *\"ab\"'"
check "... nothing of nginx is left" nothing_left

rc=$(rc_of "$VB" run -q -p host -w app.nginx --runs 2 --min-runs 2 --warmup 0 --set client=wrk \
	--set duration_s=2)
check "app.nginx with client=wrk runs" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -5 "$TMP/err")"
rc=$(rc_of "$VB" run -q -p host -w app.nginx --set client=curl)
check "client=curl is refused up front, naming the choices" \
	bash -c "[ $rc = 2 ] && grep -q 'client is one of ab or wrk' '$TMP/err'"

# The interpreters: the scripts inside the agent, the host's python3 and php.
for w in app.python app.php; do
	rc=$(rc_of "$VB" run -q -p host -w $w --runs 2 --min-runs 2 --warmup 0 --set iterations=2000 \
		--set rounds=1)
	total=$(val $w total)
	sum=$(sql "SELECT sum(v.value) FROM sample_values v WHERE v.metric != 'total' AND v.sample_id =
		(SELECT max(s.id) FROM samples s JOIN workloads w ON w.id = s.workload_id
		 WHERE w.name = '$w' AND s.ok)")
	check "$w runs on the host, its total ($total s) the sum of its tests' ($sum s)" \
		awk -v t="$total" -v s="$sum" -v rc="$rc" 'BEGIN { exit !(rc == 0 && t > 0 && s > 0.999 * t && s < 1.001 * t + 1e-5) }'
	[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
done

# A port someone else holds. where=guest: the server and client have a
# network namespace of their own, so the host's listener is neither in the
# way nor measured in the server's place.
python3 -c '
import os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(0.2)
print(s.getsockname()[1], flush=True)
n = 0
while not os.path.exists(sys.argv[1] + ".stop"):
    try:
        c, _ = s.accept(); n += 1; c.close()
    except socket.timeout:
        pass
open(sys.argv[1], "w").write(str(n))' "$TMP/accepted" >"$TMP/port" &
holder=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
port=$(cat "$TMP/port")
rc=$(rc_of "$VB" run -q -p host -w app.nginx --runs 2 --min-runs 2 --warmup 0 --set requests=500 \
	--set "port=$port")
check "where=guest: a port the host's other programs hold is not in the way (own network)" test "$rc" = 0
# where=host: the server is on the host's network, and a taken port is a clear failure.
rc=$(rc_of "$VB" run -q -p host -w app.nginx --runs 2 --warmup 0 --set requests=500 --set "port=$port" \
	--set where=host)
touch "$TMP/accepted.stop"
wait "$holder" 2>/dev/null
check "where=host: a port already taken fails the sample and says so" \
	bash -c "[ $rc != 0 ] && grep -q 'port $port on 127.0.0.1 is already taken' '$TMP/err'"
[ "$rc" != 0 ] || diag "$(tail -3 "$TMP/err")"
check "... the other program was never measured (it accepted $(cat "$TMP/accepted" 2>/dev/null) connections)" \
	test "$(cat "$TMP/accepted" 2>/dev/null)" = 0
check "... and nothing is left" nothing_left
rc=$(rc_of "$VB" run -q -p host -w app.nginx --runs 2 --min-runs 2 --warmup 0 --set requests=1000 \
	--set where=host --set client=wrk --set duration_s=1)
check "where=host: the client runs on the host through the peer" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
rc=$(rc_of "$VB" run -q -p host -w app.pgbench --runs 2 --min-runs 2 --warmup 0 --set scale=1 \
	--set transactions=50 --set where=host)
check "... pgbench too" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
# where=host on the host's own network: anyone here reaches the server, so it
# answers on the client's one address and wants the job's password. A login
# without it (as any local user would try) is refused while the load runs.
"$VB" run -q -p host -w app.pgbench --runs 1 --min-runs 1 --warmup 0 --set scale=1 \
	--set duration_s=15 --set where=host >/dev/null 2>"$TMP/err" &
bg=$!
pgport=
for _ in $(seq 300); do
	pgport=$(servers | sed -n 's/.*postgres -D .* -p \([0-9]*\) .*/\1/p' | head -1)
	[ -n "$pgport" ] && ss -ltn | grep -q "127.0.0.1:$pgport " && break
	sleep 0.1
done
psql=$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -1)
login=$(PGCONNECT_TIMEOUT=5 "$psql" -w -h 127.0.0.1 -p "${pgport:-1}" -U postgres -Atc 'SELECT 1' postgres 2>&1)
wide=$(ss -ltn | grep -cE "(0\.0\.0\.0|\[::\]|\*):${pgport:-1} ")
wait $bg
rc=$?
check "where=host on the host: a login without the job's password is refused ($login)" \
	bash -c "[ -n '$pgport' ] && [ $rc = 0 ] && echo '$login' | grep -qE 'password|authentication'"
check "... and the server listened on the client's address only, not on every one" \
	bash -c "[ -n '$pgport' ] && [ $wide = 0 ]"
rc=$(rc_of "$VB" run -q -p container -w app.nginx --set where=host --net nat)
check "where=host behind --net nat is refused up front" \
	bash -c "[ $rc = 2 ] && grep -q 'where=host: the host drives' '$TMP/err'"

# PostgreSQL: a fixed transaction count, checked by the workload.
rc=$(rc_of "$VB" run -q -p host -w app.pgbench --runs 2 --min-runs 2 --warmup 0 --set scale=1 \
	--set clients=2 --set threads=1 --set transactions=200)
check "app.pgbench (-t 200, 2 clients) runs on the host" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -5 "$TMP/err")"
tps=$(val app.pgbench tps)
check "... tps is a positive figure ($tps)" awk -v v="$tps" 'BEGIN { exit !(v > 0) }'
check "... nothing of PostgreSQL is left" nothing_left
rc=$(rc_of "$VB" run -q -p host -w app.pgbench --set clients=2 --set threads=3)
check "threads above clients is refused up front" \
	bash -c "[ $rc = 2 ] && grep -q 'threads=3 is more than clients=2' '$TMP/err'"

# Ctrl-C during the load: the run ends, incomplete, and takes its servers along.
"$VB" run -q -p host -w app.pgbench --runs 3 --warmup 0 --set scale=1 --set duration_s=120 \
	>/dev/null 2>"$TMP/err-int" &
pid=$!
for _ in $(seq 300); do pgrep -x pgbench >/dev/null && pgrep -af '[p]gbench -c' >/dev/null && break; sleep 0.2; done
loaded=$(pgrep -af '[p]gbench -c' | wc -l)
kill -INT "$pid"
wait "$pid"
rc=$?
check "Ctrl-C during pgbench's load ends the run (exit $rc, the load had started: $loaded)" \
	bash -c "[ $rc != 0 ] && [ $loaded -ge 1 ]"
status=$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")
check "... the run is marked $status" test "$status" = incomplete
check "... and no server, client, directory or mount is left" nothing_left

# A full data disk: the state directory (the host's scratch) on a 40 MiB tmpfs.
small="$TMP/small"
mkdir -p "$small" && mount -t tmpfs -o size=40m,mode=0700 vb-small "$small"
VIRTBENCH_STATE_DIR="$small/state" rc_of "$VB" run -q -p host -w app.pgbench --runs 2 --warmup 0 \
	--set scale=8 --set transactions=10 >/dev/null
check "a full data disk fails the sample with PostgreSQL's reason" \
	grep -qiE 'no space left|could not (extend|write)' "$TMP/err"
grep -qiE 'no space left|could not (extend|write)' "$TMP/err" || diag "$(tail -3 "$TMP/err")"
check "... and nothing is left" bash -c "nothing_left && [ -z \"\$(find '$small' -name 'svc-*')\" ]"
umount "$small"
exit $_failed
