#!/bin/bash
# Issue 13 item 14: an output file that cannot be written (--json, --csv,
# -o/--report, diff --json, show --json/--csv) is found out before anything
# runs: exit 2 within seconds, one line, no run stored. A writable one
# leaves no trace of the check.
. "$(dirname "$0")/lib.bash"
runs() { sql "SELECT count(*) FROM runs" 2>/dev/null || echo 0; }
mkdir "$TMP/dir"
cases=(
	"does not exist|run --json /nonexistent/dir/x.json"
	"does not exist|run --csv /nonexistent/dir/x.csv"
	"does not exist|run -o /nonexistent/dir/x.html"
	"a directory|run --json $TMP/dir"
	"cannot create|run --csv /proc/x.csv"
	"does not exist|ops -p container --json /nonexistent/dir/x.json"
	"does not exist|isolation -p container --json /nonexistent/dir/x.json"
	"does not exist|features --json /nonexistent/dir/x.json"
	"does not exist|diff a.json b.json --json /nonexistent/dir/x.json"
	"does not exist|report 1 -o /nonexistent/dir/x.html"
	"does not exist|show 1 --json /nonexistent/dir/x.json"
	"cannot create|show 1 --csv /proc/x.csv"
)
plan $((${#cases[@]} + 4))
for c in "${cases[@]}"; do
	IFS='|' read -r pattern args <<<"$c"
	extra=()
	[ "${args%% *}" = run ] && extra=("${quick_args[@]}")
	start=$(date +%s)
	# shellcheck disable=SC2086
	timeout -k 2 60 "$VB" $args "${extra[@]}" >/dev/null 2>"$TMP/err"
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" &&
		[ "$secs" -le 10 ]; then
		ok "virtbench $args: exit 2 in ${secs}s, one line"
	else
		not_ok "virtbench $args: exit $rc (want 2) in ${secs}s"
		diag "$(cat "$TMP/err")"
	fi
done
check "the database holds no run" test "$(runs)" = 0
# Writable: the run goes on, its outputs are written, the check's probe file is gone.
"$VB" run "${quick_args[@]}" --json "$TMP/dir/r.json" --csv "$TMP/dir/r.csv" >/dev/null 2>"$TMP/err"
rc=$?
check "run with writable outputs: exit 0 ($rc)" test "$rc" = 0
check "both outputs written" test -s "$TMP/dir/r.json" -a -s "$TMP/dir/r.csv"
check "nothing else left in the output directory ($(ls -A "$TMP/dir" | tr '\n' ' '))" \
	test "$(ls -A "$TMP/dir" | wc -l)" = 2
