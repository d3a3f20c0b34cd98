"""Real-browser test of the documentation database in Arabic: search with a spelling variant,
then the same result on the map (Debian's Chromium through Playwright).

Assertions are on data, `dir`/`lang` attributes and the map's state, never on translated words.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testimonia.accounts.models import User, Workspace
from testimonia.conftest import PASSWORD
from testimonia.incidents.models import Place
from testimonia.incidents.services import add_act, create_incident
from testimonia.web.tests.test_browser import (  # noqa: F401 (the page fixture)
    _allow_async_unsafe,
    _assert_assets_served,
    _screenshot,
    _switch_language,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def documented(workspace: Workspace, investigator: User) -> dict[str, Any]:
    khan_yunis = Place.objects.get(geonames_id=281124)
    school = create_incident(
        investigator,
        workspace,
        title="قصف مدرسة تؤوي نازحين",
        language="ar",
        start_date=dt.date(2024, 7, 9),
        place=khan_yunis,
    )
    add_act(investigator, school, "indiscriminate_killing")
    other = create_incident(
        investigator,
        workspace,
        title="اعتقال في الليل",
        language="ar",
        start_date=dt.date(2024, 8, 1),
        place=Place.objects.get(geonames_id=285066),  # Hebron
    )
    return {"school": school, "other": other}


def test_arabic_search_finds_a_spelling_variant_and_the_map_shows_it(
    live_server: Any,
    workspace: Workspace,
    investigator: User,
    documented: dict[str, Any],
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

    page.goto(f"{base}/w/{workspace.slug}/incidents/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _assert_assets_served(page)
    expect(page.locator("#incidents tbody tr[data-incident]")).to_have_count(2)
    # Typed with taa marbuta as haa, without the hamza seat and with a diacritic: the
    # normalisation on both sides of the index makes it match.
    page.fill("#id_q", "مدرسه تووي نَازحين")
    page.locator("#facets button[type=submit]").click()
    rows = page.locator("#incidents tbody tr[data-incident]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-incident", str(documented["school"].pk))
    _screenshot(page, tmp_path, "incidents-search-ar.png")

    # The map keeps the same filter and shows exactly that incident, at Khan Yunis.
    page.locator("nav.tabs a").nth(1).click()
    expect(page).to_have_url(f"{base}/w/{workspace.slug}/incidents/map/?" + page.url.split("?")[1])
    map_box = page.locator("#incident-map")
    expect(map_box).to_have_attribute("data-ready", "1")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    marker = page.locator("#incident-map path.leaflet-interactive[fill='#c0392b']")
    expect(marker).to_have_count(1)
    marker.click()
    popup = page.locator(".leaflet-popup-content a")
    expect(popup).to_have_text(documented["school"].title)
    _screenshot(page, tmp_path, "incidents-map-ar.png")
