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
#       them; the zou_wsgi.py wrapper written below patches its config module.
#       Changing them restarts gunicorn (about 5 s). CI keeps the defaults:
#       the tests sign expired tokens themselves (with $STATE/secret_key).
#   ZOU_SEED=1                    0 skips the test dataset
#   ZOU_RESTART=1                 force a gunicorn restart
set -Eeuo pipefail

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
http_ok() { # exit 0 when GET $1 answers 200
    python3 - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

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
cat >"$STATE/zou_wsgi.py" <<'EOF'
"""
WSGI entry point for Zou (written by zou-test-server.sh). Same as gunicorn's
zou.app:app, plus JWT lifetimes from the environment: Zou hard-codes
JWT_ACCESS_TOKEN_EXPIRES = 7 days and JWT_REFRESH_TOKEN_EXPIRES = 15 days in
zou/app/config.py and reads no variable for them, so the config module is
patched before the app is built. Unset or empty: Zou's defaults.
  ZOU_ACCESS_TOKEN_SECONDS   access-token lifetime in seconds
  ZOU_REFRESH_TOKEN_SECONDS  refresh-token lifetime in seconds
"""
import datetime
import os

from zou.app import config

_access = os.getenv("ZOU_ACCESS_TOKEN_SECONDS")
if _access:
    config.JWT_ACCESS_TOKEN_EXPIRES = datetime.timedelta(seconds=int(_access))
_refresh = os.getenv("ZOU_REFRESH_TOKEN_SECONDS")
if _refresh:
    config.JWT_REFRESH_TOKEN_EXPIRES = datetime.timedelta(seconds=int(_refresh))

from zou.app import create_app  # noqa: E402

app = create_app()
EOF
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
"$VENV/bin/python" - <<'PYEOF'
"""Idempotent demo dataset through the REST API (get-or-create by name)."""
import json, os, sys
from datetime import date, timedelta
import requests

BASE = os.environ["ZOU_URL"]
STATE = os.environ["ZOU_STATE_DIR"]
s = requests.Session()

def req(method, path, expect=(200, 201), **kw):
    r = s.request(method, BASE + path, timeout=30, **kw)
    if r.status_code not in expect:
        sys.exit(f"seed: {method} {path} -> {r.status_code} {r.text[:300]}")
    return r.json()

login = req("POST", "/auth/login", json={
    "email": os.environ["ZOU_ADMIN_EMAIL"], "password": os.environ["ZOU_ADMIN_PASSWORD"]})
s.headers["Authorization"] = "Bearer " + login["access_token"]
created = []

def by_name(items, name):
    return next((i for i in items if i["name"] == name), None)

# Asset types are global entity types; init-data made Character/Prop/...
asset_types = {}
for name in ["Character", "Prop", "Vehicle"]:
    at = by_name(req("GET", "/data/entity-types"), name)
    if at is None:
        at = req("POST", "/data/entity-types", json={"name": name}); created.append(f"asset type {name}")
    asset_types[name] = at["id"]

task_types = {t["name"]: t["id"] for t in req("GET", "/data/task-types")}
statuses = {t["short_name"]: t["id"] for t in req("GET", "/data/task-status")}

people = {}
for first, last, email, role, pw in [
    ("Alice", "Artist", "alice@example.com", "user", "alicepass123"),
    ("Bob", "Builder", "bob@example.com", "user", "bobpass1234"),
    ("Mia", "Manager", "mia@example.com", "manager", "miapass1234"),
]:
    p = next((x for x in req("GET", "/data/persons") if x["email"] == email), None)
    if p is None:
        p = req("POST", "/data/persons", json={
            "first_name": first, "last_name": last, "email": email, "role": role})
        created.append(f"person {email}")
    # Set the password only when it does not already work, so a re-run
    # leaves existing sessions alone (a fresh person has no password).
    if requests.post(BASE + "/auth/login", json={"email": email, "password": pw},
                     timeout=30).status_code != 200:
        req("POST", f"/actions/persons/{p['id']}/change-password",
            json={"password": pw, "password_2": pw})
    people[email] = {"id": p["id"], "password": pw, "role": role}

# A bot account: its token has no expiry (no exp claim) and is shown only
# when created. The saved token is kept while it still works; otherwise a PUT
# with expiration_date regenerates it (which revokes the previous one).
bot = next((x for x in req("GET", "/data/persons") if x["email"] == "slackbot@example.com"), None)
token_file = os.path.join(STATE, "bot_token")
old_token = open(token_file).read().strip() if os.path.exists(token_file) else ""
if bot is None:
    bot = req("POST", "/data/persons", json={
        "first_name": "Slack", "last_name": "Bot", "email": "slackbot@example.com",
        "is_bot": True, "role": "manager"})
    created.append("bot slackbot@example.com")
    bot_token = bot["access_token"]
elif old_token and requests.get(BASE + "/auth/authenticated", timeout=30,
        headers={"Authorization": "Bearer " + old_token}).status_code == 200:
    bot_token = old_token
else:
    bot = req("PUT", f"/data/persons/{bot['id']}", json={"expiration_date": None})
    bot_token = bot["access_token"]
    created.append("new bot token")

# Dates are relative to today and re-set on every run, so "overdue" stays
# true on a warm machine: tests compare the client with the raw rows anyway.
TODAY = date.today()
def day(offset):
    return (TODAY + timedelta(days=offset)).isoformat()

project_statuses = {p["name"]: p["id"] for p in req("GET", "/data/project-status")}
plan = {
    "Demo Feature": {"production_type": "feature", "status": "Open", "dates": (-60, 120), "assets": [
        ("Character", "Hero"), ("Character", "Villain"), ("Character", "Sidekick"),
        ("Prop", "Sword"), ("Prop", "Lantern"), ("Vehicle", "Airship")],
        # (asset, task type): due in days; Sword's modeling is done (so never overdue)
        "due": {("Hero", "Modeling"): -3, ("Villain", "Modeling"): 5, ("Sidekick", "Modeling"): 2,
                ("Sword", "Modeling"): -10},
        "assign": [("Hero", "alice@example.com", "wip", "Blocking out Hero."),
                   ("Villain", "bob@example.com", "wfa", "First pass ready for review."),
                   ("Sword", "alice@example.com", "done", "Approved, modeling done.")]},
    "Demo Short": {"production_type": "short", "status": "Open", "dates": (-20, 40), "assets": [
        ("Character", "Robot"), ("Character", "Cat"),
        ("Prop", "Teapot"), ("Vehicle", "Bicycle")],
        "due": {("Robot", "Modeling"): -1, ("Cat", "Modeling"): 3},
        "assign": [("Robot", "alice@example.com", "wip", "Blocking out Robot."),
                   ("Cat", "bob@example.com", "wfa", "First pass ready for review.")]},
    # A closed production: left out of /data/projects/open and of open tasks.
    "Demo Archive": {"production_type": "short", "status": "Closed", "dates": (-300, -100), "assets": [
        ("Prop", "Old Logo")],
        "due": {("Old Logo", "Modeling"): -120}, "assign": []},
}
out = {"base_url": BASE, "today": TODAY.isoformat(), "projects": {}, "persons": people,
       "bot": {"id": bot["id"], "email": "slackbot@example.com"}}
for pname, spec in plan.items():
    proj = next((p for p in req("GET", "/data/projects/all") if p["name"] == pname), None)
    if proj is None:
        proj = req("POST", "/data/projects", json={
            "name": pname, "production_type": spec["production_type"]})
        created.append(f"project {pname}")
    pid = proj["id"]
    start, end = spec["dates"]
    req("PUT", f"/data/projects/{pid}", json={
        "start_date": day(start), "end_date": day(end),
        "project_status_id": project_statuses[spec["status"]]})
    team = {t if isinstance(t, str) else t["id"] for t in req("GET", f"/data/projects/{pid}/team")}
    for pid_ in [v["id"] for v in people.values()] + [bot["id"]]:
        if pid_ not in team:
            req("POST", f"/data/projects/{pid}/team", json={"person_id": pid_})
    for tt in ["Modeling", "Shading"]:
        req("POST", f"/data/projects/{pid}/settings/task-types", json={"task_type_id": task_types[tt]})
    for at in asset_types.values():
        req("POST", f"/data/projects/{pid}/settings/asset-types", json={"asset_type_id": at})
    existing = {(a["entity_type_id"], a["name"]): a
                for a in req("GET", f"/data/assets/all?project_id={pid}")}
    assets = {}
    for tname, aname in spec["assets"]:
        a = existing.get((asset_types[tname], aname))
        if a is None:
            a = req("POST", f"/data/projects/{pid}/asset-types/{asset_types[tname]}/assets/new",
                    json={"name": aname, "description": f"{tname} {aname} ({pname})"})
            created.append(f"asset {pname}/{aname}")
        assets[aname] = a["id"]
    # Modeling on every asset; Shading on the characters. Skips existing tasks.
    req("POST", f"/actions/projects/{pid}/task-types/{task_types['Modeling']}/assets/create-tasks",
        json=list(assets.values()))
    chars = [assets[n] for t, n in spec["assets"] if t == "Character"]
    if chars:
        req("POST", f"/actions/projects/{pid}/task-types/{task_types['Shading']}/assets/create-tasks",
            json=chars)
    tasks = req("GET", f"/data/tasks?project_id={pid}&relations=true")  # relations: adds assignees
    out["projects"][pname] = {"id": pid, "status": spec["status"], "assets": assets, "tasks": len(tasks)}

    def task_for(asset, tt="Modeling"):
        return next(t for t in tasks if t["entity_id"] == assets[asset]
                    and t["task_type_id"] == task_types[tt])
    for (asset, tt), offset in spec["due"].items():
        req("PUT", f"/data/tasks/{task_for(asset, tt)['id']}", json={"due_date": day(offset)})
    # Assign, then comment once: the comment sets the status (wip, wfa, done).
    for asset, email, status, text in spec["assign"]:
        task = task_for(asset)
        if people[email]["id"] not in task["assignees"]:
            req("PUT", f"/actions/persons/{people[email]['id']}/assign", json={"task_ids": [task["id"]]})
        if not any(c["text"] == text for c in req("GET", f"/data/tasks/{task['id']}/comments")):
            req("POST", f"/actions/tasks/{task['id']}/comment",
                json={"task_status_id": statuses[status], "comment": text})
            created.append(f"comment on {pname}/{asset}")

with open(os.path.join(STATE, "seed.json"), "w") as f:
    json.dump(out, f, indent=1)
with open(os.path.join(STATE, "bot_token"), "w") as f:
    f.write(bot_token + "\n")
os.chmod(os.path.join(STATE, "bot_token"), 0o600)
counts = {k: len(req("GET", p)) for k, p in [
    ("projects", "/data/projects"), ("assets", "/data/assets/all"),
    ("tasks", "/data/tasks"), ("persons", "/data/persons"), ("comments", "/data/comments")]}
print("    created:", ", ".join(created) if created else "nothing (already seeded)")
print("    counts: ", json.dumps(counts))
PYEOF
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
