#!/usr/bin/env bash
# The one test command (`npm test`): typecheck, dist/ equals a fresh build, then every jest
# suite against real peers (a loopback S3 server, OpenSSL, unzip, Java, the Capgo CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "node $(node --version)"
npx tsc --noEmit -p .
bash scripts/check-dist.sh
bash scripts/s3-server.sh start
mkdir -p .cache
results=.cache/jest-results.json
rm -f "$results"
status=0
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js --json --outputFile="$results" "$@" || status=$?
# A plain closing line any CI reads: "jest: N passed, N failed".
if [[ -f "$results" ]]; then
  node -e 'const r = require(process.argv[1]); console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$PWD/$results"
fi
exit "$status"
