#!/bin/bash
# The man page and the shell completions, generated at build time from the
# CLI's option table (src/cli/options.c): up to date, rendering, complete,
# and agreeing with each verb's --help. The bash completion is run as bash
# runs it: sourced, with COMP_WORDS and COMP_CWORD set.
. "$(dirname "$0")/lib.bash"
plan 20
MAN="$BUILD/virtbench.1"
BASHC="$BUILD/completions/virtbench"
ZSHC="$BUILD/completions/_virtbench"
verbs="compare isolation ops scale calibrate run list runs show report diff recommend study features container agent"

check "the build made virtbench.1 and both completions, as virtbench prints them now" \
	bash -c "cmp -s '$MAN' <('$VB' --man) && cmp -s '$BASHC' <('$VB' --completion bash) &&
		cmp -s '$ZSHC' <('$VB' --completion zsh)"
"$VB" --completion fish >/dev/null 2>"$TMP/err"
rc=$?
check "--completion of another shell: exit 2, one line" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ]"

# The man page renders, without a warning, with every verb.
groff -man -Tascii -ww -z "$MAN" 2>"$TMP/groff.err"
check "groff renders virtbench.1 without a warning" test ! -s "$TMP/groff.err"
[ -s "$TMP/groff.err" ] && diag "$(head -n 5 "$TMP/groff.err")"
MANPAGER=cat MANWIDTH=80 man -l "$MAN" 2>/dev/null | col -b >"$TMP/man.txt"
check "man -l renders NAME, SYNOPSIS, COMMANDS and EXIT STATUS" \
	bash -c "grep -q '^NAME' '$TMP/man.txt' && grep -q '^SYNOPSIS' '$TMP/man.txt' &&
		grep -q '^COMMANDS' '$TMP/man.txt' && grep -q '^EXIT STATUS' '$TMP/man.txt'"
missing=""
for v in $verbs; do grep -q "^   virtbench $v\$" "$TMP/man.txt" || missing="$missing $v"; done
check "the man page has a section per verb${missing:+ (missing:$missing)}" test -z "$missing"

# Every long option of the table, read from the source, in the man page and
# in some verb's --help.
names=$(grep -oE '^[[:space:]]*\{ VB_CLI_[A-Z_]+, "[a-z-]+"' "$ROOT/src/cli/options.c" |
	sed 's/.*"\(.*\)"/\1/' | sort -u)
for v in $verbs; do "$VB" "$v" --help; done >"$TMP/allhelp"
nman="" nhelp=""
for n in $names; do
	grep -qF -- "\\-\\-${n//-/\\-}\\fR" "$MAN" || nman="$nman $n"
	grep -qE -- "^  (-., |    )--$n( |$)" "$TMP/allhelp" || nhelp="$nhelp $n"
done
check "every option of the table ($(echo "$names" | wc -w)) is in the man page${nman:+ (missing:$nman)}" \
	test -z "$nman"
check "every option of the table is in some verb's --help${nhelp:+ (missing:$nhelp)}" test -z "$nhelp"

# complete WORD...: the bash completion of the last word, as bash asks for it.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _virtbench
		printf "%s\n" "${COMPREPLY[@]}"' _ "$BASHC" virtbench "$@" | sort
}
# help_options VERB: the options its --help lists (short and long), sorted.
help_options() {
	"$VB" "$1" --help | grep -oE '^  (-[a-z], |    )--[a-z-]+' | sed 's/^ *//; s/,//' |
		tr ' ' '\n' | grep . | sort
}
# man_options VERB: the options under its section of the man page (up to the
# next section or chapter: agent's is the last), sorted.
man_options() {
	awk -v v="virtbench $1" '/^\.S[SH] /{ on = index($0, "\"" v "\"") > 0; next }
		on && /^\.TP/{ getline; print }' "$MAN" |
		sed 's/\\fR//g; s/\\fI.*//; s/\\fB//g; s/\\-/-/g; s/,//; s/ \[.*//' | tr ' ' '\n' |
		grep . | sort
}
bad_help="" bad_man=""
for v in $verbs; do
	want=$(complete_words "$v" -)
	[ -n "$want" ] && [ "$want" = "$(help_options "$v")" ] || bad_help="$bad_help $v"
	[ "$want" = "$(man_options "$v")" ] || bad_man="$bad_man $v"
done
check "each verb's --help lists exactly its options of the table${bad_help:+ (differ:$bad_help)}" \
	test -z "$bad_help"
check "each verb's man section lists exactly the same${bad_man:+ (differ:$bad_man)}" \
	test -z "$bad_man"
[ -n "$bad_help" ] && diag "$(diff <(complete_words run -) <(help_options run))"

# The bash completion, word by word.
check "virtbench ru<TAB>: run, runs" test "$(complete_words ru | tr '\n' ' ')" = "run runs "
check "virtbench run --pla<TAB>: --platform" test "$(complete_words run --pla)" = --platform
check "virtbench ops --vc<TAB>: --vcpus; run --vc<TAB>: nothing (scale's and ops' only)" \
	bash -c "[ '$(complete_words ops --vc)' = --vcpus ] && [ -z '$(complete_words run --vc)' ]"
platforms=$("$VB" list platforms | awk 'NR > 1 && $1 != "" && $2 != "" { print $1 }' |
	grep -v '^found:' | sort -u)
all=$(complete_words run -p "")
got=$(echo "$all" | grep -vx available)
check "-p <TAB>: every platform of the registry, and 'available'" \
	bash -c "[ '$got' = '$platforms' ] && echo '$all' | grep -qx available"
[ "$got" = "$platforms" ] || diag "completion: $(echo $got)" "list platforms: $(echo $platforms)"
check "-p host,con<TAB>: host,container (the last item of a list)" \
	test "$(complete_words run -p host,con)" = host,container
# mw.services runs only as mw.worker's pair (layout=split): -w refuses it.
workloads=$("$VB" list workloads | grep -oE '^[a-z0-9]+\.[a-z0-9_]+' |
	grep -v '^stress\.' | grep -vx 'mw\.services' | sort)
got=$(complete_words run -w "" | grep -vx all)
check "-w <TAB>: every workload of the registry but the stressors and the pair, and 'all'" \
	test "$got" = "$workloads"
check "--aggressor <TAB>: the stressors" \
	test "$(complete_words isolation --aggressor "" | tr '\n' ' ')" = \
	"$("$VB" list workloads | grep -oE '^stress\.[a-z]+' | sort | tr '\n' ' ')"
check "--profile <TAB>: quick, full; --container-disk <TAB>: volume, overlay" \
	bash -c "[ '$(complete_words run --profile "" | tr '\n' ' ')' = 'full quick ' ] &&
		[ '$(complete_words ops --container-disk "" | tr '\n' ' ')' = 'overlay volume ' ]"
check "list <TAB>: platforms, workloads; --runs <TAB>: nothing" \
	bash -c "[ '$(complete_words list "" | tr '\n' ' ')' = 'platforms workloads ' ] &&
		[ -z '$(complete_words run --runs "")' ]"

if command -v zsh >/dev/null; then
	check "the zsh completion parses (zsh -n)" zsh -n "$ZSHC"
	# An interactive zsh in a pty, completing as a user would (zsh/zpty).
	mkdir -p "$TMP/zfunc" && cp "$ZSHC" "$TMP/zfunc/"
	cat >"$TMP/z.zsh" <<EOF
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($TMP/zfunc \\\$fpath); autoload -U compinit && compinit -u -D"
zpty -w z "virtbench run -p host,qe"\$'\t'
zpty -r z out '*host,qemu-tcg*' && print found
zpty -d z
EOF
	check "zsh completes -p host,qe<TAB> to host,qemu-tcg" \
		bash -c "timeout 20 zsh -f '$TMP/z.zsh' 2>/dev/null | grep -qx found"
else
	skip "the zsh completion parses (zsh -n)" "zsh is not installed"
	skip "zsh completes -p host,qe<TAB> to host,qemu-tcg" "zsh is not installed"
fi
