#!/bin/bash
# Run every test virtbench has and count them. Each test program speaks TAP;
# this script reads it and ends with the line CI reads: "N passed, N failed".
# A program that dies, or prints fewer results than it planned, counts as a
# failure. Environment: BUILD, BUILD_SAN, BUILD_FUZZ (directories), FUZZ_SECONDS.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BUILD_SAN=${BUILD_SAN:-build-asan}
BUILD_FUZZ=${BUILD_FUZZ:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0 failed=0 skipped=0
failures=()

# run_tap LABEL CMD...: run a TAP producer and add its results to the totals.
run_tap() {
	local label=$1
	shift
	local out rc planned=0 seen=0
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		1..*) planned=${line#1..} ;;
		"not ok"*)
			seen=$((seen + 1)) failed=$((failed + 1))
			failures+=("$label: ${line}")
			;;
		ok*"# SKIP"*)
			seen=$((seen + 1)) skipped=$((skipped + 1))
			echo "$label: ${line}"
			;;
		ok*)
			seen=$((seen + 1)) passed=$((passed + 1))
			;;
		esac
	done <"$out"
	if [ "$rc" -ne 0 ] || [ "$seen" -ne "$planned" ]; then
		if [ "$rc" -ne 0 ] && [ "$seen" -eq "$planned" ] && grep -q '^not ok' "$out"; then
			: # failures already counted
		else
			failed=$((failed + 1))
			failures+=("$label: exit $rc, $seen of $planned results")
		fi
		echo "---- $label (exit $rc) ----"
		tail -n 40 "$out"
	fi
	rm -f "$out"
}

echo "== unit tests ($BUILD)"
for t in "$BUILD"/tests/test-*; do
	[ -f "$t" ] && [ -x "$t" ] && run_tap "unit/$(basename "$t")" "$t"
done
if [ -d "$BUILD_SAN" ]; then
	echo "== unit tests under ASan+UBSan ($BUILD_SAN)"
	for t in "$BUILD_SAN"/tests/test-*; do
		[ -f "$t" ] && [ -x "$t" ] && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_tap "asan/$(basename "$t")" "$t"
	done
fi

echo "== integration tests"
# One image cache for the tests that use the Debian guest root (apps-*.sh),
# so the CI run builds each image once; removed at the end.
VB_TEST_SHARED_CACHE=$(mktemp -d /var/tmp/vb-test-cache.XXXXXX)
export VB_TEST_SHARED_CACHE
trap 'rm -rf "$VB_TEST_SHARED_CACHE"' EXIT
for t in tests/integration/*.sh; do
	BUILD=$BUILD run_tap "integration/$(basename "$t" .sh)" bash "$t"
done

if [ -d "$BUILD_FUZZ" ]; then
	echo "== fuzz targets (${FUZZ_SECONDS}s each)"
	for f in "$BUILD_FUZZ"/tests/fuzz-*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=$(basename "$f")
		run_tap "fuzz/$name" bash tests/fuzz/run-one.sh "$f" "tests/fuzz/corpus/$name" "$FUZZ_SECONDS"
	done
fi

echo "== style"
run_tap style bash tests/style.sh

for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
