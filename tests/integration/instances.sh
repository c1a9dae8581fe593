#!/bin/bash
# --instances K: fresh guests as the top level of replication. Each instance
# is a new guest (a new container, a new host agent), the rounds are split
# evenly over them, the intervals are computed across instances and the
# variance components are stored and shown.
. "$(dirname "$0")/lib.bash"
plan 15
need_container 14 "instances"
"$VB" compare -v -q -p host,container -w cpu.primes --instances 3 --runs 6 --warmup 1 \
	--set limit=100000 --json "$TMP/out.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "compare --instances 3 exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"
check "3 instances of 3 measured rounds (+1 warm-up) per platform" \
	test "$(sql "SELECT group_concat(c, ' ') FROM (SELECT platform_id, instance, count(*) || '/' || sum(warmup) AS c FROM samples GROUP BY 1, 2 ORDER BY 1, 2)")" = "3/1 3/1 3/1 3/1 3/1 3/1"
check "rounds go on across instances (0-8)" \
	test "$(sql "SELECT min(round) || '-' || max(round) || ' ' || count(DISTINCT round) FROM samples")" = "0-8 9"
tag=$(sql "SELECT tag FROM runs")
check "every instance is a fresh guest: six guest names" \
	test "$(grep -o "instance [0-9] of [a-z]*: guest $tag-[0-9]" "$TMP/err" | sort -u | wc -l)" = 6
check "guest names go on: $tag-0 .. $tag-5" \
	test "$(grep -o "guest $tag-[0-9]*" "$TMP/err" | sort -u | tr '\n' ' ')" = "guest $tag-0 guest $tag-1 guest $tag-2 guest $tag-3 guest $tag-4 guest $tag-5 "
check "summaries: 3 instances per cell with variance components" \
	test "$(sql "SELECT count(*) FROM summaries WHERE instances = 3 AND var_within IS NOT NULL AND var_between >= 0")" = 4
# Across instances the interval is Welch's t on 3 instance means a side:
# its t (from the stored bounds and the means' standard error) belongs to
# 2-4 degrees of freedom (2.78-4.30), not to the 16 of 9 samples a side (2.12).
check "the ratio interval is across instances: t of 2-4 degrees of freedom" \
	python3 -c "
import json, math
d = json.load(open('$TMP/out.json'))
def means(p):
    by = {}
    for s in d['samples']:
        if s['platform'] == p and not s['warmup'] and s['ok']:
            by.setdefault(s['instance'], []).append(math.log(s['values']['elapsed']))
    return [sum(v) / len(v) for v in by.values()]
def var(x):
    m = sum(x) / len(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)
a, b = means('container'), means('host')
se = math.sqrt(var(a) / len(a) + var(b) / len(b))
x = [x for x in d['summaries'] if x['platform'] == 'container' and x['metric'] == 'elapsed'][0]
t = math.log(x['ratio_high'] / x['ratio']) / se
assert abs(math.log(x['ratio']) - (sum(a) / 3 - sum(b) / 3)) < 1e-9, 'ratio'
assert 2.7 < t < 4.4, t
"
check "the table shows the replication section" \
	grep -q '^replication over fresh guests' "$TMP/out"
check "the JSON export carries instance and the components" \
	python3 -c "
import json,sys
d=json.load(open('$TMP/out.json'))
assert {s['instance'] for s in d['samples']} == {0,1,2}
assert all(x['instances'] == 3 and 'var_between' in x for x in d['summaries'])
"
check "config records instances and the fixed design" \
	test "$(sql "SELECT json_extract(config, '\$.instances') || ' ' || (json_extract(config, '\$.stop_rule') LIKE 'fixed%') FROM runs")" = "3 1"
# A doctored store: counts and variances it never writes are shown as
# unknown, not as 4294967291 instances, "-nan%" or a text read as 0.00%.
sql "UPDATE summaries SET instances = -5 WHERE metric = 'elapsed' AND platform_id = (SELECT min(platform_id) FROM summaries);
	UPDATE summaries SET var_within = -1, var_between = 'abc' WHERE metric = 'rate'"
"$VB" show 1 >"$TMP/show" 2>&1
check "a doctored store: show exits 0, no impossible instance count, no nan, text variances unknown" \
	bash -c "! grep -qE '4294967291|nan' '$TMP/show' && grep -E '^  cpu.primes +rate ' '$TMP/show' | grep -qE ' 3 +- +-\$'"
"$VB" show 1 --json "$TMP/doctored.json" >/dev/null 2>&1
check "a doctored store: the JSON export says 1 instance and null variances, as the store could have written" \
	python3 -c "
import json
d = json.load(open('$TMP/doctored.json'))
xs = d['summaries']
assert all(isinstance(x['instances'], int) and x['instances'] >= 1 for x in xs)
assert all(x['var_within'] is None or (isinstance(x['var_within'], float) and x['var_within'] >= 0) for x in xs)
assert all(x['var_between'] is None or (isinstance(x['var_between'], float) and x['var_between'] >= 0) for x in xs)
assert any(x['var_between'] is None for x in xs)
"
rm -f "$VIRTBENCH_DB"
"$VB" compare -q -p host,container -w cpu.primes --instances 0 >/dev/null 2>"$TMP/err"
check "--instances 0: exit 2 with one line" test $? = 2 -a "$(wc -l <"$TMP/err")" = 1
"$VB" compare -q -p host,container -w cpu.primes --instances abc >/dev/null 2>&1
check "--instances abc: exit 2, nothing stored" test $? = 2 -a ! -e "$VIRTBENCH_DB"
check "nothing of $tag left behind" test -z "$(vb_cgroup_leftovers "$tag")$(ip -o link | grep " $tag")$(ls /var/lib/virtbench | grep "$tag")"
