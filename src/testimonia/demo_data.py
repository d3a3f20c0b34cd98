"""The demo workspace: fictional records written for the demo, no real victims' names.

Places are real governorates of the demo region (the offline map data covers them); every
incident, person and file here is invented and says so.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db import transaction
from PIL import Image, ImageDraw

from testimonia.accounts.models import User
from testimonia.accounts.roles import Role
from testimonia.accounts.services import create_user, create_workspace, grant_role
from testimonia.cases.models import Case, Mechanism
from testimonia.custody.services import sign_checkpoint
from testimonia.evidence.services import add_item
from testimonia.incidents.models import Incident

DEMO_WORKSPACE = "demo"
FICTIONAL = "Fictional demo record. "


def demo_photo(seed: int) -> bytes:
    """A small generated JPEG standing in for a field photo."""
    image = Image.new("RGB", (640, 427), (118 + seed * 9, 128, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 160, 300, 400), fill=(90, 86, 80))
    draw.rectangle((330, 120, 560, 400), fill=(70, 66, 62))
    draw.polygon([(330, 120), (450, 60 + seed * 7), (560, 120)], fill=(60, 60, 58))
    for x in range(100, 290, 40):
        draw.rectangle((x, 190, x + 20, 220), fill=(20, 20, 20))
    draw.text((20, 20), f"DEMO PHOTO {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def demo_scan() -> bytes:
    """A one-page 'scanned' report as PDF."""
    page = Image.new("RGB", (595, 842), (250, 250, 245))
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "FIELD REPORT (FICTIONAL DEMO DOCUMENT)", fill=(0, 0, 0))
    for i, line in enumerate(
        [
            "Site visit to the damaged clinic, north wing.",
            "Observed: collapsed roof, blast marks on east wall.",
            "Staff interviewed: 2 (identities held by protection officer).",
            "Photos taken: 3. Coordinates recorded on site.",
        ]
    ):
        draw.text((60, 120 + 24 * i), line, fill=(20, 20, 20))
    out = io.BytesIO()
    page.save(out, format="PDF")
    return out.getvalue()


FIELD_NOTES = (
    "Fictional demo field notes.\n"
    "Day 1: arrived at the district hospital at 09:40; power cut; generator damaged.\n"
    "Day 2: market area, debris cleared by residents; shell fragments collected as photos.\n"
    "ملاحظات ميدانية تجريبية: لا تتضمن أسماء حقيقية.\n"
    "הערות שטח לדוגמה: אין בהן שמות אמיתיים.\n"
).encode()


@transaction.atomic
def create_demo_workspace(username: str, password: str) -> User:
    user = create_user(username, password, is_staff=True, validate=False)
    workspace = create_workspace(
        user,
        "Demo investigation (fictional)",
        slug=DEMO_WORKSPACE,
        description="A fictional workspace for trying Testimonia. Nothing in it is real.",
    )
    grant_role(user, workspace, Role.INVESTIGATOR)

    files = [
        ("IMG_0412.jpg", demo_photo(1), "Field team A"),
        ("IMG_0413.jpg", demo_photo(2), "Field team A"),
        ("clinic-site-report.pdf", demo_scan(), "Partner organisation (demo)"),
        ("field-notes.txt", FIELD_NOTES, "Field team A"),
    ]
    items = [
        add_item(user, workspace, [data], filename=name, source=source).item
        for name, data, source in files
    ]
    sign_checkpoint(workspace)

    clinic = Incident.objects.create(
        workspace=workspace,
        title="Strike on a primary health clinic",
        description=FICTIONAL + "A clinic's north wing was destroyed during opening hours.",
        start_date=dt.date(2024, 3, 14),
        place_name="Khan Younis",
        latitude=Decimal("31.3462"),
        longitude=Decimal("34.3061"),
        status=Incident.Status.VERIFIED,
    )
    clinic.evidence.set([items[0], items[2]])
    market = Incident.objects.create(
        workspace=workspace,
        title="Shelling of a market street",
        description=FICTIONAL + "Shells landed in a market street in the morning.",
        start_date=dt.date(2024, 4, 2),
        place_name="Deir al-Balah",
        latitude=Decimal("31.4181"),
        longitude=Decimal("34.3517"),
        status=Incident.Status.DRAFT,
    )
    market.evidence.set([items[1], items[3]])
    convoy = Incident.objects.create(
        workspace=workspace,
        title="Aid convoy stopped at a checkpoint",
        description=FICTIONAL + "A convoy of six trucks was held for nine hours and turned back.",
        start_date=dt.date(2024, 5, 20),
        place_name="Rafah",
        latitude=Decimal("31.2968"),
        longitude=Decimal("34.2435"),
        status=Incident.Status.DRAFT,
    )
    _document(user, workspace, clinic, market, convoy, items)
    case = Case.objects.create(
        workspace=workspace,
        title="Attacks on health care (demo dossier)",
        mechanism=Mechanism.objects.filter(slug="un-coi").first(),
        summary=FICTIONAL + "Incidents affecting medical facilities, for a commission of inquiry.",
    )
    case.incidents.set([clinic, market])
    Case.objects.create(
        workspace=workspace,
        title="Obstruction of humanitarian aid (demo dossier)",
        mechanism=Mechanism.objects.filter(slug="national").first(),
        summary=FICTIONAL + "For a national prosecutor under universal jurisdiction.",
    ).incidents.set([convoy])
    return user


def _document(user: Any, workspace: Any, clinic: Any, market: Any, convoy: Any, items: Any) -> None:
    """Who did what to whom in the demo incidents: fictional people and units only."""
    from testimonia.incidents.models import Place
    from testimonia.incidents.services import (
        add_act,
        add_involvement,
        add_victim,
        cite,
        create_organisation,
        create_person,
        link_incidents,
        save,
        set_tags,
    )

    places = {
        p.geonames_id: p for p in Place.objects.filter(geonames_id__in=[281124, 281141, 281102])
    }
    for incident, geonames_id in ((clinic, 281124), (market, 281141), (convoy, 281102)):
        save(
            user,
            incident,
            place=places.get(geonames_id),
            location_precision="approximate",
            translations=DEMO_TRANSLATIONS.get(incident.title, {}),
        )
    set_tags(user, clinic, ["health care", "demo"])
    set_tags(user, market, ["demo"])
    set_tags(user, convoy, ["humanitarian aid", "demo"])
    brigade = create_organisation(user, workspace, "Northern Brigade (fictional)", "armed_forces")
    battery = create_organisation(
        user, workspace, "3rd Artillery Battery (fictional)", "armed_forces", parent=brigade
    )
    checkpoint_unit = create_organisation(
        user, workspace, "Crossing Control Unit (fictional)", "police", parent=brigade
    )
    strike = add_act(user, clinic, "attack_on_medical", start_date=clinic.start_date)
    killing = add_act(user, clinic, "indiscriminate_killing", start_date=clinic.start_date)
    nurse = create_person(
        user,
        workspace,
        [("Demo Person A", "en")],
        sex="female",
        age_min=34,
        age_max=34,
        status="civilian",
    )
    child = create_person(
        user,
        workspace,
        [("Demo Person B", "en")],
        sex="male",
        age_min=7,
        age_max=7,
        status="civilian",
    )
    add_victim(user, killing, nurse, "killed")
    add_victim(user, killing, child, "injured")
    add_involvement(user, strike, organisation=brigade, degree="ordered", certainty="possible")
    add_involvement(user, killing, organisation=battery, degree="direct", certainty="likely")
    shelling = add_act(user, market, "indiscriminate_killing", start_date=market.start_date)
    add_involvement(user, shelling, organisation=battery, degree="direct", certainty="possible")
    blocked = add_act(user, convoy, "obstruction_of_aid", start_date=convoy.start_date)
    add_involvement(
        user, blocked, organisation=checkpoint_unit, degree="direct", certainty="confirmed"
    )
    cite(user, clinic, item=items[0], field="start_date", note="EXIF capture time")
    cite(user, clinic, item=items[2])
    cite(user, market, item=items[3], field="description")
    link_incidents(user, market, clinic, "pattern", "Same week, same area (fictional)")


DEMO_TRANSLATIONS = {
    "Strike on a primary health clinic": {
        "ar": {"title": "قصف عيادة رعاية صحية أولية", "description": ""},
        "he": {"title": "תקיפה על מרפאה ראשונית", "description": ""},
    },
    "Shelling of a market street": {
        "ar": {"title": "قصف شارع السوق", "description": ""},
        "he": {"title": "הפגזת רחוב השוק", "description": ""},
    },
    "Aid convoy stopped at a checkpoint": {
        "ar": {"title": "إيقاف قافلة مساعدات عند حاجز", "description": ""},
        "he": {"title": "שיירת סיוע נעצרה במחסום", "description": ""},
    },
}
