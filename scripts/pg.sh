#!/usr/bin/env bash
# Throwaway PostgreSQL server for the database tests.
#
#   eval "$(scripts/pg.sh start)"   # installs PostgreSQL if needed, starts it, prints exports
#   scripts/pg.sh env               # prints the exports again for a running server
#   scripts/pg.sh stop              # stops the server and removes its data directory
#
# The server listens on 127.0.0.1 only (no Unix socket outside its own directory), uses
# scram-sha-256 with a random password made for this cluster, and runs as the non-root
# `postgres` user when started by root. Only the `export ...` lines go to stdout; progress
# goes to stderr. Set PG_TEST_DIR / PG_TEST_PORT to override the defaults.
set -euo pipefail

# One server per checkout: two clones testing at once must not share (or stop) each other's.
CHECKOUT="$(cd "$(dirname "$0")/.." && pwd | sha1sum | cut -c1-8)"
STATE_DIR="${PG_TEST_DIR:-${TMPDIR:-/tmp}/pharmacy-pg-$(id -u)-$CHECKOUT}"
FIRST_PORT="${PG_TEST_PORT:-54329}"
DB_NAME="pharmacy_test"
DB_USER="postgres"

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

find_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
    printf '%s\n' "$dir"
  fi
}

ensure_installed() {
  BIN_DIR="$(find_bin_dir)"
  if [[ -z "$BIN_DIR" ]]; then
    [[ "$(id -u)" == "0" ]] || die "PostgreSQL is not installed and installing it needs root"
    log "installing PostgreSQL with apt-get (once)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN_DIR="$(find_bin_dir)"
    [[ -n "$BIN_DIR" ]] || die "initdb/pg_ctl not found under /usr/lib/postgresql/*/bin after install"
  fi
}

# Runs a command as the cluster owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [[ "$(id -u)" == "0" ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  # A successful connect means something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_running() {
  [[ -f "$STATE_DIR/data/postmaster.pid" ]] &&
    as_owner "$BIN_DIR/pg_ctl" -D "$STATE_DIR/data" status >/dev/null 2>&1
}

print_env() {
  local port password
  port="$(cat "$STATE_DIR/port")"
  password="$(cat "$STATE_DIR/password")"
  printf 'export TEST_DATABASE_URL=%q\n' \
    "postgres://$DB_USER:$password@127.0.0.1:$port/$DB_NAME"
  printf 'export PG_TEST_DIR=%q\n' "$STATE_DIR"
}

start() {
  ensure_installed
  if is_running; then
    log "already running (port $(cat "$STATE_DIR/port"))"
    print_env
    return
  fi
  # A stale directory (crashed run) is removed and made again.
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

  # Random password for this throwaway cluster only (hex: safe in a URL).
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$STATE_DIR/password"
  chmod 600 "$STATE_DIR/password" "$STATE_DIR/port"
  if [[ "$(id -u)" == "0" ]]; then
    chown -R postgres: "$STATE_DIR"
  fi

  log "initdb in $STATE_DIR/data"
  as_owner "$BIN_DIR/initdb" -D "$STATE_DIR/data" -U "$DB_USER" -A scram-sha-256 \
    --pwfile="$STATE_DIR/password" -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  mkdir -p "$STATE_DIR/sock"
  [[ "$(id -u)" != "0" ]] || chown postgres: "$STATE_DIR/sock"

  log "starting on 127.0.0.1:$port"
  as_owner "$BIN_DIR/pg_ctl" -D "$STATE_DIR/data" -l "$STATE_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $STATE_DIR/sock -c fsync=off -c max_connections=50" \
    start >/dev/null || {
    tail -n 20 "$STATE_DIR/server.log" >&2 || true
    die "server did not start"
  }

  PGPASSWORD="$(cat "$STATE_DIR/password")" "$BIN_DIR/createdb" -h 127.0.0.1 -p "$port" \
    -U "$DB_USER" "$DB_NAME"
  print_env
}

stop() {
  BIN_DIR="$(find_bin_dir)"
  if [[ -n "$BIN_DIR" && -d "$STATE_DIR/data" ]]; then
    as_owner "$BIN_DIR/pg_ctl" -D "$STATE_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$STATE_DIR"
  log "stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env)
  BIN_DIR="$(find_bin_dir)"
  [[ -n "$BIN_DIR" ]] && is_running || die "not running; use: $0 start"
  print_env
  ;;
*) die "usage: $0 start|env|stop" ;;
esac
