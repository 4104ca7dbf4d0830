#!/usr/bin/env bash
# Refreshes .sqlx/ (the offline query data that lets builds check SQL without a database):
# migrates a throw-away PostgreSQL and re-checks every crate that uses sqlx's query macros.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_test_postgres EXIT

start_test_postgres
export DATABASE_URL="postgres://app@127.0.0.1:$TEST_PG_PORT/postgres"
for f in migrations/*.sql; do
  "$(pg_bin_dir)/psql" -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$f" >/dev/null
done
rm -rf .sqlx && mkdir -p .sqlx
# Online build: the macros check each query against the database and save it to SQLX_OFFLINE_DIR.
touch app/src/lib.rs server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" cargo check -p app -p server --tests --features app/ssr
note "$(find .sqlx -name 'query-*.json' | wc -l) queries saved in .sqlx/"
