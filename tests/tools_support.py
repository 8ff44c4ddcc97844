"""External tools some tests need: skip with a reason that says how to get them.

In CI (SURVEY_REQUIRE_BROWSER=1, set by .ci/run) a missing tool fails the test
instead, so a green CI never hides a skipped browser or QR test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# The README's screenshots are refreshed only on request (SURVEY_UPDATE_SCREENSHOTS=1),
# so a test run leaves the tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    if os.environ.get("SURVEY_UPDATE_SCREENSHOTS") == "1"
    else None
)


def require_tool(name: str, how: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found: {how}"
        if os.environ.get("SURVEY_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def decode_qr(image: Path) -> str:
    """What zbar reads from a QR image (the URL a phone camera would open)."""
    zbarimg = require_tool("zbarimg", "install zbar-tools (apt-get install zbar-tools)")
    result = subprocess.run(
        [zbarimg, "--raw", "-q", str(image)], capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()[0].strip()


CHROMIUM_HOW = "install Debian's chromium and its driver: apt-get install chromium chromium-driver"


def headless_chromium(  # type: ignore[no-untyped-def]
    tmp_dir: Path, *, javascript: bool = True, size: str = "390,844", lang: str = "zh-CN"
):
    """Debian's chromium through selenium, headless; the driver is never downloaded."""
    chromium = require_tool("chromium", CHROMIUM_HOW)
    chromedriver = require_tool("chromedriver", CHROMIUM_HOW)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_dir}",
        f"--window-size={size}",
        f"--lang={lang}",
    ):
        options.add_argument(flag)
    prefs: dict[str, object] = {"intl.accept_languages": lang}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def browser_sign_in(driver, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in on the login page as a person does, and wait until it has let them in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login?lang=en")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").submit()
    WebDriverWait(driver, 15).until(lambda d: "/login" not in d.current_url)
