#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a fixed number of
# executions (default 1,000,000 each) and prints one line per target:
# package, target, executions, wall time and the result. A crash leaves its
# input under the package's testdata/fuzz/ directory, as go test does.
#
# Usage: bash hack/fuzz.sh [executions] [target-regexp]
set -uo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
only="${2:-.}"
status=0
while IFS=: read -r file name; do
  pkg="./$(dirname "$file")"
  [[ "$name" =~ $only ]] || continue
  start=$(date +%s)
  out=$(go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "${n}x" -parallel 1 2>&1)
  rc=$?
  secs=$(( $(date +%s) - start ))
  result=ok
  [[ $rc -ne 0 ]] && { result=FAIL; status=1; echo "$out" | tail -20 >&2; }
  printf '%-32s %-32s %10s %5ss %s\n' "$pkg" "$name" "$n" "$secs" "$result"
done < <(grep -rho --include='*_test.go' -H '^func Fuzz[A-Za-z0-9_]*' internal api | sed 's/func //' | sort -u)
exit $status
