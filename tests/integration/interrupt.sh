#!/bin/bash
# Ctrl-C and SIGKILL mid-run: what was measured stays, the run is marked
# incomplete, and nothing of the run is left behind.
. "$(dirname "$0")/lib.bash"
plan 12

# wait_samples N: until the database holds N committed samples (max ~30 s).
wait_samples() {
	for _ in $(seq 300); do
		n=$(sql "SELECT count(*) FROM samples" 2>/dev/null || echo 0)
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# gone PID...: every pid is gone or a zombie, within 10 s.
gone() {
	for _ in $(seq 100); do
		local alive=0
		for p in "$@"; do
			st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
			[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ] && alive=1
		done
		[ $alive = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 --set limit=200000 --set size=4M >/dev/null 2>"$TMP/err" &
pid=$!
wait_samples 4
agents=$(pgrep -P $pid)
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: exit 130" test $rc = 130
check "SIGINT: one line says the run is kept, incomplete" bash -c "grep -q 'marked incomplete' '$TMP/err'"
check "SIGINT: run marked incomplete" test "$(sql 'SELECT status FROM runs')" = incomplete
n=$(sql "SELECT count(*) FROM samples WHERE ok = 1")
check "SIGINT: samples taken before are intact ($n)" test "$n" -ge 4
check "SIGINT: database integrity ok" test "$(sql 'PRAGMA integrity_check')" = ok
check "SIGINT: summaries computed from what was kept" test "$(sql 'SELECT count(*) FROM summaries WHERE n >= 2')" -ge 1
check "SIGINT: agent processes gone" gone $agents
check "SIGINT: state directory empty" test "$(find "$VIRTBENCH_STATE_DIR" -mindepth 1 | wc -l)" = 0

# A fresh database for the second half.
export VIRTBENCH_DB="$TMP/kill.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 --set limit=200000 --set size=4M >/dev/null 2>&1 &
pid=$!
wait_samples 4
agents=$(pgrep -P $pid)
committed=$(sql "SELECT count(*) FROM samples")
kill -KILL $pid
wait $pid 2>/dev/null
check "SIGKILL: the agent dies with its supervisor" gone $agents
"$VB" runs >"$TMP/runs" 2>"$TMP/err"
check "SIGKILL: next start sweeps and reports it" bash -c "grep -q 'swept' '$TMP/err' && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"
check "SIGKILL: run marked incomplete" grep -qE '^[0-9]+ +vb-[0-9a-f]{8} +incomplete' "$TMP/runs"
n=$(sql "SELECT count(*) FROM samples")
check "SIGKILL: committed samples intact ($n >= $committed), integrity ok" \
	bash -c "[ $n -ge $committed ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' 'PRAGMA integrity_check')\" = ok ]"
