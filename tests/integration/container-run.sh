#!/bin/bash
# The container platform through `virtbench run`: host and container side by
# side, then SIGKILL of the supervisor mid-run and the sweep at the next start.
. "$(dirname "$0")/lib.bash"
plan 11
need_container 11 "container run"
ours() { vb_cgroup_leftovers "$1"; }

"$VB" run "${quick_args[@]}" -p host,container -w cpu.primes,mem.memcpy,disk.fileio \
	--set file_size=4M --set ops=200 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "host + container run exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "every container cell has a ratio to host and a verdict" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'container' AND x.ratio IS NOT NULL AND x.verdict != 'none'")" = 9
tag=$(sql "SELECT tag FROM runs")
check "the container's agent hash is the agent's" test "$(sql "SELECT agent_sha256 FROM platforms WHERE name = 'container'")" = "$(sha256sum "$AGENT" | cut -d' ' -f1)"
check "nothing of the run is left (cgroups, work directory)" bash -c "[ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"

# w3 over the run's bridge: a veth per guest, the peer on the bridge address.
export VIRTBENCH_DB="$TMP/net.db"
links_before=$(ip -o link | grep -c ' vb-')
"$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p host,container -w net.tcp,net.rr \
	--set duration_ms=200 --set count=200 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "w3 on host and container exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "container throughput and latency stored with ratios to host" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'container' AND x.mean > 0 AND x.ratio IS NOT NULL")" = 4
check "no bridge or veth of the run is left" test "$(ip -o link | grep -c ' vb-')" = "$links_before"

export VIRTBENCH_DB="$TMP/kill.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p container -w cpu.primes,net.rr --set limit=200000 --set count=100 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
	[ "$(sql 'SELECT count(*) FROM samples' 2>/dev/null)" -ge 3 ] 2>/dev/null && break
	sleep 0.1
done
tag=$(sql "SELECT tag FROM runs")
init=$(pgrep -P $pid | head -1)
kill -KILL $pid
wait $pid 2>/dev/null
gone=1
for _ in $(seq 100); do
	st=$(awk '{print $3}' "/proc/$init/stat" 2>/dev/null)
	{ [ -z "$st" ] || [ "$st" = Z ]; } && { gone=0; break; }
	sleep 0.1
done
check "SIGKILL: the container's init dies with the supervisor" test $gone = 0
check "SIGKILL: its cgroups and bridge are still there before the next start" \
	bash -c "[ -n \"\$(vb_cgroup_leftovers $tag)\" ] && ip link show $tag >/dev/null 2>&1"
"$VB" runs >/dev/null 2>"$TMP/err"
check "SIGKILL: the next start sweeps and says so" grep -q "cgroup" "$TMP/err"
check "SIGKILL: nothing of that run remains (cgroups in every hierarchy, bridge and veths, overlay dirs, mounts)" \
	bash -c "[ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ ! -e '$VIRTBENCH_STATE_DIR/$tag' ] && ! grep -q '$tag' /proc/self/mountinfo && ! ip -o link | grep -q ' $tag'"
