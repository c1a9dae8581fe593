#!/bin/bash
# w3 through the whole path: virtbench starts the peer on loopback, the
# agent's workloads talk to it, and the peer is gone afterwards.
. "$(dirname "$0")/lib.bash"
plan 4
"$VB" run -q --runs 2 --min-runs 2 --warmup 0 -w net.tcp,net.rr,stress.net \
	--set duration_ms=200 --set count=300 >"$TMP/out" 2>"$TMP/err" &
pid=$!
peer=""
for _ in $(seq 50); do
	peer=$(pgrep -P $pid -f -- '--peer 127.0.0.1:0')
	[ -n "$peer" ] && break
	sleep 0.1
done
wait $pid
rc=$?
check "net run exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "a peer was started on loopback for it" test -n "$peer"
check "the peer is gone after the run" bash -c "! kill -0 ${peer:-999999} 2>/dev/null"
check "throughput, latency and aggressor rate stored" \
	test "$(sql "SELECT count(*) FROM summaries WHERE n = 2 AND mean > 0")" = 6
