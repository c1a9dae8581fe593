#!/bin/bash
# The middleware workloads (mw.broker on RabbitMQ, mw.docstore on
# PostgreSQL JSONB, mw.triplestore on Virtuoso): real servers started by
# virtbench on the host, in a container and in a qemu-tcg guest on the
# Debian image, with their correctness checks; bad parameters refused
# before anything starts; the faults: the broker killed while publishing,
# the document store refusing connections, the triplestore answering
# HTTP 500 (a fake Virtuoso, tests/data/fake-virtuoso), Ctrl-C during the
# load. mw.worker layout=split: the servers in a second guest (host: a
# second agent), on the host and in containers, and the worker's failure
# ending its pair. After each: no server, no client, no service
# directory, no guest.
. "$(dirname "$0")/lib.bash"
N=55
plan $N
skip_rest() {
	for _ in $(seq $((_n + 1)) $N); do skip "middleware" "$1"; done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_rest "needs root (the servers run as rabbitmq and postgres)"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ||
	skip_rest "RabbitMQ is not installed (scripts/install-deps.sh installs rabbitmq-server)"
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 ||
	skip_rest "PostgreSQL is not installed (scripts/install-deps.sh installs postgresql-15)"
[ -x /usr/bin/virtuoso-t ] ||
	skip_rest "Virtuoso is not installed (scripts/install-deps.sh installs virtuoso-opensource-7)"
[ -x "$BUILD/virtbench-mw" ] || skip_rest "$BUILD/virtbench-mw is not built"

rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }
val() { sql "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	JOIN workloads w ON w.id = s.workload_id JOIN platforms p ON p.id = s.platform_id
	WHERE w.name = '$1' AND v.metric = '$2' AND p.name = '$3' AND s.ok
	ORDER BY s.id DESC LIMIT 1"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v > 0) }'; }
# Servers and clients of ours: RabbitMQ's Erlang VM and epmd, PostgreSQL, virtbench-mw.
servers() { pgrep -af '[b]eam.smp|[e]pmd|[v]b-svc|[s]vc-postgresql|[s]vc-rabbitmq|[v]irtbench-mw|[v]irtuoso|[f]ake-virtuoso'; }
nothing_left() {
	[ -z "$(servers)" ] && [ -z "$(find "$VIRTBENCH_STATE_DIR" -name 'svc-*' 2>/dev/null)" ] &&
		[ "$(grep -c ' /tmp/vb-svc ' /proc/self/mountinfo)" = 0 ]
}
# After an interrupt the kernel may still be ending a killed server's PID
# namespace (an Erlang VM of some hundred MB): 5 s for it, and what was
# seen first goes to the log.
settled() {
	local first
	first=$(servers)
	for _ in $(seq 50); do
		nothing_left && { [ -z "$first" ] || diag "ended after the run: $first"; return 0; }
		sleep 0.1
	done
	diag "left: $(servers) $(find "$VIRTBENCH_STATE_DIR" -name 'svc-*' 2>/dev/null)"
	return 1
}
export -f servers nothing_left settled
[ -z "$(servers)" ] || skip_rest "a RabbitMQ, epmd or PostgreSQL of another user runs here: $(servers | head -1)"

# Bad parameters: refused before anything starts.
for bad in "mw.broker threads=0" "mw.broker messages=0" "mw.docstore documents=0" \
	"mw.docstore threads=0" "mw.broker durable=maybe" "mw.triplestore threads=9" \
	"mw.triplestore observations=0" "mw.worker layout=elsewhere" "mw.worker observations=0"; do
	set -- $bad
	rc=$(rc_of "$VB" run -q -p host -w "$1" --set "$2")
	check "$1 --set $2 is refused up front (exit 2)" \
		bash -c "[ $rc = 2 ] && [ -z \"\$(servers)\" ] && grep -q '$(echo "${2%%=*}" )' '$TMP/err'"
done

# The host: the middleware suite, small, with its self-checks.
rc=$(rc_of "$VB" run -q -p host --suite middleware --runs 2 --min-runs 2 --warmup 0 \
	--set messages=2000 --set threads=4 --set documents=400 --set observations=100)
check "the middleware suite runs on the host" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
for m in "mw.broker publish_rate" "mw.broker consume_rate" "mw.broker start_s" \
	"mw.docstore insert_rate" "mw.docstore find_rate" "mw.docstore set_rate" \
	"mw.triplestore store_rate" "mw.triplestore retrieve_rate" "mw.worker drain_rate"; do
	# shellcheck disable=SC2086
	v=$(val $m host)
	check "... $m is a positive figure ($v)" positive "$v"
done
check "... and no server, client or service directory is left" nothing_left

rc=$(rc_of "$VB" run -q -p host -w mw.broker --runs 1 --min-runs 1 --warmup 0 \
	--set messages=1000 --set durable=1)
check "mw.broker durable=1 (durable queue, persistent messages) runs" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"

# The broker killed while publishing: the sample fails saying so, the run
# goes on to the next workload, nothing is left.
"$VB" run -q -p host -w mw.broker,mw.docstore --runs 1 --min-runs 1 --warmup 0 \
	--set messages=2000000 --set documents=200 >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 600); do pgrep -f '[v]irtbench-mw broker --port [0-9]* --messages' >/dev/null && break; sleep 0.2; done
sleep 1
pkill -KILL -f '[b]eam.smp.*(vb-svc|svc-rabbitmq)'
wait "$pid"
rc=$?
check "the broker killed while publishing fails its sample with the reason" \
	bash -c "[ $rc = 1 ] && grep -q 'mw.broker on host failed: .*mw.broker: publisher [0-9]*: .*the connection to the broker was lost' '$TMP/err'"
grep -q 'connection to the broker was lost' "$TMP/err" || diag "rc=$rc $(tail -3 "$TMP/err")"
check "... the run goes on: mw.docstore is measured after it" \
	bash -c "[ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT count(*) FROM samples s JOIN workloads w ON w.id = s.workload_id WHERE w.name = 'mw.docstore' AND s.ok AND s.run_id = (SELECT max(id) FROM runs)\")\" = 1 ]"
check "... and nothing is left" nothing_left

# The document store refusing connections: more client threads than
# PostgreSQL takes connections (initdb's max_connections is at most 100).
rc=$(rc_of "$VB" run -q -p host -w mw.docstore --runs 1 --min-runs 1 --warmup 0 \
	--set documents=300 --set threads=150)
check "the document store refusing connections fails the sample with its reason" \
	bash -c "[ $rc = 1 ] && grep -q 'mw.docstore on host failed: mw.docstore: thread [0-9]*: cannot connect to the document store at 127.0.0.1:[0-9]*: .*too many clients' '$TMP/err'"
[ "$rc" = 1 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
check "... and nothing is left" nothing_left

# The triplestore answering HTTP 500: a fake Virtuoso in the run's own
# mount namespace.
fake_store() {
	unshare -m bash -c "mount --bind '$ROOT/tests/data/fake-virtuoso' /usr/bin/virtuoso-t &&
		mount --bind /bin/true /usr/bin/isql-vt && exec \"\$@\"" fake "$@"
}
rc=$(rc_of fake_store "$VB" run -q -p host -w mw.triplestore --runs 1 --min-runs 1 --warmup 0 \
	--set observations=20)
check "the triplestore answering HTTP 500 fails the sample with its answer" \
	bash -c "[ $rc = 1 ] && grep -q \"mw.triplestore on host failed: mw.triplestore: thread [0-9]*: store obs-1-[0-9]*: HTTP 500: SR172: the fake store's database is broken\" '$TMP/err'"
[ "$rc" = 1 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
check "... and nothing is left" nothing_left

# layout=split on the host: the servers under a second agent (the pair's
# "guest", vb-TAG-20), the worker under the run's own, over loopback.
rc=$(rc_of "$VB" run -q -v -p host -w mw.worker --set layout=split --set observations=100 \
	--runs 2 --min-runs 2 --warmup 0)
check "mw.worker layout=split runs on the host" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(tail -3 "$TMP/err")"
check "... its pair's agent (vb-TAG-20) started beside the run's" \
	grep -qE "guest vb-[0-9a-f]{8}-20 \(host\) is up" "$TMP/err"
d=$(val mw.worker drain_rate host)
s0=$(val mw.worker start_s host)
check "... drain_rate ($d) and the pair's start_s ($s0) are positive figures" \
	awk -v a="$d" -v b="$s0" 'BEGIN { exit !(a > 0 && b > 0) }'
sql "SELECT params FROM workloads ORDER BY id DESC LIMIT 1" >"$TMP/params"
check "... the record says layout split" grep -q '"layout": *"split"' "$TMP/params"
check "... and nothing is left" nothing_left

# The worker failing (its triplestore answers HTTP 500): its sample fails
# with the worker's reason, and its pair ends at once instead of waiting.
t0=$(date +%s)
rc=$(rc_of fake_store "$VB" run -q -p host -w mw.worker --set layout=split \
	--set observations=50 --runs 1 --min-runs 1 --warmup 0)
el=$(($(date +%s) - t0))
check "layout=split with a failing worker fails the sample with its reason" \
	bash -c "[ $rc = 1 ] && grep -q 'mw.worker on host failed: mw.worker: worker: storing the graph of obs-1-[0-9]*: HTTP 500: SR172' '$TMP/err'"
[ "$rc" = 1 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
check "... its pair noticed the worker gone at once (the run took $el s; it waits 300 s for one that never came)" test "$el" -lt 120
check "... and nothing is left" settled

# The pair failing before it is ready (a triplestore that exits at once):
# the sample fails with the pair's reason at once, no worker is started.
t0=$(date +%s)
rc=$(rc_of unshare -m bash -c "mount --bind /bin/false /usr/bin/virtuoso-t &&
	exec '$VB' run -q -p host -w mw.worker --set layout=split --set observations=50 \
	--runs 1 --min-runs 1 --warmup 0")
el=$(($(date +%s) - t0))
check "layout=split with a pair that cannot start fails with the pair's reason ($el s)" \
	bash -c "[ $rc = 1 ] && [ $el -lt 120 ] && grep -q 'mw.worker on host failed: its pair mw.services: mw.services: virtuoso exited at start' '$TMP/err'"
[ "$rc" = 1 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
check "... and nothing is left" settled
rc=$(rc_of "$VB" scale -q -p container --vcpus 1,2 --memory 256M,512M,1G,2G -w mw.worker \
	--set layout=split)
check "layout=split with more than 6 platform entries is refused (exit 2)" \
	bash -c "[ $rc = 2 ] && grep -q 'takes at most 6 platform entries (here 8)' '$TMP/err'"

# The pair is not a workload of its own; split needs the run's bridge; isolation takes single only.
rc=$(rc_of "$VB" run -q -p host -w mw.services)
check "-w mw.services is refused (exit 2): it runs only as a pair" \
	bash -c "[ $rc = 2 ] && grep -q 'mw.services runs only as the pair' '$TMP/err'"
rc=$(rc_of "$VB" run -q -p host -w mw.worker --set layout=split --net none)
check "layout=split with --net none is refused (exit 2)" \
	bash -c "[ $rc = 2 ] && grep -q 'layout=split needs its two guests on the run.s bridge' '$TMP/err'"
rc=$(rc_of "$VB" isolation -q -p host -w mw.worker --set layout=split)
check "isolation with layout=split is refused (exit 2)" \
	bash -c "[ $rc = 2 ] && grep -q 'isolation runs it with layout=single only' '$TMP/err'"
check "... and nothing started" bash -c "[ -z \"\$(servers)\" ]"

# Ctrl-C during the broker's load: the run ends incomplete and takes its servers along.
"$VB" run -q -p host -w mw.broker --runs 3 --warmup 0 --set messages=5000000 \
	>/dev/null 2>"$TMP/err" &
pid=$!
for _ in $(seq 600); do pgrep -f '[v]irtbench-mw broker --port [0-9]* --messages' >/dev/null && break; sleep 0.2; done
kill -INT "$pid"
wait "$pid"
rc=$?
status=$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")
check "Ctrl-C during the broker's load ends the run (exit $rc), marked $status" \
	bash -c "[ $rc = 130 ] && [ '$status' = incomplete ]"
check "... and no server, client or directory is left" settled

# --suite all where the Debian image cannot be built (the host's mirror
# replaced by one that refuses, in the run's own mount namespace): the
# application and middleware workloads are left out with the reason, the
# rest runs.
if "$VB" list platforms | grep -qE '^container +available'; then
	mkdir -p "$TMP/apt"
	printf 'Types: deb\nURIs: http://127.0.0.1:9/debian\nSuites: %s\nComponents: main\n' \
		"$(. /etc/os-release && echo "$VERSION_CODENAME")" >"$TMP/apt/debian.sources"
	rc=$(VIRTBENCH_CACHE_DIR="$TMP/nocache" rc_of unshare -m bash -c \
		"mount --bind '$TMP/apt' /etc/apt/sources.list.d &&
		exec '$VB' run -q -p container --suite all --runs 1 --min-runs 1 --warmup 0")
	check "--suite all without a Debian image: the app and mw workloads are left out with the reason" \
		bash -c "[ $rc = 0 ] && grep -q 'virtbench run: leaving out app.nginx, .*mw.worker: image debian: debootstrap .* failed' '$TMP/err'"
	[ "$rc" = 0 ] || diag "rc=$rc $(tail -3 "$TMP/err")"
	left=$(sql "SELECT count(*) FROM workloads w JOIN runs r ON r.id = w.run_id WHERE r.id = (SELECT max(id) FROM runs) AND (w.grp IN ('app', 'middleware'))")
	ran=$(sql "SELECT count(*) FROM samples s WHERE s.ok AND s.run_id = (SELECT max(id) FROM runs)")
	check "... and the rest ran ($ran samples, $left app or mw workloads stored)" \
		bash -c "[ '$left' = 0 ] && [ '$ran' -gt 0 ]"
else
	skip "--suite all without a Debian image" "the container platform is not available here"
	skip "... and the rest ran" "the container platform is not available here"
fi

# In guests: a container and (where it works) a qemu-tcg guest on the
# Debian image with the middleware's packages, in one run.
export VIRTBENCH_CACHE_DIR=${VB_TEST_SHARED_CACHE:-$TMP/cache}
cache=$VIRTBENCH_CACHE_DIR
debian_plan debian:libcurl4,libjansson4,libpq5,librabbitmq4,netbase,postgresql-15,rabbitmq-server,virtuoso-opensource-7 ||
	skip_rest "$plan_why"
plats=container
if ! "$VB" list platforms | grep -qE '^container +available'; then
	skip_rest "the container platform is not available here"
fi
"$VB" list platforms | grep -qE '^qemu-tcg +available' && plats=container,qemu-tcg
t0=$(date +%s)
rc=$(rc_of "$VB" run -q -p "$plats" --suite middleware --runs 1 --min-runs 1 --warmup 0 \
	--timeout 1800 --set messages=1000 --set documents=200 --set observations=50)
diag "the run on $plats (with the image build if not cached) took $(($(date +%s) - t0)) s"
check "the middleware suite runs on $plats" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(grep -v '^virtbench: image' "$TMP/err" | tail -5)"
for p in container qemu-tcg; do
	if [ "$p" = qemu-tcg ] && [ "$plats" = container ]; then
		skip "$p: figures" "qemu-tcg is not available here"
		continue
	fi
	a=$(val mw.broker consume_rate $p)
	b=$(val mw.docstore find_rate $p)
	c=$(val mw.triplestore retrieve_rate $p)
	d=$(val mw.worker drain_rate $p)
	check "... $p: consume_rate ($a), find_rate ($b), retrieve_rate ($c) and drain_rate ($d) are positive figures" \
		bash -c "awk -v a='$a' -v b='$b' -v c='$c' -v d='$d' 'BEGIN { exit !(a > 0 && b > 0 && c > 0 && d > 0) }'"
done
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "... and nothing of the servers or guests is left" \
	bash -c "nothing_left && [ -z \"\$(vb_cgroup_leftovers '$tag')\" ] && ! pgrep -f '[q]emu-system.*$tag' >/dev/null"

# layout=split in guests: the servers in the pair's guest, the worker in
# the run's, over the run's bridge (pairs 20 and 21 with two platforms).
t0=$(date +%s)
rc=$(rc_of "$VB" run -q -v -p "$plats" -w mw.worker --set layout=split --set observations=50 \
	--runs 1 --min-runs 1 --warmup 0 --timeout 1800)
diag "layout=split on $plats took $(($(date +%s) - t0)) s"
check "mw.worker layout=split runs on $plats" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(grep -v '^virtbench: image' "$TMP/err" | tail -5)"
for p in container qemu-tcg; do
	if [ "$p" = qemu-tcg ] && [ "$plats" = container ]; then
		skip "$p: layout=split" "qemu-tcg is not available here"
		continue
	fi
	d=$(val mw.worker drain_rate $p)
	s0=$(val mw.worker start_s $p)
	check "... $p: its pair's guest was up, drain_rate ($d) and the pair's start_s ($s0) are positive" \
		bash -c "grep -qE 'guest vb-[0-9a-f]{8}-[2-9][0-9] \($p\) is up' '$TMP/err' &&
			awk -v a='$d' -v b='$s0' 'BEGIN { exit !(a > 0 && b > 0) }'"
done
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "... and nothing of the servers, guests or links is left" \
	bash -c "nothing_left && [ -z \"\$(vb_cgroup_leftovers '$tag')\" ] && ! ip link show | grep -q '$tag'"
exit $_failed
