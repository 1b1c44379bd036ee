"""The deploy files (README, Deploy), each checked for what would break a deploy: requirements.txt agrees with
pyproject.toml; the Dockerfile runs as non-root, copies only the wheel and the pins, and has a health check
without curl; .dockerignore keeps secrets out of the build; compose.yaml wires DATABASE_URL to its PostgreSQL;
the systemd unit has its keys and passes systemd's own check; .env.example lists every setting.
scripts/check-deploy.sh (run by .ci/run) installs and starts the real thing."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from bot.running import healthcheck
from bot.running.platform import EPHEMERAL_DISK_PLATFORMS
from bot.settings import TRACKER_SETTINGS, SettingsError, load_settings, setting_names
from bot.store.engine import database_url

ROOT = Path(__file__).resolve().parents[2]


# --- requirements.txt -----------------------------------------------------------------------------------------
def _pin_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pin_requirements", ROOT / "scripts" / "pin_requirements.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_requirements_txt_agrees_with_pyproject() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pin_requirements.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _check(tmp_path: Path, requirements: str, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    path = tmp_path / "requirements.txt"
    path.write_text(requirements)
    problems: list[str] = _pin_script().check(pyproject, path)
    return problems


def _pins() -> str:
    return (ROOT / "requirements.txt").read_text()


def test_a_package_missing_from_the_closure_is_named(tmp_path: Path) -> None:
    # tenacity is no dependency of ours, only of stamina's: the closure, not just the direct list.
    problems = _check(tmp_path, re.sub(r"(?m)^tenacity==.*$", "", _pins()))
    assert problems == ["tenacity is needed but not pinned"]


def test_a_pin_outside_pyprojects_specifier_is_named(tmp_path: Path) -> None:
    problems = _check(tmp_path, re.sub(r"(?m)^httpx==.*$", "httpx==0.27.2", _pins()))
    assert "httpx==0.27.2 does not satisfy pyproject.toml's httpx<0.29,>=0.28" in problems


def test_a_pin_outside_a_dependents_specifier_is_named(tmp_path: Path) -> None:
    problems = _check(tmp_path, re.sub(r"(?m)^slack-sdk==.*$", "slack-sdk==3.37.0", _pins()))
    assert any("does not satisfy slack-bolt's slack-sdk" in problem for problem in problems), problems


def test_a_loose_line_or_a_stray_pin_is_named(tmp_path: Path) -> None:
    loose = re.sub(r"(?m)^cachetools==.*$", "cachetools>=5.3", _pins()) + "requests==2.32.3\n-e .\n"
    problems = _check(tmp_path, loose)
    assert any("'cachetools>=5.3' is not an exact pin" in problem for problem in problems), problems
    assert any("'-e .' is not an exact pin" in problem for problem in problems), problems
    assert "requests==2.32.3 is pinned but nothing needs it" in problems


def test_a_dependency_added_to_pyproject_but_not_pinned_is_named(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text()
    pyproject.write_text(text.replace("dependencies = [\n", 'dependencies = [\n    "types-PyYAML",\n', 1))
    assert _check(tmp_path, _pins(), pyproject) == ["types-PyYAML is needed but not pinned"]


def test_constraints_pin_the_test_and_dev_tools_too(tmp_path: Path) -> None:
    constraints = (ROOT / "constraints.txt").read_text()
    for tool in ("pytest", "hypothesis", "ruff", "mypy", "import-linter", "pytest-asyncio", "pre-commit"):
        assert re.search(rf"(?m)^{tool}==\S+$", constraints), tool
    path = tmp_path / "constraints.txt"
    path.write_text(re.sub(r"(?m)^pytest==.*$", "", constraints))
    assert _pin_script().check(ROOT / "pyproject.toml", path, ("test", "dev")) == ["pytest is needed but not pinned"]


def test_constraints_and_requirements_pin_the_runtime_alike() -> None:
    script = _pin_script()
    runtime, _ = script.read_pins(_pins())
    tools, _ = script.read_pins((ROOT / "constraints.txt").read_text())
    assert runtime and {name: tools.get(name) for name in runtime} == runtime


def test_python_version_is_the_one_everything_runs() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    assert version == "3.11"
    assert f"Linux, CPython {version}" in _pins()
    assert f"FROM python:{version}-slim" in _dockerfile_text()


# --- Dockerfile and .dockerignore -------------------------------------------------------------------------------
def _dockerfile_text() -> str:
    return (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n(\s*#.*\n)*", " ", _dockerfile_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    steps = _instructions()
    users = [arguments for instruction, arguments in steps if instruction == "USER"]
    assert users, "no USER: the bot would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0  # numeric, so runAsNonRoot can check it
    last_user = max(i for i, (instruction, _) in enumerate(steps) if instruction == "USER")
    assert not [i for i, (instruction, _) in enumerate(steps) if instruction in ("CMD", "ENTRYPOINT") and i < last_user]


def test_the_image_copies_only_the_wheel_and_the_pins() -> None:
    steps = _instructions()
    assert not [arguments for instruction, arguments in steps if instruction == "ADD"]
    copied = [arguments.split()[:-1] for instruction, arguments in steps if instruction == "COPY"]
    assert copied == [["requirements.txt", "dist/trackerbot-*.whl"]]
    install = next(arguments for instruction, arguments in steps if "pip install" in arguments)
    assert "--constraint /tmp/install/requirements.txt /tmp/install/trackerbot-*.whl" in install
    assert "pip check" in install


def test_the_image_health_check_needs_no_curl_and_the_entrypoint_is_python_m_bot() -> None:
    steps = dict(_instructions())
    options, _, command = steps["HEALTHCHECK"].partition("CMD ")
    assert "--timeout=" in options and "--interval=" in options
    argv = json.loads(command)
    assert argv == ["python", "-m", "bot.running.healthcheck"]
    assert json.loads(steps["CMD"]) == ["python", "-m", "bot"]
    assert not [arguments for _, arguments in _instructions() if "curl" in arguments or "wget" in arguments]
    assert steps["FROM"].endswith("-slim")


def _sent_to_docker(path: str) -> bool:
    """Whether .dockerignore lets `path` into the build context (its rules in order, the last match wins)."""
    sent = True
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        if fnmatch.fnmatch(path, rule.lstrip("!")):
            sent = negated
    return sent


@pytest.mark.parametrize("path", [".env", ".git", "trackerbot.db", "bot/settings.py", "dist/other.whl", ".venv"])
def test_dockerignore_keeps_secrets_and_source_out_of_the_build(path: str) -> None:
    assert not _sent_to_docker(path)


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    assert _sent_to_docker("requirements.txt")
    assert _sent_to_docker("dist/trackerbot-0.1.0-py3-none-any.whl")


# --- compose.yaml ---------------------------------------------------------------------------------------------
def _interpolated(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, from `variables` (as from .env)."""
    return re.sub(r"\$\{(\w+)(?::[-?][^}]*)?\}", lambda m: variables[m[1]], value)


def test_compose_runs_the_bot_on_its_postgresql() -> None:
    text = (ROOT / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    bot, (db_name, db) = services["bot"], next((n, s) for n, s in services.items() if "postgres" in s.get("image", ""))
    dotenv = {"POSTGRES_PASSWORD": "from-dotenv-7"}
    url = database_url(_interpolated(bot["environment"]["DATABASE_URL"], dotenv))
    assert url.drivername == "postgresql+psycopg"
    assert url.host == db_name and url.port in (None, 5432)
    db_env = {name: _interpolated(value, dotenv) for name, value in db["environment"].items()}
    assert (url.username, url.password, url.database) == (
        db_env["POSTGRES_USER"],
        db_env["POSTGRES_PASSWORD"],
        db_env["POSTGRES_DB"],
    )
    assert url.password == "from-dotenv-7"  # the password comes from .env, both sides
    assert "${POSTGRES_PASSWORD:-" not in text  # and there is no default one to forget to change
    assert bot["depends_on"][db_name]["condition"] == "service_healthy" and "healthcheck" in db
    assert bot["env_file"] == ".env"
    assert bot["build"] == "."
    volume = db["volumes"][0].split(":")
    assert volume[0] in compose["volumes"] and volume[1] == "/var/lib/postgresql/data"  # kept across restarts
    assert "ports" not in db  # PostgreSQL is reachable from the bot, not from outside


# --- deploy/trackerbot.service ---------------------------------------------------------------------------------
def _unit() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = ""
    for raw in (ROOT / "deploy" / "trackerbot.service").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
            continue
        key, _, value = line.partition("=")
        sections[current].setdefault(key, []).append(value)
    return sections


def test_the_systemd_unit_runs_the_venv_as_a_sandboxed_non_root_user() -> None:
    service = {key: values[-1] for key, values in _unit()["Service"].items()}
    assert service["User"] not in ("", "root", "0")
    assert re.fullmatch(r"/\S+/venv/bin/python -m bot", service["ExecStart"])
    assert service["EnvironmentFile"].startswith("/etc/")
    assert service["Restart"] in ("on-failure", "always")
    assert service["RestartPreventExitStatus"] == "2"  # a refused setting: restarting will not fix it
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
    }.items():
        assert service[key] == value, key
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"  # writable under ProtectSystem
    assert _unit()["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_unit_and_compose_give_the_bot_descriptors_for_its_whole_connection_cap() -> None:
    """The bot keeps at most half its descriptor limit in connections, up to MAX_CONNECTIONS
    (bot.running.web.connection_cap): both ways of deploying it raise the limit so the cap is whole."""
    from bot.running.web import MAX_CONNECTIONS

    assert int(_unit()["Service"]["LimitNOFILE"][-1]) >= 2 * MAX_CONNECTIONS
    nofile = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["bot"]["ulimits"]["nofile"]
    assert min(nofile["soft"], nofile["hard"]) >= 2 * MAX_CONNECTIONS


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_line_of_the_unit(tmp_path: Path) -> None:
    # Its ExecStart pointed at an interpreter that exists here; systemd names any key or value it would ignore.
    text = (ROOT / "deploy" / "trackerbot.service").read_text()
    unit = tmp_path / "trackerbot.service"
    unit.write_text(re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={sys.executable}", text))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    # systemd's own exposure score (0 to 10; 1.3 today, "OK" below 5): 2.0 or more means sandboxing was lost.
    score = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert score.returncode == 0, score.stdout.splitlines()[-1:]


# --- .env.example ---------------------------------------------------------------------------------------------
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}  # read by compose.yaml from .env, not by the bot
SETTING_LINE = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$")


def _example_lines() -> list[str]:
    return (ROOT / ".env.example").read_text().splitlines()


def test_env_example_lists_every_setting_each_with_a_comment() -> None:
    lines = _example_lines()
    listed: dict[str, int] = {}
    for number, line in enumerate(lines):
        match = SETTING_LINE.match(line)
        if match:
            assert match[1] not in listed, f"{match[1]} is listed twice"
            listed[match[1]] = number
    assert set(listed) - COMPOSE_ONLY == set(setting_names()), "every setting, and nothing that is not one"
    for name, number in listed.items():
        above = lines[number - 1]
        assert above.startswith("# ") and not SETTING_LINE.match(above), f"{name} has no comment line above it"


def test_an_untouched_env_example_runs_the_console_but_not_slack_and_a_filled_in_one_loads(tmp_path: Path) -> None:
    assert load_settings(_env_file=ROOT / ".env.example").SLACK_BOT_TOKEN is None  # the console needs no Slack
    with pytest.raises(SettingsError) as caught:
        load_settings("serve", _env_file=ROOT / ".env.example")
    assert caught.value.problems == [
        f"{name} is missing: set it to the value from your Slack app's settings (in .env: {name} is empty)"
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    ]
    filled = tmp_path / ".env"
    text = (ROOT / ".env.example").read_text()
    text = text.replace("SLACK_BOT_TOKEN=\n", "SLACK_BOT_TOKEN=xoxb-1\n")
    filled.write_text(text.replace("SLACK_SIGNING_SECRET=\n", "SLACK_SIGNING_SECRET=s\n"))
    settings = load_settings(_env_file=filled)
    settings.check_slack("serve")


# The trackers' URLs are shapes to follow, not defaults.
EXAMPLE_VALUES = {name for kind in TRACKER_SETTINGS for name in kind.model_fields if name.endswith("_URL")}


def test_a_value_env_example_shows_commented_out_is_the_default() -> None:
    defaults = load_settings(_env_file=None)
    shown = [m for line in _example_lines() if line.startswith("# ") and (m := SETTING_LINE.match(line)) and m[2]]
    assert len(shown) > 10
    for match in shown:
        if match[1] not in EXAMPLE_VALUES:
            value = load_settings(_env_file=None, **{match[1]: match[2]}).value(match[1])
            assert value == defaults.value(match[1]), match[1]


# --- the health check -------------------------------------------------------------------------------------------
@pytest.fixture
def healthz() -> Iterator[tuple[int, list[int]]]:
    """A stand-in /healthz on a free port answering the status last put in the list (200 at first)."""
    statuses = [200]
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            self.send_response(statuses[-1] if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], statuses
    finally:
        server.shutdown()
        server.server_close()
    assert set(paths) <= {"/healthz"}


def test_the_health_check_passes_on_200_and_fails_otherwise(healthz: tuple[int, list[int]]) -> None:
    port, statuses = healthz
    assert healthcheck.probe(str(port)) is None
    statuses.append(503)
    assert healthcheck.probe(str(port)) == f"trackerbot health check: http://127.0.0.1:{port}/healthz answered HTTP 503"


def test_the_health_check_fails_in_one_line_when_nothing_answers_or_port_is_junk() -> None:
    closed = _closed_port()
    refused = healthcheck.probe(str(closed))
    assert refused is not None and refused.startswith(f"trackerbot health check: http://127.0.0.1:{closed}/healthz")
    junk = healthcheck.probe("3000/../../admin?x=")
    assert junk is not None and "\n" not in junk


def test_the_health_check_ignores_proxies_in_the_environment(
    healthz: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _ = healthz
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert healthcheck.probe(str(port)) is None


def test_the_health_check_command_exits_0_or_1(healthz: tuple[int, list[int]]) -> None:
    port, statuses = healthz
    command = [sys.executable, "-m", "bot.running.healthcheck"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PORT": str(port)}
    passed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (passed.returncode, passed.stderr) == (0, "")
    statuses.append(500)
    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1 and "HTTP 500" in failed.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- CI ---------------------------------------------------------------------------------------------------------
def test_ci_runs_the_deploy_check_after_the_tests() -> None:
    text = (ROOT / ".ci" / "run").read_text()
    assert text.index("python -m pytest") < text.index("bash scripts/check-deploy.sh")


# --- README ---------------------------------------------------------------------------------------------------
def test_the_readme_deploy_section_warns_about_sqlite_and_covers_every_way() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    assert "SQLite on an ephemeral disk loses data" in section and "Use PostgreSQL there" in section
    assert "ALLOW_EPHEMERAL_SQLITE=true" in section
    for way in ("### Heroku", "### A container platform", "### A VM (systemd)", "### The Slack app"):
        assert way in section
    assert "app-manifest.yml" in section and "/invite @trackerbot" in section
    # Every platform the bot refuses SQLite on is named there.
    for variable, _ in EPHEMERAL_DISK_PLATFORMS:
        assert f"`{variable}`" in section, variable
