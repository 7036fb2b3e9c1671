"""The browser tier: Debian's Chromium, headless, driving the admin on live_server.

Playwright runs the system Chromium (never a downloaded one) with flags that keep
it from calling out; every page it opens is on the loopback live server. When
Chromium or Playwright is missing, the browser tests skip and say why.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's own waits (auto-waiting locators, expect) give up after this.
TIMEOUT_MS = 5_000
PASSWORD = "pw"  # the personas' password in tests/conftest.py


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so `page` can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def playwright(django_db_setup: None, live_server: Any) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: no `chromium` on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the Python package `playwright` is not installed in this venv")

    # Playwright's sync API runs an asyncio loop in this thread for as long as it
    # is started, and Django then refuses ORM calls here (SynchronousOnlyOperation)
    # -- even pytest-django's flush after each transactional test. The tests touch
    # the database only while no page is loading, so allow it for exactly the
    # lifetime of that loop, and put the old value back after it is stopped.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(
    browser: Any, live_server: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Any]:
    """A fresh browser context on the live server; a screenshot if the test fails."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 1000}
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            shot = tmp_path / "failure.png"
            tab.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failing page: {shot}")
        context.close()


@pytest.fixture
def sign_in(page: Any) -> Callable[[str], Any]:
    """Sign in through the admin's real login form and return the page."""

    def sign_in_as(username: str, password: str = PASSWORD) -> Any:
        from playwright.sync_api import expect

        page.goto("/admin/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#user-tools")).to_contain_text(username)
        return page

    return sign_in_as


@pytest.fixture
def admin_page(admin_user: Any, sign_in: Callable[[str], Any]) -> Any:
    """A page signed in as the administrator persona."""
    return sign_in(admin_user.username)


@pytest.fixture
def technician_page(technician: Any, sign_in: Callable[[str], Any]) -> Any:
    """A page signed in as the technician persona (itil role, staff)."""
    return sign_in(technician.username)
