"""Real-browser test: Debian's Chromium, driven by Playwright, against pytest-django's live server.

One journey through the right-to-left UI: sign in through the allauth page, switch to Arabic,
upload a file to the evidence vault, see its name and SHA-256 listed, then switch to Hebrew on the
dashboard. Assertions are on `dir`/`lang` attributes, layout geometry and data, never on
translated words (the catalogues may be incomplete).

Full-page screenshots always go to the test's tmp_path; with TESTIMONIA_SCREENSHOTS set they are
also copied into <repository>/test-artifacts/ (git-ignored) for a person to look at.

Chromium missing: the test skips, unless TESTIMONIA_REQUIRE_BROWSER=1 (as in CI), where it fails.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from testimonia.accounts.models import User, Workspace
from testimonia.conftest import PASSWORD

from .chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[4]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _allow_async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API runs an event loop in the test thread; Django would then refuse
    ORM calls there (including the transactional_db flush at teardown). Autouse, so it is set
    before and undone after every database fixture."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(live_server: Any, investigator: User) -> Iterator[Page]:
    """A fresh Chromium page. Depends on the database fixtures so that they are all built
    before Playwright starts its event loop."""
    require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            context.set_default_timeout(15_000)
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def _screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Full-page PNG into tmp_path, and into test-artifacts/ when TESTIMONIA_SCREENSHOTS is set."""
    shot = tmp_path / "screenshots" / name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    if os.environ.get("TESTIMONIA_SCREENSHOTS"):
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        shutil.copyfile(shot, ARTIFACTS_DIR / name)
    return shot


def _switch_language(page: Page, code: str) -> None:
    """Choose a language in the top bar; the select submits to /i18n/setlang/ and comes back."""
    page.select_option("#language-select", code)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", code)
    expect(page.locator("#language-select")).to_have_value(code)


def _assert_assets_served(page: Page) -> None:
    """Every stylesheet and script the page links to is served: without them the layout and
    htmx silently degrade, which no other assertion would pin down precisely."""
    urls = page.eval_on_selector_all(
        "link[rel=stylesheet][href], script[src]", "els => els.map(e => e.href || e.src)"
    )
    assert urls, "the page links no stylesheet or script"
    broken = {url: page.request.get(url).status for url in urls}
    broken = {url: status for url, status in broken.items() if status != 200}
    assert not broken, f"static assets not served (URL: status): {broken}"


def _assert_rtl(page: Page, code: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", code)
    # Right-to-left layout: the sidebar sits to the right of the main column.
    sidebar = page.locator("nav.sidebar")
    expect(sidebar).to_be_visible()
    side_box = sidebar.bounding_box()
    main_box = page.locator("main#main").bounding_box()
    assert side_box is not None
    assert main_box is not None
    assert side_box["x"] >= main_box["x"] + main_box["width"] - 1, (side_box, main_box)


def test_rtl_journey_login_upload_and_screenshots(
    live_server: Any,
    workspace: Workspace,
    investigator: User,
    page: Page,
    tmp_path: Path,
) -> None:
    base = live_server.url
    evidence_url = f"{base}/w/{workspace.slug}/evidence/"
    dashboard_url = f"{base}/w/{workspace.slug}/"

    # 1. Sign in through the allauth login page.
    page.goto(f"{base}/accounts/login/")
    _assert_assets_served(page)
    page.fill("input[name=login]", investigator.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".topbar .user")).to_have_text(investigator.get_username())
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    # 2. Switch the UI to Arabic from the top bar.
    _switch_language(page, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")

    # 3. Upload a generated file to the evidence vault; the language sticks across pages.
    page.goto(evidence_url)
    _assert_rtl(page, "ar")
    # Non-ASCII name and content: the name must survive the upload, the hash is over the bytes.
    content = "شهادة شاهد — witness statement, generated by the browser test.\n".encode() * 20
    sample = tmp_path / "شهادة-witness-statement.txt"
    sample.write_bytes(content)
    digest = f"sha256:{hashlib.sha256(content).hexdigest()}"

    form = page.locator("#upload-form")
    expect(form).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined")
    form.locator("input[name=uploads]").set_input_files(str(sample))
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/evidence/upload/")
    ) as upload:
        form.locator("button[type=submit]").click()
    assert upload.value.headers.get("hx-request") == "true", "the upload did not go through htmx"

    # htmx posts, follows the redirect and swaps the body: the new row appears in #items.
    row = page.locator("#items tbody tr[data-item]", has_text=sample.name)
    expect(row).to_have_count(1)
    expect(row.locator("code.hash")).to_have_text(digest)
    expect(page.locator(".messages .message.success")).to_have_count(1)

    # A plain reload shows the same server-side state, still in Arabic.
    page.goto(evidence_url)
    _assert_rtl(page, "ar")
    row = page.locator("#items tbody tr[data-item]", has_text=sample.name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(digest)
    expect(row.locator("code.hash")).to_have_attribute("dir", "ltr")
    _screenshot(page, tmp_path, "evidence-ar.png")

    # 4. The dashboard in Hebrew.
    page.goto(dashboard_url)
    _switch_language(page, "he")
    expect(page).to_have_url(dashboard_url)
    _assert_rtl(page, "he")
    expect(page.locator("[data-testid=workspace-name]")).to_have_text(workspace.name)
    expect(page.locator(".stats strong").first).to_have_text("1")
    _screenshot(page, tmp_path, "dashboard-he.png")
