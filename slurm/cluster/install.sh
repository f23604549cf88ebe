#!/usr/bin/env bash
# Install what slurm/cluster/start.sh needs on Debian 12 (run as root):
# Slurm 22.05 (slurmctld, slurmd, slurmdbd, client tools), munge and MariaDB.
#
# Idempotent and fast on a second call: when every binary start.sh uses is
# already on PATH it does nothing.  Services are NOT started or enabled: the
# packages' init scripts are kept from starting daemons (policy-rc.d), because
# start.sh runs private instances with their own configs under a temp dir.
set -euo pipefail

# Binaries used by start.sh / stop.sh and their clients.
NEEDED_BINS=(munged slurmctld slurmd slurmdbd sbatch squeue sinfo sacct sacctmgr
             scontrol scancel mariadbd mariadb-install-db mariadb mariadb-admin runuser)
PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server mariadb-client)

missing=()
for b in "${NEEDED_BINS[@]}"; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install.sh: slurm, munge and mariadb are already installed" >&2
    exit 0
fi
echo "install.sh: missing ${missing[*]}; installing ${PACKAGES[*]}" >&2

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: must run as root to apt-get install (missing: ${missing[*]})" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: apt-get not found; this script supports Debian 12 only" >&2
    exit 1
fi

# Keep package postinst scripts from starting munge/mariadb/slurm system
# services (without systemd they would go through /etc/init.d and occupy the
# default sockets/ports).  Only add a policy-rc.d if none exists, and remove
# only the one we added.
POLICY=/usr/sbin/policy-rc.d
added_policy=0
cleanup() {
    if [ "$added_policy" -eq 1 ]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# added by ablate slurm/cluster/install.sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    added_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q --no-install-recommends
          -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Try with the current package lists first (saves the `apt-get update`); if
# they are empty or stale, update and retry once.
if ! apt-get install "${APT_OPTS[@]}" "${PACKAGES[@]}"; then
    echo "install.sh: apt-get install failed; running apt-get update and retrying" >&2
    apt-get update -q
    apt-get install "${APT_OPTS[@]}" "${PACKAGES[@]}"
fi

still_missing=()
for b in "${NEEDED_BINS[@]}"; do
    command -v "$b" >/dev/null 2>&1 || still_missing+=("$b")
done
if [ "${#still_missing[@]}" -ne 0 ]; then
    echo "install.sh: still missing after install: ${still_missing[*]}" >&2
    exit 1
fi
echo "install.sh: done" >&2
