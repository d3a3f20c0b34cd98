"""What the public portal may take from the roadmap: published recommendations, public fields."""

from __future__ import annotations

import datetime as dt

import pytest

from testimonia.evidence.services import add_item
from testimonia.roadmap import services
from testimonia.roadmap.models import PUBLIC_RECOMMENDATION_FIELDS
from testimonia.roadmap.records import public_record, recommendations_of, standings

pytestmark = pytest.mark.django_db
CANARY = "CANARY-internal-7f3a"


def test_a_public_record_has_the_public_fields_only(roadmap, analyst, workspace):
    item = add_item(None, workspace, [b"x"], filename="x.txt").item
    services.update_recommendation(analyst, roadmap.arrests, published=True, notes=CANARY)
    services.record_status_change(
        analyst,
        roadmap.arrests,
        status="partial",
        date=dt.date(2025, 1, 1),
        actor=roadmap.beta,
        note=CANARY,
        items=[item],
    )
    rec = recommendations_of(workspace).get(pk=roadmap.arrests.pk)
    record = public_record(rec, standings([rec], dt.date(2025, 6, 1))[rec.pk])
    assert tuple(record) == PUBLIC_RECOMMENDATION_FIELDS
    assert CANARY not in repr(record)
    assert item.blob.sha256 not in repr(record)
    assert "analyst" not in repr(record)
    assert record["statuses"][1]["status"] == "partial"


def test_an_unpublished_recommendation_has_no_public_record(roadmap, workspace):
    rec = recommendations_of(workspace).get(pk=roadmap.hostages.pk)
    with pytest.raises(ValueError, match="unpublished"):
        public_record(rec, standings([rec], dt.date(2025, 6, 1))[rec.pk])
