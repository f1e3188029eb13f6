#!/usr/bin/env bash
# scripts/pg-test.sh start|stop|status|url|destroy
#
# A private, throwaway PostgreSQL cluster for the store contract tests.
# It is NOT the system PostgreSQL (no systemd, no pg_ctlcluster): it runs
# straight from the server binaries with pg_ctl, in its own data directory,
# listening only on 127.0.0.1, trust auth, fsync off. Never put data you care
# about in it.
#
#   start    init the cluster if needed, start it if not running, make sure the
#            database exists; prints the URL on the last line of stdout
#            (progress goes to stderr), so  url=$(scripts/pg-test.sh start)
#   stop     stop it (no-op when not running)
#   status   exit 0 when running, 3 when not
#   url      print the connection URL
#   destroy  stop it and delete the data directory
#
# Default URL (the tests use it when FULCRUM_TEST_PG_URL is not set):
#   postgres://postgres@127.0.0.1:54329/fulcrum_test
#
# Environment:
#   FULCRUM_PG_PORT  TCP port (default 54329). If you change it, also set
#                    FULCRUM_TEST_PG_URL for the tests (e.g. to `scripts/pg-test.sh url`).
#   FULCRUM_PG_DIR   where the cluster lives (default /var/tmp/fulcrum-pg).
#                    As root it is owned by the `postgres` user, so it must be
#                    reachable by that user (not under /root).
#   FULCRUM_PG_BIN   directory holding initdb/pg_ctl/postgres (default: the
#                    newest /usr/lib/postgresql/*/bin, else pg_config --bindir,
#                    else $PATH).
set -euo pipefail

PORT="${FULCRUM_PG_PORT:-54329}"
BASE="${FULCRUM_PG_DIR:-/var/tmp/fulcrum-pg}"
DATA="$BASE/data"
SOCK="$BASE/run"
LOG="$BASE/postgres.log"
DB="fulcrum_test"
URL="postgres://postgres@127.0.0.1:${PORT}/${DB}"

log() { echo "pg-test: $*" >&2; }
die() { echo "pg-test: error: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 start|stop|status|url|destroy" >&2
  exit 2
}

[[ "$PORT" =~ ^[0-9]+$ ]] || die "FULCRUM_PG_PORT must be a number, got '$PORT'"

find_bin() {
  if [[ -n "${FULCRUM_PG_BIN:-}" ]]; then
    [[ -x "$FULCRUM_PG_BIN/pg_ctl" ]] || die "FULCRUM_PG_BIN=$FULCRUM_PG_BIN has no pg_ctl"
    echo "$FULCRUM_PG_BIN"; return
  fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$d" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return
  fi
  die "PostgreSQL server binaries not found. Install them (Debian: apt-get install postgresql, or run: bash scripts/setup.sh --test) or set FULCRUM_PG_BIN."
}

# The OS user the server runs as: postgres when we are root (PostgreSQL refuses
# to run as root), ourselves otherwise.
if [[ "$(id -u)" -eq 0 ]]; then
  RUN_AS=postgres
  getent passwd postgres >/dev/null 2>&1 \
    || die "running as root but there is no 'postgres' user (the Debian postgresql package creates it); run as a normal user instead"
else
  RUN_AS=""
fi

# Run a server-side command as $RUN_AS, from / (its cwd may be unreadable to
# it), never inheriting our stdin or the lock fd (the postmaster outlives us).
as_pg() {
  if [[ -n "$RUN_AS" ]]; then
    (cd / && runuser -u "$RUN_AS" -- "$@" </dev/null 9>&-)
  else
    (cd / && "$@" </dev/null 9>&-)
  fi
}

psql_q() {
  # psql as the client (any OS user: trust auth over TCP loopback).
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@" </dev/null
}

is_running() {
  [[ -f "$DATA/PG_VERSION" ]] || return 1
  as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# Port the running postmaster listens on (line 4 of postmaster.pid).
running_port() {
  sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true
}

lock() {
  mkdir -p "$BASE"
  [[ -w "$BASE" ]] || die "$BASE belongs to another user ($(stat -c %U "$BASE")); remove it or set FULCRUM_PG_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$BASE/.lock"
    flock -w 300 9 || die "timed out waiting for another pg-test.sh ($BASE/.lock)"
  fi
}

init_cluster() {
  local want_major have_major
  want_major="$("$PGBIN/pg_ctl" --version | awk '{print $3}' | sed -E 's/^([0-9]+).*/\1/')"
  if [[ -f "$DATA/PG_VERSION" ]]; then
    have_major="$(cat "$DATA/PG_VERSION")"
    [[ "$have_major" == "$want_major" ]] && return 0
    log "data dir is PostgreSQL $have_major, binaries are $want_major: recreating it (throwaway)"
  elif [[ -e "$DATA" ]]; then
    log "incomplete data dir $DATA: recreating it"
  fi
  rm -rf "$DATA"
  mkdir -p "$DATA" "$SOCK"
  if [[ -n "$RUN_AS" ]]; then
    chown "$RUN_AS:" "$BASE" "$DATA" "$SOCK"
    [[ -e "$BASE/.lock" ]] && chown "$RUN_AS:" "$BASE/.lock"
  fi
  chmod 700 "$DATA"
  log "initdb $DATA (PostgreSQL $want_major, as ${RUN_AS:-$(id -un)})"
  if ! as_pg "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$BASE/initdb.log" 2>&1; then
    cat "$BASE/initdb.log" >&2
    die "initdb failed (log above, also in $BASE/initdb.log)"
  fi
  # Settings that never change; the port lives in fulcrum.conf, rewritten on
  # every start so FULCRUM_PG_PORT can change between runs.
  cat >>"$DATA/postgresql.conf" <<'EOF'

# --- fulcrum test cluster (scripts/pg-test.sh): throwaway, speed over safety ---
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
log_min_messages = warning
include_if_exists = 'fulcrum.conf'
EOF
}

write_runtime_conf() {
  cat >"$DATA/fulcrum.conf" <<EOF
# written by scripts/pg-test.sh start
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
EOF
  [[ -n "$RUN_AS" ]] && chown "$RUN_AS:" "$DATA/fulcrum.conf"
  return 0
}

ensure_db() {
  local exists
  exists="$(psql_q -d postgres -tAc "select 1 from pg_database where datname = '$DB'")"
  if [[ "$exists" != "1" ]]; then
    log "create database $DB"
    psql_q -d postgres -c "create database $DB" >/dev/null
  fi
}

cmd_start() {
  PGBIN="$(find_bin)"
  lock
  if is_running; then
    local rp
    rp="$(running_port)"
    if [[ "$rp" == "$PORT" ]]; then
      ensure_db
      log "already running on 127.0.0.1:$PORT"
      echo "$URL"
      return 0
    fi
    log "running on port $rp, wanted $PORT: restarting"
    as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m fast -w >&2
  fi
  init_cluster
  write_runtime_conf
  mkdir -p "$SOCK"
  if [[ -n "$RUN_AS" ]]; then chown "$RUN_AS:" "$SOCK"; touch "$LOG"; chown "$RUN_AS:" "$LOG"; fi
  log "starting on 127.0.0.1:$PORT (data $DATA, log $LOG)"
  if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1; then
    tail -n 20 "$LOG" >&2 || true
    die "PostgreSQL did not start (log above, full log $LOG). Is port $PORT already in use? Set FULCRUM_PG_PORT to use another."
  fi
  local i
  for i in $(seq 1 50); do
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.2
  done
  ensure_db
  log "ready: $URL"
  echo "$URL"
}

cmd_stop() {
  [[ -f "$DATA/PG_VERSION" ]] || { log "no cluster in $DATA: nothing to stop"; return 0; }
  PGBIN="$(find_bin)"
  lock
  if is_running; then
    log "stopping (data $DATA)"
    as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m fast -w -t 60 >/dev/null 2>&1 \
      || as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w -t 30 >&2
  else
    log "not running"
  fi
}

cmd_status() {
  if [[ -f "$DATA/PG_VERSION" ]]; then
    PGBIN="$(find_bin)"
    if is_running; then
      echo "running on 127.0.0.1:$(running_port) (data $DATA)"
      return 0
    fi
  fi
  echo "not running (data $DATA)"
  return 3
}

cmd_destroy() {
  cmd_stop
  log "removing $BASE"
  rm -rf "$BASE"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "$URL" ;;
  destroy) cmd_destroy ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
