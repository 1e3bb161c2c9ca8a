#!/usr/bin/env bash
# Ladder's production-shaped local Temporal cluster: PostgreSQL (persistence and SQL visibility),
# the Temporal server's frontend, history, matching and worker services as four processes, and the
# Temporal UI, all built from Go modules and bound to 127.0.0.1. Ladder uses it with
# LADDER_TEMPORAL=cluster (see docs/deploy.md).
#
#   scripts/cluster.sh up            build once, start everything, set up schemas, namespace and search attributes
#   scripts/cluster.sh status        each process with its pid and port; exit 0 only when all run
#   scripts/cluster.sh down          stop everything, keep the data
#   scripts/cluster.sh down --wipe   stop everything and delete the data (database, logs, password)
#
# Every step is idempotent: `up` on a running cluster checks it and returns.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
export CLUSTER_DIR="${LADDER_CLUSTER_DIR:-$ROOT/.temporal/cluster}"
CONFIG_ROOT="$SCRIPT_DIR/cluster"
# The built binaries hold no state: LADDER_CLUSTER_BIN_DIR may point several clones (or CI's fresh
# clone) at one copy, so the minutes-long build happens once per machine.
export LADDER_CLUSTER_BIN_DIR="${LADDER_CLUSTER_BIN_DIR:-$CLUSTER_DIR/bin}"
BIN="$LADDER_CLUSTER_BIN_DIR"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
# Start order: history owns the shards, matching the task queues, the frontend fronts both, and the
# worker service (Temporal's own system workflows) is a client of the frontend.
SERVICES=(history matching frontend worker)

source "$CONFIG_ROOT/versions.sh"
source "$CONFIG_ROOT/ports.sh"
source "$CONFIG_ROOT/processes.sh"
source "$CONFIG_ROOT/postgres.sh"

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

service_port() {
  case "$1" in
    frontend) echo "$LADDER_CLUSTER_FRONTEND_PORT" ;;
    history) echo "$LADDER_CLUSTER_HISTORY_PORT" ;;
    matching) echo "$LADDER_CLUSTER_MATCHING_PORT" ;;
    # Temporal's worker service serves no gRPC (it only runs system workflows): it is up once it
    # has joined the cluster's membership ring on its membership port.
    worker) echo "$LADDER_CLUSTER_WORKER_MEMBERSHIP_PORT" ;;
  esac
}

service_port_variable() {
  case "$1" in
    worker) echo LADDER_CLUSTER_WORKER_MEMBERSHIP_PORT ;;
    *) echo "LADDER_CLUSTER_$(echo "$1" | tr '[:lower:]' '[:upper:]')_PORT" ;;
  esac
}

# setup_database NAME SCHEMA: creates the database and brings its schema to the newest version the
# server module embeds (both steps are no-ops when already done).
setup_database() {
  local pgbin="$1" db="$2" schema="$3"
  local tool=("$BIN/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$LADDER_CLUSTER_PG_PORT" -u temporal --db "$db")
  export SQL_PASSWORD
  SQL_PASSWORD="$(pg_password)"
  if [ -z "$(pg_sql "$pgbin" postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    "${tool[@]}" create-database >>"$LOG_DIR/schema.log" 2>&1 ||
      { echo "cluster: creating database $db failed; see $LOG_DIR/schema.log" >&2 && return 1; }
  fi
  if [ -z "$(pg_sql "$pgbin" "$db" "SELECT to_regclass('schema_version')")" ]; then
    "${tool[@]}" setup-schema -v 0.0 >>"$LOG_DIR/schema.log" 2>&1 ||
      { echo "cluster: setting up versioning in $db failed; see $LOG_DIR/schema.log" >&2 && return 1; }
  fi
  "${tool[@]}" update-schema --schema-name "$schema" >>"$LOG_DIR/schema.log" 2>&1 ||
    { echo "cluster: updating the schema of $db failed; see $LOG_DIR/schema.log" >&2 && return 1; }
  unset SQL_PASSWORD
  echo "cluster: database $db at schema $(pg_sql "$pgbin" "$db" "SELECT curr_version FROM schema_version")" >&2
}

# prepare_namespace: the namespace and Ladder's search attributes, through the compiled TypeScript
# helper (it reads the attribute list from workflows/search-attributes.ts, so this never drifts).
prepare_namespace() {
  local helper="$ROOT/dist/scripts/cluster/prepare-namespace.js"
  bash "$ROOT/scripts/ensure-deps.sh"
  if [ ! -f "$helper" ] || [ -n "$(find "$ROOT/scripts/cluster/prepare-namespace.ts" "$ROOT/config/env.ts" \
    "$ROOT/workflows/search-attributes.ts" "$ROOT/scripts/retention.ts" -newer "$helper" 2>/dev/null)" ]; then
    echo "cluster: compiling the namespace helper (scripts/cluster/tsconfig.prepare.json)…" >&2
    (cd "$ROOT" && npx tsc -p scripts/cluster/tsconfig.prepare.json)
  fi
  node "$helper" --address "127.0.0.1:$LADDER_CLUSTER_FRONTEND_PORT" --namespace "$NAMESPACE" \
    --retention-days "${LADDER_RETENTION_DAYS:-30}" --timeout-seconds 180
}

start_service() {
  LADDER_CLUSTER_PG_PASSWORD="$(pg_password)" proc_start "$1" "$(service_port "$1")" \
    "$(service_port_variable "$1")" \
    "$BIN/temporal-server" --root "$CLUSTER_DIR" --config config --env cluster --allow-no-auth \
    start --service "$1"
}

cmd_up() {
  local started=$SECONDS pgbin
  mkdir -p "$CLUSTER_DIR" "$LOG_DIR" "$RUN_DIR"
  bash "$CONFIG_ROOT/build.sh"
  pgbin="$(pg_bin_dir)"
  pg_init "$pgbin"
  pg_start "$pgbin"
  setup_database "$pgbin" temporal postgresql/v12/temporal
  setup_database "$pgbin" temporal_visibility postgresql/v12/visibility

  # The server and UI configs are templates that the programs render themselves from the environment
  # (no secret is written to disk outside $CLUSTER_DIR/secrets). They are kept as .tmpl in the repo,
  # since they are not YAML until rendered, and copied to the names the programs look for.
  mkdir -p "$CLUSTER_DIR/config"
  cp "$CONFIG_ROOT/config/cluster.yaml.tmpl" "$CLUSTER_DIR/config/cluster.yaml"
  cp "$CONFIG_ROOT/config/ui.yaml.tmpl" "$CLUSTER_DIR/config/ui.yaml"
  export LADDER_CLUSTER_DYNAMIC_CONFIG="$CONFIG_ROOT/config/dynamic.yaml"
  # The first service up writes the cluster's metadata record into a new database; services started
  # at the same moment race to insert it and the losers exit. So one starts alone, then the rest.
  start_service "${SERVICES[0]}"
  proc_wait_port "${SERVICES[0]}" "$(service_port "${SERVICES[0]}")" 120
  local service
  for service in "${SERVICES[@]:1}"; do start_service "$service"; done
  for service in "${SERVICES[@]:1}"; do
    proc_wait_port "$service" "$(service_port "$service")" 120
  done
  proc_start ui "$LADDER_CLUSTER_UI_PORT" LADDER_CLUSTER_UI_PORT \
    "$BIN/temporal-ui-server" --root "$CLUSTER_DIR" --config config --env ui start
  proc_wait_port ui "$LADDER_CLUSTER_UI_PORT" 60

  prepare_namespace
  echo "cluster: up in $((SECONDS - started)) s — frontend 127.0.0.1:$LADDER_CLUSTER_FRONTEND_PORT, UI http://localhost:$LADDER_CLUSTER_UI_PORT, namespace $NAMESPACE"
  echo "cluster: run Ladder on it with LADDER_TEMPORAL=cluster (e.g. LADDER_TEMPORAL=cluster npm start)"
}

cmd_down() {
  local wipe=false
  case "${1:-}" in
    --wipe) wipe=true ;;
    "") ;;
    *) usage ;;
  esac
  proc_stop ui
  local i
  # Reverse start order: clients of the frontend first, history (which owns the shards) last.
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do proc_stop "${SERVICES[$i]}"; done
  local pgbin
  pgbin="$(pg_installed_bin_dir)"
  if [ -n "$pgbin" ]; then pg_stop "$pgbin"; fi
  if $wipe; then
    # The built binaries stay: they take minutes to build and hold no state.
    rm -rf "$PG_DIR" "$LOG_DIR" "$RUN_DIR" "$CLUSTER_DIR/secrets"
    echo "cluster: data wiped (database, logs, password); binaries kept in $BIN" >&2
  fi
}

cmd_status() {
  local all=0 name pid port state pgbin
  printf '%-10s %-8s %-7s %s\n' PROCESS PID PORT STATE
  pgbin="$(pg_installed_bin_dir)"
  pid=""
  if [ -n "$pgbin" ] && pg_running "$pgbin"; then pid="$(pg_pid)"; fi
  state=$([ -n "$pid" ] && port_open "$LADDER_CLUSTER_PG_PORT" && echo running || echo stopped)
  [ "$state" = running ] || all=3
  printf '%-10s %-8s %-7s %s\n' postgres "${pid:--}" "$LADDER_CLUSTER_PG_PORT" "$state"
  for name in "${SERVICES[@]}" ui; do
    if [ "$name" = ui ]; then port="$LADDER_CLUSTER_UI_PORT"; else port="$(service_port "$name")"; fi
    pid="$(proc_pid "$name")"
    if [ -z "$pid" ]; then
      state=stopped
    elif port_open "$port"; then
      state=running
    else
      state="starting (not listening yet)"
    fi
    [ "$state" = running ] || all=3
    printf '%-10s %-8s %-7s %s\n' "$name" "${pid:--}" "$port" "$state"
  done
  return "$all"
}

# One cluster command at a time: two `up`s racing would start every process twice.
mkdir -p "$CLUSTER_DIR"
exec 9>"$CLUSTER_DIR/.lock"
if ! flock -w 600 9; then
  echo "cluster: another scripts/cluster.sh is still running (lock $CLUSTER_DIR/.lock)" >&2
  exit 1
fi

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  status) cmd_status ;;
  *) usage ;;
esac
