"""The `mlops-bot` command line as an operator uses it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.content import BUNDLED_CONTENT

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MLOPS_", "DATABASE_URL"))
    }
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        input=stdin,
        timeout=120,
        cwd=cwd or ROOT,
    )


@pytest.fixture
def db_env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_search_json_lists_ranked_resources(db_env: dict[str, str]):
    result = run("search", "experiment", "tracking", "--limit", "7", "--json", env=db_env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 7
    for row in rows:
        assert {"id", "title", "url", "kind", "topics", "score"} <= set(row)
    assert sum("experiment-tracking" in r["topics"] for r in rows) >= 5


def test_search_text_and_no_match(db_env: dict[str, str]):
    result = run("search", "mlflow", env=db_env)
    assert result.returncode == 0
    assert "MLflow" in result.stdout.splitlines()[0]
    nothing = run("search", "pizza", env=db_env)
    assert nothing.returncode == 0
    assert "No resources" in nothing.stdout


def test_validate_accepts_the_bundled_content():
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert "ok:" in result.stdout


@pytest.fixture
def broken_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, root)
    serving = root / "topics" / "serving.yml"
    text = serving.read_text()
    # Unknown topic, a duplicate URL, a bad URL and a missing field, each in its own entry.
    text += (
        "- id: broken-topic\n  title: Broken\n  url: https://example.org/a\n  kind: article\n"
        "  topics: [pizza]\n  summary: x\n"
        "- id: broken-url\n  title: Bad URL\n  url: ftp://example.org/b\n  kind: article\n"
        "  topics: [serving]\n  summary: x\n"
        "- id: broken-missing\n  title: No summary\n  url: https://example.org/c\n  kind: article\n"
        "  topics: [serving]\n"
        "- id: broken-dup\n  title: Dup\n  url: https://github.com/bentoml/BentoML/\n  kind: tool\n"
        "  topics: [serving]\n  summary: x\n"
    )
    serving.write_text(text)
    (root / "topics" / "zz-malformed.yml").write_text("topic: [unclosed\n")
    lesson = next((root / "lessons").glob("03-*.md"))
    lesson.write_text(lesson.read_text().replace("question:", "questionable:", 1))
    return root


def test_validate_reports_each_problem_with_path_and_line(broken_content: Path):
    result = run("validate", env={"MLOPS_CONTENT_DIR": str(broken_content)})
    assert result.returncode == 1
    err = result.stderr
    lines = (broken_content / "topics" / "serving.yml").read_text().splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if needle in line)

    assert f"serving.yml:{line_of('id: broken-topic')}: unknown topic 'pizza'" in err
    assert f"serving.yml:{line_of('ftp://')}: url:" in err
    assert f"serving.yml:{line_of('id: broken-missing')}: missing field 'summary'" in err
    assert f"serving.yml:{line_of('id: broken-dup')}: duplicate URL" in err
    assert (
        "zz-malformed.yml:1: malformed YAML" in err or "zz-malformed.yml:2: malformed YAML" in err
    )
    assert "03-" in err and "missing field 'question'" in err
    assert "unknown field 'questionable'" in err


def test_serve_and_console_refuse_invalid_content(broken_content: Path, db_env: dict[str, str]):
    env = {**db_env, "MLOPS_CONTENT_DIR": str(broken_content)}
    console = run("console", env=env, stdin="/mlops serving\n")
    assert console.returncode == 1
    assert "unknown topic 'pizza'" in console.stderr
    serve = run(
        "serve",
        env={**env, "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", "PORT": "0"},
    )
    assert serve.returncode == 1
    assert "unknown topic 'pizza'" in serve.stderr


def test_serve_without_credentials_names_what_to_set(db_env: dict[str, str], tmp_path: Path):
    result = run("serve", env=db_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_secrets_are_never_printed(db_env: dict[str, str], tmp_path: Path):
    env = {**db_env, "SLACK_BOT_TOKEN": "xoxb-very-secret-token"}
    result = run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "very-secret" not in result.stdout + result.stderr


def test_console_answers_like_slack_without_network(db_env: dict[str, str], tmp_path: Path):
    script = "/mlops serving\nmore\n/mlops topics\n/mlops pizza\nhelp\nquit\n"
    result = run("console", env=db_env, stdin=script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Resources for “serving”" in out
    assert "(https://" in out, "links render as label (url)"
    assert "1–5 of" in out and "6–10 of" in out
    assert "`labeling`" in out
    assert "couldn't find" in out
    assert "/mlops help" in out
    assert "&lt;" not in out and "&amp;" not in out


def test_run_falls_back_to_console_with_a_hint(db_env: dict[str, str], tmp_path: Path):
    result = run("run", env=db_env, stdin="serving\n", cwd=tmp_path)
    assert result.returncode == 0
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "Resources for “serving”" in result.stdout
