#!/bin/bash
# `virtbench features`: every feature row filled for every platform with a
# valid value and how it was determined; QEMU really saved, restored and
# migrated a running machine (its processes are watched while the probe
# runs); the container's checkpoint cell agrees with `criu check`; nothing of
# the run remains; the run is stored, shown and exported with its features.
. "$(dirname "$0")/lib.bash"
plan 17
features="checkpoint-restore live-migration memory-overcommit cpu-overcommit hardware-extensions isolated-kernel-updates mainline-linux"
platforms="host container kvm qemu-tcg xen"
if [ "$(id -u)" != 0 ]; then
	for i in $(seq 17); do skip "features $i" "needs root (CRIU, cgroups)"; done
	exit 0
fi
have_qemu=0
command -v qemu-system-x86_64 >/dev/null && have_qemu=1

# Watch QEMU while the probe runs: which machines of this state directory
# exist. Every QEMU virtbench starts goes through a wrapper first in PATH
# that writes down its command line (a machine that lives for a few
# milliseconds, as a migration's destination may, is missed by polling on a
# loaded host); the poll below stays as a second witness.
: >"$TMP/seen"
if [ $have_qemu = 1 ]; then
	mkdir -p "$TMP/bin"
	cat >"$TMP/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
printf 'qemu-system-x86_64 %s\n' "\$*" >>"$TMP/seen"
exec $(command -v qemu-system-x86_64) "\$@"
EOF
	chmod +x "$TMP/bin/qemu-system-x86_64"
fi
PATH="$TMP/bin:$PATH" "$VB" features --json "$TMP/f.json" >"$TMP/out" 2>"$TMP/err" &
pid=$!
while kill -0 $pid 2>/dev/null; do
	pgrep -af qemu-system-x86_64 | grep -F "$VIRTBENCH_STATE_DIR/" >>"$TMP/seen"
	sleep 0.05
done
wait $pid
rc=$?
check "virtbench features exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(tail -5 "$TMP/err")"

tag=$(sql "SELECT tag FROM runs WHERE experiment = 'features'")
check "stored as a complete features run with schema 2" \
	test "$(sql "SELECT status || ' ' || exit_code FROM runs WHERE experiment = 'features'; PRAGMA user_version" | tr '\n' ' ')" = "complete 0 3 "
cells=$(sql "SELECT count(*) FROM features f JOIN runs r ON r.id = f.run_id WHERE r.tag = '$tag'
	AND value IN ('yes','no','partial','n/a','unknown') AND how IN ('probed','by design','documented')
	AND length(detail) > 20")
check "35 cells (7 features x 5 platforms), each with a valid value, how and detail ($cells)" test "$cells" = 35
missing=""
for f in $features; do
	for p in $platforms; do
		[ "$(sql "SELECT count(*) FROM features WHERE feature = '$f' AND platform = '$p'")" = 1 ] || missing="$missing $p/$f"
	done
done
check "every feature row exists for every platform${missing:+ (missing:$missing)}" test -z "$missing"
titles="checkpoint/restore|live migration|memory over-commit|CPU over-commit|hardware extensions needed|isolated kernel updates|mainline Linux support"
check "the printed table has the 7 rows, 5 columns and the legend" \
	bash -c "[ \$(grep -cE '^($titles) ' '$TMP/out') = 7 ] && grep -qE '^feature +host +container +kvm +qemu-tcg +xen$' '$TMP/out' && grep -q '^(p) probed' '$TMP/out' && grep -q '^details:' '$TMP/out'"

cell() { sql "SELECT value || '|' || how FROM features WHERE platform = '$1' AND feature = '$2'"; }
if [ $have_qemu = 1 ]; then
	check "qemu-tcg live migration: yes, probed" test "$(cell qemu-tcg live-migration)" = "yes|probed"
	check "qemu-tcg checkpoint/restore: yes, probed" test "$(cell qemu-tcg checkpoint-restore)" = "yes|probed"
	# What the cells claim, seen from outside: QEMU machines of this run,
	# a destination waiting on a unix socket and one restoring from a file.
	check "a QEMU waited with -incoming unix: for the live migration" \
		grep -qE "qemu-system-x86_64 -name $tag-[0-9]+ .*-incoming unix:$VIRTBENCH_STATE_DIR/$tag/" "$TMP/seen"
	check "a QEMU restored the saved state with -incoming exec:cat" \
		grep -qE "qemu-system-x86_64 -name $tag-[0-9]+ .*-incoming exec:cat '$VIRTBENCH_STATE_DIR/$tag/$tag-[0-9]+\.state'" "$TMP/seen"
	check "more vCPUs than host CPUs: qemu-tcg cpu over-commit probed" \
		bash -c "[ '$(cell qemu-tcg cpu-overcommit)' = 'yes|probed' ] && grep -qE -- '-accel tcg .*-smp $(($(nproc) * 2)) ' '$TMP/seen'"
else
	for i in 1 2 3 4 5; do skip "qemu-tcg probe $i" "qemu-system-x86_64 is not installed"; done
fi

# The container's checkpoint cell follows criu check.
ck=$(cell container checkpoint-restore)
ckd=$(sql "SELECT detail FROM features WHERE platform = 'container' AND feature = 'checkpoint-restore'")
if ! command -v criu >/dev/null; then
	check "container checkpoint: no, CRIU not installed ($ck)" bash -c "[ '$ck' = 'no|probed' ] && grep -q 'not installed' <<<\"\$0\"" "$ckd"
elif criu check >/dev/null 2>&1; then
	check "criu check passes: the cell says so ($ck)" bash -c "case '$ck' in yes\|probed|no\|probed) grep -q '^criu check passed' <<<\"\$0\";; *) false;; esac" "$ckd"
else
	check "criu check fails: the cell is no or partial and says so ($ck)" bash -c "case '$ck' in no\|probed|partial\|probed) grep -q '^criu check failed' <<<\"\$0\";; *) false;; esac" "$ckd"
fi
check "hardware extensions: kvm yes by design, container and qemu-tcg no" \
	test "$(cell kvm hardware-extensions) $(cell container hardware-extensions) $(cell qemu-tcg hardware-extensions)" = "yes|by design no|by design no|by design"

sleep_bin=$(command -v sleep)
check "nothing left: no QEMU or CRIU tree of the run, no cgroup, no file" \
	bash -c "! pgrep -f 'qemu-system-x86_6[4] -name $tag' >/dev/null && ! pgrep -fx '$sleep_bin 60' >/dev/null && [ -z \"\$(vb_cgroup_leftovers $tag)\" ] && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"

features_json_ok() {
	jq -e '.run.experiment == "features" and (.features | length) == 35 and all(.features[]; (keys | sort) == ["detail","feature","how","platform","value"])' "$TMP/f.json" >/dev/null
}
check "JSON export: a features array of 35 cells with the five keys" features_json_ok
"$VB" show last >"$TMP/show"
check "show prints the stored features table" \
	bash -c "diff <(grep -E '^($titles) ' '$TMP/out') <(grep -E '^($titles) ' '$TMP/show')"

# --no-store: the table, nothing written (not -p xen: named, it boots the nested Xen).
before=$(sql "SELECT count(*) FROM runs")
"$VB" features -p host,container --no-store >"$TMP/ns" 2>&1
ns_rc=$?
check "--no-store prints host and container and stores nothing" \
	bash -c "[ $ns_rc = 0 ] && grep -qE '^feature +host +container$' '$TMP/ns' && [ '$(sql "SELECT count(*) FROM runs")' = '$before' ]"

bad=0
for args in "-p nosuch" "-p lxc" "-p host,host" "-p host,,xen" "--bogus" "extra" "--no-store --db $TMP/x.db"; do
	# shellcheck disable=SC2086
	"$VB" features $args >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc != 2 ] || [ "$(wc -l <"$TMP/err")" != 1 ]; then
		bad=1
		diag "features $args: exit $rc: $(cat "$TMP/err")"
	fi
done
check "bad input (-p nosuch, -p lxc, repeats, unknown options) exits 2 with one line" test $bad = 0
