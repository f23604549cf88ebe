#!/usr/bin/env bash
# Stop or start only the controller (slurmctld) of a cluster made by start.sh, to see what ablate does while the
# controller is down (tests/launch/test_slurm.py). Running jobs go on under slurmd; a controller started again
# recovers them from the cluster's state dir.
#
#   slurm/cluster/controller.sh DIR stop    # SIGTERM, wait until it is gone (SIGKILL after 20 s)
#   slurm/cluster/controller.sh DIR start   # start it again, wait until `scontrol ping` says UP (60 s)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DIR stop|start" >&2; exit 2; }
DIR="$(cd "$1" && pwd -P)"
export SLURM_CONF="$DIR/slurm.conf"
pidfile="$DIR/run/slurmctld.pid"
log() { echo "controller.sh: $*" >&2; }

alive() { [ -r "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "$2" in
stop)
    alive || { log "slurmctld is not running"; exit 0; }
    pid="$(cat "$pidfile")"
    kill -TERM "$pid"
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || { log "slurmctld stopped"; exit 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "slurmctld killed (it did not stop in 20 s)"
    ;;
start)
    alive && { log "slurmctld is already running"; exit 0; }
    setsid slurmctld </dev/null >>"$DIR/log/daemons.out" 2>&1
    for _ in $(seq 120); do
        if timeout 5 scontrol ping 2>/dev/null | grep -q " is UP"; then log "slurmctld up"; exit 0; fi
        sleep 0.5
    done
    log "slurmctld did not answer in 60 s; see $DIR/log/slurmctld.log"
    tail -n 20 "$DIR/log/slurmctld.log" >&2 || true
    exit 1
    ;;
*)
    echo "usage: $0 DIR stop|start" >&2
    exit 2
    ;;
esac
