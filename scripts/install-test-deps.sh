#!/usr/bin/env bash
# System packages the tests use as real peers (Debian): OpenStack Swift (the S3 server),
# Info-ZIP unzip/zip, a JDK (java.util.zip, as Android reads zips; javac for the plugin code), OpenSSL, curl.
# `--check` installs nothing: it lists what is missing and exits 1 when anything is.
set -euo pipefail
missing=()
command -v swift-proxy-server >/dev/null || missing+=(swift swift-proxy swift-account swift-container swift-object)
command -v unzip >/dev/null || missing+=(unzip)
command -v zip >/dev/null || missing+=(zip)
# javac too: test/plugin-android.test.ts compiles the plugin's own Android code.
command -v javac >/dev/null || missing+=(default-jdk-headless)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
if [[ "${1:-}" == --check ]]; then
  if ((${#missing[@]})); then
    echo "missing test peers: ${missing[*]}" >&2
    exit 1
  fi
  exit 0
fi
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "install-test-deps: no apt-get here; install these yourself: ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
