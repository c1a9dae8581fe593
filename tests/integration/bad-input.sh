#!/bin/bash
# Bad input gets one clear line on stderr and a distinct exit code, and never
# leaves a row claiming success.
. "$(dirname "$0")/lib.bash"
cases=(
	"2|unknown workload|run -w nosuch"
	"2|unknown platform|run -p nosuch"
	"3|unavailable|run -p host,kvm -w cpu.primes"
	"2|--runs|run --runs 0"
	"2|--runs|run --runs -1"
	"2|--ci-target|run --ci-target abc"
	"2|--equivalence|run --equivalence -1"
	"2|--equivalence|run --equivalence abc"
	"2|--equivalence|compare --equivalence 51"
	"2|one platform with itself|calibrate -p host,container"
	"2|out of range|run --set size=1P"
	"2|not a valid size|run --set size=12parsecs"
	"2|no chosen workload|run --set nosuch=1"
	"2|out of range|run --set threads=0"
	"2|--profile|run --profile huge"
	"2|named twice|run -w cpu.primes,cpu.primes"
	"2|empty name|run -w cpu.primes,,mem.memcpy"
	"2|unexpected argument|run extra"
	"2|--timeout|run --timeout 0"
	"2|no run|show 424242"
	"2|not a Debian package name|isolation -p container --container-image debian:BAD!"
	"2|not a Debian package name|ops -p container --container-image debian:BAD!"
)
plan $((${#cases[@]} + 4))
# One good run first, so "no new complete row" is measured against something.
"$VB" run "${quick_args[@]}" >/dev/null 2>&1
before=$(sql "SELECT count(*) FROM runs")
for c in "${cases[@]}"; do
	IFS='|' read -r want pattern args <<<"$c"
	# shellcheck disable=SC2086
	"$VB" $args >/dev/null 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q -- "$pattern" "$TMP/err"; then
		ok "virtbench $args: exit $want, one line"
	else
		not_ok "virtbench $args: exit $rc (want $want), $lines lines"
		diag "$(cat "$TMP/err")"
	fi
done
after=$(sql "SELECT count(*) FROM runs")
check "no bad invocation stored a run" test "$before" = "$after"

# Databases that cannot be used.
head -c 8192 /dev/urandom >"$TMP/corrupt.db"
"$VB" run "${quick_args[@]}" --db "$TMP/corrupt.db" >/dev/null 2>"$TMP/err"
rc=$?
check "corrupt database file: exit 2, one line" bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'not a' '$TMP/err'"
sqlite3 "$TMP/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
"$VB" runs --db "$TMP/other.db" >/dev/null 2>"$TMP/err"
rc=$?
check "someone else's SQLite file: exit 2, one line, file untouched" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && [ \"\$(sqlite3 '$TMP/other.db' 'SELECT group_concat(name) FROM sqlite_schema')\" = t ]"
"$VB" run "${quick_args[@]}" --db /proc/virtbench/results.db >/dev/null 2>"$TMP/err"
rc=$?
check "unwritable database path: exit 2, one line" bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ]"
