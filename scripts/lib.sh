# Shared by scripts/run.sh and scripts/test.sh: installing what is missing, and small helpers.
# Every install step is skipped when already satisfied and says what it does.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.11"
BINARYEN_VERSION="132.0.0"
# Tools that are not cargo binaries (wasm-opt from npm's binaryen) live here, outside the clone.
TOOLS_DIR="${PIPELINE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pipeline/tools}"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
# Builds never need a running database: queries are checked against the committed .sqlx/ data.
export SQLX_OFFLINE=true
# What cargo-leptos tells the server at build time; set here too so `cargo test` builds agree
# with `cargo leptos build` and the binary finds its site when started directly.
export LEPTOS_OUTPUT_NAME=pipeline
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\nerror: %s\n' "$*" >&2; exit 1; }

# Timing of phases, printed at the end so a slow phase is visible in CI logs.
PHASES=()
phase_start() { PHASE_NAME="$1"; PHASE_T0=$(date +%s); step "$1"; }
phase_end() { PHASES+=("$(printf '%-28s %5ss' "$PHASE_NAME" $(( $(date +%s) - PHASE_T0 )))"); }
print_phases() {
  step "Time per phase"
  for p in "${PHASES[@]}"; do note "$p"; done
}

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  is_root || die "please install the Debian package(s) '$*' (sudo apt-get install $*), then run this again"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

locked_version() { # the version of crate $1 in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

pg_bin_dir() {
  if [ -n "${PIPELINE_PG_BIN:-}" ]; then echo "$PIPELINE_PG_BIN"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_rust_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    note "wasm32-unknown-unknown target: present"
  else
    note "installing the wasm32-unknown-unknown target (rustup)"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    note "cargo-leptos $CARGO_LEPTOS_VERSION: present"; return
  fi
  # cargo-leptos' locked dependencies need rustc >= 1.96; our own code builds with the pinned one.
  local toolchain=nightly
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=1.96.0
    rustup run "$toolchain" rustc --version >/dev/null 2>&1 || rustup toolchain install "$toolchain" --profile minimal
  fi
  note "installing cargo-leptos $CARGO_LEPTOS_VERSION with the $toolchain toolchain (about 15 minutes, once per machine)"
  (cd / && cargo "+$toolchain" install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked)
}

ensure_wasm_bindgen() {
  local want; want="$(locked_version wasm-bindgen)"
  [ -n "$want" ] || die "Cargo.lock has no wasm-bindgen entry"
  if wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    note "wasm-bindgen-cli $want: present"; return
  fi
  # Must equal the library version in Cargo.lock exactly. `--locked` fails for this crate here.
  note "installing wasm-bindgen-cli $want (about 5 minutes, once per machine)"
  (cd / && cargo install wasm-bindgen-cli --version "$want" --force)
}

ensure_wasm_opt() {
  if [ -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then note "wasm-opt (binaryen $BINARYEN_VERSION): present"; return; fi
  note "installing wasm-opt from npm's binaryen $BINARYEN_VERSION into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
}

ensure_postgres() {
  if [ -n "$(pg_bin_dir)" ] && [ -x "$(pg_bin_dir)/initdb" ]; then note "PostgreSQL server binaries: $(pg_bin_dir)"; return; fi
  note "installing the PostgreSQL server (Debian package postgresql)"
  apt_install postgresql
  [ -x "$(pg_bin_dir)/initdb" ] || die "PostgreSQL binaries still missing after install; set PIPELINE_PG_BIN to the folder holding initdb and pg_ctl"
}

ensure_build_tools() {
  command -v cargo >/dev/null || die "Rust is required: install it with rustup (https://rustup.rs)"
  command -v npm >/dev/null || die "Node.js and npm are required: apt-get install nodejs npm"
  # Cargo.lock is committed; this only creates it in a fresh checkout that lacks one.
  [ -f Cargo.lock ] || cargo generate-lockfile
  ensure_rust_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_wasm_opt
  ensure_postgres
}

build_release() {
  cargo leptos build --release
  local wasm="$LEPTOS_SITE_ROOT/pkg/pipeline.wasm"
  [ -f "$wasm" ] || die "the build did not produce $wasm"
  note "server binary: $(du -h "$TARGET_DIR/release/server" | cut -f1)  ($TARGET_DIR/release/server)"
  note "wasm client:   $(du -h "$wasm" | cut -f1) ($(gzip -c "$wasm" | wc -c | awk '{printf "%.0f KB", $1/1024}') gzipped)"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits until $1 answers 200, for at most $2 seconds.
wait_for_http() {
  node -e "
    const [url, secs] = process.argv.slice(1);
    const end = Date.now() + secs * 1000;
    (async () => {
      while (Date.now() < end) {
        try { if ((await fetch(url)).ok) process.exit(0); } catch {}
        await new Promise(r => setTimeout(r, 250));
      }
      process.exit(1);
    })();" "$1" "$2"
}

# A throw-away PostgreSQL cluster for tests: fast, insecure settings, gone afterwards.
# Sets TEST_PG_DIR and TEST_PG_PORT.
start_test_postgres() {
  local bin; bin="$(pg_bin_dir)"
  TEST_PG_DIR="$(mktemp -d /tmp/pipeline-test-pg.XXXXXX)"
  TEST_PG_PORT="$(free_port)"
  local as=()
  if is_root; then chown postgres: "$TEST_PG_DIR"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$TEST_PG_DIR/data" -A trust -U app -E UTF8 --no-instructions >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$TEST_PG_DIR/data" -l "$TEST_PG_DIR/server.log" -w -o \
    "-k $TEST_PG_DIR -p $TEST_PG_PORT -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  note "throw-away PostgreSQL on 127.0.0.1:$TEST_PG_PORT ($TEST_PG_DIR)"
}

stop_test_postgres() {
  [ -n "${TEST_PG_DIR:-}" ] || return 0
  local as=(); is_root && as=(runuser -u postgres --)
  "${as[@]}" "$(pg_bin_dir)/pg_ctl" -D "$TEST_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$TEST_PG_DIR"
}

# For the benchmark scripts: the release build, a throw-away cluster with an empty, migrated
# `pipeline_bench` database (DATABASE_URL exported), the server binary in $BIN, and the server
# ($SERVER_PID, if started) and cluster stopped on exit. With SKIP_BUILD=1 the release binary
# already in $TARGET_DIR is used as it is (no tool checks, no build).
bench_setup() {
  SERVER_PID=""
  trap 'if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; fi; stop_test_postgres' EXIT
  if [ "${SKIP_BUILD:-}" = 1 ]; then
    [ -x "$TARGET_DIR/release/server" ] || die "SKIP_BUILD=1 but there is no $TARGET_DIR/release/server: build it first"
    note "SKIP_BUILD=1: using $TARGET_DIR/release/server as built ($(date -r "$TARGET_DIR/release/server" '+%F %T'))"
  else
    ensure_build_tools
    build_release
  fi
  start_test_postgres
  "$(pg_bin_dir)/createdb" -h 127.0.0.1 -p "$TEST_PG_PORT" -U app pipeline_bench
  export DATABASE_URL="postgres://app@127.0.0.1:$TEST_PG_PORT/pipeline_bench"
  BIN="$TARGET_DIR/release/server"
  "$BIN" migrate >/dev/null
}
