#!/bin/bash
# The Debian image of the container platform: debootstrap minbase of this
# host's release from its apt mirror, cached; used by `container run` and by
# `run -p container --container-image debian`; bad input, interrupted and
# failed builds leave nothing behind.
. "$(dirname "$0")/lib.bash"
N=24
plan $N
export VIRTBENCH_CACHE_DIR="$TMP/cache"
images="$VIRTBENCH_CACHE_DIR/images"
skip_all() {
	for i in $(seq $((_n + 1)) $N); do skip "container debian $i" "$1"; done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root"
"$VB" list platforms | grep -qE '^container +available' ||
	skip_all "$("$VB" list platforms | grep '^container' | sed 's/  */ /g')"

# What the image is made of, and whether debootstrap can reach that mirror.
"$VB" container image --plan debian >"$TMP/plan" 2>"$TMP/err"
rc=$?
suite=$(awk '$1 == "suite" { print $2 }' "$TMP/plan")
mirror=$(awk '$1 == "mirror" { print $2 }' "$TMP/plan")
dir=$(awk '$1 == "dir" { print $2 }' "$TMP/plan")
check "the plan names this host's suite, its mirror and an uncached image in our cache" \
	bash -c "[ $rc = 0 ] && [ '$suite' = \"\$(. /etc/os-release; echo \$VERSION_CODENAME)\" ] &&
		[ -n '$mirror' ] && [ '${dir%/*}' = '$images' ] && grep -qx 'cached no' '$TMP/plan'"
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
if ! timeout 60 /usr/lib/apt/apt-helper download-file "$mirror/dists/$suite/InRelease" \
	"$TMP/InRelease" >/dev/null 2>&1; then
	skip_all "the mirror $mirror is not reachable from here"
fi

"$VB" container run --image 'debian:nginx,Bad' -- /bin/true 2>"$TMP/err"
rc=$?
check "a bad package name exits 2 and says which" \
	bash -c "[ $rc = 2 ] && grep -q \"'Bad' is not a Debian package name\" '$TMP/err'"
"$VB" run -q -p container --container-image 'debian:curl;reboot' -w cpu.primes 2>"$TMP/err"
check "... in --container-image too" test $? = 2
check "... and nothing was built" test ! -e "$images"

# Interrupted builds (another package set: another image).
# debootstrap, and the namespace's PID 1 (a virtbench clone with this command line)
leftovers() { pgrep -f "[d]ebootstrap --variant.*$VIRTBENCH_CACHE_DIR|[c]ontainer image debian:curl"; }
start_build() {
	"$VB" container image debian:curl >/dev/null 2>"$TMP/err-bg" &
	pid=$!
	for _ in $(seq 600); do
		[ -d "$images/.build-debian-$pid/root" ] && pgrep -f "[d]ebootstrap --variant" >/dev/null && break
		sleep 0.1
	done
	sleep 2
}
wait_gone() {
	for _ in $(seq 50); do
		[ -z "$(leftovers)" ] && return 0
		sleep 0.1
	done
	return 1
}
start_build
kill -INT $pid
wait $pid
rc=$?
wait_gone
gone=$?
check "Ctrl-C mid-build: exit 130, no debootstrap left, no build directory" \
	bash -c "[ $rc = 130 ] && [ $gone = 0 ] && [ ! -e '$images/.build-debian-$pid' ]"
[ $rc = 130 ] || diag "$(tail -5 "$TMP/err-bg")"
start_build
kill -KILL $pid
wait $pid 2>/dev/null
wait_gone
check "SIGKILL mid-build: debootstrap and its namespace die with virtbench" test $? = 0
check "SIGKILL mid-build: its mounts were never the host's" \
	bash -c "! grep -q '$VIRTBENCH_CACHE_DIR' /proc/self/mountinfo && [ -d '$images/.build-debian-$pid' ]"

# A package that does not exist: debootstrap fails, its words are quoted.
"$VB" container image debian:virtbench-no-such-package >/dev/null 2>"$TMP/err"
rc=$?
check "a nonexistent package fails the build with debootstrap's words" \
	bash -c "[ $rc = 1 ] && grep -q 'debootstrap $suite from .* failed' '$TMP/err' &&
		grep -q 'virtbench-no-such-package' '$TMP/err'"
[ $rc = 1 ] || diag "$(tail -5 "$TMP/err")"
check "a failed build leaves no half image, no build directory (the killed one's swept too)" \
	bash -c "[ -z \"\$(ls -A '$images')\" ]"
! grep -q "$VIRTBENCH_CACHE_DIR" /proc/self/mountinfo && [ -z "$(leftovers)" ]
check "... no mounts, no debootstrap process" test $? = 0

# A debootstrap whose package scripts leave a daemon behind: the build still
# ends when debootstrap does, and the daemon dies with its namespace.
mkdir -p "$TMP/fakebin"
cat >"$TMP/fakebin/debootstrap" <<'SH'
#!/bin/sh
setsid sleep 61.5 </dev/null >/dev/null 2>&1 &
echo "E: fake debootstrap left a daemon and failed"
exit 1
SH
chmod +x "$TMP/fakebin/debootstrap"
PATH="$TMP/fakebin:$PATH" timeout 40 "$VB" container image debian:vb-fake-daemon >/dev/null 2>"$TMP/err"
rc=$?
check "a build whose scripts leave a daemon ends with debootstrap (exit $rc, not the timeout's 124)" \
	bash -c "[ $rc = 1 ] && grep -q 'fake debootstrap' '$TMP/err'"
sleep 0.5
check "... and the daemon died with the build's namespace" bash -c "! pgrep -f '^sleep 61.[5]' >/dev/null"

# The build.
t0=$(date +%s)
"$VB" container image debian >"$TMP/out" 2>"$TMP/err"
rc=$?
t1=$(date +%s)
diag "the Debian image took $((t1 - t0)) s to build"
check "the build exits 0 and prints the planned directory" \
	bash -c "[ $rc = 0 ] && [ \"\$(cat '$TMP/out')\" = '$dir' ] && [ -d '$dir' ]"
[ $rc = 0 ] || diag "$(tail -20 "$TMP/err")"
check "progress on stderr while debootstrap runs" \
	bash -c "grep -q 'building the Debian image' '$TMP/err' && grep -q 'I: Base system installed successfully' '$TMP/err'"
check "the image has the static agent (the image's own copy) and /scratch" \
	bash -c "cmp -s '$dir/sbin/virtbench-agent' '$AGENT' && [ -d '$dir/scratch' ]"
before=$(stat -c '%i %Y' "$dir")

"$VB" container run --image debian -- /bin/cat /etc/debian_version >"$TMP/out" 2>"$TMP/err"
rc=$?
check "container run --image debian: /etc/debian_version has the host's major version" \
	bash -c "[ $rc = 0 ] && [ \"\$(cut -d. -f1 '$TMP/out')\" = \"\$(cut -d. -f1 /etc/debian_version)\" ]"
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "... from the cache: no build, the same directory" \
	bash -c "! grep -q 'building' '$TMP/err' && [ \"\$(stat -c '%i %Y' '$dir')\" = '$before' ]"

# Its own name resolves from /etc/hosts (no resolver asked), and the file
# bound there is read-only.
"$VB" container run --image debian -- /bin/sh -c \
	'getent hosts "$(hostname)"; echo x >>/etc/hosts && echo writable' >"$TMP/out" 2>"$TMP/err"
check "container run --image debian: its hostname is 127.0.1.1 in /etc/hosts" \
	bash -c "grep -qE '^127\.0\.1\.1 +vb-[0-9a-f]{8}-[0-9]+\$' '$TMP/out'"
check "... and the guest cannot rewrite that file" bash -c "! grep -q writable '$TMP/out'"
[ -s "$TMP/out" ] || diag "$(cat "$TMP/err")"

"$VB" run "${quick_args[@]}" -p host,container --container-image debian -w cpu.primes,mem.memcpy \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
check "run -p host,container --container-image debian exits 0, from the cache" \
	bash -c "[ $rc = 0 ] && ! grep -q 'building' '$TMP/err' && [ \"\$(stat -c '%i %Y' '$dir')\" = '$before' ]"
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "the container's cells have ratios to host" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'container' AND x.ratio IS NOT NULL AND x.verdict != 'none'")" = 4
check "the stored guest record names the Debian image" \
	test "$(sql "SELECT json_extract(spec, '$.guest.image') FROM platforms WHERE name = 'container'")" = "${dir##*/}"
tag=$(sql "SELECT tag FROM runs")
check "nothing of the run is left (cgroups, work directory, mounts)" \
	bash -c "[ -z \"\$(vb_cgroup_leftovers $tag)\" ] &&
		[ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ] && ! grep -q '$tag' /proc/self/mountinfo"
check "the cache holds the one image and nothing else" \
	test "$(ls -A "$images")" = "${dir##*/}"
