#!/usr/bin/env bash
# Submits a Slurm batch script to a throw-away single-node cluster started here (Debian's slurm-wlm, run as root,
# auth/none, state and logs under DIR), waits for every task, then stops the daemons it started.
#   slurm_single_node.sh DIR SCRIPT
# Exit codes: 0 the job ran and every task succeeded; 77 no cluster could be started here (the caller prints SKIP);
# anything else: the submission or a task failed (DIR/*.log say why).
set -uo pipefail
dir=$1 script=$2
for tool in sbatch slurmctld slurmd sinfo; do
  command -v "$tool" > /dev/null || { echo "slurm_single_node: $tool not installed (apt-get install slurm-wlm)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm_single_node: needs root (slurmd runs jobs as their user)"; exit 77; }
mkdir -p "$dir/state" "$dir/spool"
host=$(hostname -s)
port=$((20000 + $$ % 20000))
export SLURM_CONF=$dir/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=vclabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -f "$SLURM_CONF" > "$dir/slurmctld.out" 2>&1 &
ctld=$!
slurmd -D -f "$SLURM_CONF" > "$dir/slurmd.out" 2>&1 &
node=$!
stop() { kill "$ctld" "$node" 2> /dev/null; wait "$ctld" "$node" 2> /dev/null; }
trap stop EXIT
for _ in $(seq 1 40); do  # up to 20 s for the node to report idle
  sinfo -h -o %T 2> /dev/null | grep -q idle && break
  sleep 0.5
done
if ! sinfo -h -o %T 2> /dev/null | grep -q idle; then
  echo "slurm_single_node: the single-node cluster did not come up within 20 s (see $dir/*.log, $dir/*.out)"
  exit 77
fi
timeout 300 sbatch --wait "$script"
