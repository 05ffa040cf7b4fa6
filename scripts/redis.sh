#!/usr/bin/env bash
# Throwaway Redis server for the throttle tests.
#
#   eval "$(scripts/redis.sh start)"   # installs redis-server if needed, starts it, prints exports
#   scripts/redis.sh env               # prints the exports again for a running server
#   scripts/redis.sh stop              # stops the server and removes its directory
#
# The server listens on 127.0.0.1 only, requires a random password made for this run, keeps no
# data on disk (no RDB, no AOF), and runs as the non-root `redis` user when started by root.
# Only the `export ...` lines go to stdout; progress goes to stderr. Set REDIS_TEST_DIR /
# REDIS_TEST_PORT to override the defaults.
set -euo pipefail

# One server per checkout: two clones testing at once must not share (or stop) each other's.
CHECKOUT="$(cd "$(dirname "$0")/.." && pwd | sha1sum | cut -c1-8)"
STATE_DIR="${REDIS_TEST_DIR:-${TMPDIR:-/tmp}/edge-auth-redis-$(id -u)-$CHECKOUT}"
FIRST_PORT="${REDIS_TEST_PORT:-56379}"

log() { printf 'redis.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

ensure_installed() {
  if ! command -v redis-server >/dev/null 2>&1; then
    [[ "$(id -u)" == "0" ]] || die "redis-server is not installed and installing it needs root"
    log "installing redis-server with apt-get (once)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq redis-server >&2
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found after install"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_alive() {
  [[ -f "$STATE_DIR/redis.pid" ]] && kill -0 "$(cat "$STATE_DIR/redis.pid")" 2>/dev/null
}

print_env() {
  local port password
  port="$(cat "$STATE_DIR/port")"
  password="$(cat "$STATE_DIR/password")"
  printf 'export TEST_REDIS_URL=%q\n' "redis://:$password@127.0.0.1:$port/0"
  printf 'export REDIS_TEST_DIR=%q\n' "$STATE_DIR"
}

start() {
  ensure_installed
  if pid_alive; then
    log "already running (port $(cat "$STATE_DIR/port"))"
    print_env
    return
  fi
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"

  local port="$FIRST_PORT" tries=0
  while port_in_use "$port"; do
    tries=$((tries + 1))
    ((tries < 50)) || die "no free port in $FIRST_PORT..$((FIRST_PORT + 49))"
    port=$((port + 1))
  done
  printf '%s\n' "$port" >"$STATE_DIR/port"
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$STATE_DIR/password"
  chmod 600 "$STATE_DIR/password" "$STATE_DIR/port"

  cat >"$STATE_DIR/redis.conf" <<EOF
bind 127.0.0.1
port $port
protected-mode yes
requirepass $(cat "$STATE_DIR/password")
daemonize yes
pidfile $STATE_DIR/redis.pid
logfile $STATE_DIR/server.log
dir $STATE_DIR
save ""
appendonly no
EOF
  chmod 600 "$STATE_DIR/redis.conf"
  if [[ "$(id -u)" == "0" ]] && id redis >/dev/null 2>&1; then
    chown -R redis: "$STATE_DIR"
    runuser -u redis -- redis-server "$STATE_DIR/redis.conf" >&2
  else
    redis-server "$STATE_DIR/redis.conf" >&2
  fi

  log "starting on 127.0.0.1:$port"
  local i
  for i in $(seq 1 100); do
    if port_in_use "$port" && pid_alive; then
      print_env
      return
    fi
    sleep 0.1
  done
  tail -n 20 "$STATE_DIR/server.log" >&2 || true
  die "server did not start"
}

stop() {
  if pid_alive; then
    local pid i
    pid="$(cat "$STATE_DIR/redis.pid")"
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$STATE_DIR"
  log "stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env)
  pid_alive || die "not running; use: $0 start"
  print_env
  ;;
*) die "usage: $0 start|env|stop" ;;
esac
