#!/usr/bin/env bash
# Stop the throw-away Slurm cluster that start.sh started in DIR.
#
#   usage: stop.sh [--clean] DIR
#
# Cancels the cluster's jobs (scancel --signal=KILL), then stops slurmd, slurmctld, slurmdbd,
# mariadbd and munged by their pid files (SIGTERM, SIGKILL after a grace
# period), then kills any leftover process of this cluster (found by the
# SLURM_CONF in its environment or DIR in its command line).  Succeeds when
# some or all daemons are already gone, and when DIR does not exist.
# DIR is left in place (logs stay readable) unless --clean is given.
#
#   ABLATE_SLURM_STOP_GRACE  seconds between SIGTERM and SIGKILL (default 10)
set -euo pipefail

GRACE="${ABLATE_SLURM_STOP_GRACE:-10}"
# The caller's Slurm client settings must not redirect squeue/scancel.
while read -r v; do unset "$v"; done < <(compgen -e |
    grep -E '^(SLURM_|SBATCH_|SRUN_|SALLOC_|SQUEUE_|SINFO_|SACCT_|SCONTROL_|SCANCEL_)' || true)
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
# start.sh may have put munge/, mysql/ and spool/ in a short aux dir.
AUX=""
if [ -r "$DIR/auxdir" ]; then AUX="$(cat "$DIR/auxdir")"; fi

# ---------------------------------------------------------------- 1. jobs
# slurmstepd and job processes survive slurmd's exit, so let slurmctld cancel
# the jobs first (it kills their process trees).
ctld="$(pid_from slurmctld "$DIR/run/slurmctld.pid")"
if [ -n "$ctld" ] && [ -r "$CONF" ]; then
    export SLURM_CONF="$CONF"
    # %F is the array's base id (the job id for plain jobs): scancel of a
    # base id cancels all its tasks, while the raw id of a split-off array
    # task (%A) can be refused as "invalid job id".
    jobs="$(timeout 10 squeue -h -o %F 2>/dev/null | sort -u || true)"
    if [ -n "$jobs" ]; then
        log "cancelling $(wc -w <<<"$jobs") job(s)"
        # shellcheck disable=SC2086  # one job id per word
        # SIGKILL right away: no point in a graceful KillWait at teardown.
        timeout 10 scancel --signal=KILL $jobs >/dev/null 2>&1 || true
        deadline=$(( $(date +%s) + GRACE ))
        while [ -n "$(timeout 10 squeue -h -o %F 2>/dev/null || true)" ]; do
            if [ "$(date +%s)" -ge "$deadline" ]; then
                log "jobs still listed after ${GRACE}s (they will be killed below):" \
                    "$(timeout 10 squeue -h -o '%i:%T' 2>/dev/null | tr '\n' ' ' || true)"
                break
            fi
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
# aux dir) on their command line.  Never touch ourselves or our
# ancestors (a shell that sourced env.sh has SLURM_CONF too).
ancestors=" "
a=$$
while [ -n "$a" ] && [ "$a" != "0" ]; do
    ancestors="$ancestors$a "
    a="$(awk '/^PPid:/ { print $2 }' "/proc/$a/status" 2>/dev/null || true)"
done
leftover=()
add_leftover() {
    case "$ancestors" in *" $1 "*) return 0 ;; esac
    alive "$1" && leftover+=("$1")
    return 0
}
# One grep over all environments is much faster than a loop per process.
for f in $(grep -lzxF "SLURM_CONF=$CONF" /proc/[0-9]*/environ 2>/dev/null || true); do
    pid="${f#/proc/}"; pid="${pid%/environ}"
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    case "$comm" in
        slurmctld|slurmd|slurmdbd|slurmstepd|slurmscriptd) add_leftover "$pid" ;;
        *) if grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null; then add_leftover "$pid"; fi ;;
    esac
done
# (no pgrep: procps is not in every Debian image)
for f in $(grep -lxE 'mariadbd|munged' /proc/[0-9]*/comm 2>/dev/null || true); do
    pid="${f#/proc/}"; pid="${pid%/comm}"
    cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)"
    case "$cmd" in
        *"$DIR/"*) add_leftover "$pid" ;;
        *) if [ -n "$AUX" ]; then
               case "$cmd" in *"$AUX/"*) add_leftover "$pid" ;; esac
           fi ;;
    esac
done
if [ "${#leftover[@]}" -gt 0 ]; then
    log "killing leftover processes of this cluster: ${leftover[*]}"
    GRACE=2 terminate "${leftover[@]}"
fi

# ---------------------------------------------------------------- 4. files
# Keep the aux dir's logs with DIR, then remove it and the links to it.
case "$AUX" in
    /tmp/ablate-slurm-aux.*)
        mkdir -p "$DIR/log"
        for f in munge/munged.log mysql/mariadbd.log mysql/install-db.log; do
            if [ -f "$AUX/$f" ]; then cp "$AUX/$f" "$DIR/log/" 2>/dev/null || true; fi
        done
        rm -rf "$AUX"
        for sub in munge mysql spool; do
            if [ -L "$DIR/$sub" ]; then rm -f "$DIR/$sub"; fi
        done
        rm -f "$DIR/auxdir" ;;
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
