#!/usr/bin/env bash
# System packages the tests use as real peers (Debian): OpenStack Swift (the S3 server),
# Info-ZIP unzip/zip, a Java runtime (java.util.zip, as Android reads zips), OpenSSL, curl.
set -euo pipefail
missing=()
command -v swift-proxy-server >/dev/null || missing+=(swift swift-proxy swift-account swift-container swift-object)
command -v unzip >/dev/null || missing+=(unzip)
command -v zip >/dev/null || missing+=(zip)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
