#!/usr/bin/env bash
# zou-test-server.sh - install and start a real Zou server (the Kitsu API,
# CGWire) on loopback only, then seed the dataset tests/trackers/test_kitsu_zou.py
# reads. Idempotent: run it again and it reuses what is already installed,
# running and seeded. CI: `bash scripts/zou-test-server.sh` (as root), then
# `TRACKERBOT_REQUIRE_ZOU=1 pytest -m zou`. Exits non-zero, with the last lines
# of the failing phase's log, when anything fails.
#
#   PostgreSQL (Debian package)  127.0.0.1:5432   db zoudb, role zou
#   Redis      (Debian package)  127.0.0.1:6379
#   Zou (pip, venv) + gunicorn   127.0.0.1:5000   routes at the root: /auth/login, /data/...
#
# Must run as root on Debian 12 with python3 (it apt-installs postgresql,
# redis-server and python3-venv when missing). Everything binds 127.0.0.1.
# Stop with scripts/zou-test-server-down.sh (same ZOU_STATE_DIR).
#
# Settings (environment, all optional):
#   ZOU_STATE_DIR=/tmp/zou-run    pid files, logs, env file, seed output
#   ZOU_VENV=/tmp/zouenv          virtualenv holding zou (and gazu, a zou dependency)
#   ZOU_VERSION=1.0.97            zou version to pip install ("" = latest)
#   ZOU_PORT=5000  ZOU_REDIS_PORT=6379  ZOU_WORKERS=3
#   ZOU_ADMIN_EMAIL=admin@example.com  ZOU_ADMIN_PASSWORD=mysecretpassword
#   ZOU_DB_USER=zou  ZOU_DB_PASSWORD=zoupass  ZOU_DB_NAME=zoudb
#   ZOU_ACCESS_TOKEN_SECONDS / ZOU_REFRESH_TOKEN_SECONDS
#       JWT lifetimes. Zou hard-codes 7 days / 15 days and reads no variable for
#       them; the scripts/zou/zou_wsgi.py wrapper patches its config module.
#       Changing them restarts gunicorn (about 5 s). CI keeps the defaults:
#       the tests sign expired tokens themselves (with $STATE/secret_key).
#   ZOU_SEED=1                    0 skips the test dataset
#   ZOU_RESTART=1                 force a gunicorn restart
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # scripts/: the Python it runs is in scripts/zou/
STATE=${ZOU_STATE_DIR:-/tmp/zou-run}
VENV=${ZOU_VENV:-/tmp/zouenv}
ZOU_VERSION=${ZOU_VERSION-1.0.97}
PORT=${ZOU_PORT:-5000}
REDIS_PORT=${ZOU_REDIS_PORT:-6379}
WORKERS=${ZOU_WORKERS:-3}
ADMIN_EMAIL=${ZOU_ADMIN_EMAIL:-admin@example.com}
ADMIN_PASSWORD=${ZOU_ADMIN_PASSWORD:-mysecretpassword}
DB_USER=${ZOU_DB_USER:-zou}
DB_PASSWORD=${ZOU_DB_PASSWORD:-zoupass}
DB_NAME=${ZOU_DB_NAME:-zoudb}
ACCESS_TTL=${ZOU_ACCESS_TOKEN_SECONDS:-}
REFRESH_TTL=${ZOU_REFRESH_TOKEN_SECONDS:-}
SEED=${ZOU_SEED:-1}
HOST=127.0.0.1
BASE_URL="http://$HOST:$PORT"

[ "$(id -u)" = 0 ] || { echo "zou-test-server.sh: run as root" >&2; exit 1; }
mkdir -p "$STATE"
cd /tmp   # commands run as the postgres user need a readable cwd

T_START=$(date +%s.%N)
TIMINGS=()
PHASE=setup
PHASE_LOGS=()
# fail MESSAGE: say what failed, show the end of the running phase's logs, exit 1.
fail() {
    local f
    echo "zou-test-server.sh: phase '$PHASE' failed: $1" >&2
    for f in "${PHASE_LOGS[@]}"; do
        [ -s "$f" ] && { echo "--- last lines of $f:" >&2; tail -n 30 "$f" | cut -c1-400 >&2; }
    done
    exit 1
}
trap 'fail "command exited with status $? (line $LINENO)"' ERR
# phase_start NAME [LOG...]: the logs are shown if the phase fails.
phase_start() { PHASE=$1; shift; PHASE_LOGS=("$@"); T0=$(date +%s.%N); echo "==> [$PHASE]"; }
phase_end() {
    local dt
    dt=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    TIMINGS+=("$(printf '%-10s %6ss  %s' "$PHASE" "$dt" "${1:-}")")
    echo "    $PHASE done in ${dt}s ${1:-}"
}
is_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_from() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }
http_ok() { python3 "$HERE/zou/http_ok.py" "$1" >/dev/null 2>&1; }  # exit 0 when GET $1 answers 200

# ---------------------------------------------------------------- 1. packages
phase_start apt "$STATE/apt.log"
need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || need+=(redis-server)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    echo "    installing: ${need[*]}"
    apt-get update -qq >"$STATE/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >>"$STATE/apt.log" 2>&1
    phase_end "(installed ${need[*]})"
else
    phase_end "(already installed)"
fi

# ---------------------------------------------------------------- 2. postgres
PGV=$(ls /usr/lib/postgresql | sort -V | tail -1)
phase_start postgres "/var/log/postgresql/postgresql-$PGV-main.log"
if ! pg_lsclusters -h | awk -v v="$PGV" '$1==v && $2=="main"{f=1} END{exit !f}'; then
    pg_createcluster "$PGV" main >/dev/null
fi
# Loopback only. A drop-in: `pg_conftool set listen_addresses` mangles the quoting.
mkdir -p "/etc/postgresql/$PGV/main/conf.d"
printf "# written by zou-test-server.sh\nlisten_addresses = '127.0.0.1'\n" >"/etc/postgresql/$PGV/main/conf.d/zou-loopback.conf"
read -r _ _ PGPORT PGSTATUS _ PGDATA _ < <(pg_lsclusters -h | awk -v v="$PGV" '$1==v && $2=="main"')
if [ "$PGSTATUS" != online ]; then
    pg_ctlcluster "$PGV" main start
    echo "$PGV main" >"$STATE/postgres.started"          # zou-test-server-down.sh stops it
    head -1 "$PGDATA/postmaster.pid" >"$STATE/postgres.pid"
    pgnote="(started cluster $PGV/main, pid $(cat "$STATE/postgres.pid"))"
else
    pgnote="(cluster $PGV/main already running; left as it is)"
fi
for _ in $(seq 1 30); do pg_isready -q -h "$HOST" -p "$PGPORT" && break; sleep 0.5; done
pg_isready -q -h "$HOST" -p "$PGPORT" || fail "postgres not ready on $HOST:$PGPORT"
as_pg() { runuser -u postgres -- "$@"; }
if ! as_pg psql -p "$PGPORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1; then
    as_pg psql -p "$PGPORT" -q -v ON_ERROR_STOP=1 -c "CREATE ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASSWORD'"
else
    as_pg psql -p "$PGPORT" -q -v ON_ERROR_STOP=1 -c "ALTER ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASSWORD'"
fi
if ! as_pg psql -p "$PGPORT" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
    as_pg createdb -p "$PGPORT" -O "$DB_USER" "$DB_NAME"
fi
phase_end "$pgnote"

# ---------------------------------------------------------------- 3. redis
phase_start redis "$STATE/redis.log"
RPID=$(pid_from "$STATE/redis.pid")
if is_alive "$RPID"; then
    rnote="(ours, pid $RPID, already running)"
elif redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    rnote="(a redis not started by zou-test-server.sh answers on $HOST:$REDIS_PORT; reused, never stopped)"
    rm -f "$STATE/redis.pid"
else
    redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
        --daemonize yes --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" \
        --dir "$STATE" --save '' --appendonly no
    for _ in $(seq 1 20); do redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.25; done
    redis-cli -h "$HOST" -p "$REDIS_PORT" ping | grep -q PONG
    rnote="(started, pid $(pid_from "$STATE/redis.pid"))"
fi
phase_end "$rnote"

# ---------------------------------------------------------------- 4. venv
phase_start venv "$STATE/pip.log"
have=""
[ -x "$VENV/bin/zou" ] && have=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("zou"))' 2>/dev/null || true)
if [ -z "$have" ] || { [ -n "$ZOU_VERSION" ] && [ "$have" != "$ZOU_VERSION" ]; }; then
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip wheel >"$STATE/pip.log" 2>&1
    "$VENV/bin/pip" install -q --disable-pip-version-check "zou${ZOU_VERSION:+==$ZOU_VERSION}" >>"$STATE/pip.log" 2>&1
    have=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("zou"))')
    phase_end "(installed zou $have)"
else
    phase_end "(zou $have already installed)"
fi

# ---------------------------------------------------------------- 5. config
[ -s "$STATE/secret_key" ] || { python3 -c 'import secrets; print(secrets.token_hex(32))' >"$STATE/secret_key"; chmod 600 "$STATE/secret_key"; }
mkdir -p "$STATE/previews" "$STATE/tmp" "$STATE/plugins"
# Zou puts EVENT_HANDLERS_FOLDER on sys.path and runs `import event_handlers`;
# gunicorn runs with cwd=$STATE, so an (empty) $STATE/event_handlers directory
# would import as a namespace package without event_map and kill every worker.
rmdir "$STATE/event_handlers" 2>/dev/null || true
cat >"$STATE/zou.env" <<EOF
# Environment for zou CLI and server, written by zou-test-server.sh. Source it: . $STATE/zou.env
export DB_HOST=$HOST DB_PORT=$PGPORT DB_USERNAME=$DB_USER DB_PASSWORD=$DB_PASSWORD DB_DATABASE=$DB_NAME
export KV_HOST=$HOST KV_PORT=$REDIS_PORT
export SECRET_KEY=$(cat "$STATE/secret_key")
export PREVIEW_FOLDER=$STATE/previews TMP_DIR=$STATE/tmp
export PLUGIN_FOLDER=$STATE/plugins EVENT_HANDLERS_FOLDER=$STATE/hooks   # no hooks: must not hold an event_handlers/ without event_map
# No mail server and no DNS here: without these, person creation/validation and
# notifications try to reach the network.
export MAIL_ENABLED=False MAIL_CHECK_DELIVERABILITY=False
# upgrade-db posts telemetry to CGWire unless told otherwise; keep it local.
export TELEMETRY_URL=http://127.0.0.1:9/telemetry
export EVENT_STREAM_HOST=$HOST INDEXER_HOST=$HOST
export DOMAIN_NAME=$HOST:$PORT DOMAIN_PROTOCOL=http
export ZOU_ACCESS_TOKEN_SECONDS=$ACCESS_TTL ZOU_REFRESH_TOKEN_SECONDS=$REFRESH_TTL
EOF
# gunicorn imports zou_wsgi:app from $STATE (its --chdir).
install -m 644 "$HERE/zou/zou_wsgi.py" "$STATE/zou_wsgi.py"
# shellcheck disable=SC1091
. "$STATE/zou.env"

# ---------------------------------------------------------------- 6. init
phase_start init "$STATE/init.log"
psql_zou() { PGPASSWORD=$DB_PASSWORD psql -h "$HOST" -p "$PGPORT" -U "$DB_USER" -d "$DB_NAME" -tAc "$1" 2>/dev/null || true; }
# init-db (alembic upgrade head) takes ~4 s even when current: skip it when this
# zou version already ran it on this database.
INIT_MARK="zou $have db $DB_NAME@$PGPORT"
if [ "$(cat "$STATE/init-db.done" 2>/dev/null)" = "$INIT_MARK" ] && [ "$(psql_zou 'SELECT count(*) FROM alembic_version')" = 1 ]; then
    : >"$STATE/init.log"
else
    "$VENV/bin/zou" init-db >"$STATE/init.log" 2>&1
    echo "$INIT_MARK" >"$STATE/init-db.done"
fi
if [ "$(psql_zou 'SELECT count(*) FROM task_status')" = 0 ]; then
    "$VENV/bin/zou" init-data >>"$STATE/init.log" 2>&1
    inote="init-db + init-data"
else
    inote="schema current; init-data already done"
fi
if [ "$(psql_zou "SELECT count(*) FROM person WHERE email='$ADMIN_EMAIL'")" = 0 ]; then
    "$VENV/bin/zou" create-admin "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" >>"$STATE/init.log" 2>&1
    inote="$inote, admin created"
else
    inote="$inote, admin exists"
fi
phase_end "($inote)"

# ---------------------------------------------------------------- 7. server
phase_start server "$STATE/gunicorn.log"
CFG="port=$PORT workers=$WORKERS access=$ACCESS_TTL refresh=$REFRESH_TTL venv=$VENV zou=$have"
GPID=$(pid_from "$STATE/gunicorn.pid")
if is_alive "$GPID" && [ "${ZOU_RESTART:-0}" != 1 ] && [ "$(cat "$STATE/gunicorn.cfg" 2>/dev/null)" = "$CFG" ] && http_ok "$BASE_URL/"; then
    snote="(already running, pid $GPID)"
else
    if is_alive "$GPID"; then
        kill -TERM "$GPID"
        for _ in $(seq 1 40); do is_alive "$GPID" || break; sleep 0.5; done
    fi
    if http_ok "$BASE_URL/" || { command -v ss >/dev/null && ss -Hltn "sport = :$PORT" | grep -q .; }; then
        fail "port $PORT is taken by a process zou-test-server.sh did not start"
    fi
    ctl=()
    "$VENV/bin/gunicorn" --help 2>/dev/null | grep -q -- --no-control-socket && ctl=(--no-control-socket)
    "$VENV/bin/gunicorn" --chdir "$STATE" --bind "$HOST:$PORT" --workers "$WORKERS" \
        --timeout 120 --graceful-timeout 10 "${ctl[@]}" \
        --pid "$STATE/gunicorn.pid" --access-logfile "$STATE/access.log" \
        --error-logfile "$STATE/gunicorn.log" --daemon zou_wsgi:app
    seen=""
    for _ in $(seq 1 120); do
        http_ok "$BASE_URL/" && break
        # gunicorn's master exits (and drops its pid file) when a worker
        # cannot boot: stop waiting then
        p=$(pid_from "$STATE/gunicorn.pid")
        if [ -n "$p" ]; then seen=$p; elif [ -n "$seen" ]; then break; fi
        [ -n "$seen" ] && ! is_alive "$seen" && break
        sleep 0.5
    done
    http_ok "$BASE_URL/" || fail "zou did not answer on $BASE_URL/"
    echo "$CFG" >"$STATE/gunicorn.cfg"
    snote="(started, master pid $(pid_from "$STATE/gunicorn.pid"))"
fi
phase_end "$snote"

# ---------------------------------------------------------------- 8. seed
if [ "$SEED" = 1 ]; then
phase_start seed
ZOU_URL=$BASE_URL ZOU_ADMIN_EMAIL=$ADMIN_EMAIL ZOU_ADMIN_PASSWORD=$ADMIN_PASSWORD ZOU_STATE_DIR=$STATE \
"$VENV/bin/python" "$HERE/zou/seed.py"
phase_end
fi

# ---------------------------------------------------------------- summary
cat >"$STATE/credentials.env" <<EOF
# written by zou-test-server.sh
ZOU_URL=$BASE_URL
ZOU_ADMIN_EMAIL=$ADMIN_EMAIL
ZOU_ADMIN_PASSWORD=$ADMIN_PASSWORD
ZOU_BOT_TOKEN_FILE=$STATE/bot_token
ZOU_SECRET_KEY_FILE=$STATE/secret_key
EOF
TOTAL=$(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
echo
echo "Timings:"
printf '  %s\n' "${TIMINGS[@]}"
echo "  total      ${TOTAL}s"
echo
echo "Zou $have is up on loopback only:"
echo "  base URL   $BASE_URL        (no /api prefix: that one is added by Kitsu's nginx)"
echo "  login      POST $BASE_URL/auth/login  {\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
echo "  admin      $ADMIN_EMAIL / $ADMIN_PASSWORD"
[ "$SEED" = 1 ] && echo "  users      alice@example.com / alicepass123 (user), bob@example.com / bobpass1234 (user), mia@example.com / miapass1234 (manager)"
[ "$SEED" = 1 ] && echo "  bot token  $STATE/bot_token (slackbot@example.com, never expires)"
[ "$SEED" = 1 ] && echo "  projects   Demo Feature, Demo Short (open), Demo Archive (closed); due dates around today"
echo "  tokens     access ${ACCESS_TTL:-604800}s, refresh ${REFRESH_TTL:-1296000}s  (Zou defaults: 604800 = 7 days, 1296000 = 15 days)"
echo "  postgres   $HOST:$PGPORT db=$DB_NAME user=$DB_USER password=$DB_PASSWORD"
echo "  redis      $HOST:$REDIS_PORT"
echo "  pids       gunicorn $(pid_from "$STATE/gunicorn.pid")  redis $(pid_from "$STATE/redis.pid")  postgres $(cat "$STATE/postgres.pid" 2>/dev/null || echo '(not ours)')"
echo "  state      $STATE (zou.env, logs, seed.json, credentials.env, secret_key)"
echo "  tests      TRACKERBOT_REQUIRE_ZOU=1 pytest -m zou   (ZOU_TEST_URL=$BASE_URL)"
if command -v ss >/dev/null; then
    echo "  listening:"
    ss -Hltn | awk -v p=":($PORT|$REDIS_PORT|$PGPORT)\$" '$4 ~ p {print "    " $4}'
fi
