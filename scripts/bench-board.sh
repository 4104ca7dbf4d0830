#!/usr/bin/env bash
# Board benchmark: 10,000 open opportunities in one cycle (the STANDARD one), then
#  1. the server-side render of /board (curl, signed in, 30 requests: median and p95),
#  2. Chromium from navigation to an interactive board (7 runs, median).
# Usage: scripts/bench-board.sh [opportunities]   (default 10000). Builds the release first.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N="${1:-10000}"
bench_setup
"$BIN" seed --seed 1 --salespeople 20 --teams 4 --contacts 5000 --opportunities "$N"
PIPELINE_NEW_PASSWORD="bench password 1" "$BIN" create-user --email bench@example.com --name Bench --role admin >/dev/null
PORT="$(free_port)"
"$BIN" serve --addr "127.0.0.1:$PORT" >/tmp/pipeline-bench-server.log 2>&1 &
SERVER_PID=$!
wait_for_http "http://127.0.0.1:$PORT/readyz" 60 || die "the server did not start"
BASE="http://127.0.0.1:$PORT"

step "Server render of /board with $N open opportunities (30 requests)"
JAR="$(mktemp)"
curl -s -c "$JAR" -b "$JAR" -o /dev/null -H 'Accept: application/json' \
  --data-urlencode email=bench@example.com --data-urlencode 'password=bench password 1' "$BASE/api/auth/sign_in"
curl -s -b "$JAR" -o /dev/null "$BASE/board" # warm-up
for _ in $(seq 30); do curl -s -b "$JAR" -o /dev/null -w '%{time_total}\n' "$BASE/board"; done | sort -n >/tmp/pipeline-bench-times
awk '{a[NR]=$1*1000} END {printf "    median %.0f ms, p95 %.0f ms, max %.0f ms (%d requests)\n", a[int(NR/2)+1], a[int(NR*0.95)], a[NR], NR}' /tmp/pipeline-bench-times
note "page size: $(curl -s -b "$JAR" "$BASE/board" | wc -c) bytes"

step "Chromium: navigation to interactive board"
(cd "$ROOT/end2end" && node bench/board-interactive.mjs "$BASE" bench@example.com "bench password 1" 7)
