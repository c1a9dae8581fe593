#!/bin/bash
# virtbench study: parts run as runs labelled with the study's tag, the
# report and the answer at the end; an interrupted study keeps what it
# measured and --resume runs only the parts without a complete run; bad
# input refused before anything runs.
. "$(dirname "$0")/lib.bash"
N=13
plan $N
rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }

# Bad input: exit 2, one line, nothing stored.
for c in "unknown part 'foo'|study -p host --parts foo" \
	"not a study tag|study --resume st-nope" \
	"give none of them|study --resume st-1a2b3c4d -p host" \
	"the database holds no study|study --resume"; do
	IFS='|' read -r pattern args <<<"$c"
	# shellcheck disable=SC2086
	rc=$(rc_of "$VB" $args)
	check "'virtbench $args': exit 2, one line naming the problem" \
		bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -qF -- \"$pattern\" '$TMP/err'"
done
check "... and nothing was stored" test "$(sql 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)" = 0

# A part on the host: its run carries the study's label; the report opens with the study.
rc=$(rc_of "$VB" study -p host --parts features -o "$TMP/s.html")
tag=$(sql "SELECT json_extract(config, '\$.study') FROM runs ORDER BY id DESC LIMIT 1")
got=$(sql "SELECT experiment || ' ' || status || ' ' || json_extract(config, '\$.study_part') FROM runs WHERE json_extract(config, '\$.study') = '$tag'")
check "study -p host --parts features runs the features part, labelled $tag ($got)" \
	bash -c "[ $rc = 0 ] && [ '$got' = 'features complete features' ]"
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
check "... progress names the part and the time left; the end gives the answer and the report" \
	bash -c "grep -q 'part 1 of 1, features (ch. 5, §5.2).*min left' '$TMP/err' && grep -q \"^study $tag: 1 runs\" '$TMP/out' && grep -q 'id=\"study\"' '$TMP/s.html'"

# Interrupted during the overhead part (minutes on the host): exit 130, what it measured kept.
"$VB" study -q -p host --parts overhead,features >"$TMP/i.out" 2>"$TMP/i.err" &
pid=$!
wait_first_sample 120
kill -INT "$pid"
wait "$pid"
rc=$?
st=$(sql "SELECT json_extract(config, '\$.study') FROM runs ORDER BY id DESC LIMIT 1")
check "SIGINT during a part: exit 130, the message says how to resume" \
	bash -c "[ $rc = 130 ] && grep -q \"virtbench study --resume $st\" '$TMP/i.err'"
[ "$rc" = 130 ] || diag "rc=$rc $(tail -3 "$TMP/i.err")"
got=$(sql "SELECT experiment || ' ' || status FROM runs WHERE json_extract(config, '\$.study') = '$st'")
n=$(sql "SELECT count(*) FROM samples s JOIN runs r ON r.id = s.run_id WHERE json_extract(r.config, '\$.study') = '$st'")
check "... the interrupted compare run is kept, marked incomplete, with its $n samples; features never ran" \
	bash -c "[ '$got' = 'compare incomplete' ] && [ '$n' -ge 1 ]"
# Resumed: only the parts without a complete run, with the study's own settings.
rc=$(rc_of "$VB" study -q --resume)
check "study --resume (the latest study) runs overhead again and then features" \
	bash -c "[ $rc = 0 ] && grep -q \"study $st (quick profile, platforms host): 2 parts to run\" '$TMP/err'"
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
check "... the study now has overhead complete (and the interrupted one) and features complete" \
	test "$(sql "SELECT group_concat(experiment || ':' || status, ' ') FROM (SELECT experiment, status FROM runs WHERE json_extract(config, '\$.study') = '$st' ORDER BY id)")" = "compare:incomplete compare:complete features:complete"
rc=$(rc_of "$VB" study --resume "$st")
n=$(sql "SELECT count(*) FROM runs WHERE json_extract(config, '\$.study') = '$st'")
check "... resumed again, nothing is left to run and nothing runs ($n runs)" \
	bash -c "[ $rc = 0 ] && grep -q ': 0 parts to run' '$TMP/err' && [ '$n' = 3 ]"
tagc=$(sql "SELECT tag FROM runs WHERE experiment = 'compare' ORDER BY id LIMIT 1")
check "... and nothing of the interrupted part is left" \
	bash -c "[ -z \"\$(vb_cgroup_leftovers '$tagc')\" ] && ! ip link show | grep -q '$tagc'"
exit $_failed
