"""`make bench` runs end to end: every benchmark script at a tiny size (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS
from bench.common import REPO, child_env


@pytest.mark.slow
def test_every_benchmark_runs_and_the_report_is_written(tmp_path: Path):
    out = tmp_path / "benchmarks.md"
    argv = [sys.executable, "-m", "bench", "--quick", "--reps", "1", "--out", str(out)]
    argv += ["--workdir", str(tmp_path / "work")]
    done = subprocess.run(argv, cwd=REPO, env=child_env(), capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    report = out.read_text()
    assert "## Targets" in report
    for number, name in enumerate(BENCHMARKS, start=1):
        assert f"## {number}. " in report, name
    assert "| CPUs |" in report and "| Python |" in report
    assert "floor = max((3·N − B) / R, 2 s)" in report
