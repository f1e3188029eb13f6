#!/usr/bin/env bash
# scripts/setup.sh [--test]
#
# Makes this checkout ready to run (`npm run up`) or, with --test, ready to test
# (`npm test` calls it). Idempotent and fast when there is nothing to do: every
# step checks before it acts.
#
#   1. Node.js >= 20 and npm present.
#   2. Debian packages (apt-get, as root or via sudo), only the missing ones:
#        always:  haproxy keepalived iproute2 openssl curl
#        --test:  postgresql python3-openstackclient python3-octaviaclient python3-barbicanclient
#   3. node_modules: `npm ci` (or `npm install` without a lock file) when
#      node_modules is missing or package-lock.json is newer than
#      node_modules/.package-lock.json. better-sqlite3 is built from source
#      (needs python3, make, g++; installed when missing).
#   4. dist/: `npm run build` when dist is missing or older than src/.
#   5. --test: a private PostgreSQL for the store contract tests
#      (scripts/pg-test.sh start). The tests connect to FULCRUM_TEST_PG_URL when
#      set, else to the default  postgres://postgres@127.0.0.1:54329/fulcrum_test
#      If FULCRUM_TEST_PG_URL is set, no local PostgreSQL is started.
#
# Progress goes to stderr. Nothing is exported to the caller.
set -euo pipefail

TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) TEST=1 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown argument '$arg' (usage: $0 [--test])" >&2; exit 2 ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- Node.js ----
NODE_HINT="Install Node.js 20 or newer: https://nodejs.org/en/download (or Debian 13: apt-get install nodejs npm; or NodeSource: https://github.com/nodesource/distributions; or nvm: nvm install 20)."
command -v node >/dev/null 2>&1 || die "node not found. $NODE_HINT"
command -v npm >/dev/null 2>&1 || die "npm not found (it ships with Node.js). $NODE_HINT"
NODE_VERSION="" NODE_ABI=""
read -r NODE_VERSION NODE_ABI < <(node -p 'process.versions.node + " " + process.versions.modules' 2>/dev/null) || true
NODE_MAJOR="${NODE_VERSION%%.*}"
if [[ ! "$NODE_MAJOR" =~ ^[0-9]+$ ]] || (( NODE_MAJOR < 20 )); then
  die "Node.js $NODE_VERSION is too old: Fulcrum needs Node.js >= 20 ($(command -v node)). $NODE_HINT"
fi

# ------------------------------------------------------- Debian packages ----
PKGS=(haproxy keepalived iproute2 openssl curl)
if (( TEST )); then
  PKGS+=(postgresql python3-openstackclient python3-octaviaclient python3-barbicanclient)
fi

APT_UPDATED=0
apt_install() {
  # apt_install pkg... : install with apt-get, as root or through sudo.
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 \
      || die "need to install: $* — not root and no sudo. As root run: apt-get install --no-install-recommends $*"
    sudo=(sudo)
    [[ -t 0 ]] || sudo=(sudo -n)
  fi
  if (( ! APT_UPDATED )); then
    log "apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a apt-get install -y -qq \
    --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "$@" </dev/null >&2
}

# Prints the packages of "$@" that are not installed (dpkg status "ii").
missing_debs() {
  local installed
  installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '$1 == "ii" { print $2 }' || true)"
  local p
  for p in "$@"; do
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  mapfile -t MISSING < <(missing_debs "${PKGS[@]}")
  if (( ${#MISSING[@]} )); then
    apt_install "${MISSING[@]}"
  fi
else
  # Not Debian: check for the commands and tell the user what is missing.
  declare -A CMD_OF=([haproxy]=haproxy [keepalived]=keepalived [iproute2]=ip [openssl]=openssl [curl]=curl
                     [postgresql]=initdb [python3-openstackclient]=openstack [python3-octaviaclient]=openstack [python3-barbicanclient]=openstack)
  MISSING=()
  for p in "${PKGS[@]}"; do
    c="${CMD_OF[$p]}"
    command -v "$c" >/dev/null 2>&1 || [[ "$c" == initdb && -n "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ]] || MISSING+=("$p")
  done
  if (( ${#MISSING[@]} )); then
    log "warning: no apt-get here; install these yourself: ${MISSING[*]}"
  fi
fi

# ----------------------------------------------------------- node_modules ----
NEED_NPM=0
if [[ ! -f node_modules/.package-lock.json ]]; then
  NEED_NPM=1
elif [[ -f package-lock.json ]]; then
  if [[ package-lock.json -nt node_modules/.package-lock.json ]]; then NEED_NPM=1; fi
elif [[ package.json -nt node_modules/.package-lock.json ]]; then
  NEED_NPM=1
fi

# better-sqlite3 is a native addon: built for one Node ABI. Remember which.
SQLITE_STAMP=node_modules/.fulcrum-better-sqlite3-abi
sqlite_ok() {
  node -e "new (require('better-sqlite3'))(':memory:').close()" >/dev/null 2>&1
}

npm_env() {
  # Environment for npm commands that may compile better-sqlite3: build from
  # source (its prebuilt download does not work everywhere), no prompts, and
  # the system Node headers when node is the Debian one and nodedir is unset.
  local e=(npm_config_build_from_source=true npm_config_yes=true
           npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
           npm_config_progress=false)
  if [[ -z "${npm_config_nodedir:-}" && "$(command -v node)" == /usr/bin/node && -f /usr/include/node/node.h ]]; then
    e+=(npm_config_nodedir=/usr)
  fi
  env "${e[@]}" "$@"
}

ensure_build_tools() {
  local need=()
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v make >/dev/null 2>&1 || need+=(make)
  command -v g++ >/dev/null 2>&1 || need+=(g++)
  if (( ${#need[@]} )); then
    if command -v apt-get >/dev/null 2>&1; then
      apt_install "${need[@]}"
    else
      log "warning: better-sqlite3 builds from source and needs: ${need[*]}"
    fi
  fi
}

if (( NEED_NPM )); then
  ensure_build_tools
  if [[ -f package-lock.json ]]; then
    log "npm ci (builds better-sqlite3 from source: a minute or two)"
    npm_env npm ci --no-fund --no-audit </dev/null >&2
  else
    log "npm install (no package-lock.json)"
    npm_env npm install --no-fund --no-audit </dev/null >&2
  fi
  # npm may leave the hidden lockfile older than package-lock.json; make sure
  # the next run sees node_modules as up to date.
  touch node_modules/.package-lock.json
fi

if [[ -d node_modules/better-sqlite3 ]]; then
  if [[ "$(cat "$SQLITE_STAMP" 2>/dev/null || true)" != "$NODE_ABI" ]]; then
    if ! sqlite_ok; then
      ensure_build_tools
      log "npm rebuild better-sqlite3 (for Node $NODE_VERSION, ABI $NODE_ABI)"
      npm_env npm rebuild better-sqlite3 </dev/null >&2
      sqlite_ok || die "better-sqlite3 does not load after a rebuild; see the npm output above (needs python3, make, g++ and the Node headers)"
    fi
    echo "$NODE_ABI" >"$SQLITE_STAMP"
  fi
fi

# ------------------------------------------------------------------ dist ----
BUILD_STAMP=dist/.fulcrum-build-stamp
if [[ -d src ]]; then
  if [[ ! -f "$BUILD_STAMP" ]] \
     || [[ -n "$(find src tsconfig.json tsconfig.build.json package-lock.json -newer "$BUILD_STAMP" -print -quit 2>/dev/null)" ]]; then
    log "npm run build"
    # Stamp taken before the build: a file saved during the build triggers the next one.
    stamp_tmp="$(mktemp)"
    npm run build --silent </dev/null >&2 || { rm -f "$stamp_tmp"; die "npm run build failed"; }
    mkdir -p dist
    mv "$stamp_tmp" "$BUILD_STAMP"
  fi
fi

# ------------------------------------------------------------ PostgreSQL ----
if (( TEST )); then
  if [[ -n "${FULCRUM_TEST_PG_URL:-}" ]]; then
    log "FULCRUM_TEST_PG_URL is set: using that PostgreSQL, not starting one"
  else
    if [[ -n "${FULCRUM_PG_PORT:-}" && "$FULCRUM_PG_PORT" != 54329 ]]; then
      log "warning: FULCRUM_PG_PORT=$FULCRUM_PG_PORT but the tests default to port 54329; export FULCRUM_TEST_PG_URL=\$(bash scripts/pg-test.sh url)"
    fi
    bash scripts/pg-test.sh start >/dev/null
  fi
fi

log "ok"
