#!/bin/bash
# The input filter of a run's bridge (issue 13, item 7): a guest on the
# bridge reaches the host only at its w3 peer's port. A shell script stands
# in for the agent, in a container (an image whose /sbin/virtbench-agent is
# that script) and in a qemu-tcg guest; it tries a listener the test starts
# on the host's 0.0.0.0 through the bridge's address, and the peer it was
# given (the rule's independence of the address is read from the table). The filter is a table
# named after the run; it goes with the run, and after SIGKILL with the
# next start.
. "$(dirname "$0")/lib.bash"
plan 11
reason=""
[ "$(id -u)" != 0 ] && reason="needs root (bridges, nft)"
command -v nft >/dev/null || reason="nft is not installed (nftables)"
port=47614
[ -z "$reason" ] && ss -Htln "sport = :$port" | grep -q . && reason="port $port is taken here"
if [ -n "$reason" ]; then
	for i in $(seq 10); do skip "bridge input filter $i" "$reason"; done
	exit 0
fi
# A service on every address of the host, for this test only.
timeout 900 busybox nc -ll -p "$port" -e /bin/echo host-service >/dev/null 2>&1 &
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$TMP"' EXIT
# Only the bridge's address is tried from inside: the host's other addresses
# are off limits for test traffic here; the drop rule keys on the guest's
# device, not on an address, and a check below reads that from the table.
other=""
# probe.sh: what the fake agents run on a job; $1 is the job line.
cat >"$TMP/probe" <<PROBE
peer=\$(echo "\$1" | sed -n 's/.*"peer":"\([^"/]*\)[/"].*/\1/p')
bridge=\${peer%:*}
printf '#!/bin/sh\n' >/tmp/connected && chmod 755 /tmp/connected
try() { busybox nc -w 5 "\$1" "\$2" -e /tmp/connected 2>/dev/null && echo reached || echo blocked; }
said="bridge=\$(try "\$bridge" $port) other=\$( [ -n "$other" ] && try "$other" $port || echo none) peer=\$(try "\$bridge" "\${peer##*:}")"
PROBE
# The container's agent: the protocol on stdin/stdout.
cat "$TMP/probe" >"$TMP/probe-fn"
{
	echo '#!/bin/sh'
	echo 'echo "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"0.1.0\",\"pid\":1}"'
	echo 'while read -r line; do'
	echo '	case "$line" in *"\"quit\""*) exit 0 ;; *"\"type\":\"job\""*) ;; *) continue ;; esac'
	echo '	id=$(echo "$line" | sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p")'
	echo '	set -- "$line"'
	cat "$TMP/probe"
	echo '	sleep 2'
	echo '	echo "{\"v\":1,\"type\":\"started\",\"job\":\"$id\",\"workload\":\"net.rr\"}"'
	echo '	echo "{\"v\":1,\"type\":\"error\",\"job\":\"$id\",\"msg\":\"probe $said\"}"'
	echo '	echo "{\"v\":1,\"type\":\"done\",\"job\":\"$id\",\"ok\":false}"'
	echo 'done'
} >"$TMP/agent-ctr"
img=$("$VB" container image minimal 2>/dev/null)
cp -a "$img" "$TMP/img"
install -m 755 "$TMP/agent-ctr" "$TMP/img/sbin/virtbench-agent"

# While a run goes: its table as nft lists it, the last listing before it went.
watch_table() {
	local t="" seen=0
	for _ in $(seq 600); do
		[ -z "$t" ] && t=$(nft list tables 2>/dev/null | grep -o 'table inet vb-[0-9a-f]*' |
			while read -r _ _ n; do [ -e "$VIRTBENCH_STATE_DIR/$n" ] && echo "$n"; done | head -1)
		if [ -n "$t" ]; then
			nft list table inet "$t" >"$TMP/table.now" 2>/dev/null || { [ $seen = 1 ] && return; }
			# Kept only when both reads worked: the bridge goes with the run.
			a=$(cat "/sys/class/net/$t/addr_assign_type" 2>/dev/null) &&
				m=$(cat "/sys/class/net/$t/address" 2>/dev/null) &&
				echo "$a $m" >"$TMP/bridge-mac"
			[ -s "$TMP/table.now" ] && seen=1 && mv "$TMP/table.now" "$TMP/table"
		fi
		sleep 0.1
	done
}
watch_table &
w=$!
"$VB" run -q --runs 1 --min-runs 1 --warmup 0 -p container -w net.rr --set count=10 \
	--container-image "$TMP/img" >"$TMP/out" 2>"$TMP/err"
wait $w
said=$(sql "SELECT error FROM samples" | head -1)
tag=$(sql "SELECT tag FROM runs")
diag "the container said: ${said:-nothing}; other host address: ${other:-none}"
[ -n "$said" ] || diag "$(tail -3 "$TMP/err")"
check "a container on the bridge cannot reach a host service on 0.0.0.0 through the bridge's address" \
	bash -c "printf '%s' '$said' | grep -q 'bridge=blocked'"
check "the drop rule keys on the guest's device, not on a destination: every host address is covered" \
	bash -c "grep -E 'iifname \"$tag\" counter packets [0-9]+ bytes [0-9]+ drop' '$TMP/table' | grep -qv daddr"
check "it reaches its w3 peer" bash -c "printf '%s' '$said' | grep -q 'peer=reached'"
check "while the run went, table inet $tag admitted one port and dropped the rest" \
	bash -c "grep -q 'iifname \"$tag\" ip daddr . tcp dport @peers accept' '$TMP/table' && grep -qE 'elements = \\{ [0-9.]+ \\. [0-9]+ \\}' '$TMP/table' && grep -q 'iifname \"$tag\" counter packets [1-9][0-9]* bytes [0-9]* drop' '$TMP/table'"
check "the table is gone with the run" bash -c "! nft list tables | grep -qw '$tag'"
# A bridge whose address is not set takes its lowest port's: a guest leaving
# mid-run would change it under the others (their ARP entries then point
# nowhere). Set (addr_assign_type 3) from the tag: 02:76:62 + its last 6 digits.
check "the bridge's MAC is set, not taken from a port: $(cat "$TMP/bridge-mac" 2>/dev/null)" \
	test "$(cat "$TMP/bridge-mac" 2>/dev/null)" = "3 02:76:62:${tag:5:2}:${tag:7:2}:${tag:9:2}"

# A qemu-tcg guest on the same kind of bridge (its tap): the same filter.
if command -v qemu-system-x86_64 >/dev/null; then
	{
		echo '#!/bin/sh'
		echo "[ \"\$1\" = --peer ] && exec '$AGENT' \"\$@\""
		echo 'read -r line <&3'
		echo 'echo "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"0.1.0\",\"pid\":1}" >&3'
		echo 'while read -r line <&3; do'
		echo '	case "$line" in *"\"quit\""*) exit 0 ;; *"\"type\":\"job\""*) ;; *) continue ;; esac'
		echo '	id=$(echo "$line" | sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p")'
		echo '	set -- "$line"'
		cat "$TMP/probe"
		echo '	echo "{\"v\":1,\"type\":\"started\",\"job\":\"$id\",\"workload\":\"net.rr\"}" >&3'
		echo '	echo "{\"v\":1,\"type\":\"error\",\"job\":\"$id\",\"msg\":\"probe $said\"}" >&3'
		echo '	echo "{\"v\":1,\"type\":\"done\",\"job\":\"$id\",\"ok\":false}" >&3'
		echo 'done'
	} >"$TMP/agent-vm"
	chmod 755 "$TMP/agent-vm"
	export VIRTBENCH_DB="$TMP/vm.db"
	(unset VIRTBENCH_CACHE_DIR; VIRTBENCH_AGENT="$TMP/agent-vm" "$VB" run -q --runs 1 --min-runs 1 \
		--warmup 0 -p qemu-tcg -w net.rr --set count=10 >/dev/null 2>"$TMP/err")
	said=$(sql "SELECT error FROM samples" | head -1)
	diag "the qemu-tcg guest said: ${said:-nothing}"
	[ -n "$said" ] || diag "$(tail -3 "$TMP/err")"
	check "a qemu-tcg guest on the bridge (tap) cannot reach the host service, but its peer" \
		bash -c "printf '%s' '$said' | grep -q 'bridge=blocked other=[bn].* peer=reached'"
else
	skip "a qemu-tcg guest on the bridge (tap) cannot reach the host service, but its peer" \
		"qemu-system-x86_64 is not installed"
fi

# The real agent: w3 over the bridge still works.
export VIRTBENCH_DB="$TMP/real.db"
"$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p container -w net.rr --set count=200 \
	>/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || diag "$(tail -3 "$TMP/err")"
check "the real agent's net.rr runs over the bridge" \
	bash -c "[ $rc = 0 ] && [ \"\$(sqlite3 '$VIRTBENCH_DB' \"SELECT count(*) FROM summaries WHERE metric = 'p50' AND mean > 0\")\" = 1 ]"

# SIGKILL mid-run: the table stays until the next start sweeps it.
export VIRTBENCH_DB="$TMP/kill.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p container -w net.rr --set count=200 \
	>/dev/null 2>&1 &
pid=$!
wait_first_sample 60
tag=$(sql "SELECT tag FROM runs")
kill -KILL $pid
wait $pid 2>/dev/null
check "SIGKILL: table inet $tag is still there after the kill" \
	bash -c "[ -n '$tag' ] && nft list tables | grep -qw 'table inet $tag'"
"$VB" runs >/dev/null 2>&1
check "SIGKILL: the next start deletes it" bash -c "! nft list tables | grep -qw '$tag'"

# Without nft there is no bridge: a bridged guest is refused, not left open.
# nft is hidden in a mount namespace of the command's own (a bind of /dev/null,
# not executable, over it); nothing changes for the rest of the host.
export VIRTBENCH_DB="$TMP/nonft.db"
nftbin=$(readlink -f "$(command -v nft)")
unshare -m --propagation private sh -c "mount --bind /dev/null '$nftbin' && exec '$VB' run -q \
	--runs 1 --min-runs 1 --warmup 0 -p container -w net.rr --set count=10" >"$TMP/out" 2>"$TMP/err"
check "without nft a bridged guest is refused with the reason (fail closed)" \
	bash -c "grep -q 'needs the nft program' '$TMP/err' && [ \"\$(sqlite3 '$VIRTBENCH_DB' 'SELECT count(*) FROM samples WHERE ok = 1' 2>/dev/null || echo 0)\" = 0 ]"
diag "$(grep -m1 nft "$TMP/err" | cut -c1-200)"
