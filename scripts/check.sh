#!/usr/bin/env bash
# The README's test command: clean install, lint, type-check, build, every test, then the fault suite.
# Tests need PostgreSQL and Redis on loopback (see README); each run uses its own database and key prefix.
# The fault suite (test/faults) starts its own PostgreSQL 15 cluster and redis-server in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci

# Debian packages the tests use: Chromium for the dashboard's browser tests (playwright-core downloads
# no browser of its own) and libmp3lame0, the LAME that encodes mp3. Installed once when missing;
# without them those tests fail, they never skip.
source scripts/debian-packages.sh
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
lame_opens || missing+=(libmp3lame0)
debian_install "${missing[@]}" || echo "note: the tests that need them will fail (or set CHROMIUM_PATH for another Chromium)." >&2

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
