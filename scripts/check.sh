#!/usr/bin/env bash
# The README's test command: clean install, lint, type-check, build, every test, then the fault suite.
# Tests need PostgreSQL and Redis on loopback (see README); each run uses its own database and key prefix.
# The fault suite (test/faults) starts its own PostgreSQL 15 cluster and redis-server in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci
npm run lint
npm run typecheck
npm run build   # worker-thread entry points and the child-process tests run the compiled code

summarise='
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
results=$(mktemp --suffix=.json)
faults=$(mktemp --suffix=.json)
status=0
npx jest --ci --json --outputFile="$results" || status=$?
npx jest -c jest.faults.config.js --ci --json --outputFile="$faults" || status=$?
node -e "$summarise" "$results" "tests"
node -e "$summarise" "$faults" "fault suite"
rm -f "$results" "$faults"
exit $status
