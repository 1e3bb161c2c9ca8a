# PostgreSQL for the local cluster: Debian's server binaries, but Ladder's own data folder
# ($CLUSTER_DIR/pg) on its own port, bound to 127.0.0.1. We do not use the system cluster (`main`):
# starting it needs root and its port (5432) and roles are the machine's, while a private data folder
# starts and stops with the cluster, is wiped with it, and leaves whatever else runs on the machine alone.
# PostgreSQL refuses to run as root, so when this runs as root the folder belongs to the `postgres`
# user that Debian's package creates, and initdb/pg_ctl run as that user.
# shellcheck shell=bash

PG_DIR="$CLUSTER_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_PASSWORD_FILE="$CLUSTER_DIR/secrets/postgres-password"

# pg_installed_bin_dir: the newest installed PostgreSQL's bin folder (Debian's layout), or nothing.
pg_installed_bin_dir() {
  # shellcheck disable=SC2012 # the names are Debian's version numbers
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true
}

# pg_bin_dir: the newest installed PostgreSQL server's bin folder, installing Debian's package when
# there is none and we are root.
pg_bin_dir() {
  local dir
  dir="$(pg_installed_bin_dir)"
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "cluster: PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb); install Debian's package: sudo apt-get install -y postgresql" >&2
      return 1
    fi
    echo "cluster: installing PostgreSQL from Debian's packages…" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    dir="$(pg_installed_bin_dir)"
  fi
  echo "$dir"
}

# as_pg_owner CMD...: runs CMD as the data folder's owner (postgres when we are root, else ourselves),
# without cluster.sh's lock (fd 9), which the server pg_ctl starts would otherwise keep held.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@" 9>&-
  else
    "$@" 9>&-
  fi
}

pg_password() {
  if [ ! -s "$PG_PASSWORD_FILE" ]; then
    mkdir -p "$(dirname "$PG_PASSWORD_FILE")"
    chmod 700 "$(dirname "$PG_PASSWORD_FILE")"
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$PG_PASSWORD_FILE")
  fi
  cat "$PG_PASSWORD_FILE"
}

# pg_init: creates the data folder once, with `temporal` as the role that owns it (password auth over TCP).
pg_init() {
  local bin="$1"
  if [ -f "$PG_DATA/PG_VERSION" ]; then return 0; fi
  echo "cluster: creating the PostgreSQL data folder $PG_DATA" >&2
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "cluster: running as root, PostgreSQL needs the postgres user (created by Debian's postgresql package)" >&2
      return 1
    fi
    chown postgres: "$PG_DIR"
    if ! runuser -u postgres -- test -w "$PG_DIR"; then
      echo "cluster: the postgres user cannot reach $PG_DIR (a folder above it is not searchable by others); move the project or set LADDER_CLUSTER_DIR" >&2
      return 1
    fi
  fi
  local pwfile="$PG_DIR/.initdb-password"
  (umask 077 && pg_password >"$pwfile")
  [ "$(id -u)" -eq 0 ] && chown postgres: "$pwfile"
  # Removed whether initdb succeeds or not: the password stays only in $PG_PASSWORD_FILE.
  if ! as_pg_owner "$bin/initdb" -D "$PG_DATA" -U temporal --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"
    echo "cluster: initdb failed; see $PG_DIR/initdb.log:" >&2
    tail -n 5 "$PG_DIR/initdb.log" >&2
    return 1
  fi
  rm -f "$pwfile"
}

pg_running() {
  local bin="$1"
  [ -f "$PG_DATA/postmaster.pid" ] && as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_pid() {
  [ -f "$PG_DATA/postmaster.pid" ] && head -n 1 "$PG_DATA/postmaster.pid"
}

# pg_start: starts the server on 127.0.0.1:$LADDER_CLUSTER_PG_PORT, unix socket in the data's parent folder.
pg_start() {
  local bin="$1"
  if pg_running "$bin"; then
    echo "cluster: postgres already running (pid $(pg_pid))" >&2
    return 0
  fi
  require_free_port "$LADDER_CLUSTER_PG_PORT" LADDER_CLUSTER_PG_PORT postgres
  # max_connections: four services with up to 30 connections each, the schema tool and psql.
  if ! as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $LADDER_CLUSTER_PG_PORT -k $PG_DIR -c max_connections=200" start >/dev/null; then
    echo "cluster: PostgreSQL did not start; the end of $PG_LOG:" >&2
    tail -n 10 "$PG_LOG" >&2
    return 1
  fi
  echo "cluster: postgres started on 127.0.0.1:$LADDER_CLUSTER_PG_PORT (pid $(pg_pid))" >&2
}

pg_stop() {
  local bin="$1"
  if ! pg_running "$bin"; then return 0; fi
  as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  echo "cluster: postgres stopped" >&2
}

# pg_sql DATABASE SQL: runs one statement over TCP as `temporal`, printing unaligned rows.
pg_sql() {
  local bin="$1" db="$2" sql="$3"
  PGPASSWORD="$(pg_password)" "$bin/psql" -X -q -t -A -h 127.0.0.1 -p "$LADDER_CLUSTER_PG_PORT" \
    -U temporal -d "$db" -v ON_ERROR_STOP=1 -c "$sql"
}
