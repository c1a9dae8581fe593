#!/bin/bash
# The agent on its own: static, speaks the documented protocol, survives garbage.
. "$(dirname "$0")/lib.bash"
plan 8
check "virtbench-agent is statically linked" bash -c "! ldd '$AGENT' >/dev/null 2>&1 && file '$AGENT' | grep -q 'statically linked'"
job='{"v":1,"type":"job","id":"j1","workload":"cpu.primes","params":{"limit":1000,"threads":2}}'
printf '%s\n' "$job" '{"v":1,"type":"quit"}' | "$AGENT" >"$TMP/ev" 2>"$TMP/err"
rc=$?
check "agent exits 0 after quit" test $rc = 0
check "events: hello, started, log, sample, done" \
	test "$(jq -r .type "$TMP/ev" | tr '\n' ' ')" = "hello started log sample done "
check "hello names protocol 1; sample has elapsed and rate; done ok" \
	bash -c "jq -e -s '.[0].protocol == 1 and .[3].values.elapsed > 0 and .[3].values.rate > 0 and .[4].ok == true' '$TMP/ev' >/dev/null"
printf '%s\n' 'not json' '{"v":2,"type":"job"}' "$(head -c 70000 /dev/zero | tr '\0' x)" \
	'{"v":1,"type":"job","id":"j2","workload":"nosuch"}' \
	'{"v":1,"type":"job","id":"j3","workload":"cpu.primes","params":{"threads":0}}' "$job" |
	"$AGENT" >"$TMP/ev2" 2>/dev/null
check "garbage, wrong version and an over-long line each get an error event" \
	test "$(jq -r 'select(.job == "-") | .type' "$TMP/ev2" | sort | uniq -c | awk '{print $1 $2}')" = "3error"
check "unknown workload and bad params fail their job, not the agent" \
	bash -c "jq -e -s '[.[] | select(.type == \"done\")] | .[0].ok == false and .[1].ok == false and .[2].ok == true' '$TMP/ev2' >/dev/null"
check "the agent keeps stdout for the protocol (every line is JSON)" bash -c "jq -e . '$TMP/ev2' >/dev/null"
printf '%s\n' "$job" | "$VB" agent >"$TMP/ev3"
check "'virtbench agent' speaks the same protocol" test "$(jq -r .type "$TMP/ev3" | tr '\n' ' ')" = "hello started log sample done "
