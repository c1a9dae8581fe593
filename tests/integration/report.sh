#!/bin/bash
# virtbench report: a real host-only run rendered to HTML, every number in it
# checked against the database, bad input refused, and the page rendered by
# headless Chromium.
. "$(dirname "$0")/lib.bash"
# Bad input: exit 2, one line on stderr, nothing written.
mkdir -p "$TMP/outdir"
touch "$TMP/afile"
bad_cases=(
	"no run|report 424242 -o $TMP/outdir/x.html"
	"directory $TMP/nosuch does not exist|report last -o $TMP/nosuch/x.html"
	"missing -o|report last"
	"name at least one run|report -o $TMP/outdir/x.html"
	"is not a directory|report last -o $TMP/afile/x.html"
	"cannot write $TMP/outdir: a directory|report last -o $TMP/outdir"
	"unknown option|report last -o $TMP/outdir/x.html --nosuch"
)
plan $((10 + ${#bad_cases[@]}))
"$VB" run -p host -w cpu.primes,cpu.whetstone,mem.memcpy -q --runs 3 --min-runs 2 --warmup 1 \
	--set limit=100000 --set cpu.whetstone.loops=1000 --set size=1M,4M,16M >"$TMP/run.out" 2>&1
rc=$?
check "host run with a size sweep exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/run.out")"
run_id=$(sql "SELECT id FROM runs ORDER BY id DESC LIMIT 1")

"$VB" report last -o "$TMP/r.html" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "report last -o FILE exits 0 and says where" \
	bash -c "[ $rc = 0 ] && grep -qF '$TMP/r.html' '$TMP/out' && [ -s '$TMP/r.html' ]"
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "the page is self-contained (no script, no outside resource)" \
	bash -c "! grep -qiE '<script|<link|src=|url\\(' '$TMP/r.html' && [ \"\$(grep -o 'http[^\"]*' '$TMP/r.html' | sort -u)\" = 'http://www.w3.org/2000/svg' ]"
check "the footer carries the report command" \
	grep -qF "<code class=\"report-command\">virtbench report last -o $TMP/r.html</code>" "$TMP/r.html"

# Every summary cell of the run, exact (quote() prints a REAL so it reads back the same).
sql "SELECT p.name, w.name, x.metric, x.n, quote(x.mean), quote(x.ci_low), quote(x.ci_high),
	quote(x.ratio), quote(x.ratio_low), quote(x.ratio_high)
	FROM summaries x JOIN platforms p ON p.id = x.platform_id
	JOIN workloads w ON w.id = x.workload_id WHERE x.run_id = $run_id" >"$TMP/summaries"
python3 - "$TMP/r.html" "$TMP/summaries" "$run_id" >"$TMP/py.out" 2>&1 <<'EOF'
import sys, xml.etree.ElementTree as ET
html, rows, run = sys.argv[1], sys.argv[2], sys.argv[3]
root = ET.parse(html).getroot()  # polyglot markup: well-formed XML or this raises
def num(s):
    return None if s in ("null", "NULL") else float(s)
db = {}
for line in open(rows):
    p, w, m, n, *v = line.rstrip("\n").split("|")
    mean, lo, hi, ratio, rlo, rhi = map(num, v)
    db[(p, w, m)] = {"mean": (mean, lo, hi), "stack": (mean, lo, hi), "ratio": (ratio, rlo, rhi), "n": (float(n), None, None)}
checked, bad, seen = 0, 0, {}
for el in root.iter():
    kind = el.get("data-kind")
    if kind not in ("mean", "ratio", "stack", "n"):
        continue
    key = (el.get("data-platform"), el.get("data-workload"), el.get("data-metric"))
    tag = el.tag.split("}")[-1]
    seen.setdefault((key, kind), set()).add(tag)
    want = db.get(key, {}).get(kind)
    got = (num(el.get("data-value")), num(el.get("data-low", "null")), num(el.get("data-high", "null")))
    if kind == "n":
        got = (got[0], None, None)
    if el.get("data-run") != run or want != got:
        bad += 1
        print("mismatch", tag, key, kind, "html", got, "db", want)
    checked += 1
# Every mean is in the table (td) and in a chart (g); ratios too when there are any.
for key, cell in db.items():
    for kind in ("mean", "n"):
        if "td" not in seen.get((key, kind), set()):
            bad += 1
            print("missing from the table:", key, kind)
    if "g" not in seen.get((key, "mean"), set()):
        bad += 1
        print("missing from the charts:", key)
print(f"checked {checked} values against {len(db)} summaries, {bad} bad")
sys.exit(1 if bad or checked < 3 * len(db) or not db else 0)
EOF
rc=$?
check "every mean, CI, n and ratio in the page equals the database ($(tail -n 1 "$TMP/py.out"))" test $rc = 0
[ $rc = 0 ] || diag "$(head -n 20 "$TMP/py.out")"
check "w1 stacked view and the size sweep are drawn" \
	bash -c "grep -q 'data-chart=\"stack\"' '$TMP/r.html' && grep -q 'mem.memcpy: bandwidth by size' '$TMP/r.html'"
cpu=$(sql "SELECT cpu_model FROM hosts WHERE run_id = $run_id")
kernel=$(sql "SELECT kernel FROM hosts WHERE run_id = $run_id")
check "host fingerprint ($cpu, $kernel) and run command are in the page" \
	bash -c "[ -n '$cpu' ] && grep -qF '<td>$cpu</td>' '$TMP/r.html' && grep -qF '<td>$kernel</td>' '$TMP/r.html' && grep -qF '<code class=\"command\">virtbench run -p host -w cpu.primes,cpu.whetstone,mem.memcpy' '$TMP/r.html'"

# Bad input: exit 2, one line on stderr, nothing written.
for c in "${bad_cases[@]}"; do
	IFS='|' read -r pattern args <<<"$c"
	# shellcheck disable=SC2086
	"$VB" $args >/dev/null 2>"$TMP/err"
	rc=$?
	check "'virtbench $args': exit 2, one line naming the problem" \
		bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -qF -- '$pattern' '$TMP/err'"
	[ $rc = 2 ] || diag "exit $rc: $(cat "$TMP/err")"
done
check "no file written by the refused commands" test -z "$(ls -A "$TMP/outdir")"

# Headless Chromium renders it: no network, no script needed.
if ! command -v chromium >/dev/null; then
	not_ok "chromium renders the report (chromium is not installed: apt-get install chromium)"
	not_ok "chromium takes a screenshot (chromium is not installed)"
	exit 1
fi
chrome() {
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$(mktemp -d "$TMP/chrome.XXXXXX")" "$@"
}
chrome --dump-dom "file://$TMP/r.html" >"$TMP/dom" 2>"$TMP/chrome.err"
nsvg=$(grep -o '<svg' "$TMP/dom" | wc -l)
nsrc=$(grep -o '<svg' "$TMP/r.html" | wc -l)
check "chromium's DOM has every chart ($nsvg of $nsrc svg) and the tables" \
	bash -c "[ $nsvg -ge 10 ] && [ $nsvg = $nsrc ] && grep -q '<table class=\"overhead\"' '$TMP/dom' && grep -q 'data-chart=\"lines\"' '$TMP/dom' && grep -q '</section>' '$TMP/dom'"
[ "$nsvg" -ge 10 ] || diag "$(tail -n 5 "$TMP/chrome.err")"
chrome --screenshot="$TMP/r.png" --window-size=1280,2000 "file://$TMP/r.html" >/dev/null 2>"$TMP/chrome.err"
check "chromium takes a 1280x2000 screenshot ($(file -b "$TMP/r.png" 2>&1 | cut -c1-40))" \
	bash -c "file '$TMP/r.png' | grep -q 'PNG image data, 1280 x 2000'"
