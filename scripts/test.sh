#!/usr/bin/env bash
# The one test command (`npm test`): typecheck, dist/ equals a fresh build, then every jest
# suite against real peers (a loopback S3 server, OpenSSL, unzip, Java, the Capgo CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "node $(node --version)"
npx tsc --noEmit -p .
bash scripts/check-dist.sh
bash scripts/s3-server.sh start
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js "$@"
