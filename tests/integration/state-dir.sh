#!/bin/bash
# Issue 13 item 2: a state directory another user could change is refused
# (exit 2, one line, nothing in it touched), and the sweep of a dead run's
# work directory removes it by descriptor: a symlink in it leads nowhere.
. "$(dirname "$0")/lib.bash"
plan 12
markers="$TMP/markers"
mkdir -p "$markers"
for i in $(seq 1 20); do echo keep >"$markers/m$i"; done
chmod 0600 "$markers"/*
# A dead run's work directory: an owner file naming no live process, and
# a symlink to root's markers (a guest's or a user's doing).
stale() {
	mkdir -p "$1/vb-0badc0de/sub"
	echo "999999999 1" >"$1/vb-0badc0de/owner"
	ln -s "$markers" "$1/vb-0badc0de/link"
	ln -s "$markers" "$1/vb-0badc0de/sub/link"
	for i in $(seq 1 20); do : >"$1/vb-0badc0de/sub/m$i"; done
}
markers_ok() { [ "$(find "$markers" -type f | wc -l)" = 20 ] && ! grep -L keep "$markers"/* | grep -q .; }
# refused CASE DIR: `runs` exits 2 with one line naming the reason, the stale entry stays.
refused() {
	local why=$1 dir=$2
	timeout -k 2 20 env VIRTBENCH_STATE_DIR="$dir" "$VB" runs >/dev/null 2>"$TMP/err"
	local rc=$?
	check "$why: refused with exit 2 and one line ($rc: $(head -c 200 "$TMP/err"))" \
		bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'state directory.*refused' '$TMP/err'"
}

# Owned by another user (made before root's first run), 0700.
d="$TMP/owned"
stale "$d"
chown -R 65534:65534 "$d"
chmod 0700 "$d"
refused "owned by another user" "$d"
check "owned by another user: nothing in it removed" test -e "$d/vb-0badc0de/sub/m1"

# Root's own, but writable by everybody.
d="$TMP/open"
stale "$d"
chmod 0777 "$d"
refused "mode 0777" "$d"
check "mode 0777: nothing in it removed" test -e "$d/vb-0badc0de/sub/m1"

# A symlink to a good directory.
d="$TMP/good-target"
stale "$d"
chmod 0700 "$d"
ln -s "$d" "$TMP/link"
refused "a symlink" "$TMP/link"
check "a symlink: nothing behind it removed" test -e "$d/vb-0badc0de/sub/m1"

# A good directory inside a parent others can write to (not sticky): swappable.
mkdir -m 0777 "$TMP/shared"
chmod 0777 "$TMP/shared"
d="$TMP/shared/state"
stale "$d"
chmod 0700 "$d"
refused "a parent writable by others" "$d"

# The override is checked as the default is: a run refuses it too, and stores nothing.
d="$TMP/open"
VIRTBENCH_STATE_DIR="$d" timeout -k 2 60 "$VB" run "${quick_args[@]}" >/dev/null 2>"$TMP/err"
rc=$?
check "run with a refused state directory: exit 2 naming it, no run stored ($rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'state directory.*refused' '$TMP/err' && [ \"\$(sqlite3 '$VIRTBENCH_DB' 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)\" = 0 ]"

# A good state directory: the dead run's directory is swept, the links in it removed, not followed.
d="$TMP/good"
stale "$d"
chmod 0700 "$d"
VIRTBENCH_STATE_DIR="$d" timeout -k 2 20 "$VB" runs >/dev/null 2>"$TMP/err"
rc=$?
check "a good state directory is swept ($rc: $(head -c 200 "$TMP/err"))" \
	bash -c "[ $rc = 0 ] && [ ! -e '$d/vb-0badc0de' ] && grep -q 'swept' '$TMP/err'"
check "the sweep left root's markers alone" markers_ok

# The default database under a HOME that is not root's own (sudo -E), or with
# a results.db planted as a symlink: refused, and nothing made behind it
# (found in review: root created the file the link named).
h="$TMP/home"
mkdir -p "$h/.local/share/virtbench" "$TMP/rootonly"
chmod 0755 "$TMP"
chmod 0700 "$TMP/rootonly"
ln -s "$TMP/rootonly/planted" "$h/.local/share/virtbench/results.db"
env -u VIRTBENCH_DB -u XDG_DATA_HOME HOME="$h" VIRTBENCH_STATE_DIR="$TMP/good" "$VB" runs >/dev/null 2>"$TMP/err"
rc=$?
check "a symlink planted as the default results.db: exit 2, nothing created behind it ($rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'results.db is a symlink: refused' '$TMP/err' && [ ! -e '$TMP/rootonly/planted' ]"
rm -f "$h/.local/share/virtbench/results.db"
chown -R 65534 "$h"
env -u VIRTBENCH_DB -u XDG_DATA_HOME HOME="$h" VIRTBENCH_STATE_DIR="$TMP/good" "$VB" runs >/dev/null 2>"$TMP/err"
rc=$?
check "a HOME another user owns: exit 2 naming the results directory, no database made ($rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'results directory' '$TMP/err' && [ ! -e '$h/.local/share/virtbench/results.db' ]"
chmod 0700 "$TMP"
