#!/usr/bin/env bash
# Stop the throw-away Slurm cluster that start.sh started in DIR.
#
#   usage: stop.sh [--clean] DIR
#
# Cancels the cluster's jobs, then stops slurmd, slurmctld, slurmdbd,
# mariadbd and munged by their pid files (SIGTERM, SIGKILL after a grace
# period), then kills any leftover process of this cluster (found by the
# SLURM_CONF in its environment or DIR in its command line).  Succeeds when
# some or all daemons are already gone, and when DIR does not exist.
# DIR is left in place (logs stay readable) unless --clean is given.
#
#   ABLATE_SLURM_STOP_GRACE  seconds between SIGTERM and SIGKILL (default 10)
set -euo pipefail

GRACE="${ABLATE_SLURM_STOP_GRACE:-10}"
CLEAN=0
DIR=""
for arg in "$@"; do
    case "$arg" in
        --clean) CLEAN=1 ;;
        -h|--help) echo "usage: $0 [--clean] DIR"; exit 0 ;;
        -*) echo "stop.sh: unknown option $arg" >&2; echo "usage: $0 [--clean] DIR" >&2; exit 2 ;;
        *) [ -z "$DIR" ] || { echo "usage: $0 [--clean] DIR" >&2; exit 2; }
           DIR="$arg" ;;
    esac
done
[ -n "$DIR" ] || { echo "usage: $0 [--clean] DIR" >&2; exit 2; }
if [ ! -d "$DIR" ]; then
    echo "stop.sh: $DIR does not exist; nothing to stop" >&2
    exit 0
fi
DIR="$(cd "$DIR" && pwd -P)"

log() { printf 'stop.sh: %s\n' "$*" >&2; }

# alive PID: the process exists and is not a zombie.
alive() {
    local state
    [ -r "/proc/$1/stat" ] || return 1
    # Field 3 of /proc/PID/stat is the state; comm (field 2) may hold spaces,
    # so cut after the last ')'.
    state="$(sed 's/.*) \([A-Za-z]\).*/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "$state" != "Z" ] && [ "$state" != "X" ]
}

# terminate PID...: SIGTERM, wait up to $GRACE s, then SIGKILL and wait 5 s.
terminate() {
    local pid left deadline
    [ "$#" -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$(( $(date +%s) + GRACE ))
    while :; do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        [ "${#left[@]}" -gt 0 ] || return 0
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 0.2
    done
    log "SIGKILL to ${left[*]} (still alive after ${GRACE}s)"
    kill -KILL "${left[@]}" 2>/dev/null || true
    deadline=$(( $(date +%s) + 5 ))
    for pid in "${left[@]}"; do
        while alive "$pid"; do
            if [ "$(date +%s)" -ge "$deadline" ]; then
                log "WARNING: pid $pid survived SIGKILL"
                failed=1
                break
            fi
            sleep 0.1
        done
    done
}

# pid_from NAME PIDFILE: print the pid in PIDFILE if that process is alive and
# is really NAME (a stale pid file may name a recycled pid).
pid_from() {
    local name="$1" file="$2" pid comm
    [ -r "$file" ] || return 0
    pid="$(tr -dc '0-9' 2>/dev/null <"$file" || true)"
    [ -n "$pid" ] || return 0
    alive "$pid" || return 0
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [ "$comm" = "$name" ] && echo "$pid"
    return 0
}

failed=0
CONF="$DIR/slurm.conf"
SOCKDIR=""
if [ -r "$DIR/sockdir" ]; then SOCKDIR="$(cat "$DIR/sockdir")"; fi

# ---------------------------------------------------------------- 1. jobs
# slurmstepd and job processes survive slurmd's exit, so let slurmctld cancel
# the jobs first (it kills their process trees).
ctld="$(pid_from slurmctld "$DIR/run/slurmctld.pid")"
if [ -n "$ctld" ] && [ -r "$CONF" ]; then
    export SLURM_CONF="$CONF"
    jobs="$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u || true)"
    if [ -n "$jobs" ]; then
        log "cancelling $(wc -w <<<"$jobs") job(s)"
        # shellcheck disable=SC2086  # one job id per word
        timeout 10 scancel $jobs 2>/dev/null || true
        deadline=$(( $(date +%s) + GRACE ))
        while [ -n "$(timeout 10 squeue -h -o %A 2>/dev/null || true)" ]; do
            [ "$(date +%s)" -lt "$deadline" ] || { log "jobs still listed after ${GRACE}s"; break; }
            sleep 0.3
        done
    fi
fi

# ---------------------------------------------------------------- 2. daemons
# Slurm daemons first (slurmdbd flushes to MariaDB on exit), then the
# database, then munged, which the others use until they are gone.
pids=()
for d in slurmd slurmctld slurmdbd; do
    p="$(pid_from "$d" "$DIR/run/$d.pid")"
    [ -z "$p" ] || pids+=("$p")
done
[ "${#pids[@]}" -eq 0 ] || { log "stopping slurm daemons (${pids[*]})"; terminate "${pids[@]}"; }
p="$(pid_from mariadbd "$DIR/mysql/mariadbd.pid")"
[ -z "$p" ] || { log "stopping mariadbd ($p)"; terminate "$p"; }
p="$(pid_from munged "$DIR/munge/munged.pid")"
[ -z "$p" ] || { log "stopping munged ($p)"; terminate "$p"; }

# ---------------------------------------------------------------- 3. leftovers
# Processes whose pid file was never written or was lost: Slurm daemons and
# slurmstepd carry SLURM_CONF=DIR/slurm.conf in their environment, job
# processes too (plus SLURM_JOB_ID); mariadbd and munged name DIR (or the
# short socket dir) on their command line.  Never touch ourselves or our
# ancestors (a shell that sourced env.sh has SLURM_CONF too).
ancestors=" "
a=$$
while [ -n "$a" ] && [ "$a" != "0" ]; do
    ancestors="$ancestors$a "
    a="$(awk '/^PPid:/ { print $2 }' "/proc/$a/status" 2>/dev/null || true)"
done
leftover=()
for procdir in /proc/[0-9]*; do
    pid="${procdir#/proc/}"
    case "$ancestors" in *" $pid "*) continue ;; esac
    alive "$pid" || continue
    comm="$(cat "$procdir/comm" 2>/dev/null || true)"
    # (2>/dev/null first: the process may vanish before the < redirection)
    env="$(tr '\0' '\n' 2>/dev/null <"$procdir/environ" || true)"
    match=0
    case "$comm" in
        slurmctld|slurmd|slurmdbd|slurmstepd)
            grep -qxF "SLURM_CONF=$CONF" <<<"$env" && match=1 ;;
        mariadbd|munged)
            cmd="$(tr '\0' ' ' 2>/dev/null <"$procdir/cmdline" || true)"
            case "$cmd" in *"$DIR/"*) match=1 ;; esac
            if [ -n "$SOCKDIR" ]; then case "$cmd" in *"$SOCKDIR/"*) match=1 ;; esac; fi ;;
        *)
            if grep -qxF "SLURM_CONF=$CONF" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env"; then
                match=1
            fi ;;
    esac
    if [ "$match" -eq 1 ]; then leftover+=("$pid"); fi
done
if [ "${#leftover[@]}" -gt 0 ]; then
    log "killing leftover processes of this cluster: ${leftover[*]}"
    GRACE=2 terminate "${leftover[@]}"
fi

# ---------------------------------------------------------------- 4. files
case "$SOCKDIR" in
    /tmp/ablate-sock.*) rm -rf "$SOCKDIR" ;;
esac
if [ "$CLEAN" -eq 1 ]; then
    if [ -e "$DIR/.ablate-slurm" ]; then
        rm -rf "$DIR"
        log "removed $DIR"
    else
        log "not removing $DIR: it was not made by start.sh (no .ablate-slurm marker)"
        failed=1
    fi
fi
[ "$failed" -eq 0 ] || exit 1
log "stopped"
