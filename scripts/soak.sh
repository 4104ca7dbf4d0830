#!/usr/bin/env bash
# Soak: the release server under a steady mixed load (REST moves, reads, list pages) for
# 10 minutes by default; prints RSS, file descriptors and database connections at the start and
# the end, and fails if memory passes 150 MB or grows, or descriptors or connections grow
# (server/tests/soak.rs; CI runs the same test for 20 s on the debug binary).
# Usage: scripts/soak.sh [seconds] [requests per second]   (default 600 s at 250/s).
# SKIP_BUILD=1 uses the release binary as built.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECS="${1:-600}"
RATE="${2:-250}"
trap stop_test_postgres EXIT
if [ "${SKIP_BUILD:-}" != 1 ]; then
  ensure_build_tools
  build_release
fi
[ -x "$TARGET_DIR/release/server" ] || die "no release binary at $TARGET_DIR/release/server"
start_test_postgres
export DATABASE_URL="postgres://app@127.0.0.1:$TEST_PG_PORT/postgres"
step "Soak: $SECS s at $RATE requests/s against $TARGET_DIR/release/server"
PIPELINE_SOAK_BIN="$TARGET_DIR/release/server" PIPELINE_SOAK_SECS="$SECS" PIPELINE_SOAK_RATE="$RATE" \
  cargo test -p server --features server/failpoints --test soak -- --nocapture 2>&1 | grep -E "^soak|test result|panicked|assert"
