#!/usr/bin/env bash
# Round trips between processes on two hosts: a channel against raw TCP over the same network, in
# the same run. Two network namespaces of this script's own stand for the hosts, joined by one
# veth pair (10.201.0.1 and 10.201.0.2); a constellation-fabric daemon runs in each, the first the
# master with the bridge. bench/channel_pingpong is deployed there with --across: its top process
# lands on the first node, and its two peers (one for the channel, one for the raw socket) ask for
# more than the first node has, so they run on the second. Target: channel p50 within 1.25x of
# raw TCP.
#
#   bench/cross_host_rtt/run.sh [ROUNDS]          needs root, iproute2 and nsenter
#
# BUILD_DIR (default build) is a configured build directory; the daemons, the deploy client and
# channel_pingpong are built first. Nothing is made outside the two namespaces, which are deleted
# at the end with every process in them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
rounds=${1:-5000}

say() { echo "cross_host_rtt: $*"; }
[[ $(id -u) == 0 ]] || { say "skipped: network namespaces need root"; exit 0; }
command -v ip >/dev/null && command -v nsenter >/dev/null || { say "skipped: needs ip (iproute2) and nsenter"; exit 0; }

cmake --build "$build" --target constellation-fabric constellation-bridge constellation-deploy channel_pingpong >/dev/null
fabric=$build/fabric/constellation-fabric
deploy=$build/deploy_cli/constellation-deploy
program=$build/bench/channel_pingpong/channel_pingpong
for f in "$fabric" "$deploy" "$program"; do [[ -x $f ]] || { say "not built: $f"; exit 1; }; done

readonly names=("cstrtt$$-a" "cstrtt$$-b") ips=(10.201.0.1 10.201.0.2)
work=$(mktemp -d /tmp/cross-host-rtt.XXXXXX)
daemons=()
cleanup() {
  for pid in "${daemons[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${daemons[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for ns in "${names[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
in_ns() { local k=$1; shift; nsenter --net="/run/netns/${names[$k]}" -- "$@"; }

# The two hosts and the wire between them.
for k in 0 1; do
  ip netns add "${names[$k]}"
  ip -n "${names[$k]}" link set lo up
done
ip -n "${names[0]}" link add eth0 type veth peer name eth0 netns "${names[1]}"
for k in 0 1; do
  ip -n "${names[$k]}" addr add "${ips[$k]}/24" dev eth0
  ip -n "${names[$k]}" link set eth0 up
done

# The cluster: off loopback, so with a secret of its own. The first node has room for the top
# process only; the second for the peers.
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret")
cat >"$work/nodes.toml" <<END
[[nodes]]
fabric_addr = "${ips[0]}:7001"
bridge_bind = "${ips[0]}:7000"
mem = "192 MiB"
cpu = 0.25
[[nodes]]
fabric_addr = "${ips[1]}:7001"
mem = "2 GiB"
cpu = 2
END
for k in 1 0; do
  mkdir -p "$work/node$k"
  args=(--secret-file "$work/secret" --cache-dir "$work/node$k" "${ips[$k]}:7001")
  [[ $k == 0 ]] && args+=("$work/nodes.toml")
  TMPDIR=$work in_ns "$k" "$fabric" "${args[@]}" >"$work/node$k.log" 2>&1 &
  daemons+=($!)
done
up=0
for _ in $(seq 100); do
  if in_ns 0 "$deploy" status --format json --secret-file "$work/secret" "${ips[0]}:7000" 2>/dev/null |
    grep -o '"up":true' | wc -l | grep -qx 2; then
    up=1
    break
  fi
  sleep 0.2
done
if [[ $up != 1 ]]; then
  say "the two-node cluster did not come up; its logs:"
  tail -n 20 "$work"/node*.log
  exit 1
fi

in_ns 0 env ${RTT_ENV:-} "$deploy" --format human --secret-file "$work/secret" "${ips[0]}:7000" "$program" "$rounds" --across "${ips[0]}"
