"""axe-core in a real browser: the WCAG 2.1 A and AA rules run on the page as it is shown.

axe.min.js is vendored under tests/vendor/axe-core (from the npm package, with its
licence) and injected through WebDriver, which the page's Content-Security-Policy
does not govern: the pages are checked with the same headers users get, and the
file is never served by the app.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: the standard the README names.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + n.failureSummary)
  }))))
  .catch(error => done([{id: "axe-error", impact: "", help: String(error), nodes: []}]));
"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(driver, label: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The WCAG A/AA violations axe-core finds on the current page, one line each."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(_axe_source())
    driver.set_script_timeout(60)
    found = driver.execute_async_script(_RUN, list(WCAG_TAGS))
    return [
        f"{label} ({driver.current_url}): {v['id']} [{v['impact']}] {v['help']}"
        + "".join(f"\n    {node}" for node in v["nodes"])
        for v in found
    ]
