#!/usr/bin/env bash
# CSV import benchmark (issue 9): 50,000 contacts, then 50,000 opportunities on them, then 50,000
# contacts with every text column filled (about 10 MB), each file
# imported all-or-nothing through POST /api/v1/imports/{kind} of the release server on a fresh
# database. Prints each import's wall time. Usage: scripts/bench-import.sh [rows]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROWS="${1:-50000}"
bench_setup
WORK="$(mktemp -d)"
PSQL=("$(pg_bin_dir)/psql" -qAt "$DATABASE_URL")
PIPELINE_NEW_PASSWORD="bench password 1" "$BIN" create-user --email bench@example.com --name Bench --role admin >/dev/null
# A token for the API, inserted as the profile page would store it (digest only).
TOKEN="plt_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"${PSQL[@]}" -c "insert into salespeople (code, name) values ('BENCH', 'Bench Seller');
  insert into api_tokens (user_id, name, prefix, secret_hash)
  select id, 'bench', left('$TOKEN', 12), sha256('$TOKEN'::bytea) from users where email = 'bench@example.com'"
PORT="$(free_port)"
PIPELINE_API_RATE_LIMIT=1000 PIPELINE_LOG=warn "$BIN" serve --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_for_http "http://127.0.0.1:$PORT/readyz" 60 || die "the server did not start"

import() { # kind file
  local t0 t1 answer
  t0=$(date +%s.%N)
  answer=$(curl -s -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" --data-binary "@$2" "http://127.0.0.1:$PORT/api/v1/imports/$1")
  t1=$(date +%s.%N)
  note "$1: $(wc -l < "$2") lines, $(( $(stat -c %s "$2") / 1024 )) KB -> ${answer:0:120} in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

step "$ROWS contacts"
awk -v n="$ROWS" 'BEGIN { print "name,email,phone,city,country,salesperson_code";
  for (i = 0; i < n; i++) printf "Bench Company %d,buyer%d@example.com,+44 20 7946 %04d,City %d,United Kingdom,BENCH\n", i, i, i % 10000, i % 100 }' > "$WORK/contacts.csv"
import contacts "$WORK/contacts.csv"

step "$ROWS opportunities on them"
"${PSQL[@]}" -c "select no from contacts order by id" | awk 'BEGIN { print "description,contact_no,sales_cycle,estimated_value,chances,estimated_closing_date,priority" }
  { printf "Bench deal %d,%s,STANDARD,%d.00,%d,2031-%02d-15,normal\n", NR, $1, 1000 + NR % 5000, NR % 100, 1 + NR % 12 }' > "$WORK/opportunities.csv"
import opportunities "$WORK/opportunities.csv"
step "$ROWS contacts with job titles and street addresses (the issue's 10 MB)"
awk -v n="$ROWS" 'BEGIN { print "name,job title,email,phone,address,city,post code,country,salesperson_code";
  for (i = 0; i < n; i++) printf "Person Number %d,Head of Procurement and Sourcing,staff%d@example.org,+44 20 7946 %04d,\"Unit %d, Riverside Business Park, %d Long Industrial Estate Road\",City %d,AB%d %dCD,United Kingdom,BENCH\n", i, i, i % 10000, i, i % 500, i % 100, i % 90, i % 9 }' > "$WORK/contacts-10mb.csv"
import contacts "$WORK/contacts-10mb.csv"
note "in the database: $("${PSQL[@]}" -c "select count(*) from contacts") contacts, $("${PSQL[@]}" -c "select count(*) from opportunities") opportunities"
rm -rf "$WORK"
