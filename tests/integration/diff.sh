#!/bin/bash
# virtbench diff on real runs: two host runs, a run against its export, a
# doctored export that must be caught as a regression, and bad input.
. "$(dirname "$0")/lib.bash"
plan 16
# 10 samples a side: enough for the doctored 3x slowdown below to be
# decided even on a loaded machine (quick cpu.primes varies by 2x there).
for i in 1 2; do
	"$VB" run "${quick_args[@]}" --runs 10 --min-runs 10 --ci-target 0 >/dev/null 2>"$TMP/err" ||
		diag "run $i: $(cat "$TMP/err")"
done
check "two host runs stored" test "$(sql "SELECT count(*) FROM runs WHERE status = 'complete'")" = 2

"$VB" diff 1 2 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "diff of two runs exits 0 (no tolerance given)" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "it lists every cell of both workloads" \
	bash -c "grep -qE '^cpu.primes +elapsed \(lower is better\) +host' '$TMP/out' && grep -qE '^cpu.primes +rate \(higher is better\) +host' '$TMP/out' && grep -qE '^mem.memcpy +bandwidth' '$TMP/out' && grep -q '4 cells compared' '$TMP/out'"
check "same machine: the host fingerprints are the same" grep -q 'host fingerprints: the same' "$TMP/out"
check "both runs are labelled" bash -c "grep -q '^A: run 1 (vb-' '$TMP/out' && grep -q '^B: run 2 (vb-' '$TMP/out'"

"$VB" show 1 --json "$TMP/run1.json" >/dev/null
"$VB" diff "$TMP/run1.json" 1 --tolerance 0 --json "$TMP/self.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "run against its own export: exit 0 at tolerance 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/out" "$TMP/err")"
check "its own export: 4 cells, no change at all, never better or worse" \
	bash -c "jq -e '.counts.cells == 4 and .counts.better == 0 and .counts.worse == 0 and .counts.equivalent + .counts.inconclusive == 4 and .counts.regressions == 0 and ([.cells[].change_pct] | all(. == 0)) and ([.cells[].ratio] | all(. == 1))' '$TMP/self.json' >/dev/null"

# The same run with cpu.primes three times slower (elapsed samples only).
python3 - "$TMP/run1.json" "$TMP/slow.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["samples"]:
    if s["workload"] == "cpu.primes" and "elapsed" in s["values"]:
        s["values"]["elapsed"] *= 3
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
"$VB" diff "$TMP/run1.json" "$TMP/slow.json" --tolerance 10 --json "$TMP/slow-diff.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "3x slower elapsed: exit 1 beyond a 10% tolerance" test $rc = 1
[ $rc = 1 ] || diag "$(cat "$TMP/out" "$TMP/err")"
check "the regressed cell is named" \
	bash -c "grep -E '^cpu.primes +elapsed' '$TMP/out' | grep -q 'REGRESSION beyond 10%' && grep -q 'tolerance 10%: 1 regression$' '$TMP/out'"
check "only that cell regressed (JSON)" \
	bash -c "jq -e '[.cells[] | select(.regression)] | length == 1 and .[0].workload == \"cpu.primes\" and .[0].metric == \"elapsed\" and .[0].verdict == \"worse\"' '$TMP/slow-diff.json' >/dev/null"
"$VB" diff "$TMP/run1.json" "$TMP/slow.json" --tolerance 500 >/dev/null 2>&1
check "within a 500% tolerance: exit 0" test $? = 0
"$VB" diff "$TMP/slow.json" "$TMP/run1.json" --tolerance 10 >/dev/null 2>&1
check "the other way round it is better: exit 0" test $? = 0

# Bad input: exit 2 and one line on stderr naming the problem.
printf '{"format": "something-else", "format_version": 1}\n' >"$TMP/other.json"
jq '.samples[2].values.elapsed = "NaN"' "$TMP/run1.json" >"$TMP/nan.json"
jq '.format_version = 99' "$TMP/run1.json" >"$TMP/v99.json"
cases=(
	"no run|diff 1 424242"
	"cannot read|diff 1 $TMP/missing.json"
	"format|diff 1 $TMP/other.json"
	"samples\[2\].values.elapsed|diff 1 $TMP/nan.json"
	"format_version|diff $TMP/v99.json 1"
	"--tolerance|diff 1 2 --tolerance abc"
	"--tolerance|diff 1 2 --tolerance -5"
	"two runs|diff 1"
)
bad=0
for c in "${cases[@]}"; do
	IFS='|' read -r pattern args <<<"$c"
	# shellcheck disable=SC2086
	"$VB" $args >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc != 2 ] || [ "$(wc -l <"$TMP/err")" != 1 ] || ! grep -q -- "$pattern" "$TMP/err"; then
		bad=1
		diag "virtbench $args: exit $rc" "$(cat "$TMP/err")"
	fi
done
check "bad input (${#cases[@]} cases): exit 2, one line naming the problem" test $bad = 0
check "bad input stored nothing" test "$(sql "SELECT count(*) FROM runs")" = 2
"$VB" diff --help >"$TMP/out"
check "diff --help describes the exit codes" grep -q 'regressions beyond the tolerance' "$TMP/out"
check "virtbench --help lists diff" bash -c "'$VB' --help | grep -qE '^  diff '"
