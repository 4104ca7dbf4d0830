#!/usr/bin/env bash
# Card move benchmark (issue 12, part 1): the product's move endpoint over HTTP against its own
# SQL run by pgbench, on the same seeded database, in the same run.
#
#  1. Seeds `server seed --history` with N opportunities (default 100,000: about a tenth are still
#     open, a board of about 10,000), and N/10 in a second database (a board of about 1,000).
#  2. Counts the statements of one API move on both boards (log_statement = 'all') and checks that
#     bench/move.sql runs as many (with and without a quote on the card).
#  3. Loads, alternately and on the same database: pgbench with bench/move.sql, and oha against
#     POST /api/v1/opportunities/{no}/actions {"action":"update"} with an admin's API token (the
#     per-token rate limit raised to 1,000,000/s for this). A move is one Update entry on a random
#     open card whose estimated closing date is after today (bench_cards; both tools draw from it).
#       - single client (median); again with a nice-19 busy loop keeping the cores awake
#         (information: on a virtual machine an idle vCPU is slow to wake, see below),
#       - a concurrency sweep (throughput at saturation: the best level of each),
#       - both at a fixed offered rate of half pgbench's best throughput (p50/p95/p99, latency
#         from the scheduled start: pgbench -R, oha -q --latency-correction), and for
#         information both at half of HTTP's best.
#     Before each measured run: VACUUM of the tables a move writes and a CHECKPOINT.
#  4. Prints the figures, the ratios against the targets and the CPU split between load tool,
#     server and PostgreSQL; keeps them in target/bench-move/ (summary.md, logs, raw output).
#
# Usage: scripts/bench-move.sh [opportunities]      (default 100000)
#   SKIP_BUILD=1              use target/release/server as it is (no build)
#   BENCH_SECONDS=20          single-client phase, per tool
#   BENCH_RATE_SECONDS=30     each fixed-rate phase, per tool
#   BENCH_SWEEP_SECONDS=10    each level of the sweep, per tool
#   BENCH_INFO_SECONDS=10     single client with the cores kept awake (for information), per tool
#   BENCH_LEVELS="4 8 16 32"  concurrency levels of the sweep
#   BENCH_RATE_CLIENTS=16     connections (pgbench) and workers (oha) at the fixed rate
#   BENCH_QUIET_LOCK=/tmp/pipeline-cargo.lock   hold this lock (flock) from the seed to the end, so
#                             that no build that takes it runs meanwhile (waits for one running)
# Everything runs on this machine over loopback; tools, server and PostgreSQL share its cores.
# pgbench's first SKIP (2) seconds are left out of its figures (new backends warming up: below).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N="${1:-100000}"
SMALL_N=$(( N / 10 ))
SECS="${BENCH_SECONDS:-20}"
SWEEP_SECS="${BENCH_SWEEP_SECONDS:-10}"
INFO_SECS="${BENCH_INFO_SECONDS:-10}"
RATE_SECS="${BENCH_RATE_SECONDS:-30}"
LEVELS="${BENCH_LEVELS:-4 8 16 32}"
RATE_CLIENTS="${BENCH_RATE_CLIENTS:-16}"
OHA_VERSION="1.16.0"
OHA="$TARGET_DIR/tools/bin/oha"
OUT="$TARGET_DIR/bench-move"
BODY='{"action":"update"}'

step "Tools"
if ! "$OHA" --version 2>/dev/null | grep -q "$OHA_VERSION"; then
  note "installing oha $OHA_VERSION into $TARGET_DIR/tools (a few minutes, once)"
  flock /tmp/pipeline-cargo.lock cargo install oha --version "$OHA_VERSION" --locked --root "$TARGET_DIR/tools"
fi
PGBENCH="$(pg_bin_dir)/pgbench"
[ -x "$PGBENCH" ] || PGBENCH="$(command -v pgbench || true)"
[ -n "$PGBENCH" ] || die "pgbench is missing (Debian package postgresql-client)"
note "$("$OHA" --version), $("$PGBENCH" --version)"

bench_setup
if [ -n "${BENCH_QUIET_LOCK:-}" ]; then
  # After bench_setup: PostgreSQL must not inherit the lock; the server is started without it.
  exec {QUIET_FD}>>"$BENCH_QUIET_LOCK"
  note "waiting for $BENCH_QUIET_LOCK (no build runs while this benchmark holds it)"
  flock "$QUIET_FD"
fi
rm -rf "$OUT"; mkdir -p "$OUT"
PSQL=("$(pg_bin_dir)/psql" -qAtX)
SMALL_URL="postgres://app@127.0.0.1:$TEST_PG_PORT/pipeline_bench_small"
PGLOG="$TEST_PG_DIR/server.log"
TOKEN="plt_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOKEN_HASH="$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"

prepare_db() { # url opportunities: seed, an admin with an API token, the cards to move
  DATABASE_URL="$1" "$BIN" migrate >/dev/null
  DATABASE_URL="$1" "$BIN" seed --seed 1 --salespeople 20 --teams 4 --contacts 5000 --opportunities "$2" --history >/dev/null
  PIPELINE_NEW_PASSWORD="bench password 1" DATABASE_URL="$1" "$BIN" create-user --email bench@example.com --name Bench --role admin >/dev/null
  # The token as the profile page stores it (digest only).
  "${PSQL[@]}" "$1" -c "insert into api_tokens (user_id, name, prefix, secret_hash)
      select id, 'bench', left('$TOKEN', 12), sha256('$TOKEN'::bytea) from users where email = 'bench@example.com'"
  # The open cards an Update can move as it is (bench/move-init.sql).
  "${PSQL[@]}" "$1" -v ON_ERROR_STOP=1 -f "$ROOT/bench/move-init.sql" -c "vacuum analyze"
}

phase_start "Seed: $N opportunities with histories, and $SMALL_N"
prepare_db "$DATABASE_URL" "$N"
"$(pg_bin_dir)/createdb" -h 127.0.0.1 -p "$TEST_PG_PORT" -U app pipeline_bench_small
prepare_db "$SMALL_URL" "$SMALL_N"
board() { "${PSQL[@]}" "$1" -c "select count(*) from opportunities where not closed"; }
total() { "${PSQL[@]}" "$1" -c "select count(*) from opportunities"; }
BOARD_BIG="$(board "$DATABASE_URL")"; BOARD_SMALL="$(board "$SMALL_URL")"
CARDS="$("${PSQL[@]}" "$DATABASE_URL" -c "select count(*) from bench_cards")"
note "$(total "$DATABASE_URL") opportunities, board of $BOARD_BIG open cards ($CARDS movable as they are); $(total "$SMALL_URL") and $BOARD_SMALL in the small one"
phase_end

start_server() { # url
  local port; port="$(free_port)"
  if [ -n "${QUIET_FD:-}" ]; then
    DATABASE_URL="$1" "$BIN" serve --addr "127.0.0.1:$port" --api-rate-limit 1000000 >>"$OUT/server.log" 2>&1 {QUIET_FD}>&- &
  else
    DATABASE_URL="$1" "$BIN" serve --addr "127.0.0.1:$port" --api-rate-limit 1000000 >>"$OUT/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  wait_for_http "http://127.0.0.1:$port/readyz" 60 || die "the server did not start (see $OUT/server.log)"
  BASE="http://127.0.0.1:$port"
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
move() { # no -> HTTP status
  curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "$BODY" "$BASE/api/v1/opportunities/$1/actions"
}
statement_log() { # all|none
  "${PSQL[@]}" "$DATABASE_URL" -c "alter system set log_line_prefix = '%m [%p] %d '" \
    -c "alter system set log_statement = '$1'" -c "select pg_reload_conf()" >/dev/null
  sleep 0.3
}
mark() { "${PSQL[@]}" "$1" -c "select 'bench-move-mark-$2'" >/dev/null; }
# The statements logged between two marks in database $1, one per line (continuations joined),
# without the marks, the webhook worker's poll (every second, not the move's) and the token's
# last-used stamp (once a minute per token).
statements_between() { # db from to
  awk -v db="$1" -v from="bench-move-mark-$2" -v to="bench-move-mark-$3" '
    /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { flush(); cur = ""; keep = 0
      if (index($0, from)) { on = 1; next }
      if (index($0, to)) { on = 0; next }
      if (on && $5 == db && $0 ~ / LOG:  (statement|execute [^:]*): /) { keep = 1; cur = $0; sub(/^.* LOG:  (statement|execute [^:]*): /, "", cur) }
      next }
    /^\t/ { if (keep) { line = $0; sub(/^\t+/, " ", line); cur = cur line }; next }
    function flush() { if (keep && cur !~ /webhook_deliveries d|last_used_at = now\(\)/) { gsub(/[ \t]+/, " ", cur); print cur } }
    END { flush() }' "$PGLOG"
}
card_with() { # url quote|none: a movable card with or without a quote
  local cond="exists"; [ "$2" = quote ] || cond="not exists"
  "${PSQL[@]}" "$1" -c "select b.no from bench_cards b join opportunities o on o.no = b.no
    where $cond (select 1 from quotes q where q.opportunity_id = o.id) order by b.n limit 1"
}
count_api_move() { # url db label quote|none -> prints the count, keeps the statements
  local no; no="$(card_with "$1" "$4")"
  [ "$(move "$no")" = 200 ] || die "the warm-up move of $no did not answer 200"
  mark "$1" "$3-from"
  local status; status="$(move "$no")"
  mark "$1" "$3-to"
  [ "$status" = 200 ] || die "the logged move of $no answered $status"
  statements_between "$2" "$3-from" "$3-to" >"$OUT/statements-$3.txt"
  wc -l <"$OUT/statements-$3.txt"
}

# pgbench's variables: the token, the admin, the cards, and the STANDARD cycle's five stages.
PGB_VARS=()
pgbench_vars() {
  local user_id stages
  user_id="$("${PSQL[@]}" "$DATABASE_URL" -c "select id from users where email = 'bench@example.com'")"
  PGB_VARS=(-D "secret_hash=\\x$TOKEN_HASH" -D "user_id=$user_id" -D "ncards=$CARDS"
    -D channel=pipeline_changes -D kind=updated -D event=opportunity.moved)
  stages="$("${PSQL[@]}" -F ' ' "$DATABASE_URL" -c "select s.stage, s.id, s.chances_pct, s.completed_pct
    from sales_cycle_stages s join sales_cycles c on c.id = s.cycle_id where c.code = 'STANDARD' order by s.stage")"
  [ "$(wc -l <<<"$stages")" = 5 ] || die "bench/move.sql expects the STANDARD cycle's five stages"
  while read -r no id ch co; do PGB_VARS+=(-D "s$no=$id" -D "s${no}_ch=$ch" -D "s${no}_co=$co"); done <<<"$stages"
}
pgb() { "$PGBENCH" -n -M prepared "${PGB_VARS[@]}" -f "$ROOT/bench/move.sql" "$@" "$DATABASE_URL"; }

phase_start "Statements per move (log_statement = 'all')"
statement_log all
start_server "$SMALL_URL"
SMALL_NONE="$(count_api_move "$SMALL_URL" pipeline_bench_small small-none none)"
SMALL_QUOTE="$(count_api_move "$SMALL_URL" pipeline_bench_small small-quote quote)"
stop_server
start_server "$DATABASE_URL"
BIG_NONE="$(count_api_move "$DATABASE_URL" pipeline_bench big-none none)"
BIG_QUOTE="$(count_api_move "$DATABASE_URL" pipeline_bench big-quote quote)"
pgbench_vars
mark "$DATABASE_URL" pgbench-from
pgb -c 1 -t 20 >"$OUT/pgbench-count.txt" 2>&1 || die "pgbench failed: $(tail -3 "$OUT/pgbench-count.txt")"
mark "$DATABASE_URL" pgbench-to
statement_log none
statements_between pipeline_bench pgbench-from pgbench-to >"$OUT/statements-pgbench.txt"
# One transaction starts at the token lookup; a card with a quote reads quote_lines.
read -r PGB_NONE PGB_QUOTE < <(awk '
  /from api_tokens t join users u/ { if (n) out(); n = 0; q = 0 }
  { n++; if (/from quote_lines/) q = 1 }
  function out() { if (q) wq = n; else wn = n }
  END { if (n) out(); print (wn ? wn : "-"), (wq ? wq : "-") }' "$OUT/statements-pgbench.txt")
note "API move, card without a quote: $SMALL_NONE statements on the board of $BOARD_SMALL, $BIG_NONE on the board of $BOARD_BIG; pgbench script: $PGB_NONE"
note "API move, card with a quote:    $SMALL_QUOTE statements on the board of $BOARD_SMALL, $BIG_QUOTE on the board of $BOARD_BIG; pgbench script: $PGB_QUOTE"
# The comparison is only fair while pgbench runs what the server runs, and a move must not do
# more work on a bigger board: either drift stops the benchmark.
if [ "$BIG_NONE" != "$PGB_NONE" ] || [ "$BIG_QUOTE" != "$PGB_QUOTE" ]; then
  die "bench/move.sql no longer runs what the server runs: compare $OUT/statements-big-*.txt with it"
fi
if [ "$SMALL_NONE" != "$BIG_NONE" ] || [ "$SMALL_QUOTE" != "$BIG_QUOTE" ]; then
  die "a move runs more statements on the bigger board: compare $OUT/statements-small-*.txt and statements-big-*.txt"
fi
phase_end

# ---- Load ----------------------------------------------------------------------------------
"${PSQL[@]}" "$DATABASE_URL" -c "select '$BASE/api/v1/opportunities/' || no || '/actions' from bench_cards order by n" >"$OUT/urls.txt"
oha() { # extra oha options...; writes $OUT/$OHA_NAME.json
  "$OHA" --no-tui --worker-threads 1 --urls-from-file -m POST -H "Authorization: Bearer $TOKEN" -T application/json -d "$BODY" \
    --output-format json -o "$OUT/$OHA_NAME.json" "$@" "$OUT/urls.txt"
}
# CPU ticks of the server, of PostgreSQL (live processes plus those it has reaped) and of this
# script's finished children (the load tools). Sets SNAP; must not run in a subshell (`times`).
HZ="$(getconf CLK_TCK)"
PM_PID="$(head -1 "$TEST_PG_DIR/data/postmaster.pid")"
cpu_snapshot() {
  times >"$OUT/.times"
  local s p=0 pid tools
  s="$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")"
  for pid in "$PM_PID" $(pgrep -P "$PM_PID"); do
    p=$(( p + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
  done
  tools="$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } } END { printf "%d", t * '"$HZ"' }' "$OUT/.times")"
  # The whole machine: all ticks and idle ones (idle + iowait).
  SNAP="$(date +%s.%N) $s $p $tools $(awk '/^cpu / { for (i = 2; i <= 9; i++) all += $i; print all, $5 + $6, $9; exit }' /proc/stat)"
}
# As shares of all cores over the run: the tool, the server, PostgreSQL, the rest of the busy time
# (kernel work not charged to a process: loopback networking in softirq, wake-ups; and everything
# else on the machine; process times are sampled at each tick, so a few % either way), time
# taken by the hypervisor (steal) and idle.
cpu_split() { # before after
  awk -v b="$1" -v a="$2" 'BEGIN {
    split(b, x, " "); split(a, y, " "); all = (y[5] - x[5]) / 100
    t = (y[4] - x[4]) / all; s = (y[2] - x[2]) / all; p = (y[3] - x[3]) / all; idle = (y[6] - x[6]) / all; st = (y[7] - x[7]) / all
    printf "tool %.0f%%, server %.0f%%, PostgreSQL %.0f%%, kernel/other %.0f%%, steal %.0f%%, idle %.0f%%", t, s, p, 100 - idle - st - t - s - p, st, idle }'
}
declare -A CPU CPU_RAW
# Before each measured run: the tables a move writes vacuumed and a checkpoint, so that both tools
# start from the same state and background maintenance is less likely to fall into one's run.
settle() {
  "${PSQL[@]}" "$DATABASE_URL" -c "vacuum (analyze) opportunities, opportunity_entries, stage_days" -c "checkpoint" >/dev/null
}
run_measured() { # key command...: runs it between two CPU snapshots
  local key="$1" before after; shift
  settle
  cpu_snapshot; before="$SNAP"
  "$@"
  sleep 0.3 # PostgreSQL reaps the tool's backends
  cpu_snapshot; after="$SNAP"
  CPU[$key]="$(cpu_split "$before" "$after")"
  CPU_RAW[$key]="$before|$after"
}
per_move() { # key moves -> CPU milliseconds per move (all moves of the run, pgbench's first seconds included)
  awk -v b="${CPU_RAW[$1]%|*}" -v a="${CPU_RAW[$1]#*|}" -v n="$2" -v hz="$HZ" 'BEGIN {
    split(b, x, " "); split(a, y, " "); f = 1000 / hz / n
    printf "server %.2f, PostgreSQL %.2f, tool %.2f ms", (y[2] - x[2]) * f, (y[3] - x[3]) * f, (y[4] - x[4]) * f }'
}
idle_of() { sed -n 's/.*idle \(-\{0,1\}[0-9]*%\).*/\1/p' <<<"${CPU[$1]}"; }
oha_ok_per_s() { node -e 'const d = require(process.argv[1]); const ok = d.statusCodeDistribution["200"] || 0; console.log((ok / d.summary.total).toFixed(0))' "$OUT/$1.json"; }
oha_count() { node -e 'const d = require(process.argv[1]); console.log(Object.values(d.statusCodeDistribution).reduce((a, b) => a + b, 0))' "$OUT/$1.json"; }
oha_ms() { # name p50|p95|p99
  node -e 'const d = require(process.argv[1]); console.log((d.latencyPercentiles[process.argv[2]] * 1000).toFixed(2))' "$OUT/$1.json" "$2"
}
oha_other() { # non-200 answers and errors, if any
  node -e 'const d = require(process.argv[1]); const s = Object.entries(d.statusCodeDistribution).filter(([k]) => k !== "200");
    const e = Object.entries(d.errorDistribution || {}).filter(([k]) => !k.includes("deadline"));
    console.log([...s, ...e].map(([k, v]) => `${v}× ${k}`).join(", ") || "none")' "$OUT/$1.json"
}
# pgbench opens new connections for each run; a new backend's first transactions load its caches
# and prepare the statements (about 250 ms with 16 at once), and at a fixed rate that start-up
# delays the ones scheduled after them. The server's pool is warm. So pgbench runs SKIP seconds
# longer and its figures leave out the transactions that ended in its first SKIP seconds.
SKIP=2
pgb_window() { # name: keeps the latencies (µs, from the scheduled start) of the window; prints moves/s
  cat "$OUT/$1".[0-9]* | awk -v skip="$SKIP" -v out="$OUT/$1.lat" '
    { t[NR] = $5 + $6 / 1e6; lat[NR] = $3; if (NR == 1 || t[NR] < first) first = t[NR]; if (t[NR] > last) last = t[NR] }
    END { from = first + skip; n = 0; for (i = 1; i <= NR; i++) if (t[i] >= from) { print lat[i] > out; n++ }
          printf "%.0f", n / (last - from) }'
}
pgb_count() { cat "$OUT/$1".[0-9]* | wc -l; }
pgb_ms() { # name p: percentile of the window's latencies
  sort -n "$OUT/$1.lat" | awk -v p="$2" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; printf "%.2f", a[i] / 1000 }'
}

# Autovacuum runs and checkpoints go to the PostgreSQL log (copied to $OUT) to explain outliers.
"${PSQL[@]}" "$DATABASE_URL" -c "alter system set log_autovacuum_min_duration = 0" -c "alter system set log_checkpoints = on" \
  -c "select pg_reload_conf()" >/dev/null
phase_start "Warm-up (5 s each)"
pgb -c 8 -T 5 >"$OUT/pgbench-warmup.txt" 2>&1
OHA_NAME=oha-warmup oha -c 16 -z 5s
phase_end

phase_start "Single client (${SECS} s each)"
run_measured pgb-1 pgb -c 1 -j 1 -T $(( SECS + SKIP )) -l --log-prefix "$OUT/pgbench-single" >"$OUT/pgbench-single.txt" 2>&1
pgb_window pgbench-single >/dev/null
OHA_NAME=oha-single run_measured oha-1 oha -c 1 -z "${SECS}s"
PGB_SINGLE="$(pgb_ms pgbench-single 50)"; HTTP_SINGLE="$(oha_ms oha-single p50)"
note "median: pgbench $PGB_SINGLE ms, HTTP $HTTP_SINGLE ms (HTTP other answers: $(oha_other oha-single))"
note "CPU: pgbench run [${CPU[pgb-1]}]; HTTP run [${CPU[oha-1]}]"
phase_end

# On an idle virtual machine every round trip may wait for a halted vCPU to wake up, which costs a
# ping-pong of 20 round trips (pgbench) more than the server's threads. A lowest-priority busy
# loop keeps the cores awake and takes almost nothing from the others (nice 19).
phase_start "Single client with the cores kept awake by a nice-19 busy loop (information), ${INFO_SECS} s each"
timeout $(( 2 * INFO_SECS + 20 )) nice -n 19 sh -c 'while :; do :; done' &
SPIN_PID=$!
settle
pgb -c 1 -j 1 -T $(( INFO_SECS + SKIP )) -l --log-prefix "$OUT/pgbench-awake" >"$OUT/pgbench-awake.txt" 2>&1
pgb_window pgbench-awake >/dev/null
settle
OHA_NAME=oha-awake oha -c 1 -z "${INFO_SECS}s"
kill "$SPIN_PID"; wait "$SPIN_PID" 2>/dev/null || true
PGB_AWAKE="$(pgb_ms pgbench-awake 50)"; HTTP_AWAKE="$(oha_ms oha-awake p50)"
note "median: pgbench $PGB_AWAKE ms, HTTP $HTTP_AWAKE ms"
phase_end

phase_start "Throughput: concurrency sweep (${SWEEP_SECS} s per level and tool)"
PGB_BEST=0; HTTP_BEST=0; SWEEP_ROWS=""
for c in $LEVELS; do
  run_measured "pgb-$c" pgb -c "$c" -j 1 -T $(( SWEEP_SECS + SKIP )) -l --log-prefix "$OUT/pgbench-c$c" >"$OUT/pgbench-c$c.txt" 2>&1
  OHA_NAME="oha-c$c" run_measured "oha-$c" oha -c "$c" -z "${SWEEP_SECS}s"
  p="$(pgb_window "pgbench-c$c")"; h="$(oha_ok_per_s "oha-c$c")"
  pm="$(per_move "pgb-$c" "$(pgb_count "pgbench-c$c")")"; hm="$(per_move "oha-$c" "$(oha_count "oha-c$c")")"
  note "$c clients: pgbench $p moves/s [${CPU[pgb-$c]}]; HTTP $h moves/s [${CPU[oha-$c]}] (other: $(oha_other "oha-c$c"))"
  SWEEP_ROWS+="| $c | $p | ${pm% ms} | $(idle_of "pgb-$c") | $h | ${hm% ms} | $(idle_of "oha-$c") |"$'\n'
  if [ "$p" -gt "$PGB_BEST" ]; then PGB_BEST=$p; PGB_BEST_C=$c; fi
  if [ "$h" -gt "$HTTP_BEST" ]; then HTTP_BEST=$h; HTTP_BEST_C=$c; fi
done
phase_end

declare -A LAT DONE
fixed_rate() { # name rate: both tools at that offered rate
  local name="$1" rate="$2" p
  run_measured "pgb-$name" pgb -c "$RATE_CLIENTS" -j 1 -R "$rate" -T $(( RATE_SECS + SKIP )) -l --log-prefix "$OUT/pgbench-$name" >"$OUT/pgbench-$name.txt" 2>&1
  DONE[pgb-$name]="$(pgb_window "pgbench-$name")"
  OHA_NAME="oha-$name" run_measured "oha-$name" oha -c "$RATE_CLIENTS" -q "$rate" --latency-correction -z "${RATE_SECS}s"
  DONE[oha-$name]="$(oha_ok_per_s "oha-$name")"
  for p in 50 95 99; do LAT[pgb-$name-$p]="$(pgb_ms "pgbench-$name" "$p")"; LAT[oha-$name-$p]="$(oha_ms "oha-$name" "p$p")"; done
  note "pgbench p50/p95/p99 ${LAT[pgb-$name-50]} / ${LAT[pgb-$name-95]} / ${LAT[pgb-$name-99]} ms (${DONE[pgb-$name]}/s done) [${CPU[pgb-$name]}]"
  note "HTTP    p50/p95/p99 ${LAT[oha-$name-50]} / ${LAT[oha-$name-95]} / ${LAT[oha-$name-99]} ms (${DONE[oha-$name]}/s done) [${CPU[oha-$name]}] (other: $(oha_other "oha-$name"))"
}
RATE=$(( PGB_BEST / 2 ))
phase_start "Fixed rate: $RATE moves/s offered (half of pgbench's best), ${RATE_SECS} s each"
fixed_rate rate "$RATE"
phase_end
# For the explanation only: both at half of what HTTP sustains.
RATE2=$(( HTTP_BEST / 2 ))
phase_start "Fixed rate, for information: $RATE2 moves/s (half of HTTP's best), ${RATE_SECS} s each"
fixed_rate rate2 "$RATE2"
phase_end

# ---- Summary -------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? r >= t : r <= t; print ok ? "met" : "**missed**" }'; }
T_RATIO="$(ratio "$HTTP_BEST" "$PGB_BEST")"
P99_RATIO="$(ratio "${LAT[oha-rate-99]}" "${LAT[pgb-rate-99]}")"
S_RATIO="$(ratio "$HTTP_SINGLE" "$PGB_SINGLE")"
ENTRIES="$("${PSQL[@]}" "$DATABASE_URL" -c "select count(*) from opportunity_entries")"
cp "$PGLOG" "$OUT/postgresql.log"
rate_rows() { # name rate
  local p target
  for p in 50 95 99; do
    target=""; [ "$1-$p" = rate-99 ] && target="≤ 1.5 → $(verdict "$P99_RATIO" 1.5 "<=")"
    printf '| at %s/s offered: p%s | %s ms | %s ms | %s | %s |\n' "$2" "$p" "${LAT[pgb-$1-$p]}" "${LAT[oha-$1-$p]}" \
      "$(ratio "${LAT[oha-$1-$p]}" "${LAT[pgb-$1-$p]}")" "$target"
  done
  printf '| at %s/s offered: done (share of its best) | %s/s (%s) | %s/s (%s) | | |\n' "$2" "${DONE[pgb-$1]}" "$(pct "$2" "$PGB_BEST")" "${DONE[oha-$1]}" "$(pct "$2" "$HTTP_BEST")"
}
{
  echo "$(date -u +%F), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- app server migrations || echo ' (with uncommitted changes)'), binary built $(date -r "$BIN" '+%F %R'); $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)); $("$PGBENCH" --version | awk '{ print "pgbench " $3 }'), PostgreSQL $("${PSQL[@]}" "$DATABASE_URL" -c "show server_version" | cut -d' ' -f1), $("$OHA" --version)"
  echo
  echo "Data: $(total "$DATABASE_URL") opportunities (\`seed --history\`), board of $BOARD_BIG open cards; moves on the $CARDS whose estimated closing date is after today; $ENTRIES entries after the run."
  echo
  echo "| figure | pgbench (bench/move.sql) | HTTP (oha) | HTTP / pgbench | target |"
  echo "|---|---|---|---|---|"
  echo "| single client, median | $PGB_SINGLE ms | $HTTP_SINGLE ms | $S_RATIO | ≤ 2 → $(verdict "$S_RATIO" 2 "<=") |"
  echo "| single client, median, cores kept awake (information) | $PGB_AWAKE ms | $HTTP_AWAKE ms | $(ratio "$HTTP_AWAKE" "$PGB_AWAKE") | ($(verdict "$(ratio "$HTTP_AWAKE" "$PGB_AWAKE")" 2 "<=")) |"
  echo "| throughput at saturation (best of $LEVELS clients) | $PGB_BEST/s ($PGB_BEST_C clients) | $HTTP_BEST/s ($HTTP_BEST_C clients) | $T_RATIO | ≥ 0.60 → $(verdict "$T_RATIO" 0.60 ">=") |"
  rate_rows rate "$RATE"
  rate_rows rate2 "$RATE2"
  echo
  echo "The target for latency is set at $RATE/s (half of pgbench's best); $RATE2/s (half of HTTP's best) is for information."
  echo
  echo "Statements per move (API, logged): $SMALL_NONE without a quote on the card, $SMALL_QUOTE with one, on the board of $BOARD_SMALL; $BIG_NONE and $BIG_QUOTE on the board of $BOARD_BIG; bench/move.sql: $PGB_NONE and $PGB_QUOTE."
  echo
  echo "Concurrency sweep: moves/s, CPU per move (milliseconds of CPU time, from the processes' tick counts) and the idle share of the machine:"
  echo
  echo "| clients | pgbench moves/s | pgbench CPU per move | idle | HTTP moves/s | HTTP CPU per move | idle |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$SWEEP_ROWS"
  echo
  echo "CPU shares of all $(nproc) cores: single client, pgbench run [${CPU[pgb-1]}], HTTP run [${CPU[oha-1]}]; at $RATE/s, pgbench run [${CPU[pgb-rate]}], HTTP run [${CPU[oha-rate]}]; at $RATE2/s, pgbench run [${CPU[pgb-rate2]}], HTTP run [${CPU[oha-rate2]}]."
  echo
  echo "PostgreSQL's background work during the load (postgresql.log): $(grep -cE 'automatic vacuum of table "pipeline_bench\.public\.(opportunities|opportunity_entries|stage_days)"' "$OUT/postgresql.log" || true) automatic vacuums of the tables a move writes (besides the explicit ones before each run), $(grep -c "checkpoint starting: [^i]" "$OUT/postgresql.log" || true) checkpoints started by time or WAL volume (besides the explicit ones)."
  echo
  echo "HTTP answers other than 200 (409: the card was moved by another client in between, pgbench's ROLLBACK branch): single $(oha_other oha-single); at $RATE/s $(oha_other oha-rate); at $RATE2/s $(oha_other oha-rate2)."
} >"$OUT/summary.md"
step "Summary (also in $OUT/summary.md)"
cat "$OUT/summary.md"
print_phases
