#!/usr/bin/env bash
# Start a throw-away single-node Slurm cluster (munged, mariadbd, slurmdbd,
# slurmctld, slurmd) whose configs, state, logs, sockets and pid files all live
# under DIR (or, for a deep or non-world-searchable DIR, partly in an aux dir
# under /tmp, see "layout").  Nothing in /etc/slurm or /etc/munge is used.
#
#   usage: start.sh DIR        (DIR is created; it must not hold a cluster yet)
#   then:  . DIR/env.sh && sbatch --wrap 'echo hi' ... ; stop.sh DIR
#
# Environment knobs (all optional):
#   ABLATE_SLURM_TIMEOUT  seconds to wait for each daemon (default 60)
#   ABLATE_SLURM_CPUS     advertise this many CPUs instead of the real count
#                         (oversubscribes the machine; default: real count)
#   ABLATE_SLURM_CLUSTER  cluster name (default "ablate")
#
# Must run as root (the daemons run as root, munge and mysql).  On any error
# the daemons already started are stopped again (via stop.sh) and the relevant
# log tail is printed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TIMEOUT="${ABLATE_SLURM_TIMEOUT:-60}"
CLUSTER="${ABLATE_SLURM_CLUSTER:-ablate}"
T0=$(date +%s.%N)

elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf 'start.sh: [%ss] %s\n' "$(elapsed)" "$*" >&2; }

# Print an error, the tail of the given log files, and exit (the EXIT trap
# then tears down whatever was started).
die() {
    local msg="$1"; shift
    printf 'start.sh: ERROR: %s\n' "$msg" >&2
    local f
    for f in "$@"; do
        if [ -s "$f" ]; then
            printf -- '----- last lines of %s -----\n' "$f" >&2
            tail -n 30 "$f" >&2 || true
        else
            printf -- '----- %s is missing or empty -----\n' "$f" >&2
        fi
    done
    exit 1
}

# alive PID: the process exists and is not a zombie (kill -0 is true for
# zombies, and dead daemons may wait a while for their reparented reaping).
alive() {
    local state
    state="$(sed 's/.*) \([A-Za-z]\).*/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "$state" != "Z" ] && [ "$state" != "X" ]
}

# wait_for DESCRIPTION "LOGFILE..." "PIDFILE..." CMD... : poll CMD (quietly)
# until it succeeds, at most $TIMEOUT seconds.  Dies with the logs' tails on
# timeout, or at once if a daemon named by a PIDFILE has exited.
wait_for() {
    local what="$1" logs="$2" pidfiles="$3"; shift 3
    local deadline=$(( $(date +%s) + TIMEOUT )) pf pid
    until "$@" >/dev/null 2>&1; do
        for pf in $pidfiles; do
            pid="$(cat "$pf" 2>/dev/null || true)"
            if [ -n "$pid" ] && ! alive "$pid"; then
                # shellcheck disable=SC2086  # $logs is a list of paths
                die "$(basename "$pf" .pid) (pid $pid) exited while waiting for $what" $logs
            fi
        done
        if [ "$(date +%s)" -ge "$deadline" ]; then
            # shellcheck disable=SC2086
            die "timed out after ${TIMEOUT}s waiting for $what" $logs
        fi
        sleep 0.2
    done
}

# Slurm client/daemon variables from the caller (e.g. when run inside a job,
# or with another cluster's SLURM_CONF) must not leak into this cluster.
while read -r v; do unset "$v"; done < <(compgen -e |
    grep -E '^(SLURM_|SBATCH_|SRUN_|SALLOC_|SQUEUE_|SINFO_|SACCT_|SCONTROL_|SCANCEL_)' || true)

# ---------------------------------------------------------------- arguments
if [ "$#" -ne 1 ] || [ -z "$1" ] || [ "${1:0:1}" = "-" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "start.sh: must run as root (daemons run as root, munge and mysql)" >&2
    exit 1
fi
for b in munged slurmctld slurmd slurmdbd sinfo sacct sacctmgr mariadbd \
         mariadb-install-db mariadb mariadb-admin runuser; do
    command -v "$b" >/dev/null 2>&1 ||
        { echo "start.sh: $b not found; run $HERE/install.sh first" >&2; exit 1; }
done
case "$CLUSTER" in
    ''|*[!a-z0-9_]*) echo "start.sh: ABLATE_SLURM_CLUSTER must match [a-z0-9_]+, not '$CLUSTER'" >&2; exit 2 ;;
esac
for u in munge mysql; do
    getent passwd "$u" >/dev/null ||
        { echo "start.sh: user $u missing; run $HERE/install.sh first" >&2; exit 1; }
done

case "$1" in
    *[[:space:]]*) echo "start.sh: DIR must not contain whitespace: '$1'" >&2; exit 2 ;;
esac
mkdir -p "$1"
DIR="$(cd "$1" && pwd -P)"
if [ -e "$DIR/slurm.conf" ]; then
    echo "start.sh: $DIR already holds a cluster (slurm.conf exists);" \
         "run stop.sh --clean $DIR or use another directory" >&2
    exit 1
fi
# ---------------------------------------------------------------- teardown on failure
started=0   # set once DIR holds files of ours and daemons may start
ok=0
on_exit() {
    local rc=$?
    if [ "$ok" -ne 1 ] && [ "$started" -eq 1 ]; then
        log "start failed; stopping what was started (logs stay in $DIR)"
        "$HERE/stop.sh" "$DIR" >&2 || true
    fi
    exit "$rc"
}
trap on_exit EXIT
# Make an interrupted start (Ctrl-C, a test runner's SIGTERM) tear down too.
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------- layout
# world_searchable PATH: every directory from / down to PATH is o+x.  munged
# refuses a socket whose directory path is not, and the munge and mysql users
# must reach their files.
world_searchable() {
    local p="$1" mode
    while :; do
        mode="$(stat -c %A "$p")" || return 1
        case "$mode" in *x|*t) ;; *) return 1 ;; esac
        [ "$p" = / ] && return 0
        p="$(dirname "$p")"
    done
}
chmod 755 "$DIR"
mkdir -p "$DIR/state" "$DIR/log" "$DIR/run"
touch "$DIR/.ablate-slurm"    # marker: stop.sh --clean only deletes such dirs
started=1                     # from here on, a failure runs stop.sh

# munge/ (owned by munge: key, socket, pid, log, seed), mysql/ (owned by
# mysql: datadir, socket, pid, log) and spool/ (slurmd's step sockets) live in
# DIR, unless DIR is not world-searchable (pytest's /tmp/pytest-of-root is
# 0700) or so long that socket paths would pass the 107-byte limit.  Then they
# go to a short aux dir /tmp/ablate-slurm-aux.XXXXXX, symlinked from DIR and
# recorded in DIR/auxdir; stop.sh copies its logs into DIR/log and removes it.
if world_searchable "$DIR" && [ "${#DIR}" -le 60 ]; then
    BASE="$DIR"
else
    BASE="$(mktemp -d /tmp/ablate-slurm-aux.XXXXXX)"
    chmod 755 "$BASE"
    echo "$BASE" >"$DIR/auxdir"
    log "DIR is long or not world-searchable: munge, mysql and spool dirs go to $BASE"
    for sub in munge mysql spool; do ln -s "$BASE/$sub" "$DIR/$sub"; done
fi
MUNGE_DIR="$BASE/munge"
DB_DIR="$BASE/mysql"
SPOOL_DIR="$BASE/spool"
mkdir -p "$MUNGE_DIR" "$DB_DIR" "$SPOOL_DIR"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket"
DB_SOCKET="$DB_DIR/mysqld.sock"

# ---------------------------------------------------------------- ports
# Pick distinct TCP ports that nothing on this machine uses (any state in
# /proc/net/tcp{,6}), below the ephemeral range so outgoing connections do not
# take them.  Random start points make concurrent clusters unlikely to clash.
used_ports() {
    local f
    for f in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$f" ] || continue
        awk 'NR > 1 { split($2, a, ":"); print a[2] }' "$f"
    done | while read -r hex; do echo $(( 16#$hex )); done | sort -un
}
USED="$(used_ports)"
PICKED=""
pick_port() {
    local p tries=0
    while :; do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        if ! grep -qx "$p" <<<"$USED" && ! grep -qx "$p" <<<"$PICKED"; then
            PICKED="$PICKED"$'\n'"$p"
            echo "$p"
            return 0
        fi
        tries=$((tries + 1))
        [ "$tries" -lt 1000 ] || { echo "start.sh: no free port found" >&2; return 1; }
    done
}
# Command substitution runs pick_port in a subshell, so PICKED must be
# updated here as well.
CTLD_PORT=$(pick_port); PICKED="$PICKED"$'\n'"$CTLD_PORT"
SLURMD_PORT=$(pick_port); PICKED="$PICKED"$'\n'"$SLURMD_PORT"
DBD_PORT=$(pick_port); PICKED="$PICKED"$'\n'"$DBD_PORT"
DB_PORT=$(pick_port); PICKED="$PICKED"$'\n'"$DB_PORT"
cat >"$DIR/ports" <<EOF
slurmctld=$CTLD_PORT
slurmd=$SLURMD_PORT
slurmdbd=$DBD_PORT
mariadb=$DB_PORT
EOF

# ---------------------------------------------------------------- node description
HOST="$(hostname -s)"
# `slurmd -C` prints the real hardware line; it needs no slurm.conf.
NODE_HW="$(SLURM_CONF=/nonexistent slurmd -C 2>/dev/null | head -n 1)"
case "$NODE_HW" in
    NodeName=*RealMemory=*) ;;
    *) die "slurmd -C gave no node description: '$NODE_HW'" ;;
esac
REAL_MEM="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$NODE_HW")"
CPUS="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$NODE_HW")"
# Advertise ~90 % of the memory: slurmd re-measures at registration and drains
# the node if it has less than configured (the figure jitters in containers).
MEM=$(( REAL_MEM * 9 / 10 ))
SLURMD_PARAMS=""
if [ -n "${ABLATE_SLURM_CPUS:-}" ]; then
    case "$ABLATE_SLURM_CPUS" in
        ''|*[!0-9]*|0) die "ABLATE_SLURM_CPUS must be a positive integer, not '$ABLATE_SLURM_CPUS'" ;;
    esac
    CPUS="$ABLATE_SLURM_CPUS"
    NODE_LINE="NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN"
    # Trust the configured CPU count instead of the hardware.
    SLURMD_PARAMS="SlurmdParameters=config_overrides"
else
    NODE_LINE="$(sed -e "s/^NodeName=[^ ]*/NodeName=$HOST NodeAddr=127.0.0.1/" \
                     -e "s/RealMemory=[0-9]*/RealMemory=$MEM/" <<<"$NODE_HW") State=UNKNOWN"
fi
# Without a default, CR_Core_Memory gives each job the whole node's memory and
# jobs would run one at a time.
DEF_MEM=$(( MEM / CPUS ))

# ---------------------------------------------------------------- configs
DB_PASS="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

: >"$DIR/plugstack.conf"   # empty: do not pick up /etc/slurm/plugstack.conf

cat >"$DIR/slurm.conf" <<EOF
# Generated by ablate slurm/cluster/start.sh for a throw-away test cluster.
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root

AuthType=auth/munge
CredType=cred/munge
# Private munged; short credential lifetime so a requeued job restarts fast.
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=10

StateSaveLocation=$DIR/state
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
MailProg=/bin/true
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf

# No cgroups/systemd in a container.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
SwitchType=switch/none
$SLURMD_PARAMS

SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEF_MEM
# Start jobs right away instead of after the default multi-second delays.
SchedulerParameters=batch_sched_delay=0,bf_interval=1,sched_interval=2
JobRequeue=1
ReturnToService=2
MaxArraySize=10001
MaxJobCount=100000
KillWait=5
InactiveLimit=0
MinJobAge=300

AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# With auth/munge the "password" is the munge socket to use.
AccountingStoragePass=$MUNGE_SOCKET
JobCompType=jobcomp/none

$NODE_LINE
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

# slurmdbd reads slurmdbd.conf from the directory of \$SLURM_CONF; it must be
# owned by SlurmUser and not readable by others.
cat >"$DIR/slurmdbd.conf" <<EOF
# Generated by ablate slurm/cluster/start.sh for a throw-away test cluster.
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdAddr=127.0.0.1
DbdHost=$HOST
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$DIR/log/slurmdbd.log
PidFile=$DIR/run/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
chown root:root "$DIR/slurmdbd.conf"
chmod 600 "$DIR/slurmdbd.conf"

cat >"$DIR/env.sh" <<EOF
# Source this file to use the cluster in $DIR.
export SLURM_CONF=$DIR/slurm.conf
export ABLATE_SLURM_DIR=$DIR
EOF

export SLURM_CONF="$DIR/slurm.conf"

# Detach daemons from our stdio (a caller capturing our output must not hang
# on pipes held open by them) and from our session.
spawn() { setsid "$@" </dev/null >>"$DIR/log/daemons.out" 2>&1; }

# ---------------------------------------------------------------- munged
head -c 1024 /dev/urandom >"$MUNGE_DIR/munge.key"
chown -R munge:munge "$MUNGE_DIR"
chmod 755 "$MUNGE_DIR"
chmod 600 "$MUNGE_DIR/munge.key"
log "starting munged"
# munged forks and its parent returns once the daemon is ready (or failed).
spawn runuser -u munge -- munged \
    --key-file="$MUNGE_DIR/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" \
    --seed-file="$MUNGE_DIR/munge.seed" ||
    die "munged failed to start" "$MUNGE_DIR/munged.log" "$DIR/log/daemons.out"
munge_ok() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
wait_for "munged" "$MUNGE_DIR/munged.log" "$MUNGE_DIR/munged.pid" munge_ok

# ---------------------------------------------------------------- mariadb
# Small, fast, non-durable settings: this database is thrown away (~100 MB).
# Native AIO is off because io_uring/libaio are often unavailable in sandboxes.
DB_OPTS=(--innodb-use-native-aio=0 --innodb-buffer-pool-size=128M
         --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0
         --innodb-doublewrite=0 --innodb-lock-wait-timeout=900)
log "initialising MariaDB in $DB_DIR/data"
chown mysql:mysql "$DB_DIR"
# --no-defaults: ignore /etc/mysql; root@localhost authenticates by unix socket.
if ! mariadb-install-db --no-defaults --user=mysql --datadir="$DB_DIR/data" \
        --auth-root-authentication-method=socket --skip-test-db \
        --skip-name-resolve "${DB_OPTS[@]}" >"$DB_DIR/install-db.log" 2>&1; then
    die "mariadb-install-db failed" "$DB_DIR/install-db.log"
fi
log "starting mariadbd on 127.0.0.1:$DB_PORT"
# (Backgrounded directly, not through spawn(): mariadbd does not daemonize,
# and a backgrounded function would keep a bash holding our stdout.)
setsid mariadbd --no-defaults --user=mysql --datadir="$DB_DIR/data" \
    --socket="$DB_SOCKET" --port="$DB_PORT" --bind-address=127.0.0.1 \
    --pid-file="$DB_DIR/mariadbd.pid" --log-error="$DB_DIR/mariadbd.log" \
    --skip-name-resolve --skip-log-bin --max-connections=100 "${DB_OPTS[@]}" \
    </dev/null >>"$DIR/log/daemons.out" 2>&1 &
db_ok() { mariadb-admin --no-defaults --socket="$DB_SOCKET" -uroot --connect-timeout=2 ping; }
wait_for "mariadbd" "$DB_DIR/mariadbd.log" "$DB_DIR/mariadbd.pid" db_ok
mariadb --no-defaults --socket="$DB_SOCKET" -uroot <<EOF ||
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF
    die "could not create the slurm database user" "$DB_DIR/mariadbd.log"

# ---------------------------------------------------------------- slurmdbd
log "starting slurmdbd on 127.0.0.1:$DBD_PORT"
spawn slurmdbd ||
    die "slurmdbd failed to start" "$DIR/log/slurmdbd.log" "$DIR/log/daemons.out"
# The first start creates the accounting tables (a few seconds).
wait_for "slurmdbd (sacctmgr list cluster)" "$DIR/log/slurmdbd.log" \
    "$DIR/run/slurmdbd.pid $DB_DIR/mariadbd.pid" \
    timeout 10 sacctmgr -n list cluster
timeout 20 sacctmgr -i add cluster "$CLUSTER" >"$DIR/log/sacctmgr.out" 2>&1 ||
    die "sacctmgr add cluster $CLUSTER failed" "$DIR/log/sacctmgr.out" "$DIR/log/slurmdbd.log"

# ---------------------------------------------------------------- slurmctld, slurmd
log "cluster registered in slurmdbd"
log "starting slurmctld on 127.0.0.1:$CTLD_PORT"
spawn slurmctld ||
    die "slurmctld failed to start" "$DIR/log/slurmctld.log" "$DIR/log/daemons.out"
log "starting slurmd ($HOST) on 127.0.0.1:$SLURMD_PORT"
spawn slurmd -N "$HOST" ||
    die "slurmd failed to start" "$DIR/log/slurmd.log" "$DIR/log/daemons.out"

node_idle() { [ "$(timeout 10 sinfo -h -n "$HOST" -o %T 2>/dev/null)" = "idle" ]; }
# slurmctld must have registered with slurmdbd (sacctmgr then knows its port)
# or job records would only be queued in slurmctld for later.
ctld_registered() {
    local port
    port="$(timeout 10 sacctmgr -n -P list cluster "$CLUSTER" format=ControlPort)"
    [ -n "$port" ] && [ "$port" != "0" ]
}
wait_for "node $HOST to be idle in sinfo" \
    "$DIR/log/slurmctld.log $DIR/log/slurmd.log" \
    "$DIR/run/slurmctld.pid $DIR/run/slurmd.pid" node_idle
wait_for "slurmctld to register with slurmdbd" \
    "$DIR/log/slurmctld.log $DIR/log/slurmdbd.log" \
    "$DIR/run/slurmctld.pid $DIR/run/slurmdbd.pid" ctld_registered
wait_for "sacct to answer" "$DIR/log/slurmdbd.log" "$DIR/run/slurmdbd.pid" \
    timeout 10 sacct -n -X

ok=1
log "cluster '$CLUSTER' up in $(elapsed)s;" \
    "node $HOST: $CPUS CPUs, ${MEM} MB; run: . $DIR/env.sh"
