# Shared helpers for the benchmarks in bench/. Source it; it defines functions only.
#
# Background processes are started with start_child, which remembers their PIDs so that
# stop_children can end exactly those (and nothing else) when a run finishes or fails.

# PIDs of the background children started with start_child, in start order.
CHILD_PIDS=()
# The PID of the child start_child started last.
LAST_CHILD_PID=

say() {
  printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2
}

die() {
  say "error: $*"
  exit 1
}

# have COMMAND: true when COMMAND is on the PATH.
have() {
  command -v "$1" >/dev/null 2>&1
}

# start_child LOG COMMAND...: runs COMMAND in the background with stdout and stderr in LOG.
# The shell is non-interactive, so the child ignores the terminal's Ctrl-C; the EXIT trap
# stops it instead, in order, with stop_children.
start_child() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  LAST_CHILD_PID=$!
  CHILD_PIDS+=("$LAST_CHILD_PID")
}

# run_child LOG COMMAND...: runs COMMAND to the end, output in LOG, and returns its status.
# It is not run in the foreground because a program that catches SIGINT itself (dnsperf stops
# its test and exits 0) would swallow a Ctrl-C, and bash would carry on with the next step.
# Waiting in `wait` lets the script's INT trap run at once; the EXIT trap then stops the child.
run_child() {
  local log=$1 pid status=0
  shift
  start_child "$log" "$@"
  pid=$LAST_CHILD_PID
  wait "$pid" || status=$?
  forget_child "$pid"
  return "$status"
}

# forget_child PID: drops a child that has ended from CHILD_PIDS.
forget_child() {
  local pid kept=()
  for pid in "${CHILD_PIDS[@]}"; do
    [[ $pid == "$1" ]] || kept+=("$pid")
  done
  CHILD_PIDS=("${kept[@]}")
}

# alive PID: true while the process exists and is not a zombie.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# stop_pid PID: SIGTERM, up to 5 s to exit cleanly (wireguard-go removes its UAPI socket then,
# the JVM runs its shutdown hook), then SIGKILL. Reaps the child so no zombie is left.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    say "process $pid ignored SIGTERM for 5 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# stop_children: stops every child from start_child, the last started first.
stop_children() {
  local i
  for ((i = ${#CHILD_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${CHILD_PIDS[i]}"
  done
  CHILD_PIDS=()
}

# wait_until SECONDS WHAT PID COMMAND...: polls COMMAND every 0.2 s until it succeeds. Fails
# with a message naming WHAT when SECONDS pass, or at once when the process PID (the one that
# should make COMMAND succeed) has exited, so a crash is reported as a crash, not a timeout.
wait_until() {
  local seconds=$1 what=$2 pid=$3 deadline
  shift 3
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! alive "$pid"; then
      say "$what: the process (pid $pid) exited before it was ready"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "$what: not ready after $seconds s"
      return 1
    fi
    sleep 0.2
  done
}

# show_log_tail LOG [LINES]: prints the end of a child's log to stderr, for failure reports.
show_log_tail() {
  local log=$1 lines=${2:-15}
  [[ -s $log ]] || return 0
  say "last $lines lines of $(basename "$log"):"
  tail -n "$lines" "$log" | sed 's/^/    /' >&2
}
