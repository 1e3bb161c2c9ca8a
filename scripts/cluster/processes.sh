# Background processes of the local cluster: each runs detached (its own session, so it outlives the
# shell that started it and a Ctrl-C there), logs to $CLUSTER_DIR/logs/NAME.log, and is known by the
# pid in $CLUSTER_DIR/run/NAME.pid. A pid counts as ours only while its command line still names our
# binary folder and our cluster folder, so a stale pid file never makes us signal somebody else's process.
# shellcheck shell=bash

RUN_DIR="$CLUSTER_DIR/run"
LOG_DIR="$CLUSTER_DIR/logs"

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# require_free_port PORT VARIABLE WHAT: fails naming the variable that moves the port when it is taken.
require_free_port() {
  if port_open "$1"; then
    echo "cluster: port $1 for $3 is already in use by another program; stop it or choose another port with $2=..." >&2
    return 1
  fi
}

# proc_pid NAME: the pid of our running process NAME, or nothing.
proc_pid() {
  local file="$RUN_DIR/$1.pid" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  if [[ "$cmdline" == *"${BIN:?}/"* && "$cmdline" == *"--root $CLUSTER_DIR "* ]]; then
    echo "$pid"
  fi
}

# proc_start NAME PORT PORT_VARIABLE CMD...: starts CMD in the background unless NAME already runs.
proc_start() {
  local name="$1" port="$2" variable="$3"
  shift 3
  local pid
  pid="$(proc_pid "$name")"
  if [ -n "$pid" ]; then
    echo "cluster: $name already running (pid $pid)" >&2
    return 0
  fi
  require_free_port "$port" "$variable" "$name"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  # 9>&-: the lock cluster.sh holds must not live on in the processes it starts.
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null 9>&- &
  local child=$!
  echo "$child" >"$RUN_DIR/$name.pid"
  # Until the forked child has exec'd the program its command line is still this script's, so
  # proc_pid (which knows our processes by their command line) would take it for gone, and a
  # proc_wait_port right after would report "exited during start-up" (seen about once in 100 starts
  # on a loaded machine). Wait for the exec; a child that dies first is left to proc_wait_port.
  local tries=0
  while [ -z "$(proc_pid "$name")" ] && proc_alive "$child" && [ "$tries" -lt 200 ]; do
    sleep 0.02
    tries=$((tries + 1))
  done
  echo "cluster: $name starting (pid $child, port $port, log $LOG_DIR/$name.log)" >&2
}

# proc_alive PID: true while PID runs (a zombie, exited but not yet reaped, does not count).
proc_alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ "$state" != Z* ]]
}

# proc_wait_port NAME PORT SECONDS: waits until NAME listens on PORT; fails with its log's tail if it exits.
proc_wait_port() {
  local name="$1" port="$2" deadline=$((SECONDS + $3))
  until port_open "$port"; do
    if [ -z "$(proc_pid "$name")" ]; then
      echo "cluster: $name exited during start-up; the end of $LOG_DIR/$name.log:" >&2
      # The server logs JSON lines with long stack traces: the start of the last few says what failed.
      tail -n 4 "$LOG_DIR/$name.log" | cut -c 1-400 >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "cluster: $name did not listen on port $port within $3 s; see $LOG_DIR/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# proc_stop NAME: SIGTERM, then SIGKILL after 20 s; removes the pid file.
proc_stop() {
  local name="$1" pid waited=0
  pid="$(proc_pid "$name")"
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited" -ge 100 ]; then
        echo "cluster: $name (pid $pid) did not stop within 20 s of SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.2
      waited=$((waited + 1))
    done
    echo "cluster: $name stopped" >&2
  fi
  rm -f "$RUN_DIR/$name.pid"
}
