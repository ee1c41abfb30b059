"""The 0.1 release's search module (commit 10ab482), loaded beside ours as a baseline.

`git show` reads `bot/core/search.py` and `bot/core/text.py` at that commit into a temporary
package whose imports point at each other, so both rankers run in one process on the same
catalog objects (0.1's code reads only fields that still exist) and every figure is a ratio
measured in the same run.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

RELEASE = "10ab482"
_PACKAGE = "_search_release_0_1"
ROOT = Path(__file__).resolve().parents[1]


def load(commit: str = RELEASE) -> ModuleType | None:
    """The baseline `search` module, or None when git or the commit is not available."""
    if _PACKAGE in sys.modules:
        return importlib.import_module(f"{_PACKAGE}.search")
    folder = Path(tempfile.mkdtemp(prefix="mlops-baseline-")) / _PACKAGE
    folder.mkdir()
    try:
        for name in ("search", "text"):
            source = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{commit}:bot/core/{name}.py"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            source = source.replace("from bot.core.text import", f"from {_PACKAGE}.text import")
            (folder / f"{name}.py").write_text(source, encoding="utf-8")
    except (OSError, subprocess.CalledProcessError):
        return None
    (folder / "__init__.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(folder.parent))
    return importlib.import_module(f"{_PACKAGE}.search")
