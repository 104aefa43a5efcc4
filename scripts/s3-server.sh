#!/usr/bin/env bash
# A real S3-compatible server for tests: OpenStack Swift with its s3api middleware, on loopback.
#
#   bash scripts/s3-server.sh start   # configure (first time) and start; no-op when already running
#   bash scripts/s3-server.sh stop    # stop the servers started by `start` (by their recorded PIDs)
#   bash scripts/s3-server.sh status  # exit 0 when the proxy answers its healthcheck
#   bash scripts/s3-server.sh env     # print the env a client needs (eval "$(bash scripts/s3-server.sh env)")
#
# Installs nothing: Swift comes from Debian (CI's .ci/run does
#   apt-get install swift swift-proxy swift-account swift-container swift-object).
# Env overrides:
#   LIVE_UPDATE_S3_ROOT  folder for config, rings, data, logs and PIDs (default <repo>/.cache/swift)
#   LIVE_UPDATE_S3_PORT  proxy port (default 8080); the account/container/object servers use
#                        PORT-1878 / PORT-1879 / PORT-1880 (6202 / 6201 / 6200 for the default)
#   LIVE_UPDATE_S3_START_TIMEOUT  seconds to wait for the healthcheck (default 30)
# Credentials: access key `test:tester`, secret `testing`, region `us-east-1`, path-style addressing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${LIVE_UPDATE_S3_ROOT:-$REPO/.cache/swift}"
PORT="${LIVE_UPDATE_S3_PORT:-8080}"
TIMEOUT="${LIVE_UPDATE_S3_START_TIMEOUT:-30}"
ACCOUNT_PORT=$((PORT - 1878))
CONTAINER_PORT=$((PORT - 1879))
OBJECT_PORT=$((PORT - 1880))
ETC="$ROOT/etc"
SRV="$ROOT/srv"
RUN="$ROOT/run"
LOGS="$ROOT/logs"
SERVERS=(account container object proxy)
HEALTH_URL="http://127.0.0.1:$PORT/healthcheck"

die() { echo "s3-server: $*" >&2; exit 1; }

healthy() { curl -sf --max-time 2 "$HEALTH_URL" >/dev/null 2>&1; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

recorded_pid() { [[ -f "$RUN/$1.pid" ]] && cat "$RUN/$1.pid" || true; }

all_running() {
  local name
  for name in "${SERVERS[@]}"; do pid_alive "$(recorded_pid "$name")" || return 1; done
  return 0
}

require_swift() {
  local name
  for name in swift-ring-builder swift-account-server swift-container-server swift-object-server swift-proxy-server; do
    command -v "$name" >/dev/null 2>&1 || die "$name not found. Install Swift first:
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends swift swift-proxy swift-account swift-container swift-object"
  done
}

write_backend_conf() { # name port
  cat >"$ETC/$1-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
swift_dir = $ETC
devices = $SRV
mount_check = false
workers = 0
user = root
log_level = WARNING

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1
EOF
}

configure() {
  # Re-configure when the port changed (or on first use); rings embed the backend ports.
  if [[ -f "$ETC/.configured" && "$(cat "$ETC/.configured")" == "$PORT" ]]; then return 0; fi
  echo "s3-server: configuring Swift under $ROOT (port $PORT)"
  rm -rf "$ETC"
  mkdir -p "$ETC" "$SRV/sdb1" "$RUN" "$LOGS"
  cat >"$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = live-update-test-suffix
swift_hash_path_prefix = live-update-test-prefix

[storage-policy:0]
name = Policy-0
default = yes
EOF
  write_backend_conf account "$ACCOUNT_PORT"
  write_backend_conf container "$CONTAINER_PORT"
  write_backend_conf object "$OBJECT_PORT"
  cat >"$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
swift_dir = $ETC
workers = 0
user = root
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
EOF
  local spec name port
  for spec in "account:$ACCOUNT_PORT" "container:$CONTAINER_PORT" "object:$OBJECT_PORT"; do
    name="${spec%%:*}"
    port="${spec##*:}"
    (
      cd "$ETC"
      swift-ring-builder "$name.builder" create 10 1 1 >/dev/null
      swift-ring-builder "$name.builder" add "r1z1-127.0.0.1:$port/sdb1" 100 >/dev/null
      swift-ring-builder "$name.builder" rebalance >/dev/null
    )
  done
  echo "$PORT" >"$ETC/.configured"
}

show_logs() {
  local name
  for name in "${SERVERS[@]}"; do
    if [[ -s "$LOGS/$name.log" ]]; then
      echo "----- $LOGS/$name.log (last 20 lines) -----" >&2
      tail -n 20 "$LOGS/$name.log" >&2
    fi
  done
}

start() {
  if all_running && healthy; then
    echo "s3-server: already running on http://127.0.0.1:$PORT (root $ROOT)"
    return 0
  fi
  if healthy; then
    die "something not started by this script already answers $HEALTH_URL; stop it or set LIVE_UPDATE_S3_PORT"
  fi
  require_swift
  # Leftovers from a crashed run: stop what is recorded, then start afresh.
  stop_servers quiet
  configure
  mkdir -p "$RUN" "$LOGS" "$SRV/sdb1"
  local name
  for name in "${SERVERS[@]}"; do
    # nohup: the servers outlive this shell (they also call setsid() themselves).
    nohup "swift-$name-server" "$ETC/$name-server.conf" >"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
  done
  local deadline=$((SECONDS + TIMEOUT))
  until healthy; do
    for name in "${SERVERS[@]}"; do
      if ! pid_alive "$(recorded_pid "$name")"; then
        show_logs
        stop_servers quiet
        die "swift-$name-server exited during start-up (logs above, in $LOGS)"
      fi
    done
    if ((SECONDS >= deadline)); then
      show_logs
      stop_servers quiet
      die "no healthcheck answer at $HEALTH_URL after ${TIMEOUT}s (logs above, in $LOGS)"
    fi
    sleep 0.3
  done
  echo "s3-server: running on http://127.0.0.1:$PORT (root $ROOT; stop with: bash scripts/s3-server.sh stop)"
}

stop_servers() {
  local quiet="${1:-}" name pid stopped=0 i
  for name in "${SERVERS[@]}"; do
    pid="$(recorded_pid "$name")"
    if pid_alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      stopped=1
    fi
  done
  # Wait up to 5 s for a clean exit, then SIGKILL what remains (still only the recorded PIDs).
  for i in $(seq 1 50); do
    local alive=0
    for name in "${SERVERS[@]}"; do pid_alive "$(recorded_pid "$name")" && alive=1; done
    ((alive == 0)) && break
    sleep 0.1
  done
  for name in "${SERVERS[@]}"; do
    pid="$(recorded_pid "$name")"
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
  done
  if [[ -z "$quiet" ]]; then
    if ((stopped)); then echo "s3-server: stopped"; else echo "s3-server: not running"; fi
  fi
}

print_env() {
  cat <<EOF
export LIVE_UPDATE_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=test:tester
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
EOF
}

case "${1:-}" in
  start) start ;;
  stop) stop_servers ;;
  status)
    if healthy; then echo "s3-server: running on http://127.0.0.1:$PORT"; else echo "s3-server: not running"; exit 1; fi
    ;;
  env) print_env ;;
  *)
    echo "usage: bash scripts/s3-server.sh start|stop|status|env" >&2
    exit 2
    ;;
esac
