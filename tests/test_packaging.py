"""The wheel carries everything an installed app needs, not only the Python files.

Instruments and migrations live at the top of the repository (reviewed like
code); survey/bundled/ links to them, so the wheel carries copies. Templates,
static files and the compiled catalogs are package data. The wheel is built
from a copy of the tracked files (plus the .mo catalogs the test session
compiled), so the checkout is left as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode("utf-8")
    files = [Path(name) for name in listed.split("\0") if name]
    compiled = [p.relative_to(ROOT) for p in (ROOT / "survey" / "translations").rglob("*.mo")]
    return files + compiled


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the wheel is built from the tracked files of a git checkout")
    source = tmp_path_factory.mktemp("source")
    for relative in _tracked_files():
        original = ROOT / relative
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        if original.is_symlink():  # survey/bundled/ links to instruments/ and migrations/
            (source / relative).symlink_to(original.readlink())
        elif original.is_file():
            shutil.copy2(original, source / relative)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("survey-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_instruments_and_migrations(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for instrument in (ROOT / "instruments").glob("*.toml"):
        assert f"survey/bundled/instruments/{instrument.name}" in names
    for framework in (ROOT / "frameworks").rglob("*.toml"):
        relative = framework.relative_to(ROOT).as_posix()
        assert f"survey/bundled/{relative}" in names
    for migration in (ROOT / "migrations" / "versions").glob("*.py"):
        assert f"survey/bundled/migrations/versions/{migration.name}" in names
    for name in ("env.py", "alembic.ini", "script.py.mako"):
        assert f"survey/bundled/migrations/{name}" in names


def test_the_wheel_carries_templates_translations_and_static_files(
    wheel: zipfile.ZipFile,
) -> None:
    names = set(wheel.namelist())
    for folder in ("templates", "static"):
        for path in (ROOT / "survey" / folder).rglob("*"):
            if path.is_file():
                assert str(path.relative_to(ROOT)) in names
    for language in ("zh_Hans", "zh_Hant", "en"):
        assert f"survey/translations/{language}/LC_MESSAGES/messages.mo" in names
    assert "survey/data/workdays_cn.toml" in names


def test_every_package_under_survey_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for init in (ROOT / "survey").rglob("__init__.py"):
        assert str(init.relative_to(ROOT)) in names
