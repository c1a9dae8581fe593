#!/bin/bash
# Issue 13 item 12: a fifo (or another non-regular file) named as an input
# file is refused at once with exit 2 and one line, never waited on. Each
# case runs under `timeout -k 2 10`: a regression fails (124) instead of hanging.
. "$(dirname "$0")/lib.bash"
fifo="$TMP/fifo"
mkfifo "$fifo"
"$VB" run "${quick_args[@]}" --json "$TMP/good.json" >/dev/null 2>&1
cases=(
	"results file|diff $fifo $TMP/good.json"
	"results file|diff $TMP/good.json $fifo"
	"results file|run --baseline $fifo"
	"--kernel|run -p qemu-tcg -w cpu.primes --kernel $fifo"
	"--kernel|ops -p qemu-tcg --kernel $fifo"
	"--kernel|isolation -p qemu-tcg --kernel $fifo"
	"--kernel|list platforms --kernel $fifo"
	"not a directory|run -p qemu-tcg --kernel $TMP/good.json --kernel-modules $fifo"
	"a directory|diff $TMP $TMP/good.json"
	"a character device|run --baseline /dev/zero"
)
plan $((${#cases[@]} + 2))
check "a good results file to compare with" test -s "$TMP/good.json"
before=$(sql "SELECT count(*) FROM runs")
for c in "${cases[@]}"; do
	IFS='|' read -r pattern args <<<"$c"
	start=$(date +%s)
	# shellcheck disable=SC2086
	timeout -k 2 10 "$VB" $args >/dev/null 2>"$TMP/err"
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ "$secs" -le 5 ]; then
		ok "virtbench $args: exit 2 in ${secs}s, one line"
	else
		not_ok "virtbench $args: exit $rc (want 2) in ${secs}s"
		diag "$(cat "$TMP/err")"
	fi
done
check "no refused invocation stored a run" test "$(sql "SELECT count(*) FROM runs")" = "$before"
