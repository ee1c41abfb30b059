"""The deployment files parse and say what the README says: compose, Dockerfile, nginx, app.json,
Procfile and the HTTP manifest. Docker itself is used only where `docker compose` works."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.server import EVENTS_PATH, HEALTH_PATH

ROOT = Path(__file__).resolve().parents[1]
BOTS = ("bot-1", "bot-2")
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|make|cc|libc6-dev|python3?-dev)\b")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def docker_compose_works() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


# -- docker-compose.yml -------------------------------------------------------------------
@pytest.mark.skipif(not docker_compose_works(), reason="`docker compose` is not available")
def test_docker_compose_config_is_valid() -> None:
    done = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def env_files(service: dict[str, Any]) -> list[str]:
    files = service.get("env_file") or []
    if isinstance(files, str | dict):
        files = [files]
    return [item["path"] if isinstance(item, dict) else item for item in files]


def test_postgres_service_has_healthcheck_and_volume() -> None:
    doc = compose()
    pg = doc["services"]["postgres"]
    assert pg["image"].startswith("postgres:16")
    test = pg["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    mounts = [str(v) for v in pg["volumes"]]
    data = [m for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert len(data) == 1
    volume = data[0].split(":", 1)[0]
    assert volume in (doc.get("volumes") or {}), "a named volume, declared at top level"
    assert "ports" not in pg, "the database is not published"


def test_two_bot_replicas_share_one_image_and_postgres() -> None:
    services = compose()["services"]
    bots = [services[name] for name in BOTS]
    assert bots[0]["build"] == bots[1]["build"]
    assert bots[0]["image"] == bots[1]["image"]
    assert sorted(name for name in services if name.startswith("bot")) == list(BOTS)
    pg_env = services["postgres"]["environment"]
    for bot in bots:
        url = env_of(bot)["DATABASE_URL"]
        assert re.fullmatch(r"postgres(ql)?://[^@/]+@postgres:5432/[\w$-]+", url), url
        assert pg_env["POSTGRES_USER"] in url and pg_env["POSTGRES_DB"] in url
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert ".env" in env_files(bot)
        assert "ports" not in bot, "replicas are reached through the proxy only"
        assert bot.get("command") in (None, ["mlops-bot", "serve"], "mlops-bot serve")


def test_one_published_port_on_the_proxy_only() -> None:
    services = compose()["services"]
    published = {name: svc["ports"] for name, svc in services.items() if svc.get("ports")}
    assert list(published) == ["proxy"]
    (port,) = published["proxy"]
    container_port = str(port).rsplit(":", 1)[-1]
    listen = re.findall(r"^\s*listen\s+(\d+)\s*;", nginx_conf(), re.MULTILINE)
    assert listen == [container_port]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert set(BOTS) <= set(services["proxy"]["depends_on"])


def test_compose_explains_the_database_claim() -> None:
    text = (ROOT / "docker-compose.yml").read_text().lower()
    assert "claim" in text and "once" in text


# -- deploy/nginx.conf --------------------------------------------------------------------
def nginx_conf() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def test_nginx_round_robins_slack_and_healthz_to_both_replicas() -> None:
    conf = re.sub(r"#.*", "", nginx_conf())
    assert conf.count("{") == conf.count("}")
    upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", conf, re.DOTALL)
    assert upstream is not None
    name, body = upstream.groups()
    servers = re.findall(r"^\s*server\s+(\S+)", body, re.MULTILINE)
    assert servers == ["bot-1:3000", "bot-2:3000"]
    assert not re.search(r"\b(ip_hash|hash|least_conn|random)\b", body), "round-robin"
    locations = dict(re.findall(r"location\s+(?:=\s*)?(\S+)\s*\{([^}]*)\}", conf))
    assert EVENTS_PATH.startswith("/slack/")
    for path in ("/slack/", HEALTH_PATH):
        assert f"proxy_pass http://{name};" in locations[path]
    assert "/metrics" not in locations, "per-replica metrics are not round-robined"
    assert "return 404" in locations["/"]


# -- Dockerfile ---------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        lines.append(current)
        current = ""
    out = []
    for line in lines:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages() -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    global_args: dict[str, str] = {}
    found: list[list[tuple[str, str]]] = []
    for word, rest in dockerfile():
        if word == "FROM":
            found.append([])
        elif not found and word == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            global_args[key] = value
        if found:
            found[-1].append((word, rest))
    return global_args, found


def base_image(global_args: dict[str, str], from_args: str) -> str:
    image = from_args.split()[0]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args[m[1] or m[2]], image)


def test_dockerfile_is_multi_stage_with_a_slim_final_stage() -> None:
    global_args, found = stages()
    assert len(found) >= 2
    final = found[-1]
    assert base_image(global_args, final[0][1]) == "python:3.11-slim"
    builder_names = [re.search(r"\bAS\s+(\S+)", s[0][1], re.IGNORECASE) for s in found[:-1]]
    names = {m[1] for m in builder_names if m}
    copied = [rest for word, rest in final if word == "COPY" and "--from=" in rest]
    assert copied and all(re.search(r"--from=(\S+)", c)[1] in names for c in copied)  # type: ignore[index]


def test_final_stage_has_no_compilers() -> None:
    _, found = stages()
    for word, rest in found[-1]:
        if word == "RUN":
            assert not COMPILERS.search(rest), rest
    builder_runs = " ".join(rest for stage in found[:-1] for word, rest in stage if word == "RUN")
    assert "build-essential" in builder_runs, "the builder is where build tools belong"


def test_final_stage_runs_as_non_root_and_checks_health() -> None:
    _, found = stages()
    final = dict(found[-1][1:])  # the last of each instruction wins, as in Docker
    user = final["USER"].split(":")[0]
    assert user not in {"root", "0"}
    assert final["EXPOSE"].split() == ["3000"]
    assert json.loads(final["CMD"]) == ["mlops-bot", "serve"]
    health = final["HEALTHCHECK"]
    assert "CMD" in health
    check = json.loads(health[health.index("[") :])
    assert check[0] == "python", "slim has no curl"
    assert "127.0.0.1:" in check[-1] and "/healthz" in check[-1] and "'3000'" in check[-1]
    assert not re.search(r"\b(curl|wget)\b", health)
    env = " ".join(rest for word, rest in found[-1] if word == "ENV")
    assert "MLOPS_CONTENT_DIR=/app/content" in env, "the catalog is outside the installed package"


def test_dockerignore_keeps_secrets_and_junk_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", ".git"} <= ignored
    copied = [rest for word, rest in dockerfile() if word == "COPY" and "--from" not in rest]
    for args in copied:
        for source in shlex.split(args)[:-1]:
            assert source.rstrip("/") not in ignored, f"{source} is needed but ignored"


# -- app.json and Procfile ----------------------------------------------------------------
def test_app_json_has_postgres_and_the_slack_variables() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    assert app["name"] and app["description"] and app["repository"].startswith("https://")
    addons = [a if isinstance(a, str) else a["plan"] for a in app["addons"]]
    assert any(a.split(":")[0] == "heroku-postgresql" for a in addons)
    assert "web" in app["formation"]
    env = app["env"]
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        assert env[name]["required"] is True
    for name in (
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "MLOPS_ADMINS",
        "MLOPS_REVIEW_CHANNEL",
        "MLOPS_LOG_FORMAT",
    ):
        assert env[name].get("required", False) is False
        assert env[name]["description"]
    assert env["MLOPS_LOG_FORMAT"].get("value", "text") in {"text", "json"}
    assert "SLACK_APP_TOKEN" not in env, "an app token would switch the web dyno to Socket Mode"


def test_procfile_runs_the_installed_entry_point() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: mlops-bot serve"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["mlops-bot"] == "bot.cli:main"
    assert any(dep.startswith("prometheus-client") for dep in project["dependencies"])


# -- manifest.http.yml --------------------------------------------------------------------
def test_http_manifest_is_manifest_yml_in_http_mode_with_oauth() -> None:
    socket = yaml.safe_load((ROOT / "manifest.yml").read_text())
    http = yaml.safe_load((ROOT / "manifest.http.yml").read_text())
    settings = http["settings"]
    assert settings["socket_mode_enabled"] is False
    assert http["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
    events_url = "https://YOUR-HOST" + EVENTS_PATH
    assert settings["event_subscriptions"]["request_url"] == events_url
    assert settings["interactivity"] == {"is_enabled": True, "request_url": events_url}
    assert [c["url"] for c in http["features"]["slash_commands"]] == [events_url]
    assert http["features"]["app_home"]["home_tab_enabled"] is True
    bot_events = settings["event_subscriptions"]["bot_events"]
    assert set(socket["settings"]["event_subscriptions"]["bot_events"]) <= set(bot_events)
    assert "app_home_opened" in bot_events
    scopes = http["oauth_config"]["scopes"]["bot"]
    assert "users:read" in scopes
    assert set(socket["oauth_config"]["scopes"]["bot"]) <= set(scopes)
    assert len(scopes) == len(set(scopes))
    # Everything else is the same app.
    assert http["display_information"] == socket["display_information"]
    assert http["features"]["bot_user"] == socket["features"]["bot_user"]
    strip = ("url",)
    assert [
        {k: v for k, v in c.items() if k not in strip} for c in http["features"]["slash_commands"]
    ] == [
        {k: v for k, v in c.items() if k not in strip} for c in socket["features"]["slash_commands"]
    ]
