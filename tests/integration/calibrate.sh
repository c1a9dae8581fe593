#!/bin/bash
# virtbench calibrate: a platform against itself, two interleaved instances;
# the resolution reached and the false verdicts are printed and stored.
. "$(dirname "$0")/lib.bash"
plan 7
"$VB" calibrate "${quick_args[@]}" -p host -w cpu.primes,mem.memcpy --runs 5 --min-runs 5 \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
check "calibrate -p host exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "stored as a calibrate run of host#1 (the baseline) and host#2" \
	test "$(sql "SELECT r.experiment || ' ' || group_concat(p.name, ',') FROM runs r JOIN platforms p ON p.run_id = r.id ORDER BY p.ord")" = "calibrate host#1,host#2"
check "every host#2 cell has a ratio and a verdict" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'host#2' AND x.ratio IS NOT NULL AND x.verdict IN ('faster','slower','equivalent','inconclusive')")" = 4
check "the resolution line names host#2 with its median and worst half-width" \
	grep -qE '^  host#2: median ±[0-9.]+%, worst ±[0-9.]+% over 4 cells; [0-9]+ faster, [0-9]+ slower, [0-9]+ equivalent, [0-9]+ inconclusive$' "$TMP/out"
# The count printed is the count stored.
false_verdicts=$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'host#2' AND x.verdict IN ('faster','slower')")
check "the calibration line counts the stored false verdicts ($false_verdicts of 4)" \
	grep -q "^calibration: $false_verdicts of 4 cells called faster or slower" "$TMP/out"
diag "$(grep -E '^(  host#2|calibration)' "$TMP/out")"
"$VB" show last >"$TMP/show" 2>&1
check "show prints the same calibration line" grep -q "^calibration: $false_verdicts of 4 cells" "$TMP/show"
"$VB" calibrate -q -p host,host >/dev/null 2>"$TMP/err"
check "two platforms: exit 2" test $? = 2
