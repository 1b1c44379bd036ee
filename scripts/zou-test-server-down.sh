#!/usr/bin/env bash
# zou-test-server-down.sh - stop what zou-test-server.sh started, and only that, by its PID files
# in ZOU_STATE_DIR (default /tmp/zou-run). Never matches processes by name.
#   gunicorn  $STATE/gunicorn.pid   (always started by zou-test-server.sh)
#   redis     $STATE/redis.pid      (only present when zou-test-server.sh started redis)
#   postgres  $STATE/postgres.pid + postgres.started (only when zou-test-server.sh started the cluster)
# Options:
#   --keep-db   leave PostgreSQL and Redis running, stop only the Zou server
#   --purge     also drop the zou database and role (if zou-test-server.sh started postgres
#               or it is running) and delete $STATE; the venv is kept
#   --purge-venv  with --purge, also delete the venv ($ZOU_VENV, default /tmp/zouenv)
set -uo pipefail

STATE=${ZOU_STATE_DIR:-/tmp/zou-run}
VENV=${ZOU_VENV:-/tmp/zouenv}
DB_USER=${ZOU_DB_USER:-zou}
DB_NAME=${ZOU_DB_NAME:-zoudb}
KEEP_DB=0; PURGE=0; PURGE_VENV=0
for a in "$@"; do
    case $a in
        --keep-db) KEEP_DB=1 ;;
        --purge) PURGE=1 ;;
        --purge-venv) PURGE_VENV=1 ;;
        *) echo "usage: $0 [--keep-db] [--purge [--purge-venv]]" >&2; exit 2 ;;
    esac
done
cd /tmp

pid_from() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }
is_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
cmdline_has() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"; }

# stop_pidfile NAME PIDFILE CMDLINE_SUBSTRING SIGNAL TIMEOUT_S
stop_pidfile() {
    local name=$1 file=$2 want=$3 sig=$4 timeout=$5 pid t0
    pid=$(pid_from "$file")
    if ! is_alive "$pid"; then
        echo "$name: not running${pid:+ (stale pid $pid)}"; rm -f "$file"; return 0
    fi
    if ! cmdline_has "$pid" "$want"; then
        echo "$name: pid $pid is not a $want process; not touching it"; rm -f "$file"; return 0
    fi
    t0=$(date +%s.%N)
    kill "-$sig" "$pid"
    for _ in $(seq 1 $((timeout * 4))); do is_alive "$pid" || break; sleep 0.25; done
    if is_alive "$pid"; then
        echo "$name: pid $pid still alive after ${timeout}s, sending KILL"; kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$file"
    echo "$name: stopped pid $pid in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s"
}

stop_pidfile "zou (gunicorn)" "$STATE/gunicorn.pid" gunicorn TERM 30

PG_OURS=0; PGV=""; PGPID=""
if [ -s "$STATE/postgres.started" ]; then
    read -r PGV _ <"$STATE/postgres.started"; PGPID=$(pid_from "$STATE/postgres.pid"); PG_OURS=1
fi

if [ "$PURGE" = 1 ]; then
    if runuser -u postgres -- psql -tAc 'SELECT 1' >/dev/null 2>&1; then
        runuser -u postgres -- dropdb --if-exists "$DB_NAME" && echo "postgres: dropped database $DB_NAME"
        runuser -u postgres -- psql -q -c "DROP ROLE IF EXISTS \"$DB_USER\"" && echo "postgres: dropped role $DB_USER"
    else
        echo "postgres: not reachable, database $DB_NAME left in place"
    fi
fi

if [ "$KEEP_DB" = 0 ]; then
    stop_pidfile "redis" "$STATE/redis.pid" redis-server TERM 15
    if [ "$PG_OURS" = 1 ]; then
        read -r _ _ _ status _ pgdata _ < <(pg_lsclusters -h | awk -v v="$PGV" '$1==v && $2=="main"')
        cur=$(head -1 "$pgdata/postmaster.pid" 2>/dev/null | tr -dc '0-9')
        if [ "$status" = online ] && [ -n "$cur" ] && [ "$cur" = "$PGPID" ]; then
            # pg_ctlcluster signals the pid in postmaster.pid, the one recorded at start
            pg_ctlcluster "$PGV" main stop -m fast && echo "postgres: stopped cluster $PGV/main (pid $PGPID)"
        else
            echo "postgres: cluster $PGV/main is not the one zou-test-server.sh started (pid ${cur:-none} vs ${PGPID:-none}); not touching it"
        fi
        rm -f "$STATE/postgres.started" "$STATE/postgres.pid"
    else
        echo "postgres: not started by zou-test-server.sh; left running"
    fi
fi

if [ "$PURGE" = 1 ]; then
    rm -rf "$STATE" && echo "removed $STATE"
    if [ "$PURGE_VENV" = 1 ]; then rm -rf "$VENV" && echo "removed $VENV"; fi
fi
