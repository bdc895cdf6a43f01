#!/usr/bin/env bash
# `make test`'s last step: the linters (`make lint`) run beside the tests instead of before them —
# pytest's workers wait on servers and subprocesses part of the time, and the linters fill it.
#   scripts/lint-and-pytest.sh PYTEST-COMMAND...
# Fails when either fails; the linters' output is printed after the tests'.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
lint_log=build/lint.log
make --no-print-directory lint >"$lint_log" 2>&1 &
lint=$!
"$@"
tests=$?
wait "$lint"
linted=$?
echo "--- make lint (beside the tests) ---"
cat "$lint_log"
if [ "$linted" -ne 0 ]; then
  echo "make test: make lint failed (above)" >&2
fi
[ "$tests" -eq 0 ] && [ "$linted" -eq 0 ]
