#!/bin/bash
# The application workloads inside guests: every app workload's quick
# profile (made small) in a container on the Debian image with their
# packages, one run so one image; and a server that exits at start (a fake
# nginx in an image of our own) failing its sample with its own words.
# Nothing is left: no server, no cgroup, no service directory.
. "$(dirname "$0")/lib.bash"
N=17
plan $N
need_container $N "apps in guests"
# One image for the CI run when tests/run.sh provides a shared cache.
export VIRTBENCH_CACHE_DIR=${VB_TEST_SHARED_CACHE:-$TMP/cache}
rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }
val() { sql "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	JOIN workloads w ON w.id = s.workload_id JOIN platforms p ON p.id = s.platform_id
	WHERE w.name = '$1' AND v.metric = '$2' AND p.name = '$3' AND s.ok
	ORDER BY s.id DESC LIMIT 1"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v > 0) }'; }

# A server that exits at start: a fake nginx (and ab) in a copy of the minimal image.
img="$TMP/img-fake"
base=$("$VB" container image minimal 2>/dev/null)
cp -a "$base" "$img"
mkdir -p "$img/usr/sbin" "$img/usr/bin"
printf '#!/bin/sh\necho "nginx: [emerg] the fake nginx refuses to start" >&2\nexit 1\n' \
	>"$img/usr/sbin/nginx"
printf '#!/bin/sh\nexit 0\n' >"$img/usr/bin/ab"
chmod 755 "$img/usr/sbin/nginx" "$img/usr/bin/ab"
echo 'www-data:x:33:33:www-data:/var/www:/bin/false' >>"$img/etc/passwd"
rc=$(rc_of "$VB" run -q -p container -w app.nginx --runs 2 --warmup 0 --set requests=500 \
	--container-image "$img")
check "a server that exits at start fails the sample, quoting its log" \
	bash -c "[ $rc != 0 ] && grep -q 'nginx exited at start (exit status 1); its log ends: nginx: \[emerg\] the fake nginx refuses to start' '$TMP/err'"
[ "$rc" != 0 ] || diag "$(tail -3 "$TMP/err")"
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "... and leaves no cgroup behind" bash -c "[ -n '$tag' ] && [ -z \"\$(vb_cgroup_leftovers '$tag')\" ]"

# The real servers, in the Debian image with every app workload's packages.
pkgs=apache2-utils,nginx,php8.2-cli,postgresql-15,python3,wrk
"$VB" container image --plan "debian:$pkgs" >"$TMP/plan" 2>/dev/null
mirror=$(awk '$1 == "mirror" { print $2 }' "$TMP/plan")
suite=$(awk '$1 == "suite" { print $2 }' "$TMP/plan")
if ! grep -qx 'cached yes' "$TMP/plan" &&
	! timeout 60 /usr/lib/apt/apt-helper download-file "$mirror/dists/$suite/InRelease" \
		"$TMP/InRelease" >/dev/null 2>&1; then
	for _ in $(seq $((_n + 1)) $N); do skip "apps in the Debian container" "the mirror $mirror is not reachable"; done
	exit 0
fi
# One run: one image for both guests (the union of the four workloads'
# packages, chosen by virtbench itself); qemu-tcg boots it as its root disk.
plats=container
"$VB" list platforms | grep -qE '^qemu-tcg +available' && plats=container,qemu-tcg
t0=$(date +%s)
rc=$(rc_of "$VB" run -q -p "host,$plats" -w app.nginx,app.pgbench,app.python,app.php \
	--runs 2 --min-runs 2 --warmup 0 --timeout 900 \
	--set requests=1000 --set scale=1 --set transactions=50 --set clients=2 --set threads=1 \
	--set iterations=1000 --set rounds=1)
diag "the run on host,$plats (with the image build if not cached) took $(($(date +%s) - t0)) s"
check "all four app workloads run on host,$plats" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(grep -v '^virtbench: image' "$TMP/err" | tail -5)"
for p in container qemu-tcg; do
	for m in "app.nginx requests_per_s" "app.pgbench tps" "app.python total" "app.php total"; do
		if [ "$p" = qemu-tcg ] && [ "$plats" = container ]; then
			skip "$p $m" "qemu-tcg is not available here"
			continue
		fi
		# shellcheck disable=SC2086
		v=$(val $m $p)
		check "... $p: $m is a positive figure ($v)" positive "$v"
	done
done
check "... the guests' records name the Debian image with the workloads' packages" \
	bash -c "sqlite3 '$VIRTBENCH_DB' 'SELECT spec FROM platforms' | grep -q 'postgresql-15'"
tag=$(sql "SELECT tag FROM runs ORDER BY id DESC LIMIT 1")
check "... and nothing of the servers or guests is left" \
	bash -c "[ -z \"\$(pgrep -af '[v]b-svc|[s]vc-nginx|[s]vc-postgresql')\" ] && [ -z \"\$(vb_cgroup_leftovers '$tag')\" ] &&
		[ -z \"\$(find '$VIRTBENCH_STATE_DIR' -name 'svc-*' 2>/dev/null)\" ] && ! pgrep -f '[q]emu-system.*$tag' >/dev/null"
check "... nor in the cache but the image" \
	bash -c "[ -z \"\$(find '$VIRTBENCH_CACHE_DIR' -maxdepth 2 -name '.build*')\" ]"

# where=host in a container: the host's ab and pgbench (through the peer)
# against the container's address on the run's bridge, PostgreSQL by the
# job's password; the same image.
rc=$(rc_of "$VB" run -q -p container -w app.nginx,app.pgbench --runs 1 --min-runs 1 --warmup 0 \
	--set where=host --set requests=500 --set scale=1 --set transactions=50 --set clients=2 \
	--set threads=1)
check "where=host in a container: nginx and pgbench loaded from the host" test "$rc" = 0
[ "$rc" = 0 ] || diag "$(grep -v '^virtbench: image' "$TMP/err" | tail -5)"
a=$(val app.nginx requests_per_s container)
b=$(val app.pgbench tps container)
both_positive() { positive "$a" && positive "$b"; }
check "... both figures positive ($a req/s, $b tx/s)" both_positive

# isolation with a service workload as its victim: the container gets the
# default user namespace too (the rule is one for every verb). The same
# packages as the run above, so the same cached image.
rc=$(rc_of "$VB" isolation -p container -w app.python --set iterations=100 --set rounds=1 \
	--rounds 2 --warmup 0 --image debian:apache2-utils,nginx,php8.2-cli,postgresql-15,python3,wrk \
	--json "$TMP/iso.json")
userns=$(python3 -c 'import json,sys; print(" ".join(sorted({str(p["spec"]["guest"].get("userns")) for p in json.load(open(sys.argv[1]))["platforms"]})))' "$TMP/iso.json" 2>/dev/null)
check "isolation with app.python in a container: the guests have the default user namespace ($userns)" \
	bash -c "[ $rc = 0 ] && [ '$userns' = '0:1879048192:65536' ]"
[ "$rc" = 0 ] || diag "$(grep -v '^virtbench: image' "$TMP/err" | tail -5)"
exit $_failed
