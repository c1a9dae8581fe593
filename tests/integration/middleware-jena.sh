#!/bin/bash
# mw.triplestore store=jena-tdb2: the study's own store, Jena TDB2, through
# Debian's libapache-jena-java command-line classes run by virtbench on the
# host; its parameters refused before anything starts; the check of what
# the store gives back (virtbench-mw --check-quads) against a changed, a
# short and a FIFO dump; the faults: a store that loses a quad and a loader
# that fails (fake javas, tests/data/fake-java-*), each failing its sample
# with its reason; the real store in a container on the Debian image with
# Java and Jena. After each: no Java, no service directory.
. "$(dirname "$0")/lib.bash"
N=22
plan $N
skip_rest() {
	for _ in $(seq $((_n + 1)) $N); do skip "jena-tdb2" "$1"; done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_rest "needs root (Jena runs as virtbench's own id)"
[ -x "$BUILD/virtbench-mw" ] || skip_rest "$BUILD/virtbench-mw is not built"
MW="$BUILD/virtbench-mw"

rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }
val() { sql "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	JOIN workloads w ON w.id = s.workload_id WHERE w.name = 'mw.triplestore'
	AND v.metric = '$1' AND s.ok ORDER BY s.id DESC LIMIT 1"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v > 0) }'; }
nothing_left() {
	[ -z "$(pgrep -af '[t]db2\.tdb|[f]ake-java')" ] &&
		[ -z "$(find "$VIRTBENCH_STATE_DIR" -name 'svc-*' 2>/dev/null)" ] &&
		[ "$(grep -c ' /tmp/vb-svc ' /proc/self/mountinfo)" = 0 ]
}
export -f nothing_left

# Bad parameters: refused before anything starts, exit 2.
for bad in "store=fuseki" "store=jena-tdb2 threads=2" "store=jena-tdb2 port=7000"; do
	args=()
	for kv in $bad; do args+=(--set "$kv"); done
	rc=$(rc_of "$VB" run -q -p host -w mw.triplestore "${args[@]}")
	check "mw.triplestore $bad is refused, exit 2" test "$rc" = 2
done

# The check of a dump: exactly the stored quads, or a failure naming the first difference.
Q="$TMP/quads"
mkdir -p "$Q"
check "virtbench-mw writes 20 observations' graphs as N-Quads (13 a graph)" \
	bash -c "'$MW' triplestore --write-quads '$Q/obs.nq' --observations 20 --seed 3 &&
		[ \$(wc -l < '$Q/obs.nq') = 260 ] &&
		[ \$(cut -d' ' -f4- '$Q/obs.nq' | sort -u | wc -l) = 20 ]"
check "... never over a file that is there" \
	bash -c "! '$MW' triplestore --write-quads '$Q/obs.nq' --observations 20 --seed 3 2>'$TMP/err' &&
		grep -q 'cannot create .*File exists' '$TMP/err'"
shuf "$Q/obs.nq" >"$Q/same.nq"
check "a dump holding the same quads in another order passes" \
	"$MW" triplestore --check-quads "$Q/same.nq" --observations 20 --seed 3
sed 's/"obs-3-7"/"obs-3-77"/' "$Q/obs.nq" >"$Q/changed.nq"
check "a dump with one literal changed fails, naming it" \
	bash -c "! '$MW' triplestore --check-quads '$Q/changed.nq' --observations 20 --seed 3 2>'$TMP/err' &&
		grep -q 'error: retrieve: the store holds 260 quads, 260 stored, not the same ones; first difference: .*obs-3-7' '$TMP/err'"
sed '$d' "$Q/obs.nq" >"$Q/short.nq"
check "a dump one quad short fails with the counts" \
	bash -c "! '$MW' triplestore --check-quads '$Q/short.nq' --observations 20 --seed 3 2>'$TMP/err' &&
		grep -q 'the store holds 259 quads, 260 stored' '$TMP/err'"
{ cat "$Q/obs.nq"; printf '\0<http://x/s> <http://x/p> <http://x/o> <http://x/g> .\n'; } >"$Q/nul.nq"
check "a dump with a NUL byte and more after it fails" \
	bash -c "! '$MW' triplestore --check-quads '$Q/nul.nq' --observations 20 --seed 3 2>'$TMP/err' &&
		grep -q 'a NUL byte in a line' '$TMP/err'"
{ cat "$Q/obs.nq"; head -c 5000 /dev/zero | tr '\0' x; echo; } >"$Q/long.nq"
check "a dump with a line longer than any quad fails" \
	bash -c "! '$MW' triplestore --check-quads '$Q/long.nq' --observations 20 --seed 3 2>'$TMP/err' &&
		grep -q 'a line longer than any stored quad' '$TMP/err'"
check "the check reads standard input (-), as the agent hands it the dump" \
	bash -c "'$MW' triplestore --check-quads - --observations 20 --seed 3 <'$Q/same.nq' &&
		! '$MW' triplestore --check-quads - --observations 20 --seed 3 <'$Q/short.nq' 2>/dev/null"
mkfifo "$Q/fifo.nq"
check "a FIFO as the dump is refused at once, not read" \
	bash -c "! timeout 10 '$MW' triplestore --check-quads '$Q/fifo.nq' --observations 20 --seed 3 2>'$TMP/err' &&
		grep -q 'not a regular file' '$TMP/err'"

if [ ! -x /usr/bin/java ] || [ ! -r /usr/share/java/jena-tdb2.jar ] || [ ! -x /usr/bin/unzip ]; then
	skip_rest "Java, Jena or unzip is not installed (scripts/install-deps.sh installs default-jre-headless, libapache-jena-java and unzip)"
fi

# The real store on the host.
rc=$(rc_of "$VB" run -q -p host -w mw.triplestore --set store=jena-tdb2 --set observations=200 \
	--runs 2 --min-runs 2 --warmup 0)
check "mw.triplestore store=jena-tdb2 runs on the host: 200 graphs loaded, dumped and checked" \
	test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
for m in store_rate retrieve_rate start_s; do
	v=$(val $m)
	check "... its $m ($v) is a positive figure" positive "${v:-0}"
done
check "... and nothing is left" nothing_left

# Faults: a fake java in the run's own mount namespace (/usr/bin/java's target).
fake_java() {
	local fake=$1
	shift
	unshare -m bash -c "mount --bind '$ROOT/tests/data/$fake' \"\$(readlink -f /usr/bin/java)\" &&
		exec \"\$@\"" fake "$@"
}
rc=$(rc_of fake_java fake-java-lossy "$VB" run -q -p host -w mw.triplestore \
	--set store=jena-tdb2 --set observations=30 --runs 1 --min-runs 1 --warmup 0)
check "a store that loses a quad fails the sample, saying so" \
	bash -c "[ $rc = 1 ] && grep -q 'mw.triplestore on host failed: .*the store holds 389 quads, 390 stored' '$TMP/err'"
[ "$rc" = 1 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
rc=$(rc_of fake_java fake-java-failing "$VB" run -q -p host -w mw.triplestore \
	--set store=jena-tdb2 --set observations=30 --runs 1 --min-runs 1 --warmup 0)
check "a loader that fails fails the sample with its last word" \
	bash -c "[ $rc = 1 ] && grep -q 'mw.triplestore on host failed: .*tdb2.tdbloader: .*No space left on device' '$TMP/err'"
[ "$rc" = 1 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
check "... and nothing is left" nothing_left

# In a container, on the Debian image that holds Java and Jena beside the triplestore's packages.
export VIRTBENCH_CACHE_DIR=${VB_TEST_SHARED_CACHE:-$TMP/cache}
cache=$VIRTBENCH_CACHE_DIR
debian_plan debian:default-jre-headless,libapache-jena-java,libcurl4,libjansson4,libpq5,librabbitmq4,netbase,unzip,virtuoso-opensource-7 ||
	skip_rest "$plan_why"
"$VB" list platforms | grep -qE '^container +available' ||
	skip_rest "the container platform is not available here"
t0=$(date +%s)
rc=$(rc_of "$VB" run -q -p container -w mw.triplestore --set store=jena-tdb2 \
	--set observations=100 --runs 1 --min-runs 1 --warmup 0 --timeout 1800)
diag "the run in a container (with the image build if not cached) took $(($(date +%s) - t0)) s"
v=$(val retrieve_rate)
check "mw.triplestore store=jena-tdb2 runs in a container (retrieve_rate $v)" \
	bash -c "[ $rc = 0 ] && awk -v v='${v:-0}' 'BEGIN { exit !(v > 0) }'"
[ "$rc" = 0 ] || diag "$(grep -v '^virtbench: image' "$TMP/err" | tail -5)"
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "... and nothing of Jena or the guest is left" \
	bash -c "nothing_left && [ -z \"\$(vb_cgroup_leftovers '$tag')\" ]"
exit $_failed
