#!/bin/bash
# virtbench recommend: the made-up runs of tests/data/recommend given as
# results files (a required feature that excludes the first, weights that
# flip the order, an unmeasured platform unranked, a close ranking called
# close, the JSON), bad input refused with one line and exit 2, and a real
# compare run in the database read without naming it.
. "$(dirname "$0")/lib.bash"
N=19
plan $N
D="$ROOT/tests/data/recommend"
ALL=("$D/compare.json" "$D/ops.json" "$D/isolation.json" "$D/features.json")
rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }

rc=$(rc_of "$VB" recommend "${ALL[@]}" --json "$TMP/r.json")
check "recommend over four results files exits 0" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(cat "$TMP/err")"
check "... the answer first: container, robust against kvm" \
	bash -c "sed -n 2p '$TMP/out' | grep -q '^  container, robust: its lead over kvm holds at both ends'"
check "... xen, measured by ops and isolation alone, is unknown, not ranked" \
	grep -q "xen  *not ranked: overhead: unknown (not measured on it)" "$TMP/out"
check "... qemu-tcg, emulated, is no candidate" \
	grep -q "qemu-tcg (emulated)  *not ranked: emulated (TCG)" "$TMP/out"
check "... every ratio is cited with its run and interval" \
	grep -q "overhead   run 11 disk.fileio seq_write kvm: ratio 0.6 \[0.582, 0.618\]" "$TMP/out"
check "... the JSON says the same (first container, robust, xen and qemu-tcg unranked)" \
	bash -c "[ \"\$(jq -r '.first + \" \" + (.robust|tostring) + \" \" + ([.not_ranked[].platform]|sort|join(\",\"))' '$TMP/r.json')\" = 'container true qemu-tcg,xen' ]"

rc=$(rc_of "$VB" recommend "${ALL[@]}" --require live-migration)
check "--require live-migration: the container is out, kvm first" \
	bash -c "[ $rc = 0 ] && grep -q 'container  *not ranked: live-migration: no (features run 14)' '$TMP/out' && sed -n 2p '$TMP/out' | grep -q '^  kvm'"
printf 'overhead = 1\noperations = 0\nisolation = 10 # isolation first\nfootprint = 0\n' >"$TMP/w"
rc=$(rc_of "$VB" recommend "${ALL[@]}" --weights "$TMP/w")
check "--weights with isolation first flips the order: kvm first" \
	bash -c "[ $rc = 0 ] && sed -n 2p '$TMP/out' | grep -q '^  kvm' && grep -q 'operations 0: not used (weight 0)' '$TMP/out'"
printf 'overhead = 1\noperations = 0\nisolation = 0\nfootprint = 0\n' >"$TMP/w1"
rc=$(rc_of "$VB" recommend "$D/compare.json" --for broker --weights "$TMP/w1")
check "--for broker on overhead alone: container, close (the intervals overlap)" \
	bash -c "[ $rc = 0 ] && sed -n 2p '$TMP/out' | grep -q '^  container, close: its lead over kvm holds at the point estimates only'"

# Bad input: one line, exit 2.
mkfifo "$TMP/fifo"
printf 'speed = 3\n' >"$TMP/bad-w"
bad_cases=(
	"--for: unknown 'mongodb'|recommend ${ALL[0]} --for broker,mongodb"
	"--require: unknown 'teleport'|recommend ${ALL[0]} --require teleport"
	"unknown criterion 'speed'|recommend ${ALL[0]} --weights $TMP/bad-w"
	"not a regular file|recommend ${ALL[0]} --weights $TMP/fifo"
	"nothing to rank platforms by|recommend $D/features.json"
	"no run|recommend 424242"
)
for c in "${bad_cases[@]}"; do
	IFS='|' read -r pattern args <<<"$c"
	# shellcheck disable=SC2086
	rc=$(rc_of timeout 20 "$VB" $args)
	check "'virtbench $(echo "$args" | sed "s|$ROOT/||g; s|$TMP/||g")': exit 2, one line" \
		bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -qF -- \"$pattern\" '$TMP/err'"
	[ "$rc" = 2 ] || diag "exit $rc: $(cat "$TMP/err")"
done

# A real compare run in the database, read without naming it.
if [ "$(id -u)" = 0 ] && "$VB" list platforms | grep -qE '^container +available'; then
	"$VB" compare -q -p host,container --suite w1 -w sys.linpack --runs 2 --min-runs 2 --warmup 0 \
		--set limit=100000 --set loops=100 --set locks=20000 --set keys=1 --set bits=1024 \
		--set sys.linpack.n=300 \
		>/dev/null 2>"$TMP/cerr"
	run=$(sql "SELECT id FROM runs WHERE experiment = 'compare' ORDER BY id DESC LIMIT 1")
	rc=$(rc_of "$VB" recommend --for cpu)
	check "recommend reads the latest compare run (run $run) of the database by itself" \
		bash -c "[ $rc = 0 ] && grep -q '^recommendation for cpu (runs $run):' '$TMP/out' && sed -n 2p '$TMP/out' | grep -q '^  container: the only platform'"
	[ "$rc" = 0 ] || diag "$(cat "$TMP/err" "$TMP/cerr")"
	# The study's report of that run: its verdicts and recommendation are recommend --study's.
	"$VB" recommend "$run" --study >"$TMP/text" 2>"$TMP/err"
	"$VB" report "$run" --study -o "$TMP/s.html" >/dev/null 2>>"$TMP/err"
	if command -v chromium >/dev/null; then
		chromium --headless --no-sandbox --disable-gpu --user-data-dir="$(mktemp -d "$TMP/chrome.XXXXXX")" \
			--dump-dom "file://$TMP/s.html" >"$TMP/dom" 2>/dev/null
	else
		cp "$TMP/s.html" "$TMP/dom"
		diag "chromium is not installed: the page itself is checked"
	fi
	python3 - "$TMP/dom" "$TMP/text" >"$TMP/py.out" 2>&1 <<'PY'
import re, sys, html
dom, text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
page = dict(re.findall(r'data-finding="([^"]+)" data-verdict="([^"]+)"', dom))
told = dict(re.findall(r'^\S.* \([^,]+, ([a-z0-9.-]+)\) .*: (agrees|differs|partly|inconclusive|not measured|not mapped)$', text, re.M))
first = re.search(r'data-first="([^"]*)"', dom)
answer = text.splitlines()[1].split(",")[0].split(":")[0].strip()
bad = [k for k in told if page.get(k) != told[k]]
print(f"{len(page)} findings in the page, {len(told)} in the text, {len(bad)} differ; first {first and first.group(1)} / {answer}")
sys.exit(0 if page and set(page) == set(told) and not bad and first and first.group(1) == answer else 1)
PY
	rc=$?
	check "report --study: every finding's verdict and the recommendation as recommend --study says ($(tail -n 1 "$TMP/py.out"))" \
		test $rc = 0
	[ $rc = 0 ] || diag "$(head -n 5 "$TMP/py.out") $(cat "$TMP/err")"
	# Each claim judged on a stored cell carries that cell: exactly the database's.
	sql "SELECT p.name, w.name, x.metric, quote(x.ratio), quote(x.ratio_low), quote(x.ratio_high)
		FROM summaries x JOIN platforms p ON p.id = x.platform_id
		JOIN workloads w ON w.id = x.workload_id WHERE x.run_id = $run" >"$TMP/cells"
	python3 - "$TMP/s.html" "$TMP/cells" "$run" >"$TMP/py2.out" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
num = lambda v: None if v in ("null", "NULL") else float(v)
db = {}
for line in open(sys.argv[2]):
    p, w, m, r, lo, hi = line.rstrip("\n").split("|")
    db[(p, w, m)] = (num(r), num(lo), num(hi))
seen = bad = 0
for e in root.iter():
    if e.get("class") != "claim":
        continue
    seen += 1
    key = (e.get("data-platform"), e.get("data-workload"), e.get("data-metric"))
    got = (num(e.get("data-value")), num(e.get("data-low", "null")), num(e.get("data-high", "null")))
    if e.get("data-run") != sys.argv[3] or db.get(key) != got:
        bad += 1
        print("mismatch", key, got, db.get(key))
print(f"{seen} claims on stored cells, {bad} differ from the database")
sys.exit(0 if seen and not bad else 1)
PY
	rc=$?
	check "... every claim judged on a stored cell shows that cell exactly ($(tail -n 1 "$TMP/py2.out"))" \
		test $rc = 0
	[ $rc = 0 ] || diag "$(head -n 5 "$TMP/py2.out")"
	check "... and the study's LINPACK claim (fig. 4.12: the container the same as bare metal) is judged" \
		bash -c "grep -qE '^  - container the same as host: sys.linpack gflops: (agrees|differs|inconclusive) \(run $run: ' '$TMP/text'"
else
	for _ in 1 2 3 4; do
		skip "recommend reads the database's latest compare run" "needs root and the container platform"
	done
fi
exit $_failed
