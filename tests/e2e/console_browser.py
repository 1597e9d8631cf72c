"""Headless Chromium (Debian's `chromium`, never a downloaded browser) driven by Playwright for
the console's tests: launching, phone and desk contexts, signing in, screenshots kept as test
artefacts, and the axe-core accessibility check."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import BACKEND
from tests.e2e.console_city import Account

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
#: axe-core 4.14.1 (MPL-2.0), vendored with its licence: tests/e2e/console_vendor/.
AXE = Path(__file__).parent / "console_vendor" / "axe.min.js"
#: Where each page's screenshot is kept after the run.
SHOTS = ROOT / "var" / "test-artifacts" / f"console-{BACKEND}"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
DESK: dict[str, Any] = {"viewport": {"width": 1280, "height": 860}}
#: Generous: the machine running the tests is shared and often loaded.
WAIT_MS = 30_000


def chromium_or_skip() -> None:
    """Fails under CI, skips elsewhere, when Debian's chromium is not installed."""
    if CHROMIUM.exists():
        return
    why = (
        f"the browser tests need Debian's chromium at {CHROMIUM}: run `make browser` as root "
        "(apt-get install -y --no-install-recommends chromium)"
    )
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def launch() -> Iterator[Browser]:
    chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


#: Uncaught script errors of each context's pages: a page that threw fails its test.
_ERRORS: dict[int, list[str]] = {}


def new_context(browser: Browser, device: dict[str, Any]) -> BrowserContext:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **device)
    context.set_default_timeout(WAIT_MS)
    errors = _ERRORS.setdefault(id(context), [])
    context.on("weberror", lambda error: errors.append(str(error.error)))
    return context


def script_errors(page: Page) -> list[str]:
    return list(_ERRORS.get(id(page.context), []))


def fresh_shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot kept under SHOTS, named for the page."""
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextlib.contextmanager
def kept_on_failure(page: Page, name: str) -> Iterator[None]:
    """Keeps `name-failed.png` and the page's text when the block fails, to see why."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            shot(page, f"{name}-failed")
            (SHOTS / f"{name}-failed.txt").write_text(page.inner_text("body"), encoding="utf-8")
        raise


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands (WCAG 2 A and AA)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + json.dumps([n["target"] for n in v["nodes"]][:3], ensure_ascii=False)
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def look(page: Page, name: str) -> None:
    """Keeps the page's screenshot and requires it to have no serious accessibility problem."""
    shot(page, name)
    assert script_errors(page) == [], f"{name}: the page threw"
    found = serious_violations(page)
    assert found == [], f"{name}: " + "\n".join(found)


def sign_in(
    page: Page, base_url: str, account: Account | None, dev_role: str, dev_scope: str
) -> None:
    """Signs in on the login page: with the account, or (no login on the gateway) by picking
    the role in the console's development mode."""
    page.goto(base_url + "/")
    page.wait_for_selector("#login-form, #dev-form")
    if account is None:
        page.select_option("#dev-role", dev_role)
        page.fill("#dev-scope", dev_scope)
        page.click("#dev-form button[type=submit]")
    else:
        page.fill("#username", account.username)
        page.fill("#password", account.password)
        page.click("#login")
    page.wait_for_selector("#logout")
    ready(page)


def ready(page: Page, name: str = "") -> None:
    """Waits until the console has drawn the page `name` (any page but the login when "")."""
    if name:
        page.wait_for_selector(f"main[data-ready='{name}']")
    else:
        page.wait_for_selector("main[data-ready]:not([data-ready='']):not([data-ready='login'])")
