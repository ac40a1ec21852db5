#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for the tests (tests/test_slurm.py) and CI:
# Debian's Slurm (22.05 on bookworm) as one slurmctld and one slurmd on 127.0.0.1, munge for
# authentication, no cgroups (proctrack/linuxproc), no accounting database (Snakemake's SLURM
# plugin then reads job states with `--slurm-status-command squeue`), and fake GPUs: a generic
# resource gpu whose device files are links to /dev/null, so `--gpus=1` is accepted and each job
# gets its own CUDA_VISIBLE_DEVICES, though no CUDA device exists (training falls back to CPU).
#
#   tests/slurm/slurm_local.sh start    install the packages if missing (apt-get, as root),
#                                       write /etc/slurm, start the daemons, wait for the node
#   tests/slurm/slurm_local.sh stop     cancel the cluster's jobs, stop the daemons this script
#                                       started (by the pid files it wrote, never by name)
#   tests/slurm/slurm_local.sh status
#
# Environment: SLURM_LOCAL_DIR (state, logs, pid files; /tmp/xstilts-slurm), SLURM_CPUS and
# SLURM_MEMORY_MB (what the node advertises: 32 CPUs and 512 GB by default, so the requests of
# profiles/slurm, sized for XLM-R Large, are accepted as they are; nothing enforces them here,
# as there are no cgroups), SLURM_FAKE_GPUS (2), SLURM_MIN_JOB_AGE (seconds a finished job
# stays visible to squeue; 300, at least 3 x the plugin's first status check delay).
# Findings behind each setting: ../shared/reference/SLURM.md.
set -euo pipefail

DIR=${SLURM_LOCAL_DIR:-/tmp/xstilts-slurm}
NODE=$(hostname -s)
CPUS=${SLURM_CPUS:-32}
MEMORY=${SLURM_MEMORY_MB:-512000}
GPUS=${SLURM_FAKE_GPUS:-2}
MIN_JOB_AGE=${SLURM_MIN_JOB_AGE:-300}
ETC=/etc/slurm

say() { echo "[slurm_local] $*" >&2; }

alive() { # alive PIDFILE COMM: the process the pid file names runs and is that daemon
  local pid state
  [[ -s $1 ]] || return 1
  pid=$(tr -dc 0-9 <"$1")
  [[ -n $pid ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2"* ]]
}

until_ok() { # until_ok SECONDS WHAT CMD...: poll CMD until it succeeds
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      say "gave up waiting for $what (logs: $DIR/log)"
      return 1
    fi
    sleep 0.3
  done
}

stop_daemon() { # stop_daemon PIDFILE COMM
  local pid
  if ! alive "$1" "$2"; then
    rm -f "$1"
    return 0
  fi
  pid=$(tr -dc 0-9 <"$1")
  say "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    [[ -d /proc/$pid ]] || break
    sleep 0.2
  done
  [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null
  rm -f "$1"
}

install() {
  local missing=()
  for p in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure() { # writes the configs; CHANGED=1 when they differ from the running ones
  mkdir -p "$DIR"/{state,spool,log,run,gpu} "$ETC"
  local gres=""
  if ((GPUS > 0)); then
    gres="Gres=gpu:fake:$GPUS"
    # a GPU's File= must be a character device; the number in the name is its CUDA index
    for ((i = 0; i < GPUS; i++)); do ln -sfn /dev/null "$DIR/gpu/nvidia$i"; done
  fi
  cat >"$ETC/slurm.conf.next" <<EOF
# written by xstilts tests/slurm/slurm_local.sh: a one-node test cluster
ClusterName=xstilts
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
ReturnToService=2
MinJobAge=$MIN_JOB_AGE
KillWait=10
InactiveLimit=0
SlurmdParameters=config_overrides
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=$MEMORY $gres State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  {
    echo "AutoDetect=off"
    ((GPUS > 0)) && echo "NodeName=$NODE Name=gpu Type=fake File=$DIR/gpu/nvidia[0-$((GPUS - 1))]"
    true
  } >"$ETC/gres.conf.next"
  CHANGED=0
  for f in slurm.conf gres.conf; do
    cmp -s "$ETC/$f.next" "$ETC/$f" || CHANGED=1
    mv "$ETC/$f.next" "$ETC/$f"
  done
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi # someone else's: keep it
  [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 600 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
  until_ok 10 munged bash -c 'munge -n | unmunge'
  cp /run/munge/munged.pid "$DIR/run/munged.pid" # ours: stop stops it
}

node_ready() {
  local state
  state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1)
  case $state in
    idle | mixed | allocated | completing) return 0 ;;
    *drain* | *down* | *inval*) scontrol update nodename="$NODE" state=resume 2>/dev/null ;;
  esac
  return 1
}

start() {
  install
  configure
  if ((CHANGED)); then
    stop_daemon "$DIR/run/slurmd.pid" slurmd
    stop_daemon "$DIR/run/slurmctld.pid" slurmctld
  fi
  start_munge
  alive "$DIR/run/slurmctld.pid" slurmctld || slurmctld
  until_ok 30 slurmctld bash -c 'scontrol ping | grep -q UP'
  alive "$DIR/run/slurmd.pid" slurmd || slurmd -N "$NODE"
  until_ok 60 "node $NODE" node_ready
  sinfo -o '%P %a %T %c %m %G %N'
}

stop() {
  if alive "$DIR/run/slurmctld.pid" slurmctld; then
    local jobs
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    if [[ -n $jobs ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      sleep 2
    fi
  fi
  stop_daemon "$DIR/run/slurmd.pid" slurmd
  stop_daemon "$DIR/run/slurmctld.pid" slurmctld
  stop_daemon "$DIR/run/munged.pid" munged
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status)
    for d in munged slurmctld slurmd; do
      if alive "$DIR/run/$d.pid" "$d"; then echo "$d: pid $(cat "$DIR/run/$d.pid")"; else echo "$d: not started here"; fi
    done
    sinfo 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
