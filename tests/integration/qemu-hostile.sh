#!/bin/bash
# A hostile guest under qemu-tcg with --net nat (issue 13, item 6): a shell
# script stands in for the agent inside the guest (busybox sh on the
# virtio-serial port). It tries the host's loopback through slirp's
# 10.0.2.2 and the w3 peer it was given, and floods the serial console.
# QEMU must run unprivileged, the guest must reach only the peer, and the
# console log must stay capped; the real agent's net.rr still runs over NAT.
. "$(dirname "$0")/lib.bash"
plan 8
unset VIRTBENCH_CACHE_DIR
reason=""
command -v qemu-system-x86_64 >/dev/null || reason="qemu-system-x86_64 is not installed"
[ -z "$reason" ] && [ "$(id -u)" != 0 ] && reason="needs root (QEMU's cgroup)"
# A service on the host's loopback only (and nothing else on this port).
port=47613
[ -z "$reason" ] && ss -Htln "sport = :$port" | grep -q . && reason="port $port is taken here"
if [ -n "$reason" ]; then
	for i in $(seq 8); do skip "qemu hostile guest $i" "$reason"; done
	exit 0
fi
timeout 600 busybox nc -ll -p "$port" -e /bin/echo host-service >/dev/null 2>&1 &
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$TMP"' EXIT
fake="$TMP/guest-agent"
cat >"$fake" <<AGENT
#!/bin/sh
# On the host, as the w3 peer: the real agent.
[ "\$1" = --peer ] && exec "$AGENT" "\$@"
# In the guest, started by /init as: virtbench-agent --sync --fd 3 (the virtio-serial port).
# What nc runs once connected (the guest has busybox applets, no /bin/true).
printf '#!/bin/sh\n' >/tmp/connected && chmod 755 /tmp/connected
read -r line <&3
echo '{"v":1,"type":"hello","protocol":1,"agent":"0.1.0","pid":1}' >&3
while read -r line <&3; do
	case "\$line" in *'"quit"'*) exit 0 ;; *'"type":"job"'*) ;; *) continue ;; esac
	id=\$(echo "\$line" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
	peer=\$(echo "\$line" | sed -n 's/.*"peer":"\([^"/]*\)[/"].*/\1/p')
	h=blocked; p=blocked
	busybox nc -w 5 10.0.2.2 $port -e /tmp/connected 2>/dev/null && h=reached
	busybox nc -w 5 "\${peer%:*}" "\${peer##*:}" -e /tmp/connected 2>/dev/null && p=reached
	# 600 KB on the serial console; the host keeps at most 256 KiB of it.
	yes 'console flood from a hostile guest ......................................' |
		head -c 600000 >/dev/ttyS0
	sleep 3
	echo "{\"v\":1,\"type\":\"started\",\"job\":\"\$id\",\"workload\":\"net.rr\"}" >&3
	echo "{\"v\":1,\"type\":\"error\",\"job\":\"\$id\",\"msg\":\"probe host=\$h peer=\$p\"}" >&3
	echo "{\"v\":1,\"type\":\"done\",\"job\":\"\$id\",\"ok\":false}" >&3
done
AGENT
chmod 755 "$fake"
# While it runs: QEMU's ids, and the largest the console log ever got.
watch() {
	local uid="" max=0 s q
	for _ in $(seq 1500); do
		q=$(pgrep -f "qemu-system-x86_6[4] .*$VIRTBENCH_STATE_DIR" | head -1)
		[ -n "$q" ] && [ -z "$uid" ] && sleep 0.5 &&
			uid=$(awk '/^Uid:/ { print $2 }' "/proc/$q/status" 2>/dev/null) &&
			readlink "/proc/$q/fd/2" >"$TMP/qemu-stderr"
		for f in "$VIRTBENCH_STATE_DIR"/vb-*/vb-*/console.log; do
			s=$(stat -c %s "$f" 2>/dev/null || echo 0)
			[ "$s" -gt "$max" ] && max=$s
		done
		echo "$uid $max" >"$TMP/watch"
		sleep 0.2
	done
}
watch &
watcher=$!
VIRTBENCH_AGENT="$fake" "$VB" run -q --runs 1 --min-runs 1 --warmup 0 -p qemu-tcg -w net.rr \
	--set count=10 --net nat >"$TMP/out" 2>"$TMP/err"
kill $watcher 2>/dev/null
wait $watcher 2>/dev/null
read -r uid max <"$TMP/watch"
said=$(sql "SELECT error FROM samples" | head -1)
diag "QEMU uid: ${uid:-?}; console log at most $max bytes; the guest said: ${said:-nothing}"
[ -n "$said" ] || diag "$(tail -3 "$TMP/err")"
check "QEMU runs as an unprivileged user (uid ${uid:-?}), not root" \
	bash -c "[ -n '$uid' ] && [ '$uid' != 0 ]"
check "the NAT guest cannot reach a service on the host's 127.0.0.1" \
	bash -c "printf '%s' '$said' | grep -q 'host=blocked'"
check "the NAT guest reaches its w3 peer" bash -c "printf '%s' '$said' | grep -q 'peer=reached'"
check "a console flood of 600 KB leaves a log of at most 256 KiB ($max bytes)" \
	bash -c "[ '$max' -gt 0 ] && [ '$max' -le 262144 ]"
check "QEMU's own output goes to a pipe virtbench drains (capped), not to a file ($(cat "$TMP/qemu-stderr" 2>/dev/null))" \
	grep -q '^pipe:' "$TMP/qemu-stderr"
check "the run's QEMU records the unprivileged uid it ran as" \
	test "$(sql "SELECT json_extract(spec, '\$.guest.qemu_uid') FROM platforms")" = "$uid"
# The real agent over NAT: the peer in QEMU's network namespace still works.
export VIRTBENCH_DB="$TMP/nat.db"
"$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p qemu-tcg -w net.rr --set count=200 --net nat \
	>/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || diag "$(tail -3 "$TMP/err")"
check "the real agent's net.rr runs over NAT (the w3 peer works)" \
	bash -c "[ $rc = 0 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT count(*) FROM summaries WHERE metric = 'p50' AND mean > 0\")\" = 1 ]"
check "nothing of the runs remains: no QEMU, no work directory" \
	bash -c "! pgrep -f 'qemu-system-x86_6[4] .*$VIRTBENCH_STATE_DIR' >/dev/null && [ \$(find '$VIRTBENCH_STATE_DIR' -mindepth 1 | wc -l) = 0 ]"
