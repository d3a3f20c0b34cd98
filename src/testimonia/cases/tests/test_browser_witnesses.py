"""Real-browser test of the witness page and the image redaction page in Arabic (Debian's
Chromium through Playwright): a protection officer opens a witness, marks a region of a photo
by dragging on the canvas, and gets a redacted copy whose region is black.

Assertions are on data, `dir`/`lang` attributes and pixels, never on translated words. With
TESTIMONIA_SCREENSHOTS set, the screenshots go to test-artifacts/ (witness_ar.png,
redact_ar.png) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from testimonia.accounts.models import User, Workspace
from testimonia.cases import consent
from testimonia.cases.models import Witness
from testimonia.cases.testimonies import add_testimony, record_interview
from testimonia.conftest import PASSWORD
from testimonia.evidence.models import Item
from testimonia.evidence.services import blob_store
from testimonia.web.tests.test_browser import (  # noqa: F401 (the page fixture)
    _allow_async_unsafe,
    _assert_assets_served,
    _screenshot,
    _switch_language,
    page,
)

from .conftest import CANARY, leaks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_bytes() -> bytes:
    """A 640 x 400 picture: a sky, a street, and a 'face' to black out."""
    image = Image.new("RGB", (640, 400), (150, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 260, 640, 400), fill=(120, 120, 110))
    draw.ellipse((80, 60, 200, 200), fill=(230, 190, 150))
    draw.rectangle((380, 120, 560, 260), fill=(180, 60, 50))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.fixture
def testified(witness: Witness, investigator: User) -> dict[str, Any]:
    interview = record_interview(
        investigator,
        witness,
        conducted_on=dt.date(2024, 5, 2),
        language="ar",
        place="خان يونس",
        summary="شهد W-0001 قصف السوق.",
    )
    consent.grant_all(investigator, witness, ["icc", "un-coi"], form="written")
    photo = add_testimony(
        investigator,
        witness,
        [photo_bytes()],
        original_name="p.jpg",
        kind="document",
        interview=interview,
    ).testimony.item
    statement = add_testimony(
        investigator,
        witness,
        ["W-0001: رأيت القصف من النافذة. اسمي ليلى حداد، رقم جوالي 0599-123-456.".encode()],
        original_name="t.txt",
        kind="statement",
        interview=interview,
    ).testimony.item
    return {"photo": photo, "statement": statement}


def test_the_witness_page_and_image_redaction_work_in_arabic(
    live_server: Any,
    workspace: Workspace,
    protection_officer: User,
    witness: Witness,
    testified: dict[str, Any],
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", protection_officer.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(f"{base}/")
    _switch_language(page, "ar")

    page.goto(f"{base}/w/{workspace.slug}/witnesses/{witness.pseudonym}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    _assert_assets_served(page)
    expect(page.locator("#pseudonym")).to_have_text(witness.pseudonym)
    expect(page.locator('#coverage tr[data-mechanism="icc"]')).to_have_attribute(
        "data-covered", "1"
    )
    photo = testified["photo"]
    expect(page.locator(f'li[data-item="{photo.pk}"]')).to_be_visible()
    assert leaks(page.content(), CANARY) == []

    page.locator(f'li[data-item="{photo.pk}"] > a.redact-link').click()
    expect(page).to_have_url(f"{base}/w/{workspace.slug}/evidence/{photo.pk}/redact/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _assert_assets_served(page)
    editor = page.locator("#box-editor")
    expect(editor).to_have_attribute("data-ready", "1")
    canvas = page.locator("#box-canvas").bounding_box()
    assert canvas is not None
    # Drag over the 'face' (80..200 x 60..200 in image pixels), whatever the display scale.
    scale = canvas["width"] / 640
    page.mouse.move(canvas["x"] + 70 * scale, canvas["y"] + 50 * scale)
    page.mouse.down()
    page.mouse.move(canvas["x"] + 140 * scale, canvas["y"] + 120 * scale, steps=5)
    page.mouse.move(canvas["x"] + 210 * scale, canvas["y"] + 210 * scale, steps=5)
    page.mouse.up()
    expect(editor).to_have_attribute("data-boxes", "1")
    value = page.input_value("#boxes")
    x, y, w, h = (int(v) for v in re.fullmatch(r"(\d+),(\d+),(\d+),(\d+)", value).groups())
    assert abs(x - 70) <= 3
    assert abs(y - 50) <= 3
    assert abs(x + w - 210) <= 3
    assert abs(y + h - 210) <= 3
    expect(page.locator("#box-list li")).to_have_count(1)
    _screenshot(page, tmp_path, "redact_ar.png")

    page.locator("#apply-button").click()
    expect(page).to_have_url(re.compile(rf"/w/{workspace.slug}/evidence/\d+/$"))
    try:
        derived = Item.objects.select_related("blob").get(derived_from=photo)
    finally:
        # Under Playwright's event loop this query ran on a connection of its own: close it,
        # or PostgreSQL refuses to drop the test database at the end.
        connection.close()
    expect(page).to_have_url(f"{base}/w/{workspace.slug}/evidence/{derived.pk}/")
    assert derived.derivation == "redaction"
    image = Image.open(blob_store().path_for(derived.blob.sha256))
    assert max(image.getpixel((140, 130))) <= 8  # the face is black
    assert image.getpixel((600, 30))[2] > 200  # the sky is not

    # Back on the witness page, the redacted copy is listed under its original.
    page.goto(f"{base}/w/{workspace.slug}/witnesses/{witness.pseudonym}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    copy = page.locator(f'li[data-item="{photo.pk}"] li[data-item="{derived.pk}"]')
    expect(copy).to_have_attribute("data-derivation", "redaction")
    assert leaks(page.content(), CANARY) == []
    shot = _screenshot(page, tmp_path, "witness_ar.png")
    assert shot.stat().st_size > 10_000

    # The text of the statement, reviewed in Arabic: the suggestions and the marked text.
    statement = testified["statement"]
    page.goto(f"{base}/w/{workspace.slug}/evidence/{statement.pk}/redact/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#suggestions tbody tr[data-category]")).to_have_count(2)
    _screenshot(page, tmp_path, "redact_text_ar.png")
