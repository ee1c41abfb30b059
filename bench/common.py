"""What every benchmark script shares: its command line and how it hands its section back."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.stats import Section, Target

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Config:
    quick: bool
    reps: int
    workdir: Path


def parse(argv: Sequence[str] | None, doc: str | None) -> tuple[Config, Path | None]:
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mlops-bench"))
    parser.add_argument("--json", type=Path, help="write the section here as JSON")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    return Config(args.quick, max(1, args.reps), args.workdir), args.json


def script_main(
    run: Callable[[Config], Section], argv: Sequence[str] | None = None, doc: str | None = None
) -> int:
    """Run one benchmark; print its Markdown, and write JSON for the orchestrator."""
    config, out = parse(argv, doc)
    section = run(config)
    print(section.markdown(), flush=True)
    if out:
        out.write_text(json.dumps(asdict(section)), encoding="utf-8")
    return 0


def load_section(path: Path) -> Section:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Section(
        title=data["title"], body=data["body"], targets=[Target(**t) for t in data["targets"]]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_command() -> list[str]:
    """How to start `mlops-bot`: the installed script next to this Python, else `-m bot`."""
    script = Path(sys.executable).parent / "mlops-bot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bot"]


def child_env(**extra: str) -> dict[str, str]:
    """A clean environment for a server we start: no Slack secrets or settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MLOPS_", "DATABASE_", "PORT", "HOST"))
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env
