"""The migration that turns Case.mechanism from a fixed choice into an entry of the registry
keeps every case's mechanism, and can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cases", "0002_witnesses")]
AFTER = [("cases", "0003_case_mechanism_registry")]


def _migrate(targets):
    return MigrationExecutor(connection).migrate(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_former_choices_map_to_the_registry_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        workspace = old.get_model("accounts", "Workspace").objects.create(slug="w", name="W")
        cases = old.get_model("cases", "Case")
        # The registry may still be empty when this runs (it is filled after migrate).
        old.get_model("cases", "Mechanism").objects.filter(slug="un-coi").delete()
        for value in ("icc", "un_inquiry", "national", "other"):
            cases.objects.create(workspace=workspace, title=value, mechanism=value)

        new = _migrate(AFTER)
        mapped = {
            c.title: (c.mechanism.slug if c.mechanism else None)
            for c in new.get_model("cases", "Case").objects.select_related("mechanism")
        }
        assert mapped == {
            "icc": "icc",
            "un_inquiry": "un-coi",
            "national": "national",
            "other": None,
        }
        created = new.get_model("cases", "Mechanism").objects.get(slug="un-coi")
        assert created.kind == "un_inquiry"
        assert created.names["ar"]

        back = _migrate(BEFORE)
        restored = dict(back.get_model("cases", "Case").objects.values_list("title", "mechanism"))
        assert restored == {
            "icc": "icc",
            "un_inquiry": "un_inquiry",
            "national": "national",
            "other": "other",
        }
    finally:
        _migrate(latest)
