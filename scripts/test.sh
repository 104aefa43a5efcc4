#!/usr/bin/env bash
# The one test command (`npm test`): typecheck, dist/ equals a fresh build, then every jest
# suite against real peers (a loopback S3 server, OpenSSL, unzip, Java, the Capgo CLI).
# It installs the peers it lacks (scripts/install-test-deps.sh, as root or through sudo) and
# stops the S3 server it started, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "node $(node --version)"

if ! bash scripts/install-test-deps.sh --check; then
  if [[ $(id -u) -eq 0 ]]; then
    bash scripts/install-test-deps.sh
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo bash scripts/install-test-deps.sh
  else
    echo "npm test needs the test peers above (Debian/Ubuntu packages). Install them once with:" >&2
    echo "  sudo bash scripts/install-test-deps.sh" >&2
    echo "Elsewhere (e.g. macOS, where OpenStack Swift is not packaged) run the fast suites: npm run test:unit" >&2
    exit 1
  fi
fi

npx tsc --noEmit -p .
npx biome check .
bash scripts/check-dist.sh
if ! bash scripts/s3-server.sh status >/dev/null 2>&1; then
  # Started here, so stopped here too (also on failure or Ctrl-C); a server already running stays.
  trap 'bash scripts/s3-server.sh stop >/dev/null 2>&1 || true' EXIT
fi
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
