#!/usr/bin/env bash
# The README's test command: clean install, lint, type-check, build, every test.
# Tests need PostgreSQL and Redis on loopback (see README); each run uses its own database and key prefix.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci
npm run lint
npm run typecheck
npm run build   # worker-thread entry points and the child-process tests run the compiled code

results=$(mktemp --suffix=.json)
status=0
npx jest --ci --json --outputFile="$results" || status=$?
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results"
rm -f "$results"
exit $status
