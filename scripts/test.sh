#!/usr/bin/env bash
# The test command: every test — Rust unit tests, database tests against a throw-away
# PostgreSQL, and Playwright browser tests in headless Chromium against the release build.
# Prints each runner's summary and a final "N passed, N failed" line; exits non-zero on failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOGS="$(mktemp -d /tmp/pipeline-test-logs.XXXXXX)"
SERVER_PID=""
SERVER_PID_2=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID_2" ] && kill "$SERVER_PID_2" 2>/dev/null || true
  stop_test_postgres
}
trap cleanup EXIT

phase_start "Install (skipped when present)"
ensure_build_tools
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then note "installing Chromium (Debian package)"; apt_install chromium; fi
(cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
phase_end

phase_start "Throw-away PostgreSQL"
start_test_postgres
# #[sqlx::test] creates (and drops) one fresh, migrated database per test on this server.
export DATABASE_URL="postgres://app@127.0.0.1:$TEST_PG_PORT/postgres"
phase_end

phase_start "Rust unit and database tests"
rust_status=0
cargo test -p app -p server --features server/failpoints --no-fail-fast 2>&1 | tee "$LOGS/cargo.log" || rust_status=$?
phase_end

phase_start "Release build"
build_release
phase_end

phase_start "Browser tests (Playwright, Chromium)"
"$(pg_bin_dir)/createdb" -h 127.0.0.1 -p "$TEST_PG_PORT" -U app pipeline_e2e
E2E_DATABASE_URL="postgres://app@127.0.0.1:$TEST_PG_PORT/pipeline_e2e"
APP_PORT="$(free_port)"
DATABASE_URL="$E2E_DATABASE_URL" "$TARGET_DIR/release/server" serve --addr "127.0.0.1:$APP_PORT" >"$LOGS/server.log" 2>&1 &
SERVER_PID=$!
wait_for_http "http://127.0.0.1:$APP_PORT/readyz" 60 || { cat "$LOGS/server.log"; die "the server did not become ready"; }
# A second instance on the same database: the live board must work across instances.
APP_PORT_2="$(free_port)"
DATABASE_URL="$E2E_DATABASE_URL" "$TARGET_DIR/release/server" serve --addr "127.0.0.1:$APP_PORT_2" >"$LOGS/server-2.log" 2>&1 &
SERVER_PID_2=$!
wait_for_http "http://127.0.0.1:$APP_PORT_2/readyz" 60 || { cat "$LOGS/server-2.log"; die "the second server did not become ready"; }
e2e_status=0
(cd end2end && PIPELINE_BASE_URL="http://localhost:$APP_PORT" PIPELINE_BASE_URL_2="http://127.0.0.1:$APP_PORT_2" \
  PIPELINE_DATABASE_URL="$E2E_DATABASE_URL" PIPELINE_PSQL="$(pg_bin_dir)/psql" npx playwright test) 2>&1 | tee "$LOGS/e2e.log" || e2e_status=$?
# Graceful shutdown is part of the contract: SIGTERM must end the server cleanly, open live
# streams included.
kill -TERM "$SERVER_PID" "$SERVER_PID_2"; shutdown_status=0
wait "$SERVER_PID" || shutdown_status=$?; wait "$SERVER_PID_2" || shutdown_status=$?; SERVER_PID=""; SERVER_PID_2=""
[ "$shutdown_status" = 0 ] || { note "a server exited with $shutdown_status after SIGTERM"; tail -20 "$LOGS/server.log" "$LOGS/server-2.log"; e2e_status=1; }
phase_end

print_phases

count() { grep -Eo "$1" "$2" | awk '{s+=$1} END {print s+0}' || true; }
rust_passed=$(count '[0-9]+ passed' "$LOGS/cargo.log")
rust_failed=$(count '[0-9]+ failed' "$LOGS/cargo.log")
e2e_passed=$(count '^ *[0-9]+ passed' "$LOGS/e2e.log")
e2e_failed=$(count '^ *[0-9]+ failed' "$LOGS/e2e.log")
e2e_flaky=$(count '^ *[0-9]+ flaky' "$LOGS/e2e.log")
# A runner that failed without counting a failed test (e.g. a compile error) still fails the run.
if [ "$rust_status" != 0 ] && [ "$rust_failed" = 0 ]; then rust_failed=1; fi
if [ "$e2e_status" != 0 ] && [ "$e2e_failed" = 0 ]; then e2e_failed=1; fi
step "Summary"
note "Rust (unit + database): $rust_passed passed, $rust_failed failed"
note "Browser (Playwright):   $e2e_passed passed, $e2e_failed failed, $e2e_flaky flaky (passed on retry)"
echo "$((rust_passed + e2e_passed)) passed, $((rust_failed + e2e_failed)) failed"
[ "$rust_status" = 0 ] && [ "$e2e_status" = 0 ]
