#!/bin/bash
# The command line: help, version, listings.
. "$(dirname "$0")/lib.bash"
plan 8
check "--version prints the version" bash -c "'$VB' --version | grep -qE '^virtbench [0-9]+\.[0-9]+\.[0-9]+$'"
all_help=1
for c in run list runs show features agent; do
	"$VB" "$c" --help >"$TMP/h" 2>&1 && grep -q "usage: virtbench $c" "$TMP/h" || { all_help=0; diag "$c --help failed"; }
done
check "every command has --help" test $all_help = 1
check "--help lists commands and exit codes" bash -c "'$VB' --help | grep -q 'exit codes'"
"$VB" list platforms >"$TMP/p"
check "list platforms: host available" grep -qE '^host +available' "$TMP/p"
missing=""
for p in lxc crun runc podman systemd-nspawn; do
	grep -qE "^$p +unavailable: not built yet" "$TMP/p" || missing="$missing $p"
done
grep -qE "^xen +(available|unavailable: not installed: .+) .*\[emulation\]$" "$TMP/p" || missing="$missing xen"
check "list platforms: every SPEC platform listed, unbuilt ones say so" test -z "$missing"
check "qemu-tcg and xen are labelled as emulation" \
	bash -c "grep -qE '^qemu-tcg .*\[emulation\]' '$TMP/p' && grep -qE '^xen .*\[emulation\]' '$TMP/p'"
"$VB" list workloads >"$TMP/w"
check "list workloads: cpu.primes and mem.memcpy with options and metrics" \
	bash -c "grep -q '^cpu.primes  \[w1' '$TMP/w' && grep -q '^mem.memcpy  \[w2' '$TMP/w' && grep -q 'option size' '$TMP/w' && grep -q 'metric bandwidth' '$TMP/w'"
"$VB" nosuch >/dev/null 2>"$TMP/e"
rc=$?
check "unknown command: exit 2 and one line" bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/e') = 1 ]"
