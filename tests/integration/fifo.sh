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
plan $((${#cases[@]} + 3))
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

# A fifo inside --kernel-modules DIR (found in review: reading modules.order
# hung until SIGKILL): read as no file at all, never waited on; the guest
# then boots without its modules and the run fails with the console's word.
kernel=$(ls /var/cache/virtbench/kernel/*/boot/vmlinuz-* 2>/dev/null | head -1)
if [ -n "$kernel" ] && command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -p "$TMP/mods" && mkfifo "$TMP/mods/modules.order"
	start=$(date +%s)
	timeout -k 2 90 "$VB" run -q -p qemu-tcg -w cpu.primes --runs 1 --min-runs 1 --warmup 0 \
		--kernel "$kernel" --kernel-modules "$TMP/mods" >/dev/null 2>"$TMP/err"
	rc=$?
	check "a fifo as modules.order: the run ends by itself, exit 1 ($rc, $(($(date +%s) - start)) s)" \
		test "$rc" = 1
	[ "$rc" = 1 ] || diag "$(tail -2 "$TMP/err")"
else
	skip "a fifo as modules.order: the run ends by itself" "no cached Debian kernel, QEMU or root here"
fi
