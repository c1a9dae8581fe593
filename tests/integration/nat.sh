#!/bin/bash
# --net nat for containers: the run's bridge behind a masquerade of the run's
# own nft table, the w3 peer in the run's outside namespace. The peer must see
# the masqueraded source, the table must exist only while the run does (also
# after an error, Ctrl-C and SIGKILL + next start), other tables stay as they
# were and no host-wide forwarding setting changes.
. "$(dirname "$0")/lib.bash"
N=30
plan $N
export VIRTBENCH_CACHE_DIR="$TMP/cache"
reason=""
[ "$(id -u)" = 0 ] || reason="needs root"
[ -z "$reason" ] && ! command -v nft >/dev/null && reason="no nft (Debian package nftables)"
[ -z "$reason" ] && ! "$VB" list platforms | grep -qE '^container +available' &&
	reason=$("$VB" list platforms | grep '^container' | sed 's/  */ /g')
if [ -n "$reason" ]; then
	for i in $(seq $N); do skip "nat $i" "$reason"; done
	exit 0
fi

# Tables that are not ours: one of another program, and one named like a run
# of another virtbench (no owner file in our state directory).
other="vbtest-$$"
foreign="vb-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
trap 'nft delete table inet $other 2>/dev/null; nft delete table ip $foreign 2>/dev/null; rm -rf "$TMP"' EXIT
nft -f - <<EOF
table inet $other {
	chain c {
		ip saddr 10.233.0.0/16 counter accept
	}
}
table ip $foreign {
	chain c {
		counter
	}
}
EOF
others() { nft list table inet "$other" 2>&1; nft list table ip "$foreign" 2>&1; }
others_before=$(others)
# Every forwarding setting of the host but those of devices named vb-*
# (other runs may come and go meanwhile).
fwd() {
	echo "ip_forward $(cat /proc/sys/net/ipv4/ip_forward)"
	for f in /proc/sys/net/ipv4/conf/*/forwarding; do
		d=${f%/forwarding}
		d=${d##*/}
		case $d in vb-*) continue ;; esac
		echo "$d $(cat "$f" 2>/dev/null)"
	done
}
fwd_before=$(fwd)
# hex2ip 02AEE90A: an address of /proc/net/tcp as A.B.C.D.
hex2ip() { printf '%d.%d.%d.%d' "0x${1:6:2}" "0x${1:4:2}" "0x${1:2:2}" "0x${1:0:2}"; }
# wait_tag: the tag of the run in $VIRTBENCH_DB once it is stored (max ~30 s).
wait_tag() {
	for _ in $(seq 300); do
		tag=$(sql "SELECT tag FROM runs" 2>/dev/null)
		[ -n "$tag" ] && return 0
		sleep 0.1
	done
	return 1
}
links_of() { ip -o link | grep -c " $1"; }

# 1. A run: the peer listens in the outside namespace and sees the host side
# of the outside's veth as the source of every connection.
"$VB" run -q --runs 3 --min-runs 3 --warmup 0 -p host,container --net nat -w net.tcp \
	--set duration_ms=700 >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_tag
peer=""
for _ in $(seq 100); do
	peer=$(pgrep -P $pid -f -- '--peer 10\.233\.')
	[ -n "$peer" ] && break
	sleep 0.1
done
table_during=$(nft list table ip "$tag" 2>&1)
bridge_ip=$(ip -4 -o addr show dev "$tag" 2>/dev/null | awk '{print $4}')
fwd_bridge=$(cat "/proc/sys/net/ipv4/conf/$tag/forwarding" 2>/dev/null)
fwd_out=$(cat "/proc/sys/net/ipv4/conf/$tag-out/forwarding" 2>/dev/null)
fwd_during=$(fwd)
peer_ns=$(readlink "/proc/$peer/ns/net" 2>/dev/null)
local_ip="" remotes=""
for _ in $(seq 100); do
	while read -r l r st; do
		[ "$st" = 0A ] && local_ip=$(hex2ip "${l%:*}")
		[ "$st" = 01 ] && remotes="$remotes $(hex2ip "${r%:*}")"
	done < <(awk 'NR > 1 { print $2, $3, $4 }' "/proc/$peer/net/tcp" 2>/dev/null)
	[ -n "$remotes" ] && break
	sleep 0.05
done
masq=$(nft list table ip "$tag" 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\) .* masquerade/\1/p')
wait $pid
rc=$?
check "nat run on host and container exits 0" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/err")"
check "the run's table (ip $tag) exists during the run" bash -c "echo \"\$1\" | grep -q '^table ip $tag {'" _ "$table_during"
check "the peer runs in a namespace of its own" test -n "$peer_ns" -a "$peer_ns" != "$(readlink /proc/self/ns/net)"
out_ip=${local_ip%.*}.1
check "the peer listens on the outside ($local_ip), not on the bridge ($bridge_ip)" \
	bash -c "[ -n '$local_ip' ] && [ -n '$bridge_ip' ] && [ '${local_ip%.*}' != '${bridge_ip%.*}' ]"
diag "connections the peer accepted came from:$remotes"
check "the peer sees the masqueraded source ($out_ip), never a container address" \
	bash -c "[ -n '$remotes' ] && ! echo '$remotes' | tr ' ' '\n' | grep -v '^$' | grep -vqx '$out_ip'"
check "the masquerade rule counted the connections (${masq:-none})" test "${masq:-0}" -gt 0
check "forwarding is on for the run's bridge and outside veth only" \
	bash -c "[ '$fwd_bridge' = 1 ] && [ '$fwd_out' = 1 ] && [ \"\$1\" = \"\$2\" ]" _ "$fwd_before" "$fwd_during"
check "container throughput stored under NAT, with a ratio to host" \
	test "$(sql "SELECT count(*) FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'container' AND x.mean > 0 AND x.ratio IS NOT NULL AND json_extract(p.spec, '\$.net') = 'nat'")" = 1
check "after the run: its table is gone" bash -c "! nft list table ip $tag >/dev/null 2>&1"
check "after the run: no bridge, veth or outside veth of it" test "$(links_of "$tag")" = 0
check "after the run: forwarding settings as before" test "$(fwd)" = "$fwd_before"
check "after the run: other tables untouched" test "$(others)" = "$others_before"

# 2. An error mid-run (a job past its time limit): removed all the same.
export VIRTBENCH_DB="$TMP/timeout.db"
"$VB" run -q --runs 2 --min-runs 2 --warmup 0 -p container --net nat -w net.tcp \
	--set duration_ms=3000 --timeout 1 >/dev/null 2>"$TMP/err"
rc=$?
tag=$(sql "SELECT tag FROM runs")
check "a failed job: exit 1" test $rc = 1
check "after the error: no table, link or work directory of the run" \
	bash -c "[ -n '$tag' ] && ! nft list table ip $tag >/dev/null 2>&1 && [ \$(ip -o link | grep -c ' $tag') = 0 ] && [ ! -e '$VIRTBENCH_STATE_DIR/$tag' ]"

# 3. nft failing while the network is set up (the bridge's input filter is
# loaded first, then the NAT table): its message quoted, nothing left.
mkdir -p "$TMP/fakebin"
printf '#!/bin/sh\necho "Error: Could not process rule: fake failure for the test" >&2\nexit 1\n' >"$TMP/fakebin/nft"
chmod +x "$TMP/fakebin/nft"
export VIRTBENCH_DB="$TMP/fail.db"
links_before=$(ip -o link | grep -c ' vb-')
PATH="$TMP/fakebin:$PATH" "$VB" run -q -p container --net nat -w net.rr --set count=100 >/dev/null 2>"$TMP/err"
rc=$?
check "nft failing: the run fails with nft's own message, on one line" \
	bash -c "[ $rc != 0 ] && grep -q \"nft: creating the bridge's input filter: Error: Could not process rule: fake failure\" '$TMP/err' && [ \$(wc -l <'$TMP/err') = 1 ]"
[ $rc != 0 ] || diag "$(cat "$TMP/err")"
check "nft failing: no bridge, veth or outside veth left" test "$(ip -o link | grep -c ' vb-')" = "$links_before"

# 3b. nft failing to delete the table at the run's end: the run says so and
# leaves word; the next start deletes the table and the word.
cat >"$TMP/fakebin/nft" <<SH
#!/bin/sh
if [ "\$1" = -f ]; then
	in=\$(cat)
	case "\$in" in *chain*) ;; *"delete table"*) echo "Error: fake delete failure" >&2; exit 1 ;; esac
	printf '%s\n' "\$in" | exec $(command -v nft) "\$@"
fi
exec $(command -v nft) "\$@"
SH
export VIRTBENCH_DB="$TMP/undel.db"
PATH="$TMP/fakebin:$PATH" "$VB" run -q -p container --net nat -w net.rr --set count=100 >/dev/null 2>"$TMP/err"
rc=$?
tag=$(sql "SELECT tag FROM runs")
check "nft failing to delete: the run completes and says the next start deletes the table (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'fake delete failure; the next virtbench start deletes table ip $tag' '$TMP/err'"
check "... the table and the run's word for the sweep are there, its work directory is not" \
	bash -c "nft list table ip $tag >/dev/null && [ -e '$VIRTBENCH_STATE_DIR/$tag.nat-left' ] && [ ! -e '$VIRTBENCH_STATE_DIR/$tag' ]"
"$VB" runs >/dev/null 2>&1
check "... the next start deletes both" \
	bash -c "! nft list table ip $tag >/dev/null 2>&1 && [ ! -e '$VIRTBENCH_STATE_DIR/$tag.nat-left' ]"

# 4. Ctrl-C mid-run.
export VIRTBENCH_DB="$TMP/int.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p container --net nat -w net.rr \
	--set count=100 >/dev/null 2>&1 &
pid=$!
wait_tag
for _ in $(seq 300); do
	[ "$(sql 'SELECT count(*) FROM samples' 2>/dev/null)" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: exit 130" test $rc = 130
check "SIGINT: no table or link of the run left" \
	bash -c "! nft list table ip $tag >/dev/null 2>&1 && [ \$(ip -o link | grep -c ' $tag') = 0 ]"

# 5. SIGKILL: the table stays until the next start sweeps it.
export VIRTBENCH_DB="$TMP/kill.db"
"$VB" run -q --runs 100000 --ci-target 0 --warmup 0 -p container --net nat -w net.rr \
	--set count=100 >/dev/null 2>&1 &
pid=$!
wait_tag
for _ in $(seq 300); do
	[ "$(sql 'SELECT count(*) FROM samples' 2>/dev/null)" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
kill -KILL $pid
wait $pid 2>/dev/null
check "SIGKILL: the table is still there before the next start" bash -c "nft list table ip $tag >/dev/null"
gone=1
for _ in $(seq 100); do
	ip link show "$tag-out" >/dev/null 2>&1 || { gone=0; break; }
	sleep 0.1
done
check "SIGKILL: the outside goes by itself with its last process (veth $tag-out)" test $gone = 0
"$VB" runs >/dev/null 2>"$TMP/err"
check "SIGKILL: the next start sweeps and says so" grep -q "NAT table" "$TMP/err"
check "SIGKILL: no table, bridge or veth of the run remains" \
	bash -c "! nft list table ip $tag >/dev/null 2>&1 && [ \$(ip -o link | grep -c ' $tag') = 0 ]"
check "SIGKILL: the table named like a run of another virtbench is left alone" bash -c "nft list table ip $foreign >/dev/null"
check "SIGKILL: forwarding settings as before" test "$(fwd)" = "$fwd_before"
check "in the end: other tables untouched" test "$(others)" = "$others_before"

# 6. Bad combinations: refused before anything is made, one line, exit 2.
"$VB" run -q -p container,xen --net nat -w net.rr >/dev/null 2>"$TMP/err"
check "--net nat with xen: exit 2, one line" \
	bash -c "[ $? = 2 ] && grep -q 'platform xen has no NAT' '$TMP/err' && [ \$(wc -l <'$TMP/err') = 1 ]"
"$VB" run -q -p container --net nat,bridged -w net.rr >/dev/null 2>"$TMP/err"
check "--net nat,bridged: exit 2, one line" bash -c "[ $? = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ]"
