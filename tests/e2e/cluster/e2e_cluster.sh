#!/usr/bin/env bash
# The three-node cluster the cluster-mode end-to-end tests deploy to: three constellation-fabric
# daemons on the loopback addresses 127.0.0.11-13 of this machine, the first of them the master,
# which starts the bridge. CTest runs "start" as the fixture e2e.cluster.start before the tests
# e2e.cluster.<scenario> and "stop" as e2e.cluster.stop after them; both can be run by hand:
#
#   e2e_cluster.sh start RUN_FOLDER FABRIC_PROGRAM DEPLOY_PROGRAM
#   e2e_cluster.sh stop RUN_FOLDER
#
# RUN_FOLDER (created; emptied by start) holds what the tests and the next run need:
#   owner           "PID START_TIME" of the ctest that started the cluster, if a ctest did
#   secret          the cluster's secret (mode 600)
#   nodes.toml      the cluster's description, read by the master
#   bridge_address  where constellation-deploy reaches the bridge, e.g. 127.0.0.11:24001
#   pids            "PID ROLE" per line: every daemon this run started, and the bridge
#   logs/           each daemon's output (the master's includes the bridge's); start keeps the
#                   previous run's in logs.previous/
#   tmp/, node*/    the daemons' TMPDIR and binary caches; removed by stop
#
# start first stops whatever a previous run recorded in RUN_FOLDER/pids (a crashed run, a test
# interrupted before its cleanup), then tries ports until all three daemons and the bridge could
# listen, and returns once `constellation-deploy status` shows the three nodes up. stop ends the
# daemons (SIGTERM: each ends its processes first; SIGKILL after a grace period) and fails if any
# process of the cluster is left: a daemon, the bridge, or a process running a binary of the
# cluster's caches.
#
# Two ctest runs at once in one build folder share RUN_FOLDER. The second start must not stop the
# cluster the first one is still testing on: it waits for that ctest to stop it (its owner file
# names it), or to end, for up to other_run_patience.

set -euo pipefail

readonly addresses=(127.0.0.11 127.0.0.12 127.0.0.13)
# Capacities per node, in the order of nodes.toml. The master comes first and is the smallest:
# the master places a process on the first node with room, so a small first node makes the
# scenarios' processes spill over to the other two, and spawns and channels cross nodes. The
# largest node is the only one where resources_seen's 1 GiB, 1.5-core child fits.
readonly memories=("512 MiB" "1 GiB" "2 GiB")
readonly cpus=(0.5 1 2)
readonly ready_within=20  # seconds for all nodes to be up, per attempt
readonly attempts=5       # port choices to try before giving up
readonly stop_grace=10    # seconds from SIGTERM to SIGKILL: the fabric itself waits 5 s for its processes
readonly other_run_patience=120  # seconds to wait for another ctest's cluster tests to end

say() { echo "e2e_cluster: $*"; }
fail() {
  say "$*" >&2
  exit 1
}

# Whether pid is a live process of this run folder's cluster: its command line names the folder's
# secret, which every daemon and the bridge are given. Guards against a pid reused since.
is_ours() {
  local pid=$1 command
  command=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $command == *"$run/secret"* ]]
}

# Processes alive now that belong to the cluster: any process whose command line names the
# folder's secret, as every daemon's and the bridge's does, and any process whose program is a
# binary of the cluster's caches (a deployed process, or its monitor). One "PID COMMAND" line each.
cluster_processes() {
  local candidates pid command
  # grep's own command line names the secret too: it has exited by the time its output is read
  # here, and a process that has gone is skipped below.
  candidates=$(
    grep -laF -- "$run/secret" /proc/[0-9]*/cmdline 2>/dev/null || true
    find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$run/*" 2>/dev/null || true
  )
  while read -r pid; do
    command=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    [[ -n $command ]] && echo "$pid $command"  # empty: a zombie, which has ended
  done < <(sed -nE 's#^/proc/([0-9]+)/.*#\1#p' <<<"$candidates" | sort -un)
  return 0
}

# The start time of process pid, in clock ticks after boot (field 22 of /proc/PID/stat), which
# tells it from a later process given the same pid; empty when it has ended.
start_time() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  # Field 2, the command's name in parentheses, may hold spaces: split after it.
  read -ra fields <<<"${stat##*) }"
  echo "${fields[19]}"
}

# The ctest that started the cluster recorded in the run folder, while it still runs (and is not
# our own): another ctest of this build folder is testing on that cluster now.
other_owner() {
  local pid start
  read -r pid start 2>/dev/null <"$run/owner" || return 1
  [[ $pid != "$PPID" && -n $start && $(start_time "$pid") == "$start" ]] && echo "$pid"
}

# Ends every process of the cluster: SIGTERM to the daemons and the bridge, then SIGKILL to all
# that remain after the grace period. Returns 1 if any had to be killed, which stop reports.
stop_cluster() {
  local pid role line deadline killed=0
  if [[ -f $run/pids ]]; then
    while read -r pid role; do
      is_ours "$pid" && kill -TERM "$pid" 2>/dev/null && say "SIGTERM to $role ($pid)"
    done <"$run/pids"
  fi
  deadline=$((SECONDS + stop_grace))
  while [[ -n $(cluster_processes) ]] && ((SECONDS < deadline)); do sleep 0.1; done
  local left
  left=$(cluster_processes)
  if [[ -n $left ]]; then
    killed=1
    say "still running $stop_grace s after SIGTERM, killed with SIGKILL:" >&2
    while read -r line; do echo "  $line"; done <<<"$left" >&2
    echo "$left" | while read -r pid _; do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.5
    left=$(cluster_processes)
    [[ -n $left ]] && { say "survived SIGKILL:" >&2; echo "$left" >&2; }
  fi
  rm -f "$run/pids" "$run/bridge_address"
  return $killed
}

# The nodes.toml of a cluster whose daemons listen on port of each address, with the bridge on
# bridge_port of the master's address.
write_nodes_toml() {
  local port=$1 bridge_port=$2 i
  {
    echo "# Written by tests/e2e/cluster/e2e_cluster.sh for the cluster-mode e2e tests."
    for i in 0 1 2; do
      echo "[[nodes]]"
      echo "fabric_addr = \"${addresses[i]}:$port\""
      ((i == 0)) && echo "bridge_bind = \"${addresses[0]}:$bridge_port\""
      echo "mem = \"${memories[i]}\""
      echo "cpu = ${cpus[i]}"
    done
  } >"$run/nodes.toml"
}

# Starts daemon i (0 is the master) listening on port, detached from the caller: its own session,
# stdin from /dev/null, its output to its log, so that CTest, which waits for a test's output
# pipes to close, does not wait for the daemons. Appends its pid to the pid file at once, so that
# a start that fails midway still leaves it recorded for the next run to stop.
start_daemon() {
  local i=$1 port=$2
  local log=$run/logs/node$((i + 1)).log
  local args=(--secret-file "$run/secret" --cache-dir "$run/node$((i + 1))" "${addresses[i]}:$port")
  ((i == 0)) && args+=("$run/nodes.toml")
  echo "== $(date -u +%FT%TZ) port $port" >>"$log"
  # A clean environment: no CONSTELLATION_ setting of the developer's shell reaches the daemons,
  # and their caches (the bridge's too, which it keeps under TMPDIR) stay in the run folder.
  setsid env -i PATH="$PATH" HOME="${HOME:-/root}" TMPDIR="$run/tmp" \
    "$fabric" "${args[@]}" </dev/null >>"$log" 2>&1 &
  echo "$! node$((i + 1))" >>"$run/pids"
}

# Whether `constellation-deploy status` shows all three nodes up.
all_nodes_up() {
  local status
  status=$(timeout 3 "$deploy" status --format json --secret-file "$run/secret" \
    "$(cat "$run/bridge_address")" 2>/dev/null) || return 1
  [[ $(grep -o '"up":true' <<<"$status" | wc -l) -eq 3 ]]
}

# Whether the master's log, since this attempt began (the "==" line start_daemon writes), says
# pattern.
master_says() {
  awk -v pattern="$1" '/^== / { seen = 0 } index($0, pattern) { seen = 1 } END { exit !seen }' \
    "$run/logs/node1.log"
}

# Whether a daemon this attempt started has exited, or the master's bridge has: most likely a port
# already in use. The log says. A bridge that could not even be started fails the start at once.
attempt_failed() {
  local pid role
  if master_says "cannot start the bridge"; then
    stop_cluster || true
    fail "the master cannot start the bridge (see $run/logs/node1.log): build constellation-bridge"
  fi
  while read -r pid role; do
    [[ -d /proc/$pid ]] || return 0
  done <"$run/pids"
  master_says "the bridge exited"
}

start_cluster() {
  local owner waited=0
  while owner=$(other_owner); do
    ((waited == 0)) && say "ctest $owner is testing on the cluster of this build folder; waiting for it"
    ((waited < other_run_patience)) || fail "ctest $owner still tests on the cluster of $run after $waited s"
    sleep 1
    waited=$((waited + 1))
  done
  stop_cluster || say "stopped the processes a previous run left (above)"
  if [[ -d $run/logs ]]; then
    rm -rf "$run/logs.previous"
    mv "$run/logs" "$run/logs.previous"
  fi
  find "$run" -mindepth 1 -maxdepth 1 ! -name logs.previous -exec rm -rf {} + 2>/dev/null || true
  mkdir -p "$run/logs" "$run/tmp"
  # Run by ctest, the cluster belongs to that ctest run until its stop: see other_owner.
  if [[ $(cat "/proc/$PPID/comm" 2>/dev/null) == ctest ]]; then
    echo "$PPID $(start_time "$PPID")" >"$run/owner"
  fi
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$run/secret")

  local attempt port bridge_port deadline pid role
  for ((attempt = 1; attempt <= attempts; ++attempt)); do
    # Ports below Linux's ephemeral range (32768 up), spread by this script's pid so that builds
    # on one machine seldom collide; a collision costs an attempt.
    port=$((20000 + ($$ * 7 + attempt * 1009) % 12000))
    bridge_port=$((port + 1))
    write_nodes_toml "$port" "$bridge_port"
    echo "${addresses[0]}:$bridge_port" >"$run/bridge_address"
    : >"$run/pids"
    start_daemon 1 "$port"
    start_daemon 2 "$port"
    start_daemon 0 "$port"
    deadline=$((SECONDS + ready_within))
    while ((SECONDS < deadline)); do
      attempt_failed && break
      if all_nodes_up; then
        # The bridge is the master's child; record it, so that stop can check it ended.
        pid=$(head -n 3 "$run/pids" | awk '$2 == "node1" {print $1}')
        { pgrep -P "$pid" -f constellation-bridge || true; } | sed 's/$/ bridge/' >>"$run/pids"
        say "up: bridge at $(cat "$run/bridge_address"), nodes ${addresses[*]} on port $port"
        sed 's/^/  /' "$run/pids"
        return 0
      fi
      sleep 0.1
    done
    say "attempt $attempt (port $port) failed; the logs say:" >&2
    tail -n 3 "$run"/logs/*.log | sed 's/^/  /' >&2
    stop_cluster || true
  done
  fail "no cluster after $attempts attempts; see $run/logs/"
}

usage() {
  echo "usage: $0 start RUN_FOLDER FABRIC_PROGRAM DEPLOY_PROGRAM" >&2
  echo "       $0 stop RUN_FOLDER" >&2
  exit 2
}

(($# >= 2)) || usage
command=$1
run=$(realpath -m "$2")
case $command in
  start)
    (($# == 4)) || usage
    fabric=$(realpath "$3")
    deploy=$(realpath "$4")
    [[ -x $fabric && -x $deploy ]] || fail "$fabric or $deploy is not an executable: build them first"
    start_cluster
    ;;
  stop)
    (($# == 2)) || usage
    # CTest runs the cleanup even when the start failed, say after waiting in vain for another
    # ctest: the cluster of that other run is not ours to stop.
    if owner=$(other_owner); then
      say "the cluster belongs to ctest $owner, which still runs: left alone"
      exit 0
    fi
    clean=yes
    stop_cluster || clean=no
    # The binary caches hold a copy of every program deployed; the logs stay for a post-mortem.
    rm -rf "$run/tmp" "$run"/node[0-9]
    # Only now may another ctest's start, which waits while this owner runs, take the folder.
    rm -f "$run/owner"
    [[ $clean == yes ]] || fail "some processes of the cluster did not end on SIGTERM (listed above); see $run/logs/"
    say "stopped; no process of the cluster is left"
    ;;
  *) usage ;;
esac
