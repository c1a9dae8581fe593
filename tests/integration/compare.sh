#!/bin/bash
# `virtbench compare`: suites resolved to workloads, the platforms chosen,
# the run stored as experiment compare with its baseline, and the HTML
# report written next to it; bad input refused before anything runs.
. "$(dirname "$0")/lib.bash"
plan 12
if [ "$(id -u)" != 0 ]; then
	for i in $(seq 12); do skip "compare $i" "needs root (containers)"; done
	exit 0
fi
"$VB" compare -q -p host,container --suite w1 --runs 2 --min-runs 2 --warmup 0 \
	--set limit=100000 --set loops=100 --set locks=20000 --set keys=1 --set bits=1024 \
	-o "$TMP/r.html" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "compare --suite w1 -p host,container exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
check "the w1 suite is the four w1 workloads" \
	test "$(sql "SELECT group_concat(name, ' ') FROM (SELECT name FROM workloads ORDER BY ord)")" = \
	"cpu.primes cpu.whetstone cpu.mutex cpu.rsa"
check "stored as experiment compare, host recorded as the baseline" \
	test "$(sql "SELECT experiment || ' ' || json_extract(config, '\$.baseline') FROM runs")" = "compare host"
check "the stacked w1 view is printed" grep -q "stacked elapsed time" "$TMP/out"
check "the report is written and named" \
	bash -c "grep -q '^report: $TMP/r.html' '$TMP/out' && grep -q 'data-kind=\"stack\"' '$TMP/r.html'"
# The overview (a forest plot of every ratio, log axis): each of its marks
# equals the database's summary, with the verdict, one per container metric.
run_id=$(sql "SELECT id FROM runs ORDER BY id DESC LIMIT 1")
sql "SELECT p.name, w.name, x.metric, quote(x.ratio), quote(x.ratio_low), quote(x.ratio_high),
	x.verdict FROM summaries x JOIN platforms p ON p.id = x.platform_id
	JOIN workloads w ON w.id = x.workload_id WHERE x.run_id = $run_id AND p.name != 'host'" \
	>"$TMP/ratios"
python3 - "$TMP/r.html" "$TMP/ratios" >"$TMP/py.out" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
num = lambda s: None if s in ("null", "NULL") else float(s)
db = {}
for line in open(sys.argv[2]):
    p, w, m, r, lo, hi, v = line.rstrip("\n").split("|")
    db[(p, w, m)] = ((num(r), num(lo), num(hi)), v)
forests = [e for e in root.iter() if e.get("data-chart") == "forest"]
seen, bad = {}, 0
for e in (forests[0].iter() if forests else []):
    if e.get("data-verdict") is None:
        continue
    key = (e.get("data-platform"), e.get("data-workload"), e.get("data-metric"))
    got = ((num(e.get("data-value")), num(e.get("data-low", "null")), num(e.get("data-high", "null"))), e.get("data-verdict"))
    seen[key] = seen.get(key, 0) + 1
    if db.get(key) != got:
        bad += 1
        print("mismatch", key, "html", got, "db", db.get(key))
print(f"{len(forests)} forest, {len(seen)} rows of {len(db)} ratios, {bad} bad")
sys.exit(0 if len(forests) == 1 and not bad and db and set(seen) == set(db) and set(seen.values()) == {1} else 1)
PY
rc=$?
check "the report opens with the overview: each ratio and verdict as stored ($(tail -n 1 "$TMP/py.out"))" \
	test $rc = 0
[ $rc = 0 ] || diag "$(head -n 10 "$TMP/py.out")"
if command -v chromium >/dev/null; then
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$(mktemp -d "$TMP/chrome.XXXXXX")" \
		--dump-dom "file://$TMP/r.html" >"$TMP/dom" 2>/dev/null
	check "chromium renders the overview's rows" \
		bash -c "grep -q 'data-chart=\"forest\"' '$TMP/dom' && [ \$(grep -o 'data-verdict=' '$TMP/dom' | wc -l) = $(wc -l <"$TMP/ratios") ]"
else
	not_ok "chromium renders the overview (chromium is not installed: apt-get install chromium)"
fi
"$VB" compare -q --suite w9 >/dev/null 2>"$TMP/err"
check "an unknown suite: exit 2" bash -c "[ $? = 2 ] && grep -q \"unknown suite 'w9'\" '$TMP/err'"
n=$(sql "SELECT count(*) FROM runs")
"$VB" compare -q -p host --suite w1 -o /nonexistent/r.html >/dev/null 2>"$TMP/err"
check "a report in a missing directory: exit 2 before anything runs" \
	bash -c "[ $? = 2 ] && grep -q 'does not exist' '$TMP/err' && [ \"\$(sqlite3 '$VIRTBENCH_DB' 'SELECT count(*) FROM runs')\" = $n ]"
"$VB" compare -q -p host --suite w1 --vcpus 2 >/dev/null 2>&1
check "--vcpus belongs to scale: exit 2" test $? = 2

# The pipeline check: the run against a results file where everything was 3x
# faster; 10 samples a side, so the interval decides even on a loaded machine.
"$VB" run -q -p host -w cpu.primes --set limit=100000 --runs 10 --min-runs 10 --ci-target 0 \
	--json "$TMP/base.json" >/dev/null 2>&1
python3 - "$TMP/base.json" "$TMP/fast.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["samples"]:
    v = s["values"] or {}
    if "elapsed" in v:
        v["elapsed"] /= 3
json.dump(d, open(sys.argv[2], "w"))
PY
"$VB" run -q -p host -w cpu.primes --set limit=100000 --runs 10 --min-runs 10 --ci-target 0 \
	--baseline "$TMP/fast.json" --tolerance 10 >"$TMP/out" 2>"$TMP/err"
check "--baseline: a regression beyond the tolerance exits 1 and is named" \
	bash -c "[ $? = 1 ] && grep -q 'REGRESSION' '$TMP/out' && grep -q 'regression' '$TMP/err'"
n=$(sql "SELECT count(*) FROM runs")
"$VB" run -q -p host -w cpu.primes --baseline /etc/hostname >/dev/null 2>&1
check "--baseline that is no results file: exit 2 before anything runs" \
	bash -c "[ $? = 2 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' 'SELECT count(*) FROM runs')\" = $n ]"
