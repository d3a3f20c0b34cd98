"""Real-browser test of the roadmap in Arabic: the scorecard grid laid out right to left, a cell
that leads to its recommendations, and a status change recorded through the form (Debian's
Chromium through Playwright).

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
from testimonia.roadmap import services
from testimonia.roadmap.models import StatusChange, Theme
from testimonia.web.tests.test_browser import (  # noqa: F401 (the page fixture)
    _allow_async_unsafe,
    _assert_assets_served,
    _assert_rtl,
    _screenshot,
    _switch_language,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = dt.date


def theme(code: str) -> Theme:
    return Theme.objects.get(workspace=None, code=code)


@pytest.fixture
def arabic_roadmap(workspace: Workspace, analyst: User) -> dict[str, Any]:
    alif = services.create_actor(
        analyst, workspace, name="دولة ألف", kind="state", country_code="AA"
    )
    ba = services.create_actor(analyst, workspace, name="دولة باء", kind="state", country_code="BB")
    group = services.create_actor(analyst, workspace, name="جماعة مسلحة", kind="armed_group")
    body = services.create_actor(
        analyst, workspace, name="Security Council", kind="international_body"
    )
    warrant = services.create_source(
        analyst, workspace, title="أمر قبض", kind="arrest_warrant", reference="ICC-01/18-1"
    )
    arrests = services.create_recommendation(
        analyst,
        workspace,
        text="تنفيذ أوامر القبض الصادرة عن المحكمة وتسليم المشتبه بهم.",
        addressees=[alif, ba],
        themes=[theme("arrest_warrants"), theme("icc_cooperation")],
        source=warrant,
        kind="obligation",
        issued_on=D(2024, 11, 21),
        deadline=D(2025, 3, 1),
    )
    defenders = services.create_recommendation(
        analyst,
        workspace,
        text="رفع القيود المفروضة على منظمات حقوق الإنسان.",
        addressees=[alif],
        themes=[theme("human_rights_defenders")],
        issued_on=D(2024, 12, 10),
    )
    hostages = services.create_recommendation(
        analyst,
        workspace,
        text="الإفراج عن جميع الرهائن وإعادة رفات الموتى.",
        addressees=[group],
        themes=[theme("hostages_and_missing")],
        issued_on=D(2024, 10, 1),
        deadline=D(2025, 1, 1),
    )
    arms = services.create_recommendation(
        analyst,
        workspace,
        text="Halt arms transfers where there is a clear risk of serious violations.",
        addressees=[ba, body],
        themes=[theme("arms_transfers")],
        issued_on=D(2024, 9, 18),
    )
    services.record_status_change(
        analyst, arrests, status="implemented", date=D(2025, 2, 1), actor=alif, note="تسليم"
    )
    services.record_status_change(
        analyst, arrests, status="partial", date=D(2025, 1, 15), actor=ba, note="x"
    )
    services.record_status_change(
        analyst, hostages, status="partial", date=D(2025, 1, 20), note="x"
    )
    services.record_status_change(analyst, arms, status="partial", date=D(2025, 4, 1), note="x")
    services.record_status_change(analyst, arms, status="regressed", date=D(2025, 8, 1), note="x")
    return {"alif": alif, "ba": ba, "defenders": defenders, "arrests": arrests}


def test_the_arabic_scorecard_reads_right_to_left_and_records_a_status(
    live_server: Any,
    workspace: Workspace,
    analyst: User,
    arabic_roadmap: dict[str, Any],
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", analyst.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(f"{base}/")
    _switch_language(page, "ar")

    page.goto(f"{base}/w/{workspace.slug}/roadmap/?as_of=2025-12-31")
    _assert_rtl(page, "ar")
    _assert_assets_served(page)
    rows = page.locator("#scorecard tbody tr[data-actor]")
    expect(rows).to_have_count(4)
    # Right to left: the actor column is the rightmost, the themes follow to its left.
    first = rows.first
    actor_box = first.locator("th.actor").bounding_box()
    total_box = first.locator("td.total").bounding_box()
    assert actor_box is not None
    assert total_box is not None
    assert actor_box["x"] >= total_box["x"] + total_box["width"] - 1, (actor_box, total_box)
    # Every status shows its words next to its colour.
    badges = page.locator("#scorecard tbody .rs[data-status]")
    assert badges.count() > 0
    for index in range(badges.count()):
        assert badges.nth(index).inner_text().strip()
    # Nothing in the grid is wider than the page: it scrolls inside its own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width
    _screenshot(page, tmp_path, "roadmap-scorecard-ar.png")

    # The cell of دولة ألف x human rights defenders leads to that one recommendation.
    alif_row = page.locator(f"#scorecard tbody tr[data-actor='{arabic_roadmap['alif'].pk}']")
    column = page.locator("#scorecard thead th[data-theme='human_rights_defenders']")
    index = page.locator("#scorecard thead th").evaluate_all(
        "(cells, wanted) => cells.indexOf(wanted)", column.element_handle()
    )
    alif_row.locator("td, th").nth(index).locator("a.count").click()
    listed = page.locator("#recommendations tbody tr[data-recommendation]")
    expect(listed).to_have_count(1)
    expect(listed.first).to_have_attribute(
        "data-recommendation", str(arabic_roadmap["defenders"].pk)
    )

    _screenshot(page, tmp_path, "roadmap-list-ar.png")

    # Record that it is partly implemented, with a note as its evidence.
    listed.first.locator("td.rec-text a").click()
    expect(page.locator("#current-status")).to_have_attribute("data-status", "not_started")
    page.select_option("#id_status", "partial")
    page.fill("#id_date", "2025-05-05")
    page.fill("#id_note", "رفع جزئي للقيود عن منظمتين.")
    page.locator("#status-form button[type=submit]").click()
    expect(page.locator("#current-status")).to_have_attribute("data-status", "partial")
    expect(page.locator("#status-history li[data-status='partial']")).to_have_count(1)
    assert StatusChange.objects.filter(
        recommendation=arabic_roadmap["defenders"], recorded_by=analyst
    ).exists()
    _screenshot(page, tmp_path, "roadmap-recommendation-ar.png")
