#!/usr/bin/env bash
# Live feed benchmark (issue 11): 500 open event streams on one server instance while changes run
# at 100 per second through opportunities/update; delivery time from commit to receipt on the
# streams, and the server's memory per stream. Usage: scripts/bench-live.sh [streams] [rate] [seconds]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STREAMS="${1:-500}"; RATE="${2:-100}"; SECONDS_="${3:-20}"
bench_setup
"$BIN" seed --seed 1 --salespeople 20 --teams 4 --contacts 2000 --opportunities 2000
PIPELINE_NEW_PASSWORD="bench password 1" "$BIN" create-user --email bench@example.com --name Bench --role admin >/dev/null
PORT="$(free_port)"
"$BIN" serve --addr "127.0.0.1:$PORT" >/tmp/pipeline-bench-live-server.log 2>&1 &
SERVER_PID=$!
wait_for_http "http://127.0.0.1:$PORT/readyz" 60 || die "the server did not start"

step "$STREAMS event streams, changes at $RATE/s for $SECONDS_ s (server pid $SERVER_PID)"
(cd "$ROOT/end2end" && node bench/live-fanout.mjs "http://127.0.0.1:$PORT" bench@example.com "bench password 1" "$SERVER_PID" "$STREAMS" "$RATE" "$SECONDS_")
