#!/usr/bin/env bash
# The deploy check (.ci/run runs it after the tests; README, Deploy). CI has no container runtime, so this
# does what the Dockerfile and Heroku do, outside a container, and fails unless the bot answers /healthz:
#   0. A newcomer: the README's install command (its Quick start's, read from the README: the one place it is
#      written), run as it is in a fresh copy of the tree, then one smoke test from the venv it made.
#   1. Heroku: a fresh venv installed from requirements.txt alone (`pip install -r`, as the Python buildpack
#      does), then the Procfile's `web` command run in a copy of the tree with Heroku's $DYNO set: with SQLite
#      and nothing else it must refuse to start in one line; with ALLOW_EPHEMERAL_SQLITE=true it must serve.
#   2. Container: the wheel built as the README says (`pip wheel --no-deps`), installed into that venv with
#      the Dockerfile's own command (requirements.txt as constraints), `pip check`, and nothing installed
#      that requirements.txt does not pin; then the Dockerfile's CMD, in an empty folder (the wheel, not
#      the source tree), health-checked with the Dockerfile's HEALTHCHECK command.
# Fake Slack settings, a temporary SQLite, a free port; nothing leaves the machine. About 30 s.
# PYTHON picks the interpreter (default: python3); it must be the version .python-version names.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
started=$(date +%s)
step() { printf '\n--> [%ss] check-deploy: %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { printf 'check-deploy FAILED: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d)
bot_pid=""
cleanup() {
  if [[ -n $bot_pid ]]; then kill "$bot_pid" 2>/dev/null || true; wait "$bot_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

wanted=$(tr -d '[:space:]' < "$root/.python-version")
running=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $running == "$wanted" ]] || fail "$python is Python $running; .python-version (Heroku, the Dockerfile) says $wanted"

# The Dockerfile's CMD and HEALTHCHECK, and the Procfile's web command, read from the files themselves.
dockerfile_exec() {  # the exec-form command of a Dockerfile instruction (CMD, HEALTHCHECK), one word a line
  "$python" - "$root/Dockerfile" "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
lines = [line for line in text.splitlines() if line.split(None, 1)[:1] == [sys.argv[2]]]
print("\n".join(json.loads(lines[-1].split("CMD", 1)[1] if sys.argv[2] == "HEALTHCHECK" else lines[-1].split(None, 1)[1])))
PY
}
mapfile -t docker_cmd < <(dockerfile_exec CMD)
mapfile -t health_cmd < <(dockerfile_exec HEALTHCHECK)
procfile_web=$(sed -n 's/^web:[[:space:]]*//p' "$root/Procfile")
[[ ${#docker_cmd[@]} -gt 0 && ${#health_cmd[@]} -gt 0 && -n $procfile_web ]] \
  || fail "could not read the Dockerfile's CMD and HEALTHCHECK and the Procfile's web command"

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# run_and_probe FOLDER LOG COMMAND...: start COMMAND in FOLDER with the fake settings in $env_args, then run
# the health check until it passes (30 s at most); fail if the bot exits first or never answers.
run_and_probe() {
  local folder=$1 log=$2; shift 2
  local port; port=$(free_port)
  (cd "$folder" && exec env -i "${env_args[@]}" PORT="$port" "$@") >"$log" 2>&1 &
  bot_pid=$!
  local deadline=$(( $(date +%s) + 30 )) answer=""
  while true; do
    if answer=$(cd "$folder" && env -i PATH="$venv/bin:/usr/bin:/bin" PORT="$port" "${health_cmd[@]}" 2>&1); then
      break
    fi
    kill -0 "$bot_pid" 2>/dev/null || { cat "$log" >&2; fail "'$*' exited before answering /healthz"; }
    (( $(date +%s) < deadline )) || { cat "$log" >&2; fail "'$*' did not answer /healthz within 30 s: $answer"; }
    sleep 0.5
  done
  echo "    /healthz answered 200 on port $port: '${health_cmd[*]}' passed"
  kill "$bot_pid"; wait "$bot_pid" 2>/dev/null || true; bot_pid=""
}

# only_pinned_installed: fail unless every package in the venv (but pip, setuptools and trackerbot) is one
# requirements.txt pins, at its pinned version: pip resolves what the file leaves out from the index, unpinned.
only_pinned_installed() {
  local extra
  extra=$("$venv/bin/python" -m pip list --format=freeze --exclude trackerbot --exclude pip --exclude setuptools \
    | "$python" -c '
import re, sys
key = lambda line: re.sub(r"[-_.]+", "-", line.split("==")[0].strip()).lower() + "==" + line.split("==")[1].strip()
pinned = {key(l) for l in open(sys.argv[1]) if re.match(r"[A-Za-z0-9]", l)}
print(" ".join(sorted({key(l) for l in sys.stdin if "==" in l} - pinned)))' "$root/requirements.txt")
  [[ -z $extra ]] || fail "installed, but not pinned at that version in requirements.txt: $extra"
}

# copy_tree FOLDER: the files git knows (tracked, or new and not ignored): a fresh clone, without build leftovers.
copy_tree() {
  mkdir "$1"
  git -C "$root" ls-files -z --cached --others --exclude-standard \
    | tar -C "$root" --null --files-from=- --ignore-failed-read -cf - 2>/dev/null | tar -C "$1" -xf -
  [[ -f $1/bot/__main__.py ]] || fail "could not copy the tree to $1"
}

# The README's install command: the first `pip install` line of the Quick start's bash block, its comment cut.
readme_install=$(sed -n '/^## Quick start/,/^## /p' "$root/README.md" \
  | sed -n '/^```bash/,/^```/p' | grep -m1 'pip install' | sed 's/[[:space:]]*#.*$//')
[[ -n $readme_install ]] || fail "no pip install line in the README's Quick start"

step "Newcomer: the README's install in a fresh copy of the tree: $readme_install"
copy_tree "$work/newcomer"
(cd "$work/newcomer" && PATH="$(dirname "$(command -v "$python")"):$PATH" bash -euc "$readme_install" >"$work/newcomer.log" 2>&1) \
  || { cat "$work/newcomer.log" >&2; fail "the README's install command failed: $readme_install"; }
(cd "$work/newcomer" && .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/console/test_console.py::test_the_installed_entry_point_runs_with_no_settings) \
  || fail "the smoke test failed in the venv the README's install made"
rm -rf "$work/newcomer"

venv="$work/venv"
base_env=(
  PATH="$venv/bin:/usr/bin:/bin" HOME="$work" LANG=C.UTF-8
  SLACK_BOT_TOKEN=xoxb-check-deploy SLACK_SIGNING_SECRET=check-deploy-signing-secret
  SLACK_API_URL=http://127.0.0.1:9/api/
)

step "Heroku: a fresh venv, installed from requirements.txt alone"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$root/requirements.txt"
"$venv/bin/python" -m pip check
only_pinned_installed
echo "    pip check passed; every installed package is pinned"

step "Heroku: the Procfile's '$procfile_web' in a copy of the tree, \$DYNO set"
app="$work/app"
copy_tree "$app"
read -r -a procfile_argv <<< "$procfile_web"
set +e
refusal=$(cd "$app" && env -i "${base_env[@]}" DYNO=web.1 DATABASE_URL="sqlite:///$work/heroku.db" PORT=1 \
  "${procfile_argv[@]}" 2>&1)
status=$?
set -e
[[ $status -eq 2 && $(wc -l <<< "$refusal") -eq 1 && $refusal == "trackerbot cannot start: DATABASE_URL is SQLite"* ]] \
  || fail "on Heroku with SQLite the bot should stop with one line (exit 2), got exit $status: $refusal"
echo "    refused in one line: $refusal"
env_args=("${base_env[@]}" DYNO=web.1 ALLOW_EPHEMERAL_SQLITE=true DATABASE_URL="sqlite:///$work/heroku.db")
run_and_probe "$app" "$work/heroku.log" "${procfile_argv[@]}"

step "Container: the wheel, installed with the Dockerfile's command"
copy_tree "$work/src"  # built from a clean copy: no stale build/ in the tree, nothing written to it
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$work/dist" "$work/src"
wheels=("$work"/dist/trackerbot-*.whl)
[[ ${#wheels[@]} -eq 1 && -f ${wheels[0]} ]] || fail "expected one trackerbot wheel, got: ${wheels[*]}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --constraint "$root/requirements.txt" "${wheels[0]}"
"$venv/bin/python" -m pip check
only_pinned_installed
echo "    pip check passed; every installed package is pinned"

step "Container: the Dockerfile's CMD '${docker_cmd[*]}' in an empty folder"
empty="$work/empty"
mkdir "$empty"
env_args=("${base_env[@]}" DATABASE_URL="sqlite:///$work/container.db")
run_and_probe "$empty" "$work/container.log" "${docker_cmd[@]}"
grep -q "site-packages" <(cd "$empty" && env -i "${env_args[@]}" python -c 'import bot; print(bot.__file__)') \
  || fail "python -m bot did not run the installed wheel"

step "done: the pinned install serves /healthz, the Heroku way and the container way"
