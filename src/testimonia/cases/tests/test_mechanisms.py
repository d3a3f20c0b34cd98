"""The mechanisms registry: data shipped with the code, loaded after every migrate."""

from __future__ import annotations

import json

import pytest

from testimonia.cases import mechanisms
from testimonia.cases.mechanisms import lineage, mechanism, sync_mechanisms
from testimonia.cases.models import Mechanism

pytestmark = pytest.mark.django_db


def test_the_registry_is_loaded_by_migrate_with_every_kind():
    slugs = set(Mechanism.objects.values_list("slug", flat=True))
    assert {"icc", "un-coi", "national", "national-de", "domestic-court", "publication"} <= slugs
    kinds = set(Mechanism.objects.values_list("kind", flat=True))
    assert kinds == set(Mechanism.Kind.values)


def test_submission_requirements_are_data():
    icc = mechanism("icc")
    fields = [f["name"] for f in icc.requirements["metadata_fields"]]
    assert "ern" in fields
    assert "confidentiality" in fields
    assert icc.requirements["languages"] == ["en", "fr"]
    assert icc.requirements["package"] == "bagit"
    assert mechanism("un-coi").requirements["languages"] == ["ar", "en", "es", "fr", "ru", "zh"]
    assert mechanism("national-de").requirements["languages"] == ["de"]


def test_a_national_prosecutor_belongs_to_the_national_entry():
    german = mechanism("national-de")
    assert german.country == "DE"
    assert [m.slug for m in lineage(german)] == ["national-de", "national"]
    assert [m.slug for m in lineage(mechanism("icc"))] == ["icc"]


def test_every_entry_is_named_in_english_arabic_and_hebrew():
    for entry in Mechanism.objects.all():
        assert set(entry.names) == {"en", "ar", "he"}
        assert all(entry.names.values())


def test_sync_is_idempotent_and_marks_entries_gone_from_the_file_inactive(monkeypatch, tmp_path):
    assert sync_mechanisms() == 0
    data = json.loads(mechanisms.DATA.read_text(encoding="utf-8"))
    data["mechanisms"] = [m for m in data["mechanisms"] if m["slug"] != "national-se"]
    trimmed = tmp_path / "mechanisms.json"
    trimmed.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(mechanisms, "DATA", trimmed)
    sync_mechanisms()
    assert Mechanism.objects.get(slug="national-se").active is False  # kept, not deleted
    assert Mechanism.objects.get(slug="icc").active is True


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda ms: ms.append(dict(ms[0])), "appears twice"),
        (lambda ms: ms[0].update(kind="oracle"), "unknown kind"),
        (lambda ms: ms[3].update(parent="nowhere"), "unknown parent"),
        (lambda ms: ms[0]["names"].pop("he"), "lacks a name"),
        (lambda ms: ms[0]["requirements"].pop("formats"), "requirements lack"),
    ],
)
def test_a_broken_data_file_is_refused(monkeypatch, tmp_path, change, fragment):
    data = json.loads(mechanisms.DATA.read_text(encoding="utf-8"))
    change(data["mechanisms"])
    broken = tmp_path / "mechanisms.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(mechanisms, "DATA", broken)
    with pytest.raises(ValueError, match=fragment):
        mechanisms.load()
