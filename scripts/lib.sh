# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this
# Shared helpers for scripts/run, scripts/stop and scripts/test.
#
# Sourced, never executed.  Everything here uses PostgreSQL 15's own binaries
# by absolute path (never PATH: /usr/local/bin may hold unrelated programs
# called pg_ctl and friends) and runs the server as an unprivileged user:
# `postgres` when we are root, otherwise the current user.

# ---------------------------------------------------------------------------
# Locations
# ---------------------------------------------------------------------------

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export REPO_ROOT

PG_MAJOR=15
# EXPERIMENTS_PG_BIN points at another copy of PostgreSQL 15's bin/ (a
# relocated copy of the Debian tree, so that two checkouts on one machine can
# install and test without overwriting each other's extension files).
PG_BIN="${EXPERIMENTS_PG_BIN:-/usr/lib/postgresql/${PG_MAJOR}/bin}"
PG_CONFIG="${PG_BIN}/pg_config"
PGXS_DIR="$(dirname "$PG_BIN")/lib/pgxs"
PG_REGRESS="${PGXS_DIR}/src/test/regress/pg_regress"
PG_ISOLATION_REGRESS="${PGXS_DIR}/src/test/isolation/pg_isolation_regress"
PG_PERL_LIB="${PGXS_DIR}/src/test/perl"
PSQL="${PG_BIN}/psql"
SYSTEM_PYTHON=/usr/bin/python3

# Debian packages the scripts need (checked with dpkg, installed when missing).
REQUIRED_PACKAGES=(
    postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
    libtap-parser-sourcehandler-pgtap-perl libipc-run-perl postgresql-15-cron
    postgresql-15-wal2json libdigest-murmurhash3-pureperl-perl
    python3 python3-psycopg python3-psycopg2 python3-asyncpg python3-sqlalchemy
    python3-pytest nodejs npm gnuplot-nox make gcc
)

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
    _C_BOLD=$'\033[1m'; _C_RED=$'\033[31m'; _C_YEL=$'\033[33m'; _C_OFF=$'\033[0m'
else
    _C_BOLD=''; _C_RED=''; _C_YEL=''; _C_OFF=''
fi

log()     { printf '%s\n' "$*"; }
note()    { printf '%s==>%s %s\n' "$_C_BOLD" "$_C_OFF" "$*"; }
warn()    { printf '%swarning:%s %s\n' "$_C_YEL" "$_C_OFF" "$*" >&2; }
err()     { printf '%serror:%s %s\n' "$_C_RED" "$_C_OFF" "$*" >&2; }
die()     { err "$*"; exit 1; }
section() { printf '\n%s===== %s =====%s\n' "$_C_BOLD" "$*" "$_C_OFF"; }

# ---------------------------------------------------------------------------
# Privileges
# ---------------------------------------------------------------------------

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root (directly, or through sudo when we are not root).
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $* (run as root, or install sudo)"
    fi
}

# The OS user that owns clusters and runs the server.
cluster_user() {
    if is_root; then echo postgres; else id -un; fi
}

# Run a command as the cluster user, from a directory that user can enter.
as_cluster_user() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Give a path (recursively) to the cluster user; no-op when not root.
chown_to_cluster_user() {
    if is_root; then
        chown -R postgres:postgres "$@"
    fi
}

# ---------------------------------------------------------------------------
# Set-up: packages, build, install
# ---------------------------------------------------------------------------

_package_installed() {
    local pkg="$1"
    if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ]; then
        return 0
    fi
    # NodeSource's nodejs package bundles npm (and conflicts with Debian's
    # npm package): accept a working npm whatever package provides it.
    if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then
        return 0
    fi
    return 1
}

ensure_packages() {
    local missing=() pkg
    for pkg in "${REQUIRED_PACKAGES[@]}"; do
        _package_installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    note "installing missing packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=600 </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
    [ -x "$PG_CONFIG" ] || die "$PG_CONFIG is missing after installing packages"
}

build_and_install() {
    local jobs
    jobs="$(nproc 2>/dev/null || echo 2)"
    note "building (make PG_CONFIG=$PG_CONFIG)"
    make -C "$REPO_ROOT" -j"$jobs" PG_CONFIG="$PG_CONFIG" </dev/null
    note "installing (make install)"
    as_root make -C "$REPO_ROOT" PG_CONFIG="$PG_CONFIG" install </dev/null >/dev/null
}

# Everything run and test need before touching a cluster.
common_setup() {
    ensure_packages
    build_and_install
}

# ---------------------------------------------------------------------------
# Clusters
# ---------------------------------------------------------------------------

# Can the cluster user create and use files in directory $1 (which exists)?
cluster_user_can_use_dir() {
    as_cluster_user test -d "$1" -a -x "$1" -a -w "$1" 2>/dev/null
}

# Can the cluster user reach (search) directory $1 (which exists)?
cluster_user_can_reach() {
    as_cluster_user test -x "$1" 2>/dev/null
}

# A Unix socket path is limited to 107 bytes; "/.s.PGSQL.NNNNN" adds 15.
socket_dir_ok() {
    [ "$(( ${#1} + 16 ))" -le 107 ]
}

# Is TCP port $1 on localhost accepting connections?
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# initdb DATADIR LOCALE: trust auth, superuser "postgres".  DATADIR's parent
# must exist and be writable by the cluster user.
cluster_initdb() {
    local datadir="$1" locale="${2:-C}"
    as_cluster_user "$PG_BIN/initdb" -D "$datadir" --auth=trust -U postgres \
        --encoding=UTF8 --locale="$locale" --no-instructions >/dev/null
}

# Write DATADIR/experiments.conf with the given settings (one per argument)
# and make postgresql.conf include it.  Re-run on every start, so a moved
# repository or a changed port is picked up.
cluster_write_conf() {
    local datadir="$1"; shift
    local conf="$datadir/experiments.conf" line
    {
        echo "# Written by scripts/lib.sh on every start; edits are overwritten."
        for line in "$@"; do
            echo "$line"
        done
    } >"$conf"
    chown_to_cluster_user "$conf"
    if ! grep -q "^include_if_exists = 'experiments.conf'" "$datadir/postgresql.conf"; then
        printf "\ninclude_if_exists = 'experiments.conf'\n" >>"$datadir/postgresql.conf"
    fi
}

# The data directory recorded in DATADIR/postmaster.pid (line 2), or empty.
_pidfile_datadir() {
    sed -n 2p "$1/postmaster.pid" 2>/dev/null || true
}

# Remove a postmaster.pid (and socket lock files in SOCKDIR) that belong to a
# different data directory: a copy of the repository taken while its server
# ran.  Never signal the process such a file names: it is not ours.
cluster_drop_foreign_pidfile() {
    local datadir="$1" sockdir="${2:-}" recorded real
    [ -f "$datadir/postmaster.pid" ] || return 0
    recorded="$(_pidfile_datadir "$datadir")"
    real="$(cd "$datadir" && pwd -P)"
    if [ -n "$recorded" ] && [ "$recorded" != "$real" ] && [ "$recorded" != "$datadir" ]; then
        warn "$datadir/postmaster.pid belongs to $recorded (a copied cluster); removing it"
        rm -f "$datadir/postmaster.pid"
        if [ -n "$sockdir" ]; then
            rm -f "$sockdir"/.s.PGSQL.*
        fi
    fi
}

# Is the server of DATADIR running?  (pg_ctl status exits 0 when it is.)
cluster_is_running() {
    local datadir="$1"
    [ -f "$datadir/postmaster.pid" ] || return 1
    [ "$(_pidfile_datadir "$datadir")" = "$datadir" ] ||
        [ "$(_pidfile_datadir "$datadir")" = "$(cd "$datadir" && pwd -P)" ] || return 1
    _pg_ctl_as_owner "$datadir" status -D "$datadir" >/dev/null 2>&1
}

# Run pg_ctl as the owner of DATADIR (the server must run as its owner).
_pg_ctl_as_owner() {
    local datadir="$1"; shift
    local owner
    owner="$(stat -c %U "$datadir")"
    if is_root && [ "$owner" != root ]; then
        (cd / && runuser -u "$owner" -- "$PG_BIN/pg_ctl" "$@")
    else
        "$PG_BIN/pg_ctl" "$@"
    fi
}

# Start the server of DATADIR, logging to LOGFILE; wait until it accepts
# connections.  Prints the log's tail on failure.
cluster_start() {
    local datadir="$1" logfile="$2"
    if ! as_cluster_user "$PG_BIN/pg_ctl" start -D "$datadir" -l "$logfile" -w -t 120 >/dev/null; then
        err "the server did not start; last lines of $logfile:"
        tail -n 40 "$logfile" >&2 || true
        return 1
    fi
}

cluster_restart() {
    local datadir="$1" logfile="$2"
    if ! as_cluster_user "$PG_BIN/pg_ctl" restart -D "$datadir" -l "$logfile" -m fast -w -t 120 >/dev/null; then
        err "the server did not restart; last lines of $logfile:"
        tail -n 40 "$logfile" >&2 || true
        return 1
    fi
}

# Stop the server of DATADIR if it runs (MODE: fast or immediate).
cluster_stop() {
    local datadir="$1" mode="${2:-fast}"
    if cluster_is_running "$datadir"; then
        _pg_ctl_as_owner "$datadir" stop -D "$datadir" -m "$mode" -w -t 120 >/dev/null
    fi
}

# psql as the superuser on a cluster: psql_cmd SOCKDIR PORT DB [psql args...]
psql_cmd() {
    local sockdir="$1" port="$2" db="$3"; shift 3
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres -d "$db" "$@"
}

# (Re)create database DB with the experiments extension (and extra SQL).
recreate_database() {
    local sockdir="$1" port="$2" db="$3"; shift 3
    psql_cmd "$sockdir" "$port" postgres \
        -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$db\""
    psql_cmd "$sockdir" "$port" "$db" -c "CREATE EXTENSION experiments" "$@"
}

# ---------------------------------------------------------------------------
# The demo cluster of scripts/run and scripts/stop
# ---------------------------------------------------------------------------

RUN_PORT="${EXPERIMENTS_RUN_PORT:-55432}"
RUN_DB=experiments_demo
# Bump when the layout or initdb options of the demo cluster change: a
# cluster with another stamp is re-initialised by scripts/run.
RUN_STAMP="experiments demo cluster, layout 1, PostgreSQL ${PG_MAJOR}"

# Where the demo cluster lives when .cluster/ itself cannot hold it (the
# repository is under a directory the postgres user cannot enter, or its path
# is too long for a Unix socket): a fixed directory per checkout in /tmp,
# recorded in .cluster/LOCATION.
run_cluster_fallback_home() {
    local hash
    hash="$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"
    echo "/tmp/experiments-run-$hash"
}

# The directory holding the demo cluster (data/, server.log, the socket).
run_cluster_home() {
    local loc="$REPO_ROOT/.cluster/LOCATION" home
    if [ -f "$loc" ]; then
        home="$(head -n 1 "$loc")"
        case "$home" in
            /tmp/experiments-run-*) echo "$home"; return 0 ;;
            *) warn "ignoring unexpected $loc: $home" ;;
        esac
    fi
    echo "$REPO_ROOT/.cluster"
}

# Print the comment block at the top of script $1 (its usage).
print_usage() {
    awk 'NR == 1 { next } /^#/ { if ($0 !~ /shellcheck/) { sub(/^# ?/, ""); print } next } { exit }' "$1"
}
