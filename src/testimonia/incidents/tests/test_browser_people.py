"""Real-browser test of a person's page in Arabic and English (Debian's Chromium through
Playwright): names in Arabic script render as text, right to left, in a right-to-left page.

Assertions are on data, `dir`/`lang` attributes and layout geometry, never on translated words.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testimonia.accounts.models import User, Workspace
from testimonia.conftest import PASSWORD
from testimonia.incidents.models import Source
from testimonia.incidents.services import (
    add_act,
    add_victim,
    cite,
    create_incident,
    create_organisation,
    create_person,
)
from testimonia.web.tests.test_browser import (  # noqa: F401 (the page fixture)
    _allow_async_unsafe,
    _assert_assets_served,
    _screenshot,
    _switch_language,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARABIC_NAME = "سارة محمود أبو عمر"


@pytest.fixture
def victim(workspace: Workspace, investigator: User) -> Any:
    incident = create_incident(
        investigator,
        workspace,
        title="قصف مدرسة تؤوي نازحين",
        language="ar",
        start_date=dt.date(2024, 7, 9),
    )
    act = add_act(investigator, incident, "indiscriminate_killing")
    create_organisation(investigator, workspace, "Unit 8200", "intelligence")
    person = create_person(
        investigator,
        workspace,
        [(ARABIC_NAME, "ar"), ("Sara Mahmoud Abu Omar", "en"), ("שרה מחמוד", "he")],
        sex="female",
        age_min=11,
        age_max=12,
        status="civilian",
        occupation="طالبة",
    )
    add_victim(investigator, act, person, "killed")
    source = Source.objects.create(workspace=workspace, title="سجل المستشفى", kind="official")
    cite(investigator, person, source=source, field="sex", note="ص 4")
    return person


def test_a_person_page_in_arabic_shows_arabic_names_right_to_left(
    live_server: Any,
    workspace: Workspace,
    investigator: User,
    victim: Any,
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", investigator.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(f"{base}/")
    _switch_language(page, "ar")

    url = f"{base}/w/{workspace.slug}/persons/{victim.pk}/"
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    _assert_assets_served(page)
    expect(page.locator("h1 bdi")).to_have_text(ARABIC_NAME)
    arabic = page.locator("#name-list bdi.name[lang=ar]")
    expect(arabic).to_have_text(ARABIC_NAME)
    expect(page.locator("#name-list bdi.name[lang=he]")).to_have_text("שרה מחמוד")
    # The Arabic name is laid out right to left, and glyphs were drawn (a font with Arabic
    # letters: a missing font draws nothing or boxes of the same width as Latin ones).
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    box = arabic.bounding_box()
    assert box is not None
    assert box["width"] > 50
    # The page is right to left: a fact's label (dt) sits to the right of its value (dd).
    label = page.locator("#person-facts dt").first.bounding_box()
    value = page.locator("#person-facts dd").first.bounding_box()
    assert label is not None
    assert value is not None
    assert label["x"] > value["x"], (label, value)
    expect(page.locator("#child-flag")).to_be_visible()
    expect(page.locator("[data-unsupported=age_min]")).to_be_visible()
    expect(page.locator("[data-unsupported=sex]")).to_have_count(0)
    _screenshot(page, tmp_path, "person-ar.png")

    _switch_language(page, "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#name-list bdi.name[lang=ar]")).to_have_text(ARABIC_NAME)
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    label = page.locator("#person-facts dt").first.bounding_box()
    value = page.locator("#person-facts dd").first.bounding_box()
    assert label is not None
    assert value is not None
    assert label["x"] < value["x"], (label, value)
    _screenshot(page, tmp_path, "person-en.png")
