#!/usr/bin/env bash
# Dashboard benchmark (issue 8): 1,020,000 opportunities with 5,000,000 entries or more, then the
# dashboard server function (every panel; the panels' queries run concurrently) timed for
# several viewers and filters, and each panel's query time from the server's own statement log.
# Usage: scripts/bench-dashboard.sh [opportunities] [requests]   (defaults 1020000 and 20: the
# seeded lives average 4.91 entries, so 1,020,000 of them give the issue's 5 million entries).
# Builds the release first; takes about 10 minutes on 2 cores.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N="${1:-1020000}"
REQUESTS="${2:-20}"
bench_setup

step "Seed: $N opportunities with histories"
START=$(date +%s)
"$BIN" seed --seed 1 --salespeople 50 --teams 6 --contacts 20000 --opportunities "$N" --history
note "seeded in $(( $(date +%s) - START )) s"
"$(pg_bin_dir)/psql" -q "$DATABASE_URL" -c "vacuum analyze"
"$(pg_bin_dir)/psql" -At "$DATABASE_URL" -c "select 'opportunities: ' || count(*) from opportunities" \
  -c "select 'entries: ' || count(*) from opportunity_entries" \
  -c "select 'open: ' || count(*) from opportunities where not closed"
ENTRIES="$("$(pg_bin_dir)/psql" -At "$DATABASE_URL" -c "select count(*) from opportunity_entries")"
if [ "$N" -ge 1000000 ] && [ "$ENTRIES" -lt 5000000 ]; then
  die "only $ENTRIES entries: the issue's scale is 5,000,000 (seed more opportunities)"
fi
PIPELINE_NEW_PASSWORD="bench password 1" "$BIN" create-user --email bench@example.com --name Bench --role admin >/dev/null
SALESPERSON_EMAIL="$("$(pg_bin_dir)/psql" -At "$DATABASE_URL" -c "select u.email from users u join salespeople s on s.id = u.salesperson_id where s.code = 'SP001'")"
NORTH="$("$(pg_bin_dir)/psql" -At "$DATABASE_URL" -c "select id from teams where code = 'TEAM-NORTH'")"

PORT="$(free_port)"
LOG=/tmp/pipeline-bench-dashboard-server.log
"$BIN" serve --addr "127.0.0.1:$PORT" --log "info,sqlx::query=debug" --log-format json >"$LOG" 2>&1 &
SERVER_PID=$!
wait_for_http "http://127.0.0.1:$PORT/readyz" 60 || die "the server did not start"
BASE="http://127.0.0.1:$PORT"

# run <label> <email> <password> [form fields for dashboard/get]
run() {
  local label="$1" email="$2" password="$3"; shift 3
  local jar; jar="$(mktemp)"
  curl -s -c "$jar" -b "$jar" -o /dev/null -H 'Accept: application/json' \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "$BASE/api/auth/sign_in"
  local args=(); for field in "$@"; do args+=(--data-urlencode "$field"); done
  curl -s -b "$jar" -o /dev/null -X POST "${args[@]}" "$BASE/api/dashboard/get" # warm-up
  for _ in $(seq "$REQUESTS"); do
    curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' -X POST "${args[@]}" "$BASE/api/dashboard/get"
  done >/tmp/pipeline-bench-times
  grep -v '^200 ' /tmp/pipeline-bench-times && die "a dashboard request failed"
  cut -d' ' -f2 /tmp/pipeline-bench-times | sort -n | awk -v label="$label" \
    '{a[NR]=$1*1000} END {printf "    %-44s median %4.0f ms, p95 %4.0f ms, max %4.0f ms (%d requests)\n", label, a[int(NR/2)+1], a[int(NR*0.95)], a[NR], NR}'
}

step "Whole dashboard (all panels), server function over loopback"
run "admin, this year" bench@example.com "bench password 1"
run "admin, last three years" bench@example.com "bench password 1" "from=$(date -d '3 years ago' +%F)"
run "admin, team North" bench@example.com "bench password 1" "team=$NORTH"
run "manager of North, this year" manager.north@pipeline.example "pipeline demo"
run "salesperson SP001, this year" "$SALESPERSON_EMAIL" "pipeline demo"

step "Per panel: each query's time inside the server (all runs above; queries ran concurrently)"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(l => l.includes("\"sqlx::query\""));
const byQuery = new Map();
for (const line of lines) {
  let f; try { f = JSON.parse(line).fields || {}; } catch { continue; }
  const key = (f.summary || "").replace(/\s+/g, " ").slice(0, 48);
  if (!byQuery.has(key)) byQuery.set(key, []);
  byQuery.get(key).push(f.elapsed_secs * 1000);
}
const rows = [...byQuery].filter(([, t]) => t.length >= 20).map(([k, t]) => {
  t.sort((a, b) => a - b);
  return [k, t[Math.floor(t.length / 2)], t[Math.floor(t.length * 0.95)], t[t.length - 1], t.length];
}).sort((a, b) => b[1] - a[1]);
for (const [k, median, p95, max, n] of rows)
  console.log(`    ${k.padEnd(50)} median ${median.toFixed(1).padStart(6)} ms, p95 ${p95.toFixed(1).padStart(6)} ms, max ${max.toFixed(1).padStart(6)} ms (${n})`);
' "$LOG"
