#!/bin/bash
# What a user typed is echoed in error messages with its control characters
# escaped: no escape sequence or raw newline reaches the terminal from them.
. "$(dirname "$0")/lib.bash"
esc=$'\e[31mx\ny'
cases=(
	"unknown platform|run -p"
	"unknown workload|run -w"
	"not a valid size|run --set size="
	"unknown command|"
	"unknown platform|ops -p"
	"cannot read|diff /x/"
)
plan $((${#cases[@]} + 1))
for c in "${cases[@]}"; do
	IFS='|' read -r pattern args <<<"$c"
	read -r -a argv <<<"$args"
	# The hostile string is glued to the last word (--set size=..., diff /x/...).
	if [ ${#argv[@]} = 0 ]; then
		argv=("$esc")
	else
		argv[-1]="${argv[-1]}$esc"
	fi
	[ "${argv[0]}" = diff ] && argv+=(other.json)
	timeout -k 2 20 "$VB" "${argv[@]}" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && ! grep -q $'\e' "$TMP/err" &&
		grep -q -- "$pattern" "$TMP/err" && grep -qF '\x1b[31mx\ny' "$TMP/err"; then
		ok "virtbench $args<ESC [31m x NL y>: exit 2, one line, escaped"
	else
		not_ok "virtbench $args<ESC [31m x NL y>: exit $rc, $(wc -l <"$TMP/err") lines"
		diag "$(cat -A "$TMP/err")"
	fi
done

# The database path in the closing line is the user's text too (found in
# review: ESC bytes from --db reached the terminal).
db="$TMP/x"$'\e[2J'".db"
"$VB" run "${quick_args[@]}" --db "$db" >"$TMP/out" 2>&1
check "--db with an escape sequence: the 'stored in' line shows it escaped" \
	bash -c "grep -q 'stored in .*x\\\\x1b\\[2J\\.db' '$TMP/out' && ! grep -q \$'\\e' '$TMP/out'"
