"""Idempotent demo dataset through Zou's REST API (get-or-create by name), for the real-Zou tests.

Run by scripts/zou-test-server.sh with the Zou virtualenv's Python (it has `requests`), once Zou
answers. Reads ZOU_URL, ZOU_ADMIN_EMAIL, ZOU_ADMIN_PASSWORD and ZOU_STATE_DIR; writes
$ZOU_STATE_DIR/seed.json (what tests/trackers/test_kitsu_zou.py compares with) and
$ZOU_STATE_DIR/bot_token (the bot account's never-expiring token).
"""

import json
import os
import sys
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


login = req(
    "POST", "/auth/login", json={"email": os.environ["ZOU_ADMIN_EMAIL"], "password": os.environ["ZOU_ADMIN_PASSWORD"]}
)
s.headers["Authorization"] = "Bearer " + login["access_token"]
created = []


def by_name(items, name):
    return next((i for i in items if i["name"] == name), None)


# Asset types are global entity types; init-data made Character/Prop/...
asset_types = {}
for name in ["Character", "Prop", "Vehicle"]:
    at = by_name(req("GET", "/data/entity-types"), name)
    if at is None:
        at = req("POST", "/data/entity-types", json={"name": name})
        created.append(f"asset type {name}")
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
        p = req("POST", "/data/persons", json={"first_name": first, "last_name": last, "email": email, "role": role})
        created.append(f"person {email}")
    # Set the password only when it does not already work, so a re-run
    # leaves existing sessions alone (a fresh person has no password).
    if requests.post(BASE + "/auth/login", json={"email": email, "password": pw}, timeout=30).status_code != 200:
        req("POST", f"/actions/persons/{p['id']}/change-password", json={"password": pw, "password_2": pw})
    people[email] = {"id": p["id"], "password": pw, "role": role}

# A bot account: its token has no expiry (no exp claim) and is shown only
# when created. The saved token is kept while it still works; otherwise a PUT
# with expiration_date regenerates it (which revokes the previous one).
bot = next((x for x in req("GET", "/data/persons") if x["email"] == "slackbot@example.com"), None)
token_file = os.path.join(STATE, "bot_token")
old_token = ""
if os.path.exists(token_file):
    with open(token_file) as saved:
        old_token = saved.read().strip()
if bot is None:
    bot = req(
        "POST",
        "/data/persons",
        json={
            "first_name": "Slack",
            "last_name": "Bot",
            "email": "slackbot@example.com",
            "is_bot": True,
            "role": "manager",
        },
    )
    created.append("bot slackbot@example.com")
    bot_token = bot["access_token"]
elif (
    old_token
    and requests.get(
        BASE + "/auth/authenticated", timeout=30, headers={"Authorization": "Bearer " + old_token}
    ).status_code
    == 200
):
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
    "Demo Feature": {
        "production_type": "feature",
        "status": "Open",
        "dates": (-60, 120),
        "assets": [
            ("Character", "Hero"),
            ("Character", "Villain"),
            ("Character", "Sidekick"),
            ("Prop", "Sword"),
            ("Prop", "Lantern"),
            ("Vehicle", "Airship"),
        ],
        # (asset, task type): due in days; Sword's modeling is done (so never overdue)
        "due": {
            ("Hero", "Modeling"): -3,
            ("Villain", "Modeling"): 5,
            ("Sidekick", "Modeling"): 2,
            ("Sword", "Modeling"): -10,
        },
        "assign": [
            ("Hero", "alice@example.com", "wip", "Blocking out Hero."),
            ("Villain", "bob@example.com", "wfa", "First pass ready for review."),
            ("Sword", "alice@example.com", "done", "Approved, modeling done."),
        ],
    },
    "Demo Short": {
        "production_type": "short",
        "status": "Open",
        "dates": (-20, 40),
        "assets": [("Character", "Robot"), ("Character", "Cat"), ("Prop", "Teapot"), ("Vehicle", "Bicycle")],
        "due": {("Robot", "Modeling"): -1, ("Cat", "Modeling"): 3},
        "assign": [
            ("Robot", "alice@example.com", "wip", "Blocking out Robot."),
            ("Cat", "bob@example.com", "wfa", "First pass ready for review."),
        ],
    },
    # A closed production: left out of /data/projects/open and of open tasks.
    "Demo Archive": {
        "production_type": "short",
        "status": "Closed",
        "dates": (-300, -100),
        "assets": [("Prop", "Old Logo")],
        "due": {("Old Logo", "Modeling"): -120},
        "assign": [],
    },
}
out = {
    "base_url": BASE,
    "today": TODAY.isoformat(),
    "projects": {},
    "persons": people,
    "bot": {"id": bot["id"], "email": "slackbot@example.com"},
}
for pname, spec in plan.items():
    proj = next((p for p in req("GET", "/data/projects/all") if p["name"] == pname), None)
    if proj is None:
        proj = req("POST", "/data/projects", json={"name": pname, "production_type": spec["production_type"]})
        created.append(f"project {pname}")
    pid = proj["id"]
    start, end = spec["dates"]
    req(
        "PUT",
        f"/data/projects/{pid}",
        json={"start_date": day(start), "end_date": day(end), "project_status_id": project_statuses[spec["status"]]},
    )
    team = {t if isinstance(t, str) else t["id"] for t in req("GET", f"/data/projects/{pid}/team")}
    for pid_ in [v["id"] for v in people.values()] + [bot["id"]]:
        if pid_ not in team:
            req("POST", f"/data/projects/{pid}/team", json={"person_id": pid_})
    for tt in ["Modeling", "Shading"]:
        req("POST", f"/data/projects/{pid}/settings/task-types", json={"task_type_id": task_types[tt]})
    for at in asset_types.values():
        req("POST", f"/data/projects/{pid}/settings/asset-types", json={"asset_type_id": at})
    existing = {(a["entity_type_id"], a["name"]): a for a in req("GET", f"/data/assets/all?project_id={pid}")}
    assets = {}
    for tname, aname in spec["assets"]:
        a = existing.get((asset_types[tname], aname))
        if a is None:
            a = req(
                "POST",
                f"/data/projects/{pid}/asset-types/{asset_types[tname]}/assets/new",
                json={"name": aname, "description": f"{tname} {aname} ({pname})"},
            )
            created.append(f"asset {pname}/{aname}")
        assets[aname] = a["id"]
    # Modeling on every asset; Shading on the characters. Skips existing tasks.
    req(
        "POST",
        f"/actions/projects/{pid}/task-types/{task_types['Modeling']}/assets/create-tasks",
        json=list(assets.values()),
    )
    chars = [assets[n] for t, n in spec["assets"] if t == "Character"]
    if chars:
        req("POST", f"/actions/projects/{pid}/task-types/{task_types['Shading']}/assets/create-tasks", json=chars)
    tasks = req("GET", f"/data/tasks?project_id={pid}&relations=true")  # relations: adds assignees
    out["projects"][pname] = {"id": pid, "status": spec["status"], "assets": assets, "tasks": len(tasks)}

    def task_for(asset, tt="Modeling", tasks=tasks, assets=assets):
        return next(t for t in tasks if t["entity_id"] == assets[asset] and t["task_type_id"] == task_types[tt])

    for (asset, tt), offset in spec["due"].items():
        req("PUT", f"/data/tasks/{task_for(asset, tt)['id']}", json={"due_date": day(offset)})
    # Assign, then comment once: the comment sets the status (wip, wfa, done).
    for asset, email, status, text in spec["assign"]:
        task = task_for(asset)
        if people[email]["id"] not in task["assignees"]:
            req("PUT", f"/actions/persons/{people[email]['id']}/assign", json={"task_ids": [task["id"]]})
        if not any(c["text"] == text for c in req("GET", f"/data/tasks/{task['id']}/comments")):
            req(
                "POST",
                f"/actions/tasks/{task['id']}/comment",
                json={"task_status_id": statuses[status], "comment": text},
            )
            created.append(f"comment on {pname}/{asset}")

with open(os.path.join(STATE, "seed.json"), "w") as f:
    json.dump(out, f, indent=1)
with open(os.path.join(STATE, "bot_token"), "w") as f:
    f.write(bot_token + "\n")
os.chmod(os.path.join(STATE, "bot_token"), 0o600)
counts = {
    k: len(req("GET", p))
    for k, p in [
        ("projects", "/data/projects"),
        ("assets", "/data/assets/all"),
        ("tasks", "/data/tasks"),
        ("persons", "/data/persons"),
        ("comments", "/data/comments"),
    ]
}
print("    created:", ", ".join(created) if created else "nothing (already seeded)")
print("    counts: ", json.dumps(counts))
