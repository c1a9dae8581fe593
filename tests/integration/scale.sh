#!/bin/bash
# `virtbench scale`: one container instance per vCPU count and memory size,
# host as the single baseline; sizes this host cannot give are refused.
. "$(dirname "$0")/lib.bash"
plan 7
if [ "$(id -u)" != 0 ]; then
	for i in $(seq 7); do skip "scale $i" "needs root (namespaces, cgroups)"; done
	exit 0
fi
ncpu=$(nproc)
"$VB" scale -q -p host,container -w cpu.primes --vcpus 1 --memory 256MiB,50% "${quick_args[@]:0:7}" \
	--set limit=100000 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "scale host,container exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
check "one instance per size, host once as the baseline" \
	test "$(sql "SELECT count(*) || ' ' || sum(name = 'host') || ' ' || sum(name = 'container[vcpus=1,mem=256MiB]') || ' ' || (SELECT name FROM platforms WHERE ord = 0) FROM platforms")" = "3 1 1 host"
check "each instance's spec is stored" \
	test "$(sql "SELECT json_extract(spec, '\$.vcpus') || ' ' || json_extract(spec, '\$.memory_bytes') FROM platforms WHERE name = 'container[vcpus=1,mem=256MiB]'")" = "1 268435456"
check "ratios to host for every instance" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name != 'host' AND x.metric = 'elapsed' AND x.ratio > 0")" = 2
"$VB" scale -q -p container -w cpu.primes --vcpus $((ncpu + 1)) >/dev/null 2>"$TMP/err"
check "more vCPUs than the host has: exit 2" bash -c "[ $? = 2 ] && grep -q 'this host has $ncpu CPUs' '$TMP/err'"
"$VB" scale -q -p container -w mem.memcpy --memory 64MiB >/dev/null 2>"$TMP/err"
check "a guest too small for its workload: exit 2" bash -c "[ $? = 2 ] && grep -q 'below what the workloads need' '$TMP/err'"
"$VB" run -q --vcpus 2 >/dev/null 2>&1
check "--vcpus is refused outside scale: exit 2" test $? = 2
