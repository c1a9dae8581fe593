#!/bin/bash
# Installing: `make install` (meson install) into a DESTDIR puts each file in
# its FHS place, and the installed virtbench, with its build tree gone, finds
# the installed agent and runs.
. "$(dirname "$0")/lib.bash"
plan 15
B="$TMP/build"       # a build directory of its own, with the prefix compiled in
PREFIX="$TMP/prefix" # where the staged tree is then moved, as a package would be
DEST="$TMP/dest"
make -C "$ROOT" install BUILD="$B" PREFIX="$PREFIX" DESTDIR="$DEST" >"$TMP/install.log" 2>&1
rc=$?
check "make install BUILD=... PREFIX=... DESTDIR=... exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -n 20 "$TMP/install.log")"
S="$DEST$PREFIX"
check "virtbench in bin/" test -x "$S/bin/virtbench" -a -f "$S/bin/virtbench"
check "the agent in libexec/virtbench/, not in PATH's bin/" \
	bash -c "test -x '$S/libexec/virtbench/virtbench-agent' && ! test -e '$S/bin/virtbench-agent'"
check "the agent is static (it is copied into rootfs and initramfs images)" \
	bash -c "file -L '$S/libexec/virtbench/virtbench-agent' | grep -qE 'statically linked|static-pie linked'"
missing=""
for f in README.md docs/img/report.png $(cd "$ROOT" && ls docs/*.md); do
	cmp -s "$ROOT/$f" "$S/share/doc/virtbench/$f" || missing="$missing $f"
done
[ -z "$missing" ] || diag "not in share/doc/virtbench:$missing"
check "README and docs/ in share/doc/virtbench, laid out as in the source" test -z "$missing"
# The man page and the completions, generated from the option table.
MANPAGER=cat MANWIDTH=80 man -l "$S/share/man/man1/virtbench.1" 2>&1 | col -b >"$TMP/man.txt"
check "virtbench(1) in share/man/man1, rendering with every verb" \
	bash -c "grep -q '^NAME' '$TMP/man.txt' && grep -q '^   virtbench container\$' '$TMP/man.txt' &&
		grep -q '^   virtbench run\$' '$TMP/man.txt'"
check "the bash completion in share/bash-completion/completions completes a verb" \
	bash -c ". '$S/share/bash-completion/completions/virtbench' && COMP_WORDS=(virtbench calib) &&
		COMP_CWORD=1 && _virtbench && [ \"\${COMPREPLY[*]}\" = calibrate ]"
check "the zsh completion in share/zsh/site-functions" \
	grep -q '^#compdef virtbench$' "$S/share/zsh/site-functions/_virtbench"
# Every file is one of those: no test, bench or build-tree file comes along,
# and nothing lands outside DESTDIR/PREFIX.
(cd "$DEST" && find . ! -type d) | sed "s|^\./|/|" | sort >"$TMP/files"
extra=$(grep -vE "^$PREFIX/(bin/virtbench|libexec/virtbench/virtbench-agent|libexec/virtbench/virtbench-mw|share/doc/virtbench/.+|share/man/man1/virtbench\.1|share/bash-completion/completions/virtbench|share/zsh/site-functions/_virtbench)$" "$TMP/files")
[ -z "$extra" ] || diag "unexpected:" "$extra"
check "nothing else installed, nothing outside DESTDIR/PREFIX ($(wc -l <"$TMP/files") files)" test -z "$extra"

# As a package manager would: the staged tree into its place; the build
# directory that made it removed.
mkdir -p "$(dirname "$PREFIX")" && mv "$S" "$PREFIX" && rm -rf "$B" "$DEST"
VBI="$PREFIX/bin/virtbench"
cd /
check "installed --version" bash -c "'$VBI' --version | grep -qE '^virtbench [0-9]+\.[0-9]+\.[0-9]+$'"
check "installed list platforms: host available" bash -c "'$VBI' list platforms | grep -qE '^host +available'"
"$VBI" run -p host -w cpu.primes -q --runs 3 --min-runs 2 --warmup 1 --set limit=100000 \
	--db "$TMP/x.db" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "installed run on host exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
want=$(sha256sum "$PREFIX/libexec/virtbench/virtbench-agent" | cut -d' ' -f1)
got=$(sqlite3 -batch -noheader "$TMP/x.db" 'SELECT agent_sha256 FROM platforms' 2>/dev/null)
check "the run used the installed agent (its SHA-256 recorded)" test "$got" = "$want"
# Without the installed agent, nothing from a build tree stands in for it.
mv "$PREFIX/libexec/virtbench/virtbench-agent" "$TMP/agent.away"
"$VBI" run -p host -w cpu.primes --db "$TMP/y.db" >/dev/null 2>"$TMP/err"
rc=$?
mv "$TMP/agent.away" "$PREFIX/libexec/virtbench/virtbench-agent"
check "agent removed: exit 2, says it cannot find the agent" \
	bash -c "[ $rc = 2 ] && grep -q 'cannot find the agent binary virtbench-agent' '$TMP/err'"
check "VIRTBENCH_AGENT still comes first" \
	bash -c "VIRTBENCH_AGENT=/nonexistent/agent '$VBI' run -p host -w cpu.primes --db '$TMP/z.db' 2>&1 >/dev/null | grep -q 'VIRTBENCH_AGENT'"
