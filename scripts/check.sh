#!/usr/bin/env bash
# The README's test command: clean install, lint, type-check, build, every test, then the fault suite.
# Tests need PostgreSQL and Redis on loopback (see README); each run uses its own database and key prefix.
# The fault suite (test/faults) starts its own PostgreSQL 15 cluster and redis-server in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci

# The dashboard's browser tests drive Debian's Chromium (playwright-core downloads no browser of its own).
# Installed once when missing; without it those tests fail, they never skip.
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 update
    apt-get -o DPkg::Lock::Timeout=600 install -y chromium
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get -o DPkg::Lock::Timeout=600 update
    sudo apt-get -o DPkg::Lock::Timeout=600 install -y chromium
  else
    echo "note: chromium is missing and cannot be installed without root: the dashboard browser tests will fail (apt-get install chromium, or set CHROMIUM_PATH)." >&2
  fi
fi

npm run lint
npm run typecheck
npm run build   # worker-thread entry points, the child-process tests and the dashboard's browser tests use the build

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
