#!/bin/bash
# The Slurm recipe, run for real: a one-machine Slurm (munged, slurmctld and slurmd on loopback,
# in a scratch directory, as root) takes packaging/slurm/constellation.sbatch, which starts a
# fabric in the allocation with srun, makes the cluster file from it, and deploys a program that
# spawns processes. Skipped (exit 77, with the reason) where Slurm is not installed or not root.
#   slurm_allocation.sh SOURCE_DIR FABRIC DEPLOY PROGRAM SCRATCH
set -euo pipefail
source_dir=$1 fabric=$2 deploy=$3 program=$4 d=$5

skip() { echo "SKIPPED: $*"; exit 77; }
# In CI (root, a throwaway machine) the test installs Slurm itself; elsewhere it leaves the
# machine's packages alone.
if ! command -v slurmctld > /dev/null && [[ "${CI:-}" == true && $(id -u) -eq 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge > "$d.install.log" 2>&1 ||
    skip "installing slurm-wlm and munge failed (see $d.install.log)"
fi
for tool in munged slurmctld slurmd sbatch scontrol sinfo; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (apt-get install slurm-wlm munge)"
done
[[ $(id -u) -eq 0 ]] || skip "a private Slurm needs root here"

rm -rf "$d" && mkdir -p "$d"/{state,spool,bin,work}
pids=()
cleanup() {
  # The job's steps first, while slurmd can still end them; then the daemons; then anything left
  # that runs from the scratch directory (a step's processes outlive a killed slurmd).
  scancel --quiet 2> /dev/null || true
  for _ in $(seq 50); do [[ -z "$(squeue -h 2> /dev/null)" ]] && break; sleep 0.2; done
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  pkill -KILL -f "$d/" 2> /dev/null || true
}
trap cleanup EXIT
# A port free now, below the kernel's ephemeral range (32768 and up), so that no outgoing
# connection of another test takes it meanwhile; the port below it is free too, for the recipe
# puts the bridge there.
free_port() {
  python3 - <<'PY'
import random, socket
while True:
    port = random.randrange(20001, 32000)
    try:
        for p in (port, port - 1):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            s.close()
    except OSError:
        continue
    print(port)
    break
PY
}

# munge, Slurm's authentication, with a key and socket of this test's own.
head -c 1024 /dev/urandom > "$d/munge.key" && chmod 400 "$d/munge.key"
munged --force --foreground --socket="$d/munge.socket" --key-file="$d/munge.key" \
       --pid-file="$d/munged.pid" --seed-file="$d/munge.seed" > "$d/munged.log" 2>&1 &
pids+=($!)

ctld_port=$(free_port) slurmd_port=$(free_port)
cat > "$d/slurm.conf" <<CONF
ClusterName=constellationtest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge.socket
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=cnode1 NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) CPUs=$(nproc) State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$d/slurm.conf
for _ in $(seq 50); do [[ -S "$d/munge.socket" ]] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" > "$d/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N cnode1 -f "$SLURM_CONF" > "$d/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [[ "$(sinfo -h -o %t 2> /dev/null)" == idle ]] && break
  sleep 0.2
done
[[ "$(sinfo -h -o %t 2> /dev/null)" == idle ]] || {
  tail -20 "$d"/slurmctld.log "$d"/slurmd.log >&2
  skip "the private Slurm did not come up (its logs are above)"
}

# The programs where the recipe looks for them, as the package puts them in one directory.
ln -s "$fabric" "$d/bin/constellation-fabric"
ln -s "$deploy" "$d/bin/constellation-deploy"
CONSTELLATION_BIN=$d/bin CONSTELLATION_WORK_DIR=$d/work CONSTELLATION_SECRET_FILE=$d/secret \
CONSTELLATION_SLURM_DIR=$source_dir/packaging/slurm CONSTELLATION_FABRIC_PORT=$(free_port) \
  sbatch --wait --nodes=1 --exclusive --time=2 --output="$d/job.out" --chdir="$d" \
    "$source_dir/packaging/slurm/constellation.sbatch" "$program" 6 || {
  echo "the batch job failed; its output:" >&2
  cat "$d/job.out" >&2
  exit 1
}
cat "$d/job.out"
grep -q 'fib(6) = 8' "$d/job.out" || { echo "the deployed program's result is missing" >&2; exit 1; }
echo "slurm: the program ran across the allocation"
