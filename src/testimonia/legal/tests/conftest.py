"""Documented facts for the qualification tests: an incident in Khan Yunis with a killing of
a civilian child, a unit alleged to have done it, an evidence item and a source."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from testimonia.evidence.services import add_item
from testimonia.incidents import services as records
from testimonia.incidents.models import Source


def png_bytes(colour=(0, 0, 0)):
    out = io.BytesIO()
    Image.new("RGB", (2, 2), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def facts(workspace, investigator):
    incident = records.create_incident(
        investigator,
        workspace,
        title="Strike on the market",
        start_date=dt.date(2024, 3, 14),
        tags=["conflict:non-international"],
    )
    act = records.add_act(investigator, incident, "killing", description="Shelling of the market")
    child = records.create_person(
        investigator, workspace, [("Lina", "en"), ("لينا", "ar")], status="civilian", age_max=9
    )
    records.add_victim(investigator, act, child, "killed", age_at_time=9)
    unit = records.create_organisation(investigator, workspace, "3rd Brigade", "armed_forces")
    commander = records.create_person(investigator, workspace, [("Colonel X", "en")])
    involvement = records.add_involvement(
        investigator, act, organisation=unit, degree="direct", certainty="likely"
    )
    item = add_item(investigator, workspace, [png_bytes()], filename="crater.png").item
    source = Source.objects.create(workspace=workspace, title="UN report", kind="report")
    return {
        "incident": incident,
        "act": act,
        "victim": child,
        "unit": unit,
        "commander": commander,
        "involvement": involvement,
        "item": item,
        "source": source,
    }


@pytest.fixture
def legal_officer(personas):
    return personas["legal_officer"]


@pytest.fixture
def administrator(personas):
    return personas["administrator"]
