"""The demo workspace: fictional records written for the demo, no real victims' names.

Places are real governorates of the demo region (the offline map data covers them); every
incident, person and file here is invented and says so.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.db import transaction
from PIL import Image, ImageDraw

from testimonia.accounts.models import User
from testimonia.accounts.roles import Role
from testimonia.accounts.services import create_user, create_workspace, grant_role
from testimonia.cases.models import Case
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
    case = Case.objects.create(
        workspace=workspace,
        title="Attacks on health care (demo dossier)",
        mechanism=Case.Mechanism.UN_INQUIRY,
        summary=FICTIONAL + "Incidents affecting medical facilities, for a commission of inquiry.",
    )
    case.incidents.set([clinic, market])
    Case.objects.create(
        workspace=workspace,
        title="Obstruction of humanitarian aid (demo dossier)",
        mechanism=Case.Mechanism.NATIONAL,
        summary=FICTIONAL + "For a national prosecutor under universal jurisdiction.",
    ).incidents.set([convoy])
    return user
