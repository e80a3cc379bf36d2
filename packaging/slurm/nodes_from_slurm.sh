#!/bin/bash
# Writes a constellation cluster file for the current Slurm allocation to stdout: one [[nodes]]
# entry per allocated node, in SLURM_JOB_NODELIST's order, the first being the master with the
# bridge one port below the fabric's. Each entry's cpu is the CPUs Slurm gave the job there
# (SLURM_JOB_CPUS_PER_NODE, "4(x2),8", else SLURM_CPUS_ON_NODE); mem is SLURM_MEM_PER_NODE (MiB)
# where the job asked for memory, else the node's MemTotal less 10%.
#   nodes_from_slurm.sh [FABRIC_PORT]
set -euo pipefail
port=${1:-7001}
: "${SLURM_JOB_NODELIST:?not inside a Slurm allocation}"

mapfile -t hosts < <(scontrol show hostnames "$SLURM_JOB_NODELIST")

# "4(x2),8" -> 4 4 8
cpus=()
IFS=, read -ra groups <<< "${SLURM_JOB_CPUS_PER_NODE:-${SLURM_CPUS_ON_NODE:-1}}"
for group in "${groups[@]}"; do
  if [[ "$group" =~ ^([0-9]+)\(x([0-9]+)\)$ ]]; then
    for ((i = 0; i < BASH_REMATCH[2]; i++)); do cpus+=("${BASH_REMATCH[1]}"); done
  else
    cpus+=("$group")
  fi
done

if [[ -n "${SLURM_MEM_PER_NODE:-}" ]]; then
  mem="${SLURM_MEM_PER_NODE} MiB"
else
  mem="$(awk '/^MemTotal:/ {printf "%d MiB", $2 * 0.9 / 1024}' /proc/meminfo)"
fi

for i in "${!hosts[@]}"; do
  host=${hosts[$i]}
  # The address other nodes reach this one at, as Slurm reaches it (its NodeAddr, else its name);
  # the cluster file takes IPv4 addresses only.
  addr=$(scontrol show node -o "$host" | tr ' ' '\n' | sed -n 's/^NodeAddr=//p')
  ip=$(getent ahostsv4 "${addr:-$host}" | awk 'NR == 1 {print $1}')
  [[ -n "$ip" ]] || { echo "nodes_from_slurm.sh: no IPv4 address for node $host" >&2; exit 1; }
  [[ "$ip" == 127.* && ${#hosts[@]} -gt 1 ]] && { echo "nodes_from_slurm.sh: node $host resolves to $ip, a loopback address" >&2; exit 1; }
  echo "# node $host $ip:$port"
  echo "[[nodes]]"
  echo "fabric_addr = \"$ip:$port\""
  [[ $i -eq 0 ]] && echo "bridge_bind = \"$ip:$((port - 1))\""
  echo "mem = \"$mem\""
  echo "cpu = ${cpus[$i]:-${cpus[-1]}}"
  echo
done
