#!/usr/bin/env bash
# Fails when the committed dist/ differs from a fresh build of src/.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r dist "$tmp/committed"
npm run --silent bundle
if ! diff -r "$tmp/committed" dist >/dev/null; then
  echo "dist/ is out of date: run 'npm run bundle' and commit dist/." >&2
  diff -r "$tmp/committed" dist | head -20 >&2 || true
  rm -rf dist && cp -r "$tmp/committed" dist
  exit 1
fi
echo "dist/ matches a fresh build"
