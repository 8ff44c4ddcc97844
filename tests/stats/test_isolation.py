"""survey.stats must stand alone: numpy and scipy only, nothing of the web app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STATS = Path(__file__).resolve().parents[2] / "survey" / "stats"

SCRIPT = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    "standalone_stats", {str(STATS / "__init__.py")!r},
    submodule_search_locations=[{str(STATS)!r}],
)
module = importlib.util.module_from_spec(spec)
sys.modules["standalone_stats"] = module
spec.loader.exec_module(module)
s = module.Stratum.from_values([1, 2, 3])
assert module.stratified_mean({{"a": s}}, {{"a": 1}}).estimate == 2
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "survey"))
print(",".join(bad))
"""


def test_stats_imports_nothing_of_the_app() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""
