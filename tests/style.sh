#!/bin/bash
# clang-format must leave every C file as it is.
set -u
cd "$(dirname "$0")/.."
echo "1..1"
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find src include tests -name '*.[ch]')
# shellcheck disable=SC2086
if out=$(clang-format --dry-run -Werror $files 2>&1); then
	echo "ok 1 - clang-format clean"
else
	echo "$out" | head -n 20 | sed 's/^/# /'
	echo "not ok 1 - clang-format would change files (make format)"
fi
