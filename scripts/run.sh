#!/usr/bin/env bash
# The run command: installs what is missing, builds the release and serves Pipeline on
# http://127.0.0.1:3000 with its embedded PostgreSQL in ./data (or DATABASE_URL if set).
# Extra arguments go to the server, e.g. `scripts/run.sh --addr 0.0.0.0:8080`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "Checking tools (a first run installs them and takes about 20-30 minutes; later runs seconds)"
ensure_build_tools
step "Building the release (a first build takes about 10 minutes)"
build_release
step "Starting Pipeline on http://${PIPELINE_ADDR:-127.0.0.1:3000} (Ctrl-C stops it and its database)"
exec "$TARGET_DIR/release/server" serve "$@"
