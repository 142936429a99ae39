"""Headless Chromium for the browser test: find (or install) it, drive it, keep evidence.

The test drives Debian's ``chromium`` through Debian's ``chromedriver`` with selenium
(the ``dev`` extra). Both come from apt: when either is missing, ``find_browser()``
runs ``.ci/install-browser`` (apt-get, as root) once, and fails with a message saying
what is missing if that does not help; the test is never skipped.

Every wait is bounded (``WAIT``, ``PAGE_LOAD_TIMEOUT``). A failed test leaves a
screenshot and the page's HTML in a new temporary directory, whose path is printed
(``tests/e2e/conftest.py``). With ``STOREFRONT_SCREENSHOTS=<dir>`` set, the test
also saves a screenshot of each page it checks there, to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.servers import REPO_ROOT

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

#: The name of the fixture that yields the browser (the failure hook looks for it).
BROWSER_FIXTURE = "browser"
INSTALL_SCRIPT = REPO_ROOT / ".ci" / "install-browser"
#: Seconds ``.ci/install-browser`` may take (apt-get update and two packages).
INSTALL_TIMEOUT = 900.0
#: Seconds any wait for an element or a page's change may take.
WAIT = 10.0
#: Seconds a page may take to load.
PAGE_LOAD_TIMEOUT = 30.0
#: Flags that work in containers and CI: no sandbox, GPU, network chatter or first-run UI.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
SCREENSHOTS_ENV = "STOREFRONT_SCREENSHOTS"


def _which() -> tuple[str | None, str | None]:
    return shutil.which("chromium"), shutil.which("chromedriver")


def find_browser() -> tuple[str, str]:
    """Return the paths of chromium and chromedriver, installing them first if needed."""
    chromium, driver = _which()
    if chromium and driver:
        return chromium, driver
    try:
        result = subprocess.run(
            [str(INSTALL_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        log = f"{result.stdout}{result.stderr}".strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        log = str(error)
    chromium, driver = _which()
    if chromium and driver:
        return chromium, driver
    names = (("chromium", chromium), ("chromedriver", driver))
    missing = " and ".join(name for name, path in names if not path)
    verb = "are" if " and " in missing else "is"
    script = INSTALL_SCRIPT.relative_to(REPO_ROOT)
    pytest.fail(
        f"The storefront's browser test needs Debian's chromium and chromium-driver; "
        f"{missing} {verb} not on PATH, and {script} could not install them "
        f"(run it as root, or: apt-get install chromium chromium-driver):\n{log}",
        pytrace=False,
    )


def start_chromium(user_data_dir: Path) -> WebDriver:
    """Start headless Chromium with a fresh profile in ``user_data_dir``; return its driver."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        pytest.fail(
            f"The browser test needs selenium, from the dev extra: "
            f"pip install -e '.[dev]' ({error})",
            pytrace=False,
        )
    chromium, driver_path = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}"):
        options.add_argument(flag)
    # The driver's own path is given, so selenium-manager never looks for (or downloads) one.
    service = Service(executable_path=driver_path, log_output=subprocess.DEVNULL)
    browser = webdriver.Chrome(options=options, service=service)
    browser.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
    browser.set_script_timeout(WAIT)
    return browser


def follow(browser: WebDriver, action: Callable[[], object]) -> None:
    """Run ``action`` (a click that loads a page), then wait until the new page has loaded.

    The old page is marked with a global variable, which the next page does not
    have. (Waiting for the old ``<html>`` element to go stale raced with the
    navigation: asked mid-way, Chromium answered "Node ... does not belong to the
    document", an error selenium's staleness check does not expect.) Errors while
    the page changes are ignored until the wait's time is up.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    browser.execute_script("window.__storefrontOldPage = true;")
    action()
    wait = WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,))
    wait.until(
        lambda b: b.execute_script(
            "return window.__storefrontOldPage !== true && document.readyState === 'complete';"
        )
    )


def snapshot(browser: WebDriver, name: str) -> None:
    """Save a screenshot as ``<name>.png`` in ``$STOREFRONT_SCREENSHOTS``, when it is set."""
    directory = os.environ.get(SCREENSHOTS_ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(directory) / f"{name}.png"))


def save_failure_artifacts(browser: WebDriver, test_name: str) -> str:
    """Save a screenshot and the HTML of the browser's page in a new temp dir; say where."""
    directory = Path(tempfile.mkdtemp(prefix="storefront-browser-"))
    screenshot, page = directory / f"{test_name}.png", directory / f"{test_name}.html"
    try:
        url = browser.current_url
        browser.save_screenshot(str(screenshot))
        page.write_text(browser.page_source)
    except Exception as error:  # the browser itself may be what failed
        return f"no screenshot: the browser did not answer ({error.__class__.__name__}: {error})"
    return f"screenshot of {url}: {screenshot} (its HTML: {page})"
