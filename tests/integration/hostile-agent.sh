#!/bin/bash
# A hostile agent on the host platform (a script standing in for the agent
# through $VIRTBENCH_AGENT): it floods its stderr with escape sequences and
# reports impossible numbers. Nothing of it reaches the terminal raw, the
# log it fills stays bounded, and no impossible number is stored.
. "$(dirname "$0")/lib.bash"
plan 12
fake="$TMP/fake-agent"
cat >"$fake" <<'AGENT'
#!/bin/bash
# FAKE_ELAPSED / FAKE_RATE: the numbers it claims; FAKE_FLOOD: stderr bytes.
printf '{"v":1,"type":"hello","protocol":1,"agent":"0.1.0","pid":%d}\n' $$
while IFS= read -r line; do
	case $line in *'"quit"'*) exit 0 ;; *'"type":"job"'*) ;; *) continue ;; esac
	id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$line")
	wl=$(sed -n 's/.*"workload":"\([^"]*\)".*/\1/p' <<<"$line")
	yes $'\e[31mFLOOD\e]0;owned\a\e[2J\e[?1049h' | head -c "${FAKE_FLOOD:-0}" >&2
	if [ -n "${FAKE_SIZES:-}" ]; then
		# What the supervisor keeps of it: the log files of this run, once drained.
		sleep 1
		find "$VIRTBENCH_STATE_DIR" -name '*.log' -printf '%s\n' >>"$FAKE_SIZES"
	fi
	[ -n "${FAKE_DIE:-}" ] && { printf '\e[2Jlast \e]0;word\a\n' >&2; exit 3; }
	printf '{"v":1,"type":"started","job":"%s","workload":"%s"}\n' "$id" "$wl"
	printf '{"v":1,"type":"log","job":"%s","level":"warn","msg":"\\u001b[2J\\u001b]0;pwned\\u0007 said"}\n' "$id"
	printf '{"v":1,"type":"sample","job":"%s","values":{"elapsed":%s,"rate":%s}}\n' \
		"$id" "$FAKE_ELAPSED" "$FAKE_RATE"
	printf '{"v":1,"type":"done","job":"%s","ok":true}\n' "$id"
done
AGENT
chmod 755 "$fake"
args=(run -p host -w cpu.primes --runs 2 --min-runs 2 --warmup 0 --timeout 60)
# A flood of 8 MB with escape sequences on stderr, and elapsed = -1 s.
VIRTBENCH_AGENT="$fake" FAKE_FLOOD=8000000 FAKE_SIZES="$TMP/sizes" FAKE_ELAPSED=-1 FAKE_RATE=1000 \
	"$VB" "${args[@]}" -v >"$TMP/out" 2>"$TMP/err"
cat "$TMP/out" "$TMP/err" >"$TMP/all"
size=$(stat -c %s "$TMP/all")
check "the terminal gets a bounded output ($size bytes for 8 MB of agent stderr per job)" test "$size" -lt 65536
sizes=$(sort -u "$TMP/sizes" 2>/dev/null | tr '\n' ' ')
check "the agent's stderr log in the work dir is capped at 1 MiB (sizes: $sizes)" \
	bash -c "[ -s '$TMP/sizes' ] && awk '\$1 < 65536 || \$1 > 1048576 { bad = 1 } END { exit bad }' '$TMP/sizes'"
check "the terminal gets no ESC or BEL byte" bash -c "! grep -q \$'[\\x1b\\x07]' '$TMP/all'"
check "the agent's log message is shown with its escapes made visible" \
	grep -q 'x1b\[2J\\x1b\]0;pwned\\x07 said' "$TMP/all"
check "elapsed = -1 s is stored as a failed sample with the reason" \
	test "$(sql "SELECT count(*) FROM samples WHERE ok = 0 AND error LIKE '%elapsed = -1 s is implausible%'")" -ge 1
check "no sample of elapsed = -1 s is stored as a measurement" \
	test "$(sql "SELECT count(*) FROM samples s JOIN sample_values v ON v.sample_id = s.id WHERE v.value < 0")" = 0
# An agent that dies at its first job: the error quotes its stderr's last line, cleaned.
VIRTBENCH_AGENT="$fake" FAKE_FLOOD=100000 FAKE_DIE=1 FAKE_ELAPSED=1 FAKE_RATE=1 \
	"$VB" "${args[@]}" >"$TMP/die" 2>&1
check "a dead agent's error quotes its last stderr line, escaped" \
	bash -c "grep -q '\\\\x1b\\[2Jlast \\\\x1b\\]0;word\\\\x07' '$TMP/die' && ! grep -q \$'\\x1b' '$TMP/die'"
# Rates of -1e300 and 1e308: refused alike.
for rate in -1e300 1e308; do
	VIRTBENCH_AGENT="$fake" FAKE_ELAPSED=1 FAKE_RATE=$rate "$VB" "${args[@]}" >/dev/null 2>&1
done
check "rate = -1e300 and 1e308 are refused with the reason" \
	test "$(sql "SELECT (SELECT count(*) FROM samples WHERE error LIKE '%rate = -1e+300 numbers/s is implausible%') > 0 AND (SELECT count(*) FROM samples WHERE error LIKE '%rate = 1e+308 numbers/s is implausible%') > 0")" = 1
check "no value beyond 1e15 or below 0 in the database" \
	test "$(sql "SELECT count(*) FROM sample_values WHERE value < 0 OR value > 1e15")" = 0
# A plausible liar passes: the checks do not refuse what could be real.
VIRTBENCH_AGENT="$fake" FAKE_ELAPSED=0.5 FAKE_RATE=2000 "$VB" "${args[@]}" >/dev/null 2>&1
check "plausible values (elapsed 0.5 s, rate 2000) are stored" \
	test "$(sql "SELECT count(*) FROM samples WHERE ok = 1")" -ge 2
# Text stored in the database by anyone: show and runs print it escaped.
sql "UPDATE runs SET command = 'virtbench run ' || char(27) || '[2J' || char(27) || ']0;pwned' || char(7) WHERE id = (SELECT max(id) FROM runs)"
"$VB" show last >"$TMP/show" 2>&1
check "show prints stored escape sequences escaped (no ESC byte)" \
	bash -c "grep -q 'x1b\[2J' '$TMP/show' && ! grep -q \$'\\x1b' '$TMP/show'"
"$VB" runs >"$TMP/runs" 2>&1
check "runs prints no ESC byte" bash -c "! grep -q \$'\\x1b' '$TMP/runs'"
