"""Real-browser test of the case matrix in Arabic (right to left) and English: the gaps come
first, each state is in words as well as colour, the grid fits the page, and a legal officer
links a finding from the page (Debian's Chromium through Playwright).

Assertions are on data, `dir`/`lang` attributes and layout geometry, never on translated words.
Screenshots: see web/tests/test_browser.py (TESTIMONIA_SCREENSHOTS copies them out).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testimonia.accounts.models import User, Workspace
from testimonia.conftest import PASSWORD
from testimonia.evidence.services import add_item
from testimonia.incidents import services as records
from testimonia.legal import services
from testimonia.web.tests.test_browser import (  # noqa: F401 (the page fixture)
    _allow_async_unsafe,
    _assert_assets_served,
    _screenshot,
    _switch_language,
    page,
)

from .conftest import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def qualified(workspace: Workspace, personas: dict[str, User]) -> dict[str, Any]:
    lawyer = personas["legal_officer"]
    incident = records.create_incident(
        lawyer,
        workspace,
        title="قصف سوق خان يونس",
        language="ar",
        start_date=dt.date(2024, 3, 14),
        tags=["conflict:non-international"],
    )
    act = records.add_act(lawyer, incident, "killing", description="قصف السوق")
    child = records.create_person(lawyer, workspace, [("لينا", "ar")], status="civilian", age_max=9)
    records.add_victim(lawyer, act, child, "killed", age_at_time=9)
    unit = records.create_organisation(lawyer, workspace, "3rd Brigade", "armed_forces")
    records.add_involvement(lawyer, act, organisation=unit, degree="direct", certainty="likely")
    item = add_item(lawyer, workspace, [png_bytes()], filename="crater.png").item
    records.cite(lawyer, incident, item=item)
    murder = services.qualify(lawyer, act, "RS-7-1-a", "قتلت الطفلة في القصف.")
    services.link_support(lawyer, murder, 1, item, "strong", "صورة الحفرة")
    services.link_support(
        lawyer, murder, 3, services.Finding("أوامر صدرت من القيادة"), "weak", "شاهد واحد"
    )
    liability = services.add_suspect_liability(lawyer, murder, unit, "RS-28-a", "القائد")
    return {"incident": incident, "murder": murder, "liability": liability, "lawyer": lawyer}


def _login(tab: Page, base: str, user: User) -> None:
    tab.goto(f"{base}/accounts/login/")
    tab.fill("input[name=login]", user.get_username())
    tab.fill("input[name=password]", PASSWORD)
    tab.locator("input[name=password]").press("Enter")
    expect(tab).to_have_url(f"{base}/")


def _assert_grid_fits(tab: Page) -> None:
    """No horizontal scrolling: the matrix fits beside the sidebar."""
    overflow = tab.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, overflow
    main = tab.locator("main#main").bounding_box()
    for table in tab.locator("table.matrix").all():
        box = table.bounding_box()
        assert main is not None
        assert box is not None
        assert box["x"] >= main["x"] - 1
        assert box["x"] + box["width"] <= main["x"] + main["width"] + 1


def test_the_matrix_reads_right_to_left_in_arabic_and_a_finding_is_linked_from_it(
    live_server: Any,
    workspace: Workspace,
    qualified: dict[str, Any],
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = live_server.url
    murder = qualified["murder"]
    key = f"q{murder.pk}"
    _login(page, base, qualified["lawyer"])
    _switch_language(page, "ar")
    page.goto(f"{base}/w/{workspace.slug}/legal/incidents/{qualified['incident'].pk}/matrix/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _assert_assets_served(page)

    rows = page.locator(f"#section-{key} tr.element")
    expect(rows).to_have_count(3)
    # Unsupported (the attack) first, then the weak one, then the supported one.
    assert [rows.nth(i).get_attribute("data-number") for i in range(3)] == ["2", "3", "1"]
    assert [rows.nth(i).get_attribute("data-state") for i in range(3)] == [
        "unsupported",
        "weak",
        "supported",
    ]
    # Each state is written out, not only coloured.
    for i in range(3):
        label = rows.nth(i).locator("[data-state-label]")
        expect(label).to_be_visible()
        assert label.inner_text().strip()
    # Right to left: the element's number is the rightmost cell of its row.
    first = rows.first.locator("td").first.bounding_box()
    last = rows.first.locator("td").last.bounding_box()
    assert first is not None
    assert last is not None
    assert first["x"] > last["x"]
    # The suspect's mode of liability has its own table after the crime's.
    expect(page.locator(f"#section-l{qualified['liability'].pk} tr.element")).to_have_count(6)
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "matrix_page_ar.png")

    # Open the attack element's forms: the pattern indicators can be linked there.
    edit = page.locator(f"#edit-{key}-2")
    edit.locator("summary").click()
    expect(edit.locator("form[data-form=indicators]")).to_be_visible()
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "matrix_forms_ar.png")
    finding = edit.locator("form[data-form=finding]")
    finding.locator("textarea[name=text]").fill("هجوم واسع النطاق على السكان المدنيين")
    finding.locator("select[name=strength]").select_option("moderate")
    finding.locator("button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(f"#row-{key}-2")).to_have_attribute("data-state", "supported")
    # Read from the page, not the ORM: a query from inside Playwright's loop opens a database
    # connection that nothing closes (PostgreSQL then refuses to drop the test database).
    expect(page.locator(f"#row-{key}-2 li[data-kind=finding]")).to_contain_text(
        "هجوم واسع النطاق على السكان المدنيين"
    )
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "matrix_page_ar_after_link.png")

    # The qualifications of the incident and the crime's page read right to left too.
    page.goto(f"{base}/w/{workspace.slug}/legal/incidents/{qualified['incident'].pk}/")
    card = page.locator(f"#qualification-{murder.pk}")
    expect(card).to_have_attribute("data-status", "candidate")
    expect(card.locator("[data-field=reasoning]")).to_have_text(murder.reasoning)
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "legal_incident_ar.png")
    page.goto(f"{base}/w/{workspace.slug}/legal/crimes/RS-7-1-a/")
    expect(page.locator("#element-list > li")).to_have_count(3)
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "crime_page_ar.png")
    page.goto(f"{base}/w/{workspace.slug}/legal/crimes/")
    expect(page.locator("tr[data-crime]")).to_have_count(103)
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "catalogue_ar.png")
    page.goto(f"{base}/w/{workspace.slug}/legal/incidents/{qualified['incident'].pk}/matrix/")

    _switch_language(page, "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    rows = page.locator(f"#section-{key} tr.element")
    assert [rows.nth(i).get_attribute("data-number") for i in range(3)] == ["3", "1", "2"]
    first = rows.first.locator("td").first.bounding_box()
    last = rows.first.locator("td").last.bounding_box()
    assert first is not None
    assert last is not None
    assert first["x"] < last["x"]
    _assert_grid_fits(page)
    _screenshot(page, tmp_path, "matrix_page_en.png")
